/*
 * test_merkle.c: proxy/merkle.c against the Merkle vectors in
 * tests/vectors/merkle (copied from the shared reference): the hasher,
 * roots, every inclusion and consistency proof made byte for byte and
 * verified, the 196 transparency-dev verifier probes; then a log built
 * leaf by leaf through merkle_append() into an in-memory store and
 * compared with merkle_tree_new() at every size, trees too large to
 * store, and proofs tampered with in every way, each refused.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define H	MERKLE_HASH_LEN
#define APPEND_MAX	300	/* leaves in the merkle_append() test */

static char	 vdir[PATH_MAX];

static json_t *
load_json(const char *path, size_t flags)
{
	json_error_t	 jerr;
	json_t		*j;

	if ((j = json_load_file(path, flags, &jerr)) == NULL) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		exit(1);
	}
	return j;
}

static void
unhex(const char *s, uint8_t out[H])
{
	if (s == NULL || hex_decode(s, out, H, 0) == -1) {
		printf("Bail out! bad hex hash %s\n", s != NULL ? s : "(null)");
		exit(1);
	}
}

/* A JSON array of hex hashes, into proof[]; returns how many. */
static size_t
unhex_array(const json_t *a, uint8_t proof[][H])
{
	const json_t	*v;
	size_t		 i;

	if (json_array_size(a) > MERKLE_PROOF_MAX) {
		printf("Bail out! proof of %zu hashes\n", json_array_size(a));
		exit(1);
	}
	json_array_foreach(a, i, v)
		unhex(json_string_value(v), proof[i]);
	return json_array_size(a);
}

static int
same_proof(uint8_t a[][H], size_t alen, uint8_t b[][H], size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen * H) == 0);
}

static struct merkle_tree *
tree(uint8_t leaves[][H], size_t n)
{
	struct merkle_tree	*t;
	char			 err[ERR_MAX];

	if ((t = merkle_tree_new((const uint8_t (*)[H])leaves, n, err)) ==
	    NULL) {
		printf("Bail out! merkle_tree_new: %s\n", err);
		exit(1);
	}
	return t;
}

static int
tree_root(struct merkle_tree *t, uint8_t out[H])
{
	char	 err[ERR_MAX];

	if (merkle_root(merkle_tree_size(t), merkle_tree_read, t, out, err) ==
	    -1) {
		tap_diag("merkle_root: %s", err);
		return -1;
	}
	return 0;
}

static void
test_hasher(void)
{
	uint8_t		 want[H], got[H], big[MERKLE_LEAF_INLINE + 2];
	size_t		 sizes[] = { MERKLE_LEAF_INLINE - 1, MERKLE_LEAF_INLINE,
			    MERKLE_LEAF_INLINE + 1 }, i;
	struct merkle_tree *t;
	uint8_t		 a[H], b[H], cat[1 + 2 * H];

	unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    want);
	merkle_leaf_hash("", 0, got);
	tap_ok(memcmp(got, want, H) == 0, "leaf(\"\") = SHA-256(0x00)");
	unhex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
	    want);
	merkle_leaf_hash("L123456", 7, got);
	tap_ok(memcmp(got, want, H) == 0, "leaf(\"L123456\")");

	/*
	 * Upstream's HashChildren("N123", "N456") takes 4-byte children,
	 * which merkle_node_hash() (32 bytes each) cannot; check the 0x01
	 * prefix and the order of the children directly instead.
	 */
	memset(a, 0xaa, H);
	memset(b, 0xbb, H);
	cat[0] = 0x01;
	memcpy(cat + 1, a, H);
	memcpy(cat + 1 + H, b, H);
	crypto_sha256(cat, sizeof(cat), want);
	merkle_node_hash(a, b, got);
	tap_ok(memcmp(got, want, H) == 0, "node(l, r) = SHA-256(0x01||l||r)");
	merkle_node_hash(b, a, got);
	tap_ok(memcmp(got, want, H) != 0, "node(r, l) differs");

	/* Leaves around the inline size hash the same both ways. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(big, 0, sizeof(big));
		memset(big + 1, 'r', sizes[i]);
		crypto_sha256(big, 1 + sizes[i], want);
		merkle_leaf_hash(big + 1, sizes[i], got);
		tap_ok(memcmp(got, want, H) == 0, "leaf of %zu bytes", sizes[i]);
	}

	/* The empty tree: SHA-256(""), not leaf(""). */
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    want);
	t = tree(NULL, 0);
	tap_ok(tree_root(t, got) == 0 && memcmp(got, want, H) == 0,
	    "the root of no leaves is SHA-256(\"\")");
	merkle_tree_free(t);
	merkle_tree_free(NULL);
}

/*
 * Every root, inclusion proof and consistency proof of a vector file,
 * over its leaves: made, compared byte for byte, and verified.
 */
static void
check_proofs(const char *name, json_t *v, uint8_t leaves[][H], size_t nleaves)
{
	struct merkle_tree	*t, *t1;
	uint8_t			 want[MERKLE_PROOF_MAX][H];
	uint8_t			 got[MERKLE_PROOF_MAX][H];
	uint8_t			 root[H], root1[H], r[H], leaf[H];
	char			 err[ERR_MAX];
	const char		*key;
	json_t			*c;
	size_t			 i, wlen, glen, size;
	uint64_t		 idx, m;
	int			 rc;

	json_object_foreach(json_object_get(v, "roots_by_size_hex"), key, c) {
		size = strtoull(key, NULL, 10);
		if (size > nleaves) {
			printf("Bail out! %s: root of size %zu\n", name, size);
			exit(1);
		}
		unhex(json_string_value(c), want[0]);
		t = tree(leaves, size);
		tap_ok(tree_root(t, r) == 0 && memcmp(r, want[0], H) == 0,
		    "%s: root of size %zu", name, size);
		merkle_tree_free(t);
	}
	json_array_foreach(json_object_get(v, "inclusion_proofs"), i, c) {
		idx = json_integer_value(json_object_get(c, "leaf_index"));
		size = json_integer_value(json_object_get(c, "tree_size"));
		unhex(json_string_value(json_object_get(c, "leaf_hash")), leaf);
		unhex(json_string_value(json_object_get(c, "root")), root);
		wlen = unhex_array(json_object_get(c, "proof"), want);
		t = tree(leaves, size);
		rc = merkle_prove_inclusion(idx, size, merkle_tree_read, t,
		    got, &glen, err);
		tap_ok(rc == 0 && same_proof(got, glen, want, wlen),
		    "%s: PATH(%llu, D[%zu]) made: %s", name,
		    (unsigned long long)idx, size, rc == 0 ? "" : err);
		rc = merkle_verify_inclusion(idx, size, leaf,
		    (const uint8_t (*)[H])want, wlen, root, err);
		tap_ok(rc == 0 && memcmp(leaf, leaves[idx], H) == 0,
		    "%s: PATH(%llu, D[%zu]) verified: %s", name,
		    (unsigned long long)idx, size, rc == 0 ? "" : err);
		merkle_tree_free(t);
	}
	json_array_foreach(json_object_get(v, "consistency_proofs"), i, c) {
		m = json_integer_value(json_object_get(c, "size1"));
		size = json_integer_value(json_object_get(c, "size2"));
		unhex(json_string_value(json_object_get(c, "root1")), root1);
		unhex(json_string_value(json_object_get(c, "root2")), root);
		wlen = unhex_array(json_object_get(c, "proof"), want);
		t = tree(leaves, size);
		t1 = tree(leaves, m);
		rc = merkle_prove_consistency(m, size, merkle_tree_read, t,
		    got, &glen, err);
		tap_ok(rc == 0 && same_proof(got, glen, want, wlen),
		    "%s: PROOF(%llu, D[%zu]) made: %s", name,
		    (unsigned long long)m, size, rc == 0 ? "" : err);
		rc = merkle_verify_consistency(m, size, root1, root,
		    (const uint8_t (*)[H])want, wlen, err);
		tap_ok(rc == 0 && tree_root(t1, r) == 0 &&
		    memcmp(r, root1, H) == 0,
		    "%s: PROOF(%llu, D[%zu]) verified: %s", name,
		    (unsigned long long)m, size, rc == 0 ? "" : err);
		merkle_tree_free(t);
		merkle_tree_free(t1);
	}
}

/* RFC 9162 §2.1.5, mapped onto the 8 standard leaves by the vector file. */
static void
test_rfc_example(json_t *v, uint8_t leaves[][H])
{
	static const struct {
		int		 consistency;
		uint64_t	 m;
		const char	*names;
	} checks[] = {
		{ 0, 0, "bhl" }, { 0, 3, "cgl" }, { 0, 4, "fjk" }, { 0, 6, "ik" },
		{ 1, 3, "cdgl" }, { 1, 4, "l" }, { 1, 6, "ijk" },
	};
	json_t			*names = json_object_get(json_object_get(v,
				    "rfc9162_section_2_1_5_example"), "names");
	struct merkle_tree	*t = tree(leaves, 7);
	uint8_t			 want[MERKLE_PROOF_MAX][H];
	uint8_t			 got[MERKLE_PROOF_MAX][H];
	char			 err[ERR_MAX], key[2] = { 0 };
	const char		*hex;
	size_t			 i, j, glen, wlen;
	int			 rc;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		wlen = strlen(checks[i].names);
		for (j = 0; j < wlen; j++) {
			key[0] = checks[i].names[j];
			hex = json_string_value(json_object_get(names,
			    key[0] == 'j' ? "j(=leaf d6)" : key));
			unhex(hex, want[j]);
		}
		if (checks[i].consistency)
			rc = merkle_prove_consistency(checks[i].m, 7,
			    merkle_tree_read, t, got, &glen, err);
		else
			rc = merkle_prove_inclusion(checks[i].m, 7,
			    merkle_tree_read, t, got, &glen, err);
		tap_ok(rc == 0 && same_proof(got, glen, want, wlen),
		    "RFC 9162 2.1.5: %s(%llu) = [%s]",
		    checks[i].consistency ? "PROOF" : "PATH",
		    (unsigned long long)checks[i].m, checks[i].names);
	}
	merkle_tree_free(t);
}

static void
test_standard8(void)
{
	char		 path[PATH_MAX * 2];
	uint8_t		 leaves[8][H], data[64], want[H];
	struct merkle_tree *t;
	json_t		*v, *lv, *c;
	size_t		 i, j, len;
	int		 ok;

	snprintf(path, sizeof(path), "%s/rfc6962-standard-8-leaves.json", vdir);
	v = load_json(path, 0);
	json_array_foreach(json_object_get(v, "leaf_inputs_hex"), i, c) {
		len = strlen(json_string_value(c)) / 2;
		if (i >= 8 || len > sizeof(data) ||
		    hex_decode(json_string_value(c), data, len, 0) == -1) {
			printf("Bail out! leaf input %zu\n", i);
			exit(1);
		}
		merkle_leaf_hash(data, len, leaves[i]);
		unhex(json_string_value(json_array_get(json_object_get(v,
		    "leaf_hashes_hex"), i)), want);
		tap_ok(memcmp(leaves[i], want, H) == 0, "standard leaf %zu", i);
	}
	/* Every complete subtree of the 8-leaf tree, level by level. */
	t = tree(leaves, 8);
	json_array_foreach(json_object_get(v, "node_hashes_hex_by_level"), i,
	    lv) {
		ok = json_array_size(lv) == (size_t)8 >> i;
		json_array_foreach(lv, j, c) {
			unhex(json_string_value(c), want);
			ok &= merkle_tree_read(t, (int)i, j, data, NULL) == 0 &&
			    memcmp(data, want, H) == 0;
		}
		tap_ok(ok, "standard tree: the %zu hashes of level %zu",
		    json_array_size(lv), i);
	}
	merkle_tree_free(t);
	check_proofs("standard 8", v, leaves, 8);
	test_rfc_example(v, leaves);
	json_decref(v);
}

static void
test_self70(void)
{
	char		 path[PATH_MAX * 2], data[32];
	uint8_t		 leaves[70][H];
	json_t		*v;
	size_t		 i;
	int		 len;

	for (i = 0; i < 70; i++) {
		len = snprintf(data, sizeof(data), "leaf-%zu", i);
		merkle_leaf_hash(data, (size_t)len, leaves[i]);
	}
	snprintf(path, sizeof(path), "%s/self-generated-70-leaves.json", vdir);
	v = load_json(path, 0);
	tap_int(json_object_size(json_object_get(v, "roots_by_size_hex")), 71,
	    "self-generated: 71 roots");
	check_proofs("self-generated 70", v, leaves, 70);
	json_decref(v);
}

/*
 * jansson holds integers as long long, so the probes' 2^64 - 1 (leaf 0
 * minus one) loads only as a double, which rounds it to 2^64; that is
 * read back as UINT64_MAX, the value the probe means.
 */
static int
probe_u64(const json_t *j, uint64_t *v)
{
	double	 d;

	if (!json_is_number(j) || (d = json_number_value(j)) < 0)
		return -1;
	if (d >= 18446744073709551615.0)
		*v = UINT64_MAX;
	else
		*v = (uint64_t)d;
	return (double)*v == d || *v == UINT64_MAX ? 0 : -1;
}

/* A decode failure is an error of the probe, as a verifier sees it. */
static int
probe_hash(const json_t *j, uint8_t out[H], char *err)
{
	if (merkle_hash_decode(json_string_value(j), out, err) == -1) {
		err_prefix(err, "decode: ");
		return -1;
	}
	return 0;
}

static int
probe_run(const json_t *p, char *err)
{
	uint8_t		 proof[MERKLE_PROOF_MAX][H], a[H], b[H];
	const json_t	*pr = json_object_get(p, "proof"), *c;
	uint64_t	 x, y;
	size_t		 i;

	if (json_array_size(pr) > MERKLE_PROOF_MAX) {
		err_set(err, "proof too long");
		return -1;
	}
	json_array_foreach(pr, i, c)
		if (probe_hash(c, proof[i], err) == -1)
			return -1;
	if (json_object_get(p, "leafIdx") != NULL) {
		if (probe_u64(json_object_get(p, "leafIdx"), &x) == -1 ||
		    probe_u64(json_object_get(p, "treeSize"), &y) == -1) {
			err_set(err, "bad leafIdx or treeSize");
			return -1;
		}
		if (probe_hash(json_object_get(p, "leafHash"), a, err) == -1 ||
		    probe_hash(json_object_get(p, "root"), b, err) == -1)
			return -1;
		return merkle_verify_inclusion(x, y, a,
		    (const uint8_t (*)[H])proof, json_array_size(pr), b, err);
	}
	if (probe_u64(json_object_get(p, "size1"), &x) == -1 ||
	    probe_u64(json_object_get(p, "size2"), &y) == -1) {
		err_set(err, "bad size1 or size2");
		return -1;
	}
	if (probe_hash(json_object_get(p, "root1"), a, err) == -1 ||
	    probe_hash(json_object_get(p, "root2"), b, err) == -1)
		return -1;
	return merkle_verify_consistency(x, y, a, b,
	    (const uint8_t (*)[H])proof, json_array_size(pr), err);
}

/*
 * The one probe where sightline parts from upstream on purpose: equal
 * sizes and an empty proof are accepted there without a look at the
 * roots' length, and its roots are 12 bytes ("don't care 2").
 */
static const char *const probe_stricter[] = {
	"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
};

static int
probe_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .json under dir (relative to base), appended to names. */
static void
probe_walk(const char *base, const char *rel, char ***names, size_t *n)
{
	char		 path[PATH_MAX], sub[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	size_t		 len;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if ((d = opendir(path)) == NULL) {
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name);
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
			if ((*names = reallocarray(*names, *n + 1,
			    sizeof(**names))) == NULL ||
			    ((*names)[*n] = strdup(sub)) == NULL) {
				printf("Bail out! out of memory\n");
				exit(1);
			}
			(*n)++;
		} else
			probe_walk(base, sub, names, n);
	}
	closedir(d);
}

static void
test_probes(void)
{
	char		 base[PATH_MAX + 64], path[PATH_MAX * 2], err[ERR_MAX];
	char		**names = NULL;
	size_t		 n = 0, i, j, agree = 0, errors = 0;
	json_t		*p;
	int		 want, got, stricter;

	snprintf(base, sizeof(base), "%s/transparency-dev-testdata", vdir);
	probe_walk(base, "", &names, &n);
	qsort(names, n, sizeof(*names), probe_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", base, names[i]);
		p = load_json(path, JSON_DECODE_INT_AS_REAL);
		want = json_is_true(json_object_get(p, "wantErr"));
		stricter = 0;
		for (j = 0; j < sizeof(probe_stricter) /
		    sizeof(probe_stricter[0]); j++)
			stricter |= strcmp(names[i], probe_stricter[j]) == 0;
		if (stricter)
			want = 1;
		err[0] = '\0';
		got = probe_run(p, err) == -1;
		errors += got;
		if (tap_ok(got == want, "probe %s: %s%s%s", names[i],
		    got ? "refused: " : "accepted", err,
		    stricter ? " (stricter than upstream: roots of 12 bytes)" :
		    ""))
			agree++;
		json_decref(p);
		free(names[i]);
	}
	free(names);
	tap_int(n, 196, "196 transparency-dev probes");
	tap_int(agree, n, "every probe's outcome as expected");
	tap_diag("%zu probes, %zu refused, %zu agree with wantErr "
	    "(%zu on purpose stricter)", n, errors, agree,
	    sizeof(probe_stricter) / sizeof(probe_stricter[0]));
}

/*
 * An in-memory store of complete-subtree hashes, written only through
 * merkle_append()'s output, as the log's store is. Each level must grow
 * one index at a time, in order.
 */
struct mem_store {
	uint8_t		(*ms_level[MERKLE_LEVELS_MAX + 1])[H];
	uint64_t	  ms_count[MERKLE_LEVELS_MAX + 1];
	size_t		  ms_reads;
};

static int
mem_read(void *arg, int level, uint64_t index, uint8_t out[H], char *err)
{
	struct mem_store	*s = arg;

	s->ms_reads++;
	if (level < 0 || level > MERKLE_LEVELS_MAX ||
	    index >= s->ms_count[level]) {
		err_set(err, "mem_read: no hash at (%d, %llu)", level,
		    (unsigned long long)index);
		return -1;
	}
	memcpy(out, s->ms_level[level][index], H);
	return 0;
}

static int
mem_put(struct mem_store *s, const struct merkle_node *nd)
{
	int	 l = nd->mn_level;

	if (l < 0 || l > MERKLE_LEVELS_MAX || nd->mn_index != s->ms_count[l] ||
	    nd->mn_index >= APPEND_MAX)
		return -1;
	if (s->ms_level[l] == NULL &&
	    (s->ms_level[l] = calloc(APPEND_MAX, H)) == NULL)
		return -1;
	memcpy(s->ms_level[l][s->ms_count[l]++], nd->mn_hash, H);
	return 0;
}

static void
mem_free(struct mem_store *s)
{
	int	 l;

	for (l = 0; l <= MERKLE_LEVELS_MAX; l++)
		free(s->ms_level[l]);
}

/*
 * Leaf by leaf into the store; at every size, the root, every inclusion
 * proof and the consistency proof from every older size agree with a
 * tree made whole by merkle_tree_new(), and verify.
 */
static void
test_append(void)
{
	struct merkle_node	 nodes[MERKLE_LEVELS_MAX + 1];
	struct mem_store	 s;
	struct merkle_tree	*t, *full;
	uint8_t			 leaves[APPEND_MAX][H], roots[APPEND_MAX + 1][H];
	uint8_t			 p1[MERKLE_PROOF_MAX][H], p2[MERKLE_PROOF_MAX][H];
	uint8_t			 r[H];
	char			 err[ERR_MAX], data[32];
	size_t			 nout, i, l1, l2, bad_append = 0, bad_root = 0;
	size_t			 bad_incl = 0, bad_cons = 0, nincl = 0, ncons = 0;
	size_t			 want, bad_reads = 0;
	uint64_t		 n, m, idx;
	int			 len;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < APPEND_MAX; i++) {
		len = snprintf(data, sizeof(data), "record %zu", i);
		merkle_leaf_hash(data, (size_t)len, leaves[i]);
	}
	merkle_root(0, mem_read, &s, roots[0], err);
	for (n = 0; n < APPEND_MAX; n++) {
		if (merkle_append(n, leaves[n], mem_read, &s, nodes, &nout,
		    err) == -1) {
			tap_ok(0, "merkle_append(%llu): %s",
			    (unsigned long long)n, err);
			break;
		}
		/* One node for the leaf and one per trailing 1 bit of n. */
		for (want = 1, m = n; m & 1; m >>= 1)
			want++;
		bad_append += nout != want || nodes[0].mn_level != 0 ||
		    memcmp(nodes[0].mn_hash, leaves[n], H) != 0;
		for (i = 0; i < nout; i++)
			bad_append += mem_put(&s, &nodes[i]) == -1;

		t = tree(leaves, n + 1);
		s.ms_reads = 0;
		if (merkle_root(n + 1, mem_read, &s, roots[n + 1], err) == -1 ||
		    tree_root(t, r) == -1 || memcmp(r, roots[n + 1], H) != 0)
			bad_root++;
		for (want = 0, m = n + 1; m != 0; m >>= 1)
			want += m & 1;
		bad_reads += s.ms_reads != want;
		for (idx = 0; idx <= n; idx++) {
			nincl++;
			if (merkle_prove_inclusion(idx, n + 1, mem_read, &s,
			    p1, &l1, err) == -1 ||
			    merkle_prove_inclusion(idx, n + 1, merkle_tree_read,
			    t, p2, &l2, err) == -1 ||
			    !same_proof(p1, l1, p2, l2) ||
			    merkle_verify_inclusion(idx, n + 1, leaves[idx],
			    (const uint8_t (*)[H])p1, l1, roots[n + 1],
			    err) == -1)
				bad_incl++;
		}
		for (m = 1; m <= n + 1; m++) {
			ncons++;
			if (merkle_prove_consistency(m, n + 1, mem_read, &s,
			    p1, &l1, err) == -1 ||
			    merkle_prove_consistency(m, n + 1,
			    merkle_tree_read, t, p2, &l2, err) == -1 ||
			    !same_proof(p1, l1, p2, l2) ||
			    merkle_verify_consistency(m, n + 1, roots[m],
			    roots[n + 1], (const uint8_t (*)[H])p1, l1,
			    err) == -1) {
				if (bad_cons++ == 0)
					tap_diag("PROOF(%llu, %llu): %s",
					    (unsigned long long)m,
					    (unsigned long long)n + 1, err);
			}
		}
		merkle_tree_free(t);
	}
	tap_int(bad_append, 0, "merkle_append: 300 leaves, each storing the "
	    "leaf and the subtrees it completes, in order");
	tap_int(bad_root, 0, "store and merkle_tree_new agree on the root at "
	    "every size 1..300");
	tap_int(bad_reads, 0, "a root takes one read per 1 bit of the size");
	tap_int(bad_incl, 0, "inclusion proofs made from the store equal the "
	    "tree's and verify");
	tap_diag("%zu inclusion proofs", nincl);
	tap_int(bad_cons, 0, "consistency proofs between every pair of sizes "
	    "made from the store equal the tree's and verify");
	tap_diag("%zu consistency proofs", ncons);

	/* The store holds exactly the tree's complete subtrees. */
	full = tree(leaves, APPEND_MAX);
	bad_root = 0;
	for (len = 0; len <= MERKLE_LEVELS_MAX; len++) {
		bad_root += s.ms_count[len] != (len < 64 ?
		    (uint64_t)APPEND_MAX >> len : 0);
		for (idx = 0; idx < s.ms_count[len]; idx++)
			bad_root += merkle_tree_read(full, len, idx, r, err) ==
			    -1 || memcmp(r, s.ms_level[len][idx], H) != 0;
	}
	tap_int(bad_root, 0, "the store holds exactly the tree's complete "
	    "subtrees");

	/* Reads past the store are refused, and the reason comes back. */
	tap_ok(merkle_root(APPEND_MAX + 1, mem_read, &s, r, err) == -1 &&
	    strstr(err, "mem_read") != NULL,
	    "a root past the store fails with the reader's reason: %s", err);
	tap_ok(merkle_append(APPEND_MAX + 1, leaves[0], mem_read, &s, nodes,
	    &nout, err) == -1 && strstr(err, "mem_read") != NULL,
	    "merkle_append with a missing left subtree fails: %s", err);
	merkle_tree_free(full);
	mem_free(&s);
}

/*
 * Trees too large to store: every leaf is the same, so level l's hash is
 * the same at every index and a reader needs only one hash per level.
 */
static uint8_t	 same_level[MERKLE_LEVELS_MAX + 1][H];

static int
same_read(void *arg, int level, uint64_t index, uint8_t out[H], char *err)
{
	size_t	*reads = arg;

	(*reads)++;
	if (level < 0 || level > MERKLE_LEVELS_MAX) {
		err_set(err, "no level %d", level);
		return -1;
	}
	memcpy(out, same_level[level], H);
	return 0;
}

static void
test_huge(void)
{
	static const uint64_t	 sizes[] = { (1ULL << 62) + 1,
				    (1ULL << 63) - 1, 1ULL << 63, UINT64_MAX };
	uint8_t			 proof[MERKLE_PROOF_MAX][H], root[H], r1[H];
	char			 err[ERR_MAX];
	size_t			 reads, plen, i, bits;
	uint64_t		 n, x;
	int			 l, rc;

	merkle_leaf_hash("same", 4, same_level[0]);
	for (l = 1; l <= MERKLE_LEVELS_MAX; l++)
		merkle_node_hash(same_level[l - 1], same_level[l - 1],
		    same_level[l]);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		for (bits = 0, x = n; x != 0; x >>= 1)
			bits += x & 1;
		reads = 0;
		rc = merkle_root(n, same_read, &reads, root, err);
		tap_ok(rc == 0 && reads == bits, "size %llu: root in %zu reads",
		    (unsigned long long)n, reads);
		rc = merkle_prove_inclusion(n - 1, n, same_read, &reads, proof,
		    &plen, err);
		tap_ok(rc == 0 && merkle_verify_inclusion(n - 1, n,
		    same_level[0], (const uint8_t (*)[H])proof, plen, root,
		    err) == 0, "size %llu: the last leaf's proof of %zu "
		    "verifies", (unsigned long long)n, rc == 0 ? plen : 0);
		if (n == UINT64_MAX)
			continue;
		merkle_root(n / 2 + 1, same_read, &reads, r1, err);
		rc = merkle_prove_consistency(n / 2 + 1, n, same_read, &reads,
		    proof, &plen, err);
		tap_ok(rc == 0 && merkle_verify_consistency(n / 2 + 1, n, r1,
		    root, (const uint8_t (*)[H])proof, plen, err) == 0,
		    "size %llu: a consistency proof of %zu from half verifies",
		    (unsigned long long)n, rc == 0 ? plen : 0);
	}
	rc = merkle_prove_inclusion(UINT64_MAX - 2, UINT64_MAX, same_read,
	    &reads, proof, &plen, err);
	tap_ok(rc == 0 && plen == 64, "the largest tree's proofs are 64 "
	    "hashes (%zu)", rc == 0 ? plen : 0);
	/* Past 2^63 leaves a consistency proof can need 65: refused. */
	rc = merkle_prove_consistency(3, UINT64_MAX, same_read, &reads, proof,
	    &plen, err);
	tap_ok(rc == -1 && strcmp(err, "proof too long") == 0 && plen == 0,
	    "PROOF(3, D[2^64 - 1]) would be 65 hashes: %s", err);
}

static void
test_negative(void)
{
	uint8_t			 leaves[13][H], root[H], r5[H], bad[H], leaf[H];
	uint8_t			 proof[MERKLE_PROOF_MAX + 1][H], p[MERKLE_PROOF_MAX + 1][H];
	struct merkle_node	 nodes[MERKLE_LEVELS_MAX + 1];
	struct merkle_tree	*t, *t5;
	char			 err[ERR_MAX], data[16];
	size_t			 plen, i, bit, n, bad_flip = 0;
	uint64_t		 idx = 6;

	for (i = 0; i < 13; i++) {
		snprintf(data, sizeof(data), "n%zu", i);
		merkle_leaf_hash(data, strlen(data), leaves[i]);
	}
	t = tree(leaves, 13);
	t5 = tree(leaves, 5);
	tree_root(t, root);
	tree_root(t5, r5);

	/* Inclusion of leaf 6 in 13. */
	if (merkle_prove_inclusion(idx, 13, merkle_tree_read, t, proof,
	    &plen, err) == -1) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	tap_ok(merkle_verify_inclusion(idx, 13, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, root, err) == 0,
	    "leaf 6 of 13 verifies");
	for (i = 0; i < plen; i++)
		for (bit = 0; bit < 8 * H; bit += 37) {
			memcpy(p, proof, plen * H);
			p[i][bit / 8] ^= 1 << (bit % 8);
			bad_flip += merkle_verify_inclusion(idx, 13, leaves[idx],
			    (const uint8_t (*)[H])p, plen, root, err) == 0;
		}
	tap_int(bad_flip, 0, "no proof with a flipped bit verifies");
	memcpy(bad, root, H);
	bad[31] ^= 0x80;
	tap_ok(merkle_verify_inclusion(idx, 13, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, bad, err) == -1 &&
	    strcmp(err, "root mismatch") == 0, "flipped root: %s", err);
	memcpy(leaf, leaves[idx], H);
	leaf[0] ^= 1;
	tap_ok(merkle_verify_inclusion(idx, 13, leaf,
	    (const uint8_t (*)[H])proof, plen, root, err) == -1 &&
	    strcmp(err, "root mismatch") == 0, "flipped leaf: %s", err);
	tap_ok(merkle_verify_inclusion(idx, 13, leaves[idx + 1],
	    (const uint8_t (*)[H])proof, plen, root, err) == -1,
	    "another leaf: %s", err);
	tap_ok(merkle_verify_inclusion(idx + 1, 13, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, root, err) == -1,
	    "wrong index 7: %s", err);
	tap_ok(merkle_verify_inclusion(idx - 1, 13, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, root, err) == -1,
	    "wrong index 5: %s", err);
	/*
	 * A size whose path has the same shape (12 here) cannot be told from
	 * the proof alone: the signed checkpoint binds the root to its size.
	 */
	tap_ok(merkle_verify_inclusion(idx, 7, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, root, err) == -1,
	    "wrong size 7: %s", err);
	tap_ok(merkle_verify_inclusion(idx, 26, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, root, err) == -1,
	    "wrong size 26: %s", err);
	tap_ok(merkle_verify_inclusion(idx, 13, leaves[idx],
	    (const uint8_t (*)[H])proof, plen - 1, root, err) == -1 &&
	    strcmp(err, "proof too short") == 0, "truncated proof: %s", err);
	memcpy(p, proof, plen * H);
	memcpy(p[plen], root, H);
	tap_ok(merkle_verify_inclusion(idx, 13, leaves[idx],
	    (const uint8_t (*)[H])p, plen + 1, root, err) == -1 &&
	    strcmp(err, "proof too long") == 0, "extended proof: %s", err);
	tap_ok(merkle_verify_inclusion(13, 13, leaves[idx],
	    (const uint8_t (*)[H])proof, plen, root, err) == -1 &&
	    strstr(err, "not in a tree") != NULL, "index = size: %s", err);
	tap_ok(merkle_verify_inclusion(0, 0, leaves[0], NULL, 0, root,
	    err) == -1, "size 0 has no leaves: %s", err);
	tap_ok(merkle_verify_inclusion(0, 1, leaves[0], NULL,
	    MERKLE_PROOF_MAX + 1, leaves[0], err) == -1 &&
	    strcmp(err, "proof too long") == 0,
	    "more than MERKLE_PROOF_MAX hashes: %s", err);
	tap_ok(merkle_prove_inclusion(13, 13, merkle_tree_read, t, p, &plen,
	    err) == -1 && plen == 0, "no PATH for index 13 of 13: %s", err);

	/* Consistency 5 -> 13. */
	if (merkle_prove_consistency(5, 13, merkle_tree_read, t, proof, &plen,
	    err) == -1) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	tap_ok(merkle_verify_consistency(5, 13, r5, root,
	    (const uint8_t (*)[H])proof, plen, err) == 0, "5 -> 13 verifies");
	bad_flip = 0;
	for (i = 0; i < plen; i++) {
		memcpy(p, proof, plen * H);
		p[i][i] ^= 0x10;
		bad_flip += merkle_verify_consistency(5, 13, r5, root,
		    (const uint8_t (*)[H])p, plen, err) == 0;
	}
	tap_int(bad_flip, 0, "no consistency proof with a flipped bit verifies");
	tap_ok(merkle_verify_consistency(5, 13, r5, bad,
	    (const uint8_t (*)[H])proof, plen, err) == -1 &&
	    strcmp(err, "root2 mismatch") == 0, "flipped root2: %s", err);
	tap_ok(merkle_verify_consistency(5, 13, root, root,
	    (const uint8_t (*)[H])proof, plen, err) == -1 &&
	    strcmp(err, "root1 mismatch") == 0, "wrong root1: %s", err);
	tap_ok(merkle_verify_consistency(5, 13, root, r5,
	    (const uint8_t (*)[H])proof, plen, err) == -1,
	    "swapped roots: %s", err);
	tap_ok(merkle_verify_consistency(4, 13, r5, root,
	    (const uint8_t (*)[H])proof, plen, err) == -1,
	    "wrong size1: %s", err);
	tap_ok(merkle_verify_consistency(5, 7, r5, root,
	    (const uint8_t (*)[H])proof, plen, err) == -1,
	    "wrong size2 7: %s", err);
	tap_ok(merkle_verify_consistency(5, 26, r5, root,
	    (const uint8_t (*)[H])proof, plen, err) == -1,
	    "wrong size2 26: %s", err);
	tap_ok(merkle_verify_consistency(5, 13, r5, root,
	    (const uint8_t (*)[H])proof, plen - 1, err) == -1,
	    "truncated: %s", err);
	memcpy(p, proof, plen * H);
	memcpy(p[plen], root, H);
	tap_ok(merkle_verify_consistency(5, 13, r5, root,
	    (const uint8_t (*)[H])p, plen + 1, err) == -1 &&
	    strcmp(err, "proof too long") == 0, "extended: %s", err);
	tap_ok(merkle_verify_consistency(5, 13, r5, root, NULL, 0, err) ==
	    -1 && strcmp(err, "proof too short") == 0, "empty: %s", err);
	tap_ok(merkle_verify_consistency(0, 13, r5, root,
	    (const uint8_t (*)[H])proof, plen, err) == -1 &&
	    strcmp(err, "no consistency proof from size 0") == 0,
	    "size1 0: %s", err);
	tap_ok(merkle_verify_consistency(0, 0, r5, r5, NULL, 0, err) == -1 &&
	    strcmp(err, "no consistency proof from size 0") == 0,
	    "0 -> 0: %s", err);
	tap_ok(merkle_verify_consistency(13, 5, root, r5,
	    (const uint8_t (*)[H])proof, plen, err) == -1 &&
	    strstr(err, "greater") != NULL, "size1 > size2: %s", err);
	tap_ok(merkle_verify_consistency(13, 13, root, root, NULL, 0,
	    err) == 0, "13 -> 13 with an empty proof and equal roots");
	tap_ok(merkle_verify_consistency(13, 13, root, bad, NULL, 0,
	    err) == -1 && strcmp(err, "root mismatch") == 0,
	    "13 -> 13, roots differ: %s", err);
	tap_ok(merkle_verify_consistency(13, 13, root, root,
	    (const uint8_t (*)[H])proof, 1, err) == -1 &&
	    strstr(err, "empty") != NULL, "13 -> 13 with a proof: %s", err);
	tap_ok(merkle_verify_consistency(5, 13, r5, root, NULL,
	    MERKLE_PROOF_MAX + 1, err) == -1 &&
	    strcmp(err, "proof too long") == 0,
	    "more than MERKLE_PROOF_MAX hashes: %s", err);
	tap_ok(merkle_prove_consistency(0, 13, merkle_tree_read, t, p, &plen,
	    err) == -1 && plen == 0, "no PROOF from 0: %s", err);
	tap_ok(merkle_prove_consistency(14, 13, merkle_tree_read, t, p, &plen,
	    err) == -1, "no PROOF from 14 to 13: %s", err);
	tap_ok(merkle_prove_consistency(13, 13, merkle_tree_read, t, p, &plen,
	    err) == 0 && plen == 0, "PROOF(13, D[13]) is empty");

	/* The in-memory tree refuses reads outside it. */
	tap_ok(merkle_tree_read(t, 0, 13, bad, err) == -1 &&
	    strstr(err, "level 0 index 13") != NULL, "leaf 13 of 13: %s", err);
	tap_ok(merkle_tree_read(t, 3, 1, bad, err) == -1,
	    "level 3 has one subtree: %s", err);
	tap_ok(merkle_tree_read(t, 4, 0, bad, err) == -1,
	    "no level 4 in 13 leaves: %s", err);
	tap_ok(merkle_tree_read(t, -1, 0, bad, err) == -1,
	    "no level -1: %s", err);
	tap_ok(merkle_tree_read(t, 3, 0, bad, err) == 0, "level 3 index 0");
	tap_int(merkle_tree_size(t), 13, "merkle_tree_size");
	tap_ok(merkle_tree_new((const uint8_t (*)[H])leaves, SIZE_MAX, err) ==
	    NULL, "a tree too large: %s", err);
	n = 0;
	tap_ok(merkle_append(UINT64_MAX, leaves[0], merkle_tree_read, t,
	    nodes, &n, err) == -1 && n == 0, "a full tree takes no leaf: %s",
	    err);
	merkle_tree_free(t);
	merkle_tree_free(t5);
}

static void
test_decode(void)
{
	static const struct {
		const char	*s;
		const char	*why;
	} bad[] = {
		{ "", "empty" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg", "no padding" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=", "URL alphabet" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg==", "extra '='" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=", "stray bits" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ===", "31 bytes" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg+", "33 bytes" },
		{ "ZG9uJ3QgY2FyZSAy", "12 bytes" },
		{ " XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=", "a space" },
		{ "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=XcnaeacGWamtVZy3"
		  "Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=XcnaeacG", "far too long" },
	};
	uint8_t		 out[H], want[H];
	char		 err[ERR_MAX];
	size_t		 i;

	unhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	    want);
	tap_ok(merkle_hash_decode("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
	    out, err) == 0 && memcmp(out, want, H) == 0,
	    "a 32-byte hash decodes");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(merkle_hash_decode(bad[i].s, out, err) == -1,
		    "refused, %s: %s", bad[i].why, err);
	tap_ok(merkle_hash_decode(NULL, out, err) == -1, "NULL: %s", err);
}

int
main(void)
{
	const char	*top = getenv("top_srcdir");

	log_init(0);
	snprintf(vdir, sizeof(vdir), "%s/tests/vectors/merkle",
	    top != NULL ? top : ".");
	test_hasher();
	test_decode();
	test_standard8();
	test_self70();
	test_probes();
	test_append();
	test_huge();
	test_negative();
	return tap_done();
}
