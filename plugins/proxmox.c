/*
 * proxmox.c: the Proxmox VE plugin. Inventory from /cluster/resources,
 * each guest's config, and the live addresses the QEMU guest agent or the
 * container reports; normalization into schema v1; and the native
 * allow-list, the only Proxmox calls a hoster can make through sightline.
 *
 * Proxmox configs are "property strings": comma-separated items, each
 * "key=value" or a bare first value, e.g.
 *   net0: virtio=BC:24:11:3A:5F:01,bridge=vmbr0,firewall=1,tag=10
 *   scsi0: local-lvm:vm-100-disk-0,iothread=1,size=40G
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define PVE_API_ROOT		"/api2/json"
#define PVE_PROP_MAX		512	/* one item of a property string */
#define PVE_NET_MAX		32	/* net0 .. net31 */
#define PVE_DISKS_MAX		600	/* more than all disk keys together */

/*
 * The allow-list (route.c matches it). {node}, {vmid} and {storage}
 * are checked by pve_segment().
 */
static const struct route pve_routes[] = {
	{ "/version", { { NULL, NULL } } },
	{ "/cluster/resources", { { "type", "vm|node|storage" } } },
	{ "/cluster/status", { { NULL, NULL } } },
	{ "/nodes", { { NULL, NULL } } },
	{ "/nodes/{node}/status", { { NULL, NULL } } },
	{ "/nodes/{node}/qemu", { { "full", "0|1" } } },
	{ "/nodes/{node}/lxc", { { NULL, NULL } } },
	{ "/nodes/{node}/qemu/{vmid}/config", { { "current", "0|1" } } },
	{ "/nodes/{node}/qemu/{vmid}/status/current", { { NULL, NULL } } },
	{ "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
	    { { NULL, NULL } } },
	{ "/nodes/{node}/lxc/{vmid}/config", { { "current", "0|1" } } },
	{ "/nodes/{node}/lxc/{vmid}/status/current", { { NULL, NULL } } },
	{ "/nodes/{node}/lxc/{vmid}/interfaces", { { NULL, NULL } } },
	{ "/nodes/{node}/storage",
	    { { "content", "images|rootdir" }, { "enabled", "0|1" } } },
	{ "/nodes/{node}/storage/{storage}/status", { { NULL, NULL } } },
};


/*
 * Disk keys and how many of each a guest may have (pve-qemu-server,
 * pve-container), in the order disks are listed: the root disk first.
 */
static const struct {
	const char	*dk_prefix;
	int		 dk_count;	/* 0: the key has no number */
} pve_disk_keys[] = {
	{ "rootfs", 0 }, { "mp", 256 },
	{ "scsi", 31 }, { "virtio", 16 }, { "sata", 6 }, { "ide", 4 },
	{ "efidisk0", 0 }, { "tpmstate0", 0 }, { "unused", 256 },
};
#define PVE_NDISK_KEYS	(sizeof(pve_disk_keys) / sizeof(pve_disk_keys[0]))

/*
 * Names: PVE node names are DNS labels, storage ids start with a letter,
 * vmids are 100 to 999999999.
 */
static int
pve_valid_node(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
pve_valid_vmid(const char *s)
{
	const char	*errstr;

	if (s[0] == '0' || strspn(s, "0123456789") != strlen(s))
		return 0;
	strtonum(s, 100, 999999999, &errstr);
	return errstr == NULL;
}

static int
pve_valid_storage(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n > 64 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("-_.", s[i]) == NULL)
			return 0;
	return 1;
}

/* ---- property strings ---- */

/*
 * The next item of a property string: key (empty for a bare value) and
 * value. Returns 0, or -1 at the end. Items too long are skipped.
 */
static int
pve_prop_next(const char **sp, char *key, char *val)
{
	const char	*s = *sp, *end, *eq;
	size_t		 n, k;

	while (*s == ',')
		s++;
	if (*s == '\0')
		return -1;
	end = s + strcspn(s, ",");
	n = (size_t)(end - s);
	*sp = end;
	if (n >= PVE_PROP_MAX)
		return pve_prop_next(sp, key, val);
	eq = memchr(s, '=', n);
	k = eq != NULL ? (size_t)(eq - s) : 0;
	memcpy(key, s, k);
	key[k] = '\0';
	if (eq != NULL) {
		memcpy(val, eq + 1, n - k - 1);
		val[n - k - 1] = '\0';
	} else {
		memcpy(val, s, n);
		val[n] = '\0';
	}
	return 0;
}

/* The value of key in property string s; 1 if found. */
static int
pve_prop_get(const char *s, const char *want, char *out)
{
	char	 key[PVE_PROP_MAX];

	while (pve_prop_next(&s, key, out) == 0)
		if (strcmp(key, want) == 0)
			return 1;
	return 0;
}

/* "40G", "512M", "1T", "4096" (bytes) → GiB. Returns 0, or -1. */
static int
pve_size_gb(const char *s, double *gb)
{
	char	*end;
	double	 v;

	v = strtod(s, &end);
	if (end == s || v < 0 || !isfinite(v))
		return -1;
	switch (*end) {
	case '\0':
		*gb = v / (1024.0 * 1024 * 1024);
		return 0;
	case 'K':
		*gb = v / (1024.0 * 1024);
		break;
	case 'M':
		*gb = v / 1024.0;
		break;
	case 'G':
		*gb = v;
		break;
	case 'T':
		*gb = v * 1024.0;
		break;
	default:
		return -1;
	}
	/* "1e306T" overflows to infinity: no disk is that large. */
	return end[1] == '\0' && isfinite(*gb) ? 0 : -1;
}

/* ---- plugin hooks: credentials, auth, options ---- */

/* "USER@REALM!TOKENID=SECRET", split at the last '=' like PVE does. */
static int
proxmox_credentials(const char *s, char *err)
{
	const char	*at = strchr(s, '@'), *bang, *eq = strrchr(s, '=');
	size_t		 i;

	bang = at != NULL ? strchr(at, '!') : NULL;
	if (at == NULL || bang == NULL || eq == NULL || eq < bang ||
	    at == s || bang == at + 1 || eq == bang + 1 || eq[1] == '\0') {
		err_set(err, "expected one line USER@REALM!TOKENID=SECRET "
		    "(a Proxmox API token)");
		return -1;
	}
	for (i = 0; s[i] != '\0'; i++)
		if (isspace((unsigned char)s[i]) ||
		    iscntrl((unsigned char)s[i])) {
			err_set(err, "the API token holds white space or "
			    "control characters");
			return -1;
		}
	return 0;
}

static int
proxmox_auth(const char *secret, char **header, char **query, char *err)
{
	size_t	 len = strlen(secret) + 64;

	*query = NULL;
	if ((*header = malloc(len)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	snprintf(*header, len, "Authorization: PVEAPIToken=%s", secret);
	return 0;
}

/*
 * options.owner says where a guest's owner is written down:
 *   "pool"                 its resource pool (the default)
 *   "tag:PREFIX"           the first tag starting with PREFIX, without it
 *   "description:PREFIX"   the first description line starting with PREFIX
 *   "none"                 nowhere
 */
static int
proxmox_options(const json_t *opts, char *err)
{
	const char	*k, *s;
	json_t		*v;

	json_object_foreach((json_t *)opts, k, v) {
		if (strcmp(k, "owner") != 0) {
			err_set(err, "unknown option \"%s\" (the proxmox plugin "
			    "knows: owner)", k);
			return -1;
		}
		if ((s = json_string_value(v)) == NULL ||
		    !(strcmp(s, "pool") == 0 || strcmp(s, "none") == 0 ||
		    (strncmp(s, "tag:", 4) == 0 && s[4] != '\0') ||
		    (strncmp(s, "description:", 12) == 0 && s[12] != '\0'))) {
			err_set(err, "owner must be \"pool\", \"none\", "
			    "\"tag:PREFIX\" or \"description:PREFIX\"");
			return -1;
		}
	}
	return 0;
}

/* ---- normalization (pure) ---- */

static json_t *
pve_owner(const json_t *opts, const json_t *res, const json_t *cfg,
    const json_t *tags)
{
	const char	*how = norm_str(opts, "owner"), *d, *line, *end;
	size_t		 plen, i;
	json_t		*t;

	if (how == NULL || strcmp(how, "pool") == 0) {
		d = norm_str(res, "pool");
		return d != NULL && d[0] != '\0' ? json_string(d) : json_null();
	}
	if (strncmp(how, "tag:", 4) == 0) {
		plen = strlen(how + 4);
		json_array_foreach(tags, i, t)
			if (strncmp(json_string_value(t), how + 4, plen) == 0 &&
			    json_string_value(t)[plen] != '\0')
				return json_string(json_string_value(t) + plen);
		return json_null();
	}
	if (strncmp(how, "description:", 12) == 0 &&
	    (d = norm_str(cfg, "description")) != NULL) {
		plen = strlen(how + 12);
		for (line = d; *line != '\0'; line = end + (*end != '\0')) {
			end = line + strcspn(line, "\n");
			while (line < end && isspace((unsigned char)*line))
				line++;
			if ((size_t)(end - line) <= plen ||
			    strncmp(line, how + 12, plen) != 0)
				continue;
			line += plen;
			while (line < end && isspace((unsigned char)*line))
				line++;
			while (end > line && isspace((unsigned char)end[-1]))
				end--;
			if (end > line)
				return json_stringn(line, (size_t)(end - line));
		}
	}
	return json_null();
}

/* "a;b c,d" → ["a","b","c","d"]: PVE accepts all three separators. */
static json_t *
pve_tags(const char *s)
{
	json_t	*a = json_array();
	size_t	 n;

	if (a == NULL || s == NULL)
		return a;
	while (*s != '\0') {
		s += strspn(s, "; ,");
		if ((n = strcspn(s, "; ,")) == 0)
			break;
		json_array_append_new(a, json_stringn(s, n));
		s += n;
	}
	return a;
}

static const char *
pve_status(const char *s)
{
	if (s == NULL)
		return "unknown";
	if (strcmp(s, "running") == 0)
		return "running";
	if (strcmp(s, "stopped") == 0)
		return "stopped";
	if (strcmp(s, "paused") == 0 || strcmp(s, "suspended") == 0)
		return "suspended";
	return "unknown";
}

/* One netN: a new interface object, or NULL if it has no valid MAC. */
static json_t *
pve_interface(const char *kind, const char *net, const char *ipconfig)
{
	char		 key[PVE_PROP_MAX], val[PVE_PROP_MAX];
	char		 mac[ADDR_MAC_LEN + 1] = "";
	const char	*s = net;
	const char	*errstr;
	json_t		*ifc, *ips, *vlan = json_null(), *bridge = json_null();
	long long	 tag;
	int		 first = 1;

	while (pve_prop_next(&s, key, val) == 0) {
		/* QEMU: the first item is MODEL=MAC; LXC: hwaddr=MAC. */
		if ((first && strcmp(kind, "qemu") == 0) ||
		    strcmp(key, "macaddr") == 0 || strcmp(key, "hwaddr") == 0)
			if (addr_mac_canon(val, mac) == -1)
				mac[0] = '\0';
		first = 0;
		if (strcmp(key, "bridge") == 0) {
			json_decref(bridge);
			bridge = json_string(val);
		} else if (strcmp(key, "tag") == 0) {
			tag = strtonum(val, 1, 4094, &errstr);
			if (errstr == NULL) {
				json_decref(vlan);
				vlan = json_integer(tag);
			}
		}
	}
	if (mac[0] == '\0') {
		json_decref(vlan);
		json_decref(bridge);
		return NULL;
	}
	ips = json_array();
	/* LXC carries its addresses in netN, QEMU in ipconfigN. */
	if (strcmp(kind, "lxc") == 0)
		ipconfig = net;
	if (ipconfig != NULL) {
		if (pve_prop_get(ipconfig, "ip", val))
			norm_add_ip(ips, val);
		if (pve_prop_get(ipconfig, "ip6", val))
			norm_add_ip(ips, val);
	}
	ifc = json_pack("{s:s, s:o, s:o, s:o}", "mac", mac, "ips", ips,
	    "bridge", bridge, "vlan", vlan);
	return ifc;
}

/*
 * Live addresses reported by the guest: QEMU agent results and LXC
 * interfaces have the same shape ({hardware-address|hwaddr,
 * ip-addresses: [{ip-address, prefix}]}). They are added to the
 * configured interface with the same MAC; loopback and link-local
 * addresses, and interfaces sightline does not know, are left out.
 */
static void
pve_add_live(json_t *ifaces, const json_t *live)
{
	char		 mac[ADDR_MAC_LEN + 1], text[ADDR_IP_LEN + 8];
	char		 canon[ADDR_IP_LEN];
	const char	*hw, *ip;
	json_t		*e, *a, *ifc = NULL, *ips;
	size_t		 i, j, k;

	json_array_foreach(live, i, e) {
		hw = norm_str(e, "hardware-address");
		if (hw == NULL)
			hw = norm_str(e, "hwaddr");
		if (hw == NULL || addr_mac_canon(hw, mac) == -1 ||
		    addr_mac_is_null(mac))
			continue;
		ips = NULL;
		json_array_foreach(ifaces, k, ifc)
			if (strcmp(norm_str(ifc, "mac"), mac) == 0) {
				ips = json_object_get(ifc, "ips");
				break;
			}
		if (ips == NULL)
			continue;
		json_array_foreach(json_object_get(e, "ip-addresses"), j, a) {
			if ((ip = norm_str(a, "ip-address")) == NULL)
				continue;
			if (json_is_integer(json_object_get(a, "prefix")))
				snprintf(text, sizeof(text), "%s/%lld", ip,
				    (long long)json_integer_value(
				    json_object_get(a, "prefix")));
			else
				snprintf(text, sizeof(text), "%s", ip);
			if (addr_ip_canon(text, canon, sizeof(canon),
			    ADDR_PREFIX_OK) == 0 && !addr_ip_is_local(canon))
				norm_add_ip(ips, canon);
		}
	}
}

/* One disk key's value: a new disk object, or NULL (cdrom, none, bad). */
static json_t *
pve_disk(const char *val, double *total)
{
	char		 key[PVE_PROP_MAX], item[PVE_PROP_MAX];
	char		 vol[PVE_PROP_MAX] = "";
	const char	*s = val, *colon;
	json_t		*size = json_null(), *storage;
	double		 gb;
	int		 first = 1;

	while (pve_prop_next(&s, key, item) == 0) {
		if (first && key[0] == '\0')
			strlcpy(vol, item, sizeof(vol));
		first = 0;
		if (strcmp(key, "media") == 0 && strcmp(item, "cdrom") == 0) {
			json_decref(size);
			return NULL;
		}
		if (strcmp(key, "size") == 0 && pve_size_gb(item, &gb) == 0) {
			json_decref(size);
			size = norm_number(gb);
		}
	}
	if (vol[0] == '\0' || strcmp(vol, "none") == 0) {
		json_decref(size);
		return NULL;
	}
	/* Only now: a cdrom's "size=" may come before its "media=". */
	if (json_is_number(size))
		*total += json_number_value(size);
	/* "storage:volume", or a device path passed through. */
	if (vol[0] != '/' && (colon = strchr(vol, ':')) != NULL) {
		storage = json_stringn(vol, (size_t)(colon - vol));
		return json_pack("{s:o, s:s, s:o}", "storage", storage,
		    "volume", colon + 1, "size_gb", size);
	}
	return json_pack("{s:n, s:s, s:o}", "storage", "volume", vol,
	    "size_gb", size);
}

/*
 * A disk key's place in the listing: its kind's row in pve_disk_keys,
 * then its number ("scsi2" before "scsi10"); -1 when k is no disk key.
 */
static long long
pve_disk_rank(const char *k)
{
	const char	*errstr;
	long long	 num;
	size_t		 i, n;

	for (i = 0; i < PVE_NDISK_KEYS; i++) {
		n = strlen(pve_disk_keys[i].dk_prefix);
		if (strncmp(k, pve_disk_keys[i].dk_prefix, n) != 0)
			continue;
		if (pve_disk_keys[i].dk_count == 0) {
			if (k[n] == '\0')
				return (long long)i * 1000;
			continue;
		}
		if (!isdigit((unsigned char)k[n]) || (k[n] == '0' && k[n + 1]))
			continue;
		num = strtonum(k + n, 0, pve_disk_keys[i].dk_count - 1, &errstr);
		if (errstr == NULL)
			return (long long)i * 1000 + num;
	}
	return -1;
}

struct pve_disk_key {
	const char	*dk_key;
	long long	 dk_rank;
};

static int
pve_disk_key_cmp(const void *a, const void *b)
{
	const struct pve_disk_key *ka = a, *kb = b;

	return (ka->dk_rank > kb->dk_rank) - (ka->dk_rank < kb->dk_rank);
}

static json_t *
pve_disks(const json_t *cfg, double *total)
{
	struct pve_disk_key	 keys[PVE_DISKS_MAX];
	const char		*k;
	json_t			*v, *out = json_array(), *d;
	size_t			 n = 0, i;
	long long		 rank;

	json_object_foreach((json_t *)cfg, k, v)
		if (n < PVE_DISKS_MAX && json_is_string(v) &&
		    (rank = pve_disk_rank(k)) >= 0) {
			keys[n].dk_key = k;
			keys[n++].dk_rank = rank;
		}
	qsort(keys, n, sizeof(keys[0]), pve_disk_key_cmp);
	for (i = 0; i < n; i++)
		if ((d = pve_disk(norm_str(cfg, keys[i].dk_key), total)) != NULL)
			json_array_append_new(out, d);
	return out;
}

static json_t *
pve_interfaces(const char *kind, const json_t *cfg)
{
	char		 k[16];
	const char	*net, *ipc;
	json_t		*out = json_array(), *ifc;
	int		 i;

	for (i = 0; i < PVE_NET_MAX; i++) {
		snprintf(k, sizeof(k), "net%d", i);
		if ((net = norm_str(cfg, k)) == NULL)
			continue;
		snprintf(k, sizeof(k), "ipconfig%d", i);
		ipc = norm_str(cfg, k);
		if ((ifc = pve_interface(kind, net, ipc)) != NULL)
			json_array_append_new(out, ifc);
	}
	return out;
}

/* "creation-qemu=8.1.5,ctime=1700000000" → 1700000000 */
static json_t *
pve_created(const json_t *cfg)
{
	char		 val[PVE_PROP_MAX];
	const char	*meta = norm_str(cfg, "meta"), *errstr;
	long long	 t;

	if (meta == NULL || !pve_prop_get(meta, "ctime", val))
		return json_null();
	t = strtonum(val, 1, 1LL << 40, &errstr);
	return errstr == NULL ? json_integer(t) : json_null();
}

static json_t *
pve_uuid(const json_t *cfg)
{
	char		 val[PVE_PROP_MAX];
	const char	*s = norm_str(cfg, "smbios1");

	if (s == NULL || !pve_prop_get(s, "uuid", val))
		return json_null();
	return json_string(val);
}

/*
 * Schema v1 from a guest's documents: "resource" (its /cluster/resources
 * entry), "config", and optionally "agent" (QEMU guest agent result) or
 * "interfaces" (LXC). Returns a new record, or NULL with a reason.
 */
static json_t *
pve_normalize(const char *panel, const json_t *opts, const json_t *docs,
    char *err)
{
	const json_t	*res = json_object_get(docs, "resource");
	const json_t	*cfg = json_object_get(docs, "config");
	const json_t	*live;
	const char	*kind = norm_str(res, "type");
	char		 id[PANEL_NAME_MAX + 32], nid[32], val[PVE_PROP_MAX];
	json_t		*rec, *ifaces, *disks, *tags;
	double		 total = 0, cores = 1, sockets = 1, mem, d;
	json_int_t	 vmid = json_integer_value(json_object_get(res, "vmid"));

	snprintf(nid, sizeof(nid), "%lld", (long long)vmid);
	snprintf(id, sizeof(id), "%s/%s", panel, nid);
	if (!json_is_object(cfg)) {
		err_set(err, "no config");
		return NULL;
	}
	ifaces = pve_interfaces(kind, cfg);
	if ((live = json_object_get(docs, "agent")) != NULL ||
	    (live = json_object_get(docs, "interfaces")) != NULL)
		pve_add_live(ifaces, live);
	disks = pve_disks(cfg, &total);
	tags = pve_tags(norm_str(cfg, "tags"));
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
	    "id", id, "panel", panel, "native_id", nid, "kind", kind,
	    "node", norm_str(res, "node"),
	    "status", pve_status(norm_str(res, "status")),
	    "created", strcmp(kind, "qemu") == 0 ? pve_created(cfg) :
	    json_null(),
	    "interfaces", ifaces, "disks", disks);
	if (rec == NULL) {
		json_decref(tags);
		err_set(err, "cannot build the record");
		return NULL;
	}
	/* CPUs: cores × sockets from the config, else the resource's maxcpu. */
	if (norm_num(json_object_get(cfg, "cores"), &d))
		cores = d;
	else if (norm_num(json_object_get(res, "maxcpu"), &d))
		cores = d;
	if (strcmp(kind, "qemu") == 0 &&
	    norm_num(json_object_get(cfg, "sockets"), &d))
		sockets = d;
	json_object_set_new(rec, "cpu", norm_number(cores * sockets));
	/*
	 * QEMU memory became a string in qemu-server 8.0.8: "2048", or a
	 * property string "current=2048,...".
	 */
	if (norm_num(json_object_get(cfg, "memory"), &mem) ||
	    (norm_str(cfg, "memory") != NULL &&
	    pve_prop_get(norm_str(cfg, "memory"), "current", val) &&
	    norm_strnum(val, &mem)))
		json_object_set_new(rec, "memory_mb", norm_number(mem));
	else if (norm_num(json_object_get(res, "maxmem"), &mem))
		json_object_set_new(rec, "memory_mb",
		    norm_number(floor(mem / (1024 * 1024))));
	else
		json_object_set_new(rec, "memory_mb", json_null());
	if (json_array_size(disks) > 0)
		json_object_set_new(rec, "disk_gb", norm_number(total));
	else if (norm_num(json_object_get(res, "maxdisk"), &d))
		json_object_set_new(rec, "disk_gb",
		    norm_number(d / (1024.0 * 1024 * 1024)));
	else
		json_object_set_new(rec, "disk_gb", json_null());
	json_object_set_new(rec, "bandwidth_gb", json_null());
	json_object_set_new(rec, "owner", pve_owner(opts, res, cfg, tags));
	json_object_set_new(rec, "hostname", strcmp(kind, "lxc") == 0 &&
	    norm_str(cfg, "hostname") != NULL ?
	    json_string(norm_str(cfg, "hostname")) : json_null());
	json_object_set_new(rec, "name", norm_str(cfg, "name") != NULL ?
	    json_string(norm_str(cfg, "name")) : norm_str(res, "name") != NULL ?
	    json_string(norm_str(res, "name")) : json_null());
	json_object_set_new(rec, "notes", norm_str(cfg, "description") != NULL ?
	    json_string(norm_str(cfg, "description")) : json_null());
	json_object_set_new(rec, "tags", tags);
	json_object_set_new(rec, "uuid", pve_uuid(cfg));
	return rec;
}

static json_t *
pve_node(const char *panel, const json_t *n)
{
	const char	*name = norm_str(n, "node"), *st = norm_str(n, "status");
	char		 id[PANEL_NAME_MAX + 80];
	double		 v;
	json_t		*o;

	snprintf(id, sizeof(id), "%s/%s", panel, name);
	o = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "panel", panel,
	    "name", name, "status", st != NULL && (strcmp(st, "online") == 0 ||
	    strcmp(st, "offline") == 0) ? st : "unknown");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "cpu", norm_num(json_object_get(n, "maxcpu"),
	    &v) ? norm_number(v) : json_null());
	json_object_set_new(o, "memory_mb", norm_num(json_object_get(n,
	    "maxmem"), &v) ? norm_number(floor(v / (1024 * 1024))) :
	    json_null());
	json_object_set_new(o, "disk_gb", norm_num(json_object_get(n,
	    "maxdisk"), &v) ? norm_number(floor(v / (1024.0 * 1024 * 1024))) :
	    json_null());
	json_object_set_new(o, "ssl_fingerprint",
	    norm_str(n, "ssl_fingerprint") != NULL ?
	    json_string(norm_str(n, "ssl_fingerprint")) : json_null());
	return o;
}

/* ---- inventory ---- */

static int
proxmox_inventory(struct fetch *f, char *err)
{
	if (fetch_get(f, NULL, "/cluster/resources?type=vm") == -1 ||
	    fetch_get(f, NULL, "/nodes") == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static const json_t *
pve_data(const struct reply *r, json_type type, char *err)
{
	const json_t	*d;

	if (r->rp_kind != REPLY_JSON) {
		err_set(err, "%s", r->rp_why);
		return NULL;
	}
	d = json_object_get(r->rp_json, "data");
	if (json_typeof(d) != type && !(d != NULL && type == JSON_OBJECT &&
	    json_is_array(d) && json_array_size(d) == 0)) {
		err_set(err, "the panel's answer has no \"data\" %s",
		    type == JSON_ARRAY ? "list" : "object");
		return NULL;
	}
	return d;
}

static int
pve_resources(struct fetch *f, const struct reply *r, char *err)
{
	const json_t		*list, *e;
	struct fetch_group	*g;
	const char		*type, *node;
	char			 key[32], path[160];
	json_int_t		 vmid;
	size_t			 i;

	if ((list = pve_data(r, JSON_ARRAY, err)) == NULL)
		return -1;
	json_array_foreach(list, i, e) {
		type = norm_str(e, "type");
		node = norm_str(e, "node");
		if (type == NULL || (strcmp(type, "qemu") != 0 &&
		    strcmp(type, "lxc") != 0))
			continue;
		/* Templates cannot run: they are not anybody's VPS. */
		if (json_integer_value(json_object_get(e, "template")) == 1)
			continue;
		vmid = json_integer_value(json_object_get(e, "vmid"));
		if (node == NULL || !pve_valid_node(node) || vmid < 100 ||
		    vmid > 999999999) {
			err_set(err, "resource %zu has no valid node and vmid",
			    i);
			return -1;
		}
		snprintf(key, sizeof(key), "%s/%lld", type, (long long)vmid);
		snprintf(path, sizeof(path), "/nodes/%s/%s/%lld/config", node,
		    type, (long long)vmid);
		if ((g = fetch_group(f, key)) == NULL ||
		    fetch_group_put(g, "resource", (json_t *)e) == -1 ||
		    fetch_get(f, g, path) == -1) {
			err_set(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int
pve_nodes(struct fetch *f, const struct reply *r, char *err)
{
	const json_t	*list, *e;
	json_t		*n;
	size_t		 i;

	if ((list = pve_data(r, JSON_ARRAY, err)) == NULL)
		return -1;
	json_array_foreach(list, i, e) {
		if (norm_str(e, "node") == NULL ||
		    !pve_valid_node(norm_str(e, "node")))
			continue;
		if ((n = pve_node(fetch_panel(f), e)) == NULL ||
		    fetch_add_node(f, n) == -1) {
			err_set(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int
pve_ends_with(const char *s, const char *suffix)
{
	size_t	 a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Is the QEMU guest agent enabled? "1", "enabled=1,fstrim..." or 1. */
static int
pve_agent_enabled(const json_t *cfg)
{
	const json_t	*a = json_object_get(cfg, "agent");
	char		 val[PVE_PROP_MAX], key[PVE_PROP_MAX];
	const char	*s;

	if (json_is_integer(a))
		return json_integer_value(a) == 1;
	if ((s = json_string_value(a)) == NULL)
		return 0;
	if (pve_prop_get(s, "enabled", val))
		return strcmp(val, "1") == 0;
	return pve_prop_next(&s, key, val) == 0 && key[0] == '\0' &&
	    strcmp(val, "1") == 0;
}

static int
proxmox_fetched(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	const json_t	*res, *cfg, *d;
	const char	*type, *status;
	char		 follow[200];
	size_t		 n;

	if (g == NULL)
		return strcmp(path, "/nodes") == 0 ? pve_nodes(f, r, err) :
		    pve_resources(f, r, err);
	if (pve_ends_with(path, "/config")) {
		if ((cfg = pve_data(r, JSON_OBJECT, err)) == NULL ||
		    fetch_group_put(g, "config", (json_t *)cfg) == -1)
			return -1;
		res = json_object_get(fetch_group_docs(g), "resource");
		type = norm_str(res, "type");
		status = norm_str(res, "status");
		if (status == NULL || strcmp(status, "running") != 0)
			return 0;
		/* Live addresses: only what a running guest can report. */
		n = strlen(path) - strlen("/config");
		if (strcmp(type, "qemu") == 0 && pve_agent_enabled(cfg))
			snprintf(follow, sizeof(follow),
			    "%.*s/agent/network-get-interfaces", (int)n, path);
		else if (strcmp(type, "lxc") == 0)
			snprintf(follow, sizeof(follow), "%.*s/interfaces",
			    (int)n, path);
		else
			return 0;
		if (fetch_get(f, g, follow) == -1) {
			err_set(err, "out of memory");
			return -1;
		}
		return 0;
	}
	/*
	 * The agent may not run, the container may be starting: live
	 * addresses are a bonus, their absence is not an error.
	 */
	if (r->rp_kind != REPLY_JSON) {
		log_debug("%s: GET %s: %s; no live addresses", fetch_panel(f),
		    path, r->rp_why);
		return 0;
	}
	d = json_object_get(r->rp_json, "data");
	if (pve_ends_with(path, "/agent/network-get-interfaces"))
		d = json_object_get(d, "result");
	if (json_is_array(d) && fetch_group_put(g, pve_ends_with(path,
	    "/interfaces") ? "interfaces" : "agent", (json_t *)d) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static int
proxmox_record(struct fetch *f, const json_t *docs, json_t **rec, char *err)
{
	*rec = pve_normalize(fetch_panel(f), fetch_options(f), docs, err);
	return *rec == NULL ? -1 : 0;
}

/* ---- native allow-list ---- */

/*
 * The rs_segment of pve_routes. A node or storage name that is not one
 * is refused outright, with its reason; a guest id out of range only
 * fails to match.
 */
static int
pve_segment(const char *name, const char *value, char *err)
{
	if (strcmp(name, "node") == 0) {
		if (!pve_valid_node(value)) {
			err_set(err, "\"%s\" is not a valid node name", value);
			return -1;
		}
		return 1;
	}
	if (strcmp(name, "vmid") == 0)
		return pve_valid_vmid(value);
	if (strcmp(name, "storage") == 0) {
		if (!pve_valid_storage(value)) {
			err_set(err, "\"%s\" is not a valid storage id", value);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* Proxmox takes no PHP-style a[b] query names. */
static const struct route_table pve_table = {
	pve_routes, sizeof(pve_routes) / sizeof(pve_routes[0]),
	pve_segment, 0
};

/*
 * path is what the hoster asked for below /api2/json, raw (not decoded),
 * query the raw query string or NULL.
 */
static int
proxmox_native_route(const char *path, const char *query,
    struct native_route *nr, char *err)
{
	return route_find(&pve_table, path, query, nr, err);
}

static const char *
proxmox_endpoint(size_t i)
{
	return route_endpoint(&pve_table, i);
}

/* ---- evidence ---- */

/*
 * pl_preserve: a Proxmox guest is copied with vzdump on its node, in
 * snapshot mode, which does not stop it. Proxmox is not driven through
 * libvirt, so the domain the cross-check saw plays no part.
 */
static json_t *
proxmox_preserve(const json_t *rec, const json_t *domain)
{
	const json_t	*d;
	const char	*vmid = json_string_value(json_object_get(rec,
			    "native_id"));
	const char	*kind = json_string_value(json_object_get(rec, "kind"));
	const char	*node, *storage, *volume;
	struct buf	 b, vol;
	json_t		*p;
	char		*volid, *note;
	size_t		 i, n = 0;

	if ((p = evidence_preserve_new(rec, NULL)) == NULL)
		return NULL;
	/* The allow-list takes numeric VMIDs only; anything else is unsafe. */
	if (vmid == NULL || !route_number(vmid))
		vmid = "VMID";
	node = json_string_value(json_object_get(p, "node"));
	buf_init(&b);
	if (kind != NULL && (strcmp(kind, "qemu") == 0 ||
	    strcmp(kind, "lxc") == 0)) {
		buf_printf(&b, "%s config %s", strcmp(kind, "qemu") == 0 ?
		    "qm" : "pct", vmid);
		if (evidence_add_command(p, &b) == -1)
			goto oom;
	}
	json_array_foreach(json_object_get(rec, "disks"), i, d) {
		storage = json_string_value(json_object_get(d, "storage"));
		volume = json_string_value(json_object_get(d, "volume"));
		if (storage == NULL || volume == NULL || storage[0] == '-' ||
		    strchr(storage, ':') != NULL)
			continue;
		buf_init(&vol);
		buf_printf(&vol, "%s:%s", storage, volume);
		if ((volid = buf_take(&vol, NULL)) == NULL)
			goto oom;
		buf_addstr(&b, "pvesm path ");
		evidence_shell_word(&b, volid);
		free(volid);
		if (evidence_add_command(p, &b) == -1)
			goto oom;
		n++;
	}
	buf_printf(&b, "vzdump %s --mode snapshot --compress zstd --storage %s",
	    vmid, EVIDENCE_BACKUP_STORAGE);
	if (evidence_add_command(p, &b) == -1)
		goto oom;
	if (node != NULL)
		buf_printf(&b, "Run these commands on node %s, as root. ", node);
	else
		buf_addstr(&b, "The record names no node: run these commands as "
		    "root on the cluster node that holds the guest. ");
	if (strcmp(vmid, "VMID") == 0)
		buf_addstr(&b, "The record shows no numeric VMID: put the "
		    "guest's for VMID. ");
	if (kind != NULL && (strcmp(kind, "qemu") == 0 ||
	    strcmp(kind, "lxc") == 0))
		buf_printf(&b, "%s config prints the guest's configuration. ",
		    strcmp(kind, "qemu") == 0 ? "qm" : "pct");
	if (n > 0)
		buf_addstr(&b, "pvesm path prints where each of its volumes "
		    "lives. ");
	buf_printf(&b, "vzdump --mode snapshot backs the guest up while it "
	    "runs and does not stop it (a VM through QEMU's live backup; a "
	    "container through a storage snapshot, or a short suspend when its "
	    "storage has none) and prints the archive's name when done. %s is "
	    "a placeholder: the id of a storage that takes backups (content "
	    "\"backup\") with room for the guest's disks.",
	    EVIDENCE_BACKUP_STORAGE);
	if ((note = buf_take(&b, NULL)) == NULL ||
	    json_object_set_new(p, "note", json_string(note)) == -1) {
		free(note);
		goto oom;
	}
	free(note);
	return p;
oom:
	buf_free(&b);
	json_decref(p);
	return NULL;
}

const struct plugin plugin_proxmox = {
	.pl_name = "proxmox",
	.pl_api_root = PVE_API_ROOT,
	.pl_endpoint = proxmox_endpoint,
	.pl_credentials = proxmox_credentials,
	.pl_auth = proxmox_auth,
	.pl_options = proxmox_options,
	.pl_inventory = proxmox_inventory,
	.pl_fetched = proxmox_fetched,
	.pl_record = proxmox_record,
	.pl_native_route = proxmox_native_route,
	.pl_preserve = proxmox_preserve,
};
