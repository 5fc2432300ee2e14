// Catalog reads on a real streaming replica (NewPostgresReplicaRouter): a
// write on the primary shows through the replica path within the lag bound;
// read-your-writes sends a session that wrote to the primary for its window;
// a replica whose replay is paused leaves the rotation and comes back; a
// replica stopped under load costs no failed read.
//
// Each test starts a private primary and replica (scripts/services.sh), so
// stopping or pausing them disturbs no other test. Like the other PostgreSQL
// tests they run when WATCHSTORE_TEST_POSTGRES_URL is set.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "pg_test_support.h"
#include "test_util.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/read_consistency.h"

namespace watchstore::testing {
namespace {

constexpr absl::Duration kMaxLag = absl::Seconds(1);
constexpr absl::Duration kPoll = absl::Milliseconds(100);
// PostgresReplicaOptions::MaxStaleness() of the router under test.
const absl::Duration kMaxStaleness = kMaxLag + 2 * kPoll;

PostgresOptions PrimaryOptions(const std::string& url) {
  PostgresOptions o;
  o.url = url;
  o.pool_size = 8;
  return o;
}

class PostgresReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WS_REQUIRE_POSTGRES();
    ASSERT_TRUE(cluster_.Start()) << "could not start a private PostgreSQL";
    // The schema first, so the base backup has it.
    auto primary = NewPostgresStorage(PrimaryOptions(cluster_.url()));
    ASSERT_TRUE(primary.ok()) << primary.status();
    ASSERT_TRUE(cluster_.StartReplica()) << "could not start a streaming replica";
    // A second handle on the primary: "another server's" writes, which the
    // router does not see.
    auto other = NewPostgresStorage(PrimaryOptions(cluster_.url()));
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = *std::move(other);

    PostgresReplicaOptions r;
    r.urls = {cluster_.replica_url()};
    r.max_lag = kMaxLag;
    r.poll_interval = kPoll;
    ASSERT_EQ(r.MaxStaleness(), kMaxStaleness);
    auto router = NewPostgresReplicaRouter(*std::move(primary), PrimaryOptions(cluster_.url()), r);
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = *std::move(router);
    ASSERT_TRUE(WaitInRotation(true, absl::Seconds(20))) << "replica never entered the rotation";
  }

  PostgresReplicaStats Stats() { return *PostgresReplicaStatsOf(*router_); }

  bool WaitInRotation(bool in, absl::Duration bound) {
    const absl::Time until = absl::Now() + bound;
    while (absl::Now() < until) {
      if (Stats().replicas.at(0).in_rotation == in) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // A raw connection to the replica (superuser: the test role made the cluster).
  std::unique_ptr<internal::pg::Connection> RawReplica() {
    internal::pg::ConnectSettings s;
    s.url = cluster_.replica_url();
    auto c = internal::pg::Connection::Open(s);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  PrivatePostgres cluster_;
  std::unique_ptr<Storage> other_;
  std::unique_ptr<Storage> router_;
};

TEST_F(PostgresReplicaTest, WriteOnPrimaryShowsThroughReplicaWithinTheBound) {
  auto created = other_->CreateProduct(WatchDraft("REP"), absl::Now());
  ASSERT_TRUE(created.ok()) << created.status();
  ProductDraft d = WatchDraft("REP", 555'00);
  d.variants[0].id = created->variants[0].id;

  // A price change on the primary, then reads through the router: they
  // are served by the replica (no fallback: the row exists there) and see
  // the new price within the staleness bound.
  ASSERT_TRUE(other_->GetProduct(created->id).ok());
  absl::SleepFor(absl::Milliseconds(300));  // the row itself has replicated
  const PostgresReplicaStats before = Stats();
  auto updated = other_->UpdateProduct(created->id, created->version, d, absl::Now());
  ASSERT_TRUE(updated.ok()) << updated.status();
  const absl::Time written = absl::Now();
  bool seen = false;
  while (absl::Now() - written < kMaxStaleness) {
    auto p = router_->GetProduct(created->id);
    ASSERT_TRUE(p.ok()) << p.status();
    if (p->version == updated->version) {
      seen = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(seen) << "the write was not visible through the router within the bound";
  const PostgresReplicaStats after = Stats();
  EXPECT_GT(after.replica_reads, before.replica_reads);
  EXPECT_EQ(after.primary_reads, before.primary_reads);
  EXPECT_EQ(after.fallbacks, before.fallbacks);

  // Listings and facets take the replica path too.
  ProductQuery q;
  auto page = router_->ListProducts(q);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->items.size(), 1u);
  ASSERT_TRUE(router_->CountFacets(q).ok());
  EXPECT_EQ(Stats().replica_reads, after.replica_reads + 2);
}

TEST_F(PostgresReplicaTest, ReadYourWritesWindowSendsTheWritingSessionToThePrimary) {
  auto created = other_->CreateProduct(WatchDraft("RYW"), absl::Now());
  ASSERT_TRUE(created.ok()) << created.status();
  absl::SleepFor(absl::Milliseconds(300));

  FakeClock clock;
  SessionWrites writes({absl::Seconds(5), &clock});
  {
    // A writing request of session A: its reads go to the primary.
    SessionWrites::Scope scope(writes, "session-a", /*writes_data=*/true);
    const int64_t primary_before = Stats().primary_reads;
    ASSERT_TRUE(
        router_->CreateUser(NewUser{"a@example.com", "x", Role::kCustomer, absl::Now()}).ok());
    ASSERT_TRUE(router_->GetProduct(created->id).ok());
    EXPECT_EQ(Stats().primary_reads, primary_before + 1);
  }
  auto read_as = [&](const char* session) {
    SessionWrites::Scope scope(writes, session, /*writes_data=*/false);
    const PostgresReplicaStats before = Stats();
    EXPECT_TRUE(router_->GetProduct(created->id).ok());
    const PostgresReplicaStats after = Stats();
    return after.primary_reads > before.primary_reads ? "primary" : "replica";
  };
  EXPECT_STREQ(read_as("session-a"), "primary");  // within A's window
  EXPECT_STREQ(read_as("session-b"), "replica");  // B never wrote
  clock.Advance(absl::Seconds(4));
  EXPECT_STREQ(read_as("session-a"), "primary");
  clock.Advance(absl::Seconds(1));
  EXPECT_STREQ(read_as("session-a"), "replica");  // the window is over
  EXPECT_EQ(writes.sessions(), 0);                // and forgotten
  // Outside any scope: the replica.
  const int64_t replica_before = Stats().replica_reads;
  ASSERT_TRUE(router_->GetProduct(created->id).ok());
  EXPECT_EQ(Stats().replica_reads, replica_before + 1);
}

TEST_F(PostgresReplicaTest, ProductWriteThroughTheRouterFencesReplicaReads) {
  // A product write through this router: for MaxStaleness() every
  // catalog read goes to the primary (a cache refilled after the write's
  // invalidation must not take an older copy from the replica).
  auto created = router_->CreateProduct(WatchDraft("FEN"), absl::Now());
  ASSERT_TRUE(created.ok()) << created.status();
  const PostgresReplicaStats before = Stats();
  auto p = router_->GetProduct(created->id);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Stats().primary_reads, before.primary_reads + 1);
  EXPECT_EQ(Stats().replica_reads, before.replica_reads);
  absl::SleepFor(kMaxStaleness + absl::Milliseconds(50));
  ASSERT_TRUE(router_->GetProduct(created->id).ok());
  EXPECT_EQ(Stats().replica_reads, before.replica_reads + 1);
}

TEST_F(PostgresReplicaTest, LaggingReplicaLeavesTheRotationAndComesBack) {
  auto replica = RawReplica();
  ASSERT_NE(replica, nullptr);
  ASSERT_TRUE(replica->ExecuteScript("SELECT pg_wal_replay_pause()").ok());
  // Writes the replica does not replay: it falls behind the primary.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  bool left = false;
  int n = 0;
  while (absl::Now() < until && !left) {
    ASSERT_TRUE(other_->CreateProduct(WatchDraft(absl::StrCat("LAG", n++)), absl::Now()).ok());
    absl::SleepFor(absl::Milliseconds(100));
    left = !Stats().replicas.at(0).in_rotation;
  }
  ASSERT_TRUE(left) << "a replica that stopped replaying stayed in rotation";
  EXPECT_GE(Stats().replicas.at(0).removals, 1);
  // Reads now go to the primary, and see every write.
  const PostgresReplicaStats before = Stats();
  auto page = router_->ListProducts(ProductQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(static_cast<int>(page->items.size()), std::min(n, 20));
  EXPECT_EQ(Stats().primary_reads, before.primary_reads + 1);

  ASSERT_TRUE(replica->ExecuteScript("SELECT pg_wal_replay_resume()").ok());
  EXPECT_TRUE(WaitInRotation(true, absl::Seconds(10))) << "the replica did not come back";
}

TEST_F(PostgresReplicaTest, StoppedReplicaMidLoadCostsNoFailedRead) {
  std::vector<ProductId> ids;
  for (int i = 0; i < 20; ++i) {
    auto p = other_->CreateProduct(WatchDraft(absl::StrCat("STOP", i)), absl::Now());
    ASSERT_TRUE(p.ok()) << p.status();
    ids.push_back(p->id);
  }
  absl::SleepFor(absl::Milliseconds(300));

  constexpr int kReaders = 8;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      for (int i = t; !stop.load(); ++i) {
        const bool ok = (i % 4 == 0) ? router_->ListProducts(ProductQuery{}).ok()
                                     : router_->GetProduct(ids[i % ids.size()]).ok();
        reads.fetch_add(1);
        if (!ok) failures.fetch_add(1);
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(700));
  const PostgresReplicaStats mid = Stats();
  ASSERT_TRUE(cluster_.StopReplica());  // immediate: connections die mid-read
  const int64_t reads_at_stop = reads.load();
  absl::SleepFor(absl::Milliseconds(1500));
  stop.store(true);
  for (auto& th : readers) th.join();

  EXPECT_EQ(failures.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), reads_at_stop + 100) << "reads did not go on after the stop";
  const PostgresReplicaStats after = Stats();
  EXPECT_GT(mid.replica_reads, 0);
  EXPECT_FALSE(after.replicas.at(0).in_rotation);
  EXPECT_GE(after.replicas.at(0).removals, 1);
  EXPECT_GT(after.primary_reads + after.fallbacks, mid.primary_reads + mid.fallbacks);
}

}  // namespace
}  // namespace watchstore::testing
