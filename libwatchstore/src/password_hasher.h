// Argon2id password hashing (libsodium crypto_pwhash_str) with a cap on how
// many hashes run at once. Internal.
#ifndef WATCHSTORE_SRC_PASSWORD_HASHER_H_
#define WATCHSTORE_SRC_PASSWORD_HASHER_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include <condition_variable>

#include "sync.h"

namespace watchstore::internal {

// Thread-safe.
class PasswordHasher {
 public:
  // REQUIRES: limits at or above libsodium's INTERACTIVE ones; max_concurrent >= 1.
  PasswordHasher(uint64_t opslimit, uint64_t memlimit, int max_concurrent);

  // ResourceExhausted if libsodium cannot allocate the memory.
  absl::StatusOr<std::string> Hash(absl::string_view password);
  // True if `password` matches `hash`. A malformed hash never matches.
  bool Verify(absl::string_view hash, absl::string_view password);
  // True if `hash` was made with other parameters than ours (upgrade at login).
  bool NeedsRehash(absl::string_view hash) const;
  // Spends the same work as Verify on a fixed dummy hash, so an unknown email
  // costs what a wrong password costs.
  void VerifyDummy(absl::string_view password);

 private:
  class Slot;
  const uint64_t opslimit_;
  const uint64_t memlimit_;
  const int max_concurrent_;
  Mutex mu_;
  std::condition_variable slot_freed_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  Mutex dummy_mu_;
  std::string dummy_hash_ ABSL_GUARDED_BY(dummy_mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_PASSWORD_HASHER_H_
