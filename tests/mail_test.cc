// The e-mail flows of the library with a fake clock and a recording Mailer:
// token expiry and single use, the outbox worker's back-off and dead letter,
// MIME output. The same flows over HTTP with a real SMTP server:
// tests/mail/mail_e2e_test.py.
#include <regex>
#include <string>
#include <vector>

#include "service_fixture.h"
#include "watchstore/mail.h"

namespace watchstore::testing {
namespace {

constexpr char kPassword[] = "correct horse battery";

// Records every message; fails the next `fail_next` sends with Unavailable.
class RecordingMailer final : public Mailer {
 public:
  absl::Status Send(const MailMessage& m) override {
    if (fail_next > 0) {
      --fail_next;
      return absl::UnavailableError("relay down");
    }
    sent.push_back(m);
    return absl::OkStatus();
  }
  std::string Describe() const override { return "recording"; }
  std::vector<MailMessage> sent;
  int fail_next = 0;
};

class MailTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    OutboxWorkerOptions o;
    o.max_attempts = 3;
    o.base_backoff = absl::Seconds(10);
    worker_ = std::make_unique<OutboxWorker>(store_.get(), &mailer_, o);
  }
  void Deliver() { WS_ASSERT_OK(worker_->RunOnce()); }
  std::string TokenIn(const MailMessage& m) {
    std::smatch match;
    EXPECT_TRUE(std::regex_search(m.text, match, std::regex("#token=([A-Za-z0-9_-]+)"))) << m.text;
    return match.size() > 1 ? match[1].str() : "";
  }

  RecordingMailer mailer_;
  std::unique_ptr<OutboxWorker> worker_;
};

TEST_F(MailTest, ResetTokenExpiresAfterThirtyMinutesAndWorksOnce) {
  WS_ASSERT_OK(store_->accounts().Register("carol@example.com", kPassword));
  WS_ASSERT_OK(store_->accounts().RequestPasswordReset("carol@example.com", "1.2.3.4"));
  WS_ASSERT_OK(store_->accounts().RequestPasswordReset("carol@example.com", "1.2.3.4"));
  Deliver();
  ASSERT_EQ(mailer_.sent.size(), 3u);  // welcome + two resets
  const std::string first = TokenIn(mailer_.sent[1]);
  const std::string second = TokenIn(mailer_.sent[2]);
  EXPECT_NE(first, second);
  EXPECT_EQ(first.size(), 43u);  // 256 bits, base64url

  clock_.Advance(absl::Minutes(30));
  WS_EXPECT_REASON(store_->accounts().ResetPassword(first, "a new long passphrase"),
                   absl::StatusCode::kFailedPrecondition, reason::kTokenExpired);
  clock_.Advance(-absl::Minutes(1));
  WS_EXPECT_REASON(store_->accounts().ResetPassword(first, "short"),
                   absl::StatusCode::kInvalidArgument, reason::kValidation);
  WS_ASSERT_OK(store_->accounts().ResetPassword(first, "a new long passphrase"));
  WS_EXPECT_REASON(store_->accounts().ResetPassword(first, "another long passphrase"),
                   absl::StatusCode::kFailedPrecondition, reason::kTokenUsed);
  WS_EXPECT_REASON(store_->accounts().ResetPassword("not-a-token", "another long passphrase"),
                   absl::StatusCode::kNotFound, reason::kTokenInvalid);
  std::string tampered = second;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  WS_EXPECT_REASON(store_->accounts().ResetPassword(tampered, "another long passphrase"),
                   absl::StatusCode::kNotFound, reason::kTokenInvalid);
  WS_EXPECT_OK(store_->accounts().Login("carol@example.com", "a new long passphrase", "1.2.3.4"));
}

TEST_F(MailTest, UnknownAddressGetsTheSameReplyAndNoMail) {
  WS_ASSERT_OK(store_->accounts().RequestPasswordReset("nobody@example.com", "1.2.3.4"));
  Deliver();
  EXPECT_TRUE(mailer_.sent.empty());
  WS_EXPECT_CODE(store_->accounts().RequestPasswordReset("not an email", "1.2.3.4"),
                 absl::StatusCode::kInvalidArgument);
}

TEST_F(MailTest, ResetRequestsAreLimitedPerAccountAndPerAddress) {
  WS_ASSERT_OK(store_->accounts().Register("carol@example.com", kPassword));
  for (int i = 0; i < 10; ++i) {
    WS_ASSERT_OK(
        store_->accounts().RequestPasswordReset("carol@example.com", absl::StrCat("10.0.0.", i)));
  }
  Deliver();
  EXPECT_EQ(mailer_.sent.size(), 1u + 3u);  // welcome + 3 resets, then silence
  for (int i = 0; i < 10; ++i) {
    WS_ASSERT_OK(
        store_->accounts().RequestPasswordReset(absl::StrCat("x", i, "@example.com"), "9.9.9.9"));
  }
  WS_EXPECT_REASON(store_->accounts().RequestPasswordReset("y@example.com", "9.9.9.9"),
                   absl::StatusCode::kResourceExhausted, reason::kThrottled);
  clock_.Advance(absl::Hours(1));
  WS_EXPECT_OK(store_->accounts().RequestPasswordReset("y@example.com", "9.9.9.9"));
}

TEST_F(MailTest, VerificationAndEmailChange) {
  WS_ASSERT_OK(store_->accounts().Register("carol@example.com", kPassword));
  Deliver();
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].to, "carol@example.com");
  WS_ASSERT_OK_AND_ASSIGN(User verified, store_->accounts().ConfirmEmail(TokenIn(mailer_.sent[0])));
  EXPECT_TRUE(verified.email_verified_at.has_value());
  WS_ASSERT_OK_AND_ASSIGN(LoginResult login,
                          store_->accounts().Login("carol@example.com", kPassword, "1.2.3.4"));
  // Taken address: the same OK, nothing sent.
  WS_ASSERT_OK(
      store_->accounts().RequestEmailChange(login.principal, kPassword, "alice@example.com"));
  WS_EXPECT_REASON(
      store_->accounts().RequestEmailChange(login.principal, "wrong password!!", "c2@example.com"),
      absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials);
  Deliver();
  EXPECT_EQ(mailer_.sent.size(), 1u);
  WS_ASSERT_OK(
      store_->accounts().RequestEmailChange(login.principal, kPassword, "Carol2@Example.com"));
  Deliver();
  ASSERT_EQ(mailer_.sent.size(), 3u);
  EXPECT_EQ(mailer_.sent[1].to, "carol2@example.com");
  EXPECT_EQ(mailer_.sent[2].to, "carol@example.com");  // the notice to the old address
  EXPECT_NE(mailer_.sent[2].text.find("carol2@example.com"), std::string::npos);
  WS_ASSERT_OK_AND_ASSIGN(User changed, store_->accounts().ConfirmEmail(TokenIn(mailer_.sent[1])));
  EXPECT_EQ(changed.email, "carol2@example.com");
  WS_EXPECT_OK(store_->accounts().Login("carol2@example.com", kPassword, "1.2.3.4"));
}

TEST_F(MailTest, ChangePasswordRevokesOtherSessionsAndRotatesThisOne) {
  WS_ASSERT_OK(store_->accounts().Register("carol@example.com", kPassword));
  WS_ASSERT_OK_AND_ASSIGN(LoginResult a,
                          store_->accounts().Login("carol@example.com", kPassword, "1.2.3.4"));
  WS_ASSERT_OK_AND_ASSIGN(LoginResult b,
                          store_->accounts().Login("carol@example.com", kPassword, "1.2.3.4"));
  WS_ASSERT_OK(store_->accounts().Authenticate(b.token));  // now cached
  WS_EXPECT_REASON(store_->accounts().ChangePassword(a.token, "wrong password!!", "new long pass"),
                   absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials);
  WS_EXPECT_CODE(store_->accounts().ChangePassword(a.token, kPassword, "short"),
                 absl::StatusCode::kInvalidArgument);
  WS_ASSERT_OK_AND_ASSIGN(LoginResult fresh,
                          store_->accounts().ChangePassword(a.token, kPassword, "new long pass!"));
  WS_EXPECT_CODE(store_->accounts().Authenticate(a.token), absl::StatusCode::kUnauthenticated);
  WS_EXPECT_CODE(store_->accounts().Authenticate(b.token), absl::StatusCode::kUnauthenticated);
  WS_EXPECT_OK(store_->accounts().Authenticate(fresh.token));
}

TEST_F(MailTest, FailedSendsBackOffExponentiallyThenGoDead) {
  WS_ASSERT_OK(store_->accounts().Register("carol@example.com", kPassword));
  mailer_.fail_next = 100;
  Deliver();  // attempt 1 fails: retry in 10 s
  EXPECT_EQ(worker_->BackoffAfter(1), absl::Seconds(10));
  EXPECT_EQ(worker_->BackoffAfter(2), absl::Seconds(20));
  clock_.Advance(absl::Seconds(9));
  Deliver();
  EXPECT_EQ(mailer_.fail_next, 99) << "not retried before its back-off";
  clock_.Advance(absl::Seconds(1));
  Deliver();  // attempt 2 fails: retry in 20 s
  EXPECT_EQ(mailer_.fail_next, 98);
  clock_.Advance(absl::Seconds(20));
  Deliver();  // attempt 3 fails: dead
  EXPECT_EQ(mailer_.fail_next, 97);
  WS_ASSERT_OK_AND_ASSIGN(auto dead, store_->storage().ListOutbox(OutboxState::kDead, 10));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].attempts, 3);
  clock_.Advance(absl::Hours(2));
  Deliver();
  EXPECT_EQ(mailer_.fail_next, 97) << "a dead message is not retried";
  EXPECT_EQ(worker_->failures(), 3);
  // Requeued by an operator, it goes out once the relay is back.
  mailer_.fail_next = 0;
  WS_ASSERT_OK(store_->storage().RequeueOutbox(dead[0].id, clock_.Now()));
  Deliver();
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].message_id, dead[0].draft.message_id);
}

TEST_F(MailTest, OrderMailsCarryLinesTotalsAddressAndTracking) {
  auto watch = AddWatch("OM", 1234'50, 5);
  WS_ASSERT_OK(
      store_->carts().AddItem(store_->carts().UserOwner(alice_), watch->variants[0].id, 2));
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult placed, store_->orders().Checkout(alice_, Checkout("k")));
  WS_ASSERT_OK(store_->orders().TransitionOrder(admin_, placed.order.id, OrderStatus::kPaid));
  WS_EXPECT_CODE(store_->orders().ShipOrder(admin_, placed.order.id, "DHL", "bad\nnumber"),
                 absl::StatusCode::kInvalidArgument);
  WS_ASSERT_OK(store_->orders().ShipOrder(admin_, placed.order.id, "DHL", "JD0146"));
  Deliver();
  ASSERT_EQ(mailer_.sent.size(), 3u);
  const MailMessage& confirmation = mailer_.sent[0];
  EXPECT_EQ(confirmation.to, "alice@example.com");
  EXPECT_NE(confirmation.text.find("2469.00 USD"), std::string::npos) << confirmation.text;
  EXPECT_NE(confirmation.text.find("Oxford"), std::string::npos);
  EXPECT_NE(confirmation.text.find("2 x "), std::string::npos);
  EXPECT_NE(mailer_.sent[2].text.find("JD0146"), std::string::npos);
  const std::string mime = ToMime(confirmation);
  EXPECT_NE(mime.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(mime.find("Message-ID: " + confirmation.message_id), std::string::npos);
  // Unverified buyers may check out unless the store says otherwise.
  StoreOptions strict;
  strict.mail.require_verified_email_for_checkout = true;
  Open(strict);
  auto again = AddWatch("OM2", 100, 5);
  WS_ASSERT_OK(
      store_->carts().AddItem(store_->carts().UserOwner(alice_), again->variants[0].id, 1));
  WS_EXPECT_REASON(store_->orders().Checkout(alice_, Checkout("k2")),
                   absl::StatusCode::kFailedPrecondition, reason::kEmailUnverified);
}

TEST_F(MailTest, AGuestsOrderMailLinksToTheOrderPageWithItsToken) {
  auto watch = AddWatch("OG", 500'00, 5);
  const std::string cart = store_->carts().NewGuestToken();
  WS_ASSERT_OK_AND_ASSIGN(CartOwner owner, store_->carts().GuestOwner(cart));
  WS_ASSERT_OK(store_->carts().AddItem(owner, watch->variants[0].id, 1));
  CheckoutRequest guest = Checkout("g");
  guest.guest_cart_token = cart;
  guest.guest_email = "guest@example.com";
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult placed, store_->orders().Checkout(Principal{}, guest));
  // A buyer with an account gets no link (the order is in their history).
  WS_ASSERT_OK(
      store_->carts().AddItem(store_->carts().UserOwner(alice_), watch->variants[0].id, 1));
  WS_ASSERT_OK(store_->orders().Checkout(alice_, Checkout("u")).status());
  Deliver();
  ASSERT_EQ(mailer_.sent.size(), 2u);
  const MailMessage& to_guest = mailer_.sent[0];
  EXPECT_EQ(to_guest.to, "guest@example.com");
  EXPECT_NE(to_guest.text.find("/order.html#token="), std::string::npos) << to_guest.text;
  EXPECT_NE(to_guest.html.find("/order.html#token="), std::string::npos) << to_guest.html;
  const std::string token = TokenIn(to_guest);
  EXPECT_EQ(token, placed.access_token);
  WS_ASSERT_OK_AND_ASSIGN(Order by_link, store_->orders().GetOrderByLink(token));
  EXPECT_EQ(by_link.id, placed.order.id);
  EXPECT_EQ(mailer_.sent[1].text.find("order.html"), std::string::npos) << mailer_.sent[1].text;
}

TEST(MimeTest, EscapesHtmlAndEncodesHeaders) {
  MailMessage m;
  m.message_id = "<abc@watchstore>";
  m.from = "shop@example.com";
  m.to = "a@example.com";
  m.subject = "Montres & Co — reçu";
  m.text =
      "line one\nline two with = sign and a very long line that goes past seventy-six "
      "characters for sure\n";
  m.html = "<p>x</p>";
  const std::string mime = ToMime(m);
  EXPECT_NE(mime.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(mime.find("=3D sign"), std::string::npos);
  EXPECT_NE(mime.find("=\r\n"), std::string::npos) << "soft line breaks";
  for (size_t start = 0, end; (end = mime.find("\r\n", start)) != std::string::npos;
       start = end + 2) {
    EXPECT_LE(end - start, 78u) << mime.substr(start, end - start);
  }
}

}  // namespace
}  // namespace watchstore::testing
