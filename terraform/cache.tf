# Redis 7 on ElastiCache: a replication group (primary + replicas with automatic
# failover across AZs) in the private data subnets, encrypted at rest and in
# transit, with an AUTH token.
#
# The server links Debian 12's hiredis 0.14.1, which has no TLS. Each instance
# therefore runs an stunnel client (templates/user_data.sh.tftpl,
# watchstore-redis-tunnel.service) that accepts plaintext on the host side of
# the Docker bridge only and speaks TLS to this endpoint, verifying its
# certificate and host name; the server sends the AUTH token (from Secrets
# Manager) through it: redis://:TOKEN@watchstore-redis-tunnel:6380/0.
# The cache holds sessions with their principal and role, so anything that
# could write to it unauthenticated could mint an administrator session:
# AUTH + TLS make the security group no longer the only line.

resource "aws_elasticache_subnet_group" "redis" {
  name        = "${local.name}-redis"
  description = "watchstore Redis: private data subnets"
  subnet_ids  = aws_subnet.data[*].id
}

resource "aws_elasticache_parameter_group" "redis" {
  name        = "${local.name}-redis7"
  family      = "redis7"
  description = "watchstore Redis 7 parameters"

  parameter {
    name  = "maxmemory-policy"
    value = var.redis_maxmemory_policy
  }
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id = local.redis_replication_group_id
  description          = "watchstore cache (${local.name})"

  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  num_cache_clusters   = var.redis_num_cache_clusters
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.redis.name

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = [aws_security_group.redis.id]

  automatic_failover_enabled = var.redis_num_cache_clusters > 1
  multi_az_enabled           = var.redis_num_cache_clusters > 1

  at_rest_encryption_enabled = true
  # TLS only (no plaintext listener) and AUTH: see the top of this file.
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  auth_token                 = local.redis_auth_token
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit   = var.redis_snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:05:00-sun:06:00"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  tags = {
    Name = "${local.name}-redis"
  }
}
