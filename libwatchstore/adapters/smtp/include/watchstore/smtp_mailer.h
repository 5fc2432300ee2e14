// A Mailer that speaks SMTP through libcurl (watchstore::smtp).
#ifndef WATCHSTORE_SMTP_MAILER_H_
#define WATCHSTORE_SMTP_MAILER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/mail.h"

namespace watchstore {

struct SmtpOptions {
  // smtp://host:port (STARTTLS when require_tls) or smtps://host:port
  // (implicit TLS). Credentials may be given in the URL's user-info or below.
  std::string url;
  std::string username;  // AUTH when non-empty
  std::string password;
  // Refuse to send unless the connection is encrypted (STARTTLS on smtp://).
  bool require_tls = false;
  absl::Duration connect_timeout = absl::Seconds(10);
  // Bound on one whole message exchange.
  absl::Duration command_timeout = absl::Seconds(30);
};

// InvalidArgument for a URL that is not smtp:// or smtps://. Sending never
// blocks past the timeouts; a refused or unreachable server is Unavailable,
// a recipient the server rejects for good (5xx) is InvalidArgument.
absl::StatusOr<std::unique_ptr<Mailer>> NewSmtpMailer(const SmtpOptions& options);

}  // namespace watchstore

#endif  // WATCHSTORE_SMTP_MAILER_H_
