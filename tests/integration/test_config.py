#!/usr/bin/python3
"""The configuration check: `sightlined -n -f FILE`.

A good file prints "configuration OK" and exits 0 (the shipped example
included); a bad one exits non-zero and prints every problem at once, one
line each, "FILE: key.path: reason". The file is Lua run with no library
and an instruction budget, so it can neither reach the system nor hang the
daemon. The daemon itself refuses to start on a bad file.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Tap, Env, SIGHTLINED, SIGHTLINE, SRCDIR, POLICY,  # noqa
                     VZ_POLICY,
                     lua, run)

t = Tap()
EXAMPLE = os.path.join(SRCDIR, "examples", "sightline.conf")


def check_file(path, timeout=30):
    return run([SIGHTLINED, "-n", "-f", path], timeout=timeout)


def write(env, name, text, mode=None):
    path = env.path(name)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def conf_text(cf):
    return "".join("%s = %s\n" % (k, lua(v)) for k, v in cf.items())


def keygen(d):
    """The examples' key, as their comment says to make it."""
    r = run([SIGHTLINE, "keygen", "--name", "reseller.example/sightline",
             "--out", d])
    t.eq(r.returncode, 0, "sightline keygen for the example in %s" %
         os.path.basename(d), r.stderr)


def bad(env, desc, cf=None, text=None, want=(), name="bad.conf"):
    """Check a bad configuration: non-zero, no OK, each of want printed."""
    path = write(env, name, text if text is not None else conf_text(cf))
    r = check_file(path)
    t.ok(r.returncode != 0 and "configuration OK" not in r.stdout,
         "%s: refused" % desc,
         "rc %d\nstdout %r\nstderr %r" % (r.returncode, r.stdout, r.stderr))
    for w in want:
        t.contains(r.stderr, w, "%s: says %r" % (desc, w))
    return r


def test_good(env):
    env.write_config(env.config())
    r = env.check_config()
    t.eq(r.returncode, 0, "the harness's configuration: exit 0")
    t.eq(r.stdout, "configuration OK\n", "prints configuration OK")
    t.eq(r.stderr, "", "and nothing on stderr")


def test_example(env):
    """The shipped example, in a directory laid out as `make demo` does."""
    if not os.path.exists(EXAMPLE):
        t.ok(False, "examples/sightline.conf exists", EXAMPLE)
        return
    d = env.path("example")
    os.makedirs(os.path.join(d, "policies"), exist_ok=True)
    shutil.copy(EXAMPLE, d)
    for plugin in ("proxmox", "virtualizor", "solusvm1", "solusvm2",
                   "virtfusion"):
        shutil.copy(os.path.join(SRCDIR, "policies", plugin + ".lua"),
                    os.path.join(d, "policies"))
    # The panels' credentials, in the forms the comments give.
    for name, line in (("vz.cred", "adminapikey=k&adminapipass=p"),
                       ("svm1.cred", "id=sightline&key=k"),
                       ("svm2.token", "svm2-token"),
                       ("vf.token", "vf-token")):
        with open(os.path.join(d, name), "w") as f:
            f.write(line + "\n")
        os.chmod(os.path.join(d, name), 0o600)
    shutil.copy(env.path("server.pem"), d)
    shutil.copy(env.path("server.key"), d)
    os.chmod(os.path.join(d, "server.key"), 0o600)
    shutil.copy(env.path("ca.pem"), os.path.join(d, "panel-ca.pem"))
    shutil.copy(env.cred_path, os.path.join(d, "pve.token"))
    os.chmod(os.path.join(d, "pve.token"), 0o600)
    keygen(d)
    r = check_file(os.path.join(d, "sightline.conf"))
    t.eq((r.returncode, r.stdout, r.stderr), (0, "configuration OK\n", ""),
         "examples/sightline.conf: configuration OK, exit 0")
    text = open(EXAMPLE).read()
    want = hashlib.sha256(b"demo-hoster-token").hexdigest()
    t.contains(text, want, "the example's token_sha256 is the SHA-256 of "
               "the demo token its comment names")
    # Its secrets' modes are checked: the same files, readable by others.
    os.chmod(os.path.join(d, "pve.token"), 0o644)
    r = check_file(os.path.join(d, "sightline.conf"))
    t.ok(r.returncode != 0 and "panels[1].credentials" in r.stderr,
         "the example with a world-readable pve.token is refused",
         r.stderr)


MANPAGE = os.path.join(SRCDIR, "proxy", "sightline.conf.5")


def man_examples(path):
    """The literal blocks of a man page's EXAMPLES section, as text."""
    blocks, cur, inside = [], None, False
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith(".Sh "):
            inside = line == ".Sh EXAMPLES"
        elif inside and line.startswith(".Bd -literal"):
            cur = []
        elif inside and line == ".Ed" and cur is not None:
            blocks.append("\n".join(cur) + "\n")
            cur = None
        elif cur is not None:
            cur.append(line.replace("\\&", "").replace("\\e", "\\"))
    return blocks


def test_man_examples(env):
    """Every configuration in sightline.conf(5)'s EXAMPLES is valid, next
    to the files it names."""
    blocks = man_examples(MANPAGE)
    t.ok(len(blocks) >= 3, "sightline.conf(5) has its examples", len(blocks))
    d = env.path("man")
    os.makedirs(d, exist_ok=True)
    for name, src in (("server.pem", "server.pem"), ("server.key",
                      "server.key"), ("panel-ca.pem", "ca.pem"),
                      ("hoster-ca.pem", "ca.pem")):
        shutil.copy(env.path(src), os.path.join(d, name))
    shutil.copy(POLICY, os.path.join(d, "proxmox.lua"))
    shutil.copy(VZ_POLICY, os.path.join(d, "virtualizor.lua"))
    shutil.copy(env.cred_path, os.path.join(d, "pve.token"))
    with open(os.path.join(d, "vz.cred"), "w") as f:
        f.write("adminapikey=K&adminapipass=P\n")
    for f in ("server.key", "pve.token", "vz.cred"):
        os.chmod(os.path.join(d, f), 0o600)
    keygen(d)
    for i, text in enumerate(blocks, 1):
        path = os.path.join(d, "example%d.conf" % i)
        with open(path, "w") as f:
            # Absolute example paths, moved next to the file.
            f.write(text.replace("/etc/sightline/", ""))
        r = check_file(path)
        t.eq((r.returncode, r.stdout, r.stderr), (0, "configuration OK\n",
                                                  ""),
             "sightline.conf(5) example %d: configuration OK" % i)


def test_many_errors(env):
    cf = env.config()
    cf["colour"] = "blue"                                  # unknown key
    cf["listen"][0]["port"] = "8443"                       # wrong type
    cf["hosters"][0]["token_sha256"] = "abc"               # bad value
    r = bad(env, "three errors", cf, want=(
        "colour: unknown key",
        "listen[1].port: expected a whole number",
        "hosters[1]: token_sha256 must be 64 hex digits"))
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    t.eq(len(lines), 3, "exactly three lines, one per error")
    t.ok(all(x.startswith(env.path("bad.conf") + ": ") for x in lines),
         "each line starts with the file's name", lines)
    t.eq(r.stdout, "", "nothing on stdout")

    cf = env.config()
    del cf["hosters"][0]["token_sha256"]
    bad(env, "pve_token_id without token_sha256", cf,
        want=("hosters[1]: pve_token_id needs token_sha256",))


def test_keys_and_types(env):
    cf = env.config()
    cf["panels"][0]["refresh"] = 60
    cf["limits"] = {"max_conections": 10}
    cf["listen"][0]["tsl"] = True
    bad(env, "unknown keys", cf, want=(
        "panels[1].refresh: unknown key",
        "limits.max_conections: unknown key",
        "listen[1].tsl: unknown key"))

    cf = env.config()
    cf["listen"][1]["tls"] = "no"
    cf["limits"] = {"max_connections": "many", "idle_timeout": "30s"}
    cf["log"] = 5
    cf["panels"][0]["url"] = 443
    bad(env, "wrong types", cf, want=(
        "listen[2].tls: expected true or false",
        "limits.max_connections: expected a whole number",
        "limits.idle_timeout: expected a number of seconds",
        "log: expected a string",
        "panels[1].url: expected a string"))

    cf = env.config()
    cf["hosters"] = "noc"
    cf["limits"] = {"max_connections": 0}
    bad(env, "a string for a list; a number out of range", cf, want=(
        "hosters: expected a list",
        "limits.max_connections: 0 is out of range"))

    cf = env.config()
    del cf["panels"]
    del cf["hosters"]
    bad(env, "missing sections", cf, want=("panels: missing",
                                           "hosters: missing"))


def test_secret_modes(env):
    key = env.path("loose.key")
    shutil.copy(env.path("server.key"), key)
    os.chmod(key, 0o644)
    cf = env.config(tls={"certificate": env.path("server.pem"),
                         "key": key})
    r = bad(env, "a world-readable TLS key", cf,
            want=("tls.key: " + key, "mode 0644"))
    t.contains(r.stderr, "chmod 600", "and says how to fix it")

    cred = env.path("loose.token")
    shutil.copy(env.cred_path, cred)
    os.chmod(cred, 0o604)
    cf = env.config(panel={"credentials": cred})
    bad(env, "a world-readable credentials file", cf,
        want=("panels[1].credentials: " + cred, "mode 0604",
              "lets group or others read a secret"))
    os.chmod(cred, 0o640)
    bad(env, "a group-readable credentials file", cf,
        want=("panels[1].credentials: " + cred, "mode 0640"))

    cf = env.config(panel={"credentials": env.path("absent.token")})
    bad(env, "a missing credentials file", cf,
        want=("panels[1].credentials: " + env.path("absent.token"),
              "No such file"))


def test_signing_keys(env):
    """Keys with wrong modes, wrong lengths or garbage: refused at start,
    naming the file; the daemon itself will not start either."""
    skey, secret = env.key_signing, env.key_secret
    text = open(skey).read().strip()
    parts = text.split("+", 4)      # PRIVATE, KEY, name, key id, base64
    cases = []
    loose = env.path("loose.skey")
    shutil.copy(skey, loose)
    os.chmod(loose, 0o644)
    cases.append(("a world-readable signing key", loose, secret,
                  (loose, "mode 0644", "chmod 600")))
    for name, body, why in (
            ("short.skey", text[:-10] + "\n", "the key is not base64"),
            ("garbage.skey", "\x00\x01 not a key at all\n", "NUL byte"),
            ("vkey.skey", env.vkey + "\n", "not a signing key"),
            ("other-id.skey", "PRIVATE+KEY+%s+00000000+%s\n" % (
                parts[2], parts[4]), "does not match the key")):
        path = env.path(name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, 0o600)
        cases.append(("a signing key: " + name, path, secret, (path, why)))
    for name, body, why in (("short.secret", "AAAA\n",
                             "not base64 of 32 bytes"),
                            ("text.secret", "hunter2 hunter2\n",
                             "not base64 of 32 bytes")):
        path = env.path(name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, 0o600)
        cases.append(("a secret: " + name, skey, path, (path, why)))
    lsecret = env.path("loose.secret")
    shutil.copy(secret, lsecret)
    os.chmod(lsecret, 0o640)
    cases.append(("a group-readable secret", skey, lsecret,
                  (lsecret, "mode 0640")))
    for desc, sk, sc, want in cases:
        cf = env.config(extra={"keys": {"signing": sk, "secret": sc}})
        bad(env, desc, cf, want=("keys: ",) + want)
    cf = env.config(extra={"keys": {"signing": loose, "secret": secret}})
    path = write(env, "loose-key.conf", conf_text(cf))
    try:
        r = run([SIGHTLINED, "-f", path], timeout=20)
        t.ok(r.returncode != 0 and loose in r.stderr,
             "sightlined will not start with a readable signing key",
             r.stderr)
    except subprocess.TimeoutExpired:
        t.ok(False, "sightlined will not start with a readable signing key",
             "it kept running")


def test_policies(env):
    cf = env.config(panel={"policy": env.path("absent.lua")})
    bad(env, "a missing policy file", cf,
        want=(env.path("absent.lua"), "No such file", "panel pve"))

    pol = write(env, "redact.lua",
                'return { record = { id = "keep", owner = "redact" } }\n')
    cf = env.config(panel={"policy": pol})
    bad(env, "a policy with an unknown action", cf,
        want=(pol, 'unknown action "redact"', "record.owner"))

    pol = write(env, "sections.lua",
                'return { record = { id = "keep" }, recrod = {} }\n')
    cf = env.config(panel={"policy": pol})
    bad(env, "a policy with an unknown section", cf,
        want=(pol, 'unknown section "recrod"'))

    pol = write(env, "osexec.lua",
                'os.execute("true")\nreturn { record = { id = "keep" } }\n')
    cf = env.config(panel={"policy": pol})
    bad(env, "a policy that calls os.execute", cf, want=(pol, "'os'"))

    cf = env.config(panel={"ca_file": env.path("absent-ca.pem")})
    bad(env, "a missing panel ca_file", cf,
        want=("panels[1].ca_file: " + env.path("absent-ca.pem"),))

    # Two panels with broken policies: both are reported, at once.
    cf = env.config(panel={"policy": pol})
    second = dict(cf["panels"][0], name="pve2",
                  policy=env.path("absent.lua"))
    cf["panels"].append(second)
    r = bad(env, "two panels with broken policies", cf,
            want=("panels[1]: panel pve: " + pol,
                  "panels[2]: panel pve2: " + env.path("absent.lua")))
    t.eq(len(r.stderr.strip().splitlines()), 2,
         "two broken policies: exactly two error lines")


def test_listeners(env):
    for addr in ("0.0.0.0", "192.0.2.1", "::"):
        cf = env.config(listen=[{"address": addr, "port": 18080,
                                 "tls": False}])
        bad(env, "plain HTTP on %s" % addr, cf,
            want=("listen[1]: plain HTTP (tls = false) is only allowed on "
                  "a loopback address",))
    for addr in ("::1", "127.0.0.2"):
        cf = env.config(listen=[{"address": addr, "port": 18080,
                                 "tls": False}])
        path = write(env, "loop.conf", conf_text(cf))
        r = check_file(path)
        t.eq((r.returncode, r.stdout), (0, "configuration OK\n"),
             "plain HTTP on loopback %s is allowed" % addr)
    cf = env.config(listen=[{"address": "localhost", "port": 18443}])
    bad(env, "a host name as listen address", cf,
        want=('listen[1]: address "localhost" is not an IPv4 or IPv6',))
    cf = env.config(listen=[{"address": "0.0.0.0", "port": 18443}])
    path = write(env, "tlsany.conf", conf_text(cf))
    r = check_file(path)
    t.eq(r.returncode, 0, "TLS on 0.0.0.0 is allowed")
    cf = env.config()
    cf["hosters"][0]["cert_cn"] = "noc"
    bad(env, "cert_cn without tls.client_ca", cf,
        want=("hosters[1]: cert_cn needs tls.client_ca",))


def test_lua_sandbox(env):
    base = conf_text(env.config())
    marker = env.path("pwned")
    for what, code in (
            ("os.execute", 'os.execute("touch %s")\n' % marker),
            ("io.open", 'io.open("%s", "w"):write("x")\n' % marker),
            ("require", 'require("os")\n'),
            ("dofile", 'dofile("/etc/passwd")\n'),
            ("load", 'load("x = 1")()\n'),
            ("string methods", 'log = ("x"):rep(3)\n')):
        r = bad(env, "a configuration that calls " + what,
                text=base + code)
        t.contains(r.stderr, env.path("bad.conf") + ":",
                   "%s: the error names the file and line" % what)
    t.ok(not os.path.exists(marker), "nothing was executed or written")

    for what, code in (
            ("while true do end", "while true do end\n"),
            ("endless recursion in a loop",
             "local function f() return f() end\nf()\n"),
            ("a loop building a table",
             "local t = {}\nfor i = 1, 1e12 do t[i % 100] = i end\n")):
        start = time.monotonic()
        try:
            r = check_file(write(env, "loop.conf", base + code), timeout=20)
        except subprocess.TimeoutExpired:
            t.ok(False, "%s: fails within a bounded time" % what,
                 "still running after 20 s")
            continue
        took = time.monotonic() - start
        t.ok(r.returncode != 0 and took < 10,
             "%s: fails within a bounded time (%.2f s)" % (what, took),
             "rc %d, stderr %r" % (r.returncode, r.stderr))
        t.contains(r.stderr, "instruction budget",
                   "%s: says the instruction budget ran out" % what)

    r = bad(env, "a configuration that eats memory",
            text=base + 's = "x"\nfor i = 1, 40 do s = s .. s end\n')
    t.contains(r.stderr, "memory", "it says memory ran out")

    r = bad(env, "a syntax error", text=base + "listen = {\n")
    t.contains(r.stderr, env.path("bad.conf") + ":",
               "a syntax error names the file")


def test_daemon_refuses(env):
    cf = env.config()
    cf["colour"] = "blue"
    cf["listen"][0]["tls"] = "yes"
    path = write(env, "refuse.conf", conf_text(cf))
    try:
        r = run([SIGHTLINED, "-f", path], timeout=20)
        t.ok(r.returncode != 0, "sightlined refuses to start with a bad "
             "configuration (exit %d)" % r.returncode)
        t.contains(r.stderr, "colour: unknown key",
                   "and prints the first error on stderr")
        t.contains(r.stderr, "listen[1].tls: expected true or false",
                   "and the second")
    except subprocess.TimeoutExpired:
        t.ok(False, "sightlined refuses to start with a bad configuration",
             "it kept running")

    r = check_file(env.path("no-such.conf"))
    t.ok(r.returncode != 0 and "no-such.conf" in r.stderr,
         "a missing configuration file: refused, named", r.stderr)
    r = run([SIGHTLINED, "-x"])
    t.eq(r.returncode, 2, "sightlined -x: exit 2")
    t.contains(r.stderr, "usage: sightlined", "with a usage message")
    r = run([SIGHTLINED, "-n", "-f", env.conf_path, "extra"])
    t.eq(r.returncode, 2, "an extra argument: exit 2")


with Env("config") as env:
    env.emu_port = 8006     # no emulator: the check does not connect
    for fn in (test_good, test_example, test_man_examples, test_many_errors,
               test_keys_and_types, test_secret_modes, test_signing_keys,
               test_policies,
               test_listeners, test_lua_sandbox, test_daemon_refuses):
        t.run(fn, env)
t.done()
