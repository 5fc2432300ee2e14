# The PostgreSQL storage adapter (libpq). Included by libwatchstore/CMakeLists.txt
# when WATCHSTORE_WITH_POSTGRES is ON.
target_sources(watchstore PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pg_connection.cc
  ${CMAKE_CURRENT_LIST_DIR}/pg_errors.cc
  ${CMAKE_CURRENT_LIST_DIR}/pg_listing.cc
  ${CMAKE_CURRENT_LIST_DIR}/pg_migrate.cc
  ${CMAKE_CURRENT_LIST_DIR}/pg_pool.cc
  ${CMAKE_CURRENT_LIST_DIR}/postgres_storage.cc
  ${CMAKE_CURRENT_LIST_DIR}/postgres_products.cc
  ${CMAKE_CURRENT_LIST_DIR}/postgres_orders.cc)
target_link_libraries(watchstore PRIVATE PostgreSQL::PostgreSQL)
watchstore_embed_sql(watchstore ${PROJECT_SOURCE_DIR}/sql/postgres watchstore::postgres_sql)
