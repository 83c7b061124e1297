/*
 * test_sign.c: proxy/sign.c and proxy/httpmsg.c against the RFC 9421 and
 * RFC 9530 vectors in tests/vectors (copied from the shared reference),
 * then sightline's own signed responses: made, verified, and tampered
 * with in every covered part, each refused with its own reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static char	 vdir[PATH_MAX];

/* The RFC 9421 B.1.4 test key's seed. */
static const char *const test_seed_hex =
    "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char	 path[PATH_MAX * 2], err[ERR_MAX];
	char	*s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((s = file_read(path, 1 << 20, len, err)) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return s;
}

static json_t *
load_json(const char *dir, const char *name)
{
	char		 path[PATH_MAX * 2];
	json_error_t	 jerr;
	json_t		*j;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((j = json_load_file(path, 0, &jerr)) == NULL) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		exit(1);
	}
	return j;
}

static struct crypto_ed25519 *
test_key(void)
{
	uint8_t	 seed[ED25519_KEY_LEN];

	if (hex_decode(test_seed_hex, seed, sizeof(seed), 0) == -1) {
		printf("Bail out! bad seed\n");
		exit(1);
	}
	return crypto_ed25519_new(seed, 1);
}

/* The member value after "label=" in a Signature-Input or Signature. */
static const char *
member(const char *field)
{
	const char	*eq = strchr(field, '=');

	return eq != NULL ? eq + 1 : "";
}

static void
test_base64(void)
{
	static const struct {
		const char	*in, *std, *url;
	} v[] = {	/* RFC 4648, section 10 */
		{ "", "", "" }, { "f", "Zg==", "Zg" }, { "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=", "-_8" },
	};
	static const char *const bad_std[] = {
		"Zg=", "Zg", "Z===", "Zh==", "Zm9v\n", "-_8=", "Zm8==", "=Zm8",
	};
	static const char *const bad_url[] = { "Z", "Zg==", "+/8", "Zh" };
	char		 out[64];
	uint8_t		 dec[64];
	ssize_t		 n;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b64_encode((const uint8_t *)v[i].in, strlen(v[i].in), B64_STD,
		    out);
		tap_str(out, v[i].std, "base64 of a RFC 4648 vector");
		b64_encode((const uint8_t *)v[i].in, strlen(v[i].in), B64_URL,
		    out);
		tap_str(out, v[i].url, "base64url of a RFC 4648 vector");
		n = b64_decode(v[i].std, strlen(v[i].std), B64_STD, dec,
		    sizeof(dec));
		tap_ok(n == (ssize_t)strlen(v[i].in) &&
		    memcmp(dec, v[i].in, (size_t)n) == 0,
		    "decode \"%s\"", v[i].std);
		n = b64_decode(v[i].url, strlen(v[i].url), B64_URL, dec,
		    sizeof(dec));
		tap_ok(n == (ssize_t)strlen(v[i].in) &&
		    memcmp(dec, v[i].in, (size_t)n) == 0,
		    "decode url \"%s\"", v[i].url);
	}
	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		tap_int(b64_decode(bad_std[i], strlen(bad_std[i]), B64_STD,
		    dec, sizeof(dec)), -1, "refused base64");
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		tap_int(b64_decode(bad_url[i], strlen(bad_url[i]), B64_URL,
		    dec, sizeof(dec)), -1, "refused base64url");
	tap_int(b64_decode("Zm9vYmFy", 8, B64_STD, dec, 5), -1,
	    "decoding never writes past the room given");
}

static void
test_content_digest(void)
{
	json_t		*v = load_json(vdir, "content-digest/content-digest-vectors.json");
	json_t		*c;
	uint8_t		 body[4096];
	char		 got[SIGN_DIGEST_MAX];
	const char	*hex, *want;
	size_t		 i, n = 0;

	json_array_foreach(json_object_get(v, "cases"), i, c) {
		hex = json_string_value(json_object_get(c, "body_hex"));
		want = json_string_value(json_object_get(c,
		    "Content-Digest(sha-256)"));
		if (hex == NULL || want == NULL)
			continue;
		n++;
		if (strlen(hex) / 2 > sizeof(body) || (strlen(hex) > 0 &&
		    hex_decode(hex, body, strlen(hex) / 2, 0) == -1)) {
			tap_ok(0, "content digest %s: bad vector", json_string_value(
			    json_object_get(c, "name")));
			continue;
		}
		sign_content_digest(body, strlen(hex) / 2, got);
		tap_str(got, want, json_string_value(json_object_get(c,
		    "name")));
	}
	tap_ok(n >= 4, "the content-digest vectors have %zu sha-256 cases", n);
	json_decref(v);
}

/*
 * Each RFC 9421 case: the base rebuilt from the message and the
 * Signature-Input byte for byte, and for Ed25519 and HMAC (deterministic)
 * the signature itself.
 */
static void
test_rfc9421(void)
{
	char		 dir[PATH_MAX + 32];
	json_t		*v, *c;
	struct httpmsg	 m, req;
	struct buf	 b;
	char		*text, *want, err[ERR_MAX], got[SIGN_SIG_MAX];
	char		 b64[128];
	const char	*name, *input, *sig, *keyid;
	uint8_t		 s[ED25519_SIG_LEN], mac[SHA256_LEN], secret[128];
	struct crypto_ed25519 *k = test_key();
	size_t		 i, len, wlen;
	ssize_t		 slen;

	snprintf(dir, sizeof(dir), "%s/http-message-signatures", vdir);
	v = load_json(dir, "rfc9421-vectors.json");
	json_array_foreach(json_object_get(v, "cases"), i, c) {
		name = json_string_value(json_object_get(c, "name"));
		input = member(json_string_value(json_object_get(c,
		    "Signature-Input")));
		sig = member(json_string_value(json_object_get(c,
		    "Signature")));
		keyid = json_string_value(json_object_get(c, "keyid"));
		if (json_object_get(c, "shared_secret_base64") != NULL) {
			/* B.2.5: the base is given; the MAC is checked. */
			want = strdup(json_string_value(json_object_get(c,
			    "signature_base")));
			slen = b64_decode(json_string_value(json_object_get(c,
			    "shared_secret_base64")), strlen(json_string_value(
			    json_object_get(c, "shared_secret_base64"))),
			    B64_STD, secret, sizeof(secret));
			crypto_hmac_sha256(secret, (size_t)slen, want,
			    strlen(want), mac);
			b64_encode(mac, sizeof(mac), B64_STD, b64);
			snprintf(got, sizeof(got), ":%s:", b64);
			tap_str(got, sig, "B.2.5: HMAC-SHA256 over the base");
			free(want);
			continue;
		}
		if (json_object_get(c, "message_file") != NULL) {
			text = slurp(dir, json_string_value(json_object_get(c,
			    "message_file")), &len);
			if (httpmsg_parse(text, len, &m, err) == -1) {
				tap_ok(0, "%s: parse: %s", name, err);
				free(text);
				continue;
			}
			free(text);
			memset(&req, 0, sizeof(req));
		} else {
			/* Section 2.4: a response to test-request. */
			text = slurp(dir, "test-request.crlf.http", &len);
			httpmsg_parse(text, len, &req, err);
			free(text);
			text = NULL;
			if (asprintf(&text, "HTTP/1.1 %lld Service Unavailable\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %lld\r\nContent-Digest: %s\r\n\r\n%s",
			    (long long)json_integer_value(json_object_get(c,
			    "response_status")),
			    (long long)json_integer_value(json_object_get(c,
			    "response_body_len")),
			    json_string_value(json_object_get(c,
			    "response_Content-Digest")),
			    json_string_value(json_object_get(c,
			    "response_body_utf8"))) == -1)
				exit(1);
			httpmsg_parse(text, strlen(text), &m, err);
			free(text);
		}
		want = slurp(dir, json_string_value(json_object_get(c,
		    "signature_base_file")), &wlen);
		buf_init(&b);
		if (sign_base_for(input, &m.hm_msg, req.hm_text != NULL ?
		    &req.hm_msg : NULL, &b, err) == -1)
			tap_ok(0, "%s: base: %s", name, err);
		else {
			buf_add(&b, "", 1);
			tap_ok(b.b_len - 1 == wlen &&
			    memcmp(b.b_data, want, wlen) == 0,
			    "%s: the signature base, byte for byte", name);
			if (b.b_len - 1 != wlen || memcmp(b.b_data, want, wlen))
				tap_diag("got:\n%s", b.b_data);
			if (strcmp(keyid, "test-key-ed25519") == 0) {
				crypto_ed25519_sign(k, b.b_data, b.b_len - 1, s);
				b64_encode(s, sizeof(s), B64_STD, b64);
				snprintf(got, sizeof(got), ":%s:", b64);
				tap_str(got, sig, "the Ed25519 signature");
			}
		}
		buf_free(&b);
		free(want);
		httpmsg_clear(&m);
		httpmsg_clear(&req);
	}
	json_decref(v);
	crypto_ed25519_free(k);
}

/* The self-generated response vector: request binding with ";req". */
static void
test_selfgen(void)
{
	char		 dir[PATH_MAX + 32];
	struct httpmsg	 req, resp;
	struct buf	 b;
	char		*rq, *rs, *want, err[ERR_MAX], digest[SIGN_SIG_MAX];
	char		 b64[128], input[SIGN_INPUT_MAX];
	uint8_t		 s[ED25519_SIG_LEN];
	size_t		 rql, rsl, wl;
	struct crypto_ed25519 *k = test_key();

	snprintf(dir, sizeof(dir), "%s/http-message-signatures", vdir);
	rq = slurp(dir, "selfgen-request-for-response.crlf.http", &rql);
	rs = slurp(dir, "selfgen-response-ed25519.crlf.http", &rsl);
	want = slurp(dir, "selfgen-response-ed25519-signature-base.txt", &wl);
	tap_ok(httpmsg_parse(rq, rql, &req, err) == 0, "parse the request");
	tap_ok(httpmsg_parse(rs, rsl, &resp, err) == 0, "parse the response");
	sign_content_digest(resp.hm_body, resp.hm_body_len, digest);
	tap_str(digest, resp.hm_msg.sm_field(resp.hm_msg.sm_arg,
	    "content-digest"), "the response's Content-Digest");
	/* Field values live until the next lookup: keep a copy. */
	strlcpy(input, member(resp.hm_msg.sm_field(resp.hm_msg.sm_arg,
	    "signature-input")), sizeof(input));
	buf_init(&b);
	tap_ok(sign_base_for(input, &resp.hm_msg, &req.hm_msg, &b, err) == 0,
	    "base with ;req components");
	tap_ok(b.b_len == wl && memcmp(b.b_data, want, wl) == 0,
	    "the response base, byte for byte");
	crypto_ed25519_sign(k, b.b_data, b.b_len, s);
	b64_encode(s, sizeof(s), B64_STD, b64);
	snprintf(digest, sizeof(digest), "proxy=:%s:", b64);
	tap_str(digest, resp.hm_msg.sm_field(resp.hm_msg.sm_arg,
	    "signature"), "the response signature");
	tap_ok(sign_base_for(input, &resp.hm_msg, NULL, &b, err) == -1 &&
	    strstr(err, "no request") != NULL,
	    ";req without a request is refused: %s", err);
	buf_free(&b);
	free(rq);
	free(rs);
	free(want);
	httpmsg_clear(&req);
	httpmsg_clear(&resp);
	crypto_ed25519_free(k);
}

static void
test_params_refused(void)
{
	static const char *const bad[] = {
		"\"@method\"",				/* not an inner list */
		"(\"@method\" \"@method\")",		/* twice */
		"(\"@method\";key=\"x\")",		/* unknown parameter */
		"(\"@method\");created=1.5",		/* decimal */
		"(\"@method\");created=:AAAA:",		/* byte sequence */
		"(\"@method\"",				/* unterminated */
		"(\"@method\")junk",
		"(\"\\x\")",				/* bad escape */
		"(\"@method\"\"@path\")",		/* no space */
		"(\"@frobnicate\")",			/* unknown derived */
		"(\"@status\";req)",			/* status of a request */
		"(\"x-missing\")",			/* absent field */
	};
	struct httpmsg	 m, req;
	struct buf	 b;
	char		 err[ERR_MAX];
	const char	*rq = "GET /p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n";
	const char	*rs = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "X-Two: a\r\nX-Two: b\r\nX-Empty:\r\nX-Utf8: caf\xc3\xa9\r\n\r\nhi";
	size_t		 i;

	httpmsg_parse(rq, strlen(rq), &req, err);
	httpmsg_parse(rs, strlen(rs), &m, err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&b);
		tap_ok(sign_base_for(bad[i], &m.hm_msg, &req.hm_msg, &b,
		    err) == -1, "refused parameters: %s (%s)", bad[i], err);
		buf_free(&b);
	}
	buf_init(&b);
	sign_base_for("(\"x-two\" \"x-empty\" \"@query\";req \"@path\";req);"
	    "keyid=\"a\\\"b\";ok;no=?0", &m.hm_msg, &req.hm_msg, &b, err);
	buf_add(&b, "", 1);
	tap_str(b.b_data, "\"x-two\": a, b\n\"x-empty\": \n\"@query\";req: ?q=1\n"
	    "\"@path\";req: /p\n\"@signature-params\": (\"x-two\" \"x-empty\" "
	    "\"@query\";req \"@path\";req);keyid=\"a\\\"b\";ok;no=?0",
	    "repeated fields joined, an empty field, escapes, booleans");
	buf_free(&b);
	buf_init(&b);
	tap_ok(sign_base_for("(\"x-utf8\")", &m.hm_msg, NULL, &b, err) == -1,
	    "a non-ASCII value cannot be in a base: %s", err);
	buf_free(&b);
	httpmsg_clear(&m);
	httpmsg_clear(&req);
}

/* ---- sightline's own responses ---- */

struct fields {
	const char	*names[8];
	const char	*values[8];
};

static const char *
fields_get(void *arg, const char *name)
{
	struct fields	*f = arg;
	size_t		 i;

	for (i = 0; i < 8 && f->names[i] != NULL; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

/* An exchange, as `curl -i` would save it, with a response signed by k. */
static char *
exchange(struct keys *k, const char *body, const char *query)
{
	struct fields	 f;
	struct sign_msg	 rq, rs;
	char		 digest[SIGN_DIGEST_MAX], input[SIGN_INPUT_MAX];
	char		 sig[SIGN_SIG_MAX], err[ERR_MAX];
	char		*text;

	memset(&f, 0, sizeof(f));
	sign_content_digest(body, strlen(body), digest);
	f.names[0] = "content-type";
	f.values[0] = "application/json";
	f.names[1] = "content-digest";
	f.values[1] = digest;
	f.names[2] = "sightline-inventory";
	f.values[2] = "pve=1795445699";
	memset(&rq, 0, sizeof(rq));
	rq.sm_method = "GET";
	rq.sm_path = "/v1/lookup";
	rq.sm_query = query;
	memset(&rs, 0, sizeof(rs));
	rs.sm_status = 200;
	rs.sm_field = fields_get;
	rs.sm_arg = &f;
	if (sign_response(k, &rs, &rq, 1795445700, input, sig, err) == -1) {
		printf("Bail out! sign_response: %s\n", err);
		exit(1);
	}
	if (asprintf(&text, "GET /v1/lookup%s%s HTTP/1.1\n"
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Digest: %s\r\nSightline-Inventory: pve=1795445699\r\n"
	    "Signature-Input: %s\r\nSignature: %s\r\n\r\n%s",
	    query != NULL ? "?" : "", query != NULL ? query : "", digest,
	    input, sig, body) == -1)
		exit(1);
	return text;
}

static int
verify_text(const struct keys_vkey *vk, const char *text, char *err)
{
	struct httpmsg	 rq, rs;
	long long	 created;
	int		 rc;

	if (httpmsg_exchange(text, strlen(text), &rq, &rs, err) == -1)
		rc = -1;
	else
		rc = sign_verify(vk, &rs.hm_msg, &rq.hm_msg, rs.hm_body,
		    rs.hm_body_len, &created, err);
	httpmsg_clear(&rq);
	httpmsg_clear(&rs);
	return rc;
}

/* Replace the first from in s by to; a new string. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char	*p = strstr(s, from);
	char		*out;

	if (p == NULL) {
		printf("Bail out! \"%s\" not in the exchange\n", from);
		exit(1);
	}
	if (asprintf(&out, "%.*s%s%s", (int)(p - s), s, to,
	    p + strlen(from)) == -1)
		exit(1);
	return out;
}

static void
test_own(void)
{
	static const struct {
		const char	*from, *to, *why;
	} tamper[] = {
		{ "\"203.0.113.5\"", "\"203.0.113.6\"", "digest:" },
		{ "sha-256=:", "sha-512=:", "digest:" },
		{ "Content-Type: application/json",
		  "Content-Type: text/html", "signature:" },
		{ "HTTP/1.1 200 OK", "HTTP/1.1 203 OK", "signature:" },
		{ "pve=1795445699\r", "pve=1795445600\r", "signature:" },
		{ "GET /v1/lookup?ip=203.0.113.5",
		  "GET /v1/lookup?ip=203.0.113.6", "signature:" },
		{ "GET /v1/lookup", "HEAD /v1/lookup", "signature:" },
		{ "GET /v1/lookup", "GET /v1/lookups", "signature:" },
		{ "created=1795445700", "created=1795445701", "signature:" },
		{ "\"@query\";req", "\"@query\"", "covered:" },
		{ " \"content-type\"", "", "covered:" },
		{ "alg=\"ed25519\"", "alg=\"hmac-sha256\"", "signature-input:" },
		{ "keyid=\"", "keyid=\"0", "key id:" },
		{ "Signature: sightline=:", "Signature: sightline=:AAAA", "signature:" },
		{ "Signature: sightline=", "Signature: other=", "signature:" },
		{ "Signature-Input: sightline=", "Signature-Input: other=",
		  "signature-input:" },
		{ "Signature-Input: sightline=(",
		  "Signature-Input: sightline=(\"@method\" ", "base:" },
		{ "Content-Digest: ", "X-Content-Digest: ", "digest:" },
	};
	struct keys	*k, *other;
	struct keys_vkey vk, vk_other;
	char		 dir[] = "/tmp/test_sign.XXXXXX", path[PATH_MAX];
	char		 vkey[KEYS_VKEY_MAX], vkey2[KEYS_VKEY_MAX];
	char		 path2[PATH_MAX], err[ERR_MAX];
	char		*good, *bad;
	size_t		 i;

	if (mkdtemp(dir) == NULL || keys_generate("test.example/log", dir,
	    vkey, err) == -1 || keys_generate("other", dir, vkey2, err) == -1) {
		printf("Bail out! keys: %s\n", err);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/test.example_log.skey", dir);
	snprintf(path2, sizeof(path2), "%s/other.skey", dir);
	k = keys_load(path, NULL, err);
	other = keys_load(path2, NULL, err);
	tap_ok(k != NULL && other != NULL, "keys load");
	tap_int(keys_vkey_parse(vkey, &vk, err), 0, "vkey parses");
	tap_int(keys_vkey_parse(vkey2, &vk_other, err), 0, "other vkey parses");
	tap_str(k->k_vkey, vkey, "the loaded key's vkey is keygen's");

	good = exchange(k, "{\"ip\":\"203.0.113.5\"}", "ip=203.0.113.5");
	tap_int(verify_text(&vk, good, err), 0, "a signed answer verifies");
	if (err[0] != '\0' && verify_text(&vk, good, err) == -1)
		tap_diag("%s", err);
	tap_ok(verify_text(&vk_other, good, err) == -1,
	    "another key refuses it: %s", err);
	tap_ok(strncmp(err, "key id:", 7) == 0, "... as a key id mismatch");
	vk.vk_type = NOTE_SIGTYPE_COSIG;
	tap_ok(verify_text(&vk, good, err) == -1 && strstr(err, "type 0x04") !=
	    NULL, "a witness's cosignature key (type 0x04) is refused: %s",
	    err);
	vk.vk_type = NOTE_SIGTYPE_ED25519;
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		bad = replace(good, tamper[i].from, tamper[i].to);
		err[0] = '\0';
		tap_ok(verify_text(&vk, bad, err) == -1 &&
		    strncmp(err, tamper[i].why, strlen(tamper[i].why)) == 0,
		    "tampered (%s -> %s): %s", tamper[i].from, tamper[i].to,
		    err);
		free(bad);
	}
	free(good);

	/* No query: "@query" is "?" and still bound. */
	good = exchange(k, "[]", NULL);
	tap_int(verify_text(&vk, good, err), 0, "an answer without a query");
	bad = replace(good, "GET /v1/lookup HTTP", "GET /v1/lookup? HTTP");
	tap_int(verify_text(&vk, bad, err), 0,
	    "an empty query is the same as none (@query is \"?\")");
	free(bad);
	bad = replace(good, "GET /v1/lookup HTTP", "GET /v1/lookup?x HTTP");
	tap_int(verify_text(&vk, bad, err), -1, "an added query is caught");
	free(bad);
	free(good);

	keys_free(k);
	keys_free(other);
	keys_vkey_clear(&vk);
	keys_vkey_clear(&vk_other);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		tap_diag("could not remove %s", dir);
}

int
main(void)
{
	const char	*top = getenv("top_srcdir");

	log_init(0);
	crypto_init();
	snprintf(vdir, sizeof(vdir), "%s/tests/vectors", top != NULL ? top :
	    ".");
	test_base64();
	test_content_digest();
	test_rfc9421();
	test_selfgen();
	test_params_refused();
	test_own();
	return tap_done();
}
