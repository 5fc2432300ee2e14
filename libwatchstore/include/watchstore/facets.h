// Facet counts of a catalog listing: for the current query and filters, how
// many watches each value of a facet would show. Disjunctive: a facet's
// counts ignore that facet's own filter (with a brand chosen, the brand facet
// still counts every brand), so a shopper sees what choosing another value
// would give. The rules are written once here; every Storage adapter counts
// by them (tested against a brute-force count on each).
#ifndef WATCHSTORE_FACETS_H_
#define WATCHSTORE_FACETS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "watchstore/product.h"

namespace watchstore {

enum class Facet : uint8_t {
  kBrand = 0,         // ASCII lower-cased brand; ignores the brand filter
  kMovement = 1,      // MovementName; ignores movement
  kCaseSize = 2,      // CaseSizeBuckets(); ignores min_case / max_case
  kCaseMaterial = 3,  // ASCII lower-cased case material; ignores case_material
  kWater = 4,         // WaterBuckets(); ignores min_water
  kComplication = 5,  // each complication the watch has; ignores complication
  kDialColor = 6,     // each distinct ASCII lower-cased variant dial; ignores dial_color
  kCondition = 7,     // ConditionName; ignores condition
  kPrice = 8,         // PriceBuckets() of the "from" price; ignores min/max price
  kCollection = 9,    // each ASCII lower-cased collection; ignores collection
};
inline constexpr int kFacetCount = 10;
absl::string_view FacetName(Facet f);  // "brand", "movement", "case_size", ...

// A range facet's buckets, inclusive bounds, in order, covering every value
// the catalog accepts.
struct FacetBucket {
  absl::string_view name;
  int64_t min;
  int64_t max;
};
absl::Span<const FacetBucket> CaseSizeBuckets();  // mm
absl::Span<const FacetBucket> WaterBuckets();     // m
absl::Span<const FacetBucket> PriceBuckets();     // minor units of the "from" price

struct FacetValue {
  std::string value;
  int64_t count = 0;  // > 0
  bool operator==(const FacetValue& o) const { return value == o.value && count == o.count; }
};
// Per facet (index: Facet), its values sorted by value (bytewise).
struct FacetCounts {
  std::array<std::vector<FacetValue>, kFacetCount> facets;
  // Counted over a sample and scaled (an adapter may do so for a query that
  // matches very many products; PostgresOptions::facet_exact_limit): each
  // count is an estimate, and a value rare among the matches may be
  // missing. False: every count is exact.
  bool approximate = false;
  bool operator==(const FacetCounts& o) const {
    return facets == o.facets && approximate == o.approximate;
  }
};

// The query facet `f` is counted under: `q` without f's own filter, without
// cursor (the sort and page size do not matter).
ProductQuery QueryForFacet(const ProductQuery& q, Facet f);
// The values of facet `f` a product counts for (none, one, or several).
std::vector<std::string> FacetValuesOf(const Product& p, Facet f);

}  // namespace watchstore

#endif  // WATCHSTORE_FACETS_H_
