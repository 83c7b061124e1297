#!/usr/bin/python3
"""pve_emu.py - a fast, faithful emulator of the Proxmox VE HTTP API (/api2/json).

sightline's integration tests and benchmarks point the daemon at this instead
of a real pveproxy. It speaks HTTP/1.1 (or HTTPS) over real sockets and
copies pveproxy's wire behaviour: status lines carry the error message as the
reason phrase, the same headers in the same order, the same keep-alive rules.
Python 3 standard library only (Debian's /usr/bin/python3).

DATA
  Fixture VMs: every file in --fixtures (default tests/fixtures/proxmox) is
  read. VM 100 (qemu, pve1, running, agent), 101 (lxc, pve2, running) and
  102 (qemu, pve1, stopped) on nodes pve1/pve2. Anything the fixtures lack is
  derived from them (VM 102's config, the lxc lists, status/current, node
  status, storage). Fixture secrets (cipassword, sshkeys, ticket) are served
  as they are.
  --generate N --nodes M adds N deterministic VMs (vmid 1000 upwards) spread
  over pve1..pveM (same arguments and --seed give byte-identical bodies).
  VM 1000+i is on pve(i%M+1); it is lxc iff i%4==3 (25%), stopped iff i%5==4
  (20%), and a qemu VM has no agent iff i%10 is 3, 6 or 9 (~73% have one),
  so vmid 1000 is a running qemu VM with an agent on pve1. Each VM has a
  unique IPv4 address in 198.18.0.0/15, a unique IPv6 address in
  2001:db8:1000::/36 and a unique MAC BC:24:11:xx:xx:xx derived from the
  vmid. Pools are named cust-NNN.
  --no-fixtures serves only the generated VMs.
  Canaries: every generated config carries CANARY-SSHKEY-<vmid> (in the
  URL-encoded sshkeys), CANARY-ARGS-, CANARY-HOOK-, CANARY-CICUSTOM- (qemu),
  CANARY-DESC- (description) and an lxc raw key with CANARY-ARGS- (lxc). VMs
  100, 101 and 102 get CANARY-HOOK-<vmid> and CANARY-ARGS-<vmid> too.
  Endpoints that carry secrets answer with CANARY values as well.
  The emulator is read-only: writes are accepted, recorded, and change nothing.

AUTH (as in pve-http-server)
  "Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET" (split at the last
  "="), or the cookie "PVEAuthCookie=<ticket from access_ticket_response.json>"
  (writes made with the cookie also need the header CSRFPreventionToken).
  No credentials:  "401 No ticket".  Wrong secret:  "401 invalid token value!".
  Unknown token:   "401 no such token 'T' for user 'U'".
  Unknown user:    "401 no such user ('U')".
  Bad ticket:      "401 permission denied - invalid PVE ticket".
  Missing CSRF:    "401 Permission denied - invalid csrf token".
  Every 401 has an empty body (Content-Length: 0) and is sent after
  --auth-delay seconds. GET /access/domains and GET|POST /access/ticket need
  no auth.

ENDPOINTS (under /api2/json)
  GET  /  /version  /cluster  /cluster/resources[?type=vm|node|storage|sdn]
       /cluster/status  /cluster/nextid  /cluster/sdn/ipams/pve/status
       /nodes  /nodes/{node}  /nodes/{node}/status  /nodes/{node}/qemu[?full=1]
       /nodes/{node}/lxc  /nodes/{node}/storage  /nodes/{node}/storage/{id}[/status]
       /nodes/{node}/{qemu|lxc}/{vmid}[/config[?current=1]|/pending|/status|/status/current]
       /nodes/{node}/qemu/{vmid}/agent[/{cmd}]  /nodes/{node}/lxc/{vmid}/interfaces
       /pools[?poolid=P[&type=qemu|lxc|storage]]  /pools/{poolid}  /access/domains
  Secret (CANARY values): /access/users[/{userid}], /storage[/{id}] (CIFS
       password), qemu agent/get-users, agent/exec-status, agent/file-read,
       qemu cloudinit/dump?type=user|network|meta, {qemu|lxc}/{vmid}/vncwebsocket,
       /nodes/{node}/vncwebsocket, and the POSTs vncproxy/termproxy/spiceproxy.
  Writes: POST {qemu|lxc}/{vmid}/status/{start|stop|shutdown|reboot|reset(qemu)|
       suspend|resume} give {"data":"UPID:..."}. So do POST qemu/{vmid}/config,
       DELETE {qemu|lxc}/{vmid}, POST /nodes/{node}/{qemu|lxc} (create) and POST
       qemu/{vmid}/agent/{cmd}. PUT {qemu|lxc}/{vmid}/config gives {"data":null}.
       POST /access/ticket gives the fixture ticket. Writes to /pools and
       /storage are also accepted.
  Errors, as PVE sends them (body {"data":null,"message":"...\\n"[,"errors":{}]}):
    unknown path/method  501 Method 'GET /foo/bar' not implemented   (message without "\n")
    VM not on that node  500 Configuration file 'nodes/N/qemu-server/V.conf' does not exist
    node unknown         500 hostname lookup 'N' failed - failed to get address info ...
    bad vmid ("abc")     400 Parameter verification failed.   errors.vmid = ...
    unknown parameter    400 Parameter verification failed.   (GET only; _dc is ignored)
    agent off / stopped  500 No QEMU guest agent configured / QEMU guest agent is not running
    --deny-vm V          403 Permission check failed (/vms/V, VM.Audit); V is hidden from lists
  A stopped container's /interfaces is 200 {"data":null}, as in PVE.
  Like pveproxy: every answer >= 400 closes the connection, a connection serves
  at most --keepalive-max requests, methods other than GET/POST/PUT/DELETE get
  "501 method 'X' not available", chunked request bodies are read and then
  refused with "501 chunked transfer encoding not supported", bodies over
  64 KiB get "501 for data too large", and JSON bodies over 1 KiB are
  gzip-compressed when the client sends Accept-Encoding: gzip (--no-gzip
  turns that off).

TEST CONTROL (no auth; never logged or counted)
  GET /_emu/fault?kind=K[&path=REGEX][&count=N][&delay=S][&size=B][&status=C][&message=M]
      Adds a fault and returns the active list (the newest match wins).
      kind=none clears every fault. Without kind, it just lists them.
      Faults apply to requests whose decoded path (without the query) matches
      re.search(path). count=N limits a fault to the next N matching requests.
      Faults take effect before auth. --fault 'kind=..&..' (or just a kind)
      sets one at start.
        slow       wait `delay` s (default 5), then answer normally
        500        HTTP `status` (default 500) with reason `message`
                   (default "got timeout"), body {"data":null,"message":"...\\n"}, close
        html       200 text/html (a small login page)
        truncated  200 announcing the full Content-Length, half of the body sent, close
        oversized  200 JSON of exactly `size` bytes (default 64 MiB), streamed
        chunked-oversized  the same with Transfer-Encoding: chunked
        garbage    200 application/json with body {"data": [1, 2,
        close      the connection is closed without an answer (logged status 0)
        redirect   302 Found, Location: /login, empty body
  GET /_emu/log[?clear=1]    the request log as JSON lines (application/x-ndjson)
  GET /_emu/stats[?reset=1]  counts per method, status and auth state, and writes
  GET /_emu/reset            clears the in-memory log, the stats and all faults

LOG (--log FILE; one JSON line per request, flushed at once)
  {"t":1700000000.123456,"method":"GET","path":"/api2/json/...","query":"full=1",
   "status":200,"auth":"ok|missing|bad","write":false,"secret":false}
  path is decoded and has no query. write is true for every method except
  GET and HEAD. secret is true for the secret-bearing endpoints above.
  A request that could not be parsed is logged with method and path "-".

EXIT  0 on SIGTERM/SIGINT. 2 on bad arguments, unreadable fixtures, bad TLS
files, or an address that is already in use.
"""

import argparse
import asyncio
import base64
import gzip
import hashlib
import json
import os
import random
import re
import signal
import ssl
import sys
import time
import traceback
import uuid
import zlib
from collections import deque
from email.utils import formatdate
from ipaddress import IPv6Address
from json.encoder import encode_basestring as _jstr
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes

# --------------------------------------------------------------------------
# Constants and messages (the PVE texts, word for word)

MiB, GiB = 1 << 20, 1 << 30
DEFAULT_TOKEN = "auditor@pve!sightline=00000000-0000-0000-0000-000000000000"
JSON_CT = b"application/json;charset=UTF-8"
KNOWN_METHODS = frozenset(("GET", "POST", "PUT", "DELETE"))
MAX_POST = 64 * 1024                     # pve-http-server $limit_max_post
MAX_HEADER_LINES, MAX_HEADER_SIZE = 64, 8 * 1024
MEMO_MAX = 200_000                       # GET responses cached per path
PARAM_FAILED = "Parameter verification failed.\n"
NOT_IN_SCHEMA = ("property is not defined in schema and the schema does not "
                 "allow additional properties\n")
MISSING = "property is missing and it is not optional\n"
NO_AGENT = "No QEMU guest agent configured\n"
CONFDIR = {"qemu": "qemu-server", "lxc": "lxc"}
VERSION = {"release": "8.2", "repoid": "faa83925c9641325", "version": "8.2.4"}
NOAUTH = {("GET", "/access/ticket"), ("POST", "/access/ticket"), ("GET", "/access/domains")}

NODE_RE = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?")
API_RE = re.compile(r"/api2/+([a-z][a-z0-9]+)(/.*)?")
REQ_LINE = re.compile(rb"(\S+) (\S+) HTTP/(\d+)\.(\d+)")

ACTIONS = {"qemu": ("start", "stop", "shutdown", "reboot", "reset", "suspend", "resume"),
           "lxc": ("start", "stop", "shutdown", "reboot", "suspend", "resume")}
AGENT_GET = ("get-fsinfo", "get-host-name", "get-memory-block-info", "get-memory-blocks",
             "get-osinfo", "get-time", "get-timezone", "get-users", "get-vcpus", "info",
             "network-get-interfaces", "exec-status", "file-read")
AGENT_POST = ("fsfreeze-freeze", "fsfreeze-status", "fsfreeze-thaw", "fstrim", "ping",
              "shutdown", "suspend-disk", "suspend-hybrid", "suspend-ram",
              "set-user-password", "exec", "file-write")
# Endpoints that carry secrets; their log lines get "secret": true.
SECRET_RE = re.compile(
    r"/api2/json/+(?:access/+(?:users|ticket)|storage(?:/|$)"
    r"|nodes/+[^/]+/+(?:(?:qemu|lxc)/+[^/]+/+)?(?:vncwebsocket|vncproxy|termproxy|spiceproxy"
    r"|vncshell|spiceshell)"
    r"|nodes/+[^/]+/+qemu/+[^/]+/+(?:agent/+(?:get-users|exec-status|file-read|exec|file-write"
    r"|set-user-password)|cloudinit/+dump))")
QEMU_SUBDIRS = ("config", "pending", "cloudinit", "unlink", "vncproxy", "termproxy",
                "migrate", "resize", "move", "rrd", "rrddata", "monitor", "agent",
                "snapshot", "spiceproxy", "sendkey", "firewall", "mtunnel")
LXC_SUBDIRS = ("config", "pending", "status", "vncproxy", "termproxy", "vncwebsocket",
               "spiceproxy", "migrate", "clone", "snapshot", "firewall", "rrd",
               "rrddata", "feature", "template", "resize", "move_volume",
               "interfaces", "mtunnel")

# Storage definitions (storage.cfg). The CIFS password is a canary: a proxy
# must never pass on /storage at all.
STORAGES = [
    {"content": "iso,vztmpl,backup,snippets", "path": "/var/lib/vz", "storage": "local",
     "type": "dir", "_total": 100861726720},
    {"content": "rootdir,images", "storage": "local-lvm", "thinpool": "data",
     "type": "lvmthin", "vgname": "pve", "_total": 1_919_850_381_312},
    {"content": "images,rootdir", "krbd": 0, "monhost": "10.0.0.11 10.0.0.12 10.0.0.13",
     "pool": "ssd", "shared": 1, "storage": "ceph-ssd", "type": "rbd",
     "username": "admin", "_total": 7_681_501_298_688},
    {"content": "backup", "domain": "EXAMPLE", "password": "CANARY-STORAGE-PASSWORD",
     "path": "/mnt/pve/backup-cifs", "prune-backups": "keep-last=7",
     "server": "192.0.2.20", "share": "backups", "shared": 1, "smbversion": "3",
     "storage": "backup-cifs", "type": "cifs", "username": "pvebackup",
     "_total": 21_990_232_555_520},
]

# Word lists for the generated customers (all fictional).
FIRST = ("Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines",
         "Jonas", "Kira", "Luca", "Maya", "Nils", "Olga", "Priya", "Quentin", "Rosa",
         "Sven", "Tara", "Umar", "Vera", "Wim", "Xenia", "Yusuf", "Zoe")
LAST = ("Archer", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia",
        "Haddad", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura",
        "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga",
        "Weber", "Xu", "Yilmaz", "Zimmer")
ROLES = ("web", "db", "app", "mail", "vpn", "git", "ci", "cache", "lb", "mon", "dns",
         "files", "backup", "shop", "api", "build")

GUI_PAGE = (b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            b"<title>Proxmox Virtual Environment</title></head>"
            b"<body><div id=\"pve\">Proxmox Virtual Environment</div></body></html>\n")
LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in</title>"
              b"</head><body><form method=\"post\" action=\"/login\">"
              b"<input name=\"username\"><input name=\"password\" type=\"password\">"
              b"<button type=\"submit\">Sign in</button></form></body></html>\n")
FAKE_CERT = ("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUCANARYCERTIFICATEnotREAL"
             "MAoGCCqGSM49BAMCMA8xDTALBgNVBAMMBHB2ZTEwHhcNMjQwMTAxMDAwMDAwWhcNMzQw\n"
             "-----END CERTIFICATE-----\n")

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def jbytes(obj):
    """Compact, key-sorted UTF-8 JSON (what Perl's JSON->canonical emits; no "\\/")."""
    return _encode(obj).encode("utf-8")


# --------------------------------------------------------------------------
# Pre-rendered responses

class Resp:
    """One response without its per-request parts (status line prefix, Date,
    Connection). Header order follows HTTP::Headers as pveproxy sends it:
    ... Server, Content-Length, Content-Type, Expires; the bodiless 401s put
    Content-Length after Expires, exactly like the captured fixtures."""
    __slots__ = ("code", "sline", "pre", "post", "body", "ctype", "_gz")

    def __init__(self, code, reason, body=b"", ctype=JSON_CT, extra=b"", tail_length=False):
        self.code, self.body, self.ctype, self._gz = code, body, ctype, None
        reason = reason.split("\n", 1)[0].replace("\r", " ")
        self.sline = f"{code} {reason}".encode("utf-8", "replace")
        entity = extra + b"Content-Length: %d\r\n" % len(body)
        if ctype:
            entity += b"Content-Type: " + ctype + b"\r\n"
        self.pre, self.post = (b"", entity) if tail_length else (entity, b"")

    def gzipped(self):
        # pveproxy gzips bodies larger than 1024 bytes for clients that accept it.
        if self._gz is None:
            z = Resp(self.code, "", gzip.compress(self.body, 6, mtime=0), self.ctype,
                     extra=b"Content-Encoding: gzip\r\n")
            z.sline = self.sline
            self._gz = z
        return self._gz


def ok(data):
    return Resp(200, "OK", jbytes({"data": data}))


def fail(code, message, errors=None):
    """A PVE API error: the reason phrase is the message's first line and the
    body carries data:null plus the message (pve-http-server >= 5.2)."""
    body = {"data": None, "message": message}
    if errors:
        body["errors"] = errors
    return Resp(code, message, jbytes(body))


def bare(code, reason):
    """A transport-level error (401s, unknown method...): empty body."""
    return Resp(code, reason, b"", ctype=None, tail_length=True)


# --------------------------------------------------------------------------
# Small helpers

def _ip4(n):
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _mac(x):
    return f"BC:24:11:{x >> 16 & 255:02X}:{x >> 8 & 255:02X}:{x & 255:02X}"


def _link_local(mac):
    """The EUI-64 fe80:: address a guest derives from its MAC."""
    b = [int(h, 16) for h in mac.split(":")]
    iid = ((b[0] ^ 2) << 56 | b[1] << 48 | b[2] << 40 | 0xFFFE << 24
           | b[3] << 16 | b[4] << 8 | b[5])
    return str(IPv6Address(0xFE80 << 112 | iid))


def _natural(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _is_true(v):
    return str(v).lower() in ("1", "on", "yes", "true")


def agent_enabled(value):
    """qemu-server's 'agent' property: "1", "0", "enabled=1,fstrim_cloned_disks=1"..."""
    if value is None:
        return False
    for part in str(value).split(","):
        key, eq, val = part.partition("=")
        if not eq:
            return _is_true(key.strip())
        if key.strip() == "enabled":
            return _is_true(val.strip())
    return False


def parse_query(qs):
    """decode_urlencoded() of pve-http-server: & or ; separated, '+' is space,
    repeated keys are joined with NUL."""
    out = {}
    for kv in re.split(r"[&;]", qs):
        if not kv:
            continue
        k, _, v = kv.partition("=")
        k = unquote_to_bytes(k.replace("+", " ")).decode("utf-8", "replace")
        v = unquote_to_bytes(v.replace("+", " ")).decode("utf-8", "replace")
        out[k] = out[k] + "\0" + v if k in out else v
    return out


# Parameter validators: return None when fine, else the PVE error text.
def v_str(v):
    return None


def v_bool(v):
    if re.fullmatch(r"(?i)1|on|yes|true|0|off|no|false", v):
        return None
    return f"type check ('boolean') failed - got '{v}'\n"


def v_int(v):
    return None if re.fullmatch(r"[+-]?\d+", v) else f"type check ('integer') failed - got '{v}'\n"


def v_enum(*vals):
    def check(v):
        if v in vals:
            return None
        return f"value '{v}' does not have a value in the enumeration '{', '.join(vals)}'\n"
    return check


# --------------------------------------------------------------------------
# Cluster model

class Model:
    """All cluster state, built once at startup; the messages come from the fixtures."""

    def __init__(self):
        self.nodes = {}        # name -> /nodes entry
        self.vms = {}          # vmid -> VM
        self.pools = {}        # poolid -> {"comment":..., "members": list|None}
        self.ipam = []
        self.zones = {"localnetwork"}
        self.denied = set()
        self.cluster_name = "example-cluster"
        self.ticket_data = {
            "CSRFPreventionToken": "65A1B2C3:EXAMPLEcsrfTOKENnotREALxxxxxxxxxxxxxxxxx",
            "cap": {}, "clustername": self.cluster_name,
            "ticket": "PVE:auditor@pve:65A1B2C3::EXAMPLEticketSIGNATUREnotREAL==",
            "username": "auditor@pve"}
        self.msg_agent_down = "QEMU guest agent is not running\n"
        self.msg_vmid_format = "invalid format - value does not look like a valid VM ID\n"
        self.msg_no_ticket = "No ticket"
        self.msg_bad_token = "invalid token value!"
        self.msg_perm = "Permission check failed ({path}, {priv})\n"

    # -- nodes ------------------------------------------------------------

    def ensure_node(self, name):
        if name in self.nodes:
            return
        h = zlib.crc32(name.encode())
        self.nodes[name] = {
            "cpu": round(0.01 + (h % 900) / 10000, 4), "disk": 10 * GiB + h % (8 * GiB),
            "id": f"node/{name}", "level": "", "maxcpu": 64, "maxdisk": 100861726720,
            "maxmem": 270198390784, "mem": 32 * GiB + h % (96 * GiB), "node": name,
            "ssl_fingerprint": ":".join(f"{b:02X}" for b in hashlib.sha256(name.encode()).digest()),
            "status": "online", "type": "node", "uptime": 2_000_000 + h % 1_000_000}


class VM:
    __slots__ = ("vmid", "kind", "node", "res", "conf", "pid", "nics", "agent_result",
                 "ifaces", "list_entry", "status_data", "full_entry",
                 "r_config", "r_status", "r_agent", "r_agent_err", "r_ifaces")

    def __init__(self, res, conf):
        self.vmid, self.kind, self.node = res["vmid"], res["type"], res["node"]
        self.res, self.conf = res, conf
        self.pid = 1000 + (self.vmid * 7919) % 4_000_000
        self.nics, self.agent_result, self.ifaces = [], None, None
        self.list_entry = self.status_data = None

    @property
    def running(self):
        return self.res["status"] == "running"


# --------------------------------------------------------------------------
# Fixture loading

def load_fixtures(model, fdir):
    """Read every file in fdir; build VMs 100-102, nodes, pools, IPAM, messages."""
    fx = {}
    for p in sorted(fdir.iterdir()):
        if p.is_file():
            text = p.read_text(encoding="utf-8")
            fx[p.name] = json.loads(text) if p.suffix == ".json" else text

    def need(name):
        if name not in fx:
            raise ValueError(f"fixture {fdir / name} is missing")
        return fx[name]["data"] if isinstance(fx[name], dict) else fx[name]

    def reason(name, default):
        first = fx.get(name, "").split("\n", 1)[0].split(" ", 2)
        return first[2].strip() if len(first) == 3 else default

    model.msg_agent_down = fx.get("error_500_agent_not_running.json", {}).get(
        "message", model.msg_agent_down)
    model.msg_vmid_format = fx.get("error_400_param.json", {}).get("errors", {}).get(
        "vmid", model.msg_vmid_format)
    model.msg_no_ticket = reason("error_401_no_ticket.http", model.msg_no_ticket)
    model.msg_bad_token = reason("error_401_invalid_token.http", model.msg_bad_token)
    if "access_ticket_response.json" in fx:
        model.ticket_data = need("access_ticket_response.json")
        model.cluster_name = model.ticket_data.get("clustername", model.cluster_name)

    for n in need("nodes.json"):
        model.nodes[n["node"]] = dict(n)

    listed = {e["vmid"]: e for e in fx.get("qemu_list_pve1.json", {}).get("data", [])}
    for res in need("cluster_resources_vm.json"):
        res = dict(res)
        vmid, kind = res["vmid"], res["type"]
        conf = fx.get(f"{kind}_config_{vmid}.json", {}).get("data")
        if vmid == 102 and conf is None:
            res.setdefault("tags", "carol")   # consistent with the config below
            conf = carol_config()
        elif conf is None:
            conf = {"name": res["name"], "cores": res["maxcpu"],
                    "memory": str(res["maxmem"] // MiB)}
        conf = dict(conf)
        # Canaries on the fixture VMs: hookscript plus args (qemu) or a raw lxc key.
        conf.setdefault("hookscript", f"local:snippets/CANARY-HOOK-{vmid}.pl")
        if kind == "qemu":
            conf.setdefault("args", f"-fw_cfg name=opt/CANARY-ARGS-{vmid}")
        else:
            conf.setdefault("lxc", [["lxc.environment", f"CANARY_ARGS=CANARY-ARGS-{vmid}"]])
        if "digest" not in conf:
            conf["digest"] = hashlib.sha1(jbytes(conf)).hexdigest()
        vm = VM(res, conf)
        if vmid in listed and res["node"] == "pve1" and kind == "qemu":
            vm.list_entry = dict(listed[vmid])
            if "tags" in res:
                vm.list_entry.setdefault("tags", res["tags"])
            vm.pid = vm.list_entry.get("pid", vm.pid)
        st = fx.get(f"qemu_status_current_{vmid}.json")
        if st:
            vm.status_data = st["data"]
        ag = fx.get(f"qemu_agent_network_get_interfaces_{vmid}.json")
        if ag:
            vm.agent_result = ag["data"]["result"]
        li = fx.get(f"lxc_interfaces_{vmid}.json")
        if li:
            vm.ifaces = li["data"]
        model.vms[vmid] = vm

    for p in need("pools.json"):
        members = None
        pf = fx.get(f"pools_poolid_{p['poolid']}.json")
        if pf:
            members = pf["data"][0]["members"]
        model.pools[p["poolid"]] = {"comment": p.get("comment", ""), "members": members}

    model.ipam = list(fx.get("sdn_ipam_pve_status.json", {}).get("data", []))
    model.zones.update(e["zone"] for e in model.ipam if "zone" in e)


def carol_config():
    """VM 102 has no config fixture; this one matches cluster_resources_vm.json."""
    return {
        "agent": "1", "boot": "order=scsi0;ide2;net0", "cipassword": "**********",
        "ciuser": "carol", "cores": 2, "cpu": "x86-64-v2-AES",
        "description": "Customer: Carol Example <carol@example.org>\n"
                       "WireGuard VPN gateway, order C-1003\n",
        "ide2": "local-lvm:vm-102-cloudinit,media=cdrom",
        "ipconfig0": "ip=192.0.2.77/24,gw=192.0.2.1", "memory": "2048",
        "meta": "creation-qemu=8.1.5,ctime=1705000000", "name": "vpn-carol",
        "nameserver": "192.0.2.53",
        "net0": "virtio=BC:24:11:3A:5F:04,bridge=vmbr0,firewall=1", "numa": 0,
        "onboot": 0, "ostype": "l26",
        "scsi0": "local-lvm:vm-102-disk-0,iothread=1,size=40G",
        "scsihw": "virtio-scsi-single",
        "smbios1": "uuid=2c4e6a8b-1d3f-4a5b-8c7d-9e0f1a2b3c4d", "sockets": 1,
        "sshkeys": "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAICAROLEXAMPLEEXAMPLEEXAMPLEEXAMPLEkey"
                   "%20carol%40desktop%0A",
        "tags": "carol", "vmgenid": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"}


# --------------------------------------------------------------------------
# Generated VMs

def generate(model, count, nnodes, seed):
    """count VMs from vmid 1000 + i, deterministic for (seed, nnodes); VM i only
    depends on the draws before it, so a bigger --generate keeps the first VMs.
    The structure is a fixed pattern, so tests can pick VMs without looking:
    node pve(i % nnodes + 1), lxc iff i % 4 == 3, stopped iff i % 5 == 4,
    qemu agent off iff i % 10 in (3, 6, 9) (so vmid 1000 is a running qemu
    VM with agent on pve1). Names, sizes, NICs, disks, tags are drawn."""
    rng = random.Random(seed)
    nodes = [f"pve{i}" for i in range(1, nnodes + 1)]
    for n in nodes:
        model.ensure_node(n)
    v4base, p4base = 198 << 24 | 18 << 16, 172 << 24 | 16 << 16
    gateways = set()
    cust, k = -1, 0
    first = last = email = poolid = ""
    for i in range(count):
        vmid = 1000 + i
        if cust < 0 or rng.random() < 0.35:          # on average 3 VMs per customer
            cust, k = cust + 1, 0
            first, last = FIRST[cust % 26], LAST[cust // 26 % 26]
            extra = str(cust // 676) if cust >= 676 else ""
            email = f"{first}.{last}{extra}@example.{('com', 'org', 'net')[cust % 3]}".lower()
            poolid = f"cust-{cust:03d}"
            model.pools[poolid] = {"comment": f"{first} {last} - contract C-{10000 + cust}",
                                   "members": None}
        k += 1
        lxc, running, node = i % 4 == 3, i % 5 != 4, nodes[i % nnodes]
        in_pool = rng.random() < 0.9
        role, slug = rng.choice(ROLES), last.lower()
        name = (f"{role}{k:02d}-{slug}" if rng.random() < 0.6
                else f"{role}{k}.{slug}-{cust}.example.net")
        tags = [t for t, p in ((f"cust{cust:03d}", 0.85),
                               (rng.choice(("prod", "staging", "dev", "test")), 0.5),
                               ("backup", 0.1)) if rng.random() < p]
        desc = (f"Customer: {first} {last} <{email}>\nContract C-{10000 + cust}\n"
                f"CANARY-DESC-{vmid}\n")

        # Addresses: a /24 of 240 hosts each in 198.18.0.0/15, one /64 per VM.
        blk, host = divmod(i, 240)
        net4 = v4base + blk * 256
        net6 = 0x20010DB8 << 96 | (0x1000 | i >> 16) << 80 | (i & 0xFFFF) << 64
        sdn = rng.random() < 0.2
        nics = [{"mac": _mac(vmid), "ip4": _ip4(net4 + 10 + host), "gw4": _ip4(net4 + 1),
                 "subnet": f"{_ip4(net4)}/24", "ip6": str(IPv6Address(net6 | 0x10)),
                 "gw6": str(IPv6Address(net6 | 1)), "bridge": "vnet1" if sdn else "vmbr0",
                 "tag": None, "firewall": rng.random() < 0.7}]
        if rng.random() < 0.3:
            nics.append({"mac": _mac(vmid | 0x800000),
                         "ip4": _ip4(p4base + blk * 256 + 10 + host), "gw4": None,
                         "subnet": None, "ip6": None, "gw6": None, "bridge": "vmbr1",
                         "tag": rng.randrange(100, 4000), "firewall": False})

        st0 = "local-lvm" if rng.random() < 0.7 else "ceph-ssd"
        st1 = "ceph-ssd" if st0 == "local-lvm" else "local-lvm"
        second_disk = rng.random() < (0.3 if lxc else 0.25)
        if lxc:
            cores, mem = rng.choice((1, 2, 4)), rng.choice((512, 1024, 2048, 4096))
            d0, d1 = rng.choice((8, 16, 32)), rng.choice((50, 100, 250))
        else:
            cores, mem = rng.choice((1, 2, 2, 4, 4, 8)), rng.choice((1024, 2048, 4096, 8192, 16384))
            d0, d1 = rng.choice((20, 32, 40, 64, 100)), rng.choice((50, 100, 200, 500))
        maxmem, maxdisk = mem * MiB, d0 * GiB
        if running:
            stats = {"cpu": round(rng.uniform(0.001, 0.35), 4),
                     "mem": int(maxmem * rng.uniform(0.15, 0.9)),
                     "uptime": rng.randrange(600, 8_000_000),
                     "netin": rng.randrange(10**5, 10**10), "netout": rng.randrange(10**5, 10**10),
                     "diskread": rng.randrange(10**6, 10**11), "diskwrite": rng.randrange(10**6, 10**11),
                     "disk": int(maxdisk * rng.uniform(0.05, 0.8)) if lxc else 0}
        else:
            stats = dict.fromkeys(("cpu", "mem", "uptime", "netin", "netout",
                                   "diskread", "diskwrite", "disk"), 0)
        kind = "lxc" if lxc else "qemu"
        res = {"id": f"{kind}/{vmid}", "maxcpu": cores, "maxdisk": maxdisk, "maxmem": maxmem,
               "name": name, "node": node, "status": "running" if running else "stopped",
               "template": 0, "type": kind, "vmid": vmid, **stats}
        if tags:
            res["tags"] = ";".join(tags)
        if in_pool:
            res["pool"] = poolid

        hook = f"local:snippets/CANARY-HOOK-{vmid}.pl"
        if lxc:
            conf = {"arch": "amd64", "cores": cores, "description": desc, "hostname": name,
                    "hookscript": hook, "memory": mem,
                    "lxc": [["lxc.environment", f"CANARY_ARGS=CANARY-ARGS-{vmid}"]],
                    "onboot": int(rng.random() < 0.7),
                    "ostype": rng.choice(("debian", "ubuntu", "alpine")),
                    "rootfs": f"{st0}:vm-{vmid}-disk-0,size={d0}G",
                    "swap": rng.choice((0, 512)), "unprivileged": 1}
            if rng.random() < 0.5:
                conf["features"] = "nesting=1"
            if second_disk:
                conf["mp0"] = f"{st1}:vm-{vmid}-disk-1,mp=/srv/data,backup=1,size={d1}G"
            for j, n in enumerate(nics):
                parts = [f"name=eth{j}", f"bridge={n['bridge']}"]
                parts += ["firewall=1"] if n["firewall"] else []
                parts += [f"gw={n['gw4']}"] if n["gw4"] else []
                parts += [f"gw6={n['gw6']}"] if n["gw6"] else []
                parts += [f"hwaddr={n['mac']}", f"ip={n['ip4']}/24"]
                parts += [f"ip6={n['ip6']}/64"] if n["ip6"] else []
                parts += [f"tag={n['tag']}"] if n["tag"] else []
                conf[f"net{j}"] = ",".join(parts + ["type=veth"])
        else:
            ciuser = rng.choice(("debian", "ubuntu", "admin"))
            key = base64.b64encode(hashlib.sha256(b"%d" % vmid).digest()).decode()[:43]
            conf = {"args": f"-fw_cfg name=opt/CANARY-ARGS-{vmid}", "boot": "order=scsi0;ide2;net0",
                    "cicustom": f"user=local:snippets/CANARY-CICUSTOM-{vmid}.yml",
                    "ciuser": ciuser, "cores": cores,
                    "cpu": rng.choice(("x86-64-v2-AES", "host")), "description": desc,
                    "hookscript": hook, "ide2": f"{st0}:vm-{vmid}-cloudinit,media=cdrom",
                    "memory": str(mem), "meta": f"creation-qemu=8.1.5,ctime={1690000000 + 3607 * i}",
                    "name": name, "numa": 0, "onboot": int(rng.random() < 0.7), "ostype": "l26",
                    "scsi0": f"{st0}:vm-{vmid}-disk-0,iothread=1,size={d0}G",
                    "scsihw": "virtio-scsi-single",
                    "smbios1": f"uuid={uuid.UUID(int=rng.getrandbits(128), version=4)}",
                    "sockets": 1,
                    "sshkeys": quote(f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{key} "
                                     f"CANARY-SSHKEY-{vmid}\n", safe=""),
                    "vmgenid": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
            if i % 10 not in (3, 6, 9):
                conf["agent"] = "1" if rng.random() < 0.85 else "enabled=1,fstrim_cloned_disks=1"
            elif i % 10 == 6:                            # else: no agent line at all
                conf["agent"] = "0"
            if rng.random() < 0.5:
                conf["cipassword"] = "**********"
            if second_disk:
                conf["scsi1"] = f"{st1}:vm-{vmid}-disk-1,discard=on,iothread=1,size={d1}G"
            for j, n in enumerate(nics):
                net = f"virtio={n['mac']},bridge={n['bridge']}"
                net += ",firewall=1" if n["firewall"] else ""
                conf[f"net{j}"] = net + (f",tag={n['tag']}" if n["tag"] else "")
                ipc = f"ip={n['ip4']}/24" + (f",gw={n['gw4']}" if n["gw4"] else "")
                if n["ip6"]:
                    ipc += f",ip6={n['ip6']}/64,gw6={n['gw6']}"
                conf[f"ipconfig{j}"] = ipc
        if tags:
            conf["tags"] = res["tags"]
        conf["digest"] = hashlib.sha1(jbytes(conf)).hexdigest()

        vm = VM(res, conf)
        vm.nics = nics
        model.vms[vmid] = vm
        if sdn:
            model.zones.add("benchzone")
            nic = nics[0]
            model.ipam.append({"hostname": name, "ip": nic["ip4"], "mac": nic["mac"],
                               "subnet": nic["subnet"], "vmid": vmid, "vnet": "vnet1",
                               "zone": "benchzone"})
            if nic["subnet"] not in gateways:
                gateways.add(nic["subnet"])
                model.ipam.append({"gateway": 1, "ip": nic["gw4"], "subnet": nic["subnet"],
                                   "vnet": "vnet1", "zone": "benchzone"})


def guest_interfaces(vm):
    """qemu agent network-get-interfaces result for a generated VM."""
    def stats(rx, tx):
        return {"rx-bytes": rx, "rx-dropped": 0, "rx-errs": 0, "rx-packets": rx // 900 + 1,
                "tx-bytes": tx, "tx-dropped": 0, "tx-errs": 0, "tx-packets": tx // 900 + 1}
    out = [{"hardware-address": "00:00:00:00:00:00", "name": "lo",
            "ip-addresses": [{"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8},
                             {"ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128}],
            "statistics": stats(15320, 15320)}]
    for j, n in enumerate(vm.nics):
        addrs = [{"ip-address": n["ip4"], "ip-address-type": "ipv4", "prefix": 24}]
        if n["ip6"]:
            addrs.append({"ip-address": n["ip6"], "ip-address-type": "ipv6", "prefix": 64})
        addrs.append({"ip-address": _link_local(n["mac"]), "ip-address-type": "ipv6", "prefix": 64})
        rx, tx = (vm.res["netin"], vm.res["netout"]) if j == 0 else (4096, 2048)
        out.append({"hardware-address": n["mac"].lower(), "ip-addresses": addrs,
                    "name": f"ens{18 + j}", "statistics": stats(rx, tx)})
    return out


def container_interfaces(vm):
    """lxc /interfaces for a generated CT; like PVE, inet6 is the last address."""
    out = [{"hardware-address": "00:00:00:00:00:00", "hwaddr": "00:00:00:00:00:00",
            "inet": "127.0.0.1/8", "inet6": "::1/128", "name": "lo",
            "ip-addresses": [{"ip-address": "127.0.0.1", "ip-address-type": "inet", "prefix": 8},
                             {"ip-address": "::1", "ip-address-type": "inet6", "prefix": 128}]}]
    for j, n in enumerate(vm.nics):
        ll = _link_local(n["mac"])
        addrs = [{"ip-address": n["ip4"], "ip-address-type": "inet", "prefix": 24}]
        if n["ip6"]:
            addrs.append({"ip-address": n["ip6"], "ip-address-type": "inet6", "prefix": 64})
        addrs.append({"ip-address": ll, "ip-address-type": "inet6", "prefix": 64})
        mac = n["mac"].lower()
        out.append({"hardware-address": mac, "hwaddr": mac, "inet": f"{n['ip4']}/24",
                    "inet6": f"{ll}/64", "ip-addresses": addrs, "name": f"eth{j}"})
    return out


# --------------------------------------------------------------------------
# Rendering: every hot body becomes bytes once, here.

def render(model):
    r = {}                                    # name -> Resp / dict of Resp
    vms = sorted(model.vms.values(), key=lambda v: v.vmid)
    visible = [v for v in vms if v.vmid not in model.denied]
    node_names = sorted(model.nodes, key=_natural)

    for vm in vms:
        res, running = vm.res, vm.running
        entry = {k: res[k] for k in ("cpu", "disk", "diskread", "diskwrite", "maxdisk",
                                     "maxmem", "mem", "name", "netin", "netout", "status",
                                     "uptime", "vmid")}
        entry["cpus"] = res["maxcpu"]
        if "tags" in res:
            entry["tags"] = res["tags"]
        if running:
            entry["pid"] = vm.pid
        if vm.kind == "qemu":
            entry = vm.list_entry or entry
            st = vm.status_data
            if st is None:
                st = dict(entry, ha={"managed": 0}, qmpstatus=res["status"])
                if agent_enabled(vm.conf.get("agent")):
                    st["agent"] = 1
                if running:
                    st["running-machine"], st["running-qemu"] = "pc-i440fx-8.1+pve0", "8.1.5"
                    st["nics"] = {f"tap{vm.vmid}i{j}": {"netin": res["netin"] if j == 0 else 4096,
                                                         "netout": res["netout"] if j == 0 else 2048}
                                  for j in range(max(1, len(vm.nics)))}
            vm.list_entry = entry
            vm.full_entry = dict(entry, **{k: st[k] for k in
                                           ("qmpstatus", "running-machine", "running-qemu", "nics")
                                           if k in st})
            if not agent_enabled(vm.conf.get("agent")):
                vm.r_agent_err = fail(500, NO_AGENT)
            elif not running:
                # Real PVE says "VM <vmid> is not running" here; the tests want
                # the fixture's message for stopped VMs, so that is what we send.
                vm.r_agent_err = fail(500, model.msg_agent_down)
            else:
                vm.r_agent_err = None
                if vm.agent_result is None:
                    vm.agent_result = guest_interfaces(vm)
            vm.r_agent = vm.r_agent_err or ok({"result": vm.agent_result})
        else:
            swap = vm.conf.get("swap", 0) * MiB
            entry.update(type="lxc", maxswap=swap, swap=(swap // 8 if running else 0))
            vm.list_entry = entry
            st = dict(entry, ha={"managed": 0})
            if running and vm.ifaces is None:
                vm.ifaces = container_interfaces(vm)
            vm.r_ifaces = ok(vm.ifaces if running else None)
        vm.r_config = ok(vm.conf)
        vm.r_status = ok(st)

    # Per node lists.
    r["qemu"], r["qemu_full"], r["lxc"], r["node_status"] = {}, {}, {}, {}
    r["storage"], r["storage_status"] = {}, {}
    for name in node_names:
        mine = [v for v in visible if v.node == name]
        r["qemu"][name] = ok([v.list_entry for v in mine if v.kind == "qemu"])
        r["qemu_full"][name] = ok([v.full_entry for v in mine if v.kind == "qemu"])
        r["lxc"][name] = ok([v.list_entry for v in mine if v.kind == "lxc"])
        n = model.nodes[name]
        r["node_status"][name] = ok(node_status(n))
        lst = []
        for s in STORAGES:
            total, used = storage_usage(name, s)
            d = {"active": 1, "avail": total - used, "content": s["content"], "enabled": 1,
                 "shared": s.get("shared", 0), "total": total, "type": s["type"], "used": used}
            lst.append(dict(d, storage=s["storage"], used_fraction=round(used / total, 6)))
            r["storage_status"][(name, s["storage"])] = ok(d)
        r["storage"][name] = lst

    # Cluster-wide views.
    res_vm = [v.res for v in visible]
    res_node = [{k: v for k, v in model.nodes[n].items() if k != "ssl_fingerprint"}
                | {"cgroup-mode": 2} for n in node_names]
    res_sto, res_sdn = [], []
    for n in node_names:
        for s in STORAGES:
            total, used = storage_usage(n, s)
            res_sto.append({"content": s["content"], "disk": used, "id": f"storage/{n}/{s['storage']}",
                            "maxdisk": total, "node": n, "plugintype": s["type"],
                            "shared": s.get("shared", 0), "status": "available",
                            "storage": s["storage"], "type": "storage"})
        for z in sorted(model.zones):
            res_sdn.append({"id": f"sdn/{n}/{z}", "node": n, "sdn": z, "status": "ok", "type": "sdn"})
    r["resources"] = {"": ok(res_vm + res_node + res_sto + res_sdn), "vm": ok(res_vm),
                      "node": ok(res_node), "storage": ok(res_sto), "sdn": ok(res_sdn)}
    r["nodes"] = ok([model.nodes[n] for n in node_names])
    status = [{"id": "cluster", "name": model.cluster_name, "nodes": len(node_names),
               "quorate": 1, "type": "cluster", "version": len(node_names) + 3}]
    for i, n in enumerate(node_names):
        status.append({"id": f"node/{n}", "ip": f"10.0.{i // 240}.{11 + i % 240}", "level": "",
                       "local": int(i == 0), "name": n, "nodeid": i + 1, "online": 1,
                       "type": "node"})
    r["cluster_status"] = ok(status)
    r["version"] = ok(VERSION)
    r["ipam"] = ok(model.ipam)
    r["nextid"] = next(i for i in range(100, 1 << 30) if i not in model.vms)   # lowest free

    # Pools: the fixture member lists as they are, the others from the VMs.
    members = {}
    for v in visible:
        if "pool" in v.res:
            members.setdefault(v.res["pool"], []).append(v.res)
    r["pool_data"] = {}
    for pid in sorted(model.pools):
        p = model.pools[pid]
        mem = p["members"]
        if mem is None:
            mem = members.get(pid, [])
        mem = [m for m in mem if m.get("vmid") not in model.denied]
        r["pool_data"][pid] = {"comment": p["comment"], "members": mem, "poolid": pid}
    r["pools"] = ok([{"comment": p["comment"], "poolid": pid}
                     for pid, p in r["pool_data"].items()])
    r["pool_q"] = {pid: ok([d]) for pid, d in r["pool_data"].items()}
    r["pool_legacy"] = {pid: ok({"comment": d["comment"], "members": d["members"]})
                        for pid, d in r["pool_data"].items()}
    return r


def node_status(n):
    mem, total, disk = n["mem"], n["maxmem"], n["disk"]
    return {"boot-info": {"mode": "efi", "secureboot": 0}, "cpu": n["cpu"],
            "cpuinfo": {"cores": n["maxcpu"] // 2, "cpus": n["maxcpu"], "hvm": "1",
                        "mhz": "2999.998", "model": "AMD EPYC 7543 32-Core Processor",
                        "sockets": 1, "user_hz": 100},
            "current-kernel": {"machine": "x86_64", "release": "6.8.12-4-pve",
                               "sysname": "Linux",
                               "version": "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z)"},
            "idle": 0, "ksm": {"shared": 0},
            "kversion": "Linux 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z)",
            "loadavg": ["0.52", "0.61", "0.58"],
            "memory": {"free": total - mem, "total": total, "used": mem},
            "pveversion": f"pve-manager/{VERSION['version']}/{VERSION['repoid']}",
            "rootfs": {"avail": n["maxdisk"] - disk, "free": n["maxdisk"] - disk,
                       "total": n["maxdisk"], "used": disk},
            "swap": {"free": 8 * GiB, "total": 8 * GiB, "used": 0},
            "uptime": n["uptime"], "wait": 0.0012}


def storage_usage(node, s):
    """(total, used) per node; shared storages look the same everywhere."""
    key = s["storage"] if s.get("shared") else f"{node}/{s['storage']}"
    total = s["_total"]
    return total, total * (5 + zlib.crc32(key.encode()) % 60) // 100


# --------------------------------------------------------------------------
# Faults and recording

FAULT_KINDS = ("slow", "500", "html", "truncated", "oversized", "chunked-oversized",
               "garbage", "close", "redirect")
FAULT_PARAMS = {"slow": ("delay",), "500": ("status", "message"), "oversized": ("size",),
                "chunked-oversized": ("size",)}


class Fault:
    __slots__ = ("kind", "path", "rx", "count", "delay", "size", "status", "message", "hits")


class Faults:
    def __init__(self):
        self.items = []          # newest first

    def set(self, q):
        kind = q.get("kind", "")
        if kind == "none":
            self.items.clear()
            return
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (none, {', '.join(FAULT_KINDS)})")
        f = Fault()
        f.kind, f.path, f.hits = kind, q.get("path", ""), 0
        try:
            f.rx = re.compile(f.path)
            f.count = int(q["count"]) if q.get("count") else None
            f.delay = float(q.get("delay", 5))
            f.size = int(q.get("size", 64 * MiB))
            f.status = int(q.get("status", 500))
        except (re.error, ValueError) as e:
            raise ValueError(f"bad fault parameter: {e}") from None
        f.message = q.get("message", "got timeout")
        if (f.count is not None and f.count < 1) or f.delay < 0 or not 100 <= f.status <= 999:
            raise ValueError("count must be >= 1, delay >= 0, status 100..999")
        self.items.insert(0, f)

    def take(self, path):
        for f in self.items:
            if f.rx.search(path):
                f.hits += 1
                if f.count is not None:
                    f.count -= 1
                    if f.count <= 0:
                        self.items.remove(f)
                return f
        return None

    def describe(self):
        return [dict({"kind": f.kind, "path": f.path, "count": f.count, "hits": f.hits},
                     **{k: getattr(f, k) for k in FAULT_PARAMS.get(f.kind, ())})
                for f in self.items]


class Recorder:
    """Request log (file + bounded memory) and counters. One formatted line
    and one write() per request: the benchmark makes tens of thousands."""

    def __init__(self, path, keep):
        self.file = open(path, "a", buffering=1, encoding="utf-8") if path else None
        self.lines = deque(maxlen=keep)
        self.reset()

    def reset(self):
        self.requests = self.writes = 0
        self.methods, self.statuses, self.auths = {}, {}, {}

    def add(self, req, status):
        m, write = req.method, req.method not in ("GET", "HEAD")
        secret = SECRET_RE.match(req.path) is not None
        self.requests += 1
        self.writes += write
        self.methods[m] = self.methods.get(m, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.auths[req.auth] = self.auths.get(req.auth, 0) + 1
        line = ('{"t":%.6f,"method":%s,"path":%s,"query":%s,"status":%d,"auth":"%s",'
                '"write":%s,"secret":%s}\n' % (
                    req.t, _jstr(m), _jstr(req.path), _jstr(req.query), status, req.auth,
                    "true" if write else "false", "true" if secret else "false"))
        self.lines.append(line)
        if self.file:
            self.file.write(line)

    def snapshot(self, app):
        return {"requests": self.requests, "writes": self.writes, "methods": self.methods,
                "status": {str(k): v for k, v in self.statuses.items()}, "auth": self.auths,
                "connections": app.conn_total, "open_connections": len(app.conns)}


# --------------------------------------------------------------------------
# The API

class Req:
    __slots__ = ("method", "path", "query", "v11", "headers", "keep", "t", "clen", "te",
                 "gzip", "unread", "auth", "user", "via")

    def __init__(self, method, path, query, v11, headers):
        self.method, self.path, self.query, self.v11, self.headers = method, path, query, v11, headers
        self.keep, self.t, self.clen, self.te, self.gzip, self.unread = True, 0.0, 0, None, False, False
        self.auth, self.user, self.via = "missing", None, None


class App:
    def __init__(self, model, tokens, opts):
        self.m, self.r = model, render(model)
        self.tokens = tokens                                 # tokenid -> secret
        self.users = {t.split("!", 1)[0] for t in tokens} | {"root@pam", "auditor@pve"}
        self.auth_delay, self.gzip = opts.auth_delay, not opts.no_gzip
        self.ka_max = opts.keepalive_max or (1 << 62)
        self.faults, self.rec = Faults(), Recorder(opts.log, opts.log_memory)
        self.memo, self.auth_cache = {}, {}
        self.conns, self.conn_total, self.task_seq = set(), 0, 0
        self.next_sec, self.d_mid, self.d_exp = 0, b"", b""
        self.r401 = bare(401, model.msg_no_ticket)
        self.routes = {}
        self._build_routes()

    # -- wire format ------------------------------------------------------

    def render(self, resp, v11, keep, now):
        if now >= self.next_sec:            # Date/Expires change once a second
            sec = int(now)
            d = formatdate(sec, usegmt=True).encode()
            self.d_mid = b"\r\nDate: " + d + b"\r\nPragma: no-cache\r\nServer: pve-api-daemon/3.0\r\n"
            self.d_exp = b"Expires: " + d + b"\r\n"
            self.next_sec = sec + 1
        return b"".join((b"HTTP/1.1 " if v11 else b"HTTP/1.0 ", resp.sline,
                         b"\r\nCache-Control: max-age=0\r\nConnection: ",
                         b"Keep-Alive" if keep else b"close", self.d_mid, resp.pre,
                         self.d_exp, resp.post, b"\r\n", resp.body))

    # -- authentication ---------------------------------------------------

    def authenticate(self, req):
        h = req.headers
        key = (h.get("authorization"), h.get("cookie"))
        a = self.auth_cache.get(key)
        if a is None:
            a = self._auth(*key)
            if len(self.auth_cache) > 4096:
                self.auth_cache.clear()
            self.auth_cache[key] = a
        req.auth, req.user, req.via = a[0], a[1], a[2]
        return a[3]

    @staticmethod
    def _extract(header, key):
        # PVE::APIServer::Formatter::extract_auth_value
        if not header:
            return None
        m = re.search(r"(?:^|\s)" + re.escape(key) + r"(?:=|\s)(\S+)(?:\s*;|$)", header)
        return unquote(m.group(1)) if m else None

    def _auth(self, authz, cookie):
        ticket = self._extract(cookie, "PVEAuthCookie") or self._extract(authz, "PVEAuthCookie")
        if ticket:
            if ticket == self.m.ticket_data["ticket"]:
                return ("ok", self.m.ticket_data.get("username", "auditor@pve"), "ticket", None)
            return ("bad", None, "ticket", bare(401, "permission denied - invalid PVE ticket"))
        token = self._extract(authz, "PVEAPIToken")
        if token is None:
            return ("missing", None, None, self.r401)
        tokenid, eq, secret = token.rpartition("=")       # split at the last '='
        if eq and self.tokens.get(tokenid) == secret:
            return ("ok", tokenid, "token", None)
        user, bang, name = tokenid.partition("!")
        if eq and bang and user not in self.users:
            msg = f"no such user ('{user}')"
        elif eq and bang and tokenid not in self.tokens:
            msg = f"no such token '{name}' for user '{user}'"
        else:
            msg = self.m.msg_bad_token
        return ("bad", None, "token", bare(401, msg))

    # -- request handling -------------------------------------------------

    def handle(self, req):
        """The answer to one request, checked in pve-http-server's order."""
        deny = self.authenticate(req)
        method, path = req.method, req.path
        if method not in KNOWN_METHODS:
            return bare(501, f"method '{method}' not available")
        if req.te is not None:
            te = req.te.strip()
            return bare(501, "chunked transfer encoding not supported" if te.lower() == "chunked"
                        else f"Unknown transfer encoding '{te}'")
        if not path.startswith("/api2"):
            if method == "GET" and path == "/":
                return Resp(200, "OK", GUI_PAGE, b"text/html;charset=UTF-8")
            return bare(501, f"no such file '{path}'")
        m = API_RE.fullmatch(path)
        if not m:
            return bare(501, "no such uri")
        fmt, rel = m.group(1), m.group(2) or "/"
        if deny is not None and (method, rel.rstrip("/")) not in NOAUTH:
            return deny
        if (req.via == "ticket" and method != "GET" and (method, rel) not in NOAUTH
                and req.headers.get("csrfpreventiontoken") != self.m.ticket_data.get("CSRFPreventionToken")):
            req.auth = "bad"
            return bare(401, "Permission denied - invalid csrf token")
        if req.clen:
            if method not in ("PUT", "POST"):
                return bare(501, f"Unexpected content for method '{method}'")
            if req.clen > MAX_POST:
                return bare(501, "for data too large")
            ctype = req.headers.get("content-type")
            ct = re.split(r"\s*[;,]\s*", ctype.strip())[0] if ctype else ""
            if ct and ct not in ("application/x-www-form-urlencoded", "application/json"):
                return bare(506, f"upload 'Content-Type '{ctype}' not implemented")
        if fmt != "json":
            return bare(501, f"no formatter for uri {rel}, {fmt}")
        if method == "GET" and not req.query:
            r = self.memo.get(rel)              # every GET body is static: cache per path
            if r is None:
                r = self.route(method, rel, {}, req)
                if len(self.memo) < MEMO_MAX:
                    self.memo[rel] = r
            return r
        return self.route(method, rel, parse_query(req.query) if req.query else {}, req)

    def route(self, method, rel, query, req):
        segs = [s for s in rel.split("/") if s]         # PVE ignores empty fragments
        norm = "/" + "/".join(segs)
        for rx, methods in self.routes.get(len(segs), ()):
            m = rx.fullmatch(norm)
            if m:
                break
        else:
            return self.not_impl(method, rel)
        ent = methods.get(method)
        if ent is None:
            return self.not_impl(method, rel)
        fn, spec = ent
        p = m.groupdict()
        errs = {}
        for k, v in p.items():
            e = PATH_CHECKS[k](self, v) if k in PATH_CHECKS else None
            if e:
                errs[k] = e
        query.pop("_dc", None)                          # ExtJS cache buster, PVE drops it
        if method == "GET":                             # write bodies are not read, so only GETs are strict
            for k, v in query.items():
                c = spec.get(k)
                if c is None:
                    errs.setdefault(k, NOT_IN_SCHEMA)
                elif (e := (c[0] if isinstance(c, tuple) else c)(v)):
                    errs.setdefault(k, e)
            for k, c in spec.items():
                if isinstance(c, tuple) and k not in query:
                    errs[k] = MISSING
        if errs:
            return fail(400, PARAM_FAILED, errs)
        res = fn({**query, **p}, req)
        return self.not_impl(method, rel) if res is None else res

    @staticmethod
    def not_impl(method, rel):
        return fail(501, f"Method '{method} {rel}' not implemented")

    def upid(self, node, dtype, vid, req):
        # UPID:node:pid:pstart:starttime:type:id:user:
        self.task_seq += 1
        now = int(time.time())
        return (f"UPID:{node}:{0x10000 + self.task_seq:08X}:{now * 100 & 0xFFFFFFFF:08X}:"
                f"{now:08X}:{dtype}:{vid}:{req.user or 'root@pam'}:")

    # -- route table --------------------------------------------------------

    def add(self, tmpl, **methods):
        segs = [s for s in tmpl.split("/") if s]
        rx = re.compile("/" + "/".join(f"(?P<{s[1:-1]}>[^/]+)" if s[0] == "{" else re.escape(s)
                                       for s in segs))
        self.routes.setdefault(len(segs), []).append((rx, methods))

    def node_err(self, node):
        if node not in self.m.nodes:
            return fail(500, f"hostname lookup '{node}' failed - failed to get address info "
                             f"for: {node}: Name or service not known\n")
        return None

    def find_vm(self, p, kind, priv="VM.Audit"):
        vmid, node = int(p["vmid"]), p["node"]
        if vmid in self.m.denied:
            return None, fail(403, self.m.msg_perm.format(path=f"/vms/{vmid}", priv=priv))
        e = self.node_err(node)
        if e:
            return None, e
        vm = self.m.vms.get(vmid)
        if vm is None or vm.node != node or vm.kind != kind:
            return None, fail(500, f"Configuration file 'nodes/{node}/{CONFDIR[kind]}/{vmid}.conf' "
                                   "does not exist\n")
        return vm, None

    def _build_routes(self):
        m, r, add = self.m, self.r, self.add

        def const(resp):
            return lambda p, req: resp

        def index(key, names):
            return const(ok([{key: n} for n in names]))

        def on_node(fn):
            return lambda p, req: self.node_err(p["node"]) or fn(p, req)

        def on_vm(kind, fn, priv="VM.Audit"):
            def h(p, req):
                vm, e = self.find_vm(p, kind, priv)
                return e or fn(vm, p, req)
            return h

        def write(data=None):
            return lambda p, req: ok(data)

        add("/", GET=(index("subdir", ("version", "cluster", "nodes", "storage", "access", "pools")), {}))
        add("/version", GET=(const(r["version"]), {}))
        add("/cluster", GET=(index("name", ("resources", "status", "nextid", "sdn", "log",
                                            "tasks", "options", "backup", "ha")), {}))
        add("/cluster/resources", GET=(lambda p, req: r["resources"][p.get("type", "")],
                                       {"type": v_enum("vm", "storage", "node", "sdn")}))
        add("/cluster/status", GET=(const(r["cluster_status"]), {}))
        add("/cluster/nextid", GET=(self.h_nextid, {"vmid": v_int}))
        add("/cluster/sdn/ipams/{ipam}/status",
            GET=(lambda p, req: r["ipam"] if p["ipam"] == "pve"
                 else fail(500, f"ipam '{p['ipam']}' does not exist\n"), {}))

        add("/nodes", GET=(const(r["nodes"]), {}))
        add("/nodes/{node}", GET=(on_node(index("name", (
            "qemu", "lxc", "storage", "status", "network", "tasks", "syslog", "version",
            "termproxy", "vncshell", "spiceshell", "vncwebsocket", "time", "dns"))), {}))
        add("/nodes/{node}/status", GET=(on_node(lambda p, req: r["node_status"][p["node"]]), {}))
        for kind, create in (("qemu", "qmcreate"), ("lxc", "vzcreate")):
            lst = (lambda p, req: r["qemu_full" if _is_true(p.get("full", 0)) else "qemu"][p["node"]]) \
                if kind == "qemu" else (lambda p, req: r["lxc"][p["node"]])
            add(f"/nodes/{{node}}/{kind}",
                GET=(on_node(lst), {"full": v_bool} if kind == "qemu" else {}),
                POST=(on_node(lambda p, req, t=create: ok(self.upid(
                    p["node"], t, p.get("vmid", ""), req))), {}))
        add("/nodes/{node}/storage", GET=(on_node(self.h_node_storage), {
            "content": v_str, "enabled": v_bool, "format": v_bool, "storage": v_str, "target": v_str}))
        add("/nodes/{node}/storage/{storage}", GET=(on_node(lambda p, req: self.storage_err(p) or ok(
            [{"subdir": s} for s in ("status", "content", "upload", "rrd", "rrddata")])), {}))
        add("/nodes/{node}/storage/{storage}/status", GET=(on_node(
            lambda p, req: self.storage_err(p) or r["storage_status"][(p["node"], p["storage"])]), {}))
        for shell in ("termproxy", "vncshell", "spiceshell"):
            add(f"/nodes/{{node}}/{shell}", POST=(on_node(
                lambda p, req, s=shell: ok(self.console(p["node"], "vncshell", "", req, s))), {}))
        add("/nodes/{node}/vncwebsocket", GET=(on_node(lambda p, req: ok(
            {"port": p.get("port", "5900"), "ticket": f"PVEVNC:CANARY-VNCTICKET-{p['node']}"})),
            {"port": v_int, "vncticket": v_str}))

        for kind, pre in (("qemu", "qm"), ("lxc", "vz")):
            base = f"/nodes/{{node}}/{kind}/{{vmid}}"
            add(base, GET=(on_vm(kind, lambda vm, p, req, k=kind: ok(
                [{"subdir": s} for s in (QEMU_SUBDIRS if k == "qemu" else LXC_SUBDIRS)])), {}),
                DELETE=(on_vm(kind, lambda vm, p, req, t=pre + "destroy": ok(
                    self.upid(vm.node, t, vm.vmid, req)), "VM.Allocate"), {}))
            config = {"GET": (on_vm(kind, self.h_config), {"current": v_bool, "snapshot": v_str}),
                      "PUT": (on_vm(kind, lambda vm, p, req: ok(None), "VM.Config.Options"), {})}
            if kind == "qemu":
                config["POST"] = (on_vm(kind, lambda vm, p, req: ok(self.upid(
                    vm.node, "qmconfig", vm.vmid, req)), "VM.Config.Options"), {})
            add(base + "/config", **config)
            add(base + "/pending", GET=(on_vm(kind, lambda vm, p, req: ok(
                [{"key": k, "value": v} for k, v in sorted(vm.conf.items()) if k != "digest"])), {}))
            add(base + "/status", GET=(on_vm(kind, lambda vm, p, req, k=kind: ok(
                [{"subdir": s} for s in ("current",) + ACTIONS[k]])), {}))
            add(base + "/status/current", GET=(on_vm(kind, lambda vm, p, req: vm.r_status), {}))
            add(base + "/status/{action}", POST=(self.h_action(kind, pre, on_vm), {}))
            for console in ("vncproxy", "termproxy", "spiceproxy"):
                add(f"{base}/{console}", POST=(on_vm(kind, lambda vm, p, req, c=console: ok(
                    self.console(vm.node, "vncproxy", vm.vmid, req, c)), "VM.Console"), {}))
            add(base + "/vncwebsocket", GET=(on_vm(kind, lambda vm, p, req: ok(
                {"port": p.get("port", "5900"), "ticket": f"PVEVNC:CANARY-VNCTICKET-{vm.vmid}"}),
                "VM.Console"), {"port": v_int, "vncticket": v_str}))
        qbase = "/nodes/{node}/qemu/{vmid}"
        add(qbase + "/agent", GET=(on_vm("qemu", lambda vm, p, req: ok(
            [{"name": c} for c in sorted(AGENT_GET + AGENT_POST)])), {}),
            POST=(on_vm("qemu", lambda vm, p, req: vm.r_agent_err or ok({"result": {}}),
                        "VM.Monitor"), {}))
        add(qbase + "/agent/{cmd}", GET=(on_vm("qemu", self.h_agent_get, "VM.Monitor"),
                                        {"pid": v_int, "file": v_str}),
            POST=(on_vm("qemu", self.h_agent_post, "VM.Monitor"), {}))
        add(qbase + "/cloudinit/dump", GET=(on_vm("qemu", self.h_cloudinit),
                                            {"type": (v_enum("user", "network", "meta"), True)}))
        add("/nodes/{node}/lxc/{vmid}/interfaces", GET=(on_vm("lxc", lambda vm, p, req: vm.r_ifaces), {}))

        add("/pools", GET=(self.h_pools, {"poolid": v_str, "type": v_enum("qemu", "lxc", "storage")}),
            POST=(write(), {}), PUT=(write(), {}), DELETE=(write(), {}))
        add("/pools/{poolid}", GET=(self.h_pool_legacy, {"type": v_enum("qemu", "lxc", "storage")}),
            PUT=(write(), {}), DELETE=(write(), {}))
        add("/storage", GET=(lambda p, req: ok(self.storage_cfg(p.get("type"))), {"type": v_str}),
            POST=(write(), {}))
        add("/storage/{storage}", GET=(lambda p, req: self.storage_err(p) or ok(
            self.storage_cfg(None, p["storage"])[0]), {}), PUT=(write(), {}), DELETE=(write(), {}))
        add("/access", GET=(index("subdir", ("users", "groups", "roles", "acl", "domains",
                                             "ticket", "password", "tfa", "permissions")), {}))
        add("/access/users", GET=(self.h_users, {"enabled": v_bool, "full": v_bool}), POST=(write(), {}))
        add("/access/users/{userid}", GET=(self.h_user, {}), PUT=(write(), {}), DELETE=(write(), {}))
        add("/access/domains", GET=(const(ok([
            {"comment": "Linux PAM standard authentication", "realm": "pam", "type": "pam"},
            {"comment": "Proxmox VE authentication server", "realm": "pve", "type": "pve"}])), {}))
        add("/access/ticket", GET=(const(ok(None)), {}),
            POST=(const(ok(m.ticket_data)), {}))

    # -- handlers ---------------------------------------------------------

    def h_nextid(self, p, req):
        if "vmid" in p:
            vmid = int(p["vmid"])
            if vmid in self.m.vms:
                return fail(400, PARAM_FAILED, {"vmid": f"VM {vmid} already exists\n"})
            return ok(str(vmid))
        return ok(str(self.r["nextid"]))

    def h_node_storage(self, p, req):
        lst = self.r["storage"][p["node"]]
        if "storage" in p:
            lst = [s for s in lst if s["storage"] == p["storage"]]
        if "content" in p:
            lst = [s for s in lst if p["content"] in s["content"].split(",")]
        return ok(lst)

    def storage_err(self, p):
        if not any(s["storage"] == p["storage"] for s in STORAGES):
            return fail(500, f"storage '{p['storage']}' does not exist\n")
        return None

    @staticmethod
    def storage_cfg(typ=None, sid=None):
        out = []
        for s in STORAGES:
            if (typ and s["type"] != typ) or (sid and s["storage"] != sid):
                continue
            d = {k: v for k, v in s.items() if not k.startswith("_")}
            d["digest"] = hashlib.sha1(jbytes(d)).hexdigest()
            out.append(d)
        return out

    def h_config(self, vm, p, req):
        snap = p.get("snapshot")
        if snap:
            return fail(500, f"snapshot '{snap}' does not exist\n")
        return vm.r_config

    def h_action(self, kind, pre, on_vm):
        def h(p, req):
            if p["action"] not in ACTIONS[kind]:
                return None                               # -> 501, as PVE's router
            return on_vm(kind, lambda vm, p, req: ok(self.upid(
                vm.node, pre + p["action"], vm.vmid, req)), "VM.PowerMgmt")(p, req)
        return h

    def console(self, node, dtype, vmid, req, what):
        ticket = f"PVEVNC:{int(time.time()):08X}::CANARY-VNCTICKET-{vmid or node}"
        if what in ("spiceproxy", "spiceshell"):
            return {"ca": FAKE_CERT, "delete-this-file": 1, "host": f"pvespiceproxy:CANARY-{vmid or node}",
                    "host-subject": f"OU=PVE Cluster Node,O=Proxmox Virtual Environment,CN={node}.example",
                    "password": f"CANARY-SPICE-PASSWORD-{vmid or node}", "proxy": f"http://{node}:3128",
                    "release-cursor": "Ctrl+Alt+R", "secure-attention": "Ctrl+Alt+Ins",
                    "title": f"VM {vmid}" if vmid else node, "tls-port": 61000,
                    "toggle-fullscreen": "Shift+F11", "type": "spice"}
        data = {"port": "5900", "ticket": ticket, "upid": self.upid(node, dtype, vmid, req),
                "user": req.user or "root@pam"}
        if what == "vncproxy":
            data["cert"] = FAKE_CERT
        return data

    def h_agent_get(self, vm, p, req):
        cmd = p["cmd"]
        if cmd not in AGENT_GET:
            return None
        if cmd == "network-get-interfaces" or vm.r_agent_err:
            return vm.r_agent
        v = vm.vmid
        result = {
            "get-users": {"result": [{"login-time": 1700000000.5, "user": f"CANARY-AGENT-USER-{v}"}]},
            "exec-status": {"exitcode": 0, "exited": 1, "out-data": f"CANARY-EXEC-OUT-{v}\n"},
            "file-read": {"content": f"CANARY-FILE-CONTENT-{v}\n"},
            "get-host-name": {"result": {"host-name": vm.res["name"]}},
            "get-osinfo": {"result": {"id": "debian", "kernel-release": "6.1.0-27-amd64",
                                      "kernel-version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1",
                                      "machine": "x86_64", "name": "Debian GNU/Linux",
                                      "pretty-name": "Debian GNU/Linux 12 (bookworm)",
                                      "version": "12 (bookworm)", "version-id": "12"}},
            "get-time": {"result": 1700000000000000000},
            "get-timezone": {"result": {"offset": 0, "zone": "UTC"}},
            "info": {"result": {"version": "7.2.11", "supported_commands": []}},
        }.get(cmd, {"result": []})
        return ok(result)

    def h_agent_post(self, vm, p, req):
        cmd = p["cmd"]
        if cmd not in AGENT_POST:
            return None
        if vm.r_agent_err:
            return vm.r_agent_err
        return ok({"pid": 4242} if cmd == "exec" else None if cmd == "file-write" else {"result": {}})

    def h_cloudinit(self, vm, p, req):
        c, v = vm.conf, vm.vmid
        name = c.get("name", f"VM{v}")
        if p["type"] == "user":
            keys = unquote(c.get("sshkeys", "")).strip()
            text = (f"#cloud-config\nhostname: {name}\nmanage_etc_hosts: true\nfqdn: {name}\n"
                    f"user: {c.get('ciuser', 'root')}\npassword: $5$CANARY$CANARY-CIPASSWORD-{v}\n"
                    f"ssh_authorized_keys:\n  - {keys}\nchpasswd:\n  expire: False\n"
                    "users:\n  - default\npackage_upgrade: true\n")
        elif p["type"] == "network":
            text = "version: 1\nconfig:\n"
            for j in range(8):
                net, ipc = c.get(f"net{j}"), c.get(f"ipconfig{j}", "")
                if not net:
                    continue
                mac = net.split(",")[0].split("=")[-1].lower()
                text += (f"    - type: physical\n      name: eth{j}\n      mac_address: '{mac}'\n"
                         "      subnets:\n")
                for kv in ipc.split(","):
                    k, _, val = kv.partition("=")
                    if k in ("ip", "ip6"):
                        text += f"      - type: static{'6' if k == 'ip6' else ''}\n        address: '{val}'\n"
        else:
            text = f"instance-id: {hashlib.sha1(jbytes(c)).hexdigest()}\n"
        return ok(text)

    def h_pools(self, p, req):
        pid = p.get("poolid")
        if pid is None:
            return self.r["pools"]
        d = self.r["pool_data"].get(pid)
        if d is None:
            return fail(500, f"pool '{pid}' does not exist\n")
        if "type" not in p:
            return self.r["pool_q"][pid]
        return ok([dict(d, members=[x for x in d["members"] if x.get("type") == p["type"]])])

    def h_pool_legacy(self, p, req):
        d = self.r["pool_data"].get(p["poolid"])
        if d is None:
            return fail(500, f"pool '{p['poolid']}' does not exist\n")
        if "type" not in p:
            return self.r["pool_legacy"][p["poolid"]]
        return ok({"comment": d["comment"],
                   "members": [x for x in d["members"] if x.get("type") == p["type"]]})

    def user_record(self, userid, full):
        name, _, realm = userid.partition("@")
        u = {"email": f"{name}@example.org" if realm != "pam" else "root@example.invalid",
             "enable": 1, "expire": 0, "firstname": name.capitalize(),
             "keys": f"x!CANARY-USER-KEYS-{name}", "lastname": "Example",
             "realm-type": realm, "userid": userid}
        if full:
            u["tokens"] = [{"comment": f"CANARY-TOKEN-COMMENT-{t.split('!', 1)[1]}", "expire": 0,
                            "privsep": 1, "tokenid": t.split("!", 1)[1]}
                           for t in sorted(self.tokens) if t.startswith(userid + "!")]
        return u

    def h_users(self, p, req):
        full = _is_true(p.get("full", 0))
        return ok([self.user_record(u, full) for u in sorted(self.users)])

    def h_user(self, p, req):
        uid = p["userid"]
        if uid not in self.users:
            return fail(500, f"no such user ('{uid}')\n")
        return ok(self.user_record(uid, True))

    # -- test control -----------------------------------------------------

    def emu(self, req):
        q = parse_query(req.query)
        what = req.path.strip("/").split("/", 1)[-1]
        if what == "fault":
            if "kind" in q:
                try:
                    self.faults.set(q)
                except ValueError as e:
                    return fail(400, f"{e}\n")
            return ok(self.faults.describe())
        if what == "log":
            body = "".join(self.rec.lines).encode()
            if _is_true(q.get("clear", 0)):
                self.rec.lines.clear()
            return Resp(200, "OK", body, b"application/x-ndjson")
        if what == "stats":
            snap = self.rec.snapshot(self)
            if _is_true(q.get("reset", 0)):
                self.rec.reset()
            return ok(snap)
        if what == "reset":
            self.rec.lines.clear()
            self.rec.reset()
            self.faults.items.clear()
            return ok(None)
        return fail(404, f"no such emulator endpoint '{req.path}'\n")


def _check_vmid(app, v):
    if not re.fullmatch(r"[1-9][0-9]*", v):
        return app.m.msg_vmid_format
    if int(v) < 100:
        return "value must have a minimum value of 100\n"
    if int(v) > 999999999:
        return "value must have a maximum value of 999999999\n"
    return None


PATH_CHECKS = {
    "vmid": _check_vmid,
    "node": lambda app, v: None if NODE_RE.fullmatch(v)
    else "invalid format - value does not look like a valid node name\n",
}


# --------------------------------------------------------------------------
# HTTP/1.1 server protocol

class Conn(asyncio.Protocol):
    """One client connection: a minimal HTTP/1.1 parser that handles keep-alive
    and pipelining. Requests are answered strictly in order. While a response
    is pending (a delay, a stream), the following bytes are only buffered."""
    __slots__ = ("app", "t", "buf", "busy", "closing", "req", "body_left", "chunk",
                 "ka_left", "paused", "waiter", "rpaused")

    def __init__(self, app):
        self.app, self.t, self.buf = app, None, b""
        self.busy = self.closing = self.paused = self.rpaused = False
        self.req, self.body_left, self.chunk, self.waiter = None, 0, None, None
        self.ka_left = app.ka_max

    # -- asyncio callbacks --------------------------------------------------

    def connection_made(self, transport):
        self.t = transport
        self.app.conns.add(self)
        self.app.conn_total += 1

    def connection_lost(self, exc):
        self.closing = True
        self.app.conns.discard(self)
        self._wake()

    def pause_writing(self):
        self.paused = True

    def resume_writing(self):
        self.paused = False
        self._wake()

    def _wake(self):
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    def data_received(self, data):
        self.buf = self.buf + data if self.buf else data
        if self.busy:
            if len(self.buf) > MiB and not self.rpaused:
                self.rpaused = True
                self.t.pause_reading()
        elif not self.closing:
            self.process()

    # -- parsing --------------------------------------------------------------

    def process(self):
        while not self.busy and not self.closing:
            if self.req is not None:                     # inside a request body
                if self.chunk is None:
                    n = min(self.body_left, len(self.buf))
                    self.body_left -= n
                    self.buf = self.buf[n:]
                    if self.body_left:
                        return
                elif not self._chunked():
                    return
                req, self.req = self.req, None
                self.dispatch(req)
                continue
            buf = self.buf
            if not buf:
                return
            if buf[0] in (13, 10):                       # PVE skips empty lines before a request
                self.buf = buf.lstrip(b"\r\n")
                continue
            end, skip = buf.find(b"\r\n\r\n"), 4
            lf = buf.find(b"\n\n", 0, end if end >= 0 else len(buf))
            if lf >= 0:
                end, skip = lf, 2
            if end < 0:
                if len(buf) > MAX_HEADER_SIZE + 1024:
                    self.fatal(400, "http header too large")
                return
            head, self.buf = buf[:end], buf[end + skip:]
            self.parse(head)

    def parse(self, head):
        lines = head.split(b"\n")
        m = REQ_LINE.match(lines[0])
        if not m:
            return self.fatal(400, "bad request")
        maj, mnr = int(m[3]), int(m[4])
        if maj != 1:
            return self.fatal(506, f"http protocol version {maj}.{mnr} not supported")
        if len(lines) >= MAX_HEADER_LINES:
            return self.fatal(400, f"too many http header lines (> {MAX_HEADER_LINES})")
        if len(head) - len(lines[0]) >= MAX_HEADER_SIZE:
            return self.fatal(400, "http header too large")
        hdrs, last = {}, None
        for raw in lines[1:]:
            line = raw.rstrip(b"\r")
            if line[:1] in (b" ", b"\t") and last:       # obsolete line folding
                hdrs[last] += " " + line.strip().decode("latin-1")
                continue
            k, sep, v = line.partition(b":")
            if not sep:
                return self.fatal(506, "unable to parse request header")
            k, v = k.strip().lower().decode("latin-1"), v.strip().decode("latin-1")
            hdrs[k] = f"{hdrs[k]}, {v}" if k in hdrs else v
            last = k
        target = m[2].decode("latin-1")
        if "://" in target[:10]:                         # absolute-form
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        path = path.partition("#")[0]
        if "%" in path:
            path = unquote(path, errors="replace")
        req = Req(m[1].decode("latin-1"), path, query.partition("#")[0], mnr >= 1, hdrs)
        conn = hdrs.get("connection")
        self.ka_left -= 1
        req.keep = ("close" not in conn.lower() if conn else mnr >= 1) and self.ka_left > 0
        req.gzip = self.app.gzip and "gzip" in hdrs.get("accept-encoding", "")
        te, cl = hdrs.get("transfer-encoding"), hdrs.get("content-length")
        if te is not None:
            req.te = te
            if te.strip().lower() == "chunked":         # read it, then refuse it like PVE
                self.req, self.chunk = req, [0, 0]
                return None
            req.unread = True
        elif cl is not None:
            if not cl.strip().isdigit():
                return self.fatal(400, "bad request")
            req.clen = n = int(cl)
            if n > MAX_POST:
                req.unread = True                        # refused unread; connection closes
            elif n:
                self.req, self.body_left = req, n
                return None
        self.dispatch(req)
        return None

    def _chunked(self):
        """Skip a chunked body; True once the last chunk and trailers are read."""
        st = self.chunk
        while True:
            if st[0] == 1:                               # chunk data plus CRLF
                n = min(st[1], len(self.buf))
                st[1] -= n
                self.buf = self.buf[n:]
                if st[1]:
                    return False
                st[0] = 0
                continue
            i = self.buf.find(b"\n")
            if i < 0:
                if len(self.buf) > 4096:
                    self.fatal(400, "bad request")
                return False
            line, self.buf = self.buf[:i].strip(), self.buf[i + 1:]
            if st[0] == 0:
                try:
                    size = int(line.split(b";")[0], 16)
                except ValueError:
                    self.fatal(400, "bad request")
                    return False
                st[:] = (2, 0) if size == 0 else (1, size + 2)
            elif not line:                               # end of trailers
                self.chunk = None
                return True

    # -- answering ------------------------------------------------------------

    def dispatch(self, req):
        app = self.app
        req.t = time.time()
        if req.path.startswith("/_emu"):
            return self.send(req, app.emu(req), log=False)
        fault = app.faults.take(req.path) if app.faults.items else None
        if fault is not None and fault.kind != "slow":
            app.authenticate(req)                        # for the log line only
            return self.apply_fault(req, fault)
        try:
            resp = app.handle(req)
        except Exception as e:                           # an emulator bug must not look like a hang
            traceback.print_exc()
            resp = fail(500, f"pve_emu internal error: {e}\n")
        delay = (fault.delay if fault else 0) + (app.auth_delay if resp.code == 401 else 0)
        if delay > 0:
            self.defer(self.later(req, resp, delay))
        else:
            self.send(req, resp)
        return None

    def send(self, req, resp, log=True, keep=None):
        if keep is None:
            keep = req.keep and resp.code < 400 and not req.unread   # PVE closes on errors
        if req.gzip and len(resp.body) > 1024 and resp.ctype:
            resp = resp.gzipped()
        self.t.write(self.app.render(resp, req.v11, keep, req.t))
        if log:
            self.app.rec.add(req, resp.code)
        if not keep:
            self.close()

    def fatal(self, code, reason):
        """Unparseable request: answer, log and close."""
        req = Req("-", "-", "", True, {})
        req.t = time.time()
        self.send(req, bare(code, reason), keep=False)

    def close(self):
        self.closing = True
        self.t.close()

    def defer(self, coro):
        self.busy = True
        asyncio.get_running_loop().create_task(coro)

    def _resume(self):
        self.busy = False
        if not self.closing:
            if self.rpaused:
                self.rpaused = False
                self.t.resume_reading()
            self.process()

    async def later(self, req, resp, delay):
        await asyncio.sleep(delay)
        if not self.closing:
            self.send(req, resp)
        else:                                            # it reached us: log it even unanswered
            self.app.rec.add(req, 0)
        self._resume()

    def apply_fault(self, req, f):
        k = f.kind
        if k == "close":
            self.app.rec.add(req, 0)
            return self.close()
        if k == "500":
            return self.send(req, fail(f.status, f"{f.message}\n"))
        if k == "html":
            return self.send(req, Resp(200, "OK", LOGIN_PAGE, b"text/html"))
        if k == "garbage":
            return self.send(req, Resp(200, "OK", b'{"data": [1, 2,'))
        if k == "redirect":
            return self.send(req, Resp(302, "Found", b"", None, extra=b"Location: /login\r\n"))
        if k == "truncated":
            normal = self.app.handle(req)
            body = normal.body if normal.code == 200 and len(normal.body) > 1 else \
                jbytes({"data": [{"padding": "x" * 100, "vmid": n} for n in range(30)]})
            full = Resp(200, "OK", body)
            data = self.app.render(full, req.v11, True, req.t)
            self.t.write(data[:len(data) - len(body) + len(body) // 2])
            self.app.rec.add(req, 200)
            return self.close()
        self.defer(self.stream(req, f.size, k == "chunked-oversized"))
        return None

    async def stream(self, req, size, chunked):
        """Exactly `size` bytes of valid JSON, {"data":["xxx..",...]}, written
        64 KiB at a time; the whole body is never held, and writing stops as
        soon as the client is gone."""
        try:
            size = max(size, 13)
            head = Resp(200, "OK", b"")
            head.pre = (b"Content-Type: " + JSON_CT + b"\r\nTransfer-Encoding: chunked\r\n" if chunked
                        else b"Content-Length: %d\r\nContent-Type: %s\r\n" % (size, JSON_CT))
            self.t.write(self.app.render(head, req.v11, req.keep, req.t))
            self.app.rec.add(req, 200)
            item = b'"' + b"x" * 61 + b'",'              # 64 bytes
            block = item * 1024
            n, m = divmod(size - 13, 64)                 # 13 = {"data":[ + "" + ]}
            if not await self.emit(b'{"data":[', chunked):
                return
            while n:
                k = min(n, 1024)
                n -= k
                if not await self.emit(block if k == 1024 else item * k, chunked):
                    return
            if await self.emit(b'"' + b"x" * m + b'"]}', chunked):
                if chunked:
                    self.t.write(b"0\r\n\r\n")
                if not req.keep:
                    self.close()
        finally:
            self._resume()

    async def emit(self, piece, chunked):
        if self.closing:
            return False
        self.t.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if self.paused:                                  # flow control: wait for the socket
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
            self.waiter = None
        return not self.closing


# --------------------------------------------------------------------------
# Startup

def die(msg):
    print(f"pve_emu: error: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(prog="pve_emu.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:8006", metavar="HOST:PORT",
                    help="address to listen on; port 0 picks a free one (default %(default)s)")
    ap.add_argument("--port-file", metavar="FILE",
                    help="write the bound port and a newline to FILE once listening (atomic rename)")
    ap.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS (TLS >= 1.2) with this certificate")
    ap.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    ap.add_argument("--fixtures", default=str(here.parent / "fixtures" / "proxmox"), metavar="DIR",
                    help="fixture directory (default %(default)s)")
    ap.add_argument("--no-fixtures", action="store_true", help="serve generated VMs only")
    ap.add_argument("--generate", type=int, default=0, metavar="N", help="generate N VMs (vmid 1000..)")
    ap.add_argument("--nodes", type=int, default=2, metavar="M",
                    help="generated VMs are spread over pve1..pveM (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default %(default)s)")
    ap.add_argument("--token", action="append", default=[], metavar="USER@REALM!ID=SECRET",
                    help=f"accepted API token, repeatable (default {DEFAULT_TOKEN})")
    ap.add_argument("--auth-delay", type=float, default=0.0, metavar="SECONDS",
                    help="delay before every 401 (real PVE: 3; default 0)")
    ap.add_argument("--deny-vm", type=int, action="append", default=[], metavar="VMID",
                    help="the token lacks VM.Audit on VMID: 403 on its endpoints, hidden in lists")
    ap.add_argument("--keepalive-max", type=int, default=100, metavar="N",
                    help="requests per connection before 'Connection: close', like pveproxy "
                         "(default %(default)s; 0 = unlimited)")
    ap.add_argument("--no-gzip", action="store_true",
                    help="never gzip (pveproxy gzips bodies > 1 KiB for Accept-Encoding: gzip)")
    ap.add_argument("--log", metavar="FILE", help="append one JSON line per request to FILE")
    ap.add_argument("--log-memory", type=int, default=200_000, metavar="LINES",
                    help="log lines kept for GET /_emu/log (default %(default)s)")
    ap.add_argument("--fault", action="append", default=[], metavar="SPEC",
                    help="fault active from the start: a kind, or 'kind=K&path=RE&count=N&delay=S"
                         "&size=B&status=C&message=M'; repeatable")
    opts = ap.parse_args(argv)
    if opts.no_fixtures and opts.generate <= 0:
        ap.error("--no-fixtures needs --generate N")
    if not 1 <= opts.nodes <= 9999:
        ap.error("--nodes must be 1..9999")
    if not 0 <= opts.generate <= 240 * 512:
        ap.error("--generate must be 0..122880 (the size of 198.18.0.0/15 in /24s of 240)")
    if bool(opts.tls_cert) != bool(opts.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    host, sep, port = opts.listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        ap.error(f"--listen wants HOST:PORT, got {opts.listen!r}")
    opts.host, opts.port = host.strip("[]") or "0.0.0.0", int(port)
    return opts


def build(opts):
    tokens = {}
    for spec in opts.token or [DEFAULT_TOKEN]:
        tokenid, eq, secret = spec.rpartition("=")
        if not eq or not re.fullmatch(r"[^\s:/!]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]*",
                                      tokenid):
            die(f"bad --token {spec!r}: want USER@REALM!TOKENID=SECRET")
        tokens[tokenid] = secret
    model = Model()
    model.denied = set(opts.deny_vm)
    if not opts.no_fixtures:
        try:
            load_fixtures(model, Path(opts.fixtures))
        except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
            die(f"cannot load fixtures from {opts.fixtures}: {e}")
    if opts.generate:
        generate(model, opts.generate, opts.nodes, opts.seed)
    try:
        app = App(model, tokens, opts)
    except OSError as e:
        die(f"cannot open log: {e}")
    for spec in opts.fault:
        try:
            app.faults.set(parse_query(spec) if "=" in spec else {"kind": spec})
        except ValueError as e:
            die(f"bad --fault {spec!r}: {e}")
    return app


def _quiet(loop, ctx):
    # Clients that hang up or fail the TLS handshake are normal in tests.
    exc = ctx.get("exception")
    if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
        return
    loop.default_exception_handler(ctx)


async def serve(opts, app, sslctx, started):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet)
    try:
        server = await loop.create_server(lambda: Conn(app), opts.host, opts.port, ssl=sslctx,
                                          backlog=1024, reuse_address=True)
    except OSError as e:
        die(f"cannot listen on {opts.listen}: {e.strerror or e}")
    port = server.sockets[0].getsockname()[1]
    if opts.port_file:
        tmp = f"{opts.port_file}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, opts.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheme = "https" if sslctx else "http"
    host = f"[{opts.host}]" if ":" in opts.host else opts.host
    print(f"pve_emu: {len(app.m.vms)} VMs on {len(app.m.nodes)} nodes, ready in "
          f"{time.monotonic() - started:.2f}s, listening on {scheme}://{host}:{port}/api2/json",
          file=sys.stderr, flush=True)
    await stop.wait()
    server.close()
    for c in list(app.conns):
        c.t.abort()
    if app.rec.file:
        app.rec.file.close()


def main(argv=None):
    started = time.monotonic()
    opts = parse_args(argv)
    sslctx = None
    if opts.tls_cert:
        try:
            sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            sslctx.minimum_version = ssl.TLSVersion.TLSv1_2
            sslctx.load_cert_chain(opts.tls_cert, opts.tls_key)
            sslctx.set_alpn_protocols(["http/1.1"])
        except (OSError, ssl.SSLError) as e:
            die(f"cannot load TLS certificate/key: {e}")
    app = build(opts)
    asyncio.run(serve(opts, app, sslctx, started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
