#include "config.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client_address.h"
#include "watchstore/rate_limiter.h"

namespace watchstore::http {
namespace {

enum class Kind { kString, kInt, kBytes, kDuration, kBool, kListen };

struct OptionSpec {
  const char* flag;  // without "--"
  const char* env;   // nullptr: flag only
  Kind kind;
  int64_t min;
  int64_t max;
  const char* help;
};

constexpr int64_t kMaxI = std::numeric_limits<int32_t>::max();

constexpr OptionSpec kOptions[] = {
    {"listen", "WATCHSTORE_LISTEN", Kind::kListen, 0, 0,
     "host:port to listen on (default 127.0.0.1:8080; [::1]:8080 for IPv6)"},
    {"database", "WATCHSTORE_DATABASE_URL", Kind::kString, 0, 0,
     "SQLite file (default ./var/watchstore.db), postgres://user:pass@host:port/db, or memory:"},
    {"database-replica", "WATCHSTORE_DATABASE_REPLICA", Kind::kString, 0, 0,
     "postgres://... of a streaming replica for catalog reads (product detail, listings, "
     "search, facets); repeat the flag for several, or comma-separate them in the variable "
     "(default: none, every read on --database)"},
    {"replica-max-lag", "WATCHSTORE_REPLICA_MAX_LAG", Kind::kDuration, 0, 3600,
     "a replica further behind than this leaves the rotation until it catches up (default 2s)"},
    {"read-your-writes-window", "WATCHSTORE_READ_YOUR_WRITES_WINDOW", Kind::kDuration, 0, 3600,
     "with replicas: after a session writes, its reads go to the primary this long; at least "
     "--replica-max-lag + 1s, the oldest a replica read can be (default 5s)"},
    {"metrics-listen", "WATCHSTORE_METRICS_LISTEN", Kind::kString, 0, 0,
     "host:port of the operations listener for /metrics (also /healthz, /readyz), or off "
     "(default 127.0.0.1:9090; /metrics is not on --listen)"},
    {"redis", "WATCHSTORE_REDIS_URL", Kind::kString, 0, 0,
     "redis://host:port/db: a shared cache behind the in-process one (default: none)"},
    {"redis-request-budget", "WATCHSTORE_REDIS_REQUEST_BUDGET", Kind::kDuration, 0, 60,
     "longest a request waits on Redis for a lookup or fill before it reads the database "
     "instead; slower Redis round trips count toward opening its circuit breaker (default 10ms)"},
    {"cache-max-stale", "WATCHSTORE_CACHE_MAX_STALE", Kind::kDuration, 0, 3600,
     "with --redis: how long past its 5s freshness an in-process copy is still served while "
     "it is refreshed in the background; 0s: off (default 10s)"},
    {"smtp-url", "WATCHSTORE_SMTP_URL", Kind::kString, 0, 0,
     "smtp://host:587 (STARTTLS if offered) or smtps://host:465: send e-mail through this relay "
     "(default: none, messages are written to --mail-dir); password in WATCHSTORE_SMTP_PASSWORD"},
    {"smtp-username", "WATCHSTORE_SMTP_USERNAME", Kind::kString, 0, 0,
     "SMTP AUTH user name (default: no AUTH)"},
    {"smtp-require-tls", "WATCHSTORE_SMTP_REQUIRE_TLS", Kind::kBool, 0, 0,
     "refuse to send e-mail over an unencrypted SMTP connection"},
    {"mail-dir", "WATCHSTORE_MAIL_DIR", Kind::kString, 0, 0,
     "where e-mail is written when no --smtp-url is set (default ./var/mail)"},
    {"mail-from", "WATCHSTORE_MAIL_FROM", Kind::kString, 0, 0, "the From address of e-mails"},
    {"store-name", "WATCHSTORE_STORE_NAME", Kind::kString, 0, 0,
     "the store's name in e-mails (default Watchstore)"},
    {"public-url", "WATCHSTORE_PUBLIC_URL", Kind::kString, 0, 0,
     "the storefront's public base URL, for links in e-mails (default http://127.0.0.1:8080)"},
    {"require-verified-email", "WATCHSTORE_REQUIRE_VERIFIED_EMAIL", Kind::kBool, 0, 0,
     "refuse checkout until the buyer has confirmed their email address (default off)"},
    {"outbox-retry-base", "WATCHSTORE_OUTBOX_RETRY_BASE", Kind::kDuration, 1, 3600,
     "first e-mail retry delay; doubles per failure, 8 attempts (default 5s)"},
    {"card-reservation", "WATCHSTORE_CARD_RESERVATION", Kind::kDuration, 1, 7 * 86400,
     "how long an order awaiting a card payment holds its stock before it expires "
     "(default 30m)"},
    {"manual-reservation", "WATCHSTORE_MANUAL_RESERVATION", Kind::kDuration, 1, 30 * 86400,
     "how long an order awaiting a manual payment (bank transfer) holds its stock (default 72h)"},
    {"max-unpaid-per-buyer", "WATCHSTORE_MAX_UNPAID_PER_BUYER", Kind::kInt, 0, 1000,
     "unpaid orders a buyer (account or guest e-mail) may hold at once; 0: no cap (default 3)"},
    {"max-unpaid-per-address", "WATCHSTORE_MAX_UNPAID_PER_ADDRESS", Kind::kInt, 0, 100000,
     "unpaid orders one client address may hold at once; 0: no cap (default 10)"},
    {"payment-sweep-interval", "WATCHSTORE_PAYMENT_SWEEP_INTERVAL", Kind::kDuration, 1, 3600,
     "how often expired reservations are released and refunds due are paid back (default 1m)"},
    {"static-dir", "WATCHSTORE_STATIC_DIR", Kind::kString, 0, 0,
     "the storefront's files, served at / (default ./frontend)"},
    {"threads", "WATCHSTORE_THREADS", Kind::kInt, 1, 16384,
     "worker threads = connections served at once (default 256)"},
    {"max-queued", "WATCHSTORE_MAX_QUEUED", Kind::kInt, 0, 1 << 20,
     "connections waiting for a worker before new ones get 503 (default 1024)"},
    {"db-pool-size", "WATCHSTORE_DB_POOL_SIZE", Kind::kInt, 1, 1024,
     "PostgreSQL connections (default 16)"},
    {"facet-exact-limit", "WATCHSTORE_FACET_EXACT_LIMIT", Kind::kInt, 0, kMaxI,
     "PostgreSQL: facet counts of a query matching more watches than this are counted over a "
     "sample and marked approximate; 0: always exact (default 10000)"},
    {"max-body-bytes", "WATCHSTORE_MAX_BODY_BYTES", Kind::kBytes, 1024, 64 << 20,
     "largest request body, else 413 (default 65536)"},
    {"max-header-bytes", "WATCHSTORE_MAX_HEADER_BYTES", Kind::kBytes, 4096, 1 << 20,
     "largest request line + headers, else 431 (default 32768)"},
    {"max-headers", "WATCHSTORE_MAX_HEADERS", Kind::kInt, 10, 10000,
     "most header fields in a request, else 431 (default 100)"},
    {"read-timeout", "WATCHSTORE_READ_TIMEOUT", Kind::kDuration, 1, 3600,
     "longest silence from the client in the middle of a request (default 5s)"},
    {"write-timeout", "WATCHSTORE_WRITE_TIMEOUT", Kind::kDuration, 1, 3600,
     "longest wait for the client to receive (default 5s)"},
    {"keep-alive-timeout", "WATCHSTORE_KEEP_ALIVE_TIMEOUT", Kind::kDuration, 1, 3600,
     "idle time before a keep-alive connection closes; keep it above the load "
     "balancer's idle timeout (default 75s; the ALB's is 60s)"},
    {"header-timeout", "WATCHSTORE_HEADER_TIMEOUT", Kind::kDuration, 1, 3600,
     "time allowed for a request's line and headers (default 5s)"},
    {"request-timeout", "WATCHSTORE_REQUEST_TIMEOUT", Kind::kDuration, 1, 3600,
     "time allowed for a request's headers and body (default 15s)"},
    {"response-timeout", "WATCHSTORE_RESPONSE_TIMEOUT", Kind::kDuration, 1, 3600,
     "time allowed for the client to receive a response (default 30s)"},
    {"keep-alive-max-requests", "WATCHSTORE_KEEP_ALIVE_MAX_REQUESTS", Kind::kInt, 1, kMaxI,
     "requests per connection (default 100000)"},
    {"max-connections", "WATCHSTORE_MAX_CONNECTIONS", Kind::kInt, 16, 1 << 20,
     "open connections in total; the oldest waiting one makes room (default 10000, "
     "and never above the file-descriptor limit)"},
    {"max-connections-per-address", "WATCHSTORE_MAX_CONNECTIONS_PER_ADDRESS", Kind::kInt, 0,
     1 << 20,
     "open connections per client address (IPv6: per /64); trusted proxies are exempt; "
     "0: no cap (default 64)"},
    {"trusted-proxies", "WATCHSTORE_TRUSTED_PROXIES", Kind::kString, 0, 0,
     "comma-separated networks of our own proxies (10.0.0.0/16,fd00::/8): only for "
     "connections from them is the client address taken from --client-address-header "
     "(default: none; the socket peer is the client)"},
    {"client-address-header", "WATCHSTORE_CLIENT_ADDRESS_HEADER", Kind::kString, 0, 0,
     "the header trusted proxies fill: X-Forwarded-For (default) or "
     "CloudFront-Viewer-Address"},
    {"trusted-hops", "WATCHSTORE_TRUSTED_HOPS", Kind::kInt, 1, 16,
     "the client is this many entries from the right of --client-address-header: 1 for "
     "one proxy that appends (an ALB), 2 for CloudFront -> ALB (default 1)"},
    {"register-rate-per-address", "WATCHSTORE_REGISTER_RATE_PER_ADDRESS", Kind::kString, 0, 0,
     "registrations per client address, COUNT/PERIOD or off (default 10/1h)"},
    {"register-rate-total", "WATCHSTORE_REGISTER_RATE_TOTAL", Kind::kString, 0, 0,
     "registrations per server in total, COUNT/PERIOD or off (default 10/1s)"},
    {"insecure-cookies", "WATCHSTORE_INSECURE_COOKIES", Kind::kBool, 0, 0,
     "development over plain http: cookies without __Host- and Secure"},
    {"trust-tls-proxy", "WATCHSTORE_TRUST_TLS_PROXY", Kind::kBool, 0, 0,
     "clients reach the server over TLS through a proxy: send Strict-Transport-Security"},
    {"access-log", "WATCHSTORE_ACCESS_LOG", Kind::kString, 0, 0,
     "stderr (default), stdout, off, or a file to append JSON lines to"},
    {"payments", "WATCHSTORE_PAYMENTS", Kind::kString, 0, 0,
     "manual (bank transfer, recorded by staff; default) or stripe (card payments; keys in "
     "WATCHSTORE_STRIPE_SECRET_KEY, WATCHSTORE_STRIPE_WEBHOOK_SECRET and "
     "WATCHSTORE_STRIPE_PUBLISHABLE_KEY)"},
    {"bench-hello", nullptr, Kind::kBool, 0, 0,
     "also serve GET /bench/hello (a fixed reply, for load tests)"},
    {"email", nullptr, Kind::kString, 0, 0, "create-admin: the account's email"},
    {"promote-existing", nullptr, Kind::kBool, 0, 0,
     "create-admin: make an existing account with that email an admin (check that the "
     "account is yours: anyone can register any email)"},
    {"force", nullptr, Kind::kBool, 0, 0, "seed-demo: add the demo catalog even if not empty"},
    {"if-empty", nullptr, Kind::kBool, 0, 0, "seed-demo: only into an empty catalog (default)"},
};

const OptionSpec* FindFlag(absl::string_view name) {
  for (const OptionSpec& o : kOptions) {
    if (name == o.flag) return &o;
  }
  return nullptr;
}

absl::Status Bad(absl::string_view source, absl::string_view value, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": ", what, " (got \"", value.substr(0, 200), "\")"));
}

absl::Status ParseListen(absl::string_view source, absl::string_view v, ServerConfig* c) {
  std::string host;
  absl::string_view port_text;
  if (absl::StartsWith(v, "[")) {
    const size_t close = v.find("]:");
    if (close == absl::string_view::npos) return Bad(source, v, "expected [ipv6]:port");
    host = std::string(v.substr(1, close - 1));
    port_text = v.substr(close + 2);
  } else {
    const size_t colon = v.rfind(':');
    if (colon == absl::string_view::npos) return Bad(source, v, "expected host:port");
    host = std::string(v.substr(0, colon));
    port_text = v.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return Bad(source, v, "write IPv6 addresses as [addr]:port");
    }
  }
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return Bad(source, v, "the port must be a number from 0 to 65535");
  }
  if (host.empty()) host = "0.0.0.0";
  for (char ch : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' &&
        ch != ':') {
      return Bad(source, v, "the host must be an IP address or a host name");
    }
  }
  c->listen_host = host;
  c->listen_port = port;
  return absl::OkStatus();
}

absl::StatusOr<bool> ParseBool(absl::string_view source, absl::string_view v) {
  const std::string l = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v));
  if (l == "1" || l == "true" || l == "yes" || l == "on") return true;
  if (l == "0" || l == "false" || l == "no" || l == "off" || l.empty()) return false;
  return Bad(source, v, "expected true/false (1/0, yes/no, on/off)");
}

absl::Status Apply(const OptionSpec& o, absl::string_view source, absl::string_view v,
                   ServerConfig* c) {
  int64_t n = 0;
  absl::Duration d;
  bool b = false;
  switch (o.kind) {
    case Kind::kListen:
      return ParseListen(source, v, c);
    case Kind::kInt:
    case Kind::kBytes:
      if (!absl::SimpleAtoi(v, &n) || n < o.min || n > o.max) {
        return Bad(source, v, absl::StrCat("must be an integer from ", o.min, " to ", o.max));
      }
      break;
    case Kind::kDuration:
      if (!absl::ParseDuration(v, &d)) {
        int64_t secs = 0;
        if (!absl::SimpleAtoi(v, &secs)) {
          return Bad(source, v, "must be a duration such as 5s, 500ms or 2m");
        }
        d = absl::Seconds(secs);
      }
      if (d < absl::Seconds(o.min) || d > absl::Seconds(o.max)) {
        return Bad(source, v, absl::StrCat("must be from ", o.min, "s to ", o.max, "s"));
      }
      break;
    case Kind::kBool: {
      auto parsed = ParseBool(source, v);
      if (!parsed.ok()) return parsed.status();
      b = *parsed;
      break;
    }
    case Kind::kString:
      if (v.size() > 4096) return Bad(source, v.substr(0, 40), "is too long");
      break;
  }
  const absl::string_view f = o.flag;
  if (f == "database") {
    if (v.empty()) return Bad(source, v, "must not be empty");
    c->database_url = std::string(v);
  } else if (f == "database-replica") {
    // Several from the variable (comma-separated), one per flag; flags
    // replace what the variable gave.
    const bool from_flag = absl::StartsWith(source, "--");
    if (from_flag && !c->database_replicas_from_flags) c->database_replicas.clear();
    if (!from_flag) c->database_replicas.clear();
    c->database_replicas_from_flags = from_flag;
    std::vector<absl::string_view> urls;
    if (from_flag) {
      urls.push_back(v);
    } else {
      urls = absl::StrSplit(v, ',', absl::SkipWhitespace());
    }
    for (absl::string_view url : urls) {
      url = absl::StripAsciiWhitespace(url);
      if (!absl::StartsWith(url, "postgres://") && !absl::StartsWith(url, "postgresql://")) {
        return Bad(source, "(hidden)", "must be a postgres:// URL");
      }
      c->database_replicas.emplace_back(url);
    }
  } else if (f == "replica-max-lag") {
    if (d <= absl::ZeroDuration()) return Bad(source, v, "must be above 0 (such as 2s)");
    c->replica_max_lag = d;
  } else if (f == "read-your-writes-window") {
    c->read_your_writes_window = d;
  } else if (f == "metrics-listen") {
    if (absl::AsciiStrToLower(v) == "off") {
      c->metrics_listen_port = -1;
      return absl::OkStatus();
    }
    ServerConfig parsed;
    if (absl::Status st = ParseListen(source, v, &parsed); !st.ok()) return st;
    c->metrics_listen_host = parsed.listen_host;
    c->metrics_listen_port = parsed.listen_port;
  } else if (f == "redis") {
    if (!v.empty() && !absl::StartsWith(v, "redis://")) {
      return Bad(source, "(hidden)", "must be a redis://host:port/db URL");
    }
    c->redis_url = std::string(v);
  } else if (f == "redis-request-budget") {
    if (d <= absl::ZeroDuration()) return Bad(source, v, "must be above 0 (such as 10ms)");
    c->redis_request_budget = d;
  } else if (f == "cache-max-stale") {
    c->cache_max_stale = d;
  } else if (f == "smtp-url") {
    if (!v.empty() && !absl::StartsWith(v, "smtp://") && !absl::StartsWith(v, "smtps://")) {
      return Bad(source, "(hidden)", "must be an smtp:// or smtps:// URL");
    }
    c->smtp_url = std::string(v);
  } else if (f == "smtp-username") {
    c->smtp_username = std::string(v);
  } else if (f == "smtp-require-tls") {
    c->smtp_require_tls = b;
  } else if (f == "mail-dir") {
    if (v.empty()) return Bad(source, v, "must not be empty");
    c->mail_dir = std::string(v);
  } else if (f == "mail-from") {
    if (v.find('@') == absl::string_view::npos ||
        v.find_first_of("<>\r\n ") != absl::string_view::npos) {
      return Bad(source, v, "must be a plain address such as shop@example.com");
    }
    c->mail_from = std::string(v);
  } else if (f == "store-name") {
    if (v.empty() || v.size() > 100) return Bad(source, v, "must be 1 to 100 bytes");
    c->store_name = std::string(v);
  } else if (f == "public-url") {
    if (!absl::StartsWith(v, "http://") && !absl::StartsWith(v, "https://")) {
      return Bad(source, v, "must be an http:// or https:// URL");
    }
    c->public_url = std::string(absl::StripSuffix(v, "/"));
  } else if (f == "require-verified-email") {
    c->require_verified_email = b;
  } else if (f == "outbox-retry-base") {
    c->outbox_retry_base = d;
  } else if (f == "card-reservation") {
    c->card_reservation = d;
  } else if (f == "manual-reservation") {
    c->manual_reservation = d;
  } else if (f == "max-unpaid-per-buyer") {
    c->max_unpaid_per_buyer = static_cast<int>(n);
  } else if (f == "max-unpaid-per-address") {
    c->max_unpaid_per_address = static_cast<int>(n);
  } else if (f == "payment-sweep-interval") {
    c->payment_sweep_interval = d;
  } else if (f == "payments") {
    if (v == "manual") {
      c->payments = PaymentsKind::kManual;
    } else if (v == "stripe") {
      c->payments = PaymentsKind::kStripe;
    } else {
      return Bad(source, v, "must be manual or stripe");
    }
  } else if (f == "static-dir") {
    if (v.empty()) return Bad(source, v, "must not be empty");
    c->static_dir = std::string(v);
    c->static_dir_explicit = true;
  } else if (f == "threads") {
    c->threads = static_cast<int>(n);
  } else if (f == "max-queued") {
    c->max_queued = static_cast<int>(n);
  } else if (f == "db-pool-size") {
    c->db_pool_size = static_cast<int>(n);
  } else if (f == "facet-exact-limit") {
    c->facet_exact_limit = n;
  } else if (f == "max-body-bytes") {
    c->max_body_bytes = static_cast<size_t>(n);
  } else if (f == "max-header-bytes") {
    c->max_header_bytes = static_cast<size_t>(n);
  } else if (f == "max-headers") {
    c->max_headers = static_cast<int>(n);
  } else if (f == "read-timeout") {
    c->read_timeout = d;
  } else if (f == "write-timeout") {
    c->write_timeout = d;
  } else if (f == "keep-alive-timeout") {
    c->keep_alive_timeout = d;
  } else if (f == "header-timeout") {
    c->header_timeout = d;
  } else if (f == "request-timeout") {
    c->request_timeout = d;
  } else if (f == "response-timeout") {
    c->response_timeout = d;
  } else if (f == "max-connections") {
    c->max_connections = static_cast<int>(n);
  } else if (f == "max-connections-per-address") {
    c->max_connections_per_address = static_cast<int>(n);
  } else if (f == "trusted-proxies") {
    c->trusted_proxies.clear();
    for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
      c->trusted_proxies.emplace_back(absl::StripAsciiWhitespace(part));
    }
    ClientAddressOptions check;
    check.trusted_proxies = c->trusted_proxies;
    if (auto r = ClientAddressResolver::Create(check); !r.ok()) {
      return Bad(source, v, r.status().message());
    }
  } else if (f == "client-address-header") {
    ClientAddressOptions check;
    check.header = std::string(v);
    if (auto r = ClientAddressResolver::Create(check); !r.ok()) {
      return Bad(source, v, "must be a header name such as X-Forwarded-For");
    }
    c->client_address_header = std::string(v);
  } else if (f == "trusted-hops") {
    c->trusted_hops = static_cast<int>(n);
  } else if (f == "register-rate-per-address" || f == "register-rate-total") {
    if (auto r = ParseRate(v); !r.ok()) return Bad(source, v, r.status().message());
    (f == "register-rate-total" ? c->register_rate_total : c->register_rate_per_address) =
        std::string(v);
  } else if (f == "promote-existing") {
    c->promote_existing = b;
  } else if (f == "keep-alive-max-requests") {
    c->keep_alive_max_requests = static_cast<int>(n);
  } else if (f == "insecure-cookies") {
    c->insecure_cookies = b;
  } else if (f == "trust-tls-proxy") {
    c->trust_tls_proxy = b;
  } else if (f == "access-log") {
    if (v.empty()) return Bad(source, v, "must be stderr, stdout, off or a file path");
    c->access_log = std::string(v);
  } else if (f == "bench-hello") {
    c->bench_hello = b;
  } else if (f == "email") {
    c->admin_email = std::string(v);
  } else if (f == "force") {
    c->seed_force = b;
  } else if (f == "if-empty") {
    c->seed_force = !b;
  }
  return absl::OkStatus();
}

// The WATCHSTORE_STRIPE_* variables, read whatever --payments says (checked
// by CheckStripeKeys when it says stripe).
void ReadStripeEnvironment(const EnvLookup& env, ServerConfig* c) {
  c->stripe_secret_key = env("WATCHSTORE_STRIPE_SECRET_KEY").value_or("");
  c->stripe_webhook_secrets.clear();
  for (absl::string_view s :
       absl::StrSplit(env("WATCHSTORE_STRIPE_WEBHOOK_SECRET").value_or(""), ',')) {
    s = absl::StripAsciiWhitespace(s);
    if (!s.empty()) c->stripe_webhook_secrets.emplace_back(s);
  }
  c->stripe_publishable_key = std::string(
      absl::StripAsciiWhitespace(env("WATCHSTORE_STRIPE_PUBLISHABLE_KEY").value_or("")));
  c->stripe_api_base = env("WATCHSTORE_STRIPE_API_BASE").value_or("");
}

// The keys --payments=stripe needs, by their documented shapes; a message
// names the variable, never its value. (The API base is checked by the
// adapter itself when OpenPaymentProvider builds it.)
absl::Status CheckStripeKeys(const ServerConfig& c) {
  const std::string& sk = c.stripe_secret_key;
  if (!absl::StartsWith(sk, "sk_") && !absl::StartsWith(sk, "rk_")) {
    return absl::InvalidArgumentError(
        "--payments=stripe needs WATCHSTORE_STRIPE_SECRET_KEY, a secret (sk_...) or restricted "
        "(rk_...) API key");
  }
  if (c.stripe_webhook_secrets.empty()) {
    return absl::InvalidArgumentError(
        "--payments=stripe needs WATCHSTORE_STRIPE_WEBHOOK_SECRET, the webhook endpoint's "
        "signing secret (whsec_...; comma-separated during a rotation)");
  }
  for (const std::string& w : c.stripe_webhook_secrets) {
    if (!absl::StartsWith(w, "whsec_")) {
      return absl::InvalidArgumentError(
          "WATCHSTORE_STRIPE_WEBHOOK_SECRET: each secret starts with whsec_");
    }
  }
  const std::string& pk = c.stripe_publishable_key;
  if (!absl::StartsWith(pk, "pk_")) {
    return absl::InvalidArgumentError(
        "--payments=stripe needs WATCHSTORE_STRIPE_PUBLISHABLE_KEY, the publishable key "
        "(pk_...) for Stripe.js");
  }
  // Test keys with live keys take payments nobody can see in one dashboard.
  const bool sk_live = absl::StrContains(sk.substr(0, 8), "_live_");
  const bool pk_live = absl::StartsWith(pk, "pk_live_");
  if (sk_live != pk_live) {
    return absl::InvalidArgumentError(
        "WATCHSTORE_STRIPE_SECRET_KEY and WATCHSTORE_STRIPE_PUBLISHABLE_KEY are not both live "
        "or both test keys");
  }
  return absl::OkStatus();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const EnvLookup& env) {
  ServerConfig c;
  // Environment first, flags after: a flag wins.
  for (const OptionSpec& o : kOptions) {
    if (o.env == nullptr) continue;
    std::optional<std::string> v = env(o.env);
    if (!v.has_value()) continue;
    if (v->empty() && o.kind != Kind::kBool && absl::string_view(o.flag) != "redis") continue;
    if (absl::Status st = Apply(o, o.env, *v, &c); !st.ok()) return st;
  }
  if (std::optional<std::string> key = env("WATCHSTORE_SESSION_SEAL_KEY"); key && !key->empty()) {
    if (key->size() < 32) {
      return absl::InvalidArgumentError(
          "WATCHSTORE_SESSION_SEAL_KEY must be a secret of at least 32 characters (e.g. `openssl "
          "rand -hex 32`)");
    }
    c.session_seal_key = *key;
  }
  if (std::optional<std::string> pw = env("WATCHSTORE_SMTP_PASSWORD")) c.smtp_password = *pw;
  ReadStripeEnvironment(env, &c);
  bool have_command = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help" || a == "help") {
      c.command = Command::kHelp;
      return c;
    }
    if (a == "--version" || a == "version") {
      c.command = Command::kVersion;
      return c;
    }
    if (!absl::StartsWith(a, "--")) {
      if (have_command && c.command == Command::kOutbox) {
        c.outbox_args.push_back(a);
        continue;
      }
      if (have_command) {
        return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", a, "\""));
      }
      have_command = true;
      if (a == "serve") {
        c.command = Command::kServe;
      } else if (a == "migrate") {
        c.command = Command::kMigrate;
      } else if (a == "seed-demo") {
        c.command = Command::kSeedDemo;
      } else if (a == "create-admin") {
        c.command = Command::kCreateAdmin;
      } else if (a == "outbox") {
        c.command = Command::kOutbox;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown command \"", a, "\" (serve, migrate, seed-demo, create-admin, outbox, help)"));
      }
      continue;
    }
    absl::string_view body = absl::string_view(a).substr(2);
    std::string name, value;
    bool has_value = false;
    if (const size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = std::string(body.substr(0, eq));
      value = std::string(body.substr(eq + 1));
      has_value = true;
    } else {
      name = std::string(body);
    }
    if (name == "password") {
      return absl::InvalidArgumentError(
          "--password: passwords are never taken from the command line (other users can see "
          "it); pipe it to stdin or set WATCHSTORE_ADMIN_PASSWORD");
    }
    if (absl::StartsWith(name, "stripe-")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name,
          ": Stripe keys are never taken from the command line; set WATCHSTORE_STRIPE_SECRET_KEY, "
          "WATCHSTORE_STRIPE_WEBHOOK_SECRET and WATCHSTORE_STRIPE_PUBLISHABLE_KEY"));
    }
    if (name == "session-seal-key") {
      return absl::InvalidArgumentError(
          "--session-seal-key: secrets are never taken from the command line; set "
          "WATCHSTORE_SESSION_SEAL_KEY");
    }
    const OptionSpec* o = FindFlag(name);
    if (o == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (o->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
    }
    if (absl::Status st = Apply(*o, absl::StrCat("--", name), value, &c); !st.ok()) return st;
  }
  if (c.command == Command::kOutbox) {
    const auto& o = c.outbox_args;
    const bool ok = (o.size() == 1 && (o[0] == "list" || o[0] == "retry-all")) ||
                    (o.size() == 2 && o[0] == "retry");
    if (!ok) return absl::InvalidArgumentError("outbox needs: list | retry ID | retry-all");
  }
  if (c.command == Command::kCreateAdmin && c.admin_email.empty()) {
    return absl::InvalidArgumentError("create-admin needs --email");
  }
  if (c.promote_existing && c.command != Command::kCreateAdmin) {
    return absl::InvalidArgumentError("--promote-existing is a create-admin flag");
  }
  if (c.payments == PaymentsKind::kStripe) {
    if (absl::Status st = CheckStripeKeys(c); !st.ok()) return st;
  }
  if (!c.database_replicas.empty()) {
    if (!absl::StartsWith(c.database_url, "postgres://") &&
        !absl::StartsWith(c.database_url, "postgresql://")) {
      return absl::InvalidArgumentError(
          "--database-replica needs a PostgreSQL --database (replicas of SQLite do not exist)");
    }
    if (c.read_your_writes_window < ReplicaMaxStaleness(c)) {
      return absl::InvalidArgumentError(
          "--read-your-writes-window must be at least --replica-max-lag + 1s (a replica read "
          "may be that old: max lag + two 0.5s lag checks)");
    }
  }
  if (c.header_timeout > c.request_timeout) {
    return absl::InvalidArgumentError("--header-timeout must not exceed --request-timeout");
  }
  return c;
}

std::string UsageText() {
  std::string s =
      "Usage: watchstore-server [COMMAND] [FLAGS]\n"
      "\n"
      "The watch store's HTTP server: the JSON API under /api/v1, the storefront\n"
      "at / and /healthz, /readyz on --listen; /metrics on --metrics-listen.\n"
      "\n"
      "Commands:\n"
      "  serve                      run the server (default)\n"
      "  migrate                    apply the database migrations, then exit\n"
      "  seed-demo                  load the demo catalog if the catalog is empty\n"
      "  create-admin --email X     create a new admin account X (the password is read\n"
      "                             from stdin or WATCHSTORE_ADMIN_PASSWORD, never from\n"
      "                             the command line); refuses if X has an account\n"
      "  create-admin --email X --promote-existing\n"
      "                             make the existing account X an admin (anyone can\n"
      "                             register any email: check the account is yours)\n"
      "  outbox list                e-mails that gave up (dead letters), oldest first\n"
      "  outbox retry ID | retry-all\n"
      "                             send a dead e-mail (or all of them) again\n"
      "  help                       this text\n"
      "\n"
      "Flags (each also read from the environment variable shown; a flag wins):\n";
  for (const OptionSpec& o : kOptions) {
    std::string left = absl::StrCat("  --", o.flag, o.kind == Kind::kBool ? "" : "=V");
    // A flag longer than the column gets its help on the next line.
    if (left.size() < 29) {
      left.resize(29, ' ');
    } else {
      absl::StrAppend(&left, "\n", std::string(29, ' '));
    }
    absl::StrAppend(&s, left, o.help, "\n");
    if (o.env != nullptr) absl::StrAppend(&s, std::string(29, ' '), "[", o.env, "]\n");
  }
  absl::StrAppend(&s,
                  "\n"
                  "Durations: 5s, 500ms, 2m. Booleans in the environment: 1/0, true/false.\n"
                  "SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.\n");
  return s;
}

}  // namespace watchstore::http
