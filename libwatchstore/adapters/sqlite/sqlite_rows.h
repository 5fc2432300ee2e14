// Small conversions between rows of the SQLite schema and domain values,
// shared by the adapter's files. Internal.
#ifndef WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ROWS_H_
#define WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ROWS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sqlite/sqlite_db.h"
#include "watchstore/cart.h"
#include "watchstore/errors.h"
#include "watchstore/money.h"
#include "watchstore/status_macros.h"

namespace watchstore::sqlite {

// Times are stored as INTEGER unix nanoseconds.
inline int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }
inline absl::Time At(int64_t nanos) { return absl::FromUnixNanos(nanos); }
// `t` as it reads back from the database (nanosecond resolution).
inline absl::Time Stored(absl::Time t) { return At(Nanos(t)); }

// A value in the file that no write of ours produces.
inline absl::Status Corrupt(absl::string_view what) {
  return MakeError(absl::StatusCode::kDataLoss, reason::kInternal,
                   absl::StrCat("sqlite: corrupt ", what));
}

inline absl::StatusOr<Currency> CurrencyOf(absl::string_view code) {
  auto c = Currency::FromCode(code);
  if (!c.ok()) return Corrupt("currency code");
  return *c;
}

inline absl::Status NoSuch(absl::string_view what, absl::string_view field = {}) {
  return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, absl::StrCat("no such ", what),
                   field);
}

// Steps `s` once; NotFound ("no such <what>") if there is no row.
inline absl::Status ExpectRow(Statement& s, absl::string_view what, absl::string_view field = {}) {
  WS_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NoSuch(what, field);
  return absl::OkStatus();
}

// cart_items.owner: "u:<user id>" or "g:<guest token hash>".
inline std::string CartOwnerKey(const CartOwner& o) {
  return o.is_user() ? absl::StrCat("u:", o.user_id) : absl::StrCat("g:", o.guest_token_hash);
}

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ROWS_H_
