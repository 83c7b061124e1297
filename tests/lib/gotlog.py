"""gotlog.py - Go's golang.org/x/mod/sumdb/note and sumdb/tlog, through
tests/interop/tlogcheck.go, built offline in GOPATH mode from Debian's
golang-go and golang-golang-x-mod-dev (./bootstrap installs both;
TLOG_GOPATH names another GOPATH holding golang.org/x/mod).

    ok, why = gotlog.build(workdir)      # tlogcheck into workdir
    r = gotlog.check(doc, workdir)       # a CompletedProcess
"""
import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "interop", "tlogcheck.go")
GO = os.environ.get("GO", "go")
GOPATH = os.environ.get("TLOG_GOPATH", "/usr/share/gocode")


def binary(workdir):
    return os.path.join(workdir, "tlogcheck")


def build(workdir):
    """(True, go version) once tlogcheck is built, or (False, why)."""
    if shutil.which(GO) is None:
        return False, "go not found: install golang-go (./bootstrap does)"
    sumdb = os.path.join(GOPATH, "src", "golang.org", "x", "mod", "sumdb")
    if not (os.path.isdir(os.path.join(sumdb, "note")) and
            os.path.isdir(os.path.join(sumdb, "tlog"))):
        return False, ("golang.org/x/mod is not in %s: install "
                       "golang-golang-x-mod-dev (./bootstrap does), or set "
                       "TLOG_GOPATH" % GOPATH)
    os.makedirs(workdir, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOPROXY="off",
               GOFLAGS="", GOENV="off", GOTOOLCHAIN="local",
               GOCACHE=os.path.join(workdir, "gocache"),
               HOME=os.environ.get("HOME", workdir))
    r = subprocess.run([GO, "build", "-o", binary(workdir), SOURCE],
                       capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        return False, "tlogcheck.go does not build:\n" + r.stdout + r.stderr
    return True, subprocess.run([GO, "version"], capture_output=True,
                                text=True).stdout.strip()


def check(doc, workdir):
    """tlogcheck over doc (see tlogcheck.go), building it first if need
    be; its CompletedProcess (returncode 0: every check passed)."""
    if not os.path.exists(binary(workdir)):
        ok, why = build(workdir)
        if not ok:
            return subprocess.CompletedProcess([], 2, "", why)
    return subprocess.run([binary(workdir)], input=json.dumps(doc),
                          capture_output=True, text=True, timeout=120)
