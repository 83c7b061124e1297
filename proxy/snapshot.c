/*
 * snapshot.c: the deployment's history. At start, every
 * snapshots.interval seconds and after a hoster's ?fresh=1, every panel
 * is refreshed; when all of them succeeded, their records (redacted,
 * RFC 8785, sorted by id) become a snapshot: the leaves of a Merkle tree
 * whose root goes, with the snapshot's summary, into the next leaf of the
 * log (store.c), whose head is a signed checkpoint. The /v1 answers come
 * from a snapshot, so that every record a hoster is shown can be proven
 * to be in the log.
 *
 * A snapshot that cannot be taken (a panel down, a policy error, a full
 * disk) is not appended: the failure is logged and counted, and the
 * previous snapshot stays current, its age visible.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "sightline.h"

/*
 * A failed snapshot is tried again after SNAPSHOT_RETRY_MIN seconds,
 * doubling up to SNAPSHOT_RETRY_MAX (never later than the interval): a
 * panel that comes up after sightlined is seen within a second, a panel
 * that is down is not hammered.
 */
#define SNAPSHOT_RETRY_MIN	1
#define SNAPSHOT_RETRY_MAX	30
#define SNAPSHOT_DAY		86400

/* One refresh of every panel, and the snapshot that follows it. */
struct snapshot_round {
	TAILQ_ENTRY(snapshot_round) ro_entry;
	struct state		*ro_state;	/* a reference */
	int			 ro_waiting;	/* panels still refreshing */
	int			 ro_periodic;	/* reschedules the timer */
	snapshot_done_fn	 ro_cb;
	void			*ro_arg;
	struct hvlist		*ro_hv;		/* hypervisors being listed */
};

/* A round's hypervisor cross-check, for the snapshot it may make. */
struct snapshot_check {
	char		*sc_body;	/* the details, RFC 8785 */
	size_t		 sc_len;
	char		*sc_disclosures;	/* JSON array, or NULL */
	json_t		*sc_counts;	/* for the summary */
};

static struct {
	struct event_base	*sr_base;
	struct store		*sr_store;
	struct keys		*sr_keys;	/* a reference: the store borrows
						   them past any reload */
	struct event		*sr_timer;
	double			 sr_interval;
	int			 sr_keep_days;
	uint64_t		 sr_pruned;	/* records kept from this seq on */
	struct state		*sr_state;	/* a reference */
	struct snapshot		*sr_current;	/* a reference, or NULL */
	struct snapshot		*sr_cached;	/* the last older one asked for */
	double			 sr_retry;	/* the last retry delay, 0 if ok */
	char			 sr_error[ERR_MAX];	/* the last failure, "" */
	TAILQ_HEAD(, snapshot_round) sr_rounds;
} the_snap = { .sr_rounds = TAILQ_HEAD_INITIALIZER(the_snap.sr_rounds) };

static void	snapshot_round_start(int, snapshot_done_fn, void *);
static int	snapshot_find_pruned(char *);

/* ---- struct snapshot ---- */

static int
snapshot_rec_cmp(const void *a, const void *b)
{
	const struct snapshot_rec	*ra = a, *rb = b;

	return strcmp(ra->sr_id, rb->sr_id);
}

/* The tree over sn's records, and its root checked against want. */
static int
snapshot_tree(struct snapshot *sn, const uint8_t *want, char *err)
{
	uint8_t		(*leaves)[MERKLE_HASH_LEN];
	size_t		 i;

	if ((leaves = calloc(sn->sn_nrecs + 1, sizeof(*leaves))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < sn->sn_nrecs; i++)
		memcpy(leaves[i], sn->sn_recs[i].sr_hash, MERKLE_HASH_LEN);
	sn->sn_tree = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves,
	    sn->sn_nrecs, err);
	free(leaves);
	if (sn->sn_tree == NULL || merkle_root(sn->sn_nrecs, merkle_tree_read,
	    sn->sn_tree, sn->sn_root, err) == -1)
		return -1;
	if (want != NULL && !crypto_memeq(want, sn->sn_root, MERKLE_HASH_LEN)) {
		err_set(err, "the records of snapshot %llu do not hash to its "
		    "root", (unsigned long long)sn->sn_seq);
		return -1;
	}
	return 0;
}

struct snapshot *
snapshot_ref(struct snapshot *sn)
{
	sn->sn_refs++;
	return sn;
}

void
snapshot_unref(struct snapshot *sn)
{
	size_t	 i;

	if (sn == NULL || --sn->sn_refs > 0)
		return;
	for (i = 0; i < sn->sn_ninv; i++)
		inventory_unref(sn->sn_inv[i]);
	free(sn->sn_inv);
	store_records_free(sn->sn_stored, sn->sn_nstored);
	free(sn->sn_recs);
	merkle_tree_free(sn->sn_tree);
	free(sn->sn_summary);
	free(sn->sn_check);
	free(sn);
}

/*
 * The summary read back must say what its records are: its seq, count
 * and root. The log leaf binds the summary; this binds the records to it.
 */
static int
snapshot_check_summary(const struct snapshot *sn, char *err)
{
	json_t		*s;
	char		 root[B64_LEN(MERKLE_HASH_LEN) + 1];
	int		 ok;

	if ((s = json_loadb(sn->sn_summary, sn->sn_summary_len, 0,
	    NULL)) == NULL) {
		err_set(err, "the summary of snapshot %llu is not JSON",
		    (unsigned long long)sn->sn_seq);
		return -1;
	}
	b64_encode(sn->sn_root, MERKLE_HASH_LEN, B64_STD, root);
	ok = json_integer_value(json_object_get(s, "seq")) ==
	    (json_int_t)sn->sn_seq &&
	    json_integer_value(json_object_get(s, "records")) ==
	    (json_int_t)sn->sn_nrecs &&
	    json_string_value(json_object_get(s, "root")) != NULL &&
	    strcmp(json_string_value(json_object_get(s, "root")), root) == 0;
	json_decref(s);
	if (!ok) {
		err_set(err, "the summary of snapshot %llu does not match its "
		    "records (seq, count or root)",
		    (unsigned long long)sn->sn_seq);
		return -1;
	}
	return 0;
}

/* A stored snapshot, read back: new, or NULL with a reason and status. */
static struct snapshot *
snapshot_load(uint64_t seq, int *status, char *err)
{
	struct store_snapshot	 ss;
	struct snapshot		*sn;
	size_t			 i;

	*status = 500;
	if (seq >= store_size(the_snap.sr_store)) {
		*status = 404;
		err_set(err, "no snapshot %llu: the log holds %llu",
		    (unsigned long long)seq,
		    (unsigned long long)store_size(the_snap.sr_store));
		return NULL;
	}
	if (store_snapshot(the_snap.sr_store, seq, &ss, err) == -1)
		return NULL;
	if (ss.ss_pruned) {
		*status = 410;
		err_set(err, "the records of snapshot %llu were pruned "
		    "(snapshots.keep_days); its summary stays in the log",
		    (unsigned long long)seq);
		store_snapshot_clear(&ss);
		return NULL;
	}
	if ((sn = calloc(1, sizeof(*sn))) == NULL) {
		store_snapshot_clear(&ss);
		err_set(err, "out of memory");
		return NULL;
	}
	sn->sn_refs = 1;
	sn->sn_seq = seq;
	sn->sn_time = ss.ss_time;
	sn->sn_summary = ss.ss_summary;
	sn->sn_summary_len = ss.ss_len;
	ss.ss_summary = NULL;
	if (store_records(the_snap.sr_store, seq, &sn->sn_stored,
	    &sn->sn_nstored, err) == -1)
		goto fail;
	if ((sn->sn_recs = calloc(sn->sn_nstored + 1,
	    sizeof(*sn->sn_recs))) == NULL) {
		err_set(err, "out of memory");
		goto fail;
	}
	for (i = 0; i < sn->sn_nstored; i++) {
		sn->sn_recs[i].sr_id = sn->sn_stored[i].sr_id;
		sn->sn_recs[i].sr_body = sn->sn_stored[i].sr_body;
		sn->sn_recs[i].sr_len = sn->sn_stored[i].sr_len;
		sn->sn_recs[i].sr_hash = sn->sn_stored[i].sr_hash;
	}
	sn->sn_nrecs = sn->sn_nstored;
	if (snapshot_tree(sn, ss.ss_root, err) == -1 ||
	    snapshot_check_summary(sn, err) == -1 ||
	    store_crosscheck(the_snap.sr_store, seq, &sn->sn_check,
	    &sn->sn_check_len, err) == -1)
		goto fail;
	store_snapshot_clear(&ss);
	return sn;
fail:
	store_snapshot_clear(&ss);
	snapshot_unref(sn);
	return NULL;
}

/*
 * Snapshot seq: the current one, or one read back from the store (the
 * last one asked for is kept). Returns a new reference, or NULL with a
 * reason and an HTTP status (404 unknown, 410 pruned, 500).
 */
struct snapshot *
snapshot_at(uint64_t seq, int *status, char *err)
{
	struct snapshot	*sn;

	if (the_snap.sr_current != NULL && the_snap.sr_current->sn_seq == seq)
		return snapshot_ref(the_snap.sr_current);
	if (the_snap.sr_cached != NULL && the_snap.sr_cached->sn_seq == seq)
		return snapshot_ref(the_snap.sr_cached);
	if ((sn = snapshot_load(seq, status, err)) == NULL)
		return NULL;
	snapshot_unref(the_snap.sr_cached);
	the_snap.sr_cached = snapshot_ref(sn);
	return sn;
}

/* The current snapshot, borrowed; NULL before the first one. */
struct snapshot *
snapshot_current(void)
{
	return the_snap.sr_current;
}

struct store *
snapshot_store(void)
{
	return the_snap.sr_store;
}

/* The index of record id in sn, or -1. */
ssize_t
snapshot_find(const struct snapshot *sn, const char *id)
{
	struct snapshot_rec	 key, *r;

	key.sr_id = id;
	r = bsearch(&key, sn->sn_recs, sn->sn_nrecs, sizeof(*r),
	    snapshot_rec_cmp);
	return r == NULL ? -1 : r - sn->sn_recs;
}

struct snapshot_wanted {
	enum inv_key	 sw_kind;
	const char	*sw_key;
};

/* inventory_address_fn: 1 (stop) at the address looked up. */
static int
snapshot_is_wanted(void *arg, enum inv_key kind, const char *key)
{
	const struct snapshot_wanted	*sw = arg;

	return kind == sw->sw_kind && strcmp(key, sw->sw_key) == 0;
}

static int
snapshot_index_cmp(const void *a, const void *b)
{
	size_t	 x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The records of sn holding address key: fills idx with up to max record
 * indexes, in id order, and returns how many there are in all. The
 * current snapshot answers from its inventories' indexes (panel by
 * panel, so sorted after); an older one is read record by record.
 */
size_t
snapshot_lookup(const struct snapshot *sn, enum inv_key kind, const char *key,
    size_t *idx, size_t max)
{
	const struct inv_record	*found[SNAPSHOT_LOOKUP_MAX];
	struct snapshot_wanted	 sw = { kind, key };
	json_t			*rec;
	ssize_t			 at;
	size_t			 i, j, n, total = 0;

	if (sn->sn_ninv > 0) {
		for (i = 0; i < sn->sn_ninv; i++) {
			n = inventory_lookup(sn->sn_inv[i], kind, key, found,
			    SNAPSHOT_LOOKUP_MAX);
			for (j = 0; j < n && j < SNAPSHOT_LOOKUP_MAX; j++) {
				if ((at = snapshot_find(sn, found[j]->ir_id)) ==
				    -1)
					continue;
				if (total < max)
					idx[total] = (size_t)at;
				total++;
			}
		}
		if (total > 1)
			qsort(idx, total < max ? total : max, sizeof(*idx),
			    snapshot_index_cmp);
		return total;
	}
	for (i = 0; i < sn->sn_nrecs; i++) {
		rec = json_loadb(sn->sn_recs[i].sr_body, sn->sn_recs[i].sr_len,
		    0, NULL);
		if (rec != NULL && inventory_addresses(rec, snapshot_is_wanted,
		    &sw) == 1) {
			if (total < max)
				idx[total] = i;
			total++;
		}
		json_decref(rec);
	}
	return total;
}

/* ---- taking a snapshot ---- */

/*
 * store_disclose_fn: the disclosures of record i, made when its inventory
 * was built (inventory.c), for the store to keep with the record.
 */
static int
snapshot_disclose(void *arg, size_t i, char **out, char *err)
{
	const struct snapshot	*sn = arg;
	const char		*d = sn->sn_recs[i].sr_ir->ir_disclosures;

	*out = NULL;
	if (d != NULL && (*out = strdup(d)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* The log leaf of snapshot sn, taken from the panels of st. */
static char *
snapshot_summary(const struct snapshot *sn, const struct state *st,
    const struct snapshot_check *chk, size_t *len, char *err)
{
	json_t		*s, *panels, *p;
	char		 root[B64_LEN(MERKLE_HASH_LEN) + 1];
	char		*out;
	size_t		 i;

	b64_encode(sn->sn_root, MERKLE_HASH_LEN, B64_STD, root);
	if ((panels = json_array()) == NULL)
		goto oom;
	for (i = 0; i < st->st_npanels; i++) {
		const struct panel	*pa = st->st_panels[i];

		p = json_pack("{s:s, s:s, s:I, s:s}", "name",
		    pa->pa_conf->pc_name, "plugin", pa->pa_plugin->pl_name,
		    "records", (json_int_t)pa->pa_inv->inv_nrecs,
		    "policy_sha256", pa->pa_inv->inv_policy);
		if (json_array_append_new(panels, p) == -1)
			goto oom;
	}
	s = json_pack("{s:s, s:I, s:I, s:I, s:s, s:o}", "type", SNAPSHOT_TYPE,
	    "seq", (json_int_t)sn->sn_seq, "time", (json_int_t)sn->sn_time,
	    "records", (json_int_t)sn->sn_nrecs, "root", root, "panels",
	    panels);
	if (s == NULL)
		goto oom;
	if (chk != NULL && json_object_set(s, "crosscheck", chk->sc_counts) ==
	    -1) {
		json_decref(s);
		err_set(err, "out of memory");
		return NULL;
	}
	out = canon_dump(s, len, err);
	json_decref(s);
	return out;
oom:
	json_decref(panels);
	err_set(err, "out of memory");
	return NULL;
}

/* Forget the records of snapshots older than snapshots.keep_days. */
static void
snapshot_prune(int64_t now)
{
	struct store_snapshot	 ss;
	int64_t			 cutoff;
	uint64_t		 lo, hi, mid;
	char			 err[ERR_MAX];

	if (the_snap.sr_keep_days == 0)
		return;
	cutoff = now - (int64_t)the_snap.sr_keep_days * SNAPSHOT_DAY;
	/* The first snapshot taken at or after the cutoff: a bisection. */
	lo = the_snap.sr_pruned;
	hi = store_size(the_snap.sr_store) - 1;	/* the current one stays */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (store_snapshot(the_snap.sr_store, mid, &ss, err) == -1) {
			log_warnx("snapshots: pruning: %s", err);
			return;
		}
		if (ss.ss_time < cutoff)
			lo = mid + 1;
		else
			hi = mid;
		store_snapshot_clear(&ss);
	}
	if (lo <= the_snap.sr_pruned)
		return;
	if (store_prune(the_snap.sr_store, lo, err) == -1) {
		log_warnx("snapshots: pruning: %s", err);
		return;
	}
	log_info("snapshots: records of snapshots before %llu pruned "
	    "(keep_days %d)", (unsigned long long)lo, the_snap.sr_keep_days);
	the_snap.sr_pruned = lo;
}

/*
 * Take a snapshot of st's inventories and append it to the log. Returns
 * 0, or -1 with a reason; the current snapshot is replaced only when the
 * new one is committed.
 */
static int
snapshot_take(struct state *st, const struct snapshot_check *chk, char *err)
{
	struct store_check		 stc, *stcp = NULL;
	struct snapshot			*sn;
	struct store_rec		*sr = NULL;
	struct snapshot_rec		*r;
	double				 start = mono_now();
	size_t				 i, j, n = 0, k;
	int				 rc = -1;

	for (i = 0; i < st->st_npanels; i++)
		n += st->st_panels[i]->pa_inv->inv_nrecs;
	if ((sn = calloc(1, sizeof(*sn))) == NULL ||
	    (sn->sn_inv = calloc(st->st_npanels + 1,
	    sizeof(*sn->sn_inv))) == NULL ||
	    (sn->sn_recs = calloc(n + 1, sizeof(*sn->sn_recs))) == NULL ||
	    (sr = calloc(n + 1, sizeof(*sr))) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	sn->sn_refs = 1;
	for (i = 0; i < st->st_npanels; i++) {
		struct inventory	*inv = st->st_panels[i]->pa_inv;

		sn->sn_inv[sn->sn_ninv++] = inventory_ref(inv);
		for (j = 0; j < inv->inv_nrecs; j++) {
			r = &sn->sn_recs[sn->sn_nrecs++];
			r->sr_id = inv->inv_recs[j].ir_id;
			r->sr_body = inv->inv_recs[j].ir_json;
			r->sr_len = inv->inv_recs[j].ir_len;
			r->sr_hash = inv->inv_recs[j].ir_hash;
			r->sr_ir = &inv->inv_recs[j];
		}
	}
	/* Ids are "panel/native id", unique per panel: sorted, they are too. */
	if (sn->sn_nrecs > 0)
		qsort(sn->sn_recs, sn->sn_nrecs, sizeof(*sn->sn_recs),
		    snapshot_rec_cmp);
	for (k = 0; k < sn->sn_nrecs; k++) {
		r = &sn->sn_recs[k];
		sr[k].sr_id = (char *)(uintptr_t)r->sr_id;	/* borrowed */
		memcpy(sr[k].sr_hash, r->sr_hash, MERKLE_HASH_LEN);
		sr[k].sr_body = (char *)(uintptr_t)r->sr_body;
		sr[k].sr_len = r->sr_len;
	}
	if (snapshot_tree(sn, NULL, err) == -1)
		goto done;
	sn->sn_seq = store_size(the_snap.sr_store);
	sn->sn_time = time(NULL);
	if ((sn->sn_summary = snapshot_summary(sn, st, chk,
	    &sn->sn_summary_len, err)) == NULL)
		goto done;
	if (chk != NULL) {
		stc.sc_body = chk->sc_body;
		stc.sc_len = chk->sc_len;
		stc.sc_disclosures = chk->sc_disclosures;
		stcp = &stc;
		if ((sn->sn_check = strdup(chk->sc_body)) == NULL) {
			err_set(err, "out of memory");
			goto done;
		}
		sn->sn_check_len = chk->sc_len;
	}
	if (store_append(the_snap.sr_store, sn->sn_time, sn->sn_summary,
	    sn->sn_summary_len, sn->sn_root, sr, sn->sn_nrecs,
	    snapshot_disclose, sn, stcp, err) == -1)
		goto done;
	snapshot_unref(the_snap.sr_current);
	the_snap.sr_current = sn;
	sn = NULL;
	metrics_snapshot(1, mono_now() - start, the_snap.sr_current->sn_seq,
	    the_snap.sr_current->sn_time);
	metrics_crosscheck(chk != NULL ? chk->sc_counts : NULL);
	log_info("snapshot %llu: %zu records committed in %.3f s",
	    (unsigned long long)the_snap.sr_current->sn_seq,
	    the_snap.sr_current->sn_nrecs, mono_now() - start);
	snapshot_prune(the_snap.sr_current->sn_time);
	rc = 0;
done:
	snapshot_unref(sn);
	free(sr);
	return rc;
}

/*
 * Have st's inventories, or what the hypervisors show, moved on since the
 * current snapshot?
 */
static int
snapshot_changed(const struct state *st, const struct snapshot_check *chk)
{
	const struct snapshot	*cur = the_snap.sr_current;
	size_t			 i;

	if (cur == NULL || cur->sn_ninv != st->st_npanels)
		return 1;
	if ((chk == NULL) != (cur->sn_check == NULL))
		return 1;
	if (chk != NULL && (chk->sc_len != cur->sn_check_len ||
	    memcmp(chk->sc_body, cur->sn_check, chk->sc_len) != 0))
		return 1;
	for (i = 0; i < st->st_npanels; i++)
		if (cur->sn_inv[i] != st->st_panels[i]->pa_inv)
			return 1;
	return 0;
}

/* ---- rounds and the timer ---- */

static void
snapshot_schedule(double seconds)
{
	struct timeval	 tv;

	if (the_snap.sr_timer == NULL)
		return;
	if (seconds < 0)
		seconds = 0;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	evtimer_add(the_snap.sr_timer, &tv);
}

static void
snapshot_failed(const char *why)
{
	log_warnx("snapshot failed, the previous one stays current: %s", why);
	strlcpy(the_snap.sr_error, why, sizeof(the_snap.sr_error));
	metrics_snapshot(0, 0, 0, 0);
}

static void
snapshot_check_clear(struct snapshot_check *chk)
{
	free(chk->sc_body);
	free(chk->sc_disclosures);
	json_decref(chk->sc_counts);
	memset(chk, 0, sizeof(*chk));
}

/*
 * The hypervisor cross-check of st's records against the domains the
 * nodes listed: details, their disclosures, and the counts (with the
 * details' SHA-256) for the summary. Returns 0, or -1 with a reason.
 */
static int
snapshot_crosscheck(const struct state *st, const struct hv_node *nodes,
    size_t n, struct snapshot_check *chk, char *err)
{
	json_t			*records, *rec, *details = NULL;
	json_t			*disclosures = NULL;
	const struct inventory	*inv;
	uint8_t			 h[SHA256_LEN];
	char			 hex[SHA256_HEX_LEN + 1];
	size_t			 i, j;
	int			 rc = -1;

	memset(chk, 0, sizeof(*chk));
	if ((records = json_array()) == NULL)
		goto oom;
	/* The records as served: what was attested is what is checked. */
	for (i = 0; i < st->st_npanels; i++) {
		if (st->st_panels[i]->pa_conf->pc_nhypers == 0)
			continue;
		inv = st->st_panels[i]->pa_inv;
		for (j = 0; j < inv->inv_nrecs; j++) {
			if ((rec = json_loadb(inv->inv_recs[j].ir_json,
			    inv->inv_recs[j].ir_len, 0, NULL)) == NULL ||
			    json_array_append_new(records, rec) == -1)
				goto oom;
		}
	}
	if ((details = hvcheck_details(nodes, n, records, the_snap.sr_keys,
	    &disclosures, err)) == NULL)
		goto done;
	if ((chk->sc_body = canon_dump(details, &chk->sc_len, err)) == NULL)
		goto done;
	if (disclosures != NULL && json_array_size(disclosures) > 0 &&
	    (chk->sc_disclosures = json_dumps(disclosures, JSON_COMPACT)) ==
	    NULL)
		goto oom;
	crypto_sha256(chk->sc_body, chk->sc_len, h);
	hex_encode(h, SHA256_LEN, hex);
	if ((chk->sc_counts = hvcheck_counts(details)) == NULL ||
	    json_object_set_new(chk->sc_counts, "sha256",
	    json_string(hex)) == -1)
		goto oom;
	rc = 0;
	goto done;
oom:
	err_set(err, "out of memory");
done:
	if (rc == -1)
		snapshot_check_clear(chk);
	json_decref(records);
	json_decref(details);
	json_decref(disclosures);
	return rc;
}

/*
 * The end of a round: snapshot if anything changed (chk: the hypervisor
 * cross-check, NULL without hypervisors), or say why not; reschedule,
 * call back, free the round.
 */
static void
snapshot_round_finish(struct snapshot_round *ro, int ok, char *err,
    const struct snapshot_check *chk)
{
	struct state	*st = ro->ro_state;

	TAILQ_REMOVE(&the_snap.sr_rounds, ro, ro_entry);
	/* A round of a replaced configuration snapshots nothing. */
	if (ok && st == the_snap.sr_state && snapshot_changed(st, chk)) {
		if (snapshot_take(st, chk, err) == -1)
			ok = 0;
	}
	if (!ok)
		snapshot_failed(err);
	else
		the_snap.sr_error[0] = '\0';
	/* A round of a replaced configuration does not reschedule. */
	if (ro->ro_periodic && st == the_snap.sr_state) {
		if (ok)
			the_snap.sr_retry = 0;
		else {
			the_snap.sr_retry = the_snap.sr_retry == 0 ?
			    SNAPSHOT_RETRY_MIN : the_snap.sr_retry * 2;
			if (the_snap.sr_retry > SNAPSHOT_RETRY_MAX)
				the_snap.sr_retry = SNAPSHOT_RETRY_MAX;
			if (the_snap.sr_retry > the_snap.sr_interval)
				the_snap.sr_retry = the_snap.sr_interval;
		}
		snapshot_schedule(ok ? the_snap.sr_interval :
		    the_snap.sr_retry);
	}
	if (ro->ro_cb != NULL)
		ro->ro_cb(ro->ro_arg);
	hvlist_free(ro->ro_hv);
	state_unref(st);
	free(ro);
}

/* hvlist_done_fn: every hypervisor answered, or the timeout passed. */
static void
snapshot_round_listed(struct hvlist *hv, void *arg)
{
	struct snapshot_round	*ro = arg;
	struct snapshot_check	 chk;
	const struct hv_node	*nodes;
	char			 err[ERR_MAX];
	size_t			 n;
	int			 ok;

	nodes = hvlist_nodes(hv, &n);
	ok = snapshot_crosscheck(ro->ro_state, nodes, n, &chk, err) == 0;
	if (!ok)
		err_prefix(err, "the hypervisor cross-check: ");
	snapshot_round_finish(ro, ok, err, ok ? &chk : NULL);
	snapshot_check_clear(&chk);
}

/*
 * Every panel of the round answered (or failed). With hypervisors, list
 * them before the snapshot: its summary states what they showed.
 */
static void
snapshot_round_done(void *arg)
{
	struct snapshot_round	*ro = arg;
	struct state		*st = ro->ro_state;
	const struct panel	*pa;
	char			 err[ERR_MAX];
	size_t			 i;
	int			 ok = 1;

	if (--ro->ro_waiting > 0)
		return;
	for (i = 0; ok && i < st->st_npanels; i++) {
		pa = st->st_panels[i];
		if (pa->pa_inv == NULL || pa->pa_last_error[0] != '\0') {
			snprintf(err, sizeof(err), "panel %s: %s",
			    pa->pa_conf->pc_name, pa->pa_last_error[0] != '\0' ?
			    pa->pa_last_error : "no inventory");
			ok = 0;
		}
	}
	if (ok && st == the_snap.sr_state && st->st_conf->cf_nhypers > 0) {
		if ((ro->ro_hv = hvlist_start(the_snap.sr_base, st->st_conf,
		    st->st_conf->cf_hyper_timeout, snapshot_round_listed, ro,
		    err)) != NULL)
			return;
		err_prefix(err, "listing the hypervisors: ");
		ok = 0;
	}
	snapshot_round_finish(ro, ok, err, NULL);
}

/*
 * Refresh every panel of the current state (force: even those refreshed
 * less than min_refresh_interval ago), then snapshot if anything changed
 * and call cb(arg), if set.
 */
static void
snapshot_round_start(int periodic, snapshot_done_fn cb, void *arg)
{
	struct snapshot_round	*ro;
	struct state		*st = the_snap.sr_state;
	size_t			 i;

	if ((ro = calloc(1, sizeof(*ro))) == NULL) {
		snapshot_failed("out of memory");
		if (periodic)
			snapshot_schedule(SNAPSHOT_RETRY_MAX);
		if (cb != NULL)
			cb(arg);
		return;
	}
	ro->ro_state = st;
	state_ref(st);
	ro->ro_periodic = periodic;
	ro->ro_cb = cb;
	ro->ro_arg = arg;
	TAILQ_INSERT_TAIL(&the_snap.sr_rounds, ro, ro_entry);
	ro->ro_waiting = 1;	/* held until every panel was asked */
	for (i = 0; i < st->st_npanels; i++)
		if (panel_refresh(st->st_panels[i], periodic,
		    snapshot_round_done, ro) == 1)
			ro->ro_waiting++;
	snapshot_round_done(ro);
}

static void
snapshot_tick(evutil_socket_t fd, short what, void *arg)
{
	snapshot_round_start(1, NULL, NULL);
}

/*
 * ?fresh=1: refresh the panels (joining refreshes in flight), snapshot if
 * anything changed, then call cb(arg). cb may run before this returns.
 */
void
snapshot_fresh(snapshot_done_fn cb, void *arg)
{
	snapshot_round_start(0, cb, arg);
}

/* Forget the rounds that would call cb with arg (its request went away). */
void
snapshot_unwait(void *arg)
{
	struct snapshot_round	*ro;

	TAILQ_FOREACH(ro, &the_snap.sr_rounds, ro_entry)
		if (ro->ro_arg == arg)
			ro->ro_cb = NULL;
}

/* ---- life cycle ---- */

/* The cross-check counts of a snapshot read back, for /metrics. */
static void
snapshot_metrics_loaded(const struct snapshot *sn)
{
	json_t	*s;

	if ((s = json_loadb(sn->sn_summary, sn->sn_summary_len, 0,
	    NULL)) == NULL)
		return;
	metrics_crosscheck(json_object_get(s, "crosscheck"));
	json_decref(s);
}

/*
 * Open the state directory that cf names and verify it (store.c refuses
 * a log that does not match its last checkpoint). The last snapshot
 * stored is served until the first new one is taken. Returns 0, or -1
 * with a reason.
 */
int
snapshot_open(struct event_base *base, const struct conf *cf, char *err)
{
	char	 origin[NOTE_ORIGIN_MAX + 1];
	int	 status;

	if (cf->cf_origin != NULL)
		strlcpy(origin, cf->cf_origin, sizeof(origin));
	else if ((size_t)snprintf(origin, sizeof(origin), "sightline/%s",
	    cf->cf_keys->k_name) >= sizeof(origin)) {
		err_set(err, "the key name is too long for an origin: set "
		    "snapshots.origin");
		return -1;
	}
	the_snap.sr_base = base;
	the_snap.sr_keys = keys_ref(cf->cf_keys);
	if ((the_snap.sr_store = store_open(cf->cf_state, the_snap.sr_keys,
	    origin, 0, err)) == NULL)
		return -1;
	if ((the_snap.sr_timer = evtimer_new(base, snapshot_tick, NULL)) ==
	    NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	the_snap.sr_interval = cf->cf_snapshot_interval;
	the_snap.sr_keep_days = cf->cf_keep_days;
	if (snapshot_find_pruned(err) == -1)
		return -1;
	if (store_size(the_snap.sr_store) > 0) {
		the_snap.sr_current = snapshot_load(
		    store_size(the_snap.sr_store) - 1, &status, err);
		if (the_snap.sr_current == NULL) {
			err_prefix(err, "the last snapshot: ");
			return -1;
		}
		metrics_snapshot(-1, 0, the_snap.sr_current->sn_seq,
		    the_snap.sr_current->sn_time);
		snapshot_metrics_loaded(the_snap.sr_current);
	}
	return 0;
}

/*
 * Can cf replace the running configuration? The log's key, origin and
 * directory stay for the life of the process.
 */
int
snapshot_check_reload(const struct conf *cf, const struct conf *old,
    char *err)
{
	if (strcmp(cf->cf_state, old->cf_state) != 0 ||
	    strcmp(cf->cf_keys->k_vkey, old->cf_keys->k_vkey) != 0 ||
	    (cf->cf_origin == NULL) != (old->cf_origin == NULL) ||
	    (cf->cf_origin != NULL && strcmp(cf->cf_origin,
	    old->cf_origin) != 0)) {
		err_set(err, "the signing key, snapshots.state and "
		    "snapshots.origin cannot change on reload: restart "
		    "sightlined");
		return -1;
	}
	return 0;
}

/*
 * Snapshots are taken of st's panels from now on (at start, after a
 * reload): the first one at once, since a new policy changes the view.
 */
void
snapshot_set_state(struct state *st)
{
	state_ref(st);
	state_unref(the_snap.sr_state);
	the_snap.sr_state = st;
	the_snap.sr_interval = st->st_conf->cf_snapshot_interval;
	the_snap.sr_keep_days = st->st_conf->cf_keep_days;
	evtimer_del(the_snap.sr_timer);
	the_snap.sr_retry = 0;
	snapshot_schedule(0);
}

/* Records are kept of the snapshots from this seq on (0: of all). */
uint64_t
snapshot_pruned_before(void)
{
	return the_snap.sr_pruned;
}

/* Where an earlier run's pruning stopped: pruned snapshots come first. */
static int
snapshot_find_pruned(char *err)
{
	struct store_snapshot	 ss;
	uint64_t		 lo = 0, hi = store_size(the_snap.sr_store), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (store_snapshot(the_snap.sr_store, mid, &ss, err) == -1)
			return -1;
		if (ss.ss_pruned)
			lo = mid + 1;
		else
			hi = mid;
		store_snapshot_clear(&ss);
	}
	the_snap.sr_pruned = lo;
	return 0;
}

/* The last failure ("" if the last attempt succeeded), borrowed. */
const char *
snapshot_error(void)
{
	return the_snap.sr_error;
}

void
snapshot_close(void)
{
	struct snapshot_round	*ro;
	size_t			 i;

	while ((ro = TAILQ_FIRST(&the_snap.sr_rounds)) != NULL) {
		TAILQ_REMOVE(&the_snap.sr_rounds, ro, ro_entry);
		for (i = 0; i < ro->ro_state->st_npanels; i++)
			panel_unwait(ro->ro_state->st_panels[i], ro);
		hvlist_free(ro->ro_hv);
		state_unref(ro->ro_state);
		free(ro);
	}
	if (the_snap.sr_timer != NULL)
		event_free(the_snap.sr_timer);
	the_snap.sr_timer = NULL;
	snapshot_unref(the_snap.sr_current);
	snapshot_unref(the_snap.sr_cached);
	the_snap.sr_current = the_snap.sr_cached = NULL;
	state_unref(the_snap.sr_state);
	the_snap.sr_state = NULL;
	store_close(the_snap.sr_store);
	the_snap.sr_store = NULL;
	keys_free(the_snap.sr_keys);
	the_snap.sr_keys = NULL;
}
