// The strict request-head check: every shape a proxy and cpp-httplib could
// read differently is refused with the documented status.
#include "request_head.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace watchstore::http {
namespace {

struct Outcome {
  bool ok = false;
  RequestHead head;
  HeadRefusal refusal;
};

Outcome Check(const std::string& text, HeadLimits limits = {}) {
  Outcome o;
  const size_t end = FindHeadEnd(text);
  EXPECT_NE(end, 0u) << text;
  o.ok = ParseRequestHead(absl::string_view(text).substr(0, end), limits, &o.head, &o.refusal);
  return o;
}

// A literal with its embedded NULs.
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

int StatusOf(const std::string& text) {
  const Outcome o = Check(text);
  return o.ok ? 200 : o.refusal.status;
}

TEST(RequestHeadTest, FindsTheEndOfTheHead) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), 0u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY"), 27u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\nHost: x\n\nBODY"), 24u);  // refused later, but found now
  // Resuming where an earlier call stopped finds a terminator split across reads.
  const std::string whole = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(FindHeadEnd(whole, whole.size() - 1), whole.size());
  EXPECT_EQ(LeadingEmptyLines("\r\n\r\nGET"), 2u);
  EXPECT_EQ(LeadingEmptyLines("GET"), 0u);
}

TEST(RequestHeadTest, AcceptsOrdinaryRequests) {
  Outcome get = Check("GET /api/v1/products?q=a HTTP/1.1\r\nHost: shop\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(get.ok) << get.refusal.detail;
  EXPECT_EQ(get.head.method, "GET");
  EXPECT_EQ(get.head.body_bytes, 0u);
  Outcome post = Check(
      "POST /api/v1/cart/items HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
      "Content-Length: 25 \r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(post.ok) << post.refusal.detail;
  EXPECT_EQ(post.head.body_bytes, 25u);
  EXPECT_TRUE(post.head.expect_continue);
  // HTTP/1.0 needs no Host; tabs and obs-text are allowed in values.
  EXPECT_TRUE(Check("GET / HTTP/1.0\r\n\r\n").ok);
  EXPECT_TRUE(Check("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb \xc3\xa9\r\n\r\n").ok);
  EXPECT_TRUE(Check("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").ok);
}

TEST(RequestHeadTest, RefusesSmugglingShapes) {
  struct Case {
    const char* what;
    std::string head;
    int status;
  } cases[] = {
      {"space before the colon",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n",
       400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", 400},
      {"obs-fold with a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400},
      {"both framings",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
      {"unknown coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
       501},
      {"coding then chunked",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
       "chunked\r\n\r\n",
       501},
      {"xchunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
      {"two lengths",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", 400},
      {"a length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n", 400},
      {"a signed length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n", 400},
      {"a hex length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400},
      {"a body on GET", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"no host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
      {"NUL in a value", Bytes("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"), 400},
      {"NUL in a name", Bytes("GET / HTTP/1.1\r\nHost: x\r\n\0X: b\r\n\r\n"), 400},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400},
      {"bare LF line", "GET / HTTP/1.1\nHost: x\n\n", 400},
      {"a line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nJunk\r\n\r\n", 400},
      {"an empty name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400},
      {"two spaces in the request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"raw UTF-8 in the target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"a relative target", "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"HTTP/2 text", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 400},
      {"lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
      {"unknown method", "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
      {"TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
      {"CONNECT", "CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"gzip body",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\n", 415},
      {"multipart",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
       "boundary=a\r\nContent-Length: 3\r\n\r\n",
       415},
      {"too large", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n", 413},
      {"another expectation",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 200-ok\r\n\r\n", 417},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(StatusOf(c.head), c.status) << c.what;
  }
}

TEST(RequestHeadTest, Limits) {
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&many, "X-", i, ": v\r\n");
  many.append("\r\n");
  EXPECT_EQ(StatusOf(many), 431);  // 101 fields
  HeadLimits small;
  small.max_header_bytes = 64;
  const Outcome big =
      Check("GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(64, 'a') + "\r\n\r\n", small);
  EXPECT_FALSE(big.ok);
  EXPECT_EQ(big.refusal.status, 431);
  EXPECT_EQ(StatusOf("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(9000, 'b') + "\r\n\r\n"),
            431);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(8000, 'b') + "\r\n\r\n"),
            200);
}

}  // namespace
}  // namespace watchstore::http
