// The full-text search rule of watchstore/search.h.
#include "watchstore/search.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"

namespace watchstore {
namespace {

bool IsWordByte(unsigned char c) { return absl::ascii_isalnum(c) || c >= 0x80; }

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or values past
// U+10FFFF), as PostgreSQL requires of text.
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool IsAsciiLetters(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Appends the words of `text`, lower-cased, to `out`.
void AppendWords(absl::string_view text, std::vector<std::string>* out) {
  std::string word;
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsWordByte(c)) {
      word.push_back(static_cast<char>(absl::ascii_tolower(c)));
    } else if (!word.empty()) {
      out->push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out->push_back(std::move(word));
}

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

SearchIndexEntry Index(absl::string_view brand, absl::string_view model, const WatchAttributes& a,
                       const std::vector<std::string>& collections, absl::string_view description) {
  std::vector<std::string> names;
  AppendWords(brand, &names);
  AppendWords(model, &names);
  AppendWords(a.reference, &names);
  AppendWords(a.caliber, &names);
  for (const std::string& c : collections) AppendWords(c, &names);
  std::vector<std::string> described;
  AppendWords(description, &described);

  SearchIndexEntry e;
  e.document = " ";
  for (const std::string& w : names) absl::StrAppend(&e.document, w, " ");
  e.document.append("| ");
  for (const std::string& w : described) absl::StrAppend(&e.document, w, " ");
  for (const std::string& w : names) {
    std::vector<std::string> keys = TypoKeys(w);
    e.typo_keys.insert(e.typo_keys.end(), keys.begin(), keys.end());
  }
  SortUnique(&e.typo_keys);
  return e;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseSearchQuery(absl::string_view text) {
  if (text.size() > kMaxSearchQueryBytes) {
    return InvalidField("q", absl::StrCat("must be at most ", kMaxSearchQueryBytes, " bytes"));
  }
  if (!IsUtf8(text)) return InvalidField("q", "must be UTF-8");
  std::vector<std::string> words;
  AppendWords(text, &words);
  std::vector<std::string> unique;
  for (std::string& w : words) {
    if (std::find(unique.begin(), unique.end(), w) == unique.end()) unique.push_back(std::move(w));
  }
  if (unique.size() > kMaxSearchWords) {
    return InvalidField("q", absl::StrCat("must have at most ", kMaxSearchWords, " words"));
  }
  return unique;
}

std::vector<std::string> TypoKeys(absl::string_view word) {
  std::vector<std::string> keys;
  if (word.size() < kMinTypoWordBytes || word.size() > kMaxTypoWordBytes || !IsAsciiLetters(word)) {
    return keys;
  }
  keys.emplace_back(word);
  for (size_t i = 0; i < word.size(); ++i) {
    keys.push_back(absl::StrCat(word.substr(0, i), word.substr(i + 1)));
  }
  SortUnique(&keys);
  return keys;
}

SearchIndexEntry IndexProduct(const ProductDraft& d) {
  return Index(d.brand, d.model, d.attributes, d.collections, d.description);
}

SearchIndexEntry IndexProduct(const Product& p) {
  return Index(p.brand, p.model, p.attributes, p.collections, p.description);
}

bool SearchWordMatches(const SearchIndexEntry& entry, absl::string_view word) {
  if (absl::StrContains(entry.document, word)) return true;
  for (const std::string& k : TypoKeys(word)) {
    if (std::binary_search(entry.typo_keys.begin(), entry.typo_keys.end(), k)) return true;
  }
  return false;
}

absl::string_view SearchNamePart(absl::string_view document) {
  return document.substr(0, document.find('|'));
}

int SearchRank(absl::string_view document, const std::vector<std::string>& words) {
  const absl::string_view names = SearchNamePart(document);
  int rank = 0;
  for (const std::string& w : words) {
    if (absl::StrContains(names, absl::StrCat(" ", w, " "))) {
      rank += 3;
    } else if (absl::StrContains(names, w)) {
      rank += 2;
    } else {
      rank += 1;
    }
  }
  return rank;
}

}  // namespace watchstore
