// Compact binary encoding of what the services cache, so a remote cache
// (Redis) can hold it. Internal. The format carries a version byte; a value
// of another version decodes as a miss.
#ifndef WATCHSTORE_SRC_CODEC_H_
#define WATCHSTORE_SRC_CODEC_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "watchstore/facets.h"
#include "watchstore/product.h"
#include "watchstore/storage.h"
#include "watchstore/user.h"

namespace watchstore::internal {

// A session as the cache holds it: the record plus what Authenticate returns.
struct CachedSession {
  SessionRecord record;
  Principal principal;
};

std::string EncodeProduct(const Product& p);
std::optional<Product> DecodeProduct(absl::string_view bytes);

std::string EncodeProductPage(const ProductPage& page);
std::optional<ProductPage> DecodeProductPage(absl::string_view bytes);

std::string EncodeFacetCounts(const FacetCounts& f);
std::optional<FacetCounts> DecodeFacetCounts(absl::string_view bytes);

std::string EncodeSession(const CachedSession& s);
std::optional<CachedSession> DecodeSession(absl::string_view bytes);

// Codecs for TypedCache (typed_cache.h).
struct ProductCodec {
  std::string Encode(const Product& p) const { return EncodeProduct(p); }
  std::optional<Product> Decode(absl::string_view b) const { return DecodeProduct(b); }
};
struct SessionCodec {
  std::string Encode(const CachedSession& s) const { return EncodeSession(s); }
  std::optional<CachedSession> Decode(absl::string_view b) const { return DecodeSession(b); }
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
