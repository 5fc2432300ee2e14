// The storefront's files: content types, caching, index.html, and nothing
// outside the directory.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  static void Write(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / absl::StrCat("ws-static-", ::getpid(), "-",
                                                 ::testing::UnitTest::GetInstance()->random_seed());
    fs::remove_all(dir_);
    root_ = dir_ / "site";
    Write(root_ / "index.html", "<!doctype html><title>home</title>");
    Write(root_ / "pay.html", "<!doctype html><title>pay</title>");
    Write(root_ / "order.html", "<!doctype html><title>order</title>");
    Write(root_ / "docs" / "pay.html", "<p>not the payment page</p>");
    Write(root_ / "config.json", R"({"apiBase": "/api/v1"})");
    Write(root_ / "css" / "site.css", "body{}");
    Write(root_ / "js" / "app.js", "export {};");
    Write(root_ / "js" / "mod.mjs", "export {};");
    Write(root_ / "img" / "watches" / "w01.svg", "<svg/>");
    Write(root_ / "img" / "icon.png", "PNG");
    Write(root_ / "favicon.ico", "ICO");
    Write(root_ / "site.webmanifest", "{}");
    Write(root_ / "docs" / "index.html", "<p>docs</p>");
    Write(root_ / ".git" / "config", "secret");
    Write(root_ / "notes.bak", "secret");
    Write(dir_ / "outside.html", "secret");
    fs::create_symlink(dir_ / "outside.html", root_ / "link.html");
    TestServerOptions o;
    o.static_dir = root_.string();
    server_ = std::make_unique<TestServer>(o);
    client_ = server_->Client();
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  fs::path dir_, root_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndCaching) {
  struct Case {
    const char* path;
    const char* type;
    const char* cache;
  } cases[] = {
      {"/", "text/html; charset=utf-8", "no-cache"},
      {"/index.html", "text/html; charset=utf-8", "no-cache"},
      {"/config.json", "application/json", "no-cache"},
      {"/css/site.css", "text/css; charset=utf-8", "public, max-age=3600"},
      {"/js/app.js", "text/javascript; charset=utf-8", "public, max-age=3600"},
      {"/js/mod.mjs", "text/javascript; charset=utf-8", "public, max-age=3600"},
      {"/img/watches/w01.svg", "image/svg+xml", "public, max-age=3600"},
      {"/img/icon.png", "image/png", "public, max-age=3600"},
      {"/favicon.ico", "image/x-icon", "public, max-age=3600"},
      {"/site.webmanifest", "application/manifest+json", "public, max-age=3600"},
      {"/docs/", "text/html; charset=utf-8", "no-cache"},
  };
  for (const Case& c : cases) {
    auto r = client_->Get(c.path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << c.path;
    EXPECT_EQ(r->get_header_value("Content-Type"), c.type) << c.path;
    EXPECT_EQ(r->get_header_value("Cache-Control"), c.cache) << c.path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(r->has_header("Content-Security-Policy"));
    EXPECT_FALSE(SetCookieFor(*r, "ws_csrf").has_value());  // cookies are the API's business
  }
  auto home = client_->Get("/");
  EXPECT_EQ(home->body, "<!doctype html><title>home</title>");
  const std::string etag = home->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = client_->Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto head = client_->Head("/css/site.css");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

// The payment page, and only it, may load Stripe.js: its policy names exactly
// Stripe's origins; every other page and the API keep the strict one.
TEST_F(StaticFilesTest, OnlyThePaymentPageAllowsStripeOrigins) {
  auto csp_of = [&](const char* path, const httplib::Headers& headers = {}) {
    auto r = client_->Get(path, headers);
    EXPECT_TRUE(r) << path;
    if (!r) return std::string();
    EXPECT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u) << path;
    return r->get_header_value("Content-Security-Policy");
  };
  const std::string strict =
      "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  const std::string pay = csp_of("/pay.html");
  EXPECT_EQ(pay, strict +
                     "; script-src 'self' https://js.stripe.com https://*.js.stripe.com"
                     "; frame-src https://js.stripe.com https://*.js.stripe.com "
                     "https://hooks.stripe.com"
                     "; connect-src 'self' https://api.stripe.com");
  for (const char* path : {"/", "/index.html", "/order.html", "/docs/pay.html", "/config.json",
                           "/js/app.js", "/no-such.html", "/api/v1/payments/config"}) {
    const std::string csp = csp_of(path);
    EXPECT_EQ(csp, strict) << path;
    EXPECT_FALSE(absl::StrContains(csp, "stripe")) << path;
  }
  // A revalidated copy of the page keeps its policy.
  auto first = client_->Get("/pay.html");
  ASSERT_TRUE(first);
  auto again = client_->Get("/pay.html", {{"If-None-Match", first->get_header_value("ETag")}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->get_header_value("Content-Security-Policy"), pay);
  auto head = client_->Head("/pay.html");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->get_header_value("Content-Security-Policy"), pay);
}

TEST_F(StaticFilesTest, NothingOutsideTheRootOrHidden) {
  for (const char* path :
       {"/../outside.html", "/%2e%2e/outside.html", "/js/../../outside.html", "/link.html",
        "/.git/config", "/notes.bak", "/docs", "/img/", "/img/watches", "/nope.html",
        "/index.html%00.png", "/js\\app.js", "//etc/passwd", "/%2Fetc%2Fpasswd"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path << " " << r->body;
    EXPECT_FALSE(absl::StrContains(r->body, "secret")) << path;
  }
  const std::string raw = RawExchange(
      server_->port(), "GET /../../outside.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(absl::StrContains(raw, "secret"));
  auto post = client_->Post("/index.html", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD, OPTIONS");
}

}  // namespace
}  // namespace watchstore::http::testing
