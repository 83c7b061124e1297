/*
 * test_netcheck.c: the hoster's network cross-check. Every reader
 * (proxy/csv.c, netinput.c, netalloc.c, netnodes.c) with good input in
 * each of its formats and with malformed input, each refused with its
 * "FILE:LINE: reason"; then every finding of proxy/netfind.c, the clean
 * case, what is skipped for lack of input, and --overcommit's parsing.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

/* ---- helpers ---- */

static int
load(struct netcheck *nc, enum netcheck_input in, const char *name,
    const char *text, char *err)
{
	char	*t = strdup(text);
	int	 rc;

	err[0] = '\0';
	rc = netinput_load(nc, in, name, t, strlen(t), err);
	free(t);
	return rc;
}

/* Loaded without error; returns the netcheck (caller frees). */
static struct netcheck *
good(enum netcheck_input in, const char *name, const char *text,
    const char *tenant, const char *what)
{
	struct netcheck	*nc = netcheck_new();
	char		 err[ERR_MAX] = "";

	if (tenant != NULL)
		netcheck_tenant(nc, tenant, err);
	if (!tap_ok(load(nc, in, name, text, err) == 0, "%s: read", what))
		tap_diag("%s", err);
	return nc;
}

/* Refused with exactly want. */
static void
bad(enum netcheck_input in, const char *name, const char *text,
    const char *tenant, const char *want, const char *what)
{
	struct netcheck	*nc = netcheck_new();
	char		 err[ERR_MAX] = "";

	if (tenant != NULL)
		netcheck_tenant(nc, tenant, err);
	tap_int(load(nc, in, name, text, err), -1, what);
	tap_str(err, want, what);
	netcheck_free(nc);
}

static void
prefix_is(const struct netcheck *nc, size_t i, const char *net, int len,
    const char *where, const char *what)
{
	char	 t[ADDR_IP_LEN], w[PATH_MAX], got[PATH_MAX + ADDR_IP_LEN];
	char	 want[PATH_MAX + ADDR_IP_LEN];

	if (!tap_ok(i < nc->nc_nprefixes, "%s: prefix %zu exists", what, i))
		return;
	netinput_ip_text(&nc->nc_prefixes[i].np_net, t, sizeof(t));
	netinput_where(&nc->nc_prefixes[i].np_where, w, sizeof(w));
	snprintf(got, sizeof(got), "%s/%d at %s", t,
	    nc->nc_prefixes[i].np_len, w);
	snprintf(want, sizeof(want), "%s/%d at %s", net, len, where);
	tap_str(got, want, what);
}

/* ---- allocations ---- */

static void
test_allocations(void)
{
	struct netcheck	*nc;

	nc = good(NETCHECK_ALLOCATIONS, "a.txt",
	    "# the reseller's ranges\n"
	    "203.0.113.0/24\n"
	    "\n"
	    "  198.51.100.0/25   # second\n"
	    "2001:DB8:400::/48\n"
	    "192.0.2.7\n", NULL, "CIDR list");
	tap_int((long long)nc->nc_nprefixes, 4, "CIDR list: 4 prefixes");
	prefix_is(nc, 0, "203.0.113.0", 24, "a.txt:2", "CIDR list: IPv4");
	prefix_is(nc, 1, "198.51.100.0", 25, "a.txt:4",
	    "CIDR list: blanks and a trailing comment");
	prefix_is(nc, 2, "2001:db8:400::", 48, "a.txt:5",
	    "CIDR list: IPv6, made canonical");
	prefix_is(nc, 3, "192.0.2.7", 32, "a.txt:6",
	    "CIDR list: an address is a /32");
	tap_str(nc->nc_files[0].nfl_format, "CIDR list", "CIDR list: format");
	netcheck_free(nc);

	nc = good(NETCHECK_ALLOCATIONS, "e.txt", "# nothing yet\n\n", NULL,
	    "an empty CIDR list");
	tap_int((long long)nc->nc_nprefixes, 0, "an empty list: no prefix");
	netcheck_free(nc);

	/* NetBox's REST API answer, pretty-printed as curl | jq gives it. */
	static const char prefixes[] =
	    "{\n"
	    "  \"count\": 4,\n"
	    "  \"next\": null,\n"
	    "  \"previous\": null,\n"
	    "  \"results\": [\n"
	    "    {\"id\": 1, \"prefix\": \"203.0.113.0/24\",\n"
	    "     \"status\": {\"value\": \"active\", \"label\": \"Active\"},\n"
	    "     \"tenant\": {\"id\": 3, \"name\": \"Reseller One\","
	    " \"slug\": \"reseller-one\"}},\n"
	    "    {\"id\": 2, \"prefix\": \"198.51.100.0/24\",\n"
	    "     \"status\": {\"value\": \"deprecated\"},\n"
	    "     \"tenant\": {\"name\": \"Reseller One\"}},\n"
	    "    {\"id\": 3, \"prefix\": \"192.0.2.0/24\", \"status\": "
	    "{\"value\": \"active\"}, \"tenant\": null},\n"
	    "    {\"id\": 4, \"prefix\": \"2001:db8::/32\", \"status\": "
	    "{\"value\": \"container\"},\n"
	    "     \"tenant\": {\"name\": \"Other\", \"slug\": \"other\"}}\n"
	    "  ]\n"
	    "}\n";
	nc = good(NETCHECK_ALLOCATIONS, "p.json", prefixes, NULL,
	    "NetBox prefixes");
	tap_int((long long)nc->nc_nprefixes, 3,
	    "NetBox prefixes: the deprecated one is left out");
	prefix_is(nc, 0, "203.0.113.0", 24, "p.json:6[0]",
	    "NetBox prefixes: evidence is the line of the entry and its index");
	prefix_is(nc, 2, "2001:db8::", 32, "p.json:13[3]",
	    "NetBox prefixes: a container prefix counts");
	tap_str(nc->nc_files[0].nfl_format, "NetBox JSON",
	    "NetBox prefixes: format");
	netcheck_free(nc);
	nc = good(NETCHECK_ALLOCATIONS, "p.json", prefixes, "reseller-one",
	    "--tenant by slug");
	tap_int((long long)nc->nc_nprefixes, 1, "--tenant by slug: one prefix");
	prefix_is(nc, 0, "203.0.113.0", 24, "p.json:6[0]", "--tenant: it");
	netcheck_free(nc);
	nc = good(NETCHECK_ALLOCATIONS, "p.json", prefixes, "other",
	    "--tenant by name, case-insensitively");
	tap_int((long long)nc->nc_nprefixes, 1, "--tenant Other: one prefix");
	netcheck_free(nc);

	nc = good(NETCHECK_ALLOCATIONS, "ip.json",
	    "[{\"address\": \"203.0.113.5/24\", \"status\": {\"value\": "
	    "\"active\"}},\n"
	    " {\"address\": \"2001:db8::5/64\", \"status\": \"dhcp\"}]\n",
	    NULL, "NetBox IP addresses, a bare array");
	prefix_is(nc, 0, "203.0.113.5", 32, "ip.json:1[0]",
	    "an IP address allocates itself, not its subnet");
	prefix_is(nc, 1, "2001:db8::5", 128, "ip.json:2[1]",
	    "an IPv6 address is a /128");
	netcheck_free(nc);

	nc = good(NETCHECK_ALLOCATIONS, "p.csv",
	    "\xef\xbb\xbfPrefix,Status,Tenant,Description\r\n"
	    "203.0.113.0/24,Active,Reseller One,\"web, mail\"\r\n"
	    "198.51.100.0/24,Deprecated,Reseller One,\r\n"
	    "192.0.2.0/24,Active,Other,\"two\nlines\"\r\n"
	    "100.64.0.0/10,Reserved,Reseller One,\r\n", "Reseller One",
	    "NetBox CSV of prefixes");
	tap_int((long long)nc->nc_nprefixes, 2,
	    "NetBox CSV: the tenant's, not deprecated");
	prefix_is(nc, 0, "203.0.113.0", 24, "p.csv:2",
	    "NetBox CSV: a quoted comma");
	prefix_is(nc, 1, "100.64.0.0", 10, "p.csv:6",
	    "NetBox CSV: a quoted line break counts as a line");
	netcheck_free(nc);
	nc = good(NETCHECK_ALLOCATIONS, "ip.csv",
	    "IP Address,Status,Assigned\n203.0.113.9/24,Active,\xe2\x9c\x94\n",
	    NULL, "NetBox CSV of IP addresses");
	prefix_is(nc, 0, "203.0.113.9", 32, "ip.csv:2",
	    "NetBox CSV: an \"IP Address\" column");
	netcheck_free(nc);

	bad(NETCHECK_ALLOCATIONS, "a.txt", "203.0.113.0/24\n\n203.0.113.0/33\n",
	    NULL, "a.txt:3: \"203.0.113.0/33\" is not an IP prefix",
	    "CIDR list: a prefix too long");
	bad(NETCHECK_ALLOCATIONS, "a.txt", "203.0.113.0/24\n203.0.113.5/24\n",
	    NULL, "a.txt:2: 203.0.113.5/24 has host bits set (the network is "
	    "203.0.113.0/24)", "CIDR list: host bits set");
	bad(NETCHECK_ALLOCATIONS, "a.txt", "203.0.113.0/24\n"
	    "10.0.0.0/8 10.1.0.0/16\n", NULL, "a.txt:2: \"10.0.0.0/8 "
	    "10.1.0.0/16\" is not an IP prefix", "CIDR list: two on a line");
	bad(NETCHECK_ALLOCATIONS, "a.txt", "203.0.113.0/24\n", "x",
	    "a.txt: --tenant selects NetBox data, and this is a CIDR list",
	    "--tenant with a CIDR list");
	bad(NETCHECK_ALLOCATIONS, "a.csv", "Network,Owner\n1,2\n", NULL,
	    "a.csv:1: neither a CIDR nor a NetBox CSV header (with a "
	    "\"Prefix\", \"Address\" or \"IP Address\" column)",
	    "neither a CIDR list nor NetBox CSV");
	bad(NETCHECK_ALLOCATIONS, "a.csv", "Prefix,Status\n203.0.113.0/24,A\n",
	    "x", "a.csv:1: --tenant, and there is no \"Tenant\" column",
	    "NetBox CSV: --tenant without a Tenant column");
	bad(NETCHECK_ALLOCATIONS, "a.csv", "Prefix,Status\n10.0.0.0/8,A\n"
	    "bogus,Active\n", NULL, "a.csv:3: \"bogus\" is not an IP prefix",
	    "NetBox CSV: a bad prefix");
	bad(NETCHECK_ALLOCATIONS, "a.csv", "Prefix,Status\n\"10.0.0.0/8,A\n",
	    NULL, "a.csv:2: a quoted field is not closed",
	    "NetBox CSV: a quote not closed");
	bad(NETCHECK_ALLOCATIONS, "a.csv", "Prefix,Status\n\"10.0.0.0/8\"x,A\n",
	    NULL, "a.csv:2: text after a closing quote",
	    "NetBox CSV: text after a quote");
	bad(NETCHECK_ALLOCATIONS, "p.json", "{\"count\": 1,\n \"next\": "
	    "\"https://netbox/api/ipam/prefixes/?offset=50\",\n \"results\": "
	    "[]}", NULL, "p.json: \"next\" is set: this is one page of the "
	    "results; export them all (?limit=0, or the pages' results joined "
	    "into one array)", "NetBox JSON: one page of several");
	bad(NETCHECK_ALLOCATIONS, "p.json", "{\"results\": [\n"
	    "  {\"prefix\": \"10.0.0.0/8\"},\n  {\"vid\": 4}\n]}", NULL,
	    "p.json:3: results[1]: neither \"prefix\" nor \"address\"",
	    "NetBox JSON: an entry of neither kind, with its index");
	bad(NETCHECK_ALLOCATIONS, "p.json", "[{\"prefix\": 10}]", NULL,
	    "p.json:1: [0]: \"prefix\" is not a string",
	    "NetBox JSON: a prefix that is not a string");
	bad(NETCHECK_ALLOCATIONS, "p.json", "[{\"prefix\": \"10.0.0.0/8\",\n"
	    " \"tenant\": 5}]", NULL, "p.json:1: [0]: \"tenant\" is not a "
	    "NetBox tenant", "NetBox JSON: a tenant of the wrong type");
	bad(NETCHECK_ALLOCATIONS, "p.json", "[\n {\"prefix\": \"10.0.0.0/8\"\n",
	    NULL, "p.json:3: '}' expected", "NetBox JSON: a syntax error");
	bad(NETCHECK_ALLOCATIONS, "p.json", "{\"count\": 0}", NULL,
	    "p.json: an object without a \"results\" array",
	    "NetBox JSON: no results");
}

/* ---- neighbours and forwarding ---- */

/* Input with a NUL byte, which C strings cannot carry. */
static void
test_nul(void)
{
	struct netcheck	*nc = netcheck_new();
	char		 text[] = "1.2.3.4,aa:bb:cc:dd:ee:ff\n\0x";
	char		 err[ERR_MAX];

	tap_int(netinput_load(nc, NETCHECK_NEIGH, "n.csv", text,
	    sizeof(text) - 1, err), -1, "a NUL byte is refused");
	tap_str(err, "n.csv: a NUL byte: not a text file",
	    "a NUL byte: the reason");
	netcheck_free(nc);
}

static void
test_neigh(void)
{
	struct netcheck	*nc;
	char		 ip[ADDR_IP_LEN], w[PATH_MAX];

	/* As `ip -j -p neigh` prints it. */
	nc = good(NETCHECK_NEIGH, "n.json",
	    "[ {\n"
	    "        \"dst\": \"203.0.113.41\",\n"
	    "        \"dev\": \"br0\",\n"
	    "        \"lladdr\": \"BC:24:11:3A:5F:01\",\n"
	    "        \"state\": [ \"REACHABLE\" ]\n"
	    "    },{\n"
	    "        \"dst\": \"203.0.113.42\",\n"
	    "        \"dev\": \"br0\",\n"
	    "        \"state\": [ \"INCOMPLETE\" ]\n"
	    "    },{\n"
	    "        \"dst\": \"203.0.113.43\",\n"
	    "        \"dev\": \"br0\",\n"
	    "        \"lladdr\": \"52:54:00:00:00:43\",\n"
	    "        \"state\": [ \"FAILED\" ]\n"
	    "    },{\n"
	    "        \"dst\": \"2001:db8:400::41\",\n"
	    "        \"dev\": \"br0\",\n"
	    "        \"lladdr\": \"bc:24:11:3a:5f:01\",\n"
	    "        \"router\": null,\n"
	    "        \"state\": [ \"STALE\" ]\n"
	    "    },{\n"
	    "        \"dst\": \"203.0.113.44\",\n"
	    "        \"dev\": \"br0\",\n"
	    "        \"lladdr\": \"52:54:00:00:00:44\",\n"
	    "        \"state\": [ \"PERMANENT\" ]\n"
	    "    } ]\n", NULL, "ip -j neigh");
	tap_int((long long)nc->nc_nneigh, 3,
	    "ip -j neigh: INCOMPLETE, FAILED and no lladdr are not live");
	tap_int((long long)nc->nc_files[0].nfl_entries, 5,
	    "ip -j neigh: 5 entries read");
	tap_str(nc->nc_neigh[0].nn_mac, "bc:24:11:3a:5f:01",
	    "ip -j neigh: the MAC made canonical");
	tap_str(nc->nc_neigh[0].nn_dev, "br0", "ip -j neigh: the device");
	netinput_ip_text(&nc->nc_neigh[1].nn_ip, ip, sizeof(ip));
	tap_str(ip, "2001:db8:400::41", "ip -j neigh: IPv6");
	netinput_where(&nc->nc_neigh[1].nn_where, w, sizeof(w));
	tap_str(w, "n.json:15[3]", "ip -j neigh: the entry's line and index");
	netcheck_free(nc);

	nc = good(NETCHECK_NEIGH, "n.json", "[]", NULL, "an empty table");
	tap_int((long long)nc->nc_nneigh, 0, "an empty table: nothing");
	netcheck_free(nc);

	nc = good(NETCHECK_NEIGH, "n.csv", "IP,MAC,VLAN\n"
	    "203.0.113.41,bc-24-11-3a-5f-01,10\n"
	    "# a comment\n"
	    "203.0.113.42 , bc24.113a.5f02 ,\n", NULL, "CSV with a header");
	tap_int((long long)nc->nc_nneigh, 2, "CSV: two entries");
	tap_int(nc->nc_neigh[0].nn_vlan, 10, "CSV: the VLAN");
	tap_int(nc->nc_neigh[1].nn_vlan, -1, "CSV: no VLAN");
	tap_str(nc->nc_neigh[1].nn_mac, "bc:24:11:3a:5f:02",
	    "CSV: a Cisco-style MAC made canonical");
	netinput_where(&nc->nc_neigh[1].nn_where, w, sizeof(w));
	tap_str(w, "n.csv:4", "CSV: evidence FILE:LINE");
	netcheck_free(nc);
	nc = good(NETCHECK_NEIGH, "n.csv", "203.0.113.41,bc:24:11:3a:5f:01\n",
	    NULL, "CSV without a header");
	tap_int((long long)nc->nc_nneigh, 1, "CSV without a header: one");
	netcheck_free(nc);

	bad(NETCHECK_NEIGH, "n.csv", "ip,mac\n203.0.113.41,zz\n", NULL,
	    "n.csv:2: \"zz\" is not an Ethernet MAC address", "CSV: a bad MAC");
	bad(NETCHECK_NEIGH, "n.csv", "203.0.113.41,bc:24:11:3a:5f:01\n"
	    "203.0.113.400,bc:24:11:3a:5f:01\n", NULL,
	    "n.csv:2: \"203.0.113.400\" is not an IP address",
	    "CSV: a bad address");
	bad(NETCHECK_NEIGH, "n.csv", "203.0.113.41,bc:24:11:3a:5f:01,4095\n",
	    NULL, "n.csv:1: the VLAN is not a number from 0 to 4094",
	    "CSV: a VLAN out of range");
	bad(NETCHECK_NEIGH, "n.csv", "203.0.113.41\n", NULL,
	    "n.csv:1: 1 fields, not ip,mac[,vlan]", "CSV: one field");
	bad(NETCHECK_NEIGH, "n.csv", "a,b,c,d\n", NULL,
	    "n.csv:1: 4 fields, not ip,mac[,vlan]", "CSV: four fields");
	bad(NETCHECK_NEIGH, "n.csv", "1.2.3.4,aa:bb:cc:dd:ee:ff\r\r\n", NULL,
	    "n.csv:1: a carriage return inside a line", "CSV: a stray CR");
	bad(NETCHECK_NEIGH, "n.json", "{\"dst\": \"1.2.3.4\"}", NULL,
	    "n.json: not a JSON array", "ip -j neigh: an object");
	bad(NETCHECK_NEIGH, "n.json", "[{\"dev\": \"br0\"}]", NULL,
	    "n.json:1: [0]: no \"dst\"", "ip -j neigh: no dst");
	bad(NETCHECK_NEIGH, "n.json", "[{\"dst\": \"1.2.3.4\",\n"
	    " \"state\": \"REACHABLE\"}]", NULL,
	    "n.json:1: [0]: \"state\" is not an array",
	    "ip -j neigh: a state not an array");
	bad(NETCHECK_NEIGH, "n.json", "[\n{\"dst\": \"1.2.3.4\", \"lladdr\": "
	    "\"52:54:00:00:00:01\"},\n{\"dst\": \"1.2.3.5\", \"lladdr\": "
	    "\"10.0.0.1\"}]", NULL, "n.json:3: [1]: \"10.0.0.1\" is not an "
	    "Ethernet MAC address", "ip -j neigh: a tunnel's lladdr");
	bad(NETCHECK_NEIGH, "n.json", "[1]", NULL, "n.json:1: [0]: not an "
	    "object", "ip -j neigh: a number");
	test_nul();
}

static void
test_fdb(void)
{
	struct netcheck	*nc;
	char		 w[PATH_MAX];

	/* As `bridge -j fdb` prints it. */
	nc = good(NETCHECK_FDB, "f.json",
	    "[{\"mac\":\"33:33:00:00:00:01\",\"ifname\":\"br0\",\"flags\":"
	    "[\"self\"],\"state\":\"permanent\"},{\"mac\":\"bc:24:11:3a:5f:01\","
	    "\"ifname\":\"vp100\",\"vlan\":10,\"flags\":[],\"master\":\"br0\","
	    "\"state\":\"\"}]\n", NULL, "bridge -j fdb");
	tap_int((long long)nc->nc_nfdb, 2, "bridge -j fdb: two entries");
	tap_str(nc->nc_fdb[1].nf_port, "vp100", "bridge -j fdb: the port");
	tap_int(nc->nc_fdb[1].nf_vlan, 10, "bridge -j fdb: the VLAN");
	netinput_where(&nc->nc_fdb[1].nf_where, w, sizeof(w));
	tap_str(w, "f.json:1[1]", "bridge -j fdb: one line, the index says");
	netcheck_free(nc);

	nc = good(NETCHECK_FDB, "f.csv", "MAC,Port,VLAN\n"
	    "bc:24:11:3a:5f:01,sw1:xe-0/0/1,10\n"
	    "\"BC:24:11:3A:5F:02\",\"sw1:xe-0/0/2\"\n", NULL, "CSV");
	tap_int((long long)nc->nc_nfdb, 2, "CSV: two entries");
	tap_str(nc->nc_fdb[1].nf_port, "sw1:xe-0/0/2",
	    "CSV: the port as given, quotes removed");
	netcheck_free(nc);

	bad(NETCHECK_FDB, "f.json", "[{\"mac\": \"bc:24:11:3a:5f:01\"}]", NULL,
	    "f.json:1: [0]: no \"ifname\"", "bridge -j fdb: no ifname");
	bad(NETCHECK_FDB, "f.json", "[{\"mac\": \"bc:24:11:3a:5f:01\", "
	    "\"ifname\": \"p\", \"vlan\": \"ten\"}]", NULL,
	    "f.json:1: [0]: \"vlan\" is not a number from 0 to 4094",
	    "bridge -j fdb: a VLAN that is not a number");
	bad(NETCHECK_FDB, "f.json", "[{\"mac\": \"bc:24:11:3a:5f:01\", "
	    "\"ifname\": \"p\", \"flags\": \"self\"}]", NULL,
	    "f.json:1: [0]: \"flags\" is not an array",
	    "bridge -j fdb: flags not an array");
	bad(NETCHECK_FDB, "f.csv", "bc:24:11:3a:5f:01,\n", NULL,
	    "f.csv:1: \"\" is not a port name (1 to 255 printable bytes)",
	    "CSV: an empty port");
	bad(NETCHECK_FDB, "f.csv", "mac,port\nbc:24:11:3a:5f:0g,p1\n", NULL,
	    "f.csv:2: \"bc:24:11:3a:5f:0g\" is not an Ethernet MAC address",
	    "CSV: a bad MAC");
}

/* ---- node inventory ---- */

static void
test_nodes(void)
{
	struct netcheck	*nc;
	char		 err[ERR_MAX];

	nc = good(NETCHECK_NODES, "n.csv",
	    "node,server,ports,cpu,memory_mb,disk_gb\n"
	    "pve1,srv-a,sw1:xe-0/0/1 sw1:xe-0/0/2,32,131072,4000\n"
	    "vz/hv2,srv-b,\"sw1:xe-0/0/3;sw2:xe-0/0/3\",,,\n", NULL,
	    "CSV inventory");
	tap_int((long long)nc->nc_nnodes, 2, "CSV inventory: two nodes");
	/* Sorted by key: "pve1" < "vz/hv2". */
	tap_str(nc->nc_nodes[1].nd_key, "vz/hv2", "CSV: a panel/node key");
	tap_int((long long)nc->nc_nodes[1].nd_nports, 2,
	    "CSV: ports separated by ';'");
	tap_str(nc->nc_nodes[0].nd_ports[1], "sw1:xe-0/0/2",
	    "CSV: ports separated by blanks");
	tap_ok(nc->nc_nodes[0].nd_cpu == 32 &&
	    nc->nc_nodes[0].nd_memory == 131072 &&
	    nc->nc_nodes[0].nd_disk == 4000, "CSV: the capacities");
	tap_ok(isnan(nc->nc_nodes[1].nd_cpu), "CSV: no capacity given");
	tap_int((long long)nc->nc_nports, 4, "CSV: four ports indexed");
	/* A second file adds to the first. */
	tap_int(load(nc, NETCHECK_NODES, "m.json", "[{\"node\": \"pve3\", "
	    "\"server\": \"srv-c\", \"ports\": [\"sw2:1\"], \"cpu\": 8, "
	    "\"memory_mb\": null}]", err), 0, "a JSON inventory too");
	tap_int((long long)nc->nc_nnodes, 3, "JSON: a third node");
	tap_ok(nc->nc_nodes[1].nd_cpu == 8 && isnan(nc->nc_nodes[1].nd_memory),
	    "JSON: a capacity, and null for none");
	tap_int(load(nc, NETCHECK_NODES, "d.json", "[{\"node\": \"pve1\", "
	    "\"server\": \"srv-z\"}]", err), -1, "a node listed twice");
	tap_str(err, "d.json:1[0]: node \"pve1\" is listed again (first at "
	    "n.csv:2)", "a node listed twice: both places");
	netcheck_free(nc);

	bad(NETCHECK_NODES, "n.csv", "node,server,ports,cpu,memory_mb\n"
	    "pve1,a,,1,1\n", NULL, "n.csv:1: the header has no \"disk_gb\" "
	    "column (node,server,ports,cpu,memory_mb,disk_gb)",
	    "CSV: a column missing");
	bad(NETCHECK_NODES, "n.csv", "pve1,srv-a,p1,1,1,1\n", NULL,
	    "n.csv:1: the header has no \"node\" column "
	    "(node,server,ports,cpu,memory_mb,disk_gb)",
	    "CSV: the header is required");
	bad(NETCHECK_NODES, "n.csv", "node,server,ports,cpu,memory_mb,disk_gb\n"
	    "pve1,srv-a,p1,-2,1,1\n", NULL, "n.csv:2: cpu is not a number >= 0",
	    "CSV: a negative capacity");
	bad(NETCHECK_NODES, "n.csv", "node,server,ports,cpu,memory_mb,disk_gb\n"
	    "pve1,srv-a,p1,1,1,1\npve2,srv-b,p2 p1,1,1,1\n", NULL,
	    "n.csv:3: port \"p1\" of server \"srv-b\" is also a port of server "
	    "\"srv-a\" at n.csv:2", "CSV: a port of two servers");
	bad(NETCHECK_NODES, "n.csv", "node,server,ports,cpu,memory_mb,disk_gb\n"
	    ",srv-a,p1,1,1,1\n", NULL, "n.csv:2: the node \"\" is not a name "
	    "(1 to 255 printable bytes)", "CSV: no node name");
	bad(NETCHECK_NODES, "n.csv", "node,server,ports,cpu,memory_mb,disk_gb\n"
	    "pve1,srv-a,p1,1,1\n", NULL, "n.csv:2: 5 fields, fewer than the "
	    "header's", "CSV: a short row");
	bad(NETCHECK_NODES, "n.json", "[{\"node\": \"pve1\", \"server\": "
	    "\"a\", \"ports\": \"p1\"}]", NULL,
	    "n.json:1: [0]: \"ports\" is not an array", "JSON: ports a string");
	bad(NETCHECK_NODES, "n.json", "[{\"node\": \"pve1\"}]", NULL,
	    "n.json:1: [0]: the server \"\" is not a name (1 to 255 printable "
	    "bytes)", "JSON: no server");
	bad(NETCHECK_NODES, "n.json", "[{\"node\": \"pve1\", \"server\": "
	    "\"a\", \"cpu\": \"8\"}]", NULL,
	    "n.json:1: [0]: \"cpu\" is not a number >= 0",
	    "JSON: a capacity as a string");
}

/* ---- --overcommit, --tenant, --records ---- */

static json_t *
records(const char *text, char *err)
{
	return netcheck_records("v.json", text, strlen(text), err);
}

static void
test_options(void)
{
	struct netcheck	*nc = netcheck_new();
	char		 err[ERR_MAX];
	json_t		*r;
	static const struct {
		const char	*spec, *want;
	} badspecs[] = {
		{ "cpu=0", "--overcommit: cpu=0: the ratio is not a number "
		    "above 0 and at most 1000" },
		{ "memory=-1", "--overcommit: memory=-1: the ratio is not a "
		    "number above 0 and at most 1000" },
		{ "disk=2000", "--overcommit: disk=2000: the ratio is not a "
		    "number above 0 and at most 1000" },
		{ "cpu=4x", "--overcommit: cpu=4x: the ratio is not a number "
		    "above 0 and at most 1000" },
		{ "cpu=", "--overcommit: cpu=: the ratio is not a number "
		    "above 0 and at most 1000" },
		{ "gpu=2", "--overcommit: \"gpu\" is not cpu, memory or disk" },
		{ "cpu", "--overcommit: \"cpu\" is not NAME=RATIO" },
		{ "cpu=2,cpu=3", "--overcommit: cpu is given twice" },
		{ "", "--overcommit: not cpu=R,memory=R,disk=R" },
	};
	size_t		 i;

	tap_ok(nc->nc_ratio_cpu == NETCHECK_CPU_RATIO &&
	    nc->nc_ratio_memory == NETCHECK_MEMORY_RATIO &&
	    nc->nc_ratio_disk == NETCHECK_DISK_RATIO &&
	    NETCHECK_CPU_RATIO == 4.0 && NETCHECK_MEMORY_RATIO == 1.0,
	    "the default ratios: cpu=4, memory=1, disk=1");
	tap_int(netcheck_overcommit(nc, "cpu=8,disk=1.5", err), 0,
	    "--overcommit cpu=8,disk=1.5");
	tap_ok(nc->nc_ratio_cpu == 8 && nc->nc_ratio_memory == 1 &&
	    nc->nc_ratio_disk == 1.5, "the ratios given, the others kept");
	tap_int(netcheck_overcommit(nc, "memory=0.5", err), 0,
	    "--overcommit memory=0.5: below 1 is allowed");
	tap_ok(nc->nc_ratio_memory == 0.5, "memory=0.5 taken");
	for (i = 0; i < sizeof(badspecs) / sizeof(badspecs[0]); i++) {
		err[0] = '\0';
		tap_int(netcheck_overcommit(nc, badspecs[i].spec, err), -1,
		    badspecs[i].spec);
		tap_str(err, badspecs[i].want, badspecs[i].spec);
	}
	tap_int(netcheck_tenant(nc, "", err), -1, "--tenant \"\" is refused");
	tap_int(netcheck_tenant(nc, "Reseller One", err), 0,
	    "--tenant with a blank");
	netcheck_free(nc);

	r = records("{\"snapshot\": {}, \"records\": [{\"id\": "
	    "\"pve/100\"}]}", err);
	tap_int((long long)json_array_size(r), 1,
	    "--records: a saved /v1/vps answer");
	json_decref(r);
	r = records("[{\"id\": \"a/1\"}, {\"id\": \"a/2\"}]", err);
	tap_int((long long)json_array_size(r), 2, "--records: a bare array");
	json_decref(r);
	r = records("[{\"id\": \"a/1\"}, {\"name\": 2}]", err);
	tap_ok(r == NULL, "--records: an entry without an id is refused");
	tap_str(err, "v.json: records[1]: not a record (no \"id\")",
	    "--records: which entry");
	r = records("{\"checkpoint\": 1}", err);
	tap_str(err, "v.json: neither a /v1/vps answer nor an array of "
	    "records", "--records: something else");
	json_decref(r);
}

/* ---- the checks ---- */

/* Three records; the third's MAC is committed, so not visible. */
static const char records_clean[] =
    "[{\"id\": \"pve/100\", \"panel\": \"pve\", \"node\": \"pve1\", "
    "\"cpu\": 4, \"memory_mb\": 4096, \"disk_gb\": 100, \"interfaces\": "
    "[{\"mac\": \"bc:24:11:00:00:01\", \"ips\": [\"203.0.113.10/24\", "
    "\"2001:db8::10/64\", \"fe80::1\"]}]},"
    " {\"id\": \"pve/101\", \"panel\": \"pve\", \"node\": \"pve1\", "
    "\"cpu\": 4, \"memory_mb\": null, \"interfaces\": [{\"mac\": "
    "\"BC:24:11:00:00:02\", \"ips\": [\"203.0.113.11\"]}]},"
    " {\"id\": \"pve/102\", \"panel\": \"pve\", \"node\": \"pve2\", "
    "\"cpu\": 2, \"_sd\": [\"x\"], \"interfaces\": [{\"ips\": "
    "[\"203.0.113.12\"]}]}]";

static const char alloc_clean[] = "203.0.113.0/24\n2001:db8::/32\n";
static const char neigh_clean[] =
    "203.0.113.10,bc:24:11:00:00:01\n"
    "203.0.113.11,bc:24:11:00:00:02\n"
    "203.0.113.12,52:54:00:00:00:12\n"
    "2001:db8::10,bc:24:11:00:00:01\n"
    "198.51.100.1,52:54:00:00:00:01\n"
    "fe80::5,52:54:00:00:00:05\n";
static const char fdb_clean[] =
    "bc:24:11:00:00:01,p1\n"
    "bc:24:11:00:00:01,uplink\n"
    "bc:24:11:00:00:02,p2\n";
static const char nodes_clean[] =
    "node,server,ports,cpu,memory_mb,disk_gb\n"
    "pve1,srv-a,p1 p2,2,4096,100\n"
    "pve/pve2,srv-b,p3,1,,\n";

/* A network: the clean one, with the given inputs replaced. */
struct net {
	const char	*alloc, *neigh, *fdb, *nodes, *records, *overcommit;
};

static json_t *
run(const struct net *in, char *err)
{
	struct netcheck	*nc = netcheck_new();
	json_t		*recs, *r = NULL;

	err[0] = '\0';
	if (in->overcommit != NULL && netcheck_overcommit(nc, in->overcommit,
	    err) == -1)
		goto done;
	if ((in->alloc != NULL && load(nc, NETCHECK_ALLOCATIONS, "alloc.txt",
	    in->alloc, err) == -1) ||
	    (in->neigh != NULL && load(nc, NETCHECK_NEIGH, "neigh.csv",
	    in->neigh, err) == -1) ||
	    (in->fdb != NULL && load(nc, NETCHECK_FDB, "fdb.csv", in->fdb,
	    err) == -1) ||
	    (in->nodes != NULL && load(nc, NETCHECK_NODES, "nodes.csv",
	    in->nodes, err) == -1))
		goto done;
	recs = netcheck_records("recs.json", in->records != NULL ?
	    in->records : records_clean, strlen(in->records != NULL ?
	    in->records : records_clean), err);
	if (recs != NULL)
		r = netcheck_run(nc, recs, err);
	json_decref(recs);
done:
	netcheck_free(nc);
	return r;
}

static const struct net clean = { alloc_clean, neigh_clean, fdb_clean,
    nodes_clean, NULL, NULL };

static const char *
or_dash(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

/* The findings of a kind, as one line each: "ids|address|observed|where". */
static char *
found(const json_t *r, const char *kind)
{
	const json_t	*f, *v;
	struct buf	 b;
	size_t		 i, j;

	buf_init(&b);
	json_array_foreach(json_object_get(r, "findings"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		    kind) != 0)
			continue;
		if (b.b_len > 0)
			buf_addstr(&b, "\n");
		json_array_foreach(json_object_get(f, "ids"), j, v)
			buf_printf(&b, "%s%s", j > 0 ? "," : "",
			    json_string_value(v));
		buf_printf(&b, "|%s|%s|%s", or_dash(f, "address"),
		    or_dash(f, "observed"), or_dash(f, "where"));
	}
	buf_add(&b, "", 1);
	return buf_take(&b, NULL);
}

/* Run net; check the findings of kind, and that nothing else is found. */
static void
expect(const struct net *in, const char *kind, const char *want,
    const char *what)
{
	const json_t	*f;
	char		 err[ERR_MAX], *got;
	json_t		*r;
	size_t		 i, other = 0;

	if ((r = run(in, err)) == NULL) {
		tap_ok(0, "%s: ran", what);
		tap_diag("%s", err);
		return;
	}
	got = found(r, kind);
	tap_str(got, want, what);
	free(got);
	json_array_foreach(json_object_get(r, "findings"), i, f)
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		    kind) != 0) {
			other++;
			tap_diag("also: %s", json_string_value(
			    json_object_get(f, "detail")));
		}
	tap_int((long long)other, 0, "nothing else found");
	tap_int(json_integer_value(json_object_get(r, "exit")),
	    *want != '\0' ? 1 : 0, "exit 1 with findings, 0 without");
	json_decref(r);
}

static void
test_clean(void)
{
	const json_t	*c;
	char		 err[ERR_MAX];
	json_t		*r;
	size_t		 i, ran = 0;

	r = run(&clean, err);
	if (!tap_ok(r != NULL, "the clean network: ran")) {
		tap_diag("%s", err);
		return;
	}
	tap_int((long long)json_array_size(json_object_get(r, "findings")), 0,
	    "the clean network: no finding");
	tap_int(json_integer_value(json_object_get(r, "exit")), 0,
	    "the clean network: exit 0");
	tap_int(json_integer_value(json_object_get(r, "records")), 3,
	    "the clean network: 3 records");
	json_array_foreach(json_object_get(r, "checks"), i, c)
		ran += json_is_true(json_object_get(c, "ran"));
	tap_int((long long)ran, 7, "the clean network: all 7 checks ran");
	c = json_array_get(json_object_get(r, "checks"), 1);
	tap_str(json_string_value(json_object_get(c, "detail")),
	    "3 live addresses claimed by a record with a visible MAC "
	    "compared; 1 claimed with the MAC not visible (committed), not "
	    "checked", "mac-mismatch says what it could not check");
	tap_int((long long)json_array_size(json_object_get(r, "inputs")), 4,
	    "the report lists the 4 inputs");
	json_decref(r);
}

static void
test_skipped(void)
{
	static const char	*want[] = {
		"skipped: needs --allocations and --neigh",
		"skipped: needs --neigh",
		"skipped: needs --allocations",
		"4 attested addresses",
		"2 visible attested MACs",
		"skipped: needs --fdb and --nodes",
		"skipped: needs --nodes",
	};
	struct net	 only = { NULL, NULL, NULL, NULL, NULL, NULL };
	struct net	 half = { NULL, NULL, fdb_clean, NULL, NULL, NULL };
	const json_t	*c;
	char		 err[ERR_MAX];
	json_t		*r;
	size_t		 i;

	r = run(&only, err);
	json_array_foreach(json_object_get(r, "checks"), i, c) {
		tap_ok(json_is_true(json_object_get(c, "ran")) ==
		    (strncmp(want[i], "skipped", 7) != 0), "records only: %s "
		    "%s", json_string_value(json_object_get(c, "check")),
		    strncmp(want[i], "skipped", 7) == 0 ? "skipped" : "ran");
		tap_str(json_string_value(json_object_get(c, "detail")),
		    want[i], "records only: its detail");
	}
	tap_int(json_integer_value(json_object_get(r, "exit")), 0,
	    "records only: exit 0");
	json_decref(r);
	r = run(&half, err);
	c = json_array_get(json_object_get(r, "checks"), 5);
	tap_str(json_string_value(json_object_get(c, "detail")),
	    "skipped: needs --fdb and --nodes",
	    "--fdb without --nodes: wrong-port skipped");
	json_decref(r);
}

static void
test_findings(void)
{
	struct net	 n;

	n = clean;
	n.neigh = "203.0.113.10,bc:24:11:00:00:01\n"
	    "203.0.113.99,52:54:00:00:00:99\n"
	    "203.0.113.99,52:54:00:00:00:99\n"
	    "198.51.100.99,52:54:00:00:00:98\n";
	expect(&n, "unclaimed-ip", "|203.0.113.99|52:54:00:00:00:99|"
	    "neigh.csv:2", "a hidden VM: a live IP in the range, unclaimed, "
	    "once for two sightings; outside the range, nothing");

	n = clean;
	n.neigh = "203.0.113.11,bc:24:11:00:00:09\n"
	    "203.0.113.12,52:54:00:00:00:12\n";
	expect(&n, "mac-mismatch", "pve/101|203.0.113.11|bc:24:11:00:00:09|"
	    "neigh.csv:1", "a lie about a MAC; a committed MAC is not "
	    "compared");
	n.neigh = "203.0.113.11,bc:24:11:00:00:01\n";
	expect(&n, "mac-mismatch", "pve/101|203.0.113.11|bc:24:11:00:00:01|"
	    "neigh.csv:1", "an IP answering from another record's MAC");

	n = clean;
	n.alloc = "203.0.113.0/29\n203.0.113.12\n2001:db8::/32\n";
	n.neigh = NULL;
	expect(&n, "outside-allocation", "pve/100|203.0.113.10|-|-\n"
	    "pve/101|203.0.113.11|-|-", "attested IPs outside the "
	    "allocation (203.0.113.12 allocated alone)");

	n = clean;
	n.records = "[{\"id\": \"a/1\", \"interfaces\": [{\"mac\": "
	    "\"bc:24:11:00:00:01\", \"ips\": [\"203.0.113.10/24\"]}]},"
	    " {\"id\": \"a/2\", \"interfaces\": [{\"mac\": "
	    "\"bc:24:11:00:00:02\", \"ips\": [\"203.0.113.10\"]}, {\"ips\": "
	    "[\"203.0.113.20\"]}, {\"ips\": [\"203.0.113.20\"]}]}]";
	n.neigh = NULL;
	n.fdb = n.nodes = NULL;
	expect(&n, "duplicate-ip", "a/1,a/2|203.0.113.10|-|-\n"
	    "a/2|203.0.113.20|-|-", "an IP attested by two records, and by "
	    "two interfaces of one");

	n.records = "[{\"id\": \"a/1\", \"interfaces\": [{\"mac\": "
	    "\"bc:24:11:00:00:01\"}, {\"mac\": \"00:00:00:00:00:00\"}]},"
	    " {\"id\": \"a/2\", \"interfaces\": [{\"mac\": "
	    "\"BC-24-11-00-00-01\"}, {\"mac\": \"00:00:00:00:00:00\"}]}]";
	expect(&n, "duplicate-mac", "a/1,a/2|bc:24:11:00:00:01|-|-",
	    "a MAC attested twice, however written; loopback MACs are not");

	n = clean;
	n.fdb = "bc:24:11:00:00:01,p1\nbc:24:11:00:00:02,p3\n";
	expect(&n, "wrong-port", "pve/101|bc:24:11:00:00:02|port p3 (server "
	    "srv-b)|fdb.csv:2", "a VM moved to another server: its MAC on "
	    "that server's port");
	n.fdb = "bc:24:11:00:00:01,uplink\nbc:24:11:00:00:01,uplink2\n"
	    "bc:24:11:00:00:02,p2\nbc:24:11:00:00:02,uplink\n";
	expect(&n, "wrong-port", "pve/100|bc:24:11:00:00:01|port uplink (no "
	    "server of the inventory)|fdb.csv:1\n"
	    "pve/100|bc:24:11:00:00:01|port uplink2 (no server of the "
	    "inventory)|fdb.csv:2", "a MAC only on ports of no server; an "
	    "uplink next to its own port is no finding");

	n = clean;
	n.nodes = "node,server,ports,cpu,memory_mb,disk_gb\n"
	    "pve1,srv-a,p1 p2,1,4000,100\n"
	    "pve/pve2,srv-b,p3,0.25,,\n";
	expect(&n, "over-capacity", "pve/pve2|-|0.25 x 4 = 1|nodes.csv:3\n"
	    "pve1|-|1 x 4 = 4|nodes.csv:2\n"
	    "pve1|-|4000 x 1 = 4000|nodes.csv:2", "nodes over capacity "
	    "(a record without memory_mb adds none)");
	n.overcommit = "cpu=7,memory=1.1";
	expect(&n, "over-capacity", "pve/pve2|-|0.25 x 7 = 1.75|nodes.csv:3\n"
	    "pve1|-|1 x 7 = 7|nodes.csv:2", "--overcommit raises the bounds");
	n.overcommit = "cpu=8,memory=1.1";
	expect(&n, "over-capacity", "", "--overcommit high enough: nothing "
	    "over (at the bound is not over)");
}

static void
test_records_bad(void)
{
	struct net	 n = clean;
	char		 err[ERR_MAX];
	json_t		*r;

	n.records = "[{\"id\": \"a/1\", \"interfaces\": [{\"mac\": \"x\"}]}]";
	r = run(&n, err);
	tap_ok(r == NULL, "a record with a bad MAC is refused");
	tap_str(err, "records[0] (a/1): interfaces[0].mac \"x\" is not a MAC "
	    "address", "a record with a bad MAC: where");
	n.records = "[{\"id\": \"a/1\"}, {\"id\": \"a/2\", \"interfaces\": "
	    "[{\"ips\": [\"1.2.3\"]}]}]";
	r = run(&n, err);
	tap_str(err, "records[1] (a/2): interfaces[0].ips[0] is not an IP "
	    "address", "a record with a bad IP: where");
	n.records = "[{\"id\": \"a/1\", \"cpu\": \"4\"}]";
	r = run(&n, err);
	tap_str(err, "records[0] (a/1): \"cpu\" is not a number",
	    "a record with a cpu as a string");
	json_decref(r);
}

int
main(void)
{
	test_allocations();
	test_neigh();
	test_fdb();
	test_nodes();
	test_options();
	test_clean();
	test_skipped();
	test_findings();
	test_records_bad();
	return tap_done();
}
