// Checkout under contention on PostgreSQL from two OS processes against one
// database: stock never goes negative and exactly the available units are
// sold. (The 64-buyer race is StorageConformanceTest.SixtyFourBuyersForTheLastTenUnits.)
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pg_test_support.h"
#include "search_freshness.h"
#include "test_util.h"
#include "watchstore/postgres_storage.h"

namespace watchstore::testing {
namespace {

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

// 16 readers search while a writer creates, archives and re-prices: no
// search contradicts a write that returned before it began.
TEST(PostgresSearchConcurrency, SearchIsNeverStale) {
  WS_REQUIRE_POSTGRES();
  TestSchema schema;
  PostgresOptions o = schema.Options();
  o.pool_size = 20;  // the readers and the writer at once
  auto opened = NewPostgresStorage(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  ExpectSearchNeverStale(*std::move(opened), 3.0);
}

TEST(PostgresCheckoutConcurrency, TwoProcessesNeverOversell) {
  WS_REQUIRE_POSTGRES();
  TestSchema schema;
  auto opened = NewPostgresStorage(schema.Options());
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Storage> storage = *std::move(opened);
  const User buyer = MakeUser(*storage, "buyer@example.com");
  constexpr int kStock = 150;
  WS_ASSERT_OK_AND_ASSIGN(Product p,
                          storage->CreateProduct(WatchDraft("PROC", 100'00, kStock), absl::Now()));
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
