#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codec.h"
#include "crypto.h"
#include "mail_payload.h"
#include "services.h"
#include "watchstore/errors.h"
#include "watchstore/mail.h"
#include "watchstore/status_macros.h"

namespace watchstore {

absl::StatusOr<std::string> NormalizeEmail(absl::string_view email) {
  std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  if (e.size() < 3 || e.size() > 254) return InvalidField("email", "is not a valid email address");
  const size_t at = e.find('@');
  if (at == std::string::npos || at == 0 || at > 64 || e.find('@', at + 1) != std::string::npos) {
    return InvalidField("email", "is not a valid email address");
  }
  absl::string_view domain = absl::string_view(e).substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find('.') == absl::string_view::npos || absl::StrContains(domain, "..")) {
    return InvalidField("email", "is not a valid email address");
  }
  for (char c : e) {
    unsigned char u = static_cast<unsigned char>(c);
    // Printable ASCII without space, quotes, angle brackets or backslash.
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == ',' ||
        c == ';' || c == '(' || c == ')') {
      return InvalidField("email", "is not a valid email address");
    }
  }
  return e;
}

namespace internal {
namespace {

constexpr size_t kMinPasswordChars = 12;
constexpr size_t kMaxPasswordBytes = 128;

// Counts UTF-8 code points; false if `s` is not valid UTF-8.
bool CountUtf8(absl::string_view s, size_t* count) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += len;
    ++n;
  }
  *count = n;
  return true;
}

absl::Status ValidatePassword(absl::string_view password, absl::string_view normalized_email) {
  size_t chars = 0;
  if (!CountUtf8(password, &chars)) return InvalidField("password", "must be valid UTF-8");
  if (chars < kMinPasswordChars) {
    return InvalidField("password", "must be at least 12 characters");
  }
  if (password.size() > kMaxPasswordBytes) {
    return InvalidField("password", "must be at most 128 bytes");
  }
  if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(password), normalized_email)) {
    return InvalidField("password", "must not be your email address");
  }
  return absl::OkStatus();
}

absl::Status InvalidCredentials() {
  return MakeError(absl::StatusCode::kUnauthenticated, reason::kInvalidCredentials,
                   "invalid email or password");
}

absl::Status NoSession() {
  return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated,
                   "not logged in, or the session expired");
}

std::string SessionKey(absl::string_view token_hash) { return absl::StrCat("s:", token_hash); }
std::string UserKey(UserId id) { return absl::StrCat("u:", id); }

template <typename Inner>
SealedCodec<Inner> Sealed(const Context& ctx) {
  const AccountsOptions& o = ctx.options->accounts;
  return SealedCodec<Inner>{Inner{}, o.session_seal_key.empty() ? NewSealKey() : o.session_seal_key,
                            ctx.clock, o.session_cache_ttl + absl::Seconds(1)};
}

absl::Status BadToken() {
  return MakeError(absl::StatusCode::kNotFound, reason::kTokenInvalid, "the link is not valid",
                   "token");
}

// The throttles' key for a client address (bounded: it is caller input).
std::string AddressKey(absl::string_view client_address) {
  return absl::StrCat("addr:", client_address.substr(0, 64));
}

// `per_window` requests in a burst, refilling at that rate over `window`.
RateLimiterOptions RequestLimit(int per_window, absl::Duration window, const Clock* clock) {
  return RateLimiterOptions{Rate{per_window, window}, Rate{}, 100'000, clock};
}

}  // namespace

AccountsImpl::AccountsImpl(const Context& ctx)
    : ctx_(ctx),
      hasher_(ctx.options->accounts.pwhash_opslimit, ctx.options->accounts.pwhash_memlimit_bytes,
              ctx.options->accounts.max_concurrent_hashes),
      throttle_policy_{
          ctx.options->accounts.throttle_free_failures, ctx.options->accounts.throttle_base_delay,
          ctx.options->accounts.throttle_max_delay, ctx.options->accounts.throttle_forget_after},
      local_limiter_(NewLocalLoginLimiter(ctx.options->accounts.throttle_max_tracked_keys)),
      reset_by_account_(RequestLimit(ctx.options->mail.reset_requests_per_account,
                                     ctx.options->mail.reset_window, ctx.clock)),
      reset_by_address_(RequestLimit(ctx.options->mail.reset_requests_per_address,
                                     ctx.options->mail.reset_window, ctx.clock)),
      sessions_(ctx.cache, Sealed<SessionRecordCodec>(ctx)),
      principals_(ctx.cache, Sealed<PrincipalCodec>(ctx)) {}

AccountToken AccountsImpl::NewToken(TokenPurpose purpose, UserId user_id, absl::string_view email,
                                    std::string* token) {
  *token = NewRandomToken();
  const absl::Time now = ctx_.clock->Now();
  AccountToken t;
  t.token_hash = Sha256Hex(*token);
  t.purpose = purpose;
  t.user_id = user_id;
  t.email = std::string(email);
  t.created_at = now;
  t.expires_at = now + ctx_.options->mail.token_ttl;
  return t;
}

absl::StatusOr<User> AccountsImpl::CreateValidated(absl::string_view email,
                                                   absl::string_view password, Role role,
                                                   bool welcome) {
  WS_ASSIGN_OR_RETURN(std::string normalized, NormalizeEmail(email));
  WS_RETURN_IF_ERROR(ValidatePassword(password, normalized));
  WS_ASSIGN_OR_RETURN(std::string hash, hasher_.Hash(password));
  const absl::Time now = ctx_.clock->Now();
  NewUser user{normalized, hash, role, now};
  if (welcome) {
    std::string token;
    user.tokens.push_back(NewToken(TokenPurpose::kVerifyEmail, 0, normalized, &token));
    user.outbox.push_back(NewDraft(mail_kind::kWelcome, normalized, {{"token", token}}, now));
  }
  return ctx_.storage->CreateUser(user);
}

absl::StatusOr<RegistrationResult> AccountsImpl::Register(absl::string_view email,
                                                          absl::string_view password) {
  auto user = CreateValidated(email, password, Role::kCustomer, /*welcome=*/true);
  if (user.ok()) return RegistrationResult{true, user->id};
  // A taken email looks like success, after the same work (the hash).
  if (absl::IsAlreadyExists(user.status()) && ReasonOf(user.status()) == reason::kEmailTaken) {
    return RegistrationResult{false, 0};
  }
  return user.status();
}

absl::StatusOr<User> AccountsImpl::CreateUser(absl::string_view email, absl::string_view password,
                                              Role role) {
  return CreateValidated(email, password, role, /*welcome=*/false);
}

absl::Status AccountsImpl::SetRole(absl::string_view email, Role role) {
  WS_ASSIGN_OR_RETURN(std::string normalized, NormalizeEmail(email));
  WS_ASSIGN_OR_RETURN(User user, ctx_.storage->GetUserByEmail(normalized));
  WS_RETURN_IF_ERROR(ctx_.storage->SetUserRole(user.id, role));
  ForgetUser(user.id);
  return absl::OkStatus();
}

void AccountsImpl::ForgetUser(UserId id) { principals_.Erase(UserKey(id)); }

absl::StatusOr<LoginResult> AccountsImpl::Login(absl::string_view email, absl::string_view password,
                                                absl::string_view client_address,
                                                absl::string_view previous_token) {
  const absl::Time now = ctx_.clock->Now();
  auto normalized = NormalizeEmail(email);
  const std::string account_key =
      absl::StrCat("acct:", normalized.ok() ? *normalized : std::string(email.substr(0, 256)));
  const LoginAttemptKeys keys{account_key, AddressKey(client_address)};
  LoginLimiter* limiter = nullptr;
  if (auto wait = ReserveAttempt(keys, now, &limiter)) return Throttled(*wait);
  // The attempt is counted as failed unless released: the right password, or
  // an error before the password was judged (hashing saturated, storage
  // down), returned as is.
  auto release = [&](LoginLimiter::Outcome outcome) {
    (void)limiter->Release(keys, throttle_policy_, now, outcome);
  };
  auto unattempted = [&](absl::Status st) {
    release(LoginLimiter::Outcome::kNotAttempted);
    return st;
  };
  if (!normalized.ok() || password.size() > kMaxPasswordBytes) {
    if (auto st = hasher_.VerifyDummy(password.substr(0, kMaxPasswordBytes)); !st.ok()) {
      return unattempted(st);
    }
    return InvalidCredentials();
  }
  auto user = ctx_.storage->GetUserByEmail(*normalized);
  if (!user.ok()) {
    if (!absl::IsNotFound(user.status())) return unattempted(user.status());
    if (auto st = hasher_.VerifyDummy(password); !st.ok()) return unattempted(st);
    return InvalidCredentials();
  }
  auto matched = hasher_.Verify(user->password_hash, password);
  if (!matched.ok()) return unattempted(matched.status());
  if (!*matched) return InvalidCredentials();
  release(LoginLimiter::Outcome::kSucceeded);

  if (hasher_.NeedsRehash(user->password_hash)) {
    // Best effort: the login succeeds even if the upgrade cannot be stored.
    if (auto h = hasher_.Hash(password); h.ok()) {
      (void)ctx_.storage->UpdatePasswordHash(user->id, *h);
    }
  }
  if (!previous_token.empty()) (void)Logout(previous_token);
  return StartSession(*user);
}

absl::StatusOr<LoginResult> AccountsImpl::StartSession(const User& user) {
  const absl::Time now = ctx_.clock->Now();
  LoginResult result;
  result.token = NewRandomToken();
  SessionRecord record{Sha256Hex(result.token), user.id, now, now};
  WS_RETURN_IF_ERROR(ctx_.storage->CreateSession(record));
  result.principal = Principal{user.id, user.role, user.email};
  // Guest orders placed with this address join the account once the address
  // is proven; a failure here only delays that to the next login.
  if (user.email_verified_at.has_value()) {
    ctx_.storage->ClaimGuestOrders(user.email, user.id).IgnoreError();
  }
  sessions_.Put(SessionKey(record.token_hash), record, ctx_.options->accounts.session_cache_ttl);
  principals_.Put(UserKey(user.id), result.principal, ctx_.options->accounts.session_cache_ttl);
  result.idle_expires_at = now + ctx_.options->accounts.session_idle_timeout;
  result.absolute_expires_at = now + ctx_.options->accounts.session_absolute_timeout;
  return result;
}

std::optional<absl::Duration> AccountsImpl::ReserveAttempt(const LoginAttemptKeys& keys,
                                                           absl::Time now, LoginLimiter** used) {
  if (LoginLimiter* shared = ctx_.options->login_limiter.get()) {
    auto wait = shared->Reserve(keys, throttle_policy_, now);
    if (wait.ok()) {
      *used = shared;
      return *wait;
    }
  }
  *used = local_limiter_.get();
  auto wait = local_limiter_->Reserve(keys, throttle_policy_, now);
  return wait.ok() ? *wait : std::nullopt;
}

absl::Status AccountsImpl::Logout(absl::string_view token) {
  if (!IsWellFormedToken(token)) return absl::OkStatus();
  const std::string hash = Sha256Hex(token);
  WS_RETURN_IF_ERROR(ctx_.storage->DeleteSession(hash));
  sessions_.Erase(SessionKey(hash));
  return absl::OkStatus();
}

absl::StatusOr<Principal> AccountsImpl::Authenticate(absl::string_view token) {
  if (!IsWellFormedToken(token)) return NoSession();
  const std::string hash = Sha256Hex(token);
  const std::string key = SessionKey(hash);
  const AccountsOptions& o = ctx_.options->accounts;
  const absl::Time now = ctx_.clock->Now();

  // Both from the cache, or both from storage: a session's cached copy is
  // only trusted while its user's is there too (see principals_).
  auto found = sessions_.Lookup(key);
  std::shared_ptr<const SessionRecord> session = found.value;
  if (session != nullptr && session->token_hash != hash) session = nullptr;  // not this token's
  decltype(principals_)::Found user_entry;
  std::shared_ptr<const Principal> principal;
  if (session != nullptr) {
    user_entry = principals_.Lookup(UserKey(session->user_id));
    principal = user_entry.value;
    if (principal != nullptr && principal->user_id != session->user_id) principal = nullptr;
  }
  bool from_cache = session != nullptr && principal != nullptr;
  // A token with no session costs a read: nothing is written or announced.
  auto load = [&]() -> absl::Status {
    auto record = ctx_.storage->GetSession(hash);
    if (!record.ok()) {
      if (!absl::IsNotFound(record.status())) return record.status();
      if (session != nullptr) sessions_.Erase(key);  // a copy storage no longer backs
      return NoSession();
    }
    if (session == nullptr || session->user_id != record->user_id) {
      user_entry = principals_.Lookup(UserKey(record->user_id));  // the ticket for the fill
    }
    auto user = ctx_.storage->GetUserById(record->user_id);
    if (!user.ok()) return absl::IsNotFound(user.status()) ? NoSession() : user.status();
    session = std::make_shared<const SessionRecord>(*std::move(record));
    principal = principals_.Fill(UserKey(user->id), Principal{user->id, user->role, user->email},
                                 o.session_cache_ttl, user_entry.ticket);
    from_cache = false;
    return absl::OkStatus();
  };
  if (!from_cache) WS_RETURN_IF_ERROR(load());

  auto expire = [&]() {
    (void)ctx_.storage->DeleteSession(hash);
    sessions_.Erase(key);
    return NoSession();
  };
  if (now >= session->created_at + o.session_absolute_timeout) return expire();
  if (now >= session->last_seen_at + o.session_idle_timeout) {
    // Another instance may have seen the session more recently than our copy.
    if (from_cache) WS_RETURN_IF_ERROR(load());
    if (now >= session->last_seen_at + o.session_idle_timeout) return expire();
  }
  if (now - session->last_seen_at >= o.session_touch_interval) {
    SessionRecord touched = *session;
    touched.last_seen_at = now;
    auto st = ctx_.storage->TouchSession(hash, now);
    if (absl::IsNotFound(st)) {  // revoked meanwhile
      sessions_.Erase(key);
      return NoSession();
    }
    WS_RETURN_IF_ERROR(st);
    sessions_.Put(key, std::move(touched), o.session_cache_ttl);
  } else if (!from_cache) {
    sessions_.Fill(key, *session, o.session_cache_ttl, found.ticket);
  }
  return *principal;
}

// Revocation reaches every instance: each erase is announced (Redis pub/sub).
void AccountsImpl::ForgetSessions(const std::vector<std::string>& token_hashes) {
  for (const std::string& hash : token_hashes) sessions_.Erase(SessionKey(hash));
}

absl::Status AccountsImpl::RequestPasswordReset(absl::string_view email,
                                                absl::string_view client_address) {
  WS_ASSIGN_OR_RETURN(std::string normalized, NormalizeEmail(email));
  const absl::Time now = ctx_.clock->Now();
  if (auto wait = reset_by_address_.Acquire(AddressKey(client_address))) return Throttled(*wait);
  // Past the per-account limit: the same reply, nothing sent (no mail storm).
  const std::string account_key = absl::StrCat("acct:", normalized);
  if (reset_by_account_.Acquire(account_key)) return absl::OkStatus();

  auto user = ctx_.storage->GetUserByEmail(normalized);
  if (!user.ok()) return absl::IsNotFound(user.status()) ? absl::OkStatus() : user.status();
  std::string token;
  AccountToken t = NewToken(TokenPurpose::kResetPassword, user->id, user->email, &token);
  return ctx_.storage->IssueAccountToken(
      t, {NewDraft(mail_kind::kPasswordReset, user->email, {{"token", token}}, now)});
}

absl::Status AccountsImpl::ResetPassword(absl::string_view token, absl::string_view new_password) {
  WS_ASSIGN_OR_RETURN(AccountToken found, FindAccountToken(token));
  const std::string& hash = found.token_hash;
  const absl::Time now = ctx_.clock->Now();
  // Check before the (costly) hash; the storage checks again atomically.
  WS_RETURN_IF_ERROR(CheckRedeemable(found, TokenPurpose::kResetPassword, now));
  WS_ASSIGN_OR_RETURN(User user, ctx_.storage->GetUserById(found.user_id));
  WS_RETURN_IF_ERROR(ValidatePassword(new_password, user.email));
  WS_ASSIGN_OR_RETURN(std::string password_hash, hasher_.Hash(new_password));
  TokenRedemption r;
  r.token_hash = hash;
  r.purpose = TokenPurpose::kResetPassword;
  r.now = now;
  r.new_password_hash = std::move(password_hash);
  r.outbox.push_back(NewDraft(mail_kind::kPasswordChanged, user.email, {}, now));
  WS_ASSIGN_OR_RETURN(RedeemResult done, ctx_.storage->RedeemAccountToken(r));
  ForgetSessions(done.revoked_session_hashes);
  ForgetUser(user.id);
  return absl::OkStatus();
}

absl::StatusOr<LoginResult> AccountsImpl::ChangePassword(absl::string_view session_token,
                                                         absl::string_view current_password,
                                                         absl::string_view new_password) {
  WS_ASSIGN_OR_RETURN(Principal who, Authenticate(session_token));
  WS_ASSIGN_OR_RETURN(User user, ctx_.storage->GetUserById(who.user_id));
  WS_ASSIGN_OR_RETURN(const bool matched, hasher_.Verify(user.password_hash, current_password));
  if (!matched) return InvalidCredentials();
  WS_RETURN_IF_ERROR(ValidatePassword(new_password, user.email));
  WS_ASSIGN_OR_RETURN(std::string hash, hasher_.Hash(new_password));
  WS_RETURN_IF_ERROR(ctx_.storage->UpdatePasswordHash(user.id, hash));
  // Every session goes, this one too: the caller gets a fresh one.
  WS_ASSIGN_OR_RETURN(auto revoked, ctx_.storage->DeleteUserSessions(user.id, ""));
  ForgetSessions(revoked);
  ForgetUser(user.id);
  return StartSession(user);
}

absl::Status AccountsImpl::RequestEmailChange(const Principal& who,
                                              absl::string_view current_password,
                                              absl::string_view new_email) {
  if (who.user_id == 0) return NoSession();
  WS_ASSIGN_OR_RETURN(std::string normalized, NormalizeEmail(new_email));
  WS_ASSIGN_OR_RETURN(User user, ctx_.storage->GetUserById(who.user_id));
  WS_ASSIGN_OR_RETURN(const bool matched, hasher_.Verify(user.password_hash, current_password));
  if (!matched) return InvalidCredentials();
  if (normalized == user.email) return InvalidField("email", "is already your email address");
  auto taken = ctx_.storage->GetUserByEmail(normalized);
  if (taken.ok()) return absl::OkStatus();  // the same reply; nothing is sent
  if (!absl::IsNotFound(taken.status())) return taken.status();
  const absl::Time now = ctx_.clock->Now();
  std::string token;
  AccountToken t = NewToken(TokenPurpose::kChangeEmail, user.id, normalized, &token);
  // The link to the new address and a notice to the old one.
  return ctx_.storage->IssueAccountToken(
      t, {NewDraft(mail_kind::kEmailChange, normalized, {{"token", token}}, now),
          NewDraft(mail_kind::kEmailChangeNotice, user.email, {{"new_email", normalized}}, now)});
}

absl::StatusOr<AccountToken> AccountsImpl::FindAccountToken(absl::string_view token) {
  if (!IsWellFormedToken(token)) return BadToken();
  auto found = ctx_.storage->GetAccountToken(Sha256Hex(token));
  if (!found.ok()) return absl::IsNotFound(found.status()) ? BadToken() : found.status();
  return found;
}

absl::StatusOr<User> AccountsImpl::ConfirmEmail(absl::string_view token) {
  WS_ASSIGN_OR_RETURN(AccountToken found, FindAccountToken(token));
  if (found.purpose == TokenPurpose::kResetPassword) return BadToken();
  TokenRedemption r;
  r.token_hash = found.token_hash;
  r.purpose = found.purpose;
  r.now = ctx_.clock->Now();
  WS_ASSIGN_OR_RETURN(RedeemResult done, ctx_.storage->RedeemAccountToken(r));
  ForgetUser(done.user.id);  // sessions now show the confirmed (perhaps new) address
  ctx_.storage->ClaimGuestOrders(done.user.email, done.user.id).IgnoreError();
  return std::move(done.user);
}

absl::Status AccountsImpl::ResendVerification(const Principal& who) {
  WS_ASSIGN_OR_RETURN(User user, GetAccount(who));
  if (user.email_verified_at.has_value()) return absl::OkStatus();
  const absl::Time now = ctx_.clock->Now();
  const std::string key = absl::StrCat("verify:", user.id);
  if (reset_by_account_.Acquire(key)) return absl::OkStatus();
  std::string token;
  AccountToken t = NewToken(TokenPurpose::kVerifyEmail, user.id, user.email, &token);
  return ctx_.storage->IssueAccountToken(
      t, {NewDraft(mail_kind::kWelcome, user.email, {{"token", token}}, now)});
}

absl::StatusOr<User> AccountsImpl::GetAccount(const Principal& who) {
  if (who.user_id == 0) return NoSession();
  return ctx_.storage->GetUserById(who.user_id);
}

absl::StatusOr<int64_t> AccountsImpl::PurgeExpiredSessions() {
  const absl::Time now = ctx_.clock->Now();
  const AccountsOptions& o = ctx_.options->accounts;
  return ctx_.storage->DeleteExpiredSessions(now - o.session_absolute_timeout,
                                             now - o.session_idle_timeout);
}

}  // namespace internal
}  // namespace watchstore
