/*
 * merkle.c (bench): what a snapshot's record tree costs. Prints figures;
 * it is not a test. Built by `make check` so it keeps compiling; run it by
 * hand on an idle machine:
 *
 *	./bench/merkle [-s seconds]
 *
 * For trees of 10,000 and 1,000,000 leaves it times the leaf hashes of
 * 450-byte records (the size of a redacted VPS record), merkle_tree_new()
 * (every complete subtree) with merkle_root(), then inclusion proofs made
 * and verified over spread-out leaves for at least SECONDS each.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define RECORD_BYTES	450

static void
fail(const char *what, const char *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err);
	exit(1);
}

static void
run(size_t n, double seconds)
{
	uint8_t			(*leaves)[MERKLE_HASH_LEN];
	uint8_t			 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	uint8_t			 root[MERKLE_HASH_LEN];
	char			 rec[RECORD_BYTES], err[ERR_MAX];
	struct merkle_tree	*t;
	double			 start, tleaf, tnew, troot, el;
	size_t			 i, plen, count, total = 0;
	uint64_t		 idx;

	if ((leaves = calloc(n, MERKLE_HASH_LEN)) == NULL)
		fail("leaves", "out of memory");
	memset(rec, 'x', sizeof(rec));
	start = mono_now();
	for (i = 0; i < n; i++) {
		snprintf(rec, sizeof(rec), "{\"id\":\"pve/%zu\"", i);
		merkle_leaf_hash(rec, sizeof(rec), leaves[i]);
	}
	tleaf = mono_now() - start;

	start = mono_now();
	if ((t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves,
	    n, err)) == NULL)
		fail("merkle_tree_new", err);
	tnew = mono_now() - start;
	start = mono_now();
	if (merkle_root(n, merkle_tree_read, t, root, err) == -1)
		fail("merkle_root", err);
	troot = mono_now() - start;
	printf("%zu leaves:\n", n);
	printf("  leaf hashes (%d-byte records)  %9.1f ms  %7.2f us each\n",
	    RECORD_BYTES, tleaf * 1e3, tleaf / n * 1e6);
	printf("  merkle_tree_new                 %9.1f ms  %7.2f us per leaf"
	    "  (%.1f MiB)\n", tnew * 1e3, tnew / n * 1e6,
	    2.0 * n * MERKLE_HASH_LEN / 1048576);
	printf("  merkle_root                     %9.1f us\n", troot * 1e6);

	/* A stride prime to n visits leaves all over the tree. */
	count = 0;
	idx = 0;
	start = mono_now();
	do {
		for (i = 0; i < 1000; i++) {
			idx = (idx + 7919) % n;
			if (merkle_prove_inclusion(idx, n, merkle_tree_read, t,
			    proof, &plen, err) == -1)
				fail("merkle_prove_inclusion", err);
			total += plen;
		}
		count += i;
	} while ((el = mono_now() - start) < seconds);
	printf("  inclusion proofs made           %9.0f /s   %7.2f us each"
	    "  (%.1f hashes)\n", count / el, el / count * 1e6,
	    (double)total / count);

	count = 0;
	start = mono_now();
	merkle_prove_inclusion(idx, n, merkle_tree_read, t, proof, &plen, err);
	do {
		for (i = 0; i < 1000; i++)
			if (merkle_verify_inclusion(idx, n, leaves[idx],
			    (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen,
			    root, err) == -1)
				fail("merkle_verify_inclusion", err);
		count += i;
	} while ((el = mono_now() - start) < seconds);
	printf("  inclusion proofs verified       %9.0f /s   %7.2f us each\n",
	    count / el, el / count * 1e6);
	merkle_tree_free(t);
	free(leaves);
}

int
main(int argc, char **argv)
{
	double		 seconds = 1;
	int		 ch;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: merkle [-s seconds]\n");
			return 2;
		}
	}
	log_init(0);
	run(10000, seconds);
	run(1000000, seconds);
	return 0;
}
