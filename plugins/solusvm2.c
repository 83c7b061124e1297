/*
 * solusvm2.c: the SolusVM 2 plugin (REST, /api/v1, bearer token).
 * Inventory: every page of /servers, each server's /servers/{id}/disks,
 * and every page of /compute_resources as the nodes; normalization into
 * schema v1; the native allow-list. Listings, errors, the token and ids
 * are rest.c's, the allow-list matcher route.c's, shared with VirtFusion.
 *
 * A server carries its addresses twice, in the older "ips" list and the
 * newer "ip_addresses" {ipv4, ipv6}; panels of either age exist, so both
 * are read and merged. Its one MAC is settings.mac_address.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sightline.h"

#define SVM2_API_ROOT	"/api/v1"
#define SVM2_PAGED	{ "page", "#" }, { "per_page", "#" }

static const struct route svm2_routes[] = {
	{ "/servers", { SVM2_PAGED, { "filter[user_id]", "#" },
	    { "filter[compute_resource_id]", "#" },
	    { "filter[status]", "started|stopped|starting|stopping|"
	    "restarting|reinstalling|processing|paused|unavailable" },
	    { "filter[virtualization_type]", "kvm|vz" } } },
	{ "/servers/{id}", { { NULL, NULL } } },
	{ "/servers/{id}/disks", { { NULL, NULL } } },
	{ "/compute_resources", { SVM2_PAGED } },
	{ "/compute_resources/{id}", { { NULL, NULL } } },
	{ "/ip_blocks", { SVM2_PAGED } },
	{ "/ip_blocks/{id}", { { NULL, NULL } } },
	{ "/locations", { SVM2_PAGED } },
};
static const struct route_table svm2_table = {
	svm2_routes, sizeof(svm2_routes) / sizeof(svm2_routes[0]),
	rest_segment, 1	/* {id}: a numeric id; PHP's a[b] names */
};

/* ---- normalization (pure) ---- */

/* A suspended server is suspended whatever its power state. */
static const char *
svm2_status(const json_t *s)
{
	const char	*st = norm_str(s, "status");

	if (json_is_true(json_object_get(s, "is_suspended")))
		return "suspended";
	if (st == NULL)
		return "unknown";
	if (strcmp(st, "started") == 0)
		return "running";
	if (strcmp(st, "stopped") == 0)
		return "stopped";
	if (strcmp(st, "paused") == 0)
		return "suspended";
	return "unknown";
}

/* The prefix length of "2001:db8::/64", or -1. */
static int
svm2_range_prefix(const char *range)
{
	const char	*slash, *errstr;
	long long	 n;

	if (range == NULL || (slash = strrchr(range, '/')) == NULL)
		return -1;
	n = strtonum(slash + 1, 0, 128, &errstr);
	return errstr == NULL ? (int)n : -1;
}

/* IPv4 entries: the entry's netmask, else its block's. */
static void
svm2_add_v4(json_t *ips, const json_t *list)
{
	const json_t	*e, *blk;
	const char	*mask;
	size_t		 i;

	json_array_foreach(list, i, e) {
		blk = json_object_get(e, "ip_block");
		if ((mask = norm_str(e, "netmask")) == NULL)
			mask = norm_str(blk, "netmask");
		norm_add_ip_prefix(ips, norm_str(e, "ip"),
		    norm_netmask_prefix(mask));
	}
}

static json_t *
svm2_ips(const json_t *s)
{
	const json_t	*addrs = norm_object(json_object_get(s,
			    "ip_addresses")), *e;
	json_t		*ips = json_array();
	size_t		 i;

	if (ips == NULL)
		return NULL;
	svm2_add_v4(ips, json_object_get(addrs, "ipv4"));
	/* IPv6: a routed range; the server's own address is primary_ip. */
	json_array_foreach(json_object_get(addrs, "ipv6"), i, e)
		norm_add_ip_prefix(ips, norm_str(e, "primary_ip"),
		    svm2_range_prefix(norm_str(e, "range")));
	svm2_add_v4(ips, json_object_get(s, "ips"));
	return ips;
}

static json_t *
svm2_disks(const json_t *list)
{
	const json_t	*d, *st;
	json_t		*out = json_array();
	size_t		 i;

	json_array_foreach(list, i, d) {
		st = json_object_get(d, "storage");
		json_array_append_new(out, json_pack("{s:o, s:o, s:o}",
		    "storage", norm_str_field(st, "name"),
		    "volume", norm_str_field(d, "path"),
		    "size_gb", norm_num_field(d, "size", 1)));
	}
	return out;
}

/*
 * Schema v1 from a server's documents: "server" (its listing entry) and
 * "disks". Returns a new record, or NULL with a reason.
 */
static json_t *
svm2_normalize(const char *panel, const json_t *docs, char *err)
{
	const json_t	*s = json_object_get(docs, "server");
	const json_t	*spec = json_object_get(s, "specifications");
	const json_t	*fq = json_object_get(s, "fqdns");
	char		 id[NORM_NATIVE_ID_MAX + 1];
	json_t		*rec, *ifc, *ips, *mac;

	if (rest_id(json_object_get(s, "id"), id) == -1 ||
	    (rec = norm_record_new(panel, id,
	    norm_kind(norm_str(s, "virtualization_type")))) == NULL) {
		err_set(err, "cannot build the record");
		return NULL;
	}
	json_object_set_new(rec, "node", norm_str_field(json_object_get(s,
	    "compute_resource"), "name"));
	json_object_set_new(rec, "status", json_string(svm2_status(s)));
	json_object_set_new(rec, "created", norm_time(norm_str(s,
	    "created_at")));
	json_object_set_new(rec, "cpu", norm_num_field(spec, "vcpu", 1));
	/* ram is in bytes (solus-go-sdk sends it so to create a plan). */
	json_object_set_new(rec, "memory_mb", norm_num_field(spec, "ram",
	    1.0 / (1024 * 1024)));
	json_object_set_new(rec, "disk_gb", norm_num_field(spec, "disk", 1));
	ips = svm2_ips(s);
	mac = norm_mac(norm_str(json_object_get(s, "settings"),
	    "mac_address"));
	/* An interface without a MAC still says where its IPs are. */
	if (!json_is_null(mac) || json_array_size(ips) > 0) {
		ifc = json_pack("{s:o, s:o, s:n, s:n}", "mac", mac, "ips", ips,
		    "bridge", "vlan");
		json_array_append_new(json_object_get(rec, "interfaces"), ifc);
	} else {
		json_decref(mac);
		json_decref(ips);
	}
	json_object_set_new(rec, "disks", svm2_disks(json_object_get(docs,
	    "disks")));
	json_object_set_new(rec, "owner", norm_str_field(json_object_get(s,
	    "user"), "email"));
	json_object_set_new(rec, "hostname", json_is_string(json_array_get(fq,
	    0)) ? json_string(json_string_value(json_array_get(fq, 0))) :
	    json_null());
	json_object_set_new(rec, "name", norm_str_field(s, "name"));
	json_object_set_new(rec, "notes", norm_str_field(s, "description"));
	json_object_set_new(rec, "uuid", norm_str_field(s, "uuid"));
	return rec;
}

/* A compute resource: a new node object, or NULL (no name, no memory). */
static json_t *
svm2_node(const char *panel, const json_t *c)
{
	const char	*name = norm_str(c, "name"), *st = norm_str(c, "status");
	char		 id[PANEL_NAME_MAX + 300];

	if (name == NULL || name[0] == '\0' || strlen(name) > 255)
		return NULL;
	snprintf(id, sizeof(id), "%s/%s", panel, name);
	return json_pack("{s:s, s:s, s:s, s:s, s:n, s:n, s:n, s:o}",
	    "id", id, "panel", panel, "name", name,
	    "status", st == NULL ? "unknown" : strcmp(st, "active") == 0 ?
	    "online" : strcmp(st, "unavailable") == 0 ? "offline" : "unknown",
	    "cpu", "memory_mb", "disk_gb", "address", norm_str_field(c, "host"));
}

/* ---- inventory: rest.c's ---- */

static const struct rest_panel svm2_panel = {
	"/servers", "/compute_resources", "compute_resources",
	"server", "/disks", "disks", JSON_ARRAY, svm2_node, svm2_normalize
};

static int
solusvm2_inventory(struct fetch *f, char *err)
{
	return rest_inventory(f, &svm2_panel, err);
}

static int
solusvm2_fetched(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	return rest_fetched(f, g, path, r, &svm2_panel, err);
}

static int
solusvm2_record(struct fetch *f, const json_t *docs, json_t **rec, char *err)
{
	return rest_record(f, docs, rec, &svm2_panel, err);
}

/* ---- native allow-list ---- */

static int
solusvm2_native_route(const char *path, const char *query,
    struct native_route *nr, char *err)
{
	return route_find(&svm2_table, path, query, nr, err);
}

static const char *
solusvm2_endpoint(size_t i)
{
	return route_endpoint(&svm2_table, i);
}

/* ---- evidence ---- */

/* pl_preserve: SolusVM 2 names a VPS's libvirt domain by its UUID. */
static json_t *
solusvm2_preserve(const json_t *rec, const json_t *domain)
{
	const char	*uuid = json_string_value(json_object_get(rec, "uuid"));

	return evidence_libvirt(rec, domain, uuid, uuid != NULL ?
	    "SolusVM 2 names a VPS's libvirt domain by its UUID, the "
	    "record's \"uuid\"." :
	    "SolusVM 2 names a VPS's libvirt domain by its UUID, which this "
	    "record does not show.");
}

const struct plugin plugin_solusvm2 = {
	.pl_name = "solusvm2",
	.pl_libvirt = 1,
	.pl_api_root = SVM2_API_ROOT,
	.pl_endpoint = solusvm2_endpoint,
	.pl_credentials = rest_credentials,
	.pl_auth = rest_auth,
	.pl_options = rest_options,
	.pl_inventory = solusvm2_inventory,
	.pl_fetched = solusvm2_fetched,
	.pl_record = solusvm2_record,
	.pl_native_route = solusvm2_native_route,
	.pl_judge = rest_judge,
	.pl_preserve = solusvm2_preserve,
};
