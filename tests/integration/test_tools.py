#!/usr/bin/python3
"""The sightline command-line tool (proxy/sightline.c):

    sightline check-policy [-p plugin] [-s section] POLICY SAMPLE.json
    sightline token [-H]
    sightline version

check-policy prints a FIELD / ACTION / VALUE line for every field of the
sample and then "what the hoster gets"; a broken policy or sample exits 1
with a clear message. token prints a new token and its SHA-256 (-H: hash
the token read on standard input). Bad usage prints the usage, exit 2.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Tap, Env, SIGHTLINE, SIGHTLINED, BUILDDIR,  # noqa
                     FIXTURES, POLICY, run)

t = Tap()
QEMU_CONFIG = "/nodes/{node}/qemu/{vmid}/config"

# A normalized record (schema v1) as the Proxmox plugin builds it, with
# the customer identity the default policy must drop.
RECORD = {
    "id": "pve/100", "panel": "pve", "native_id": "100", "kind": "qemu",
    "node": "pve1", "status": "running", "cpu": 2, "memory_mb": 2048,
    "disk_gb": 140, "uuid": "7b2d9c1e-5f3a-4e8b-9d6c-0a1b2c3d4e5f",
    "owner": "cust-alice", "hostname": "web01.alice.example",
    "name": "web01-alice", "notes": "Customer: Alice <alice@example.com>",
    "tags": ["alice", "prod"],
    "interfaces": [{"mac": "bc:24:11:3a:5f:01", "ips": ["203.0.113.41/24"],
                    "bridge": "vmbr0", "vlan": 10, "firewall": True}],
    "disks": [{"storage": "local-lvm", "volume": "vm-100-disk-0",
               "size_gb": 40, "options": "iothread=1"}],
}


def sl(*args, stdin=None):
    return subprocess.run([SIGHTLINE] + list(args), capture_output=True,
                          text=True, input=stdin, timeout=30)


def fields(out):
    """FIELD -> ACTION from check-policy's table."""
    table, got = out.split("\nwhat the hoster gets:\n", 1) \
        if "\nwhat the hoster gets:\n" in out else (out, "")
    res = {}
    for line in table.splitlines()[1:]:
        m = re.match(r"(\S+)\s+(keep|drop|commit, pseudonym|commit|pseudonym)( \([^)]*\))?\s", line + " ")
        if m:
            res[m.group(1)] = m.group(2) + (m.group(3) or "")
    return res, got


def hoster_gets(got):
    got = got.strip()
    return None if got == "nothing" else json.loads(got)


def write(env, name, text):
    path = env.path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_check_record(env):
    sample = write(env, "record.json", json.dumps(RECORD))
    r = sl("check-policy", POLICY, sample)
    t.eq(r.returncode, 0, "check-policy on a record: exit 0")
    t.ok(r.stdout.startswith("FIELD") and "ACTION" in r.stdout.split(
        "\n")[0] and "VALUE" in r.stdout.split("\n")[0],
        "it prints a FIELD ACTION VALUE header", r.stdout[:200])
    f, got = fields(r.stdout)
    for k in ("id", "node", "status", "memory_mb", "uuid",
              "interfaces[0].mac", "interfaces[0].ips", "disks[0].volume",
              "disks[0].size_gb"):
        t.eq(f.get(k), "keep", "record: %s is shown kept" % k)
    t.eq(f.get("owner"), "commit, pseudonym",
         "record: owner is shown committed, with a pseudonym")
    for k in ("hostname", "name", "notes", "tags"):
        t.eq(f.get(k), "commit", "record: %s is shown committed" % k)
    for k in ("interfaces[0].firewall", "disks[0].options"):
        t.eq(f.get(k), "drop (not named)",
             "record: %s, which no rule names, is shown dropped" % k)
    t.contains(r.stdout, '"cust-alice"', "the committed value is shown")
    out = hoster_gets(got)
    t.ok(out is not None and len(out.get("_sd", [])) == 5 and
         out.get("_sd_alg") == "sha-256" and
         out.get("owner_ps", "").startswith("ps:"),
         "what the hoster gets: five digests, _sd_alg, owner_ps", got)
    t.ok(out is not None and out.get("id") == "pve/100" and
         "owner" not in out and "notes" not in out and
         out["interfaces"] == [{"mac": "bc:24:11:3a:5f:01",
                                "ips": ["203.0.113.41/24"],
                                "bridge": "vmbr0", "vlan": 10}],
         "what the hoster gets: the kept fields only", got)
    t.lacks(got, "alice", "nothing of the customer in what the hoster gets")


def test_check_keys(env):
    """-k: the deployment's secret gives the daemon's digests; without
    it a throwaway key gives others each run."""
    sample = write(env, "record2.json", json.dumps(RECORD))
    runs = [hoster_gets(fields(sl("check-policy", "-k", env.key_secret,
                                  POLICY, sample).stdout)[1]) for _ in (1, 2)]
    t.ok(runs[0] is not None and runs[0] == runs[1],
         "check-policy -k SECRET: the same digests every run")
    other = hoster_gets(fields(sl("check-policy", POLICY, sample).stdout)[1])
    t.ok(other is not None and other.get("_sd") != runs[0].get("_sd"),
         "without -k, a throwaway key: other digests")
    r = sl("check-policy", "-k", env.path("nonexistent.secret"), POLICY,
           sample)
    t.ok(r.returncode == 1 and "nonexistent.secret" in r.stderr,
         "-k with a missing file: exit 1, naming it", r.stderr)


def test_check_native(env):
    sample = os.path.join(FIXTURES, "qemu_config_100.json")
    r = sl("check-policy", "-s", QEMU_CONFIG, POLICY, sample)
    t.eq(r.returncode, 0, "check-policy -s %s: exit 0" % QEMU_CONFIG)
    f, got = fields(r.stdout)
    for k in ("data.cores", "data.memory", "data.net0", "data.ipconfig0",
              "data.scsi0", "data.smbios1", "data.digest"):
        t.eq(f.get(k), "keep", "qemu config: %s is shown kept" % k)
    for k in ("data.cipassword", "data.sshkeys", "data.ciuser"):
        t.eq(f.get(k), "drop", "qemu config: secret %s is shown dropped" % k)
    for k in ("data.description", "data.name", "data.tags"):
        t.eq(f.get(k), "commit", "qemu config: identity %s is shown "
             "committed" % k)
    doc = json.load(open(sample))["data"]
    t.eq(len(f), len(doc), "every field of the sample has a line")
    out = hoster_gets(got)["data"]
    t.ok("sshkeys" not in out and "cipassword" not in out and
         out.get("cores") == 2, "the hoster gets no secrets", out)
    t.lacks(got, "ssh-ed25519", "the SSH key is not in the result")
    long_line = [x for x in r.stdout.splitlines()
                 if x.startswith("data.sshkeys")]
    t.ok(long_line and long_line[0].endswith("..."),
         "long values are cut with ...", long_line)

    sample = os.path.join(FIXTURES, "nodes.json")
    r = sl("check-policy", "-s", "/nodes", POLICY, sample)
    t.eq(r.returncode, 0, "check-policy -s /nodes: exit 0")
    r = sl("check-policy", "-s", "node", POLICY, sample)
    t.eq(r.returncode, 0, "check-policy -s node: exit 0")
    r = sl("check-policy", "-s", "/access/users", POLICY, sample)
    t.eq(r.returncode, 1, "a section the policy does not name: exit 1")
    t.contains(r.stderr, 'no section "/access/users"', "and says so")
    r = sl("check-policy", "-p", "nosuch", POLICY, sample)
    t.eq(r.returncode, 1, "an unknown plugin: exit 1")
    t.contains(r.stderr, 'no plugin "nosuch" (known: proxmox',
               "naming the known plugins")
    r = sl("check-policy", "-p", "proxmox", POLICY, sample)
    t.eq(r.returncode, 0, "-p proxmox: exit 0")


def test_hooks(env):
    pol = write(env, "hooks.lua", """
return {
  record = {
    id = "keep",
    hostname = function(v, path) return "keep", "host-" .. #v end,
    owner = function(v, path) return "drop" end,
    name = function(v, path) if path == "name" then return "keep" end end,
  },
}
""")
    sample = write(env, "record.json", json.dumps(RECORD))
    r = sl("check-policy", pol, sample)
    t.eq(r.returncode, 0, "a policy with hooks: exit 0", )
    f, got = fields(r.stdout)
    t.eq(f.get("hostname"), "keep (hook)", "a hook that keeps: keep (hook)")
    t.eq(f.get("owner"), "drop (hook)", "a hook that drops: drop (hook)")
    t.eq(f.get("name"), "keep (hook)", "hooks get the field's path")
    out = hoster_gets(got)
    t.eq(out, {"id": "pve/100", "hostname": "host-19",
               "name": "web01-alice"},
         "a hook's new value is what the hoster gets")


def test_broken(env):
    sample = write(env, "record.json", json.dumps(RECORD))
    cases = (
        ("a syntax error", "return { record = { id = \"keep\" }\n",
         ["syntax.lua"]),
        ("an unknown action", 'return { record = { id = "keep", '
         'owner = "hide" } }\n', ['unknown action "hide"', "record.owner"]),
        ("no record section", 'return { node = { id = "keep" } }\n',
         ['no "record" section']),
        ("a native endpoint not allowed",
         'return { record = { id = "keep" }, native = '
         '{ ["/access/users"] = { data = "keep" } } }\n',
         ['native["/access/users"]: not an endpoint']),
        ("os.execute at load", 'os.execute("touch ' + env.path("pwned") +
         '")\nreturn { record = { id = "keep" } }\n', ["'os'"]),
        ("an endless loop at load", "while true do end\n",
         ["instruction budget"]),
    )
    for i, (desc, text, want) in enumerate(cases):
        name = "syntax.lua" if i == 0 else "broken%d.lua" % i
        pol = write(env, name, text)
        r = sl("check-policy", pol, sample)
        t.eq(r.returncode, 1, "a broken policy (%s): exit 1" % desc)
        t.eq(r.stdout, "", "%s: no table printed" % desc)
        t.contains(r.stderr, "sightline: " + pol,
                   "%s: the error names the policy" % desc)
        for w in want:
            t.contains(r.stderr, w, "%s: says %r" % (desc, w))
    t.ok(not os.path.exists(env.path("pwned")), "the policy ran nothing")

    # Broken while applied: the table so far, then an error, exit 1.
    for desc, hook, want in (
            ("a hook that errors", 'error("boom")', "boom"),
            ("a hook with a bad action", 'return "reveal"', "reveal"),
            ("a hook that loops", "while true do end",
             "instruction budget")):
        pol = write(env, "hook.lua", 'return { record = { id = "keep", '
                    'owner = function(v) %s end } }\n' % hook)
        r = sl("check-policy", pol, sample)
        t.eq(r.returncode, 1, "%s: exit 1" % desc)
        t.contains(r.stderr, "the policy fails on " + sample,
                   "%s: the policy fails on the sample" % desc)
        t.contains(r.stderr, want, "%s: says %r" % (desc, want))
        t.lacks(r.stdout, "what the hoster gets",
                "%s: no partial result is printed" % desc)

    r = sl("check-policy", POLICY, env.path("absent.json"))
    t.eq(r.returncode, 1, "a missing sample: exit 1")
    t.contains(r.stderr, "absent.json", "naming it")
    bad = write(env, "bad.json", '{"id": "pve/100",\n "id": 1}')
    r = sl("check-policy", POLICY, bad)
    t.eq(r.returncode, 1, "a sample with a duplicate key: exit 1")
    t.contains(r.stderr, "bad.json:2:", "with file:line")
    r = sl("check-policy", env.path("absent.lua"), sample)
    t.eq(r.returncode, 1, "a missing policy: exit 1")
    t.contains(r.stderr, "absent.lua", "naming it")


def test_token(env):
    r = sl("token")
    t.eq(r.returncode, 0, "sightline token: exit 0")
    m = re.fullmatch(r"token:\s+([0-9a-f]{64})\ntoken_sha256:\s+"
                     r"([0-9a-f]{64})\n", r.stdout)
    t.ok(m is not None, "prints token: and token_sha256: lines", r.stdout)
    if m:
        tok, digest = m.groups()
        t.eq(hashlib.sha256(tok.encode()).hexdigest(), digest,
             "token_sha256 is the SHA-256 of the token")
    t.contains(r.stderr, "token_sha256 in sightline.conf",
               "the advice goes to stderr")
    r2 = sl("token")
    m2 = re.search(r"token:\s+([0-9a-f]{64})", r2.stdout)
    t.ok(m and m2 and m.group(1) != m2.group(1),
         "two runs give two different tokens")

    for given in ("hoster-secret-0123456789abcdef",
                  "hoster-secret-0123456789abcdef\n",
                  "hoster-secret-0123456789abcdef\r\n"):
        r = sl("token", "-H", stdin=given)
        t.eq((r.returncode, r.stdout),
             (0, hashlib.sha256(b"hoster-secret-0123456789abcdef")
              .hexdigest() + "\n"),
             "token -H hashes the token on stdin (%r)" % given[-2:])
    r = sl("token", "-H", stdin="")
    t.eq(r.returncode, 1, "token -H with nothing on stdin: exit 1")
    t.contains(r.stderr, "no token on standard input", "and says so")

    # The hash works in a configuration (the check accepts it).
    env.emu_port = 8006
    cf = env.config()
    cf["hosters"][0]["token_sha256"] = m.group(2) if m else "x"
    path = env.write_config(cf, env.path("token.conf"))
    r = run([SIGHTLINED, "-n", "-f", path])
    t.eq(r.stdout, "configuration OK\n",
         "a printed token_sha256 is accepted by sightlined -n")


def version_of_config_h():
    for d in (BUILDDIR,):
        p = os.path.join(d, "config.h")
        if os.path.exists(p):
            m = re.search(r'#define PACKAGE_VERSION "([^"]+)"', open(p).read())
            if m:
                return m.group(1)
    return None


def test_version_usage(env):
    r = sl("version")
    want = version_of_config_h()
    t.eq((r.returncode, r.stdout), (0, "sightline %s\n" % want),
         "sightline version prints the package version")
    r = run([SIGHTLINED, "-v"])
    t.eq(r.stdout, "sightlined %s\n" % want, "the same as sightlined -v")

    for args in ((), ("frobnicate",), ("check-policy",),
                 ("check-policy", POLICY), ("check-policy", "-x", POLICY,
                                             POLICY),
                 ("check-policy", "a", "b", "c"), ("token", "-x"),
                 ("token", "extra")):
        r = sl(*args)
        t.eq(r.returncode, 2, "sightline %s: exit 2" % " ".join(args))
        t.contains(r.stderr, "usage: sightline check-policy",
                   "sightline %s: prints the usage" % " ".join(args))
        t.eq(r.stdout, "", "sightline %s: nothing on stdout" %
             " ".join(args))


def test_man_examples(env):
    """sightline(1)'s EXAMPLES: the token and digest it shows belong
    together, and its commands work as shown."""
    man = open(os.path.join(os.path.dirname(POLICY), "..", "proxy",
                            "sightline.1")).read()
    ex = man[man.index(".Sh EXAMPLES"):man.index(".Sh SEE ALSO")]
    tok = re.search(r"^token: +([0-9a-f]{64})$", ex, re.M)
    dig = re.search(r"^token_sha256: ([0-9a-f]{64})$", ex, re.M)
    t.ok(tok and dig, "sightline(1) shows a token and its token_sha256")
    if not (tok and dig):
        return
    t.eq(hashlib.sha256(tok.group(1).encode()).hexdigest(), dig.group(1),
         "sightline(1)'s token_sha256 is the SHA-256 of its token")
    r = subprocess.run([SIGHTLINE, "token", "-H"], input=tok.group(1) +
                       "\n", capture_output=True, text=True)
    t.eq(r.stdout.strip(), dig.group(1),
         "printf '%s\\n' \"$TOKEN\" | sightline token -H prints it")
    conf5 = open(os.path.join(os.path.dirname(POLICY), "..", "proxy",
                              "sightline.conf.5")).read()
    t.contains(conf5, dig.group(1)[:32],
               "sightline.conf(5)'s examples use the same digest")
    rec = env.path("record.json")
    with open(rec, "w") as f:
        json.dump(RECORD, f)
    r = run([SIGHTLINE, "check-policy", POLICY, rec])
    t.ok(r.returncode == 0 and "keep" in r.stdout, "sightline check-policy "
         "POLICY record.json, as shown, exits 0 and shows the fields",
         r.stderr)


with Env("tools") as env:
    for fn in (test_check_record, test_check_keys, test_check_native, test_hooks,
               test_broken, test_token, test_version_usage,
               test_man_examples):
        t.run(fn, env)
t.done()
