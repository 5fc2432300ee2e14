// Read-your-writes for storage that serves some reads from replicas that
// lag the primary (NewPostgresReplicaRouter). The binding marks each request
// with the session it belongs to; a replica router asks
// SessionWrites::PrimaryRequired() before it sends a read to a replica.
//
//   SessionWrites writes({.window = absl::Seconds(5)});
//   // per request, on the thread that serves it:
//   SessionWrites::Scope scope(writes, session_key, /*writes=*/is_post);
//   ... calls into the Store ...
#ifndef WATCHSTORE_READ_CONSISTENCY_H_
#define WATCHSTORE_READ_CONSISTENCY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/clock.h"

namespace watchstore {

struct SessionWritesOptions {
  // After a session's write, its reads go to the primary for this long.
  // At least the oldest a replica read can be (for PostgreSQL replicas,
  // PostgresReplicaOptions::MaxStaleness()), or a session may not see its
  // own write. > 0.
  absl::Duration window = absl::Seconds(5);
  // Time source. Not owned; must outlive this. null: RealClock().
  const Clock* clock = nullptr;
};

// The sessions that wrote within the window, in this process. Thread-safe.
// Memory: one small entry per session that wrote in the last `window`.
class SessionWrites {
 public:
  explicit SessionWrites(const SessionWritesOptions& options);
  ~SessionWrites();
  SessionWrites(const SessionWrites&) = delete;
  SessionWrites& operator=(const SessionWrites&) = delete;

  // One request of one session, on the calling thread, for the scope's
  // lifetime. `session_key` is anything stable for the session (a hash of
  // its token, a guest cart's token); empty: a request of no session, never
  // pinned to the primary unless it writes. `writes` true (a request that may
  // write: POST, PUT, PATCH, DELETE): every read inside goes to the primary,
  // and the session's window starts when the scope ends. Scopes nest; the
  // inner one decides until it ends. Not movable: it lives on the stack.
  class Scope {
   public:
    Scope(SessionWrites& writes, absl::string_view session_key, bool writes_data);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    SessionWrites& owner_;
    const std::string key_;
    const bool writes_;
    const bool previous_primary_required_;
  };

  // True if reads on the calling thread must see the primary: inside a
  // writing Scope, or a Scope of a session that wrote within the window.
  // False outside any Scope. For storage decorators; cheap (thread-local).
  static bool PrimaryRequired();

  // Sessions currently remembered (for tests and metrics).
  int64_t sessions() const;

 private:
  bool WroteRecently(absl::string_view session_key);
  void NoteWrite(absl::string_view session_key);

  struct State;
  const absl::Duration window_;
  const Clock* const clock_;
  std::unique_ptr<State> state_;
};

}  // namespace watchstore

#endif  // WATCHSTORE_READ_CONSISTENCY_H_
