// The catalog: watches (products) and their purchasable variants.
#ifndef WATCHSTORE_PRODUCT_H_
#define WATCHSTORE_PRODUCT_H_

#include <cstdint>
#include <functional>
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

// What a watch does beyond telling the time. A product holds a set of them
// (ComplicationSet, bit i = the complication of value i).
enum class Complication : uint8_t {
  kDate = 0,
  kDayDate = 1,
  kGmt = 2,
  kChronograph = 3,
  kMoonphase = 4,
  kPowerReserve = 5,
  kWorldTime = 6,
  kAlarm = 7,
  kPerpetualCalendar = 8,
  kTourbillon = 9,
};
inline constexpr int kComplicationCount = 10;
absl::string_view ComplicationName(Complication c);  // "date", "day_date", "gmt", ...
absl::StatusOr<Complication> ParseComplication(absl::string_view name);
using ComplicationSet = uint32_t;
inline constexpr ComplicationSet ComplicationBit(Complication c) {
  return ComplicationSet{1} << static_cast<int>(c);
}

enum class Crystal : uint8_t { kUnspecified = 0, kSapphire = 1, kMineral = 2, kAcrylic = 3 };
absl::string_view CrystalName(Crystal c);  // "unspecified", "sapphire", ...
absl::StatusOr<Crystal> ParseCrystal(absl::string_view name);

enum class Condition : uint8_t { kNew = 0, kPreOwned = 1 };
absl::string_view ConditionName(Condition c);  // "new", "pre_owned"
absl::StatusOr<Condition> ParseCondition(absl::string_view name);

// The grade of a pre-owned watch; kNone exactly when the watch is new.
enum class ConditionGrade : uint8_t {
  kNone = 0,
  kMint = 1,
  kExcellent = 2,
  kVeryGood = 3,
  kGood = 4,
  kFair = 5,
};
absl::string_view ConditionGradeName(ConditionGrade g);  // "none", "mint", ...
absl::StatusOr<ConditionGrade> ParseConditionGrade(absl::string_view name);

// What a watch buyer searches and filters by. Ranges are checked by the
// catalog (InvalidArgument naming the field).
struct WatchAttributes {
  Movement movement = Movement::kAutomatic;
  int32_t case_diameter_mm = 0;    // 20..60
  std::string case_material;       // "steel", "titanium", "gold", ...
  int32_t water_resistance_m = 0;  // 0..20000
  std::string strap;               // default strap description
  std::string reference;           // the maker's reference ("5513", "SBGA211"), may be empty
  std::string caliber;             // the movement's caliber ("9R65"), may be empty
  ComplicationSet complications = 0;
  int32_t lug_width_mm = 0;           // 0: not stated, else 8..30
  int32_t case_thickness_tenths = 0;  // in 0.1 mm; 0: not stated, else 20..300
  Crystal crystal = Crystal::kUnspecified;
  Condition condition = Condition::kNew;
  ConditionGrade grade = ConditionGrade::kNone;  // kNone iff condition is kNew
  bool box = false;                              // comes with its box
  bool papers = false;                           // comes with its papers
  int32_t limited_pieces = 0;                    // 0: not a limited edition, else 1..1000000
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

// One picture of a product's gallery. Checked by the catalog: a path
// relative to the storefront ("/img/...") or an https URL (at most 300
// printable ASCII bytes; never "//host", javascript: or data:), alt text of
// 1 to 200 bytes, and variant_id 0 (the whole watch) or the id of an
// existing variant of the product (e.g. its own dial). A new variant has no
// id yet: link its pictures in a later update.
struct ProductImage {
  std::string url;
  std::string alt;
  VariantId variant_id = 0;

  friend bool operator==(const ProductImage&, const ProductImage&) = default;
};
inline constexpr size_t kMaxProductImages = 24;

// The cover of a gallery: the first picture of the whole watch (variant_id
// 0), or empty. The one place Product::image_url is derived from images.
std::string CoverImageUrl(const std::vector<ProductImage>& images);

// A watch. Immutable once built: the catalog hands out shared snapshots.
struct Product {
  ProductId id = 0;
  // First, beside `id`: a cached read checks it before anything else, and
  // the typed cache allocates the product right after its reference count.
  bool active = true;  // false once archived
  // The product's current slug (see DeriveSlug): its URL is /watches/<slug>.
  // Unique across the catalog; every slug a product ever had keeps
  // resolving to it (Storage::ResolveSlug), and no other product takes it.
  std::string slug;
  std::string brand;
  std::string model;
  std::string description;
  WatchAttributes attributes;
  std::vector<std::string> collections;  // "Dive", "Dress", ...
  // The gallery, in display order. A product read by id has all of it; a
  // listing's items have none (the cards need only image_url).
  std::vector<ProductImage> images;
  std::string image_url;  // CoverImageUrl(images), kept in listings too; may be empty
  int64_t version = 1;    // bumped by every change
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
  // Empty: on create, derived from brand, model and reference (DeriveSlug,
  // then FirstFreeSlug); on update, the slug stays as it is (renames do not
  // re-slug, so URLs stay stable). Otherwise the slug wanted, exactly
  // (IsValidSlug): AlreadyExists (reason slug_taken) if another product holds
  // it now or held it before; the product's previous slug keeps redirecting.
  std::string slug;
  std::string brand;
  std::string model;
  std::string description;
  WatchAttributes attributes;
  std::vector<std::string> collections;
  std::vector<ProductImage> images;  // the whole ordered gallery; replaces the stored one
  bool active = true;
  std::vector<VariantDraft> variants;
};

enum class ProductSort : uint8_t {
  kNewest = 0,     // id descending
  kPriceAsc = 1,   // min price ascending, then id
  kPriceDesc = 2,  // min price descending, then id descending
  kNameAsc = 3,    // lower(brand + " " + model) ascending, then id
  kRelevance = 4,  // search rank descending (watchstore/search.h), then id descending
};
absl::string_view ProductSortName(ProductSort s);  // "newest", "price_asc", ...
absl::StatusOr<ProductSort> ParseProductSort(absl::string_view name);

// The position after the last item of a page, for keyset pagination.
struct ProductCursor {
  ProductId id = 0;
  int64_t price_minor = 0;  // kPriceAsc / kPriceDesc
  std::string name_key;     // kNameAsc
  int32_t rank = 0;         // kRelevance
};

// Filters of a listing. Unset optionals do not filter.
struct ProductQuery {
  std::optional<std::string> brand;  // exact, case-insensitive
  std::optional<Movement> movement;
  std::optional<std::string> collection;     // exact, case-insensitive
  std::optional<int64_t> min_price_minor;    // on MinPrice(), inclusive
  std::optional<int64_t> max_price_minor;    // inclusive
  std::optional<int32_t> min_case_mm;        // inclusive
  std::optional<int32_t> max_case_mm;        // inclusive
  std::optional<std::string> case_material;  // exact, case-insensitive (ASCII)
  std::optional<int32_t> min_water_m;        // water resistance, inclusive
  std::optional<std::string> dial_color;     // some variant's dial, exact, case-insensitive
  std::optional<Complication> complication;  // the watch has it
  std::optional<Condition> condition;
  bool in_stock_only = false;
  // Full-text search (watchstore/search.h): every word of it must match the
  // product's brand, model, reference, caliber, collections or description
  // (as a fragment, or within one typo for words of 4+ letters). Empty: no
  // text filter.
  std::string text;
  bool include_archived = false;  // admins only
  // Facet counts (Storage::CountFacets) exact however many products match:
  // no sample (FacetCounts::approximate). For counts that decide what is
  // shown at all, such as the collections list. Listings ignore it.
  bool exact_facets = false;
  ProductSort sort = ProductSort::kNewest;
  int limit = 20;                      // 1..100
  std::optional<ProductCursor> after;  // keyset position
};

// --- Slugs ------------------------------------------------------------------
// A slug is 1 to kMaxSlugLength of a-z, 0-9 and '-', neither starting nor
// ending with '-' and with no "--".
inline constexpr size_t kMaxSlugLength = 80;
bool IsValidSlug(absl::string_view slug);
// The slug of a watch: "brand model reference" in lower case, Latin letters
// with accents (UTF-8, U+00C0..U+017F) transliterated ("é" -> "e", "ß" ->
// "ss", "Ø" -> "o"), every other run of characters one '-'; at most
// kMaxDerivedSlugLength (cut at a word boundary when possible) so that a
// collision suffix fits. "watch" when nothing is left. The one rule: every
// adapter and the migrations' backfill use it.
inline constexpr size_t kMaxDerivedSlugLength = 64;
std::string DeriveSlug(absl::string_view brand, absl::string_view model,
                       absl::string_view reference);
// The first of `base`, `base`-2, `base`-3, ... for which `taken` answers
// false. REQUIRES: IsValidSlug(base) and base.size() <= kMaxDerivedSlugLength.
std::string FirstFreeSlug(absl::string_view base,
                          const std::function<bool(absl::string_view)>& taken);
// The slug a product write gives product `self` (0: a new one) whose slug is
// `current` ("" if new), by the rule of ProductDraft::slug. `owner` answers
// which product holds or held a slug (0: none). AlreadyExists (reason
// slug_taken, field slug) if the draft asks for another product's slug;
// InvalidArgument if the draft slug is malformed; errors of `owner` pass
// through. For the storage adapters, which record the result in the write's
// transaction.
absl::StatusOr<std::string> ChooseSlug(
    const ProductDraft& draft, ProductId self, absl::string_view current,
    const std::function<absl::StatusOr<ProductId>(absl::string_view)>& owner);

// --- Collections ------------------------------------------------------------
// A collection's own words, written by staff for the collection name that
// watches carry (ProductDraft::collections, compared case-insensitively).
struct CollectionInfo {
  std::string slug;         // CollectionSlug(name)
  std::string name;         // 1..40 bytes, as shown
  std::string description;  // 0..2000 bytes of plain text
};
// The slug of a collection name: its words as DeriveSlug spells them
// ("Dive" -> "dive", "Haute Horlogerie" -> "haute-horlogerie"), at most
// kMaxSlugLength; "" for a name of no letters or digits (it has no page).
std::string CollectionSlug(absl::string_view name);

// The sort key of a product's name: lower-case ASCII of "brand model".
std::string ProductNameKey(absl::string_view brand, absl::string_view model);

}  // namespace watchstore

#endif  // WATCHSTORE_PRODUCT_H_
