#include "postgres/pg_connection.h"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "postgres/pg_errors.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal::pg {
namespace {

absl::Status Unavailable(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable, message);
}

std::string Trimmed(const char* s) {
  return std::string(absl::StripAsciiWhitespace(s == nullptr ? "" : s));
}

// Errors after which the session is gone or must not be trusted again.
bool BreaksSession(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") ||  // connection exception
         sqlstate == "57P01" ||               // admin_shutdown
         sqlstate == "57P02" ||               // crash_shutdown
         sqlstate == "57P03" ||               // cannot_connect_now
         sqlstate == "26000";                 // prepared statement vanished
}

}  // namespace

// --- Params -------------------------------------------------------------------

Params& Params::Add(absl::string_view s) {
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
    status_ = InvalidField("", "text must not contain NUL bytes");
  }
  offsets_.push_back(static_cast<int>(buf_.size()));
  buf_.append(s.data(), s.size());
  EndValue();
  return *this;
}

Params& Params::Add(int64_t v) {
  offsets_.push_back(static_cast<int>(buf_.size()));
  absl::StrAppend(&buf_, v);
  EndValue();
  return *this;
}

Params& Params::AddTime(absl::Time t) { return Add(absl::ToUnixNanos(t)); }

Params& Params::AddNull() {
  offsets_.push_back(-1);
  return *this;
}

Params& Params::AddInt64Array(const std::vector<int64_t>& values) {
  offsets_.push_back(static_cast<int>(buf_.size()));
  BeginArray();
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) buf_.push_back(',');
    absl::StrAppend(&buf_, values[i]);
  }
  buf_.push_back('}');
  EndValue();
  return *this;
}

Params& Params::AddTextArray(const std::vector<std::string>& values) {
  return AddTextArrayOf(values.begin(), values.end(),
                        [](const std::string& s) { return absl::string_view(s); });
}

void Params::AppendQuoted(absl::string_view s) {
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
    status_ = InvalidField("", "text must not contain NUL bytes");
  }
  buf_.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') buf_.push_back('\\');
    buf_.push_back(c);
  }
  buf_.push_back('"');
}

void Params::Resolve(absl::InlinedVector<const char*, 24>* out) const {
  out->clear();
  for (int off : offsets_) out->push_back(off < 0 ? nullptr : buf_.data() + off);
}

// --- Result -------------------------------------------------------------------

absl::StatusOr<int64_t> Result::Int(int row, int col) const {
  int64_t v = 0;
  if (IsNull(row, col) || !absl::SimpleAtoi(Text(row, col), &v)) {
    return absl::InternalError(absl::StrCat("column ", col, " is not an integer"));
  }
  return v;
}

absl::StatusOr<bool> Result::Bool(int row, int col) const {
  absl::string_view t = Text(row, col);
  if (t == "t") return true;
  if (t == "f") return false;
  return absl::InternalError(absl::StrCat("column ", col, " is not a boolean"));
}

absl::StatusOr<absl::Time> Result::Time(int row, int col) const {
  WS_ASSIGN_OR_RETURN(int64_t ns, Int(row, col));
  return absl::FromUnixNanos(ns);
}

int64_t Result::AffectedRows() const {
  int64_t n = 0;
  if (!r_ || !absl::SimpleAtoi(PQcmdTuples(r_.get()), &n)) return 0;
  return n;
}

// --- Connection ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const ConnectSettings& settings) {
  const std::string timeout = absl::StrCat(settings.connect_timeout_seconds);
  // Keywords before "dbname" are defaults the URL may override; those after
  // it are the options' word.
  const char* const keys[] = {
      "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
      "keepalives_count",          "dbname",     "connect_timeout", nullptr};
  const char* const values[] = {"watchstore",    "1",    "30", "10", "3", settings.url.c_str(),
                                timeout.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) return Unavailable("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string message = Trimmed(PQerrorMessage(raw));
    PQfinish(raw);
    return Unavailable(absl::StrCat("cannot connect to PostgreSQL: ", message));
  }
  // libpq prints NOTICEs to stderr by default; a library must stay quiet.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (PQserverVersion(raw) < 120000) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kInternal,
                     absl::StrCat("PostgreSQL ", PQserverVersion(raw),
                                  " is too old: watchstore needs 12 or later"));
  }
  // plan_cache_mode: every statement of the adapter is a keyed index access
  // whose plan does not depend on the values bound (listing LIMITs are
  // constants for this reason; tests/postgres checks the generic plans at
  // 100k rows). Generic plans are planned once per connection instead of on
  // every execution, where planning cost as much as executing (0.2-0.3 ms
  // for checkout's statements). Searches are the exception: ExecuteOnce
  // plans them for their words.
  // jit off: PostgreSQL compiles a statement whose estimated cost passes
  // jit_above_cost; a facet count or a ranked search at 1M products spent
  // ~1 s compiling (JIT: Optimization 535 ms, Emission 390 ms) to run for
  // ~50 ms. No statement of the adapter runs long enough to repay it.
  static constexpr Statement kSessionSettings = {
      "ws_session_settings",
      "SELECT set_config('statement_timeout', $1, false), "
      "set_config('lock_timeout', $2, false), "
      "set_config('plan_cache_mode', 'force_generic_plan', false), "
      "set_config('jit', 'off', false)"};
  Params params;
  params.Add(settings.statement_timeout_ms).Add(settings.lock_timeout_ms);
  absl::StatusOr<Result> r = conn->Execute(kSessionSettings, params);
  if (!r.ok()) {
    return Unavailable(
        absl::StrCat("cannot configure the PostgreSQL session: ", r.status().message()));
  }
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

absl::StatusOr<Result> Connection::Check(PGresult* r) {
  const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    last_error_.Clear();
    return Result(r);
  }
  last_error_.Clear();
  if (r != nullptr) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    if (state != nullptr) last_error_.sqlstate = state;
    if (detail != nullptr) last_error_.detail = detail;
    if (constraint != nullptr) last_error_.constraint = constraint;
    last_error_.message = primary != nullptr ? Trimmed(primary) : Trimmed(PQresultErrorMessage(r));
    PQclear(r);
  }
  if (last_error_.message.empty()) last_error_.message = Trimmed(PQerrorMessage(conn_));
  if (st != PGRES_FATAL_ERROR && st != PGRES_NONFATAL_ERROR) {
    // EMPTY_QUERY, COPY_*, ...: nothing our statements can produce.
    broken_ = true;
    last_error_.message = absl::StrCat("unexpected result status ", PQresStatus(st));
  }
  if (PQstatus(conn_) != CONNECTION_OK || BreaksSession(last_error_.sqlstate)) broken_ = true;
  return StatusFromError(last_error_, broken_);
}

absl::StatusOr<Result> Connection::ExecPrepared(const char* name, const Params& params) {
  WS_RETURN_IF_ERROR(params.status());
  absl::InlinedVector<const char*, 24> values;
  params.Resolve(&values);
  ++round_trips_;
  return Check(PQexecPrepared(conn_, name, params.size(), values.data(), nullptr, nullptr, 0));
}

absl::StatusOr<Result> Connection::Execute(const Statement& statement, const Params& params) {
  if (broken_) return Unavailable("PostgreSQL connection is broken");
  if (!prepared_.contains(absl::string_view(statement.name))) {
    // Prepare and execute in one round trip.
    const PipelineStep step = {.statement = &statement, .params = &params};
    WS_ASSIGN_OR_RETURN(std::vector<Result> results, Pipeline(absl::MakeConstSpan(&step, 1)));
    return std::move(results.front());
  }
  return ExecPrepared(statement.name, params);
}

absl::StatusOr<Result> Connection::ExecuteNamed(absl::string_view name,
                                                absl::FunctionRef<std::string()> sql,
                                                const Params& params) {
  if (broken_) return Unavailable("PostgreSQL connection is broken");
  const std::string owned_name(name);
  if (!prepared_.contains(name)) {
    const std::string text = sql();
    return Execute(Statement{owned_name.c_str(), text.c_str()}, params);
  }
  return ExecPrepared(owned_name.c_str(), params);
}

absl::StatusOr<Result> Connection::ExecuteOnce(const std::string& sql, const Params& params) {
  // The session forces generic plans (see Open); this statement alone, as
  // the unnamed statement, is planned for its values. One round trip.
  static constexpr char kCustom[] = "SET plan_cache_mode = force_custom_plan";
  static constexpr char kGeneric[] = "SET plan_cache_mode = force_generic_plan";
  const Statement unnamed = {"", sql.c_str()};
  const PipelineStep steps[] = {
      {.sql = kCustom}, {.statement = &unnamed, .params = &params}, {.sql = kGeneric}};
  absl::StatusOr<std::vector<Result>> results = Pipeline(steps);
  if (!results.ok()) {
    // A failure skips the rest of the pipeline: restore the session's mode.
    if (!broken_ && !ExecuteScript(kGeneric).ok()) broken_ = true;
    return results.status();
  }
  return std::move((*results)[1]);
}

absl::StatusOr<Result> Connection::ExecuteScript(const char* sql) {
  if (broken_) return Unavailable("PostgreSQL connection is broken");
  ++round_trips_;
  return Check(PQexec(conn_, sql));
}

absl::StatusOr<std::vector<Result>> Connection::Pipeline(absl::Span<const PipelineStep> steps) {
  if (broken_) return Unavailable("PostgreSQL connection is broken");
  for (const PipelineStep& step : steps) {
    if (step.params != nullptr) WS_RETURN_IF_ERROR(step.params->status());
  }
  if (PQenterPipelineMode(conn_) != 1) {
    broken_ = true;
    return Unavailable(
        absl::StrCat("cannot enter pipeline mode: ", Trimmed(PQerrorMessage(conn_))));
  }
  // The commands sent, in order: a Prepare (step's statement) or a step.
  struct Sent {
    size_t step;
    bool prepare;
  };
  std::vector<Sent> sent;
  absl::flat_hash_set<absl::string_view> preparing;
  bool send_failed = false;
  absl::InlinedVector<const char*, 24> values;
  for (size_t i = 0; i < steps.size() && !send_failed; ++i) {
    const PipelineStep& step = steps[i];
    if (step.statement == nullptr) {
      send_failed =
          PQsendQueryParams(conn_, step.sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1;
      sent.push_back({i, false});
      continue;
    }
    const char* name = step.statement->name;
    const bool unnamed = name[0] == '\0';  // prepared for this execution only
    if (unnamed ||
        (!prepared_.contains(absl::string_view(name)) && preparing.insert(name).second)) {
      send_failed = PQsendPrepare(conn_, name, step.statement->sql, 0, nullptr) != 1;
      sent.push_back({i, true});
      if (send_failed) break;
    }
    values.clear();
    if (step.params != nullptr) step.params->Resolve(&values);
    send_failed = PQsendQueryPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                                      nullptr, nullptr, 0) != 1;
    sent.push_back({i, false});
  }
  if (send_failed || PQpipelineSync(conn_) != 1) {
    broken_ = true;
    return Unavailable(absl::StrCat("cannot send to PostgreSQL: ", Trimmed(PQerrorMessage(conn_))));
  }
  ++round_trips_;
  // Each command's results end with a NULL; the sync's result ends all.
  std::vector<Result> results(steps.size());
  absl::Status failure;
  size_t k = 0;
  while (true) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      if (PQstatus(conn_) != CONNECTION_OK || k >= sent.size()) {
        broken_ = true;
        if (failure.ok()) failure = Unavailable("PostgreSQL connection lost in a pipeline");
        break;
      }
      ++k;
      continue;
    }
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (st == PGRES_PIPELINE_ABORTED || !failure.ok() || k >= sent.size()) {
      PQclear(r);  // skipped after the failure that is reported
      continue;
    }
    absl::StatusOr<Result> checked = Check(r);
    if (!checked.ok()) {
      failure = checked.status();
      continue;
    }
    if (sent[k].prepare) {
      const char* name = steps[sent[k].step].statement->name;
      if (name[0] != '\0') prepared_.insert(std::string(name));
    } else {
      results[sent[k].step] = *std::move(checked);
    }
  }
  if (!broken_ && PQexitPipelineMode(conn_) != 1) broken_ = true;
  if (!failure.ok()) return failure;
  if (broken_) return Unavailable("PostgreSQL connection is broken");
  last_error_.Clear();
  return results;
}

absl::Status Connection::Begin() { return ExecuteScript("BEGIN").status(); }

absl::Status Connection::Commit() {
  if (!broken_ && PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // COMMIT would answer ROLLBACK without an error: never report success.
    Rollback();
    return absl::InternalError("commit of a failed transaction");
  }
  return ExecuteScript("COMMIT").status();
}

void Connection::Rollback() {
  if (broken_) return;
  ++round_trips_;
  PGresult* r = PQexec(conn_, "ROLLBACK");
  if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) broken_ = true;
  PQclear(r);
}

bool Connection::LastErrorRetryable() const {
  return !broken_ && (last_error_.sqlstate == "40001" || last_error_.sqlstate == "40P01");
}

bool Connection::Idle() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::ProbeIdle() {
  if (!Idle()) return false;
  pollfd p{};
  p.fd = PQsocket(conn_);
  p.events = POLLIN;
  if (p.fd < 0) return false;
  int n = 0;
  do {
    n = poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  // Anything readable on an idle session (data, EOF, error) means the server
  // is closing it: a notice of termination, a reset, a restart.
  return n == 0;
}

// --- Array literals -----------------------------------------------------------

absl::StatusOr<std::vector<std::string>> ParseTextArray(absl::string_view lit) {
  const auto bad = [&] {
    return absl::InternalError(absl::StrCat("malformed array literal of ", lit.size(), " bytes"));
  };
  if (lit.size() < 2 || lit.front() != '{' || lit.back() != '}') return bad();
  std::vector<std::string> out;
  absl::string_view in = lit.substr(1, lit.size() - 2);
  size_t i = 0;
  if (in.empty()) return out;
  while (true) {
    std::string element;
    if (i < in.size() && in[i] == '"') {
      ++i;
      while (i < in.size() && in[i] != '"') {
        if (in[i] == '\\') ++i;
        if (i >= in.size()) return bad();
        element.push_back(in[i++]);
      }
      if (i >= in.size()) return bad();
      ++i;  // closing quote
    } else {
      const size_t start = i;
      while (i < in.size() && in[i] != ',') ++i;
      absl::string_view token = in.substr(start, i - start);
      if (token.empty()) return bad();
      if (token != "NULL") element.assign(token.data(), token.size());
    }
    out.push_back(std::move(element));
    if (i == in.size()) return out;
    if (in[i] != ',') return bad();
    ++i;
  }
}

absl::StatusOr<std::vector<int64_t>> ParseInt64Array(absl::string_view lit) {
  WS_ASSIGN_OR_RETURN(std::vector<std::string> parts, ParseTextArray(lit));
  std::vector<int64_t> out;
  out.reserve(parts.size());
  for (const std::string& p : parts) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(p, &v)) return absl::InternalError("malformed integer array");
    out.push_back(v);
  }
  return out;
}

}  // namespace watchstore::internal::pg
