// The head of an HTTP/1.x request (request line and header fields), checked
// strictly before cpp-httplib sees it. cpp-httplib 0.11.4 silently skips
// header lines it cannot parse (a name with a space before the colon, an
// obs-fold continuation, a NUL), so what it sees can differ from what a proxy
// in front saw: the classic request-smuggling gap. A head that passes here
// parses the same way everywhere; anything else is refused and the
// connection closed.
//
// Also decides the request's framing: the body is exactly Content-Length
// bytes (no Transfer-Encoding, no Content-Encoding), within the limit, and
// only on methods that take one.
#ifndef WATCHSTORE_BINDINGS_HTTP_REQUEST_HEAD_H_
#define WATCHSTORE_BINDINGS_HTTP_REQUEST_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace watchstore::http {

struct HeadLimits {
  size_t max_header_bytes = 32 << 10;  // request line + fields + the empty line
  int max_headers = 100;               // header fields
  size_t max_target_bytes = 8192;      // the request target (414 beyond)
  size_t max_field_line_bytes = 8192;  // one header line (431 beyond)
  uint64_t max_body_bytes = 64 << 10;  // Content-Length (413 beyond)
};

// What a valid head says about the request.
struct RequestHead {
  std::string method;
  int minor_version = 1;         // HTTP/1.0 or HTTP/1.1
  uint64_t body_bytes = 0;       // Content-Length, or 0
  bool expect_continue = false;  // "Expect: 100-continue" on HTTP/1.1
};

// Why a head was refused: the response to send before closing.
struct HeadRefusal {
  int status = 0;            // 400, 405, 411, 413, 414, 415, 417, 431, 501, 505
  absl::string_view reason;  // a problem reason ("validation", "payload_too_large"...)
  std::string detail;
};

// Where the head ends in `data` (the offset just past its empty line), or 0
// when it has not all arrived. An empty line ending in a bare LF ends a head
// too (it is then refused by ParseRequestHead), so such a client is answered
// at once instead of at the header timeout.
// `from`: where to start looking (a caller that saw a prefix of `data`
// before passes where it stopped, so a trickled head is scanned once).
size_t FindHeadEnd(absl::string_view data, size_t from = 0);

// The number of empty lines (CRLF) before a request line, which RFC 9112
// lets a server skip (clients send one after a POST body).
size_t LeadingEmptyLines(absl::string_view data);

// Checks `head` (exactly the bytes FindHeadEnd delimited). True and fills
// `out` when the request may be read; false and fills
// `refusal` otherwise.
bool ParseRequestHead(absl::string_view head, const HeadLimits& limits, RequestHead* out,
                      HeadRefusal* refusal);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_REQUEST_HEAD_H_
