# Redis 7 on ElastiCache: a replication group (primary + replicas with automatic
# failover across AZs) in the private data subnets, encrypted at rest.
#
# In-transit encryption is OFF, deliberately: the server links Debian 12's
# hiredis 0.14.1, which has no TLS support, so it could not connect to a
# TLS-only endpoint. ElastiCache accepts an AUTH token only together with
# in-transit encryption, so there is no AUTH either. The cache is protected by
# the network instead: private subnets with no route out of the VPC, and a
# security group that admits 6379 from the app instances' group only. It holds
# nothing that is not also in PostgreSQL (cached reads, session lookups).
# Revisit when the server links a hiredis with TLS (>= 1.0, hiredis_ssl).

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
  # hiredis 0.14.1 (what the server links) cannot speak TLS: see the top of this file.
  transit_encryption_enabled = false

  snapshot_retention_limit   = var.redis_snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:05:00-sun:06:00"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  tags = {
    Name = "${local.name}-redis"
  }
}
