// Full-text search of the catalog: the one definition every Storage adapter
// implements (the memory adapter in code, SQLite with FTS5, PostgreSQL with
// pg_trgm), so the same data gives the same results on each.
//
// A product's search document is the words of its brand, model, reference,
// caliber, collections and description: ASCII lower-cased, every byte that is
// not an ASCII letter or digit (and below 0x80) a separator, joined by single
// spaces with one space before and after. A query is split the same way into
// words; a product matches a query when every word matches:
//   - as a fragment: the word occurs anywhere in the document ("5513",
//     "sbga2", "gmt"); or
//   - within one typo: the word is 4 to 24 ASCII letters (no digits:
//     "5513" must not find "5512", a different watch), and shares a typo
//     key with a word of the product's name fields (brand, model, reference, caliber,
//     collections; not the description). A word's typo keys are the word
//     and each string made by deleting one of its bytes, so one deletion,
//     insertion, substitution or swap of neighbours matches ("omgea" finds
//     "omega": both have the key "omea").
// Relevance (ProductSort::kRelevance) ranks the products a query matches:
// each query word scores 3 if it is a whole word of the name fields, 2 if it
// is inside a word of the name fields, and 1 otherwise (it matched by a typo
// or in the description); a product's rank is the sum, higher first, then
// newest (id descending). Without words every rank is 0: the newest order.
// The document keeps the name fields' words first and the description's after
// a "|" (which no query word can contain), so every engine computes the rank
// from the document alone.
// Query text is never given to an engine's query parser: words hold only
// letters, digits and bytes >= 0x80, so quotes, `*`, `:`, NEAR or SQL are
// plain text (or separators).
#ifndef WATCHSTORE_SEARCH_H_
#define WATCHSTORE_SEARCH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchstore/product.h"

namespace watchstore {

inline constexpr size_t kMaxSearchQueryBytes = 100;
inline constexpr size_t kMaxSearchWords = 8;
inline constexpr size_t kMinTypoWordBytes = 4;
inline constexpr size_t kMaxTypoWordBytes = 24;

// The words of a query, in order, duplicates removed. InvalidArgument (field
// "q") for more than kMaxSearchQueryBytes bytes, kMaxSearchWords words, or
// text that is not UTF-8.
// No words (empty, or only separators such as `"*:`): an empty vector, which
// filters nothing.
absl::StatusOr<std::vector<std::string>> ParseSearchQuery(absl::string_view text);

// The typo keys of a word (empty unless it is kMinTypoWordBytes ..
// kMaxTypoWordBytes ASCII letters): the word and its one-byte
// deletions, sorted, unique.
std::vector<std::string> TypoKeys(absl::string_view word);

// What a storage adapter stores to search a product, written in the same
// transaction as the product.
struct SearchIndexEntry {
  std::string document;                // " name words | description words "
  std::vector<std::string> typo_keys;  // of the name fields' words; sorted, unique
};
SearchIndexEntry IndexProduct(const ProductDraft& d);
SearchIndexEntry IndexProduct(const Product& p);

// True if `word` (from ParseSearchQuery) matches the product indexed as
// `entry`, by the rule above.
bool SearchWordMatches(const SearchIndexEntry& entry, absl::string_view word);

// The name fields' part of a search document: " name words " (the whole
// document if it has no "|").
absl::string_view SearchNamePart(absl::string_view document);
// The relevance of a document for the words of a query that it matches, by
// the rule above (0 for no words).
int SearchRank(absl::string_view document, const std::vector<std::string>& words);

}  // namespace watchstore

#endif  // WATCHSTORE_SEARCH_H_
