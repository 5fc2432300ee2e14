// Rendering, MIME, the file mailer and the outbox worker.
#include "watchstore/mail.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "crypto.h"
#include "mail_payload.h"
#include "watchstore/errors.h"
#include "watchstore/money.h"
#include "watchstore/status_macros.h"
#include "watchstore/store.h"

namespace watchstore {
namespace internal {

std::string EncodePayload(const PayloadFields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    std::string clean = v;
    for (char& c : clean) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    absl::StrAppend(&out, k, "=", clean, "\n");
  }
  return out;
}

absl::flat_hash_map<std::string, std::string> DecodePayload(absl::string_view payload) {
  absl::flat_hash_map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(payload, '\n', absl::SkipEmpty())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  return out;
}

OutboxDraft NewDraft(absl::string_view kind, absl::string_view recipient,
                     const PayloadFields& fields, absl::Time now) {
  OutboxDraft d;
  d.message_id = absl::StrCat("<", Sha256Hex(NewRandomToken()).substr(0, 32), "@watchstore>");
  d.kind = std::string(kind);
  d.recipient = std::string(recipient);
  d.payload = EncodePayload(fields);
  d.created_at = now;
  return d;
}

}  // namespace internal

namespace {

std::string HtmlEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Base64(absl::string_view in) {
  internal::EnsureSodium();
  std::string out(sodium_base64_encoded_len(in.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
                    in.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// RFC 2047 for a header value with anything but printable ASCII.
std::string EncodeHeader(absl::string_view v) {
  bool plain = std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (plain) return std::string(v);
  return absl::StrCat("=?UTF-8?B?", Base64(v), "?=");
}

// Quoted-printable (RFC 2045), CRLF line ends, soft breaks before 76.
std::string QuotedPrintable(absl::string_view body) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto put = [&](absl::string_view piece) {
    if (col + piece.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out.append(piece.data(), piece.size());
    col += piece.size();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == '\n') {
      out += "\r\n";
      col = 0;
      continue;
    }
    if (c == '\r') continue;
    const bool at_eol = i + 1 == body.size() || body[i + 1] == '\n';
    if ((c >= 33 && c <= 126 && c != '=') || (c == ' ' && !at_eol)) {
      put(absl::string_view(reinterpret_cast<const char*>(&body[i]), 1));
    } else {
      const char enc[3] = {'=', kHex[c >> 4], kHex[c & 15]};
      put(absl::string_view(enc, 3));
    }
  }
  return out;
}

struct Rendered {
  std::string subject;
  std::string text;
  std::string html;  // the body's content, wrapped by Page()
};

std::string Page(absl::string_view store, absl::string_view title, absl::string_view body) {
  return absl::StrCat(
      "<!DOCTYPE html>\r\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>",
      HtmlEscape(title),
      "</title></head>\r\n<body style=\"font-family:sans-serif;max-width:40em;margin:auto\">\r\n"
      "<h1 style=\"font-size:1.3em\">",
      HtmlEscape(store), "</h1>\r\n", body, "\r\n<p style=\"color:#666\">", HtmlEscape(store),
      "</p>\r\n</body></html>\r\n");
}

std::string Link(absl::string_view url, absl::string_view label) {
  return absl::StrCat("<p><a href=\"", HtmlEscape(url), "\">", HtmlEscape(label), "</a></p>");
}

std::string OrderText(const Order& o) {
  std::string s;
  for (const OrderLine& l : o.lines) {
    absl::StrAppend(&s, "  ", l.quantity, " x ", l.title, " (", l.sku, ")  ",
                    FormatMoney(l.line_total), "\n");
  }
  absl::StrAppend(&s, "Total: ", FormatMoney(o.total), "\n\nShipping to:\n  ", o.shipping.name,
                  "\n  ", o.shipping.line1, "\n");
  if (!o.shipping.line2.empty()) absl::StrAppend(&s, "  ", o.shipping.line2, "\n");
  absl::StrAppend(&s, "  ", o.shipping.postal_code, " ", o.shipping.city, "\n  ",
                  o.shipping.country, "\n");
  return s;
}

std::string OrderHtml(const Order& o) {
  std::string s = "<table><tr><th>Item</th><th>Qty</th><th>Price</th></tr>";
  for (const OrderLine& l : o.lines) {
    absl::StrAppend(&s, "<tr><td>", HtmlEscape(l.title), " (", HtmlEscape(l.sku), ")</td><td>",
                    l.quantity, "</td><td>", HtmlEscape(FormatMoney(l.line_total)), "</td></tr>");
  }
  absl::StrAppend(&s, "</table><p><strong>Total: ", HtmlEscape(FormatMoney(o.total)),
                  "</strong></p><p>Shipping to:<br>", HtmlEscape(o.shipping.name), "<br>",
                  HtmlEscape(o.shipping.line1), "<br>");
  if (!o.shipping.line2.empty()) absl::StrAppend(&s, HtmlEscape(o.shipping.line2), "<br>");
  absl::StrAppend(&s, HtmlEscape(o.shipping.postal_code), " ", HtmlEscape(o.shipping.city), "<br>",
                  HtmlEscape(o.shipping.country), "</p>");
  return s;
}

absl::StatusOr<Rendered> RenderBody(Store& store, const OutboxMessage& m) {
  const MailOptions& opt = store.options().mail;
  const std::string& store_name = opt.store_name;
  auto data = internal::DecodePayload(m.draft.payload);
  const std::string& kind = m.draft.kind;
  auto link = [&](absl::string_view page) {
    return absl::StrCat(opt.public_base_url, "/", page, "#token=", data["token"]);
  };
  Rendered r;
  if (kind == mail_kind::kWelcome) {
    const std::string url = link("verify-email.html");
    r.subject = absl::StrCat("Welcome to ", store_name, ": confirm your email address");
    r.text = absl::StrCat("Welcome to ", store_name,
                          ".\n\nConfirm your email address by opening this link:\n", url,
                          "\n\nThe link works once and expires in 30 minutes.\n");
    r.html = absl::StrCat("<p>Welcome to ", HtmlEscape(store_name),
                          ".</p><p>Confirm your email address:</p>",
                          Link(url, "Confirm my email address"),
                          "<p>The link works once and expires in 30 minutes.</p>");
  } else if (kind == mail_kind::kPasswordReset) {
    const std::string url = link("reset-password.html");
    r.subject = absl::StrCat(store_name, ": reset your password");
    r.text = absl::StrCat("Someone asked to reset the password of your ", store_name,
                          " account.\nTo choose a new password, open:\n", url,
                          "\n\nThe link works once and expires in 30 minutes. If you did not "
                          "ask, ignore this message.\n");
    r.html = absl::StrCat("<p>Someone asked to reset the password of your ", HtmlEscape(store_name),
                          " account.</p>", Link(url, "Choose a new password"),
                          "<p>The link works once and expires in 30 minutes. If you did not "
                          "ask, ignore this message.</p>");
  } else if (kind == mail_kind::kPasswordChanged) {
    r.subject = absl::StrCat(store_name, ": your password was changed");
    r.text =
        "The password of your account was changed and every other session was signed "
        "out.\nIf this was not you, reset your password now.\n";
    r.html = absl::StrCat("<p>", HtmlEscape(r.text), "</p>");
  } else if (kind == mail_kind::kEmailChange) {
    const std::string url = link("verify-email.html");
    r.subject = absl::StrCat(store_name, ": confirm your new email address");
    r.text = absl::StrCat("Confirm that this is the new email address of your ", store_name,
                          " account:\n", url, "\n\nThe link expires in 30 minutes.\n");
    r.html = absl::StrCat("<p>Confirm that this is the new email address of your ",
                          HtmlEscape(store_name), " account.</p>",
                          Link(url, "Confirm my new email address"));
  } else if (kind == mail_kind::kEmailChangeNotice) {
    r.subject = absl::StrCat(store_name, ": your email address is changing");
    r.text = absl::StrCat("A change of your account's email address to ", data["new_email"],
                          " was requested. It takes effect when the link sent there is "
                          "opened.\nIf this was not you, change your password now.\n");
    r.html = absl::StrCat("<p>", HtmlEscape(r.text), "</p>");
  } else if (absl::StartsWith(kind, "order_")) {
    WS_ASSIGN_OR_RETURN(Order o, store.storage().GetOrder(m.draft.order_id));
    if (kind == mail_kind::kOrderPlaced) {
      r.subject = absl::StrCat(store_name, ": order ", o.number, " received");
      r.text = absl::StrCat("Thank you for your order ", o.number, ".\n\n", OrderText(o));
      r.html =
          absl::StrCat("<p>Thank you for your order ", HtmlEscape(o.number), ".</p>", OrderHtml(o));
      if (!data["token"].empty()) {
        // A guest's way back to the order (its payment, cancelling it).
        const std::string url = link("order.html");
        absl::StrAppend(&r.text, "\nFollow, pay or cancel your order here:\n", url,
                        "\n\nKeep this link private: it opens your order without an account.\n");
        absl::StrAppend(&r.html, Link(url, "See your order"),
                        "<p>Keep this link private: it opens your order without an account.</p>");
      }
    } else if (kind == mail_kind::kOrderPaid) {
      r.subject = absl::StrCat(store_name, ": payment received for ", o.number);
      r.text = absl::StrCat("We received the payment for order ", o.number,
                            ". We will let you know when it ships.\n\n", OrderText(o));
      r.html = absl::StrCat("<p>We received the payment for order ", HtmlEscape(o.number), ".</p>",
                            OrderHtml(o));
    } else if (kind == mail_kind::kOrderShipped) {
      std::string tracking;
      if (!data["tracking_number"].empty()) {
        tracking = absl::StrCat("Carrier: ", data["carrier"],
                                "\nTracking number: ", data["tracking_number"], "\n");
      }
      r.subject = absl::StrCat(store_name, ": order ", o.number, " has shipped");
      r.text = absl::StrCat("Order ", o.number, " is on its way.\n", tracking, "\n", OrderText(o));
      r.html = absl::StrCat(
          "<p>Order ", HtmlEscape(o.number), " is on its way.</p>",
          tracking.empty() ? "" : absl::StrCat("<pre>", HtmlEscape(tracking), "</pre>"),
          OrderHtml(o));
    } else if (kind == mail_kind::kOrderCancelled) {
      r.subject = absl::StrCat(store_name, ": order ", o.number, " was cancelled");
      r.text = absl::StrCat("Order ", o.number, " was cancelled.\n\n", OrderText(o));
      r.html = absl::StrCat("<p>Order ", HtmlEscape(o.number), " was cancelled.</p>", OrderHtml(o));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown mail kind ", kind));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown mail kind ", kind));
  }
  absl::StrAppend(&r.text, "\n-- \n", store_name, "\n");
  r.html = Page(store_name, r.subject, r.html);
  return r;
}

class FileMailer final : public Mailer {
 public:
  explicit FileMailer(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Send(const MailMessage& m) override {
    std::string name;
    for (char c : m.message_id) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '@')
        name += c;
    }
    if (name.empty()) return absl::InvalidArgumentError("message has no Message-ID");
    const std::string path = absl::StrCat(dir_, "/", name, ".eml");
    const std::string tmp = absl::StrCat(path, ".tmp");
    const std::string mime = ToMime(m);
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
    const bool wrote = std::fwrite(mime.data(), 1, mime.size(), f) == mime.size();
    const bool closed = std::fclose(f) == 0;
    if (!wrote || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
      std::remove(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("cannot write ", path));
    }
    return absl::OkStatus();
  }
  std::string Describe() const override { return absl::StrCat("file:", dir_); }

 private:
  const std::string dir_;
};

}  // namespace

std::string ToMime(const MailMessage& m) {
  const std::string boundary =
      absl::StrCat("=_ws_", internal::Sha256Hex(m.message_id).substr(0, 24));
  std::string out;
  absl::StrAppend(
      &out, "From: ", m.from, "\r\nTo: ", m.to, "\r\nSubject: ", EncodeHeader(m.subject),
      "\r\nDate: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", m.date, absl::UTCTimeZone()),
      "\r\nMessage-ID: ", m.message_id,
      "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"", boundary,
      "\"\r\n\r\n");
  absl::StrAppend(&out, "--", boundary,
                  "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                  QuotedPrintable(m.text), "\r\n");
  absl::StrAppend(&out, "--", boundary,
                  "\r\nContent-Type: text/html; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                  QuotedPrintable(m.html), "\r\n--", boundary, "--\r\n");
  return out;
}

absl::StatusOr<std::unique_ptr<Mailer>> NewFileMailer(const std::string& dir) {
  if (dir.empty()) return InvalidField("mail_dir", "a directory is required");
  // Like mkdir -p: every missing parent too.
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string part = dir.substr(0, slash);
    if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot create mail directory ", part, ": ", std::strerror(errno)));
    }
    if (slash == std::string::npos) break;
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("mail directory ", dir, " is not writable"));
  }
  return std::unique_ptr<Mailer>(new FileMailer(dir));
}

absl::StatusOr<MailMessage> RenderOutboxMessage(Store& store, const OutboxMessage& m) {
  WS_ASSIGN_OR_RETURN(Rendered r, RenderBody(store, m));
  MailMessage out;
  out.message_id = m.draft.message_id;
  out.from = store.options().mail.from_address;
  out.to = m.draft.recipient;
  out.subject = std::move(r.subject);
  out.text = std::move(r.text);
  out.html = std::move(r.html);
  out.date = m.draft.created_at;
  return out;
}

OutboxWorker::OutboxWorker(Store* store, Mailer* mailer, const OutboxWorkerOptions& options)
    : store_(store), mailer_(mailer), options_(options) {}

OutboxWorker::~OutboxWorker() { Stop(); }

absl::Duration OutboxWorker::BackoffAfter(int attempts) const {
  absl::Duration d = options_.base_backoff;
  for (int i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

absl::StatusOr<int> OutboxWorker::RunOnce() {
  const Clock* clock = store_->options().clock ? store_->options().clock : RealClock();
  Storage& storage = store_->storage();
  WS_ASSIGN_OR_RETURN(std::vector<OutboxMessage> claimed,
                      storage.ClaimOutbox(clock->Now(), options_.batch_size, options_.lease));
  int sent = 0;
  for (const OutboxMessage& m : claimed) {
    auto rendered = RenderOutboxMessage(*store_, m);
    absl::Status st = rendered.ok() ? mailer_->Send(*rendered) : rendered.status();
    const absl::Time now = clock->Now();
    if (st.ok()) {
      WS_RETURN_IF_ERROR(storage.MarkOutboxSent(m.id, now));
      ++sent;
      continue;
    }
    failures_.fetch_add(1);
    // A message that can never render or be accepted goes dead at once.
    const bool permanent = absl::IsInvalidArgument(st) || absl::IsNotFound(st);
    const bool dead = permanent || m.attempts >= options_.max_attempts;
    WS_RETURN_IF_ERROR(storage.MarkOutboxFailed(m.id, now + BackoffAfter(m.attempts),
                                                st.ToString().substr(0, 500), dead));
  }
  return sent;
}

void OutboxWorker::Start() {
  if (thread_.joinable()) return;
  stop_ = std::make_unique<absl::Notification>();
  thread_ = std::thread([this] {
    while (!stop_->HasBeenNotified()) {
      auto sent = RunOnce();
      // A full batch means more may be due: go again at once.
      if (sent.ok() && *sent >= options_.batch_size) continue;
      stop_->WaitForNotificationWithTimeout(options_.poll_interval);
    }
  });
}

void OutboxWorker::Stop() {
  if (!thread_.joinable()) return;
  stop_->Notify();
  thread_.join();
}

}  // namespace watchstore
