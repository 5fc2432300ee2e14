#!/usr/bin/env python3
"""Structural policy over the YAML deployment files (python3-yaml, offline).

    python3 tests/deploy/yaml_policy.py compose   [REPO_ROOT]
    python3 tests/deploy/yaml_policy.py workflows [REPO_ROOT]

compose:   docker-compose.yml has server + PostgreSQL 15 + Redis 7, health
           checks on both, the server waits for them to be healthy, data in
           named volumes, no literal secrets (only ${VAR:?...} from the
           git-ignored .env, with every variable present in
           deploy/compose.env.example), nothing Compose 1.29 rejects.
workflows: every action pinned to a full commit SHA; AWS only
           through OIDC (role-to-assume + id-token: write, no access keys);
           least-privilege default permissions; backend runs the suite with
           PostgreSQL 15 and Redis 7 service containers and deploys from main
           only; frontend syncs S3 and invalidates CloudFront; terraform does
           fmt, validate and plan on pull requests.

Exit 0 = pass, 1 = violations, 2 = usage/tooling error.
"""
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    print("yaml_policy: python3-yaml is missing (Debian: python3-yaml)", file=sys.stderr)
    sys.exit(2)

DEFAULT_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET_KEY = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY$|AUTH)", re.I)
FULL_SUBST = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[?-][^}]*)?\}$")
SUBST = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[?-][^}]*)?\}")
REQUIRED_SUBST = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?[^}]*\}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def env_items(env):
    if isinstance(env, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in env.items()]
    if isinstance(env, list):
        out = []
        for e in env:
            k, _, v = str(e).partition("=")
            out.append((k, v))
        return out
    return []


def check_compose(root):
    problems = []
    path = os.path.join(root, "docker-compose.yml")
    if not os.path.isfile(path):
        return ["docker-compose.yml is missing"]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        return ["docker-compose.yml is not a mapping"]
    if "name" in doc:
        problems.append("top-level 'name:' is rejected by docker-compose 1.29")
    services = doc.get("services") or {}
    for svc in ("server", "postgres", "redis"):
        if svc not in services:
            problems.append(f"service '{svc}' is missing")
    if problems:
        return problems

    pg, rd, srv = services["postgres"], services["redis"], services["server"]
    if not str(pg.get("image", "")).startswith("postgres:15"):
        problems.append("postgres must run image postgres:15*")
    if not str(rd.get("image", "")).startswith("redis:7"):
        problems.append("redis must run image redis:7*")
    for name, svc in (("postgres", pg), ("redis", rd), ("server", srv)):
        hc = svc.get("healthcheck") or {}
        if not hc.get("test") or hc.get("disable"):
            problems.append(f"service '{name}' has no healthcheck")
    deps = srv.get("depends_on")
    if not isinstance(deps, dict):
        problems.append("server.depends_on must be a mapping with condition: service_healthy")
    else:
        for dep in ("postgres", "redis"):
            cond = (deps.get(dep) or {}).get("condition")
            if cond != "service_healthy":
                problems.append(f"server must wait for {dep} with condition: service_healthy")
    for name, svc in services.items():
        deps = svc.get("depends_on")
        if isinstance(deps, dict):
            for dep, spec in deps.items():
                if isinstance(spec, dict) and "required" in spec:
                    problems.append(f"{name}.depends_on.{dep}.required is rejected by docker-compose 1.29")
        if svc.get("privileged"):
            problems.append(f"service '{name}' must not be privileged")
        if svc.get("network_mode") == "host":
            problems.append(f"service '{name}' must not use the host network")

    volumes = doc.get("volumes") or {}
    for name, svc, target in (("postgres", pg, "/var/lib/postgresql/data"), ("redis", rd, "/data")):
        mounts = [str(v) for v in (svc.get("volumes") or []) if isinstance(v, str)]
        named = [m for m in mounts if m.split(":")[0] in volumes and m.split(":")[1:2] == [target]]
        if not named:
            problems.append(f"service '{name}' must keep {target} in a named volume")

    for name, svc in services.items():
        for key, value in env_items(svc.get("environment")):
            if SECRET_KEY.search(key) and value and not FULL_SUBST.match(value.strip()):
                problems.append(f"{name}.environment.{key} is a literal secret: use ${{VAR:?...}} from .env")
            if re.search(r"://[^/\s:@]+:[^@\s]+@", value):
                for cred in re.findall(r"://([^/\s@]+)@", value):
                    user, _, password = cred.partition(":")
                    if not SUBST.fullmatch(password):
                        problems.append(f"{name}.environment.{key} embeds a literal password in a URL")

    example_path = os.path.join(root, "deploy", "compose.env.example")
    if not os.path.isfile(example_path):
        problems.append("deploy/compose.env.example is missing")
    else:
        with open(example_path, encoding="utf-8") as f:
            example = {
                line.split("=", 1)[0].strip()
                for line in f
                if "=" in line and not line.lstrip().startswith("#")
            }
        required = set()
        for value in strings(doc):
            required.update(REQUIRED_SUBST.findall(value))
        for var in sorted(required):
            if var not in example:
                problems.append(f"${{{var}}} is required by docker-compose.yml but not in deploy/compose.env.example")
    gitignore = os.path.join(root, ".gitignore")
    if not os.path.isfile(gitignore) or ".env" not in [l.strip().lstrip("/") for l in open(gitignore, encoding="utf-8")]:
        problems.append(".env must be listed in .gitignore (it holds the compose secrets)")
    return problems


PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def jobs_of(wf):
    return (wf or {}).get("jobs") or {}


def triggers(wf):
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    on = wf.get("on", wf.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {k: None for k in on}
    return on or {}


def perms(p):
    return p if isinstance(p, dict) else {}


def check_workflows(root):
    problems = []
    wdir = os.path.join(root, ".github", "workflows")
    names = ("backend.yml", "frontend.yml", "terraform.yml")
    docs = {}
    for n in names:
        p = os.path.join(wdir, n)
        if not os.path.isfile(p):
            problems.append(f".github/workflows/{n} is missing")
            continue
        try:
            docs[n] = load(p)
        except yaml.YAMLError as e:
            problems.append(f".github/workflows/{n}: not valid YAML: {e}")
    others = [f for f in (os.listdir(wdir) if os.path.isdir(wdir) else []) if f.endswith((".yml", ".yaml")) and f not in docs]
    for f in others:
        try:
            docs[f] = load(os.path.join(wdir, f))
        except yaml.YAMLError as e:
            problems.append(f".github/workflows/{f}: not valid YAML: {e}")

    for name, wf in docs.items():
        where = f".github/workflows/{name}"
        if not isinstance(wf, dict):
            problems.append(f"{where}: not a mapping")
            continue
        with open(os.path.join(wdir, name), encoding="utf-8") as f:
            text = f.read()
        if re.search(r"aws-(access-key-id|secret-access-key)\s*:", text) or re.search(r"secrets\.AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)", text):
            problems.append(f"{where}: stored AWS keys are not allowed; use OIDC (role-to-assume)")
        if "permissions" not in wf:
            problems.append(f"{where}: set top-level permissions (least privilege, e.g. contents: read)")
        elif perms(wf.get("permissions")).get("id-token") == "write":
            problems.append(f"{where}: grant id-token: write per job, not to the whole workflow")
        for job_name, job in jobs_of(wf).items():
            steps = job.get("steps") or []
            uses_aws = False
            for i, step in enumerate(steps):
                uses = step.get("uses")
                if not uses:
                    continue
                if uses.startswith("./") or uses.startswith("docker://"):
                    continue
                if not PINNED.match(uses):
                    problems.append(f"{where}: jobs.{job_name}.steps[{i}] uses '{uses}': pin a full commit SHA (tags are mutable)")
                if uses.startswith("aws-actions/configure-aws-credentials@"):
                    uses_aws = True
                    w = step.get("with") or {}
                    if not w.get("role-to-assume"):
                        problems.append(f"{where}: jobs.{job_name}: configure-aws-credentials without role-to-assume")
            if uses_aws:
                granted = perms(job.get("permissions")) or perms(wf.get("permissions"))
                if granted.get("id-token") != "write":
                    problems.append(f"{where}: jobs.{job_name} assumes an AWS role but lacks permissions: id-token: write")

    be = docs.get("backend.yml")
    if isinstance(be, dict):
        test_jobs = [j for j in jobs_of(be).values() if j.get("services")]
        ok_services = False
        for j in test_jobs:
            svcs = j.get("services") or {}
            images = {k: str((v or {}).get("image", "")) for k, v in svcs.items()}
            has_pg = any(i.startswith("postgres:15") for i in images.values())
            has_rd = any(i.startswith("redis:7") for i in images.values())
            healthy = all("--health-cmd" in str((v or {}).get("options", "")) for v in svcs.values())
            env = dict(env_items(j.get("env")))
            urls = "WATCHSTORE_TEST_POSTGRES_URL" in env and "WATCHSTORE_TEST_REDIS_URL" in env
            runs_ci = any(".ci/run" in str(s.get("run", "")) for s in j.get("steps") or [])
            if has_pg and has_rd and healthy and urls and runs_ci:
                ok_services = True
        if not ok_services:
            problems.append("backend.yml: a job must run .ci/run with postgres:15 and redis:7 service containers (with --health-cmd) and WATCHSTORE_TEST_POSTGRES_URL / WATCHSTORE_TEST_REDIS_URL")
        text = open(os.path.join(wdir, "backend.yml"), encoding="utf-8").read()
        for needle, what in (("start-instance-refresh", "roll the ASG (aws autoscaling start-instance-refresh)"),
                             ("docker/build-push-action@", "build and push the image"),
                             ("amazon-ecr-login@", "log in to ECR")):
            if needle not in text:
                problems.append(f"backend.yml: must {what}")
        for job_name, job in jobs_of(be).items():
            deploys = any("start-instance-refresh" in str(s.get("run", "")) or str(s.get("uses", "")).startswith("docker/build-push-action@")
                          for s in job.get("steps") or [])
            if deploys and "refs/heads/main" not in str(job.get("if", "")) and not any(
                    "refs/heads/main" in str(jobs_of(be).get(n, {}).get("if", "")) for n in ([job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs") or [])):
                problems.append(f"backend.yml: jobs.{job_name} deploys but is not restricted to main")
    fe = docs.get("frontend.yml")
    if isinstance(fe, dict):
        text = open(os.path.join(wdir, "frontend.yml"), encoding="utf-8").read()
        if "aws s3 sync" not in text:
            problems.append("frontend.yml: must upload the storefront with aws s3 sync")
        if "create-invalidation" not in text:
            problems.append("frontend.yml: must invalidate CloudFront")
    tf = docs.get("terraform.yml")
    if isinstance(tf, dict):
        text = open(os.path.join(wdir, "terraform.yml"), encoding="utf-8").read()
        if "pull_request" not in triggers(tf):
            problems.append("terraform.yml: must run on pull_request")
        for needle in ("terraform fmt -check", "terraform validate", "terraform plan"):
            if needle not in text:
                problems.append(f"terraform.yml: must run '{needle}'")
    return problems


def main(argv):
    if len(argv) < 2 or argv[1] not in ("compose", "workflows"):
        print("usage: yaml_policy.py compose|workflows [REPO_ROOT]", file=sys.stderr)
        return 2
    root = os.path.abspath(argv[2] if len(argv) > 2 else DEFAULT_ROOT)
    try:
        problems = check_compose(root) if argv[1] == "compose" else check_workflows(root)
    except yaml.YAMLError as e:
        problems = [f"not valid YAML: {e}"]
    for p in problems:
        print(f"{argv[1]} policy: {p}", file=sys.stderr)
    if problems:
        print(f"{argv[1]} policy: {len(problems)} violation(s)", file=sys.stderr)
        return 1
    print(f"{argv[1]} policy: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
