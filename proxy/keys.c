/*
 * keys.c: the deployment's keys. One Ed25519 signing key, named, and one
 * 32-byte secret from which HKDF derives the salt key (commitments) and
 * the pseudonym key, with distinct labels so that neither reveals the
 * other.
 *
 * Files, as `sightline keygen --name NAME --out DIR` writes them ("/" in
 * NAME becomes "_" in the file names):
 *   NAME.skey    PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || seed)   mode 0600
 *                (Go's golang.org/x/mod/sumdb/note signer key form, so
 *                the same file works with Go's tools)
 *   NAME.secret  BASE64(32 random bytes)                       mode 0600
 *   NAME.vkey    NAME+KEYID+BASE64(0x01 || public key)         published
 * The vkey is the C2SP signed-note verifier key; KEYID is the first four
 * bytes of SHA-256(NAME || "\n" || 0x01 || public key), in hex.
 *
 * The same Ed25519 key can also serve as a witness: its cosignatures
 * (c2sp.org/tlog-cosignature) are published under a vkey of type 0x04,
 * NAME+KEYID+BASE64(0x04 || public key), whose KEYID hashes 0x04 instead
 * of 0x01 (keys_cosig_vkey()). Verifier keys of both types parse; each
 * caller checks that the type is the one it verifies.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define KEYS_SKEY_PREFIX	"PRIVATE+KEY+"
#define KEYS_SALT_LABEL		"sightline salt key v1"
#define KEYS_PSEUDONYM_LABEL	"sightline pseudonym key v1"

/*
 * The UTF-8 encodings of the Unicode spaces above ASCII (Go's
 * unicode.IsSpace: U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000), which C2SP forbids in key names.
 */
static size_t
keys_unicode_space(const unsigned char *p)
{
	if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
	    (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) ||
	    p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) ||
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
		return 3;
	return 0;
}

/*
 * A signed-note key name: valid UTF-8, printable, no space (ASCII or
 * Unicode) and no "+".
 */
int
keys_name_valid(const char *name)
{
	const unsigned char	*p = (const unsigned char *)name;

	if (*p == '\0' || strlen(name) > KEYS_NAME_MAX ||
	    !utf8_valid(name, strlen(name)))
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == '+' || *p == 0x7f ||
		    keys_unicode_space(p) != 0)
			return 0;
	return 1;
}

/* The key id of a key of signature type type (NOTE_SIGTYPE_*). */
uint32_t
keys_id_type(const char *name, uint8_t type,
    const uint8_t pub[ED25519_KEY_LEN])
{
	uint8_t	 buf[KEYS_NAME_MAX + 2 + ED25519_KEY_LEN];
	uint8_t	 md[SHA256_LEN];
	size_t	 n = strlen(name);

	if (n > KEYS_NAME_MAX)
		n = KEYS_NAME_MAX;
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = type;
	memcpy(buf + n + 2, pub, ED25519_KEY_LEN);
	crypto_sha256(buf, n + 2 + ED25519_KEY_LEN, md);
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | md[3];
}

/* The key id of a signed-note Ed25519 key (type 0x01). */
uint32_t
keys_id(const char *name, const uint8_t pub[ED25519_KEY_LEN])
{
	return keys_id_type(name, NOTE_SIGTYPE_ED25519, pub);
}

/*
 * Split "NAME+KEYID+BASE64" into its parts: the name (copied into name),
 * the key id and the 33 decoded bytes (type and key). The name cannot
 * hold "+" and base64 can, so split at the first two only. The type must
 * be Ed25519 (0x01), or also a cosignature key (0x04) when cosig is set.
 */
static int
keys_split(const char *s, char name[KEYS_NAME_MAX + 1], uint32_t *id,
    uint8_t key[1 + ED25519_KEY_LEN], int cosig, char *err)
{
	const char	*p1, *p2;
	char		 hex[9];
	uint8_t		 idb[4];
	size_t		 n;

	if ((p1 = strchr(s, '+')) == NULL || (p2 = strchr(p1 + 1, '+')) == NULL) {
		err_set(err, "not NAME+KEYID+KEY");
		return -1;
	}
	if ((n = (size_t)(p1 - s)) == 0 || n > KEYS_NAME_MAX) {
		err_set(err, "the key name is empty or longer than %d bytes",
		    KEYS_NAME_MAX);
		return -1;
	}
	memcpy(name, s, n);
	name[n] = '\0';
	if (!keys_name_valid(name)) {
		err_set(err, "the key name has a space, a control character or "
		    "bad UTF-8");
		return -1;
	}
	if (p2 - p1 - 1 != 8) {
		err_set(err, "the key id is not 8 hex digits");
		return -1;
	}
	memcpy(hex, p1 + 1, 8);
	hex[8] = '\0';
	if (hex_decode(hex, idb, 4, 0) == -1 || strspn(hex,
	    "0123456789abcdef") != 8) {
		err_set(err, "the key id is not 8 lowercase hex digits");
		return -1;
	}
	*id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 |
	    (uint32_t)idb[2] << 8 | idb[3];
	if (b64_decode(p2 + 1, strlen(p2 + 1), B64_STD, key,
	    1 + ED25519_KEY_LEN) != 1 + ED25519_KEY_LEN) {
		err_set(err, "the key is not base64 of 33 bytes");
		return -1;
	}
	if (key[0] != NOTE_SIGTYPE_ED25519 &&
	    (!cosig || key[0] != NOTE_SIGTYPE_COSIG)) {
		err_set(err, "key type 0x%02x is not Ed25519 (0x01)%s", key[0],
		    cosig ? " nor an Ed25519 cosignature key (0x04)" : "");
		return -1;
	}
	return 0;
}

/*
 * Parse a verifier key "NAME+KEYID+BASE64" into vk: a signed-note Ed25519
 * key (type 0x01) or a witness's cosignature key (type 0x04), told apart
 * by vk_type, which the caller MUST check. The key id must be the one the
 * name, type and key give. Returns 0, or -1 with a reason.
 */
int
keys_vkey_parse(const char *s, struct keys_vkey *vk, char *err)
{
	uint8_t		 key[1 + ED25519_KEY_LEN];
	uint32_t	 want;

	memset(vk, 0, sizeof(*vk));
	if (keys_split(s, vk->vk_name, &vk->vk_id, key, 1, err) == -1)
		return -1;
	vk->vk_type = key[0];
	memcpy(vk->vk_pub, key + 1, ED25519_KEY_LEN);
	want = keys_id_type(vk->vk_name, vk->vk_type, vk->vk_pub);
	if (want != vk->vk_id) {
		err_set(err, "key id %08x does not match the name and key "
		    "(%08x)", vk->vk_id, want);
		return -1;
	}
	if ((vk->vk_key = crypto_ed25519_new(vk->vk_pub, 0)) == NULL) {
		err_set(err, "not a valid Ed25519 public key");
		return -1;
	}
	return 0;
}

/*
 * The deployment's verifier key, from a command-line argument: the key
 * itself ("NAME+KEYID+BASE64"), or a file whose first line it is. A
 * witness's cosignature key (type 0x04) is refused: only the signing key
 * verifies answers. Returns 0, or -1 with a reason that names arg.
 */
int
keys_vkey_load(const char *arg, struct keys_vkey *vk, char *err)
{
	char	 why[ERR_MAX], *text = NULL;
	size_t	 len;
	int	 rc;

	if (access(arg, F_OK) == 0) {
		if ((text = file_read(arg, KEYS_FILE_MAX, &len, why)) == NULL) {
			err_set(err, "%s", why);
			return -1;
		}
		text[strcspn(text, "\r\n")] = '\0';
	}
	rc = keys_vkey_parse(text != NULL ? text : arg, vk, why);
	if (rc == -1)
		err_set(err, "verifier key %s: %s", arg, why);
	else if (vk->vk_type != NOTE_SIGTYPE_ED25519) {
		err_set(err, "verifier key %s: type 0x%02x is a witness's "
		    "cosignature key, not the deployment's signing key (0x01)",
		    arg, vk->vk_type);
		keys_vkey_clear(vk);
		rc = -1;
	}
	free(text);
	return rc;
}

void
keys_vkey_clear(struct keys_vkey *vk)
{
	crypto_ed25519_free(vk->vk_key);
	vk->vk_key = NULL;
}

/* "NAME+KEYID+BASE64(type || key)" into out (KEYS_VKEY_MAX bytes). */
static void
keys_format(const char *prefix, const char *name, uint32_t id, uint8_t type,
    const uint8_t k[ED25519_KEY_LEN], char *out)
{
	uint8_t	 key[1 + ED25519_KEY_LEN];
	char	 b64[B64_LEN(sizeof(key)) + 1];

	key[0] = type;
	memcpy(key + 1, k, ED25519_KEY_LEN);
	b64_encode(key, sizeof(key), B64_STD, b64);
	crypto_wipe(key, sizeof(key));
	snprintf(out, KEYS_VKEY_MAX, "%s%s+%08x+%s", prefix, name, id, b64);
	crypto_wipe(b64, sizeof(b64));
}

/* The first line of a private file, which must be mode 0600 or stricter. */
static char *
keys_read_line(const char *path, char *err)
{
	char	*text;
	size_t	 len;

	if (file_check_private(path, err) == -1)
		return NULL;
	if ((text = file_read(path, KEYS_FILE_MAX, &len, err)) == NULL)
		return NULL;
	if (strlen(text) != len) {
		crypto_wipe(text, len);
		free(text);
		err_set(err, "%s: has a NUL byte", path);
		return NULL;
	}
	text[strcspn(text, "\r\n")] = '\0';
	return text;
}

static int
keys_load_skey(struct keys *k, const char *path, char *err)
{
	uint8_t	 key[1 + ED25519_KEY_LEN];
	char	*text, why[ERR_MAX];
	int	 rc = -1;

	if ((text = keys_read_line(path, err)) == NULL)
		return -1;
	if (strncmp(text, KEYS_SKEY_PREFIX, strlen(KEYS_SKEY_PREFIX)) != 0) {
		err_set(err, "%s: not a signing key (it must start with "
		    "PRIVATE+KEY+)", path);
		goto done;
	}
	if (keys_split(text + strlen(KEYS_SKEY_PREFIX), k->k_name, &k->k_id,
	    key, 0, why) == -1) {
		err_set(err, "%s: %s", path, why);
		goto done;
	}
	if ((k->k_sign = crypto_ed25519_new(key + 1, 1)) == NULL ||
	    crypto_ed25519_public(k->k_sign, k->k_pub) == -1) {
		err_set(err, "%s: not a usable Ed25519 key", path);
		goto done;
	}
	if (keys_id(k->k_name, k->k_pub) != k->k_id) {
		err_set(err, "%s: key id %08x does not match the key (%08x)",
		    path, k->k_id, keys_id(k->k_name, k->k_pub));
		goto done;
	}
	keys_format("", k->k_name, k->k_id, NOTE_SIGTYPE_ED25519, k->k_pub,
	    k->k_vkey);
	rc = 0;
done:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(text, strlen(text));
	free(text);
	return rc;
}

/*
 * The verifier key of k's signing key used as a witness: type 0x04, its
 * own key id (tlog-cosignature), into out (KEYS_VKEY_MAX bytes). Returns
 * 0, or -1 when k has no signing key.
 */
int
keys_cosig_vkey(const struct keys *k, char *out)
{
	if (k->k_sign == NULL)
		return -1;
	keys_format("", k->k_name, keys_id_type(k->k_name, NOTE_SIGTYPE_COSIG,
	    k->k_pub), NOTE_SIGTYPE_COSIG, k->k_pub, out);
	return 0;
}

/* The salt and pseudonym keys from the secret, with distinct labels. */
static int
keys_derive(struct keys *k, const uint8_t secret[KEYS_SECRET_LEN])
{
	if (crypto_hkdf_sha256(secret, KEYS_SECRET_LEN, KEYS_SALT_LABEL,
	    k->k_salt, sizeof(k->k_salt)) == -1 ||
	    crypto_hkdf_sha256(secret, KEYS_SECRET_LEN, KEYS_PSEUDONYM_LABEL,
	    k->k_pseudonym, sizeof(k->k_pseudonym)) == -1)
		return -1;
	k->k_has_secret = 1;
	return 0;
}

/*
 * Keys from a secret given as bytes, without a signing key: for tests and
 * tools. Returns new keys, or NULL.
 */
struct keys *
keys_from_secret(const uint8_t secret[KEYS_SECRET_LEN])
{
	struct keys	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->k_refs = 1;
	if (keys_derive(k, secret) == -1) {
		keys_free(k);
		return NULL;
	}
	return k;
}

static int
keys_load_secret(struct keys *k, const char *path, char *err)
{
	uint8_t	 secret[KEYS_SECRET_LEN];
	char	*text;
	int	 rc = -1;

	if ((text = keys_read_line(path, err)) == NULL)
		return -1;
	if (b64_decode(text, strlen(text), B64_STD, secret, sizeof(secret)) !=
	    KEYS_SECRET_LEN) {
		err_set(err, "%s: not base64 of %d bytes", path,
		    KEYS_SECRET_LEN);
		goto done;
	}
	if (keys_derive(k, secret) == -1) {
		err_set(err, "%s: key derivation failed", path);
		goto done;
	}
	rc = 0;
done:
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(text, strlen(text));
	free(text);
	return rc;
}

/*
 * Load the signing key and the secret. Either path may be NULL (a tool
 * that needs only one). Returns new keys (free with keys_free()), or NULL
 * with a reason that names the file and never quotes it.
 */
struct keys *
keys_load(const char *skey, const char *secret, char *err)
{
	struct keys	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	if ((skey != NULL && keys_load_skey(k, skey, err) == -1) ||
	    (secret != NULL && keys_load_secret(k, secret, err) == -1)) {
		keys_free(k);
		return NULL;
	}
	k->k_refs = 1;
	return k;
}

/*
 * Keys with a random secret, for tools that show what a policy does
 * without the deployment's keys: digests and pseudonyms are then not the
 * daemon's. Returns new keys, or NULL.
 */
struct keys *
keys_throwaway(void)
{
	uint8_t		 secret[KEYS_SECRET_LEN];
	struct keys	*k;

	if (crypto_random(secret, sizeof(secret)) == -1)
		return NULL;
	k = keys_from_secret(secret);
	crypto_wipe(secret, sizeof(secret));
	return k;
}

/* One more holder of k (the front keeps the keys across a reload). */
struct keys *
keys_ref(struct keys *k)
{
	if (k != NULL)
		k->k_refs++;
	return k;
}

/* Drop a reference; the last one wipes and frees k. */
void
keys_free(struct keys *k)
{
	if (k == NULL || --k->k_refs > 0)
		return;
	crypto_ed25519_free(k->k_sign);
	crypto_wipe(k, sizeof(*k));
	free(k);
}

/* Write text and a newline to a new file path with mode; never replaces. */
static int
keys_write(const char *path, const char *text, mode_t mode, char *err)
{
	size_t	 len = strlen(text);
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1 ||
	    (n = write(fd, text, len)) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * Make a new deployment key named name in directory dir: NAME.skey,
 * NAME.secret (both 0600) and NAME.vkey, with "/" in the name written
 * "_" in the file names. Refuses to replace a file.
 * Writes the verifier key into vkey (KEYS_VKEY_MAX bytes). Returns 0, or
 * -1 with a reason (and leaves no partial key behind).
 */
int
keys_generate(const char *name, const char *dir, char *vkey, char *err)
{
	uint8_t			 seed[ED25519_KEY_LEN], pub[ED25519_KEY_LEN];
	uint8_t			 secret[KEYS_SECRET_LEN];
	char			 skey[KEYS_VKEY_MAX];
	char			 b64[B64_LEN(KEYS_SECRET_LEN) + 1];
	char			 p_skey[PATH_MAX], p_secret[PATH_MAX];
	char			 p_vkey[PATH_MAX], base[KEYS_NAME_MAX + 1], *p;
	struct crypto_ed25519	*ed = NULL;
	uint32_t		 id;
	int			 rc = -1;

	if (!keys_name_valid(name)) {
		err_set(err, "key name \"%s\": must be 1 to %d printable "
		    "characters without spaces or \"+\"", name, KEYS_NAME_MAX);
		return -1;
	}
	/* Names are often URLs without a scheme: "example.com/log". */
	strlcpy(base, name, sizeof(base));
	for (p = base; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
	if ((size_t)snprintf(p_skey, sizeof(p_skey), "%s/%s.skey", dir,
	    base) >= sizeof(p_skey) ||
	    (size_t)snprintf(p_secret, sizeof(p_secret), "%s/%s.secret", dir,
	    base) >= sizeof(p_secret) ||
	    (size_t)snprintf(p_vkey, sizeof(p_vkey), "%s/%s.vkey", dir,
	    base) >= sizeof(p_vkey)) {
		err_set(err, "%s: path too long", dir);
		return -1;
	}
	if (crypto_random(seed, sizeof(seed)) == -1 ||
	    crypto_random(secret, sizeof(secret)) == -1) {
		err_set(err, "no randomness");
		goto done;
	}
	if ((ed = crypto_ed25519_new(seed, 1)) == NULL ||
	    crypto_ed25519_public(ed, pub) == -1) {
		err_set(err, "cannot make an Ed25519 key");
		goto done;
	}
	id = keys_id(name, pub);
	keys_format(KEYS_SKEY_PREFIX, name, id, NOTE_SIGTYPE_ED25519, seed,
	    skey);
	keys_format("", name, id, NOTE_SIGTYPE_ED25519, pub, vkey);
	b64_encode(secret, sizeof(secret), B64_STD, b64);
	if (keys_write(p_skey, skey, 0600, err) == -1)
		goto done;
	if (keys_write(p_secret, b64, 0600, err) == -1) {
		unlink(p_skey);
		goto done;
	}
	if (keys_write(p_vkey, vkey, 0644, err) == -1) {
		unlink(p_skey);
		unlink(p_secret);
		goto done;
	}
	rc = 0;
done:
	crypto_ed25519_free(ed);
	crypto_wipe(seed, sizeof(seed));
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(skey, sizeof(skey));
	crypto_wipe(b64, sizeof(b64));
	return rc;
}
