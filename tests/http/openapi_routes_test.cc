// docs/openapi.yaml and the server's route table describe the same API: a
// route added to one and not the other fails here.
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api.h"
#include "gtest/gtest.h"
#include "problem.h"

namespace watchstore::http {
namespace {

std::string ReadSpec() {
  std::ifstream in(std::string(WATCHSTORE_SOURCE_DIR) + "/docs/openapi.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// (METHOD, path) for every operation under `paths:`. The spec keeps paths at
// two spaces of indent and methods at four (what redocly lints for anyway).
std::set<std::pair<std::string, std::string>> SpecOperations(const std::string& spec) {
  std::set<std::pair<std::string, std::string>> ops;
  std::istringstream lines(spec);
  std::string line, path;
  bool in_paths = false;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') {
      in_paths = absl::StartsWith(line, "paths:");
      continue;
    }
    if (!in_paths) continue;
    if (line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ' && line[2] != '#') {
      absl::string_view p = absl::StripAsciiWhitespace(line);
      p = absl::StripSuffix(p, ":");
      if (p.size() >= 2 && (p.front() == '"' || p.front() == '\'')) p = p.substr(1, p.size() - 2);
      path = std::string(p);
    } else if (line.size() > 4 && line.substr(0, 4) == "    " && line[4] != ' ') {
      absl::string_view key = absl::StripAsciiWhitespace(line);
      key = key.substr(0, key.find(':'));
      for (const char* m : {"get", "put", "post", "delete", "patch", "head", "options"}) {
        if (key == m) ops.emplace(absl::AsciiStrToUpper(key), path);
      }
    }
  }
  return ops;
}

TEST(OpenApiRoutesTest, SpecAndServerAgree) {
  const std::string spec = ReadSpec();
  ASSERT_FALSE(spec.empty()) << "docs/openapi.yaml is missing";
  const auto in_spec = SpecOperations(spec);
  std::set<std::pair<std::string, std::string>> in_server;
  for (const Route& r : ApiRoutes(/*include_bench_hello=*/false))
    in_server.emplace(r.method, r.pattern);
  for (const auto& op : in_server) {
    EXPECT_TRUE(in_spec.count(op))
        << op.first << " " << op.second << " is served but not in docs/openapi.yaml";
  }
  for (const auto& op : in_spec) {
    EXPECT_TRUE(in_server.count(op))
        << op.first << " " << op.second << " is in docs/openapi.yaml but not served";
  }
  EXPECT_EQ(in_spec.size(), in_server.size());
}

// Every reason the server can put in a problem document is documented, and
// the spec documents no reason the server does not know.
TEST(OpenApiRoutesTest, EveryProblemReasonIsDocumented) {
  const std::string spec = ReadSpec();
  const std::vector<absl::string_view> known = KnownReasons();
  ASSERT_GE(known.size(), 20u);
  for (absl::string_view reason : known) {
    EXPECT_TRUE(absl::StrContains(spec, absl::StrCat("/problems/", reason))) << reason;
  }
  std::set<std::string> documented;
  for (size_t at = spec.find("/problems/"); at != std::string::npos;
       at = spec.find("/problems/", at + 1)) {
    size_t end = at + 10;
    while (end < spec.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(spec[end])) || spec[end] == '_')) {
      ++end;
    }
    documented.insert(spec.substr(at + 10, end - at - 10));
  }
  for (const std::string& reason : documented) {
    if (reason.empty()) continue;
    EXPECT_TRUE(IsKnownReason(reason)) << "the spec documents an unknown reason: " << reason;
  }
}

}  // namespace
}  // namespace watchstore::http
