/*
 * sandbox.c: the only file that speaks the Lua C API. A sandbox is one
 * lua_State with a capped allocator and an instruction budget; every call
 * into Lua goes through sandbox_pcall(). Two kinds exist: data sandboxes
 * (configuration files: no library at all) and policy sandboxes (the safe
 * parts of base, string, table, math and utf8). Lua values leave as json_t;
 * in a policy, a function becomes a hook reference {"$hook": N}.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "sightline.h"

#define SANDBOX_HOOK_STEP	1000	/* instructions between budget checks */
#define SANDBOX_MAX_DEPTH	32	/* nesting of tables and of json values */
#define SANDBOX_PATH_MAX	256
/*
 * Lua's pattern matcher runs in C, where the instruction budget cannot
 * stop it, and backtracks: each repetition item (*, +, -, a back
 * reference) can multiply the work by the subject's length, and so can
 * an unanchored start. A match whose bound (length+1)^(items+1) exceeds
 * this is refused before it starts.
 */
#define SANDBOX_PATTERN_STEPS	1e8

struct sandbox {
	lua_State	*sb_L;
	int		 sb_mode;
	size_t		 sb_mem;	/* bytes allocated now */
	size_t		 sb_memmax;
	long		 sb_failafter;	/* tests: fail after n more allocations */
	uint64_t	 sb_budget;	/* instructions per call */
	uint64_t	 sb_used;
	int		*sb_hooks;	/* registry references handed out */
	size_t		 sb_nhooks;
};

/* Base functions a policy must not reach: code loading, output, GC control. */
static const char *const sandbox_denied[] = {
	"dofile", "loadfile", "load", "require", "print", "collectgarbage",
	NULL
};

static void *
sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sandbox	*sb = ud;
	size_t		 old = ptr != NULL ? osize : 0;
	void		*p;

	if (nsize == 0) {
		free(ptr);
		sb->sb_mem -= old;
		return NULL;
	}
	if (nsize > old && sb->sb_mem + (nsize - old) > sb->sb_memmax)
		return NULL;
	if (sb->sb_failafter == 0 && nsize > old)
		return NULL;
	if (sb->sb_failafter > 0)
		sb->sb_failafter--;
	if ((p = realloc(ptr, nsize)) == NULL)
		return NULL;
	sb->sb_mem = sb->sb_mem - old + nsize;
	return p;
}

static void
sandbox_count(lua_State *L, lua_Debug *ar)
{
	struct sandbox	*sb;

	lua_getallocf(L, (void **)&sb);
	sb->sb_used += SANDBOX_HOOK_STEP;
	if (sb->sb_used > sb->sb_budget) {
		/*
		 * Fail at every instruction from now on, so that code which
		 * catches the error with pcall cannot run on.
		 */
		lua_sethook(L, sandbox_count, LUA_MASKCOUNT, 1);
		/* lua_pushfstring knows %I, not %llu. */
		luaL_error(L, "instruction budget of %I exceeded",
		    (lua_Integer)sb->sb_budget);
	}
}

/* Message handler: the error text plus a traceback. */
static int
sandbox_msgh(lua_State *L)
{
	const char	*msg = lua_tostring(L, 1);

	if (msg == NULL)
		msg = lua_pushfstring(L, "(error object is a %s value)",
		    luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/*
 * Call the function below nargs arguments on the stack, in protected mode
 * and within the instruction budget. Stack: [fn args...] → [results...] on
 * success, [] on failure. Returns 0, or -1 with the first line of the error.
 */
static int
sandbox_pcall(struct sandbox *sb, int nargs, int nresults, char *err)
{
	lua_State	*L = sb->sb_L;
	const char	*msg;
	int		 base = lua_gettop(L) - nargs;

	if (!lua_checkstack(L, 2)) {
		lua_settop(L, base - 1);
		err_set(err, "Lua stack exhausted");
		return -1;
	}
	lua_pushcfunction(L, sandbox_msgh);		/* [fn args... h] */
	lua_insert(L, base);				/* [h fn args...] */
	sb->sb_used = 0;
	lua_sethook(L, sandbox_count, LUA_MASKCOUNT, SANDBOX_HOOK_STEP);
	if (lua_pcall(L, nargs, nresults, base) != LUA_OK) {
		msg = lua_tostring(L, -1);
		if (msg == NULL)
			msg = "memory exhausted while reporting an error";
		log_debug("lua: %s", msg);
		err_set(err, "%.*s", (int)strcspn(msg, "\n"), msg);
		lua_settop(L, base - 1);
		return -1;
	}
	lua_remove(L, base);				/* [results...] */
	return 0;
}

/*
 * How many factors of the subject's length a Lua pattern may cost:
 * one per repetition item or back reference, one more when it is not
 * anchored (the matcher then tries every start).
 */
static int
sandbox_pattern_factors(const char *p, size_t len, int anchorable)
{
	size_t	 i = 0;
	int	 n = 1;

	if (anchorable && len > 0 && p[0] == '^') {
		n = 0;
		i = 1;
	}
	while (i < len) {
		switch (p[i]) {
		case '%':
			if (i + 1 < len && p[i + 1] >= '0' && p[i + 1] <= '9')
				n++;
			i += 2;
			break;
		case '[':	/* a set: skip it, "]" first is a member */
			i++;
			if (i < len && p[i] == '^')
				i++;
			if (i < len && p[i] == ']')
				i++;
			while (i < len && p[i] != ']')
				i += p[i] == '%' ? 2 : 1;
			i++;
			break;
		case '*':
		case '+':
		case '-':
			n++;
			i++;
			break;
		default:
			i++;
		}
	}
	return n;
}

/*
 * string.find, match, gmatch and gsub, guarded: refuse a pattern whose
 * worst case over this subject exceeds SANDBOX_PATTERN_STEPS, then call
 * the library's function (upvalue 1) with the same arguments.
 */
static int
sandbox_pattern_guard(lua_State *L)
{
	size_t		 slen, plen;
	const char	*p;
	double		 cost;
	int		 anchorable, factors, i;

	(void)luaL_checklstring(L, 1, &slen);
	p = luaL_checklstring(L, 2, &plen);
	/* string.find(s, p, init, plain): a plain search is linear. */
	if (lua_toboolean(L, lua_upvalueindex(2)) && lua_toboolean(L, 4))
		goto call;
	anchorable = lua_toboolean(L, lua_upvalueindex(3));
	factors = sandbox_pattern_factors(p, plen, anchorable);
	for (cost = 1, i = 0; i < factors; i++)
		cost *= (double)slen + 1;
	if (cost > SANDBOX_PATTERN_STEPS)
		return luaL_error(L, "pattern \"%s\" is too costly on a value "
		    "of %I bytes (%d repetitions or unanchored starts; anchor "
		    "it with ^, simplify it, or use string.find with plain)",
		    p, (lua_Integer)slen, factors);
call:
	lua_pushvalue(L, lua_upvalueindex(1));		/* [args... fn] */
	lua_insert(L, 1);				/* [fn args...] */
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);	/* [results...] */
	return lua_gettop(L);
}

/*
 * Make err name the file: Lua's syntax and run-time errors do
 * ("file:line: ..."), binary-chunk and memory errors do not.
 */
static void
sandbox_name_error(char *err, const char *name)
{
	if (err != NULL && strncmp(err, name, strlen(name)) != 0)
		err_prefix(err, "%s: ", name);
}

/* Runs inside sandbox_pcall: open the safe libraries (no arguments). */
static int
sandbox_openlibs(lua_State *L)
{
	static const luaL_Reg	 libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ NULL, NULL }
	};
	/* gmatch ignores a leading ^: it must try every start. */
	static const struct {
		const char	*name;
		int		 find, anchorable;
	} guarded[] = {
		{ "find", 1, 1 }, { "match", 0, 1 }, { "gmatch", 0, 0 },
		{ "gsub", 0, 1 }, { NULL, 0, 0 }
	};
	const luaL_Reg		*l;
	size_t			 i;

	for (l = libs; l->name != NULL; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);				/* [G] */
	for (i = 0; sandbox_denied[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, sandbox_denied[i]);
	}
	/* Hooks are pure: no randomness, no bytecode. */
	lua_getfield(L, -1, "math");			/* [G math] */
	lua_pushnil(L);
	lua_setfield(L, -2, "random");
	lua_pushnil(L);
	lua_setfield(L, -2, "randomseed");
	lua_getfield(L, -2, "string");			/* [G math string] */
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	for (i = 0; guarded[i].name != NULL; i++) {
		lua_getfield(L, -1, guarded[i].name);	/* [G m s fn] */
		lua_pushboolean(L, guarded[i].find);	/* [G m s fn b] */
		lua_pushboolean(L, guarded[i].anchorable);
		lua_pushcclosure(L, sandbox_pattern_guard, 3);	/* [G m s g] */
		lua_setfield(L, -2, guarded[i].name);	/* [G m s] */
	}
	lua_pop(L, 3);
	return 0;
}

/*
 * A new sandbox. mode is SANDBOX_DATA or SANDBOX_POLICY; memmax caps its
 * memory, budget the instructions of each call. Returns NULL with a reason.
 * Free with sandbox_free().
 */
struct sandbox *
sandbox_new(int mode, size_t memmax, uint64_t budget, char *err)
{
	struct sandbox	*sb;

	if ((sb = calloc(1, sizeof(*sb))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	sb->sb_mode = mode;
	sb->sb_memmax = memmax;
	sb->sb_budget = budget;
	sb->sb_failafter = -1;
	if ((sb->sb_L = lua_newstate(sandbox_alloc, sb)) == NULL) {
		err_set(err, "cannot create a Lua state within %zu bytes",
		    memmax);
		free(sb);
		return NULL;
	}
	lua_sethook(sb->sb_L, sandbox_count, LUA_MASKCOUNT, SANDBOX_HOOK_STEP);
	if (mode == SANDBOX_POLICY) {
		lua_pushcfunction(sb->sb_L, sandbox_openlibs);
		if (sandbox_pcall(sb, 0, 0, err) == -1) {
			sandbox_free(sb);
			return NULL;
		}
	}
	return sb;
}

void
sandbox_free(struct sandbox *sb)
{
	if (sb == NULL)
		return;
	lua_close(sb->sb_L);
	free(sb->sb_hooks);
	free(sb);
}

/* Tests: make the allocator refuse to grow after n more allocations. */
void
sandbox_fail_after(struct sandbox *sb, long n)
{
	sb->sb_failafter = n;
}

size_t
sandbox_memory(const struct sandbox *sb)
{
	return sb->sb_mem;
}

static void
path_key(char *path, size_t len, const char *parent, const char *key)
{
	if (parent[0] == '\0')
		snprintf(path, len, "%s", key);
	else
		snprintf(path, len, "%s.%s", parent, key);
}

static json_t	*sandbox_tojson(struct sandbox *, int, int, const char *,
		    char *);

/* Runs inside sandbox_pcall: [fn] → [registry reference] */
static int
sandbox_ref(lua_State *L)
{
	lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
	return 1;
}

/*
 * A Lua table as a JSON array (keys exactly 1..n) or object (string keys
 * only). An empty table becomes an empty array; readers that want an object
 * accept an empty array too. Table at idx (absolute).
 */
static json_t *
sandbox_table(struct sandbox *sb, int idx, int depth, const char *path,
    char *err)
{
	lua_State	*L = sb->sb_L;
	char		 sub[SANDBOX_PATH_MAX];
	json_t		*out = NULL, *v;
	lua_Integer	 n = 0, i;
	size_t		 nstr = 0, nint = 0, klen;
	const char	*k;

	/* [k v], then [ref fn] when v is a function (sandbox_tojson). */
	if (!lua_checkstack(L, 4)) {
		err_set(err, "%s: Lua stack exhausted", path);
		return NULL;
	}
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {			/* [k v] */
		if (lua_type(L, -2) == LUA_TSTRING)
			nstr++;
		else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1) {
			nint++;
			if (lua_tointeger(L, -2) > n)
				n = lua_tointeger(L, -2);
		} else {
			lua_pop(L, 2);
			err_set(err, "%s: table keys must be names or list "
			    "positions", path[0] ? path : "(top)");
			return NULL;
		}
		lua_pop(L, 1);				/* [k] */
	}
	if (nstr > 0 && nint > 0) {
		err_set(err, "%s: table mixes list items and named keys",
		    path[0] ? path : "(top)");
		return NULL;
	}
	if (nstr == 0) {
		if ((lua_Integer)nint != n) {
			err_set(err, "%s: list has holes", path);
			return NULL;
		}
		if ((out = json_array()) == NULL)
			goto oom;
		for (i = 1; i <= n; i++) {
			snprintf(sub, sizeof(sub), "%s[%lld]", path,
			    (long long)i);
			lua_rawgeti(L, idx, i);			/* [v] */
			v = sandbox_tojson(sb, lua_gettop(L), depth + 1, sub,
			    err);
			lua_pop(L, 1);
			if (v == NULL || json_array_append_new(out, v) == -1)
				goto fail;
		}
		return out;
	}
	if ((out = json_object()) == NULL)
		goto oom;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {			/* [k v] */
		k = lua_tolstring(L, -2, &klen);
		path_key(sub, sizeof(sub), path, k);
		if (strlen(k) != klen || !utf8_valid(k, klen)) {
			err_set(err, "%s: key is not valid UTF-8 text", sub);
			lua_pop(L, 2);
			goto fail;
		}
		if (sb->sb_mode == SANDBOX_POLICY && strcmp(k, "$hook") == 0) {
			err_set(err, "%s: the key \"$hook\" is reserved", sub);
			lua_pop(L, 2);
			goto fail;
		}
		v = sandbox_tojson(sb, lua_gettop(L), depth + 1, sub, err);
		lua_pop(L, 1);				/* [k] */
		if (v == NULL)
			goto fail_key;
		if (json_object_set_new(out, k, v) == -1)
			goto oom_key;
	}
	return out;
oom_key:
	err_set(err, "%s: out of memory", path);
fail_key:
	lua_pop(L, 1);
	goto fail;
oom:
	err_set(err, "%s: out of memory", path);
fail:
	json_decref(out);
	return NULL;
}

/*
 * The Lua value at idx (absolute) as a new json_t, or NULL with a reason
 * naming the key path.
 */
static json_t *
sandbox_tojson(struct sandbox *sb, int idx, int depth, const char *path,
    char *err)
{
	lua_State	*L = sb->sb_L;
	const char	*s;
	lua_Number	 d;
	size_t		 len;
	json_t		*v;
	int		 ref;
	int		*hooks;

	if (depth > SANDBOX_MAX_DEPTH) {
		err_set(err, "%s: nested deeper than %d levels", path,
		    SANDBOX_MAX_DEPTH);
		return NULL;
	}
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		d = lua_tonumber(L, idx);
		if (!isfinite(d)) {
			err_set(err, "%s: number is not finite", path);
			return NULL;
		}
		return json_real(d);
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if ((v = json_stringn(s, len)) == NULL)
			err_set(err, "%s: string is not valid UTF-8 text",
			    path);
		return v;
	case LUA_TTABLE:
		return sandbox_table(sb, idx, depth, path, err);
	case LUA_TFUNCTION:
		if (sb->sb_mode != SANDBOX_POLICY)
			break;
		hooks = reallocarray(sb->sb_hooks, sb->sb_nhooks + 1,
		    sizeof(*hooks));
		if (hooks == NULL) {
			err_set(err, "%s: out of memory", path);
			return NULL;
		}
		sb->sb_hooks = hooks;
		lua_pushcfunction(L, sandbox_ref);
		lua_pushvalue(L, idx);			/* [ref fn] */
		if (sandbox_pcall(sb, 1, 1, err) == -1) {
			err_prefix(err, "%s: ", path);
			return NULL;
		}
		ref = (int)lua_tointeger(L, -1);
		lua_pop(L, 1);
		sb->sb_hooks[sb->sb_nhooks++] = ref;
		return json_pack("{sI}", "$hook", (json_int_t)ref);
	default:
		break;
	}
	err_set(err, "%s: a %s value is not allowed here", path,
	    luaL_typename(L, idx));
	return NULL;
}

/*
 * Runs inside sandbox_pcall: [chunk isdata] → [result]. A data chunk runs
 * in a fresh, empty environment, which is its result; a policy chunk runs
 * with the safe globals and its result is what it returns.
 */
static int
sandbox_chunk(lua_State *L)
{
	if (lua_toboolean(L, 2)) {
		lua_newtable(L);			/* [chunk isdata env] */
		lua_pushvalue(L, -1);
		if (lua_setupvalue(L, 1, 1) == NULL)	/* _ENV := env */
			lua_pop(L, 1);
		lua_pushvalue(L, 1);			/* [chunk isdata env chunk] */
		lua_call(L, 0, 0);			/* [chunk isdata env] */
		return 1;
	}
	lua_pushvalue(L, 1);
	lua_call(L, 0, 1);				/* [chunk isdata ret] */
	return 1;
}

/*
 * Run a Lua text chunk (binary chunks are refused); name is used in error
 * messages, normally the file path. A data sandbox runs it in an empty
 * environment and returns the globals it assigned; a policy sandbox
 * returns the value of its final "return". Either way a new json_t, or
 * NULL with "name:line: reason".
 */
json_t *
sandbox_run(struct sandbox *sb, const char *name, const char *buf, size_t len,
    char *err)
{
	lua_State	*L = sb->sb_L;
	char		 chunkname[PATH_MAX + 1];
	json_t		*out = NULL;
	int		 top = lua_gettop(L);

	/*
	 * Nothing that allocates Lua memory may run outside a protected
	 * call: an allocation failure there would abort the process.
	 */
	lua_pushcfunction(L, sandbox_chunk);		/* [runner] */
	snprintf(chunkname, sizeof(chunkname), "@%s", name);
	if (luaL_loadbufferx(L, buf, len, chunkname, "t") != LUA_OK) {
		err_set(err, "%s", lua_tostring(L, -1));
		sandbox_name_error(err, name);
		lua_settop(L, top);
		return NULL;
	}						/* [runner chunk] */
	lua_pushboolean(L, sb->sb_mode == SANDBOX_DATA);	/* [runner chunk b] */
	if (sandbox_pcall(sb, 2, 1, err) == -1) {
		sandbox_name_error(err, name);
		goto done;
	}
	if (sb->sb_mode == SANDBOX_POLICY && lua_type(L, -1) != LUA_TTABLE) {
		err_set(err, "%s: the policy must end with \"return { ... }\"",
		    name);
		goto done;
	}
	out = sandbox_tojson(sb, lua_gettop(L), 0, "", err);
	if (out == NULL)
		err_prefix(err, "%s: ", name);
done:
	lua_settop(L, top);
	return out;
}

json_t *
sandbox_run_file(struct sandbox *sb, const char *path, char *err)
{
	json_t	*out;
	char	*buf;
	size_t	 len;

	if ((buf = file_read(path, LUA_FILE_MAX, &len, err)) == NULL)
		return NULL;
	out = sandbox_run(sb, path, buf, len, err);
	free(buf);
	return out;
}

int
sandbox_hook_valid(const struct sandbox *sb, json_int_t ref)
{
	size_t	 i;

	for (i = 0; i < sb->sb_nhooks; i++)
		if (sb->sb_hooks[i] == ref)
			return 1;
	return 0;
}

/* Push a json value as Lua; null becomes nil. Raises Lua errors. */
static void
sandbox_push(lua_State *L, const json_t *v, int depth)
{
	const char	*k;
	json_t		*e;
	size_t		 i;

	if (depth > SANDBOX_MAX_DEPTH)
		luaL_error(L, "value nested deeper than %d levels",
		    SANDBOX_MAX_DEPTH);
	luaL_checkstack(L, 3, "value too deep");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(v));
		json_object_foreach((json_t *)v, k, e) {
			sandbox_push(L, e, depth + 1);
			lua_setfield(L, -2, k);
		}
		break;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(v), 0);
		json_array_foreach(v, i, e) {
			sandbox_push(L, e, depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(v));
		break;
	case JSON_NULL:
		lua_pushnil(L);
		break;
	}
}

/*
 * Runs inside sandbox_pcall: [fn value* path*] → [action newvalue], where
 * value and path are light userdata (a json_t and a C string), converted
 * here so that their allocations are protected.
 */
static int
sandbox_hook_trampoline(lua_State *L)
{
	const json_t	*v = lua_touserdata(L, 2);
	const char	*path = lua_touserdata(L, 3);

	lua_settop(L, 1);				/* [fn] */
	if (v == NULL)
		lua_pushnil(L);
	else
		sandbox_push(L, v, 0);			/* [fn value] */
	lua_pushstring(L, path);			/* [fn value path] */
	lua_call(L, 2, 2);
	return 2;
}

/*
 * Call hook ref with (value, path). The hook returns an action name and,
 * optionally, a replacement value. The action is copied into action; the
 * replacement, if any, is returned in *out as a new reference (else NULL).
 * Returns 0, or -1 with a reason (Lua error, budget, memory, bad result).
 */
int
sandbox_hook_call(struct sandbox *sb, int ref, const json_t *value,
    const char *path, char *action, size_t actionlen, json_t **out,
    char *err)
{
	lua_State	*L = sb->sb_L;
	const char	*a;
	int		 top = lua_gettop(L), rc = -1;

	*out = NULL;
	if (!lua_checkstack(L, 5)) {
		err_set(err, "Lua stack exhausted");
		return -1;
	}
	lua_pushcfunction(L, sandbox_hook_trampoline);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);		/* [t fn] */
	lua_pushlightuserdata(L, (void *)(uintptr_t)value);
	lua_pushlightuserdata(L, (void *)(uintptr_t)path);	/* [t fn v p] */
	if (sandbox_pcall(sb, 3, 2, err) == -1)
		goto done;				/* [action newvalue] */
	/* Check the type first: lua_tostring() turns a number into a string. */
	if (lua_type(L, -2) != LUA_TSTRING ||
	    (a = lua_tostring(L, -2)) == NULL) {
		err_set(err, "hook returned a %s instead of an action name",
		    luaL_typename(L, -2));
		goto done;
	}
	if (strlcpy(action, a, actionlen) >= actionlen) {
		err_set(err, "hook returned an unknown action");
		goto done;
	}
	if (!lua_isnil(L, -1)) {
		sb->sb_mode = SANDBOX_DATA;	/* no functions in values */
		*out = sandbox_tojson(sb, lua_gettop(L), 0, "hook result",
		    err);
		sb->sb_mode = SANDBOX_POLICY;
		if (*out == NULL)
			goto done;
	}
	rc = 0;
done:
	lua_settop(L, top);
	return rc;
}
