// The storefront's static files (frontend/), served at "/": index.html for
// "/" and for any "<dir>/", no directory listings, no dot-files, no path
// outside the root (symlinks included), a fixed set of content types.
// HTML and config.json are revalidated on every use (Cache-Control: no-cache);
// other assets may be cached for an hour. ETag + If-None-Match give 304s.
// The payment page (kPaymentPage) carries its own Content-Security-Policy
// (content_security_policy.h); every other file the server's.
#ifndef WATCHSTORE_BINDINGS_HTTP_STATIC_FILES_H_
#define WATCHSTORE_BINDINGS_HTTP_STATIC_FILES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "http_types.h"

namespace watchstore::http {

// Thread-safe (reads the disk on every request: edits show up at once).
class StaticFiles {
 public:
  // InvalidArgument unless `root` is an existing directory.
  static absl::StatusOr<std::unique_ptr<StaticFiles>> Open(const std::string& root);

  // Answers a GET or HEAD for `req.path()`: 200, 304, or a 404 problem.
  void Serve(const HttpRequest& req, HttpResponse* res) const;
  // The same for the file `relative` to the root ("product.html"), whatever
  // the request's path: pages served at other URLs (/watches/<slug>).
  void ServeFile(absl::string_view relative, const HttpRequest& req, HttpResponse* res) const;

  const std::string& root() const { return root_; }
  // The content type for a file name, or empty if it is not served.
  static absl::string_view ContentTypeFor(absl::string_view name);

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  std::string root_;  // canonical, no trailing slash
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_STATIC_FILES_H_
