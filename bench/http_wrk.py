#!/usr/bin/python3
"""http_wrk.py - hoster API throughput and latency of sightlined, measured with wrk.

Starts the Proxmox emulator with --generate VMS --no-fixtures (TLS) and
sightlined in front of it, waits for the first inventory, then points wrk
at sightlined's plain HTTP listener on 127.0.0.1 for each endpoint:

  lookup   GET /v1/lookup?ip=<the IPv4 address of a generated VM>
  list     GET /v1/vps                      (all VMS records)
  healthz  GET /healthz                     (no auth, no body: the floor)

sightlined is pinned to CPU 0 (taskset -c 0), wrk to CPU 1 (taskset -c 1),
the emulator to CPU 1 as well (it is idle: no refresh falls due during a
run). Every request makes sightlined append one info line to its log; by
default the log is a file on disk (bench/work/http/sightlined.log), as in
production. --log devnull sends it to /dev/null instead, to show what
logging costs.

  /usr/bin/python3 bench/http_wrk.py [--vms 100] [--duration 10]
      [--connections 32] [--threads 1] [--log file|devnull]
      [--endpoints lookup,list,healthz] [--wait-quiet SECONDS] [--perf]
      [--daemon-env NAME=VALUE]...

For each endpoint it prints requests/s, the latency percentiles wrk reports
(50/90/99 %), the answer size, and the CPU used during the run by
sightlined, by wrk, and by everything else on the machine ("other", from
/proc/stat: tick-based, so only good to about 10 % of a core; a large value
means another job disturbed the run). --wait-quiet waits for an idle
machine before each run; --perf records sightlined with perf record;
--daemon-env runs sightlined with extra environment variables (for
experiments such as EVENT_EPOLL_USE_CHANGELIST=1 or an LD_PRELOAD shim).
Work files, the wrk outputs and the log go to bench/work/http/.
Aim stated in the issue: lookups >= 20,000 requests/s on one core, p99 <= 5 ms.
Not a test: it prints figures.
"""
import argparse
import os
import resource
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.dont_write_bytecode = True      # no __pycache__ in bench/ or tests/lib/
import harness  # noqa: E402
from refresh import (Bench, cpu_seconds, describe, machine_busy,  # noqa: E402
                     mem_kib, wait_quiet)  # noqa: E402


def wrk_ms(text):
    """'123.45us' / '1.20ms' / '2.00s' -> milliseconds."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not m:
        return None
    v = float(m.group(1))
    return v * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def parse_wrk(out):
    res = {"rps": None, "p50": None, "p90": None, "p99": None,
           "requests": None, "errors": 0, "non2xx": 0}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("90", "p90"), ("99", "p99")):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        if m:
            res[key] = wrk_ms(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors:(.*)", out)
    if m:
        res["errors"] = sum(int(x) for x in re.findall(r"\d+", m.group(1)))
    return res


class Refresher(threading.Thread):
    """Forces one refresh after the other until told to stop."""

    def __init__(self, env):
        super().__init__(daemon=True)
        self.env, self.stop, self.done = env, False, 0

    def run(self):
        while not self.stop:
            if self.env.get("/v1/vps?fresh=1", timeout=300).status == 200:
                self.done += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vms", type=int, default=100)
    ap.add_argument("--duration", type=int, default=10, help="seconds per run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log", choices=("file", "devnull"), default="file")
    ap.add_argument("--endpoints", default="lookup,list,healthz")
    ap.add_argument("--daemon-cpu", default="0",
                    help="CPUs sightlined may run on (taskset -c), e.g. 0 or 0,1")
    ap.add_argument("--sign-threads", type=int, default=None,
                    help="limits.sign_threads (default: sightlined's, 1; 0 signs "
                         "on the event loop)")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before each run, wait up to SECONDS for the "
                    "machine to be idle (default: do not wait)")
    ap.add_argument("--perf", action="store_true",
                    help="record sightlined with perf during each run into "
                    "bench/work/http/perf-ENDPOINT.data")
    ap.add_argument("--refresh-loop", action="store_true",
                    help="force refreshes back to back (GET /v1/vps?fresh=1 "
                    "in a loop, min_refresh_interval 0) during every run: "
                    "what a refresh does to latency (use with --vms 10000)")
    ap.add_argument("--daemon-env", action="append", default=[],
                    metavar="NAME=VALUE", help="extra environment for "
                    "sightlined (e.g. LD_PRELOAD=... for an experiment)")
    opts = ap.parse_args()

    if not os.access(harness.SIGHTLINED, os.X_OK):
        sys.exit("no %s: run make sightlined first" % harness.SIGHTLINED)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed")

    env = Bench("http")
    results = []
    try:
        env.start_emulator("--generate", str(opts.vms), "--no-fixtures")
        subprocess.run(["taskset", "-pc", opts.client_cpu,
                        str(env.emu.pid)], stdout=subprocess.DEVNULL)
        extra = {}
        if opts.sign_threads is not None:
            extra["limits"] = {"sign_threads": opts.sign_threads}
        if opts.log == "devnull":
            extra["log"] = "/dev/null"
        panel = {}
        if opts.refresh_loop:
            panel.update(min_refresh_interval=0, timeout=120)
        env.write_config(env.config(panel=panel, extra=extra))
        env.daemon_err = open(env.path("sightlined.err"), "a")
        denv = dict(os.environ)
        denv.update(kv.split("=", 1) for kv in opts.daemon_env)
        env.daemon = subprocess.Popen(
            ["taskset", "-c", opts.daemon_cpu, harness.SIGHTLINED, "-f",
             env.conf_path], stdout=env.daemon_err, stderr=env.daemon_err,
            env=denv)
        pid = env.daemon.pid    # taskset execs sightlined: same process
        if not harness.wait_for(lambda: env._healthy(), 20):
            raise RuntimeError("sightlined did not start:\n" +
                               env.daemon_output())
        if not harness.wait_for(
                lambda: env.get("/v1/vps").status == 200, 60):
            raise RuntimeError("no inventory:\n" + env.daemon_output())
        vps = env.get("/v1/vps").json()["records"]
        ip = None
        for rec in vps:
            for ifc in rec.get("interfaces", []):
                for a in ifc.get("ips", []):
                    if ":" not in a:
                        ip = a.split("/")[0]
                        break
                if ip:
                    break
            if ip:
                break
        if ip is None:
            raise RuntimeError("no generated VM shows an IPv4 address")
        check = env.get("/v1/lookup?ip=" + ip).json()
        if len(check["records"]) != 1:
            raise RuntimeError("lookup of %s found %d records" %
                               (ip, len(check["records"])))

        base = "http://127.0.0.1:%d" % env.plain_port
        paths = {"lookup": "/v1/lookup?ip=" + ip, "list": "/v1/vps",
                 "healthz": "/healthz"}
        for name in opts.endpoints.split(","):
            path = paths[name]
            size = len(env.get(path).body)
            cmd = ["taskset", "-c", opts.client_cpu, "wrk",
                   "-t%d" % opts.threads, "-c%d" % opts.connections,
                   "-d%ds" % opts.duration, "--latency",
                   "-H", "Authorization: Bearer " + env.token, base + path]
            if opts.wait_quiet > 0:
                wait_quiet(opts.wait_quiet)
            c0, e0 = cpu_seconds(pid), cpu_seconds(env.emu.pid)
            b0, s0 = machine_busy(), time.process_time()
            perf = None
            if opts.perf:
                perf = subprocess.Popen(
                    ["perf", "record", "-F", "999", "--call-graph",
                     "dwarf,16384", "-p", str(pid),
                     "-o", env.path("perf-%s.data" % name)],
                    stdout=subprocess.DEVNULL,
                    stderr=open(env.path("perf.err"), "a"))
                time.sleep(0.5)
            looper = None
            if opts.refresh_loop:
                looper = Refresher(env)
                looper.start()
            k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            r = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.monotonic() - t0
            if looper is not None:
                looper.stop = True
                looper.join()
            c1, e1 = cpu_seconds(pid), cpu_seconds(env.emu.pid)
            k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            wrk_cpu = (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
            other = (machine_busy() - b0 - (c1 - c0) - (e1 - e0) - wrk_cpu -
                     (time.process_time() - s0))
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait(120)
            if r.returncode != 0:
                raise RuntimeError("wrk failed: %s" % r.stderr)
            with open(env.path("wrk-%s.txt" % name), "w") as f:
                f.write(" ".join(cmd) + "\n" + r.stdout)
            res = parse_wrk(r.stdout)
            res.update(name=name, path=path, size=size,
                       refreshes=looper.done if looper else None,
                       cpu=(c1 - c0) / wall, wrk_cpu=wrk_cpu / wall,
                       other=other / wall)
            results.append(res)
            if not env.alive():
                raise RuntimeError("sightlined died:\n" +
                                   env.daemon_output())
        hwm = mem_kib(pid)["VmHWM"]
        log_size = (os.path.getsize(env.log_path)
                    if opts.log == "file" else 0)
    finally:
        env.stop()

    print("sightline HTTP benchmark: %d VMs; sightlined on CPU %s, wrk "
          "-t%d -c%d -d%ds on CPU %s; plain HTTP on 127.0.0.1" %
          (opts.vms, opts.daemon_cpu, opts.threads, opts.connections,
           opts.duration, opts.client_cpu))
    print(describe() + ", " + (subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0]
        or "wrk"))
    if opts.daemon_env:
        print("sightlined environment: %s" % " ".join(opts.daemon_env))
    if opts.refresh_loop:
        print("refreshes forced back to back during each run: %s" % ", ".join(
            "%s %d" % (r["name"], r["refreshes"]) for r in results))
    print("request log: %s" % (
        "file on disk (%s, %.1f MiB written)" % (env.log_path,
                                                 log_size / 1048576.0)
        if opts.log == "file" else "/dev/null"))
    print("%-8s %8s %7s %7s %7s %6s %6s %6s %6s %6s  %s" % (
        "endpoint", "req/s", "p50 ms", "p90 ms", "p99 ms", "bytes",
        "cpu", "wrk", "other", "errors", "path"))
    for r in results:
        print("%-8s %8.0f %7.2f %7.2f %7.2f %6d %5.0f%% %5.0f%% %5.0f%% "
              "%6d  %s" % (
                  r["name"], r["rps"] or 0, r["p50"] or 0, r["p90"] or 0,
                  r["p99"] or 0, r["size"], r["cpu"] * 100,
                  r["wrk_cpu"] * 100, r["other"] * 100,
                  r["errors"] + r["non2xx"], r["path"]))
    print("cpu: sightlined's user+system time over the run (100% = the one "
          "core it has); wrk: wrk's;")
    print("other: the rest of the machine, approximate (near 0%% or the "
          "figures are disturbed). Peak RSS %.1f MiB." % (hwm / 1024.0))
    print("aim: lookups >= 20000 req/s on one core, p99 <= 5 ms. Full wrk "
          "output: %s/wrk-*.txt" % env.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
