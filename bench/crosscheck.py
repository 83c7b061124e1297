#!/usr/bin/python3
"""crosscheck.py - how long `sightline crosscheck` takes on a large network.

Generates a synthetic hoster network, deterministic for --seed: RECORDS
schema-v1 records (a saved /v1/vps answer) on NODES nodes, each with one
interface (a MAC and an IPv4 address; every other one an IPv6 address
too), a neighbour table of NEIGH entries as `ip -j neigh` prints it (the
records' addresses, then entries that are not live and addresses of
others outside the allocations), a forwarding table of FDB entries as
`bridge -j fdb` prints it, the node inventory (CSV) and the allocations
(a CIDR list). A few findings are planted, one or two of each kind, and
the run fails unless exactly those are found.

It then runs `sightline crosscheck --records FILE ... --json` --runs
times and prints for each run:

  wall s     wall time, from start to exit: reading and parsing every
             file, the seven checks, the JSON report written
  cpu s      user+system CPU seconds of the sightline process
  maxrss     its peak RSS (MiB, wait4)
  findings   findings reported (and planted)

  /usr/bin/python3 bench/crosscheck.py [--records 10000] [--neigh 20000]
      [--fdb 5000] [--nodes 20] [--runs 3] [--seed 1]

Needs the built ./sightline. Work files go to bench/work/crosscheck/.
Not a test: it prints figures and exits 0 unless something broke.
"""
import argparse
import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import harness  # noqa: E402

V4 = ipaddress.ip_network("198.18.0.0/15")
V6 = ipaddress.ip_network("2001:db8:1000::/36")


def mac(i, prefix=(0xbc, 0x24, 0x11)):
    return "%02x:%02x:%02x:%02x:%02x:%02x" % (
        prefix + ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff))


def generate(a, d):
    """Write the inputs to d; return the findings planted, by kind."""
    rng = random.Random(a.seed)
    nodes = ["pve%d" % (i + 1) for i in range(a.nodes)]
    recs = []
    for i in range(a.records):
        ips = ["%s/15" % (V4.network_address + 256 + i)]
        if i % 2 == 0:
            ips.append("%s/64" % (V6.network_address + 0x10000 + i))
        recs.append({
            "id": "pve/%d" % (1000 + i), "panel": "pve",
            "native_id": str(1000 + i), "node": nodes[i % a.nodes],
            "uuid": None, "kind": "qemu" if i % 4 != 3 else "lxc",
            "cpu": rng.choice((1, 2, 4)),
            "memory_mb": rng.choice((1024, 2048, 4096)),
            "disk_gb": rng.choice((20, 40, 80)),
            "disks": [{"storage": "local-lvm",
                       "volume": "vm-%d-disk-0" % (1000 + i),
                       "size_gb": 40}],
            "interfaces": [{"mac": mac(i), "bridge": "vmbr0", "vlan": None,
                            "ips": ips}],
            "status": "running", "created": 1700000000 + i,
            "_sd": ["%043d" % i], "_sd_alg": "sha-256", "owner_ps": None})
    planted = {}
    # duplicate-ip: record 1 takes record 0's address too.
    recs[1]["interfaces"][0]["ips"].append(
        recs[0]["interfaces"][0]["ips"][0])
    planted["duplicate-ip"] = 1
    # duplicate-mac: a record of the same node as record 2 has its MAC
    # on a second interface (on another node, it would be a wrong port).
    recs[2 + a.nodes]["interfaces"].append({"mac": mac(2), "ips": []})
    planted["duplicate-mac"] = 1
    # outside-allocation: record 4 also claims an address of nobody's.
    recs[4]["interfaces"][0]["ips"].append("192.0.2.4/24")
    planted["outside-allocation"] = 1

    neigh = []
    for i, r in enumerate(recs):
        for ip in r["interfaces"][0]["ips"]:
            if len(neigh) >= a.neigh - 100:
                break
            neigh.append({"dst": ip.split("/")[0], "dev": "br0",
                          "lladdr": mac(i), "state": ["REACHABLE"]})
    # mac-mismatch: two addresses answer from other MACs.
    neigh[10]["lladdr"] = mac(10, (0x52, 0x54, 0x00))
    neigh[20]["lladdr"] = mac(20, (0x52, 0x54, 0x00))
    planted["mac-mismatch"] = 2
    # unclaimed-ip: three live addresses in the allocation, no record's.
    for k in range(3):
        neigh.append({"dst": str(V4.network_address + 120000 + k),
                      "dev": "br0", "lladdr": mac(k, (0x52, 0x54, 0x01)),
                      "state": ["STALE"]})
    planted["unclaimed-ip"] = 3
    k = 0
    while len(neigh) < a.neigh:
        k += 1
        if k % 3 == 0:
            neigh.append({"dst": "100.64.%d.%d" % (k // 250 % 250,
                                                   k % 250 + 1),
                          "dev": "eth9", "state": ["FAILED"]})
        else:
            neigh.append({"dst": "100.%d.%d.%d" % (65 + k // 62500 % 60,
                                                   k // 250 % 250,
                                                   k % 250 + 1),
                          "dev": "eth9", "lladdr": mac(k, (0x02, 0, 0)),
                          "state": ["REACHABLE"]})
    rng.shuffle(neigh)

    # Ports: server S has ports sw1:S-0 .. sw1:S-7.
    server = {n: "srv-%d" % i for i, n in enumerate(nodes)}
    fdb = [{"mac": "33:33:00:00:00:01", "ifname": "br0", "flags": ["self"],
            "state": "permanent"}]
    for i, r in enumerate(recs):
        if len(fdb) >= a.fdb - 10:
            break
        fdb.append({"mac": mac(i), "ifname": "sw1:%s-%d" % (
            server[r["node"]], i % 8), "vlan": 10, "flags": [],
            "master": "br0", "state": ""})
    # wrong-port: two MACs on another server's port.
    for i in (30, 31):
        other = server[nodes[(i + 1) % a.nodes]]
        fdb.append({"mac": mac(i), "ifname": "sw1:%s-0" % other,
                    "flags": [], "master": "br0", "state": ""})
    planted["wrong-port"] = 2
    while len(fdb) < a.fdb:
        fdb.append({"mac": mac(len(fdb), (0x02, 0, 1)), "ifname": "uplink",
                    "flags": [], "master": "br0", "state": ""})

    lines = ["node,server,ports,cpu,memory_mb,disk_gb"]
    for n in nodes:
        rs = [r for r in recs if r["node"] == n]
        cpu = sum(r["cpu"] for r in rs)
        # over-capacity: the first node has a quarter of the CPUs needed.
        lines.append("%s,%s,%s,%r,%r,%r" % (
            n, server[n], ";".join("sw1:%s-%d" % (server[n], p)
                                   for p in range(8)),
            cpu / 16.0 if n == nodes[0] else cpu,
            sum(r["memory_mb"] for r in rs), sum(r["disk_gb"] for r in rs)))
    planted["over-capacity"] = 1

    def write(name, text):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    write("vps.json", json.dumps({"snapshot": {"seq": 0}, "records": recs}))
    write("neigh.json", json.dumps(neigh))
    write("fdb.json", json.dumps(fdb))
    write("nodes.csv", "\n".join(lines) + "\n")
    write("alloc.txt", "# the reseller's ranges\n%s\n%s\n" % (V4, V6))
    return planted


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--neigh", type=int, default=20000)
    ap.add_argument("--fdb", type=int, default=5000)
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.records < 100 or a.neigh < a.records + 200 or a.fdb < 100:
        ap.error("at least 100 records, 200 more neighbours than records, "
                 "100 forwarding entries")

    d = os.path.join(HERE, "work", "crosscheck")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    planted = generate(a, d)
    sizes = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print("sightline crosscheck of %d records against %d neighbour and %d "
          "forwarding entries, %d nodes (%.1f MiB of input)" % (
              a.records, a.neigh, a.fdb, a.nodes, sizes / 1048576.0))
    print("%-4s %8s %8s %8s %9s" % ("run", "wall s", "cpu s", "maxrss",
                                    "findings"))
    cmd = [harness.SIGHTLINE, "crosscheck", "--records",
           os.path.join(d, "vps.json")]
    for opt, name in (("--allocations", "alloc.txt"),
                      ("--neigh", "neigh.json"), ("--fdb", "fdb.json"),
                      ("--nodes", "nodes.csv")):
        cmd += [opt, os.path.join(d, name)]
    cmd.append("--json")
    for run in range(a.runs):
        out = open(os.path.join(d, "report-%d.json" % run), "w+")
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        if code != 1:
            print(p.stderr.read().decode(), out.read())
            raise RuntimeError("crosscheck exited %d, not 1" % code)
        doc = json.load(out)
        out.close()
        got = {}
        for f in doc["findings"]:
            got[f["kind"]] = got.get(f["kind"], 0) + 1
        if got != planted:
            raise RuntimeError("found %r, planted %r" % (got, planted))
        print("%-4d %8.3f %8.3f %8.1f %9d" % (
            run, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0,
            len(doc["findings"])))


if __name__ == "__main__":
    main()
