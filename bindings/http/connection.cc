#include "connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "problem.h"

namespace watchstore::http {
namespace {

constexpr size_t kReadChunk = 16 << 10;
constexpr absl::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

int ToPollMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

}  // namespace

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

Connection::Connection(int fd, const sockaddr_storage& peer, int listener)
    : fd_(fd), listener_(listener) {
  const int flags = ::fcntl(fd_, F_GETFL, 0);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  AddressOf(peer, &peer_address_, &peer_port_);
  sockaddr_storage local;
  socklen_t len = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    AddressOf(local, &local_address_, &local_port_);
  }
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::Reserve(size_t n) {
  if (cap_ - end_ >= n) return;
  const size_t used = end_ - begin_;
  if (begin_ > 0 && cap_ - used >= n) {
    // Room enough once the consumed prefix is dropped.
    std::memmove(data_.get(), data_.get() + begin_, used);
  } else {
    size_t cap = std::max<size_t>(cap_ == 0 ? kReadChunk : cap_ * 2, used + n);
    auto grown = std::make_unique<char[]>(cap);
    if (used > 0) std::memcpy(grown.get(), data_.get() + begin_, used);
    data_ = std::move(grown);
    cap_ = cap;
  }
  end_ = used;
  begin_ = 0;
}

Connection::Progress Connection::ReadRequest(const HeadLimits& limits, HeadRefusal* refusal) {
  for (;;) {
    if (!head_parsed_) {
      // Empty lines before a request line are skipped (RFC 9112, 2.2).
      const size_t empty = LeadingEmptyLines(Buffered());
      begin_ += 2 * empty;
      scan_from_ = empty > 0 ? 0 : scan_from_;
      const absl::string_view buffered = Buffered();
      const size_t head_end = FindHeadEnd(buffered, scan_from_);
      if (head_end == 0) {
        scan_from_ = buffered.size();
        if (buffered.size() > limits.max_header_bytes) {
          const bool no_line = buffered.find('\n') == absl::string_view::npos;
          refusal->status = no_line ? 414 : 431;
          refusal->reason = reason::kPayloadTooLarge;
          refusal->detail = no_line ? "the request line is too long"
                                    : absl::StrCat("the request line and headers must be at most ",
                                                   limits.max_header_bytes, " bytes");
          return Progress::kRefused;
        }
      } else {
        if (!ParseRequestHead(buffered.substr(0, head_end), limits, &head_, refusal)) {
          return Progress::kRefused;
        }
        head_parsed_ = true;
        request_bytes_ = head_end + static_cast<size_t>(head_.body_bytes);
        read_ = 0;
      }
    }
    if (head_parsed_) {
      if (end_ - begin_ >= request_bytes_) return Progress::kReady;
      if (head_.expect_continue && !continue_sent_) {
        continue_sent_ = true;
        TrySend(kContinue);
      }
    }
    // What may still be read: the rest of this request (head or body), plus
    // a chunk of whatever follows it; never more than one request's worth.
    const size_t have = end_ - begin_;
    const size_t limit = head_parsed_ ? request_bytes_ + kReadChunk : limits.max_header_bytes + 1;
    if (have >= limit) return Progress::kNeedMore;  // full: the rest waits in the kernel
    const size_t want = std::min(kReadChunk, limit - have);
    Reserve(want);
    const ssize_t got = ::recv(fd_, data_.get() + end_, want, MSG_DONTWAIT);
    if (got > 0) {
      end_ += static_cast<size_t>(got);
      continue;
    }
    if (got == 0) return Progress::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Progress::kNeedMore;
    return Progress::kClosed;
  }
}

absl::string_view Connection::request_target() const {
  if (!head_parsed_) return {};
  const absl::string_view line = Buffered().substr(0, Buffered().find('\r'));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos) return {};
  return line.substr(sp1 + 1, sp2 - sp1 - 1);
}

void Connection::BeginResponse(absl::Time deadline, absl::Duration write_timeout) {
  write_deadline_ = deadline;
  write_timeout_ = write_timeout;
  read_ = 0;
}

ssize_t Connection::Read(char* buf, size_t n) {
  if (!head_parsed_ || n == 0) return 0;
  const size_t left = request_bytes_ - read_;
  const size_t take = std::min(n, left);
  std::memcpy(buf, data_.get() + begin_ + read_, take);
  read_ += take;
  return static_cast<ssize_t>(take);
}

ssize_t Connection::Write(const char* data, size_t n) {
  for (;;) {
    const ssize_t sent = ::send(fd_, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    const absl::Duration left = write_deadline_ - absl::Now();
    if (left <= absl::ZeroDuration()) return -1;
    pollfd p{fd_, POLLOUT, 0};
    const int rc = ::poll(&p, 1, ToPollMillis(std::min(write_timeout_, left)));
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

void Connection::FinishRequest() {
  if (head_parsed_) begin_ += std::min(request_bytes_, end_ - begin_);
  head_parsed_ = false;
  continue_sent_ = false;
  request_bytes_ = 0;
  read_ = 0;
  scan_from_ = 0;
  head_ = RequestHead{};
  ++requests_served_;
  if (begin_ == end_) begin_ = end_ = 0;
}

void Connection::TrySend(absl::string_view data) {
  (void)::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Connection::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

bool Connection::Discard(size_t* discarded) {
  char sink[16 << 10];
  for (;;) {
    const ssize_t n = ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0) {
      *discarded += static_cast<size_t>(n);
      if (*discarded > (size_t{4} << 20)) return false;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void Connection::ReleaseIdleBuffer() {
  if (begin_ != end_) return;
  data_.reset();
  cap_ = begin_ = end_ = 0;
}

}  // namespace watchstore::http
