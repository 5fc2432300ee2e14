// Many clients over HTTP race for the last units: exactly as many orders as
// units, the rest 409 out_of_stock, stock never negative.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

class LastUnitsTest : public ::testing::TestWithParam<bool> {};

TEST_P(LastUnitsTest, SixtyFourClientsTenUnitsTenOrders) {
  TestServerOptions o;
  o.sqlite = GetParam();
  o.server.threads = 96;
  // 64 racers from one address, beside the set-up's connections that the
  // server may not have seen closed yet: the per-address cap (64) is not
  // what this test is about.
  o.server.max_connections_per_address = 0;
  // Nor is the cap on unpaid orders per client address.
  o.tune_store = [](StoreOptions& s) { s.payments.max_unpaid_per_address = 0; };
  TestServer server(o);
  auto p = server.MakeProduct("LAST", 1200'00, 10);
  const int64_t variant = p->variants[0].id;
  constexpr int kClients = 64;
  std::vector<TestServer::Account> accounts;
  for (int i = 0; i < kClients; ++i) {
    accounts.push_back(server.MakeAccount(absl::StrCat("racer", i, "@example.com")));
    // Each puts one unit in the cart while there are ten for everybody.
    auto r = server.Client()->Post("/api/v1/cart/items", Bearer(accounts.back().token),
                                   absl::StrCat(R"({"variant_id":)", variant, R"(,"quantity":1})"),
                                   kJson);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  std::atomic<int> created{0}, sold_out{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = server.Client();
      httplib::Headers h = Bearer(accounts[i].token);
      h.emplace("Idempotency-Key", absl::StrCat("race-", i));
      while (!go.load()) std::this_thread::yield();
      auto r = c->Post("/api/v1/orders", h, ShippingBody(), kJson);
      if (r && r->status == 201) {
        ++created;
      } else if (r && r->status == 409 && ReasonOfBody(r->body) == "out_of_stock") {
        ++sold_out;
      } else {
        ++other;
        ADD_FAILURE() << (r ? absl::StrCat(r->status, " ", r->body) : std::string("no response"));
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(sold_out.load(), kClients - 10);
  EXPECT_EQ(other.load(), 0);
  auto after = server.store().storage().GetProduct(p->id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->variants[0].stock, 0);
  OrderQuery q;
  q.limit = 100;
  auto orders = server.store().storage().ListOrders(q);
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->items.size(), 10u);
  // Over HTTP too: the product shows sold out.
  auto shown = server.Client()->Get(absl::StrCat("/api/v1/products/", p->id).c_str());
  ASSERT_TRUE(shown);
  EXPECT_FALSE(Json(shown->body)["in_stock"].GetBool());
}

INSTANTIATE_TEST_SUITE_P(Storages, LastUnitsTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

}  // namespace
}  // namespace watchstore::http::testing
