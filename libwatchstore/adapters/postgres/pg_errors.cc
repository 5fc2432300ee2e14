#include "postgres/pg_errors.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"

namespace watchstore::internal::pg {
namespace {

absl::Status Unavailable(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable, message);
}

// "Key (sku)=(AB-1) already exists." -> "AB-1".
std::string KeyValue(absl::string_view detail) {
  const size_t open = detail.find(")=(");
  const size_t close = detail.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open + 3) {
    return "";
  }
  return std::string(detail.substr(open + 3, close - open - 3));
}

struct CheckField {
  absl::string_view constraint;
  absl::string_view field;
  absl::string_view message;
};
constexpr CheckField kChecks[] = {
    {"variants_stock_check", "stock", "stock must not be negative"},
    {"variants_price_check", "price", "price must not be negative"},
    {"products_min_price_check", "price", "price must not be negative"},
    {"order_lines_price_check", "price", "price must not be negative"},
    {"variants_currency_check", "currency", "currency must be an ISO 4217 code"},
    {"orders_currency_check", "currency", "currency must be an ISO 4217 code"},
    {"orders_total_check", "total", "total must not be negative"},
    {"products_movement_check", "movement", "unknown movement"},
    {"products_version_check", "version", "version must be positive"},
    {"users_role_check", "role", "unknown role"},
    {"orders_status_check", "status", "unknown status"},
    {"cart_items_quantity_check", "quantity", "quantity must be positive"},
    {"order_lines_quantity_check", "quantity", "quantity must be positive"},
    {"cart_items_owner_check", "owner", "a cart line has exactly one owner"},
};

}  // namespace

absl::Status StatusFromError(const ServerError& e, bool broken) {
  const absl::string_view s = e.sqlstate;
  const absl::string_view c = e.constraint;
  if (broken || absl::StartsWith(s, "08") || absl::StartsWith(s, "57P") ||
      absl::StartsWith(s, "53")) {
    return Unavailable(absl::StrCat("PostgreSQL unavailable: ", e.message));
  }
  if (s == "57014" || s == "55P03") {  // statement_timeout / lock_timeout
    return Unavailable(absl::StrCat("PostgreSQL timed out: ", e.message));
  }
  if (s == "40001" || s == "40P01") {
    return Unavailable(absl::StrCat("transaction kept conflicting: ", e.message));
  }
  if (s == kUniqueViolation) {
    if (c == "users_email_key") {
      return MakeError(absl::StatusCode::kAlreadyExists, reason::kEmailTaken,
                       "email already registered", "email");
    }
    if (c == "variants_sku_key") {
      const std::string sku = KeyValue(e.detail);
      return MakeError(absl::StatusCode::kAlreadyExists, reason::kSkuTaken,
                       sku.empty() ? std::string("SKU is already used")
                                   : absl::StrCat("SKU ", sku, " is already used"),
                       "sku");
    }
    if (c == "products_slug_key" || c == "product_slugs_pkey") {
      return MakeError(absl::StatusCode::kAlreadyExists, reason::kSlugTaken,
                       "slug belongs to another watch", "slug");
    }
    if (c == "sessions_pkey") return absl::AlreadyExistsError("session exists");
    return absl::AlreadyExistsError(e.message);
  }
  if (s == kForeignKeyViolation) {
    if (absl::EndsWith(c, "_user_fk")) return absl::NotFoundError("no such user");
    if (absl::EndsWith(c, "_variant_fk")) return absl::NotFoundError("no such variant");
    if (absl::EndsWith(c, "_product_fk")) return absl::NotFoundError("no such product");
    if (absl::EndsWith(c, "_order_fk")) return absl::NotFoundError("no such order");
    return absl::NotFoundError(e.message);
  }
  if (s == kCheckViolation) {
    for (const CheckField& f : kChecks) {
      if (c == f.constraint) return InvalidField(f.field, f.message);
    }
    return InvalidField("", e.message);
  }
  if (absl::StartsWith(s, "22")) return InvalidField("", e.message);  // data exception
  return absl::InternalError(absl::StrCat("PostgreSQL error ", e.sqlstate, ": ", e.message));
}

}  // namespace watchstore::internal::pg
