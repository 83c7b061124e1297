/*
 * conf.c: the configuration file. It is a Lua data file, run with no
 * library at all; the globals it assigns are checked here against what
 * sightline.conf(5) documents. Every problem is reported, with its key
 * path, not just the first one. Relative paths are relative to the
 * directory of the configuration file.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define CONF_LUA_MEMORY		(4 * 1024 * 1024)
#define CONF_LUA_INSTRUCTIONS	1000000
#define CONF_ERRORS_MAX		64	/* more than this many are summarized */

struct conf_ctx {
	const char	*cx_file;
	char		 cx_dir[PATH_MAX];
	char		**cx_errors;
	size_t		 cx_nerrors;
	size_t		 cx_dropped;
};

/* Record one finished error line. */
static void
conf_add(struct conf_ctx *cx, const char *line)
{
	char	**e;

	if (cx->cx_nerrors >= CONF_ERRORS_MAX) {
		cx->cx_dropped++;
		return;
	}
	if ((e = reallocarray(cx->cx_errors, cx->cx_nerrors + 1,
	    sizeof(*e))) == NULL) {
		cx->cx_dropped++;
		return;
	}
	cx->cx_errors = e;
	if ((e[cx->cx_nerrors] = strdup(line)) == NULL)
		cx->cx_dropped++;
	else
		cx->cx_nerrors++;
}

static void
conf_error(struct conf_ctx *cx, const char *path, const char *fmt, ...)
{
	char	 msg[ERR_MAX], line[ERR_MAX + PATH_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path != NULL && path[0] != '\0')
		snprintf(line, sizeof(line), "%s: %s: %s", cx->cx_file, path,
		    msg);
	else
		snprintf(line, sizeof(line), "%s: %s", cx->cx_file, msg);
	conf_add(cx, line);
}

static void
conf_keypath(char *out, size_t len, const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, len, "%s", key);
	else
		snprintf(out, len, "%s.%s", parent, key);
}

/* Report keys of obj that are not in known (a NULL-terminated list). */
static void
conf_unknown(struct conf_ctx *cx, const json_t *obj, const char *path,
    const char *const *known)
{
	const char	*k;
	json_t		*v;
	size_t		 i;
	char		 kp[PATH_MAX];

	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			conf_keypath(kp, sizeof(kp), path, k);
			conf_error(cx, kp, "unknown key");
		}
	}
}

/* An object, or the empty array an empty Lua table becomes; else NULL. */
static const json_t *
conf_table(struct conf_ctx *cx, const json_t *v, const char *path)
{
	static json_t	*empty;

	if (json_is_object(v))
		return v;
	if (json_is_array(v) && json_array_size(v) == 0) {
		if (empty == NULL && (empty = json_object()) == NULL)
			fatalx("%s: out of memory", __func__);
		return empty;
	}
	conf_error(cx, path, "expected a table of named keys");
	return NULL;
}

static const json_t *
conf_list(struct conf_ctx *cx, const json_t *v, const char *path)
{
	if (json_is_array(v))
		return v;
	conf_error(cx, path, "expected a list { {...}, {...} }");
	return NULL;
}

/* A string value, or def when the key is absent (NULL def: required). */
static char *
conf_string(struct conf_ctx *cx, const json_t *obj, const char *path,
    const char *key, const char *def)
{
	char		 kp[PATH_MAX];
	const json_t	*v = json_object_get(obj, key);
	const char	*s = def;
	char		*out;

	conf_keypath(kp, sizeof(kp), path, key);
	if (v == NULL) {
		if (def == NULL)
			conf_error(cx, kp, "missing");
	} else if (!json_is_string(v))
		conf_error(cx, kp, "expected a string");
	else if (json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		conf_error(cx, kp, "expected a non-empty string without NUL");
	else
		s = json_string_value(v);
	if (s == NULL)
		return NULL;
	if ((out = strdup(s)) == NULL)
		fatalx("%s: out of memory", __func__);
	return out;
}

/* An optional path, resolved against the configuration's directory. */
static char *
conf_path(struct conf_ctx *cx, const json_t *obj, const char *path,
    const char *key, int required)
{
	char	 kp[PATH_MAX], full[PATH_MAX];
	char	*s, *out;

	if (!required && json_object_get(obj, key) == NULL)
		return NULL;
	if ((s = conf_string(cx, obj, path, key, NULL)) == NULL)
		return NULL;
	conf_keypath(kp, sizeof(kp), path, key);
	if (path_resolve(cx->cx_dir, s, full, sizeof(full)) == -1) {
		conf_error(cx, kp, "path too long");
		free(s);
		return NULL;
	}
	free(s);
	if ((out = strdup(full)) == NULL)
		fatalx("%s: out of memory", __func__);
	return out;
}

static long long
conf_int(struct conf_ctx *cx, const json_t *obj, const char *path,
    const char *key, long long def, long long min, long long max)
{
	char		 kp[PATH_MAX];
	const json_t	*v = json_object_get(obj, key);
	double		 d;
	long long	 n;

	if (v == NULL)
		return def;
	conf_keypath(kp, sizeof(kp), path, key);
	d = json_number_value(v);
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_real(v) && d == floor(d) && fabs(d) < 9e15)
		n = (long long)d;
	else {
		conf_error(cx, kp, "expected a whole number");
		return def;
	}
	if (n < min || n > max) {
		conf_error(cx, kp, "%lld is out of range (%lld to %lld)", n,
		    min, max);
		return def;
	}
	return n;
}

static double
conf_number(struct conf_ctx *cx, const json_t *obj, const char *path,
    const char *key, double def, double min, double max)
{
	char		 kp[PATH_MAX];
	const json_t	*v = json_object_get(obj, key);
	double		 d;

	if (v == NULL)
		return def;
	conf_keypath(kp, sizeof(kp), path, key);
	if (!json_is_number(v)) {
		conf_error(cx, kp, "expected a number of seconds");
		return def;
	}
	d = json_number_value(v);
	if (d < min || d > max) {
		conf_error(cx, kp, "%g is out of range (%g to %g)", d, min,
		    max);
		return def;
	}
	return d;
}

static int
conf_bool(struct conf_ctx *cx, const json_t *obj, const char *path,
    const char *key, int def)
{
	char		 kp[PATH_MAX];
	const json_t	*v = json_object_get(obj, key);

	if (v == NULL)
		return def;
	if (!json_is_boolean(v)) {
		conf_keypath(kp, sizeof(kp), path, key);
		conf_error(cx, kp, "expected true or false");
		return def;
	}
	return json_is_true(v);
}

/* Names that appear in URLs and record ids: a-z, 0-9 and '-'. */
static int
conf_valid_name(const char *s, size_t max)
{
	size_t	 i;

	if (s[0] == '\0' || strlen(s) > max || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static int
conf_is_loopback(const char *addr)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static void
conf_parse_listen(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	static const char *const known[] = { "address", "port", "tls", NULL };
	const json_t	*list, *e;
	char		 p[PATH_MAX];
	struct in6_addr	 a;
	size_t		 i;

	if ((list = json_object_get(top, "listen")) == NULL) {
		conf_error(cx, "listen", "missing");
		return;
	}
	if ((list = conf_list(cx, list, "listen")) == NULL)
		return;
	if (json_array_size(list) == 0)
		conf_error(cx, "listen", "needs at least one address");
	if (json_array_size(list) > FRONT_LISTEN_MAX)
		conf_error(cx, "listen", "more than %d addresses",
		    FRONT_LISTEN_MAX);
	if ((cf->cf_listen = calloc(json_array_size(list) + 1,
	    sizeof(*cf->cf_listen))) == NULL)
		fatalx("%s: out of memory", __func__);
	json_array_foreach(list, i, e) {
		struct conf_listen	*li = &cf->cf_listen[cf->cf_nlisten++];

		snprintf(p, sizeof(p), "listen[%zu]", i + 1);
		if ((e = conf_table(cx, e, p)) == NULL)
			continue;
		conf_unknown(cx, e, p, known);
		li->li_address = conf_string(cx, e, p, "address", NULL);
		li->li_port = (int)conf_int(cx, e, p, "port", 0, 1, 65535);
		if (json_object_get(e, "port") == NULL)
			conf_error(cx, p, "port: missing");
		li->li_tls = conf_bool(cx, e, p, "tls", 1);
		if (li->li_address == NULL)
			continue;
		if (inet_pton(AF_INET, li->li_address, &a) != 1 &&
		    inet_pton(AF_INET6, li->li_address, &a) != 1)
			conf_error(cx, p, "address \"%s\" is not an IPv4 or "
			    "IPv6 address", li->li_address);
		else if (!li->li_tls && !conf_is_loopback(li->li_address))
			conf_error(cx, p, "plain HTTP (tls = false) is only "
			    "allowed on a loopback address");
	}
}

/* A file named at key path p must be readable now, not at first use. */
static void
conf_readable(struct conf_ctx *cx, const char *p, const char *path)
{
	if (path != NULL && access(path, R_OK) == -1)
		conf_error(cx, p, "%s: %s", path, strerror(errno));
}

static void
conf_parse_tls(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	static const char *const known[] = {
		"certificate", "key", "client_ca", NULL
	};
	const json_t	*t;
	size_t		 i;
	int		 need = 0;
	char		 err[ERR_MAX];

	for (i = 0; i < cf->cf_nlisten; i++)
		need |= cf->cf_listen[i].li_tls;
	if ((t = json_object_get(top, "tls")) == NULL) {
		if (need)
			conf_error(cx, "tls", "missing, and a listen address "
			    "uses TLS");
		return;
	}
	if ((t = conf_table(cx, t, "tls")) == NULL)
		return;
	conf_unknown(cx, t, "tls", known);
	cf->cf_tls_cert = conf_path(cx, t, "tls", "certificate", 1);
	cf->cf_tls_key = conf_path(cx, t, "tls", "key", 1);
	cf->cf_client_ca = conf_path(cx, t, "tls", "client_ca", 0);
	if (cf->cf_tls_key != NULL &&
	    file_check_private(cf->cf_tls_key, err) == -1)
		conf_error(cx, "tls.key", "%s", err);
	conf_readable(cx, "tls.certificate", cf->cf_tls_cert);
	conf_readable(cx, "tls.client_ca", cf->cf_client_ca);
}

/*
 * keys = { signing = "NAME.skey", secret = "NAME.secret" }: what
 * `sightline keygen` wrote. Both are loaded here, so that -n finds a bad
 * or readable key before the daemon starts.
 */
static void
conf_parse_keys(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	static const char *const known[] = { "signing", "secret", NULL };
	const json_t	*t;
	char		 err[ERR_MAX];

	if ((t = json_object_get(top, "keys")) == NULL) {
		conf_error(cx, "keys", "missing: every answer is signed; make "
		    "the keys with `sightline keygen --name NAME --out DIR`");
		return;
	}
	if ((t = conf_table(cx, t, "keys")) == NULL)
		return;
	conf_unknown(cx, t, "keys", known);
	cf->cf_key_signing = conf_path(cx, t, "keys", "signing", 1);
	cf->cf_key_secret = conf_path(cx, t, "keys", "secret", 1);
	if (cf->cf_key_signing == NULL || cf->cf_key_secret == NULL)
		return;
	/* The reason names the file, so it says which key is wrong. */
	if ((cf->cf_keys = keys_load(cf->cf_key_signing, cf->cf_key_secret,
	    err)) == NULL)
		conf_error(cx, "keys", "%s", err);
}

/*
 * snapshots = { state = DIR, interval = 300, origin = "...", keep_days = 0 }:
 * where the log lives and how often a snapshot is taken. The state
 * directory is required: every deployment keeps its history.
 */
static void
conf_parse_snapshots(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	static const char *const known[] = {
		"state", "interval", "origin", "keep_days",
		"hypervisor_timeout", NULL
	};
	const json_t	*t;

	if ((t = json_object_get(top, "snapshots")) == NULL) {
		conf_error(cx, "snapshots", "missing: the snapshot log needs a "
		    "state directory, e.g. snapshots = { state = "
		    "\"/var/lib/sightline\" }");
		return;
	}
	if ((t = conf_table(cx, t, "snapshots")) == NULL)
		return;
	conf_unknown(cx, t, "snapshots", known);
	cf->cf_state = conf_path(cx, t, "snapshots", "state", 1);
	cf->cf_snapshot_interval = conf_number(cx, t, "snapshots", "interval",
	    SNAPSHOT_INTERVAL, SNAPSHOT_INTERVAL_MIN, SNAPSHOT_INTERVAL_MAX);
	cf->cf_keep_days = (int)conf_int(cx, t, "snapshots", "keep_days", 0, 0,
	    SNAPSHOT_KEEP_DAYS_MAX);
	cf->cf_hyper_timeout = conf_number(cx, t, "snapshots",
	    "hypervisor_timeout", HYPER_TIMEOUT, 1, HYPER_TIMEOUT_MAX);
	if (json_object_get(t, "origin") != NULL) {
		cf->cf_origin = conf_string(cx, t, "snapshots", "origin", NULL);
		if (cf->cf_origin != NULL && !keys_name_valid(cf->cf_origin))
			conf_error(cx, "snapshots.origin", "\"%s\" is not a "
			    "checkpoint origin: 1 to %d printable bytes, no "
			    "space and no \"+\"", cf->cf_origin,
			    KEYS_NAME_MAX);
	}
}

static void
conf_parse_limits(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	static const char *const known[] = {
		"max_connections", "max_header_bytes", "max_uri_bytes",
		"idle_timeout", "request_timeout", "policy_memory",
		"policy_instructions", "sign_threads", NULL
	};
	const json_t	*l = json_object_get(top, "limits");
	json_t		*none = NULL;

	if (l == NULL)
		l = none = json_object();
	else if ((l = conf_table(cx, l, "limits")) == NULL)
		return;
	conf_unknown(cx, l, "limits", known);
	cf->cf_max_connections = (size_t)conf_int(cx, l, "limits",
	    "max_connections", FRONT_CONNECTIONS, 1, FRONT_CONNECTIONS_MAX);
	cf->cf_max_header_bytes = (size_t)conf_int(cx, l, "limits",
	    "max_header_bytes", FRONT_HEADER_BYTES, 1024, FRONT_HEADER_BYTES_MAX);
	cf->cf_max_uri_bytes = (size_t)conf_int(cx, l, "limits",
	    "max_uri_bytes", FRONT_URI_BYTES, 256, FRONT_URI_BYTES_MAX);
	cf->cf_idle_timeout = conf_number(cx, l, "limits", "idle_timeout",
	    FRONT_IDLE_TIMEOUT, 1, 3600);
	cf->cf_request_timeout = conf_number(cx, l, "limits",
	    "request_timeout", FRONT_REQUEST_TIMEOUT, 1, 300);
	cf->cf_policy_memory = (size_t)conf_int(cx, l, "limits",
	    "policy_memory", POLICY_MEMORY, 256 * 1024, POLICY_MEMORY_MAX);
	cf->cf_policy_instructions = (uint64_t)conf_int(cx, l, "limits",
	    "policy_instructions", POLICY_INSTRUCTIONS, 10000,
	    POLICY_INSTRUCTIONS_MAX);
	cf->cf_sign_threads = (int)conf_int(cx, l, "limits", "sign_threads",
	    -1, 0, SIGNER_THREADS_MAX);
	/*
	 * By default, a thread for each CPU but one, which the event loop
	 * keeps: a signing thread on the loop's only CPU costs more in
	 * switches than it spares.
	 */
	if (cf->cf_sign_threads == -1) {
		long	 n = sysconf(_SC_NPROCESSORS_ONLN);

		cf->cf_sign_threads = n <= 1 ? 0 : n - 1 > SIGNER_THREADS ?
		    SIGNER_THREADS : (int)(n - 1);
	}
	json_decref(none);
}

/* "USER@REALM!TOKENID", the id half of a Proxmox API token. */
static int
conf_valid_pve_token_id(const char *s)
{
	const char	*at = strchr(s, '@'), *bang = strrchr(s, '!');
	size_t		 i;

	if (at == NULL || bang == NULL || at == s || bang < at + 2 ||
	    bang[1] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '=' ||
		    iscntrl((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * A credential names one hoster: the same token, Proxmox token id or
 * certificate name on two hosters would let the first silently win.
 */
static void
conf_hoster_unique(struct conf_ctx *cx, const struct conf *cf, const char *p)
{
	const struct conf_hoster	*ho = &cf->cf_hosters[cf->cf_nhosters - 1];
	const struct conf_hoster	*o;
	size_t				 j;

	for (j = 0; j + 1 < cf->cf_nhosters; j++) {
		o = &cf->cf_hosters[j];
		if (ho->ho_has_token && o->ho_has_token &&
		    memcmp(ho->ho_token, o->ho_token, SHA256_LEN) == 0)
			conf_error(cx, p, "token_sha256 is also hosters[%zu]'s",
			    j + 1);
		if (ho->ho_pve_token_id != NULL && o->ho_pve_token_id != NULL &&
		    strcmp(ho->ho_pve_token_id, o->ho_pve_token_id) == 0)
			conf_error(cx, p, "pve_token_id is also hosters[%zu]'s",
			    j + 1);
		if (ho->ho_cert_cn != NULL && o->ho_cert_cn != NULL &&
		    strcmp(ho->ho_cert_cn, o->ho_cert_cn) == 0)
			conf_error(cx, p, "cert_cn is also hosters[%zu]'s",
			    j + 1);
	}
}

static void
conf_parse_hosters(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	static const char *const known[] = {
		"name", "token_sha256", "pve_token_id", "cert_cn", NULL
	};
	const json_t	*list, *e;
	char		 p[PATH_MAX];
	char		*hex;
	size_t		 i, j;

	if ((list = json_object_get(top, "hosters")) == NULL) {
		conf_error(cx, "hosters", "missing: nobody could use the "
		    "service");
		return;
	}
	if ((list = conf_list(cx, list, "hosters")) == NULL)
		return;
	if (json_array_size(list) == 0)
		conf_error(cx, "hosters", "needs at least one hoster");
	if ((cf->cf_hosters = calloc(json_array_size(list) + 1,
	    sizeof(*cf->cf_hosters))) == NULL)
		fatalx("%s: out of memory", __func__);
	json_array_foreach(list, i, e) {
		struct conf_hoster	*ho = &cf->cf_hosters[cf->cf_nhosters++];

		snprintf(p, sizeof(p), "hosters[%zu]", i + 1);
		if ((e = conf_table(cx, e, p)) == NULL)
			continue;
		conf_unknown(cx, e, p, known);
		ho->ho_name = conf_string(cx, e, p, "name", NULL);
		if (ho->ho_name != NULL) {
			if (strlen(ho->ho_name) > HOSTER_NAME_MAX)
				conf_error(cx, p, "name longer than %d",
				    HOSTER_NAME_MAX);
			for (j = 0; ho->ho_name[j] != '\0'; j++)
				if (!isalnum((unsigned char)ho->ho_name[j]) &&
				    strchr("._@-", ho->ho_name[j]) == NULL) {
					conf_error(cx, p, "name may hold "
					    "letters, digits and . _ @ - only");
					break;
				}
			for (j = 0; j + 1 < cf->cf_nhosters; j++)
				if (cf->cf_hosters[j].ho_name != NULL &&
				    strcmp(cf->cf_hosters[j].ho_name,
				    ho->ho_name) == 0)
					conf_error(cx, p, "name \"%s\" is used "
					    "twice", ho->ho_name);
		}
		if (json_object_get(e, "token_sha256") != NULL &&
		    (hex = conf_string(cx, e, p, "token_sha256", NULL)) !=
		    NULL) {
			if (hex_decode(hex, ho->ho_token, SHA256_LEN, 0) == -1)
				conf_error(cx, p, "token_sha256 must be 64 hex "
				    "digits (make one with: sightline token)");
			else
				ho->ho_has_token = 1;
			free(hex);
		}
		if (json_object_get(e, "pve_token_id") != NULL) {
			ho->ho_pve_token_id = conf_string(cx, e, p,
			    "pve_token_id", NULL);
			if (ho->ho_pve_token_id != NULL &&
			    !conf_valid_pve_token_id(ho->ho_pve_token_id))
				conf_error(cx, p, "pve_token_id must look like "
				    "USER@REALM!TOKENID");
			if (json_object_get(e, "token_sha256") == NULL)
				conf_error(cx, p, "pve_token_id needs "
				    "token_sha256: the secret is the token");
		}
		if (json_object_get(e, "cert_cn") != NULL) {
			ho->ho_cert_cn = conf_string(cx, e, p, "cert_cn", NULL);
			if (json_object_get(json_object_get(top, "tls"),
			    "client_ca") == NULL)
				conf_error(cx, p, "cert_cn needs tls.client_ca");
		}
		if (!ho->ho_has_token && ho->ho_cert_cn == NULL &&
		    json_object_get(e, "token_sha256") == NULL)
			conf_error(cx, p, "needs token_sha256 or cert_cn");
		conf_hoster_unique(cx, cf, p);
	}
}

/* After the host: nothing, a path, or ":PORT" then nothing or a path. */
static int
conf_url_port(const char *s)
{
	const char	*errstr;
	char		 port[8];
	size_t		 n;

	if (*s != ':')
		return *s == '\0' || *s == '/';
	n = strcspn(++s, "/");
	if (n == 0 || n >= sizeof(port) || strspn(s, "0123456789") != n)
		return 0;
	memcpy(port, s, n);
	port[n] = '\0';
	strtonum(port, 1, 65535, &errstr);
	return errstr == NULL;
}

/*
 * The panel URL: http or https, a host, an optional port and path; no
 * credentials, query or fragment (credentials belong in their own file).
 * Plain http only to a loopback address.
 */
static void
conf_check_url(struct conf_ctx *cx, const char *p, char *url)
{
	const char	*host, *end;
	char		 h[256];
	size_t		 n;
	int		 https;

	https = strncmp(url, "https://", 8) == 0;
	if (!https && strncmp(url, "http://", 7) != 0) {
		conf_error(cx, p, "url must start with https://");
		return;
	}
	host = url + (https ? 8 : 7);
	if (strpbrk(url, "?#@ \t") != NULL) {
		conf_error(cx, p, "url must not hold credentials, a query, a "
		    "fragment or spaces");
		return;
	}
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL) {
			conf_error(cx, p, "url has an unclosed [IPv6] host");
			return;
		}
		host++;
	} else
		end = host + strcspn(host, ":/");
	n = (size_t)(end - host);
	if (!conf_url_port(host[-1] == '[' ? end + 1 : end))
		conf_error(cx, p, "url has a bad port (1 to 65535)");
	if (n == 0 || n >= sizeof(h)) {
		conf_error(cx, p, "url has no host");
		return;
	}
	memcpy(h, host, n);
	h[n] = '\0';
	if (!https && !conf_is_loopback(h) && strcmp(h, "localhost") != 0)
		conf_error(cx, p, "plain http would send the panel "
		    "credentials in clear; use https (http is only allowed to "
		    "a loopback address)");
	/* The plugin appends its API root: no trailing slash. */
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
}

/*
 * hypervisors = { { node = "hv01", uri = "qemu+ssh://..." }, ... }: the
 * libvirt of each node, read at every snapshot to check the panel's
 * records against the domains that really run (hvcheck.c). Only panels
 * whose VMs are libvirt domains have them.
 */
static void
conf_parse_hypers(struct conf_ctx *cx, struct conf *cf, const json_t *e,
    const char *p, struct conf_panel *pc)
{
	static const char *const known[] = { "node", "uri", NULL };
	const json_t	*list, *h;
	struct conf_hyper *hy;
	char		 kp[PATH_MAX], hp[PATH_MAX];
	size_t		 i, j;

	if ((list = json_object_get(e, "hypervisors")) == NULL)
		return;
	conf_keypath(kp, sizeof(kp), p, "hypervisors");
	if ((list = conf_list(cx, list, kp)) == NULL)
		return;
	if (pc->pc_plugin != NULL && !pc->pc_plugin->pl_libvirt) {
		conf_error(cx, kp, "the %s plugin's VMs are not libvirt "
		    "domains: it has no hypervisors to check",
		    pc->pc_plugin->pl_name);
		return;
	}
	if (json_array_size(list) > HYPER_NODES_MAX) {
		conf_error(cx, kp, "more than %d hypervisors", HYPER_NODES_MAX);
		return;
	}
	if ((pc->pc_hypers = calloc(json_array_size(list) + 1,
	    sizeof(*pc->pc_hypers))) == NULL)
		fatalx("%s: out of memory", __func__);
	json_array_foreach(list, i, h) {
		snprintf(hp, sizeof(hp), "%s[%zu]", kp, i + 1);
		hy = &pc->pc_hypers[pc->pc_nhypers++];
		cf->cf_nhypers++;
		if ((h = conf_table(cx, h, hp)) == NULL)
			continue;
		conf_unknown(cx, h, hp, known);
		hy->hy_node = conf_string(cx, h, hp, "node", NULL);
		hy->hy_uri = conf_string(cx, h, hp, "uri", NULL);
		if (hy->hy_uri != NULL && (strlen(hy->hy_uri) > HYPER_URI_MAX ||
		    strstr(hy->hy_uri, ":/") == NULL))
			conf_error(cx, hp, "uri must be a libvirt URI of at "
			    "most %d bytes, e.g. \"qemu+ssh://ro@%s/system\"",
			    HYPER_URI_MAX, hy->hy_node != NULL ?
			    hy->hy_node : "node");
		if (hy->hy_node == NULL)
			continue;
		for (j = 0; j + 1 < pc->pc_nhypers; j++)
			if (pc->pc_hypers[j].hy_node != NULL &&
			    strcmp(pc->pc_hypers[j].hy_node, hy->hy_node) == 0)
				conf_error(cx, hp, "node \"%s\" is listed twice",
				    hy->hy_node);
	}
}

static void
conf_parse_panel(struct conf_ctx *cx, struct conf *cf, const json_t *e,
    const char *p, struct conf_panel *pc)
{
	static const char *const known[] = {
		"name", "plugin", "url", "credentials", "ca_file",
		"fingerprint", "policy", "min_refresh_interval", "concurrency", "connect_timeout",
		"timeout", "max_body_bytes", "max_records", "options",
		"hypervisors", NULL
	};
	char		 err[ERR_MAX], kp[PATH_MAX];
	char		*s;
	const json_t	*opts;
	size_t		 j, n;

	conf_unknown(cx, e, p, known);
	pc->pc_name = conf_string(cx, e, p, "name", NULL);
	if (pc->pc_name != NULL) {
		/* A letter first: names are keys of structured fields. */
		if (!conf_valid_name(pc->pc_name, PANEL_NAME_MAX) ||
		    !islower((unsigned char)pc->pc_name[0]))
			conf_error(cx, p, "name \"%s\" must be 1 to %d of a-z, "
			    "0-9 and -, starting with a letter",
			    pc->pc_name, PANEL_NAME_MAX);
		for (j = 0; j + 1 < cf->cf_npanels; j++)
			if (cf->cf_panels[j].pc_name != NULL &&
			    strcmp(cf->cf_panels[j].pc_name, pc->pc_name) == 0)
				conf_error(cx, p, "name \"%s\" is used twice",
				    pc->pc_name);
	}
	if ((s = conf_string(cx, e, p, "plugin", NULL)) != NULL) {
		if ((pc->pc_plugin = plugin_find(s)) == NULL)
			conf_error(cx, p, "plugin \"%s\" does not exist "
			    "(known: %s)", s, plugin_names());
		free(s);
	}
	if ((pc->pc_url = conf_string(cx, e, p, "url", NULL)) != NULL) {
		conf_keypath(kp, sizeof(kp), p, "url");
		conf_check_url(cx, kp, pc->pc_url);
	}
	pc->pc_credentials = conf_path(cx, e, p, "credentials", 1);
	if (pc->pc_credentials != NULL) {
		conf_keypath(kp, sizeof(kp), p, "credentials");
		if (file_check_private(pc->pc_credentials, err) == -1)
			conf_error(cx, kp, "%s", err);
		else if ((pc->pc_secret = file_read(pc->pc_credentials,
		    CREDENTIALS_MAX, NULL, err)) == NULL)
			conf_error(cx, kp, "%s", err);
		else {
			/*
			 * Only the first line counts: wipe the rest now, as
			 * the wipe at free time sees the first line only.
			 */
			n = strcspn(pc->pc_secret, "\r\n");
			crypto_wipe(pc->pc_secret + n, strlen(pc->pc_secret + n));
			if (pc->pc_plugin != NULL &&
			    pc->pc_plugin->pl_credentials(pc->pc_secret, err) ==
			    -1)
				conf_error(cx, kp, "%s", err);
		}
	}
	pc->pc_ca_file = conf_path(cx, e, p, "ca_file", 0);
	conf_keypath(kp, sizeof(kp), p, "ca_file");
	conf_readable(cx, kp, pc->pc_ca_file);
	if (json_object_get(e, "fingerprint") != NULL &&
	    (s = conf_string(cx, e, p, "fingerprint", NULL)) != NULL) {
		if (hex_decode(s, pc->pc_fingerprint, SHA256_LEN, 1) == -1)
			conf_error(cx, p, "fingerprint must be the certificate's "
			    "SHA-256, as AA:BB:... (32 bytes) or 64 hex digits");
		else
			pc->pc_pinned = 1;
		free(s);
		if (pc->pc_ca_file != NULL)
			conf_error(cx, p, "ca_file and fingerprint exclude each "
			    "other");
	}
	pc->pc_policy = conf_path(cx, e, p, "policy", 1);
	pc->pc_min_refresh = conf_number(cx, e, p, "min_refresh_interval",
	    PANEL_MIN_REFRESH, 0, 3600);
	pc->pc_concurrency = (int)conf_int(cx, e, p, "concurrency",
	    UPSTREAM_CONCURRENCY, 1, UPSTREAM_CONCURRENCY_MAX);
	pc->pc_connect_timeout = conf_number(cx, e, p, "connect_timeout",
	    UPSTREAM_CONNECT_TIMEOUT, 0.1, 120);
	pc->pc_timeout = conf_number(cx, e, p, "timeout", UPSTREAM_TRANSFER_TIMEOUT,
	    0.5, 900);
	pc->pc_max_body = (size_t)conf_int(cx, e, p, "max_body_bytes",
	    UPSTREAM_BODY, 4096, UPSTREAM_BODY_MAX);
	pc->pc_max_records = (size_t)conf_int(cx, e, p, "max_records",
	    PANEL_RECORDS, 1, PANEL_RECORDS_MAX);
	conf_keypath(kp, sizeof(kp), p, "options");
	if ((opts = json_object_get(e, "options")) == NULL)
		pc->pc_options = json_object();
	else if ((opts = conf_table(cx, opts, kp)) != NULL)
		pc->pc_options = json_deep_copy(opts);
	if (pc->pc_options != NULL && pc->pc_plugin != NULL &&
	    pc->pc_plugin->pl_options(pc->pc_options, err) == -1)
		conf_error(cx, kp, "%s", err);
	conf_parse_hypers(cx, cf, e, p, pc);
}

static void
conf_parse_panels(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	const json_t	*list, *e;
	char		 p[PATH_MAX];
	size_t		 i;

	if ((list = json_object_get(top, "panels")) == NULL) {
		conf_error(cx, "panels", "missing");
		return;
	}
	if ((list = conf_list(cx, list, "panels")) == NULL)
		return;
	if (json_array_size(list) == 0)
		conf_error(cx, "panels", "needs at least one panel");
	if ((cf->cf_panels = calloc(json_array_size(list) + 1,
	    sizeof(*cf->cf_panels))) == NULL)
		fatalx("%s: out of memory", __func__);
	json_array_foreach(list, i, e) {
		snprintf(p, sizeof(p), "panels[%zu]", i + 1);
		cf->cf_npanels++;
		if ((e = conf_table(cx, e, p)) != NULL)
			conf_parse_panel(cx, cf, e, p,
			    &cf->cf_panels[cf->cf_npanels - 1]);
	}
}

static void
conf_parse_log(struct conf_ctx *cx, struct conf *cf, const json_t *top)
{
	cf->cf_log = conf_string(cx, top, "", "log", "stderr");
	if (cf->cf_log != NULL && strcmp(cf->cf_log, "stderr") != 0 &&
	    strcmp(cf->cf_log, "syslog") != 0 && cf->cf_log[0] != '/')
		conf_error(cx, "log", "must be \"stderr\", \"syslog\" or an "
		    "absolute file path");
}

static char *
conf_join_errors(struct conf_ctx *cx)
{
	size_t	 len = 1, i;
	char	*out;

	for (i = 0; i < cx->cx_nerrors; i++)
		len += strlen(cx->cx_errors[i]) + 1;
	len += 64;
	if ((out = malloc(len)) == NULL)
		fatalx("%s: out of memory", __func__);
	out[0] = '\0';
	for (i = 0; i < cx->cx_nerrors; i++) {
		strlcat(out, cx->cx_errors[i], len);
		if (i + 1 < cx->cx_nerrors || cx->cx_dropped > 0)
			strlcat(out, "\n", len);
	}
	if (cx->cx_dropped > 0) {
		char	 more[64];

		snprintf(more, sizeof(more), "(and %zu more errors)",
		    cx->cx_dropped);
		strlcat(out, more, len);
	}
	return out;
}

/*
 * Load and check the configuration file at path. Returns a new conf (free
 * with conf_free()), or NULL and in *errors a new string of one line per
 * problem, "file: key.path: reason" (caller frees).
 */
struct conf *
conf_load(const char *path, char **errors)
{
	static const char *const known[] = {
		"listen", "tls", "keys", "limits", "hosters", "panels", "log",
		"snapshots", NULL
	};
	struct conf_ctx	 cx;
	struct conf	*cf;
	struct sandbox	*sb;
	json_t		*top;
	char		 err[ERR_MAX];
	size_t		 i;

	*errors = NULL;
	memset(&cx, 0, sizeof(cx));
	cx.cx_file = path;
	path_dir(path, cx.cx_dir, sizeof(cx.cx_dir));
	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((cf->cf_path = strdup(path)) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((sb = sandbox_new(SANDBOX_DATA, CONF_LUA_MEMORY,
	    CONF_LUA_INSTRUCTIONS, err)) == NULL) {
		conf_error(&cx, NULL, "%s", err);
		goto done;
	}
	top = sandbox_run_file(sb, path, err);
	sandbox_free(sb);
	if (top == NULL) {
		/* Lua's messages already start with "file:line:". */
		conf_add(&cx, err);
		goto done;
	}
	conf_unknown(&cx, top, "", known);
	conf_parse_listen(&cx, cf, top);
	conf_parse_tls(&cx, cf, top);
	conf_parse_keys(&cx, cf, top);
	conf_parse_snapshots(&cx, cf, top);
	conf_parse_limits(&cx, cf, top);
	conf_parse_hosters(&cx, cf, top);
	conf_parse_panels(&cx, cf, top);
	conf_parse_log(&cx, cf, top);
	json_decref(top);
done:
	if (cx.cx_nerrors > 0 || cx.cx_dropped > 0) {
		*errors = conf_join_errors(&cx);
		conf_free(cf);
		cf = NULL;
	}
	for (i = 0; i < cx.cx_nerrors; i++)
		free(cx.cx_errors[i]);
	free(cx.cx_errors);
	return cf;
}

void
conf_free(struct conf *cf)
{
	size_t	 i, j;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->cf_nlisten; i++)
		free(cf->cf_listen[i].li_address);
	free(cf->cf_listen);
	for (i = 0; i < cf->cf_nhosters; i++) {
		free(cf->cf_hosters[i].ho_name);
		free(cf->cf_hosters[i].ho_pve_token_id);
		free(cf->cf_hosters[i].ho_cert_cn);
	}
	free(cf->cf_hosters);
	for (i = 0; i < cf->cf_npanels; i++) {
		struct conf_panel	*pc = &cf->cf_panels[i];

		free(pc->pc_name);
		free(pc->pc_url);
		free(pc->pc_credentials);
		if (pc->pc_secret != NULL) {
			crypto_wipe(pc->pc_secret, strlen(pc->pc_secret));
			free(pc->pc_secret);
		}
		free(pc->pc_ca_file);
		free(pc->pc_policy);
		json_decref(pc->pc_options);
		for (j = 0; j < pc->pc_nhypers; j++) {
			free(pc->pc_hypers[j].hy_node);
			free(pc->pc_hypers[j].hy_uri);
		}
		free(pc->pc_hypers);
	}
	free(cf->cf_panels);
	keys_free(cf->cf_keys);
	free(cf->cf_key_signing);
	free(cf->cf_key_secret);
	free(cf->cf_tls_cert);
	free(cf->cf_tls_key);
	free(cf->cf_client_ca);
	free(cf->cf_log);
	free(cf->cf_state);
	free(cf->cf_origin);
	free(cf->cf_path);
	free(cf);
}
