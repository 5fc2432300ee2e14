// The API over real HTTP: accounts and catalog routes, success and failure.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"
#include "watchstore/read_consistency.h"

namespace watchstore::http::testing {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  TestServer server_;
  std::unique_ptr<httplib::Client> client_ = server_.Client();
};

TEST_F(AuthTest, RegisterAnswers202WhetherOrNotTheEmailIsTaken) {
  const std::string body = R"({"email":"Grace@Example.com","password":"correct horse battery"})";
  auto first = client_->Post("/api/v1/auth/register", body, kJson);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202);
  EXPECT_EQ(first->body, R"({"status":"accepted"})");
  auto second = client_->Post("/api/v1/auth/register", body, kJson);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 202);
  EXPECT_EQ(second->body, first->body);
  EXPECT_EQ(second->get_header_value("Cache-Control"), "no-store");
  auto user = server_.store().storage().GetUserByEmail("grace@example.com");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->role, Role::kCustomer);
}

TEST_F(AuthTest, RegisterRejectsBadInputNamingTheField) {
  struct Case {
    std::string body;
    std::string field;
  } cases[] = {
      {R"({"email":"a@example.com","password":"short"})", "password"},
      {R"({"email":"not-an-email","password":"long enough password"})", "email"},
      {R"({"email":"a@example.com"})", "password"},
      {R"({"email":"a@example.com","password":12345678901234})", "password"},
      {R"({"email":"a@example.com","password":"long enough password","role":"admin"})", "role"},
      {R"(["a@example.com"])", "body"},
      {R"({"email":"a@example.com","password":"long enough password")", "body"},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/api/v1/auth/register", c.body, kJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_EQ(ReasonOfBody(r->body), "validation") << r->body;
    EXPECT_EQ(FieldOfBody(r->body), c.field) << r->body;
  }
  EXPECT_TRUE(absl::IsNotFound(server_.store().storage().GetUserByEmail("a@example.com").status()));
}

TEST_F(AuthTest, LoginSetsTheSessionCookieAndMergesTheGuestCart) {
  auto product = server_.MakeProduct("LOGIN", 250'00, 5);
  ASSERT_TRUE(server_.store()
                  .accounts()
                  .CreateUser("ada@example.com", "analytical engine", Role::kCustomer)
                  .ok());
  Browser browser(server_);
  ASSERT_EQ(browser.Get("/api/v1/cart")->status, 200);  // picks up the CSRF cookie
  auto added =
      browser.Send("POST", "/api/v1/cart/items",
                   absl::StrCat(R"({"variant_id":)", product->variants[0].id, R"(,"quantity":2})"));
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 200) << added->body;
  ASSERT_TRUE(browser.cookie("ws_cart").has_value());
  EXPECT_EQ(added->get_header_value("X-Cart-Token"), *browser.cookie("ws_cart"));

  auto login = browser.Send("POST", "/api/v1/auth/login",
                            R"({"email":"ADA@example.com ","password":"analytical engine"})");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  rapidjson::Document d = Json(login->body);
  EXPECT_EQ(std::string(d["user"]["email"].GetString()), "ada@example.com");
  EXPECT_EQ(std::string(d["user"]["role"].GetString()), "customer");
  EXPECT_TRUE(d["user"]["created_at"].IsString());
  EXPECT_EQ(d["token"].GetStringLength(), 43u);
  EXPECT_TRUE(d["expires_at"].IsString());
  ASSERT_EQ(d["cart_merge"]["changes"].Size(), 1u);
  EXPECT_EQ(std::string(d["cart_merge"]["changes"][0]["kind"].GetString()), "added");
  EXPECT_EQ(d["cart_merge"]["changes"][0]["final_quantity"].GetInt64(), 2);

  auto session = SetCookieFor(*login, "ws_session");
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(CookieValueOf(*session), d["token"].GetString());
  EXPECT_TRUE(absl::StrContains(*session, "HttpOnly"));
  EXPECT_TRUE(absl::StrContains(*session, "SameSite=Lax"));
  EXPECT_TRUE(absl::StrContains(*session, "Path=/"));
  EXPECT_FALSE(absl::StrContains(*session, "Secure"));  // the development setting
  auto cleared = SetCookieFor(*login, "ws_cart");
  ASSERT_TRUE(cleared.has_value());
  EXPECT_TRUE(absl::StrContains(*cleared, "Max-Age=0"));
  EXPECT_EQ(login->get_header_value("Cache-Control"), "no-store");

  auto cart = browser.Get("/api/v1/cart");
  ASSERT_TRUE(cart);
  rapidjson::Document c = Json(cart->body);
  ASSERT_EQ(c["lines"].Size(), 1u);
  EXPECT_EQ(c["lines"][0]["quantity"].GetInt64(), 2);
  EXPECT_EQ(c["subtotal"]["amount_minor"].GetInt64(), 500'00);

  auto me = browser.Get("/api/v1/auth/me");
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(std::string(Json(me->body)["email"].GetString()), "ada@example.com");
}

TEST_F(AuthTest, ProductionCookiesUseTheHostPrefixAndSecure) {
  TestServerOptions o;
  o.insecure_cookies = false;
  TestServer prod(o);
  ASSERT_TRUE(prod.store()
                  .accounts()
                  .CreateUser("bob@example.com", "a long password", Role::kCustomer)
                  .ok());
  auto c = prod.Client();
  auto login = c->Post("/api/v1/auth/login",
                       R"({"email":"bob@example.com","password":"a long password"})", kJson);
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200);
  auto session = SetCookieFor(*login, "__Host-ws_session");
  ASSERT_TRUE(session.has_value());
  for (const char* attr : {"; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"}) {
    EXPECT_TRUE(absl::StrContains(*session, attr)) << *session;
  }
  EXPECT_FALSE(absl::StrContains(*session, "Domain"));
  auto csrf = SetCookieFor(*login, "__Host-ws_csrf");
  ASSERT_TRUE(csrf.has_value());
  EXPECT_TRUE(absl::StrContains(*csrf, "; Secure"));
  EXPECT_FALSE(absl::StrContains(*csrf, "HttpOnly"));  // the storefront reads it
  EXPECT_FALSE(SetCookieFor(*login, "ws_session").has_value());
}

TEST_F(AuthTest, UnknownEmailAndWrongPasswordLookTheSame) {
  ASSERT_TRUE(server_.store()
                  .accounts()
                  .CreateUser("carol@example.com", "the right password", Role::kCustomer)
                  .ok());
  auto wrong =
      client_->Post("/api/v1/auth/login",
                    R"({"email":"carol@example.com","password":"the wrong password"})", kJson);
  auto unknown =
      client_->Post("/api/v1/auth/login",
                    R"({"email":"nobody@example.com","password":"the wrong password"})", kJson);
  ASSERT_TRUE(wrong && unknown);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(ReasonOfBody(wrong->body), "invalid_credentials");
  EXPECT_EQ(wrong->body, unknown->body);
  EXPECT_FALSE(SetCookieFor(*wrong, "ws_session").has_value());
}

TEST_F(AuthTest, LoginIsThrottledBySocketAddressWhateverTheHeadersSay) {
  // Different emails each time (so the per-account limit never trips) and a
  // different spoofed address each time: only the socket's address counts.
  int throttled_at = 0;
  for (int i = 0; i < 8 && throttled_at == 0; ++i) {
    httplib::Headers spoof = {{"REMOTE_ADDR", absl::StrCat("10.0.0.", i)},
                              {"X-Forwarded-For", absl::StrCat("10.1.0.", i)},
                              {"X-Real-IP", absl::StrCat("10.2.0.", i)}};
    auto r = client_->Post(
        "/api/v1/auth/login", spoof,
        absl::StrCat(R"({"email":"user)", i, R"(@example.com","password":"nope nope nope"})"),
        kJson);
    ASSERT_TRUE(r);
    if (r->status == 429) {
      throttled_at = i;
      EXPECT_EQ(ReasonOfBody(r->body), "throttled");
      int retry_after = 0;
      ASSERT_TRUE(absl::SimpleAtoi(r->get_header_value("Retry-After"), &retry_after));
      EXPECT_GE(retry_after, 1);
    } else {
      EXPECT_EQ(r->status, 401);
    }
  }
  // Five free failures; the sixth starts the back-off, so the seventh waits.
  EXPECT_EQ(throttled_at, 6);
}

TEST_F(AuthTest, LogoutRevokesTheSessionAndClearsTheCookie) {
  auto a = server_.MakeAccount("dan@example.com");
  Browser browser(server_);
  browser.set_cookie("ws_session", a.token);
  browser.set_cookie("ws_csrf", "csrf-token-for-test");
  ASSERT_EQ(browser.Get("/api/v1/auth/me")->status, 200);
  auto out = browser.Send("POST", "/api/v1/auth/logout", "");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_TRUE(out->body.empty());
  EXPECT_FALSE(out->has_header("Content-Length"));
  auto cleared = SetCookieFor(*out, "ws_session");
  ASSERT_TRUE(cleared.has_value());
  EXPECT_TRUE(absl::StrContains(*cleared, "Max-Age=0"));
  // The token itself is dead, not just the cookie.
  auto me = client_->Get("/api/v1/auth/me", Bearer(a.token));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 401);
}

TEST_F(AuthTest, MeNeedsAValidSession) {
  auto anon = client_->Get("/api/v1/auth/me");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  EXPECT_EQ(ReasonOfBody(anon->body), "unauthenticated");
  auto garbage = client_->Get("/api/v1/auth/me", Bearer("garbage"));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 401);
  auto basic = client_->Get("/api/v1/auth/me", {{"Authorization", "Basic YTpi"}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);

  auto a = server_.MakeAccount("erin@example.com");
  auto me = client_->Get("/api/v1/auth/me", Bearer(a.token));
  ASSERT_TRUE(me);
  ASSERT_EQ(me->status, 200);
  rapidjson::Document d = Json(me->body);
  EXPECT_EQ(d["id"].GetInt64(), a.user.id);
  EXPECT_EQ(std::string(d["role"].GetString()), "customer");
}

TEST_F(AuthTest, ExpiredSessionsAreRefusedAndTheCookieCleared) {
  auto a = server_.MakeAccount("frank@example.com");
  server_.clock().Advance(absl::Minutes(31));  // past the 30-minute idle timeout
  auto me = client_->Get("/api/v1/auth/me", {{"Cookie", absl::StrCat("ws_session=", a.token)}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 401);
  auto cleared = SetCookieFor(*me, "ws_session");
  ASSERT_TRUE(cleared.has_value());
  EXPECT_TRUE(absl::StrContains(*cleared, "Max-Age=0"));
  auto orders = client_->Get("/api/v1/orders", Bearer(a.token));
  ASSERT_TRUE(orders);
  EXPECT_EQ(orders->status, 401);
  // Public pages still work with the dead cookie.
  auto list = client_->Get("/api/v1/products", {{"Cookie", absl::StrCat("ws_session=", a.token)}});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
}

TEST_F(AuthTest, CsrfIsRequiredWhenCookiesCarryTheCredentials) {
  auto a = server_.MakeAccount("gina@example.com");
  auto product = server_.MakeProduct("CSRF", 100'00, 5);
  const std::string body =
      absl::StrCat(R"({"variant_id":)", product->variants[0].id, R"(,"quantity":1})");
  const std::string cookies = absl::StrCat("ws_session=", a.token, "; ws_csrf=tok123");
  auto missing = client_->Post("/api/v1/cart/items", {{"Cookie", cookies}}, body, kJson);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403);
  EXPECT_EQ(ReasonOfBody(missing->body), "csrf");
  auto wrong = client_->Post("/api/v1/cart/items",
                             {{"Cookie", cookies}, {"X-CSRF-Token", "tok124"}}, body, kJson);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto no_cookie = client_->Post(
      "/api/v1/cart/items",
      {{"Cookie", absl::StrCat("ws_session=", a.token)}, {"X-CSRF-Token", ""}}, body, kJson);
  ASSERT_TRUE(no_cookie);
  EXPECT_EQ(no_cookie->status, 403);
  auto cart = server_.store().carts().GetCart(CartOwner::ForUser(a.user.id));
  ASSERT_TRUE(cart.ok());
  EXPECT_TRUE(cart->lines.empty());  // nothing changed

  auto ok = client_->Post("/api/v1/cart/items", {{"Cookie", cookies}, {"X-CSRF-Token", "tok123"}},
                          body, kJson);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  // A bearer token carries no ambient authority: no CSRF check.
  auto bearer = client_->Post("/api/v1/cart/items", Bearer(a.token), body, kJson);
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200) << bearer->body;
}

TEST_F(AuthTest, TheCsrfCookieIsIssuedOnceOnNoStoreApiResponses) {
  auto first = client_->Get("/api/v1/auth/me");  // what the storefront asks
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 401);
  EXPECT_EQ(first->get_header_value("Cache-Control"), "no-store");
  auto csrf = SetCookieFor(*first, "ws_csrf");
  ASSERT_TRUE(csrf.has_value());
  EXPECT_EQ(CookieValueOf(*csrf).size(), 43u);
  EXPECT_FALSE(absl::StrContains(*csrf, "HttpOnly"));
  auto again =
      client_->Get("/api/v1/auth/me", {{"Cookie", absl::StrCat("ws_csrf=", CookieValueOf(*csrf))}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(SetCookieFor(*again, "ws_csrf").has_value());
  auto error = client_->Get("/api/v1/nope");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->status, 404);
  EXPECT_TRUE(SetCookieFor(*error, "ws_csrf").has_value());
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_FALSE(SetCookieFor(*health, "ws_csrf").has_value());
}

// Catalog pages may be stored by a shared cache (CloudFront) or a browser:
// they never set a cookie, and they vary by the credentials sent.
TEST_F(AuthTest, CacheableResponsesSetNoCookieAndVaryByCredentials) {
  auto p = server_.MakeProduct("CACHE", 10'00, 1);
  const std::string detail = absl::StrCat("/api/v1/products/", p->id);
  for (const std::string& path : {std::string("/api/v1/products"), detail,
                                  absl::StrCat("/api/v1/products/by-sku/", p->variants[0].sku)}) {
    auto r = client_->Get(path.c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache") << path;
    EXPECT_FALSE(r->has_header("Set-Cookie")) << path << ": " << r->get_header_value("Set-Cookie");
    EXPECT_EQ(r->get_header_value("Vary"), "Authorization, Cookie") << path;
  }
  // A revalidation (304) says the same.
  auto etag = client_->Get(detail.c_str())->get_header_value("ETag");
  auto not_modified = client_->Get(detail.c_str(), {{"If-None-Match", etag}});
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_EQ(not_modified->get_header_value("Vary"), "Authorization, Cookie");
  EXPECT_FALSE(not_modified->has_header("Set-Cookie"));
  // Signed in: private, still no cookie.
  auto a = server_.MakeAccount("viewer@example.com");
  auto mine = client_->Get(detail.c_str(), Bearer(a.token));
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->get_header_value("Cache-Control"), "private, no-cache");
  EXPECT_FALSE(mine->has_header("Set-Cookie"));
  EXPECT_EQ(mine->get_header_value("Vary"), "Authorization, Cookie");
  // A stale session cookie is cleared, and then the page is stored by no one.
  auto stale = client_->Get(detail.c_str(), {{"Cookie", "ws_session=stale-session-token"}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  ASSERT_TRUE(SetCookieFor(*stale, "ws_session").has_value());
  EXPECT_EQ(stale->get_header_value("Cache-Control"), "no-store");
  // Static files and operations do not vary.
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_FALSE(health->has_header("Vary"));
}

// --- Catalog -----------------------------------------------------------------

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = server_.MakeAccount("admin@example.com", Role::kAdmin);
    customer_ = server_.MakeAccount("customer@example.com");
  }
  std::string DraftJson(const std::string& sku, int64_t price = 450'00) {
    return absl::StrCat(
        R"({"brand":"Halvard","model":"Meridian 40","description":"A test watch.","movement":"automatic",)",
        R"("case_diameter_mm":40,"case_material":"steel","water_resistance_m":100,"strap":"leather",)",
        R"("collections":["Dress"],"images":[{"url":"/img/watches/w03.svg","alt":"Front"}],"active":true,)",
        R"("variants":[{"sku":")", sku,
        R"(","dial_color":"white","strap":"leather","size":"40 mm",)",
        R"("price":{"amount_minor":)", price, R"(,"currency":"USD"},"stock":4}]})");
  }

  TestServer server_;
  std::unique_ptr<httplib::Client> client_ = server_.Client();
  TestServer::Account admin_;
  TestServer::Account customer_;
};

TEST_F(CatalogTest, ListFiltersSortsAndPages) {
  for (int i = 0; i < 5; ++i) server_.MakeProduct(absl::StrCat("LIST", i), (i + 1) * 100'00, i);
  auto r = client_->Get("/api/v1/products?limit=2&sort=price_asc");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
  rapidjson::Document d = Json(r->body);
  ASSERT_EQ(d["items"].Size(), 2u);
  EXPECT_EQ(d["items"][0]["price_from"]["amount_minor"].GetInt64(), 100'00);
  ASSERT_TRUE(d["next_cursor"].IsString());
  auto next = client_->Get(
      absl::StrCat("/api/v1/products?limit=2&sort=price_asc&cursor=", d["next_cursor"].GetString())
          .c_str());
  ASSERT_TRUE(next);
  rapidjson::Document n = Json(next->body);
  ASSERT_EQ(n["items"].Size(), 2u);
  EXPECT_EQ(n["items"][0]["price_from"]["amount_minor"].GetInt64(), 300'00);

  auto in_stock = client_->Get("/api/v1/products?in_stock=true&min_price=200&max_price=40000");
  ASSERT_TRUE(in_stock);
  rapidjson::Document s = Json(in_stock->body);
  EXPECT_EQ(s["items"].Size(), 3u);  // 200, 300, 400 dollars; stock 1, 2, 3
  EXPECT_TRUE(s["next_cursor"].IsNull());
  auto by_movement = client_->Get("/api/v1/products?movement=quartz");
  ASSERT_TRUE(by_movement);
  EXPECT_EQ(Json(by_movement->body)["items"].Size(), 0u);
}

TEST_F(CatalogTest, ListRejectsBadParameters) {
  struct Case {
    std::string query;
    int status;
    std::string field;
  } cases[] = {
      {"movement=steam", 400, "movement"},
      {"sort=random", 400, "sort"},
      {"limit=0", 400, "limit"},
      {"limit=101", 400, "limit"},
      {"limit=ten", 400, "limit"},
      {"min_price=-1", 400, "min_price"},
      {"min_price=99999999999999999999", 400, "min_price"},
      {"min_price=500&max_price=100", 400, "min_price"},
      {"in_stock=maybe", 400, "in_stock"},
      {"cursor=!!!", 400, "cursor"},
      {"colour=red", 400, "colour"},
      {"brand=a&brand=b", 400, "brand"},
      {"include_archived=true", 403, ""},
  };
  for (const Case& c : cases) {
    auto r = client_->Get(absl::StrCat("/api/v1/products?", c.query).c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << c.query << " " << r->body;
    EXPECT_EQ(FieldOfBody(r->body), c.field) << c.query;
  }
}

// A search is ranked unless a sort is asked for; its pages follow the rank.
TEST_F(CatalogTest, ASearchIsRankedByDefaultAndPagesByRank) {
  auto create = [&](const std::string& model, const std::string& description) -> int64_t {
    const std::string draft = absl::StrCat(
        R"({"brand":"Ranked","model":")", model, R"(","description":")", description,
        R"(","movement":"automatic","case_diameter_mm":40,"case_material":"steel",)",
        R"("water_resistance_m":100,"variants":[{"sku":"RK-)", model.size(), "-",
        description.size(), R"(","price":{"amount_minor":100000,"currency":"USD"},"stock":1}]})");
    auto r = client_->Post("/api/v1/products", Bearer(admin_.token), draft, kJson);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Json(r->body)["id"].GetInt64() : 0;
  };
  const int64_t whole = create("Dive Master", "A diver.");
  const int64_t inside = create("Seamaster", "A diver too.");
  const int64_t described = create("Field", "The master of fields.");
  auto ids = [&](const std::string& query) {
    std::vector<int64_t> out;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      auto r = client_->Get(
          absl::StrCat("/api/v1/products?limit=1&", query, cursor.empty() ? "" : "&cursor=", cursor)
              .c_str());
      if (!r || r->status != 200) {
        ADD_FAILURE() << query << " -> " << (r ? r->body : "no answer");
        break;
      }
      rapidjson::Document d = Json(r->body);
      for (const auto& item : d["items"].GetArray()) out.push_back(item["id"].GetInt64());
      if (!d.HasMember("next_cursor") || !d["next_cursor"].IsString()) break;
      cursor = d["next_cursor"].GetString();
      if (cursor.empty()) break;
    }
    return out;
  };
  EXPECT_EQ(ids("q=master"), (std::vector<int64_t>{whole, inside, described}));
  EXPECT_EQ(ids("q=master&sort=relevance"), (std::vector<int64_t>{whole, inside, described}));
  EXPECT_EQ(ids("q=master&sort=newest"), (std::vector<int64_t>{described, inside, whole}));
  // A cursor of one order is refused by another.
  auto first = client_->Get("/api/v1/products?limit=1&q=master");
  ASSERT_TRUE(first && first->status == 200);
  const std::string cursor = Json(first->body)["next_cursor"].GetString();
  auto mixed = client_->Get(
      absl::StrCat("/api/v1/products?limit=1&q=master&sort=newest&cursor=", cursor).c_str());
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->status, 400) << mixed->body;
}

// Search and the filters of issue 13 over HTTP; FTS syntax, SQL and
// unbalanced quotes are plain searches (200), never an engine error.
TEST_F(CatalogTest, SearchesAndFiltersByWatchAttributes) {
  const std::string draft = absl::StrCat(
      R"({"brand":"Omega","model":"Seamaster 300","movement":"automatic","case_diameter_mm":41,)",
      R"("case_material":"Titanium","water_resistance_m":300,"reference":"2531.80",)",
      R"("caliber":"1120","complications":["date","gmt"],"lug_width_mm":20,)",
      R"("case_thickness_tenths_mm":125,"crystal":"sapphire","condition":"pre_owned",)",
      R"("grade":"excellent","box":true,"papers":false,"limited_pieces":0,)",
      R"("variants":[{"sku":"OM-SM300","dial_color":"Blue","price":{"amount_minor":250000,)",
      R"("currency":"USD"},"stock":2}]})");
  auto created = client_->Post("/api/v1/products", Bearer(admin_.token), draft, kJson);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  rapidjson::Document c = Json(created->body);
  EXPECT_EQ(std::string(c["reference"].GetString()), "2531.80");
  EXPECT_EQ(c["complications"].Size(), 2u);
  EXPECT_EQ(std::string(c["grade"].GetString()), "excellent");
  EXPECT_EQ(c["case_thickness_tenths_mm"].GetInt(), 125);
  server_.MakeProduct("OTHER", 100'00, 1);  // an Aldenmark-like test watch, steel

  auto count = [&](const std::string& query) -> int {
    auto r = client_->Get(absl::StrCat("/api/v1/products?", query).c_str());
    if (!r || r->status != 200) {
      ADD_FAILURE() << query << " -> " << (r ? r->body : "no answer");
      return -1;
    }
    return static_cast<int>(Json(r->body)["items"].Size());
  };
  EXPECT_EQ(count("q=omgea"), 1);  // a typo
  EXPECT_EQ(count("q=2531"), 1);   // a reference fragment
  EXPECT_EQ(count("q=SEAMASTER%20omega"), 1);
  EXPECT_EQ(count("q=%22omega"), 1);          // an unbalanced quote
  EXPECT_EQ(count("q=omega*%20NEAR%3A"), 0);  // "near" is a word no watch has
  EXPECT_EQ(count("q=%27%3B%20DROP%20TABLE%20products%3B%20--"), 0);
  EXPECT_EQ(count("q=%22%2A%3A"), 2);  // no words: no filter
  EXPECT_EQ(count("case_material=titanium"), 1);
  EXPECT_EQ(count("min_water=301"), 0);
  EXPECT_EQ(count("dial_color=blue"), 1);
  EXPECT_EQ(count("complication=gmt&q=omega"), 1);
  EXPECT_EQ(count("complication=moonphase"), 0);
  EXPECT_EQ(count("condition=new"), 1);
  EXPECT_EQ(count("condition=pre_owned&in_stock=true&sort=price_desc"), 1);

  struct Case {
    std::string query;
    std::string field;
  } bad[] = {
      {absl::StrCat("q=", std::string(101, 'a')), "q"},  // the library's limit
      {absl::StrCat("q=", std::string(300, 'a')), "q"},  // the binding's
      {"q=a%20b%20c%20d%20e%20f%20g%20h%20i", "q"},      // nine words
      {"q=om%C3ga", "q"},                                // not UTF-8
      {"complication=warp_drive", "complication"},
      {"condition=used", "condition"},
      {"min_water=-1", "min_water"},
      {"facet=brand", "facet"},  // unknown parameter
  };
  for (const Case& b : bad) {
    auto r = client_->Get(absl::StrCat("/api/v1/products?", b.query).c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << b.query << " " << r->body;
    EXPECT_EQ(FieldOfBody(r->body), b.field) << b.query << " " << r->body;
  }
}

// Facet counts over HTTP: disjunctive (a facet ignores its own filter), the
// other filters apply, bad input is a 400 naming the field.
TEST_F(CatalogTest, FacetCountsAreDisjunctive) {
  for (int i = 0; i < 3; ++i) server_.MakeProduct(absl::StrCat("FACET", i), (i + 1) * 100'00, 1);
  const std::string other = absl::StrCat(
      R"({"brand":"Omega","model":"Seamaster","movement":"quartz","case_diameter_mm":41,)",
      R"("case_material":"Titanium","water_resistance_m":300,"complications":["gmt"],)",
      R"("variants":[{"sku":"OM-FACET","dial_color":"Blue","price":{"amount_minor":600000,)",
      R"("currency":"USD"},"stock":1}]})");
  auto created = client_->Post("/api/v1/products", Bearer(admin_.token), other, kJson);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;

  auto facets = [&](const std::string& query) {
    auto r = client_->Get(absl::StrCat("/api/v1/products/facets?", query).c_str());
    EXPECT_TRUE(r);
    EXPECT_EQ(r ? r->status : 0, 200) << query << " " << (r ? r->body : "");
    return Json(r ? r->body : "{}");
  };
  auto count_of = [](const rapidjson::Document& d, const char* facet, const char* value) {
    const auto& values = d["facets"][facet];
    for (rapidjson::SizeType i = 0; i < values.Size(); ++i) {
      if (std::string(values[i]["value"].GetString()) == value)
        return values[i]["count"].GetInt64();
    }
    return int64_t{0};
  };
  rapidjson::Document all = facets("");
  const int64_t test_brand = all["facets"]["brand"].Size();
  EXPECT_EQ(test_brand, 2) << "the test watches' brand and omega";
  EXPECT_EQ(count_of(all, "brand", "omega"), 1);
  EXPECT_EQ(count_of(all, "case_material", "titanium"), 1);
  EXPECT_EQ(count_of(all, "complication", "gmt"), 1);
  EXPECT_EQ(count_of(all, "dial_color", "blue"), 1);
  EXPECT_EQ(count_of(all, "water_resistance", "300+"), 1);
  EXPECT_EQ(count_of(all, "price", "5000+"), 1);
  EXPECT_EQ(count_of(all, "movement", "quartz"), 1);
  // With the brand chosen, the brand facet still counts every brand; the
  // others count only that brand's watches.
  rapidjson::Document omega = facets("brand=omega&sort=price_asc&limit=5");
  EXPECT_EQ(omega["facets"]["brand"].Size(), 2u);
  EXPECT_EQ(count_of(omega, "case_material", "steel"), 0);
  EXPECT_EQ(count_of(omega, "case_material", "titanium"), 1);
  rapidjson::Document searched = facets("q=omgea");  // the search applies too
  EXPECT_EQ(count_of(searched, "brand", "omega"), 1);
  EXPECT_EQ(searched["facets"]["brand"].Size(), 1u);
  EXPECT_EQ(count_of(all, "collection", "dive"), 3) << "the test watches' collection";
  auto collections = client_->Get("/api/v1/collections");
  ASSERT_TRUE(collections);
  ASSERT_EQ(collections->status, 200) << collections->body;
  rapidjson::Document c = Json(collections->body);
  ASSERT_EQ(c["items"].Size(), 1u);
  EXPECT_EQ(std::string(c["items"][0]["name"].GetString()), "dive");
  EXPECT_EQ(c["items"][0]["product_count"].GetInt64(), 3);
  auto bad_collections = client_->Get("/api/v1/collections?limit=2");
  ASSERT_TRUE(bad_collections);
  EXPECT_EQ(bad_collections->status, 400);
  for (const char* bad :
       {"facet=brand", "complication=warp", "q=a%20b%20c%20d%20e%20f%20g%20h%20i"}) {
    auto r = client_->Get(absl::StrCat("/api/v1/products/facets?", bad).c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << " " << r->body;
  }
}

TEST_F(CatalogTest, ProductDetailHasAnETagAndAnswers304) {
  auto p = server_.MakeProduct("ETAG", 120'00, 3);
  const std::string path = absl::StrCat("/api/v1/products/", p->id);
  auto r = client_->Get(path.c_str());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string etag = r->get_header_value("ETag");
  EXPECT_EQ(etag, absl::StrCat("\"", p->id, "-", p->version, "\""));
  rapidjson::Document d = Json(r->body);
  EXPECT_EQ(d["id"].GetInt64(), p->id);
  EXPECT_EQ(std::string(d["movement"].GetString()), "automatic");
  EXPECT_EQ(d["variants"][0]["stock"].GetInt64(), 3);
  EXPECT_TRUE(d["in_stock"].GetBool());

  auto cached = client_->Get(path.c_str(), {{"If-None-Match", etag}});
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
  EXPECT_TRUE(cached->body.empty());
  EXPECT_EQ(cached->get_header_value("ETag"), etag);
  auto other = client_->Get(path.c_str(), {{"If-None-Match", "\"1-999\""}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);

  auto by_sku = client_->Get("/api/v1/products/by-sku/ETAG-0");
  ASSERT_TRUE(by_sku);
  EXPECT_EQ(by_sku->status, 200);
  EXPECT_EQ(Json(by_sku->body)["id"].GetInt64(), p->id);
  EXPECT_EQ(client_->Get("/api/v1/products/by-sku/NOPE-0")->status, 404);
  EXPECT_EQ(client_->Get("/api/v1/products/999999")->status, 404);
  EXPECT_EQ(client_->Get("/api/v1/products/abc")->status, 404);
  EXPECT_EQ(client_->Get("/api/v1/products/-1")->status, 404);
  EXPECT_EQ(client_->Get("/api/v1/products/99999999999999999999999")->status, 404);
}

TEST_F(CatalogTest, CustomersCannotEditProductsAndAnonymousMustLogIn) {
  auto anon = client_->Post("/api/v1/products", DraftJson("NEW-1"), kJson);
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  auto customer =
      client_->Post("/api/v1/products", Bearer(customer_.token), DraftJson("NEW-1"), kJson);
  ASSERT_TRUE(customer);
  EXPECT_EQ(customer->status, 403);
  EXPECT_EQ(ReasonOfBody(customer->body), "forbidden");
  // Forbidden before the body is even looked at.
  auto bad_body = client_->Post("/api/v1/products", Bearer(customer_.token), "{", kJson);
  ASSERT_TRUE(bad_body);
  EXPECT_EQ(bad_body->status, 403);
  auto p = server_.MakeProduct("OWNED", 100'00, 5);
  auto stock = client_->Post(absl::StrCat("/api/v1/variants/", p->variants[0].id, "/stock").c_str(),
                             Bearer(customer_.token), R"({"delta":100})", kJson);
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->status, 403);
  auto archive = client_->Post(absl::StrCat("/api/v1/products/", p->id, "/archive").c_str(),
                               Bearer(customer_.token), R"({"version":1})", kJson);
  ASSERT_TRUE(archive);
  EXPECT_EQ(archive->status, 403);
  EXPECT_TRUE(absl::IsNotFound(server_.store().storage().FindProductIdBySku("NEW-1").status()));
  auto unchanged = server_.store().storage().GetProduct(p->id);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->variants[0].stock, 5);
  EXPECT_TRUE(unchanged->active);
}

TEST_F(CatalogTest, AdminsCreateUpdateArchiveAndRestock) {
  auto created = client_->Post("/api/v1/products", Bearer(admin_.token), DraftJson("ADM-1"), kJson);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  rapidjson::Document d = Json(created->body);
  const int64_t id = d["id"].GetInt64();
  const int64_t variant = d["variants"][0]["id"].GetInt64();
  EXPECT_EQ(created->get_header_value("Location"), absl::StrCat("/api/v1/products/", id));
  EXPECT_EQ(d["version"].GetInt64(), 1);

  auto dup = client_->Post("/api/v1/products", Bearer(admin_.token), DraftJson("ADM-1"), kJson);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
  EXPECT_EQ(ReasonOfBody(dup->body), "sku_taken");

  // Update: price change, with the version; a stale version conflicts.
  std::string update = DraftJson("ADM-1", 500'00);
  update.insert(1, absl::StrCat(R"("version":1,)"));
  update.replace(update.find(R"("sku":"ADM-1")"), 13,
                 absl::StrCat(R"("id":)", variant, R"(,"sku":"ADM-1")"));
  update.erase(update.find(R"(,"stock":4)"), 10);
  auto updated = client_->Put(absl::StrCat("/api/v1/products/", id).c_str(), Bearer(admin_.token),
                              update, kJson);
  ASSERT_TRUE(updated);
  ASSERT_EQ(updated->status, 200) << updated->body;
  EXPECT_EQ(Json(updated->body)["version"].GetInt64(), 2);
  EXPECT_EQ(Json(updated->body)["variants"][0]["price"]["amount_minor"].GetInt64(), 500'00);
  auto stale = client_->Put(absl::StrCat("/api/v1/products/", id).c_str(), Bearer(admin_.token),
                            update, kJson);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 409);
  EXPECT_EQ(ReasonOfBody(stale->body), "version_conflict");

  // An existing variant's stock does not change through PUT.
  std::string with_stock = update;
  with_stock.replace(with_stock.find(R"("version":1)"), 11, R"("version":2)");
  with_stock.insert(with_stock.find(R"("sku":"ADM-1")"), R"("stock":99,)");
  auto refused = client_->Put(absl::StrCat("/api/v1/products/", id).c_str(), Bearer(admin_.token),
                              with_stock, kJson);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(FieldOfBody(refused->body), "variants[0].stock");

  auto restock = client_->Post(absl::StrCat("/api/v1/variants/", variant, "/stock").c_str(),
                               Bearer(admin_.token), R"({"delta":6})", kJson);
  ASSERT_TRUE(restock);
  ASSERT_EQ(restock->status, 200) << restock->body;
  EXPECT_EQ(Json(restock->body)["variants"][0]["stock"].GetInt64(), 10);
  auto negative = client_->Post(absl::StrCat("/api/v1/variants/", variant, "/stock").c_str(),
                                Bearer(admin_.token), R"({"delta":-11})", kJson);
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->status, 409);
  auto overflow = client_->Post(absl::StrCat("/api/v1/variants/", variant, "/stock").c_str(),
                                Bearer(admin_.token), R"({"delta":9223372036854775808})", kJson);
  ASSERT_TRUE(overflow);
  EXPECT_EQ(overflow->status, 400);
  EXPECT_EQ(FieldOfBody(overflow->body), "delta");
  auto unknown =
      client_->Post("/api/v1/variants/987654/stock", Bearer(admin_.token), R"({"delta":1})", kJson);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(server_.store().storage().GetProduct(id)->variants[0].stock, 10);

  const int64_t version = Json(restock->body)["version"].GetInt64();
  auto stale_archive = client_->Post(absl::StrCat("/api/v1/products/", id, "/archive").c_str(),
                                     Bearer(admin_.token), R"({"version":1})", kJson);
  ASSERT_TRUE(stale_archive);
  EXPECT_EQ(stale_archive->status, 409);
  EXPECT_EQ(ReasonOfBody(stale_archive->body), "version_conflict");
  auto missing_archive = client_->Post("/api/v1/products/987654/archive", Bearer(admin_.token),
                                       R"({"version":1})", kJson);
  ASSERT_TRUE(missing_archive);
  EXPECT_EQ(missing_archive->status, 404);
  auto archived =
      client_->Post(absl::StrCat("/api/v1/products/", id, "/archive").c_str(), Bearer(admin_.token),
                    absl::StrCat(R"({"version":)", version, "}"), kJson);
  ASSERT_TRUE(archived);
  ASSERT_EQ(archived->status, 200) << archived->body;
  EXPECT_FALSE(Json(archived->body)["active"].GetBool());
  EXPECT_EQ(client_->Get(absl::StrCat("/api/v1/products/", id).c_str())->status, 404);
  auto as_admin = client_->Get(absl::StrCat("/api/v1/products/", id).c_str(), Bearer(admin_.token));
  ASSERT_TRUE(as_admin);
  EXPECT_EQ(as_admin->status, 200);
  EXPECT_EQ(as_admin->get_header_value("Cache-Control"), "private, no-cache");
  auto admin_list = client_->Get("/api/v1/products?include_archived=true", Bearer(admin_.token));
  ASSERT_TRUE(admin_list);
  EXPECT_EQ(Json(admin_list->body)["items"].Size(), 1u);
}

TEST_F(CatalogTest, DraftValidationNamesTheField) {
  struct Case {
    std::string body;
    std::string field;
  } cases[] = {
      {R"({"model":"x","movement":"automatic","case_diameter_mm":40,"variants":[]})", "brand"},
      {R"({"brand":"b","model":"m","movement":"steam","case_diameter_mm":40,"variants":[]})",
       "movement"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":"40","variants":[]})",
       "case_diameter_mm"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"variants":[{"sku":"OK-1","price":{"amount_minor":1.5,"currency":"USD"}}]})",
       "variants[0].price.amount_minor"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"usd"}}]})",
       "variants[0].price.currency"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"USD"},"colour":"red"}]})",
       "variants[0].colour"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"EUR"}}]})",
       "price"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":70,"variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"USD"}}]})",
       "case_diameter_mm"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"variants":[]})",
       "variants"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"collections":[1],"variants":[]})",
       "collections[0]"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"complications":["warp"],"variants":[]})",
       "complications[0]"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"crystal":"glass","variants":[]})",
       "crystal"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"grade":"mint","variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"USD"}}]})",
       "grade"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"lug_width_mm":5,"variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"USD"}}]})",
       "lug_width_mm"},
      {R"({"brand":"b","model":"m","movement":"quartz","case_diameter_mm":40,"reference":"\u00e9","variants":[{"sku":"OK-1","price":{"amount_minor":100,"currency":"USD"}}]})",
       "reference"},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/api/v1/products", Bearer(admin_.token), c.body, kJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body << " -> " << r->body;
    EXPECT_EQ(FieldOfBody(r->body), c.field) << r->body;
  }
  auto list = server_.store().storage().ListProducts(ProductQuery{});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->items.empty());
}

// Read-your-writes (ApiOptions::session_writes): each request runs in a
// SessionWrites scope of its session, so a replica router below sends the
// reads of a session that just wrote to the primary. The storage here
// records what SessionWrites::PrimaryRequired() said at each listing read.
class RecordingStorage : public StorageWrapper {
 public:
  explicit RecordingStorage(std::unique_ptr<Storage> base)
      : StorageWrapper(base.get()), base_(std::move(base)) {}
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    std::lock_guard<std::mutex> lock(mu_);
    primary_required_.push_back(SessionWrites::PrimaryRequired());
    return StorageWrapper::ListProducts(q);
  }
  // What the last listing read saw; fails the test if there was none since.
  bool TakeLast() {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_FALSE(primary_required_.empty()) << "the request did not read storage";
    const bool last = !primary_required_.empty() && primary_required_.back();
    primary_required_.clear();
    return last;
  }

 private:
  std::unique_ptr<Storage> base_;
  std::mutex mu_;
  std::vector<bool> primary_required_;
};

TEST(ReadYourWritesTest, ASessionThatWroteReadsFromThePrimaryForTheWindow) {
  FakeClock clock;
  SessionWrites writes({absl::Seconds(5), &clock});
  RecordingStorage* storage = nullptr;
  TestServerOptions o;
  o.wrap_storage = [&storage](std::unique_ptr<Storage> base) {
    auto s = std::make_unique<RecordingStorage>(std::move(base));
    storage = s.get();
    return s;
  };
  o.tune_api = [&writes](ApiOptions& api) { api.session_writes = &writes; };
  TestServer server(std::move(o));
  ASSERT_NE(storage, nullptr);
  const TestServer::Account a = server.MakeAccount("a@example.com");
  const TestServer::Account b = server.MakeAccount("b@example.com");
  auto client = server.Client();
  int page = 1;  // a new limit each time: a listing the cache has not seen
  auto list_as = [&](const TestServer::Account* who) {
    httplib::Headers h;
    if (who != nullptr) h.emplace("Authorization", "Bearer " + who->token);
    auto r = client->Get(absl::StrCat("/api/v1/products?limit=", page++).c_str(), h);
    EXPECT_TRUE(r && r->status == 200);
    return storage->TakeLast() ? "primary" : "replica";
  };

  EXPECT_STREQ(list_as(&a), "replica");
  // A write of session A (the method decides; this one adds to the cart).
  auto product = server.MakeProduct("RYW");
  auto w =
      client->Post("/api/v1/cart/items", {{"Authorization", "Bearer " + a.token}},
                   absl::StrCat(R"({"variant_id":)", product->variants[0].id, R"(,"quantity":1})"),
                   "application/json");
  ASSERT_TRUE(w);
  EXPECT_LT(w->status, 300) << w->body;
  EXPECT_EQ(writes.sessions(), 1);
  EXPECT_STREQ(list_as(&a), "primary");
  EXPECT_STREQ(list_as(&b), "replica");
  EXPECT_STREQ(list_as(nullptr), "replica");
  clock.Advance(absl::Seconds(5));
  EXPECT_STREQ(list_as(&a), "replica");
}

}  // namespace
}  // namespace watchstore::http::testing
