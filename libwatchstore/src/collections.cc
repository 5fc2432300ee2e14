// Collections: the descriptions staff write for the collection names watches
// carry, with the count of listed watches in each (the catalog's collection
// facet, so never stale after a product write).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal {
namespace {

constexpr size_t kMaxCollectionName = 40;  // as a product's collection names
constexpr size_t kMaxCollectionDescription = 2000;

bool IsCleanText(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return false;
  }
  return true;
}

absl::Status NoSuchCollection() {
  return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such collection", "slug");
}

}  // namespace

absl::StatusOr<std::vector<Collection>> CatalogImpl::ListCollections() {
  // Counts: the collection facet of everything listed (cached with the
  // listing pages, invalidated by every write that changes a listing);
  // exact, since a sample could leave a small collection out of the list.
  ProductQuery all;
  all.exact_facets = true;
  WS_ASSIGN_OR_RETURN(FacetCounts counts, CountFacets(all, nullptr));
  WS_ASSIGN_OR_RETURN(std::vector<CollectionInfo> infos, ctx_.storage->ListCollections());
  absl::flat_hash_map<std::string, const CollectionInfo*> by_slug;
  for (const CollectionInfo& info : infos) by_slug[info.slug] = &info;
  absl::flat_hash_map<std::string, size_t> index;  // slug -> position in `out`
  std::vector<Collection> out;
  for (const FacetValue& v : counts.facets[static_cast<int>(Facet::kCollection)]) {
    std::string slug = CollectionSlug(v.value);
    if (slug.empty()) continue;  // a name of no letters or digits has no page
    auto at = index.find(slug);
    if (at != index.end()) {  // "Dive" and "Dive!" share a page
      out[at->second].product_count += v.count;
      continue;
    }
    Collection c;
    c.slug = slug;
    c.name = v.value;
    c.product_count = v.count;
    if (auto it = by_slug.find(slug); it != by_slug.end()) {
      c.name = it->second->name;
      c.description = it->second->description;
    }
    index[slug] = out.size();
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const Collection& a, const Collection& b) { return a.slug < b.slug; });
  return out;
}

absl::StatusOr<Collection> CatalogImpl::GetCollection(absl::string_view slug) {
  if (!IsValidSlug(slug)) return NoSuchCollection();
  WS_ASSIGN_OR_RETURN(std::vector<Collection> all, ListCollections());
  for (Collection& c : all) {
    if (c.slug == slug) return std::move(c);
  }
  // Described, but no listed watch in it (yet).
  WS_ASSIGN_OR_RETURN(std::vector<CollectionInfo> infos, ctx_.storage->ListCollections());
  for (CollectionInfo& info : infos) {
    if (info.slug == slug) {
      return Collection{std::move(info.slug), std::move(info.name), std::move(info.description), 0};
    }
  }
  return NoSuchCollection();
}

absl::StatusOr<Collection> CatalogImpl::PutCollection(const Principal& actor,
                                                      absl::string_view slug,
                                                      absl::string_view name,
                                                      absl::string_view description) {
  WS_RETURN_IF_ERROR(RequireAdmin(actor));
  if (!IsValidSlug(slug)) {
    return InvalidField("slug", "must be 1 to 80 of a-z, 0-9 and single inner hyphens");
  }
  if (name.empty() || name.size() > kMaxCollectionName || !IsCleanText(name) ||
      name.find('\n') != absl::string_view::npos) {
    return InvalidField("name", "must be 1 to 40 bytes of text on one line");
  }
  if (CollectionSlug(name) != slug) {
    return InvalidField("name", absl::StrCat("must be the collection of this address (\"", name,
                                             "\" is at ", CollectionSlug(name), ")"));
  }
  if (description.size() > kMaxCollectionDescription || !IsCleanText(description)) {
    return InvalidField("description", "must be at most 2000 bytes of text");
  }
  WS_RETURN_IF_ERROR(ctx_.storage->PutCollection(
      CollectionInfo{std::string(slug), std::string(name), std::string(description)}));
  return GetCollection(slug);
}

}  // namespace watchstore::internal
