#!/usr/bin/python3
"""refresh_rest.py - refresh.py for the REST panels: how long sightlined takes
to inventory a large SolusVM 2 or VirtFusion panel.

Starts the panel's emulator (tests/emu/<panel>_emu.py) over TLS with
--generate VPSES --nodes NODES --no-fixtures, and sightlined in front of it
with the panel's upstream concurrency set to --concurrency, then measures
--runs refreshes forced with GET /v1/vps?fresh=1 (min_refresh_interval = 0).
The columns are refresh.py's (see there and bench/README), less "conns":
emu_base.py does not count connections.

  SolusVM 2: every page of /servers (15 per page, the panel's default) and
  one /servers/{id}/disks per VPS. VirtFusion: every page of /servers (200
  per page) and one /servers/{id} per VPS.

  /usr/bin/python3 bench/refresh_rest.py --panel solusvm2|virtfusion
      [--vps 10000] [--nodes 10] [--concurrency 16] [--runs 3]
      [--latency MS] [--wait-quiet SECONDS]

Needs the built ./sightlined. Work files go to bench/work/<panel>/. Not a
test: it prints figures and exits 0 unless something broke.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import harness  # noqa: E402
import refresh  # noqa: E402
from rest_panel import RestEnv, Panel  # noqa: E402

TOKENS = {"solusvm2": "svm2-test-token-0123456789abcdef",
          "virtfusion": "vf-test-token-0123456789abcdef"}


class Bench(RestEnv):
    def __init__(self, panel):
        harness.Env.__init__(self, panel.plugin, base=os.path.join(HERE, "work"))
        self.panel = panel
        self.cred_path = self.path("panel.token")
        self.set_token(panel.token)

    def start_emulator(self, *args, tls=True):
        super().start_emulator(*args, tls=tls, log=False, timeout=300)

    def emu_stats(self, reset=False):
        st, body = self.emu_get("/_emu/stats" + ("?reset=1" if reset else ""))
        if st != 200:
            raise RuntimeError("/_emu/stats: %d %r" % (st, body[:200]))
        return json.loads(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--panel", choices=sorted(TOKENS), required=True)
    ap.add_argument("--vps", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0, metavar="MS")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS")
    ap.add_argument("--timeout", type=float, default=600)
    opts = ap.parse_args()
    if not os.access(harness.SIGHTLINED, os.X_OK):
        sys.exit("no %s: run make sightlined first" % harness.SIGHTLINED)

    env = Bench(Panel(plugin=opts.panel, name=opts.panel, token=TOKENS[opts.panel]))
    rows = []
    try:
        t0 = time.monotonic()
        args = ["--generate", str(opts.vps), "--nodes", str(opts.nodes), "--no-fixtures"]
        if opts.latency > 0:
            args += ["--fault", "kind=slow&path=^/api/&count=100000000&delay=%g" %
                     (opts.latency / 1000.0)]
        env.start_emulator(*args)
        emu_ready = time.monotonic() - t0
        env.emu_stats(reset=True)
        env.write_config(env.config(panel={
            "concurrency": opts.concurrency, "min_refresh_interval": 0,
            "timeout": 120}))
        if opts.wait_quiet > 0:
            refresh.wait_quiet(opts.wait_quiet)
        env.daemon_err = open(env.path("sightlined.err"), "a")
        emu_cpu0, busy0, self0 = (refresh.cpu_seconds(env.emu.pid), refresh.machine_busy(),
                                  time.process_time())
        t0 = time.monotonic()
        env.daemon = subprocess.Popen([harness.SIGHTLINED, "-f", env.conf_path],
                                      stdout=env.daemon_err, stderr=env.daemon_err)
        pid = env.daemon.pid

        def first():
            if env.daemon.poll() is not None:
                raise RuntimeError("sightlined exited:\n" + env.daemon_output())
            return refresh.LOG_RE.search(env.log_text())
        m = harness.wait_for(first, opts.timeout, 0.05)
        wall0 = time.monotonic() - t0
        if not m:
            raise RuntimeError("no inventory:\n" + env.daemon_output())

        def row(run, m, fresh, start, d_cpu, e_cpu, other, nbytes, nrecs):
            stats, mem = env.emu_stats(reset=True), refresh.mem_kib(pid)
            rows.append({"run": run, "log_s": float(m.group(3)), "fresh_s": fresh,
                         "start_s": start, "calls": int(m.group(4)),
                         "emu_calls": stats["requests"],
                         "vps": nrecs if nrecs is not None else int(m.group(1)),
                         "nodes": int(m.group(2)), "daemon_cpu": d_cpu, "emu_cpu": e_cpu,
                         "other_cpu": other, "rss": mem["VmRSS"], "hwm": mem["VmHWM"],
                         "bytes": nbytes})
        d_cpu, e_cpu = refresh.cpu_seconds(pid), refresh.cpu_seconds(env.emu.pid) - emu_cpu0
        row(0, m, None, wall0, d_cpu, e_cpu,
            refresh.machine_busy() - busy0 - d_cpu - e_cpu - (time.process_time() - self0),
            None, None)
        pos = len(env.log_text())
        for run in range(1, opts.runs + 1):
            if opts.wait_quiet > 0:
                refresh.wait_quiet(opts.wait_quiet)
            d0, e0 = refresh.cpu_seconds(pid), refresh.cpu_seconds(env.emu.pid)
            busy0, self0 = refresh.machine_busy(), time.process_time()
            c = http.client.HTTPConnection("127.0.0.1", env.plain_port, timeout=opts.timeout)
            t0 = time.monotonic()
            c.request("GET", "/v1/vps?fresh=1", headers={"Authorization": "Bearer " + env.token})
            r = c.getresponse()
            body = r.read()
            wall = time.monotonic() - t0
            c.close()
            d_cpu = refresh.cpu_seconds(pid) - d0
            e_cpu = refresh.cpu_seconds(env.emu.pid) - e0
            other = (refresh.machine_busy() - busy0 - d_cpu - e_cpu -
                     (time.process_time() - self0))
            if r.status != 200:
                raise RuntimeError("GET /v1/vps?fresh=1: %d %r" % (r.status, body[:500]))
            text = env.log_text()
            m = refresh.LOG_RE.search(text[pos:])
            pos = len(text)
            if not m:
                raise RuntimeError("no refresh log line after run %d" % run)
            row(run, m, wall, None, d_cpu, e_cpu, other, len(body),
                len(json.loads(body)["records"]))
        final_hwm = refresh.mem_kib(pid)["VmHWM"]
    finally:
        env.stop()

    print("sightline refresh benchmark (%s): %d VPSes on %d nodes, emulator over TLS%s, "
          "concurrency %d" % (opts.panel, opts.vps, opts.nodes,
                              ", %g ms added per call" % opts.latency if opts.latency else "",
                              opts.concurrency))
    print(refresh.describe())
    print("emulator ready in %.1f s (generating the VPSes)" % emu_ready)
    hdr = ("run", "VPSes", "log s", "fresh s", "calls", "emu calls", "daemon cpu", "emu cpu",
           "other cpu", "rss MiB", "hwm MiB")
    print("%-4s %6s %6s %7s %6s %9s %10s %7s %9s %7s %7s" % hdr)
    for r in rows:
        print("%-4s %6d %6.2f %7s %6d %9d %10.2f %7.2f %9.2f %7s %7s" % (
            r["run"], r["vps"], r["log_s"],
            "%.2f" % r["fresh_s"] if r["fresh_s"] is not None else "(%.2f)" % r["start_s"],
            r["calls"], r["emu_calls"], r["daemon_cpu"], r["emu_cpu"], r["other_cpu"],
            refresh.fmt_mib(r["rss"]), refresh.fmt_mib(r["hwm"])))
    print("peak RSS (VmHWM) of sightlined at the end: %s MiB" % refresh.fmt_mib(final_hwm))
    steady = [r for r in rows if r["run"] > 0]
    if steady:
        print("aim: refresh <= 5 s (best steady run: %.2f s logged, %.2f s fresh), "
              "peak RSS <= 256 MiB (%s MiB)" % (min(r["log_s"] for r in steady),
                                                min(r["fresh_s"] for r in steady),
                                                refresh.fmt_mib(final_hwm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
