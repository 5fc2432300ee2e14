// The facet rules of watchstore/facets.h.
#include "watchstore/facets.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace watchstore {
namespace {

constexpr absl::string_view kFacetNames[kFacetCount] = {
    "brand",        "movement",   "case_size", "case_material", "water_resistance",
    "complication", "dial_color", "condition", "price",         "collection"};

constexpr FacetBucket kCaseSizes[] = {
    {"20-35", 20, 35}, {"36-39", 36, 39}, {"40-42", 40, 42}, {"43-45", 43, 45}, {"46-60", 46, 60}};
constexpr FacetBucket kWater[] = {{"0-49", 0, 49},
                                  {"50-99", 50, 99},
                                  {"100-199", 100, 199},
                                  {"200-299", 200, 299},
                                  {"300+", 300, 20000}};
constexpr FacetBucket kPrices[] = {{"0-499", 0, 49'999},
                                   {"500-999", 50'000, 99'999},
                                   {"1000-2499", 100'000, 249'999},
                                   {"2500-4999", 250'000, 499'999},
                                   {"5000+", 500'000, 100'000'000'000}};

const FacetBucket* BucketOf(absl::Span<const FacetBucket> buckets, int64_t v) {
  for (const FacetBucket& b : buckets) {
    if (v >= b.min && v <= b.max) return &b;
  }
  return nullptr;
}

}  // namespace

absl::string_view FacetName(Facet f) {
  const int i = static_cast<int>(f);
  return i < kFacetCount ? kFacetNames[i] : "unknown";
}

absl::Span<const FacetBucket> CaseSizeBuckets() { return kCaseSizes; }
absl::Span<const FacetBucket> WaterBuckets() { return kWater; }
absl::Span<const FacetBucket> PriceBuckets() { return kPrices; }

ProductQuery QueryForFacet(const ProductQuery& q, Facet f) {
  ProductQuery out = q;
  out.after.reset();
  switch (f) {
    case Facet::kBrand:
      out.brand.reset();
      break;
    case Facet::kMovement:
      out.movement.reset();
      break;
    case Facet::kCaseSize:
      out.min_case_mm.reset();
      out.max_case_mm.reset();
      break;
    case Facet::kCaseMaterial:
      out.case_material.reset();
      break;
    case Facet::kWater:
      out.min_water_m.reset();
      break;
    case Facet::kComplication:
      out.complication.reset();
      break;
    case Facet::kDialColor:
      out.dial_color.reset();
      break;
    case Facet::kCondition:
      out.condition.reset();
      break;
    case Facet::kPrice:
      out.min_price_minor.reset();
      out.max_price_minor.reset();
      break;
    case Facet::kCollection:
      out.collection.reset();
      break;
  }
  return out;
}

std::vector<std::string> FacetValuesOf(const Product& p, Facet f) {
  std::vector<std::string> out;
  auto bucket = [&](absl::Span<const FacetBucket> buckets, int64_t v) {
    if (const FacetBucket* b = BucketOf(buckets, v)) out.emplace_back(b->name);
  };
  switch (f) {
    case Facet::kBrand:
      out.push_back(absl::AsciiStrToLower(p.brand));
      break;
    case Facet::kMovement:
      out.emplace_back(MovementName(p.attributes.movement));
      break;
    case Facet::kCaseSize:
      bucket(kCaseSizes, p.attributes.case_diameter_mm);
      break;
    case Facet::kCaseMaterial:
      out.push_back(absl::AsciiStrToLower(p.attributes.case_material));
      break;
    case Facet::kWater:
      bucket(kWater, p.attributes.water_resistance_m);
      break;
    case Facet::kComplication:
      for (int i = 0; i < kComplicationCount; ++i) {
        const Complication c = static_cast<Complication>(i);
        if (p.attributes.complications & ComplicationBit(c)) out.emplace_back(ComplicationName(c));
      }
      break;
    case Facet::kDialColor:
      for (const Variant& v : p.variants) out.push_back(absl::AsciiStrToLower(v.dial_color));
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      break;
    case Facet::kCondition:
      out.emplace_back(ConditionName(p.attributes.condition));
      break;
    case Facet::kPrice:
      bucket(kPrices, p.MinPrice().minor_units);
      break;
    case Facet::kCollection:
      for (const std::string& c : p.collections) out.push_back(absl::AsciiStrToLower(c));
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      break;
  }
  return out;
}

}  // namespace watchstore
