// The first checks of Storage::PlaceOrder that every adapter makes the same
// way. Internal.
#ifndef WATCHSTORE_SRC_STORAGE_ORDER_LINES_H_
#define WATCHSTORE_SRC_STORAGE_ORDER_LINES_H_

#include <cstdint>
#include <map>

#include "absl/status/statusor.h"
#include "watchstore/errors.h"
#include "watchstore/order.h"

namespace watchstore::internal {

// The order's quantities summed per variant (so two lines of one variant
// cannot oversell it), in variant id order. FailedPrecondition (cart_empty)
// for no lines; InvalidArgument for a quantity that is not positive or a sum
// that overflows.
inline absl::StatusOr<std::map<VariantId, int64_t>> SumOrderLines(const NewOrder& o) {
  if (o.lines.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kCartEmpty,
                     "the order has no lines");
  }
  std::map<VariantId, int64_t> wanted;
  for (const NewOrder::Line& l : o.lines) {
    if (l.quantity <= 0) return InvalidField("quantity", "must be positive");
    int64_t& q = wanted[l.variant_id];
    if (__builtin_add_overflow(q, l.quantity, &q)) return InvalidField("quantity", "too large");
  }
  return wanted;
}

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_STORAGE_ORDER_LINES_H_
