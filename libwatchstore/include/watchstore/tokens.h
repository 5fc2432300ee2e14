// Secret tokens, as the library makes and checks them (libsodium), for
// bindings that need the same: session and cart tokens, CSRF tokens, token
// hashes, constant-time comparison.
#ifndef WATCHSTORE_TOKENS_H_
#define WATCHSTORE_TOKENS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace watchstore {

// 32 random bytes (OS randomness) as unpadded base64url: 43 characters.
std::string NewRandomToken();
// True if `token` has the shape NewRandomToken() produces.
bool IsWellFormedToken(absl::string_view token);
// Lower-case hex SHA-256 of `data` (how tokens are stored).
std::string Sha256Hex(absl::string_view data);
// Equality in time independent of where the inputs differ (not of their
// lengths).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace watchstore

#endif  // WATCHSTORE_TOKENS_H_
