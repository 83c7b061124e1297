/*
 * test_proxmox.c: the Proxmox VE plugin through its plugin table only:
 * the native allow-list (pl_native_route), the endpoint list, options and
 * credentials, and normalization into schema v1, run over the fixture
 * documents with fetch_run_canned(), the same path an inventory takes.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

static const struct plugin	*pl = &plugin_proxmox;

/* ---- helpers ---- */

static char *
dump(const json_t *j)
{
	return j != NULL ? json_dumps(j, DUMP_FLAGS) : strdup("(null)");
}

/* got equals the JSON text want; both shown canonically when not. */
static int
check_json(const json_t *got, const char *want_text, const char *what)
{
	json_t		*want;
	json_error_t	 jerr;
	char		*a, *b;
	int		 same;

	if ((want = json_loads(want_text, JSON_DECODE_ANY, &jerr)) == NULL) {
		tap_ok(0, "%s (bad expected JSON: %s)", what, jerr.text);
		return 0;
	}
	same = got != NULL && json_equal(got, want);
	if (!tap_ok(same, "%s", what)) {
		a = dump(got);
		b = dump(want);
		tap_diag("got:  %s", a);
		tap_diag("want: %s", b);
		free(a);
		free(b);
	}
	json_decref(want);
	return same;
}

static json_t *
fixture(const char *name)
{
	const char	*top = getenv("top_srcdir");
	char		 path[PATH_MAX];
	json_t		*j;
	json_error_t	 jerr;

	snprintf(path, sizeof(path), "%s/tests/fixtures/proxmox/%s",
	    top != NULL && top[0] != '\0' ? top : ".", name);
	if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, jerr.text);
		exit(2);
	}
	return j;
}

/* ---- the native allow-list ---- */

/*
 * path?query fit for one TAP line: control and non-ASCII bytes as \xNN,
 * long text cut. Returns a static buffer.
 */
static const char *
shown(const char *path, const char *query)
{
	static char	 out[160];
	char		 text[FRONT_URI_BYTES_MAX * 2 + 2];
	size_t		 i, n = 0;

	snprintf(text, sizeof(text), "%s%s%s", path, query != NULL ? "?" : "",
	    query != NULL ? query : "");
	for (i = 0; text[i] != '\0' && n + 8 < sizeof(out); i++) {
		unsigned char	 c = (unsigned char)text[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n,
			    "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	if (text[i] != '\0')
		n += (size_t)snprintf(out + n, sizeof(out) - n, "...");
	out[n] = '\0';
	return out;
}

static void
route_ok(const char *path, const char *query, const char *endpoint,
    const char *upstream)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route(path, query, &nr, err);
	if (!tap_ok(rc == 0 && nr.nr_endpoint != NULL &&
	    strcmp(nr.nr_endpoint, endpoint) == 0 &&
	    strcmp(nr.nr_path, upstream) == 0, "allowed: %s",
	    shown(path, query))) {
		tap_diag("rc %d, endpoint %s, path %s, error %s", rc,
		    nr.nr_endpoint != NULL ? nr.nr_endpoint : "(none)",
		    nr.nr_path, err);
		tap_diag("want endpoint %s, path %s", endpoint, upstream);
	}
}

/* Refused, with a reason, and no route filled in for the upstream. */
static void
route_refused(const char *path, const char *query, const char *why)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route(path, query, &nr, err);
	if (!tap_ok(rc == -1 && nr.nr_endpoint == NULL &&
	    nr.nr_path[0] == '\0' && err[0] != '\0', "refused (%s): %s",
	    why, shown(path, query)))
		tap_diag("rc %d, endpoint %s, path %s, error \"%s\"", rc,
		    nr.nr_endpoint != NULL ? nr.nr_endpoint : "(none)",
		    nr.nr_path, err);
}

static void
route_refused_says(const char *path, const char *query, const char *want)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route(path, query, &nr, err);
	if (!tap_ok(rc == -1 && strstr(err, want) != NULL,
	    "refused saying \"%s\": %s", want, shown(path, query)))
		tap_diag("rc %d, error \"%s\"", rc, err);
}

static void
test_endpoints(void)
{
	static const char *const want[] = {
		"/version", "/cluster/resources", "/cluster/status", "/nodes",
		"/nodes/{node}/status", "/nodes/{node}/qemu",
		"/nodes/{node}/lxc", "/nodes/{node}/qemu/{vmid}/config",
		"/nodes/{node}/qemu/{vmid}/status/current",
		"/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
		"/nodes/{node}/lxc/{vmid}/config",
		"/nodes/{node}/lxc/{vmid}/status/current",
		"/nodes/{node}/lxc/{vmid}/interfaces",
		"/nodes/{node}/storage",
		"/nodes/{node}/storage/{storage}/status",
		NULL
	};
	size_t	 i, n = 0, missing = 0;

	tap_ok(plugin_find("proxmox") == pl, "plugin_find(\"proxmox\")");
	tap_ok(plugin_find("vmware") == NULL, "plugin_find: no such");
	tap_str(pl->pl_name, "proxmox", "pl_name");
	tap_str(pl->pl_api_root, "/api2/json", "pl_api_root");
	while (pl->pl_endpoint(n) != NULL)
		n++;
	for (i = 0; want[i] != NULL; i++) {
		size_t	 j;

		for (j = 0; j < n; j++)
			if (strcmp(pl->pl_endpoint(j), want[i]) == 0)
				break;
		if (j == n) {
			tap_diag("missing endpoint %s", want[i]);
			missing++;
		}
	}
	tap_int(missing, 0, "every documented read endpoint is allow-listed");
	tap_int(n, i, "and nothing else");
}

static void
test_routes_allowed(void)
{
	route_ok("/version", NULL, "/version", "/version");
	route_ok("/cluster/resources", NULL, "/cluster/resources",
	    "/cluster/resources");
	route_ok("/cluster/resources", "type=vm", "/cluster/resources",
	    "/cluster/resources?type=vm");
	route_ok("/cluster/resources", "type=node", "/cluster/resources",
	    "/cluster/resources?type=node");
	route_ok("/cluster/resources", "type=storage", "/cluster/resources",
	    "/cluster/resources?type=storage");
	route_ok("/cluster/status", NULL, "/cluster/status", "/cluster/status");
	route_ok("/nodes", NULL, "/nodes", "/nodes");
	route_ok("/nodes", "", "/nodes", "/nodes");
	route_ok("/nodes/pve1/status", NULL, "/nodes/{node}/status",
	    "/nodes/pve1/status");
	route_ok("/nodes/PVE-node-2/status", NULL, "/nodes/{node}/status",
	    "/nodes/PVE-node-2/status");
	route_ok("/nodes/pve1/qemu", NULL, "/nodes/{node}/qemu",
	    "/nodes/pve1/qemu");
	route_ok("/nodes/pve1/qemu", "full=1", "/nodes/{node}/qemu",
	    "/nodes/pve1/qemu?full=1");
	route_ok("/nodes/pve2/lxc", NULL, "/nodes/{node}/lxc",
	    "/nodes/pve2/lxc");
	route_ok("/nodes/pve1/qemu/100/config", NULL,
	    "/nodes/{node}/qemu/{vmid}/config", "/nodes/pve1/qemu/100/config");
	route_ok("/nodes/pve1/qemu/100/config", "current=1",
	    "/nodes/{node}/qemu/{vmid}/config",
	    "/nodes/pve1/qemu/100/config?current=1");
	route_ok("/nodes/pve1/qemu/999999999/config", NULL,
	    "/nodes/{node}/qemu/{vmid}/config",
	    "/nodes/pve1/qemu/999999999/config");
	route_ok("/nodes/pve1/qemu/100/status/current", NULL,
	    "/nodes/{node}/qemu/{vmid}/status/current",
	    "/nodes/pve1/qemu/100/status/current");
	route_ok("/nodes/pve1/qemu/100/agent/network-get-interfaces", NULL,
	    "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
	    "/nodes/pve1/qemu/100/agent/network-get-interfaces");
	route_ok("/nodes/pve2/lxc/101/config", "current=0",
	    "/nodes/{node}/lxc/{vmid}/config",
	    "/nodes/pve2/lxc/101/config?current=0");
	route_ok("/nodes/pve2/lxc/101/status/current", NULL,
	    "/nodes/{node}/lxc/{vmid}/status/current",
	    "/nodes/pve2/lxc/101/status/current");
	route_ok("/nodes/pve2/lxc/101/interfaces", NULL,
	    "/nodes/{node}/lxc/{vmid}/interfaces",
	    "/nodes/pve2/lxc/101/interfaces");
	route_ok("/nodes/pve1/storage", NULL, "/nodes/{node}/storage",
	    "/nodes/pve1/storage");
	route_ok("/nodes/pve1/storage", "content=images&enabled=1",
	    "/nodes/{node}/storage",
	    "/nodes/pve1/storage?content=images&enabled=1");
	route_ok("/nodes/pve1/storage", "enabled=0&content=rootdir",
	    "/nodes/{node}/storage",
	    "/nodes/pve1/storage?enabled=0&content=rootdir");
	route_ok("/nodes/pve1/storage/local-lvm/status", NULL,
	    "/nodes/{node}/storage/{storage}/status",
	    "/nodes/pve1/storage/local-lvm/status");
	route_ok("/nodes/pve1/storage/ceph_ssd.2/status", NULL,
	    "/nodes/{node}/storage/{storage}/status",
	    "/nodes/pve1/storage/ceph_ssd.2/status");
}

static void
test_routes_refused(void)
{
	static const char *const vm[] = {
		"/nodes/pve1/qemu/100", "/nodes/pve2/lxc/101", NULL
	};
	static const char *const actions[] = {
		/* consoles */
		"vncproxy", "vncwebsocket", "termproxy", "spiceproxy",
		"mtunnel", "mtunnelwebsocket",
		/* writes, and reads that are not on the list */
		"status/start", "status/stop", "status/shutdown",
		"status/reboot", "status/reset", "status/suspend",
		"status/resume", "status", "clone", "migrate", "resize",
		"move_disk", "template", "snapshot", "snapshot/s1/rollback",
		"firewall/rules", "rrd", "rrddata", "pending", "feature",
		"sendkey", "unlink", "remote_migrate", "config/extra",
		/* the guest agent beyond network-get-interfaces */
		"agent", "agent/exec", "agent/exec-status", "agent/get-users",
		"agent/file-read", "agent/file-write", "agent/get-host-name",
		"agent/get-osinfo", "agent/get-fsinfo", "agent/set-user-password",
		"agent/shutdown", "agent/network-get-interfaces/x",
		/* cloud-init */
		"cloudinit", "cloudinit/dump",
		NULL
	};
	static const char *const other[] = {
		"/", "/access", "/access/ticket", "/access/users",
		"/access/users/root@pam/token", "/access/acl",
		"/access/permissions", "/access/domains", "/access/password",
		"/storage", "/storage/local-lvm", "/storage/local",
		"/pools", "/pools/cust-alice", "/cluster", "/cluster/backup",
		"/cluster/config", "/cluster/firewall", "/cluster/sdn",
		"/cluster/sdn/ipams/pve/status", "/cluster/tasks",
		"/cluster/nextid", "/cluster/ha/resources",
		"/nodes/pve1", "/nodes/pve1/termproxy", "/nodes/pve1/vncshell",
		"/nodes/pve1/spiceshell", "/nodes/pve1/vncwebsocket",
		"/nodes/pve1/execute", "/nodes/pve1/aplinfo",
		"/nodes/pve1/status/reboot", "/nodes/pve1/tasks",
		"/nodes/pve1/syslog", "/nodes/pve1/journal",
		"/nodes/pve1/network", "/nodes/pve1/dns", "/nodes/pve1/hosts",
		"/nodes/pve1/apt/update", "/nodes/pve1/certificates/info",
		"/nodes/pve1/startall", "/nodes/pve1/stopall",
		"/nodes/pve1/migrateall", "/nodes/pve1/wakeonlan",
		"/nodes/pve1/storage/local/content",
		"/nodes/pve1/storage/local/content/local:iso/x.iso",
		"/nodes/pve1/storage/local/upload",
		"/nodes/pve1/storage/local/download-url",
		"/nodes/pve1/storage/local/file-restore/download",
		"/nodes/pve1/storage/local", "/nodes/pve1/storage/local/rrd",
		"/nodes/pve1/qemu/100/config/current",
		"/nodes/pve1/qemu/100/status/current/x",
		"/nodes/pve1/lxc/101/agent/network-get-interfaces",
		"/nodes/pve1/qemu/100/interfaces", "/version/x", "/Version",
		"/api2/json/version", "/nodes/pve1/qemu/100/../../../access",
		NULL
	};
	char	 path[256];
	size_t	 i, j;

	for (i = 0; vm[i] != NULL; i++)
		for (j = 0; actions[j] != NULL; j++) {
			snprintf(path, sizeof(path), "%s/%s", vm[i],
			    actions[j]);
			route_refused(path, NULL, "not on the list");
		}
	for (i = 0; other[i] != NULL; i++)
		route_refused(other[i], NULL, "not on the list");
	route_refused_says("/access/ticket", NULL,
	    "/access/ticket is not on the read-only allow-list");
	route_refused_says("/nodes/pve1/qemu/100/vncproxy", NULL,
	    "not on the read-only allow-list");

	/* Traversal and encoding tricks: refused before any matching. */
	route_refused("/nodes/pve1/qemu/100/config/../vncproxy", NULL, "..");
	route_refused("/nodes/pve1/../../access/ticket", NULL, "..");
	route_refused("/..", NULL, "..");
	route_refused("/../version", NULL, "..");
	route_refused("/version/..", NULL, "..");
	route_refused("/nodes/./pve1/status", NULL, ".");
	route_refused("/./version", NULL, ".");
	route_refused("/.", NULL, ".");
	route_refused("/version/.", NULL, ".");
	route_refused("//version", NULL, "//");
	route_refused("/nodes//pve1/status", NULL, "//");
	route_refused("/nodes/pve1/qemu/100//config", NULL, "//");
	route_refused("/version/", NULL, "trailing /");
	route_refused("/nodes/", NULL, "trailing /");
	route_refused("/nodes/pve1/qemu/100/config/", NULL, "trailing /");
	route_refused("/nodes/pve1/qemu/100/%2e%2e/vncproxy", NULL, "%2e%2e");
	route_refused("/nodes/pve1/qemu/100/config/%2E%2E/vncproxy", NULL,
	    "%2E%2E");
	route_refused("/nodes/pve1%2fqemu%2f100%2fvncproxy", NULL, "%2f");
	route_refused("/nodes/pve1/qemu/100%2Fvncproxy", NULL, "%2F");
	route_refused("/%76ersion", NULL, "any %");
	route_refused("/nodes/pve%31/status", NULL, "any %");
	route_refused("/version%00", NULL, "%00");
	route_refused("/version%", NULL, "a lone %");
	route_refused("/nodes/pve1/qemu/100/config;vncproxy", NULL, ";");
	route_refused("/version?x=1", NULL, "? in the path");
	route_refused("/version#x", NULL, "# in the path");
	route_refused("/nodes/pve 1/status", NULL, "a space");
	route_refused("/nodes\\pve1\\status", NULL, "a backslash");
	route_refused("/nodes/pve1/qemu/100/con\x66ig\n", NULL, "a newline");
	route_refused("/nodes/p\xc3\xa9/status", NULL, "non-ASCII");
	route_refused("", NULL, "empty");
	route_refused("version", NULL, "no leading /");
	route_refused("/nodes/pve1/qemu/100/status/current/../../vncproxy",
	    NULL, "..");
	route_refused_says("/nodes/pve1/../status", NULL,
	    "path segments . and .. are refused");
	route_refused_says("//version", NULL, "empty path segments");
	route_refused_says("/version/", NULL, "empty path segments");
	route_refused_says("/nodes/pve1/qemu/100/%2e%2e/vncproxy", NULL,
	    "no percent-encoding");
	{
		char	 longpath[FRONT_URI_BYTES_MAX + 16];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[0] = '/';
		longpath[sizeof(longpath) - 1] = '\0';
		route_refused(longpath, NULL, "too long");
	}
	route_refused("/a/b/c/d/e/f/g/h/i/j/k", NULL, "too many segments");

	/* Node names: DNS labels. */
	route_refused("/nodes/-pve1/status", NULL, "node starts with -");
	route_refused("/nodes/pve1-/status", NULL, "node ends with -");
	route_refused("/nodes/pve_1/status", NULL, "node with _");
	route_refused("/nodes/pve.example/status", NULL, "node with .");
	route_refused("/nodes/pve.example/qemu/100/config", NULL,
	    "node with .");
	route_refused("/nodes/..pve/status", NULL, "node with ..");
	route_refused("/nodes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaa/status", NULL, "node of 64 characters");
	route_refused_says("/nodes/pve_1/qemu", NULL,
	    "\"pve_1\" is not a valid node name");
	route_ok("/nodes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa/status", NULL, "/nodes/{node}/status",
	    "/nodes/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "/status");

	/* VM ids: 100 to 999999999, plain decimal. */
	route_refused("/nodes/pve1/qemu/99/config", NULL, "vmid 99");
	route_refused("/nodes/pve1/qemu/0/config", NULL, "vmid 0");
	route_refused("/nodes/pve1/qemu/1000000000/config", NULL,
	    "vmid 1000000000");
	route_refused("/nodes/pve1/qemu/99999999999999999999/config", NULL,
	    "vmid beyond 64 bits");
	route_refused("/nodes/pve1/qemu/0100/config", NULL, "vmid 0100");
	route_refused("/nodes/pve1/qemu/-100/config", NULL, "vmid -100");
	route_refused("/nodes/pve1/qemu/1e3/config", NULL, "vmid 1e3");
	route_refused("/nodes/pve1/qemu/100a/config", NULL, "vmid 100a");
	route_refused("/nodes/pve1/qemu/abc/config", NULL, "vmid abc");
	route_refused("/nodes/pve2/lxc/99/interfaces", NULL, "lxc vmid 99");
	route_refused("/nodes/pve2/lxc/1000000000/status/current", NULL,
	    "lxc vmid 1000000000");

	/* Storage ids. */
	route_refused("/nodes/pve1/storage/1local/status", NULL,
	    "storage id starting with a digit");
	route_refused_says("/nodes/pve1/storage/-x/status", NULL,
	    "is not a valid storage id");

	/* Query parameters: only the listed ones, with listed values. */
	route_refused("/version", "foo=1", "an unexpected parameter");
	route_refused("/version", "x", "a parameter without a value");
	route_refused("/nodes", "type=vm", "a parameter of another call");
	route_refused("/cluster/resources", "type=sdn", "type=sdn");
	route_refused("/cluster/resources", "type=", "an empty type");
	route_refused("/cluster/resources", "type=vm&type=node",
	    "a parameter twice");
	route_refused("/cluster/resources", "type=vm&full=1",
	    "a second, unexpected parameter");
	route_refused("/cluster/resources", "type=VM", "values are exact");
	route_refused("/cluster/resources", "type=vm%26x", "% in the query");
	route_refused("/cluster/resources", "type=vm;x=1", "; in the query");
	route_refused("/cluster/resources", "type=vm+x", "+ in the query");
	route_refused("/cluster/resources", "type=vm x", "space in the query");
	route_refused("/nodes/pve1/qemu", "full=2", "full=2");
	route_refused("/nodes/pve1/qemu/100/config", "snapshot=s1",
	    "snapshot=");
	route_refused("/nodes/pve1/qemu/100/config", "current=1&current=1",
	    "current twice");
	route_refused("/nodes/pve1/qemu/100/config", "current=true",
	    "current=true");
	route_refused("/nodes/pve1/qemu/100/agent/network-get-interfaces",
	    "command=exec", "an agent command");
	route_refused("/nodes/pve1/storage", "content=iso", "content=iso");
	route_refused("/nodes/pve1/storage", "storage=local", "storage=");
	route_refused("/nodes/pve1/storage/local/status", "content=images",
	    "a parameter of another call");
	route_refused("/nodes/pve1/qemu/100/status/current", "=1",
	    "a parameter without a name");
	route_refused_says("/version", "foo=1",
	    "parameter \"foo\" is not allowed for /version");
	route_refused_says("/cluster/resources", "type=sdn",
	    "parameter \"type\" may only be vm|node|storage");
	route_refused_says("/cluster/resources", "type=vm&type=vm",
	    "given twice");
}

/* ---- options and credentials ---- */

static void
check_options(const char *text, int want, const char *what)
{
	json_t	*o = json_loads(text, 0, NULL);
	char	 err[ERR_MAX] = "";
	int	 rc = pl->pl_options(o, err);

	if (!tap_ok(rc == want && (rc == 0 || err[0] != '\0'), "options %s: %s",
	    text, what))
		tap_diag("rc %d, error \"%s\"", rc, err);
	json_decref(o);
}

static void
test_options(void)
{
	char	 err[ERR_MAX] = "";
	char	*hdr = NULL, *query = NULL;

	check_options("{}", 0, "none");
	check_options("{\"owner\":\"pool\"}", 0, "pool");
	check_options("{\"owner\":\"none\"}", 0, "none");
	check_options("{\"owner\":\"tag:owner-\"}", 0, "tag:PREFIX");
	check_options("{\"owner\":\"description:Customer:\"}", 0,
	    "description:PREFIX");
	check_options("{\"owner\":\"tag:\"}", -1, "tag: needs a prefix");
	check_options("{\"owner\":\"description:\"}", -1,
	    "description: needs a prefix");
	check_options("{\"owner\":\"name\"}", -1, "an unknown way");
	check_options("{\"owner\":5}", -1, "not a string");
	check_options("{\"owners\":\"pool\"}", -1, "an unknown option");

	tap_int(pl->pl_credentials("sightline@pve!audit=0b1e2c3d-aaaa-bbbb",
	    err), 0, "credentials: a token");
	tap_int(pl->pl_credentials("sightline@pve!audit=a=b", err), 0,
	    "credentials: split at the last =");
	tap_int(pl->pl_credentials("root:secret", err), -1,
	    "credentials: not a token");
	tap_ok(strstr(err, "secret") == NULL, "the reason does not quote it");
	tap_int(pl->pl_credentials("sightline@pve!audit=", err), -1,
	    "credentials: no secret");
	tap_int(pl->pl_credentials("sightline@pve!audit=a b", err), -1,
	    "credentials: white space");
	tap_int(pl->pl_auth("u@pve!t=s3cret", &hdr, &query, err), 0, "auth");
	tap_str(hdr, "Authorization: PVEAPIToken=u@pve!t=s3cret",
	    "auth: the PVEAPIToken header");
	tap_ok(query == NULL, "auth: nothing in the query");
	free(hdr);
	free(query);
}

/* ---- normalization ---- */

/* VM 102 has no config fixture: this one exercises every disk kind. */
static const char config_102[] = "{\"data\":{"
    "\"boot\":\"order=virtio0\","
    "\"cores\":1,\"sockets\":2,"
    "\"memory\":\"current=1024,max=4096\","
    "\"name\":\"vpn-carol\","
    "\"description\":\"plan: small\\n  owner:  carol@example.net  \\n\","
    "\"tags\":\"vpn owner-carol;x\","
    "\"meta\":\"creation-qemu=8.1.5,ctime=1710000505\","
    "\"smbios1\":\"uuid=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9,"
    "manufacturer=QUVNVQ==,base64=1\","
    "\"net0\":\"e1000=BC-24-11-3A-5F-04,bridge=vmbr0,firewall=1,tag=4095\","
    "\"ipconfig0\":\"ip=dhcp,ip6=auto\","
    "\"net1\":\"virtio=bc:24:11:3a:5f:05,bridge=vmbr1,tag=4094,queues=2\","
    "\"ipconfig1\":\"ip=192.0.2.102/24,gw=192.0.2.1,"
    "ip6=2001:DB8:0:0::0102/64\","
    "\"net2\":\"virtio,bridge=vmbr0\","
    "\"net3\":\"virtio=BC:24:11:3A:5F:XX,bridge=vmbr0\","
    "\"scsihw\":\"virtio-scsi-single\","
    "\"unused0\":\"ceph-ssd:vm-102-disk-6\","
    "\"tpmstate0\":\"local-lvm:vm-102-disk-5,size=4M,version=v2.0\","
    "\"efidisk0\":\"local-lvm:vm-102-disk-1,efitype=4m,"
    "pre-enrolled-keys=1,size=4M\","
    "\"ide2\":\"none,media=cdrom\","
    "\"ide1\":\"local:iso/x.iso,size=100M,media=cdrom\","
    "\"ide0\":\"local:iso/debian-12.iso,media=cdrom,size=628M\","
    "\"sata0\":\"local-lvm:vm-102-disk-4,size=1024M\","
    "\"virtio0\":\"local-lvm:vm-102-disk-0,cache=writeback,size=32G\","
    "\"virtiofs0\":\"share1,cache=always\","
    "\"scsi10\":\"local-lvm:vm-102-disk-3,size=512M\","
    "\"scsi2\":\"nfs:102/vm-102-disk-2.qcow2,iothread=1,size=10G\","
    "\"scsi31\":\"local-lvm:vm-102-disk-9,size=1G\","
    "\"scsi02\":\"local-lvm:vm-102-disk-8,size=1G\""
    "}}";

static const char want_100[] = "{"
    "\"id\":\"pve/100\",\"panel\":\"pve\",\"native_id\":\"100\","
    "\"kind\":\"qemu\",\"node\":\"pve1\",\"status\":\"running\","
    "\"created\":1700000000,\"cpu\":2,\"memory_mb\":2048,\"disk_gb\":140,"
    "\"bandwidth_gb\":null,"
    "\"interfaces\":[{\"mac\":\"bc:24:11:3a:5f:01\",\"ips\":"
    "[\"203.0.113.41/24\",\"2001:db8:400::41/64\"],\"bridge\":\"vmbr0\","
    "\"vlan\":10}],"
    "\"disks\":[{\"storage\":\"local-lvm\",\"volume\":\"vm-100-disk-0\","
    "\"size_gb\":40},{\"storage\":\"ceph-ssd\",\"volume\":\"vm-100-disk-1\","
    "\"size_gb\":100}],"
    "\"owner\":\"cust-alice\",\"hostname\":null,\"name\":\"web01-alice\","
    "\"notes\":\"Customer: Alice Example <alice@example.com>\\n"
    "Order A-1001, contract ends 2025-12-31\\n\","
    "\"tags\":[\"alice\",\"prod\"],"
    "\"uuid\":\"7b2d9c1e-5f3a-4e8b-9d6c-0a1b2c3d4e5f\"}";

static const char want_101[] = "{"
    "\"id\":\"pve/101\",\"panel\":\"pve\",\"native_id\":\"101\","
    "\"kind\":\"lxc\",\"node\":\"pve2\",\"status\":\"running\","
    "\"created\":null,\"cpu\":4,\"memory_mb\":4096,\"disk_gb\":66,"
    "\"bandwidth_gb\":null,"
    "\"interfaces\":[{\"mac\":\"bc:24:11:3a:5f:02\",\"ips\":"
    "[\"198.51.100.71/24\"],\"bridge\":\"vmbr0\",\"vlan\":null},"
    "{\"mac\":\"bc:24:11:3a:5f:03\",\"ips\":[\"10.20.0.71/24\"],"
    "\"bridge\":\"vmbr1\",\"vlan\":20}],"
    "\"disks\":[{\"storage\":\"local-lvm\",\"volume\":\"vm-101-disk-0\","
    "\"size_gb\":16},{\"storage\":\"local-lvm\",\"volume\":\"vm-101-disk-1\","
    "\"size_gb\":50}],"
    "\"owner\":null,\"hostname\":\"db.bob-shop.example.net\","
    "\"name\":\"db.bob-shop.example.net\","
    "\"notes\":\"Bob's Shop DB (fictional customer)\\n\","
    "\"tags\":[\"bob\"],\"uuid\":null}";

static const char want_102[] = "{"
    "\"id\":\"pve/102\",\"panel\":\"pve\",\"native_id\":\"102\","
    "\"kind\":\"qemu\",\"node\":\"pve1\",\"status\":\"stopped\","
    "\"created\":1710000505,\"cpu\":2,\"memory_mb\":1024,"
    "\"disk_gb\":43.5078125,\"bandwidth_gb\":null,"
    "\"interfaces\":[{\"mac\":\"bc:24:11:3a:5f:04\",\"ips\":[],"
    "\"bridge\":\"vmbr0\",\"vlan\":null},"
    "{\"mac\":\"bc:24:11:3a:5f:05\",\"ips\":[\"192.0.2.102/24\","
    "\"2001:db8::102/64\"],\"bridge\":\"vmbr1\",\"vlan\":4094}],"
    "\"disks\":["
    "{\"storage\":\"nfs\",\"volume\":\"102/vm-102-disk-2.qcow2\","
    "\"size_gb\":10},"
    "{\"storage\":\"local-lvm\",\"volume\":\"vm-102-disk-3\","
    "\"size_gb\":0.5},"
    "{\"storage\":\"local-lvm\",\"volume\":\"vm-102-disk-0\","
    "\"size_gb\":32},"
    "{\"storage\":\"local-lvm\",\"volume\":\"vm-102-disk-4\","
    "\"size_gb\":1},"
    "{\"storage\":\"local-lvm\",\"volume\":\"vm-102-disk-1\","
    "\"size_gb\":0.00390625},"
    "{\"storage\":\"local-lvm\",\"volume\":\"vm-102-disk-5\","
    "\"size_gb\":0.00390625},"
    "{\"storage\":\"ceph-ssd\",\"volume\":\"vm-102-disk-6\","
    "\"size_gb\":null}],"
    "\"owner\":null,\"hostname\":null,\"name\":\"vpn-carol\","
    "\"notes\":\"plan: small\\n  owner:  carol@example.net  \\n\","
    "\"tags\":[\"vpn\",\"owner-carol\",\"x\"],"
    "\"uuid\":\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\"}";

/* The canned panel: path → body, from the fixtures. */
static json_t *
canned_map(void)
{
	json_t	*m = json_object();

	json_object_set_new(m, "/cluster/resources?type=vm",
	    fixture("cluster_resources_vm.json"));
	json_object_set_new(m, "/nodes", fixture("nodes.json"));
	json_object_set_new(m, "/nodes/pve1/qemu/100/config",
	    fixture("qemu_config_100.json"));
	json_object_set_new(m,
	    "/nodes/pve1/qemu/100/agent/network-get-interfaces",
	    fixture("qemu_agent_network_get_interfaces_100.json"));
	json_object_set_new(m, "/nodes/pve2/lxc/101/config",
	    fixture("lxc_config_101.json"));
	json_object_set_new(m, "/nodes/pve2/lxc/101/interfaces",
	    fixture("lxc_interfaces_101.json"));
	json_object_set_new(m, "/nodes/pve1/qemu/102/config",
	    json_loads(config_102, 0, NULL));
	return m;
}

/*
 * Run an inventory over map with options (JSON text or NULL). Returns the
 * records (new reference) or NULL; *nodes gets the nodes if asked.
 */
static json_t *
run_inventory(const json_t *map, const char *options, json_t **nodes,
    char *err)
{
	struct fetch	*f;
	json_t		*opts, *recs = NULL;

	opts = options != NULL ? json_loads(options, 0, NULL) : json_object();
	if ((f = fetch_new(pl, "pve", opts, PANEL_RECORDS, NULL, NULL)) ==
	    NULL) {
		json_decref(opts);
		err_set(err, "fetch_new failed");
		return NULL;
	}
	if (fetch_run_canned(f, map) == -1)
		err_set(err, "%s", fetch_error(f));
	else {
		recs = fetch_take_records(f);
		if (nodes != NULL)
			*nodes = fetch_take_nodes(f);
	}
	fetch_free(f);
	json_decref(opts);
	return recs;
}

static const json_t *
find_record(const json_t *recs, const char *id)
{
	const json_t	*r;
	size_t		 i;

	json_array_foreach(recs, i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
			return r;
	return NULL;
}

static void
test_normalize(void)
{
	json_t		*map, *recs, *nodes = NULL, *agent;
	char		 err[ERR_MAX] = "";

	map = canned_map();
	recs = run_inventory(map, NULL, &nodes, err);
	if (!tap_ok(recs != NULL, "an inventory over the fixtures")) {
		tap_diag("%s", err);
		json_decref(map);
		return;
	}
	tap_int(json_array_size(recs), 3, "three guests, three records");
	check_json(find_record(recs, "pve/100"), want_100,
	    "VM 100: schema v1 from config, resource and agent");
	check_json(find_record(recs, "pve/101"), want_101,
	    "LXC 101: schema v1 from config, resource and interfaces");
	check_json(find_record(recs, "pve/102"), want_102,
	    "VM 102: every disk kind in order (scsi2 before scsi10, then "
	    "virtio, sata, efidisk0, tpmstate0, unused), cdroms left out of "
	    "disks and disk_gb");
	check_json(nodes, "["
	    "{\"id\":\"pve/pve1\",\"panel\":\"pve\",\"name\":\"pve1\","
	    "\"status\":\"online\",\"cpu\":64,\"memory_mb\":257681,"
	    "\"disk_gb\":93,\"ssl_fingerprint\":\"AA:BB:CC:DD:EE:FF:00:11:22:33:"
	    "44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
	    "99\"},"
	    "{\"id\":\"pve/pve2\",\"panel\":\"pve\",\"name\":\"pve2\","
	    "\"status\":\"online\",\"cpu\":64,\"memory_mb\":257681,"
	    "\"disk_gb\":93,\"ssl_fingerprint\":\"11:22:33:44:55:66:77:88:99:AA:"
	    "BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00\"}]", "nodes from /nodes");
	json_decref(recs);
	json_decref(nodes);

	/* Owner options. */
	recs = run_inventory(map, "{\"owner\":\"none\"}", NULL, err);
	check_json(json_object_get(find_record(recs, "pve/100"), "owner"),
	    "null", "owner none: null even with a pool");
	json_decref(recs);
	recs = run_inventory(map, "{\"owner\":\"pool\"}", NULL, err);
	check_json(json_object_get(find_record(recs, "pve/100"), "owner"),
	    "\"cust-alice\"", "owner pool: the resource's pool");
	check_json(json_object_get(find_record(recs, "pve/102"), "owner"),
	    "null", "owner pool: null without a pool");
	json_decref(recs);
	recs = run_inventory(map, "{\"owner\":\"tag:owner-\"}", NULL, err);
	check_json(json_object_get(find_record(recs, "pve/102"), "owner"),
	    "\"carol\"", "owner tag:PREFIX: the tag without its prefix");
	check_json(json_object_get(find_record(recs, "pve/100"), "owner"),
	    "null", "owner tag:PREFIX: null without such a tag");
	json_decref(recs);
	recs = run_inventory(map, "{\"owner\":\"description:owner:\"}", NULL,
	    err);
	check_json(json_object_get(find_record(recs, "pve/102"), "owner"),
	    "\"carol@example.net\"",
	    "owner description:PREFIX: the line's rest, trimmed");
	check_json(json_object_get(find_record(recs, "pve/101"), "owner"),
	    "null", "owner description:PREFIX: null without such a line");
	json_decref(recs);
	recs = run_inventory(map, "{\"owner\":\"description:Customer:\"}",
	    NULL, err);
	check_json(json_object_get(find_record(recs, "pve/100"), "owner"),
	    "\"Alice Example <alice@example.com>\"",
	    "owner description:Customer: on VM 100");
	json_decref(recs);

	/* Live addresses add to the configured ones; local ones do not. */
	agent = json_loads("{\"data\":{\"result\":["
	    "{\"hardware-address\":\"BC:24:11:3A:5F:01\",\"ip-addresses\":["
	    "{\"ip-address\":\"203.0.113.41\",\"prefix\":24},"
	    "{\"ip-address\":\"203.0.113.42\",\"prefix\":24},"
	    "{\"ip-address\":\"2001:0db8:0400::0042\",\"prefix\":64},"
	    "{\"ip-address\":\"169.254.1.1\",\"prefix\":16},"
	    "{\"ip-address\":\"fe80::1\",\"prefix\":64},"
	    "{\"ip-address\":\"not-an-ip\",\"prefix\":1},"
	    "{\"ip-address\":\"198.51.100.9\"}]},"
	    "{\"hardware-address\":\"02:42:ac:11:00:02\",\"ip-addresses\":["
	    "{\"ip-address\":\"172.17.0.2\",\"prefix\":16}]},"
	    "{\"name\":\"lo\",\"hardware-address\":\"00:00:00:00:00:00\","
	    "\"ip-addresses\":[{\"ip-address\":\"127.0.0.1\",\"prefix\":8}]}"
	    "]}}", 0, NULL);
	json_object_set_new(map,
	    "/nodes/pve1/qemu/100/agent/network-get-interfaces", agent);
	recs = run_inventory(map, NULL, NULL, err);
	check_json(json_object_get(find_record(recs, "pve/100"), "interfaces"),
	    "[{\"mac\":\"bc:24:11:3a:5f:01\",\"ips\":[\"203.0.113.41/24\","
	    "\"2001:db8:400::41/64\",\"203.0.113.42/24\",\"2001:db8:400::42/64\","
	    "\"198.51.100.9\"],\"bridge\":\"vmbr0\",\"vlan\":10}]",
	    "agent addresses join the interface with their MAC, canonical");
	json_decref(recs);

	/* The agent not running is no error: no live addresses. */
	json_object_set_new(map,
	    "/nodes/pve1/qemu/100/agent/network-get-interfaces",
	    json_pack("{s:i, s:o}", "$status", 500, "$body",
	    fixture("error_500_agent_not_running.json")));
	recs = run_inventory(map, NULL, NULL, err);
	check_json(find_record(recs, "pve/100"), want_100,
	    "agent not running: the record from the config alone");
	json_decref(recs);

	/* A guest without a config fails the whole inventory. */
	json_object_del(map, "/nodes/pve1/qemu/102/config");
	recs = run_inventory(map, NULL, NULL, err);
	tap_ok(recs == NULL, "a config that cannot be read fails the run");
	if (!tap_ok(strstr(err, "/nodes/pve1/qemu/102/config") != NULL,
	    "naming the call"))
		tap_diag("%s", err);
	json_decref(recs);
	json_decref(map);
}

/* Templates are nobody's VPS; resources other than guests are skipped. */
static void
test_normalize_resources(void)
{
	json_t	*map, *recs;
	char	 err[ERR_MAX] = "";

	map = json_pack("{s:{s:[{s:s, s:i, s:s, s:s, s:i}, "
	    "{s:s, s:s, s:s}, {s:s, s:i, s:s, s:s, s:i}]}, s:{s:[]}, "
	    "s:{s:{s:s, s:s, s:s}}}",
	    "/cluster/resources?type=vm", "data",
	    "type", "qemu", "vmid", 9000, "node", "pve1", "status", "stopped",
	    "template", 1,
	    "type", "storage", "node", "pve1", "storage", "local",
	    "type", "lxc", "vmid", 105, "node", "pve1", "status", "paused",
	    "template", 0,
	    "/nodes", "data",
	    "/nodes/pve1/lxc/105/config", "data",
	    "hostname", "ct105", "net0", "name=eth0,hwaddr=bc:24:11:00:01:05,"
	    "ip=dhcp,ip6=2001:db8::105/64", "rootfs", "/dev/sdb1,size=8G");
	recs = run_inventory(map, NULL, NULL, err);
	if (!tap_ok(recs != NULL, "an inventory with a template")) {
		tap_diag("%s", err);
		json_decref(map);
		return;
	}
	tap_int(json_array_size(recs), 1, "the template makes no record");
	check_json(find_record(recs, "pve/105"), "{"
	    "\"id\":\"pve/105\",\"panel\":\"pve\",\"native_id\":\"105\","
	    "\"kind\":\"lxc\",\"node\":\"pve1\",\"status\":\"suspended\","
	    "\"created\":null,\"cpu\":1,\"memory_mb\":null,\"disk_gb\":8,"
	    "\"bandwidth_gb\":null,\"interfaces\":[{\"mac\":"
	    "\"bc:24:11:00:01:05\",\"ips\":[\"2001:db8::105/64\"],"
	    "\"bridge\":null,\"vlan\":null}],\"disks\":[{\"storage\":null,"
	    "\"volume\":\"/dev/sdb1\",\"size_gb\":8}],\"owner\":null,"
	    "\"hostname\":\"ct105\",\"name\":null,\"notes\":null,\"tags\":[],"
	    "\"uuid\":null}",
	    "a paused container with a device disk and DHCP");
	json_decref(recs);

	json_object_set_new(map, "/cluster/resources?type=vm", json_pack(
	    "{s:[{s:s, s:i, s:s, s:s}]}", "data", "type", "qemu", "vmid",
	    100, "node", "bad_node", "status", "running"));
	recs = run_inventory(map, NULL, NULL, err);
	tap_ok(recs == NULL, "a resource with an invalid node fails the run");
	if (!tap_ok(strstr(err, "no valid node and vmid") != NULL,
	    "saying why"))
		tap_diag("%s", err);
	json_decref(recs);
	json_decref(map);
}

/*
 * A panel body that is not JSON: the reason names the fault and the
 * byte, and quotes nothing of the body (jansson's own message does, and
 * the body may hold a secret the policy would drop).
 */
static void
test_reply_not_json(void)
{
	static const char *const bodies[] = {
		"{\"data\":{\"cipassword\":\"Hunter2-Secret\tX\"}}",
		"{\"data\":{\"sshkeys\":\"Hunter2-\xff\xfe\"}}",
		"{\"data\":{\"cipassword\" \"Hunter2\"}}",
		"{\"data\":{\"a\":1,\"a\":\"Hunter2\"}}",
		"{\"data\":\"Hunter2\"} trailing Hunter2",
	};
	struct upstream_reply	 u;
	struct reply		 r;
	size_t			 i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		memset(&u, 0, sizeof(u));
		u.ur_status = 200;
		u.ur_content_type = "application/json";
		u.ur_body = bodies[i];
		u.ur_len = strlen(bodies[i]);
		reply_parse(&plugin_proxmox, &u, &r);
		tap_ok(r.rp_kind == REPLY_NOTJSON &&
		    strstr(r.rp_why, "not JSON") != NULL &&
		    strstr(r.rp_why, "Hunter2") == NULL,
		    "a malformed body (%zu): \"%s\" quotes none of it", i + 1,
		    r.rp_why);
		reply_clear(&r);
	}
}

int
main(void)
{
	log_init(0);
	test_endpoints();
	test_routes_allowed();
	test_routes_refused();
	test_options();
	test_normalize();
	test_normalize_resources();
	test_reply_not_json();
	return tap_done();
}
