/*
 * audit.c: the hoster's side of the snapshot log, `sightline audit`. A
 * monitor and witness in the manner of Certificate Transparency's: it
 * fetches the deployment's latest checkpoint, checks its signature and
 * its consistency with the last checkpoint it kept (trust on first use
 * the first time, said as such), recomputes the latest snapshot's record
 * tree from the records served, checks that snapshot's inclusion in the
 * log, reports what changed since the last audit, and cosigns the
 * checkpoint (c2sp.org/tlog-cosignature) into its state directory.
 *
 * Nothing the server sends is taken on its word: every answer's RFC 9421
 * signature and Content-Digest are checked against the verifier key, and
 * every hash is recomputed here from parsed JSON made canonical again
 * (RFC 8785), never from the bytes the server chose.
 *
 * The state directory (created 0700):
 *   witness.skey, witness.vkey   the witness key (unless --witness-key),
 *                                made on the first run; the vkey has type
 *                                0x04, as tlog-cosignature verifiers want
 *   ORIGIN/checkpoint            the last checkpoint verified for ORIGIN
 *                                (percent-encoded), written with fsync and
 *                                rename, replaced only after an audit
 *                                without failure
 *   ORIGIN/cosigned/SIZE.checkpoint  the checkpoint with our cosignature
 *
 * The result is a JSON report (documented in sightline(1)); the command
 * prints it, or a readable form of it.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sightline.h"

#define AUDIT_CHECKPOINT	"checkpoint"
#define AUDIT_COSIGNED		"cosigned"
#define AUDIT_WITNESS_SKEY	"witness.skey"
#define AUDIT_WITNESS_VKEY	"witness.vkey"
#define AUDIT_WITNESS_PREFIX	"sightline-audit/"
#define AUDIT_ORIGIN_DIR_MAX	200	/* an escaped origin, as a name */
#define AUDIT_QUERY_MAX		128
#define AUDIT_DETAIL_MAX	1024	/* one line of the report */

struct audit {
	const struct audit_opts	*a_opts;
	json_t			*a_report;	/* owned */
	json_t			*a_checks;	/* in a_report */
	json_t			*a_findings;
	json_t			*a_failures;
	json_t			*a_changes;
	size_t			 a_answers;	/* signed answers */
	char			 a_dir[PATH_MAX];	/* DIR/ORIGIN */
	/* The checkpoint served now. */
	char			*a_note;
	size_t			 a_notelen;
	size_t			 a_textlen;
	struct note_checkpoint	 a_cp;
	/* The one kept from the last audit, if any. */
	int			 a_has_old;
	struct note_checkpoint	 a_old;
	time_t			 a_old_time;
	/* The latest snapshot's summary, once verified, and its records. */
	json_t			*a_summary;
	uint64_t		 a_seq;
	json_t			*a_records;
};

/* ---- the report ---- */

static void
audit_vadd(json_t *list, const char *key, const char *name, int ok,
    const char *fmt, va_list ap)
{
	char	 detail[AUDIT_DETAIL_MAX], *p;
	json_t	*o;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	/* Details quote the server (problem texts, ids): no terminal codes. */
	for (p = detail; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	if ((o = json_pack("{s:s, s:s}", key, name, "detail", detail)) == NULL)
		return;
	if (ok >= 0)
		json_object_set_new(o, "ok", json_boolean(ok));
	json_array_append_new(list, o);
}

/* A check that passed: one "ok" line of the report. */
static void
audit_ok(struct audit *a, const char *name, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));
static void
audit_ok(struct audit *a, const char *name, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	audit_vadd(a->a_checks, "check", name, 1, fmt, ap);
	va_end(ap);
}

/*
 * A check that failed: a "FAIL" line, and name among the failures, which
 * make the audit fail (exit 2).
 */
static void
audit_fail(struct audit *a, const char *name, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));
static void
audit_fail(struct audit *a, const char *name, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	audit_vadd(a->a_checks, "check", name, 0, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	audit_vadd(a->a_failures, "failure", name, -1, fmt, ap);
	va_end(ap);
}

/* Verified, but worth a look: exit 1 unless something failed. */
static void
audit_finding(struct audit *a, const char *name, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));
static void
audit_finding(struct audit *a, const char *name, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	audit_vadd(a->a_findings, "finding", name, -1, fmt, ap);
	va_end(ap);
}

static int
audit_failed(const struct audit *a)
{
	return json_array_size(a->a_failures) > 0;
}

static void
audit_hash_b64(const uint8_t h[MERKLE_HASH_LEN], char out[B64_LEN(
    MERKLE_HASH_LEN) + 1])
{
	b64_encode(h, MERKLE_HASH_LEN, B64_STD, out);
}

/* ---- talking to the server ---- */

/*
 * The text of a problem answer (RFC 9457): its title and detail, for a
 * report line. Borrowed from a static buffer.
 */
static const char *
audit_problem(const struct upstream_fetched *f)
{
	static char	 text[ERR_MAX];
	char		 why[ERR_MAX];
	const char	*title, *detail;
	json_t		*j;

	if ((j = canon_parse(f->uf_body, f->uf_len, why)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		return "no problem details";
	}
	title = json_string_value(json_object_get(j, "title"));
	detail = json_string_value(json_object_get(j, "detail"));
	snprintf(text, sizeof(text), "%s%s%s", title != NULL ? title : "",
	    title != NULL && detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	json_decref(j);
	return text;
}

/*
 * GET path?query from o's server and verify the answer's RFC 9421
 * signature and Content-Digest with o's key. Returns 0 with f filled
 * whatever the status; -1 with the reason no answer came (f empty); or
 * -2 with the reason the signature does not verify (f filled: its
 * status says what was refused). The caller clears f unless -1.
 */
int
audit_fetch(const struct audit_opts *o, const char *path, const char *query,
    struct upstream_fetched *f, char *err)
{
	struct sign_msg		 req;
	struct buf		 url;
	long long		 created;
	int			 rc;

	buf_init(&url);
	buf_printf(&url, "%s%s%s%s", o->ao_url, path, query != NULL ? "?" :
	    "", query != NULL ? query : "");
	if (url.b_oom) {
		err_set(err, "out of memory");
		return -1;
	}
	rc = upstream_fetch(url.b_data, o->ao_token, o->ao_cafile, f, err);
	buf_free(&url);
	if (rc == -1)
		return -1;
	memset(&req, 0, sizeof(req));
	req.sm_method = "GET";
	req.sm_path = path;
	req.sm_query = query;
	if (sign_verify(o->ao_key, &f->uf_head.hm_msg, &req, f->uf_body,
	    f->uf_len, &created, err) == -1)
		return -2;
	return 0;
}

/*
 * GET path?query and verify the answer's signature. Returns 0 with f
 * filled (the caller clears it) whatever the status, or -1 after adding
 * the failure: no answer (network), or an answer not signed by the
 * deployment (bad-signature), since nothing unsigned is believed.
 */
static int
audit_get(struct audit *a, const char *path, const char *query,
    struct upstream_fetched *f)
{
	const struct audit_opts	*o = a->a_opts;
	char			 err[ERR_MAX];
	int			 rc;

	if ((rc = audit_fetch(o, path, query, f, err)) == -1) {
		audit_fail(a, "network", "GET %s%s%s: no answer from %s: %s",
		    path, query != NULL ? "?" : "", query != NULL ? query : "",
		    o->ao_url, err);
		return -1;
	}
	if (rc == -2) {
		audit_fail(a, "bad-signature", "GET %s%s%s: the answer (status "
		    "%d) is not signed by %s+%08x: %s", path,
		    query != NULL ? "?" : "", query != NULL ? query : "",
		    f->uf_status, o->ao_key->vk_name, o->ao_key->vk_id, err);
		upstream_fetched_clear(f);
		return -1;
	}
	a->a_answers++;
	return 0;
}

/*
 * GET a JSON answer of status 200: a new reference, or NULL after adding
 * a failure (a problem answer is failure name, with its details).
 */
static json_t *
audit_get_json(struct audit *a, const char *name, const char *path,
    const char *query)
{
	struct upstream_fetched	 f;
	char			 err[ERR_MAX];
	json_t			*j;

	if (audit_get(a, path, query, &f) == -1)
		return NULL;
	if (f.uf_status != 200) {
		audit_fail(a, name, "GET %s%s%s: status %d: %s", path,
		    query != NULL ? "?" : "", query != NULL ? query : "",
		    f.uf_status, audit_problem(&f));
		upstream_fetched_clear(&f);
		return NULL;
	}
	if ((j = canon_parse(f.uf_body, f.uf_len, err)) == NULL ||
	    !json_is_object(j)) {
		audit_fail(a, "malformed", "GET %s%s%s: the answer is not a "
		    "JSON object%s%s", path, query != NULL ? "?" : "",
		    query != NULL ? query : "", j == NULL ? ": " : "",
		    j == NULL ? err : "");
		json_decref(j);
		j = NULL;
	}
	upstream_fetched_clear(&f);
	return j;
}

/* ---- the state directory ---- */

/* The origin as one file name: percent-encoded, or hashed if too long. */
static void
audit_origin_dir(const char *origin, char *out, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			 sha[SHA256_HEX_LEN + 1];
	size_t			 n = 0;

	for (p = (const unsigned char *)origin; *p != '\0'; p++) {
		if (n + 4 > len || n + 4 > AUDIT_ORIGIN_DIR_MAX)
			break;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    (*p == '.' && p != (const unsigned char *)origin))
			out[n++] = (char)*p;
		else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
	if (*p != '\0') {
		crypto_sha256_hex(origin, strlen(origin), sha);
		snprintf(out, len, "origin-%s", sha);
	}
}

static int
audit_mkdir(const char *path, char *err)
{
	struct stat	 st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_set(err, "%s: not a directory", path);
		return -1;
	}
	return 0;
}

/* Make sure what is written to dir survives a crash. */
static void
audit_sync_dir(const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Write len bytes to path whole or not at all: a temporary file, fsync,
 * rename, then the directory synced. Returns 0, or -1 with a reason.
 */
static int
audit_write_file(const char *path, const void *data, size_t len, mode_t mode,
    char *err)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	ssize_t	 n;
	size_t	 off = 0;
	int	 fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
		err_set(err, "%s: path too long", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1) {
		err_set(err, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len) {
		n = write(fd, (const char *)data + off, len - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	path_dir(path, dir, sizeof(dir));
	audit_sync_dir(dir);
	return 0;
fail:
	err_set(err, "%s: %s", tmp, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

/*
 * A kept checkpoint from file path, verified again with the key (a state
 * directory is only as good as the key it was kept with). Returns 1 and
 * fills cp (and *mtime), 0 if there is none, or -1 with a reason.
 */
static int
audit_read_kept(const struct audit *a, const char *path,
    struct note_checkpoint *cp, time_t *mtime, char *err)
{
	struct stat	 st;
	char		 why[ERR_MAX], *note;
	size_t		 len, tl;
	int		 rc = -1;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((note = file_read(path, NOTE_MAX, &len, err)) == NULL)
		return -1;
	if (note_verify(note, len, a->a_opts->ao_key, &tl, why) == -1)
		err_set(err, "%s: does not verify with %s+%08x: %s", path,
		    a->a_opts->ao_key->vk_name, a->a_opts->ao_key->vk_id, why);
	else if (note_checkpoint_parse(note, tl, cp, why) == -1)
		err_set(err, "%s: %s", path, why);
	else {
		*mtime = st.st_mtime;
		rc = 1;
	}
	free(note);
	return rc;
}

/*
 * Has this key signed checkpoints of another origin that this state
 * directory followed? A second log under the same key would let a
 * reseller start history afresh, and trust on first use must not
 * welcome it. Returns 1 and that origin in other, or 0.
 */
static int
audit_other_origin(const struct audit *a, const char *mine, char *other,
    size_t len)
{
	struct note_checkpoint	 cp;
	struct dirent		*de;
	DIR			*d;
	char			 path[PATH_MAX], err[ERR_MAX];
	time_t			 t;
	int			 found = 0;

	if ((d = opendir(a->a_opts->ao_state)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, mine) == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
		    a->a_opts->ao_state, de->d_name, AUDIT_CHECKPOINT) >=
		    sizeof(path))
			continue;
		if (audit_read_kept(a, path, &cp, &t, err) == 1) {
			snprintf(other, len, "%s", cp.nc_origin);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* ---- the steps ---- */

/* Fetch the checkpoint and verify its signature. Returns 0 or -1. */
static int
audit_checkpoint(struct audit *a)
{
	const struct keys_vkey	*vk = a->a_opts->ao_key;
	struct upstream_fetched	 f;
	char			 err[ERR_MAX];
	char			 root[B64_LEN(MERKLE_HASH_LEN) + 1];

	if (audit_get(a, "/v1/checkpoint", NULL, &f) == -1)
		return -1;
	if (f.uf_status != 200) {
		audit_fail(a, "no-checkpoint", "GET /v1/checkpoint: status %d: "
		    "%s", f.uf_status, audit_problem(&f));
		upstream_fetched_clear(&f);
		return -1;
	}
	if (f.uf_len > NOTE_MAX) {
		audit_fail(a, "bad-checkpoint", "the checkpoint is larger than "
		    "%d bytes", NOTE_MAX);
		upstream_fetched_clear(&f);
		return -1;
	}
	a->a_note = f.uf_body;
	a->a_notelen = f.uf_len;
	f.uf_body = NULL;
	upstream_fetched_clear(&f);
	if (note_verify(a->a_note, a->a_notelen, vk, &a->a_textlen,
	    err) == -1) {
		audit_fail(a, "bad-checkpoint", "the checkpoint's note "
		    "signature: %s", err);
		return -1;
	}
	if (note_checkpoint_parse(a->a_note, a->a_textlen, &a->a_cp,
	    err) == -1) {
		audit_fail(a, "bad-checkpoint", "the checkpoint: %s", err);
		return -1;
	}
	audit_hash_b64(a->a_cp.nc_root, root);
	json_object_set_new(a->a_report, "origin",
	    json_string(a->a_cp.nc_origin));
	json_object_set_new(a->a_report, "size",
	    json_integer((json_int_t)a->a_cp.nc_size));
	json_object_set_new(a->a_report, "root", json_string(root));
	audit_ok(a, "checkpoint", "checkpoint of %s: size %llu, root %s, "
	    "signed by %s+%08x", a->a_cp.nc_origin,
	    (unsigned long long)a->a_cp.nc_size, root, vk->vk_name,
	    vk->vk_id);
	return 0;
}

/*
 * The served checkpoint against the one kept: trust on first use, the
 * same root at the same size, a consistency proof to a larger size, and
 * never a smaller one. Returns 0, or -1 when the log did not verify.
 */
static int
audit_consistency(struct audit *a)
{
	const struct note_checkpoint	*old = &a->a_old, *cp = &a->a_cp;
	uint8_t				(*proof)[MERKLE_HASH_LEN];
	char				 odir[AUDIT_ORIGIN_DIR_MAX + 16];
	char				 path[PATH_MAX], err[ERR_MAX];
	char				 query[AUDIT_QUERY_MAX], when[32];
	char				 other[NOTE_ORIGIN_MAX + 1];
	uint64_t			 from, to;
	size_t				 n;
	json_t				*j;
	int				 rc;

	audit_origin_dir(cp->nc_origin, odir, sizeof(odir));
	if ((size_t)snprintf(a->a_dir, sizeof(a->a_dir), "%s/%s",
	    a->a_opts->ao_state, odir) >= sizeof(a->a_dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", a->a_dir,
	    AUDIT_CHECKPOINT) >= sizeof(path)) {
		audit_fail(a, "state", "%s: path too long",
		    a->a_opts->ao_state);
		return -1;
	}
	if ((rc = audit_read_kept(a, path, &a->a_old, &a->a_old_time,
	    err)) == -1) {
		audit_fail(a, "state", "the checkpoint kept from the last "
		    "audit: %s", err);
		return -1;
	}
	a->a_has_old = rc == 1;
	if (a->a_has_old && strcmp(old->nc_origin, cp->nc_origin) != 0) {
		audit_fail(a, "state", "%s holds a checkpoint of origin \"%s\", "
		    "not \"%s\"", path, old->nc_origin, cp->nc_origin);
		return -1;
	}
	json_object_set_new(a->a_report, "first_use",
	    json_boolean(!a->a_has_old));
	if (!a->a_has_old) {
		if (audit_other_origin(a, odir, other, sizeof(other))) {
			audit_fail(a, "origin-changed", "key %s+%08x signed "
			    "the log of origin \"%s\" audited before; it now "
			    "serves origin \"%s\": a second log under the same "
			    "key cannot be checked against the first",
			    a->a_opts->ao_key->vk_name,
			    a->a_opts->ao_key->vk_id, other, cp->nc_origin);
			return -1;
		}
		audit_ok(a, "first-use", "first audit of %s: checkpoint of "
		    "size %llu accepted on first use (trust on first use: "
		    "there is no earlier checkpoint to check it against)",
		    cp->nc_origin, (unsigned long long)cp->nc_size);
		return 0;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&a->a_old_time));
	json_object_set_new(a->a_report, "previous", json_pack("{s:I, s:s}",
	    "size", (json_int_t)old->nc_size, "kept", when));
	if (cp->nc_size < old->nc_size) {
		audit_fail(a, "log-shrank", "log shrank: fork or rollback: the "
		    "checkpoint is of size %llu, the one kept on %s of size "
		    "%llu", (unsigned long long)cp->nc_size, when,
		    (unsigned long long)old->nc_size);
		return -1;
	}
	if (cp->nc_size == old->nc_size) {
		if (!crypto_memeq(cp->nc_root, old->nc_root, MERKLE_HASH_LEN)) {
			audit_fail(a, "inconsistent-log", "inconsistent log: "
			    "the checkpoint of size %llu has another root than "
			    "the one of the same size kept on %s (a fork)",
			    (unsigned long long)cp->nc_size, when);
			return -1;
		}
		audit_ok(a, "consistency", "same checkpoint as at the last "
		    "audit (%s): size %llu, same root; no snapshot appended "
		    "since", when, (unsigned long long)cp->nc_size);
		return 0;
	}
	if (old->nc_size == 0) {
		audit_ok(a, "consistency", "the checkpoint kept on %s is of "
		    "the empty log, which every log extends", when);
		return 0;
	}
	snprintf(query, sizeof(query), "from=%llu&to=%llu",
	    (unsigned long long)old->nc_size, (unsigned long long)cp->nc_size);
	if ((j = audit_get_json(a, "inconsistent-log", "/v1/proof/consistency",
	    query)) == NULL)
		return -1;
	if (proof_uint_member(j, "from", &from, err) == -1 ||
	    proof_uint_member(j, "to", &to, err) == -1 ||
	    from != old->nc_size || to != cp->nc_size) {
		audit_fail(a, "malformed", "the consistency proof from %llu to "
		    "%llu is not what was asked for", (unsigned long long)
		    old->nc_size, (unsigned long long)cp->nc_size);
		json_decref(j);
		return -1;
	}
	if ((proof = proof_hashes(json_object_get(j, "proof"), &n,
	    err)) == NULL) {
		audit_fail(a, "inconsistent-log", "inconsistent log: the "
		    "consistency proof from size %llu to %llu: %s",
		    (unsigned long long)old->nc_size,
		    (unsigned long long)cp->nc_size, err);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	rc = merkle_verify_consistency(old->nc_size, cp->nc_size, old->nc_root,
	    cp->nc_root, (const uint8_t (*)[MERKLE_HASH_LEN])proof, n, err);
	free(proof);
	if (rc == -1) {
		audit_fail(a, "inconsistent-log", "inconsistent log: the "
		    "checkpoint of size %llu does not extend the one of size "
		    "%llu kept on %s (history was rewritten, or a snapshot "
		    "dropped): %s", (unsigned long long)cp->nc_size,
		    (unsigned long long)old->nc_size, when, err);
		return -1;
	}
	audit_ok(a, "consistency", "consistent with the checkpoint of size "
	    "%llu kept on %s: %llu snapshot%s appended since (RFC 9162 "
	    "consistency proof of %zu hash%s)", (unsigned long long)
	    old->nc_size, when, (unsigned long long)(cp->nc_size -
	    old->nc_size), cp->nc_size - old->nc_size == 1 ? "" : "s", n,
	    n == 1 ? "" : "es");
	return 0;
}

/*
 * Leaf seq of the log, whose leaf hash is leaf, is in the checkpoint: an
 * inclusion proof given (size, proof) or fetched for our size. Returns
 * 0, or -1 with a reason.
 */
static int
audit_included(struct audit *a, uint64_t seq,
    const uint8_t leaf[MERKLE_HASH_LEN], const json_t *given, char *err)
{
	uint8_t		(*proof)[MERKLE_HASH_LEN];
	uint8_t		 served[MERKLE_HASH_LEN];
	char		 query[AUDIT_QUERY_MAX];
	uint64_t	 size = 0, s;
	size_t		 n;
	json_t		*j = NULL;
	int		 rc;

	if (given != NULL && proof_uint_member(given, "size", &size,
	    err) == 0 && size == a->a_cp.nc_size)
		j = json_incref((json_t *)given);
	else {
		/* The log grew since the checkpoint: a proof for our size. */
		snprintf(query, sizeof(query), "seq=%llu&size=%llu",
		    (unsigned long long)seq,
		    (unsigned long long)a->a_cp.nc_size);
		if ((j = audit_get_json(a, "not-in-log", "/v1/proof/inclusion",
		    query)) == NULL) {
			err_set(err, "no inclusion proof");
			return -2;
		}
		if (proof_uint_member(j, "seq", &s, err) == -1 ||
		    proof_uint_member(j, "size", &size, err) == -1 ||
		    s != seq || size != a->a_cp.nc_size) {
			err_set(err, "the inclusion proof is not for leaf %llu "
			    "in the log of size %llu", (unsigned long long)seq,
			    (unsigned long long)a->a_cp.nc_size);
			json_decref(j);
			return -1;
		}
		if (proof_hash_member(j, "leaf_hash", served, err) == -1 ||
		    !crypto_memeq(served, leaf, MERKLE_HASH_LEN)) {
			err_set(err, "the inclusion proof is for another leaf "
			    "hash than the summary's");
			json_decref(j);
			return -1;
		}
	}
	if ((proof = proof_hashes(json_object_get(j, "proof"), &n,
	    err)) == NULL) {
		json_decref(j);
		return -1;
	}
	json_decref(j);
	rc = merkle_verify_inclusion(seq, a->a_cp.nc_size, leaf,
	    (const uint8_t (*)[MERKLE_HASH_LEN])proof, n, a->a_cp.nc_root, err);
	free(proof);
	return rc;
}

/* The latest snapshot: its summary's leaf in the log. Returns 0 or -1. */
static int
audit_snapshot(struct audit *a)
{
	uint8_t		 leaf[MERKLE_HASH_LEN], served[MERKLE_HASH_LEN];
	uint8_t		 root[MERKLE_HASH_LEN];
	char		 path[64], err[ERR_MAX];
	char		 b64[B64_LEN(MERKLE_HASH_LEN) + 1];
	uint64_t	 seq, count;
	json_t		*j, *s;
	int		 rc;

	if (a->a_cp.nc_size == 0) {
		audit_finding(a, "empty-log", "the log is empty: there is no "
		    "snapshot to check");
		return -1;
	}
	a->a_seq = a->a_cp.nc_size - 1;
	snprintf(path, sizeof(path), "/v1/snapshots/%llu",
	    (unsigned long long)a->a_seq);
	if ((j = audit_get_json(a, "not-in-log", path, NULL)) == NULL)
		return -1;
	s = json_object_get(j, "snapshot");
	if (proof_summary(s, &seq, &count, root, err) == -1 ||
	    seq != a->a_seq) {
		audit_fail(a, "malformed", "snapshot %llu: %s",
		    (unsigned long long)a->a_seq, seq != a->a_seq ?
		    "the summary has another seq" : err);
		json_decref(j);
		return -1;
	}
	if (proof_leaf_hash(s, leaf, err) == -1) {
		audit_fail(a, "malformed", "snapshot %llu: %s",
		    (unsigned long long)a->a_seq, err);
		json_decref(j);
		return -1;
	}
	if (proof_hash_member(j, "leaf_hash", served, err) == -1 ||
	    !crypto_memeq(leaf, served, MERKLE_HASH_LEN)) {
		audit_fail(a, "leaf-mismatch", "snapshot %llu: the leaf hash "
		    "served is not the hash of its summary made canonical "
		    "(RFC 8785)", (unsigned long long)a->a_seq);
		json_decref(j);
		return -1;
	}
	if ((rc = audit_included(a, a->a_seq, leaf,
	    json_object_get(j, "inclusion"), err)) != 0) {
		if (rc == -1)
			audit_fail(a, "not-in-log", "snapshot %llu is not "
			    "included in the checkpoint of size %llu: %s",
			    (unsigned long long)a->a_seq,
			    (unsigned long long)a->a_cp.nc_size, err);
		json_decref(j);
		return -1;
	}
	audit_hash_b64(leaf, b64);
	audit_ok(a, "snapshot-in-log", "snapshot %llu: leaf hash %s recomputed "
	    "from its summary (RFC 8785), included in the log of size %llu",
	    (unsigned long long)a->a_seq, b64,
	    (unsigned long long)a->a_cp.nc_size);
	a->a_summary = json_incref(s);
	json_decref(j);
	return 0;
}

/*
 * The latest snapshot's records: sorted, counted and hashed into the
 * root its summary states. Returns 0 or -1.
 */
static int
audit_records(struct audit *a)
{
	struct upstream_fetched	 f;
	uint8_t			 want[MERKLE_HASH_LEN];
	uint8_t			 got[MERKLE_HASH_LEN];
	char			 query[AUDIT_QUERY_MAX], err[ERR_MAX];
	char			 inv[64];
	char			 b64w[B64_LEN(MERKLE_HASH_LEN) + 1];
	char			 b64g[B64_LEN(MERKLE_HASH_LEN) + 1];
	const char		*src;
	uint64_t		 seq, count;
	json_t			*j, *recs;
	int			 rc = -1;

	snprintf(query, sizeof(query), "at=%llu", (unsigned long long)a->a_seq);
	if (audit_get(a, "/v1/vps", query, &f) == -1)
		return -1;
	if (f.uf_status != 200) {
		audit_fail(a, "root-mismatch", "GET /v1/vps?%s: status %d: %s: "
		    "the latest snapshot's records cannot be checked", query,
		    f.uf_status, audit_problem(&f));
		upstream_fetched_clear(&f);
		return -1;
	}
	src = f.uf_head.hm_msg.sm_field(f.uf_head.hm_msg.sm_arg,
	    "sightline-inventory");
	snprintf(inv, sizeof(inv), "snapshot=%llu", (unsigned long long)
	    a->a_seq);
	if (src == NULL || strcmp(src, inv) != 0) {
		audit_fail(a, "malformed", "GET /v1/vps?%s: the answer says it "
		    "comes from \"%s\", not %s", query, src != NULL ? src :
		    "(nothing)", inv);
		upstream_fetched_clear(&f);
		return -1;
	}
	j = canon_parse(f.uf_body, f.uf_len, err);
	upstream_fetched_clear(&f);
	if (j == NULL || !json_is_object(j)) {
		audit_fail(a, "malformed", "GET /v1/vps?%s: not a JSON "
		    "object%s%s", query, j == NULL ? ": " : "",
		    j == NULL ? err : "");
		goto done;
	}
	if (!proof_same_json(json_object_get(j, "snapshot"), a->a_summary)) {
		audit_fail(a, "root-mismatch", "GET /v1/vps?%s: the records "
		    "come with another summary than the logged one of "
		    "snapshot %llu", query, (unsigned long long)a->a_seq);
		goto done;
	}
	proof_summary(a->a_summary, &seq, &count, want, err);
	recs = json_object_get(j, "records");
	if (proof_records_root(recs, got, err) == -1) {
		audit_fail(a, "root-mismatch", "snapshot %llu: %s",
		    (unsigned long long)a->a_seq, err);
		goto done;
	}
	audit_hash_b64(want, b64w);
	audit_hash_b64(got, b64g);
	if (json_array_size(recs) != count) {
		audit_fail(a, "root-mismatch", "snapshot %llu: %zu records "
		    "served, the logged summary counts %llu",
		    (unsigned long long)a->a_seq, json_array_size(recs),
		    (unsigned long long)count);
		goto done;
	}
	if (!crypto_memeq(want, got, MERKLE_HASH_LEN)) {
		audit_fail(a, "root-mismatch", "root mismatch: the %zu records "
		    "served for snapshot %llu hash to root %s, the logged "
		    "summary says %s (a record differs from the logged one)",
		    json_array_size(recs), (unsigned long long)a->a_seq, b64g,
		    b64w);
		goto done;
	}
	audit_ok(a, "records", "snapshot %llu: %zu records sorted by id, their "
	    "tree's root recomputed: %s, as logged",
	    (unsigned long long)a->a_seq, json_array_size(recs), b64g);
	a->a_records = json_incref(recs);
	rc = 0;
done:
	json_decref(j);
	return rc;
}

/*
 * What changed since the last audit: snapshots appended, the diff from
 * the last audited snapshot (its summary checked to be the logged one),
 * and the latest snapshot's age. Failures only for lies; a diff the
 * server cannot give any more is a finding.
 */
static void
audit_changes(struct audit *a)
{
	const struct audit_opts	*o = a->a_opts;
	uint8_t			 leaf[MERKLE_HASH_LEN];
	uint8_t			 root[MERKLE_HASH_LEN];
	char			 query[AUDIT_QUERY_MAX], err[ERR_MAX];
	struct upstream_fetched	 f;
	uint64_t		 from, seq, count, t;
	json_t			*c = a->a_changes, *j = NULL, *fs;
	int64_t			 age;
	int			 rc;

	proof_summary(a->a_summary, &seq, &count, root, err);
	proof_uint_member(a->a_summary, "time", &t, err);
	age = (int64_t)time(NULL) - (int64_t)t;
	json_object_set_new(a->a_report, "snapshot", json_pack("{s:I, s:I, "
	    "s:I, s:I, s:O}", "seq", (json_int_t)seq, "time", (json_int_t)t,
	    "age", (json_int_t)age, "records", (json_int_t)count, "summary",
	    a->a_summary));
	if (age > o->ao_max_age)
		audit_finding(a, "snapshot-age", "the latest snapshot (%llu) "
		    "is %lld s old, more than %lld s: the log is not being "
		    "appended to", (unsigned long long)seq, (long long)age,
		    (long long)o->ao_max_age);
	else if (age < -AUDIT_CLOCK_SKEW)
		audit_finding(a, "snapshot-age", "the latest snapshot (%llu) "
		    "is dated %lld s in the future", (unsigned long long)seq,
		    (long long)-age);
	json_object_set_new(c, "to", json_integer((json_int_t)seq));
	if (!a->a_has_old || a->a_old.nc_size == 0) {
		json_object_set_new(c, "from", json_null());
		return;
	}
	from = a->a_old.nc_size - 1;
	json_object_set_new(c, "from", json_integer((json_int_t)from));
	json_object_set_new(c, "appended", json_integer((json_int_t)
	    (a->a_cp.nc_size - a->a_old.nc_size)));
	if (from == seq) {
		json_object_set_new(c, "added", json_array());
		json_object_set_new(c, "removed", json_array());
		json_object_set_new(c, "changed", json_array());
		return;
	}
	snprintf(query, sizeof(query), "from=%llu&to=%llu",
	    (unsigned long long)from, (unsigned long long)seq);
	if (audit_get(a, "/v1/diff", query, &f) == -1)
		return;
	if (f.uf_status != 200) {
		audit_finding(a, "diff-unavailable", "what changed since "
		    "snapshot %llu is unknown: GET /v1/diff?%s: status %d: %s",
		    (unsigned long long)from, query, f.uf_status,
		    audit_problem(&f));
		upstream_fetched_clear(&f);
		return;
	}
	j = canon_parse(f.uf_body, f.uf_len, err);
	upstream_fetched_clear(&f);
	if (j == NULL || !json_is_object(j) || !json_is_array(
	    json_object_get(j, "added")) || !json_is_array(json_object_get(j,
	    "removed")) || !json_is_array(json_object_get(j, "changed"))) {
		audit_fail(a, "malformed", "GET /v1/diff?%s: not the diff's "
		    "shape", query);
		goto done;
	}
	/* The diff is the server's word; both its ends must be the log's. */
	if (!proof_same_json(json_object_get(j, "to"), a->a_summary)) {
		audit_fail(a, "inconsistent-log", "GET /v1/diff?%s: its \"to\" "
		    "is not the logged summary of snapshot %llu", query,
		    (unsigned long long)seq);
		goto done;
	}
	fs = json_object_get(j, "from");
	if (proof_summary(fs, &t, &count, root, err) == -1 || t != from ||
	    proof_leaf_hash(fs, leaf, err) == -1) {
		audit_fail(a, "malformed", "GET /v1/diff?%s: its \"from\" is "
		    "not the summary of snapshot %llu", query,
		    (unsigned long long)from);
		goto done;
	}
	if ((rc = audit_included(a, from, leaf, NULL, err)) != 0) {
		if (rc == -1)
			audit_fail(a, "inconsistent-log", "GET /v1/diff?%s: "
			    "its \"from\" is not the logged summary of "
			    "snapshot %llu: %s", query,
			    (unsigned long long)from, err);
		goto done;
	}
	json_object_set_new(c, "added", json_incref(json_object_get(j,
	    "added")));
	json_object_set_new(c, "removed", json_incref(json_object_get(j,
	    "removed")));
	json_object_set_new(c, "changed", json_incref(json_object_get(j,
	    "changed")));
	audit_ok(a, "diff", "the diff from snapshot %llu to %llu runs between "
	    "two logged summaries", (unsigned long long)from,
	    (unsigned long long)seq);
done:
	json_decref(j);
}

/* ---- the witness ---- */

/*
 * Make the witness key on the first run: keys.c writes NAME.skey (and a
 * .secret and a .vkey this use has no need of) into a fresh directory,
 * whose .skey becomes witness.skey. Returns 0, or -1 with a reason.
 */
static int
audit_witness_generate(const char *state, const char *skey, char *err)
{
	char	 host[256], name[KEYS_NAME_MAX + 1], tmp[PATH_MAX];
	char	 base[KEYS_NAME_MAX + 1], p[PATH_MAX], vkey[KEYS_VKEY_MAX];
	char	*c;
	int	 rc = -1;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "%s%s", AUDIT_WITNESS_PREFIX, host);
	for (c = name; *c != '\0'; c++)
		if (*c <= ' ' || *c == '+' || *c == 0x7f)
			*c = '-';
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.witness.new", state) >=
	    sizeof(tmp)) {
		err_set(err, "%s: path too long", state);
		return -1;
	}
	/* The file names keys_generate() gives. */
	strlcpy(base, name, sizeof(base));
	for (c = base; *c != '\0'; c++)
		if (*c == '/')
			*c = '_';
	if (mkdir(tmp, 0700) == -1) {
		err_set(err, "%s: %s%s", tmp, strerror(errno), errno == EEXIST ?
		    " (left by an interrupted run: remove it)" : "");
		return -1;
	}
	if (keys_generate(name, tmp, vkey, err) == -1)
		goto done;
	snprintf(p, sizeof(p), "%s/%s.skey", tmp, base);
	if (rename(p, skey) == -1) {
		err_set(err, "%s: %s", skey, strerror(errno));
		goto done;
	}
	audit_sync_dir(state);
	rc = 0;
done:
	snprintf(p, sizeof(p), "%s/%s.skey", tmp, base);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s.secret", tmp, base);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s.vkey", tmp, base);
	unlink(p);
	rmdir(tmp);
	return rc;
}

/* The witness's key: --witness-key, or the state's, made if need be. */
static struct keys *
audit_witness(struct audit *a, char *vkey, char *err)
{
	const struct audit_opts	*o = a->a_opts;
	struct keys		*k;
	char			 skey[PATH_MAX], path[PATH_MAX];
	char			 line[KEYS_VKEY_MAX + 1];
	const char		*use = o->ao_witness;

	if (use == NULL) {
		snprintf(skey, sizeof(skey), "%s/%s", o->ao_state,
		    AUDIT_WITNESS_SKEY);
		if (access(skey, F_OK) == -1 &&
		    audit_witness_generate(o->ao_state, skey, err) == -1)
			return NULL;
		use = skey;
	}
	if ((k = keys_load(use, NULL, err)) == NULL)
		return NULL;
	if (keys_cosig_vkey(k, vkey) == -1) {
		err_set(err, "%s: no signing key", use);
		keys_free(k);
		return NULL;
	}
	if (o->ao_witness == NULL) {
		snprintf(path, sizeof(path), "%s/%s", o->ao_state,
		    AUDIT_WITNESS_VKEY);
		snprintf(line, sizeof(line), "%s\n", vkey);
		if (audit_write_file(path, line, strlen(line), 0644,
		    err) == -1) {
			keys_free(k);
			return NULL;
		}
	}
	return k;
}

/*
 * Cosign the checkpoint: the note as served with our line appended, in
 * ORIGIN/cosigned/SIZE.checkpoint, read back and verified before it is
 * reported.
 */
static void
audit_cosign(struct audit *a)
{
	struct keys_vkey	 vk;
	struct keys		*k;
	struct buf		 b;
	char			 vkey[KEYS_VKEY_MAX], err[ERR_MAX];
	char			 dir[PATH_MAX];
	char			 path[PATH_MAX], *back = NULL;
	uint64_t		 now = (uint64_t)time(NULL), t;
	size_t			 len, tl;

	memset(&vk, 0, sizeof(vk));
	buf_init(&b);
	if ((k = audit_witness(a, vkey, err)) == NULL) {
		audit_fail(a, "cosignature", "the witness key: %s", err);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s", a->a_dir, AUDIT_COSIGNED);
	snprintf(path, sizeof(path), "%s/%llu.checkpoint", dir,
	    (unsigned long long)a->a_cp.nc_size);
	buf_add(&b, a->a_note, a->a_notelen);
	if (audit_mkdir(a->a_dir, err) == -1 || audit_mkdir(dir, err) == -1 ||
	    note_cosign(k, a->a_note, a->a_textlen, now, &b, err) == -1 ||
	    audit_write_file(path, b.b_data, b.b_len, 0644, err) == -1)
		goto fail;
	if ((back = file_read(path, NOTE_MAX, &len, err)) == NULL ||
	    keys_vkey_parse(vkey, &vk, err) == -1)
		goto fail;
	if (note_cosig_verify(back, len, &vk, &t, err) == -1 ||
	    note_verify(back, len, a->a_opts->ao_key, &tl, err) == -1)
		goto fail;
	if (t != now) {
		err_set(err, "the cosignature's time is not ours");
		goto fail;
	}
	json_object_set_new(a->a_report, "cosignature", json_pack("{s:s, s:s, "
	    "s:I}", "file", path, "witness", vkey, "time", (json_int_t)now));
	audit_ok(a, "cosignature", "cosigned as %s: %s (verified with the "
	    "witness key, type 0x04)", k->k_name, path);
	goto done;
fail:
	audit_fail(a, "cosignature", "cosigning the checkpoint: %s", err);
done:
	keys_vkey_clear(&vk);
	keys_free(k);
	buf_free(&b);
	free(back);
}

/* Keep the checkpoint as the one the next audit starts from. */
static void
audit_keep(struct audit *a)
{
	char	 path[PATH_MAX], err[ERR_MAX];

	snprintf(path, sizeof(path), "%s/%s", a->a_dir, AUDIT_CHECKPOINT);
	if (audit_mkdir(a->a_dir, err) == -1 ||
	    audit_write_file(path, a->a_note, a->a_notelen, 0644, err) == -1)
		audit_fail(a, "state", "keeping the checkpoint: %s", err);
}

/*
 * audit --crosscheck: the audited snapshot's records against the
 * hoster's network (netcheck.c). Its report goes under "crosscheck", each
 * finding among the audit's as "crosscheck/KIND".
 */
static void
audit_crosscheck(struct audit *a)
{
	struct buf	 ran, skipped;
	const json_t	*v;
	const char	*name;
	char		 err[ERR_MAX];
	size_t		 i;
	json_t		*r;

	if ((r = netcheck_run(a->a_opts->ao_netcheck, a->a_records,
	    err)) == NULL) {
		audit_fail(a, "crosscheck", "the network cross-check of "
		    "snapshot %llu: %s", (unsigned long long)a->a_seq, err);
		return;
	}
	buf_init(&ran);
	buf_init(&skipped);
	json_array_foreach(json_object_get(r, "checks"), i, v) {
		name = json_string_value(json_object_get(v, "check"));
		if (json_is_true(json_object_get(v, "ran")))
			buf_printf(&ran, "%s%s", ran.b_len > 0 ? ", " : "",
			    name);
		else
			buf_printf(&skipped, "%s%s (%s)", skipped.b_len > 0 ?
			    "; " : "", name, json_string_value(
			    json_object_get(v, "detail")));
	}
	buf_add(&ran, "", 1);
	buf_add(&skipped, "", 1);
	audit_ok(a, "crosscheck", "network cross-check of snapshot %llu's "
	    "%zu records: ran %s%s%s", (unsigned long long)a->a_seq,
	    json_array_size(a->a_records), ran.b_oom ? "?" : ran.b_data,
	    skipped.b_len > 1 ? "; " : "", skipped.b_oom ? "?" :
	    skipped.b_data);
	buf_free(&ran);
	buf_free(&skipped);
	json_array_foreach(json_object_get(r, "findings"), i, v)
		audit_finding(a, "crosscheck", "crosscheck %s: %s",
		    json_string_value(json_object_get(v, "kind")),
		    json_string_value(json_object_get(v, "detail")));
	json_object_set_new(a->a_report, "crosscheck", r);
}

/*
 * The latest snapshot's hypervisor cross-check: its details, served at
 * /v1/snapshots/SEQ/consistency, must hash (RFC 8785, SHA-256) to what the
 * summary states; each of their findings is one of the audit's, named
 * "hypervisor/KIND". Returns 0 or -1.
 */
static int
audit_hypervisors(struct audit *a)
{
	const json_t	*cc, *f;
	const char	*want, *kind, *id;
	json_t		*details;
	char		 path[64], err[ERR_MAX], hex[SHA256_HEX_LEN + 1];
	char		*body;
	size_t		 len, i;
	json_t		*j;

	if ((cc = json_object_get(a->a_summary, "crosscheck")) == NULL) {
		audit_ok(a, "hypervisors", "snapshot %llu has no hypervisor "
		    "cross-check: the reseller configured no hypervisor",
		    (unsigned long long)a->a_seq);
		return 0;
	}
	if ((want = json_string_value(json_object_get(cc, "sha256"))) ==
	    NULL) {
		audit_fail(a, "malformed", "snapshot %llu: the summary's "
		    "crosscheck has no sha256", (unsigned long long)a->a_seq);
		return -1;
	}
	snprintf(path, sizeof(path), "/v1/snapshots/%llu/consistency",
	    (unsigned long long)a->a_seq);
	if ((j = audit_get_json(a, "crosscheck-unavailable", path, NULL)) ==
	    NULL)
		return -1;
	details = json_object_get(j, "crosscheck");
	if ((body = canon_dump(details, &len, err)) == NULL) {
		audit_fail(a, "malformed", "%s: %s", path, err);
		json_decref(j);
		return -1;
	}
	crypto_sha256_hex(body, len, hex);
	free(body);
	if (strcmp(hex, want) != 0 || !json_is_object(details)) {
		audit_fail(a, "crosscheck-mismatch", "snapshot %llu: the "
		    "hypervisor cross-check served does not hash to the SHA-256 "
		    "its summary states", (unsigned long long)a->a_seq);
		json_decref(j);
		return -1;
	}
	audit_ok(a, "hypervisors", "snapshot %llu: the hypervisor cross-check "
	    "of %lld nodes and %lld domains hashes to its summary's",
	    (unsigned long long)a->a_seq,
	    (long long)json_integer_value(json_object_get(cc, "nodes")),
	    (long long)json_integer_value(json_object_get(cc, "domains")));
	json_array_foreach(json_object_get(details, "findings"), i, f) {
		kind = json_string_value(json_object_get(f, "kind"));
		id = json_string_value(json_object_get(f, "id"));
		audit_finding(a, "hypervisor", "%s: panel %s, node %s%s%s",
		    kind != NULL ? kind : "?",
		    json_string_value(json_object_get(f, "panel")),
		    json_string_value(json_object_get(f, "node")) != NULL ?
		    json_string_value(json_object_get(f, "node")) : "-",
		    id != NULL ? ", VPS " : "", id != NULL ? id : "");
	}
	json_object_set(a->a_report, "hypervisors", details);
	json_decref(j);
	return 0;
}

/*
 * Run an audit. Returns the report, a new JSON object (see sightline(1)):
 * its "exit" member is 0 when everything verified, 1 when it verified
 * with findings, 2 when something failed to verify. NULL only when
 * memory runs out.
 */
json_t *
audit_run(const struct audit_opts *o)
{
	struct audit	 a;
	char		 err[ERR_MAX];
	json_t		*r;
	int		 code;

	memset(&a, 0, sizeof(a));
	a.a_opts = o;
	a.a_report = json_pack("{s:s, s:n, s:n, s:n, s:b, s:[], s:[], s:[], "
	    "s:{}}", "url", o->ao_url, "origin", "size", "root", "first_use", 0,
	    "checks", "findings", "failures", "changes");
	if (a.a_report == NULL)
		return NULL;
	a.a_checks = json_object_get(a.a_report, "checks");
	a.a_findings = json_object_get(a.a_report, "findings");
	a.a_failures = json_object_get(a.a_report, "failures");
	a.a_changes = json_object_get(a.a_report, "changes");
	if (audit_mkdir(o->ao_state, err) == -1) {
		audit_fail(&a, "state", "the state directory: %s", err);
		goto done;
	}
	if (audit_checkpoint(&a) == -1 || audit_consistency(&a) == -1)
		goto done;
	if (audit_snapshot(&a) == 0 && audit_records(&a) == 0 &&
	    audit_hypervisors(&a) == 0)
		audit_changes(&a);
	if (audit_failed(&a))
		goto done;
	audit_ok(&a, "signatures", "%zu answers signed by %s+%08x (RFC 9421 "
	    "signature and Content-Digest verified)", a.a_answers,
	    o->ao_key->vk_name, o->ao_key->vk_id);
	audit_cosign(&a);
	if (!audit_failed(&a))
		audit_keep(&a);
	if (o->ao_netcheck != NULL && !audit_failed(&a))
		audit_crosscheck(&a);
done:
	code = audit_failed(&a) ? 2 : json_array_size(a.a_findings) > 0 ?
	    1 : 0;
	json_object_set_new(a.a_report, "exit", json_integer(code));
	json_object_set_new(a.a_report, "result", json_string(code == 0 ?
	    "verified" : code == 1 ? "verified with findings" : "failed"));
	r = a.a_report;
	free(a.a_note);
	json_decref(a.a_summary);
	json_decref(a.a_records);
	return r;
}
