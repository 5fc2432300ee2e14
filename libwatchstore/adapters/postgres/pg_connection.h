// One libpq connection with its prepared statements, the only place that
// calls PQexec*. Internal to the PostgreSQL adapter.
//
// Every value reaches the server as a bound parameter: SQL texts are
// constants (or assembled from constant fragments, see listing_sql.h).
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_PG_CONNECTION_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace watchstore::internal::pg {

// A fixed SQL text, prepared once per connection under `name`.
struct Statement {
  const char* name;
  const char* sql;
};

// Parameters of one statement, all in text format. Strings are copied (a
// caller's absl::string_view need not be NUL-terminated). Not thread-safe.
class Params {
 public:
  Params() = default;
  Params& Add(absl::string_view s);
  Params& Add(int64_t v);
  Params& Add(int v) { return Add(static_cast<int64_t>(v)); }
  Params& AddBool(bool b) { return Add(absl::string_view(b ? "t" : "f")); }
  Params& AddTime(absl::Time t);
  Params& AddNull();
  // Array literals ("{1,2}", {"a","b\"c"}) for `$n::bigint[]` / `$n::text[]`.
  Params& AddInt64Array(const std::vector<int64_t>& values);
  Params& AddTextArray(const std::vector<std::string>& values);
  template <typename It, typename Fn>
  Params& AddTextArrayOf(It begin, It end, Fn get);

  int size() const { return static_cast<int>(offsets_.size()); }
  // InvalidArgument if a value held a NUL byte (PostgreSQL text cannot).
  absl::Status status() const { return status_; }
  // Pointers valid until the next Add.
  void Resolve(absl::InlinedVector<const char*, 24>* out) const;

 private:
  void BeginArray() { buf_.push_back('{'); }
  void AppendQuoted(absl::string_view s);
  void EndValue() { buf_.push_back('\0'); }

  std::string buf_;
  absl::InlinedVector<int, 24> offsets_;  // -1: NULL
  absl::Status status_;
};

// A PGresult, freed on destruction. Accessors take (row, column) indices
// that the caller's statement text fixes.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : r_(r) {}
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  absl::string_view Text(int row, int col) const {
    return absl::string_view(PQgetvalue(r_.get(), row, col),
                             static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::string String(int row, int col) const { return std::string(Text(row, col)); }
  // The value as an integer or bool; Internal if it is not one (schema drift).
  absl::StatusOr<int64_t> Int(int row, int col) const;
  absl::StatusOr<bool> Bool(int row, int col) const;
  absl::StatusOr<absl::Time> Time(int row, int col) const;  // int8 nanoseconds
  // Rows affected by an INSERT/UPDATE/DELETE.
  int64_t AffectedRows() const;

 private:
  struct Free {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Free> r_;
};

// What the server said when a command failed.
struct ServerError {
  std::string sqlstate;    // "23505"; empty for a client-side failure
  std::string constraint;  // the violated constraint's name, if any
  std::string message;     // primary message
  std::string detail;      // "Key (sku)=(AB-1) already exists."
  void Clear() {
    sqlstate.clear();
    constraint.clear();
    message.clear();
    detail.clear();
  }
};

// One statement of a pipeline: a fixed statement with its parameters, or
// (statement == nullptr) constant SQL without parameters, such as BEGIN.
struct PipelineStep {
  const Statement* statement = nullptr;
  const Params* params = nullptr;
  const char* sql = nullptr;
};

struct ConnectSettings {
  std::string url;
  int connect_timeout_seconds = 5;
  int64_t statement_timeout_ms = 5000;  // 0: none
  int64_t lock_timeout_ms = 0;          // 0: none
};

// Not thread-safe: the pool hands one to one thread at a time.
class Connection {
 public:
  // Unavailable if the server cannot be reached or refuses us.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const ConnectSettings& settings);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs a fixed statement, preparing it first on this connection if needed.
  absl::StatusOr<Result> Execute(const Statement& statement, const Params& params);
  // Runs the statement named `name`, preparing it from `sql()` the first
  // time. `sql` must return the same text for the same name, and build it
  // from constant fragments only.
  absl::StatusOr<Result> ExecuteNamed(absl::string_view name, absl::FunctionRef<std::string()> sql,
                                      const Params& params);
  // Runs `sql` as the unnamed statement, planned for these parameter values
  // (a custom plan, where the session otherwise forces generic ones), in
  // one round trip: for statements whose best plan depends on the values,
  // such as a search for a rare word versus a common one. Same rules for
  // `sql` as ExecuteNamed.
  absl::StatusOr<Result> ExecuteOnce(const std::string& sql, const Params& params);
  // Runs constant SQL without parameters (BEGIN, COMMIT, migrations, which
  // may hold several statements).
  absl::StatusOr<Result> ExecuteScript(const char* sql);

  // Sends every step, then one sync, and reads all the answers: one round
  // trip (libpq pipeline mode). Statements not yet prepared on this
  // connection are prepared in the same trip. The server runs the steps in
  // order and skips the rest after the first failure, which is returned
  // (last_error() set). Inside a transaction a failure leaves it aborted;
  // the caller rolls back. One result per step on success.
  absl::StatusOr<std::vector<Result>> Pipeline(absl::Span<const PipelineStep> steps);

  absl::Status Begin();
  absl::Status Commit();
  // Best effort; a failure marks the connection broken.
  void Rollback();

  // The last failed command's error (cleared by every successful command).
  const ServerError& last_error() const { return last_error_; }
  // The last failure was a serialization failure or a deadlock: the whole
  // transaction may be run again.
  bool LastErrorRetryable() const;
  // The connection cannot be used again: the pool must discard it.
  bool broken() const { return broken_; }
  // True if the connection looks usable for a new request: open, idle, and
  // the server has not closed it or sent anything (which an idle session
  // never receives unless it is being terminated). Costs one poll().
  bool ProbeIdle();
  // Open, not broken, and outside any transaction (PQTRANS_IDLE).
  bool Idle() const;
  // Client/server round trips made since the last call (each command
  // waited for, each pipeline), and resets the count. For pool statistics.
  int64_t TakeRoundTrips() {
    const int64_t n = round_trips_;
    round_trips_ = 0;
    return n;
  }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  absl::StatusOr<Result> Check(PGresult* r);
  absl::StatusOr<Result> ExecPrepared(const char* name, const Params& params);

  PGconn* conn_;
  absl::flat_hash_set<std::string> prepared_;
  ServerError last_error_;
  bool broken_ = false;
  int64_t round_trips_ = 0;
};

// Parses a PostgreSQL text[] / bigint[] literal ({a,"b c",NULL}) as the
// server prints it. NULL elements become empty strings. Internal if
// malformed (the server never sends that).
absl::StatusOr<std::vector<std::string>> ParseTextArray(absl::string_view literal);
absl::StatusOr<std::vector<int64_t>> ParseInt64Array(absl::string_view literal);

template <typename It, typename Fn>
Params& Params::AddTextArrayOf(It begin, It end, Fn get) {
  offsets_.push_back(static_cast<int>(buf_.size()));
  BeginArray();
  bool first = true;
  for (It it = begin; it != end; ++it) {
    if (!first) buf_.push_back(',');
    first = false;
    AppendQuoted(get(*it));
  }
  buf_.push_back('}');
  EndValue();
  return *this;
}

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_PG_CONNECTION_H_
