// Errors as RFC 9457 problem documents (application/problem+json), and the
// one mapping from library status codes to HTTP statuses.
#ifndef WATCHSTORE_BINDINGS_HTTP_PROBLEM_H_
#define WATCHSTORE_BINDINGS_HTTP_PROBLEM_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "http_types.h"

namespace watchstore::http {

// Reasons the server adds to the library's (watchstore/errors.h).
namespace reason {
inline constexpr absl::string_view kPayloadTooLarge = "payload_too_large";
inline constexpr absl::string_view kUnsupportedMediaType = "unsupported_media_type";
inline constexpr absl::string_view kMethodNotAllowed = "method_not_allowed";
inline constexpr absl::string_view kCsrf = "csrf";
inline constexpr absl::string_view kNotImplemented = "not_implemented";
}  // namespace reason

inline constexpr absl::string_view kProblemContentType = "application/problem+json";

// Every reason a problem document can carry (the library's and the
// server's), each with its stable title; `type` is /problems/<reason>.
std::vector<absl::string_view> KnownReasons();
bool IsKnownReason(absl::string_view reason);

// The HTTP status for a library status, per the API contract:
//   InvalidArgument, OutOfRange 400 (422 for reason idempotency_key_reused),
//   Unauthenticated 401, PermissionDenied 403, NotFound 404,
//   AlreadyExists, Aborted, FailedPrecondition 409,
//   ResourceExhausted 429 (400 for reason cart_limit),
//   Unavailable, DeadlineExceeded 503, reason internal or anything else 500;
// and the server's own reasons unsupported_media_type 415,
// payload_too_large 413, method_not_allowed 405, not_implemented 501.
int HttpStatusFor(const absl::Status& status);

// Renders `status` (not OK) into `res`: status, problem document, Retry-After
// for throttling and outages, Cache-Control: no-store. 5xx responses carry a
// generic detail, never the library's message; 4xx responses carry the
// library's message only when the library worded it (it has a reason, and a
// validation error names its field), else a generic one: a database's own
// error text never reaches a client.
void RenderProblem(const absl::Status& status, HttpResponse* res);

// A problem the server decides itself (framing, media type, CSRF...).
void RenderProblem(int http_status, absl::string_view reason, absl::string_view detail,
                   HttpResponse* res, absl::string_view field = {});

// The problem document for a bare HTTP status (errors cpp-httplib produces
// before any handler runs: 400 for an unparsable request line, 414, 416...).
std::string ProblemBodyForStatus(int http_status);

// "Bad Request" etc.
absl::string_view StatusText(int http_status);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_PROBLEM_H_
