/*
 * rest.c: what the REST/JSON panels built on Laravel (SolusVM 2,
 * VirtFusion) share, written once: the bearer token, the judgement of
 * Laravel's error bodies ({"message": ..., "errors": ...}, {"msg": ...}),
 * listings read to their last page, numeric ids, which the route
 * tables' {id} segments take (rest_segment()), and the inventory itself
 * (a listing of servers, one call per server for its details, a listing
 * of nodes) as struct rest_panel describes it. The allow-list matcher
 * is route.c's.
 *
 * A listing is a fetch group of its own ("$list" in its documents): its
 * calls are the pages, and it closes, like any group, when the last page
 * has answered; rest_list_close() then checks that the listing held
 * together while it was read. Laravel's paginator comes in two shapes:
 *   API resources   {"data": [...], "links": {...}, "meta": {"current_page",
 *                   "last_page", "total", ...}}            (SolusVM 2)
 *   plain paginator {"current_page", "data": [...], "last_page", "total",
 *                   "links": [...], ...}                     (VirtFusion)
 * Both say how many pages there are, so every page after the first is
 * asked for at once rather than by following "next" links one by one.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* ---- credentials ---- */

/* A bearer token: one line of printable characters without spaces. */
int
rest_credentials(const char *s, char *err)
{
	size_t	 i, n = strlen(s);

	if (n == 0) {
		err_set(err, "expected one line: the panel's API token");
		return -1;
	}
	if (n > REST_TOKEN_MAX) {
		err_set(err, "the API token is longer than %d bytes",
		    REST_TOKEN_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i])) {
			err_set(err, "the API token holds white space or "
			    "control characters");
			return -1;
		}
	return 0;
}

int
rest_auth(const char *secret, char **header, char **query, char *err)
{
	size_t	 len = strlen(secret) + 32;

	*query = NULL;
	if ((*header = malloc(len)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	snprintf(*header, len, "Authorization: Bearer %s", secret);
	return 0;
}

/* The REST plugins take no options yet: any is an error. */
int
rest_options(const json_t *opts, char *err)
{
	const char	*k;
	json_t		*v;

	json_object_foreach((json_t *)opts, k, v) {
		err_set(err, "unknown option \"%s\" (this plugin has none)",
		    k);
		return -1;
	}
	return 0;
}

/* ---- judging answers ---- */

/*
 * Laravel answers errors with a JSON body: {"message": "...", "errors":
 * {"field": ["..."]}} (SolusVM 2, validation), {"errors": ["..."]}
 * (VirtFusion), {"msg": "..."} (VirtFusion's "server not found"). The
 * reason names the kind of error, never the text: a message may echo
 * what was asked, and rp_why must not quote the body. A redirect is what
 * Laravel sends a client it does not take for an API client with a valid
 * token: to its login page.
 */
void
rest_judge(const struct upstream_reply *u, struct reply *r)
{
	const json_t	*errs;
	const char	*what;
	size_t		 n = 0;

	if (u->ur_status >= 300 && u->ur_status <= 399) {
		r->rp_kind = REPLY_REFUSED;
		err_set(r->rp_why, "the panel answered %d, a redirect (to its "
		    "login page?): it did not accept sightline's token as an "
		    "API client's", u->ur_status);
		return;
	}
	if (r->rp_kind == REPLY_JSON && !json_is_object(r->rp_json)) {
		r->rp_kind = REPLY_NOTJSON;
		err_set(r->rp_why, "the panel's answer is JSON but not an "
		    "object");
		return;
	}
	if (r->rp_kind != REPLY_STATUS && r->rp_kind != REPLY_REFUSED)
		return;
	if (!json_is_object(r->rp_json))
		return;
	errs = json_object_get(r->rp_json, "errors");
	if (json_is_object(errs))
		n = json_object_size(errs);
	else if (json_is_array(errs))
		n = json_array_size(errs);
	switch (u->ur_status) {
	case 401:
		what = "it does not accept sightline's token";
		break;
	case 403:
		what = "the token lacks the permission";
		break;
	case 404:
		what = "no such object";
		break;
	case 405:
		what = "method not allowed";
		break;
	case 422:
		what = "it found the request's parameters invalid";
		break;
	case 429:
		what = "too many requests";
		break;
	default:
		what = u->ur_status >= 500 ? "an error of the panel itself" :
		    "the request failed";
		break;
	}
	if (n > 0)
		err_set(r->rp_why, "the panel answered %d: %s (%zu field "
		    "error%s)", u->ur_status, what, n, n == 1 ? "" : "s");
	else
		err_set(r->rp_why, "the panel answered %d: %s", u->ur_status,
		    what);
}

/*
 * The "data" member of a good answer, of type type (an empty list stands
 * for an empty object, PHP's []). Borrowed from r. NULL with a reason.
 */
const json_t *
rest_data(const struct reply *r, json_type type, char *err)
{
	const json_t	*d;

	if (r->rp_kind != REPLY_JSON) {
		err_set(err, "%s", r->rp_why);
		return NULL;
	}
	d = json_object_get(r->rp_json, "data");
	if (type == JSON_OBJECT && (d = norm_object(d)) != NULL)
		return d;
	if (type == JSON_ARRAY && json_is_array(d))
		return d;
	err_set(err, "the panel's answer has no \"data\" %s",
	    type == JSON_ARRAY ? "list" : "object");
	return NULL;
}

/* ---- listings ---- */

/* Keep a new value v in group g under name; steals v. 0, or -1. */
static int
rest_put_new(struct fetch_group *g, const char *name, json_t *v)
{
	int	 rc;

	if (v == NULL)
		return -1;
	rc = fetch_group_put(g, name, v);
	json_decref(v);
	return rc;
}

/* Path of page n of the listing at base (which may have a query). */
static int
rest_page_path(char *out, size_t len, const char *base, long long n)
{
	return (size_t)snprintf(out, len, "%s%spage=%lld", base,
	    strchr(base, '?') != NULL ? "&" : "?", n) < len ? 0 : -1;
}

/*
 * Start reading the listing at path (below the API root, with an
 * optional query), every page of it; name says what it lists, in error
 * messages and to the plugin (rest_list_name()). Returns 0, or -1 when
 * out of memory.
 */
int
rest_list(struct fetch *f, const char *path, const char *name)
{
	struct fetch_group	*g;
	char			 key[64], page[REST_PATH_MAX];

	snprintf(key, sizeof(key), "listing of %s", name);
	if (rest_page_path(page, sizeof(page), path, 1) == -1 ||
	    (g = fetch_group(f, key)) == NULL)
		return -1;
	if (rest_put_new(g, "$list", json_string(name)) == -1 ||
	    rest_put_new(g, "$path", json_string(path)) == -1 ||
	    rest_put_new(g, "$seen", json_object()) == -1)
		return -1;
	return fetch_get(f, g, page);
}

/* The name rest_list() gave group g's listing, or NULL: not a listing. */
const char *
rest_list_name(const struct fetch_group *g)
{
	return g != NULL ? norm_str(fetch_group_docs(g), "$list") : NULL;
}

/* Paginator member key, in "meta" (API resources) or at the top. */
static const json_t *
rest_page_field(const json_t *doc, const char *key)
{
	const json_t	*meta = json_object_get(doc, "meta");

	if (json_is_object(meta) && json_object_get(meta, key) != NULL)
		return json_object_get(meta, key);
	return json_object_get(doc, key);
}

/* A paginator number: a whole number from 0 to max, or -1. */
static long long
rest_page_number(const json_t *v, long long max)
{
	double	 d;

	/* Bounded before the cast: a double past 2^63 has no long long. */
	if (!norm_num(v, &d) || d < 0 || d > NORM_EXACT_MAX ||
	    d > (double)max || d != floor(d))
		return -1;
	return (long long)d;
}

/*
 * A page of a listing (group g, the call path) answered r. Checks it is
 * the page asked for, on the first page asks for all the others, and
 * hands every item not seen before on an earlier page to item(f, it,
 * arg, err) (an item the listing shows twice, because it moved while the
 * pages were read, counts once). Returns 0, or -1 with a reason.
 */
int
rest_list_page(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, rest_item_fn item, void *arg, char *err)
{
	const json_t	*docs = fetch_group_docs(g);
	json_t		*seen, *it;
	const json_t	*list, *v;
	const char	*base = norm_str(docs, "$path"), *p;
	char		 id[NORM_NATIVE_ID_MAX + 1], next[REST_PATH_MAX];
	long long	 want, cur, last, total, n;
	size_t		 i;

	if ((list = rest_data(r, JSON_ARRAY, err)) == NULL)
		return -1;
	/* The page asked for: the number after the last "page=". */
	for (p = path, want = 1; (p = strstr(p, "page=")) != NULL; p += 5)
		want = strtoll(p + 5, NULL, 10);
	v = rest_page_field(r->rp_json, "current_page");
	if (v != NULL && (cur = rest_page_number(v, REST_PAGES_MAX)) != want) {
		err_set(err, "the panel sent page %lld when asked for page "
		    "%lld", cur, want);
		return -1;
	}
	v = rest_page_field(r->rp_json, "last_page");
	last = v == NULL ? 1 : rest_page_number(v, LLONG_MAX);
	if (last < 0) {
		err_set(err, "the answer's last_page is not a page number");
		return -1;
	}
	if (last > REST_PAGES_MAX) {
		err_set(err, "the listing has %lld pages, more than sightline "
		    "reads (%d)", last, REST_PAGES_MAX);
		return -1;
	}
	v = rest_page_field(r->rp_json, "total");
	if (v != NULL) {
		if ((total = rest_page_number(v, LLONG_MAX)) < 0) {
			err_set(err, "the answer's total is not a count");
			return -1;
		}
		/* Pages that disagree on the total: the listing changed. */
		if ((json_object_get(docs, "$total") == NULL &&
		    rest_put_new(g, "$total", json_integer(total)) == -1) ||
		    (json_integer_value(json_object_get(docs, "$total")) !=
		    total && fetch_group_put(g, "$changed", json_true()) == -1)) {
			err_set(err, "out of memory");
			return -1;
		}
	}
	if (want == 1)
		for (n = 2; n <= last; n++)
			if (rest_page_path(next, sizeof(next), base, n) == -1 ||
			    fetch_get(f, g, next) == -1) {
				err_set(err, "out of memory");
				return -1;
			}
	seen = json_object_get(docs, "$seen");
	json_array_foreach(list, i, it) {
		if (!json_is_object(it) ||
		    rest_id(json_object_get(it, "id"), id) == -1) {
			err_set(err, "item %zu of page %lld has no valid id", i,
			    want);
			return -1;
		}
		if (json_object_get(seen, id) != NULL)
			continue;
		if (json_object_set_new(seen, id, json_true()) == -1) {
			err_set(err, "out of memory");
			return -1;
		}
		if (item(f, it, arg, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * Group docs closed. Returns 1 when it was a listing that held together,
 * 0 when it is no listing, -1 with a reason when the listing changed
 * while it was read: an item may then have been missed, and an inventory
 * that may miss a VPS must not pass for a whole one. The next refresh
 * reads it again.
 */
int
rest_list_close(const json_t *docs, char *err)
{
	const json_t	*total = json_object_get(docs, "$total");
	size_t		 seen;

	if (norm_str(docs, "$list") == NULL)
		return 0;
	seen = json_object_size(json_object_get(docs, "$seen"));
	if (json_object_get(docs, "$changed") != NULL || (total != NULL &&
	    (json_int_t)seen != json_integer_value(total))) {
		err_set(err, "the listing of %s changed while it was read "
		    "(%zu distinct items, %lld announced); the next refresh "
		    "reads it again", norm_str(docs, "$list"), seen,
		    (long long)json_integer_value(total));
		return -1;
	}
	return 1;
}

/* ---- the inventory ---- */

/*
 * A REST panel's inventory: the listing of servers and the listing of
 * nodes, both read to their last page. Returns 0, or -1 with a reason.
 */
int
rest_inventory(struct fetch *f, const struct rest_panel *pn, char *err)
{
	if (rest_list(f, pn->rpn_servers, "servers") == -1 ||
	    rest_list(f, pn->rpn_nodes, pn->rpn_nodes_name) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* A server of the listing: its group, and the call for its details. */
static int
rest_server(struct fetch *f, const json_t *s, void *arg, char *err)
{
	const struct rest_panel	*pn = arg;
	struct fetch_group	*g;
	char			 id[NORM_NATIVE_ID_MAX + 1], key[80], path[96];

	rest_id(json_object_get(s, "id"), id);
	snprintf(key, sizeof(key), "server %s", id);
	snprintf(path, sizeof(path), "/servers/%s%s", id, pn->rpn_detail);
	if ((g = fetch_group(f, key)) == NULL ||
	    fetch_group_put(g, pn->rpn_entry, (json_t *)s) == -1 ||
	    fetch_get(f, g, path) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* A node of the listing; one the plugin makes nothing of is left out. */
static int
rest_node(struct fetch *f, const json_t *it, void *arg, char *err)
{
	const struct rest_panel	*pn = arg;
	json_t			*n;

	if ((n = pn->rpn_node(fetch_panel(f), it)) == NULL)
		return 0;
	if (fetch_add_node(f, n) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * pl_fetched of a REST panel: a page of a listing, or a server's
 * details, kept under rpn_detail_doc. Returns 0, or -1 with a reason.
 */
int
rest_fetched(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, const struct rest_panel *pn, char *err)
{
	const char	*list = rest_list_name(g);
	const json_t	*d;

	if (list != NULL)
		return rest_list_page(f, g, path, r, strcmp(list, "servers") ==
		    0 ? rest_server : rest_node, (void *)pn, err);
	/* A server deleted since the listing was read: no record. */
	if (r->rp_kind == REPLY_STATUS && r->rp_status == 404) {
		if (fetch_group_put(g, "gone", json_true()) == -1) {
			err_set(err, "out of memory");
			return -1;
		}
		return 0;
	}
	if ((d = rest_data(r, pn->rpn_detail_type, err)) == NULL)
		return -1;
	if (fetch_group_put(g, pn->rpn_detail_doc, (json_t *)d) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * pl_record of a REST panel: a listing that did not hold together is an
 * error, a listing or a server gone since makes no record, any other
 * group is a server's, normalized by rpn_normalize.
 */
int
rest_record(struct fetch *f, const json_t *docs, json_t **rec,
    const struct rest_panel *pn, char *err)
{
	int	 rc;

	*rec = NULL;
	if ((rc = rest_list_close(docs, err)) != 0)
		return rc == -1 ? -1 : 0;
	if (json_object_get(docs, "gone") != NULL)
		return 0;
	*rec = pn->rpn_normalize(fetch_panel(f), docs, err);
	return *rec == NULL ? -1 : 0;
}

/* ---- ids ---- */

/*
 * A panel's numeric id (a JSON integer, or a decimal string: PHP sends
 * both) from 1 to REST_ID_MAX, in decimal into out. Returns 0, or -1.
 */
int
rest_id(const json_t *v, char out[NORM_NATIVE_ID_MAX + 1])
{
	const char	*s, *errstr;
	long long	 n;

	if (json_is_integer(v))
		n = json_integer_value(v);
	else if ((s = json_string_value(v)) != NULL && s[0] != '0' &&
	    strspn(s, "0123456789") == strlen(s)) {
		n = strtonum(s, 1, REST_ID_MAX, &errstr);
		if (errstr != NULL)
			return -1;
	} else
		return -1;
	if (n < 1 || n > REST_ID_MAX)
		return -1;
	snprintf(out, NORM_NATIVE_ID_MAX + 1, "%lld", n);
	return 0;
}

/*
 * The rs_segment of the REST panels' route tables (route.c): {id} is a
 * numeric id; a value that is none means the route does not match.
 */
int
rest_segment(const char *name, const char *value, char *err)
{
	(void)err;
	return strcmp(name, "id") == 0 && route_number(value);
}
