// Internal to the PostgreSQL adapter: seeing through a replica router.
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_PG_REPLICA_ROUTER_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_PG_REPLICA_ROUTER_H_

#include "watchstore/storage.h"

namespace watchstore::internal::pg {

// The primary behind `storage` if it is a replica router
// (NewPostgresReplicaRouter), null otherwise.
Storage* PrimaryOfReplicaRouter(Storage& storage);

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_PG_REPLICA_ROUTER_H_
