/*
 * proof.c: proofs about the snapshot log in the JSON forms of the
 * hoster API (API-ISSUE5, sightline(1)), made from a state directory and
 * checked by anyone holding the verifier key:
 *
 *   PROOF = {"checkpoint": "<signed note, size M>",
 *            "log": {"seq": N, "size": M, "leaf_hash": b64, "proof": [b64]},
 *            "records": [{"id", "index", "leaf_hash", "proof"}, ...]}
 *
 * says that records are leaves of snapshot N's record tree, whose summary
 * is leaf N of the log of size M that the checkpoint signs. A disclosure
 * bundle adds the record itself, its summary and the SD-JWT disclosure of
 * one committed field: a field of a past snapshot, opened and proven.
 *
 * Every hash is computed here from parsed JSON made canonical again
 * (RFC 8785): leaf = SHA-256(0x00 || JCS(value)). The hashes a proof
 * carries are only compared with those, never believed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* ---- pieces shared with audit.c ---- */

/*
 * The leaf hash of a JSON value, SHA-256(0x00 || JCS(v)), from the parsed
 * value, whatever bytes it came in. Returns 0, or -1 with a reason.
 */
int
proof_leaf_hash(const json_t *v, uint8_t out[MERKLE_HASH_LEN], char *err)
{
	char	*text;
	size_t	 len;

	if ((text = canon_dump(v, &len, err)) == NULL)
		return -1;
	merkle_leaf_hash(text, len, out);
	free(text);
	return 0;
}

/* A hash in standard base64 from member key of o. */
int
proof_hash_member(const json_t *o, const char *key,
    uint8_t out[MERKLE_HASH_LEN], char *err)
{
	const char	*s;
	char		 why[ERR_MAX];

	if ((s = json_string_value(json_object_get(o, key))) == NULL) {
		err_set(err, "no \"%s\" string", key);
		return -1;
	}
	if (merkle_hash_decode(s, out, why) == -1) {
		err_set(err, "\"%s\": %s", key, why);
		return -1;
	}
	return 0;
}

/* A non-negative integer member key of o. */
int
proof_uint_member(const json_t *o, const char *key, uint64_t *out, char *err)
{
	const json_t	*v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		err_set(err, "no \"%s\" integer", key);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/*
 * An array of base64 hashes (a proof) into a new array of *n hashes,
 * which the caller frees. NULL with a reason.
 */
uint8_t
(*proof_hashes(const json_t *arr, size_t *n, char *err))[MERKLE_HASH_LEN]
{
	uint8_t		(*p)[MERKLE_HASH_LEN];
	const json_t	*v;
	char		 why[ERR_MAX];
	size_t		 i;

	if (!json_is_array(arr) || json_array_size(arr) > MERKLE_PROOF_MAX) {
		err_set(err, "the proof is not an array of at most %d hashes",
		    MERKLE_PROOF_MAX);
		return NULL;
	}
	if ((p = calloc(json_array_size(arr) + 1, MERKLE_HASH_LEN)) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) ||
		    merkle_hash_decode(json_string_value(v), p[i], why) == -1) {
			err_set(err, "proof hash %zu: %s", i,
			    json_is_string(v) ? why : "not a string");
			free(p);
			return NULL;
		}
	}
	*n = json_array_size(arr);
	return p;
}

/*
 * Check a snapshot summary's form (SNAPSHOT_TYPE) and fill its seq,
 * record count and record root (any may be NULL). Returns 0, or -1 with
 * a reason.
 */
int
proof_summary(const json_t *s, uint64_t *seq, uint64_t *count,
    uint8_t root[MERKLE_HASH_LEN], char *err)
{
	uint8_t		 r[MERKLE_HASH_LEN];
	const char	*type;
	uint64_t	 q, c, t;

	if (!json_is_object(s)) {
		err_set(err, "the summary is not an object");
		return -1;
	}
	type = json_string_value(json_object_get(s, "type"));
	if (type == NULL || strcmp(type, SNAPSHOT_TYPE) != 0) {
		err_set(err, "the summary's type is not \"%s\"",
		    SNAPSHOT_TYPE);
		return -1;
	}
	if (proof_uint_member(s, "seq", &q, err) == -1 ||
	    proof_uint_member(s, "records", &c, err) == -1 ||
	    proof_uint_member(s, "time", &t, err) == -1 ||
	    proof_hash_member(s, "root", r, err) == -1)
		return -1;
	if (seq != NULL)
		*seq = q;
	if (count != NULL)
		*count = c;
	if (root != NULL)
		memcpy(root, r, MERKLE_HASH_LEN);
	return 0;
}

/*
 * The root of the record tree over records, an array that must be sorted
 * by "id" in byte order without repeats. Returns 0, or -1 with a reason.
 */
int
proof_records_root(const json_t *records, uint8_t root[MERKLE_HASH_LEN],
    char *err)
{
	uint8_t			(*leaves)[MERKLE_HASH_LEN];
	struct merkle_tree	*t;
	const json_t		*r;
	const char		*id, *prev = NULL;
	char			 why[ERR_MAX];
	size_t			 i, n;
	int			 rc;

	if (!json_is_array(records)) {
		err_set(err, "the records are not an array");
		return -1;
	}
	if ((n = json_array_size(records)) == 0)
		return merkle_root(0, merkle_tree_read, NULL, root, err);
	if ((leaves = calloc(n, MERKLE_HASH_LEN)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	json_array_foreach(records, i, r) {
		if ((id = json_string_value(json_object_get(r, "id"))) ==
		    NULL) {
			err_set(err, "record %zu has no \"id\" string", i);
			free(leaves);
			return -1;
		}
		if (prev != NULL && strcmp(prev, id) >= 0) {
			err_set(err, "record %zu (%s) does not come after %s: "
			    "the records are not sorted by id without repeats",
			    i, id, prev);
			free(leaves);
			return -1;
		}
		prev = id;
		if (proof_leaf_hash(r, leaves[i], why) == -1) {
			err_set(err, "record %s: %s", id, why);
			free(leaves);
			return -1;
		}
	}
	t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, err);
	free(leaves);
	if (t == NULL)
		return -1;
	rc = merkle_root(n, merkle_tree_read, t, root, err);
	merkle_tree_free(t);
	return rc;
}

/* Are a and b the same JSON value, as RFC 8785 writes them? */
int
proof_same_json(const json_t *a, const json_t *b)
{
	char	 err[ERR_MAX], *ta, *tb;
	int	 same;

	ta = canon_dump(a, NULL, err);
	tb = canon_dump(b, NULL, err);
	same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
	free(ta);
	free(tb);
	return same;
}

/*
 * leaf is at index of a tree of size leaves with root root, by the proof
 * o["proof"]; o["leaf_hash"], when present, must be leaf. Returns 0, or
 * -1 with a reason.
 */
static int
proof_inclusion(const json_t *o, uint64_t index, uint64_t size,
    const uint8_t leaf[MERKLE_HASH_LEN], const uint8_t root[MERKLE_HASH_LEN],
    char *err)
{
	uint8_t		(*p)[MERKLE_HASH_LEN], served[MERKLE_HASH_LEN];
	size_t		 n;
	int		 rc;

	if (json_object_get(o, "leaf_hash") != NULL &&
	    (proof_hash_member(o, "leaf_hash", served, err) == -1 ||
	    !crypto_memeq(served, leaf, MERKLE_HASH_LEN))) {
		err_set(err, "the proof's leaf_hash is not the hash of the "
		    "value made canonical (RFC 8785)");
		return -1;
	}
	if ((p = proof_hashes(json_object_get(o, "proof"), &n, err)) == NULL)
		return -1;
	rc = merkle_verify_inclusion(index, size, leaf,
	    (const uint8_t (*)[MERKLE_HASH_LEN])p, n, root, err);
	free(p);
	return rc;
}

/* ---- PROOF ---- */

/*
 * Check proof (a PROOF object) for summary and, when record is not NULL,
 * for that record (its entry in proof["records"] found by id): the
 * checkpoint is signed by vk, the summary is leaf seq of its log, the
 * record a leaf of the summary's record tree. Fills res. Returns 0, or
 * -1 with a reason that says which part failed.
 */
int
proof_check(const json_t *proof, const json_t *summary, const json_t *record,
    const struct keys_vkey *vk, struct proof_result *res, char *err)
{
	const json_t	*log, *recs, *e = NULL;
	const char	*note, *id;
	uint8_t		 leaf[MERKLE_HASH_LEN];
	uint64_t	 seq, size, count, index;
	char		 why[ERR_MAX];
	size_t		 i, len, tl;

	memset(res, 0, sizeof(*res));
	if ((note = json_string_value(json_object_get(proof,
	    "checkpoint"))) == NULL) {
		err_set(err, "checkpoint: the proof carries none");
		return -1;
	}
	len = strlen(note);
	if (note_verify(note, len, vk, &tl, why) == -1 ||
	    note_checkpoint_parse(note, tl, &res->pr_cp, why) == -1) {
		err_set(err, "checkpoint: %s", why);
		return -1;
	}
	res->pr_note = note;
	if (proof_summary(summary, &res->pr_seq, &count, res->pr_root,
	    why) == -1) {
		err_set(err, "snapshot: %s", why);
		return -1;
	}
	res->pr_count = count;
	log = json_object_get(proof, "log");
	if (proof_uint_member(log, "seq", &seq, why) == -1 ||
	    proof_uint_member(log, "size", &size, why) == -1) {
		err_set(err, "log: %s", why);
		return -1;
	}
	if (seq != res->pr_seq || size != res->pr_cp.nc_size) {
		err_set(err, "log: the proof is for leaf %llu of a log of size "
		    "%llu, not for snapshot %llu in the checkpoint's log of "
		    "size %llu", (unsigned long long)seq,
		    (unsigned long long)size, (unsigned long long)res->pr_seq,
		    (unsigned long long)res->pr_cp.nc_size);
		return -1;
	}
	if (proof_leaf_hash(summary, leaf, why) == -1 ||
	    proof_inclusion(log, seq, size, leaf, res->pr_cp.nc_root,
	    why) == -1) {
		err_set(err, "log: snapshot %llu is not proven in the log of "
		    "size %llu: %s", (unsigned long long)seq,
		    (unsigned long long)size, why);
		return -1;
	}
	if (record == NULL)
		return 0;
	if ((id = json_string_value(json_object_get(record, "id"))) == NULL) {
		err_set(err, "record: it has no \"id\"");
		return -1;
	}
	recs = json_object_get(proof, "records");
	for (i = 0; i < json_array_size(recs); i++) {
		e = json_array_get(recs, i);
		if (json_is_string(json_object_get(e, "id")) &&
		    strcmp(json_string_value(json_object_get(e, "id")), id) ==
		    0)
			break;
	}
	if (i == json_array_size(recs)) {
		err_set(err, "record: the proof has no entry for %s", id);
		return -1;
	}
	if (proof_uint_member(e, "index", &index, why) == -1 ||
	    proof_leaf_hash(record, leaf, why) == -1 ||
	    proof_inclusion(e, index, count, leaf, res->pr_root, why) == -1) {
		err_set(err, "record: %s is not proven in snapshot %llu's "
		    "record tree of %llu: %s", id,
		    (unsigned long long)res->pr_seq, (unsigned long long)count,
		    why);
		return -1;
	}
	res->pr_index = index;
	return 0;
}

/* Base64 of a hash as a new JSON string. */
json_t *
proof_b64(const uint8_t h[MERKLE_HASH_LEN])
{
	char	 b64[B64_LEN(MERKLE_HASH_LEN) + 1];

	b64_encode(h, MERKLE_HASH_LEN, B64_STD, b64);
	return json_string(b64);
}

/* A proof's hashes as a new JSON array of base64 strings. */
json_t *
proof_list(const uint8_t p[][MERKLE_HASH_LEN], size_t n)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, proof_b64(p[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The record of id in recs (sorted by id), by bisection; or -1. */
static ssize_t
proof_find(const struct store_rec *recs, size_t n, const char *id)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(recs[mid].sr_id, id)) == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * A PROOF for snapshot seq of st and the records of ids (nids of them,
 * none is fine), against the checkpoint of size size (0: the latest),
 * which must cover seq. The records of seq are read into *recs (*nrecs of
 * them; free with store_records_free()) when recs is not NULL. Returns a
 * new object, or NULL with a reason.
 */
json_t *
proof_make(struct store *st, uint64_t seq, uint64_t size,
    const char *const *ids, size_t nids, struct store_rec **recsp,
    size_t *nrecsp, char *err)
{
	struct store_snapshot	 ss;
	struct store_rec	*recs = NULL;
	struct merkle_tree	*t = NULL;
	uint8_t			 p[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	uint8_t			(*leaves)[MERKLE_HASH_LEN] = NULL;
	uint8_t			 leaf[MERKLE_HASH_LEN];
	json_t			*proof = NULL, *list, *e;
	char			*note = NULL;
	const char		*latest;
	size_t			 nrecs = 0, plen, len, i;
	ssize_t			 k;

	memset(&ss, 0, sizeof(ss));
	if (size == 0)
		size = store_size(st);
	if (seq >= size) {
		err_set(err, "snapshot %llu is not in the log of size %llu",
		    (unsigned long long)seq, (unsigned long long)size);
		return NULL;
	}
	if (size == store_size(st)) {
		if ((latest = store_checkpoint(st, &len)) == NULL) {
			err_set(err, "the state has no checkpoint");
			return NULL;
		}
		note = strdup(latest);
	} else
		note = store_checkpoint_at(st, size, &len, err);
	if (note == NULL) {
		if (size == store_size(st))
			err_set(err, "out of memory");
		return NULL;
	}
	if (store_snapshot(st, seq, &ss, err) == -1)
		goto fail;
	merkle_leaf_hash(ss.ss_summary, ss.ss_len, leaf);
	if (merkle_prove_inclusion(seq, size, store_log_read, st, p, &plen,
	    err) == -1)
		goto fail;
	proof = json_pack("{s:s, s:{s:I, s:I, s:o, s:o}, s:[]}", "checkpoint",
	    note, "log", "seq", (json_int_t)seq, "size", (json_int_t)size,
	    "leaf_hash", proof_b64(leaf), "proof", proof_list(
	    (const uint8_t (*)[MERKLE_HASH_LEN])p, plen), "records");
	if (proof == NULL)
		goto oom;
	if (nids == 0 && recsp == NULL)
		goto done;
	if (store_records(st, seq, &recs, &nrecs, err) == -1)
		goto fail;
	if (nids == 0)
		goto done;
	if ((leaves = calloc(nrecs + 1, MERKLE_HASH_LEN)) == NULL)
		goto oom;
	for (i = 0; i < nrecs; i++)
		memcpy(leaves[i], recs[i].sr_hash, MERKLE_HASH_LEN);
	if ((t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves,
	    nrecs, err)) == NULL)
		goto fail;
	list = json_object_get(proof, "records");
	for (i = 0; i < nids; i++) {
		if ((k = proof_find(recs, nrecs, ids[i])) == -1) {
			err_set(err, "snapshot %llu has no record %s",
			    (unsigned long long)seq, ids[i]);
			goto fail;
		}
		if (merkle_prove_inclusion((uint64_t)k, nrecs, merkle_tree_read,
		    t, p, &plen, err) == -1)
			goto fail;
		e = json_pack("{s:s, s:I, s:o, s:o}", "id", ids[i], "index",
		    (json_int_t)k, "leaf_hash", proof_b64(recs[k].sr_hash),
		    "proof", proof_list((const uint8_t (*)[MERKLE_HASH_LEN])p,
		    plen));
		if (e == NULL || json_array_append_new(list, e) == -1)
			goto oom;
	}
	goto done;
oom:
	err_set(err, "out of memory");
fail:
	json_decref(proof);
	proof = NULL;
done:
	if (proof != NULL && recsp != NULL) {
		*recsp = recs;
		*nrecsp = nrecs;
		recs = NULL;
	}
	store_records_free(recs, nrecs);
	merkle_tree_free(t);
	free(leaves);
	free(note);
	store_snapshot_clear(&ss);
	return proof;
}

/* ---- disclosure bundles ---- */

/*
 * The path of the field a disclosure opens in record: where its digest
 * is (commit_find) and its name. Returns the disclosure's [salt, name,
 * value] array (new), or NULL with a reason.
 */
static json_t *
proof_disclosure_path(const json_t *record, const char *d, char *path,
    size_t len, char *err)
{
	char		 digest[COMMIT_DIGEST_MAX], where[POLICY_PATH_MAX];
	const char	*name;
	const json_t	*obj;
	json_t		*arr;

	if ((arr = commit_open(d, err)) == NULL)
		return NULL;
	name = json_string_value(json_array_get(arr, 1));
	commit_digest(d, strlen(d), digest);
	where[0] = '\0';
	if ((obj = commit_find(record, digest, where, sizeof(where))) == NULL) {
		err_set(err, "digest %s of the disclosure is in no _sd of the "
		    "record", digest);
		json_decref(arr);
		return NULL;
	}
	if (json_object_get(obj, name) != NULL) {
		err_set(err, "field \"%s\" is also in plain text next to the "
		    "digest", name);
		json_decref(arr);
		return NULL;
	}
	if ((size_t)snprintf(path, len, "%s%s%s", where, where[0] != '\0' ?
	    "." : "", name) >= len) {
		err_set(err, "the field's path is longer than %zu bytes",
		    len - 1);
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/*
 * The disclosure bundle of field path of record id in snapshot seq of st,
 * proven against the checkpoint of size size (0: the latest):
 *   {"field": PATH, "disclosure": D, "record": RECORD,
 *    "snapshot": SUMMARY, "proof": PROOF}
 * Returns a new object, or NULL with a reason.
 */
json_t *
proof_bundle(struct store *st, uint64_t seq, uint64_t size, const char *id,
    const char *path, char *err)
{
	struct store_snapshot	 ss;
	struct store_rec	*recs = NULL;
	const char		*ids[1] = { id };
	const char		*d = NULL;
	char			 why[ERR_MAX], at[POLICY_PATH_MAX];
	char			*ds = NULL;
	json_t			*proof, *bundle = NULL, *record = NULL;
	json_t			*summary = NULL, *list = NULL, *arr;
	size_t			 nrecs = 0, i;
	ssize_t			 k;

	memset(&ss, 0, sizeof(ss));
	if ((proof = proof_make(st, seq, size, ids, 1, &recs, &nrecs,
	    err)) == NULL)
		return NULL;
	k = proof_find(recs, nrecs, id);
	if ((record = canon_parse(recs[k].sr_body, recs[k].sr_len,
	    why)) == NULL) {
		err_set(err, "record %s: %s", id, why);
		goto done;
	}
	if (store_snapshot(st, seq, &ss, err) == -1)
		goto done;
	if ((summary = canon_parse(ss.ss_summary, ss.ss_len, why)) == NULL) {
		err_set(err, "snapshot %llu's summary: %s",
		    (unsigned long long)seq, why);
		goto done;
	}
	if ((ds = store_disclosures(st, recs[k].sr_hash, err)) == NULL)
		goto done;
	if ((list = canon_parse(ds, strlen(ds), why)) == NULL ||
	    !json_is_array(list)) {
		err_set(err, "record %s: its disclosures are not a JSON array",
		    id);
		goto done;
	}
	for (i = 0; i < json_array_size(list); i++) {
		if ((d = json_string_value(json_array_get(list, i))) == NULL)
			continue;
		if ((arr = proof_disclosure_path(record, d, at, sizeof(at),
		    why)) == NULL)
			continue;
		json_decref(arr);
		if (strcmp(at, path) == 0)
			break;
	}
	if (i == json_array_size(list)) {
		err_set(err, "field %s of record %s in snapshot %llu is not "
		    "committed (no disclosure opens it)", path, id,
		    (unsigned long long)seq);
		goto done;
	}
	bundle = json_pack("{s:s, s:s, s:O, s:O, s:O}", "field", path,
	    "disclosure", d, "record", record, "snapshot", summary, "proof",
	    proof);
	if (bundle == NULL)
		err_set(err, "out of memory");
done:
	json_decref(list);
	json_decref(summary);
	json_decref(record);
	json_decref(proof);
	free(ds);
	store_snapshot_clear(&ss);
	store_records_free(recs, nrecs);
	return bundle;
}

/*
 * Check a disclosure bundle with the verifier key: the disclosure opens
 * the field it names in the record, the record is in the snapshot, the
 * snapshot in the log, the log's checkpoint signed by vk. Fills res, and
 * *opened with a new reference to the disclosure's [salt, name, value].
 * Returns 0, or -1 with a reason naming the part that failed.
 */
int
proof_bundle_check(const json_t *bundle, const struct keys_vkey *vk,
    struct proof_result *res, json_t **opened, char *err)
{
	const json_t	*record = json_object_get(bundle, "record");
	const char	*field, *d;
	char		 at[POLICY_PATH_MAX], why[ERR_MAX];
	json_t		*arr;

	*opened = NULL;
	field = json_string_value(json_object_get(bundle, "field"));
	d = json_string_value(json_object_get(bundle, "disclosure"));
	if (!json_is_object(bundle) || field == NULL || d == NULL ||
	    !json_is_object(record)) {
		err_set(err, "bundle: not an object with \"field\", "
		    "\"disclosure\" and \"record\"");
		return -1;
	}
	if ((arr = proof_disclosure_path(record, d, at, sizeof(at),
	    why)) == NULL) {
		err_set(err, "disclosure: %s", why);
		return -1;
	}
	if (strcmp(at, field) != 0) {
		err_set(err, "disclosure: it opens field %s, not %s", at,
		    field);
		json_decref(arr);
		return -1;
	}
	if (proof_check(json_object_get(bundle, "proof"), json_object_get(
	    bundle, "snapshot"), record, vk, res, err) == -1) {
		json_decref(arr);
		return -1;
	}
	*opened = arr;
	return 0;
}
