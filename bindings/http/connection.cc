#include "connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/time/clock.h"

namespace watchstore::http {
namespace {

void AddressOf(const sockaddr_storage& ss, std::string* ip, int* port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr) *ip = buf;
    *port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf) != nullptr) *ip = buf;
    *port = ntohs(sin6->sin6_port);
    // An IPv4 peer on a dual-stack socket: show it as IPv4.
    if (absl::StartsWith(*ip, "::ffff:") && ip->find('.') != std::string::npos) ip->erase(0, 7);
  }
}

int ToPollMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

}  // namespace

Connection::Connection(int fd, const ConnectionLimits& limits) : fd_(fd), limits_(limits) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    AddressOf(ss, &peer_address_, &peer_port_);
  }
  len = sizeof ss;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    AddressOf(ss, &local_address_, &local_port_);
  }
}

Connection::~Connection() {
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
  }
}

Connection::Wait Connection::WaitForRequest(absl::Duration timeout,
                                            const std::function<bool()>& keep_waiting) {
  if (begin_ < end_) return Wait::kReady;
  const absl::Time until = absl::Now() + timeout;
  for (;;) {
    // Usually the next request is already here: no poll() needed.
    const ssize_t got = ::recv(fd_, buffer_, sizeof buffer_, MSG_DONTWAIT);
    if (got > 0) {
      begin_ = 0;
      end_ = static_cast<size_t>(got);
      return Wait::kReady;
    }
    if (got == 0) return Wait::kClosed;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Wait::kClosed;
    for (;;) {
      const absl::Duration left = until - absl::Now();
      if (left <= absl::ZeroDuration()) return Wait::kTimeout;
      pollfd p{fd_, POLLIN, 0};
      const int rc = ::poll(&p, 1, ToPollMillis(std::min(left, absl::Milliseconds(100))));
      if (rc < 0 && errno != EINTR) return Wait::kClosed;
      if (rc > 0) break;  // readable (or closed): recv() above tells which
      if (!keep_waiting()) return Wait::kAbandoned;
    }
  }
}

void Connection::BeginRequest() {
  in_headers_ = true;
  header_bytes_ = 0;
  header_budget_exceeded_ = false;
  timed_out_ = false;
  request_start_ = absl::Now();
  deadline_ = request_start_ + limits_.header_timeout;
}

void Connection::HeadersDone() {
  in_headers_ = false;
  deadline_ = request_start_ + limits_.request_timeout;
}

int Connection::ReadWaitMillis() {
  const absl::Duration left = deadline_ - absl::Now();
  return ToPollMillis(std::min(limits_.read_timeout, left));
}

bool Connection::Readable() {
  if (begin_ < end_) return true;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, ReadWaitMillis());
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) {
      if (rc == 0) timed_out_ = true;
      return false;
    }
    return true;
  }
}

// Write() waits for the socket itself; nothing to check in advance.
bool Connection::Writable() { return fd_ >= 0; }

ssize_t Connection::Read(char* buf, size_t n) {
  if (n == 0) return 0;
  while (begin_ == end_) {
    // Try first, wait only when there is nothing yet: one system call in the
    // common case instead of poll() + recv().
    const ssize_t got = ::recv(fd_, buffer_, sizeof buffer_, MSG_DONTWAIT);
    if (got > 0) {
      begin_ = 0;
      end_ = static_cast<size_t>(got);
      break;
    }
    if (got == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!Readable()) return -1;
  }
  size_t take = std::min(n, end_ - begin_);
  if (in_headers_) {
    if (header_bytes_ + take > limits_.max_header_bytes) {
      header_budget_exceeded_ = true;
      return -1;
    }
    header_bytes_ += take;
  }
  std::memcpy(buf, buffer_ + begin_, take);
  begin_ += take;
  return static_cast<ssize_t>(take);
}

ssize_t Connection::Write(const char* data, size_t n) {
  for (;;) {
    const ssize_t sent = ::send(fd_, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    pollfd p{fd_, POLLOUT, 0};
    const int rc = ::poll(&p, 1, ToPollMillis(limits_.write_timeout));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0 || (p.revents & (POLLERR | POLLNVAL))) return -1;
  }
}

bool Connection::WriteAll(absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = Write(data.data(), data.size());
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Connection::LingeringClose() {
  if (fd_ < 0) return;
  ::shutdown(fd_, SHUT_WR);
  const absl::Time until = absl::Now() + absl::Seconds(1);
  size_t discarded = 0;
  char sink[16 << 10];
  while (discarded < (size_t{4} << 20)) {
    const absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, ToPollMillis(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    const ssize_t n = ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT);
    if (n <= 0) break;
    discarded += static_cast<size_t>(n);
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace watchstore::http
