/*
 * test_store.c: proxy/store.c, the state directory. Snapshots appended
 * with records added, changed and removed, then read back one by one;
 * every checkpoint verified and checked against a log rebuilt here from
 * the summaries; log proofs made through store_log_read() and verified;
 * reopening, pruning, refusals (bad records, another key or origin, a
 * second writer); a state corrupted in each of its tables by SQLite
 * directly and refused with the right reason; and appends killed with
 * SIGKILL at random moments, after which the state must open whole.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sightline.h"
#include "tap.h"

#define ORIGIN		"test.example/log"
#define NRECS		24	/* records a generated snapshot can hold */
#define NSNAPS		40	/* generated snapshots */
#define CRASH_ROUNDS	30
#define CRASH_DELAY_MS	50

static char		 tmpdir[] = "/tmp/test_store.XXXXXX";
static struct keys	*keys, *other_keys;
static struct keys_vkey	 vk;

/* What a snapshot holds, as the test made it. */
struct model {
	char		*ids[NRECS];
	char		*bodies[NRECS];
	size_t		 n;
	int64_t		 when;
	uint8_t		 root[MERKLE_HASH_LEN];
	char		*summary;
};

static size_t		 generate(uint64_t, char **, char **);
static void		 generated_free(char **, char **, size_t);

static struct model	 models[NSNAPS + 16];
static size_t		 nmodels;
static size_t		 ndisclosed;
static int		 disclose_fail;

static void
bail(const char *what, const char *err)
{
	printf("Bail out! %s: %s\n", what, err);
	exit(1);
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		bail("strdup", "out of memory");
	return p;
}

/* A redacted record as the daemon would store it, version v of id. */
static char *
make_body(const char *id, int v)
{
	char	 buf[512];

	snprintf(buf, sizeof(buf), "{\"_sd\":[\"%064d\"],\"_sd_alg\":"
	    "\"sha-256\",\"id\":\"%s\",\"memory\":%d,\"status\":\"%s\"}",
	    v, id, 1024 * v, v % 2 ? "running" : "stopped");
	return xstrdup(buf);
}

static void
records_root(const struct store_rec *recs, size_t n,
    uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t			 leaves[NRECS + 1][MERKLE_HASH_LEN];
	struct merkle_tree	*t;
	char			 err[ERR_MAX];
	size_t			 i;

	if (n == 0) {
		crypto_sha256("", 0, root);
		return;
	}
	for (i = 0; i < n; i++)
		memcpy(leaves[i], recs[i].sr_hash, MERKLE_HASH_LEN);
	if ((t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves,
	    n, err)) == NULL || merkle_root(n, merkle_tree_read, t, root,
	    err) == -1)
		bail("records root", err);
	merkle_tree_free(t);
}

static char *
make_summary(uint64_t seq, int64_t when, size_t count,
    const uint8_t root[MERKLE_HASH_LEN])
{
	char	 b64[B64_LEN(MERKLE_HASH_LEN) + 1], buf[256];

	b64_encode(root, MERKLE_HASH_LEN, B64_STD, b64);
	snprintf(buf, sizeof(buf), "{\"count\":%zu,\"root\":\"%s\",\"seq\":%llu,"
	    "\"time\":%lld}", count, b64, (unsigned long long)seq,
	    (long long)when);
	return xstrdup(buf);
}

/* Fill recs from parallel id and body arrays (borrowed). */
static void
fill_recs(struct store_rec *recs, char *const *ids, char *const *bodies,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		recs[i].sr_id = ids[i];
		recs[i].sr_body = bodies[i];
		recs[i].sr_len = strlen(bodies[i]);
		merkle_leaf_hash(bodies[i], recs[i].sr_len, recs[i].sr_hash);
	}
}

/* Disclosures of record i: ["<its id>:<its body length>"]. */
static int
disclose(void *arg, size_t i, char **json, char *err)
{
	const struct store_rec	*recs = arg;
	char			 buf[256];

	if (disclose_fail) {
		err_set(err, "the disclosure maker failed");
		return -1;
	}
	ndisclosed++;
	snprintf(buf, sizeof(buf), "[\"%s:%zu\"]", recs[i].sr_id,
	    recs[i].sr_len);
	*json = xstrdup(buf);
	return 0;
}

/*
 * Append the snapshot of the n records (ids sorted) to st and remember
 * it as models[seq]. Returns store_append()'s result.
 */
static int
append(struct store *st, char *const *ids, char *const *bodies, size_t n,
    char *err)
{
	struct store_rec	 recs[NRECS + 1];
	struct model		*m = &models[store_size(st)];
	uint64_t		 seq = store_size(st);
	size_t			 i;
	int			 rc;

	fill_recs(recs, ids, bodies, n);
	m->when = 1700000000 + (int64_t)seq * 300;
	records_root(recs, n, m->root);
	free(m->summary);
	m->summary = make_summary(seq, m->when, n, m->root);
	rc = store_append(st, m->when, m->summary, strlen(m->summary),
	    m->root, recs, n, disclose, recs, NULL, err);
	if (rc == 0) {
		for (i = 0; i < n; i++) {
			m->ids[i] = xstrdup(ids[i]);
			m->bodies[i] = xstrdup(bodies[i]);
		}
		m->n = n;
		nmodels = seq + 1;
	}
	return rc;
}

/* Append generated snapshot seq, without a model (the crash test). */
static int
append_plain(struct store *st, char *err)
{
	char			*ids[NRECS], *bodies[NRECS], *sum;
	struct store_rec	 recs[NRECS];
	uint8_t			 root[MERKLE_HASH_LEN];
	uint64_t		 seq = store_size(st);
	size_t			 n;
	int			 rc;

	n = generate(seq, ids, bodies);
	fill_recs(recs, ids, bodies, n);
	records_root(recs, n, root);
	sum = make_summary(seq, (int64_t)seq, n, root);
	rc = store_append(st, (int64_t)seq, sum, strlen(sum), root, recs, n,
	    disclose, recs, NULL, err);
	free(sum);
	generated_free(ids, bodies, n);
	return rc;
}

static void
models_free(void)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		for (j = 0; j < models[i].n; j++) {
			free(models[i].ids[j]);
			free(models[i].bodies[j]);
		}
		free(models[i].summary);
	}
	memset(models, 0, sizeof(models));
	nmodels = 0;
}

/* The log's root at size, rebuilt here from the models' summaries. */
static void
log_root(size_t size, uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t			 leaves[NSNAPS + 16][MERKLE_HASH_LEN];
	struct merkle_tree	*t;
	char			 err[ERR_MAX];
	size_t			 i;

	if (size == 0) {
		crypto_sha256("", 0, root);
		return;
	}
	for (i = 0; i < size; i++)
		merkle_leaf_hash(models[i].summary, strlen(models[i].summary),
		    leaves[i]);
	if ((t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves,
	    size, err)) == NULL || merkle_root(size, merkle_tree_read, t,
	    root, err) == -1)
		bail("log root", err);
	merkle_tree_free(t);
}

/* The checkpoint note verifies with the deployment key: its contents. */
static int
checkpoint_check(const char *note, size_t len, uint64_t size,
    struct note_checkpoint *cp, char *err)
{
	uint8_t	 root[MERKLE_HASH_LEN];
	size_t	 textlen;

	if (note == NULL)
		return -1;
	if (note_verify(note, len, &vk, &textlen, err) == -1 ||
	    note_checkpoint_parse(note, textlen, cp, err) == -1)
		return -1;
	log_root(size, root);
	if (strcmp(cp->nc_origin, ORIGIN) != 0 || cp->nc_size != size ||
	    memcmp(cp->nc_root, root, MERKLE_HASH_LEN) != 0) {
		err_set(err, "checkpoint is not of the log rebuilt here");
		return -1;
	}
	return 0;
}

/* Snapshot seq read back from st is exactly models[seq]. */
static int
snapshot_matches(struct store *st, uint64_t seq, char *err)
{
	struct store_snapshot	 ss;
	struct store_rec	*recs;
	const struct model	*m = &models[seq];
	uint8_t			 root[MERKLE_HASH_LEN];
	size_t			 n, i;
	int			 ok;

	if (store_snapshot(st, seq, &ss, err) == -1)
		return 0;
	ok = ss.ss_seq == seq && ss.ss_time == m->when &&
	    ss.ss_count == m->n && !ss.ss_pruned &&
	    ss.ss_len == strlen(m->summary) &&
	    memcmp(ss.ss_summary, m->summary, ss.ss_len) == 0 &&
	    memcmp(ss.ss_root, m->root, MERKLE_HASH_LEN) == 0;
	store_snapshot_clear(&ss);
	if (!ok) {
		err_set(err, "snapshot %llu differs", (unsigned long long)seq);
		return 0;
	}
	if (store_records(st, seq, &recs, &n, err) == -1)
		return 0;
	ok = n == m->n;
	for (i = 0; ok && i < n; i++)
		ok = strcmp(recs[i].sr_id, m->ids[i]) == 0 &&
		    recs[i].sr_len == strlen(m->bodies[i]) &&
		    memcmp(recs[i].sr_body, m->bodies[i], recs[i].sr_len) == 0;
	if (ok) {
		records_root(recs, n, root);
		ok = memcmp(root, m->root, MERKLE_HASH_LEN) == 0;
	}
	store_records_free(recs, n);
	if (!ok)
		err_set(err, "records of snapshot %llu differ",
		    (unsigned long long)seq);
	return ok;
}

static void
path_in(char *out, size_t len, const char *sub, const char *file)
{
	if (file != NULL)
		snprintf(out, len, "%s/%s/%s", tmpdir, sub, file);
	else
		snprintf(out, len, "%s/%s", tmpdir, sub);
}

/* A hand-made sequence: every kind of change once. */
static void
test_changes(void)
{
	char		 dir[PATH_MAX], path[PATH_MAX], err[ERR_MAX];
	char		*ids[NRECS], *bodies[NRECS];
	struct store	*st;
	struct stat	 sb;
	struct note_checkpoint cp;
	const char	*cpt;
	size_t		 cplen, i;
	int		 rc;

	path_in(dir, sizeof(dir), "changes", NULL);
	st = store_open(dir, keys, ORIGIN, 0, err);
	if (!tap_ok(st != NULL, "a new state opens"))
		bail("store_open", err);
	tap_ok(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0700,
	    "the state directory is created 0700");
	path_in(path, sizeof(path), "changes", STORE_FILE);
	tap_ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600,
	    "the database is created 0600");
	tap_int(store_size(st), 0, "an empty log");
	tap_str(store_origin(st), ORIGIN, "its origin");
	cpt = store_checkpoint(st, &cplen);
	if (!tap_ok(checkpoint_check(cpt, cplen, 0, &cp, err) == 0,
	    "the empty log has a signed checkpoint of size 0"))
		tap_diag("%s", cpt == NULL ? "none" : err);

	/* 0: a, b, c are new. */
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "vps-%c", (int)('a' + i));
		ids[i] = xstrdup(path);
		bodies[i] = make_body(path, 1);
	}
	ndisclosed = 0;
	tap_int(append(st, ids, bodies, 3, err), 0, "snapshot 0 appended");
	tap_int(ndisclosed, 3, "... disclosures asked for its 3 new records");

	/* 1: b changes, d is new. */
	free(bodies[1]);
	bodies[1] = make_body("vps-b", 2);
	ndisclosed = 0;
	tap_int(append(st, ids, bodies, 4, err), 0, "snapshot 1 appended");
	tap_int(ndisclosed, 2, "... disclosures of the changed and the new one");

	/* 2: b is removed. */
	ndisclosed = 0;
	{
		char	*ids2[3] = { ids[0], ids[2], ids[3] };
		char	*bodies2[3] = { bodies[0], bodies[2], bodies[3] };

		tap_int(append(st, ids2, bodies2, 3, err), 0,
		    "snapshot 2 (a record removed) appended");
	}
	tap_int(ndisclosed, 0, "... no disclosure asked for");

	/* 3: b comes back as it was in 1: that version is known. */
	ndisclosed = 0;
	tap_int(append(st, ids, bodies, 4, err), 0,
	    "snapshot 3 (a record back) appended");
	tap_int(ndisclosed, 0, "... its version is stored: no disclosure asked");

	/* 4: nothing changed. */
	tap_int(append(st, ids, bodies, 4, err), 0,
	    "snapshot 4 (unchanged) appended");
	tap_int(ndisclosed, 0, "... no disclosure asked");

	/* 5: empty; 6: c back, changed. */
	tap_int(append(st, ids, bodies, 0, err), 0,
	    "snapshot 5 (no records) appended");
	free(bodies[2]);
	bodies[2] = make_body("vps-c", 7);
	{
		char	*ids2[1] = { ids[2] };
		char	*bodies2[1] = { bodies[2] };

		rc = append(st, ids2, bodies2, 1, err);
	}
	tap_int(rc, 0, "snapshot 6 (one record, changed) appended");
	tap_int(ndisclosed, 1, "... one disclosure asked for");
	tap_int(store_size(st), 7, "7 snapshots");

	for (i = 0; i < nmodels; i++)
		if (!tap_ok(snapshot_matches(st, i, err),
		    "snapshot %zu reads back as appended", i))
			tap_diag("%s", err);
	for (i = 0; i <= nmodels; i++) {
		char	*note;
		size_t	 len;

		note = store_checkpoint_at(st, i, &len, err);
		if (!tap_ok(checkpoint_check(note, len, i, &cp, err) == 0,
		    "the checkpoint of size %zu verifies and is the log's", i))
			tap_diag("%s", err);
		free(note);
	}
	cpt = store_checkpoint(st, &cplen);
	tap_ok(checkpoint_check(cpt, cplen, 7, &cp, err) == 0,
	    "store_checkpoint() is the latest");
	tap_ok(store_checkpoint_at(st, 8, &cplen, err) == NULL &&
	    strstr(err, "no checkpoint of size 8") != NULL,
	    "no checkpoint past the log: %s", err);

	/* Disclosures, by version. */
	{
		uint8_t	 h[MERKLE_HASH_LEN];
		char	*d, want[64];

		merkle_leaf_hash(bodies[1], strlen(bodies[1]), h);
		d = store_disclosures(st, h, err);
		snprintf(want, sizeof(want), "[\"vps-b:%zu\"]",
		    strlen(bodies[1]));
		tap_str(d, want, "the disclosures of a stored version");
		free(d);
		merkle_leaf_hash("nothing", 7, h);
		d = store_disclosures(st, h, err);
		tap_ok(d == NULL && strstr(err, "no record with hash") != NULL,
		    "an unknown version has none: %s", err);
	}
	store_close(st);
	models_free();
	for (i = 0; i < 4; i++) {
		free(ids[i]);
		free(bodies[i]);
	}
}

/* The records of generated snapshot seq: deterministic in seq. */
static size_t
generate(uint64_t seq, char **ids, char **bodies)
{
	char	 id[32];
	size_t	 i, n = 0;

	for (i = 0; i < NRECS; i++) {
		/* Record i is away one snapshot in (i + 5). */
		if ((seq + 2 * i) % (i + 5) == 0)
			continue;
		snprintf(id, sizeof(id), "vps-%03zu", i);
		ids[n] = xstrdup(id);
		/* and changes every (i % 4 + 1) snapshots. */
		bodies[n] = make_body(id, (int)(seq / (i % 4 + 1)));
		n++;
	}
	return n;
}

static void
generated_free(char **ids, char **bodies, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(ids[i]);
		free(bodies[i]);
	}
}

/* Proofs of the log, made through store_log_read(), verified. */
static void
test_proofs(struct store *st)
{
	uint8_t		 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	uint8_t		 root_m[MERKLE_HASH_LEN], root_n[MERKLE_HASH_LEN];
	uint8_t		 leaf[MERKLE_HASH_LEN];
	char		 err[ERR_MAX];
	size_t		 plen, m, n, i, bad = 0, checked = 0;

	for (n = 1; n <= nmodels; n++) {
		log_root(n, root_n);
		for (i = 0; i < n; i++) {
			merkle_leaf_hash(models[i].summary,
			    strlen(models[i].summary), leaf);
			if (merkle_prove_inclusion(i, n, store_log_read, st,
			    proof, &plen, err) == -1 ||
			    merkle_verify_inclusion(i, n, leaf,
			    (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen,
			    root_n, err) == -1) {
				if (bad++ == 0)
					tap_diag("inclusion %zu in %zu: %s", i,
					    n, err);
			}
			checked++;
		}
		for (m = 1; m < n; m++) {
			log_root(m, root_m);
			if (merkle_prove_consistency(m, n, store_log_read, st,
			    proof, &plen, err) == -1 ||
			    merkle_verify_consistency(m, n, root_m, root_n,
			    (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen,
			    err) == -1) {
				if (bad++ == 0)
					tap_diag("consistency %zu to %zu: %s",
					    m, n, err);
			}
			checked++;
		}
	}
	tap_ok(bad == 0 && checked > 0, "%zu inclusion and consistency proofs "
	    "from store_log_read() verify against the rebuilt log", checked);
}

static void
test_generated(void)
{
	char			 dir[PATH_MAX], err[ERR_MAX];
	char			*ids[NRECS], *bodies[NRECS];
	struct store		*st, *ro, *two;
	struct store_snapshot	*page;
	struct store_rec	*recs;
	struct note_checkpoint	 cp;
	const char		*cpt;
	size_t			 n, bad = 0, npage;
	uint64_t		 seq;

	path_in(dir, sizeof(dir), "generated", NULL);
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	for (seq = 0; seq < NSNAPS; seq++) {
		n = generate(seq, ids, bodies);
		if (append(st, ids, bodies, n, err) == -1 && bad++ == 0)
			tap_diag("append %llu: %s", (unsigned long long)seq,
			    err);
		generated_free(ids, bodies, n);
	}
	tap_ok(bad == 0 && store_size(st) == NSNAPS,
	    "%d generated snapshots appended", NSNAPS);
	for (seq = 0, bad = 0; seq < NSNAPS; seq++)
		if (!snapshot_matches(st, seq, err) && bad++ == 0)
			tap_diag("%s", err);
	tap_ok(bad == 0, "each reads back as appended");
	test_proofs(st);

	/* Pages of snapshots, newest first. */
	tap_int(store_snapshots(st, UINT64_MAX, 3, &page, &npage, err), 0,
	    "a page of the latest snapshots");
	tap_ok(npage == 3 && page[0].ss_seq == NSNAPS - 1 &&
	    page[2].ss_seq == NSNAPS - 3, "... the latest 3, newest first");
	store_snapshots_free(page, npage);
	tap_int(store_snapshots(st, 2, 10, &page, &npage, err), 0,
	    "a page before snapshot 2");
	tap_ok(npage == 2 && page[0].ss_seq == 1 && page[1].ss_seq == 0 &&
	    page[1].ss_len == strlen(models[0].summary),
	    "... holds 1 and 0 with their summaries");
	store_snapshots_free(page, npage);
	tap_int(store_snapshots(st, 0, 10, &page, &npage, err), 0,
	    "a page before snapshot 0");
	tap_ok(npage == 0 && page == NULL, "... is empty");

	/* A second writer, and a reader alongside the writer. */
	two = store_open(dir, keys, ORIGIN, 0, err);
	tap_ok(two == NULL && strstr(err, "in use") != NULL,
	    "a second writer is refused: %s", err);
	store_close(two);
	ro = store_open(dir, NULL, NULL, STORE_READONLY, err);
	if (!tap_ok(ro != NULL, "a reader opens (no key, no origin) while the "
	    "writer has it open"))
		tap_diag("%s", err);
	if (ro != NULL) {
		tap_int(store_size(ro), NSNAPS, "... and sees the whole log");
		tap_str(store_origin(ro), ORIGIN, "... and its origin");
		tap_ok(snapshot_matches(ro, NSNAPS - 1, err),
		    "... and the latest records");
		n = generate(NSNAPS, ids, bodies);
		tap_ok(append(ro, ids, bodies, n, err) == -1 &&
		    strstr(err, "read-only") != NULL,
		    "... but cannot append: %s", err);
		generated_free(ids, bodies, n);
		tap_ok(store_prune(ro, 3, err) == -1, "... nor prune");
		/* The writer goes on; the reader's view stays whole. */
		n = generate(NSNAPS, ids, bodies);
		tap_int(append(st, ids, bodies, n, err), 0,
		    "the writer appends while a reader is open");
		generated_free(ids, bodies, n);
		tap_ok(snapshot_matches(ro, NSNAPS, err),
		    "the reader reads the new snapshot");
		store_close(ro);
	}

	/* Reopen: verified again, and the log goes on. */
	store_close(st);
	st = store_open(dir, keys, ORIGIN, 0, err);
	if (!tap_ok(st != NULL, "the state reopens"))
		bail("reopen", err);
	tap_int(store_size(st), NSNAPS + 1, "... with the whole log");
	cpt = store_checkpoint(st, &n);
	tap_ok(checkpoint_check(cpt, n, NSNAPS + 1, &cp, err) == 0,
	    "... and its latest checkpoint");
	n = generate(NSNAPS + 1, ids, bodies);
	tap_int(append(st, ids, bodies, n, err), 0, "... and grows");
	generated_free(ids, bodies, n);

	/* Prune: records go, the log stays. */
	tap_int(store_prune(st, 10, err), 0, "records before 10 pruned");
	tap_ok(store_records(st, 5, &recs, &n, err) == -1 &&
	    strstr(err, "records of snapshot 5 were pruned") != NULL,
	    "the records of snapshot 5 are gone: %s", err);
	tap_ok(store_records(st, 9, &recs, &n, err) == -1,
	    "... and of snapshot 9");
	{
		struct store_snapshot	 ss;

		tap_ok(store_snapshot(st, 5, &ss, err) == 0 && ss.ss_pruned &&
		    ss.ss_len == strlen(models[5].summary) &&
		    memcmp(ss.ss_summary, models[5].summary, ss.ss_len) == 0,
		    "snapshot 5 keeps its summary, marked pruned");
		store_snapshot_clear(&ss);
	}
	{
		char	*note = store_checkpoint_at(st, 3, &n, err);

		tap_ok(checkpoint_check(note, n, 3, &cp, err) == 0,
		    "the checkpoint of size 3 stays");
		free(note);
	}
	for (seq = 10, bad = 0; seq < nmodels; seq++)
		if (!snapshot_matches(st, seq, err) && bad++ == 0)
			tap_diag("%s", err);
	tap_ok(bad == 0, "snapshots 10 and after are intact");
	{
		uint8_t	 h[MERKLE_HASH_LEN];
		char	*d;

		/* vps-000 changes every snapshot: snapshot 1's is gone. */
		merkle_leaf_hash(models[1].bodies[0],
		    strlen(models[1].bodies[0]), h);
		tap_ok(strcmp(models[1].ids[0], "vps-000") == 0 &&
		    (d = store_disclosures(st, h, err)) == NULL,
		    "a version only pruned snapshots held is gone");
		merkle_leaf_hash(models[nmodels - 1].bodies[0],
		    strlen(models[nmodels - 1].bodies[0]), h);
		d = store_disclosures(st, h, err);
		tap_ok(d != NULL, "the latest version is kept");
		free(d);
	}
	test_proofs(st);
	tap_int(store_prune(st, 5, err), 0, "pruning less is a no-op");
	tap_int(store_prune(st, UINT64_MAX, err), 0,
	    "pruning everything keeps the latest snapshot");
	tap_ok(snapshot_matches(st, nmodels - 1, err),
	    "... whose records stay");
	tap_ok(store_records(st, nmodels - 2, &recs, &n, err) == -1,
	    "... while the one before is gone");
	store_close(st);
	st = store_open(dir, keys, ORIGIN, 0, err);
	if (!tap_ok(st != NULL, "a pruned state reopens"))
		tap_diag("%s", err);
	store_close(st);
	models_free();
}

/* Appends that must fail, and leave the store as it was. */
static void
test_refusals(void)
{
	char			 dir[PATH_MAX], err[ERR_MAX];
	char			*ids[NRECS], *bodies[NRECS], *sum;
	struct store		*st;
	struct store_rec	 recs[NRECS];
	uint8_t			 root[MERKLE_HASH_LEN], bad[MERKLE_HASH_LEN];
	size_t			 n, cplen;
	char			*cp0;

	path_in(dir, sizeof(dir), "refusals", NULL);
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	n = generate(0, ids, bodies);
	tap_int(append(st, ids, bodies, n, err), 0, "snapshot 0");
	generated_free(ids, bodies, n);
	cp0 = xstrdup(store_checkpoint(st, &cplen));

	n = generate(1, ids, bodies);
	fill_recs(recs, ids, bodies, n);
	records_root(recs, n, root);
	sum = make_summary(1, 1, n, root);

	/* Unsorted, then a duplicate id. */
	recs[0].sr_id = ids[1];
	recs[1].sr_id = ids[0];
	tap_ok(store_append(st, 1, sum, strlen(sum), root, recs, n, NULL,
	    NULL, NULL, err) == -1 && strstr(err, "sorted") != NULL,
	    "unsorted records are refused: %s", err);
	recs[1].sr_id = ids[1];
	tap_ok(store_append(st, 1, sum, strlen(sum), root, recs, n, NULL,
	    NULL, NULL, err) == -1 && strstr(err, "repeats") != NULL,
	    "a repeated id is refused: %s", err);
	recs[0].sr_id = ids[0];

	/* The wrong root, a hash that is not the body's, the wrong seq. */
	root[0] ^= 1;
	tap_ok(store_append(st, 1, sum, strlen(sum), root, recs, n, NULL,
	    NULL, NULL, err) == -1 && strstr(err, "root") != NULL,
	    "a root that is not the records' is refused: %s", err);
	root[0] ^= 1;
	recs[2].sr_hash[0] ^= 1;
	records_root(recs, n, bad);
	tap_ok(store_append(st, 1, sum, strlen(sum), bad, recs, n, NULL,
	    NULL, NULL, err) == -1 && strstr(err, "not the leaf hash") != NULL,
	    "a record hash that is not the body's is refused: %s", err);
	recs[2].sr_hash[0] ^= 1;
	free(sum);
	sum = make_summary(5, 1, n, root);
	tap_ok(store_append(st, 1, sum, strlen(sum), root, recs, n, NULL,
	    NULL, NULL, err) == -1 && strstr(err, "\"seq\"") != NULL,
	    "a summary with the wrong seq is refused: %s", err);
	free(sum);
	sum = make_summary(1, 1, n, root);

	/* A failing disclosure maker rolls the whole snapshot back. */
	disclose_fail = 1;
	tap_ok(store_append(st, 1, sum, strlen(sum), root, recs, n, disclose,
	    recs, NULL, err) == -1 && strstr(err, "the disclosure maker failed") !=
	    NULL, "a failed disclosure fails the append: %s", err);
	disclose_fail = 0;
	tap_int(store_size(st), 1, "after all that, the log is unchanged");
	tap_str(store_checkpoint(st, &cplen), cp0, "... and so is its head");
	ndisclosed = 0;
	tap_int(store_append(st, 1, sum, strlen(sum), root, recs, n, disclose,
	    recs, NULL, err), 0, "the same snapshot, done right, is appended");
	tap_ok(ndisclosed > 0, "... and its disclosures asked for again (%zu)",
	    ndisclosed);
	free(sum);
	generated_free(ids, bodies, n);
	store_close(st);
	free(cp0);

	/* Another key, another origin. */
	st = store_open(dir, other_keys, ORIGIN, 0, err);
	tap_ok(st == NULL && strstr(err, "signed with key") != NULL,
	    "another key is refused: %s", err);
	st = store_open(dir, keys, "other.example/log", 0, err);
	tap_ok(st == NULL && strstr(err, "origin") != NULL,
	    "another origin is refused: %s", err);
	st = store_open(dir, other_keys, NULL, STORE_READONLY, err);
	tap_ok(st == NULL && strstr(err, "signed with key") != NULL,
	    "a reader with another key is refused too");
	st = store_open(dir, keys, ORIGIN, STORE_READONLY, err);
	tap_ok(st != NULL, "a reader with the right key and origin opens");
	store_close(st);
	st = store_open(dir, NULL, ORIGIN, 0, err);
	tap_ok(st == NULL, "a writer without keys is refused: %s", err);
	{
		char	 missing[PATH_MAX];

		path_in(missing, sizeof(missing), "missing", NULL);
		st = store_open(missing, NULL, NULL, STORE_READONLY, err);
		tap_ok(st == NULL, "a reader of a missing state is refused: %s",
		    err);
		/* A writer killed before its first transaction left this. */
		path_in(missing, sizeof(missing), "empty", NULL);
		mkdir(missing, 0700);
		path_in(missing, sizeof(missing), "empty", STORE_FILE);
		tap_write_file(missing, "", 0, 0600);
		path_in(missing, sizeof(missing), "empty", NULL);
		st = store_open(missing, NULL, NULL, STORE_READONLY, err);
		tap_ok(st == NULL && strstr(err, "not a sightline state") !=
		    NULL, "a reader of an empty file is refused: %s", err);
		st = store_open(missing, keys, ORIGIN, 0, err);
		tap_ok(st != NULL && store_size(st) == 0,
		    "a writer makes a new state of it");
		store_close(st);
	}
	models_free();
}

static int
copy_file(const char *from, const char *to)
{
	char	*data, err[ERR_MAX];
	size_t	 len;
	int	 rc;

	if ((data = file_read(from, 64 * 1024 * 1024, &len, err)) == NULL)
		return -1;
	rc = tap_write_file(to, data, len, 0600);
	free(data);
	return rc;
}

/*
 * A copy of the pristine state with one SQL statement run on it by
 * SQLite directly: store_open() must refuse it with why in the reason.
 */
static void
corrupt(const char *pristine, const char *name, const char *sql,
    const char *why)
{
	char		 dir[PATH_MAX], path[PATH_MAX], err[ERR_MAX];
	sqlite3		*db;
	struct store	*st;
	char		*msg = NULL;

	path_in(dir, sizeof(dir), name, NULL);
	path_in(path, sizeof(path), name, STORE_FILE);
	if (mkdir(dir, 0700) == -1 || copy_file(pristine, path) == -1)
		bail("corrupt", "copying the state");
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_changes(db) < 1)
		bail(sql, msg != NULL ? msg : "no row changed");
	sqlite3_close(db);
	err[0] = '\0';
	st = store_open(dir, keys, ORIGIN, 0, err);
	if (!tap_ok(st == NULL && strstr(err, why) != NULL &&
	    strstr(err, "refusing to serve") != NULL,
	    "%s: refused", name))
		tap_diag("%s", err);
	else
		tap_diag("%s", err);
	store_close(st);
	st = store_open(dir, NULL, NULL, STORE_READONLY, err);
	tap_ok(st == NULL && strstr(err, why) != NULL,
	    "%s: refused to a reader too", name);
	store_close(st);
}

static void
test_corruption(void)
{
	char		 dir[PATH_MAX], path[PATH_MAX], err[ERR_MAX], sql[8192];
	char		*ids[NRECS], *bodies[NRECS], *text, *note;
	struct store	*st;
	uint8_t		 root[MERKLE_HASH_LEN];
	size_t		 n, len, tlen;
	uint64_t	 seq;

	path_in(dir, sizeof(dir), "pristine", NULL);
	path_in(path, sizeof(path), "pristine", STORE_FILE);
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	for (seq = 0; seq < 6; seq++) {
		n = generate(seq, ids, bodies);
		if (append(st, ids, bodies, n, err) == -1)
			bail("append", err);
		generated_free(ids, bodies, n);
	}
	/* A checkpoint with the key and the right size, the wrong root. */
	memset(root, 0x5a, sizeof(root));
	if ((text = note_checkpoint_text(ORIGIN, 6, root, &tlen, err)) ==
	    NULL || (note = note_sign(keys, text, tlen, &len, err)) == NULL)
		bail("note", err);
	free(text);
	store_close(st);	/* folds the WAL into the file */

	corrupt(path, "bad-summary", "UPDATE snapshot SET summary = "
	    "CAST('{\"seq\":3,\"time\":0}' AS BLOB) WHERE seq = 3",
	    "does not match the summaries");
	corrupt(path, "bad-seq", "UPDATE snapshot SET summary = "
	    "CAST('{\"seq\":2}' AS BLOB) WHERE seq = 3",
	    "the summary of snapshot 3 does not say \"seq\":3");
	corrupt(path, "bad-loghash", "UPDATE loghash SET hash = zeroblob(32) "
	    "WHERE level = 1 AND idx = 1",
	    "log hash (level 1, index 1) does not match");
	corrupt(path, "missing-loghash", "DELETE FROM loghash "
	    "WHERE level = 2 AND idx = 0",
	    "log hash (level 2, index 0) is missing");
	corrupt(path, "bad-checkpoint-signature", "UPDATE checkpoint SET "
	    "note = replace(note, '6\n', '7\n') WHERE size = 6",
	    "does not verify");
	snprintf(sql, sizeof(sql), "UPDATE checkpoint SET note = '%s' WHERE "
	    "size = 6", note);
	corrupt(path, "bad-checkpoint-root", sql,
	    "the stored log (size 6, root ");
	corrupt(path, "missing-checkpoint", "DELETE FROM checkpoint WHERE "
	    "size = 6", "does not match the last checkpoint (size 5");
	corrupt(path, "bad-object", "UPDATE object SET body = "
	    "CAST(replace(CAST(body AS TEXT), 'vps', 'VPS') AS BLOB) "
	    "WHERE hash IN (SELECT hash FROM member WHERE last IS NULL "
	    "AND id = 'vps-003')",
	    "the stored body of record vps-003 does not match its hash");
	corrupt(path, "missing-member", "DELETE FROM member WHERE "
	    "last IS NULL AND id = 'vps-004'",
	    "snapshot 5 counts");
	corrupt(path, "bad-root", "UPDATE snapshot SET root = zeroblob(32) "
	    "WHERE seq = 5", "the records of snapshot 5 do not match its root");
	free(note);
	models_free();
}

/* A summary for snapshot seq of recs that states check's SHA-256 (hex). */
static char *
check_summary(uint64_t seq, const struct store_rec *recs, size_t n,
    const char *hex, uint8_t root[MERKLE_HASH_LEN])
{
	char	 b64[B64_LEN(MERKLE_HASH_LEN) + 1], buf[512];

	records_root(recs, n, root);
	b64_encode(root, MERKLE_HASH_LEN, B64_STD, b64);
	if (hex != NULL)
		snprintf(buf, sizeof(buf), "{\"count\":%zu,\"crosscheck\":"
		    "{\"hidden-vm\":1,\"sha256\":\"%s\"},\"root\":\"%s\","
		    "\"seq\":%llu,\"time\":%llu}", n, hex, b64,
		    (unsigned long long)seq, (unsigned long long)seq);
	else
		snprintf(buf, sizeof(buf), "{\"count\":%zu,\"root\":\"%s\","
		    "\"seq\":%llu,\"time\":%llu}", n, b64,
		    (unsigned long long)seq, (unsigned long long)seq);
	return xstrdup(buf);
}

/* Append snapshot seq of generated records, with check (or none). */
static int
append_checked(struct store *st, const char *check, const char *hex,
    char *err)
{
	char			*ids[NRECS], *bodies[NRECS], *sum;
	struct store_rec	 recs[NRECS];
	struct store_check	 sc;
	uint8_t			 root[MERKLE_HASH_LEN];
	uint64_t		 seq = store_size(st);
	size_t			 n;
	int			 rc;

	n = generate(seq, ids, bodies);
	fill_recs(recs, ids, bodies, n);
	sum = check_summary(seq, recs, n, hex, root);
	sc.sc_body = check;
	sc.sc_len = check != NULL ? strlen(check) : 0;
	sc.sc_disclosures = "[\"WyJzYWx0IiwibmFtZSIsInZtIl0\"]";
	rc = store_append(st, (int64_t)seq, sum, strlen(sum), root, recs, n,
	    NULL, NULL, check != NULL ? &sc : NULL, err);
	free(sum);
	generated_free(ids, bodies, n);
	return rc;
}

static long long
sql_count(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	long long	 n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		bail("sqlite3_open", path);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/*
 * Hypervisor cross-checks (schema 2): kept with their snapshot, once per
 * distinct content, bound to the summary's hash, checked at open; and a
 * state of schema 1 read as it is and brought up to date by a writer.
 */
static void
test_crosscheck(void)
{
	static const char c1[] = "{\"findings\":[{\"kind\":\"hidden-vm\"}]}";
	static const char c2[] = "{\"findings\":[]}";
	char		 dir[PATH_MAX], path[PATH_MAX], err[ERR_MAX];
	char		 h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
	char		*body;
	uint8_t		 h[SHA256_LEN];
	struct store	*st;
	sqlite3		*db;
	size_t		 len;

	crypto_sha256(c1, strlen(c1), h);
	hex_encode(h, SHA256_LEN, h1);
	crypto_sha256(c2, strlen(c2), h);
	hex_encode(h, SHA256_LEN, h2);
	path_in(dir, sizeof(dir), "check", NULL);
	path_in(path, sizeof(path), "check", STORE_FILE);
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	tap_int(append_checked(st, c1, h1, err), 0,
	    "a snapshot with a cross-check is appended");
	tap_int(append_checked(st, NULL, NULL, err), 0,
	    "... then one without");
	tap_int(append_checked(st, c1, h1, err), 0, "... then the same one");
	tap_int(append_checked(st, c2, h2, err), 0, "... then another one");
	tap_ok(append_checked(st, c2, h1, err) == -1 &&
	    strstr(err, "does not state") != NULL,
	    "a summary stating another hash is refused: %s", err);
	tap_ok(append_checked(st, NULL, h1, err) == -1 &&
	    strstr(err, "does not state") != NULL,
	    "a summary stating a cross-check not given is refused: %s", err);
	tap_ok(append_checked(st, c1, NULL, err) == -1 &&
	    strstr(err, "does not state") != NULL,
	    "a cross-check the summary does not state is refused: %s", err);
	tap_ok(store_crosscheck(st, 0, &body, &len, err) == 0 && body != NULL &&
	    len == strlen(c1) && strcmp(body, c1) == 0,
	    "snapshot 0's cross-check reads back");
	free(body);
	tap_ok(store_crosscheck(st, 1, &body, &len, err) == 0 && body == NULL,
	    "snapshot 1 has none");
	tap_ok(store_crosscheck(st, 3, &body, &len, err) == 0 && body != NULL &&
	    strcmp(body, c2) == 0, "snapshot 3's reads back");
	free(body);
	tap_ok(store_crosscheck(st, 9, &body, &len, err) == -1,
	    "an unknown snapshot's is an error: %s", err);
	store_close(st);
	tap_int(sql_count(path, "SELECT count(*) FROM crosscheck"), 2,
	    "two distinct cross-checks are stored once each");
	tap_int(sql_count(path, "SELECT count(*) FROM crosscheck WHERE "
	    "disclosures LIKE '[%'"), 2, "... with their disclosures");
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	tap_ok(store_crosscheck(st, 2, &body, &len, err) == 0 && body != NULL &&
	    strcmp(body, c1) == 0, "after reopening, snapshot 2's reads back");
	free(body);
	store_close(st);

	corrupt(path, "check-body", "UPDATE crosscheck SET body = CAST("
	    "'{\"findings\":[ ]}' AS BLOB) WHERE body = CAST('{\"findings\""
	    ":[]}' AS BLOB)", "does not match the hash its summary states");
	corrupt(path, "check-dropped", "UPDATE snapshot SET check_hash = "
	    "NULL WHERE seq = 3", "states a cross-check that is not stored");
	corrupt(path, "check-missing", "DELETE FROM crosscheck WHERE body = "
	    "CAST('{\"findings\":[]}' AS BLOB)",
	    "the cross-check of snapshot 3 is missing");

	/* A state of schema 1, as issue 5 wrote it. */
	path_in(dir, sizeof(dir), "check-v1", NULL);
	path_in(path, sizeof(path), "check-v1", STORE_FILE);
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	if (append_checked(st, NULL, NULL, err) == -1 ||
	    append_checked(st, NULL, NULL, err) == -1)
		bail("append", err);
	store_close(st);
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db,
	    "DROP TABLE crosscheck; ALTER TABLE snapshot DROP COLUMN "
	    "check_hash; UPDATE meta SET value = '1' WHERE key = 'schema'",
	    NULL, NULL, NULL) != SQLITE_OK)
		bail("making a schema 1 state", sqlite3_errmsg(db));
	sqlite3_close(db);
	st = store_open(dir, NULL, NULL, STORE_READONLY, err);
	tap_ok(st != NULL, "a reader opens a schema 1 state: %s",
	    st != NULL ? "ok" : err);
	tap_ok(st != NULL && store_crosscheck(st, 1, &body, &len, err) == 0 &&
	    body == NULL, "... whose snapshots have no cross-check");
	store_close(st);
	tap_int(sql_count(path, "SELECT value FROM meta WHERE key = 'schema'"),
	    1, "... and leaves it at schema 1");
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	tap_int(sql_count(path, "SELECT value FROM meta WHERE key = 'schema'"),
	    2, "a writer brings it to schema 2");
	tap_int(append_checked(st, c1, h1, err), 0,
	    "... and appends a cross-check to it");
	tap_ok(store_size(st) == 3 && store_crosscheck(st, 2, &body, &len,
	    err) == 0 && body != NULL && strcmp(body, c1) == 0,
	    "... which reads back, after the two snapshots of schema 1");
	free(body);
	store_close(st);
}

/* The child of a crash round: append generated snapshots until killed. */
static __dead void
crash_child(const char *dir, int fd)
{
	char		 err[ERR_MAX];
	struct store	*st;
	uint64_t	 seq;

	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	for (;;) {
		seq = store_size(st);
		if (append_plain(st, err) == -1) {
			fprintf(stderr, "child: %s\n", err);
			_exit(3);
		}
		/* Committed: say so. */
		if (write(fd, &seq, sizeof(seq)) != sizeof(seq))
			_exit(4);
	}
}

/* Every snapshot in [from, size) holds the records generate() makes. */
static int
crash_check(struct store *st, uint64_t from, char *err)
{
	char			*ids[NRECS], *bodies[NRECS];
	struct store_rec	*recs, want[NRECS];
	struct store_snapshot	 ss;
	uint8_t			 root[MERKLE_HASH_LEN];
	uint64_t		 seq;
	size_t			 n, got, i;
	int			 ok = 1;

	for (seq = from; ok && seq < store_size(st); seq++) {
		n = generate(seq, ids, bodies);
		fill_recs(want, ids, bodies, n);
		records_root(want, n, root);
		if (store_records(st, seq, &recs, &got, err) == -1 ||
		    store_snapshot(st, seq, &ss, err) == -1) {
			generated_free(ids, bodies, n);
			return 0;
		}
		ok = got == n && memcmp(ss.ss_root, root, MERKLE_HASH_LEN) == 0;
		for (i = 0; ok && i < n; i++)
			ok = strcmp(recs[i].sr_id, ids[i]) == 0 &&
			    recs[i].sr_len == want[i].sr_len &&
			    memcmp(recs[i].sr_body, bodies[i],
			    want[i].sr_len) == 0;
		if (!ok)
			err_set(err, "snapshot %llu is not what was appended",
			    (unsigned long long)seq);
		store_records_free(recs, got);
		store_snapshot_clear(&ss);
		generated_free(ids, bodies, n);
	}
	return ok;
}

/*
 * kill -9 at random moments of appends: every time, the state must open
 * (which verifies it), hold at least every snapshot the child saw
 * committed and at most one more, each as it was made.
 */
static void
test_crash(void)
{
	char		 dir[PATH_MAX], err[ERR_MAX];
	struct store	*st;
	uint64_t	 reported, seq, before = 0, checked = 0;
	struct timespec	 ts;
	pid_t		 pid;
	int		 round, fds[2], status, ok = 1, killed = 0;
	ssize_t		 r;

	path_in(dir, sizeof(dir), "crash", NULL);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	for (round = 0; round < CRASH_ROUNDS && ok; round++) {
		if (pipe(fds) == -1)
			bail("pipe", strerror(errno));
		fflush(stdout);
		if ((pid = fork()) == -1)
			bail("fork", strerror(errno));
		if (pid == 0) {
			close(fds[0]);
			crash_child(dir, fds[1]);
		}
		close(fds[1]);
		/*
		 * Odd rounds kill at any moment, opening included; even ones
		 * once the child has appended, so that every other kill
		 * falls among appends however slow the machine is.
		 */
		reported = before;
		if (round % 2 == 0 &&
		    read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
			reported = seq + 1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(random() % (CRASH_DELAY_MS + 1)) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) == -1)
			bail("waitpid", strerror(errno));
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else
			tap_diag("round %d: the child exited with %d", round,
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		while ((r = read(fds[0], &seq, sizeof(seq))) == sizeof(seq))
			reported = seq + 1;
		close(fds[0]);

		if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL) {
			tap_ok(0, "round %d: the state opens after kill -9: %s",
			    round, err);
			ok = 0;
			break;
		}
		if (store_size(st) < reported || store_size(st) > reported + 1) {
			tap_ok(0, "round %d: %llu snapshots stored where %llu "
			    "were reported", round,
			    (unsigned long long)store_size(st),
			    (unsigned long long)reported);
			ok = 0;
		} else if (!crash_check(st, before, err)) {
			tap_ok(0, "round %d: %s", round, err);
			ok = 0;
		}
		checked += store_size(st) - before;
		before = store_size(st);
		store_close(st);
	}
	tap_ok(ok, "%d rounds of kill -9 during appends (%d killed): the state "
	    "opens and verifies each time, with every snapshot reported and "
	    "each as appended (%llu snapshots)", round, killed,
	    (unsigned long long)checked);
	tap_ok(checked >= (uint64_t)CRASH_ROUNDS / 2,
	    "... at least one snapshot in every other round (%llu)",
	    (unsigned long long)checked);
	if ((st = store_open(dir, keys, ORIGIN, 0, err)) == NULL)
		bail("store_open", err);
	tap_int(append_plain(st, err), 0,
	    "the log is appended to again after the last kill");
	tap_ok(crash_check(st, 0, err), "every snapshot of the log is as "
	    "generated");
	store_close(st);
}

int
main(void)
{
	char	 path[PATH_MAX], vkey[KEYS_VKEY_MAX], err[ERR_MAX];
	char	 cmd[PATH_MAX + 16];

	log_init(0);
	crypto_init();
	if (mkdtemp(tmpdir) == NULL)
		bail("mkdtemp", strerror(errno));
	if (keys_generate(ORIGIN, tmpdir, vkey, err) == -1 ||
	    keys_generate("other.example/log", tmpdir, vkey, err) == -1)
		bail("keys_generate", err);
	snprintf(path, sizeof(path), "%s/test.example_log.skey", tmpdir);
	if ((keys = keys_load(path, NULL, err)) == NULL)
		bail("keys_load", err);
	snprintf(path, sizeof(path), "%s/other.example_log.skey", tmpdir);
	if ((other_keys = keys_load(path, NULL, err)) == NULL)
		bail("keys_load", err);
	if (keys_vkey_parse(keys->k_vkey, &vk, err) == -1)
		bail("keys_vkey_parse", err);

	test_changes();
	test_generated();
	test_refusals();
	test_corruption();
	test_crosscheck();
	test_crash();

	keys_vkey_clear(&vk);
	keys_free(keys);
	keys_free(other_keys);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
