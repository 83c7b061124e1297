#!/usr/bin/python3
"""sightline crosscheck, the hoster's network cross-check, against the
real daemon and the Proxmox emulator; and sightline audit --crosscheck.

    sightline crosscheck URL --key VKEY [--token-file F] [--allocations F]
        [--neigh F] [--fdb F] [--nodes F] [--overcommit ...] [--json]
    sightline crosscheck --records FILE [the same inputs]

The hoster's network is built from the records the daemon serves: each
VM interface becomes a network namespace whose veth peer is a port of a
bridge in a "router" namespace, with the interface's MAC and addresses;
the router sends a datagram to every address, and its `ip -j neigh` and
`bridge -j fdb` are the neighbour and forwarding tables. Without the
right to make namespaces (no CAP_NET_ADMIN), the same tables are written
as those commands print them, and every point that needs real
namespaces is a TAP skip that says why.

The clean network reports nothing (exit 0). Then, each caught with its
kind and exit 1: a hidden VM (a live address no record claims), a lie
about a MAC, an address the panel omits, a VM moved to another server's
switch port, an address outside the allocation, a duplicate address
(the panel's fixtures changed), a node over capacity. Malformed inputs
and a wrong key exit 2.
"""
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Tap, Env, SIGHTLINE, FIXTURES, free_port,  # noqa: E402
                     run)

t = Tap()
PID = os.getpid()
IP = shutil.which("ip") or "/usr/sbin/ip"
BRIDGE = shutil.which("bridge") or "/usr/sbin/bridge"
PANEL = {"min_refresh_interval": 0}
KINDS = ["unclaimed-ip", "mac-mismatch", "outside-allocation",
         "duplicate-ip", "duplicate-mac", "wrong-port", "over-capacity"]


def sh(*cmd, check=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def netns_reason():
    """None if this process may make network namespaces, else why not."""
    if os.environ.get("SIGHTLINE_TEST_NO_NETNS"):
        return "SIGHTLINE_TEST_NO_NETNS is set"
    name = "slcc%dprobe" % PID
    try:
        r = sh(IP, "netns", "add", name, check=False)
    except OSError as e:
        return "no ip(8): %s" % e
    if r.returncode != 0:
        return "cannot create network namespaces (CAP_NET_ADMIN?): " + \
            r.stderr.strip()
    sh(IP, "netns", "del", name, check=False)
    if shutil.which("bridge") is None and not os.path.exists(BRIDGE):
        return "no bridge(8) from iproute2"
    return None


NS_REASON = netns_reason()


# ---- the hoster's network, as a model ----

class Net:
    """The VM interfaces on the hoster's network: each {"name", "mac",
    "ips" (with lengths), "port"}, and the servers' switch ports."""

    def __init__(self, records):
        self.vms = []
        self.servers = {"srv-a": ["pa-spare"], "srv-b": ["pb-spare"]}
        self.node_server = {"pve1": "srv-a", "pve2": "srv-b"}
        for rec in records:
            for i, ifc in enumerate(rec.get("interfaces") or []):
                if not ifc.get("mac") or not ifc.get("ips"):
                    continue
                port = "p%d" % len(self.vms)
                self.vms.append({"name": "%s#%d" % (rec["id"], i),
                                 "mac": ifc["mac"], "ips": list(ifc["ips"]),
                                 "port": port})
                self.servers[self.node_server[rec["node"]]].append(port)

    def vm(self, name):
        return next(v for v in self.vms if v["name"] == name)

    def subnets(self):
        nets = []
        for v in self.vms:
            for a in v["ips"]:
                n = ipaddress.ip_interface(a).network
                if n not in nets:
                    nets.append(n)
        return nets


def fake_tables(net):
    """The tables as `ip -j neigh` and `bridge -j fdb` would print them."""
    neigh = [{"dst": "203.0.113.250", "dev": "br0", "state": ["FAILED"]}]
    fdb = [{"mac": "33:33:00:00:00:01", "ifname": "br0", "flags": ["self"],
            "state": "permanent"}]
    for v in net.vms:
        for a in v["ips"]:
            neigh.append({"dst": a.split("/")[0], "dev": "br0",
                          "lladdr": v["mac"], "state": ["REACHABLE"]})
        fdb.append({"mac": v["mac"], "ifname": v["port"], "flags": [],
                    "master": "br0", "state": ""})
    return json.dumps(neigh), json.dumps(fdb)


def ns_tables(net):
    """Build net in namespaces, make the router meet every address, and
    read its tables. The namespaces are gone when this returns."""
    router = "slcc%dr" % PID
    made = []
    try:
        sh(IP, "netns", "add", router)
        made.append(router)
        sh(IP, "-n", router, "link", "add", "br0", "type", "bridge")
        sh(IP, "-n", router, "link", "set", "br0", "up")
        used = {ipaddress.ip_interface(a).ip for v in net.vms
                for a in v["ips"]}
        for n in net.subnets():
            gw = next(h for h in n.hosts() if h not in used)
            sh(IP, "-n", router, "addr", "add", "%s/%d" % (gw, n.prefixlen),
               "dev", "br0", "nodad")
        for i, v in enumerate(net.vms):
            ns = "slcc%dv%d" % (PID, i)
            sh(IP, "netns", "add", ns)
            made.append(ns)
            sh(IP, "-n", router, "link", "add", v["port"], "type", "veth",
               "peer", "name", "eth0", "netns", ns)
            sh(IP, "-n", router, "link", "set", v["port"], "master", "br0")
            sh(IP, "-n", router, "link", "set", v["port"], "up")
            sh(IP, "-n", ns, "link", "set", "eth0", "address", v["mac"])
            sh(IP, "-n", ns, "link", "set", "lo", "up")
            sh(IP, "-n", ns, "link", "set", "eth0", "up")
            for a in v["ips"]:
                sh(IP, "-n", ns, "addr", "add", a, "dev", "eth0", "nodad")
        want = {ipaddress.ip_interface(a).ip for v in net.vms
                for a in v["ips"]}
        # A datagram to each address: the router resolves it (ARP, ND).
        probe = ("import socket, sys\n"
                 "for a in sys.argv[1:]:\n"
                 "    s = socket.socket(socket.AF_INET6 if ':' in a else\n"
                 "                      socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "    s.sendto(b'x', (a, 9))\n"
                 "    s.close()\n")
        end = time.monotonic() + 5
        while True:
            sh(IP, "netns", "exec", router, sys.executable, "-c", probe,
               *[str(a) for a in sorted(want, key=str)])
            time.sleep(0.2)
            neigh = sh(IP, "-n", router, "-j", "neigh").stdout
            seen = {ipaddress.ip_address(e["dst"]) for e in json.loads(neigh)
                    if e.get("lladdr")}
            if want <= seen or time.monotonic() > end:
                break
        fdb = sh(BRIDGE, "-n", router, "-j", "fdb").stdout
        return neigh, fdb
    finally:
        for ns in reversed(made):
            sh(IP, "netns", "del", ns, check=False)


def tables(net):
    return ns_tables(net) if NS_REASON is None else fake_tables(net)


# ---- files ----

class Inputs:
    """The input files of one scenario, under the work directory."""

    def __init__(self, env, name, net, records, alloc=None, nodes=None):
        self.dir = env.path(name)
        os.makedirs(self.dir, exist_ok=True)
        self.neigh_text, self.fdb_text = tables(net)
        self.alloc = self.write("alloc.txt", alloc if alloc is not None else
                                "# the reseller's ranges\n" +
                                "".join("%s\n" % n for n in net.subnets()))
        self.neigh = self.write("neigh.json", self.neigh_text)
        self.fdb = self.write("fdb.json", self.fdb_text)
        self.nodes = self.write("nodes.csv", nodes if nodes is not None else
                                inventory(net, records))

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def args(self):
        return ["--allocations", self.alloc, "--neigh", self.neigh,
                "--fdb", self.fdb, "--nodes", self.nodes]


def inventory(net, records):
    """Each node's server, ports, and a capacity that just holds what its
    records attest (with the default overcommit ratios)."""
    lines = ["node,server,ports,cpu,memory_mb,disk_gb"]
    for node, key in (("pve1", "pve/pve1"), ("pve2", "pve2")):
        recs = [r for r in records if r.get("node") == node]
        srv = net.node_server[node]
        lines.append("%s,%s,%s,%g,%g,%g" % (
            key, srv, " ".join(net.servers[srv]),
            sum(r.get("cpu") or 0 for r in recs),
            sum(r.get("memory_mb") or 0 for r in recs),
            sum(r.get("disk_gb") or 0 for r in recs)))
    return "\n".join(lines) + "\n"


def token_file(env):
    path = env.path("hoster.token")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(env.token + "\n")
        os.chmod(path, 0o600)
    return path


def url(env):
    return "http://127.0.0.1:%d" % env.plain_port


def crosscheck(env, *args, key=None, target=None):
    return run([SIGHTLINE, "crosscheck", target or url(env), "--key",
                key or env.vkey, "--token-file", token_file(env)] +
               list(args), timeout=60)


def report(env, inputs, *extra):
    r = crosscheck(env, *(inputs.args() + list(extra) + ["--json"]))
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        return r, {"findings": [], "checks": [], "exit": None}


def kinds(doc):
    return sorted({f["kind"] for f in doc["findings"]})


def records_of(env):
    return env.get("/v1/vps").json()["records"]


# ---- the scenarios ----

def test_clean(env, records):
    net = Net(records)
    inp = Inputs(env, "clean", net, records)
    if NS_REASON is None:
        neigh = json.loads(inp.neigh_text)
        live = {e["dst"]: e["lladdr"] for e in neigh if e.get("lladdr")}
        want = {a.split("/")[0]: v["mac"] for v in net.vms for a in v["ips"]}
        t.eq({a: live.get(a) for a in want}, want, "the router's `ip -j "
             "neigh` shows every attested address at its MAC, learned "
             "from the namespaces")
        fdb = json.loads(inp.fdb_text)
        seen = {(e["mac"], e["ifname"]) for e in fdb}
        t.ok(all((v["mac"], v["port"]) in seen for v in net.vms),
             "`bridge -j fdb` has every VM's MAC on its port", fdb)
    else:
        t.skip("neighbour table from `ip -j neigh` in namespaces", NS_REASON)
        t.skip("forwarding table from `bridge -j fdb` in namespaces",
               NS_REASON)
    r = crosscheck(env, *inp.args())
    t.eq(r.returncode, 0, "the clean network: exit 0", r.stdout + r.stderr)
    t.contains(r.stdout, "records  %d records of snapshot=" % len(records),
               "the records are said to be verified")
    t.contains(r.stdout, "result   clean: nothing found",
               "the clean network: nothing found")
    for k in KINDS:
        t.contains(r.stdout, "check    %s: 0 findings" % k,
                   "the clean network: %s ran, nothing" % k)
    t.lacks(r.stdout + r.stderr, env.token, "the token is not printed")

    r, doc = report(env, inp)
    t.eq(r.returncode, 0, "--json: exit 0", r.stderr)
    t.eq((doc.get("exit"), doc.get("result"), doc.get("findings"),
          doc.get("failures")), (0, "clean", [], []),
         "--json: exit 0, clean, no finding, no failure")
    t.eq([c["check"] for c in doc["checks"]], KINDS,
         "--json: the seven checks, in order")
    t.ok(all(c["ran"] and c["findings"] == 0 for c in doc["checks"]),
         "--json: every check ran", doc["checks"])
    src = doc.get("source", {})
    t.ok(src.get("verified") is True and src.get("url") == url(env) and
         src.get("key", "").startswith("sightline.test/reseller+") and
         src.get("inventory", "").startswith("snapshot="),
         "--json: the source: verified, with the key and snapshot", src)
    t.eq(sorted(i["input"] for i in doc["inputs"]),
         ["allocations", "forwarding", "neighbours", "nodes"],
         "--json: the four inputs")
    t.eq({i["input"]: i["format"] for i in doc["inputs"]},
         {"allocations": "CIDR list", "neighbours": "ip -j neigh",
          "forwarding": "bridge -j fdb", "nodes": "CSV"},
         "--json: each input's format, told by its content")

    # Nothing given but the records: what can run, runs.
    r = run([SIGHTLINE, "crosscheck", url(env), "--key", env.vkey,
             "--token-file", token_file(env), "--json"], timeout=60)
    doc = json.loads(r.stdout)
    t.eq([c["check"] for c in doc["checks"] if c["ran"]],
         ["duplicate-ip", "duplicate-mac"], "records only: the duplicate "
         "checks run, the others are skipped")
    t.ok(all(c["detail"].startswith("skipped: needs --")
             for c in doc["checks"] if not c["ran"]),
         "records only: each skip says which input it needs", doc["checks"])
    return net


def scenario(env, records, name, change, want, *extra, alloc=None,
             nodes=None, check=None):
    """Change the network, cross-check, expect exactly the kinds want."""
    net = Net(records)
    change(net)
    inp = Inputs(env, name, net, records, alloc=alloc, nodes=nodes)
    r, doc = report(env, inp, *extra)
    t.eq(r.returncode, 1, "%s: exit 1" % name, r.stdout + r.stderr)
    t.eq(kinds(doc), want, "%s: found as %s" % (name, ", ".join(want)),
         json.dumps(doc.get("findings"), indent=1))
    if check is not None:
        check(doc, net)
    return doc


def test_scenarios(env, records):
    def hidden(net):
        net.vms.append({"name": "hidden", "mac": "52:54:00:00:02:00",
                        "ips": ["203.0.113.200/24"], "port": "pa-spare"})

    def hidden_check(doc, net):
        f = doc["findings"][0]
        t.eq((f["address"], f["observed"], f["ids"]),
             ("203.0.113.200", "52:54:00:00:02:00", []),
             "hidden VM: its address and MAC, no record")
        t.ok(f["where"].startswith(os.path.join(env.dir, "hidden-vm",
                                                "neigh.json:")),
             "hidden VM: the evidence is a line of the neighbour table",
             f["where"])
    scenario(env, records, "hidden-vm", hidden, ["unclaimed-ip"],
             check=hidden_check)

    def lie(net):
        net.vm("pve/100#0")["mac"] = "52:54:00:be:ef:01"

    def lie_check(doc, net):
        f = doc["findings"][0]
        t.eq((f["ids"], f["attested"], f["observed"]),
             (["pve/100"], "bc:24:11:3a:5f:01", "52:54:00:be:ef:01"),
             "a lie about a MAC: the attested and the observed MAC")
    scenario(env, records, "mac-lie", lie, ["mac-mismatch"], check=lie_check)

    def omit(net):
        net.vm("pve/100#0")["ips"].append("203.0.113.42/24")

    def omit_check(doc, net):
        f = doc["findings"][0]
        t.eq((f["address"], f["observed"]), ("203.0.113.42",
                                             "bc:24:11:3a:5f:01"),
             "an omitted address: live, from pve/100's own MAC")
    scenario(env, records, "omitted-ip", omit, ["unclaimed-ip"],
             check=omit_check)

    def move(net):
        v = net.vm("pve/102#0")
        net.servers["srv-a"].remove(v["port"])
        v["port"] = "pb-spare"

    def move_check(doc, net):
        f = doc["findings"][0]
        t.eq((f["ids"], f["address"], f["observed"]),
             (["pve/102"], "bc:24:11:3a:5f:04", "port pb-spare (server "
              "srv-b)"), "a moved VM: its MAC on a port of srv-b, not "
             "of pve1's srv-a")
    scenario(env, records, "moved-vm", move, ["wrong-port"],
             check=move_check)

    net = Net(records)
    alloc = "".join("%s\n" % n for n in net.subnets()
                    if str(n) != "10.20.0.0/24")
    scenario(env, records, "outside", lambda n: None,
             ["outside-allocation"], alloc=alloc,
             check=lambda doc, n: t.eq(
                 [(f["ids"], f["address"]) for f in doc["findings"]],
                 [(["pve/101"], "10.20.0.71")],
                 "outside the allocation: pve/101's 10.20.0.71"))

    scenario(env, records, "over-capacity", lambda n: None,
             ["over-capacity"], "--overcommit", "cpu=0.5",
             check=lambda doc, n: t.eq(
                 sorted((f["ids"][0], f["attested"])
                        for f in doc["findings"]),
                 [("pve/pve1", "cpu %g" % sum(
                     r["cpu"] for r in records if r["node"] == "pve1")),
                  ("pve2", "cpu %g" % sum(
                      r["cpu"] for r in records if r["node"] == "pve2"))],
                 "over capacity: both nodes' CPUs, by their inventory "
                 "keys (panel/node, then node)"))


def test_duplicate(env, records):
    """The panel itself changes: VM 101 takes VM 100's address."""
    fx = env.path("fixtures-dup")
    shutil.copytree(FIXTURES, fx)
    n = 0
    for name in os.listdir(fx):
        p = os.path.join(fx, name)
        text = open(p).read()
        if "198.51.100.71" in text:
            n += 1
            with open(p, "w") as f:
                f.write(text.replace("198.51.100.71", "203.0.113.41"))
    restart_emulator(env, "--fixtures", fx)
    now = records_of(env)
    t.ok(n > 0 and any("203.0.113.41/24" in i.get("ips", [])
                       for r in now if r["id"] == "pve/101"
                       for i in r["interfaces"]),
         "the changed panel serves pve/101 with 203.0.113.41")
    net = Net(records)              # the network has not changed
    inp = Inputs(env, "duplicate", net, records)
    r, doc = report(env, inp)
    t.eq(r.returncode, 1, "duplicate: exit 1", r.stdout + r.stderr)
    dup = [f for f in doc["findings"] if f["kind"] == "duplicate-ip"]
    t.eq([(f["address"], f["ids"]) for f in dup],
         [("203.0.113.41", ["pve/100", "pve/101"])],
         "duplicate: 203.0.113.41 attested by pve/100 and pve/101")
    t.ok("unclaimed-ip" in kinds(doc), "duplicate: and pve/101's real "
         "address is live and claimed by nobody", kinds(doc))
    restart_emulator(env)
    t.eq(records_of(env), records, "the panel is back as it was")


def restart_emulator(env, *args):
    env.emu.terminate()
    env.emu.wait(5)
    env.start_emulator(*args, port=env.emu_port)
    r = env.get("/v1/vps?fresh=1", timeout=60)
    if r.status != 200:
        raise RuntimeError("fresh: %d %s" % (r.status, r.body[:300]))


def test_failures(env, records):
    net = Net(records)
    inp = Inputs(env, "bad", net, records)
    bad = inp.write("neigh-bad.csv", "ip,mac\n203.0.113.41,bc:24:11:3a:5f:01"
                    "\n203.0.113.42,not-a-mac\n")
    r = crosscheck(env, "--neigh", bad)
    t.eq(r.returncode, 2, "a malformed neighbour table: exit 2")
    t.contains(r.stderr, "%s:3: \"not-a-mac\" is not an Ethernet MAC "
               "address" % bad, "its file, line and reason")
    bad = inp.write("nodes-bad.json", '[{"node": "pve1", "server": "a"},\n'
                    ' {"node": "pve2"}]')
    r = crosscheck(env, "--nodes", bad)
    t.eq(r.returncode, 2, "a malformed inventory: exit 2")
    t.contains(r.stderr, "%s:2: [1]: the server \"\" is not a name" % bad,
               "its file, line, index and reason")
    bad = inp.write("alloc-bad.txt", "203.0.113.0/24\n203.0.113.7/24\n")
    r = crosscheck(env, "--allocations", bad)
    t.eq(r.returncode, 2, "a malformed allocation: exit 2")
    t.contains(r.stderr, "%s:2: 203.0.113.7/24 has host bits set" % bad,
               "its file, line and reason")
    r = crosscheck(env, "--fdb", env.path("no-such-file"))
    t.eq(r.returncode, 2, "a missing file: exit 2")
    t.contains(r.stderr, "no-such-file: No such file or directory",
               "it says so")

    other = run([SIGHTLINE, "keygen", "--name", "someone.else/log",
                 "--out", env.dir]).stdout.strip()
    r = crosscheck(env, *inp.args(), key=other)
    t.eq(r.returncode, 2, "another deployment's key: exit 2",
         r.stdout + r.stderr)
    t.contains(r.stderr, "GET /v1/vps: the answer (status 200) is not "
               "signed by someone.else/log+", "it says the answer is not "
               "signed by that key")
    t.contains(r.stdout, "FAILED: bad-signature", "and fails")
    r = crosscheck(env, *inp.args(), target="http://127.0.0.1:%d" %
                   free_port())
    t.eq(r.returncode, 2, "no server: exit 2")
    t.contains(r.stderr, "GET /v1/vps: no answer from", "it says so")
    r = crosscheck(env, "--overcommit", "cpu=zero")
    t.eq(r.returncode, 2, "a bad --overcommit: exit 2")
    t.contains(r.stderr, "--overcommit: cpu=zero: the ratio is not a "
               "number", "it says why")


def test_offline(env, records):
    net = Net(records)
    inp = Inputs(env, "offline", net, records)
    saved = inp.write("vps.json", env.get("/v1/vps").text())
    r = run([SIGHTLINE, "crosscheck", "--records", saved] + inp.args(),
            timeout=60)
    t.eq(r.returncode, 0, "--records: a saved /v1/vps answer, clean",
         r.stdout + r.stderr)
    t.contains(r.stdout, "records not verified (read from %s): %d records"
               % (saved, len(records)), "--records says nothing verified")
    arr = inp.write("records.json", json.dumps(records))
    net.vms.append({"name": "x", "mac": "52:54:00:00:03:00",
                    "ips": ["192.0.2.99/24"], "port": "pb-spare"})
    neigh = inp.write("neigh2.json", tables(net)[0])
    r = run([SIGHTLINE, "crosscheck", "--records", arr, "--allocations",
             inp.alloc, "--neigh", neigh, "--json"], timeout=60)
    doc = json.loads(r.stdout)
    t.eq((r.returncode, kinds(doc), doc["source"]),
         (1, ["unclaimed-ip"], {"file": arr, "verified": False}),
         "--records: a bare array; a finding; the source not verified")
    r = run([SIGHTLINE, "crosscheck", "--records", arr, url(env)])
    t.eq(r.returncode, 2, "--records and a URL: usage, exit 2")


def test_audit(env, records):
    net = Net(records)
    inp = Inputs(env, "audit", net, records)
    st = env.path("audit-state")

    def audit(*extra):
        return run([SIGHTLINE, "audit", url(env), "--key", env.vkey,
                    "--state", st, "--token-file", token_file(env)] +
                   list(extra), timeout=120)
    r = audit("--crosscheck", *inp.args())
    t.eq(r.returncode, 0, "audit --crosscheck, clean: exit 0",
         r.stdout + r.stderr)
    t.contains(r.stdout, "ok      network cross-check of snapshot ",
               "the audit says it cross-checked the audited snapshot")
    t.contains(r.stdout, "records: ran unclaimed-ip, mac-mismatch, "
               "outside-allocation, duplicate-ip, duplicate-mac, "
               "wrong-port, over-capacity", "with every check")

    net.vms.append({"name": "hidden", "mac": "52:54:00:00:02:00",
                    "ips": ["203.0.113.200/24"], "port": "pa-spare"})
    inp = Inputs(env, "audit-finding", net, records)
    r = audit("--crosscheck", *inp.args())
    t.eq(r.returncode, 1, "audit --crosscheck with a hidden VM: exit 1",
         r.stdout + r.stderr)
    t.contains(r.stdout, "finding crosscheck unclaimed-ip: 203.0.113.200 "
               "is live (MAC 52:54:00:00:02:00", "the finding among the "
               "audit's")
    t.contains(r.stdout, "verified with 1 finding", "the audit verified, "
               "with one finding")
    r = audit("--json", "--crosscheck", *inp.args())
    doc = json.loads(r.stdout)
    t.eq((doc["exit"], [f["finding"] for f in doc["findings"]],
          kinds(doc["crosscheck"])),
         (1, ["crosscheck"], ["unclaimed-ip"]),
         "audit --json: the cross-check's report under \"crosscheck\"")
    r = audit("--neigh", inp.neigh)
    t.eq(r.returncode, 2, "an input without --crosscheck: exit 2")
    t.contains(r.stderr, "without --crosscheck", "it says so")


def man_blocks():
    """The literal blocks of sightline(1)'s EXAMPLES, \\e made "\\"."""
    man = open(os.path.join(os.path.dirname(FIXTURES), "..", "..", "proxy",
                            "sightline.1")).read()
    ex = man[man.index(".Sh EXAMPLES"):man.index(".Sh SEE ALSO")]
    blocks, cur = [], None
    for line in ex.splitlines():
        if line.startswith(".Bd -literal"):
            cur = []
        elif line == ".Ed" and cur is not None:
            blocks.append([x.replace("\\e", "\\") for x in cur])
            cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def commands(block):
    """The block as [(command words, output lines)], "\\" lines joined."""
    out, cmd = [], None
    for line in block:
        if cmd is not None and cmd.endswith("\\"):
            cmd = cmd[:-1] + line.strip()
            out[-1] = (cmd, [])
        elif line.startswith("$ "):
            cmd = line[2:]
            out.append((cmd, []))
        else:
            out[-1][1].append(line)
    return [(c.split(), o) for c, o in out]


def test_man_example(env):
    """sightline(1)'s crosscheck example, with its own files, against the
    daemon serving the fixtures' records: the output it shows."""
    block = next(b for b in man_blocks()
                 if any(x.startswith("$ sightline crosscheck") for x in b))
    d = env.path("man-example")
    os.makedirs(d, exist_ok=True)
    swap = {"https://sightline.reseller.example:8443": url(env),
            "reseller.example_sightline.vkey": env.vkey,
            "/etc/sightline-audit/token": token_file(env),
            "/var/lib/sightline-audit": env.path("man-audit")}
    for words, output in commands(block):
        if words[0] == "cat":
            with open(os.path.join(d, words[1]), "w") as f:
                f.write("\n".join(output) + "\n")
            continue
        r = run([SIGHTLINE] + [swap.get(w, w) for w in words[1:]], cwd=d,
                timeout=60)
        t.eq(r.returncode, 1, "sightline(1): $ sightline crosscheck ...: "
             "exit 1", r.stdout + r.stderr)
        break
    # Its output, as shown (the daemon's URL and snapshot differ, and
    # "..." ends a line cut short).
    got = r.stdout.splitlines()
    t.eq(len(got), len(output), "sightline(1): the example's output has "
         "as many lines", r.stdout)
    for want, line in zip(output, got):
        want = want[:-3].rstrip() if want.endswith("...") else want
        if want.startswith("records "):
            want = want[:want.index("snapshot=")]
        t.ok(line.startswith(want), "sightline(1) shows: %s" % want[:60],
             "got: %r" % line)
    audit = next(b for b in man_blocks() if "--crosscheck" in " ".join(b))
    words = commands(audit)[0][0]
    r = run([SIGHTLINE] + [swap.get(w, w) for w in words[1:]], cwd=d,
            timeout=120)
    t.eq(r.returncode, 1, "sightline(1): $ sightline audit ... "
         "--crosscheck ...: exit 1", r.stdout + r.stderr)
    t.contains(r.stdout, "finding crosscheck unclaimed-ip: 203.0.113.77 is "
               "live", "sightline(1)'s audit --crosscheck finds it too")


with Env("crosscheck") as env:
    env.start(panel=PANEL)
    recs = records_of(env)
    if NS_REASON is not None:
        t.diag("no network namespaces: " + NS_REASON)
    t.run(test_clean, env, recs)
    t.run(test_scenarios, env, recs)
    t.run(test_failures, env, recs)
    t.run(test_offline, env, recs)
    t.run(test_audit, env, recs)
    t.run(test_man_example, env)
    t.run(test_duplicate, env, recs)
t.done()
