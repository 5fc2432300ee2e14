// The Content-Security-Policy of the server's responses: one strict policy for
// every response, and one explicit exception, the storefront's payment page,
// the only page that may load Stripe.js.
#ifndef WATCHSTORE_BINDINGS_HTTP_CONTENT_SECURITY_POLICY_H_
#define WATCHSTORE_BINDINGS_HTTP_CONTENT_SECURITY_POLICY_H_

#include "absl/strings/string_view.h"

namespace watchstore::http {

// Every response (API, pages, refusals): our own origin only, no plugins, no
// <base>, never framed.
inline constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

// The storefront file (path under the static root) that loads Stripe.js.
inline constexpr absl::string_view kPaymentPage = "pay.html";

// kContentSecurityPolicy plus exactly the origins Stripe documents for
// Stripe.js and its Payment Element: the script from js.stripe.com (and its
// subdomains), its frames there and on hooks.stripe.com (3-D Secure), and its
// calls to api.stripe.com. (maps.googleapis.com, documented for the Address
// Element's autocomplete only, is left out: we do not use that element.)
inline constexpr absl::string_view kPaymentPageContentSecurityPolicy =
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "script-src 'self' https://js.stripe.com https://*.js.stripe.com; "
    "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; "
    "connect-src 'self' https://api.stripe.com";

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_CONTENT_SECURITY_POLICY_H_
