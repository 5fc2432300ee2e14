// The cases every Storage adapter must pass. See storage_conformance.h.
#include "storage_conformance.h"

#include <algorithm>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/listing.h"
#include "test_util.h"
#include "watchstore/facets.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

NewUser AUser(const std::string& email) {
  return NewUser{email, "$argon2id$v=19$m=65536,t=2,p=1$abc$def", Role::kCustomer, kT0};
}

// --- Users -----------------------------------------------------------------

TEST_P(StorageConformanceTest, CreatesAndFindsUsers) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.email, "a@example.com");
  EXPECT_EQ(a.created_at, kT0);
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(AUser("b@example.com")));
  EXPECT_NE(a.id, b.id);
  WS_ASSERT_OK_AND_ASSIGN(User byid, storage_->GetUserById(a.id));
  EXPECT_EQ(byid.email, "a@example.com");
  EXPECT_EQ(byid.password_hash, AUser("x").password_hash);
  WS_ASSERT_OK_AND_ASSIGN(User byemail, storage_->GetUserByEmail("b@example.com"));
  EXPECT_EQ(byemail.id, b.id);
  WS_EXPECT_CODE(storage_->GetUserById(999999), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->GetUserByEmail("nobody@example.com"), absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, RejectsDuplicateEmail) {
  WS_ASSERT_OK(storage_->CreateUser(AUser("a@example.com")));
  WS_EXPECT_REASON(storage_->CreateUser(AUser("a@example.com")), absl::StatusCode::kAlreadyExists,
                   reason::kEmailTaken);
}

TEST_P(StorageConformanceTest, UpdatesPasswordHashAndRole) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK(storage_->UpdatePasswordHash(a.id, "$argon2id$new"));
  WS_ASSERT_OK(storage_->SetUserRole(a.id, Role::kAdmin));
  WS_ASSERT_OK_AND_ASSIGN(User again, storage_->GetUserById(a.id));
  EXPECT_EQ(again.password_hash, "$argon2id$new");
  EXPECT_EQ(again.role, Role::kAdmin);
  WS_EXPECT_CODE(storage_->UpdatePasswordHash(424242, "x"), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->SetUserRole(424242, Role::kAdmin), absl::StatusCode::kNotFound);
}

// --- Sessions --------------------------------------------------------------

TEST_P(StorageConformanceTest, SessionLifecycle) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  SessionRecord s{std::string(64, 'a'), a.id, kT0, kT0};
  WS_ASSERT_OK(storage_->CreateSession(s));
  WS_EXPECT_CODE(storage_->CreateSession(s), absl::StatusCode::kAlreadyExists);
  WS_ASSERT_OK_AND_ASSIGN(SessionRecord got, storage_->GetSession(s.token_hash));
  EXPECT_EQ(got.user_id, a.id);
  EXPECT_EQ(got.created_at, kT0);
  WS_ASSERT_OK(storage_->TouchSession(s.token_hash, kT0 + absl::Minutes(5)));
  WS_ASSERT_OK_AND_ASSIGN(got, storage_->GetSession(s.token_hash));
  EXPECT_EQ(got.last_seen_at, kT0 + absl::Minutes(5));
  WS_ASSERT_OK(storage_->DeleteSession(s.token_hash));
  WS_EXPECT_CODE(storage_->GetSession(s.token_hash), absl::StatusCode::kNotFound);
  WS_EXPECT_OK(storage_->DeleteSession(s.token_hash));  // idempotent
  WS_EXPECT_CODE(storage_->TouchSession(s.token_hash, kT0), absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, DeletesExpiredSessions) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  // old: created long ago; idle: not seen lately; fresh: neither.
  WS_ASSERT_OK(storage_->CreateSession({std::string(64, '1'), a.id, kT0 - absl::Hours(13), kT0}));
  WS_ASSERT_OK(storage_->CreateSession(
      {std::string(64, '2'), a.id, kT0 - absl::Hours(1), kT0 - absl::Minutes(31)}));
  WS_ASSERT_OK(storage_->CreateSession({std::string(64, '3'), a.id, kT0 - absl::Hours(1), kT0}));
  WS_ASSERT_OK_AND_ASSIGN(
      int64_t n, storage_->DeleteExpiredSessions(kT0 - absl::Hours(12), kT0 - absl::Minutes(30)));
  EXPECT_EQ(n, 2);
  WS_EXPECT_OK(storage_->GetSession(std::string(64, '3')));
  WS_EXPECT_CODE(storage_->GetSession(std::string(64, '1')), absl::StatusCode::kNotFound);
}

// --- Products --------------------------------------------------------------

TEST_P(StorageConformanceTest, CreatesAndReadsProducts) {
  ProductDraft d = WatchDraft("AB", 123'45, 7, 2);
  d.collections = {"Dive", "Everyday"};
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(d, kT0));
  EXPECT_GT(p.id, 0);
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(p.created_at, kT0);
  ASSERT_EQ(p.variants.size(), 2u);
  EXPECT_LT(p.variants[0].id, p.variants[1].id);
  EXPECT_EQ(p.variants[0].product_id, p.id);
  WS_ASSERT_OK_AND_ASSIGN(Product got, storage_->GetProduct(p.id));
  EXPECT_EQ(got.brand, d.brand);
  EXPECT_EQ(got.model, d.model);
  EXPECT_EQ(got.description, d.description);
  EXPECT_EQ(got.attributes.movement, Movement::kAutomatic);
  EXPECT_EQ(got.attributes.case_diameter_mm, 40);
  EXPECT_EQ(got.attributes.case_material, "steel");
  EXPECT_EQ(got.attributes.water_resistance_m, 200);
  EXPECT_EQ(got.attributes.strap, "steel bracelet");
  EXPECT_THAT(got.collections, ::testing::UnorderedElementsAre("Dive", "Everyday"));
  EXPECT_EQ(got.images, d.images);
  EXPECT_EQ(got.image_url, "/img/watches/w01.svg");  // the cover: the first whole-watch image
  EXPECT_TRUE(got.active);
  ASSERT_EQ(got.variants.size(), 2u);
  EXPECT_EQ(got.variants[1].sku, "AB-1");
  EXPECT_EQ(got.variants[1].price, Usd(133'45));
  EXPECT_EQ(got.variants[1].stock, 7);
  EXPECT_EQ(got.variants[0].dial_color, "black");
  WS_ASSERT_OK_AND_ASSIGN(ProductId by_sku, storage_->FindProductIdBySku("AB-1"));
  EXPECT_EQ(by_sku, p.id);
  WS_ASSERT_OK_AND_ASSIGN(ProductId by_variant, storage_->FindProductIdByVariant(p.variants[1].id));
  EXPECT_EQ(by_variant, p.id);
  WS_EXPECT_CODE(storage_->GetProduct(p.id + 1000), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->FindProductIdBySku("NOPE-1"), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->FindProductIdByVariant(987654), absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, DuplicateSkuCreatesNothing) {
  WS_ASSERT_OK(storage_->CreateProduct(WatchDraft("AB"), kT0));
  ProductDraft d = WatchDraft("CD", 100, 1, 2);
  d.variants[1].sku = "AB-0";  // taken
  WS_EXPECT_REASON(storage_->CreateProduct(d, kT0), absl::StatusCode::kAlreadyExists,
                   reason::kSkuTaken);
  WS_EXPECT_CODE(storage_->FindProductIdBySku("CD-0"), absl::StatusCode::kNotFound);
  ProductQuery q;
  q.include_archived = true;
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, storage_->ListProducts(q));
  EXPECT_EQ(page.items.size(), 1u);
}

TEST_P(StorageConformanceTest, UpdatesWithOptimisticConcurrency) {
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 3), kT0));
  ProductDraft d = WatchDraft("AB", 150'00, 99);  // stock in an update is ignored
  d.model = "Renamed";
  d.variants[0].id = p.variants[0].id;
  VariantDraft added;
  added.sku = "AB-NEW";
  added.price = Usd(90'00);
  added.stock = 4;
  d.variants.push_back(added);
  WS_ASSERT_OK_AND_ASSIGN(Product u, storage_->UpdateProduct(p.id, 1, d, kT0 + absl::Seconds(1)));
  EXPECT_EQ(u.version, 2);
  EXPECT_EQ(u.model, "Renamed");
  EXPECT_EQ(u.updated_at, kT0 + absl::Seconds(1));
  ASSERT_EQ(u.variants.size(), 2u);
  EXPECT_EQ(u.variants[0].price, Usd(150'00));
  EXPECT_EQ(u.variants[0].stock, 3);
  EXPECT_EQ(u.variants[1].sku, "AB-NEW");
  EXPECT_EQ(u.variants[1].stock, 4);
  WS_EXPECT_REASON(storage_->UpdateProduct(p.id, 1, d, kT0), absl::StatusCode::kAborted,
                   reason::kVersionConflict);
  WS_ASSERT_OK_AND_ASSIGN(Product again, storage_->GetProduct(p.id));
  EXPECT_EQ(again.version, 2);
  EXPECT_EQ(again.variants.size(), 2u);
  WS_EXPECT_CODE(storage_->UpdateProduct(p.id + 1000, 1, d, kT0), absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, UpdateRejectsForeignVariantAndTakenSku) {
  WS_ASSERT_OK_AND_ASSIGN(Product a, storage_->CreateProduct(WatchDraft("AA"), kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product b, storage_->CreateProduct(WatchDraft("BB"), kT0));
  ProductDraft d = WatchDraft("AA");
  d.variants[0].id = b.variants[0].id;
  WS_EXPECT_CODE(storage_->UpdateProduct(a.id, 1, d, kT0), absl::StatusCode::kInvalidArgument);
  d = WatchDraft("AA");
  d.variants[0].id = a.variants[0].id;
  d.variants[0].sku = "BB-0";
  WS_EXPECT_REASON(storage_->UpdateProduct(a.id, 1, d, kT0), absl::StatusCode::kAlreadyExists,
                   reason::kSkuTaken);
  WS_ASSERT_OK_AND_ASSIGN(Product still, storage_->GetProduct(a.id));
  EXPECT_EQ(still.version, 1);
  EXPECT_EQ(still.variants[0].sku, "AA-0");
}

TEST_P(StorageConformanceTest, AdjustsStockNeverBelowZero) {
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 3), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(Product up, storage_->AdjustStock(v, 5, kT0));
  EXPECT_EQ(up.variants[0].stock, 8);
  EXPECT_EQ(up.version, 2);
  WS_EXPECT_REASON(storage_->AdjustStock(v, -9, kT0), absl::StatusCode::kFailedPrecondition,
                   reason::kOutOfStock);
  WS_ASSERT_OK_AND_ASSIGN(Product down, storage_->AdjustStock(v, -8, kT0));
  EXPECT_EQ(down.variants[0].stock, 0);
  WS_ASSERT_OK_AND_ASSIGN(Product got, storage_->GetProduct(p.id));
  EXPECT_EQ(got.variants[0].stock, 0);
  EXPECT_EQ(got.version, 3);
  WS_EXPECT_CODE(storage_->AdjustStock(v + 1000, 1, kT0), absl::StatusCode::kNotFound);
}

// --- Listing: compared with the reference semantics of storage/listing.h ----

class ListingFixture {
 public:
  static std::vector<Product> Populate(Storage& s) {
    std::vector<Product> all;
    const char* brands[] = {"Aldenmark", "Brevik", "Corvane", "aldenmark"};
    const Movement movements[] = {Movement::kAutomatic, Movement::kQuartz, Movement::kManual};
    std::mt19937 rng(42);
    for (int i = 0; i < 37; ++i) {
      ProductDraft d =
          WatchDraft(absl::StrCat("L", i), 100'00 + (rng() % 50) * 1000, rng() % 3, 1 + i % 2);
      d.brand = brands[i % 4];
      d.model = absl::StrCat(i % 5 == 0 ? "Sea Hunter " : "Field ", 100 - i % 7);  // ties in name
      d.attributes.movement = movements[i % 3];
      d.attributes.case_diameter_mm = 34 + i % 12;
      d.collections = {i % 2 ? "Dive" : "Dress"};
      d.attributes.case_material = i % 3 == 0 ? "Titanium" : "steel";
      d.attributes.water_resistance_m = (i % 4) * 150;
      d.attributes.complications = i % 4 == 1 ? ComplicationBit(Complication::kGmt) : 0;
      if (i % 5 == 2) {
        d.attributes.condition = Condition::kPreOwned;
        d.attributes.grade = ConditionGrade::kGood;
      }
      if (i % 9 == 4) d.variants[0].price = Usd(150'00);  // ties in price
      auto p = s.CreateProduct(d, kT0 + absl::Seconds(i));
      EXPECT_TRUE(p.ok()) << p.status();
      if (i % 11 == 3) {  // archive a few
        ProductDraft a = d;
        a.active = false;
        for (size_t k = 0; k < a.variants.size(); ++k) a.variants[k].id = p->variants[k].id;
        p = s.UpdateProduct(p->id, 1, a, kT0);
        EXPECT_TRUE(p.ok()) << p.status();
      }
      all.push_back(*p);
    }
    return all;
  }
};

std::vector<ProductId> Reference(const std::vector<Product>& all, const ProductQuery& q) {
  std::vector<Product> hits;
  for (const Product& p : all) {
    if (internal::MatchesFilters(p, q)) hits.push_back(p);
  }
  std::sort(hits.begin(), hits.end(),
            [&](const Product& a, const Product& b) { return internal::SortsBefore(a, b, q); });
  std::vector<ProductId> ids;
  for (const Product& p : hits) ids.push_back(p.id);
  return ids;
}

std::vector<ProductId> PageThrough(Storage& s, ProductQuery q, int limit) {
  q.limit = limit;
  q.after.reset();
  std::vector<ProductId> ids;
  for (int guard = 0; guard < 100; ++guard) {
    auto page = s.ListProducts(q);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(page->items.size(), static_cast<size_t>(limit));
    for (const Product& p : page->items) ids.push_back(p.id);
    if (!page->has_more) break;
    EXPECT_FALSE(page->items.empty());
    q.after = internal::CursorAfter(page->items.back(), q);
  }
  return ids;
}

TEST_P(StorageConformanceTest, ListingMatchesReferenceForEverySortAndFilter) {
  const std::vector<Product> all = ListingFixture::Populate(*storage_);
  std::vector<ProductQuery> queries;
  queries.emplace_back();
  {
    ProductQuery q;
    q.brand = "ALDENMARK";  // case-insensitive, matches two spellings
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.movement = Movement::kQuartz;
    q.in_stock_only = true;
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.collection = "dive";
    q.min_price_minor = 110'00;
    q.max_price_minor = 130'00;
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.min_case_mm = 38;
    q.max_case_mm = 42;
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.text = "sea h";
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.text = "%";  // a separator, never a LIKE wildcard
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.text = "BREV";
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.include_archived = true;
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.case_material = "TITANIUM";
    q.min_water_m = 300;
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.dial_color = "Blue";  // only the second variant's dial
    q.complication = Complication::kGmt;
    queries.push_back(q);
  }
  {
    ProductQuery q;
    q.condition = Condition::kPreOwned;
    q.text = "field";
    queries.push_back(q);
  }
  for (ProductSort sort : {ProductSort::kNewest, ProductSort::kPriceAsc, ProductSort::kPriceDesc,
                           ProductSort::kNameAsc, ProductSort::kRelevance}) {
    for (size_t i = 0; i < queries.size(); ++i) {
      ProductQuery q = queries[i];
      q.sort = sort;
      const auto expected = Reference(all, q);
      EXPECT_EQ(PageThrough(*storage_, q, 7), expected)
          << "query " << i << " sort " << ProductSortName(sort);
      EXPECT_EQ(PageThrough(*storage_, q, 100), expected)
          << "query " << i << " sort " << ProductSortName(sort);
    }
  }
  // "%" has no search words (it is a separator): it filters nothing, and
  // is never a LIKE wildcard. The default query excluded archived.
  EXPECT_EQ(Reference(all, queries[6]), Reference(all, queries[0]));
  EXPECT_LT(Reference(all, queries[0]).size(), all.size());
}

// --- Search: the rule of watchstore/search.h on every adapter ---------------

struct SearchCase {
  const char* text;
  std::vector<const char*> must_find;  // models that must be in the result
  std::vector<const char*> must_not_find;
};

// Relevance: a whole word of the name fields outranks a fragment of one,
// which outranks the description; newest first among equals.
TEST_P(StorageConformanceTest, RelevanceRanksNameWordsThenFragmentsThenDescription) {
  const struct {
    const char* model;
    const char* description;
  } watches[] = {
      {"Dive Master", "A diver."},                     // "master": a whole name word
      {"Seamaster", "A diver."},                       // inside a name word
      {"Field 40", "The master of the field watch."},  // only in the description
      {"Pilot 42", "Big crown."},                      // no match
      {"Harbour Master", "For sailors."},              // a whole name word, newer
  };
  std::vector<ProductId> ids;
  int n = 0;
  for (const auto& w : watches) {
    ProductDraft d = WatchDraft(absl::StrCat("R", n), 100'00, 1, 1);
    d.brand = "Relevant";
    d.model = w.model;
    d.description = w.description;
    WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(d, kT0 + absl::Seconds(n++)));
    ids.push_back(p.id);
  }
  ProductQuery q;
  q.text = "master";
  q.sort = ProductSort::kRelevance;
  EXPECT_EQ(PageThrough(*storage_, q, 1), (std::vector<ProductId>{ids[4], ids[0], ids[1], ids[2]}));
  q.sort = ProductSort::kNewest;
  EXPECT_EQ(PageThrough(*storage_, q, 2), (std::vector<ProductId>{ids[4], ids[2], ids[1], ids[0]}));
  // Two words add up: "relevant" is a name word of all four matches.
  q.text = "relevant seamaster";
  q.sort = ProductSort::kRelevance;
  EXPECT_EQ(PageThrough(*storage_, q, 1), (std::vector<ProductId>{ids[1]}));
  q.text = "relevant master";
  EXPECT_EQ(PageThrough(*storage_, q, 3), (std::vector<ProductId>{ids[4], ids[0], ids[1], ids[2]}));
  // Without words every rank is 0: newest first.
  q.text = "";
  EXPECT_EQ(PageThrough(*storage_, q, 2),
            (std::vector<ProductId>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
}

TEST_P(StorageConformanceTest, SearchMatchesReferenceWithFiltersSortsAndPages) {
  struct Watch {
    const char* brand;
    const char* model;
    const char* reference;
    const char* caliber;
    const char* collection;
    const char* description;
  };
  const Watch watches[] = {
      {"Omega", "Seamaster 300", "2531.80", "1120", "Dive", "A diver with a wave dial."},
      {"Rolex", "Submariner", "5513", "1520", "Dive", "The no-date diver; matte dial."},
      {"Rolex", "GMT-Master II", "126710BLRO", "3285", "GMT", "Two time zones, Pepsi bezel."},
      {"Grand Seiko", "Snowflake", "SBGA211", "9R65", "Dress", "Spring drive, titanium."},
      {"Tudor", "Black Bay GMT", "79830RB", "MT5652", "GMT", "A GMT with a 24-hour bezel."},
      {"Aurelle Genève", "Soirée 38", "AG-38", "AG-M1", "Dress", "Or rose; cadran crème."},
      {"Weisshorn", "Bauhaus 38", "WH-1", "WH-M2", "Everyday", "Plain and legible."},
      {"Corvane", "Meridian GMT 40", "CV-40", "CV-A2", "GMT", "A traveller's watch."},
  };
  std::map<std::string, ProductId> by_model;
  std::vector<Product> all;
  int n = 0;
  for (const Watch& w : watches) {
    ProductDraft d = WatchDraft(absl::StrCat("S", n), 100'00 + (n % 3) * 500'00, n % 2, 1);
    d.brand = w.brand;
    d.model = w.model;
    d.attributes.reference = w.reference;
    d.attributes.caliber = w.caliber;
    d.collections = {w.collection};
    d.description = w.description;
    auto p = storage_->CreateProduct(d, kT0 + absl::Seconds(n++));
    ASSERT_TRUE(p.ok()) << p.status();
    by_model[w.model] = p->id;
    all.push_back(*p);
  }
  const SearchCase cases[] = {
      {"omgea", {"Seamaster 300"}, {"Submariner"}},  // a swap of neighbours
      {"Omegaa", {"Seamaster 300"}, {}},             // one insertion
      {"rollex", {"Submariner", "GMT-Master II"}, {"Seamaster 300"}},
      {"5513", {"Submariner"}, {"Seamaster 300"}},  // a reference
      {"sbga2", {"Snowflake"}, {"Submariner"}},     // a fragment of one
      {"9R65", {"Snowflake"}, {}},                  // a caliber
      {"GMT 2", {"GMT-Master II"}, {"Snowflake"}},  // every word must match
      {"gmt", {"GMT-Master II", "Black Bay GMT", "Meridian GMT 40"}, {"Submariner"}},
      {"wiesshorn", {"Bauhaus 38"}, {}},
      {"genève", {"Soirée 38"}, {}},       // non-ASCII bytes compare exactly
      {"pepsi", {"GMT-Master II"}, {}},    // the description
      {"\"omega", {"Seamaster 300"}, {}},  // unbalanced quote: a separator
      {"omega*", {"Seamaster 300"}, {}},
      {"rolex NEAR gmt", {}, {"Submariner"}},  // NEAR is a word like any other
      {"title:omega", {}, {"Seamaster 300"}},  // no product has the word "title"
      {"'; DROP TABLE products; --", {}, {"Seamaster 300"}},
      {"\"\"\" * : ( ) ^ -", {"Seamaster 300", "Submariner"}, {}},  // no words: no filter
      {"abc", {}, {"Seamaster 300"}},  // too short for typo keys, no fragment
  };
  for (const SearchCase& c : cases) {
    for (ProductSort sort : {ProductSort::kNewest, ProductSort::kPriceAsc, ProductSort::kNameAsc,
                             ProductSort::kRelevance}) {
      for (bool in_stock : {false, true}) {
        ProductQuery q;
        q.text = c.text;
        q.sort = sort;
        q.in_stock_only = in_stock;
        const std::vector<ProductId> expected = Reference(all, q);
        EXPECT_EQ(PageThrough(*storage_, q, 2), expected)
            << "q=" << c.text << " sort " << ProductSortName(sort) << " in_stock " << in_stock;
        if (in_stock) continue;
        for (const char* model : c.must_find) {
          EXPECT_TRUE(std::count(expected.begin(), expected.end(), by_model[model]))
              << c.text << " must find " << model;
        }
        for (const char* model : c.must_not_find) {
          EXPECT_FALSE(std::count(expected.begin(), expected.end(), by_model[model]))
              << c.text << " must not find " << model;
        }
      }
    }
  }

  // Refused, not run: too long, too many words.
  ProductQuery long_query;
  long_query.text = std::string(101, 'a');
  WS_EXPECT_CODE(storage_->ListProducts(long_query), absl::StatusCode::kInvalidArgument);
  ProductQuery many_words;
  many_words.text = "a b c d e f g h i";
  WS_EXPECT_CODE(storage_->ListProducts(many_words), absl::StatusCode::kInvalidArgument);
  ProductQuery bad_utf8;
  bad_utf8.text =
      "om\xc3"
      "ega";
  WS_EXPECT_CODE(storage_->ListProducts(bad_utf8), absl::StatusCode::kInvalidArgument);
}

// Random words with random typos and fragments, random filters and sorts:
// the adapter returns what the reference rule returns, in the same order.
TEST_P(StorageConformanceTest, RandomSearchesMatchTheReference) {
  const std::vector<std::string> vocabulary = {
      "omega",   "seamaster", "speedmaster", "rolex", "submariner", "datejust",  "tudor",
      "pelagos", "seiko",     "snowflake",   "grand", "zenith",     "chronomat", "breitling",
      "5513",    "16610",     "sbga211",     "9r65",  "3135",       "gmt",       "ii"};
  std::mt19937 rng(1313);
  auto pick = [&] { return vocabulary[rng() % vocabulary.size()]; };
  std::vector<Product> all;
  for (int i = 0; i < 40; ++i) {
    ProductDraft d = WatchDraft(absl::StrCat("RS", i), 100'00 + (rng() % 20) * 1000, rng() % 2, 1);
    d.brand = pick();
    d.model = absl::StrCat(pick(), " ", pick());
    d.attributes.reference = pick();
    d.attributes.caliber = i % 3 ? pick() : "";
    d.collections = {i % 2 ? "Dive" : "GMT"};
    d.description = absl::StrCat("A watch with ", pick(), " and ", pick(), ".");
    auto p = storage_->CreateProduct(d, kT0 + absl::Seconds(i));
    ASSERT_TRUE(p.ok()) << p.status();
    all.push_back(*p);
  }
  auto mutate = [&](std::string w) {
    switch (rng() % 6) {
      case 0:  // a deletion
        if (w.size() > 1) w.erase(rng() % w.size(), 1);
        break;
      case 1:  // a swap of neighbours
        if (w.size() > 1) {
          const size_t k = rng() % (w.size() - 1);
          std::swap(w[k], w[k + 1]);
        }
        break;
      case 2:  // an insertion
        w.insert(w.begin() + static_cast<ptrdiff_t>(rng() % (w.size() + 1)),
                 static_cast<char>('a' + rng() % 26));
        break;
      case 3:  // a fragment
        w = w.substr(rng() % w.size(), 1 + rng() % w.size());
        break;
      case 4:  // upper case and punctuation
        w = absl::StrCat("\"", absl::AsciiStrToUpper(w), "*");
        break;
      default:
        break;
    }
    return w;
  };
  int nonempty = 0;
  for (int k = 0; k < 150; ++k) {
    ProductQuery q;
    q.text = mutate(pick());
    if (rng() % 3 == 0) absl::StrAppend(&q.text, " ", mutate(pick()));
    q.sort = static_cast<ProductSort>(rng() % 4);
    q.in_stock_only = rng() % 4 == 0;
    if (rng() % 5 == 0) q.collection = "gmt";
    const std::vector<ProductId> expected = Reference(all, q);
    nonempty += !expected.empty();
    EXPECT_EQ(PageThrough(*storage_, q, 1 + static_cast<int>(rng() % 6)), expected)
        << "q=" << q.text << " sort " << ProductSortName(q.sort);
  }
  EXPECT_GT(nonempty, 50) << "the random queries should mostly find something";
}

// --- Facets: counts equal a brute-force count (watchstore/facets.h) ---------

// Counted here without the library's CountFacetsOf: for each facet and
// each product that passes every filter but that facet's own, each of its
// values once.
FacetCounts BruteForceFacets(const std::vector<Product>& all, const ProductQuery& q) {
  FacetCounts out;
  for (int i = 0; i < kFacetCount; ++i) {
    const Facet f = static_cast<Facet>(i);
    std::map<std::string, int64_t> counts;
    for (const Product& p : all) {
      if (!internal::MatchesFilters(p, QueryForFacet(q, f))) continue;
      std::set<std::string> values;
      for (const std::string& v : FacetValuesOf(p, f)) values.insert(v);
      for (const std::string& v : values) ++counts[v];
    }
    for (const auto& [v, n] : counts) out.facets[i].push_back(FacetValue{v, n});
  }
  return out;
}

std::string Show(const FacetCounts& c) {
  std::string s;
  for (int i = 0; i < kFacetCount; ++i) {
    absl::StrAppend(&s, FacetName(static_cast<Facet>(i)), ":");
    for (const FacetValue& v : c.facets[i]) absl::StrAppend(&s, " ", v.value, "=", v.count);
    s += "\n";
  }
  return s;
}

TEST_P(StorageConformanceTest, RandomFacetCountsEqualABruteForceCount) {
  std::mt19937 rng(2718);
  const char* brands[] = {"Omega", "omega", "Rolex", "Tudor"};
  const char* materials[] = {"Steel", "steel", "titanium", "Bronze", ""};
  const char* dials[] = {"Black", "blue", "white", "BLUE"};
  std::vector<Product> all;
  for (int i = 0; i < 60; ++i) {
    ProductDraft d = WatchDraft(absl::StrCat("FC", i), 10'000 + (rng() % 70) * 10'000,
                                static_cast<int64_t>(rng() % 3), 1 + static_cast<int>(rng() % 3));
    d.brand = brands[rng() % 4];
    d.model = absl::StrCat(rng() % 2 ? "Diver " : "Pilot ", i);
    d.attributes.movement = static_cast<Movement>(rng() % 6);
    d.attributes.case_diameter_mm = 20 + static_cast<int32_t>(rng() % 41);
    d.attributes.case_material = materials[rng() % 5];
    d.attributes.water_resistance_m = static_cast<int32_t>(rng() % 7) * 60;
    d.attributes.complications =
        static_cast<ComplicationSet>(rng() % 1024) & (rng() % 2 ? 0x3ff : 0x5);
    if (rng() % 3 == 0) {
      d.attributes.condition = Condition::kPreOwned;
      d.attributes.grade = ConditionGrade::kGood;
    }
    for (VariantDraft& v : d.variants) v.dial_color = dials[rng() % 4];
    const char* collections[] = {"Dive", "dive", "GMT", "Dress"};
    d.collections.clear();
    for (int c = static_cast<int>(rng() % 3); c > 0; --c)
      d.collections.push_back(collections[rng() % 4]);
    auto p = storage_->CreateProduct(d, kT0 + absl::Seconds(i));
    ASSERT_TRUE(p.ok()) << p.status();
    if (rng() % 8 == 0) {  // some archived
      ProductDraft a = d;
      a.active = false;
      for (size_t k = 0; k < a.variants.size(); ++k) a.variants[k].id = p->variants[k].id;
      p = storage_->UpdateProduct(p->id, 1, a, kT0);
      ASSERT_TRUE(p.ok()) << p.status();
    }
    all.push_back(*p);
  }
  int nonzero = 0;
  for (int k = 0; k < 60; ++k) {
    ProductQuery q;
    if (rng() % 3 == 0) q.brand = brands[rng() % 4];
    if (rng() % 4 == 0) q.movement = static_cast<Movement>(rng() % 6);
    if (rng() % 4 == 0) q.min_case_mm = 30 + static_cast<int32_t>(rng() % 10);
    if (rng() % 4 == 0) q.max_case_mm = 40 + static_cast<int32_t>(rng() % 10);
    if (rng() % 4 == 0) q.case_material = materials[rng() % 4];
    if (rng() % 4 == 0) q.min_water_m = static_cast<int32_t>(rng() % 4) * 100;
    if (rng() % 4 == 0) q.complication = static_cast<Complication>(rng() % kComplicationCount);
    if (rng() % 4 == 0) q.dial_color = dials[rng() % 4];
    if (rng() % 4 == 0) q.condition = static_cast<Condition>(rng() % 2);
    if (rng() % 4 == 0) q.min_price_minor = static_cast<int64_t>(rng() % 300'000);
    if (rng() % 4 == 0) q.max_price_minor = 300'000 + static_cast<int64_t>(rng() % 400'000);
    if (rng() % 5 == 0) q.in_stock_only = true;
    if (rng() % 4 == 0) q.collection = rng() % 2 ? "DIVE" : "gmt";
    if (rng() % 5 == 0) q.text = rng() % 2 ? "diver" : "omgea";
    if (rng() % 9 == 0) q.include_archived = true;
    const FacetCounts expected = BruteForceFacets(all, q);
    for (const auto& values : expected.facets) nonzero += !values.empty();
    WS_ASSERT_OK_AND_ASSIGN(FacetCounts got, storage_->CountFacets(q));
    EXPECT_EQ(Show(got), Show(expected)) << "query " << k;
  }
  EXPECT_GT(nonzero, 200) << "the random queries should mostly count something";
  ProductQuery bad;
  bad.text = std::string(101, 'x');
  WS_EXPECT_CODE(storage_->CountFacets(bad), absl::StatusCode::kInvalidArgument);
}

TEST_P(StorageConformanceTest, SearchIndexFollowsEveryWrite) {
  ProductDraft d = WatchDraft("IX", 100'00, 1, 1);
  d.brand = "Zenthos";
  d.model = "Polaris";
  d.attributes.reference = "ZX-1001";
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(d, kT0));
  auto found = [&](const std::string& text, bool archived = false) {
    ProductQuery q;
    q.text = text;
    q.include_archived = archived;
    auto page = storage_->ListProducts(q);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() && page->items.size() == 1 && page->items[0].id == p.id;
  };
  EXPECT_TRUE(found("zenthos polaris"));
  EXPECT_TRUE(found("zx-1001"));
  // Renamed and re-referenced: the old words leave the index with the write.
  d.model = "Meridiana";
  d.attributes.reference = "ZX-2002";
  d.variants[0].id = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(p, storage_->UpdateProduct(p.id, p.version, d, kT0));
  EXPECT_FALSE(found("polaris"));
  EXPECT_FALSE(found("1001"));
  EXPECT_TRUE(found("meridiana"));
  EXPECT_TRUE(found("2002"));
  // A stock change keeps it findable; an archive hides it from all but staff.
  WS_ASSERT_OK_AND_ASSIGN(p, storage_->AdjustStock(p.variants[0].id, 5, kT0));
  EXPECT_TRUE(found("meridiana"));
  d.active = false;
  WS_ASSERT_OK_AND_ASSIGN(p, storage_->UpdateProduct(p.id, p.version, d, kT0));
  EXPECT_FALSE(found("meridiana"));
  EXPECT_TRUE(found("meridiana", /*archived=*/true));
}

TEST_P(StorageConformanceTest, ListingReturnsFullProducts) {
  WS_ASSERT_OK(storage_->CreateProduct(WatchDraft("AB", 100'00, 3, 3), kT0));
  ProductQuery q;
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, storage_->ListProducts(q));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.items[0].variants.size(), 3u);
  EXPECT_EQ(page.items[0].collections, std::vector<std::string>{"Dive"});
}

// --- Carts -----------------------------------------------------------------

TEST_P(StorageConformanceTest, CartLines) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5, 2), kT0));
  const CartOwner mine = CartOwner::ForUser(a.id);
  const CartOwner guest = CartOwner::ForGuest(std::string(64, 'f'));
  WS_ASSERT_OK_AND_ASSIGN(auto empty, storage_->GetCart(mine));
  EXPECT_TRUE(empty.empty());
  WS_ASSERT_OK(storage_->SetCartItem(mine, p.variants[1].id, 2, kT0));
  WS_ASSERT_OK(storage_->SetCartItem(mine, p.variants[0].id, 1, kT0 + absl::Seconds(1)));
  WS_ASSERT_OK(storage_->SetCartItem(guest, p.variants[0].id, 4, kT0));
  WS_ASSERT_OK(storage_->SetCartItem(mine, p.variants[1].id, 3, kT0 + absl::Seconds(2)));
  WS_ASSERT_OK_AND_ASSIGN(auto items, storage_->GetCart(mine));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].variant_id, p.variants[1].id);  // by added_at, kept on update
  EXPECT_EQ(items[0].quantity, 3);
  EXPECT_EQ(items[0].product_id, p.id);
  EXPECT_EQ(items[1].variant_id, p.variants[0].id);
  WS_ASSERT_OK(storage_->SetCartItem(mine, p.variants[1].id, 0, kT0));
  WS_ASSERT_OK_AND_ASSIGN(items, storage_->GetCart(mine));
  ASSERT_EQ(items.size(), 1u);
  WS_EXPECT_CODE(storage_->SetCartItem(mine, 987654, 1, kT0), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(auto guest_items, storage_->GetCart(guest));
  ASSERT_EQ(guest_items.size(), 1u);
  EXPECT_EQ(guest_items[0].quantity, 4);

  WS_ASSERT_OK(
      storage_->ReplaceCart(mine, {CartItem{p.variants[0].id, 0, 2, kT0},
                                   CartItem{p.variants[1].id, 0, 1, kT0 + absl::Seconds(5)}}));
  WS_ASSERT_OK_AND_ASSIGN(items, storage_->GetCart(mine));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].quantity, 2);
  WS_ASSERT_OK(storage_->DeleteCart(guest));
  WS_ASSERT_OK_AND_ASSIGN(guest_items, storage_->GetCart(guest));
  EXPECT_TRUE(guest_items.empty());
  WS_ASSERT_OK_AND_ASSIGN(items, storage_->GetCart(mine));
  EXPECT_EQ(items.size(), 2u);
}

// Guest carts expire by the age of their newest line; user carts never do.
TEST_P(StorageConformanceTest, ExpiredGuestCartsAreDeleted) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5, 2), kT0));
  const CartOwner mine = CartOwner::ForUser(a.id);
  const CartOwner stale = CartOwner::ForGuest(std::string(64, 'a'));
  const CartOwner fresh = CartOwner::ForGuest(std::string(64, 'b'));  // an old line and a new one
  WS_ASSERT_OK(storage_->SetCartItem(mine, p.variants[0].id, 1, kT0));
  WS_ASSERT_OK(storage_->SetCartItem(stale, p.variants[0].id, 1, kT0));
  WS_ASSERT_OK(storage_->SetCartItem(stale, p.variants[1].id, 1, kT0 + absl::Hours(1)));
  WS_ASSERT_OK(storage_->SetCartItem(fresh, p.variants[0].id, 2, kT0));
  WS_ASSERT_OK(storage_->SetCartItem(fresh, p.variants[1].id, 2, kT0 + absl::Hours(3)));
  WS_ASSERT_OK_AND_ASSIGN(int64_t none, storage_->DeleteExpiredGuestCarts(kT0));
  EXPECT_EQ(none, 0);
  WS_ASSERT_OK_AND_ASSIGN(int64_t gone, storage_->DeleteExpiredGuestCarts(kT0 + absl::Hours(2)));
  EXPECT_EQ(gone, 1);
  WS_ASSERT_OK_AND_ASSIGN(auto stale_items, storage_->GetCart(stale));
  EXPECT_TRUE(stale_items.empty());
  WS_ASSERT_OK_AND_ASSIGN(auto fresh_items, storage_->GetCart(fresh));
  EXPECT_EQ(fresh_items.size(), 2u);
  WS_ASSERT_OK_AND_ASSIGN(int64_t again, storage_->DeleteExpiredGuestCarts(kT0 + absl::Hours(2)));
  EXPECT_EQ(again, 0);
  WS_ASSERT_OK_AND_ASSIGN(auto mine_items, storage_->GetCart(mine));
  EXPECT_EQ(mine_items.size(), 1u);
  WS_ASSERT_OK_AND_ASSIGN(gone, storage_->DeleteExpiredGuestCarts(kT0 + absl::Hours(24)));
  EXPECT_EQ(gone, 1);
  WS_ASSERT_OK_AND_ASSIGN(mine_items, storage_->GetCart(mine));
  EXPECT_EQ(mine_items.size(), 1u);
}

// --- Orders ----------------------------------------------------------------

TEST_P(StorageConformanceTest, PlacesOrderAllOrNothing) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 250'00, 5), kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product q, storage_->CreateProduct(WatchDraft("CD", 99'99, 2), kT0));
  const VariantId vp = p.variants[0].id, vq = q.variants[0].id;
  WS_ASSERT_OK(storage_->SetCartItem(CartOwner::ForUser(a.id), vp, 1, kT0));

  // Not enough of q: nothing changes.
  WS_EXPECT_REASON(storage_->PlaceOrder(AnOrder(a.id, "k1", {{vp, 2}, {vq, 3}})),
                   absl::StatusCode::kFailedPrecondition, reason::kOutOfStock);
  WS_ASSERT_OK_AND_ASSIGN(Product p1, storage_->GetProduct(p.id));
  EXPECT_EQ(p1.variants[0].stock, 5);
  WS_ASSERT_OK_AND_ASSIGN(auto cart, storage_->GetCart(CartOwner::ForUser(a.id)));
  EXPECT_EQ(cart.size(), 1u);
  WS_ASSERT_OK_AND_ASSIGN(OrderPage none, storage_->ListOrders(OrderQuery{}));
  EXPECT_TRUE(none.items.empty());

  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult r,
                          storage_->PlaceOrder(AnOrder(a.id, "k1", {{vp, 2}, {vq, 2}})));
  EXPECT_FALSE(r.replayed);
  EXPECT_GT(r.order.id, 0);
  EXPECT_EQ(r.order.number, OrderNumberFor(r.order.id));
  EXPECT_EQ(r.order.status, OrderStatus::kPending);
  EXPECT_EQ(r.order.user_id, a.id);
  ASSERT_EQ(r.order.lines.size(), 2u);
  EXPECT_EQ(r.order.total, Usd(2 * 250'00 + 2 * 99'99));
  EXPECT_EQ(r.order.shipping.city, "London");
  ASSERT_EQ(r.stock_changes.size(), 2u);
  for (const StockChange& c : r.stock_changes) {
    EXPECT_EQ(c.stock_before - c.stock_after, 2);
  }
  WS_ASSERT_OK_AND_ASSIGN(Product p2, storage_->GetProduct(p.id));
  EXPECT_EQ(p2.variants[0].stock, 3);
  EXPECT_GT(p2.version, p1.version);
  WS_ASSERT_OK_AND_ASSIGN(Product q2, storage_->GetProduct(q.id));
  EXPECT_EQ(q2.variants[0].stock, 0);
  WS_ASSERT_OK_AND_ASSIGN(cart, storage_->GetCart(CartOwner::ForUser(a.id)));
  EXPECT_TRUE(cart.empty());

  // Prices are captured: a later price change does not touch the order.
  ProductDraft d = WatchDraft("AB", 999'00, 5);
  d.variants[0].id = vp;
  WS_ASSERT_OK(storage_->UpdateProduct(p.id, p2.version, d, kT0));
  WS_ASSERT_OK_AND_ASSIGN(Order o, storage_->GetOrder(r.order.id));
  EXPECT_EQ(o.total, r.order.total);
  const OrderLine& line = o.lines[0].variant_id == vp ? o.lines[0] : o.lines[1];
  EXPECT_EQ(line.unit_price, Usd(250'00));
  EXPECT_EQ(line.line_total, Usd(500'00));
  EXPECT_EQ(line.sku, "AB-0");
  EXPECT_EQ(line.product_id, p.id);
  EXPECT_FALSE(line.title.empty());
  EXPECT_EQ(o.idempotency_key, "k1");
}

TEST_P(StorageConformanceTest, IdempotencyKeyReplaysFirstOrder) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(AUser("b@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult first,
                          storage_->PlaceOrder(AnOrder(a.id, "k", {{v, 1}})));
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult again,
                          storage_->PlaceOrder(AnOrder(a.id, "k", {{v, 1}})));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, first.order.id);
  EXPECT_TRUE(again.stock_changes.empty());
  // Replay wins even with no lines (the cart was emptied by the first).
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult empty_replay,
                          storage_->PlaceOrder(AnOrder(a.id, "k", {})));
  EXPECT_EQ(empty_replay.order.id, first.order.id);
  NewOrder other = AnOrder(a.id, "k", {{v, 2}});
  other.request_fingerprint = "something else";
  WS_EXPECT_REASON(storage_->PlaceOrder(other), absl::StatusCode::kFailedPrecondition,
                   reason::kIdempotencyMismatch);
  // The key is per user.
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult theirs,
                          storage_->PlaceOrder(AnOrder(b.id, "k", {{v, 1}})));
  EXPECT_FALSE(theirs.replayed);
  EXPECT_NE(theirs.order.id, first.order.id);
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage_->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 3);
}

TEST_P(StorageConformanceTest, RejectsBadOrders) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  const VariantId v = p.variants[0].id;
  WS_EXPECT_REASON(storage_->PlaceOrder(AnOrder(a.id, "e", {})),
                   absl::StatusCode::kFailedPrecondition, reason::kCartEmpty);
  WS_EXPECT_CODE(storage_->PlaceOrder(AnOrder(a.id, "n", {{987654, 1}})),
                 absl::StatusCode::kNotFound);
  // Two lines of one variant are summed: 3 + 3 > 5.
  WS_EXPECT_REASON(storage_->PlaceOrder(AnOrder(a.id, "d", {{v, 3}, {v, 3}})),
                   absl::StatusCode::kFailedPrecondition, reason::kOutOfStock);
  ProductDraft d = WatchDraft("AB", 100, 5);
  d.variants[0].id = v;
  d.active = false;
  WS_ASSERT_OK(storage_->UpdateProduct(p.id, 1, d, kT0));
  WS_EXPECT_REASON(storage_->PlaceOrder(AnOrder(a.id, "x", {{v, 1}})),
                   absl::StatusCode::kFailedPrecondition, reason::kNotPurchasable);
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage_->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 5);
  WS_ASSERT_OK_AND_ASSIGN(OrderPage none, storage_->ListOrders(OrderQuery{}));
  EXPECT_TRUE(none.items.empty());
}

// 64 buyers, each with the watch in their cart, check out the last 10 units
// at once: exactly 10 orders are placed, each taking one unit (every stock
// level from 9 down to 0 seen exactly once), the others are refused with
// out_of_stock and keep their cart; stock ends at 0, never below.
TEST_P(StorageConformanceTest, SixtyFourBuyersForTheLastTenUnits) {
  constexpr int kBuyers = 64;
  constexpr int kUnits = 10;
  WS_ASSERT_OK_AND_ASSIGN(Product p,
                          storage_->CreateProduct(WatchDraft("LAST", 4'200'00, kUnits), kT0));
  const VariantId v = p.variants[0].id;
  std::vector<UserId> buyers;
  for (int i = 0; i < kBuyers; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(User u,
                            storage_->CreateUser(AUser(absl::StrCat("b", i, "@example.com"))));
    buyers.push_back(u.id);
    WS_ASSERT_OK(storage_->SetCartItem(CartOwner::ForUser(u.id), v, 1, kT0));
  }
  std::vector<absl::StatusOr<PlaceOrderResult>> results(kBuyers, absl::UnknownError("not run"));
  std::latch start(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      const NewOrder order = AnOrder(buyers[i], absl::StrCat("checkout-", i), {{v, 1}});
      start.arrive_and_wait();
      results[i] = storage_->PlaceOrder(order);
    });
  }
  for (std::thread& t : threads) t.join();

  int sold = 0;
  std::multiset<int64_t> stock_after;
  std::set<UserId> sold_to;
  for (int i = 0; i < kBuyers; ++i) {
    const auto& r = results[i];
    WS_ASSERT_OK_AND_ASSIGN(auto cart, storage_->GetCart(CartOwner::ForUser(buyers[i])));
    if (r.ok()) {
      ++sold;
      sold_to.insert(buyers[i]);
      EXPECT_FALSE(r->replayed);
      EXPECT_EQ(r->order.user_id, buyers[i]);
      ASSERT_EQ(r->order.lines.size(), 1u);
      EXPECT_EQ(r->order.lines[0].quantity, 1);
      EXPECT_EQ(r->order.total, Usd(4'200'00));
      ASSERT_EQ(r->stock_changes.size(), 1u);
      EXPECT_EQ(r->stock_changes[0].stock_before - r->stock_changes[0].stock_after, 1);
      stock_after.insert(r->stock_changes[0].stock_after);
      EXPECT_TRUE(cart.empty()) << "buyer " << i;
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
      EXPECT_EQ(ReasonOf(r.status()), reason::kOutOfStock) << r.status();
      EXPECT_EQ(cart.size(), 1u) << "a refused order left the cart alone";
    }
  }
  EXPECT_EQ(sold, kUnits);
  EXPECT_EQ(stock_after, (std::multiset<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage_->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 0);
  OrderQuery all;
  all.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage orders, storage_->ListOrders(all));
  ASSERT_EQ(orders.items.size(), static_cast<size_t>(kUnits));
  std::set<UserId> ordered_by;
  for (const Order& o : orders.items) {
    ASSERT_EQ(o.lines.size(), 1u);
    EXPECT_EQ(o.lines[0].variant_id, v);
    EXPECT_EQ(o.lines[0].quantity, 1);
    EXPECT_EQ(o.total, o.lines[0].line_total);
    ordered_by.insert(o.user_id);
  }
  EXPECT_EQ(ordered_by, sold_to);
  // The listing agrees: a sold-out watch is not in stock.
  ProductQuery in_stock;
  in_stock.in_stock_only = true;
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, storage_->ListProducts(in_stock));
  EXPECT_TRUE(page.items.empty());
}

TEST_P(StorageConformanceTest, ListsOrdersNewestFirstWithKeyset) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(AUser("b@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 50), kT0));
  const VariantId v = p.variants[0].id;
  std::vector<OrderId> mine;
  for (int i = 0; i < 5; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(auto r,
                            storage_->PlaceOrder(AnOrder(a.id, absl::StrCat("a", i), {{v, 1}})));
    mine.push_back(r.order.id);
    WS_ASSERT_OK(storage_->PlaceOrder(AnOrder(b.id, absl::StrCat("b", i), {{v, 1}})));
  }
  OrderQuery q;
  q.user_id = a.id;
  q.limit = 2;
  std::vector<OrderId> seen;
  for (int guard = 0; guard < 10; ++guard) {
    WS_ASSERT_OK_AND_ASSIGN(OrderPage page, storage_->ListOrders(q));
    for (const Order& o : page.items) {
      EXPECT_EQ(o.user_id, a.id);
      EXPECT_EQ(o.lines.size(), 1u);
      seen.push_back(o.id);
    }
    if (!page.has_more) break;
    q.before_id = page.items.back().id;
  }
  std::reverse(mine.begin(), mine.end());
  EXPECT_EQ(seen, mine);
  OrderQuery all;
  all.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage everything, storage_->ListOrders(all));
  EXPECT_EQ(everything.items.size(), 10u);
  all.status = OrderStatus::kPaid;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage paid, storage_->ListOrders(all));
  EXPECT_TRUE(paid.items.empty());
}

TEST_P(StorageConformanceTest, StatusMachineAndCancelRestocks) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(auto r, storage_->PlaceOrder(AnOrder(a.id, "k", {{v, 3}})));
  const OrderId id = r.order.id;
  const absl::Time t1 = kT0 + absl::Minutes(1);
  WS_EXPECT_REASON(storage_->TransitionOrder(id, OrderStatus::kPending, OrderStatus::kShipped, t1),
                   absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  WS_EXPECT_REASON(storage_->TransitionOrder(id, OrderStatus::kPaid, OrderStatus::kShipped, t1),
                   absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  WS_ASSERT_OK_AND_ASSIGN(
      auto paid, storage_->TransitionOrder(id, OrderStatus::kPending, OrderStatus::kPaid, t1));
  EXPECT_EQ(paid.order.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.order.updated_at, t1);
  EXPECT_TRUE(paid.stock_changes.empty());
  EXPECT_EQ(paid.order.refund_due.minor_units, 0);
  WS_ASSERT_OK_AND_ASSIGN(auto cancelled, storage_->TransitionOrder(id, OrderStatus::kPaid,
                                                                    OrderStatus::kCancelled, t1));
  EXPECT_EQ(cancelled.order.status, OrderStatus::kCancelled);
  // Cancelled after payment: the store owes the total back.
  EXPECT_EQ(cancelled.order.refund_due, r.order.total);
  WS_ASSERT_OK_AND_ASSIGN(Order reread, storage_->GetOrder(id));
  EXPECT_EQ(reread.refund_due, r.order.total);
  ASSERT_EQ(cancelled.stock_changes.size(), 1u);
  EXPECT_EQ(cancelled.stock_changes[0].stock_after, 5);
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage_->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 5);
  // Cancelled is final: no double restock.
  WS_EXPECT_CODE(
      storage_->TransitionOrder(id, OrderStatus::kCancelled, OrderStatus::kCancelled, t1),
      absl::StatusCode::kFailedPrecondition);
  WS_ASSERT_OK_AND_ASSIGN(Product still, storage_->GetProduct(p.id));
  EXPECT_EQ(still.variants[0].stock, 5);
  WS_EXPECT_CODE(storage_->TransitionOrder(id + 100, OrderStatus::kPending, OrderStatus::kPaid, t1),
                 absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->GetOrder(id + 100), absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, FullLifecycleToDelivered) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(AUser("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  WS_ASSERT_OK_AND_ASSIGN(auto r,
                          storage_->PlaceOrder(AnOrder(a.id, "k", {{p.variants[0].id, 1}})));
  OrderStatus s = OrderStatus::kPending;
  for (OrderStatus next : {OrderStatus::kPaid, OrderStatus::kShipped, OrderStatus::kDelivered}) {
    WS_ASSERT_OK(storage_->TransitionOrder(r.order.id, s, next, kT0));
    s = next;
  }
  WS_EXPECT_CODE(storage_->TransitionOrder(r.order.id, s, OrderStatus::kCancelled, kT0),
                 absl::StatusCode::kFailedPrecondition);
  WS_ASSERT_OK_AND_ASSIGN(Order o, storage_->GetOrder(r.order.id));
  EXPECT_EQ(o.status, OrderStatus::kDelivered);
}

TEST_P(StorageConformanceTest, Pings) {
  WS_EXPECT_OK(storage_->Ping());
  EXPECT_FALSE(storage_->Kind().empty());
}

}  // namespace
}  // namespace watchstore::testing
