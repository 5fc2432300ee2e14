# watchstore on AWS: shared names, lookups and derived values.
#
#   Internet ──► CloudFront ──┬─ /*      ──► S3 (storefront, private, OAC)
#                             └─ /api/*  ──► ALB (public subnets, HTTPS, CloudFront's prefix list only) ──► ASG of EC2 (private app subnets)
#                                                                             ├─► RDS PostgreSQL 15 (private data subnets)
#                                                                             └─► ElastiCache Redis 7 (private data subnets)
#
# CloudFront has a WAF web ACL (waf.tf); CloudFront, the ALB and the storefront
# bucket write access logs to the stack's log bucket (logs.tf).
# Instances reach AWS APIs (ECR, SSM, Secrets Manager, CloudWatch Logs) through
# NAT gateway(s) in the public subnets and an S3 gateway endpoint.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # /24s out of a /16: public 0-2, app 10-12, data 20-22.
  public_subnet_cidrs = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, i)]
  app_subnet_cidrs    = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, 10 + i)]
  data_subnet_cidrs   = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 8, 20 + i)]

  nat_gateway_count = var.single_nat_gateway ? 1 : var.az_count

  ecr_repository_name = var.ecr_repository_name != "" ? var.ecr_repository_name : "${local.name}-server"

  # Where the deploy pipeline publishes the image tag the instances run.
  image_tag_parameter_name = "/${var.project}/${var.environment}/server/image-tag"

  server_log_group_name = "/${var.project}/${var.environment}/server"

  # Header CloudFront adds on its way to the ALB (see alb.tf).
  origin_verify_header = "X-Origin-Verify"

  cloudfront_custom_certificate = var.cloudfront_certificate_arn != ""

  github_enabled = var.github_repository != ""

  # Keep-alive, defined here only. The ALB closes a client-side idle
  # connection after alb_idle_timeout_seconds and reuses its connections to
  # the targets; the server must keep an idle connection open longer than
  # that, or the ALB can send a request on a connection the server is closing
  # (a 502). The instances get WATCHSTORE_KEEP_ALIVE_TIMEOUT from here.
  alb_idle_timeout_seconds          = var.alb_idle_timeout_seconds
  server_keep_alive_timeout_seconds = var.alb_idle_timeout_seconds + 15

  # Host-side plaintext port of the stunnel client in front of ElastiCache TLS.
  redis_tunnel_port = 6380

  # Redis member cluster ids follow ElastiCache's <replication-group-id>-00N scheme.
  redis_replication_group_id = "${local.name}-redis"
  redis_member_cluster_ids   = [for i in range(var.redis_num_cache_clusters) : format("%s-%03d", local.redis_replication_group_id, i + 1)]
}
