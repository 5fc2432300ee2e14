// Prepares a database (SQLite file or postgres:// URL, migrated) for the
// HTTP benchmarks. For run_http_bench.sh's checkout run: N users, each with
// a session (made directly in Storage: no Argon2), and one watch with a
// million units; prints "<token>" per line on stdout and the variant id on
// stderr ("variant=<id>"). For run_tail_bench.sh: --products M more watches,
// their ids on stderr as "products=<first>-<last>".
//
//   http_bench_setup --database /tmp/bench.db --users 256
//   http_bench_setup --database postgres://... --users 1 --products 10000
#include <sodium.h>

#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends.h"
#include "config.h"
#include "watchstore/store.h"

namespace {

std::string NewToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string Sha256Hex(const std::string& s) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  return hex;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  std::string database;
  int users = 0;
  int products = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--database") database = argv[i + 1];
    if (flag == "--users" && !absl::SimpleAtoi(argv[i + 1], &users)) users = 0;
    if (flag == "--products" && !absl::SimpleAtoi(argv[i + 1], &products)) products = -1;
  }
  if (database.empty() || users < 1 || users > 100000 || products < 0 || products > 1000000) {
    std::cerr << "usage: http_bench_setup --database FILE|URL --users N [--products M]\n";
    return 2;
  }
  watchstore::http::ServerConfig config;
  config.database_url = database;
  auto store = watchstore::http::OpenStore(config);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  watchstore::Storage& storage = (*store)->storage();
  const absl::Time now = absl::Now();
  const std::string run = absl::StrCat(absl::ToUnixMillis(now));
  for (int i = 0; i < users; ++i) {
    auto user = storage.CreateUser(
        watchstore::NewUser{absl::StrCat("bench-", run, "-", i, "@example.com"),
                            "$argon2id$unusable", watchstore::Role::kCustomer, now});
    if (!user.ok()) {
      std::cerr << user.status() << "\n";
      return 1;
    }
    const std::string token = NewToken();
    if (auto st =
            storage.CreateSession(watchstore::SessionRecord{Sha256Hex(token), user->id, now, now});
        !st.ok()) {
      std::cerr << st << "\n";
      return 1;
    }
    std::cout << token << "\n";
  }
  watchstore::ProductDraft d;
  d.brand = "Benchmark Works";
  d.model = absl::StrCat("Load Tester ", run);
  d.description = "A watch that exists to be bought many times a second.";
  d.attributes.movement = watchstore::Movement::kQuartz;
  d.attributes.case_diameter_mm = 40;
  d.attributes.case_material = "steel";
  d.collections = {"Everyday"};
  d.images = {{"/img/watches/w12.svg", "The watch", 0}};
  watchstore::VariantDraft v;
  v.sku = absl::StrCat("BENCH-", run);
  v.price = watchstore::Money{100'00, watchstore::Currency()};
  v.stock = 1'000'000;
  d.variants.push_back(v);
  watchstore::Principal staff{-1, watchstore::Role::kAdmin, "bench"};
  auto product = (*store)->catalog().CreateProduct(staff, d);
  if (!product.ok()) {
    std::cerr << product.status() << "\n";
    return 1;
  }
  std::cerr << "variant=" << (*product)->variants[0].id << "\n";
  int64_t first = 0, last = 0;
  for (int i = 0; i < products; ++i) {
    d.model = absl::StrCat("Tail Tester ", run, "-", i);
    d.variants[0].sku = absl::StrCat("TAIL-", run, "-", i);
    d.variants[0].stock = 10;
    auto made = (*store)->catalog().CreateProduct(staff, d);
    if (!made.ok()) {
      std::cerr << made.status() << "\n";
      return 1;
    }
    if (i == 0) first = (*made)->id;
    last = (*made)->id;
  }
  if (products > 0) std::cerr << "products=" << first << "-" << last << "\n";
  return 0;
}
