# Inputs of the watchstore AWS stack. Required inputs (no default):
# aws_region, alb_certificate_arn, alb_origin_domain_name.
# See docs/DEPLOY.md for what each knob costs and when to turn it.

# --- Identity ------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region for everything except CloudFront (global). Example: eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1 or us-gov-west-1."
  }
}

variable "project" {
  description = "Short project name, used as the first part of resource names."
  type        = string
  default     = "watchstore"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.project))
    error_message = "project must be 2-16 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, ...), the second part of resource names. Several environments can share an account."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,7}$", var.environment))
    error_message = "environment must be 1-8 lowercase letters or digits, starting with a letter (names such as the ALB's are limited to 32 characters)."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource (merged into the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# --- Network -------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC. Public, app and data subnets are carved out of it as /24s (for a /16)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR with a prefix length between /16 and /20."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets, instances, RDS Multi-AZ and Redis replicas over."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3 && floor(var.az_count) == var.az_count
    error_message = "az_count must be 2 or 3 (RDS and ElastiCache subnet groups need at least two AZs)."
  }
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway shared by all private app subnets (cheaper; outbound traffic from the other AZs depends on that AZ). false: one NAT gateway per AZ (highly available outbound)."
  type        = bool
  default     = true
}

variable "enable_vpc_flow_logs" {
  description = "Record VPC flow logs (rejected and accepted traffic) to CloudWatch Logs."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (server containers, VPC flow logs)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

# --- Application instances ------------------------------------------------------

variable "app_port" {
  description = "Port the server container is published on, on each instance (the ALB target port)."
  type        = number
  default     = 8080

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be an unprivileged port, 1024-65535."
  }
}

variable "initial_image_tag" {
  description = "Image tag written to the image-tag SSM parameter when it is created. Afterwards the deploy pipeline owns the parameter and Terraform ignores its value."
  type        = string
  default     = "unset"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.initial_image_tag))
    error_message = "initial_image_tag must be a valid container image tag (letters, digits, _ . -, at most 128 characters)."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the app servers. Must match the AMI architecture (x86_64 by default: t3/m6i/c6i...)."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.small."
  }
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter holding the AMI id of the app servers (Amazon Linux 2023). Use .../al2023-ami-kernel-default-arm64 with Graviton instance types and an arm64 image."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/aws/service/ami-amazon-linux-latest/al2023-")
    error_message = "ami_ssm_parameter must be an Amazon Linux 2023 public parameter (the user data uses dnf and the AL2023 docker package)."
  }
}

variable "root_volume_size_gb" {
  description = "Size of each instance's encrypted gp3 root volume (OS, Docker images, container logs buffer)."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 200
    error_message = "root_volume_size_gb must be between 8 and 200."
  }
}

variable "asg_min_size" {
  description = "Minimum number of app instances. Keep at least 2 (one per AZ) for availability."
  type        = number
  default     = 2

  validation {
    condition     = var.asg_min_size >= 1 && var.asg_min_size <= 50
    error_message = "asg_min_size must be between 1 and 50."
  }
}

variable "asg_max_size" {
  description = "Maximum number of app instances the target-tracking policies may scale out to."
  type        = number
  default     = 6

  validation {
    condition     = var.asg_max_size >= 1 && var.asg_max_size <= 100
    error_message = "asg_max_size must be between 1 and 100."
  }
}

variable "asg_health_check_type" {
  description = "ELB: instances failing the load balancer's /readyz check are replaced (and instance refreshes stop on a bad image). EC2: only instance status checks count (use while RDS or Redis is down for long, to avoid replacing healthy instances)."
  type        = string
  default     = "ELB"

  validation {
    condition     = contains(["ELB", "EC2"], var.asg_health_check_type)
    error_message = "asg_health_check_type must be ELB or EC2."
  }
}

variable "cpu_target_percent" {
  description = "Target-tracking scaling: average CPU utilisation of the group to hold."
  type        = number
  default     = 50

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 10 and 90."
  }
}

variable "requests_per_target" {
  description = "Target-tracking scaling on ALB requests per instance per minute; 0 disables this second policy. Derive it from a load test (bench/)."
  type        = number
  default     = 0

  validation {
    condition     = var.requests_per_target >= 0
    error_message = "requests_per_target must be 0 (disabled) or positive."
  }
}

variable "server_threads" {
  description = "WATCHSTORE_THREADS for the server (worker threads = concurrently served keep-alive connections); 0 keeps the server's default."
  type        = number
  default     = 0

  validation {
    condition     = var.server_threads >= 0 && var.server_threads <= 1024
    error_message = "server_threads must be between 0 and 1024."
  }
}

variable "server_environment" {
  description = "Extra WATCHSTORE_* settings for the server container, e.g. { WATCHSTORE_DB_POOL_SIZE = \"16\", WATCHSTORE_ACCESS_LOG = \"stdout\" }. Not for secrets (they end up in the launch template's user data)."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([for k, v in var.server_environment :
      can(regex("^WATCHSTORE_[A-Z0-9_]+$", k)) &&
      !contains(["WATCHSTORE_LISTEN", "WATCHSTORE_DATABASE_URL", "WATCHSTORE_REDIS_URL", "WATCHSTORE_THREADS", "WATCHSTORE_INSECURE_COOKIES", "WATCHSTORE_ADMIN_PASSWORD", "WATCHSTORE_SESSION_SEAL_KEY", "WATCHSTORE_TRUSTED_PROXIES", "WATCHSTORE_CLIENT_ADDRESS_HEADER", "WATCHSTORE_TRUSTED_HOPS", "WATCHSTORE_SMTP_URL", "WATCHSTORE_SMTP_USERNAME", "WATCHSTORE_SMTP_PASSWORD", "WATCHSTORE_PAYMENTS", "WATCHSTORE_STRIPE_SECRET_KEY", "WATCHSTORE_STRIPE_WEBHOOK_SECRET", "WATCHSTORE_STRIPE_PUBLISHABLE_KEY", "WATCHSTORE_STRIPE_API_BASE", "WATCHSTORE_KEEP_ALIVE_TIMEOUT"], k) &&
      !can(regex("[\r\n]", v))
    ])
    error_message = "server_environment keys must be WATCHSTORE_* names other than LISTEN, DATABASE_URL, REDIS_URL, THREADS (use server_threads), KEEP_ALIVE_TIMEOUT (derived from alb_idle_timeout_seconds), SESSION_SEAL_KEY (a generated secret), TRUSTED_PROXIES, CLIENT_ADDRESS_HEADER and TRUSTED_HOPS (set for the shipped topology), SMTP_URL/USERNAME/PASSWORD (use the smtp_* variables), PAYMENTS and STRIPE_* (use payments_provider, stripe_publishable_key and the Stripe secrets), INSECURE_COOKIES and ADMIN_PASSWORD; values must be single lines."
  }
}

# --- Payments ---------------------------------------------------------------------

variable "payments_provider" {
  description = "Who takes the payments: \"manual\" (bank transfer, recorded by staff) or \"stripe\" (card payments through Stripe). Before choosing \"stripe\", put the keys into the two Stripe secrets this stack makes (outputs stripe_secret_key_secret_arn and stripe_webhook_secret_arn; docs/DEPLOY.md, \"Payments: Stripe\")."
  type        = string
  default     = "manual"

  validation {
    condition     = contains(["manual", "stripe"], var.payments_provider)
    error_message = "payments_provider must be \"manual\" or \"stripe\"."
  }
}

variable "stripe_publishable_key" {
  description = "Stripe's publishable key (pk_live_... or pk_test_...): public by design, handed to the storefront's Stripe.js. Required when payments_provider is \"stripe\"."
  type        = string
  default     = ""

  validation {
    condition     = var.stripe_publishable_key == "" || can(regex("^pk_(live|test)_[A-Za-z0-9]+$", var.stripe_publishable_key))
    error_message = "stripe_publishable_key must be a publishable key (pk_live_... or pk_test_...), never a secret key."
  }

  validation {
    condition     = var.payments_provider != "stripe" || var.stripe_publishable_key != ""
    error_message = "payments_provider = \"stripe\" needs stripe_publishable_key."
  }
}

# --- E-mail -----------------------------------------------------------------------

variable "smtp_url" {
  description = "SMTP relay for the store's e-mail, e.g. smtp://email-smtp.eu-west-1.amazonaws.com:587 (Amazon SES; STARTTLS is required). Empty: messages are written inside the container only (development)."
  type        = string
  default     = ""

  validation {
    condition     = var.smtp_url == "" || can(regex("^smtps?://[A-Za-z0-9.-]+(:[0-9]+)?$", var.smtp_url))
    error_message = "smtp_url must be smtp://host:port or smtps://host:port, without credentials (use smtp_username and smtp_password_secret_arn)."
  }
}

variable "smtp_username" {
  description = "SMTP AUTH user name (for SES: the SMTP credentials' user name). Empty: no AUTH."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("[\\s]", var.smtp_username))
    error_message = "smtp_username must not contain white space."
  }
}

variable "smtp_password_secret_arn" {
  description = "ARN of a Secrets Manager secret whose SecretString is the SMTP password (for SES: the SMTP password derived from the IAM key). The instances may read it. Empty: no password."
  type        = string
  default     = ""

  validation {
    condition     = var.smtp_password_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.smtp_password_secret_arn))
    error_message = "smtp_password_secret_arn must be a Secrets Manager ARN or empty."
  }
}


# --- Load balancer and TLS ------------------------------------------------------

variable "alb_certificate_arn" {
  description = "ARN of an issued ACM certificate in aws_region for the HTTPS listener. It must cover alb_origin_domain_name."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.alb_certificate_arn))
    error_message = "alb_certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "alb_origin_domain_name" {
  description = "DNS name CloudFront uses to reach the ALB over HTTPS, e.g. origin.shop.example.com. It must resolve to the ALB (created for you when route53_zone_id is set) and be covered by alb_certificate_arn."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.alb_origin_domain_name))
    error_message = "alb_origin_domain_name must be a lowercase DNS name such as origin.shop.example.com."
  }
}

variable "alb_ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.alb_ssl_policy, "ELBSecurityPolicy-TLS13-") || startswith(var.alb_ssl_policy, "ELBSecurityPolicy-FS-1-2-")
    error_message = "alb_ssl_policy must be a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-* or ELBSecurityPolicy-FS-1-2-*)."
  }
}

variable "alb_idle_timeout_seconds" {
  description = "ALB idle timeout. The servers' keep-alive timeout is derived from it (15 s longer, main.tf), so an idle connection is always closed by the ALB first."
  type        = number
  default     = 60

  validation {
    condition     = var.alb_idle_timeout_seconds >= 30 && var.alb_idle_timeout_seconds <= 3600 && floor(var.alb_idle_timeout_seconds) == var.alb_idle_timeout_seconds
    error_message = "alb_idle_timeout_seconds must be a whole number between 30 and 3600."
  }
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion (turn off before terraform destroy)."
  type        = bool
  default     = true
}

variable "access_logs_enabled" {
  description = "Write CloudFront, ALB and storefront-bucket access logs to the log bucket this stack creates (logs.tf)."
  type        = bool
  default     = true
}

variable "access_logs_retention_days" {
  description = "Days the log bucket keeps access logs."
  type        = number
  default     = 90

  validation {
    condition     = var.access_logs_retention_days >= 1 && var.access_logs_retention_days <= 3650
    error_message = "access_logs_retention_days must be between 1 and 3650."
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete the storefront and log buckets with their objects and versions. Keep false in production; set true (and apply) right before a deliberate teardown."
  type        = bool
  default     = false
}

variable "restrict_alb_to_cloudfront" {
  description = "Admit only CloudFront's origin-facing addresses (AWS managed prefix list) to the ALB, and forward only requests carrying CloudFront's secret X-Origin-Verify header (anything else gets 403). false: HTTPS from anywhere, forwarded (testing without CloudFront only)."
  type        = bool
  default     = true
}

# --- Storefront (S3 + CloudFront) -----------------------------------------------

variable "cloudfront_aliases" {
  description = "Public host names of the store (e.g. [\"shop.example.com\"]); empty serves on the *.cloudfront.net name only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.cloudfront_aliases : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", a))])
    error_message = "Every cloudfront_aliases entry must be a lowercase DNS name."
  }
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 covering cloudfront_aliases; required when aliases are set, empty otherwise."
  type        = string
  default     = ""

  validation {
    condition     = var.cloudfront_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$", var.cloudfront_certificate_arn))
    error_message = "cloudfront_certificate_arn must be empty or an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from us-east-1)."
  }
}

variable "cloudfront_price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe), PriceClass_200, or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "waf_enabled" {
  description = "Create a WAFv2 web ACL for CloudFront (waf.tf): AWS managed rule groups and a rate limit on the sign-in/registration API. Ignored when cloudfront_web_acl_arn is set."
  type        = bool
  default     = true
}

variable "waf_auth_rate_limit" {
  description = "Requests per client IP per 5 minutes allowed to /api/v1/auth/* before WAF blocks that IP (rate-based rule)."
  type        = number
  default     = 100

  validation {
    condition     = var.waf_auth_rate_limit >= 10 && var.waf_auth_rate_limit <= 2000000000
    error_message = "waf_auth_rate_limit must be at least 10 (the WAF minimum)."
  }
}

variable "cloudfront_web_acl_arn" {
  description = "Existing AWS WAFv2 web ACL ARN (scope CLOUDFRONT, us-east-1) to attach instead of the one this stack creates; empty: use waf_enabled."
  type        = string
  default     = ""

  validation {
    condition     = var.cloudfront_web_acl_arn == "" || can(regex("^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/.+$", var.cloudfront_web_acl_arn))
    error_message = "cloudfront_web_acl_arn must be empty or a WAFv2 global web ACL ARN."
  }
}

variable "content_security_policy" {
  description = "Content-Security-Policy header CloudFront adds to storefront and API responses; empty sends none."
  type        = string
  default     = "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

variable "route53_zone_id" {
  description = "Optional Route 53 hosted zone id: when set, records are created for alb_origin_domain_name (-> ALB) and every cloudfront_aliases entry (-> CloudFront)."
  type        = string
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be empty or a hosted zone id (Z...)."
  }
}

# --- PostgreSQL (RDS) -----------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class for PostgreSQL."
  type        = string
  default     = "db.t4g.small"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS class such as db.t4g.small or db.m7g.large."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL engine version: \"15\" (latest 15.x minor, upgraded automatically) or a pinned 15.x."
  type        = string
  default     = "15"

  validation {
    condition     = can(regex("^15(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be 15 or 15.<minor>: the schema and the CI suite target PostgreSQL 15."
  }
}

variable "db_name" {
  description = "Name of the application database created in the instance."
  type        = string
  default     = "watchstore"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and contain only lowercase letters, digits and underscores."
  }
}

variable "db_username" {
  description = "Master user name. Its password is generated and rotated by RDS in AWS Secrets Manager (never in Terraform state)."
  type        = string
  default     = "watchstore"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.db_username)) && !contains(["postgres", "rdsadmin", "admin"], var.db_username)
    error_message = "db_username must be 1-16 lowercase letters, digits or underscores, start with a letter, and not be a reserved name."
  }
}

variable "db_allocated_storage_gb" {
  description = "Initial gp3 storage of the database, in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage_gb >= 20 && var.db_allocated_storage_gb <= 65536
    error_message = "db_allocated_storage_gb must be between 20 and 65536."
  }
}

variable "db_max_allocated_storage_gb" {
  description = "Upper bound for RDS storage autoscaling, in GiB; 0 disables storage autoscaling."
  type        = number
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage_gb == 0 || (var.db_max_allocated_storage_gb >= 20 && var.db_max_allocated_storage_gb <= 65536)
    error_message = "db_max_allocated_storage_gb must be 0 or between 20 and 65536."
  }
}

variable "db_multi_az" {
  description = "Run a synchronous standby in a second AZ with automatic failover (doubles the instance cost)."
  type        = bool
  default     = true
}

variable "db_deletion_protection" {
  description = "Protect the database from deletion (turn off deliberately before destroying the stack)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery."
  type        = number
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35 (0 would disable automated backups)."
  }
}

variable "db_backup_window" {
  description = "Daily automated backup window, UTC (hh24:mi-hh24:mi); must not overlap the maintenance window."
  type        = string
  default     = "02:00-03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.db_backup_window))
    error_message = "db_backup_window must look like 02:00-03:00."
  }
}

variable "db_maintenance_window" {
  description = "Weekly maintenance window, UTC (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:03:30-sun:04:30"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$", var.db_maintenance_window))
    error_message = "db_maintenance_window must look like sun:03:30-sun:04:30."
  }
}

variable "db_performance_insights" {
  description = "Enable Performance Insights (7 days retention, free tier). Not supported on the smallest instance classes."
  type        = bool
  default     = false
}

variable "db_connections_alarm" {
  description = "Alarm when PostgreSQL has more connections than this (set below the instance class's max_connections)."
  type        = number
  default     = 150

  validation {
    condition     = var.db_connections_alarm >= 1
    error_message = "db_connections_alarm must be positive."
  }
}

variable "db_sslmode" {
  description = "libpq sslmode the servers use towards RDS. verify-full checks the RDS certificate against the AWS RDS CA bundle downloaded at boot."
  type        = string
  default     = "verify-full"

  validation {
    condition     = contains(["require", "verify-ca", "verify-full"], var.db_sslmode)
    error_message = "db_sslmode must be require, verify-ca or verify-full (the parameter group forces TLS)."
  }
}

# --- Redis (ElastiCache) --------------------------------------------------------

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"

  validation {
    condition     = startswith(var.redis_node_type, "cache.")
    error_message = "redis_node_type must be an ElastiCache node type such as cache.t4g.small."
  }
}

variable "redis_engine_version" {
  description = "Redis OSS engine version of the replication group."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^7\\.[0-9]+$", var.redis_engine_version))
    error_message = "redis_engine_version must be a Redis 7 version such as 7.1."
  }
}

variable "redis_num_cache_clusters" {
  description = "Nodes in the replication group: 1 = primary only; 2+ = replicas in other AZs with automatic failover."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_num_cache_clusters >= 1 && var.redis_num_cache_clusters <= 6
    error_message = "redis_num_cache_clusters must be between 1 and 6."
  }
}

variable "redis_snapshot_retention_days" {
  description = "Days of daily Redis snapshots; 0 disables them (the cache holds nothing that is not in PostgreSQL)."
  type        = number
  default     = 1

  validation {
    condition     = var.redis_snapshot_retention_days >= 0 && var.redis_snapshot_retention_days <= 35
    error_message = "redis_snapshot_retention_days must be between 0 and 35."
  }
}

variable "redis_maxmemory_policy" {
  description = "Redis eviction policy; the cache is a pure cache, so any key may be evicted."
  type        = string
  default     = "allkeys-lru"

  validation {
    condition     = contains(["allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "allkeys-random", "volatile-random", "noeviction"], var.redis_maxmemory_policy)
    error_message = "redis_maxmemory_policy must be a valid Redis maxmemory-policy."
  }
}

# --- Container registry ---------------------------------------------------------

variable "ecr_repository_name" {
  description = "Name of the ECR repository for the server image; empty means <project>-<environment>-server."
  type        = string
  default     = ""

  validation {
    condition     = var.ecr_repository_name == "" || can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be empty or a valid ECR repository name."
  }
}

variable "ecr_keep_images" {
  description = "Number of most recent images kept in ECR (older ones expire); rollbacks can go back this far."
  type        = number
  default     = 50

  validation {
    condition     = var.ecr_keep_images >= 5 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be between 5 and 1000."
  }
}

variable "ecr_force_delete" {
  description = "Allow terraform destroy to delete the ECR repository while it still holds images."
  type        = bool
  default     = false
}

# --- CI/CD (GitHub Actions OIDC) ------------------------------------------------

variable "github_repository" {
  description = "GitHub repository (owner/name) whose Actions may deploy through OIDC roles; empty creates no CI roles."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be empty or owner/name."
  }
}

variable "github_environment" {
  description = "GitHub Actions environment the deploy jobs run in; only jobs in this environment can assume the deploy role."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,255}$", var.github_environment))
    error_message = "github_environment must be a GitHub environment name."
  }
}

variable "github_deploy_branch" {
  description = "The only branch whose workflow runs may assume the deploy role (matched in the OIDC token subject, which must include the ref: docs/DEPLOY.md)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]{1,200}$", var.github_deploy_branch)) && !can(regex("[*?]", var.github_deploy_branch))
    error_message = "github_deploy_branch must be a branch name without wildcards."
  }
}

variable "github_create_oidc_provider" {
  description = "Create the account-wide IAM OIDC provider for token.actions.githubusercontent.com (false if the account already has one)."
  type        = bool
  default     = true
}

variable "terraform_state_bucket" {
  description = "S3 bucket holding the Terraform state (see backend.tf.example); the pull-request plan role gets read access to it. Empty: no plan role."
  type        = string
  default     = ""

  validation {
    condition     = var.terraform_state_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.terraform_state_bucket))
    error_message = "terraform_state_bucket must be empty or a valid S3 bucket name."
  }
}

variable "terraform_lock_table" {
  description = "DynamoDB table used for Terraform state locking (see backend.tf.example); the plan role may read it."
  type        = string
  default     = ""

  validation {
    condition     = var.terraform_lock_table == "" || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.terraform_lock_table))
    error_message = "terraform_lock_table must be empty or a valid DynamoDB table name."
  }
}

# --- Monitoring -----------------------------------------------------------------

variable "alarm_email_addresses" {
  description = "E-mail addresses subscribed to the stack's alarm topic (each must confirm the subscription mail from AWS)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alarm_email_addresses must be e-mail addresses."
  }
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic to notify instead of the topic this stack creates (monitoring.tf); empty: the stack's own topic."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_sns_topic_arn == "" || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be empty or an SNS topic ARN."
  }
}
