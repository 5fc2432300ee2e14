locals {
  provider_default_tags = merge(
    {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
      Stack       = "${var.project}-${var.environment}"
    },
    var.tags,
  )
}

provider "aws" {
  region = var.aws_region

  # Every taggable resource gets these; resources add their own Name tag.
  default_tags {
    tags = local.provider_default_tags
  }
}

# CloudFront's web ACL (scope CLOUDFRONT) must be created in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.provider_default_tags
  }
}
