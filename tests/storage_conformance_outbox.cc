// Conformance cases for account tokens and the transactional outbox. Part of
// the storage_conformance object library (see storage_conformance.h).
#include <latch>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage_conformance.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

OutboxDraft Mail(const std::string& id, const std::string& to, absl::Time at = kT0) {
  OutboxDraft d;
  d.message_id = absl::StrCat("<", id, "@test>");
  d.kind = "welcome";
  d.recipient = to;
  d.payload = "token=abc\n";
  d.created_at = at;
  return d;
}

AccountToken Token(const std::string& hash, TokenPurpose purpose, UserId user,
                   const std::string& email) {
  AccountToken t;
  t.token_hash = hash;
  t.purpose = purpose;
  t.user_id = user;
  t.email = email;
  t.created_at = kT0;
  t.expires_at = kT0 + absl::Minutes(30);
  return t;
}

NewUser WithMail(const std::string& email) {
  NewUser u{email, "$argon2id$h", Role::kCustomer, kT0};
  u.tokens.push_back(Token(absl::StrCat("v-", email), TokenPurpose::kVerifyEmail, 0, email));
  u.outbox.push_back(Mail(absl::StrCat("w-", email), email));
  return u;
}

TEST_P(StorageConformanceTest, RegistrationWritesTokenAndMailInOneTransaction) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(WithMail("a@example.com")));
  EXPECT_FALSE(a.email_verified_at.has_value());
  WS_ASSERT_OK_AND_ASSIGN(AccountToken t, storage_->GetAccountToken("v-a@example.com"));
  EXPECT_EQ(t.user_id, a.id);
  EXPECT_EQ(t.email, "a@example.com");
  EXPECT_FALSE(t.used_at.has_value());
  WS_ASSERT_OK_AND_ASSIGN(auto pending, storage_->ListOutbox(OutboxState::kPending, 10));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].draft.message_id, "<w-a@example.com@test>");
  EXPECT_EQ(pending[0].draft.payload, "token=abc\n");
  EXPECT_EQ(pending[0].attempts, 0);

  // A taken email writes neither the token nor the mail.
  NewUser again = WithMail("a@example.com");
  again.tokens[0].token_hash = "other";
  again.outbox[0].message_id = "<other@test>";
  WS_EXPECT_REASON(storage_->CreateUser(again), absl::StatusCode::kAlreadyExists,
                   reason::kEmailTaken);
  WS_EXPECT_CODE(storage_->GetAccountToken("other"), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(OutboxStats stats, storage_->GetOutboxStats());
  EXPECT_EQ(stats.pending, 1);
  EXPECT_EQ(stats.dead, 0);
  ASSERT_TRUE(stats.oldest_pending_created_at.has_value());
  EXPECT_EQ(*stats.oldest_pending_created_at, kT0);
}

TEST_P(StorageConformanceTest, VerificationTokenIsSingleUseAndExpires) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(WithMail("a@example.com")));
  WS_ASSERT_OK(storage_->IssueAccountToken(Token("late", TokenPurpose::kVerifyEmail, a.id, a.email),
                                           {Mail("m2", a.email)}));
  TokenRedemption r;
  r.token_hash = "late";
  r.purpose = TokenPurpose::kVerifyEmail;
  r.now = kT0 + absl::Minutes(30);
  WS_EXPECT_REASON(storage_->RedeemAccountToken(r), absl::StatusCode::kFailedPrecondition,
                   reason::kTokenExpired);
  r.token_hash = "v-a@example.com";
  r.purpose = TokenPurpose::kResetPassword;  // another purpose: not found
  r.now = kT0 + absl::Minutes(29);
  WS_EXPECT_CODE(storage_->RedeemAccountToken(r), absl::StatusCode::kNotFound);
  r.purpose = TokenPurpose::kVerifyEmail;
  WS_ASSERT_OK_AND_ASSIGN(RedeemResult done, storage_->RedeemAccountToken(r));
  ASSERT_TRUE(done.user.email_verified_at.has_value());
  EXPECT_EQ(*done.user.email_verified_at, r.now);
  WS_ASSERT_OK_AND_ASSIGN(User stored, storage_->GetUserById(a.id));
  ASSERT_TRUE(stored.email_verified_at.has_value());
  EXPECT_EQ(*stored.email_verified_at, r.now);
  WS_EXPECT_REASON(storage_->RedeemAccountToken(r), absl::StatusCode::kFailedPrecondition,
                   reason::kTokenUsed);
  WS_EXPECT_CODE(storage_->IssueAccountToken(
                     Token("nouser", TokenPurpose::kVerifyEmail, 999999, "x@example.com"), {}),
                 absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, PasswordResetRevokesEverySessionAtomically) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(WithMail("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(WithMail("b@example.com")));
  WS_ASSERT_OK(storage_->CreateSession(SessionRecord{"s1", a.id, kT0, kT0}));
  WS_ASSERT_OK(storage_->CreateSession(SessionRecord{"s2", a.id, kT0, kT0}));
  WS_ASSERT_OK(storage_->CreateSession(SessionRecord{"s3", b.id, kT0, kT0}));
  WS_ASSERT_OK(storage_->IssueAccountToken(
      Token("reset", TokenPurpose::kResetPassword, a.id, a.email), {Mail("r1", a.email)}));
  TokenRedemption r;
  r.token_hash = "reset";
  r.purpose = TokenPurpose::kResetPassword;
  r.now = kT0 + absl::Minutes(1);
  r.new_password_hash = "$argon2id$new";
  r.outbox.push_back(Mail("changed", a.email));
  WS_ASSERT_OK_AND_ASSIGN(RedeemResult done, storage_->RedeemAccountToken(r));
  EXPECT_EQ(
      std::set<std::string>(done.revoked_session_hashes.begin(), done.revoked_session_hashes.end()),
      (std::set<std::string>{"s1", "s2"}));
  WS_EXPECT_CODE(storage_->GetSession("s1"), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->GetSession("s2"), absl::StatusCode::kNotFound);
  WS_EXPECT_OK(storage_->GetSession("s3"));
  WS_ASSERT_OK_AND_ASSIGN(User after, storage_->GetUserById(a.id));
  EXPECT_EQ(after.password_hash, "$argon2id$new");
  WS_ASSERT_OK_AND_ASSIGN(auto pending, storage_->ListOutbox(OutboxState::kPending, 10));
  EXPECT_EQ(pending.back().draft.message_id, "<changed@test>");
  // Reused: nothing changes, no second notice.
  r.new_password_hash = "$argon2id$again";
  r.outbox[0].message_id = "<changed2@test>";
  WS_EXPECT_REASON(storage_->RedeemAccountToken(r), absl::StatusCode::kFailedPrecondition,
                   reason::kTokenUsed);
  WS_ASSERT_OK_AND_ASSIGN(after, storage_->GetUserById(a.id));
  EXPECT_EQ(after.password_hash, "$argon2id$new");
  WS_ASSERT_OK_AND_ASSIGN(auto again, storage_->ListOutbox(OutboxState::kPending, 10));
  EXPECT_EQ(again.size(), pending.size());

  // DeleteUserSessions keeps the one named.
  WS_ASSERT_OK(storage_->CreateSession(SessionRecord{"s4", a.id, kT0, kT0}));
  WS_ASSERT_OK(storage_->CreateSession(SessionRecord{"s5", a.id, kT0, kT0}));
  WS_ASSERT_OK_AND_ASSIGN(auto gone, storage_->DeleteUserSessions(a.id, "s5"));
  EXPECT_EQ(gone, std::vector<std::string>{"s4"});
  WS_EXPECT_OK(storage_->GetSession("s5"));
}

TEST_P(StorageConformanceTest, EmailChangeChecksTheAddressIsFree) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(WithMail("a@example.com")));
  WS_ASSERT_OK(storage_->IssueAccountToken(
      Token("c1", TokenPurpose::kChangeEmail, a.id, "new@example.com"), {}));
  WS_ASSERT_OK(storage_->IssueAccountToken(
      Token("c2", TokenPurpose::kChangeEmail, a.id, "b@example.com"), {}));
  WS_ASSERT_OK(storage_->CreateUser(WithMail("b@example.com")));
  TokenRedemption r;
  r.token_hash = "c2";
  r.purpose = TokenPurpose::kChangeEmail;
  r.now = kT0 + absl::Minutes(2);
  WS_EXPECT_REASON(storage_->RedeemAccountToken(r), absl::StatusCode::kAlreadyExists,
                   reason::kEmailTaken);
  WS_ASSERT_OK_AND_ASSIGN(AccountToken c2, storage_->GetAccountToken("c2"));
  EXPECT_FALSE(c2.used_at.has_value());
  r.token_hash = "c1";
  WS_ASSERT_OK_AND_ASSIGN(RedeemResult done, storage_->RedeemAccountToken(r));
  EXPECT_EQ(done.user.email, "new@example.com");
  WS_ASSERT_OK_AND_ASSIGN(User byemail, storage_->GetUserByEmail("new@example.com"));
  EXPECT_EQ(byemail.id, a.id);
  EXPECT_TRUE(byemail.email_verified_at.has_value());
  WS_EXPECT_CODE(storage_->GetUserByEmail("a@example.com"), absl::StatusCode::kNotFound);
  // The old verification link no longer verifies anything.
  r.token_hash = "v-a@example.com";
  r.purpose = TokenPurpose::kVerifyEmail;
  WS_EXPECT_REASON(storage_->RedeemAccountToken(r), absl::StatusCode::kFailedPrecondition,
                   reason::kTokenInvalid);
}

TEST_P(StorageConformanceTest, OrdersWriteTheirMailInTheSameTransaction) {
  WS_ASSERT_OK_AND_ASSIGN(
      User a, storage_->CreateUser(NewUser{"a@example.com", "$argon2id$h", Role::kCustomer, kT0}));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 1), kT0));
  NewOrder o = AnOrder(a.id, "k1", {{p.variants[0].id, 1}});
  o.outbox.push_back(Mail("placed", a.email));
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult placed, storage_->PlaceOrder(o));
  // Out of stock: no order, no mail.
  NewOrder o2 = AnOrder(a.id, "k2", {{p.variants[0].id, 1}});
  o2.outbox.push_back(Mail("placed2", a.email));
  WS_EXPECT_CODE(storage_->PlaceOrder(o2), absl::StatusCode::kFailedPrecondition);
  // Replay: the first order, no second mail.
  o.outbox[0].message_id = "<placed3@test>";
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult replay, storage_->PlaceOrder(o));
  EXPECT_TRUE(replay.replayed);
  // A legal move writes its notice; an illegal one writes nothing.
  WS_EXPECT_CODE(storage_->TransitionOrder(placed.order.id, OrderStatus::kPending,
                                           OrderStatus::kShipped, kT0, {Mail("bad", a.email)}),
                 absl::StatusCode::kFailedPrecondition);
  WS_ASSERT_OK(storage_->TransitionOrder(placed.order.id, OrderStatus::kPending, OrderStatus::kPaid,
                                         kT0, {Mail("paid", a.email)}));
  WS_ASSERT_OK_AND_ASSIGN(auto pending, storage_->ListOutbox(OutboxState::kPending, 10));
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].draft.message_id, "<placed@test>");
  EXPECT_EQ(pending[0].draft.order_id, placed.order.id);
  EXPECT_EQ(pending[1].draft.message_id, "<paid@test>");
}

TEST_P(StorageConformanceTest, OutboxClaimLeaseRetryAndDeadLetter) {
  WS_ASSERT_OK(storage_->CreateUser(WithMail("a@example.com")));
  WS_ASSERT_OK(storage_->CreateUser(WithMail("b@example.com")));
  const absl::Duration lease = absl::Minutes(2);
  // Not yet due before its creation time.
  WS_ASSERT_OK_AND_ASSIGN(auto none, storage_->ClaimOutbox(kT0 - absl::Seconds(1), 10, lease));
  EXPECT_TRUE(none.empty());
  WS_ASSERT_OK_AND_ASSIGN(auto first, storage_->ClaimOutbox(kT0, 1, lease));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].attempts, 1);
  WS_ASSERT_OK_AND_ASSIGN(auto second, storage_->ClaimOutbox(kT0, 10, lease));
  ASSERT_EQ(second.size(), 1u);  // the other one; the first is leased
  EXPECT_NE(second[0].id, first[0].id);
  WS_ASSERT_OK_AND_ASSIGN(auto leased, storage_->ClaimOutbox(kT0 + absl::Minutes(1), 10, lease));
  EXPECT_TRUE(leased.empty());
  // The first is sent; the second fails and is retried later.
  WS_ASSERT_OK(storage_->MarkOutboxSent(first[0].id, kT0));
  WS_ASSERT_OK(storage_->MarkOutboxFailed(second[0].id, kT0 + absl::Minutes(10), "down", false));
  WS_ASSERT_OK_AND_ASSIGN(auto early, storage_->ClaimOutbox(kT0 + absl::Minutes(9), 10, lease));
  EXPECT_TRUE(early.empty());
  // A lease that ran out (a worker died): claimed again.
  WS_ASSERT_OK_AND_ASSIGN(auto retry, storage_->ClaimOutbox(kT0 + absl::Minutes(10), 10, lease));
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].attempts, 2);
  WS_ASSERT_OK(storage_->MarkOutboxFailed(retry[0].id, kT0 + absl::Hours(1), "bad", true));
  WS_ASSERT_OK_AND_ASSIGN(auto dead, storage_->ListOutbox(OutboxState::kDead, 10));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].last_error, "bad");
  WS_ASSERT_OK_AND_ASSIGN(auto sent, storage_->ListOutbox(OutboxState::kSent, 10));
  ASSERT_EQ(sent.size(), 1u);
  WS_ASSERT_OK_AND_ASSIGN(OutboxStats stats, storage_->GetOutboxStats());
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.dead, 1);
  EXPECT_FALSE(stats.oldest_pending_created_at.has_value());
  // A late failure report never un-sends a sent message.
  WS_ASSERT_OK(storage_->MarkOutboxFailed(first[0].id, kT0, "late", false));
  WS_ASSERT_OK_AND_ASSIGN(sent, storage_->ListOutbox(OutboxState::kSent, 10));
  EXPECT_EQ(sent.size(), 1u);
  // Requeue: pending again, attempts reset.
  WS_EXPECT_CODE(storage_->RequeueOutbox(first[0].id, kT0), absl::StatusCode::kNotFound);
  WS_ASSERT_OK(storage_->RequeueOutbox(dead[0].id, kT0 + absl::Hours(2)));
  WS_ASSERT_OK_AND_ASSIGN(auto requeued, storage_->ClaimOutbox(kT0 + absl::Hours(2), 10, lease));
  ASSERT_EQ(requeued.size(), 1u);
  EXPECT_EQ(requeued[0].attempts, 1);
  WS_EXPECT_CODE(storage_->MarkOutboxSent(987654, kT0), absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, ConcurrentClaimersNeverShareAMessage) {
  constexpr int kMessages = 60;
  for (int i = 0; i < kMessages; ++i) {
    WS_ASSERT_OK(storage_->CreateUser(WithMail(absl::StrCat("u", i, "@example.com"))));
  }
  constexpr int kWorkers = 4;
  std::vector<std::vector<OutboxId>> got(kWorkers);
  std::latch start(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      while (true) {
        auto batch = storage_->ClaimOutbox(kT0, 3, absl::Minutes(5));
        if (!batch.ok() || batch->empty()) break;
        for (const OutboxMessage& m : *batch) got[w].push_back(m.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<OutboxId> all;
  size_t total = 0;
  for (const auto& g : got) {
    total += g.size();
    all.insert(g.begin(), g.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kMessages));
  EXPECT_EQ(all.size(), static_cast<size_t>(kMessages));
}

}  // namespace
}  // namespace watchstore::testing
