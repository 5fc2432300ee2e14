// watchstore-server's payment provider configuration: --payments and the
// WATCHSTORE_STRIPE_* variables (secrets from the environment only, never
// echoed), and the provider OpenPaymentProvider builds from them.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "backends.h"
#include "config.h"
#include "gtest/gtest.h"

namespace watchstore::http {
namespace {

constexpr char kSecretKey[] = "sk_test_51AbCdEfSeCrEt";
constexpr char kWebhookSecret[] = "whsec_endpointSeCrEt1";
constexpr char kPublishable[] = "pk_test_51AbCdEfPublic";

absl::StatusOr<ServerConfig> Parse(std::vector<std::string> args,
                                   std::map<std::string, std::string> env = {}) {
  return ParseServerConfig(args, [env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

std::map<std::string, std::string> StripeEnv() {
  return {{"WATCHSTORE_STRIPE_SECRET_KEY", kSecretKey},
          {"WATCHSTORE_STRIPE_WEBHOOK_SECRET", kWebhookSecret},
          {"WATCHSTORE_STRIPE_PUBLISHABLE_KEY", kPublishable}};
}

TEST(PaymentsConfigTest, ManualByDefault) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->payments, PaymentsKind::kManual);
  // Stripe variables alone do not switch providers.
  auto with_keys = Parse({}, StripeEnv());
  ASSERT_TRUE(with_keys.ok()) << with_keys.status();
  EXPECT_EQ(with_keys->payments, PaymentsKind::kManual);
  absl::StatusOr<PaymentSetup> setup = OpenPaymentProvider(*c);
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_EQ(setup->provider, nullptr);
  EXPECT_TRUE(setup->publishable_key.empty());
}

TEST(PaymentsConfigTest, StripeFromTheEnvironment) {
  std::map<std::string, std::string> env = StripeEnv();
  env["WATCHSTORE_STRIPE_WEBHOOK_SECRET"] = " whsec_new1 , whsec_old2 ";
  auto c = Parse({"--payments=stripe"}, env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->payments, PaymentsKind::kStripe);
  EXPECT_EQ(c->stripe_secret_key, kSecretKey);
  EXPECT_EQ(c->stripe_webhook_secrets, (std::vector<std::string>{"whsec_new1", "whsec_old2"}));
  EXPECT_EQ(c->stripe_publishable_key, kPublishable);
  EXPECT_TRUE(c->stripe_api_base.empty());
  // The variable works as well as the flag.
  env["WATCHSTORE_PAYMENTS"] = "stripe";
  auto by_env = Parse({}, env);
  ASSERT_TRUE(by_env.ok()) << by_env.status();
  EXPECT_EQ(by_env->payments, PaymentsKind::kStripe);
  EXPECT_EQ(Parse({"--payments", "manual"}, env)->payments, PaymentsKind::kManual);

  absl::StatusOr<PaymentSetup> setup = OpenPaymentProvider(*c);
  ASSERT_TRUE(setup.ok()) << setup.status();
  ASSERT_NE(setup->provider, nullptr);
  EXPECT_EQ(setup->provider->Name(), "stripe");
  EXPECT_TRUE(setup->provider->NotifiesPayment());
  EXPECT_EQ(setup->publishable_key, kPublishable);
}

TEST(PaymentsConfigTest, BadStripeSettingsAreRefusedWithoutEchoingSecrets) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string mention;
  };
  auto without = [](const char* name) {
    std::map<std::string, std::string> env = StripeEnv();
    env.erase(name);
    return env;
  };
  auto with = [](const char* name, const char* value) {
    std::map<std::string, std::string> env = StripeEnv();
    env[name] = value;
    return env;
  };
  const std::vector<Case> cases = {
      {{"--payments=paypal"}, StripeEnv(), "--payments"},
      {{"--payments=stripe"},
       without("WATCHSTORE_STRIPE_SECRET_KEY"),
       "WATCHSTORE_STRIPE_SECRET_KEY"},
      {{"--payments=stripe"},
       with("WATCHSTORE_STRIPE_SECRET_KEY", "pk_test_SeCrEtWrongKind"),
       "WATCHSTORE_STRIPE_SECRET_KEY"},
      {{"--payments=stripe"},
       without("WATCHSTORE_STRIPE_WEBHOOK_SECRET"),
       "WATCHSTORE_STRIPE_WEBHOOK_SECRET"},
      {{"--payments=stripe"},
       with("WATCHSTORE_STRIPE_WEBHOOK_SECRET", " , "),
       "WATCHSTORE_STRIPE_WEBHOOK_SECRET"},
      {{"--payments=stripe"},
       with("WATCHSTORE_STRIPE_WEBHOOK_SECRET", "whsec_a,SeCrEt_b"),
       "WATCHSTORE_STRIPE_WEBHOOK_SECRET"},
      {{"--payments=stripe"},
       without("WATCHSTORE_STRIPE_PUBLISHABLE_KEY"),
       "WATCHSTORE_STRIPE_PUBLISHABLE_KEY"},
      {{"--payments=stripe"},
       with("WATCHSTORE_STRIPE_PUBLISHABLE_KEY", "pk_live_SeCrEtMixed"),
       "both live"},
      // Keys on the command line are visible to every user of the machine.
      {{"--stripe-secret-key=sk_test_SeCrEtOnCmdline"}, {}, "never"},
      {{"--stripe-webhook-secret", "whsec_SeCrEtOnCmdline"}, {}, "never"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.args, c.env);
    ASSERT_FALSE(r.ok()) << c.mention;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status().message(), c.mention)) << r.status();
    EXPECT_FALSE(absl::StrContains(r.status().message(), "SeCrEt")) << r.status();
  }
}

TEST(PaymentsConfigTest, ApiBaseMustBeHttpsUnlessLoopback) {
  std::map<std::string, std::string> env = StripeEnv();
  for (const char* base :
       {"http://stripe.example.com", "ftp://127.0.0.1", "http://user:SeCrEt@127.0.0.1:1"}) {
    env["WATCHSTORE_STRIPE_API_BASE"] = base;
    auto c = Parse({"--payments=stripe"}, env);
    ASSERT_TRUE(c.ok()) << c.status();
    absl::StatusOr<PaymentSetup> setup = OpenPaymentProvider(*c);
    ASSERT_FALSE(setup.ok()) << base;
    EXPECT_EQ(setup.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(setup.status().message(), "WATCHSTORE_STRIPE_API_BASE"))
        << setup.status();
    EXPECT_FALSE(absl::StrContains(setup.status().message(), "SeCrEt")) << setup.status();
  }
  for (const char* base : {"http://127.0.0.1:12111", "https://stripe-proxy.internal"}) {
    env["WATCHSTORE_STRIPE_API_BASE"] = base;
    auto c = Parse({"--payments=stripe"}, env);
    ASSERT_TRUE(c.ok()) << c.status();
    absl::StatusOr<PaymentSetup> setup = OpenPaymentProvider(*c);
    EXPECT_TRUE(setup.ok()) << base << ": " << setup.status();
  }
}

TEST(PaymentsConfigTest, HelpNamesTheFlagButNoSecretFlags) {
  const std::string usage = UsageText();
  EXPECT_TRUE(absl::StrContains(usage, "--payments")) << usage;
  EXPECT_TRUE(absl::StrContains(usage, "WATCHSTORE_STRIPE_SECRET_KEY")) << usage;
  EXPECT_FALSE(absl::StrContains(usage, "--stripe-")) << usage;
}

}  // namespace
}  // namespace watchstore::http
