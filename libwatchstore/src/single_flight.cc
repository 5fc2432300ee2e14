#include "services.h"

namespace watchstore::internal {

CacheValuePtr SingleFlight::Do(const std::string& key,
                               const std::function<absl::StatusOr<CacheValuePtr>()>& load,
                               absl::Status* status) {
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
    absl::StatusOr<CacheValuePtr> result = load();
    {
      MutexLock lock(&mu_);
      calls_.erase(key);
    }
    {
      MutexLock lock(&call->mu);
      call->done = true;
      if (result.ok()) {
        call->value = *result;
      } else {
        call->status = result.status();
      }
    }
    call->finished.notify_all();
  }
  MutexLock lock(&call->mu);
  call->mu.Await(call->finished, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return call->done; });
  *status = call->status;
  return call->value;
}

}  // namespace watchstore::internal
