#!/usr/bin/python3
"""Hostile hoster input against the real daemon: credentials, methods,
bodies, size limits, native path tricks, slow and idle clients, the
connection limit, pipelining, keep-alive floods, broken HTTP. Afterwards
the daemon must still be serving, and neither an answer nor its log may
hold a token, the panel's secret or a CANARY- string.

Limits are set small: request_timeout 1 s, max_connections 8,
max_uri_bytes 1024, max_header_bytes 4096.
"""
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, HOSTER_TOKEN, HOSTER_PVE_ID, PVE_TOKEN  # noqa

t = Tap()

REQUEST_TIMEOUT = 1
MAX_CONNS = 8
MAX_URI = 1024
MAX_HEADER = 4096
PVE_SECRET = PVE_TOKEN.split("=", 1)[1]
AUTH = b"Authorization: Bearer " + HOSTER_TOKEN.encode() + b"\r\n"

bodies = []     # every answer body seen, checked for leaks at the end


# ---- raw HTTP ----

def parse_one(buf):
    """(status, headers, body, rest) of the first whole answer in buf, or
    None while it is incomplete. Answers here always have Content-Length
    (HEAD answers are never parsed raw)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3})", head[0])
    if not m:
        return (-1, {}, buf, b"")
    hdrs = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    if len(buf) < end + 4 + n:
        return None
    body = buf[end + 4:end + 4 + n]
    bodies.append(body)
    return (int(m.group(1)), hdrs, body, buf[end + 4 + n:])


class Raw:
    """A plain connection to the daemon with bytes in and answers out."""

    def __init__(self, env, timeout=5):
        self.s = socket.create_connection(("127.0.0.1", env.plain_port),
                                          timeout)
        self.buf = b""
        self.closed = False

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.s.settimeout(left)
        try:
            b = self.s.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            b = b""
        if not b:
            self.closed = True
            return False
        self.buf += b
        return True

    def answer(self, timeout=3.0):
        """The next whole answer (status, headers, body), or None when the
        connection closed or nothing whole came within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            p = parse_one(self.buf)
            if p is not None:
                self.buf = p[3]
                return p[:3]
            if self.closed or not self._recv(deadline):
                if self.buf:
                    bodies.append(self.buf)
                return None

    def wait_closed(self, timeout):
        """Seconds until the daemon closed the connection, or None."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while not self.closed:
            if not self._recv(deadline) and not self.closed:
                return None
        bodies.append(self.buf)
        return time.monotonic() - t0

    def close(self):
        self.s.close()


def exchange(env, data, timeout=3.0):
    """Send data on a fresh connection; (first answer or None, whether the
    connection was closed, seconds taken)."""
    t0 = time.monotonic()
    r = Raw(env, timeout)
    try:
        r.send(data)
        a = r.answer(timeout)
        return a, r.closed, time.monotonic() - t0
    finally:
        r.close()


def req(env, method, path, auth="bearer", headers=None, body=None,
        timeout=5):
    """One request over http.client; the Response, its body recorded."""
    h = dict(headers or {})
    if auth == "bearer":
        h["Authorization"] = "Bearer " + HOSTER_TOKEN
    elif auth is not None:
        h["Authorization"] = auth
    r = env.request(method, path, token=None, headers=h, body=body,
                    timeout=timeout)
    bodies.append(r.body)
    return r


def problem(r, status):
    """A problem+json answer with this status."""
    try:
        doc = r.json()
    except ValueError:
        doc = {}
    return (r.status == status and
            r.header("Content-Type") == "application/problem+json" and
            doc.get("status") == status and
            doc.get("type", "").startswith("urn:sightline:problem:"))


def responsive(env, timeout=2):
    try:
        return env.get("/healthz", token=None, timeout=timeout).status == 200
    except OSError:
        return False


def still_serving(env, after):
    """Check the daemon still answers; if it does not, say so and restart
    it, so that later checks test something."""
    if t.ok(responsive(env), "the daemon still answers after " + after):
        return
    t.diag("sightlined stopped answering; killing and restarting it")
    if env.daemon.poll() is None:
        env.daemon.kill()
    env.daemon.wait()
    env.daemon = None
    env.start_daemon()


# ---- the tests ----

def test_auth(env):
    for desc, value in (
            ("no Authorization header", None),
            ("an empty Authorization header", ""),
            ("a bare Bearer", "Bearer"),
            ("Bearer and a space", "Bearer "),
            ("a wrong bearer token", "Bearer wrong-token"),
            ("the token with a suffix", "Bearer " + HOSTER_TOKEN + "x"),
            ("the token truncated", "Bearer " + HOSTER_TOKEN[:-1]),
            ("Basic x", "Basic x"),
            ("Basic with the token as password",
             "Basic bm9jOmhvc3Rlci1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=="),
            ("the token without a scheme", HOSTER_TOKEN),
            ("a 3000-byte bearer token", "Bearer " + "a" * 3000),
            ("Latin-1 bytes in the token", "Bearer t\xf6k\xe9n"),
            ("an empty PVEAPIToken", "PVEAPIToken="),
            ("PVEAPIToken with an empty secret",
             "PVEAPIToken=" + HOSTER_PVE_ID + "="),
            ("PVEAPIToken with a wrong secret",
             "PVEAPIToken=" + HOSTER_PVE_ID + "=wrong")):
        r = req(env, "GET", "/v1/vps", auth=value)
        t.ok(problem(r, 401), "%s: 401 problem+json" % desc,
             (r.status, r.header("Content-Type"), r.body[:200]))
        if desc == "no Authorization header":
            t.ok(r.header("WWW-Authenticate") is not None,
                 "a 401 says WWW-Authenticate")
    for desc, raw in (
            ("UTF-8 bytes in the token",
             b"Authorization: Bearer \xc3\xa9\xe2\x82\xac\r\n"),
            ("0xff bytes in the token", b"Authorization: Bearer \xff\xfe\r\n"),
            ("control bytes in the token",
             b"Authorization: Bearer \x01\x02\x7f\r\n")):
        a, _, _ = exchange(env, b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n" +
                           raw + b"\r\n")
        t.ok(a is not None and a[0] == 401 and a[1].get("content-type") ==
             "application/problem+json", "%s: 401 problem+json" % desc, a)
    a, _, _ = exchange(env, b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer wrong\r\n" + AUTH + b"\r\n")
    t.eq(a and a[0], 401, "two Authorization headers, the first wrong: 401")
    r = req(env, "GET", "/v1/vps?token=" + HOSTER_TOKEN, auth=None)
    t.ok(problem(r, 401), "the token in the query is no credential: 401")

    # PVEAPIToken counts on native paths only.
    pve = "PVEAPIToken=%s=%s" % (HOSTER_PVE_ID, HOSTER_TOKEN)
    for path in ("/v1/vps", "/v1/nodes", "/v1/lookup?ip=203.0.113.41",
                 "/metrics"):
        r = req(env, "GET", path, auth=pve)
        t.ok(problem(r, 401) and "native" in r.json().get("detail", ""),
             "PVEAPIToken on %s: 401 saying it is for native paths" % path,
             (r.status, r.body[:200]))
    r = req(env, "GET", "/native/pve/api2/json/version", auth=pve)
    t.eq(r.status, 200, "(control) PVEAPIToken on /native/pve/...: 200")
    r = req(env, "GET", "/api2/json/version", auth=pve)
    t.eq(r.status, 200, "(control) PVEAPIToken on /api2/json/...: 200")
    r = req(env, "GET", "/native/pve/api2/json/version",
            auth="PVEAPIToken=noc@pve!other=" + HOSTER_TOKEN)
    t.ok(problem(r, 401), "PVEAPIToken under another token id: 401")
    r = req(env, "GET", "/v1/vps", auth="bearer " + HOSTER_TOKEN)
    t.eq(r.status, 200, "(control) the scheme is case-insensitive: 200")
    r = req(env, "GET", "/v1/vps")
    t.eq(r.status, 200, "(control) the right bearer token: 200")


def test_methods(env):
    for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
              "CONNECT"):
        for path, auth in (("/v1/vps", "bearer"), ("/v1/vps", None),
                           ("/native/pve/api2/json/nodes/pve1/qemu/100/"
                            "status/start", "bearer"),
                           ("/api2/json/nodes", "bearer")):
            body = b"x=1" if m in ("POST", "PUT", "PATCH") else None
            r = req(env, m, path, auth=auth, body=body)
            allow = [x.strip() for x in
                     (r.header("Allow") or "").split(",")]
            t.ok(problem(r, 405) and "GET" in allow and "HEAD" in allow,
                 "%s %s%s: 405 with Allow: GET, HEAD" %
                 (m, path, "" if auth else " without credential"),
                 (r.status, r.header("Allow"), r.body[:200]))
    r = Raw(env)
    try:
        r.send(b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = [r.answer(3), r.answer(3)]
    finally:
        r.close()
    t.eq([a and a[0] for a in got], [405, 200], "CONNECT: a 405 with a "
         "delimited body, then the next request on the connection is served")
    r = req(env, "HEAD", "/v1/vps")
    t.eq((r.status, r.body), (200, b""), "(control) HEAD: 200, no body")


def test_bodies(env):
    r = req(env, "GET", "/v1/vps", body=b"hello",
            headers={"Content-Length": "5"})
    t.ok(problem(r, 413) or problem(r, 400),
         "GET with a 5-byte body: refused (413)", (r.status, r.body[:200]))
    r = req(env, "HEAD", "/v1/vps", body=b"hello",
            headers={"Content-Length": "5"})
    t.ok(r.status in (400, 413), "HEAD with a body: refused", r.status)
    r = req(env, "GET", "/native/pve/api2/json/nodes", body=b"hello",
            headers={"Content-Length": "5"})
    t.ok(problem(r, 413) or problem(r, 400),
         "a native GET with a body: refused", (r.status, r.body[:200]))
    a, _, _ = exchange(env, b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH +
                       b"Transfer-Encoding: chunked\r\n\r\n"
                       b"5\r\nhello\r\n0\r\n\r\n")
    t.ok(a is not None and a[0] in (400, 413),
         "GET with a chunked body: refused", a)
    a, _, _ = exchange(env, b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH +
                       b"Content-Length: 0\r\n\r\n")
    t.eq(a and a[0], 200, "(control) Content-Length: 0 is no body: 200")


def test_sizes(env):
    r = req(env, "GET", "/v1/vps?" + "a" * (MAX_URI + 100))
    t.ok(problem(r, 414), "a target longer than max_uri_bytes: 414",
         (r.status, r.body[:200]))
    r = req(env, "GET", "/native/pve/api2/json/" + "n/" * 4000 + "x")
    t.ok(problem(r, 414), "an 8 KB native path: 414", r.status)
    r = req(env, "GET", "/v1/vps", headers={"X-Pad": "a" * (MAX_HEADER + 1)})
    t.ok(problem(r, 431), "one header over max_header_bytes: 431",
         (r.status, r.body[:200]))
    r = req(env, "GET", "/v1/vps",
            headers={"X-H%d" % i: "a" * 20 for i in range(300)})
    t.ok(problem(r, 431), "300 headers over max_header_bytes: 431",
         r.status)
    r = req(env, "GET", "/v1/vps?" + "a" * (MAX_URI - 200))
    t.ok(r.status in (400, 200), "(control) a target under the limit is "
         "not 414", r.status)


NATIVE_TRICKS = [
    "/native/pve/api2/json/nodes/../access/users",
    "/native/pve/api2/json/nodes/pve1/../../access/users",
    "/native/pve/api2/json/./access/users",
    "/native/pve/api2/json/access/users",
    "/native/pve/api2/json/access/users/root@pam",
    "/native/pve/api2/json/storage",
    "/native/pve/api2/json/nodes/%2e%2e/access/users",
    "/native/pve/api2/json/nodes/%2E%2E/access/users",
    "/native/pve/api2/json/%2e%2e/api2/json/access/users",
    "/native/pve/api2/json/access%2fusers",
    "/native/pve/api2/json/nodes%2f..%2faccess%2fusers",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config%3Fcurrent=1",
    "/native/pve/api2/json//access/users",
    "/native/pve/api2/json/nodes//pve1/status",
    "/native/pve//api2/json/nodes",
    "/native//pve/api2/json/nodes",
    "/native/pve/api2/json/nodes/",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config/",
    "/native/pve/api2/json/nodes%00/../access/users",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config%00",
    "/native/pve/api2/json/%c0%ae%c0%ae/access/users",
    "/native/pve/api2/json/nodes/%c0%af../access/users",
    "/native/pve/api2/json/nodes/%25%32%65%25%32%65/access/users",
    "/native/pve/api2/json/nodes\\..\\access\\users",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config\\",
    "/native/pve/api2/json/nodes;/access/users",
    "/native/pve/api2/json/nodes/pve1/qemu/100/agent/get-users",
    "/native/pve/api2/json/nodes/pve1/qemu/100/agent/exec-status?pid=1",
    "/native/pve/api2/json/nodes/pve1/qemu/100/agent/file-read"
    "?file=/etc/shadow",
    "/native/pve/api2/json/nodes/pve1/qemu/100/cloudinit/dump?type=user",
    "/native/pve/api2/json/nodes/pve1/qemu/100/vncwebsocket"
    "?port=5900&vncticket=x",
    "/native/pve/api2/json/nodes/pve1/vncwebsocket?port=5900&vncticket=x",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config?current=1&type=user",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config?snapshot=x",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config?current=1&current=0",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config?current=2",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config?current",
    "/native/pve/api2/json/nodes?_dc=1700000000",
    "/native/pve/api2/json/nodes/pve1/qemu?full=1%26type=user",
    "/native/pve/api2/json/cluster/resources?type=vm&type=storage",
    "/native/pve/api2/json/cluster/resources?type=sdn",
    "/native/pve/api2/json/nodes/pve1/qemu/0100/config",
    "/native/pve/api2/json/nodes/pve1/qemu/100abc/config",
    "/native/pve/api2/json/nodes/pve1/qemu/99/config",
    "/native/pve/api2/json/nodes/pve1.evil/status",
    "/native/pve/api2/json/nodes/-pve1/status",
    "/native/pve/api2/json/nodes/pve1/storage/..%2f..%2faccess/status",
    "/native/pve/api2/json/nodes/pve1/storage/1bad/status",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config#/../../access/users",
    "/native/pve/api2/json",
    "/native/pve/api2/json/",
    "/native/pve/api2/extjs/access/users",
    "/native/pve/API2/json/nodes",
    "/native/PVE/api2/json/nodes",
    "/native/pve/api2/json/nodes/pve1/qemu/100/config?current=1"
    "&foo=" + "a" * 300,
    "/api2/json/nodes/../access/users",
    "/api2/json/access/users",
    "/api2/json/nodes/pve1/qemu/100/agent/get-users",
    "/api2/json/nodes/%2e%2e/access/users",
    "/api2//json/nodes",
    "/v1/../native/pve/api2/json/access/users",
    "/v1/vps/..%2f..%2fnative%2fpve%2fapi2%2fjson%2faccess%2fusers",
]


def test_native_tricks(env):
    before = len(env.emu_requests())
    r = req(env, "GET", "/native/pve/api2/json/nodes")
    t.eq(r.status, 200, "(control) /native/pve/api2/json/nodes: 200")
    t.ok(wait_emu(env, before, "/api2/json/nodes"),
         "(control) and the emulator logged that call")
    mark = len(env.emu_requests())
    for path in NATIVE_TRICKS:
        r = req(env, "GET", path)
        t.ok(r.status in (400, 403, 404) and
             (problem(r, r.status) or r.status == 400),
             "GET %s: %d, refused" % (path[:90], r.status),
             r.body[:300])
    # Bytes http.client will not send: NUL, control bytes, raw UTF-8.
    for desc, target in (
            ("a raw NUL byte", b"/native/pve/api2/json/nodes\x00/../access"),
            ("a raw tab", b"/native/pve/api2/json/nodes/\t../access/users"),
            ("raw overlong UTF-8",
             b"/native/pve/api2/json/\xc0\xae\xc0\xae/access/users"),
            ("raw UTF-8", b"/native/pve/api2/json/n\xc3\xb6des"),
            ("an escape sequence", b"/native/pve/api2/json/\x1b[2J"),
            ("an absolute-form URI",
             b"http://127.0.0.1/native/pve/api2/json/access/users"),
            ("an asterisk", b"*")):
        a, closed, _ = exchange(env, b"GET " + target +
                                b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n",
                                timeout=REQUEST_TIMEOUT + 1.5)
        t.ok((a is None and closed) or (a is not None and
                                        a[0] in (400, 403, 404)),
             "GET with %s: refused or closed, never served" % desc, a)
        still_serving(env, "a target with " + desc)
    time.sleep(0.3)
    new = env.emu_requests()[mark:]
    t.eq([x["path"] for x in new if "/access" in x["path"] or x["secret"] or
          x["write"] or "/storage" in x["path"] and "/nodes/" not in
          x["path"]], [],
         "none of the tricks reached /access, /storage or a secret endpoint")
    t.eq([x["path"] for x in new if not x["path"].endswith(
        ("/cluster/resources", "/nodes", "/config", "/interfaces",
         "/network-get-interfaces"))], [],
         "the emulator saw nothing during the tricks but inventory refreshes")


def wait_emu(env, since, suffix):
    end = time.monotonic() + 3
    while time.monotonic() < end:
        if any(x["path"].endswith(suffix)
               for x in env.emu_requests()[since:]):
            return True
        time.sleep(0.05)
    return False


def test_log_redaction(env):
    values = ["s3cr3t-val-%d" % i for i in range(8)]
    queries = ["token=" + values[0], "api_key=" + values[1],
               "password=" + values[2], "PVEAuthCookie=" + values[3],
               "X-Amz-Signature=" + values[4], "client_secret=" + values[5],
               "access_token=" + HOSTER_TOKEN, "credential=" + values[6],
               "ticket=" + values[7]]
    for q in queries:
        req(env, "GET", "/v1/vps?" + q)
        req(env, "GET", "/native/pve/api2/json/nodes?" + q)
    req(env, "GET", "/v1/vps?fresh=0&token=" + values[0] + "&ip=1")
    time.sleep(0.2)
    log = env.log_text()
    t.contains(log, "/v1/vps?token=REDACTED", "a query value named token "
               "is logged as REDACTED")
    t.contains(log, "?fresh=0&token=REDACTED&ip=1",
               "among other parameters too")
    t.contains(log, "/native/pve/api2/json/nodes?api_key=REDACTED",
               "on native paths too")
    for v in values:
        t.lacks(log, v, "the secret query value %s is not logged" % v)
    t.lacks(log, HOSTER_TOKEN, "access_token=<hoster token> is not logged")


def test_keepalive(env):
    c = env.connect()
    try:
        statuses = {}
        socks = set()
        t0 = time.monotonic()
        for i in range(1000):
            path = ("/v1/vps", "/v1/nodes", "/healthz",
                    "/v1/vps/pve/100")[i % 4]
            c.request("GET", path,
                      headers={"Authorization": "Bearer " + HOSTER_TOKEN})
            r = c.getresponse()
            b = r.read()
            if i % 100 == 0:
                bodies.append(b)
            statuses[r.status] = statuses.get(r.status, 0) + 1
            socks.add(id(c.sock))
        took = time.monotonic() - t0
    finally:
        c.close()
    t.eq(statuses, {200: 1000}, "1000 requests on one keep-alive "
         "connection: all 200")
    t.eq(len(socks), 1, "all on the same connection")
    t.ok(took < 20, "in %.1f s" % took)


def test_pipeline(env):
    r = Raw(env)
    try:
        r.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /v1/nodes HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
               b"DELETE /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH +
               b"Content-Length: 0\r\n\r\n"
               b"GET /v1/vps/pve/100 HTTP/1.1\r\nHost: x\r\n" + AUTH +
               b"\r\n"
               b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n\r\n")
        got = [r.answer(5) for _ in range(5)]
    finally:
        r.close()
    t.eq([a and a[0] for a in got], [200, 200, 405, 200, 401],
         "five pipelined requests answered in order")
    t.ok(got[1] is not None and b'"nodes"' in got[1][2],
         "the second answer is the node list")
    t.ok(got[3] is not None and b'"pve/100"' in got[3][2],
         "the fourth is VPS pve/100")


def test_close_delimited(env):
    """Answers the client asks to end the connection with must arrive."""
    for desc, data in (
            ("HTTP/1.0", b"GET /healthz HTTP/1.0\r\n\r\n"),
            ("HTTP/1.1 with Connection: close",
             b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            ("HTTP/1.0 /v1/vps",
             b"GET /v1/vps HTTP/1.0\r\n" + AUTH + b"\r\n"),
            ("HTTP/1.1 405 with Connection: close",
             b"POST /v1/vps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             b"Content-Length: 0\r\n\r\n")):
        r = Raw(env, 3)
        try:
            r.send(data)
            a = r.answer(3)
            took = r.wait_closed(2)
        finally:
            r.close()
        want = 405 if data.startswith(b"POST") else 200
        t.eq(a and a[0], want, "%s: the whole answer arrives (%d)" %
             (desc, want))
        t.ok(took is not None and took < 1, "%s: then the daemon closes "
             "the connection" % desc, took)
    still_serving(env, "close-delimited requests")


def test_slowloris(env):
    r = Raw(env)
    line = b"GET /v1/vps HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 20
    t0 = time.monotonic()
    closed_at = None
    try:
        for i, ch in enumerate(line):
            if not r.send(bytes([ch])):
                closed_at = time.monotonic() - t0
                break
            w = r.wait_closed(1.0)
            if w is not None:
                closed_at = time.monotonic() - t0
                break
            if time.monotonic() - t0 > REQUEST_TIMEOUT + 4:
                break
    finally:
        r.close()
    t.ok(closed_at is not None and
         REQUEST_TIMEOUT - 0.5 <= closed_at <= REQUEST_TIMEOUT + 1.5,
         "a client sending its request a byte a second is cut off after "
         "request_timeout (%s s)" % REQUEST_TIMEOUT, closed_at)
    t.ok(parse_one(r.buf) is None or parse_one(r.buf)[0] != 200,
         "without being served", r.buf[:200])

    r = Raw(env)
    try:
        r.send(b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH +
               b"Content-Length: 5\r\n\r\nab")
        w = r.wait_closed(REQUEST_TIMEOUT + 2)
    finally:
        r.close()
    a = parse_one(r.buf)
    t.ok(w is not None and w <= REQUEST_TIMEOUT + 1.5 and
         (a is None or a[0] != 200),
         "a body that never completes: closed after request_timeout", w)

    r = Raw(env)
    try:
        r.send(b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
        a = r.answer(3)
        t.eq(a and a[0], 200, "(control) a keep-alive client gets its answer")
        time.sleep(REQUEST_TIMEOUT + 0.5)
        r.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        a = r.answer(3)
        t.eq(a and a[0], 200, "and is not cut off while idle between "
             "requests (that is idle_timeout's job)")
    finally:
        r.close()
    still_serving(env, "slow clients")


def test_max_connections(env):
    time.sleep(0.5)             # let earlier connections finish closing
    idle = [socket.create_connection(("127.0.0.1", env.plain_port), 5)
            for _ in range(MAX_CONNS)]
    time.sleep(0.3)
    ninth = Raw(env)
    try:
        ninth.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        a = ninth.answer(1.5)
        t.eq(a, None, "with %d connections open, the next one waits" %
             MAX_CONNS)
        idle.pop().close()
        t0 = time.monotonic()
        a = ninth.answer(3)
        t.eq(a and a[0], 200, "when one closes, the waiting one is served")
        t.ok(time.monotonic() - t0 < 2, "at once")
    finally:
        ninth.close()
        for s in idle:
            s.close()
    time.sleep(0.3)
    r = env.get("/metrics")
    m = re.search(r"^sightline_connection_limit_hits_total (\d+)",
                  r.text(), re.M)
    t.ok(m is not None and int(m.group(1)) >= 1,
         "/metrics counts reaching max_connections", m and m.group(0))
    t.ok("max_connections (%d) reached" % MAX_CONNS in env.log_text(),
         "and the log says so")
    still_serving(env, "max_connections")


GARBAGE = [
    ("HTTP/0.9", b"GET /healthz\r\n\r\n"),
    ("HTTP/0.9 without a blank line", b"GET /v1/vps\r\n"),
    ("a request line of one word", b"GET\r\n\r\n"),
    ("binary garbage", b"\x00\x01\x02\xff\xfe garbage\r\n\r\n"),
    ("an unknown method", b"FOO /v1/vps HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("a lower-case method", b"get /v1/vps HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("PROPFIND", b"PROPFIND /v1/vps HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("the HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ("HTTP/3.7", b"GET /healthz HTTP/3.7\r\nHost: x\r\n\r\n"),
    ("a header without a colon",
     b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"),
    ("a negative Content-Length",
     b"GET /v1/vps HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
    ("a 100 KB body", b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length: 100000\r\n\r\n" + b"a" * 100000),
    ("an 80 KB target", b"GET /v1/vps?" + b"a" * 80000 +
     b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("a 100 KB header", b"GET /v1/vps HTTP/1.1\r\nHost: x\r\nX-Pad: " +
     b"a" * 100000 + b"\r\n\r\n"),
    ("TLS bytes on the plain port",
     bytes.fromhex("16030100c4010000c00303") + b"\x00" * 64),
]


def test_garbage(env):
    for desc, data in GARBAGE:
        a, closed, took = exchange(env, data, timeout=REQUEST_TIMEOUT + 1)
        t.ok((a is not None and 400 <= a[0] < 500) or (a is None and closed),
             "%s: a 4xx answer or the connection closed, never served" %
             desc, a)
        if b"\n" in data:
            t.ok(took < 0.5, "%s: dealt with at once, not left hanging "
                 "until request_timeout (%.1f s)" % (desc, took))
        else:
            # No line end: it could still become a request line.
            t.ok(took < REQUEST_TIMEOUT + 0.5, "%s: closed by "
                 "request_timeout (%.1f s)" % (desc, took))
        still_serving(env, desc)
    for i in range(15):
        exchange(env, b"GET /healthz\r\n\r\n", timeout=0.3)
    still_serving(env, "15 HTTP/0.9 requests in a row")


def test_tls_port(env):
    """Plain HTTP on the TLS listener is no way around anything."""
    s = socket.create_connection(("127.0.0.1", env.port), 5)
    s.settimeout(REQUEST_TIMEOUT + 2)
    try:
        s.sendall(b"GET /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    finally:
        s.close()
    t.ok(b"HTTP/1.1 200" not in got and b"records" not in got,
         "plain HTTP sent to the TLS listener is not served", got[:200])


def test_concurrent_abuse(env):
    """Many clients at once, some abusive, while a good one keeps asking."""
    stop = time.monotonic() + 3
    errs = []

    def abuser(data):
        while time.monotonic() < stop:
            try:
                exchange(env, data, timeout=0.5)
            except OSError:
                pass

    ths = [threading.Thread(target=abuser, args=(d,)) for d in (
        b"GET /v1/vps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\r\n",
        b"POST /v1/vps HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /native/pve/api2/json/access/users HTTP/1.1\r\nHost: x\r\n" +
        AUTH + b"\r\n")]
    for th in ths:
        th.start()
    good = 0
    while time.monotonic() < stop:
        try:
            if env.get("/v1/vps", timeout=3).status == 200:
                good += 1
        except OSError as e:
            errs.append(repr(e))
    for th in ths:
        th.join()
    t.ok(good > 10 and not errs, "a good client is served while three "
         "abuse the daemon (%d answers)" % good, errs[:3])


def test_head_and_absolute(env):
    """HEAD answers carry no body (a keep-alive client would read it as
    the next answer); an absolute-form target gets its 400."""
    r = Raw(env, 3)
    try:
        r.send(b"HEAD /v1/vps HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
               b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.5)
        r._recv(time.monotonic() + 1)
        raw = r.buf
    finally:
        r.close()
    heads = raw.split(b"\r\n\r\n", 1)
    t.ok(heads[0].startswith(b"HTTP/1.1 200") and
         b"Content-Length: " in heads[0], "HEAD: 200 with the GET's "
         "Content-Length", heads[0][:300])
    t.ok(len(heads) == 2 and heads[1].startswith(b"HTTP/1.1 200") and
         heads[1].endswith(b'{"ready":true,"status":"ok"}'),
         "HEAD: no body, so the next answer follows at once", raw[:600])
    a, closed, took = exchange(env, b"GET http://127.0.0.1/v1/vps HTTP/1.1"
                               b"\r\nHost: x\r\n" + AUTH + b"\r\n")
    t.eq(a and a[0], 400, "an absolute-form target: the 400 arrives")


with Env("hostile") as env:
    env.start(emu_args=("--generate", "8", "--nodes", "2"),
              extra={"limits": {"request_timeout": REQUEST_TIMEOUT,
                                "max_connections": MAX_CONNS,
                                "max_uri_bytes": MAX_URI,
                                "max_header_bytes": MAX_HEADER}})
    for fn in (test_auth, test_methods, test_bodies, test_sizes,
               test_native_tricks, test_log_redaction, test_keepalive,
               test_pipeline, test_concurrent_abuse, test_tls_port,
               test_max_connections, test_slowloris, test_close_delimited,
               test_head_and_absolute, test_garbage):
        t0 = time.monotonic()
        t.run(fn, env)
        if not env.alive():
            t.ok(False, "sightlined survived " + fn.__name__,
                 env.daemon_output()[-3000:])
            env.daemon = None
            env.start_daemon()
        else:
            still_serving(env, fn.__name__)
        t.diag("%s took %.1f s" % (fn.__name__, time.monotonic() - t0))

    t.ok(env.alive() and responsive(env), "sightlined is alive and answering "
         "after everything")
    reqs = env.emu_requests()
    t.eq([r for r in reqs if r.get("write") or r.get("secret")], [],
         "the panel received no write and no secret-bearing request")
    t.eq(sorted({r["method"] for r in reqs}), ["GET"],
         "and GETs only")
    out = env.daemon_output()
    everything = b"".join(bodies)
    t.ok(len(bodies) > 100, "(control) %d answer bodies were collected" %
         len(bodies))
    t.ok(b"pve/100" in everything, "(control) they include real records")
    for name, what in (("the hoster token", HOSTER_TOKEN),
                       ("the panel token's secret", PVE_SECRET),
                       ("a CANARY- string", "CANARY-")):
        t.lacks(everything, what.encode(), "no answer body holds %s" % name)
        t.lacks(out, what, "the daemon's log and output do not hold %s" %
                name)
    t.contains(out, "GET /native/pve/api2/json/?[2J 403",
               "(control) the log has the request with an escape sequence")
    t.eq(re.findall(r"[\x00-\x09\x0b-\x1f\x7f]", out), [],
         "and no control character made it into the log")
t.done()
