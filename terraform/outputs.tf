output "storefront_url" {
  description = "URL of the store (storefront and API share it)."
  value       = length(var.cloudfront_aliases) > 0 ? "https://${var.cloudfront_aliases[0]}/" : "https://${aws_cloudfront_distribution.storefront.domain_name}/"
}

output "cloudfront_domain_name" {
  description = "CloudFront domain name; point the cloudfront_aliases DNS records (CNAME or alias) at it."
  value       = aws_cloudfront_distribution.storefront.domain_name
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id (GitHub variable CLOUDFRONT_DISTRIBUTION_ID, for invalidations)."
  value       = aws_cloudfront_distribution.storefront.id
}

output "storefront_bucket" {
  description = "S3 bucket holding the storefront files (GitHub variable STOREFRONT_BUCKET)."
  value       = aws_s3_bucket.storefront.bucket
}

output "alb_dns_name" {
  description = "DNS name of the ALB; alb_origin_domain_name must resolve to it (CNAME or alias)."
  value       = aws_lb.main.dns_name
}

output "alb_zone_id" {
  description = "Route 53 zone id of the ALB, for alias records at your DNS provider."
  value       = aws_lb.main.zone_id
}

output "ecr_repository_url" {
  description = "ECR repository URL of the server image (push <url>:<git sha>)."
  value       = aws_ecr_repository.server.repository_url
}

output "image_tag_parameter" {
  description = "SSM parameter holding the image tag the instances run; change it and start an instance refresh to deploy or roll back."
  value       = aws_ssm_parameter.image_tag.name
}

output "autoscaling_group_name" {
  description = "Name of the app auto scaling group (GitHub variable ASG_NAME, for instance refreshes)."
  value       = aws_autoscaling_group.app.name
}

output "server_log_group" {
  description = "CloudWatch log group of the server containers (one stream per instance)."
  value       = aws_cloudwatch_log_group.server.name
}

output "rds_endpoint" {
  description = "PostgreSQL endpoint (host:port), reachable from the app instances only."
  value       = aws_db_instance.main.endpoint
}

output "rds_master_secret_arn" {
  description = "Secrets Manager secret (managed by RDS) holding the PostgreSQL master user name and password."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint address, reachable from the app instances only."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.main.id
}

output "github_deploy_role_arn" {
  description = "IAM role for the deploy jobs (GitHub variable AWS_DEPLOY_ROLE_ARN); empty when github_repository is not set."
  value       = local.github_enabled ? aws_iam_role.github_deploy[0].arn : ""
}

output "github_plan_role_arn" {
  description = "IAM role for terraform plan on pull requests (GitHub variable AWS_PLAN_ROLE_ARN); empty when not created."
  value       = local.github_plan_role_enabled ? aws_iam_role.github_plan[0].arn : ""
}

output "github_actions_variables" {
  description = "Repository variables the workflows in .github/workflows expect (Settings > Secrets and variables > Actions > Variables)."
  value = {
    AWS_REGION                 = local.region
    AWS_DEPLOY_ROLE_ARN        = local.github_enabled ? aws_iam_role.github_deploy[0].arn : ""
    AWS_PLAN_ROLE_ARN          = local.github_plan_role_enabled ? aws_iam_role.github_plan[0].arn : ""
    ECR_REPOSITORY             = aws_ecr_repository.server.name
    IMAGE_TAG_PARAMETER        = aws_ssm_parameter.image_tag.name
    ASG_NAME                   = aws_autoscaling_group.app.name
    TARGET_GROUP_ARN           = aws_lb_target_group.app.arn
    STOREFRONT_BUCKET          = aws_s3_bucket.storefront.bucket
    CLOUDFRONT_DISTRIBUTION_ID = aws_cloudfront_distribution.storefront.id
  }
}

output "alarm_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify (subscribe more endpoints to it)."
  value       = local.alarm_topic_arn
}

output "access_logs_bucket" {
  description = "S3 bucket with the CloudFront (cloudfront/), ALB (alb/) and storefront (storefront/) access logs; empty when access_logs_enabled is false."
  value       = var.access_logs_enabled ? aws_s3_bucket.logs[0].bucket : ""
}

output "cloudfront_web_acl_arn" {
  description = "WAF web ACL attached to CloudFront (the stack's own or cloudfront_web_acl_arn); null when none."
  value       = local.cloudfront_web_acl_arn
}

output "db_app_secret_arn" {
  description = "Secrets Manager secret of the server's PostgreSQL role (watchstore_app)."
  value       = aws_secretsmanager_secret.db_app.arn
}

output "stripe_secret_key_secret_arn" {
  description = "Secrets Manager secret to put the Stripe secret API key into (plain SecretString; read when payments_provider is \"stripe\")."
  value       = aws_secretsmanager_secret.stripe_secret_key.arn
}

output "stripe_webhook_secret_arn" {
  description = "Secrets Manager secret to put the Stripe webhook signing secret into (plain SecretString; \"whsec_new,whsec_old\" during a rotation)."
  value       = aws_secretsmanager_secret.stripe_webhook_secret.arn
}

output "redis_auth_secret_arn" {
  description = "Secrets Manager secret holding the ElastiCache AUTH token."
  value       = aws_secretsmanager_secret.redis_auth.arn
}
