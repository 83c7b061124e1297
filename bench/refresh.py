#!/usr/bin/python3
"""refresh.py - how long sightlined takes to inventory a large Proxmox cluster.

Starts the Proxmox emulator (tests/emu/pve_emu.py) over TLS with
--generate VMS --nodes NODES --no-fixtures, and sightlined in front of it
with the panel's upstream concurrency set to --concurrency, then measures
--runs inventory refreshes forced with GET /v1/vps?fresh=1
(min_refresh_interval = 0). For every refresh it prints:

  log s      the refresh time sightlined logs ("inventory of N VPSes on M
             nodes in X s (K calls)"): first call out to last answer in,
             i.e. the upstream part only (it does not include running the
             policy over the records)
  fresh s    wall time of GET /v1/vps?fresh=1 as a client sees it: the
             refresh, the policy over every record, and the whole listing
             sent back
  calls      upstream calls, as sightlined logs them; "emu" is what the
             emulator counted (/_emu/stats), which must agree
  daemon cpu / emu cpu   user+system CPU seconds each process used during
             the refresh (/proc/PID/stat); the emulator is single-threaded
             Python, so emu cpu close to fresh s means the emulator was the
             bottleneck
  rss / hwm  sightlined's VmRSS and VmHWM (peak RSS) after the refresh

Run 0 is the refresh sightlined does at start. The emulator caches every
answer body per path, so run 0 also pays for building 10,000 configs in
Python; runs 1.. are the steady state.

  /usr/bin/python3 bench/refresh.py [--vms 10000] [--nodes 10]
      [--concurrency 16] [--runs 3] [--keepalive-max 100] [--plain]

Needs the built ./sightlined (make sightlined). Work files go to
bench/work/refresh/ (removed and made again on every run). Not a test: it
prints figures and exits 0 unless something broke.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import harness  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
LOG_RE = re.compile(r"inventory of (\d+) VPSes on (\d+) nodes in ([0-9.]+) s "
                    r"\((\d+) calls\)")


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def mem_kib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


class Bench(harness.Env):
    """harness.Env with its work directory under bench/work/."""

    def __init__(self, name):   # noqa: super().__init__ puts it in tests/work
        self.name = name
        self.dir = os.path.join(HERE, "work", name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        harness.make_pki(self.dir)
        self.token = harness.HOSTER_TOKEN
        self.emu = self.emu_port = self.daemon = None
        self.port = self.plain_port = None
        self.conf_path = self.path("sightline.conf")
        self.log_path = self.path("sightlined.log")
        self.emu_log = self.path("emu.log")
        self.cred_path = self.path("pve.token")
        with open(self.cred_path, "w") as f:
            f.write(harness.PVE_TOKEN + "\n")
        os.chmod(self.cred_path, 0o600)

    def start_emulator(self, *args, tls=True):
        # As harness.Env.start_emulator, without --log: a JSON line per
        # request would cost the emulator CPU; /_emu/stats counts instead.
        self.emu_port = harness.free_port()
        cmd = [harness.PYTHON, harness.EMULATOR,
               "--listen", "127.0.0.1:%d" % self.emu_port]
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
                st, _ = self.emu_get("/_emu/stats")
                return st == 200
            except OSError:
                return False
        if not harness.wait_for(up, 120, 0.1):
            raise RuntimeError("emulator did not start: " +
                               open(self.path("emu.err")).read())

    def emu_stats(self, reset=False):
        st, body = self.emu_get("/_emu/stats" + ("?reset=1" if reset else ""))
        if st != 200:
            raise RuntimeError("/_emu/stats: %d %r" % (st, body[:200]))
        return json.loads(body)["data"]


def log_lines(env, start):
    text = env.log_text()
    return text[start:], len(text)


def fmt_mib(kib):
    return "%.1f" % (kib / 1024.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vms", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3,
                    help="refreshes after the one at start (default 3)")
    ap.add_argument("--keepalive-max", type=int, default=100,
                    help="emulator: requests per connection (pveproxy: "
                    "100; 0 = unlimited)")
    ap.add_argument("--plain", action="store_true",
                    help="plain HTTP to the emulator instead of TLS")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds one refresh may take")
    opts = ap.parse_args()

    if not os.access(harness.SIGHTLINED, os.X_OK):
        sys.exit("no %s: run make sightlined first" % harness.SIGHTLINED)

    env = Bench("refresh")
    rows = []
    try:
        t0 = time.monotonic()
        env.start_emulator("--generate", str(opts.vms), "--nodes",
                           str(opts.nodes), "--no-fixtures",
                           "--keepalive-max", str(opts.keepalive_max),
                           tls=not opts.plain)
        emu_ready = time.monotonic() - t0
        conns = env.emu_stats(reset=True)["connections"]
        env.write_config(env.config(
            panel={"concurrency": opts.concurrency,
                   "min_refresh_interval": 0,
                   "refresh_interval": 86400,
                   "timeout": 120}))
        env.daemon_err = open(env.path("sightlined.err"), "a")
        emu_cpu0 = cpu_seconds(env.emu.pid)
        t0 = time.monotonic()
        env.daemon = subprocess.Popen(
            [harness.SIGHTLINED, "-f", env.conf_path],
            stdout=env.daemon_err, stderr=env.daemon_err)
        pid = env.daemon.pid

        # Run 0: the refresh at start, timed from the daemon's exec.
        def first():
            if env.daemon.poll() is not None:
                raise RuntimeError("sightlined exited:\n" +
                                   env.daemon_output())
            return LOG_RE.search(env.log_text())
        m = harness.wait_for(first, opts.timeout, 0.05)
        wall0 = time.monotonic() - t0
        if not m:
            raise RuntimeError("no inventory:\n" + env.daemon_output())
        pos = len(env.log_text())
        stats = env.emu_stats(reset=True)
        mem = mem_kib(pid)
        nconns = stats["connections"] - conns - 1
        conns = stats["connections"]
        rows.append({
            "run": 0, "log_s": float(m.group(3)), "fresh_s": None,
            "start_s": wall0, "calls": int(m.group(4)),
            "emu_calls": stats["requests"],
            "conns": nconns, "vps": int(m.group(1)),
            "nodes": int(m.group(2)), "daemon_cpu": cpu_seconds(pid),
            "emu_cpu": cpu_seconds(env.emu.pid) - emu_cpu0,
            "rss": mem["VmRSS"], "hwm": mem["VmHWM"], "bytes": None})

        for run in range(1, opts.runs + 1):
            d0, e0 = cpu_seconds(pid), cpu_seconds(env.emu.pid)
            c = http.client.HTTPConnection("127.0.0.1", env.plain_port,
                                           timeout=opts.timeout)
            t0 = time.monotonic()
            c.request("GET", "/v1/vps?fresh=1",
                      headers={"Authorization": "Bearer " + env.token})
            r = c.getresponse()
            body = r.read()
            wall = time.monotonic() - t0
            c.close()
            d1, e1 = cpu_seconds(pid), cpu_seconds(env.emu.pid)
            if r.status != 200:
                raise RuntimeError("GET /v1/vps?fresh=1: %d %r" %
                                   (r.status, body[:500]))
            doc = json.loads(body)
            new, pos2 = log_lines(env, pos)
            pos = pos2
            m = LOG_RE.search(new)
            if not m:
                raise RuntimeError("no refresh log line after run %d:\n%s"
                                   % (run, new[-2000:]))
            stats = env.emu_stats(reset=True)
            mem = mem_kib(pid)
            # less the one connection /_emu/stats itself opened
            conns, nconns = stats["connections"], stats["connections"] - conns - 1
            rows.append({
                "run": run, "log_s": float(m.group(3)), "fresh_s": wall,
                "start_s": None, "calls": int(m.group(4)),
                "emu_calls": stats["requests"],
            "conns": nconns, "vps": len(doc["records"]),
                "nodes": int(m.group(2)), "daemon_cpu": d1 - d0,
                "emu_cpu": e1 - e0, "rss": mem["VmRSS"],
                "hwm": mem["VmHWM"], "bytes": len(body)})
        final_hwm = mem_kib(pid)["VmHWM"]
    finally:
        env.stop()

    print("sightline refresh benchmark: %d VMs on %d nodes, emulator over %s "
          "(keepalive-max %d), concurrency %d" %
          (opts.vms, opts.nodes, "plain HTTP" if opts.plain else "TLS",
           opts.keepalive_max, opts.concurrency))
    print("emulator ready in %.1f s (generating the VMs)" % emu_ready)
    hdr = ("run", "VPSes", "log s", "fresh s", "calls", "emu calls",
           "conns", "daemon cpu", "emu cpu", "rss MiB", "hwm MiB")
    print("%-4s %6s %7s %8s %6s %9s %6s %10s %8s %8s %8s" % hdr)
    for r in rows:
        print("%-4s %6d %7.2f %8s %6d %9d %6d %10.2f %8.2f %8s %8s" % (
            r["run"], r["vps"], r["log_s"],
            "%.2f" % r["fresh_s"] if r["fresh_s"] is not None else
            "(%.2f)" % r["start_s"],
            r["calls"], r["emu_calls"], r["conns"], r["daemon_cpu"],
            r["emu_cpu"], fmt_mib(r["rss"]), fmt_mib(r["hwm"])))
    print("run 0 is the refresh at start; its 'fresh s' column (in "
          "parentheses) is exec to log line,")
    print("and its CPU columns include start-up. /v1/vps answer: %s bytes." %
          (rows[-1]["bytes"] if rows[-1]["bytes"] is not None else "-"))
    print("peak RSS (VmHWM) of sightlined at the end: %s MiB" %
          fmt_mib(final_hwm))
    steady = [r for r in rows if r["run"] > 0]
    if steady:
        best = min(r["log_s"] for r in steady)
        print("aim: refresh <= 5 s at 16 connections (best steady run: "
              "%.2f s logged, %.2f s fresh), peak RSS <= 256 MiB (%s MiB)"
              % (best, min(r["fresh_s"] for r in steady),
                 fmt_mib(final_hwm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
