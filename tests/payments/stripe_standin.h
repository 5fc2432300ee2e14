// Test helpers for the Stripe adapter: the stand-in Stripe server
// (stripe_standin.cjs) as a child process, and Node scripts run to
// completion (the official `stripe` package from tools/node_modules).
#ifndef WATCHSTORE_TESTS_PAYMENTS_STRIPE_STANDIN_H_
#define WATCHSTORE_TESTS_PAYMENTS_STRIPE_STANDIN_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace watchstore::testing {

// Empty when node and tools/node_modules/stripe are there; else why not
// (the tests skip, or fail under CI).
std::string StripeToolsMissing();

// Runs `node <script> <args...>` with `stdin_data` on its stdin, for at
// most 60 s; its stdout, or an error with its output when it fails.
absl::StatusOr<std::string> RunNodeScript(const std::string& script,
                                          const std::vector<std::string>& args,
                                          absl::string_view stdin_data);

// The stand-in on a free loopback port, killed when this is destroyed (it
// also exits by itself after 5 minutes or when this process is gone).
class StripeStandin {
 public:
  static constexpr absl::string_view kSecretKey = "sk_test_standin_4242";

  static absl::StatusOr<std::unique_ptr<StripeStandin>> Start();
  ~StripeStandin();
  StripeStandin(const StripeStandin&) = delete;
  StripeStandin& operator=(const StripeStandin&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:PORT
  // Kills it now (for outage tests); idempotent. Its stderr stays in
  // $TMPDIR/stripe_standin.<test pid>.log if it wrote any.
  void Stop();

  // Calls to the stand-in (its control API and the Stripe API), returning
  // the HTTP status and body; status 0 when it cannot be reached.
  struct Reply {
    int status = 0;
    std::string body;
  };
  Reply Get(const std::string& path) const;
  Reply PostJson(const std::string& path, const std::string& json) const;
  // A Stripe API POST with the right key (form-encoded).
  Reply PostForm(const std::string& path, const std::string& form) const;

 private:
  StripeStandin() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;   // kept open: it exits when this process is gone
  int stdout_fd_ = -1;  // kept open: it wrote its port there
  int port_ = 0;
  std::string log_path_;  // its stderr
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_PAYMENTS_STRIPE_STANDIN_H_
