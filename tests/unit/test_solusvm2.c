/*
 * test_solusvm2.c: the SolusVM 2 plugin through its plugin table only: the
 * native allow-list (every documented read allowed, every write and
 * secret endpoint refused, query parameters checked), the endpoint list
 * against the default policy, credentials and options, and
 * normalization of odd and hostile shapes through fetch_run_canned(),
 * the path an inventory takes. The fixtures' records are the data
 * cases' (tests/cases/solusvm2/).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

static const struct plugin	*pl = &plugin_solusvm2;

/* Reads a hoster may make: path?query, and what goes upstream. */
static const char *const allowed[][2] = {
	{ "/servers",
	    "/servers" },
	{ "/servers?page=2&per_page=50",
	    "/servers?page=2&per_page=50" },
	{ "/servers?filter[status]=stopped&filter[user_id]=12",
	    "/servers?filter%5Bstatus%5D=stopped&filter%5Buser_id%5D=12" },
	{ "/servers?filter%5Bcompute_resource_id%5D=2&filter%5Bvirtualization_type%5D=kvm",
	    "/servers?filter%5Bcompute_resource_id%5D=2&filter%5Bvirtualization_type%5D=kvm" },
	{ "/servers/501",
	    "/servers/501" },
	{ "/servers/501/disks",
	    "/servers/501/disks" },
	{ "/compute_resources",
	    "/compute_resources" },
	{ "/compute_resources?page=1",
	    "/compute_resources?page=1" },
	{ "/compute_resources/2",
	    "/compute_resources/2" },
	{ "/ip_blocks",
	    "/ip_blocks" },
	{ "/ip_blocks/7",
	    "/ip_blocks/7" },
	{ "/locations",
	    "/locations" },
};

/* Writes, secrets and anything else: refused before the panel. */
static const char *const refused[] = {
	"/servers/501/vnc",
	"/servers/501/vnc_up",
	"/servers/501/console",
	"/servers/501/start",
	"/servers/501/stop",
	"/servers/501/restart",
	"/servers/501/reinstall",
	"/servers/501/reset_password",
	"/servers/501/backups",
	"/servers/501/snapshots",
	"/api_tokens",
	"/api_tokens/1",
	"/users",
	"/users/12",
	"/projects",
	"/plans",
	"/auth",
	"/settings",
	"/license",
	"/servers/501/disks/71",
	"/servers?filter[status]=bogus",
	"/servers?filter[user_id]=x",
	"/servers?filter[search]=alice",
	"/servers?page=1&page=2",
	"/servers?per_page=-1",
	"/servers?sort=id",
	"/servers?page=1%26x=1",
	"/servers/abc",
	"/servers/0501",
	"/servers/../api_tokens",
	"/servers/501/",
	"/compute_resources/2/servers",
	"/servers/501?x=1",
	"/servers/501/disks?page=1",
	"/ip_blocks/7/ips",
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

	snprintf(path, sizeof(path), "%s/policies/solusvm2.lua",
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
	check("{\"/servers?page=1\":{\"data\":[{\"id\":\"77\",\"virtualization_type\":\"kvm\",\"specifications\":{\"disk\":\"40\",\"ram\":\"1073741824\",\"vcpu\":\"1\"},\"status\":\"reinstalling\",\"ips\":[{\"id\":1,\"ip\":\"203.0.113.9\",\"ip_block\":{\"netmask\":\"255.255.255.128\"}}],\"ip_addresses\":[],\"settings\":{\"mac_address\":\"52-54-00-AA-BB-CC\"},\"created_at\":\"yesterday\",\"name\":\"\",\"fqdns\":[],\"description\":null}],\"meta\":{\"current_page\":1,\"last_page\":1,\"total\":1}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}},\"/servers/77/disks\":{\"data\":[{\"size\":\"40\",\"path\":\"vg/x\",\"storage\":{\"name\":\"s1\"}}]}}",
	    0, "[{\"bandwidth_gb\":null,\"cpu\":1,\"created\":null,\"disk_gb\":40,\"disks\":[{\"size_gb\":40,\"storage\":\"s1\",\"volume\":\"vg/x\"}],\"hostname\":null,\"id\":\"p/77\",\"interfaces\":[{\"bridge\":null,\"ips\":[\"203.0.113.9/25\"],\"mac\":\"52:54:00:aa:bb:cc\",\"vlan\":null}],\"kind\":\"qemu\",\"memory_mb\":1024,\"name\":null,\"native_id\":\"77\",\"node\":null,\"notes\":null,\"owner\":null,\"panel\":\"p\",\"status\":\"unknown\",\"tags\":null,\"uuid\":null}]",
	    "numbers as strings, PHP's [] for ip_addresses, the older ips list, a netmask, a dashed MAC");
	check("{\"/servers?page=1\":{\"data\":[{\"id\":78,\"status\":\"paused\",\"settings\":{\"mac_address\":\"00:00:00:00:00:00\"}}],\"meta\":{\"current_page\":1,\"last_page\":1,\"total\":1}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}},\"/servers/78/disks\":{\"data\":[]}}",
	    0, "[{\"bandwidth_gb\":null,\"cpu\":null,\"created\":null,\"disk_gb\":null,\"disks\":[],\"hostname\":null,\"id\":\"p/78\",\"interfaces\":[],\"kind\":null,\"memory_mb\":null,\"name\":null,\"native_id\":\"78\",\"node\":null,\"notes\":null,\"owner\":null,\"panel\":\"p\",\"status\":\"suspended\",\"tags\":null,\"uuid\":null}]",
	    "a server with nothing known: nulls, no interface for a null MAC, paused is suspended");
	check("{\"/servers?page=1\":{\"data\":[{\"name\":\"no id\"}],\"meta\":{\"current_page\":1,\"last_page\":1,\"total\":1}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    0, "~item 0 of page 1 has no valid id",
	    "a listed server without an id fails the run");
	check("{\"/servers?page=1\":{\"data\":[{\"id\":0}],\"meta\":{\"current_page\":1,\"last_page\":1,\"total\":1}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    0, "~has no valid id",
	    "id 0 fails the run");
	check("{\"/servers?page=1\":{\"data\":[],\"meta\":{\"current_page\":1,\"last_page\":10001}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    0, "~more than sightline reads (10000)",
	    "a listing of too many pages is refused");
	check("{\"/servers?page=1\":{\"data\":{\"id\":1}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    0, "~has no \"data\" list",
	    "a listing whose data is no list fails");
	check("{\"/servers?page=1\":{\"data\":[],\"meta\":{\"current_page\":1,\"last_page\":\"x\"}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    0, "~last_page is not a page number",
	    "a last_page that is not a number fails");
	check("{\"/servers?page=1\":{\"data\":[{\"id\":78,\"status\":\"paused\",\"settings\":{\"mac_address\":\"00:00:00:00:00:00\"}}],\"meta\":{\"current_page\":1,\"last_page\":1,\"total\":1}},\"/compute_resources?page=1\":{\"data\":[],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    0, "~GET /servers/78/disks: the panel answered 500",
	    "a server whose disks fail names the call");
	check("{\"/servers?page=1\":{\"data\":[],\"meta\":{\"current_page\":1,\"last_page\":1,\"total\":0}},\"/compute_resources?page=1\":{\"data\":[{\"id\":1,\"name\":\"hv9\",\"status\":\"unavailable\",\"host\":\"192.0.2.9\"},{\"id\":2},{\"id\":3,\"name\":\"hv8\",\"status\":\"weird\"}],\"links\":{},\"meta\":{\"current_page\":1,\"last_page\":1}}}",
	    1, "[{\"address\":\"192.0.2.9\",\"cpu\":null,\"disk_gb\":null,\"id\":\"p/hv9\",\"memory_mb\":null,\"name\":\"hv9\",\"panel\":\"p\",\"status\":\"offline\"},{\"address\":null,\"cpu\":null,\"disk_gb\":null,\"id\":\"p/hv8\",\"memory_mb\":null,\"name\":\"hv8\",\"panel\":\"p\",\"status\":\"unknown\"}]",
	    "compute resources: unavailable is offline, one without a name is left out");
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
