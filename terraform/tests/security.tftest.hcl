# Security properties of the AWS stack, evaluated by Terraform itself on a plan
# of the production-like inputs below, against a mocked AWS provider (no
# credentials, no network). tests/deploy/terraform_mutations.py breaks each
# property once and checks that this file fails.
#
#   cd terraform && terraform init -backend=false -plugin-dir=DIR && terraform test

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

mock_provider "aws" {
  alias           = "us_east_1"
  override_during = plan
  source          = "./tests/mocks"
}

# terraform_data (built in, not mocked) only knows its output after apply:
# give each generated secret a distinct value at plan.
override_resource {
  target          = terraform_data.generated["origin_verify"]
  override_during = plan
  values          = { output = "OriginVerifyOriginVerifyOriginVerifyOriginVerify" }
}

override_resource {
  target          = terraform_data.generated["redis_auth"]
  override_during = plan
  values          = { output = "RedisAuthRedisAuthRedisAuthRedisAuthRedisAuth000" }
}

override_resource {
  target          = terraform_data.generated["db_app"]
  override_during = plan
  values          = { output = "DbAppDbAppDbAppDbAppDbAppDbAppDbAppDbAppDbApp000" }
}

override_resource {
  target          = terraform_data.generated["db_migrator"]
  override_during = plan
  values          = { output = "DbMigratorDbMigratorDbMigratorDbMigrator00000000" }
}

override_resource {
  target          = terraform_data.generated["session_seal"]
  override_during = plan
  values          = { output = "SessionSealSessionSealSessionSealSessionSeal0000" }
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
  aws_region                 = "eu-west-1"
  alb_certificate_arn        = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  alb_origin_domain_name     = "origin.shop.example.com"
  cloudfront_aliases         = ["shop.example.com"]
  cloudfront_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
  github_repository          = "example-org/watchstore"
  terraform_state_bucket     = "example-watchstore-terraform-state"
  terraform_lock_table       = "watchstore-terraform-locks"
  alarm_email_addresses      = ["ops@example.com"]
}

run "network_tiers" {
  command = plan

  assert {
    condition     = length(distinct(aws_subnet.app[*].availability_zone)) >= 2 && length(distinct(aws_subnet.data[*].availability_zone)) >= 2
    error_message = "App and data subnets must span at least two availability zones."
  }

  assert {
    condition     = alltrue([for s in concat(aws_subnet.public, aws_subnet.app, aws_subnet.data) : s.map_public_ip_on_launch == false])
    error_message = "No subnet may give instances public IP addresses."
  }

  assert {
    condition     = alltrue([for a in aws_route_table_association.data : a.route_table_id == aws_route_table.data.id])
    error_message = "Data subnets must use the data route table."
  }

  assert {
    condition     = alltrue([for r in aws_route.app_nat : r.nat_gateway_id != null && r.gateway_id == null]) && alltrue([for r in [aws_route.public_internet] : r.route_table_id == aws_route_table.public.id])
    error_message = "App subnets leave the VPC through NAT only; only the public route table routes to the internet gateway."
  }

  assert {
    condition     = length([for r in concat(aws_route.app_nat, [aws_route.public_internet]) : r if r.route_table_id == aws_route_table.data.id]) == 0
    error_message = "The data route table must have no route out of the VPC."
  }

  assert {
    condition     = aws_flow_log.main[0].traffic_type == "ALL"
    error_message = "VPC flow logs must record all traffic."
  }
}

run "rds_private_encrypted" {
  command = plan

  assert {
    condition     = aws_db_instance.main.publicly_accessible == false && aws_db_instance.main.storage_encrypted == true
    error_message = "RDS must be private and encrypted at rest."
  }

  assert {
    condition     = toset(aws_db_subnet_group.main.subnet_ids) == toset(aws_subnet.data[*].id) && toset(aws_db_instance.main.vpc_security_group_ids) == toset([aws_security_group.db.id])
    error_message = "RDS must sit in the data subnets behind the db security group only."
  }

  assert {
    condition     = aws_db_instance.main.manage_master_user_password == true && aws_db_instance.main.password == null
    error_message = "The master password must be generated and kept by RDS in Secrets Manager."
  }

  assert {
    condition     = aws_db_instance.main.multi_az == true && aws_db_instance.main.deletion_protection == true && aws_db_instance.main.backup_retention_period >= 7 && aws_db_instance.main.skip_final_snapshot == false
    error_message = "RDS needs Multi-AZ, deletion protection, at least 7 days of backups and a final snapshot."
  }

  assert {
    condition     = anytrue([for p in aws_db_parameter_group.main.parameter : p.name == "rds.force_ssl" && p.value == "1"]) && aws_db_instance.main.parameter_group_name == aws_db_parameter_group.main.name
    error_message = "The database's parameter group must force TLS (rds.force_ssl = 1)."
  }
}

run "database_roles" {
  command = plan

  assert {
    condition     = strcontains(local.user_data, "WATCHSTORE_DB_APP_SECRET_ARN=${aws_secretsmanager_secret.db_app.arn}") && strcontains(local.user_data, "WATCHSTORE_DB_MIGRATOR_SECRET_ARN=${aws_secretsmanager_secret.db_migrator.arn}")
    error_message = "The instances must know the app and migrator roles' secrets."
  }

  assert {
    condition     = strcontains(local.user_data, "write_app_env /run/watchstore/app.env app\n") && strcontains(local.user_data, "role=migrator")
    error_message = "The server must connect as the app role, migrations as the migrator role."
  }

  assert {
    condition     = !strcontains(local.user_data, "watchstore-watchdog <<'WATCHDOG'\n#!/bin/bash\n# Every minute (watchstore-watchdog.timer): Docker marks the container\n# unhealthy after 4 failed /healthz checks; restart the service then.\n# (The server's database role is not the RDS-managed master user, so RDS's\n# rotation of the master password changes nothing for it.)\nset -euo pipefail\n. /usr") && length(regexall("write_app_env[^\\n]*master", local.user_data)) == 0
    error_message = "No container may be given the RDS master credentials."
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.db_app.secret_string).username == "watchstore_app" && jsondecode(aws_secretsmanager_secret_version.db_migrator.secret_string).username == "watchstore_migrator"
    error_message = "The app and migrator secrets must name their own roles."
  }

  assert {
    condition     = strcontains(local.user_data, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :\"app_role\";")
    error_message = "The roles script must give the app role row access only."
  }
}

run "redis_private_encrypted_auth" {
  command = plan

  assert {
    condition     = toset(aws_elasticache_subnet_group.redis.subnet_ids) == toset(aws_subnet.data[*].id) && toset(aws_elasticache_replication_group.redis.security_group_ids) == toset([aws_security_group.redis.id])
    error_message = "Redis must sit in the data subnets behind the redis security group only."
  }

  assert {
    condition     = tostring(aws_elasticache_replication_group.redis.at_rest_encryption_enabled) == "true"
    error_message = "Redis must be encrypted at rest."
  }

  assert {
    condition     = aws_elasticache_replication_group.redis.transit_encryption_enabled == true && aws_elasticache_replication_group.redis.transit_encryption_mode == "required"
    error_message = "Redis must require TLS in transit."
  }

  assert {
    condition     = nonsensitive(aws_elasticache_replication_group.redis.auth_token) == terraform_data.generated["redis_auth"].output && length(nonsensitive(aws_elasticache_replication_group.redis.auth_token)) >= 32
    error_message = "Redis must require the generated AUTH token."
  }

  assert {
    condition     = jsondecode(aws_secretsmanager_secret_version.redis_auth.secret_string).token == terraform_data.generated["redis_auth"].output
    error_message = "The AUTH token must be in the Secrets Manager secret the instances read."
  }

  assert {
    condition     = strcontains(local.user_data, "WATCHSTORE_REDIS_URL=redis://:$token@watchstore-redis-tunnel:$WATCHSTORE_REDIS_TUNNEL_PORT/0") && strcontains(local.user_data, "WATCHSTORE_REDIS_AUTH_SECRET_ARN=${aws_secretsmanager_secret.redis_auth.arn}")
    error_message = "The server must reach Redis through the local tunnel with the AUTH token from Secrets Manager."
  }

  assert {
    condition     = strcontains(local.user_data, "verifyChain = yes") && strcontains(local.user_data, "checkHost = $TUNNEL_CONNECT_HOST") && strcontains(local.user_data, "WATCHSTORE_REDIS_HOST=${aws_elasticache_replication_group.redis.primary_endpoint_address}")
    error_message = "The stunnel client must verify ElastiCache's certificate and host name."
  }

  assert {
    condition     = aws_elasticache_replication_group.redis.automatic_failover_enabled == true && aws_elasticache_replication_group.redis.multi_az_enabled == true
    error_message = "Two or more Redis nodes must fail over automatically across AZs."
  }
}

run "security_groups" {
  command = plan

  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_app.referenced_security_group_id == aws_security_group.app.id && aws_vpc_security_group_ingress_rule.db_from_app.from_port == 5432 && aws_vpc_security_group_ingress_rule.db_from_app.to_port == 5432
    error_message = "PostgreSQL must admit 5432 from the app security group only."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.redis_from_app.referenced_security_group_id == aws_security_group.app.id && aws_vpc_security_group_ingress_rule.redis_from_app.from_port == 6379 && aws_vpc_security_group_ingress_rule.redis_from_app.to_port == 6379
    error_message = "Redis must admit 6379 from the app security group only."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.app_from_alb.referenced_security_group_id == aws_security_group.alb.id && aws_vpc_security_group_ingress_rule.app_from_alb.from_port == var.app_port && aws_vpc_security_group_ingress_rule.app_from_alb.to_port == var.app_port
    error_message = "The app instances must admit the app port from the ALB security group only."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_https.prefix_list_id == data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id && aws_vpc_security_group_ingress_rule.alb_https.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.alb_https.cidr_ipv6 == null && aws_vpc_security_group_ingress_rule.alb_https.from_port == 443 && aws_vpc_security_group_ingress_rule.alb_https.to_port == 443
    error_message = "The ALB must admit HTTPS from CloudFront's origin-facing prefix list only."
  }

  assert {
    condition     = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.name == "com.amazonaws.global.cloudfront.origin-facing"
    error_message = "The ALB's prefix list must be CloudFront's origin-facing list."
  }

  # The whole graph: every ingress rule of the stack is one of the four edges.
  assert {
    condition = alltrue([for r in [
      aws_vpc_security_group_ingress_rule.alb_https,
      aws_vpc_security_group_ingress_rule.app_from_alb,
      aws_vpc_security_group_ingress_rule.db_from_app,
      aws_vpc_security_group_ingress_rule.redis_from_app,
      ] : (r.security_group_id == aws_security_group.alb.id && r.prefix_list_id != null) ||
      (r.security_group_id == aws_security_group.app.id && r.referenced_security_group_id == aws_security_group.alb.id) ||
      (r.security_group_id == aws_security_group.db.id && r.referenced_security_group_id == aws_security_group.app.id) ||
    (r.security_group_id == aws_security_group.redis.id && r.referenced_security_group_id == aws_security_group.app.id)])
    error_message = "Ingress must follow CloudFront -> ALB -> app -> db/redis only."
  }

  assert {
    condition     = length(aws_default_security_group.default.ingress) == 0 && length(aws_default_security_group.default.egress) == 0
    error_message = "The VPC's default security group must have no rules."
  }
}

run "storefront_bucket_private_oac_only" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.storefront.block_public_acls,
      aws_s3_bucket_public_access_block.storefront.block_public_policy,
      aws_s3_bucket_public_access_block.storefront.ignore_public_acls,
      aws_s3_bucket_public_access_block.storefront.restrict_public_buckets,
    ])
    error_message = "The storefront bucket must block every form of public access."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.storefront_bucket.statement :
      s.effect == "Deny" || (
        alltrue([for p in s.principals : p.type == "Service" && toset(p.identifiers) == toset(["cloudfront.amazonaws.com"])]) &&
        length(setsubtract(s.actions, ["s3:GetObject", "s3:ListBucket"])) == 0 &&
        anytrue([for c in s.condition : c.variable == "AWS:SourceArn" && length(c.values) == 1 && contains(c.values, aws_cloudfront_distribution.storefront.arn)])
    )])
    error_message = "Only this CloudFront distribution may read the storefront bucket."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.storefront_bucket.statement : s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])])
    error_message = "The storefront bucket must refuse plain HTTP."
  }

  assert {
    condition     = one([for o in aws_cloudfront_distribution.storefront.origin : o.origin_access_control_id if o.origin_id == "storefront-s3"]) == aws_cloudfront_origin_access_control.storefront.id && aws_cloudfront_origin_access_control.storefront.signing_behavior == "always"
    error_message = "CloudFront must read the bucket through the OAC, signing always."
  }
}

run "cloudfront_https_headers" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.storefront.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https" && alltrue([for b in aws_cloudfront_distribution.storefront.ordered_cache_behavior : b.viewer_protocol_policy == (b.path_pattern == "/api/*" ? "https-only" : "redirect-to-https")])
    error_message = "Viewers must use HTTPS (the API refuses HTTP rather than redirecting it)."
  }

  assert {
    condition     = alltrue([for o in aws_cloudfront_distribution.storefront.origin : o.custom_origin_config[0].origin_protocol_policy == "https-only" && toset(o.custom_origin_config[0].origin_ssl_protocols) == toset(["TLSv1.2"]) if o.origin_id == "api-alb"])
    error_message = "CloudFront must reach the ALB over TLS 1.2+ only."
  }

  assert {
    condition     = aws_cloudfront_distribution.storefront.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021" && aws_cloudfront_distribution.storefront.viewer_certificate[0].ssl_support_method == "sni-only"
    error_message = "Viewers with the custom name must use TLS 1.2 (TLSv1.2_2021) with SNI."
  }

  assert {
    condition     = aws_cloudfront_distribution.storefront.default_cache_behavior[0].response_headers_policy_id == aws_cloudfront_response_headers_policy.headers["security"].id && alltrue([for b in aws_cloudfront_distribution.storefront.ordered_cache_behavior : b.response_headers_policy_id == (b.path_pattern == "/pay.html" ? aws_cloudfront_response_headers_policy.headers["payment_page"].id : aws_cloudfront_response_headers_policy.headers["security"].id)])
    error_message = "Every behaviour must add the security headers (the payment page its own set)."
  }

  assert {
    condition     = strcontains(aws_cloudfront_response_headers_policy.headers["payment_page"].security_headers_config[0].content_security_policy[0].content_security_policy, "script-src 'self' https://js.stripe.com") && strcontains(aws_cloudfront_response_headers_policy.headers["payment_page"].security_headers_config[0].content_security_policy[0].content_security_policy, "frame-src https://js.stripe.com") && !strcontains(aws_cloudfront_response_headers_policy.headers["security"].security_headers_config[0].content_security_policy[0].content_security_policy, "stripe.com") && length([for b in aws_cloudfront_distribution.storefront.ordered_cache_behavior : b if b.path_pattern == "/pay.html" && b.target_origin_id == "storefront-s3"]) == 1
    error_message = "Only /pay.html (from the bucket) may load Stripe.js: its CSP names Stripe's origins, the storefront's does not."
  }

  assert {
    condition     = length([for b in aws_cloudfront_distribution.storefront.ordered_cache_behavior : b if b.path_pattern == "/watches/*" && b.target_origin_id == "api-alb" && toset(b.allowed_methods) == toset(["GET", "HEAD", "OPTIONS"])]) == 1
    error_message = "/watches/* (readable product URLs) must reach the servers, read-only: their 301s and 404s are the servers' own."
  }

  assert {
    condition     = alltrue([for p in aws_cloudfront_response_headers_policy.headers : p.security_headers_config[0].strict_transport_security[0].access_control_max_age_sec >= 31536000 && p.security_headers_config[0].frame_options[0].frame_option == "DENY" && p.security_headers_config[0].content_type_options[0].override == true])
    error_message = "Security headers: HSTS for a year or more, frame DENY, nosniff."
  }

  assert {
    condition     = aws_cloudfront_distribution.storefront.web_acl_id == aws_wafv2_web_acl.cloudfront[0].arn
    error_message = "CloudFront must be protected by the stack's WAF web ACL."
  }

  assert {
    condition     = aws_cloudfront_distribution.storefront.logging_config[0].bucket == aws_s3_bucket.logs[0].bucket_domain_name
    error_message = "CloudFront must log to the stack's log bucket."
  }
}

run "waf_rules" {
  command = plan

  assert {
    condition     = aws_wafv2_web_acl.cloudfront[0].scope == "CLOUDFRONT"
    error_message = "The web ACL must be CloudFront-scoped."
  }

  assert {
    condition = anytrue([for r in aws_wafv2_web_acl.cloudfront[0].rule :
      length(r.action) == 1 && length(r.action[0].block) == 1 &&
      r.statement[0].rate_based_statement[0].limit == var.waf_auth_rate_limit &&
      r.statement[0].rate_based_statement[0].aggregate_key_type == "IP" &&
      r.statement[0].rate_based_statement[0].scope_down_statement[0].byte_match_statement[0].search_string == "/api/v1/auth/" &&
      r.statement[0].rate_based_statement[0].scope_down_statement[0].byte_match_statement[0].positional_constraint == "STARTS_WITH" &&
      length(r.statement[0].rate_based_statement[0].scope_down_statement[0].byte_match_statement[0].field_to_match[0].uri_path) == 1
    if length(r.statement[0].rate_based_statement) == 1])
    error_message = "A blocking rate-based rule per IP must cover /api/v1/auth/*."
  }

  assert {
    condition = length(setsubtract(
      ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"],
      flatten([for r in aws_wafv2_web_acl.cloudfront[0].rule : [for m in r.statement[0].managed_rule_group_statement : m.name if length(r.override_action) == 1 && length(flatten(r.override_action[*].none)) == 1]])
    )) == 0
    error_message = "The AWS managed rule groups must be enforced (no count override)."
  }

  assert {
    condition = alltrue([for r in aws_wafv2_web_acl.cloudfront[0].rule :
      alltrue([for m in r.statement[0].managed_rule_group_statement :
        m.name == "AWSManagedRulesCommonRuleSet" ? (
          length(m.scope_down_statement) == 1 &&
          m.scope_down_statement[0].not_statement[0].statement[0].byte_match_statement[0].search_string == "/api/v1/payments/stripe/webhook" &&
          m.scope_down_statement[0].not_statement[0].statement[0].byte_match_statement[0].positional_constraint == "EXACTLY" &&
          length(m.scope_down_statement[0].not_statement[0].statement[0].byte_match_statement[0].field_to_match[0].uri_path) == 1
        ) : length(m.scope_down_statement) == 0
      ])
    ])
    error_message = "Every managed rule group covers every request, except that the common rules skip exactly the Stripe webhook path (signed events may exceed their 8 KB body limit)."
  }
}

run "alb_tls_and_origin_lock" {
  command = plan

  assert {
    condition     = aws_lb_listener.https.port == 443 && aws_lb_listener.https.protocol == "HTTPS" && aws_lb_listener.https.certificate_arn == var.alb_certificate_arn && aws_lb_listener.https.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "The ALB must serve HTTPS with the certificate and the TLS 1.2/1.3 policy."
  }

  assert {
    condition     = aws_lb.main.drop_invalid_header_fields == true && aws_lb.main.desync_mitigation_mode == "strictest"
    error_message = "The ALB must drop invalid headers and refuse ambiguous requests."
  }

  assert {
    condition     = aws_lb_listener.https.default_action[0].type == "fixed-response" && aws_lb_listener.https.default_action[0].fixed_response[0].status_code == "403"
    error_message = "Requests without CloudFront's secret header must get 403."
  }

  assert {
    condition = length(aws_lb_listener_rule.from_cloudfront[0].condition) == 1 && alltrue([for c in aws_lb_listener_rule.from_cloudfront[0].condition :
      length(c.http_header) == 1 && c.http_header[0].http_header_name == "X-Origin-Verify" &&
      length(c.http_header[0].values) == 1 && contains(c.http_header[0].values, terraform_data.generated["origin_verify"].output)
    ]) && aws_lb_listener_rule.from_cloudfront[0].action[0].target_group_arn == aws_lb_target_group.app.arn
    error_message = "Only requests with the origin secret may be forwarded."
  }

  assert {
    condition     = one([for o in aws_cloudfront_distribution.storefront.origin : one([for h in o.custom_header : h.value if h.name == "X-Origin-Verify"]) if o.origin_id == "api-alb"]) == terraform_data.generated["origin_verify"].output
    error_message = "CloudFront must send the same origin secret the listener requires."
  }

  assert {
    condition     = toset(aws_lb.main.subnets) == toset(aws_subnet.public[*].id) && aws_lb_target_group.app.health_check[0].path == "/readyz" && aws_lb_target_group.app.port == var.app_port
    error_message = "The ALB sits in the public subnets and checks /readyz on the app port."
  }

  assert {
    condition     = aws_lb.main.access_logs[0].enabled == true && aws_lb.main.access_logs[0].bucket == aws_s3_bucket.logs[0].id
    error_message = "The ALB must write access logs to the stack's log bucket."
  }

  assert {
    condition     = aws_lb.main.idle_timeout == var.alb_idle_timeout_seconds && local.server_keep_alive_timeout_seconds > aws_lb.main.idle_timeout && strcontains(local.user_data, "WATCHSTORE_KEEP_ALIVE_TIMEOUT_SETTING=${local.server_keep_alive_timeout_seconds}s\n") && strcontains(local.user_data, "echo \"WATCHSTORE_KEEP_ALIVE_TIMEOUT=$WATCHSTORE_KEEP_ALIVE_TIMEOUT_SETTING\"")
    error_message = "The servers' keep-alive timeout must be longer than the ALB's idle timeout, both from one setting."
  }

  assert {
    condition     = strcontains(local.user_data, "WATCHSTORE_TRUSTED_PROXIES_SETTING=${var.vpc_cidr}\n") && strcontains(local.user_data, "echo \"WATCHSTORE_TRUSTED_PROXIES=$WATCHSTORE_TRUSTED_PROXIES_SETTING\"") && strcontains(local.user_data, "echo \"WATCHSTORE_CLIENT_ADDRESS_HEADER=X-Forwarded-For\"") && strcontains(local.user_data, "echo \"WATCHSTORE_TRUSTED_HOPS=2\"")
    error_message = "Behind CloudFront and the ALB the servers must trust the VPC (where the ALB's nodes are) and take the client 2 hops from the right of X-Forwarded-For; otherwise every shopper is keyed on an ALB node."
  }

  assert {
    condition     = strcontains(local.user_data, "WATCHSTORE_SESSION_SEAL_SECRET_ARN=${aws_secretsmanager_secret.session_seal.arn}\n") && strcontains(local.user_data, "echo \"WATCHSTORE_SESSION_SEAL_KEY=$seal\"") && anytrue([for st in data.aws_iam_policy_document.app.statement : st.sid == "StackSecrets" && contains(st.resources, aws_secretsmanager_secret.session_seal.arn)])
    error_message = "Every instance must seal cached sessions with the one generated key from Secrets Manager, and may read that secret."
  }

  assert {
    condition     = strcontains(local.user_data, "WATCHSTORE_PAYMENTS_SETTING=manual\n") && strcontains(local.user_data, "echo \"WATCHSTORE_PAYMENTS=$WATCHSTORE_PAYMENTS_SETTING\"") && !anytrue([for st in data.aws_iam_policy_document.app.statement : contains(st.resources, aws_secretsmanager_secret.stripe_secret_key.arn) || contains(st.resources, aws_secretsmanager_secret.stripe_webhook_secret.arn)])
    error_message = "By default payments are manual and the instances may not read the Stripe secrets."
  }
}

run "logs_and_alarms" {
  command = plan

  assert {
    condition     = aws_s3_bucket_public_access_block.logs[0].block_public_acls && aws_s3_bucket_public_access_block.logs[0].block_public_policy && aws_s3_bucket_public_access_block.logs[0].ignore_public_acls && aws_s3_bucket_public_access_block.logs[0].restrict_public_buckets
    error_message = "The log bucket must be private."
  }

  assert {
    condition     = aws_s3_bucket_logging.storefront[0].target_bucket == aws_s3_bucket.logs[0].id && aws_s3_bucket_logging.storefront[0].bucket == aws_s3_bucket.storefront.id
    error_message = "The storefront bucket must write server access logs to the log bucket."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.logs_bucket[0].statement : contains(flatten([for p in s.principals : p.identifiers]), "logdelivery.elasticloadbalancing.amazonaws.com")]) && anytrue([for s in data.aws_iam_policy_document.logs_bucket[0].statement : contains(flatten([for p in s.principals : p.identifiers]), "logging.s3.amazonaws.com")])
    error_message = "The log bucket must accept ALB and S3 log delivery."
  }

  assert {
    condition = alltrue([for a in [
      aws_cloudwatch_metric_alarm.alb_no_healthy_hosts,
      aws_cloudwatch_metric_alarm.alb_elb_5xx,
      aws_cloudwatch_metric_alarm.alb_latency_p99,
      aws_cloudwatch_metric_alarm.alb_target_5xx,
      aws_cloudwatch_metric_alarm.alb_unhealthy_hosts,
      aws_cloudwatch_metric_alarm.rds_connections,
      aws_cloudwatch_metric_alarm.rds_freeable_memory,
      aws_cloudwatch_metric_alarm.rds_cpu,
      aws_cloudwatch_metric_alarm.rds_free_storage,
    ] : toset(a.alarm_actions) == toset([aws_sns_topic.alarms[0].arn])]) && alltrue([for a in concat(aws_cloudwatch_metric_alarm.redis_evictions, aws_cloudwatch_metric_alarm.redis_memory) : toset(a.alarm_actions) == toset([aws_sns_topic.alarms[0].arn])])
    error_message = "Every alarm must notify the stack's SNS topic."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_no_healthy_hosts.metric_name == "HealthyHostCount" && aws_cloudwatch_metric_alarm.alb_no_healthy_hosts.comparison_operator == "LessThanThreshold" && aws_cloudwatch_metric_alarm.alb_no_healthy_hosts.treat_missing_data == "breaching"
    error_message = "An alarm must fire when there are no healthy hosts (missing data included)."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_elb_5xx.metric_name == "HTTPCode_ELB_5XX_Count" && aws_cloudwatch_metric_alarm.alb_latency_p99.metric_name == "TargetResponseTime" && aws_cloudwatch_metric_alarm.rds_connections.metric_name == "DatabaseConnections" && aws_cloudwatch_metric_alarm.rds_freeable_memory.metric_name == "FreeableMemory" && length(aws_cloudwatch_metric_alarm.redis_evictions) == var.redis_num_cache_clusters && aws_cloudwatch_metric_alarm.redis_evictions[0].metric_name == "Evictions"
    error_message = "Alarms on ELB 5xx, latency, RDS connections and memory, and Redis evictions must exist."
  }

  assert {
    condition     = [for s in aws_sns_topic_subscription.alarm_email : s.endpoint] == ["ops@example.com"]
    error_message = "The alarm topic must have the e-mail subscriptions."
  }
}

run "instances_and_asg" {
  command = plan

  assert {
    condition     = aws_launch_template.app.metadata_options[0].http_tokens == "required" && aws_launch_template.app.metadata_options[0].http_endpoint == "enabled" && aws_launch_template.app.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Instances must require IMDSv2 with hop limit 1."
  }

  assert {
    condition     = alltrue([for b in aws_launch_template.app.block_device_mappings : b.ebs[0].encrypted == "true"])
    error_message = "Instance volumes must be encrypted."
  }

  assert {
    condition     = aws_launch_template.app.key_name == null && length(aws_launch_template.app.network_interfaces) == 0 && toset(aws_launch_template.app.vpc_security_group_ids) == toset([aws_security_group.app.id])
    error_message = "No SSH key, no public network interface, the app security group only."
  }

  assert {
    condition     = toset(aws_autoscaling_group.app.vpc_zone_identifier) == toset(aws_subnet.app[*].id) && length(distinct(aws_subnet.app[*].availability_zone)) >= 2
    error_message = "The group must span the app subnets in at least two AZs."
  }

  assert {
    condition     = aws_autoscaling_group.app.health_check_type == "ELB" && aws_autoscaling_group.app.min_size >= 2 && toset(aws_autoscaling_group.app.target_group_arns) == toset([aws_lb_target_group.app.arn])
    error_message = "The group must use ELB health checks, at least two instances, registered with the target group."
  }

  assert {
    condition     = aws_autoscaling_group.app.instance_refresh[0].preferences[0].min_healthy_percentage == 100 && aws_autoscaling_group.app.instance_refresh[0].preferences[0].max_healthy_percentage == 200
    error_message = "Instance refreshes must launch before terminating (min 100 %, max 200 %)."
  }

  assert {
    condition     = length(base64gzip(local.user_data)) * 3 / 4 <= 16384 && aws_launch_template.app.user_data == base64gzip(local.user_data)
    error_message = "The user data must fit EC2's 16 KiB limit."
  }

  assert {
    condition     = strcontains(local.user_data, "systemctl start watchstore-redis-tunnel.service\nsystemctl start --no-block watchstore.service") && strcontains(local.user_data, "After=docker.service network-online.target watchstore-redis-tunnel.service")
    error_message = "The Redis tunnel must start before the server."
  }
}

run "github_oidc_trust" {
  command = plan

  assert {
    condition = anytrue([for c in data.aws_iam_policy_document.github_deploy_assume[0].statement[0].condition :
    c.test == "StringEquals" && c.variable == "token.actions.githubusercontent.com:sub" && length(c.values) == 1 && contains(c.values, "repo:example-org/watchstore:environment:production:ref:refs/heads/main")])
    error_message = "The deploy role must trust only the production environment on the main branch."
  }

  assert {
    condition = anytrue([for c in data.aws_iam_policy_document.github_deploy_assume[0].statement[0].condition :
    c.test == "StringEquals" && c.variable == "token.actions.githubusercontent.com:aud" && length(c.values) == 1 && contains(c.values, "sts.amazonaws.com")])
    error_message = "The deploy role must require the STS audience."
  }

  assert {
    condition = anytrue([for c in data.aws_iam_policy_document.github_plan_assume[0].statement[0].condition :
    c.variable == "token.actions.githubusercontent.com:sub" && length(c.values) == 1 && contains(c.values, "repo:example-org/watchstore:pull_request:ref:refs/pull/*/merge")])
    error_message = "The plan role must trust only this repository's pull requests."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.github_deploy[0].statement : !contains(s.resources, "*") || alltrue([for a in s.actions : can(regex("^(ecr:GetAuthorizationToken|autoscaling:Describe.*|elasticloadbalancing:Describe.*|ssm:GetCommandInvocation|ssm:ListCommandInvocations)$", a))])])
    error_message = "The deploy role may use Resource * only for auth and describe calls."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.github_plan_read[0].statement : alltrue([for a in s.actions : !can(regex("^(s3:GetObject|s3:\\*|logs:GetLogEvents|logs:FilterLogEvents|dynamodb:(Scan|Query)|ssm:GetParameters?ByPath|.*:\\*)$", a))])])
    error_message = "The plan role must not read data (no ReadOnlyAccess, no object or log reads)."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.github_plan_state[0].statement : s.effect == "Deny" && contains(s.actions, "secretsmanager:GetSecretValue") && contains(s.resources, aws_db_instance.main.master_user_secret[0].secret_arn)])
    error_message = "The plan role must never read the database master password."
  }
}
