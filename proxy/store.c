/*
 * store.c: the state directory, where sightlined keeps its snapshot log.
 * One SQLite database (STORE_FILE) in WAL mode with synchronous=FULL:
 * a snapshot is one transaction that writes its new records, the
 * membership intervals that changed, its summary, the log's new subtree
 * hashes and the signed checkpoint, so it is committed whole or not at
 * all, and survives kill -9 or a power cut once store_append() returned.
 * Readers (the tools) open the same file read-only while the daemon
 * writes; WAL gives them a consistent view without blocking it.
 *
 * Tables:
 *   meta(key, value)          schema version, origin, verifier key, and
 *                             "pruned": snapshots below it lost their
 *                             records to store_prune()
 *   object(hash, body, disclosures)
 *                             one row per distinct record version, keyed
 *                             by its leaf hash: an unchanged record costs
 *                             nothing in the next snapshot
 *   member(id, first, last, hash)
 *                             record id was in every snapshot first..last
 *                             with that version; last NULL: still is
 *   snapshot(seq, time, summary, root, count)
 *                             the log's leaves (summaries), never deleted
 *   loghash(level, idx, hash) the log's complete subtrees (merkle.c)
 *   checkpoint(size, note)    every signed checkpoint, never deleted
 *
 * store_open() checks the whole log against the last checkpoint before
 * anything is served, and the latest snapshot's records against its root.
 * Only the daemon writes: it holds an flock(2) on the directory, so a
 * second writer is refused instead of interleaving its appends.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sightline.h"

/*
 * Version 2 added each snapshot's hypervisor cross-check (issue 6); a
 * writer brings a version 1 state up to date at open (store_create).
 */
#define STORE_SCHEMA_VERSION	2
#define STORE_SHOW_ROOT		12	/* base64 characters of a root in a
					   message: enough to tell two apart */

/* Every statement, prepared once and kept (see store_stmt). */
enum store_q {
	STORE_Q_BEGIN_READ,
	STORE_Q_BEGIN_WRITE,
	STORE_Q_COMMIT,
	STORE_Q_ROLLBACK,
	STORE_Q_META_GET,
	STORE_Q_META_PUT,
	STORE_Q_LOG_READ,
	STORE_Q_LOGHASH_PUT,
	STORE_Q_LOGHASH_COUNT,
	STORE_Q_OBJECT_HAS,
	STORE_Q_OBJECT_PUT,
	STORE_Q_MEMBER_OPEN,
	STORE_Q_MEMBER_CLOSE,
	STORE_Q_MEMBERS_CURRENT,
	STORE_Q_SNAPSHOT_PUT,
	STORE_Q_SNAPSHOT_GET,
	STORE_Q_SNAPSHOTS,
	STORE_Q_SNAPSHOT_NEXT,
	STORE_Q_SUMMARIES,
	STORE_Q_RECORDS,
	STORE_Q_DISCLOSURES,
	STORE_Q_CHECKPOINT_PUT,
	STORE_Q_CHECKPOINT_GET,
	STORE_Q_CHECKPOINT_LAST,
	STORE_Q_PRUNE_MEMBERS,
	STORE_Q_PRUNE_OBJECTS,
	STORE_Q_CHECK_HAS,
	STORE_Q_CHECK_PUT,
	STORE_Q_CHECK_GET,
	STORE_Q_COUNT
};

static const char *const store_sql[STORE_Q_COUNT] = {
	[STORE_Q_BEGIN_READ] = "BEGIN",
	/* A writer takes the lock at once, not at its first write. */
	[STORE_Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[STORE_Q_COMMIT] = "COMMIT",
	[STORE_Q_ROLLBACK] = "ROLLBACK",
	[STORE_Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[STORE_Q_META_PUT] =
	    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
	[STORE_Q_LOG_READ] =
	    "SELECT hash FROM loghash WHERE level = ?1 AND idx = ?2",
	[STORE_Q_LOGHASH_PUT] =
	    "INSERT INTO loghash (level, idx, hash) VALUES (?1, ?2, ?3)",
	[STORE_Q_LOGHASH_COUNT] = "SELECT count(*) FROM loghash",
	[STORE_Q_OBJECT_HAS] = "SELECT 1 FROM object WHERE hash = ?1",
	[STORE_Q_OBJECT_PUT] =
	    "INSERT INTO object (hash, body, disclosures) VALUES (?1, ?2, ?3)",
	[STORE_Q_MEMBER_OPEN] =
	    "INSERT INTO member (id, first, last, hash) VALUES (?1, ?2, NULL, ?3)",
	[STORE_Q_MEMBER_CLOSE] =
	    "UPDATE member SET last = ?2 WHERE id = ?1 AND last IS NULL",
	[STORE_Q_MEMBERS_CURRENT] =
	    "SELECT m.id, m.first, m.hash, o.body FROM member m "
	    "LEFT JOIN object o ON o.hash = m.hash "
	    "WHERE m.last IS NULL ORDER BY m.id",
	[STORE_Q_SNAPSHOT_PUT] =
	    "INSERT INTO snapshot (seq, time, summary, root, count, check_hash) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STORE_Q_SNAPSHOT_GET] =
	    "SELECT seq, time, summary, root, count FROM snapshot "
	    "WHERE seq = ?1",
	[STORE_Q_SNAPSHOTS] =
	    "SELECT seq, time, summary, root, count FROM snapshot "
	    "WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
	[STORE_Q_SNAPSHOT_NEXT] =
	    "SELECT coalesce(max(seq) + 1, 0) FROM snapshot",
	[STORE_Q_SUMMARIES] = "SELECT seq, summary FROM snapshot ORDER BY seq",
	/*
	 * The member rows whose interval covers ?1, in id order (the
	 * primary key's), each with its body.
	 */
	[STORE_Q_RECORDS] =
	    "SELECT m.id, m.hash, o.body FROM member m "
	    "LEFT JOIN object o ON o.hash = m.hash "
	    "WHERE m.first <= ?1 AND (m.last IS NULL OR m.last >= ?1) "
	    "ORDER BY m.id",
	[STORE_Q_DISCLOSURES] =
	    "SELECT disclosures FROM object WHERE hash = ?1",
	[STORE_Q_CHECKPOINT_PUT] =
	    "INSERT INTO checkpoint (size, note) VALUES (?1, ?2)",
	[STORE_Q_CHECKPOINT_GET] = "SELECT note FROM checkpoint WHERE size = ?1",
	[STORE_Q_CHECKPOINT_LAST] =
	    "SELECT size, note FROM checkpoint ORDER BY size DESC LIMIT 1",
	[STORE_Q_PRUNE_MEMBERS] = "DELETE FROM member WHERE last < ?1",
	[STORE_Q_PRUNE_OBJECTS] =
	    "DELETE FROM object WHERE hash NOT IN (SELECT hash FROM member)",
	[STORE_Q_CHECK_HAS] = "SELECT 1 FROM crosscheck WHERE hash = ?1",
	[STORE_Q_CHECK_PUT] =
	    "INSERT INTO crosscheck (hash, body, disclosures) "
	    "VALUES (?1, ?2, ?3)",
	[STORE_Q_CHECK_GET] =
	    "SELECT s.summary, s.check_hash, c.body FROM snapshot s "
	    "LEFT JOIN crosscheck c ON c.hash = s.check_hash WHERE s.seq = ?1",
};

/*
 * The schema. member is keyed by (id, first), so a scan in key order is a
 * scan in id order; the index on last finds the current rows (NULL) and
 * the pruned ones. member and loghash are WITHOUT ROWID: their rows are
 * small and their keys are what they are looked up by. object is not:
 * SQLite keeps at most about 1000 bytes of a WITHOUT ROWID row in its
 * page and the rest in an overflow page of its own, so 1.4 KB records
 * with their disclosures took 3.4 times their size.
 */
static const char store_schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);"
    "CREATE TABLE object (hash BLOB PRIMARY KEY, body BLOB NOT NULL, "
    "disclosures TEXT);"
    "CREATE TABLE member (id TEXT NOT NULL, first INTEGER NOT NULL, "
    "last INTEGER, hash BLOB NOT NULL, PRIMARY KEY (id, first)) "
    "WITHOUT ROWID;"
    "CREATE INDEX member_last ON member (last);"
    "CREATE TABLE snapshot (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, "
    "summary BLOB NOT NULL, root BLOB NOT NULL, count INTEGER NOT NULL);"
    "CREATE TABLE loghash (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
    "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;"
    "CREATE TABLE checkpoint (size INTEGER PRIMARY KEY, note TEXT NOT NULL);";

/*
 * Version 2: a snapshot's hypervisor cross-check, stored once per
 * distinct content (they rarely change between snapshots) under its
 * SHA-256, which the snapshot's summary states. Never pruned: they are
 * small, and they are what shows a hidden VM months later.
 */
static const char store_schema_v2[] =
    "CREATE TABLE crosscheck (hash BLOB PRIMARY KEY, body BLOB NOT NULL, "
    "disclosures TEXT);"
    "ALTER TABLE snapshot ADD COLUMN check_hash BLOB;"
    "UPDATE meta SET value = '2' WHERE key = 'schema';";

/* One record of the latest snapshot: what the next one is compared with. */
struct store_member {
	const char	*sm_id;		/* in the block that holds them */
	uint8_t		 sm_hash[MERKLE_HASH_LEN];
};

struct store {
	sqlite3			*st_db;
	char			 st_path[PATH_MAX];	/* for messages */
	int			 st_dirfd;	/* flock'ed by a writer */
	int			 st_readonly;
	int			 st_schema;	/* its version */
	const struct keys	*st_keys;	/* borrowed; NULL if read-only */
	char			 st_origin[NOTE_ORIGIN_MAX + 1];
	char			 st_vkey[KEYS_VKEY_MAX];
	uint64_t		 st_size;	/* snapshots in the log */
	uint8_t			 st_root[MERKLE_HASH_LEN];	/* latest's */
	char			*st_checkpoint;	/* the latest, signed */
	size_t			 st_checkpoint_len;
	struct store_member	*st_members;	/* sorted by id */
	size_t			 st_nmembers;
	char			*st_ids;	/* their ids, one block */
	sqlite3_stmt		*st_stmt[STORE_Q_COUNT];
};

/* What store_append() worked out, swapped in once it committed. */
struct store_next {
	struct store_member	*sn_members;
	char			*sn_ids;
	char			*sn_checkpoint;
	size_t			 sn_checkpoint_len;
};

static void
store_dberr(struct store *st, char *err, const char *what)
{
	err_set(err, "state %s: %s: %s", st->st_path, what,
	    sqlite3_errmsg(st->st_db));
}

/*
 * The state does not hold what it should: someone must look at it before
 * the daemon signs anything more on top of it.
 */
static void
store_refuse(struct store *st, char *err, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
store_refuse(struct store *st, char *err, const char *fmt, ...)
{
	char	 what[ERR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err_set(err, "state %s: %s: refusing to serve; examine the state "
	    "directory", st->st_path, what);
}

/* The first few base64 characters of a hash, for a message. */
static void
store_show(const uint8_t h[MERKLE_HASH_LEN], char out[STORE_SHOW_ROOT + 4])
{
	char	 b64[B64_LEN(MERKLE_HASH_LEN) + 1];

	b64_encode(h, MERKLE_HASH_LEN, B64_STD, b64);
	memcpy(out, b64, STORE_SHOW_ROOT);
	memcpy(out + STORE_SHOW_ROOT, "\xe2\x80\xa6", 4);	/* "…" */
}

/* The prepared statement q, reset and ready to bind; or NULL with err. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_q q, char *err)
{
	sqlite3_stmt	*s = st->st_stmt[q];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->st_db, store_sql[q], -1,
		    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			store_dberr(st, err, "preparing a query");
			return NULL;
		}
		st->st_stmt[q] = s;
	}
	return s;
}

/*
 * Done with a statement: reset it so that a SELECT stops holding its
 * read transaction open, and drop its bindings (they may point into
 * the caller's buffers).
 */
static void
store_done(sqlite3_stmt *s)
{
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Run a statement that returns no rows. 0, or -1 with err. */
static int
store_run(struct store *st, sqlite3_stmt *s, const char *what, char *err)
{
	int	 rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_dberr(st, err, what);
		store_done(s);
		return -1;
	}
	store_done(s);
	return 0;
}

static int
store_simple(struct store *st, enum store_q q, const char *what, char *err)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, q, err)) == NULL)
		return -1;
	return store_run(st, s, what, err);
}

static int
store_begin(struct store *st, int write, char *err)
{
	return store_simple(st, write ? STORE_Q_BEGIN_WRITE :
	    STORE_Q_BEGIN_READ, "starting a transaction", err);
}

static int
store_commit(struct store *st, char *err)
{
	return store_simple(st, STORE_Q_COMMIT, "committing", err);
}

/*
 * Undo what the transaction did, if SQLite has not already (it rolls
 * back by itself after some errors, a full disk among them).
 */
static void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->st_db))
		(void)store_simple(st, STORE_Q_ROLLBACK, "rolling back", NULL);
}

/*
 * SQLite integers are signed 64-bit: every sequence number and size
 * stays below 2^63, which the log cannot reach anyway.
 */
static int
store_bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	return sqlite3_bind_int64(s, i, v > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)v);
}

static int
store_bind_hash(sqlite3_stmt *s, int i, const uint8_t h[MERKLE_HASH_LEN])
{
	return sqlite3_bind_blob(s, i, h, MERKLE_HASH_LEN, SQLITE_STATIC);
}

/* A column that must be a hash: 0, or -1 when it is not 32 bytes. */
static int
store_col_hash(sqlite3_stmt *s, int col, uint8_t h[MERKLE_HASH_LEN])
{
	const void	*p = sqlite3_column_blob(s, col);

	if (p == NULL || sqlite3_column_bytes(s, col) != MERKLE_HASH_LEN)
		return -1;
	memcpy(h, p, MERKLE_HASH_LEN);
	return 0;
}

/* A column as a new NUL-terminated string, with its length. */
static char *
store_col_dup(sqlite3_stmt *s, int col, size_t *lenp)
{
	const void	*p = sqlite3_column_blob(s, col);
	size_t		 len = (size_t)sqlite3_column_bytes(s, col);
	char		*out;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(out, p, len);
	out[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return out;
}

/* meta's value for key as text into out, or "" when there is none. */
static int
store_meta_get(struct store *st, const char *key, char *out, size_t outlen,
    char *err)
{
	sqlite3_stmt	*s;
	const char	*v;
	int		 rc;

	out[0] = '\0';
	if ((s = store_stmt(st, STORE_Q_META_GET, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((v = (const char *)sqlite3_column_text(s, 0)) != NULL)
			strlcpy(out, v, outlen);
	} else if (rc != SQLITE_DONE) {
		store_dberr(st, err, "reading meta");
		store_done(s);
		return -1;
	}
	store_done(s);
	return 0;
}

static int
store_meta_put(struct store *st, const char *key, const char *value,
    char *err)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, STORE_Q_META_PUT, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return store_run(st, s, "writing meta", err);
}

/* Snapshots below this number lost their records to store_prune(). */
static int
store_pruned(struct store *st, uint64_t *pruned, char *err)
{
	char		 v[32];
	const char	*errstr;

	if (store_meta_get(st, "pruned", v, sizeof(v), err) == -1)
		return -1;
	*pruned = (uint64_t)strtonum(v, 0, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		store_refuse(st, err, "the retention marker \"%s\" is %s", v,
		    errstr);
		return -1;
	}
	return 0;
}

/*
 * The log's subtree hash (level, idx): 0; 1 when it is not stored; 2
 * when it is not 32 bytes; -1 with err when SQLite fails.
 */
static int
store_log_get(struct store *st, int level, uint64_t idx,
    uint8_t hash[MERKLE_HASH_LEN], char *err)
{
	sqlite3_stmt	*s;
	int		 rc, ret;

	if ((s = store_stmt(st, STORE_Q_LOG_READ, err)) == NULL)
		return -1;
	sqlite3_bind_int(s, 1, level);
	store_bind_u64(s, 2, idx);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = store_col_hash(s, 0, hash) == 0 ? 0 : 2;
	else if (rc == SQLITE_DONE)
		ret = 1;
	else {
		store_dberr(st, err, "reading the log");
		ret = -1;
	}
	store_done(s);
	return ret;
}

/*
 * merkle_read_fn over the log's stored subtree hashes; arg is the
 * struct store.
 */
int
store_log_read(void *arg, int level, uint64_t idx,
    uint8_t hash[MERKLE_HASH_LEN], char *err)
{
	struct store	*st = arg;

	switch (store_log_get(st, level, idx, hash, err)) {
	case 0:
		return 0;
	case 1:
		err_set(err, "state %s: log hash (level %d, index %llu) is "
		    "missing", st->st_path, level, (unsigned long long)idx);
		return -1;
	case 2:
		err_set(err, "state %s: log hash (level %d, index %llu) is not "
		    "%d bytes", st->st_path, level, (unsigned long long)idx,
		    MERKLE_HASH_LEN);
		return -1;
	default:
		return -1;
	}
}

/* The Merkle root of a snapshot's records from their leaf hashes. */
static int
store_records_root(const uint8_t (*hashes)[MERKLE_HASH_LEN], size_t n,
    uint8_t root[MERKLE_HASH_LEN], char *err)
{
	struct merkle_tree	*t;
	int			 rc;

	if (n == 0)
		return merkle_root(0, NULL, NULL, root, err);
	if ((t = merkle_tree_new(hashes, n, err)) == NULL)
		return -1;
	rc = merkle_root(n, merkle_tree_read, t, root, err);
	merkle_tree_free(t);
	return rc;
}

/* The "seq" a summary states: 0, or -1 when it has none or is no JSON. */
static int
store_summary_seq(const void *summary, size_t len, uint64_t *seq)
{
	json_t		*j, *v;
	json_error_t	 jerr;
	int		 rc = -1;

	if ((j = json_loadb(summary, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL)
		return -1;
	if (json_is_object(j) && (v = json_object_get(j, "seq")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) >= 0) {
		*seq = (uint64_t)json_integer_value(v);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/*
 * Check the log: every summary's leaf hash, and every subtree hash above
 * the leaves, computed again from the summaries alone and compared with
 * loghash; each summary states its own seq; loghash holds nothing more.
 * Sets *size. Runs inside the caller's read transaction, in time linear
 * in the log's size and memory logarithmic in it.
 */
static int
store_verify_log(struct store *st, uint64_t *size, char *err)
{
	uint8_t		 stack[MERKLE_LEVELS_MAX + 1][MERKLE_HASH_LEN];
	uint8_t		 h[MERKLE_HASH_LEN], stored[MERKLE_HASH_LEN];
	sqlite3_stmt	*s, *c = NULL;
	uint64_t	 n = 0, seq, want = 0;
	size_t		 depth = 0;
	int		 l, rc, ret = -1;

	if ((s = store_stmt(st, STORE_Q_SUMMARIES, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const void	*sum = sqlite3_column_blob(s, 1);
		size_t		 slen = (size_t)sqlite3_column_bytes(s, 1);

		if ((uint64_t)sqlite3_column_int64(s, 0) != n) {
			store_refuse(st, err, "snapshot %lld is stored where "
			    "%llu should be: the log has a gap",
			    sqlite3_column_int64(s, 0), (unsigned long long)n);
			goto done;
		}
		if (sum == NULL || store_summary_seq(sum, slen, &seq) == -1 ||
		    seq != n) {
			store_refuse(st, err, "the summary of snapshot %llu "
			    "does not say \"seq\":%llu",
			    (unsigned long long)n, (unsigned long long)n);
			goto done;
		}
		/*
		 * Build the log again as merkle_append() does: leaf n
		 * completes one more subtree for each trailing 1 bit of n,
		 * whose left halves wait on the stack.
		 */
		merkle_leaf_hash(sum, slen, h);
		for (l = 0; ; l++) {
			switch (store_log_get(st, l, n >> l, stored, err)) {
			case 0:
				if (crypto_memeq(stored, h, MERKLE_HASH_LEN))
					break;
				store_refuse(st, err, "the stored log hash "
				    "(level %d, index %llu) does not match the "
				    "summaries", l,
				    (unsigned long long)(n >> l));
				goto done;
			case 1:
				store_refuse(st, err, "the log hash (level %d, "
				    "index %llu) is missing", l,
				    (unsigned long long)(n >> l));
				goto done;
			case 2:
				store_refuse(st, err, "the log hash (level %d, "
				    "index %llu) is not %d bytes", l,
				    (unsigned long long)(n >> l),
				    MERKLE_HASH_LEN);
				goto done;
			default:
				goto done;
			}
			want++;
			if (((n >> l) & 1) == 0 || depth == 0)
				break;
			merkle_node_hash(stack[--depth], h, h);
		}
		memcpy(stack[depth++], h, MERKLE_HASH_LEN);
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_dberr(st, err, "reading the summaries");
		goto done;
	}
	if ((c = store_stmt(st, STORE_Q_LOGHASH_COUNT, err)) == NULL)
		goto done;
	if (sqlite3_step(c) != SQLITE_ROW) {
		store_dberr(st, err, "counting the log hashes");
		goto done;
	}
	if ((uint64_t)sqlite3_column_int64(c, 0) != want) {
		store_refuse(st, err, "the log holds %lld subtree hashes where "
		    "its %llu snapshots make %llu", sqlite3_column_int64(c, 0),
		    (unsigned long long)n, (unsigned long long)want);
		goto done;
	}
	*size = n;
	ret = 0;
 done:
	store_done(c);
	store_done(s);
	return ret;
}

/*
 * The latest snapshot's records, read back from member and object:
 * every body must hash to its leaf hash, and all of them to the
 * snapshot's stored root. They become the membership that the next
 * append is compared with.
 */
static int
store_verify_latest(struct store *st, uint64_t size, char *err)
{
	char		 a[STORE_SHOW_ROOT + 4], b[STORE_SHOW_ROOT + 4];
	uint8_t		 root[MERKLE_HASH_LEN], h[MERKLE_HASH_LEN];
	uint8_t		 leaf[MERKLE_HASH_LEN];
	uint8_t		 (*hashes)[MERKLE_HASH_LEN] = NULL, (*nh)[MERKLE_HASH_LEN];
	struct store_member *m = NULL;
	struct buf	 ids;
	sqlite3_stmt	*s = NULL;
	const char	*id;
	const void	*body;
	size_t		*offs = NULL, *no, n = 0, cap = 0, i, count, clen;
	uint64_t	 seq = size - 1;
	char		*check;
	int		 rc, ret = -1;

	buf_init(&ids);
	if (size == 0) {
		/* The empty log: no records, the next snapshot adds all. */
		return merkle_root(0, NULL, NULL, st->st_root, err);
	}
	if ((s = store_stmt(st, STORE_Q_SNAPSHOT_GET, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, seq);
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_dberr(st, err, "reading the latest snapshot");
		goto done;
	}
	if (store_col_hash(s, 3, st->st_root) == -1 ||
	    sqlite3_column_int64(s, 4) < 0) {
		store_refuse(st, err, "snapshot %llu has no valid root or "
		    "count", (unsigned long long)seq);
		goto done;
	}
	count = (size_t)sqlite3_column_int64(s, 4);
	store_done(s);

	if ((s = store_stmt(st, STORE_Q_MEMBERS_CURRENT, err)) == NULL)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((id = (const char *)sqlite3_column_text(s, 0)) == NULL ||
		    store_col_hash(s, 2, h) == -1) {
			store_refuse(st, err, "a current record of snapshot "
			    "%llu has no id or hash", (unsigned long long)seq);
			goto done;
		}
		if (n > 0 && strcmp(ids.b_data + offs[n - 1], id) >= 0) {
			store_refuse(st, err, "record %s is in snapshot %llu "
			    "twice", id, (unsigned long long)seq);
			goto done;
		}
		if (sqlite3_column_int64(s, 1) < 0 ||
		    (uint64_t)sqlite3_column_int64(s, 1) > seq) {
			store_refuse(st, err, "record %s is current from "
			    "snapshot %lld on, after the latest (%llu)", id,
			    sqlite3_column_int64(s, 1),
			    (unsigned long long)seq);
			goto done;
		}
		if ((body = sqlite3_column_blob(s, 3)) == NULL) {
			store_refuse(st, err, "the body of record %s (snapshot "
			    "%llu) is missing or empty", id,
			    (unsigned long long)seq);
			goto done;
		}
		merkle_leaf_hash(body, (size_t)sqlite3_column_bytes(s, 3),
		    leaf);
		if (!crypto_memeq(leaf, h, MERKLE_HASH_LEN)) {
			store_refuse(st, err, "the stored body of record %s "
			    "does not match its hash", id);
			goto done;
		}
		if (n == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			nh = reallocarray(hashes, cap, sizeof(*hashes));
			no = reallocarray(offs, cap, sizeof(*offs));
			if (nh != NULL)
				hashes = nh;
			if (no != NULL)
				offs = no;
			if (nh == NULL || no == NULL) {
				err_set(err, "out of memory");
				goto done;
			}
		}
		memcpy(hashes[n], h, MERKLE_HASH_LEN);
		offs[n] = ids.b_len;
		buf_add(&ids, id, strlen(id) + 1);
		if (ids.b_oom) {
			err_set(err, "out of memory");
			goto done;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_dberr(st, err, "reading the latest records");
		goto done;
	}
	if (n != count) {
		store_refuse(st, err, "snapshot %llu counts %zu records, but "
		    "%zu are stored", (unsigned long long)seq, count, n);
		goto done;
	}
	if (store_records_root((const uint8_t (*)[MERKLE_HASH_LEN])hashes, n,
	    root, err) == -1)
		goto done;
	if (!crypto_memeq(root, st->st_root, MERKLE_HASH_LEN)) {
		store_show(st->st_root, a);
		store_show(root, b);
		store_refuse(st, err, "the records of snapshot %llu do not "
		    "match its root (stored %s, records make %s)",
		    (unsigned long long)seq, a, b);
		goto done;
	}
	if ((m = calloc(n + 1, sizeof(*m))) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	free(st->st_ids);
	st->st_ids = buf_take(&ids, NULL);
	for (i = 0; i < n; i++) {
		m[i].sm_id = st->st_ids + offs[i];
		memcpy(m[i].sm_hash, hashes[i], MERKLE_HASH_LEN);
	}
	free(st->st_members);
	st->st_members = m;
	st->st_nmembers = n;
	m = NULL;
	/* Its cross-check, if it has one, must be the one it states. */
	store_done(s);
	s = NULL;
	if (store_crosscheck(st, seq, &check, &clen, err) == -1)
		goto done;
	free(check);
	ret = 0;
 done:
	store_done(s);
	free(m);
	buf_free(&ids);
	free(hashes);
	free(offs);
	return ret;
}

/* The "NAME+KEYID" of a verifier key, for messages. */
static void
store_key_show(const char *vkey, char *out, size_t outlen)
{
	const char	*p;

	strlcpy(out, vkey, outlen);
	/* A name holds no "+", the base64 key after the id may. */
	if ((p = strchr(vkey, '+')) != NULL && (p = strchr(p + 1, '+')) !=
	    NULL && (size_t)(p - vkey) < outlen)
		out[p - vkey] = '\0';
}

/*
 * Everything store_open() checks before the log is used: the log
 * against its summaries, its root against the last checkpoint and that
 * checkpoint's signature, the latest snapshot's records against its root.
 * One read transaction, so a reader sees one state even while the
 * daemon appends.
 */
static int
store_verify(struct store *st, char *err)
{
	char			 a[STORE_SHOW_ROOT + 4], b[STORE_SHOW_ROOT + 4];
	char			 why[ERR_MAX];
	uint8_t			 root[MERKLE_HASH_LEN];
	struct keys_vkey	 vk;
	struct note_checkpoint	 cp;
	sqlite3_stmt		*s = NULL;
	uint64_t		 size = 0, pruned, cpsize;
	const char		*note;
	size_t			 notelen, textlen;
	int			 ret = -1, vkok = 0;

	if (keys_vkey_parse(st->st_vkey, &vk, why) == -1) {
		store_refuse(st, err, "the stored verifier key does not parse: "
		    "%s", why);
		return -1;
	}
	vkok = 1;
	if (store_begin(st, 0, err) == -1)
		goto done;
	if (store_verify_log(st, &size, err) == -1)
		goto done;
	if (store_pruned(st, &pruned, err) == -1)
		goto done;
	if (pruned > size) {
		store_refuse(st, err, "records are pruned up to snapshot %llu, "
		    "past the log's end (%llu)", (unsigned long long)pruned,
		    (unsigned long long)size);
		goto done;
	}
	if (merkle_root(size, store_log_read, st, root, err) == -1)
		goto done;

	if ((s = store_stmt(st, STORE_Q_CHECKPOINT_LAST, err)) == NULL)
		goto done;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_refuse(st, err, "there is no checkpoint");
		goto done;
	}
	cpsize = (uint64_t)sqlite3_column_int64(s, 0);
	note = (const char *)sqlite3_column_text(s, 1);
	notelen = (size_t)sqlite3_column_bytes(s, 1);
	if (note == NULL || note_verify(note, notelen, &vk, &textlen, why) ==
	    -1) {
		store_refuse(st, err, "the last checkpoint (size %llu) does "
		    "not verify: %s", (unsigned long long)cpsize,
		    note == NULL ? "no text" : why);
		goto done;
	}
	if (note_checkpoint_parse(note, textlen, &cp, why) == -1) {
		store_refuse(st, err, "the last checkpoint (size %llu) does "
		    "not parse: %s", (unsigned long long)cpsize, why);
		goto done;
	}
	if (strcmp(cp.nc_origin, st->st_origin) != 0 || cp.nc_size != cpsize) {
		store_refuse(st, err, "the last checkpoint, stored as size %llu "
		    "of \"%s\", is size %llu of \"%s\"",
		    (unsigned long long)cpsize, st->st_origin,
		    (unsigned long long)cp.nc_size, cp.nc_origin);
		goto done;
	}
	if (cp.nc_size != size || !crypto_memeq(cp.nc_root, root,
	    MERKLE_HASH_LEN)) {
		store_show(root, a);
		store_show(cp.nc_root, b);
		store_refuse(st, err, "the stored log (size %llu, root %s) does "
		    "not match the last checkpoint (size %llu, root %s)",
		    (unsigned long long)size, a,
		    (unsigned long long)cp.nc_size, b);
		goto done;
	}
	free(st->st_checkpoint);
	if ((st->st_checkpoint = strndup(note, notelen)) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	st->st_checkpoint_len = notelen;
	store_done(s);
	s = NULL;

	if (store_verify_latest(st, size, err) == -1)
		goto done;
	if (store_commit(st, err) == -1)
		goto done;
	st->st_size = size;
	ret = 0;
 done:
	store_done(s);
	if (ret == -1)
		store_rollback(st);
	if (vkok)
		keys_vkey_clear(&vk);
	return ret;
}

/*
 * The directory and the database file, opened. A writer creates the
 * directory (0700) and the file (0600: it holds disclosures, committed
 * values in clear) and locks the directory against a second writer.
 */
static int
store_open_db(struct store *st, const char *dir, char *err)
{
	struct stat	 sb;
	sqlite3_stmt	*s;
	const char	*mode;
	char		 pragma[128];
	int		 fd, flags, rc;

	if (!st->st_readonly) {
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			err_set(err, "state directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		if ((st->st_dirfd = open(dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			err_set(err, "state directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		if (flock(st->st_dirfd, LOCK_EX | LOCK_NB) == -1) {
			err_set(err, "state directory %s: %s", dir,
			    errno == EWOULDBLOCK ? "in use by another "
			    "sightlined" : strerror(errno));
			return -1;
		}
		if ((fd = open(st->st_path, O_RDWR | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) == -1) {
			err_set(err, "state %s: %s", st->st_path,
			    strerror(errno));
			return -1;
		}
		rc = fstat(fd, &sb);
		close(fd);
		if (rc == -1 || !S_ISREG(sb.st_mode)) {
			err_set(err, "state %s: not a regular file",
			    st->st_path);
			return -1;
		}
		if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
			err_set(err, "state %s: mode %04o lets group or others "
			    "read disclosures; chmod 600 it", st->st_path,
			    (unsigned)(sb.st_mode & 07777));
			return -1;
		}
		flags = SQLITE_OPEN_READWRITE;
	} else {
		if (stat(st->st_path, &sb) == -1) {
			err_set(err, "state %s: %s", st->st_path,
			    strerror(errno));
			return -1;
		}
		flags = SQLITE_OPEN_READONLY;
	}
	rc = sqlite3_open_v2(st->st_path, &st->st_db, flags |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, "state %s: %s", st->st_path, st->st_db != NULL ?
		    sqlite3_errmsg(st->st_db) : sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_extended_result_codes(st->st_db, 1);
	sqlite3_busy_timeout(st->st_db, STORE_BUSY_TIMEOUT);
	if (st->st_readonly)
		return 0;

	/*
	 * WAL: readers go on while the daemon writes, and a commit is one
	 * append to the WAL. synchronous=FULL syncs the WAL at every commit,
	 * so a snapshot that store_append() returned survives a power cut.
	 */
	if (sqlite3_prepare_v2(st->st_db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK) {
		store_dberr(st, err, "setting WAL mode");
		return -1;
	}
	rc = sqlite3_step(s);
	mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) :
	    NULL;
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		if (mode == NULL)
			store_dberr(st, err, "setting WAL mode");
		else
			err_set(err, "state %s: journal mode is %s, not wal",
			    st->st_path, mode);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = FULL; "
	    "PRAGMA journal_size_limit = %d", STORE_WAL_LIMIT);
	if (sqlite3_exec(st->st_db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		store_dberr(st, err, "setting synchronous=FULL");
		return -1;
	}
	return 0;
}

/* A checkpoint of the log at size with that root, signed. */
static char *
store_sign(struct store *st, uint64_t size, const uint8_t root[MERKLE_HASH_LEN],
    size_t *len, char *err)
{
	char	*text, *note;
	size_t	 tlen;

	if ((text = note_checkpoint_text(st->st_origin, size, root, &tlen,
	    err)) == NULL)
		return NULL;
	note = note_sign(st->st_keys, text, tlen, len, err);
	free(text);
	return note;
}

static int
store_put_checkpoint(struct store *st, uint64_t size, const char *note,
    size_t len, char *err)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, STORE_Q_CHECKPOINT_PUT, err)) == NULL)
		return -1;
	store_bind_u64(s, 1, size);
	sqlite3_bind_text(s, 2, note, (int)len, SQLITE_STATIC);
	return store_run(st, s, "storing the checkpoint", err);
}

/*
 * A new state: the schema, what it belongs to (origin and key), and the
 * checkpoint of the empty log, so that a log always has a signed head.
 * An existing one is left as it is, for store_check_meta() to judge.
 */
static int
store_create(struct store *st, const char *origin, char *err)
{
	uint8_t		 root[MERKLE_HASH_LEN];
	sqlite3_stmt	*s = NULL;
	char		 v[32], *note = NULL;
	size_t		 len;
	int		 ret = -1, tables;

	if (store_begin(st, 1, err) == -1)
		return -1;
	if (sqlite3_prepare_v2(st->st_db, "SELECT count(*) FROM sqlite_master",
	    -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		store_dberr(st, err, "reading the schema");
		goto done;
	}
	tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (tables == 0) {
		if (sqlite3_exec(st->st_db, store_schema, NULL, NULL, NULL) !=
		    SQLITE_OK) {
			store_dberr(st, err, "creating the schema");
			goto done;
		}
		strlcpy(st->st_origin, origin, sizeof(st->st_origin));
		if (store_meta_put(st, "schema", "1", err) == -1 ||
		    store_meta_put(st, "origin", origin, err) == -1 ||
		    store_meta_put(st, "vkey", st->st_keys->k_vkey, err) == -1 ||
		    store_meta_put(st, "pruned", "0", err) == -1)
			goto done;
		if (merkle_root(0, NULL, NULL, root, err) == -1 ||
		    (note = store_sign(st, 0, root, &len, err)) == NULL ||
		    store_put_checkpoint(st, 0, note, len, err) == -1)
			goto done;
	}
	v[0] = '\0';
	if (store_meta_get(st, "schema", v, sizeof(v), err) == -1)
		goto done;
	if (strcmp(v, "1") == 0 && sqlite3_exec(st->st_db, store_schema_v2,
	    NULL, NULL, NULL) != SQLITE_OK) {
		store_dberr(st, err, "updating the schema to version 2");
		goto done;
	}
	if (store_commit(st, err) == -1)
		goto done;
	ret = 0;
 done:
	sqlite3_finalize(s);
	free(note);
	if (ret == -1)
		store_rollback(st);
	return ret;
}

/* The state belongs to this deployment: its schema, origin and key. */
static int
store_check_meta(struct store *st, const struct keys *keys,
    const char *origin, char *err)
{
	char		 v[32], version[32];
	char		 have[KEYS_VKEY_MAX], want[KEYS_VKEY_MAX];
	sqlite3_stmt	*s;
	int		 tables = 0;

	/* A file that SQLite opens but that holds no state of ours. */
	if (sqlite3_prepare_v2(st->st_db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'meta'", -1, &s, NULL) !=
	    SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		store_dberr(st, err, "reading the schema");
		sqlite3_finalize(s);
		return -1;
	}
	tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	v[0] = '\0';
	if (tables == 1 && store_meta_get(st, "schema", v, sizeof(v),
	    err) == -1)
		return -1;
	if (v[0] == '\0') {
		err_set(err, "state %s: not a sightline state (no schema "
		    "version)", st->st_path);
		return -1;
	}
	/* A reader may meet a version 1 state: it has no cross-checks. */
	snprintf(version, sizeof(version), "%d", STORE_SCHEMA_VERSION);
	if (strcmp(v, version) == 0)
		st->st_schema = STORE_SCHEMA_VERSION;
	else if (strcmp(v, "1") == 0 && st->st_readonly)
		st->st_schema = 1;
	else {
		err_set(err, "state %s: schema version %s, where this "
		    "sightline knows %d", st->st_path, v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (store_meta_get(st, "origin", st->st_origin,
	    sizeof(st->st_origin), err) == -1 ||
	    store_meta_get(st, "vkey", st->st_vkey, sizeof(st->st_vkey),
	    err) == -1)
		return -1;
	if (origin != NULL && strcmp(origin, st->st_origin) != 0) {
		err_set(err, "state %s holds the log of origin \"%s\", not "
		    "\"%s\": refusing to serve (configure that origin, or use "
		    "another state directory)", st->st_path, st->st_origin,
		    origin);
		return -1;
	}
	if (keys != NULL && strcmp(keys->k_vkey, st->st_vkey) != 0) {
		store_key_show(st->st_vkey, have, sizeof(have));
		store_key_show(keys->k_vkey, want, sizeof(want));
		err_set(err, "state %s was signed with key %s, not %s: refusing "
		    "to serve (use that key, or another state directory)",
		    st->st_path, have, want);
		return -1;
	}
	return 0;
}

/*
 * Open the state in dir. A writer (flags without STORE_READONLY) passes
 * the deployment's keys, which must hold the signing key and stay alive
 * until store_close() (borrowed), and the log's origin; the directory and
 * the state are created when missing. A reader (STORE_READONLY) may pass
 * keys and origin to check the state against them, or NULL: the last
 * checkpoint is then verified with the key the state names, which proves
 * the state consistent but not whose it is. Either way the whole log and
 * the latest snapshot are verified (see store_verify). Returns a new
 * store, or NULL with a reason.
 */
struct store *
store_open(const char *dir, const struct keys *keys, const char *origin,
    int flags, char *err)
{
	struct store	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	st->st_dirfd = -1;
	st->st_readonly = (flags & STORE_READONLY) != 0;
	st->st_keys = keys;
	if ((size_t)snprintf(st->st_path, sizeof(st->st_path), "%s/%s", dir,
	    STORE_FILE) >= sizeof(st->st_path)) {
		err_set(err, "state directory %s: name too long", dir);
		goto fail;
	}
	if (!st->st_readonly && (keys == NULL || keys->k_sign == NULL)) {
		err_set(err, "state %s: writing needs the deployment's signing "
		    "key", st->st_path);
		goto fail;
	}
	if (!st->st_readonly && origin == NULL) {
		err_set(err, "state %s: writing needs the log's origin",
		    st->st_path);
		goto fail;
	}
	if (origin != NULL && (origin[0] == '\0' ||
	    strlen(origin) > NOTE_ORIGIN_MAX)) {
		err_set(err, "state %s: the log's origin is empty or longer "
		    "than %d bytes", st->st_path, NOTE_ORIGIN_MAX);
		goto fail;
	}
	if (store_open_db(st, dir, err) == -1)
		goto fail;
	if (!st->st_readonly && store_create(st, origin, err) == -1)
		goto fail;
	if (store_check_meta(st, keys, origin, err) == -1)
		goto fail;
	if (store_verify(st, err) == -1)
		goto fail;
	return st;
 fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < STORE_Q_COUNT; i++)
		sqlite3_finalize(st->st_stmt[i]);
	/* The last connection to close folds the WAL into the file. */
	if (st->st_db != NULL)
		sqlite3_close(st->st_db);
	if (st->st_dirfd != -1)
		close(st->st_dirfd);
	free(st->st_members);
	free(st->st_ids);
	free(st->st_checkpoint);
	free(st);
}

uint64_t
store_size(const struct store *st)
{
	return st->st_size;
}

const char *
store_origin(const struct store *st)
{
	return st->st_origin;
}

/* The latest signed checkpoint, borrowed: valid until the next append. */
const char *
store_checkpoint(const struct store *st, size_t *len)
{
	if (len != NULL)
		*len = st->st_checkpoint_len;
	return st->st_checkpoint;
}

/* Records given to store_append(): sorted by id, unique, within limits. */
static int
store_check_recs(const struct store_rec *recs, size_t n, char *err)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (recs[i].sr_id == NULL || recs[i].sr_id[0] == '\0') {
			err_set(err, "record %zu has no id", i);
			return -1;
		}
		if (recs[i].sr_body == NULL || recs[i].sr_len == 0 ||
		    recs[i].sr_len > STORE_RECORD_MAX) {
			err_set(err, "record %s: empty or larger than %d bytes",
			    recs[i].sr_id, STORE_RECORD_MAX);
			return -1;
		}
		if (i > 0 && strcmp(recs[i - 1].sr_id, recs[i].sr_id) >= 0) {
			err_set(err, "record %s %s record %s: records must be "
			    "sorted by id and unique", recs[i].sr_id,
			    strcmp(recs[i - 1].sr_id, recs[i].sr_id) == 0 ?
			    "repeats" : "comes after", recs[i - 1].sr_id);
			return -1;
		}
	}
	return 0;
}

/* Close the interval of the current version of id at last. */
static int
store_member_close(struct store *st, const char *id, uint64_t last,
    char *err)
{
	sqlite3_stmt	*s;

	if ((s = store_stmt(st, STORE_Q_MEMBER_CLOSE, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	store_bind_u64(s, 2, last);
	if (store_run(st, s, "closing a record's interval", err) == -1)
		return -1;
	if (sqlite3_changes(st->st_db) != 1) {
		err_set(err, "state %s: record %s has %d current versions, not "
		    "one", st->st_path, id, sqlite3_changes(st->st_db));
		return -1;
	}
	return 0;
}

/* A JSON array of strings, as store_disclose_fn gives: 0, or -1. */
static int
store_disclosures_check(const char *json, char *err)
{
	json_t		*j, *v;
	json_error_t	 jerr;
	size_t		 i, len = strlen(json);
	int		 rc = 0;

	if (len > STORE_DISCLOSURES_MAX) {
		err_set(err, "disclosures larger than %d bytes",
		    STORE_DISCLOSURES_MAX);
		return -1;
	}
	if ((j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL || !json_is_array(j)) {
		err_set(err, "disclosures are not a JSON array");
		json_decref(j);
		return -1;
	}
	json_array_foreach(j, i, v)
		if (!json_is_string(v))
			rc = -1;
	if (rc == -1)
		err_set(err, "disclosures are not all strings");
	json_decref(j);
	return rc;
}

/*
 * Record i joins the snapshot seq in a version new to it: store that
 * version unless the store has it already (then its disclosures are not
 * asked for), and open its interval.
 */
static int
store_member_open(struct store *st, const struct store_rec *r, size_t i,
    uint64_t seq, store_disclose_fn disclose, void *arg, char *err)
{
	uint8_t		 h[MERKLE_HASH_LEN];
	sqlite3_stmt	*s;
	char		*json = NULL;
	int		 rc, ret = -1;

	merkle_leaf_hash(r->sr_body, r->sr_len, h);
	if (!crypto_memeq(h, r->sr_hash, MERKLE_HASH_LEN)) {
		err_set(err, "record %s: its hash is not the leaf hash of its "
		    "body", r->sr_id);
		return -1;
	}
	if ((s = store_stmt(st, STORE_Q_OBJECT_HAS, err)) == NULL)
		return -1;
	store_bind_hash(s, 1, r->sr_hash);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_dberr(st, err, "looking up a record");
		return -1;
	}
	if (rc == SQLITE_DONE) {
		if (disclose != NULL && disclose(arg, i, &json, err) == -1) {
			err_prefix(err, "record %s: disclosures: ", r->sr_id);
			goto done;
		}
		if (json != NULL && store_disclosures_check(json, err) == -1) {
			err_prefix(err, "record %s: ", r->sr_id);
			goto done;
		}
		if ((s = store_stmt(st, STORE_Q_OBJECT_PUT, err)) == NULL)
			goto done;
		store_bind_hash(s, 1, r->sr_hash);
		sqlite3_bind_blob(s, 2, r->sr_body, (int)r->sr_len,
		    SQLITE_STATIC);
		if (json != NULL)
			sqlite3_bind_text(s, 3, json, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 3);
		if (store_run(st, s, "storing a record", err) == -1)
			goto done;
	}
	if ((s = store_stmt(st, STORE_Q_MEMBER_OPEN, err)) == NULL)
		goto done;
	sqlite3_bind_text(s, 1, r->sr_id, -1, SQLITE_STATIC);
	store_bind_u64(s, 2, seq);
	store_bind_hash(s, 3, r->sr_hash);
	if (store_run(st, s, "storing a record's interval", err) == -1)
		goto done;
	ret = 0;
 done:
	free(json);
	return ret;
}

/*
 * Walk the current membership and the new records side by side, both
 * sorted by id. With write set, store what changed: close the intervals
 * of records removed or changed, open those of records new or changed,
 * and store each version the store has not seen. Returns the number of
 * changes, or -1 with err.
 */
static ssize_t
store_merge(struct store *st, const struct store_rec *recs, size_t n,
    int write, uint64_t seq, store_disclose_fn disclose, void *arg,
    char *err)
{
	const struct store_member	*m = st->st_members;
	size_t				 i = 0, j = 0, nm = st->st_nmembers;
	ssize_t				 changes = 0;
	int				 c;

	while (i < n || j < nm) {
		if (i == n)
			c = 1;
		else if (j == nm)
			c = -1;
		else
			c = strcmp(recs[i].sr_id, m[j].sm_id);
		if (c == 0 && crypto_memeq(recs[i].sr_hash, m[j].sm_hash,
		    MERKLE_HASH_LEN)) {
			i++, j++;
			continue;
		}
		changes++;
		/* Gone or changed: its interval ends with the last snapshot. */
		if (c >= 0 && write &&
		    store_member_close(st, m[j].sm_id, seq - 1, err) == -1)
			return -1;
		/* New or changed: an interval from this snapshot on. */
		if (c <= 0 && write && store_member_open(st, &recs[i], i, seq,
		    disclose, arg, err) == -1)
			return -1;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return changes;
}

/* The membership after this append, for store_append to swap in. */
static int
store_next_members(const struct store_rec *recs, size_t n,
    struct store_next *next, char *err)
{
	size_t	 i, len, total = 0;
	char	*p;

	for (i = 0; i < n; i++)
		total += strlen(recs[i].sr_id) + 1;
	next->sn_members = calloc(n + 1, sizeof(*next->sn_members));
	next->sn_ids = malloc(total + 1);
	if (next->sn_members == NULL || next->sn_ids == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0, p = next->sn_ids; i < n; i++) {
		len = strlen(recs[i].sr_id) + 1;
		memcpy(p, recs[i].sr_id, len);
		next->sn_members[i].sm_id = p;
		memcpy(next->sn_members[i].sm_hash, recs[i].sr_hash,
		    MERKLE_HASH_LEN);
		p += len;
	}
	return 0;
}

/* The number of snapshots the database holds, within a transaction. */
static int
store_db_size(struct store *st, uint64_t *size, char *err)
{
	sqlite3_stmt	*s;
	int		 ret = -1;

	if ((s = store_stmt(st, STORE_Q_SNAPSHOT_NEXT, err)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		ret = 0;
	} else
		store_dberr(st, err, "counting the snapshots");
	store_done(s);
	return ret;
}

/*
 * Append a snapshot: its summary (RFC 8785 JSON whose "seq" is
 * store_size()), its time, the root of its records and the records
 * themselves (n, sorted by id, unique; borrowed). disclose (may be NULL)
 * is asked for the disclosures of each record version the store does not
 * hold yet. Checks the records against root, then in one transaction
 * stores what changed since the last snapshot, the summary as the log's
 * next leaf and the signed checkpoint of the grown log. Its cost depends
 * on the records and how many changed, not on the log's length. Returns
 * 0, or -1 with a reason and the store (on disk and in memory) as it was.
 */
/*
 * The hex SHA-256 that summary states for its cross-check, in hex (a
 * string of SHA256_HEX_LEN + 1 bytes), or "" when it has none. Returns 0,
 * or -1 when the summary is not JSON or its "crosscheck" is malformed.
 */
static int
store_summary_check(const void *summary, size_t len,
    char hex[SHA256_HEX_LEN + 1])
{
	json_t		*j, *c;
	const char	*h;
	int		 rc = -1;

	hex[0] = '\0';
	if ((j = json_loadb(summary, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return -1;
	if ((c = json_object_get(j, "crosscheck")) == NULL)
		rc = 0;
	else if ((h = json_string_value(json_object_get(c, "sha256"))) !=
	    NULL && strlen(h) == SHA256_HEX_LEN) {
		strlcpy(hex, h, SHA256_HEX_LEN + 1);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/*
 * The cross-check of snapshot seq: sets *body to a new copy of its
 * details (RFC 8785), or to NULL when the snapshot has none, after
 * checking them against their hash and the hash against the summary.
 * Returns 0, or -1 with a reason.
 */
int
store_crosscheck(struct store *st, uint64_t seq, char **body, size_t *len,
    char *err)
{
	char		 want[SHA256_HEX_LEN + 1], have[SHA256_HEX_LEN + 1];
	uint8_t		 h[SHA256_LEN], stored[SHA256_LEN];
	sqlite3_stmt	*s;
	const void	*sum, *b;
	int		 ret = -1;

	*body = NULL;
	*len = 0;
	if (st->st_schema < 2)
		return 0;
	if ((s = store_stmt(st, STORE_Q_CHECK_GET, err)) == NULL)
		return -1;
	store_bind_u64(s, 1, seq);
	if (sqlite3_step(s) != SQLITE_ROW) {
		err_set(err, "snapshot %llu is not in the log",
		    (unsigned long long)seq);
		goto done;
	}
	sum = sqlite3_column_blob(s, 0);
	if (sum == NULL || store_summary_check(sum,
	    (size_t)sqlite3_column_bytes(s, 0), want) == -1) {
		store_refuse(st, err, "the summary of snapshot %llu has a "
		    "malformed crosscheck", (unsigned long long)seq);
		goto done;
	}
	if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
		if (want[0] != '\0') {
			store_refuse(st, err, "snapshot %llu states a "
			    "cross-check that is not stored",
			    (unsigned long long)seq);
			goto done;
		}
		ret = 0;
		goto done;
	}
	if (store_col_hash(s, 1, stored) == -1 ||
	    (b = sqlite3_column_blob(s, 2)) == NULL) {
		store_refuse(st, err, "the cross-check of snapshot %llu is "
		    "missing", (unsigned long long)seq);
		goto done;
	}
	*len = (size_t)sqlite3_column_bytes(s, 2);
	crypto_sha256(b, *len, h);
	hex_encode(h, SHA256_LEN, have);
	if (!crypto_memeq(h, stored, SHA256_LEN) || strcmp(have, want) != 0) {
		store_refuse(st, err, "the stored cross-check of snapshot %llu "
		    "does not match %s", (unsigned long long)seq,
		    want[0] == '\0' ? "its summary, which states none" :
		    "the hash its summary states");
		goto done;
	}
	if ((*body = malloc(*len + 1)) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	memcpy(*body, b, *len);
	(*body)[*len] = '\0';
	ret = 0;
 done:
	store_done(s);
	if (ret == -1)
		*len = 0;
	return ret;
}

/* Keep check, once per distinct content; set h to its hash. */
static int
store_put_check(struct store *st, const struct store_check *check,
    uint8_t h[SHA256_LEN], char *err)
{
	sqlite3_stmt	*s;
	int		 have;

	crypto_sha256(check->sc_body, check->sc_len, h);
	if ((s = store_stmt(st, STORE_Q_CHECK_HAS, err)) == NULL)
		return -1;
	store_bind_hash(s, 1, h);
	have = sqlite3_step(s) == SQLITE_ROW;
	store_done(s);
	if (have)
		return 0;
	if ((s = store_stmt(st, STORE_Q_CHECK_PUT, err)) == NULL)
		return -1;
	store_bind_hash(s, 1, h);
	sqlite3_bind_blob(s, 2, check->sc_body, (int)check->sc_len,
	    SQLITE_STATIC);
	if (check->sc_disclosures != NULL)
		sqlite3_bind_text(s, 3, check->sc_disclosures, -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	return store_run(st, s, "storing the cross-check", err);
}

int
store_append(struct store *st, int64_t when, const char *summary,
    size_t slen, const uint8_t root[MERKLE_HASH_LEN],
    const struct store_rec *recs, size_t n, store_disclose_fn disclose,
    void *arg, const struct store_check *check, char *err)
{
	char			 a[STORE_SHOW_ROOT + 4], b[STORE_SHOW_ROOT + 4];
	char			 want[SHA256_HEX_LEN + 1];
	char			 have[SHA256_HEX_LEN + 1];
	uint8_t			 ch[SHA256_LEN];
	struct merkle_node	 nodes[MERKLE_LEVELS_MAX + 1];
	struct store_next	 next;
	uint8_t			 leaf[MERKLE_HASH_LEN], h[MERKLE_HASH_LEN];
	uint8_t			 (*hashes)[MERKLE_HASH_LEN] = NULL;
	sqlite3_stmt		*s;
	uint64_t		 seq = st->st_size, dbsize, sseq;
	ssize_t			 changes;
	size_t			 i, nn;
	int			 ret = -1, intx = 0;

	memset(&next, 0, sizeof(next));
	if (st->st_readonly) {
		err_set(err, "state %s is open read-only", st->st_path);
		return -1;
	}
	if (slen == 0 || slen > STORE_SUMMARY_MAX) {
		err_set(err, "a summary of %zu bytes (at most %d)", slen,
		    STORE_SUMMARY_MAX);
		return -1;
	}
	if (store_summary_seq(summary, slen, &sseq) == -1 || sseq != seq) {
		err_set(err, "the summary must be a JSON object whose \"seq\" "
		    "is %llu, the log's size", (unsigned long long)seq);
		return -1;
	}
	if (store_check_recs(recs, n, err) == -1)
		return -1;
	/* The summary must state the cross-check's hash, or none. */
	if (store_summary_check(summary, slen, want) == -1) {
		err_set(err, "the summary's \"crosscheck\" has no SHA-256");
		return -1;
	}
	if (check != NULL) {
		if (check->sc_len == 0 || check->sc_len > STORE_CHECK_MAX) {
			err_set(err, "a cross-check of %zu bytes (at most %d)",
			    check->sc_len, STORE_CHECK_MAX);
			return -1;
		}
		crypto_sha256(check->sc_body, check->sc_len, ch);
		hex_encode(ch, SHA256_LEN, have);
	} else
		have[0] = '\0';
	if (strcmp(want, have) != 0) {
		err_set(err, "the summary's \"crosscheck\" does not state the "
		    "cross-check's SHA-256");
		return -1;
	}

	/*
	 * The root must be the records' before it is signed into the log:
	 * a wrong one would make the next store_open() refuse the state.
	 * When no record changed, it is the last snapshot's.
	 */
	if ((changes = store_merge(st, recs, n, 0, seq, NULL, NULL, err)) == -1)
		return -1;
	if (changes == 0)
		memcpy(h, st->st_root, MERKLE_HASH_LEN);
	else {
		if ((hashes = calloc(n + 1, sizeof(*hashes))) == NULL) {
			err_set(err, "out of memory");
			return -1;
		}
		for (i = 0; i < n; i++)
			memcpy(hashes[i], recs[i].sr_hash, MERKLE_HASH_LEN);
		if (store_records_root((const uint8_t (*)[MERKLE_HASH_LEN])
		    hashes, n, h, err) == -1)
			goto done;
	}
	if (!crypto_memeq(h, root, MERKLE_HASH_LEN)) {
		store_show(root, a);
		store_show(h, b);
		err_set(err, "snapshot %llu: the root given (%s) is not its "
		    "records' (%s)", (unsigned long long)seq, a, b);
		goto done;
	}
	if (store_next_members(recs, n, &next, err) == -1)
		goto done;

	if (store_begin(st, 1, err) == -1)
		goto done;
	intx = 1;
	if (store_db_size(st, &dbsize, err) == -1)
		goto done;
	if (dbsize != seq) {
		err_set(err, "state %s holds %llu snapshots where this process "
		    "wrote %llu: something else writes to it", st->st_path,
		    (unsigned long long)dbsize, (unsigned long long)seq);
		goto done;
	}
	if (store_merge(st, recs, n, 1, seq, disclose, arg, err) == -1)
		goto done;
	if (check != NULL && store_put_check(st, check, ch, err) == -1)
		goto done;

	if ((s = store_stmt(st, STORE_Q_SNAPSHOT_PUT, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, seq);
	sqlite3_bind_int64(s, 2, when);
	sqlite3_bind_blob(s, 3, summary, (int)slen, SQLITE_STATIC);
	store_bind_hash(s, 4, root);
	store_bind_u64(s, 5, n);
	if (check != NULL)
		store_bind_hash(s, 6, ch);
	else
		sqlite3_bind_null(s, 6);
	if (store_run(st, s, "storing the snapshot", err) == -1)
		goto done;

	/* The summary is the log's next leaf; store the subtrees it ends. */
	merkle_leaf_hash(summary, slen, leaf);
	if (merkle_append(seq, leaf, store_log_read, st, nodes, &nn,
	    err) == -1)
		goto done;
	for (i = 0; i < nn; i++) {
		if ((s = store_stmt(st, STORE_Q_LOGHASH_PUT, err)) == NULL)
			goto done;
		sqlite3_bind_int(s, 1, nodes[i].mn_level);
		store_bind_u64(s, 2, nodes[i].mn_index);
		store_bind_hash(s, 3, nodes[i].mn_hash);
		if (store_run(st, s, "storing a log hash", err) == -1)
			goto done;
	}
	if (merkle_root(seq + 1, store_log_read, st, h, err) == -1)
		goto done;
	if ((next.sn_checkpoint = store_sign(st, seq + 1, h,
	    &next.sn_checkpoint_len, err)) == NULL)
		goto done;
	if (store_put_checkpoint(st, seq + 1, next.sn_checkpoint,
	    next.sn_checkpoint_len, err) == -1)
		goto done;
	if (store_commit(st, err) == -1)
		goto done;
	intx = 0;

	/* Committed: only now does memory follow. */
	free(st->st_members);
	free(st->st_ids);
	free(st->st_checkpoint);
	st->st_members = next.sn_members;
	st->st_nmembers = n;
	st->st_ids = next.sn_ids;
	st->st_checkpoint = next.sn_checkpoint;
	st->st_checkpoint_len = next.sn_checkpoint_len;
	memset(&next, 0, sizeof(next));
	memcpy(st->st_root, root, MERKLE_HASH_LEN);
	st->st_size = seq + 1;
	ret = 0;
 done:
	if (intx)
		store_rollback(st);
	free(hashes);
	free(next.sn_members);
	free(next.sn_ids);
	free(next.sn_checkpoint);
	return ret;
}

/* Fill ss from a row of seq, time, summary, root, count. */
static int
store_snapshot_fill(struct store *st, sqlite3_stmt *s, uint64_t pruned,
    struct store_snapshot *ss, char *err)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_seq = (uint64_t)sqlite3_column_int64(s, 0);
	ss->ss_time = sqlite3_column_int64(s, 1);
	ss->ss_count = (size_t)sqlite3_column_int64(s, 4);
	ss->ss_pruned = ss->ss_seq < pruned;
	if (store_col_hash(s, 3, ss->ss_root) == -1) {
		err_set(err, "state %s: snapshot %llu has no valid root",
		    st->st_path, (unsigned long long)ss->ss_seq);
		return -1;
	}
	if ((ss->ss_summary = store_col_dup(s, 2, &ss->ss_len)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* Snapshot seq into ss (caller clears it). 0, or -1 with a reason. */
int
store_snapshot(struct store *st, uint64_t seq, struct store_snapshot *ss,
    char *err)
{
	sqlite3_stmt	*s = NULL;
	uint64_t	 pruned;
	int		 rc, ret = -1;

	memset(ss, 0, sizeof(*ss));
	if (store_begin(st, 0, err) == -1)
		return -1;
	if (store_pruned(st, &pruned, err) == -1 ||
	    (s = store_stmt(st, STORE_Q_SNAPSHOT_GET, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, seq);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE)
		err_set(err, "no snapshot %llu", (unsigned long long)seq);
	else if (rc != SQLITE_ROW)
		store_dberr(st, err, "reading a snapshot");
	else if (store_snapshot_fill(st, s, pruned, ss, err) == 0)
		ret = 0;
 done:
	store_done(s);
	store_rollback(st);
	if (ret == -1)
		store_snapshot_clear(ss);
	return ret;
}

/*
 * A page of snapshots, newest first: at most limit (and STORE_PAGE_MAX)
 * of those with seq < before (UINT64_MAX: from the latest). Sets *out to
 * a new array of *n (NULL when none); free with store_snapshots_free().
 */
int
store_snapshots(struct store *st, uint64_t before, size_t limit,
    struct store_snapshot **out, size_t *n, char *err)
{
	struct store_snapshot	*arr = NULL;
	sqlite3_stmt		*s = NULL;
	uint64_t		 pruned;
	size_t			 got = 0;
	int			 rc = SQLITE_DONE, ret = -1;

	*out = NULL;
	*n = 0;
	if (limit > STORE_PAGE_MAX)
		limit = STORE_PAGE_MAX;
	if (limit == 0)
		return 0;
	if ((arr = calloc(limit, sizeof(*arr))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	if (store_begin(st, 0, err) == -1)
		goto done;
	if (store_pruned(st, &pruned, err) == -1 ||
	    (s = store_stmt(st, STORE_Q_SNAPSHOTS, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, before);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	while (got < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_snapshot_fill(st, s, pruned, &arr[got], err) == -1)
			goto done;
		got++;
	}
	if (got < limit && rc != SQLITE_DONE) {
		store_dberr(st, err, "reading snapshots");
		goto done;
	}
	ret = 0;
 done:
	store_done(s);
	store_rollback(st);
	if (ret == -1 || got == 0) {
		store_snapshots_free(arr, got);
		arr = NULL;
		got = 0;
	}
	*out = arr;
	*n = got;
	return ret;
}

void
store_snapshot_clear(struct store_snapshot *ss)
{
	free(ss->ss_summary);
	memset(ss, 0, sizeof(*ss));
}

void
store_snapshots_free(struct store_snapshot *arr, size_t n)
{
	size_t	 i;

	if (arr == NULL)
		return;
	for (i = 0; i < n; i++)
		store_snapshot_clear(&arr[i]);
	free(arr);
}

/*
 * The records of snapshot seq, sorted by id, each body checked against
 * its hash: a new array of *n (free with store_records_free()). Fails
 * when the snapshot's records were pruned.
 */
int
store_records(struct store *st, uint64_t seq, struct store_rec **out,
    size_t *n, char *err)
{
	struct store_rec	*recs = NULL;
	sqlite3_stmt		*s = NULL;
	uint8_t			 h[MERKLE_HASH_LEN];
	uint64_t		 pruned;
	const char		*id;
	const void		*body;
	size_t			 count, got = 0, len;
	int			 rc, ret = -1;

	*out = NULL;
	*n = 0;
	if (store_begin(st, 0, err) == -1)
		return -1;
	if (store_pruned(st, &pruned, err) == -1 ||
	    (s = store_stmt(st, STORE_Q_SNAPSHOT_GET, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, seq);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			err_set(err, "no snapshot %llu",
			    (unsigned long long)seq);
		else
			store_dberr(st, err, "reading a snapshot");
		goto done;
	}
	count = (size_t)sqlite3_column_int64(s, 4);
	store_done(s);
	if (seq < pruned) {
		err_set(err, "the records of snapshot %llu were pruned (they "
		    "are kept from snapshot %llu on)", (unsigned long long)seq,
		    (unsigned long long)pruned);
		goto done;
	}
	if ((recs = calloc(count + 1, sizeof(*recs))) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	if ((s = store_stmt(st, STORE_Q_RECORDS, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, seq);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(s, 0);
		body = sqlite3_column_blob(s, 2);
		len = (size_t)sqlite3_column_bytes(s, 2);
		if (got == count) {
			err_set(err, "state %s: snapshot %llu counts %zu "
			    "records but more are stored", st->st_path,
			    (unsigned long long)seq, count);
			goto done;
		}
		if (id == NULL || store_col_hash(s, 1, h) == -1 ||
		    body == NULL) {
			err_set(err, "state %s: a record of snapshot %llu has "
			    "no id, hash or body", st->st_path,
			    (unsigned long long)seq);
			goto done;
		}
		merkle_leaf_hash(body, len, recs[got].sr_hash);
		if (!crypto_memeq(h, recs[got].sr_hash, MERKLE_HASH_LEN)) {
			err_set(err, "state %s: the stored body of record %s "
			    "does not match its hash", st->st_path, id);
			goto done;
		}
		if ((recs[got].sr_id = strdup(id)) == NULL ||
		    (recs[got].sr_body = store_col_dup(s, 2, NULL)) == NULL) {
			got++;
			err_set(err, "out of memory");
			goto done;
		}
		recs[got].sr_len = len;
		got++;
	}
	if (rc != SQLITE_DONE) {
		store_dberr(st, err, "reading records");
		goto done;
	}
	if (got != count) {
		err_set(err, "state %s: snapshot %llu counts %zu records but "
		    "%zu are stored", st->st_path, (unsigned long long)seq,
		    count, got);
		goto done;
	}
	ret = 0;
 done:
	store_done(s);
	store_rollback(st);
	if (ret == -1) {
		store_records_free(recs, got);
		recs = NULL;
		got = 0;
	}
	*out = recs;
	*n = got;
	return ret;
}

void
store_records_free(struct store_rec *recs, size_t n)
{
	size_t	 i;

	if (recs == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(recs[i].sr_id);
		free(recs[i].sr_body);
	}
	free(recs);
}

/*
 * The disclosures of the record version with that leaf hash: new JSON
 * text, an array of disclosure strings ("[]" when it has none); or NULL
 * with a reason when the store does not hold that version.
 */
char *
store_disclosures(struct store *st, const uint8_t hash[MERKLE_HASH_LEN],
    char *err)
{
	char		 show[STORE_SHOW_ROOT + 4];
	sqlite3_stmt	*s;
	char		*out = NULL;
	int		 rc;

	if ((s = store_stmt(st, STORE_Q_DISCLOSURES, err)) == NULL)
		return NULL;
	store_bind_hash(s, 1, hash);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) == SQLITE_NULL)
			out = strdup("[]");
		else
			out = store_col_dup(s, 0, NULL);
		if (out == NULL)
			err_set(err, "out of memory");
	} else if (rc == SQLITE_DONE) {
		store_show(hash, show);
		err_set(err, "no record with hash %s is stored", show);
	} else
		store_dberr(st, err, "reading disclosures");
	store_done(s);
	return out;
}

/* The signed checkpoint of the log at size: new text, or NULL. */
char *
store_checkpoint_at(struct store *st, uint64_t size, size_t *len, char *err)
{
	sqlite3_stmt	*s;
	char		*out = NULL;
	int		 rc;

	if ((s = store_stmt(st, STORE_Q_CHECKPOINT_GET, err)) == NULL)
		return NULL;
	store_bind_u64(s, 1, size);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((out = store_col_dup(s, 0, len)) == NULL)
			err_set(err, "out of memory");
	} else if (rc == SQLITE_DONE)
		err_set(err, "no checkpoint of size %llu",
		    (unsigned long long)size);
	else
		store_dberr(st, err, "reading a checkpoint");
	store_done(s);
	return out;
}

/*
 * Forget the records of the snapshots before before_seq: their member
 * rows, and the record versions no snapshot refers to any more. Their
 * summaries, the log and every checkpoint stay, so every proof about the
 * log still works. The latest snapshot always keeps its records (the
 * next one is built on them), so before_seq is cut down to it. One
 * transaction; 0, or -1 with a reason.
 */
int
store_prune(struct store *st, uint64_t before_seq, char *err)
{
	sqlite3_stmt	*s;
	uint64_t	 pruned;
	char		 v[32];
	int		 ret = -1;

	if (st->st_readonly) {
		err_set(err, "state %s is open read-only", st->st_path);
		return -1;
	}
	if (st->st_size == 0)
		return 0;
	if (before_seq > st->st_size - 1)
		before_seq = st->st_size - 1;
	if (store_begin(st, 1, err) == -1)
		return -1;
	if (store_pruned(st, &pruned, err) == -1)
		goto done;
	if (before_seq <= pruned) {
		ret = 0;
		goto done;
	}
	if ((s = store_stmt(st, STORE_Q_PRUNE_MEMBERS, err)) == NULL)
		goto done;
	store_bind_u64(s, 1, before_seq);
	if (store_run(st, s, "pruning records", err) == -1 ||
	    store_simple(st, STORE_Q_PRUNE_OBJECTS, "pruning records",
	    err) == -1)
		goto done;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)before_seq);
	if (store_meta_put(st, "pruned", v, err) == -1 ||
	    store_commit(st, err) == -1)
		goto done;
	ret = 0;
 done:
	store_rollback(st);
	return ret;
}
