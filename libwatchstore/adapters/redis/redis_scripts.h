// The Lua scripts of the Redis cache: stores and tombstones stamped with the
// time of the key's last change, so that a Fill can be refused atomically in
// Redis (see redis_cache.h and README.md). Internal.
#ifndef WATCHSTORE_ADAPTERS_REDIS_REDIS_SCRIPTS_H_
#define WATCHSTORE_ADAPTERS_REDIS_REDIS_SCRIPTS_H_

#include "absl/strings/string_view.h"

namespace watchstore::internal {

// The change stamp of a stored value or tombstone; -1 for an absent key
// (or one we could not read), 0 for a value of a foreign format.
inline constexpr absl::string_view kStampOf = R"lua(
local function stamp_of(cur)
  if type(cur) ~= 'string' then return -1 end
  if string.len(cur) >= 17 then
    local tag = string.sub(cur, 1, 1)
    if tag == 'v' or tag == 't' then return tonumber(string.sub(cur, 2, 17)) or 0 end
  end
  return 0
end
local function next_stamp(changed)
  local t = redis.call('TIME')
  return math.max(tonumber(t[1]) * 1000000 + tonumber(t[2]), changed + 1)
end
)lua";

// Put and Fill. KEYS[1]: key. ARGV[1]: bytes. ARGV[2]: TTL (ms). ARGV[3]:
// "" for a write (Put); for a fill, its ticket: the stamp the key had at the
// lookup. A fill is dropped (0) if the key changed since: written, erased or
// filled, each of which stamps it anew.
inline constexpr absl::string_view kPutBody = R"lua(
local changed = stamp_of(redis.pcall('GET', KEYS[1]))
if ARGV[3] ~= '' and changed > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], 'v' .. string.format('%016.0f', next_stamp(changed)) .. ARGV[1],
           'PX', ARGV[2])
return 1
)lua";

// Erase: leaves a tombstone. KEYS[1]: key. ARGV[1]: tombstone TTL (ms).
inline constexpr absl::string_view kEraseBody = R"lua(
local changed = next_stamp(stamp_of(redis.pcall('GET', KEYS[1])))
redis.call('SET', KEYS[1], 't' .. string.format('%016.0f', changed), 'PX', ARGV[1])
return 1
)lua";

}  // namespace watchstore::internal

#endif  // WATCHSTORE_ADAPTERS_REDIS_REDIS_SCRIPTS_H_
