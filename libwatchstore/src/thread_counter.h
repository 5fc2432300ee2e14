// ThreadCounter: a count that many threads add to, each to a cell of its
// own (a load and a store on a line no other thread writes, no
// read-modify-write), summed when read. For counts on paths that take no
// lock, where one shared atomic would bounce between cores. Internal.
#ifndef WATCHSTORE_SRC_THREAD_COUNTER_H_
#define WATCHSTORE_SRC_THREAD_COUNTER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "sync.h"

namespace watchstore::internal {

// A process-wide id, never reused: for per-thread tables keyed by the
// object they serve, so that an entry left by a destroyed object is never
// taken for a live one's.
inline uint64_t NextInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

class ThreadCounter {
 public:
  // One thread's cell: only that thread adds to it.
  struct alignas(64) Cell {
    std::atomic<int64_t> value{0};
  };

  ThreadCounter() : id_(NextInstanceId()) {}
  ThreadCounter(const ThreadCounter&) = delete;
  ThreadCounter& operator=(const ThreadCounter&) = delete;

  // The calling thread's cell (made on its first call); valid as long as
  // this counter. Add to its value only from the calling thread (AddOwn).
  Cell* CellOfThisThread() {
    // Counters are told apart by id, never reused, so an entry left by a
    // destroyed counter is never taken for a live one's. The last one
    // asked for is remembered apart (a process has one hot counter).
    thread_local uint64_t last_id = 0;
    thread_local Cell* last_cell = nullptr;
    if (last_id == id_) return last_cell;
    thread_local absl::flat_hash_map<uint64_t, Cell*> mine;
    Cell*& cell = mine[id_];
    if (cell == nullptr) {
      MutexLock lock(&mu_);
      cells_.push_back(std::make_unique<Cell>());
      cell = cells_.back().get();
    }
    last_id = id_;
    last_cell = cell;
    return cell;
  }

  // Adds `n` to a cell's value that only the calling thread adds to.
  static void AddOwn(std::atomic<int64_t>* value, int64_t n) {
    value->store(value->load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  int64_t Sum() const {
    MutexLock lock(&mu_);
    int64_t sum = 0;
    for (const auto& c : cells_) sum += c->value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  const uint64_t id_;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Cell>> cells_ ABSL_GUARDED_BY(mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_THREAD_COUNTER_H_
