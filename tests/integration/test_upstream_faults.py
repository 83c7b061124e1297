#!/usr/bin/python3
"""Every upstream fault the emulator can make, against the real daemon:
each gives the documented status (502, 504 or 503) as an RFC 9457
problem with a precise detail, never a crash. Native calls, inventory
refreshes, an inventory that never came, wrong credentials, a wrong TLS
pin or CA, and a panel that is gone. No secret ever leaks."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
from harness import Tap, Env, PVE_TOKEN, HOSTER_TOKEN  # noqa: E402

t = Tap()

NATIVE = "/native/pve/api2/json/nodes/pve1/qemu/100/config"
ROOT = "/api2/json/nodes/pve1/qemu/100/config"
CONFIG_RE = "/qemu/100/config$"
WRONG_SECRET = "feedface-dead-beef-0bad-c0ffee000000"
WRONG_TOKEN = "auditor@pve!sightline=" + WRONG_SECRET
BASE_PANEL = {"timeout": 1, "max_body_bytes": 65536,
              "min_refresh_interval": 0}

seen = []   # every answer's text, checked for secrets at the end


def get(env, path, **kw):
    r = env.get(path, **kw)
    seen.append("%d %r %s" % (r.status, r.headers, r.text()))
    return r


def problem(r, status, needles, desc):
    """r is a problem document with status whose detail holds needles."""
    t.eq(r.status, status, "%s: %d" % (desc, status))
    t.eq(r.header("Content-Type"), "application/problem+json",
         "%s: as application/problem+json" % desc)
    try:
        p = r.json()
    except ValueError:
        t.ok(False, "%s: the problem is JSON" % desc, r.body[:300])
        return {}
    t.ok(p.get("status") == status and
         str(p.get("type", "")).startswith("urn:sightline:problem:") and
         isinstance(p.get("title"), str),
         "%s: type, title and status in the document" % desc, p)
    detail = p.get("detail", "")
    for n in ([needles] if isinstance(needles, str) else needles):
        t.contains(detail, n, "%s: the detail says %r" % (desc, n))
    return p


def metric(env, name, **labels):
    text = get(env, "/metrics").text()
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r'^(\w+)\{([^}]*)\} (\S+)$', line)
        if m and m.group(1) == name:
            have = ",".join(sorted(m.group(2).split(",")))
            if have == want:
                return float(m.group(3))
    return 0.0


def emu_paths(env):
    return [x["path"] for x in env.emu_requests()]


def restart(env, panel, wait_inventory=False):
    rc = env.stop_daemon()
    t.eq(rc, 0, "the previous sightlined exited with status 0")
    p = dict(BASE_PANEL)
    p.update(panel)
    env.write_config(env.config(panel=p))
    env.start_daemon(wait_inventory=wait_inventory)


# ---- native calls ----

def test_native_ok(env):
    for path in (NATIVE, ROOT):
        r = get(env, path)
        t.eq(r.status, 200, "GET %s answers 200 without a fault" % path)
        d = r.json().get("data", {})
        t.ok(d.get("cores") == 2 and "args" not in d and
             "hookscript" not in d, "with the redacted config", d)


def test_native_faults(env):
    start = time.monotonic()
    env.fault("slow", CONFIG_RE, delay=4)
    r = get(env, NATIVE)
    took = time.monotonic() - start
    problem(r, 504, ["did not answer in time", "timeout 1 s"],
            "a panel slower than timeout")
    t.ok(0.8 < took < 3.0, "the 504 comes after about timeout (1 s)",
         "took %.2f s" % took)

    env.fault("500", CONFIG_RE, status=500, message="got timeout")
    p = problem(get(env, NATIVE), 502, "the panel answered 500",
                "the panel answers 500")
    t.eq(p.get("type"), "urn:sightline:problem:upstream-status",
         "500 from the panel: type upstream-status")

    env.fault("500", CONFIG_RE, status=503, message="service busy")
    problem(get(env, ROOT), 502, "the panel answered 503",
            "the panel answers 503 (root path)")

    env.fault("html", CONFIG_RE)
    problem(get(env, NATIVE), 502, ["HTML page", "instead of JSON"],
            "the panel answers an HTML page")

    env.fault("truncated", CONFIG_RE)
    problem(get(env, NATIVE), 502, "truncated",
            "the panel's answer is truncated")

    env.fault("oversized", CONFIG_RE, size=300000)
    problem(get(env, NATIVE), 502, "larger than max_body_bytes",
            "an answer over max_body_bytes")

    env.fault("chunked-oversized", CONFIG_RE, size=300000)
    problem(get(env, NATIVE), 502, "larger than max_body_bytes",
            "a chunked answer over max_body_bytes")

    env.fault("oversized", CONFIG_RE, size=60000)
    r = get(env, NATIVE)
    t.eq(r.status, 200, "an answer just under max_body_bytes is accepted "
         "(the limit is the limit, not less)")

    env.fault("garbage", CONFIG_RE)
    problem(get(env, NATIVE), 502, "is not JSON",
            "the panel answers malformed JSON")

    # libcurl retries a GET once when a kept-alive connection closes
    # without an answer, so the panel closes it twice.
    # Count only this call's path: a refresh may run meanwhile (and
    # fetch VM 100's config too, but not in the second this takes).
    def config_calls():
        return len([p for p in emu_paths(env)
                    if p.endswith("/nodes/pve1/qemu/100/config")])
    before = config_calls()
    env.fault("close", CONFIG_RE, count=2)
    problem(get(env, ROOT), 502, "closed the connection without answering",
            "the panel closes the connection")
    # libcurl retries only on a reused connection: one call or two.
    calls = config_calls() - before
    t.ok(calls in (1, 2), "one retry at most, then the 502", calls)
    env.fault("none")   # a fault left over if libcurl did not retry

    env.fault("redirect", CONFIG_RE)
    problem(get(env, NATIVE), 502, "the panel answered 302",
            "the panel redirects")
    time.sleep(0.2)
    t.ok(not any(p == "/login" or p.endswith("/login")
                 for p in emu_paths(env)),
         "the redirect is not followed (no request for /login)",
         emu_paths(env)[-5:])

    r = get(env, NATIVE)
    t.eq(r.status, 200, "after every fault, the same call answers 200 again")
    t.ok(env.alive(), "sightlined survived every native fault")


def test_upstream_metrics(env):
    for cause in ("timeout", "too_big", "truncated", "no_answer"):
        t.ok(metric(env, "sightline_upstream_failures_total", panel="pve",
                    cause=cause) >= 1,
             "/metrics counts the upstream failure %s" % cause)


# ---- the inventory ----

def test_inventory_faults(env):
    good = get(env, "/v1/vps").json()
    ids = sorted(x["id"] for x in good["records"])
    t.eq(ids, ["pve/100", "pve/101", "pve/102"], "the inventory is there")
    failed0 = metric(env, "sightline_refresh_total", panel="pve",
                     result="failed")

    env.fault("500", "/cluster/resources$", count=1)
    p = problem(get(env, "/v1/vps?fresh=1"), 502,
                ["refresh of panel pve failed", "the panel answered 500",
                 "last snapshot is served"],
                "a refresh the panel answers 500")
    t.eq(p.get("type"), "urn:sightline:problem:refresh-failed",
         "type refresh-failed")
    r = get(env, "/v1/vps")
    t.eq(r.status, 200, "without fresh=1 the previous inventory is served")
    doc = r.json()
    t.eq(sorted(x["id"] for x in doc["records"]), ids,
         "the very same records")
    pa = doc["inventory"]["panels"][0]
    t.ok(isinstance(pa.get("last_error"), str) and
         "the panel answered 500" in pa["last_error"],
         "/v1/vps reports the panel's last_error", pa)
    t.eq(metric(env, "sightline_refresh_total", panel="pve",
                result="failed"), failed0 + 1,
         "/metrics counts the failed refresh")

    env.fault("slow", "/cluster/resources$", count=1, delay=3)
    p = problem(get(env, "/v1/vps?fresh=1"), 504,
                ["refresh of panel pve failed", "did not answer in time"],
                "a refresh the panel is too slow for")
    t.eq(p.get("type"), "urn:sightline:problem:upstream-timeout",
         "type upstream-timeout")

    # A failed refresh is retried in the background after 1, 2, 4 s...:
    # a one-shot fault could be taken by such a retry instead of by the
    # ?fresh=1 below, so these faults last until cleared.
    for kind, needle in (("html", "HTML page"), ("garbage", "not JSON"),
                         ("truncated", "truncated"),
                         ("close", "closed the connection")):
        env.fault(kind, "/cluster/resources$", count=100)
        problem(get(env, "/v1/vps?fresh=1"), 502, needle,
                "a refresh whose resource list is %s" % kind)
        env.fault("none")
    # A fault on a per-VM call fails the whole refresh, too.
    env.fault("500", CONFIG_RE, count=100)
    problem(get(env, "/v1/vps?fresh=1"), 502,
            ["nodes/pve1/qemu/100/config", "the panel answered 500"],
            "a refresh where one VM's config fails names that call")
    env.fault("none")
    r = get(env, "/v1/vps")
    t.eq((r.status, sorted(x["id"] for x in r.json()["records"])),
         (200, ids), "still the previous inventory after all that")
    failed = metric(env, "sightline_refresh_total", panel="pve",
                    result="failed")
    t.ok(failed >= failed0 + 7, "/metrics counted the seven failed "
         "refreshes (and any background retry that failed too)",
         (failed0, failed))

    r = get(env, "/v1/vps?fresh=1")
    t.eq(r.status, 200, "a refresh without a fault succeeds again")
    t.eq(r.json()["inventory"]["panels"][0].get("last_error"), None,
         "and clears last_error")
    t.ok(env.alive(), "sightlined survived every refresh fault")


def test_panel_down(env):
    env.emu.terminate()
    env.emu.wait(5)
    env.emu = None
    start = time.monotonic()
    problem(get(env, NATIVE), 502, "cannot connect to the panel",
            "a native call to a panel that is down")
    t.ok(time.monotonic() - start < 3, "answered at once, not after a "
         "timeout")
    problem(get(env, "/v1/vps?fresh=1"), 502,
            ["refresh of panel pve failed", "cannot connect"],
            "a refresh of a panel that is down")
    r = get(env, "/v1/vps")
    t.eq(r.status, 200, "the previous inventory is still served")
    t.contains(r.json()["inventory"]["panels"][0].get("last_error") or "",
               "cannot connect", "with last_error saying why")
    t.ok(metric(env, "sightline_upstream_failures_total", panel="pve",
                cause="connect") >= 1, "/metrics counts connect failures")
    t.ok(env.alive(), "sightlined survived the panel going away")


def test_never_inventory(env):
    env.start_emulator("--fault", "kind=500&path=/cluster/resources$")
    restart(env, {})
    r = wait_status(env, "/v1/vps", lambda r: "the panel answered 500" in
                    r.text())
    p = problem(r, 503, ["no inventory of panel pve yet",
                         "the panel answered 500"],
                "no inventory ever: /v1/vps")
    t.eq(p.get("type"), "urn:sightline:problem:no-inventory",
         "type no-inventory")
    t.ok(r.header("Retry-After") is not None, "with Retry-After")
    problem(get(env, "/v1/vps/pve/100"), 503, "no inventory",
            "no inventory ever: /v1/vps/pve/100")
    problem(get(env, "/v1/lookup?ip=203.0.113.41"), 503, "no inventory",
            "no inventory ever: /v1/lookup")
    h = get(env, "/healthz", token=None)
    t.eq((h.status, h.json().get("ready")), (200, False),
         "/healthz answers, and says it is not ready")
    r = get(env, NATIVE)
    t.eq(r.status, 200, "native calls work without an inventory")
    env.emu_get("/_emu/fault?kind=none")
    r = get(env, "/v1/vps?fresh=1")
    t.eq(r.status, 200, "once the panel answers, ?fresh=1 builds it")
    t.eq(len(r.json().get("records", [])), 3, "with every record")
    t.ok(env.alive(), "sightlined is running")


def wait_status(env, path, pred, timeout=10):
    out = []

    def probe():
        r = get(env, path)
        out[:] = [r]
        return pred(r)
    harness.wait_for(probe, timeout, 0.1)
    return out[0]


def test_wrong_credentials(env):
    with open(env.path("wrong.token"), "w") as f:
        f.write(WRONG_TOKEN + "\n")
    os.chmod(env.path("wrong.token"), 0o600)
    restart(env, {"credentials": env.path("wrong.token")})
    p = problem(get(env, NATIVE), 502,
                ["refused sightline's credentials", "401"],
                "wrong upstream credentials: a native call")
    t.eq(p.get("type"), "urn:sightline:problem:upstream-refused",
         "type upstream-refused")
    r = wait_status(env, "/v1/vps", lambda r: "401" in r.text())
    problem(r, 503, ["no inventory of panel pve yet", "answered 401",
                     "refused sightline's credentials"],
            "wrong upstream credentials: /v1/vps")
    bad = [x for x in env.emu_requests() if x["auth"] == "bad"]
    t.ok(len(bad) >= 2, "the panel saw the wrong token (auth bad)")
    t.ok(env.alive(), "sightlined is running")


def test_tls(env):
    right = harness.cert_sha256(env.path("server.pem"))
    restart(env, {"ca_file": None, "fingerprint": right},
            wait_inventory=True)
    t.eq(get(env, NATIVE).status, 200, "the right pin: native call works")

    restart(env, {"ca_file": None, "fingerprint": ":".join(["5A"] * 32)})
    problem(get(env, NATIVE), 502, ["panel pve", "TLS"],
            "a pin that does not match")
    r = wait_status(env, "/v1/vps", lambda r: "TLS" in r.text())
    problem(r, 503, "TLS", "a pin that does not match: /v1/vps")

    other = env.path("other-ca")
    os.makedirs(other, exist_ok=True)
    harness.make_pki(other)
    restart(env, {"ca_file": os.path.join(other, "ca.pem")})
    problem(get(env, NATIVE), 502, ["panel pve", "TLS"],
            "a certificate from another CA")
    r = wait_status(env, "/v1/vps", lambda r: "TLS" in r.text())
    problem(r, 503, "TLS", "another CA: /v1/vps")
    t.ok(metric(env, "sightline_upstream_failures_total", panel="pve",
                cause="tls") >= 1, "/metrics counts TLS failures")
    t.ok(env.alive(), "sightlined is running")


def test_secrets(env):
    log = env.log_text()
    out = env.daemon_output()
    answers = "\n".join(seen)
    t.ok(len(answers) > 1000 and "request 127.0.0.1 noc" in log,
         "the answers and the log were collected")
    secret = PVE_TOKEN.rsplit("=", 1)[1]
    for name, text in (("answers", answers), ("log", log),
                       ("daemon output", out)):
        t.lacks(text, secret, "the upstream token secret is not in the %s"
                % name)
        t.lacks(text, WRONG_SECRET, "the wrong secret is not in the %s"
                % name)
        t.lacks(text, HOSTER_TOKEN, "the hoster token is not in the %s"
                % name)
        t.lacks(text, "CANARY-", "no CANARY- value in the %s" % name)
        t.lacks(text, "PVEAPIToken=auditor", "no upstream Authorization "
                "in the %s" % name)


with Env("upstream_faults") as env:
    env.start(panel=BASE_PANEL)
    for fn in (test_native_ok, test_native_faults, test_upstream_metrics,
               test_inventory_faults, test_panel_down, test_never_inventory,
               test_wrong_credentials, test_tls):
        t.run(fn, env)
    t.run(test_secrets, env)
    t.ok(env.alive(), "sightlined is still running at the end")
    t.eq(env.stop_daemon(), 0, "and stops with status 0")
t.done()
