#include "static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "content_security_policy.h"
#include "problem.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

constexpr size_t kMaxFileBytes = size_t{32} << 20;

struct TypeEntry {
  absl::string_view ext;
  absl::string_view type;
};
constexpr TypeEntry kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

bool SafeSegment(absl::string_view seg) {
  if (seg.empty() || seg.size() > 255 || seg.front() == '.') return false;
  for (char c : seg) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

void NotFound(HttpResponse* res) {
  RenderProblem(404, watchstore::reason::kNotFound, "no such page", res);
}

}  // namespace

absl::string_view StaticFiles::ContentTypeFor(absl::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos) return {};
  const std::string ext = absl::AsciiStrToLower(name.substr(dot));
  for (const TypeEntry& t : kTypes) {
    if (t.ext == ext) return t.type;
  }
  return {};
}

absl::StatusOr<std::unique_ptr<StaticFiles>> StaticFiles::Open(const std::string& root) {
  char resolved[PATH_MAX];
  if (::realpath(root.c_str(), resolved) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("static directory ", root, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("static directory ", root, " is not a directory"));
  }
  std::string canonical = resolved;
  while (canonical.size() > 1 && canonical.back() == '/') canonical.pop_back();
  return std::unique_ptr<StaticFiles>(new StaticFiles(std::move(canonical)));
}

void StaticFiles::Serve(const HttpRequest& req, HttpResponse* res) const {
  absl::string_view path = req.path();
  if (path.empty() || path.front() != '/' || path.size() > 1024) return NotFound(res);
  std::string relative(path.substr(1));
  if (relative.empty() || relative.back() == '/') relative.append("index.html");
  ServeFile(relative, req, res);
}

void StaticFiles::ServeFile(absl::string_view relative, const HttpRequest& req,
                            HttpResponse* res) const {
  for (absl::string_view seg : absl::StrSplit(relative, '/')) {
    if (!SafeSegment(seg)) return NotFound(res);
  }
  const absl::string_view type = ContentTypeFor(relative);
  if (type.empty()) return NotFound(res);

  const std::string full = absl::StrCat(root_, "/", relative);
  char resolved[PATH_MAX];
  if (::realpath(full.c_str(), resolved) == nullptr) return NotFound(res);
  if (!absl::StartsWith(resolved, absl::StrCat(root_, "/"))) return NotFound(res);
  const int fd = ::open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return NotFound(res);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    ::close(fd);
    return NotFound(res);
  }
  const std::string etag =
      absl::StrCat("\"", absl::Hex(static_cast<uint64_t>(st.st_size)), "-",
                   absl::Hex(static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                             static_cast<uint64_t>(st.st_mtim.tv_nsec)),
                   "\"");
  const bool revalidate = absl::EndsWith(relative, ".html") || relative == "config.json";
  res->AddHeader("Cache-Control", revalidate ? "no-cache" : "public, max-age=3600");
  if (relative == kPaymentPage) {
    // The one page that loads Stripe.js; every other keeps the server's policy.
    res->AddHeader("Content-Security-Policy", std::string(kPaymentPageContentSecurityPolicy));
  }
  res->AddHeader("ETag", etag);
  if (IfNoneMatchHits(req, etag)) {
    ::close(fd);
    res->status = 304;
    return;
  }
  std::string body(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < body.size()) {
    const ssize_t n = ::read(fd, body.data() + got, body.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  body.resize(got);
  res->status = 200;
  res->content_type = std::string(type);
  res->body = std::move(body);
}

}  // namespace watchstore::http
