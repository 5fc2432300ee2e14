// What the memory cache promises beyond the conformance suite: LRU eviction
// within a byte budget, and option validation.
#include "test_util.h"

namespace watchstore {
namespace {

CacheValuePtr Bytes(size_t n) {
  return std::make_shared<const CacheValue>(CacheValue{std::string(n, 'v'), nullptr});
}
const CacheDecoder kNone = [](absl::string_view) { return CacheValuePtr(); };

TEST(MemoryCacheTest, EvictsLeastRecentlyUsedPastBudget) {
  FakeClock clock;
  MemoryCacheOptions o;
  o.capacity_bytes = 10 * 1100;
  o.shards = 1;
  o.clock = &clock;
  WS_ASSERT_OK_AND_ASSIGN(auto cache, NewMemoryCache(o));
  for (int i = 0; i < 9; ++i) cache->Put("k" + std::to_string(i), Bytes(1000), absl::Hours(1));
  ASSERT_NE(cache->Get("k0", kNone), nullptr);  // k0 is now the most recent
  for (int i = 9; i < 12; ++i) cache->Put("k" + std::to_string(i), Bytes(1000), absl::Hours(1));
  EXPECT_NE(cache->Get("k0", kNone), nullptr);
  EXPECT_EQ(cache->Get("k1", kNone), nullptr);
  EXPECT_NE(cache->Get("k11", kNone), nullptr);
  EXPECT_LE(cache->Stats().bytes, o.capacity_bytes);
  cache->Put("huge", Bytes(50'000), absl::Hours(1));  // larger than the budget: not kept
  EXPECT_EQ(cache->Get("huge", kNone), nullptr);
  EXPECT_NE(cache->Get("k11", kNone), nullptr);
}

// FillWithGrace: past its TTL the value is served, marked stale, to lookups
// with a ticket (never to Get), until the grace ends; an Erase ends it.
TEST(MemoryCacheTest, GraceServesStaleCopiesToTicketedLookupsOnly) {
  FakeClock clock;
  MemoryCacheOptions o;
  o.clock = &clock;
  WS_ASSERT_OK_AND_ASSIGN(auto cache, NewMemoryCache(o));
  FillTicket t;
  ASSERT_EQ(cache->Lookup("k", kNone, &t), nullptr);
  ASSERT_TRUE(cache->FillWithGrace("k", Bytes(3), absl::Seconds(5), absl::Seconds(10), t));
  ASSERT_NE(cache->Lookup("k", kNone, &t), nullptr);
  EXPECT_FALSE(t.stale);
  clock.Advance(absl::Seconds(6));
  EXPECT_EQ(cache->Get("k", kNone), nullptr);  // Get never sees a stale copy
  ASSERT_NE(cache->Lookup("k", kNone, &t), nullptr);
  EXPECT_TRUE(t.stale);
  EXPECT_EQ(cache->Stats().stale_hits, 1);
  // A refill under the stale hit's ticket makes it fresh again.
  ASSERT_TRUE(cache->FillWithGrace("k", Bytes(4), absl::Seconds(5), absl::Seconds(10), t));
  ASSERT_NE(cache->Lookup("k", kNone, &t), nullptr);
  EXPECT_FALSE(t.stale);
  // Past TTL + grace: gone.
  clock.Advance(absl::Seconds(16));
  EXPECT_EQ(cache->Lookup("k", kNone, &t), nullptr);
  // An Erase ends the grace at once.
  ASSERT_TRUE(cache->FillWithGrace("e", Bytes(3), absl::Seconds(5), absl::Seconds(10), t));
  clock.Advance(absl::Seconds(6));
  cache->Erase("e");
  EXPECT_EQ(cache->Lookup("e", kNone, &t), nullptr);
  EXPECT_FALSE(t.stale);
  // PutWithGrace: the same, for a write.
  cache->PutWithGrace("w", Bytes(3), absl::Seconds(5), absl::Seconds(10));
  clock.Advance(absl::Seconds(6));
  ASSERT_NE(cache->Lookup("w", kNone, &t), nullptr);
  EXPECT_TRUE(t.stale);
  // Plain fills have no grace.
  ASSERT_EQ(cache->Lookup("p", kNone, &t), nullptr);
  ASSERT_TRUE(cache->Fill("p", Bytes(3), absl::Seconds(5), t));
  clock.Advance(absl::Seconds(6));
  EXPECT_EQ(cache->Lookup("p", kNone, &t), nullptr);
}

// Short keys (up to 16 bytes) are kept and compared as words in the index
// slot, longer ones by their full bytes: keys of every length, keys that
// differ in one byte only, and keys that are prefixes of one another stay
// apart, through inserts, erases, eviction and the index growing.
TEST(MemoryCacheTest, KeysOfEveryLengthStayDistinct) {
  MemoryCacheOptions o;
  o.shards = 1;  // every key in one index, so that it grows and rehashes
  o.capacity_bytes = 1 << 20;
  WS_ASSERT_OK_AND_ASSIGN(auto cache, NewMemoryCache(o));
  std::vector<std::string> keys;
  for (size_t n = 0; n <= 40; ++n) {
    std::string k(n, 'k');
    keys.push_back(k);
    for (size_t i = 0; i < n; ++i) {  // one byte changed, at every position
      std::string d = k;
      d[i] = static_cast<char>(i % 2 ? '\0' : 'K');
      keys.push_back(d);
    }
  }
  auto value_of = [](size_t i) {
    return std::make_shared<const CacheValue>(CacheValue{std::to_string(i), nullptr});
  };
  for (size_t i = 0; i < keys.size(); ++i) cache->Put(keys[i], value_of(i), absl::Hours(1));
  for (size_t i = 0; i < keys.size(); ++i) {
    CacheValuePtr v = cache->Get(keys[i], kNone);
    ASSERT_NE(v, nullptr) << "length " << keys[i].size();
    EXPECT_EQ(v->bytes, std::to_string(i)) << "length " << keys[i].size();
  }
  // Erase every other key: the rest are untouched.
  for (size_t i = 0; i < keys.size(); i += 2) cache->Erase(keys[i]);
  for (size_t i = 0; i < keys.size(); ++i) {
    CacheValuePtr v = cache->Get(keys[i], kNone);
    if (i % 2 == 0) {
      EXPECT_EQ(v, nullptr) << "length " << keys[i].size();
    } else {
      ASSERT_NE(v, nullptr) << "length " << keys[i].size();
      EXPECT_EQ(v->bytes, std::to_string(i));
    }
  }
  // A budget that holds a few entries: eviction finds its victims by key,
  // short and long alike, oldest first (nothing is read, so nothing gets a
  // second chance), and the byte count stays within the budget.
  o.capacity_bytes = 4 * (96 + 2 * 40 + 8);
  WS_ASSERT_OK_AND_ASSIGN(auto small, NewMemoryCache(o));
  for (size_t i = 0; i < keys.size(); ++i) {
    small->Put(keys[i], value_of(i), absl::Hours(1));
    EXPECT_LE(small->Stats().bytes, o.capacity_bytes);
  }
  const CacheStats st = small->Stats();
  EXPECT_GE(st.entries, 1);
  EXPECT_LE(st.entries, 7);  // the smallest charge is 97 bytes
  for (size_t i = 0; i < keys.size(); ++i) {
    CacheValuePtr v = small->Get(keys[i], kNone);
    const bool newest = i + static_cast<size_t>(st.entries) >= keys.size();
    ASSERT_EQ(v != nullptr, newest) << "key " << i << ", length " << keys[i].size();
    if (v != nullptr) {
      EXPECT_EQ(v->bytes, std::to_string(i));
    }
  }
}

TEST(MemoryCacheTest, RejectsBadOptions) {
  MemoryCacheOptions o;
  o.shards = 3;
  WS_EXPECT_CODE(NewMemoryCache(o), absl::StatusCode::kInvalidArgument);
  o.shards = 0;
  WS_EXPECT_CODE(NewMemoryCache(o), absl::StatusCode::kInvalidArgument);
  o.shards = 16;
  o.capacity_bytes = 0;
  WS_EXPECT_CODE(NewMemoryCache(o), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace watchstore
