// Checkout under contention on PostgreSQL: many threads through the Store,
// and two OS processes against one database. Stock never goes negative and
// exactly the available units are sold.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pg_test_support.h"
#include "test_util.h"
#include "watchstore/cache.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/store.h"

namespace watchstore::testing {
namespace {

const ShippingAddress kShipTo{"Ada Lovelace", "1 Main St", "", "London", "N1", "GB"};

// All orders, newest first.
std::vector<Order> AllOrders(Storage& storage) {
  std::vector<Order> all;
  OrderQuery q;
  q.limit = 100;
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = storage.ListOrders(q);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    all.insert(all.end(), page->items.begin(), page->items.end());
    if (!page->has_more) break;
    q.before_id = page->items.back().id;
  }
  return all;
}

TEST(PostgresCheckoutConcurrency, SixtyFourBuyersForTheLastTenUnits) {
  WS_REQUIRE_POSTGRES();
  TestSchema schema;
  auto storage = NewPostgresStorage(schema.Options(/*pool_size=*/16));
  ASSERT_TRUE(storage.ok()) << storage.status();
  auto cache = NewMemoryCache({});
  ASSERT_TRUE(cache.ok());
  auto store = Store::Open(TestStoreOptions(nullptr), *std::move(storage), *std::move(cache));
  ASSERT_TRUE(store.ok()) << store.status();
  Storage& st = (*store)->storage();

  const User admin = MakeUser(st, "admin@example.com", Role::kAdmin);
  WS_ASSERT_OK_AND_ASSIGN(auto product, (*store)->catalog().CreateProduct(
                                            PrincipalOf(admin), WatchDraft("LAST", 500'00, 10)));
  const VariantId variant = product->variants[0].id;
  constexpr int kBuyers = 64;
  std::vector<Principal> buyers;
  for (int i = 0; i < kBuyers; ++i) {
    buyers.push_back(PrincipalOf(MakeUser(st, absl::StrCat("buyer", i, "@example.com"))));
  }

  std::atomic<int> sold{0}, refused{0};
  std::mutex mu;
  std::vector<std::string> unexpected;
  std::latch start(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      const CartOwner owner = (*store)->carts().UserOwner(buyers[i]);
      auto added = (*store)->carts().AddItem(owner, variant, 1);
      if (added.ok()) {
        CheckoutRequest req;
        req.idempotency_key = absl::StrCat("checkout-", i);
        req.shipping = kShipTo;
        auto placed = (*store)->orders().Checkout(buyers[i], req);
        if (placed.ok()) {
          ++sold;
          return;
        }
        added = placed.status();
      }
      if (ReasonOf(added.status()) == reason::kOutOfStock) {
        ++refused;
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      unexpected.push_back(added.status().ToString());
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected, first: " << unexpected[0];
  EXPECT_EQ(sold.load(), 10);
  EXPECT_EQ(refused.load(), kBuyers - 10);
  WS_ASSERT_OK_AND_ASSIGN(Product after, st.GetProduct(product->id));
  EXPECT_EQ(after.variants[0].stock, 0);
  EXPECT_FALSE(after.InStock());
  const std::vector<Order> orders = AllOrders(st);
  ASSERT_EQ(orders.size(), 10u);
  std::set<UserId> users;
  for (const Order& o : orders) {
    ASSERT_EQ(o.lines.size(), 1u);
    EXPECT_EQ(o.lines[0].variant_id, variant);
    EXPECT_EQ(o.lines[0].quantity, 1);
    EXPECT_EQ(o.total, Usd(500'00));
    users.insert(o.user_id);
  }
  EXPECT_EQ(users.size(), 10u);  // ten different buyers, one order each
  // The listing agrees: a sold-out watch is not in stock.
  ProductQuery q;
  q.in_stock_only = true;
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, st.ListProducts(q));
  EXPECT_TRUE(page.items.empty());
}

struct ProcessResult {
  int exit_code = -1;
  std::string output;
};

// Starts `argv` (no shell involved) with stdout piped back to us.
pid_t Spawn(const std::vector<std::string>& argv, int* out_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

ProcessResult Wait(pid_t pid, int fd) {
  ProcessResult r;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) r.output.append(buf, static_cast<size_t>(n));
  close(fd);
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

int SoldIn(const std::string& output) {
  for (absl::string_view field : absl::StrSplit(output, absl::ByAnyChar(" \n"))) {
    int n = 0;
    if (absl::ConsumePrefix(&field, "sold=") && absl::SimpleAtoi(field, &n)) return n;
  }
  return -1;
}

TEST(PostgresCheckoutConcurrency, TwoProcessesNeverOversell) {
  WS_REQUIRE_POSTGRES();
  TestSchema schema;
  auto opened = NewPostgresStorage(schema.Options());
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Storage> storage = *std::move(opened);
  const User buyer = MakeUser(*storage, "buyer@example.com");
  constexpr int kStock = 150;
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->CreateProduct(WatchDraft("PROC", 100'00, kStock),
                                                            absl::Now()));
  const VariantId variant = p.variants[0].id;

  std::vector<std::pair<pid_t, int>> children;
  for (int i = 0; i < 2; ++i) {
    int fd = -1;
    const pid_t pid = Spawn({WATCHSTORE_CHECKOUT_HELPER, schema.url(), absl::StrCat(buyer.id),
                             absl::StrCat(variant), "8"},
                            &fd);
    ASSERT_GT(pid, 0);
    children.push_back({pid, fd});
  }
  int total_sold = 0;
  for (auto [pid, fd] : children) {
    const ProcessResult r = Wait(pid, fd);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const int sold = SoldIn(r.output);
    EXPECT_GE(sold, 0) << r.output;
    total_sold += sold;
  }
  EXPECT_EQ(total_sold, kStock);
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 0);
  const std::vector<Order> orders = AllOrders(*storage);
  EXPECT_EQ(static_cast<int>(orders.size()), kStock);
  int64_t units = 0;
  for (const Order& o : orders) {
    for (const OrderLine& l : o.lines) units += l.quantity;
  }
  EXPECT_EQ(units, kStock);
}

}  // namespace
}  // namespace watchstore::testing
