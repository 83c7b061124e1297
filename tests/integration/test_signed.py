#!/usr/bin/python3
"""Every answer is signed, and three verifiers nobody shares code with agree.

Answers of every kind (lists, lookups, records, nodes, the key, problems
from 400 to 503, native Proxmox calls, HEAD, /healthz, /metrics) are
fetched with curl, the real client a hoster uses, saved as `curl -i`
prints them, and checked by:
  - `sightline verify-response --key VKEY`, the hoster's tool;
  - tests/lib/sigcheck.py, a base built apart from the C code, verified
    with Python's cryptography;
  - the npm package http-message-signatures (tests/interop/verify_sig.mjs).
Then saved answers are tampered with, and the tool must say what failed.
"""
import json
import re
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, SIGHTLINE, SRCDIR, run  # noqa: E402
from npm import node_modules  # noqa: E402
import sigcheck  # noqa: E402

t = Tap()
CURL = os.environ.get("CURL", "curl")
NODE = os.environ.get("NODE", "node")
VERIFY_MJS = os.path.join(SRCDIR, "tests", "interop", "verify_sig.mjs")

# (method, target, token?, expected status)
CASES = [
    ("GET", "/v1/vps", True, 200),
    ("GET", "/v1/vps/pve/100", True, 200),
    ("GET", "/v1/lookup?ip=203.0.113.41", True, 200),
    ("GET", "/v1/lookup?mac=BC:24:11:3A:5F:01", True, 200),
    ("GET", "/v1/lookup?ip=192.0.2.254", True, 404),
    ("GET", "/v1/nodes", True, 200),
    ("GET", "/v1/key", True, 200),
    ("HEAD", "/v1/vps", True, 200),
    ("GET", "/v1/vps/pve/999", True, 404),
    ("GET", "/v1/nothing", True, 404),
    ("GET", "/v1/lookup?ip=not-an-ip", True, 400),
    ("GET", "/v1/vps", False, 401),
    ("GET", "/api2/json/nodes", True, 200),
    ("GET", "/native/pve/api2/json/nodes/pve1/qemu/100/config", True, 200),
    ("GET", "/api2/json/access/users", True, 403),
    ("GET", "/healthz", False, 200),
    ("GET", "/metrics", True, 200),
]


def curl_exchange(env, method, target, token):
    """The exchange as a hoster saves it: the request line, then curl -i."""
    cmd = [CURL, "-s", "-i", "--cacert", env.path("ca.pem"),
           "https://127.0.0.1:%d%s" % (env.port, target)]
    cmd[1:1] = ["-I"] if method == "HEAD" else []
    if token:
        cmd[1:1] = ["-H", "Authorization: Bearer " + env.token]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    return ("%s %s HTTP/1.1\n" % (method, target)).encode() + r.stdout


def split(exchange):
    """(status, [(name, value)], body) of a saved exchange's response."""
    _, _, response = exchange.partition(b"\n")
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:]]
    return status, hdrs, body


def verify_cli(env, path):
    return run([SIGHTLINE, "verify-response", "--key",
                env.path("sightline.test_reseller.vkey"), path])


def test_all(env):
    saved, npm_in = [], []
    for i, (method, target, token, want) in enumerate(CASES):
        ex = curl_exchange(env, method, target, token)
        status, hdrs, body = split(ex)
        t.eq(status, want, "%s %s answers %d" % (method, target, want))
        path = env.path("exchange%d.http" % i)
        with open(path, "wb") as f:
            f.write(ex)
        saved.append(path)
        r = verify_cli(env, path)
        t.ok(r.returncode == 0 and r.stdout.startswith("valid: "),
             "verify-response: %s %s is valid" % (method, target),
             r.stdout + r.stderr)
        p, _, q = target.partition("?")
        err = sigcheck.verify(env.vkey, method, p, q if "?" in target else
                              None, status, hdrs, body)
        t.ok(err is None, "independent check (sigcheck.py): %s %s" %
             (method, target), err)
        names = [k.lower() for k, _ in hdrs]
        for h in ("content-digest", "signature-input", "signature",
                  "sightline-inventory"):
            t.ok(h in names, "%s %s carries %s" % (method, target, h))
        npm_in.append({"vkey": env.vkey, "method": method,
                       "url": "https://127.0.0.1:%d%s" % (env.port, target),
                       "status": status,
                       "headers": {k.lower(): v for k, v in hdrs}})
    # The npm package, once over all of them, and over two tampered ones
    # (so that its "ok" is known to mean something).
    bad_status = dict(npm_in[0], status=203)
    bad_query = dict(npm_in[2], url=npm_in[2]["url"].replace(".41", ".42"))
    modules, how = node_modules()
    if not t.ok(modules is not None, "the pinned npm packages (%s)" %
                ("found" if modules else "missing"), how):
        return saved
    r = subprocess.run([NODE, VERIFY_MJS, modules], input=json.dumps(
        npm_in + [bad_status, bad_query]), capture_output=True, text=True,
        timeout=60)
    out = r.stdout.splitlines()
    t.eq(len(out), len(CASES) + 2, "http-message-signatures (npm) judged "
         "every answer", r.stderr[-2000:])
    t.ok(out[-2:] == [l for l in out[-2:] if l.startswith("fail")] and
         len(out) >= 2, "http-message-signatures (npm) refuses a changed "
         "status and a changed query", out[-2:])
    for (method, target, _, _), line in zip(CASES, out):
        t.eq(line, "ok", "http-message-signatures (npm): %s %s" %
             (method, target))
    return saved


def test_key(env):
    r = env.get("/v1/key")
    t.eq(r.body.decode().strip(), env.vkey, "/v1/key serves the keygen's "
         "verifier key")
    t.contains(dict((k.lower(), v) for k, v in r.headers).get(
        "sightline-inventory", ""), "none", "/v1/key comes from no inventory")


def test_sources(env):
    h = dict((k.lower(), v) for k, v in env.get("/v1/vps").headers)
    t.ok(re.fullmatch(r"snapshot=\d+", h.get("sightline-inventory", "")),
         "a /v1 answer names the snapshot it came from",
         h.get("sightline-inventory"))
    h = dict((k.lower(), v) for k, v in env.get(
        "/api2/json/nodes").headers)
    t.eq(h.get("sightline-inventory"), "pve=live",
         "a native answer says it is live")
    si = h.get("signature-input", "")
    for c in ('"@status"', '"content-digest"', '"content-type"',
              '"sightline-inventory"', '"@method";req', '"@path";req',
              '"@query";req', 'alg="ed25519"', 'created=',
              'keyid="%s"' % env.vkey.split("+")[1]):
        t.contains(si, c, "Signature-Input covers %s" % c)


def test_tampered(env, saved):
    good = open(saved[2], "rb").read()      # a lookup
    cases = [
        (b"203.0.113.41/24", b"203.0.113.42/24", "invalid: digest:"),
        (b"content-type: application/json", b"content-type: text/plain",
         "invalid: signature:"),
        (b"HTTP/1.1 200 OK", b"HTTP/1.1 404 OK", "invalid: signature:"),
        (b"GET /v1/lookup?ip=203.0.113.41", b"GET /v1/lookup?ip=203.0.113.9",
         "invalid: signature:"),
        (b'"@query";req', b'"@query"', "invalid: covered:"),
        (b"signature: sightline=:", b"signature: sightline=:AA",
         "invalid: signature:"),
    ]
    for i, (a, b, want) in enumerate(cases):
        lower = good.replace(b"Content-Type:", b"content-type:").replace(
            b"Signature:", b"signature:")
        if a not in lower:
            t.ok(False, "tamper %r: not in the saved answer" % a)
            continue
        path = env.path("tampered%d.http" % i)
        with open(path, "wb") as f:
            f.write(lower.replace(a, b, 1))
        r = verify_cli(env, path)
        t.ok(r.returncode == 1 and r.stdout.startswith(want),
             "tampered %s -> the tool says %r" % (a.decode()[:30], want),
             r.stdout + r.stderr)
    # Another deployment's key.
    other = env.path("other")
    os.makedirs(other, exist_ok=True)
    r = run([SIGHTLINE, "keygen", "--name", "other.example/x", "--out", other])
    r = run([SIGHTLINE, "verify-response", "--key", r.stdout.strip(),
             saved[2]])
    t.ok(r.returncode == 1 and r.stdout.startswith("invalid: key id:"),
         "another deployment's key: invalid: key id", r.stdout)
    # Broken inputs are usage errors (2), not "invalid".
    r = run([SIGHTLINE, "verify-response", "--key", "garbage", saved[2]])
    t.ok(r.returncode == 2 and "verifier key" in r.stderr,
         "a garbage key is refused: %s" % r.stderr.strip())
    path = env.path("empty.http")
    open(path, "w").close()
    r = verify_cli(env, path)
    t.ok(r.returncode == 2 and "cannot read the exchange" in r.stderr,
         "an empty file is refused: %s" % r.stderr.strip())
    r = run([SIGHTLINE, "verify-response", "--key",
             env.path("sightline.test_reseller.vkey")],
            input=good.decode("latin-1"))
    t.ok(r.returncode == 0, "the exchange can come on standard input",
         r.stdout + r.stderr)


def test_threads(env):
    """Signing on the event loop (sign_threads = 0) and on 3 threads: many
    clients at once, each answer signed for its own request."""
    import threading
    targets = ["/v1/lookup?ip=203.0.113.41", "/v1/vps/pve/100",
               "/v1/vps/pve/101", "/v1/nodes", "/v1/vps/pve/999",
               "/v1/lookup?mac=BC:24:11:3A:5F:01", "/healthz", "/v1/key"]
    for n in (0, 3):
        env.stop_daemon()
        env.write_config(env.config(extra={"limits": {"sign_threads": n}}))
        env.start_daemon()
        bad, count = [], [0]

        def client(k):
            for i in range(40):
                target = targets[(i + k) % len(targets)]
                r = env.get(target)
                p, _, q = target.partition("?")
                err = sigcheck.verify(env.vkey, "GET", p, q or None,
                                      r.status, r.headers, r.body)
                count[0] += 1
                if err is not None:
                    bad.append((target, r.status, err))
        ths = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        t.ok(count[0] == 320 and not bad, "sign_threads = %d: 320 answers to "
             "8 clients at once, each signed for its own request" % n,
             bad[:5])


with Env("signed") as env:
    env.start()
    t.run(test_key, env)
    t.run(test_sources, env)
    saved = test_all(env)
    t.run(test_tampered, env, saved)
    t.run(test_threads, env)
t.done()
