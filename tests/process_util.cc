#include "process_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

extern char** environ;

namespace watchstore::testing {

using std::chrono::milliseconds;

Process StartProgram(const std::string& binary, const std::vector<std::string>& args,
                     const std::vector<std::string>& env_extra, const std::string& stdin_data) {
  int out_pipe[2], in_pipe[2];
  EXPECT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(in_pipe, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "WATCHSTORE_")) continue;  // only what the test sets
    env_s.emplace_back(*e);
  }
  env_s.insert(env_s.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  Process p;
  EXPECT_EQ(posix_spawn(&p.pid, argv[0], &actions, nullptr, argv.data(), envp.data()), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(in_pipe[0]);
  if (!stdin_data.empty()) {
    EXPECT_EQ(::write(in_pipe[1], stdin_data.data(), stdin_data.size()),
              static_cast<ssize_t>(stdin_data.size()));
  }
  ::close(in_pipe[1]);
  p.out = out_pipe[0];
  return p;
}

int Wait(Process& p, milliseconds timeout, std::string* output) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  int code = -1;
  for (;;) {
    const pid_t r = ::waitpid(p.pid, &status, WNOHANG);
    if (r == p.pid) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > until) {
      ::kill(p.pid, SIGKILL);
      ::waitpid(p.pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p.out, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(p.out);
  if (output != nullptr) *output = out;
  return code;
}

int Stop(Process& p, milliseconds timeout, std::string* output) {
  ::kill(p.pid, SIGTERM);
  return Wait(p, timeout, output);
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

namespace {

// One GET /healthz over a plain socket: true on a 200.
bool Healthy(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof req - 1)) {
      char buf[32] = {};
      const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
      ok = n > 12 && absl::StartsWith(buf, "HTTP/1.1 200");
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

bool WaitHealthy(int port, milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (Healthy(port)) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

}  // namespace watchstore::testing
