// Random tokens and hashes (libsodium). Internal.
#ifndef WATCHSTORE_SRC_CRYPTO_H_
#define WATCHSTORE_SRC_CRYPTO_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/tokens.h"

namespace watchstore::internal {

// Initializes libsodium once; safe to call from any thread, any number of times.
void EnsureSodium();

// The public token functions (watchstore/tokens.h), by their internal names.
using ::watchstore::ConstantTimeEquals;
using ::watchstore::IsWellFormedToken;
using ::watchstore::NewRandomToken;
using ::watchstore::Sha256Hex;
// A uniformly random 64-bit value.
uint64_t RandomU64();

// A token of NewRandomToken's shape derived from a secret and a context:
// base64url of HMAC-SHA256(secret, context). The same inputs give the same
// token; without the secret it cannot be guessed.
std::string DeriveToken(absl::string_view secret, absl::string_view context);

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
