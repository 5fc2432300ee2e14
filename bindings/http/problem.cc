#include "problem.h"

#include <vector>

#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "json.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

struct ReasonInfo {
  absl::string_view reason;
  absl::string_view title;
};

// One stable title per reason (the detail says what exactly went wrong).
constexpr ReasonInfo kReasons[] = {
    {watchstore::reason::kValidation, "The request is not valid"},
    {watchstore::reason::kNotFound, "Not found"},
    {watchstore::reason::kUnauthenticated, "Authentication required"},
    {watchstore::reason::kForbidden, "Forbidden"},
    {watchstore::reason::kInvalidCredentials, "Invalid email or password"},
    {watchstore::reason::kThrottled, "Too many attempts"},
    {watchstore::reason::kEmailTaken, "Email already registered"},
    {watchstore::reason::kSkuTaken, "SKU already in use"},
    {watchstore::reason::kSlugTaken, "Slug already in use"},
    {watchstore::reason::kTooManyImages, "Too many images"},
    {watchstore::reason::kInvalidImageUrl, "Image URL not allowed"},
    {watchstore::reason::kInvalidImageAlt, "Image alt text missing or too long"},
    {watchstore::reason::kUnknownImageVariant, "Image linked to an unknown variant"},
    {watchstore::reason::kVersionConflict, "Version conflict"},
    {watchstore::reason::kOutOfStock, "Out of stock"},
    {watchstore::reason::kNotPurchasable, "Not purchasable"},
    {watchstore::reason::kCartEmpty, "Cart is empty"},
    {watchstore::reason::kCartLimit, "Cart limit reached"},
    {watchstore::reason::kIdempotencyMismatch, "Idempotency key reused with another request"},
    {watchstore::reason::kIdempotencyInFlight,
     "A request with this idempotency key is in progress"},
    {watchstore::reason::kIllegalTransition, "Illegal status transition"},
    {watchstore::reason::kOrderPaid, "The order is paid: only the store can cancel it"},
    {watchstore::reason::kPaymentMismatch, "The payment does not match the order"},
    {watchstore::reason::kTooManyUnpaidOrders, "Too many unpaid orders"},
    {watchstore::reason::kIgnoredEvent, "Event not acted on"},
    {watchstore::reason::kPaymentUnavailable, "The payment provider is unavailable"},
    {watchstore::reason::kTokenInvalid, "The link is not valid"},
    {watchstore::reason::kTokenUsed, "The link was already used"},
    {watchstore::reason::kTokenExpired, "The link has expired"},
    {watchstore::reason::kEmailUnverified, "Email address not verified"},
    {watchstore::reason::kUnavailable, "Service unavailable"},
    {watchstore::reason::kInternal, "Internal error"},
    {reason::kPayloadTooLarge, "Payload too large"},
    {reason::kUnsupportedMediaType, "Unsupported media type"},
    {reason::kMethodNotAllowed, "Method not allowed"},
    {reason::kCsrf, "CSRF token missing or invalid"},
    {reason::kNotImplemented, "Not implemented"},
};

absl::string_view TitleOf(absl::string_view why) {
  for (const ReasonInfo& r : kReasons) {
    if (r.reason == why) return r.title;
  }
  return "Error";
}

absl::string_view ReasonForStatus(int http_status) {
  switch (http_status) {
    case 401:
      return watchstore::reason::kUnauthenticated;
    case 403:
      return watchstore::reason::kForbidden;
    case 404:
      return watchstore::reason::kNotFound;
    case 405:
      return reason::kMethodNotAllowed;
    case 413:
    case 414:
    case 431:
      return reason::kPayloadTooLarge;
    case 415:
      return reason::kUnsupportedMediaType;
    case 501:
      return reason::kNotImplemented;
    case 429:
      return watchstore::reason::kThrottled;
    case 503:
      return watchstore::reason::kUnavailable;
    default:
      return http_status >= 500 ? watchstore::reason::kInternal : watchstore::reason::kValidation;
  }
}

// What a 4xx says when the library's message cannot be shown.
absl::string_view GenericDetail(int http_status) {
  switch (http_status) {
    case 400:
      return "the request is not valid";
    case 401:
      return "log in first";
    case 403:
      return "this is not allowed";
    case 404:
      return "no such resource";
    case 409:
      return "the request conflicts with the resource's current state";
    case 429:
      return "too many requests; try again later";
    default:
      return "";
  }
}

// The library attaches a reason (a payload) to every error it words itself
// (watchstore::MakeError). An error without one was made elsewhere: an
// adapter passing a database's own text along (PostgreSQL's "invalid byte
// sequence...", SQLite's constraint names). Only worded errors are shown,
// and a validation error only when it names a field (an adapter's "data
// exception" names none).
bool IsWordedForClients(const absl::Status& status, absl::string_view why) {
  bool has_payload = false;
  status.ForEachPayload([&](absl::string_view, const absl::Cord&) { has_payload = true; });
  if (!has_payload) return false;
  if (why == watchstore::reason::kInternal) return false;
  if (why == watchstore::reason::kValidation && FieldOf(status).empty()) return false;
  return true;
}

std::string ProblemJson(int http_status, absl::string_view why, absl::string_view detail,
                        absl::string_view field) {
  JsonOut out;
  out.StartObject();
  out.Field("type", absl::StrCat("/problems/", why));
  out.Field("title", TitleOf(why));
  out.Field("status", http_status);
  if (!detail.empty()) out.Field("detail", detail);
  if (!field.empty()) out.Field("field", field);
  out.EndObject();
  return out.Take();
}

}  // namespace

std::vector<absl::string_view> KnownReasons() {
  std::vector<absl::string_view> out;
  for (const ReasonInfo& r : kReasons) out.push_back(r.reason);
  return out;
}

bool IsKnownReason(absl::string_view why) {
  for (const ReasonInfo& r : kReasons) {
    if (r.reason == why) return true;
  }
  return false;
}

absl::string_view StatusText(int s) {
  switch (s) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return s >= 500 ? "Server Error" : "Client Error";
  }
}

int HttpStatusFor(const absl::Status& status) {
  const std::string why = ReasonOf(status);
  // An unexpected storage failure (an unmapped constraint, say) is ours,
  // whatever code the adapter gave it.
  if (why == watchstore::reason::kInternal && status.code() != absl::StatusCode::kOk) return 500;
  if (why == watchstore::reason::kIdempotencyMismatch) return 422;
  // Reasons of the server's own that need a status of their own.
  if (why == reason::kUnsupportedMediaType) return 415;
  if (why == reason::kPayloadTooLarge) return 413;
  if (why == reason::kMethodNotAllowed) return 405;
  if (why == reason::kNotImplemented) return 501;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return why == watchstore::reason::kCartLimit ? 400 : 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

void RenderProblem(const absl::Status& status, HttpResponse* res) {
  const int code = HttpStatusFor(status);
  std::string why = ReasonOf(status);
  if (!IsKnownReason(why)) why = std::string(ReasonForStatus(code));
  if (code >= 500) {
    // Internal messages (SQL errors, hostnames) never reach the client.
    RenderProblem(code,
                  code == 503 ? watchstore::reason::kUnavailable : watchstore::reason::kInternal,
                  code == 503 ? "the store is briefly unavailable; try again shortly"
                              : "something went wrong on our side",
                  res);
    if (code == 503) res->AddHeader("Retry-After", "1");
    return;
  }
  if (IsWordedForClients(status, why)) {
    RenderProblem(code, why, status.message(), res, FieldOf(status));
  } else {
    RenderProblem(code, why, GenericDetail(code), res);
  }
  if (code == 429) {
    const absl::Duration wait = RetryAfterOf(status).value_or(absl::Seconds(1));
    int64_t seconds = absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1)));
    if (seconds < 1) seconds = 1;
    res->AddHeader("Retry-After", absl::StrCat(seconds));
  }
}

void RenderProblem(int http_status, absl::string_view why, absl::string_view detail,
                   HttpResponse* res, absl::string_view field) {
  res->status = http_status;
  res->content_type = std::string(kProblemContentType);
  res->body = ProblemJson(http_status, why, detail, field);
  if (!res->HasHeader("Cache-Control")) res->AddHeader("Cache-Control", "no-store");
}

std::string ProblemBodyForStatus(int http_status) {
  absl::string_view detail;
  switch (http_status) {
    case 400:
      detail = "the request could not be parsed";
      break;
    case 404:
      detail = "no such resource";
      break;
    case 405:
      detail = "this method is not allowed here";
      break;
    case 408:
      detail = "the request took too long to arrive";
      break;
    case 413:
      detail = "the request body is too large";
      break;
    case 414:
      detail = "the request target is too long";
      break;
    case 416:
      detail = "the Range header is not satisfiable";
      break;
    case 431:
      detail = "the request headers are too large or too many";
      break;
    case 501:
      detail = "this is not implemented by this server";
      break;
    default:
      detail = http_status >= 500 ? "something went wrong on our side" : "";
      break;
  }
  return ProblemJson(http_status, ReasonForStatus(http_status), detail, {});
}

}  // namespace watchstore::http
