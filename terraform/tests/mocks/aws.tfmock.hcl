# Mocked AWS provider for `terraform test` (plan mode, no credentials, offline).
#
# Terraform generates computed values at plan only for resource types listed
# here (override_during = plan in the test files), so every resource type of
# the stack has a block. Values the provider validates when they flow into
# another resource (ids with a fixed prefix, ARNs, JSON policies) get realistic
# defaults; everything else is generated (random strings), which keeps ids of
# different resources distinct so that references can be asserted.

mock_resource "aws_autoscaling_group" {
  defaults = {
    arn = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:11111111-2222-3333-4444-555555555555:autoScalingGroupName/watchstore-prod-app"
  }
}
mock_resource "aws_autoscaling_policy" {}
mock_resource "aws_cloudfront_distribution" {
  defaults = {
    arn            = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE12345"
    domain_name    = "d111111abcdef8.cloudfront.net"
    hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}
mock_resource "aws_cloudfront_origin_access_control" {}
mock_resource "aws_cloudfront_response_headers_policy" {}
mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/watchstore/prod/server"
  }
}
mock_resource "aws_cloudwatch_metric_alarm" {}
mock_resource "aws_db_instance" {
  defaults = {
    arn      = "arn:aws:rds:eu-west-1:123456789012:db:watchstore-prod-postgres"
    address  = "watchstore-prod-postgres.abcdefghijkl.eu-west-1.rds.amazonaws.com"
    endpoint = "watchstore-prod-postgres.abcdefghijkl.eu-west-1.rds.amazonaws.com:5432"
    master_user_secret = [{
      secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-11111111-2222-3333-4444-555555555555-AbCdEf"
      secret_status = "active"
      kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }]
  }
}
mock_resource "aws_db_parameter_group" {}
mock_resource "aws_db_subnet_group" {}
mock_resource "aws_default_security_group" {}
mock_resource "aws_ecr_lifecycle_policy" {}
mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/watchstore-prod-server"
    repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/watchstore-prod-server"
  }
}
mock_resource "aws_eip" {}
mock_resource "aws_elasticache_parameter_group" {}
mock_resource "aws_elasticache_replication_group" {
  defaults = {
    arn                      = "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:watchstore-prod-redis"
    primary_endpoint_address = "master.watchstore-prod-redis.abcdef.euw1.cache.amazonaws.com"
  }
}
mock_resource "aws_elasticache_subnet_group" {}
mock_resource "aws_flow_log" {}
mock_resource "aws_iam_instance_profile" {
  defaults = {
    arn = "arn:aws:iam::123456789012:instance-profile/watchstore-prod-app"
  }
}
mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/watchstore-prod-role"
  }
}
mock_resource "aws_iam_role_policy" {}
mock_resource "aws_iam_role_policy_attachment" {}
mock_resource "aws_internet_gateway" {}
mock_resource "aws_launch_template" {
  defaults = {
    id             = "lt-0123456789abcdef0"
    arn            = "arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0123456789abcdef0"
    latest_version = 1
  }
}
mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/watchstore-prod-alb/50dc6c495c0c9188"
    arn_suffix = "app/watchstore-prod-alb/50dc6c495c0c9188"
    dns_name   = "watchstore-prod-alb-1234567890.eu-west-1.elb.amazonaws.com"
    zone_id    = "Z32O12XQLNTSW2"
  }
}
mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/watchstore-prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
  }
}
mock_resource "aws_lb_listener_rule" {}
mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/watchstore-prod-app/73e2d6bc24d8a067"
    arn_suffix = "targetgroup/watchstore-prod-app/73e2d6bc24d8a067"
  }
}
mock_resource "aws_nat_gateway" {}
mock_resource "aws_route" {}
mock_resource "aws_route53_record" {}
mock_resource "aws_route_table" {}
mock_resource "aws_route_table_association" {}
mock_resource "aws_s3_bucket" {
  defaults = {
    arn                         = "arn:aws:s3:::watchstore-prod-bucket-123456789012"
    bucket_domain_name          = "watchstore-prod-bucket-123456789012.s3.amazonaws.com"
    bucket_regional_domain_name = "watchstore-prod-bucket-123456789012.s3.eu-west-1.amazonaws.com"
  }
}
mock_resource "aws_s3_bucket_acl" {}
mock_resource "aws_s3_bucket_lifecycle_configuration" {}
mock_resource "aws_s3_bucket_logging" {}
mock_resource "aws_s3_bucket_ownership_controls" {}
mock_resource "aws_s3_bucket_policy" {}
mock_resource "aws_s3_bucket_public_access_block" {}
mock_resource "aws_s3_bucket_server_side_encryption_configuration" {}
mock_resource "aws_s3_bucket_versioning" {}
mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:watchstore-prod-secret-AbCdEf"
  }
}
mock_resource "aws_secretsmanager_secret_version" {}
mock_resource "aws_security_group" {}
mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:123456789012:watchstore-prod-alarms"
  }
}
mock_resource "aws_sns_topic_subscription" {}
mock_resource "aws_ssm_parameter" {
  defaults = {
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/watchstore/prod/server/image-tag"
  }
}
mock_resource "aws_subnet" {}
mock_resource "aws_vpc" {}
mock_resource "aws_vpc_endpoint" {}
mock_resource "aws_vpc_security_group_egress_rule" {}
mock_resource "aws_vpc_security_group_ingress_rule" {}
mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/watchstore-prod-cloudfront/11111111-2222-3333-4444-555555555555"
  }
}

mock_data "aws_availability_zones" {
  defaults = {
    names    = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    zone_ids = ["euw1-az1", "euw1-az2", "euw1-az3"]
  }
}
mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/test"
  }
}
mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}
mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}
mock_data "aws_canonical_user_id" {
  defaults = {
    id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
  }
}
mock_data "aws_cloudfront_log_delivery_canonical_user_id" {
  defaults = {
    id = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"
  }
}
mock_data "aws_elb_service_account" {
  defaults = {
    arn = "arn:aws:iam::156460612806:root"
  }
}
mock_data "aws_ec2_managed_prefix_list" {
  defaults = {
    id   = "pl-4fa04526"
    name = "com.amazonaws.global.cloudfront.origin-facing"
  }
}
mock_data "aws_cloudfront_cache_policy" {}
mock_data "aws_cloudfront_origin_request_policy" {}
mock_data "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}
# The JSON cannot be computed from the statements under a mock; the tests
# assert on the data sources' statement blocks instead.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:GetCallerIdentity\",\"Resource\":\"*\"}]}"
  }
}
mock_data "aws_secretsmanager_random_password" {
  defaults = {
    random_password = "Mock0Generated0Secret0Value0For0Tests0Only0AbCd"
  }
}
mock_data "aws_ssm_parameter" {
  defaults = {
    insecure_value = "ami-0123456789abcdef0"
    value          = "ami-0123456789abcdef0"
  }
}
