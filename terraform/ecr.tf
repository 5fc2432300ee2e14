# Container registry for the server image. Tags are immutable: every build is
# pushed under its git commit SHA, and the SHA a stack runs is kept in the SSM
# parameter below (that is what a deploy or a rollback changes).

resource "aws_ecr_repository" "server" {
  name                 = local.ecr_repository_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.ecr_force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = {
    Name = local.ecr_repository_name
  }
}

resource "aws_ecr_lifecycle_policy" "server" {
  repository = aws_ecr_repository.server.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images (superseded manifests, build leftovers) after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the ${var.ecr_keep_images} most recent images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# The image tag the instances run. Created with var.initial_image_tag; then
# owned by the deploy pipeline (.github/workflows/backend.yml) and by operators
# rolling back, so Terraform does not reset it.
resource "aws_ssm_parameter" "image_tag" {
  name        = local.image_tag_parameter_name
  description = "Tag of ${aws_ecr_repository.server.repository_url} that the ${local.name} instances run"
  type        = "String"
  value       = var.initial_image_tag

  lifecycle {
    ignore_changes = [value]
  }
}
