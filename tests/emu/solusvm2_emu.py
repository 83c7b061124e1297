#!/usr/bin/python3
"""solusvm2_emu.py - a SolusVM 2 REST API (/api/v1) emulator for sightline's
tests, built on emu_base.py and rest_emu.py. Fixtures: tests/fixtures/solusvm2/.

AUTH   Authorization: Bearer TOKEN (--token); anything else answers 401 with
       error_401.json's body.
READS  GET /api/v1/servers[?page=&per_page=&filter[status]=&filter[user_id]=
           &filter[compute_resource_id]=&filter[virtualization_type]=]
           (Laravel API-resource pages {data, links, meta}, 15 per page by
           default; a bad filter[status] answers 422 like error_422.json)
       GET /api/v1/servers/{id}          {"data": server} or 404 (error_404.json)
       GET /api/v1/servers/{id}/disks
       GET /api/v1/compute_resources[/{id}], /ip_blocks[/{id}], /locations
       GET /api/v1/auth                  204
SECRET (must never be reached through sightline; logged with "secret": true)
       GET /api/v1/servers/{id}/vnc_up   VNC URL and password
       GET /api/v1/api_tokens            API tokens
       GET /api/v1/users[/{id}]          customer accounts
WRITES anything but GET/HEAD (POST /servers/{id}/start, DELETE /servers/{id},
       ...) answers 200 and is logged with "write": true.

--generate N --nodes M adds N servers (id 1000 upwards) on hv1..hvM
(compute resources 101 upwards): server 1000+i is on hv(i%M+1), stopped iff
i%5==4, suspended iff i%7==6; it has the unique IPv4 address
gen_ipv4(198.19.0.0, i)/24, the IPv6 range 2001:db8:2000:<i hex>::/64 and
the MAC 52:54:00 + (0x200000+i). Canaries in every secret field:
CANARY-VNC_PASSWORD-<id>, CANARY-SSH_KEY-<id>, CANARY-BILLING_TOKEN-<id>,
CANARY-STORAGE_CREDENTIALS-<id>.
"""
import copy
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import emu_base  # noqa: E402
from emu_base import Resp, jbytes, json_resp  # noqa: E402
from rest_emu import Paged, RestApp, gen_ipv4, gen_mac, load_fixture  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "solusvm2")
TOKEN = "svm2-test-token-0123456789abcdef"
URL = "https://cp.example.com/api/v1"
STATUSES = ("started", "stopped", "starting", "stopping", "restarting", "reinstalling",
            "processing", "paused", "unavailable", "not exists")


def gen_server(tpl, disk_tpl, i, nodes):
    sid = 1000 + i
    node = nodes[i % len(nodes)]
    s = copy.deepcopy(tpl)
    ip4 = gen_ipv4(198 << 24 | 19 << 16, i)
    blk = {"id": 17, "name": "GEN-v4", "type": "IPv4", "gateway": "198.19.0.1",
           "netmask": "255.255.255.0"}
    s.update({
        "id": sid, "name": "vps%d.gen.example.net" % sid, "description": "customer %d" % (i // 3),
        "uuid": "5d0f3c1e-8a4b-4f6e-9c2d-%012x" % sid,
        "status": "stopped" if i % 5 == 4 else "started",
        "real_status": "stopped" if i % 5 == 4 else "started", "is_suspended": i % 7 == 6,
        "ips": [{"id": 100000 + i, "ip": ip4, "ip_block": blk}],
        "ip_addresses": {
            "ipv4": [{"id": 100000 + i, "ip": ip4, "is_primary": True, "gateway": "198.19.0.1",
                      "netmask": "255.255.255.0", "comment": "", "ip_block": {"id": 17, "name": "GEN-v4"}}],
            "ipv6": [{"id": 200000 + i, "range": "2001:db8:2000:%x::/64" % i,
                      "primary_ip": "2001:db8:2000:%x::1" % i, "is_primary": True,
                      "gateway": "fe80::1", "ip_block": {"id": 18, "name": "GEN-v6"}}]},
        "fqdns": ["vps%d.gen.example.net" % sid],
        "user": dict(tpl["user"], id=10000 + i // 3, email="user%d@example.com" % (i // 3),
                     billing_token="CANARY-BILLING_TOKEN-%d" % sid),
        "ssh_keys": [{"id": sid, "name": "key", "body": "ssh-ed25519 CANARY-SSH_KEY-%d" % sid}],
        "compute_resource": {"id": node["id"], "name": node["name"], "host": node["host"]},
        "settings": dict(tpl["settings"], mac_address=gen_mac(0x200000, i),
                         vnc_password="CANARY-VNC_PASSWORD-%d" % sid),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(1704067200 + i * 600)),
    })
    d = copy.deepcopy(disk_tpl)
    d["data"][0].update({"id": 50000 + i, "path": "vg-solus/vm-%d-disk-0" % sid,
                         "full_path": "/dev/vg-solus/vm-%d-disk-0" % sid,
                         "size": s["specifications"]["disk"]})
    d["data"][0]["storage"] = dict(d["data"][0]["storage"], name="%s-thinlvm" % node["name"],
                                   credentials={"password": "CANARY-STORAGE_CREDENTIALS-%d" % sid})
    return s, d


class SolusVM2(RestApp):
    def __init__(self, opts):
        fx = opts.fixtures
        super().__init__(opts, opts.token, load_fixture(fx, "error_401.json"))
        self.err404 = load_fixture(fx, "error_404.json")
        self.err422 = load_fixture(fx, "error_422.json")
        servers, nodes = [], []
        self.disks = {}
        if not opts.no_fixtures:
            servers = load_fixture(fx, "servers_list.json")["data"]
            nodes = load_fixture(fx, "compute_resources_list.json")["data"]
            self.disks = {501: load_fixture(fx, "server_disks_501.json"),
                          502: load_fixture(fx, "server_disks.json"),
                          503: load_fixture(fx, "server_disks_503.json")}
        if opts.generate:
            tpl = load_fixture(fx, "servers_list.json")["data"][0]
            disk_tpl = load_fixture(fx, "server_disks.json")
            ctpl = load_fixture(fx, "compute_resources_list.json")["data"][0]
            gen_nodes = [dict(ctpl, id=101 + k, name="hv%d" % (k + 1),
                              host=gen_ipv4(192 << 24 | 0 << 16 | 2 << 8, 100 + k))
                         for k in range(opts.nodes)]
            for i in range(opts.generate):
                s, d = gen_server(tpl, disk_tpl, i, gen_nodes)
                servers.append(s)
                self.disks[s["id"]] = d
            for n in gen_nodes:
                n["vms_count"] = sum(1 for s in servers if s["compute_resource"]["id"] == n["id"])
            nodes += gen_nodes
        self.servers = Paged(servers, URL + "/servers", "resource", 15)
        self.nodes = Paged(nodes, URL + "/compute_resources", "resource", 15)
        self.by_id = {s["id"]: i for i, s in enumerate(servers)}
        self.node_by_id = {n["id"]: i for i, n in enumerate(nodes)}
        self.disk_raw = {k: jbytes(v, slash=True) for k, v in self.disks.items()}
        blocks = {}
        for s in servers:
            for ip in s["ips"]:
                blocks[ip["ip_block"]["id"]] = ip["ip_block"]
        self.blocks = Paged([blocks[k] for k in sorted(blocks)], URL + "/ip_blocks", "resource", 15)
        self.locations = Paged([servers[0]["location"]] if servers else [], URL + "/locations",
                               "resource", 15)
        self.secret_rx = re.compile(r"^/api/v1/(servers/\d+/vnc|api_tokens|users)")
        r = self.route
        r("GET", r"/servers", self.list_servers)
        r("GET", r"/servers/(\d+)", self.server)
        r("GET", r"/servers/(\d+)/disks", self.server_disks)
        r("GET", r"/compute_resources", lambda q, m: self.paged(self.nodes, q))
        r("GET", r"/compute_resources/(\d+)", self.node)
        r("GET", r"/ip_blocks", lambda q, m: self.paged(self.blocks, q))
        r("GET", r"/ip_blocks/(\d+)", self.block)
        r("GET", r"/locations", lambda q, m: self.paged(self.locations, q))
        r("GET", r"/auth", lambda q, m: Resp(204, b"", None))
        r("GET", r"/servers/(\d+)/vnc_up", lambda q, m: json_resp(
            {"data": {"url": "wss://cp.example.com/vnc/%s" % m[1],
                      "password": "CANARY-VNC_PASSWORD-%s" % m[1]}}, slash=True))
        r("GET", r"/api_tokens", lambda q, m: json_resp(
            {"data": [{"id": 1, "name": "sightline", "token": "CANARY-API_TOKEN-1"}]}, slash=True))
        r("GET", r"/users(?:/\d+)?", lambda q, m: json_resp(
            {"data": [{"id": 12, "email": "alice@example.com",
                       "billing_token": "CANARY-BILLING_TOKEN-USERS"}]}, slash=True))

    def describe(self):
        return "SolusVM 2 emulator, %d servers on %d compute resources" % (
            len(self.servers.raw), len(self.nodes.raw))

    def paged(self, p, req, subset=None):
        resp = p.page(req, subset)
        if resp is None:
            return json_resp({"message": "The given data was invalid.",
                              "errors": {"page": ["The page must be an integer."]}}, 422, slash=True)
        return resp

    def not_found(self, model, ident):
        body = dict(self.err404)
        body["message"] = "No query results for model [App\\Models\\%s] %s" % (model, ident)
        return json_resp(body, 404, slash=True)

    def list_servers(self, req, m):
        items, subset = self.servers.items, None
        filters = {k[7:-1]: v for k, v in req.params if k.startswith("filter[") and k.endswith("]")}
        if "status" in filters and filters["status"] not in STATUSES:
            return json_resp(self.err422, 422, slash=True)
        if filters:
            def keep(s):
                return ((filters.get("status") in (None, s["status"])) and
                        (filters.get("user_id") in (None, str(s["user"]["id"]))) and
                        (filters.get("compute_resource_id") in
                         (None, str(s["compute_resource"]["id"]))) and
                        (filters.get("virtualization_type") in (None, s["virtualization_type"])))
            subset = [i for i, s in enumerate(items) if keep(s)]
        return self.paged(self.servers, req, subset)

    def server(self, req, m):
        i = self.by_id.get(int(m[1]))
        if i is None:
            return self.not_found("Server", m[1])
        return Resp(200, b'{"data":' + self.servers.raw[i] + b"}")

    def server_disks(self, req, m):
        raw = self.disk_raw.get(int(m[1]))
        return Resp(200, raw) if raw is not None else self.not_found("Server", m[1])

    def node(self, req, m):
        i = self.node_by_id.get(int(m[1]))
        if i is None:
            return self.not_found("ComputeResource", m[1])
        return Resp(200, b'{"data":' + self.nodes.raw[i] + b"}")

    def block(self, req, m):
        for b, raw in zip(self.blocks.items, self.blocks.raw):
            if b["id"] == int(m[1]):
                return Resp(200, b'{"data":' + raw + b"}")
        return self.not_found("IpBlock", m[1])


def main(argv=None):
    started = time.monotonic()
    ap = emu_base.common_args("solusvm2_emu.py", __doc__, 8443)
    ap.add_argument("--fixtures", default=FIXTURES, metavar="DIR")
    ap.add_argument("--token", default=TOKEN, help="the API token (default %(default)s)")
    opts = ap.parse_args(argv)
    emu_base.check_args(ap, opts)
    return emu_base.run("solusvm2_emu", SolusVM2(opts), opts, started)


if __name__ == "__main__":
    sys.exit(main())
