#!/usr/bin/python3
"""solusvm1_emu.py - a SolusVM 1 master's admin API, for sightline's tests.

One URL, /api/admin/command.php, any method (GET query or POST form, as
PHP's $_REQUEST: POST fields win); the action field says what happens.
Built on emu_base.py (HTTP server, request log, faults, /_emu controls).

QUIRKS (tests/fixtures/solusvm1, ../reference/panels.md section 2)
  * XML by default, without a root element and without a declaration;
    JSON only with rdtype=json (--xml-only: a master before 1.14, which
    ignores rdtype). XML goes out as text/html, PHP's default content type
    (--xml-type changes it).
  * JSON written by PHP: compact, "/" escaped as "\\/", ids and sizes as
    strings, node-statistics mixing numbers and numeric strings.
  * Errors with status 200: {"status":"error","statusmsg":"..."}. A wrong
    id or key answers "Invalid id or key"; a caller not on the API
    allow-list (--allow-ip) "Invalid ipaddress".
  * Lists in scalars: nodes and ipaddresses comma-separated; usage tuples
    "total,used,free,percent" in bytes; sizes in bytes.
  * OpenVZ containers: <mac></mac> (empty).
  * ctid-xid: a hyphenated key.
  * vserver-infoall with nographs=true leaves the graph fields empty.

DATA
  The fixture customers (Alice 201, Bob 202, Carol 203) on node 2 (hv02),
  node 1 (hv01) empty, both KVM nodes. --generate N adds N KVM VPSes
  (ids 1001..) spread over --nodes M more nodes, deterministic: unique
  IPv4 in 198.18.0.0/15, IPv6 in 2001:db8:1::/48 and MACs 00:16:3e:..
  Canaries: vserver-vnc and vserver-console answer CANARY-VNCPASSWORD-<id>
  and CANARY-CONSOLEPASSWORD-<id>; graph paths hold CANARY-GRAPH-<id>;
  generated hostnames are CANARY-HOSTNAME-<id>.example.net; the API key
  itself (--api-key) is a canary.

REQUEST LOG (emu_base): "write" marks write actions (vserver-reboot, ...,
  vserver-info with reboot=true), "secret" the secret-returning ones
  (vserver-vnc, vserver-console, client-list, *-authenticate).

  /usr/bin/python3 tests/emu/solusvm1_emu.py --listen 127.0.0.1:5656 \\
      [--tls-cert PEM --tls-key PEM] [--generate N --nodes M] [--log FILE]
"""
import json
import os
import sys
import time
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import emu_base  # noqa: E402
from emu_base import Resp, jbytes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = "/api/admin/command.php"
TYPES = ("openvz", "xen", "xen hvm", "kvm")
READS = {"listnodes", "node-idlist", "node-statistics", "node-virtualservers",
         "vserver-info", "vserver-infoall", "vserver-status", "vserver-checkexists",
         "client-list", "vserver-vnc", "vserver-console", "node-iplist",
         "listplans", "listtemplates", "listiso", "listnodegroups"}
SECRET = {"vserver-vnc", "vserver-console", "client-list", "client-authenticate",
          "vserver-authenticate"}
WRITES = {"vserver-create", "vserver-boot", "vserver-reboot", "vserver-shutdown",
          "vserver-suspend", "vserver-unsuspend", "vserver-terminate", "vserver-rebuild",
          "vserver-addip", "vserver-delip", "vserver-change", "vserver-changeowner",
          "vserver-change-memory", "vserver-change-hdd", "vserver-bandwidth",
          "vserver-hostname", "vserver-rootpassword", "vserver-vncpass",
          "vserver-bootorder", "vserver-mountiso", "vserver-unmountiso",
          "vserver-tun-enable", "vserver-tun-disable", "vserver-network-enable",
          "vserver-network-disable", "vserver-pae", "client-create",
          "client-updatepassword", "client-delete", "reseller-create",
          "reseller-modifyresources", "reseller-delete"}
VSERVER_KEYS = ("vserverid", "ctid-xid", "clientid", "ipaddress", "hostname",
                "template", "hdd", "memory", "swap-burst", "type", "mac")
GIB = 1024 ** 3

# vserver-infoall for the fixture VPSes the shared files do not cover.
EXTRA_INFOALL = {
    "201": {"state": "online", "ipaddresses": "203.0.113.31",
            "mainipaddress": "203.0.113.31", "type": "kvm", "node": "hv02.example.net",
            "hdd": "42949672960,10737418240,32212254720,25",
            "bandwidth": "1099511627776,109951162778,989560464998,10",
            "memory": "2147483648,1073741824,1073741824,50", "internalips": ""},
    "203": {"state": "offline", "ipaddresses": "203.0.113.32,2001:db8:300::32",
            "mainipaddress": "203.0.113.32", "type": "openvz",
            "node": "hv02.example.net",
            "hdd": "21474836480,2147483648,19327352832,10",
            "bandwidth": "536870912000,0,536870912000,0",
            "memory": "1073741824,0,1073741824,0", "internalips": "10.8.0.32"},
}
HV01_STATS = {"id": "1", "virt": "kvm", "name": "hv01", "ip": "192.0.2.20",
              "memorylimit": 137438953472, "disklimit": 1999307276288,
              "hostname": "hv01.example.net", "country": "NL", "city": "Amsterdam",
              "sshport": "22", "arch": "x86_64", "freememory": "137438953472",
              "allocatedmemory": 0, "allocatedbandwidth": 0,
              "freedisk": "1999307276288", "virtualservers": 0, "freeips": 120}


def fixture(opts, name):
    with open(os.path.join(opts.fixtures, name), encoding="utf-8") as f:
        return json.load(f)


def xml_text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return escape(str(v))


def to_xml(doc):
    """A flat dict as SolusVM writes it: sibling elements, no root, no
    declaration; lists of VPSes nested as <virtualservers><virtualserver>."""
    out = []
    for k, v in doc.items():
        if isinstance(v, list):
            item = k[:-1] if k.endswith("s") else k
            out.append("<%s>" % k)
            for e in v:
                out.append(" <%s>" % item)
                out += ["  <%s>%s</%s>" % (ik, xml_text(iv), ik) for ik, iv in e.items()]
                out.append(" </%s>" % item)
            out.append("</%s>" % k)
        else:
            out.append("<%s>%s</%s>" % (k, xml_text(v), k))
    return ("\n".join(out) + "\n").encode("utf-8")


class Node:
    __slots__ = ("id", "name", "stats", "vps")

    def __init__(self, nid, name, stats):
        self.id, self.name, self.stats, self.vps = str(nid), name, stats, []


class App:
    server_name = "Apache"

    def __init__(self, opts):
        self.opts = opts
        self.nodes = {}          # id -> Node
        self.vps = {}            # vserverid -> (entry dict, infoall dict, node)
        self.cache = {}
        if not opts.no_fixtures:
            self.load_fixtures()
        if opts.generate:
            self.generate(opts.generate, opts.nodes)

    def load_fixtures(self):
        o = self.opts
        st2 = fixture(o, "node-statistics.json")
        st2 = {k: v for k, v in st2.items() if k not in ("status", "statusmsg")}
        n1, n2 = Node(1, "hv01", dict(HV01_STATS)), Node(2, "hv02", st2)
        self.nodes = {"1": n1, "2": n2}
        info202 = fixture(o, "vserver-infoall.json")
        info202 = {k: v for k, v in info202.items()
                   if k not in ("status", "statusmsg") and not k.endswith("graph")}
        for e in fixture(o, "node-virtualservers.json")["virtualservers"]:
            vid = e["vserverid"]
            info = info202 if vid == "202" else EXTRA_INFOALL[vid]
            self.add_vps(n2, e, info)

    def add_vps(self, node, entry, info):
        node.vps.append(entry)
        self.vps[entry["vserverid"]] = (entry, info, node)

    def generate(self, count, nnodes):
        first = len(self.nodes) + 1
        gen = []
        for k in range(nnodes):
            nid = first + k
            name = "hv%02d" % nid
            n = Node(nid, name, {
                "id": str(nid), "virt": "kvm", "name": name, "ip": "192.0.2.%d" % (20 + nid % 200),
                "memorylimit": 549755813888, "disklimit": 7997229104128,
                "hostname": name + ".example.net", "country": "NL", "city": "Amsterdam",
                "sshport": "22", "arch": "x86_64", "freememory": "274877906944",
                "allocatedmemory": 274877906944, "allocatedbandwidth": 0,
                "freedisk": "3998614552576", "virtualservers": 0, "freeips": 10})
            self.nodes[n.id] = n
            gen.append(n)
        for i in range(count):
            vid = str(1001 + i)
            node = gen[i % nnodes]
            a, b = divmod(i, 250)
            ip4 = "198.%d.%d.%d" % (18 + a // 256, a % 256, b + 1)
            ip6 = "2001:db8:1:%x::1" % i
            mac = "00:16:3e:%02x:%02x:%02x" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            mem = (1 + i % 8) * GIB
            hdd = (20 + 10 * (i % 10)) * GIB
            entry = {"vserverid": vid, "ctid-xid": "vm" + vid, "clientid": str(100 + i % 50),
                     "ipaddress": ip4, "hostname": "CANARY-HOSTNAME-%s.example.net" % vid,
                     "template": "debian-12-x86_64", "hdd": str(hdd), "memory": str(mem),
                     "swap-burst": "0", "type": "kvm", "mac": mac}
            info = {"state": ("online", "online", "offline", "disabled")[i % 4],
                    "ipaddresses": "%s,%s" % (ip4, ip6), "mainipaddress": ip4,
                    "type": "kvm", "node": node.name + ".example.net",
                    "hdd": "%d,%d,%d,10" % (hdd, hdd // 10, hdd - hdd // 10),
                    "bandwidth": "%d,0,%d,0" % (1024 * GIB, 1024 * GIB),
                    "memory": "%d,%d,%d,50" % (mem, mem // 2, mem // 2),
                    "internalips": ""}
            self.add_vps(node, entry, info)
        for n in gen:
            n.stats["virtualservers"] = len(n.vps)

    def describe(self):
        return "SolusVM 1 emulator: %d VPSes on %d nodes" % (len(self.vps), len(self.nodes))

    # ---- requests ----

    def fields(self, req):
        f = dict(req.params)
        ctype = req.headers.get("content-type", "")
        if req.method == "POST" and req.body and "urlencoded" in ctype:
            f.update(parse_qsl(req.body.decode("latin-1"), keep_blank_values=True))
        return f

    def classify(self, req):
        if req.path != SCRIPT:
            return False, False
        f = self.fields(req)
        a = f.get("action", "")
        write = a in WRITES or (a == "vserver-info" and f.get("reboot") == "true") or \
            (a == "vserver-console" and f.get("access") == "enable") or \
            (a not in READS and a not in SECRET)
        return write, a in SECRET

    def answer(self, doc, f, cache_key=None):
        json_out = f.get("rdtype") == "json" and not self.opts.xml_only
        key = (cache_key, json_out) if cache_key is not None else None
        if key is not None and key in self.cache:
            return self.cache[key]
        full = {"status": doc.pop("status", "success"), "statusmsg": doc.pop("statusmsg", "")}
        full.update(doc)
        if json_out:
            r = Resp(200, jbytes(full, slash=True), "text/html; charset=UTF-8")
        else:
            r = Resp(200, to_xml(full), self.opts.xml_type)
        if key is not None:
            self.cache[key] = r
        return r

    def error(self, msg, f):
        return self.answer({"status": "error", "statusmsg": msg}, f)

    def handle(self, req):
        if req.path != SCRIPT:
            return Resp(404, b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n"
                        b"<html><head><title>404 Not Found</title></head><body>"
                        b"<h1>Not Found</h1></body></html>\n", "text/html; charset=iso-8859-1")
        f = self.fields(req)
        # Every test client is on 127.0.0.1: --allow-ip without it refuses them.
        if self.opts.allow_ip and "127.0.0.1" not in self.opts.allow_ip.split(","):
            return self.error("Invalid ipaddress", f)
        if f.get("id") != self.opts.api_id or f.get("key") != self.opts.api_key:
            req.auth = "bad"
            return self.error("Invalid id or key", f)
        req.auth = "ok"
        a = f.get("action", "")
        fn = getattr(self, "act_" + a.replace("-", "_"), None)
        if fn is None:
            if a in WRITES:
                return self.answer({"statusmsg": "done"}, f)
            return self.error("Invalid action", f)
        return fn(f)

    def node_of(self, f):
        return self.nodes.get(f.get("nodeid", ""))

    def vps_of(self, f):
        return self.vps.get(f.get("vserverid", ""))

    def typed_nodes(self, f):
        t = f.get("type", "")
        return [n for n in self.nodes.values() if n.stats.get("virt") == t]

    def act_listnodes(self, f):
        return self.answer({"nodes": ",".join(n.name for n in self.typed_nodes(f))}, f)

    def act_node_idlist(self, f):
        return self.answer({"nodes": ",".join(n.id for n in self.typed_nodes(f))}, f)

    def act_node_statistics(self, f):
        n = self.node_of(f)
        if n is None:
            return self.error("Node not found", f)
        return self.answer(dict(n.stats), f, ("stats", n.id))

    def act_node_virtualservers(self, f):
        n = self.node_of(f)
        if n is None:
            return self.error("Node not found", f)
        return self.answer({"virtualservers": list(n.vps)}, f, ("vs", n.id))

    def act_vserver_info(self, f):
        v = self.vps_of(f)
        if v is None:
            return self.error("Virtual server not found", f)
        if f.get("reboot") == "true":
            return self.answer({"statusmsg": "rebooted"}, f)
        return self.answer(dict(v[0]), f)

    def act_vserver_infoall(self, f):
        v = self.vps_of(f)
        if v is None:
            return self.error("Virtual server not found", f)
        entry, info, _ = v
        doc = dict(info)
        vid = entry["vserverid"]
        graphs = f.get("nographs") != "true"
        for g in ("trafficgraph", "loadgraph", "memorygraph"):
            doc[g] = "/graphs/CANARY-GRAPH-%s/%s.png" % (vid, g[:-5]) if graphs else ""
        if f.get("nostatus") == "true":
            doc.pop("state")
        order = ("state", "ipaddresses", "mainipaddress", "type", "trafficgraph",
                 "loadgraph", "memorygraph", "node", "hdd", "bandwidth", "memory",
                 "internalips")
        return self.answer({k: doc[k] for k in order if k in doc}, f)

    def act_vserver_status(self, f):
        v = self.vps_of(f)
        if v is None:
            return self.error("Virtual server not found", f)
        return self.answer({"statusmsg": v[1].get("state", "online")}, f)

    def act_vserver_checkexists(self, f):
        if self.vps_of(f) is None:
            return self.error("Virtual server not found", f)
        return self.answer({"statusmsg": "Virtual server exists"}, f)

    def act_vserver_vnc(self, f):
        v = self.vps_of(f)
        if v is None:
            return self.error("Virtual server not found", f)
        vid = v[0]["vserverid"]
        return self.answer({"type": "vnc", "vncip": "192.0.2.21", "vncport": "5901",
                            "vncpassword": "CANARY-VNCPASSWORD-" + vid}, f)

    def act_vserver_console(self, f):
        v = self.vps_of(f)
        if v is None:
            return self.error("Virtual server not found", f)
        vid = v[0]["vserverid"]
        return self.answer({"type": "openvz", "consoleip": "192.0.2.21",
                            "consoleport": "22", "consoleusername": "console-" + vid,
                            "consolepassword": "CANARY-CONSOLEPASSWORD-" + vid}, f)

    def act_client_list(self, f):
        d = fixture(self.opts, "client-list.json")
        return self.answer({"clients": d["clients"]}, f)


def main(argv=None):
    started = time.monotonic()
    ap = emu_base.common_args("solusvm1_emu.py", __doc__, 5656)
    ap.add_argument("--fixtures", default=os.path.join(HERE, "..", "fixtures", "solusvm1"),
                    help="the fixture directory (default: tests/fixtures/solusvm1)")
    ap.add_argument("--api-id", default="sightline", help="the API id the master accepts")
    ap.add_argument("--api-key", default="CANARY-APIKEY-0123456789abcdef",
                    help="the API key the master accepts")
    ap.add_argument("--allow-ip", default="",
                    help="comma-separated caller addresses the master accepts (default: any)")
    ap.add_argument("--xml-only", action="store_true",
                    help="ignore rdtype=json, as masters before 1.14 do")
    ap.add_argument("--xml-type", default="text/html; charset=UTF-8",
                    help="the Content-Type of XML answers (default: PHP's text/html)")
    opts = ap.parse_args(argv)
    emu_base.check_args(ap, opts)
    return emu_base.run("solusvm1_emu", App(opts), opts, started)


if __name__ == "__main__":
    sys.exit(main())
