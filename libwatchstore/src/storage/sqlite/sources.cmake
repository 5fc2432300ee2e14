# The SQLite storage adapter (included by libwatchstore/CMakeLists.txt when
# WATCHSTORE_WITH_SQLITE is ON).
target_sources(watchstore PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_db.cc
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_listing.cc
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_products.cc
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_orders.cc
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_storage.cc)
target_link_libraries(watchstore PRIVATE SQLite::SQLite3)
# sql/sqlite/NNNN_name.sql -> watchstore::sqlite_sql::kMigrations.
watchstore_embed_sql(watchstore ${PROJECT_SOURCE_DIR}/sql/sqlite watchstore::sqlite_sql)
