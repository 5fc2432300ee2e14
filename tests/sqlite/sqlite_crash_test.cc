// A process killed with SIGKILL in the middle of writing loses no committed
// order: a child places orders in a loop and reports each committed one on a
// pipe; the parent kills it after ~300 ms, reopens the file and checks that
// every reported order is there and the stock arithmetic adds up.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sqlite/sqlite_test_util.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr int64_t kInitialStock = 1'000'000;

struct Committed {
  int64_t order_id;
  int64_t quantity;
};

// The child: opens the file itself (SQLite handles must not cross fork) and
// places orders until killed. Reports each order after its commit returned.
[[noreturn]] void PlaceOrdersForever(const std::string& path, UserId user, VariantId variant,
                                     int round, int out_fd) {
  auto storage = NewSqliteStorage(OptionsFor(path));  // synchronous = FULL
  if (!storage.ok()) _exit(2);
  for (int64_t k = 0;; ++k) {
    NewOrder o;
    o.user_id = user;
    o.idempotency_key = absl::StrCat("r", round, "-", k);
    o.request_fingerprint = "fp";
    o.lines = {{variant, 1 + k % 3}};
    o.shipping = ShippingAddress{"K", "1 Kill St", "", "Signal", "9", "US"};
    o.now = kT0;
    auto r = (*storage)->PlaceOrder(o);
    if (!r.ok()) _exit(3);
    const Committed c{r->order.id, 1 + k % 3};
    if (write(out_fd, &c, sizeof(c)) != static_cast<ssize_t>(sizeof(c))) _exit(4);
  }
}

// Runs one child for `run_for`, kills it, returns what it reported.
std::vector<Committed> RunAndKill(const std::string& path, UserId user, VariantId variant,
                                  int round, absl::Duration run_for) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return {};
  }
  if (pid == 0) {
    close(fds[0]);
    PlaceOrdersForever(path, user, variant, round, fds[1]);
  }
  close(fds[1]);
  std::vector<Committed> reported;
  std::string buffer;
  auto drain = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[4096];
    const ssize_t n = read(fds[0], chunk, sizeof(chunk));
    if (n <= 0) return false;  // EOF: the child is gone
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  const absl::Time deadline = absl::Now() + run_for;
  while (absl::Now() < deadline) drain(10);
  EXPECT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child stopped by itself, status " << status;
  while (drain(100)) {
  }
  close(fds[0]);
  // A report cut in half by the kill is dropped: its order may or may not
  // have committed, and the stock check below covers both.
  for (size_t i = 0; i + sizeof(Committed) <= buffer.size(); i += sizeof(Committed)) {
    Committed c;
    std::memcpy(&c, buffer.data() + i, sizeof(c));
    reported.push_back(c);
  }
  return reported;
}

TEST(SqliteCrashTest, SigkillLosesNoCommittedOrder) {
  TempDir dir;
  const std::string path = dir.NewFile();
  UserId user = 0;
  VariantId variant = 0;
  ProductId product = 0;
  {
    auto s = NewSqliteStorage(OptionsFor(path));
    ASSERT_TRUE(s.ok()) << s.status();
    user = MakeUser(**s, "victim@example.com").id;
    auto p = (*s)->CreateProduct(WatchDraft("KILL", 10'00, kInitialStock), kT0);
    ASSERT_TRUE(p.ok()) << p.status();
    product = p->id;
    variant = p->variants[0].id;
  }  // closed before fork: the child opens its own handle

  size_t total_reported = 0;
  for (int round = 0; round < 3; ++round) {
    const std::vector<Committed> reported =
        RunAndKill(path, user, variant, round, absl::Milliseconds(300));
    total_reported += reported.size();
    std::printf("round %d: %zu orders reported committed before SIGKILL\n", round, reported.size());
    EXPECT_GT(reported.size(), 0u) << "the child committed nothing in round " << round;

    // Reopen after the crash (WAL recovery) and check.
    auto s = NewSqliteStorage(OptionsFor(path));
    ASSERT_TRUE(s.ok()) << s.status();
    for (const Committed& c : reported) {
      auto o = (*s)->GetOrder(c.order_id);
      ASSERT_TRUE(o.ok()) << "order " << c.order_id << " was reported committed: " << o.status();
      ASSERT_EQ(o->lines.size(), 1u);
      EXPECT_EQ(o->lines[0].quantity, c.quantity);
      EXPECT_EQ(o->total, Usd(10'00 * c.quantity));
    }
    // Stock arithmetic over every order in the file, reported or not.
    int64_t sold = 0;
    size_t orders = 0;
    OrderQuery q;
    q.limit = 100;
    for (;;) {
      auto page = (*s)->ListOrders(q);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const Order& o : page->items) {
        ++orders;
        ASSERT_EQ(o.lines.size(), 1u);
        sold += o.lines[0].quantity;
      }
      if (!page->has_more) break;
      q.before_id = page->items.back().id;
    }
    EXPECT_GE(orders, total_reported);
    EXPECT_LE(orders, total_reported + round + 1);  // at most one unreported commit per kill
    auto p = (*s)->GetProduct(product);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->variants[0].stock, kInitialStock - sold);
    RawDb raw(path);
    EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(raw.Scalar("SELECT total_stock FROM products WHERE id = " + absl::StrCat(product)),
              kInitialStock - sold);
  }
}

}  // namespace
}  // namespace watchstore::testing
