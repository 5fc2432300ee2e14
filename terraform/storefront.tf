# Storefront: static files in a private S3 bucket, served by CloudFront through
# an origin access control (OAC). The same distribution forwards /api/* to the
# ALB, so the storefront and the API share one origin (frontend/config.json has
# apiBase "/api/v1": no CORS, cookies stay first-party).

resource "aws_s3_bucket" "storefront" {
  bucket        = "${local.name}-storefront-${local.account_id}"
  force_destroy = var.force_destroy_buckets

  tags = {
    Name = "${local.name}-storefront"
  }
}

resource "aws_s3_bucket_public_access_block" "storefront" {
  bucket = aws_s3_bucket.storefront.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "storefront" {
  bucket = aws_s3_bucket.storefront.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "storefront" {
  bucket = aws_s3_bucket.storefront.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "storefront" {
  bucket = aws_s3_bucket.storefront.id

  rule {
    apply_server_side_encryption_by_default {
      # SSE-S3: CloudFront OAC reads it without a KMS key policy.
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "storefront" {
  bucket = aws_s3_bucket.storefront.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    # Old versions stay 30 days: enough to roll a bad upload back.
    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.storefront]
}

data "aws_iam_policy_document" "storefront_bucket" {
  statement {
    sid       = "CloudFrontReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.storefront.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.storefront.arn]
    }
  }

  # With ListBucket, a missing file is a 404 rather than a 403.
  statement {
    sid       = "CloudFrontListBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.storefront.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.storefront.arn]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.storefront.arn,
      "${aws_s3_bucket.storefront.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "storefront" {
  bucket = aws_s3_bucket.storefront.id
  policy = data.aws_iam_policy_document.storefront_bucket.json

  # The public access block must exist first, or S3 may evaluate the policy
  # against a bucket that is not yet locked down.
  depends_on = [aws_s3_bucket_public_access_block.storefront]
}

# --- CloudFront ----------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "storefront" {
  name                              = "${local.name}-storefront"
  description                       = "CloudFront access to the ${local.name} storefront bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "caching_disabled" {
  name = "Managed-CachingDisabled"
}

# Every viewer header, cookie and query string goes to the API, except Host:
# CloudFront then connects with SNI = alb_origin_domain_name, which the ALB
# certificate covers.
data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

# Two header sets, the same but for the Content-Security-Policy: every
# response gets var.content_security_policy, except the payment page
# (/pay.html, the only page that loads Stripe.js), which gets
# var.payment_page_content_security_policy.
locals {
  response_header_sets = {
    security     = { name = "security-headers", csp = var.content_security_policy }
    payment_page = { name = "payment-page-headers", csp = var.payment_page_content_security_policy }
  }
}

moved {
  from = aws_cloudfront_response_headers_policy.security
  to   = aws_cloudfront_response_headers_policy.headers["security"]
}

resource "aws_cloudfront_response_headers_policy" "headers" {
  for_each = local.response_header_sets

  name    = "${local.name}-${each.value.name}"
  comment = "watchstore ${each.key} headers"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = false
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    dynamic "content_security_policy" {
      for_each = each.value.csp == "" ? [] : [each.value.csp]

      content {
        content_security_policy = content_security_policy.value
        override                = false
      }
    }
  }
}

resource "aws_cloudfront_distribution" "storefront" {
  enabled             = true
  comment             = "watchstore storefront and API (${local.name})"
  aliases             = var.cloudfront_aliases
  default_root_object = "index.html"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.cloudfront_price_class
  web_acl_id          = local.cloudfront_web_acl_arn

  dynamic "logging_config" {
    for_each = var.access_logs_enabled ? [1] : []

    content {
      bucket          = aws_s3_bucket.logs[0].bucket_domain_name
      prefix          = "cloudfront/"
      include_cookies = false
    }
  }

  origin {
    origin_id                = "storefront-s3"
    domain_name              = aws_s3_bucket.storefront.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.storefront.id
  }

  origin {
    origin_id   = "api-alb"
    domain_name = var.alb_origin_domain_name

    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 30
      origin_keepalive_timeout = 5
    }

    custom_header {
      name  = local.origin_verify_header
      value = local.origin_verify_secret
    }
  }

  # Storefront files from S3, cached at the edge.
  default_cache_behavior {
    target_origin_id           = "storefront-s3"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.headers["security"].id
  }

  # The payment page: a storefront file like the others, with the one policy
  # that lets Stripe.js load.
  ordered_cache_behavior {
    path_pattern               = "/pay.html"
    target_origin_id           = "storefront-s3"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.headers["payment_page"].id
  }

  # The API: never cached, every method, headers/cookies/query strings forwarded.
  # https-only rather than redirect: a redirected POST would turn into a GET.
  ordered_cache_behavior {
    path_pattern               = "/api/*"
    target_origin_id           = "api-alb"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.headers["security"].id
  }

  # Readable product URLs: the servers answer /watches/<slug> (the product
  # page for a current slug, a 301 from an old one, a 404), so those statuses
  # are real HTTP statuses at the edge. Read-only methods; not cached at the
  # edge, as the answer depends on the viewer's session (staff see archived
  # watches) and the server marks it no-cache with an ETag anyway (the
  # browser's revalidations are cheap 304s).
  ordered_cache_behavior {
    path_pattern               = "/watches/*"
    target_origin_id           = "api-alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.headers["security"].id
  }

  # No custom_error_response: it would apply to /api/* as well and turn API
  # errors into the storefront's index page.

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = local.cloudfront_custom_certificate ? null : true
    acm_certificate_arn            = local.cloudfront_custom_certificate ? var.cloudfront_certificate_arn : null
    ssl_support_method             = local.cloudfront_custom_certificate ? "sni-only" : null
    minimum_protocol_version       = local.cloudfront_custom_certificate ? "TLSv1.2_2021" : "TLSv1"
  }

  tags = {
    Name = "${local.name}-storefront"
  }

  # CloudFront checks the log bucket's ACL when logging is turned on.
  depends_on = [aws_s3_bucket_acl.logs]

  lifecycle {
    precondition {
      condition     = length(var.cloudfront_aliases) == 0 || local.cloudfront_custom_certificate
      error_message = "cloudfront_aliases need cloudfront_certificate_arn (an ACM certificate in us-east-1 covering them)."
    }
  }
}
