"""harness.py - what sightline's integration tests share.

A test is a Python script that prints TAP (run by automake's
tap-driver.sh from `make check`). It starts the real Proxmox emulator
and the real sightlined on 127.0.0.1 with free ports, talks to them over
real sockets and checks what comes back.

    from harness import Tap, Env
    t = Tap()
    with Env("api") as env:
        env.start()                 # emulator + daemon, default config
        st, hdr, body = env.get("/v1/vps", token=env.token)
        t.eq(st, 200, "list answers 200")
    t.done()

Standard library only, plus python3-proxmoxer where a test wants it.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("top_srcdir",
                                        os.path.join(HERE, "..", "..")))
BUILDDIR = os.path.abspath(os.environ.get("top_builddir", SRCDIR))
SIGHTLINED = os.path.join(BUILDDIR, "sightlined")
SIGHTLINE = os.path.join(BUILDDIR, "sightline")
EMULATOR = os.path.join(SRCDIR, "tests", "emu", "pve_emu.py")
VZ_EMULATOR = os.path.join(SRCDIR, "tests", "emu", "virtualizor_emu.py")
VZ_POLICY = os.path.join(SRCDIR, "policies", "virtualizor.lua")
FIXTURES = os.path.join(SRCDIR, "tests", "fixtures", "proxmox")
POLICY = os.path.join(SRCDIR, "policies", "proxmox.lua")
PYTHON = os.environ.get("PYTHON3", "/usr/bin/python3")
OPENSSL = os.environ.get("OPENSSL", "openssl")

# The emulator's default API token, the one sightlined is given.
PVE_TOKEN = "auditor@pve!sightline=00000000-0000-0000-0000-000000000000"
# The hoster's bearer token in the default configuration.
HOSTER_TOKEN = "hoster-secret-0123456789abcdef"
HOSTER_PVE_ID = "noc@pve!sightline"
# The deployment key's name in every test.
KEY_NAME = "sightline.test/reseller"
# Every panel's emulator and the credentials line it accepts, by the panel
# name the multi-panel tests configure (Env.start_panels).
PANEL_EMULATORS = {
    "pve": ("proxmox", "pve_emu.py", PVE_TOKEN),
    "vz": ("virtualizor", "virtualizor_emu.py",
           "adminapikey=sightlinekey0000000000000000test&"
           "adminapipass=sightlinepass000000000000000test"),
    "svm1": ("solusvm1", "solusvm1_emu.py",
             "id=sightline&key=CANARY-APIKEY-0123456789abcdef"),
    "svm2": ("solusvm2", "solusvm2_emu.py",
             "svm2-test-token-0123456789abcdef"),
    "vf": ("virtfusion", "virtfusion_emu.py",
           "vf-test-token-0123456789abcdef"),
}


class Tap:
    """A TAP producer. Every check prints one line at once."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        sys.stdout.reconfigure(line_buffering=True)

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = desc.replace("#", "\\#")
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, desc))
        if not cond:
            self.failed += 1
            if diag is not None:
                self.diag(diag)
        return cond

    def eq(self, got, want, desc, diag=None):
        return self.ok(got == want, desc,
                       "got:  %r\nwant: %r%s" % (got, want, "" if diag is
                                                  None else "\n%s" % diag))

    def contains(self, hay, needle, desc):
        return self.ok(needle in hay, desc,
                       "%r not found in %r" % (needle, hay[:2000]))

    def lacks(self, hay, needle, desc):
        return self.ok(needle not in hay, desc,
                       "%r found in %r" % (needle, hay[:2000]))

    def skip(self, desc, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, reason))

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)

    def run(self, fn, *args):
        """Run one test function; an exception is one failed check."""
        try:
            fn(*args)
        except Exception:
            self.ok(False, "%s raised" % fn.__name__, traceback.format_exc())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1/localhost and a client
    certificate with CN "noc", all under d. EC keys: quick to make."""
    def ossl(*args):
        r = run([OPENSSL] + list(args), cwd=d)
        if r.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (args[0], r.stderr))
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
         "-out", "ca.pem", "-days", "30", "-subj", "/CN=sightline test CA")
    for name, cn, ext in (
            ("server", "localhost",
             "subjectAltName=DNS:localhost,IP:127.0.0.1"),
            ("client", "noc", "extendedKeyUsage=clientAuth"),
            ("other", "stranger", "extendedKeyUsage=clientAuth")):
        ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
             "-subj", "/CN=" + cn)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        ossl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
             "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
             "-days", "30", "-extfile", name + ".ext")
    for f in os.listdir(d):
        if f.endswith(".key"):
            os.chmod(os.path.join(d, f), 0o600)


def cert_sha256(path):
    r = run([OPENSSL, "x509", "-in", path, "-noout", "-fingerprint",
             "-sha256"])
    return r.stdout.strip().split("=", 1)[1]


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua(v, indent=""):
    """A Python value as Lua table constructor text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return lua_str(v)
    if isinstance(v, list):
        return "{ " + ", ".join(lua(x, indent) for x in v) + " }"
    if isinstance(v, dict):
        inner = indent + "\t"
        items = ["%s%s = %s" % (inner, k, lua(x, inner))
                 for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    raise TypeError(type(v))


def sha256_hex(s):
    import hashlib
    return hashlib.sha256(s.encode()).hexdigest()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __iter__(self):
        return iter((self.status, self.headers, self.body))


class Env:
    """One test's world: a work directory, PKI, the emulator, sightlined."""

    def __init__(self, name, base=None):
        """name: the work directory's, under base (tests/work)."""
        self.name = name
        self.dir = os.path.join(base or os.path.join(BUILDDIR, "tests",
                                                     "work"), name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        make_pki(self.dir)
        self.token = HOSTER_TOKEN
        self.emu = None
        self.emu_port = None
        self.daemon = None
        self.port = None          # TLS listener
        self.plain_port = None    # plain HTTP listener on loopback
        self.conf_path = os.path.join(self.dir, "sightline.conf")
        self.log_path = os.path.join(self.dir, "sightlined.log")
        self.emu_log = os.path.join(self.dir, "emu.log")
        # The deployment key, made by the real tool.
        r = run([SIGHTLINE, "keygen", "--name", KEY_NAME, "--out", self.dir])
        if r.returncode != 0:
            raise RuntimeError("sightline keygen failed: " + r.stderr)
        self.vkey = r.stdout.strip()
        base = KEY_NAME.replace("/", "_")
        self.key_signing = self.path(base + ".skey")
        self.key_secret = self.path(base + ".secret")
        self.cred_path = os.path.join(self.dir, "pve.token")
        with open(self.cred_path, "w") as f:
            f.write(PVE_TOKEN + "\n")
        os.chmod(self.cred_path, 0o600)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def path(self, name):
        return os.path.join(self.dir, name)

    # ---- the emulator ----

    def start_emulator(self, *args, tls=True, log=True, timeout=20,
                       emulator=None, port=None):
        """log: the emulator writes a JSON line per request (costs CPU);
        timeout: seconds it may take to start (generating VMs takes
        time); emulator: another panel's (VZ_EMULATOR, ...), which finds
        its own fixtures, instead of the Proxmox one; port: the port of
        an emulator stopped before, to come back with other data."""
        self.emu_port = port or free_port()
        cmd = [PYTHON, emulator or EMULATOR,
               "--listen", "127.0.0.1:%d" % self.emu_port]
        if emulator is None:
            cmd += ["--fixtures", FIXTURES]
        if log:
            cmd += ["--log", self.emu_log]
        if tls:
            cmd += ["--tls-cert", self.path("server.pem"),
                    "--tls-key", self.path("server.key")]
        cmd += list(args)
        self.emu_tls = tls
        self.emu = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                    stderr=open(self.path("emu.err"), "w"))

        def up():
            if self.emu.poll() is not None:
                raise RuntimeError("emulator exited: " +
                                   open(self.path("emu.err")).read())
            try:
                socket.create_connection(("127.0.0.1", self.emu_port),
                                         0.2).close()
                return True
            except OSError:
                return False
        if not wait_for(up, timeout, 0.05):
            raise RuntimeError("emulator did not start: " +
                               open(self.path("emu.err")).read())

    def emu_get(self, path):
        """A control call to the emulator (/_emu/...), no credentials."""
        if self.emu_tls:
            ctx = ssl.create_default_context(cafile=self.path("ca.pem"))
            c = http.client.HTTPSConnection("127.0.0.1", self.emu_port,
                                            context=ctx, timeout=10)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.emu_port,
                                           timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body

    def fault(self, kind, path=".*", count=1, **kw):
        q = {"kind": kind, "path": path, "count": str(count)}
        q.update({k: str(v) for k, v in kw.items()})
        st, body = self.emu_get("/_emu/fault?" + urllib.parse.urlencode(q))
        if st != 200:
            raise RuntimeError("fault %s: %d %r" % (kind, st, body))

    def emu_reset(self):
        self.emu_get("/_emu/reset")

    def emu_requests(self):
        """Every request the emulator has logged, as dicts."""
        out = []
        if os.path.exists(self.emu_log):
            with open(self.emu_log) as f:
                for line in f:
                    line = line.strip()
                    if line:
                        out.append(json.loads(line))
        return out

    # ---- sightlined ----

    def config(self, panel=None, hosters=None, listen=None, tls=None,
               extra=None, panels=None):
        """The configuration as a dict; start() writes it as Lua."""
        self.port = self.port or free_port()
        self.plain_port = self.plain_port or free_port()
        if panels is None:
            p = {"name": "pve", "plugin": "proxmox",
                 "url": "https://127.0.0.1:%d" % self.emu_port,
                 "credentials": self.cred_path,
                 "ca_file": self.path("ca.pem"), "policy": POLICY}
            if self.emu is not None and not self.emu_tls:
                p["url"] = "http://127.0.0.1:%d" % self.emu_port
                del p["ca_file"]
            p.update(panel or {})
            panels = [{k: v for k, v in p.items() if v is not None}]
        cf = {
            "listen": listen or [
                {"address": "127.0.0.1", "port": self.port},
                {"address": "127.0.0.1", "port": self.plain_port,
                 "tls": False}],
            "tls": tls or {"certificate": self.path("server.pem"),
                           "key": self.path("server.key")},
            "keys": {"signing": self.key_signing, "secret": self.key_secret},
            # Snapshots at start and on ?fresh=1 only, unless a test
            # asks: a periodic one would move the log under its feet.
            "snapshots": {"state": self.path("state"), "interval": 86400},
            "hosters": hosters or [
                {"name": "noc", "token_sha256": sha256_hex(self.token),
                 "pve_token_id": HOSTER_PVE_ID}],
            "panels": panels,
            "log": self.log_path,
        }
        cf.update(extra or {})
        return cf

    def write_config(self, cf, path=None):
        """Write cf as Lua. The next start_daemon() is a new world: it
        begins with an empty state directory (a snapshot kept from
        before would be served at once), while a daemon restarted on
        the same configuration keeps its log."""
        path = path or self.conf_path
        self.new_config = True
        with open(path, "w") as f:
            f.write("-- written by tests/lib/harness.py\n")
            for k, v in cf.items():
                f.write("%s = %s\n" % (k, lua(v)))
        return path

    def check_config(self, path=None):
        return run([SIGHTLINED, "-n", "-f", path or self.conf_path])

    def start(self, emu_args=(), emu_tls=True, wait_inventory=True, **kw):
        if self.emu is None:
            self.start_emulator(*emu_args, tls=emu_tls)
        self.write_config(self.config(**kw))
        self.start_daemon(wait_inventory=wait_inventory)

    def start_daemon(self, wait_inventory=True):
        if getattr(self, "new_config", False):
            shutil.rmtree(self.path("state"), ignore_errors=True)
            self.new_config = False
        self.daemon_err = open(self.path("sightlined.err"), "a")
        self.daemon = subprocess.Popen(
            [SIGHTLINED, "-f", self.conf_path],
            stdout=self.daemon_err, stderr=self.daemon_err)
        if not wait_for(lambda: self._healthy(), 20):
            raise RuntimeError("sightlined did not start:\n" +
                               self.daemon_output())
        if wait_inventory and not wait_for(
                lambda: self.get("/v1/vps").status == 200, 30):
            raise RuntimeError("no inventory:\n" + self.daemon_output())

    def _healthy(self):
        if self.daemon.poll() is not None:
            raise RuntimeError("sightlined exited with %d:\n%s" %
                               (self.daemon.returncode,
                                self.daemon_output()))
        try:
            return self.get("/healthz", token=None).status == 200
        except OSError:
            return False

    def alive(self):
        return self.daemon is not None and self.daemon.poll() is None

    def daemon_output(self):
        out = ""
        for p in (self.path("sightlined.err"), self.log_path):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out += f.read()
        return out

    def log_text(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def signal(self, sig):
        self.daemon.send_signal(sig)

    def stop_daemon(self):
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        rc = self.daemon.returncode if self.daemon is not None else None
        self.daemon = None
        return rc

    def start_panels(self, names=tuple(PANEL_EMULATORS), args=()):
        """Start the emulators of the panels named (PANEL_EMULATORS) over
        TLS, with args; returns their panels' configuration (a list of
        dicts, default policies) for config(panels=...)."""
        self.emus = getattr(self, "emus", [])
        panels = []
        for name in names:
            plugin, script, cred = PANEL_EMULATORS[name]
            port = free_port()
            err = open(self.path("%s-emu.err" % name), "w")
            proc = subprocess.Popen(
                [PYTHON, os.path.join(SRCDIR, "tests", "emu", script),
                 "--listen", "127.0.0.1:%d" % port,
                 "--tls-cert", self.path("server.pem"),
                 "--tls-key", self.path("server.key")] + list(args),
                stdout=subprocess.DEVNULL, stderr=err)
            self.emus.append(proc)
            path = self.path("%s.cred" % name)
            with open(path, "w") as f:
                f.write(cred + "\n")
            os.chmod(path, 0o600)

            def up(port=port, proc=proc, name=name):
                if proc.poll() is not None:
                    raise RuntimeError("%s emulator exited: %s" % (
                        name, open(self.path("%s-emu.err" % name)).read()))
                try:
                    socket.create_connection(("127.0.0.1", port),
                                             0.2).close()
                    return True
                except OSError:
                    return False
            if not wait_for(up, 20, 0.05):
                raise RuntimeError("%s emulator did not start" % name)
            panels.append({
                "name": name, "plugin": plugin,
                "url": "https://127.0.0.1:%d" % port, "credentials": path,
                "ca_file": self.path("ca.pem"), "min_refresh_interval": 0,
                "policy": os.path.join(SRCDIR, "policies", plugin + ".lua")})
        return panels

    def stop(self):
        self.stop_daemon()
        for proc in getattr(self, "emus", []):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.emus = []
        if self.emu is not None:
            self.emu.terminate()
            try:
                self.emu.wait(5)
            except subprocess.TimeoutExpired:
                self.emu.kill()
            self.emu = None

    # ---- clients ----

    def connect(self, tls=False, cert=None, timeout=15):
        if tls:
            ctx = ssl.create_default_context(cafile=self.path("ca.pem"))
            if cert:
                ctx.load_cert_chain(self.path(cert + ".pem"),
                                    self.path(cert + ".key"))
            return http.client.HTTPSConnection("127.0.0.1", self.port,
                                               context=ctx, timeout=timeout)
        return http.client.HTTPConnection("127.0.0.1", self.plain_port,
                                          timeout=timeout)

    def request(self, method, path, token="default", headers=None,
                body=None, tls=False, cert=None, timeout=15):
        h = dict(headers or {})
        if token == "default":
            token = self.token
        if token is not None:
            h["Authorization"] = "Bearer " + token
        c = self.connect(tls=tls, cert=cert, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return Response(r.status, r.getheaders(), data)
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def raw(self, data, read_timeout=5, tls=False):
        """Send bytes on a fresh plain connection, return all it answers."""
        s = socket.create_connection(("127.0.0.1", self.plain_port), 5)
        s.settimeout(read_timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            s.close()
