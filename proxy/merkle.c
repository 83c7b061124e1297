/*
 * merkle.c: RFC 6962 / RFC 9162 §2.1 Merkle trees over SHA-256. Hashes of
 * leaves and nodes, the root of the first n leaves, inclusion and
 * consistency proofs made and verified, and the hashes a new leaf makes
 * complete. A tree is read through a merkle_read_fn, so the same code
 * serves the log (hashes in the store) and a snapshot's record tree (held
 * in memory by struct merkle_tree). Pure: no I/O, no globals.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/*
 * Every complete subtree of a tree held in memory, level by level: level
 * l has mt_size >> l hashes, starting at mt_hash + mt_off[l].
 */
struct merkle_tree {
	uint64_t	  mt_size;
	int		  mt_levels;
	size_t		  mt_off[MERKLE_LEVELS_MAX + 1];
	uint8_t		(*mt_hash)[MERKLE_HASH_LEN];
};

void
merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	struct crypto_sha256_ctx	*c;
	uint8_t				 buf[1 + MERKLE_LEAF_INLINE];
	const uint8_t			 zero = 0x00;

	/* Most records are small: hash them in one call, without malloc. */
	if (len <= MERKLE_LEAF_INLINE) {
		buf[0] = 0x00;
		if (len > 0)
			memcpy(buf + 1, data, len);
		crypto_sha256(buf, 1 + len, out);
		return;
	}
	/* Like crypto_sha256(), a hash that cannot be made is fatal. */
	if ((c = crypto_sha256_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	crypto_sha256_update(c, &zero, 1);
	crypto_sha256_update(c, data, len);
	if (crypto_sha256_digest(c, out) == -1)
		fatalx("%s: out of memory", __func__);
	crypto_sha256_free(c);
}

void
merkle_node_hash(const uint8_t l[MERKLE_HASH_LEN],
    const uint8_t r[MERKLE_HASH_LEN], uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t	 buf[1 + 2 * MERKLE_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, l, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, r, MERKLE_HASH_LEN);
	crypto_sha256(buf, sizeof(buf), out);
}

/*
 * A hash in standard base64 with padding, as checkpoints, tlog-proof and
 * the transparency-dev vectors write them. Anything that is not exactly 32
 * bytes is refused here, since the RFC 9162 algorithms alone would accept
 * a 0-byte root equal to a 0-byte leaf hash.
 */
int
merkle_hash_decode(const char *s, uint8_t out[MERKLE_HASH_LEN], char *err)
{
	uint8_t		 buf[MERKLE_HASH_LEN * 2];
	size_t		 len;
	ssize_t		 n;

	if (s == NULL) {
		err_set(err, "no hash");
		return -1;
	}
	if ((len = strlen(s)) > B64_LEN(sizeof(buf))) {
		err_set(err, "hash is %zu base64 characters, not %d", len,
		    B64_LEN(MERKLE_HASH_LEN));
		return -1;
	}
	if ((n = b64_decode(s, len, B64_STD, buf, sizeof(buf))) == -1) {
		err_set(err, "hash is not standard padded base64");
		return -1;
	}
	if (n != MERKLE_HASH_LEN) {
		err_set(err, "hash is %zd bytes, not %d", n, MERKLE_HASH_LEN);
		return -1;
	}
	memcpy(out, buf, MERKLE_HASH_LEN);
	return 0;
}

/*
 * Leaf n is added: it and every subtree it completes must be stored.
 * Bit l of n set means a complete subtree of 2^l leaves ends just left of
 * the new leaf's, at level l, so the two join one level up.
 */
int
merkle_append(uint64_t n, const uint8_t leaf[MERKLE_HASH_LEN],
    merkle_read_fn read, void *arg, struct merkle_node *out, size_t *nout,
    char *err)
{
	uint8_t	 h[MERKLE_HASH_LEN], left[MERKLE_HASH_LEN];
	int	 l;

	*nout = 0;
	if (n == UINT64_MAX) {
		err_set(err, "the tree is full");
		return -1;
	}
	memcpy(h, leaf, MERKLE_HASH_LEN);
	out[0].mn_level = 0;
	out[0].mn_index = n;
	memcpy(out[0].mn_hash, h, MERKLE_HASH_LEN);
	for (l = 0; l < MERKLE_LEVELS_MAX && (n >> l) & 1; l++) {
		if (read(arg, l, (n >> l) - 1, left, err) == -1)
			return -1;
		merkle_node_hash(left, h, h);
		out[l + 1].mn_level = l + 1;
		out[l + 1].mn_index = n >> (l + 1);
		memcpy(out[l + 1].mn_hash, h, MERKLE_HASH_LEN);
	}
	*nout = (size_t)l + 1;
	return 0;
}

/* The largest power of two below n, for n >= 2 (RFC 9162's k). */
static uint64_t
merkle_split(uint64_t n)
{
	uint64_t	 k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/*
 * MTH(D[lo:hi]) for hi > lo: one read when the range is a complete
 * aligned subtree, else the RFC's split. The left part of every split the
 * proofs make is aligned, so only the right edge recurses: O(log n) reads.
 */
static int
merkle_range(merkle_read_fn read, void *arg, uint64_t lo, uint64_t hi,
    uint8_t out[MERKLE_HASH_LEN], char *err)
{
	uint8_t		 l[MERKLE_HASH_LEN], r[MERKLE_HASH_LEN];
	uint64_t	 n = hi - lo, k;
	int		 level = 0;

	if ((n & (n - 1)) == 0 && (lo & (n - 1)) == 0) {
		while ((n >> level) > 1)
			level++;
		return read(arg, level, lo >> level, out, err);
	}
	k = merkle_split(n);
	if (merkle_range(read, arg, lo, lo + k, l, err) == -1 ||
	    merkle_range(read, arg, lo + k, hi, r, err) == -1)
		return -1;
	merkle_node_hash(l, r, out);
	return 0;
}

int
merkle_root(uint64_t n, merkle_read_fn read, void *arg,
    uint8_t out[MERKLE_HASH_LEN], char *err)
{
	/* The empty tree's hash is SHA-256 of nothing, not a leaf hash. */
	if (n == 0) {
		crypto_sha256("", 0, out);
		return 0;
	}
	return merkle_range(read, arg, 0, n, out, err);
}

/* Proofs are found root first; RFC 9162 lists them leaf end first. */
static void
merkle_reverse(uint8_t proof[][MERKLE_HASH_LEN], size_t n)
{
	uint8_t	 t[MERKLE_HASH_LEN];
	size_t	 i;

	for (i = 0; i < n / 2; i++) {
		memcpy(t, proof[i], MERKLE_HASH_LEN);
		memcpy(proof[i], proof[n - 1 - i], MERKLE_HASH_LEN);
		memcpy(proof[n - 1 - i], t, MERKLE_HASH_LEN);
	}
}

/* RFC 9162 §2.1.3.1 PATH(index, D[n]), without recursion. */
int
merkle_prove_inclusion(uint64_t index, uint64_t n, merkle_read_fn read,
    void *arg, uint8_t proof[][MERKLE_HASH_LEN], size_t *plen, char *err)
{
	uint64_t	 lo = 0, hi = n, k;
	size_t		 i = 0;

	*plen = 0;
	if (index >= n) {
		err_set(err, "leaf %llu is not in a tree of %llu leaves",
		    (unsigned long long)index, (unsigned long long)n);
		return -1;
	}
	while (hi - lo > 1) {
		if (i == MERKLE_PROOF_MAX) {
			err_set(err, "proof too long");
			return -1;
		}
		k = merkle_split(hi - lo);
		if (index < lo + k) {
			if (merkle_range(read, arg, lo + k, hi, proof[i++],
			    err) == -1)
				return -1;
			hi = lo + k;
		} else {
			if (merkle_range(read, arg, lo, lo + k, proof[i++],
			    err) == -1)
				return -1;
			lo += k;
		}
	}
	merkle_reverse(proof, i);
	*plen = i;
	return 0;
}

/*
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), without
 * recursion: [lo, hi) is the subtree at hand, m stays absolute, and
 * whole says whether [lo, hi) is still the old tree's own root side.
 */
int
merkle_prove_consistency(uint64_t m, uint64_t n, merkle_read_fn read,
    void *arg, uint8_t proof[][MERKLE_HASH_LEN], size_t *plen, char *err)
{
	uint64_t	 lo = 0, hi = n, k;
	size_t		 i = 0;
	int		 whole = 1;

	*plen = 0;
	if (m == 0 || m > n) {
		err_set(err, "no consistency proof from size %llu to %llu",
		    (unsigned long long)m, (unsigned long long)n);
		return -1;
	}
	while (m != hi || !whole) {
		if (i == MERKLE_PROOF_MAX) {
			err_set(err, "proof too long");
			return -1;
		}
		if (m == hi) {
			if (merkle_range(read, arg, lo, hi, proof[i++],
			    err) == -1)
				return -1;
			break;
		}
		k = merkle_split(hi - lo);
		if (m <= lo + k) {
			if (merkle_range(read, arg, lo + k, hi, proof[i++],
			    err) == -1)
				return -1;
			hi = lo + k;
		} else {
			if (merkle_range(read, arg, lo, lo + k, proof[i++],
			    err) == -1)
				return -1;
			lo += k;
			whole = 0;
		}
	}
	merkle_reverse(proof, i);
	*plen = i;
	return 0;
}

/* RFC 9162 §2.1.3.2, refusing an index outside the tree and extra hashes. */
int
merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf[MERKLE_HASH_LEN], const uint8_t proof[][MERKLE_HASH_LEN],
    size_t plen, const uint8_t root[MERKLE_HASH_LEN], char *err)
{
	uint8_t		 r[MERKLE_HASH_LEN];
	uint64_t	 fn = index, sn = size - 1;
	size_t		 i;

	if (index >= size) {
		err_set(err, "leaf %llu is not in a tree of %llu leaves",
		    (unsigned long long)index, (unsigned long long)size);
		return -1;
	}
	if (plen > MERKLE_PROOF_MAX) {
		err_set(err, "proof too long");
		return -1;
	}
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (i = 0; i < plen; i++) {
		if (sn == 0) {
			err_set(err, "proof too long");
			return -1;
		}
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			merkle_node_hash(r, proof[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0) {
		err_set(err, "proof too short");
		return -1;
	}
	if (memcmp(r, root, MERKLE_HASH_LEN) != 0) {
		err_set(err, "root mismatch");
		return -1;
	}
	return 0;
}

/*
 * RFC 9162 §2.1.4.2. Size 0 is refused: the old tree of a real check has
 * leaves, and a witness's "old 0" needs no proof at all (verifiability.md
 * §4.4). When size1 is a power of two, root1 is the proof's first hash.
 */
int
merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const uint8_t root1[MERKLE_HASH_LEN], const uint8_t root2[MERKLE_HASH_LEN],
    const uint8_t proof[][MERKLE_HASH_LEN], size_t plen, char *err)
{
	uint8_t		 fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	uint64_t	 fn, sn;
	size_t		 i = 0;

	if (size1 == 0) {
		err_set(err, "no consistency proof from size 0");
		return -1;
	}
	if (size1 > size2) {
		err_set(err, "size1 %llu is greater than size2 %llu",
		    (unsigned long long)size1, (unsigned long long)size2);
		return -1;
	}
	if (size1 == size2) {
		if (plen != 0) {
			err_set(err, "proof must be empty for equal sizes");
			return -1;
		}
		if (memcmp(root1, root2, MERKLE_HASH_LEN) != 0) {
			err_set(err, "root mismatch");
			return -1;
		}
		return 0;
	}
	if (plen == 0) {
		err_set(err, "proof too short");
		return -1;
	}
	if (plen > MERKLE_PROOF_MAX) {
		err_set(err, "proof too long");
		return -1;
	}
	if ((size1 & (size1 - 1)) == 0)
		memcpy(fr, root1, MERKLE_HASH_LEN);
	else
		memcpy(fr, proof[i++], MERKLE_HASH_LEN);
	memcpy(sr, fr, MERKLE_HASH_LEN);
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < plen; i++) {
		if (sn == 0) {
			err_set(err, "proof too long");
			return -1;
		}
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			merkle_node_hash(sr, proof[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0) {
		err_set(err, "proof too short");
		return -1;
	}
	if (memcmp(fr, root1, MERKLE_HASH_LEN) != 0) {
		err_set(err, "root1 mismatch");
		return -1;
	}
	if (memcmp(sr, root2, MERKLE_HASH_LEN) != 0) {
		err_set(err, "root2 mismatch");
		return -1;
	}
	return 0;
}

/*
 * A new tree over copies of n leaf hashes, with every complete subtree
 * computed now, so reads are a lookup. At most 2n hashes in all. Caller
 * frees with merkle_tree_free(). NULL with a reason when memory runs out.
 */
struct merkle_tree *
merkle_tree_new(const uint8_t leaves[][MERKLE_HASH_LEN], size_t n, char *err)
{
	struct merkle_tree	*t;
	size_t			 total = 0, cnt, i;
	int			 l;

	if (n > SIZE_MAX / 2 / MERKLE_HASH_LEN) {
		err_set(err, "%zu leaves are too many", n);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	t->mt_size = n;
	for (cnt = n; cnt > 0 && t->mt_levels <= MERKLE_LEVELS_MAX;
	    cnt >>= 1) {
		t->mt_off[t->mt_levels++] = total;
		total += cnt;
	}
	if ((t->mt_hash = calloc(total > 0 ? total : 1,
	    MERKLE_HASH_LEN)) == NULL) {
		free(t);
		err_set(err, "out of memory for a tree of %zu leaves", n);
		return NULL;
	}
	if (n > 0)
		memcpy(t->mt_hash, leaves, n * MERKLE_HASH_LEN);
	for (l = 1; l < t->mt_levels; l++) {
		cnt = n >> l;
		for (i = 0; i < cnt; i++)
			merkle_node_hash(t->mt_hash[t->mt_off[l - 1] + 2 * i],
			    t->mt_hash[t->mt_off[l - 1] + 2 * i + 1],
			    t->mt_hash[t->mt_off[l] + i]);
	}
	return t;
}

void
merkle_tree_free(struct merkle_tree *t)
{
	if (t == NULL)
		return;
	free(t->mt_hash);
	free(t);
}

uint64_t
merkle_tree_size(const struct merkle_tree *t)
{
	return t->mt_size;
}

/* A merkle_read_fn over a struct merkle_tree, passed as arg. */
int
merkle_tree_read(void *arg, int level, uint64_t index,
    uint8_t out[MERKLE_HASH_LEN], char *err)
{
	const struct merkle_tree	*t = arg;

	if (level < 0 || level >= t->mt_levels ||
	    index >= t->mt_size >> level) {
		err_set(err, "no complete subtree at level %d index %llu in a "
		    "tree of %llu leaves", level, (unsigned long long)index,
		    (unsigned long long)t->mt_size);
		return -1;
	}
	memcpy(out, t->mt_hash[t->mt_off[level] + index], MERKLE_HASH_LEN);
	return 0;
}
