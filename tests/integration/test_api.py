#!/usr/bin/python3
"""The hoster API against the real daemon and the Proxmox emulator:
list, one VPS, lookups, nodes, freshness, problems, health, metrics."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, HOSTER_PVE_ID, run  # noqa: E402

t = Tap()


def records_by_id(doc):
    return {r["id"]: r for r in doc["records"]}


def test_list(env):
    r = env.get("/v1/vps")
    t.eq(r.status, 200, "/v1/vps answers 200")
    t.eq(r.header("Content-Type"), "application/json", "as JSON")
    doc = r.json()
    recs = records_by_id(doc)
    t.eq(sorted(recs), ["pve/100", "pve/101", "pve/102"],
         "the three fixture guests, sorted by id")
    vm = recs["pve/100"]
    t.eq(vm["node"], "pve1", "VM 100 is on pve1")
    t.eq(vm["kind"], "qemu", "VM 100 is a qemu guest")
    t.eq(vm["status"], "running", "VM 100 is running")
    t.eq([(d["storage"], d["volume"], d["size_gb"]) for d in vm["disks"]],
         [("local-lvm", "vm-100-disk-0", 40), ("ceph-ssd", "vm-100-disk-1",
                                               100)],
         "VM 100's disks with storage, volume and size, cdrom left out")
    t.eq(vm["interfaces"][0]["mac"], "bc:24:11:3a:5f:01",
         "MACs in canonical lower-case colon form")
    t.ok("203.0.113.41/24" in vm["interfaces"][0]["ips"],
         "addresses from ipconfig0", vm["interfaces"])
    ct = recs["pve/101"]
    t.eq([d["volume"] for d in ct["disks"]],
         ["vm-101-disk-0", "vm-101-disk-1"], "an LXC root disk comes first")
    for field in ("owner", "name", "hostname", "description", "tags",
                  "notes"):
        t.ok(all(field not in x for x in doc["records"]),
             "the default policy drops %s" % field)
    inv = doc["inventory"]
    t.ok(isinstance(inv["age_seconds"], int) and inv["age_seconds"] >= 0,
         "the answer says the inventory's age", inv)
    pa = inv["panels"][0]
    t.eq((pa["name"], pa["plugin"], pa["records"]), ("pve", "proxmox", 3),
         "and where it came from")
    t.eq(len(pa["policy_sha256"]), 64, "and the policy's digest")
    t.ok(isinstance(pa["refresh_ms"], int) and pa["refresh_ms"] >= 0,
         "and how long the refresh took, in whole milliseconds", pa)


def test_one(env):
    r = env.get("/v1/vps/pve/101")
    t.eq(r.status, 200, "/v1/vps/pve/101 answers 200")
    t.eq(r.json()["record"]["id"], "pve/101", "with that record")
    r = env.get("/v1/vps/pve/999")
    t.eq(r.status, 404, "an unknown VPS is 404")
    t.eq(r.header("Content-Type"), "application/problem+json",
         "as a problem document")
    p = r.json()
    t.eq(p["status"], 404, "whose status matches")
    t.contains(p["detail"], "pve/999", "and whose detail names the id")


def test_lookup(env):
    for q, want in (("ip=203.0.113.41", "pve/100"),
                    ("ip=2001:db8:400::41", "pve/100"),
                    ("ip=2001:0db8:0400:0000::0041", "pve/100"),
                    ("mac=BC-24-11-3A-5F-02", "pve/101"),
                    ("mac=bc24.113a.5f03", "pve/101"),
                    ("ip=10.20.0.71", "pve/101")):
        r = env.get("/v1/lookup?" + q)
        ids = [x["id"] for x in r.json().get("records", [])] \
            if r.status == 200 else r.status
        t.eq(ids, [want], "lookup %s finds %s" % (q, want))
    r = env.get("/v1/lookup?ip=192.0.2.250")
    t.eq(r.status, 404, "an address nobody holds: 404")
    t.contains(r.json().get("detail", ""), "192.0.2.250",
               "whose detail names the address")
    for q in ("ip=300.1.2.3", "mac=zz:00", "ip=", "foo=1", ""):
        r = env.get("/v1/lookup?" + q)
        t.eq(r.status, 400, "lookup ?%s is a 400 problem" % q)


def test_nodes(env):
    r = env.get("/v1/nodes")
    t.eq(r.status, 200, "/v1/nodes answers 200")
    nodes = {n["name"]: n for n in r.json()["nodes"]}
    t.eq(sorted(nodes), ["pve1", "pve2"], "both nodes")
    t.eq((nodes["pve1"]["vps_count"], nodes["pve2"]["vps_count"]), (2, 1),
         "with how many VPSes each holds")


def test_fresh(env):
    time.sleep(2.1)  # past min_refresh_interval
    before = len([x for x in env.emu_requests()
                  if x["path"].endswith("/cluster/resources")])
    r = env.get("/v1/vps?fresh=1")
    t.eq(r.status, 200, "?fresh=1 answers 200")
    after = len([x for x in env.emu_requests()
                 if x["path"].endswith("/cluster/resources")])
    t.eq(after, before + 1, "?fresh=1 refreshed the inventory first")
    t.eq(r.json()["inventory"]["age_seconds"], 0, "so its age is 0")
    r = env.get("/v1/vps?fresh=1")
    again = len([x for x in env.emu_requests()
                 if x["path"].endswith("/cluster/resources")])
    t.eq(again, after, "a second ?fresh=1 within the minimum interval "
         "does not call the panel again")


def test_fresh_failing(env):
    """min_refresh_interval holds when refreshes fail too: a failing panel
    is not asked again at each ?fresh=1."""
    def calls():
        return len([x for x in env.emu_requests()
                    if x["path"].endswith("/cluster/resources")])
    env.fault("500", "/cluster/resources", count=100)
    time.sleep(2.1)  # past min_refresh_interval
    before = calls()
    got = [env.get("/v1/vps?fresh=1").status for _ in range(5)]
    t.eq(got, [502] * 5, "?fresh=1 against a failing panel: 502, five times")
    t.eq(calls() - before, 1, "but the panel was asked once, not five times")
    r = env.get("/v1/vps")
    t.eq(r.status, 200, "without fresh=1 the last good inventory is served")
    t.ok(r.json()["inventory"]["panels"][0]["last_error"],
         "naming the failure", r.json()["inventory"])
    env.fault("none")
    time.sleep(2.1)
    r = env.get("/v1/vps?fresh=1")
    t.eq(r.status, 200, "once the panel is back, ?fresh=1 refreshes")
    t.eq(r.json()["inventory"]["panels"][0]["last_error"], None,
         "and the failure is forgotten")


def test_curl(env):
    """curl, the client a hoster reaches for first, over TLS with the CA."""
    curl = os.environ.get("CURL", "curl")
    base = "https://127.0.0.1:%d" % env.port
    r = run([curl, "-sS", "--fail-with-body", "--cacert", env.path("ca.pem"),
             "-H", "Authorization: Bearer " + env.token,
             base + "/v1/lookup?ip=203.0.113.41"])
    t.eq(r.returncode, 0, "curl: lookup by IP over TLS", r.stderr)
    ids = [x["id"] for x in json.loads(r.stdout or "{}").get("records", [])]
    t.eq(ids, ["pve/100"], "curl: the lookup finds VM 100")
    r = run([curl, "-sS", "--fail-with-body", "--cacert", env.path("ca.pem"),
             "-H", "Authorization: PVEAPIToken=%s=%s" % (HOSTER_PVE_ID,
                                                         env.token),
             base + "/api2/json/nodes/pve1/qemu/100/config"])
    t.eq(r.returncode, 0, "curl: a native call with PVEAPIToken", r.stderr)
    cfg = json.loads(r.stdout or "{}").get("data", {})
    t.ok("net0" in cfg and "cipassword" not in cfg and "sshkeys" not in cfg,
         "curl: the config, redacted", cfg)
    r = run([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}",
             "--cacert", env.path("ca.pem"), "-X", "POST",
             "-H", "Authorization: Bearer " + env.token,
             base + "/api2/json/nodes/pve1/qemu/100/status/stop"])
    t.eq(r.stdout, "405", "curl: a POST is refused with 405")


def test_health_metrics(env):
    r = env.get("/healthz", token=None)
    t.eq(r.status, 200, "/healthz needs no credential")
    r = env.get("/metrics")
    t.eq(r.status, 200, "/metrics answers 200")
    text = r.text()
    for name in ("sightline_requests_total", "sightline_records",
                 "sightline_refresh_duration_seconds",
                 "sightline_upstream_request_duration_seconds",
                 "sightline_policy_errors_total",
                 "sightline_event_loop_lag_seconds_count"):
        t.contains(text, name, "/metrics has " + name)
    r = env.get("/metrics", token=None)
    t.eq(r.status, 401, "/metrics needs a credential")


def test_auth(env):
    r = env.get("/v1/vps", token=None)
    t.eq(r.status, 401, "no credential: 401")
    t.ok(r.header("WWW-Authenticate") is not None, "with WWW-Authenticate")
    r = env.get("/v1/vps", token="wrong")
    t.eq(r.status, 401, "a wrong token: 401")
    r = env.get("/v1/vps", tls=True)
    t.eq(r.status, 200, "the TLS listener answers too")
    r = env.request("HEAD", "/v1/vps")
    t.eq((r.status, r.body), (200, b""), "HEAD answers without a body")
    log = env.log_text()
    t.lacks(log, env.token, "the hoster's token is never logged")
    t.contains(log, "request 127.0.0.1 noc GET /v1/vps 200",
               "each request is logged with hoster, method, path, status")


with Env("api") as env:
    env.start(panel={"min_refresh_interval": 2})
    for fn in (test_list, test_one, test_lookup, test_nodes, test_fresh,
               test_fresh_failing, test_curl, test_health_metrics,
               test_auth):
        t.run(fn, env)
    t.ok(env.alive(), "sightlined is still running")
t.done()
