#include "json.h"

#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
// RapidJSON validates the raw input, but turns a lone "\udc00" escape into an
// encoded surrogate; strings are checked again after unescaping.
bool Utf8Ok(const char* s, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// Forwards SAX events to the document, enforcing the depth limit, rejecting
// NUL in strings and turning numbers (delivered as text) into Int64 or Double.
class LimitedHandler {
 public:
  LimitedHandler(JsonDocument& doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int64(i); }
  bool Uint(unsigned u) { return doc_.Int64(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Double(static_cast<double>(u)); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    const absl::string_view text(str, len);
    const bool integral = text.find_first_of(".eE") == absl::string_view::npos;
    int64_t i = 0;
    if (integral && absl::SimpleAtoi(text, &i)) return doc_.Int64(i);
    double d = 0;
    if (!absl::SimpleAtod(text, &d)) d = 0;
    return doc_.Double(d);
  }
  bool String(const char* str, rapidjson::SizeType len, bool copy) {
    if (std::memchr(str, '\0', len) != nullptr) return Reject("strings must not contain NUL");
    if (!Utf8Ok(str, len)) return Reject("strings must be valid UTF-8 (no lone surrogates)");
    return doc_.String(str, len, copy);
  }
  bool Key(const char* str, rapidjson::SizeType len, bool copy) {
    if (std::memchr(str, '\0', len) != nullptr) return Reject("names must not contain NUL");
    if (!Utf8Ok(str, len)) return Reject("names must be valid UTF-8 (no lone surrogates)");
    return doc_.Key(str, len, copy);
  }
  bool StartObject() {
    if (++depth_ > max_depth_) return Reject(TooDeep());
    return doc_.StartObject();
  }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() {
    if (++depth_ > max_depth_) return Reject(TooDeep());
    return doc_.StartArray();
  }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

  const std::string& rejection() const { return rejection_; }

 private:
  std::string TooDeep() const { return absl::StrCat("nested deeper than ", max_depth_, " levels"); }
  bool Reject(std::string why) {
    rejection_ = std::move(why);
    return false;
  }

  JsonDocument& doc_;
  const int max_depth_;
  int depth_ = 0;
  std::string rejection_;
};

const char* TypeName(const JsonValue& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonDocument>> ParseJson(absl::string_view text,
                                                        const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return InvalidField("body", absl::StrCat("must be at most ", limits.max_bytes, " bytes"));
  }
  // A NUL byte would end RapidJSON's input early and hide what follows it.
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
    return InvalidField("body", "invalid JSON: contains a NUL byte");
  }
  auto doc = std::make_unique<JsonDocument>();
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  LimitedHandler handler(*doc, limits.max_depth);
  rapidjson::ParseResult result;
  auto generate = [&](JsonDocument& d) {
    (void)d;  // the handler already forwards to *doc
    result = reader.Parse<kParseFlags>(stream, handler);
    return !result.IsError();
  };
  doc->Populate(generate);
  if (result.IsError()) {
    if (!handler.rejection().empty()) {
      return InvalidField("body", absl::StrCat("invalid JSON: ", handler.rejection()));
    }
    return InvalidField("body", absl::StrCat("invalid JSON at byte ", result.Offset(), ": ",
                                             rapidjson::GetParseError_En(result.Code())));
  }
  return doc;
}

bool IsValidUtf8(absl::string_view text) { return Utf8Ok(text.data(), text.size()); }

std::string ElementPath(absl::string_view path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

ObjectReader::ObjectReader(const JsonValue& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.IsObject()) {
    status_ = InvalidField(path_.empty() ? "body" : path_, "must be a JSON object");
    return;
  }
  read_.assign(value_.MemberCount(), false);
  // Duplicate names are ambiguous (which one wins differs between parsers).
  // A hash set keeps this linear: a pre-auth body of 8,000 distinct keys
  // must not buy the client O(n^2) comparisons.
  auto name_of = [](const JsonValue& name) {
    return absl::string_view(name.GetString(), name.GetStringLength());
  };
  constexpr rapidjson::SizeType kSmall = 8;  // below this a scan is cheaper
  if (value_.MemberCount() <= kSmall) {
    for (auto a = value_.MemberBegin(); a != value_.MemberEnd(); ++a) {
      for (auto b = value_.MemberBegin(); b != a; ++b) {
        if (name_of(a->name) == name_of(b->name)) {
          status_ = InvalidField(PathOf(name_of(a->name)), "appears more than once");
          return;
        }
      }
    }
    return;
  }
  absl::flat_hash_set<absl::string_view> seen;
  seen.reserve(value_.MemberCount());
  for (auto m = value_.MemberBegin(); m != value_.MemberEnd(); ++m) {
    if (!seen.insert(name_of(m->name)).second) {
      status_ = InvalidField(PathOf(name_of(m->name)), "appears more than once");
      return;
    }
  }
}

std::string ObjectReader::PathOf(absl::string_view name) const {
  return path_.empty() ? std::string(name) : absl::StrCat(path_, ".", name);
}

void ObjectReader::Fail(const char* name, absl::string_view message) {
  if (status_.ok()) status_ = InvalidField(PathOf(name), message);
}

const JsonValue* ObjectReader::Find(const char* name, Presence presence) {
  if (!status_.ok()) return nullptr;
  const size_t len = std::strlen(name);
  size_t i = 0;
  for (auto m = value_.MemberBegin(); m != value_.MemberEnd(); ++m, ++i) {
    if (m->name.GetStringLength() == len && std::memcmp(m->name.GetString(), name, len) == 0) {
      read_[i] = true;
      return &m->value;
    }
  }
  if (presence == kRequired) Fail(name, "is required");
  return nullptr;
}

bool ObjectReader::String(const char* name, std::string* out, Presence presence, size_t max_bytes) {
  const JsonValue* v = Find(name, presence);
  if (v == nullptr) return status_.ok();
  if (!v->IsString()) {
    Fail(name, absl::StrCat("must be a string, not ", TypeName(*v)));
    return false;
  }
  if (v->GetStringLength() > max_bytes) {
    Fail(name, absl::StrCat("must be at most ", max_bytes, " bytes"));
    return false;
  }
  out->assign(v->GetString(), v->GetStringLength());
  return true;
}

bool ObjectReader::Int64(const char* name, int64_t* out, Presence presence, int64_t min,
                         int64_t max) {
  const JsonValue* v = Find(name, presence);
  if (v == nullptr) return status_.ok();
  if (!v->IsNumber()) {
    Fail(name, absl::StrCat("must be an integer, not ", TypeName(*v)));
    return false;
  }
  if (!v->IsInt64() || v->GetInt64() < min || v->GetInt64() > max) {
    Fail(name, absl::StrCat("must be an integer from ", min, " to ", max));
    return false;
  }
  *out = v->GetInt64();
  return true;
}

bool ObjectReader::Int32(const char* name, int32_t* out, Presence presence, int32_t min,
                         int32_t max) {
  int64_t v = *out;  // left as is when the field is absent
  if (!Int64(name, &v, presence, min, max)) return false;
  *out = static_cast<int32_t>(v);
  return true;
}

bool ObjectReader::Bool(const char* name, bool* out, Presence presence) {
  const JsonValue* v = Find(name, presence);
  if (v == nullptr) return status_.ok();
  if (!v->IsBool()) {
    Fail(name, absl::StrCat("must be true or false, not ", TypeName(*v)));
    return false;
  }
  *out = v->GetBool();
  return true;
}

const JsonValue* ObjectReader::Object(const char* name, Presence presence) {
  const JsonValue* v = Find(name, presence);
  if (v == nullptr) return nullptr;
  if (!v->IsObject()) {
    Fail(name, absl::StrCat("must be an object, not ", TypeName(*v)));
    return nullptr;
  }
  return v;
}

const JsonValue* ObjectReader::Array(const char* name, Presence presence, size_t max_items) {
  const JsonValue* v = Find(name, presence);
  if (v == nullptr) return nullptr;
  if (!v->IsArray()) {
    Fail(name, absl::StrCat("must be an array, not ", TypeName(*v)));
    return nullptr;
  }
  if (v->Size() > max_items) {
    Fail(name, absl::StrCat("must have at most ", max_items, " items"));
    return nullptr;
  }
  return v;
}

absl::Status ObjectReader::Finish() {
  if (!status_.ok()) return status_;
  size_t i = 0;
  for (auto m = value_.MemberBegin(); m != value_.MemberEnd(); ++m, ++i) {
    if (!read_[i]) {
      return InvalidField(PathOf(absl::string_view(m->name.GetString(), m->name.GetStringLength())),
                          "is not a known field");
    }
  }
  return absl::OkStatus();
}

}  // namespace watchstore::http
