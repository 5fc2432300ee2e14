// /api/v1/products and /api/v1/variants: the catalog, and its admin edits.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api.h"
#include "api_internal.h"
#include "render.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::http {
namespace {

// Generous bounds; the library enforces the real ones with precise messages.
constexpr size_t kMaxText = 1000;
constexpr size_t kMaxDescription = 16000;
constexpr size_t kMaxVariants = 100;
constexpr size_t kMaxCollections = 20;
constexpr size_t kMaxImages = 1000;  // the library refuses more than kMaxProductImages

// One picture of `images`. A missing url or alt reads as empty, which the
// library refuses with its own reason (invalid_image_url, invalid_image_alt).
absl::Status ReadImage(const JsonValue& value, const std::string& path, ProductImage* image) {
  ObjectReader r(value, path);
  r.String("url", &image->url, ObjectReader::kOptional, kMaxText);
  r.String("alt", &image->alt, ObjectReader::kOptional, kMaxText);
  r.Int64("variant_id", &image->variant_id, ObjectReader::kOptional, 0,
          std::numeric_limits<int64_t>::max());
  return r.Finish();
}

void WriteCollection(JsonOut& out, const Collection& c) {
  out.StartObject();
  out.Field("slug", c.slug);
  out.Field("name", c.name);
  out.Field("description", c.description);
  out.Field("product_count", c.product_count);
  out.Field("url", absl::StrCat("/collection.html?c=", c.slug));
  out.EndObject();
}

// `"<id>-<version>"`: changes whenever the product does.
std::string ETagOf(const Product& p) { return absl::StrCat("\"", p.id, "-", p.version, "\""); }

absl::Status ReadVariant(const JsonValue& value, const std::string& path, VariantDraft* v) {
  ObjectReader r(value, path);
  r.Int64("id", &v->id, ObjectReader::kOptional, 1, std::numeric_limits<int64_t>::max());
  r.String("sku", &v->sku, ObjectReader::kRequired, kMaxText);
  r.String("dial_color", &v->dial_color, ObjectReader::kOptional, kMaxText);
  r.String("strap", &v->strap, ObjectReader::kOptional, kMaxText);
  r.String("size", &v->size, ObjectReader::kOptional, kMaxText);
  if (const JsonValue* price = r.Object("price", ObjectReader::kRequired)) {
    auto money = ReadMoney(*price, r.PathOf("price"));
    if (!money.ok()) return money.status();
    v->price = *money;
  }
  if (v->id != 0 && value.IsObject() && value.HasMember("stock")) {
    r.Fail("stock", "an existing variant's stock changes through POST /api/v1/variants/{id}/stock");
  }
  r.Int64("stock", &v->stock, ObjectReader::kOptional, 0, 1'000'000'000);
  return r.Finish();
}

// An optional enum member by its name; `what` lists the names for the error.
template <typename Enum>
void ReadEnum(ObjectReader& r, const char* name, absl::StatusOr<Enum> (*parse)(absl::string_view),
              Enum* out) {
  std::string text;
  if (!r.String(name, &text, ObjectReader::kOptional, 40) || !r.ok() || text.empty()) return;
  absl::StatusOr<Enum> value = parse(text);
  if (!value.ok()) {
    r.Fail(name, value.status().message());
  } else {
    *out = *value;
  }
}

// The attributes of issue 13; ranges are the library's (it names the field).
absl::Status ReadWatchDetails(ObjectReader& r, WatchAttributes* a) {
  r.String("reference", &a->reference, ObjectReader::kOptional, kMaxText);
  r.String("caliber", &a->caliber, ObjectReader::kOptional, kMaxText);
  if (const JsonValue* list = r.Array("complications", ObjectReader::kOptional, 32)) {
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const JsonValue& c = (*list)[i];
      absl::StatusOr<Complication> parsed =
          c.IsString() ? ParseComplication(absl::string_view(c.GetString(), c.GetStringLength()))
                       : absl::StatusOr<Complication>(absl::InvalidArgumentError("not a string"));
      if (!parsed.ok()) {
        return InvalidField(ElementPath("complications", i),
                            c.IsString() ? parsed.status().message() : "must be a string");
      }
      a->complications |= ComplicationBit(*parsed);
    }
  }
  r.Int32("lug_width_mm", &a->lug_width_mm, ObjectReader::kOptional, 0, 1000);
  r.Int32("case_thickness_tenths_mm", &a->case_thickness_tenths, ObjectReader::kOptional, 0, 10000);
  ReadEnum(r, "crystal", &ParseCrystal, &a->crystal);
  ReadEnum(r, "condition", &ParseCondition, &a->condition);
  ReadEnum(r, "grade", &ParseConditionGrade, &a->grade);
  r.Bool("box", &a->box, ObjectReader::kOptional);
  r.Bool("papers", &a->papers, ObjectReader::kOptional);
  r.Int32("limited_pieces", &a->limited_pieces, ObjectReader::kOptional, 0, 1'000'000'000);
  return absl::OkStatus();
}

// A ProductDraft from a request body; `version` is read too when asked.
absl::Status ReadDraft(const JsonDocument& doc, ProductDraft* d, int64_t* version) {
  ObjectReader r(doc, "");
  r.String("brand", &d->brand, ObjectReader::kRequired, kMaxText);
  r.String("model", &d->model, ObjectReader::kRequired, kMaxText);
  r.String("slug", &d->slug, ObjectReader::kOptional, kMaxText);
  r.String("description", &d->description, ObjectReader::kOptional, kMaxDescription);
  std::string movement;
  if (r.String("movement", &movement, ObjectReader::kRequired, 40) && r.ok()) {
    auto m = ParseMovement(movement);
    if (!m.ok()) {
      r.Fail("movement", "must be one of automatic, manual, quartz, solar, kinetic, spring_drive");
    } else {
      d->attributes.movement = *m;
    }
  }
  r.Int32("case_diameter_mm", &d->attributes.case_diameter_mm, ObjectReader::kRequired, 0, 1000);
  r.String("case_material", &d->attributes.case_material, ObjectReader::kOptional, kMaxText);
  r.Int32("water_resistance_m", &d->attributes.water_resistance_m, ObjectReader::kOptional, 0,
          1'000'000);
  r.String("strap", &d->attributes.strap, ObjectReader::kOptional, kMaxText);
  WS_RETURN_IF_ERROR(ReadWatchDetails(r, &d->attributes));
  if (const JsonValue* cols = r.Array("collections", ObjectReader::kOptional, kMaxCollections)) {
    for (rapidjson::SizeType i = 0; i < cols->Size(); ++i) {
      const JsonValue& c = (*cols)[i];
      if (!c.IsString() || c.GetStringLength() > kMaxText) {
        return InvalidField(ElementPath("collections", i),
                            "must be a string of at most 1000 bytes");
      }
      d->collections.emplace_back(c.GetString(), c.GetStringLength());
    }
  }
  if (const JsonValue* images = r.Array("images", ObjectReader::kOptional, kMaxImages)) {
    for (rapidjson::SizeType i = 0; i < images->Size(); ++i) {
      ProductImage image;
      WS_RETURN_IF_ERROR(ReadImage((*images)[i], ElementPath("images", i), &image));
      d->images.push_back(std::move(image));
    }
  }
  r.Bool("active", &d->active, ObjectReader::kOptional);
  if (version != nullptr) {
    r.Int64("version", version, ObjectReader::kRequired, 1, std::numeric_limits<int64_t>::max());
  }
  if (const JsonValue* variants = r.Array("variants", ObjectReader::kRequired, kMaxVariants)) {
    for (rapidjson::SizeType i = 0; i < variants->Size(); ++i) {
      VariantDraft v;
      WS_RETURN_IF_ERROR(ReadVariant((*variants)[i], ElementPath("variants", i), &v));
      d->variants.push_back(std::move(v));
    }
  }
  return r.Finish();
}

// The listing's query parameters (shared by the listing and its facets).
absl::Status ReadProductQuery(const HttpRequest& req, ProductQuery* out,
                              std::optional<std::string>* cursor) {
  QueryReader q(req);
  ProductQuery& query = *out;
  std::optional<std::string> movement, sort, text;
  std::optional<int64_t> min_case, max_case, limit;
  q.String("brand", &query.brand, 200);
  q.String("movement", &movement, 40);
  q.String("collection", &query.collection, 200);
  q.Int64("min_price", &query.min_price_minor, 0, std::numeric_limits<int64_t>::max());
  q.Int64("max_price", &query.max_price_minor, 0, std::numeric_limits<int64_t>::max());
  q.Int64("min_case", &min_case, 0, 1000);
  q.Int64("max_case", &max_case, 0, 1000);
  q.Bool("in_stock", &query.in_stock_only);
  std::optional<std::string> complication, condition;
  std::optional<int64_t> min_water;
  q.String("case_material", &query.case_material, 200);
  q.Int64("min_water", &min_water, 0, 1'000'000);
  q.String("dial_color", &query.dial_color, 200);
  q.String("complication", &complication, 40);
  q.String("condition", &condition, 40);
  q.String("q", &text, 200);
  q.String("sort", &sort, 40);
  q.Int64("limit", &limit, 1, 100);
  q.String("cursor", cursor, 1024);
  q.Bool("include_archived", &query.include_archived);
  WS_RETURN_IF_ERROR(q.Finish());
  if (movement) {
    auto m = ParseMovement(*movement);
    if (!m.ok()) {
      return InvalidField("movement",
                          "must be one of automatic, manual, quartz, solar, kinetic, spring_drive");
    }
    query.movement = *m;
  }
  if (sort) {
    auto s = ParseProductSort(*sort);
    if (!s.ok()) {
      return InvalidField("sort",
                          "must be one of newest, price_asc, price_desc, name_asc, relevance");
    }
    query.sort = *s;
  } else if (text && !text->empty()) {
    query.sort = ProductSort::kRelevance;  // a search is ranked unless a sort is asked for
  }
  if (complication) {
    WS_ASSIGN_OR_RETURN(Complication c, ParseComplication(*complication));
    query.complication = c;
  }
  if (condition) {
    WS_ASSIGN_OR_RETURN(Condition c, ParseCondition(*condition));
    query.condition = c;
  }
  if (min_water) query.min_water_m = static_cast<int32_t>(*min_water);
  if (min_case) query.min_case_mm = static_cast<int32_t>(*min_case);
  if (max_case) query.max_case_mm = static_cast<int32_t>(*max_case);
  if (text) query.text = *text;
  if (limit) query.limit = static_cast<int>(*limit);
  return absl::OkStatus();
}

}  // namespace

absl::Status Api::ListProducts(Call& call) {
  ProductQuery query;
  std::optional<std::string> cursor;
  WS_RETURN_IF_ERROR(ReadProductQuery(call.req, &query, &cursor));
  const std::optional<Principal> viewer = OptionalUser(call);
  WS_ASSIGN_OR_RETURN(
      ProductListing listing,
      store_->catalog().ListProducts(query, cursor.value_or(""), viewer ? &*viewer : nullptr));
  JsonOut out;
  out.StartObject();
  out.Key("items");
  out.StartArray();
  for (const auto& p : listing.items) out.Raw(*product_json_.Get(p));
  out.EndArray();
  out.Key("next_cursor");
  if (listing.next_cursor.empty()) {
    out.Null();
  } else {
    out.String(listing.next_cursor);
  }
  out.EndObject();
  RenderJson(call, 200, out.Take());
  call.res->AddHeader("Cache-Control", viewer ? "private, no-cache" : "no-cache");
  return absl::OkStatus();
}

// The collections that hold a listed (active) watch, with their staff-written
// descriptions and counts (the catalog's collection facet).
absl::Status Api::ListCollections(Call& call) {
  QueryReader q(call.req);
  WS_RETURN_IF_ERROR(q.Finish());
  WS_ASSIGN_OR_RETURN(std::vector<Collection> collections, store_->catalog().ListCollections());
  JsonOut out;
  out.StartObject();
  out.Key("items");
  out.StartArray();
  for (const Collection& c : collections) WriteCollection(out, c);
  out.EndArray();
  out.EndObject();
  RenderJson(call, 200, out.Take());
  call.res->AddHeader("Cache-Control", "no-cache");
  return absl::OkStatus();
}

absl::Status Api::GetCollection(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  WS_ASSIGN_OR_RETURN(Collection c, store_->catalog().GetCollection(call.match.params[0]));
  JsonOut out;
  WriteCollection(out, c);
  RenderJson(call, 200, out.Take());
  call.res->AddHeader("Cache-Control", "no-cache");
  return absl::OkStatus();
}

absl::Status Api::AdminPutCollection(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(actor));  // before the body is read
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string name, description;
  r.String("name", &name, ObjectReader::kRequired, kMaxText);
  r.String("description", &description, ObjectReader::kOptional, kMaxDescription);
  WS_RETURN_IF_ERROR(r.Finish());
  WS_ASSIGN_OR_RETURN(Collection c, store_->catalog().PutCollection(actor, call.match.params[0],
                                                                    name, description));
  JsonOut out;
  WriteCollection(out, c);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::ProductFacets(Call& call) {
  ProductQuery query;
  std::optional<std::string> cursor;  // accepted and ignored: facets are the same on every page
  WS_RETURN_IF_ERROR(ReadProductQuery(call.req, &query, &cursor));
  const std::optional<Principal> viewer = OptionalUser(call);
  WS_ASSIGN_OR_RETURN(FacetCounts counts,
                      store_->catalog().CountFacets(query, viewer ? &*viewer : nullptr));
  JsonOut out;
  out.StartObject();
  out.Key("facets");
  out.StartObject();
  for (int i = 0; i < kFacetCount; ++i) {
    out.Key(FacetName(static_cast<Facet>(i)));
    out.StartArray();
    for (const FacetValue& v : counts.facets[i]) {
      out.StartObject();
      out.Field("value", v.value);
      out.Field("count", v.count);
      out.EndObject();
    }
    out.EndArray();
  }
  out.EndObject();
  out.Field("approximate", counts.approximate);
  out.EndObject();
  RenderJson(call, 200, out.Take());
  call.res->AddHeader("Cache-Control", viewer ? "private, no-cache" : "no-cache");
  return absl::OkStatus();
}

absl::Status Api::GetProduct(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  const std::optional<Principal> viewer = OptionalUser(call);
  WS_ASSIGN_OR_RETURN(auto product, store_->catalog().GetProduct(id, viewer ? &*viewer : nullptr));
  return RenderProduct(call, product, viewer.has_value());
}

absl::Status Api::GetProductBySku(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  const std::optional<Principal> viewer = OptionalUser(call);
  WS_ASSIGN_OR_RETURN(auto product, store_->catalog().GetProductBySku(call.match.params[0],
                                                                      viewer ? &*viewer : nullptr));
  return RenderProduct(call, product, viewer.has_value());
}

absl::Status Api::GetProductBySlug(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  const absl::string_view slug = call.match.params[0];
  const std::optional<Principal> viewer = OptionalUser(call);
  WS_ASSIGN_OR_RETURN(auto product,
                      store_->catalog().GetProductBySlug(slug, viewer ? &*viewer : nullptr));
  if (product->slug != slug) {
    RenderMovedPermanently(call, absl::StrCat("/api/v1/products/by-slug/", product->slug));
    return absl::OkStatus();
  }
  return RenderProduct(call, product, viewer.has_value());
}

absl::Status Api::WatchPage(Call& call) {
  const absl::Status no_page =
      MakeError(absl::StatusCode::kNotFound, watchstore::reason::kNotFound, "no such watch");
  if (static_files_ == nullptr) return no_page;
  // Query strings (campaign tags, ...) are the page's script's business.
  const absl::string_view slug = call.match.params[0];
  const std::optional<Principal> viewer = OptionalUser(call);
  auto product = store_->catalog().GetProductBySlug(slug, viewer ? &*viewer : nullptr);
  if (!product.ok()) return absl::IsNotFound(product.status()) ? no_page : product.status();
  if ((*product)->slug != slug) {
    RenderMovedPermanently(call, absl::StrCat("/watches/", (*product)->slug));
    return absl::OkStatus();
  }
  static_files_->ServeFile("product.html", call.req, call.res);
  return absl::OkStatus();
}

void Api::RenderMovedPermanently(Call& call, absl::string_view location) {
  call.res->status = 301;
  call.res->AddHeader("Location", std::string(location));
  // Revalidated, not kept for ever: a watch may take an old slug back.
  call.res->AddHeader("Cache-Control", "no-cache");
  call.res->content_type = "text/plain; charset=utf-8";
  call.res->body = absl::StrCat("Moved to ", location, "\n");
}

absl::Status Api::RenderProduct(Call& call, const std::shared_ptr<const Product>& product,
                                bool logged_in) {
  const std::string etag = ETagOf(*product);
  call.res->AddHeader("ETag", etag);
  call.res->AddHeader("Cache-Control", logged_in ? "private, no-cache" : "no-cache");
  if (IfNoneMatchHits(call.req, etag)) {
    call.res->status = 304;
    return absl::OkStatus();
  }
  RenderJson(call, 200, *product_json_.Get(product));
  return absl::OkStatus();
}

absl::Status Api::CreateProduct(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(actor));  // before the body is read
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ProductDraft draft;
  WS_RETURN_IF_ERROR(ReadDraft(*doc, &draft, nullptr));
  WS_ASSIGN_OR_RETURN(auto product, store_->catalog().CreateProduct(actor, draft));
  RenderJson(call, 201, ProductJson(*product));
  call.res->AddHeader("Location", absl::StrCat("/api/v1/products/", product->id));
  call.res->AddHeader("ETag", ETagOf(*product));
  return absl::OkStatus();
}

absl::Status Api::UpdateProduct(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(actor));  // before the body is read
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ProductDraft draft;
  int64_t version = 0;
  WS_RETURN_IF_ERROR(ReadDraft(*doc, &draft, &version));
  WS_ASSIGN_OR_RETURN(auto product, store_->catalog().UpdateProduct(actor, id, version, draft));
  RenderJson(call, 200, ProductJson(*product));
  call.res->AddHeader("ETag", ETagOf(*product));
  return absl::OkStatus();
}

absl::Status Api::ArchiveProduct(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(actor));  // before the body is read
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  int64_t version = 0;
  r.Int64("version", &version, ObjectReader::kRequired, 1, std::numeric_limits<int64_t>::max());
  WS_RETURN_IF_ERROR(r.Finish());
  WS_ASSIGN_OR_RETURN(auto product, store_->catalog().ArchiveProduct(actor, id, version));
  RenderJson(call, 200, ProductJson(*product));
  call.res->AddHeader("ETag", ETagOf(*product));
  return absl::OkStatus();
}

absl::Status Api::AdjustStock(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(actor));  // before the body is read
  WS_ASSIGN_OR_RETURN(int64_t variant_id, PathId(call.match.params[0], "variant_id"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  int64_t delta = 0;
  r.Int64("delta", &delta, ObjectReader::kRequired);
  WS_RETURN_IF_ERROR(r.Finish());
  WS_ASSIGN_OR_RETURN(auto product, store_->catalog().AdjustStock(actor, variant_id, delta));
  RenderJson(call, 200, ProductJson(*product));
  call.res->AddHeader("ETag", ETagOf(*product));
  return absl::OkStatus();
}

}  // namespace watchstore::http
