/*
 * virtualizor.c: the Virtualizor plugin, for the admin API of a master
 * (https://MASTER:4085/index.php). Inventory from act=servers (the nodes),
 * every page of act=vs, act=vs&vs_status for the live status, and
 * act=managevps for each VPS's disks; normalization into schema v1; the
 * judgement of Virtualizor's answers; and the native allow-list.
 *
 * Virtualizor is one PHP script that changes state on plain GETs
 * (act=vs&delete=N, act=vs&action=stop, act=managevps with edit fields),
 * so the allow-list is over the act AND every parameter name and value,
 * not over paths. Every call sightline makes carries api=json, and never
 * api=serialize or apidata: nothing PHP-serialized is ever parsed. The
 * PHP-serialized strings inside the JSON (ubc, dns_nameserver,
 * cached_disk) stay opaque strings.
 *
 * Quirks absorbed here: numbers as strings, serid as a JSON number, PHP's
 * [] for an empty map, maps keyed by id that PHP writes as lists when the
 * ids happen to be 0..n-1, "error" as a list or a map, and bad
 * credentials answered with a 302 or a login page with status 200.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define VZ_API_ROOT		""	/* the script is below the url */
#define VZ_SCRIPT		"/index.php"
#define VZ_PAGE_SIZE		500	/* act=vs rows asked per page */
#define VZ_PAGE_SIZE_MAX	5000	/* and the most a page may ask */
#define VZ_PAGES_MAX		100000	/* pages of act=vs in one inventory */
#define VZ_STATUS_BATCH		100	/* VPS ids per act=vs&vs_status call */
#define VZ_ID_DIGITS		10	/* ids are MySQL unsigned ints */
#define VZ_ID_LEN		(VZ_ID_DIGITS + 1)
#define VZ_PATH_MAX		(VZ_STATUS_BATCH * VZ_ID_LEN + 128)
#define VZ_NAME_MAX		64	/* a node name; a vpsname filter */
#define VZ_CRED_MAX		256	/* one credential value */
#define VZ_APIKEY_LEN		40	/* 8 characters and an MD5 in hex */
#define VZ_PARAMS_MAX		16	/* parameters in a native query */
#define VZ_ERROR_KEYS		4	/* field names an error message names */

/* ---- the native allow-list ---- */

/* How a parameter's value must look. */
enum vz_value {
	VZ_V_ID,	/* 1 to 4294967295, no leading zero */
	VZ_V_ID0,	/* the same, or 0 (serid 0 is the master) */
	VZ_V_PAGE,	/* 1 to VZ_PAGES_MAX */
	VZ_V_RESLEN,	/* 1 to VZ_PAGE_SIZE_MAX */
	VZ_V_IDLIST,	/* 1 to VZ_STATUS_BATCH ids, comma-separated */
	VZ_V_IP,	/* one IPv4 or IPv6 address */
	VZ_V_MAC,	/* one MAC address */
	VZ_V_NAME,	/* 1 to VZ_NAME_MAX of A-Z a-z 0-9 - _ . */
	VZ_V_ENUM	/* one of vp_values */
};

struct vz_param {
	const char	*vp_name;
	enum vz_value	 vp_value;
	const char	*vp_values;	/* VZ_V_ENUM: "a|b|c" */
};

#define VZ_ROUTE_PARAMS	8

struct vz_route {
	const char	*vr_endpoint;	/* the pattern policies name */
	const char	*vr_act;
	const char	*vr_needs;	/* a parameter this route requires, and
					   that selects it; NULL: none */
	struct vz_param	 vr_params[VZ_ROUTE_PARAMS];
};

#define VZ_PAGING \
	{ "page", VZ_V_PAGE, NULL }, { "reslen", VZ_V_RESLEN, NULL }

/*
 * Reads only, and of each only the parameters that select what is read.
 * act=vs filters exist for fields a policy keeps (id, address, internal
 * name, node, state, kind), not for the customer's hostname or e-mail:
 * a filter on a committed field would let the hoster test guesses.
 * act=serverinfo (the master key), act=vnc, act=sso (console and login
 * secrets) and every act that writes are absent, as are delete, action,
 * suspend, unsuspend, bwreset, editvps and the like on the acts present.
 */
static const struct vz_route vz_routes[] = {
	{ VZ_SCRIPT "?act=vs&vs_status={vpsids}", "vs", "vs_status",
	    { { "vs_status", VZ_V_IDLIST, NULL } } },
	{ VZ_SCRIPT "?act=vs", "vs", NULL,
	    { VZ_PAGING, { "vpsid", VZ_V_ID, NULL },
	    { "vpsip", VZ_V_IP, NULL }, { "vpsname", VZ_V_NAME, NULL },
	    { "serid", VZ_V_ID0, NULL }, { "vsstatus", VZ_V_ENUM, "s|u" },
	    { "vstype", VZ_V_ENUM, "kvm|xen|xenhvm|xcp|xcphvm|openvz|lxc|"
	    "vzo|vzk|proxo|proxk|proxl" } } },
	{ VZ_SCRIPT "?act=managevps&vpsid={vpsid}", "managevps", "vpsid",
	    { { "vpsid", VZ_V_ID, NULL } } },
	{ VZ_SCRIPT "?act=servers", "servers", NULL, { VZ_PAGING } },
	{ VZ_SCRIPT "?act=ips", "ips", NULL,
	    { VZ_PAGING, { "ipsearch", VZ_V_IP, NULL },
	    { "macsearch", VZ_V_MAC, NULL }, { "ippid", VZ_V_ID, NULL } } },
	{ VZ_SCRIPT "?act=ippool", "ippool", NULL, { VZ_PAGING } },
	{ VZ_SCRIPT "?act=storage", "storage", NULL, { VZ_PAGING } },
	{ VZ_SCRIPT "?act=users", "users", NULL,
	    { VZ_PAGING, { "uid", VZ_V_ID, NULL } } },
};
#define VZ_NROUTES	(sizeof(vz_routes) / sizeof(vz_routes[0]))

/* The names sightline's own credentials travel under. */
static const char *const vz_cred_names[] = {
	"adminapikey", "adminapipass", "apikey", NULL
};

/*
 * Fields that hold secrets in some Virtualizor answer. They are removed
 * from every answer, at any depth, before a policy sees it, so that no
 * policy can show them: a VPS's VNC password and root password hash, a
 * user's password hash and activation code, and credentials.
 */
static const char *const vz_secret_fields[] = {
	"password", "passwd", "vnc_passwd", "vncpass", "vnc_pass",
	"crypted_pass", "crypted_salt", "activation_code", "rootpass",
	"root_pass", "newpass", "apikey", "apipass", "adminapikey",
	"adminapipass", "masterkey", "api_key", "api_pass", NULL
};

/* ---- small helpers ---- */

static int
vz_in(const char *const *names, const char *v)
{
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], v) == 0)
			return 1;
	return 0;
}

/* Decimal digits without a leading zero ("0" itself if zero_ok). */
static int
vz_valid_id(const char *s, size_t n, int zero_ok)
{
	char		 buf[VZ_ID_LEN];
	const char	*errstr;

	if (n == 0 || n > VZ_ID_DIGITS)
		return 0;
	if (s[0] == '0')
		return zero_ok && n == 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strspn(buf, "0123456789") != n)
		return 0;
	strtonum(buf, 1, 4294967295LL, &errstr);
	return errstr == NULL;
}

/*
 * A Virtualizor id as text, whether the panel sent it as a string
 * ("1001") or as a number (serid). Returns 0, or -1 if v is no valid id.
 */
static int
vz_id_text(const json_t *v, char out[VZ_ID_LEN], int zero_ok)
{
	const char	*s;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < (zero_ok ? 0 : 1) ||
		    json_integer_value(v) > 4294967295LL)
			return -1;
		snprintf(out, VZ_ID_LEN, "%lld",
		    (long long)json_integer_value(v));
		return 0;
	}
	if ((s = json_string_value(v)) == NULL ||
	    !vz_valid_id(s, strlen(s), zero_ok))
		return -1;
	snprintf(out, VZ_ID_LEN, "%s", s);
	return 0;
}

/* A page number, a VPS id list, ...: the value of name in our own path. */
static int
vz_path_param(const char *path, const char *name, char *out, size_t outlen)
{
	const char	*q = strchr(path, '?'), *amp;
	size_t		 n = strlen(name), m;

	if (q == NULL)
		return 0;
	for (q++; *q != '\0'; q = amp + (*amp == '&')) {
		amp = q + strcspn(q, "&");
		if ((size_t)(amp - q) > n && strncmp(q, name, n) == 0 &&
		    q[n] == '=') {
			m = (size_t)(amp - q) - n - 1;
			if (m >= outlen)
				return 0;
			memcpy(out, q + n + 1, m);
			out[m] = '\0';
			return 1;
		}
	}
	return 0;
}

/*
 * The entries of a map PHP may have written as an object ({"41": ...}),
 * as [] when empty, or as a list when its keys happened to be 0..n-1.
 * Calls fn(key, value, arg) for each, key NULL for list entries; stops
 * at and returns the first non-zero result. -1 when v is neither.
 */
static int
vz_each(const json_t *v, int (*fn)(const char *, json_t *, void *),
    void *arg)
{
	const char	*k;
	json_t		*e;
	size_t		 i;
	int		 rc;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if ((rc = fn(k, e, arg)) != 0)
				return rc;
		return 0;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if ((rc = fn(NULL, e, arg)) != 0)
				return rc;
		return 0;
	}
	return -1;
}

/* ---- plugin hooks: credentials, auth, options ---- */

/* Unreserved URL characters, or %XX: what a query may carry as is. */
static int
vz_cred_value_ok(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (isalnum((unsigned char)s[i]) || strchr("-._~", s[i]) != NULL)
			continue;
		if (s[i] == '%' && i + 2 < n &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

/* The legacy key: 8 characters [0-9a-z], then MD5(pass + them) in hex. */
static int
vz_apikey_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n != VZ_APIKEY_LEN)
		return 0;
	for (i = 0; i < 8; i++)
		if (!isdigit((unsigned char)s[i]) && !islower((unsigned char)s[i]))
			return 0;
	for (; i < n; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return 1;
}

/*
 * The credentials line: a query fragment of adminapikey=KEY&
 * adminapipass=PASS, of apikey=HASH, or of all three, in any order.
 * Fills val[i]/len[i] for vz_cred_names[i] (NULL when absent). Returns
 * 0, or -1 with a reason that names parameters and never quotes values.
 */
static int
vz_cred_parse(const char *s, const char *val[3], size_t len[3], char *err)
{
	const char	*amp, *eq;
	size_t		 i, n;

	for (i = 0; i < 3; i++) {
		val[i] = NULL;
		len[i] = 0;
	}
	for (; *s != '\0'; s = amp + (*amp == '&')) {
		amp = s + strcspn(s, "&");
		eq = memchr(s, '=', (size_t)(amp - s));
		if (eq == NULL) {
			err_set(err, "expected NAME=VALUE items joined by &");
			return -1;
		}
		n = (size_t)(eq - s);
		for (i = 0; vz_cred_names[i] != NULL; i++)
			if (strlen(vz_cred_names[i]) == n &&
			    strncmp(vz_cred_names[i], s, n) == 0)
				break;
		if (vz_cred_names[i] == NULL) {
			err_set(err, "only adminapikey, adminapipass and apikey "
			    "may be given");
			return -1;
		}
		if (val[i] != NULL) {
			err_set(err, "%s is given twice", vz_cred_names[i]);
			return -1;
		}
		val[i] = eq + 1;
		len[i] = (size_t)(amp - eq - 1);
		if (len[i] == 0 || len[i] > VZ_CRED_MAX ||
		    !vz_cred_value_ok(val[i], len[i])) {
			err_set(err, "the value of %s must be 1 to %d letters, "
			    "digits, - . _ ~ or %%XX escapes", vz_cred_names[i],
			    VZ_CRED_MAX);
			return -1;
		}
	}
	if ((val[0] == NULL) != (val[1] == NULL)) {
		err_set(err, "adminapikey and adminapipass go together");
		return -1;
	}
	if (val[2] != NULL && !vz_apikey_ok(val[2], len[2])) {
		err_set(err, "apikey must be 40 characters: 8 of 0-9 a-z, then "
		    "the MD5 in hex of the API password followed by those 8");
		return -1;
	}
	if (val[0] == NULL && val[2] == NULL) {
		err_set(err, "expected one line adminapikey=KEY&adminapipass="
		    "PASS, or apikey=HASH, or both (Virtualizor admin API "
		    "credentials)");
		return -1;
	}
	return 0;
}

static int
virtualizor_credentials(const char *s, char *err)
{
	const char	*val[3];
	size_t		 len[3];

	return vz_cred_parse(s, val, len, err);
}

/*
 * The query fragment upstream.c appends to every call; no header. Built
 * in one allocation, so that no stray copy of the secret is left behind.
 */
static int
virtualizor_auth(const char *secret, char **header, char **query, char *err)
{
	const char	*val[3];
	size_t		 len[3], i, total = 1, o = 0;
	char		*q;

	*header = *query = NULL;
	if (vz_cred_parse(secret, val, len, err) == -1)
		return -1;
	for (i = 0; i < 3; i++)
		if (val[i] != NULL)
			total += strlen(vz_cred_names[i]) + len[i] + 2;
	if ((q = malloc(total)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < 3; i++) {
		if (val[i] == NULL)
			continue;
		o += (size_t)snprintf(q + o, total - o, "%s%s=%.*s",
		    o > 0 ? "&" : "", vz_cred_names[i], (int)len[i], val[i]);
	}
	*query = q;
	return 0;
}

/*
 * options.owner: which field of a VPS names its owner, "email" (the
 * default), "uid" or "none". options.page_size: act=vs rows per page.
 */
static int
virtualizor_options(const json_t *opts, char *err)
{
	const char	*k, *s;
	json_t		*v;

	json_object_foreach((json_t *)opts, k, v) {
		if (strcmp(k, "owner") == 0) {
			if ((s = json_string_value(v)) == NULL ||
			    !route_in_list("email|uid|none", s)) {
				err_set(err, "owner must be \"email\", \"uid\" or "
				    "\"none\"");
				return -1;
			}
		} else if (strcmp(k, "page_size") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > VZ_PAGE_SIZE_MAX) {
				err_set(err, "page_size must be an integer from 1 "
				    "to %d", VZ_PAGE_SIZE_MAX);
				return -1;
			}
		} else {
			err_set(err, "unknown option \"%s\" (the virtualizor "
			    "plugin knows: owner, page_size)", k);
			return -1;
		}
	}
	return 0;
}

static long long
vz_page_size(const json_t *opts)
{
	const json_t	*v = json_object_get(opts, "page_size");

	return json_is_integer(v) ? (long long)json_integer_value(v) :
	    VZ_PAGE_SIZE;
}

/* ---- judging answers ---- */

/*
 * Could k be in vz_secret_fields? A filter on the first byte and the
 * length, derived from the list on first use, spares most keys the
 * string compares, which a 10,000-VPS inventory would feel.
 */
static int
vz_maybe_secret(const char *k)
{
	static unsigned char	 first[256];
	static size_t		 lo = SIZE_MAX, hi;
	size_t			 i, n;

	if (hi == 0)
		for (i = 0; vz_secret_fields[i] != NULL; i++) {
			n = strlen(vz_secret_fields[i]);
			first[(unsigned char)vz_secret_fields[i][0]] = 1;
			lo = n < lo ? n : lo;
			hi = n > hi ? n : hi;
		}
	if (!first[(unsigned char)k[0]])
		return 0;
	n = strlen(k);
	return n >= lo && n <= hi;
}

static void
vz_scrub(json_t *v)
{
	const char	*k;
	json_t		*e;
	void		*tmp;
	size_t		 i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, e) {
			if (vz_maybe_secret(k) && vz_in(vz_secret_fields, k))
				json_object_del(v, k);
			else
				vz_scrub(e);
		}
	} else if (json_is_array(v))
		json_array_foreach(v, i, e)
			vz_scrub(e);
}

/* An "error" member that says something: a non-empty list, map or text. */
static int
vz_has_error(const json_t *e)
{
	return (json_is_array(e) && json_array_size(e) > 0) ||
	    (json_is_object(e) && json_object_size(e) > 0) ||
	    (json_is_string(e) && json_string_length(e) > 0);
}

/*
 * Why an answer with an "error" member failed, for people. The panel's
 * messages are not quoted: they can echo the request, and sightline's
 * request carries its credentials. A map's keys are field names the
 * panel's code chose ("vpsid"); those are named, when they are plain.
 */
static void
vz_error_why(const json_t *e, char *why)
{
	struct buf	 b;
	const char	*k;
	json_t		*v;
	size_t		 n = 0, len;

	if (json_is_array(e)) {
		err_set(why, "the panel answered with an error (%zu message%s, "
		    "not quoted: it may echo the request and its credentials)",
		    json_array_size(e), json_array_size(e) == 1 ? "" : "s");
		return;
	}
	if (!json_is_object(e)) {
		err_set(why, "the panel answered with an error (not quoted: it "
		    "may echo the request and its credentials)");
		return;
	}
	buf_init(&b);
	json_object_foreach((json_t *)e, k, v) {
		len = strlen(k);
		if (n == VZ_ERROR_KEYS || len == 0 || len > 32 ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len) {
			buf_addstr(&b, n > 0 ? ", ..." : "...");
			break;
		}
		buf_printf(&b, "%s%s", n > 0 ? ", " : "", k);
		n++;
	}
	buf_add(&b, "", 1);
	err_set(why, "the panel answered with an error about %s (the "
	    "messages are not quoted: they may echo the request and its "
	    "credentials)", b.b_oom ? "some fields" : b.b_data);
	buf_free(&b);
}

/* Markup, by its first character: what reply_parse() also looks at. */
static int
vz_looks_html(const struct upstream_reply *u)
{
	const char	*p = u->ur_body;

	while (isspace((unsigned char)*p))
		p++;
	return *p == '<';
}

/*
 * What reply_parse() cannot know of Virtualizor:
 *  - a redirect (to the login page) means the credentials were refused;
 *  - so does a JSON rendering of the login page (act "login", uid -1);
 *  - PHP's default Content-Type is text/html, so a body that is JSON is
 *    judged by the body, and an HTML page (licence, maintenance, a PHP
 *    error) by its markup, whatever the header says;
 *  - an "error" list or map with status 200 is a failed call;
 *  - secrets are cut out of every answer (vz_secret_fields).
 */
static void
virtualizor_judge(const struct upstream_reply *u, struct reply *r)
{
	json_error_t	 jerr;
	const json_t	*doc, *v;
	const char	*s;

	if (u->ur_status >= 300 && u->ur_status <= 399) {
		json_decref(r->rp_json);
		r->rp_json = NULL;
		r->rp_kind = REPLY_REFUSED;
		err_set(r->rp_why, "the panel answered %d, a redirect, which "
		    "is how Virtualizor sends a caller whose API credentials "
		    "it refuses to its login page", u->ur_status);
		return;
	}
	if (r->rp_kind == REPLY_HTML && u->ur_status / 100 == 2) {
		if (vz_looks_html(u)) {
			err_set(r->rp_why, "the panel answered %d with an HTML "
			    "page instead of JSON (a login, licence, "
			    "maintenance or PHP error page)", u->ur_status);
			return;
		}
		/* Only the header said HTML: judge the body. */
		r->rp_json = json_loadb(u->ur_body, u->ur_len,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (r->rp_json == NULL) {
			r->rp_kind = REPLY_NOTJSON;
			if (u->ur_len == 0)
				err_set(r->rp_why, "the panel answered %d with "
				    "an empty body", u->ur_status);
			else
				err_set(r->rp_why, "the panel's answer is not "
				    "JSON (it fails at byte %d)", jerr.position);
			return;
		}
		r->rp_kind = REPLY_JSON;
		r->rp_why[0] = '\0';
	}
	if (r->rp_kind != REPLY_JSON)
		return;
	/*
	 * The admin API answers with an object; anything else is not its
	 * answer, and is never shown (nor left unscrubbed).
	 */
	if (!json_is_object(r->rp_json)) {
		json_decref(r->rp_json);
		r->rp_json = NULL;
		r->rp_kind = REPLY_NOTJSON;
		err_set(r->rp_why, "the panel's answer is JSON but not an "
		    "object, which the admin API always sends");
		return;
	}
	doc = r->rp_json;
	v = json_object_get(doc, "uid");
	if (((s = norm_str(doc, "act")) != NULL && strcmp(s, "login") == 0) ||
	    (json_is_integer(v) && json_integer_value(v) == -1) ||
	    ((s = json_string_value(v)) != NULL && strcmp(s, "-1") == 0)) {
		json_decref(r->rp_json);
		r->rp_json = NULL;
		r->rp_kind = REPLY_REFUSED;
		err_set(r->rp_why, "the panel answered with its login page: it "
		    "refused sightline's API credentials");
		return;
	}
	if (vz_has_error(json_object_get(doc, "error"))) {
		vz_error_why(json_object_get(doc, "error"), r->rp_why);
		r->rp_kind = REPLY_STATUS;
		return;
	}
	vz_scrub(r->rp_json);
}

/* ---- normalization (pure) ---- */


static const char *
vz_status(const json_t *row, const json_t *st)
{
	double	 code;

	/* The panel suspended it, whatever runs: the abuse case. */
	if (norm_num(json_object_get(row, "suspended"), &code) && code == 1)
		return "suspended";
	if (!norm_num(json_object_get(st, "status"), &code))
		return "unknown";
	if (code == 1)
		return "running";
	if (code == 0)
		return "stopped";
	if (code == 2)
		return "suspended";
	return "unknown";
}

struct vz_ip {
	double		 vi_id;
	const char	*vi_addr;
};

struct vz_ips {
	struct vz_ip	*vs_ip;
	size_t		 vs_n, vs_cap;
};

static int
vz_ip_collect(const char *k, json_t *v, void *arg)
{
	struct vz_ips	*a = arg;
	struct vz_ip	*p;
	double		 id = 0;

	if (!json_is_string(v))
		return 0;
	if (k != NULL && !norm_strnum(k, &id))
		id = 0;
	if (a->vs_n == a->vs_cap) {
		a->vs_cap = a->vs_cap == 0 ? 8 : a->vs_cap * 2;
		if ((p = reallocarray(a->vs_ip, a->vs_cap, sizeof(*p))) == NULL)
			return -1;
		a->vs_ip = p;
	}
	a->vs_ip[a->vs_n].vi_id = id;
	a->vs_ip[a->vs_n++].vi_addr = json_string_value(v);
	return 0;
}

static int
vz_ip_cmp(const void *a, const void *b)
{
	const struct vz_ip	*x = a, *y = b;

	return (x->vi_id > y->vi_id) - (x->vi_id < y->vi_id);
}

/*
 * The one interface Virtualizor describes: the VPS's MAC and every
 * address in its "ips" map ({ipid: address}, [] when empty), in ipid
 * order. The map has no prefix lengths, bridges or VLANs.
 */
static json_t *
vz_interfaces(const json_t *row, const json_t *detail)
{
	struct vz_ips	 a = { NULL, 0, 0 };
	json_t		*out = json_array(), *ips = json_array(), *mac;
	size_t		 i;

	mac = norm_mac(norm_str(row, "mac"));
	if (json_is_null(mac)) {
		json_decref(mac);
		mac = norm_mac(norm_str(detail, "mac"));
	}
	if (vz_each(json_object_get(row, "ips"), vz_ip_collect, &a) == -1 ||
	    a.vs_n == 0)
		vz_each(json_object_get(detail, "ips"), vz_ip_collect, &a);
	if (a.vs_n > 1)
		qsort(a.vs_ip, a.vs_n, sizeof(*a.vs_ip), vz_ip_cmp);
	for (i = 0; i < a.vs_n; i++)
		norm_add_ip(ips, a.vs_ip[i].vi_addr);
	free(a.vs_ip);
	if (json_is_null(mac) && json_array_size(ips) == 0) {
		json_decref(mac);
		json_decref(ips);
		return out;
	}
	json_array_append_new(out, json_pack("{s:o, s:o, s:n, s:n}", "mac",
	    mac, "ips", ips, "bridge", "vlan"));
	return out;
}

/* "80.00" with unit "G" (or "M", "T", "K", none) → GiB, or null. */
static json_t *
vz_disk_size(const json_t *d, double *total, int *sized)
{
	const char	*unit = norm_str(d, "size_unit");
	double		 v, mul = 1;

	if (!norm_num(json_object_get(d, "size"), &v) || v < 0)
		return json_null();
	if (unit != NULL && unit[0] != '\0') {
		if (strcmp(unit, "G") == 0 || strcmp(unit, "GB") == 0)
			mul = 1;
		else if (strcmp(unit, "M") == 0 || strcmp(unit, "MB") == 0)
			mul = 1.0 / 1024;
		else if (strcmp(unit, "T") == 0 || strcmp(unit, "TB") == 0)
			mul = 1024;
		else if (strcmp(unit, "K") == 0 || strcmp(unit, "KB") == 0)
			mul = 1.0 / (1024 * 1024);
		else
			return json_null();
	}
	*total += v * mul;
	*sized = 1;
	return norm_number(v * mul);
}

struct vz_disk {
	double		 vd_num, vd_did;
	const json_t	*vd_row;
};

static int
vz_disk_cmp(const void *a, const void *b)
{
	const struct vz_disk	*x = a, *y = b;

	if (x->vd_num != y->vd_num)
		return (x->vd_num > y->vd_num) - (x->vd_num < y->vd_num);
	return (x->vd_did > y->vd_did) - (x->vd_did < y->vd_did);
}

struct vz_disks {
	struct vz_disk	*vd_disk;
	size_t		 vd_n, vd_cap;
};

static int
vz_disk_collect(const char *k, json_t *v, void *arg)
{
	struct vz_disks	*a = arg;
	struct vz_disk	*p;

	if (!json_is_object(v))
		return 0;
	if (a->vd_n == a->vd_cap) {
		a->vd_cap = a->vd_cap == 0 ? 4 : a->vd_cap * 2;
		if ((p = reallocarray(a->vd_disk, a->vd_cap, sizeof(*p))) ==
		    NULL)
			return -1;
		a->vd_disk = p;
	}
	p = &a->vd_disk[a->vd_n++];
	p->vd_row = v;
	if (!norm_num(json_object_get(v, "num"), &p->vd_num))
		p->vd_num = 0;
	if (!norm_num(json_object_get(v, "did"), &p->vd_did))
		p->vd_did = 0;
	return 0;
}

/*
 * managevps → vps.disks: one disk per row, in the order of their "num":
 * storage (the storage's st_uuid, as act=storage lists it, or its stid),
 * volume (the path on the node) and size.
 */
static json_t *
vz_disks(const json_t *detail, double *total, int *sized)
{
	struct vz_disks	 a = { NULL, 0, 0 };
	const json_t	*d;
	json_t		*out = json_array(), *storage, *volume;
	size_t		 i;

	vz_each(json_object_get(detail, "disks"), vz_disk_collect, &a);
	if (a.vd_n > 1)
		qsort(a.vd_disk, a.vd_n, sizeof(*a.vd_disk), vz_disk_cmp);
	for (i = 0; i < a.vd_n; i++) {
		d = a.vd_disk[i].vd_row;
		volume = norm_str_field(d, "path");
		if (json_is_null(volume)) {
			json_decref(volume);
			volume = norm_str_field(d, "disk_uuid");
		}
		if (json_is_null(volume)) {
			json_decref(volume);
			continue;
		}
		storage = norm_str_field(d, "st_uuid");
		if (json_is_null(storage)) {
			json_decref(storage);
			storage = norm_str_field(d, "stid");
		}
		json_array_append_new(out, json_pack("{s:o, s:o, s:o}",
		    "storage", storage, "volume", volume, "size_gb",
		    vz_disk_size(d, total, sized)));
	}
	free(a.vd_disk);
	return out;
}

/* "prod, web" → ["prod", "web"]; null when there are none. */
static json_t *
vz_tags(const char *s)
{
	json_t	*a;
	size_t	 n;

	if (s == NULL || (a = json_array()) == NULL)
		return json_null();
	while (*s != '\0') {
		s += strspn(s, ",; ");
		if ((n = strcspn(s, ",; ")) == 0)
			break;
		json_array_append_new(a, json_stringn(s, n));
		s += n;
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		return json_null();
	}
	return a;
}

/*
 * Schema v1 from a VPS's documents: "vs" (its act=vs row), "status" (its
 * act=vs&vs_status entry, absent when unknown) and "detail" (the "vps" of
 * act=managevps). servers maps serid → node name. Returns a new record,
 * or NULL with a reason.
 */
static json_t *
vz_normalize(const char *panel, const json_t *opts, const json_t *servers,
    const json_t *docs, char *err)
{
	const json_t	*row = json_object_get(docs, "vs");
	const json_t	*detail = json_object_get(docs, "detail");
	const char	*owner = norm_str(opts, "owner"), *node;
	char		 id[VZ_ID_LEN], serid[VZ_ID_LEN];
	json_t		*rec, *disks;
	double		 total = 0, v;
	int		 sized = 0;

	if (vz_id_text(json_object_get(row, "vpsid"), id, 0) == -1) {
		err_set(err, "no valid vpsid");
		return NULL;
	}
	rec = norm_record_new(panel, id, norm_kind(norm_str(row, "virt")));
	if (rec == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	node = NULL;
	if (vz_id_text(json_object_get(row, "serid"), serid, 1) == 0)
		node = norm_str(servers, serid);
	if (node == NULL)
		node = norm_str(row, "server_name");
	json_object_set_new(rec, "node", node != NULL && node[0] != '\0' ?
	    json_string(node) : json_null());
	json_object_set_new(rec, "status", json_string(vz_status(row,
	    json_object_get(docs, "status"))));
	if (norm_num(json_object_get(row, "time"), &v) && v > 0)
		json_object_set_new(rec, "created", norm_number(v));
	json_object_set_new(rec, "cpu", norm_num_field(row, "cores", 1));
	json_object_set_new(rec, "memory_mb", norm_num_field(row, "ram", 1));
	/* A bandwidth of 0 is Virtualizor's "no limit". */
	if (norm_num(json_object_get(row, "bandwidth"), &v) && v > 0)
		json_object_set_new(rec, "bandwidth_gb", norm_number(v));
	json_object_set_new(rec, "interfaces", vz_interfaces(row, detail));
	disks = vz_disks(detail, &total, &sized);
	json_object_set_new(rec, "disks", disks);
	json_object_set_new(rec, "disk_gb", sized ? norm_number(total) :
	    norm_num_field(row, "space", 1));
	if (owner == NULL || strcmp(owner, "email") == 0)
		json_object_set_new(rec, "owner", norm_str_field(row, "email"));
	else if (strcmp(owner, "uid") == 0)
		json_object_set_new(rec, "owner", norm_str_field(row, "uid"));
	json_object_set_new(rec, "hostname", norm_str_field(row, "hostname"));
	json_object_set_new(rec, "name", norm_str_field(row, "vps_name"));
	json_object_set_new(rec, "notes", norm_str_field(row, "notes"));
	json_object_set_new(rec, "tags", vz_tags(norm_str(row, "tags")));
	json_object_set_new(rec, "uuid", norm_str_field(row, "uuid"));
	return rec;
}

static json_t *
vz_node(const char *panel, const char *name, const json_t *e)
{
	char	 id[PANEL_NAME_MAX + VZ_NAME_MAX + 2];
	double	 st;
	json_t	*o;

	snprintf(id, sizeof(id), "%s/%s", panel, name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:n}", "id", id,
	    "panel", panel, "name", name, "status",
	    !norm_num(json_object_get(e, "status"), &st) ? "unknown" :
	    st == 1 ? "online" : st == 0 ? "offline" : "unknown",
	    "cpu", norm_num_field(e, "vcores", 1),
	    "memory_mb", norm_num_field(e, "total_ram", 1),
	    "disk_gb", norm_num_field(e, "total_space", 1),
	    "ssl_fingerprint");
	return o;
}

/* ---- inventory ---- */

static int
vz_get(struct fetch *f, struct fetch_group *g, char *err, const char *fmt,
    ...) __attribute__((__format__(printf, 4, 5)));

static int
vz_get(struct fetch *f, struct fetch_group *g, char *err, const char *fmt,
    ...)
{
	char	 path[VZ_PATH_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		err_set(err, "path too long");
		return -1;
	}
	if (fetch_get(f, g, path) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static int
virtualizor_inventory(struct fetch *f, char *err)
{
	json_t	*st = fetch_state(f);

	if (json_object_set_new(st, "servers", json_object()) == -1 ||
	    json_object_set_new(st, "seen", json_object()) == -1 ||
	    json_object_set_new(st, "rows", json_object()) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	/* The nodes first: records name their node through this map. */
	return vz_get(f, NULL, err, VZ_SCRIPT "?act=servers&api=json");
}

static const json_t *
vz_doc(const struct reply *r, char *err)
{
	if (r->rp_kind != REPLY_JSON) {
		err_set(err, "%s", r->rp_why);
		return NULL;
	}
	if (!json_is_object(r->rp_json)) {
		err_set(err, "the panel's answer is not a JSON object");
		return NULL;
	}
	return r->rp_json;
}

struct vz_servers_ctx {
	struct fetch	*sc_fetch;
	json_t		*sc_map;
	char		*sc_err;
};

static int
vz_server_one(const char *k, json_t *e, void *arg)
{
	struct vz_servers_ctx	*c = arg;
	const char		*name = norm_str(e, "server_name");
	char			 serid[VZ_ID_LEN];
	json_t			*n;
	size_t			 len, i;

	if (!json_is_object(e))
		return 0;
	if (vz_id_text(json_object_get(e, "serid"), serid, 1) == -1 &&
	    (k == NULL || !vz_valid_id(k, strlen(k), 1) ||
	    strlcpy(serid, k, sizeof(serid)) >= sizeof(serid)))
		return 0;
	if (name == NULL || (len = strlen(name)) == 0 || len > VZ_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (iscntrl((unsigned char)name[i]) || name[i] == '/')
			return 0;
	if (json_object_set_new(c->sc_map, serid, json_string(name)) == -1 ||
	    (n = vz_node(fetch_panel(c->sc_fetch), name, e)) == NULL ||
	    fetch_add_node(c->sc_fetch, n) == -1) {
		err_set(c->sc_err, "out of memory");
		return -1;
	}
	return 0;
}

/* act=servers: the nodes, then the first page of VPSes. */
static int
vz_servers(struct fetch *f, const struct reply *r, char *err)
{
	struct vz_servers_ctx	 c;
	const json_t		*doc;

	if ((doc = vz_doc(r, err)) == NULL)
		return -1;
	c.sc_fetch = f;
	c.sc_map = json_object_get(fetch_state(f), "servers");
	c.sc_err = err;
	switch (vz_each(json_object_get(doc, "servs"), vz_server_one, &c)) {
	case 0:
		break;
	case -1:
		if (err[0] == '\0')
			err_set(err, "the panel's answer has no \"servs\" "
			    "list");
		return -1;
	default:
		return -1;
	}
	return vz_get(f, NULL, err, VZ_SCRIPT "?act=vs&api=json&page=1"
	    "&reslen=%lld", vz_page_size(fetch_options(f)));
}

/* One act=vs page being taken in. */
struct vz_page_ctx {
	struct fetch	*pc_fetch;
	json_t		*pc_seen, *pc_rows;
	long long	 pc_page;
	size_t		 pc_rows_new, pc_rows_old;
	char		 pc_batch[VZ_PATH_MAX];
	size_t		 pc_nbatch;
	char		*pc_err;
};

static int
vz_flush_status(struct vz_page_ctx *c)
{
	int	 rc;

	if (c->pc_nbatch == 0)
		return 0;
	rc = vz_get(c->pc_fetch, NULL, c->pc_err, VZ_SCRIPT "?act=vs"
	    "&api=json&vs_status=%s", c->pc_batch);
	c->pc_nbatch = 0;
	c->pc_batch[0] = '\0';
	return rc;
}

static int
vz_page_row(const char *k, json_t *row, void *arg)
{
	struct vz_page_ctx	*c = arg;
	char			 id[VZ_ID_LEN];

	if (!json_is_object(row) ||
	    vz_id_text(json_object_get(row, "vpsid"), id, 0) == -1) {
		err_set(c->pc_err, "a VPS on page %lld has no valid vpsid",
		    c->pc_page);
		return -1;
	}
	if (k != NULL && strcmp(k, id) != 0) {
		err_set(c->pc_err, "page %lld lists VPS %s under the key of "
		    "another", c->pc_page, id);
		return -1;
	}
	/*
	 * A VPS created while the pages are read shifts the next page by
	 * one: the same VPS comes twice. It counts once.
	 */
	if (json_object_get(c->pc_seen, id) != NULL) {
		log_debug("%s: VPS %s is listed again on page %lld",
		    fetch_panel(c->pc_fetch), id, c->pc_page);
		c->pc_rows_old++;
		return 0;
	}
	if (json_object_set_new(c->pc_seen, id, json_true()) == -1 ||
	    json_object_set(c->pc_rows, id, row) == -1) {
		err_set(c->pc_err, "out of memory");
		return -1;
	}
	c->pc_rows_new++;
	if (c->pc_nbatch > 0)
		strlcat(c->pc_batch, ",", sizeof(c->pc_batch));
	strlcat(c->pc_batch, id, sizeof(c->pc_batch));
	if (++c->pc_nbatch == VZ_STATUS_BATCH)
		return vz_flush_status(c);
	return 0;
}

/*
 * act=vs, one page: each new VPS waits in state.rows for its status,
 * asked for in batches; the next page is asked for until a page comes
 * back empty. Only an empty page ends the list: a page shorter than
 * reslen does not, since a panel may cap reslen below what was asked.
 */
static int
vz_page(struct fetch *f, const char *path, const struct reply *r, char *err)
{
	struct vz_page_ctx	 c;
	const json_t		*doc;
	json_t			*st = fetch_state(f);
	char			 val[32];
	const char		*errstr;
	int			 rc;

	if ((doc = vz_doc(r, err)) == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.pc_fetch = f;
	c.pc_seen = json_object_get(st, "seen");
	c.pc_rows = json_object_get(st, "rows");
	c.pc_err = err;
	c.pc_page = vz_path_param(path, "page", val, sizeof(val)) ?
	    strtonum(val, 1, VZ_PAGES_MAX, &errstr) : 1;
	rc = vz_each(json_object_get(doc, "vs"), vz_page_row, &c);
	if (rc == -1 && err[0] == '\0')
		err_set(err, "the panel's answer has no \"vs\" list");
	if (rc != 0 || vz_flush_status(&c) == -1)
		return -1;
	if (c.pc_rows_new == 0 && c.pc_rows_old == 0)
		return 0;	/* the end */
	if (c.pc_rows_new == 0) {
		err_set(err, "page %lld lists only VPSes of earlier pages: the "
		    "panel does not page act=vs as asked", c.pc_page);
		return -1;
	}
	if (c.pc_page >= VZ_PAGES_MAX) {
		err_set(err, "more than %d pages of VPSes", VZ_PAGES_MAX);
		return -1;
	}
	return vz_get(f, NULL, err, VZ_SCRIPT "?act=vs&api=json&page=%lld"
	    "&reslen=%lld", c.pc_page + 1, vz_page_size(fetch_options(f)));
}

/*
 * act=vs&vs_status: each VPS of the batch gets its group, with its row
 * and status, and its act=managevps call. A status the panel does not
 * give is unknown, not an error; a refusal of the credentials is.
 */
static int
vz_status_batch(struct fetch *f, const char *path, const struct reply *r,
    char *err)
{
	char			 ids[VZ_PATH_MAX], key[VZ_ID_LEN + 8];
	char			*id, *save = NULL;
	const json_t		*map = NULL;
	json_t			*rows = json_object_get(fetch_state(f), "rows");
	json_t			*row;
	struct fetch_group	*g;

	if (r->rp_kind == REPLY_REFUSED || r->rp_kind == REPLY_TRANSPORT) {
		err_set(err, "%s", r->rp_why);
		return -1;
	}
	if (!vz_path_param(path, "vs_status", ids, sizeof(ids))) {
		err_set(err, "no VPS ids in the call");
		return -1;
	}
	if (r->rp_kind == REPLY_JSON)
		map = norm_object(json_object_get(r->rp_json, "status"));
	if (map == NULL)
		log_warnx("%s: act=vs&vs_status: %s; the status of these VPSes "
		    "is unknown", fetch_panel(f), r->rp_kind == REPLY_JSON ?
		    "the answer has no \"status\" map" : r->rp_why);
	for (id = strtok_r(ids, ",", &save); id != NULL;
	    id = strtok_r(NULL, ",", &save)) {
		if ((row = json_object_get(rows, id)) == NULL) {
			err_set(err, "VPS %s was not waiting for a status", id);
			return -1;
		}
		snprintf(key, sizeof(key), "vps/%s", id);
		if ((g = fetch_group(f, key)) == NULL ||
		    fetch_group_put(g, "vs", row) == -1 ||
		    (json_is_object(json_object_get(map, id)) &&
		    fetch_group_put(g, "status", json_object_get(map, id)) ==
		    -1)) {
			err_set(err, "out of memory");
			return -1;
		}
		json_object_del(rows, id);
		/* A GET with no body: a POST to managevps edits the VPS. */
		if (vz_get(f, g, err, VZ_SCRIPT "?act=managevps&api=json"
		    "&vpsid=%s", id) == -1)
			return -1;
	}
	return 0;
}

/* act=managevps: the VPS's own view, with its disks. */
static int
vz_detail(struct fetch_group *g, const char *path, const struct reply *r,
    char *err)
{
	const json_t	*doc, *vps;
	char		 want[VZ_ID_LEN], got[VZ_ID_LEN];

	if ((doc = vz_doc(r, err)) == NULL)
		return -1;
	vps = json_object_get(doc, "vps");
	if (!json_is_object(vps)) {
		err_set(err, "the panel's answer has no \"vps\" object");
		return -1;
	}
	if (!vz_path_param(path, "vpsid", want, sizeof(want)) ||
	    vz_id_text(json_object_get(vps, "vpsid"), got, 0) == -1 ||
	    strcmp(want, got) != 0) {
		err_set(err, "the panel answered about another VPS");
		return -1;
	}
	if (fetch_group_put(g, "detail", (json_t *)vps) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static int
virtualizor_fetched(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	char	 act[32];

	if (g != NULL)
		return vz_detail(g, path, r, err);
	if (!vz_path_param(path, "act", act, sizeof(act))) {
		err_set(err, "a call without act");
		return -1;
	}
	if (strcmp(act, "servers") == 0)
		return vz_servers(f, r, err);
	if (strstr(path, "&vs_status=") != NULL)
		return vz_status_batch(f, path, r, err);
	return vz_page(f, path, r, err);
}

static int
virtualizor_record(struct fetch *f, const json_t *docs, json_t **rec,
    char *err)
{
	*rec = vz_normalize(fetch_panel(f), fetch_options(f),
	    json_object_get(fetch_state(f), "servers"), docs, err);
	return *rec == NULL ? -1 : 0;
}

/* ---- native allow-list ---- */

static int
vz_value_ok(const struct vz_param *p, const char *v)
{
	char		 canon[ADDR_IP_LEN], mac[ADDR_MAC_LEN + 1];
	const char	*errstr, *s, *comma;
	size_t		 n = strlen(v), count = 0;
	long long	 x;

	switch (p->vp_value) {
	case VZ_V_ID:
	case VZ_V_ID0:
		return vz_valid_id(v, n, p->vp_value == VZ_V_ID0);
	case VZ_V_PAGE:
	case VZ_V_RESLEN:
		if (!vz_valid_id(v, n, 0))
			return 0;
		x = strtonum(v, 1, p->vp_value == VZ_V_PAGE ? VZ_PAGES_MAX :
		    VZ_PAGE_SIZE_MAX, &errstr);
		return errstr == NULL && x > 0;
	case VZ_V_IDLIST:
		for (s = v; ; s = comma + 1) {
			comma = s + strcspn(s, ",");
			if (!vz_valid_id(s, (size_t)(comma - s), 0) ||
			    ++count > VZ_STATUS_BATCH)
				return 0;
			if (*comma == '\0')
				return 1;
		}
	case VZ_V_IP:
		return strchr(v, '/') == NULL &&
		    addr_ip_canon(v, canon, sizeof(canon), 0) == 0;
	case VZ_V_MAC:
		return addr_mac_canon(v, mac) == 0;
	case VZ_V_NAME:
		return n > 0 && n <= VZ_NAME_MAX &&
		    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
	case VZ_V_ENUM:
		return route_in_list(p->vp_values, v);
	}
	return 0;
}

static const char *
vz_value_words(const struct vz_param *p)
{
	switch (p->vp_value) {
	case VZ_V_ID:
		return "a number from 1, without leading zeros";
	case VZ_V_ID0:
		return "a number from 0, without leading zeros";
	case VZ_V_PAGE:
		return "a page number from 1 to 100000";
	case VZ_V_RESLEN:
		return "a number of rows from 1 to 5000";
	case VZ_V_IDLIST:
		return "1 to 100 VPS ids joined by commas";
	case VZ_V_IP:
		return "an IPv4 or IPv6 address";
	case VZ_V_MAC:
		return "a MAC address";
	case VZ_V_NAME:
		return "1 to 64 letters, digits, - _ or .";
	case VZ_V_ENUM:
		return p->vp_values;
	}
	return "?";
}

struct vz_item {
	char	*vi_name;
	char	*vi_value;
};

/*
 * path is what the hoster asked for below the panel's url, raw (not
 * decoded), query the raw query string or NULL. The path must be the
 * script itself; the query is split without decoding anything (a %
 * is refused), so what is checked is what the panel will get.
 */
static int
virtualizor_native_route(const char *path, const char *query,
    struct native_route *nr, char *err)
{
	char			 q[FRONT_URI_BYTES_MAX], out[FRONT_URI_BYTES_MAX];
	struct vz_item		 it[VZ_PARAMS_MAX];
	const struct vz_route	*rt = NULL;
	const struct vz_param	*p;
	char			*s, *amp, *eq;
	const char		*act = NULL;
	size_t			 n = 0, i, j, used = 0;

	if (strcmp(path, VZ_SCRIPT) != 0) {
		err_set(err, "%s is not on the read-only allow-list (the "
		    "Virtualizor API is " VZ_SCRIPT "?act=...)",
		    strspn(path, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.") ==
		    strlen(path) && strlen(path) < 128 ? path : "the path");
		return -1;
	}
	if (query == NULL || query[0] == '\0') {
		err_set(err, "a Virtualizor call needs a query with act=...");
		return -1;
	}
	if (strspn(query, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:,=&") != strlen(query)) {
		err_set(err, "native queries may only hold letters, digits and "
		    "- _ . : , = & (no percent-encoding, no [])");
		return -1;
	}
	if (strlcpy(q, query, sizeof(q)) >= sizeof(q)) {
		err_set(err, "query too long");
		return -1;
	}
	for (s = q; s != NULL; s = amp) {
		if ((amp = strchr(s, '&')) != NULL)
			*amp++ = '\0';
		if ((eq = strchr(s, '=')) == NULL || eq == s || eq[1] == '\0') {
			err_set(err, "every query item must be NAME=VALUE with "
			    "a value");
			return -1;
		}
		*eq = '\0';
		if (strspn(s, "abcdefghijklmnopqrstuvwxyz_") != strlen(s) ||
		    strlen(s) > 32) {
			err_set(err, "parameter names are lowercase letters "
			    "and _");
			return -1;
		}
		if (vz_in(vz_cred_names, s) || strcmp(s, "apipass") == 0) {
			err_set(err, "parameter \"%s\" is refused: sightline "
			    "sends its own credentials, the hoster's go in "
			    "the Authorization header", s);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (strcmp(it[i].vi_name, s) == 0) {
				err_set(err, "parameter \"%s\" given twice", s);
				return -1;
			}
		if (n == VZ_PARAMS_MAX) {
			err_set(err, "more than %d query parameters",
			    VZ_PARAMS_MAX);
			return -1;
		}
		it[n].vi_name = s;
		it[n++].vi_value = eq + 1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(it[i].vi_name, "act") == 0)
			act = it[i].vi_value;
		else if (strcmp(it[i].vi_name, "api") == 0 &&
		    strcmp(it[i].vi_value, "json") != 0) {
			err_set(err, "api must be json: sightline never asks "
			    "for PHP-serialized answers");
			return -1;
		}
	}
	if (act == NULL) {
		err_set(err, "the query has no act");
		return -1;
	}
	/* A route that needs a parameter present wins; then the plain one. */
	for (i = 0; i < VZ_NROUTES && rt == NULL; i++) {
		if (strcmp(vz_routes[i].vr_act, act) != 0)
			continue;
		if (vz_routes[i].vr_needs == NULL) {
			rt = &vz_routes[i];
			break;
		}
		for (j = 0; j < n; j++)
			if (strcmp(it[j].vi_name, vz_routes[i].vr_needs) == 0)
				rt = &vz_routes[i];
	}
	if (rt == NULL) {
		for (i = 0; i < VZ_NROUTES; i++)
			if (strcmp(vz_routes[i].vr_act, act) == 0)
				break;
		if (i < VZ_NROUTES)
			err_set(err, "act=%s needs %s", act,
			    vz_routes[i].vr_needs);
		else
			err_set(err, "act=%s is not on the read-only allow-list",
			    strlen(act) <= 32 ? act : "...");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(it[i].vi_name, "act") == 0 ||
		    strcmp(it[i].vi_name, "api") == 0)
			continue;
		for (p = NULL, j = 0; j < VZ_ROUTE_PARAMS &&
		    rt->vr_params[j].vp_name != NULL; j++)
			if (strcmp(rt->vr_params[j].vp_name,
			    it[i].vi_name) == 0)
				p = &rt->vr_params[j];
		if (p == NULL) {
			err_set(err, "parameter \"%s\" is not allowed for %s",
			    it[i].vi_name, rt->vr_endpoint);
			return -1;
		}
		if (!vz_value_ok(p, it[i].vi_value)) {
			err_set(err, "parameter \"%s\" must be %s", p->vp_name,
			    vz_value_words(p));
			return -1;
		}
	}
	/* The upstream query: act, api=json, the rest in the table's order. */
	if ((size_t)snprintf(out, sizeof(out), VZ_SCRIPT "?act=%s&api=json",
	    act) >= sizeof(out))
		goto toolong;
	for (j = 0; j < VZ_ROUTE_PARAMS && rt->vr_params[j].vp_name != NULL;
	    j++)
		for (i = 0; i < n; i++) {
			if (strcmp(it[i].vi_name, rt->vr_params[j].vp_name) != 0)
				continue;
			used++;
			if (strlcat(out, "&", sizeof(out)) >= sizeof(out) ||
			    strlcat(out, it[i].vi_name, sizeof(out)) >=
			    sizeof(out) ||
			    strlcat(out, "=", sizeof(out)) >= sizeof(out) ||
			    strlcat(out, it[i].vi_value, sizeof(out)) >=
			    sizeof(out))
				goto toolong;
		}
	if (rt->vr_needs != NULL && used == 0) {
		err_set(err, "%s needs %s", rt->vr_endpoint, rt->vr_needs);
		return -1;
	}
	if (strlcpy(nr->nr_path, out, sizeof(nr->nr_path)) >=
	    sizeof(nr->nr_path))
		goto toolong;
	nr->nr_endpoint = rt->vr_endpoint;
	return 0;
toolong:
	nr->nr_path[0] = '\0';
	err_set(err, "query too long");
	return -1;
}

static const char *
virtualizor_endpoint(size_t i)
{
	return i < VZ_NROUTES ? vz_routes[i].vr_endpoint : NULL;
}

/* ---- evidence ---- */

/*
 * pl_preserve: a Virtualizor KVM VPS is the libvirt domain named after
 * its vps_name, the record's "name" (when the policy lets it show).
 */
static json_t *
virtualizor_preserve(const json_t *rec, const json_t *domain)
{
	const char	*name = json_string_value(json_object_get(rec, "name"));

	return evidence_libvirt(rec, domain, name, name != NULL ?
	    "Virtualizor names a KVM VPS's libvirt domain after its vps_name, "
	    "the record's \"name\"." :
	    "Virtualizor names a KVM VPS's libvirt domain after its vps_name, "
	    "which this record does not show (the policy commits or drops "
	    "\"name\").");
}

const struct plugin plugin_virtualizor = {
	.pl_name = "virtualizor",
	.pl_libvirt = 1,
	.pl_api_root = VZ_API_ROOT,
	.pl_endpoint = virtualizor_endpoint,
	.pl_credentials = virtualizor_credentials,
	.pl_auth = virtualizor_auth,
	.pl_options = virtualizor_options,
	.pl_inventory = virtualizor_inventory,
	.pl_fetched = virtualizor_fetched,
	.pl_record = virtualizor_record,
	.pl_native_route = virtualizor_native_route,
	.pl_judge = virtualizor_judge,
	.pl_preserve = virtualizor_preserve,
};
