"""rest_emu.py - what the SolusVM 2 and VirtFusion emulators share: both are
Laravel panels under /api/v1 with a bearer token. On top of emu_base.py:

  RestApp          route table (method, path regex) -> handler, the bearer
                   check (401 with the panel's own body), write/secret
                   classification for the request log, and pre-rendered
                   bodies (compact JSON with "/" escaped as "\\/", as PHP's
                   json_encode writes it).
  Paged            a listing of pre-rendered items answered page by page,
                   in either Laravel shape: "resource" ({data, links, meta},
                   SolusVM 2) or "plain" ({current_page, data, ...,
                   last_page, links:[...], total}, VirtFusion).
  gen_ipv4/gen_mac unique, deterministic addresses for generated VPSes.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from emu_base import Resp, jbytes, json_resp  # noqa: E402

READ_METHODS = ("GET", "HEAD")


def load_fixture(fixtures, name):
    with open(os.path.join(fixtures, name), encoding="utf-8") as f:
        return json.load(f)


def gen_ipv4(base, i):
    """The i-th address after base (an int), skipping .0 and .255."""
    n = base + (i // 254) * 256 + 1 + i % 254
    return "%d.%d.%d.%d" % (n >> 24, n >> 16 & 255, n >> 8 & 255, n & 255)


def gen_mac(prefix, i):
    """52:54:00 and 3 bytes of prefix + i: unique per (prefix, i)."""
    n = prefix + i
    return "52:54:00:%02x:%02x:%02x" % (n >> 16 & 255, n >> 8 & 255, n & 255)


class Paged:
    """Items (dicts), rendered once, served page by page."""

    def __init__(self, items, url, shape, default_size, max_size=None, size_param="per_page"):
        self.items = items
        self.raw = [jbytes(x, slash=True) for x in items]
        self.url, self.shape = url, shape
        self.default_size, self.max_size, self.size_param = default_size, max_size, size_param

    def page(self, req, subset=None):
        """The answer to req (page=, per_page= or results=), or None when a
        parameter is invalid. subset: indexes of the items to list."""
        page, size = req.param("page", "1"), req.param(self.size_param, str(self.default_size))
        if not page.isdigit() or not size.isdigit() or int(size) < 1 or int(page) < 1:
            return None
        page, size = int(page), int(size)
        if self.max_size and size > self.max_size:
            return None
        idx = range(len(self.raw)) if subset is None else subset
        total = len(idx)
        last = max(1, (total + size - 1) // size)
        lo = (page - 1) * size
        chosen = idx[lo:lo + size]
        data = b"[" + b",".join(self.raw[i] for i in chosen) + b"]"
        frm = lo + 1 if chosen else None
        to = lo + len(chosen) if chosen else None

        def link(n):
            return None if n is None or n < 1 or n > last else "%s?page=%d" % (self.url, n)
        if self.shape == "resource":
            rest = {"links": {"first": link(1), "last": link(last), "prev": link(page - 1),
                              "next": link(page + 1)},
                    "meta": {"current_page": page, "from": frm, "last_page": last,
                             "path": self.url, "per_page": size, "to": to, "total": total}}
            return Resp(200, b'{"data":' + data + b"," + jbytes(rest, slash=True)[1:])
        head = {"current_page": page}
        tail = {"first_page_url": link(1), "from": frm, "last_page": last,
                "last_page_url": link(last),
                "links": [{"url": link(page - 1), "label": "&laquo; Previous", "active": False}] +
                         [{"url": link(n), "label": str(n), "active": n == page}
                          for n in range(max(1, page - 2), min(last, page + 2) + 1)] +
                         [{"url": link(page + 1), "label": "Next &raquo;", "active": False}],
                "next_page_url": link(page + 1), "path": self.url, "per_page": size,
                "prev_page_url": link(page - 1), "to": to, "total": total}
        return Resp(200, jbytes(head, slash=True)[:-1] + b',"data":' + data + b"," +
                    jbytes(tail, slash=True)[1:])


class RestApp:
    """A Laravel panel API: subclasses fill self.routes with (method, regex,
    handler(req, match) -> Resp) and self.secret_rx with the paths that
    answer secrets."""
    server_name = "nginx"
    root = "/api/v1"

    def __init__(self, opts, token, error_401):
        self.opts, self.token = opts, token
        self.error_401 = jbytes(error_401, slash=True)
        self.routes = []
        self.secret_rx = None

    def route(self, method, pattern, fn):
        self.routes.append((method, re.compile("^" + self.root + pattern + "$"), fn))

    def classify(self, req):
        write = req.method not in READ_METHODS
        secret = bool(self.secret_rx and self.secret_rx.search(req.path))
        return write, secret

    def handle(self, req):
        h = req.headers.get("authorization", "")
        if not h:
            req.auth = "missing"
        elif h == "Bearer " + self.token:
            req.auth = "ok"
        else:
            req.auth = "bad"
        if req.auth != "ok":
            return Resp(401, self.error_401)
        method = "GET" if req.method == "HEAD" else req.method
        for m, rx, fn in self.routes:
            mt = rx.match(req.path)
            if mt and (m == method or m == "*"):
                return fn(req, mt)
        if req.method not in READ_METHODS:
            # A write the emulator does not model still "succeeds": what
            # matters is that the log shows it arrived.
            return json_resp({"data": {"id": 1, "status": "queued"}}, 200, slash=True)
        return json_resp({"message": "The route %s could not be found." % req.path.lstrip("/")},
                         404, slash=True)
