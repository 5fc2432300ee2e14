#include "render.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace watchstore::http {
namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

}  // namespace

std::string Rfc3339(absl::Time t) {
  const int64_t ms = absl::ToUnixMillis(t);
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const int64_t millis = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const int64_t sod = secs - days * 86400;
  int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  if (year < 0 || year > 9999) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
  }
  // "YYYY-MM-DDTHH:MM:SS.mmmZ", written digit by digit (no printf).
  char buf[24];
  auto put = [&buf](int pos, int64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      buf[pos + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, year, 4);
  buf[4] = '-';
  put(5, month, 2);
  buf[7] = '-';
  put(8, day, 2);
  buf[10] = 'T';
  put(11, sod / 3600, 2);
  buf[13] = ':';
  put(14, sod / 60 % 60, 2);
  buf[16] = ':';
  put(17, sod % 60, 2);
  buf[19] = '.';
  put(20, millis, 3);
  buf[23] = 'Z';
  return std::string(buf, sizeof buf);
}

void WriteMoney(JsonOut& out, const Money& m) {
  out.StartObject();
  out.Field("amount_minor", m.minor_units);
  out.Field("currency", m.currency.code());
  out.EndObject();
}

void WriteUser(JsonOut& out, const User& u) {
  out.StartObject();
  out.Field("id", u.id);
  out.Field("email", u.email);
  out.Field("role", RoleName(u.role));
  out.Field("created_at", Rfc3339(u.created_at));
  out.Field("email_verified", u.email_verified_at.has_value());
  out.EndObject();
}

void WriteProduct(JsonOut& out, const Product& p) {
  out.StartObject();
  out.Field("id", p.id);
  out.Field("slug", p.slug);
  out.Field("url", absl::StrCat("/watches/", p.slug));
  out.Field("brand", p.brand);
  out.Field("model", p.model);
  out.Field("description", p.description);
  out.Field("movement", MovementName(p.attributes.movement));
  out.Field("case_diameter_mm", static_cast<int64_t>(p.attributes.case_diameter_mm));
  out.Field("case_material", p.attributes.case_material);
  out.Field("water_resistance_m", static_cast<int64_t>(p.attributes.water_resistance_m));
  out.Field("strap", p.attributes.strap);
  const WatchAttributes& a = p.attributes;
  out.Field("reference", a.reference);
  out.Field("caliber", a.caliber);
  out.Key("complications");
  out.StartArray();
  for (int i = 0; i < kComplicationCount; ++i) {
    const Complication c = static_cast<Complication>(i);
    if (a.complications & ComplicationBit(c)) out.String(ComplicationName(c));
  }
  out.EndArray();
  out.Field("lug_width_mm", static_cast<int64_t>(a.lug_width_mm));
  out.Field("case_thickness_tenths_mm", static_cast<int64_t>(a.case_thickness_tenths));
  out.Field("crystal", CrystalName(a.crystal));
  out.Field("condition", ConditionName(a.condition));
  out.Field("grade", ConditionGradeName(a.grade));
  out.Field("box", a.box);
  out.Field("papers", a.papers);
  out.Field("limited_pieces", static_cast<int64_t>(a.limited_pieces));
  out.Key("collections");
  out.StartArray();
  for (const std::string& c : p.collections) out.String(c);
  out.EndArray();
  out.Field("image_url", p.image_url);
  out.Key("images");
  out.StartArray();
  for (const ProductImage& image : p.images) {
    out.StartObject();
    out.Field("url", image.url);
    out.Field("alt", image.alt);
    if (image.variant_id != 0) out.Field("variant_id", image.variant_id);
    out.EndObject();
  }
  out.EndArray();
  out.Field("active", p.active);
  out.Field("version", p.version);
  out.Field("created_at", Rfc3339(p.created_at));
  out.Field("updated_at", Rfc3339(p.updated_at));
  out.Key("price_from");
  WriteMoney(out, p.MinPrice());
  out.Field("in_stock", p.InStock());
  out.Key("variants");
  out.StartArray();
  for (const Variant& v : p.variants) {
    out.StartObject();
    out.Field("id", v.id);
    out.Field("sku", v.sku);
    out.Field("dial_color", v.dial_color);
    out.Field("strap", v.strap);
    out.Field("size", v.size);
    out.Key("price");
    WriteMoney(out, v.price);
    out.Field("stock", v.stock);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
}

std::string ProductJson(const Product& p) {
  JsonOut out;
  WriteProduct(out, p);
  return out.Take();
}

std::shared_ptr<const std::string> ProductJsonCache::Get(
    const std::shared_ptr<const Product>& product) {
  Shard& shard = shards_[static_cast<uint64_t>(product->id) % kShards];
  {
    absl::MutexLock lock(&shard.mu);
    auto it = shard.entries.find(product->id);
    // Same object, still alive: the same snapshot (a freed one's address may
    // be reused, but then the weak pointer has expired).
    if (it != shard.entries.end()) {
      std::shared_ptr<const Product> held = it->second.snapshot.lock();
      if (held != nullptr && held.get() == product.get()) return it->second.json;
    }
  }
  auto json = std::make_shared<const std::string>(ProductJson(*product));
  absl::MutexLock lock(&shard.mu);
  if (shard.entries.size() >= kMaxPerShard) shard.entries.clear();
  shard.entries[product->id] = Entry{product, json};
  return json;
}

void WriteCart(JsonOut& out, const CartView& cart) {
  out.StartObject();
  out.Key("lines");
  out.StartArray();
  for (const CartLineView& line : cart.lines) {
    const Product& p = *line.product;
    const Variant* v = p.FindVariant(line.variant_id);
    out.StartObject();
    out.Field("variant_id", line.variant_id);
    out.Field("product_id", p.id);
    out.Field("url", absl::StrCat("/watches/", p.slug));
    out.Field("sku", line.sku);
    out.Field("brand", p.brand);
    out.Field("model", p.model);
    out.Field("image_url", p.image_url);
    out.Field("dial_color", v != nullptr ? v->dial_color : std::string());
    out.Field("strap", v != nullptr ? v->strap : std::string());
    out.Field("size", v != nullptr ? v->size : std::string());
    out.Field("quantity", line.quantity);
    out.Key("unit_price");
    WriteMoney(out, line.unit_price);
    out.Key("line_total");
    WriteMoney(out, line.line_total);
    out.Field("available", line.available);
    out.Field("purchasable", line.purchasable);
    out.EndObject();
  }
  out.EndArray();
  out.Key("subtotal");
  WriteMoney(out, cart.subtotal);
  out.Field("item_count", cart.item_count);
  out.Field("purchasable", cart.purchasable);
  out.EndObject();
}

void WriteMergeReport(JsonOut& out, const CartMergeReport& report) {
  out.StartObject();
  out.Key("changes");
  out.StartArray();
  for (const CartMergeChange& c : report.changes) {
    out.StartObject();
    out.Field("kind", CartMergeChangeKindName(c.kind));
    out.Field("variant_id", c.variant_id);
    out.Field("sku", c.sku);
    out.Field("guest_quantity", c.guest_quantity);
    out.Field("previous_quantity", c.previous_quantity);
    out.Field("final_quantity", c.final_quantity);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
}

void WriteOrder(JsonOut& out, const Order& o, bool for_buyer) {
  out.StartObject();
  out.Field("id", o.id);
  out.Field("number", o.number);
  out.Field("status", OrderStatusName(o.status));
  out.Key("lines");
  out.StartArray();
  for (const OrderLine& l : o.lines) {
    out.StartObject();
    out.Field("variant_id", l.variant_id);
    out.Field("product_id", l.product_id);
    out.Field("sku", l.sku);
    out.Field("title", l.title);
    out.Field("quantity", l.quantity);
    out.Key("unit_price");
    WriteMoney(out, l.unit_price);
    out.Key("line_total");
    WriteMoney(out, l.line_total);
    out.Field("refunded_quantity", l.refunded_quantity);
    out.EndObject();
  }
  out.EndArray();
  out.Key("total");
  WriteMoney(out, o.total);
  out.Key("refund_due");
  WriteMoney(out, o.refund_due);
  out.Field("guest", o.user_id == 0);
  if (!o.guest_email.empty()) out.Field("email", o.guest_email);
  out.Key("payment");
  if (o.payment.provider.empty()) {
    out.Null();  // placed before payments were recorded
  } else {
    out.StartObject();
    out.Field("provider", o.payment.provider);
    out.Field("reference", o.payment.reference);
    out.Field("state", PaymentStateName(o.payment.state));
    out.Key("amount");
    WriteMoney(out, o.payment.amount);
    out.Key("refunded");
    WriteMoney(out, o.payment.refunded);
    if (for_buyer && o.status == OrderStatus::kPending && !o.payment.client_secret.empty()) {
      out.Field("client_secret", o.payment.client_secret);
    }
    out.EndObject();
  }
  out.Key("reserved_until");
  if (o.status == OrderStatus::kPending && o.reserved_until != absl::InfiniteFuture()) {
    out.String(Rfc3339(o.reserved_until));
  } else {
    out.Null();
  }
  out.Key("shipping");
  out.StartObject();
  out.Field("name", o.shipping.name);
  out.Field("line1", o.shipping.line1);
  out.Field("line2", o.shipping.line2);
  out.Field("city", o.shipping.city);
  out.Field("postal_code", o.shipping.postal_code);
  out.Field("country", o.shipping.country);
  out.EndObject();
  out.Field("created_at", Rfc3339(o.created_at));
  out.Field("updated_at", Rfc3339(o.updated_at));
  out.EndObject();
}

}  // namespace watchstore::http
