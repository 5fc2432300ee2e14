# Optional Route 53 records (var.route53_zone_id set): the ALB origin name and
# the store's public names. Without a zone, create the equivalent records at
# your DNS provider (docs/DEPLOY.md, "DNS and certificates").

resource "aws_route53_record" "alb_origin" {
  count = var.route53_zone_id == "" ? 0 : 1

  zone_id = var.route53_zone_id
  name    = var.alb_origin_domain_name
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "storefront_ipv4" {
  for_each = var.route53_zone_id == "" ? toset([]) : toset(var.cloudfront_aliases)

  zone_id = var.route53_zone_id
  name    = each.value
  type    = "A"

  alias {
    name                   = aws_cloudfront_distribution.storefront.domain_name
    zone_id                = aws_cloudfront_distribution.storefront.hosted_zone_id
    evaluate_target_health = false
  }
}

resource "aws_route53_record" "storefront_ipv6" {
  for_each = var.route53_zone_id == "" ? toset([]) : toset(var.cloudfront_aliases)

  zone_id = var.route53_zone_id
  name    = each.value
  type    = "AAAA"

  alias {
    name                   = aws_cloudfront_distribution.storefront.domain_name
    zone_id                = aws_cloudfront_distribution.storefront.hosted_zone_id
    evaluate_target_health = false
  }
}
