#include "sqlite/sqlite_products.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sqlite/sqlite_listing.h"
#include "sqlite/sqlite_rows.h"
#include "watchstore/errors.h"
#include "watchstore/search.h"
#include "watchstore/status_macros.h"

namespace watchstore::sqlite {
namespace {

// The attributes of issue 13, in the order BindWatchDetails binds them.
#define WATCHSTORE_SQLITE_DETAIL_COLUMNS                                              \
  "reference, caliber, complications, lug_width_mm, case_thickness_tenths, crystal, " \
  "watch_condition, grade, box, papers, limited_pieces"
constexpr char kInsertProduct[] =
    "INSERT INTO products (brand, model, description, movement, case_diameter_mm, "
    "case_material, water_resistance_m, strap, image_url, active, version, created_at, "
    "updated_at, name_key, " WATCHSTORE_SQLITE_DETAIL_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
    "?18, ?19, ?20, ?21, ?22, ?23)";
constexpr char kUpdateProduct[] =
    "UPDATE products SET brand = ?2, model = ?3, description = ?4, movement = ?5, "
    "case_diameter_mm = ?6, case_material = ?7, water_resistance_m = ?8, strap = ?9, "
    "image_url = ?10, active = ?11, updated_at = ?12, name_key = ?13, version = version + 1, "
    "reference = ?14, caliber = ?15, complications = ?16, lug_width_mm = ?17, "
    "case_thickness_tenths = ?18, crystal = ?19, watch_condition = ?20, grade = ?21, box = ?22, "
    "papers = ?23, limited_pieces = ?24 WHERE id = ?1";
constexpr char kBumpProduct[] =
    "UPDATE products SET version = version + 1, updated_at = ?2 WHERE id = ?1";
constexpr char kSelectProductVersion[] = "SELECT version FROM products WHERE id = ?1";
constexpr char kSelectProduct[] =
    "SELECT " WATCHSTORE_SQLITE_PRODUCT_COLUMNS " FROM products p WHERE p.id = ?1";

// The search index (sql/sqlite/0004_watch_attributes_search.sql).
constexpr char kDeleteSearchDocument[] = "DELETE FROM product_search WHERE rowid = ?1";
constexpr char kInsertSearchDocument[] =
    "INSERT INTO product_search (rowid, document) VALUES (?1, ?2)";
constexpr char kDeleteSearchKeys[] = "DELETE FROM product_search_keys WHERE product_id = ?1";
constexpr char kInsertSearchKey[] =
    "INSERT INTO product_search_keys (key, product_id) VALUES (?1, ?2)";
constexpr char kSelectUnindexedProducts[] =
    "SELECT id FROM products WHERE id NOT IN (SELECT rowid FROM product_search) ORDER BY id";

// Slugs (sql/sqlite/0007_slugs_collections.sql).
constexpr char kSelectSlugOwner[] = "SELECT product_id FROM product_slugs WHERE slug = ?1";
constexpr char kSelectProductSlug[] = "SELECT slug FROM products WHERE id = ?1";
// The slug may be the product's own old one (ChooseSlug allowed nothing else).
constexpr char kRecordSlug[] =
    "INSERT INTO product_slugs (slug, product_id) VALUES (?1, ?2) ON CONFLICT (slug) DO NOTHING";
constexpr char kSetSlug[] = "UPDATE products SET slug = ?2 WHERE id = ?1";
constexpr char kResolveSlug[] =
    "SELECT s.product_id, p.slug FROM product_slugs s JOIN products p ON p.id = s.product_id "
    "WHERE s.slug = ?1";
constexpr char kSelectUnsluggedProducts[] =
    "SELECT id FROM products WHERE slug IS NULL ORDER BY id";

constexpr char kPutCollection[] =
    "INSERT INTO collections (slug, name, description) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description";
constexpr char kListCollections[] = "SELECT slug, name, description FROM collections ORDER BY slug";

constexpr char kDeleteCollections[] = "DELETE FROM product_collections WHERE product_id = ?1";
constexpr char kInsertCollection[] =
    "INSERT INTO product_collections (product_id, position, name, name_key) "
    "VALUES (?1, ?2, ?3, ?4)";
constexpr char kSelectCollections[] =
    "SELECT name FROM product_collections WHERE product_id = ?1 ORDER BY position";

// The gallery (sql/sqlite/0008_product_images.sql); variant_id NULL: the
// whole watch.
constexpr char kDeleteImages[] = "DELETE FROM product_images WHERE product_id = ?1";
constexpr char kInsertImage[] =
    "INSERT INTO product_images (product_id, position, url, alt, variant_id) "
    "VALUES (?1, ?2, ?3, ?4, NULLIF(?5, 0))";
constexpr char kSelectImages[] =
    "SELECT url, alt, COALESCE(variant_id, 0) FROM product_images WHERE product_id = ?1 "
    "ORDER BY position";

constexpr char kInsertVariant[] =
    "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency, "
    "stock) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kUpdateVariant[] =
    "UPDATE variants SET sku = ?3, dial_color = ?4, strap = ?5, size = ?6, price_minor = ?7, "
    "currency = ?8 WHERE id = ?1 AND product_id = ?2";
constexpr char kSelectVariants[] =
    "SELECT id, sku, dial_color, strap, size, price_minor, currency, stock FROM variants "
    "WHERE product_id = ?1 ORDER BY id";
constexpr char kSelectVariantIdBySku[] = "SELECT id FROM variants WHERE sku = ?1";
constexpr char kSelectProductIdBySku[] = "SELECT product_id FROM variants WHERE sku = ?1";
constexpr char kSelectProductIdByVariant[] = "SELECT product_id FROM variants WHERE id = ?1";
constexpr char kSelectVariantStock[] = "SELECT product_id, sku, stock FROM variants WHERE id = ?1";
constexpr char kSetStock[] = "UPDATE variants SET stock = ?2 WHERE id = ?1";

// The variants and collections of a listing page in one statement each; ?1
// is a JSON array of product ids (one bound value).
constexpr char kSelectVariantsOfProducts[] =
    "SELECT product_id, id, sku, dial_color, strap, size, price_minor, currency, stock "
    "FROM variants WHERE product_id IN (SELECT value FROM json_each(?1)) "
    "ORDER BY product_id, id";
constexpr char kSelectCollectionsOfProducts[] =
    "SELECT product_id, name FROM product_collections "
    "WHERE product_id IN (SELECT value FROM json_each(?1)) ORDER BY product_id, position";

absl::Status SkuTaken(absl::string_view sku) {
  return MakeError(absl::StatusCode::kAlreadyExists, reason::kSkuTaken,
                   absl::StrCat("SKU ", sku, " is already used"), "sku");
}

// --- Reading -------------------------------------------------------------------

// Columns WATCHSTORE_SQLITE_PRODUCT_COLUMNS, from 0.
void ReadProductRow(const Statement& s, Product* p) {
  p->id = s.Int(0);
  p->brand = std::string(s.Text(1));
  p->model = std::string(s.Text(2));
  p->description = std::string(s.Text(3));
  p->attributes.movement = static_cast<Movement>(s.Int(4));
  p->attributes.case_diameter_mm = static_cast<int32_t>(s.Int(5));
  p->attributes.case_material = std::string(s.Text(6));
  p->attributes.water_resistance_m = static_cast<int32_t>(s.Int(7));
  p->attributes.strap = std::string(s.Text(8));
  p->image_url = std::string(s.Text(9));
  p->active = s.Int(10) != 0;
  p->version = s.Int(11);
  p->created_at = At(s.Int(12));
  p->updated_at = At(s.Int(13));
  WatchAttributes& a = p->attributes;
  a.reference = std::string(s.Text(14));
  a.caliber = std::string(s.Text(15));
  a.complications = static_cast<ComplicationSet>(s.Int(16));
  a.lug_width_mm = static_cast<int32_t>(s.Int(17));
  a.case_thickness_tenths = static_cast<int32_t>(s.Int(18));
  // The schema's CHECKs keep these within their enums.
  a.crystal = static_cast<Crystal>(s.Int(19));
  a.condition = static_cast<Condition>(s.Int(20));
  a.grade = static_cast<ConditionGrade>(s.Int(21));
  a.box = s.Int(22) != 0;
  a.papers = s.Int(23) != 0;
  a.limited_pieces = static_cast<int32_t>(s.Int(24));
  p->slug = std::string(s.Text(25));
}

// Fills p->variants, p->collections and p->images for p->id.
absl::Status LoadProductParts(Connection& c, Product* p) {
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectImages));
    s.Bind(1, p->id);
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      p->images.push_back(ProductImage{std::string(s.Text(0)), std::string(s.Text(1)), s.Int(2)});
    }
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectVariants));
    s.Bind(1, p->id);
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      WS_ASSIGN_OR_RETURN(Variant v, ReadVariant(s, 0, p->id));
      p->variants.push_back(std::move(v));
    }
  }
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCollections));
  s.Bind(1, p->id);
  for (;;) {
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    p->collections.emplace_back(s.Text(0));
  }
  return absl::OkStatus();
}

// The same for every product of a page, in two statements.
absl::Status LoadPageParts(Connection& c, std::vector<Product>* products) {
  if (products->empty()) return absl::OkStatus();
  absl::flat_hash_map<ProductId, Product*> by_id;
  std::string ids = "[";
  for (Product& p : *products) {
    by_id[p.id] = &p;
    absl::StrAppend(&ids, ids.size() > 1 ? "," : "", p.id);
  }
  ids.push_back(']');
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectVariantsOfProducts));
    s.Bind(1, ids);
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      auto it = by_id.find(s.Int(0));
      if (it == by_id.end()) return Corrupt("variant listing");
      WS_ASSIGN_OR_RETURN(Variant v, ReadVariant(s, 1, it->first));
      it->second->variants.push_back(std::move(v));
    }
  }
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCollectionsOfProducts));
  s.Bind(1, ids);
  for (;;) {
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    auto it = by_id.find(s.Int(0));
    if (it == by_id.end()) return Corrupt("collection listing");
    it->second->collections.emplace_back(s.Text(1));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProductId> SelectId(Connection& c, const char* sql, int64_t key,
                                   absl::string_view what, absl::string_view field) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, key);
  WS_RETURN_IF_ERROR(ExpectRow(s, what, field));
  return s.Int(0);
}

// --- Writing -------------------------------------------------------------------

// Every SKU of `d` must be unused, except by the variant of the same id:
// AlreadyExists (sku_taken) otherwise, as in the memory adapter.
absl::Status CheckSkusFree(Connection& c, const ProductDraft& d) {
  absl::flat_hash_set<std::string> seen;
  for (const VariantDraft& vd : d.variants) {
    if (!seen.insert(vd.sku).second) return SkuTaken(vd.sku);
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectVariantIdBySku));
    s.Bind(1, vd.sku);
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.Int(0) != vd.id) return SkuTaken(vd.sku);
  }
  return absl::OkStatus();
}

// ChooseSlug's `owner`: the product a slug leads to, 0 if none.
absl::StatusOr<ProductId> SlugOwner(Connection& c, absl::string_view slug) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectSlugOwner));
  s.Bind(1, slug);
  WS_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : ProductId{0};
}

// Gives product `id` (whose slug is `current`) the slug ChooseSlug picks for
// `d`, and records it.
absl::Status WriteSlug(Connection& c, ProductId id, absl::string_view current,
                       const ProductDraft& d) {
  WS_ASSIGN_OR_RETURN(const std::string slug,
                      ChooseSlug(d, id, current, [&c](absl::string_view candidate) {
                        return SlugOwner(c, candidate);
                      }));
  if (slug == current) return absl::OkStatus();
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kRecordSlug));
    s.Bind(1, slug).Bind(2, id);
    WS_RETURN_IF_ERROR(s.Run());
  }
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSetSlug));
  s.Bind(1, id).Bind(2, slug);
  return s.Run();
}

absl::Status WriteCollections(Connection& c, ProductId id, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertCollection));
    s.Bind(1, id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, names[i])
        .Bind(4, absl::AsciiStrToLower(names[i]));
    WS_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

// Replaces product `id`'s gallery with `images`, in order.
absl::Status WriteImages(Connection& c, ProductId id, const std::vector<ProductImage>& images) {
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteImages));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(s.Run());
  }
  for (size_t i = 0; i < images.size(); ++i) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertImage));
    s.Bind(1, id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, images[i].url)
        .Bind(4, images[i].alt)
        .Bind(5, images[i].variant_id);
    WS_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::Status InsertVariant(Connection& c, ProductId id, const VariantDraft& vd) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertVariant));
  s.Bind(1, id)
      .Bind(2, vd.sku)
      .Bind(3, vd.dial_color)
      .Bind(4, vd.strap)
      .Bind(5, vd.size)
      .Bind(6, vd.price.minor_units)
      .Bind(7, vd.price.currency.code())
      .Bind(8, vd.stock);
  absl::Status st = s.Run();
  if (!st.ok() && c.last_error() == SQLITE_CONSTRAINT_UNIQUE) return SkuTaken(vd.sku);
  return st;
}

absl::Status UpdateVariant(Connection& c, ProductId id, const VariantDraft& vd) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateVariant));
  s.Bind(1, vd.id)
      .Bind(2, id)
      .Bind(3, vd.sku)
      .Bind(4, vd.dial_color)
      .Bind(5, vd.strap)
      .Bind(6, vd.size)
      .Bind(7, vd.price.minor_units)
      .Bind(8, vd.price.currency.code());
  absl::Status st = s.Run();
  if (!st.ok() && c.last_error() == SQLITE_CONSTRAINT_UNIQUE) return SkuTaken(vd.sku);
  return st;
}

// Binds a draft's product fields as ?first .. ?first+9.
void BindProductFields(Statement& s, int first, const ProductDraft& d) {
  s.Bind(first, d.brand)
      .Bind(first + 1, d.model)
      .Bind(first + 2, d.description)
      .Bind(first + 3, static_cast<int64_t>(d.attributes.movement))
      .Bind(first + 4, int64_t{d.attributes.case_diameter_mm})
      .Bind(first + 5, d.attributes.case_material)
      .Bind(first + 6, int64_t{d.attributes.water_resistance_m})
      .Bind(first + 7, d.attributes.strap)
      .Bind(first + 8, CoverImageUrl(d.images))
      .Bind(first + 9, int64_t{d.active ? 1 : 0});
}

// Binds the attributes of issue 13 as ?first .. ?first+10.
void BindWatchDetails(Statement& s, int first, const WatchAttributes& a) {
  s.Bind(first, a.reference)
      .Bind(first + 1, a.caliber)
      .Bind(first + 2, int64_t{a.complications})
      .Bind(first + 3, int64_t{a.lug_width_mm})
      .Bind(first + 4, int64_t{a.case_thickness_tenths})
      .Bind(first + 5, static_cast<int64_t>(a.crystal))
      .Bind(first + 6, static_cast<int64_t>(a.condition))
      .Bind(first + 7, static_cast<int64_t>(a.grade))
      .Bind(first + 8, int64_t{a.box ? 1 : 0})
      .Bind(first + 9, int64_t{a.papers ? 1 : 0})
      .Bind(first + 10, int64_t{a.limited_pieces});
}

// Replaces product `id`'s search index rows (in the caller's transaction).
absl::Status WriteSearchIndex(Connection& c, ProductId id, const SearchIndexEntry& e) {
  for (const char* sql : {kDeleteSearchDocument, kDeleteSearchKeys}) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(s.Run());
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertSearchDocument));
    s.Bind(1, id).Bind(2, e.document);
    WS_RETURN_IF_ERROR(s.Run());
  }
  for (const std::string& key : e.typo_keys) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertSearchKey));
    s.Bind(1, key).Bind(2, id);
    WS_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Variant> ReadVariant(const Statement& s, int first, ProductId product_id) {
  Variant v;
  v.id = s.Int(first);
  v.product_id = product_id;
  v.sku = std::string(s.Text(first + 1));
  v.dial_color = std::string(s.Text(first + 2));
  v.strap = std::string(s.Text(first + 3));
  v.size = std::string(s.Text(first + 4));
  v.price.minor_units = s.Int(first + 5);
  WS_ASSIGN_OR_RETURN(v.price.currency, CurrencyOf(s.Text(first + 6)));
  v.stock = s.Int(first + 7);
  return v;
}

absl::StatusOr<Product> LoadProduct(Connection& c, ProductId id) {
  Product p;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectProduct));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "product", "id"));
    ReadProductRow(s, &p);
  }
  WS_RETURN_IF_ERROR(LoadProductParts(c, &p));
  return p;
}

absl::StatusOr<ProductPage> ListProductsIn(Connection& c, const ProductQuery& q) {
  const size_t limit = static_cast<size_t>(std::max(q.limit, 1));
  WS_ASSIGN_OR_RETURN(const ListingSql query, BuildListingSql(q));
  ProductPage page;
  // Parts in order, each for the rows still missing; one extra row tells
  // whether another page follows.
  for (const ListingPart& part : query.parts) {
    if (page.has_more) break;
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(part.sql));
    int index = 1;
    for (const auto& value : part.params) {
      if (const int64_t* n = std::get_if<int64_t>(&value)) {
        s.Bind(index++, *n);
      } else {
        s.Bind(index++, std::get<std::string>(value));
      }
    }
    s.Bind(index, static_cast<int64_t>(limit + 1 - page.items.size()));
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (page.items.size() == limit) {
        page.has_more = true;
        break;
      }
      ReadProductRow(s, &page.items.emplace_back());
    }
  }
  WS_RETURN_IF_ERROR(LoadPageParts(c, &page.items));
  return page;
}

absl::StatusOr<FacetCounts> CountFacetsIn(Connection& c, const ProductQuery& q) {
  WS_ASSIGN_OR_RETURN(const std::vector<FacetSql> parts, BuildFacetSql(q));
  FacetCounts out;
  for (size_t i = 0; i < parts.size(); ++i) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(parts[i].sql));
    int index = 1;
    for (const auto& value : parts[i].params) {
      if (const int64_t* n = std::get_if<int64_t>(&value)) {
        s.Bind(index++, *n);
      } else {
        s.Bind(index++, std::get<std::string>(value));
      }
    }
    std::vector<FacetValue>& values = out.facets[i];
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (s.IsNull(0)) continue;
      values.push_back(FacetValue{std::string(s.Text(0)), s.Int(1)});
    }
    std::sort(values.begin(), values.end(),
              [](const FacetValue& a, const FacetValue& b) { return a.value < b.value; });
  }
  return out;
}

absl::StatusOr<ProductId> ProductOfSku(Connection& c, absl::string_view sku) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectProductIdBySku));
  s.Bind(1, sku);
  WS_RETURN_IF_ERROR(ExpectRow(s, "SKU", "sku"));
  return s.Int(0);
}

absl::StatusOr<ProductId> ProductOfVariant(Connection& c, VariantId variant_id) {
  return SelectId(c, kSelectProductIdByVariant, variant_id, "variant", "variant_id");
}

absl::StatusOr<SlugTarget> ResolveSlugIn(Connection& c, absl::string_view slug) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kResolveSlug));
  s.Bind(1, slug);
  WS_RETURN_IF_ERROR(ExpectRow(s, "slug", "slug"));
  return SlugTarget{s.Int(0), std::string(s.Text(1))};
}

absl::StatusOr<Product> CreateProductIn(Connection& c, const ProductDraft& d, absl::Time now) {
  WS_RETURN_IF_ERROR(CheckSkusFree(c, d));
  for (const VariantDraft& vd : d.variants) {
    if (vd.id != 0) return InvalidField("variants", "a new product's variants have no id");
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertProduct));
    BindProductFields(s, 1, d);
    s.Bind(11, Nanos(now)).Bind(12, ProductNameKey(d.brand, d.model));
    BindWatchDetails(s, 13, d.attributes);
    WS_RETURN_IF_ERROR(s.Run());
  }
  const ProductId id = c.last_insert_rowid();
  WS_RETURN_IF_ERROR(WriteSlug(c, id, "", d));
  WS_RETURN_IF_ERROR(WriteSearchIndex(c, id, IndexProduct(d)));
  WS_RETURN_IF_ERROR(WriteCollections(c, id, d.collections));
  // The triggers on variants set min_price and total_stock.
  for (const VariantDraft& vd : d.variants) WS_RETURN_IF_ERROR(InsertVariant(c, id, vd));
  WS_RETURN_IF_ERROR(WriteImages(c, id, d.images));
  return LoadProduct(c, id);
}

absl::StatusOr<Product> UpdateProductIn(Connection& c, ProductId id, int64_t expected_version,
                                        const ProductDraft& d, absl::Time now) {
  WS_ASSIGN_OR_RETURN(const int64_t version,
                      SelectId(c, kSelectProductVersion, id, "product", "id"));
  if (version != expected_version) {
    return MakeError(absl::StatusCode::kAborted, reason::kVersionConflict,
                     absl::StrCat("product changed (version ", version, ")"), "version");
  }
  for (const VariantDraft& vd : d.variants) {
    if (vd.id == 0) continue;
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectProductIdByVariant));
    s.Bind(1, vd.id);
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.Int(0) != id) {
      return InvalidField("variants", absl::StrCat("variant ", vd.id, " is not of this product"));
    }
  }
  WS_RETURN_IF_ERROR(CheckSkusFree(c, d));
  std::string current;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectProductSlug));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "product", "id"));
    current = std::string(s.Text(0));
  }
  WS_RETURN_IF_ERROR(WriteSlug(c, id, current, d));
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateProduct));
    s.Bind(1, id);
    BindProductFields(s, 2, d);
    s.Bind(12, Nanos(now)).Bind(13, ProductNameKey(d.brand, d.model));
    BindWatchDetails(s, 14, d.attributes);
    WS_RETURN_IF_ERROR(s.Run());
  }
  WS_RETURN_IF_ERROR(WriteSearchIndex(c, id, IndexProduct(d)));
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteCollections));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(s.Run());
  }
  WS_RETURN_IF_ERROR(WriteCollections(c, id, d.collections));
  for (const VariantDraft& vd : d.variants) {
    WS_RETURN_IF_ERROR(vd.id == 0 ? InsertVariant(c, id, vd) : UpdateVariant(c, id, vd));
  }
  WS_RETURN_IF_ERROR(WriteImages(c, id, d.images));
  return LoadProduct(c, id);
}

absl::StatusOr<Product> AdjustStockIn(Connection& c, VariantId variant_id, int64_t delta,
                                      absl::Time now) {
  ProductId product_id = 0;
  int64_t after = 0;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectVariantStock));
    s.Bind(1, variant_id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "variant", "variant_id"));
    product_id = s.Int(0);
    if (__builtin_add_overflow(s.Int(2), delta, &after) || after < 0) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                       absl::StrCat("stock of ", s.Text(1), " cannot go below zero"), "delta");
    }
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSetStock));
    s.Bind(1, variant_id).Bind(2, after);
    WS_RETURN_IF_ERROR(s.Run());
  }
  WS_RETURN_IF_ERROR(BumpProduct(c, product_id, now));
  return LoadProduct(c, product_id);
}

namespace {

// Loads each product whose id `select_ids` returns and hands it to `fix`
// (the ids are read first: `fix` writes the tables the select reads).
absl::Status FixEachProduct(Connection& c, const char* select_ids,
                            absl::FunctionRef<absl::Status(const Product&)> fix) {
  std::vector<ProductId> ids;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(select_ids));
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.push_back(s.Int(0));
    }
  }
  for (ProductId id : ids) {
    WS_ASSIGN_OR_RETURN(Product p, LoadProduct(c, id));
    WS_RETURN_IF_ERROR(fix(p));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status IndexUnindexedProducts(Connection& c) {
  return FixEachProduct(c, kSelectUnindexedProducts, [&](const Product& p) {
    return WriteSearchIndex(c, p.id, IndexProduct(p));
  });
}

absl::Status PutCollectionIn(Connection& c, const CollectionInfo& info) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kPutCollection));
  s.Bind(1, info.slug).Bind(2, info.name).Bind(3, info.description);
  return s.Run();
}

absl::StatusOr<std::vector<CollectionInfo>> ListCollectionsIn(Connection& c) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kListCollections));
  std::vector<CollectionInfo> out;
  for (;;) {
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(
        CollectionInfo{std::string(s.Text(0)), std::string(s.Text(1)), std::string(s.Text(2))});
  }
  return out;
}

absl::Status SlugUnsluggedProducts(Connection& c) {
  return FixEachProduct(c, kSelectUnsluggedProducts, [&](const Product& p) -> absl::Status {
    ProductDraft d;  // only what DeriveSlug reads
    d.brand = p.brand;
    d.model = p.model;
    d.attributes.reference = p.attributes.reference;
    return WriteSlug(c, p.id, "", d);
  });
}

absl::Status BumpProduct(Connection& c, ProductId id, absl::Time now) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kBumpProduct));
  s.Bind(1, id).Bind(2, Nanos(now));
  return s.Run();
}

}  // namespace watchstore::sqlite
