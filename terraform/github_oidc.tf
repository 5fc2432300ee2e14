# GitHub Actions -> AWS through OIDC: short-lived credentials, no stored keys.
# Created when var.github_repository is set.
#
#   deploy role : jobs in the GitHub environment var.github_environment of that
#                 repository, running on var.github_deploy_branch (backend.yml,
#                 frontend.yml deploy jobs): push the image, publish its tag,
#                 run migrations via SSM, roll the ASG, sync the storefront
#                 bucket, invalidate CloudFront.
#   plan role   : pull-request runs (terraform.yml): reads what terraform plan
#                 refreshes, for this stack's resources; no data-plane reads.
#
# Both trust policies match GitHub's token subject in the repository's custom
# format (docs/DEPLOY.md, "CI/CD" sets it once with the GitHub API):
#   include_claim_keys = ["repo", "context", "ref"]
#   deploy: repo:OWNER/NAME:environment:production:ref:refs/heads/main
#   plan:   repo:OWNER/NAME:pull_request:ref:refs/pull/123/merge
# so an environment job on any other branch gets no credentials, whatever the
# environment's own branch rules say (set those too: defence in depth).

locals {
  github_oidc_host = "token.actions.githubusercontent.com"
  github_oidc_provider_arn = local.github_enabled ? (
    var.github_create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  ) : ""
  github_plan_role_enabled = local.github_enabled && var.terraform_state_bucket != ""

  github_deploy_subject = "repo:${var.github_repository}:environment:${var.github_environment}:ref:refs/heads/${var.github_deploy_branch}"
  github_plan_subject   = "repo:${var.github_repository}:pull_request:ref:refs/pull/*/merge"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && var.github_create_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's OIDC certificates itself; the provider API still
  # requires a thumbprint list.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]
}

data "aws_iam_openid_connect_provider" "github" {
  count = local.github_enabled && !var.github_create_oidc_provider ? 1 : 0

  url = "https://${local.github_oidc_host}"
}

# --- Deploy role -------------------------------------------------------------------

data "aws_iam_policy_document" "github_deploy_assume" {
  count = local.github_enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.github_deploy_subject]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name                 = "${local.name}-github-deploy"
  description          = "GitHub Actions deploys of ${var.github_repository} (environment ${var.github_environment}, branch ${var.github_deploy_branch})"
  assume_role_policy   = data.aws_iam_policy_document.github_deploy_assume[0].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # no resource-level permissions for this action
  }

  statement {
    sid = "EcrPush"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.server.arn]
  }

  statement {
    sid = "ImageTag"
    actions = [
      "ssm:GetParameter",
      "ssm:PutParameter",
    ]
    resources = [aws_ssm_parameter.image_tag.arn]
  }

  statement {
    sid = "RollInstances"
    actions = [
      "autoscaling:StartInstanceRefresh",
      "autoscaling:CancelInstanceRefresh",
    ]
    resources = [aws_autoscaling_group.app.arn]
  }

  statement {
    sid = "Describe"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeInstanceRefreshes",
      "elasticloadbalancing:DescribeTargetHealth",
      "ssm:GetCommandInvocation",
      "ssm:ListCommandInvocations",
    ]
    resources = ["*"] # describe/list calls have no resource-level permissions
  }

  # Migrations run on one of this stack's instances (watchstore-admin migrate).
  statement {
    sid       = "RunMigrationsDocument"
    actions   = ["ssm:SendCommand"]
    resources = ["arn:${local.partition}:ssm:${local.region}::document/AWS-RunShellScript"]
  }

  statement {
    sid       = "RunMigrationsInstances"
    actions   = ["ssm:SendCommand"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"]

    condition {
      test     = "StringEquals"
      variable = "ssm:resourceTag/Stack"
      values   = [local.name]
    }
  }

  statement {
    sid       = "StorefrontList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.storefront.arn]
  }

  statement {
    sid = "StorefrontWrite"
    actions = [
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = ["${aws_s3_bucket.storefront.arn}/*"]
  }

  statement {
    sid = "Invalidate"
    actions = [
      "cloudfront:CreateInvalidation",
      "cloudfront:GetInvalidation",
    ]
    resources = [aws_cloudfront_distribution.storefront.arn]
  }
}

resource "aws_iam_role_policy" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name   = "watchstore-deploy"
  role   = aws_iam_role.github_deploy[0].id
  policy = data.aws_iam_policy_document.github_deploy[0].json
}

# --- Plan role (pull requests) ---------------------------------------------------------

data "aws_iam_policy_document" "github_plan_assume" {
  count = local.github_plan_role_enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.github_plan_subject]
    }
  }
}

resource "aws_iam_role" "github_plan" {
  count = local.github_plan_role_enabled ? 1 : 0

  name                 = "${local.name}-github-plan"
  description          = "terraform plan on pull requests of ${var.github_repository} (reads this stack's configuration)"
  assume_role_policy   = data.aws_iam_policy_document.github_plan_assume[0].json
  max_session_duration = 3600
}

# terraform plan refreshes every resource of the stack: configuration reads
# (Describe/Get/List of metadata) of the services the stack uses, and no
# data-plane reads (no object contents, log events, item reads, parameter or
# secret values) beyond the state and the stack's own generated secrets, whose
# values are in the state anyway. Not AWS's ReadOnlyAccess: a pull-request
# workflow can run any step with this role.
data "aws_iam_policy_document" "github_plan_read" {
  count = local.github_plan_role_enabled ? 1 : 0

  statement {
    sid = "DescribeConfiguration"
    actions = [
      "acm:DescribeCertificate",
      "autoscaling:Describe*",
      "cloudfront:DescribeFunction",
      "cloudfront:GetCachePolicy",
      "cloudfront:GetDistribution",
      "cloudfront:GetOriginAccessControl",
      "cloudfront:GetOriginRequestPolicy",
      "cloudfront:GetResponseHeadersPolicy",
      "cloudfront:ListCachePolicies",
      "cloudfront:ListOriginRequestPolicies",
      "cloudfront:ListTagsForResource",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "ec2:Describe*",
      "ec2:GetManagedPrefixListEntries",
      "ecr:DescribeImageScanningConfiguration",
      "ecr:DescribeRepositories",
      "ecr:GetLifecyclePolicy",
      "ecr:GetRepositoryPolicy",
      "ecr:ListTagsForResource",
      "elasticache:Describe*",
      "elasticache:ListTagsForResource",
      "elasticloadbalancing:Describe*",
      "iam:GetInstanceProfile",
      "iam:GetOpenIDConnectProvider",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListOpenIDConnectProviders",
      "iam:ListRolePolicies",
      "logs:DescribeLogGroups",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
      "rds:Describe*",
      "rds:ListTagsForResource",
      "route53:GetHostedZone",
      "route53:ListResourceRecordSets",
      "route53:ListTagsForResource",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetRandomPassword",
      "secretsmanager:GetResourcePolicy",
      "sns:GetSubscriptionAttributes",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
      "ssm:DescribeParameters",
      "ssm:ListTagsForResource",
      "wafv2:GetWebACL",
      "wafv2:ListTagsForResource",
    ]
    resources = ["*"] # Describe/List calls have no resource-level permissions
  }

  statement {
    sid = "BucketConfiguration"
    actions = [
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::${local.name}-*"]
  }

  statement {
    sid     = "Parameters"
    actions = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = [
      aws_ssm_parameter.image_tag.arn,
      "arn:${local.partition}:ssm:${local.region}::parameter${var.ami_ssm_parameter}",
    ]
  }

  statement {
    sid     = "GeneratedSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.redis_auth.arn,
      aws_secretsmanager_secret.db_app.arn,
      aws_secretsmanager_secret.db_migrator.arn,
    ]
  }
}

resource "aws_iam_role_policy" "github_plan_read" {
  count = local.github_plan_role_enabled ? 1 : 0

  name   = "terraform-plan-read"
  role   = aws_iam_role.github_plan[0].id
  policy = data.aws_iam_policy_document.github_plan_read[0].json
}

data "aws_iam_policy_document" "github_plan_state" {
  count = local.github_plan_role_enabled ? 1 : 0

  statement {
    sid       = "StateList"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.terraform_state_bucket}"]
  }

  statement {
    sid       = "StateRead"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.terraform_state_bucket}/*"]
  }

  dynamic "statement" {
    for_each = var.terraform_lock_table == "" ? [] : [var.terraform_lock_table]

    content {
      sid       = "LockTableRead"
      actions   = ["dynamodb:GetItem", "dynamodb:DescribeTable"]
      resources = ["arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${statement.value}"]
    }
  }

  # The RDS-managed master password is not in the state: never readable here.
  statement {
    sid       = "NoMasterPassword"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_db_instance.main.master_user_secret[0].secret_arn]
  }
}

resource "aws_iam_role_policy" "github_plan_state" {
  count = local.github_plan_role_enabled ? 1 : 0

  name   = "terraform-state-read"
  role   = aws_iam_role.github_plan[0].id
  policy = data.aws_iam_policy_document.github_plan_state[0].json
}
