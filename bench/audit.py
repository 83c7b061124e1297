#!/usr/bin/python3
"""audit.py - how long `sightline audit` takes on a large snapshot.

Starts the Proxmox emulator with --generate VMS --nodes NODES
--no-fixtures and sightlined in front of it (plain HTTP on 127.0.0.1),
lets it take its first snapshot, then runs `sightline audit` --runs
times against it, each time after one more snapshot (?fresh=1), so that
the first run trusts on first use and the others check a consistency
proof and a diff as well. For every run it prints:

  wall s     the audit's wall time, from start to exit: fetching the
             checkpoint, the latest snapshot and all its records
             (/v1/vps?at=), the proofs and the diff, verifying every
             answer's signature, recomputing the record tree, cosigning
  cpu s      user+system CPU seconds of the sightline process
  maxrss     its peak RSS (MiB)
  daemon s   CPU seconds sightlined spent answering meanwhile
  records    records in the audited snapshot; body MiB: the size of the
             /v1/vps?at= answer

  /usr/bin/python3 bench/audit.py [--vms 10000] [--nodes 10] [--runs 3]

Needs the built ./sightlined and ./sightline. Work files go to
bench/work/audit/. Not a test: it prints figures and exits 0 unless
something broke (an audit that does not exit 0).
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import harness  # noqa: E402


class Bench(harness.Env):
    """harness.Env with its work directory under bench/work/."""

    def __init__(self, name):
        super().__init__(name, base=os.path.join(HERE, "work"))

    def start_emulator(self, *args, tls=True, **kw):
        super().start_emulator(*args, tls=tls, log=False, timeout=300, **kw)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vms", type=int, default=10000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()

    env = Bench("audit")
    try:
        env.start_emulator("--generate", str(a.vms), "--nodes",
                           str(a.nodes), "--no-fixtures")
        env.write_config(env.config(panel={"min_refresh_interval": 0}))
        env.start_daemon()
        tok = env.path("hoster.token")
        with open(tok, "w") as f:
            f.write(env.token + "\n")
        os.chmod(tok, 0o600)
        state = env.path("audit-state")
        print("sightline audit of %d VMs on %d nodes" % (a.vms, a.nodes))
        print("%-4s %8s %8s %8s %9s %8s %9s" % ("run", "wall s", "cpu s",
                                                "maxrss", "daemon s",
                                                "records", "body MiB"))
        for run in range(a.runs):
            if run > 0:
                env.get("/v1/vps?fresh=1", timeout=300)
            r = env.get("/v1/vps", timeout=300)
            seq = r.json()["snapshot"]["seq"]
            body = len(env.get("/v1/vps?at=%d" % seq, timeout=300).body)
            d0 = cpu_seconds(env.daemon.pid)
            out = open(env.path("audit-%d.out" % run), "w+")
            t0 = time.monotonic()
            p = subprocess.Popen([harness.SIGHTLINE, "audit",
                                  "http://127.0.0.1:%d" % env.plain_port,
                                  "--key", env.vkey, "--state", state,
                                  "--token-file", tok],
                                 stdout=out, stderr=subprocess.STDOUT)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.monotonic() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0:
                out.seek(0)
                print(out.read())
                raise RuntimeError("the audit exited %d" % p.returncode)
            out.close()
            cpu = ru.ru_utime + ru.ru_stime
            print("%-4d %8.3f %8.3f %8.1f %9.3f %8d %9.1f" % (
                run, wall, cpu, ru.ru_maxrss / 1024.0,
                cpu_seconds(env.daemon.pid) - d0, r.json()["snapshot"][
                    "records"], body / 1048576.0))
    finally:
        env.stop()


if __name__ == "__main__":
    main()
