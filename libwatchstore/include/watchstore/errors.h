// Errors cross the API as absl::Status values. Beyond the code, a status may
// carry a stable machine-readable reason ("out_of_stock"), the input field it
// concerns, and how long to wait before retrying. Bindings map these onto
// their own error format (RFC 9457 problem details for HTTP).
#ifndef WATCHSTORE_ERRORS_H_
#define WATCHSTORE_ERRORS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace watchstore {

// Stable reasons, one per kind of failure a client can act on.
namespace reason {
inline constexpr absl::string_view kValidation = "validation";
inline constexpr absl::string_view kNotFound = "not_found";
inline constexpr absl::string_view kUnauthenticated = "unauthenticated";
inline constexpr absl::string_view kForbidden = "forbidden";
inline constexpr absl::string_view kInvalidCredentials = "invalid_credentials";
inline constexpr absl::string_view kThrottled = "throttled";
inline constexpr absl::string_view kEmailTaken = "email_taken";
inline constexpr absl::string_view kSkuTaken = "sku_taken";
// A product slug held (now or before) by another product (watchstore/product.h).
inline constexpr absl::string_view kSlugTaken = "slug_taken";
inline constexpr absl::string_view kVersionConflict = "version_conflict";
inline constexpr absl::string_view kOutOfStock = "out_of_stock";
inline constexpr absl::string_view kNotPurchasable = "not_purchasable";
inline constexpr absl::string_view kCartEmpty = "cart_empty";
inline constexpr absl::string_view kCartLimit = "cart_limit";
inline constexpr absl::string_view kIdempotencyMismatch = "idempotency_key_reused";
inline constexpr absl::string_view kIdempotencyInFlight = "idempotency_in_flight";
inline constexpr absl::string_view kIllegalTransition = "illegal_transition";
// A buyer tried to cancel a paid order: only staff may (a refund is due).
inline constexpr absl::string_view kOrderPaid = "order_paid";
// A payment's reference, amount or currency contradict its order.
inline constexpr absl::string_view kPaymentMismatch = "payment_mismatch";
// The buyer or client address already has the most unpaid orders allowed.
inline constexpr absl::string_view kTooManyUnpaidOrders = "too_many_unpaid_orders";
// A provider notification of a kind the store does not act on.
inline constexpr absl::string_view kIgnoredEvent = "ignored_event";
// The payment provider cannot be reached or failed (retry later).
inline constexpr absl::string_view kPaymentUnavailable = "payment_unavailable";
// A product's gallery: more than kMaxProductImages pictures, a picture URL
// that is not a storefront path or https URL, alt text missing or too long,
// a picture linked to a variant the product does not have.
inline constexpr absl::string_view kTooManyImages = "too_many_images";
inline constexpr absl::string_view kInvalidImageUrl = "invalid_image_url";
inline constexpr absl::string_view kInvalidImageAlt = "invalid_image_alt";
inline constexpr absl::string_view kUnknownImageVariant = "unknown_image_variant";
inline constexpr absl::string_view kTokenInvalid = "token_invalid";
inline constexpr absl::string_view kTokenUsed = "token_used";
inline constexpr absl::string_view kTokenExpired = "token_expired";
inline constexpr absl::string_view kEmailUnverified = "email_unverified";
inline constexpr absl::string_view kUnavailable = "unavailable";
inline constexpr absl::string_view kInternal = "internal";
}  // namespace reason

// A status with a reason and, optionally, the field it concerns.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       absl::string_view field = {});
// InvalidArgument, reason kValidation, naming `field`.
absl::Status InvalidField(absl::string_view field, absl::string_view message);
// ResourceExhausted, reason kThrottled, with a retry-after duration.
absl::Status Throttled(absl::Duration retry_after);

// The reason attached to `status`; a default derived from its code otherwise.
std::string ReasonOf(const absl::Status& status);
// The field attached to `status`, or empty.
std::string FieldOf(const absl::Status& status);
// The retry-after duration attached to `status`, if any.
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

}  // namespace watchstore

#endif  // WATCHSTORE_ERRORS_H_
