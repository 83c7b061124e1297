#!/usr/bin/python3
"""The Virtualizor plugin against the real daemon and the Virtualizor
emulator (tests/emu/virtualizor_emu.py), over TLS:

  - the inventory of the fixtures (Alice, Bob, Carol): records, lookups
    by IPv4, IPv6 and MAC, nodes;
  - every call sightlined makes is a GET without a body, with api=json
    exactly once, never api=serialize or apidata, never a write or a
    secret-bearing act, and act=vs is read page by page to the end;
  - the three credential styles (adminapikey + adminapipass, the legacy
    apikey hash, both), and a refusal, as a redirect or as a JSON login
    page;
  - native calls: what the policy shows, the secrets the plugin removes,
    and every write and secret-bearing call the reference lists refused
    with 403 before it reaches the emulator;
  - the panel's errors (an "error" list, an HTML page, a redirect) as
    problem documents that quote nothing of the panel;
  - no answer and no log line holds a credential, a fixture secret or a
    CANARY- string.
"""
import hashlib
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.dont_write_bytecode = True
import harness  # noqa: E402
from harness import Tap, Env  # noqa: E402

t = Tap()

KEY = "sightlinekey0000000000000000test"
PASS = "sightlinepass000000000000000test"
SALT = "k3y8salt"
APIKEY = SALT + hashlib.md5((PASS + SALT).encode()).hexdigest()
# Secrets of the fixtures, and every value a canary starts with.
SECRETS = [KEY, PASS, APIKEY, "Kx7pQ2vN", "Wm3cR8tY", "Pb5nJ9sX", "$2y$10$",
           "CANARY-"]
seen = []   # every answer, checked for secrets at the end


def get(env, path, **kw):
    r = env.get(path, **kw)
    seen.append("%d %r %s" % (r.status, r.headers, r.text()))
    return r


def credentials(env, line, name="vz.cred"):
    path = env.path(name)
    with open(path, "w") as f:
        f.write(line + "\n")
    os.chmod(path, 0o600)
    return path


def vz_panel(env, line="adminapikey=%s&adminapipass=%s" % (KEY, PASS),
             **extra):
    p = {"name": "vz", "plugin": "virtualizor",
         "url": "https://127.0.0.1:%d" % env.emu_port,
         "ca_file": env.path("ca.pem"),
         "credentials": credentials(env, line), "policy": harness.VZ_POLICY,
         "min_refresh_interval": 0, "timeout": 5}
    p.update(extra)
    return p


def by_id(doc):
    return {r["id"]: r for r in doc["records"]}


def calls(env, since=0):
    """The emulator's log file, from line `since` on (/_emu/reset does
    not empty the file)."""
    return [x for x in env.emu_requests() if x["path"] != "-"][since:]


def problem(r, status, ptype, needles, desc):
    t.eq(r.status, status, "%s: %d" % (desc, status))
    try:
        doc = r.json()
    except ValueError:
        t.ok(False, "%s: a problem document" % desc, r.text())
        return
    t.ok(doc.get("type", "").endswith(ptype), "%s: type %s" % (desc, ptype),
         doc)
    for n in needles:
        t.contains(doc.get("detail", ""), n, "%s: detail says %r" % (desc, n))


def test_inventory(env):
    r = get(env, "/v1/vps")
    t.eq(r.status, 200, "/v1/vps answers 200")
    recs = by_id(r.json())
    t.eq(sorted(recs), ["vz/1001", "vz/1002", "vz/1003"],
         "the three fixture VPSes")
    a = recs.get("vz/1001", {})
    t.eq((a.get("node"), a.get("status"), a.get("kind"), a.get("name")),
         ("hv01", "running", "qemu", "v1001"), "Alice: node, status, kind, name")
    t.eq(a.get("interfaces"), [{"mac": "00:16:3e:5a:10:01",
                                "ips": ["203.0.113.11", "2001:db8:100::11"],
                                "bridge": None, "vlan": None}],
         "Alice: her MAC and both addresses")
    b = recs.get("vz/1002", {})
    t.eq([d["volume"] for d in b.get("disks", [])],
         ["/dev/vg_vps/vsv1002-k2v8wq1zd0am6rne",
          "/var/virtualizor/qcow2/vsv1002-p0c4hy7ke2tb5mxu.qcow2"],
         "Bob: both disks, from act=managevps")
    t.eq(b.get("disk_gb"), 130, "Bob: 80 + 50 GB")
    t.eq(recs.get("vz/1003", {}).get("status"), "suspended",
         "Carol: suspended")
    for rec in recs.values():
        for k in ("owner", "hostname", "notes", "tags"):
            t.ok(k not in rec, "%s: %s dropped by the default policy" %
                 (rec["id"], k))
    panels = r.json()["inventory"]["panels"]
    t.eq((panels[0]["plugin"], panels[0]["upstream_calls"]),
         ("virtualizor", 7), "7 calls: servers, 2 pages, 1 status, 3 "
         "managevps")

    for q, want in (("ip=203.0.113.11", "vz/1001"),
                    ("ip=2001:db8:100:0::11", "vz/1001"),
                    ("ip=198.51.100.24", "vz/1002"),
                    ("mac=00-16-3E-5A-10-02", "vz/1002"),
                    ("ip=203.0.113.12", "vz/1003")):
        r = get(env, "/v1/lookup?" + q)
        ids = [x["id"] for x in r.json().get("records", [])] \
            if r.status == 200 else r.status
        t.eq(ids, [want], "lookup %s finds %s" % (q, want))
    r = get(env, "/v1/lookup?ip=203.0.113.13")
    t.eq(r.status, 404, "a free address of the pool: 404")

    r = get(env, "/v1/nodes")
    nodes = {n["name"]: n for n in r.json().get("nodes", [])}
    t.eq(sorted(nodes), ["hv01", "hv02"], "two nodes")
    t.eq((nodes.get("hv01", {}).get("vps_count"),
          nodes.get("hv02", {}).get("vps_count")), (2, 1),
         "VPSes per node")


def test_calls_are_reads(env, desc, since=0):
    """Every call the emulator saw from log line `since` on."""
    cs = calls(env, since)
    t.ok(len(cs) > 0, "%s: the emulator saw calls" % desc)
    bad = [c for c in cs if c["method"] != "GET" or c["body"] or c["write"]
           or c["secret"]]
    t.eq(bad, [], "%s: only GETs without a body, no write, no secret" % desc)
    bad = []
    for c in cs:
        q = urllib.parse.parse_qsl(c["query"], keep_blank_values=True)
        names = [k for k, _ in q]
        if (names.count("api") != 1 or dict(q).get("api") != "json" or
                "apidata" in names or len(set(names)) != len(names)):
            bad.append(c["query"])
    t.eq(bad, [], "%s: api=json once, no apidata, no repeated name" % desc)
    return cs


def test_native(env):
    mark = len(calls(env))
    base = "/native/vz/index.php?"
    r = get(env, base + "act=vs")
    t.eq(r.status, 200, "native act=vs: 200")
    doc = r.json() if r.status == 200 else {}
    row = doc.get("vs", {}).get("1002", {})
    t.eq(row.get("vps_name"), "v1002", "native act=vs: Bob's VPS")
    t.ok("vnc_passwd" not in row and "email" not in row and
         "hostname" not in row, "native act=vs: no VNC password, e-mail or "
         "hostname")
    t.eq(row.get("dns_nameserver"),
         'a:2:{i:0;s:10:"192.0.2.53";i:1;s:13:"198.51.100.53";}',
         "a PHP-serialized string is passed on as it is")
    r = get(env, base + "act=managevps&vpsid=1002")
    disks = r.json().get("vps", {}).get("disks", []) if r.status == 200 else []
    t.eq([d.get("path") for d in disks],
         ["/dev/vg_vps/vsv1002-k2v8wq1zd0am6rne",
          "/var/virtualizor/qcow2/vsv1002-p0c4hy7ke2tb5mxu.qcow2"],
         "native act=managevps: the disks' paths, unescaped")
    r = get(env, base + "act=vs&vs_status=1001,1003")
    st = r.json().get("status", {}) if r.status == 200 else {}
    t.eq({k: v.get("status") for k, v in st.items()}, {"1001": 1, "1003": 2},
         "native vs_status")
    r = get(env, base + "act=users")
    t.eq(r.status, 200, "native act=users: 200")
    t.ok("password" not in r.text() and "alice@" not in r.text(),
         "native act=users: no password hash, no e-mail")
    r = get(env, base + "act=servers")
    t.eq([s.get("server_name") for s in r.json().get("servs", [])],
         ["hv01", "hv02"], "native act=servers")
    t.ok("lic_expires" not in r.text(), "native act=servers: no licence")
    r = get(env, base + "act=ips&ipsearch=203.0.113.11")
    t.eq([v.get("vpsid") for v in r.json().get("ips", {}).values()],
         ["1001"], "native act=ips with ipsearch")
    t.eq(len(calls(env, mark)), 6, "one upstream call for each of the 6 native calls")
    test_calls_are_reads(env, "native calls", mark)


# Writes and secret-bearing reads from the reference (panels.md 1.5, 6).
REFUSED = [
    "act=vs&delete=1001", "act=vs&action=start&vpsid=1001",
    "act=vs&action=stop&vpsid=1001", "act=vs&action=restart&vpsid=1001",
    "act=vs&action=poweroff&vpsid=1001", "act=vs&action=lock&vpsid=1001",
    "act=vs&action=unlock&vpsid=1001",
    "act=vs&action=vs_netrestrict&vpsid=1001", "act=vs&suspend=1001",
    "act=vs&unsuspend=1003", "act=vs&suspend_net=1001",
    "act=vs&unsuspend_net=1001", "act=vs&bwreset=1001",
    "act=managevps&vpsid=1002&editvps=1",
    "act=managevps&vpsid=1002&cbackup=1",
    "act=managevps&vpsid=1002&add_ssh_keys=1", "act=addvs",
    "act=addvs&generate_keys=1", "act=editvs&vpsid=1002",
    "act=rebuild&vpsid=1002", "act=clone&vpsid=1002",
    "act=migrate&vpsid=1002", "act=vnc&novnc=1002", "act=sso&uid=55",
    "act=serverinfo", "act=servers&delete=1", "act=servers&force=1",
    "act=plans&delete=1", "act=ostemplates&delete=1",
    "act=mediagroups&delete=1", "act=passthrough&delete=1",
    "act=list_distros&delete=1", "act=users&delete=55",
    "act=users&suspend=55", "act=ips&delete=41", "act=ippool&delete=3",
    "act=storage&delete=1", "act=backupservers&delete=1",
    "act=vs&api=serialize", "act=vs&apidata=YToxOntzOjU6InZwc2lkIjt9",
    "act=vs&vpsid=1001&vpsid=1002", "act=vs&adminapikey=x&adminapipass=y",
    "act=vs%26delete%3D1001", "act=vs&vpshostname=vpn.carol.test",
    "act=vs&user=alice@example.com",
]


def test_refused(env):
    mark = len(calls(env))
    for q in REFUSED:
        r = get(env, "/native/vz/index.php?" + q)
        t.eq(r.status, 403, "refused: %s" % q)
    for path in ("/native/vz/admin.php?act=vs", "/native/vz/index.php",
                 "/native/vz/index.php/x?act=vs"):
        r = get(env, path)
        t.ok(r.status in (403, 404), "refused: %s (%d)" % (path, r.status))
    r = env.request("POST", "/native/vz/index.php?act=managevps&vpsid=1002",
                    body=b"editvps=1&hostname=x",
                    headers={"Content-Type":
                             "application/x-www-form-urlencoded"})
    seen.append(r.text())
    t.ok(r.status in (405, 413), "a POST to managevps: %d" % r.status)
    t.eq(calls(env, mark), [], "none of them reached the emulator")


def test_errors(env):
    base = "/native/vz/index.php?"
    r = get(env, base + "act=managevps&vpsid=9999")
    problem(r, 502, "upstream-status", ["error about vpsid", "not quoted"],
            "an error map from the panel")
    t.lacks(r.text(), "Invalid VPS ID", "the panel's message is not quoted")
    r = get(env, base + "act=vs&vpsid=9999")
    problem(r, 502, "upstream-status", ["an error (1 message, not quoted"],
            "an error list from the panel")
    env.fault("html", path="act=storage")
    problem(get(env, base + "act=storage"), 502, "upstream-html",
            ["HTML page instead of JSON"], "an HTML page with 200")
    env.fault("redirect", path="act=storage")
    problem(get(env, base + "act=storage"), 502, "upstream-refused",
            ["302, a redirect"], "a redirect")
    env.fault("garbage", path="act=storage")
    problem(get(env, base + "act=storage"), 502, "upstream-not-json",
            ["not JSON"], "broken JSON")
    env.fault("500", path="act=storage")
    problem(get(env, base + "act=storage"), 502, "upstream-html",
            ["answered 500"], "a 500 with an error page")
    env.fault("truncated", path="act=storage")
    problem(get(env, base + "act=storage"), 502, "upstream-failed",
            ["cut short"], "a truncated answer")
    # libcurl sends a GET again when a kept-alive connection turns out
    # closed (up to 5 times): the fault lasts until cleared.
    env.fault("close", path="act=storage", count=100)
    problem(get(env, base + "act=storage"), 502, "upstream-failed",
            ["closed the connection"], "a connection closed unanswered")
    env.fault("none")
    env.fault("slow", path="act=storage", delay=8)
    problem(get(env, base + "act=storage"), 504, "upstream-timeout",
            ["did not answer in time"], "a panel too slow")
    r = get(env, base + "act=storage")
    t.eq(r.status, 200, "the next call is answered again")

    env.fault("html", path="act=servers")
    problem(get(env, "/v1/vps?fresh=1"), 502, "refresh-failed",
            ["HTML page instead of JSON"], "a refresh meeting an HTML page")
    env.fault("garbage", path="act=managevps")
    problem(get(env, "/v1/vps?fresh=1"), 502, "refresh-failed",
            ["act=managevps", "not JSON"], "a refresh meeting broken JSON")
    env.fault("slow", path="page=2", delay=8)
    problem(get(env, "/v1/vps?fresh=1"), 504, "upstream-timeout",
            ["page=2", "did not answer in time"],
            "a refresh meeting a slow page")
    r = get(env, "/v1/vps")
    t.eq(len(r.json().get("records", [])), 3,
         "the last good inventory stays in service")
    r = get(env, "/v1/vps?fresh=1")
    t.eq((r.status, len(r.json().get("records", []))), (200, 3),
         "and the next refresh succeeds")


def test_styles(env):
    """The legacy hash alone, and all three together; then wrong ones."""
    for name, line in (("legacy apikey", "apikey=" + APIKEY),
                       ("all three", "adminapikey=%s&adminapipass=%s&"
                        "apikey=%s" % (KEY, PASS, APIKEY))):
        env.stop_daemon()
        env.fault("none")
        mark = len(calls(env))
        env.write_config(env.config(panels=[vz_panel(env, line)]))
        env.start_daemon()
        r = get(env, "/v1/vps")
        t.eq(len(r.json().get("records", [])), 3,
             "credentials as %s: the inventory" % name)
        auth = set(c["auth"] for c in calls(env, mark))
        t.eq(auth, {"ok"}, "credentials as %s: the emulator accepted every "
             "call" % name)
    env.stop_daemon()
    env.write_config(env.config(panels=[vz_panel(
        env, "adminapikey=%s&adminapipass=wrong-pass" % KEY)]))
    env.start_daemon(wait_inventory=False)
    r = get(env, "/v1/vps?fresh=1")
    problem(r, 502, "refresh-failed", ["302, a redirect",
                                       "refuses to its login page"],
            "a wrong password, answered with a redirect")
    r = get(env, "/native/vz/index.php?act=vs")
    problem(r, 502, "upstream-refused", ["302, a redirect"],
            "a native call with a wrong password")


def test_check_config(env):
    """sightlined -n names the credentials file's problem, never its
    content."""
    for line, why in (("adminapikey=%s" % KEY, "adminapikey and adminapipass "
                       "go together"),
                      ("apikey=%s" % PASS, "apikey must be 40 characters"),
                      ("%s:%s" % (KEY, PASS), "expected NAME=VALUE")):
        path = env.write_config(env.config(panels=[vz_panel(env, line)]),
                                env.path("bad.conf"))
        r = env.check_config(path)
        out = r.stdout + r.stderr
        t.ok(r.returncode != 0 and "panels[1].credentials" in out and
             why in out, "sightlined -n refuses credentials: %s" % why, out)
        t.ok(KEY not in out and PASS not in out,
             "and does not repeat them")
    path = env.write_config(env.config(panels=[vz_panel(env)]),
                            env.path("good.conf"))
    r = env.check_config(path)
    t.eq(r.stdout.strip(), "configuration OK", "a good one is OK")


def test_login_page():
    with Env("virtualizor-login") as env:
        env.start_emulator("--auth-failure", "login",
                           emulator=harness.VZ_EMULATOR)
        env.write_config(env.config(panels=[vz_panel(
            env, "apikey=" + SALT + "0" * 32)]))
        env.start_daemon(wait_inventory=False)
        r = get(env, "/v1/vps?fresh=1")
        problem(r, 502, "refresh-failed", ["login page",
                                           "refused sightline's API "
                                           "credentials"],
                "a wrong legacy key, answered with the login page")
        check_logs(env, "login page")


def test_pages():
    """120 generated VPSes more, 50 a page, nodes as a map."""
    with Env("virtualizor-pages") as env:
        env.start_emulator("--generate", "120", "--nodes", "3", "--quirk",
                           "servs-map", emulator=harness.VZ_EMULATOR)
        env.write_config(env.config(panels=[vz_panel(
            env, options={"page_size": 50})]))
        env.start_daemon()
        r = get(env, "/v1/vps")
        recs = by_id(r.json())
        t.eq(len(recs), 123, "123 records")
        cs = test_calls_are_reads(env, "a paged inventory")
        pages = sorted(int(dict(urllib.parse.parse_qsl(c["query"]))["page"])
                       for c in cs if "page=" in c["query"])
        t.eq(pages, [1, 2, 3, 4], "pages 1 to 3, then the empty page 4")
        t.eq(sum(1 for c in cs if "vs_status=" in c["query"]), 3,
             "one status call per page")
        t.eq(sum(1 for c in cs if "act=managevps" in c["query"]), 123,
             "one managevps call per VPS")
        g = recs.get("vz/2010", {})
        t.eq((g.get("status"), g.get("node")), ("suspended", "hv01"),
             "a generated VPS the panel suspended")
        t.eq(recs.get("vz/2005", {}).get("status"), "stopped",
             "a generated stopped VPS")
        t.eq(len(recs.get("vz/2004", {}).get("disks", [])), 2,
             "a generated VPS with two disks")
        r = get(env, "/v1/nodes")
        t.eq(sorted((n["name"], n["vps_count"]) for n in r.json()["nodes"]),
             [("hv01", 42), ("hv02", 41), ("hv03", 40)],
             "nodes from a map keyed by serid")
        r = get(env, "/v1/lookup?ip=198.18.0.120")
        t.eq([x["id"] for x in r.json().get("records", [])], ["vz/2120"],
             "a generated address is found")
        check_logs(env, "paged inventory")


def check_logs(env, desc):
    text = env.daemon_output()
    for s in SECRETS:
        t.lacks(text, s, "%s: sightlined's log lacks %s" % (desc, s[:12]))


def main():
    with Env("virtualizor") as env:
        env.start_emulator(emulator=harness.VZ_EMULATOR)
        env.write_config(env.config(panels=[vz_panel(env)]))
        env.start_daemon()
        t.run(test_inventory, env)
        t.run(test_calls_are_reads, env, "the inventory")
        t.run(test_native, env)
        t.run(test_refused, env)
        t.run(test_errors, env)
        t.run(test_styles, env)
        t.run(test_check_config, env)
        check_logs(env, "main")
    t.run(test_login_page)
    t.run(test_pages)
    joined = "\n".join(seen)
    for s in SECRETS:
        t.lacks(joined, s, "no answer holds %s" % s[:12])
    t.done()


main()
