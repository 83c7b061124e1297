#!/usr/bin/python3
"""virtualizor_emu.py - an emulator of the Virtualizor admin API
(https://MASTER:4085/index.php), for sightline's tests and benchmarks.
Built on emu_base.py (HTTP server, request log, faults, /_emu controls).
Python 3 standard library only.

DATA
  Fixtures (--fixtures, default tests/fixtures/virtualizor): VPS 1001
  (Alice, hv01, running), 1002 (Bob, hv02, running, two disks), 1003
  (Carol, hv01, suspended), the nodes hv01 (serid 0) and hv02 (serid 1),
  users 55 and 56 (Carol's user 57 is derived), IP pools, storage. What
  the fixtures lack is derived: the disks of 1001 and 1003, the IP rows
  of addresses only the VPS rows list. Fixture secrets (vnc_passwd
  values, password hashes) are served as they are.
  --generate N --nodes M adds N VPSes, vpsid 2001 upwards, VPS 2001+i on
  node serid i%M (hv01, hv02, ...; nodes beyond the fixtures' two are
  added). Deterministic for the same arguments and --seed. VPS 2001+i is
  stopped iff i%5==4, suspended by the panel iff i%10==9, has two disks
  iff i%4==3; it has a unique IPv4 address in 198.18.0.0/15, a unique
  IPv6 address in 2001:db8:2000::/48 and a unique MAC 00:16:3e:xx:xx:xx;
  its owner is one of N/3+1 generated users. --no-fixtures serves only
  the generated VPSes (and the nodes they need).
  Canaries: every generated VPS has vnc_passwd CANARY-VNC-<vpsid>,
  data.crypted_pass CANARY-CRYPT-<vpsid>, notes CANARY-NOTES-<vpsid>;
  every generated user password CANARY-PWHASH-<uid>; act=serverinfo,
  act=vnc and act=sso answer CANARY values.

AUTH (on every request, in the query or the POSTed form)
  adminapikey=K&adminapipass=P, or the legacy apikey=R+md5(P+R) (R: any
  8 characters), or both; each style given must be right. K and P are
  --key and --pass. Otherwise, by --auth-failure: "redirect" (default),
  302 Found to index.php?act=login with an empty text/html body; or
  "login", 200 with the login page as JSON ({"uid": -1, "act": "login"}).

OUTPUT
  api=json: compact JSON with "/" escaped as "\\/", as PHP's json_encode
  writes it, sent as "text/html; charset=UTF-8" (PHP's default, [U]) or
  application/json with --quirk json-ctype. api=serialize: PHP's
  serialize() of the same data. No api: the admin panel's HTML page.
  Numbers are strings except serid, timenow, status codes; empty maps
  are []; maps keyed 0..n-1 are lists (servs); "error" is a list of
  messages, or a map of field -> message for act=managevps.

ACTS
  vs            pages (page, 1-based; reslen, default 50), newest VPS
                first; filters vpsid, vpsip, vpsname, vpshostname, user,
                vsstatus (s|u), vstype, serid; a vpsid that does not
                exist gives the error list. vs_status=ID[,ID...] gives
                {"status": {id: {...}}}.
  managevps     vpsid=N: {"vps": row with "disks"}; unknown vpsid: error
                map {"vpsid": "Invalid VPS ID"}.
  servers       servs (a list; with --quirk servs-map an object keyed by
                serid); ips (page, reslen, ipsearch, macsearch, ippid);
                ippool; storage; users (uid); plans.
  serverinfo, vnc, sso   secrets (logged "secret": true).
  Writes, logged "write": true, accepted and changing nothing, answering
  {"done": 1}: any POST body; on any act delete, action, suspend,
  unsuspend, suspend_net, unsuspend_net, bwreset, editvps, cbackup,
  add_ssh_keys, force, changepass, rebuild, migrate, clone; the acts
  addvs, editvs, rebuild, clone, migrate, addips, addippool, adduser,
  edituser, addserver, editserver, addstorage, editstorage, addplan.
  Any other act: the error list ["Invalid act"] (U).

QUIRKS (--quirk Q, repeatable)
  servs-map     act=servers and the servers of act=vs as an object keyed
                by serid
  ignore-page   act=vs always answers page 1
  json-ctype    Content-Type: application/json
  status-empty  act=vs&vs_status answers {"status": []}

CONTROL and LOG: see emu_base.py (GET /_emu/fault, /_emu/log, /_emu/stats,
/_emu/reset; fault kinds slow, 500, html, truncated, garbage, close,
redirect, oversized).
"""
import copy
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_base  # noqa: E402
from emu_base import Resp  # noqa: E402

DEFAULT_KEY = "sightlinekey0000000000000000test"
DEFAULT_PASS = "sightlinepass000000000000000test"
HTML_CT = "text/html; charset=UTF-8"
WRITE_PARAMS = frozenset((
    "delete", "action", "suspend", "unsuspend", "suspend_net", "unsuspend_net",
    "bwreset", "editvps", "cbackup", "add_ssh_keys", "force", "changepass",
    "rebuild", "migrate", "clone", "submitip", "addvps", "addserver",
    "adduser", "edituser", "addplan", "addippool", "addstorage"))
WRITE_ACTS = frozenset((
    "addvs", "editvs", "rebuild", "clone", "migrate", "addips", "addippool",
    "adduser", "edituser", "addserver", "editserver", "addstorage",
    "editstorage", "addplan", "editplan", "addiso", "addtemplate"))
SECRET_ACTS = frozenset(("serverinfo", "vnc", "sso"))
QUIRKS = ("servs-map", "ignore-page", "json-ctype", "status-empty")
CREDENTIALS = frozenset(("adminapikey", "adminapipass", "apikey"))
MEMO_MAX = 200_000          # answers kept, by query without credentials
ADMIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Virtualizor - Admin Panel</title>"
              b"</head><body><div id=\"main\">Dashboard</div></body></html>\n")
ROLES = ("web", "db", "app", "mail", "vpn", "git", "ci", "cache", "lb", "mon")


def php_serialize(v):
    """PHP's serialize() of a JSON value: what api=serialize returns."""
    if v is None:
        return "N;"
    if isinstance(v, bool):
        return "b:%d;" % v
    if isinstance(v, int):
        return "i:%d;" % v
    if isinstance(v, float):
        return "d:%r;" % v
    if isinstance(v, str):
        return 's:%d:"%s";' % (len(v.encode()), v)
    items = v.items() if isinstance(v, dict) else enumerate(v)
    parts = []
    for k, x in items:
        key = int(k) if isinstance(k, int) or (isinstance(k, str) and k.isdigit()) else k
        parts.append(php_serialize(key) + php_serialize(x))
    return "a:%d:{%s}" % (len(parts), "".join(parts))


def uuid16(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))


class Model:
    def __init__(self):
        self.vps = {}          # vpsid (int) -> row (dict, with "disks" list)
        self.status = {}       # vpsid -> vs_status entry
        self.servers = {}      # serid (int) -> server row
        self.users = {}        # uid (str) -> user row
        self.ips = {}          # ipid (int) -> ip row
        self.ippools = {}
        self.storage = {}
        self.plans = {"1": "KVM-2G", "2": "KVM-4G"}

    def node(self, serid):
        if serid not in self.servers:
            base = copy.deepcopy(next(iter(self.servers.values()))) if self.servers else {
                "sgid": "0", "virt": "kvm", "total_ram": "257652", "ram": "201344",
                "total_space": "3725", "space": "3190", "os": "Linux", "version": "3.1.2",
                "locked": "0", "vcores": "64", "status": "1", "virts": ["kvm"],
                "settings": "a:0:{}", "lv": "vg_vps", "hvm": "1", "licnumvs": "0",
                "overcommit": 0, "os_arch": "x86_64", "uname": "6.1.0-21-amd64",
                "lic_expires": "1767225600", "location": "AMS"}
            base.update({"serid": serid, "server_name": "hv%02d" % (serid + 1),
                         "ip": "192.0.2.%d" % (10 + serid), "vnc_ip": "192.0.2.%d" % (10 + serid),
                         "internal_ip": "", "unique_txt": "hv%d-8f1c2e" % (serid + 1)})
            self.servers[serid] = base
        return self.servers[serid]


def disk(vpsid, vuuid, did, duuid, size, num=0, st=("st8x2n4c0dlv9k1q", "1"), path=None):
    return {"did": str(did), "disk_uuid": duuid, "st_uuid": st[0], "vps_uuid": vuuid,
            "path": path or "/dev/vg_vps/vsv%d-%s" % (vpsid, duuid),
            "primary": "1" if num == 0 else "0", "size": "%.2f" % size, "size_unit": "G",
            "type": "block", "format": "raw", "num": str(num), "rescue": "0", "extra": "",
            "bus_driver": "virtio", "bus_driver_num": str(num), "user_uid": "-1",
            "disk_name": "", "mnt_point": "", "project_name": None, "stid": st[1],
            "vpsid": str(vpsid)}


# The disks the fixtures lack, as tests/cases/virtualizor/record-fixtures
# has them (did, disk_uuid), so that the records served for the fixtures
# are that case's expected.json (tests/lib/hvxml.py builds hypervisors
# from it).
FIXTURE_DISKS = {1001: (301, "a1b2c3d4e5f6g7h8"), 1003: (321, "h8g7f6e5d4c3b2a1")}


def load_fixtures(m, d):
    def load(name):
        with open(d / name, encoding="utf-8") as f:
            return json.load(f)
    for s in load("servers_list.json")["servs"]:
        m.servers[int(s["serid"])] = s
    detail = load("managevps_detail.json")["vps"]
    for k, row in load("vs_list.json")["vs"].items():
        vid = int(k)
        if vid == int(detail["vpsid"]):
            row = copy.deepcopy(detail)
        else:
            row = copy.deepcopy(row)
            did, duuid = FIXTURE_DISKS.get(vid, (300 + vid % 100, hashlib.sha256(
                b"disk-%d" % vid).hexdigest()[:16]))
            row["disks"] = [disk(vid, row["uuid"], did, duuid, float(row["space"]))]
        m.vps[vid] = row
    for k, s in load("vs_status.json")["status"].items():
        m.status[int(k)] = s
    for k, u in load("users_list.json")["users"].items():
        m.users[k] = u
    if "57" not in m.users:
        carol = copy.deepcopy(m.users["55"])
        carol.update(uid="57", email="carol@example.org",
                     password="$2y$10$EXAMPLEEXAMPLEEXAMPLEc4Rol7Pq9Ws2Ed4Rf6Tg8Yh0Uj2Ik4",
                     preferences={"fname": "Carol", "lname": "Example"}, date_created="1710000000")
        m.users["57"] = carol
    ips = load("ips_list.json")
    m.ippools = ips["ippools"]
    for k, ip in ips["ips"].items():
        m.ips[int(k)] = ip
    for s in load("storage_list.json")["storage"].values():
        m.storage[s["stid"]] = s
    fill_ips(m, list(m.vps))


def fill_ips(m, vpsids):
    """An IP row for every address a VPS row lists that act=ips lacks."""
    for vid in vpsids:
        row = m.vps[vid]
        for ipid, addr in (row["ips"] or {}).items():
            if int(ipid) in m.ips:
                continue
            v6 = ":" in addr
            m.ips[int(ipid)] = {
                "ipid": ipid, "ippid": "9" if v6 else "3", "ip_serid": str(row["serid"]),
                "vpsid": str(vid), "ip": addr, "ipv6": "1" if v6 else "0",
                "ipr_netmask": "64" if v6 else None, "primary": "0" if v6 else "1",
                "mac_addr": "", "locked": "0", "note": "", "ippool_name": "gen-v6" if v6
                else "AMS-v4-a", "gateway": "", "netmask": "" if v6 else "255.255.255.0",
                "ns1": "", "ns2": "", "nat": "0", "nat_name": "", "routing": "0",
                "internal": "0", "bridge": "viifbr0", "mtu": "0", "vlan": "0",
                "hostname": row.get("hostname")}


def generate(m, n, nodes, seed):
    rng = random.Random(seed)
    template = None
    for row in m.vps.values():
        template = row
        break
    nusers = n // 3 + 1
    for j in range(nusers):
        uid = str(1000 + j)
        m.users[uid] = {
            "uid": uid, "password": "CANARY-PWHASH-%s" % uid, "email": "cust%s@example.net" % uid,
            "type": "0", "aclid": "0", "pid": "0", "uplid": "0", "inhouse_billing": "0",
            "cur_bal": "0.00", "cur_usage": "0.00", "cur_invoices": "0.00", "max_cost": "0",
            "num_vs": "0", "num_users": "0", "space": "0", "ram": "0", "burst": "0",
            "bandwidth": "0", "cpu": "0", "cores": "0", "cpu_percent": "0", "num_cores": "0",
            "num_ipv4": "0", "num_ipv6": "0", "num_ipv6_subnet": "0", "allowed_virts": "",
            "network_speed": "0", "upload_speed": "0", "sg": None, "mg": None,
            "preferences": {"fname": "Cust", "lname": uid}, "dnsplid": "0", "act_status": "1",
            "activation_code": "CANARY-ACTIVATION-%s" % uid, "date_created": "1700000000",
            "service_period": "1", "band_suspend": "0", "billing_warn": None,
            "suspended": None, "foreign_uid": "0"}
    for serid in range(nodes):
        m.node(serid)
    for i in range(n):
        vid = 2001 + i
        serid = i % nodes
        uid = str(1000 + i % nusers)
        vuuid = uuid16(rng)
        ram = (512, 1024, 2048, 4096)[i % 4]
        row = {
            "vpsid": str(vid), "vps_name": "v%d" % vid, "uuid": vuuid, "serid": serid,
            "time": str(1700000000 + i * 60), "edittime": str(1716000000 + i), "virt": "kvm",
            "uid": uid, "plid": "1",
            "hostname": "%s%d.cust%s.example" % (ROLES[i % len(ROLES)], i, uid),
            "osid": "909", "os_name": "ubuntu-22.04-x86_64", "iso": "", "sec_iso": "",
            "boot": "cda", "space": str(20 + 10 * (i % 3)), "inodes": "0", "ram": str(ram),
            "burst": "0", "swap": "0", "cpu": "1000", "cores": str(1 + i % 4), "cpupin": "-1",
            "cpu_percent": "0.00", "bandwidth": "1000", "network_speed": "0",
            "upload_speed": "-1", "io": "0", "ubc": "a:0:{}", "acpi": "1", "apic": "1",
            "pae": "1", "shadow": "0", "vnc": "1", "vncport": str(5900 + i % 1000),
            "vnc_passwd": "CANARY-VNC-%d" % vid, "hvm": "0",
            "suspended": "1" if i % 10 == 9 else "0",
            "suspend_reason": "CANARY-REASON-%d" % vid if i % 10 == 9 else None,
            "nw_suspended": None, "rescue": "0", "band_suspend": "0", "tuntap": "0",
            "ppp": "0", "ploop": "0",
            "dns_nameserver": 'a:2:{i:0;s:10:"192.0.2.53";i:1;s:13:"198.51.100.53";}',
            "osreinstall_limit": "0", "preferences": None, "nic_type": "virtio",
            "vif_type": "", "virtio": "1", "pv_on_hvm": "0", "kvm_cache": "0",
            "io_mode": "0", "cpu_mode": "host-model", "total_iops_sec": "0",
            "read_bytes_sec": "0", "write_bytes_sec": "0", "kvm_vga": "0",
            "acceleration": "0", "vnc_keymap": "en-us", "routing": "0", "mg": "",
            "used_bandwidth": "%.2f" % (i % 97), "cached_disk": "a:0:{}", "webuzo": "0",
            "disable_ebtables": "0", "install_xentools": "0", "admin_managed": "0",
            "rdp": "0", "topology_sockets": "0", "topology_cores": "0",
            "topology_threads": "0",
            "mac": "00:16:3e:%02x:%02x:%02x" % ((vid >> 16) & 255, (vid >> 8) & 255, vid & 255),
            "notes": "CANARY-NOTES-%d" % vid, "disable_nw_config": "0", "locked": "",
            "openvz_features": "", "speed_cap": "", "numa": "0", "bpid": "0", "bserid": "0",
            "timezone": None, "usbdevice": "", "ha": "0", "load_balancer": "0",
            "data": {"os_type": 0, "rtc": 0, "vnc_auto_port": 0, "nested_virt": 0,
                     "discard": 1, "vlan_tag": 0, "enable_guest_agent": 1, "machine_type": 0,
                     "bios": "", "enable_tpm": 0, "disable_password": "", "ssh_options": "",
                     "added_keys": [], "crypted_pass": "CANARY-CRYPT-%d" % vid,
                     "crypted_salt": "CANARY-SALT-%d" % vid},
            "fwid": "0", "admin_fwid": "0", "current_resource": None, "plan_expiry": "0",
            "tags": "gen" if i % 3 == 0 else None, "server_name": m.node(serid)["server_name"],
            "email": m.users[uid]["email"], "pid": "0", "type": "0", "os_distro": "ubuntu",
            "stid": [1],
            "ips": {str(100000 + 2 * i): "198.%d.%d.%d" % (18 + ((i + 1) >> 16),
                                                           ((i + 1) >> 8) & 255, (i + 1) & 255),
                    str(100001 + 2 * i): "2001:db8:2000::%x" % (i + 1)},
        }
        if template is not None:
            for k in template:
                row.setdefault(k, copy.deepcopy(template[k]))
        disks = [disk(vid, vuuid, 10 * vid, uuid16(rng), float(row["space"]))]
        if i % 4 == 3:
            disks.append(disk(vid, vuuid, 10 * vid + 1, uuid16(rng), 50.0, 1,
                              ("st3j7t1m9sxa2e0w", "2"), None))
            disks[1]["path"] = "/var/virtualizor/qcow2/vsv%d-%s.qcow2" % (
                vid, disks[1]["disk_uuid"])
            disks[1].update(type="file", format="qcow2")
        row["disks"] = disks
        m.vps[vid] = row
        stopped = i % 5 == 4
        m.status[vid] = {
            "status": 2 if i % 10 == 9 else 0 if stopped else 1,
            "used_cpu": "0" if stopped else "%.2f" % (i % 50),
            "used_ram": 0 if stopped else ram // 2,
            "used_disk": 1.5, "net_in": i * 1000, "net_out": i * 2000, "used_inode": 0,
            "io_read": 0, "io_write": 0, "inode": 0, "ram": str(ram), "disk": row["space"],
            "used_bandwidth": row["used_bandwidth"], "bandwidth": "1000", "virt": "kvm"}
    fill_ips(m, [2001 + i for i in range(n)])


class App:
    server_name = "Virtualizor"

    def __init__(self, model, opts):
        self.m, self.opts = model, opts
        self.quirks = set(opts.quirk)
        self.memo = {}          # the model never changes: neither do answers
        self.order = sorted(model.vps, reverse=True)      # newest first
        for s in model.servers.values():
            s["numvps"] = str(sum(1 for r in model.vps.values() if int(r["serid"]) == s["serid"]))

    def describe(self):
        return "%d VPSes on %d nodes" % (len(self.m.vps), len(self.m.servers))

    # -- requests --

    @staticmethod
    def fields(req):
        """GET and POST fields together, as PHP's $_REQUEST sees them."""
        f = dict(req.params)
        if req.body:
            f.update(parse_qsl(req.body.decode("latin-1"), keep_blank_values=True))
        return f

    def classify(self, req):
        f = self.fields(req)
        act = f.get("act", "")
        write = (req.method not in ("GET", "HEAD") or bool(req.body) or
                 act in WRITE_ACTS or any(k in WRITE_PARAMS for k in f))
        return write, act in SECRET_ACTS

    def authenticate(self, f):
        key, pw, legacy = f.get("adminapikey"), f.get("adminapipass"), f.get("apikey")
        if key is None and pw is None and legacy is None:
            return "missing"
        ok = True
        if key is not None or pw is not None:
            ok = key == self.opts.key and pw == self.opts.password
        if legacy is not None:
            r = legacy[:8]
            ok = ok and len(legacy) == 40 and \
                hashlib.md5((self.opts.password + r).encode()).hexdigest() == legacy[8:]
        return "ok" if ok else "bad"

    def out(self, obj, api):
        obj.setdefault("timenow", int(time.time()))
        obj.setdefault("time_taken", "0.010")
        if api == "serialize":
            return Resp(200, php_serialize(obj).encode(), HTML_CT)
        ctype = "application/json" if "json-ctype" in self.quirks else HTML_CT
        return Resp(200, emu_base.jbytes(obj, slash=True), ctype)

    def handle(self, req):
        if req.path not in ("/index.php", "/"):
            return Resp(404, b"<html><body><h1>404 Not Found</h1></body></html>", HTML_CT)
        f = self.fields(req)
        req.auth = self.authenticate(f)
        if req.auth != "ok":
            if self.opts.auth_failure == "login":
                return self.out({"uid": -1, "act": "login", "timezone": 0, "title": "Login"},
                                f.get("api", "json"))
            return Resp(302, b"", HTML_CT, [("Location", "index.php?act=login")])
        api = f.get("api")
        if api not in ("json", "serialize"):
            return Resp(200, ADMIN_PAGE, HTML_CT)
        write, _ = self.classify(req)
        act = f.get("act", "")
        if write:
            return self.out({"title": "Virtualizor", "done": 1, "done_msg": "Done"}, api)
        key = tuple(sorted((k, v) for k, v in f.items() if k not in CREDENTIALS))
        resp = self.memo.get(key)
        if resp is not None:
            return resp
        h = getattr(self, "act_" + act, None) if act.isidentifier() else None
        if h is None:
            resp = self.out({"title": "Virtualizor", "error": ["Invalid act"]}, api)
        else:
            resp = self.out(h(f), api)
        if len(self.memo) < MEMO_MAX:
            self.memo[key] = resp
        return resp

    # -- acts --

    @staticmethod
    def paging(f, default=50):
        try:
            page = max(1, int(f.get("page", "1")))
            reslen = max(1, int(f.get("reslen", str(default))))
        except ValueError:
            page, reslen = 1, default
        return page, reslen

    def servs(self):
        rows = [self.m.servers[k] for k in sorted(self.m.servers)]
        if "servs-map" in self.quirks or [s["serid"] for s in rows] != list(range(len(rows))):
            return {str(s["serid"]): s for s in rows}
        return rows

    @staticmethod
    def row(r):
        out = dict(r)
        out["disks"] = None
        return out

    def act_vs(self, f):
        if "vs_status" in f:
            if "status-empty" in self.quirks:
                return {"title": "VPS Status", "status": []}
            st = {}
            for x in f["vs_status"].split(","):
                if x.isdigit() and int(x) in self.m.status:
                    st[x] = self.m.status[int(x)]
            return {"title": "VPS Status", "status": st or []}
        sel = self.order
        if "vpsid" in f:
            if not f["vpsid"].isdigit() or int(f["vpsid"]) not in self.m.vps:
                return {"title": "List VPS", "error": ["The VPS you specified does not exist"]}
            sel = [int(f["vpsid"])]
        rows = [self.m.vps[v] for v in sel]
        if "vpsip" in f:
            rows = [r for r in rows if f["vpsip"] in (r["ips"] or {}).values()]
        if "vpsname" in f:
            rows = [r for r in rows if r["vps_name"] == f["vpsname"]]
        if "vpshostname" in f:
            rows = [r for r in rows if r["hostname"] == f["vpshostname"]]
        if "user" in f:
            rows = [r for r in rows if f["user"] in (r["uid"], r["email"])]
        if f.get("vsstatus") in ("s", "u"):
            rows = [r for r in rows if (r["suspended"] == "1") == (f["vsstatus"] == "s")]
        if "vstype" in f:
            rows = [r for r in rows if r["virt"] == f["vstype"]]
        if "serid" in f:
            rows = [r for r in rows if str(r["serid"]) == f["serid"]]
        page, reslen = self.paging(f)
        if "ignore-page" in self.quirks:
            page = 1
        rows = rows[(page - 1) * reslen:page * reslen]
        servers = [{k: s[k] for k in ("serid", "sgid", "server_name", "virt", "ip",
                                      "internal_ip", "vnc_ip", "total_ram", "ram",
                                      "total_space", "space", "os", "version", "locked",
                                      "vcores", "status", "numvps", "virts") if k in s}
                   for s in (self.m.servers[k] for k in sorted(self.m.servers))]
        if "servs-map" in self.quirks:
            servers = {str(s["serid"]): s for s in servers}
        return {"title": "List VPS", "vs": {r["vpsid"]: self.row(r) for r in rows} or [],
                "servers": servers, "plans": self.m.plans, "owners": [], "backup_plans": []}

    def act_managevps(self, f):
        v = f.get("vpsid", "")
        if not v.isdigit() or int(v) not in self.m.vps:
            return {"title": "Manage VPS", "error": {"vpsid": "Invalid VPS ID"}}
        return {"title": "Manage VPS", "vps": self.m.vps[int(v)]}

    def act_servers(self, f):
        return {"title": "Servers", "servs": self.servs()}

    def act_ips(self, f):
        rows = [self.m.ips[k] for k in sorted(self.m.ips)]
        if "ipsearch" in f:
            rows = [r for r in rows if r["ip"] == f["ipsearch"]]
        if "macsearch" in f:
            rows = [r for r in rows if r["mac_addr"] == f["macsearch"]]
        if "ippid" in f:
            rows = [r for r in rows if r["ippid"] == f["ippid"]]
        page, reslen = self.paging(f)
        rows = rows[(page - 1) * reslen:page * reslen]
        return {"title": "IP List", "ips": {r["ipid"]: r for r in rows} or [],
                "ippools": self.m.ippools}

    def act_ippool(self, f):
        return {"title": "IP Pool", "ippools": self.m.ippools}

    def act_storage(self, f):
        return {"title": "Storage", "storage": self.m.storage or []}

    def act_users(self, f):
        rows = [self.m.users[k] for k in sorted(self.m.users, key=int)]
        if "uid" in f:
            rows = [r for r in rows if r["uid"] == f["uid"]]
        page, reslen = self.paging(f)
        rows = rows[(page - 1) * reslen:page * reslen]
        return {"title": "Users", "users": {r["uid"]: r for r in rows} or []}

    def act_plans(self, f):
        return {"title": "Plans", "plans": self.m.plans}

    def act_serverinfo(self, f):
        return {"title": "Server Info", "info": {
            "masterkey": "CANARY-MASTERKEY", "key": "CANARY-LICENSE-KEY",
            "path": "/usr/local/virtualizor", "version": "3.1.2"}}

    def act_vnc(self, f):
        v = f.get("novnc", f.get("vpsid", "0"))
        return {"title": "VNC", "info": {"ip": "192.0.2.10", "port": "5901",
                                         "password": "CANARY-VNCPASS-%s" % v}}

    def act_sso(self, f):
        return {"title": "SSO", "done": {"url": "https://192.0.2.1:4083/?sso=CANARY-SSO-TOKEN"}}


def main(argv=None):
    started = time.monotonic()
    here = Path(__file__).resolve().parent
    ap = emu_base.common_args("virtualizor_emu.py", __doc__, 4085)
    ap.add_argument("--fixtures", default=str(here.parent / "fixtures" / "virtualizor"),
                    metavar="DIR", help="fixture directory (default %(default)s)")
    ap.add_argument("--key", default=DEFAULT_KEY, help="the admin API key (adminapikey)")
    ap.add_argument("--pass", dest="password", default=DEFAULT_PASS,
                    help="the admin API password (adminapipass; the legacy apikey hashes it)")
    ap.add_argument("--auth-failure", choices=("redirect", "login"), default="redirect",
                    help="how bad credentials are answered (default %(default)s)")
    ap.add_argument("--quirk", action="append", default=[], choices=QUIRKS,
                    help="a quirk to switch on; repeatable")
    opts = ap.parse_args(argv)
    emu_base.check_args(ap, opts)
    if not 0 <= opts.generate <= 500000:
        ap.error("--generate must be 0..500000")
    m = Model()
    if not opts.no_fixtures:
        try:
            load_fixtures(m, Path(opts.fixtures))
        except (OSError, ValueError, KeyError) as e:
            print("virtualizor_emu: error: cannot load fixtures from %s: %s" % (opts.fixtures, e),
                  file=sys.stderr)
            return 2
    if opts.generate:
        generate(m, opts.generate, opts.nodes, opts.seed)
    return emu_base.run("virtualizor_emu", App(m, opts), opts, started)


if __name__ == "__main__":
    sys.exit(main())
