/*
 * policy.c: what the hoster may see. A policy is a Lua file that returns
 * a table of rules; at load time it is compiled into a tree of C rules, so
 * applying it costs no Lua call unless a rule is a hook function.
 *
 *   return {
 *     record = { id = "keep", owner = "drop",
 *                interfaces = { mac = "keep", ips = "keep" } },
 *     node   = { ["*"] = "keep" },
 *     native = { ["/nodes/{node}/qemu/{vmid}/config"] = { data = { ... } } },
 *   }
 *
 * A rule is an action name, a table of rules for the fields of an object
 * (applied to every element when the value is an array; "*" names every
 * field not named otherwise), or a function(value, path) returning an
 * action name and optionally a new value. Fields no rule names are dropped.
 *
 * Actions: "keep", "drop", "commit" (the field leaves its object and an
 * SD-JWT digest of it joins the object's sorted "_sd" array; see
 * commit.c), "pseudonym" (the field becomes NAME_ps, a keyed pseudonym of
 * its value), and { "commit", "pseudonym" } for both. Input fields named
 * "_sd", "_sd_alg" or "..." are always dropped: a panel must not be able
 * to forge commitments.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define POLICY_ACTION_MAX	16

static const struct {
	const char		*name;
	enum policy_action	 action;
} policy_actions[] = {
	{ "keep", POLICY_KEEP },
	{ "drop", POLICY_DROP },
	{ "commit", POLICY_COMMIT },
	{ "pseudonym", POLICY_PSEUDONYM },
};

/* Field names that SD-JWT gives a meaning; never taken from input. */
static const char *const policy_reserved[] = { "_sd", "_sd_alg", "...", NULL };

static const char *const policy_sections[] = {
	"version", "description", "record", "node", "native", NULL
};

struct policy_walk {
	struct policy	*pw_policy;
	const char	*pw_ctx;	/* the record id salts are bound to */
	size_t		 pw_ncommits;
	char		 pw_path[POLICY_PATH_MAX];
	size_t		 pw_len;
	policy_trace_fn	 pw_trace;
	void		*pw_arg;
};

static int
policy_action_lookup(const char *name, enum policy_action *a)
{
	size_t	 i;

	for (i = 0; i < sizeof(policy_actions) / sizeof(policy_actions[0]);
	    i++)
		if (strcmp(name, policy_actions[i].name) == 0) {
			*a = policy_actions[i].action;
			return 0;
		}
	return -1;
}

const char *
policy_action_name(enum policy_action a)
{
	size_t	 i;

	for (i = 0; i < sizeof(policy_actions) / sizeof(policy_actions[0]);
	    i++)
		if (policy_actions[i].action == a)
			return policy_actions[i].name;
	return a == POLICY_HOOK ? "hook" : "rules";
}

/* Free what r holds below it; r itself and its name stay. */
static void
policy_rule_clear(struct policy_rule *r)
{
	size_t	 i;

	for (i = 0; i < r->pr_nchildren; i++) {
		policy_rule_clear(&r->pr_children[i]);
		free(r->pr_children[i].pr_name);
	}
	free(r->pr_children);
	if (r->pr_any != NULL) {
		policy_rule_clear(r->pr_any);
		free(r->pr_any);
	}
	r->pr_children = NULL;
	r->pr_nchildren = 0;
	r->pr_any = NULL;
}

static int
policy_rule_cmp(const void *a, const void *b)
{
	const struct policy_rule	*ra = a, *rb = b;

	return strcmp(ra->pr_name, rb->pr_name);
}

/* { "commit", "pseudonym" }: the one list of actions that means something. */
static int
policy_compile_list(const json_t *j, struct policy_rule *r, const char *where,
    char *err)
{
	enum policy_action	 a;
	const json_t		*v;
	size_t			 i;
	int			 commit = 0, ps = 0;

	json_array_foreach(j, i, v) {
		if (!json_is_string(v) ||
		    policy_action_lookup(json_string_value(v), &a) == -1 ||
		    (a != POLICY_COMMIT && a != POLICY_PSEUDONYM)) {
			err_set(err, "%s: a list of actions may only hold "
			    "\"commit\" and \"pseudonym\"", where);
			return -1;
		}
		if (a == POLICY_COMMIT)
			commit++;
		else
			ps++;
	}
	if (commit > 1 || ps > 1) {
		err_set(err, "%s: an action is listed twice", where);
		return -1;
	}
	r->pr_action = commit ? POLICY_COMMIT : POLICY_PSEUDONYM;
	r->pr_pseudonym = ps;
	return 0;
}

/*
 * Compile one rule from the json_t the sandbox made of it into r, which
 * the caller zeroed. where names it in error messages
 * ("record.interfaces.mac").
 */
static int
policy_compile(struct policy *po, const json_t *j, struct policy_rule *r,
    const char *where, char *err)
{
	char		 sub[POLICY_PATH_MAX];
	const char	*k;
	json_t		*v, *hook;
	size_t		 n = 0;

	if (json_is_string(j)) {
		if (policy_action_lookup(json_string_value(j),
		    &r->pr_action) == -1) {
			err_set(err, "%s: unknown action \"%s\" (known: keep, "
			    "drop, commit, pseudonym)", where,
			    json_string_value(j));
			return -1;
		}
		return 0;
	}
	if (json_is_object(j) && (hook = json_object_get(j, "$hook")) != NULL) {
		if (!json_is_integer(hook) || json_object_size(j) != 1 ||
		    !sandbox_hook_valid(po->po_sb, json_integer_value(hook))) {
			err_set(err, "%s: malformed hook", where);
			return -1;
		}
		r->pr_action = POLICY_HOOK;
		r->pr_hook = (int)json_integer_value(hook);
		return 0;
	}
	if (json_is_array(j) && json_array_size(j) > 0)
		return policy_compile_list(j, r, where, err);
	/* The sandbox turns an empty Lua table into an empty array. */
	if (!json_is_object(j) && !(json_is_array(j) && json_array_size(j) == 0)) {
		err_set(err, "%s: a rule is an action name, a table of rules "
		    "or a function", where);
		return -1;
	}
	r->pr_action = POLICY_TABLE;
	if (json_is_array(j))
		return 0;
	r->pr_children = calloc(json_object_size(j),
	    sizeof(*r->pr_children));
	if (r->pr_children == NULL && json_object_size(j) > 0) {
		err_set(err, "%s: out of memory", where);
		return -1;
	}
	json_object_foreach((json_t *)j, k, v) {
		struct policy_rule	*child;

		snprintf(sub, sizeof(sub), "%s.%s", where, k);
		if (strcmp(k, "*") == 0) {
			if ((child = calloc(1, sizeof(*child))) == NULL) {
				err_set(err, "%s: out of memory", where);
				goto fail;
			}
			r->pr_any = child;
		} else {
			child = &r->pr_children[n];
			if ((child->pr_name = strdup(k)) == NULL) {
				err_set(err, "%s: out of memory", where);
				goto fail;
			}
			n++;
			r->pr_nchildren = n;
		}
		if (policy_compile(po, v, child, sub, err) == -1)
			goto fail;
	}
	qsort(r->pr_children, r->pr_nchildren, sizeof(*r->pr_children),
	    policy_rule_cmp);
	return 0;
fail:
	policy_rule_clear(r);
	return -1;
}

static int
policy_check_sections(const json_t *top, const char *path, char *err)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	json_object_foreach((json_t *)top, k, v) {
		for (i = 0; policy_sections[i] != NULL; i++)
			if (strcmp(k, policy_sections[i]) == 0)
				break;
		if (policy_sections[i] == NULL) {
			err_set(err, "%s: unknown section \"%s\" (known: "
			    "record, node, native, version, description)",
			    path, k);
			return -1;
		}
	}
	v = json_object_get(top, "version");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) != 1)) {
		err_set(err, "%s: version must be 1", path);
		return -1;
	}
	v = json_object_get(top, "description");
	if (v != NULL && !json_is_string(v)) {
		err_set(err, "%s: description must be a string", path);
		return -1;
	}
	if (json_object_get(top, "record") == NULL) {
		err_set(err, "%s: the policy has no \"record\" section", path);
		return -1;
	}
	return 0;
}

static int
policy_compile_native(struct policy *po, const json_t *native,
    const struct plugin *pl, const char *path, char *err)
{
	char		 where[POLICY_PATH_MAX];
	const char	*k, *e;
	json_t		*v;
	size_t		 i;

	if (json_is_array(native) && json_array_size(native) == 0)
		return 0;
	if (!json_is_object(native)) {
		err_set(err, "%s: native must be a table of endpoint rules",
		    path);
		return -1;
	}
	po->po_native = calloc(json_object_size(native),
	    sizeof(*po->po_native));
	if (po->po_native == NULL && json_object_size(native) > 0) {
		err_set(err, "%s: out of memory", path);
		return -1;
	}
	json_object_foreach((json_t *)native, k, v) {
		struct policy_native	*pn = &po->po_native[po->po_nnative];

		for (i = 0; (e = pl->pl_endpoint(i)) != NULL; i++)
			if (strcmp(e, k) == 0)
				break;
		if (e == NULL) {
			err_set(err, "%s: native[\"%s\"]: not an endpoint the "
			    "%s plugin allows", path, k, pl->pl_name);
			return -1;
		}
		snprintf(where, sizeof(where), "native[\"%s\"]", k);
		if ((pn->pn_endpoint = strdup(k)) == NULL) {
			err_set(err, "%s: out of memory", path);
			return -1;
		}
		po->po_nnative++;
		if (policy_compile(po, v, &pn->pn_rule, where, err) == -1) {
			err_prefix(err, "%s: ", path);
			return -1;
		}
	}
	return 0;
}

/*
 * Load and compile the policy at path for plugin pl, in a new sandbox with
 * the given memory cap and per-call instruction budget. Returns a new
 * policy (free with policy_free()), or NULL with "path: reason".
 */
struct policy *
policy_load(const char *path, const struct plugin *pl, size_t memmax,
    uint64_t budget, char *err)
{
	struct policy	*po;
	json_t		*top = NULL, *v;
	char		*buf;
	size_t		 len;

	if ((po = calloc(1, sizeof(*po))) == NULL) {
		err_set(err, "%s: out of memory", path);
		return NULL;
	}
	if ((po->po_path = strdup(path)) == NULL) {
		err_set(err, "%s: out of memory", path);
		goto fail;
	}
	if ((buf = file_read(path, LUA_FILE_MAX, &len, err)) == NULL)
		goto fail;
	crypto_sha256_hex(buf, len, po->po_digest);
	if ((po->po_sb = sandbox_new(SANDBOX_POLICY, memmax, budget, err)) ==
	    NULL) {
		free(buf);
		err_prefix(err, "%s: ", path);
		goto fail;
	}
	top = sandbox_run(po->po_sb, path, buf, len, err);
	free(buf);
	if (top == NULL)
		goto fail;
	if (policy_check_sections(top, path, err) == -1)
		goto fail;
	if (policy_compile(po, json_object_get(top, "record"), &po->po_record,
	    "record", err) == -1) {
		err_prefix(err, "%s: ", path);
		goto fail;
	}
	if ((v = json_object_get(top, "node")) != NULL &&
	    policy_compile(po, v, &po->po_node, "node", err) == -1) {
		err_prefix(err, "%s: ", path);
		goto fail;
	}
	if (v == NULL)
		po->po_node.pr_action = POLICY_DROP;
	if ((v = json_object_get(top, "native")) != NULL &&
	    policy_compile_native(po, v, pl, path, err) == -1)
		goto fail;
	json_decref(top);
	return po;
fail:
	json_decref(top);
	policy_free(po);
	return NULL;
}

void
policy_free(struct policy *po)
{
	size_t	 i;

	if (po == NULL)
		return;
	policy_rule_clear(&po->po_record);
	policy_rule_clear(&po->po_node);
	for (i = 0; i < po->po_nnative; i++) {
		policy_rule_clear(&po->po_native[i].pn_rule);
		free(po->po_native[i].pn_endpoint);
	}
	free(po->po_native);
	sandbox_free(po->po_sb);
	free(po->po_path);
	free(po);
}

/*
 * The rule for a native endpoint, or NULL when the policy does not cover
 * it (the caller refuses the call then: no rule means nothing to show).
 */
const struct policy_rule *
policy_native(const struct policy *po, const char *endpoint)
{
	size_t	 i;

	for (i = 0; i < po->po_nnative; i++)
		if (strcmp(po->po_native[i].pn_endpoint, endpoint) == 0)
			return &po->po_native[i].pn_rule;
	return NULL;
}

static const struct policy_rule *
policy_child(const struct policy_rule *r, const char *key)
{
	struct policy_rule	 k, *found;

	/* bsearch() with a NULL base is undefined, even for no elements. */
	if (r->pr_nchildren == 0)
		return r->pr_any;
	k.pr_name = (char *)(uintptr_t)key;
	found = bsearch(&k, r->pr_children, r->pr_nchildren,
	    sizeof(*r->pr_children), policy_rule_cmp);
	return found != NULL ? found : r->pr_any;
}

/* Append ".key" or "[i]" to the walk's path; returns the old length. */
static size_t
policy_push(struct policy_walk *w, const char *key, size_t idx)
{
	size_t	 old = w->pw_len;
	int	 n;

	if (key != NULL)
		n = snprintf(w->pw_path + old, sizeof(w->pw_path) - old,
		    old == 0 ? "%s" : ".%s", key);
	else
		n = snprintf(w->pw_path + old, sizeof(w->pw_path) - old,
		    "[%zu]", idx);
	if (n < 0 || (size_t)n >= sizeof(w->pw_path) - old)
		w->pw_len = sizeof(w->pw_path) - 1;	/* truncated, still safe */
	else
		w->pw_len = old + (size_t)n;
	return old;
}

static void
policy_pop(struct policy_walk *w, size_t old)
{
	w->pw_len = old;
	w->pw_path[old] = '\0';
}

static void
policy_trace(struct policy_walk *w, const char *action, const json_t *v)
{
	if (w->pw_trace != NULL)
		w->pw_trace(w->pw_arg, w->pw_path, action, v);
}

static int	policy_walk(struct policy_walk *, const struct policy_rule *,
		    const json_t *, json_t **, char *);

static int
policy_is_reserved(const char *k)
{
	size_t	 i;

	for (i = 0; policy_reserved[i] != NULL; i++)
		if (strcmp(k, policy_reserved[i]) == 0)
			return 1;
	return 0;
}

/*
 * Commit field k (value v, of object in) into sd, a new array made on the
 * first digest, and/or put its pseudonym into o as k_ps. The walk's path
 * names the field. Returns 0, or -1 with a reason that quotes no value.
 */
static int
policy_hide(struct policy_walk *w, const struct policy_rule *r,
    const json_t *in, const char *k, const json_t *v, json_t *o, json_t **sd,
    char *err)
{
	const struct keys	*keys = w->pw_policy->po_keys;
	char			 digest[COMMIT_DIGEST_MAX];
	char			 ps[COMMIT_PSEUDONYM_MAX], name[COMMIT_NAME_MAX];
	char			 why[ERR_MAX];

	if (r->pr_action == POLICY_COMMIT) {
		/* A cut path would bind the salt to a path disclose cannot name. */
		if (w->pw_len >= sizeof(w->pw_path) - 1) {
			err_set(err, "commit: the field's path is longer than %d "
			    "bytes", POLICY_PATH_MAX - 1);
			return -1;
		}
		if (w->pw_ctx == NULL) {
			err_set(err, "commit at %s: the document has no id to "
			    "bind the commitment to", w->pw_path);
			return -1;
		}
		if (commit_make(keys, w->pw_ctx, w->pw_path, k, v, NULL, digest,
		    why) == -1) {
			err_set(err, "commit at %s: %s", w->pw_path, why);
			return -1;
		}
		if (*sd == NULL && (*sd = json_array()) == NULL)
			goto oom;
		if (json_array_append_new(*sd, json_string(digest)) == -1)
			goto oom;
		w->pw_ncommits++;
	}
	if (r->pr_action == POLICY_PSEUDONYM || r->pr_pseudonym) {
		if ((size_t)snprintf(name, sizeof(name), "%s_ps", k) >=
		    sizeof(name) || json_object_get(in, name) != NULL) {
			err_set(err, "pseudonym at %s: the document already has "
			    "a field %s", w->pw_path, name);
			return -1;
		}
		if (json_is_null(v)) {
			if (json_object_set_new(o, name, json_null()) == -1)
				goto oom;
		} else {
			if (commit_pseudonym(keys, k, v, ps, why) == -1) {
				err_set(err, "pseudonym at %s: %s", w->pw_path,
				    why);
				return -1;
			}
			if (json_object_set_new(o, name, json_string(ps)) == -1)
				goto oom;
		}
	}
	policy_trace(w, r->pr_action == POLICY_PSEUDONYM ? "pseudonym" :
	    r->pr_pseudonym ? "commit, pseudonym" : "commit", v);
	return 0;
oom:
	err_set(err, "out of memory at %s", w->pw_path);
	return -1;
}

static int
policy_sd_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* SD-JWT: sort the digests, so that their order tells nothing. */
static int
policy_sd_sort(json_t *sd)
{
	json_t	**v;
	size_t	 i, n = json_array_size(sd);

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(sd, i));
	qsort(v, n, sizeof(*v), policy_sd_cmp);
	json_array_clear(sd);
	for (i = 0; i < n; i++)
		json_array_append_new(sd, v[i]);
	free(v);
	return 0;
}

static int
policy_walk_table(struct policy_walk *w, const struct policy_rule *r,
    const json_t *in, json_t **out, char *err)
{
	const struct policy_rule	*child;
	const char			*k;
	json_t				*v, *res, *o = NULL, *sd = NULL;
	size_t				 i, old;

	if (json_is_array(in)) {
		if ((o = json_array()) == NULL)
			goto oom;
		json_array_foreach(in, i, v) {
			old = policy_push(w, NULL, i);
			if (policy_walk(w, r, v, &res, err) == -1)
				goto fail;
			policy_pop(w, old);
			if (res != NULL && json_array_append_new(o, res) == -1)
				goto oom;
		}
		*out = o;
		return 0;
	}
	if (!json_is_object(in)) {
		/* A table of rules for a scalar: nothing in it to show. */
		policy_trace(w, "drop (not an object)", in);
		*out = NULL;
		return 0;
	}
	if ((o = json_object()) == NULL)
		goto oom;
	json_object_foreach((json_t *)in, k, v) {
		old = policy_push(w, k, 0);
		if ((child = policy_child(r, k)) == NULL) {
			policy_trace(w, "drop (not named)", v);
			policy_pop(w, old);
			continue;
		}
		if (policy_is_reserved(k)) {
			policy_trace(w, "drop (reserved name)", v);
			policy_pop(w, old);
			continue;
		}
		if (child->pr_action == POLICY_COMMIT ||
		    child->pr_action == POLICY_PSEUDONYM) {
			if (policy_hide(w, child, in, k, v, o, &sd, err) == -1)
				goto fail;
			policy_pop(w, old);
			continue;
		}
		if (policy_walk(w, child, v, &res, err) == -1)
			goto fail;
		policy_pop(w, old);
		if (res != NULL && json_object_set_new(o, k, res) == -1)
			goto oom;
	}
	if (sd != NULL) {
		if (policy_sd_sort(sd) == -1 ||
		    json_object_set_new(o, "_sd", sd) == -1) {
			sd = NULL;
			goto oom;
		}
		sd = NULL;
	}
	*out = o;
	return 0;
oom:
	err_set(err, "out of memory at %s", w->pw_path);
fail:
	json_decref(sd);
	json_decref(o);
	return -1;
}

static int
policy_walk(struct policy_walk *w, const struct policy_rule *r,
    const json_t *in, json_t **out, char *err)
{
	enum policy_action	 a;
	char			 name[POLICY_ACTION_MAX];
	json_t			*repl = NULL;

	*out = NULL;
	switch (r->pr_action) {
	case POLICY_DROP:
		policy_trace(w, "drop", in);
		return 0;
	case POLICY_KEEP:
		policy_trace(w, "keep", in);
		if ((*out = json_deep_copy(in)) == NULL) {
			err_set(err, "out of memory at %s", w->pw_path);
			return -1;
		}
		return 0;
	case POLICY_TABLE:
		return policy_walk_table(w, r, in, out, err);
	case POLICY_COMMIT:
	case POLICY_PSEUDONYM:
		/* Only a field can leave its object for a digest or a name. */
		err_set(err, "%s at %s: only a field of an object can be "
		    "committed or pseudonymized", policy_action_name(
		    r->pr_action), w->pw_path[0] != '\0' ? w->pw_path :
		    "the top");
		return -1;
	case POLICY_HOOK:
		if (sandbox_hook_call(w->pw_policy->po_sb, r->pr_hook, in,
		    w->pw_path, name, sizeof(name), &repl, err) == -1) {
			err_prefix(err, "hook at %s: ", w->pw_path);
			return -1;
		}
		if (policy_action_lookup(name, &a) == -1 ||
		    (a != POLICY_KEEP && a != POLICY_DROP)) {
			json_decref(repl);
			err_set(err, "hook at %s returned action \"%s\"; a hook "
			    "may keep or drop", w->pw_path, name);
			return -1;
		}
		if (a == POLICY_DROP) {
			json_decref(repl);
			policy_trace(w, "drop (hook)", in);
			return 0;
		}
		if (repl == NULL && (repl = json_deep_copy(in)) == NULL) {
			err_set(err, "out of memory at %s", w->pw_path);
			return -1;
		}
		policy_trace(w, "keep (hook)", repl);
		*out = repl;
		return 0;
	}
	err_set(err, "broken rule at %s", w->pw_path);
	return -1;
}

/*
 * Apply rule r of policy po to doc. ctx is what commitments are bound to:
 * NULL for a record or node, whose "id" is used, or the upstream path of
 * a native document. Returns 0 and sets *out to a new reference (NULL
 * when everything is dropped), or -1 with a reason: the caller must then
 * show nothing, never a partial result. trace, if set, is told the fate
 * of every field. A document with commitments gets "_sd_alg" at its top.
 */
int
policy_apply(struct policy *po, const struct policy_rule *r, const json_t *doc,
    const char *ctx, json_t **out, policy_trace_fn trace, void *arg, char *err)
{
	struct policy_walk	 w;

	w.pw_policy = po;
	w.pw_ctx = ctx != NULL ? ctx :
	    json_string_value(json_object_get(doc, "id"));
	w.pw_ncommits = 0;
	w.pw_path[0] = '\0';
	w.pw_len = 0;
	w.pw_trace = trace;
	w.pw_arg = arg;
	if (policy_walk(&w, r, doc, out, err) == -1) {
		*out = NULL;
		return -1;
	}
	if (w.pw_ncommits > 0 && json_is_object(*out) &&
	    json_object_set_new(*out, "_sd_alg", json_string("sha-256")) ==
	    -1) {
		json_decref(*out);
		*out = NULL;
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}
