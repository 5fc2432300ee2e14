// Product galleries over real HTTP (issue 13 item 4): the admin edits the
// ordered list of pictures under the product's version; bad pictures are
// refused with a precise, documented reason and change nothing.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

class GalleryTest : public ::testing::Test {
 protected:
  void SetUp() override { admin_ = server_.MakeAccount("admin@example.com", Role::kAdmin); }

  // A product body with `images` (a JSON array) and two variants; `extra`
  // is spliced in first ("\"version\":1," or variant ids are the caller's).
  static std::string Body(const std::string& images, const std::string& variants,
                          const std::string& extra = "") {
    return absl::StrCat(
        R"({)", extra,
        R"("brand":"Halvard","model":"Meridian 40","movement":"automatic","case_diameter_mm":40,)",
        R"("images":)", images, R"(,"variants":)", variants, "}");
  }
  static std::string NewVariants() {
    return R"([{"sku":"GAL-1","dial_color":"black","price":{"amount_minor":100,"currency":"USD"}},)"
           R"({"sku":"GAL-2","dial_color":"blue","price":{"amount_minor":100,"currency":"USD"}}])";
  }
  static std::string OldVariants(int64_t a, int64_t b) {
    return absl::StrCat(R"([{"id":)", a,
                        R"(,"sku":"GAL-1","dial_color":"black","price":{"amount_minor":100,)",
                        R"("currency":"USD"}},{"id":)", b,
                        R"(,"sku":"GAL-2","dial_color":"blue","price":{"amount_minor":100,)",
                        R"("currency":"USD"}}])");
  }
  static std::vector<std::string> Urls(const rapidjson::Value& product) {
    std::vector<std::string> out;
    for (const auto& i : product["images"].GetArray()) out.emplace_back(i["url"].GetString());
    return out;
  }

  TestServer server_;
  std::unique_ptr<httplib::Client> client_ = server_.Client();
  TestServer::Account admin_;
};

TEST_F(GalleryTest, AdminAddsReordersAndRemovesPicturesUnderTheVersion) {
  const std::string three = R"([{"url":"/img/watches/w01.svg","alt":"Front"},)"
                            R"({"url":"https://cdn.example/back.jpg","alt":"Case back"},)"
                            R"({"url":"/img/watches/caseback.svg","alt":"Engraving"}])";
  auto created =
      client_->Post("/api/v1/products", Bearer(admin_.token), Body(three, NewVariants()), kJson);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  rapidjson::Document c = Json(created->body);
  const int64_t id = c["id"].GetInt64();
  const int64_t black = c["variants"][0]["id"].GetInt64();
  const int64_t blue = c["variants"][1]["id"].GetInt64();
  EXPECT_EQ(Urls(c),
            (std::vector<std::string>{"/img/watches/w01.svg", "https://cdn.example/back.jpg",
                                      "/img/watches/caseback.svg"}));
  EXPECT_STREQ(c["images"][1]["alt"].GetString(), "Case back");
  EXPECT_FALSE(c["images"][0].HasMember("variant_id"));
  EXPECT_STREQ(c["image_url"].GetString(), "/img/watches/w01.svg");

  // Reorder, drop the case back, link a dial picture to the blue variant.
  const std::string edited =
      absl::StrCat(R"([{"url":"/img/dials/blue.svg","alt":"The blue dial","variant_id":)", blue,
                   R"(},)", R"({"url":"/img/watches/caseback.svg","alt":"Engraving"},)",
                   R"({"url":"/img/watches/w01.svg","alt":"Front"}])");
  const std::string path = absl::StrCat("/api/v1/products/", id);
  auto updated = client_->Put(path.c_str(), Bearer(admin_.token),
                              Body(edited, OldVariants(black, blue), R"("version":1,)"), kJson);
  ASSERT_TRUE(updated);
  ASSERT_EQ(updated->status, 200) << updated->body;
  auto got = client_->Get(path.c_str());
  ASSERT_TRUE(got);
  rapidjson::Document g = Json(got->body);
  EXPECT_EQ(Urls(g), (std::vector<std::string>{"/img/dials/blue.svg", "/img/watches/caseback.svg",
                                               "/img/watches/w01.svg"}));
  EXPECT_EQ(g["images"][0]["variant_id"].GetInt64(), blue);
  EXPECT_STREQ(g["image_url"].GetString(), "/img/watches/caseback.svg");  // first whole-watch one

  // The same edit on the old version conflicts and changes nothing.
  auto stale = client_->Put(path.c_str(), Bearer(admin_.token),
                            Body("[]", OldVariants(black, blue), R"("version":1,)"), kJson);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 409);
  EXPECT_EQ(Urls(Json(client_->Get(path.c_str())->body)).size(), 3u);

  // A listing's cards carry the cover only.
  auto list = client_->Get("/api/v1/products");
  ASSERT_TRUE(list);
  rapidjson::Document l = Json(list->body);
  ASSERT_EQ(l["items"].Size(), 1u);
  EXPECT_STREQ(l["items"][0]["image_url"].GetString(), "/img/watches/caseback.svg");
  EXPECT_EQ(l["items"][0]["images"].Size(), 0u);

  // Removing every picture leaves no cover.
  auto emptied = client_->Put(path.c_str(), Bearer(admin_.token),
                              Body("[]", OldVariants(black, blue), R"("version":2,)"), kJson);
  ASSERT_TRUE(emptied);
  ASSERT_EQ(emptied->status, 200) << emptied->body;
  EXPECT_EQ(Json(emptied->body)["images"].Size(), 0u);
  EXPECT_STREQ(Json(emptied->body)["image_url"].GetString(), "");
}

TEST_F(GalleryTest, BadPicturesAreRefusedWithAPreciseReasonAndChangeNothing) {
  const std::string ok = R"([{"url":"/img/watches/w01.svg","alt":"Front"}])";
  auto created =
      client_->Post("/api/v1/products", Bearer(admin_.token), Body(ok, NewVariants()), kJson);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  rapidjson::Document c = Json(created->body);
  const int64_t id = c["id"].GetInt64();
  const int64_t black = c["variants"][0]["id"].GetInt64();
  const int64_t blue = c["variants"][1]["id"].GetInt64();

  std::string many = "[";
  for (int i = 0; i < 25; ++i) {
    absl::StrAppend(&many, i ? "," : "", R"({"url":"/img/watches/w01.svg","alt":"Front"})");
  }
  many += "]";
  struct Case {
    std::string images;
    std::string reason;
    std::string field;
  } cases[] = {
      {R"([{"url":"https://cdn.example/a.jpg","alt":"A"},{"url":"ftp://x/y.svg","alt":"B"}])",
       "invalid_image_url", "images"},
      {R"j([{"url":"javascript:alert(1)","alt":"A"}])j", "invalid_image_url", "images"},
      {R"j([{"url":"JaVaScRiPt:alert(1)","alt":"A"}])j", "invalid_image_url", "images"},
      {R"([{"url":"data:image/svg+xml;base64,PHN2Zz4=","alt":"A"}])", "invalid_image_url",
       "images"},
      {R"([{"url":"//evil.example/x.svg","alt":"A"}])", "invalid_image_url", "images"},
      {R"([{"url":"/img/a b.svg","alt":"A"}])", "invalid_image_url", "images"},
      {R"([{"alt":"A"}])", "invalid_image_url", "images"},
      {many, "too_many_images", "images"},
      {R"([{"url":"/img/watches/w01.svg"}])", "invalid_image_alt", "images"},
      {R"([{"url":"/img/watches/w01.svg","alt":"  "}])", "invalid_image_alt", "images"},
      {absl::StrCat(R"([{"url":"/img/watches/w01.svg","alt":")", std::string(201, 'a'), R"("}])"),
       "invalid_image_alt", "images"},
      {R"([{"url":"/img/watches/w01.svg","alt":"A","variant_id":987654}])", "unknown_image_variant",
       "images"},
      // Wrong types name the member.
      {R"({"url":"/img/watches/w01.svg","alt":"A"})", "validation", "images"},
      {R"(["/img/watches/w01.svg"])", "validation", "images[0]"},
      {R"([{"url":5,"alt":"A"}])", "validation", "images[0].url"},
      {R"([{"url":"/img/watches/w01.svg","alt":["A"]}])", "validation", "images[0].alt"},
      {R"([{"url":"/img/watches/w01.svg","alt":"A","variant_id":"1"}])", "validation",
       "images[0].variant_id"},
      {R"([{"url":"/img/watches/w01.svg","alt":"A","variant_id":-1}])", "validation",
       "images[0].variant_id"},
      {R"([{"url":"/img/watches/w01.svg","alt":"A","caption":"x"}])", "validation",
       "images[0].caption"},
  };
  const std::string path = absl::StrCat("/api/v1/products/", id);
  for (const Case& k : cases) {
    auto r = client_->Put(path.c_str(), Bearer(admin_.token),
                          Body(k.images, OldVariants(black, blue), R"("version":1,)"), kJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << k.images << " -> " << r->body;
    EXPECT_EQ(ReasonOfBody(r->body), k.reason) << k.images << " -> " << r->body;
    EXPECT_EQ(FieldOfBody(r->body), k.field) << k.images << " -> " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  }
  // A variant link to a variant being created (no id yet) is refused on create.
  auto linked_new = client_->Post(
      "/api/v1/products", Bearer(admin_.token),
      Body(absl::StrCat(R"([{"url":"/img/dials/blue.svg","alt":"Blue","variant_id":)", blue, "}]"),
           R"([{"sku":"GAL-9","price":{"amount_minor":100,"currency":"USD"}}])"),
      kJson);
  ASSERT_TRUE(linked_new);
  EXPECT_EQ(linked_new->status, 400);
  EXPECT_EQ(ReasonOfBody(linked_new->body), "unknown_image_variant");
  // image_url is read-only now: the gallery is the way to set it.
  auto legacy = client_->Put(
      path.c_str(), Bearer(admin_.token),
      Body(ok, OldVariants(black, blue), R"("version":1,"image_url":"/img/watches/w02.svg",)"),
      kJson);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->status, 400);
  EXPECT_EQ(FieldOfBody(legacy->body), "image_url");

  // Nothing changed.
  rapidjson::Document after = Json(client_->Get(path.c_str())->body);
  EXPECT_EQ(after["version"].GetInt64(), 1);
  EXPECT_EQ(Urls(after), std::vector<std::string>{"/img/watches/w01.svg"});
  auto list = server_.store().storage().ListProducts(ProductQuery{});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->items.size(), 1u);
}

}  // namespace
}  // namespace watchstore::http::testing
