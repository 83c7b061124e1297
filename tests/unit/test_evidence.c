/*
 * test_evidence.c: evidence.c and the plugins' pl_preserve. A small log
 * of two snapshots (the second with hypervisor cross-check details) is
 * made in a temporary state directory; evidence_make() answers from a
 * snapshot built here, the answer is signed as sightlined signs it, and
 * evidence_check() must accept the bundle file and refuse every change
 * a liar could make, each with its reason: a record, a proof, the
 * checkpoint, the key, the details, a hypervisor status, what to
 * preserve, the statement, the request, the signature. The hypervisor
 * status is derived from handmade details for each status, and each
 * plugin's preserve object from its panel's test records.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define ORIGIN		"sightline/test.example/log"
#define NRECS		4

static char		 tmpdir[] = "/tmp/test_evidence.XXXXXX";
static const char	*top = ".";
static struct keys	*keys, *otherkeys;
static struct keys_vkey	 vk, other;
static struct store	*store;

/* The records of snapshot 1, sorted by id; snapshot 0 has the first two. */
static const char *const bodies[NRECS] = {
	"{\"disks\":[{\"size_gb\":40,\"storage\":\"local-lvm\",\"volume\":"
	    "\"vm-100-disk-0\"}],\"id\":\"pve/100\",\"interfaces\":[{\"ips\":"
	    "[\"203.0.113.41/24\"],\"mac\":\"bc:24:11:3a:5f:01\"}],\"kind\":"
	    "\"qemu\",\"native_id\":\"100\",\"node\":\"pve1\",\"panel\":"
	    "\"pve\"}",
	"{\"_sd\":[\"abc\"],\"disks\":[{\"size_gb\":40,\"storage\":\"st1\","
	    "\"volume\":\"/dev/vg_vps/vsv1001-a1\"}],\"id\":\"vz/1001\","
	    "\"interfaces\":[{\"ips\":[\"203.0.113.11\",\"2001:db8::11\"],"
	    "\"mac\":\"00:16:3e:5a:10:01\"}],\"kind\":\"qemu\",\"name\":"
	    "\"v1001\",\"native_id\":\"1001\",\"node\":\"hv01\",\"panel\":"
	    "\"vz\"}",
	"{\"disks\":[],\"id\":\"vz/1002\",\"interfaces\":[{\"ips\":"
	    "[\"203.0.113.12\"],\"mac\":\"00:16:3e:5a:10:02\"}],\"kind\":"
	    "\"qemu\",\"native_id\":\"1002\",\"node\":\"hv02\",\"panel\":"
	    "\"vz\"}",
	"{\"disks\":[{\"size_gb\":10,\"storage\":\"st1\",\"volume\":"
	    "\"/dev/vg_vps/vsv1003-c3\"}],\"id\":\"vz/1003\",\"interfaces\":"
	    "[{\"ips\":[\"203.0.113.11\"],\"mac\":\"00:16:3e:5a:10:03\"}],"
	    "\"kind\":\"qemu\",\"name\":\"v1003\",\"native_id\":\"1003\","
	    "\"node\":\"hv01\",\"panel\":\"vz\"}",
};

/* Snapshot 1's cross-check: vz/1003's disk was seen elsewhere, hv02 down. */
static const char *details_text =
    "{\"findings\":[{\"attested\":[\"/dev/vg_vps/vsv1003-c3\"],\"id\":"
    "\"vz/1003\",\"kind\":\"disk-mismatch\",\"node\":\"hv01\",\"observed\":"
    "[\"/dev/vg_vps/vsv1003-real\"],\"panel\":\"vz\"},{\"kind\":"
    "\"node-unreachable\",\"node\":\"hv02\",\"panel\":\"vz\",\"reason\":"
    "\"connection refused\"}],\"nodes\":[{\"domains\":2,\"error\":null,"
    "\"node\":\"hv01\",\"panel\":\"vz\"},{\"domains\":0,\"error\":"
    "\"connection refused\",\"node\":\"hv02\",\"panel\":\"vz\"}],\"type\":"
    "\"sightline/crosscheck/v1\"}";

static const char *const ids[NRECS] = {
	"pve/100", "vz/1001", "vz/1002", "vz/1003"
};

static struct snapshot	*snaps[2];

static json_t *
parse(const char *s)
{
	json_error_t	 jerr;
	json_t		*j;

	if ((j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		printf("Bail out! bad test JSON: %s\n", jerr.text);
		exit(1);
	}
	return j;
}

static __dead void
bail(const char *what, const char *err)
{
	printf("Bail out! %s: %s\n", what, err);
	exit(1);
}

/*
 * Append a snapshot of the first n records to the store, and keep it as
 * sightlined keeps an older one: its records (owned), tree, summary and
 * cross-check details (details may be NULL: no hypervisor).
 */
static struct snapshot *
append(size_t n, const char *details)
{
	struct snapshot		*sn;
	uint8_t			 leaves[NRECS][MERKLE_HASH_LEN];
	char			 err[ERR_MAX], root[B64_LEN(MERKLE_HASH_LEN) + 1];
	char			 hex[SHA256_HEX_LEN + 1];
	struct store_check	 sc;
	json_t			*s;
	size_t			 i;

	if ((sn = calloc(1, sizeof(*sn))) == NULL ||
	    (sn->sn_recs = calloc(n, sizeof(*sn->sn_recs))) == NULL ||
	    (sn->sn_stored = calloc(n, sizeof(*sn->sn_stored))) == NULL)
		bail("calloc", "out of memory");
	sn->sn_refs = 1;
	sn->sn_nrecs = sn->sn_nstored = n;
	for (i = 0; i < n; i++) {
		merkle_leaf_hash(bodies[i], strlen(bodies[i]), leaves[i]);
		sn->sn_stored[i].sr_id = strdup(ids[i]);
		sn->sn_stored[i].sr_body = strdup(bodies[i]);
		sn->sn_stored[i].sr_len = strlen(bodies[i]);
		memcpy(sn->sn_stored[i].sr_hash, leaves[i], MERKLE_HASH_LEN);
		sn->sn_recs[i].sr_id = sn->sn_stored[i].sr_id;
		sn->sn_recs[i].sr_body = sn->sn_stored[i].sr_body;
		sn->sn_recs[i].sr_len = sn->sn_stored[i].sr_len;
		sn->sn_recs[i].sr_hash = sn->sn_stored[i].sr_hash;
	}
	if ((sn->sn_tree = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])
	    leaves, n, err)) == NULL || merkle_root(n, merkle_tree_read,
	    sn->sn_tree, sn->sn_root, err) == -1)
		bail("tree", err);
	sn->sn_seq = store_size(store);
	sn->sn_time = 1700000000 + (int64_t)sn->sn_seq * 300;
	b64_encode(sn->sn_root, MERKLE_HASH_LEN, B64_STD, root);
	s = json_pack("{s:s, s:I, s:I, s:I, s:s, s:[{s:s, s:s}, {s:s, s:s}]}",
	    "type", SNAPSHOT_TYPE, "seq", (json_int_t)sn->sn_seq, "time",
	    (json_int_t)sn->sn_time, "records", (json_int_t)n, "root", root,
	    "panels", "name", "pve", "plugin", "proxmox", "name", "vz",
	    "plugin", "virtualizor");
	if (details != NULL) {
		crypto_sha256_hex(details, strlen(details), hex);
		json_object_set_new(s, "crosscheck", json_pack("{s:s, s:i}",
		    "sha256", hex, "nodes", 2));
		sn->sn_check = strdup(details);
		sn->sn_check_len = strlen(details);
	}
	if ((sn->sn_summary = canon_dump(s, &sn->sn_summary_len, err)) == NULL)
		bail("canon_dump", err);
	json_decref(s);
	sc.sc_body = sn->sn_check;
	sc.sc_len = sn->sn_check_len;
	sc.sc_disclosures = NULL;
	if (store_append(store, sn->sn_time, sn->sn_summary,
	    sn->sn_summary_len, sn->sn_root, sn->sn_stored, n, NULL, NULL,
	    details != NULL ? &sc : NULL, err) == -1)
		bail("store_append", err);
	return sn;
}

static void
setup(void)
{
	char	 path[PATH_MAX], vkey[KEYS_VKEY_MAX], err[ERR_MAX];

	if (mkdtemp(tmpdir) == NULL ||
	    keys_generate("test.example/log", tmpdir, vkey, err) == -1 ||
	    keys_vkey_parse(vkey, &vk, err) == -1 ||
	    keys_generate("test.example/other", tmpdir, vkey, err) == -1 ||
	    keys_vkey_parse(vkey, &other, err) == -1)
		bail("keys", err);
	snprintf(path, sizeof(path), "%s/test.example_log.skey", tmpdir);
	if ((keys = keys_load(path, NULL, err)) == NULL)
		bail("keys_load", err);
	snprintf(path, sizeof(path), "%s/test.example_other.skey", tmpdir);
	if ((otherkeys = keys_load(path, NULL, err)) == NULL)
		bail("keys_load", err);
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	if ((store = store_open(path, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	snaps[0] = append(2, NULL);
	snaps[1] = append(NRECS, details_text);
}

/* ---- signing an answer as sightlined does ---- */

static const char *
field(void *arg, const char *name)
{
	return json_string_value(json_object_get(arg, name));
}

/*
 * The bundle file of ev (stolen) answered to target by k: the body made
 * canonical, its digest, the signature, all as the daemon does.
 */
static json_t *
sign_file(json_t *ev, const char *target, const struct keys *k)
{
	struct sign_msg	 req, resp;
	char		 err[ERR_MAX], digest[SIGN_DIGEST_MAX];
	char		 input[SIGN_INPUT_MAX], sig[SIGN_SIG_MAX], src[32];
	char		*body, *path;
	const char	*q;
	json_t		*fields, *file;
	size_t		 len;

	if ((body = canon_dump(ev, &len, err)) == NULL)
		bail("canon_dump", err);
	json_decref(ev);
	q = strchr(target, '?');
	path = strndup(target, q != NULL ? (size_t)(q - target) :
	    strlen(target));
	sign_content_digest(body, len, digest);
	snprintf(src, sizeof(src), "snapshot=%lld", strstr(target, "at=0") !=
	    NULL ? 0LL : 1LL);
	fields = json_pack("{s:s, s:s, s:s}", "content-type",
	    "application/json", "content-digest", digest,
	    "sightline-inventory", src);
	memset(&req, 0, sizeof(req));
	req.sm_method = "GET";
	req.sm_path = path;
	req.sm_query = q != NULL ? q + 1 : NULL;
	memset(&resp, 0, sizeof(resp));
	resp.sm_status = 200;
	resp.sm_field = field;
	resp.sm_arg = fields;
	if (sign_response(k, &resp, &req, 1700001000, input, sig, err) == -1)
		bail("sign_response", err);
	json_object_set_new(fields, "signature-input", json_string(input));
	json_object_set_new(fields, "signature", json_string(sig));
	if ((file = evidence_file_new(body, len, "GET", target, &resp,
	    err)) == NULL)
		bail("evidence_file_new", err);
	json_decref(fields);
	free(path);
	free(body);
	return file;
}

/* EVIDENCE for ip in snapshot seq, as sightlined makes it. */
static json_t *
make(uint64_t seq, const char *ip)
{
	char	 err[ERR_MAX];
	json_t	*ev;

	if ((ev = evidence_make(store, snaps[seq], keys->k_vkey, ip,
	    err)) == NULL)
		bail("evidence_make", err);
	return ev;
}

static const json_t *
entry(const json_t *file, size_t i)
{
	return json_array_get(json_object_get(json_object_get(file,
	    "evidence"), "records"), i);
}

/* A report line of the list that contains needle. */
static int
said(const json_t *report, const char *list, const char *needle)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(json_object_get(report, list), i, v)
		if (strstr(json_string_value(v), needle) != NULL)
			return 1;
	return 0;
}

static void
test_good(void)
{
	json_t		*file, *report;
	const json_t	*e;
	char		 err[ERR_MAX];

	file = sign_file(make(1, "203.0.113.11"), "/v1/evidence?ip="
	    "203.0.113.11", keys);
	err[0] = '\0';
	tap_ok(evidence_check(file, &vk, &report, err) == 0,
	    "a bundle of two records holding an IP verifies %s", err);
	tap_int((long long)json_array_size(json_object_get(json_object_get(
	    file, "evidence"), "records")), 2, "both records holding it");
	tap_str(json_string_value(json_object_get(json_object_get(entry(file,
	    0), "record"), "id")), "vz/1001", "in id order: vz/1001 first");
	tap_str(json_string_value(json_object_get(json_object_get(entry(file,
	    0), "hypervisor"), "status")), "consistent",
	    "vz/1001: consistent (its node listed, reachable, no finding)");
	tap_str(json_string_value(json_object_get(json_object_get(entry(file,
	    1), "hypervisor"), "status")), "inconsistent",
	    "vz/1003: inconsistent (a disk-mismatch names it)");
	e = json_object_get(entry(file, 1), "preserve");
	tap_str(json_string_value(json_array_get(json_object_get(e,
	    "commands"), 4)), "lvcreate --snapshot --name "
	    "sightline-evidence-1003 --size " EVIDENCE_LVM_SIZE
	    " /dev/vg_vps/vsv1003-real",
	    "vz/1003: the LVM snapshot is of the disk the hypervisor showed");
	tap_ok(json_object_get(json_object_get(file, "evidence"), "statement")
	    == NULL, "no statement when records hold the IP");
	tap_ok(report != NULL && said(report, "proven", "record vz/1001 was "
	    "in snapshot 1 (leaf 1 of 4), logged at size 2 under key "
	    "test.example/log+"), "the report: record vz/1001 was in "
	    "snapshot 1, logged at size 2 under the key");
	tap_ok(said(report, "proven", "record vz/1003 holds 203.0.113.11"),
	    "the report: the record holds the IP");
	tap_ok(said(report, "proven", "cross-check details are the ones "
	    "snapshot 1's summary commits to"), "the report: the details "
	    "are the logged ones");
	tap_ok(said(report, "unproven", "identity of the owner: committed, "
	    "not disclosed") && said(report, "unproven", "attested by the "
	    "reseller from libvirt, not observed by you"),
	    "the report says what is not proven");
	json_decref(report);
	json_decref(file);

	/* An older snapshot, proven against the latest checkpoint. */
	file = sign_file(make(0, "2001:db8::11"), "/v1/evidence?ip="
	    "2001:db8::11&at=0", keys);
	tap_ok(evidence_check(file, &vk, &report, err) == 0 &&
	    said(report, "proven", "record vz/1001 was in snapshot 0 (leaf 1 "
	    "of 2), logged at size 2"), "?at=0, an IPv6 address: verifies "
	    "(snapshot 0 in the log of size 2) %s", err);
	tap_str(json_string_value(json_object_get(json_object_get(entry(file,
	    0), "hypervisor"), "status")), "not-checked",
	    "snapshot 0 has no cross-check: not-checked");
	tap_ok(said(report, "unproven", "not checked (snapshot 0 has no "
	    "hypervisor cross-check)"), "and the report says so");
	json_decref(report);
	json_decref(file);

	/* No record: the signed statement. */
	file = sign_file(make(1, "192.0.2.9"), "/v1/evidence?ip=192.0.2.9",
	    keys);
	tap_ok(evidence_check(file, &vk, &report, err) == 0,
	    "a not-assigned IP verifies %s", err);
	tap_str(json_string_value(json_object_get(json_object_get(file,
	    "evidence"), "statement")), "192.0.2.9 is not assigned to any VPS "
	    "in snapshot 1", "with its statement");
	tap_ok(said(report, "unproven", "completeness of the not-assigned "
	    "statement: a signed statement, not a proof of absence"),
	    "which the report says is not a proof of absence");
	json_decref(report);
	json_decref(file);
}

/* ---- refusals ---- */

static void
refused(const char *what, const char *want, json_t *file,
    const struct keys_vkey *key)
{
	json_t	*report = NULL;
	char	 err[ERR_MAX];

	err[0] = '\0';
	tap_ok(evidence_check(file, key, &report, err) == -1 &&
	    strncmp(err, want, strlen(want)) == 0 && report == NULL,
	    "%s: refused (%s)", what, err);
	json_decref(file);
}

static json_t *
ev_records(json_t *ev)
{
	return json_object_get(ev, "records");
}

static json_t *
ev_entry(json_t *ev, size_t i)
{
	return json_array_get(ev_records(ev), i);
}

static void
test_refused(void)
{
	const char	*t11 = "/v1/evidence?ip=203.0.113.11";
	const char	*t9 = "/v1/evidence?ip=192.0.2.9";
	json_t		*ev, *file, *o;
	char		*note;

	/* Changed after signing: the signature gives it away. */
	file = sign_file(make(1, "203.0.113.11"), t11, keys);
	json_object_set_new(json_object_get(ev_entry(json_object_get(file,
	    "evidence"), 0), "record"), "node", json_string("hv09"));
	refused("a record changed after signing", "http: the answer's "
	    "signature does not hold: digest:", file, &vk);

	file = sign_file(make(1, "203.0.113.11"), t11, keys);
	json_object_del(json_object_get(json_object_get(file, "http"),
	    "fields"), "signature");
	refused("the signature removed", "http: the answer's signature does "
	    "not hold: signature:", file, &vk);

	file = sign_file(make(1, "203.0.113.11"), t11, keys);
	refused("another verifier key", "key: the bundle is under key", file,
	    &other);

	/* Signed by another key that the bundle names: the checkpoint holds
	 * the deployment's key to account. */
	ev = make(1, "203.0.113.11");
	json_object_set_new(ev, "key", json_string(otherkeys->k_vkey));
	refused("a bundle signed and keyed by another key",
	    "checkpoint:", sign_file(ev, t11, otherkeys), &other);

	file = sign_file(make(1, "203.0.113.11"), "/v1/evidence?ip="
	    "203.0.113.12", keys);
	refused("signed for another IP's request", "request: the answer is "
	    "to ip=203.0.113.12", file, &vk);

	/* A lying daemon signs what it likes: the proofs give it away. */
	ev = make(1, "203.0.113.11");
	json_object_set_new(json_object_get(ev_entry(ev, 0), "record"),
	    "node", json_string("hv09"));
	refused("a record changed (signed)", "record: vz/1001 is not proven",
	    sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	o = json_object_get(json_object_get(ev_entry(ev, 0), "proof"), "proof");
	json_array_set_new(o, 0, json_string(json_string_value(json_array_get(
	    o, 1))));
	refused("a record's proof changed", "record: vz/1001 is not proven",
	    sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(json_object_get(ev_entry(ev, 0), "proof"),
	    "index", json_integer(2));
	refused("a record's leaf index changed", "record: vz/1001 is not "
	    "proven", sign_file(ev, t11, keys), &vk);

	ev = make(0, "203.0.113.11");
	json_array_clear(json_object_get(json_object_get(ev, "log_proof"),
	    "proof"));
	refused("the log proof emptied", "log: snapshot 0 is not proven",
	    sign_file(ev, "/v1/evidence?ip=203.0.113.11&at=0", keys), &vk);

	ev = make(1, "203.0.113.11");
	note = strdup(json_string_value(json_object_get(ev, "checkpoint")));
	note[strlen(ORIGIN) + 1] = '3';		/* the size line */
	json_object_set_new(ev, "checkpoint", json_string(note));
	free(note);
	refused("the checkpoint changed", "checkpoint:", sign_file(ev, t11,
	    keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(json_object_get(ev, "snapshot"), "time",
	    json_integer(1));
	refused("the summary changed", "log: snapshot 1 is not proven",
	    sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_array_remove(json_object_get(json_object_get(ev, "crosscheck"),
	    "findings"), 0);
	refused("the cross-check details changed (a finding hidden)",
	    "crosscheck: the details hash to", sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(ev, "crosscheck", json_null());
	refused("the cross-check details left out", "crosscheck: snapshot 1's "
	    "summary commits to cross-check details, the bundle has none",
	    sign_file(ev, t11, keys), &vk);

	ev = make(0, "203.0.113.11");
	json_object_set_new(ev, "crosscheck", parse(details_text));
	refused("cross-check details the summary does not commit to",
	    "crosscheck: the bundle carries", sign_file(ev,
	    "/v1/evidence?ip=203.0.113.11&at=0", keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(json_object_get(ev_entry(ev, 1), "hypervisor"),
	    "status", json_string("consistent"));
	refused("a hypervisor status changed", "hypervisor: record vz/1003: "
	    "the bundle says \"consistent\", the cross-check details say "
	    "\"inconsistent\"", sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_array_clear(json_object_get(json_object_get(ev_entry(ev, 1),
	    "hypervisor"), "findings"));
	refused("a hypervisor finding left out", "hypervisor: record vz/1003:",
	    sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_array_set_new(json_object_get(json_object_get(ev_entry(ev, 0),
	    "preserve"), "commands"), 0, json_string("virsh -r dumpxml v1002"));
	refused("a preserve command changed", "preserve: record vz/1001: the "
	    "bundle's preserve is not what the plugin makes",
	    sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(json_object_get(ev_entry(ev, 0), "preserve"),
	    "node", json_string("hv02"));
	refused("a preserve node changed", "preserve: record vz/1001:",
	    sign_file(ev, t11, keys), &vk);

	/* Another record of the snapshot, proven, but not holding the IP. */
	ev = make(1, "203.0.113.11");
	o = make(1, "203.0.113.12");
	json_array_set(ev_records(ev), 1, ev_entry(o, 0));
	json_decref(o);
	refused("a proven record that does not hold the IP", "address: "
	    "record vz/1002 does not hold 203.0.113.11", sign_file(ev, t11,
	    keys), &vk);

	ev = make(1, "203.0.113.11");
	o = json_incref(ev_entry(ev, 0));
	json_array_remove(ev_records(ev), 0);
	json_array_append_new(ev_records(ev), o);
	refused("records out of order", "record: the records are not sorted",
	    sign_file(ev, t11, keys), &vk);

	ev = make(1, "192.0.2.9");
	json_object_set_new(ev, "statement", json_string("192.0.2.9 is not "
	    "assigned to any VPS in snapshot 0"));
	refused("the statement changed", "statement:", sign_file(ev, t9,
	    keys), &vk);

	ev = make(1, "192.0.2.9");
	json_object_del(ev, "statement");
	refused("the statement left out", "statement:", sign_file(ev, t9,
	    keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(ev, "statement", json_string("203.0.113.11 is not "
	    "assigned to any VPS in snapshot 1"));
	refused("a statement next to records", "statement: the bundle has "
	    "records", sign_file(ev, t11, keys), &vk);

	ev = make(1, "203.0.113.11");
	json_object_set_new(ev, "ip", json_string("203.0.113.011"));
	refused("an IP not in canonical form", "file: the evidence's \"ip\"",
	    sign_file(ev, t11, keys), &vk);

	file = sign_file(make(1, "203.0.113.11"), t11, keys);
	json_object_set_new(file, "type", json_string("other"));
	refused("not a bundle file", "file:", file, &vk);
}

static void
test_file_new(void)
{
	struct sign_msg	 resp;
	char		 err[ERR_MAX];
	json_t		*fields = json_object();
	const char	*body = "{\"b\":1, \"a\":2}";

	memset(&resp, 0, sizeof(resp));
	resp.sm_status = 200;
	resp.sm_field = field;
	resp.sm_arg = fields;
	tap_ok(evidence_file_new(body, strlen(body), "GET", "/v1/evidence?ip="
	    "192.0.2.1", &resp, err) == NULL && strstr(err, "RFC 8785") !=
	    NULL, "a body not in RFC 8785 form is not kept: %s", err);
	body = "[1]";
	tap_ok(evidence_file_new(body, strlen(body), "GET", "/v1/evidence?ip="
	    "192.0.2.1", &resp, err) == NULL, "nor one that is not an object");
	json_decref(fields);
}

/* ---- the hypervisor status, from handmade details ---- */

static const char *
status_of(const char *details, const char *rec, size_t *nfindings)
{
	static char	 out[32];
	json_t		*d = details != NULL ? parse(details) : NULL;
	json_t		*r = parse(rec), *h;

	h = evidence_hypervisor(d, r);
	snprintf(out, sizeof(out), "%s", json_string_value(json_object_get(h,
	    "status")));
	*nfindings = json_array_size(json_object_get(h, "findings"));
	json_decref(h);
	json_decref(r);
	json_decref(d);
	return out;
}

static void
test_hypervisor(void)
{
	const char	*rec = "{\"id\":\"vz/7\",\"panel\":\"vz\",\"node\":\"hv01\"}";
	const char	*nodes = "\"nodes\":[{\"panel\":\"vz\",\"node\":\"hv01\","
			    "\"domains\":1,\"error\":null},{\"panel\":\"vz\","
			    "\"node\":\"hv02\",\"domains\":0,\"error\":\"down\"}]";
	char		 d[1024];
	size_t		 n;
	json_t		*dom, *r, *o;

	tap_str(status_of(NULL, rec, &n), "not-checked",
	    "no details: not-checked");
	snprintf(d, sizeof(d), "{\"type\":\"%s\",%s,\"findings\":[]}",
	    HVCHECK_TYPE, nodes);
	tap_str(status_of(d, rec, &n), "consistent",
	    "a listed, reachable node and no finding: consistent");
	tap_str(status_of(d, "{\"id\":\"vz/8\",\"panel\":\"vz\",\"node\":"
	    "\"hv05\"}", &n), "not-checked",
	    "a node that is not listed: not-checked");
	tap_str(status_of(d, "{\"id\":\"pve/8\",\"panel\":\"pve\",\"node\":"
	    "\"hv01\"}", &n), "not-checked",
	    "the same node name in another panel: not-checked");
	tap_str(status_of(d, "{\"id\":\"vz/8\",\"panel\":\"vz\"}", &n),
	    "not-checked", "a record without a node: not-checked");
	snprintf(d, sizeof(d), "{\"type\":\"%s\",%s,\"findings\":[{\"kind\":"
	    "\"node-unreachable\",\"panel\":\"vz\",\"node\":\"hv02\","
	    "\"reason\":\"down\"}]}", HVCHECK_TYPE, nodes);
	tap_ok(strcmp(status_of(d, "{\"id\":\"vz/9\",\"panel\":\"vz\","
	    "\"node\":\"hv02\"}", &n), "node-unreachable") == 0 && n == 1,
	    "its node has an error: node-unreachable, with that finding");
	tap_str(status_of(d, rec, &n), "consistent",
	    "another node's error does not matter");
	snprintf(d, sizeof(d), "{\"type\":\"%s\",%s,\"findings\":[{\"kind\":"
	    "\"mac-mismatch\",\"panel\":\"vz\",\"node\":\"hv01\",\"id\":"
	    "\"vz/7\",\"attested\":[\"00:00:5e:00:53:01\"],\"observed\":"
	    "[\"00:00:5e:00:53:02\"]},{\"kind\":\"uuid-mismatch\",\"panel\":"
	    "\"vz\",\"node\":\"hv01\",\"id\":\"vz/7\",\"attested\":\"a\","
	    "\"observed\":\"b\"},{\"kind\":\"missing-domain\",\"panel\":\"vz\","
	    "\"node\":\"hv01\",\"id\":\"vz/70\"}]}", HVCHECK_TYPE, nodes);
	tap_ok(strcmp(status_of(d, rec, &n), "inconsistent") == 0 && n == 2,
	    "findings naming its id: inconsistent, with exactly those two");
	r = parse(rec);
	o = parse(d);
	dom = evidence_domain(o, r);
	json_decref(o);
	tap_ok(dom != NULL && strcmp(json_string_value(json_object_get(dom,
	    "uuid")), "b") == 0 && json_array_size(json_object_get(dom,
	    "macs")) == 1 && json_object_get(dom, "disks") == NULL,
	    "the observed domain: its uuid and MACs from the findings");
	json_decref(dom);
	json_decref(r);
	snprintf(d, sizeof(d), "{\"type\":\"%s\",%s,\"findings\":[{\"kind\":"
	    "\"wrong-node\",\"panel\":\"vz\",\"id\":\"vz/8\",\"attested\":"
	    "\"hv07\",\"observed\":\"hv01\"}]}", HVCHECK_TYPE, nodes);
	tap_str(status_of(d, "{\"id\":\"vz/8\",\"panel\":\"vz\",\"node\":"
	    "\"hv07\"}", &n), "inconsistent", "found on another node than its "
	    "unlisted one: inconsistent, not unchecked");
	r = parse("{\"id\":\"vz/1\",\"panel\":\"vz\",\"node\":\"hv01\"}");
	o = parse(d);
	tap_ok(evidence_domain(o, r) == NULL,
	    "no finding observes the domain: none");
	json_decref(o);
	json_decref(r);
}

/* ---- each plugin's preserve object ---- */

/* The record of id in tests/cases/DIR/record-fixtures/expected.json. */
static json_t *
fixture(const char *dir, const char *id)
{
	char		 path[PATH_MAX];
	json_error_t	 jerr;
	json_t		*all, *r, *out = NULL;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/tests/cases/%s/record-fixtures/"
	    "expected.json", top, dir);
	if ((all = json_load_file(path, 0, &jerr)) == NULL)
		bail(path, jerr.text);
	json_array_foreach(all, i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
			out = json_incref(r);
	json_decref(all);
	if (out == NULL)
		bail(path, id);
	return out;
}

/* The commands of p, joined by newlines, in a static buffer. */
static const char *
commands(const json_t *p)
{
	static char	 out[8192];
	const json_t	*c;
	size_t		 i, n = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(p, "commands"), i, c)
		n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) -
		    n : 0, "%s\n", json_string_value(c));
	return out;
}

static json_t *
preserve(const struct plugin *pl, const char *dir, const char *id,
    const json_t *dom)
{
	json_t	*r = fixture(dir, id), *p;

	p = pl->pl_preserve(r, dom);
	json_decref(r);
	return p;
}

static void
test_plugins(void)
{
	json_t		*p, *q, *dom, *r;
	const char	*c;

	p = preserve(&plugin_proxmox, "proxmox", "pve/100", NULL);
	c = commands(p);
	tap_ok(strstr(c, "qm config 100\n") != NULL && strstr(c, "vzdump 100 "
	    "--mode snapshot --compress zstd --storage BACKUP_STORAGE\n") !=
	    NULL && strstr(c, "pvesm path local-lvm:vm-100-disk-0\n") !=
	    NULL && strstr(c, "pvesm path ceph-ssd:vm-100-disk-1\n") != NULL,
	    "proxmox: qm config, pvesm path per volume, vzdump in snapshot "
	    "mode");
	tap_ok(strcmp(json_string_value(json_object_get(p, "node")), "pve1") ==
	    0 && strcmp(json_string_value(json_object_get(p, "vm_id")),
	    "100") == 0 && json_array_size(json_object_get(p, "disks")) == 2 &&
	    strcmp(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "disks"), 1), "storage")), "ceph-ssd") == 0,
	    "proxmox: node, vm_id and disks with their storage");
	tap_ok(strstr(json_string_value(json_object_get(p, "note")), "does "
	    "not stop it") != NULL, "proxmox: the note says snapshot mode does "
	    "not stop the guest");
	q = preserve(&plugin_proxmox, "proxmox", "pve/100", NULL);
	tap_ok(proof_same_json(p, q), "proxmox: made twice, the same object");
	json_decref(q);
	json_decref(p);
	p = preserve(&plugin_proxmox, "proxmox", "pve/101", NULL);
	tap_ok(strstr(commands(p), "pct config 101\n") != NULL,
	    "proxmox: a container's configuration with pct");
	json_decref(p);

	p = preserve(&plugin_virtualizor, "virtualizor", "vz/1001", NULL);
	c = commands(p);
	tap_ok(strstr(c, "virsh -r dumpxml v1001\n") != NULL &&
	    strstr(c, "virsh -r domblklist v1001 --details\n") != NULL &&
	    strstr(c, "virsh backup-begin v1001\n") != NULL,
	    "virtualizor: the domain is the vps_name");
	tap_ok(strstr(c, "lvcreate --snapshot --name sightline-evidence-1001 "
	    "--size 10G /dev/vg_vps/vsv1001-a1b2c3d4e5f6g7h8\n") != NULL &&
	    strstr(c, "dd if=/dev/vg_vps/sightline-evidence-1001 bs=4M | tee "
	    "EVIDENCE_DIR/sightline-evidence-1001.img | sha256sum\n") != NULL,
	    "virtualizor: an LVM snapshot of its /dev volume, copied and "
	    "hashed");
	json_decref(p);
	p = preserve(&plugin_virtualizor, "virtualizor", "vz/1002", NULL);
	c = commands(p);
	tap_ok(strstr(c, "sightline-evidence-1002 --size 10G "
	    "/dev/vg_vps/vsv1002-") != NULL && strstr(c, "qcow2") == NULL,
	    "virtualizor: LVM commands for the block volume, not the qcow2 "
	    "file");
	json_decref(p);
	r = fixture("virtualizor", "vz/1002");
	json_array_append_new(json_object_get(r, "disks"), parse(
	    "{\"storage\":\"s\",\"volume\":\"/dev/vg2/vsv1002-b\"}"));
	p = plugin_virtualizor.pl_preserve(r, NULL);
	c = commands(p);
	tap_ok(strstr(c, "--name sightline-evidence-1002-1 --size 10G "
	    "/dev/vg_vps/vsv1002-") != NULL && strstr(c, "--name "
	    "sightline-evidence-1002-2 --size 10G /dev/vg2/vsv1002-b\n") !=
	    NULL && strstr(c, "dd if=/dev/vg2/sightline-evidence-1002-2 ") !=
	    NULL, "virtualizor: two LVM volumes, two numbered snapshots, each "
	    "in its volume group");
	json_decref(p);
	json_decref(r);
	r = fixture("virtualizor", "vz/1001");
	json_object_del(r, "name");
	p = plugin_virtualizor.pl_preserve(r, NULL);
	tap_ok(strstr(commands(p), "virsh -r dumpxml DOMAIN\n") != NULL &&
	    strstr(json_string_value(json_object_get(p, "note")),
	    "does not show") != NULL,
	    "virtualizor without a name: a DOMAIN placeholder, and why");
	json_decref(p);
	json_object_set_new(r, "name", json_string("v1; rm -rf /"));
	p = plugin_virtualizor.pl_preserve(r, NULL);
	tap_ok(strstr(commands(p), "virsh -r dumpxml 'v1; rm -rf /'\n") !=
	    NULL, "a name with shell characters is one quoted word");
	json_decref(p);
	json_object_set_new(r, "name", json_string("--connect=evil"));
	p = plugin_virtualizor.pl_preserve(r, NULL);
	tap_ok(strstr(commands(p), "virsh -r dumpxml DOMAIN\n") != NULL,
	    "a name that looks like an option is not used");
	json_decref(p);
	json_decref(r);

	p = preserve(&plugin_solusvm1, "solusvm1", "solusvm1/201", NULL);
	tap_ok(strstr(commands(p), "virsh -r dumpxml DOMAIN\n") != NULL &&
	    strstr(json_string_value(json_object_get(p, "note")),
	    "does not name the libvirt domain") != NULL,
	    "solusvm1: no domain in the record, the note says so");
	json_decref(p);
	dom = parse("{\"uuid\":\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\","
	    "\"node\":\"hv03\",\"disks\":[\"/dev/vg0/kvm201_img\"]}");
	p = preserve(&plugin_solusvm1, "solusvm1", "solusvm1/201", dom);
	c = commands(p);
	tap_ok(strstr(c, "virsh backup-begin 0f1e2d3c-4b5a-4978-8695-"
	    "a4b3c2d1e0f9\n") != NULL && strcmp(json_string_value(
	    json_object_get(p, "node")), "hv03") == 0 && strstr(c,
	    "--size 10G /dev/vg0/kvm201_img\n") != NULL,
	    "solusvm1 with an observed domain: its uuid, node and disk");
	json_decref(p);
	json_decref(dom);
	p = preserve(&plugin_solusvm1, "solusvm1", "solusvm1/203", NULL);
	tap_ok(json_array_size(json_object_get(p, "commands")) == 0 &&
	    strstr(json_string_value(json_object_get(p, "note")),
	    "kind openvz") != NULL, "solusvm1: an OpenVZ container is not a "
	    "libvirt domain: no virsh commands, the note says why");
	json_decref(p);

	p = preserve(&plugin_solusvm2, "solusvm2", "solusvm2/501", NULL);
	tap_ok(strstr(commands(p), "virsh -r dumpxml 5d0f3c1e-8a4b-4f6e-9c2d-"
	    "1a2b3c4d5e01\n") != NULL && strcmp(json_string_value(
	    json_object_get(p, "node")), "hv01") == 0,
	    "solusvm2: the domain by its UUID, on its node");
	json_decref(p);
	p = preserve(&plugin_virtfusion, "virtfusion", "virtfusion/302", NULL);
	tap_ok(strstr(commands(p), "virsh backup-begin 8f6d1c2a-0b3e-4d5f-"
	    "a6b7-c8d9e0f1a302\n") != NULL && strcmp(json_string_value(
	    json_object_get(json_array_get(json_object_get(p, "disks"), 0),
	    "volume")), "8f6d1c2a-0b3e-4d5f-a6b7-c8d9e0f1a302_1") == 0,
	    "virtfusion: the domain by its UUID, the disks with their storage");
	json_decref(p);
}

int
main(void)
{
	char		 cmd[PATH_MAX + 16];
	const char	*env = getenv("top_srcdir");
	size_t		 i;

	log_init(0);
	crypto_init();
	if (env != NULL && env[0] != '\0')
		top = env;
	setup();
	test_good();
	test_refused();
	test_file_new();
	test_hypervisor();
	test_plugins();
	for (i = 0; i < 2; i++)
		snapshot_unref(snaps[i]);
	store_close(store);
	keys_free(keys);
	keys_free(otherkeys);
	keys_vkey_clear(&vk);
	keys_vkey_clear(&other);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
