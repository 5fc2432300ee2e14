#!/usr/bin/env python3
"""Mutation check of terraform/tests: every asserted property, broken once,
must make `terraform test` fail in the run that guards it.

    python3 tests/deploy/terraform_mutations.py [--jobs N] [REPO_ROOT]

Copies terraform/ and deploy/ to a scratch directory, initialises it offline
(tests/deploy/terraform_lib.sh), checks that the pristine copy passes, then for
each mutation below: replaces one snippet (it must occur exactly once), runs
the named run block of the test file (the file's mocks, overrides and
variables plus that one run, so that each mutation costs one plan), and
requires a non-zero exit with that run reported as failed. Exit 0 = every
mutation caught.

Mutations run on N workers (--jobs, else WATCHSTORE_TF_MUTATION_JOBS, else 2),
each in its own copy of the initialised scratch directory with its own
TF_DATA_DIR; the copies share the base's .terraform/providers by a symlink (the
provider binary is never copied). After init has verified the provider, the
copies' lock file drops its hashes so that each `terraform test` does not
re-hash the ~700 MB provider binary. Results are printed in mutation order.
"""
import argparse
import concurrent.futures
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SEC = "tests/security.tftest.hcl"
VAR = "tests/variants.tftest.hcl"

# (name, file under the scratch root, find, replace, test file, run that must fail)
MUTATIONS = [
    ("public subnet maps public IPs", "terraform/network.tf",
     "  map_public_ip_on_launch = false\n\n  tags = {\n    Name = \"${local.name}-public-",
     "  map_public_ip_on_launch = true\n\n  tags = {\n    Name = \"${local.name}-public-", SEC, "network_tiers"),
    ("data subnets on the app route table", "terraform/network.tf",
     "route_table_id = aws_route_table.data.id", "route_table_id = aws_route_table.app[0].id", SEC, "network_tiers"),
    ("flow logs accepted traffic only", "terraform/network.tf",
     'traffic_type             = "ALL"', 'traffic_type             = "ACCEPT"', SEC, "network_tiers"),
    ("public RDS", "terraform/database.tf",
     "publicly_accessible    = false", "publicly_accessible    = true", SEC, "rds_private_encrypted"),
    ("unencrypted RDS", "terraform/database.tf",
     "storage_encrypted     = true", "storage_encrypted     = false", SEC, "rds_private_encrypted"),
    ("RDS in the public subnets", "terraform/database.tf",
     "subnet_ids  = aws_subnet.data[*].id", "subnet_ids  = aws_subnet.public[*].id", SEC, "rds_private_encrypted"),
    ("RDS without force_ssl", "terraform/database.tf",
     'name  = "rds.force_ssl"\n    value = "1"', 'name  = "rds.force_ssl"\n    value = "0"', SEC, "rds_private_encrypted"),
    ("RDS single-AZ", "terraform/variables.tf",
     'description = "Run a synchronous standby in a second AZ with automatic failover (doubles the instance cost)."\n  type        = bool\n  default     = true',
     'description = "Run a synchronous standby in a second AZ with automatic failover (doubles the instance cost)."\n  type        = bool\n  default     = false', SEC, "rds_private_encrypted"),
    ("RDS without deletion protection", "terraform/database.tf",
     "deletion_protection       = var.db_deletion_protection", "deletion_protection       = false", SEC, "rds_private_encrypted"),
    ("RDS skips the final snapshot", "terraform/database.tf",
     "skip_final_snapshot       = false", "skip_final_snapshot       = true", SEC, "rds_private_encrypted"),
    ("server connects as the master user", "terraform/templates/user_data.sh.tftpl",
     "write_app_env /run/watchstore/app.env app\n", "write_app_env /run/watchstore/app.env migrator\n", SEC, "database_roles"),
    ("app role gets DDL rights", "deploy/db-roles.sql",
     'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";',
     'GRANT ALL ON ALL TABLES IN SCHEMA public TO :"app_role";', SEC, "database_roles"),
    ("Redis without TLS", "terraform/cache.tf",
     "transit_encryption_enabled = true", "transit_encryption_enabled = false", SEC, "redis_private_encrypted_auth"),
    ("Redis TLS only preferred", "terraform/cache.tf",
     'transit_encryption_mode    = "required"', 'transit_encryption_mode    = "preferred"', SEC, "redis_private_encrypted_auth"),
    ("Redis without AUTH", "terraform/cache.tf",
     "  auth_token                 = local.redis_auth_token\n", "", SEC, "redis_private_encrypted_auth"),
    ("Redis unencrypted at rest", "terraform/cache.tf",
     "at_rest_encryption_enabled = true", "at_rest_encryption_enabled = false", SEC, "redis_private_encrypted_auth"),
    ("Redis in the public subnets", "terraform/cache.tf",
     "subnet_ids  = aws_subnet.data[*].id", "subnet_ids  = aws_subnet.public[*].id", SEC, "redis_private_encrypted_auth"),
    ("stunnel without certificate check", "terraform/templates/user_data.sh.tftpl",
     "verifyChain = yes", "verifyChain = no", SEC, "redis_private_encrypted_auth"),
    ("server talks to Redis directly", "terraform/templates/user_data.sh.tftpl",
     "WATCHSTORE_REDIS_URL=redis://:$token@watchstore-redis-tunnel:$WATCHSTORE_REDIS_TUNNEL_PORT/0",
     "WATCHSTORE_REDIS_URL=redis://$WATCHSTORE_REDIS_HOST:$WATCHSTORE_REDIS_PORT/0", SEC, "redis_private_encrypted_auth"),
    ("database open to the VPC", "terraform/security_groups.tf",
     '  description                  = "PostgreSQL from the app instances"\n  ip_protocol                  = "tcp"\n  from_port                    = 5432\n  to_port                      = 5432\n  referenced_security_group_id = aws_security_group.app.id',
     '  description                  = "PostgreSQL from the app instances"\n  ip_protocol                  = "tcp"\n  from_port                    = 5432\n  to_port                      = 5432\n  referenced_security_group_id = aws_security_group.alb.id', SEC, "security_groups"),
    ("Redis from the ALB", "terraform/security_groups.tf",
     '  description                  = "Redis from the app instances"\n  ip_protocol                  = "tcp"\n  from_port                    = 6379\n  to_port                      = 6379\n  referenced_security_group_id = aws_security_group.app.id',
     '  description                  = "Redis from the app instances"\n  ip_protocol                  = "tcp"\n  from_port                    = 6379\n  to_port                      = 6379\n  referenced_security_group_id = aws_security_group.alb.id', SEC, "security_groups"),
    ("ALB open to the internet", "terraform/security_groups.tf",
     'cidr_ipv4         = var.restrict_alb_to_cloudfront ? null : "0.0.0.0/0"', 'cidr_ipv4         = "0.0.0.0/0"', SEC, "security_groups"),
    ("app port open to every port range", "terraform/security_groups.tf",
     '  description                  = "App port from the ALB"\n  ip_protocol                  = "tcp"\n  from_port                    = var.app_port',
     '  description                  = "App port from the ALB"\n  ip_protocol                  = "tcp"\n  from_port                    = 0', SEC, "security_groups"),
    ("storefront bucket policy public", "terraform/storefront.tf",
     'block_public_policy     = true', 'block_public_policy     = false', SEC, "storefront_bucket_private_oac_only"),
    ("storefront readable by any distribution", "terraform/storefront.tf",
     '      values   = [aws_cloudfront_distribution.storefront.arn]\n    }\n  }\n\n  # With ListBucket',
     '      values   = ["arn:aws:cloudfront::123456789012:distribution/*"]\n    }\n  }\n\n  # With ListBucket', SEC, "storefront_bucket_private_oac_only"),
    ("OAC signs never", "terraform/storefront.tf",
     'signing_behavior                  = "always"', 'signing_behavior                  = "never"', SEC, "storefront_bucket_private_oac_only"),
    ("CloudFront allows HTTP", "terraform/storefront.tf",
     'default_cache_behavior {\n    target_origin_id           = "storefront-s3"\n    viewer_protocol_policy     = "redirect-to-https"',
     'default_cache_behavior {\n    target_origin_id           = "storefront-s3"\n    viewer_protocol_policy     = "allow-all"', SEC, "cloudfront_https_headers"),
    ("CloudFront serves the payment page over HTTP", "terraform/storefront.tf",
     'path_pattern               = "/pay.html"\n    target_origin_id           = "storefront-s3"\n    viewer_protocol_policy     = "redirect-to-https"',
     'path_pattern               = "/pay.html"\n    target_origin_id           = "storefront-s3"\n    viewer_protocol_policy     = "allow-all"', SEC, "cloudfront_https_headers"),
    ("product URLs not sent to the servers", "terraform/storefront.tf",
     '  ordered_cache_behavior {\n    path_pattern               = "/watches/*"\n',
     '  ordered_cache_behavior {\n    path_pattern               = "/watches-unused/*"\n', SEC, "cloudfront_https_headers"),
    ("product URLs served from the bucket", "terraform/storefront.tf",
     'path_pattern               = "/watches/*"\n    target_origin_id           = "api-alb"',
     'path_pattern               = "/watches/*"\n    target_origin_id           = "storefront-s3"', SEC, "cloudfront_https_headers"),
    ("CloudFront to the ALB over HTTP", "terraform/storefront.tf",
     'origin_protocol_policy   = "https-only"', 'origin_protocol_policy   = "match-viewer"', SEC, "cloudfront_https_headers"),
    ("HSTS for a day", "terraform/storefront.tf",
     "access_control_max_age_sec = 31536000", "access_control_max_age_sec = 86400", SEC, "cloudfront_https_headers"),
    ("CloudFront without WAF", "terraform/storefront.tf",
     "web_acl_id          = local.cloudfront_web_acl_arn", "web_acl_id          = null", SEC, "cloudfront_https_headers"),
    ("auth rate rule on the wrong path", "terraform/waf.tf",
     'search_string         = "/api/v1/auth/"', 'search_string         = "/api/v1/login/"', SEC, "waf_rules"),
    ("auth rate rule only counts", "terraform/waf.tf",
     "    action {\n      block {}\n    }", "    action {\n      count {}\n    }", SEC, "waf_rules"),
    ("managed rules in count mode", "terraform/waf.tf",
     "      override_action {\n        none {}\n      }", "      override_action {\n        count {}\n      }", SEC, "waf_rules"),
    ("ALB old TLS policy in the listener", "terraform/alb.tf",
     "ssl_policy        = var.alb_ssl_policy", 'ssl_policy        = "ELBSecurityPolicy-2016-08"', SEC, "alb_tls_and_origin_lock"),
    ("ALB keeps invalid headers", "terraform/alb.tf",
     "drop_invalid_header_fields = true", "drop_invalid_header_fields = false", SEC, "alb_tls_and_origin_lock"),
    ("ALB desync defensive", "terraform/alb.tf",
     'desync_mitigation_mode     = "strictest"', 'desync_mitigation_mode     = "defensive"', SEC, "alb_tls_and_origin_lock"),
    ("origin lock checks the wrong value", "terraform/alb.tf",
     "values           = [local.origin_verify_secret]", "values           = [local.redis_auth_token]", SEC, "alb_tls_and_origin_lock"),
    ("ALB without access logs", "terraform/alb.tf",
     "      enabled = true\n", "      enabled = false\n", SEC, "alb_tls_and_origin_lock"),
    ("keep-alive shorter than the idle timeout", "terraform/main.tf",
     "server_keep_alive_timeout_seconds = var.alb_idle_timeout_seconds + 15",
     "server_keep_alive_timeout_seconds = var.alb_idle_timeout_seconds - 15", SEC, "alb_tls_and_origin_lock"),
    ("storefront bucket logs into itself", "terraform/logs.tf",
     "target_bucket = aws_s3_bucket.logs[0].id", "target_bucket = aws_s3_bucket.storefront.id", SEC, "logs_and_alarms"),
    ("an alarm notifies nobody", "terraform/monitoring.tf",
     '  threshold           = 10\n  comparison_operator = "GreaterThanThreshold"\n  treat_missing_data  = "notBreaching"\n  alarm_actions       = local.alarm_actions',
     '  threshold           = 10\n  comparison_operator = "GreaterThanThreshold"\n  treat_missing_data  = "notBreaching"\n  alarm_actions       = []', SEC, "logs_and_alarms"),
    ("no-healthy-hosts alarm ignores missing data", "terraform/monitoring.tf",
     'treat_missing_data  = "breaching"', 'treat_missing_data  = "notBreaching"', SEC, "logs_and_alarms"),
    ("IMDSv1 allowed", "terraform/compute.tf",
     'http_tokens                 = "required"', 'http_tokens                 = "optional"', SEC, "instances_and_asg"),
    ("IMDS hop limit 2", "terraform/compute.tf",
     "http_put_response_hop_limit = 1", "http_put_response_hop_limit = 2", SEC, "instances_and_asg"),
    ("unencrypted root volume", "terraform/compute.tf",
     "      encrypted             = true", "      encrypted             = false", SEC, "instances_and_asg"),
    ("ASG in one AZ", "terraform/compute.tf",
     "vpc_zone_identifier = aws_subnet.app[*].id", "vpc_zone_identifier = [aws_subnet.app[0].id]", SEC, "instances_and_asg"),
    ("ASG with EC2 health checks", "terraform/compute.tf",
     "health_check_type         = var.asg_health_check_type", 'health_check_type         = "EC2"', SEC, "instances_and_asg"),
    ("refresh terminates before launching", "terraform/compute.tf",
     "min_healthy_percentage = 100", "min_healthy_percentage = 50", SEC, "instances_and_asg"),
    ("server starts before the Redis tunnel", "terraform/templates/user_data.sh.tftpl",
     "systemctl start watchstore-redis-tunnel.service\nsystemctl start --no-block watchstore.service",
     "systemctl start --no-block watchstore.service\nsystemctl start watchstore-redis-tunnel.service", SEC, "instances_and_asg"),
    ("deploy role trusts any branch", "terraform/github_oidc.tf",
     'github_deploy_subject = "repo:${var.github_repository}:environment:${var.github_environment}:ref:refs/heads/${var.github_deploy_branch}"',
     'github_deploy_subject = "repo:${var.github_repository}:environment:${var.github_environment}"', SEC, "github_oidc_trust"),
    ("deploy role trust with StringLike", "terraform/github_oidc.tf",
     '      test     = "StringEquals"\n      variable = "${local.github_oidc_host}:sub"\n      values   = [local.github_deploy_subject]',
     '      test     = "StringLike"\n      variable = "${local.github_oidc_host}:sub"\n      values   = [local.github_deploy_subject]', SEC, "github_oidc_trust"),
    ("plan role trusts every ref", "terraform/github_oidc.tf",
     'github_plan_subject   = "repo:${var.github_repository}:pull_request:ref:refs/pull/*/merge"',
     'github_plan_subject   = "repo:${var.github_repository}:*"', SEC, "github_oidc_trust"),
    ("plan role reads objects", "terraform/github_oidc.tf",
     '      "s3:GetAccelerateConfiguration",\n', '      "s3:GetAccelerateConfiguration",\n      "s3:GetObject",\n', SEC, "github_oidc_trust"),
    ("plan role may read the master password", "terraform/github_oidc.tf",
     '    effect    = "Deny"\n    actions   = ["secretsmanager:GetSecretValue"]',
     '    effect    = "Allow"\n    actions   = ["secretsmanager:GetSecretValue"]', SEC, "github_oidc_trust"),
    ("validation: old TLS policies accepted", "terraform/variables.tf",
     'condition     = startswith(var.alb_ssl_policy, "ELBSecurityPolicy-TLS13-") || startswith(var.alb_ssl_policy, "ELBSecurityPolicy-FS-1-2-")',
     'condition     = startswith(var.alb_ssl_policy, "ELBSecurityPolicy-")', VAR, "refuses_old_tls_policy"),
    ("validation: keep-alive overridable", "terraform/variables.tf",
     ', "WATCHSTORE_KEEP_ALIVE_TIMEOUT"], k)', '], k)', VAR, "refuses_reserved_server_settings"),
    ("Stripe secrets readable with manual payments", "terraform/iam.tf",
     'local.stripe_enabled ? aws_secretsmanager_secret.stripe_secret_key.arn : ""',
     'aws_secretsmanager_secret.stripe_secret_key.arn', SEC, "alb_tls_and_origin_lock"),
    ("Stripe webhook secret not passed to the server", "terraform/templates/user_data.sh.tftpl",
     'echo "WATCHSTORE_STRIPE_WEBHOOK_SECRET=$(secret_json "$WATCHSTORE_STRIPE_WEBHOOK_SECRET_ARN")"',
     'echo "WATCHSTORE_STRIPE_WEBHOOK_SECRET="', VAR, "stripe_payments"),
    ("common rules skip every path starting like the webhook", "terraform/waf.tf",
     'positional_constraint = "EXACTLY"', 'positional_constraint = "STARTS_WITH"', SEC, "waf_rules"),
    ("validation: Stripe secret key settable in server_environment", "terraform/variables.tf",
     ', "WATCHSTORE_STRIPE_SECRET_KEY"', '', VAR, "refuses_stripe_keys_in_server_settings"),
    ("validation: a secret key accepted as the publishable key", "terraform/variables.tf",
     'regex("^pk_(live|test)_[A-Za-z0-9]+$", var.stripe_publishable_key)',
     'regex("^[a-z]+_(live|test)_[A-Za-z0-9]+$", var.stripe_publishable_key)', VAR,
     "refuses_secret_key_as_publishable_key"),
]


def single_run_file(tfdir, testfile, runname):
    """Writes tests/mutation.tftest.hcl: testfile's top-level blocks other
    than run blocks, plus the run block named runname. Returns its path
    relative to tfdir."""
    with open(os.path.join(tfdir, testfile), encoding="utf-8") as f:
        text = f.read()
    blocks = re.split(r"(?m)^(?=run \"[^\"]+\" \{$)", text)
    header, runs = blocks[0], blocks[1:]
    chosen = [b for b in runs if b.startswith(f'run "{runname}" {{')]
    if len(chosen) != 1:
        raise SystemExit(f"mutations: no run \"{runname}\" in {testfile}")
    rel = "tests/mutation.tftest.hcl"
    with open(os.path.join(tfdir, rel), "w", encoding="utf-8") as f:
        f.write(header + chosen[0])
    return rel


def tf_env(scratch):
    """The environment of `terraform` in the scratch directory `scratch`
    (laid out by tf_prepare: SCRATCH/terraform, SCRATCH/deploy,
    SCRATCH/terraformrc, TF_DATA_DIR = SCRATCH/terraform/.terraform)."""
    env = dict(os.environ)
    env.update(TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1",
               TF_CLI_CONFIG_FILE=os.path.join(scratch, "terraformrc"),
               TF_DATA_DIR=os.path.join(scratch, "terraform", ".terraform"))
    return env


def run(cmd, cwd, timeout, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout


def skip_provider_hash_check(tfdir):
    """Drops the `hashes` from the scratch copy's lock file. Every terraform
    command checks the installed provider against the lock file's hashes,
    which means reading and hashing the ~700 MB AWS provider binary (about
    2 s of CPU) before each of the mutations' runs; with no hashes recorded
    Terraform skips that check. `terraform init` above has already verified
    the provider against the committed lock file (and deploy.terraform checks
    it with -lockfile=readonly), and this copy is thrown away."""
    path = os.path.join(tfdir, ".terraform.lock.hcl")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stripped = re.sub(r"(?ms)^  hashes = \[\n.*?^  \]\n", "", text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(stripped)


def make_worker(base, dest):
    """Copies the initialised scratch directory `base` to `dest`, sharing its
    .terraform/providers by a symlink: with -plugin-dir init links the
    provider, but from a registry it is a ~600 MB binary in there."""
    providers = os.path.join(base, "terraform", ".terraform", "providers")
    shutil.copytree(base, dest, symlinks=True,
                    ignore=lambda d, names: ["providers"] if os.path.abspath(d) == os.path.dirname(providers) else [])
    os.symlink(providers, os.path.join(dest, "terraform", ".terraform", "providers"))


TF_TEST = ["terraform", "test", "-no-color"]


def mutate(scratch, mutation):
    """Applies one mutation in the worker directory `scratch`, runs its run
    block, restores the file. Returns (caught, verdict, seconds)."""
    name, rel, find, replace, testfile, runname = mutation
    tfdir = os.path.join(scratch, "terraform")
    path = os.path.join(scratch, rel)
    with open(path, encoding="utf-8") as f:
        pristine = f.read()
    if pristine.count(find) != 1:
        return False, f"the snippet occurs {pristine.count(find)} times in {rel} (must be once): update this mutation", None
    with open(path, "w", encoding="utf-8") as f:
        f.write(pristine.replace(find, replace))
    started = time.time()
    try:
        code, out = run(TF_TEST + ["-filter=" + single_run_file(tfdir, testfile, runname)], tfdir, 600,
                        tf_env(scratch))
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(pristine)
    failed_runs = re.findall(r'run "([^"]+)"\.\.\. fail', out)
    if code == 0:
        return False, "MISSED (terraform test passed)", time.time() - started
    if runname in failed_runs:
        return True, f"caught by {runname}", time.time() - started
    return False, f"MISSED by {runname} (failed: {', '.join(failed_runs) or 'none'})", time.time() - started


def default_jobs():
    value = os.environ.get("WATCHSTORE_TF_MUTATION_JOBS", "")
    return int(value) if value.strip() else 2


def main(argv):
    parser = argparse.ArgumentParser(description="Mutation check of terraform/tests.")
    parser.add_argument("root", nargs="?", default=os.path.join(HERE, "..", ".."), help="repository root")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="parallel workers (default: $WATCHSTORE_TF_MUTATION_JOBS, else 2)")
    args = parser.parse_args(argv[1:])
    jobs = args.jobs if args.jobs is not None else default_jobs()
    if jobs < 1:
        parser.error("--jobs must be at least 1")
    jobs = min(jobs, len(MUTATIONS))
    root = os.path.abspath(args.root)
    top = tempfile.mkdtemp(prefix="tf-mutations-")
    try:
        base = os.path.join(top, "base")
        code, out = run(["bash", "-c", f'. "{HERE}/terraform_lib.sh" && tf_prepare "$1" "$2"', "_", root, base], root, 300)
        if code != 0:
            print(out, file=sys.stderr)
            print("mutations: could not initialise Terraform", file=sys.stderr)
            return 2
        skip_provider_hash_check(os.path.join(base, "terraform"))
        workers = [base] + [os.path.join(top, f"w{i}") for i in range(1, jobs)]
        for w in workers[1:]:
            make_worker(base, w)

        # The pristine configuration passes both test files (one per worker
        # when there are two: they are independent).
        started = time.time()
        files = [SEC, VAR]
        if jobs >= 2:
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                results = list(pool.map(
                    lambda wf: run(TF_TEST + ["-filter=" + wf[1]], os.path.join(wf[0], "terraform"), 900, tf_env(wf[0])),
                    zip(workers, files)))
        else:
            results = [run(TF_TEST + ["-filter=" + f for f in files], os.path.join(base, "terraform"), 900, tf_env(base))]
        for code, out in results:
            if code != 0:
                print(out, file=sys.stderr)
                print("mutations: the pristine configuration does not pass terraform test", file=sys.stderr)
                return 1
        print(f"mutations: pristine configuration passes ({time.time() - started:.0f} s); "
              f"{len(MUTATIONS)} mutations on {jobs} worker(s)", flush=True)

        free = queue.Queue()
        for w in workers:
            free.put(w)

        def task(mutation):
            w = free.get()
            try:
                return mutate(w, mutation)
            finally:
                free.put(w)

        missed = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(task, m) for m in MUTATIONS]
            # In mutation order, each as soon as it and those before it are done.
            for i, (mutation, future) in enumerate(zip(MUTATIONS, futures), 1):
                caught, verdict, seconds = future.result()
                name = mutation[0]
                if not caught:
                    missed.append(name)
                took = "" if seconds is None else f" ({seconds:.0f} s)"
                print(f"[{i:2}] {name}: {verdict}{took}", flush=True)
        total = len(MUTATIONS)
        print(f"mutations: {total - len(missed)} of {total} caught")
        if missed:
            print("mutations: not caught: " + "; ".join(missed), file=sys.stderr)
            return 1
        return 0
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
