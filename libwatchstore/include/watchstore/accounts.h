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
};

// Normalizes and validates an email. InvalidArgument naming "email".
absl::StatusOr<std::string> NormalizeEmail(absl::string_view email);

}  // namespace watchstore

#endif  // WATCHSTORE_ACCOUNTS_H_
