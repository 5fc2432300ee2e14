#include "sqlite/sqlite_listing.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/listing.h"
#include "watchstore/search.h"
#include "watchstore/status_macros.h"

namespace watchstore::sqlite {
namespace {

using Value = std::variant<int64_t, std::string>;

// A WHERE clause under construction: fixed fragments joined by AND, with
// their values in order.
struct Where {
  std::string sql;
  std::vector<Value> params;

  using Params = std::vector<Value>;

  template <typename... Values>
  void Add(absl::string_view fragment, Values... values) {
    absl::StrAppend(&sql, sql.empty() ? " WHERE " : " AND ", fragment);
    (params.emplace_back(std::move(values)), ...);
  }
  void AddAll(absl::string_view fragment, Params values) {
    absl::StrAppend(&sql, sql.empty() ? " WHERE " : " AND ", fragment);
    for (Value& v : values) params.push_back(std::move(v));
  }
};

// The filters of `q`: the same, and in the same sense, as
// internal::MatchesFilters.
Where Filters(const ProductQuery& q, const std::vector<std::string>& words) {
  Where where;
  if (!q.include_archived) where.Add("p.active = 1");
  if (q.brand) {
    // NOCASE folds ASCII only, like absl::EqualsIgnoreCase.
    where.Add("p.brand = ? COLLATE NOCASE", std::string(*q.brand));
  }
  if (q.movement) where.Add("p.movement = ?", static_cast<int64_t>(*q.movement));
  if (q.collection) {
    where.Add(
        "EXISTS (SELECT 1 FROM product_collections c"
        " WHERE c.product_id = p.id AND c.name_key = ?)",
        absl::AsciiStrToLower(*q.collection));
  }
  // The sort index drives every listing: a page is the first rows in sort
  // order that pass the filters, so no page sorts the catalog. Only under a
  // price sort may a price range narrow that index; under other sorts the
  // unary + keeps the planner (which has no statistics) from choosing the
  // price index and sorting every product in the range.
  const bool by_price = q.sort == ProductSort::kPriceAsc || q.sort == ProductSort::kPriceDesc;
  if (q.min_price_minor) {
    where.Add(by_price ? "p.min_price >= ?" : "+p.min_price >= ?", int64_t{*q.min_price_minor});
  }
  if (q.max_price_minor) {
    where.Add(by_price ? "p.min_price <= ?" : "+p.min_price <= ?", int64_t{*q.max_price_minor});
  }
  if (q.min_case_mm) where.Add("p.case_diameter_mm >= ?", int64_t{*q.min_case_mm});
  if (q.max_case_mm) where.Add("p.case_diameter_mm <= ?", int64_t{*q.max_case_mm});
  if (q.case_material) where.Add("p.case_material = ? COLLATE NOCASE", *q.case_material);
  if (q.min_water_m) where.Add("p.water_resistance_m >= ?", int64_t{*q.min_water_m});
  if (q.dial_color) {
    where.Add(
        "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id"
        " AND v.dial_color = ? COLLATE NOCASE)",
        *q.dial_color);
  }
  if (q.complication) {
    where.Add("(p.complications & ?) <> 0", int64_t{ComplicationBit(*q.complication)});
  }
  if (q.condition) where.Add("p.watch_condition = ?", static_cast<int64_t>(*q.condition));
  if (q.in_stock_only) where.Add("p.total_stock > 0");
  // Each word (watchstore/search.h): a fragment of the document, answered by
  // the trigram index (GLOB: case-sensitive, and a word holds no GLOB
  // metacharacter), or a shared typo key.
  for (const std::string& word : words) {
    std::vector<std::string> keys = TypoKeys(word);
    std::string fragment = "(p.id IN (SELECT rowid FROM product_search WHERE document GLOB ?)";
    Where::Params params;
    params.emplace_back(absl::StrCat("*", word, "*"));
    if (!keys.empty()) {
      absl::StrAppend(&fragment,
                      " OR p.id IN (SELECT product_id FROM product_search_keys WHERE key IN (");
      for (size_t i = 0; i < keys.size(); ++i) {
        absl::StrAppend(&fragment, i == 0 ? "?" : ", ?");
        params.emplace_back(std::move(keys[i]));
      }
      absl::StrAppend(&fragment, "))");
    }
    fragment.push_back(')');
    where.AddAll(fragment, std::move(params));
  }
  return where;
}

// The relation a listing reads as `p`, with the values of its parameters.
struct From {
  std::string sql = "products p";
  Where::Params params;
};

// Relevance (watchstore/search.h): the products with their rank, computed
// from the name part of the document (before its "|") and each word.
From Ranked(const std::vector<std::string>& words) {
  constexpr char kNames[] =
      "substr(ps.document, 1, instr(ps.document || '|', '|') - 1)";  // " name words "
  From from;
  std::string rank = "0";
  for (const std::string& word : words) {
    absl::StrAppend(&rank, " + CASE WHEN instr(", kNames, ", ' ' || ? || ' ') > 0 THEN 3",
                    " WHEN instr(", kNames, ", ?) > 0 THEN 2 ELSE 1 END");
    from.params.emplace_back(word);
    from.params.emplace_back(word);
  }
  from.sql = absl::StrCat("(SELECT p.*, ", rank,
                          " AS rank FROM products p JOIN product_search ps ON ps.rowid = p.id) p");
  return from;
}

// SELECT ... FROM <from> <filters> [AND <position>] ORDER BY <order> LIMIT ?
template <typename... Values>
ListingPart Part(const From& from, const Where& filters, absl::string_view position,
                 absl::string_view order, Values... values) {
  Where where = filters;
  if (!position.empty()) where.Add(position, std::move(values)...);
  ListingPart part;
  part.sql = absl::StrCat("SELECT " WATCHSTORE_SQLITE_PRODUCT_COLUMNS " FROM ", from.sql, where.sql,
                          " ORDER BY ", order, " LIMIT ?");
  part.params = from.params;
  for (Value& v : where.params) part.params.push_back(std::move(v));
  return part;
}

}  // namespace

absl::StatusOr<std::vector<FacetSql>> BuildFacetSql(const ProductQuery& q) {
  WS_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseSearchQuery(q.text));
  std::vector<FacetSql> out;
  for (int i = 0; i < kFacetCount; ++i) {
    const Facet f = static_cast<Facet>(i);
    const Where where = Filters(QueryForFacet(q, f), words);
    std::string from = "products p", value;
    switch (f) {
      case Facet::kBrand:
        value = "lower(p.brand)";  // ASCII only, like absl::AsciiStrToLower
        break;
      case Facet::kMovement:
        value = internal::MovementNameSql("p.movement");
        break;
      case Facet::kCaseSize:
        value = internal::BucketCaseSql("p.case_diameter_mm", CaseSizeBuckets());
        break;
      case Facet::kCaseMaterial:
        value = "lower(p.case_material)";
        break;
      case Facet::kWater:
        value = internal::BucketCaseSql("p.water_resistance_m", WaterBuckets());
        break;
      case Facet::kComplication:
        from = absl::StrCat("products p JOIN ", internal::ComplicationTableSql(),
                            " c ON (p.complications >> c.bit) & 1 = 1");
        value = "c.name";
        break;
      case Facet::kDialColor:
        from =
            "products p JOIN (SELECT DISTINCT product_id, lower(dial_color) AS dial FROM variants)"
            " d ON d.product_id = p.id";
        value = "d.dial";
        break;
      case Facet::kCondition:
        value = internal::ConditionNameSql("p.watch_condition");
        break;
      case Facet::kPrice:
        value = internal::BucketCaseSql("p.min_price", PriceBuckets());
        break;
      case Facet::kCollection:
        from =
            "products p JOIN (SELECT DISTINCT product_id, name_key FROM product_collections) pc"
            " ON pc.product_id = p.id";
        value = "pc.name_key";
        break;
    }
    FacetSql part;
    part.sql =
        absl::StrCat("SELECT ", value, " AS v, count(*) FROM ", from, where.sql, " GROUP BY v");
    part.params = where.params;
    out.push_back(std::move(part));
  }
  return out;
}

absl::StatusOr<ListingSql> BuildListingSql(const ProductQuery& q) {
  WS_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseSearchQuery(q.text));
  const Where filters = Filters(q, words);
  const From from = q.sort == ProductSort::kRelevance ? Ranked(words) : From{};
  ListingSql out;
  // Orders and positions: internal::SortsBefore and IsAfterCursor.
  switch (q.sort) {
    case ProductSort::kNewest:
      if (!q.after) {
        out.parts.push_back(Part(from, filters, "", "p.id DESC"));
      } else {
        out.parts.push_back(Part(from, filters, "p.id < ?", "p.id DESC", int64_t{q.after->id}));
      }
      break;
    case ProductSort::kPriceAsc:
      if (!q.after) {
        out.parts.push_back(Part(from, filters, "", "p.min_price, p.id"));
      } else {
        out.parts.push_back(Part(from, filters, "p.min_price = ? AND p.id > ?", "p.id",
                                 int64_t{q.after->price_minor}, int64_t{q.after->id}));
        out.parts.push_back(Part(from, filters, "p.min_price > ?", "p.min_price, p.id",
                                 int64_t{q.after->price_minor}));
      }
      break;
    case ProductSort::kPriceDesc:
      if (!q.after) {
        out.parts.push_back(Part(from, filters, "", "p.min_price DESC, p.id DESC"));
      } else {
        out.parts.push_back(Part(from, filters, "p.min_price = ? AND p.id < ?", "p.id DESC",
                                 int64_t{q.after->price_minor}, int64_t{q.after->id}));
        out.parts.push_back(Part(from, filters, "p.min_price < ?", "p.min_price DESC, p.id DESC",
                                 int64_t{q.after->price_minor}));
      }
      break;
    case ProductSort::kNameAsc:
      if (!q.after) {
        out.parts.push_back(Part(from, filters, "", "p.name_key, p.id"));
      } else {
        out.parts.push_back(Part(from, filters, "p.name_key = ? AND p.id > ?", "p.id",
                                 std::string(q.after->name_key), int64_t{q.after->id}));
        out.parts.push_back(Part(from, filters, "p.name_key > ?", "p.name_key, p.id",
                                 std::string(q.after->name_key)));
      }
      break;
    case ProductSort::kRelevance:
      if (!q.after) {
        out.parts.push_back(Part(from, filters, "", "p.rank DESC, p.id DESC"));
      } else {
        out.parts.push_back(Part(from, filters, "p.rank = ? AND p.id < ?", "p.id DESC",
                                 int64_t{q.after->rank}, int64_t{q.after->id}));
        out.parts.push_back(
            Part(from, filters, "p.rank < ?", "p.rank DESC, p.id DESC", int64_t{q.after->rank}));
      }
      break;
  }
  return out;
}

}  // namespace watchstore::sqlite
