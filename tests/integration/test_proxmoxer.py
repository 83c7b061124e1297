#!/usr/bin/python3
"""Debian's python3-proxmoxer, unmodified, against sightlined's root
/api2/json: everything a read-only client needs works, every write it can
issue and every secret-bearing read is refused, and nothing of either ever
reaches the panel.

proxmoxer 1.2.0 (Debian bookworm) only has the "https" backend for PVE; its
base URL is always https://HOST:PORT/api2/json. So it talks to the TLS
listener, and verify_ssl is the test CA's file (requests takes a CA bundle
path there): the certificate is really verified, nothing is switched off.
The hoster authenticates with proxmoxer's own API token support:
PVEAPIToken=noc@pve!sightline=<hoster token>.
"""
import http.client
import json
import os
import re
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, HOSTER_TOKEN, PVE_TOKEN  # noqa: E402

t = Tap()

try:
    import proxmoxer
    from proxmoxer.core import ResourceException
except ImportError as e:  # pragma: no cover - the package is a dependency
    print("1..0 # SKIP python3-proxmoxer is not installed: %s" % e)
    sys.exit(0)

# Config keys that carry secrets or customer identity; the default policy
# must drop every one of them from native config answers.
SECRET_KEYS = ("cipassword", "sshkeys", "args", "hookscript", "description",
               "tags", "name", "cicustom", "ciuser", "hostname", "lxc")


def client(env, token=HOSTER_TOKEN, token_name="sightline", user="noc@pve"):
    return proxmoxer.ProxmoxAPI(
        "127.0.0.1", port=env.port, service="PVE", backend="https",
        user=user, token_name=token_name, token_value=token,
        verify_ssl=env.path("ca.pem"), timeout=15)


def refused(fn, want, desc):
    """fn() must raise proxmoxer's ResourceException with status want."""
    try:
        got = fn()
    except ResourceException as e:
        return t.eq(e.status_code, want, desc)
    except Exception as e:  # any other exception: proxmoxer could not cope
        return t.ok(False, desc, "raised %s: %s" % (type(e).__name__, e))
    return t.ok(False, desc, "no error; answer: %r" % (got,))


def emu_direct(env, path):
    """GET path from the emulator itself with sightline's own PVE token."""
    ctx = ssl.create_default_context(cafile=env.path("ca.pem"))
    c = http.client.HTTPSConnection("127.0.0.1", env.emu_port, context=ctx,
                                    timeout=10)
    try:
        c.request("GET", path,
                  headers={"Authorization": "PVEAPIToken=" + PVE_TOKEN})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def guests_of(px):
    """[(node, kind, vmid)] from every node's qemu and lxc lists."""
    out = []
    for n in px.nodes.get():
        node = n["node"]
        for kind in ("qemu", "lxc"):
            lst = getattr(px.nodes(node), kind).get()
            t.ok(isinstance(lst, list),
                 "%s's %s list is a list" % (node, kind), lst)
            for g in lst:
                out.append((node, kind, int(g["vmid"])))
                t.ok(not any(k in g for k in ("name", "tags", "pool")),
                     "%s %s list entry %s has no name, tags or pool" %
                     (node, kind, g.get("vmid")), g)
    return sorted(out)


def test_reads(env, px):
    v = px.version.get()
    t.ok(isinstance(v, dict) and v.get("version") and v.get("release"),
         "version: proxmoxer reads version and release", v)

    nodes = px.nodes.get()
    t.eq(sorted(n["node"] for n in nodes), ["pve1", "pve2"],
         "nodes: both nodes listed")

    res = px.cluster.resources.get()
    vms = sorted((r["node"], r["type"], int(r["vmid"])) for r in res
                 if r.get("type") in ("qemu", "lxc"))
    t.ok(len(vms) >= 11, "cluster/resources lists the 3 fixture and 8 "
         "generated guests", vms)
    t.ok(not any(k in r for r in res for k in ("name", "tags", "pool")),
         "cluster/resources: no name, tags or pool on any entry")
    res_vm = px.cluster.resources.get(type="vm")
    t.eq(sorted((r["node"], r["type"], int(r["vmid"])) for r in res_vm), vms,
         "cluster/resources?type=vm lists the same guests")

    guests = guests_of(px)
    t.eq(sorted({k for _, k, _ in guests}), ["lxc", "qemu"],
         "the lists hold both qemu and lxc guests")
    t.eq(guests, vms, "the nodes' qemu and lxc lists hold exactly the "
         "guests of cluster/resources")

    leaks = []
    agents = 0
    for node, kind, vmid in guests:
        g = getattr(px.nodes(node), kind)(vmid)
        cfg = g.config.get()
        text = json.dumps(cfg)
        bad = [k for k in SECRET_KEYS if k in cfg]
        if bad or "CANARY-" in text or not cfg.get("digest"):
            leaks.append((node, kind, vmid, bad, text[:300]))
        st = g.status.current.get()
        if st.get("vmid") != vmid or "CANARY-" in json.dumps(st) or \
                "name" in st:
            leaks.append((node, kind, vmid, "status/current", st))
        running = st.get("status") == "running"
        if kind == "qemu" and running and str(cfg.get("agent", "0"))[:1] \
                == "1":
            ifs = g.agent("network-get-interfaces").get()
            macs = [i.get("hardware-address") for i in ifs.get("result", [])]
            if not any(m and m != "00:00:00:00:00:00" for m in macs) or \
                    "CANARY-" in json.dumps(ifs):
                leaks.append((node, kind, vmid, "agent", ifs))
            agents += 1
        elif kind == "lxc" and running:
            ifs = g.interfaces.get()
            if not isinstance(ifs, list) or "CANARY-" in json.dumps(ifs):
                leaks.append((node, kind, vmid, "interfaces", ifs))
    t.eq(leaks, [], "every guest's config and status/current read through "
         "proxmoxer, with no secret key (cipassword, sshkeys, args, "
         "hookscript, description, tags, name, ...) and no CANARY- string")
    t.ok(agents >= 2, "agent network-get-interfaces read for the running "
         "qemu guests with an agent (%d)" % agents)

    cfg = px.nodes("pve1").qemu(100).config.get(current=1)
    t.eq(cfg.get("net0"), "virtio=BC:24:11:3A:5F:01,bridge=vmbr0,firewall=1,"
         "tag=10", "config?current=1 of VM 100 keeps net0")
    t.ok("cipassword" not in cfg and "sshkeys" not in cfg,
         "and drops cipassword and sshkeys", cfg)

    # The same configs straight from the emulator do hold the secrets: the
    # checks above would see them if sightline let them through.
    st, body = emu_direct(env, "/api2/json/nodes/pve1/qemu/1000/config")
    t.ok(st == 200 and b"CANARY-" in body and b"sshkeys" in body,
         "(control) the panel itself serves VM 1000's config with canaries",
         body[:300])
    st, body = emu_direct(env, "/api2/json/nodes/pve1/qemu/100/config")
    t.ok(st == 200 and b"cipassword" in body,
         "(control) and VM 100's with cipassword", body[:300])


def test_latency(env, px):
    t0 = time.monotonic()
    for _ in range(100):
        px.version.get()
    took = time.monotonic() - t0
    t.ok(took < 3, "100 reads over one TLS keep-alive connection take "
         "%.2f s (no 40 ms Nagle/delayed-ACK stall per answer)" % took)


def test_auth(env):
    refused(lambda: client(env, token="not-the-token").version.get(), 401,
            "a wrong token value: proxmoxer gets 401")
    refused(lambda: client(env, token_name="other").version.get(), 401,
            "the right secret under another token id: 401")
    refused(lambda: client(env, user="root@pam").nodes.get(), 401,
            "the right secret for another user: 401")


def test_writes(env, px):
    q = px.nodes("pve1").qemu(100)
    ct = px.nodes("pve2").lxc(101)
    writes = []
    for action in ("start", "stop", "shutdown", "reboot", "reset", "suspend",
                   "resume"):
        writes.append(("qemu status/%s (POST)" % action,
                       lambda a=action: getattr(q.status, a).post()))
    for action in ("start", "stop", "shutdown", "reboot", "suspend",
                   "resume"):
        writes.append(("lxc status/%s (POST)" % action,
                       lambda a=action: getattr(ct.status, a).post()))
    writes += [
        ("qemu config (POST)", lambda: q.config.post(memory=65536)),
        ("qemu config (PUT)", lambda: q.config.put(memory=65536)),
        ("qemu config set()", lambda: q.config.set(cipassword="owned")),
        ("lxc config (PUT)", lambda: ct.config.put(memory=65536)),
        ("DELETE a qemu guest", lambda: q.delete()),
        ("DELETE a qemu guest with purge", lambda: q.delete(purge=1)),
        ("DELETE an lxc guest", lambda: ct.delete()),
        ("create a qemu guest (POST /nodes/pve1/qemu)",
         lambda: px.nodes("pve1").qemu.create(vmid=4242, memory=512)),
        ("create an lxc guest (POST /nodes/pve2/lxc)",
         lambda: px.nodes("pve2").lxc.create(vmid=4243, ostemplate="x")),
        ("snapshot create", lambda: q.snapshot.create(snapname="s1")),
        ("snapshot rollback",
         lambda: q.snapshot("s1").rollback.post()),
        ("snapshot delete", lambda: q.snapshot("s1").delete()),
        ("vzdump", lambda: px.nodes("pve1").vzdump.create(vmid=100)),
        ("migrate", lambda: q.migrate.post(target="pve2", online=1)),
        ("clone", lambda: q.clone.post(newid=4244)),
        ("template", lambda: q.template.post()),
        ("resize (PUT)", lambda: q.resize.put(disk="scsi0", size="+1G")),
        ("move disk", lambda: q.move_disk.post(disk="scsi0",
                                               storage="local")),
        ("guest firewall rule", lambda: q.firewall.rules.post(
            action="ACCEPT", type="in", enable=1)),
        ("guest firewall options (PUT)",
         lambda: q.firewall.options.put(enable=0)),
        ("cluster firewall rule", lambda: px.cluster.firewall.rules.post(
            action="ACCEPT", type="in", enable=1)),
        ("create a pool", lambda: px.pools.post(poolid="evil")),
        ("change a pool (PUT)", lambda: px.pools("cust-alice").put(
            vms="100")),
        ("delete a pool", lambda: px.pools("cust-alice").delete()),
        ("create a user", lambda: px.access.users.post(
            userid="evil@pve", password="Passw0rd!")),
        ("change a user (PUT)", lambda: px.access.users("noc@pve").put(
            groups="admin")),
        ("create an API token",
         lambda: px.access.users("noc@pve").token("evil").post(privsep=0)),
        ("grant an ACL (PUT)", lambda: px.access.acl.put(
            path="/", roles="Administrator", users="noc@pve")),
        ("change a password (PUT)", lambda: px.access.password.put(
            userid="root@pam", password="owned")),
        ("ask for a ticket (POST /access/ticket)",
         lambda: px.access.ticket.post(username="root@pam",
                                       password="x")),
        ("create a storage", lambda: px.storage.post(
            storage="evil", type="dir", path="/", content="images")),
        ("agent exec", lambda: q.agent.exec.post(command="id")),
        ("agent file-write", lambda: q.agent("file-write").post(
            file="/root/.ssh/authorized_keys", content="x")),
        ("agent set-user-password",
         lambda: q.agent("set-user-password").post(username="root",
                                                   password="owned")),
        ("qemu vncproxy", lambda: q.vncproxy.post(websocket=1)),
        ("qemu termproxy", lambda: q.termproxy.post()),
        ("qemu spiceproxy", lambda: q.spiceproxy.post()),
        ("lxc vncproxy", lambda: ct.vncproxy.post(websocket=1)),
        ("lxc termproxy", lambda: ct.termproxy.post()),
        ("node termproxy", lambda: px.nodes("pve1").termproxy.post()),
        ("node vncshell", lambda: px.nodes("pve1").vncshell.post()),
        ("node shutdown", lambda: px.nodes("pve1").status.post(
            command="shutdown")),
        ("node execute", lambda: px.nodes("pve1").execute.post(
            commands="[]")),
        ("DELETE a task", lambda: px.nodes("pve1").tasks(
            "UPID:pve1:0000:0000:00000000:qmstart:100:root@pam:").delete()),
        ("PUT node dns", lambda: px.nodes("pve1").dns.put(
            search="evil", dns1="192.0.2.66")),
    ]
    for desc, fn in writes:
        refused(fn, 405, "write refused with 405: " + desc)


def test_secret_reads(env, px):
    q = px.nodes("pve1").qemu(100)
    reads = [
        ("/access/users", lambda: px.access.users.get()),
        ("/access/users/root@pam", lambda: px.access.users("root@pam").get()),
        ("/access/users/noc@pve/token", lambda: px.access.users(
            "noc@pve").token.get()),
        ("/access/acl", lambda: px.access.acl.get()),
        ("/storage", lambda: px.storage.get()),
        ("/storage/backup-cifs", lambda: px.storage("backup-cifs").get()),
        ("agent get-users", lambda: q.agent("get-users").get()),
        ("agent exec-status", lambda: q.agent("exec-status").get(pid=1)),
        ("agent file-read",
         lambda: q.agent("file-read").get(file="/etc/shadow")),
        ("cloudinit dump user", lambda: q.cloudinit.dump.get(type="user")),
        ("cloudinit dump network",
         lambda: q.cloudinit.dump.get(type="network")),
        ("qemu vncwebsocket", lambda: q.vncwebsocket.get(
            port=5900, vncticket="PVEVNC:x")),
        ("lxc vncwebsocket", lambda: px.nodes("pve2").lxc(101).vncwebsocket
         .get(port=5900, vncticket="PVEVNC:x")),
        ("node vncwebsocket", lambda: px.nodes("pve1").vncwebsocket.get(
            port=5900, vncticket="PVEVNC:x")),
        ("qemu pending (not on the allow-list)", lambda: q.pending.get()),
        ("qemu snapshot list (not on the allow-list)",
         lambda: q.snapshot.get()),
        ("qemu firewall rules (not on the allow-list)",
         lambda: q.firewall.rules.get()),
        ("pools (not on the allow-list)", lambda: px.pools.get()),
        ("cluster/nextid (not on the allow-list)",
         lambda: px.cluster.nextid.get()),
        ("config with a parameter not on the allow-list",
         lambda: q.config.get(snapshot="s1")),
        ("qemu list with full=2", lambda: px.nodes("pve1").qemu.get(full=2)),
        ("cluster/resources with type=sdn",
         lambda: px.cluster.resources.get(type="sdn")),
    ]
    for desc, fn in reads:
        refused(fn, 403, "read refused with 403: " + desc)


def test_panel_log(env):
    reqs = env.emu_requests()
    t.ok(len(reqs) > 20, "the emulator logged the reads (%d)" % len(reqs))
    t.ok(any(r["path"].endswith("/agent/network-get-interfaces")
             for r in reqs), "including the agent reads proxmoxer made")
    t.eq([r for r in reqs if r.get("write")], [],
         "no request the panel received is a write")
    t.eq([r for r in reqs if r.get("secret")], [],
         "no request the panel received touched a secret endpoint")
    t.eq(sorted({r["method"] for r in reqs}), ["GET"],
         "the panel received GETs only")
    allowed = re.compile(
        r"^/api2/json/(version|cluster/resources|cluster/status|nodes"
        r"|nodes/[a-z0-9-]+/(status|qemu|lxc|storage"
        r"|(qemu|lxc)/\d+/(config|status/current)"
        r"|qemu/\d+/agent/network-get-interfaces|lxc/\d+/interfaces))$")
    t.eq([r["path"] for r in reqs if not allowed.match(r["path"])], [],
         "every path the panel saw is on the read-only allow-list")


with Env("proxmoxer") as env:
    env.start(emu_args=("--generate", "8", "--nodes", "2"))
    t.diag("proxmoxer %s" % getattr(proxmoxer, "__version__", "?"))
    px = client(env)
    for fn, args in ((test_reads, (env, px)), (test_latency, (env, px)),
                     (test_auth, (env,)),
                     (test_writes, (env, px)), (test_secret_reads, (env, px)),
                     (test_panel_log, (env,))):
        t.run(fn, *args)
    log = env.daemon_output()
    t.lacks(log, HOSTER_TOKEN, "the hoster's token is not in the daemon's "
            "log")
    t.lacks(log, PVE_TOKEN.split("=", 1)[1], "nor the panel token's secret")
    t.lacks(log, "Passw0rd!", "nor a password proxmoxer sent in a refused "
            "write")
    t.ok(env.alive(), "sightlined is still running")
t.done()
