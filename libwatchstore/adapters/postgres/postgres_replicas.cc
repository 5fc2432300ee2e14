// The replica router: catalog reads on streaming replicas that keep up,
// everything else on the primary (see NewPostgresReplicaRouter).
#include <libpq-fe.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_replica_router.h"
#include "sync.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/read_consistency.h"
#include "watchstore/status_macros.h"

namespace watchstore {
namespace internal::pg {
namespace {

// WAL positions as byte offsets (pg_lsn minus 0/0), comparable as integers.
constexpr Statement kPrimaryWalPosition{
    "replica_primary_lsn", "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"};
// In recovery; the position replayed so far (-1: none yet).
constexpr Statement kReplicaReplayed{
    "replica_replayed_lsn",
    "SELECT pg_is_in_recovery(),"
    " COALESCE(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0'), -1)::bigint"};

// Primary positions kept per replica while it has not replayed them (at
// the default 0.5 s poll: over 8 minutes; past that, the lag only grows).
constexpr size_t kMaxPendingSamples = 1024;

// host:port of a libpq URL or key=value string, for metrics and logs.
std::string NameOf(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return "replica";
  std::string host = "localhost";
  std::string port = "5432";
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    if (std::string(o->keyword) == "host") host = o->val;
    if (std::string(o->keyword) == "port") port = o->val;
  }
  PQconninfoFree(options);
  return absl::StrCat(host, ":", port);
}

int64_t CeilMillis(absl::Duration d) {
  return absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
}

ConnectSettings SettingsOf(const std::string& url, absl::Duration connect_timeout,
                           absl::Duration statement_timeout) {
  ConnectSettings s;
  s.url = url;
  s.connect_timeout_seconds =
      static_cast<int>(absl::ToInt64Seconds(absl::Ceil(connect_timeout, absl::Seconds(1))));
  s.statement_timeout_ms = CeilMillis(statement_timeout);
  return s;
}

bool IsBackendFailure(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsInternal(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsUnknown(s) || absl::IsResourceExhausted(s);
}

class ReplicaRouter final : public StorageWrapper {
 public:
  ReplicaRouter(std::unique_ptr<Storage> primary, const PostgresOptions& primary_options,
                const PostgresReplicaOptions& options)
      : StorageWrapper(primary.get()),
        primary_(std::move(primary)),
        primary_settings_(
            SettingsOf(primary_options.url, options.connect_timeout, options.statement_timeout)),
        options_(options),
        fence_nanos_(absl::ToInt64Nanoseconds(options.MaxStaleness())) {
    for (const std::string& url : options.urls) {
      auto r = std::make_unique<Replica>();
      r->url = url;
      r->name = NameOf(url);
      replicas_.push_back(std::move(r));
    }
    poller_ = std::thread([this] { PollLoop(); });
  }

  ~ReplicaRouter() override {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    poller_.join();
  }

  Storage* primary() const { return primary_.get(); }

  // --- Catalog reads: a replica when allowed, the primary otherwise -------
  absl::StatusOr<Product> GetProduct(ProductId id) override {
    return Read([id](Storage& s) { return s.GetProduct(id); });
  }
  absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) override {
    return Read([sku](Storage& s) { return s.FindProductIdBySku(sku); });
  }
  absl::StatusOr<ProductId> FindProductIdByVariant(VariantId id) override {
    return Read([id](Storage& s) { return s.FindProductIdByVariant(id); });
  }
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    return Read([&q](Storage& s) { return s.ListProducts(q); });
  }
  absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& q) override {
    return Read([&q](Storage& s) { return s.CountFacets(q); });
  }

  // --- Product writes: the fence -------------------------------------------
  absl::StatusOr<Product> CreateProduct(const ProductDraft& d, absl::Time now) override {
    auto r = StorageWrapper::CreateProduct(d, now);
    NoteProductWrite();
    return r;
  }
  absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t v, const ProductDraft& d,
                                        absl::Time now) override {
    auto r = StorageWrapper::UpdateProduct(id, v, d, now);
    NoteProductWrite();
    return r;
  }
  absl::StatusOr<Product> AdjustStock(VariantId id, int64_t delta, absl::Time now) override {
    auto r = StorageWrapper::AdjustStock(id, delta, now);
    NoteProductWrite();
    return r;
  }

  PostgresReplicaStats Stats() const {
    PostgresReplicaStats st;
    st.replica_reads = replica_reads_.load(std::memory_order_relaxed);
    st.primary_reads = primary_reads_.load(std::memory_order_relaxed);
    st.fallbacks = fallbacks_.load(std::memory_order_relaxed);
    MutexLock lock(&mu_);
    for (const auto& r : replicas_) {
      PostgresReplicaStats::Replica out;
      out.name = r->name;
      out.in_rotation = r->in_rotation;
      out.lag_seconds = r->lag_seconds;
      out.checks_failed = r->checks_failed;
      out.removals = r->removals;
      st.replicas.push_back(std::move(out));
    }
    return st;
  }

 private:
  struct Replica {
    std::string url;
    std::string name;
    // Opened by the poller on its first good check; never replaced or
    // destroyed before the router, so readers may use it without the lock.
    std::unique_ptr<Storage> storage;
    std::unique_ptr<Connection> probe;  // the poller's own connection
    // Poller thread only. Positions the primary had (and when it had them)
    // that this replica has not replayed yet, oldest first; and when the
    // primary had the newest position it has replayed (InfinitePast: none).
    std::deque<std::pair<int64_t, absl::Time>> pending;
    absl::Time replayed_as_of = absl::InfinitePast();
    bool in_rotation = false;
    absl::Time last_good_check = absl::InfinitePast();
    double lag_seconds = -1;
    int64_t checks_failed = 0;
    int64_t removals = 0;
  };

  template <typename Fn>
  auto Read(Fn read) -> decltype(read(std::declval<Storage&>())) {
    Replica* r = SendToReplica() ? Pick() : nullptr;
    if (r == nullptr) {
      primary_reads_.fetch_add(1, std::memory_order_relaxed);
      return read(*primary_);
    }
    auto result = read(*r->storage);
    if (result.ok()) {
      replica_reads_.fetch_add(1, std::memory_order_relaxed);
      return result;
    }
    // Not found may only mean "not replayed yet"; anything else is the
    // replica's failure: out of rotation until its next good check.
    if (IsBackendFailure(result.status())) TakeOut(r);
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    return read(*primary_);
  }

  bool SendToReplica() const {
    if (SessionWrites::PrimaryRequired()) return false;
    const int64_t last = last_product_write_nanos_.load(std::memory_order_relaxed);
    return last == 0 || absl::GetCurrentTimeNanos() - last >= fence_nanos_;
  }

  void NoteProductWrite() {
    last_product_write_nanos_.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed);
  }

  // The next replica in rotation (round robin), or null.
  Replica* Pick() {
    const absl::Time now = absl::Now();
    MutexLock lock(&mu_);
    const size_t n = replicas_.size();
    for (size_t i = 0; i < n; ++i) {
      Replica* r = replicas_[(next_ + i) % n].get();
      // A check that is late (another replica's check hung) no longer
      // vouches for this one: the staleness bound counts on a recent one.
      if (r->in_rotation && now - r->last_good_check <= 2 * options_.poll_interval) {
        next_ = (next_ + i + 1) % n;
        return r;
      }
    }
    return nullptr;
  }

  void TakeOut(Replica* r) {
    MutexLock lock(&mu_);
    if (r->in_rotation) ++r->removals;
    r->in_rotation = false;
  }

  void PollLoop() {
    for (;;) {
      CheckAll();
      MutexLock lock(&mu_);
      mu_.AwaitFor(
          wake_, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stopping_; },
          options_.poll_interval);
      if (stopping_) return;
    }
  }

  // One round of checks: the primary's WAL position, then each replica
  // against it. Runs on the poller thread only (it alone touches `probe`,
  // `primary_probe_` and creates `storage`).
  void CheckAll() {
    // Taken before the position is read: the position is at least as new.
    const absl::Time sampled_at = absl::Now();
    const absl::StatusOr<int64_t> primary_lsn = PrimaryWalPosition();
    for (auto& r : replicas_) {
      if (primary_lsn.ok() && r->pending.size() < kMaxPendingSamples) {
        r->pending.emplace_back(*primary_lsn, sampled_at);
      }
      absl::StatusOr<double> lag = Measure(*r);
      if (lag.ok() && r->storage == nullptr) {
        PostgresOptions o;
        o.url = r->url;
        o.pool_size = options_.pool_size;
        o.pool_wait_timeout = options_.pool_wait_timeout;
        o.connect_timeout = options_.connect_timeout;
        o.statement_timeout = options_.statement_timeout;
        o.facet_exact_limit = options_.facet_exact_limit;
        o.max_transaction_retries = 0;
        o.apply_migrations = false;  // read-only check of the schema
        auto storage = NewPostgresStorage(o);
        if (!storage.ok()) {
          lag = storage.status();
        } else {
          MutexLock lock(&mu_);
          r->storage = *std::move(storage);
        }
      }
      MutexLock lock(&mu_);
      const bool keep = lag.ok() && *lag <= absl::ToDoubleSeconds(options_.max_lag);
      if (keep) r->last_good_check = sampled_at;
      if (lag.ok()) {
        r->lag_seconds = std::isinf(*lag) ? -1 : *lag;
      } else {
        ++r->checks_failed;
      }
      if (r->in_rotation && !keep) ++r->removals;
      r->in_rotation = keep;
    }
  }

  absl::StatusOr<int64_t> PrimaryWalPosition() {
    if (primary_probe_ == nullptr || primary_probe_->broken()) {
      primary_probe_.reset();
      WS_ASSIGN_OR_RETURN(primary_probe_, Connection::Open(primary_settings_));
    }
    WS_ASSIGN_OR_RETURN(Result res, primary_probe_->Execute(kPrimaryWalPosition, Params()));
    if (res.rows() != 1) return absl::InternalError("no WAL position");
    return res.Int(0, 0);
  }

  // The replica's lag in seconds: 0 once it has replayed every position
  // sampled from the primary; else the time since the primary had the
  // newest position it has replayed (an upper bound on how old its data is,
  // coarse by one poll interval); infinite if it has replayed none. Unlike
  // pg_last_xact_replay_timestamp(), an idle primary does not make a
  // caught-up replica look behind, and a replica that has replayed no
  // commit since it started does not look current.
  absl::StatusOr<double> Measure(Replica& r) {
    if (r.probe == nullptr || r.probe->broken()) {
      r.probe.reset();
      WS_ASSIGN_OR_RETURN(r.probe, Connection::Open(SettingsOf(r.url, options_.connect_timeout,
                                                               options_.statement_timeout)));
    }
    WS_ASSIGN_OR_RETURN(Result res, r.probe->Execute(kReplicaReplayed, Params()));
    if (res.rows() != 1) return absl::InternalError("no replay position");
    WS_ASSIGN_OR_RETURN(bool in_recovery, res.Bool(0, 0));
    WS_ASSIGN_OR_RETURN(int64_t replayed, res.Int(0, 1));
    if (!in_recovery) {  // promoted, or the primary itself: current
      r.pending.clear();
      return 0.0;
    }
    while (!r.pending.empty() && r.pending.front().first <= replayed) {
      r.replayed_as_of = r.pending.front().second;
      r.pending.pop_front();
    }
    if (r.pending.empty()) return 0.0;
    if (r.replayed_as_of == absl::InfinitePast()) return std::numeric_limits<double>::infinity();
    return absl::ToDoubleSeconds(absl::Now() - r.replayed_as_of);
  }

  const std::unique_ptr<Storage> primary_;
  const ConnectSettings primary_settings_;
  const PostgresReplicaOptions options_;
  const int64_t fence_nanos_;
  std::atomic<int64_t> last_product_write_nanos_{0};
  std::atomic<int64_t> replica_reads_{0};
  std::atomic<int64_t> primary_reads_{0};
  std::atomic<int64_t> fallbacks_{0};

  mutable Mutex mu_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  // The vector is fixed at construction; each Replica's rotation fields are
  // guarded by mu_.
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::unique_ptr<Connection> primary_probe_;  // poller thread only
  std::thread poller_;
};

}  // namespace

Storage* PrimaryOfReplicaRouter(Storage& storage) {
  auto* router = dynamic_cast<ReplicaRouter*>(&storage);
  return router == nullptr ? nullptr : router->primary();
}

}  // namespace internal::pg

absl::StatusOr<std::unique_ptr<Storage>> NewPostgresReplicaRouter(
    std::unique_ptr<Storage> primary, const PostgresOptions& primary_options,
    const PostgresReplicaOptions& options) {
  if (primary == nullptr || !PostgresPoolStatsOf(*primary).has_value()) {
    return absl::InvalidArgumentError(
        "NewPostgresReplicaRouter: primary must be a PostgreSQL storage");
  }
  if (options.urls.empty()) {
    return absl::InvalidArgumentError("PostgresReplicaOptions.urls must name a replica");
  }
  for (const std::string& url : options.urls) {
    if (url.empty()) return absl::InvalidArgumentError("PostgresReplicaOptions.urls: empty URL");
  }
  if (options.max_lag <= absl::ZeroDuration() || options.poll_interval <= absl::ZeroDuration() ||
      options.pool_wait_timeout <= absl::ZeroDuration() ||
      options.connect_timeout <= absl::ZeroDuration() ||
      options.statement_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "PostgresReplicaOptions: max_lag, poll_interval, pool_wait_timeout, connect_timeout and "
        "statement_timeout must be > 0");
  }
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError("PostgresReplicaOptions.pool_size must be >= 1");
  }
  if (options.facet_exact_limit < 0) {
    return absl::InvalidArgumentError("PostgresReplicaOptions.facet_exact_limit must be >= 0");
  }
  return std::unique_ptr<Storage>(
      new internal::pg::ReplicaRouter(std::move(primary), primary_options, options));
}

std::optional<PostgresReplicaStats> PostgresReplicaStatsOf(Storage& storage) {
  auto* router = dynamic_cast<internal::pg::ReplicaRouter*>(&storage);
  if (router == nullptr) return std::nullopt;
  return router->Stats();
}

}  // namespace watchstore
