// Child processes for tests that run our programs (the server binary, Node
// scripts): start with a clean WATCHSTORE_* environment, wait with a bound,
// free loopback ports, health polling.
#ifndef WATCHSTORE_TESTS_PROCESS_UTIL_H_
#define WATCHSTORE_TESTS_PROCESS_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace watchstore::testing {

struct Process {
  pid_t pid = -1;
  int out = -1;  // stdout + stderr
};

// Starts `binary` with `args`; the environment is this process's without
// WATCHSTORE_* variables, plus `env_extra` ("NAME=value"). `stdin_data` is
// written to its stdin, which is then closed.
Process StartProgram(const std::string& binary, const std::vector<std::string>& args,
                     const std::vector<std::string>& env_extra = {},
                     const std::string& stdin_data = "");

// Waits up to `timeout` for exit; returns the exit code (-1 on timeout: the
// process is killed). Its output goes to *output when given.
int Wait(Process& p, std::chrono::milliseconds timeout, std::string* output = nullptr);

// Sends SIGTERM and waits up to `timeout` (then SIGKILL); returns the exit code.
int Stop(Process& p, std::chrono::milliseconds timeout, std::string* output = nullptr);

// A loopback TCP port free right now.
int FreePort();

// True once GET http://127.0.0.1:port/healthz answers 200 within `timeout`.
bool WaitHealthy(int port, std::chrono::milliseconds timeout);

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_PROCESS_UTIL_H_
