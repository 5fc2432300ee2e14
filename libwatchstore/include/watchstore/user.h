// Users, roles and sessions.
#ifndef WATCHSTORE_USER_H_
#define WATCHSTORE_USER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/outbox.h"

namespace watchstore {

using UserId = int64_t;

enum class Role : uint8_t { kCustomer = 0, kAdmin = 1 };
absl::string_view RoleName(Role role);  // "customer", "admin"
absl::StatusOr<Role> ParseRole(absl::string_view name);

// A stored account. `email` is normalized (trimmed, lower-cased).
struct User {
  UserId id = 0;
  std::string email;
  std::string password_hash;  // libsodium crypto_pwhash_str output
  Role role = Role::kCustomer;
  absl::Time created_at;
  // When the user followed a verification link sent to `email`; unset until
  // then, and reset when the email changes (a change is itself verified).
  std::optional<absl::Time> email_verified_at = std::nullopt;
};

// What Storage needs to create a user.
struct NewUser {
  std::string email;          // normalized
  std::string password_hash;  // never the password
  Role role = Role::kCustomer;
  absl::Time created_at;
  // Written in the same transaction (welcome mail, verification token).
  std::vector<AccountToken> tokens = {};  // user_id is set to the new user's id
  std::vector<OutboxDraft> outbox = {};
};

// A stored session. The client holds the token; only its hash is stored.
struct SessionRecord {
  std::string token_hash;  // hex SHA-256 of the token
  UserId user_id = 0;
  absl::Time created_at;
  absl::Time last_seen_at;  // refreshed with coarse granularity, see Accounts
};

// Who is calling a service. Services enforce roles on it.
struct Principal {
  UserId user_id = 0;
  Role role = Role::kCustomer;
  std::string email;
  bool is_admin() const { return role == Role::kAdmin; }
};

// The staff rule every admin operation of the library applies first:
// Unauthenticated for nobody (user_id 0), PermissionDenied (reason
// forbidden) for a customer. Bindings may call it before they read a
// request's body, so a customer learns nothing from body validation.
absl::Status RequireAdmin(const Principal& principal);

}  // namespace watchstore

#endif  // WATCHSTORE_USER_H_
