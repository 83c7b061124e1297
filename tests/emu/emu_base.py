"""emu_base.py - what every panel emulator shares: an HTTP/1.1 server on real
sockets (plain or TLS, keep-alive, pipelining), a request log, fault switches
and the /_emu control endpoints. A panel emulator supplies an App with

    handle(req) -> Resp      the panel's answer to one request

and calls main(App, argv, parser_hook). Python 3 standard library only
(Debian's /usr/bin/python3). The Proxmox emulator predates this module and
keeps its own copy of pveproxy's exact wire format.

CONTROL (no auth; never logged)
  GET /_emu/fault?kind=K&path=RE&count=N&delay=S&status=C&size=B
      K: slow (answer after S seconds), 500 (status C, default 500), html (a 200
      HTML page), truncated (half the body, then close), garbage (broken JSON
      with status 200), close (hang up), redirect (302 to /login), oversized
      (a valid JSON body of B bytes), none (clear every fault). RE is a regular
      expression searched in "path?query"; count N applies it N times.
  GET /_emu/log[?clear=1]   the request log, one JSON object per line
  GET /_emu/stats[?reset=1] counters: requests, writes, methods, statuses
  GET /_emu/reset           clear the log, counters and faults

LOG LINE
  {"t":..., "method":..., "path":..., "query":..., "status":..., "auth":...,
   "write": bool, "secret": bool, "body": bool}
  "write" and "secret" come from the App's classify(req) -> (write, secret).
"""
import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import sys
import time
import traceback
from collections import deque
from urllib.parse import parse_qsl, unquote

MiB = 1024 * 1024
MAX_HEADER = 64 * 1024
MAX_BODY = 4 * MiB
REQ_LINE = re.compile(rb"([A-Z]+) (\S+) HTTP/(\d)\.(\d)\s*$")
JSON_CT = "application/json"
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Login</title></head><body>"
             b"<form method=\"post\" action=\"/login\"><input name=\"username\">"
             b"<input name=\"password\" type=\"password\"></form></body></html>\n")
REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}


def jbytes(obj, slash=False):
    """Compact UTF-8 JSON; slash=True escapes "/" as "\\/" like PHP's json_encode."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (s.replace("/", "\\/") if slash else s).encode("utf-8")


class Resp:
    __slots__ = ("code", "body", "ctype", "headers")

    def __init__(self, code, body=b"", ctype=JSON_CT, headers=()):
        self.code, self.body, self.ctype, self.headers = code, body, ctype, list(headers)


def json_resp(obj, code=200, slash=False):
    return Resp(code, jbytes(obj, slash))


class Req:
    __slots__ = ("method", "path", "query", "params", "headers", "body", "v11", "keep", "t",
                 "auth")

    def __init__(self, method, target, v11, headers):
        path, _, query = target.partition("?")
        self.method, self.path, self.query = method, unquote(path), query
        self.params = parse_qsl(query, keep_blank_values=True)
        self.headers, self.body, self.v11, self.t, self.auth = headers, b"", v11, 0.0, "missing"
        conn = headers.get("connection", "").lower()
        self.keep = "close" not in conn if v11 else "keep-alive" in conn

    def param(self, name, default=None):
        """The last value of a query parameter (PHP's $_GET keeps the last)."""
        for k, v in reversed(self.params):
            if k == name:
                return v
        return default


class Fault:
    __slots__ = ("kind", "rx", "count", "delay", "status", "size", "hits")


FAULT_KINDS = ("slow", "500", "html", "truncated", "garbage", "close", "redirect", "oversized")


class Faults:
    def __init__(self):
        self.items = []

    def set(self, q):
        kind = q.get("kind", "")
        if kind == "none":
            self.items.clear()
            return
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (none, {', '.join(FAULT_KINDS)})")
        f = Fault()
        f.kind, f.hits = kind, 0
        try:
            f.rx = re.compile(q.get("path", ""))
            f.count = int(q["count"]) if q.get("count") else None
            f.delay = float(q.get("delay", 5))
            f.status = int(q.get("status", 500))
            f.size = int(q.get("size", 64 * MiB))
        except (re.error, ValueError) as e:
            raise ValueError(f"bad fault parameter: {e}") from None
        self.items.insert(0, f)

    def take(self, where):
        for f in self.items:
            if f.rx.search(where):
                f.hits += 1
                if f.count is not None:
                    f.count -= 1
                    if f.count <= 0:
                        self.items.remove(f)
                return f
        return None

    def describe(self):
        return [{"kind": f.kind, "path": f.rx.pattern, "count": f.count, "hits": f.hits}
                for f in self.items]


class Recorder:
    def __init__(self, path, keep=200_000):
        self.file = open(path, "a", buffering=1, encoding="utf-8") if path else None
        self.lines = deque(maxlen=keep)
        self.reset()

    def reset(self):
        self.requests = self.writes = 0
        self.methods, self.statuses = {}, {}

    def add(self, req, status, write, secret):
        self.requests += 1
        self.writes += bool(write)
        self.methods[req.method] = self.methods.get(req.method, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        line = json.dumps({"t": round(req.t, 6), "method": req.method, "path": req.path,
                           "query": req.query, "status": status, "auth": req.auth,
                           "write": bool(write), "secret": bool(secret),
                           "body": bool(req.body)}, separators=(",", ":")) + "\n"
        self.lines.append(line)
        if self.file:
            self.file.write(line)

    def snapshot(self):
        return {"requests": self.requests, "writes": self.writes, "methods": self.methods,
                "status": {str(k): v for k, v in self.statuses.items()}}


class Conn(asyncio.Protocol):
    """One client connection; requests are answered strictly in order."""

    def __init__(self, server):
        self.s, self.t, self.buf, self.busy, self.closing = server, None, b"", False, False

    def connection_made(self, transport):
        self.t = transport

    def connection_lost(self, exc):
        self.closing = True

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self.process()

    def process(self):
        while not self.busy and not self.closing and self.buf:
            self.buf = self.buf.lstrip(b"\r\n")
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER:
                    self.fail(431)
                return
            lines = self.buf[:end].split(b"\r\n")
            m = REQ_LINE.match(lines[0])
            if not m or m[3] != b"1":
                return self.fail(400)
            headers = {}
            for raw in lines[1:]:
                k, sep, v = raw.partition(b":")
                if not sep:
                    return self.fail(400)
                k, v = k.strip().lower().decode("latin-1"), v.strip().decode("latin-1")
                headers[k] = f"{headers[k]}, {v}" if k in headers else v
            clen = headers.get("content-length", "0").strip()
            if not clen.isdigit() or int(clen) > MAX_BODY or "transfer-encoding" in headers:
                return self.fail(400)
            if len(self.buf) < end + 4 + int(clen):
                return
            req = Req(m[1].decode(), m[2].decode("latin-1"), m[4] == b"1", headers)
            req.body = self.buf[end + 4:end + 4 + int(clen)]
            self.buf = self.buf[end + 4 + int(clen):]
            self.dispatch(req)

    def fail(self, code):
        self.t.write(b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                     % (code, REASONS.get(code, "Error").encode()))
        self.close()

    def close(self):
        self.closing = True
        self.t.close()

    def dispatch(self, req):
        s = self.s
        req.t = time.time()
        if req.path.startswith("/_emu/"):
            return self.send(req, s.control(req), log=False)
        fault = s.faults.take(f"{req.path}?{req.query}") if s.faults.items else None
        if fault is not None and fault.kind != "slow":
            return self.apply_fault(req, fault)
        try:
            resp = s.app.handle(req)
        except Exception as e:                  # an emulator bug must not look like a hang
            traceback.print_exc()
            resp = Resp(500, f"emulator internal error: {e}\n".encode(), "text/plain")
        if fault is not None:
            self.busy = True
            asyncio.get_running_loop().call_later(fault.delay, self.later, req, resp)
        else:
            self.send(req, resp)
        return None

    def later(self, req, resp):
        self.busy = False
        if self.closing:
            self.log(req, 0)
            return
        self.send(req, resp)
        self.process()

    def log(self, req, status):
        write, secret = self.s.app.classify(req)
        self.s.rec.add(req, status, write, secret)

    def send(self, req, resp, log=True, keep=None):
        keep = req.keep if keep is None else keep
        head = [b"HTTP/1.1 %d %s" % (resp.code, REASONS.get(resp.code, "Status").encode()),
                b"Date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()).encode(),
                b"Server: " + self.s.app.server_name.encode()]
        for k, v in resp.headers:
            head.append(f"{k}: {v}".encode("latin-1"))
        if resp.ctype:
            head.append(b"Content-Type: " + resp.ctype.encode())
        head += [b"Content-Length: %d" % len(resp.body),
                 b"Connection: keep-alive" if keep else b"Connection: close", b"", b""]
        self.t.write(b"\r\n".join(head) + (b"" if req.method == "HEAD" else resp.body))
        if log:
            self.log(req, resp.code)
        if not keep:
            self.close()

    def apply_fault(self, req, f):
        k = f.kind
        if k == "close":
            self.log(req, 0)
            return self.close()
        if k == "500":
            return self.send(req, Resp(f.status, b"<html><body><h1>Server Error</h1></body></html>",
                                       "text/html"))
        if k == "html":
            return self.send(req, Resp(200, HTML_PAGE, "text/html; charset=UTF-8"))
        if k == "garbage":
            return self.send(req, Resp(200, b'{"vs": {"1": [1, 2,'))
        if k == "redirect":
            return self.send(req, Resp(302, b"", None, [("Location", "/login")]))
        if k == "oversized":
            n = max(f.size, 8)
            return self.send(req, Resp(200, b'["' + b"x" * (n - 4) + b'"]'))
        # truncated: announce the normal body, send half of it, hang up
        normal = self.s.app.handle(req)
        body = normal.body if len(normal.body) > 1 else b'{"padding": "' + b"x" * 200 + b'"}'
        self.t.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
        self.log(req, 200)
        return self.close()


class Server:
    def __init__(self, app, opts):
        self.app, self.opts = app, opts
        self.faults, self.rec = Faults(), Recorder(opts.log)

    def control(self, req):
        q = dict(req.params)
        what = req.path[len("/_emu/"):]
        if what == "fault":
            if "kind" in q:
                try:
                    self.faults.set(q)
                except ValueError as e:
                    return json_resp({"error": str(e)}, 400)
            return json_resp(self.faults.describe())
        if what == "log":
            body = "".join(self.rec.lines).encode()
            if q.get("clear") == "1":
                self.rec.lines.clear()
            return Resp(200, body, "application/x-ndjson")
        if what == "stats":
            snap = self.rec.snapshot()
            if q.get("reset") == "1":
                self.rec.reset()
            return json_resp(snap)
        if what == "reset":
            self.rec.lines.clear()
            self.rec.reset()
            self.faults.items.clear()
            return json_resp(None)
        return json_resp({"error": f"no such emulator endpoint {req.path}"}, 404)


def common_args(prog, doc, default_port):
    ap = argparse.ArgumentParser(prog=prog, description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default=f"127.0.0.1:{default_port}", metavar="HOST:PORT",
                    help="address to listen on; port 0 picks a free one (default %(default)s)")
    ap.add_argument("--port-file", metavar="FILE",
                    help="write the bound port and a newline to FILE once listening")
    ap.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate")
    ap.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    ap.add_argument("--generate", type=int, default=0, metavar="N", help="generate N more VPSes")
    ap.add_argument("--nodes", type=int, default=2, metavar="M",
                    help="generated VPSes are spread over M nodes (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default %(default)s)")
    ap.add_argument("--no-fixtures", action="store_true", help="serve generated VPSes only")
    ap.add_argument("--log", metavar="FILE", help="append one JSON line per request to FILE")
    ap.add_argument("--fault", action="append", default=[], metavar="SPEC",
                    help="fault active from the start: 'kind=K&path=RE&...'; repeatable")
    return ap


def check_args(ap, opts):
    if bool(opts.tls_cert) != bool(opts.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if opts.no_fixtures and opts.generate <= 0:
        ap.error("--no-fixtures needs --generate N")
    if not 1 <= opts.nodes <= 9999:
        ap.error("--nodes must be 1..9999")
    host, sep, port = opts.listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        ap.error(f"--listen wants HOST:PORT, got {opts.listen!r}")
    opts.host, opts.port = host.strip("[]") or "0.0.0.0", int(port)


def _quiet(loop, ctx):
    if isinstance(ctx.get("exception"), (ConnectionError, ssl.SSLError, TimeoutError)):
        return
    loop.default_exception_handler(ctx)


async def _serve(server, name, started):
    opts = server.opts
    sslctx = None
    if opts.tls_cert:
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.minimum_version = ssl.TLSVersion.TLSv1_2
        sslctx.load_cert_chain(opts.tls_cert, opts.tls_key)
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet)
    try:
        srv = await loop.create_server(lambda: Conn(server), opts.host, opts.port, ssl=sslctx,
                                       backlog=1024, reuse_address=True)
    except OSError as e:
        print(f"{name}: error: cannot listen on {opts.listen}: {e.strerror or e}",
              file=sys.stderr)
        sys.exit(2)
    port = srv.sockets[0].getsockname()[1]
    if opts.port_file:
        tmp = f"{opts.port_file}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, opts.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"{name}: {server.app.describe()}, ready in {time.monotonic() - started:.2f}s, "
          f"listening on {'https' if sslctx else 'http'}://{opts.host}:{port}/",
          file=sys.stderr, flush=True)
    await stop.wait()
    srv.close()


def run(name, app, opts, started):
    """Serve app until SIGTERM. app needs handle(req), classify(req),
    describe() and a server_name attribute."""
    server = Server(app, opts)
    for spec in opts.fault:
        try:
            server.faults.set(dict(parse_qsl(spec)) if "=" in spec else {"kind": spec})
        except ValueError as e:
            print(f"{name}: error: bad --fault {spec!r}: {e}", file=sys.stderr)
            sys.exit(2)
    asyncio.run(_serve(server, name, started))
    return 0
