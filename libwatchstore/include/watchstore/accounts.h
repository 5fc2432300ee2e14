// Accounts: registration, login, sessions, roles.
#ifndef WATCHSTORE_ACCOUNTS_H_
#define WATCHSTORE_ACCOUNTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/user.h"

namespace watchstore {

struct AccountsOptions {
  // --- Sessions ---
  // A session unused for this long expires.
  absl::Duration session_idle_timeout = absl::Minutes(30);
  // A session expires this long after login, used or not.
  absl::Duration session_absolute_timeout = absl::Hours(12);
  // last_seen_at is written to Storage at most this often per session, so
  // idle expiry is exact to within this interval. < session_idle_timeout.
  absl::Duration session_touch_interval = absl::Minutes(1);
  // How long a session lookup is served from the cache before Storage is
  // asked again (a revoked session is erased from the cache at once).
  absl::Duration session_cache_ttl = absl::Minutes(1);
  // Secret key (at least 32 bytes) sealing the sessions and users the cache
  // holds (HMAC-SHA256 with the time of sealing): a value written into a
  // shared cache by anyone without the key, or sealed longer than
  // session_cache_ttl ago, is ignored and storage is asked instead. Every
  // instance sharing a Redis cache must use the same key. Empty: a random
  // key per process (fine for one instance).
  std::string session_seal_key;

  // --- Password hashing (Argon2id, libsodium crypto_pwhash_str) ---
  // Never below libsodium's INTERACTIVE limits (2 passes, 64 MiB).
  uint64_t pwhash_opslimit = 2;
  uint64_t pwhash_memlimit_bytes = uint64_t{64} << 20;
  // Hashes computed at once; further callers wait. Caps memory at
  // max_concurrent_hashes * pwhash_memlimit_bytes. >= 1.
  int max_concurrent_hashes = 2;

  // --- Login throttling (per account and per client address; the policy
  // is described in watchstore/login_limiter.h) ---
  // Failures allowed before back-off starts.
  int throttle_free_failures = 5;
  // First back-off; doubles with each further failure up to the maximum.
  absl::Duration throttle_base_delay = absl::Seconds(1);
  absl::Duration throttle_max_delay = absl::Minutes(15);
  // Failures are forgotten after this long without a new one, so an attacker
  // cannot lock a user out for good.
  absl::Duration throttle_forget_after = absl::Minutes(30);
  // Keys the in-process limiter tracks at most (least recently used dropped).
  size_t throttle_max_tracked_keys = 100'000;
};

struct RegistrationResult {
  // Whether a new account was made. Bindings must not reveal it to the
  // client: registering a taken email looks (and takes as long) as a new one.
  bool created = false;
  UserId user_id = 0;  // 0 unless created
};

struct LoginResult {
  std::string token;  // 32 random bytes, base64url; only its hash is stored
  Principal principal;
  absl::Time idle_expires_at;
  absl::Time absolute_expires_at;
};

// Thread-safe.
class Accounts {
 public:
  virtual ~Accounts() = default;

  // Email: trimmed, lower-cased, validated. Password: >= 12 characters,
  // <= 128 bytes, not the email. InvalidArgument naming "email"/"password".
  // Unavailable (reason unavailable) when password hashing is saturated
  // (no slot within AccountsOptions' bounded wait): try again shortly.
  virtual absl::StatusOr<RegistrationResult> Register(absl::string_view email,
                                                      absl::string_view password) = 0;
  // For operator tools: like Register but with a role, and AlreadyExists
  // (reason email_taken) when the email is taken.
  virtual absl::StatusOr<User> CreateUser(absl::string_view email, absl::string_view password,
                                          Role role) = 0;
  // For operator tools: changes a user's role. Every session of the user, on
  // every instance sharing the cache, sees the new role at its next request
  // (the user's cached entry is erased and the erase is announced).
  virtual absl::Status SetRole(absl::string_view email, Role role) = 0;

  // Unauthenticated (reason invalid_credentials) for an unknown email or a
  // wrong password alike, after the same work. ResourceExhausted (reason
  // throttled, with RetryAfterOf) while the account or the client address is
  // backing off. Unavailable when password hashing is saturated, as for
  // Register. `previous_token`, if set, is revoked (session rotation).
  virtual absl::StatusOr<LoginResult> Login(absl::string_view email, absl::string_view password,
                                            absl::string_view client_address,
                                            absl::string_view previous_token = {}) = 0;
  // Revokes the session, on every instance sharing the cache. OK if it was
  // unknown.
  virtual absl::Status Logout(absl::string_view token) = 0;
  // The caller behind a token. Unauthenticated if the token is malformed,
  // unknown, revoked or expired.
  virtual absl::StatusOr<Principal> Authenticate(absl::string_view token) = 0;
  // Deletes expired sessions from Storage; returns how many.
  virtual absl::StatusOr<int64_t> PurgeExpiredSessions() = 0;

  // --- E-mail flows. Links carry a token of 32 random bytes (base64url);
  // only its SHA-256 is stored; it works once and expires after
  // MailOptions::token_ttl. Mails go through the outbox (watchstore/mail.h),
  // written in the same transaction as the change.

  // Writes a reset link to the account's address if the account exists. The
  // reply and the work are the same whether or not it exists. InvalidArgument
  // (email) if malformed; ResourceExhausted (throttled) when the client
  // address asked too often. Past the per-account limit nothing is sent and
  // the reply is still OK.
  virtual absl::Status RequestPasswordReset(absl::string_view email,
                                            absl::string_view client_address) = 0;
  // Sets `new_password` (the registration rules) from a reset token, revokes
  // every session of the user and writes a notice. InvalidArgument
  // (password); NotFound (token_invalid) for an unknown or malformed token;
  // FailedPrecondition (token_used, token_expired). Nothing changes on error.
  virtual absl::Status ResetPassword(absl::string_view token, absl::string_view new_password) = 0;
  // For a logged-in user: Unauthenticated (invalid_credentials) unless
  // `current_password` matches; InvalidArgument for a weak new password.
  // Revokes every session of the user, `session_token` included, and returns
  // a new session that replaces it.
  virtual absl::StatusOr<LoginResult> ChangePassword(absl::string_view session_token,
                                                     absl::string_view current_password,
                                                     absl::string_view new_password) = 0;
  // Writes a confirmation link to `new_email` and a notice to the current
  // address; the change happens when the link is followed (ConfirmEmail).
  // Unauthenticated (invalid_credentials) unless the password matches. If
  // `new_email` belongs to another account, nothing is sent and the reply is
  // the same OK.
  virtual absl::Status RequestEmailChange(const Principal& user, absl::string_view current_password,
                                          absl::string_view new_email) = 0;
  // Redeems a verification link (welcome mail) or an e-mail change link.
  // Errors as for ResetPassword; AlreadyExists (email_taken) if the new
  // address was taken meanwhile.
  virtual absl::StatusOr<User> ConfirmEmail(absl::string_view token) = 0;
  // Writes a new verification link for the user's current address.
  virtual absl::Status ResendVerification(const Principal& user) = 0;
  // The caller's account (for the account page). Unauthenticated for nobody.
  virtual absl::StatusOr<User> GetAccount(const Principal& user) = 0;
};

// Normalizes and validates an email. InvalidArgument naming "email".
absl::StatusOr<std::string> NormalizeEmail(absl::string_view email);

}  // namespace watchstore

#endif  // WATCHSTORE_ACCOUNTS_H_
