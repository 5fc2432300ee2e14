#include "watchstore/read_consistency.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "sync.h"

namespace watchstore {
namespace {

thread_local bool primary_required = false;

}  // namespace

struct SessionWrites::State {
  mutable internal::Mutex mu;
  // Session key -> end of its window, in Unix nanoseconds.
  absl::flat_hash_map<std::string, int64_t> until ABSL_GUARDED_BY(mu);
  // Past this size, expired entries are dropped before an insert.
  size_t prune_at ABSL_GUARDED_BY(mu) = 1024;
};

SessionWrites::SessionWrites(const SessionWritesOptions& options)
    : window_(options.window),
      clock_(options.clock ? options.clock : RealClock()),
      state_(std::make_unique<State>()) {}

SessionWrites::~SessionWrites() = default;

SessionWrites::Scope::Scope(SessionWrites& writes, absl::string_view session_key, bool writes_data)
    : owner_(writes),
      key_(session_key),
      writes_(writes_data),
      previous_primary_required_(primary_required) {
  primary_required = writes_ || (!key_.empty() && owner_.WroteRecently(key_));
}

SessionWrites::Scope::~Scope() {
  if (writes_ && !key_.empty()) owner_.NoteWrite(key_);
  primary_required = previous_primary_required_;
}

bool SessionWrites::PrimaryRequired() { return primary_required; }

bool SessionWrites::WroteRecently(absl::string_view session_key) {
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  internal::MutexLock lock(&state_->mu);
  auto it = state_->until.find(session_key);
  if (it == state_->until.end()) return false;
  if (it->second > now) return true;
  state_->until.erase(it);
  return false;
}

void SessionWrites::NoteWrite(absl::string_view session_key) {
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  const int64_t until = now + absl::ToInt64Nanoseconds(window_);
  State& s = *state_;
  internal::MutexLock lock(&s.mu);
  if (s.until.size() >= s.prune_at) {
    absl::erase_if(s.until, [now](const auto& kv) { return kv.second <= now; });
    // Live entries are bounded by the write rate times the window; grow the
    // threshold with them so pruning stays amortized O(1) per write.
    s.prune_at = std::max<size_t>(1024, 2 * s.until.size());
  }
  s.until[std::string(session_key)] = until;
}

int64_t SessionWrites::sessions() const {
  internal::MutexLock lock(&state_->mu);
  return static_cast<int64_t>(state_->until.size());
}

}  // namespace watchstore
