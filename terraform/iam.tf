# Instance role of the app servers, least privilege:
#   - SSM Session Manager (no SSH, no key pairs, no port 22 anywhere)
#   - pull from this stack's ECR repository only
#   - write to this stack's server log group only
#   - read this stack's image-tag parameter and its own secrets only: the app and
#     migrator database roles, the Redis AUTH token, and the RDS-managed master
#     secret (used by `watchstore-admin db-roles` only, never by the server)

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "${local.name}-app"
  description        = "watchstore app instances (${local.name})"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy_attachment" "app_ssm" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level permissions
  }

  statement {
    sid = "EcrPull"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.server.arn]
  }

  statement {
    sid = "ContainerLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${aws_cloudwatch_log_group.server.arn}:*"]
  }

  statement {
    sid       = "ImageTag"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.image_tag.arn]
  }

  statement {
    sid = "StackSecrets"
    actions = [
      "secretsmanager:GetSecretValue",
      "secretsmanager:DescribeSecret",
    ]
    resources = compact([
      aws_secretsmanager_secret.db_app.arn,
      aws_secretsmanager_secret.db_migrator.arn,
      aws_secretsmanager_secret.redis_auth.arn,
      aws_secretsmanager_secret.session_seal.arn,
      aws_db_instance.main.master_user_secret[0].secret_arn,
      var.smtp_password_secret_arn,
      local.stripe_enabled ? aws_secretsmanager_secret.stripe_secret_key.arn : "",
      local.stripe_enabled ? aws_secretsmanager_secret.stripe_webhook_secret.arn : "",
    ])
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "watchstore-app"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_instance_profile" "app" {
  name = "${local.name}-app"
  role = aws_iam_role.app.name
}
