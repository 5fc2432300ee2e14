// Catalog: reads through the cache, admin writes, validation, invalidation.
#include <thread>

#include "service_fixture.h"

namespace watchstore::testing {
namespace {

class CatalogTest : public ServiceTest {
 protected:
  Catalog& catalog() { return store_->catalog(); }
};

TEST_F(CatalogTest, WarmReadsShareOneSnapshotAndSkipStorage) {
  auto p = AddWatch("AB");
  WS_ASSERT_OK_AND_ASSIGN(auto first, catalog().GetProduct(p->id));
  const int64_t reads = counting_->product_reads.load();
  const int64_t hits = store_->cache().Stats().hits;
  for (int i = 0; i < 100; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(auto again, catalog().GetProduct(p->id));
    EXPECT_EQ(again.get(), first.get());  // the same immutable snapshot, not a copy
  }
  EXPECT_EQ(counting_->product_reads.load(), reads);
  // Each is a cache hit, those served by this thread's front included.
  EXPECT_EQ(store_->cache().Stats().hits - hits, 100);
}

TEST_F(CatalogTest, WritesInvalidateWhatReadersSee) {
  auto p = AddWatch("AB", 100'00);
  WS_ASSERT_OK_AND_ASSIGN(auto before, catalog().GetProduct(p->id));
  ProductDraft d = WatchDraft("AB", 120'00);
  d.variants[0].id = p->variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(auto updated, catalog().UpdateProduct(admin_, p->id, p->version, d));
  EXPECT_EQ(updated->version, p->version + 1);
  WS_ASSERT_OK_AND_ASSIGN(auto after, catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].price, Usd(120'00));
  EXPECT_EQ(before->variants[0].price, Usd(100'00));  // the old snapshot is untouched
  // Listing pages see the new price at once.
  WS_ASSERT_OK_AND_ASSIGN(auto list, catalog().ListProducts(ProductQuery{}, ""));
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0]->variants[0].price, Usd(120'00));
  // Stale version: conflict, nothing changes.
  WS_EXPECT_REASON(catalog().UpdateProduct(admin_, p->id, p->version, d),
                   absl::StatusCode::kAborted, reason::kVersionConflict);
}

TEST(SlugTest, DerivesOneReadableSlug) {
  EXPECT_EQ(DeriveSlug("J. Brévik & Sœurs", "Ålen 1", ""), "j-brevik-soeurs-alen-1");
  EXPECT_EQ(DeriveSlug("Brévik", "Polar GMT", "SDK211"), "brevik-polar-gmt-sdk211");
  EXPECT_EQ(DeriveSlug("Orsa", "Chronomaster 3861", "3861"), "orsa-chronomaster-3861");
  EXPECT_EQ(DeriveSlug("Ørsted’s", "Æon  ß", ""), "orsteds-aeon-ss");
  EXPECT_EQ(DeriveSlug("セイコー", "時計", ""), "watch");
  EXPECT_EQ(DeriveSlug("--X--", "/Y/", "!"), "x-y");
  const std::string long_slug = DeriveSlug(std::string(50, 'a'), "bbbbbbbbbb cccccccccc", "");
  EXPECT_LE(long_slug.size(), kMaxDerivedSlugLength);
  EXPECT_EQ(long_slug, std::string(50, 'a') + "-bbbbbbbbbb");
  EXPECT_EQ(DeriveSlug(std::string(200, 'z'), "", "").size(), kMaxDerivedSlugLength);
  for (const char* good : {"a", "orsa-chronomaster-3861", "x-2"}) EXPECT_TRUE(IsValidSlug(good));
  for (const char* bad : {"", "-a", "a-", "a--b", "A", "a_b", "a b", "é", "../x"}) {
    EXPECT_FALSE(IsValidSlug(bad)) << bad;
  }
  EXPECT_FALSE(IsValidSlug(std::string(kMaxSlugLength + 1, 'a')));
  EXPECT_EQ(FirstFreeSlug("x", [](absl::string_view s) { return s == "x" || s == "x-2"; }), "x-3");
}

TEST_F(CatalogTest, FindsWatchesBySlugOldOrNew) {
  auto p = AddWatch("AB");
  ASSERT_FALSE(p->slug.empty());
  WS_ASSERT_OK_AND_ASSIGN(auto by_slug, catalog().GetProductBySlug(p->slug));
  EXPECT_EQ(by_slug->id, p->id);
  ProductDraft d = WatchDraft("AB");
  d.variants[0].id = p->variants[0].id;
  d.slug = "renamed-watch";
  WS_ASSERT_OK_AND_ASSIGN(auto moved, catalog().UpdateProduct(admin_, p->id, p->version, d));
  EXPECT_EQ(moved->slug, "renamed-watch");
  // The old slug (its owner cached above) leads to the product with its new slug.
  WS_ASSERT_OK_AND_ASSIGN(auto old, catalog().GetProductBySlug(p->slug));
  EXPECT_EQ(old->slug, "renamed-watch");
  WS_ASSERT_OK_AND_ASSIGN(auto now, catalog().GetProductBySlug("renamed-watch"));
  EXPECT_EQ(now->id, p->id);
  for (const char* bad : {"", "No-Such", "no-such-watch", "../etc"}) {
    WS_EXPECT_CODE(catalog().GetProductBySlug(bad), absl::StatusCode::kNotFound);
  }
  d.slug = "Bad Slug";
  WS_EXPECT_CODE(catalog().UpdateProduct(admin_, p->id, moved->version, d),
                 absl::StatusCode::kInvalidArgument);
  WS_ASSERT_OK(catalog().ArchiveProduct(admin_, p->id, moved->version));
  WS_EXPECT_CODE(catalog().GetProductBySlug("renamed-watch"), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(auto staff, catalog().GetProductBySlug("renamed-watch", &admin_));
  EXPECT_EQ(staff->slug, "renamed-watch");  // archiving keeps the slug
}

TEST_F(CatalogTest, CollectionsCountListedWatchesAndAreNeverStale) {
  WS_ASSERT_OK_AND_ASSIGN(auto none, catalog().ListCollections());
  EXPECT_TRUE(none.empty());
  auto p = AddWatch("AB");  // in "Dive"
  WS_ASSERT_OK_AND_ASSIGN(auto one, catalog().ListCollections());
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].slug, "dive");
  EXPECT_EQ(one[0].name, "dive");  // no description yet: the name as watches carry it, lower-cased
  EXPECT_EQ(one[0].product_count, 1);
  WS_ASSERT_OK_AND_ASSIGN(auto described,
                          catalog().PutCollection(admin_, "dive", "Dive", "For the water."));
  EXPECT_EQ(described.name, "Dive");
  EXPECT_EQ(described.description, "For the water.");
  EXPECT_EQ(described.product_count, 1);
  // A product write shows at once (the count is the listing's facet).
  auto q = AddWatch("CD");
  WS_ASSERT_OK_AND_ASSIGN(Collection two, catalog().GetCollection("dive"));
  EXPECT_EQ(two.product_count, 2);
  WS_ASSERT_OK(catalog().ArchiveProduct(admin_, q->id, q->version));
  WS_ASSERT_OK_AND_ASSIGN(Collection back, catalog().GetCollection("dive"));
  EXPECT_EQ(back.product_count, 1);
  // Described but empty: still answers, with 0; unknown and malformed: NotFound.
  WS_ASSERT_OK(
      catalog().PutCollection(admin_, "haute-horlogerie", "Haute Horlogerie", "").status());
  WS_ASSERT_OK_AND_ASSIGN(Collection empty, catalog().GetCollection("haute-horlogerie"));
  EXPECT_EQ(empty.product_count, 0);
  WS_ASSERT_OK_AND_ASSIGN(auto listed, catalog().ListCollections());
  EXPECT_EQ(listed.size(), 1u);  // the list holds collections with listed watches
  for (const char* bad : {"nope", "Dive", "", "a--b"}) {
    WS_EXPECT_CODE(catalog().GetCollection(bad), absl::StatusCode::kNotFound);
  }
  // Staff only; the name must be the slug's; bounded.
  WS_EXPECT_CODE(catalog().PutCollection(alice_, "dive", "Dive", ""),
                 absl::StatusCode::kPermissionDenied);
  WS_EXPECT_REASON(catalog().PutCollection(admin_, "dive", "Field", ""),
                   absl::StatusCode::kInvalidArgument, reason::kValidation);
  WS_EXPECT_CODE(catalog().PutCollection(admin_, "Dive", "Dive", ""),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(catalog().PutCollection(admin_, "dive", "", ""),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(catalog().PutCollection(admin_, "dive", "Dive", std::string(2001, 'x')),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(catalog().PutCollection(admin_, "dive", "Dive\n", ""),
                 absl::StatusCode::kInvalidArgument);
  WS_ASSERT_OK_AND_ASSIGN(Collection kept, catalog().GetCollection("dive"));
  EXPECT_EQ(kept.description, "For the water.");
  EXPECT_EQ(CollectionSlug("Haute Horlogerie"), "haute-horlogerie");
  EXPECT_EQ(CollectionSlug("Édition Spéciale"), "edition-speciale");
  EXPECT_EQ(CollectionSlug("!!!"), "");
}

TEST_F(CatalogTest, ArchivedProductsHideFromShoppers) {
  auto p = AddWatch("AB");
  auto q = AddWatch("CD");
  WS_ASSERT_OK(catalog().ArchiveProduct(admin_, p->id, p->version));
  WS_EXPECT_CODE(catalog().GetProduct(p->id), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(catalog().GetProduct(p->id, &alice_), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(catalog().GetProductBySku("AB-0"), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(auto seen, catalog().GetProduct(p->id, &admin_));
  EXPECT_FALSE(seen->active);
  WS_ASSERT_OK_AND_ASSIGN(auto list, catalog().ListProducts(ProductQuery{}, ""));
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0]->id, q->id);
  ProductQuery all;
  all.include_archived = true;
  WS_EXPECT_CODE(catalog().ListProducts(all, "", &alice_), absl::StatusCode::kPermissionDenied);
  WS_ASSERT_OK_AND_ASSIGN(auto staff, catalog().ListProducts(all, "", &admin_));
  EXPECT_EQ(staff.items.size(), 2u);
}

TEST_F(CatalogTest, OnlyAdminsWrite) {
  auto p = AddWatch("AB");
  WS_EXPECT_CODE(catalog().CreateProduct(alice_, WatchDraft("ZZ")),
                 absl::StatusCode::kPermissionDenied);
  WS_EXPECT_CODE(catalog().UpdateProduct(alice_, p->id, 1, WatchDraft("AB")),
                 absl::StatusCode::kPermissionDenied);
  WS_EXPECT_CODE(catalog().ArchiveProduct(alice_, p->id, 1), absl::StatusCode::kPermissionDenied);
  WS_EXPECT_CODE(catalog().AdjustStock(alice_, p->variants[0].id, 5),
                 absl::StatusCode::kPermissionDenied);
  WS_EXPECT_CODE(catalog().AdjustStock(Principal{}, p->variants[0].id, 5),
                 absl::StatusCode::kUnauthenticated);
  WS_ASSERT_OK_AND_ASSIGN(auto same, catalog().GetProduct(p->id));
  EXPECT_EQ(same->version, 1);
}

// Search and facet counts go through the listing cache, and every write
// invalidates it: a cached page or count never outlives the write that
// changes it.
TEST_F(CatalogTest, CachedSearchFollowsWrites) {
  ProductDraft d = WatchDraft("SR");
  d.brand = "Zenthos";
  d.attributes.reference = "ZX-77";
  WS_ASSERT_OK_AND_ASSIGN(auto p, catalog().CreateProduct(admin_, d));
  ProductQuery q;
  q.text = "Zentos!";  // a typo, and punctuation: the same words as "zentos"
  WS_ASSERT_OK_AND_ASSIGN(auto first, catalog().ListProducts(q, ""));
  ASSERT_EQ(first.items.size(), 1u);
  const int64_t reads = counting_->list_reads.load();
  q.text = "zentos";
  WS_ASSERT_OK_AND_ASSIGN(auto again, catalog().ListProducts(q, ""));
  EXPECT_EQ(again.items.size(), 1u);
  EXPECT_EQ(counting_->list_reads.load(), reads) << "the same words share a cached page";
  WS_ASSERT_OK_AND_ASSIGN(FacetCounts facets, catalog().CountFacets(q));
  ASSERT_EQ(facets.facets[static_cast<int>(Facet::kBrand)].size(), 1u);
  EXPECT_EQ(facets.facets[static_cast<int>(Facet::kBrand)][0], (FacetValue{"zenthos", 1}));
  WS_ASSERT_OK(catalog().ArchiveProduct(admin_, p->id, p->version).status());
  WS_ASSERT_OK_AND_ASSIGN(auto gone, catalog().ListProducts(q, ""));
  EXPECT_TRUE(gone.items.empty());
  WS_ASSERT_OK_AND_ASSIGN(FacetCounts after, catalog().CountFacets(q));  // invalidated too
  EXPECT_TRUE(after.facets[static_cast<int>(Facet::kBrand)].empty());
  q.text = std::string(101, 'z');
  WS_EXPECT_CODE(catalog().ListProducts(q, ""), absl::StatusCode::kInvalidArgument);
}

TEST_F(CatalogTest, ValidatesDraftsNamingTheField) {
  struct Case {
    const char* field;
    std::function<void(ProductDraft&)> breakit;
  };
  const Case cases[] = {
      {"brand", [](ProductDraft& d) { d.brand = ""; }},
      {"model", [](ProductDraft& d) { d.model = std::string(101, 'm'); }},
      {"case_diameter_mm", [](ProductDraft& d) { d.attributes.case_diameter_mm = 5; }},
      {"water_resistance_m", [](ProductDraft& d) { d.attributes.water_resistance_m = -1; }},
      {"variants", [](ProductDraft& d) { d.variants.clear(); }},
      {"sku", [](ProductDraft& d) { d.variants[0].sku = "lower-case"; }},
      {"sku", [](ProductDraft& d) { d.variants[0].sku = "X"; }},
      {"price", [](ProductDraft& d) { d.variants[0].price = Usd(-1); }},
      {"price",
       [](ProductDraft& d) {
         d.variants[0].price = Money{100, *Currency::FromCode("EUR")};
       }},
      {"stock", [](ProductDraft& d) { d.variants[0].stock = -3; }},
      {"collections", [](ProductDraft& d) { d.collections = {""}; }},
      {"reference", [](ProductDraft& d) { d.attributes.reference = std::string(41, 'R'); }},
      {"reference", [](ProductDraft& d) { d.attributes.reference = "5513\n"; }},
      {"caliber", [](ProductDraft& d) { d.attributes.caliber = "\xc3\xa9"; }},
      {"complications", [](ProductDraft& d) { d.attributes.complications = 1u << 10; }},
      {"lug_width_mm", [](ProductDraft& d) { d.attributes.lug_width_mm = 31; }},
      {"case_thickness_tenths_mm",
       [](ProductDraft& d) { d.attributes.case_thickness_tenths = 19; }},
      {"crystal", [](ProductDraft& d) { d.attributes.crystal = static_cast<Crystal>(9); }},
      {"grade",
       [](ProductDraft& d) { d.attributes.condition = Condition::kPreOwned; }},        // no grade
      {"grade", [](ProductDraft& d) { d.attributes.grade = ConditionGrade::kMint; }},  // new
      {"limited_pieces", [](ProductDraft& d) { d.attributes.limited_pieces = -1; }},
  };
  for (const Case& c : cases) {
    ProductDraft d = WatchDraft("AB");
    c.breakit(d);
    auto r = catalog().CreateProduct(admin_, d);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(FieldOf(r.status()), c.field) << r.status();
  }
  WS_ASSERT_OK_AND_ASSIGN(auto page, catalog().ListProducts(ProductQuery{}, "", &admin_));
  EXPECT_TRUE(page.items.empty());
}

TEST_F(CatalogTest, ValidatesGalleriesWithPreciseReasons) {
  struct Case {
    const char* what;
    absl::string_view reason;
    std::function<void(ProductDraft&)> breakit;
  };
  const Case cases[] = {
      {"too many", reason::kTooManyImages,
       [](ProductDraft& d) {
         d.images.assign(kMaxProductImages + 1, ProductImage{"/img/a.svg", "front", 0});
       }},
      {"javascript:", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "javascript:alert(1)"; }},
      {"data:", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "data:image/svg+xml,<svg/>"; }},
      {"protocol-relative", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "//evil.example/x.svg"; }},
      {"backslash", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "/\\evil.example/x.svg"; }},
      {"http", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "http://cdn.example/x.svg"; }},
      {"relative", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "img/x.svg"; }},
      {"empty url", reason::kInvalidImageUrl, [](ProductDraft& d) { d.images[0].url = ""; }},
      {"long url", reason::kInvalidImageUrl,
       [](ProductDraft& d) { d.images[0].url = "/" + std::string(300, 'a'); }},
      {"space", reason::kInvalidImageUrl, [](ProductDraft& d) { d.images[0].url = "/a b.svg"; }},
      {"no alt", reason::kInvalidImageAlt, [](ProductDraft& d) { d.images[0].alt = ""; }},
      {"blank alt", reason::kInvalidImageAlt, [](ProductDraft& d) { d.images[0].alt = "   "; }},
      {"long alt", reason::kInvalidImageAlt,
       [](ProductDraft& d) { d.images[0].alt = std::string(201, 'a'); }},
      {"control alt", reason::kInvalidImageAlt, [](ProductDraft& d) { d.images[0].alt = "a\nb"; }},
      {"unknown variant", reason::kUnknownImageVariant,
       [](ProductDraft& d) { d.images[0].variant_id = 12345; }},
  };
  for (const Case& c : cases) {
    ProductDraft d = WatchDraft("GA");
    c.breakit(d);
    auto r = catalog().CreateProduct(admin_, d);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(ReasonOf(r.status()), c.reason) << c.what << ": " << r.status();
    EXPECT_EQ(FieldOf(r.status()), "images") << c.what;
  }
  // The limits themselves pass: 24 pictures, a 300-byte https URL, 200 bytes of alt.
  ProductDraft d = WatchDraft("GA", 100'00, 5, 2);
  d.images.assign(kMaxProductImages, ProductImage{"/img/a.svg", std::string(200, 'a'), 0});
  d.images[1].url = "https://cdn.example/" + std::string(300 - 20, 'b');
  WS_ASSERT_OK_AND_ASSIGN(auto created, catalog().CreateProduct(admin_, d));
  EXPECT_EQ(created->images.size(), kMaxProductImages);
  // A new variant has no id to link to; an existing one of the draft can be.
  ProductDraft u = d;
  for (size_t i = 0; i < u.variants.size(); ++i) u.variants[i].id = created->variants[i].id;
  u.images[0].variant_id = created->variants[1].id;
  auto linked = catalog().UpdateProduct(admin_, created->id, created->version, u);
  WS_ASSERT_OK(linked.status());
  EXPECT_EQ((*linked)->images[0].variant_id, created->variants[1].id);
  EXPECT_EQ((*linked)->image_url, "https://cdn.example/" + std::string(280, 'b'));  // cover
  // Archiving keeps the gallery.
  WS_ASSERT_OK_AND_ASSIGN(auto archived,
                          catalog().ArchiveProduct(admin_, created->id, (*linked)->version));
  EXPECT_EQ(archived->images, (*linked)->images);
}

TEST_F(CatalogTest, PagesWithOpaqueCursors) {
  for (int i = 0; i < 25; ++i) AddWatch("P" + std::to_string(i), 100'00 + i * 100);
  ProductQuery q;
  q.sort = ProductSort::kPriceAsc;
  q.limit = 10;
  std::vector<int64_t> prices;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    WS_ASSERT_OK_AND_ASSIGN(auto list, catalog().ListProducts(q, cursor));
    for (const auto& p : list.items) prices.push_back(p->MinPrice().minor_units);
    cursor = list.next_cursor;
    if (cursor.empty()) break;
  }
  ASSERT_EQ(prices.size(), 25u);
  EXPECT_TRUE(std::is_sorted(prices.begin(), prices.end()));
  // A cursor belongs to its sort; garbage is refused.
  WS_ASSERT_OK_AND_ASSIGN(auto first, catalog().ListProducts(q, ""));
  ProductQuery other = q;
  other.sort = ProductSort::kNewest;
  EXPECT_EQ(FieldOf(catalog().ListProducts(other, first.next_cursor).status()), "cursor");
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, "not a cursor!").status()), "cursor");
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, std::string(5000, 'A')).status()), "cursor");
}

TEST_F(CatalogTest, ValidatesListingQueries) {
  ProductQuery q;
  q.limit = 0;
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, "").status()), "limit");
  q.limit = 101;
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, "").status()), "limit");
  q = ProductQuery{};
  q.min_price_minor = 500;
  q.max_price_minor = 100;
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, "").status()), "min_price");
  q = ProductQuery{};
  q.min_price_minor = -1;
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, "").status()), "min_price");
  q = ProductQuery{};
  q.text = std::string(101, 'q');
  EXPECT_EQ(FieldOf(catalog().ListProducts(q, "").status()), "q");
}

TEST_F(CatalogTest, StockAdjustmentNeverGoesNegative) {
  auto p = AddWatch("AB", 100, 2);
  WS_ASSERT_OK_AND_ASSIGN(auto more, catalog().AdjustStock(admin_, p->variants[0].id, 3));
  EXPECT_EQ(more->variants[0].stock, 5);
  WS_EXPECT_REASON(catalog().AdjustStock(admin_, p->variants[0].id, -6),
                   absl::StatusCode::kFailedPrecondition, reason::kOutOfStock);
  WS_EXPECT_CODE(catalog().AdjustStock(admin_, 999999, 1), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(auto now, catalog().GetProduct(p->id));
  EXPECT_EQ(now->variants[0].stock, 5);
}

// Storage that is slow to read a product, so concurrent misses overlap.
class SlowProductStorage : public CountingStorage {
 public:
  using CountingStorage::CountingStorage;
  absl::StatusOr<Product> GetProduct(ProductId id) override {
    absl::SleepFor(absl::Milliseconds(100));
    return CountingStorage::GetProduct(id);
  }
};

TEST(CatalogSingleFlightTest, ConcurrentMissesReadStorageOnce) {
  auto base = NewMemoryStorage();
  auto slow = std::make_unique<SlowProductStorage>(base.get());
  SlowProductStorage* counter = slow.get();
  auto store = *Store::Open(StoreOptions{}, std::move(slow), *NewMemoryCache({}));
  Principal admin = PrincipalOf(MakeUser(store->storage(), "a@example.com", Role::kAdmin));
  auto p = *store->catalog().CreateProduct(admin, WatchDraft("AB"));
  const int64_t before = counter->product_reads.load();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] { ok += store->catalog().GetProduct(p->id).ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(counter->product_reads.load() - before, 1);
}

}  // namespace
}  // namespace watchstore::testing
