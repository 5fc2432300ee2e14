// Collection cases of the Storage conformance suite (storage_conformance.h):
// staff descriptions of the collection names products carry.
#include <string>
#include <vector>

#include "storage_conformance.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

TEST_P(StorageConformanceTest, CollectionsAreCreatedReplacedAndListedBySlug) {
  WS_ASSERT_OK_AND_ASSIGN(std::vector<CollectionInfo> none, storage_->ListCollections());
  EXPECT_TRUE(none.empty());
  WS_ASSERT_OK(storage_->PutCollection({"field", "Field", "Tool watches."}));
  WS_ASSERT_OK(storage_->PutCollection({"dive", "Dive", "For the water.\nAnd beyond: 'quotes'"}));
  WS_ASSERT_OK(storage_->PutCollection({"field", "FIELD", ""}));  // replaces
  WS_ASSERT_OK_AND_ASSIGN(std::vector<CollectionInfo> all, storage_->ListCollections());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].slug, "dive");
  EXPECT_EQ(all[0].name, "Dive");
  EXPECT_EQ(all[0].description, "For the water.\nAnd beyond: 'quotes'");
  EXPECT_EQ(all[1].slug, "field");
  EXPECT_EQ(all[1].name, "FIELD");
  EXPECT_EQ(all[1].description, "");
}

}  // namespace
}  // namespace watchstore::testing
