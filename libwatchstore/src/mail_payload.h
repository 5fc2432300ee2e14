// The template data of an outbox row ("key=value" lines) and the drafts the
// services write. Internal.
#ifndef WATCHSTORE_SRC_MAIL_PAYLOAD_H_
#define WATCHSTORE_SRC_MAIL_PAYLOAD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/outbox.h"

namespace watchstore::internal {

using PayloadFields = std::vector<std::pair<std::string, std::string>>;

// "k=v\n" per field. Control characters in values become spaces.
std::string EncodePayload(const PayloadFields& fields);
absl::flat_hash_map<std::string, std::string> DecodePayload(absl::string_view payload);

// A draft with a new Message-ID ("<32 hex@watchstore>").
OutboxDraft NewDraft(absl::string_view kind, absl::string_view recipient,
                     const PayloadFields& fields, absl::Time now);

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_MAIL_PAYLOAD_H_
