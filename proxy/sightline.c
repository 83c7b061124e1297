/*
 * sightline: the command-line tool, for both sides; see sightline(1).
 *
 *   sightline check-policy [-k secret] [-p plugin] [-s section] POLICY SAMPLE.json
 *   sightline keygen --name NAME [--out DIR]
 *   sightline token [-H]
 *   sightline verify-response --key VKEY [FILE]
 *   sightline audit URL --key VKEY --state DIR [--token-file F]
 *       [--cafile F] [--json] [--witness-key SKEY] [--max-age SECONDS]
 *       [--crosscheck [crosscheck's inputs]]
 *   sightline crosscheck URL --key VKEY ... | --records FILE ...
 *   sightline disclose --record FILE.json --field PATH --secret FILE
 *   sightline disclose --state DIR --seq N --id ID --field PATH [--size M]
 *   sightline verify-disclosure --record REDACTED.json --disclosure D
 *       [--field PATH]
 *   sightline verify-disclosure --bundle FILE --key VKEY
 *       [--checkpoint TRUSTED]
 *   sightline evidence URL --ip IP --out FILE [--key VKEY]
 *       [--token-file F] [--cafile F] [--at SEQ]      (evidence.c)
 *   sightline verify-evidence FILE --key VKEY          (evidence.c)
 *
 * Each command parses its options and prints; the work is done by the
 * modules (keys.c, sign.c, commit.c, audit.c, proof.c), which the daemon
 * shares.
 */
#include "config.h"

#include <getopt.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define TOKEN_BYTES	32
#define EXCHANGE_MAX	(64 * 1024 * 1024)	/* a saved exchange */
#define TRACE_VALUE_MAX	72	/* characters of a value shown per field */

static __dead void
usage(void)
{
	fprintf(stderr,
	    "usage: sightline check-policy [-k secret] [-p plugin] [-s section] "
	    "POLICY SAMPLE.json\n"
	    "       sightline keygen --name NAME [--out DIR]\n"
	    "       sightline token [-H]\n"
	    "       sightline verify-response --key VKEY [FILE]\n"
	    "       sightline audit URL --key VKEY --state DIR "
	    "[--token-file FILE] [--cafile FILE]\n"
	    "                 [--json] [--witness-key SKEY] "
	    "[--max-age SECONDS]\n"
	    "                 [--crosscheck [crosscheck's input options]]\n"
	    "       sightline crosscheck URL --key VKEY [--token-file FILE] "
	    "[--cafile FILE]\n"
	    "                 [--allocations FILE] [--tenant NAME] "
	    "[--neigh FILE] [--fdb FILE]\n"
	    "                 [--nodes FILE] [--overcommit cpu=R,memory=R,"
	    "disk=R] [--json]\n"
	    "       sightline crosscheck --records FILE [the same inputs] "
	    "[--json]\n"
	    "       sightline disclose --record FILE.json --field PATH "
	    "--secret FILE [--context CTX]\n"
	    "       sightline disclose --state DIR --seq N --id ID "
	    "--field PATH [--size M]\n"
	    "       sightline verify-disclosure --record FILE.json "
	    "--disclosure D [--field PATH]\n"
	    "       sightline verify-disclosure --bundle FILE --key VKEY "
	    "[--checkpoint FILE]\n"
	    "       sightline evidence URL --ip IP --out FILE [--key VKEY] "
	    "[--token-file FILE]\n"
	    "                 [--cafile FILE] [--at SEQ]\n"
	    "       sightline verify-evidence FILE --key VKEY\n"
	    "       sightline version\n");
	exit(2);
}

static void
trace_field(void *arg, const char *path, const char *action, const json_t *v)
{
	const char	*section = arg;
	char		*text;

	/*
	 * Tables are described by their fields; a table is shown itself
	 * only when a rule or a hook acts on it whole.
	 */
	if ((json_is_object(v) || json_is_array(v)) &&
	    strncmp(action, "keep", 4) != 0 && strncmp(action, "drop", 4) != 0 &&
	    strncmp(action, "commit", 6) != 0 &&
	    strncmp(action, "pseudonym", 9) != 0)
		return;
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_ENSURE_ASCII);
	printf("%-48s %-22s %.*s%s\n", path[0] != '\0' ? path : section,
	    action, TRACE_VALUE_MAX, text != NULL ? text : "?",
	    text != NULL && strlen(text) > TRACE_VALUE_MAX ? "..." : "");
	free(text);
}

static int
cmd_check_policy(int argc, char *argv[])
{
	const struct plugin		*pl = &plugin_proxmox;
	const struct policy_rule	*rule;
	const char			*section = "record", *secret = NULL;
	struct policy			*po;
	struct keys			*keys = NULL;
	json_error_t			 jerr;
	json_t				*doc, *out;
	char				 err[ERR_MAX];
	int				 ch, rc = 1;

	while ((ch = getopt(argc, argv, "k:p:s:")) != -1) {
		switch (ch) {
		case 'k':
			secret = optarg;
			break;
		case 'p':
			if ((pl = plugin_find(optarg)) == NULL) {
				fprintf(stderr, "sightline: no plugin \"%s\" "
				    "(known: %s)\n", optarg, plugin_names());
				return 1;
			}
			break;
		case 's':
			section = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	/* Without the secret, commitments are shown with a throwaway key. */
	keys = secret != NULL ? keys_load(NULL, secret, err) : keys_throwaway();
	if (keys == NULL) {
		fprintf(stderr, "sightline: %s\n", secret != NULL ? err :
		    "no randomness for a throwaway key");
		return 1;
	}
	if ((po = policy_load(argv[0], pl, POLICY_MEMORY, POLICY_INSTRUCTIONS,
	    err)) == NULL) {
		fprintf(stderr, "sightline: %s\n", err);
		keys_free(keys);
		return 1;
	}
	po->po_keys = keys;
	if (strcmp(section, "record") == 0)
		rule = &po->po_record;
	else if (strcmp(section, "node") == 0)
		rule = &po->po_node;
	else if ((rule = policy_native(po, section)) == NULL) {
		fprintf(stderr, "sightline: %s: no section \"%s\" (record, node, "
		    "or a native endpoint the policy names)\n", argv[0],
		    section);
		goto done;
	}
	if ((doc = json_load_file(argv[1], JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		fprintf(stderr, "sightline: %s:%d:%d: %s\n", argv[1], jerr.line,
		    jerr.column, jerr.text);
		goto done;
	}
	printf("%-48s %-22s %s\n", "FIELD", "ACTION", "VALUE");
	if (policy_apply(po, rule, doc, rule == &po->po_record ||
	    rule == &po->po_node ? NULL : section, &out, trace_field,
	    (void *)section, err) == -1) {
		fprintf(stderr, "sightline: the policy fails on %s: %s\n",
		    argv[1], err);
		json_decref(doc);
		goto done;
	}
	printf("\nwhat the hoster gets:\n");
	if (out == NULL)
		printf("nothing\n");
	else
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
	json_decref(out);
	json_decref(doc);
	rc = 0;
done:
	policy_free(po);
	keys_free(keys);
	return rc;
}

static int
cmd_keygen(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*name = NULL, *dir = ".";
	char		 vkey[KEYS_VKEY_MAX], err[ERR_MAX];
	int		 ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || name == NULL)
		usage();
	if (keys_generate(name, dir, vkey, err) == -1) {
		fprintf(stderr, "sightline: keygen: %s\n", err);
		return 1;
	}
	printf("%s\n", vkey);
	fprintf(stderr, "Wrote %s/%s.skey and %s/%s.secret (mode 0600: keep "
	    "them, and a backup, secret) and %s/%s.vkey (give it to the "
	    "hoster).\n", dir, name, dir, name, dir, name);
	return 0;
}

/* The deployment's verifier key (keys_vkey_load); -1 after saying why. */
static int
load_vkey(const char *arg, struct keys_vkey *vk)
{
	char	 err[ERR_MAX];

	if (keys_vkey_load(arg, vk, err) == -1) {
		fprintf(stderr, "sightline: %s\n", err);
		return -1;
	}
	return 0;
}

/* All of a file, or of standard input for "-" or NULL. */
static char *
read_input(const char *path, size_t max, size_t *len)
{
	char	 err[ERR_MAX], *buf;
	size_t	 n = 0, cap = 65536;
	size_t	 r;

	if (path != NULL && strcmp(path, "-") != 0) {
		if ((buf = file_read(path, max, len, err)) == NULL)
			fprintf(stderr, "sightline: %s\n", err);
		return buf;
	}
	if ((buf = malloc(cap + 1)) == NULL)
		return NULL;
	while ((r = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += r;
		if (n == cap) {
			char	*nb;

			if (cap >= max || (nb = realloc(buf, cap * 2 + 1)) ==
			    NULL) {
				fprintf(stderr, "sightline: standard input is "
				    "larger than %zu bytes\n", max);
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * verify-response: check a saved exchange, the request line followed by
 * the answer as `curl -i` prints it. Exit 0 if it verifies, 1 if not
 * (saying precisely what fails), 2 on a usage or input error.
 */
static int
cmd_verify_response(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct keys_vkey	 vk;
	struct httpmsg		 rq, rs;
	const char		*keyarg = NULL, *src;
	char			 err[ERR_MAX], when[64];
	char			*text;
	size_t			 len;
	long long		 created;
	time_t			 t;
	int			 ch, rc = 2;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keyarg = optarg;
			break;
		default:
			usage();
		}
	}
	if (keyarg == NULL || argc - optind > 1)
		usage();
	if (load_vkey(keyarg, &vk) == -1)
		return 2;
	if ((text = read_input(argv[optind], EXCHANGE_MAX, &len)) == NULL) {
		keys_vkey_clear(&vk);
		return 2;
	}
	if (httpmsg_exchange(text, len, &rq, &rs, err) == -1) {
		fprintf(stderr, "sightline: cannot read the exchange: %s\n",
		    err);
		goto done;
	}
	if (sign_verify(&vk, &rs.hm_msg, &rq.hm_msg, rs.hm_body,
	    rs.hm_body_len, &created, err) == -1) {
		printf("invalid: %s\n", err);
		rc = 1;
		goto done;
	}
	t = (time_t)created;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	src = rs.hm_msg.sm_field(rs.hm_msg.sm_arg, "sightline-inventory");
	printf("valid: %s %s%s%s answered %03d, %zu body bytes, signed by "
	    "%s+%08x at %s, from %s\n", rq.hm_msg.sm_method,
	    rq.hm_msg.sm_path, rq.hm_msg.sm_query != NULL ? "?" : "",
	    rq.hm_msg.sm_query != NULL ? rq.hm_msg.sm_query : "",
	    rs.hm_msg.sm_status, rs.hm_body_len, vk.vk_name, vk.vk_id, when,
	    src != NULL ? src : "?");
	rc = 0;
done:
	httpmsg_clear(&rq);
	httpmsg_clear(&rs);
	keys_vkey_clear(&vk);
	free(text);
	return rc;
}

static json_t *
load_json_file(const char *path)
{
	char	 err[ERR_MAX], *text;
	size_t	 len;
	json_t	*j;

	if ((text = read_input(path, EXCHANGE_MAX, &len)) == NULL)
		return NULL;
	if ((j = canon_parse(text, len, err)) == NULL)
		fprintf(stderr, "sightline: %s: %s\n", path, err);
	free(text);
	return j;
}

/*
 * disclose --state (the reseller): a committed field of a record of any
 * stored snapshot, opened, as a bundle that proves it against a signed
 * checkpoint (the latest, or the one of --size). Read-only: the daemon
 * may be running. Exit 0, or 1 with the reason.
 */
static int
disclose_history(const char *dir, const char *seqarg, const char *sizearg,
    const char *id, const char *field)
{
	struct store	*st;
	const char	*errstr;
	char		 err[ERR_MAX];
	long long	 seq, size = 0;
	json_t		*b;

	seq = strtonum(seqarg, 0, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "sightline: --seq %s: %s\n", seqarg, errstr);
		return 1;
	}
	if (sizearg != NULL) {
		size = strtonum(sizearg, 1, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			fprintf(stderr, "sightline: --size %s: %s\n", sizearg,
			    errstr);
			return 1;
		}
	}
	if ((st = store_open(dir, NULL, NULL, STORE_READONLY, err)) == NULL) {
		fprintf(stderr, "sightline: %s\n", err);
		return 1;
	}
	b = proof_bundle(st, (uint64_t)seq, (uint64_t)size, id, field, err);
	store_close(st);
	if (b == NULL) {
		fprintf(stderr, "sightline: %s\n", err);
		return 1;
	}
	json_dumpf(b, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(b);
	return 0;
}

/*
 * disclose (the reseller): the disclosure of one committed field of a
 * raw record, rebuilt from the record and the secret, since salts are
 * derived. Prints the disclosure; the digest it must match goes to
 * standard error.
 */
static int
cmd_disclose(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "record", required_argument, NULL, 'r' },
		{ "field", required_argument, NULL, 'f' },
		{ "secret", required_argument, NULL, 's' },
		{ "context", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'S' },
		{ "seq", required_argument, NULL, 'q' },
		{ "id", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*rec = NULL, *field = NULL, *secret = NULL, *ctx = NULL;
	const char	*state = NULL, *seq = NULL, *id = NULL, *size = NULL;
	char		 err[ERR_MAX], name[COMMIT_NAME_MAX];
	char		 digest[COMMIT_DIGEST_MAX], *disc;
	struct keys	*k;
	const json_t	*v;
	json_t		*doc;
	int		 ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rec = optarg;
			break;
		case 'f':
			field = optarg;
			break;
		case 's':
			secret = optarg;
			break;
		case 'c':
			ctx = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'q':
			seq = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'z':
			size = optarg;
			break;
		default:
			usage();
		}
	}
	if (state != NULL) {
		if (optind != argc || seq == NULL || id == NULL ||
		    field == NULL || rec != NULL || secret != NULL ||
		    ctx != NULL)
			usage();
		return disclose_history(state, seq, size, id, field);
	}
	if (optind != argc || rec == NULL || field == NULL || secret == NULL ||
	    seq != NULL || id != NULL || size != NULL)
		usage();
	if ((k = keys_load(NULL, secret, err)) == NULL) {
		fprintf(stderr, "sightline: %s\n", err);
		return 1;
	}
	if ((doc = load_json_file(rec)) == NULL)
		goto done;
	if (ctx == NULL &&
	    (ctx = json_string_value(json_object_get(doc, "id"))) == NULL) {
		fprintf(stderr, "sightline: %s: the record has no \"id\"; give "
		    "--context for a native document\n", rec);
		goto done;
	}
	if ((v = commit_lookup(doc, field, name, sizeof(name), err)) == NULL) {
		fprintf(stderr, "sightline: %s: %s\n", rec, err);
		goto done;
	}
	if (commit_make(k, ctx, field, name, v, &disc, digest, err) == -1) {
		fprintf(stderr, "sightline: %s\n", err);
		goto done;
	}
	printf("%s\n", disc);
	fprintf(stderr, "field %s of %s; its digest, in the signed record's "
	    "_sd: %s\n", field, ctx, digest);
	free(disc);
	rc = 0;
done:
	json_decref(doc);
	keys_free(k);
	return rc;
}

/*
 * Is the object found at path where (in a saved answer, which may wrap
 * the record: "record", "records[3]") the one a record-relative path
 * want names? want "" is the record itself, which has an "id".
 */
static int
path_matches(const char *where, const char *want, const json_t *obj)
{
	size_t	 n = strlen(where), m = strlen(want);

	if (m == 0)
		return json_is_string(json_object_get(obj, "id"));
	if (n < m || strcmp(where + n - m, want) != 0)
		return 0;
	return n == m || where[n - m - 1] == '.';
}

/*
 * Is the checkpoint the bundle's proof ends in the one the verifier
 * trusts (a file: a checkpoint it audited, cosigned or not)? Prints the
 * answer; returns 0 if it is, 1 if not, 2 if the file is unusable.
 */
static int
verify_trusted(const char *path, const struct keys_vkey *vk,
    const struct proof_result *res)
{
	struct note_checkpoint	 cp;
	char			 err[ERR_MAX], *note;
	size_t			 len, tl;
	int			 rc = 2;

	if ((note = file_read(path, NOTE_MAX, &len, err)) == NULL) {
		fprintf(stderr, "sightline: %s\n", err);
		return 2;
	}
	if (note_verify(note, len, vk, &tl, err) == -1 ||
	    note_checkpoint_parse(note, tl, &cp, err) == -1) {
		fprintf(stderr, "sightline: %s: %s\n", path, err);
		goto done;
	}
	rc = 1;
	if (strcmp(cp.nc_origin, res->pr_cp.nc_origin) != 0)
		printf("invalid: the trusted checkpoint is of origin \"%s\", "
		    "the bundle's of \"%s\"\n", cp.nc_origin,
		    res->pr_cp.nc_origin);
	else if (cp.nc_size != res->pr_cp.nc_size)
		printf("not proven: the bundle's checkpoint is of size %llu, "
		    "the trusted one of size %llu; without a consistency proof "
		    "between them this tool does not tie one to the other "
		    "(ask for a bundle made with --size %llu)\n",
		    (unsigned long long)res->pr_cp.nc_size,
		    (unsigned long long)cp.nc_size,
		    (unsigned long long)cp.nc_size);
	else if (!crypto_memeq(cp.nc_root, res->pr_cp.nc_root,
	    MERKLE_HASH_LEN))
		printf("invalid: the trusted checkpoint of size %llu has "
		    "another root than the bundle's: two histories under one "
		    "key\n",
		    (unsigned long long)cp.nc_size);
	else {
		printf("valid: that checkpoint is the trusted one, %s\n", path);
		rc = 0;
	}
done:
	free(note);
	return rc;
}

/*
 * verify-disclosure --bundle (anyone): a field of a past snapshot,
 * proven from the disclosure up to a signed checkpoint. Exit 0 if it
 * verifies, 1 if not (or not against the trusted checkpoint), 2 on bad
 * input.
 */
static int
verify_bundle(const char *path, const char *keyarg, const char *trusted)
{
	struct proof_result	 res;
	struct keys_vkey	 vk;
	char			 err[ERR_MAX], digest[COMMIT_DIGEST_MAX];
	char			 root[B64_LEN(MERKLE_HASH_LEN) + 1], *value;
	const char		*d, *id;
	json_t			*b, *opened = NULL;
	int			 rc = 1;

	if ((b = load_json_file(path)) == NULL)
		return 2;
	if (load_vkey(keyarg, &vk) == -1) {
		json_decref(b);
		return 2;
	}
	if (proof_bundle_check(b, &vk, &res, &opened, err) == -1) {
		printf("invalid: %s\n", err);
		goto done;
	}
	d = json_string_value(json_object_get(b, "disclosure"));
	id = json_string_value(json_object_get(json_object_get(b, "record"),
	    "id"));
	commit_digest(d, strlen(d), digest);
	value = json_dumps(json_array_get(opened, 2), JSON_COMPACT |
	    JSON_ENCODE_ANY);
	printf("valid: %s = %s is committed in record %s (digest %s)\n",
	    json_string_value(json_object_get(b, "field")), value != NULL ?
	    value : "?", id, digest);
	free(value);
	b64_encode(res.pr_root, MERKLE_HASH_LEN, B64_STD, root);
	printf("valid: record %s is leaf %llu of snapshot %llu's record tree "
	    "of %llu records, root %s\n", id, (unsigned long long)res.pr_index,
	    (unsigned long long)res.pr_seq, (unsigned long long)res.pr_count,
	    root);
	b64_encode(res.pr_cp.nc_root, MERKLE_HASH_LEN, B64_STD, root);
	printf("valid: snapshot %llu is leaf %llu of the log of size %llu, "
	    "root %s\n", (unsigned long long)res.pr_seq,
	    (unsigned long long)res.pr_seq,
	    (unsigned long long)res.pr_cp.nc_size, root);
	printf("valid: that checkpoint of %s is signed by %s+%08x\n",
	    res.pr_cp.nc_origin, vk.vk_name, vk.vk_id);
	if (trusted != NULL)
		rc = verify_trusted(trusted, &vk, &res);
	else {
		printf("not proven: that this checkpoint is one you audited "
		    "(give --checkpoint with a checkpoint you trust)\n");
		rc = 0;
	}
done:
	json_decref(opened);
	json_decref(b);
	keys_vkey_clear(&vk);
	return rc;
}

/*
 * verify-disclosure (anyone): is the disclosure's digest in an "_sd" of
 * the redacted record (a saved answer), for a field not also in plain
 * text? Exit 0 if so, 1 if not, 2 on bad input.
 */
static int
cmd_verify_disclosure(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "record", required_argument, NULL, 'r' },
		{ "disclosure", required_argument, NULL, 'd' },
		{ "field", required_argument, NULL, 'f' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*bundle = NULL, *keyarg = NULL, *trusted = NULL;
	const char	*rec = NULL, *d = NULL, *field = NULL, *name;
	char		 err[ERR_MAX], digest[COMMIT_DIGEST_MAX];
	char		 where[POLICY_PATH_MAX], want[POLICY_PATH_MAX];
	char		*value, *dot;
	const json_t	*obj;
	json_t		*doc, *arr = NULL;
	int		 ch, rc = 2;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rec = optarg;
			break;
		case 'd':
			d = optarg;
			break;
		case 'f':
			field = optarg;
			break;
		case 'b':
			bundle = optarg;
			break;
		case 'k':
			keyarg = optarg;
			break;
		case 'c':
			trusted = optarg;
			break;
		default:
			usage();
		}
	}
	if (bundle != NULL) {
		if (optind != argc || keyarg == NULL || rec != NULL ||
		    d != NULL || field != NULL)
			usage();
		return verify_bundle(bundle, keyarg, trusted);
	}
	if (optind != argc || rec == NULL || d == NULL || keyarg != NULL ||
	    trusted != NULL)
		usage();
	if ((doc = load_json_file(rec)) == NULL)
		return 2;
	if ((arr = commit_open(d, err)) == NULL) {
		printf("invalid: %s\n", err);
		rc = 1;
		goto done;
	}
	name = json_string_value(json_array_get(arr, 1));
	commit_digest(d, strlen(d), digest);
	where[0] = '\0';
	if ((obj = commit_find(doc, digest, where, sizeof(where))) == NULL) {
		printf("invalid: digest %s of this disclosure is in no _sd of "
		    "%s (a disclosure of another record, field or value)\n",
		    digest, rec);
		rc = 1;
		goto done;
	}
	if (json_object_get(obj, name) != NULL) {
		printf("invalid: field \"%s\" is also in plain text next to the "
		    "digest\n", name);
		rc = 1;
		goto done;
	}
	if (field != NULL) {
		/* The claimed path must end in the name, under that object. */
		strlcpy(want, field, sizeof(want));
		dot = strrchr(want, '.');
		if (strcmp(dot != NULL ? dot + 1 : want, name) != 0) {
			printf("invalid: the disclosure is of field \"%s\", not "
			    "%s\n", name, field);
			rc = 1;
			goto done;
		}
		if (dot != NULL)
			*dot = '\0';
		else
			want[0] = '\0';
		if (!path_matches(where, want, obj)) {
			printf("invalid: the digest is in the object at \"%s\", "
			    "not at %s\n", where, field);
			rc = 1;
			goto done;
		}
	}
	value = json_dumps(json_array_get(arr, 2), JSON_COMPACT |
	    JSON_ENCODE_ANY);
	printf("valid: %s = %s is committed in %s%s%s (digest %s)\n", name,
	    value != NULL ? value : "?", rec, where[0] != '\0' ? " at " : "",
	    where, digest);
	free(value);
	rc = 0;
done:
	json_decref(arr);
	json_decref(doc);
	return rc;
}

/* A string the server chose, without its control characters. */
static void
print_safe(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s);
}

/* Up to AUDIT_IDS_SHOWN of a list of ids (or of {"id", "fields"}). */
static void
print_ids(const char *what, const json_t *list)
{
	const json_t	*v, *f;
	const char	*id, *name;
	size_t		 i, j, n = json_array_size(list);

	printf("%zu %s", n, what);
	for (i = 0; i < n && i < AUDIT_IDS_SHOWN; i++) {
		v = json_array_get(list, i);
		id = json_is_string(v) ? json_string_value(v) :
		    json_string_value(json_object_get(v, "id"));
		printf("%s", i == 0 ? " (" : ", ");
		print_safe(id != NULL ? id : "?");
		f = json_object_get(v, "fields");
		for (j = 0; j < json_array_size(f); j++) {
			name = json_string_value(json_array_get(f, j));
			printf("%s", j == 0 ? ": " : " ");
			print_safe(name != NULL ? name : "?");
		}
	}
	if (n > AUDIT_IDS_SHOWN)
		printf(", and %zu more", n - AUDIT_IDS_SHOWN);
	printf("%s", n > 0 ? ")" : "");
}

/* The readable form of an audit report: one line per check. */
static void
print_audit(const json_t *r)
{
	const json_t	*v, *c = json_object_get(r, "changes");
	const char	*sep = "";
	size_t		 i;

	json_array_foreach(json_object_get(r, "checks"), i, v)
		printf("%-7s %s\n", json_is_true(json_object_get(v, "ok")) ?
		    "ok" : "FAIL", json_string_value(json_object_get(v,
		    "detail")));
	json_array_foreach(json_object_get(r, "findings"), i, v)
		printf("%-7s %s\n", "finding", json_string_value(
		    json_object_get(v, "detail")));
	if (json_is_integer(json_object_get(c, "from")) &&
	    json_object_get(c, "added") != NULL) {
		printf("%-7s since snapshot %lld: %lld snapshot%s appended; ",
		    "changes", (long long)json_integer_value(json_object_get(c,
		    "from")), (long long)json_integer_value(json_object_get(c,
		    "appended")), json_integer_value(json_object_get(c,
		    "appended")) == 1 ? "" : "s");
		print_ids("added", json_object_get(c, "added"));
		printf(", ");
		print_ids("removed", json_object_get(c, "removed"));
		printf(", ");
		print_ids("changed", json_object_get(c, "changed"));
		printf("\n");
	}
	switch (json_integer_value(json_object_get(r, "exit"))) {
	case 0:
		printf("verified: %s, size %lld, root %s\n",
		    json_string_value(json_object_get(r, "origin")),
		    (long long)json_integer_value(json_object_get(r, "size")),
		    json_string_value(json_object_get(r, "root")));
		break;
	case 1:
		printf("verified with %zu finding%s: %s, size %lld\n",
		    json_array_size(json_object_get(r, "findings")),
		    json_array_size(json_object_get(r, "findings")) == 1 ? "" :
		    "s", json_string_value(json_object_get(r, "origin")),
		    (long long)json_integer_value(json_object_get(r, "size")));
		break;
	default:
		printf("FAILED:");
		json_array_foreach(json_object_get(r, "failures"), i, v) {
			printf("%s %s", sep, json_string_value(
			    json_object_get(v, "failure")));
			sep = ",";
		}
		printf("\n");
	}
}

/*
 * audit (the hoster): check the deployment's log and its latest
 * snapshot, and cosign the checkpoint. Exit 0 if all verified, 1 if it
 * verified with findings, 2 if anything failed to verify (or could not
 * be checked).
 */
static int
cmd_audit(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "cafile", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "witness-key", required_argument, NULL, 'w' },
		{ "max-age", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct audit_opts	 o;
	struct keys_vkey	 vk;
	struct netcheck		*nc;
	const char		*keyarg = NULL, *tokfile = NULL, *errstr;
	char			 err[ERR_MAX], *url = NULL, *token = NULL;
	size_t			 len;
	json_t			*r;
	int			 ch, json = 0, rc = 2;

	memset(&o, 0, sizeof(o));
	o.ao_max_age = AUDIT_MAX_AGE;
	/* --crosscheck and its inputs: crosscheck.c takes them out. */
	if (crosscheck_args(&argc, argv, &nc) == -1)
		return 2;
	o.ao_netcheck = nc;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keyarg = optarg;
			break;
		case 's':
			o.ao_state = optarg;
			break;
		case 't':
			tokfile = optarg;
			break;
		case 'c':
			o.ao_cafile = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'w':
			o.ao_witness = optarg;
			break;
		case 'm':
			o.ao_max_age = strtonum(optarg, 1, INT32_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "sightline: --max-age %s: %s\n",
				    optarg, errstr);
				goto done;
			}
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1 || keyarg == NULL || o.ao_state == NULL)
		usage();
	if (strncmp(argv[optind], "https://", 8) != 0 &&
	    strncmp(argv[optind], "http://", 7) != 0) {
		fprintf(stderr, "sightline: %s: not an http:// or https:// "
		    "URL\n", argv[optind]);
		goto done;
	}
	if ((url = strdup(argv[optind])) == NULL)
		goto done;
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	o.ao_url = url;
	if (tokfile != NULL) {
		if (file_check_private(tokfile, err) == -1 ||
		    (token = file_read(tokfile, REST_TOKEN_MAX, &len,
		    err)) == NULL) {
			fprintf(stderr, "sightline: --token-file: %s\n", err);
			goto done;
		}
		token[strcspn(token, "\r\n")] = '\0';
		o.ao_token = token;
	}
	if (load_vkey(keyarg, &vk) == -1)
		goto done;
	o.ao_key = &vk;
	upstream_global_init();
	r = audit_run(&o);
	upstream_global_cleanup();
	keys_vkey_clear(&vk);
	if (r == NULL) {
		fprintf(stderr, "sightline: audit: out of memory\n");
		goto done;
	}
	if (json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
	} else
		print_audit(r);
	rc = (int)json_integer_value(json_object_get(r, "exit"));
	json_decref(r);
done:
	if (token != NULL) {
		crypto_wipe(token, strlen(token));
		free(token);
	}
	free(url);
	netcheck_free(nc);
	return rc;
}

static int
cmd_token(int argc, char *argv[])
{
	uint8_t	 raw[TOKEN_BYTES];
	char	 token[2 * TOKEN_BYTES + 1], line[1024];
	char	 hash[SHA256_HEX_LEN + 1];
	char	*tok;
	size_t	 n;
	int	 ch, fromstdin = 0;

	while ((ch = getopt(argc, argv, "H")) != -1) {
		switch (ch) {
		case 'H':
			fromstdin = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (fromstdin) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(stderr, "sightline: no token on standard "
			    "input\n");
			return 1;
		}
		/* As the daemon reads "Bearer TOKEN". */
		line[strcspn(line, "\r\n")] = '\0';
		tok = (char *)(uintptr_t)auth_token_trim(line, &n);
		tok[n] = '\0';
		if (n == 0) {
			fprintf(stderr, "sightline: no token on standard "
			    "input\n");
			return 1;
		}
		auth_token_hash(tok, hash);
		crypto_wipe(line, sizeof(line));
		printf("%s\n", hash);
		return 0;
	}
	if (crypto_random(raw, sizeof(raw)) == -1) {
		fprintf(stderr, "sightline: no randomness available\n");
		return 1;
	}
	hex_encode(raw, sizeof(raw), token);
	auth_token_hash(token, hash);
	printf("token:        %s\n", token);
	printf("token_sha256: %s\n", hash);
	fprintf(stderr, "Give the token to the hoster over a safe channel; "
	    "put only token_sha256 in sightline.conf.\n");
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(token, sizeof(token));
	return 0;
}

int
main(int argc, char *argv[])
{
	log_init(0);
	crypto_init();
	if (argc < 2)
		usage();
	argc--;
	argv++;
	if (strcmp(argv[0], "check-policy") == 0)
		return cmd_check_policy(argc, argv);
	if (strcmp(argv[0], "keygen") == 0)
		return cmd_keygen(argc, argv);
	if (strcmp(argv[0], "token") == 0)
		return cmd_token(argc, argv);
	if (strcmp(argv[0], "verify-response") == 0)
		return cmd_verify_response(argc, argv);
	if (strcmp(argv[0], "audit") == 0)
		return cmd_audit(argc, argv);
	if (strcmp(argv[0], "crosscheck") == 0)
		return crosscheck_cmd(argc, argv);
	if (strcmp(argv[0], "disclose") == 0)
		return cmd_disclose(argc, argv);
	if (strcmp(argv[0], "verify-disclosure") == 0)
		return cmd_verify_disclosure(argc, argv);
	if (strcmp(argv[0], "evidence") == 0)
		return evidence_cmd_fetch(argc, argv);
	if (strcmp(argv[0], "verify-evidence") == 0)
		return evidence_cmd_verify(argc, argv);
	if (strcmp(argv[0], "version") == 0) {
		printf("sightline %s\n", PACKAGE_VERSION);
		return 0;
	}
	usage();
}
