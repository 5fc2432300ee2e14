# watchstore_embed_sql(<target> <sql_dir> <cpp_namespace>)
# Compiles every <sql_dir>/NNNN_name.sql (numbered, forward-only migrations)
# into <target> as
#   namespace <cpp_namespace> { extern const watchstore::internal::Migration kMigrations[]; extern const int kMigrationCount; }
# (see libwatchstore/src/storage/migration.h). Regenerated when a file changes.
function(watchstore_embed_sql target sql_dir ns)
  file(GLOB _sql CONFIGURE_DEPENDS ${sql_dir}/*.sql)
  list(SORT _sql)
  string(MAKE_C_IDENTIFIER "${ns}" _id)
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/embedded_sql_${_id}.cc)
  add_custom_command(
    OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${_out} -DNS=${ns} "-DFILES=${_sql}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedSqlGenerate.cmake
    DEPENDS ${_sql} ${PROJECT_SOURCE_DIR}/cmake/EmbedSqlGenerate.cmake
    COMMENT "Embedding SQL migrations from ${sql_dir}"
    VERBATIM)
  target_sources(${target} PRIVATE ${_out})
endfunction()
