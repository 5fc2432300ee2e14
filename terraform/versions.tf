terraform {
  # 1.6+: S3 backend options used in backend.tf.example, validation and
  # precondition blocks, optional() object attributes.
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x only: the 6.0 release changed several arguments used here
      # (for example ElastiCache at_rest_encryption_enabled became a string).
      version = "~> 5.60"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
