// Small helpers for absl::Status / absl::StatusOr, which Debian's Abseil
// (20220623) does not ship.
#ifndef WATCHSTORE_STATUS_MACROS_H_
#define WATCHSTORE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WS_INTERNAL_CONCAT_IMPL(a, b) a##b
#define WS_INTERNAL_CONCAT(a, b) WS_INTERNAL_CONCAT_IMPL(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function
// if it is not OK.
#define WS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status ws_status_ = (expr);      \
    if (!ws_status_.ok()) return ws_status_; \
  } while (false)

// `WS_ASSIGN_OR_RETURN(auto x, Foo());` evaluates Foo() (an absl::StatusOr);
// returns its status if it is not OK, else moves its value into `x`.
#define WS_ASSIGN_OR_RETURN(lhs, expr) \
  WS_INTERNAL_ASSIGN_OR_RETURN(WS_INTERNAL_CONCAT(ws_statusor_, __LINE__), lhs, expr)

#define WS_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#endif  // WATCHSTORE_STATUS_MACROS_H_
