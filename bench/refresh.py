#!/usr/bin/python3
"""refresh.py - how long sightlined takes to inventory a large panel.

Starts the panel's emulator (--panel proxmox: tests/emu/pve_emu.py, the
default; --panel virtualizor: tests/emu/virtualizor_emu.py) over TLS with
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
  calls      upstream calls, as sightlined logs them; "emu calls" is what
             the emulator counted (/_emu/stats), which must agree
  conns      TCP (TLS) connections the emulator accepted meanwhile: it
             closes a connection after --keepalive-max requests, as
             pveproxy does, so this counts the handshakes (Proxmox only;
             0 for the other emulators, which do not count them)
  daemon cpu / emu cpu   user+system CPU seconds each process used during
             the refresh (/proc/PID/stat). Both are single-threaded: the
             one whose CPU is close to "fresh s" is the bottleneck
  other cpu  CPU seconds the rest of the machine used meanwhile (from
             /proc/stat, tick-based, approximate); well above 0 means
             another job disturbed the run
  rss / hwm  sightlined's VmRSS and VmHWM (peak RSS) after the refresh

Run 0 is the refresh sightlined does at start. The emulator caches every
answer body per path, so run 0 also pays for building 10,000 configs in
Python; runs 1.. are the steady state.

  /usr/bin/python3 bench/refresh.py [--panel proxmox|virtualizor]
      [--vms 10000] [--nodes 10]
      [--concurrency 16] [--runs 3] [--keepalive-max 100] [--plain]
      [--latency MS] [--wait-quiet SECONDS] [--perf]

--latency MS makes the emulator answer every API call MS ms late (a
"slow" fault), closer to a real pveproxy, so that the concurrency matters.
--wait-quiet waits for an idle machine before each measured refresh.
--perf records sightlined with perf record (DWARF call graphs) during
runs 1.. into bench/work/refresh/perf.data.

Needs the built ./sightlined (make sightlined). Work files go to
bench/work/refresh/ (removed and made again on every run). Not a test: it
prints figures and exits 0 unless something broke.
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.dont_write_bytecode = True      # no __pycache__ in tests/lib/
import harness  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
LOG_RE = re.compile(r"inventory of (\d+) VPSes on (\d+) nodes in ([0-9.]+) s "
                    r"\((\d+) calls\)")
SNAP_RE = re.compile(r"snapshot (\d+): (\d+) records committed in ([0-9.]+) s")


def cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy():
    """CPU seconds all CPUs spent on anything but idling (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK


def wait_quiet(limit, window=3.0, share=0.15):
    """Wait (at most limit seconds) until the machine has been idle but for
    share of a CPU over window seconds: other work disturbs the figures."""
    end = time.monotonic() + limit
    while True:
        b0 = machine_busy()
        time.sleep(window)
        busy = (machine_busy() - b0) / window
        if busy <= share:
            return True
        if time.monotonic() >= end:
            print("warning: the machine stayed busy (%.2f CPUs in use); "
                  "figures will be disturbed" % busy, file=sys.stderr)
            return False


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

    def __init__(self, name):
        super().__init__(name, base=os.path.join(HERE, "work"))

    def start_emulator(self, *args, tls=True, emulator=None):
        # Without --log: a JSON line per request would cost the emulator
        # CPU; /_emu/stats counts instead.
        super().start_emulator(*args, tls=tls, log=False, timeout=300,
                               emulator=emulator)

    def emu_stats(self, reset=False):
        """The emulator's counters; emulators built on emu_base.py do not
        wrap them in "data" and do not count connections (0 here)."""
        st, body = self.emu_get("/_emu/stats" + ("?reset=1" if reset else ""))
        if st != 200:
            raise RuntimeError("/_emu/stats: %d %r" % (st, body[:200]))
        doc = json.loads(body)
        doc = doc.get("data", doc)
        doc.setdefault("connections", 0)
        return doc


# What differs per panel: its emulator, the path of its API calls (for
# --latency) and the panel's configuration.
PANELS = {
    "proxmox": {"emulator": None, "api": "^/api2/", "keepalive": True},
    "virtualizor": {"emulator": harness.VZ_EMULATOR, "api": "^/index.php",
                    "keepalive": False},
}


def panel_config(env, panel):
    if panel == "proxmox":
        return {}
    path = env.path("vz.cred")
    with open(path, "w") as f:
        f.write("adminapikey=sightlinekey0000000000000000test&adminapipass="
                "sightlinepass000000000000000test\n")
    os.chmod(path, 0o600)
    return {"name": "vz", "plugin": "virtualizor", "credentials": path,
            "policy": harness.VZ_POLICY}


def describe():
    """One line: when, which build, which machine."""
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  cwd=harness.SRCDIR).stdout.strip()
        except OSError:
            return ""
    rev = out(["git", "rev-parse", "--short", "HEAD"]) or "?"
    if out(["git", "status", "--porcelain", "--untracked-files=no"]):
        rev += "+dirty"
    ver = "?"
    try:
        with open(os.path.join(harness.BUILDDIR, "config.h")) as f:
            m = re.search(r'PACKAGE_VERSION "([^"]*)"', f.read())
            ver = m.group(1) if m else "?"
    except OSError:
        pass
    return "%s, sightlined %s (git %s), %d CPUs, Linux %s, Python %s" % (
        time.strftime("%Y-%m-%d %H:%M %Z"), ver, rev, os.cpu_count(),
        os.uname().release, sys.version.split()[0])


def fmt_mib(kib):
    return "%.1f" % (kib / 1024.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--panel", choices=sorted(PANELS), default="proxmox",
                    help="which panel's plugin and emulator (default "
                    "%(default)s)")
    ap.add_argument("--vms", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3,
                    help="refreshes after the one at start (default 3)")
    ap.add_argument("--keepalive-max", type=int, default=100,
                    help="emulator: requests per connection (pveproxy: "
                    "100; 0 = unlimited)")
    ap.add_argument("--latency", type=float, default=0, metavar="MS",
                    help="emulator: answer every API call MS milliseconds "
                    "late (a slow fault), to see what concurrency buys "
                    "against a slower real pveproxy (default 0)")
    ap.add_argument("--plain", action="store_true",
                    help="plain HTTP to the emulator instead of TLS")
    ap.add_argument("--perf", action="store_true",
                    help="record sightlined with perf record -g during runs "
                    "1.. into bench/work/refresh/perf.data")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="first wait up to SECONDS for the machine to be "
                    "idle (default: do not wait)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds one refresh may take")
    opts = ap.parse_args()

    if not os.access(harness.SIGHTLINED, os.X_OK):
        sys.exit("no %s: run make sightlined first" % harness.SIGHTLINED)

    env = Bench("refresh")
    rows = []
    try:
        t0 = time.monotonic()
        kind = PANELS[opts.panel]
        emu_args = ["--generate", str(opts.vms), "--nodes", str(opts.nodes),
                    "--no-fixtures"]
        if kind["keepalive"]:
            emu_args += ["--keepalive-max", str(opts.keepalive_max)]
        if opts.latency > 0:
            emu_args += ["--fault", "kind=slow&path=%s&delay=%g" %
                         (kind["api"], opts.latency / 1000.0)]
        env.start_emulator(*emu_args, tls=not opts.plain,
                           emulator=kind["emulator"])
        emu_ready = time.monotonic() - t0
        conns = env.emu_stats(reset=True)["connections"]
        panel = panel_config(env, opts.panel)
        panel.update({"concurrency": opts.concurrency,
                      "min_refresh_interval": 0,
                      "timeout": 120})
        env.write_config(env.config(panel=panel))
        if opts.wait_quiet > 0:
            wait_quiet(opts.wait_quiet)
        env.daemon_err = open(env.path("sightlined.err"), "a")
        emu_cpu0, busy0 = cpu_seconds(env.emu.pid), machine_busy()
        self0 = time.process_time()
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
            t = env.log_text()
            return LOG_RE.search(t) if SNAP_RE.search(t) else None
        m = harness.wait_for(first, opts.timeout, 0.05)
        wall0 = time.monotonic() - t0
        if not m:
            raise RuntimeError("no inventory:\n" + env.daemon_output())
        d_cpu, e_cpu = cpu_seconds(pid), cpu_seconds(env.emu.pid) - emu_cpu0
        other = (machine_busy() - busy0 - d_cpu - e_cpu -
                 (time.process_time() - self0))
        pos = len(env.log_text())
        stats = env.emu_stats(reset=True)
        mem = mem_kib(pid)
        # less /_emu/stats's own; 0 when the emulator does not count them
        nconns = max(stats["connections"] - conns - 1, 0)
        conns = stats["connections"]
        rows.append({
            "snap_s": float(SNAP_RE.search(env.log_text()).group(3)),
            "run": 0, "log_s": float(m.group(3)), "fresh_s": None,
            "start_s": wall0, "calls": int(m.group(4)),
            "emu_calls": stats["requests"], "conns": nconns,
            "vps": int(m.group(1)), "nodes": int(m.group(2)),
            "daemon_cpu": d_cpu, "emu_cpu": e_cpu, "other_cpu": other,
            "rss": mem["VmRSS"], "hwm": mem["VmHWM"], "bytes": None})

        perf = None
        if opts.perf:
            perf = subprocess.Popen(
                ["perf", "record", "-F", "999", "--call-graph",
                 "dwarf,16384", "-p", str(pid), "-o", env.path("perf.data")],
                stdout=subprocess.DEVNULL,
                stderr=open(env.path("perf.err"), "w"))
            time.sleep(1)
        for run in range(1, opts.runs + 1):
            if opts.wait_quiet > 0:
                wait_quiet(opts.wait_quiet)
            d0, e0 = cpu_seconds(pid), cpu_seconds(env.emu.pid)
            busy0, self0 = machine_busy(), time.process_time()
            c = http.client.HTTPConnection("127.0.0.1", env.plain_port,
                                           timeout=opts.timeout)
            t0 = time.monotonic()
            c.request("GET", "/v1/vps?fresh=1",
                      headers={"Authorization": "Bearer " + env.token})
            r = c.getresponse()
            body = r.read()
            wall = time.monotonic() - t0
            c.close()
            d_cpu = cpu_seconds(pid) - d0
            e_cpu = cpu_seconds(env.emu.pid) - e0
            other = (machine_busy() - busy0 - d_cpu - e_cpu -
                     (time.process_time() - self0))
            if r.status != 200:
                raise RuntimeError("GET /v1/vps?fresh=1: %d %r" %
                                   (r.status, body[:500]))
            nrecs = len(json.loads(body)["records"])
            text = env.log_text()
            m = LOG_RE.search(text[pos:])
            snap = SNAP_RE.search(text[pos:])
            pos = len(text)
            if not m:
                raise RuntimeError("no refresh log line after run %d:\n%s"
                                   % (run, text[-2000:]))
            stats = env.emu_stats(reset=True)
            mem = mem_kib(pid)
            nconns = max(stats["connections"] - conns - 1, 0)
            conns = stats["connections"]
            rows.append({
                "snap_s": float(snap.group(3)) if snap else None,
                "run": run, "log_s": float(m.group(3)), "fresh_s": wall,
                "start_s": None, "calls": int(m.group(4)),
                "emu_calls": stats["requests"], "conns": nconns,
                "vps": nrecs, "nodes": int(m.group(2)),
                "daemon_cpu": d_cpu, "emu_cpu": e_cpu, "other_cpu": other,
                "rss": mem["VmRSS"], "hwm": mem["VmHWM"],
                "bytes": len(body)})
        final_hwm = mem_kib(pid)["VmHWM"]
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(120)
    finally:
        env.stop()

    print("sightline refresh benchmark: %s, %d VMs on %d nodes, emulator "
          "over %s (%s%s), concurrency %d" %
          (opts.panel, opts.vms, opts.nodes,
           "plain HTTP" if opts.plain else "TLS",
           "keepalive-max %d" % opts.keepalive_max
           if PANELS[opts.panel]["keepalive"] else "keep-alive",
           ", %g ms added per call" % opts.latency
           if opts.latency > 0 else "", opts.concurrency))
    print(describe())
    print("emulator ready in %.1f s (generating the VMs)" % emu_ready)
    hdr = ("run", "VPSes", "log s", "snap s", "fresh s", "calls",
           "emu calls", "conns", "daemon cpu", "emu cpu", "other cpu",
           "rss MiB", "hwm MiB")
    print("%-4s %6s %6s %6s %7s %6s %9s %5s %10s %7s %9s %7s %7s" % hdr)
    for r in rows:
        print("%-4s %6d %6.2f %6s %7s %6d %9d %5d %10.2f %7.2f %9.2f %7s %7s"
              % (r["run"], r["vps"], r["log_s"],
            "%.3f" % r["snap_s"] if r["snap_s"] is not None else "-",
            "%.2f" % r["fresh_s"] if r["fresh_s"] is not None else
            "(%.2f)" % r["start_s"],
            r["calls"], r["emu_calls"], r["conns"], r["daemon_cpu"],
            r["emu_cpu"], r["other_cpu"], fmt_mib(r["rss"]),
            fmt_mib(r["hwm"])))
    print("snap s: the snapshot after the refresh (records collected, tree, "
          "summary, store commit, checkpoint signed), as logged")
    print("run 0 is the refresh at start: its 'fresh s' (in parentheses) is "
          "exec to log line, its CPU")
    print("columns include start-up. 'other cpu': CPU seconds the rest of the "
          "machine used meanwhile")
    print("(should be near 0; more means the figures are disturbed). "
          "/v1/vps answer: %s bytes." %
          (rows[-1]["bytes"] if rows[-1]["bytes"] is not None else "-"))
    print("peak RSS (VmHWM) of sightlined at the end: %s MiB" %
          fmt_mib(final_hwm))
    if opts.perf:
        print("perf: perf report -i %s --no-children" % env.path("perf.data"))
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
