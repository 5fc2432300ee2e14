#include "crypto.h"

#include <sodium.h>

#include <cstdlib>

namespace watchstore::internal {

constexpr size_t kTokenBytes = 32;
constexpr size_t kTokenChars = 43;  // unpadded base64url of 32 bytes

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no secure randomness: nothing safe to do
}

uint64_t RandomU64() {
  EnsureSodium();
  uint64_t v = 0;
  randombytes_buf(&v, sizeof(v));
  return v;
}

std::string NewSealKey() {
  EnsureSodium();
  std::string key(kSealKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

namespace {

constexpr size_t kStampBytes = 8;
constexpr size_t kTagBytes = crypto_auth_hmacsha256_BYTES;

void Tag(absl::string_view key, absl::string_view message, unsigned char* out) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, out);
}

}  // namespace

std::string SealValue(absl::string_view key, absl::string_view bytes, absl::Time sealed_at) {
  EnsureSodium();
  std::string out(bytes);
  const uint64_t micros = static_cast<uint64_t>(absl::ToUnixMicros(sealed_at));
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(micros >> shift));
  unsigned char tag[kTagBytes];
  Tag(key, out, tag);
  out.append(reinterpret_cast<const char*>(tag), kTagBytes);
  return out;
}

std::optional<absl::string_view> OpenSealedValue(absl::string_view key, absl::string_view sealed,
                                                 absl::Time now, absl::Duration max_age) {
  if (sealed.size() < kStampBytes + kTagBytes) return std::nullopt;
  const absl::string_view message = sealed.substr(0, sealed.size() - kTagBytes);
  unsigned char tag[kTagBytes];
  Tag(key, message, tag);
  if (sodium_memcmp(tag, sealed.data() + message.size(), kTagBytes) != 0) return std::nullopt;
  uint64_t micros = 0;
  for (unsigned char c : message.substr(message.size() - kStampBytes)) micros = micros << 8 | c;
  const absl::Time at = absl::FromUnixMicros(static_cast<int64_t>(micros));
  if (at > now + absl::Seconds(1) || now - at > max_age) return std::nullopt;
  return message.substr(0, message.size() - kStampBytes);
}

}  // namespace watchstore::internal

namespace watchstore {

using internal::EnsureSodium;
using internal::kTokenBytes;
using internal::kTokenChars;

std::string NewRandomToken() {
  EnsureSodium();
  unsigned char raw[kTokenBytes];
  randombytes_buf(raw, sizeof(raw));
  char out[sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof(out), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof(raw));
  return std::string(out);
}

std::string internal::DeriveToken(absl::string_view secret, absl::string_view context) {
  EnsureSodium();
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(context.data()),
                                context.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  static_assert(sizeof(mac) == kTokenBytes);
  char out[sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof(out), mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(mac, sizeof(mac));
  return std::string(out);
}

bool IsWellFormedToken(absl::string_view token) {
  if (token.size() != kTokenChars) return false;
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Sha256Hex(absl::string_view data) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace watchstore
