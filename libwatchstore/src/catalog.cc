#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/base/config.h"
#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "codec.h"
#include "crypto.h"
#include "services.h"
#include "storage/listing.h"
#include "typed_cache.h"
#include "watchstore/errors.h"
#include "watchstore/search.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal {
namespace {

constexpr absl::string_view kGenerationKey = "catalog:gen";
constexpr absl::Duration kGenerationTtl = absl::Hours(24);

// "p:<id>" without allocating (a hot path: every product read builds one).
// On little-endian machines ids below 10^14 are assembled in registers and
// written as two whole words: the cache reads the key by words right after
// it is built, and a word load over a run of byte stores stalls (no
// store-to-load forwarding).
class ProductKey {
 public:
  explicit ProductKey(ProductId id) {
    uint64_t v = id < 0 ? 0 : static_cast<uint64_t>(id);
#ifdef ABSL_IS_LITTLE_ENDIAN
    if (v < 100'000'000'000'000) {  // "p:" + at most 14 digits: 16 bytes
      absl::uint128 text = 0;       // byte i of the key in bits 8i..8i+7
      size_t n = 0;
      // Least significant pair of digits first, each shifting the others up.
      while (v >= 100) {
        text = (text << 16) | DigitPair(v % 100);
        v /= 100;
        n += 2;
      }
      if (v >= 10) {
        text = (text << 16) | DigitPair(v);
        n += 2;
      } else {
        text = (text << 8) | static_cast<uint64_t>('0' + v);
        ++n;
      }
      text = (text << 16) | static_cast<uint64_t>('p' | (':' << 8));
      const uint64_t words[2] = {absl::Uint128Low64(text), absl::Uint128High64(text)};
      std::memcpy(buf_, words, sizeof(words));
      len_ = 2 + n;
      return;
    }
#endif
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    buf_[0] = 'p';
    buf_[1] = ':';
    for (int i = 0; i < n; ++i) buf_[2 + i] = digits[n - 1 - i];
    len_ = static_cast<size_t>(2 + n);
  }
  absl::string_view view() const { return {buf_, len_}; }
  std::string str() const { return std::string(view()); }

 private:
  // The two digits of `v` < 100 as text, the tens in the low byte.
  static uint64_t DigitPair(uint64_t v) { return ('0' + v / 10) | (('0' + v % 10) << 8); }

  char buf_[24];
  size_t len_;
};

bool Visible(const Product& p, const Principal* viewer) {
  return p.active || (viewer != nullptr && viewer->is_admin());
}

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

absl::Status CheckLength(absl::string_view field, absl::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) {
    return InvalidField(field, min > 0 ? absl::StrCat("must be ", min, " to ", max, " bytes")
                                       : absl::StrCat("must be at most ", max, " bytes"));
  }
  return absl::OkStatus();
}

// The attributes of issue 13 (reference, caliber, complications, ...).
absl::Status ValidateWatchDetails(const WatchAttributes& a) {
  WS_RETURN_IF_ERROR(CheckLength("reference", a.reference, 0, 40));
  if (!IsPrintableAscii(a.reference)) return InvalidField("reference", "must be printable ASCII");
  WS_RETURN_IF_ERROR(CheckLength("caliber", a.caliber, 0, 40));
  if (!IsPrintableAscii(a.caliber)) return InvalidField("caliber", "must be printable ASCII");
  if (a.complications >= (ComplicationSet{1} << kComplicationCount)) {
    return InvalidField("complications", "holds an unknown complication");
  }
  if (a.lug_width_mm != 0 && (a.lug_width_mm < 8 || a.lug_width_mm > 30)) {
    return InvalidField("lug_width_mm", "must be 0 (not stated) or between 8 and 30");
  }
  if (a.case_thickness_tenths != 0 &&
      (a.case_thickness_tenths < 20 || a.case_thickness_tenths > 300)) {
    return InvalidField("case_thickness_tenths_mm",
                        "must be 0 (not stated) or between 20 and 300 (2.0 to 30.0 mm)");
  }
  if (a.crystal > Crystal::kAcrylic) return InvalidField("crystal", "is unknown");
  if (a.condition > Condition::kPreOwned) return InvalidField("condition", "is unknown");
  if (a.grade > ConditionGrade::kFair) return InvalidField("grade", "is unknown");
  if ((a.condition == Condition::kNew) != (a.grade == ConditionGrade::kNone)) {
    return InvalidField("grade", "a pre-owned watch has a grade and a new one has none");
  }
  if (a.limited_pieces < 0 || a.limited_pieces > 1'000'000) {
    return InvalidField("limited_pieces", "must be between 0 (not limited) and 1000000");
  }
  return absl::OkStatus();
}

// A picture's URL: a storefront path ("/img/...", never "//host") or an
// https URL, of printable ASCII without spaces, quotes, angle brackets or
// backslashes (a browser reads "/\host" as "//host").
bool IsImageUrl(absl::string_view url) {
  if (url.empty() || url.size() > 300) return false;
  const bool path = absl::StartsWith(url, "/") && !absl::StartsWith(url, "//");
  if (!path && !absl::StartsWith(url, "https://")) return false;
  return IsPrintableAscii(url) && url.find_first_of(" \\\"'<>`") == absl::string_view::npos;
}

// The gallery of a draft: bounded, every URL a storefront path or https URL,
// every picture described, every variant link to one of the draft's existing
// variants (a new variant has no id to link to yet).
absl::Status ValidateImages(const ProductDraft& d) {
  if (d.images.size() > kMaxProductImages) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kTooManyImages,
                     absl::StrCat("a product has at most ", kMaxProductImages, " images"),
                     "images");
  }
  for (size_t i = 0; i < d.images.size(); ++i) {
    const ProductImage& image = d.images[i];
    const std::string at = absl::StrCat("image ", i + 1, ": ");
    if (!IsImageUrl(image.url)) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidImageUrl,
                       absl::StrCat(at,
                                    "url must be a path starting with / or an https URL, at most "
                                    "300 bytes of printable ASCII"),
                       "images");
    }
    const bool blank =
        std::all_of(image.alt.begin(), image.alt.end(), [](char c) { return c == ' '; });
    const bool control = std::any_of(image.alt.begin(), image.alt.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (blank || control || image.alt.size() > 200) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidImageAlt,
                       absl::StrCat(at,
                                    "alt text is required: 1 to 200 bytes, no control "
                                    "characters"),
                       "images");
    }
    if (image.variant_id != 0 &&
        std::none_of(d.variants.begin(), d.variants.end(),
                     [&](const VariantDraft& v) { return v.id == image.variant_id; })) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kUnknownImageVariant,
                       absl::StrCat(at, "variant ", image.variant_id,
                                    " is not an existing variant of this product"),
                       "images");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDraft(const ProductDraft& d, const Currency& currency) {
  WS_RETURN_IF_ERROR(CheckLength("brand", d.brand, 1, 100));
  WS_RETURN_IF_ERROR(CheckLength("model", d.model, 1, 100));
  WS_RETURN_IF_ERROR(CheckLength("description", d.description, 0, 4000));
  if (d.attributes.case_diameter_mm < 20 || d.attributes.case_diameter_mm > 60) {
    return InvalidField("case_diameter_mm", "must be between 20 and 60");
  }
  if (d.attributes.water_resistance_m < 0 || d.attributes.water_resistance_m > 20000) {
    return InvalidField("water_resistance_m", "must be between 0 and 20000");
  }
  WS_RETURN_IF_ERROR(CheckLength("case_material", d.attributes.case_material, 0, 60));
  WS_RETURN_IF_ERROR(CheckLength("strap", d.attributes.strap, 0, 100));
  WS_RETURN_IF_ERROR(ValidateWatchDetails(d.attributes));
  if (d.collections.size() > 10) return InvalidField("collections", "at most 10");
  for (const auto& c : d.collections) WS_RETURN_IF_ERROR(CheckLength("collections", c, 1, 40));
  if (d.variants.empty() || d.variants.size() > 50) {
    return InvalidField("variants", "a product has 1 to 50 variants");
  }
  for (const VariantDraft& v : d.variants) {
    if (v.sku.size() < 3 || v.sku.size() > 40)
      return InvalidField("sku", "must be 3 to 40 characters");
    for (char c : v.sku) {
      if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
        return InvalidField("sku", "may hold only A-Z, 0-9 and -");
      }
    }
    WS_RETURN_IF_ERROR(CheckLength("dial_color", v.dial_color, 0, 40));
    WS_RETURN_IF_ERROR(CheckLength("strap", v.strap, 0, 100));
    WS_RETURN_IF_ERROR(CheckLength("size", v.size, 0, 40));
    if (v.price.currency != currency) {
      return InvalidField("price", absl::StrCat("must be in ", currency.code()));
    }
    if (v.price.minor_units < 0 || v.price.minor_units > 100'000'000'000) {
      return InvalidField("price", "must be between 0 and 1e11 minor units");
    }
    if (v.id < 0) return InvalidField("id", "must be positive");
    if (v.stock < 0 || v.stock > 1'000'000)
      return InvalidField("stock", "must be between 0 and 1000000");
  }
  return ValidateImages(d);
}

// "2:sort:id:price:rank:name key"; a "1:" cursor (before relevance) reads
// with rank 0.
std::string EncodeCursor(ProductSort sort, const ProductCursor& c) {
  return absl::WebSafeBase64Escape(absl::StrCat("2:", ProductSortName(sort), ":", c.id, ":",
                                                c.price_minor, ":", c.rank, ":", c.name_key));
}

absl::StatusOr<ProductCursor> DecodeCursor(absl::string_view cursor, ProductSort sort) {
  const absl::Status bad = InvalidField("cursor", "is not a cursor of this listing");
  std::string raw;
  if (cursor.size() > 1024 || !absl::WebSafeBase64Unescape(cursor, &raw)) return bad;
  const bool v1 = absl::StartsWith(raw, "1:");
  std::vector<absl::string_view> parts = absl::StrSplit(raw, absl::MaxSplits(':', v1 ? 4 : 5));
  if (parts.size() != (v1 ? 5u : 6u) || (!v1 && parts[0] != "2") ||
      parts[1] != ProductSortName(sort)) {
    return bad;
  }
  ProductCursor c;
  if (!absl::SimpleAtoi(parts[2], &c.id) || !absl::SimpleAtoi(parts[3], &c.price_minor) ||
      (!v1 && !absl::SimpleAtoi(parts[4], &c.rank))) {
    return bad;
  }
  c.name_key = std::string(parts.back());
  return c;
}

// A listing page as the cache holds it: its items already shared as
// snapshots; encoded as the storage page it came from.
class ListingCodec {
 public:
  // `q` as CheckedQuery left it (its text is the search words); it outlives
  // the codec.
  explicit ListingCodec(const ProductQuery& q) : sort_(q.sort), text_(q.text) {}

  std::string Encode(const ProductListing& l) const {
    ProductPage page;
    page.items.reserve(l.items.size());
    for (const auto& p : l.items) page.items.push_back(*p);
    page.has_more = !l.next_cursor.empty();
    return EncodeProductPage(page);
  }
  std::optional<ProductListing> Decode(absl::string_view bytes) const {
    std::optional<ProductPage> page = DecodeProductPage(bytes);
    if (!page) return std::nullopt;
    return Listing(std::move(*page));
  }

  ProductListing Listing(ProductPage page) const {
    ProductListing l;
    if (page.has_more && !page.items.empty()) {
      const std::vector<std::string> words = absl::StrSplit(text_, ' ', absl::SkipEmpty());
      l.next_cursor = EncodeCursor(sort_, CursorAfter(page.items.back(), words));
    }
    l.items.reserve(page.items.size());
    for (Product& p : page.items) l.items.push_back(std::make_shared<const Product>(std::move(p)));
    return l;
  }

 private:
  ProductSort sort_;
  absl::string_view text_;
};

absl::Status NoSuchProduct() {
  return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such product", "id");
}

}  // namespace

CatalogImpl::CatalogImpl(const Context& ctx)
    : ctx_(ctx),
      products_(ctx.cache, ProductCodec{}),
      generations_(ctx.cache, TextCodec{}),
      slug_owners_(ctx.cache, TextCodec{}) {}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::Load(ProductId id) {
  if (ProductPtr p = front_.Find(id)) return p;
  const ProductKey key(id);
  CacheLease lease;
  auto found = products_.LookupLeased(key.view(), &lease);
  if (found.value != nullptr) {
    front_.Remember(id, found.value, lease);
    return std::move(found.value);
  }
  return LoadMissed(id, key.view(), found.ticket);
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::LoadMissed(ProductId id,
                                                                       absl::string_view key,
                                                                       const FillTicket& ticket) {
  auto loaded = product_flights_.Do(key, [&]() -> absl::StatusOr<ProductPtr> {
    WS_ASSIGN_OR_RETURN(Product p, ctx_.storage->GetProduct(id));
    return products_.Fill(key, std::move(p), ctx_.options->catalog.product_ttl, ticket);
  });
  if (!loaded.ok() && absl::IsNotFound(loaded.status())) return NoSuchProduct();
  return loaded;
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::GetProduct(ProductId id,
                                                                       const Principal* viewer) {
  if (id <= 0) return NoSuchProduct();
  absl::StatusOr<ProductPtr> p = Load(id);
  if (p.ok() && !Visible(**p, viewer)) return NoSuchProduct();
  return p;
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::GetProductBySku(
    absl::string_view sku, const Principal* viewer) {
  if (sku.empty() || sku.size() > 40) {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such SKU", "sku");
  }
  auto id = ctx_.storage->FindProductIdBySku(sku);
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) {
      return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such SKU", "sku");
    }
    return id.status();
  }
  return GetProduct(*id, viewer);
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::GetProductBySlug(
    absl::string_view slug, const Principal* viewer) {
  const absl::Status unknown =
      MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such watch", "slug");
  if (!IsValidSlug(slug)) return unknown;
  // A slug never changes product, so its owner may be cached as long as any
  // product; the current slug comes with the (invalidated) product itself.
  const std::string key = absl::StrCat("s:", slug);
  auto found = slug_owners_.Lookup(key);
  ProductId id = 0;
  if (found.value == nullptr || !absl::SimpleAtoi(*found.value, &id)) {
    auto target = ctx_.storage->ResolveSlug(slug);
    if (!target.ok()) return absl::IsNotFound(target.status()) ? unknown : target.status();
    id = target->product_id;
    slug_owners_.Fill(key, absl::StrCat(id), ctx_.options->catalog.product_ttl, found.ticket);
  }
  return GetProduct(id, viewer);
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::LoadByVariant(VariantId variant_id) {
  auto id = variant_id > 0 ? ctx_.storage->FindProductIdByVariant(variant_id)
                           : absl::StatusOr<ProductId>(absl::NotFoundError(""));
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) {
      return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such variant",
                       "variant_id");
    }
    return id.status();
  }
  return Load(*id);
}

std::string CatalogImpl::ListingKey(const ProductQuery& q) {
  auto gen = generations_.Lookup(kGenerationKey);
  if (gen.value == nullptr) {
    // None yet (or it expired): start one, unless an invalidation got there
    // first (then this page is cached under a generation nobody reads).
    gen.value =
        generations_.Fill(kGenerationKey, absl::StrCat(RandomU64()), kGenerationTtl, gen.ticket);
  }
  const std::string& generation = *gen.value;
  // Every field that changes the result, in a fixed order. User text is
  // length-prefixed so no value can forge another field.
  auto opt = [](const auto& o) { return o ? absl::StrCat(*o) : std::string("-"); };
  auto text = [](absl::string_view s) { return absl::StrCat(s.size(), "'", s); };
  return absl::StrCat(
      "l:", generation, ":", q.brand ? text(absl::AsciiStrToLower(*q.brand)) : "-", ":",
      q.movement ? MovementName(*q.movement) : "-", ":",
      q.collection ? text(absl::AsciiStrToLower(*q.collection)) : "-", ":", opt(q.min_price_minor),
      ":", opt(q.max_price_minor), ":", opt(q.min_case_mm), ":", opt(q.max_case_mm), ":",
      q.case_material ? text(absl::AsciiStrToLower(*q.case_material)) : "-", ":",
      opt(q.min_water_m), ":", q.dial_color ? text(absl::AsciiStrToLower(*q.dial_color)) : "-", ":",
      q.complication ? ComplicationName(*q.complication) : "-", ":",
      q.condition ? ConditionName(*q.condition) : "-", ":", q.in_stock_only ? 1 : 0, ":",
      q.include_archived ? 1 : 0, ":", q.exact_facets ? 1 : 0, ":", ProductSortName(q.sort), ":",
      q.limit, ":", text(absl::AsciiStrToLower(q.text)), ":",
      q.after ? absl::StrCat(q.after->id, "/", q.after->price_minor, "/", text(q.after->name_key))
              : "-");
}

absl::StatusOr<ProductQuery> CatalogImpl::CheckedQuery(const ProductQuery& query,
                                                       const Principal* viewer) {
  ProductQuery q = query;
  q.after.reset();
  if (q.limit < 1 || q.limit > ctx_.options->catalog.max_page_size) {
    return InvalidField(
        "limit", absl::StrCat("must be between 1 and ", ctx_.options->catalog.max_page_size));
  }
  if (q.include_archived && (viewer == nullptr || !viewer->is_admin())) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kForbidden,
                     "only staff can list archived products");
  }
  if (q.min_price_minor && *q.min_price_minor < 0) return InvalidField("min_price", "must be >= 0");
  if (q.max_price_minor && *q.max_price_minor < 0) return InvalidField("max_price", "must be >= 0");
  if (q.min_price_minor && q.max_price_minor && *q.min_price_minor > *q.max_price_minor) {
    return InvalidField("min_price", "must not exceed max_price");
  }
  if (q.min_case_mm && q.max_case_mm && *q.min_case_mm > *q.max_case_mm) {
    return InvalidField("min_case", "must not exceed max_case");
  }
  if (q.brand && q.brand->size() > 100) return InvalidField("brand", "too long");
  if (q.collection && q.collection->size() > 40) return InvalidField("collection", "too long");
  if (q.case_material && q.case_material->size() > 60) {
    return InvalidField("case_material", "too long");
  }
  if (q.dial_color && q.dial_color->size() > 40) return InvalidField("dial_color", "too long");
  if (q.min_water_m && (*q.min_water_m < 0 || *q.min_water_m > 20000)) {
    return InvalidField("min_water", "must be between 0 and 20000");
  }
  // The words are what the search compares; one cache entry per set of
  // words ("Omega!" and "omega" are the same search).
  WS_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseSearchQuery(q.text));
  q.text = absl::StrJoin(words, " ");
  return q;
}

absl::StatusOr<ProductListing> CatalogImpl::ListProducts(const ProductQuery& query,
                                                         absl::string_view cursor,
                                                         const Principal* viewer) {
  WS_ASSIGN_OR_RETURN(ProductQuery q, CheckedQuery(query, viewer));
  if (!cursor.empty()) {
    WS_ASSIGN_OR_RETURN(ProductCursor c, DecodeCursor(cursor, q.sort));
    q.after = std::move(c);
  }

  const std::string key = ListingKey(q);
  const TypedCache<ProductListing, ListingCodec> listings(ctx_.cache, ListingCodec(q));
  auto found = listings.Lookup(key);
  if (found.value != nullptr) return *found.value;
  WS_ASSIGN_OR_RETURN(auto listing, listing_flights_.Do(key, [&]() -> absl::StatusOr<ListingPtr> {
    WS_ASSIGN_OR_RETURN(ProductPage page, ctx_.storage->ListProducts(q));
    return listings.Fill(key, ListingCodec(q).Listing(std::move(page)),
                         ctx_.options->catalog.listing_ttl, found.ticket);
  }));
  return *listing;
}

absl::StatusOr<FacetCounts> CatalogImpl::CountFacets(const ProductQuery& query,
                                                     const Principal* viewer) {
  WS_ASSIGN_OR_RETURN(ProductQuery q, CheckedQuery(query, viewer));
  // One entry whatever the page, sort or size: facets do not depend on them.
  q.sort = ProductSort::kNewest;
  q.limit = 1;
  const std::string key = absl::StrCat("f", ListingKey(q));
  const TypedCache<FacetCounts, FacetCodec> facets(ctx_.cache, FacetCodec{});
  auto found = facets.Lookup(key);
  if (found.value != nullptr) return *found.value;
  WS_ASSIGN_OR_RETURN(
      auto counts,
      facet_flights_.Do(key, [&]() -> absl::StatusOr<std::shared_ptr<const FacetCounts>> {
        WS_ASSIGN_OR_RETURN(FacetCounts c, ctx_.storage->CountFacets(q));
        return facets.Fill(key, std::move(c), ctx_.options->catalog.listing_ttl, found.ticket);
      }));
  return *counts;
}

void CatalogImpl::InvalidateListings() {
  generations_.Put(kGenerationKey, absl::StrCat(RandomU64()), kGenerationTtl);
}

void CatalogImpl::ForgetProduct(ProductId id) {
  const ProductKey key(id);
  products_.Erase(key.view());
  product_flights_.Forget(key.view());
}

std::shared_ptr<const Product> CatalogImpl::Publish(Product p) {
  ForgetProduct(p.id);
  InvalidateListings();
  return std::make_shared<const Product>(std::move(p));
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::CreateProduct(
    const Principal& actor, const ProductDraft& draft) {
  WS_RETURN_IF_ERROR(RequireAdmin(actor));
  WS_RETURN_IF_ERROR(ValidateDraft(draft, ctx_.options->currency));
  for (const VariantDraft& v : draft.variants) {
    if (v.id != 0) return InvalidField("id", "a new product's variants have no id");
  }
  WS_ASSIGN_OR_RETURN(Product p, ctx_.storage->CreateProduct(draft, ctx_.clock->Now()));
  return Publish(std::move(p));
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::UpdateProduct(
    const Principal& actor, ProductId id, int64_t expected_version, const ProductDraft& draft) {
  WS_RETURN_IF_ERROR(RequireAdmin(actor));
  WS_RETURN_IF_ERROR(ValidateDraft(draft, ctx_.options->currency));
  auto p = ctx_.storage->UpdateProduct(id, expected_version, draft, ctx_.clock->Now());
  if (!p.ok()) {
    if (absl::IsNotFound(p.status())) {
      return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such product", "id");
    }
    return p.status();
  }
  return Publish(std::move(*p));
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::ArchiveProduct(
    const Principal& actor, ProductId id, int64_t expected_version) {
  WS_RETURN_IF_ERROR(RequireAdmin(actor));
  auto current = ctx_.storage->GetProduct(id);
  if (!current.ok()) {
    if (absl::IsNotFound(current.status())) {
      return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such product", "id");
    }
    return current.status();
  }
  ProductDraft d;
  d.brand = current->brand;
  d.model = current->model;
  d.description = current->description;
  d.attributes = current->attributes;
  d.collections = current->collections;
  d.images = current->images;
  d.active = false;
  WS_ASSIGN_OR_RETURN(Product p,
                      ctx_.storage->UpdateProduct(id, expected_version, d, ctx_.clock->Now()));
  return Publish(std::move(p));
}

absl::StatusOr<std::shared_ptr<const Product>> CatalogImpl::AdjustStock(const Principal& actor,
                                                                        VariantId variant_id,
                                                                        int64_t delta) {
  WS_RETURN_IF_ERROR(RequireAdmin(actor));
  if (delta < -1'000'000 || delta > 1'000'000) {
    return InvalidField("delta", "must be between -1000000 and 1000000");
  }
  auto p = ctx_.storage->AdjustStock(variant_id, delta, ctx_.clock->Now());
  if (!p.ok()) {
    if (absl::IsNotFound(p.status())) {
      return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such variant",
                       "variant_id");
    }
    return p.status();
  }
  return Publish(std::move(*p));
}

void CatalogImpl::AfterStockChanges(const std::vector<StockChange>& changes) {
  if (changes.empty()) return;
  bool availability_changed = false;
  for (const StockChange& c : changes) {
    ForgetProduct(c.product_id);
    availability_changed = availability_changed || (c.stock_before > 0) != (c.stock_after > 0);
  }
  if (availability_changed) InvalidateListings();
}

}  // namespace watchstore::internal

namespace watchstore {

absl::Status RequireAdmin(const Principal& p) {
  if (p.user_id == 0) {
    return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated, "log in first");
  }
  if (!p.is_admin()) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kForbidden,
                     "only staff can do this");
  }
  return absl::OkStatus();
}

}  // namespace watchstore
