/*
 * tlog_cli.c: a signed checkpoint and Merkle proofs made by sightline's
 * own code (merkle.c, note.c, keys.c), as one JSON document for
 * tests/interop/tlogcheck.go, which checks them with Go's sumdb packages
 * (tests/interop/test_tlog_go.py). Not installed, not a test itself.
 *
 *	tlog_cli [-o origin] [-w witness.skey [-t time]] log.skey N
 *
 * The tree has N leaves, leaf i being the bytes "leaf-<i>". The checkpoint
 * (origin: the log key's name unless -o says otherwise) is signed with
 * log.skey and, with -w, cosigned by the witness key at time -t (default
 * 1700000000). The document holds the log's vkey, the witness's type-0x04
 * vkey, a few inclusion proofs (the first leaf, the last, some between;
 * the last one given by its leaf hash) and consistency proofs from a few
 * older sizes. Exits 0, or 1 with a reason on standard error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define CLI_LEAVES_MAX	(1 << 24)
#define CLI_TIME	1700000000ULL
#define CLI_PICKS	6	/* inclusion proofs and older sizes, at most */

static __dead void
usage(void)
{
	fprintf(stderr, "usage: tlog_cli [-o origin] [-w witness.skey "
	    "[-t time]] log.skey N\n");
	exit(1);
}

static json_t *
b64_json(const uint8_t *p, size_t len)
{
	char	*s;
	json_t	*j;

	if ((s = malloc(B64_LEN(len) + 1)) == NULL)
		return NULL;
	b64_encode(p, len, B64_STD, s);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *
proof_json(uint8_t proof[][MERKLE_HASH_LEN], size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, b64_json(proof[i], MERKLE_HASH_LEN));
	return a;
}

/* The distinct values of v[0..n) below or at max (and at least min). */
static size_t
picks(uint64_t *v, size_t n, uint64_t min, uint64_t max)
{
	size_t	 i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (v[i] < min || v[i] > max)
			continue;
		for (j = 0; j < k && v[j] != v[i]; j++)
			;
		if (j == k)
			v[k++] = v[i];
	}
	return k;
}

int
main(int argc, char **argv)
{
	uint8_t			(*leaves)[MERKLE_HASH_LEN];
	uint8_t			 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	uint8_t			 root[MERKLE_HASH_LEN], old[MERKLE_HASH_LEN];
	char			 err[ERR_MAX], leaf[64], vkey[KEYS_VKEY_MAX];
	const char		*origin = NULL, *wpath = NULL, *errstr;
	struct keys		*k, *w = NULL;
	struct merkle_tree	*tree;
	struct buf		 note;
	json_t			*doc, *inc, *con, *o;
	uint64_t		 n, t = CLI_TIME, pick[CLI_PICKS];
	size_t			 i, np, plen, len;
	char			*text, *signed_note, *out;
	int			 ch;

	while ((ch = getopt(argc, argv, "o:t:w:")) != -1) {
		switch (ch) {
		case 'o':
			origin = optarg;
			break;
		case 't':
			t = (uint64_t)strtonum(optarg, 0, INT64_MAX, &errstr);
			if (errstr != NULL)
				usage();
			break;
		case 'w':
			wpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	log_init(0);
	crypto_init();
	n = (uint64_t)strtonum(argv[optind + 1], 1, CLI_LEAVES_MAX, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "tlog_cli: N is %s\n", errstr);
		return 1;
	}
	if ((k = keys_load(argv[optind], NULL, err)) == NULL ||
	    (wpath != NULL && (w = keys_load(wpath, NULL, err)) == NULL)) {
		fprintf(stderr, "tlog_cli: %s\n", err);
		return 1;
	}
	if ((leaves = calloc(n, MERKLE_HASH_LEN)) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(leaf, sizeof(leaf), "leaf-%zu", i);
		merkle_leaf_hash(leaf, strlen(leaf), leaves[i]);
	}
	if ((tree = merkle_tree_new(leaves, n, err)) == NULL ||
	    merkle_root(n, merkle_tree_read, tree, root, err) == -1)
		goto fail;

	/* The checkpoint, signed, then cosigned. */
	if ((text = note_checkpoint_text(origin != NULL ? origin : k->k_name,
	    n, root, &len, err)) == NULL)
		goto fail;
	signed_note = note_sign(k, text, len, &len, err);
	buf_init(&note);
	if (signed_note != NULL)
		buf_add(&note, signed_note, len);
	if (signed_note == NULL || (w != NULL && note_cosign(w, text,
	    strlen(text), t, &note, err) == -1))
		goto fail;
	free(signed_note);
	free(text);
	doc = json_pack("{s:s, s:s%}", "vkey", k->k_vkey, "checkpoint",
	    note.b_data, note.b_len);
	buf_free(&note);
	if (w != NULL && keys_cosig_vkey(w, vkey) == 0)
		json_object_set_new(doc, "cosigner_vkey", json_string(vkey));

	/* Inclusion proofs: first, last and a few leaves between. */
	pick[0] = 0, pick[1] = n - 1, pick[2] = n / 2, pick[3] = 1;
	pick[4] = n / 3, pick[5] = n * 2 / 3;
	np = picks(pick, CLI_PICKS, 0, n - 1);
	inc = json_array();
	for (i = 0; i < np; i++) {
		if (merkle_prove_inclusion(pick[i], n, merkle_tree_read, tree,
		    proof, &plen, err) == -1)
			goto fail;
		snprintf(leaf, sizeof(leaf), "leaf-%llu",
		    (unsigned long long)pick[i]);
		o = json_pack("{s:I, s:o}", "index", (json_int_t)pick[i],
		    "proof", proof_json(proof, plen));
		json_object_set_new(o, i == 1 ? "leaf_hash" : "leaf", i == 1 ?
		    b64_json(leaves[pick[i]], MERKLE_HASH_LEN) :
		    b64_json((const uint8_t *)leaf, strlen(leaf)));
		json_array_append_new(inc, o);
	}
	json_object_set_new(doc, "inclusion", inc);

	/* Consistency proofs from older sizes, and from n itself. */
	pick[0] = 1, pick[1] = n / 2, pick[2] = n - 1, pick[3] = n;
	pick[4] = n / 3 + 1, pick[5] = n * 3 / 4;
	np = picks(pick, CLI_PICKS, 1, n);
	con = json_array();
	for (i = 0; i < np; i++) {
		if (merkle_root(pick[i], merkle_tree_read, tree, old,
		    err) == -1 || merkle_prove_consistency(pick[i], n,
		    merkle_tree_read, tree, proof, &plen, err) == -1)
			goto fail;
		json_array_append_new(con, json_pack("{s:I, s:o, s:o}",
		    "old_size", (json_int_t)pick[i], "old_root",
		    b64_json(old, MERKLE_HASH_LEN), "proof",
		    proof_json(proof, plen)));
	}
	json_object_set_new(doc, "consistency", con);

	if ((out = json_dumps(doc, JSON_INDENT(1))) == NULL)
		return 1;
	printf("%s\n", out);
	free(out);
	json_decref(doc);
	merkle_tree_free(tree);
	free(leaves);
	keys_free(k);
	keys_free(w);
	return 0;
fail:
	fprintf(stderr, "tlog_cli: %s\n", err);
	return 1;
}
