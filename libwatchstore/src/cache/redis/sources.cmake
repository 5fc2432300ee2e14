# The Redis cache adapter and its pub/sub invalidation feed (hiredis).
# Included by libwatchstore/CMakeLists.txt when WATCHSTORE_WITH_REDIS is ON.
target_sources(watchstore PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/redis_url.cc
  ${CMAKE_CURRENT_LIST_DIR}/redis_connection.cc
  ${CMAKE_CURRENT_LIST_DIR}/redis_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/redis_feed.cc)
target_link_libraries(watchstore PRIVATE PkgConfig::HIREDIS)
