// Random tokens and hashes (libsodium). Internal.
#ifndef WATCHSTORE_SRC_CRYPTO_H_
#define WATCHSTORE_SRC_CRYPTO_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

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

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_CRYPTO_H_
