/*
 * api.c: the hoster API. Authentication, routing, and the answers:
 *
 *   /healthz                     liveness, no credential needed
 *   /metrics                     Prometheus text
 *   /v1/vps, /v1/vps/{id}        records of the current inventories
 *   /v1/lookup?ip=|mac=          the records holding an address
 *   /v1/nodes                    hypervisor nodes
 *   /native/{panel}/{api root}/  allow-listed native calls, live, redacted
 *   /api2/json/...               the same, when one Proxmox panel is set
 *
 * /v1 answers come from inventories built at refresh time; ?fresh=1 waits
 * for a refresh first. Requests that wait (for a refresh or a native call)
 * are "pending": they hold a reference to the state they started in.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sightline.h"

#define API_LOOKUP_MAX	64	/* records one lookup answer lists */
#define API_PARAM_MAX	256	/* a decoded query value */

struct api_pending {
	TAILQ_ENTRY(api_pending) ap_entry;
	struct front_req	*ap_fq;
	struct state		*ap_state;	/* a reference */
	int			 ap_waiting;	/* panels still refreshing */
	struct panel		*ap_panel;	/* native call */
	struct upstream_req	*ap_ureq;
	const char		*ap_endpoint;
	char			*ap_upath;	/* native: the upstream path */
};

struct api {
	struct state		*api_state;	/* the current one, a reference */
	TAILQ_HEAD(, api_pending) api_pending;
};

static struct api	 the_api = {
	NULL, TAILQ_HEAD_INITIALIZER(the_api.api_pending)
};

static void	api_v1(struct state *, struct front_req *, int);

/* ---- helpers ---- */

static int
api_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Percent-decode [s, s+len) into out. Returns 0, or -1 on a bad escape,
 * a NUL byte, or an overlong result.
 */
static int
api_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len ||
			    (hi = api_hex((unsigned char)s[i + 1])) == -1 ||
			    (lo = api_hex((unsigned char)s[i + 2])) == -1)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Check the query against the names allowed (NULL-terminated) and
 * decode the value of each into vals[i] (empty when absent). Returns 0,
 * or -1 after answering 400.
 */
static int
api_params(struct front_req *fq, const char *const *names,
    char vals[][API_PARAM_MAX])
{
	const char	*q = fq->fq_query, *amp, *eq;
	char		 name[64];
	size_t		 i, n;

	for (i = 0; names[i] != NULL; i++)
		vals[i][0] = '\0';
	while (q != NULL && *q != '\0') {
		amp = q + strcspn(q, "&");
		eq = memchr(q, '=', (size_t)(amp - q));
		n = (size_t)((eq != NULL ? eq : amp) - q);
		if (n == 0 || api_decode(q, n, name, sizeof(name)) == -1) {
			front_problem(fq, 400, "bad-query", "malformed query "
			    "parameter name");
			return -1;
		}
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], name) == 0)
				break;
		if (names[i] == NULL) {
			front_problem(fq, 400, "bad-query", "unknown query "
			    "parameter \"%s\" for %s", name, fq->fq_path);
			return -1;
		}
		if (vals[i][0] != '\0') {
			front_problem(fq, 400, "bad-query", "query parameter "
			    "\"%s\" given twice", name);
			return -1;
		}
		if (eq == NULL || api_decode(eq + 1, (size_t)(amp - eq - 1),
		    vals[i], API_PARAM_MAX) == -1 || vals[i][0] == '\0') {
			front_problem(fq, 400, "bad-query", "query parameter "
			    "\"%s\" needs a value", name);
			return -1;
		}
		q = *amp == '&' ? amp + 1 : amp;
	}
	return 0;
}

static struct api_pending *
api_pending_new(struct front_req *fq, struct state *st)
{
	struct api_pending	*ap;

	if ((ap = calloc(1, sizeof(*ap))) == NULL)
		return NULL;
	ap->ap_fq = fq;
	ap->ap_state = st;
	state_ref(st);
	TAILQ_INSERT_TAIL(&the_api.api_pending, ap, ap_entry);
	return ap;
}

static void
api_pending_free(struct api_pending *ap)
{
	TAILQ_REMOVE(&the_api.api_pending, ap, ap_entry);
	state_unref(ap->ap_state);
	free(ap->ap_upath);
	free(ap);
}

/* ---- authentication ---- */

/*
 * Who is asking. PVEAPIToken credentials count on native paths only.
 * Returns 0 with fq_hoster set, or -1 after answering 401.
 */
static int
api_auth(const struct state *st, struct front_req *fq, int native)
{
	struct auth_identity	 id;
	const char		*h = front_header(fq, "Authorization");
	char			 cn[256];

	memset(&id, 0, sizeof(id));
	if (h != NULL) {
		if (auth_bearer(st->st_conf, h, &id) == 0 ||
		    (native && auth_pve_token(st->st_conf, h, &id) == 0)) {
			fq->fq_hoster = id.ai_hoster->ho_name;
			return 0;
		}
		front_add_header(fq, "WWW-Authenticate",
		    "Bearer realm=\"sightline\"");
		if (!native && strncmp(h, "PVEAPIToken=", 12) == 0)
			front_problem(fq, 401, "unauthorized", "PVEAPIToken "
			    "credentials are accepted on native Proxmox paths "
			    "only; use Authorization: Bearer");
		else
			front_problem(fq, 401, "unauthorized", "the credential "
			    "in the Authorization header is not valid");
		return -1;
	}
	if (front_peer_cn(fq, cn, sizeof(cn)) == 0 &&
	    auth_cert(st->st_conf, cn, &id) == 0) {
		fq->fq_hoster = id.ai_hoster->ho_name;
		return 0;
	}
	front_add_header(fq, "WWW-Authenticate", "Bearer realm=\"sightline\"");
	front_problem(fq, 401, "unauthorized", "no credential: send "
	    "Authorization: Bearer <token> or a client certificate");
	return -1;
}

/* ---- /v1 ---- */

static void
api_iso8601(time_t t, char *out, size_t len)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * {"inventory": {...}, — the opening of every /v1 answer: which panels,
 * how old their inventories are, which policy redacted them.
 */
static void
api_inventory_head(const struct state *st, struct buf *b)
{
	const struct panel	*pa;
	const struct inventory	*inv;
	json_t			*panels = json_array(), *p, *inventory;
	time_t			 now = time(NULL);
	long long		 age, oldest = 0;
	char			 when[32];
	size_t			 i;

	for (i = 0; i < st->st_npanels; i++) {
		pa = st->st_panels[i];
		inv = pa->pa_inv;
		age = now - inv->inv_time;
		if (age > oldest)
			oldest = age;
		api_iso8601(inv->inv_time, when, sizeof(when));
		p = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:s}",
		    "name", pa->pa_conf->pc_name,
		    "plugin", pa->pa_plugin->pl_name,
		    "records", (json_int_t)inv->inv_nrecs,
		    "refreshed", when, "age_seconds", (json_int_t)age,
		    "refresh_ms", (json_int_t)llround(inv->inv_seconds * 1000),
		    "upstream_calls", (json_int_t)inv->inv_requests,
		    "policy_sha256", inv->inv_policy);
		if (p != NULL)
			json_object_set_new(p, "last_error",
			    pa->pa_last_error[0] != '\0' ?
			    json_string(pa->pa_last_error) : json_null());
		json_array_append_new(panels, p);
	}
	inventory = json_pack("{s:o, s:I}", "panels", panels, "age_seconds",
	    (json_int_t)oldest);
	buf_addstr(b, "{\"inventory\":");
	if (inventory == NULL)
		b->b_oom = 1;
	else
		buf_addjson(b, inventory);
	json_decref(inventory);
}

static void
api_send_json(struct front_req *fq, struct buf *b)
{
	char	*body;
	size_t	 len;

	if ((body = buf_take(b, &len)) == NULL) {
		front_problem(fq, 500, "internal", "out of memory while "
		    "building the answer");
		return;
	}
	front_reply(fq, 200, "application/json", body, len);
}

/* Every panel must have an inventory, or answers could be incomplete. */
static int
api_ready(const struct state *st, struct front_req *fq)
{
	const struct panel	*pa;
	size_t			 i;

	for (i = 0; i < st->st_npanels; i++) {
		pa = st->st_panels[i];
		if (pa->pa_inv != NULL)
			continue;
		front_add_header(fq, "Retry-After", "10");
		if (pa->pa_last_error[0] != '\0')
			front_problem(fq, 503, "no-inventory", "no inventory "
			    "of panel %s yet: %s", pa->pa_conf->pc_name,
			    pa->pa_last_error);
		else
			front_problem(fq, 503, "no-inventory", "no inventory "
			    "of panel %s yet: the first refresh is running",
			    pa->pa_conf->pc_name);
		return 0;
	}
	return 1;
}

/*
 * Sightline-Inventory, which the signature covers: the inventories an
 * answer comes from, as panel=time (when each refresh finished), e.g.
 * "pve=1795445699, vz=1795445712".
 */
static void
api_source(const struct state *st, struct front_req *fq)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < st->st_npanels; i++)
		buf_printf(&b, "%s%s=%lld", i > 0 ? ", " : "",
		    st->st_panels[i]->pa_conf->pc_name,
		    (long long)st->st_panels[i]->pa_inv->inv_time);
	buf_add(&b, "", 1);
	if (!b.b_oom && st->st_npanels > 0)
		front_add_header(fq, "Sightline-Inventory", b.b_data);
	buf_free(&b);
}

/* /v1/key: the verifier key that checks every answer's signature. */
static void
api_key(const struct state *st, struct front_req *fq)
{
	char	*body;

	if (asprintf(&body, "%s\n", st->st_conf->cf_keys->k_vkey) == -1) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	front_reply(fq, 200, "text/plain;charset=UTF-8", body, strlen(body));
}

static void
api_list(const struct state *st, struct front_req *fq)
{
	struct buf	 b;
	size_t		 i, j, n = 0;

	buf_init(&b);
	api_inventory_head(st, &b);
	buf_addstr(&b, ",\"records\":[");
	for (i = 0; i < st->st_npanels; i++) {
		const struct inventory	*inv = st->st_panels[i]->pa_inv;

		for (j = 0; j < inv->inv_nrecs; j++) {
			if (n++ > 0)
				buf_add(&b, ",", 1);
			buf_add(&b, inv->inv_recs[j].ir_json,
			    inv->inv_recs[j].ir_len);
		}
	}
	buf_addstr(&b, "]}");
	api_send_json(fq, &b);
}

static void
api_one(const struct state *st, struct front_req *fq, const char *rawid)
{
	const struct inv_record	*r = NULL;
	struct panel		*pa;
	char			 id[API_PARAM_MAX], name[PANEL_NAME_MAX + 1];
	struct buf		 b;
	size_t			 n;

	if (api_decode(rawid, strlen(rawid), id, sizeof(id)) == -1 ||
	    (n = strcspn(id, "/")) == 0 || n > PANEL_NAME_MAX ||
	    id[n] != '/') {
		front_problem(fq, 400, "bad-id", "a VPS id is PANEL/NATIVE_ID, "
		    "e.g. pve/100");
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)n, id);
	if ((pa = state_panel(st, name)) != NULL)
		r = inventory_find(pa->pa_inv, id);
	if (r == NULL) {
		front_problem(fq, 404, "no-such-vps", "no VPS has the id %s "
		    "in the current inventory", id);
		return;
	}
	buf_init(&b);
	api_inventory_head(st, &b);
	buf_addstr(&b, ",\"record\":");
	buf_add(&b, r->ir_json, r->ir_len);
	buf_addstr(&b, "}");
	api_send_json(fq, &b);
}

static void
api_lookup(const struct state *st, struct front_req *fq, const char *ip,
    const char *mac)
{
	const struct inv_record	*found[API_LOOKUP_MAX];
	enum inv_key		 kind;
	char			 key[ADDR_IP_LEN];
	json_t			*query;
	struct buf		 b;
	size_t			 i, j, n, total = 0;

	if ((ip[0] != '\0') == (mac[0] != '\0')) {
		front_problem(fq, 400, "bad-query", "give exactly one of ip= "
		    "and mac=");
		return;
	}
	if (ip[0] != '\0') {
		kind = INV_IP;
		if (addr_ip_canon(ip, key, sizeof(key), 0) == -1) {
			front_problem(fq, 400, "bad-address", "\"%s\" is not an "
			    "IPv4 or IPv6 address (no prefix length)", ip);
			return;
		}
	} else {
		kind = INV_MAC;
		if (addr_mac_canon(mac, key) == -1) {
			front_problem(fq, 400, "bad-address", "\"%s\" is not a "
			    "MAC address", mac);
			return;
		}
	}
	buf_init(&b);
	api_inventory_head(st, &b);
	query = json_pack("{s:s}", kind == INV_IP ? "ip" : "mac", key);
	buf_addstr(&b, ",\"query\":");
	buf_addjson(&b, query);
	json_decref(query);
	buf_addstr(&b, ",\"records\":[");
	for (i = 0; i < st->st_npanels; i++) {
		n = inventory_lookup(st->st_panels[i]->pa_inv, kind, key, found,
		    API_LOOKUP_MAX);
		for (j = 0; j < n && j < API_LOOKUP_MAX &&
		    total < API_LOOKUP_MAX; j++, total++) {
			if (total > 0)
				buf_add(&b, ",", 1);
			buf_add(&b, found[j]->ir_json, found[j]->ir_len);
		}
	}
	buf_addstr(&b, "]}");
	if (total == 0) {
		buf_free(&b);
		front_problem(fq, 404, "not-found", "no VPS in the current "
		    "inventory holds %s %s", kind == INV_IP ? "IP address" :
		    "MAC address", key);
		return;
	}
	api_send_json(fq, &b);
}

static void
api_nodes(const struct state *st, struct front_req *fq)
{
	struct buf	 b;
	size_t		 i, j, n = 0;
	json_t		*node;

	buf_init(&b);
	api_inventory_head(st, &b);
	buf_addstr(&b, ",\"nodes\":[");
	for (i = 0; i < st->st_npanels; i++)
		json_array_foreach(st->st_panels[i]->pa_inv->inv_nodes, j,
		    node) {
			if (n++ > 0)
				buf_add(&b, ",", 1);
			buf_addjson(&b, node);
		}
	buf_addstr(&b, "]}");
	api_send_json(fq, &b);
}

/* A refresh this request waited for is over. */
static void
api_refreshed(void *arg)
{
	struct api_pending	*ap = arg;
	const struct panel	*pa;
	struct front_req	*fq = ap->ap_fq;
	struct state		*st = ap->ap_state;
	size_t			 i;

	if (--ap->ap_waiting > 0)
		return;
	state_ref(st);
	api_pending_free(ap);
	for (i = 0; i < st->st_npanels; i++) {
		pa = st->st_panels[i];
		if (pa->pa_last_error[0] == '\0')
			continue;
		front_problem(fq, pa->pa_last_status != 0 ?
		    pa->pa_last_status : 502, pa->pa_last_status == 504 ?
		    "upstream-timeout" : "refresh-failed", "?fresh=1: the "
		    "refresh of panel %s failed (%s); without fresh=1 the last "
		    "good inventory is served", pa->pa_conf->pc_name,
		    pa->pa_last_error);
		state_unref(st);
		return;
	}
	api_v1(st, fq, 0);
	state_unref(st);
}

/* ?fresh=1: refresh every panel (joining refreshes in flight), then answer. */
static void
api_fresh(struct state *st, struct front_req *fq)
{
	struct api_pending	*ap;
	size_t			 i;

	if ((ap = api_pending_new(fq, st)) == NULL) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	ap->ap_waiting = 1;	/* held until every panel was asked */
	for (i = 0; i < st->st_npanels; i++)
		if (panel_refresh(st->st_panels[i], api_refreshed, ap) == 1)
			ap->ap_waiting++;
	api_refreshed(ap);
}

static void
api_v1(struct state *st, struct front_req *fq, int may_refresh)
{
	static const char *const p_fresh[] = { "fresh", NULL };
	static const char *const p_lookup[] = { "fresh", "ip", "mac", NULL };
	enum { V1_LIST, V1_ONE, V1_LOOKUP, V1_NODES, V1_KEY } route;
	char			 v[3][API_PARAM_MAX];
	const char		*path = fq->fq_path;

	/* Route first: an unknown path is 404, ready or not. */
	if (strcmp(path, "/v1/vps") == 0)
		route = V1_LIST;
	else if (strncmp(path, "/v1/vps/", 8) == 0 && path[8] != '\0')
		route = V1_ONE;
	else if (strcmp(path, "/v1/lookup") == 0)
		route = V1_LOOKUP;
	else if (strcmp(path, "/v1/nodes") == 0)
		route = V1_NODES;
	else if (strcmp(path, "/v1/key") == 0)
		route = V1_KEY;
	else {
		front_problem(fq, 404, "not-found", "no such endpoint: %s",
		    path);
		return;
	}
	if (api_params(fq, route == V1_LOOKUP ? p_lookup : p_fresh, v) == -1)
		return;
	if (v[0][0] != '\0' && strcmp(v[0], "1") != 0 &&
	    strcmp(v[0], "0") != 0) {
		front_problem(fq, 400, "bad-query", "fresh must be 1 or 0");
		return;
	}
	if (route == V1_KEY) {
		api_key(st, fq);
		return;
	}
	if (may_refresh && strcmp(v[0], "1") == 0) {
		api_fresh(st, fq);
		return;
	}
	if (!api_ready(st, fq))
		return;
	api_source(st, fq);
	switch (route) {
	case V1_LIST:
		api_list(st, fq);
		break;
	case V1_ONE:
		api_one(st, fq, path + 8);
		break;
	case V1_LOOKUP:
		api_lookup(st, fq, v[1], v[2]);
		break;
	case V1_NODES:
		api_nodes(st, fq);
		break;
	case V1_KEY:
		break;
	}
}

/* ---- native ---- */

static void
api_native_done(const struct upstream_reply *u, void *arg)
{
	struct api_pending		*ap = arg;
	struct front_req		*fq = ap->ap_fq;
	struct panel			*pa = ap->ap_panel;
	const struct policy_rule	*rule;
	struct reply			 r;
	json_t				*red = NULL;
	char				 err[ERR_MAX];
	char				*body;
	const char			*name = pa->pa_conf->pc_name;
	char				 source[PANEL_NAME_MAX + 8];
	size_t				 len;

	ap->ap_ureq = NULL;
	/* A native answer is the panel's, live, not an inventory's. */
	snprintf(source, sizeof(source), "%s=live", name);
	front_add_header(fq, "Sightline-Inventory", source);
	reply_parse(pa->pa_plugin, u, &r);
	switch (r.rp_kind) {
	case REPLY_JSON:
		rule = policy_native(pa->pa_policy, ap->ap_endpoint);
		/* Commitments in a native answer bind to its call. */
		if (policy_apply(pa->pa_policy, rule, r.rp_json, ap->ap_upath,
		    &red, NULL, NULL, err) == -1) {
			metrics_policy_error(name);
			log_warnx("%s: policy %s on %s: %s", name,
			    pa->pa_policy->po_path, ap->ap_endpoint, err);
			/* err may quote a value: the log has it, not the
			 * answer. */
			front_problem(fq, 500, "policy-error", "the policy of "
			    "panel %s failed on %s; nothing is shown (the "
			    "reason is in sightlined's log)", name,
			    ap->ap_endpoint);
			break;
		}
		len = 2;
		body = red != NULL ? canon_dump(red, &len, err) :
		    strdup("{}");
		json_decref(red);
		if (body == NULL)
			front_problem(fq, 500, "not-canonical", "the answer of "
			    "panel %s to %s has no canonical form: %s", name,
			    ap->ap_endpoint, err);
		else
			front_reply(fq, 200, "application/json;charset=UTF-8",
			    body, len);
		break;
	case REPLY_TRANSPORT:
		if (r.rp_error == UPSTREAM_TIMEOUT)
			front_problem(fq, 504, "upstream-timeout", "panel %s: %s "
			    "(timeout %g s)", name, r.rp_why,
			    pa->pa_conf->pc_timeout);
		else
			front_problem(fq, 502, "upstream-failed", "panel %s: %s",
			    name, r.rp_why);
		break;
	case REPLY_REFUSED:
		front_problem(fq, 502, "upstream-refused", "panel %s: %s",
		    name, r.rp_why);
		break;
	case REPLY_STATUS:
		front_problem(fq, 502, "upstream-status", "panel %s: %s",
		    name, r.rp_why);
		break;
	case REPLY_HTML:
		front_problem(fq, 502, "upstream-html", "panel %s: %s", name,
		    r.rp_why);
		break;
	case REPLY_NOTJSON:
		front_problem(fq, 502, "upstream-not-json", "panel %s: %s",
		    name, r.rp_why);
		break;
	}
	reply_clear(&r);
	api_pending_free(ap);
}

/* rest: the path below /native/{panel} (or the whole path at the root). */
static void
api_native(struct state *st, struct front_req *fq, struct panel *pa,
    const char *rest)
{
	const char		*root = pa->pa_plugin->pl_api_root;
	struct native_route	 nr;
	struct api_pending	*ap;
	char			 err[ERR_MAX];
	size_t			 n = strlen(root);

	if (strncmp(rest, root, n) != 0 || rest[n] != '/') {
		front_problem(fq, 404, "not-found", "native calls of panel %s "
		    "live under /native/%s%s/", pa->pa_conf->pc_name,
		    pa->pa_conf->pc_name, root);
		return;
	}
	if (pa->pa_plugin->pl_native_route(rest + n, fq->fq_query, &nr,
	    err) == -1) {
		front_problem(fq, 403, "not-allowed", "%s", err);
		return;
	}
	if (policy_native(pa->pa_policy, nr.nr_endpoint) == NULL) {
		front_problem(fq, 403, "not-covered", "the policy %s of panel "
		    "%s has no rule for %s, so nothing of it may be shown",
		    pa->pa_policy->po_path, pa->pa_conf->pc_name,
		    nr.nr_endpoint);
		return;
	}
	if ((ap = api_pending_new(fq, st)) == NULL) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	ap->ap_panel = pa;
	ap->ap_endpoint = nr.nr_endpoint;
	if ((ap->ap_upath = strdup(nr.nr_path)) == NULL) {
		api_pending_free(ap);
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	/* Live hoster calls go ahead of a refresh's queue. */
	ap->ap_ureq = upstream_get(pa->pa_upstream, nr.nr_path, 1,
	    api_native_done, ap);
	if (ap->ap_ureq == NULL) {
		api_pending_free(ap);
		front_problem(fq, 500, "internal", "out of memory");
	}
}

/* ---- entry points ---- */

static void
api_health(const struct state *st, struct front_req *fq)
{
	size_t	 i;
	int	 ready = 1;
	char	*body;

	for (i = 0; i < st->st_npanels; i++)
		if (st->st_panels[i]->pa_inv == NULL)
			ready = 0;
	if (asprintf(&body, "{\"ready\":%s,\"status\":\"ok\"}",
	    ready ? "true" : "false") == -1)
		body = NULL;
	front_reply(fq, 200, "application/json", body,
	    body != NULL ? strlen(body) : 0);
}

static void
api_metrics(const struct state *st, struct front_req *fq)
{
	char	*body;
	size_t	 len;

	if ((body = metrics_render((const struct panel *const *)st->st_panels,
	    st->st_npanels, &len)) == NULL) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	front_reply(fq, 200, "text/plain; version=0.0.4; charset=utf-8", body,
	    len);
}

/* The front's handler: every request that passed its checks. */
void
api_handle(struct front_req *fq, void *arg)
{
	struct state	*st = the_api.api_state;
	struct panel	*pa;
	const char	*path = fq->fq_path, *rest;
	char		 name[PANEL_NAME_MAX + 1];
	size_t		 n;
	int		 native;

	if (st == NULL) {	/* after api_shutdown() */
		front_problem(fq, 503, "shutting-down", "sightlined is "
		    "shutting down");
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		api_health(st, fq);
		return;
	}
	native = strncmp(path, "/native/", 8) == 0 ||
	    (st->st_root != NULL && strncmp(path, "/api2/", 6) == 0);
	if (api_auth(st, fq, native) == -1)
		return;
	if (strcmp(path, "/metrics") == 0)
		api_metrics(st, fq);
	else if (strncmp(path, "/v1/", 4) == 0)
		api_v1(st, fq, 1);
	else if (strncmp(path, "/native/", 8) == 0) {
		rest = path + 8;
		n = strcspn(rest, "/");
		snprintf(name, sizeof(name), "%.*s", (int)n, rest);
		if (n == 0 || n > PANEL_NAME_MAX ||
		    (pa = state_panel(st, name)) == NULL) {
			front_problem(fq, 404, "no-such-panel", "no panel named "
			    "\"%.*s\"", (int)(n > 64 ? 64 : n), rest);
			return;
		}
		api_native(st, fq, pa, rest + n);
	} else if (native)
		api_native(st, fq, st->st_root, path);
	else
		front_problem(fq, 404, "not-found", "no such endpoint: %s",
		    path);
}

/* Make st the state that new requests see (a new reference is taken). */
void
api_set_state(struct state *st)
{
	state_ref(st);
	if (the_api.api_state != NULL)
		state_unref(the_api.api_state);
	the_api.api_state = st;
}

/* Shutting down: answer every pending request and drop the state. */
void
api_shutdown(void)
{
	struct api_pending	*ap;
	size_t			 i;

	while ((ap = TAILQ_FIRST(&the_api.api_pending)) != NULL) {
		if (ap->ap_ureq != NULL)
			upstream_cancel(ap->ap_ureq);
		for (i = 0; i < ap->ap_state->st_npanels; i++)
			panel_unwait(ap->ap_state->st_panels[i], ap);
		front_problem(ap->ap_fq, 503, "shutting-down", "sightlined is "
		    "shutting down");
		api_pending_free(ap);
	}
	if (the_api.api_state != NULL)
		state_unref(the_api.api_state);
	the_api.api_state = NULL;
}
