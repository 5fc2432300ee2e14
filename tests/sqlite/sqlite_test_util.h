// Helpers of the SQLite adapter's tests: temporary database files and raw
// sqlite3 access that bypasses the adapter.
#ifndef WATCHSTORE_TESTS_SQLITE_SQLITE_TEST_UTIL_H_
#define WATCHSTORE_TESTS_SQLITE_SQLITE_TEST_UTIL_H_

#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "watchstore/sqlite_storage.h"

namespace watchstore::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when this object dies.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = absl::StrCat(base != nullptr && *base ? base : "/tmp", "/ws-sqlite-XXXXXX");
    char* made = mkdtemp(tmpl.data());
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    } else {
      path_ = made;
    }
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A new file name inside the directory.
  std::string NewFile(const std::string& stem = "store") {
    return absl::StrCat(path_, "/", stem, "-", counter_++, ".db");
  }

 private:
  std::string path_;
  std::atomic<int> counter_{0};
};

inline SqliteOptions OptionsFor(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  return o;
}

// A raw sqlite3 connection to a file, for checks that bypass the adapter.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
    Exec("PRAGMA foreign_keys = ON");
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  sqlite3* get() const { return db_; }
  // The result code of running `sql` (SQLITE_OK on success).
  int Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    last_message_ = err != nullptr ? err : "";
    sqlite3_free(err);
    return rc;
  }
  const std::string& last_message() const { return last_message_; }
  // The first column of the first row of `sql`, as an integer (-1 if none).
  int64_t Scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return v;
    }
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return v;
    }
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
  std::string last_message_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_SQLITE_SQLITE_TEST_UTIL_H_
