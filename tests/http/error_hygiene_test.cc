// No backend's error text reaches a client: 4xx problems carry the library's
// own wording (or a generic one) and a stable type; query strings and paths
// that are not clean UTF-8 are refused at the boundary.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"
#include "watchstore/errors.h"

namespace watchstore::http::testing {
namespace {

constexpr const char* kLeaks[] = {"invalid byte sequence", "duplicate key value", "sqlite:",
                                  "constraint failed",     "secret_idx",          "UNIQUE"};

void ExpectNoLeak(const std::string& body) {
  for (const char* leak : kLeaks) EXPECT_FALSE(absl::StrContains(body, leak)) << body;
}

// A storage that fails the way PostgreSQL and SQLite adapters do when a
// database error has no mapping of its own: the database's text, no reason.
class LeakyStorage : public ::watchstore::testing::OwningCountingStorage {
 public:
  using OwningCountingStorage::OwningCountingStorage;
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    if (q.text == "pg22") {
      // pg_errors.cc: SQLSTATE 22xxx -> InvalidField("", server text).
      return InvalidField("", "invalid byte sequence for encoding \"UTF8\": 0xff");
    }
    if (q.text == "pgdup") {
      return absl::AlreadyExistsError(
          "duplicate key value violates unique constraint \"secret_idx\"");
    }
    if (q.text == "sqlite") {
      // sqlite_db.cc: SQLITE_CONSTRAINT -> FailedPrecondition, reason internal.
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kInternal,
                       "sqlite: INSERT: UNIQUE constraint failed: users.email");
    }
    if (q.text == "missing") {
      return absl::NotFoundError("relation \"secret_idx\" does not exist");
    }
    return OwningCountingStorage::ListProducts(q);
  }
};

TEST(ErrorHygieneTest, BackendTextNeverReachesTheClient) {
  TestServerOptions o;
  o.wrap_storage = [](std::unique_ptr<Storage> base) {
    return std::unique_ptr<Storage>(new LeakyStorage(std::move(base)));
  };
  TestServer server(o);
  auto c = server.Client();
  struct Case {
    const char* q;
    int status;
    const char* type;
  } cases[] = {
      {"pg22", 400, "validation"},
      {"pgdup", 500, "internal"},  // an unmapped constraint: ours, not the client's
      {"sqlite", 500, "internal"},
      {"missing", 404, "not_found"},
  };
  for (const Case& k : cases) {
    auto r = c->Get(absl::StrCat("/api/v1/products?q=", k.q).c_str());
    ASSERT_TRUE(r);
    ExpectNoLeak(r->body);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json") << k.q;
    EXPECT_EQ(r->status, k.status) << k.q << ": " << r->body;
    EXPECT_EQ(ReasonOfBody(r->body), k.type) << r->body;
  }
  // The library's own wording still gets through, with its field.
  auto bad = c->Get("/api/v1/products?limit=1000");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(FieldOfBody(bad->body), "limit");
  EXPECT_TRUE(absl::StrContains(bad->body, "must be an integer from 1 to 100")) << bad->body;
}

TEST(ErrorHygieneTest, QueryAndPathMustBeCleanUtf8) {
  TestServerOptions o;
  o.sqlite = true;
  TestServer server(o);
  server.MakeProduct("HYG");
  auto c = server.Client();
  for (const char* target :
       {"/api/v1/products?q=%FF", "/api/v1/products?brand=%00", "/api/v1/products?brand=a%0Db",
        "/api/v1/products?collection=%C0%AF", "/api/v1/products?q=%ED%A0%80"}) {
    auto r = c->Get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target << " -> " << r->body;
    EXPECT_EQ(ReasonOfBody(r->body), "validation") << r->body;
    EXPECT_TRUE(absl::StrContains(r->body, "valid UTF-8")) << r->body;
    EXPECT_FALSE(FieldOfBody(r->body).empty()) << r->body;
  }
  auto path = c->Get("/api/v1/products/by-sku/%FF%FE");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->status, 404) << path->body;
  EXPECT_EQ(ReasonOfBody(path->body), "not_found");
  // Clean UTF-8 is fine.
  auto ok = c->Get("/api/v1/products?q=%C3%A9t%C3%A9");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  // A forged cursor (valid base64url of "1:name_asc:1:0:\xff"): our own
  // wording or a page, never the database's.
  auto forged = c->Get("/api/v1/products?sort=name_asc&cursor=MTpuYW1lX2FzYzoxOjA6_w");
  ASSERT_TRUE(forged);
  ExpectNoLeak(forged->body);
  EXPECT_TRUE(forged->status == 200 || forged->status == 400) << forged->body;
  auto garbage = c->Get("/api/v1/products?cursor=%2A%2A%2A");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400) << garbage->body;
  EXPECT_EQ(FieldOfBody(garbage->body), "cursor") << garbage->body;
}

}  // namespace
}  // namespace watchstore::http::testing
