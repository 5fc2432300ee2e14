// Names, parsing and small helpers of the domain types.
#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "watchstore/cart.h"
#include "watchstore/errors.h"
#include "watchstore/order.h"
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore {
namespace {

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseByName(absl::string_view name,
                                 const std::pair<Enum, absl::string_view> (&table)[N],
                                 absl::string_view field) {
  for (const auto& [value, text] : table) {
    if (text == name) return value;
  }
  std::string allowed;
  for (const auto& [value, text] : table) {
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", text);
  }
  return InvalidField(field, absl::StrCat("must be one of: ", allowed));
}

template <typename Enum, size_t N>
absl::string_view NameOf(Enum e, const std::pair<Enum, absl::string_view> (&table)[N]) {
  for (const auto& [value, text] : table) {
    if (value == e) return text;
  }
  return "unknown";
}

constexpr std::pair<Role, absl::string_view> kRoles[] = {{Role::kCustomer, "customer"},
                                                         {Role::kAdmin, "admin"}};
constexpr std::pair<Movement, absl::string_view> kMovements[] = {
    {Movement::kAutomatic, "automatic"}, {Movement::kManual, "manual"},
    {Movement::kQuartz, "quartz"},       {Movement::kSolar, "solar"},
    {Movement::kKinetic, "kinetic"},     {Movement::kSpringDrive, "spring_drive"}};
constexpr std::pair<Complication, absl::string_view> kComplications[] = {
    {Complication::kDate, "date"},
    {Complication::kDayDate, "day_date"},
    {Complication::kGmt, "gmt"},
    {Complication::kChronograph, "chronograph"},
    {Complication::kMoonphase, "moonphase"},
    {Complication::kPowerReserve, "power_reserve"},
    {Complication::kWorldTime, "world_time"},
    {Complication::kAlarm, "alarm"},
    {Complication::kPerpetualCalendar, "perpetual_calendar"},
    {Complication::kTourbillon, "tourbillon"}};
static_assert(sizeof(kComplications) / sizeof(kComplications[0]) == kComplicationCount);
constexpr std::pair<Crystal, absl::string_view> kCrystals[] = {
    {Crystal::kUnspecified, "unspecified"},
    {Crystal::kSapphire, "sapphire"},
    {Crystal::kMineral, "mineral"},
    {Crystal::kAcrylic, "acrylic"}};
constexpr std::pair<Condition, absl::string_view> kConditions[] = {
    {Condition::kNew, "new"}, {Condition::kPreOwned, "pre_owned"}};
constexpr std::pair<ConditionGrade, absl::string_view> kGrades[] = {
    {ConditionGrade::kNone, "none"},           {ConditionGrade::kMint, "mint"},
    {ConditionGrade::kExcellent, "excellent"}, {ConditionGrade::kVeryGood, "very_good"},
    {ConditionGrade::kGood, "good"},           {ConditionGrade::kFair, "fair"}};
constexpr std::pair<ProductSort, absl::string_view> kSorts[] = {
    {ProductSort::kNewest, "newest"},
    {ProductSort::kPriceAsc, "price_asc"},
    {ProductSort::kPriceDesc, "price_desc"},
    {ProductSort::kNameAsc, "name_asc"},
    {ProductSort::kRelevance, "relevance"}};
constexpr std::pair<OrderStatus, absl::string_view> kStatuses[] = {
    {OrderStatus::kPending, "pending"},     {OrderStatus::kPaid, "paid"},
    {OrderStatus::kShipped, "shipped"},     {OrderStatus::kDelivered, "delivered"},
    {OrderStatus::kCancelled, "cancelled"}, {OrderStatus::kExpired, "expired"},
    {OrderStatus::kRefunded, "refunded"}};
constexpr std::pair<PaymentState, absl::string_view> kPaymentStates[] = {
    {PaymentState::kRequiresAction, "requires_action"},
    {PaymentState::kAuthorized, "authorized"},
    {PaymentState::kCaptured, "captured"},
    {PaymentState::kRefunded, "refunded"},
    {PaymentState::kFailed, "failed"},
    {PaymentState::kCancelled, "cancelled"}};
constexpr std::pair<CartMergeChange::Kind, absl::string_view> kMergeKinds[] = {
    {CartMergeChange::Kind::kAdded, "added"},
    {CartMergeChange::Kind::kQuantityRaised, "quantity_raised"},
    {CartMergeChange::Kind::kKeptExisting, "kept_existing"},
    {CartMergeChange::Kind::kCappedByStock, "capped_by_stock"},
    {CartMergeChange::Kind::kDropped, "dropped"}};

}  // namespace

absl::string_view RoleName(Role role) { return NameOf(role, kRoles); }
absl::StatusOr<Role> ParseRole(absl::string_view name) { return ParseByName(name, kRoles, "role"); }
absl::string_view MovementName(Movement m) { return NameOf(m, kMovements); }
absl::StatusOr<Movement> ParseMovement(absl::string_view name) {
  return ParseByName(name, kMovements, "movement");
}
absl::string_view ComplicationName(Complication c) { return NameOf(c, kComplications); }
absl::StatusOr<Complication> ParseComplication(absl::string_view name) {
  return ParseByName(name, kComplications, "complication");
}
absl::string_view CrystalName(Crystal c) { return NameOf(c, kCrystals); }
absl::StatusOr<Crystal> ParseCrystal(absl::string_view name) {
  return ParseByName(name, kCrystals, "crystal");
}
absl::string_view ConditionName(Condition c) { return NameOf(c, kConditions); }
absl::StatusOr<Condition> ParseCondition(absl::string_view name) {
  return ParseByName(name, kConditions, "condition");
}
absl::string_view ConditionGradeName(ConditionGrade g) { return NameOf(g, kGrades); }
absl::StatusOr<ConditionGrade> ParseConditionGrade(absl::string_view name) {
  return ParseByName(name, kGrades, "grade");
}
absl::string_view ProductSortName(ProductSort s) { return NameOf(s, kSorts); }
absl::StatusOr<ProductSort> ParseProductSort(absl::string_view name) {
  return ParseByName(name, kSorts, "sort");
}
absl::string_view OrderStatusName(OrderStatus s) { return NameOf(s, kStatuses); }
absl::StatusOr<OrderStatus> ParseOrderStatus(absl::string_view name) {
  return ParseByName(name, kStatuses, "status");
}
absl::string_view PaymentStateName(PaymentState s) { return NameOf(s, kPaymentStates); }
absl::StatusOr<PaymentState> ParsePaymentState(absl::string_view name) {
  return ParseByName(name, kPaymentStates, "payment_state");
}
absl::string_view CartMergeChangeKindName(CartMergeChange::Kind k) {
  return NameOf(k, kMergeKinds);
}

bool IsLegalTransition(OrderStatus from, OrderStatus to) {
  switch (from) {
    case OrderStatus::kPending:
      return to == OrderStatus::kPaid || to == OrderStatus::kCancelled ||
             to == OrderStatus::kExpired;
    case OrderStatus::kPaid:
      return to == OrderStatus::kShipped || to == OrderStatus::kCancelled ||
             to == OrderStatus::kRefunded;
    case OrderStatus::kShipped:
      return to == OrderStatus::kDelivered || to == OrderStatus::kRefunded;
    case OrderStatus::kDelivered:
      return to == OrderStatus::kRefunded;
    case OrderStatus::kExpired:
      return to == OrderStatus::kPaid;
    case OrderStatus::kCancelled:
    case OrderStatus::kRefunded:
      return false;
  }
  return false;
}

std::string OrderNumberFor(OrderId id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "WS-%06lld", static_cast<long long>(id));
  return buf;
}

std::string ProductNameKey(absl::string_view brand, absl::string_view model) {
  return absl::AsciiStrToLower(absl::StrCat(brand, " ", model));
}

std::string CoverImageUrl(const std::vector<ProductImage>& images) {
  for (const ProductImage& image : images) {
    if (image.variant_id == 0) return image.url;
  }
  return {};
}

Money Product::MinPrice() const {
  if (variants.empty()) return Money{};
  Money min = variants.front().price;
  for (const Variant& v : variants) {
    if (v.price.minor_units < min.minor_units) min = v.price;
  }
  return min;
}

int64_t Product::TotalStock() const {
  int64_t total = 0;
  for (const Variant& v : variants) total += v.stock;
  return total;
}

const Variant* Product::FindVariant(VariantId id) const {
  for (const Variant& v : variants) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

const Variant* Product::FindVariantBySku(absl::string_view sku) const {
  for (const Variant& v : variants) {
    if (v.sku == sku) return &v;
  }
  return nullptr;
}

}  // namespace watchstore
