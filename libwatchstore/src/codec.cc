#include "codec.h"

#include <cstdint>
#include <cstring>

namespace watchstore::internal {
namespace {

// 2: watch attributes of issue 13; 3: slug; 4: galleries; 5: approximate facet counts
constexpr uint8_t kFormatVersion = 5;
constexpr size_t kMaxString = 1 << 20;
constexpr uint64_t kMaxCount = 1 << 16;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U64(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void I64(int64_t v) {  // zig-zag
    U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Str(absl::string_view s) {
    U64(s.size());
    out_->append(s.data(), s.size());
  }
  void Time(absl::Time t) { I64(absl::ToUnixNanos(t)); }
  void Cur(const Currency& c) { out_->append(c.code().data(), 3); }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint64_t U64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      uint8_t b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  int64_t I64() {
    uint64_t u = U64();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::string Str() {
    uint64_t n = U64();
    if (n > kMaxString || n > in_.size()) {
      Fail();
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  absl::Time Time() { return absl::FromUnixNanos(I64()); }
  Currency Cur() {
    if (in_.size() < 3) {
      Fail();
      return {};
    }
    auto c = Currency::FromCode(in_.substr(0, 3));
    in_.remove_prefix(3);
    if (!c.ok()) {
      Fail();
      return {};
    }
    return *c;
  }
  uint64_t Count() {
    uint64_t n = U64();
    if (n > kMaxCount) return Fail();
    return n;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  absl::string_view in_;
  bool ok_ = true;
};

void WriteProduct(Writer& w, const Product& p) {
  w.I64(p.id);
  w.Str(p.slug);
  w.Str(p.brand);
  w.Str(p.model);
  w.Str(p.description);
  w.U64(static_cast<uint64_t>(p.attributes.movement));
  w.I64(p.attributes.case_diameter_mm);
  w.Str(p.attributes.case_material);
  w.I64(p.attributes.water_resistance_m);
  w.Str(p.attributes.strap);
  w.Str(p.attributes.reference);
  w.Str(p.attributes.caliber);
  w.U64(p.attributes.complications);
  w.I64(p.attributes.lug_width_mm);
  w.I64(p.attributes.case_thickness_tenths);
  w.U64(static_cast<uint64_t>(p.attributes.crystal));
  w.U64(static_cast<uint64_t>(p.attributes.condition));
  w.U64(static_cast<uint64_t>(p.attributes.grade));
  w.U64((p.attributes.box ? 1u : 0u) | (p.attributes.papers ? 2u : 0u));
  w.I64(p.attributes.limited_pieces);
  w.U64(p.collections.size());
  for (const auto& c : p.collections) w.Str(c);
  w.U64(p.images.size());
  for (const ProductImage& image : p.images) {
    w.Str(image.url);
    w.Str(image.alt);
    w.I64(image.variant_id);
  }
  w.Str(p.image_url);
  w.U64(p.active ? 1 : 0);
  w.I64(p.version);
  w.Time(p.created_at);
  w.Time(p.updated_at);
  w.U64(p.variants.size());
  for (const Variant& v : p.variants) {
    w.I64(v.id);
    w.I64(v.product_id);
    w.Str(v.sku);
    w.Str(v.dial_color);
    w.Str(v.strap);
    w.Str(v.size);
    w.I64(v.price.minor_units);
    w.Cur(v.price.currency);
    w.I64(v.stock);
  }
}

bool ReadProduct(Reader& r, Product* p) {
  p->id = r.I64();
  p->slug = r.Str();
  p->brand = r.Str();
  p->model = r.Str();
  p->description = r.Str();
  uint64_t movement = r.U64();
  if (movement > static_cast<uint64_t>(Movement::kSpringDrive)) return false;
  p->attributes.movement = static_cast<Movement>(movement);
  p->attributes.case_diameter_mm = static_cast<int32_t>(r.I64());
  p->attributes.case_material = r.Str();
  p->attributes.water_resistance_m = static_cast<int32_t>(r.I64());
  p->attributes.strap = r.Str();
  p->attributes.reference = r.Str();
  p->attributes.caliber = r.Str();
  p->attributes.complications = static_cast<ComplicationSet>(r.U64());
  p->attributes.lug_width_mm = static_cast<int32_t>(r.I64());
  p->attributes.case_thickness_tenths = static_cast<int32_t>(r.I64());
  const uint64_t crystal = r.U64(), condition = r.U64(), grade = r.U64(), extras = r.U64();
  if (crystal > static_cast<uint64_t>(Crystal::kAcrylic) ||
      condition > static_cast<uint64_t>(Condition::kPreOwned) ||
      grade > static_cast<uint64_t>(ConditionGrade::kFair) || extras > 3) {
    return false;
  }
  p->attributes.crystal = static_cast<Crystal>(crystal);
  p->attributes.condition = static_cast<Condition>(condition);
  p->attributes.grade = static_cast<ConditionGrade>(grade);
  p->attributes.box = (extras & 1u) != 0;
  p->attributes.papers = (extras & 2u) != 0;
  p->attributes.limited_pieces = static_cast<int32_t>(r.I64());
  uint64_t n = r.Count();
  p->collections.resize(n);
  for (auto& c : p->collections) c = r.Str();
  n = r.Count();
  p->images.resize(n);
  for (ProductImage& image : p->images) {
    image.url = r.Str();
    image.alt = r.Str();
    image.variant_id = r.I64();
  }
  p->image_url = r.Str();
  p->active = r.U64() != 0;
  p->version = r.I64();
  p->created_at = r.Time();
  p->updated_at = r.Time();
  n = r.Count();
  p->variants.resize(n);
  for (Variant& v : p->variants) {
    v.id = r.I64();
    v.product_id = r.I64();
    v.sku = r.Str();
    v.dial_color = r.Str();
    v.strap = r.Str();
    v.size = r.Str();
    v.price.minor_units = r.I64();
    v.price.currency = r.Cur();
    v.stock = r.I64();
  }
  return r.ok();
}

std::string Start() {
  std::string out;
  out.push_back(static_cast<char>(kFormatVersion));
  return out;
}

bool CheckVersion(absl::string_view& bytes) {
  if (bytes.empty() || static_cast<uint8_t>(bytes.front()) != kFormatVersion) return false;
  bytes.remove_prefix(1);
  return true;
}

}  // namespace

std::string EncodeFacetCounts(const FacetCounts& f) {
  std::string out = Start();
  Writer w(&out);
  for (const std::vector<FacetValue>& values : f.facets) {
    w.U64(values.size());
    for (const FacetValue& v : values) {
      w.Str(v.value);
      w.I64(v.count);
    }
  }
  w.U64(f.approximate ? 1 : 0);
  return out;
}

std::optional<FacetCounts> DecodeFacetCounts(absl::string_view bytes) {
  if (!CheckVersion(bytes)) return std::nullopt;
  Reader r(bytes);
  FacetCounts f;
  for (std::vector<FacetValue>& values : f.facets) {
    values.resize(r.Count());
    for (FacetValue& v : values) {
      v.value = r.Str();
      v.count = r.I64();
    }
  }
  f.approximate = r.U64() == 1;
  if (!r.ok() || !r.done()) return std::nullopt;
  return f;
}

std::string EncodeProduct(const Product& p) {
  std::string out = Start();
  Writer w(&out);
  WriteProduct(w, p);
  return out;
}

std::optional<Product> DecodeProduct(absl::string_view bytes) {
  if (!CheckVersion(bytes)) return std::nullopt;
  Reader r(bytes);
  Product p;
  if (!ReadProduct(r, &p) || !r.done()) return std::nullopt;
  return p;
}

std::string EncodeProductPage(const ProductPage& page) {
  std::string out = Start();
  Writer w(&out);
  w.U64(page.has_more ? 1 : 0);
  w.U64(page.items.size());
  for (const Product& p : page.items) WriteProduct(w, p);
  return out;
}

std::optional<ProductPage> DecodeProductPage(absl::string_view bytes) {
  if (!CheckVersion(bytes)) return std::nullopt;
  Reader r(bytes);
  ProductPage page;
  page.has_more = r.U64() != 0;
  uint64_t n = r.Count();
  page.items.resize(n);
  for (Product& p : page.items) {
    if (!ReadProduct(r, &p)) return std::nullopt;
  }
  if (!r.ok() || !r.done()) return std::nullopt;
  return page;
}

std::string EncodeSessionRecord(const SessionRecord& s) {
  std::string out = Start();
  Writer w(&out);
  w.Str(s.token_hash);
  w.I64(s.user_id);
  w.Time(s.created_at);
  w.Time(s.last_seen_at);
  return out;
}

std::optional<SessionRecord> DecodeSessionRecord(absl::string_view bytes) {
  if (!CheckVersion(bytes)) return std::nullopt;
  Reader r(bytes);
  SessionRecord s;
  s.token_hash = r.Str();
  s.user_id = r.I64();
  s.created_at = r.Time();
  s.last_seen_at = r.Time();
  if (!r.ok() || !r.done()) return std::nullopt;
  return s;
}

std::string EncodePrincipal(const Principal& p) {
  std::string out = Start();
  Writer w(&out);
  w.I64(p.user_id);
  w.U64(static_cast<uint64_t>(p.role));
  w.Str(p.email);
  return out;
}

std::optional<Principal> DecodePrincipal(absl::string_view bytes) {
  if (!CheckVersion(bytes)) return std::nullopt;
  Reader r(bytes);
  Principal p;
  p.user_id = r.I64();
  const uint64_t role = r.U64();
  if (role > static_cast<uint64_t>(Role::kAdmin)) return std::nullopt;
  p.role = static_cast<Role>(role);
  p.email = r.Str();
  if (!r.ok() || !r.done()) return std::nullopt;
  return p;
}

}  // namespace watchstore::internal
