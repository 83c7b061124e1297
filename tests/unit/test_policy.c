/*
 * test_policy.c: policies (policy.c) and their Lua sandbox (sandbox.c).
 * Policies are written as Lua text to a scratch directory, loaded with
 * policy_load() as the daemon does, and applied to JSON documents; the
 * output is compared exactly, in compact form with sorted keys.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"
#include "tap.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
#define INJECT_MAX	200000	/* allocation failure points tried at most */

static char	 scratch[PATH_MAX];
static char	 policy_file[PATH_MAX + 16];

static int
contains(const char *s, const char *want)
{
	return s != NULL && strstr(s, want) != NULL;
}

/* tap_ok that shows the string searched when it fails. */
static int
check_contains(const char *got, const char *want, const char *what)
{
	if (!tap_ok(contains(got, want), "%s", what)) {
		tap_diag("got:  %s", got != NULL ? got : "(null)");
		tap_diag("want: ...%s...", want);
		return 0;
	}
	return 1;
}

static void
write_text(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, strlen(text), f) != strlen(text) ||
	    fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static struct policy *
load_limits(const char *text, size_t mem, uint64_t budget, char *err)
{
	err[0] = '\0';
	write_text(policy_file, text);
	return policy_load(policy_file, &plugin_proxmox, mem, budget, err);
}

static struct policy *
load(const char *text, char *err)
{
	return load_limits(text, POLICY_MEMORY, POLICY_INSTRUCTIONS, err);
}

/* A policy that must load; a failed check and a diagnostic if not. */
static struct policy *
load_ok(const char *text, const char *what)
{
	struct policy	*po;
	char		 err[ERR_MAX];

	po = load(text, err);
	if (!tap_ok(po != NULL, "loads: %s", what))
		tap_diag("%s", err);
	return po;
}

/* A policy that must not load, with an error holding want. */
static void
load_fails(const char *text, const char *want, const char *what)
{
	struct policy	*po;
	char		 err[ERR_MAX], label[256];

	po = load(text, err);
	snprintf(label, sizeof(label), "refused: %s", what);
	if (!tap_ok(po == NULL, "%s", label)) {
		policy_free(po);
		return;
	}
	snprintf(label, sizeof(label), "error names it: %s", what);
	check_contains(err, want, label);
	snprintf(label, sizeof(label), "error names the file: %s", what);
	check_contains(err, policy_file, label);
}

static char *
dump(const json_t *j)
{
	return j != NULL ? json_dumps(j, DUMP_FLAGS) : strdup("(nothing)");
}

/*
 * Apply rule r of po to doc (JSON text); the result as text, "(nothing)"
 * when everything was dropped, or "error: reason". Caller frees.
 */
static char *
apply_text(struct policy *po, const struct policy_rule *r, const char *doc)
{
	json_t		*in, *out = NULL;
	json_error_t	 jerr;
	char		 err[ERR_MAX] = "", *before, *after, *s;
	size_t		 len;
	int		 rc;

	if ((in = json_loads(doc, JSON_DECODE_ANY, &jerr)) == NULL) {
		tap_diag("bad test document: %s", jerr.text);
		return strdup("error: bad test document");
	}
	before = dump(in);
	rc = policy_apply(po, r, in, NULL, &out, NULL, NULL, err);
	after = dump(in);
	if (strcmp(before, after) != 0)
		tap_diag("the input document changed: %s", after);
	if (rc == -1) {
		if (out != NULL)
			tap_diag("an error, yet output: partial result");
		len = strlen(err) + 16;
		s = malloc(len);
		snprintf(s, len, "error: %s%s", err, out != NULL ?
		    " (AND OUTPUT)" : "");
	} else
		s = dump(out);
	json_decref(out);
	json_decref(in);
	free(before);
	free(after);
	return s;
}

static void
check_apply(struct policy *po, const struct policy_rule *r, const char *doc,
    const char *want, const char *what)
{
	char	*got = apply_text(po, r, doc);

	tap_str(got, want, what);
	free(got);
}

/* Applying fails: an error holding want, and no output at all. */
static void
check_apply_error(struct policy *po, const struct policy_rule *r,
    const char *doc, const char *want, const char *what)
{
	json_t		*in, *out = (json_t *)1;
	char		 err[ERR_MAX] = "";
	int		 rc;

	in = json_loads(doc, JSON_DECODE_ANY, NULL);
	rc = policy_apply(po, r, in, NULL, &out, NULL, NULL, err);
	if (!tap_ok(rc == -1 && out == NULL, "fails, no output: %s", what)) {
		if (rc == 0) {
			char	*s = dump(out);

			tap_diag("got output %s", s);
			free(s);
			json_decref(out);
		}
	}
	check_contains(err, want, what);
	json_decref(in);
}

/* ---- loading ---- */

static void
test_load_errors(void)
{
	struct policy	*po;
	char		 err[ERR_MAX];

	po = policy_load("/nonexistent/policy.lua", &plugin_proxmox,
	    POLICY_MEMORY, POLICY_INSTRUCTIONS, err);
	tap_ok(po == NULL, "a missing file does not load");
	check_contains(err, "/nonexistent/policy.lua", "its error names it");

	load_fails("return {\n  record = { id = \"keep\" ]\n}\n",
	    "policy.lua:2:", "a syntax error, with its line");
	load_fails("return 5\n", "must end with \"return { ... }\"",
	    "a policy that does not return a table");
	load_fails("x = 1\n", "must end with \"return { ... }\"",
	    "a policy that returns nothing");
	load_fails("return { records = { id = \"keep\" } }\n",
	    "unknown section \"records\"", "an unknown section");
	load_fails("return { node = { id = \"keep\" } }\n",
	    "no \"record\" section", "no record section");
	load_fails("return { version = 2, record = {} }\n",
	    "version must be 1", "version 2");
	load_fails("return { version = \"1\", record = {} }\n",
	    "version must be 1", "version as a string");
	load_fails("return { description = 5, record = {} }\n",
	    "description must be a string", "a description that is a number");

	/* Unknown actions: named, with their key path. */
	load_fails("return { record = { id = \"keep\", owner = \"reveal\" } }\n",
	    "record.owner: unknown action \"reveal\" (known: keep, drop, "
	    "commit, pseudonym)", "action \"reveal\"");
	load_fails("return { record = { interfaces = { mac = \"foo\" } } }\n",
	    "record.interfaces.mac: unknown action \"foo\"",
	    "action \"foo\", nested");
	load_fails("return { record = { a = { b = { c = { d = \"hash\" "
	    "} } } } }\n", "record.a.b.c.d: unknown action \"hash\"",
	    "action \"hash\", deeply nested");
	load_fails("return { record = { id = \"keep\" },\n"
	    "  node = { name = \"Keep\" } }\n",
	    "node.name: unknown action \"Keep\"", "actions are case-sensitive");
	load_fails("return { record = { [\"*\"] = \"encrypt\" } }\n",
	    "record.*: unknown action \"encrypt\"", "an unknown action for \"*\"");
	load_fails("return { record = \"foo\" }\n",
	    "record: unknown action \"foo\"", "an unknown action for a section");
	load_fails("return { record = {}, native = {\n"
	    "  [\"/version\"] = { data = { version = \"mask\" } } } }\n",
	    "native[\"/version\"].data.version: unknown action \"mask\"",
	    "an unknown action in a native rule");

	/* Rules of the wrong kind. */
	load_fails("return { record = { id = 5 } }\n",
	    "record.id: a rule is an action name, a table of rules or a "
	    "function", "a number as a rule");
	load_fails("return { record = { id = true } }\n",
	    "record.id: a rule is an action name", "a boolean as a rule");
	load_fails("return { record = { id = { \"keep\" } } }\n",
	    "record.id: a list of actions may only hold \"commit\" and "
	    "\"pseudonym\"", "a list of actions other than commit, pseudonym");
	load_fails("return { record = { id = { \"commit\", \"commit\" } } }\n",
	    "record.id: an action is listed twice", "an action listed twice");
	load_fails("return { record = { id = { \"commit\", 5 } } }\n",
	    "record.id: a list of actions may only hold", "a number in a list");
	load_fails("return { record = { \"keep\", id = \"keep\" } }\n",
	    "table mixes list items and named keys", "a mixed table");
	load_fails("return { record = { [1.5] = \"keep\" } }\n",
	    "table keys must be names or list positions", "a number key");
	load_fails("return { record = { [\"$hook\"] = 1 } }\n",
	    "the key \"$hook\" is reserved", "the reserved key $hook");
	load_fails("local t = {}\nt.a = t\nreturn { record = t }\n",
	    "nested deeper than 32 levels", "a table that holds itself");
	load_fails("return { record = { id = 0/0 } }\n",
	    "record.id: number is not finite", "NaN in a policy");
	load_fails("return { record = { [\"\\xff\"] = \"keep\" } }\n",
	    "not valid UTF-8", "a key that is not UTF-8");
	load_fails("return { record = {}, native = \"keep\" }\n",
	    "native must be a table of endpoint rules", "native as an action");

	/* Native keys are the plugin's endpoint patterns, nothing else. */
	load_fails("return { record = {}, native = {\n"
	    "  [\"/access/ticket\"] = { data = \"keep\" } } }\n",
	    "native[\"/access/ticket\"]: not an endpoint the proxmox plugin "
	    "allows", "native /access/ticket");
	load_fails("return { record = {}, native = {\n"
	    "  [\"/nodes/{node}/qemu/{vmid}/vncproxy\"] = \"keep\" } }\n",
	    "not an endpoint the proxmox plugin allows", "native vncproxy");
	load_fails("return { record = {}, native = {\n"
	    "  [\"/nodes/pve1/status\"] = \"keep\" } }\n",
	    "native[\"/nodes/pve1/status\"]: not an endpoint",
	    "a concrete path instead of a pattern");
	load_fails("return { record = {}, native = {\n"
	    "  [\"/version/\"] = \"keep\" } }\n",
	    "native[\"/version/\"]: not an endpoint", "a pattern with a /");
	load_fails("return { record = {}, native = {\n"
	    "  [\"/storage\"] = \"keep\" } }\n",
	    "native[\"/storage\"]: not an endpoint", "native /storage");
}

static void
test_load_native(void)
{
	struct buf	 b;
	struct policy	*po;
	const char	*e;
	char		*text, err[ERR_MAX];
	size_t		 i, n = 0, found = 0;

	buf_init(&b);
	buf_addstr(&b, "return { record = {}, native = {\n");
	for (i = 0; (e = plugin_proxmox.pl_endpoint(i)) != NULL; i++) {
		buf_printf(&b, "  [\"%s\"] = { data = \"keep\" },\n", e);
		n++;
	}
	buf_addstr(&b, "} }\n");
	text = buf_take(&b, NULL);
	po = load(text, err);
	free(text);
	if (!tap_ok(po != NULL, "every endpoint of the plugin is a native key"))
		tap_diag("%s", err);
	if (po == NULL)
		return;
	tap_int(po->po_nnative, n, "one native rule per endpoint");
	for (i = 0; (e = plugin_proxmox.pl_endpoint(i)) != NULL; i++)
		found += policy_native(po, e) != NULL;
	tap_int(found, n, "policy_native finds each");
	tap_ok(policy_native(po, "/access/ticket") == NULL,
	    "policy_native: none for another path");
	tap_ok(policy_native(po, "/nodes/pve1/status") == NULL,
	    "policy_native: patterns, not paths");
	policy_free(po);

	po = load_ok("return { record = {}, native = {} }\n",
	    "an empty native section");
	if (po != NULL) {
		tap_ok(po->po_nnative == 0 && policy_native(po, "/version") ==
		    NULL, "an empty native section covers nothing");
		policy_free(po);
	}
	po = load_ok("return { record = {} }\n", "no native section");
	if (po != NULL) {
		tap_ok(policy_native(po, "/version") == NULL,
		    "no native section covers nothing");
		check_apply(po, &po->po_node, "{\"name\":\"pve1\"}",
		    "(nothing)", "no node section: nodes show nothing");
		policy_free(po);
	}
}

static void
test_digest(void)
{
	struct policy	*po;

	po = load_ok("-- digest test\nreturn { record = { id = \"keep\" } }\n",
	    "the digest policy");
	if (po == NULL)
		return;
	tap_str(po->po_digest, "bf800a8006ad23b1cca25cb0f2b98a86d608f90d34d82de"
	    "1ef3d82b74fa6f385", "the digest is the SHA-256 of the file");
	tap_str(po->po_path, policy_file, "the policy knows its path");
	policy_free(po);
	po = load_ok("-- digest test!\nreturn { record = { id = \"keep\" } }\n",
	    "a policy differing in a comment");
	if (po == NULL)
		return;
	tap_str(po->po_digest, "161a4c6ee1b134e5aff0faa649e2d993f3b730396c41c34"
	    "bc3b7c40d97e6e72e", "a comment changes the digest");
	policy_free(po);
}

/* ---- applying ---- */

static void
test_apply(void)
{
	struct policy	*po;

	po = load_ok("return {\n"
	    "  record = {\n"
	    "    id = \"keep\", owner = \"drop\", tags = \"drop\",\n"
	    "    interfaces = { mac = \"keep\", ips = \"keep\" },\n"
	    "    disks = { storage = \"keep\", volume = \"keep\" },\n"
	    "    meta = { inner = { deep = \"keep\" }, flat = \"keep\" },\n"
	    "    empty = {},\n"
	    "    whole = \"keep\",\n"
	    "  },\n"
	    "  node = { [\"*\"] = \"keep\", secret = \"drop\",\n"
	    "    nested = { [\"*\"] = { a = \"keep\" }, b = \"keep\" } },\n"
	    "}\n", "keep, drop, nested tables and \"*\"");
	if (po == NULL)
		return;
	check_apply(po, &po->po_record,
	    "{\"id\":\"pve/100\",\"owner\":\"alice\",\"name\":\"web\"}",
	    "{\"id\":\"pve/100\"}", "keep is kept, drop and unnamed are dropped");
	check_apply(po, &po->po_record, "{\"owner\":\"alice\",\"x\":1}",
	    "{}", "nothing named: an empty object");
	check_apply(po, &po->po_record,
	    "{\"interfaces\":[{\"mac\":\"bc:24:11:00:00:01\",\"ips\":"
	    "[\"203.0.113.5/24\"],\"bridge\":\"vmbr0\"},{\"mac\":"
	    "\"bc:24:11:00:00:02\",\"secret\":\"x\"}]}",
	    "{\"interfaces\":[{\"ips\":[\"203.0.113.5/24\"],\"mac\":"
	    "\"bc:24:11:00:00:01\"},{\"mac\":\"bc:24:11:00:00:02\"}]}",
	    "a table of rules applies to each element of a list");
	check_apply(po, &po->po_record,
	    "{\"interfaces\":[[{\"mac\":\"m\",\"x\":1}],[]]}",
	    "{\"interfaces\":[[{\"mac\":\"m\"}],[]]}",
	    "and to lists within lists");
	check_apply(po, &po->po_record,
	    "{\"interfaces\":[\"a\",1,null,{\"mac\":\"m\"}]}",
	    "{\"interfaces\":[{\"mac\":\"m\"}]}",
	    "scalars in a list ruled by a table are dropped");
	check_apply(po, &po->po_record, "{\"disks\":\"local-lvm\"}", "{}",
	    "a scalar ruled by a table is dropped");
	check_apply(po, &po->po_record, "{\"disks\":null}", "{}",
	    "null ruled by a table is dropped");
	check_apply(po, &po->po_record,
	    "{\"meta\":{\"inner\":{\"deep\":[1,{\"x\":2}],\"shallow\":3},"
	    "\"flat\":{\"any\":[true,false,null]},\"other\":4}}",
	    "{\"meta\":{\"flat\":{\"any\":[true,false,null]},\"inner\":"
	    "{\"deep\":[1,{\"x\":2}]}}}",
	    "nested objects: keep copies a whole subtree");
	check_apply(po, &po->po_record, "{\"empty\":{\"a\":1},\"x\":2}",
	    "{\"empty\":{}}", "an empty table of rules keeps an empty object");
	check_apply(po, &po->po_record, "{\"empty\":[{\"a\":1},2]}",
	    "{\"empty\":[{}]}", "an empty table of rules on a list");
	check_apply(po, &po->po_record,
	    "{\"whole\":{\"a\":[1,2.5,\"\\u00e9\\u20ac\",null,true,false,"
	    "9007199254740993,-1]}}",
	    "{\"whole\":{\"a\":[1,2.5,\"\xc3\xa9\xe2\x82\xac\",null,true,false,"
	    "9007199254740993,-1]}}",
	    "keep preserves every JSON type exactly");
	check_apply(po, &po->po_record, "[{\"id\":1,\"x\":2},{\"owner\":3}]",
	    "[{\"id\":1},{}]", "a document that is a list");
	check_apply(po, &po->po_record, "\"text\"", "(nothing)",
	    "a document that is a scalar shows nothing");
	check_apply(po, &po->po_node,
	    "{\"name\":\"pve1\",\"secret\":\"s\",\"cpu\":64,\"list\":[1]}",
	    "{\"cpu\":64,\"list\":[1],\"name\":\"pve1\"}",
	    "\"*\" keeps every field not named; a named drop wins");
	check_apply(po, &po->po_node,
	    "{\"nested\":{\"b\":{\"z\":1},\"c\":{\"a\":1,\"z\":2},"
	    "\"d\":[{\"a\":2,\"y\":0}],\"e\":5}}",
	    "{\"nested\":{\"b\":{\"z\":1},\"c\":{\"a\":1},\"d\":[{\"a\":2}]}}",
	    "\"*\" with a table of rules, beside a named field");
	policy_free(po);

	po = load_ok("return { record = \"drop\", node = \"keep\" }\n",
	    "whole sections as actions");
	if (po == NULL)
		return;
	check_apply(po, &po->po_record, "{\"id\":1}", "(nothing)",
	    "a section that drops shows nothing");
	check_apply(po, &po->po_node, "{\"b\":[1,{\"c\":null}],\"a\":1}",
	    "{\"a\":1,\"b\":[1,{\"c\":null}]}",
	    "a section that keeps shows everything");
	policy_free(po);
}

struct trace {
	struct buf	 tr_buf;
};

static void
trace_cb(void *arg, const char *path, const char *action, const json_t *v)
{
	struct trace	*t = arg;

	buf_printf(&t->tr_buf, "%s=%s;", path, action);
}

static void
test_trace(void)
{
	struct policy	*po;
	struct trace	 t;
	json_t		*in, *out = NULL;
	char		 err[ERR_MAX];
	char		*s;

	po = load_ok("return { record = { a = \"keep\", b = { c = \"drop\" },\n"
	    "  l = { x = \"keep\" } } }\n", "a policy to trace");
	if (po == NULL)
		return;
	in = json_loads("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":4,"
	    "\"l\":[{\"x\":1,\"y\":2}]}", 0, NULL);
	buf_init(&t.tr_buf);
	tap_int(policy_apply(po, &po->po_record, in, NULL, &out, trace_cb, &t, err),
	    0, "applies with a trace");
	s = buf_take(&t.tr_buf, NULL);
	tap_str(s, "a=keep;b.c=drop;b.d=drop (not named);e=drop (not named);"
	    "l[0].x=keep;l[0].y=drop (not named);",
	    "the trace tells the fate of every field, by path");
	free(s);
	json_decref(out);
	json_decref(in);
	policy_free(po);
}

/* ---- hooks ---- */

static void
test_hooks(void)
{
	struct policy	*po;

	po = load_ok("local function upper(v) return \"keep\", v:upper() end\n"
	    "return { record = {\n"
	    "  name = upper,\n"
	    "  gone = function(v) return \"drop\" end,\n"
	    "  same = function(v) return \"keep\" end,\n"
	    "  path = function(v, p) return \"keep\", p end,\n"
	    "  l = { x = function(v, p) return \"keep\", p end },\n"
	    "  o = { p = { q = function(v, p) return \"keep\", p end } },\n"
	    "  isnil = function(v) return \"keep\", v == nil end,\n"
	    "  count = function(v) return \"keep\", { n = #v.list,\n"
	    "    first = v.list[1], kind = type(v) } end,\n"
	    "  strip = function(v) v.secret = nil return \"keep\", v end,\n"
	    "  list = function(v) return \"keep\", { v, { v } } end,\n"
	    "  num = function(v) return \"keep\", v * 2 end,\n"
	    "  str = function(v) return \"keep\", string.format(\"%s-%d\",\n"
	    "    table.concat({ \"a\", \"b\" }, \",\"), math.floor(2.5)) end,\n"
	    "  u8 = function(v) return \"keep\", utf8.char(233) end,\n"
	    "}, native = {\n"
	    "  [\"/version\"] = function(v) return \"keep\", { data = {\n"
	    "    version = v.data.version } } end,\n"
	    "} }\n", "hooks");
	if (po == NULL)
		return;
	check_apply(po, &po->po_record, "{\"name\":\"alice\",\"other\":1}",
	    "{\"name\":\"ALICE\"}", "a hook replaces a value");
	check_apply(po, &po->po_record, "{\"gone\":\"x\",\"same\":{\"a\":[1]}}",
	    "{\"same\":{\"a\":[1]}}", "a hook drops, or keeps as it is");
	check_apply(po, &po->po_record, "{\"path\":1,\"o\":{\"p\":{\"q\":0}}}",
	    "{\"o\":{\"p\":{\"q\":\"o.p.q\"}},\"path\":\"path\"}",
	    "a hook is told the field's path");
	check_apply(po, &po->po_record, "{\"l\":[{\"x\":0},{\"x\":0}]}",
	    "{\"l\":[{\"x\":\"l[0].x\"},{\"x\":\"l[1].x\"}]}",
	    "a hook in a list is told the element's index");
	check_apply(po, &po->po_record, "{\"isnil\":null}", "{\"isnil\":true}",
	    "null reaches a hook as nil");
	check_apply(po, &po->po_record, "{\"count\":{\"list\":[\"a\",\"b\"]}}",
	    "{\"count\":{\"first\":\"a\",\"kind\":\"table\",\"n\":2}}",
	    "objects and lists reach a hook as tables");
	check_apply(po, &po->po_record,
	    "{\"strip\":{\"secret\":\"s\",\"keep\":1}}",
	    "{\"strip\":{\"keep\":1}}", "a hook returns a changed table");
	check_apply(po, &po->po_record, "{\"list\":\"v\"}",
	    "{\"list\":[\"v\",[\"v\"]]}", "a hook returns a nested list");
	check_apply(po, &po->po_record, "{\"num\":21,\"str\":0,\"u8\":0}",
	    "{\"num\":42,\"str\":\"a,b-2\",\"u8\":\"\xc3\xa9\"}",
	    "hooks have string, table, math and utf8");
	check_apply(po, policy_native(po, "/version"),
	    "{\"data\":{\"version\":\"8.2.4\",\"repoid\":\"x\"}}",
	    "{\"data\":{\"version\":\"8.2.4\"}}", "a hook as a native rule");
	policy_free(po);

	po = load_ok("return { record = function(v)\n"
	    "  return \"keep\", { id = v.id, n = v.n + 1 } end }\n",
	    "a hook for the whole record");
	if (po != NULL) {
		check_apply(po, &po->po_record,
		    "{\"id\":\"pve/1\",\"n\":1,\"owner\":\"x\"}",
		    "{\"id\":\"pve/1\",\"n\":2}", "a hook for a whole record");
		policy_free(po);
	}
}

static void
test_hook_errors(void)
{
	struct policy	*po;

	po = load_ok("return { record = {\n"
	    "  a = \"keep\",\n"
	    "  boom = function(v) error(\"boom\") end,\n"
	    "  obj = function(v) error({}) end,\n"
	    "  commit = function(v) return \"commit\", v end,\n"
	    "  none = function(v) end,\n"
	    "  number = function(v) return 1 end,\n"
	    "  long = function(v) return \"keepkeepkeepkeepkeep\" end,\n"
	    "  loop = function(v) while true do end end,\n"
	    "  escape = function(v)\n"
	    "    while true do pcall(function() while true do end end) end\n"
	    "  end,\n"
	    "  work = function(v) local s = 0\n"
	    "    for i = 1, 50000 do s = s + i end return \"keep\", s end,\n"
	    "} }\n", "hooks that fail");
	if (po == NULL)
		return;
	check_apply_error(po, &po->po_record, "{\"a\":1,\"boom\":1,\"z\":2}",
	    "boom", "a hook raises an error");
	check_apply_error(po, &po->po_record, "{\"a\":1,\"boom\":1}",
	    "hook at boom: ", "its error names the field");
	check_apply_error(po, &po->po_record, "{\"obj\":1}",
	    "error object is a table value", "a hook raises a table");
	check_apply_error(po, &po->po_record, "{\"commit\":1}",
	    "hook at commit returned action \"commit\"; a hook may keep or "
	    "drop", "a hook may not commit (its value is not the record's)");
	check_apply_error(po, &po->po_record, "{\"none\":1}",
	    "hook returned a nil instead of an action name",
	    "a hook returns nothing");
	check_apply_error(po, &po->po_record, "{\"number\":1}",
	    "hook returned a number instead of an action name",
	    "a hook returns a number");
	check_apply_error(po, &po->po_record, "{\"long\":1}",
	    "unknown action", "a hook returns a long action name");
	check_apply_error(po, &po->po_record, "{\"a\":1,\"loop\":1}",
	    "instruction budget of 1000000 exceeded",
	    "a hook that loops forever hits the instruction budget");
	check_apply_error(po, &po->po_record, "{\"escape\":1}",
	    "instruction budget of 1000000 exceeded",
	    "a hook that catches the budget error with pcall still stops");
	check_apply(po, &po->po_record, "{\"a\":[1,{\"b\":2}],\"work\":0}",
	    "{\"a\":[1,{\"b\":2}],\"work\":1250025000}",
	    "a hook of 200000 instructions runs after a budget error");
	policy_free(po);

	/* Memory: a cap small enough to reach within the budget. */
	po = load_limits("return { record = {\n"
	    "  grow = function(v) local t = {}\n"
	    "    while true do t[#t + 1] = string.rep(\"x\", 4096) .. #t end\n"
	    "  end,\n"
	    "  big = function(v) return \"keep\", string.rep(\"x\", 1 << 26) end,\n"
	    "  ok = function(v) return \"keep\", v end,\n"
	    "} }\n", 4 * 1024 * 1024, 100000000, (char[ERR_MAX]){ 0 });
	if (tap_ok(po != NULL, "loads with a 4 MB cap")) {
		check_apply_error(po, &po->po_record, "{\"grow\":1}",
		    "not enough memory",
		    "a hook that allocates without end hits the memory cap");
		check_apply_error(po, &po->po_record, "{\"big\":1}",
		    "not enough memory", "a hook asking for 64 MB at once");
		tap_ok(sandbox_memory(po->po_sb) < 4 * 1024 * 1024,
		    "memory stays under the cap (%zu bytes)",
		    sandbox_memory(po->po_sb));
		check_apply(po, &po->po_record, "{\"ok\":[1,2]}",
		    "{\"ok\":[1,2]}", "the sandbox works after running out");
		policy_free(po);
	}

	po = load("local n = 0\nreturn { record = {\n"
	    "  a = \"keep\",\n"
	    "  fn = function(v) return \"keep\", type end,\n"
	    "  nan = function(v) return \"keep\", 0/0 end,\n"
	    "  bytes = function(v) return \"keep\", \"\\xff\\xfe\" end,\n"
	    "  deep = function(v) return \"keep\", v end,\n"
	    "  os = function(v) return \"keep\", os.time() end,\n"
	    "  io = function(v) return \"keep\", io.read() end,\n"
	    "  l = { x = function(v) if v == 2 then error(\"two\") end\n"
	    "    return \"keep\", v end },\n"
	    "  fine = function(v) n = n + 1 return \"keep\", n end,\n"
	    "} }\n", (char[ERR_MAX]){ 0 });
	if (!tap_ok(po != NULL, "loads: more hooks that fail"))
		return;
	check_apply_error(po, &po->po_record, "{\"fn\":1}",
	    "hook result: a function value is not allowed here",
	    "a hook returns a function");
	check_apply_error(po, &po->po_record, "{\"nan\":1}",
	    "hook result: number is not finite", "a hook returns NaN");
	check_apply_error(po, &po->po_record, "{\"bytes\":1}",
	    "hook result: string is not valid UTF-8 text",
	    "a hook returns bytes that are not UTF-8");
	check_apply_error(po, &po->po_record,
	    "{\"deep\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]}", "nested deeper than 32 levels",
	    "a value too deep for a hook");
	check_apply_error(po, &po->po_record, "{\"os\":1}",
	    "attempt to index a nil value (global 'os')",
	    "a hook cannot reach os");
	check_apply_error(po, &po->po_record, "{\"io\":1}",
	    "attempt to index a nil value (global 'io')",
	    "a hook cannot reach io");
	check_apply_error(po, &po->po_record,
	    "{\"a\":0,\"l\":[{\"x\":1},{\"x\":2},{\"x\":3}]}",
	    "hook at l[1].x: ", "an error in a list element: no partial list");
	check_apply(po, &po->po_record, "{\"a\":0,\"fine\":0}",
	    "{\"a\":0,\"fine\":1}", "the policy still works after errors");
	policy_free(po);
}

/*
 * Lua patterns run in C, where no instruction is counted: the sandbox
 * refuses a pattern whose worst case on the value is too costly. Run in
 * a child with an alarm, so that a regression shows as a failed check
 * instead of a hung test.
 */
static void
test_hook_pattern_budget(void)
{
	struct policy	*po;
	json_t		*in, *out = NULL;
	char		 err[ERR_MAX] = "";
	pid_t		 pid;
	int		 status, rc;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		tap_ok(0, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		alarm(2);
		po = load("return { record = { a = function(v)\n"
		    "  return \"keep\", tostring(string.rep(\"a\", 5000):find(\n"
		    "    \".-.-.-.-.-.-b\")) end } }\n", err);
		if (po == NULL)
			_exit(3);
		in = json_pack("{si}", "a", 1);
		rc = policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
		    err);
		_exit(rc == -1 && out == NULL && contains(err, "too costly") ?
		    0 : 1);
	}
	if (waitpid(pid, &status, 0) == -1)
		status = -1;
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a hook backtracking in a Lua pattern is refused as too costly, "
	    "within 2 s");
	if (WIFSIGNALED(status))
		tap_diag("the child was killed by signal %d",
		    WTERMSIG(status));
}

/* Cheap patterns on long values still work: anchored, plain, simple. */
static void
test_hook_pattern_cheap(void)
{
	struct policy	*po;
	char		 err[ERR_MAX] = "", want[128];
	json_t		*in;
	char		*big;

	po = load("return { record = { d = function(v)\n"
	    "  local a = v:match(\"^owner:%s*(%S+)\")\n"
	    "  local b = v:find(\".-.-.-b\", 1, true)\n"
	    "  local c = select(2, v:gsub(\"x\", \"\"))\n"
	    "  return \"keep\", a .. \",\" .. tostring(b) .. \",\" .. c\n"
	    "end } }\n", err);
	if (!tap_ok(po != NULL, "a policy using string patterns loads"))
		tap_diag("%s", err);
	if (po == NULL)
		return;
	if ((big = malloc(5001)) == NULL)
		exit(1);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	memcpy(big, "owner:  alice ", 14);
	in = json_pack("{ss}", "d", big);
	snprintf(want, sizeof(want), "{\"d\":\"alice,nil,%d\"}", 5000 - 14);
	free(big);
	big = json_dumps(in, JSON_COMPACT);
	check_apply(po, &po->po_record, big, want,
	    "anchored, plain and single-item patterns work on 5000 bytes");
	json_decref(in);
	free(big);
	policy_free(po);
}

/* ---- limits at load time ---- */

static void
test_load_limits(void)
{
	struct policy	*po;
	char		 err[ERR_MAX];

	load_fails("while true do end\nreturn { record = {} }\n",
	    "instruction budget of 1000000 exceeded", "a policy that loops");
	load_fails("while true do pcall(function() while true do end end) end\n"
	    "return { record = {} }\n", "instruction budget of 1000000 exceeded",
	    "a policy that catches the budget error");
	po = load_limits("local t = {}\nfor i = 1, 1e9 do t[i] = i end\n"
	    "return { record = {} }\n", 2 * 1024 * 1024, 1000000000, err);
	tap_ok(po == NULL, "a policy that allocates without end is refused");
	check_contains(err, "not enough memory", "by the memory cap");
	policy_free(po);
	po = load_limits("local s = string.rep(\"x\", 8 * 1024 * 1024)\n"
	    "return { record = {} }\n", 2 * 1024 * 1024, 1000000000, err);
	tap_ok(po == NULL, "a policy making one large string is refused");
	check_contains(err, "not enough memory", "by the memory cap, too");
	policy_free(po);
	po = load_limits("for i = 1, 2000 do end\nreturn { record = {} }\n",
	    POLICY_MEMORY, 1000, err);
	tap_ok(po == NULL, "a policy over a small budget is refused");
	check_contains(err, "instruction budget of 1000 exceeded",
	    "naming the budget");
	policy_free(po);
}

/* ---- the sandbox ---- */

static void
test_sandbox_globals(void)
{
	static const char *const denied[] = {
		"io", "os", "require", "load", "loadfile", "dofile", "debug",
		"package", "print", "collectgarbage", "string.dump",
		"math.random", "math.randomseed", "_G.io", "_ENV.os",
		"rawget(_G, \"require\")", "getmetatable(\"\").__index.dump",
		"coroutine", NULL
	};
	static const char *const allowed[] = {
		"string.format", "string.rep", "table.concat", "table.sort",
		"math.floor", "utf8.char", "pairs", "ipairs", "tostring",
		"tonumber", "type", "pcall", "error", "select", "next",
		"setmetatable", NULL
	};
	struct policy	*po;
	char		 text[512], err[ERR_MAX];
	size_t		 i, bad = 0;

	for (i = 0; denied[i] != NULL; i++) {
		snprintf(text, sizeof(text), "if %s ~= nil then "
		    "error(\"reachable\") end\nreturn { record = {} }\n",
		    denied[i]);
		if ((po = load(text, err)) == NULL) {
			tap_diag("%s: %s", denied[i], err);
			bad++;
		}
		policy_free(po);
	}
	tap_int(bad, 0, "a policy reaches no io, os, require, load, loadfile, "
	    "dofile, debug, package, print, collectgarbage, string.dump, "
	    "math.random or coroutine");
	for (bad = 0, i = 0; allowed[i] != NULL; i++) {
		snprintf(text, sizeof(text), "if %s == nil then "
		    "error(\"missing\") end\nreturn { record = {} }\n",
		    allowed[i]);
		if ((po = load(text, err)) == NULL) {
			tap_diag("%s: %s", allowed[i], err);
			bad++;
		}
		policy_free(po);
	}
	tap_int(bad, 0, "a policy has the safe parts of base, string, table, "
	    "math and utf8");
	load_fails("local f = io.open(\"/etc/passwd\")\nreturn { record = {} }\n",
	    "attempt to index a nil value (global 'io')", "io.open");
	load_fails("os.execute(\"true\")\nreturn { record = {} }\n",
	    "attempt to index a nil value (global 'os')", "os.execute");
	load_fails("require(\"os\")\nreturn { record = {} }\n",
	    "attempt to call a nil value (global 'require')", "require");
	load_fails("dofile(\"/etc/passwd\")\nreturn { record = {} }\n",
	    "attempt to call a nil value (global 'dofile')", "dofile");
	load_fails("load(\"return 1\")\nreturn { record = {} }\n",
	    "attempt to call a nil value (global 'load')", "load");
	load_fails("debug.sethook()\nreturn { record = {} }\n",
	    "attempt to index a nil value (global 'debug')", "debug.sethook");
}

static json_t *
run_text(struct sandbox *sb, const char *text, char *err)
{
	return sandbox_run(sb, "conf", text, strlen(text), err);
}

static void
test_sandbox_direct(void)
{
	struct sandbox	*sb;
	json_t		*j;
	char		 err[ERR_MAX];
	char		*s;
	static const char bin[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";

	sb = sandbox_new(SANDBOX_POLICY, POLICY_MEMORY, POLICY_INSTRUCTIONS,
	    err);
	if (!tap_ok(sb != NULL, "a policy sandbox"))
		return;
	j = sandbox_run(sb, "bin", bin, sizeof(bin) - 1, err);
	tap_ok(j == NULL, "a binary chunk is refused");
	check_contains(err, "binary", "saying it is binary");
	json_decref(j);
	sandbox_free(sb);

	sb = sandbox_new(SANDBOX_DATA, POLICY_MEMORY, POLICY_INSTRUCTIONS, err);
	if (!tap_ok(sb != NULL, "a data sandbox"))
		return;
	j = run_text(sb, "a = 1\nb = { c = \"x\", d = { 1, 2 } }\n", err);
	s = dump(j);
	tap_str(s, "{\"a\":1,\"b\":{\"c\":\"x\",\"d\":[1,2]}}",
	    "a data chunk gives its globals");
	free(s);
	json_decref(j);
	j = run_text(sb, "x = type\ny = string\n", err);
	s = dump(j);
	tap_str(s, "[]", "a data chunk sees no library at all");
	free(s);
	json_decref(j);
	j = run_text(sb, "x = (\"a\"):upper()\n", err);
	tap_ok(j == NULL, "not even through the string metatable");
	json_decref(j);
	j = run_text(sb, "f = function() end\n", err);
	tap_ok(j == NULL, "a data chunk holds no functions");
	check_contains(err, "f: a function value is not allowed here",
	    "saying where");
	json_decref(j);
	sandbox_free(sb);
}

/* ---- allocation failures ---- */

/*
 * dump() with each {"$hook":N} as "hook": hook numbers depend on the order
 * Lua walks a table, which its per-state hash seed decides.
 */
static char *
dump_unhooked(const json_t *j)
{
	char	*s = dump(j), *p, *q;

	while ((p = strstr(s, "{\"$hook\":")) != NULL) {
		q = p + strlen("{\"$hook\":");
		q += strspn(q, "0123456789");
		if (*q != '}')
			break;
		memcpy(p, "\"hook\"", 6);
		memmove(p + 6, q + 1, strlen(q + 1) + 1);
	}
	return s;
}

static const char inject_policy[] =
    "local function up(v) return \"keep\", string.upper(v) end\n"
    "local t = {}\n"
    "for i = 0, 31 do t[\"net\" .. i] = \"keep\" end\n"
    "return {\n"
    "  version = 1, description = \"failure injection\",\n"
    "  record = { id = \"keep\", name = up,\n"
    "    interfaces = { mac = \"keep\", ips = \"keep\" },\n"
    "    tags = function(v) local o = {}\n"
    "      for i, x in ipairs(v) do o[i] = x .. \"!\" end\n"
    "      return \"keep\", o end,\n"
    "    cfg = t },\n"
    "  native = { [\"/version\"] = { data = { version = \"keep\" } } },\n"
    "}\n";

static void
test_inject_load(void)
{
	struct sandbox	*sb;
	json_t		*j;
	char		 err[ERR_MAX];
	char		*want = NULL, *got;
	long		 n;
	size_t		 failed = 0, unclear = 0;

	/* The result without failures. */
	if ((sb = sandbox_new(SANDBOX_POLICY, POLICY_MEMORY,
	    POLICY_INSTRUCTIONS, err)) == NULL ||
	    (j = sandbox_run(sb, "inject.lua", inject_policy,
	    sizeof(inject_policy) - 1, err)) == NULL) {
		tap_ok(0, "the failure injection policy runs: %s", err);
		sandbox_free(sb);
		return;
	}
	want = dump_unhooked(j);
	json_decref(j);
	sandbox_free(sb);

	for (n = 0; n < INJECT_MAX; n++) {
		if ((sb = sandbox_new(SANDBOX_POLICY, POLICY_MEMORY,
		    POLICY_INSTRUCTIONS, err)) == NULL)
			break;
		sandbox_fail_after(sb, n);
		err[0] = '\0';
		j = sandbox_run(sb, "inject.lua", inject_policy,
		    sizeof(inject_policy) - 1, err);
		sandbox_free(sb);
		if (j == NULL) {
			failed++;
			if (err[0] == '\0' && unclear++ == 0)
				tap_diag("failure %ld: no reason", n);
			continue;
		}
		/*
		 * The first run that succeeds made all its allocations;
		 * Lua may also have survived a failure by collecting.
		 */
		got = dump_unhooked(j);
		json_decref(j);
		if (strcmp(got, want) != 0) {
			tap_diag("failure %ld: wrong result %s", n, got);
			unclear++;
		}
		free(got);
		break;
	}
	tap_ok(failed > 10, "a load fails at each of its %zu allocation "
	    "points", failed);
	tap_int(unclear, 0, "every failure is a clean error, none a crash");
	tap_ok(n < INJECT_MAX, "past the last allocation the load succeeds");

	/*
	 * One sandbox through many failures stays usable. (Hook numbers
	 * differ in a sandbox that ran before: compare hook-free text.)
	 */
	sb = sandbox_new(SANDBOX_POLICY, POLICY_MEMORY, POLICY_INSTRUCTIONS,
	    err);
	for (n = 0; n < 2000; n += 7) {
		sandbox_fail_after(sb, n);
		json_decref(sandbox_run(sb, "inject.lua", inject_policy,
		    sizeof(inject_policy) - 1, err));
	}
	sandbox_fail_after(sb, -1);
	j = run_text(sb, "local t = {}\nfor i = 1, 3 do t[i] = i * i end\n"
	    "return { record = t }\n", err);
	got = dump(j);
	tap_str(got, "{\"record\":[1,4,9]}",
	    "a sandbox that ran out of memory works afterwards");
	free(got);
	json_decref(j);
	sandbox_free(sb);
	free(want);
}

static void
test_inject_apply(void)
{
	struct policy	*po;
	json_t		*in, *out;
	char		 err[ERR_MAX];
	char		*got;
	const char	*want = "{\"id\":\"pve/1\",\"interfaces\":[{\"mac\":"
	    "\"m\"}],\"name\":\"ALICE\",\"tags\":[\"a!\",\"b!\"]}";
	long		 n;
	size_t		 failed = 0, bad = 0;
	int		 rc;

	po = load_ok(inject_policy, "the failure injection policy");
	if (po == NULL)
		return;
	in = json_loads("{\"id\":\"pve/1\",\"name\":\"alice\",\"owner\":\"x\","
	    "\"interfaces\":[{\"mac\":\"m\",\"bridge\":\"b\"}],"
	    "\"tags\":[\"a\",\"b\"]}", 0, NULL);
	for (n = 0; n < INJECT_MAX; n++) {
		sandbox_fail_after(po->po_sb, n);
		out = NULL;
		err[0] = '\0';
		rc = policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
		    err);
		sandbox_fail_after(po->po_sb, -1);
		if (rc == -1) {
			failed++;
			if (out != NULL || err[0] == '\0') {
				tap_diag("failure %ld: output %p, error \"%s\"",
				    n, (void *)out, err);
				bad++;
			}
			continue;
		}
		got = dump(out);
		json_decref(out);
		if (strcmp(got, want) != 0) {
			tap_diag("failure %ld: wrong result %s", n, got);
			bad++;
		}
		free(got);
		break;
	}
	tap_ok(failed > 0, "hooks fail at each of %zu allocation points",
	    failed);
	tap_int(bad, 0, "each failure is an error with no output");
	got = apply_text(po, &po->po_record, "{\"id\":\"pve/1\",\"name\":"
	    "\"alice\",\"interfaces\":[{\"mac\":\"m\"}],\"tags\":[\"a\",\"b\"]}");
	tap_str(got, want, "and the policy works afterwards");
	free(got);
	json_decref(in);
	policy_free(po);
}

/* ---- the default policy ---- */

static void
test_default_policy(void)
{
	struct policy	*po;
	const char	*top = getenv("top_srcdir"), *e;
	char		 path[PATH_MAX], err[ERR_MAX];
	size_t		 i, missing = 0;

	snprintf(path, sizeof(path), "%s/policies/proxmox.lua",
	    top != NULL ? top : ".");
	po = policy_load(path, &plugin_proxmox, POLICY_MEMORY,
	    POLICY_INSTRUCTIONS, err);
	if (!tap_ok(po != NULL, "policies/proxmox.lua loads")) {
		tap_diag("%s", err);
		return;
	}
	for (i = 0; (e = plugin_proxmox.pl_endpoint(i)) != NULL; i++)
		if (policy_native(po, e) == NULL) {
			tap_diag("no rule for %s", e);
			missing++;
		}
	tap_int(missing, 0, "it has a rule for every native endpoint");
	/* Identity is committed (test_commit.c checks the digests). */
	{
		uint8_t		 secret[KEYS_SECRET_LEN] = { 0 };
		struct keys	*k = keys_from_secret(secret);
		json_t		*in, *out;
		char		*s;

		po->po_keys = k;
		in = json_loads("{\"id\":\"pve/100\",\"owner\":\"cust-alice\","
		    "\"hostname\":\"h.example\",\"name\":\"web-x\","
		    "\"notes\":\"note-x\",\"tags\":[\"tag-x\"],\"secret\":1}", 0,
		    NULL);
		tap_int(policy_apply(po, &po->po_record, in, NULL, &out, NULL,
		    NULL, err), 0, "its record rule applies");
		s = dump(out);
		tap_ok(s != NULL && strstr(s, "alice") == NULL &&
		    strstr(s, "h.example") == NULL && strstr(s, "web-x") ==
		    NULL && strstr(s, "note-x") == NULL && strstr(s, "tag-x") ==
		    NULL && strstr(s, "secret") == NULL,
		    "its record rule shows no customer identity and no secret");
		tap_int(json_array_size(json_object_get(out, "_sd")), 5,
		    "owner, hostname, name, notes and tags are committed");
		tap_ok(json_is_string(json_object_get(out, "owner_ps")),
		    "the owner has a pseudonym");
		free(s);
		json_decref(in);
		json_decref(out);
		keys_free(k);
	}
	policy_free(po);
}

static void
cleanup(void)
{
	unlink(policy_file);
	rmdir(scratch);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(scratch, sizeof(scratch), "%s/test_policy.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(scratch) == NULL) {
		perror(scratch);
		return 2;
	}
	snprintf(policy_file, sizeof(policy_file), "%s/policy.lua", scratch);
	atexit(cleanup);
	log_init(0);

	test_load_errors();
	test_load_native();
	test_digest();
	test_apply();
	test_trace();
	test_hooks();
	test_hook_errors();
	test_hook_pattern_budget();
	test_hook_pattern_cheap();
	test_load_limits();
	test_sandbox_globals();
	test_sandbox_direct();
	test_inject_load();
	test_inject_apply();
	test_default_policy();
	return tap_done();
}
