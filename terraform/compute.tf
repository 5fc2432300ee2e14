# App servers: an auto scaling group of Amazon Linux 2023 instances in the
# private app subnets, each running the server container under systemd
# (templates/user_data.sh.tftpl). No SSH: operators use SSM Session Manager.

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

resource "aws_cloudwatch_log_group" "server" {
  name              = local.server_log_group_name
  retention_in_days = var.log_retention_days
}

locals {
  user_data = templatefile("${path.module}/templates/user_data.sh.tftpl", {
    region                  = local.region
    image_repository        = aws_ecr_repository.server.repository_url
    registry                = split("/", aws_ecr_repository.server.repository_url)[0]
    image_tag_parameter     = aws_ssm_parameter.image_tag.name
    db_master_secret_arn    = aws_db_instance.main.master_user_secret[0].secret_arn
    db_app_secret_arn       = aws_secretsmanager_secret.db_app.arn
    db_migrator_secret_arn  = aws_secretsmanager_secret.db_migrator.arn
    db_host                 = aws_db_instance.main.address
    db_port                 = aws_db_instance.main.port
    db_name                 = var.db_name
    db_sslmode              = var.db_sslmode
    redis_host              = aws_elasticache_replication_group.redis.primary_endpoint_address
    redis_port              = aws_elasticache_replication_group.redis.port
    redis_auth_secret_arn   = aws_secretsmanager_secret.redis_auth.arn
    session_seal_secret_arn = aws_secretsmanager_secret.session_seal.arn
    # The ALB's nodes live in the VPC: connections from it carry the client
    # address in X-Forwarded-For, 2 entries from the right (CloudFront adds
    # the viewer, the ALB appends CloudFront's edge address).
    trusted_proxies          = var.vpc_cidr
    redis_tunnel_port        = local.redis_tunnel_port
    app_port                 = var.app_port
    log_group                = aws_cloudwatch_log_group.server.name
    server_threads           = var.server_threads
    keep_alive_timeout       = "${local.server_keep_alive_timeout_seconds}s"
    smtp_url                 = var.smtp_url
    smtp_username            = var.smtp_username
    smtp_password_secret_arn = var.smtp_password_secret_arn
    payments_provider        = var.payments_provider
    stripe_publishable_key   = var.stripe_publishable_key
    stripe_secret_key_arn    = aws_secretsmanager_secret.stripe_secret_key.arn
    stripe_webhook_arn       = aws_secretsmanager_secret.stripe_webhook_secret.arn
    server_environment       = join("\n", [for k in sort(keys(var.server_environment)) : "${k}=${var.server_environment[k]}"])
    db_roles_sql             = file("${path.module}/../deploy/db-roles.sql")
    stop_timeout_seconds     = local.container_stop_timeout_seconds
  })

  # The container gets this long to stop after SIGTERM; the ALB drains a
  # target for deregistration_delay (alb.tf) before the instance is stopped.
  container_stop_timeout_seconds = 25
}

resource "aws_launch_template" "app" {
  name                   = "${local.name}-app"
  description            = "watchstore app server (${local.name})"
  image_id               = data.aws_ssm_parameter.ami.insecure_value
  instance_type          = var.instance_type
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.app.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.app.arn
  }

  # IMDSv2 only; hop limit 1 keeps the instance credentials away from the
  # containers (they sit one network hop further, behind the docker bridge).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  # gzip: cloud-init unpacks it; EC2's 16 KiB limit applies to what is sent.
  user_data = base64gzip(local.user_data)

  # default_tags do not reach launched instances; tag them here. The Stack tag
  # scopes the CI role's ssm:SendCommand to this stack's instances.
  tag_specifications {
    resource_type = "instance"

    tags = merge(var.tags, {
      Name        = "${local.name}-app"
      Project     = var.project
      Environment = var.environment
      Stack       = local.name
    })
  }

  tag_specifications {
    resource_type = "volume"

    tags = merge(var.tags, {
      Name        = "${local.name}-app"
      Project     = var.project
      Environment = var.environment
      Stack       = local.name
    })
  }

  tags = {
    Name = "${local.name}-app"
  }
}

resource "aws_autoscaling_group" "app" {
  name                = "${local.name}-app"
  vpc_zone_identifier = aws_subnet.app[*].id
  target_group_arns   = [aws_lb_target_group.app.arn]

  min_size = var.asg_min_size
  max_size = var.asg_max_size
  # No desired_capacity: the group starts at min_size and the scaling policies
  # own the number from then on (Terraform would otherwise reset it).

  health_check_type         = var.asg_health_check_type
  health_check_grace_period = 300
  default_instance_warmup   = 180
  wait_for_capacity_timeout = "15m"
  termination_policies      = ["OldestLaunchTemplate", "OldestInstance"]
  capacity_rebalance        = false
  protect_from_scale_in     = false

  enabled_metrics = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
  ]

  launch_template {
    id      = aws_launch_template.app.id
    version = aws_launch_template.app.latest_version
  }

  # A launch template change (new AMI, instance type, user data) rolls the
  # group; image deploys roll it from CI with the same preferences
  # (`aws autoscaling start-instance-refresh`, the tag lives in SSM). Launch
  # before terminate: new instances must be healthy before old ones go, so
  # capacity never drops below 100 % (the group briefly runs up to 200 %).
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      instance_warmup        = 180
      skip_matching          = false
    }
  }

  tag {
    key                 = "Name"
    value               = "${local.name}-app"
    propagate_at_launch = true
  }

  lifecycle {
    precondition {
      condition     = var.asg_max_size >= var.asg_min_size
      error_message = "asg_max_size must be at least asg_min_size."
    }

    precondition {
      # base64 of the gzip: 4 characters per 3 bytes.
      condition     = length(base64gzip(local.user_data)) * 3 / 4 <= 16384
      error_message = "The gzipped user data is over EC2's 16 KiB limit."
    }
  }
}

# Target tracking: hold average CPU at var.cpu_target_percent.
resource "aws_autoscaling_policy" "cpu" {
  name                   = "${local.name}-cpu-target"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }

    target_value = var.cpu_target_percent
  }
}

# Optional second target: ALB requests per instance (scale out on whichever is hotter).
resource "aws_autoscaling_policy" "requests" {
  count = var.requests_per_target > 0 ? 1 : 0

  name                   = "${local.name}-requests-target"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.main.arn_suffix}/${aws_lb_target_group.app.arn_suffix}"
    }

    target_value = var.requests_per_target
  }
}
