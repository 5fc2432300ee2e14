#include "codec.h"

#include "test_util.h"

namespace watchstore::internal {
namespace {

TEST(CodecTest, ProductRoundTrips) {
  Product p;
  p.id = 42;
  p.slug = "brevik-polar-gmt-sdk211";
  p.brand = "Brevik";
  p.model = "Polar GMT";
  p.description = std::string("multi\nline \0 text", 17);
  p.attributes.movement = Movement::kSpringDrive;
  p.attributes.case_diameter_mm = 41;
  p.attributes.case_material = "titanium";
  p.attributes.water_resistance_m = 300;
  p.attributes.strap = "rubber";
  p.attributes.reference = "SDK211";
  p.attributes.caliber = "9R65";
  p.attributes.complications =
      ComplicationBit(Complication::kGmt) | ComplicationBit(Complication::kTourbillon);
  p.attributes.lug_width_mm = 20;
  p.attributes.case_thickness_tenths = 125;
  p.attributes.crystal = Crystal::kSapphire;
  p.attributes.condition = Condition::kPreOwned;
  p.attributes.grade = ConditionGrade::kVeryGood;
  p.attributes.papers = true;
  p.attributes.limited_pieces = 500;
  p.collections = {"GMT", "Field"};
  p.images = {{"/img/watches/w02-blue.svg", "The blue dial", 8},
              {"/img/watches/w02.svg", "Front, \xc3\xa9tui open", 0}};
  p.image_url = "/img/watches/w02.svg";
  p.active = false;
  p.version = 9;
  p.created_at = absl::FromUnixNanos(1'800'000'000'123'456'789);
  p.updated_at = p.created_at + absl::Hours(1);
  p.variants.push_back(Variant{7, 42, "BV-GMT-1", "black", "rubber", "", Money{-1, Currency()}, 3});
  p.variants.push_back(Variant{8, 42, "BV-GMT-2", "white", "steel", "L",
                               Money{999'99, *Currency::FromCode("EUR")}, 0});
  auto back = DecodeProduct(EncodeProduct(p));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(EncodeProduct(*back), EncodeProduct(p));
  EXPECT_EQ(back->description, p.description);
  EXPECT_EQ(back->variants[1].price, p.variants[1].price);
  EXPECT_EQ(back->created_at, p.created_at);
  EXPECT_EQ(back->attributes.reference, "SDK211");
  EXPECT_EQ(back->slug, "brevik-polar-gmt-sdk211");
  EXPECT_EQ(back->attributes.complications, p.attributes.complications);
  EXPECT_EQ(back->attributes.grade, ConditionGrade::kVeryGood);
  EXPECT_FALSE(back->attributes.box);
  EXPECT_TRUE(back->attributes.papers);
  EXPECT_EQ(back->attributes.limited_pieces, 500);
  EXPECT_EQ(back->images, p.images);
  EXPECT_EQ(back->image_url, "/img/watches/w02.svg");
}

TEST(CodecTest, RejectsTruncatedGarbageAndOtherVersions) {
  Product p;
  p.brand = "X";
  p.variants.resize(2);
  const std::string bytes = EncodeProduct(p);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeProduct(bytes.substr(0, n)).has_value()) << n;
  }
  std::string other = bytes;
  other[0] = 1;  // the format before the attributes of issue 13
  EXPECT_FALSE(DecodeProduct(other).has_value());
  other[0] = 2;  // the format before slugs
  EXPECT_FALSE(DecodeProduct(other).has_value());
  other[0] = 3;  // the format before galleries
  EXPECT_FALSE(DecodeProduct(other).has_value());
  EXPECT_FALSE(DecodeProduct(bytes + "x").has_value());
  EXPECT_FALSE(
      DecodeProduct(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)).has_value());
}

// A sealed value opens only with its key, unaltered, and while it is fresh.
TEST(CodecTest, SealedValuesRefuseForgeriesAndOldCopies) {
  const std::string key = NewSealKey();
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  const std::string sealed = SealValue(key, "admin", t);
  EXPECT_EQ(OpenSealedValue(key, sealed, t + absl::Seconds(59), absl::Minutes(1)), "admin");
  EXPECT_EQ(OpenSealedValue(NewSealKey(), sealed, t, absl::Minutes(1)), std::nullopt);
  EXPECT_EQ(OpenSealedValue(key, sealed, t + absl::Seconds(61), absl::Minutes(1)), std::nullopt);
  EXPECT_EQ(OpenSealedValue(key, sealed, t - absl::Seconds(5), absl::Minutes(1)), std::nullopt);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] ^= 1;
    EXPECT_EQ(OpenSealedValue(key, tampered, t, absl::Minutes(1)), std::nullopt) << i;
  }
  EXPECT_EQ(OpenSealedValue(key, sealed.substr(1), t, absl::Minutes(1)), std::nullopt);
  EXPECT_EQ(OpenSealedValue(key, "", t, absl::Minutes(1)), std::nullopt);
}

TEST(CodecTest, SessionAndPageRoundTrip) {
  SessionRecord s{"abc", 3, absl::FromUnixSeconds(10), absl::FromUnixSeconds(20)};
  auto back = DecodeSessionRecord(EncodeSessionRecord(s));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->token_hash, "abc");
  EXPECT_EQ(back->user_id, 3);
  EXPECT_EQ(back->last_seen_at, absl::FromUnixSeconds(20));
  auto who = DecodePrincipal(EncodePrincipal({3, Role::kAdmin, "a@example.com"}));
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->role, Role::kAdmin);
  EXPECT_EQ(who->email, "a@example.com");
  ProductPage page;
  page.has_more = true;
  page.items.resize(3);
  page.items[2].model = "third";
  auto pb = DecodeProductPage(EncodeProductPage(page));
  ASSERT_TRUE(pb.has_value());
  EXPECT_TRUE(pb->has_more);
  ASSERT_EQ(pb->items.size(), 3u);
  EXPECT_EQ(pb->items[2].model, "third");
}

}  // namespace
}  // namespace watchstore::internal
