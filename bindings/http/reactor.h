// The server's read stage: one thread that accepts connections and reads
// each request completely (head and body) with epoll, and only then hands
// the connection to a worker. Slow clients (slowloris, a trickled body, an
// idle keep-alive connection) therefore cost a file descriptor and a bounded
// buffer here, never a worker. Between requests a connection comes back
// here until its next request has arrived.
//
// Bounds, all enforced here, cheaply:
//  - deadlines: a request's head within header_timeout, the whole request
//    within request_timeout, no silence longer than read_timeout, idle
//    keep-alive connections closed after keep_alive_timeout;
//  - connections per client address (the socket peer; IPv6 by /64), trusted
//    proxies exempt: past the cap, that address's oldest waiting connection
//    is closed to make room (so a client that floods slow connections only
//    displaces its own), or the new one is refused if none is waiting;
//  - connections in total, and bytes buffered in total: the oldest waiting
//    connection is closed first;
//  - refusals (a bad head, a timeout, a full queue) are written with one
//    non-blocking send, then the connection lingers here (input discarded,
//    at most a second) so the client reads the answer instead of a reset.
#ifndef WATCHSTORE_BINDINGS_HTTP_REACTOR_H_
#define WATCHSTORE_BINDINGS_HTTP_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connection.h"
#include "request_head.h"

namespace watchstore::http {

struct ReactorOptions {
  ConnectionLimits limits;
  HeadLimits head;
  absl::Duration keep_alive_timeout = absl::Seconds(75);
  // Open connections in total (waiting here or being served). Never above
  // what the process's file-descriptor limit allows.
  int max_connections = 10000;
  // Open connections per client address; 0: no cap. Peers for which
  // `exempt` returns true (trusted proxies) are not counted.
  int max_connections_per_address = 64;
  std::function<bool(absl::string_view peer)> exempt;
  // Request bytes buffered by waiting connections, in total.
  size_t max_buffered_bytes = size_t{64} << 20;
};

struct ReactorStats {
  int64_t open_connections = 0;
  int64_t evicted_connections = 0;  // closed to make room for others
  int64_t refused_connections = 0;  // closed at accept: no room at all
};

// Thread-safe where noted; everything else runs on the thread in Run().
class Reactor {
 public:
  // What the reactor asks of the server.
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // `conn` holds a whole request: serve it on a worker and give the
    // connection back with Return(). Returns `conn` back when it cannot be
    // served now (no capacity): the reactor then answers 503.
    virtual std::unique_ptr<Connection> Dispatch(std::unique_ptr<Connection> conn) = 0;
    // The whole response (status line to body) that refuses a request; the
    // connection closes after it. status 503: overloaded; 408: too slow.
    virtual std::string RefusalResponse(const HeadRefusal& refusal, bool head_request) = 0;
    // A request refused here, for metrics and the access log.
    virtual void Refused(const Connection& conn, int status) = 0;
  };

  // What a worker does with a connection when its response is written.
  enum class Next {
    kKeepAlive,  // wait for the next request
    kLinger,     // close gracefully (the client may still be sending)
    kClose,      // close now
  };

  // `delegate` must outlive the reactor.
  static absl::StatusOr<std::unique_ptr<Reactor>> Create(const ReactorOptions& options,
                                                         Delegate* delegate);
  ~Reactor();  // closes listeners and every connection it holds
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Adds a listening socket (ownership passes; made non-blocking). Connections
  // it accepts carry `listener_id`. Before Run() only.
  absl::Status AddListener(int fd, int listener_id);
  // Serves until Stop(); then closes the listeners and the connections held
  // here. Connections being served come back through Return() and are
  // closed by CloseReturned().
  void Run();
  // Thread-safe, idempotent, any time (also before Run()).
  void Stop();
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Thread-safe: a worker gives a connection back.
  void Return(std::unique_ptr<Connection> conn, Next next);
  // After Run() returned and the workers are done: closes what they returned.
  void CloseReturned();

  // Thread-safe.
  ReactorStats stats() const;

 private:
  enum class State { kReading, kLingering };
  struct Held {
    std::unique_ptr<Connection> conn;
    State state = State::kReading;
    absl::Time request_start;  // first byte of the request (accept for a new one)
    absl::Time last_read;
    size_t discarded = 0;      // lingering
    size_t charged_bytes = 0;  // counted in buffered_bytes_
    std::multimap<absl::Time, Connection*>::iterator deadline;
    std::list<Connection*>::iterator in_order;    // held_order_
    std::list<Connection*>::iterator in_address;  // its address's held list
  };
  struct Address {
    int open = 0;                 // connections open, here or on a worker
    std::list<Connection*> held;  // waiting here, oldest first
  };
  struct Listener {
    int fd;
    int id;
  };

  Reactor(const ReactorOptions& options, Delegate* delegate);
  absl::Status Init();
  void AcceptFrom(const Listener& listener);
  void Admit(int fd, const sockaddr_storage& peer, int listener_id);
  // Takes ownership of `conn` here, waiting for input.
  void Hold(std::unique_ptr<Connection> conn, State state);
  std::unique_ptr<Connection> Unhold(Connection* conn);
  void OnReadable(Connection* conn);
  // Reads and acts; `conn` is held.
  void Advance(Connection* conn);
  void Reschedule(Held& h);
  void Arm(Connection* conn);
  void Refuse(std::unique_ptr<Connection> conn, const HeadRefusal& refusal);
  void Linger(std::unique_ptr<Connection> conn);
  // Closes a connection (held or returned) and forgets it.
  void Close(std::unique_ptr<Connection> conn);
  void CloseHeld(Connection* conn);
  bool EvictOldest(std::list<Connection*>& order, Connection* keep);
  void ExpireDeadlines(absl::Time now);
  void ProcessReturned();
  void Recharge(Held& h);
  const std::string& AddressKeyOf(const Connection& conn);

  const ReactorOptions options_;
  Delegate* const delegate_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int spare_fd_ = -1;  // released to accept-and-close when out of descriptors
  std::vector<Listener> listeners_;
  std::atomic<bool> stopping_{false};

  // Reactor thread only.
  absl::flat_hash_map<Connection*, Held> held_;
  std::multimap<absl::Time, Connection*> deadlines_;
  std::list<Connection*> held_order_;  // every held connection, oldest first
  absl::flat_hash_map<std::string, Address> addresses_;
  absl::flat_hash_map<const Connection*, std::string> address_of_;  // counted connections
  size_t buffered_bytes_ = 0;

  absl::Mutex returned_mu_;
  std::vector<std::pair<Connection*, Next>> returned_ ABSL_GUARDED_BY(returned_mu_);

  std::atomic<int64_t> open_{0};
  std::atomic<int64_t> evicted_{0};
  std::atomic<int64_t> refused_{0};
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_REACTOR_H_
