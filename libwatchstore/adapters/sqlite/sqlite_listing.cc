#include "sqlite/sqlite_listing.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace watchstore::sqlite {
namespace {

using Value = std::variant<int64_t, std::string>;

// A WHERE clause under construction: fixed fragments joined by AND, with
// their values in order.
struct Where {
  std::string sql;
  std::vector<Value> params;

  template <typename... Values>
  void Add(absl::string_view fragment, Values... values) {
    absl::StrAppend(&sql, sql.empty() ? " WHERE " : " AND ", fragment);
    (params.emplace_back(std::move(values)), ...);
  }
};

// The filters of `q`: the same, and in the same sense, as
// internal::MatchesFilters.
Where Filters(const ProductQuery& q) {
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
  if (q.in_stock_only) where.Add("p.total_stock > 0");
  if (!q.text.empty()) {
    // LIKE folds ASCII only, like the reference's ContainsIgnoreCase.
    std::string pattern = ContainsPattern(q.text);
    where.Add("(p.brand LIKE ? ESCAPE '\\' OR p.model LIKE ? ESCAPE '\\')", pattern, pattern);
  }
  return where;
}

// SELECT ... <filters> [AND <position>] ORDER BY <order> LIMIT ?
template <typename... Values>
ListingPart Part(const Where& filters, absl::string_view position, absl::string_view order,
                 Values... values) {
  Where where = filters;
  if (!position.empty()) where.Add(position, std::move(values)...);
  ListingPart part;
  part.sql = absl::StrCat("SELECT " WATCHSTORE_SQLITE_PRODUCT_COLUMNS " FROM products p", where.sql,
                          " ORDER BY ", order, " LIMIT ?");
  part.params = std::move(where.params);
  return part;
}

}  // namespace

std::string ContainsPattern(absl::string_view text) {
  std::string pattern = "%";
  pattern.reserve(text.size() * 2 + 2);
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('%');
  return pattern;
}

ListingSql BuildListingSql(const ProductQuery& q) {
  const Where filters = Filters(q);
  ListingSql out;
  // Orders and positions: internal::SortsBefore and IsAfterCursor.
  switch (q.sort) {
    case ProductSort::kNewest:
      if (!q.after) {
        out.parts.push_back(Part(filters, "", "p.id DESC"));
      } else {
        out.parts.push_back(Part(filters, "p.id < ?", "p.id DESC", int64_t{q.after->id}));
      }
      break;
    case ProductSort::kPriceAsc:
      if (!q.after) {
        out.parts.push_back(Part(filters, "", "p.min_price, p.id"));
      } else {
        out.parts.push_back(Part(filters, "p.min_price = ? AND p.id > ?", "p.id",
                                 int64_t{q.after->price_minor}, int64_t{q.after->id}));
        out.parts.push_back(
            Part(filters, "p.min_price > ?", "p.min_price, p.id", int64_t{q.after->price_minor}));
      }
      break;
    case ProductSort::kPriceDesc:
      if (!q.after) {
        out.parts.push_back(Part(filters, "", "p.min_price DESC, p.id DESC"));
      } else {
        out.parts.push_back(Part(filters, "p.min_price = ? AND p.id < ?", "p.id DESC",
                                 int64_t{q.after->price_minor}, int64_t{q.after->id}));
        out.parts.push_back(Part(filters, "p.min_price < ?", "p.min_price DESC, p.id DESC",
                                 int64_t{q.after->price_minor}));
      }
      break;
    case ProductSort::kNameAsc:
      if (!q.after) {
        out.parts.push_back(Part(filters, "", "p.name_key, p.id"));
      } else {
        out.parts.push_back(Part(filters, "p.name_key = ? AND p.id > ?", "p.id",
                                 std::string(q.after->name_key), int64_t{q.after->id}));
        out.parts.push_back(
            Part(filters, "p.name_key > ?", "p.name_key, p.id", std::string(q.after->name_key)));
      }
      break;
  }
  return out;
}

}  // namespace watchstore::sqlite
