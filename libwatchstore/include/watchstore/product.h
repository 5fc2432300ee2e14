// The catalog: watches (products) and their purchasable variants.
#ifndef WATCHSTORE_PRODUCT_H_
#define WATCHSTORE_PRODUCT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/money.h"

namespace watchstore {

using ProductId = int64_t;
using VariantId = int64_t;

enum class Movement : uint8_t {
  kAutomatic = 0,
  kManual = 1,
  kQuartz = 2,
  kSolar = 3,
  kKinetic = 4,
  kSpringDrive = 5,
};
absl::string_view MovementName(Movement m);  // "automatic", "manual", ...
absl::StatusOr<Movement> ParseMovement(absl::string_view name);

// What a watch buyer filters by.
struct WatchAttributes {
  Movement movement = Movement::kAutomatic;
  int32_t case_diameter_mm = 0;    // 20..60
  std::string case_material;       // "steel", "titanium", "gold", ...
  int32_t water_resistance_m = 0;  // 0..20000
  std::string strap;               // default strap description
};

// A purchasable option of a product: one SKU with its own price and stock.
struct Variant {
  VariantId id = 0;
  ProductId product_id = 0;
  std::string sku;  // unique across the catalog
  std::string dial_color;
  std::string strap;
  std::string size;  // free-form size option ("S/M", "40 mm"), may be empty
  Money price;
  int64_t stock = 0;  // never negative
};

// A watch. Immutable once built: the catalog hands out shared snapshots.
struct Product {
  ProductId id = 0;
  std::string brand;
  std::string model;
  std::string description;
  WatchAttributes attributes;
  std::vector<std::string> collections;  // "Dive", "Dress", ...
  std::string image_url;                 // relative to the storefront, may be empty
  bool active = true;                    // false once archived
  int64_t version = 1;                   // bumped by every change
  absl::Time created_at;
  absl::Time updated_at;
  std::vector<Variant> variants;  // at least one, ordered by id

  // Lowest variant price ("from" price); the listing's price sort key.
  Money MinPrice() const;
  // Sum of variant stock.
  int64_t TotalStock() const;
  bool InStock() const { return TotalStock() > 0; }
  const Variant* FindVariant(VariantId id) const;
  const Variant* FindVariantBySku(absl::string_view sku) const;
};

// Caller-supplied variant fields (create or update).
struct VariantDraft {
  VariantId id = 0;  // 0: a new variant; else an existing one of this product
  std::string sku;
  std::string dial_color;
  std::string strap;
  std::string size;
  Money price;
  int64_t stock = 0;  // used only when the variant is created
};

// Caller-supplied product fields (create or full update).
struct ProductDraft {
  std::string brand;
  std::string model;
  std::string description;
  WatchAttributes attributes;
  std::vector<std::string> collections;
  std::string image_url;
  bool active = true;
  std::vector<VariantDraft> variants;
};

enum class ProductSort : uint8_t {
  kNewest = 0,     // id descending
  kPriceAsc = 1,   // min price ascending, then id
  kPriceDesc = 2,  // min price descending, then id descending
  kNameAsc = 3,    // lower(brand + " " + model) ascending, then id
};
absl::string_view ProductSortName(ProductSort s);  // "newest", "price_asc", ...
absl::StatusOr<ProductSort> ParseProductSort(absl::string_view name);

// The position after the last item of a page, for keyset pagination.
struct ProductCursor {
  ProductId id = 0;
  int64_t price_minor = 0;  // kPriceAsc / kPriceDesc
  std::string name_key;     // kNameAsc
};

// Filters of a listing. Unset optionals do not filter.
struct ProductQuery {
  std::optional<std::string> brand;  // exact, case-insensitive
  std::optional<Movement> movement;
  std::optional<std::string> collection;   // exact, case-insensitive
  std::optional<int64_t> min_price_minor;  // on MinPrice(), inclusive
  std::optional<int64_t> max_price_minor;  // inclusive
  std::optional<int32_t> min_case_mm;      // inclusive
  std::optional<int32_t> max_case_mm;      // inclusive
  bool in_stock_only = false;
  std::string text;               // substring of brand or model, case-insensitive
  bool include_archived = false;  // admins only
  ProductSort sort = ProductSort::kNewest;
  int limit = 20;                      // 1..100
  std::optional<ProductCursor> after;  // keyset position
};

// The sort key of a product's name: lower-case ASCII of "brand model".
std::string ProductNameKey(absl::string_view brand, absl::string_view model);

}  // namespace watchstore

#endif  // WATCHSTORE_PRODUCT_H_
