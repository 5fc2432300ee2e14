// A separate OS process that checks out against a PostgreSQL database, for
// the cross-process oversell test (postgres_concurrency_test.cc).
//
//   postgres_checkout_helper URL USER_ID VARIANT_ID THREADS
//
// Each thread buys one unit at a time until the variant is sold out. Prints
// "sold=N refused=N errors=N" and exits 0 if there was no unexpected error.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "watchstore/errors.h"
#include "watchstore/postgres_storage.h"

int main(int argc, char** argv) {
  int64_t user_id = 0, variant_id = 0;
  int threads = 0;
  if (argc != 5 || !absl::SimpleAtoi(argv[2], &user_id) ||
      !absl::SimpleAtoi(argv[3], &variant_id) || !absl::SimpleAtoi(argv[4], &threads) ||
      threads < 1) {
    std::fprintf(stderr, "usage: %s URL USER_ID VARIANT_ID THREADS\n", argv[0]);
    return 2;
  }
  watchstore::PostgresOptions options;
  options.url = argv[1];
  options.pool_size = threads;
  options.statement_timeout = absl::Seconds(30);
  auto storage = watchstore::NewPostgresStorage(options);
  if (!storage.ok()) {
    std::fprintf(stderr, "open: %s\n", storage.status().ToString().c_str());
    return 1;
  }
  std::atomic<int> sold{0}, refused{0}, errors{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int n = 0;; ++n) {
        watchstore::NewOrder o;
        o.user_id = user_id;
        o.idempotency_key = absl::StrCat("proc-", getpid(), "-", t, "-", n);
        o.request_fingerprint = o.idempotency_key;
        o.lines = {{variant_id, 1}};
        o.shipping = {"Ada Lovelace", "1 Main St", "", "London", "N1", "GB"};
        o.clear_user_cart = false;
        o.now = absl::Now();
        auto r = (*storage)->PlaceOrder(o);
        if (r.ok()) {
          ++sold;
        } else if (watchstore::ReasonOf(r.status()) == watchstore::reason::kOutOfStock) {
          ++refused;
          return;
        } else {
          std::fprintf(stderr, "checkout: %s\n", r.status().ToString().c_str());
          if (++errors > 10) return;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  std::printf("sold=%d refused=%d errors=%d\n", sold.load(), refused.load(), errors.load());
  return errors.load() == 0 ? 0 : 1;
}
