#include "watchstore/smtp_mailer.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"

namespace watchstore {
namespace {

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  Upload* up = static_cast<Upload*>(user);
  const size_t room = size * nitems;
  const size_t left = up->data->size() - up->offset;
  const size_t n = std::min(room, left);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

// "<a@b>" for an address.
std::string Angle(absl::string_view address) { return absl::StrCat("<", address, ">"); }

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpOptions options) : options_(std::move(options)) {}

  absl::Status Send(const MailMessage& m) override {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return absl::UnavailableError("smtp: curl_easy_init failed");
    CURL* c = curl.get();
    const std::string body = ToMime(m);
    Upload upload{&body};
    const std::string from = Angle(m.from);
    struct curl_slist* rcpt = curl_slist_append(nullptr, Angle(m.to).c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt,
                                                                           curl_slist_free_all);
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.command_timeout)));
    curl_easy_setopt(c, CURLOPT_USE_SSL, options_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
    if (!options_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) return absl::OkStatus();
    long response = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response);
    const std::string why =
        absl::StrCat("smtp: ", curl_easy_strerror(rc), error[0] ? ": " : "", error,
                     response ? absl::StrCat(" (server said ", response, ")") : "");
    // A permanent refusal of the recipient will not change by retrying.
    if (rc == CURLE_SEND_ERROR && response >= 550 && response <= 553) {
      return absl::InvalidArgumentError(why);
    }
    return absl::UnavailableError(why);
  }

  std::string Describe() const override {
    // Never the credentials: scheme, host and port only.
    const size_t at = options_.url.find('@');
    const size_t scheme = options_.url.find("://");
    if (at != std::string::npos && scheme != std::string::npos && at > scheme) {
      return absl::StrCat(options_.url.substr(0, scheme + 3), options_.url.substr(at + 1));
    }
    return options_.url;
  }

 private:
  const SmtpOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Mailer>> NewSmtpMailer(const SmtpOptions& options) {
  if (!absl::StartsWith(options.url, "smtp://") && !absl::StartsWith(options.url, "smtps://")) {
    return InvalidField("smtp_url", "must start with smtp:// or smtps://");
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.command_timeout <= absl::ZeroDuration()) {
    return InvalidField("smtp_timeout", "timeouts must be positive");
  }
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::unique_ptr<Mailer>(new SmtpMailer(options));
}

}  // namespace watchstore
