/*
 * test_virtfusion.c: the VirtFusion plugin through its plugin table only: the
 * native allow-list (every documented read allowed, every write and
 * secret endpoint refused, query parameters checked), the endpoint list
 * against the default policy, credentials and options, and
 * normalization of odd and hostile shapes through fetch_run_canned(),
 * the path an inventory takes. The fixtures' records are the data
 * cases' (tests/cases/virtfusion/).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

static const struct plugin	*pl = &plugin_virtfusion;

/* Reads a hoster may make: path?query, and what goes upstream. */
static const char *const allowed[][2] = {
	{ "/servers",
	    "/servers" },
	{ "/servers?results=200&page=3",
	    "/servers?results=200&page=3" },
	{ "/servers?type=full",
	    "/servers?type=full" },
	{ "/servers/302",
	    "/servers/302" },
	{ "/servers/302?remoteState=true",
	    "/servers/302?remoteState=true" },
	{ "/servers/302/traffic",
	    "/servers/302/traffic" },
	{ "/servers/user/22",
	    "/servers/user/22" },
	{ "/servers/user/22?results=10",
	    "/servers/user/22?results=10" },
	{ "/compute/hypervisors",
	    "/compute/hypervisors" },
	{ "/compute/hypervisors?results=20",
	    "/compute/hypervisors?results=20" },
	{ "/compute/hypervisors/2",
	    "/compute/hypervisors/2" },
	{ "/compute/hypervisors/groups",
	    "/compute/hypervisors/groups" },
	{ "/compute/hypervisors/groups/1",
	    "/compute/hypervisors/groups/1" },
	{ "/compute/hypervisors/groups/1/resources",
	    "/compute/hypervisors/groups/1/resources" },
};

/* Writes, secrets and anything else: refused before the panel. */
static const char *const refused[] = {
	"/servers/302/vnc",
	"/servers/302/vnc?enabled=true",
	"/servers/302/VNC",
	"/servers/302/build",
	"/servers/302/suspend",
	"/servers/302/unsuspend",
	"/servers/302/power/boot",
	"/servers/302/power/shutdown",
	"/servers/302/resetPassword",
	"/servers/302/modify/name",
	"/servers/302/owner/22",
	"/servers/302/ipv4",
	"/servers/302/firewall/rules",
	"/servers/302/backups",
	"/servers/302/traffic/blocks",
	"/connect",
	"/users/22",
	"/users/22/serverAuthenticationTokens",
	"/packages",
	"/ssh_keys/user/22",
	"/servers?type=secret",
	"/servers?hypervisorId[]=1",
	"/servers?results=x",
	"/servers?results=0",
	"/servers/302?remoteState=1",
	"/servers/user/alice",
	"/servers/user/22/vnc",
	"/servers/302/vnc/",
	"/servers/302/../302/vnc",
	"/servers/%33%30%32/vnc",
	"/compute/hypervisors/2/servers",
	"/compute/hypervisors/groups/1/resources/x",
};

static void
test_allow_list(void)
{
	struct native_route	 nr;
	char			 path[FRONT_URI_BYTES_MAX], err[ERR_MAX];
	char			*q;
	size_t			 i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		strlcpy(path, allowed[i][0], sizeof(path));
		if ((q = strchr(path, '?')) != NULL)
			*q++ = '\0';
		err[0] = '\0';
		if (!tap_ok(pl->pl_native_route(path, q, &nr, err) == 0 &&
		    strcmp(nr.nr_path, allowed[i][1]) == 0, "%s is allowed, "
		    "as %s", allowed[i][0], allowed[i][1]))
			tap_diag("%s", err[0] ? err : nr.nr_path);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		strlcpy(path, refused[i], sizeof(path));
		if ((q = strchr(path, '?')) != NULL)
			*q++ = '\0';
		err[0] = '\0';
		tap_ok(pl->pl_native_route(path, q, &nr, err) == -1 &&
		    err[0] != '\0', "%s is refused (%s)", refused[i], err);
	}
}

/* Every endpoint has a rule in the default policy, so it can be used. */
static void
test_endpoints(void)
{
	const char	*top = getenv("top_srcdir");
	char		 path[PATH_MAX], err[ERR_MAX];
	struct policy	*po;
	size_t		 i, n = 0;

	snprintf(path, sizeof(path), "%s/policies/virtfusion.lua",
	    top != NULL ? top : ".");
	po = policy_load(path, pl, POLICY_MEMORY, POLICY_INSTRUCTIONS, err);
	if (!tap_ok(po != NULL, "the default policy loads"))
		tap_diag("%s", err);
	for (i = 0; pl->pl_endpoint(i) != NULL; i++)
		n += po != NULL && policy_native(po, pl->pl_endpoint(i)) != NULL;
	tap_ok(i > 0 && n == i, "the default policy covers all %zu "
	    "endpoints (%zu)", i, n);
	policy_free(po);
}

static void
test_conf(void)
{
	char	 err[ERR_MAX];
	json_t	*o;

	tap_ok(pl->pl_credentials("abcDEF0123456789", err) == 0,
	    "a token is good credentials");
	tap_ok(pl->pl_credentials("two words", err) == -1,
	    "a token with a space is not");
	o = json_object();
	tap_ok(pl->pl_options(o, err) == 0, "no options: fine");
	json_object_set_new(o, "owner", json_string("pool"));
	tap_ok(pl->pl_options(o, err) == -1 && strstr(err, "owner") != NULL,
	    "an option: unknown (%s)", err);
	json_decref(o);
	tap_str(pl->pl_api_root, "/api/v1", "the API lives under /api/v1");
}

/*
 * A canned inventory over map (JSON text); the records, or the error
 * prefixed with "error: ", dumped canonically. Caller frees.
 */
static char *
inventory(const char *map_text, int nodes)
{
	json_error_t	 jerr;
	json_t		*map, *opts = json_object(), *out;
	struct fetch	*f;
	char		*s;

	if ((map = json_loads(map_text, 0, &jerr)) == NULL) {
		tap_diag("bad map: %s", jerr.text);
		return strdup("bad map");
	}
	f = fetch_new(pl, "p", opts, 10, NULL, NULL);
	if (fetch_run_canned(f, map) == -1) {
		s = malloc(ERR_MAX + 8);
		snprintf(s, ERR_MAX + 8, "error: %s", fetch_error(f));
	} else {
		out = nodes ? fetch_take_nodes(f) : fetch_take_records(f);
		s = json_dumps(out, DUMP_FLAGS);
		json_decref(out);
	}
	fetch_free(f);
	json_decref(map);
	json_decref(opts);
	return s;
}

static void
check(const char *map, int nodes, const char *want, const char *what)
{
	char	*got = inventory(map, nodes);
	int	 ok = want[0] == '~' ? strstr(got, want + 1) != NULL :
		    strcmp(got, want) == 0;

	if (!tap_ok(ok, "%s", what)) {
		tap_diag("got:  %s", got);
		tap_diag("want: %s", want);
	}
	free(got);
}

static void
test_normalize(void)
{
	check("{\"/servers?results=200&page=1\":{\"current_page\":1,\"data\":[{\"id\":90}],\"last_page\":1,\"total\":1},\"/compute/hypervisors?results=200&page=1\":{\"current_page\":1,\"data\":[],\"last_page\":1},\"/servers/90\":{\"data\":{\"id\":90,\"hypervisor\":{\"name\":\"hvx\"},\"suspended\":false,\"created\":\"2024-02-02T14:01:33+00:00\",\"settings\":{\"resources\":{\"memory\":\"1024\",\"storage\":20,\"traffic\":0,\"cpuCores\":3}},\"network\":{\"interfaces\":[{\"mac\":\"52:54:00:AB:CD:EF\",\"tag\":\"12\",\"ipv4\":[{\"address\":\"198.51.100.9\",\"netmask\":\"255.255.255.0\"},{\"address\":\"bogus\"}],\"ipv6\":[{\"addresses\":[\"2001:DB8::9\",\"2001:db8::a\"],\"cidr\":\"64\"}],\"hypervisorConnectivity\":{\"bridge\":\"br1\"}}],\"secondaryInterfaces\":[{\"mac\":\"52:54:00:ab:cd:f0\",\"tag\":0,\"ipv4\":[],\"ipv6\":[]}]},\"storage\":[{\"capacity\":\"20\",\"filename\":\"f_1\",\"path\":\"/d\"}]}}}",
	    0, "[{\"bandwidth_gb\":null,\"cpu\":3,\"created\":1706882493,\"disk_gb\":20,\"disks\":[{\"size_gb\":20,\"storage\":\"/d\",\"volume\":\"f_1\"}],\"hostname\":null,\"id\":\"p/90\",\"interfaces\":[{\"bridge\":\"br1\",\"ips\":[\"198.51.100.9/24\",\"2001:db8::9/64\",\"2001:db8::a/64\"],\"mac\":\"52:54:00:ab:cd:ef\",\"vlan\":12},{\"bridge\":null,\"ips\":[],\"mac\":\"52:54:00:ab:cd:f0\",\"vlan\":null}],\"kind\":\"qemu\",\"memory_mb\":1024,\"name\":null,\"native_id\":\"90\",\"node\":\"hvx\",\"notes\":null,\"owner\":null,\"panel\":\"p\",\"status\":\"unknown\",\"tags\":null,\"uuid\":null}]",
	    "numbers as strings, traffic 0 (no limit) is unknown, VLAN tag as text, two interfaces, a bad address left out");
	check("{\"/servers?results=200&page=1\":{\"current_page\":1,\"data\":[{\"id\":91}],\"last_page\":1,\"total\":1},\"/compute/hypervisors?results=200&page=1\":{\"current_page\":1,\"data\":[],\"last_page\":1},\"/servers/91\":{\"data\":{\"id\":91,\"network\":[],\"storage\":[],\"suspended\":true}}}",
	    0, "[{\"bandwidth_gb\":null,\"cpu\":null,\"created\":null,\"disk_gb\":null,\"disks\":[],\"hostname\":null,\"id\":\"p/91\",\"interfaces\":[],\"kind\":\"qemu\",\"memory_mb\":null,\"name\":null,\"native_id\":\"91\",\"node\":null,\"notes\":null,\"owner\":null,\"panel\":\"p\",\"status\":\"suspended\",\"tags\":null,\"uuid\":null}]",
	    "PHP's [] for network, no CPU, suspended");
	check("{\"/servers?results=200&page=1\":{\"current_page\":1,\"data\":[{\"id\":92}],\"last_page\":1,\"total\":1},\"/compute/hypervisors?results=200&page=1\":{\"current_page\":1,\"data\":[],\"last_page\":1},\"/servers/92\":{\"data\":[]}}",
	    0, "~server 92: the server has no valid id",
	    "a detail whose data is [] fails");
	check("{\"/servers?results=200&page=1\":{\"current_page\":1,\"data\":[{\"id\":93}],\"last_page\":1,\"total\":1},\"/compute/hypervisors?results=200&page=1\":{\"current_page\":1,\"data\":[],\"last_page\":1},\"/servers/93\":{\"$status\":404,\"$body\":{\"msg\":\"server not found\"}}}",
	    0, "[]",
	    "a server gone since the listing (404) makes no record");
	check("{\"/servers?results=200&page=1\":{\"current_page\":1,\"data\":[{\"id\":1}],\"last_page\":2,\"total\":2},\"/servers?results=200&page=2\":{\"current_page\":2,\"data\":[{\"id\":1}],\"last_page\":2,\"total\":2},\"/servers/1\":{\"data\":{\"id\":1,\"network\":[],\"storage\":[],\"suspended\":true}},\"/compute/hypervisors?results=200&page=1\":{\"current_page\":1,\"data\":[],\"last_page\":1}}",
	    0, "~the listing of servers changed while it was read (1 distinct items, 2 announced)",
	    "a listing that lost an item between pages fails rather than miss a VPS");
	check("{\"/servers?results=200&page=1\":{\"current_page\":1,\"data\":[],\"last_page\":1,\"total\":0},\"/compute/hypervisors?results=200&page=1\":{\"current_page\":1,\"data\":[{\"id\":1,\"name\":\"hv1\",\"enabled\":false,\"maxCpu\":32,\"maxMemory\":0,\"ip\":\"192.0.2.1\",\"encryptedToken\":\"CANARY\"}],\"last_page\":1}}",
	    1, "[{\"address\":\"192.0.2.1\",\"cpu\":32,\"disk_gb\":null,\"id\":\"p/hv1\",\"memory_mb\":null,\"name\":\"hv1\",\"panel\":\"p\",\"status\":\"offline\"}]",
	    "a disabled hypervisor is offline; maxMemory 0 (no limit) is unknown");
}

int
main(void)
{
	log_init(0);
	test_allow_list();
	test_endpoints();
	test_conf();
	test_normalize();
	return tap_done();
}
