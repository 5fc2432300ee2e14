// Readable product URLs over real HTTP: the product JSON's slug and url,
// GET /api/v1/products/by-slug/{slug} and the storefront's /watches/{slug}
// (200, 301 from an old slug, 404), and the admin's slug edits.
#include <string>

#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

class SlugApiTest : public ::testing::Test {
 protected:
  static TestServerOptions Options() {
    TestServerOptions o;
    o.sqlite = true;
    o.static_dir = std::string(WATCHSTORE_SOURCE_DIR) + "/frontend";
    return o;
  }
  void SetUp() override { admin_ = server_.MakeAccount("admin@example.com", Role::kAdmin); }

  // The full draft of a one-variant watch, for PUT (with `slug` if not empty).
  std::string Draft(const Product& p, const std::string& model, const std::string& slug_json,
                    int64_t version) {
    return absl::StrCat(R"({"version":)", version, R"(,"brand":"Halvard","model":")", model,
                        R"(",)", slug_json,
                        R"("movement":"automatic","case_diameter_mm":40,"variants":[{"id":)",
                        p.variants[0].id, R"(,"sku":")", p.variants[0].sku,
                        R"(","price":{"amount_minor":10000,"currency":"USD"}}]})");
  }
  httplib::Result Put(const Product& p, const std::string& body) {
    return client_->Put(absl::StrCat("/api/v1/products/", p.id).c_str(), Bearer(admin_.token), body,
                        kJson);
  }

  TestServer server_{Options()};
  std::unique_ptr<httplib::Client> client_ = server_.Client();
  TestServer::Account admin_;
};

TEST_F(SlugApiTest, ProductsCarryTheirSlugAndAnswerByIt) {
  auto p = server_.MakeProduct("SLA");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->slug, "aldenmark-tidewater-sla");
  auto by_id = client_->Get(absl::StrCat("/api/v1/products/", p->id).c_str());
  ASSERT_TRUE(by_id);
  rapidjson::Document d = Json(by_id->body);
  EXPECT_EQ(std::string(d["slug"].GetString()), "aldenmark-tidewater-sla");
  EXPECT_EQ(std::string(d["url"].GetString()), "/watches/aldenmark-tidewater-sla");
  auto list = client_->Get("/api/v1/products");
  ASSERT_TRUE(list);
  EXPECT_EQ(std::string(Json(list->body)["items"][0]["url"].GetString()),
            "/watches/aldenmark-tidewater-sla");

  auto by_slug = client_->Get("/api/v1/products/by-slug/aldenmark-tidewater-sla");
  ASSERT_TRUE(by_slug);
  ASSERT_EQ(by_slug->status, 200) << by_slug->body;
  EXPECT_EQ(Json(by_slug->body)["id"].GetInt64(), p->id);
  EXPECT_FALSE(by_slug->get_header_value("ETag").empty());
  for (const char* bad :
       {"/api/v1/products/by-slug/no-such-watch",
        "/api/v1/products/by-slug/Aldenmark-Tidewater-SLA", "/api/v1/products/by-slug/a--b",
        "/api/v1/products/by-slug/%2E%2E", "/api/v1/products/by-slug/%FF"}) {
    auto r = client_->Get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 404) << bad;
    EXPECT_EQ(ReasonOfBody(r->body), "not_found") << bad;
  }
  const std::string long_slug(300, 'a');
  auto too_long = client_->Get(absl::StrCat("/api/v1/products/by-slug/", long_slug).c_str());
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 404);
  auto with_query = client_->Get("/api/v1/products/by-slug/aldenmark-tidewater-sla?x=1");
  ASSERT_TRUE(with_query);
  EXPECT_EQ(with_query->status, 400);
}

TEST_F(SlugApiTest, RenamesKeepTheUrlAndAnOldSlugRedirects) {
  auto p = server_.MakeProduct("SLB");
  ASSERT_NE(p, nullptr);
  // A rename keeps the slug.
  auto renamed = Put(*p, Draft(*p, "Meridian", "", p->version));
  ASSERT_TRUE(renamed);
  ASSERT_EQ(renamed->status, 200) << renamed->body;
  EXPECT_EQ(std::string(Json(renamed->body)["slug"].GetString()), "aldenmark-tidewater-slb");
  // The admin gives it another slug: the old one redirects, API and page.
  auto moved = Put(*p, Draft(*p, "Meridian", R"("slug":"halvard-meridian",)", p->version + 1));
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->status, 200) << moved->body;
  EXPECT_EQ(std::string(Json(moved->body)["url"].GetString()), "/watches/halvard-meridian");

  auto api_old = client_->Get("/api/v1/products/by-slug/aldenmark-tidewater-slb");
  ASSERT_TRUE(api_old);
  EXPECT_EQ(api_old->status, 301);
  EXPECT_EQ(api_old->get_header_value("Location"), "/api/v1/products/by-slug/halvard-meridian");
  EXPECT_EQ(api_old->get_header_value("Cache-Control"), "no-cache");
  auto api_new = client_->Get("/api/v1/products/by-slug/halvard-meridian");
  ASSERT_TRUE(api_new);
  EXPECT_EQ(api_new->status, 200);
  EXPECT_EQ(Json(api_new->body)["id"].GetInt64(), p->id);

  auto page = client_->Get("/watches/halvard-meridian");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("id=\"product-root\""), std::string::npos);
  EXPECT_NE(page->body.find("src=\"/js/pages/product.js\""), std::string::npos)
      << "the page's script must resolve from /watches/";
  auto page_old = client_->Get("/watches/aldenmark-tidewater-slb?utm_source=x");
  ASSERT_TRUE(page_old);
  EXPECT_EQ(page_old->status, 301);
  EXPECT_EQ(page_old->get_header_value("Location"), "/watches/halvard-meridian");
  for (const char* bad : {"/watches/no-such-watch", "/watches/Halvard-Meridian", "/watches/",
                          "/watches/halvard-meridian/x", "/watches/%2E%2E%2Fproduct.html"}) {
    auto r = client_->Get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 404) << bad;
  }
  auto post = client_->Post("/watches/halvard-meridian", "", kJson);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);

  // Archived: gone for shoppers (404), still there for staff.
  auto archived = client_->Post(absl::StrCat("/api/v1/products/", p->id, "/archive").c_str(),
                                Bearer(admin_.token), R"({"version":3})", kJson);
  ASSERT_TRUE(archived);
  ASSERT_EQ(archived->status, 200) << archived->body;
  EXPECT_EQ(client_->Get("/watches/halvard-meridian")->status, 404);
  EXPECT_EQ(client_->Get("/api/v1/products/by-slug/halvard-meridian")->status, 404);
  EXPECT_EQ(client_->Get("/api/v1/products/by-slug/halvard-meridian", Bearer(admin_.token))->status,
            200);
}

TEST_F(SlugApiTest, AdminSlugEditsAreValidatedAndNeverTakeAnotherWatchsSlug) {
  auto a = server_.MakeProduct("SLC");
  auto b = server_.MakeProduct("SLD");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto moved = Put(*a, Draft(*a, "Tidewater SLC", R"("slug":"field-one",)", a->version));
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->status, 200) << moved->body;
  // b can take neither a's current slug nor its old one.
  for (const char* taken : {"field-one", "aldenmark-tidewater-slc"}) {
    auto r = Put(
        *b, Draft(*b, "Tidewater SLD", absl::StrCat(R"("slug":")", taken, R"(",)"), b->version));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 409) << taken;
    EXPECT_EQ(ReasonOfBody(r->body), "slug_taken") << taken;
    EXPECT_EQ(FieldOfBody(r->body), "slug") << taken;
  }
  for (const char* bad : {R"("slug":"Bad Slug",)", R"("slug":"-x",)", R"("slug":"é",)",
                          R"("slug":"a--b",)", R"("slug":7,)"}) {
    auto r = Put(*b, Draft(*b, "Tidewater SLD", bad, b->version));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << r->body;
    EXPECT_EQ(FieldOfBody(r->body), "slug") << bad;
  }
  const std::string long_slug(81, 'a');
  auto too_long = Put(
      *b, Draft(*b, "Tidewater SLD", absl::StrCat(R"("slug":")", long_slug, R"(",)"), b->version));
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 400);
  // Nothing changed.
  auto still = client_->Get(absl::StrCat("/api/v1/products/", b->id).c_str());
  ASSERT_TRUE(still);
  EXPECT_EQ(std::string(Json(still->body)["slug"].GetString()), "aldenmark-tidewater-sld");
  EXPECT_EQ(Json(still->body)["version"].GetInt64(), b->version);
  // A create asking for a taken slug: 409, nothing created.
  const std::string create = absl::StrCat(
      R"({"brand":"Halvard","model":"New","slug":"field-one","movement":"automatic",)",
      R"("case_diameter_mm":40,"variants":[{"sku":"SLE-0","price":{"amount_minor":100,"currency":"USD"},"stock":1}]})");
  auto created = client_->Post("/api/v1/products", Bearer(admin_.token), create, kJson);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 409);
  EXPECT_EQ(ReasonOfBody(created->body), "slug_taken");
  EXPECT_EQ(client_->Get("/api/v1/products/by-sku/SLE-0")->status, 404);
}

}  // namespace
}  // namespace watchstore::http::testing
