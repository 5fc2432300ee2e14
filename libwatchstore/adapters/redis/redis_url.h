// Parsing of redis:// URLs. Internal.
#ifndef WATCHSTORE_ADAPTERS_REDIS_REDIS_URL_H_
#define WATCHSTORE_ADAPTERS_REDIS_REDIS_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace watchstore::internal {

struct RedisEndpoint {
  std::string host;  // name or address; IPv6 without brackets
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  int db = 0;
};

// redis://[[user]:password@]host[:port][/db]. InvalidArgument naming what is
// wrong (never echoing the password).
absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url);

}  // namespace watchstore::internal

#endif  // WATCHSTORE_ADAPTERS_REDIS_REDIS_URL_H_
