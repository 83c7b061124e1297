/*
 * commit.c: commitments and pseudonyms, the policy actions that hide a
 * value from the hoster yet bind the reseller to it.
 *
 * A commitment is an SD-JWT (RFC 9901) disclosure, so standard SD-JWT
 * tools can check it:
 *   disclosure = base64url(JCS([salt, name, value]))
 *   digest     = base64url(SHA-256(ASCII(disclosure)))
 * The digest goes into the "_sd" array of the object the field left. The
 * array is serialized with RFC 8785 (canon.c), so anyone holding salt,
 * name and value rebuilds the very same disclosure: sightline need not
 * keep disclosure strings to open a field later, only its keys.
 *
 * The salt is derived, not random: the first 16 bytes of
 *   HMAC-SHA256(salt key, record id || 0 || field path || 0 || JCS(value))
 * so an unchanged value keeps its digest from one snapshot to the next
 * (and storage deduplicates), while the hoster, who lacks the key, cannot
 * test guesses against a digest. Changing the value, the record or the
 * field gives an unrelated salt.
 *
 * A pseudonym is "ps:" + base64url(first 16 bytes of
 *   HMAC-SHA256(pseudonym key, field name || 0 || JCS(value)))
 * equal for equal values of the same field across records and panels, so
 * the hoster sees which VPSes share an owner, and nothing else.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* key || 0 || a || 0 || JCS(value), HMAC-SHA256'd with k into md. */
static int
commit_mac(const uint8_t k[SHA256_LEN], const char *a, const char *b,
    const json_t *value, uint8_t md[SHA256_LEN], char *err)
{
	struct buf	 msg;
	char		 why[ERR_MAX];

	buf_init(&msg);
	if (a != NULL) {
		buf_addstr(&msg, a);
		buf_add(&msg, "", 1);
	}
	buf_addstr(&msg, b);
	buf_add(&msg, "", 1);
	if (canon_write(&msg, value, why) == -1) {
		buf_free(&msg);
		err_set(err, "%s", why);
		return -1;
	}
	if (msg.b_oom) {
		buf_free(&msg);
		err_set(err, "out of memory");
		return -1;
	}
	crypto_hmac_sha256(k, SHA256_LEN, msg.b_data, msg.b_len, md);
	crypto_wipe(msg.b_data, msg.b_len);
	buf_free(&msg);
	return 0;
}

/* The digest of a disclosure string into digest (COMMIT_DIGEST_MAX). */
void
commit_digest(const char *disclosure, size_t len, char *digest)
{
	uint8_t	 md[SHA256_LEN];

	crypto_sha256(disclosure, len, md);
	b64_encode(md, sizeof(md), B64_URL, digest);
}

/*
 * Commit to field name, at path in the record ctx, holding value. Sets
 * *disclosure to a new string (caller frees) when not NULL, and digest.
 * Returns 0, or -1 with a reason that does not quote the value.
 */
int
commit_make(const struct keys *k, const char *ctx, const char *path,
    const char *name, const json_t *value, char **disclosure, char *digest,
    char *err)
{
	uint8_t		 md[SHA256_LEN];
	char		 salt[B64_LEN(COMMIT_SALT_LEN) + 1];
	json_t		*arr;
	char		*text, *d;
	size_t		 len;

	if (k == NULL || !k->k_has_secret) {
		err_set(err, "no secret key to commit with");
		return -1;
	}
	if (commit_mac(k->k_salt, ctx, path, value, md, err) == -1)
		return -1;
	b64_encode(md, COMMIT_SALT_LEN, B64_URL, salt);
	crypto_wipe(md, sizeof(md));
	arr = json_pack("[s, s, O]", salt, name, value);
	if (arr == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	text = canon_dump(arr, &len, err);
	json_decref(arr);
	if (text == NULL)
		return -1;
	if ((d = malloc(B64_LEN(len) + 1)) == NULL) {
		free(text);
		err_set(err, "out of memory");
		return -1;
	}
	len = b64_encode((const uint8_t *)text, len, B64_URL, d);
	free(text);
	commit_digest(d, len, digest);
	if (disclosure != NULL)
		*disclosure = d;
	else
		free(d);
	return 0;
}

/*
 * The pseudonym of value for field name into out (COMMIT_PSEUDONYM_MAX).
 * Returns 0, or -1 with a reason.
 */
int
commit_pseudonym(const struct keys *k, const char *name, const json_t *value,
    char *out, char *err)
{
	uint8_t	 md[SHA256_LEN];
	char	 b64[B64_LEN(COMMIT_PSEUDONYM_BYTES) + 1];

	if (k == NULL || !k->k_has_secret) {
		err_set(err, "no secret key to make pseudonyms with");
		return -1;
	}
	if (commit_mac(k->k_pseudonym, NULL, name, value, md, err) == -1)
		return -1;
	b64_encode(md, COMMIT_PSEUDONYM_BYTES, B64_URL, b64);
	snprintf(out, COMMIT_PSEUDONYM_MAX, "ps:%s", b64);
	return 0;
}

/*
 * Open a disclosure: decode it and check its form, [salt, name, value]
 * with a string salt and a name that may stand in an object. Returns a
 * new array, or NULL with a reason.
 */
json_t *
commit_open(const char *disclosure, char *err)
{
	size_t		 len = strlen(disclosure);
	uint8_t		*raw;
	ssize_t		 n;
	json_t		*arr;
	const char	*name;
	char		 why[ERR_MAX];

	if (len == 0 || len > COMMIT_DISCLOSURE_MAX) {
		err_set(err, "the disclosure is empty or longer than %d bytes",
		    COMMIT_DISCLOSURE_MAX);
		return NULL;
	}
	if ((raw = malloc(len)) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	if ((n = b64_decode(disclosure, len, B64_URL, raw, len)) == -1) {
		free(raw);
		err_set(err, "the disclosure is not base64url without padding");
		return NULL;
	}
	arr = canon_parse((const char *)raw, (size_t)n, why);
	free(raw);
	if (arr == NULL) {
		err_set(err, "the disclosure is not JSON: %s", why);
		return NULL;
	}
	if (!json_is_array(arr) || json_array_size(arr) != 3 ||
	    !json_is_string(json_array_get(arr, 0)) ||
	    !json_is_string(json_array_get(arr, 1))) {
		json_decref(arr);
		err_set(err, "the disclosure is not [salt, name, value] with a "
		    "string salt and name");
		return NULL;
	}
	name = json_string_value(json_array_get(arr, 1));
	if (strcmp(name, "_sd") == 0 || strcmp(name, "...") == 0 ||
	    strcmp(name, "_sd_alg") == 0) {
		err_set(err, "the disclosure's name \"%s\" is reserved", name);
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/*
 * The value at path in doc: "a.b[2].c", as policy traces write paths.
 * Returns a borrowed reference, or NULL with a reason. *name is set to
 * the last field name on the way.
 */
const json_t *
commit_lookup(const json_t *doc, const char *path, char *name, size_t len,
    char *err)
{
	const char	*p = path, *e;
	char		 key[COMMIT_NAME_MAX];
	const json_t	*v = doc;
	long long	 idx;
	const char	*errstr;
	char		 num[24];

	name[0] = '\0';
	if (*p == '\0') {
		err_set(err, "an empty field path");
		return NULL;
	}
	while (*p != '\0') {
		if (*p == '[') {
			if ((e = strchr(p, ']')) == NULL || e - p - 1 <= 0 ||
			    e - p - 1 >= (long)sizeof(num)) {
				err_set(err, "%s: a bad [index]", path);
				return NULL;
			}
			memcpy(num, p + 1, (size_t)(e - p - 1));
			num[e - p - 1] = '\0';
			idx = strtonum(num, 0, LLONG_MAX, &errstr);
			if (errstr != NULL || !json_is_array(v) ||
			    (v = json_array_get(v, (size_t)idx)) == NULL) {
				err_set(err, "%s: no element [%s]", path, num);
				return NULL;
			}
			p = e + 1;
			if (*p == '.')
				p++;
			continue;
		}
		e = p + strcspn(p, ".[");
		if (e == p || (size_t)(e - p) >= sizeof(key)) {
			err_set(err, "%s: a bad field name", path);
			return NULL;
		}
		memcpy(key, p, (size_t)(e - p));
		key[e - p] = '\0';
		if (!json_is_object(v) || (v = json_object_get(v, key)) ==
		    NULL) {
			err_set(err, "%s: no field \"%s\"", path, key);
			return NULL;
		}
		strlcpy(name, key, len);
		p = *e == '.' ? e + 1 : e;
	}
	if (name[0] == '\0') {
		err_set(err, "%s: names no field", path);
		return NULL;
	}
	return v;
}

/*
 * Find digest in any "_sd" array of doc. Returns the object holding it
 * (borrowed) and writes its path into where, or NULL.
 */
const json_t *
commit_find(const json_t *doc, const char *digest, char *where, size_t len)
{
	const json_t	*sd, *v, *found;
	const char	*k;
	size_t		 i, n = strlen(where);

	if (json_is_object(doc)) {
		sd = json_object_get(doc, "_sd");
		json_array_foreach(sd, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), digest) == 0)
				return doc;
		json_object_foreach((json_t *)doc, k, v) {
			snprintf(where + n, len - n, "%s%s", n > 0 ? "." : "",
			    k);
			if ((found = commit_find(v, digest, where, len)) != NULL)
				return found;
		}
	} else if (json_is_array(doc)) {
		json_array_foreach(doc, i, v) {
			snprintf(where + n, len - n, "[%zu]", i);
			if ((found = commit_find(v, digest, where, len)) != NULL)
				return found;
		}
	}
	where[n] = '\0';
	return NULL;
}
