// The catalog of the PostgreSQL storage: products, variants, stock, listing.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_listing.h"
#include "postgres/postgres_storage_impl.h"
#include "watchstore/errors.h"
#include "watchstore/search.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal::pg {
namespace {

// --- Statements ---------------------------------------------------------------

constexpr Statement kGetProduct = {"ws_get_product", kGetProductSql};

constexpr Statement kFindProductIdBySku = {"ws_find_product_by_sku",
                                           "SELECT product_id FROM variants WHERE sku = $1"};
constexpr Statement kFindProductIdByVariant = {"ws_find_product_by_variant",
                                               "SELECT product_id FROM variants WHERE id = $1"};

// One statement, so atomic without BEGIN: the product with its listing keys
// (computed by the caller from the draft), then its variants in draft order.
constexpr Statement kCreateProduct = {
    "ws_create_product",
    "WITH p AS ("
    "  INSERT INTO products (brand, model, description, movement, case_diameter_mm,"
    "      case_material, water_resistance_m, strap, collections, image_url, active, version,"
    "      created_at_ns, updated_at_ns, name_key, brand_key, model_key, collection_keys,"
    "      min_price, in_stock, reference, caliber, complications, lug_width_mm,"
    "      case_thickness_tenths, crystal, watch_condition, grade, box, papers, limited_pieces,"
    "      search_text, search_keys)"
    "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10, $11, 1, $12, $12, $13, $14,"
    "      $15, $16::text[], $17, $18, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36,"
    "      $37, $38::text[])"
    "  RETURNING id),"
    " v AS ("
    "  INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency,"
    "      stock)"
    "  SELECT p.id, u.sku, u.dial_color, u.strap, u.size, u.price_minor, u.currency, u.stock"
    "  FROM p, unnest($19::text[], $20::text[], $21::text[], $22::text[], $23::bigint[],"
    "      $24::text[], $25::bigint[])"
    "    WITH ORDINALITY AS u(sku, dial_color, strap, size, price_minor, currency, stock, ord)"
    "  ORDER BY u.ord"
    "  RETURNING id, sku)"
    " SELECT p.id, v.id, v.sku FROM p LEFT JOIN v ON TRUE ORDER BY v.id"};

// The gallery (sql/postgres/0009_product_images.sql), replaced whole by
// every product write; variant_id NULL: the whole watch.
constexpr Statement kDeleteImages = {"ws_delete_images",
                                     "DELETE FROM product_images WHERE product_id = $1"};
constexpr Statement kInsertImages = {
    "ws_insert_images",
    "INSERT INTO product_images (product_id, position, url, alt, variant_id)"
    " SELECT $1, u.ord - 1, u.url, u.alt, NULLIF(u.variant_id, 0)"
    " FROM unnest($2::text[], $3::text[], $4::bigint[])"
    "   WITH ORDINALITY AS u(url, alt, variant_id, ord)"};

// UpdateProduct: lock the product, learn its variant ids and slug.
constexpr Statement kLockProduct = {
    "ws_lock_product",
    "SELECT p.version, ARRAY(SELECT v.id FROM variants v WHERE v.product_id = p.id"
    " ORDER BY v.id), p.slug FROM products p WHERE p.id = $1 FOR NO KEY UPDATE OF p"};

// Slugs (sql/postgres/0008_slugs_collections.sql). A write that gives a slug
// first takes this lock (one per schema), so two writers never pick the
// same free slug; then reads who holds candidates, then records its choice.
constexpr Statement kLockSlugs = {
    "ws_lock_slugs",
    "SELECT pg_advisory_xact_lock(hashtextextended("
    "'watchstore.product_slugs:' || coalesce(current_schema(), ''), 0))"};
constexpr Statement kSlugOwner = {"ws_slug_owner",
                                  "SELECT product_id FROM product_slugs WHERE slug = $1"};
// $2 may be the product's own old slug (ChooseSlug allowed nothing else).
constexpr Statement kRecordSlug = {
    "ws_record_slug",
    "WITH r AS (INSERT INTO product_slugs (slug, product_id) VALUES ($2, $1)"
    "           ON CONFLICT (slug) DO NOTHING)"
    " UPDATE products SET slug = $2 WHERE id = $1"};
constexpr Statement kResolveSlug = {
    "ws_resolve_slug",
    "SELECT s.product_id, p.slug FROM product_slugs s JOIN products p ON p.id = s.product_id"
    " WHERE s.slug = $1"};
constexpr Statement kPutCollection = {
    "ws_put_collection",
    "INSERT INTO collections (slug, name, description) VALUES ($1, $2, $3)"
    " ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description"};
constexpr Statement kListCollections = {
    "ws_list_collections", "SELECT slug, name, description FROM collections ORDER BY slug"};
constexpr Statement kSelectUnslugged = {
    "ws_select_unslugged", "SELECT id FROM products WHERE slug IS NULL ORDER BY id LIMIT 500"};
constexpr Statement kUpdateVariants = {
    "ws_update_variants",
    "UPDATE variants v SET sku = u.sku, dial_color = u.dial_color, strap = u.strap,"
    " size = u.size, price_minor = u.price_minor, currency = u.currency"
    " FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],"
    "     $8::text[]) AS u(id, sku, dial_color, strap, size, price_minor, currency)"
    " WHERE v.id = u.id AND v.product_id = $1"};
constexpr Statement kInsertVariants = {
    "ws_insert_variants",
    "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency,"
    "    stock)"
    " SELECT $1, u.sku, u.dial_color, u.strap, u.size, u.price_minor, u.currency, u.stock"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],"
    "     $8::bigint[])"
    "   WITH ORDINALITY AS u(sku, dial_color, strap, size, price_minor, currency, stock, ord)"
    " ORDER BY u.ord"};
// Runs after the variant changes of the same transaction, so its subqueries
// see them.
constexpr Statement kUpdateProductFields = {
    "ws_update_product_fields",
    "UPDATE products p SET brand = $2, model = $3, description = $4, movement = $5,"
    " case_diameter_mm = $6, case_material = $7, water_resistance_m = $8, strap = $9,"
    " collections = $10::text[], image_url = $11, active = $12, version = p.version + 1,"
    " updated_at_ns = $13, name_key = $14, brand_key = $15, model_key = $16,"
    " collection_keys = $17::text[],"
    " reference = $18, caliber = $19, complications = $20, lug_width_mm = $21,"
    " case_thickness_tenths = $22, crystal = $23, watch_condition = $24, grade = $25,"
    " box = $26, papers = $27, limited_pieces = $28,"
    " search_text = $29, search_keys = $30::text[],"
    " min_price = COALESCE((SELECT min(v.price_minor) FROM variants v"
    "                       WHERE v.product_id = p.id), 0),"
    " in_stock = EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.stock > 0)"
    " WHERE p.id = $1"};

// AdjustStock: lock product then variant (the global lock order).
constexpr Statement kLockVariant = {
    "ws_lock_variant",
    "SELECT p.id, v.stock, v.sku FROM products p JOIN variants v ON v.product_id = p.id"
    " WHERE v.id = $1 FOR NO KEY UPDATE OF p, v"};
// Sets the stock and refreshes the product in one statement: the sibling
// variants are stable (their product row is locked by this transaction).
constexpr Statement kSetStock = {
    "ws_set_stock",
    "WITH s AS (UPDATE variants SET stock = $2 WHERE id = $1 RETURNING product_id, stock)"
    " UPDATE products p SET version = p.version + 1, updated_at_ns = $3,"
    "   in_stock = s.stock > 0 OR EXISTS (SELECT 1 FROM variants o"
    "       WHERE o.product_id = p.id AND o.id <> $1 AND o.stock > 0)"
    " FROM s WHERE p.id = s.product_id"};

// Indexing products from before PostgreSQL migration 0005 (see IndexUnindexedProducts).
constexpr Statement kSelectUnindexed = {
    "ws_select_unindexed",
    "SELECT id FROM products WHERE search_text IS NULL ORDER BY id LIMIT 500"};
constexpr Statement kWriteSearchIndex = {
    "ws_write_search_index",
    "UPDATE products SET search_text = $2, search_keys = $3::text[]"
    " WHERE id = $1 AND search_text IS NULL"};  // a concurrent product write indexed it already

// --- Reading rows ---------------------------------------------------------------

absl::StatusOr<Currency> ReadCurrency(const Result& r, int row, int col) {
  absl::StatusOr<Currency> c = Currency::FromCode(r.Text(row, col));
  if (!c.ok()) return absl::InternalError("stored currency is malformed");
  return c;
}

absl::Status ReadVariant(const Result& r, int row, ProductId product_id, Variant* v) {
  constexpr int k = kProductColumnCount;
  WS_ASSIGN_OR_RETURN(v->id, r.Int(row, k + 0));
  v->product_id = product_id;
  v->sku = r.String(row, k + 1);
  v->dial_color = r.String(row, k + 2);
  v->strap = r.String(row, k + 3);
  v->size = r.String(row, k + 4);
  WS_ASSIGN_OR_RETURN(v->price.minor_units, r.Int(row, k + 5));
  WS_ASSIGN_OR_RETURN(v->price.currency, ReadCurrency(r, row, k + 6));
  WS_ASSIGN_OR_RETURN(v->stock, r.Int(row, k + 7));
  return absl::OkStatus();
}

absl::Status ReadProductColumns(const Result& r, int row, Product* p) {
  WS_ASSIGN_OR_RETURN(p->id, r.Int(row, 0));
  p->brand = r.String(row, 1);
  p->model = r.String(row, 2);
  p->description = r.String(row, 3);
  WS_ASSIGN_OR_RETURN(int64_t movement, r.Int(row, 4));
  if (movement < 0 || movement > static_cast<int64_t>(Movement::kSpringDrive)) {
    return absl::InternalError("stored movement is unknown");
  }
  p->attributes.movement = static_cast<Movement>(movement);
  WS_ASSIGN_OR_RETURN(int64_t diameter, r.Int(row, 5));
  p->attributes.case_diameter_mm = static_cast<int32_t>(diameter);
  p->attributes.case_material = r.String(row, 6);
  WS_ASSIGN_OR_RETURN(int64_t water, r.Int(row, 7));
  p->attributes.water_resistance_m = static_cast<int32_t>(water);
  p->attributes.strap = r.String(row, 8);
  WS_ASSIGN_OR_RETURN(p->collections, ParseTextArray(r.Text(row, 9)));
  p->image_url = r.String(row, 10);
  WS_ASSIGN_OR_RETURN(p->active, r.Bool(row, 11));
  WS_ASSIGN_OR_RETURN(p->version, r.Int(row, 12));
  WS_ASSIGN_OR_RETURN(p->created_at, r.Time(row, 13));
  WS_ASSIGN_OR_RETURN(p->updated_at, r.Time(row, 14));
  WatchAttributes& a = p->attributes;
  a.reference = r.String(row, 15);
  a.caliber = r.String(row, 16);
  WS_ASSIGN_OR_RETURN(int64_t complications, r.Int(row, 17));
  WS_ASSIGN_OR_RETURN(int64_t lug, r.Int(row, 18));
  WS_ASSIGN_OR_RETURN(int64_t thickness, r.Int(row, 19));
  WS_ASSIGN_OR_RETURN(int64_t crystal, r.Int(row, 20));
  WS_ASSIGN_OR_RETURN(int64_t condition, r.Int(row, 21));
  WS_ASSIGN_OR_RETURN(int64_t grade, r.Int(row, 22));
  WS_ASSIGN_OR_RETURN(a.box, r.Bool(row, 23));
  WS_ASSIGN_OR_RETURN(a.papers, r.Bool(row, 24));
  WS_ASSIGN_OR_RETURN(int64_t limited, r.Int(row, 25));
  p->slug = r.String(row, 26);
  // The schema's CHECKs keep the enums in range.
  a.complications = static_cast<ComplicationSet>(complications);
  a.lug_width_mm = static_cast<int32_t>(lug);
  a.case_thickness_tenths = static_cast<int32_t>(thickness);
  a.crystal = static_cast<Crystal>(crystal);
  a.condition = static_cast<Condition>(condition);
  a.grade = static_cast<ConditionGrade>(grade);
  a.limited_pieces = static_cast<int32_t>(limited);
  return absl::OkStatus();
}

// Variants by id, whatever order the rows came in.
void SortVariants(Product* p) {
  const auto by_id = [](const Variant& a, const Variant& b) { return a.id < b.id; };
  if (!std::is_sorted(p->variants.begin(), p->variants.end(), by_id)) {
    std::sort(p->variants.begin(), p->variants.end(), by_id);
  }
}

// --- Writing drafts ---------------------------------------------------------------

std::vector<std::string> LowerAll(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  out.reserve(in.size());
  for (const std::string& s : in) out.push_back(absl::AsciiStrToLower(s));
  return out;
}

// Product fields $first.. in the order of kUpdateProductFields' $2..$12.
void AddProductFields(const ProductDraft& d, Params* p) {
  p->Add(d.brand)
      .Add(d.model)
      .Add(d.description)
      .Add(static_cast<int>(d.attributes.movement))
      .Add(static_cast<int>(d.attributes.case_diameter_mm))
      .Add(d.attributes.case_material)
      .Add(static_cast<int>(d.attributes.water_resistance_m))
      .Add(d.attributes.strap)
      .AddTextArray(d.collections)
      .Add(CoverImageUrl(d.images))
      .AddBool(d.active);
}

// kInsertImages' $2..$4: the gallery as url, alt and variant id arrays.
void AddImageArrays(const std::vector<ProductImage>& images, Params* p) {
  p->AddTextArrayOf(images.begin(), images.end(),
                    [](const ProductImage& i) { return absl::string_view(i.url); });
  p->AddTextArrayOf(images.begin(), images.end(),
                    [](const ProductImage& i) { return absl::string_view(i.alt); });
  std::vector<int64_t> variant_ids;
  for (const ProductImage& i : images) variant_ids.push_back(i.variant_id);
  p->AddInt64Array(variant_ids);
}

// Replaces product `id`'s gallery (in the caller's transaction).
absl::Status WriteImages(Connection& c, ProductId id, const std::vector<ProductImage>& images) {
  Params del;
  del.Add(id);
  WS_RETURN_IF_ERROR(c.Execute(kDeleteImages, del).status());
  if (images.empty()) return absl::OkStatus();
  Params insert;
  insert.Add(id);
  AddImageArrays(images, &insert);
  return c.Execute(kInsertImages, insert).status();
}

// The attributes of issue 13, in the order of the statements' columns.
void AddWatchDetails(const WatchAttributes& a, Params* p) {
  p->Add(a.reference)
      .Add(a.caliber)
      .Add(static_cast<int64_t>(a.complications))
      .Add(static_cast<int>(a.lug_width_mm))
      .Add(static_cast<int>(a.case_thickness_tenths))
      .Add(static_cast<int>(a.crystal))
      .Add(static_cast<int>(a.condition))
      .Add(static_cast<int>(a.grade))
      .AddBool(a.box)
      .AddBool(a.papers)
      .Add(static_cast<int>(a.limited_pieces));
}

void AddSearchIndex(const SearchIndexEntry& e, Params* p) {
  p->Add(e.document).AddTextArray(e.typo_keys);
}

void AddListingKeys(const ProductDraft& d, Params* p) {
  p->Add(ProductNameKey(d.brand, d.model))
      .Add(absl::AsciiStrToLower(d.brand))
      .Add(absl::AsciiStrToLower(d.model))
      .AddTextArray(LowerAll(d.collections));
}

// Variant columns as arrays: sku, dial, strap, size, price, currency[, stock].
void AddVariantArrays(const std::vector<const VariantDraft*>& vs, bool with_stock, Params* p) {
  auto text = [&](auto field) {
    p->AddTextArrayOf(vs.begin(), vs.end(),
                      [&](const VariantDraft* v) { return absl::string_view(v->*field); });
  };
  text(&VariantDraft::sku);
  text(&VariantDraft::dial_color);
  text(&VariantDraft::strap);
  text(&VariantDraft::size);
  std::vector<int64_t> prices, stocks;
  for (const VariantDraft* v : vs) {
    prices.push_back(v->price.minor_units);
    stocks.push_back(v->stock);
  }
  p->AddInt64Array(prices);
  p->AddTextArrayOf(vs.begin(), vs.end(),
                    [](const VariantDraft* v) { return v->price.currency.code(); });
  if (with_stock) p->AddInt64Array(stocks);
}

// Inside a transaction: gives product `id` (slug `current`) the slug
// ChooseSlug picks for `d`, taking the slug lock first; returns it.
absl::StatusOr<std::string> WriteSlug(Connection& c, ProductId id, absl::string_view current,
                                      const ProductDraft& d) {
  WS_RETURN_IF_ERROR(c.Execute(kLockSlugs, Params()).status());
  WS_ASSIGN_OR_RETURN(
      std::string slug,
      ChooseSlug(d, id, current, [&c](absl::string_view candidate) -> absl::StatusOr<ProductId> {
        Params p;
        p.Add(candidate);
        WS_ASSIGN_OR_RETURN(Result r, c.Execute(kSlugOwner, p));
        if (r.rows() == 0) return ProductId{0};
        return r.Int(0, 0);
      }));
  if (slug != current) {
    Params p;
    p.Add(id).Add(slug);
    WS_RETURN_IF_ERROR(c.Execute(kRecordSlug, p).status());
  }
  return slug;
}

// Whether a write of `d` over slug `current` changes the slug.
bool GivesSlug(const ProductDraft& d, absl::string_view current) {
  return d.slug.empty() ? current.empty() : d.slug != current;
}

}  // namespace

// --- Shared helpers ---------------------------------------------------------------

absl::Status ReadProducts(const Result& r, std::vector<Product>* out) {
  const size_t first = out->size();
  for (int row = 0; row < r.rows(); ++row) {
    WS_ASSIGN_OR_RETURN(ProductId id, r.Int(row, 0));
    if (out->size() == first || out->back().id != id) {
      out->emplace_back();
      WS_RETURN_IF_ERROR(ReadProductColumns(r, row, &out->back()));
    }
    if (!r.IsNull(row, kProductColumnCount)) {
      Product& p = out->back();
      p.variants.emplace_back();
      WS_RETURN_IF_ERROR(ReadVariant(r, row, p.id, &p.variants.back()));
    }
  }
  for (size_t i = first; i < out->size(); ++i) SortVariants(&(*out)[i]);
  return absl::OkStatus();
}

absl::StatusOr<Product> ReadOneProduct(const Result& r) {
  if (r.rows() == 0) return absl::NotFoundError("no such product");
  Product p;
  WS_RETURN_IF_ERROR(ReadProductColumns(r, 0, &p));
  p.variants.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) {
    if (r.IsNull(row, kProductColumnCount)) continue;
    p.variants.emplace_back();
    WS_RETURN_IF_ERROR(ReadVariant(r, row, p.id, &p.variants.back()));
  }
  SortVariants(&p);
  WS_ASSIGN_OR_RETURN(std::vector<std::string> urls, ParseTextArray(r.Text(0, kGalleryColumn)));
  WS_ASSIGN_OR_RETURN(std::vector<std::string> alts, ParseTextArray(r.Text(0, kGalleryColumn + 1)));
  WS_ASSIGN_OR_RETURN(std::vector<int64_t> variant_ids,
                      ParseInt64Array(r.Text(0, kGalleryColumn + 2)));
  if (urls.size() != alts.size() || urls.size() != variant_ids.size()) {
    return absl::InternalError("product gallery arrays differ in length");
  }
  p.images.reserve(urls.size());
  for (size_t i = 0; i < urls.size(); ++i) {
    p.images.push_back(ProductImage{std::move(urls[i]), std::move(alts[i]), variant_ids[i]});
  }
  return p;
}

absl::StatusOr<Product> LoadProduct(Connection& conn, ProductId id) {
  Params p;
  p.Add(id);
  WS_ASSIGN_OR_RETURN(Result r, conn.Execute(kGetProduct, p));
  return ReadOneProduct(r);
}

absl::Status IndexUnindexedProducts(Connection& conn) {
  for (;;) {
    WS_ASSIGN_OR_RETURN(Result ids, conn.Execute(kSelectUnindexed, Params()));
    if (ids.rows() == 0) return absl::OkStatus();
    for (int row = 0; row < ids.rows(); ++row) {
      WS_ASSIGN_OR_RETURN(ProductId id, ids.Int(row, 0));
      WS_ASSIGN_OR_RETURN(Product p, LoadProduct(conn, id));
      Params write;
      write.Add(id);
      AddSearchIndex(IndexProduct(p), &write);
      WS_RETURN_IF_ERROR(conn.Execute(kWriteSearchIndex, write).status());
    }
  }
}

absl::Status SlugUnsluggedProducts(Connection& conn) {
  for (;;) {
    WS_ASSIGN_OR_RETURN(Result ids, conn.Execute(kSelectUnslugged, Params()));
    if (ids.rows() == 0) return absl::OkStatus();
    for (int row = 0; row < ids.rows(); ++row) {
      WS_ASSIGN_OR_RETURN(ProductId id, ids.Int(row, 0));
      WS_RETURN_IF_ERROR(conn.Begin());
      absl::Status st = [&]() -> absl::Status {
        WS_ASSIGN_OR_RETURN(Product p, LoadProduct(conn, id));
        if (!p.slug.empty()) return absl::OkStatus();  // a product write gave it one
        ProductDraft d;                                // only what DeriveSlug reads
        d.brand = p.brand;
        d.model = p.model;
        d.attributes.reference = p.attributes.reference;
        return WriteSlug(conn, id, "", d).status();
      }();
      if (!st.ok()) {
        conn.Rollback();
        return st;
      }
      WS_RETURN_IF_ERROR(conn.Commit());
    }
  }
}

// --- Storage methods ----------------------------------------------------------------

absl::StatusOr<Product> PostgresStorage::GetProduct(ProductId id) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return LoadProduct(*conn, id);
}

absl::StatusOr<ProductId> PostgresStorage::FindProductIdBySku(absl::string_view sku) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(sku);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kFindProductIdBySku, p));
  if (r.rows() == 0) return absl::NotFoundError("no such SKU");
  return r.Int(0, 0);
}

absl::StatusOr<ProductId> PostgresStorage::FindProductIdByVariant(VariantId variant_id) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(variant_id);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kFindProductIdByVariant, p));
  if (r.rows() == 0) return absl::NotFoundError("no such variant");
  return r.Int(0, 0);
}

absl::StatusOr<SlugTarget> PostgresStorage::ResolveSlug(absl::string_view slug) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(slug);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kResolveSlug, p));
  if (r.rows() == 0) return absl::NotFoundError("no such slug");
  SlugTarget t;
  WS_ASSIGN_OR_RETURN(t.product_id, r.Int(0, 0));
  t.current_slug = r.String(0, 1);
  return t;
}

absl::Status PostgresStorage::PutCollection(const CollectionInfo& c) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(c.slug).Add(c.name).Add(c.description);
  return conn->Execute(kPutCollection, p).status();
}

absl::StatusOr<std::vector<CollectionInfo>> PostgresStorage::ListCollections() {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kListCollections, Params()));
  std::vector<CollectionInfo> out;
  for (int row = 0; row < r.rows(); ++row) {
    out.push_back(CollectionInfo{r.String(row, 0), r.String(row, 1), r.String(row, 2)});
  }
  return out;
}

absl::StatusOr<Product> PostgresStorage::CreateProduct(const ProductDraft& d, absl::Time now) {
  std::vector<const VariantDraft*> variants;
  int64_t min_price = 0;
  bool in_stock = false;
  for (const VariantDraft& v : d.variants) {
    if (v.id != 0) return InvalidField("variants", "a new product's variants have no id");
    if (variants.empty() || v.price.minor_units < min_price) min_price = v.price.minor_units;
    in_stock = in_stock || v.stock > 0;
    variants.push_back(&v);
  }
  Params p;
  AddProductFields(d, &p);                              // $1..$11
  p.AddTime(now);                                       // $12
  AddListingKeys(d, &p);                                // $13..$16
  p.Add(min_price).AddBool(in_stock);                   // $17, $18
  AddVariantArrays(variants, /*with_stock=*/true, &p);  // $19..$25
  AddWatchDetails(d.attributes, &p);                    // $26..$36
  AddSearchIndex(IndexProduct(d), &p);                  // $37, $38

  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  // The insert and its slug in one transaction.
  std::string slug;
  WS_ASSIGN_OR_RETURN(Result r,
                      Transact<Result>(*conn, [&](Connection& c) -> absl::StatusOr<Result> {
                        WS_ASSIGN_OR_RETURN(Result inserted, c.Execute(kCreateProduct, p));
                        if (inserted.rows() == 0)
                          return absl::InternalError("product insert returned nothing");
                        WS_ASSIGN_OR_RETURN(ProductId id, inserted.Int(0, 0));
                        WS_ASSIGN_OR_RETURN(slug, WriteSlug(c, id, "", d));
                        WS_RETURN_IF_ERROR(WriteImages(c, id, d.images));
                        return inserted;
                      }));
  Product out;
  WS_ASSIGN_OR_RETURN(out.id, r.Int(0, 0));
  out.slug = std::move(slug);
  out.brand = d.brand;
  out.model = d.model;
  out.description = d.description;
  out.attributes = d.attributes;
  out.collections = d.collections;
  out.images = d.images;
  out.image_url = CoverImageUrl(d.images);
  out.active = d.active;
  out.version = 1;
  out.created_at = out.updated_at = now;
  absl::flat_hash_map<absl::string_view, VariantId> ids;
  for (int row = 0; row < r.rows(); ++row) {
    if (r.IsNull(row, 1)) continue;
    WS_ASSIGN_OR_RETURN(VariantId vid, r.Int(row, 1));
    ids[r.Text(row, 2)] = vid;
  }
  for (const VariantDraft& v : d.variants) {
    auto it = ids.find(absl::string_view(v.sku));
    if (it == ids.end()) return absl::InternalError("variant insert lost a row");
    out.variants.push_back(
        Variant{it->second, out.id, v.sku, v.dial_color, v.strap, v.size, v.price, v.stock});
  }
  std::sort(out.variants.begin(), out.variants.end(),
            [](const Variant& a, const Variant& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<Product> PostgresStorage::UpdateProduct(ProductId id, int64_t expected_version,
                                                       const ProductDraft& d, absl::Time now) {
  std::vector<int64_t> update_ids;
  std::vector<const VariantDraft*> updated, added;
  for (const VariantDraft& v : d.variants) {
    if (v.id == 0) {
      added.push_back(&v);
    } else {
      updated.push_back(&v);
      update_ids.push_back(v.id);
    }
  }
  Params lock;
  lock.Add(id);
  Params update_variants;
  update_variants.Add(id).AddInt64Array(update_ids);
  AddVariantArrays(updated, /*with_stock=*/false, &update_variants);
  Params add_variants;
  add_variants.Add(id);
  AddVariantArrays(added, /*with_stock=*/true, &add_variants);
  Params fields;
  fields.Add(id);
  AddProductFields(d, &fields);              // $2..$12
  fields.AddTime(now);                       // $13
  AddListingKeys(d, &fields);                // $14..$17
  AddWatchDetails(d.attributes, &fields);    // $18..$28
  AddSearchIndex(IndexProduct(d), &fields);  // $29, $30

  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<Product>(*conn, [&](Connection& c) -> absl::StatusOr<Product> {
    WS_ASSIGN_OR_RETURN(Result r, c.Execute(kLockProduct, lock));
    if (r.rows() == 0) return absl::NotFoundError("no such product");
    WS_ASSIGN_OR_RETURN(int64_t version, r.Int(0, 0));
    if (version != expected_version) {
      return MakeError(absl::StatusCode::kAborted, reason::kVersionConflict,
                       absl::StrCat("product changed (version ", version, ")"), "version");
    }
    WS_ASSIGN_OR_RETURN(std::vector<int64_t> own, ParseInt64Array(r.Text(0, 1)));
    const absl::flat_hash_set<int64_t> own_ids(own.begin(), own.end());
    for (int64_t vid : update_ids) {
      if (!own_ids.contains(vid)) {
        return InvalidField("variants", absl::StrCat("variant ", vid, " is not of this product"));
      }
    }
    if (!updated.empty()) WS_RETURN_IF_ERROR(c.Execute(kUpdateVariants, update_variants).status());
    if (!added.empty()) WS_RETURN_IF_ERROR(c.Execute(kInsertVariants, add_variants).status());
    WS_RETURN_IF_ERROR(c.Execute(kUpdateProductFields, fields).status());
    const std::string current = r.String(0, 2);
    if (GivesSlug(d, current)) WS_RETURN_IF_ERROR(WriteSlug(c, id, current, d).status());
    WS_RETURN_IF_ERROR(WriteImages(c, id, d.images));
    return LoadProduct(c, id);
  });
}

absl::StatusOr<Product> PostgresStorage::AdjustStock(VariantId variant_id, int64_t delta,
                                                     absl::Time now) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<Product>(*conn, [&](Connection& c) -> absl::StatusOr<Product> {
    Params lock;
    lock.Add(variant_id);
    WS_ASSIGN_OR_RETURN(Result r, c.Execute(kLockVariant, lock));
    if (r.rows() == 0) return absl::NotFoundError("no such variant");
    WS_ASSIGN_OR_RETURN(ProductId product_id, r.Int(0, 0));
    WS_ASSIGN_OR_RETURN(int64_t stock, r.Int(0, 1));
    int64_t after = 0;
    if (__builtin_add_overflow(stock, delta, &after) || after < 0) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                       absl::StrCat("stock of ", r.Text(0, 2), " cannot go below zero"), "delta");
    }
    Params set;
    set.Add(variant_id).Add(after).AddTime(now);
    WS_RETURN_IF_ERROR(c.Execute(kSetStock, set).status());
    return LoadProduct(c, product_id);
  });
}

absl::StatusOr<ProductPage> PostgresStorage::ListProducts(const ProductQuery& q) {
  Params p;
  WS_RETURN_IF_ERROR(BindProductListing(q, &p));
  const uint64_t shape = ProductListingShape(q);
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  // A search is planned for its words: a generic plan cannot tell a rare
  // reference fragment (the trigram index) from a word most products have
  // (the sort index), and at 1M products the wrong one costs a second.
  WS_ASSIGN_OR_RETURN(Result r, ListingHasWords(shape)
                                    ? conn->ExecuteOnce(ProductListingSql(shape), p)
                                    : conn->ExecuteNamed(
                                          ProductListingName(shape),
                                          [shape] { return ProductListingSql(shape); }, p));
  ProductPage page;
  WS_RETURN_IF_ERROR(ReadProducts(r, &page.items));
  const size_t limit = static_cast<size_t>(std::max(q.limit, 1));
  if (page.items.size() > limit) {
    page.has_more = true;
    page.items.resize(limit);
  }
  return page;
}

absl::StatusOr<FacetCounts> PostgresStorage::CountFacets(const ProductQuery& q) {
  Params p;
  WS_RETURN_IF_ERROR(BindProductFacets(q, &p));
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  const int64_t limit = q.exact_facets ? 0 : facet_exact_limit_;
  WS_ASSIGN_OR_RETURN(
      Result r,
      ListingHasWords(ProductListingShape(q))  // planned for its words, as a listing
          ? conn->ExecuteOnce(ProductFacetsSql(q, limit), p)
          : conn->ExecuteNamed(
                ProductFacetsName(q, limit), [&q, limit] { return ProductFacetsSql(q, limit); },
                p));
  FacetCounts out;
  double sample_percent = 100;
  for (int row = 0; row < r.rows(); ++row) {
    if (r.IsNull(row, 1)) continue;
    WS_ASSIGN_OR_RETURN(int64_t facet, r.Int(row, 0));
    if (facet == -1) {  // counted over a sample of this percentage of the table
      if (!absl::SimpleAtod(r.String(row, 1), &sample_percent) || !(sample_percent > 0) ||
          sample_percent > 100) {
        return absl::InternalError("facet sample percentage out of range");
      }
      out.approximate = true;
      continue;
    }
    WS_ASSIGN_OR_RETURN(int64_t count, r.Int(row, 2));
    if (facet < 0 || facet >= kFacetCount) return absl::InternalError("facet index out of range");
    out.facets[static_cast<size_t>(facet)].push_back(FacetValue{r.String(row, 1), count});
  }
  for (std::vector<FacetValue>& values : out.facets) {
    if (out.approximate) {
      for (FacetValue& v : values) {
        v.count =
            std::max<int64_t>(1, std::llround(static_cast<double>(v.count) * 100 / sample_percent));
      }
    }
    std::sort(values.begin(), values.end(),
              [](const FacetValue& a, const FacetValue& b) { return a.value < b.value; });
  }
  return out;
}

}  // namespace watchstore::internal::pg
