#!/usr/bin/python3
"""Evidence bundles through the real daemon, for an IP of each panel.

Five emulators (Proxmox VE, Virtualizor, SolusVM 1, SolusVM 2, VirtFusion)
behind one sightlined with the default policies. For one IPv4 address of
a VPS of each panel, `sightline evidence` fetches /v1/evidence and writes
the bundle file; `sightline verify-evidence` checks it offline; and the
file is checked again here without sightline's C: the RFC 9421 signature
over the body made canonical by the npm `canonicalize` package
(tests/lib/sigcheck.py), the checkpoint's note signature and the RFC 6962
proofs (tests/lib/tlog.py), that the record holds the IP, and that the
preserve commands name the VPS's id, node and volumes. An IP no VPS holds
yields the signed statement; ?at= gives an older snapshot proven in the
grown log; an invalid IP is a 400 naming it; tampered files and a wrong
--key are refused with exit 2.

The hypervisor status is "not-checked" here (no hypervisor configured);
the cross-check scenarios come with the libvirt tests.
"""
import ipaddress
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from harness import Tap, Env, SIGHTLINE, run  # noqa: E402
import sigcheck  # noqa: E402
import tlog  # noqa: E402
from npm import canonicalize  # noqa: E402

t = Tap()

PANELS = {name: plugin for name, (plugin, _, _)
          in harness.PANEL_EMULATORS.items()}


def hosts(rec):
    """The addresses a record holds, without prefix lengths."""
    return [ipaddress.ip_address(ip.split("/")[0])
            for i in rec.get("interfaces") or [] for ip in i.get("ips") or []]


def ipv4(rec):
    return [str(a) for a in hosts(rec) if a.version == 4]


class Cli:
    def __init__(self, env):
        self.env = env
        self.url = "http://127.0.0.1:%d" % env.plain_port
        self.tok = env.path("hoster.token")
        with open(self.tok, "w") as f:
            f.write(env.token + "\n")
        os.chmod(self.tok, 0o600)

    def evidence(self, ip, out, *extra, key=True):
        cmd = [SIGHTLINE, "evidence", self.url, "--ip", ip, "--out",
               self.env.path(out), "--token-file", self.tok]
        if key:
            cmd += ["--key", self.env.vkey]
        return run(cmd + list(extra))

    def verify(self, out, key=None):
        return run([SIGHTLINE, "verify-evidence", self.env.path(out),
                    "--key", key or self.env.vkey])


def load(env, name):
    with open(env.path(name)) as f:
        return json.load(f)


def save(env, name, doc):
    with open(env.path(name), "w") as f:
        json.dump(doc, f)


def jcs(docs):
    out, why = canonicalize(docs)
    if out is None:
        raise RuntimeError(why)
    return [o if isinstance(o, bytes) else o.encode() for o in out]


def independent(env, f, ip, what):
    """Check bundle file f for ip in plain Python. Returns the evidence."""
    ev = f["evidence"]
    http = f["http"]
    body, summary_c = jcs([ev, ev["snapshot"]])
    target = urllib.parse.urlsplit(http["target"])
    headers = list(http["fields"].items())
    err = sigcheck.verify(env.vkey, http["method"], target.path,
                          target.query or None, http["status"], headers,
                          body)
    t.ok(err is None, "%s: sigcheck.py: the HTTP signature holds over the "
         "body npm canonicalize makes of the evidence" % what, err)
    t.eq(urllib.parse.parse_qs(target.query).get("ip"), [ip],
         "%s: the signed request is for ip=%s" % (what, ip))
    note = ev["checkpoint"]
    t.ok(tlog.verify_note(note, env.vkey),
         "%s: tlog.py: the checkpoint's note signature holds" % what)
    origin, size, root = tlog.parse_checkpoint(tlog.split_note(note)[0])
    lp, s = ev["log_proof"], ev["snapshot"]
    t.ok(lp["seq"] == s["seq"] and lp["size"] == size and
         tlog.verify_inclusion(s["seq"], size, tlog.leaf_hash(summary_c),
                               [tlog.unb64(h) for h in lp["proof"]], root),
         "%s: tlog.py: snapshot %d is leaf %d of the checkpoint's log of %d"
         % (what, s["seq"], s["seq"], size))
    recs = ev["records"]
    for e, c in zip(recs, jcs([e["record"] for e in recs]) if recs else []):
        p = e["proof"]
        t.ok(p["id"] == e["record"]["id"] and tlog.verify_inclusion(
            p["index"], s["records"], tlog.leaf_hash(c),
            [tlog.unb64(h) for h in p["proof"]], tlog.unb64(s["root"])),
            "%s: tlog.py: record %s is leaf %d of snapshot %d's tree" %
            (what, p["id"], p["index"], s["seq"]))
        t.ok(ipaddress.ip_address(ip) in hosts(e["record"]),
             "%s: record %s holds %s" % (what, p["id"], ip))
        t.eq(e["hypervisor"], {"status": "not-checked", "findings": []},
             "%s: no hypervisor configured: not-checked" % what)
    t.ok(ev["crosscheck"] is None and "crosscheck" not in s,
         "%s: no cross-check details, none committed" % what)
    return ev


def check_preserve(name, e):
    """The preserve commands name this VPS: its id, node and volumes."""
    rec, p = e["record"], e["preserve"]
    cmds = "\n".join(p["commands"])
    vmid, node = rec["native_id"], rec["node"]
    t.ok(p["panel"] == rec["panel"] and p["vm_id"] == vmid and
         p["node"] == node and p["note"],
         "%s: preserve names panel %s, VM %s on node %s, with a note" %
         (name, rec["panel"], vmid, node))
    t.eq(p["disks"], [{"storage": d["storage"], "volume": d["volume"]}
                      for d in rec.get("disks") or []],
         "%s: preserve lists the record's volumes with their storage" % name)
    plugin = PANELS[name]
    if plugin == "proxmox":
        t.ok("vzdump %s --mode snapshot --compress zstd --storage "
             "BACKUP_STORAGE" % vmid in cmds and
             all("pvesm path %s:%s" % (d["storage"], d["volume"]) in cmds
                 for d in rec["disks"]) and
             ("qm config %s" % vmid in cmds or "pct config %s" % vmid in
              cmds), "%s: vzdump %s in snapshot mode, qm/pct config, pvesm "
             "path of each volume" % (name, vmid), cmds)
        return
    dom = {"virtualizor": rec.get("name"), "solusvm1": "DOMAIN",
           "solusvm2": rec.get("uuid"), "virtfusion": rec.get("uuid")}[plugin]
    t.ok("virsh -r dumpxml %s" % dom in cmds and
         "virsh -r domblklist %s --details" % dom in cmds and
         "virsh backup-begin %s" % dom in cmds,
         "%s: virsh dumpxml, domblklist and backup-begin of domain %s" %
         (name, dom), cmds)
    for d in rec.get("disks") or []:
        if d["volume"].startswith("/dev/"):
            t.ok("lvcreate --snapshot" in cmds and d["volume"] in cmds and
                 "| sha256sum" in cmds, "%s: an LVM snapshot of %s, copied "
                 "and hashed" % (name, d["volume"]), cmds)


def main(env):
    env.write_config(env.config(panels=env.start_panels(list(PANELS))))
    env.start_daemon()
    cli = Cli(env)
    vps = env.get("/v1/vps").json()
    by_panel = {}
    for rec in vps["records"]:
        if ipv4(rec) and rec["panel"] not in by_panel:
            by_panel[rec["panel"]] = rec
    t.eq(sorted(by_panel), sorted(PANELS), "a VPS with an IPv4 address in "
         "each of the five panels")
    seq0 = vps["snapshot"]["seq"]

    for name in sorted(PANELS):
        rec = by_panel[name]
        ip = ipv4(rec)[0]
        out = "ev-%s.json" % name
        r = cli.evidence(ip, out)
        t.ok(r.returncode == 0 and ("wrote %s" % env.path(out)) in r.stdout
             and rec["id"] in r.stdout, "%s: sightline evidence --ip %s: "
             "exit 0, wrote the file" % (name, ip), r.stdout + r.stderr)
        r = cli.verify(out)
        t.ok(r.returncode == 0 and ("valid: record %s was in snapshot %d" %
                                    (rec["id"], seq0)) in r.stdout and
             ("valid: record %s holds %s" % (rec["id"], ip)) in r.stdout,
             "%s: verify-evidence: valid, record %s in snapshot %d, holds "
             "the IP" % (name, rec["id"], seq0), r.stdout + r.stderr)
        t.ok("not proven: identity of the owner: committed, not disclosed"
             in r.stdout and "not proven: the hypervisor state" in r.stdout,
             "%s: and says what is not proven" % name, r.stdout)
        f = load(env, out)
        ev = independent(env, f, ip, name)
        mine = [e for e in ev["records"] if e["record"]["id"] == rec["id"]]
        t.eq(len(mine), 1, "%s: the bundle holds %s" % (name, rec["id"]))
        t.eq(mine[0]["record"], rec, "%s: the same record /v1/vps serves"
             % name)
        check_preserve(name, mine[0])
        t.ok(all(c in r.stdout for c in mine[0]["preserve"]["commands"]),
             "%s: verify-evidence prints the commands" % name)

    # An address no VPS holds: the signed statement.
    r = cli.evidence("192.0.2.250", "ev-none.json")
    t.ok(r.returncode == 0 and "no VPS holds it" in r.stdout,
         "not assigned: sightline evidence writes the statement",
         r.stdout + r.stderr)
    f = load(env, "ev-none.json")
    ev = independent(env, f, "192.0.2.250", "not assigned")
    t.eq((ev["records"], ev.get("statement")),
         ([], "192.0.2.250 is not assigned to any VPS in snapshot %d" % seq0),
         "not assigned: no records, the statement names the snapshot")
    r = cli.verify("ev-none.json")
    t.ok(r.returncode == 0 and "valid: the reseller signed: \"192.0.2.250 "
         "is not assigned" in r.stdout and "not proven: completeness of the "
         "not-assigned statement" in r.stdout,
         "not assigned: verify-evidence: valid, and not a proof of absence",
         r.stdout + r.stderr)

    # Tampered files.
    rec = by_panel["vz"]
    f = load(env, "ev-vz.json")
    e = [x for x in f["evidence"]["records"]
         if x["record"]["id"] == rec["id"]][0]
    e["record"]["node"] = "elsewhere"
    save(env, "bad-record.json", f)
    f = load(env, "ev-vz.json")
    e = [x for x in f["evidence"]["records"]
         if x["record"]["id"] == rec["id"]][0]
    e["preserve"]["commands"][0] = "virsh -r dumpxml someone-else"
    save(env, "bad-preserve.json", f)
    f = load(env, "ev-vz.json")
    del f["http"]["fields"]["signature"]
    save(env, "bad-signature.json", f)
    f = load(env, "ev-none.json")
    f["evidence"]["statement"] = "192.0.2.250 is not assigned to any VPS " \
        "in snapshot 99"
    save(env, "bad-statement.json", f)
    f = load(env, "ev-vz.json")
    f["evidence"]["log_proof"]["proof"].append(
        f["evidence"]["log_proof"]["leaf_hash"])
    save(env, "bad-proof.json", f)
    for bad, why in (("bad-record.json", "invalid: http: the answer's "
                      "signature does not hold: digest"),
                     ("bad-preserve.json", "invalid: http:"),
                     ("bad-signature.json", "invalid: http: the answer's "
                      "signature does not hold: signature"),
                     ("bad-statement.json", "invalid: http:"),
                     ("bad-proof.json", "invalid: http:")):
        r = cli.verify(bad)
        t.ok(r.returncode == 2 and r.stdout.startswith(why),
             "verify-evidence %s: exit 2, %s" % (bad, r.stdout.strip()),
             r.stdout + r.stderr)
    # A reseller holding the key signs whatever it likes: the proofs and
    # the recomputed parts still give it away.
    _, priv = tlog.load_skey(env.key_signing)
    kid = env.vkey.split("+")[1]

    def resign(f):
        http = f["http"]
        target = urllib.parse.urlsplit(http["target"])
        fields = {k: v for k, v in http["fields"].items()
                  if k in ("content-type", "sightline-inventory")}
        for k, v in tlog.sign_response(priv, kid, "GET", target.path,
                                       target.query, 200,
                                       list(fields.items()),
                                       jcs([f["evidence"]])[0]):
            fields[k.lower()] = v
        http["fields"] = fields
        return f

    for src, bad, change, why in (
            ("ev-vz.json", "liar-record.json",
             lambda ev: ev["records"][0]["record"].update(node="elsewhere"),
             "invalid: record: "),
            ("ev-vz.json", "liar-preserve.json",
             lambda ev: ev["records"][0]["preserve"]["commands"].pop(),
             "invalid: preserve: "),
            ("ev-vz.json", "liar-status.json",
             lambda ev: ev["records"][0]["hypervisor"].update(
                 status="consistent"), "invalid: hypervisor: "),
            ("ev-none.json", "liar-statement.json",
             lambda ev: ev.update(statement="192.0.2.250 is not assigned "
                                  "to any VPS in snapshot 99"),
             "invalid: statement: ")):
        f = load(env, src)
        change(f["evidence"])
        save(env, bad, resign(f))
        r = cli.verify(bad)
        t.ok(r.returncode == 2 and r.stdout.startswith(why),
             "re-signed with the key, %s: exit 2, %s" % (bad,
                                                         r.stdout.strip()),
             r.stdout + r.stderr)
    f = resign(load(env, "ev-vz.json"))
    save(env, "resigned.json", f)
    r = cli.verify("resigned.json")
    t.eq(r.returncode, 0, "re-signed without a change: still valid (the "
         "test's signer is right)", r.stdout + r.stderr)

    with open(env.path("bad-json.json"), "w") as fh:
        fh.write("{\"evidence\":")
    r = cli.verify("bad-json.json")
    t.ok(r.returncode == 2 and "not JSON" in r.stdout,
         "verify-evidence of a broken file: exit 2", r.stdout + r.stderr)
    os.makedirs(env.path("otherkey"), exist_ok=True)
    other = run([SIGHTLINE, "keygen", "--name", "other.example/key", "--out",
                 env.path("otherkey")])
    t.eq(other.returncode, 0, "another deployment's key", other.stderr)
    r = cli.verify("ev-vz.json", key=other.stdout.strip())
    t.ok(r.returncode == 2 and r.stdout.startswith("invalid: key:"),
         "verify-evidence with another key: exit 2, %s" % r.stdout.strip(),
         r.stdout + r.stderr)

    # sightline evidence refuses a wrong --key and writes nothing.
    cmd = [SIGHTLINE, "evidence", cli.url, "--ip", ipv4(rec)[0], "--out",
           env.path("ev-wrongkey.json"), "--token-file", cli.tok, "--key",
           other.stdout.strip()]
    r = run(cmd)
    t.ok(r.returncode == 2 and "refusing to write" in r.stderr and
         not os.path.exists(env.path("ev-wrongkey.json")),
         "sightline evidence --key of another deployment: exit 2, no file",
         r.stderr)
    r = cli.evidence(ipv4(rec)[0], "ev-nokey.json", key=False)
    t.ok(r.returncode == 0 and "not proven: that its key is the "
         "deployment's" in r.stdout, "without --key: written, checked with "
         "the key it carries, and it says so", r.stdout + r.stderr)
    r = cli.evidence("203.0.113.300", "ev-badip.json")
    t.ok(r.returncode == 2 and "not an IPv4 or IPv6 address" in r.stderr,
         "sightline evidence --ip 203.0.113.300: exit 2", r.stderr)

    # The API's answers to bad requests.
    for q, want in (("ip=203.0.113.300", "203.0.113.300"),
                    ("ip=203.0.113.11/24", "203.0.113.11/24"),
                    ("", "give ip=")):
        r = env.get("/v1/evidence" + ("?" + q if q else ""))
        t.ok(r.status == 400 and want in r.json().get("detail", ""),
             "GET /v1/evidence?%s: 400 naming %s" % (q, want), r.text())
    r = env.get("/v1/evidence?ip=192.0.2.1&mac=00:00:5e:00:53:01")
    t.eq(r.status, 400, "an unknown query parameter: 400")
    r = env.get("/v1/evidence?ip=192.0.2.1&at=999")
    t.eq(r.status, 404, "?at= of a snapshot not in the log: 404")

    # An older snapshot, proven in the grown log.
    seq1 = env.get("/v1/vps?fresh=1").json()["snapshot"]["seq"]
    t.ok(seq1 > seq0, "a second snapshot (%d)" % seq1)
    rec = by_panel["pve"]
    ip = ipv4(rec)[0]
    r = cli.evidence(ip, "ev-at.json", "--at", str(seq0))
    t.ok(r.returncode == 0 and "in snapshot %d" % seq0 in r.stdout,
         "--at %d: exit 0" % seq0, r.stdout + r.stderr)
    f = load(env, "ev-at.json")
    ev = independent(env, f, ip, "--at %d" % seq0)
    t.ok(ev["snapshot"]["seq"] == seq0 and
         ev["log_proof"]["size"] == seq1 + 1,
         "--at %d: snapshot %d proven in the log of size %d" %
         (seq0, seq0, seq1 + 1))
    r = cli.verify("ev-at.json")
    t.ok(r.returncode == 0 and "logged at size %d" % (seq1 + 1) in r.stdout,
         "--at: verify-evidence: valid", r.stdout + r.stderr)


with Env("evidence") as env:
    t.run(main, env)
t.done()
