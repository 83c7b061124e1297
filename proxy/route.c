/*
 * route.c: the native allow-list of the panels whose API is a tree of
 * paths (Proxmox VE, SolusVM 2, VirtFusion), written once. A plugin
 * gives a table of (path pattern, query parameters); a pattern's {name}
 * segment matches one path segment that the plugin's rs_segment checks,
 * and a query may only hold the route's parameters, each at most once,
 * each with a value its rq_values allows.
 *
 * Only plain characters are considered: no percent-encoding in the
 * path, no "." or ".." or empty segments, so that what is checked is
 * exactly what the panel sees. The panels whose API is one script with
 * an action parameter (SolusVM 1, Virtualizor) check their queries
 * themselves.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define ROUTE_PATH_CHARS	"abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_."
#define ROUTE_QUERY_CHARS	"abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=&"

/*
 * A decimal number from 1 to ROUTE_NUMBER_MAX without a leading 0: the
 * form of a panel's numeric id in a path or a query. 1 if s is one.
 */
int
route_number(const char *s)
{
	const char	*errstr;

	if (s[0] == '0' || strspn(s, "0123456789") != strlen(s))
		return 0;
	strtonum(s, 1, ROUTE_NUMBER_MAX, &errstr);
	return errstr == NULL;
}

/* 1 if v is one of the words of list, "a|b|c"; 0 if not. */
int
route_in_list(const char *list, const char *v)
{
	size_t	 n = strlen(v), m;

	while (*list != '\0') {
		m = strcspn(list, "|");
		if (m == n && strncmp(list, v, n) == 0)
			return 1;
		list += m + (list[m] == '|');
	}
	return 0;
}

/* Does v fit values: "#" a number (route_number()), "a|b|c" one of those? */
static int
route_value_ok(const char *values, const char *v)
{
	if (strcmp(values, "#") == 0)
		return route_number(v);
	return route_in_list(values, v);
}

/*
 * 1 if the segments match rt's pattern, 0 if not, -1 with a reason when
 * rs_segment refuses a {name} segment's value outright. Segments are
 * compared in order, so a refusal names the first bad one.
 */
static int
route_match(const struct route_table *rs, const struct route *rt,
    char *const *seg, size_t nseg, char *err)
{
	const char	*p = rt->rt_pattern;
	char		 name[ROUTE_NAME_MAX];
	size_t		 i = 0, n;
	int		 m;

	while (*p == '/') {
		p++;
		n = strcspn(p, "/");
		if (i >= nseg)
			return 0;
		if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
			if (n - 2 >= sizeof(name))
				fatalx("%s: %s: a {name} longer than %d bytes",
				    __func__, rt->rt_pattern, ROUTE_NAME_MAX - 1);
			memcpy(name, p + 1, n - 2);
			name[n - 2] = '\0';
			if ((m = rs->rs_segment(name, seg[i], err)) != 1)
				return m;
		} else if (strlen(seg[i]) != n || strncmp(p, seg[i], n) != 0)
			return 0;
		p += n;
		i++;
	}
	return i == nseg;
}

/*
 * A query parameter's name as the hoster wrote it, with "%5B"/"%5D"
 * (how clients encode PHP's "filter[status]") decoded into name; 0, or
 * -1 when it holds other percent-escapes or does not fit.
 */
static int
route_param_name(const char *in, char *name, size_t len)
{
	size_t	 o = 0;

	for (; *in != '\0'; in++) {
		if (o + 1 >= len)
			return -1;
		if (*in == '%') {
			if (strncasecmp(in, "%5B", 3) == 0)
				name[o++] = '[';
			else if (strncasecmp(in, "%5D", 3) == 0)
				name[o++] = ']';
			else
				return -1;
			in += 2;
		} else
			name[o++] = *in;
	}
	name[o] = '\0';
	return 0;
}

/*
 * Check query against rt's parameters and write what goes upstream into
 * out ("" or "?a=1&b=2", brackets percent-encoded). Returns 0 or -1.
 */
static int
route_query(const struct route *rt, const char *query, char *out,
    size_t outlen, char *err)
{
	char		 q[FRONT_URI_BYTES_MAX], name[ROUTE_PARAM_NAME_MAX];
	char		*item, *save = NULL, *eq;
	int		 seen[ROUTE_PARAMS_MAX] = { 0 };
	struct buf	 b;
	size_t		 i, k;

	out[0] = '\0';
	if (query == NULL || query[0] == '\0')
		return 0;
	if (strlcpy(q, query, sizeof(q)) >= sizeof(q)) {
		err_set(err, "query too long");
		return -1;
	}
	buf_init(&b);
	for (item = strtok_r(q, "&", &save); item != NULL;
	    item = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(item, '=')) == NULL) {
			err_set(err, "query item \"%s\" has no value", item);
			goto fail;
		}
		*eq++ = '\0';
		if (route_param_name(item, name, sizeof(name)) == -1) {
			err_set(err, "parameter \"%s\" is not allowed for %s",
			    item, rt->rt_pattern);
			goto fail;
		}
		for (i = 0; i < ROUTE_PARAMS_MAX &&
		    rt->rt_params[i].rq_name != NULL; i++)
			if (strcmp(rt->rt_params[i].rq_name, name) == 0)
				break;
		if (i == ROUTE_PARAMS_MAX || rt->rt_params[i].rq_name == NULL) {
			err_set(err, "parameter \"%s\" is not allowed for %s",
			    name, rt->rt_pattern);
			goto fail;
		}
		if (seen[i]++) {
			err_set(err, "parameter \"%s\" given twice", name);
			goto fail;
		}
		if (!route_value_ok(rt->rt_params[i].rq_values, eq)) {
			err_set(err, "parameter \"%s\" may only be %s", name,
			    strcmp(rt->rt_params[i].rq_values, "#") == 0 ?
			    "a number from 1" : rt->rt_params[i].rq_values);
			goto fail;
		}
		buf_addstr(&b, b.b_len == 0 ? "?" : "&");
		for (k = 0; name[k] != '\0'; k++)
			if (name[k] == '[' || name[k] == ']')
				buf_addstr(&b, name[k] == '[' ? "%5B" : "%5D");
			else
				buf_add(&b, name + k, 1);
		buf_addstr(&b, "=");
		buf_addstr(&b, eq);
	}
	if (b.b_oom || b.b_len >= outlen) {
		err_set(err, "query too long");
		goto fail;
	}
	if (b.b_len > 0)
		strlcpy(out, b.b_data, outlen);
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}

/*
 * Map a hoster's native path (below the API root, raw) and raw query
 * onto the first route of rs that matches. Returns 0 with nr filled
 * (nr_endpoint borrowed from the table), or -1 with a reason.
 */
int
route_find(const struct route_table *rs, const char *path, const char *query,
    struct native_route *nr, char *err)
{
	char		 buf[FRONT_URI_BYTES_MAX], q[FRONT_URI_BYTES_MAX];
	char		*seg[ROUTE_SEGMENTS_MAX], *s, *save = NULL;
	size_t		 nseg = 0, i, len = strlen(path);
	int		 m;

	if (len == 0 || path[0] != '/' || len >= sizeof(buf)) {
		err_set(err, "the path must start with / and be shorter "
		    "than %zu bytes", sizeof(buf));
		return -1;
	}
	if (strspn(path, ROUTE_PATH_CHARS) != len) {
		err_set(err, "native paths may only hold letters, digits and "
		    "/ - _ . (no percent-encoding)");
		return -1;
	}
	if (strstr(path, "//") != NULL || (path[len - 1] == '/' && len > 1)) {
		err_set(err, "empty path segments are refused");
		return -1;
	}
	/* PHP panels take "a[b]" names, which clients send as "a%5Bb%5D". */
	if (query != NULL && rs->rs_brackets && strspn(query,
	    ROUTE_QUERY_CHARS "%[]") != strlen(query)) {
		err_set(err, "native queries may only hold letters, digits, "
		    "- _ . = & and brackets");
		return -1;
	}
	if (query != NULL && !rs->rs_brackets &&
	    strspn(query, ROUTE_QUERY_CHARS) != strlen(query)) {
		err_set(err, "native queries may only hold letters, digits and "
		    "- _ . = &");
		return -1;
	}
	strlcpy(buf, path, sizeof(buf));
	for (s = strtok_r(buf, "/", &save); s != NULL;
	    s = strtok_r(NULL, "/", &save)) {
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
			err_set(err, "path segments . and .. are refused");
			return -1;
		}
		if (nseg == ROUTE_SEGMENTS_MAX) {
			err_set(err, "%s is not on the read-only allow-list",
			    path);
			return -1;
		}
		seg[nseg++] = s;
	}
	for (i = 0; i < rs->rs_nroutes; i++) {
		if ((m = route_match(rs, &rs->rs_routes[i], seg, nseg,
		    err)) == -1)
			return -1;
		if (m == 0)
			continue;
		if (route_query(&rs->rs_routes[i], query, q, sizeof(q),
		    err) == -1)
			return -1;
		nr->nr_endpoint = rs->rs_routes[i].rt_pattern;
		if ((size_t)snprintf(nr->nr_path, sizeof(nr->nr_path), "%s%s",
		    path, q) >= sizeof(nr->nr_path)) {
			err_set(err, "path too long");
			return -1;
		}
		return 0;
	}
	err_set(err, "%s is not on the read-only allow-list", path);
	return -1;
}

/* The i-th pattern of rs (borrowed), or NULL past the end: pl_endpoint. */
const char *
route_endpoint(const struct route_table *rs, size_t i)
{
	return i < rs->rs_nroutes ? rs->rs_routes[i].rt_pattern : NULL;
}
