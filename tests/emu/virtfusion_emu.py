#!/usr/bin/python3
"""virtfusion_emu.py - a VirtFusion REST API (/api/v1) emulator for sightline's
tests, built on emu_base.py and rest_emu.py. Fixtures: tests/fixtures/virtfusion/.

AUTH   Authorization: Bearer TOKEN (--token); anything else answers 401 with
       error_401.json's body.
READS  GET /api/v1/servers[?page=&results=1..200&type=simple|full]
           (Laravel's plain paginator, 20 per page by default; results out
           of range answers 422 like error_422.json)
       GET /api/v1/servers/{id}[?remoteState=]  {"data": server} or 404
           {"msg": "server not found"}
       GET /api/v1/servers/{id}/traffic, /servers/user/{id}
       GET /api/v1/compute/hypervisors[/{id}], /compute/hypervisors/groups[/{id}]
       GET /api/v1/connect               200
SECRET (must never be reached through sightline; logged with "secret": true)
       GET /api/v1/servers/{id}/vnc      VNC password and websocket token
WRITES anything but GET/HEAD (POST /servers/{id}/power/boot, /suspend,
       /resetPassword, POST /servers/{id}/vnc, DELETE ...) answers 200 and is
       logged with "write": true.

--generate N --nodes M adds N servers (id 1000 upwards) on hypervisors
hv1..hvM (ids 101 upwards): server 1000+i is on hv(i%M+1), suspended iff
i%7==6; it has the unique IPv4 address gen_ipv4(198.19.128.0, i)/24, IPv6
2001:db8:3000:<i hex>::1/64, MAC 52:54:00 + (0x700000+i), VLAN tag i%3 (0
= untagged). Canaries in every secret field: CANARY-ENCRYPTEDPASSWORD-<id>,
CANARY-SSHKEY-<id>, CANARY-CLOUDINIT-<id> (settings.config),
CANARY-CUSTOMXML-<id>, and CANARY-ENCRYPTEDTOKEN-<hypervisor id>.
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
FIXTURES = os.path.join(HERE, "..", "fixtures", "virtfusion")
TOKEN = "vf-test-token-0123456789abcdef"
URL = "https://cp.example.com/api/v1"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def gen_server(tpl, i, hv):
    sid = 1000 + i
    created = iso(1704067200 + i * 600)
    s = copy.deepcopy(tpl)
    s.update({"id": sid, "ownerId": 10000 + i // 3, "hypervisorId": hv["id"],
              "name": "vps-%d" % sid, "hostname": "vps%d.gen.example.net" % sid,
              "uuid": "8f6d1c2a-0b3e-4d5f-a6b7-%012x" % sid, "suspended": i % 7 == 6,
              "built": created, "created": created, "updated": created,
              "customXML": "<domain>CANARY-CUSTOMXML-%d</domain>" % sid})
    s["settings"] = dict(s["settings"], encryptedPassword="CANARY-ENCRYPTEDPASSWORD-%d" % sid,
                         config={"runcmd": ["echo CANARY-CLOUDINIT-%d" % sid]})
    ifc = s["network"]["interfaces"][0]
    ifc.update({"id": 100000 + i, "mac": gen_mac(0x700000, i), "tag": i % 3})
    ifc["ipv4"] = [dict(ifc["ipv4"][0], id=200000 + i, address=gen_ipv4(198 << 24 | 19 << 16 | 128 << 8, i),
                        gateway="198.19.128.1", netmask="255.255.255.0")]
    ifc["ipv6"] = [dict(ifc["ipv6"][0], id=300000 + i, addresses=["2001:db8:3000:%x::1" % i],
                        subnet="2001:db8:3000:%x::" % i)]
    s["storage"] = [dict(s["storage"][0], id=400000 + i, filename="%s_1" % s["uuid"],
                         created=created, updated=created)]
    s["hypervisor"] = dict(s["hypervisor"], id=hv["id"], ip=hv["ip"], hostname=hv["hostname"],
                           name=hv["name"])
    s["owner"] = dict(s["owner"], id=10000 + i // 3, email="user%d@example.com" % (i // 3),
                      name="User %d" % (i // 3))
    s["sshKeys"] = [dict(s["sshKeys"][0], id=sid, ownerId=10000 + i // 3,
                         public="ssh-ed25519 CANARY-SSHKEY-%d" % sid)]
    summary = {"id": sid, "uuid": s["uuid"], "name": s["name"], "commissioned": 3,
               "owner": s["ownerId"], "hypervisorId": hv["id"], "suspended": s["suspended"],
               "protected": False, "updated": created, "created": created}
    return summary, s


class VirtFusion(RestApp):
    def __init__(self, opts):
        fx = opts.fixtures
        super().__init__(opts, opts.token, load_fixture(fx, "error_401.json"))
        self.err404 = load_fixture(fx, "error_404.json")
        self.err422 = load_fixture(fx, "error_422.json")
        summaries, hvs, details = [], [], {}
        if not opts.no_fixtures:
            summaries = load_fixture(fx, "servers_list.json")["data"]
            hvs = load_fixture(fx, "hypervisors_list.json")["data"]
            for sid, name in ((301, "server_detail_301.json"), (302, "server_detail.json"),
                              (303, "server_detail_303.json")):
                details[sid] = load_fixture(fx, name)["data"]
        if opts.generate:
            tpl = load_fixture(fx, "server_detail.json")["data"]
            htpl = load_fixture(fx, "hypervisors_list.json")["data"][0]
            gen = []
            for k in range(opts.nodes):
                hid = 101 + k
                gen.append(dict(htpl, id=hid, name="hv%d" % (k + 1),
                                hostname="hv%d.gen.example.net" % (k + 1),
                                ip=gen_ipv4(192 << 24 | 2 << 8, 100 + k),
                                encryptedToken="CANARY-ENCRYPTEDTOKEN-%d" % hid))
            for i in range(opts.generate):
                summary, s = gen_server(tpl, i, gen[i % len(gen)])
                summaries.append(summary)
                details[s["id"]] = s
            hvs += gen
        self.servers = Paged(summaries, URL + "/servers", "plain", 20, 200, "results")
        self.hvs = Paged(hvs, URL + "/compute/hypervisors", "plain", 20, 200, "results")
        groups = {h["group"]["id"]: h["group"] for h in hvs}
        self.groups = Paged([groups[k] for k in sorted(groups)], URL + "/compute/hypervisors/groups",
                            "plain", 20, 200, "results")
        self.detail_raw = {k: b'{"data":' + jbytes(v, slash=True) + b"}" for k, v in details.items()}
        self.hv_by_id = {h["id"]: i for i, h in enumerate(hvs)}
        self.secret_rx = re.compile(r"^/api/v1/servers/\d+/vnc")
        r = self.route
        r("GET", r"/servers", lambda q, m: self.paged(self.servers, q))
        r("GET", r"/servers/(\d+)", self.server)
        r("GET", r"/servers/(\d+)/traffic", self.traffic)
        r("GET", r"/servers/user/(\d+)", self.by_user)
        r("GET", r"/compute/hypervisors", lambda q, m: self.paged(self.hvs, q))
        r("GET", r"/compute/hypervisors/(\d+)", self.hypervisor)
        r("GET", r"/compute/hypervisors/groups", lambda q, m: self.paged(self.groups, q))
        r("GET", r"/compute/hypervisors/groups/(\d+)", self.group)
        r("GET", r"/connect", lambda q, m: json_resp({"data": {"connected": True}}))
        r("GET", r"/servers/(\d+)/vnc", lambda q, m: json_resp(
            {"data": {"vnc": {"ip": "192.0.2.42", "port": 5902,
                              "password": "CANARY-VNC_PASSWORD-%s" % m[1],
                              "token": "CANARY-VNC_TOKEN-%s" % m[1]}}}, slash=True))

    def describe(self):
        return "VirtFusion emulator, %d servers on %d hypervisors" % (
            len(self.servers.raw), len(self.hvs.raw))

    def paged(self, p, req, subset=None):
        resp = p.page(req, subset)
        return resp if resp is not None else json_resp(self.err422, 422, slash=True)

    def not_found(self):
        return json_resp(self.err404, 404, slash=True)

    def server(self, req, m):
        raw = self.detail_raw.get(int(m[1]))
        return Resp(200, raw) if raw is not None else self.not_found()

    def traffic(self, req, m):
        if int(m[1]) not in self.detail_raw:
            return self.not_found()
        return json_resp({"data": {"monthly": [{"start": "2024-06-01T00:00:00+00:00",
                                                 "end": "2024-07-01T00:00:00+00:00",
                                                 "rx": 1846211, "tx": 9921455, "total": 11767666,
                                                 "limit": 2000}]}}, slash=True)

    def by_user(self, req, m):
        subset = [i for i, s in enumerate(self.servers.items) if s["owner"] == int(m[1])]
        return self.paged(self.servers, req, subset)

    def hypervisor(self, req, m):
        i = self.hv_by_id.get(int(m[1]))
        if i is None:
            return json_resp({"msg": "hypervisor not found"}, 404, slash=True)
        return Resp(200, b'{"data":' + self.hvs.raw[i] + b"}")

    def group(self, req, m):
        for g, raw in zip(self.groups.items, self.groups.raw):
            if g["id"] == int(m[1]):
                return Resp(200, b'{"data":' + raw + b"}")
        return json_resp({"msg": "group not found"}, 404, slash=True)


def main(argv=None):
    started = time.monotonic()
    ap = emu_base.common_args("virtfusion_emu.py", __doc__, 8443)
    ap.add_argument("--fixtures", default=FIXTURES, metavar="DIR")
    ap.add_argument("--token", default=TOKEN, help="the API token (default %(default)s)")
    opts = ap.parse_args(argv)
    emu_base.check_args(ap, opts)
    return emu_base.run("virtfusion_emu", VirtFusion(opts), opts, started)


if __name__ == "__main__":
    sys.exit(main())
