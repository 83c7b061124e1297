#!/usr/bin/python3
"""SolusVM 1 against the real daemon over real sockets (TLS to the
hoster, TLS to the emulator, tests/emu/solusvm1_emu.py): the inventory in
JSON and in XML, lookups, nodes, native calls redacted, every write and
secret action refused before the panel sees it, wrong credentials and a
refused caller address as clear upstream-refused errors, faults and
recovery, and no canary or credential in any answer or log line."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from harness import Tap, Env  # noqa: E402

harness.EMULATOR = os.path.join(harness.SRCDIR, "tests", "emu",
                                "solusvm1_emu.py")
harness.FIXTURES = os.path.join(harness.SRCDIR, "tests", "fixtures",
                                "solusvm1")
POLICY = os.path.join(harness.SRCDIR, "policies", "solusvm1.lua")
API_KEY = "CANARY-APIKEY-0123456789abcdef"
CREDS = "id=sightline&key=" + API_KEY
NATIVE = "/native/svm/api/admin/command.php?"

t = Tap()
seen = []       # every answer, checked for canaries at the end

# panels.md 2.5: writes, password oracles and secret reads.
REFUSED = [
    "vserver-vnc", "vserver-console", "vserver-create", "vserver-boot",
    "vserver-reboot", "vserver-shutdown", "vserver-suspend",
    "vserver-unsuspend", "vserver-terminate", "vserver-rebuild",
    "vserver-addip", "vserver-delip", "vserver-change",
    "vserver-changeowner", "vserver-change-memory", "vserver-change-hdd",
    "vserver-bandwidth", "vserver-hostname", "vserver-rootpassword",
    "vserver-vncpass", "vserver-bootorder", "vserver-mountiso",
    "vserver-unmountiso", "vserver-tun-enable", "vserver-tun-disable",
    "vserver-network-enable", "vserver-network-disable", "vserver-pae",
    "client-create", "client-updatepassword", "client-delete",
    "reseller-create", "reseller-delete", "client-authenticate",
    "vserver-authenticate", "client-list", "node-iplist", "listplans",
]


def get(env, path, **kw):
    r = env.get(path, **kw)
    seen.append("%d %r %s" % (r.status, r.headers, r.text()))
    return r


def problem(r, status, needles, desc):
    t.eq(r.status, status, "%s: %d" % (desc, status))
    try:
        p = r.json()
    except ValueError:
        t.ok(False, "%s: a problem document" % desc, r.body[:300])
        return {}
    for n in ([needles] if isinstance(needles, str) else needles):
        t.contains(p.get("detail", ""), n, "%s: the detail says %r" %
                   (desc, n))
    return p


def wait_status(env, path, pred, timeout=10):
    out = []

    def probe():
        r = get(env, path)
        out[:] = [r]
        return pred(r)
    harness.wait_for(probe, timeout, 0.1)
    return out[0]


def panel(env, **kw):
    creds = env.path("solusvm1.cred")
    if not os.path.exists(creds):
        with open(creds, "w") as f:
            f.write(CREDS + "\n")
        os.chmod(creds, 0o600)
    p = {"name": "svm", "plugin": "solusvm1", "credentials": creds,
         "policy": POLICY, "timeout": 2, "min_refresh_interval": 0,
         "max_body_bytes": 1048576}
    p.update(kw)
    return p


def start(env, emu_args=(), **kw):
    env.start(emu_args=emu_args, panel=panel(env, **kw))


def restart(env, wait_inventory=False, **kw):
    t.eq(env.stop_daemon(), 0, "the previous sightlined exited with 0")
    env.write_config(env.config(panel=panel(env, **kw)))
    env.start_daemon(wait_inventory=wait_inventory)


def records(env, path="/v1/vps"):
    r = get(env, path)
    return {x["id"]: x for x in r.json().get("records", [])}


# ---- inventory ----

def test_inventory(env, how):
    recs = records(env)
    t.eq(sorted(recs), ["svm/201", "svm/202", "svm/203"],
         "%s: the three fixture VPSes" % how)
    a, b, c = recs["svm/201"], recs["svm/202"], recs["svm/203"]
    t.eq((a["node"], a["kind"], a["status"], a["memory_mb"], a["disk_gb"],
          a["bandwidth_gb"]), ("hv02", "qemu", "running", 2048, 40, 1024),
         "%s: Alice's VPS: node, type, state, sizes" % how)
    t.eq(b["interfaces"], [{"mac": "00:16:3e:31:00:ca", "ips": [
        "198.51.100.42", "198.51.100.43", "2001:db8:200::42"],
        "bridge": None, "vlan": None}],
        "%s: Bob's VPS: its MAC and every address of vserver-infoall" % how)
    t.eq((c["kind"], c["status"], c["interfaces"][0]["mac"],
          c["interfaces"][0]["ips"]),
         ("openvz", "stopped", None, ["203.0.113.32", "2001:db8:300::32",
                                      "10.8.0.32"]),
         "%s: Carol's container: no MAC (<mac></mac>), internal IPs" % how)
    for f in ("owner", "hostname", "name", "notes", "tags"):
        t.ok(all(f not in x for x in recs.values()),
             "%s: the default policy drops %s" % (how, f))
    for q, want in (("ip=198.51.100.43", "svm/202"),
                    ("ip=2001:0db8:0300::0032", "svm/203"),
                    ("ip=10.8.0.32", "svm/203"),
                    ("mac=00-16-3E-31-00-C9", "svm/201")):
        r = get(env, "/v1/lookup?" + q)
        ids = [x["id"] for x in r.json().get("records", [])] \
            if r.status == 200 else r.status
        t.eq(ids, [want], "%s: lookup %s finds %s" % (how, q, want))
    t.eq(get(env, "/v1/lookup?ip=192.0.2.254").status, 404,
         "%s: an unknown address is 404" % how)
    nodes = {n["name"]: n for n in get(env, "/v1/nodes").json()["nodes"]}
    t.eq({k: (n["vps_count"], n["memory_mb"], n["disk_gb"])
          for k, n in nodes.items()},
         {"hv01": (0, 131072, 1862), "hv02": (3, 262144, 3724)},
         "%s: nodes with capacity and VPS counts" % how)


def test_asked_format(env, want_rdtype):
    qs = [x["query"] for x in env.emu_requests()
          if "action=node-idlist" in x["query"]]
    t.ok(qs and all(("rdtype=json" in q) == want_rdtype for q in qs),
         "sightlined asks rdtype=json: %s" % want_rdtype, qs[:4])
    t.ok(all("&type=" in q for q in qs) and
         any("type=xen%20hvm" in q for q in qs),
         "node-idlist for every node type, \"xen hvm\" encoded", qs[:4])


# ---- native calls ----

def test_native(env):
    r = get(env, NATIVE + "action=vserver-infoall&vserverid=202")
    t.eq(r.status, 200, "native vserver-infoall answers 200")
    d = r.json()
    t.eq((d.get("status"), d.get("state"), d.get("mainipaddress")),
         ("success", "online", "198.51.100.42"), "with the VPS's state")
    t.ok(not any(k.endswith("graph") for k in d),
         "graph paths dropped by the policy", d)
    r = get(env, NATIVE + "action=node-virtualservers&nodeid=2")
    vs = r.json().get("virtualservers", [])
    t.eq(len(vs), 3, "native node-virtualservers lists three VPSes")
    t.ok(all("hostname" not in v and "clientid" not in v and
             v.get("ctid-xid") for v in vs),
         "hostname and clientid dropped, ctid-xid kept", vs)
    r = get(env, NATIVE + "action=node-statistics&nodeid=2")
    d = r.json()
    t.ok(r.status == 200 and "sshport" not in d and
         str(d.get("memorylimit")) == "274877906944",
         "node-statistics: sshport dropped, capacities kept", d)
    r = get(env, NATIVE + "action=node-idlist&type=xen+hvm")
    t.eq((r.status, r.json().get("nodes")), (200, ""),
         "\"xen hvm\" as xen+hvm")
    r = get(env, NATIVE + "action=vserver-info&vserverid=999")
    problem(r, 502, ["status \"error\"", "Virtual server not found"],
            "a VPS the panel does not know")


def test_refused(env):
    before = len(env.emu_requests())
    for a in REFUSED:
        r = get(env, NATIVE + "action=%s&vserverid=202" % a)
        p = problem(r, 403, "not on the read-only allow-list",
                    "action %s" % a)
        if a in ("vserver-vnc", "vserver-console"):
            t.contains(p.get("detail", ""), "never allowed",
                       "%s: console and VNC are never allowed" % a)
    for q, why in (
            ("action=vserver-info&vserverid=202&reboot=true",
             "\"reboot\" is not allowed"),
            ("action=vserver-info&vserverid=202&key=x", "\"key\" is refused"),
            ("action=vserver-info&vserverid=202&id=x", "\"id\" is refused"),
            ("action=vserver-info&vserverid=202&action=vserver-reboot",
             "given twice"),
            ("action=vserver-info&vserverid=202%26action%3Dvserver-reboot",
             "must be a number"),
            ("action=vserver-console&vserverid=202&access=enable",
             "never allowed")):
        problem(get(env, NATIVE + q), 403, why, "refused: " + q)
    problem(get(env, "/native/svm/api/admin/../admin/command.php?"
                     "action=vserver-reboot&vserverid=202"), 403,
            "command.php only", "a path with ..")
    problem(get(env, "/native/svm/api/reseller/command.php?action=listnodes"
                     "&type=kvm"), 404, "live under /native/svm/api/admin/",
            "the reseller API")
    r = env.request("POST", NATIVE + "action=vserver-reboot&vserverid=202",
                    body=b"action=vserver-reboot&vserverid=202")
    t.eq(r.status, 405, "POST is refused (405)")
    time.sleep(0.2)
    after = env.emu_requests()[before:]
    t.eq([x["query"] for x in after], [], "the panel saw none of them")
    allq = " ".join(x["query"] for x in env.emu_requests())
    for a in REFUSED:
        t.lacks(allq, "action=%s&" % a,
                "the emulator log never saw action %s" % a)
    t.ok(not any(x["write"] or x["secret"] for x in env.emu_requests()),
         "no write and no secret call ever reached the panel")


# ---- failures ----

def test_bad_credentials(env):
    with open(env.path("wrong.cred"), "w") as f:
        f.write("id=sightline&key=WRONGKEY0123\n")
    os.chmod(env.path("wrong.cred"), 0o600)
    restart(env, credentials=env.path("wrong.cred"))
    p = problem(get(env, NATIVE + "action=vserver-info&vserverid=202"), 502,
                ["panel svm", "refused sightline's API id and key",
                 "Invalid id or key"], "a wrong API key: native call")
    t.eq(p.get("type"), "urn:sightline:problem:upstream-refused",
         "type upstream-refused")
    r = wait_status(env, "/v1/vps", lambda r: "Invalid id" in r.text())
    problem(r, 503, ["no inventory of panel svm yet",
                     "refused sightline's API id and key"],
            "a wrong API key: /v1/vps")
    t.ok(any(x["auth"] == "bad" for x in env.emu_requests()),
         "the panel saw the wrong key")
    restart(env, wait_inventory=True)
    t.eq(len(records(env)), 3, "the right key again: the inventory is back")


def test_refused_address(env):
    e2 = Env("solusvm1-ip")
    try:
        e2.start_emulator("--allow-ip", "192.0.2.1")
        e2.write_config(e2.config(panel=panel(e2)))
        e2.start_daemon(wait_inventory=False)
        r = wait_status(e2, "/v1/vps", lambda r: "allow-list" in r.text())
        problem(r, 503, ["refused sightline's address",
                         "Invalid ipaddress"],
                "a caller not on the master's API allow-list")
        problem(get(e2, NATIVE + "action=vserver-info&vserverid=202"), 502,
                "refused sightline's address", "the same, native")
        seen.append(e2.log_text())
    finally:
        e2.stop()


def test_faults(env):
    good = sorted(records(env))
    rx = "action=node-virtualservers&nodeid=2"
    for kind, needle, status in (
            ("html", "HTML page", 502),
            ("500", "answered 500", 502),
            ("garbage", "not JSON", 502),
            ("truncated", "truncated", 502),
            ("slow", "did not answer in time", 504)):
        env.fault(kind, rx, count=100, delay=4)
        problem(get(env, "/v1/vps?fresh=1"), status,
                ["refresh of panel svm failed", needle],
                "fault %s during a refresh" % kind)
        t.eq(sorted(records(env)), good,
             "fault %s: the last good inventory is still served" % kind)
        env.fault("none")
        r = wait_status(env, "/v1/vps?fresh=1", lambda r: r.status == 200)
        t.eq(r.status, 200, "fault %s cleared: a fresh refresh works" % kind)
    env.fault("html", "action=vserver-info&", count=1)
    problem(get(env, NATIVE + "action=vserver-info&vserverid=202"), 502,
            "HTML page", "an HTML page for a native call")
    env.fault("garbage", "action=vserver-info&", count=1)
    problem(get(env, NATIVE + "action=vserver-info&vserverid=202"), 502,
            "not JSON", "garbage for a native call")
    t.eq(get(env, NATIVE + "action=vserver-info&vserverid=202").status, 200,
         "and the next native call works")


def test_no_secrets(env, extra_logs):
    text = "\n".join(seen) + env.log_text() + "".join(extra_logs)
    # The access log shows a hoster's own key=x as key=REDACTED.
    t.ok(re.search(r"key=(?!REDACTED)", text) is None,
         "no key= value in any answer or log line")
    for needle in ("CANARY", API_KEY, "WRONGKEY",
                   "web01.alice.example.com", "bob-shop", "carol.test"):
        t.lacks(text, needle, "%r in no answer and no log line" % needle)


def main():
    logs = []
    with Env("solusvm1") as env:
        start(env)
        test_inventory(env, "json")
        test_asked_format(env, True)
        test_native(env)
        test_refused(env)
        test_faults(env)
        test_bad_credentials(env)
        test_refused_address(env)
        logs.append(env.log_text())
        test_no_secrets(env, [])
    with Env("solusvm1-xml") as env:
        start(env, emu_args=("--xml-only",))
        test_inventory(env, "an XML-only master, rdtype=json asked")
        test_native(env)
        logs.append(env.log_text())
    with Env("solusvm1-format-xml") as env:
        start(env, emu_args=("--xml-type", "text/xml"),
              options={"format": "xml"})
        test_inventory(env, "format = \"xml\"")
        test_asked_format(env, False)
        logs.append(env.log_text())
    with Env("solusvm1-generated") as env:
        start(env, emu_args=("--generate", "200", "--nodes", "4"))
        recs = records(env)
        t.eq(len(recs), 203, "200 generated VPSes and the fixtures")
        ips = [ip for r in recs.values() for i in r["interfaces"]
               for ip in i["ips"]]
        t.eq(len(ips), len(set(ips)), "every address belongs to one VPS")
        t.eq(sorted({r["status"] for r in recs.values()}),
             ["running", "stopped", "suspended"],
             "online, offline and disabled map to the three states")
        r = get(env, NATIVE + "action=vserver-info&vserverid=1001")
        t.lacks(r.text(), "CANARY", "a generated VPS's native answer "
                "drops the canary hostname")
        logs.append(env.log_text())
    test_no_secrets_all(logs)


def test_no_secrets_all(logs):
    text = "\n".join(seen) + "".join(logs)
    t.lacks(text, "CANARY", "no canary in any answer or any run's log")
    t.lacks(text, API_KEY, "the API key in no answer and no log")


if __name__ == "__main__":
    t.run(main)
    t.done()
