#!/usr/bin/python3
"""All five panels behind one sightlined, and the same customers in each.

Five emulators (Proxmox VE, Virtualizor, SolusVM 1, SolusVM 2, VirtFusion)
serve their fixtures over TLS; one sightlined has all five as panels. The
fixtures hold the same three customers, Alice, Bob and Carol, in every
panel (../shared/panels/README.md). With a policy that keeps everything
(the reseller's own view), each customer's records must agree across the
panels on what every panel provides and the fixtures state alike: the
customer (owner, as the panel writes it), their VPSes' memory for Alice and
Bob, the kind of virtualization, and that every record is located (a node,
an IPv4 address, a MAC wherever the panel gives one). With the default
policies (the hoster's view), no customer's identity shows, yet a
customer's pseudonym is the same in every panel that names the owner the
same way, and the answer is signed like any other.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, PANEL_EMULATORS as PANELS  # noqa: E402
import sigcheck  # noqa: E402
from npm import canonicalize  # noqa: E402

t = Tap()

CUSTOMERS = ("alice", "bob", "carol")
KEEP_ALL = 'return { record = { ["*"] = "keep" }, node = { ["*"] = "keep" } }\n'


def panels_conf(env, policy=None):
    """Every panel's configuration (harness.start_panels, once), with
    policy instead of the default ones if given."""
    if not hasattr(env, "panels"):
        env.panels = env.start_panels()
    return [dict(p, policy=policy or p["policy"]) for p in env.panels]


def customer(rec):
    """alice, bob or carol, from what the panel says of the record."""
    text = json.dumps([rec.get(k) for k in ("owner", "hostname", "name",
                                              "notes")]).lower()
    found = [c for c in CUSTOMERS if c in text]
    return found[0] if len(found) == 1 else None


def ipv4(rec):
    return [ip for i in rec.get("interfaces") or [] for ip in i.get("ips")
            or [] if re.match(r"\d+\.\d+\.\d+\.\d+", ip)]


def run_raw(env):
    pol = env.path("keep-all.lua")
    with open(pol, "w") as f:
        f.write(KEEP_ALL)
    env.write_config(env.config(panels=panels_conf(env, pol)))
    env.start_daemon()
    r = env.get("/v1/vps")
    t.eq(r.status, 200, "one sightlined, five panels: /v1/vps answers 200",
         r.text()[:500])
    doc = r.json()
    got = {p["name"]: p["records"] for p in doc["inventory"]["panels"]}
    t.eq(sorted(got), sorted(PANELS), "the inventory names all five panels")
    t.ok(all(n >= 3 for n in got.values()), "each has at least three "
         "records", got)
    by = {}
    for rec in doc["records"]:
        c = customer(rec)
        if c is not None:
            by.setdefault(c, {})[rec["panel"]] = rec
    for c in CUSTOMERS:
        t.eq(sorted(by.get(c, {})), sorted(PANELS),
             "%s has a VPS in every panel" % c.capitalize())
        recs = by.get(c, {})
        for name, rec in recs.items():
            t.ok(rec.get("node") and ipv4(rec),
                 "%s on %s: located (node %s, IPv4 %s)" % (
                     c, name, rec.get("node"), ipv4(rec)))
            macs = [i.get("mac") for i in rec.get("interfaces") or []]
            t.ok(all(m is None or re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}",
                                               m) for m in macs),
                 "%s on %s: MACs in one canonical form %s" % (c, name, macs))
        kinds = {n: r.get("kind") for n, r in recs.items()}
        t.ok(set(kinds.values()) <= {"qemu", "lxc", "openvz", "xen"},
             "%s: every panel names the kind in schema v1's words" % c, kinds)
    # KVM is "qemu" everywhere; Alice's VPS is KVM in every panel.
    kinds = {n: r.get("kind") for n, r in by.get("alice", {}).items()}
    t.ok(set(kinds.values()) == {"qemu"}, "Alice: kind qemu in every panel",
         kinds)
    # Memory: Alice 2 GiB and Bob 4 GiB everywhere (Carol's plans differ
    # between the panels' fixtures, by their own documents).
    for c, mb in (("alice", 2048), ("bob", 4096)):
        vals = {n: r.get("memory_mb") for n, r in by.get(c, {}).items()}
        t.ok(set(vals.values()) == {mb}, "%s: memory_mb %d in every panel"
             % (c.capitalize(), mb), vals)
    # Where two panels name the owner the same way (an e-mail address),
    # it must be the same customer's address.
    for c in CUSTOMERS:
        owners = {n: r.get("owner") for n, r in by.get(c, {}).items()
                  if isinstance(r.get("owner"), str) and "@" in r["owner"]}
        t.ok(owners and all(c in o.lower() for o in owners.values()),
             "%s: every owner given as an e-mail address is %s's" %
             (c.capitalize(), c.capitalize()), owners)
    env.stop_daemon()
    return by


def run_redacted(env, raw):
    env.write_config(env.config(panels=panels_conf(env)))
    env.start_daemon()
    r = env.get("/v1/vps")
    t.eq(r.status, 200, "with the default policies: 200")
    body = r.text()
    for c, recs in raw.items():
        for name, rec in recs.items():
            # (Virtualizor's "name" is its own "v1001", not the customer's.)
            for k in ("owner", "hostname"):
                v = rec.get(k)
                if isinstance(v, str) and len(v) > 3:
                    t.lacks(body, json.dumps(v)[1:-1],
                            "%s on %s: %s hidden" % (c, name, k))
    red = {rec["id"]: rec for rec in r.json()["records"]}
    out, why = canonicalize(list(red.values()))
    t.ok(out is not None and all(o in r.body for o in out),
         "every record of the five panels is served in the bytes npm "
         "canonicalize makes of it", why or [o[:80] for o in out
                                            if o not in r.body][:3])
    t.ok(all(x.get("_sd") and x.get("_sd_alg") == "sha-256"
             for x in red.values()),
         "every record of every panel carries commitments")
    # The same owner (by value) gets the same pseudonym in every panel.
    for c, recs in raw.items():
        groups = {}
        for name, rec in recs.items():
            if rec.get("owner") is not None:
                groups.setdefault(json.dumps(rec["owner"]), set()).add(
                    red[rec["id"]].get("owner_ps"))
        t.ok(all(len(v) == 1 and None not in v for v in groups.values()),
             "%s: one owner value, one pseudonym, across panels" % c, groups)
    email = {}
    for c, recs in raw.items():
        for rec in recs.values():
            if isinstance(rec.get("owner"), str) and "@" in rec["owner"]:
                email.setdefault(c, set()).add(red[rec["id"]]["owner_ps"])
    t.ok(any(len(v) == 1 for v in email.values()) and
         len({next(iter(v)) for v in email.values() if len(v) == 1}) ==
         len([v for v in email.values() if len(v) == 1]),
         "panels that name owners by e-mail show the same pseudonym for the "
         "same customer, different ones for different customers", email)
    err = sigcheck.verify(env.vkey, "GET", "/v1/vps", None, r.status,
                          r.headers, r.body)
    t.ok(err is None, "the five-panel answer is signed", err)
    src = dict((k.lower(), v) for k, v in r.headers)["sightline-inventory"]
    snap = r.json()["snapshot"]
    t.eq(src, "snapshot=%d" % snap["seq"],
         "Sightline-Inventory names the snapshot the answer comes from")
    t.eq(sorted(p["name"] for p in snap["panels"]), sorted(PANELS),
         "and the snapshot's summary names all five panels")
    # "data": null is what Proxmox clients read from every answer: only
    # problems on Proxmox API paths carry it.
    r = env.get("/native/vz/index.php?act=vs&delete=1001")
    t.ok(r.status == 403 and "data" not in r.json(),
         "a refused Virtualizor call: 403, a problem without data", r.text())
    r = env.get("/native/pve/api2/json/access/users")
    t.ok(r.status == 403 and "data" in r.json() and r.json()["data"] is None,
         "a refused Proxmox call: 403, with data: null", r.text())
    lookups = 0
    for c, recs in raw.items():
        for name, rec in recs.items():
            ip = ipv4(rec)[0].split("/")[0]
            lr = env.get("/v1/lookup?ip=" + ip)
            lookups += lr.status == 200 and rec["id"] in lr.text()
    t.eq(lookups, sum(len(v) for v in raw.values()),
         "a lookup by IP finds each customer's VPS in its panel")


with Env("panels") as env:
    raw = run_raw(env)
    t.run(run_redacted, env, raw)
t.done()
