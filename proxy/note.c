/*
 * note.c: C2SP signed notes (c2sp.org/signed-note@v1), the log's
 * checkpoints (c2sp.org/tlog-checkpoint@v1) and witnesses' Ed25519
 * cosignatures (c2sp.org/tlog-cosignature@v1.0.1).
 *
 * A signed note is its text (ending in "\n"), a blank line, then lines
 * "— NAME BASE64(key id || signature)\n". A checkpoint is a note whose
 * text is "ORIGIN\nSIZE\nBASE64(root)\n" and optional extension lines;
 * the log signs it with an Ed25519 key (type 0x01, the signature covers
 * the text), a witness adds a cosignature (type 0x04, the signature
 * covers "cosignature/v1\ntime T\n" and the text). Parsing is strict:
 * what the specifications only recommend is also what note.c writes,
 * and what they forbid is refused with a reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define NOTE_DASH		"\xe2\x80\x94 "	/* U+2014, space */
#define NOTE_DASH_LEN		4
#define NOTE_COSIG_LEN		(8 + ED25519_SIG_LEN)	/* after the id */
#define NOTE_COSIG_CONTEXT	"cosignature/v1\ntime "
#define NOTE_TIME_MAX		((uint64_t)INT64_MAX)	/* cosignature time */
#define NOTE_SIZE_MAX		((uint64_t)INT64_MAX)	/* a tree size */
#define NOTE_ROOT_B64_LEN	B64_LEN(MERKLE_HASH_LEN)
#define NOTE_SIZE_DIGITS	19	/* of INT64_MAX */

/*
 * Check the signature(s) of vk in one signature line over text: sig is
 * what follows the key id. Returns 0, or -1 with a reason.
 */
typedef int (*note_check_fn)(const struct keys_vkey *, const char *, size_t,
    const uint8_t *, size_t, void *, char *);

/* The n-byte big-endian number at p; and v written so. */
static uint64_t
note_get(const uint8_t *p, size_t n)
{
	uint64_t	 v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static void
note_put(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Valid UTF-8 without ASCII control characters other than LF: what the
 * whole of a signed note must be.
 */
static int
note_chars(const char *s, size_t len, char *err)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n') {
			err_set(err, "control character 0x%02x at byte %zu",
			    (unsigned char)s[i], i);
			return -1;
		}
	if (!utf8_valid(s, len)) {
		err_set(err, "not valid UTF-8");
		return -1;
	}
	return 0;
}

/* A note text: non-empty, ends in "\n", at most NOTE_MAX bytes. */
static int
note_text_check(const char *text, size_t len, char *err)
{
	if (len == 0 || text[len - 1] != '\n') {
		err_set(err, "the note text does not end in a newline");
		return -1;
	}
	if (len > NOTE_MAX) {
		err_set(err, "the note text is longer than %d bytes", NOTE_MAX);
		return -1;
	}
	return note_chars(text, len, err);
}

/*
 * A tree size: ASCII decimal, no sign, no space, no leading zero (but
 * "0" itself), below 2^63 as the Merkle code and Go's tlog require.
 */
static int
note_size_parse(const char *s, size_t len, uint64_t *size)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > NOTE_SIZE_DIGITS || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (NOTE_SIZE_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*size = v;
	return 0;
}

/*
 * The text of a checkpoint of the tree of size leaves with root hash
 * root, for the log origin. The origin must be a valid key name (no
 * space, no "+"), as the specification recommends, since the log's key is
 * named after it. Returns a new string (*len bytes), or NULL with err.
 */
char *
note_checkpoint_text(const char *origin, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], size_t *len, char *err)
{
	char		 b64[NOTE_ROOT_B64_LEN + 1];
	struct buf	 b;
	char		*text;

	if (!keys_name_valid(origin)) {
		err_set(err, "origin \"%s\": must be 1 to %d printable "
		    "characters without spaces or \"+\"", origin,
		    NOTE_ORIGIN_MAX);
		return NULL;
	}
	if (size > NOTE_SIZE_MAX) {
		err_set(err, "tree size %llu is 2^63 or more",
		    (unsigned long long)size);
		return NULL;
	}
	b64_encode(root, MERKLE_HASH_LEN, B64_STD, b64);
	buf_init(&b);
	buf_printf(&b, "%s\n%llu\n%s\n", origin, (unsigned long long)size,
	    b64);
	if ((text = buf_take(&b, len)) == NULL)
		err_set(err, "out of memory");
	return text;
}

/*
 * Parse a checkpoint's note text (the signed part, its final "\n"
 * included) into cp: origin, size, root and the count of extension
 * lines. The origin is taken as it is (sum.golang.org's has spaces).
 * Returns 0, or -1 with a reason.
 */
int
note_checkpoint_parse(const char *text, size_t len,
    struct note_checkpoint *cp, char *err)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n, line;
	uint8_t		 root[MERKLE_HASH_LEN];

	memset(cp, 0, sizeof(*cp));
	if (note_text_check(text, len, err) == -1)
		return -1;
	for (line = 0; p < end; line++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((n = (size_t)(nl - p)) == 0) {
			err_set(err, "line %zu of the checkpoint is empty",
			    line + 1);
			return -1;
		}
		if (line == 0) {
			if (n > NOTE_ORIGIN_MAX) {
				err_set(err, "the origin is longer than %d "
				    "bytes", NOTE_ORIGIN_MAX);
				return -1;
			}
			memcpy(cp->nc_origin, p, n);
			cp->nc_origin[n] = '\0';
		} else if (line == 1) {
			if (note_size_parse(p, n, &cp->nc_size) == -1) {
				err_set(err, "the tree size is not a decimal "
				    "number below 2^63 without leading zeros");
				return -1;
			}
		} else if (line == 2) {
			if (n != NOTE_ROOT_B64_LEN || b64_decode(p, n, B64_STD,
			    root, sizeof(root)) != MERKLE_HASH_LEN) {
				err_set(err, "the root hash is not standard "
				    "base64 of %d bytes", MERKLE_HASH_LEN);
				return -1;
			}
			memcpy(cp->nc_root, root, MERKLE_HASH_LEN);
		} else
			cp->nc_nextensions++;
	}
	if (line < 3) {
		err_set(err, "a checkpoint has an origin, a size and a root "
		    "hash: %zu line%s", line, line == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/*
 * Sign text (a note text: non-empty, UTF-8, no control characters but
 * LF, ending in "\n") with k's Ed25519 key. Returns the new signed note,
 * text + "\n" + "— NAME BASE64(id || signature)\n", of *outlen bytes, or
 * NULL with err.
 */
char *
note_sign(const struct keys *k, const char *text, size_t len, size_t *outlen,
    char *err)
{
	uint8_t		 raw[4 + ED25519_SIG_LEN];
	char		 b64[B64_LEN(sizeof(raw)) + 1], *note;
	struct buf	 b;

	if (k->k_sign == NULL || !keys_name_valid(k->k_name)) {
		err_set(err, "no signing key");
		return NULL;
	}
	if (note_text_check(text, len, err) == -1)
		return NULL;
	/* What note_verify() would refuse is not made either. */
	if (len + 1 + NOTE_DASH_LEN + strlen(k->k_name) + 1 + B64_LEN(
	    sizeof(raw)) + 1 > NOTE_MAX) {
		err_set(err, "the signed note would be longer than %d bytes",
		    NOTE_MAX);
		return NULL;
	}
	note_put(raw, k->k_id, 4);
	if (crypto_ed25519_sign(k->k_sign, text, len, raw + 4) == -1) {
		err_set(err, "Ed25519 signing failed");
		return NULL;
	}
	b64_encode(raw, sizeof(raw), B64_STD, b64);
	buf_init(&b);
	buf_add(&b, text, len);
	buf_printf(&b, "\n" NOTE_DASH "%s %s\n", k->k_name, b64);
	if ((note = buf_take(&b, outlen)) == NULL)
		err_set(err, "out of memory");
	return note;
}

/*
 * Check the syntax of the whole signed note, and call check for every
 * signature line by vk's (name, key id); lines of other keys, of any
 * type, are ignored. Sets *textlen to the length of the signed text.
 * Returns the number of lines checked, or -1 with a reason.
 */
static int
note_walk(const char *note, size_t len, const struct keys_vkey *vk,
    note_check_fn check, void *arg, size_t *textlen, char *err)
{
	const char	*p, *end = note + len, *nl, *sp;
	char		 name[KEYS_NAME_MAX + 1], why[ERR_MAX];
	uint8_t		*raw;
	ssize_t		 n;
	size_t		 split, nsigs = 0;
	int		 found = 0;

	if (len > NOTE_MAX) {
		err_set(err, "the note is longer than %d bytes", NOTE_MAX);
		return -1;
	}
	if (note_chars(note, len, err) == -1)
		return -1;
	/* The text ends at the last blank line: signatures have none. */
	for (split = len; split >= 2; split--)
		if (note[split - 2] == '\n' && note[split - 1] == '\n')
			break;
	if (split < 2) {
		err_set(err, "no blank line before the signatures");
		return -1;
	}
	*textlen = split - 1;
	if (split == len || note[len - 1] != '\n') {
		err_set(err, "%s", split == len ? "no signature lines" :
		    "the last signature line does not end in a newline");
		return -1;
	}
	/* Room for the longest base64 a line can hold, decoded. */
	if ((raw = malloc(len / 4 * 3 + 3)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (p = note + split; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (++nsigs > NOTE_SIGS_MAX) {
			err_set(err, "more than %d signature lines",
			    NOTE_SIGS_MAX);
			goto fail;
		}
		if (nl - p < NOTE_DASH_LEN ||
		    memcmp(p, NOTE_DASH, NOTE_DASH_LEN) != 0 ||
		    (sp = memchr(p + NOTE_DASH_LEN, ' ',
		    (size_t)(nl - p - NOTE_DASH_LEN))) == NULL) {
			err_set(err, "signature line %zu is not \"— NAME "
			    "SIGNATURE\"", nsigs);
			goto fail;
		}
		p += NOTE_DASH_LEN;
		if (sp - p > KEYS_NAME_MAX) {
			err_set(err, "signature line %zu: the key name is "
			    "longer than %d bytes", nsigs, KEYS_NAME_MAX);
			goto fail;
		}
		memcpy(name, p, (size_t)(sp - p));
		name[sp - p] = '\0';
		if (!keys_name_valid(name)) {
			err_set(err, "signature line %zu: the key name is "
			    "empty or has a space or a \"+\"", nsigs);
			goto fail;
		}
		if ((n = b64_decode(sp + 1, (size_t)(nl - sp - 1), B64_STD,
		    raw, len / 4 * 3 + 3)) < 5) {
			err_set(err, "signature line %zu: not standard base64 "
			    "of a key id and a signature", nsigs);
			goto fail;
		}
		if (strcmp(name, vk->vk_name) != 0 ||
		    note_get(raw, 4) != vk->vk_id)
			continue;
		if (check(vk, note, *textlen, raw + 4, (size_t)n - 4, arg,
		    why) == -1) {
			err_set(err, "signature by %s+%08x: %s", vk->vk_name,
			    vk->vk_id, why);
			goto fail;
		}
		found++;
	}
	free(raw);
	return found;
fail:
	free(raw);
	return -1;
}

static int
note_check_ed25519(const struct keys_vkey *vk, const char *text, size_t len,
    const uint8_t *sig, size_t siglen, void *arg, char *err)
{
	(void)arg;
	if (siglen != ED25519_SIG_LEN) {
		err_set(err, "%zu bytes, not an Ed25519 signature", siglen);
		return -1;
	}
	if (!crypto_ed25519_verify(vk->vk_key, text, len, sig)) {
		err_set(err, "does not verify over the note text");
		return -1;
	}
	return 0;
}

/*
 * Verify the signed note (len bytes) with vk, an Ed25519 key of type
 * 0x01. The whole note must be well formed; other keys' signatures are
 * ignored, every one of vk's must verify, and there must be one. Sets
 * *textlen to the length of the signed text (from note, its final "\n"
 * included). Returns 0, or -1 with a reason.
 */
int
note_verify(const char *note, size_t len, const struct keys_vkey *vk,
    size_t *textlen, char *err)
{
	size_t	 tl;
	int	 n;

	if (vk->vk_type != NOTE_SIGTYPE_ED25519 || vk->vk_key == NULL) {
		err_set(err, "%s+%08x is a key of type 0x%02x, not a note "
		    "signing key (0x01)", vk->vk_name, vk->vk_id, vk->vk_type);
		return -1;
	}
	if ((n = note_walk(note, len, vk, note_check_ed25519, NULL, &tl,
	    err)) == -1)
		return -1;
	if (n == 0) {
		err_set(err, "no signature by %s+%08x", vk->vk_name, vk->vk_id);
		return -1;
	}
	*textlen = tl;
	return 0;
}

/* "cosignature/v1\ntime T\n" and the text: what a witness signs. */
static void
note_cosig_message(struct buf *b, uint64_t t, const char *text, size_t len)
{
	buf_printf(b, NOTE_COSIG_CONTEXT "%llu\n", (unsigned long long)t);
	buf_add(b, text, len);
}

static int
note_check_cosig(const struct keys_vkey *vk, const char *text, size_t len,
    const uint8_t *sig, size_t siglen, void *arg, char *err)
{
	struct buf	 b;
	uint64_t	 t;
	int		 ok;

	if (siglen != NOTE_COSIG_LEN) {
		err_set(err, "%zu bytes, not a time and an Ed25519 signature",
		    siglen);
		return -1;
	}
	if ((t = note_get(sig, 8)) > NOTE_TIME_MAX) {
		err_set(err, "the time is 2^63 or more");
		return -1;
	}
	buf_init(&b);
	note_cosig_message(&b, t, text, len);
	if (b.b_oom) {
		buf_free(&b);
		err_set(err, "out of memory");
		return -1;
	}
	ok = crypto_ed25519_verify(vk->vk_key, b.b_data, b.b_len, sig + 8);
	buf_free(&b);
	if (!ok) {
		err_set(err, "the cosignature of time %llu does not verify",
		    (unsigned long long)t);
		return -1;
	}
	*(uint64_t *)arg = t;
	return 0;
}

/*
 * Cosign the checkpoint text (len bytes, its final "\n" included) as the
 * witness k at time t (seconds since the epoch): append the line
 * "— NAME BASE64(id || t || signature)\n" to out, with the type-0x04 key
 * id of k. Returns 0, or -1 with a reason (out unchanged, unless it ran
 * out of memory).
 */
int
note_cosign(const struct keys *k, const char *text, size_t len, uint64_t t,
    struct buf *out, char *err)
{
	struct note_checkpoint	 cp;
	struct buf		 b;
	uint8_t			 raw[4 + NOTE_COSIG_LEN];
	char			 b64[B64_LEN(sizeof(raw)) + 1];
	int			 rc;

	if (k->k_sign == NULL || !keys_name_valid(k->k_name)) {
		err_set(err, "no signing key");
		return -1;
	}
	if (t > NOTE_TIME_MAX) {
		err_set(err, "time %llu is 2^63 or more", (unsigned long long)t);
		return -1;
	}
	if (note_checkpoint_parse(text, len, &cp, err) == -1)
		return -1;
	note_put(raw, keys_id_type(k->k_name, NOTE_SIGTYPE_COSIG, k->k_pub), 4);
	note_put(raw + 4, t, 8);
	buf_init(&b);
	note_cosig_message(&b, t, text, len);
	rc = b.b_oom ? -1 : crypto_ed25519_sign(k->k_sign, b.b_data, b.b_len,
	    raw + 12);
	buf_free(&b);
	if (rc == -1) {
		err_set(err, "Ed25519 signing failed");
		return -1;
	}
	b64_encode(raw, sizeof(raw), B64_STD, b64);
	buf_printf(out, NOTE_DASH "%s %s\n", k->k_name, b64);
	if (out->b_oom) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Verify the cosignature of the witness vk (a key of type 0x04) on the
 * signed note (len bytes), whose text is a checkpoint: the whole note
 * must be well formed, every line by vk's (name, key id) must be a valid
 * cosignature, and there must be one. Sets *t to its time. Returns 0, or
 * -1 with a reason.
 */
int
note_cosig_verify(const char *note, size_t len, const struct keys_vkey *vk,
    uint64_t *t, char *err)
{
	uint64_t	 when = 0;
	size_t		 tl;
	int		 n;

	if (vk->vk_type != NOTE_SIGTYPE_COSIG || vk->vk_key == NULL) {
		err_set(err, "%s+%08x is a key of type 0x%02x, not a witness's "
		    "cosignature key (0x04)", vk->vk_name, vk->vk_id,
		    vk->vk_type);
		return -1;
	}
	if ((n = note_walk(note, len, vk, note_check_cosig, &when, &tl,
	    err)) == -1)
		return -1;
	if (n == 0) {
		err_set(err, "no cosignature by %s+%08x", vk->vk_name,
		    vk->vk_id);
		return -1;
	}
	*t = when;
	return 0;
}
