/*
 * hvcheck.c: the hypervisor cross-check, as a pure comparison. The
 * domains libvirt listed on each configured node (libvirt.c) against the
 * redacted records the panels served: what the hoster sees and what is
 * signed, so that anyone holding both can redo the comparison. A field
 * the record does not show is not checked; it is never read from
 * elsewhere.
 *
 * Matching a domain to a record of the same panel goes by UUID (when the
 * record's is an RFC 4122 one), then by name (the record's name, uuid or
 * native_id), then by MAC, each step over all domains before the next,
 * so a weaker clue never takes a record a stronger one would have
 * matched. Each domain matches at most one record and each record at
 * most one domain; ties go to the lowest record id, domains being taken
 * in (node, uuid) order. The output is sorted, so the same input gives
 * the same bytes, whose hash the snapshot's log leaf carries.
 *
 * A domain no record matches is a hidden VM. Its MACs, disks and node
 * are shown; its name is committed (commit.c) like any identity, with
 * the disclosure handed back to the caller to keep.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define HVCHECK_UUID_LEN	36	/* 8-4-4-4-12 hex digits */

/* The kinds of finding, as the output names them, in sorted order. */
static const char *const hvcheck_kinds[] = {
	"disk-mismatch", "hidden-vm", "mac-mismatch", "missing-domain",
	"node-unreachable", "uuid-mismatch", "wrong-node"
};

struct hvcheck_rec;

/* One domain of a reachable node. */
struct hvcheck_dom {
	const struct hv_node	*hd_node;
	const json_t		*hd_json;	/* borrowed */
	const char		*hd_name;
	char			 hd_uuid[HVCHECK_UUID_LEN + 1];	/* lowercase */
	json_t			*hd_macs;	/* lowercase, sorted, unique */
	json_t			*hd_disks;	/* sorted */
	struct hvcheck_rec	*hd_match;
};

/* One record of a panel that has hypervisors. */
struct hvcheck_rec {
	const json_t		*hr_json;	/* borrowed */
	const char		*hr_id;
	const char		*hr_panel;
	const char		*hr_node;	/* NULL: not stated */
	const char		*hr_uuid;	/* as the record has it, or NULL */
	char			 hr_rfc[HVCHECK_UUID_LEN + 1];	/* lowercase;
					   "" unless hr_uuid is RFC 4122 */
	json_t			*hr_macs;	/* NULL: none attested */
	struct hvcheck_dom	*hr_match;
};

/* An index entry: records by (panel, key), then id. */
struct hvcheck_key {
	const char		*hk_panel;
	const char		*hk_key;
	struct hvcheck_rec	*hk_rec;
};

struct hvcheck {
	const struct hv_node	*hc_nodes;
	size_t			 hc_nnodes;
	struct hvcheck_dom	*hc_doms;
	size_t			 hc_ndoms;
	struct hvcheck_rec	*hc_recs;
	size_t			 hc_nrecs;
	json_t			*hc_findings;
	json_t			*hc_disclosures;
	const struct keys	*hc_keys;
};

/* s is "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in hex of either case. */
static int
hvcheck_is_uuid(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != HVCHECK_UUID_LEN)
		return 0;
	for (i = 0; i < HVCHECK_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static void
hvcheck_lower(const char *s, char *out, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* mac in the form records use (addr.c), or at least in lowercase. */
static json_t *
hvcheck_mac(const char *mac)
{
	char	 canon[ADDR_MAC_LEN + 1], *low;
	json_t	*j;

	if (addr_mac_canon(mac, canon) == 0)
		return json_string(canon);
	if ((low = strdup(mac)) == NULL)
		return NULL;
	hvcheck_lower(mac, low, strlen(mac) + 1);
	j = json_string(low);
	free(low);
	return j;
}

static const struct hv_node *
hvcheck_node(const struct hvcheck *c, const char *panel, const char *node)
{
	size_t	 i;

	for (i = 0; i < c->hc_nnodes; i++)
		if (strcmp(c->hc_nodes[i].hn_panel, panel) == 0 &&
		    strcmp(c->hc_nodes[i].hn_node, node) == 0)
			return &c->hc_nodes[i];
	return NULL;
}

static int
hvcheck_has_panel(const struct hvcheck *c, const char *panel)
{
	size_t	 i;

	for (i = 0; i < c->hc_nnodes; i++)
		if (strcmp(c->hc_nodes[i].hn_panel, panel) == 0)
			return 1;
	return 0;
}

static int
hvcheck_dom_cmp(const void *a, const void *b)
{
	const struct hvcheck_dom	*x = a, *y = b;
	int				 d;

	if ((d = strcmp(x->hd_node->hn_panel, y->hd_node->hn_panel)) != 0 ||
	    (d = strcmp(x->hd_node->hn_node, y->hd_node->hn_node)) != 0 ||
	    (d = strcmp(x->hd_uuid, y->hd_uuid)) != 0)
		return d;
	return strcmp(x->hd_name, y->hd_name);
}

static int
hvcheck_rec_cmp(const void *a, const void *b)
{
	const struct hvcheck_rec	*x = a, *y = b;

	return strcmp(x->hr_id, y->hr_id);
}

/* The domain's MACs (lowercase) and disks, both sorted, as hd's own. */
static int
hvcheck_dom_lists(struct hvcheck_dom *hd, char *err)
{
	const json_t	*macs = json_object_get(hd->hd_json, "macs");
	const json_t	*disks = json_object_get(hd->hd_json, "disks"), *v;
	size_t		 k;

	if (!json_is_array(macs) || !json_is_array(disks)) {
		err_set(err, "hypervisor %s/%s: domain %s: \"macs\" or "
		    "\"disks\" is not an array", hd->hd_node->hn_panel,
		    hd->hd_node->hn_node, hd->hd_uuid);
		return -1;
	}
	if ((hd->hd_macs = json_array()) == NULL ||
	    (hd->hd_disks = json_array()) == NULL)
		goto oom;
	json_array_foreach(macs, k, v) {
		if (!json_is_string(v))
			goto bad;
		if (json_array_append_new(hd->hd_macs,
		    hvcheck_mac(json_string_value(v))) == -1)
			goto oom;
	}
	json_array_foreach(disks, k, v) {
		if (!json_is_string(v))
			goto bad;
		if (json_array_append(hd->hd_disks, (json_t *)v) == -1)
			goto oom;
	}
	if (strings_sort(hd->hd_macs, 1) == -1 ||
	    strings_sort(hd->hd_disks, 0) == -1)
		goto oom;
	return 0;
bad:
	err_set(err, "hypervisor %s/%s: domain %s: a MAC or disk that is not "
	    "a string", hd->hd_node->hn_panel, hd->hd_node->hn_node,
	    hd->hd_uuid);
	return -1;
oom:
	err_set(err, "out of memory");
	return -1;
}

/*
 * The nodes: each named once, reachable ones with an array of domains
 * that are objects with a UUID, a name and string arrays of MACs and
 * disks. Collects their domains into c->hc_doms, sorted.
 */
static int
hvcheck_load_nodes(struct hvcheck *c, char *err)
{
	const struct hv_node	*hn;
	const json_t		*d;
	struct hvcheck_dom	*hd;
	const char		*uuid, *name;
	size_t			 i, j, total = 0;

	for (i = 0; i < c->hc_nnodes; i++) {
		hn = &c->hc_nodes[i];
		if (hn->hn_panel == NULL || hn->hn_node == NULL) {
			err_set(err, "hypervisor %zu: no panel or node name", i);
			return -1;
		}
		if (hvcheck_node(c, hn->hn_panel, hn->hn_node) != hn) {
			err_set(err, "hypervisor %s/%s: listed twice",
			    hn->hn_panel, hn->hn_node);
			return -1;
		}
		if (hn->hn_domains == NULL)
			continue;
		if (!json_is_array(hn->hn_domains) ||
		    json_array_size(hn->hn_domains) > HYPER_DOMAINS_MAX) {
			err_set(err, "hypervisor %s/%s: the domains are not an "
			    "array of at most %d", hn->hn_panel, hn->hn_node,
			    HYPER_DOMAINS_MAX);
			return -1;
		}
		total += json_array_size(hn->hn_domains);
	}
	if (total > 0 && (c->hc_doms = calloc(total, sizeof(*c->hc_doms))) ==
	    NULL)
		goto oom;
	for (i = 0; i < c->hc_nnodes; i++) {
		hn = &c->hc_nodes[i];
		json_array_foreach(hn->hn_domains, j, d) {
			uuid = json_string_value(json_object_get(d, "uuid"));
			name = json_string_value(json_object_get(d, "name"));
			if (!hvcheck_is_uuid(uuid) || name == NULL ||
			    !json_is_string(json_object_get(d, "state"))) {
				err_set(err, "hypervisor %s/%s: domain %zu has "
				    "no UUID, name or state", hn->hn_panel,
				    hn->hn_node, j);
				return -1;
			}
			hd = &c->hc_doms[c->hc_ndoms++];
			hd->hd_node = hn;
			hd->hd_json = d;
			hd->hd_name = name;
			hvcheck_lower(uuid, hd->hd_uuid, sizeof(hd->hd_uuid));
			if (hvcheck_dom_lists(hd, err) == -1)
				return -1;
		}
	}
	if (c->hc_ndoms > 1)
		qsort(c->hc_doms, c->hc_ndoms, sizeof(*c->hc_doms),
		    hvcheck_dom_cmp);
	/* libvirt keeps UUIDs unique per host; a repeat is not its answer. */
	for (i = 1; i < c->hc_ndoms; i++)
		if (c->hc_doms[i].hd_node == c->hc_doms[i - 1].hd_node &&
		    strcmp(c->hc_doms[i].hd_uuid, c->hc_doms[i - 1].hd_uuid) ==
		    0) {
			err_set(err, "hypervisor %s/%s: domain %s is listed "
			    "twice", c->hc_doms[i].hd_node->hn_panel,
			    c->hc_doms[i].hd_node->hn_node,
			    c->hc_doms[i].hd_uuid);
			return -1;
		}
	return 0;
oom:
	err_set(err, "out of memory");
	return -1;
}

/* The record's MACs, lowercase, sorted, unique; NULL when it shows none. */
static int
hvcheck_rec_macs(struct hvcheck_rec *r, char *err)
{
	const json_t	*ifs, *i;
	const char	*mac;
	size_t		 k;

	ifs = json_object_get(r->hr_json, "interfaces");
	json_array_foreach(ifs, k, i) {
		if ((mac = json_string_value(json_object_get(i, "mac"))) ==
		    NULL)
			continue;
		if (r->hr_macs == NULL && (r->hr_macs = json_array()) == NULL)
			goto oom;
		if (json_array_append_new(r->hr_macs, hvcheck_mac(mac)) == -1)
			goto oom;
	}
	if (r->hr_macs != NULL && strings_sort(r->hr_macs, 1) == -1)
		goto oom;
	return 0;
oom:
	err_set(err, "out of memory");
	return -1;
}

/*
 * The records: an array of objects, each with a string id and panel,
 * no id twice. Keeps those of panels that have hypervisors, by id.
 */
static int
hvcheck_load_records(struct hvcheck *c, const json_t *records, char *err)
{
	const json_t		*r;
	struct hvcheck_rec	*hr;
	const char		*id, *panel;
	size_t			 i;

	if (!json_is_array(records)) {
		err_set(err, "the records are not an array");
		return -1;
	}
	if (json_array_size(records) > 0 && (c->hc_recs = calloc(
	    json_array_size(records), sizeof(*c->hc_recs))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	json_array_foreach(records, i, r) {
		if (!json_is_object(r)) {
			err_set(err, "record %zu is not an object", i);
			return -1;
		}
		if ((id = json_string_value(json_object_get(r, "id"))) ==
		    NULL) {
			err_set(err, "record %zu has no id", i);
			return -1;
		}
		if ((panel = json_string_value(json_object_get(r, "panel"))) ==
		    NULL) {
			err_set(err, "record %s has no panel", id);
			return -1;
		}
		if (!hvcheck_has_panel(c, panel))
			continue;
		hr = &c->hc_recs[c->hc_nrecs++];
		hr->hr_json = r;
		hr->hr_id = id;
		hr->hr_panel = panel;
		hr->hr_node = json_string_value(json_object_get(r, "node"));
		hr->hr_uuid = json_string_value(json_object_get(r, "uuid"));
		if (hvcheck_is_uuid(hr->hr_uuid))
			hvcheck_lower(hr->hr_uuid, hr->hr_rfc,
			    sizeof(hr->hr_rfc));
		if (hvcheck_rec_macs(hr, err) == -1)
			return -1;
	}
	if (c->hc_nrecs > 1)
		qsort(c->hc_recs, c->hc_nrecs, sizeof(*c->hc_recs),
		    hvcheck_rec_cmp);
	for (i = 1; i < c->hc_nrecs; i++)
		if (strcmp(c->hc_recs[i].hr_id, c->hc_recs[i - 1].hr_id) ==
		    0) {
			err_set(err, "record %s is listed twice",
			    c->hc_recs[i].hr_id);
			return -1;
		}
	return 0;
}

static int
hvcheck_key_cmp(const void *a, const void *b)
{
	const struct hvcheck_key	*x = a, *y = b;
	int				 d;

	if ((d = strcmp(x->hk_panel, y->hk_panel)) != 0 ||
	    (d = strcmp(x->hk_key, y->hk_key)) != 0)
		return d;
	return strcmp(x->hk_rec->hr_id, y->hk_rec->hr_id);
}

enum hvcheck_by { HVCHECK_BY_UUID, HVCHECK_BY_NAME, HVCHECK_BY_MAC };

/*
 * The index of the records by one kind of key, sorted. Sets *out (caller
 * frees) and *n. Returns 0, or -1 when out of memory.
 */
static int
hvcheck_index(const struct hvcheck *c, enum hvcheck_by by,
    struct hvcheck_key **out, size_t *n)
{
	struct hvcheck_key	*k = NULL, *nk;
	struct hvcheck_rec	*r;
	const char		*keys[3];
	size_t			 i, j, nkeys, cap = 0;
	const json_t		*v;

	*n = 0;
	for (i = 0; i < c->hc_nrecs; i++) {
		r = &c->hc_recs[i];
		nkeys = 0;
		if (by == HVCHECK_BY_UUID && r->hr_rfc[0] != '\0')
			keys[nkeys++] = r->hr_rfc;
		else if (by == HVCHECK_BY_NAME) {
			if ((keys[nkeys] = json_string_value(json_object_get(
			    r->hr_json, "name"))) != NULL)
				nkeys++;
			if (r->hr_uuid != NULL)
				keys[nkeys++] = r->hr_uuid;
			if ((keys[nkeys] = json_string_value(json_object_get(
			    r->hr_json, "native_id"))) != NULL)
				nkeys++;
		}
		if (by == HVCHECK_BY_MAC)
			nkeys = json_array_size(r->hr_macs);
		for (j = 0; j < nkeys; j++) {
			if (*n == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				if ((nk = reallocarray(k, cap, sizeof(*k))) ==
				    NULL) {
					free(k);
					return -1;
				}
				k = nk;
			}
			if (by == HVCHECK_BY_MAC) {
				v = json_array_get(r->hr_macs, j);
				k[*n].hk_key = json_string_value(v);
			} else
				k[*n].hk_key = keys[j];
			k[*n].hk_panel = r->hr_panel;
			k[*n].hk_rec = r;
			(*n)++;
		}
	}
	if (*n > 1)
		qsort(k, *n, sizeof(*k), hvcheck_key_cmp);
	*out = k;
	return 0;
}

/* The first record still free under (panel, key) in the index, or NULL. */
static struct hvcheck_rec *
hvcheck_lookup(const struct hvcheck_key *k, size_t n, const char *panel,
    const char *key)
{
	size_t	 lo = 0, hi = n, mid;
	int	 d;

	/* The first entry not below (panel, key). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = strcmp(k[mid].hk_panel, panel)) == 0)
			d = strcmp(k[mid].hk_key, key);
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(k[lo].hk_panel, panel) == 0 &&
	    strcmp(k[lo].hk_key, key) == 0; lo++)
		if (k[lo].hk_rec->hr_match == NULL)
			return k[lo].hk_rec;
	return NULL;
}

/* One matching step over every domain still unmatched. */
static int
hvcheck_match(struct hvcheck *c, enum hvcheck_by by)
{
	struct hvcheck_key	*k;
	struct hvcheck_dom	*d;
	struct hvcheck_rec	*r;
	const char		*panel;
	size_t			 n, i, j;

	if (hvcheck_index(c, by, &k, &n) == -1)
		return -1;
	for (i = 0; i < c->hc_ndoms && n > 0; i++) {
		d = &c->hc_doms[i];
		if (d->hd_match != NULL)
			continue;
		panel = d->hd_node->hn_panel;
		r = NULL;
		if (by == HVCHECK_BY_UUID)
			r = hvcheck_lookup(k, n, panel, d->hd_uuid);
		else if (by == HVCHECK_BY_NAME)
			r = hvcheck_lookup(k, n, panel, d->hd_name);
		else
			for (j = 0; r == NULL && j < json_array_size(
			    d->hd_macs); j++)
				r = hvcheck_lookup(k, n, panel,
				    json_string_value(json_array_get(
				    d->hd_macs, j)));
		if (r != NULL) {
			d->hd_match = r;
			r->hr_match = d;
		}
	}
	free(k);
	return 0;
}

/* Append a finding (stolen); NULL means out of memory. */
static int
hvcheck_add(struct hvcheck *c, json_t *f, char *err)
{
	if (f == NULL || json_array_append_new(c->hc_findings, f) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * A hidden VM: everything libvirt said of it but its name, which is
 * committed, bound to the panel, node and UUID it was found under.
 */
static int
hvcheck_hidden(struct hvcheck *c, const struct hvcheck_dom *d, char *err)
{
	char		 digest[COMMIT_DIGEST_MAX], why[ERR_MAX];
	char		*disclosure = NULL;
	struct buf	 ctx;
	json_t		*name, *dom;
	int		 rc;

	buf_init(&ctx);
	buf_printf(&ctx, "hidden-vm/%s/%s/%s", d->hd_node->hn_panel,
	    d->hd_node->hn_node, d->hd_uuid);
	buf_add(&ctx, "", 1);
	if (ctx.b_oom || (name = json_string(d->hd_name)) == NULL) {
		buf_free(&ctx);
		err_set(err, "out of memory");
		return -1;
	}
	rc = commit_make(c->hc_keys, ctx.b_data, "name", "name", name,
	    &disclosure, digest, why);
	buf_free(&ctx);
	json_decref(name);
	if (rc == -1) {
		err_set(err, "hypervisor %s/%s: domain %s: committing to its "
		    "name: %s", d->hd_node->hn_panel, d->hd_node->hn_node,
		    d->hd_uuid, why);
		return -1;
	}
	rc = json_array_append_new(c->hc_disclosures, json_string(disclosure));
	free(disclosure);
	if (rc == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	dom = json_pack("{s:s, s:O, s:O, s:O, s:[s], s:s}", "uuid",
	    d->hd_uuid, "state", json_object_get(d->hd_json, "state"),
	    "macs", d->hd_macs, "disks", d->hd_disks, "_sd", digest,
	    "_sd_alg", "sha-256");
	if (dom == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	return hvcheck_add(c, json_pack("{s:s, s:s, s:s, s:o}", "kind",
	    "hidden-vm", "panel", d->hd_node->hn_panel, "node",
	    d->hd_node->hn_node, "domain", dom), err);
}

static const char *
hvcheck_basename(const char *s)
{
	const char	*slash = strrchr(s, '/');

	return slash != NULL ? slash + 1 : s;
}

/*
 * Does the domain's disk source src stand for the record's disk (storage
 * may be NULL, volume not)? Equal to the volume, or ending in "/" and the
 * volume, or equal to storage "/" volume, or its base name without
 * extension equal to the volume's base name: panels name a volume by a
 * path, a path below the storage, or a bare name.
 */
static int
hvcheck_disk_match(const char *src, const char *storage, const char *volume)
{
	size_t		 ls = strlen(src), lv = strlen(volume), lst, lb;
	const char	*b, *vb, *dot;

	if (strcmp(src, volume) == 0)
		return 1;
	if (ls > lv && src[ls - lv - 1] == '/' &&
	    strcmp(src + ls - lv, volume) == 0)
		return 1;
	if (storage != NULL && (lst = strlen(storage)) + 1 + lv == ls &&
	    strncmp(src, storage, lst) == 0 && src[lst] == '/' &&
	    strcmp(src + lst + 1, volume) == 0)
		return 1;
	b = hvcheck_basename(src);
	vb = hvcheck_basename(volume);
	dot = strrchr(b, '.');
	lb = dot != NULL && dot != b ? (size_t)(dot - b) : strlen(b);
	return *vb != '\0' && lb == strlen(vb) && strncmp(b, vb, lb) == 0;
}

/*
 * Disks: each of the domain's sources must stand for a disk of the
 * record, and each disk of the record be stood for. Only when the record
 * names at least one volume: the schema's empty default says nothing.
 */
static int
hvcheck_disks(struct hvcheck *c, const struct hvcheck_rec *r,
    const struct hvcheck_dom *d, char *err)
{
	const json_t	*disks = json_object_get(r->hr_json, "disks"), *x;
	json_t		*attested;
	const char	*src, *vol, *st;
	size_t		 i, j;
	int		 ok = 1, hit;

	if ((attested = json_array()) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	json_array_foreach(disks, i, x)
		if ((vol = json_string_value(json_object_get(x, "volume"))) !=
		    NULL && json_array_append_new(attested, json_string(vol)) ==
		    -1) {
			json_decref(attested);
			err_set(err, "out of memory");
			return -1;
		}
	if (json_array_size(attested) == 0) {
		json_decref(attested);
		return 0;
	}
	/* Every record disk stood for by a source. */
	json_array_foreach(disks, i, x) {
		if ((vol = json_string_value(json_object_get(x, "volume"))) ==
		    NULL)
			continue;
		st = json_string_value(json_object_get(x, "storage"));
		for (hit = 0, j = 0; !hit && j < json_array_size(d->hd_disks);
		    j++)
			hit = hvcheck_disk_match(json_string_value(
			    json_array_get(d->hd_disks, j)), st, vol);
		ok &= hit;
	}
	/* Every source standing for a record disk. */
	for (j = 0; ok && j < json_array_size(d->hd_disks); j++) {
		src = json_string_value(json_array_get(d->hd_disks, j));
		hit = 0;
		json_array_foreach(disks, i, x) {
			if ((vol = json_string_value(json_object_get(x,
			    "volume"))) == NULL)
				continue;
			st = json_string_value(json_object_get(x, "storage"));
			if ((hit = hvcheck_disk_match(src, st, vol)))
				break;
		}
		ok &= hit;
	}
	if (ok) {
		json_decref(attested);
		return 0;
	}
	if (strings_sort(attested, 0) == -1) {
		json_decref(attested);
		err_set(err, "out of memory");
		return -1;
	}
	return hvcheck_add(c, json_pack("{s:s, s:s, s:s, s:s, s:o, s:O}",
	    "kind", "disk-mismatch", "panel", r->hr_panel, "node",
	    d->hd_node->hn_node, "id", r->hr_id, "attested", attested,
	    "observed", d->hd_disks), err);
}

/* What a matched pair disagrees on. */
static int
hvcheck_pair(struct hvcheck *c, const struct hvcheck_rec *r,
    const struct hvcheck_dom *d, char *err)
{
	const char	*node = d->hd_node->hn_node;

	if (r->hr_node != NULL && strcmp(r->hr_node, node) != 0 &&
	    hvcheck_add(c, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
	    "wrong-node", "panel", r->hr_panel, "id", r->hr_id, "attested",
	    r->hr_node, "observed", node), err) == -1)
		return -1;
	if (r->hr_rfc[0] != '\0' && strcmp(r->hr_rfc, d->hd_uuid) != 0 &&
	    hvcheck_add(c, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
	    "uuid-mismatch", "panel", r->hr_panel, "node", node, "id",
	    r->hr_id, "attested", r->hr_uuid, "observed", d->hd_uuid),
	    err) == -1)
		return -1;
	if (r->hr_macs != NULL && !json_equal(r->hr_macs, d->hd_macs) &&
	    hvcheck_add(c, json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "kind",
	    "mac-mismatch", "panel", r->hr_panel, "node", node, "id",
	    r->hr_id, "attested", r->hr_macs, "observed", d->hd_macs),
	    err) == -1)
		return -1;
	return hvcheck_disks(c, r, d, err);
}

static int
hvcheck_findings(struct hvcheck *c, char *err)
{
	const struct hv_node	*hn;
	struct hvcheck_rec	*r;
	size_t			 i;

	for (i = 0; i < c->hc_ndoms; i++) {
		if (c->hc_doms[i].hd_match == NULL) {
			if (hvcheck_hidden(c, &c->hc_doms[i], err) == -1)
				return -1;
		} else if (hvcheck_pair(c, c->hc_doms[i].hd_match,
		    &c->hc_doms[i], err) == -1)
			return -1;
	}
	/* Only records on a node that was configured and answered. */
	for (i = 0; i < c->hc_nrecs; i++) {
		r = &c->hc_recs[i];
		if (r->hr_match != NULL || r->hr_node == NULL ||
		    (hn = hvcheck_node(c, r->hr_panel, r->hr_node)) == NULL ||
		    hn->hn_domains == NULL)
			continue;
		if (hvcheck_add(c, json_pack("{s:s, s:s, s:s, s:s}", "kind",
		    "missing-domain", "panel", r->hr_panel, "node", r->hr_node,
		    "id", r->hr_id), err) == -1)
			return -1;
	}
	for (i = 0; i < c->hc_nnodes; i++) {
		hn = &c->hc_nodes[i];
		if (hn->hn_domains == NULL && hvcheck_add(c, json_pack(
		    "{s:s, s:s, s:s, s:s}", "kind", "node-unreachable", "panel",
		    hn->hn_panel, "node", hn->hn_node, "reason",
		    hn->hn_error != NULL ? hn->hn_error : "unreachable"),
		    err) == -1)
			return -1;
	}
	return 0;
}

/* A finding's sort key: kind, panel, node, then id or the domain's uuid. */
static const char *
hvcheck_field(const json_t *f, const char *k)
{
	const char	*s = json_string_value(json_object_get(f, k));

	if (s == NULL && strcmp(k, "id") == 0)
		s = json_string_value(json_object_get(json_object_get(f,
		    "domain"), "uuid"));
	return s != NULL ? s : "";
}

static int
hvcheck_finding_cmp(const void *a, const void *b)
{
	const json_t	*x = *(const json_t *const *)a;
	const json_t	*y = *(const json_t *const *)b;
	static const char *const keys[] = { "kind", "panel", "node", "id" };
	size_t		 i;
	int		 d;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((d = strcmp(hvcheck_field(x, keys[i]),
		    hvcheck_field(y, keys[i]))) != 0)
			return d;
	return 0;
}

static int
hvcheck_node_cmp(const void *a, const void *b)
{
	const json_t	*x = *(const json_t *const *)a;
	const json_t	*y = *(const json_t *const *)b;
	int		 d;

	if ((d = strcmp(hvcheck_field(x, "panel"), hvcheck_field(y,
	    "panel"))) != 0)
		return d;
	return strcmp(hvcheck_field(x, "node"), hvcheck_field(y, "node"));
}

static json_t *
hvcheck_nodes(const struct hvcheck *c)
{
	const struct hv_node	*hn;
	json_t			*arr, *o;
	size_t			 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < c->hc_nnodes; i++) {
		hn = &c->hc_nodes[i];
		if (hn->hn_domains != NULL)
			o = json_pack("{s:s, s:s, s:I, s:n}", "panel",
			    hn->hn_panel, "node", hn->hn_node, "domains",
			    (json_int_t)json_array_size(hn->hn_domains),
			    "error");
		else
			o = json_pack("{s:s, s:s, s:n, s:s}", "panel",
			    hn->hn_panel, "node", hn->hn_node, "domains",
			    "error", hn->hn_error != NULL ? hn->hn_error :
			    "unreachable");
		if (json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	if (array_sort(arr, hvcheck_node_cmp) == -1) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static void
hvcheck_clear(struct hvcheck *c)
{
	size_t	 i;

	for (i = 0; i < c->hc_ndoms; i++) {
		json_decref(c->hc_doms[i].hd_macs);
		json_decref(c->hc_doms[i].hd_disks);
	}
	free(c->hc_doms);
	for (i = 0; i < c->hc_nrecs; i++)
		json_decref(c->hc_recs[i].hr_macs);
	free(c->hc_recs);
	json_decref(c->hc_findings);
	json_decref(c->hc_disclosures);
}

/*
 * Compare the domains of the n configured hypervisors (nodes; a NULL
 * hn_domains: unreachable, hn_error says why) with records, the redacted
 * records of every panel that has hypervisors (borrowed). Returns the
 * details as a new object:
 *   {"type": HVCHECK_TYPE, "nodes": [...], "findings": [...]}
 * sorted as described at the top of this file. A hidden VM's name is
 * committed with k; the disclosures go into *disclosures (when not
 * NULL), a new array, empty when there is none. Returns NULL with a
 * reason for input that is not as described, or out of memory.
 */
json_t *
hvcheck_details(const struct hv_node *nodes, size_t n, const json_t *records,
    const struct keys *k, json_t **disclosures, char *err)
{
	struct hvcheck	 c;
	json_t		*out = NULL, *jn;

	if (disclosures != NULL)
		*disclosures = NULL;
	memset(&c, 0, sizeof(c));
	c.hc_nodes = nodes;
	c.hc_nnodes = n;
	c.hc_keys = k;
	if ((c.hc_findings = json_array()) == NULL ||
	    (c.hc_disclosures = json_array()) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	if (hvcheck_load_nodes(&c, err) == -1 ||
	    hvcheck_load_records(&c, records, err) == -1)
		goto done;
	if (hvcheck_match(&c, HVCHECK_BY_UUID) == -1 ||
	    hvcheck_match(&c, HVCHECK_BY_NAME) == -1 ||
	    hvcheck_match(&c, HVCHECK_BY_MAC) == -1) {
		err_set(err, "out of memory");
		goto done;
	}
	if (hvcheck_findings(&c, err) == -1)
		goto done;
	if (array_sort(c.hc_findings, hvcheck_finding_cmp) == -1 ||
	    strings_sort(c.hc_disclosures, 0) == -1 ||
	    (jn = hvcheck_nodes(&c)) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	out = json_pack("{s:s, s:o, s:O}", "type", HVCHECK_TYPE, "nodes", jn,
	    "findings", c.hc_findings);
	if (out == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	if (disclosures != NULL)
		*disclosures = json_incref(c.hc_disclosures);
done:
	hvcheck_clear(&c);
	return out;
}

/*
 * The counts of details (borrowed) for the snapshot's summary: a new
 * object {"nodes", "domains", and one count per kind of finding}. The
 * caller adds the details' hash. NULL when details is not an object with
 * "nodes" and "findings" arrays, or out of memory.
 */
json_t *
hvcheck_counts(const json_t *details)
{
	const json_t	*nodes, *findings, *x;
	json_t		*out, *v;
	const char	*kind;
	json_int_t	 domains = 0;
	size_t		 i;

	nodes = json_object_get(details, "nodes");
	findings = json_object_get(details, "findings");
	if (!json_is_array(nodes) || !json_is_array(findings))
		return NULL;
	json_array_foreach(nodes, i, x)
		domains += json_integer_value(json_object_get(x, "domains"));
	if ((out = json_pack("{s:I, s:I}", "nodes",
	    (json_int_t)json_array_size(nodes), "domains", domains)) == NULL)
		return NULL;
	for (i = 0; i < sizeof(hvcheck_kinds) / sizeof(hvcheck_kinds[0]); i++)
		if (json_object_set_new(out, hvcheck_kinds[i],
		    json_integer(0)) == -1)
			goto fail;
	json_array_foreach(findings, i, x) {
		kind = json_string_value(json_object_get(x, "kind"));
		if (kind == NULL || (v = json_object_get(out, kind)) == NULL ||
		    strcmp(kind, "nodes") == 0 || strcmp(kind, "domains") == 0)
			goto fail;
		if (json_integer_set(v, json_integer_value(v) + 1) == -1)
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}
