#include "postgres/pg_listing.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/listing.h"
#include "watchstore/facets.h"
#include "watchstore/search.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal::pg {
namespace {

// Shape bits of a product listing, in the order their parameters are bound.
enum ProductFilter : uint32_t {
  kActiveOnly = 1u << 0,
  kBrand = 1u << 1,
  kMovement = 1u << 2,
  kCollection = 1u << 3,
  kMinPrice = 1u << 4,
  kMaxPrice = 1u << 5,
  kMinCase = 1u << 6,
  kMaxCase = 1u << 7,
  kInStock = 1u << 8,
  kCaseMaterial = 1u << 9,
  kMinWater = 1u << 10,
  kDialColor = 1u << 11,
  kComplication = 1u << 12,
  kCondition = 1u << 13,
  kAfter = 1u << 14,
};
// Bits 15..18: the number of search words (0..kMaxSearchWords); bits
// 19..26: which of them have typo keys (the others need no array test, and
// the planner estimates them better without one); then the sort (3 bits),
// then the page-size bucket.
constexpr int kWordShift = 15;
constexpr int kTypoShift = 19;
static_assert(kMaxSearchWords <= 8);
constexpr int kSortShift = 27;
constexpr int kBucketShift = 30;

// The words of a query, or none if it is refused (BindProductListing
// reports that).
std::vector<std::string> WordsOf(const ProductQuery& q) {
  absl::StatusOr<std::vector<std::string>> words = ParseSearchQuery(q.text);
  return words.ok() ? *std::move(words) : std::vector<std::string>{};
}

// Page sizes are bound as $n, but a planner cannot size a LIMIT $n in a
// generic plan (it assumes 10% of the table, and picks a sequential scan and
// a sort). So the innermost LIMIT is a constant from this table, the
// smallest at least limit + 1, and LIMIT $n trims to the exact size on top:
// generic plans are then as good as custom ones and get cached (no planning
// per request).
constexpr int64_t kLimitBuckets[] = {2, 6, 11, 21, 26, 51, 101};
constexpr uint32_t kBucketCount = sizeof(kLimitBuckets) / sizeof(kLimitBuckets[0]);

uint32_t BucketOf(int limit) {
  const int64_t rows = static_cast<int64_t>(std::max(limit, 1)) + 1;
  for (uint32_t i = 0; i < kBucketCount; ++i) {
    if (kLimitBuckets[i] >= rows) return i;
  }
  return kBucketCount;  // beyond the table: no constant bound
}

// "LIMIT $n" under a constant LIMIT of the shape's bucket, over `inner`
// (which ends with its ORDER BY), re-ordered by `order`.
std::string BoundedPage(const std::string& inner, uint32_t bucket, const char* alias,
                        const char* order, const std::string& limit_param) {
  if (bucket >= kBucketCount) {
    return absl::StrCat("(", inner, " LIMIT ", limit_param, "::bigint) ", alias);
  }
  return absl::StrCat("(SELECT * FROM (", inner, " LIMIT ", kLimitBuckets[bucket], ") ", alias,
                      " ORDER BY ", order, " LIMIT ", limit_param, "::bigint) ", alias);
}

uint32_t WordCount(uint64_t shape) { return (shape >> kWordShift) & 15u; }

ProductSort SortOf(uint64_t shape) { return static_cast<ProductSort>((shape >> kSortShift) & 7u); }

// ORDER BY of a sort, over relation `p`.
const char* OrderBy(ProductSort sort) {
  switch (sort) {
    case ProductSort::kNewest:
      return "p.id DESC";
    case ProductSort::kPriceAsc:
      return "p.min_price, p.id";
    case ProductSort::kPriceDesc:
      return "p.min_price DESC, p.id DESC";
    case ProductSort::kNameAsc:
      return "p.name_key, p.id";
    case ProductSort::kRelevance:
      return "p.rank DESC, p.id DESC";
  }
  return "p.id DESC";
}

enum OrderFilter : uint32_t {
  kOrderUser = 1u << 0,
  kOrderStatus = 1u << 1,
  kOrderBefore = 1u << 2,
  kOrderRefundDue = 1u << 3,
};
constexpr int kOrderBucketShift = 4;

}  // namespace

uint64_t ProductListingShape(const ProductQuery& q) {
  uint64_t s = 0;
  if (!q.include_archived) s |= kActiveOnly;
  if (q.brand) s |= kBrand;
  if (q.movement) s |= kMovement;
  if (q.collection) s |= kCollection;
  if (q.min_price_minor) s |= kMinPrice;
  if (q.max_price_minor) s |= kMaxPrice;
  if (q.min_case_mm) s |= kMinCase;
  if (q.max_case_mm) s |= kMaxCase;
  if (q.in_stock_only) s |= kInStock;
  if (q.case_material) s |= kCaseMaterial;
  if (q.min_water_m) s |= kMinWater;
  if (q.dial_color) s |= kDialColor;
  if (q.complication) s |= kComplication;
  if (q.condition) s |= kCondition;
  if (q.after) s |= kAfter;
  const std::vector<std::string> words = WordsOf(q);
  for (size_t i = 0; i < words.size(); ++i) {
    if (!TypoKeys(words[i]).empty()) s |= uint64_t{1} << (kTypoShift + i);
  }
  return s | (uint64_t{words.size()} << kWordShift) |
         (uint64_t{static_cast<uint8_t>(q.sort)} << kSortShift) |
         (uint64_t{BucketOf(q.limit)} << kBucketShift);
}

std::string ProductListingName(uint64_t shape) { return absl::StrCat("ws_list_products_", shape); }

bool ListingHasWords(uint64_t shape) { return WordCount(shape) > 0; }

namespace {

// The filters of a shape over `products p`, numbering parameters after *n.
std::string FiltersSql(uint64_t shape, int* n) {
  auto next = [n] { return absl::StrCat("$", ++*n); };
  std::string where = "TRUE";
  if (shape & kActiveOnly) absl::StrAppend(&where, " AND p.active");
  if (shape & kBrand) absl::StrAppend(&where, " AND p.brand_key = ", next());
  if (shape & kMovement) absl::StrAppend(&where, " AND p.movement = ", next(), "::smallint");
  if (shape & kCollection) {
    absl::StrAppend(&where, " AND p.collection_keys @> ARRAY[", next(), "::text]");
  }
  if (shape & kMinPrice) absl::StrAppend(&where, " AND p.min_price >= ", next(), "::bigint");
  if (shape & kMaxPrice) absl::StrAppend(&where, " AND p.min_price <= ", next(), "::bigint");
  if (shape & kMinCase) absl::StrAppend(&where, " AND p.case_diameter_mm >= ", next(), "::integer");
  if (shape & kMaxCase) absl::StrAppend(&where, " AND p.case_diameter_mm <= ", next(), "::integer");
  if (shape & kInStock) absl::StrAppend(&where, " AND p.in_stock");
  // lower() under COLLATE "C" folds ASCII only, like absl::EqualsIgnoreCase.
  if (shape & kCaseMaterial) {
    absl::StrAppend(&where, " AND lower(p.case_material COLLATE \"C\") = ", next(), "::text");
  }
  if (shape & kMinWater) {
    absl::StrAppend(&where, " AND p.water_resistance_m >= ", next(), "::integer");
  }
  if (shape & kDialColor) {
    absl::StrAppend(&where,
                    " AND EXISTS (SELECT 1 FROM variants dv WHERE dv.product_id = p.id"
                    " AND lower(dv.dial_color COLLATE \"C\") = ",
                    next(), "::text)");
  }
  if (shape & kComplication) {
    absl::StrAppend(&where, " AND (p.complications & ", next(), "::integer) <> 0");
  }
  if (shape & kCondition) {
    absl::StrAppend(&where, " AND p.watch_condition = ", next(), "::smallint");
  }
  // Each word (watchstore/search.h): a fragment of the document, by the
  // trigram index (LIKE is bytewise under COLLATE "C"; a word holds no LIKE
  // metacharacter), or a shared typo key, by the array index.
  for (uint32_t w = 0; w < WordCount(shape); ++w) {
    if (shape & (uint64_t{1} << (kTypoShift + w))) {
      const std::string pattern = next();
      absl::StrAppend(&where, " AND (p.search_text LIKE ", pattern, "::text OR p.search_keys && ",
                      next(), "::text[])");
    } else {
      absl::StrAppend(&where, " AND p.search_text LIKE ", next(), "::text");
    }
  }
  return where;
}

}  // namespace

namespace {

// A ranked page of a one-word search, tier by tier. The word's score
// (3 a whole word of the name part, 2 inside it, 1 otherwise) splits the
// matches into three disjoint tiers; each tier's page is its newest
// matches (past the cursor), so the page is the best of three short
// id-ordered scans instead of a sort of every match: a misspelled brand
// that a fifth of the catalog matches ranks nothing, and the two name
// tiers are found by the trigram index (a name match is a document match).
// Same rows, same order as ranking every match.
std::string TieredRankedPage(const std::string& where, const std::string& word,
                             const std::string* after_rank, const std::string* after_id,
                             uint32_t bucket, const std::string& limit) {
  const std::string name = "split_part(p.search_text, '|', 1)";
  const std::string whole = absl::StrCat("strpos(", name, ", ' ' || ", word, "::text || ' ')");
  const std::string inside = absl::StrCat("strpos(", name, ", ", word, "::text)");
  const std::string in_document =
      absl::StrCat("p.search_text LIKE ('%' || ", word, "::text || '%')");
  const struct {
    int rank;
    std::string condition;
  } tiers[] = {
      {3, absl::StrCat(whole, " > 0 AND ", in_document)},
      {2, absl::StrCat(whole, " = 0 AND ", inside, " > 0 AND ", in_document)},
      {1, absl::StrCat(inside, " = 0")},
  };
  const std::string cap =
      bucket < kBucketCount ? absl::StrCat(kLimitBuckets[bucket]) : absl::StrCat(limit, "::bigint");
  std::string all;
  for (const auto& t : tiers) {
    std::string position;
    if (after_rank != nullptr) {
      position = absl::StrCat(" AND (", t.rank, " < ", *after_rank, "::integer OR (", t.rank, " = ",
                              *after_rank, "::integer AND p.id < ", *after_id, "::bigint))");
    }
    absl::StrAppend(&all, all.empty() ? "" : " UNION ALL ", "(SELECT p.*, ", t.rank,
                    " AS rank FROM products p WHERE ", where, " AND ", t.condition, position,
                    " ORDER BY p.id DESC LIMIT ", cap, ")");
  }
  return absl::StrCat("(SELECT * FROM (", all, ") p ORDER BY p.rank DESC, p.id DESC LIMIT ", limit,
                      "::bigint) p");
}

}  // namespace

std::string ProductListingSql(uint64_t shape) {
  int n = 0;
  auto next = [&n] { return absl::StrCat("$", ++n); };
  std::string where = FiltersSql(shape, &n);
  const ProductSort sort = SortOf(shape);
  const uint32_t bucket = static_cast<uint32_t>(shape >> kBucketShift);
  const char* order = OrderBy(sort);
  // LATERAL with its own ORDER BY (which keeps the planner from flattening
  // it into a plain join): the variants of each listed product are fetched
  // by index.
  const auto with_variants = [order](const std::string& page) {
    return absl::StrCat("SELECT " WS_PG_PRODUCT_COLUMNS " FROM ", page,
                        " LEFT JOIN LATERAL (SELECT * FROM variants v"
                        " WHERE v.product_id = p.id ORDER BY v.id) v ON TRUE ORDER BY ",
                        order, ", v.id");
  };
  if (sort == ProductSort::kRelevance && WordCount(shape) == 1) {
    const std::string word = next();
    std::string after_rank, after_id;
    if (shape & kAfter) {
      after_rank = next();
      after_id = next();
    }
    const bool after = (shape & kAfter) != 0;
    return with_variants(TieredRankedPage(where, word, after ? &after_rank : nullptr,
                                          after ? &after_id : nullptr, bucket, next()));
  }
  // Relevance (watchstore/search.h): the rank of each listed product, from
  // the name part of its document and each word ($k, bound after the
  // filters); the position then compares it on the outer relation.
  std::string ranked = "products p";
  if (sort == ProductSort::kRelevance) {
    std::string rank = "0";
    for (uint32_t w = 0; w < WordCount(shape); ++w) {
      const std::string word = next();
      absl::StrAppend(&rank, " + CASE WHEN strpos(split_part(p.search_text, '|', 1), ' ' || ", word,
                      "::text || ' ') > 0 THEN 3 WHEN strpos(split_part(p.search_text, '|', 1), ",
                      word, "::text) > 0 THEN 2 ELSE 1 END");
    }
    ranked = absl::StrCat("(SELECT p.*, (", rank, ")::integer AS rank FROM products p WHERE ",
                          where, ") p");
    where = "TRUE";
  }
  if (shape & kAfter) {
    switch (sort) {
      case ProductSort::kNewest:
        absl::StrAppend(&where, " AND p.id < ", next(), "::bigint");
        break;
      case ProductSort::kPriceAsc: {
        const std::string price = next();
        absl::StrAppend(&where, " AND (p.min_price, p.id) > (", price, "::bigint, ", next(),
                        "::bigint)");
        break;
      }
      case ProductSort::kPriceDesc: {
        const std::string price = next();
        absl::StrAppend(&where, " AND (p.min_price, p.id) < (", price, "::bigint, ", next(),
                        "::bigint)");
        break;
      }
      case ProductSort::kNameAsc: {
        const std::string key = next();
        absl::StrAppend(&where, " AND (p.name_key, p.id) > (", key, "::text COLLATE \"C\", ",
                        next(), "::bigint)");
        break;
      }
      case ProductSort::kRelevance: {
        const std::string rank = next();
        absl::StrAppend(&where, " AND (p.rank, p.id) < (", rank, "::integer, ", next(),
                        "::bigint)");
        break;
      }
    }
  }
  const std::string inner =
      absl::StrCat("SELECT * FROM ", ranked, " WHERE ", where, " ORDER BY ", order);
  return with_variants(BoundedPage(inner, bucket, "p", order, next()));
}

namespace {

// The parameters of FiltersSql, in its order.
void BindFilters(const ProductQuery& q, const std::vector<std::string>& words, Params* params) {
  if (q.brand) params->Add(absl::AsciiStrToLower(*q.brand));
  if (q.movement) params->Add(static_cast<int>(*q.movement));
  if (q.collection) params->Add(absl::AsciiStrToLower(*q.collection));
  if (q.min_price_minor) params->Add(*q.min_price_minor);
  if (q.max_price_minor) params->Add(*q.max_price_minor);
  if (q.min_case_mm) params->Add(static_cast<int>(*q.min_case_mm));
  if (q.max_case_mm) params->Add(static_cast<int>(*q.max_case_mm));
  if (q.case_material) params->Add(absl::AsciiStrToLower(*q.case_material));
  if (q.min_water_m) params->Add(static_cast<int>(*q.min_water_m));
  if (q.dial_color) params->Add(absl::AsciiStrToLower(*q.dial_color));
  if (q.complication) params->Add(static_cast<int64_t>(ComplicationBit(*q.complication)));
  if (q.condition) params->Add(static_cast<int>(*q.condition));
  for (const std::string& word : words) {
    params->Add(absl::StrCat("%", word, "%"));
    std::vector<std::string> keys = TypoKeys(word);
    if (!keys.empty()) params->AddTextArray(keys);
  }
}

// The filter bits of a shape (what FiltersSql reads).
constexpr uint64_t kFilterMask = (uint64_t{1} << kSortShift) - 1 - kAfter;

// A facet's value and relation, over the facet base `base p`
// (watchstore/facets.h); `count` is what each row of the relation counts.
// `bounded`: the base has at most ~facet_exact_limit rows.
void FacetValueSql(Facet f, bool bounded, std::string* from, std::string* value,
                   std::string* count) {
  *from = "base p";
  *count = "count(*)";
  switch (f) {
    case Facet::kBrand:
      *value = "p.brand_key";
      break;
    case Facet::kMovement:
      *value = MovementNameSql("p.movement");
      break;
    case Facet::kCaseSize:
      *value = BucketCaseSql("p.case_diameter_mm", CaseSizeBuckets());
      break;
    case Facet::kCaseMaterial:
      *value = "lower(p.case_material COLLATE \"C\")";
      break;
    case Facet::kWater:
      *value = BucketCaseSql("p.water_resistance_m", WaterBuckets());
      break;
    case Facet::kComplication:
      *from = absl::StrCat("base p JOIN ", ComplicationTableSql(),
                           " c ON (p.complications >> c.bit) & 1 = 1");
      *value = "c.name";
      break;
    case Facet::kDialColor:
      if (bounded) {
        // A base of at most ~exact_limit rows (a sample past it): its
        // variants by index, product by product. The planner, estimating
        // the base from the unsampled branch, would hash all variants.
        *from =
            "base p JOIN LATERAL (SELECT DISTINCT lower(dv.dial_color COLLATE \"C\") AS c"
            " FROM variants dv WHERE dv.product_id = p.id) d ON TRUE";
        *value = "d.c";
        break;
      }
      // A plain join, so that the planner may hash it for a broad base and
      // look variants up by index for a narrow one; a product counts once
      // per colour.
      *from = "base p JOIN variants dv ON dv.product_id = p.id";
      *value = "lower(dv.dial_color COLLATE \"C\")";
      *count = "count(DISTINCT p.id)";
      break;
    case Facet::kCondition:
      *value = ConditionNameSql("p.watch_condition");
      break;
    case Facet::kPrice:
      *value = BucketCaseSql("p.min_price", PriceBuckets());
      break;
    case Facet::kCollection:
      *from =
          "base p JOIN LATERAL (SELECT DISTINCT k FROM unnest(p.collection_keys) AS k) pc"
          " ON TRUE";
      *value = "pc.k";
      break;
  }
}

// The filters no facet sets aside (active, in stock, the search words), and
// those of facet `f` alone: the queries whose parameters ProductFacetsSql
// binds, in its order. The facets' own filters are disjoint
// (QueryForFacet), so a facet's rows are the base rows that pass every other
// facet's filters.
ProductQuery CommonFilters(const ProductQuery& q) {
  ProductQuery out = q;
  for (int i = 0; i < kFacetCount; ++i) out = QueryForFacet(out, static_cast<Facet>(i));
  return out;
}

ProductQuery OwnFilters(const ProductQuery& q, Facet f) {
  ProductQuery out = q;
  out.text.clear();
  out.in_stock_only = false;
  out.include_archived = true;  // no active filter
  for (int i = 0; i < kFacetCount; ++i) {
    if (static_cast<Facet>(i) != f) out = QueryForFacet(out, static_cast<Facet>(i));
  }
  return out;
}

}  // namespace

absl::Status BindProductListing(const ProductQuery& q, Params* params) {
  WS_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseSearchQuery(q.text));
  BindFilters(q, words, params);
  if (q.sort == ProductSort::kRelevance) {
    for (const std::string& word : words) params->Add(word);
  }
  if (q.after) {
    switch (q.sort) {
      case ProductSort::kNewest:
        params->Add(q.after->id);
        break;
      case ProductSort::kPriceAsc:
      case ProductSort::kPriceDesc:
        params->Add(q.after->price_minor).Add(q.after->id);
        break;
      case ProductSort::kNameAsc:
        params->Add(q.after->name_key).Add(q.after->id);
        break;
      case ProductSort::kRelevance:
        params->Add(static_cast<int>(q.after->rank)).Add(q.after->id);
        break;
    }
  }
  params->Add(static_cast<int64_t>(std::max(q.limit, 1)) + 1);
  return absl::OkStatus();
}

std::string ProductFacetsName(const ProductQuery& q, int64_t exact_limit) {
  return absl::StrCat("ws_product_facets_", ProductListingShape(q) & kFilterMask, "_", exact_limit);
}

// One scan: the products that pass the common filters and fail at most one
// facet's own filters, with a flag per facet filter set (g<i>), materialized
// once; then each facet counts the base rows that pass every other facet's
// filters. Before this, each facet scanned the products again (ten scans of
// a broad search at 1M products took ~25 s under load).
//
// Bounded: a probe counts the common filters' matches up to `exact_limit`
// + 1 (stopping there); past the limit the base comes from a sample of
// about `exact_limit` products (TABLESAMPLE SYSTEM: whole pages, at the
// percentage the table's row estimate gives), and a last row (f = -1)
// carries that percentage, by which the caller scales the counts. Either
// branch runs alone: its gate is a one-time filter on the probe.
std::string ProductFacetsSql(const ProductQuery& q, int64_t exact_limit) {
  int n = 0;
  const uint64_t common = ProductListingShape(CommonFilters(q)) & kFilterMask;
  std::string columns =
      "p.id, p.brand_key, p.movement, p.case_diameter_mm, p.case_material,"
      " p.water_resistance_m, p.complications, p.watch_condition, p.min_price,"
      " p.collection_keys";
  std::vector<int> flagged;
  std::string failures = "0";
  for (int i = 0; i < kFacetCount; ++i) {
    const uint64_t own = ProductListingShape(OwnFilters(q, static_cast<Facet>(i))) & kFilterMask;
    if (own == 0) continue;  // the facet's filter is not set
    absl::StrAppend(&columns, ", (", FiltersSql(own, &n), ") AS g", i);
    absl::StrAppend(&failures, " + (NOT b.g", i, ")::integer");
    flagged.push_back(i);
  }
  // The same parameters serve the probe and both branches.
  const std::string where = FiltersSql(common, &n);
  std::string sql;
  std::string base;
  if (exact_limit > 0) {
    absl::StrAppend(&sql, "WITH probe AS MATERIALIZED (SELECT count(*) AS c FROM (SELECT 1 FROM",
                    " products p WHERE ", where, " LIMIT ", exact_limit + 1, ") t),",
                    " pct AS MATERIALIZED (SELECT LEAST(100.0, GREATEST(0.01, 100.0 * ",
                    exact_limit, " / GREATEST(reltuples, 1))) AS v FROM pg_class",
                    " WHERE oid = 'products'::regclass), ");
    base =
        absl::StrCat("SELECT ", columns, " FROM products p WHERE ", where,
                     " AND (SELECT c FROM probe) <= ", exact_limit, " UNION ALL SELECT ", columns,
                     " FROM products p TABLESAMPLE SYSTEM ((SELECT v FROM pct)) REPEATABLE (0)"
                     " WHERE ",
                     where, " AND (SELECT c FROM probe) > ", exact_limit);
  } else {
    sql = "WITH ";
    base = absl::StrCat("SELECT ", columns, " FROM products p WHERE ", where);
  }
  if (flagged.size() > 1) {
    base = absl::StrCat("SELECT * FROM (", base, ") b WHERE ", failures, " <= 1");
  }
  absl::StrAppend(&sql, "base AS MATERIALIZED (", base, ") ");
  for (int i = 0; i < kFacetCount; ++i) {
    std::string from, value, count;
    FacetValueSql(static_cast<Facet>(i), exact_limit > 0, &from, &value, &count);
    std::string filter = "TRUE";
    for (int g : flagged) {
      if (g != i) absl::StrAppend(&filter, " AND p.g", g);
    }
    absl::StrAppend(&sql, i ? " UNION ALL " : "", "(SELECT ", i, " AS f, (", value,
                    ")::text COLLATE \"C\" AS v, ", count, " AS n FROM ", from, " WHERE ", filter,
                    " GROUP BY 2)");
  }
  if (exact_limit > 0) {
    absl::StrAppend(&sql,
                    " UNION ALL SELECT -1, (SELECT v FROM pct)::text, 0 FROM probe WHERE c > ",
                    exact_limit);
  }
  return sql;
}

absl::Status BindProductFacets(const ProductQuery& q, Params* params) {
  WS_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseSearchQuery(q.text));
  for (int i = 0; i < kFacetCount; ++i) {
    const ProductQuery own = OwnFilters(q, static_cast<Facet>(i));
    BindFilters(own, {}, params);
  }
  BindFilters(CommonFilters(q), words, params);
  return absl::OkStatus();
}

uint32_t OrderListingShape(const OrderQuery& q) {
  uint32_t s = 0;
  if (q.user_id) s |= kOrderUser;
  if (q.status) s |= kOrderStatus;
  if (q.before_id) s |= kOrderBefore;
  if (q.refund_due_only) s |= kOrderRefundDue;
  return s | (BucketOf(q.limit) << kOrderBucketShift);
}

std::string OrderListingName(uint32_t shape) { return absl::StrCat("ws_list_orders_", shape); }

std::string OrderListingSql(uint32_t shape) {
  int n = 0;
  auto next = [&n] { return absl::StrCat("$", ++n); };
  std::string where = "TRUE";
  if (shape & kOrderUser) absl::StrAppend(&where, " AND o.user_id = ", next(), "::bigint");
  if (shape & kOrderStatus) absl::StrAppend(&where, " AND o.status = ", next(), "::smallint");
  if (shape & kOrderBefore) absl::StrAppend(&where, " AND o.id < ", next(), "::bigint");
  if (shape & kOrderRefundDue) absl::StrAppend(&where, " AND o.refund_due_minor > 0");
  const std::string inner =
      absl::StrCat("SELECT * FROM orders o WHERE ", where, " ORDER BY o.id DESC");
  return absl::StrCat("SELECT " WS_PG_ORDER_COLUMNS " FROM ",
                      BoundedPage(inner, shape >> kOrderBucketShift, "o", "o.id DESC", next()),
                      " LEFT JOIN LATERAL (SELECT * FROM order_lines l"
                      " WHERE l.order_id = o.id ORDER BY l.line_no) l ON TRUE"
                      " ORDER BY o.id DESC, l.line_no");
}

void BindOrderListing(const OrderQuery& q, Params* params) {
  if (q.user_id) params->Add(*q.user_id);
  if (q.status) params->Add(static_cast<int>(*q.status));
  if (q.before_id) params->Add(*q.before_id);
  params->Add(static_cast<int64_t>(std::max(q.limit, 1)) + 1);
}

}  // namespace watchstore::internal::pg
