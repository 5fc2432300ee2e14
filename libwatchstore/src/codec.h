// Compact binary encoding of what the services cache, so a remote cache
// (Redis) can hold it. Internal. The format carries a version byte; a value
// of another version decodes as a miss.
#ifndef WATCHSTORE_SRC_CODEC_H_
#define WATCHSTORE_SRC_CODEC_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto.h"
#include "watchstore/clock.h"
#include "watchstore/facets.h"
#include "watchstore/product.h"
#include "watchstore/storage.h"
#include "watchstore/user.h"

namespace watchstore::internal {

std::string EncodeProduct(const Product& p);
std::optional<Product> DecodeProduct(absl::string_view bytes);

std::string EncodeProductPage(const ProductPage& page);
std::optional<ProductPage> DecodeProductPage(absl::string_view bytes);

std::string EncodeSessionRecord(const SessionRecord& s);
std::optional<SessionRecord> DecodeSessionRecord(absl::string_view bytes);

std::string EncodePrincipal(const Principal& p);
std::optional<Principal> DecodePrincipal(absl::string_view bytes);

std::string EncodeFacetCounts(const FacetCounts& f);
std::optional<FacetCounts> DecodeFacetCounts(absl::string_view bytes);

// Codecs for TypedCache (typed_cache.h).
struct ProductCodec {
  std::string Encode(const Product& p) const { return EncodeProduct(p); }
  std::optional<Product> Decode(absl::string_view b) const { return DecodeProduct(b); }
};
struct SessionRecordCodec {
  std::string Encode(const SessionRecord& s) const { return EncodeSessionRecord(s); }
  std::optional<SessionRecord> Decode(absl::string_view b) const { return DecodeSessionRecord(b); }
};
struct PrincipalCodec {
  std::string Encode(const Principal& p) const { return EncodePrincipal(p); }
  std::optional<Principal> Decode(absl::string_view b) const { return DecodePrincipal(b); }
};
// `Inner`'s encoding sealed with an HMAC (crypto.h SealValue), so a value
// someone else wrote into a shared cache (Redis) decodes as a miss; a sealed
// value older than `max_age` does too, which bounds the replay of an old one.
template <typename Inner>
struct SealedCodec {
  Inner inner;
  std::string key;  // kSealKeyBytes
  const Clock* clock;
  absl::Duration max_age;

  template <typename T>
  std::string Encode(const T& v) const {
    return SealValue(key, inner.Encode(v), clock->Now());
  }
  auto Decode(absl::string_view b) const -> decltype(inner.Decode(b)) {
    std::optional<absl::string_view> opened = OpenSealedValue(key, b, clock->Now(), max_age);
    if (!opened) return std::nullopt;
    return inner.Decode(*opened);
  }
};
struct FacetCodec {
  std::string Encode(const FacetCounts& f) const { return EncodeFacetCounts(f); }
  std::optional<FacetCounts> Decode(absl::string_view b) const { return DecodeFacetCounts(b); }
};
// Plain text, stored as it is.
struct TextCodec {
  std::string Encode(const std::string& s) const { return s; }
  std::optional<std::string> Decode(absl::string_view b) const { return std::string(b); }
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_CODEC_H_
