// Collections over real HTTP: the public list and one collection (names,
// descriptions, counts never stale after a product write), and the admin's
// PUT /api/v1/admin/collections/{slug} with its bad inputs.
#include <string>

#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

class CollectionApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = server_.MakeAccount("admin@example.com", Role::kAdmin);
    customer_ = server_.MakeAccount("customer@example.com");
  }
  httplib::Result Put(const std::string& slug, const std::string& body, const std::string& token) {
    return client_->Put(absl::StrCat("/api/v1/admin/collections/", slug).c_str(), Bearer(token),
                        body, kJson);
  }

  TestServer server_{[] {
    TestServerOptions o;
    o.sqlite = true;
    return o;
  }()};
  std::unique_ptr<httplib::Client> client_ = server_.Client();
  TestServer::Account admin_;
  TestServer::Account customer_;
};

TEST_F(CollectionApiTest, ListsDescribedCollectionsWithFreshCounts) {
  auto a = server_.MakeProduct("CLA");  // WatchDraft: collection "Dive"
  ASSERT_NE(a, nullptr);
  auto put = Put("dive", R"({"name":"Dive","description":"Built for water."})", admin_.token);
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  rapidjson::Document d = Json(put->body);
  EXPECT_EQ(std::string(d["slug"].GetString()), "dive");
  EXPECT_EQ(std::string(d["name"].GetString()), "Dive");
  EXPECT_EQ(std::string(d["description"].GetString()), "Built for water.");
  EXPECT_EQ(d["product_count"].GetInt64(), 1);
  EXPECT_EQ(std::string(d["url"].GetString()), "/collection.html?c=dive");

  server_.MakeProduct("CLB");
  auto list = client_->Get("/api/v1/collections");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  rapidjson::Document l = Json(list->body);
  ASSERT_EQ(l["items"].Size(), 1u);
  EXPECT_EQ(std::string(l["items"][0]["description"].GetString()), "Built for water.");
  EXPECT_EQ(l["items"][0]["product_count"].GetInt64(), 2);  // the new watch counts at once

  auto one = client_->Get("/api/v1/collections/dive");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Json(one->body)["product_count"].GetInt64(), 2);
  for (const char* bad : {"/api/v1/collections/nope", "/api/v1/collections/Dive",
                          "/api/v1/collections/a--b", "/api/v1/collections/%FF"}) {
    auto r = client_->Get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 404) << bad;
    EXPECT_EQ(ReasonOfBody(r->body), "not_found") << bad;
  }
  auto query = client_->Get("/api/v1/collections/dive?x=1");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 400);
}

TEST_F(CollectionApiTest, AdminPutRefusesBadInputAndChangesNothing) {
  server_.MakeProduct("CLC");
  ASSERT_EQ(Put("dive", R"({"name":"Dive","description":"Kept."})", admin_.token)->status, 200);
  // Who: anonymous 401, customer 403.
  auto anon = client_->Put("/api/v1/admin/collections/dive", R"({"name":"Dive"})", kJson);
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  auto customer = Put("dive", R"({"name":"Dive"})", customer_.token);
  ASSERT_TRUE(customer);
  EXPECT_EQ(customer->status, 403);
  // What: each bad body is a 400 naming its field.
  const std::string long_description(2001, 'x');
  const std::pair<std::string, std::string> bad[] = {
      {R"({"description":"x"})", "name"},
      {R"({"name":"Field"})", "name"},  // another collection's name
      {R"({"name":""})", "name"},
      {R"({"name":7})", "name"},
      {absl::StrCat(R"({"name":")", std::string(41, 'a'), R"("})"), "name"},
      {absl::StrCat(R"({"name":"Dive","description":")", long_description, R"("})"), "description"},
      {R"({"name":"Dive","color":"blue"})", "color"},
  };
  for (const auto& [body, field] : bad) {
    auto r = Put("dive", body, admin_.token);
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
    EXPECT_EQ(FieldOfBody(r->body), field) << body;
  }
  auto bad_slug = Put("Not%20A%20Slug", R"({"name":"Dive"})", admin_.token);
  ASSERT_TRUE(bad_slug);
  EXPECT_EQ(bad_slug->status, 400);
  auto not_json = client_->Put("/api/v1/admin/collections/dive", Bearer(admin_.token), "{", kJson);
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  auto one = client_->Get("/api/v1/collections/dive");
  ASSERT_TRUE(one);
  EXPECT_EQ(std::string(Json(one->body)["description"].GetString()), "Kept.");
  // A collection may be described before any watch is in it.
  auto ahead = Put("haute-horlogerie", R"({"name":"Haute Horlogerie"})", admin_.token);
  ASSERT_TRUE(ahead);
  ASSERT_EQ(ahead->status, 200) << ahead->body;
  EXPECT_EQ(Json(ahead->body)["product_count"].GetInt64(), 0);
}

}  // namespace
}  // namespace watchstore::http::testing
