/*
 * test_cases.c: the data-driven cases under tests/cases/<plugin>/<case>/
 * (the format is in tests/cases/README). Each case is fed through the
 * code the daemon runs: a native request through the plugin's allow-list
 * and the policy's native rule; "record" and "node" through a canned
 * inventory (fetch_run_canned) and inventory_build(), whose serialized
 * records are what /v1/vps serves. The result must equal expected.json
 * (compared as JSON values), or, when the case has an "error" file, the
 * case must fail with that text in its reason and show nothing.
 *
 * Usage: test_cases [case ...]   (default: every case)
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
#define CASE_FILE_MAX	(4 * 1024 * 1024)
#define CASES_MAX	1024

static const char *top = ".";

/* The panel name records carry: "pve/100", "vz/1001". */
static const char *
case_panel(const struct plugin *pl)
{
	if (strcmp(pl->pl_name, "proxmox") == 0)
		return "pve";
	if (strcmp(pl->pl_name, "virtualizor") == 0)
		return "vz";
	return pl->pl_name;
}

struct case_run {
	const struct plugin	*cr_plugin;
	char			 cr_dir[PATH_MAX];
	char			 cr_name[PATH_MAX];
	char			 cr_request[FRONT_URI_BYTES_MAX];
	json_t			*cr_upstream;
	json_t			*cr_options;
	char			*cr_policy;	/* path */
	char			*cr_want_error;	/* NULL: want expected.json */
	json_t			*cr_expected;
};

static int
exists(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0;
}

/* dir/name into out; exits on overflow, which only a broken tree causes. */
static void
case_path(char *out, size_t len, const char *dir, const char *name)
{
	if (path_resolve(dir, name, out, len) == -1) {
		fprintf(stderr, "%s/%s: path too long\n", dir, name);
		exit(2);
	}
}

/* A whole text file without its trailing white space, or NULL. */
static char *
read_trimmed(const char *path, char *err)
{
	char	*s;
	size_t	 len;

	if ((s = file_read(path, CASE_FILE_MAX, &len, err)) == NULL)
		return NULL;
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		s[--len] = '\0';
	return s;
}

static json_t *
read_json(const char *path, char *err)
{
	json_error_t	 jerr;
	json_t		*j;

	j = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (j == NULL)
		err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
	return j;
}

static void
case_clear(struct case_run *c)
{
	json_decref(c->cr_upstream);
	json_decref(c->cr_options);
	json_decref(c->cr_expected);
	free(c->cr_policy);
	free(c->cr_want_error);
	memset(c, 0, sizeof(*c));
}

/* Read a case directory. Returns 0, or -1 with a reason. */
static int
case_read(struct case_run *c, char *err)
{
	char	 path[PATH_MAX];
	char	*s;

	case_path(path, sizeof(path), c->cr_dir, "request");
	if ((s = read_trimmed(path, err)) == NULL)
		return -1;
	if (strchr(s, '\n') != NULL ||
	    strlcpy(c->cr_request, s, sizeof(c->cr_request)) >=
	    sizeof(c->cr_request)) {
		err_set(err, "%s: one line, shorter than %zu bytes", path,
		    sizeof(c->cr_request));
		free(s);
		return -1;
	}
	free(s);
	case_path(path, sizeof(path), c->cr_dir, "upstream.json");
	if ((c->cr_upstream = read_json(path, err)) == NULL)
		return -1;
	case_path(path, sizeof(path), c->cr_dir, "options.json");
	if (exists(path) && (c->cr_options = read_json(path, err)) == NULL)
		return -1;
	case_path(path, sizeof(path), c->cr_dir, "policy.lua");
	if (!exists(path))
		snprintf(path, sizeof(path), "%s/policies/%s.lua", top,
		    c->cr_plugin->pl_name);
	if ((c->cr_policy = strdup(path)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	case_path(path, sizeof(path), c->cr_dir, "error");
	if (exists(path)) {
		if ((c->cr_want_error = read_trimmed(path, err)) == NULL)
			return -1;
		if (c->cr_want_error[0] == '\0') {
			err_set(err, "%s: empty", path);
			return -1;
		}
		case_path(path, sizeof(path), c->cr_dir, "expected.json");
		if (exists(path)) {
			err_set(err, "%s: a case has either error or "
			    "expected.json", c->cr_dir);
			return -1;
		}
		return 0;
	}
	case_path(path, sizeof(path), c->cr_dir, "expected.json");
	if ((c->cr_expected = read_json(path, err)) == NULL)
		return -1;
	return 0;
}

/*
 * The panel's answer to one call, as upstream.json describes it: a body
 * (sent as compact JSON with status 200), or {"$status": N, "$body":
 * ...}, or {"$raw": "text", "$type": "content type"} for exact bytes, as
 * fetch_run_canned() reads it. Judged by reply_parse(), plugin included.
 */
static void
case_reply(const struct plugin *pl, const json_t *v, struct reply *r)
{
	struct upstream_reply	 u;
	const json_t		*st;
	char			*body = NULL;

	memset(&u, 0, sizeof(u));
	u.ur_status = 200;
	u.ur_content_type = "application/json";
	if ((st = json_object_get(v, "$status")) != NULL ||
	    json_object_get(v, "$raw") != NULL) {
		if (st != NULL)
			u.ur_status = (int)json_integer_value(st);
		if (json_object_get(v, "$type") != NULL)
			u.ur_content_type = json_string_value(
			    json_object_get(v, "$type"));
		if (json_object_get(v, "$raw") != NULL)
			body = strdup(json_string_value(json_object_get(v,
			    "$raw")));
		else
			v = json_object_get(v, "$body");
	}
	if (body == NULL && v != NULL)
		body = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	u.ur_body = body != NULL ? body : "";
	u.ur_len = strlen(u.ur_body);
	reply_parse(pl, &u, r);
	free(body);
}

/*
 * A native request, as api_native() and api_native_done() handle it:
 * the allow-list, the policy's rule for the endpoint, the panel's answer
 * judged, the policy applied to it; everything dropped shows as {}.
 */
static json_t *
case_native(struct case_run *c, struct policy *po, char *err)
{
	struct native_route		 nr;
	const struct policy_rule	*rule;
	struct reply			 r;
	char				 path[FRONT_URI_BYTES_MAX];
	char				*q;
	json_t				*red = NULL, *doc;

	strlcpy(path, c->cr_request, sizeof(path));
	if ((q = strchr(path, '?')) != NULL)
		*q++ = '\0';
	if (c->cr_plugin->pl_native_route(path, q, &nr, err) == -1) {
		err_prefix(err, "not allowed: ");
		return NULL;
	}
	if ((rule = policy_native(po, nr.nr_endpoint)) == NULL) {
		err_set(err, "not covered: the policy has no rule for %s",
		    nr.nr_endpoint);
		return NULL;
	}
	case_reply(c->cr_plugin, c->cr_upstream, &r);
	if (r.rp_kind != REPLY_JSON) {
		err_set(err, "upstream: %s", r.rp_why);
		reply_clear(&r);
		return NULL;
	}
	if (policy_apply(po, rule, r.rp_json, nr.nr_path, &red, NULL, NULL,
	    err) == -1) {
		err_prefix(err, "policy error on %s: ", nr.nr_endpoint);
		reply_clear(&r);
		return NULL;
	}
	reply_clear(&r);
	return red != NULL ? red : json_object();
}

/*
 * "record" or "node": a canned inventory over the upstream map, built
 * into an inventory as panel_refresh() does; the records as served (each
 * serialized once, parsed back here) in id order, or the nodes.
 */
static json_t *
case_inventory(struct case_run *c, struct policy *po, int nodes, char *err)
{
	struct fetch		*f;
	struct inventory	*inv;
	json_t			*opts, *out = NULL, *r;
	json_error_t		 jerr;
	size_t			 i;

	opts = c->cr_options != NULL ? json_incref(c->cr_options) :
	    json_object();
	if ((f = fetch_new(c->cr_plugin, case_panel(c->cr_plugin), opts,
	    PANEL_RECORDS, NULL, NULL)) == NULL) {
		json_decref(opts);
		err_set(err, "out of memory");
		return NULL;
	}
	if (fetch_run_canned(f, c->cr_upstream) == -1) {
		err_set(err, "inventory: %s", fetch_error(f));
		goto done;
	}
	inv = inventory_build(case_panel(c->cr_plugin), fetch_take_records(f),
	    fetch_take_nodes(f), po, err);
	if (inv == NULL) {
		err_prefix(err, "inventory: ");
		goto done;
	}
	if (nodes)
		out = json_incref(inv->inv_nodes);
	else {
		out = json_array();
		for (i = 0; i < inv->inv_nrecs; i++) {
			r = json_loadb(inv->inv_recs[i].ir_json,
			    inv->inv_recs[i].ir_len, 0, &jerr);
			if (r == NULL) {
				err_set(err, "record %s does not parse back: "
				    "%s", inv->inv_recs[i].ir_id, jerr.text);
				json_decref(out);
				out = NULL;
				break;
			}
			json_array_append_new(out, r);
		}
	}
	inventory_unref(inv);
done:
	fetch_free(f);
	json_decref(opts);
	return out;
}

/*
 * The keys commitments and pseudonyms are made with in every case: from
 * the secret 00 01 02 ... 1f, so that expected outputs hold fixed digests.
 */
static struct keys *case_keys;

/* Run case c; the output (new reference), or NULL with a reason. */
static json_t *
case_output(struct case_run *c, char *err)
{
	struct policy	*po;
	json_t		*out;

	po = policy_load(c->cr_policy, c->cr_plugin, POLICY_MEMORY,
	    POLICY_INSTRUCTIONS, err);
	if (po == NULL) {
		err_prefix(err, "policy: ");
		return NULL;
	}
	po->po_keys = case_keys;
	if (strcmp(c->cr_request, "record") == 0)
		out = case_inventory(c, po, 0, err);
	else if (strcmp(c->cr_request, "node") == 0)
		out = case_inventory(c, po, 1, err);
	else
		out = case_native(c, po, err);
	policy_free(po);
	return out;
}

static void
case_update(struct case_run *c, const json_t *out)
{
	char	 path[PATH_MAX];

	case_path(path, sizeof(path), c->cr_dir, "expected.json");
	if (json_dump_file(out, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ==
	    -1)
		tap_diag("cannot write %s", path);
	else
		tap_diag("wrote %s", path);
}

static void
case_check(struct case_run *c)
{
	json_t	*out;
	char	 err[ERR_MAX] = "";
	char	*got, *want;

	out = case_output(c, err);
	if (c->cr_want_error != NULL) {
		if (!tap_ok(out == NULL, "%s: fails and shows nothing",
		    c->cr_name)) {
			got = json_dumps(out, DUMP_FLAGS);
			tap_diag("got:  %s", got);
			free(got);
		}
		if (!tap_ok(strstr(err, c->cr_want_error) != NULL,
		    "%s: the reason says \"%s\"", c->cr_name,
		    c->cr_want_error))
			tap_diag("got:  %s", err[0] ? err : "(no error)");
		json_decref(out);
		return;
	}
	if (out == NULL) {
		tap_ok(0, "%s: %s", c->cr_name, c->cr_request);
		tap_diag("error: %s", err);
		return;
	}
	/* UPDATE_CASES=1 rewrites expected.json: review the diff. */
	if (!json_equal(out, c->cr_expected) && getenv("UPDATE_CASES") != NULL)
		case_update(c, out);
	if (!tap_ok(json_equal(out, c->cr_expected), "%s: %s", c->cr_name,
	    c->cr_request)) {
		got = json_dumps(out, DUMP_FLAGS);
		want = json_dumps(c->cr_expected, DUMP_FLAGS);
		tap_diag("got:  %s", got);
		tap_diag("want: %s", want);
		free(got);
		free(want);
	}
	json_decref(out);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The subdirectories of dir, sorted; *n of them. Caller frees each. */
static char **
subdirs(const char *dir, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[PATH_MAX];
	char		**names;
	struct stat	 st;

	*n = 0;
	if ((names = calloc(CASES_MAX, sizeof(*names))) == NULL ||
	    (d = opendir(dir)) == NULL) {
		free(names);
		return NULL;
	}
	while ((e = readdir(d)) != NULL && *n < CASES_MAX) {
		if (e->d_name[0] == '.')
			continue;
		case_path(path, sizeof(path), dir, e->d_name);
		if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if ((names[*n] = strdup(e->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), name_cmp);
	return names;
}

static int
wanted(const char *name, int argc, char **argv)
{
	int	 i;

	if (argc <= 1)
		return 1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct case_run	 c;
	const char	*env = getenv("top_srcdir");
	char		 root[PATH_MAX], pdir[PATH_MAX], err[ERR_MAX];
	char		**plugins, **cases;
	size_t		 np, nc, i, j, total = 0;

	uint8_t		 secret[KEYS_SECRET_LEN];

	log_init(0);
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	if ((case_keys = keys_from_secret(secret)) == NULL) {
		tap_ok(0, "keys for commitments");
		return tap_done();
	}
	if (env != NULL && env[0] != '\0')
		top = env;
	snprintf(root, sizeof(root), "%s/tests/cases", top);
	if ((plugins = subdirs(root, &np)) == NULL) {
		tap_ok(0, "%s: %s", root, strerror(errno));
		return tap_done();
	}
	for (i = 0; i < np; i++) {
		memset(&c, 0, sizeof(c));
		if ((c.cr_plugin = plugin_find(plugins[i])) == NULL) {
			tap_ok(0, "tests/cases/%s: no such plugin", plugins[i]);
			continue;
		}
		case_path(pdir, sizeof(pdir), root, plugins[i]);
		if ((cases = subdirs(pdir, &nc)) == NULL) {
			tap_ok(0, "%s: %s", pdir, strerror(errno));
			continue;
		}
		for (j = 0; j < nc; j++) {
			if (!wanted(cases[j], argc, argv))
				continue;
			memset(&c, 0, sizeof(c));
			c.cr_plugin = plugin_find(plugins[i]);
			case_path(c.cr_dir, sizeof(c.cr_dir), pdir, cases[j]);
			snprintf(c.cr_name, sizeof(c.cr_name), "%s/%s",
			    plugins[i], cases[j]);
			err[0] = '\0';
			if (case_read(&c, err) == -1)
				tap_ok(0, "%s: %s", c.cr_name, err);
			else
				case_check(&c);
			case_clear(&c);
			total++;
		}
		for (j = 0; j < nc; j++)
			free(cases[j]);
		free(cases);
	}
	for (i = 0; i < np; i++)
		free(plugins[i]);
	free(plugins);
	if (argc <= 1)
		tap_ok(total >= 8, "at least 8 cases (%zu)", total);
	keys_free(case_keys);
	return tap_done();
}
