#include "redis/redis_outage.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "redis/redis_common.h"

namespace watchstore::internal {

PendingInvalidations::PendingInvalidations(const RedisOptions& o, std::string erase_script)
    : max_keys_(o.max_pending_invalidations),
      publish_(o.publish_invalidations),
      prefix_(KeyPrefix(o)),
      channel_(InvalidationChannel(o)),
      erase_script_(std::move(erase_script)),
      tombstone_ms_(absl::StrCat(absl::ToInt64Milliseconds(o.tombstone_ttl))) {}

std::string PendingInvalidations::Prefixed(absl::string_view key) const {
  return absl::StrCat(prefix_, key);
}

void PendingInvalidations::Remember(absl::string_view key) {
  MutexLock lock(&mu_);
  if (!overflow_) {
    if (static_cast<int>(pending_.size()) < max_keys_) {
      pending_.insert(std::string(key));
    } else {
      overflow_ = true;
      pending_.clear();
    }
  }
  has_pending_.store(true, std::memory_order_release);
}

// Deletes every remembered key (or, after an overflow, every key under the
// prefix) and announces it, before `conn` serves anything else. kBusy if
// another thread is at it.
PendingInvalidations::DrainResult PendingInvalidations::Drain(RedisConnection* conn) {
  if (draining_.exchange(true, std::memory_order_acq_rel)) return DrainResult::kBusy;
  absl::flat_hash_set<std::string> keys;
  bool overflow;
  {
    MutexLock lock(&mu_);
    keys.swap(pending_);
    overflow = overflow_;
    overflow_ = false;
  }
  const bool ok = overflow ? WipePrefix(conn) : DeleteKeys(conn, keys);
  if (!ok) {
    MutexLock lock(&mu_);
    if (overflow) {
      overflow_ = true;
    } else if (!overflow_) {
      for (auto& k : keys) {
        if (static_cast<int>(pending_.size()) >= max_keys_) {
          overflow_ = true;
          pending_.clear();
          break;
        }
        pending_.insert(k);
      }
    }
  } else {
    MutexLock lock(&mu_);
    if (pending_.empty() && !overflow_) {
      has_pending_.store(false, std::memory_order_release);
    }
  }
  draining_.store(false, std::memory_order_release);
  return ok ? DrainResult::kDone : DrainResult::kFailed;
}

// Tombstones for `keys` (as Erase), then their announcement.
bool PendingInvalidations::DeleteKeys(RedisConnection* conn,
                                      const absl::flat_hash_set<std::string>& keys) {
  constexpr size_t kAnnounceEach = 64;  // more: one "drop everything" message
  std::vector<std::string> prefixed;
  prefixed.reserve(keys.size());
  for (const auto& k : keys) prefixed.push_back(Prefixed(k));
  size_t commands = 0;
  for (const std::string& k : prefixed) {
    if (!conn->Append({"EVAL", erase_script_, "1", k, tombstone_ms_})) return false;
    ++commands;
  }
  std::vector<std::string> messages;
  if (publish_) {
    if (keys.size() <= kAnnounceEach) {
      for (const auto& k : keys) messages.push_back(absl::StrCat(kMessageKey, k));
    } else {
      messages.push_back(std::string(kMessageAll));
    }
    for (const auto& m : messages) {
      if (!conn->Append({"PUBLISH", channel_, m})) return false;
      ++commands;
    }
  }
  return ReadAllOk(conn, commands);
}

// SCAN + UNLINK of every key under the prefix, then "drop everything".
bool PendingInvalidations::WipePrefix(RedisConnection* conn) {
  const std::string pattern = absl::StrCat(prefix_, "*");
  std::string cursor = "0";
  do {
    if (!conn->Append({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"})) return false;
    ReplyPtr r = conn->Read();
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
      return false;
    }
    cursor.assign(r->element[0]->str, r->element[0]->len);
    const redisReply* batch = r->element[1];
    if (batch->elements > 0) {
      std::vector<absl::string_view> args = {"UNLINK"};
      for (size_t i = 0; i < batch->elements; ++i) {
        args.emplace_back(batch->element[i]->str, batch->element[i]->len);
      }
      if (!conn->Append(args) || !ReadAllOk(conn, 1)) return false;
    }
  } while (cursor != "0");
  if (publish_) {
    if (!conn->Append({"PUBLISH", channel_, kMessageAll})) return false;
    return ReadAllOk(conn, 1);
  }
  return true;
}

bool PendingInvalidations::ReadAllOk(RedisConnection* conn, size_t n) {
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    ReplyPtr r = conn->Read();
    if (r == nullptr) return false;
    if (r->type == REDIS_REPLY_ERROR) ok = false;
  }
  return ok;
}

}  // namespace watchstore::internal
