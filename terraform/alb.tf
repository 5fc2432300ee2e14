# Application load balancer in the public subnets, in front of the app instances.
# CloudFront is its only client: the security group admits CloudFront's
# origin-facing addresses only (security_groups.tf), /api/* is forwarded here
# over HTTPS with a secret header, and requests without it get 403. There is
# no port 80 listener: CloudFront reaches the origin over HTTPS only.

resource "aws_lb" "main" {
  name               = "${local.name}-alb"
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.alb.id]
  subnets            = aws_subnet.public[*].id

  # Request smuggling defences: malformed header names are dropped and
  # ambiguous requests (HTTP desync classification) are refused.
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"

  enable_deletion_protection = var.alb_deletion_protection
  enable_http2               = true
  idle_timeout               = local.alb_idle_timeout_seconds
  xff_header_processing_mode = "append"

  dynamic "access_logs" {
    for_each = var.access_logs_enabled ? [1] : []

    content {
      bucket  = aws_s3_bucket.logs[0].id
      prefix  = "alb"
      enabled = true
    }
  }

  tags = {
    Name = "${local.name}-alb"
  }

  # The bucket policy must let the ELB log delivery write before the ALB
  # checks it (it writes a test object when access logs are turned on).
  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_lb_target_group" "app" {
  name                 = "${local.name}-app"
  vpc_id               = aws_vpc.main.id
  target_type          = "instance"
  protocol             = "HTTP"
  protocol_version     = "HTTP1"
  port                 = var.app_port
  deregistration_delay = 30

  # /readyz: the process is up and PostgreSQL answers (a Redis outage only
  # degrades: reads fall through to PostgreSQL). An instance that cannot reach
  # its database is taken out of rotation.
  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = {
    Name = "${local.name}-app"
  }
}

# The secret header value CloudFront adds (storefront.tf) comes from secrets.tf.
# Rotate with: terraform apply -replace='terraform_data.generated["origin_verify"]'
# (docs/DEPLOY.md, "Rotating the origin secret").

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.alb_ssl_policy
  certificate_arn   = var.alb_certificate_arn

  default_action {
    type             = var.restrict_alb_to_cloudfront ? "fixed-response" : "forward"
    target_group_arn = var.restrict_alb_to_cloudfront ? null : aws_lb_target_group.app.arn

    dynamic "fixed_response" {
      for_each = var.restrict_alb_to_cloudfront ? [1] : []

      content {
        content_type = "text/plain"
        message_body = "Forbidden"
        status_code  = "403"
      }
    }
  }
}

resource "aws_lb_listener_rule" "from_cloudfront" {
  count = var.restrict_alb_to_cloudfront ? 1 : 0

  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    http_header {
      http_header_name = local.origin_verify_header
      values           = [local.origin_verify_secret]
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}
