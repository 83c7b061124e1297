#!/usr/bin/python3
"""The hypervisor cross-check through the real daemon and libvirt's own
test driver.

Four libvirt panels (Virtualizor, SolusVM 1, SolusVM 2, VirtFusion) run as
emulators behind one sightlined; each panel's nodes are libvirt test-driver
node files (test:///PATH.xml) that tests/lib/hvxml.py writes from the same
fixtures the emulators serve. sightlined opens them read-only through
libvirt at every snapshot, like a remote qemu+ssh:// hypervisor.

  - the clean set: every domain matched, no finding; the summary (the log
    leaf) states the counts and the SHA-256 of the details, which
    /v1/snapshots/{seq}/consistency serves and this test hashes again
    with the npm `canonicalize` package; /metrics shows the counts;
  - one lie or accident at a time, each a new snapshot with exactly the
    finding it must cause: a hidden VM (its name committed, never shown,
    its disclosure kept in the state), a panel VPS with no domain, another
    MAC, another disk, another UUID, a VM on another node, a hypervisor
    that cannot be read; and back to clean;
  - nothing changed anywhere: no new snapshot;
  - a restart serves the stored cross-check again.
"""
import base64
import hashlib
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, SIGHTLINE, run  # noqa: E402
from npm import canonicalize  # noqa: E402
import hvxml  # noqa: E402

t = Tap()
PANELS = {"vz": "virtualizor", "svm1": "solusvm1", "svm2": "solusvm2",
          "vf": "virtfusion"}
NODES = ("hv01", "hv02")
KINDS = ("hidden-vm", "missing-domain", "wrong-node", "uuid-mismatch",
         "mac-mismatch", "disk-mismatch", "node-unreachable")


class World:
    """The four panels' node files, rewritten for each scenario."""

    def __init__(self, env):
        self.env = env
        self.dir = env.path("hv")
        self.clean()

    def clean(self):
        self.nodes = {name: hvxml.domains(plugin)
                      for name, plugin in PANELS.items()}

    def write(self):
        uris = {}
        for name, nodes in self.nodes.items():
            for n in NODES:
                nodes.setdefault(n, [])
            uris[name] = hvxml.write(nodes, os.path.join(self.dir, name))
        return uris


def get_json(env, path, desc):
    r = env.get(path)
    if r.status != 200:
        t.ok(False, "%s: 200" % desc, "%d %s" % (r.status, r.text()[:300]))
        return None
    return r.json()


def snapshot(env):
    """The current snapshot's summary, after a ?fresh=1 round."""
    doc = get_json(env, "/v1/vps?fresh=1", "fresh")
    return doc["snapshot"] if doc else None


def consistency(env, seq, summary):
    """/v1/snapshots/SEQ/consistency, its details checked against the
    summary's hash; returns the details."""
    doc = get_json(env, "/v1/snapshots/%d/consistency" % seq,
                   "consistency of %d" % seq)
    if doc is None:
        return None
    t.eq(doc["snapshot"], summary,
         "snapshot %d: the consistency answer carries its summary" % seq)
    out, why = canonicalize([doc["crosscheck"]])
    if out is None:
        raise RuntimeError(why)
    body = out[0] if isinstance(out[0], bytes) else out[0].encode()
    t.eq(hashlib.sha256(body).hexdigest(), summary["crosscheck"]["sha256"],
         "snapshot %d: the details hash (npm canonicalize) to the SHA-256 "
         "in the log leaf" % seq)
    return doc["crosscheck"]


def evidence(env, rid, records, desc):
    """`sightline evidence` for rid's first IP, verified offline by
    `sightline verify-evidence`; returns the record's hypervisor part."""
    rec = [r for r in records if r["id"] == rid][0]
    ip = rec["interfaces"][0]["ips"][0].split("/")[0]
    tok = env.path("hoster.token")
    with open(tok, "w") as f:
        f.write(env.token + "\n")
    os.chmod(tok, 0o600)
    out = env.path("evidence-%s.json" % rid.replace("/", "-"))
    r = run([SIGHTLINE, "evidence", "http://127.0.0.1:%d" % env.plain_port,
             "--ip", ip, "--out", out, "--key", env.vkey,
             "--token-file", tok])
    t.eq(r.returncode, 0, "%s: sightline evidence for %s" % (desc, ip),
         r.stdout + r.stderr)
    v = run([SIGHTLINE, "verify-evidence", out, "--key", env.vkey])
    t.eq(v.returncode, 0, "%s: verify-evidence accepts it" % desc,
         v.stdout + v.stderr)
    with open(out) as f:
        ev = json.load(f)["evidence"]
    mine = [x for x in ev["records"] if x["record"]["id"] == rid]
    return mine[0]["hypervisor"] if mine else None


def audit(env, desc):
    """`sightline audit` of the current snapshot; returns (exit, report)."""
    tok = env.path("hoster.token")
    with open(tok, "w") as f:
        f.write(env.token + "\n")
    os.chmod(tok, 0o600)
    r = run([SIGHTLINE, "audit", "http://127.0.0.1:%d" % env.plain_port,
             "--key", env.vkey, "--state", env.path("audit"),
             "--token-file", tok, "--json"])
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        t.ok(False, "%s: the audit's report is JSON" % desc,
             r.stdout + r.stderr)
        return r.returncode, {}


def counts_of(findings):
    c = {k: 0 for k in KINDS}
    for f in findings:
        c[f["kind"]] += 1
    return c


def check_counts(summary, details, desc):
    cc = summary["crosscheck"]
    want = counts_of(details["findings"])
    t.eq({k: cc.get(k) for k in KINDS}, want,
         "%s: the summary counts each kind of finding" % desc)
    t.eq(cc["nodes"], len(details["nodes"]),
         "%s: the summary counts the nodes" % desc)


def scenario(env, world, name, mutate, want, last_seq):
    """Mutate the node files, take a snapshot, and check that exactly the
    findings in want (a list of dicts that must each match one finding,
    key by key) are reported. Returns the new seq."""
    world.clean()
    mutate(world.nodes)
    world.write()
    s = snapshot(env)
    if s is None:
        return last_seq
    t.eq(s["seq"], last_seq + 1,
         "%s: what the hypervisors show changed: a new snapshot" % name)
    d = consistency(env, s["seq"], s)
    if d is None:
        return s["seq"]
    check_counts(s, d, name)
    found = d["findings"]
    t.eq(len(found), len(want), "%s: %d finding(s)" % (name, len(want)),
         json.dumps(found)[:600])
    for w in want:
        match = [f for f in found
                 if all(f.get(k) == v for k, v in w.items())]
        t.ok(len(match) == 1, "%s: %s" % (name, json.dumps(w)),
             json.dumps(found)[:600])
    return s["seq"]


def main():
    with Env("hypervisor") as env:
        panels = env.start_panels(list(PANELS))
        world = World(env)
        uris = world.write()
        for p in panels:
            # Panels refresh at start only: a ?fresh=1 round then lists
            # the hypervisors alone, so a snapshot is new exactly when
            # what they show changed.
            p["min_refresh_interval"] = 3600
            p["hypervisors"] = [{"node": n, "uri": uris[p["name"]][n]}
                                for n in NODES]
        env.write_config(env.config(panels=panels))
        r = env.check_config()
        t.eq(r.returncode, 0, "the configuration with hypervisors is OK",
             r.stdout + r.stderr)
        env.start_daemon()

        # ---- clean ----
        doc = get_json(env, "/v1/vps", "list")
        s = doc["snapshot"]
        records = doc["records"]
        t.ok("crosscheck" in s, "the summary has a crosscheck")
        d = consistency(env, s["seq"], s)
        t.eq(d["type"], "sightline/crosscheck/v1", "the details' type")
        t.eq(d["findings"], [], "clean: no finding", json.dumps(d)[:600])
        t.eq(s["crosscheck"]["nodes"], 8, "clean: 8 nodes listed")
        t.eq(s["crosscheck"]["domains"], len(records),
             "clean: one domain per record (%d)" % len(records))
        t.ok(all(n["error"] is None for n in d["nodes"]),
             "clean: every node was read")
        check_counts(s, d, "clean")
        m = env.get("/metrics").text()
        t.contains(m, 'sightline_crosscheck_findings{kind="hidden-vm"} 0',
                   "metrics: no hidden VM")
        t.contains(m, "sightline_crosscheck_nodes 8", "metrics: 8 nodes")
        seq = s["seq"]

        s2 = snapshot(env)
        t.eq(s2["seq"], seq, "nothing changed anywhere: no new snapshot")
        rc, rep = audit(env, "clean")
        t.eq(rc, 0, "clean: the audit verifies", json.dumps(rep)[:600])
        t.ok(any(c.get("check") == "hypervisors" and c["ok"] and
                 "hashes to its summary" in c["detail"]
                 for c in rep.get("checks", [])),
             "clean: the audit checked the cross-check against the summary",
             json.dumps(rep.get("checks"))[:600])
        hv = evidence(env, "vz/1001", records, "clean")
        t.eq(hv, {"status": "consistent", "findings": []},
             "clean: the evidence says the VPS matches its domain")

        by_id = {r["id"]: r for r in records}

        def uuid_of(rid):
            return by_id[rid]["uuid"]

        # ---- each lie, one at a time ----
        seq = scenario(env, world, "hidden VM", lambda n: hvxml.add_hidden(
            n["vz"], "hv01", "intruder-vm"),
            [{"kind": "hidden-vm", "panel": "vz", "node": "hv01"}], seq)
        d = consistency(env, seq, get_json(env, "/v1/vps", "list")[
            "snapshot"])
        hidden = [f for f in d["findings"] if f["kind"] == "hidden-vm"][0]
        dom = hidden["domain"]
        t.eq(dom["macs"], ["52:54:00:de:ad:01"], "hidden VM: its MACs kept")
        t.eq(dom["disks"], ["/dev/vg_hidden/intruder"],
             "hidden VM: its disks kept")
        t.ok("name" not in dom and len(dom.get("_sd", [])) == 1 and
             dom.get("_sd_alg") == "sha-256",
             "hidden VM: its name committed", json.dumps(dom))
        t.lacks(env.get("/v1/snapshots/%d/consistency" % seq).text(),
                "intruder-vm", "hidden VM: its name is nowhere served")
        rc, rep = audit(env, "hidden VM")
        t.eq(rc, 1, "hidden VM: the audit verifies, with a finding")
        t.ok([f for f in rep.get("findings", [])
              if f.get("finding") == "hypervisor" and "hidden-vm" in f["detail"]],
             "hidden VM: the audit reports it", json.dumps(rep)[:600])
        db = sqlite3.connect(env.path("state/state.db"))
        rows = [r[0] for r in db.execute(
            "SELECT disclosures FROM crosscheck WHERE disclosures "
            "IS NOT NULL")]
        db.close()
        opened = []
        for row in rows:
            for disc in json.loads(row):
                pad = "=" * (-len(disc) % 4)
                dec = json.loads(base64.urlsafe_b64decode(disc + pad))
                digest = base64.urlsafe_b64encode(hashlib.sha256(
                    disc.encode()).digest()).rstrip(b"=").decode()
                opened.append((dec, digest))
        t.ok(any(dec[1:] == ["name", "intruder-vm"] and dig in dom["_sd"]
                 for dec, dig in opened),
             "hidden VM: the state keeps its disclosure, which opens the "
             "digest to its name", repr(opened)[:300])

        seq = scenario(env, world, "missing domain",
                       lambda n: hvxml.drop(n["svm2"], uuid_of("svm2/501")),
                       [{"kind": "missing-domain", "id": "svm2/501",
                         "panel": "svm2"}], seq)
        seq = scenario(env, world, "MAC", lambda n: hvxml.set_mac(
            n["vf"], uuid_of("vf/301"), "52:54:00:66:66:66"),
            [{"kind": "mac-mismatch", "id": "vf/301",
              "observed": ["52:54:00:66:66:66"],
              "attested": [by_id["vf/301"]["interfaces"][0]["mac"]]}], seq)
        hv = evidence(env, "vf/301", records, "MAC")
        t.ok(hv is not None and hv["status"] == "inconsistent" and
             [f["kind"] for f in hv["findings"]] == ["mac-mismatch"],
             "MAC: the evidence carries the finding, verified against the "
             "log leaf", json.dumps(hv))
        seq = scenario(env, world, "disk", lambda n: hvxml.set_disk(
            n["vz"], by_id["vz/1001"]["name"], "/dev/vg_other/stolen"),
            [{"kind": "disk-mismatch", "id": "vz/1001",
              "observed": ["/dev/vg_other/stolen"]}], seq)
        seq = scenario(env, world, "UUID", lambda n: hvxml.set_uuid(
            n["vf"], uuid_of("vf/301"),
            "00000000-1111-4222-8333-444444444444"),
            [{"kind": "uuid-mismatch", "id": "vf/301",
              "attested": uuid_of("vf/301"),
              "observed": "00000000-1111-4222-8333-444444444444"}], seq)
        node = by_id["svm2/501"]["node"]
        other = "hv02" if node == "hv01" else "hv01"
        seq = scenario(env, world, "wrong node", lambda n: hvxml.move(
            n["svm2"], uuid_of("svm2/501"), other),
            [{"kind": "wrong-node", "id": "svm2/501", "attested": node,
              "observed": other}], seq)
        svm1 = [r for r in records if r["panel"] == "svm1"][0]
        seq = scenario(env, world, "SolusVM 1 matched by MAC, then another "
                       "MAC", lambda n: hvxml.set_mac(
                           n["svm1"], hvxml.domain_name(
                               "solusvm1", svm1), "52:54:00:77:77:77"),
                       [{"kind": "hidden-vm", "panel": "svm1"},
                        {"kind": "missing-domain", "id": svm1["id"]}], seq)

        # ---- back to clean, then a node that cannot be read ----
        seq = scenario(env, world, "clean again", lambda n: None, [], seq)
        os.rename(os.path.join(world.dir, "vz", "hv02.xml"),
                  os.path.join(world.dir, "vz", "gone.xml"))
        s = snapshot(env)
        t.eq(s["seq"], seq + 1, "unreachable: a new snapshot")
        d = consistency(env, s["seq"], s)
        un = [f for f in d["findings"] if f["kind"] == "node-unreachable"]
        t.ok(len(un) == 1 and un[0]["panel"] == "vz" and
             un[0]["node"] == "hv02" and un[0]["reason"],
             "unreachable: the node is named, with why", json.dumps(un))
        t.eq(len(d["findings"]), 1,
             "unreachable: its records are not reported missing",
             json.dumps(d["findings"])[:400])
        t.lacks(json.dumps(d), world.dir,
                "unreachable: the reason does not quote the URI")
        t.contains(env.log_text(), "hv02.xml",
                   "unreachable: sightlined's log says why, URI and all")
        t.eq([n["error"] is not None for n in d["nodes"]
              if n["panel"] == "vz" and n["node"] == "hv02"], [True],
             "unreachable: its node entry has the error")
        m = env.get("/metrics").text()
        t.contains(m, 'sightline_crosscheck_findings{kind="node-unreachable"}'
                   ' 1', "metrics: one unreachable node")
        seq = s["seq"]
        on_hv02 = [r["id"] for r in records
                   if r["panel"] == "vz" and r["node"] == "hv02"]
        if on_hv02:
            hv = evidence(env, on_hv02[0], records, "unreachable")
            t.eq(hv and hv["status"], "node-unreachable",
                 "unreachable: the evidence of a VPS on that node says so")
        else:
            t.ok(False, "the Virtualizor fixtures have a VPS on hv02")

        # ---- a restart serves the stored cross-check ----
        env.stop_daemon()
        env.start_daemon()
        doc = get_json(env, "/v1/vps", "list after restart")
        t.eq(doc["snapshot"]["seq"], seq, "after a restart: the same "
             "snapshot is served")
        d2 = consistency(env, seq, doc["snapshot"])
        t.eq(d2, d, "after a restart: the same details")
        m = env.get("/metrics").text()
        t.contains(m, 'sightline_crosscheck_findings{kind="node-unreachable"}'
                   ' 1', "after a restart: the metrics count it again")
        r = env.get("/v1/snapshots/%d/consistency" % (seq + 5))
        t.eq(r.status, 404, "an unknown snapshot's consistency: 404")
        r = env.get("/v1/snapshots/%d/other" % seq)
        t.eq(r.status, 404, "another sub-path: 404")


t.run(main)
t.done()
