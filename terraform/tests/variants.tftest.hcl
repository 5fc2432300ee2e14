# Every supported input combination plans, and the validations refuse the
# inputs they exist for. Mocked AWS provider, plan only (see security.tftest.hcl).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

mock_provider "aws" {
  alias           = "us_east_1"
  override_during = plan
  source          = "./tests/mocks"
}

override_resource {
  target          = terraform_data.generated
  override_during = plan
  values          = { output = "GeneratedGeneratedGeneratedGeneratedGenerated000" }
}

# The Stripe secrets get ARNs of their own (the mock gives every secret the
# same one), so that who may read them can be checked.
override_resource {
  target          = aws_secretsmanager_secret.stripe_secret_key
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:watchstore-prod-stripe-secret-key-AbCdEf" }
}

override_resource {
  target          = aws_secretsmanager_secret.stripe_webhook_secret
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:watchstore-prod-stripe-webhook-secret-AbCdEf" }
}

variables {
  aws_region             = "eu-west-1"
  alb_certificate_arn    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  alb_origin_domain_name = "origin.shop.example.com"
}

run "defaults_only" {
  command = plan

  assert {
    condition     = length(aws_iam_role.github_deploy) == 0 && length(aws_iam_role.github_plan) == 0
    error_message = "Without github_repository there are no CI roles."
  }

  assert {
    condition     = length(aws_wafv2_web_acl.cloudfront) == 1 && length(aws_s3_bucket.logs) == 1 && length(aws_sns_topic.alarms) == 1
    error_message = "WAF, access logs and the alarm topic are on by default."
  }

  assert {
    condition     = aws_cloudfront_distribution.storefront.viewer_certificate[0].cloudfront_default_certificate == true && length(aws_route53_record.storefront_ipv4) == 0
    error_message = "Without aliases the store is served on the cloudfront.net name."
  }

  assert {
    condition     = aws_db_instance.main.multi_az && aws_db_instance.main.deletion_protection && aws_lb.main.enable_deletion_protection && aws_autoscaling_group.app.min_size == 2
    error_message = "The defaults are the production-safe ones."
  }
}

run "all_features_on" {
  command = plan

  variables {
    az_count                    = 3
    single_nat_gateway          = false
    cloudfront_aliases          = ["shop.example.com", "www.shop.example.com"]
    cloudfront_certificate_arn  = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
    route53_zone_id             = "Z0123456789ABCDEFGHIJ"
    requests_per_target         = 1000
    db_performance_insights     = true
    redis_num_cache_clusters    = 3
    server_threads              = 64
    server_environment          = { WATCHSTORE_DB_POOL_SIZE = "16" }
    github_repository           = "example-org/watchstore"
    github_create_oidc_provider = false
    terraform_state_bucket      = "example-watchstore-terraform-state"
    alarm_sns_topic_arn         = "arn:aws:sns:eu-west-1:123456789012:ops"
    alb_idle_timeout_seconds    = 120
  }

  assert {
    condition     = length(aws_nat_gateway.main) == 3 && length(aws_subnet.app) == 3 && length(distinct(aws_subnet.data[*].availability_zone)) == 3
    error_message = "Three AZs with a NAT gateway each."
  }

  assert {
    condition     = length(aws_route53_record.storefront_ipv4) == 2 && length(aws_route53_record.storefront_ipv6) == 2 && length(aws_route53_record.alb_origin) == 1
    error_message = "DNS records for every alias and the origin name."
  }

  assert {
    condition     = length(aws_autoscaling_policy.requests) == 1 && length(aws_cloudwatch_metric_alarm.redis_evictions) == 3 && length(aws_iam_openid_connect_provider.github) == 0
    error_message = "Optional scaling policy, one alarm per Redis node, the existing OIDC provider."
  }

  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && toset(aws_cloudwatch_metric_alarm.alb_elb_5xx.alarm_actions) == toset(["arn:aws:sns:eu-west-1:123456789012:ops"])
    error_message = "An existing alarm topic replaces the stack's own."
  }

  assert {
    condition     = aws_lb.main.idle_timeout == 120 && strcontains(local.user_data, "WATCHSTORE_KEEP_ALIVE_TIMEOUT_SETTING=135s\n") && strcontains(local.user_data, "WATCHSTORE_THREADS_SETTING=64\n") && strcontains(local.user_data, "WATCHSTORE_DB_POOL_SIZE=16")
    error_message = "The keep-alive timeout follows the ALB idle timeout; server settings reach the instances."
  }
}

run "optional_features_off" {
  command = plan

  variables {
    waf_enabled                = false
    access_logs_enabled        = false
    restrict_alb_to_cloudfront = false
    redis_num_cache_clusters   = 1
    enable_vpc_flow_logs       = false
  }

  assert {
    condition     = aws_cloudfront_distribution.storefront.web_acl_id == null && length(aws_s3_bucket.logs) == 0 && length(aws_lb.main.access_logs) == 0 && length(aws_cloudfront_distribution.storefront.logging_config) == 0
    error_message = "WAF and access logs can be turned off."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_https.cidr_ipv4 == "0.0.0.0/0" && aws_vpc_security_group_ingress_rule.alb_https.prefix_list_id == null && aws_lb_listener.https.default_action[0].type == "forward" && length(aws_lb_listener_rule.from_cloudfront) == 0
    error_message = "An unrestricted ALB admits and forwards everything."
  }

  assert {
    condition     = aws_elasticache_replication_group.redis.automatic_failover_enabled == false && aws_elasticache_replication_group.redis.transit_encryption_enabled == true && length(aws_flow_log.main) == 0
    error_message = "A single Redis node has no failover but keeps TLS; flow logs can be turned off."
  }
}

run "existing_web_acl" {
  command = plan

  variables {
    cloudfront_web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shared/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = length(aws_wafv2_web_acl.cloudfront) == 0 && aws_cloudfront_distribution.storefront.web_acl_id == "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shared/11111111-2222-3333-4444-555555555555"
    error_message = "A given web ACL replaces the stack's own."
  }
}

run "refuses_aliases_without_certificate" {
  command = plan

  variables {
    cloudfront_aliases = ["shop.example.com"]
  }

  expect_failures = [aws_cloudfront_distribution.storefront]
}

run "refuses_max_below_min" {
  command = plan

  variables {
    asg_min_size = 4
    asg_max_size = 2
  }

  expect_failures = [aws_autoscaling_group.app]
}

run "refuses_old_tls_policy" {
  command = plan

  variables {
    alb_ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.alb_ssl_policy]
}

run "stripe_payments" {
  command = plan

  variables {
    payments_provider      = "stripe"
    stripe_publishable_key = "pk_live_51AbCdEfGhIjKlMn"
  }

  assert {
    condition     = strcontains(local.user_data, "WATCHSTORE_PAYMENTS_SETTING=stripe\n") && strcontains(local.user_data, "WATCHSTORE_STRIPE_PUBLISHABLE_KEY_SETTING=pk_live_51AbCdEfGhIjKlMn\n") && strcontains(local.user_data, "WATCHSTORE_STRIPE_SECRET_KEY_SECRET_ARN=${aws_secretsmanager_secret.stripe_secret_key.arn}\n") && strcontains(local.user_data, "WATCHSTORE_STRIPE_WEBHOOK_SECRET_ARN=${aws_secretsmanager_secret.stripe_webhook_secret.arn}\n")
    error_message = "With Stripe the instances learn the provider, the publishable key and where the two Stripe secrets are."
  }

  assert {
    condition     = strcontains(local.user_data, "echo \"WATCHSTORE_STRIPE_SECRET_KEY=$(secret_json \"$WATCHSTORE_STRIPE_SECRET_KEY_SECRET_ARN\")\"") && strcontains(local.user_data, "echo \"WATCHSTORE_STRIPE_WEBHOOK_SECRET=$(secret_json \"$WATCHSTORE_STRIPE_WEBHOOK_SECRET_ARN\")\"") && strcontains(local.user_data, "echo \"WATCHSTORE_STRIPE_PUBLISHABLE_KEY=$WATCHSTORE_STRIPE_PUBLISHABLE_KEY_SETTING\"")
    error_message = "The container environment gets the Stripe keys from Secrets Manager at service start, never from user data."
  }

  assert {
    condition     = anytrue([for st in data.aws_iam_policy_document.app.statement : st.sid == "StackSecrets" && contains(st.resources, aws_secretsmanager_secret.stripe_secret_key.arn) && contains(st.resources, aws_secretsmanager_secret.stripe_webhook_secret.arn)])
    error_message = "With Stripe the instances may read the two Stripe secrets."
  }

  assert {
    condition     = length([for v in [aws_secretsmanager_secret.stripe_secret_key, aws_secretsmanager_secret.stripe_webhook_secret] : v if v.recovery_window_in_days > 0]) == 2
    error_message = "The Stripe secrets keep a recovery window."
  }
}

run "refuses_stripe_without_publishable_key" {
  command = plan

  variables {
    payments_provider = "stripe"
  }

  expect_failures = [var.stripe_publishable_key]
}

run "refuses_secret_key_as_publishable_key" {
  command = plan

  variables {
    payments_provider      = "stripe"
    stripe_publishable_key = "sk_live_51AbCdEfGhIjKlMn"
  }

  expect_failures = [var.stripe_publishable_key]
}

run "refuses_unknown_payments_provider" {
  command = plan

  variables {
    payments_provider = "paypal"
  }

  expect_failures = [var.payments_provider]
}

run "refuses_stripe_keys_in_server_settings" {
  command = plan

  variables {
    server_environment = { WATCHSTORE_STRIPE_SECRET_KEY = "sk_live_x" }
  }

  expect_failures = [var.server_environment]
}

run "refuses_reserved_server_settings" {
  command = plan

  variables {
    server_environment = { WATCHSTORE_KEEP_ALIVE_TIMEOUT = "5s" }
  }

  expect_failures = [var.server_environment]
}

run "refuses_secret_url_in_server_settings" {
  command = plan

  variables {
    server_environment = { WATCHSTORE_DATABASE_URL = "postgres://u:p@h/db" }
  }

  expect_failures = [var.server_environment]
}

run "refuses_short_idle_timeout" {
  command = plan

  variables {
    alb_idle_timeout_seconds = 10
  }

  expect_failures = [var.alb_idle_timeout_seconds]
}

run "refuses_wildcard_deploy_branch" {
  command = plan

  variables {
    github_repository    = "example-org/watchstore"
    github_deploy_branch = "*"
  }

  expect_failures = [var.github_deploy_branch]
}
