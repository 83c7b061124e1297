"""npm.py - the pinned npm packages the interop tests run (tests/interop).

    modules, how = npm.node_modules()   # (None, reason) if unavailable

The packages are pinned in tests/interop/package-lock.json. ./bootstrap
installs them there with `npm ci`; if they are missing or stale (a fresh
clone, or a read-only source tree under make distcheck), they are
installed under the build tree, tests/work/interop. A test that cannot get
them fails and says why: interop tests never skip.
"""
import json
import os
import shutil
import subprocess

from harness import SRCDIR, BUILDDIR

HERE = os.path.join(SRCDIR, "tests", "interop")
WORK = os.path.join(BUILDDIR, "tests", "work", "interop")
NODE = os.environ.get("NODE", "node")
NPM = os.environ.get("NPM", "npm")


def installed(modules):
    """Every package of the lock file is in modules, at its version."""
    with open(os.path.join(HERE, "package-lock.json")) as f:
        lock = json.load(f)
    for path, meta in lock.get("packages", {}).items():
        if not path.startswith("node_modules/"):
            continue
        pj = os.path.join(os.path.dirname(modules), path, "package.json")
        try:
            with open(pj) as f:
                if json.load(f).get("version") != meta.get("version"):
                    return False
        except OSError:
            return False
    return True


def node_modules():
    """The directory of the pinned npm packages, installed if need be."""
    for d in (os.path.join(HERE, "node_modules"),
              os.path.join(WORK, "node_modules")):
        if os.path.isdir(d) and installed(d):
            return d, "found"
    if shutil.which(NPM) is None:
        return None, ("npm not found; install Node.js and npm (./bootstrap "
                      "does) so the pinned packages can be installed")
    os.makedirs(WORK, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, f), WORK)
    r = subprocess.run([NPM, "ci", "--prefix", WORK, "--no-audit",
                        "--no-fund"], capture_output=True, text=True,
                       timeout=600)
    d = os.path.join(WORK, "node_modules")
    if r.returncode != 0 or not installed(d):
        return None, ("npm ci --prefix %s failed (exit %d); the registry "
                      "must be reachable, or run ./bootstrap where it is:\n%s"
                      % (WORK, r.returncode, (r.stderr or r.stdout)[-2000:]))
    return d, "installed with npm ci"


def canonicalize(docs):
    """Each document (a Python value) in RFC 8785 form, as bytes, made by
    the npm package canonicalize through tests/interop/jcs_npm.mjs.
    Returns (list, None), or (None, reason)."""
    import json
    modules, how = node_modules()
    if modules is None:
        return None, how
    lines = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    r = subprocess.run([NODE, os.path.join(HERE, "jcs_npm.mjs"), modules,
                        "-l"], input=lines.encode(), capture_output=True,
                       timeout=120)
    out = r.stdout.split(b"\n")[:-1]
    if r.returncode != 0 or len(out) != len(docs):
        return None, "jcs_npm.mjs: exit %d, %d of %d lines: %s" % (
            r.returncode, len(out), len(docs), r.stderr[-500:])
    return out, None
