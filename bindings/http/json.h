// JSON in and out, strictly. Request bodies are parsed with RapidJSON's
// iterative parser (no recursion: nesting cannot exhaust the stack), UTF-8
// validation, a byte limit and a depth limit; numbers are range-checked by us
// (RapidJSON 1.1.0's double conversion has an unpatched abort, so it never
// sees a number). Objects are read field by field with ObjectReader, which
// rejects wrong types, duplicate keys and fields nobody asked for.
//
// The only header of the server that includes RapidJSON; include it, never
// rapidjson/*.h directly.
#ifndef WATCHSTORE_BINDINGS_HTTP_JSON_H_
#define WATCHSTORE_BINDINGS_HTTP_JSON_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace watchstore::http {

struct JsonLimits {
  size_t max_bytes = 64 << 10;  // larger bodies: 413
  int max_depth = 32;           // objects and arrays nested deeper: 400
};

// A parsed document. Numbers that are integers fitting in int64 are Int64
// values; every other number (fractions, exponents, out of range) is a
// Double, which no integer field accepts.
using JsonDocument = rapidjson::Document;
using JsonValue = rapidjson::Value;

// InvalidArgument (field "body") for malformed JSON, invalid UTF-8, a NUL in
// a string or too deep a nesting; the caller checks the byte limit first.
absl::StatusOr<std::unique_ptr<JsonDocument>> ParseJson(absl::string_view text,
                                                        const JsonLimits& limits);

// Reads the fields of one object. Each getter returns false once an error was
// recorded (the first one wins); Finish() returns it, or an error naming the
// first field that was never read. Field paths in errors are JSON paths
// relative to the body ("shipping.city", "variants[1].price.amount_minor").
class ObjectReader {
 public:
  // `value` must outlive the reader; a non-object records an error at `path`.
  ObjectReader(const JsonValue& value, std::string path);

  enum Presence { kRequired, kOptional };

  // Strings: valid UTF-8 (checked by the parser), at most max_bytes.
  bool String(const char* name, std::string* out, Presence presence, size_t max_bytes = 4096);
  bool Int64(const char* name, int64_t* out, Presence presence,
             int64_t min = std::numeric_limits<int64_t>::min(),
             int64_t max = std::numeric_limits<int64_t>::max());
  bool Int32(const char* name, int32_t* out, Presence presence, int32_t min, int32_t max);
  bool Bool(const char* name, bool* out, Presence presence);
  // The object or array under `name`, or null when absent (optional) or on error.
  const JsonValue* Object(const char* name, Presence presence);
  const JsonValue* Array(const char* name, Presence presence, size_t max_items);

  // Records an error at `name` (for checks the caller makes itself).
  void Fail(const char* name, absl::string_view message);
  bool ok() const { return status_.ok(); }
  // The path of a member, for nested readers: "variants[0]".
  std::string PathOf(absl::string_view name) const;
  // The first error, else InvalidArgument naming the first unread field.
  absl::Status Finish();

 private:
  const JsonValue* Find(const char* name, Presence presence);

  const JsonValue& value_;
  std::string path_;
  absl::Status status_;
  std::vector<bool> read_;
};

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool IsValidUtf8(absl::string_view text);

// The path of element `i` of an array at `path`: "variants[3]".
std::string ElementPath(absl::string_view path, size_t i);

// Output: a RapidJSON writer over a string buffer, with string_view helpers.
class JsonOut {
 public:
  JsonOut() : writer_(buffer_) {}
  void StartObject() { writer_.StartObject(); }
  void EndObject() { writer_.EndObject(); }
  void StartArray() { writer_.StartArray(); }
  void EndArray() { writer_.EndArray(); }
  void Key(absl::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  }
  void String(absl::string_view s) {
    writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  void Int64(int64_t v) { writer_.Int64(v); }
  void Bool(bool v) { writer_.Bool(v); }
  void Null() { writer_.Null(); }
  // Writes pre-rendered JSON as the next value.
  void Raw(absl::string_view json) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  // Key + value shorthands.
  void Field(absl::string_view k, absl::string_view v) {
    Key(k);
    String(v);
  }
  void Field(absl::string_view k, const char* v) {
    Key(k);
    String(v);
  }
  void Field(absl::string_view k, const std::string& v) {
    Key(k);
    String(v);
  }
  void Field(absl::string_view k, int64_t v) {
    Key(k);
    Int64(v);
  }
  void Field(absl::string_view k, int v) {
    Key(k);
    Int64(v);
  }
  void Field(absl::string_view k, bool v) {
    Key(k);
    Bool(v);
  }

  std::string Take() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_JSON_H_
