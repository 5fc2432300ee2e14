// A numbered, forward-only schema migration embedded from sql/. Internal.
#ifndef WATCHSTORE_SRC_STORAGE_MIGRATION_H_
#define WATCHSTORE_SRC_STORAGE_MIGRATION_H_

namespace watchstore::internal {

struct Migration {
  int version;       // from the file name: 0001_init.sql -> 1
  const char* name;  // file name without extension
  const char* sql;   // the whole file
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_STORAGE_MIGRATION_H_
