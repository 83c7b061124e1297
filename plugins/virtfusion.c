/*
 * virtfusion.c: the VirtFusion plugin (REST, /api/v1, bearer token).
 * Inventory: every page of /servers (which lists ids, owners and
 * hypervisors only), each server's /servers/{id} for its network and
 * storage, and every page of /compute/hypervisors as the nodes;
 * normalization into schema v1; the native allow-list. Listings, errors,
 * the token and ids are rest.c's, the allow-list matcher route.c's,
 * shared with SolusVM 2.
 *
 * GET /servers/{id}/vnc answers the VNC password and a websocket token:
 * it is not on the allow-list, and no pattern here can match it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sightline.h"

#define VF_API_ROOT	"/api/v1"
#define VF_PAGE_SIZE	"200"	/* the most "results" VirtFusion allows */
#define VF_PAGED	{ "page", "#" }, { "results", "#" }

static const struct route vf_routes[] = {
	{ "/servers", { VF_PAGED, { "type", "simple|full" } } },
	{ "/servers/{id}", { { "remoteState", "true|false" } } },
	{ "/servers/{id}/traffic", { { NULL, NULL } } },
	{ "/servers/user/{id}", { VF_PAGED } },
	{ "/compute/hypervisors", { VF_PAGED } },
	{ "/compute/hypervisors/{id}", { { NULL, NULL } } },
	{ "/compute/hypervisors/groups", { VF_PAGED } },
	{ "/compute/hypervisors/groups/{id}", { { NULL, NULL } } },
	{ "/compute/hypervisors/groups/{id}/resources", { { NULL, NULL } } },
};
static const struct route_table vf_table = {
	vf_routes, sizeof(vf_routes) / sizeof(vf_routes[0]),
	rest_segment, 1	/* {id}: a numeric id; PHP's a[b] names */
};

/* ---- normalization (pure) ---- */

/*
 * A number where VirtFusion's 0 means "no limit" (traffic, a
 * hypervisor's maxCpu): unknown, not zero.
 */
static json_t *
vf_limit(const json_t *obj, const char *key)
{
	double	 v;

	if (!norm_num(json_object_get(obj, key), &v) || v <= 0)
		return json_null();
	return norm_number(v);
}

static json_t *
vf_interface(const json_t *n)
{
	const json_t	*e, *a;
	json_t		*ips = json_array(), *vlan = json_null();
	double		 tag;
	size_t		 i, j;

	if (ips == NULL)
		return NULL;
	json_array_foreach(json_object_get(n, "ipv4"), i, e)
		norm_add_ip_prefix(ips, norm_str(e, "address"),
		    norm_netmask_prefix(norm_str(e, "netmask")));
	json_array_foreach(json_object_get(n, "ipv6"), i, e) {
		double	 cidr;
		int	 prefix = norm_num(json_object_get(e, "cidr"), &cidr) &&
			    cidr >= 0 && cidr <= 128 ? (int)cidr : -1;

		json_array_foreach(json_object_get(e, "addresses"), j, a)
			norm_add_ip_prefix(ips, json_string_value(a), prefix);
	}
	/* tag 0 is "untagged". */
	if (norm_num(json_object_get(n, "tag"), &tag) && tag >= 1 &&
	    tag <= 4094 && tag == (int)tag)
		vlan = json_integer((json_int_t)tag);
	return json_pack("{s:o, s:o, s:o, s:o}", "mac",
	    norm_mac(norm_str(n, "mac")), "ips", ips, "bridge",
	    norm_str_field(json_object_get(n, "hypervisorConnectivity"),
	    "bridge"), "vlan", vlan);
}

static json_t *
vf_interfaces(const json_t *net)
{
	static const char *const lists[] = { "interfaces",
	    "secondaryInterfaces" };
	const json_t	*n;
	json_t		*out = json_array(), *ifc;
	size_t		 i, k;

	for (k = 0; k < 2; k++)
		json_array_foreach(json_object_get(net, lists[k]), i, n)
			if ((ifc = vf_interface(n)) != NULL)
				json_array_append_new(out, ifc);
	return out;
}

static json_t *
vf_disks(const json_t *list)
{
	const json_t	*d;
	json_t		*out = json_array();
	size_t		 i;

	/* A local disk is file "filename" in directory "path". */
	json_array_foreach(list, i, d)
		json_array_append_new(out, json_pack("{s:o, s:o, s:o}",
		    "storage", norm_str_field(d, "path"),
		    "volume", norm_str_field(d, "filename"),
		    "size_gb", norm_num_field(d, "capacity", 1)));
	return out;
}

/*
 * Schema v1 from a server's documents: "server" (the data of
 * /servers/{id}). Returns a new record, or NULL with a reason.
 */
static json_t *
vf_normalize(const char *panel, const json_t *docs, char *err)
{
	const json_t	*s = json_object_get(docs, "server");
	const json_t	*set = json_object_get(s, "settings");
	const json_t	*res = json_object_get(set, "resources");
	char		 id[NORM_NATIVE_ID_MAX + 1];
	json_t		*rec, *cpu;

	if (rest_id(json_object_get(s, "id"), id) == -1 ||
	    (rec = norm_record_new(panel, id, norm_kind("kvm"))) == NULL) {
		err_set(err, "the server has no valid id");
		return NULL;
	}
	json_object_set_new(rec, "node", norm_str_field(json_object_get(s,
	    "hypervisor"), "name"));
	/*
	 * The power state is the hypervisor's (?remoteState=true asks it,
	 * one hypervisor call per server): not known here.
	 */
	json_object_set_new(rec, "status", json_string(json_is_true(
	    json_object_get(s, "suspended")) ? "suspended" : "unknown"));
	json_object_set_new(rec, "created", norm_time(norm_str(s,
	    "created")));
	cpu = norm_num_field(json_object_get(s, "cpu"), "cores", 1);
	if (json_is_null(cpu)) {
		json_decref(cpu);
		cpu = norm_num_field(res, "cpuCores", 1);
	}
	json_object_set_new(rec, "cpu", cpu);
	json_object_set_new(rec, "memory_mb", norm_num_field(res, "memory",
	    1));
	json_object_set_new(rec, "disk_gb", norm_num_field(res, "storage", 1));
	json_object_set_new(rec, "bandwidth_gb", vf_limit(res, "traffic"));
	json_object_set_new(rec, "interfaces",
	    vf_interfaces(json_object_get(s, "network")));
	json_object_set_new(rec, "disks", vf_disks(json_object_get(s,
	    "storage")));
	json_object_set_new(rec, "owner", norm_str_field(json_object_get(s,
	    "owner"), "email"));
	json_object_set_new(rec, "hostname", norm_str_field(s, "hostname"));
	json_object_set_new(rec, "name", norm_str_field(s, "name"));
	json_object_set_new(rec, "uuid", norm_str_field(s, "uuid"));
	return rec;
}

/* A hypervisor: a new node object, or NULL when it has no name. */
static json_t *
vf_node(const char *panel, const json_t *h)
{
	const char	*name = norm_str(h, "name");
	const json_t	*en = json_object_get(h, "enabled");
	char		 id[PANEL_NAME_MAX + 300];

	if (name == NULL || name[0] == '\0' || strlen(name) > 255)
		return NULL;
	snprintf(id, sizeof(id), "%s/%s", panel, name);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:n, s:o}",
	    "id", id, "panel", panel, "name", name,
	    "status", json_is_true(en) ? "online" : json_is_false(en) ?
	    "offline" : "unknown",
	    "cpu", vf_limit(h, "maxCpu"), "memory_mb", vf_limit(h, "maxMemory"),
	    "disk_gb", "address", norm_str_field(h, "ip"));
}

/* ---- inventory: rest.c's ---- */

/* The listing of /servers holds ids, owners and hypervisors only. */
static const struct rest_panel vf_panel = {
	"/servers?results=" VF_PAGE_SIZE,
	"/compute/hypervisors?results=" VF_PAGE_SIZE, "hypervisors",
	"summary", "", "server", JSON_OBJECT, vf_node, vf_normalize
};

static int
virtfusion_inventory(struct fetch *f, char *err)
{
	return rest_inventory(f, &vf_panel, err);
}

static int
virtfusion_fetched(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	return rest_fetched(f, g, path, r, &vf_panel, err);
}

static int
virtfusion_record(struct fetch *f, const json_t *docs, json_t **rec,
    char *err)
{
	return rest_record(f, docs, rec, &vf_panel, err);
}

/* ---- native allow-list ---- */

static int
virtfusion_native_route(const char *path, const char *query,
    struct native_route *nr, char *err)
{
	return route_find(&vf_table, path, query, nr, err);
}

static const char *
virtfusion_endpoint(size_t i)
{
	return route_endpoint(&vf_table, i);
}

/* ---- evidence ---- */

/* pl_preserve: VirtFusion names a VPS's libvirt domain by its UUID. */
static json_t *
virtfusion_preserve(const json_t *rec, const json_t *domain)
{
	const char	*uuid = json_string_value(json_object_get(rec, "uuid"));

	return evidence_libvirt(rec, domain, uuid, uuid != NULL ?
	    "VirtFusion names a VPS's libvirt domain by its UUID, the "
	    "record's \"uuid\"." :
	    "VirtFusion names a VPS's libvirt domain by its UUID, which this "
	    "record does not show.");
}

const struct plugin plugin_virtfusion = {
	.pl_name = "virtfusion",
	.pl_libvirt = 1,
	.pl_api_root = VF_API_ROOT,
	.pl_endpoint = virtfusion_endpoint,
	.pl_credentials = rest_credentials,
	.pl_auth = rest_auth,
	.pl_options = rest_options,
	.pl_inventory = virtfusion_inventory,
	.pl_fetched = virtfusion_fetched,
	.pl_record = virtfusion_record,
	.pl_native_route = virtfusion_native_route,
	.pl_judge = rest_judge,
	.pl_preserve = virtfusion_preserve,
};
