#include "request_head.h"

#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "problem.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

// RFC 9110 token characters.
bool IsTokenChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A field value: visible ASCII, obs-text, spaces and tabs; no other control
// characters (NUL, a bare CR, DEL).
bool IsFieldValue(absl::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\t' || c == ' ') continue;
    if (c < 0x21 || c == 0x7f) return false;
  }
  return true;
}

bool TakesBody(absl::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool IsServedMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST" || method == "PUT" ||
         method == "PATCH" || method == "DELETE" || method == "OPTIONS";
}

bool Refuse(HeadRefusal* r, int status, absl::string_view reason, std::string detail) {
  r->status = status;
  r->reason = reason;
  r->detail = std::move(detail);
  return false;
}

bool Invalid(HeadRefusal* r, std::string detail) {
  return Refuse(r, 400, watchstore::reason::kValidation, std::move(detail));
}

// The request line: method SP request-target SP HTTP-version.
bool ParseRequestLine(absl::string_view line, const HeadLimits& limits, RequestHead* out,
                      HeadRefusal* refusal) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || line.find(' ', sp2 + 1) != absl::string_view::npos) {
    return Invalid(refusal, "the request line must be: METHOD target HTTP/1.1");
  }
  const absl::string_view method = line.substr(0, sp1);
  const absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const absl::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Invalid(refusal, "the method is not a token");
  if (target.size() > limits.max_target_bytes) {
    return Refuse(
        refusal, 414, reason::kPayloadTooLarge,
        absl::StrCat("the request target must be at most ", limits.max_target_bytes, " bytes"));
  }
  if (target.empty()) return Invalid(refusal, "the request target is empty");
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e) {
      return Invalid(refusal, "the request target must be visible ASCII (percent-encode the rest)");
    }
  }
  const bool origin_form = target.front() == '/';
  const bool asterisk = target == "*" && method == "OPTIONS";
  const bool absolute = absl::StartsWithIgnoreCase(target, "http://") ||
                        absl::StartsWithIgnoreCase(target, "https://");
  if (!origin_form && !asterisk && !absolute) {
    return Invalid(refusal, "the request target must be a path starting with /");
  }
  if (version == "HTTP/1.1") {
    out->minor_version = 1;
  } else if (version == "HTTP/1.0") {
    out->minor_version = 0;
  } else {
    return Invalid(refusal, "only HTTP/1.1 and HTTP/1.0 are spoken here");
  }
  if (!IsServedMethod(method)) {
    return Refuse(refusal, 501, reason::kNotImplemented,
                  "the method is not implemented by this server");
  }
  out->method = std::string(method);
  return true;
}

}  // namespace

size_t FindHeadEnd(absl::string_view data, size_t from) {
  // An empty line is "\n\r\n" or "\n\n" (the latter refused later). Back up
  // so a terminator split across two calls is still found.
  size_t i = from >= 2 ? from - 2 : 0;
  while (i < data.size()) {
    const void* hit = std::memchr(data.data() + i, '\n', data.size() - i);
    if (hit == nullptr) return 0;
    const size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
    if (nl + 1 < data.size() && data[nl + 1] == '\n') return nl + 2;
    if (nl + 2 < data.size() && data[nl + 1] == '\r' && data[nl + 2] == '\n') return nl + 3;
    i = nl + 1;
  }
  return 0;
}

size_t LeadingEmptyLines(absl::string_view data) {
  size_t n = 0;
  while (data.size() >= 2 * (n + 1) && data.substr(2 * n, 2) == "\r\n") ++n;
  return n;
}

bool ParseRequestHead(absl::string_view head, const HeadLimits& limits, RequestHead* out,
                      HeadRefusal* refusal) {
  *out = RequestHead{};
  if (head.size() > limits.max_header_bytes) {
    return Refuse(refusal, 431, reason::kPayloadTooLarge,
                  absl::StrCat("the request line and headers must be at most ",
                               limits.max_header_bytes, " bytes"));
  }
  // Lines, each ending in CRLF; the last one is the empty line.
  std::vector<absl::string_view> lines;
  size_t pos = 0;
  while (pos < head.size()) {
    const size_t nl = head.find('\n', pos);
    if (nl == absl::string_view::npos) return Invalid(refusal, "the header section is incomplete");
    if (nl == pos || head[nl - 1] != '\r') {
      return Invalid(refusal, "lines must end in CRLF, not a bare LF");
    }
    lines.push_back(head.substr(pos, nl - 1 - pos));
    pos = nl + 1;
  }
  if (lines.size() < 2 || !lines.back().empty()) {
    return Invalid(refusal, "the header section is incomplete");
  }
  lines.pop_back();
  for (absl::string_view line : lines) {
    if (line.find('\r') != absl::string_view::npos) {
      return Invalid(refusal, "a bare CR is not allowed in the request head");
    }
  }
  if (!ParseRequestLine(lines[0], limits, out, refusal)) return false;

  int fields = 0;
  int hosts = 0;
  int lengths = 0;
  bool length_ok = true;
  uint64_t length = 0;
  bool transfer_encoding = false;
  bool length_and_encoding_conflict = false;
  std::vector<std::string> codings;
  bool content_encoding = false;
  bool multipart = false;
  bool expect_other = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.size() > limits.max_field_line_bytes) {
      return Refuse(
          refusal, 431, reason::kPayloadTooLarge,
          absl::StrCat("a header line must be at most ", limits.max_field_line_bytes, " bytes"));
    }
    if (line.front() == ' ' || line.front() == '\t') {
      return Invalid(refusal, "obsolete line folding is not allowed");
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return Invalid(refusal, "a header line has no colon");
    const absl::string_view name = line.substr(0, colon);
    if (!IsToken(name)) {
      return Invalid(refusal, "a header name must be a token, with no space before the colon");
    }
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      return Invalid(refusal, "a header value contains a control character");
    }
    if (++fields > limits.max_headers) {
      return Refuse(refusal, 431, reason::kPayloadTooLarge,
                    absl::StrCat("at most ", limits.max_headers, " header fields are accepted"));
    }
    if (absl::EqualsIgnoreCase(name, "Host")) {
      ++hosts;
    } else if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      ++lengths;
      const bool digits =
          !value.empty() && value.size() <= 19 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || !absl::SimpleAtoi(value, &length)) length_ok = false;
    } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      transfer_encoding = true;
      for (absl::string_view c : absl::StrSplit(value, ',')) {
        codings.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(c)));
      }
    } else if (absl::EqualsIgnoreCase(name, "Content-Encoding")) {
      content_encoding = true;
    } else if (absl::EqualsIgnoreCase(name, "Content-Type")) {
      multipart = multipart || absl::StartsWithIgnoreCase(value, "multipart/");
    } else if (absl::EqualsIgnoreCase(name, "Expect")) {
      if (absl::EqualsIgnoreCase(value, "100-continue")) {
        out->expect_continue = out->minor_version == 1;
      } else {
        expect_other = true;
      }
    }
  }
  length_and_encoding_conflict = transfer_encoding && lengths > 0;

  if (hosts > 1) return Invalid(refusal, "more than one Host header");
  if (hosts == 0 && out->minor_version == 1) return Invalid(refusal, "a Host header is required");
  // Framing. Only Content-Length bodies: with both framings a proxy in front
  // and this server could disagree on where the request ends.
  if (length_and_encoding_conflict) {
    return Invalid(refusal, "a request must not have both Transfer-Encoding and Content-Length");
  }
  if (transfer_encoding) {
    if (codings.size() == 1 && codings[0] == "chunked") {
      return Refuse(refusal, 411, watchstore::reason::kValidation,
                    "Transfer-Encoding is not accepted: send the body with a Content-Length");
    }
    return Refuse(refusal, 501, reason::kNotImplemented,
                  "this transfer coding is not implemented: send the body with a Content-Length");
  }
  if (lengths > 1) return Invalid(refusal, "more than one Content-Length header");
  if (lengths == 1 && !length_ok) return Invalid(refusal, "Content-Length is not a number");
  if (content_encoding) {
    return Refuse(refusal, 415, reason::kUnsupportedMediaType,
                  "compressed request bodies are not accepted");
  }
  // cpp-httplib would parse a multipart body itself; no route takes one.
  if (multipart) {
    return Refuse(refusal, 415, reason::kUnsupportedMediaType, "multipart bodies are not accepted");
  }
  if (length > limits.max_body_bytes) {
    return Refuse(refusal, 413, reason::kPayloadTooLarge,
                  absl::StrCat("the body must be at most ", limits.max_body_bytes, " bytes"));
  }
  if (length > 0 && !TakesBody(out->method)) {
    return Invalid(refusal, absl::StrCat("a ", out->method, " request has no body"));
  }
  if (expect_other) {
    return Refuse(refusal, 417, watchstore::reason::kValidation,
                  "the only expectation understood is 100-continue");
  }
  out->body_bytes = length;
  if (length == 0) out->expect_continue = false;
  return true;
}

}  // namespace watchstore::http
