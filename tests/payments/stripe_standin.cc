#include "stripe_standin.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace watchstore::testing {
namespace {

const std::string kDir = WATCHSTORE_PAYMENTS_TEST_DIR;
const std::string kTools = WATCHSTORE_TOOLS_DIR;

struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin (write end)
  int out = -1;  // its stdout and stderr (read end)
};

// `stderr_path` empty: stderr goes to the stdout pipe too.
absl::StatusOr<Child> Spawn(const std::vector<std::string>& args,
                            const std::string& stderr_path = "") {
  int out_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe2 failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  if (stderr_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  std::vector<std::string> argv_s = args;
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  const int rc = posix_spawnp(&c.pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(in_pipe[0]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(in_pipe[1]);
    return absl::InternalError(absl::StrCat("posix_spawnp node: ", rc));
  }
  c.in = in_pipe[1];
  c.out = out_pipe[0];
  return c;
}

// Reads from `fd` until EOF, `until_newline` and a newline, or the deadline.
std::string ReadFrom(int fd, bool until_newline, std::chrono::steady_clock::time_point deadline) {
  std::string out;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (until_newline && out.find('\n') != std::string::npos) break;
  }
  return out;
}

StripeStandin::Reply ToReply(const httplib::Result& r) {
  StripeStandin::Reply reply;
  if (r) {
    reply.status = r->status;
    reply.body = r->body;
  }
  return reply;
}

}  // namespace

std::string StripeToolsMissing() {
  if (std::system("node --version >/dev/null 2>&1") != 0) return "node is not on PATH";
  if (!std::filesystem::exists(std::filesystem::path(kTools) / "node_modules" / "stripe")) {
    return "tools/node_modules/stripe is missing (run scripts/setup.sh)";
  }
  return "";
}

absl::StatusOr<std::string> RunNodeScript(const std::string& script,
                                          const std::vector<std::string>& args,
                                          absl::string_view stdin_data) {
  std::vector<std::string> argv = {"node", kDir + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<Child> c = Spawn(argv);
  if (!c.ok()) return c.status();
  // Written whole before reading: the scripts read all of stdin before they
  // write anything.
  const bool wrote = ::write(c->in, stdin_data.data(), stdin_data.size()) ==
                     static_cast<ssize_t>(stdin_data.size());
  ::close(c->in);
  const std::string out =
      ReadFrom(c->out, false, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  ::close(c->out);
  ::kill(c->pid, SIGKILL);  // no-op when it already exited
  int status = 0;
  ::waitpid(c->pid, &status, 0);
  if (!wrote || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("node ", script, " failed: ", out));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<StripeStandin>> StripeStandin::Start() {
  // Its stderr (a stand-in bug's stack trace) in a file next to the test's.
  const char* tmp = std::getenv("TMPDIR");
  const std::string log = absl::StrCat(tmp ? tmp : "/tmp", "/stripe_standin.", ::getpid(), ".log");
  absl::StatusOr<Child> c =
      Spawn({"node", kDir + "/stripe_standin.cjs", "--secret-key", std::string(kSecretKey),
             "--lifetime-seconds", "300", "--exit-on-stdin-close"},
            log);
  if (!c.ok()) return c.status();
  std::unique_ptr<StripeStandin> s(new StripeStandin);
  s->pid_ = c->pid;
  s->stdin_fd_ = c->in;
  s->stdout_fd_ = c->out;
  s->log_path_ = log;
  // {"port":N}
  const std::string line =
      ReadFrom(c->out, true, std::chrono::steady_clock::now() + std::chrono::seconds(20));
  absl::string_view rest = line;
  int port = 0;
  if (!absl::ConsumePrefix(&rest, "{\"port\":") ||
      !absl::SimpleAtoi(rest.substr(0, rest.find('}')), &port) || port <= 0) {
    return absl::InternalError(absl::StrCat("the stand-in did not start: ", line));
  }
  s->port_ = port;
  return s;
}

StripeStandin::~StripeStandin() { Stop(); }

void StripeStandin::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  for (int* fd : {&stdin_fd_, &stdout_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  // Kept only when the stand-in said something (a stack trace).
  std::error_code ec;
  if (!log_path_.empty() && std::filesystem::file_size(log_path_, ec) == 0 && !ec) {
    std::filesystem::remove(log_path_, ec);
  }
}

std::string StripeStandin::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

StripeStandin::Reply StripeStandin::Get(const std::string& path) const {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(20);
  return ToReply(cli.Get(path.c_str(), {{"Authorization", absl::StrCat("Bearer ", kSecretKey)}}));
}

StripeStandin::Reply StripeStandin::PostJson(const std::string& path,
                                             const std::string& json) const {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(60);
  return ToReply(cli.Post(path.c_str(), json, "application/json"));
}

StripeStandin::Reply StripeStandin::PostForm(const std::string& path,
                                             const std::string& form) const {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(20);
  return ToReply(cli.Post(path.c_str(), {{"Authorization", absl::StrCat("Bearer ", kSecretKey)}},
                          form, "application/x-www-form-urlencoded"));
}

}  // namespace watchstore::testing
