#!/usr/bin/python3
"""The snapshot log through the real daemon, checked with a second
implementation (tests/lib/tlog.py: RFC 6962 in plain Python, Ed25519 from
python3-cryptography, RFC 8785 from the npm `canonicalize` package).

Every record served is a leaf of its snapshot's tree, every snapshot a
leaf of the log, and the log's signed checkpoint is consistent from one
snapshot to the next; history answers (?at=, /v1/diff) and proofs
(?proof=1, /v1/proof/*) hold; a failed snapshot is not appended; the
state survives a restart and kill -9, and a tampered state is refused.
"""
import json
import os
import signal
import sqlite3
import sys
import threading
import time
import random

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, wait_for, KEY_NAME  # noqa: E402
from npm import canonicalize as npm_canonicalize  # noqa: E402
import tlog  # noqa: E402

t = Tap()
ORIGIN = "sightline/" + KEY_NAME
PANEL = {"min_refresh_interval": 0}


def canonicalize(docs):
    """The RFC 8785 bytes of each document, by the npm package."""
    out, why = npm_canonicalize(docs)
    if out is None:
        raise RuntimeError(why)
    return out


def fetch(env, path, want=200):
    r = env.get(path)
    if r.status != want:
        raise RuntimeError("%s: %d %s" % (path, r.status, r.body[:400]))
    return r


def checkpoint(env):
    note = fetch(env, "/v1/checkpoint").text()
    text, _ = tlog.split_note(note)
    return (note,) + tlog.parse_checkpoint(text)


def record_root(records):
    """The root of a snapshot's records, from their canonical bytes."""
    canon = canonicalize(records)
    return tlog.root([tlog.leaf_hash(c) for c in canon])


def fresh(env):
    return fetch(env, "/v1/vps?fresh=1").json()["snapshot"]["seq"]


def test_checkpoint_and_snapshot(env):
    r = fetch(env, "/v1/checkpoint")
    t.eq(r.header("Content-Type"), "text/plain; charset=utf-8",
         "/v1/checkpoint is text/plain")
    note = r.text()
    t.ok(tlog.verify_note(note, env.vkey),
         "the checkpoint's signature verifies with the deployment vkey")
    text, sigs = tlog.split_note(note)
    origin, size, root = tlog.parse_checkpoint(text)
    t.eq(origin, ORIGIN, "the origin defaults to sightline/KEYNAME")
    t.eq(len(text.split("\n")), 4, "three lines and no extension")
    t.ok(size >= 1, "the log holds the first snapshot", size)
    vps = fetch(env, "/v1/vps")
    doc = vps.json()
    s = doc["snapshot"]
    t.eq(s["type"], "sightline/snapshot/v1", "the summary's type")
    t.eq(vps.header("Sightline-Inventory"), "snapshot=%d" % s["seq"],
         "the signed header names the snapshot")
    t.eq(s["records"], len(doc["records"]), "the summary counts the records")
    ids = [r["id"] for r in doc["records"]]
    t.eq(ids, sorted(ids, key=lambda i: i.encode()),
         "records come sorted by id, as bytes")
    t.eq(tlog.b64(record_root(doc["records"])), s["root"],
         "the records hash to the summary's root (npm canonicalize, hashlib)")
    t.eq([p["name"] for p in s["panels"]], ["pve"], "the summary's panels")
    t.ok(len(s["panels"][0]["policy_sha256"]) == 64,
         "each panel's policy digest is in the leaf")
    t.ok("inventory" in doc and doc["inventory"]["snapshot_error"] is None,
         "the current snapshot comes with the live inventory")
    one = fetch(env, "/v1/snapshots/%d" % s["seq"]).json()
    leaf = tlog.leaf_hash(canonicalize([one["snapshot"]])[0])
    t.eq(one["leaf_hash"], tlog.b64(leaf),
         "the log leaf is SHA-256(0x00 || JCS(summary))")
    t.eq(one["snapshot"], s, "/v1/snapshots/{seq} gives the same summary")
    cp_text, _ = tlog.split_note(one["checkpoint"])
    _, csize, croot = tlog.parse_checkpoint(cp_text)
    t.ok(tlog.verify_inclusion(s["seq"], csize, leaf,
                               [tlog.unb64(p) for p in
                                one["inclusion"]["proof"]], croot),
         "the snapshot's inclusion in the log verifies")


def test_history(env):
    _, size0, root0 = checkpoint(env)[1:]
    seqs = [fresh(env) for _ in range(4)]
    t.eq(seqs, list(range(seqs[0], seqs[0] + 4)),
         "each ?fresh=1 appends one snapshot", seqs)
    note, _, size, root = checkpoint(env)
    t.eq(size, seqs[-1] + 1, "the log's size is the last seq + 1")
    for m in range(1, size + 1):
        c = fetch(env, "/v1/proof/consistency?from=%d&to=%d" % (m, size))
        proof = [tlog.unb64(p) for p in c.json()["proof"]]
        old = fetch(env, "/v1/proof/inclusion?seq=%d&size=%d" %
                    (m - 1, m)).json()
        _, osize, oroot = tlog.parse_checkpoint(
            tlog.split_note(old["checkpoint"])[0])
        t.ok(osize == m and tlog.verify_note(old["checkpoint"], env.vkey) and
             tlog.verify_consistency(m, size, oroot, root, proof),
             "the signed checkpoint of size %d is consistent with size %d"
             % (m, size))
    r = env.get("/v1/proof/consistency?from=0&to=%d" % size)
    t.eq(r.status, 400, "no consistency proof from size 0")
    t.contains(r.text(), "from size 0", "and the answer says why")
    t.eq(env.get("/v1/proof/consistency?from=2&to=%d" % (size + 1)).status,
         400, "no proof to a size the log does not have")
    page = fetch(env, "/v1/snapshots?limit=2").json()
    t.eq([x["seq"] for x in page["snapshots"]], [size - 1, size - 2],
         "snapshots come newest first, a page at a time")
    t.eq(page["next_before"], size - 2, "next_before points at the next page")
    t.eq(page["log"], {"origin": ORIGIN, "size": size}, "the log's head")
    rest = fetch(env, "/v1/snapshots?before=%d&limit=1000" %
                 page["next_before"]).json()
    t.eq([x["seq"] for x in rest["snapshots"]], list(range(size - 3, -1, -1)),
         "the next page goes down to snapshot 0")
    t.eq(rest["next_before"], None, "and says it is the last")
    old = fetch(env, "/v1/vps?at=0").json()
    t.eq(old["snapshot"]["seq"], 0, "?at=0 answers from snapshot 0")
    t.ok("inventory" not in old, "a past snapshot has no live inventory")
    t.eq(tlog.b64(record_root(old["records"])), old["snapshot"]["root"],
         "snapshot 0's records, read back, hash to its root")
    t.eq(env.get("/v1/vps?at=%d" % (size + 5)).status, 404,
         "?at= past the log is 404")
    t.eq(env.get("/v1/vps?at=x").status, 400, "?at= must be a number")
    t.eq(env.get("/v1/vps?at=0&fresh=1").status, 400,
         "fresh=1 and at= exclude each other")


def verify_proof(env, doc, desc):
    """A ?proof=1 answer: every record in its snapshot, the snapshot in
    the log, the log signed."""
    p = doc["proof"]
    snap = doc["snapshot"]
    recs = doc.get("records") or [doc["record"]]
    ok = tlog.verify_note(p["checkpoint"], env.vkey)
    _, size, root = tlog.parse_checkpoint(tlog.split_note(p["checkpoint"])[0])
    leaf = tlog.leaf_hash(canonicalize([snap])[0])
    ok = ok and p["log"]["seq"] == snap["seq"] and p["log"]["size"] == size
    ok = ok and tlog.verify_inclusion(snap["seq"], size, leaf,
                                      [tlog.unb64(h) for h in
                                       p["log"]["proof"]], root)
    for rec, rp in zip(recs, p["records"]):
        lh = tlog.leaf_hash(canonicalize([rec])[0])
        ok = ok and rp["id"] == rec["id"] and tlog.verify_inclusion(
            rp["index"], snap["records"], lh,
            [tlog.unb64(h) for h in rp["proof"]], tlog.unb64(snap["root"]))
    t.ok(ok and len(p["records"]) == len(recs), desc, json.dumps(p)[:600])


def test_proofs(env):
    doc = fetch(env, "/v1/vps/pve%2F100?proof=1").json()
    verify_proof(env, doc, "/v1/vps/{id}?proof=1 proves the record")
    doc = fetch(env, "/v1/vps/pve%2F100?proof=1&at=0").json()
    verify_proof(env, doc, "the same for snapshot 0 (?at=0)")
    ip = None
    for ifc in doc["record"]["interfaces"]:
        for a in ifc.get("ips") or []:
            ip = ip or a.split("/")[0]
    doc = fetch(env, "/v1/lookup?ip=%s&proof=1" % ip).json()
    verify_proof(env, doc, "/v1/lookup?proof=1 proves every record found")
    doc = fetch(env, "/v1/lookup?ip=%s&proof=1&at=1" % ip).json()
    verify_proof(env, doc, "and in a past snapshot")
    t.eq(env.get("/v1/lookup?ip=%s&proof=2" % ip).status, 400,
         "proof must be 1 or 0")
    inc = fetch(env, "/v1/proof/inclusion?seq=1&id=pve%2F100").json()
    rec = fetch(env, "/v1/vps/pve%2F100?at=1").json()["record"]
    lh = tlog.leaf_hash(canonicalize([rec])[0])
    t.ok(inc["record"]["leaf_hash"] == tlog.b64(lh) and
         tlog.verify_inclusion(inc["record"]["index"], inc["record"]["count"],
                               lh, [tlog.unb64(h) for h in
                                    inc["record"]["proof"]],
                               tlog.unb64(inc["record"]["root"])),
         "/v1/proof/inclusion?id= proves the record in snapshot 1")
    t.eq(env.get("/v1/proof/inclusion?seq=1&id=pve%2F999999").status, 404,
         "an id that is not in the snapshot is 404")
    t.eq(env.get("/v1/proof/inclusion?seq=1&size=1").status, 400,
         "a size that does not hold the snapshot is refused")


def test_diff(env):
    before = fresh(env)
    env.emu.terminate()
    env.emu.wait(5)
    env.start_emulator("--generate", "3", "--seed", "7", port=env.emu_port)
    after = fresh(env)
    d = fetch(env, "/v1/diff?from=%d&to=%d" % (before, after)).json()
    t.eq(d["added"], ["pve/1000", "pve/1001", "pve/1002"],
         "the diff lists the VMs added", d)
    t.eq(d["removed"], [], "none removed")
    t.eq(d["from"]["seq"], before, "with the summaries it compares")
    env.emu.terminate()
    env.emu.wait(5)
    env.start_emulator("--generate", "2", "--seed", "8", port=env.emu_port)
    last = fresh(env)
    d = fetch(env, "/v1/diff?from=%d&to=%d" % (after, last)).json()
    t.eq(d["removed"], ["pve/1002"], "and the VM removed")
    t.eq(sorted(c["id"] for c in d["changed"]), ["pve/1000", "pve/1001"],
         "and the VMs that changed", d["changed"])
    t.ok(all(c["fields"] for c in d["changed"]),
         "each changed VM names its changed fields", d["changed"])
    same = fetch(env, "/v1/diff?from=%d&to=%d" % (last, last)).json()
    t.eq((same["added"], same["removed"], same["changed"]), ([], [], []),
         "a snapshot does not differ from itself")
    t.eq(env.get("/v1/diff?from=%d&to=%d" % (last, before)).status, 400,
         "from after to is refused")


def metric(env, name):
    for line in fetch(env, "/metrics").text().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_failure(env):
    seq = fetch(env, "/v1/vps").json()["snapshot"]["seq"]
    failed = metric(env, 'sightline_snapshots_total{result="failed"}')
    env.fault("500", count=100000)
    r = env.get("/v1/vps?fresh=1")
    t.ok(r.status in (500, 502), "?fresh=1 with the panel failing is an "
         "error", r.status)
    doc = fetch(env, "/v1/vps").json()
    t.eq(doc["snapshot"]["seq"], seq, "the previous snapshot stays current")
    t.ok(doc["inventory"]["snapshot_error"] is not None,
         "and the answer says the last snapshot failed",
         doc["inventory"])
    t.ok(metric(env, 'sightline_snapshots_total{result="failed"}') >
         failed, "the failure is counted in /metrics")
    t.eq(checkpoint(env)[2], seq + 1, "nothing was appended to the log")
    t.ok(metric(env, "sightline_snapshot_age_seconds") is not None,
         "the snapshot's age is in /metrics")
    # Restarted while the panel still fails: the stored snapshot is served.
    env.stop_daemon()
    env.start_daemon(wait_inventory=False)
    r = env.get("/v1/vps")
    t.eq((r.status, r.json()["snapshot"]["seq"] if r.status == 200 else
          None), (200, seq),
         "after a restart the last stored snapshot is served at once")
    env.emu_reset()
    wait_for(lambda: checkpoint(env)[2] > seq + 1, 15)
    t.ok(checkpoint(env)[2] > seq + 1,
         "once the panel answers, a snapshot is appended again")


def test_kill9(env):
    """kill -9 while snapshots are being taken: the state opens, the log
    is consistent with every checkpoint seen before, and grows on."""
    seen = []
    for rnd in range(6):
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                try:
                    env.get("/v1/vps?fresh=1", timeout=2)
                except Exception:
                    pass
        th = threading.Thread(target=hammer)
        th.start()
        time.sleep(random.uniform(0.05, 0.4))
        seen.append(checkpoint(env))
        env.daemon.send_signal(signal.SIGKILL)
        env.daemon.wait(5)
        stop.set()
        th.join()
        env.start_daemon()
    note, _, size, root = checkpoint(env)
    bad = []
    for old_note, _, osize, oroot in seen:
        if osize == size:
            ok = oroot == root
        else:
            c = fetch(env, "/v1/proof/consistency?from=%d&to=%d" %
                      (osize, size)).json()
            ok = tlog.verify_consistency(osize, size, oroot, root,
                                         [tlog.unb64(p) for p in c["proof"]])
        if not ok:
            bad.append(osize)
    t.ok(not bad and len(seen) == 6, "after 6 kill -9, the log is "
         "consistent with every checkpoint seen before (sizes %s -> %d)"
         % ([s[2] for s in seen], size), bad)
    doc = fetch(env, "/v1/vps").json()
    t.eq(tlog.b64(record_root(doc["records"])), doc["snapshot"]["root"],
         "and the current snapshot's records hash to its root")


def test_retention(env):
    """snapshots.keep_days: the records of older snapshots go, their
    summaries and the log stay, and the answers say which is which."""
    env.stop_daemon()
    name, priv = tlog.load_skey(env.key_signing)
    db = sqlite3.connect(env.path("state/state.db"))
    old = int(time.time()) - 3 * 86400
    # Every snapshot so far taken three days ago, as a reseller's would
    # be after three days (the log rebuilt and signed with its key).
    for seq, s in db.execute("SELECT seq, summary FROM snapshot").fetchall():
        summary = json.loads(bytes(s))
        summary["time"] = old + seq
        db.execute("UPDATE snapshot SET summary = ?, time = ? WHERE seq = ?",
                   (canonicalize([summary])[0], old + seq, seq))
    tlog.rebuild_state_log(db, ORIGIN, name, priv)
    db.commit()
    db.close()
    cf = env.config(panel=PANEL)
    cf["snapshots"]["keep_days"] = 1
    env.write_config(cf)
    env.new_config = False
    env.start_daemon()
    # The stored snapshot is served at once; the one taken at start
    # comes a moment later, and pruning after it.
    stored = fetch(env, "/v1/vps").json()["snapshot"]["seq"]
    wait_for(lambda: checkpoint(env)[2] > stored + 1, 15)
    size = checkpoint(env)[2]
    page = fetch(env, "/v1/snapshots?limit=1000").json()
    t.eq(page["pruned_before"], size - 1, "every snapshot older than a day "
         "had its records pruned", page["pruned_before"])
    t.eq(len(page["snapshots"]), size, "and every summary stays")
    r = env.get("/v1/vps?at=0")
    t.eq(r.status, 410, "?at= a pruned snapshot is 410")
    t.contains(r.text(), "pruned", "and says why")
    one = fetch(env, "/v1/snapshots/0").json()
    t.eq(one["records_kept"], False, "/v1/snapshots/{seq} says the records "
         "are gone")
    t.ok(tlog.verify_inclusion(0, size, tlog.unb64(one["leaf_hash"]),
                               [tlog.unb64(p) for p in
                                one["inclusion"]["proof"]],
                               checkpoint(env)[3]),
         "but the snapshot is still proven in the log")
    t.eq(env.get("/v1/vps?at=%d" % (size - 1)).status, 200,
         "the current snapshot keeps its records")
    cf["snapshots"].pop("keep_days")
    env.write_config(cf)
    env.new_config = False


def test_tampered(env):
    """A state that does not match its checkpoint is not served."""
    env.stop_daemon()
    db = sqlite3.connect(env.path("state/state.db"))
    row = db.execute("SELECT seq, summary FROM snapshot ORDER BY seq "
                     "LIMIT 1").fetchone()
    summary = json.loads(bytes(row[1]))
    summary["records"] += 1
    db.execute("UPDATE snapshot SET summary = ? WHERE seq = ?",
               (canonicalize([summary])[0], row[0]))
    db.commit()
    db.close()
    env.daemon_err = open(env.path("sightlined.err"), "w")
    import subprocess
    from harness import SIGHTLINED
    p = subprocess.run([SIGHTLINED, "-d", "-f", env.conf_path],
                       capture_output=True, text=True, timeout=30)
    t.eq(p.returncode, 1, "sightlined refuses to start on a rewritten "
         "summary", p.stderr)
    t.contains(p.stderr, "refusing to serve", "and says so")


def test_reload(env):
    """A reload snapshots at once (the view may have changed); the log's
    origin cannot change on reload."""
    from harness import POLICY
    seq = fetch(env, "/v1/vps").json()["snapshot"]["seq"]
    policy = env.path("policy.lua")
    with open(POLICY) as src, open(policy, "w") as dst:
        dst.write(src.read() + "\n-- edited\n")
    cf = env.config(panel=dict(PANEL, policy=policy))
    env.write_config(cf)
    env.signal(signal.SIGHUP)
    wait_for(lambda: fetch(env, "/v1/vps").json()["snapshot"]["seq"] > seq,
             10)
    s = fetch(env, "/v1/vps").json()["snapshot"]
    t.ok(s["seq"] > seq, "a reload takes a snapshot at once", s["seq"])
    import hashlib
    t.eq(s["panels"][0]["policy_sha256"],
         hashlib.sha256(open(policy, "rb").read()).hexdigest(),
         "and its leaf names the new policy's digest")
    cf["snapshots"] = dict(cf["snapshots"], origin="example.net/other")
    env.write_config(cf)
    env.signal(signal.SIGHUP)
    t.ok(wait_for(lambda: "cannot change on reload" in env.log_text(), 10),
         "a reload that changes the origin is refused, and says why")
    t.eq(checkpoint(env)[1], ORIGIN, "the origin stays")
    del cf["snapshots"]["origin"]
    env.write_config(cf)
    env.new_config = False      # the same log goes on


def test_go(env):
    """Go's golang.org/x/mod/sumdb/note and tlog check the daemon's
    checkpoint and proofs."""
    import subprocess
    tool = os.path.join(os.path.dirname(__file__), "..", "lib", "gotlog.py")
    if not os.path.exists(tool):
        t.ok(False, "tests/lib/gotlog.py is missing")
        return
    sys.path.insert(0, os.path.dirname(tool))
    import gotlog
    note, _, size, root = checkpoint(env)
    doc = {"vkey": env.vkey, "checkpoint": note, "inclusion": [],
           "consistency": []}
    for seq in range(size):
        one = fetch(env, "/v1/snapshots/%d" % seq).json()
        doc["inclusion"].append({"index": seq,
                                 "leaf": tlog.b64(canonicalize(
                                     [one["snapshot"]])[0]),
                                 "proof": one["inclusion"]["proof"]})
    for m in range(1, size):
        c = fetch(env, "/v1/proof/consistency?from=%d&to=%d" %
                  (m, size)).json()
        old = fetch(env, "/v1/proof/inclusion?seq=%d&size=%d" %
                    (m - 1, m)).json()
        _, _, oroot = tlog.parse_checkpoint(
            tlog.split_note(old["checkpoint"])[0])
        doc["consistency"].append({"old_size": m, "old_root": tlog.b64(oroot),
                                   "proof": c["proof"]})
    r = gotlog.check(doc, env.path("go"))
    t.eq(r.returncode, 0, "Go verifies the checkpoint, %d inclusion and %d "
         "consistency proofs" % (len(doc["inclusion"]),
                                 len(doc["consistency"])),
         r.stdout + r.stderr)


with Env("snapshots") as env:
    env.start(panel=PANEL)
    for fn in (test_checkpoint_and_snapshot, test_history, test_proofs,
               test_diff, test_failure, test_reload, test_go, test_kill9,
               test_retention, test_tampered):
        t.run(fn, env)
t.done()
