// Product slugs: the one rule that turns a watch's name into its URL.
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"
#include "watchstore/product.h"
#include "watchstore/status_macros.h"

namespace watchstore {
namespace {

// Latin letters U+00C0..U+017F in ASCII, as runs of code points that share
// one spelling ("" for signs that separate words: U+00D7, U+00F7).
struct Run {
  int count;
  const char* ascii;
};
constexpr Run kLatin[] = {
    // U+00C0..U+00FF (Latin-1 Supplement letters)
    {6, "a"},
    {1, "ae"},
    {1, "c"},
    {4, "e"},
    {4, "i"},
    {1, "d"},
    {1, "n"},
    {5, "o"},
    {1, ""},
    {1, "o"},
    {4, "u"},
    {1, "y"},
    {1, "th"},
    {1, "ss"},  // U+00C0..U+00DF
    {6, "a"},
    {1, "ae"},
    {1, "c"},
    {4, "e"},
    {4, "i"},
    {1, "d"},
    {1, "n"},
    {5, "o"},
    {1, ""},
    {1, "o"},
    {4, "u"},
    {1, "y"},
    {1, "th"},
    {1, "y"},  // U+00E0..U+00FF
    // U+0100..U+017F (Latin Extended-A)
    {6, "a"},
    {8, "c"},
    {4, "d"},
    {10, "e"},
    {8, "g"},
    {4, "h"},
    {10, "i"},
    {2, "ij"},
    {2, "j"},
    {3, "k"},
    {10, "l"},
    {9, "n"},
    {6, "o"},
    {2, "oe"},
    {6, "r"},
    {8, "s"},
    {6, "t"},
    {12, "u"},
    {2, "w"},
    {3, "y"},
    {6, "z"},
    {1, "s"}};

// The ASCII of code point `cp`, or nullptr if it is not a Latin letter of
// the table.
const char* Transliterate(uint32_t cp) {
  if (cp < 0xC0) return nullptr;
  uint32_t first = 0xC0;
  for (const Run& run : kLatin) {
    if (cp < first + static_cast<uint32_t>(run.count)) return run.ascii;
    first += static_cast<uint32_t>(run.count);
  }
  return nullptr;
}

// Appends `s` in slug form to `out` (a '-' between words).
void AppendWords(absl::string_view s, std::string* out) {
  auto separate = [out] {
    if (!out->empty() && out->back() != '-') out->push_back('-');
  };
  auto letters = [out](absl::string_view ascii) {
    for (char c : ascii) out->push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  };
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (absl::ascii_isalnum(b)) {
        letters(absl::string_view(&s[i], 1));
      } else if (b != '\'') {  // "Lange's" -> "langes"
        separate();
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: decode 2-byte ones (the Latin letters), skip others.
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    if (i + len > s.size()) len = s.size() - i;
    uint32_t cp = 0;
    if (len == 2) cp = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    const bool apostrophe = len == 3 && s.substr(i, 3) == "\xE2\x80\x99";  // U+2019
    const char* ascii = Transliterate(cp);
    if (ascii != nullptr && *ascii != '\0') {
      letters(ascii);
    } else if (!apostrophe) {
      separate();
    }
    i += len;
  }
}

void TrimDashes(std::string* s) {
  while (!s->empty() && s->back() == '-') s->pop_back();
}

}  // namespace

bool IsValidSlug(absl::string_view slug) {
  if (slug.empty() || slug.size() > kMaxSlugLength) return false;
  if (slug.front() == '-' || slug.back() == '-') return false;
  char previous = 0;
  for (char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

std::string DeriveSlug(absl::string_view brand, absl::string_view model,
                       absl::string_view reference) {
  std::string slug;
  AppendWords(brand, &slug);
  TrimDashes(&slug);
  slug.push_back('-');
  AppendWords(model, &slug);
  TrimDashes(&slug);
  // The reference tells apart two watches of one name, unless the name
  // already holds it ("Speedmaster 3861").
  std::string ref;
  AppendWords(reference, &ref);
  TrimDashes(&ref);
  if (!ref.empty() &&
      absl::StrCat("-", slug, "-").find(absl::StrCat("-", ref, "-")) == std::string::npos) {
    absl::StrAppend(&slug, "-", ref);
  }
  while (!slug.empty() && slug.front() == '-') slug.erase(0, 1);
  if (slug.size() > kMaxDerivedSlugLength) {
    // Cut at the last word boundary that keeps at least half, else anywhere.
    size_t cut = slug.rfind('-', kMaxDerivedSlugLength);
    if (cut == std::string::npos || cut < kMaxDerivedSlugLength / 2) cut = kMaxDerivedSlugLength;
    slug.resize(cut);
  }
  TrimDashes(&slug);
  return slug.empty() ? "watch" : slug;
}

std::string CollectionSlug(absl::string_view name) {
  std::string slug;
  AppendWords(name, &slug);
  while (!slug.empty() && slug.front() == '-') slug.erase(0, 1);
  if (slug.size() > kMaxSlugLength) slug.resize(kMaxSlugLength);
  TrimDashes(&slug);
  return slug;
}

std::string FirstFreeSlug(absl::string_view base,
                          const std::function<bool(absl::string_view)>& taken) {
  std::string candidate(base);
  for (int n = 2; taken(candidate); ++n) candidate = absl::StrCat(base, "-", n);
  return candidate;
}

}  // namespace watchstore

namespace watchstore {

absl::StatusOr<std::string> ChooseSlug(
    const ProductDraft& draft, ProductId self, absl::string_view current,
    const std::function<absl::StatusOr<ProductId>(absl::string_view)>& owner) {
  if (draft.slug.empty()) {
    if (!current.empty()) return std::string(current);  // renames keep the URL
    absl::Status failed;
    std::string slug =
        FirstFreeSlug(DeriveSlug(draft.brand, draft.model, draft.attributes.reference),
                      [&](absl::string_view candidate) {
                        absl::StatusOr<ProductId> held_by = owner(candidate);
                        if (!held_by.ok()) failed = held_by.status();
                        return held_by.ok() && *held_by != 0;  // an error stops the search
                      });
    if (!failed.ok()) return failed;
    return slug;
  }
  if (!IsValidSlug(draft.slug)) {
    return InvalidField("slug", "must be 1 to 80 of a-z, 0-9 and single inner hyphens");
  }
  if (draft.slug == current) return draft.slug;
  WS_ASSIGN_OR_RETURN(const ProductId held_by, owner(draft.slug));
  if (held_by != 0 && held_by != self) {
    return MakeError(absl::StatusCode::kAlreadyExists, reason::kSlugTaken,
                     absl::StrCat("slug ", draft.slug, " belongs to another watch"), "slug");
  }
  return draft.slug;
}

}  // namespace watchstore
