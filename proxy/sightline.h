/*
 * sightline.h: the table of contents. Every module's structures, limits
 * and functions, grouped by the file that holds them. Library headers
 * (libevent, libcurl, Lua, OpenSSL, expat) stay in their one boundary file;
 * jansson's json_t is the core's data type and appears everywhere.
 */
#ifndef SIGHTLINE_H
#define SIGHTLINE_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/*
 * Limits. Every size, count and time has a name here and a line in
 * sightline.conf(5) when it can be configured (the _MAX is then the
 * highest value the configuration accepts).
 */
#define ERR_MAX			256	/* a reason given back to a caller */
#define SHA256_LEN		32
#define SHA256_HEX_LEN		64
#define LUA_FILE_MAX		(1024 * 1024)	/* policy or configuration file */
#define CREDENTIALS_MAX		4096	/* panel credentials file */
#define PANEL_NAME_MAX		32
#define HOSTER_NAME_MAX		64
#define TLS_VERIFY_DEPTH	4	/* client certificate chains */

#define FRONT_LISTEN_MAX	16	/* listen addresses */
#define FRONT_CONNECTIONS	1024
#define FRONT_CONNECTIONS_MAX	65536
#define FRONT_HEADER_BYTES	8192	/* request line and headers */
#define FRONT_HEADER_BYTES_MAX	65536
#define FRONT_URI_BYTES		2048
#define FRONT_URI_BYTES_MAX	8192
#define FRONT_IDLE_TIMEOUT	60	/* seconds without a byte */
#define FRONT_REQUEST_TIMEOUT	10	/* seconds to send a whole request */

#define POLICY_MEMORY		(16 * 1024 * 1024)
#define POLICY_MEMORY_MAX	(1024 * 1024 * 1024)
#define POLICY_INSTRUCTIONS	1000000	/* per hook call and for loading */
#define POLICY_INSTRUCTIONS_MAX	1000000000
#define POLICY_PATH_MAX		512	/* a field's path, "interfaces[0].mac": in
					   traces, hooks and commitment salts */

#define SNAPSHOT_INTERVAL	300	/* seconds between snapshots */
#define SNAPSHOT_INTERVAL_MIN	10
#define SNAPSHOT_INTERVAL_MAX	86400
#define SNAPSHOT_KEEP_DAYS_MAX	36500	/* keep_days: 0 keeps every record */
#define HYPER_TIMEOUT		60	/* seconds to list every hypervisor */
#define HYPER_TIMEOUT_MAX	3600
#define HYPER_NODES_MAX		1024	/* hypervisors of one panel */
#define HYPER_URI_MAX		1024	/* bytes of a libvirt URI */
#define PANEL_MIN_REFRESH	10	/* ?fresh=1 refetches at most this often */
#define PANEL_RECORDS		100000	/* VPSes per panel */
#define PANEL_RECORDS_MAX	1000000

#define UPSTREAM_CONCURRENCY	16
#define UPSTREAM_CONCURRENCY_MAX 256
#define UPSTREAM_CONNECT_TIMEOUT 5
#define UPSTREAM_TRANSFER_TIMEOUT 30	/* one whole transfer */
#define UPSTREAM_BODY		(32 * 1024 * 1024)
#define UPSTREAM_BODY_MAX	(1024 * 1024 * 1024)

struct event_base;
struct plugin;

/* util.c */
#ifndef HAVE_STRLCPY
size_t		 strlcpy(char *, const char *, size_t);
#endif
#ifndef HAVE_STRLCAT
size_t		 strlcat(char *, const char *, size_t);
#endif
#ifndef HAVE_STRTONUM
long long	 strtonum(const char *, long long, long long, const char **);
#endif
void		 err_set(char *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
void		 err_prefix(char *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
struct buf {
	char		*b_data;
	size_t		 b_len;
	size_t		 b_cap;
	int		 b_oom;
};
void		 buf_init(struct buf *);
void		 buf_add(struct buf *, const void *, size_t);
void		 buf_addstr(struct buf *, const char *);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
void		 buf_addjson(struct buf *, const json_t *);
char		*buf_take(struct buf *, size_t *);
void		 buf_free(struct buf *);
int		 utf8_valid(const char *, size_t);
void		 hex_encode(const uint8_t *, size_t, char *);
int		 hex_decode(const char *, uint8_t *, size_t, int);
#define B64_STD		0
#define B64_URL		1
#define B64_LEN(n)	(((n) + 2) / 3 * 4)	/* text length, at most */
size_t		 b64_encode(const uint8_t *, size_t, int, char *);
ssize_t		 b64_decode(const char *, size_t, int, uint8_t *, size_t);
double		 mono_now(void);
char		*file_read(const char *, size_t, size_t *, char *);
int		 file_check_private(const char *, char *);
int		 path_resolve(const char *, const char *, char *, size_t);
void		 path_dir(const char *, char *, size_t);
int		 strings_sort(json_t *, int);

int		 url_decode(const char *, size_t, char *, size_t);
int		 array_sort(json_t *, int (*)(const void *, const void *));

/* log.c */
void		 log_init(int);
int		 log_open(const char *, char *);
void		 log_close(void);
void		 log_setverbose(int);
int		 log_getverbose(void);
void		 log_warn(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
__dead void	 fatal(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
__dead void	 fatalx(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));

/* crypto.c */
void		 crypto_init(void);
void		 crypto_sha256(const void *, size_t, uint8_t[SHA256_LEN]);
void		 crypto_sha256_hex(const void *, size_t,
		    char[SHA256_HEX_LEN + 1]);
struct crypto_sha256_ctx;
struct crypto_sha256_ctx *crypto_sha256_new(void);
void		 crypto_sha256_update(struct crypto_sha256_ctx *, const void *,
		    size_t);
int		 crypto_sha256_digest(const struct crypto_sha256_ctx *,
		    uint8_t[SHA256_LEN]);
void		 crypto_sha256_free(struct crypto_sha256_ctx *);
int		 crypto_memeq(const void *, const void *, size_t);
int		 crypto_random(void *, size_t);
void		 crypto_wipe(void *, size_t);
#define ED25519_KEY_LEN	32
#define ED25519_SIG_LEN	64
struct crypto_ed25519;
struct crypto_ed25519 *crypto_ed25519_new(const uint8_t[ED25519_KEY_LEN], int);
void		 crypto_ed25519_free(struct crypto_ed25519 *);
int		 crypto_ed25519_public(const struct crypto_ed25519 *,
		    uint8_t[ED25519_KEY_LEN]);
int		 crypto_ed25519_sign(const struct crypto_ed25519 *, const void *,
		    size_t, uint8_t[ED25519_SIG_LEN]);
int		 crypto_ed25519_verify(const struct crypto_ed25519 *,
		    const void *, size_t, const uint8_t[ED25519_SIG_LEN]);
void		 crypto_hmac_sha256(const uint8_t *, size_t, const void *,
		    size_t, uint8_t[SHA256_LEN]);
int		 crypto_hkdf_sha256(const uint8_t *, size_t, const char *,
		    uint8_t *, size_t);
void		*crypto_tls_server_new(const char *, const char *,
		    const char *, char *);
void		 crypto_tls_free(void *);
void		*crypto_tls_ssl_new(void *);
void		 crypto_tls_ref(void *);
int		 crypto_tls_peer_cn(void *, char *, size_t);
int		 crypto_tls_pin(void *, const uint8_t[SHA256_LEN]);

/* keys.c */
#define KEYS_NAME_MAX	128	/* a signed-note key name */
#define KEYS_VKEY_MAX	256	/* "PRIVATE+KEY+" name "+" id "+" base64 */
#define KEYS_SECRET_LEN	32
#define KEYS_FILE_MAX	1024
struct keys {
	int			 k_refs;
	char			 k_name[KEYS_NAME_MAX + 1];
	uint32_t		 k_id;
	uint8_t			 k_pub[ED25519_KEY_LEN];
	struct crypto_ed25519	*k_sign;
	char			 k_vkey[KEYS_VKEY_MAX];
	int			 k_has_secret;
	uint8_t			 k_salt[SHA256_LEN];	/* commitments */
	uint8_t			 k_pseudonym[SHA256_LEN];
};
struct keys_vkey {
	char			 vk_name[KEYS_NAME_MAX + 1];
	uint8_t			 vk_type;	/* NOTE_SIGTYPE_* */
	uint32_t		 vk_id;
	uint8_t			 vk_pub[ED25519_KEY_LEN];
	struct crypto_ed25519	*vk_key;
};
int		 keys_name_valid(const char *);
uint32_t	 keys_id(const char *, const uint8_t[ED25519_KEY_LEN]);
uint32_t	 keys_id_type(const char *, uint8_t,
		    const uint8_t[ED25519_KEY_LEN]);
int		 keys_vkey_parse(const char *, struct keys_vkey *, char *);
int		 keys_vkey_load(const char *, struct keys_vkey *, char *);
void		 keys_vkey_clear(struct keys_vkey *);
struct keys	*keys_load(const char *, const char *, char *);
struct keys	*keys_ref(struct keys *);
struct keys	*keys_throwaway(void);
struct keys	*keys_from_secret(const uint8_t[KEYS_SECRET_LEN]);
int		 keys_cosig_vkey(const struct keys *, char *);
void		 keys_free(struct keys *);
int		 keys_generate(const char *, const char *, char *, char *);

/* sign.c */
#define SIGN_LABEL		"sightline"
#define SIGN_DIGEST_MAX		64	/* "sha-256=:" base64 ":" */
#define SIGN_INPUT_MAX		512	/* the Signature-Input field value */
#define SIGN_SIG_MAX		128	/* the Signature field value */
#define SIGN_COMPONENTS_MAX	16
#define SIGN_COMPONENT_NAME_MAX	64
#define SIGN_PARAMS_MAX		8
#define SIGN_PARAM_STR_MAX	256
struct sign_component {
	char		 sc_name[SIGN_COMPONENT_NAME_MAX];
	int		 sc_req;		/* ";req": from the request */
};
enum sign_param_type { SIGN_PARAM_INT, SIGN_PARAM_STRING, SIGN_PARAM_BOOL };
struct sign_param {
	char			 pa_key[32];
	enum sign_param_type	 pa_type;
	long long		 pa_int;
	char			 pa_str[SIGN_PARAM_STR_MAX];
};
struct sign_params {
	struct sign_component	 sp_components[SIGN_COMPONENTS_MAX];
	size_t			 sp_ncomponents;
	struct sign_param	 sp_params[SIGN_PARAMS_MAX];	/* in order */
	size_t			 sp_nparams;
};
/* One HTTP message as the signer or verifier sees it. */
struct sign_msg {
	const char	*sm_method;	/* requests: as sent */
	const char	*sm_path;	/* requests: raw, without the query */
	const char	*sm_query;	/* requests: raw, without "?"; or NULL */
	const char	*sm_authority;	/* requests */
	int		 sm_status;	/* responses */
	/* A field's value (lowercase name), lines joined by ", "; or NULL. */
	const char	*(*sm_field)(void *, const char *);
	void		*sm_arg;
};
void		 sign_content_digest(const void *, size_t, char *);
const struct sign_param *sign_param(const struct sign_params *, const char *);
int		 sign_base(const struct sign_params *, const struct sign_msg *,
		    const struct sign_msg *, struct buf *, char *);
int		 sign_base_for(const char *, const struct sign_msg *,
		    const struct sign_msg *, struct buf *, char *);
int		 sign_response(const struct keys *, const struct sign_msg *,
		    const struct sign_msg *, long long, char *, char *, char *);
int		 sign_verify(const struct keys_vkey *, const struct sign_msg *,
		    const struct sign_msg *, const void *, size_t, long long *,
		    char *);

/* signer.c */
#define SIGNER_THREADS		4	/* at most, by default: CPUs - 1 */
#define SIGNER_THREADS_MAX	64
struct signer_job {
	TAILQ_ENTRY(signer_job)	 sj_entry;
	void			*sj_arg;	/* the caller's */
	/* what to sign */
	const struct keys	*sj_keys;
	int			 sj_status;
	const char		*sj_ctype;
	const char		*sj_body;
	size_t			 sj_len;
	int			 sj_head;	/* HEAD: no content */
	const char		*sj_method;
	const char		*sj_path;
	const char		*sj_query;	/* or NULL */
	const char		*sj_source;	/* Sightline-Inventory */
	long long		 sj_created;
	/* the result */
	int			 sj_rc;		/* 0, or -1 with sj_err */
	char			 sj_digest[SIGN_DIGEST_MAX];
	char			 sj_input[SIGN_INPUT_MAX];
	char			 sj_sig[SIGN_SIG_MAX];
	char			 sj_err[ERR_MAX];
};
struct signer;
void		 signer_work(struct signer_job *);
struct signer	*signer_new(int, char *);
int		 signer_fd(const struct signer *);
void		 signer_submit(struct signer *, struct signer_job *);
struct signer_job *signer_done(struct signer *);
void		 signer_wait(struct signer *);
void		 signer_free(struct signer *);

/* httpmsg.c */
#define HTTPMSG_FIELDS_MAX	128
#define HTTPMSG_AUTHORITY_MAX	256	/* a Host field value */
struct httpmsg {
	char		*hm_text;	/* the parsed copy, owned */
	struct sign_msg	 hm_msg;
	struct {
		const char	*hf_name;	/* lowercase */
		const char	*hf_value;
	}		 hm_fields[HTTPMSG_FIELDS_MAX];
	size_t		 hm_nfields;
	char		 hm_authority[HTTPMSG_AUTHORITY_MAX];
	const char	*hm_body;
	size_t		 hm_body_len;
	struct buf	 hm_join;	/* a joined field value */
};
int		 httpmsg_parse(const char *, size_t, struct httpmsg *, char *);
int		 httpmsg_exchange(const char *, size_t, struct httpmsg *,
		    struct httpmsg *, char *);
void		 httpmsg_clear(struct httpmsg *);

/* commit.c */
#define COMMIT_SALT_LEN		16	/* bytes, 128 bits */
#define COMMIT_DIGEST_MAX	(B64_LEN(SHA256_LEN) + 1)
#define COMMIT_PSEUDONYM_BYTES	16	/* 128 bits */
#define COMMIT_PSEUDONYM_MAX	(3 + B64_LEN(COMMIT_PSEUDONYM_BYTES) + 1)
#define COMMIT_DISCLOSURE_MAX	(1024 * 1024)
#define COMMIT_NAME_MAX		256	/* a field name in a path */
void		 commit_digest(const char *, size_t, char *);
int		 commit_make(const struct keys *, const char *, const char *,
		    const char *, const json_t *, char **, char *, char *);
int		 commit_pseudonym(const struct keys *, const char *,
		    const json_t *, char *, char *);
json_t		*commit_open(const char *, char *);
const json_t	*commit_lookup(const json_t *, const char *, char *, size_t,
		    char *);
const json_t	*commit_find(const json_t *, const char *, char *, size_t);

/* merkle.c */
/*
 * RFC 6962 / RFC 9162 §2.1 Merkle trees over SHA-256. A tree is read
 * through a merkle_read_fn that returns the hash of a complete subtree:
 * level 0 index i is leaf hash i, level l index i covers the leaves
 * [i << l, (i + 1) << l). The log keeps those hashes in its store; a
 * snapshot's tree keeps them in memory (struct merkle_tree).
 */
#define MERKLE_HASH_LEN		SHA256_LEN
#define MERKLE_PROOF_MAX	64	/* hashes in a proof, trees < 2^63 */
#define MERKLE_LEVELS_MAX	64
#define MERKLE_LEAF_INLINE	4096	/* leaf data hashed without malloc */
struct merkle_node {
	int		 mn_level;
	uint64_t	 mn_index;
	uint8_t		 mn_hash[MERKLE_HASH_LEN];
};
typedef int (*merkle_read_fn)(void *, int, uint64_t, uint8_t[MERKLE_HASH_LEN],
    char *);
struct merkle_tree;
void		 merkle_leaf_hash(const void *, size_t, uint8_t[MERKLE_HASH_LEN]);
void		 merkle_node_hash(const uint8_t[MERKLE_HASH_LEN],
		    const uint8_t[MERKLE_HASH_LEN], uint8_t[MERKLE_HASH_LEN]);
int		 merkle_hash_decode(const char *, uint8_t[MERKLE_HASH_LEN],
		    char *);
int		 merkle_append(uint64_t, const uint8_t[MERKLE_HASH_LEN],
		    merkle_read_fn, void *, struct merkle_node *, size_t *,
		    char *);
int		 merkle_root(uint64_t, merkle_read_fn, void *,
		    uint8_t[MERKLE_HASH_LEN], char *);
int		 merkle_prove_inclusion(uint64_t, uint64_t, merkle_read_fn,
		    void *, uint8_t[][MERKLE_HASH_LEN], size_t *, char *);
int		 merkle_prove_consistency(uint64_t, uint64_t, merkle_read_fn,
		    void *, uint8_t[][MERKLE_HASH_LEN], size_t *, char *);
int		 merkle_verify_inclusion(uint64_t, uint64_t,
		    const uint8_t[MERKLE_HASH_LEN],
		    const uint8_t[][MERKLE_HASH_LEN], size_t,
		    const uint8_t[MERKLE_HASH_LEN], char *);
int		 merkle_verify_consistency(uint64_t, uint64_t,
		    const uint8_t[MERKLE_HASH_LEN], const uint8_t[MERKLE_HASH_LEN],
		    const uint8_t[][MERKLE_HASH_LEN], size_t, char *);
struct merkle_tree *merkle_tree_new(const uint8_t[][MERKLE_HASH_LEN], size_t,
		    char *);
void		 merkle_tree_free(struct merkle_tree *);
uint64_t	 merkle_tree_size(const struct merkle_tree *);
int		 merkle_tree_read(void *, int, uint64_t, uint8_t[MERKLE_HASH_LEN],
		    char *);

/* note.c */
/*
 * C2SP signed notes (signed-note@v1), checkpoints (tlog-checkpoint@v1)
 * and Ed25519 cosignatures (tlog-cosignature@v1.0.1).
 */
#define NOTE_MAX		(64 * 1024)	/* a signed note, in bytes */
#define NOTE_SIGS_MAX		100	/* signature lines (Go's limit) */
#define NOTE_ORIGIN_MAX		KEYS_NAME_MAX
#define NOTE_SIGTYPE_ED25519	0x01
#define NOTE_SIGTYPE_COSIG	0x04
struct note_checkpoint {
	char		 nc_origin[NOTE_ORIGIN_MAX + 1];
	uint64_t	 nc_size;
	uint8_t		 nc_root[MERKLE_HASH_LEN];
	size_t		 nc_nextensions;	/* extension lines, ignored */
};
char		*note_checkpoint_text(const char *, uint64_t,
		    const uint8_t[MERKLE_HASH_LEN], size_t *, char *);
int		 note_checkpoint_parse(const char *, size_t,
		    struct note_checkpoint *, char *);
char		*note_sign(const struct keys *, const char *, size_t, size_t *,
		    char *);
int		 note_verify(const char *, size_t, const struct keys_vkey *,
		    size_t *, char *);
int		 note_cosign(const struct keys *, const char *, size_t, uint64_t,
		    struct buf *, char *);
int		 note_cosig_verify(const char *, size_t, const struct keys_vkey *,
		    uint64_t *, char *);

/* store.c */
/*
 * The state directory: one SQLite database in WAL mode that holds the
 * log (snapshot summaries, the log's complete-subtree hashes, every signed
 * checkpoint) and the snapshots' records and disclosures, stored once per
 * distinct record (content-addressed by leaf hash). A snapshot is one
 * transaction: committed whole or not at all.
 */
#define STORE_FILE		"state.db"
#define STORE_READONLY		0x01	/* the tools: never write */
#define STORE_RECORD_MAX	(16 * 1024 * 1024)	/* one stored record */
#define STORE_DISCLOSURES_MAX	(16 * 1024 * 1024)	/* one record's, as JSON */
#define STORE_SUMMARY_MAX	(64 * 1024)	/* a snapshot's summary */
#define STORE_PAGE_MAX		1000	/* snapshots in one store_snapshots() */
#define STORE_BUSY_TIMEOUT	10000	/* ms to wait for another's lock */
#define STORE_WAL_LIMIT		(64 * 1024 * 1024)	/* WAL kept after a
						   checkpoint, in bytes */
struct store;
/* One record of a snapshot. Borrowed on input, owned on output. */
struct store_rec {
	char		*sr_id;
	uint8_t		 sr_hash[MERKLE_HASH_LEN];	/* merkle_leaf_hash(body) */
	char		*sr_body;	/* the redacted record, RFC 8785 */
	size_t		 sr_len;
};
/*
 * The disclosures of the i-th record given to store_append(), asked for
 * only when that record is new to the store: sets *json to a new JSON
 * array of disclosure strings (or NULL: none). Returns 0, or -1 with err.
 */
typedef int (*store_disclose_fn)(void *, size_t, char **, char *);
#define STORE_CHECK_MAX		(16 * 1024 * 1024)	/* one cross-check */
/* A snapshot's hypervisor cross-check, given to store_append(). */
struct store_check {
	const char	*sc_body;	/* the details, RFC 8785 */
	size_t		 sc_len;
	const char	*sc_disclosures;	/* JSON array of the disclosures
					   of its commitments, or NULL */
};
struct store_snapshot {
	uint64_t	 ss_seq;
	int64_t		 ss_time;
	char		*ss_summary;	/* the log leaf, RFC 8785 JSON; owned */
	size_t		 ss_len;
	uint8_t		 ss_root[MERKLE_HASH_LEN];	/* of its records */
	size_t		 ss_count;
	int		 ss_pruned;	/* its records are no longer kept */
};
struct store	*store_open(const char *, const struct keys *, const char *,
		    int, char *);
void		 store_close(struct store *);
uint64_t	 store_size(const struct store *);
const char	*store_origin(const struct store *);
const char	*store_checkpoint(const struct store *, size_t *);
int		 store_append(struct store *, int64_t, const char *, size_t,
		    const uint8_t[MERKLE_HASH_LEN], const struct store_rec *,
		    size_t, store_disclose_fn, void *,
		    const struct store_check *, char *);
int		 store_crosscheck(struct store *, uint64_t, char **, size_t *,
		    char *);
int		 store_snapshot(struct store *, uint64_t,
		    struct store_snapshot *, char *);
int		 store_snapshots(struct store *, uint64_t, size_t,
		    struct store_snapshot **, size_t *, char *);
void		 store_snapshot_clear(struct store_snapshot *);
void		 store_snapshots_free(struct store_snapshot *, size_t);
int		 store_records(struct store *, uint64_t, struct store_rec **,
		    size_t *, char *);
void		 store_records_free(struct store_rec *, size_t);
char		*store_disclosures(struct store *, const uint8_t[MERKLE_HASH_LEN],
		    char *);
int		 store_log_read(void *, int, uint64_t, uint8_t[MERKLE_HASH_LEN],
		    char *);
char		*store_checkpoint_at(struct store *, uint64_t, size_t *, char *);
int		 store_prune(struct store *, uint64_t, char *);

/* proof.c */
/* What a checked PROOF established. */
struct proof_result {
	struct note_checkpoint	 pr_cp;		/* the checkpoint it ends in */
	const char		*pr_note;	/* borrowed from the proof */
	uint64_t		 pr_seq;	/* the snapshot, a leaf of the log */
	uint64_t		 pr_count;	/* records in its tree */
	uint8_t			 pr_root[MERKLE_HASH_LEN];	/* their root */
	uint64_t		 pr_index;	/* the record's leaf */
};
int		 proof_leaf_hash(const json_t *, uint8_t[MERKLE_HASH_LEN],
		    char *);
int		 proof_hash_member(const json_t *, const char *,
		    uint8_t[MERKLE_HASH_LEN], char *);
int		 proof_uint_member(const json_t *, const char *, uint64_t *,
		    char *);
uint8_t		(*proof_hashes(const json_t *, size_t *, char *))
		    [MERKLE_HASH_LEN];
int		 proof_summary(const json_t *, uint64_t *, uint64_t *,
		    uint8_t[MERKLE_HASH_LEN], char *);
int		 proof_records_root(const json_t *, uint8_t[MERKLE_HASH_LEN],
		    char *);
int		 proof_same_json(const json_t *, const json_t *);
json_t		*proof_b64(const uint8_t[MERKLE_HASH_LEN]);
json_t		*proof_list(const uint8_t[][MERKLE_HASH_LEN], size_t);
int		 proof_check(const json_t *, const json_t *, const json_t *,
		    const struct keys_vkey *, struct proof_result *, char *);
json_t		*proof_make(struct store *, uint64_t, uint64_t,
		    const char *const *, size_t, struct store_rec **, size_t *,
		    char *);
json_t		*proof_bundle(struct store *, uint64_t, uint64_t, const char *,
		    const char *, char *);
int		 proof_bundle_check(const json_t *, const struct keys_vkey *,
		    struct proof_result *, json_t **, char *);

/* audit.c */
#define AUDIT_MAX_AGE		(3 * 300)	/* seconds: a latest snapshot
					   older than three default snapshot
					   intervals is a finding */
#define AUDIT_CLOCK_SKEW	300	/* seconds a snapshot may be dated
					   ahead of our clock */
#define AUDIT_IDS_SHOWN		10	/* ids per kind of change in the
					   readable report (--json: all) */
struct netcheck;
struct upstream_fetched;
struct audit_opts {
	const char		*ao_url;	/* no trailing "/" */
	const char		*ao_token;	/* bearer token, or NULL */
	const char		*ao_cafile;	/* or NULL: the system's */
	const struct keys_vkey	*ao_key;	/* the deployment's */
	const char		*ao_state;	/* the audit's state directory */
	const char		*ao_witness;	/* its signing key, or NULL */
	int64_t			 ao_max_age;	/* seconds */
	const struct netcheck	*ao_netcheck;	/* --crosscheck, or NULL */
};
int		 audit_fetch(const struct audit_opts *, const char *,
		    const char *, struct upstream_fetched *, char *);
json_t		*audit_run(const struct audit_opts *);

/* addr.c */
#define ADDR_MAC_LEN	17
#define ADDR_IP_LEN	(46 + 4)	/* INET6_ADDRSTRLEN and "/128" */
#define ADDR_PREFIX_OK	0x01
int		 addr_mac_canon(const char *, char[ADDR_MAC_LEN + 1]);
int		 addr_ip_canon(const char *, char *, size_t, int);
void		 addr_ip_host(const char *, char *, size_t);
int		 addr_ip_is_local(const char *);
int		 addr_mac_is_null(const char *);

/* norm.c */
#define NORM_EXACT_MAX		9007199254740992.0	/* 2^53 */
#define NORM_NATIVE_ID_MAX	64	/* a panel's own VPS id, as text */
json_t		*norm_number(double);
int		 norm_strnum(const char *, double *);
int		 norm_num(const json_t *, double *);
json_t		*norm_num_field(const json_t *, const char *, double);
const char	*norm_str(const json_t *, const char *);
json_t		*norm_str_field(const json_t *, const char *);
const json_t	*norm_object(const json_t *);
json_t		*norm_mac(const char *);
int		 norm_add_ip(json_t *, const char *);
const char	*norm_kind(const char *);
json_t		*norm_record_new(const char *, const char *, const char *);
int		 norm_add_ip_prefix(json_t *, const char *, int);
int		 norm_netmask_prefix(const char *);
json_t		*norm_time(const char *);

/* xml.c */
#define XML_DEPTH_MAX		16	/* element nesting below the body */
#define XML_INPUT_MAX		(256 * 1024 * 1024)	/* bytes of one body */
json_t		*xml_parse(const char *, size_t, char *);
typedef int (*xml_open_fn)(void *, int, const char *, const char **, char *);
typedef int (*xml_close_fn)(void *, int, const char *, char *);
int		 xml_walk(const char *, size_t, xml_open_fn, xml_close_fn,
		    void *, char *);

/* canon.c */
#define CANON_DEPTH_MAX		64	/* nested arrays and objects */
#define CANON_NUMBER_MAX	32	/* "-1.2345678901234567e-308" and NUL */
int		 canon_number(double, char[CANON_NUMBER_MAX], char *);
int		 canon_write(struct buf *, const json_t *, char *);
char		*canon_dump(const json_t *, size_t *, char *);
json_t		*canon_parse(const char *, size_t, char *);

/* sandbox.c */
#define SANDBOX_DATA	0	/* configuration: no library at all */
#define SANDBOX_POLICY	1	/* policies: the safe libraries, hooks */
struct sandbox;
struct sandbox	*sandbox_new(int, size_t, uint64_t, char *);
void		 sandbox_free(struct sandbox *);
void		 sandbox_fail_after(struct sandbox *, long);
size_t		 sandbox_memory(const struct sandbox *);
json_t		*sandbox_run(struct sandbox *, const char *, const char *,
		    size_t, char *);
json_t		*sandbox_run_file(struct sandbox *, const char *, char *);
int		 sandbox_hook_valid(const struct sandbox *, json_int_t);
int		 sandbox_hook_call(struct sandbox *, int, const json_t *,
		    const char *, char *, size_t, json_t **, char *);

/* policy.c */
enum policy_action {
	POLICY_DROP,
	POLICY_KEEP,
	POLICY_COMMIT,		/* a digest in the object's "_sd" */
	POLICY_PSEUDONYM,	/* NAME_ps: a keyed pseudonym */
	POLICY_TABLE,		/* rules for the fields below */
	POLICY_HOOK		/* a Lua function decides */
};

struct policy_rule {
	enum policy_action	 pr_action;
	int			 pr_hook;	/* POLICY_HOOK: Lua reference */
	int			 pr_pseudonym;	/* POLICY_COMMIT: and a pseudonym */
	char			*pr_name;	/* field name in the parent table */
	struct policy_rule	*pr_children;	/* POLICY_TABLE, sorted by name */
	size_t			 pr_nchildren;
	struct policy_rule	*pr_any;	/* POLICY_TABLE: "*" */
};

struct policy_native {
	char			*pn_endpoint;	/* a plugin endpoint pattern */
	struct policy_rule	 pn_rule;
};

struct policy {
	char			*po_path;
	char			 po_digest[SHA256_HEX_LEN + 1];	/* of the file */
	const struct keys	*po_keys;	/* commitments; borrowed */
	struct sandbox		*po_sb;
	struct policy_rule	 po_record;
	struct policy_rule	 po_node;
	struct policy_native	*po_native;
	size_t			 po_nnative;
};

typedef void (*policy_trace_fn)(void *, const char *, const char *,
    const json_t *);
struct policy	*policy_load(const char *, const struct plugin *, size_t,
		    uint64_t, char *);
void		 policy_free(struct policy *);
const struct policy_rule *policy_native(const struct policy *, const char *);
const char	*policy_action_name(enum policy_action);
int		 policy_apply(struct policy *, const struct policy_rule *,
		    const json_t *, const char *, json_t **, policy_trace_fn,
		    void *, char *);

/* conf.c */
struct conf_listen {
	char		*li_address;
	int		 li_port;
	int		 li_tls;
};

struct conf_hoster {
	char		*ho_name;
	uint8_t		 ho_token[SHA256_LEN];	/* SHA-256 of the bearer token */
	int		 ho_has_token;
	char		*ho_pve_token_id;	/* USER@REALM!TOKENID, or NULL */
	char		*ho_cert_cn;		/* client certificate CN, or NULL */
};

/* A hypervisor of a panel: a node, and how to read its libvirt. */
struct conf_hyper {
	char		*hy_node;
	char		*hy_uri;	/* opened read-only */
};

struct conf_panel {
	char			*pc_name;
	const struct plugin	*pc_plugin;
	char			*pc_url;	/* no trailing slash */
	char			*pc_credentials;	/* path */
	char			*pc_secret;	/* its first line; wiped on free */
	char			*pc_ca_file;
	uint8_t			 pc_fingerprint[SHA256_LEN];
	int			 pc_pinned;
	char			*pc_policy;	/* path */
	double			 pc_min_refresh;
	int			 pc_concurrency;
	double			 pc_connect_timeout;
	double			 pc_timeout;
	size_t			 pc_max_body;
	size_t			 pc_max_records;
	json_t			*pc_options;	/* plugin options, checked by it */
	struct conf_hyper	*pc_hypers;
	size_t			 pc_nhypers;
};

struct conf {
	char			*cf_path;
	struct conf_listen	*cf_listen;
	size_t			 cf_nlisten;
	char			*cf_tls_cert;
	char			*cf_tls_key;
	char			*cf_client_ca;
	char			*cf_key_signing;
	char			*cf_key_secret;
	struct keys		*cf_keys;
	struct conf_hoster	*cf_hosters;
	size_t			 cf_nhosters;
	struct conf_panel	*cf_panels;
	size_t			 cf_npanels;
	char			*cf_log;
	size_t			 cf_max_connections;
	size_t			 cf_max_header_bytes;
	size_t			 cf_max_uri_bytes;
	double			 cf_idle_timeout;
	double			 cf_request_timeout;
	size_t			 cf_policy_memory;
	uint64_t		 cf_policy_instructions;
	int			 cf_sign_threads;	/* 0: sign on the loop */
	char			*cf_state;	/* the state directory */
	char			*cf_origin;	/* NULL: "sightline/" key name */
	double			 cf_snapshot_interval;
	int			 cf_keep_days;	/* 0: keep every record */
	double			 cf_hyper_timeout;	/* seconds to list them */
	size_t			 cf_nhypers;	/* of every panel */
};

struct conf	*conf_load(const char *, char **);
void		 conf_free(struct conf *);

/* upstream.c */
enum upstream_error {
	UPSTREAM_OK,
	UPSTREAM_CONNECT,
	UPSTREAM_TLS,
	UPSTREAM_TIMEOUT,
	UPSTREAM_TOOBIG,
	UPSTREAM_TRUNCATED,
	UPSTREAM_NOANSWER,
	UPSTREAM_PROTOCOL,
	UPSTREAM_NOMEM
};

struct upstream_reply {
	int			 ur_status;	/* HTTP status, 0 if none */
	enum upstream_error	 ur_error;
	const char		*ur_errmsg;
	const char		*ur_content_type;	/* may be NULL */
	const char		*ur_body;	/* NUL-terminated, borrowed */
	size_t			 ur_len;
	double			 ur_seconds;
};

typedef void (*upstream_cb)(const struct upstream_reply *, void *);
struct upstream;
struct upstream_req;
void		 upstream_global_init(void);
void		 upstream_global_cleanup(void);
struct upstream	*upstream_new(struct event_base *, const char *,
		    const struct conf_panel *, const char *, const char *,
		    const char *, char *);
void		 upstream_free(struct upstream *);
struct upstream_req *upstream_get(struct upstream *, const char *, int,
		    upstream_cb, void *);
void		 upstream_cancel(struct upstream_req *);
size_t		 upstream_queued(const struct upstream *);
const char	*upstream_strerror(enum upstream_error);
/* A blocking GET for the command-line tools (sightline audit). */
#define UPSTREAM_FETCH_BODY	(512 * 1024 * 1024)	/* one answer's body */
#define UPSTREAM_FETCH_HEAD	(64 * 1024)	/* its header section */
#define UPSTREAM_FETCH_TIMEOUT	300	/* seconds for one whole answer */
struct upstream_fetched {
	int		 uf_status;
	struct httpmsg	 uf_head;	/* status line and fields, parsed */
	char		*uf_ctype;	/* Content-Type, owned; or NULL */
	char		*uf_body;	/* NUL-terminated, owned */
	size_t		 uf_len;
};
int		 upstream_fetch(const char *, const char *, const char *,
		    struct upstream_fetched *, char *);
void		 upstream_fetched_clear(struct upstream_fetched *);

/* fetch.c */
enum reply_kind {
	REPLY_JSON,		/* 2xx with a JSON body */
	REPLY_STATUS,		/* any other status, or a 2xx answer the
				   plugin judged an error; json set if the
				   body is */
	REPLY_REFUSED,		/* the panel refused sightline's credentials */
	REPLY_HTML,		/* an HTML page, whatever the status */
	REPLY_NOTJSON,		/* 2xx, but the body does not parse */
	REPLY_TRANSPORT		/* no usable answer: see error */
};

struct reply {
	enum reply_kind		 rp_kind;
	int			 rp_status;
	enum upstream_error	 rp_error;
	json_t			*rp_json;	/* owned by the reply */
	char			 rp_why[ERR_MAX];	/* for people */
};

struct fetch;
struct fetch_group;
typedef void (*fetch_done_fn)(struct fetch *, void *);
void		 reply_parse(const struct plugin *, const struct upstream_reply *,
		    struct reply *);
void		 reply_clear(struct reply *);
struct fetch	*fetch_new(const struct plugin *, const char *, const json_t *,
		    size_t, fetch_done_fn, void *);
void		 fetch_free(struct fetch *);
int		 fetch_start_live(struct fetch *, struct upstream *);
int		 fetch_run_canned(struct fetch *, const json_t *);
struct fetch_group *fetch_group(struct fetch *, const char *);
int		 fetch_group_put(struct fetch_group *, const char *, json_t *);
const json_t	*fetch_group_docs(const struct fetch_group *);
int		 fetch_get(struct fetch *, struct fetch_group *, const char *);
int		 fetch_add_node(struct fetch *, json_t *);
const char	*fetch_panel(const struct fetch *);
const json_t	*fetch_options(const struct fetch *);
json_t		*fetch_state(struct fetch *);
const char	*fetch_error(const struct fetch *);
json_t		*fetch_take_records(struct fetch *);
json_t		*fetch_take_nodes(struct fetch *);
double		 fetch_seconds(const struct fetch *);
int		 fetch_failure_status(const struct fetch *);
size_t		 fetch_requests(const struct fetch *);

/* plugin.c, plugins/ */
struct native_route {
	const char	*nr_endpoint;		/* the allow-listed pattern */
	char		 nr_path[FRONT_URI_BYTES_MAX];	/* for the upstream */
};

/*
 * A panel plugin: a const table, compiled in. Hooks MUST NOT keep
 * pointers to their arguments past the call unless they say so, and MUST
 * NOT block: all I/O goes through fetch_get().
 */
struct plugin {
	const char	*pl_name;
	/* The path the API lives under; upstream paths are relative to it. */
	const char	*pl_api_root;
	/* 1 if the panel's VMs are libvirt domains: hypervisors may be set. */
	int		 pl_libvirt;
	/* The i-th allow-listed native endpoint pattern; NULL past the end. */
	const char	*(*pl_endpoint)(size_t);
	/*
	 * Check the first line of the credentials file. MUST return 0, or
	 * -1 with a reason that does not quote the secret.
	 */
	int		(*pl_credentials)(const char *, char *);
	/*
	 * How the secret travels: fill a new "Name: value" header and/or a
	 * new query fragment (either may stay NULL). Caller wipes and frees.
	 */
	int		(*pl_auth)(const char *, char **, char **, char *);
	/* Check the panel's options table. MUST return 0 or -1 with reason. */
	int		(*pl_options)(const json_t *, char *);
	/* Start an inventory: MUST issue its first calls with fetch_get(). */
	int		(*pl_inventory)(struct fetch *, char *);
	/*
	 * A reply to fetch_get(f, g, path) arrived (g is NULL for top-level
	 * calls). MAY issue further calls and store documents in g. Returns
	 * 0, or -1 with a reason to abandon the whole inventory.
	 */
	int		(*pl_fetched)(struct fetch *, struct fetch_group *,
			    const char *, const struct reply *, char *);
	/*
	 * Every call of group g answered; docs holds what pl_fetched stored
	 * (borrowed). Sets *rec to a new normalized record (schema v1), or to
	 * NULL when the group makes no record. Returns 0, or -1 with reason.
	 */
	int		(*pl_record)(struct fetch *, const json_t *, json_t **,
			    char *);
	/*
	 * Map a hoster's native path (below the API root) and raw query onto
	 * an allow-listed endpoint. MUST refuse anything else, returning -1
	 * with a reason; on success fills route with the upstream path.
	 */
	int		(*pl_native_route)(const char *, const char *,
			    struct native_route *, char *);
	/*
	 * MAY be NULL. Judge what reply_parse() cannot know of this panel:
	 * errors sent with status 200 (a login page, an "Invalid id or key"
	 * phrase), or a body in another format (XML). Called with the raw
	 * answer u after the generic judgement filled r; MAY change rp_kind
	 * (REPLY_REFUSED for a credentials failure), replace rp_json (r owns
	 * it) and set rp_why, which MUST NOT quote the body.
	 */
	void		(*pl_judge)(const struct upstream_reply *,
			    struct reply *);
	/*
	 * What to copy to preserve one VPS as evidence, and how. MUST return
	 * a new PRESERVE object {"panel", "node", "vm_id", "disks":
	 * [{"storage", "volume"}], "commands": [...], "note"} (see
	 * evidence_preserve_new()) derived ONLY from the redacted record and,
	 * for libvirt panels, domain (both borrowed): NULL, or what the
	 * hypervisor cross-check observed of the VPS's libvirt domain, an
	 * object with any of "uuid", "name", "state", "macs", "disks" and
	 * "node" (evidence_domain()). No clock, configuration or randomness:
	 * a verifier recomputes the object and compares it byte for byte.
	 * Values from the record MUST go into commands through
	 * evidence_shell_word(). Returns NULL only when out of memory.
	 */
	json_t		*(*pl_preserve)(const json_t *, const json_t *);
};

/* route.c */
#define ROUTE_SEGMENTS_MAX	8	/* of a native path */
#define ROUTE_PARAMS_MAX	8	/* query parameters of a route */
#define ROUTE_PARAM_NAME_MAX	64	/* a query parameter's name, decoded */
#define ROUTE_NAME_MAX		32	/* a pattern's {name}, with its NUL */
#define ROUTE_NUMBER_MAX	2147483647	/* "#": a panel's numeric id */
struct route_param {
	const char	*rq_name;	/* "page", "filter[status]" */
	const char	*rq_values;	/* "#": route_number(); "a|b|c" */
};
struct route {
	const char		*rt_pattern;	/* "/servers/{id}/disks" */
	struct route_param	 rt_params[ROUTE_PARAMS_MAX];
};
struct route_table {
	const struct route	*rs_routes;
	size_t			 rs_nroutes;
	/*
	 * Check value, the path segment a pattern's {name} stands for (name
	 * without the braces). MUST return 1 when it fits, 0 when the route
	 * does not match, -1 with a reason to refuse the path outright.
	 */
	int			(*rs_segment)(const char *, const char *,
				    char *);
	int			 rs_brackets;	/* PHP's "a[b]" query names */
};
int		 route_number(const char *);
int		 route_in_list(const char *, const char *);
int		 route_find(const struct route_table *, const char *,
		    const char *, struct native_route *, char *);
const char	*route_endpoint(const struct route_table *, size_t);

/* rest.c */
#define REST_TOKEN_MAX		1024	/* a bearer token */
#define REST_PAGES_MAX		10000	/* pages of one listing */
#define REST_ID_MAX		ROUTE_NUMBER_MAX /* the ids the allow-list takes */
#define REST_PATH_MAX		512	/* an upstream path sightline makes */
typedef int (*rest_item_fn)(struct fetch *, const json_t *, void *, char *);
/* What tells one REST panel's inventory from another's. */
struct rest_panel {
	const char	*rpn_servers;	/* the servers' listing: "/servers" */
	const char	*rpn_nodes;	/* the nodes' listing */
	const char	*rpn_nodes_name;	/* what it lists, in error messages */
	const char	*rpn_entry;	/* a server's listing entry is kept as */
	const char	*rpn_detail;	/* its details: /servers/{id} + this */
	const char	*rpn_detail_doc;	/* and they are kept as */
	json_type	 rpn_detail_type;	/* their "data" */
	/* A node from a listing entry: new, or NULL to leave it out. */
	json_t		*(*rpn_node)(const char *, const json_t *);
	/* A record from a server's documents: new, or NULL with a reason. */
	json_t		*(*rpn_normalize)(const char *, const json_t *, char *);
};
int		 rest_credentials(const char *, char *);
int		 rest_auth(const char *, char **, char **, char *);
int		 rest_options(const json_t *, char *);
void		 rest_judge(const struct upstream_reply *, struct reply *);
const json_t	*rest_data(const struct reply *, json_type, char *);
int		 rest_list(struct fetch *, const char *, const char *);
const char	*rest_list_name(const struct fetch_group *);
int		 rest_list_page(struct fetch *, struct fetch_group *,
		    const char *, const struct reply *, rest_item_fn, void *,
		    char *);
int		 rest_list_close(const json_t *, char *);
int		 rest_inventory(struct fetch *, const struct rest_panel *,
		    char *);
int		 rest_fetched(struct fetch *, struct fetch_group *,
		    const char *, const struct reply *,
		    const struct rest_panel *, char *);
int		 rest_record(struct fetch *, const json_t *, json_t **,
		    const struct rest_panel *, char *);
int		 rest_id(const json_t *, char[NORM_NATIVE_ID_MAX + 1]);
int		 rest_segment(const char *, const char *, char *);

const struct plugin *plugin_find(const char *);
const char	*plugin_names(void);
extern const struct plugin plugin_proxmox;
extern const struct plugin plugin_solusvm1;
extern const struct plugin plugin_solusvm2;
extern const struct plugin plugin_virtfusion;
extern const struct plugin plugin_virtualizor;

/* inventory.c */
struct inv_record {
	char		*ir_id;
	char		*ir_node;	/* may be NULL */
	json_t		*ir_tree;	/* while being built, borrowed */
	char		*ir_raw;	/* the normalized record, serialized:
					   kept for a reload's new policy */
	char		*ir_json;	/* the redacted record, RFC 8785 */
	size_t		 ir_len;
	uint8_t		 ir_hash[MERKLE_HASH_LEN];	/* its leaf hash */
	char		*ir_disclosures;	/* JSON array of its SD-JWT
					   disclosures, or NULL: none */
};

struct inv_index;

struct inventory {
	int			 inv_refs;
	char			*inv_panel;
	struct inv_record	*inv_recs;	/* sorted by id */
	size_t			 inv_nrecs;
	json_t			*inv_nodes_raw;	/* normalized node objects */
	json_t			*inv_nodes;	/* redacted node objects */
	char			*inv_nodes_json;
	size_t			 inv_nodes_len;
	struct inv_index	*inv_byip;
	struct inv_index	*inv_bymac;
	time_t			 inv_time;	/* when the refresh finished */
	double			 inv_seconds;	/* how long it took */
	size_t			 inv_requests;
	char			 inv_policy[SHA256_HEX_LEN + 1];
};

enum inv_key { INV_IP, INV_MAC };
typedef int (*inventory_address_fn)(void *, enum inv_key, const char *);
struct inventory_builder;
struct inventory_builder *inventory_builder_new(const char *, json_t *,
		    json_t *, struct policy *, char *);
int		 inventory_step(struct inventory_builder *, size_t, char *);
struct inventory *inventory_builder_take(struct inventory_builder *);
void		 inventory_builder_free(struct inventory_builder *);
struct inventory *inventory_build(const char *, json_t *, json_t *,
		    struct policy *, char *);
int		 inventory_addresses(const json_t *, inventory_address_fn,
		    void *);
struct inventory *inventory_ref(struct inventory *);
void		 inventory_unref(struct inventory *);
const struct inv_record *inventory_find(const struct inventory *,
		    const char *);
size_t		 inventory_lookup(const struct inventory *, enum inv_key,
		    const char *, const struct inv_record **, size_t);

/* panel.c */
struct panel_waiter;
typedef void (*panel_refreshed_fn)(void *);

struct panel {
	struct conf_panel	*pa_conf;	/* borrowed from the state */
	const struct plugin	*pa_plugin;
	struct policy		*pa_policy;
	struct upstream		*pa_upstream;
	struct event_base	*pa_base;
	struct inventory	*pa_inv;	/* NULL until the first refresh */
	struct fetch		*pa_fetch;	/* the refresh in flight */
	struct inventory_builder *pa_build;	/* its inventory, being built */
	struct event		*pa_build_ev;	/* builds the next slice */
	double			 pa_last_start;	/* monotonic */
	double			 pa_last_end;
	char			 pa_last_error[ERR_MAX];	/* "" if none */
	int			 pa_last_status;	/* HTTP status for it */
	int			 pa_stopped;
	TAILQ_HEAD(, panel_waiter) pa_waiters;
};

struct panel	*panel_new(struct event_base *, struct conf_panel *,
		    struct conf *, char *);
void		 panel_free(struct panel *);
int		 panel_adopt(struct panel *, const struct panel *, char *);
void		 panel_stop(struct panel *);
void		 panel_wake(struct panel *);
int		 panel_refresh(struct panel *, int, panel_refreshed_fn, void *);
void		 panel_unwait(struct panel *, void *);

/* state.c */
struct state {
	int			 st_refs;
	struct conf		*st_conf;
	void			*st_tls;	/* SSL_CTX, NULL without TLS */
	struct panel		**st_panels;
	size_t			 st_npanels;
	struct panel		*st_root;	/* the Proxmox panel at /api2/json */
};

struct state	*state_new(struct event_base *, const char *, char **);
void		 state_ref(struct state *);
void		 state_unref(struct state *);
struct panel	*state_panel(const struct state *, const char *);
int		 state_adopt(struct state *, const struct state *, char *);
void		 state_stop(struct state *);

/* snapshot.c */
#define SNAPSHOT_TYPE		"sightline/snapshot/v1"	/* of a log leaf */
#define SNAPSHOT_LOOKUP_MAX	64	/* records one lookup answer lists */
/* One record of a snapshot, borrowed from an inventory or the store. */
struct snapshot_rec {
	const char		*sr_id;
	const char		*sr_body;	/* RFC 8785 */
	size_t			 sr_len;
	const uint8_t		*sr_hash;	/* its leaf hash */
	const struct inv_record	*sr_ir;		/* current snapshots only */
};
/*
 * A committed snapshot. The current one holds the inventories it was
 * taken from; an older one, read back from the store, holds its records.
 */
struct snapshot {
	int			 sn_refs;
	uint64_t		 sn_seq;
	int64_t			 sn_time;
	char			*sn_summary;	/* the log leaf, RFC 8785 */
	size_t			 sn_summary_len;
	uint8_t			 sn_root[MERKLE_HASH_LEN];
	struct merkle_tree	*sn_tree;
	struct snapshot_rec	*sn_recs;	/* sorted by id */
	size_t			 sn_nrecs;
	struct inventory	**sn_inv;	/* references */
	size_t			 sn_ninv;
	struct store_rec	*sn_stored;
	size_t			 sn_nstored;
	char			*sn_check;	/* the hypervisor cross-check's
					   details, RFC 8785; NULL when no
					   hypervisor is configured */
	size_t			 sn_check_len;
};
typedef void (*snapshot_done_fn)(void *);
int		 snapshot_open(struct event_base *, const struct conf *, char *);
int		 snapshot_check_reload(const struct conf *, const struct conf *,
		    char *);
void		 snapshot_set_state(struct state *);
void		 snapshot_close(void);
void		 snapshot_fresh(snapshot_done_fn, void *);
void		 snapshot_unwait(void *);
const char	*snapshot_error(void);
uint64_t	 snapshot_pruned_before(void);
struct snapshot	*snapshot_current(void);
struct snapshot	*snapshot_at(uint64_t, int *, char *);
struct snapshot	*snapshot_ref(struct snapshot *);
void		 snapshot_unref(struct snapshot *);
struct store	*snapshot_store(void);
ssize_t		 snapshot_find(const struct snapshot *, const char *);
size_t		 snapshot_lookup(const struct snapshot *, enum inv_key,
		    const char *, size_t *, size_t);

/* libvirt.c */
#define HYPER_DOMAINS_MAX	100000	/* domains of one hypervisor */
#define HYPER_XML_MAX		(1024 * 1024)	/* one domain's XML */
int		 hyper_list(const char *, json_t **, char *);
int		 hyper_devices(const char *, size_t, json_t *, char *);
void		 hyper_uri_display(const char *, char *, size_t, char *, size_t);

/* hvcheck.c */
#define HVCHECK_TYPE		"sightline/crosscheck/v1"
/* One configured hypervisor, after it was listed. */
struct hv_node {
	const char	*hn_panel;
	const char	*hn_node;
	const json_t	*hn_domains;	/* from hyper_list; NULL: unreachable */
	const char	*hn_error;	/* why it is unreachable, or NULL */
};
json_t		*hvcheck_details(const struct hv_node *, size_t,
		    const json_t *, const struct keys *, json_t **, char *);
json_t		*hvcheck_counts(const json_t *);

/* hvlist.c */
#define HVLIST_THREADS		8	/* hypervisors listed at once */
#define HVLIST_UNREADABLE	"libvirt refused or failed to list it; " \
				"sightlined's log says why"
struct hvlist;
typedef void (*hvlist_done_fn)(struct hvlist *, void *);
struct hvlist	*hvlist_start(struct event_base *, const struct conf *, double,
		    hvlist_done_fn, void *, char *);
const struct hv_node *hvlist_nodes(const struct hvlist *, size_t *);
void		 hvlist_free(struct hvlist *);
/* evidence.c */
#define EVIDENCE_TYPE		"sightline/evidence/v1"	/* the API's object */
#define EVIDENCE_FILE_TYPE	"sightline/evidence-file/v1"	/* and the
					   file that keeps it with its HTTP
					   signature */
#define EVIDENCE_PATH		"/v1/evidence"
#define EVIDENCE_RECORDS_MAX	(SNAPSHOT_LOOKUP_MAX - 1)	/* records of
					   one bundle: a lookup counts up to
					   SNAPSHOT_LOOKUP_MAX, so fewer are
					   known to be all of them */
#define EVIDENCE_FILE_MAX	(64 * 1024 * 1024)	/* a bundle file */
#define EVIDENCE_STATEMENT_MAX	(ADDR_IP_LEN + 64)
#define EVIDENCE_LVM_SIZE	"10G"	/* an LVM snapshot's copy-on-write
					   space, in the commands */
/* Placeholders in the commands, for the operator to fill. */
#define EVIDENCE_BACKUP_STORAGE	"BACKUP_STORAGE"
#define EVIDENCE_DIR		"EVIDENCE_DIR"
#define EVIDENCE_DOMAIN		"DOMAIN"
void		 evidence_shell_word(struct buf *, const char *);
int		 evidence_add_command(json_t *, struct buf *);
json_t		*evidence_preserve_new(const json_t *, const json_t *);
json_t		*evidence_libvirt(const json_t *, const json_t *, const char *,
		    const char *);
json_t		*evidence_domain(const json_t *, const json_t *);
json_t		*evidence_hypervisor(const json_t *, const json_t *);
json_t		*evidence_preserve(const json_t *, const json_t *,
		    const json_t *, char *);
int		 evidence_statement(const char *, uint64_t, char *, size_t);
json_t		*evidence_make(struct store *, const struct snapshot *,
		    const char *, const char *, char *);
json_t		*evidence_file_new(const char *, size_t, const char *,
		    const char *, const struct sign_msg *, char *);
int		 evidence_check(const json_t *, const struct keys_vkey *,
		    json_t **, char *);
int		 evidence_cmd_fetch(int, char *[]);
int		 evidence_cmd_verify(int, char *[]);
/* csv.c */
#define CSV_RECORD_MAX		8192	/* bytes of one record */
#define CSV_FIELDS_MAX		64	/* fields of one record */
struct csv {
	const char	*cv_file;	/* for messages */
	char		*cv_p, *cv_end;
	uint32_t	 cv_line;	/* of cv_p */
	uint32_t	 cv_rec;	/* where the last record started */
	char		*cv_fields[CSV_FIELDS_MAX];
	size_t		 cv_nfields;
};
void		 csv_init(struct csv *, const char *, char *, size_t);
int		 csv_next(struct csv *, char *);
int		 csv_column(const struct csv *, const char *);

/* netinput.c, netalloc.c, netnodes.c, netcheck.c: the network cross-check */
#define NETCHECK_FILE_MAX	(256 * 1024 * 1024)	/* one input file */
#define NETCHECK_FILES_MAX	64	/* input files of one kind */
#define NETCHECK_ENTRIES_MAX	4000000	/* entries of one kind, all files */
#define NETCHECK_RECORDS_MAX	10000000	/* records checked at once */
#define NETCHECK_NAME_MAX	255	/* a node, server, port or tenant */
#define NETCHECK_PORTS_MAX	256	/* switch ports of one node */
#define NETCHECK_VLAN_MAX	4094
#define NETCHECK_QUOTE_MAX	64	/* bytes of an input value quoted in
					   an error message */
#define NETCHECK_CPU_RATIO	4.0	/* default overcommit: attested vCPUs
					   per physical CPU */
#define NETCHECK_MEMORY_RATIO	1.0	/* attested memory per byte of RAM */
#define NETCHECK_DISK_RATIO	1.0	/* attested disk per byte of disk */
#define NETCHECK_RATIO_MAX	1000.0	/* the highest ratio accepted */
enum netcheck_input {
	NETCHECK_ALLOCATIONS,
	NETCHECK_NEIGH,
	NETCHECK_FDB,
	NETCHECK_NODES,
	NETCHECK_NINPUTS
};
/* Where an entry was read. */
struct netcheck_where {
	const char	*nw_file;	/* borrowed from nc_files */
	uint32_t	 nw_line;	/* where it starts; 0: unknown */
	int32_t		 nw_index;	/* JSON: its array index; CSV: -1 */
};
struct netcheck_ip {
	uint8_t		 ni_af;		/* 4 or 6 */
	uint8_t		 ni_addr[16];	/* IPv4: the first 4, then zeros */
};
struct netcheck_prefix {
	struct netcheck_ip	 np_net;	/* host bits zero */
	uint8_t			 np_len;
	struct netcheck_where	 np_where;
};
struct netcheck_neigh {
	struct netcheck_ip	 nn_ip;
	char			 nn_mac[ADDR_MAC_LEN + 1];
	int			 nn_vlan;	/* -1: none */
	char			*nn_dev;	/* or NULL */
	struct netcheck_where	 nn_where;
};
struct netcheck_fdb {
	char			 nf_mac[ADDR_MAC_LEN + 1];
	char			*nf_port;
	int			 nf_vlan;	/* -1: none */
	struct netcheck_where	 nf_where;
};
struct netcheck_node {
	char			*nd_key;	/* "panel/node" or "node" */
	char			*nd_server;
	char			**nd_ports;
	size_t			 nd_nports;
	double			 nd_cpu;	/* NAN: not given */
	double			 nd_memory;	/* MiB */
	double			 nd_disk;	/* GB */
	struct netcheck_where	 nd_where;
};
/* A switch port of the inventory and the server it belongs to. */
struct netcheck_port {
	const char		*npo_port;	/* borrowed from a node */
	const char		*npo_server;
	struct netcheck_where	 npo_where;	/* of its node */
};
struct netcheck_file {
	char			*nfl_name;
	enum netcheck_input	 nfl_input;
	const char		*nfl_format;	/* "ip -j neigh", "CIDR list" */
	size_t			 nfl_entries;	/* read */
	size_t			 nfl_used;	/* kept: live, of the tenant */
};
/* The hoster's view of the network, as loaded from its files. */
struct netcheck {
	char			*nc_tenant;	/* NetBox data: or NULL */
	double			 nc_ratio_cpu;
	double			 nc_ratio_memory;
	double			 nc_ratio_disk;
	struct netcheck_file	*nc_files;
	size_t			 nc_nfiles;
	size_t			 nc_given[NETCHECK_NINPUTS];	/* files */
	struct netcheck_prefix	*nc_prefixes;
	size_t			 nc_nprefixes;
	struct netcheck_neigh	*nc_neigh;
	size_t			 nc_nneigh;
	struct netcheck_fdb	*nc_fdb;
	size_t			 nc_nfdb;
	struct netcheck_node	*nc_nodes;	/* sorted by key */
	size_t			 nc_nnodes;
	struct netcheck_port	*nc_ports;	/* sorted by port, server */
	size_t			 nc_nports;
	size_t			 nc_cap[NETCHECK_NINPUTS];	/* allocated */
};
/* One input file being read, for netinput.c, netalloc.c, netnodes.c. */
struct netinput {
	struct netcheck		*nx_nc;
	struct netcheck_file	*nx_file;
	const char		*nx_name;	/* for messages */
	uint32_t		*nx_lines;	/* JSON: each element's line */
	const char		*nx_array;	/* JSON: "results", or "" */
};
int		 netinput_load(struct netcheck *, enum netcheck_input,
		    const char *, char *, size_t, char *);
const char	*netinput_name(enum netcheck_input);
void		 netinput_where(const struct netcheck_where *, char *, size_t);
int		 netinput_ip(const char *, int, struct netcheck_ip *, int *);
void		 netinput_ip_text(const struct netcheck_ip *, char *, size_t);
int		 netinput_cmp_ip(const struct netcheck_ip *,
		    const struct netcheck_ip *);
int		 netinput_grow(struct netinput *, enum netcheck_input, void **,
		    size_t, size_t, char *);
int		 netinput_name_ok(const char *);
const char	*netinput_quote(const char *, char *, size_t);
int		 netinput_number(const char *, double *);
int		 netinput_is_json(const char *, size_t);
int		 netinput_json(struct netinput *, const char *, size_t,
		    const char *, json_t **, json_t **, char *);
void		 netinput_json_where(const struct netinput *, size_t,
		    struct netcheck_where *);
void		 netinput_json_err(const struct netinput *, size_t, char *);
int		 netinput_member_str(const json_t *, const char *,
		    const char **, char *);
int		 netalloc_load(struct netinput *, char *, size_t, char *);
int		 netnodes_load(struct netinput *, char *, size_t, char *);
struct netcheck	*netcheck_new(void);
void		 netcheck_free(struct netcheck *);
int		 netcheck_tenant(struct netcheck *, const char *, char *);
int		 netcheck_overcommit(struct netcheck *, const char *, char *);
int		 netcheck_load_file(struct netcheck *, enum netcheck_input,
		    const char *, char *);
json_t		*netcheck_records(const char *, const char *, size_t, char *);
json_t		*netcheck_run(const struct netcheck *, const json_t *, char *);

/* netfind.c: the cross-check's checks, over what netcheck.c read */
struct netfind_rec {
	const char			*fr_id;
	const char			*fr_panel;	/* or NULL */
	const char			*fr_node;	/* or NULL */
	double				 fr_cpu;	/* NAN: not shown */
	double				 fr_memory;
	double				 fr_disk;
	const struct netcheck_node	*fr_inv;	/* its inventory node */
	size_t				 fr_iface;	/* its interfaces */
	size_t				 fr_nifaces;
};
/* An interface of a record, and its MAC if the record shows it. */
struct netfind_iface {
	size_t		 fi_rec;
	size_t		 fi_idx;	/* in the record's "interfaces" */
	char		 fi_mac[ADDR_MAC_LEN + 1];	/* "": not visible */
};
/* An address an interface claims. */
struct netfind_claim {
	struct netcheck_ip	 fc_ip;
	size_t			 fc_iface;
};
/* The allocated prefixes of one family and length. */
struct netfind_group {
	uint8_t		 fg_af, fg_len;
	size_t		 fg_start, fg_end;
};
struct netfind {
	const struct netcheck	*fn_nc;
	struct netfind_rec	*fn_recs;
	size_t			 fn_nrecs;
	struct netfind_iface	*fn_ifaces;	/* in record order */
	size_t			 fn_nifaces;
	struct netfind_iface	*fn_bymac;	/* the visible MACs, sorted */
	size_t			 fn_nbymac;
	struct netfind_claim	*fn_claims;	/* sorted by address */
	size_t			 fn_nclaims;
	struct netcheck_prefix	*fn_pfx;	/* longest first */
	struct netfind_group	*fn_groups;
	size_t			 fn_ngroups;
	struct netcheck_neigh	*fn_neigh;	/* sorted by address, MAC */
	struct netcheck_fdb	*fn_fdb;	/* sorted by MAC, port */
	json_t			*fn_checks;	/* borrowed from the report */
	json_t			*fn_findings;
	size_t			 fn_found;	/* by the current check */
};
int		 netfind_index(struct netfind *, char *);
void		 netfind_all(struct netfind *);
void		 netfind_clear(struct netfind *);

/* crosscheck.c: sightline crosscheck, and audit --crosscheck */
int		 crosscheck_cmd(int, char *[]);
int		 crosscheck_args(int *, char *[], struct netcheck **);

/* metrics.c */
void		 metrics_request(int);
void		 metrics_upstream(const char *, int, enum upstream_error,
		    double);
void		 metrics_refresh(const char *, int, double, size_t);
void		 metrics_policy_error(const char *);
void		 metrics_snapshot(int, double, uint64_t, int64_t);
void		 metrics_crosscheck(const json_t *);
void		 metrics_connection(int);
void		 metrics_loop_lag(double);
char		*metrics_render(const struct panel *const *, size_t, size_t *);
void		 metrics_reset(void);

/* front.c */
struct front;
struct front_conn;
struct evhttp_request;

/* One hoster request, from front_request() to front_reply(). */
struct front_req {
	struct evhttp_request	*fq_req;
	struct front		*fq_front;
	struct front_conn	*fq_conn;	/* NULL if unknown */
	const char		*fq_method;	/* "GET", "HEAD", ... */
	int			 fq_head;
	char			*fq_path;	/* raw, without the query */
	char			*fq_query;	/* raw, or NULL */
	const char		*fq_hoster;	/* who, once authenticated */
	double			 fq_start;
};

typedef void (*front_handler_fn)(struct front_req *, void *);
struct front	*front_new(struct event_base *, const struct conf *, void *,
		    front_handler_fn, void *, char *);
void		 front_configure(struct front *, const struct conf *, void *);
void		 front_free(struct front *);
void		 front_reply(struct front_req *, int, const char *, char *,
		    size_t);
void		 front_problem(struct front_req *, int, const char *,
		    const char *, ...)
		    __attribute__((__format__(printf, 4, 5)));
void		 front_add_header(struct front_req *, const char *,
		    const char *);
const char	*front_header(struct front_req *, const char *);
int		 front_peer_cn(struct front_req *, char *, size_t);

/* api.c */
void		 api_handle(struct front_req *, void *);
void		 api_set_state(struct state *);
void		 api_shutdown(void);

/* auth.c */
struct auth_identity {
	const struct conf_hoster *ai_hoster;	/* NULL: nobody */
	const char		*ai_method;	/* "bearer", "pve-token", "cert" */
};
int		 auth_bearer(const struct conf *, const char *,
		    struct auth_identity *);
int		 auth_pve_token(const struct conf *, const char *,
		    struct auth_identity *);
int		 auth_cert(const struct conf *, const char *,
		    struct auth_identity *);
void		 auth_token_hash(const char *, char[SHA256_HEX_LEN + 1]);
const char	*auth_token_trim(const char *, size_t *);

#endif /* SIGHTLINE_H */
