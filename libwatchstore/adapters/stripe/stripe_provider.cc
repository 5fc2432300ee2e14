#include "watchstore/stripe_provider.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "crypto.h"
#include "stripe/stripe_json.h"
#include "stripe/stripe_webhook.h"
#include "sync.h"
#include "watchstore/errors.h"

namespace watchstore {
namespace {

using stripe_internal::ParseObject;
using stripe_internal::ParsePaymentIntent;
using stripe_internal::ParseStripeError;
using stripe_internal::StripeError;

using FormParams = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded, every byte but RFC 3986's unreserved
// ones percent-encoded ("metadata[order_id]" -> "metadata%5Border_id%5D").
std::string FormEncode(const FormParams& params) {
  std::string out;
  auto append = [&out](absl::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
      if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    append(key);
    out.push_back('=');
    append(value);
  }
  return out;
}

// A Stripe object id ("pi_3Mt..."): `prefix` then letters, digits and '_'
// only, so it is safe in a URL path.
bool IsStripeId(absl::string_view id, absl::string_view prefix) {
  if (!absl::StartsWith(id, prefix) || id.size() <= prefix.size() || id.size() > 255) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// "https://..." or "http://" + a loopback host; no user-info.
bool IsAllowedApiBase(absl::string_view base) {
  absl::string_view rest = base;
  if (absl::ConsumePrefix(&rest, "https://")) return !rest.empty() && !absl::StrContains(rest, '@');
  if (!absl::ConsumePrefix(&rest, "http://")) return false;
  const absl::string_view authority = rest.substr(0, rest.find('/'));
  if (absl::StrContains(authority, '@')) return false;
  absl::string_view host = authority;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

struct HttpResult {
  bool reached = false;  // false: no HTTP response (network, timeout)
  std::string transport_error;
  long status = 0;
  std::string body;
  std::string should_retry;  // Stripe-Should-Retry: "true", "false" or ""
  bool too_large = false;
};

struct Sink {
  HttpResult* result;
  size_t limit;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  if (sink->result->body.size() + bytes > sink->limit) {
    sink->result->too_large = true;
    return 0;  // aborts the transfer
  }
  sink->result->body.append(data, bytes);
  return bytes;
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  HttpResult* result = static_cast<HttpResult*>(user);
  absl::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos &&
      absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                             "stripe-should-retry")) {
    result->should_retry =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

// The status for a response Stripe refused (docs/DESIGN.md has the table).
absl::Status StatusForResponse(const HttpResult& r) {
  if (r.status == 401 || r.status == 403) {
    return absl::InternalError("stripe rejected the API key");
  }
  const StripeError e = ParseStripeError(r.body);
  const std::string what =
      absl::StrCat("stripe: HTTP ", r.status, e.type.empty() ? "" : " ", e.type,
                   e.code.empty() ? "" : "/", e.code, e.message.empty() ? "" : ": ", e.message);
  if (r.status == 404 || e.code == "resource_missing") return absl::NotFoundError(what);
  if (r.status == 409 || r.status == 429 || r.status >= 500) return absl::UnavailableError(what);
  if (e.type == "idempotency_error") {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kIdempotencyMismatch, what);
  }
  // A parameter of ours Stripe rejects (it names it); otherwise Stripe
  // refuses the request as things stand (402 declined card, an intent in the
  // wrong state, a charge already refunded).
  if (r.status == 400 && !e.param.empty()) return absl::InvalidArgumentError(what);
  return absl::FailedPreconditionError(what);
}

bool IsRetryable(const HttpResult& r) {
  if (!r.reached) return true;
  if (r.should_retry == "false") return false;
  if (r.should_retry == "true") return true;
  return r.status == 409 || r.status == 429 || r.status >= 500;
}

class StripePaymentProvider final : public PaymentProvider {
 public:
  explicit StripePaymentProvider(StripeOptions options) : options_(std::move(options)) {
    while (absl::EndsWith(options_.api_base, "/")) options_.api_base.pop_back();
  }

  ~StripePaymentProvider() override {
    internal::MutexLock lock(&mu_);
    for (CURL* c : idle_) curl_easy_cleanup(c);
  }

  absl::string_view Name() const override { return "stripe"; }
  bool NotifiesPayment() const override { return true; }

  absl::StatusOr<ProviderPayment> CreatePayment(const CreatePaymentRequest& request) override {
    if (request.amount.minor_units <= 0) return InvalidField("amount", "must be positive");
    if (request.idempotency_key.empty() || request.idempotency_key.size() > 255) {
      return InvalidField("idempotency_key", "1 to 255 characters");
    }
    FormParams params = {
        {"amount", absl::StrCat(request.amount.minor_units)},
        {"currency", absl::AsciiStrToLower(request.amount.currency.code())},
        {"automatic_payment_methods[enabled]", "true"},
        {"metadata[order_id]", absl::StrCat(request.order_id)},
        {"metadata[order_number]", request.order_number},
    };
    if (!request.buyer_email.empty()) params.emplace_back("receipt_email", request.buyer_email);
    return IntentCall("/v1/payment_intents", &params, request.idempotency_key);
  }

  absl::StatusOr<ProviderPayment> GetPayment(absl::string_view reference) override {
    if (!IsStripeId(reference, "pi_")) return InvalidField("reference", "not a payment intent id");
    return IntentCall(
        absl::StrCat("/v1/payment_intents/", reference, "?expand%5B%5D=latest_charge"), nullptr,
        {});
  }

  absl::StatusOr<ProviderPayment> CancelPayment(absl::string_view reference) override {
    if (!IsStripeId(reference, "pi_")) return InvalidField("reference", "not a payment intent id");
    FormParams params = {{"expand[]", "latest_charge"}};
    return IntentCall(absl::StrCat("/v1/payment_intents/", reference, "/cancel"), &params,
                      absl::StrCat("watchstore-cancel-", reference));
  }

  absl::StatusOr<ProviderPayment> Refund(absl::string_view reference, const Money& amount,
                                         absl::string_view idempotency_key) override {
    if (!IsStripeId(reference, "pi_")) return InvalidField("reference", "not a payment intent id");
    if (amount.minor_units <= 0) return InvalidField("amount", "must be positive");
    if (idempotency_key.empty() || idempotency_key.size() > 255) {
      return InvalidField("idempotency_key", "1 to 255 characters");
    }
    // Stripe refunds in the intent's currency whatever we believe it is.
    absl::StatusOr<ProviderPayment> before = GetPayment(reference);
    if (!before.ok()) return before.status();
    if (before->amount.currency != amount.currency) {
      return InvalidField(
          "amount", absl::StrCat("the payment is in ", before->amount.currency.code(), ", not ",
                                 amount.currency.code()));
    }
    FormParams params = {{"payment_intent", std::string(reference)},
                         {"amount", absl::StrCat(amount.minor_units)}};
    absl::StatusOr<std::string> refund = Call("/v1/refunds", &params, idempotency_key);
    if (!refund.ok()) return refund.status();
    rapidjson::Document doc;
    if (!ParseObject(*refund, &doc).ok() ||
        stripe_internal::StringField(doc, "object") != "refund") {
      return absl::InternalError("stripe: the refund response is not a refund");
    }
    return GetPayment(reference);
  }

  absl::StatusOr<PaymentEvent> VerifyNotification(absl::string_view body,
                                                  absl::string_view signature_header,
                                                  absl::Time now) override {
    if (body.size() > options_.max_body_bytes) {
      return absl::InvalidArgumentError("stripe: notification too large");
    }
    if (absl::Status st = stripe_internal::VerifyStripeSignature(
            body, signature_header, options_.webhook_secrets, now, options_.tolerance);
        !st.ok()) {
      return st;
    }
    return stripe_internal::ParseStripeEvent(body);
  }

 private:
  // POST (params non-null) or GET `path`, the answer parsed as an intent.
  absl::StatusOr<ProviderPayment> IntentCall(absl::string_view path, const FormParams* params,
                                             absl::string_view idempotency_key) {
    absl::StatusOr<std::string> body = Call(path, params, idempotency_key);
    if (!body.ok()) return body.status();
    rapidjson::Document doc;
    absl::Status parsed = ParseObject(*body, &doc);
    absl::StatusOr<ProviderPayment> p =
        parsed.ok() ? ParsePaymentIntent(doc) : absl::StatusOr<ProviderPayment>(parsed);
    if (!p.ok()) {
      return absl::InternalError(
          absl::StrCat("stripe: unexpected response: ", p.status().message()));
    }
    return p;
  }

  // One API call with its retries: the 2xx body, or the mapped error.
  absl::StatusOr<std::string> Call(absl::string_view path, const FormParams* params,
                                   absl::string_view idempotency_key) {
    const std::string url = absl::StrCat(options_.api_base, path);
    const std::string form = params ? FormEncode(*params) : std::string();
    absl::Duration delay = options_.retry_delay;
    for (int attempt = 0;; ++attempt) {
      HttpResult r = Exchange(url, params ? &form : nullptr, idempotency_key);
      if (r.too_large) return absl::InternalError("stripe: response too large");
      if (r.reached && r.status >= 200 && r.status < 300) return std::move(r.body);
      if (attempt >= options_.max_retries || !IsRetryable(r)) {
        if (!r.reached) return absl::UnavailableError(absl::StrCat("stripe: ", r.transport_error));
        return StatusForResponse(r);
      }
      absl::SleepFor(delay);
      delay *= 2;
    }
  }

  HttpResult Exchange(const std::string& url, const std::string* form,
                      absl::string_view idempotency_key) {
    HttpResult r;
    CURL* c = AcquireHandle();
    if (c == nullptr) {
      r.transport_error = "curl_easy_init failed";
      return r;
    }
    Sink sink{&r, options_.max_body_bytes};
    curl_slist* headers = nullptr;
    const std::string auth = absl::StrCat("Authorization: Bearer ", options_.secret_key);
    headers = curl_slist_append(headers, auth.c_str());
    headers =
        curl_slist_append(headers, absl::StrCat("Stripe-Version: ", kStripeApiVersion).c_str());
    headers = curl_slist_append(headers, "Accept: application/json");
    if (form != nullptr) {
      headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
      headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
      headers =
          curl_slist_append(headers, absl::StrCat("Idempotency-Key: ", idempotency_key).c_str());
    }
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "watchstore-stripe/1");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout)));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &ReadHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    if (form != nullptr) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, form->c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(form->size()));
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK) {
      r.reached = true;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
      ReleaseHandle(c);
    } else {
      r.transport_error = absl::StrCat(curl_easy_strerror(rc), error[0] ? ": " : "", error);
      curl_easy_cleanup(c);  // a failed connection is not reused
    }
    return r;
  }

  CURL* AcquireHandle() {
    {
      internal::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        CURL* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    return curl_easy_init();
  }

  // Keeps the handle (and its live connection) for the next call.
  void ReleaseHandle(CURL* c) {
    curl_easy_reset(c);
    internal::MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(c);
      return;
    }
    curl_easy_cleanup(c);
  }

  static constexpr size_t kMaxIdleHandles = 16;
  StripeOptions options_;
  internal::Mutex mu_;
  std::vector<CURL*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<PaymentProvider>> NewStripePaymentProvider(
    const StripeOptions& options) {
  if (options.secret_key.empty()) return InvalidField("stripe_secret_key", "is required");
  for (char c : options.secret_key) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return InvalidField("stripe_secret_key", "must not contain spaces or control characters");
    }
  }
  if (options.webhook_secrets.empty()) {
    return InvalidField("stripe_webhook_secret", "at least one is required");
  }
  for (const std::string& s : options.webhook_secrets) {
    if (s.empty()) return InvalidField("stripe_webhook_secret", "must not be empty");
  }
  if (!IsAllowedApiBase(options.api_base)) {
    return InvalidField("stripe_api_base", "must be https:// (http:// only for a loopback host)");
  }
  if (options.tolerance <= absl::ZeroDuration() ||
      options.connect_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration() ||
      options.retry_delay < absl::ZeroDuration()) {
    return InvalidField("stripe_timeouts", "tolerance and timeouts must be positive");
  }
  if (options.max_retries < 0 || options.max_retries > 10) {
    return InvalidField("stripe_max_retries", "must be 0..10");
  }
  if (options.max_body_bytes < 1024) return InvalidField("stripe_max_body_bytes", "at least 1024");
  internal::EnsureSodium();
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::unique_ptr<PaymentProvider>(new StripePaymentProvider(options));
}

}  // namespace watchstore
