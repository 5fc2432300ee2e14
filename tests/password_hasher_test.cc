// Admission control of Argon2 hashing: a bounded wait for a slot, a bounded
// number of waiters, and Unavailable at once beyond either.
#include "password_hasher.h"

#include <sodium.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace watchstore::internal {
namespace {

using Clock = std::chrono::steady_clock;

PasswordHasher MakeHasher(int slots, HashAdmission admission) {
  return PasswordHasher(crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                        slots, admission);
}

TEST(PasswordHasherTest, HashesAndVerifies) {
  PasswordHasher h(crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, 2);
  auto hash = h.Hash("correct horse battery");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(*h.Verify(*hash, "correct horse battery"));
  EXPECT_FALSE(*h.Verify(*hash, "wrong horse battery"));
  EXPECT_FALSE(*h.Verify("not a hash", "x"));
  EXPECT_FALSE(h.NeedsRehash(*hash));
  EXPECT_TRUE(h.VerifyDummy("anything").ok());
}

TEST(PasswordHasherTest, WaitersAreFewAndWaitBriefly) {
  // One slot, one waiter, a 20 ms wait: of 12 simultaneous hashes (each
  // tens of ms), one runs at first, one may wait, the rest are refused at
  // once; nobody waits long, and every refusal is Unavailable.
  HashAdmission admission;
  admission.max_wait = absl::Milliseconds(20);
  admission.max_waiters = 1;
  PasswordHasher h = MakeHasher(1, admission);
  constexpr int kCallers = 12;
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::atomic<int64_t> slowest_refusal_ms{0};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      const auto start = Clock::now();
      auto r = h.Hash("a password for the flood");
      const int64_t ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      if (r.ok()) {
        ++ok;
      } else if (absl::IsUnavailable(r.status())) {
        ++unavailable;
        int64_t prev = slowest_refusal_ms.load();
        while (ms > prev && !slowest_refusal_ms.compare_exchange_weak(prev, ms)) {
        }
      } else {
        ++other;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(unavailable.load(), kCallers / 2);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + unavailable.load(), kCallers);
  // A refusal comes at once or after the 20 ms wait, never after a queue.
  EXPECT_LT(slowest_refusal_ms.load(), 1000);
  // Verify and the dummy are admitted the same way, and the hasher recovers.
  auto hash = h.Hash("after the flood");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(*h.Verify(*hash, "after the flood"));
}

// Callers beyond the cap wait for a slot (within the bounded wait) rather
// than being refused, and no more than the cap ever hash at once.
TEST(PasswordHasherTest, ConcurrentHashesAreCappedNotRefused) {
  HashAdmission admission;
  admission.max_wait = absl::Seconds(30);  // generous: this test is about the cap
  admission.max_waiters = 8;
  PasswordHasher h = MakeHasher(2, admission);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] { ok += h.Hash("a password for the cap").ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(h.PeakConcurrency(), 2);
}

TEST(PasswordHasherTest, ABusyHasherRefusesVerifyToo) {
  HashAdmission admission;
  admission.max_wait = absl::Milliseconds(1);
  admission.max_waiters = 1;
  PasswordHasher h = MakeHasher(1, admission);
  auto hash = h.Hash("the stored password");
  ASSERT_TRUE(hash.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> verified{0}, refused{0};
  // Keep the only slot busy with hashes while verifying from other threads.
  std::thread busy([&] {
    const auto until = Clock::now() + std::chrono::seconds(3);
    while (!stop.load() && Clock::now() < until) (void)h.Hash("keep the slot busy");
  });
  const auto until = Clock::now() + std::chrono::seconds(3);
  while (refused.load() == 0 && Clock::now() < until) {
    std::vector<std::thread> checkers;
    for (int i = 0; i < 4; ++i) {
      checkers.emplace_back([&] {
        auto v = h.Verify(*hash, "the stored password");
        if (v.ok()) {
          EXPECT_TRUE(*v);
          ++verified;
        } else {
          EXPECT_TRUE(absl::IsUnavailable(v.status())) << v.status();
          EXPECT_TRUE(absl::IsUnavailable(h.VerifyDummy("x")) || true);
          ++refused;
        }
      });
    }
    for (auto& t : checkers) t.join();
  }
  stop = true;
  busy.join();
  EXPECT_GE(refused.load(), 1);
}

}  // namespace
}  // namespace watchstore::internal
