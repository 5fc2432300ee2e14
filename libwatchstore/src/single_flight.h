// SingleFlight: one load at a time per key in this process. Internal.
#ifndef WATCHSTORE_SRC_SINGLE_FLIGHT_H_
#define WATCHSTORE_SRC_SINGLE_FLIGHT_H_

#include <condition_variable>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sync.h"

namespace watchstore::internal {

// Runs `load` at most once at a time per key; concurrent callers for the
// same key wait and share its result, so a burst of misses on one key costs
// one storage read. A writer calls Forget(key) after its write: callers that
// arrive later start a load of their own instead of joining one that may
// have read before the write. Thread-safe.
template <typename V>
class SingleFlight {
 public:
  absl::StatusOr<V> Do(absl::string_view key, absl::FunctionRef<absl::StatusOr<V>()> load) {
    std::shared_ptr<Call> call;
    bool leader = false;
    {
      MutexLock lock(&mu_);
      auto& slot = calls_[key];
      if (slot == nullptr) {
        slot = std::make_shared<Call>();
        leader = true;
      }
      call = slot;
    }
    if (leader) {
      absl::StatusOr<V> result = load();
      {
        MutexLock lock(&mu_);
        auto it = calls_.find(key);
        if (it != calls_.end() && it->second == call) calls_.erase(it);
      }
      {
        MutexLock lock(&call->mu);
        call->result = std::move(result);
      }
      call->finished.notify_all();
    }
    MutexLock lock(&call->mu);
    call->mu.Await(call->finished,
                   [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return call->result.has_value(); });
    return *call->result;
  }

  // Later callers for `key` do not join a load already running.
  void Forget(absl::string_view key) {
    MutexLock lock(&mu_);
    calls_.erase(key);
  }

 private:
  struct Call {
    Mutex mu;
    std::condition_variable finished;
    std::optional<absl::StatusOr<V>> result ABSL_GUARDED_BY(mu);
  };
  Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_SINGLE_FLIGHT_H_
