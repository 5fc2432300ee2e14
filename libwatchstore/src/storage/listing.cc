#include "storage/listing.h"

#include <map>
#include <string>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "watchstore/search.h"

namespace watchstore::internal {

bool MatchesFilters(const Product& p, const ProductQuery& q) {
  if (!p.active && !q.include_archived) return false;
  if (q.brand && !absl::EqualsIgnoreCase(p.brand, *q.brand)) return false;
  if (q.movement && p.attributes.movement != *q.movement) return false;
  if (q.collection) {
    bool found = false;
    for (const auto& c : p.collections) found = found || absl::EqualsIgnoreCase(c, *q.collection);
    if (!found) return false;
  }
  const int64_t price = p.MinPrice().minor_units;
  if (q.min_price_minor && price < *q.min_price_minor) return false;
  if (q.max_price_minor && price > *q.max_price_minor) return false;
  if (q.min_case_mm && p.attributes.case_diameter_mm < *q.min_case_mm) return false;
  if (q.max_case_mm && p.attributes.case_diameter_mm > *q.max_case_mm) return false;
  if (q.case_material && !absl::EqualsIgnoreCase(p.attributes.case_material, *q.case_material)) {
    return false;
  }
  if (q.min_water_m && p.attributes.water_resistance_m < *q.min_water_m) return false;
  if (q.dial_color) {
    bool found = false;
    for (const Variant& v : p.variants) {
      found = found || absl::EqualsIgnoreCase(v.dial_color, *q.dial_color);
    }
    if (!found) return false;
  }
  if (q.complication && (p.attributes.complications & ComplicationBit(*q.complication)) == 0) {
    return false;
  }
  if (q.condition && p.attributes.condition != *q.condition) return false;
  if (q.in_stock_only && !p.InStock()) return false;
  if (!q.text.empty()) {
    absl::StatusOr<std::vector<std::string>> words = ParseSearchQuery(q.text);
    if (!words.ok()) return false;
    if (!words->empty()) {
      const SearchIndexEntry entry = IndexProduct(p);
      for (const std::string& w : *words) {
        if (!SearchWordMatches(entry, w)) return false;
      }
    }
  }
  return true;
}

bool KeySortsBefore(const ProductCursor& a, const ProductCursor& b, ProductSort sort) {
  switch (sort) {
    case ProductSort::kNewest:
      return a.id > b.id;
    case ProductSort::kPriceAsc:
      return std::tie(a.price_minor, a.id) < std::tie(b.price_minor, b.id);
    case ProductSort::kPriceDesc:
      return std::tie(a.price_minor, a.id) > std::tie(b.price_minor, b.id);
    case ProductSort::kNameAsc:
      return std::tie(a.name_key, a.id) < std::tie(b.name_key, b.id);
    case ProductSort::kRelevance:
      return std::tie(a.rank, a.id) > std::tie(b.rank, b.id);
  }
  return false;
}

bool SortsBefore(const Product& a, const Product& b, const ProductQuery& q) {
  return KeySortsBefore(CursorAfter(a, q), CursorAfter(b, q), q.sort);
}

FacetCounts CountFacetsOf(const std::vector<const Product*>& products, const ProductQuery& q) {
  FacetCounts out;
  for (int i = 0; i < kFacetCount; ++i) {
    const Facet f = static_cast<Facet>(i);
    const ProductQuery qf = QueryForFacet(q, f);
    std::map<std::string, int64_t> counts;
    for (const Product* p : products) {
      if (!MatchesFilters(*p, qf)) continue;
      for (std::string& v : FacetValuesOf(*p, f)) ++counts[std::move(v)];
    }
    for (auto& [value, count] : counts) out.facets[i].push_back(FacetValue{value, count});
  }
  return out;
}

std::string BucketCaseSql(absl::string_view column, absl::Span<const FacetBucket> buckets) {
  std::string sql = "CASE";
  for (const FacetBucket& b : buckets) {
    absl::StrAppend(&sql, " WHEN ", column, " BETWEEN ", b.min, " AND ", b.max, " THEN '", b.name,
                    "'");
  }
  return absl::StrCat(sql, " END");
}

std::string MovementNameSql(absl::string_view column) {
  std::string sql = absl::StrCat("CASE ", column);
  for (int i = 0; i <= static_cast<int>(Movement::kSpringDrive); ++i) {
    absl::StrAppend(&sql, " WHEN ", i, " THEN '", MovementName(static_cast<Movement>(i)), "'");
  }
  return absl::StrCat(sql, " END");
}

std::string ConditionNameSql(absl::string_view column) {
  std::string sql = absl::StrCat("CASE ", column);
  for (int i = 0; i <= static_cast<int>(Condition::kPreOwned); ++i) {
    absl::StrAppend(&sql, " WHEN ", i, " THEN '", ConditionName(static_cast<Condition>(i)), "'");
  }
  return absl::StrCat(sql, " END");
}

std::string ComplicationTableSql() {
  std::string sql = "(";
  for (int i = 0; i < kComplicationCount; ++i) {
    absl::StrAppend(&sql, i ? " UNION ALL " : "", "SELECT ", i, " AS bit, '",
                    ComplicationName(static_cast<Complication>(i)), "' AS name");
  }
  return absl::StrCat(sql, ")");
}

ProductCursor CursorAfter(const Product& p, const std::vector<std::string>& words) {
  return ProductCursor{p.id, p.MinPrice().minor_units, ProductNameKey(p.brand, p.model),
                       words.empty() ? 0 : SearchRank(IndexProduct(p).document, words)};
}

ProductCursor CursorAfter(const Product& p, const ProductQuery& q) {
  absl::StatusOr<std::vector<std::string>> words = ParseSearchQuery(q.text);
  return CursorAfter(p, words.ok() ? *words : std::vector<std::string>{});
}

}  // namespace watchstore::internal
