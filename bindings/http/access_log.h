// The structured access log: one JSON object per line (time, method, route
// pattern, status, duration, bytes, peer, client). Never tokens, cookies, query
// strings or bodies. Lines are buffered and written by a background thread
// every 200 ms (or at 64 KiB), so logging costs a request no system call.
#ifndef WATCHSTORE_BINDINGS_HTTP_ACCESS_LOG_H_
#define WATCHSTORE_BINDINGS_HTTP_ACCESS_LOG_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace watchstore::http {

struct AccessLogEntry {
  absl::Time time;
  absl::string_view method;
  absl::string_view route;  // the route's pattern, "static" or "unmatched"
  int status = 0;
  absl::Duration duration;
  size_t bytes = 0;          // response body bytes
  absl::string_view peer;    // the socket peer
  absl::string_view client;  // the client address (the peer, or what a trusted proxy said)
};

// Thread-safe.
class AccessLog {
 public:
  // `sink`: "stderr", "stdout", "off", or a file path (opened for append).
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(absl::string_view sink);
  ~AccessLog();  // flushes

  void Write(const AccessLogEntry& entry);
  // An operational event ({"level":"error","event":...,"detail":...}).
  void Event(absl::string_view level, absl::string_view event, absl::string_view detail);
  void Flush();

 private:
  explicit AccessLog(int fd, bool owns_fd);
  void Append(std::string line);
  void FlushLoop();

  const int fd_;  // -1: off
  const bool owns_fd_;
  absl::Mutex mu_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex write_mu_;  // serializes writes to fd_
  std::thread flusher_;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_ACCESS_LOG_H_
