/*
 * inventory.c: one panel's records as the hoster may see them. Built once
 * per refresh: each normalized record goes through the panel's policy, is
 * serialized once, and its visible addresses go into lookup indexes, so
 * that a request costs a hash lookup and a copy, never a scan or a policy
 * run. Only addresses that survive the policy are indexed: a lookup never
 * reveals more than a listing would.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sightline.h"

#define INV_DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

struct inv_slot {
	char		*is_key;	/* NULL: empty */
	size_t		*is_recs;	/* indexes into inv_recs */
	size_t		 is_n;
};

struct inv_index {
	struct inv_slot	*ix_slots;
	size_t		 ix_size;	/* a power of two */
	size_t		 ix_used;
};

static uint64_t
inv_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct inv_index *
inv_index_new(size_t expect)
{
	struct inv_index	*ix;
	size_t			 size = 16;

	while (size < expect * 2)
		size *= 2;
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return NULL;
	if ((ix->ix_slots = calloc(size, sizeof(*ix->ix_slots))) == NULL) {
		free(ix);
		return NULL;
	}
	ix->ix_size = size;
	return ix;
}

static void
inv_index_free(struct inv_index *ix)
{
	size_t	 i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->ix_size; i++) {
		free(ix->ix_slots[i].is_key);
		free(ix->ix_slots[i].is_recs);
	}
	free(ix->ix_slots);
	free(ix);
}

static struct inv_slot *
inv_index_slot(const struct inv_index *ix, const char *key)
{
	size_t	 i = (size_t)inv_hash(key) & (ix->ix_size - 1);

	while (ix->ix_slots[i].is_key != NULL &&
	    strcmp(ix->ix_slots[i].is_key, key) != 0)
		i = (i + 1) & (ix->ix_size - 1);
	return &ix->ix_slots[i];
}

static int
inv_index_grow(struct inv_index *ix)
{
	struct inv_index	 bigger;
	struct inv_slot		*s;
	size_t			 i;

	bigger.ix_size = ix->ix_size * 2;
	bigger.ix_used = ix->ix_used;
	if ((bigger.ix_slots = calloc(bigger.ix_size,
	    sizeof(*bigger.ix_slots))) == NULL)
		return -1;
	for (i = 0; i < ix->ix_size; i++) {
		if (ix->ix_slots[i].is_key == NULL)
			continue;
		s = inv_index_slot(&bigger, ix->ix_slots[i].is_key);
		*s = ix->ix_slots[i];
	}
	free(ix->ix_slots);
	*ix = bigger;
	return 0;
}

/* Add record rec under key, once. Returns 0, or -1 when out of memory. */
static int
inv_index_add(struct inv_index *ix, const char *key, size_t rec)
{
	struct inv_slot	*s;
	size_t		*r;

	if ((ix->ix_used + 1) * 2 > ix->ix_size && inv_index_grow(ix) == -1)
		return -1;
	s = inv_index_slot(ix, key);
	if (s->is_key == NULL) {
		if ((s->is_key = strdup(key)) == NULL)
			return -1;
		ix->ix_used++;
	} else if (s->is_n > 0 && s->is_recs[s->is_n - 1] == rec)
		return 0;
	if ((r = reallocarray(s->is_recs, s->is_n + 1, sizeof(*r))) == NULL)
		return -1;
	r[s->is_n++] = rec;
	s->is_recs = r;
	return 0;
}

/*
 * Call fn(arg, kind, address) for each MAC and IP address (canonical, an
 * IP without its prefix) the hoster can see in a redacted record: what
 * lookups find, in the current inventory and in older snapshots alike.
 * Stops at the first call that does not return 0, and returns its value.
 */
int
inventory_addresses(const json_t *red, inventory_address_fn fn, void *arg)
{
	char		 canon[ADDR_IP_LEN], host[ADDR_IP_LEN];
	char		 mac[ADDR_MAC_LEN + 1];
	const char	*s;
	json_t		*ifc, *ip;
	size_t		 j, k;
	int		 rc;

	json_array_foreach(json_object_get(red, "interfaces"), j, ifc) {
		s = json_string_value(json_object_get(ifc, "mac"));
		if (s != NULL && addr_mac_canon(s, mac) == 0 &&
		    (rc = fn(arg, INV_MAC, mac)) != 0)
			return rc;
		json_array_foreach(json_object_get(ifc, "ips"), k, ip) {
			s = json_string_value(ip);
			if (s == NULL || addr_ip_canon(s, canon, sizeof(canon),
			    ADDR_PREFIX_OK) == -1)
				continue;
			addr_ip_host(canon, host, sizeof(host));
			if ((rc = fn(arg, INV_IP, host)) != 0)
				return rc;
		}
	}
	return 0;
}

struct inv_indexing {
	struct inventory	*ii_inv;
	size_t			 ii_rec;
};

/* inventory_address_fn: index one address of a record. */
static int
inv_index_address(void *arg, enum inv_key kind, const char *key)
{
	struct inv_indexing	*ii = arg;

	return inv_index_add(kind == INV_IP ? ii->ii_inv->inv_byip :
	    ii->ii_inv->inv_bymac, key, ii->ii_rec);
}

/* Index the MACs and IP addresses the hoster can see in a redacted record. */
static int
inv_index_record(struct inventory *inv, const json_t *red, size_t i)
{
	struct inv_indexing	 ii = { inv, i };

	return inventory_addresses(red, inv_index_address, &ii);
}

static int
inv_record_cmp(const void *a, const void *b)
{
	const struct inv_record	*ra = a, *rb = b;

	return strcmp(ra->ir_id, rb->ir_id);
}

/* Nodes, with how many records each holds, through the node policy. */
static int
inv_nodes(struct inventory *inv, struct policy *po, char *err)
{
	json_t		*n, *red, *out;
	const char	*name;
	size_t		 i, j, count;

	if ((out = json_array()) == NULL)
		goto oom;
	json_array_foreach(inv->inv_nodes_raw, i, n) {
		name = json_string_value(json_object_get(n, "name"));
		count = 0;
		for (j = 0; name != NULL && j < inv->inv_nrecs; j++)
			if (inv->inv_recs[j].ir_node != NULL &&
			    strcmp(inv->inv_recs[j].ir_node, name) == 0)
				count++;
		json_object_set_new(n, "vps_count", json_integer(
		    (json_int_t)count));
		if (policy_apply(po, &po->po_node, n, NULL, &red, NULL, NULL, err) ==
		    -1) {
			err_prefix(err, "node %s: ", name != NULL ? name : "?");
			json_decref(out);
			return -1;
		}
		if (red != NULL && json_array_append_new(out, red) == -1)
			goto oom;
	}
	inv->inv_nodes = out;
	if ((inv->inv_nodes_json = canon_dump(out, &inv->inv_nodes_len,
	    err)) == NULL) {
		err_prefix(err, "nodes: ");
		return -1;
	}
	return 0;
oom:
	err_set(err, "out of memory");
	return -1;
}

/*
 * An inventory being built. A refresh of many VPSes takes a good part
 * of a second to redact and index; done in slices (inventory_step()),
 * it does not hold the event loop, and hoster requests go on being
 * answered from the previous inventory meanwhile.
 */
struct inventory_builder {
	struct inventory	*ib_inv;
	json_t			*ib_records;	/* the trees, until done */
	struct policy		*ib_policy;	/* borrowed */
	size_t			 ib_next;	/* the next record to redact */
};

static struct inventory *
inventory_new(void)
{
	struct inventory	*inv;

	if ((inv = calloc(1, sizeof(*inv))) != NULL)
		inv->inv_refs = 1;
	return inv;
}

/*
 * Begin the inventory of panel from its normalized records and nodes
 * (both stolen), redacted with policy po (borrowed: it must outlive the
 * builder). Returns a new builder (free with inventory_builder_free()),
 * or NULL with a reason.
 */
struct inventory_builder *
inventory_builder_new(const char *panel, json_t *records, json_t *nodes,
    struct policy *po, char *err)
{
	struct inventory_builder *b;
	struct inventory	*inv;
	struct inv_record	*r;
	json_t			*rec;
	const char		*id, *node;
	size_t			 i, n = json_array_size(records);

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (inv = b->ib_inv = inventory_new()) == NULL ||
	    (inv->inv_panel = strdup(panel)) == NULL ||
	    (n > 0 && (inv->inv_recs = calloc(n, sizeof(*r))) == NULL) ||
	    (inv->inv_byip = inv_index_new(n * 2)) == NULL ||
	    (inv->inv_bymac = inv_index_new(n * 2)) == NULL) {
		err_set(err, "out of memory");
		json_decref(records);
		json_decref(nodes);
		inventory_builder_free(b);
		return NULL;
	}
	b->ib_records = records;
	b->ib_policy = po;
	inv->inv_nodes_raw = nodes;
	strlcpy(inv->inv_policy, po->po_digest, sizeof(inv->inv_policy));
	json_array_foreach(records, i, rec) {
		r = &inv->inv_recs[inv->inv_nrecs++];
		r->ir_tree = rec;
		if ((id = json_string_value(json_object_get(rec, "id"))) ==
		    NULL) {
			err_set(err, "a record has no id");
			goto fail;
		}
		node = json_string_value(json_object_get(rec, "node"));
		if ((r->ir_id = strdup(id)) == NULL ||
		    (node != NULL && (r->ir_node = strdup(node)) == NULL)) {
			err_set(err, "out of memory");
			goto fail;
		}
	}
	/* A panel with no VPS at all has no array: qsort(NULL, 0) is UB. */
	if (inv->inv_nrecs > 0)
		qsort(inv->inv_recs, inv->inv_nrecs, sizeof(*r),
		    inv_record_cmp);
	for (i = 1; i < inv->inv_nrecs; i++)
		if (strcmp(inv->inv_recs[i].ir_id,
		    inv->inv_recs[i - 1].ir_id) == 0) {
			err_set(err, "two records have the id %s",
			    inv->inv_recs[i].ir_id);
			goto fail;
		}
	return b;
fail:
	inventory_builder_free(b);
	return NULL;
}

/* policy_trace_fn: the committed fields of a record, as [[path, value]]. */
static void
inv_trace_commit(void *arg, const char *path, const char *action,
    const json_t *v)
{
	if (strncmp(action, "commit", 6) == 0)
		json_array_append_new(arg, json_pack("[s, O]", path, v));
}

/*
 * The disclosures of record r, whose committed fields the policy listed
 * in commits, into r->ir_disclosures (a JSON array of strings, or NULL
 * when there is none): what `sightline disclose --state` opens later.
 * Each must open a digest of red, the redacted record, or the record
 * fails: a disclosure that opens nothing would be worthless in court.
 */
static int
inv_disclosures(struct inv_record *r, const struct keys *keys,
    const json_t *commits, const json_t *red, char *err)
{
	json_t		*list, *c;
	const char	*path, *name;
	char		*d, digest[COMMIT_DIGEST_MAX], where[POLICY_PATH_MAX];
	size_t		 k;

	if (json_array_size(commits) == 0)
		return 0;
	if ((list = json_array()) == NULL)
		goto oom;
	json_array_foreach(commits, k, c) {
		path = json_string_value(json_array_get(c, 0));
		name = strrchr(path, '.') != NULL ? strrchr(path, '.') + 1 : path;
		if (commit_make(keys, r->ir_id, path, name, json_array_get(c, 1),
		    &d, digest, err) == -1) {
			json_decref(list);
			return -1;
		}
		where[0] = '\0';
		if (commit_find(red, digest, where, sizeof(where)) == NULL) {
			free(d);
			json_decref(list);
			err_set(err, "the disclosure of %s opens no digest of the "
			    "record", path);
			return -1;
		}
		if (json_array_append_new(list, json_string(d)) == -1) {
			free(d);
			json_decref(list);
			goto oom;
		}
		free(d);
	}
	r->ir_disclosures = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (r->ir_disclosures == NULL)
		goto oom;
	return 0;
oom:
	err_set(err, "out of memory");
	return -1;
}

/*
 * Redact, serialize and index up to max more records; after the last,
 * the nodes. Returns 1 when the inventory is complete, 0 when there is
 * more to do, or -1 with a reason: one record the policy fails on fails
 * the whole inventory, so nothing unredacted can slip through.
 */
int
inventory_step(struct inventory_builder *b, size_t max, char *err)
{
	struct inventory	*inv = b->ib_inv;
	struct policy		*po = b->ib_policy;
	struct inv_record	*r;
	json_t			*red, *commits;
	size_t			 i;

	for (i = b->ib_next; i < inv->inv_nrecs && max > 0; i++, max--) {
		r = &inv->inv_recs[i];
		if ((commits = json_array()) == NULL)
			goto oom;
		if (policy_apply(po, &po->po_record, r->ir_tree, NULL, &red,
		    inv_trace_commit, commits, err) == -1) {
			json_decref(commits);
			err_prefix(err, "record %s: ", r->ir_id);
			return -1;
		}
		if (red == NULL && (red = json_object()) == NULL) {
			json_decref(commits);
			goto oom;
		}
		if (inv_disclosures(r, po->po_keys, commits, red, err) == -1) {
			json_decref(commits);
			json_decref(red);
			err_prefix(err, "record %s: ", r->ir_id);
			return -1;
		}
		json_decref(commits);
		/*
		 * What is served, hashed and signed is the record's RFC 8785
		 * form: anyone can reproduce its bytes from its contents. The
		 * normalized record is kept serialized too (a reload's new
		 * policy needs it): as a tree it takes three times the room.
		 */
		if ((r->ir_json = canon_dump(red, &r->ir_len, err)) == NULL) {
			json_decref(red);
			err_prefix(err, "record %s: ", r->ir_id);
			return -1;
		}
		/* Its leaf in the snapshot's Merkle tree. */
		merkle_leaf_hash(r->ir_json, r->ir_len, r->ir_hash);
		r->ir_raw = json_dumps(r->ir_tree, INV_DUMP_FLAGS);
		if (r->ir_raw == NULL || inv_index_record(inv, red, i) == -1) {
			json_decref(red);
			goto oom;
		}
		r->ir_tree = NULL;
		json_decref(red);
	}
	b->ib_next = i;
	if (i < inv->inv_nrecs)
		return 0;
	json_decref(b->ib_records);
	b->ib_records = NULL;
	if (inv_nodes(inv, po, err) == -1)
		return -1;
	inv->inv_time = time(NULL);
	return 1;
oom:
	err_set(err, "out of memory");
	return -1;
}

/* The complete inventory (inventory_step() returned 1), taken over. */
struct inventory *
inventory_builder_take(struct inventory_builder *b)
{
	struct inventory	*inv = b->ib_inv;

	b->ib_inv = NULL;
	return inv;
}

void
inventory_builder_free(struct inventory_builder *b)
{
	if (b == NULL)
		return;
	json_decref(b->ib_records);
	inventory_unref(b->ib_inv);
	free(b);
}

/*
 * The whole inventory at once (a reload's new policy on the current
 * records, tests): inventory_builder_new(), then every step. Returns a
 * new inventory (one reference: drop it with inventory_unref()), or NULL
 * with a reason.
 */
struct inventory *
inventory_build(const char *panel, json_t *records, json_t *nodes,
    struct policy *po, char *err)
{
	struct inventory_builder *b;
	struct inventory	*inv = NULL;

	if ((b = inventory_builder_new(panel, records, nodes, po, err)) ==
	    NULL)
		return NULL;
	if (inventory_step(b, SIZE_MAX, err) == 1)
		inv = inventory_builder_take(b);
	inventory_builder_free(b);
	return inv;
}

/*
 * A snapshot keeps the inventories it was taken from after their panel
 * moved on to newer ones: an inventory lives while someone holds it.
 */
struct inventory *
inventory_ref(struct inventory *inv)
{
	inv->inv_refs++;
	return inv;
}

void
inventory_unref(struct inventory *inv)
{
	size_t	 i;

	if (inv == NULL || --inv->inv_refs > 0)
		return;
	for (i = 0; i < inv->inv_nrecs; i++) {
		free(inv->inv_recs[i].ir_id);
		free(inv->inv_recs[i].ir_node);
		free(inv->inv_recs[i].ir_raw);
		free(inv->inv_recs[i].ir_json);
		free(inv->inv_recs[i].ir_disclosures);
	}
	free(inv->inv_recs);
	json_decref(inv->inv_nodes);
	json_decref(inv->inv_nodes_raw);
	free(inv->inv_nodes_json);
	inv_index_free(inv->inv_byip);
	inv_index_free(inv->inv_bymac);
	free(inv->inv_panel);
	free(inv);
}

/* The record with this id, or NULL. */
const struct inv_record *
inventory_find(const struct inventory *inv, const char *id)
{
	struct inv_record	 key;

	key.ir_id = (char *)(uintptr_t)id;	/* only compared */
	return bsearch(&key, inv->inv_recs, inv->inv_nrecs,
	    sizeof(*inv->inv_recs), inv_record_cmp);
}

/*
 * The records holding address key (canonical: an IP without prefix, or a
 * MAC). Fills out with up to max borrowed records; returns how many there
 * are in all.
 */
size_t
inventory_lookup(const struct inventory *inv, enum inv_key kind,
    const char *key, const struct inv_record **out, size_t max)
{
	const struct inv_slot	*s;
	size_t			 i;

	s = inv_index_slot(kind == INV_IP ? inv->inv_byip : inv->inv_bymac,
	    key);
	if (s->is_key == NULL)
		return 0;
	for (i = 0; i < s->is_n && i < max; i++)
		out[i] = &inv->inv_recs[s->is_recs[i]];
	return s->is_n;
}
