// TypedCache<T>: a Cache seen as a cache of shared, immutable T values, so
// that services never build CacheValues, write decoder lambdas or cast back
// from `CacheValue::object`. Internal.
#ifndef WATCHSTORE_SRC_TYPED_CACHE_H_
#define WATCHSTORE_SRC_TYPED_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/cache.h"

namespace watchstore::internal {

// Codec: a type with
//   std::string Encode(const T&) const;
//   std::optional<T> Decode(absl::string_view bytes) const;  // nullopt: undecodable
// Thread-safe as the Cache is. Does not own the cache; it must outlive this.
template <typename T, typename Codec>
class TypedCache {
 public:
  using Ptr = std::shared_ptr<const T>;

  // The result of a lookup: the value (null on a miss) and the ticket a
  // fill after this lookup must present.
  struct Found {
    Ptr value;
    FillTicket ticket;
  };

  TypedCache(Cache* cache, Codec codec)
      : cache_(cache),
        codec_(std::move(codec)),
        decode_([this](absl::string_view bytes) { return Decoded(bytes); }) {}
  TypedCache(const TypedCache&) = delete;
  TypedCache& operator=(const TypedCache&) = delete;

  Found Lookup(absl::string_view key) const {
    Found f;
    f.value = Unwrap(cache_->Lookup(key, decode_, &f.ticket));
    return f;
  }

  // As Lookup, with the lease of a fresh in-process hit (Cache::LookupLeased).
  Found LookupLeased(absl::string_view key, CacheLease* lease) const {
    Found f;
    f.value = Unwrap(cache_->LookupLeased(key, decode_, &f.ticket, lease));
    return f;
  }

  // Fills `key` with `value` (read from storage after the lookup that issued
  // `ticket`, see Cache::Fill) and returns it as a shared snapshot whether
  // or not the cache took it.
  Ptr Fill(absl::string_view key, T value, absl::Duration ttl, const FillTicket& ticket) const {
    CacheValuePtr v = Wrap(std::move(value));
    cache_->Fill(key, v, ttl, ticket);
    return Unwrap(std::move(v));
  }

  // A write (Cache::Put); returns the stored snapshot.
  Ptr Put(absl::string_view key, T value, absl::Duration ttl) const {
    CacheValuePtr v = Wrap(std::move(value));
    cache_->Put(key, v, ttl);
    return Unwrap(std::move(v));
  }

  void Erase(absl::string_view key) const { cache_->Erase(key); }

  // The encoded value and its decoded object in one CacheValue.
  CacheValuePtr Wrap(T value) const {
    std::string bytes = codec_.Encode(value);
    return Allocate(std::move(value), std::move(bytes));
  }

 private:
  // A T and the CacheValue that carries it, in one allocation: the object
  // sits right after the shared reference count, so a hit that takes a
  // reference and reads the object's first fields touches one cache line.
  struct Block {
    T object;
    CacheValue value;
  };

  static CacheValuePtr Allocate(T object, std::string bytes) {
    auto both = std::make_shared<Block>(Block{std::move(object), CacheValue{}});
    both->value.bytes = std::move(bytes);
    // `object` does not own: it lives exactly as long as the CacheValue
    // that holds it (both are owned by the returned pointer's count), and
    // is read only through that CacheValue (Unwrap aliases it).
    both->value.object = std::shared_ptr<const void>(std::shared_ptr<const void>(), &both->object);
    return CacheValuePtr(both, &both->value);
  }

  CacheValuePtr Decoded(absl::string_view bytes) const {
    std::optional<T> v = codec_.Decode(bytes);
    if (!v) return nullptr;
    return Allocate(std::move(*v), std::string(bytes));
  }

  // The T inside a value this wrapper made, aliasing the value's lifetime.
  // Every value under this wrapper's keys has an `object` of type T (Wrap
  // and Decoded make them), so the cast is the only one in the library.
  static Ptr Unwrap(CacheValuePtr v) {
    if (v == nullptr || v->object == nullptr) return nullptr;
    const T* object = static_cast<const T*>(v->object.get());
    return Ptr(std::move(v), object);
  }

  Cache* const cache_;
  const Codec codec_;
  const CacheDecoder decode_;
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_TYPED_CACHE_H_
