# PostgreSQL 15 on RDS: private data subnets, encrypted, TLS forced, automated
# backups, Multi-AZ and deletion protection as variables. The master password is
# generated, stored and rotated by RDS in AWS Secrets Manager
# (manage_master_user_password): it never appears in Terraform code or state.
# The app instances read that secret at service start (iam.tf scopes the
# permission to this one secret ARN).

resource "aws_db_subnet_group" "main" {
  name        = "${local.name}-postgres"
  description = "watchstore PostgreSQL: private data subnets"
  subnet_ids  = aws_subnet.data[*].id

  tags = {
    Name = "${local.name}-postgres"
  }
}

resource "aws_db_parameter_group" "main" {
  name_prefix = "${local.name}-postgres15-"
  family      = "postgres15"
  description = "watchstore PostgreSQL 15 parameters"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Log statements slower than 500 ms (CloudWatch log export below).
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "main" {
  identifier     = "${local.name}-postgres"
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  db_name                     = var.db_name
  username                    = var.db_username
  manage_master_user_password = true
  port                        = 5432

  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true

  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az
  parameter_group_name   = aws_db_parameter_group.main.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.db_backup_retention_days
  backup_window             = var.db_backup_window
  maintenance_window        = var.db_maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.db_deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-postgres-final"

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = false

  performance_insights_enabled          = var.db_performance_insights
  performance_insights_retention_period = var.db_performance_insights ? 7 : null
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  tags = {
    Name = "${local.name}-postgres"
  }

  lifecycle {
    precondition {
      condition     = var.db_max_allocated_storage_gb == 0 || var.db_max_allocated_storage_gb >= var.db_allocated_storage_gb
      error_message = "db_max_allocated_storage_gb must be 0 (no storage autoscaling) or at least db_allocated_storage_gb."
    }
  }
}

# Optional read replicas (var.db_read_replicas): streaming copies of the
# primary in the same data subnets, for catalog reads. They take the
# primary's roles, parameters, encryption and privacy (the same settings,
# read from it); backups and the final snapshot
# belong to the primary. A replica that lags or fails is taken out of the
# servers' rotation by the servers themselves (docs/DESIGN.md, "Read
# replicas"); ReplicaLag has an alarm (monitoring.tf).
resource "aws_db_instance" "replica" {
  count = var.db_read_replicas

  identifier          = "${local.name}-postgres-replica-${count.index + 1}"
  replicate_source_db = aws_db_instance.main.identifier
  instance_class      = var.db_replica_instance_class != "" ? var.db_replica_instance_class : var.db_instance_class
  port                = 5432

  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = aws_db_instance.main.storage_encrypted

  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = aws_db_instance.main.publicly_accessible
  multi_az               = false
  parameter_group_name   = aws_db_parameter_group.main.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period = 0
  maintenance_window      = var.db_maintenance_window
  copy_tags_to_snapshot   = true
  deletion_protection     = false
  skip_final_snapshot     = true

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = false

  performance_insights_enabled          = var.db_performance_insights
  performance_insights_retention_period = var.db_performance_insights ? 7 : null
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  tags = {
    Name = "${local.name}-postgres-replica-${count.index + 1}"
  }
}
