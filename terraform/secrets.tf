# Generated secrets, without the hashicorp/random provider: AWS Secrets
# Manager's GetRandomPassword makes a fresh value at every plan, and a
# terraform_data keeps the first one (ignore_changes) until it is replaced on
# purpose (terraform apply -replace='terraform_data.generated["NAME"]').
#
#   origin_verify  header value CloudFront sends and the ALB listener requires
#   redis_auth     ElastiCache AUTH token (stored in Secrets Manager below)
#   db_app         password of the application's PostgreSQL role
#   db_migrator    password of the migrations' PostgreSQL role
#   session_seal   key sealing the sessions the servers cache in Redis
#                  (WATCHSTORE_SESSION_SEAL_KEY; shared by every instance)
#
# Like random_password's result, the values are in the Terraform state: keep
# the state bucket private (deploy/bootstrap-state.sh does).

locals {
  generated_secret_names = toset(["origin_verify", "redis_auth", "db_app", "db_migrator", "session_seal"])

  origin_verify_secret = terraform_data.generated["origin_verify"].output
  redis_auth_token     = terraform_data.generated["redis_auth"].output

  # PostgreSQL roles the instances use (deploy/db-roles.sql creates them).
  db_app_role      = "watchstore_app"
  db_migrator_role = "watchstore_migrator"
}

data "aws_secretsmanager_random_password" "generated" {
  for_each = local.generated_secret_names

  # Letters and digits only: the values go into URLs and headers unescaped,
  # and ElastiCache refuses some punctuation in AUTH tokens.
  password_length     = 48
  exclude_punctuation = true
  include_space       = false
}

resource "terraform_data" "generated" {
  for_each = local.generated_secret_names

  input = data.aws_secretsmanager_random_password.generated[each.key].random_password

  lifecycle {
    ignore_changes = [input]
  }
}

# --- Secrets the instances read at service start ---------------------------------

resource "aws_secretsmanager_secret" "redis_auth" {
  name_prefix             = "${local.name}-redis-auth-"
  description             = "ElastiCache AUTH token of ${local.name} (the instances' stunnel clients send it)"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "redis_auth" {
  secret_id     = aws_secretsmanager_secret.redis_auth.id
  secret_string = jsonencode({ token = local.redis_auth_token })
}

resource "aws_secretsmanager_secret" "db_app" {
  name_prefix             = "${local.name}-db-app-"
  description             = "PostgreSQL role ${local.db_app_role} of ${local.name}: data access only (the server)"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "db_app" {
  secret_id = aws_secretsmanager_secret.db_app.id
  secret_string = jsonencode({
    username = local.db_app_role
    password = terraform_data.generated["db_app"].output
  })
}

resource "aws_secretsmanager_secret" "db_migrator" {
  name_prefix             = "${local.name}-db-migrator-"
  description             = "PostgreSQL role ${local.db_migrator_role} of ${local.name}: owns the schema (migrations)"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "db_migrator" {
  secret_id = aws_secretsmanager_secret.db_migrator.id
  secret_string = jsonencode({
    username = local.db_migrator_role
    password = terraform_data.generated["db_migrator"].output
  })
}

resource "aws_secretsmanager_secret" "session_seal" {
  name_prefix             = "${local.name}-session-seal-"
  description             = "Key sealing the sessions ${local.name}'s servers cache in Redis (WATCHSTORE_SESSION_SEAL_KEY)"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "session_seal" {
  secret_id     = aws_secretsmanager_secret.session_seal.id
  secret_string = jsonencode({ key = terraform_data.generated["session_seal"].output })
}

# --- Stripe keys (docs/DEPLOY.md, "Payments: Stripe") -----------------------------
# Terraform makes the two secrets but never writes their values: you put them
# in (aws secretsmanager put-secret-value), so the keys are in no Terraform
# state, plan or user data. Plain SecretString values:
#   stripe_secret_key      sk_live_... (or a restricted rk_live_... key)
#   stripe_webhook_secret  whsec_...; during a rotation "whsec_new,whsec_old"
# With payments_provider = "stripe" the instances may read them and do so at
# every service start (WATCHSTORE_STRIPE_SECRET_KEY, _WEBHOOK_SECRET).

resource "aws_secretsmanager_secret" "stripe_secret_key" {
  name_prefix             = "${local.name}-stripe-secret-key-"
  description             = "Stripe secret API key of ${local.name} (WATCHSTORE_STRIPE_SECRET_KEY); its value is put in by hand"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "stripe_webhook_secret" {
  name_prefix             = "${local.name}-stripe-webhook-secret-"
  description             = "Signing secret(s) of ${local.name}'s Stripe webhook endpoint, comma-separated during a rotation (WATCHSTORE_STRIPE_WEBHOOK_SECRET); put in by hand"
  recovery_window_in_days = 7
}

locals {
  stripe_enabled = var.payments_provider == "stripe"
}
