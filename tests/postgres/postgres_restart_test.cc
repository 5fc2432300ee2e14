// The pool survives a PostgreSQL restart: killing the server (pg_ctl -m
// immediate) costs the requests in flight and those made while it is down,
// every one failing with Unavailable; once it is back the pool reconnects
// and everything succeeds.
//
// Runs against a private cluster started in a temporary directory with
// scripts/services.sh (so restarting it disturbs no other test). Like the
// other PostgreSQL tests it runs when WATCHSTORE_TEST_POSTGRES_URL is set.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pg_test_support.h"
#include "test_util.h"
#include "watchstore/postgres_storage.h"

namespace watchstore::testing {
namespace {

constexpr int kPoolSize = 4;

class PostgresRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WS_REQUIRE_POSTGRES();
    ASSERT_TRUE(server_.Start()) << "could not start a private PostgreSQL";
    {
      // services.sh runs test servers with synchronous_commit = off, which
      // loses the last commits on a crash: this test wants what production
      // has, a commit that is durable once acknowledged.
      internal::pg::ConnectSettings admin;
      admin.url = server_.url();
      auto conn = internal::pg::Connection::Open(admin);
      ASSERT_TRUE(conn.ok()) << conn.status();
      ASSERT_TRUE((*conn)->ExecuteScript("ALTER SYSTEM SET synchronous_commit = on").ok());
      ASSERT_TRUE((*conn)->ExecuteScript("SELECT pg_reload_conf()").ok());
    }
    PostgresOptions o;
    o.url = server_.url();
    o.pool_size = kPoolSize;
    o.connect_timeout = absl::Seconds(2);
    o.statement_timeout = absl::Seconds(10);
    o.pool_wait_timeout = absl::Seconds(10);
    auto s = NewPostgresStorage(o);
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = *std::move(s);
    user_ = MakeUser(*storage_, "buyer@example.com");
    auto p = storage_->CreateProduct(WatchDraft("RST", 100'00, 1'000'000), absl::Now());
    ASSERT_TRUE(p.ok()) << p.status();
    product_ = *p;
    WarmEveryConnection();
  }

  // Opens all kPoolSize connections (concurrent requests).
  void WarmEveryConnection() {
    std::vector<std::thread> threads;
    for (int i = 0; i < 2 * kPoolSize; ++i) {
      threads.emplace_back([&] {
        for (int k = 0; k < 20; ++k) EXPECT_TRUE(storage_->GetProduct(product_.id).ok());
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(PostgresPoolStatsOf(*storage_)->open, kPoolSize);
  }

  // One request: alternately a checkout and a product read.
  absl::Status Request(int thread, int n) {
    if (n % 2 == 0) return storage_->GetProduct(product_.id).status();
    NewOrder o;
    o.user_id = user_.id;
    o.idempotency_key = absl::StrCat("r-", thread, "-", n);
    o.request_fingerprint = o.idempotency_key;
    o.lines = {{product_.variants[0].id, 1}};
    o.shipping = {"Ada Lovelace", "1 Main St", "", "London", "N1", "GB"};
    o.clear_user_cart = false;
    o.now = absl::Now();
    return storage_->PlaceOrder(o).status();
  }

  // Stock taken equals the units of the orders that exist: a failed request
  // never took stock without its order, or the reverse.
  void ExpectStockMatchesOrders() {
    auto p = storage_->GetProduct(product_.id);
    ASSERT_TRUE(p.ok()) << p.status();
    int64_t units = 0;
    OrderQuery q;
    q.limit = 100;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto page = storage_->ListOrders(q);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const Order& o : page->items) units += o.lines[0].quantity;
      if (!page->has_more) break;
      q.before_id = page->items.back().id;
    }
    EXPECT_EQ(p->variants[0].stock + units, 1'000'000);
  }

  PrivatePostgres server_;
  std::unique_ptr<Storage> storage_;
  User user_;
  Product product_;
};

TEST_F(PostgresRestartTest, IdlePoolRecoversAfterRestart) {
  ASSERT_TRUE(server_.Restart());
  int failures = 0;
  bool succeeded = false;
  for (int n = 0; n < 40; ++n) {
    const absl::Status s = Request(0, n);
    if (s.ok()) {
      succeeded = true;
      continue;
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_FALSE(succeeded) << "a failure after the pool had recovered: " << s;
    ++failures;
  }
  std::cout << "requests failed after an idle restart: " << failures << "\n";
  EXPECT_LE(failures, kPoolSize);
  // Concurrent use touches every pooled connection: all were replaced.
  std::atomic<int> later_failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kPoolSize; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 20; ++n) {
        if (!Request(t + 1, n).ok()) ++later_failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(later_failures.load(), 0);
  EXPECT_GE(PostgresPoolStatsOf(*storage_)->reconnects, 1);
  ExpectStockMatchesOrders();
}

TEST_F(PostgresRestartTest, KillDuringLoadCostsOnlyInFlightRequests) {
  struct Outcome {
    absl::Time start, end;
    absl::Status status;
  };
  std::mutex mu;
  std::vector<std::vector<Outcome>> outcomes(kPoolSize);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < kPoolSize; ++t) {
    workers.emplace_back([&, t] {
      for (int n = 0; !stop.load(); ++n) {
        Outcome o;
        o.start = absl::Now();
        o.status = Request(t, n);
        o.end = absl::Now();
        if (!o.status.ok()) absl::SleepFor(absl::Milliseconds(5));  // no hot loop while down
        std::lock_guard<std::mutex> lock(mu);
        outcomes[t].push_back(o);
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));
  const absl::Time kill = absl::Now();
  ASSERT_TRUE(server_.Stop());              // pg_ctl -m immediate: backends die mid-request
  absl::SleepFor(absl::Milliseconds(300));  // down: requests fail fast
  ASSERT_TRUE(server_.Restart());           // returns once the server accepts connections
  const absl::Time up = absl::Now();
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  for (std::thread& w : workers) w.join();

  // The server died at some moment no later than the end of the first
  // failure; a request that started before that moment and failed was in
  // flight at the kill. One per thread at most (each thread has one request
  // in flight, and pauses after a failure).
  absl::Time first_failure_end = absl::InfiniteFuture();
  for (const auto& per_thread : outcomes) {
    for (const Outcome& o : per_thread) {
      if (!o.status.ok()) first_failure_end = std::min(first_failure_end, o.end);
    }
  }
  int before_kill = 0, in_flight_at_kill = 0, in_flight_or_down = 0, after_up = 0, ok_after_up = 0;
  for (int t = 0; t < kPoolSize; ++t) {
    bool recovered = false;
    for (const Outcome& o : outcomes[t]) {
      if (!o.status.ok()) {
        // Whatever failed, failed as Unavailable (retry later), nothing else.
        EXPECT_EQ(o.status.code(), absl::StatusCode::kUnavailable) << o.status;
      }
      if (o.end < kill) {
        before_kill += o.status.ok() ? 0 : 1;
      } else if (o.start < up) {
        in_flight_or_down += o.status.ok() ? 0 : 1;
        if (o.start < first_failure_end) in_flight_at_kill += o.status.ok() ? 0 : 1;
      } else {
        if (o.status.ok()) {
          ++ok_after_up;
          recovered = true;
        } else {
          ++after_up;
          EXPECT_FALSE(recovered) << "failure after this thread had recovered: " << o.status;
        }
      }
    }
  }
  std::cout << "failures: before kill " << before_kill << ", in flight at the kill "
            << in_flight_at_kill << ", in flight or while down " << in_flight_or_down
            << ", after restart " << after_up << "; successes after restart " << ok_after_up
            << "; reconnects " << PostgresPoolStatsOf(*storage_)->reconnects << "\n";
  EXPECT_EQ(before_kill, 0);
  EXPECT_LE(in_flight_at_kill, kPoolSize);  // one request per connection at most
  EXPECT_LE(after_up, kPoolSize);
  EXPECT_GT(ok_after_up, 0);
  ExpectStockMatchesOrders();
}

}  // namespace
}  // namespace watchstore::testing
