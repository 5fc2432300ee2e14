// /api/v1/auth: registration, login, logout, the current user.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api.h"
#include "api_internal.h"
#include "client_address.h"
#include "render.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::http {
namespace {

// Bounds that only keep absurd inputs out of the library; the library applies
// the real rules (and answers in the same time whatever the email).
constexpr size_t kMaxEmailBytes = 1024;
constexpr size_t kMaxPasswordBytes = 1024;

struct Credentials {
  std::string email;
  std::string password;
};

absl::StatusOr<Credentials> ReadCredentials(const JsonDocument& doc) {
  ObjectReader r(doc, "");
  Credentials c;
  r.String("email", &c.email, ObjectReader::kRequired, kMaxEmailBytes);
  r.String("password", &c.password, ObjectReader::kRequired, kMaxPasswordBytes);
  WS_RETURN_IF_ERROR(r.Finish());
  return c;
}

constexpr size_t kMaxTokenBytes = 256;

}  // namespace

// The session token the caller presents (Bearer header, else the cookie).
absl::string_view Api::CallerToken(const Call& call) {
  if (call.authorization.has_value()) {
    absl::string_view v = absl::StripAsciiWhitespace(*call.authorization);
    if (v.size() > 7 && absl::EqualsIgnoreCase(v.substr(0, 7), "Bearer ")) {
      return absl::StripAsciiWhitespace(v.substr(7));
    }
    return {};
  }
  if (call.session_cookie.has_value()) return *call.session_cookie;
  return {};
}

absl::Status Api::Register(Call& call) {
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  WS_ASSIGN_OR_RETURN(Credentials c, ReadCredentials(*doc));
  // Every registration costs an Argon2 hash: limited per client and in total
  // before the library is asked.
  if (auto wait = registrations_.Acquire(ClientKey(call.req.client_address()))) {
    return Throttled(*wait);
  }
  // Whether the email was new is never told: a taken one looks the same.
  WS_RETURN_IF_ERROR(store_->accounts().Register(c.email, c.password).status());
  RenderJson(call, 202, R"({"status":"accepted"})");
  return absl::OkStatus();
}

absl::Status Api::Login(Call& call) {
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  WS_ASSIGN_OR_RETURN(Credentials c, ReadCredentials(*doc));

  // The session the client holds now, if any, is revoked (rotation).
  absl::string_view previous = CallerToken(call);
  // The client: the socket peer, or what a trusted proxy recorded (never a
  // header from anyone else); an IPv6 client by its /64, which it usually
  // holds whole.
  WS_ASSIGN_OR_RETURN(LoginResult login,
                      store_->accounts().Login(c.email, c.password,
                                               ClientKey(call.req.client_address()), previous));
  WS_ASSIGN_OR_RETURN(User user, store_->storage().GetUserById(login.principal.user_id));

  // A guest cart (cookie or header) joins the user's cart.
  CartMergeReport merge;
  std::optional<absl::string_view> guest = call.req.header("X-Cart-Token");
  if (!guest) guest = call.cart_cookie;
  if (guest && !guest->empty()) {
    auto merged = store_->carts().MergeGuestCart(*guest, login.principal);
    if (merged.ok()) merge = std::move(*merged);
    // A malformed or vanished guest cart merges nothing; the login stands.
  }
  if (call.cart_cookie.has_value()) ClearCookie(call, options_.cookies.cart_name, true);

  const AccountsOptions& a = store_->options().accounts;
  SetCookie(call, options_.cookies.session_name, login.token, /*http_only=*/true,
            absl::ToInt64Seconds(a.session_absolute_timeout));

  JsonOut out;
  out.StartObject();
  out.Key("user");
  WriteUser(out, user);
  out.Field("token", login.token);
  out.Field("expires_at", Rfc3339(login.absolute_expires_at));
  out.Field("idle_expires_at", Rfc3339(login.idle_expires_at));
  out.Key("cart_merge");
  WriteMergeReport(out, merge);
  out.EndObject();
  RenderJson(call, 200, out.Take());
  // The body holds a secret: never let it be compressed next to reflected
  // input (BREACH), nor cached.
  call.res->content_type = "application/json; charset=utf-8";
  return absl::OkStatus();
}

absl::Status Api::Logout(Call& call) {
  WS_RETURN_IF_ERROR(NoBody(call));
  absl::string_view token = CallerToken(call);
  if (!token.empty()) WS_RETURN_IF_ERROR(store_->accounts().Logout(token));
  if (call.session_cookie.has_value()) ClearCookie(call, options_.cookies.session_name, true);
  call.res->status = 204;
  return absl::OkStatus();
}

absl::Status Api::Me(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal p, RequireUser(call));
  auto user = store_->storage().GetUserById(p.user_id);
  if (!user.ok()) {
    if (absl::IsNotFound(user.status())) {
      return MakeError(absl::StatusCode::kUnauthenticated, watchstore::reason::kUnauthenticated,
                       "not logged in, or the session expired");
    }
    return user.status();
  }
  JsonOut out;
  WriteUser(out, *user);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::PasswordReset(Call& call) {
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string email;
  r.String("email", &email, ObjectReader::kRequired, kMaxEmailBytes);
  WS_RETURN_IF_ERROR(r.Finish());
  // The same reply whether or not the account exists.
  WS_RETURN_IF_ERROR(
      store_->accounts().RequestPasswordReset(email, ClientKey(call.req.client_address())));
  RenderJson(call, 202, R"({"status":"accepted"})");
  return absl::OkStatus();
}

absl::Status Api::PasswordResetConfirm(Call& call) {
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string token, password;
  r.String("token", &token, ObjectReader::kRequired, kMaxTokenBytes);
  r.String("password", &password, ObjectReader::kRequired, kMaxPasswordBytes);
  WS_RETURN_IF_ERROR(r.Finish());
  WS_RETURN_IF_ERROR(store_->accounts().ResetPassword(token, password));
  call.res->status = 204;
  return absl::OkStatus();
}

absl::Status Api::ChangePassword(Call& call) {
  WS_RETURN_IF_ERROR(RequireUser(call).status());
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string current, next;
  r.String("current_password", &current, ObjectReader::kRequired, kMaxPasswordBytes);
  r.String("new_password", &next, ObjectReader::kRequired, kMaxPasswordBytes);
  WS_RETURN_IF_ERROR(r.Finish());
  WS_ASSIGN_OR_RETURN(LoginResult login,
                      store_->accounts().ChangePassword(CallerToken(call), current, next));
  const AccountsOptions& a = store_->options().accounts;
  SetCookie(call, options_.cookies.session_name, login.token, /*http_only=*/true,
            absl::ToInt64Seconds(a.session_absolute_timeout));
  JsonOut out;
  out.StartObject();
  out.Field("token", login.token);
  out.Field("expires_at", Rfc3339(login.absolute_expires_at));
  out.Field("idle_expires_at", Rfc3339(login.idle_expires_at));
  out.EndObject();
  RenderJson(call, 200, out.Take());
  call.res->content_type = "application/json; charset=utf-8";
  return absl::OkStatus();
}

absl::Status Api::ChangeEmail(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal p, RequireUser(call));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string email, password;
  r.String("email", &email, ObjectReader::kRequired, kMaxEmailBytes);
  r.String("password", &password, ObjectReader::kRequired, kMaxPasswordBytes);
  WS_RETURN_IF_ERROR(r.Finish());
  // Whether the new address is taken is never told.
  WS_RETURN_IF_ERROR(store_->accounts().RequestEmailChange(p, password, email));
  RenderJson(call, 202, R"({"status":"accepted"})");
  return absl::OkStatus();
}

absl::Status Api::VerifyEmail(Call& call) {
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string token;
  r.String("token", &token, ObjectReader::kRequired, kMaxTokenBytes);
  WS_RETURN_IF_ERROR(r.Finish());
  WS_ASSIGN_OR_RETURN(User user, store_->accounts().ConfirmEmail(token));
  JsonOut out;
  WriteUser(out, user);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::ResendVerification(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal p, RequireUser(call));
  WS_RETURN_IF_ERROR(NoBody(call));
  WS_RETURN_IF_ERROR(store_->accounts().ResendVerification(p));
  RenderJson(call, 202, R"({"status":"accepted"})");
  return absl::OkStatus();
}

}  // namespace watchstore::http
