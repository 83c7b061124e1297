/*
 * fetch.c: one inventory run against one panel. The plugin says what to
 * call and what to make of the answers; this file keeps count, groups the
 * calls that together describe one VPS, and turns each finished group into
 * a record through the plugin. It runs either live, over an upstream, or
 * canned, over a map of path → body, which is how the data-driven tests
 * run the very same plugin code without a socket.
 *
 * Also here: reply_parse(), the one place where an upstream answer is
 * judged (JSON, another status, an HTML page, not JSON, no answer).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

struct fetch_group {
	TAILQ_ENTRY(fetch_group) fg_entry;
	char			*fg_key;
	json_t			*fg_docs;
	int			 fg_pending;
};

struct fetch_call {
	TAILQ_ENTRY(fetch_call)	 fc_entry;
	struct fetch		*fc_fetch;
	struct fetch_group	*fc_group;
	struct upstream_req	*fc_req;	/* live mode */
	char			*fc_path;
};

TAILQ_HEAD(fetch_calls, fetch_call);

struct fetch {
	const struct plugin	*fe_plugin;
	char			*fe_panel;
	const json_t		*fe_options;	/* borrowed */
	size_t			 fe_max_records;
	struct upstream		*fe_up;		/* live mode */
	const json_t		*fe_canned;	/* canned mode */
	struct fetch_calls	 fe_calls;	/* outstanding */
	TAILQ_HEAD(, fetch_group) fe_groups;
	size_t			 fe_ncalls;	/* made so far */
	json_t			*fe_records;
	json_t			*fe_nodes;
	json_t			*fe_state;	/* the plugin's, see fetch_state() */
	char			 fe_error[ERR_MAX];
	int			 fe_failed;
	int			 fe_timeout;	/* it failed on a timeout */
	int			 fe_done;
	double			 fe_start, fe_end;
	fetch_done_fn		 fe_cb;
	void			*fe_arg;
};

static int
reply_is_html(const struct upstream_reply *u)
{
	const char	*p = u->ur_body;

	if (u->ur_content_type != NULL &&
	    strstr(u->ur_content_type, "html") != NULL)
		return 1;
	while (isspace((unsigned char)*p))
		p++;
	return *p == '<';
}

static void	 reply_judge(const struct upstream_reply *, struct reply *);

/* What jansson found wrong, in words that quote nothing of the input. */
static const char *
fetch_json_error(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_out_of_memory:
		return "out of memory";
	case json_error_stack_overflow:
		return "nested too deeply";
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_premature_end_of_input:
		return "it ends too early";
	case json_error_end_of_input_expected:
		return "text after the JSON value";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "a NUL character";
	case json_error_duplicate_key:
		return "a duplicate key";
	case json_error_numeric_overflow:
		return "a number out of range";
	default:
		return "invalid syntax";
	}
}

/*
 * Judge an upstream answer of a panel with plugin pl (NULL: generic
 * judgement only). Fills r (clear it with reply_clear()); the reason in
 * rp_why never quotes the body, which may hold anything.
 */
void
reply_parse(const struct plugin *pl, const struct upstream_reply *u,
    struct reply *r)
{
	reply_judge(u, r);
	if (pl != NULL && pl->pl_judge != NULL && r->rp_kind != REPLY_TRANSPORT)
		pl->pl_judge(u, r);
}

static void
reply_judge(const struct upstream_reply *u, struct reply *r)
{
	json_error_t	 jerr;

	memset(r, 0, sizeof(*r));
	r->rp_status = u->ur_status;
	r->rp_error = u->ur_error;
	if (u->ur_error != UPSTREAM_OK) {
		r->rp_kind = REPLY_TRANSPORT;
		err_set(r->rp_why, "%s", u->ur_errmsg);
		return;
	}
	if (reply_is_html(u)) {
		r->rp_kind = REPLY_HTML;
		err_set(r->rp_why, "the panel answered %d with an HTML page "
		    "instead of JSON", u->ur_status);
		return;
	}
	r->rp_json = u->ur_len == 0 ? NULL : json_loadb(u->ur_body, u->ur_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (u->ur_status == 401 || u->ur_status == 403) {
		r->rp_kind = REPLY_REFUSED;
		err_set(r->rp_why, "the panel answered %d: it refused "
		    "sightline's credentials or permissions", u->ur_status);
		return;
	}
	if (u->ur_status < 200 || u->ur_status > 299) {
		r->rp_kind = REPLY_STATUS;
		err_set(r->rp_why, "the panel answered %d", u->ur_status);
		return;
	}
	if (r->rp_json == NULL) {
		r->rp_kind = REPLY_NOTJSON;
		if (u->ur_len == 0)
			err_set(r->rp_why, "the panel answered %d with an "
			    "empty body", u->ur_status);
		else
			/*
			 * Not jerr.text: jansson quotes the bytes near the
			 * error, which may be a secret the policy would drop.
			 */
			err_set(r->rp_why, "the panel's answer is not JSON "
			    "(%s at byte %d)", fetch_json_error(&jerr),
			    jerr.position);
		return;
	}
	r->rp_kind = REPLY_JSON;
}

void
reply_clear(struct reply *r)
{
	json_decref(r->rp_json);
	r->rp_json = NULL;
}

/*
 * A new inventory run for panel name with plugin pl and its options
 * (borrowed; they must outlive the fetch). cb(f, arg) is called once when
 * the run is over, successful or not. Free with fetch_free().
 */
struct fetch *
fetch_new(const struct plugin *pl, const char *name, const json_t *options,
    size_t max_records, fetch_done_fn cb, void *arg)
{
	struct fetch	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	TAILQ_INIT(&f->fe_calls);
	TAILQ_INIT(&f->fe_groups);
	f->fe_plugin = pl;
	f->fe_options = options;
	f->fe_max_records = max_records;
	f->fe_cb = cb;
	f->fe_arg = arg;
	if ((f->fe_panel = strdup(name)) == NULL ||
	    (f->fe_records = json_array()) == NULL ||
	    (f->fe_nodes = json_array()) == NULL ||
	    (f->fe_state = json_object()) == NULL) {
		fetch_free(f);
		return NULL;
	}
	return f;
}

static void
fetch_group_free(struct fetch *f, struct fetch_group *g)
{
	TAILQ_REMOVE(&f->fe_groups, g, fg_entry);
	json_decref(g->fg_docs);
	free(g->fg_key);
	free(g);
}

static void
fetch_call_free(struct fetch *f, struct fetch_call *c)
{
	TAILQ_REMOVE(&f->fe_calls, c, fc_entry);
	if (c->fc_req != NULL)
		upstream_cancel(c->fc_req);
	free(c->fc_path);
	free(c);
}

void
fetch_free(struct fetch *f)
{
	struct fetch_group	*g;
	struct fetch_call	*c;

	if (f == NULL)
		return;
	while ((c = TAILQ_FIRST(&f->fe_calls)) != NULL)
		fetch_call_free(f, c);
	while ((g = TAILQ_FIRST(&f->fe_groups)) != NULL)
		fetch_group_free(f, g);
	json_decref(f->fe_records);
	json_decref(f->fe_nodes);
	json_decref(f->fe_state);
	free(f->fe_panel);
	free(f);
}

static void __attribute__((__format__(printf, 2, 3)))
fetch_fail(struct fetch *f, const char *fmt, ...)
{
	va_list	 ap;

	if (f->fe_failed)
		return;
	f->fe_failed = 1;
	va_start(ap, fmt);
	vsnprintf(f->fe_error, sizeof(f->fe_error), fmt, ap);
	va_end(ap);
}

/* Called when nothing is outstanding any more, or on failure. */
static void
fetch_finish(struct fetch *f)
{
	struct fetch_call	*c;

	if (f->fe_done)
		return;
	/* A failed run stops its other calls: they would be wasted. */
	while ((c = TAILQ_FIRST(&f->fe_calls)) != NULL) {
		if (c->fc_group != NULL)
			c->fc_group->fg_pending--;
		fetch_call_free(f, c);
	}
	f->fe_done = 1;
	f->fe_end = mono_now();
	if (f->fe_cb != NULL)
		f->fe_cb(f, f->fe_arg);
}

static void
fetch_group_close(struct fetch *f, struct fetch_group *g)
{
	json_t	*rec = NULL;
	char	 err[ERR_MAX] = "";

	if (f->fe_plugin->pl_record(f, g->fg_docs, &rec, err) == -1) {
		fetch_fail(f, "%s: %s", g->fg_key, err);
	} else if (rec != NULL) {
		if (json_array_size(f->fe_records) >= f->fe_max_records) {
			json_decref(rec);
			fetch_fail(f, "the panel has more than max_records "
			    "(%zu) VPSes", f->fe_max_records);
		} else if (json_array_append_new(f->fe_records, rec) == -1)
			fetch_fail(f, "%s: %s", g->fg_key, "out of memory");
	}
	fetch_group_free(f, g);
}

/* One reply arrived (live or canned): hand it to the plugin. */
static void
fetch_reply(struct fetch_call *c, struct reply *r)
{
	struct fetch		*f = c->fc_fetch;
	struct fetch_group	*g = c->fc_group;
	char			 err[ERR_MAX] = "";

	c->fc_req = NULL;
	if (!f->fe_failed && f->fe_plugin->pl_fetched(f, g, c->fc_path, r,
	    err) == -1) {
		fetch_fail(f, "GET %s: %s", c->fc_path, err);
		f->fe_timeout = r->rp_kind == REPLY_TRANSPORT &&
		    r->rp_error == UPSTREAM_TIMEOUT;
	}
	fetch_call_free(f, c);
	if (g != NULL && --g->fg_pending == 0 && !f->fe_failed)
		fetch_group_close(f, g);
	if (f->fe_failed || TAILQ_EMPTY(&f->fe_calls))
		fetch_finish(f);
}

static void
fetch_live_cb(const struct upstream_reply *u, void *arg)
{
	struct fetch_call	*c = arg;
	struct reply		 r;

	reply_parse(c->fc_fetch->fe_plugin, u, &r);
	fetch_reply(c, &r);
	reply_clear(&r);
}

/*
 * A new group: the calls that together describe one record. key names it
 * in error messages. Returns NULL when out of memory.
 */
struct fetch_group *
fetch_group(struct fetch *f, const char *key)
{
	struct fetch_group	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if ((g->fg_key = strdup(key)) == NULL ||
	    (g->fg_docs = json_object()) == NULL) {
		free(g->fg_key);
		free(g);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&f->fe_groups, g, fg_entry);
	return g;
}

/* Keep doc (a new reference is taken) in the group under name. */
int
fetch_group_put(struct fetch_group *g, const char *name, json_t *doc)
{
	return json_object_set(g->fg_docs, name, doc);
}

const json_t *
fetch_group_docs(const struct fetch_group *g)
{
	return g->fg_docs;
}

/*
 * Call GET path (below the API root) for group g, or for the run itself
 * when g is NULL. Returns 0, or -1 when out of memory.
 */
int
fetch_get(struct fetch *f, struct fetch_group *g, const char *path)
{
	struct fetch_call	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((c->fc_path = strdup(path)) == NULL) {
		free(c);
		return -1;
	}
	c->fc_fetch = f;
	c->fc_group = g;
	TAILQ_INSERT_TAIL(&f->fe_calls, c, fc_entry);
	if (g != NULL)
		g->fg_pending++;
	f->fe_ncalls++;
	if (f->fe_up != NULL) {
		/* Calls for a group already begun go first: it can close. */
		c->fc_req = upstream_get(f->fe_up, path,
		    g != NULL && json_object_size(g->fg_docs) > 0,
		    fetch_live_cb, c);
		if (c->fc_req == NULL) {
			if (g != NULL)
				g->fg_pending--;
			fetch_call_free(f, c);
			return -1;
		}
	}
	return 0;
}

int
fetch_add_node(struct fetch *f, json_t *node)
{
	return json_array_append_new(f->fe_nodes, node);
}

/* Start a live run over up. Returns 0, or -1 (the callback is not called). */
int
fetch_start_live(struct fetch *f, struct upstream *up)
{
	char	 err[ERR_MAX] = "";

	f->fe_up = up;
	f->fe_start = mono_now();
	if (f->fe_plugin->pl_inventory(f, err) == -1 ||
	    TAILQ_EMPTY(&f->fe_calls)) {
		fetch_fail(f, "%s", err[0] ? err : "the plugin made no call");
		return -1;
	}
	return 0;
}

/*
 * A canned run: every call is answered from map (path → body) and judged
 * like a live answer. A body of the form {"$status": N, "$body": ...}
 * answers with status N; {"$raw": "text", "$type": "content type"}
 * answers with exactly those bytes (an HTML page, XML), with "$status"
 * 200 unless given; a path not in the map answers 500, like a panel call
 * that fails. Runs to the end before it returns. Returns 0 if the run
 * succeeded, else -1.
 */
int
fetch_run_canned(struct fetch *f, const json_t *map)
{
	struct fetch_call	*c;
	struct upstream_reply	 u;
	struct reply		 r;
	const json_t		*v, *st;
	char			*body;
	char			 err[ERR_MAX] = "";

	f->fe_canned = map;
	f->fe_start = mono_now();
	if (f->fe_plugin->pl_inventory(f, err) == -1) {
		fetch_fail(f, "%s", err);
		return -1;
	}
	while (!f->fe_done && (c = TAILQ_FIRST(&f->fe_calls)) != NULL) {
		memset(&u, 0, sizeof(u));
		u.ur_status = 200;
		u.ur_content_type = "application/json";
		body = NULL;
		v = json_object_get(map, c->fc_path);
		if (v == NULL)
			u.ur_status = 500;
		else if ((st = json_object_get(v, "$status")) != NULL ||
		    json_object_get(v, "$raw") != NULL) {
			if (st != NULL)
				u.ur_status = (int)json_integer_value(st);
			if (json_object_get(v, "$type") != NULL)
				u.ur_content_type = json_string_value(
				    json_object_get(v, "$type"));
			if (json_object_get(v, "$raw") != NULL) {
				v = json_object_get(v, "$raw");
				body = strndup(json_string_value(v),
				    json_string_length(v));
			} else
				v = json_object_get(v, "$body");
		}
		if (body == NULL && v != NULL)
			body = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		u.ur_body = body != NULL ? body : "";
		u.ur_len = strlen(u.ur_body);
		reply_parse(f->fe_plugin, &u, &r);
		free(body);
		fetch_reply(c, &r);
		reply_clear(&r);
	}
	fetch_finish(f);
	return f->fe_failed ? -1 : 0;
}

const char *
fetch_panel(const struct fetch *f)
{
	return f->fe_panel;
}

const json_t *
fetch_options(const struct fetch *f)
{
	return f->fe_options;
}

/*
 * The run's scratch object, empty at the start: a plugin MAY keep in it
 * what later replies of the same run need (the pages seen so far, a map
 * of node ids to names). Borrowed; it lives as long as the run.
 */
json_t *
fetch_state(struct fetch *f)
{
	return f->fe_state;
}

/* Why the run failed, or NULL when it did not. */
const char *
fetch_error(const struct fetch *f)
{
	return f->fe_failed ? f->fe_error : NULL;
}

/* The records made (a new reference); the run keeps none. */
json_t *
fetch_take_records(struct fetch *f)
{
	json_t	*r = f->fe_records;

	f->fe_records = NULL;
	return r;
}

json_t *
fetch_take_nodes(struct fetch *f)
{
	json_t	*n = f->fe_nodes;

	f->fe_nodes = NULL;
	return n;
}

double
fetch_seconds(const struct fetch *f)
{
	return f->fe_end - f->fe_start;
}

/* The HTTP status a failed run maps to: 504 for a timeout, else 502. */
int
fetch_failure_status(const struct fetch *f)
{
	return f->fe_timeout ? 504 : 502;
}

size_t
fetch_requests(const struct fetch *f)
{
	return f->fe_ncalls;
}
