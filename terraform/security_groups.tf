# Security groups, one per tier. Inbound, and only inbound that is listed here:
#   CloudFront -> ALB      443 (origin-facing managed prefix list)
#   ALB      -> app        var.app_port
#   app      -> PostgreSQL 5432
#   app      -> Redis      6379 (TLS, through the instances' stunnel client)
# Rules are separate aws_vpc_security_group_*_rule resources (one rule each);
# Terraform removes the default allow-all egress of every group it creates.

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "watchstore ALB: HTTPS from CloudFront, to the app port only"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-alb"
  }
}

resource "aws_security_group" "app" {
  name        = "${local.name}-app"
  description = "watchstore app instances: app port from the ALB only"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-app"
  }
}

resource "aws_security_group" "db" {
  name        = "${local.name}-db"
  description = "watchstore PostgreSQL: 5432 from the app instances only"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-db"
  }
}

resource "aws_security_group" "redis" {
  name        = "${local.name}-redis"
  description = "watchstore Redis: 6379 from the app instances only"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-redis"
  }
}

# --- ALB ---------------------------------------------------------------------------

# CloudFront's origin-facing addresses, kept current by AWS. The list counts
# for about 55 rules against the group's rule quota (60 by default), so this
# group holds this one ingress rule only.
data "aws_ec2_managed_prefix_list" "cloudfront_origin_facing" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = var.restrict_alb_to_cloudfront ? "HTTPS from CloudFront (origin-facing prefix list)" : "HTTPS from anywhere (restrict_alb_to_cloudfront = false)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.restrict_alb_to_cloudfront ? data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id : null
  cidr_ipv4         = var.restrict_alb_to_cloudfront ? null : "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the app instances (targets and health checks)"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.app.id
}

# --- App instances -------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "App port from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to AWS APIs (ECR, SSM, Secrets Manager, CloudWatch), the AL2023 package mirrors and the RDS CA bundle"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "app_smtp" {
  for_each          = var.smtp_url == "" ? toset([]) : toset(["465", "587"])
  security_group_id = aws_security_group.app.id
  description       = "SMTP submission to the mail relay (STARTTLS on 587, TLS on 465)"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "app_to_db" {
  security_group_id            = aws_security_group.app.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_egress_rule" "app_to_redis" {
  security_group_id            = aws_security_group.app.id
  description                  = "Redis"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.redis.id
}

# --- Data tier -----------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the app instances"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_app" {
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from the app instances"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.app.id
}
