// One accepted TCP connection (a non-blocking socket) and the request bytes
// buffered from it. A request is read completely, head and body, without
// blocking (ReadRequest, called by the reactor when the socket is readable
// and by a worker after a response); only then does a worker parse and
// answer it, reading from the buffer (Read) and writing to the socket with
// deadlines (Write). So a client that sends slowly, or not at all, holds a
// file descriptor and a bounded buffer, never a worker.
//
// Bytes of a pipelined request that arrive with the previous one stay in the
// buffer for the next ReadRequest.
//
// Not thread-safe: one thread (the reactor or one worker) owns a connection
// at a time.
#ifndef WATCHSTORE_BINDINGS_HTTP_CONNECTION_H_
#define WATCHSTORE_BINDINGS_HTTP_CONNECTION_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "request_head.h"

namespace watchstore::http {

struct ConnectionLimits {
  // Longest silence in the middle of a request (between two reads).
  absl::Duration read_timeout = absl::Seconds(5);
  // Longest wait for the client to take response bytes.
  absl::Duration write_timeout = absl::Seconds(5);
  // The request line and headers, in total, from the request's first byte
  // (from the accept for a new connection).
  absl::Duration header_timeout = absl::Seconds(5);
  // Headers and body, in total.
  absl::Duration request_timeout = absl::Seconds(15);
  // Writing one response, in total (a client that reads slowly is cut off).
  absl::Duration response_timeout = absl::Seconds(30);
  size_t max_header_bytes = 32 << 10;  // request line + headers
};

class Connection {
 public:
  // Takes ownership of `fd` (made non-blocking). `listener`: which listening
  // socket accepted it (the server's own numbering).
  Connection(int fd, const sockaddr_storage& peer, int listener);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // closes the socket

  enum class Progress {
    kNeedMore,  // nothing more to read now; the request is incomplete
    kReady,     // a whole request is buffered
    kRefused,   // the head was refused: see the refusal; answer and close
    kClosed,    // the client closed, or the socket failed
  };
  // Reads what the socket has without blocking and checks the request
  // against `limits`. Sends "100 Continue" once when the client asked for
  // it and the body is still to come. Call again on kNeedMore when the
  // socket is readable; after kReady, serve the request, then call
  // FinishRequest().
  Progress ReadRequest(const HeadLimits& limits, HeadRefusal* refusal);
  // True once any byte of the next request is buffered.
  bool request_started() const { return head_parsed_ || begin_ < end_; }
  // The current request's head has been parsed (only its body is awaited).
  bool head_parsed() const { return head_parsed_; }
  // The parsed head of the current request (valid after kReady).
  const RequestHead& head() const { return head_; }
  // The current request's target as sent (valid after kReady, until
  // FinishRequest).
  absl::string_view request_target() const;

  // --- A worker serving the buffered request ---
  // Starts serving: writes must be done by `deadline`.
  void BeginResponse(absl::Time deadline, absl::Duration write_timeout);
  // Reads the current request's buffered bytes (cpp-httplib's Stream::read);
  // 0 once they are all read: never past the request, never blocks.
  ssize_t Read(char* buf, size_t n);
  // Writes up to `n` bytes, waiting up to the write timeout for the socket
  // and never past the response deadline; -1 on failure or timeout.
  ssize_t Write(const char* data, size_t n);
  bool WriteAll(absl::string_view data);
  // Drops the served request's bytes (what follows stays buffered).
  void FinishRequest();
  int requests_served() const { return requests_served_; }

  // One non-blocking attempt to send `data` (a short refusal); what does not
  // fit is dropped.
  void TrySend(absl::string_view data);
  // Stops writing (FIN) so the client reads what it was sent; the caller
  // then drains input for a while before closing (lingering close).
  void ShutdownWrite();
  // Reads and discards what the socket has; false at end of stream or on an
  // error. Adds what was discarded to *discarded.
  bool Discard(size_t* discarded);
  // Frees the buffer while no request is buffered (an idle connection costs
  // no buffer).
  void ReleaseIdleBuffer();
  // Bytes of buffer allocated (for the server's memory budget).
  size_t buffer_capacity() const { return cap_; }

  int fd() const { return fd_; }
  int listener() const { return listener_; }
  const std::string& peer_address() const { return peer_address_; }
  int peer_port() const { return peer_port_; }
  const std::string& local_address() const { return local_address_; }
  int local_port() const { return local_port_; }

 private:
  absl::string_view Buffered() const {
    return absl::string_view(data_.get() + begin_, end_ - begin_);
  }
  // Makes room for at least `n` more bytes after end_ (keeps what is buffered).
  void Reserve(size_t n);

  int fd_;
  const int listener_;
  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;      // first byte of the current request
  size_t end_ = 0;        // end of what was received
  size_t read_ = 0;       // how far Read() got, from begin_
  size_t scan_from_ = 0;  // where to resume looking for the end of the head
  bool head_parsed_ = false;
  bool continue_sent_ = false;
  size_t request_bytes_ = 0;  // head + body of the current request
  RequestHead head_;
  int requests_served_ = 0;
  absl::Time write_deadline_ = absl::InfiniteFuture();
  absl::Duration write_timeout_ = absl::Seconds(5);
  std::string peer_address_;
  int peer_port_ = 0;
  std::string local_address_;
  int local_port_ = 0;
};

// "a.b.c.d" or an IPv6 text for `ss` (IPv4-mapped IPv6 shown as IPv4).
void AddressOf(const sockaddr_storage& ss, std::string* ip, int* port);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_CONNECTION_H_
