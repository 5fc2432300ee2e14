# WAFv2 web ACL in front of CloudFront (scope CLOUDFRONT, created in us-east-1),
# on by default (var.waf_enabled) unless an existing ACL is given
# (var.cloudfront_web_acl_arn):
#   1. a rate limit per client IP on /api/v1/auth/* (sign-in, registration):
#      the server's own login throttle sees the ALB's address, not the
#      client's, so this is the per-client brute-force limit;
#   2. AWS managed rule groups: IP reputation, known bad inputs, common rules.
#      The common rules skip exactly the Stripe webhook path: they block
#      bodies over 8 KB and match script- and path-like text, which a signed
#      Stripe event may well hold; the server checks the event's signature
#      (HMAC over the raw body) before it reads a byte of it.
# CloudFront evaluates it with the viewer's real address.

locals {
  waf_created            = var.waf_enabled && var.cloudfront_web_acl_arn == ""
  cloudfront_web_acl_arn = var.cloudfront_web_acl_arn != "" ? var.cloudfront_web_acl_arn : (local.waf_created ? aws_wafv2_web_acl.cloudfront[0].arn : null)

  waf_managed_rule_groups = [
    { name = "AWSManagedRulesAmazonIpReputationList", priority = 10, except_path = "" },
    { name = "AWSManagedRulesKnownBadInputsRuleSet", priority = 20, except_path = "" },
    { name = "AWSManagedRulesCommonRuleSet", priority = 30, except_path = local.stripe_webhook_path },
  ]

  # The route Stripe posts signed events to (bindings/http, docs/openapi.yaml).
  stripe_webhook_path = "/api/v1/payments/stripe/webhook"
}

resource "aws_wafv2_web_acl" "cloudfront" {
  count    = local.waf_created ? 1 : 0
  provider = aws.us_east_1

  name        = "${local.name}-cloudfront"
  description = "watchstore ${local.name}: auth rate limit and AWS managed rules"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "auth-rate-limit"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_auth_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"

        scope_down_statement {
          byte_match_statement {
            search_string         = "/api/v1/auth/"
            positional_constraint = "STARTS_WITH"

            field_to_match {
              uri_path {}
            }

            text_transformation {
              priority = 0
              type     = "URL_DECODE"
            }

            text_transformation {
              priority = 1
              type     = "LOWERCASE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name}-auth-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.waf_managed_rule_groups

    content {
      name     = rule.value.name
      priority = rule.value.priority

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name

          # Evaluated for every request but the one exact path (no
          # normalisation: any variant of it is inspected as usual).
          dynamic "scope_down_statement" {
            for_each = rule.value.except_path == "" ? [] : [rule.value.except_path]

            content {
              not_statement {
                statement {
                  byte_match_statement {
                    search_string         = scope_down_statement.value
                    positional_constraint = "EXACTLY"

                    field_to_match {
                      uri_path {}
                    }

                    text_transformation {
                      priority = 0
                      type     = "NONE"
                    }
                  }
                }
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.name}-${rule.value.name}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.name}-cloudfront"
    sampled_requests_enabled   = true
  }
}
