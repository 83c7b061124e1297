/*
 * test_proof.c: proof.c, what `sightline audit` and
 * `sightline verify-disclosure --bundle` believe. Record trees recomputed
 * from JSON (sorted, unique, canonical bytes), summaries checked for
 * their form, and PROOF objects (API-ISSUE5's shape) built here from a
 * small log signed with a throwaway key: one that holds verifies, and
 * each thing a liar could change makes it fail, saying which part.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define NSNAP	5	/* snapshots in the test log */
#define NREC	7	/* records in the proven snapshot */

static char		 tmpdir[] = "/tmp/test_proof.XXXXXX";
static struct keys	*keys;
static struct keys_vkey	 vk, other;

static json_t *
parse(const char *s)
{
	json_error_t	 jerr;
	json_t		*j;

	if ((j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		printf("Bail out! bad test JSON: %s\n", jerr.text);
		exit(1);
	}
	return j;
}

static json_t *
b64(const uint8_t h[MERKLE_HASH_LEN])
{
	char	 s[B64_LEN(MERKLE_HASH_LEN) + 1];

	b64_encode(h, MERKLE_HASH_LEN, B64_STD, s);
	return json_string(s);
}

static json_t *
hashes(uint8_t p[][MERKLE_HASH_LEN], size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, b64(p[i]));
	return a;
}

/* A signing key and its verifier key, made by keys.c in tmpdir. */
static void
setup(void)
{
	char	 path[PATH_MAX], vkey[KEYS_VKEY_MAX], err[ERR_MAX];

	if (mkdtemp(tmpdir) == NULL ||
	    keys_generate("test.example/log", tmpdir, vkey, err) == -1 ||
	    keys_vkey_parse(vkey, &vk, err) == -1 ||
	    keys_generate("test.example/other", tmpdir, vkey, err) == -1 ||
	    keys_vkey_parse(vkey, &other, err) == -1) {
		printf("Bail out! keys: %s\n", err);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/test.example_log.skey", tmpdir);
	if ((keys = keys_load(path, NULL, err)) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
}

static void
test_records_root(void)
{
	uint8_t		 root[MERKLE_HASH_LEN], want[MERKLE_HASH_LEN];
	uint8_t		 leaves[2][MERKLE_HASH_LEN];
	const char	*jcs;
	char		 err[ERR_MAX];
	json_t		*r;

	r = parse("[]");
	crypto_sha256("", 0, want);
	tap_ok(proof_records_root(r, root, err) == 0 &&
	    memcmp(root, want, MERKLE_HASH_LEN) == 0,
	    "no records: the root is SHA-256 of nothing");
	json_decref(r);

	/* Keys in any order and spacing: the leaves are the JCS bytes. */
	r = parse("[{\"id\": \"a\", \"z\": 1, \"b\": [1.0, \"x\"]}, "
	    "{\"id\":\"b\"}]");
	jcs = "{\"b\":[1,\"x\"],\"id\":\"a\",\"z\":1}";
	merkle_leaf_hash(jcs, strlen(jcs), leaves[0]);
	jcs = "{\"id\":\"b\"}";
	merkle_leaf_hash(jcs, strlen(jcs), leaves[1]);
	merkle_node_hash(leaves[0], leaves[1], want);
	tap_ok(proof_records_root(r, root, err) == 0 &&
	    memcmp(root, want, MERKLE_HASH_LEN) == 0,
	    "two records: the root over SHA-256(0x00 || JCS(record))");
	json_decref(r);

	r = parse("[{\"id\":\"b\"}, {\"id\":\"a\"}]");
	tap_ok(proof_records_root(r, root, err) == -1 &&
	    strstr(err, "not sorted") != NULL, "unsorted records: %s", err);
	json_decref(r);
	r = parse("[{\"id\":\"a\"}, {\"id\":\"a\"}]");
	tap_ok(proof_records_root(r, root, err) == -1 &&
	    strstr(err, "without repeats") != NULL, "a repeated id: %s", err);
	json_decref(r);
	/* Byte order: "Z" (0x5a) sorts before "a" (0x61). */
	r = parse("[{\"id\":\"Z\"}, {\"id\":\"a\"}]");
	tap_ok(proof_records_root(r, root, err) == 0,
	    "ids sort by bytes, not by letter");
	json_decref(r);
	r = parse("[{\"id\":\"a\"}, {\"name\":\"b\"}]");
	tap_ok(proof_records_root(r, root, err) == -1 &&
	    strstr(err, "no \"id\"") != NULL, "a record without id: %s", err);
	json_decref(r);
	r = parse("{\"id\":\"a\"}");
	tap_ok(proof_records_root(r, root, err) == -1,
	    "records that are not an array are refused");
	json_decref(r);
}

static void
test_summary(void)
{
	static const struct {
		const char	*json;
		const char	*why;
	} bad[] = {
		{ "[]", "not an object" },
		{ "{\"type\":\"other\",\"seq\":0,\"time\":1,\"records\":0,"
		    "\"root\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}",
		    "type" },
		{ "{\"type\":\"sightline/snapshot/v1\",\"seq\":-1,\"time\":1,"
		    "\"records\":0,\"root\":"
		    "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}", "seq" },
		{ "{\"type\":\"sightline/snapshot/v1\",\"seq\":0,\"time\":1,"
		    "\"records\":\"0\",\"root\":"
		    "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}",
		    "records" },
		{ "{\"type\":\"sightline/snapshot/v1\",\"seq\":0,\"time\":1,"
		    "\"records\":0,\"root\":\"AAAA\"}", "root" },
	};
	uint8_t		 root[MERKLE_HASH_LEN];
	uint64_t	 seq, count;
	char		 err[ERR_MAX];
	json_t		*s;
	size_t		 i;

	s = parse("{\"type\":\"sightline/snapshot/v1\",\"seq\":3,\"time\":1,"
	    "\"records\":0,\"root\":"
	    "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"panels\":[]}");
	tap_ok(proof_summary(s, &seq, &count, root, err) == 0 && seq == 3 &&
	    count == 0 && root[0] == 0xe3, "a summary: seq, count and root");
	json_decref(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = parse(bad[i].json);
		tap_ok(proof_summary(s, &seq, &count, root, err) == -1 &&
		    strstr(err, bad[i].why) != NULL, "a bad summary (%s) is "
		    "refused: %s", bad[i].why, err);
		json_decref(s);
	}
}

/*
 * A log of NSNAP summaries; snapshot 3 holds NREC records. Sets *summary
 * and *record (record 4 of snapshot 3) and returns the PROOF for them,
 * checkpoint signed by keys.
 */
static json_t *
make_proof(json_t **summary, json_t **record)
{
	uint8_t			 log[NSNAP][MERKLE_HASH_LEN];
	uint8_t			 leaves[NREC][MERKLE_HASH_LEN];
	uint8_t			 root[MERKLE_HASH_LEN], lroot[MERKLE_HASH_LEN];
	uint8_t			 empty[MERKLE_HASH_LEN];
	uint8_t			 p[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	struct merkle_tree	*t;
	json_t			*recs, *s, *proof;
	char			 err[ERR_MAX], id[16], *text, *note;
	size_t			 i, n, len;

	recs = json_array();
	for (i = 0; i < NREC; i++) {
		snprintf(id, sizeof(id), "pve/%zu", 100 + i);
		json_array_append_new(recs, json_pack("{s:s, s:s, s:i}", "id", id,
		    "status", "running", "cpu", (int)i));
		proof_leaf_hash(json_array_get(recs, i), leaves[i], err);
	}
	proof_records_root(recs, root, err);
	crypto_sha256("", 0, empty);
	*summary = NULL;
	for (i = 0; i < NSNAP; i++) {
		s = json_pack("{s:s, s:i, s:i, s:i, s:o, s:[]}", "type",
		    SNAPSHOT_TYPE, "seq", (int)i, "time", 1700000000 +
		    (int)i, "records", i == 3 ? NREC : 0, "root", i == 3 ?
		    b64(root) : b64(empty), "panels");
		proof_leaf_hash(s, log[i], err);
		if (i == 3)
			*summary = s;
		else
			json_decref(s);
	}
	t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])log, NSNAP,
	    err);
	merkle_root(NSNAP, merkle_tree_read, t, lroot, err);
	merkle_prove_inclusion(3, NSNAP, merkle_tree_read, t, p, &n, err);
	merkle_tree_free(t);
	text = note_checkpoint_text("test.example/log", NSNAP, lroot, &len,
	    err);
	note = note_sign(keys, text, len, &len, err);
	proof = json_pack("{s:s, s:{s:i, s:i, s:o, s:o}, s:[]}", "checkpoint",
	    note, "log", "seq", 3, "size", NSNAP, "leaf_hash", b64(log[3]),
	    "proof", hashes(p, n), "records");
	free(text);
	free(note);
	t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves, NREC,
	    err);
	merkle_prove_inclusion(4, NREC, merkle_tree_read, t, p, &n, err);
	merkle_tree_free(t);
	json_array_append_new(json_object_get(proof, "records"), json_pack(
	    "{s:s, s:i, s:o, s:o}", "id", "pve/104", "index", 4, "leaf_hash",
	    b64(leaves[4]), "proof", hashes(p, n)));
	*record = json_incref(json_array_get(recs, 4));
	json_decref(recs);
	return proof;
}

/* Does proof still hold after change(proof, summary, record)? */
static void
refused(const char *what, const char *want,
    void (*change)(json_t *, json_t *, json_t *))
{
	struct proof_result	 res;
	json_t			*proof, *s, *r;
	char			 err[ERR_MAX];

	proof = make_proof(&s, &r);
	change(proof, s, r);
	err[0] = '\0';
	tap_ok(proof_check(proof, s, r, &vk, &res, err) == -1 &&
	    strncmp(err, want, strlen(want)) == 0, "%s: refused (%s)", what,
	    err);
	json_decref(proof);
	json_decref(s);
	json_decref(r);
}

static void
change_record(json_t *proof, json_t *s, json_t *r)
{
	json_object_set_new(r, "status", json_string("stopped"));
}

static void
change_summary(json_t *proof, json_t *s, json_t *r)
{
	json_object_set_new(s, "time", json_integer(1));
}

static void
change_index(json_t *proof, json_t *s, json_t *r)
{
	json_object_set_new(json_array_get(json_object_get(proof, "records"),
	    0), "index", json_integer(5));
}

static void
change_log_size(json_t *proof, json_t *s, json_t *r)
{
	json_object_set_new(json_object_get(proof, "log"), "size",
	    json_integer(NSNAP + 1));
}

static void
change_log_proof(json_t *proof, json_t *s, json_t *r)
{
	json_array_remove(json_object_get(json_object_get(proof, "log"),
	    "proof"), 0);
}

static void
change_checkpoint(json_t *proof, json_t *s, json_t *r)
{
	char	*note = strdup(json_string_value(json_object_get(proof,
	    "checkpoint")));

	note[strlen("test.example/log\n")] = '4';	/* the size line */
	json_object_set_new(proof, "checkpoint", json_string(note));
	free(note);
}

static void
change_entry_id(json_t *proof, json_t *s, json_t *r)
{
	json_object_set_new(json_array_get(json_object_get(proof, "records"),
	    0), "id", json_string("pve/105"));
}

static void
test_check(void)
{
	struct proof_result	 res;
	json_t			*proof, *s, *r;
	char			 err[ERR_MAX];

	proof = make_proof(&s, &r);
	err[0] = '\0';
	tap_ok(proof_check(proof, s, r, &vk, &res, err) == 0,
	    "a PROOF of record, snapshot and log verifies %s", err);
	tap_ok(res.pr_seq == 3 && res.pr_index == 4 && res.pr_count == NREC &&
	    res.pr_cp.nc_size == NSNAP &&
	    strcmp(res.pr_cp.nc_origin, "test.example/log") == 0,
	    "and says what it proved: snapshot 3, leaf 4 of 7, log of 5");
	tap_ok(proof_check(proof, s, NULL, &vk, &res, err) == 0,
	    "the summary alone verifies too");
	tap_ok(proof_check(proof, s, r, &other, &res, err) == -1 &&
	    strncmp(err, "checkpoint: ", 12) == 0,
	    "with another key: refused (%s)", err);
	json_decref(proof);
	json_decref(s);
	json_decref(r);
	refused("another record", "record: ", change_record);
	refused("another summary", "log: ", change_summary);
	refused("another index", "record: ", change_index);
	refused("another log size", "log: ", change_log_size);
	refused("a log proof one hash short", "log: ", change_log_proof);
	refused("a checkpoint of another size", "checkpoint: ",
	    change_checkpoint);
	refused("no entry for the record", "record: the proof has no entry",
	    change_entry_id);
}

int
main(void)
{
	char	 cmd[PATH_MAX + 16];

	log_init(0);
	crypto_init();
	setup();
	test_records_root();
	test_summary();
	test_check();
	keys_free(keys);
	keys_vkey_clear(&vk);
	keys_vkey_clear(&other);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
