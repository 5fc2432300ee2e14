// The strict JSON reader: limits, numbers, duplicate and unknown fields.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "json.h"
#include "render.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

absl::StatusOr<std::unique_ptr<JsonDocument>> Parse(const std::string& s, JsonLimits l = {}) {
  return ParseJson(s, l);
}

TEST(JsonTest, DepthLimit) {
  std::string ok = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(Parse(ok).ok());
  std::string deep = std::string(33, '[') + std::string(33, ']');
  auto r = Parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "nested deeper than 32"));
  // Iterative parsing: a million levels are refused without recursion.
  JsonLimits big;
  big.max_bytes = 4 << 20;
  std::string huge = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  EXPECT_FALSE(Parse(huge, big).ok());
  std::string unclosed(1'000'000, '{');
  EXPECT_FALSE(Parse(unclosed, big).ok());
}

TEST(JsonTest, ByteLimitIsCheckedFirst) {
  JsonLimits l;
  l.max_bytes = 10;
  auto r = Parse(R"({"a":"0123456789"})", l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FieldOf(r.status()), "body");
}

TEST(JsonTest, NumbersAreInt64OrNothing) {
  auto doc =
      Parse(R"({"a":9223372036854775807,"b":-9223372036854775808,"c":9223372036854775808,)"
            R"("d":1.0,"e":1e2,"f":-0,"g":1e-999999999999,"h":123456789012345678901234567890})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  ObjectReader r(**doc, "");
  int64_t a = 0, b = 0, f = 7;
  EXPECT_TRUE(r.Int64("a", &a, ObjectReader::kRequired));
  EXPECT_EQ(a, INT64_MAX);
  EXPECT_TRUE(r.Int64("b", &b, ObjectReader::kRequired));
  EXPECT_EQ(b, INT64_MIN);
  EXPECT_TRUE(r.Int64("f", &f, ObjectReader::kRequired));
  EXPECT_EQ(f, 0);
  for (const char* name : {"c", "d", "e", "g", "h"}) {
    ObjectReader one(**doc, "");
    int64_t x = 0;
    EXPECT_FALSE(one.Int64(name, &x, ObjectReader::kRequired)) << name;
    EXPECT_EQ(FieldOf(one.Finish()), name);
  }
  // The exponent that aborts RapidJSON 1.1.0's double conversion
  // (CVE-2024-38517) never reaches it.
  for (const char* crafted : {R"({"x":0.0000000000000000000000000000000000001e-2147483648})",
                              R"({"x":1e-2147483649})", R"({"x":-1.5e-99999999999999999999})",
                              R"({"x":1e-0000000000000000000000000000000000000000000000001})"}) {
    auto d = Parse(crafted);
    if (d.ok()) {
      ObjectReader x(**d, "");
      int64_t v = 0;
      EXPECT_FALSE(x.Int64("x", &v, ObjectReader::kRequired)) << crafted;
    }
  }
  EXPECT_FALSE(Parse(R"({"x":1e309})").ok());
}

TEST(JsonTest, UnknownDuplicateAndMistypedFields) {
  auto doc = Parse(R"({"name":"x","extra":1})");
  ASSERT_TRUE(doc.ok());
  ObjectReader r(**doc, "shipping");
  std::string name;
  EXPECT_TRUE(r.String("name", &name, ObjectReader::kRequired, 10));
  absl::Status st = r.Finish();
  EXPECT_EQ(FieldOf(st), "shipping.extra");

  auto dup = Parse(R"({"a":1,"a":2})");
  ASSERT_TRUE(dup.ok());
  ObjectReader d(**dup, "");
  EXPECT_EQ(FieldOf(d.Finish()), "a");

  auto typed = Parse(R"({"s":1,"b":"true","o":[]})");
  ObjectReader t(**typed, "");
  std::string s;
  EXPECT_FALSE(t.String("s", &s, ObjectReader::kRequired));
  EXPECT_EQ(FieldOf(t.Finish()), "s");
  ObjectReader t2(**typed, "");
  bool b = false;
  EXPECT_FALSE(t2.Bool("b", &b, ObjectReader::kRequired));
  ObjectReader t3(**typed, "");
  EXPECT_EQ(t3.Object("o", ObjectReader::kRequired), nullptr);
  EXPECT_EQ(FieldOf(t3.Finish()), "o");

  ObjectReader missing(**typed, "");
  int64_t n = 0;
  missing.Int64("n", &n, ObjectReader::kRequired);
  EXPECT_TRUE(absl::StrContains(missing.Finish().message(), "required"));
}

// A pre-auth body can hold thousands of distinct keys: the duplicate check
// must stay linear (it was a nested loop: ~0.1 s of CPU per 60 KB body).
TEST(JsonTest, DuplicateKeyCheckIsLinear) {
  constexpr int kKeys = 50000;
  std::string body = "{";
  for (int i = 0; i < kKeys; ++i) absl::StrAppend(&body, i == 0 ? "" : ",", "\"k", i, "\":0");
  std::string with_dup = absl::StrCat(body, ",\"k", kKeys - 1, "\":1}");
  body.append("}");
  JsonLimits limits;
  limits.max_bytes = 4 << 20;
  for (const std::string* text : {&body, &with_dup}) {
    auto doc = ParseJson(*text, limits);
    ASSERT_TRUE(doc.ok()) << doc.status();
    const absl::Time start = absl::Now();
    ObjectReader r(**doc, "");
    const absl::Duration took = absl::Now() - start;
    // Linear: a few ms; the nested loop took seconds for this many keys.
    EXPECT_LT(took, absl::Milliseconds(500));
    const absl::Status st = r.Finish();
    if (text == &with_dup) {
      EXPECT_EQ(FieldOf(st), absl::StrCat("k", kKeys - 1));
      EXPECT_TRUE(absl::StrContains(st.message(), "more than once")) << st;
    } else {
      EXPECT_EQ(FieldOf(st), "k0");  // nothing was read: the first unknown field
      EXPECT_TRUE(absl::StrContains(st.message(), "not a known field")) << st;
    }
  }
  // Small objects take the scan path; duplicates are found there too.
  auto small = ParseJson(R"({"a":1,"b":2,"c":3,"b":4})", JsonLimits{});
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(FieldOf(ObjectReader(**small, "").Finish()), "b");
}

TEST(JsonTest, StringsAreValidUtf8WithoutNul) {
  EXPECT_TRUE(Parse("{\"a\":\"caf\xc3\xa9 \xe2\x8c\x9a\"}").ok());
  EXPECT_FALSE(Parse("{\"a\":\"\xc3\"}").ok());
  EXPECT_FALSE(Parse("{\"a\":\"\xed\xa0\x80\"}").ok());  // encoded surrogate
  EXPECT_FALSE(Parse(R"({"a":"\u0000"})").ok());
  EXPECT_FALSE(Parse(std::string("{\"a\":1}\0{\"b\":2}", 15)).ok());
  EXPECT_FALSE(Parse(R"({"a":"\udc00"})").ok());
}

TEST(RenderTest, Rfc3339) {
  EXPECT_EQ(Rfc3339(absl::FromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Rfc3339(absl::FromUnixMillis(1'800'000'000'123)), "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(Rfc3339(absl::FromUnixSeconds(951'782'400)), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(Rfc3339(absl::FromUnixMillis(-1)), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace watchstore::http
