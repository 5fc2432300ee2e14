// The services over a Redis cache (alone, and tiered with an L1): every write
// a reader could see invalidates what is cached, warm reads cost no storage
// query, a stampede costs one, and two instances sharing Redis see each
// other's writes.
#include <thread>

#include "absl/synchronization/barrier.h"
#include "codec.h"
#include "crypto.h"
#include "redis_store_fixture.h"

namespace watchstore::testing {
namespace {

constexpr char kPassword[] = "correct horse battery";

class RedisStoreTest : public RedisStoreFixture {};

TEST_P(RedisStoreTest, AWarmProductReadDoesNoStorageQuery) {
  auto p = AddWatch("WARM");
  WS_ASSERT_OK(store_->catalog().GetProduct(p->id));
  const int64_t reads = counting_->product_reads.load();
  const int64_t hits = store_->cache().Stats().hits;
  for (int i = 0; i < 100; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(auto again, store_->catalog().GetProduct(p->id));
    EXPECT_EQ(again->version, p->version);
  }
  EXPECT_EQ(counting_->product_reads.load(), reads);
  EXPECT_GE(store_->cache().Stats().hits - hits, 100);
  // Listing pages too.
  WS_ASSERT_OK(store_->catalog().ListProducts({}, ""));
  const int64_t lists = counting_->list_reads.load();
  for (int i = 0; i < 20; ++i) WS_ASSERT_OK(store_->catalog().ListProducts({}, ""));
  EXPECT_EQ(counting_->list_reads.load(), lists);
}

TEST_P(RedisStoreTest, AProductUpdateIsSeenByTheNextRead) {
  auto p = AddWatch("UPD", 100'00);
  WS_ASSERT_OK(store_->catalog().GetProduct(p->id));
  WS_ASSERT_OK(store_->catalog().ListProducts({}, ""));
  ProductDraft d = WatchDraft("UPD", 100'00);
  d.model = "Renamed";
  d.variants[0].id = p->variants[0].id;
  d.variants[0].price = Usd(90'00);
  WS_ASSERT_OK(store_->catalog().UpdateProduct(admin_, p->id, p->version, d));
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->model, "Renamed");
  EXPECT_EQ(after->variants[0].price, Usd(90'00));
  WS_ASSERT_OK_AND_ASSIGN(auto listing, store_->catalog().ListProducts({}, ""));
  ASSERT_EQ(listing.items.size(), 1u);
  EXPECT_EQ(listing.items[0]->model, "Renamed");
}

TEST_P(RedisStoreTest, CheckoutAndCancelChangeStockForReaders) {
  auto p = AddWatch("STK", 100'00, /*stock=*/5);
  const VariantId v = p->variants[0].id;
  WS_ASSERT_OK(store_->catalog().GetProduct(p->id));
  WS_ASSERT_OK(store_->carts().AddItem(store_->carts().UserOwner(alice_), v, 2));
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, store_->orders().Checkout(alice_, Checkout("c1")));
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 3);
  WS_ASSERT_OK(store_->orders().CancelOrder(alice_, r.order.id));
  WS_ASSERT_OK_AND_ASSIGN(auto restored, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(restored->variants[0].stock, 5);
  WS_ASSERT_OK_AND_ASSIGN(auto adjusted, store_->catalog().AdjustStock(admin_, v, -1));
  WS_ASSERT_OK_AND_ASSIGN(auto read, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(read->variants[0].stock, 4);
  EXPECT_EQ(read->version, adjusted->version);
}

TEST_P(RedisStoreTest, AnArchivedProductLeavesDetailAndListings) {
  auto p = AddWatch("ARC");
  WS_ASSERT_OK(store_->catalog().GetProduct(p->id));
  WS_ASSERT_OK_AND_ASSIGN(auto before, store_->catalog().ListProducts({}, ""));
  ASSERT_EQ(before.items.size(), 1u);
  WS_ASSERT_OK(store_->catalog().ArchiveProduct(admin_, p->id, p->version));
  WS_EXPECT_CODE(store_->catalog().GetProduct(p->id), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().ListProducts({}, ""));
  EXPECT_TRUE(after.items.empty());
}

TEST_P(RedisStoreTest, ASoldOutProductLeavesInStockListingsAtOnce) {
  auto p = AddWatch("SOLD", 100'00, /*stock=*/1);
  ProductQuery in_stock;
  in_stock.in_stock_only = true;
  WS_ASSERT_OK_AND_ASSIGN(auto all, store_->catalog().ListProducts({}, ""));
  ASSERT_EQ(all.items.size(), 1u);
  EXPECT_TRUE(all.items[0]->InStock());
  WS_ASSERT_OK_AND_ASSIGN(auto avail, store_->catalog().ListProducts(in_stock, ""));
  ASSERT_EQ(avail.items.size(), 1u);
  WS_ASSERT_OK(store_->carts().AddItem(store_->carts().UserOwner(alice_), p->variants[0].id, 1));
  WS_ASSERT_OK(store_->orders().Checkout(alice_, Checkout("sell-out")));
  WS_ASSERT_OK_AND_ASSIGN(all, store_->catalog().ListProducts({}, ""));
  ASSERT_EQ(all.items.size(), 1u);
  EXPECT_FALSE(all.items[0]->InStock());
  WS_ASSERT_OK_AND_ASSIGN(avail, store_->catalog().ListProducts(in_stock, ""));
  EXPECT_TRUE(avail.items.empty());
}

TEST_P(RedisStoreTest, LogoutEndsTheSession) {
  WS_ASSERT_OK(store_->accounts().Register("carol@example.com", kPassword));
  WS_ASSERT_OK_AND_ASSIGN(
      LoginResult login, store_->accounts().Login("carol@example.com", kPassword, "127.0.0.1", ""));
  WS_ASSERT_OK(store_->accounts().Authenticate(login.token));
  const int64_t reads = counting_->session_reads.load();
  WS_ASSERT_OK(store_->accounts().Authenticate(login.token));
  EXPECT_EQ(counting_->session_reads.load(), reads);  // served from the cache
  WS_ASSERT_OK(store_->accounts().Logout(login.token));
  WS_EXPECT_CODE(store_->accounts().Authenticate(login.token), absl::StatusCode::kUnauthenticated);
}

// A slow storage read, so that every thread of a burst misses together.
class SlowProductStorage : public CountingStorage {
 public:
  using CountingStorage::CountingStorage;
  absl::StatusOr<Product> GetProduct(ProductId id) override {
    absl::SleepFor(absl::Milliseconds(200));
    return CountingStorage::GetProduct(id);
  }
};

TEST_P(RedisStoreTest, AStampedeOnOneKeyCostsOneStorageRead) {
  auto slow = std::make_unique<SlowProductStorage>(base_.get());
  SlowProductStorage* counting = slow.get();
  std::unique_ptr<Store> store = OpenStore(std::move(slow));
  ASSERT_NE(store, nullptr);
  auto p = store->catalog().CreateProduct(admin_, WatchDraft("HOT"));
  ASSERT_TRUE(p.ok()) << p.status();
  constexpr int kThreads = 16;
  absl::Barrier* start = new absl::Barrier(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      if (start->Block()) delete start;
      auto got = store->catalog().GetProduct((*p)->id);
      if (got.ok() && (*got)->id == (*p)->id) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(counting->product_reads.load(), 1);
}

TEST_P(RedisStoreTest, TwoInstancesSeeEachOthersWrites) {
  std::unique_ptr<Store> other = OpenStore(std::make_unique<CountingStorage>(base_.get()));
  ASSERT_NE(other, nullptr);
  WaitUntilSubscribed(*other);
  auto p = AddWatch("TWO", 100'00, /*stock=*/1);
  // The other instance caches detail, listing and a session.
  WS_ASSERT_OK(other->catalog().GetProduct(p->id));
  WS_ASSERT_OK_AND_ASSIGN(auto listed, other->catalog().ListProducts({}, ""));
  ASSERT_EQ(listed.items.size(), 1u);
  ASSERT_TRUE(listed.items[0]->InStock());
  WS_ASSERT_OK(store_->accounts().Register("dave@example.com", kPassword));
  WS_ASSERT_OK_AND_ASSIGN(LoginResult login,
                          store_->accounts().Login("dave@example.com", kPassword, "127.0.0.1", ""));
  WS_ASSERT_OK(other->accounts().Authenticate(login.token));
  WS_ASSERT_OK(other->accounts().Authenticate(login.token));

  // This instance sells it out: the other's listing shows it out of stock
  // within the propagation delay, and its detail shows the new stock.
  const absl::Time t0 = absl::Now();
  WS_ASSERT_OK(store_->carts().AddItem(store_->carts().UserOwner(alice_), p->variants[0].id, 1));
  WS_ASSERT_OK(store_->orders().Checkout(alice_, Checkout("two")));
  const absl::Time written = absl::Now();
  EXPECT_TRUE(WaitFor(
      [&] {
        auto l = other->catalog().ListProducts({}, "");
        return l.ok() && l->items.size() == 1 && !l->items[0]->InStock();
      },
      absl::Seconds(2)));
  const absl::Duration listing_delay = absl::Now() - written;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto d = other->catalog().GetProduct(p->id);
        return d.ok() && (*d)->variants[0].stock == 0;
      },
      absl::Seconds(2)));
  std::cout << GetParam() << ": other instance saw the sell-out " << listing_delay
            << " after the checkout returned (checkout took " << (written - t0) << ")\n";
  EXPECT_LT(listing_delay, absl::Milliseconds(500));

  // Logout here ends the session there.
  WS_ASSERT_OK(store_->accounts().Logout(login.token));
  EXPECT_TRUE(WaitFor(
      [&] { return absl::IsUnauthenticated(other->accounts().Authenticate(login.token).status()); },
      absl::Seconds(2)));
}

// Revocation reaches every instance within a second: a role change and a
// logout on one are seen by the next request on another that had the
// session cached.
TEST_P(RedisStoreTest, ARoleChangeAndALogoutReachEveryInstanceWithinASecond) {
  std::unique_ptr<Store> other = OpenStore(std::make_unique<CountingStorage>(base_.get()));
  ASSERT_NE(other, nullptr);
  WaitUntilSubscribed(*other);
  WS_ASSERT_OK(store_->accounts().Register("erin@example.com", kPassword));
  WS_ASSERT_OK_AND_ASSIGN(LoginResult login,
                          store_->accounts().Login("erin@example.com", kPassword, "127.0.0.1", ""));
  WS_ASSERT_OK_AND_ASSIGN(Principal before, other->accounts().Authenticate(login.token));
  EXPECT_EQ(before.role, Role::kCustomer);
  WS_ASSERT_OK(other->accounts().Authenticate(login.token));  // cached there now

  WS_ASSERT_OK(store_->accounts().SetRole("erin@example.com", Role::kAdmin));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto p = other->accounts().Authenticate(login.token);
        return p.ok() && p->role == Role::kAdmin;
      },
      absl::Seconds(1)));
  WS_ASSERT_OK(store_->accounts().SetRole("erin@example.com", Role::kCustomer));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto p = other->accounts().Authenticate(login.token);
        return p.ok() && p->role == Role::kCustomer;
      },
      absl::Seconds(1)));
  WS_ASSERT_OK(store_->accounts().Logout(login.token));
  EXPECT_TRUE(WaitFor(
      [&] { return absl::IsUnauthenticated(other->accounts().Authenticate(login.token).status()); },
      absl::Seconds(1)));
}

// Someone who can write to Redis but lacks the seal key cannot mint a
// session: forged entries for a token of their choosing are ignored, and
// storage (which has no such session) decides.
TEST_P(RedisStoreTest, ForgedCachedSessionsAreIgnored) {
  const std::string token(43, 'A');  // well-formed, never issued
  const std::string hash = internal::Sha256Hex(token);
  const SessionRecord forged_session{hash, admin_.user_id, absl::Now(), absl::Now()};
  const Principal forged_user{admin_.user_id, Role::kAdmin, "admin@example.com"};
  auto raw = NewRedisCache(Options());
  ASSERT_TRUE(raw.ok());
  auto put = [&](const std::string& key, std::string bytes) {
    (*raw)->Put(key, std::make_shared<const CacheValue>(CacheValue{std::move(bytes), nullptr}),
                absl::Minutes(1));
  };
  // Unsealed, and sealed with another key.
  for (bool sealed : {false, true}) {
    const std::string wrong_key(32, 'x');
    const absl::Time now = absl::Now();
    std::string s = internal::EncodeSessionRecord(forged_session);
    std::string u = internal::EncodePrincipal(forged_user);
    if (sealed) {
      s = internal::SealValue(wrong_key, s, now);
      u = internal::SealValue(wrong_key, u, now);
    }
    put("s:" + hash, s);
    put("u:" + std::to_string(admin_.user_id), u);
    std::unique_ptr<Store> fresh = OpenStore(std::make_unique<CountingStorage>(base_.get()));
    ASSERT_NE(fresh, nullptr);
    WS_EXPECT_CODE(fresh->accounts().Authenticate(token), absl::StatusCode::kUnauthenticated);
  }
}

// Login attempts are counted in Redis: two instances share one budget.
TEST_P(RedisStoreTest, TwoInstancesCountLoginFailuresTogether) {
  std::unique_ptr<Store> other = OpenStore(std::make_unique<CountingStorage>(base_.get()));
  ASSERT_NE(other, nullptr);
  WS_ASSERT_OK(store_->accounts().Register("frank@example.com", kPassword));
  for (int i = 0; i < 6; ++i) {
    Store& s = i % 2 ? *other : *store_;
    WS_EXPECT_REASON(s.accounts().Login("frank@example.com", "wrong password!", "10.3.0.1"),
                     absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials);
  }
  WS_EXPECT_REASON(store_->accounts().Login("frank@example.com", kPassword, "10.3.0.1"),
                   absl::StatusCode::kResourceExhausted, reason::kThrottled);
  WS_EXPECT_REASON(other->accounts().Login("frank@example.com", kPassword, "10.3.0.1"),
                   absl::StatusCode::kResourceExhausted, reason::kThrottled);
}

// With its Redis unreachable, the limiter is Unavailable and Accounts
// counts attempts in process: throttling never switches off.
TEST(RedisLoginLimiterTest, AnUnreachableRedisFallsBackToTheLocalTable) {
  RedisOptions o = TestRedisOptions("redis://127.0.0.1:1/0");
  o.connect_timeout = absl::Milliseconds(50);
  auto limiter = NewRedisLoginLimiter(o);
  ASSERT_TRUE(limiter.ok());
  LoginAttemptKeys keys{"acct:x", "addr:y"};
  auto r = (*limiter)->Reserve(keys, LoginThrottlePolicy{}, absl::Now());
  WS_EXPECT_CODE(r, absl::StatusCode::kUnavailable);

  StoreOptions options = TestStoreOptions(nullptr);
  options.login_limiter = *std::move(limiter);
  auto store = Store::Open(options, NewMemoryStorage(), *NewMemoryCache({}));
  ASSERT_TRUE(store.ok());
  WS_ASSERT_OK((*store)->accounts().Register("gina@example.com", kPassword));
  for (int i = 0; i < 6; ++i) {
    WS_EXPECT_CODE((*store)->accounts().Login("gina@example.com", "wrong password!", "10.4.0.1"),
                   absl::StatusCode::kUnauthenticated);
  }
  WS_EXPECT_REASON((*store)->accounts().Login("gina@example.com", kPassword, "10.4.0.1"),
                   absl::StatusCode::kResourceExhausted, reason::kThrottled);
}

INSTANTIATE_TEST_SUITE_P(Caches, RedisStoreTest, ::testing::Values("redis", "tiered"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace watchstore::testing
