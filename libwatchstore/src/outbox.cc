#include "watchstore/outbox.h"

#include "watchstore/errors.h"

namespace watchstore {

absl::string_view OutboxStateName(OutboxState s) {
  switch (s) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kDead:
      return "dead";
  }
  return "pending";
}

absl::Status CheckRedeemable(const AccountToken& token, TokenPurpose purpose, absl::Time now) {
  if (token.purpose != purpose) {
    return MakeError(absl::StatusCode::kNotFound, reason::kTokenInvalid, "the link is not valid",
                     "token");
  }
  if (token.used_at.has_value()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kTokenUsed,
                     "the link was already used", "token");
  }
  if (now >= token.expires_at) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kTokenExpired,
                     "the link has expired", "token");
  }
  return absl::OkStatus();
}

}  // namespace watchstore
