#!/usr/bin/python3
"""sightline audit, the hoster's monitor and witness, against the real
daemon; and fields of past snapshots disclosed from the state directory.

    sightline audit URL --key VKEY --state DIR [--token-file F] [--json]
    sightline disclose --state DIR --seq N --id ID --field PATH [--size M]
    sightline verify-disclosure --bundle FILE --key VKEY [--checkpoint F]

The first audit trusts on first use and says so; the next one checks a
consistency proof and reports what changed; each one cosigns the
checkpoint, and the cosignature is checked again here in plain Python
(tests/lib/tlog.py). Then a reseller who holds the key cheats, each way
caught with exit 2 and its reason: (a) history rewritten in state.db and
the log re-signed, (b) a snapshot dropped and the log re-signed, (c) the
state thrown away (a forked log), (d) a lying front that serves a record
other than the logged one, re-signed correctly with the key.
"""
import base64
import json
import os
import shutil
import sqlite3
import stat
import sys
import threading
import time
import urllib.parse
import http.client
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Tap, Env, SIGHTLINE, KEY_NAME, free_port,  # noqa: E402
                     run)
import tlog  # noqa: E402

t = Tap()
ORIGIN = "sightline/" + KEY_NAME
ORIGIN_DIR = urllib.parse.quote(ORIGIN, safe="")
PANEL = {"min_refresh_interval": 0}


def fetch(env, path):
    r = env.get(path)
    if r.status != 200:
        raise RuntimeError("%s: %d %s" % (path, r.status, r.body[:300]))
    return r


def fresh(env):
    return fetch(env, "/v1/vps?fresh=1").json()["snapshot"]["seq"]


def size_now(env):
    text, _ = tlog.split_note(fetch(env, "/v1/checkpoint").text())
    return tlog.parse_checkpoint(text)[1]


def token_file(env):
    path = env.path("hoster.token")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(env.token + "\n")
        os.chmod(path, 0o600)
    return path


def audit(env, state, *extra, url=None, key=None):
    return run([SIGHTLINE, "audit", url or "http://127.0.0.1:%d" %
                env.plain_port, "--key", key or env.vkey, "--state", state,
                "--token-file", token_file(env)] + list(extra), timeout=120)


def kept(state):
    with open(os.path.join(state, ORIGIN_DIR, "checkpoint")) as f:
        return f.read()


def reason(r):
    return r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""


# ---- the honest log ----

def test_audits(env):
    st = env.path("audit")
    n = size_now(env)
    r = audit(env, st)
    t.eq(r.returncode, 0, "first audit: exit 0", r.stdout + r.stderr)
    t.contains(r.stdout, "first audit of %s: checkpoint of size %d accepted "
               "on first use" % (ORIGIN, n), "it says it trusts on first use")
    t.ok(r.stdout.splitlines()[-1].startswith("verified: %s, size %d" %
                                              (ORIGIN, n)),
         "and ends with a verified summary line", r.stdout)
    t.ok(all(line.split()[0] in ("ok", "verified:")
             for line in r.stdout.splitlines()),
         "every line is an ok line, then the summary", r.stdout)
    t.lacks(r.stdout + r.stderr, env.token, "the bearer token is not printed")
    t.eq(stat.S_IMODE(os.stat(st).st_mode), 0o700,
         "the state directory is made 0700")
    t.eq(stat.S_IMODE(os.stat(os.path.join(st, "witness.skey")).st_mode),
         0o600, "the witness key made on the first run is 0600")
    wvkey = open(os.path.join(st, "witness.vkey")).read().strip()
    name, _, typ, _ = tlog.parse_vkey(wvkey)
    t.ok(typ == 4 and name.startswith("sightline-audit/"),
         "witness.vkey is a cosignature key (type 0x04) named "
         "sightline-audit/HOST", wvkey)
    t.eq(kept(st), fetch(env, "/v1/checkpoint").text(),
         "the verified checkpoint is kept")
    cosigned = os.path.join(st, ORIGIN_DIR, "cosigned", "%d.checkpoint" % n)
    t.contains(r.stdout, "cosigned as %s: %s (verified" % (name, cosigned),
               "the audit verified its cosignature (note_cosig_verify)")
    note = open(cosigned).read()
    when = tlog.verify_cosignature(note, wvkey)
    t.ok(abs(when - time.time()) < 120, "Python cryptography verifies the "
         "cosignature over cosignature/v1, time and the checkpoint", when)
    t.ok(tlog.verify_note(note, env.vkey),
         "the cosigned file keeps the log's own signature")

    # The same log again: nothing appended.
    r = audit(env, st)
    t.eq(r.returncode, 0, "an audit of the same checkpoint: exit 0",
         r.stdout)
    t.contains(r.stdout, "same checkpoint as at the last audit",
               "it says so")

    # New snapshots with other VMs (the emulator comes back with three
    # more), then the second audit.
    before = n - 1
    env.emu.terminate()
    env.emu.wait(5)
    env.start_emulator("--generate", "3", "--seed", "7", port=env.emu_port)
    fresh(env)
    last = fresh(env)
    r = audit(env, st)
    t.eq(r.returncode, 0, "second audit after two snapshots: exit 0",
         r.stdout + r.stderr)
    t.contains(r.stdout, "consistent with the checkpoint of size %d kept on "
               % n, "it checked a consistency proof from the kept size")
    t.contains(r.stdout, "2 snapshots appended since",
               "and counts the snapshots appended")
    t.contains(r.stdout, "changes since snapshot %d: 2 snapshots appended; "
               "3 added (pve/1000, pve/1001, pve/1002)" % before,
               "it reports the VMs added since the last audit")
    t.contains(r.stdout, "snapshot %d: " % last,
               "it checked the latest snapshot")
    t.contains(r.stdout, "records sorted by id, their tree's root "
               "recomputed", "and recomputed its root from the records")
    t.eq(tlog.parse_checkpoint(tlog.split_note(kept(st))[0])[1], last + 1,
         "the new checkpoint is kept")
    t.ok(os.path.exists(os.path.join(st, ORIGIN_DIR, "cosigned",
                                     "%d.checkpoint" % (last + 1))),
         "and cosigned")

    # --json, for machines.
    r = audit(env, st, "--json")
    t.eq(r.returncode, 0, "--json: exit 0", r.stderr)
    doc = json.loads(r.stdout)
    for k, typ in (("origin", str), ("size", int), ("root", str),
                   ("first_use", bool), ("checks", list),
                   ("findings", list), ("failures", list),
                   ("changes", dict), ("exit", int), ("result", str),
                   ("snapshot", dict), ("cosignature", dict)):
        t.ok(isinstance(doc.get(k), typ), "--json: %s is a %s" %
             (k, typ.__name__), doc.get(k))
    t.eq((doc["origin"], doc["size"], doc["first_use"], doc["exit"],
          doc["failures"]), (ORIGIN, last + 1, False, 0, []),
         "--json: origin, size, not first use, exit 0, no failure")
    t.ok(all(set(c) == {"check", "ok", "detail"} and c["ok"]
             for c in doc["checks"]),
         "--json: every check has a name, ok and a detail", doc["checks"])
    t.eq(doc["root"], tlog.b64(tlog.parse_checkpoint(
        tlog.split_note(kept(st))[0])[2]), "--json: the root is the kept one")
    t.eq(doc["snapshot"]["summary"]["seq"], last,
         "--json: the latest snapshot's summary")
    t.ok(doc["cosignature"]["witness"] == wvkey and
         os.path.exists(doc["cosignature"]["file"]),
         "--json: the cosignature's file and witness key", doc["cosignature"])

    # A witness key of one's own: cosignatures under its type-0x04 key.
    r = run([SIGHTLINE, "keygen", "--name", "noc.hoster.example/witness",
             "--out", env.dir])
    wname, _, _, wpub = tlog.parse_vkey(r.stdout.strip())
    wvkey2 = "%s+%s+%s" % (wname, tlog.key_id(wname, 4, wpub).hex(),
                           tlog.b64(b"\x04" + wpub))
    st2 = env.path("audit-own-witness")
    r = audit(env, st2, "--witness-key",
              env.path("noc.hoster.example_witness.skey"))
    t.eq(r.returncode, 0, "--witness-key: exit 0", r.stdout)
    note = open(os.path.join(st2, ORIGIN_DIR, "cosigned", "%d.checkpoint"
                             % (last + 1))).read()
    t.ok(tlog.verify_cosignature(note, wvkey2) > 0,
         "the cosignature is by that key, as type 0x04")
    t.ok(not os.path.exists(os.path.join(st2, "witness.skey")),
         "and no witness key is made in the state directory")

    # The deployment key decides: another key fails, and nothing is kept.
    r = run([SIGHTLINE, "keygen", "--name", "someone.else/log", "--out",
             env.dir])
    before_kept = kept(st)
    bad = audit(env, st, key=r.stdout.strip())
    t.eq(bad.returncode, 2, "an audit with another key: exit 2", bad.stdout)
    t.ok("FAIL" in bad.stdout and "bad-signature" in reason(bad),
         "it fails with bad-signature: %s" % reason(bad), bad.stdout)
    t.eq(kept(st), before_kept, "a failed audit keeps nothing new")

    bad = run([SIGHTLINE, "audit", "http://127.0.0.1:%d" % free_port(),
               "--key", env.vkey, "--state", st])
    t.ok(bad.returncode == 2 and "network" in reason(bad) and
         "no answer from" in bad.stdout,
         "no server: exit 2, a network failure that says so", bad.stdout)
    nobody = env.path("nobody.token")
    with open(nobody, "w") as f:
        f.write("not-the-token\n")
    os.chmod(nobody, 0o600)
    bad = run([SIGHTLINE, "audit", "http://127.0.0.1:%d" % env.plain_port,
               "--key", env.vkey, "--state", st, "--token-file", nobody])
    t.ok(bad.returncode == 2 and "status 401" in bad.stdout,
         "a refused token: exit 2 with the status", bad.stdout)
    t.lacks(bad.stdout + bad.stderr, "not-the-token",
            "the token is not printed")

    # Over TLS, with the CA that signed the daemon's certificate.
    url = "https://127.0.0.1:%d" % env.port
    r = audit(env, st, "--cafile", env.path("ca.pem"), url=url)
    t.eq(r.returncode, 0, "over https with --cafile: exit 0", r.stdout)
    r = audit(env, st, url=url)
    t.ok(r.returncode == 2 and "network" in reason(r),
         "over https without the CA: the certificate is refused, exit 2",
         r.stdout)

    # An old latest snapshot is a finding: exit 1.
    time.sleep(2.1)
    r = audit(env, st, "--max-age", "1")
    t.eq(r.returncode, 1, "--max-age 1 on a 2 s old snapshot: exit 1",
         r.stdout)
    t.ok("finding" in r.stdout and "more than 1 s" in r.stdout and
         reason(r).startswith("verified with 1 finding"),
         "the snapshot's age is a finding", r.stdout)


# ---- disclosure from history ----

def test_disclose(env):
    st = env.path("audit")
    state = env.path("state")
    seq = fetch(env, "/v1/vps").json()["snapshot"]["seq"]
    audit(env, st)
    rec = fetch(env, "/v1/vps/pve%%2F100?at=%d" % seq).json()["record"]
    r = run([SIGHTLINE, "disclose", "--state", state, "--seq", str(seq),
             "--id", "pve/100", "--field", "owner"])
    t.eq(r.returncode, 0, "disclose --state: exit 0 while the daemon runs",
         r.stderr)
    b = json.loads(r.stdout)
    t.eq(sorted(b), ["disclosure", "field", "proof", "record", "snapshot"],
         "the bundle: field, disclosure, record, snapshot, proof")
    t.eq(b["record"], rec, "its record is the one served for that snapshot")
    t.eq(b["snapshot"]["seq"], seq, "its summary is the snapshot's")
    arr = json.loads(base64.urlsafe_b64decode(b["disclosure"] + "=" * (
        -len(b["disclosure"]) % 4)))
    t.eq(arr[1], "owner", "the disclosure opens owner")
    proof = b["proof"]
    leaf = tlog.leaf_hash(tlog.jcs(b["snapshot"]))
    text, _ = tlog.split_note(proof["checkpoint"])
    _, size, root = tlog.parse_checkpoint(text)
    t.ok(tlog.verify_inclusion(seq, size, leaf, [tlog.unb64(h) for h in
                                                 proof["log"]["proof"]],
                               root),
         "Python: the summary is in the log the checkpoint signs")
    bpath = env.path("bundle.json")
    with open(bpath, "w") as f:
        f.write(r.stdout)

    def verify(path, *extra):
        return run([SIGHTLINE, "verify-disclosure", "--bundle", path,
                    "--key", env.vkey] + list(extra))
    v = verify(bpath)
    t.eq(v.returncode, 0, "verify-disclosure --bundle: exit 0", v.stdout)
    t.ok(v.stdout.startswith("valid: owner = %s is committed in record "
                             "pve/100" % json.dumps(arr[2])),
         "it opens the field", v.stdout)
    for what in ("is leaf", "of snapshot %d's record tree" % seq,
                 "snapshot %d is leaf %d of the log of size %d" %
                 (seq, seq, size), "is signed by " + KEY_NAME,
                 "not proven: that this checkpoint is one you audited"):
        t.contains(v.stdout, what, "it says: ..." + what)
    kept_path = os.path.join(st, ORIGIN_DIR, "checkpoint")
    v = verify(bpath, "--checkpoint", kept_path)
    t.ok(v.returncode == 0 and "is the trusted one" in v.stdout,
         "against the audited checkpoint of the same size: valid", v.stdout)

    # An older snapshot, proven against an older audited checkpoint.
    old = os.path.join(st, ORIGIN_DIR, "cosigned")
    sizes = sorted(int(n.split(".")[0]) for n in os.listdir(old))
    r = run([SIGHTLINE, "disclose", "--state", state, "--seq", "0",
             "--id", "pve/100", "--field", "owner", "--size",
             str(sizes[0])])
    t.eq(r.returncode, 0, "disclose --seq 0 --size %d: exit 0" % sizes[0],
         r.stderr)
    opath = env.path("bundle-old.json")
    with open(opath, "w") as f:
        f.write(r.stdout)
    v = verify(opath, "--checkpoint", os.path.join(old, "%d.checkpoint" %
                                                    sizes[0]))
    t.ok(v.returncode == 0 and "is the trusted one" in v.stdout,
         "a past snapshot against the cosigned checkpoint of that size",
         v.stdout)
    v = verify(opath, "--checkpoint", kept_path)
    t.ok(v.returncode == 1 and v.stdout.splitlines()[-1].startswith(
        "not proven: the bundle's checkpoint is of size %d" % sizes[0]),
        "against a checkpoint of another size: not proven, exit 1",
        v.stdout)

    # Tampered bundles.
    def tampered(change, why, want):
        doc = json.load(open(bpath))
        change(doc)
        p = env.path("tampered.json")
        with open(p, "w") as f:
            json.dump(doc, f)
        v = verify(p)
        t.ok(v.returncode == 1 and v.stdout.startswith("invalid: ") and
             want in v.stdout, "a bundle with %s is refused: %s" %
             (why, v.stdout.strip()[:150]), v.stdout)

    def status(d):
        d["record"]["status"] = "paused"

    def value(d):
        a = json.loads(base64.urlsafe_b64decode(d["disclosure"] + "=" * (
            -len(d["disclosure"]) % 4)))
        a[2] = "mallory"
        d["disclosure"] = base64.urlsafe_b64encode(json.dumps(
            a, separators=(",", ":")).encode()).rstrip(b"=").decode()

    def when(d):
        d["snapshot"]["time"] += 1

    def field(d):
        d["field"] = "hostname"

    def note(d):
        d["proof"]["checkpoint"] = d["proof"]["checkpoint"].replace(
            "\n%d\n" % size, "\n%d\n" % (size + 1))
    tampered(status, "another record", "record: pve/100 is not proven")
    tampered(value, "another value", "disclosure: ")
    tampered(when, "another summary", "log: snapshot %d is not proven" % seq)
    tampered(field, "another field", "it opens field owner, not hostname")
    tampered(note, "another checkpoint", "checkpoint: ")

    r = run([SIGHTLINE, "disclose", "--state", state, "--seq", str(seq),
             "--id", "pve/100", "--field", "status"])
    t.ok(r.returncode == 1 and "is not committed" in r.stderr,
         "a field in plain text is not disclosed", r.stderr)
    r = run([SIGHTLINE, "disclose", "--state", state, "--seq", str(seq),
             "--id", "pve/4242", "--field", "owner"])
    t.ok(r.returncode == 1 and "has no record pve/4242" in r.stderr,
         "an unknown record is refused", r.stderr)
    r = run([SIGHTLINE, "disclose", "--state", state, "--seq", "99999",
             "--id", "pve/100", "--field", "owner"])
    t.ok(r.returncode == 1 and r.stderr.strip(),
         "an unknown snapshot is refused", r.stderr)


# ---- a reseller with the key rewrites the log ----

def cheat(env, edit):
    """Stop the daemon, edit state.db as edit(db) does, rebuild and
    re-sign the log with the deployment key, start the daemon again."""
    env.stop_daemon()
    name, priv = tlog.load_skey(env.key_signing)
    db = sqlite3.connect(env.path("state/state.db"))
    edit(db)
    tlog.rebuild_state_log(db, ORIGIN, name, priv)
    db.commit()
    db.close()
    env.start_daemon()


def fresh_audit(env, name):
    """A state directory that has audited the log as it is now."""
    st = env.path(name)
    shutil.rmtree(st, ignore_errors=True)
    fresh(env)
    time.sleep(1.1)     # the last snapshot in a second of its own
    fresh(env)
    r = audit(env, st)
    if r.returncode != 0:
        raise RuntimeError("the audit before cheating failed:\n" + r.stdout)
    return st


def test_rewritten(env):
    st = fresh_audit(env, "audit-a")

    def edit(db):
        seq, s = db.execute("SELECT seq, summary FROM snapshot ORDER BY seq "
                            "LIMIT 1 OFFSET 1").fetchone()
        summary = json.loads(bytes(s))
        summary["time"] -= 3600
        db.execute("UPDATE snapshot SET summary = ?, time = ? WHERE seq = ?",
                   (tlog.jcs(summary), summary["time"], seq))
    cheat(env, edit)
    t.ok(env.alive() and tlog.verify_note(fetch(env, "/v1/checkpoint").text(),
                                          env.vkey),
         "(a) the daemon serves the rewritten history, re-signed")
    r = audit(env, st)
    t.eq(r.returncode, 2, "(a) rewritten history: exit 2", r.stdout)
    t.ok("inconsistent-log" in reason(r) and "does not extend the one of "
         "size" in r.stdout, "(a) the audit reports an inconsistent log: "
         "%s" % reason(r), r.stdout)


def test_dropped(env):
    st = fresh_audit(env, "audit-b")

    def edit(db):
        # The one before the last: fresh_audit() took the last a second
        # later. Two snapshots of the same records in the same second
        # have the same summary but for seq, so dropping one of them and
        # renumbering the rest would give the very same log, which no
        # audit could (or should) tell apart.
        k = db.execute("SELECT max(seq) FROM snapshot").fetchone()[0] - 1
        db.execute("DELETE FROM snapshot WHERE seq = ?", (k,))
        rows = db.execute("SELECT seq, summary FROM snapshot WHERE seq > ? "
                          "ORDER BY seq", (k,)).fetchall()
        for seq, s in rows:
            summary = json.loads(bytes(s))
            summary["seq"] = seq - 1
            db.execute("UPDATE snapshot SET seq = ?, summary = ? WHERE "
                       "seq = ?", (seq - 1, tlog.jcs(summary), seq))
        # The records' membership intervals, renumbered the same way.
        db.execute("DELETE FROM member WHERE first = ? AND last = ?", (k, k))
        db.execute("UPDATE member SET last = last - 1 WHERE last >= ?", (k,))
        db.execute("UPDATE member SET first = -(first - 1) WHERE first > ?",
                   (k,))
        db.execute("UPDATE member SET first = -first WHERE first < 0")
    cheat(env, edit)
    fresh(env)
    fresh(env)
    r = audit(env, st)
    t.eq(r.returncode, 2, "(b) a dropped snapshot: exit 2", r.stdout)
    t.ok("inconsistent-log" in reason(r) and "does not extend the one of "
         "size" in r.stdout, "(b) the audit reports an inconsistent log: "
         "%s" % reason(r), r.stdout)


def test_forked(env):
    st = fresh_audit(env, "audit-c")
    env.stop_daemon()
    shutil.rmtree(env.path("state"))
    env.start_daemon()
    r = audit(env, st)
    t.eq(r.returncode, 2, "(c) a forked log (state thrown away): exit 2",
         r.stdout)
    t.ok("log-shrank" in reason(r) or "inconsistent-log" in reason(r),
         "(c) the audit reports it: %s" % reason(r), r.stdout)
    t.contains(r.stdout, "log shrank: fork or rollback",
               "(c) in so many words")


def test_origin(env):
    """The same key, another origin: not a first use."""
    st = fresh_audit(env, "audit-e")
    env.stop_daemon()
    env.write_config(env.config(panel=PANEL, extra={"snapshots": {
        "state": env.path("state-other"), "interval": 86400,
        "origin": "elsewhere.example/log"}}))
    env.start_daemon()
    r = audit(env, st)
    t.eq(r.returncode, 2, "(e) a second log under the same key: exit 2",
         r.stdout)
    t.ok("origin-changed" in reason(r) and "elsewhere.example/log" in
         r.stdout, "(e) the audit reports the origin change: %s" %
         reason(r), r.stdout)
    t.lacks(r.stdout, "accepted on first use",
            "(e) and does not trust it on first use")
    env.stop_daemon()
    env.write_config(env.config(panel=PANEL))
    env.start_daemon()


# ---- a lying front ----

class Front:
    """A proxy in front of sightlined that forwards every GET, and may
    rewrite one record of /v1/vps?at= answers and sign the answer again
    with the deployment key (resign), or leave the old signature."""

    def __init__(self, env, lie=False, resign=True):
        self.env, self.lie, self.resign = env, lie, resign
        self.name, self.priv = tlog.load_skey(env.key_signing)
        self.keyid = tlog.key_id(self.name, 1, tlog.public_bytes(
            self.priv)).hex()
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                front.forward(self)
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    def forward(self, h):
        c = http.client.HTTPConnection("127.0.0.1", self.env.plain_port,
                                       timeout=60)
        c.request("GET", h.path, headers={
            "Authorization": h.headers.get("Authorization", "")})
        r = c.getresponse()
        body = r.read()
        headers = [(k, v) for k, v in r.getheaders() if k.lower() not in (
            "content-length", "connection", "transfer-encoding")]
        c.close()
        u = urllib.parse.urlsplit(h.path)
        if self.lie and u.path == "/v1/vps" and "at=" in (u.query or "") \
                and r.status == 200:
            doc = json.loads(body)
            doc["records"][0]["status"] = "paused" if doc["records"][0].get(
                "status") != "paused" else "running"
            body = json.dumps(doc, separators=(",", ":")).encode()
            if self.resign:
                keep = [(k, v) for k, v in headers if k.lower() in (
                    "content-type", "sightline-inventory")]
                headers = [(k, v) for k, v in headers if k.lower() not in (
                    "content-digest", "signature-input", "signature")]
                headers += tlog.sign_response(
                    self.priv, self.keyid, "GET", u.path, u.query or None,
                    r.status, keep, body)
        h.send_response(r.status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def test_lying_front(env):
    st = env.path("audit-d")
    shutil.rmtree(st, ignore_errors=True)
    honest = Front(env)
    r = audit(env, st, url="http://127.0.0.1:%d" % honest.port)
    honest.close()
    t.eq(r.returncode, 0, "(d) through an honest front: exit 0", r.stdout)
    fresh(env)
    liar = Front(env, lie=True)
    r = audit(env, st, url="http://127.0.0.1:%d" % liar.port)
    liar.close()
    t.eq(r.returncode, 2, "(d) a front that serves another record, "
         "re-signed with the key: exit 2", r.stdout)
    t.ok("root-mismatch" in reason(r) and "root mismatch" in r.stdout,
         "(d) the audit reports a root mismatch: %s" % reason(r), r.stdout)
    clumsy = Front(env, lie=True, resign=False)
    r = audit(env, st, url="http://127.0.0.1:%d" % clumsy.port)
    clumsy.close()
    t.ok(r.returncode == 2 and "bad-signature" in reason(r) and
         "digest" in r.stdout,
         "(d) the same lie without a new signature: bad-signature",
         r.stdout)


with Env("audit") as env:
    env.start(panel=PANEL)
    for fn in (test_audits, test_disclose, test_lying_front, test_rewritten,
               test_dropped, test_forked, test_origin):
        t.run(fn, env)
t.done()
