#!/usr/bin/env python3
"""Render a Terraform shell template (templatefile) for shellcheck.

    python3 tests/deploy/render_tftpl.py TEMPLATE OUTDIR

Writes OUTDIR/<name>.sh: the template with every ${var} replaced by a
placeholder and $${ / %%{ unescaped, i.e. the script as an instance receives
it. Every quoted heredoc inside it that holds a script (first line a #! or a
"# shellcheck shell=" directive) is written as OUTDIR/<name>.<DELIM>.sh too,
so the helpers the bootstrap installs are checked as well. Prints the paths.
Only plain ${name} interpolations are supported (the policy check enforces it).
"""
import os
import re
import sys


def render(text):
    out = re.sub(r"(?<!\$)\$\{\s*([A-Za-z_]\w*)\s*\}", lambda m: "tfvar-" + m.group(1).replace("_", "-"), text)
    return out.replace("$${", "${").replace("%%{", "%{")


def heredocs(text):
    # <<'DELIM' or <<"DELIM" (quoted: no expansion when written), body until DELIM.
    for m in re.finditer(r"<<-?\s*(['\"])([A-Za-z_][A-Za-z0-9_]*)\1[^\n]*\n", text):
        delim = m.group(2)
        end = re.compile(r"^" + re.escape(delim) + r"$", re.M).search(text, m.end())
        if not end:
            continue
        body = text[m.end():end.start()]
        firstline = body.split("\n", 1)[0]
        if firstline.startswith("#!") or firstline.startswith("# shellcheck shell="):
            yield delim, body


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    template, outdir = argv[1], argv[2]
    with open(template, encoding="utf-8") as f:
        rendered = render(f.read())
    base = os.path.basename(template).split(".")[0]
    os.makedirs(outdir, exist_ok=True)
    main_path = os.path.join(outdir, base + ".sh")
    with open(main_path, "w", encoding="utf-8") as f:
        f.write(rendered)
    print(main_path)
    for delim, body in heredocs(rendered):
        p = os.path.join(outdir, f"{base}.{delim}.sh")
        with open(p, "w", encoding="utf-8") as f:
            f.write(body)
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
