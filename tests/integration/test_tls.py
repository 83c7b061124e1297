#!/usr/bin/python3
"""TLS on both sides of sightlined, against the real daemon and emulator.

Front: the TLS listener serves the configured certificate with TLS 1.2 or
later and does not talk plain HTTP; with tls.client_ca, a verified client
certificate whose CN is a hoster's cert_cn authenticates without a token,
another CN does not, and bearer tokens keep working without a certificate
(crypto.c asks for a certificate but does not require one; api.c judges an
Authorization header first).

Upstream: the panel is verified with ca_file or pinned with fingerprint
(AA:BB:... or plain hex); a wrong pin or a wrong CA fails the refresh with
a 503 naming TLS, and no request (so no credential) reaches the panel.
Plain http to a non-loopback panel is refused by the configuration check.
"""
import hashlib
import os
import socket
import ssl
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Tap, Env, HOSTER_PVE_ID, OPENSSL, cert_sha256,  # noqa
                     run, sha256_hex, wait_for)

t = Tap()


def tls_context(env, **kw):
    ctx = ssl.create_default_context(cafile=env.path("ca.pem"))
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def handshake(env, ctx, server_hostname="localhost"):
    """Connect to the TLS listener; returns (version, DER leaf cert)."""
    with socket.create_connection(("127.0.0.1", env.port), 10) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname) as s:
            return s.version(), s.getpeercert(binary_form=True), \
                s.getpeercert()


def fp_of(env, name):
    return cert_sha256(env.path(name))


# ---------------------------------------------------------------- front

def test_front_tls(env):
    version, der, info = handshake(env, tls_context(env))
    t.ok(version in ("TLSv1.2", "TLSv1.3"),
         "the TLS listener speaks TLS >= 1.2 (%s)" % version)
    want = fp_of(env, "server.pem").replace(":", "").lower()
    t.eq(hashlib.sha256(der).hexdigest(), want,
         "and serves the configured certificate (server.pem)")
    cn = dict(x[0] for x in info.get("subject", ()))
    t.eq(cn.get("commonName"), "localhost",
         "which verifies against ca.pem for the name localhost")
    version, _, _ = handshake(env, tls_context(
        env, minimum_version=ssl.TLSVersion.TLSv1_2,
        maximum_version=ssl.TLSVersion.TLSv1_2))
    t.eq(version, "TLSv1.2", "a TLS 1.2-only client is served")

    # A client that offers TLS 1.1 at most must be refused by the server
    # (SECLEVEL=0 so that the client side itself is willing to try).
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        usable = True
    except (ssl.SSLError, ValueError):
        usable = False
    if not usable:
        t.skip("TLS 1.1 is refused", "this Python cannot offer TLS 1.1")
    else:
        try:
            v, _, _ = handshake(env, ctx)
            t.ok(False, "TLS 1.1 is refused by the server",
                 "handshake succeeded: " + v)
        except ssl.SSLError as e:
            t.contains(str(e), "PROTOCOL_VERSION",
                       "TLS 1.1 is refused by the server (protocol "
                       "version alert)")
        except OSError as e:
            t.ok(False, "TLS 1.1 is refused by the server", repr(e))

    r = env.get("/v1/vps", tls=True)
    t.eq(r.status, 200, "a bearer token over TLS: 200")

    # Plain HTTP sent to the TLS port gets no HTTP answer and no data.
    with socket.create_connection(("127.0.0.1", env.port), 5) as s:
        s.settimeout(3)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /v1/vps HTTP/1.1\r\nHost: x\r\nAuthorization: "
                  b"Bearer " + env.token.encode() + b"\r\n\r\n")
        got = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except (socket.timeout, ConnectionResetError):
            pass
    t.lacks(got, b"HTTP/", "plain HTTP to the TLS port: no HTTP answer")
    t.lacks(got, b"pve/100", "and no data")
    t.ok(env.alive(), "sightlined survives plain HTTP on its TLS port")


def restart(env, **kw):
    env.stop_daemon()
    env.write_config(env.config(**kw))
    env.start_daemon()


def test_mtls(env):
    tls = {"certificate": env.path("server.pem"),
           "key": env.path("server.key"), "client_ca": env.path("ca.pem")}
    hosters = [{"name": "noc", "token_sha256": sha256_hex(env.token),
                "pve_token_id": HOSTER_PVE_ID, "cert_cn": "noc"},
               {"name": "ops", "token_sha256": sha256_hex("ops-token-1234")}]
    restart(env, tls=tls, hosters=hosters)

    r = env.get("/v1/vps", tls=True, cert="client", token=None)
    t.eq(r.status, 200, "mTLS: certificate CN noc, no token: 200")
    if r.status == 200:
        t.eq(len(r.json()["records"]), 3, "with the inventory")
    log = env.log_text()
    t.contains(log, "request 127.0.0.1 noc GET /v1/vps 200",
               "the request is logged as hoster noc")
    r = env.get("/metrics", tls=True, cert="client", token=None)
    t.eq(r.status, 200, "the certificate also opens /metrics")

    r = env.get("/v1/vps", tls=True, cert="other", token=None)
    t.eq(r.status, 401, "certificate CN stranger (no hoster has it): 401")
    t.ok(r.header("WWW-Authenticate") is not None, "with WWW-Authenticate")
    t.contains(r.text(), "no credential", "the problem says no credential")

    r = env.get("/v1/vps", tls=True, token=None)
    t.eq(r.status, 401, "no certificate and no token: 401")
    r = env.get("/v1/vps", tls=True)
    t.eq(r.status, 200, "no certificate, bearer token: still 200")
    r = env.get("/v1/vps", tls=True, token="ops-token-1234")
    t.eq(r.status, 200, "a token-only hoster is still served")
    r = env.get("/v1/vps", tls=True, cert="other")
    t.eq(r.status, 200, "CN stranger plus a valid token: the token counts")
    r = env.get("/v1/vps", tls=True, cert="client", token="wrong-token")
    t.eq(r.status, 401, "CN noc plus a wrong token: the bad Authorization "
         "header is refused, not overridden by the certificate")
    r = env.get("/v1/vps", cert=None, token=None)
    t.eq(r.status, 401, "the plain listener has no certificates: 401")

    # A client certificate from a CA that is not tls.client_ca.
    rogue = env.path("rogue")
    os.makedirs(rogue, exist_ok=True)
    ok = True
    for args in (
            ["req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "30", "-subj", "/CN=rogue CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", "noc.key", "-out", "noc.csr", "-subj",
             "/CN=noc"],
            ["x509", "-req", "-in", "noc.csr", "-CA", "ca.pem", "-CAkey",
             "ca.key", "-CAcreateserial", "-out", "noc.pem", "-days",
             "30"]):
        ok = ok and run([OPENSSL] + args, cwd=rogue).returncode == 0
    t.ok(ok, "made a rogue CA and a client certificate CN noc from it")
    ctx = tls_context(env)
    ctx.load_cert_chain(os.path.join(rogue, "noc.pem"),
                        os.path.join(rogue, "noc.key"))
    import http.client
    status = None
    try:
        c = http.client.HTTPSConnection("127.0.0.1", env.port, context=ctx,
                                        timeout=10)
        c.request("GET", "/v1/vps")
        status = c.getresponse().status
        c.close()
    except (ssl.SSLError, OSError, http.client.HTTPException) as e:
        status = type(e).__name__
    t.ok(status != 200 and not isinstance(status, int),
         "a CN noc certificate from another CA fails the handshake",
         "got %r" % (status,))
    t.ok(env.alive(), "sightlined is still running after mTLS")


# ---------------------------------------------------------------- upstream

def panel_requests(env):
    return len([x for x in env.emu_requests()
                if x["path"].startswith("/api2/")])


def wait_503(env):
    """Wait until /v1/vps reports a failed refresh; return the response."""
    def failed():
        r = env.get("/v1/vps")
        if r.status == 503 and "refresh failed" in r.text():
            return r
        return None
    return wait_for(failed, 20, 0.1) or env.get("/v1/vps")


def test_upstream(env):
    fp = fp_of(env, "server.pem")
    t.ok(len(fp) == 95 and fp.count(":") == 31, "server.pem's fingerprint "
         "is AA:BB:... form", fp)

    restart(env)
    t.eq(env.get("/v1/vps").status, 200, "panel with ca_file = ca.pem: 200")

    restart(env, panel={"ca_file": None, "fingerprint": fp})
    t.eq(env.get("/v1/vps").status, 200,
         "panel pinned with fingerprint AA:BB:...: 200")
    plain = fp.replace(":", "").lower()
    restart(env, panel={"ca_file": None, "fingerprint": plain})
    t.eq(env.get("/v1/vps").status, 200,
         "panel pinned with the fingerprint as 64 lower-case hex digits: "
         "200")

    # A wrong pin: the CA's fingerprint, not the server's.
    wrong = fp_of(env, "ca.pem")
    before = panel_requests(env)
    env.stop_daemon()
    env.write_config(env.config(panel={"ca_file": None,
                                       "fingerprint": wrong}))
    env.start_daemon(wait_inventory=False)
    r = wait_503(env)
    t.eq(r.status, 503, "a wrong fingerprint: /v1/vps is 503")
    detail = r.json().get("detail", "") if r.status == 503 else r.text()
    t.contains(detail, "refresh failed", "the detail says the refresh "
               "failed")
    t.contains(detail, "TLS", "and names TLS")
    t.eq(r.header("Retry-After"), "10", "with Retry-After")
    t.eq(panel_requests(env), before,
         "no request (no credential) reached the panel with a wrong pin")
    t.contains(env.log_text(), "TLS handshake or certificate check",
               "the log says why")

    # A CA that did not sign the panel's certificate.
    other = env.path("otherca")
    os.makedirs(other, exist_ok=True)
    r = run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "30", "-subj", "/CN=other CA"],
            cwd=other)
    t.eq(r.returncode, 0, "made another CA")
    before = panel_requests(env)
    env.stop_daemon()
    env.write_config(env.config(panel={"ca_file":
                                       os.path.join(other, "ca.pem")}))
    env.start_daemon(wait_inventory=False)
    r = wait_503(env)
    t.eq(r.status, 503, "a CA that did not sign the panel: 503")
    detail = r.json().get("detail", "") if r.status == 503 else r.text()
    t.contains(detail, "TLS", "whose detail names TLS")
    t.eq(panel_requests(env), before,
         "no request reached the panel under the wrong CA")

    env.stop_daemon()

    # Configuration checks on the panel's TLS settings.
    def check(panel, want, desc):
        path = env.path("check.conf")
        env.write_config(env.config(panel=panel), path)
        r = env.check_config(path)
        t.ok(r.returncode != 0 and want in r.stderr, desc,
             "rc %d, stderr %r" % (r.returncode, r.stderr))

    check({"url": "http://192.0.2.10:8006", "ca_file": None},
          "panels[1].url: plain http",
          "http:// to a non-loopback panel is refused by the check")
    check({"url": "http://pve.example.net:8006", "ca_file": None},
          "panels[1].url: plain http",
          "http:// to a host name is refused too")
    check({"fingerprint": fp}, "ca_file and fingerprint exclude each other",
          "ca_file and fingerprint together are refused")
    check({"ca_file": None, "fingerprint": plain[:-2]},
          "panels[1]: fingerprint must be",
          "a short fingerprint is refused")
    check({"ca_file": None, "fingerprint": "zz" + plain[2:]},
          "panels[1]: fingerprint must be",
          "a non-hex fingerprint is refused")
    path = env.path("check.conf")
    env.write_config(env.config(panel={
        "url": "http://127.0.0.1:%d" % env.emu_port, "ca_file": None}),
        path)
    r = env.check_config(path)
    t.eq((r.returncode, r.stdout.strip()), (0, "configuration OK"),
         "http:// to a loopback panel passes the check")


with Env("tls") as env:
    env.start()
    for fn in (test_front_tls, test_mtls, test_upstream):
        t.run(fn, env)
        if not env.alive() and fn is not test_upstream:
            t.diag(env.daemon_output()[-3000:])
            restart(env)
t.done()
