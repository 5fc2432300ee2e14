provider "aws" {
  region = var.aws_region

  # Every taggable resource gets these; resources add their own Name tag.
  default_tags {
    tags = merge(
      {
        Project     = var.project
        Environment = var.environment
        ManagedBy   = "terraform"
        Stack       = local.name
      },
      var.tags,
    )
  }
}
