// Random tokens and hashes (libsodium). Internal.
#ifndef WATCHSTORE_SRC_CRYPTO_H_
#define WATCHSTORE_SRC_CRYPTO_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace watchstore::internal {

// Initializes libsodium once; safe to call from any thread, any number of times.
void EnsureSodium();

// 32 random bytes as unpadded base64url (43 characters).
std::string NewRandomToken();
// True if `token` has the shape NewRandomToken() produces.
bool IsWellFormedToken(absl::string_view token);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);
// A uniformly random 64-bit value.
uint64_t RandomU64();

// Sealing: `bytes`, the time it was sealed and an HMAC-SHA256 tag over both
// under a secret key of at least kSealKeyBytes bytes.
inline constexpr size_t kSealKeyBytes = 32;
// kSealKeyBytes random bytes.
std::string NewSealKey();
std::string SealValue(absl::string_view key, absl::string_view bytes, absl::Time sealed_at);
// The sealed bytes, if the tag is right (checked in constant time) and the
// value was sealed at most `max_age` before `now` (and not after it, beyond
// a second of clock skew); nullopt otherwise.
std::optional<absl::string_view> OpenSealedValue(absl::string_view key, absl::string_view sealed,
                                                 absl::Time now, absl::Duration max_age);

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_CRYPTO_H_
