"""rest_panel.py - the integration test the REST panels (SolusVM 2, VirtFusion)
share: their emulator (tests/emu/<plugin>_emu.py) over TLS, the real
sightlined in front of it, real clients. A test script describes its panel
with a Panel and calls run(panel); see test_solusvm2.py.

What it checks: the inventory through /v1/vps, /v1/vps/{id}, /v1/lookup
and /v1/nodes (the fixture customers Alice, Bob, Carol with their IPs,
MACs and node; every generated VPS, over several pages); native calls
redacted by the default policy; every write and secret endpoint refused
and never seen by the emulator; no canary secret or token in any answer,
in sightlined's log or in /metrics; a wrong token as an upstream-refused
error; faults (HTML, 500, garbage, truncated, slow) as clear errors, and
recovery.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Tap, Env  # noqa: E402


class Panel:
    """plugin, name (the configured panel name), token (the emulator's),
    gen (VPSes to generate), alice/bob/carol: (native id, [ips], mac, node),
    native_ok: [(path, [strings the answer must hold], [must lack])],
    refused: [(method, path)], secret_rx: what the emulator must never see,
    list_re: a regex matching the server listing's path, detail_re: one
    VPS's follow-up call, leaks: fixture secrets that must never show."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class RestEnv(Env):
    def __init__(self, panel):
        super().__init__(panel.plugin)
        self.panel = panel
        self.cred_path = self.path("panel.token")
        self.set_token(panel.token)

    def set_token(self, token):
        with open(self.cred_path, "w") as f:
            f.write(token + "\n")
        os.chmod(self.cred_path, 0o600)

    def start_emulator(self, *args, tls=True, log=True, timeout=60):
        saved = harness.EMULATOR, harness.FIXTURES
        harness.EMULATOR = os.path.join(harness.SRCDIR, "tests", "emu",
                                        self.panel.plugin + "_emu.py")
        harness.FIXTURES = os.path.join(harness.SRCDIR, "tests", "fixtures",
                                        self.panel.plugin)
        try:
            super().start_emulator(*args, tls=tls, log=log, timeout=timeout)
        finally:
            harness.EMULATOR, harness.FIXTURES = saved

    def config(self, panel=None, **kw):
        p = {"name": self.panel.name, "plugin": self.panel.plugin,
             "credentials": self.cred_path,
             "policy": os.path.join(harness.SRCDIR, "policies",
                                    self.panel.plugin + ".lua"),
             "timeout": 2, "min_refresh_interval": 0}
        p.update(panel or {})
        return super().config(panel=p, **kw)


def run(panel):
    t = Tap()
    seen = []

    def get(env, path, **kw):
        r = env.get(path, **kw)
        seen.append("%d %r %s" % (r.status, r.headers, r.text()))
        return r

    def problem(r, status, needles, desc):
        t.eq(r.status, status, "%s: %d" % (desc, status), r.text()[:400])
        try:
            p = r.json()
        except ValueError:
            t.ok(False, "%s: a JSON problem" % desc, r.body[:300])
            return {}
        for n in ([needles] if isinstance(needles, str) else needles):
            t.contains(p.get("detail", ""), n, "%s: the detail says %r" % (desc, n))
        return p

    def rid(native):
        return "%s/%s" % (panel.name, native)

    def test_inventory(env):
        r = get(env, "/v1/vps")
        t.eq(r.status, 200, "/v1/vps answers 200")
        recs = {x["id"]: x for x in r.json()["records"]}
        t.eq(len(recs), 3 + panel.gen, "every VPS of every page: %d records" % (3 + panel.gen))
        for who in ("alice", "bob", "carol"):
            nid, ips, mac, node = getattr(panel, who)
            x = recs.get(rid(nid), {})
            t.eq((x.get("node"), x.get("interfaces", [{}])[0].get("mac"),
                  sorted(i for f in x.get("interfaces", []) for i in f["ips"])),
                 (node, mac, sorted(ips)), "%s: node, MAC and IPs as the fixtures say" % who)
            for k in ("owner", "hostname", "name", "notes"):
                t.ok(k not in x, "%s: %s is not shown" % (who, k))
        t.eq(recs.get(rid(panel.carol[0]), {}).get("status"), "suspended",
             "Carol's VPS is suspended")
        gen = recs.get(rid(1000 + panel.gen - 1))
        t.ok(gen is not None and len(gen["disks"]) == 1 and gen["disks"][0]["size_gb"],
             "the last generated VPS is there, with its disk", gen)
        r = get(env, "/v1/vps/" + rid(panel.bob[0]))
        t.eq((r.status, r.json()["record"].get("id") if r.status == 200 else None),
             (200, rid(panel.bob[0])), "/v1/vps/{id} answers Bob's VPS")
        for q, want in (("ip=" + panel.alice[1][0].split("/")[0], rid(panel.alice[0])),
                        ("ip=" + panel.bob[1][-1].split("/")[0], rid(panel.bob[0])),
                        ("mac=" + panel.carol[2].upper(), rid(panel.carol[0]))):
            r = get(env, "/v1/lookup?" + q)
            t.eq([x["id"] for x in r.json().get("records", [])] if r.status == 200 else r.status,
                 [want], "lookup %s finds %s" % (q, want))
        r = get(env, "/v1/lookup?ip=192.0.2.250")
        t.eq(r.status, 404, "lookup of an address nobody holds: 404")
        r = get(env, "/v1/nodes")
        nodes = {n["name"]: n for n in r.json().get("nodes", [])}
        t.ok(r.status == 200 and panel.alice[3] in nodes and panel.bob[3] in nodes,
             "/v1/nodes lists the fixture nodes", r.text()[:500])
        t.eq(sum(n.get("vps_count", 0) for n in nodes.values()), 3 + panel.gen,
             "and every VPS is on one of them")
        t.ok(all("encryptedToken" not in n for n in nodes.values()), "no node token shown")

    def test_native(env):
        root = "/native/%s/api/v1" % panel.name
        for path, has, lacks in panel.native_ok:
            r = get(env, root + path)
            t.eq(r.status, 200, "native %s answers 200" % path, r.text()[:300])
            for s in has:
                t.contains(r.text(), s, "native %s shows %s" % (path, s))
            for s in lacks:
                t.lacks(r.text(), s, "native %s hides %s" % (path, s))

    def test_refused(env):
        root = "/native/%s/api/v1" % panel.name
        # The emulator logs a request just after answering it: let the
        # log catch up with the calls before these.
        harness.wait_for(lambda: False, 0.5)
        before = len(env.emu_requests())
        for method, path in panel.refused:
            r = env.request(method, root + path)
            seen.append(r.text())
            t.ok(r.status in (403, 404, 405), "%s %s is refused (%d)" % (method, path, r.status),
                 r.text()[:300])
        for path in ("/servers/../api_tokens", "/servers/%2e%2e/users", "/servers//1",
                     "/servers?page=1&page=2", "/servers?page=1;DROP", "/servers?sort=id",
                     "/servers/0", "/servers/-1", "/servers/99999999999"):
            r = env.get(root + path)
            t.ok(r.status in (400, 403, 404), "hostile %s is refused (%d)" % (path, r.status))
        after = env.emu_requests()[before:]
        t.eq([x for x in after if x["write"] or x["secret"]], [],
             "the emulator saw no write and no secret call")
        t.eq([(x["method"], x["path"], x["query"]) for x in after], [],
             "the emulator saw none of the refused calls at all")
        allreq = env.emu_requests()
        t.eq([x for x in allreq if x["method"] not in ("GET", "HEAD")], [],
             "the emulator's log holds GET requests only")
        t.eq([x for x in allreq if x["secret"]], [], "the emulator's log holds no secret read")

    def test_leaks(env):
        get(env, "/metrics")
        text = "\n".join(seen) + env.log_text() + env.daemon_output()
        for s in ["CANARY-", panel.token] + panel.leaks:
            t.lacks(text, s, "%r is in no answer, log line or metric" % s)

    def test_faults(env):
        for kind, needle in (("html", "HTML page"), ("500", "the panel answered 500"),
                             ("garbage", "not JSON"), ("truncated", "truncated"),
                             ("redirect", "redirect")):
            env.fault(kind, panel.list_re, count=100)
            problem(get(env, "/v1/vps?fresh=1"), 502, needle,
                    "a refresh whose server listing is %s" % kind)
            env.fault("none")
        env.fault("500", panel.detail_re, count=100)
        problem(get(env, "/v1/vps?fresh=1"), 502, "the panel answered 500",
                "a refresh where one VPS's call fails")
        env.fault("none")
        env.fault("slow", panel.list_re, count=100, delay=4)
        problem(get(env, "/v1/vps?fresh=1"), 504, "did not answer in time",
                "a refresh the panel is too slow for")
        env.fault("none")
        env.fault("html", ".", count=1)
        problem(get(env, "/native/%s/api/v1/servers" % panel.name), 502, "HTML page",
                "a native call answered with an HTML page")
        env.fault("none")
        r = harness.wait_for(lambda: (lambda r: r if r.status == 200 else None)(
            get(env, "/v1/vps?fresh=1")), 15, 0.5)
        t.ok(r is not None and len(r.json()["records"]) == 3 + panel.gen,
             "after the faults a refresh succeeds again, whole")
        t.ok(env.alive(), "sightlined survived every fault")

    def test_bad_token(env):
        env.stop_daemon()
        env.set_token("wrong-" + panel.token)
        env.write_config(env.config())
        env.start_daemon(wait_inventory=False)
        r = harness.wait_for(lambda: (lambda r: r if "401" in r.text() else None)(
            get(env, "/v1/vps")), 15, 0.2)
        problem(r or get(env, "/v1/vps"), 503, ["answered 401", "does not accept sightline's token"],
                "a wrong token: /v1/vps")
        p = problem(get(env, "/native/%s/api/v1/servers" % panel.name), 502,
                    "does not accept sightline's token", "a wrong token: a native call")
        t.eq(p.get("type"), "urn:sightline:problem:upstream-refused", "type upstream-refused")
        t.ok(any(x["auth"] == "bad" for x in env.emu_requests()),
             "the panel saw the wrong token (auth bad)")
        t.lacks(env.log_text(), "wrong-" + panel.token, "the wrong token is not logged either")

    with RestEnv(panel) as env:
        try:
            env.start(emu_args=("--generate", str(panel.gen), "--nodes", "3"))
        except Exception as e:
            t.ok(False, "emulator and sightlined start", str(e))
            t.done()
        for fn in (test_inventory, test_native, test_refused, test_faults,
                   test_leaks, test_bad_token):
            t.run(fn, env)
    t.done()
