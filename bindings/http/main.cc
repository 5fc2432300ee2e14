// watchstore-server: serve | migrate | seed-demo | create-admin. See --help.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "access_log.h"
#include "api.h"
#include "backends.h"
#include "config.h"
#include "demo_catalog.h"
#include "http_server.h"
#include "render.h"
#include "static_files.h"
#include "watchstore/accounts.h"
#include "watchstore/errors.h"
#include "watchstore/rate_limiter.h"

namespace watchstore::http {
namespace {

constexpr char kVersion[] = "watchstore-server 0.1.0";

// A host for a URL: IPv6 in brackets.
std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
}

// Connections cost a descriptor each: use all the hard limit allows.
void RaiseDescriptorLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::cerr << "watchstore-server: " << what << (what.empty() ? "" : ": ") << status.message()
            << "\n";
  return 1;
}

// The admin password: WATCHSTORE_ADMIN_PASSWORD, else one line of stdin
// (prompted for, without echo, on a terminal). Never argv.
absl::StatusOr<std::string> ReadAdminPassword(const std::string& email) {
  if (const char* env = std::getenv("WATCHSTORE_ADMIN_PASSWORD"); env != nullptr && *env) {
    return std::string(env);
  }
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << "Password for " << email << ": " << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!got) {
    return absl::InvalidArgumentError(
        "no password: pipe it to stdin or set WATCHSTORE_ADMIN_PASSWORD");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Creates a new admin account. An existing account is promoted only with
// --promote-existing: anyone can register any email (it is not verified),
// so an account with the operator's address may well be someone else's.
int CreateAdmin(const ServerConfig& config) {
  auto email = NormalizeEmail(config.admin_email);
  if (!email.ok()) return Fail("--email", email.status());
  auto store = OpenStore(config);
  if (!store.ok()) return Fail("opening the database", store.status());
  auto existing = (*store)->storage().GetUserByEmail(*email);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return Fail("looking up the user", existing.status());
  }
  if (config.promote_existing) {
    if (!existing.ok()) {
      std::cerr << "watchstore-server: no account has the email " << *email
                << "; run create-admin without --promote-existing to create one\n";
      return 1;
    }
    if (existing->role == Role::kAdmin) {
      std::cout << *email << " (user id " << existing->id << ") is already an admin\n";
      return 0;
    }
    if (!existing->email_verified_at.has_value()) {
      std::cerr << "watchstore-server: " << *email
                << " has not confirmed its email address; nothing was changed. Have its owner"
                   " follow the link in the welcome e-mail (or ask for a new one), then retry.\n";
      return 1;
    }
    std::cout << "promoting the existing account " << *email << " (user id " << existing->id
              << ", registered " << Rfc3339(existing->created_at)
              << ") to admin; its password is unchanged and was chosen by whoever registered "
                 "it\n";
    if (absl::Status st = (*store)->accounts().SetRole(*email, Role::kAdmin); !st.ok()) {
      return Fail("promoting the user", st);
    }
    std::cout << *email << " is now an admin\n";
    return 0;
  }
  if (existing.ok()) {
    std::cerr << "watchstore-server: an account with the email " << *email << " already exists"
              << " (user id " << existing->id << ", registered " << Rfc3339(existing->created_at)
              << "). Anyone can register any email, so it may not be yours: nothing was"
                 " changed. To make it an admin anyway, run create-admin again with"
                 " --promote-existing.\n";
    return 1;
  }
  auto password = ReadAdminPassword(*email);
  if (!password.ok()) return Fail("", password.status());
  auto user = (*store)->accounts().CreateUser(*email, *password, Role::kAdmin);
  if (!user.ok()) {
    const std::string field = FieldOf(user.status());
    return Fail(field.empty() ? "creating the admin" : field, user.status());
  }
  std::cout << *email << " created as an admin (user id " << user->id << ")\n";
  return 0;
}

int SeedDemo(const ServerConfig& config) {
  auto store = OpenStore(config);
  if (!store.ok()) return Fail("opening the database", store.status());
  auto result = SeedDemoCatalog(**store, config.seed_force);
  if (!result.ok()) return Fail("seeding the demo catalog", result.status());
  if (result->skipped) {
    std::cout << "the catalog already has products: demo catalog not added (use --force)\n";
  } else {
    std::cout << "added " << result->added << " demo watches";
    if (result->existing > 0) std::cout << " (" << result->existing << " were already there)";
    std::cout << " to " << DescribeDatabase(config.database_url) << "\n";
  }
  return 0;
}

int Serve(const ServerConfig& config, const sigset_t& signals) {
  auto access = AccessLog::Open(config.access_log);
  if (!access.ok()) return Fail("--access-log", access.status());
  // Operational events go to stderr, beside the access log when it is there too.
  std::unique_ptr<AccessLog> own_events;
  AccessLog* events = access->get();
  if (config.access_log != "stderr") {
    own_events = std::move(*AccessLog::Open("stderr"));
    events = own_events.get();
  }

  std::unique_ptr<StaticFiles> static_files;
  if (auto opened = StaticFiles::Open(config.static_dir); opened.ok()) {
    static_files = std::move(*opened);
  } else if (config.static_dir_explicit) {
    return Fail("--static-dir", opened.status());
  } else {
    events->Event("warning", "no_storefront",
                  absl::StrCat(config.static_dir, " not found: serving the API only"));
  }

  auto store = OpenStore(config);
  if (!store.ok()) return Fail("opening the database", store.status());
  auto mailer = OpenMailer(config);
  if (!mailer.ok())
    return Fail(config.smtp_url.empty() ? "--mail-dir" : "--smtp-url", mailer.status());
  OutboxWorkerOptions outbox_options;
  outbox_options.base_backoff = config.outbox_retry_base;
  OutboxWorker outbox(store->get(), mailer->get(), outbox_options);

  ApiOptions api_options;
  api_options.cookies =
      config.insecure_cookies ? CookiePolicy::Insecure() : CookiePolicy::Production();
  // Validated when the configuration was parsed.
  api_options.register_per_address = ParseRate(config.register_rate_per_address).value_or(Rate{});
  api_options.register_total = ParseRate(config.register_rate_total).value_or(Rate{});
  api_options.json.max_bytes = config.max_body_bytes;
  api_options.bench_hello = config.bench_hello;
  if (config.payments == PaymentsKind::kStripe) {
    api_options.stripe_publishable_key = config.stripe_publishable_key;
  }
  Storage* storage = &(*store)->storage();
  api_options.render_backend_metrics = [storage, &outbox](std::string* out) {
    RenderStorageMetrics(*storage, out);
    RenderOutboxMetrics(*storage, outbox, absl::Now(), out);
  };
  HttpServer* server_ptr = nullptr;
  api_options.render_http_metrics = [&server_ptr](std::string* out) {
    if (server_ptr != nullptr) server_ptr->metrics().Render(out);
  };
  api_options.server_stats = [&server_ptr]() {
    return server_ptr != nullptr ? server_ptr->stats() : ServerStats{};
  };
  Api api(store->get(), std::move(static_files), std::move(api_options));

  HttpServerOptions options;
  options.threads = config.threads;
  options.max_queued = config.max_queued;
  options.limits.read_timeout = config.read_timeout;
  options.limits.write_timeout = config.write_timeout;
  options.limits.header_timeout = config.header_timeout;
  options.limits.request_timeout = config.request_timeout;
  options.limits.response_timeout = config.response_timeout;
  options.max_connections = config.max_connections;
  options.max_connections_per_address = config.max_connections_per_address;
  options.client_address.trusted_proxies = config.trusted_proxies;
  options.client_address.header = config.client_address_header;
  options.client_address.hops = config.trusted_hops;
  options.limits.max_header_bytes = config.max_header_bytes;
  options.keep_alive_timeout = config.keep_alive_timeout;
  options.keep_alive_max_requests = config.keep_alive_max_requests;
  options.max_body_bytes = config.max_body_bytes;
  options.max_headers = config.max_headers;
  options.hsts = config.trust_tls_proxy;
  auto server = HttpServer::Create(options, &api, access->get());
  if (!server.ok()) return Fail("starting the server", server.status());
  server_ptr = server->get();
  auto port = (*server)->Bind(config.listen_host, config.listen_port);
  if (!port.ok()) return Fail("--listen", port.status());
  std::string metrics = "off";
  if (config.metrics_listen_port >= 0) {
    auto ops = (*server)->BindOperations(config.metrics_listen_host, config.metrics_listen_port);
    if (!ops.ok()) return Fail("--metrics-listen", ops.status());
    metrics = absl::StrCat("http://", UrlHost(config.metrics_listen_host), ":", *ops, "/metrics");
  }

  events->Event(
      "info", "listening",
      absl::StrCat(
          "http://", UrlHost(config.listen_host), ":", *port, " metrics=", metrics,
          " database=", DescribeDatabase(config.database_url), " cache=", (*store)->cache().Kind(),
          " threads=", config.threads,
          config.trusted_proxies.empty()
              ? ""
              : absl::StrCat(" trusted_proxies=", absl::StrJoin(config.trusted_proxies, ","),
                             " client_address=", config.client_address_header, "[-",
                             config.trusted_hops, "]"),
          config.insecure_cookies ? " cookies=insecure(dev)" : ""));
  if (!config.redis_url.empty() && config.session_seal_key.empty()) {
    events->Event("warning", "session_seal_key",
                  "WATCHSTORE_SESSION_SEAL_KEY is not set: this instance seals cached sessions "
                  "with a random key, so instances sharing Redis cannot use each other's");
  }
  events->Event(
      "info", "mail",
      absl::StrCat("e-mail goes to ", (*mailer)->Describe(),
                   config.smtp_url.empty() ? " (no --smtp-url: one .eml file per message)" : ""));
  events->Flush();
  outbox.Start();

  // SIGTERM / SIGINT: stop accepting, let requests in flight finish.
  std::atomic<bool> finished{false};
  std::thread signal_waiter([&signals, &server, &finished, events] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (finished.load()) return;
    events->Event("info", "stopping", absl::StrCat("signal ", sig));
    (*server)->Stop();
  });
  // Expired sessions and guest carts are deleted every ten minutes.
  absl::Notification done;
  std::thread purger([&done, &store, events] {
    while (!done.WaitForNotificationWithTimeout(absl::Minutes(10))) {
      auto purged = (*store)->accounts().PurgeExpiredSessions();
      if (!purged.ok()) {
        events->Event("warning", "session_purge_failed", purged.status().ToString());
      }
      auto carts = (*store)->carts().PurgeExpiredGuestCarts();
      if (!carts.ok()) {
        events->Event("warning", "guest_cart_purge_failed", carts.status().ToString());
      }
    }
  });

  // Unpaid orders past their reservation give their stock back, and refunds
  // due are paid back, on every instance (the storage hands each order to one).
  std::thread payments([&done, &store, &config, events] {
    while (!done.WaitForNotificationWithTimeout(config.payment_sweep_interval)) {
      auto swept = (*store)->orders().RunPaymentMaintenance();
      if (!swept.ok()) {
        events->Event("warning", "payment_maintenance_failed", swept.status().ToString());
      } else if (swept->expired > 0 || swept->refunds_settled > 0 || swept->errors > 0) {
        events->Event("info", "payment_maintenance",
                      absl::StrCat("expired ", swept->expired, ", refunds settled ",
                                   swept->refunds_settled, ", provider errors ", swept->errors));
      }
    }
  });

  const absl::Status served = (*server)->Serve();
  done.Notify();
  purger.join();
  payments.join();
  finished = true;
  pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wakes it if no signal came
  signal_waiter.join();
  server->reset();
  events->Event("info", "stopped", "");
  events->Flush();
  (*access)->Flush();
  if (!served.ok()) return Fail("serving", served);
  return 0;
}

int Main(int argc, char** argv) {
  // Signals are handled by one thread (sigwait): block them everywhere first.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  RaiseDescriptorLimit();
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = ParseServerConfig(args, ProcessEnv());
  if (!config.ok()) {
    std::cerr << "watchstore-server: " << config.status().message()
              << "\nRun 'watchstore-server --help' for usage.\n";
    return 2;
  }
  switch (config->command) {
    case Command::kHelp:
      std::cout << UsageText();
      return 0;
    case Command::kVersion:
      std::cout << kVersion << "\n";
      return 0;
    case Command::kMigrate:
      if (absl::Status st = MigrateDatabase(*config); !st.ok()) return Fail("migrate", st);
      std::cout << "migrated " << DescribeDatabase(config->database_url) << "\n";
      return 0;
    case Command::kSeedDemo:
      return SeedDemo(*config);
    case Command::kOutbox:
      return RunOutboxCommand(*config);
    case Command::kCreateAdmin:
      return CreateAdmin(*config);
    case Command::kServe:
      return Serve(*config, signals);
  }
  return 2;
}

}  // namespace
}  // namespace watchstore::http

int main(int argc, char** argv) { return watchstore::http::Main(argc, argv); }
