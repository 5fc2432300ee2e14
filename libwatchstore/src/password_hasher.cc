#include "password_hasher.h"

#include <sodium.h>

#include "crypto.h"

namespace watchstore::internal {

// Holds one of the max_concurrent_ hashing slots for its lifetime.
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher* h) : h_(h) {
    MutexLock lock(&h_->mu_);
    h_->mu_.Await(h_->slot_freed_, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return h_->running_ < h_->max_concurrent_;
    });
    ++h_->running_;
  }
  ~Slot() {
    {
      MutexLock lock(&h_->mu_);
      --h_->running_;
    }
    h_->slot_freed_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  PasswordHasher* h_;
};

PasswordHasher::PasswordHasher(uint64_t opslimit, uint64_t memlimit, int max_concurrent)
    : opslimit_(opslimit), memlimit_(memlimit), max_concurrent_(max_concurrent) {
  EnsureSodium();
}

absl::StatusOr<std::string> PasswordHasher::Hash(absl::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  int rc;
  {
    Slot slot(this);
    rc = crypto_pwhash_str(out, password.data(), password.size(), opslimit_,
                           static_cast<size_t>(memlimit_));
  }
  if (rc != 0) return absl::ResourceExhaustedError("password hashing ran out of memory");
  return std::string(out);
}

bool PasswordHasher::Verify(absl::string_view hash, absl::string_view password) {
  // crypto_pwhash_str_verify wants a NUL-terminated hash within STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  hash.copy(buf, hash.size());
  Slot slot(this);
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

bool PasswordHasher::NeedsRehash(absl::string_view hash) const {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  hash.copy(buf, hash.size());
  return crypto_pwhash_str_needs_rehash(buf, opslimit_, static_cast<size_t>(memlimit_)) != 0;
}

void PasswordHasher::VerifyDummy(absl::string_view password) {
  std::string dummy;
  {
    MutexLock lock(&dummy_mu_);
    if (dummy_hash_.empty()) {
      auto h = Hash(NewRandomToken());
      if (h.ok()) dummy_hash_ = *h;
    }
    dummy = dummy_hash_;
  }
  (void)Verify(dummy, password);
}

}  // namespace watchstore::internal
