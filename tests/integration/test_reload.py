#!/usr/bin/python3
"""SIGHUP and SIGTERM against the real daemon: a changed policy takes
effect at once, requests keep being answered during reloads, a broken
policy or configuration leaves the running state alone and is logged,
hoster tokens come and go, a policy that fails at request time gives a
500 problem and nothing else, and SIGTERM stops cleanly, answering what
is still pending."""
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from harness import Tap, Env, HOSTER_TOKEN, HOSTER_PVE_ID  # noqa: E402

t = Tap()

NATIVE = "/native/pve/api2/json/nodes/pve1/qemu/100/config"
OPS_TOKEN = "ops-token-fedcba9876543210"
NOC = {"name": "noc", "token_sha256": harness.sha256_hex(HOSTER_TOKEN),
       "pve_token_id": HOSTER_PVE_ID}
OPS = {"name": "ops", "token_sha256": harness.sha256_hex(OPS_TOKEN)}


class World:
    """What the test changes between reloads: the policy text, the
    panel's settings, the hosters and extra top-level keys."""

    def __init__(self, env):
        self.env = env
        self.policy_path = env.path("policy.lua")
        with open(harness.POLICY) as f:
            self.original = f.read()
        self.panel = {"policy": self.policy_path}
        self.hosters = [NOC]
        self.extra = {}
        self.token = HOSTER_TOKEN

    def write_policy(self, text):
        with open(self.policy_path, "w") as f:
            f.write(text)

    def write_config(self):
        self.env.write_config(self.env.config(panel=self.panel,
                                              hosters=self.hosters,
                                              extra=self.extra))

    def vps(self, **kw):
        return self.env.get("/v1/vps", token=self.token, **kw)

    def sha(self):
        r = self.vps()
        if r.status != 200:
            return None
        return r.json()["inventory"]["panels"][0]["policy_sha256"]

    def hup(self):
        """SIGHUP; wait until the log says how it went. Returns (ok,
        the log lines it wrote)."""
        before = self.env.log_text()
        env = self.env
        env.signal(signal.SIGHUP)

        def over():
            # A failure is logged as "reload failed..." and then one
            # "reload: REASON" line per reason: wait for those too.
            new = env.log_text()[len(before):]
            return ("configuration reloaded" in new or
                    ("reload failed" in new and
                     ("reload: " in new or "stays: " in new))) and new
        new = harness.wait_for(over, 10) or ""
        return "configuration reloaded" in new, new


def edited(text, old, new):
    if text.count(old) != 1:
        raise AssertionError("%r is not once in the policy" % old)
    return text.replace(old, new)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Hammer:
    """Requests on fresh connections in a loop, in a thread, while the
    test reloads: every one must be answered."""

    def __init__(self, env, paths, token):
        self.env, self.paths, self.token = env, paths, token
        self.results = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        i = 0
        while not self.stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                r = self.env.get(path, token=self.token, timeout=10)
                self.results.append((path, r.status))
            except Exception as e:  # noqa: BLE001
                self.results.append((path, repr(e)))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(15)
        return False


def test_policy_change(env, w):
    r = w.vps()
    t.eq(r.status, 200, "the copied policy serves /v1/vps")
    sha0 = w.sha()
    t.eq(sha0, sha256_file(w.policy_path),
         "policy_sha256 is the digest of the policy file")
    recs = r.json()["records"]
    t.ok(all("name" not in x for x in recs), "the policy commits name")
    t.ok(all("status" in x for x in recs), "and keeps status")

    keep_alive = env.connect()
    keep_alive.request("GET", "/v1/vps",
                       headers={"Authorization": "Bearer " + w.token})
    resp = keep_alive.getresponse()
    resp.read()
    t.eq(resp.status, 200, "a kept-alive connection is open before the "
         "reload")

    text = edited(w.original, "hostname = commit, name = commit,",
                  "hostname = commit, name = keep,")
    text = edited(text, "status = keep, created = keep",
                  "status = drop, created = keep")
    with Hammer(env, ["/v1/vps", "/v1/vps/pve/100", NATIVE,
                      "/v1/lookup?ip=203.0.113.41"], w.token) as h:
        time.sleep(0.2)
        w.write_policy(text)
        ok, log = w.hup()
        t.ok(ok, "SIGHUP with the edited policy: configuration reloaded",
             log)
        for _ in range(3):   # and a few more, under load
            ok2, log = w.hup()
            t.ok(ok2, "another SIGHUP under load reloads too", log)
        time.sleep(0.2)
    bad = [x for x in h.results if x[1] != 200]
    t.ok(len(h.results) >= 20 and not bad,
         "every request during the reloads was answered 200 (%d requests)"
         % len(h.results), bad[:10])

    sha1 = w.sha()
    t.ok(sha1 is not None and sha1 != sha0,
         "policy_sha256 changed", (sha0, sha1))
    t.eq(sha1, sha256_file(w.policy_path), "to the new file's digest")
    recs = w.vps().json()["records"]
    byid = {x["id"]: x for x in recs}
    t.ok(all(isinstance(x.get("name"), str) and x["name"] for x in recs),
         "the new policy's effect: every record has its name",
         [x.get("name") for x in recs])
    t.ok(all("status" not in x for x in recs),
         "and status is gone", list(byid.get("pve/100", {})))
    t.ok(sorted(byid) == ["pve/100", "pve/101", "pve/102"],
         "the inventory was carried over, redacted anew")
    r = env.get("/v1/vps/pve/101", token=w.token)
    t.ok(r.status == 200 and "name" in r.json()["record"] and
         "status" not in r.json()["record"],
         "/v1/vps/{id} uses the new policy too")

    keep_alive.request("GET", "/v1/vps",
                       headers={"Authorization": "Bearer " + w.token})
    resp = keep_alive.getresponse()
    body = resp.read()
    t.ok(resp.status == 200 and b'"name"' in body,
         "the kept-alive connection is answered after the reload, with "
         "the new policy")
    keep_alive.close()
    t.contains(env.log_text(), "reloading " + env.conf_path,
               "the log says what is reloaded")


def test_broken_policy(env, w):
    sha = w.sha()
    good = open(w.policy_path).read()
    cases = (
        ("a Lua syntax error",
         edited(good, "local keep, drop, commit = ",
                "local keep, drop, commit, = "),
         ["policy.lua:18:"]),
        ('an unknown action "reveal"',
         edited(good, 'owner = commit_ps, hostname',
                'owner = "reveal", hostname'),
         ['record.owner: unknown action "reveal"']),
        ("an unknown section",
         edited(good, "  version = 1,", "  version = 1, commitments = {},"),
         ['unknown section "commitments"']),
        ("a native endpoint the plugin does not allow",
         edited(good, '["/version"] =', '["/access/users"] = "keep", '
                '["/version"] ='),
         ['native["/access/users"]: not an endpoint']),
        ("a record hook that fails on the current records",
         edited(good, "notes = commit,\n    tags = commit,",
                'notes = function(v, p) error("hook exploded") end, '
                'tags = commit,'),
         ["on the current records", "hook exploded"]),
    )
    for desc, text, needles in cases:
        with Hammer(env, ["/v1/vps", "/healthz"], w.token) as h:
            w.write_policy(text)
            ok, log = w.hup()
            time.sleep(0.05)
        t.ok(not ok and "reload failed, the running configuration stays"
             in log, "%s: the reload fails" % desc, log)
        t.contains(log, w.policy_path, "%s: the log names the policy file"
                   % desc)
        for n in needles:
            t.contains(log, n, "%s: the log names the error (%s)" % (desc, n))
        t.ok(h.results and all(x[1] == 200 for x in h.results),
             "%s: requests during the reload were answered" % desc,
             [x for x in h.results if x[1] != 200][:5])
        t.eq(w.sha(), sha, "%s: the old policy stays (same policy_sha256)"
             % desc)
        recs = w.vps().json()["records"]
        t.ok(len(recs) == 3 and all("name" in x for x in recs),
             "%s: and its effect stays" % desc)
    w.write_policy(good)
    t.ok(env.alive(), "sightlined survived the broken policies")


def test_broken_config(env, w):
    sha = w.sha()
    cases = (
        ("an unknown top-level key", {}, {"colour": "blue"},
         [env.conf_path + ": colour: unknown key"]),
        ("an unknown panel key", {"colour": "blue"}, {},
         ["panels[1].colour: unknown key"]),
        ("a panel timeout of the wrong type", {"timeout": "fast"}, {},
         ["panels[1].timeout: expected a number of seconds"]),
        ("a hoster without credential", None, {},
         ["hosters[2]: needs token_sha256 or cert_cn"]),
        ("a policy file that does not exist",
         {"policy": env.path("nonexistent.lua")}, {},
         ["nonexistent.lua"]),
    )
    for desc, panel, extra, needles in cases:
        saved = (dict(w.panel), list(w.hosters), dict(w.extra))
        if panel is None:
            w.hosters = w.hosters + [{"name": "nobody"}]
        else:
            w.panel.update(panel)
        w.extra.update(extra)
        w.write_config()
        ok, log = w.hup()
        t.ok(not ok and "reload failed, the running configuration stays"
             in log, "%s: the reload fails" % desc, log)
        for n in needles:
            t.contains(log, n, "%s: the log names it with its key path (%s)"
                       % (desc, n))
        t.eq(w.sha(), sha, "%s: the old state stays" % desc)
        t.eq(w.vps().status, 200, "%s: still answering" % desc)
        w.panel, w.hosters, w.extra = saved
    w.write_config()
    ok, log = w.hup()
    t.ok(ok, "the repaired configuration reloads", log)
    t.ok(env.alive(), "sightlined survived the broken configurations")


def test_hosters(env, w):
    t.eq(env.get("/v1/vps", token=OPS_TOKEN).status, 401,
         "the ops token is not valid yet")
    w.hosters = [NOC, OPS]
    w.write_config()
    ok, log = w.hup()
    t.ok(ok, "a reload adding hoster ops", log)
    t.eq(env.get("/v1/vps", token=OPS_TOKEN).status, 200,
         "the new token works at once")
    t.eq(env.get("/v1/vps", token=HOSTER_TOKEN).status, 200,
         "the old one still does")
    t.contains(env.log_text(), "request 127.0.0.1 ops GET /v1/vps 200",
               "requests are logged under the new hoster's name")
    w.hosters = [OPS]
    w.token = OPS_TOKEN
    w.write_config()
    ok, log = w.hup()
    t.ok(ok, "a reload removing hoster noc", log)
    r = env.get("/v1/vps", token=HOSTER_TOKEN)
    t.eq(r.status, 401, "the removed token is refused: 401")
    t.eq(r.header("Content-Type"), "application/problem+json",
         "as a problem document")
    r = env.get(NATIVE, token=HOSTER_TOKEN)
    t.eq(r.status, 401, "on native paths too")
    t.eq(env.get("/v1/vps", token=OPS_TOKEN).status, 200,
         "the remaining token works")


def test_request_time_policy_error(env, w):
    before = w.sha()
    pe0 = policy_errors(env, w)
    text = edited(open(w.policy_path).read(),
                  '["/nodes/{node}/qemu/{vmid}/config"] = '
                  '{ data = qemu_config },',
                  '["/nodes/{node}/qemu/{vmid}/config"] = { data = { '
                  'memory = keep, scsihw = keep, sockets = keep, '
                  'cores = function(v, p) error("native hook exploded") end, '
                  'boot = keep, ostype = keep } },')
    w.write_policy(text)
    ok, log = w.hup()
    t.ok(ok, "a policy whose native hook raises loads (it raises later)",
         log)
    t.ok(w.sha() != before, "and is in force")
    for path in (NATIVE, "/api2/json/nodes/pve1/qemu/100/config"):
        r = env.get(path, token=w.token)
        t.eq(r.status, 500, "%s: a hook that raises gives 500" % path)
        t.eq(r.header("Content-Type"), "application/problem+json",
             "as a problem document")
        p = r.json()
        t.eq(p.get("type"), "urn:sightline:problem:policy-error",
             "type policy-error")
        t.ok(set(p) <= {"type", "title", "status", "detail", "data"} and
             p.get("data") is None,
             "nothing but the problem: no partial output", p)
        t.ok(all(s not in r.text() for s in ("virtio-scsi-single", "2048",
                                               "l26", "order=scsi0")),
             "no value of the config leaks into the answer", r.text())
        t.lacks(p.get("detail", ""), "native hook exploded",
                "the hook's message (it could quote a value) stays out "
                "of the answer")
        t.contains(p.get("detail", ""), "sightlined's log",
                   "the detail says where the reason is")
        t.contains(p.get("detail", ""), "/nodes/{node}/qemu/{vmid}/config",
                   "and on which endpoint")
    t.eq(policy_errors(env, w), pe0 + 2,
         "/metrics counts both policy errors")
    t.contains(env.log_text(), "native hook exploded",
               "the log names the policy error")
    r = env.get("/native/pve/api2/json/nodes/pve2/lxc/101/config",
                token=w.token)
    t.eq(r.status, 200, "other endpoints of the same policy still answer")
    t.eq(w.vps().status, 200, "and so does /v1/vps")


def policy_errors(env, w):
    for line in env.get("/metrics", token=w.token).text().splitlines():
        if line.startswith('sightline_policy_errors_total{panel="pve"}'):
            return float(line.split()[-1])
    return 0.0


def test_sigterm(env, w):
    env.fault("slow", "/qemu/100/config$", count=5, delay=6)
    slow = {}

    def slow_call():
        start = time.monotonic()
        try:
            r = env.get("/native/pve/api2/json/nodes/pve1/qemu/100/config",
                        token=w.token, timeout=15)
            slow["status"] = r.status
            slow["type"] = r.header("Content-Type")
            slow["body"] = r.text()
        except Exception as e:  # noqa: BLE001
            slow["error"] = repr(e)
        slow["seconds"] = time.monotonic() - start

    th = threading.Thread(target=slow_call, daemon=True)
    th.start()
    # The call is pending once the emulator has it (it logs it later).

    def hit():
        st, body = env.emu_get("/_emu/fault")
        return st == 200 and any(f.get("hits", 0) >= 1
                                 for f in json.loads(body)["data"])
    t.ok(harness.wait_for(hit, 5), "the panel got the call")
    time.sleep(0.1)
    t.ok(th.is_alive(), "a native call is pending on a slow panel")
    start = time.monotonic()
    env.signal(signal.SIGTERM)
    try:
        rc = env.daemon.wait(10)
    except Exception:  # noqa: BLE001
        rc = None
    took = time.monotonic() - start
    t.eq(rc, 0, "SIGTERM: sightlined exits with status 0")
    t.ok(took < 3, "within a few seconds", "took %.2f s" % took)
    th.join(12)
    t.ok(not th.is_alive(), "the pending request did not hang")
    t.ok(slow.get("status") in (200, 503),
         "the pending request was answered (503 or the answer)", slow)
    if slow.get("status") == 503:
        t.eq(slow.get("type"), "application/problem+json",
             "a 503 problem document")
        t.contains(slow.get("body", ""), "shutting down",
                   "saying sightlined is shutting down")
    log = env.log_text()
    t.contains(log, "stopping on signal 15", "the log says it stops on "
               "SIGTERM")
    t.ok(log.rstrip().endswith("stopped"), "and ends with \"stopped\"",
         log[-300:])
    env.daemon = None


def test_reload_during_fresh(env, w):
    """A reload while ?fresh=1 waits on the panel: the request is
    answered, by the old state, and the daemon lives on (the old state
    used to be freed under the refresh that was waking it)."""
    w.write_policy(w.original)
    w.panel["min_refresh_interval"] = 0
    w.write_config()
    ok, log = w.hup()
    t.ok(ok, "reload with min_refresh_interval = 0", log)
    env.fault("slow", "/cluster/resources", count=1, delay=1.5)
    res = {}

    def fresh():
        res["r"] = env.get("/v1/vps?fresh=1", token=w.token, timeout=20)
    th = threading.Thread(target=fresh)
    th.start()
    time.sleep(0.5)
    ok, log = w.hup()
    t.ok(ok, "a reload while ?fresh=1 waits on a slow panel", log)
    th.join(20)
    r = res.get("r")
    t.eq(r and r.status, 200, "the waiting ?fresh=1 is answered")
    time.sleep(0.3)
    t.ok(env.alive(), "sightlined survives the old state going away "
         "under its refresh")
    t.eq(w.vps().status, 200, "and the new state answers")
    del w.panel["min_refresh_interval"]
    w.write_config()
    ok, log = w.hup()
    t.ok(ok, "back to the default min_refresh_interval", log)


def test_secrets(env, w):
    log = env.log_text()
    for s, what in ((HOSTER_TOKEN, "the noc token"),
                    (OPS_TOKEN, "the ops token"),
                    (harness.PVE_TOKEN.rsplit("=", 1)[1],
                     "the upstream secret"),
                    ("CANARY-", "a CANARY- value")):
        t.lacks(log, s, "%s is not in the log" % what)
        t.lacks(env.daemon_output(), s, "%s is not in the daemon output"
                % what)


with Env("reload") as env:
    env.start_emulator()
    w = World(env)
    shutil.copy(harness.POLICY, w.policy_path)
    w.write_config()
    env.start_daemon()
    for fn in (test_policy_change, test_broken_policy, test_broken_config,
               test_hosters, test_request_time_policy_error,
               test_reload_during_fresh):
        t.run(fn, env, w)
    t.ok(env.alive(), "sightlined is still running after every reload")
    t.run(test_sigterm, env, w)
    t.run(test_secrets, env, w)
t.done()
