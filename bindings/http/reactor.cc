#include "reactor.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client_address.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

// epoll tags: connections are pointers (even); the wake-up descriptor and
// the listeners have odd tags.
constexpr uint64_t kWakeTag = 1;
uint64_t ListenerTag(size_t index) { return 3 + 2 * static_cast<uint64_t>(index); }

constexpr absl::Duration kLingerTime = absl::Seconds(1);
constexpr int kAcceptsPerWakeup = 256;

int ToMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))), 1000));
}

// Descriptors the process may still open, minus a reserve for everything
// else it does (storage connections, logs, listeners).
int DescriptorBudget(int wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return wanted;
  const int64_t budget = static_cast<int64_t>(rl.rlim_cur) - 128;
  return static_cast<int>(std::max<int64_t>(16, std::min<int64_t>(wanted, budget)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::Create(const ReactorOptions& options,
                                                         Delegate* delegate) {
  if (delegate == nullptr) return absl::InvalidArgumentError("Reactor needs a delegate");
  if (options.max_connections < 1)
    return absl::InvalidArgumentError("max_connections must be >= 1");
  if (options.max_connections_per_address < 0) {
    return absl::InvalidArgumentError("max_connections_per_address must be >= 0");
  }
  std::unique_ptr<Reactor> r(new Reactor(options, delegate));
  if (absl::Status st = r->Init(); !st.ok()) return st;
  return r;
}

Reactor::Reactor(const ReactorOptions& options, Delegate* delegate)
    : options_([&] {
        ReactorOptions o = options;
        o.max_connections = DescriptorBudget(o.max_connections);
        return o;
      }()),
      delegate_(delegate) {}

absl::Status Reactor::Init() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0)
    return absl::InternalError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
  }
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return absl::OkStatus();
}

Reactor::~Reactor() {
  {
    absl::MutexLock lock(&returned_mu_);
    for (auto& [conn, next] : returned_) delete conn;
    returned_.clear();
  }
  held_.clear();  // closes the sockets
  for (const Listener& l : listeners_) {
    if (l.fd >= 0) ::close(l.fd);
  }
  if (spare_fd_ >= 0) ::close(spare_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

absl::Status Reactor::AddListener(int fd, int listener_id) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("fcntl: ", std::strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = ListenerTag(listeners_.size());
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(err)));
  }
  listeners_.push_back(Listener{fd, listener_id});
  return absl::OkStatus();
}

void Reactor::Stop() {
  stopping_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void Reactor::Return(std::unique_ptr<Connection> conn, Next next) {
  bool wake = false;
  {
    absl::MutexLock lock(&returned_mu_);
    wake = returned_.empty();
    returned_.emplace_back(conn.release(), next);
  }
  if (wake) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

ReactorStats Reactor::stats() const {
  ReactorStats s;
  s.open_connections = open_.load(std::memory_order_relaxed);
  s.evicted_connections = evicted_.load(std::memory_order_relaxed);
  s.refused_connections = refused_.load(std::memory_order_relaxed);
  return s;
}

void Reactor::Run() {
  epoll_event events[128];
  while (!stopping()) {
    ProcessReturned();
    int timeout = 1000;
    if (!deadlines_.empty()) timeout = ToMillis(deadlines_.begin()->first - absl::Now());
    const int n = ::epoll_wait(epoll_fd_, events, 128, timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof count);
      } else if ((tag & 1) != 0) {
        const size_t index = static_cast<size_t>((tag - 3) / 2);
        if (index < listeners_.size() && !stopping()) AcceptFrom(listeners_[index]);
      } else {
        OnReadable(static_cast<Connection*>(events[i].data.ptr));
      }
    }
    ExpireDeadlines(absl::Now());
  }
  // Stopping: no new connections; those waiting here are closed (a request
  // half-received is abandoned); those on workers finish and come back.
  for (Listener& l : listeners_) {
    if (l.fd >= 0) ::close(l.fd);
    l.fd = -1;
  }
  std::vector<Connection*> all;
  all.reserve(held_.size());
  for (const auto& [conn, h] : held_) all.push_back(conn);
  for (Connection* c : all) CloseHeld(c);
  ProcessReturned();
}

void Reactor::CloseReturned() {
  std::vector<std::pair<Connection*, Next>> batch;
  {
    absl::MutexLock lock(&returned_mu_);
    batch.swap(returned_);
  }
  for (auto& [conn, next] : batch) Close(std::unique_ptr<Connection>(conn));
}

void Reactor::AcceptFrom(const Listener& listener) {
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Admit(fd, ss, listener.id);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE) {
      // Out of descriptors: make room, or accept-and-close with the spare
      // one so the backlog drains instead of the loop spinning.
      if (EvictOldest(held_order_, nullptr)) continue;
      if (spare_fd_ >= 0) {
        ::close(spare_fd_);
        const int drop = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (drop >= 0) {
          ::close(drop);
          refused_.fetch_add(1, std::memory_order_relaxed);
        }
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
    }
    return;  // EAGAIN, or nothing more to do now
  }
}

void Reactor::Admit(int fd, const sockaddr_storage& peer, int listener_id) {
  std::string ip;
  int port = 0;
  AddressOf(peer, &ip, &port);
  if (open_.load(std::memory_order_relaxed) >= options_.max_connections &&
      !EvictOldest(held_order_, nullptr)) {
    ::close(fd);
    refused_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const bool counted =
      options_.max_connections_per_address > 0 && !(options_.exempt && options_.exempt(ip));
  std::string key;
  if (counted) {
    key = ClientKey(ip);
    auto it = addresses_.find(key);
    if (it != addresses_.end() && it->second.open >= options_.max_connections_per_address &&
        !EvictOldest(it->second.held, nullptr)) {
      // Everything this address has open is being served: refuse.
      ::close(fd);
      refused_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto conn = std::make_unique<Connection>(fd, peer, listener_id);
  Connection* c = conn.get();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = c;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return;  // conn closes it
  open_.fetch_add(1, std::memory_order_relaxed);
  if (counted) {
    ++addresses_[key].open;
    address_of_[c] = std::move(key);
  }
  Hold(std::move(conn), State::kReading);
}

void Reactor::Hold(std::unique_ptr<Connection> conn, State state) {
  Connection* c = conn.get();
  const absl::Time now = absl::Now();
  Held& h = held_[c];
  h.conn = std::move(conn);
  h.state = state;
  h.request_start = now;
  h.last_read = now;
  h.discarded = 0;
  h.charged_bytes = 0;
  h.deadline = deadlines_.end();
  h.in_order = held_order_.insert(held_order_.end(), c);
  if (auto a = address_of_.find(c); a != address_of_.end()) {
    std::list<Connection*>& list = addresses_[a->second].held;
    h.in_address = list.insert(list.end(), c);
  }
  Recharge(h);
  Reschedule(h);
}

std::unique_ptr<Connection> Reactor::Unhold(Connection* c) {
  auto it = held_.find(c);
  if (it == held_.end()) return nullptr;
  Held& h = it->second;
  if (h.deadline != deadlines_.end()) deadlines_.erase(h.deadline);
  held_order_.erase(h.in_order);
  if (auto a = address_of_.find(c); a != address_of_.end()) {
    addresses_[a->second].held.erase(h.in_address);
  }
  buffered_bytes_ -= h.charged_bytes;
  std::unique_ptr<Connection> conn = std::move(h.conn);
  held_.erase(it);
  return conn;
}

void Reactor::Recharge(Held& h) {
  const size_t now_bytes = h.state == State::kLingering ? 0 : h.conn->buffer_capacity();
  buffered_bytes_ = buffered_bytes_ - h.charged_bytes + now_bytes;
  h.charged_bytes = now_bytes;
}

void Reactor::Reschedule(Held& h) {
  Connection* c = h.conn.get();
  absl::Time deadline;
  if (h.state == State::kLingering) {
    deadline = h.request_start + kLingerTime;
  } else if (!c->request_started()) {
    // Waiting for a request: a new connection gets the header timeout, a
    // kept-alive one the keep-alive timeout.
    deadline = h.last_read + (c->requests_served() == 0 ? options_.limits.header_timeout
                                                        : options_.keep_alive_timeout);
  } else {
    deadline = h.request_start + (c->head_parsed() ? options_.limits.request_timeout
                                                   : options_.limits.header_timeout);
    deadline = std::min(deadline, h.last_read + options_.limits.read_timeout);
  }
  if (h.deadline != deadlines_.end()) deadlines_.erase(h.deadline);
  h.deadline = deadlines_.emplace(deadline, c);
}

void Reactor::Arm(Connection* c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = c;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd(), &ev) != 0) CloseHeld(c);
}

void Reactor::OnReadable(Connection* c) {
  auto it = held_.find(c);
  if (it == held_.end()) return;  // closed since the event was queued
  Held& h = it->second;
  if (h.state == State::kLingering) {
    if (c->Discard(&h.discarded)) {
      Arm(c);
    } else {
      CloseHeld(c);
    }
    return;
  }
  const bool was_started = c->request_started();
  h.last_read = absl::Now();
  HeadRefusal refusal;
  const Connection::Progress p = c->ReadRequest(options_.head, &refusal);
  if (!was_started && c->request_started() && c->requests_served() > 0) {
    h.request_start = h.last_read;  // a kept-alive connection's next request began
  }
  switch (p) {
    case Connection::Progress::kReady: {
      std::unique_ptr<Connection> back = delegate_->Dispatch(Unhold(c));
      if (back != nullptr) {
        HeadRefusal busy;
        busy.status = 503;
        busy.reason = watchstore::reason::kUnavailable;
        busy.detail = "the server is busy; try again shortly";
        Refuse(std::move(back), busy);
      }
      return;
    }
    case Connection::Progress::kRefused:
      Refuse(Unhold(c), refusal);
      return;
    case Connection::Progress::kClosed:
      CloseHeld(c);
      return;
    case Connection::Progress::kNeedMore:
      break;
  }
  Recharge(h);
  Reschedule(h);
  Arm(c);
  // Too much buffered in total: the oldest waiting connections make room.
  while (buffered_bytes_ > options_.max_buffered_bytes && EvictOldest(held_order_, c)) {
  }
}

void Reactor::Refuse(std::unique_ptr<Connection> conn, const HeadRefusal& refusal) {
  if (conn == nullptr) return;
  delegate_->Refused(*conn, refusal.status);
  const bool head_request = conn->head_parsed() && conn->head().method == "HEAD";
  conn->TrySend(delegate_->RefusalResponse(refusal, head_request));
  Linger(std::move(conn));
}

void Reactor::Linger(std::unique_ptr<Connection> conn) {
  conn->ShutdownWrite();
  Connection* c = conn.get();
  Hold(std::move(conn), State::kLingering);
  Arm(c);
}

void Reactor::Close(std::unique_ptr<Connection> conn) {
  if (conn == nullptr) return;
  if (auto a = address_of_.find(conn.get()); a != address_of_.end()) {
    auto it = addresses_.find(a->second);
    if (it != addresses_.end() && --it->second.open <= 0 && it->second.held.empty()) {
      addresses_.erase(it);
    }
    address_of_.erase(a);
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
  conn.reset();  // closes the socket (and leaves the epoll set)
}

void Reactor::CloseHeld(Connection* c) { Close(Unhold(c)); }

bool Reactor::EvictOldest(std::list<Connection*>& order, Connection* keep) {
  for (Connection* c : order) {
    if (c == keep) continue;
    evicted_.fetch_add(1, std::memory_order_relaxed);
    CloseHeld(c);
    return true;
  }
  return false;
}

void Reactor::ExpireDeadlines(absl::Time now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Connection* c = deadlines_.begin()->second;
    auto it = held_.find(c);
    if (it == held_.end()) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    if (it->second.state == State::kLingering || !c->request_started()) {
      CloseHeld(c);  // nothing was asked: close quietly
      continue;
    }
    HeadRefusal late;
    late.status = 408;
    late.reason = watchstore::reason::kValidation;
    late.detail = "the request took too long to arrive";
    Refuse(Unhold(c), late);
  }
}

void Reactor::ProcessReturned() {
  std::vector<std::pair<Connection*, Next>> batch;
  {
    absl::MutexLock lock(&returned_mu_);
    if (returned_.empty()) return;
    batch.swap(returned_);
  }
  for (auto& [raw, next] : batch) {
    std::unique_ptr<Connection> conn(raw);
    if (stopping() && next != Next::kClose) next = Next::kClose;
    switch (next) {
      case Next::kClose:
        Close(std::move(conn));
        break;
      case Next::kLinger:
        Linger(std::move(conn));
        break;
      case Next::kKeepAlive:
        conn->ReleaseIdleBuffer();
        Hold(std::move(conn), State::kReading);
        Arm(raw);
        break;
    }
  }
}

}  // namespace watchstore::http
