#include "watchstore/errors.h"

#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace watchstore {
namespace {

constexpr char kReasonUrl[] = "watchstore/reason";
constexpr char kFieldUrl[] = "watchstore/field";
constexpr char kRetryAfterUrl[] = "watchstore/retry-after-ms";

absl::string_view DefaultReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return reason::kValidation;
    case absl::StatusCode::kNotFound:
      return reason::kNotFound;
    case absl::StatusCode::kUnauthenticated:
      return reason::kUnauthenticated;
    case absl::StatusCode::kPermissionDenied:
      return reason::kForbidden;
    case absl::StatusCode::kAborted:
      return reason::kVersionConflict;
    case absl::StatusCode::kResourceExhausted:
      return reason::kThrottled;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return reason::kUnavailable;
    default:
      return reason::kInternal;
  }
}

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       absl::string_view field) {
  absl::Status status(code, message);
  status.SetPayload(kReasonUrl, absl::Cord(reason));
  if (!field.empty()) status.SetPayload(kFieldUrl, absl::Cord(field));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kValidation, message, field);
}

absl::Status Throttled(absl::Duration retry_after) {
  absl::Status status = MakeError(absl::StatusCode::kResourceExhausted, reason::kThrottled,
                                  "too many attempts; try again later");
  status.SetPayload(kRetryAfterUrl,
                    absl::Cord(std::to_string(absl::ToInt64Milliseconds(retry_after))));
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  if (auto p = status.GetPayload(kReasonUrl)) return std::string(*p);
  return std::string(DefaultReason(status.code()));
}

std::string FieldOf(const absl::Status& status) {
  if (auto p = status.GetPayload(kFieldUrl)) return std::string(*p);
  return {};
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto p = status.GetPayload(kRetryAfterUrl);
  int64_t ms = 0;
  if (!p || !absl::SimpleAtoi(std::string(*p), &ms)) return std::nullopt;
  return absl::Milliseconds(ms);
}

}  // namespace watchstore
