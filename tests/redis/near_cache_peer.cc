// A second process holding a tiered cache (memory L1 + Redis L2 + pub/sub
// feed), driven over stdin/stdout by tiered_cache_test to measure how fast
// another process's writes reach this process's L1.
//
//   redis_near_cache_peer <redis-url> <namespace>
//   -> "ready" once subscribed
//   <- "load KEY VALUE"   read KEY until it is served from L1 with VALUE -> "loaded"
//   <- "watch KEY VALUE"  -> "watching", then read KEY in a loop until it is no
//                            longer VALUE -> "changed <steady-clock ns>"
//   <- "quit"
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "watchstore/cache.h"
#include "watchstore/redis_cache.h"
#include "watchstore/tiered_cache.h"

namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Say(const std::string& line) {
  std::cout << line << std::endl;  // flushes
}

}  // namespace

int main(int argc, char** argv) {
  using namespace watchstore;
  if (argc != 3) {
    std::cerr << "usage: redis_near_cache_peer <redis-url> <namespace>\n";
    return 2;
  }
  RedisOptions o;
  o.url = argv[1];
  o.key_namespace = argv[2];
  o.connect_timeout = absl::Milliseconds(500);
  o.command_timeout = absl::Milliseconds(500);
  auto l1 = NewMemoryCache({});
  auto l2 = NewRedisCache(o);
  auto feed = NewRedisInvalidationFeed(o);
  if (!l1.ok() || !l2.ok() || !feed.ok()) {
    std::cerr << "cannot open the caches\n";
    return 1;
  }
  Cache* near = l1->get();
  InvalidationFeed* f = feed->get();
  TieredCacheOptions t;
  t.l1_ttl = absl::Seconds(30);
  auto tiered = NewTieredCache(*std::move(l1), *std::move(l2), t, *std::move(feed));
  if (!tiered.ok()) return 1;
  Cache& cache = **tiered;
  const CacheDecoder decode = [](absl::string_view b) -> CacheValuePtr {
    return std::make_shared<const CacheValue>(CacheValue{std::string(b), nullptr});
  };

  for (int i = 0; i < 5000 && !f->Connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!f->Connected()) {
    Say("error not-subscribed");
    return 1;
  }
  Say("ready");

  std::string verb, key, value;
  while (std::cin >> verb) {
    if (verb == "quit") break;
    if (!(std::cin >> key >> value)) break;
    if (verb == "load") {
      bool loaded = false;
      for (int i = 0; i < 5000 && !loaded; ++i) {
        const int64_t hits = near->Stats().hits;
        CacheValuePtr v = cache.Get(key, decode);
        loaded = v != nullptr && v->bytes == value && near->Stats().hits > hits;
        if (!loaded) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      Say(loaded ? "loaded" : "error load");
    } else if (verb == "watch") {
      Say("watching");
      const int64_t deadline = SteadyNanos() + int64_t{10'000'000'000};
      bool changed = false;
      while (!changed && SteadyNanos() < deadline) {
        CacheValuePtr v = cache.Get(key, decode);
        changed = v == nullptr || v->bytes != value;
        if (changed) {
          Say("changed " + std::to_string(SteadyNanos()));
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
      }
      if (!changed) Say("error timeout");
    } else {
      Say("error verb");
    }
  }
  return 0;
}
