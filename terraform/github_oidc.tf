# GitHub Actions -> AWS through OIDC: short-lived credentials, no stored keys.
# Created when var.github_repository is set.
#
#   deploy role : jobs in the GitHub environment var.github_environment of that
#                 repository (backend.yml, frontend.yml deploy jobs): push the
#                 image, publish its tag, run migrations via SSM, roll the ASG,
#                 sync the storefront bucket, invalidate CloudFront.
#   plan role   : pull-request runs (terraform.yml): read-only, for terraform plan.

locals {
  github_oidc_host = "token.actions.githubusercontent.com"
  github_oidc_provider_arn = local.github_enabled ? (
    var.github_create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  ) : ""
  github_plan_role_enabled = local.github_enabled && var.terraform_state_bucket != ""
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
      values   = ["repo:${var.github_repository}:environment:${var.github_environment}"]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  count = local.github_enabled ? 1 : 0

  name                 = "${local.name}-github-deploy"
  description          = "GitHub Actions deploys of ${var.github_repository} (environment ${var.github_environment})"
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
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

resource "aws_iam_role" "github_plan" {
  count = local.github_plan_role_enabled ? 1 : 0

  name                 = "${local.name}-github-plan"
  description          = "terraform plan on pull requests of ${var.github_repository} (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.github_plan_assume[0].json
  max_session_duration = 3600
}

# terraform plan refreshes every resource, so it needs to describe all of them.
resource "aws_iam_role_policy_attachment" "github_plan_read_only" {
  count = local.github_plan_role_enabled ? 1 : 0

  role       = aws_iam_role.github_plan[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
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

  # ReadOnlyAccess includes reading Secrets Manager metadata but not values;
  # make the boundary explicit for the RDS-managed master password.
  statement {
    sid       = "NoSecretValues"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "github_plan_state" {
  count = local.github_plan_role_enabled ? 1 : 0

  name   = "terraform-state-read"
  role   = aws_iam_role.github_plan[0].id
  policy = data.aws_iam_policy_document.github_plan_state[0].json
}
