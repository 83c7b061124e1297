/*
 * sign.c: signed answers. RFC 9530 Content-Digest over the exact body
 * bytes, and an RFC 9421 HTTP message signature with Ed25519 over the
 * response's status, digest, type and source, bound to the request it
 * answers by its method, path and query (";req").
 *
 * The signature base is built in one place, sign_base(), from the
 * signature parameters as a parsed structure: the signer parses the
 * parameters it made itself, the verifier those it received, and both
 * serialize them again with the same code. So what is signed and what is
 * checked cannot drift apart.
 *
 * Only what sightline needs of RFC 8941 structured fields is parsed: a
 * dictionary whose members are inner lists of strings or byte sequences,
 * with parameters whose values are integers, strings, tokens or booleans.
 * Anything else is an error that says what it met.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* The components sightline covers, in this order, and requires. */
static const struct {
	const char	*name;
	int		 req;
} sign_covered[] = {
	{ "@status", 0 },
	{ "content-digest", 0 },
	{ "content-type", 0 },
	{ "sightline-inventory", 0 },
	{ "@method", 1 },
	{ "@path", 1 },
	{ "@query", 1 },
};
#define SIGN_NCOVERED	(sizeof(sign_covered) / sizeof(sign_covered[0]))

/* ---- Content-Digest ---- */

/* "sha-256=:BASE64:" of body into out (SIGN_DIGEST_MAX bytes). */
void
sign_content_digest(const void *body, size_t len, char *out)
{
	uint8_t	 md[SHA256_LEN];
	char	 b64[B64_LEN(SHA256_LEN) + 1];

	crypto_sha256(body, len, md);
	b64_encode(md, sizeof(md), B64_STD, b64);
	snprintf(out, SIGN_DIGEST_MAX, "sha-256=:%s:", b64);
}

/* ---- structured fields, the part of RFC 8941 needed here ---- */

struct sf {
	const char	*s;
	const char	*end;
	char		*err;
};

static void
sf_ows(struct sf *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t'))
		p->s++;
}

static void
sf_sp(struct sf *p)
{
	while (p->s < p->end && *p->s == ' ')
		p->s++;
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static int
sf_key(struct sf *p, char *out, size_t outlen)
{
	size_t	 n = 0;

	if (p->s >= p->end || !((*p->s >= 'a' && *p->s <= 'z') ||
	    *p->s == '*')) {
		err_set(p->err, "a structured-field key must start with a "
		    "lowercase letter or \"*\"");
		return -1;
	}
	while (p->s < p->end && ((*p->s >= 'a' && *p->s <= 'z') ||
	    isdigit((unsigned char)*p->s) || strchr("_-.*", *p->s) != NULL)) {
		if (n + 1 >= outlen) {
			err_set(p->err, "a structured-field key is too long");
			return -1;
		}
		out[n++] = *p->s++;
	}
	out[n] = '\0';
	return 0;
}

/* sf-string into out (unescaped); printable ASCII only. */
static int
sf_string(struct sf *p, char *out, size_t outlen)
{
	size_t	 n = 0;
	char	 c;

	if (p->s >= p->end || *p->s != '"') {
		err_set(p->err, "expected a string");
		return -1;
	}
	for (p->s++; p->s < p->end; p->s++) {
		c = *p->s;
		if (c == '"') {
			p->s++;
			out[n] = '\0';
			return 0;
		}
		if (c == '\\') {
			if (++p->s >= p->end || (*p->s != '"' && *p->s != '\\'))
				break;
			c = *p->s;
		} else if (c < 0x20 || c > 0x7e)
			break;
		if (n + 1 >= outlen) {
			err_set(p->err, "a string is too long");
			return -1;
		}
		out[n++] = c;
	}
	err_set(p->err, "a string is not terminated or holds a bad character");
	return -1;
}

/* The parameters of a component: only "req" is known here. */
static int
sf_component_params(struct sf *p, struct sign_component *c)
{
	char	 key[32];

	while (p->s < p->end && *p->s == ';') {
		p->s++;
		sf_sp(p);
		if (sf_key(p, key, sizeof(key)) == -1)
			return -1;
		if (strcmp(key, "req") != 0) {
			err_set(p->err, "component \"%s\": parameter \"%s\" is "
			    "not supported", c->sc_name, key);
			return -1;
		}
		if (p->s < p->end && *p->s == '=') {
			err_set(p->err, "component \"%s\": \"req\" takes no "
			    "value", c->sc_name);
			return -1;
		}
		if (c->sc_req) {
			err_set(p->err, "component \"%s\": \"req\" twice",
			    c->sc_name);
			return -1;
		}
		c->sc_req = 1;
	}
	return 0;
}

/* One signature parameter after ";": created, expires, keyid, alg, ... */
static int
sf_sig_param(struct sf *p, struct sign_params *sp)
{
	struct sign_param	*pa;
	const char		*start;
	char			*e;
	long long		 v;

	if (sp->sp_nparams >= SIGN_PARAMS_MAX) {
		err_set(p->err, "too many signature parameters");
		return -1;
	}
	pa = &sp->sp_params[sp->sp_nparams];
	memset(pa, 0, sizeof(*pa));
	if (sf_key(p, pa->pa_key, sizeof(pa->pa_key)) == -1)
		return -1;
	if (p->s >= p->end || *p->s != '=') {
		pa->pa_type = SIGN_PARAM_BOOL;	/* a bare key is ?1 */
		pa->pa_int = 1;
	} else if (*++p->s == '"') {
		pa->pa_type = SIGN_PARAM_STRING;
		if (sf_string(p, pa->pa_str, sizeof(pa->pa_str)) == -1)
			return -1;
	} else if (*p->s == '-' || isdigit((unsigned char)*p->s)) {
		start = p->s;
		v = strtoll(start, &e, 10);
		if (e == start || e > p->end || e - start > 16 ||
		    (*start == '-' && e - start == 1)) {
			err_set(p->err, "parameter \"%s\": bad integer",
			    pa->pa_key);
			return -1;
		}
		if (*e == '.') {
			err_set(p->err, "parameter \"%s\": decimals are not "
			    "supported", pa->pa_key);
			return -1;
		}
		p->s = e;
		pa->pa_type = SIGN_PARAM_INT;
		pa->pa_int = v;
	} else if (*p->s == '?' && p->s + 1 < p->end &&
	    (p->s[1] == '0' || p->s[1] == '1')) {
		pa->pa_type = SIGN_PARAM_BOOL;
		pa->pa_int = p->s[1] == '1';
		p->s += 2;
	} else {
		err_set(p->err, "parameter \"%s\": unsupported value type",
		    pa->pa_key);
		return -1;
	}
	sp->sp_nparams++;
	return 0;
}

/*
 * Parse the inner list of a Signature-Input member, "(...);params", from
 * s to end into sp. Returns 0, or -1 with a reason.
 */
static int
sign_params_parse(const char *s, const char *end, struct sign_params *sp,
    char *err)
{
	struct sf		 p = { s, end, err };
	struct sign_component	*c;
	size_t			 i, j;

	memset(sp, 0, sizeof(*sp));
	if (p.s >= p.end || *p.s != '(') {
		err_set(err, "the signature parameters are not an inner list");
		return -1;
	}
	p.s++;
	for (;;) {
		sf_sp(&p);
		if (p.s < p.end && *p.s == ')') {
			p.s++;
			break;
		}
		if (sp->sp_ncomponents >= SIGN_COMPONENTS_MAX) {
			err_set(err, "more than %d covered components",
			    SIGN_COMPONENTS_MAX);
			return -1;
		}
		c = &sp->sp_components[sp->sp_ncomponents];
		memset(c, 0, sizeof(*c));
		if (sf_string(&p, c->sc_name, sizeof(c->sc_name)) == -1)
			return -1;
		if (sf_component_params(&p, c) == -1)
			return -1;
		sp->sp_ncomponents++;
		if (p.s < p.end && *p.s != ' ' && *p.s != ')') {
			err_set(err, "covered components must be separated by "
			    "spaces");
			return -1;
		}
	}
	while (p.s < p.end && *p.s == ';') {
		p.s++;
		sf_sp(&p);
		if (sf_sig_param(&p, sp) == -1)
			return -1;
	}
	if (p.s != p.end) {
		err_set(err, "unexpected text after the signature parameters");
		return -1;
	}
	/* RFC 9421 2.5: each component identifier once. */
	for (i = 0; i < sp->sp_ncomponents; i++)
		for (j = i + 1; j < sp->sp_ncomponents; j++)
			if (strcmp(sp->sp_components[i].sc_name,
			    sp->sp_components[j].sc_name) == 0 &&
			    sp->sp_components[i].sc_req ==
			    sp->sp_components[j].sc_req) {
				err_set(err, "component \"%s\" is covered twice",
				    sp->sp_components[i].sc_name);
				return -1;
			}
	return 0;
}

static void
sign_sf_string(struct buf *b, const char *s)
{
	buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

/* The serialized signature parameters: the @signature-params value. */
static void
sign_params_write(struct buf *b, const struct sign_params *sp)
{
	const struct sign_param	*pa;
	size_t			 i;

	buf_add(b, "(", 1);
	for (i = 0; i < sp->sp_ncomponents; i++) {
		if (i > 0)
			buf_add(b, " ", 1);
		sign_sf_string(b, sp->sp_components[i].sc_name);
		if (sp->sp_components[i].sc_req)
			buf_addstr(b, ";req");
	}
	buf_add(b, ")", 1);
	for (i = 0; i < sp->sp_nparams; i++) {
		pa = &sp->sp_params[i];
		buf_printf(b, ";%s", pa->pa_key);
		switch (pa->pa_type) {
		case SIGN_PARAM_INT:
			buf_printf(b, "=%lld", pa->pa_int);
			break;
		case SIGN_PARAM_STRING:
			buf_add(b, "=", 1);
			sign_sf_string(b, pa->pa_str);
			break;
		case SIGN_PARAM_BOOL:
			if (!pa->pa_int)
				buf_addstr(b, "=?0");
			break;
		}
	}
}

const struct sign_param *
sign_param(const struct sign_params *sp, const char *key)
{
	size_t	 i;

	for (i = 0; i < sp->sp_nparams; i++)
		if (strcmp(sp->sp_params[i].pa_key, key) == 0)
			return &sp->sp_params[i];
	return NULL;
}

/* ---- the signature base (RFC 9421, 2.5) ---- */

/* A component's value, or NULL with a reason. */
static const char *
sign_value(const struct sign_component *c, const struct sign_msg *msg,
    const struct sign_msg *req, char *tmp, size_t tmplen, char *err)
{
	const struct sign_msg	*m = c->sc_req ? req : msg;
	const char		*v;

	if (m == NULL) {
		err_set(err, "\"%s\";req: there is no request", c->sc_name);
		return NULL;
	}
	if (c->sc_name[0] != '@') {
		v = m->sm_field != NULL ? m->sm_field(m->sm_arg, c->sc_name) :
		    NULL;
		if (v == NULL)
			err_set(err, "\"%s\"%s: the field is missing",
			    c->sc_name, c->sc_req ? ";req" : "");
		return v;
	}
	if (strcmp(c->sc_name, "@status") == 0) {
		if (c->sc_req || m->sm_status < 100 || m->sm_status > 999) {
			err_set(err, "\"@status\" exists in responses only");
			return NULL;
		}
		snprintf(tmp, tmplen, "%03d", m->sm_status);
		return tmp;
	}
	if (strcmp(c->sc_name, "@method") == 0)
		v = m->sm_method;
	else if (strcmp(c->sc_name, "@path") == 0)
		v = m->sm_path != NULL && m->sm_path[0] != '\0' ? m->sm_path :
		    (m->sm_method != NULL ? "/" : NULL);
	else if (strcmp(c->sc_name, "@query") == 0) {
		if (m->sm_method == NULL)
			v = NULL;
		else if ((size_t)snprintf(tmp, tmplen, "?%s", m->sm_query !=
		    NULL ? m->sm_query : "") >= tmplen) {
			err_set(err, "\"@query\": longer than %zu bytes",
			    tmplen - 2);
			return NULL;
		} else
			v = tmp;
	} else if (strcmp(c->sc_name, "@authority") == 0)
		v = m->sm_authority;
	else {
		err_set(err, "derived component \"%s\" is not supported",
		    c->sc_name);
		return NULL;
	}
	if (v == NULL)
		err_set(err, "\"%s\"%s: not a request", c->sc_name,
		    c->sc_req ? ";req" : "");
	return v;
}

/*
 * The signature base for the parameters sp over message msg and, for
 * ";req" components, the request req (NULL for a request signature).
 * Appends it to out. Returns 0, or -1 with a reason naming the component.
 */
int
sign_base(const struct sign_params *sp, const struct sign_msg *msg,
    const struct sign_msg *req, struct buf *out, char *err)
{
	const struct sign_component	*c;
	const char			*v;
	char				 tmp[FRONT_URI_BYTES_MAX + 2];
	size_t				 i, start = out->b_len;

	for (i = 0; i < sp->sp_ncomponents; i++) {
		c = &sp->sp_components[i];
		if ((v = sign_value(c, msg, req, tmp, sizeof(tmp), err)) ==
		    NULL)
			return -1;
		sign_sf_string(out, c->sc_name);
		if (c->sc_req)
			buf_addstr(out, ";req");
		buf_addstr(out, ": ");
		buf_addstr(out, v);
		buf_add(out, "\n", 1);
	}
	buf_addstr(out, "\"@signature-params\": ");
	sign_params_write(out, sp);
	if (out->b_oom) {
		err_set(err, "out of memory");
		return -1;
	}
	/* The base is ASCII (RFC 9421, 2.5); a field value may not be. */
	for (i = start; i < out->b_len; i++)
		if ((unsigned char)out->b_data[i] > 0x7e ||
		    ((unsigned char)out->b_data[i] < 0x20 &&
		    out->b_data[i] != '\n')) {
			err_set(err, "the signature base is not ASCII");
			return -1;
		}
	return 0;
}

/* ---- signing ---- */

/*
 * Sign response msg to request req with keys k at time created. Writes
 * the Signature-Input and Signature field values into input
 * (SIGN_INPUT_MAX) and sig (SIGN_SIG_MAX). Returns 0, or -1 with reason.
 */
int
sign_response(const struct keys *k, const struct sign_msg *msg,
    const struct sign_msg *req, long long created, char *input, char *sig,
    char *err)
{
	struct sign_params	 sp;
	struct buf		 b;
	uint8_t			 s[ED25519_SIG_LEN];
	char			 b64[B64_LEN(ED25519_SIG_LEN) + 1];
	size_t			 i;
	int			 rc = -1;

	memset(&sp, 0, sizeof(sp));
	for (i = 0; i < SIGN_NCOVERED; i++) {
		strlcpy(sp.sp_components[i].sc_name, sign_covered[i].name,
		    sizeof(sp.sp_components[i].sc_name));
		sp.sp_components[i].sc_req = sign_covered[i].req;
	}
	sp.sp_ncomponents = SIGN_NCOVERED;
	strlcpy(sp.sp_params[0].pa_key, "created", sizeof(sp.sp_params[0].pa_key));
	sp.sp_params[0].pa_type = SIGN_PARAM_INT;
	sp.sp_params[0].pa_int = created;
	strlcpy(sp.sp_params[1].pa_key, "keyid", sizeof(sp.sp_params[1].pa_key));
	sp.sp_params[1].pa_type = SIGN_PARAM_STRING;
	snprintf(sp.sp_params[1].pa_str, sizeof(sp.sp_params[1].pa_str),
	    "%08x", k->k_id);
	strlcpy(sp.sp_params[2].pa_key, "alg", sizeof(sp.sp_params[2].pa_key));
	sp.sp_params[2].pa_type = SIGN_PARAM_STRING;
	strlcpy(sp.sp_params[2].pa_str, "ed25519",
	    sizeof(sp.sp_params[2].pa_str));
	sp.sp_nparams = 3;

	buf_init(&b);
	if (sign_base(&sp, msg, req, &b, err) == -1)
		goto done;
	if (crypto_ed25519_sign(k->k_sign, b.b_data, b.b_len, s) == -1) {
		err_set(err, "signing failed");
		goto done;
	}
	b64_encode(s, sizeof(s), B64_STD, b64);
	snprintf(sig, SIGN_SIG_MAX, SIGN_LABEL "=:%s:", b64);
	/* The base ends with the serialized parameters: reuse them. */
	snprintf(input, SIGN_INPUT_MAX, SIGN_LABEL "=%s",
	    strstr(b.b_data, "\"@signature-params\": ") +
	    strlen("\"@signature-params\": "));
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

/* ---- verifying ---- */

/*
 * Find member label of an SF dictionary field value; set *vs, *ve to its
 * value's text. Returns 1 if found, 0 if not, -1 if the field is broken.
 */
static int
sign_dict_member(const char *field, const char *label, const char **vs,
    const char **ve, char *err)
{
	struct sf	 p = { field, field + strlen(field), err };
	char		 key[SIGN_COMPONENT_NAME_MAX], tmp[SIGN_PARAM_STR_MAX];
	const char	*start;
	int		 depth, found = 0;

	for (;;) {
		sf_ows(&p);
		if (sf_key(&p, key, sizeof(key)) == -1)
			return -1;
		if (p.s >= p.end || *p.s != '=') {
			err_set(err, "dictionary member \"%s\" has no value",
			    key);
			return -1;
		}
		start = ++p.s;
		/* Skip the value: strings, byte sequences, lists, params. */
		depth = 0;
		while (p.s < p.end && (depth > 0 || *p.s != ',')) {
			if (*p.s == '"') {
				if (sf_string(&p, tmp, sizeof(tmp)) == -1)
					return -1;
				continue;
			}
			if (*p.s == '(')
				depth++;
			else if (*p.s == ')')
				depth--;
			p.s++;
		}
		if (strcmp(key, label) == 0) {
			if (found) {
				err_set(err, "label \"%s\" appears twice", label);
				return -1;
			}
			found = 1;
			*vs = start;
			*ve = p.s;
			while (*ve > *vs && ((*ve)[-1] == ' ' ||
			    (*ve)[-1] == '\t'))
				(*ve)--;
		}
		if (p.s >= p.end)
			return found;
		p.s++;	/* the comma */
	}
}

/* A byte sequence ":BASE64:" from s to e into out; returns its length. */
static ssize_t
sign_bytes(const char *s, const char *e, uint8_t *out, size_t max)
{
	if (e - s < 2 || *s != ':' || e[-1] != ':')
		return -1;
	return b64_decode(s + 1, (size_t)(e - s - 2), B64_STD, out, max);
}

/*
 * Verify the response msg (body of len bytes) to request req against the
 * verifier key vk: the Content-Digest, the covered components, the key
 * id, the algorithm and the Ed25519 signature labelled "sightline".
 * Returns 0 when everything holds, else -1 with the first failure in err,
 * which begins with what failed ("digest:", "signature-input:", "key id:",
 * "covered:", "base:", "signature:"). On success, created is set.
 */
int
sign_verify(const struct keys_vkey *vk, const struct sign_msg *msg,
    const struct sign_msg *req, const void *body, size_t len,
    long long *created, char *err)
{
	struct sign_params	 sp;
	const struct sign_param	*pa;
	const char		*f, *vs, *ve;
	char			 why[ERR_MAX], want[SIGN_DIGEST_MAX];
	char			 kid[sizeof("ffffffff")];
	uint8_t			 sig[ED25519_SIG_LEN + 1], got[SHA256_LEN + 1];
	uint8_t			 md[SHA256_LEN];
	struct buf		 b;
	size_t			 i, j;
	int			 rc;

	/* A witness's cosignature key (type 0x04) signs checkpoints only. */
	if (vk->vk_type != NOTE_SIGTYPE_ED25519) {
		err_set(err, "key id: %s+%08x is a key of type 0x%02x, not a "
		    "signing key (0x01)", vk->vk_name, vk->vk_id, vk->vk_type);
		return -1;
	}

	/* 1. The body against its digest. */
	if ((f = msg->sm_field(msg->sm_arg, "content-digest")) == NULL) {
		err_set(err, "digest: the response has no Content-Digest");
		return -1;
	}
	if ((rc = sign_dict_member(f, "sha-256", &vs, &ve, why)) != 1) {
		err_set(err, "digest: %s", rc == 0 ? "no sha-256 member in "
		    "Content-Digest" : why);
		return -1;
	}
	if (sign_bytes(vs, ve, got, sizeof(got)) != SHA256_LEN) {
		err_set(err, "digest: the sha-256 value is not a 32-byte "
		    "byte sequence");
		return -1;
	}
	crypto_sha256(body, len, md);
	if (!crypto_memeq(md, got, SHA256_LEN)) {
		sign_content_digest(body, len, want);
		err_set(err, "digest: the body's digest is %s, the header "
		    "says another", want);
		return -1;
	}

	/* 2. The signature's parameters. */
	if ((f = msg->sm_field(msg->sm_arg, "signature-input")) == NULL) {
		err_set(err, "signature-input: the response has none");
		return -1;
	}
	if ((rc = sign_dict_member(f, SIGN_LABEL, &vs, &ve, why)) != 1) {
		err_set(err, "signature-input: %s", rc == 0 ? "no member "
		    "labelled \"" SIGN_LABEL "\"" : why);
		return -1;
	}
	if (sign_params_parse(vs, ve, &sp, why) == -1) {
		err_set(err, "signature-input: %s", why);
		return -1;
	}
	snprintf(kid, sizeof(kid), "%08x", vk->vk_id);
	if ((pa = sign_param(&sp, "keyid")) == NULL ||
	    pa->pa_type != SIGN_PARAM_STRING) {
		err_set(err, "key id: the signature names no keyid");
		return -1;
	}
	if (strcmp(pa->pa_str, kid) != 0) {
		err_set(err, "key id: signed by key \"%s\", the verifier key "
		    "%s is %s", pa->pa_str, vk->vk_name, kid);
		return -1;
	}
	/* The key decides the algorithm; a different claim is an attack. */
	if ((pa = sign_param(&sp, "alg")) != NULL &&
	    (pa->pa_type != SIGN_PARAM_STRING ||
	    strcmp(pa->pa_str, "ed25519") != 0)) {
		err_set(err, "signature-input: alg is not \"ed25519\"");
		return -1;
	}
	if ((pa = sign_param(&sp, "created")) == NULL ||
	    pa->pa_type != SIGN_PARAM_INT) {
		err_set(err, "signature-input: no created time");
		return -1;
	}
	*created = pa->pa_int;
	for (i = 0; i < SIGN_NCOVERED; i++) {
		for (j = 0; j < sp.sp_ncomponents; j++)
			if (strcmp(sp.sp_components[j].sc_name,
			    sign_covered[i].name) == 0 &&
			    sp.sp_components[j].sc_req == sign_covered[i].req)
				break;
		if (j == sp.sp_ncomponents) {
			err_set(err, "covered: \"%s\"%s is not covered by the "
			    "signature", sign_covered[i].name,
			    sign_covered[i].req ? ";req" : "");
			return -1;
		}
	}

	/* 3. The signature over the base. */
	if ((f = msg->sm_field(msg->sm_arg, "signature")) == NULL) {
		err_set(err, "signature: the response has no Signature field");
		return -1;
	}
	if ((rc = sign_dict_member(f, SIGN_LABEL, &vs, &ve, why)) != 1) {
		err_set(err, "signature: %s", rc == 0 ? "no member labelled "
		    "\"" SIGN_LABEL "\"" : why);
		return -1;
	}
	if (sign_bytes(vs, ve, sig, sizeof(sig)) != ED25519_SIG_LEN) {
		err_set(err, "signature: not a 64-byte byte sequence");
		return -1;
	}
	buf_init(&b);
	if (sign_base(&sp, msg, req, &b, why) == -1) {
		buf_free(&b);
		err_set(err, "base: %s", why);
		return -1;
	}
	rc = crypto_ed25519_verify(vk->vk_key, b.b_data, b.b_len, sig);
	buf_free(&b);
	if (!rc) {
		err_set(err, "signature: does not verify with key %s+%08x over "
		    "the signature base (a covered component or the "
		    "signature was changed)", vk->vk_name, vk->vk_id);
		return -1;
	}
	return 0;
}

/*
 * The signature base for the parameters given as Signature-Input member
 * text (for tests and for showing what was signed). Returns 0 or -1.
 */
int
sign_base_for(const char *params, const struct sign_msg *msg,
    const struct sign_msg *req, struct buf *out, char *err)
{
	struct sign_params	 sp;

	if (sign_params_parse(params, params + strlen(params), &sp, err) == -1)
		return -1;
	return sign_base(&sp, msg, req, out, err);
}
