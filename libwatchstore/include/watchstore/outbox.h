// The transactional outbox and the account tokens that e-mails carry.
// Storage writes outbox rows in the same transaction as the change that
// causes them (registration, checkout, order transitions, token requests);
// OutboxWorker (watchstore/mail.h) delivers them at least once.
#ifndef WATCHSTORE_OUTBOX_H_
#define WATCHSTORE_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace watchstore {

using OutboxId = int64_t;

enum class OutboxState : uint8_t { kPending = 0, kSent = 1, kDead = 2 };
absl::string_view OutboxStateName(OutboxState s);  // "pending", "sent", "dead"

// A message to write with a change. Opaque to Storage except order_id.
struct OutboxDraft {
  std::string message_id;  // "<hex@watchstore>", unique, stable across retries
  std::string kind;        // template name (see mail.h MailKind*)
  std::string recipient;   // normalized email address
  std::string payload;     // template data: "key=value" lines, no control characters
  // Set by Storage::PlaceOrder to the order it creates; otherwise as given.
  int64_t order_id = 0;
  absl::Time created_at;
};

// A stored outbox row.
struct OutboxMessage {
  OutboxId id = 0;
  OutboxDraft draft;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;  // claims so far
  absl::Time next_attempt_at;
  std::string last_error;
};

struct OutboxStats {
  int64_t pending = 0;
  int64_t dead = 0;
  std::optional<absl::Time> oldest_pending_created_at;
};

enum class TokenPurpose : uint8_t { kVerifyEmail = 0, kResetPassword = 1, kChangeEmail = 2 };

// A single-use token sent by e-mail. The client holds the token; only its
// hash is stored.
struct AccountToken {
  std::string token_hash;  // hex SHA-256 of the token
  TokenPurpose purpose = TokenPurpose::kVerifyEmail;
  int64_t user_id = 0;  // a UserId; Storage::CreateUser fills it for the user it creates
  std::string email;    // the address the link was sent to (the new one for kChangeEmail)
  absl::Time created_at;
  absl::Time expires_at;
  std::optional<absl::Time> used_at;
};

// What Storage::RedeemAccountToken does, all in one transaction, after
// checking the token is unused, unexpired and of `purpose`:
//   kVerifyEmail    sets email_verified_at = now if the user's email is still
//                   token.email (FailedPrecondition reason token_invalid if not)
//   kResetPassword  sets the password hash, deletes every session of the user
//   kChangeEmail    sets email = token.email and email_verified_at = now
//                   (AlreadyExists reason email_taken if it is taken)
// then marks the token used and writes `outbox`.
struct TokenRedemption {
  std::string token_hash;
  TokenPurpose purpose = TokenPurpose::kVerifyEmail;
  absl::Time now;
  std::string new_password_hash;  // kResetPassword only
  std::vector<OutboxDraft> outbox;
};

// The rule every adapter applies before redeeming: NotFound (reason
// token_invalid) if `token` has another purpose, FailedPrecondition
// token_used if it was used, token_expired if now >= expires_at.
absl::Status CheckRedeemable(const AccountToken& token, TokenPurpose purpose, absl::Time now);

}  // namespace watchstore

#endif  // WATCHSTORE_OUTBOX_H_
