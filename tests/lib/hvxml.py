#!/usr/bin/python3
"""hvxml.py - node files for libvirt's test driver, made from the panels'
fixtures, for the hypervisor cross-check's tests (proxy/hvcheck.c).

libvirt's test driver reads a whole hypervisor from one XML file: a
<node> holding <domain type='test'> elements. `test:///ABSOLUTE/PATH.xml`
is its URI, read-only like any other, with no libvirtd. This module
writes one such file per node, holding the domains that the records of a
panel's fixtures describe: tests/cases/<panel>/record-fixtures/
expected.json, the records sightlined serves for the emulator's fixtures
(tests/emu/*_emu.py serve the same data). So the clean set is what a
hypervisor under an honest panel holds, and each mutation below is one
lie or one accident the cross-check must catch.

Per panel, as the panel's own hypervisors name things:
  domain name  Virtualizor: the record's name (vps_name, "v1001");
               SolusVM 1: ctid-xid (tests/fixtures/solusvm1, "vm201");
               SolusVM 2 and VirtFusion: the UUID.
  UUID         the record's, when it is an RFC 4122 UUID; otherwise a
               UUID 5 of the record id (Virtualizor's are 16 characters).
  disk source  Virtualizor: the volume (a /dev path or a file);
               SolusVM 2: "/dev/" + "vg/lv"; VirtFusion: storage "/" volume.
  interfaces   one bridge interface on br0 per MAC the record shows.

    import hvxml
    nodes = hvxml.domains("solusvm2")            # {node: [domain, ...]}
    hvxml.add_hidden(nodes, "hv01", "intruder")
    uris = hvxml.write(nodes, "/tmp/dir")        # {node: "test:///..."}

Command line (prints {"uris": ..., "nodes": ...} as JSON):
    hvxml.py PANEL OUTDIR [--hidden NODE:NAME] [--drop NAME]
        [--mac NAME=MAC] [--disk NAME=SOURCE] [--uuid NAME=UUID]
        [--move NAME=NODE] [--state NAME=STATE]

Standard library only.
"""
import argparse
import json
import os
import re
import sys
import uuid as uuidlib
from xml.sax.saxutils import quoteattr, escape

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))
PANELS = ("virtualizor", "solusvm1", "solusvm2", "virtfusion")
RFC_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
# The test driver's <test:runstate>: libvirt's virDomainState numbers.
RUNSTATE = {"nostate": 0, "running": 1, "blocked": 2, "paused": 3,
            "shutdown": 4, "shutoff": 5, "crashed": 6, "pmsuspended": 7}
# A panel's status as the hypervisor shows it: a VPS the panel stopped or
# suspended is shut off; one whose state the panel does not know runs.
STATE = {"running": "running", "stopped": "shutoff",
         "suspended": "shutoff"}
# UUIDs made for records whose own is not RFC 4122 (uuid5 of the id).
NAMESPACE = uuidlib.UUID("6b1e4c58-2a8f-4c1d-9e53-7a0c3f9d2b10")


def fixture_records(panel):
    """The records sightlined serves for a panel's fixtures."""
    path = os.path.join(SRCDIR, "tests", "cases", panel, "record-fixtures",
                        "expected.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _solusvm1_names():
    """SolusVM 1's vserverid -> ctid-xid, the libvirt domain's name."""
    path = os.path.join(SRCDIR, "tests", "fixtures", "solusvm1",
                        "node-virtualservers.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return {v["vserverid"]: v["ctid-xid"] for v in doc["virtualservers"]}


def domain_uuid(rec):
    u = rec.get("uuid")
    if isinstance(u, str) and RFC_UUID.match(u):
        return u.lower()
    return str(uuidlib.uuid5(NAMESPACE, rec["id"]))


def domain_name(panel, rec, names=None):
    if panel == "virtualizor":
        return rec["name"]
    if panel == "solusvm1":
        return (names or _solusvm1_names())[rec["native_id"]]
    return domain_uuid(rec)


def disk_source(panel, disk):
    vol, storage = disk.get("volume"), disk.get("storage")
    if panel == "solusvm2":
        return "/dev/" + vol
    if panel == "virtfusion":
        return storage + "/" + vol
    return vol


def domain(panel, rec, names=None):
    """The libvirt domain behind a record, as a dict."""
    return {
        "name": domain_name(panel, rec, names),
        "uuid": domain_uuid(rec),
        "state": STATE.get(rec.get("status"), "running"),
        "memory_mb": rec.get("memory_mb") or 1024,
        "vcpu": rec.get("cpu") or 1,
        "macs": sorted({i["mac"].lower() for i in rec.get("interfaces") or []
                        if isinstance(i.get("mac"), str)}),
        "disks": sorted(disk_source(panel, d) for d in rec.get("disks") or []
                        if isinstance(d.get("volume"), str)),
    }


def domains(panel, records=None):
    """The clean set: {node: [domain, ...]} for a panel's records (its
    fixtures' by default), each domain on the node its record names."""
    if panel not in PANELS:
        raise ValueError("no libvirt panel %r (one of %s)" %
                         (panel, ", ".join(PANELS)))
    recs = fixture_records(panel) if records is None else records
    names = _solusvm1_names() if panel == "solusvm1" else None
    nodes = {}
    for rec in recs:
        nodes.setdefault(rec["node"], []).append(domain(panel, rec, names))
    return nodes


# ---- mutations: each changes nodes in place and returns the domain ----

def find(nodes, name):
    """(node, domain) of the domain called name."""
    for node, doms in nodes.items():
        for d in doms:
            if d["name"] == name:
                return node, d
    raise KeyError("no domain %r" % name)


def add_hidden(nodes, node, name, uuid=None, macs=("52:54:00:de:ad:01",),
               disks=("/dev/vg_hidden/intruder",), state="running"):
    """A domain that no record describes."""
    d = {"name": name, "uuid": uuid or str(uuidlib.uuid5(NAMESPACE,
                                                         "hidden/" + name)),
         "state": state, "memory_mb": 1024, "vcpu": 1,
         "macs": sorted(m.lower() for m in macs), "disks": sorted(disks)}
    nodes.setdefault(node, []).append(d)
    return d


def drop(nodes, name):
    """The domain is gone: the panel shows a VPS the node lacks."""
    node, d = find(nodes, name)
    nodes[node].remove(d)
    return d


def set_mac(nodes, name, mac):
    d = find(nodes, name)[1]
    d["macs"] = [mac.lower()]
    return d


def set_disk(nodes, name, source):
    d = find(nodes, name)[1]
    d["disks"] = [source]
    return d


def set_uuid(nodes, name, uuid):
    d = find(nodes, name)[1]
    d["uuid"] = uuid.lower()
    return d


def set_state(nodes, name, state):
    if state not in RUNSTATE:
        raise ValueError("no domain state %r" % state)
    d = find(nodes, name)[1]
    d["state"] = state
    return d


def move(nodes, name, to):
    """The domain runs on another node than the panel says."""
    node, d = find(nodes, name)
    nodes[node].remove(d)
    nodes.setdefault(to, []).append(d)
    return d


# ---- the files ----

def node_xml(doms):
    """One node file for libvirt's test driver."""
    out = ["<node>"]
    for d in doms:
        out.append("  <domain type='test' "
                   "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>")
        out.append("    <name>%s</name>" % escape(d["name"]))
        out.append("    <uuid>%s</uuid>" % escape(d["uuid"]))
        out.append("    <memory unit='MiB'>%d</memory>" % d["memory_mb"])
        out.append("    <vcpu>%d</vcpu>" % d["vcpu"])
        out.append("    <os><type arch='x86_64'>hvm</type></os>")
        out.append("    <test:runstate>%d</test:runstate>" %
                   RUNSTATE[d["state"]])
        out.append("    <devices>")
        for i, src in enumerate(d["disks"]):
            target = quoteattr("vd" + chr(ord("a") + i % 26))
            if src.startswith("/dev/"):
                out.append("      <disk type='block' device='disk'>"
                           "<source dev=%s/><target dev=%s bus='virtio'/>"
                           "</disk>" % (quoteattr(src), target))
            else:
                out.append("      <disk type='file' device='disk'>"
                           "<source file=%s/><target dev=%s bus='virtio'/>"
                           "</disk>" % (quoteattr(src), target))
        for mac in d["macs"]:
            out.append("      <interface type='bridge'><mac address=%s/>"
                       "<source bridge='br0'/></interface>" % quoteattr(mac))
        out.append("    </devices>")
        out.append("  </domain>")
    out.append("</node>")
    return "\n".join(out) + "\n"


def write(nodes, outdir):
    """One file per node, OUTDIR/NODE.xml; returns {node: test URI}."""
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    uris = {}
    for node, doms in sorted(nodes.items()):
        path = os.path.join(outdir, node + ".xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(node_xml(doms))
        uris[node] = "test://" + path
    return uris


def main(argv):
    ap = argparse.ArgumentParser(description="libvirt test-driver node "
                                 "files from a panel's fixtures")
    ap.add_argument("panel", choices=PANELS)
    ap.add_argument("outdir")
    ap.add_argument("--hidden", action="append", default=[],
                    metavar="NODE:NAME")
    ap.add_argument("--drop", action="append", default=[], metavar="NAME")
    for opt in ("mac", "disk", "uuid", "move", "state"):
        ap.add_argument("--" + opt, action="append", default=[],
                        metavar="NAME=VALUE")
    opts = ap.parse_args(argv)
    nodes = domains(opts.panel)
    try:
        for h in opts.hidden:
            node, name = h.split(":", 1)
            add_hidden(nodes, node, name)
        for name in opts.drop:
            drop(nodes, name)
        for opt, fn in (("mac", set_mac), ("disk", set_disk),
                        ("uuid", set_uuid), ("move", move),
                        ("state", set_state)):
            for arg in getattr(opts, opt):
                name, value = arg.split("=", 1)
                fn(nodes, name, value)
    except (KeyError, ValueError) as e:
        ap.error(str(e))
    uris = write(nodes, opts.outdir)
    json.dump({"uris": uris, "nodes": nodes}, sys.stdout, indent=1,
              sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
