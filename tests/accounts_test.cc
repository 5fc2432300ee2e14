// Accounts: registration, login, sessions and throttling. Real Argon2id
// (libsodium INTERACTIVE limits), so each hash here costs ~0.1 s: keep the
// number of logins small.
#include <sodium.h>

#include <atomic>
#include <thread>
#include <vector>

#include "service_fixture.h"

namespace watchstore::testing {
namespace {

constexpr char kPassword[] = "correct horse battery";

class AccountsTest : public ServiceTest {
 protected:
  Accounts& accounts() { return store_->accounts(); }
  LoginResult MustLogin(const std::string& email, const std::string& password = kPassword,
                        const std::string& addr = "10.0.0.1") {
    auto r = accounts().Login(email, password, addr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : LoginResult{};
  }
};

TEST_F(AccountsTest, RegistersWithNormalizedEmail) {
  WS_ASSERT_OK_AND_ASSIGN(auto r, accounts().Register("  Carol@Example.COM ", kPassword));
  EXPECT_TRUE(r.created);
  WS_ASSERT_OK_AND_ASSIGN(User u, store_->storage().GetUserByEmail("carol@example.com"));
  EXPECT_EQ(u.id, r.user_id);
  EXPECT_EQ(u.role, Role::kCustomer);
  EXPECT_EQ(u.password_hash.rfind("$argon2id$", 0), 0u) << u.password_hash;
  EXPECT_EQ(u.password_hash.find(kPassword), std::string::npos);
  // A taken email looks like success and creates nothing.
  WS_ASSERT_OK_AND_ASSIGN(auto again,
                          accounts().Register("carol@example.com", "another password!"));
  EXPECT_FALSE(again.created);
  WS_ASSERT_OK_AND_ASSIGN(User same, store_->storage().GetUserByEmail("carol@example.com"));
  EXPECT_EQ(same.password_hash, u.password_hash);
}

TEST_F(AccountsTest, RejectsBadEmailsAndPasswords) {
  for (const char* email : {"", "no-at-sign", "@example.com", "a@", "a@b", "a@@b.com", "a b@c.com",
                            "a@.com", "a@b..com", "<a>@b.com"}) {
    auto r = accounts().Register(email, kPassword);
    EXPECT_EQ(FieldOf(r.status()), "email") << email << " " << r.status();
  }
  EXPECT_EQ(FieldOf(accounts().Register("d@example.com", "short").status()), "password");
  EXPECT_EQ(FieldOf(accounts().Register("d@example.com", std::string(129, 'x')).status()),
            "password");
  EXPECT_EQ(FieldOf(accounts().Register("dave@example.com", "DAVE@example.com").status()),
            "password");
  EXPECT_EQ(FieldOf(accounts().Register("d@example.com", "bad utf8 \xff\xfe ok").status()),
            "password");
  // 12 characters of 2-byte UTF-8 is enough even though it is 24 bytes.
  WS_EXPECT_OK(accounts().Register("e@example.com", "éééééééééééé"));
  WS_EXPECT_CODE(store_->storage().GetUserByEmail("d@example.com"), absl::StatusCode::kNotFound);
}

TEST_F(AccountsTest, LoginAuthenticateLogout) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  LoginResult login = MustLogin("CAROL@example.com");
  EXPECT_EQ(login.token.size(), 43u);
  EXPECT_EQ(login.principal.email, "carol@example.com");
  EXPECT_EQ(login.idle_expires_at, clock_.Now() + absl::Minutes(30));
  EXPECT_EQ(login.absolute_expires_at, clock_.Now() + absl::Hours(12));
  WS_ASSERT_OK_AND_ASSIGN(Principal p, accounts().Authenticate(login.token));
  EXPECT_EQ(p.user_id, login.principal.user_id);
  // Only the hash of the token is stored.
  WS_EXPECT_CODE(store_->storage().GetSession(login.token), absl::StatusCode::kNotFound);
  WS_ASSERT_OK(accounts().Logout(login.token));
  WS_EXPECT_REASON(accounts().Authenticate(login.token), absl::StatusCode::kUnauthenticated,
                   reason::kUnauthenticated);
  WS_EXPECT_OK(accounts().Logout(login.token));  // idempotent
  WS_EXPECT_OK(accounts().Logout("garbage"));
  for (const char* bad : {"", "short", "../../etc/passwd", "\xff"}) {
    WS_EXPECT_CODE(accounts().Authenticate(bad), absl::StatusCode::kUnauthenticated);
  }
}

TEST_F(AccountsTest, WrongPasswordAndUnknownEmailLookTheSame) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  auto wrong = accounts().Login("carol@example.com", "not the password", "10.0.0.1");
  auto unknown = accounts().Login("nobody@example.com", kPassword, "10.0.0.2");
  WS_EXPECT_REASON(wrong, absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials);
  WS_EXPECT_REASON(unknown, absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
}

TEST_F(AccountsTest, SessionsExpireWhenIdleAndAbsolutely) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  LoginResult idle = MustLogin("carol@example.com");
  clock_.Advance(absl::Minutes(29));
  WS_EXPECT_OK(accounts().Authenticate(idle.token));  // touches
  clock_.Advance(absl::Minutes(29));
  WS_EXPECT_OK(accounts().Authenticate(idle.token));
  clock_.Advance(absl::Minutes(31));
  WS_EXPECT_CODE(accounts().Authenticate(idle.token), absl::StatusCode::kUnauthenticated);
  // The expired session is gone from Storage too.
  WS_ASSERT_OK_AND_ASSIGN(int64_t purged, accounts().PurgeExpiredSessions());
  EXPECT_EQ(purged, 0);

  LoginResult busy = MustLogin("carol@example.com");
  for (int i = 0; i < 35; ++i) {  // 35 * 20 min = 11 h 40 min, always active
    clock_.Advance(absl::Minutes(20));
    WS_ASSERT_OK(accounts().Authenticate(busy.token)) << i;
  }
  clock_.Advance(absl::Minutes(20));  // past 12 h since login
  WS_EXPECT_CODE(accounts().Authenticate(busy.token), absl::StatusCode::kUnauthenticated);
}

TEST_F(AccountsTest, ExpiryIsConfigurable) {
  StoreOptions o;
  o.accounts.session_idle_timeout = absl::Minutes(5);
  o.accounts.session_absolute_timeout = absl::Minutes(20);
  Open(o);
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  LoginResult r = MustLogin("carol@example.com");
  clock_.Advance(absl::Minutes(4));
  WS_EXPECT_OK(accounts().Authenticate(r.token));
  clock_.Advance(absl::Minutes(6));
  WS_EXPECT_CODE(accounts().Authenticate(r.token), absl::StatusCode::kUnauthenticated);
  StoreOptions bad;
  bad.accounts.session_touch_interval = absl::Hours(1);
  EXPECT_FALSE(Store::Open(bad, NewMemoryStorage(), *NewMemoryCache({})).ok());
  bad = StoreOptions{};
  bad.accounts.pwhash_memlimit_bytes = 1 << 20;  // below INTERACTIVE
  EXPECT_FALSE(Store::Open(bad, NewMemoryStorage(), *NewMemoryCache({})).ok());
}

TEST_F(AccountsTest, LoginRotatesTheSession) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  LoginResult first = MustLogin("carol@example.com");
  WS_ASSERT_OK_AND_ASSIGN(LoginResult second, accounts().Login("carol@example.com", kPassword,
                                                               "10.0.0.1", first.token));
  EXPECT_NE(second.token, first.token);
  WS_EXPECT_CODE(accounts().Authenticate(first.token), absl::StatusCode::kUnauthenticated);
  WS_EXPECT_OK(accounts().Authenticate(second.token));
}

TEST_F(AccountsTest, ThrottlesPerAccountWithBackoffThatExpires) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  for (int i = 0; i < 6; ++i) {
    // Different addresses: only the account is counted here.
    WS_EXPECT_REASON(
        accounts().Login("carol@example.com", "wrong password!", "10.1.0." + std::to_string(i)),
        absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials);
  }
  // An address that failed is refused even with the right password.
  auto throttled = accounts().Login("carol@example.com", kPassword, "10.1.0.0");
  WS_EXPECT_REASON(throttled, absl::StatusCode::kResourceExhausted, reason::kThrottled);
  ASSERT_TRUE(RetryAfterOf(throttled.status()).has_value());
  EXPECT_EQ(*RetryAfterOf(throttled.status()), absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  // One more failure doubles the wait.
  WS_EXPECT_CODE(accounts().Login("carol@example.com", "wrong password!", "10.1.0.1"),
                 absl::StatusCode::kUnauthenticated);
  auto again = accounts().Login("carol@example.com", kPassword, "10.1.0.1");
  ASSERT_TRUE(RetryAfterOf(again.status()).has_value()) << again.status();
  EXPECT_EQ(*RetryAfterOf(again.status()), absl::Seconds(2));
  // The back-off expires by itself: the owner gets in.
  clock_.Advance(absl::Seconds(2));
  LoginResult ok = MustLogin("carol@example.com", kPassword, "10.1.0.1");
  EXPECT_FALSE(ok.token.empty());
}

// The owner is not locked out by someone else's guesses: an address with no
// recent failure still gets in while the account backs off (OWASP ASVS
// V2.2: no permanent lock-out), a bounded number of times.
TEST_F(AccountsTest, AnAccountBackOffDoesNotLockTheOwnerOut) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  for (int i = 0; i < 6; ++i) {
    WS_EXPECT_CODE(accounts().Login("carol@example.com", "wrong password!", "203.0.113.9"),
                   absl::StatusCode::kUnauthenticated);
  }
  WS_EXPECT_CODE(accounts().Login("carol@example.com", kPassword, "203.0.113.9"),
                 absl::StatusCode::kResourceExhausted);
  MustLogin("carol@example.com", kPassword, "192.0.2.44");  // the owner, at home
  // A success forgets the account's failures.
  WS_EXPECT_CODE(accounts().Login("carol@example.com", "wrong password!", "192.0.2.45"),
                 absl::StatusCode::kUnauthenticated);
}

// Each guess is reserved before the password is checked: a burst of
// parallel guesses cannot all slip through before the first is counted.
TEST_F(AccountsTest, ABurstOf64ParallelGuessesGetsOnlyTheFreeAttempts) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  std::atomic<int> wrong{0}, busy{0}, throttled{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      auto r = accounts().Login("carol@example.com", "wrong password!", "198.51.100.1");
      if (ReasonOf(r.status()) == reason::kInvalidCredentials) {
        ++wrong;
      } else if (ReasonOf(r.status()) == reason::kUnavailable) {
        ++busy;  // admitted, but the hasher's queue wait ran out (a loaded machine)
      } else if (ReasonOf(r.status()) == reason::kThrottled) {
        ++throttled;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  // free_failures + 1 guesses are judged, never more. An attempt refused
  // before it was judged (busy) gives its place back, so under load a few
  // more may be admitted in its stead, and judged only within the limit.
  EXPECT_LE(wrong.load(), 6);
  if (busy.load() == 0) {
    EXPECT_EQ(wrong.load(), 6);
  }
  EXPECT_EQ(wrong.load() + busy.load() + throttled.load(), 64);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(AccountsTest, ThrottlesPerClientAddress) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  for (int i = 0; i < 6; ++i) {
    WS_EXPECT_CODE(
        accounts().Login("ghost" + std::to_string(i) + "@example.com", kPassword, "192.0.2.9"),
        absl::StatusCode::kUnauthenticated);
  }
  WS_EXPECT_CODE(accounts().Login("carol@example.com", kPassword, "192.0.2.9"),
                 absl::StatusCode::kResourceExhausted);
  MustLogin("carol@example.com", kPassword, "192.0.2.10");  // another address is fine
  clock_.Advance(absl::Minutes(31));                        // failures forgotten
  MustLogin("carol@example.com", kPassword, "192.0.2.9");
}

TEST_F(AccountsTest, UpgradesWeakHashesAtLogin) {
  char weak[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str(weak, kPassword, strlen(kPassword), crypto_pwhash_OPSLIMIT_MIN,
                              crypto_pwhash_MEMLIMIT_MIN),
            0);
  WS_ASSERT_OK_AND_ASSIGN(User u, store_->storage().CreateUser(NewUser{
                                      "old@example.com", weak, Role::kCustomer, clock_.Now()}));
  MustLogin("old@example.com");
  WS_ASSERT_OK_AND_ASSIGN(User after, store_->storage().GetUserById(u.id));
  EXPECT_NE(after.password_hash, std::string(weak));
  EXPECT_EQ(crypto_pwhash_str_needs_rehash(after.password_hash.c_str(),
                                           crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                           crypto_pwhash_MEMLIMIT_INTERACTIVE),
            0);
  MustLogin("old@example.com");  // and the new hash verifies
}

TEST_F(AccountsTest, OperatorCreatesAndPromotesUsers) {
  WS_ASSERT_OK_AND_ASSIGN(User boss,
                          accounts().CreateUser("Boss@Example.com", kPassword, Role::kAdmin));
  EXPECT_EQ(boss.role, Role::kAdmin);
  WS_EXPECT_REASON(accounts().CreateUser("boss@example.com", kPassword, Role::kAdmin),
                   absl::StatusCode::kAlreadyExists, reason::kEmailTaken);
  WS_ASSERT_OK(accounts().SetRole("alice@example.com", Role::kAdmin));
  WS_ASSERT_OK_AND_ASSIGN(User alice, store_->storage().GetUserByEmail("alice@example.com"));
  EXPECT_EQ(alice.role, Role::kAdmin);
  WS_EXPECT_CODE(accounts().SetRole("nobody@example.com", Role::kAdmin),
                 absl::StatusCode::kNotFound);
}

TEST_F(AccountsTest, WarmSessionLookupsSkipStorage) {
  WS_ASSERT_OK(accounts().Register("carol@example.com", kPassword));
  LoginResult r = MustLogin("carol@example.com");
  const int64_t before = counting_->session_reads.load();
  for (int i = 0; i < 10; ++i) WS_ASSERT_OK(accounts().Authenticate(r.token));
  EXPECT_EQ(counting_->session_reads.load(), before);
}

}  // namespace
}  // namespace watchstore::testing
