/*
 * api.c: the hoster API. Authentication, routing, and the answers:
 *
 *   /healthz                     liveness, no credential needed
 *   /metrics                     Prometheus text
 *   /v1/vps, /v1/vps/{id}        records of a snapshot (?at=, ?proof=1)
 *   /v1/lookup?ip=|mac=          the records holding an address
 *   /v1/evidence?ip=             their evidence bundle (evidence.c)
 *   /v1/nodes                    hypervisor nodes
 *   /v1/checkpoint, /v1/snapshots[/{seq}], /v1/diff, /v1/proof/...
 *                                the log: its signed head, history, proofs
 *   /native/{panel}/{api root}/  allow-listed native calls, live, redacted
 *   /api2/json/...               the same, when one Proxmox panel is set
 *
 * /v1 answers come from the current snapshot (snapshot.c) or, with ?at=,
 * from one read back from the log; ?fresh=1 waits for a refresh and the
 * snapshot after it. Requests that wait (for a refresh or a native call)
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

#define API_PARAM_MAX	256	/* a decoded query value */
#define API_PARAMS_MAX	5	/* query parameters one route takes */
#define API_SNAPSHOTS_PAGE	100	/* summaries per /v1/snapshots page,
					   by default; STORE_PAGE_MAX at most */

struct api_pending {
	TAILQ_ENTRY(api_pending) ap_entry;
	struct front_req	*ap_fq;
	struct state		*ap_state;	/* a reference */
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
		if (n == 0 || url_decode(q, n, name, sizeof(name)) == -1) {
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
		if (eq == NULL || url_decode(eq + 1, (size_t)(amp - eq - 1),
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
 * "inventory": the live state of the panels behind the current snapshot:
 * how old their inventories are, which policy redacted them, what failed
 * last, and how old the snapshot served is.
 */
static void
api_inventory(const struct state *st, const struct snapshot *sn,
    struct buf *b)
{
	const struct panel	*pa;
	const struct inventory	*inv;
	json_t			*panels = json_array(), *p, *inventory;
	time_t			 now = time(NULL);
	long long		 age, oldest = 0;
	char			 when[32];
	const char		*serr = snapshot_error();
	size_t			 i;

	for (i = 0; i < st->st_npanels; i++) {
		pa = st->st_panels[i];
		if ((inv = pa->pa_inv) == NULL)
			continue;
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
	inventory = json_pack("{s:o, s:I, s:o, s:o}", "panels", panels,
	    "age_seconds", (json_int_t)oldest, "snapshot_age_seconds",
	    sn != NULL ? json_integer((json_int_t)(now - sn->sn_time)) :
	    json_null(), "snapshot_error",
	    serr[0] != '\0' ? json_string(serr) : json_null());
	if (inventory == NULL)
		b->b_oom = 1;
	else
		buf_addjson(b, inventory);
	json_decref(inventory);
}

/*
 * The opening of every answer served from a snapshot: {"snapshot":
 * SUMMARY (the log leaf, byte for byte), and for the current snapshot the
 * live "inventory". The signed Sightline-Inventory header names the
 * snapshot.
 */
static void
api_head(const struct state *st, struct front_req *fq,
    const struct snapshot *sn, struct buf *b)
{
	char	 source[32];

	snprintf(source, sizeof(source), "snapshot=%llu",
	    (unsigned long long)sn->sn_seq);
	front_add_header(fq, "Sightline-Inventory", source);
	buf_addstr(b, "{\"snapshot\":");
	buf_add(b, sn->sn_summary, sn->sn_summary_len);
	if (sn == snapshot_current()) {
		buf_addstr(b, ",\"inventory\":");
		api_inventory(st, sn, b);
	}
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

/* Answer j (stolen) as a whole JSON document. */
static void
api_send_doc(struct front_req *fq, json_t *j)
{
	struct buf	 b;

	buf_init(&b);
	if (j == NULL)
		b.b_oom = 1;
	else
		buf_addjson(&b, j);
	json_decref(j);
	api_send_json(fq, &b);
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
 * The snapshot an answer comes from: the current one, or ?at=SEQ's.
 * Returns a new reference, or NULL after answering.
 */
static struct snapshot *
api_snapshot(const struct state *st, struct front_req *fq, const char *at)
{
	struct snapshot	*sn;
	const char	*errstr;
	char		 err[ERR_MAX];
	long long	 seq;
	int		 status;

	if (at[0] == '\0') {
		if ((sn = snapshot_current()) != NULL)
			return snapshot_ref(sn);
		/* A panel's error says more than "no snapshot". */
		if (api_ready(st, fq)) {
			front_add_header(fq, "Retry-After", "10");
			front_problem(fq, 503, "no-snapshot", "no snapshot yet%s%s",
			    snapshot_error()[0] != '\0' ? ": " : ": the first "
			    "one is being taken", snapshot_error());
		}
		return NULL;
	}
	seq = strtonum(at, 0, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		front_problem(fq, 400, "bad-query", "at must be a snapshot "
		    "sequence number");
		return NULL;
	}
	if ((sn = snapshot_at((uint64_t)seq, &status, err)) == NULL) {
		if (status != 500)
			front_problem(fq, status, status == 404 ?
			    "no-such-snapshot" : "pruned", "%s", err);
		else {
			log_warnx("snapshot %lld: %s", seq, err);
			front_problem(fq, 500, "state", "snapshot %lld cannot be "
			    "read back: %s", seq, err);
		}
	}
	return sn;
}

/*
 * The log's part of a proof (proof.c): {"checkpoint": the signed note of
 * size (0: the latest), "log": {seq, size, leaf_hash, proof}, "records":
 * []}. New, or NULL with a reason.
 */
static json_t *
api_log_proof(uint64_t seq, uint64_t size, char *err)
{
	return proof_make(snapshot_store(), seq, size, NULL, 0, NULL, NULL,
	    err);
}

/* {"id", "index", "leaf_hash", "proof"}: record i in its snapshot's tree. */
static json_t *
api_record_proof(const struct snapshot *sn, size_t i, char *err)
{
	uint8_t		 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	size_t		 n;

	if (merkle_prove_inclusion(i, sn->sn_nrecs, merkle_tree_read,
	    sn->sn_tree, proof, &n, err) == -1)
		return NULL;
	return json_pack("{s:s, s:I, s:o, s:o}", "id", sn->sn_recs[i].sr_id,
	    "index", (json_int_t)i, "leaf_hash", proof_b64(sn->sn_recs[i].sr_hash),
	    "proof", proof_list((const uint8_t (*)[MERKLE_HASH_LEN])proof, n));
}

/*
 * ,"proof":{...}: what proves the records idx[0..n) of sn: each one's
 * inclusion in sn's tree, sn's inclusion in the log, and the checkpoint
 * that signs the log. Returns 0, or -1 after answering 500.
 */
static int
api_add_proof(struct front_req *fq, const struct snapshot *sn,
    const size_t *idx, size_t n, struct buf *b)
{
	json_t		*proof, *recs;
	char		 err[ERR_MAX];
	size_t		 i;

	if ((proof = api_log_proof(sn->sn_seq, 0, err)) == NULL)
		goto fail;
	recs = json_object_get(proof, "records");
	for (i = 0; i < n; i++)
		if (json_array_append_new(recs, api_record_proof(sn, idx[i],
		    err)) == -1) {
			json_decref(proof);
			goto fail;
		}
	buf_addstr(b, ",\"proof\":");
	buf_addjson(b, proof);
	json_decref(proof);
	return 0;
fail:
	buf_free(b);
	front_problem(fq, 500, "internal", "no proof: %s", err);
	return -1;
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
api_list(const struct state *st, struct front_req *fq,
    const struct snapshot *sn)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	api_head(st, fq, sn, &b);
	buf_addstr(&b, ",\"records\":[");
	for (i = 0; i < sn->sn_nrecs; i++) {
		if (i > 0)
			buf_add(&b, ",", 1);
		buf_add(&b, sn->sn_recs[i].sr_body, sn->sn_recs[i].sr_len);
	}
	buf_addstr(&b, "]}");
	api_send_json(fq, &b);
}

static void
api_one(const struct state *st, struct front_req *fq,
    const struct snapshot *sn, const char *rawid, int proof)
{
	char		 id[API_PARAM_MAX];
	struct buf	 b;
	ssize_t		 at;
	size_t		 i;

	if (url_decode(rawid, strlen(rawid), id, sizeof(id)) == -1 ||
	    strcspn(id, "/") == 0 || strchr(id, '/') == NULL) {
		front_problem(fq, 400, "bad-id", "a VPS id is PANEL/NATIVE_ID, "
		    "e.g. pve/100");
		return;
	}
	if ((at = snapshot_find(sn, id)) == -1) {
		front_problem(fq, 404, "no-such-vps", "no VPS has the id %s "
		    "in snapshot %llu", id, (unsigned long long)sn->sn_seq);
		return;
	}
	i = (size_t)at;
	buf_init(&b);
	api_head(st, fq, sn, &b);
	buf_addstr(&b, ",\"record\":");
	buf_add(&b, sn->sn_recs[i].sr_body, sn->sn_recs[i].sr_len);
	if (proof && api_add_proof(fq, sn, &i, 1, &b) == -1)
		return;
	buf_addstr(&b, "}");
	api_send_json(fq, &b);
}

static void
api_lookup(const struct state *st, struct front_req *fq,
    const struct snapshot *sn, const char *ip, const char *mac, int proof)
{
	size_t		 idx[SNAPSHOT_LOOKUP_MAX];
	enum inv_key	 kind;
	char		 key[ADDR_IP_LEN];
	json_t		*query;
	struct buf	 b;
	size_t		 i, n;

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
	n = snapshot_lookup(sn, kind, key, idx, SNAPSHOT_LOOKUP_MAX);
	if (n == 0) {
		front_problem(fq, 404, "not-found", "no VPS in snapshot %llu "
		    "holds %s %s", (unsigned long long)sn->sn_seq,
		    kind == INV_IP ? "IP address" : "MAC address", key);
		return;
	}
	if (n > SNAPSHOT_LOOKUP_MAX)
		n = SNAPSHOT_LOOKUP_MAX;
	buf_init(&b);
	api_head(st, fq, sn, &b);
	query = json_pack("{s:s}", kind == INV_IP ? "ip" : "mac", key);
	buf_addstr(&b, ",\"query\":");
	buf_addjson(&b, query);
	json_decref(query);
	buf_addstr(&b, ",\"records\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_add(&b, ",", 1);
		buf_add(&b, sn->sn_recs[idx[i]].sr_body,
		    sn->sn_recs[idx[i]].sr_len);
	}
	buf_addstr(&b, "]");
	if (proof && api_add_proof(fq, sn, idx, n, &b) == -1)
		return;
	buf_addstr(&b, "}");
	api_send_json(fq, &b);
}

/*
 * /v1/evidence?ip=: an evidence bundle (evidence.c) for one IP address
 * in a snapshot: the records holding it with their proofs, hypervisor
 * status and what to preserve, or the statement that none does. Its body
 * is RFC 8785, so that `sightline evidence` can keep the object and a
 * verifier make the signed bytes again.
 */
static void
api_evidence(const struct state *st, struct front_req *fq,
    const struct snapshot *sn, const char *ip)
{
	char		 key[ADDR_IP_LEN], err[ERR_MAX], source[32], *body;
	json_t		*ev;
	size_t		 len;

	if (ip[0] == '\0') {
		front_problem(fq, 400, "bad-query", "give ip=, the address the "
		    "evidence is about");
		return;
	}
	if (addr_ip_canon(ip, key, sizeof(key), 0) == -1) {
		front_problem(fq, 400, "bad-address", "\"%s\" is not an IPv4 "
		    "or IPv6 address (no prefix length)", ip);
		return;
	}
	if ((ev = evidence_make(snapshot_store(), sn,
	    st->st_conf->cf_keys->k_vkey, key, err)) == NULL) {
		log_warnx("evidence for %s in snapshot %llu: %s", key,
		    (unsigned long long)sn->sn_seq, err);
		front_problem(fq, 500, "internal", "no evidence for %s in "
		    "snapshot %llu: %s", key, (unsigned long long)sn->sn_seq,
		    err);
		return;
	}
	body = canon_dump(ev, &len, err);
	json_decref(ev);
	if (body == NULL) {
		front_problem(fq, 500, "internal", "the evidence has no "
		    "canonical form: %s", err);
		return;
	}
	snprintf(source, sizeof(source), "snapshot=%llu",
	    (unsigned long long)sn->sn_seq);
	front_add_header(fq, "Sightline-Inventory", source);
	front_reply(fq, 200, "application/json", body, len);
}

static void
api_nodes(const struct state *st, struct front_req *fq)
{
	struct buf	 b;
	size_t		 i, j, n = 0;
	json_t		*node;

	buf_init(&b);
	buf_addstr(&b, "{\"inventory\":");
	api_inventory(st, snapshot_current(), &b);
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

/* A number in a query: 0 and up to max, or -1 after answering 400. */
static long long
api_number(struct front_req *fq, const char *name, const char *v,
    long long min, long long max)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(v, min, max, &errstr);
	if (errstr != NULL) {
		front_problem(fq, 400, "bad-query", "%s must be a number from "
		    "%lld to %lld", name, min, max);
		return -1;
	}
	return n;
}

/* /v1/checkpoint: the log's signed head, as a C2SP signed note. */
static void
api_checkpoint(struct front_req *fq)
{
	const char	*latest;
	char		*note;
	size_t		 len;

	if (store_size(snapshot_store()) == 0 ||
	    (latest = store_checkpoint(snapshot_store(), &len)) == NULL) {
		front_add_header(fq, "Retry-After", "10");
		front_problem(fq, 503, "no-snapshot", "the log is empty: the "
		    "first snapshot is being taken");
		return;
	}
	if ((note = strndup(latest, len)) == NULL) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	front_reply(fq, 200, "text/plain; charset=utf-8", note, len);
}

/* /v1/snapshots?before=&limit=: the log's summaries, newest first. */
static void
api_snapshots(struct front_req *fq, const char *before, const char *limit)
{
	struct store_snapshot	*ss = NULL;
	struct store		*sto = snapshot_store();
	struct buf		 b;
	json_t			*log;
	char			 err[ERR_MAX];
	long long		 bf = LLONG_MAX, lim = API_SNAPSHOTS_PAGE;
	size_t			 i, n = 0;

	if ((before[0] != '\0' && (bf = api_number(fq, "before", before, 0,
	    LLONG_MAX)) == -1) || (limit[0] != '\0' && (lim = api_number(fq,
	    "limit", limit, 1, STORE_PAGE_MAX)) == -1))
		return;
	if (store_snapshots(sto, (uint64_t)bf, (size_t)lim, &ss, &n, err) ==
	    -1) {
		front_problem(fq, 500, "state", "%s", err);
		return;
	}
	buf_init(&b);
	log = json_pack("{s:s, s:I}", "origin", store_origin(sto), "size",
	    (json_int_t)store_size(sto));
	buf_addstr(&b, "{\"log\":");
	buf_addjson(&b, log);
	json_decref(log);
	buf_addstr(&b, ",\"snapshots\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_add(&b, ",", 1);
		buf_add(&b, ss[i].ss_summary, ss[i].ss_len);
	}
	buf_addstr(&b, "],\"next_before\":");
	if (n == (size_t)lim && ss[n - 1].ss_seq > 0)
		buf_printf(&b, "%llu", (unsigned long long)ss[n - 1].ss_seq);
	else
		buf_addstr(&b, "null");
	buf_addstr(&b, ",\"pruned_before\":");
	if (snapshot_pruned_before() > 0)
		buf_printf(&b, "%llu",
		    (unsigned long long)snapshot_pruned_before());
	else
		buf_addstr(&b, "null");
	buf_addstr(&b, "}");
	store_snapshots_free(ss, n);
	api_send_json(fq, &b);
}

/*
 * /v1/snapshots/{seq}: one summary, and its inclusion in the log.
 * /v1/snapshots/{seq}/consistency: the same, with the hypervisor
 * cross-check's details, whose SHA-256 the summary states.
 */
static void
api_snapshot_one(struct front_req *fq, const char *rest)
{
	struct store_snapshot	 ss;
	struct store		*sto = snapshot_store();
	json_t			*incl, *doc, *summary, *p, *check = NULL;
	char			 err[ERR_MAX], rawseq[API_PARAM_MAX];
	char			*body;
	const char		*slash;
	uint8_t			 leaf[MERKLE_HASH_LEN];
	long long		 seq;
	uint64_t		 size = store_size(sto);
	size_t			 len;
	int			 consistency = 0;

	if ((slash = strchr(rest, '/')) != NULL) {
		if (strcmp(slash, "/consistency") != 0) {
			front_problem(fq, 404, "not-found", "no such "
			    "endpoint: %s", fq->fq_path);
			return;
		}
		consistency = 1;
	}
	len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (len >= sizeof(rawseq)) {
		front_problem(fq, 400, "bad-query", "a snapshot's seq must be "
		    "a number from 0 to %lld", LLONG_MAX);
		return;
	}
	memcpy(rawseq, rest, len);
	rawseq[len] = '\0';
	if ((seq = api_number(fq, "a snapshot's seq", rawseq, 0,
	    LLONG_MAX)) == -1)
		return;
	if ((uint64_t)seq >= size) {
		front_problem(fq, 404, "no-such-snapshot", "no snapshot %lld: "
		    "the log holds %llu", seq, (unsigned long long)size);
		return;
	}
	if (consistency) {
		if (store_crosscheck(sto, (uint64_t)seq, &body, &len,
		    err) == -1) {
			front_problem(fq, 500, "state", "%s", err);
			return;
		}
		check = body != NULL ? json_loadb(body, len, 0, NULL) :
		    json_null();
		free(body);
		if (check == NULL) {
			front_problem(fq, 500, "state", "snapshot %lld: its "
			    "cross-check is not JSON", seq);
			return;
		}
	}
	if (store_snapshot(sto, (uint64_t)seq, &ss, err) == -1) {
		json_decref(check);
		front_problem(fq, 500, "state", "%s", err);
		return;
	}
	summary = json_loadb(ss.ss_summary, ss.ss_len, 0, NULL);
	if (summary == NULL || (p = api_log_proof((uint64_t)seq, size,
	    err)) == NULL) {
		json_decref(summary);
		json_decref(check);
		store_snapshot_clear(&ss);
		front_problem(fq, 500, "state", "snapshot %lld: %s", seq, err);
		return;
	}
	/* The leaf hash stands once, next to the summary it hashes. */
	merkle_leaf_hash(ss.ss_summary, ss.ss_len, leaf);
	incl = json_incref(json_object_get(p, "log"));
	json_object_del(incl, "leaf_hash");
	doc = json_pack("{s:o, s:o, s:b, s:o, s:O}", "snapshot", summary,
	    "leaf_hash", proof_b64(leaf), "records_kept", !ss.ss_pruned,
	    "inclusion", incl, "checkpoint", json_object_get(p, "checkpoint"));
	json_decref(p);
	store_snapshot_clear(&ss);
	/* json_object_set_new() frees check even when it fails. */
	if (check != NULL &&
	    json_object_set_new(doc, "crosscheck", check) == -1) {
		json_decref(doc);
		doc = NULL;
	}
	api_send_doc(fq, doc);
}

/* The top-level fields of two versions of a record that differ. */
static json_t *
api_fields_changed(const struct snapshot_rec *a, const struct snapshot_rec *b)
{
	json_t		*ja, *jb, *out = json_array(), *v;
	const char	*k;

	ja = json_loadb(a->sr_body, a->sr_len, 0, NULL);
	jb = json_loadb(b->sr_body, b->sr_len, 0, NULL);
	if (ja == NULL || jb == NULL || out == NULL) {
		json_decref(ja);
		json_decref(jb);
		json_decref(out);
		return NULL;
	}
	/* Both are RFC 8785: their keys come sorted, and so do these. */
	json_object_foreach(ja, k, v)
		if (!json_equal(v, json_object_get(jb, k)))
			json_array_append_new(out, json_string(k));
	json_object_foreach(jb, k, v)
		if (json_object_get(ja, k) == NULL)
			json_array_append_new(out, json_string(k));
	json_decref(ja);
	json_decref(jb);
	return out;
}

/* /v1/diff?from=&to=: what changed between two snapshots. */
static void
api_diff(const struct state *st, struct front_req *fq, const char *from,
    const char *to)
{
	struct snapshot	*a = NULL, *b = NULL;
	json_t		*added, *removed, *changed, *doc;
	long long	 f, t;
	size_t		 i = 0, j = 0;
	int		 c;

	if (from[0] == '\0' || to[0] == '\0') {
		front_problem(fq, 400, "bad-query", "give from= and to=, two "
		    "snapshot sequence numbers");
		return;
	}
	if ((f = api_number(fq, "from", from, 0, LLONG_MAX)) == -1 ||
	    (t = api_number(fq, "to", to, 0, LLONG_MAX)) == -1)
		return;
	if (f > t) {
		front_problem(fq, 400, "bad-query", "from must not be after to");
		return;
	}
	if ((a = api_snapshot(st, fq, from)) == NULL ||
	    (b = api_snapshot(st, fq, to)) == NULL) {
		snapshot_unref(a);
		return;
	}
	added = json_array();
	removed = json_array();
	changed = json_array();
	/* Both are sorted by id: one merge. */
	while (added != NULL && removed != NULL && changed != NULL &&
	    (i < a->sn_nrecs || j < b->sn_nrecs)) {
		if (i == a->sn_nrecs)
			c = 1;
		else if (j == b->sn_nrecs)
			c = -1;
		else
			c = strcmp(a->sn_recs[i].sr_id, b->sn_recs[j].sr_id);
		if (c < 0)
			json_array_append_new(removed,
			    json_string(a->sn_recs[i++].sr_id));
		else if (c > 0)
			json_array_append_new(added,
			    json_string(b->sn_recs[j++].sr_id));
		else {
			if (memcmp(a->sn_recs[i].sr_hash, b->sn_recs[j].sr_hash,
			    MERKLE_HASH_LEN) != 0)
				json_array_append_new(changed, json_pack(
				    "{s:s, s:o*}", "id", b->sn_recs[j].sr_id,
				    "fields", api_fields_changed(&a->sn_recs[i],
				    &b->sn_recs[j])));
			i++;
			j++;
		}
	}
	doc = json_pack("{s:o, s:o, s:o*, s:o*, s:o*}",
	    "from", json_loadb(a->sn_summary, a->sn_summary_len, 0, NULL),
	    "to", json_loadb(b->sn_summary, b->sn_summary_len, 0, NULL),
	    "added", added, "removed", removed, "changed", changed);
	snapshot_unref(a);
	snapshot_unref(b);
	api_send_doc(fq, doc);
}

/*
 * /v1/proof/inclusion?seq=N[&size=M][&id=ID]: snapshot N in the log of
 * size M (the latest by default), and record ID in snapshot N.
 */
static void
api_proof_inclusion(const struct state *st, struct front_req *fq,
    const char *vseq, const char *vsize, const char *id)
{
	struct snapshot	*sn;
	json_t		*doc, *rec, *p;
	char		 err[ERR_MAX];
	long long	 seq, size = (long long)store_size(snapshot_store());
	ssize_t		 at;

	if (vseq[0] == '\0') {
		front_problem(fq, 400, "bad-query", "give seq=, the snapshot "
		    "to prove");
		return;
	}
	if ((seq = api_number(fq, "seq", vseq, 0, size - 1)) == -1 ||
	    (vsize[0] != '\0' && (size = api_number(fq, "size", vsize,
	    seq + 1, size)) == -1))
		return;
	if ((p = api_log_proof((uint64_t)seq, (uint64_t)size, err)) == NULL) {
		front_problem(fq, 500, "state", "%s", err);
		return;
	}
	doc = json_incref(json_object_get(p, "log"));
	json_object_set(doc, "checkpoint", json_object_get(p, "checkpoint"));
	json_decref(p);
	if (id[0] != '\0') {
		if ((sn = api_snapshot(st, fq, vseq)) == NULL) {
			json_decref(doc);
			return;
		}
		if ((at = snapshot_find(sn, id)) == -1) {
			front_problem(fq, 404, "no-such-vps", "no VPS has the id "
			    "%s in snapshot %lld", id, seq);
			snapshot_unref(sn);
			json_decref(doc);
			return;
		}
		if ((rec = api_record_proof(sn, (size_t)at, err)) == NULL) {
			front_problem(fq, 500, "internal", "%s", err);
			snapshot_unref(sn);
			json_decref(doc);
			return;
		}
		json_object_set_new(rec, "root", proof_b64(sn->sn_root));
		json_object_set_new(rec, "count", json_integer(
		    (json_int_t)sn->sn_nrecs));
		json_object_set_new(doc, "record", rec);
		snapshot_unref(sn);
	}
	api_send_doc(fq, doc);
}

/* /v1/proof/consistency?from=M&to=N: RFC 9162 §2.1.4, 0 < M <= N. */
static void
api_proof_consistency(struct front_req *fq, const char *vfrom,
    const char *vto)
{
	uint8_t		 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	char		 err[ERR_MAX];
	long long	 from, to, size = (long long)store_size(snapshot_store());
	size_t		 n;

	if (vfrom[0] == '\0' || vto[0] == '\0') {
		front_problem(fq, 400, "bad-query", "give from= and to=, two "
		    "log sizes");
		return;
	}
	if (strcmp(vfrom, "0") == 0) {
		front_problem(fq, 400, "bad-query", "no consistency proof from "
		    "size 0: any log extends the empty one");
		return;
	}
	if ((to = api_number(fq, "to", vto, 1, size)) == -1 ||
	    (from = api_number(fq, "from", vfrom, 1, to)) == -1)
		return;
	if (merkle_prove_consistency((uint64_t)from, (uint64_t)to,
	    store_log_read, snapshot_store(), proof, &n, err) == -1) {
		front_problem(fq, 500, "state", "%s", err);
		return;
	}
	api_send_doc(fq, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from,
	    "to", (json_int_t)to, "proof",
	    proof_list((const uint8_t (*)[MERKLE_HASH_LEN])proof, n)));
}

/* The value of query parameter name ("" when absent or not taken). */
static const char *
api_arg(const char *const *names, char v[][API_PARAM_MAX], const char *name)
{
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return v[i];
	return "";
}

/* A refresh (and the snapshot after it) this request waited for is over. */
static void
api_refreshed(void *arg)
{
	struct api_pending	*ap = arg;
	const struct panel	*pa;
	struct front_req	*fq = ap->ap_fq;
	struct state		*st = ap->ap_state;
	size_t			 i;

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
		    "snapshot is served", pa->pa_conf->pc_name,
		    pa->pa_last_error);
		state_unref(st);
		return;
	}
	if (snapshot_error()[0] != '\0')
		front_problem(fq, 500, "snapshot-failed", "?fresh=1: the "
		    "snapshot failed (%s); without fresh=1 the last one is "
		    "served", snapshot_error());
	else
		api_v1(st, fq, 0);
	state_unref(st);
}

/* ?fresh=1: refresh every panel, snapshot, then answer. */
static void
api_fresh(struct state *st, struct front_req *fq)
{
	struct api_pending	*ap;

	if ((ap = api_pending_new(fq, st)) == NULL) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	snapshot_fresh(api_refreshed, ap);
}

enum api_route {
	V1_LIST, V1_ONE, V1_LOOKUP, V1_NODES, V1_KEY, V1_CHECKPOINT,
	V1_SNAPSHOTS, V1_SNAPSHOT, V1_DIFF, V1_INCLUSION, V1_CONSISTENCY,
	V1_EVIDENCE
};

/* Each route's query parameters; "fresh" first wherever it is taken. */
static const struct {
	const char	*ar_path;	/* exact, or a prefix ending in "/" */
	enum api_route	 ar_route;
	const char	*ar_params[API_PARAMS_MAX + 1];
} api_routes[] = {
	{ "/v1/vps", V1_LIST, { "fresh", "at" } },
	{ "/v1/vps/", V1_ONE, { "fresh", "at", "proof" } },
	{ "/v1/lookup", V1_LOOKUP, { "fresh", "at", "proof", "ip", "mac" } },
	{ EVIDENCE_PATH, V1_EVIDENCE, { "fresh", "at", "ip" } },
	{ "/v1/nodes", V1_NODES, { "fresh" } },
	{ "/v1/key", V1_KEY, { NULL } },
	{ "/v1/checkpoint", V1_CHECKPOINT, { NULL } },
	{ "/v1/snapshots", V1_SNAPSHOTS, { "before", "limit" } },
	{ "/v1/snapshots/", V1_SNAPSHOT, { NULL } },
	{ "/v1/diff", V1_DIFF, { "from", "to" } },
	{ "/v1/proof/inclusion", V1_INCLUSION, { "seq", "size", "id" } },
	{ "/v1/proof/consistency", V1_CONSISTENCY, { "from", "to" } },
};

static void
api_v1(struct state *st, struct front_req *fq, int may_refresh)
{
	char			 v[API_PARAMS_MAX][API_PARAM_MAX];
	const char		*path = fq->fq_path, *const *names = NULL;
	const char		*rest = NULL;
	struct snapshot		*sn;
	enum api_route		 route = V1_LIST;
	size_t			 i, n;
	int			 fresh = 0, proof = 0;

	/* Route first: an unknown path is 404, ready or not. */
	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		n = strlen(api_routes[i].ar_path);
		if (api_routes[i].ar_path[n - 1] == '/' ?
		    strncmp(path, api_routes[i].ar_path, n) == 0 &&
		    path[n] != '\0' : strcmp(path, api_routes[i].ar_path) == 0) {
			route = api_routes[i].ar_route;
			names = api_routes[i].ar_params;
			rest = path + n;
			break;
		}
	}
	if (names == NULL) {
		front_problem(fq, 404, "not-found", "no such endpoint: %s",
		    path);
		return;
	}
	if (api_params(fq, names, v) == -1)
		return;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], "fresh") != 0 &&
		    strcmp(names[i], "proof") != 0)
			continue;
		if (v[i][0] != '\0' && strcmp(v[i], "1") != 0 &&
		    strcmp(v[i], "0") != 0) {
			front_problem(fq, 400, "bad-query", "%s must be 1 or 0",
			    names[i]);
			return;
		}
		if (strcmp(names[i], "fresh") == 0)
			fresh = strcmp(v[i], "1") == 0;
		else
			proof = strcmp(v[i], "1") == 0;
	}
	if (fresh && api_arg(names, v, "at")[0] != '\0') {
		front_problem(fq, 400, "bad-query", "fresh=1 and at= exclude "
		    "each other: a past snapshot cannot be refreshed");
		return;
	}
	if (may_refresh && fresh) {
		api_fresh(st, fq);
		return;
	}
#define ARG(name)	api_arg(names, v, name)
	switch (route) {
	case V1_KEY:
		api_key(st, fq);
		return;
	case V1_CHECKPOINT:
		api_checkpoint(fq);
		return;
	case V1_SNAPSHOTS:
		api_snapshots(fq, ARG("before"), ARG("limit"));
		return;
	case V1_SNAPSHOT:
		api_snapshot_one(fq, rest);
		return;
	case V1_DIFF:
		api_diff(st, fq, ARG("from"), ARG("to"));
		return;
	case V1_INCLUSION:
		api_proof_inclusion(st, fq, ARG("seq"), ARG("size"), ARG("id"));
		return;
	case V1_CONSISTENCY:
		api_proof_consistency(fq, ARG("from"), ARG("to"));
		return;
	case V1_NODES:
		if (api_ready(st, fq))
			api_nodes(st, fq);
		return;
	default:
		break;
	}
	if ((sn = api_snapshot(st, fq, ARG("at"))) == NULL)
		return;
	switch (route) {
	case V1_LIST:
		api_list(st, fq, sn);
		break;
	case V1_ONE:
		api_one(st, fq, sn, rest, proof);
		break;
	case V1_LOOKUP:
		api_lookup(st, fq, sn, ARG("ip"), ARG("mac"), proof);
		break;
	case V1_EVIDENCE:
		api_evidence(st, fq, sn, ARG("ip"));
		break;
	default:
		break;
	}
#undef ARG
	snapshot_unref(sn);
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

	while ((ap = TAILQ_FIRST(&the_api.api_pending)) != NULL) {
		if (ap->ap_ureq != NULL)
			upstream_cancel(ap->ap_ureq);
		snapshot_unwait(ap);
		front_problem(ap->ap_fq, 503, "shutting-down", "sightlined is "
		    "shutting down");
		api_pending_free(ap);
	}
	if (the_api.api_state != NULL)
		state_unref(the_api.api_state);
	the_api.api_state = NULL;
}
