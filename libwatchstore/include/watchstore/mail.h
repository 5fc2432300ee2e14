// E-mail: what the store sends, how (Mailer), and the worker that delivers
// the outbox (watchstore/outbox.h) through a Mailer.
#ifndef WATCHSTORE_MAIL_H_
#define WATCHSTORE_MAIL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "watchstore/outbox.h"

namespace watchstore {

class Store;

// What the messages say and where their links point. Part of StoreOptions.
struct MailOptions {
  // Shown in every subject and signature.
  std::string store_name = "Watchstore";
  // Links in messages start with it: "<base>/reset-password.html#token=...".
  std::string public_base_url = "http://127.0.0.1:8080";
  // The From address.
  std::string from_address = "no-reply@watchstore.invalid";
  // Reset, verification and e-mail change links expire after this long.
  absl::Duration token_ttl = absl::Minutes(30);
  // Password reset requests per account and per client address within
  // reset_window; past it requests are accepted but send nothing (account)
  // or are refused with ResourceExhausted (address).
  int reset_requests_per_account = 3;
  int reset_requests_per_address = 10;
  absl::Duration reset_window = absl::Hours(1);
  // When true, Checkout refuses (FailedPrecondition reason email_unverified)
  // a buyer whose address is not verified.
  bool require_verified_email_for_checkout = false;
};

// Template names (OutboxDraft::kind).
namespace mail_kind {
inline constexpr absl::string_view kWelcome = "welcome";  // with a verification link
inline constexpr absl::string_view kPasswordReset = "password_reset";
inline constexpr absl::string_view kPasswordChanged = "password_changed";
inline constexpr absl::string_view kEmailChange = "email_change";  // to the new address
inline constexpr absl::string_view kEmailChangeNotice = "email_change_notice";  // to the old
inline constexpr absl::string_view kOrderPlaced = "order_placed";
inline constexpr absl::string_view kOrderPaid = "order_paid";
inline constexpr absl::string_view kOrderShipped = "order_shipped";
inline constexpr absl::string_view kOrderCancelled = "order_cancelled";
}  // namespace mail_kind

// A rendered message.
struct MailMessage {
  std::string message_id;  // "<...@...>", stable for an outbox row
  std::string from;
  std::string to;
  std::string subject;  // UTF-8
  std::string text;     // text/plain body
  std::string html;     // text/html body, self-contained (no remote resources)
  absl::Time date;
};

// The RFC 5322 form of `m`: headers (From, To, Subject encoded per RFC 2047,
// Date, Message-ID, MIME-Version) and a multipart/alternative body with the
// text and HTML parts, quoted-printable, CRLF line ends.
std::string ToMime(const MailMessage& m);

// Sends messages. Implementations are thread-safe.
class Mailer {
 public:
  Mailer() = default;
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;
  virtual ~Mailer() = default;

  // Hands `m` to the next hop. OK means accepted; Unavailable means try
  // again later; InvalidArgument means it never will be (a bad address).
  // Sending the same message_id twice may deliver it twice: receivers
  // deduplicate by Message-ID.
  virtual absl::Status Send(const MailMessage& m) = 0;
  // For logs: "file:/var/mail/out", "smtp://relay:587".
  virtual std::string Describe() const = 0;
};

// Writes each message as <dir>/<sanitized message id>.eml (the same
// Message-ID overwrites the same file). Creates `dir` and its parents if needed.
absl::StatusOr<std::unique_ptr<Mailer>> NewFileMailer(const std::string& dir);

struct OutboxWorkerOptions {
  // Messages claimed per pass.
  int batch_size = 16;
  // After this many failed attempts a message is dead (kept, not retried).
  int max_attempts = 8;
  // Back-off after the n-th failure: base * 2^(n-1), at most max_backoff.
  absl::Duration base_backoff = absl::Seconds(5);
  absl::Duration max_backoff = absl::Hours(1);
  // A claimed message is not handed to another worker before this; longer
  // than a Send can take.
  absl::Duration lease = absl::Minutes(2);
  // Pause between passes of the background thread when there was nothing to do.
  absl::Duration poll_interval = absl::Seconds(1);
};

// Renders an outbox message with the store's MailOptions (reading the order
// for order e-mails).
absl::StatusOr<MailMessage> RenderOutboxMessage(Store& store, const OutboxMessage& m);

// Delivers the store's outbox through a Mailer. Thread-safe; any number of
// workers, in any number of processes, may share one storage.
class OutboxWorker {
 public:
  // Neither is owned; both must outlive the worker.
  OutboxWorker(Store* store, Mailer* mailer, const OutboxWorkerOptions& options);
  ~OutboxWorker();  // Stop()s
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  // One pass: claims due messages, sends each, records the outcome.
  // Returns how many were sent.
  absl::StatusOr<int> RunOnce();
  // Runs passes on a background thread until Stop().
  void Start();
  void Stop();
  // The back-off after the `attempts`-th failed attempt.
  absl::Duration BackoffAfter(int attempts) const;
  // Failed sends since construction.
  int64_t failures() const { return failures_.load(); }

 private:
  Store* const store_;
  Mailer* const mailer_;
  const OutboxWorkerOptions options_;
  std::atomic<int64_t> failures_{0};
  std::unique_ptr<absl::Notification> stop_;
  std::thread thread_;
};

}  // namespace watchstore

#endif  // WATCHSTORE_MAIL_H_
