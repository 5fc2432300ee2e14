// One accepted TCP connection: buffered reads and writes with the server's
// timeouts. Replaces cpp-httplib's per-request SocketStream so that
//  - bytes of a pipelined request are never dropped between requests,
//  - the header section has a total deadline and a byte budget (a client
//    sending one byte a second, or endless headers, is cut off),
//  - the request as a whole (headers + body) has a deadline,
//  - the server decides when a connection closes (after a refused body).
// Not thread-safe: one worker owns a connection.
#ifndef WATCHSTORE_BINDINGS_HTTP_CONNECTION_H_
#define WATCHSTORE_BINDINGS_HTTP_CONNECTION_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace watchstore::http {

struct ConnectionLimits {
  absl::Duration read_timeout = absl::Seconds(5);     // longest wait for one read
  absl::Duration write_timeout = absl::Seconds(5);    // longest wait for one write
  absl::Duration header_timeout = absl::Seconds(10);  // request line + headers, in total
  absl::Duration request_timeout = absl::Seconds(30); // headers + body, in total
  size_t max_header_bytes = 32 << 10;                 // request line + headers
};

class Connection {
 public:
  Connection(int fd, const ConnectionLimits& limits);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // closes the socket

  enum class Wait { kReady, kTimeout, kClosed, kAbandoned };
  // Waits for the first byte of the next request, up to `timeout`, asking
  // `keep_waiting` every 100 ms (false: give up, kAbandoned).
  Wait WaitForRequest(absl::Duration timeout, const std::function<bool()>& keep_waiting);

  // The phases of a request: reading headers, then the body.
  void BeginRequest();
  void HeadersDone();

  // Reads up to `n` bytes; 0 at end of stream; -1 on error, timeout or when
  // the header budget is spent (see header_budget_exceeded()).
  ssize_t Read(char* buf, size_t n);
  // Writes up to `n` bytes (at least one unless -1 is returned).
  ssize_t Write(const char* data, size_t n);
  // True when data is buffered or arrives before the read deadline.
  bool Readable();
  // True while the socket is open (Write() itself waits, up to write_timeout).
  bool Writable();
  // Writes all of `data` (for responses written outside cpp-httplib).
  bool WriteAll(absl::string_view data);

  bool header_budget_exceeded() const { return header_budget_exceeded_; }
  bool timed_out() const { return timed_out_; }
  // Closes gracefully after a response when the client may still be sending
  // (a refused body): stops writing, discards input for up to a second so the
  // client reads the response instead of a reset, then closes.
  void LingeringClose();

  int fd() const { return fd_; }
  const std::string& peer_address() const { return peer_address_; }
  int peer_port() const { return peer_port_; }
  const std::string& local_address() const { return local_address_; }
  int local_port() const { return local_port_; }

 private:
  // Milliseconds to wait for a read: the read timeout, capped by the deadline.
  int ReadWaitMillis();

  int fd_;
  const ConnectionLimits limits_;
  char buffer_[16 << 10];
  size_t begin_ = 0;
  size_t end_ = 0;
  bool in_headers_ = false;
  size_t header_bytes_ = 0;
  absl::Time request_start_;
  absl::Time deadline_ = absl::InfiniteFuture();
  bool header_budget_exceeded_ = false;
  bool timed_out_ = false;
  std::string peer_address_;
  int peer_port_ = 0;
  std::string local_address_;
  int local_port_ = 0;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_CONNECTION_H_
