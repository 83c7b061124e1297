/*
 * crosscheck.c: `sightline crosscheck`, the hoster's network cross-check
 * on the command line, and the input options `sightline audit
 * --crosscheck` shares with it:
 *
 *   sightline crosscheck URL --key VKEY [--token-file F] [--cafile F]
 *       [inputs] [--json]
 *   sightline crosscheck --records FILE [inputs] [--json]
 *
 *   inputs: [--allocations F] [--tenant T] [--neigh F] [--fdb F]
 *       [--nodes F] [--overcommit cpu=R,memory=R,disk=R]
 *
 * The records come from the deployment's /v1/vps, every answer's
 * signature verified as `sightline audit` does (audit_fetch()), or from
 * a saved answer, which proves nothing and is said to. The work is in
 * netcheck.c; this file reads options, fetches, and prints. Exit codes
 * are audit's: 0 nothing found, 1 findings, 2 failure.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define CC_OVERCOMMIT_MAX	128	/* bytes of --overcommit's value */

/* The input options, as given. */
struct cc_inputs {
	const char	*ci_files[NETCHECK_NINPUTS][NETCHECK_FILES_MAX];
	size_t		 ci_nfiles[NETCHECK_NINPUTS];
	const char	*ci_tenant;
	const char	*ci_overcommit;
};

/* The input options, by name; their values are files but for two. */
static const struct {
	const char		*co_name;
	int			 co_input;	/* -1: --tenant,
						   -2: --overcommit */
} cc_options[] = {
	{ "allocations", NETCHECK_ALLOCATIONS },
	{ "neigh", NETCHECK_NEIGH },
	{ "fdb", NETCHECK_FDB },
	{ "nodes", NETCHECK_NODES },
	{ "tenant", -1 },
	{ "overcommit", -2 },
};
#define CC_NOPTIONS	(sizeof(cc_options) / sizeof(cc_options[0]))

static __dead void
cc_usage(void)
{
	fprintf(stderr,
	    "usage: sightline crosscheck URL --key VKEY [--token-file FILE] "
	    "[--cafile FILE]\n"
	    "                 [--allocations FILE] [--tenant NAME] "
	    "[--neigh FILE] [--fdb FILE]\n"
	    "                 [--nodes FILE] [--overcommit cpu=R,memory=R,"
	    "disk=R] [--json]\n"
	    "       sightline crosscheck --records FILE [the same inputs] "
	    "[--json]\n");
	exit(2);
}

/* Take one input option's value. Returns 0, or -1 after saying why. */
static int
cc_input(struct cc_inputs *in, size_t opt, const char *value)
{
	int	 i = cc_options[opt].co_input;

	if (i == -1)
		in->ci_tenant = value;
	else if (i == -2)
		in->ci_overcommit = value;
	else if (in->ci_nfiles[i] == NETCHECK_FILES_MAX) {
		fprintf(stderr, "sightline: more than %d --%s files\n",
		    NETCHECK_FILES_MAX, cc_options[opt].co_name);
		return -1;
	} else
		in->ci_files[i][in->ci_nfiles[i]++] = value;
	return 0;
}

/* The netcheck the options describe, or NULL after saying why. */
static struct netcheck *
cc_load(const struct cc_inputs *in)
{
	struct netcheck	*nc;
	char		 err[ERR_MAX];
	size_t		 i, k;

	if ((nc = netcheck_new()) == NULL) {
		fprintf(stderr, "sightline: out of memory\n");
		return NULL;
	}
	if ((in->ci_tenant != NULL && netcheck_tenant(nc, in->ci_tenant,
	    err) == -1) || (in->ci_overcommit != NULL &&
	    netcheck_overcommit(nc, in->ci_overcommit, err) == -1))
		goto fail;
	for (i = 0; i < NETCHECK_NINPUTS; i++)
		for (k = 0; k < in->ci_nfiles[i]; k++)
			if (netcheck_load_file(nc, i, in->ci_files[i][k],
			    err) == -1)
				goto fail;
	return nc;
fail:
	fprintf(stderr, "sightline: %s\n", err);
	netcheck_free(nc);
	return NULL;
}

/*
 * For `sightline audit`: take --crosscheck and the input options out of
 * argv (before audit's own getopt sees it), and load the inputs. Returns
 * 1 with *ncp set (the caller frees it), 0 without --crosscheck, or -1
 * after saying why (an input option without --crosscheck, a bad file).
 */
int
crosscheck_args(int *argc, char *argv[], struct netcheck **ncp)
{
	struct cc_inputs	 in;
	const char		*a, *value;
	size_t			 opt, len;
	int			 i, out = 1, wanted = 0, given = 0;

	*ncp = NULL;
	memset(&in, 0, sizeof(in));
	for (i = 1; i < *argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--crosscheck") == 0) {
			wanted = 1;
			continue;
		}
		for (opt = 0; opt < CC_NOPTIONS; opt++) {
			len = strlen(cc_options[opt].co_name);
			if (strncmp(a, "--", 2) == 0 && strncmp(a + 2,
			    cc_options[opt].co_name, len) == 0 &&
			    (a[2 + len] == '\0' || a[2 + len] == '='))
				break;
		}
		if (opt == CC_NOPTIONS) {
			argv[out++] = argv[i];
			continue;
		}
		if (a[2 + len] == '=')
			value = a + 3 + len;
		else if (i + 1 < *argc)
			value = argv[++i];
		else {
			fprintf(stderr, "sightline: %s needs a value\n", a);
			return -1;
		}
		if (cc_input(&in, opt, value) == -1)
			return -1;
		given = 1;
	}
	*argc = out;
	argv[out] = NULL;
	if (given && !wanted) {
		fprintf(stderr, "sightline: the cross-check's inputs are given "
		    "without --crosscheck\n");
		return -1;
	}
	if (!wanted)
		return 0;
	if ((*ncp = cc_load(&in)) == NULL)
		return -1;
	return 1;
}

/* The deployment's verifier key (keys_vkey_load); -1 after saying why. */
static int
cc_vkey(const char *arg, struct keys_vkey *vk)
{
	char	 err[ERR_MAX];

	if (keys_vkey_load(arg, vk, err) == -1) {
		fprintf(stderr, "sightline: %s\n", err);
		return -1;
	}
	return 0;
}

/* A failure: exit 2, said in the report (and on standard error). */
static void
cc_fail(json_t *report, const char *name, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));
static void
cc_fail(json_t *report, const char *name, const char *fmt, ...)
{
	char	 detail[ERR_MAX * 2];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_array_append_new(json_object_get(report, "failures"),
	    json_pack("{s:s, s:s}", "failure", name, "detail", detail));
	fprintf(stderr, "sightline: crosscheck: %s\n", detail);
}

/*
 * The records of the deployment's current snapshot, every answer
 * verified with the key: a new reference, or NULL after a failure.
 */
static json_t *
cc_fetch(const struct audit_opts *o, json_t *report)
{
	struct upstream_fetched	 f;
	const char		*src;
	char			 err[ERR_MAX];
	json_t			*recs = NULL;
	int			 rc;

	if ((rc = audit_fetch(o, "/v1/vps", NULL, &f, err)) == -1) {
		cc_fail(report, "network", "GET /v1/vps: no answer from %s: %s",
		    o->ao_url, err);
		return NULL;
	}
	if (rc == -2) {
		cc_fail(report, "bad-signature", "GET /v1/vps: the answer "
		    "(status %d) is not signed by %s+%08x: %s", f.uf_status,
		    o->ao_key->vk_name, o->ao_key->vk_id, err);
		goto done;
	}
	if (f.uf_status != 200) {
		cc_fail(report, "status", "GET /v1/vps: status %d",
		    f.uf_status);
		goto done;
	}
	if ((recs = netcheck_records("GET /v1/vps", f.uf_body, f.uf_len,
	    err)) == NULL) {
		cc_fail(report, "malformed", "%s", err);
		goto done;
	}
	src = f.uf_head.hm_msg.sm_field(f.uf_head.hm_msg.sm_arg,
	    "sightline-inventory");
	json_object_set_new(report, "source", json_pack("{s:s, s:b, s:s, "
	    "s:o}", "url", o->ao_url, "verified", 1, "inventory",
	    src != NULL ? src : "?", "key", json_sprintf("%s+%08x",
	    o->ao_key->vk_name, o->ao_key->vk_id)));
done:
	upstream_fetched_clear(&f);
	return recs;
}

/* ---- the readable report ---- */

/* A cell: a string, strings joined by ",", or "-"; no control bytes. */
static const char *
cc_cell(const json_t *v, char *out, size_t len)
{
	const json_t	*e;
	size_t		 i, o = 0;
	char		*p;

	*out = '\0';
	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else
		json_array_foreach(v, i, e)
			if (o < len)
				o += (size_t)snprintf(out + o, len - o, "%s%s",
				    i > 0 ? "," : "", json_string_value(e));
	if (*out == '\0')
		snprintf(out, len, "-");
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return out;
}

/* The findings of one kind as a table. */
static void
cc_table(const json_t *findings, const char *kind)
{
	static const char	*head[] = { "KIND", "ID", "ADDRESS",
				    "OBSERVED", "WHERE" };
	static const char	*keys[] = { "kind", "ids", "address",
				    "observed", "where" };
	const json_t		*f;
	char			 cell[512];
	size_t			 i, c, w[5], n;

	for (c = 0; c < 5; c++)
		w[c] = strlen(head[c]);
	json_array_foreach(findings, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		    kind) != 0)
			continue;
		for (c = 0; c < 5; c++) {
			n = strlen(cc_cell(json_object_get(f, keys[c]), cell,
			    sizeof(cell)));
			if (n > w[c])
				w[c] = n;
		}
	}
	printf("%-8s", "");
	for (c = 0; c < 5; c++)
		printf(" %-*s", c < 4 ? (int)w[c] : 0, head[c]);
	printf("\n");
	json_array_foreach(findings, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		    kind) != 0)
			continue;
		printf("%-8s", "");
		for (c = 0; c < 5; c++)
			printf(" %-*s", c < 4 ? (int)w[c] : 0, cc_cell(
			    json_object_get(f, keys[c]), cell, sizeof(cell)));
		printf("\n");
	}
}

static void
cc_print(const json_t *r)
{
	const json_t	*src = json_object_get(r, "source"), *v;
	const char	*name, *sep = "";
	char		 cell[512];
	json_int_t	 n;
	size_t		 i;

	if (json_is_true(json_object_get(src, "verified")))
		printf("%-8s %lld records of %s from %s, signed by %s (RFC "
		    "9421 signature and Content-Digest verified)\n", "records",
		    (long long)json_integer_value(json_object_get(r,
		    "records")), cc_cell(json_object_get(src, "inventory"),
		    cell, sizeof(cell)), json_string_value(json_object_get(src,
		    "url")), json_string_value(json_object_get(src, "key")));
	else if (json_object_get(src, "file") != NULL)
		printf("%-8s records not verified (read from %s): %lld "
		    "records\n", "records", json_string_value(
		    json_object_get(src, "file")), (long long)
		    json_integer_value(json_object_get(r, "records")));
	json_array_foreach(json_object_get(r, "inputs"), i, v)
		printf("%-8s %s %s (%s): %lld entries, %lld used\n", "input",
		    json_string_value(json_object_get(v, "input")),
		    json_string_value(json_object_get(v, "file")),
		    json_string_value(json_object_get(v, "format")),
		    (long long)json_integer_value(json_object_get(v,
		    "entries")), (long long)json_integer_value(
		    json_object_get(v, "used")));
	json_array_foreach(json_object_get(r, "checks"), i, v) {
		name = json_string_value(json_object_get(v, "check"));
		n = json_integer_value(json_object_get(v, "findings"));
		if (!json_is_true(json_object_get(v, "ran")))
			printf("%-8s %s: %s\n", "check", name,
			    json_string_value(json_object_get(v, "detail")));
		else
			printf("%-8s %s: %lld finding%s: %s\n", "check", name,
			    (long long)n, n == 1 ? "" : "s", json_string_value(
			    json_object_get(v, "detail")));
		if (n > 0)
			cc_table(json_object_get(r, "findings"), name);
	}
	switch (json_integer_value(json_object_get(r, "exit"))) {
	case 0:
		printf("%-8s clean: nothing found\n", "result");
		break;
	case 1:
		n = (json_int_t)json_array_size(json_object_get(r, "findings"));
		printf("%-8s %lld finding%s\n", "result", (long long)n,
		    n == 1 ? "" : "s");
		break;
	default:
		printf("%-8s FAILED:", "result");
		json_array_foreach(json_object_get(r, "failures"), i, v) {
			printf("%s %s", sep, json_string_value(
			    json_object_get(v, "failure")));
			sep = ",";
		}
		printf("\n");
	}
}

/* ---- the command ---- */

/* The records of --records FILE: a new reference, or NULL on failure. */
static json_t *
cc_records_file(const char *path, json_t *report)
{
	char	 err[ERR_MAX], *text;
	size_t	 len;
	json_t	*recs;

	json_object_set_new(report, "source", json_pack("{s:s, s:b}", "file",
	    path, "verified", 0));
	if ((text = file_read(path, UPSTREAM_FETCH_BODY, &len, err)) == NULL) {
		cc_fail(report, "input", "%s", err);
		return NULL;
	}
	if ((recs = netcheck_records(path, text, len, err)) == NULL)
		cc_fail(report, "input", "%s", err);
	free(text);
	return recs;
}

/* The records from the deployment: a new reference, or NULL. */
static json_t *
cc_records_url(const char *arg, const char *keyarg, const char *tokfile,
    const char *cafile, json_t *report)
{
	struct audit_opts	 o;
	struct keys_vkey	 vk;
	char			 err[ERR_MAX], *url, *token = NULL;
	size_t			 len;
	json_t			*recs = NULL;

	if (strncmp(arg, "https://", 8) != 0 &&
	    strncmp(arg, "http://", 7) != 0) {
		cc_fail(report, "usage", "%s: not an http:// or https:// URL",
		    arg);
		return NULL;
	}
	if ((url = strdup(arg)) == NULL)
		return NULL;
	for (len = strlen(url); len > 0 && url[len - 1] == '/';)
		url[--len] = '\0';
	memset(&o, 0, sizeof(o));
	o.ao_url = url;
	o.ao_cafile = cafile;
	if (tokfile != NULL) {
		if (file_check_private(tokfile, err) == -1 ||
		    (token = file_read(tokfile, REST_TOKEN_MAX, &len,
		    err)) == NULL) {
			cc_fail(report, "input", "--token-file: %s", err);
			goto done;
		}
		token[strcspn(token, "\r\n")] = '\0';
		o.ao_token = token;
	}
	if (cc_vkey(keyarg, &vk) == -1) {
		cc_fail(report, "input", "the verifier key is unusable");
		goto done;
	}
	o.ao_key = &vk;
	upstream_global_init();
	recs = cc_fetch(&o, report);
	upstream_global_cleanup();
	keys_vkey_clear(&vk);
done:
	if (token != NULL) {
		crypto_wipe(token, strlen(token));
		free(token);
	}
	free(url);
	return recs;
}

/*
 * crosscheck: exit 0 if nothing was found, 1 with findings, 2 when
 * anything failed (an input, the server, a signature).
 */
int
crosscheck_cmd(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "token-file", required_argument, NULL, 't' },
		{ "cafile", required_argument, NULL, 'c' },
		{ "records", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "allocations", required_argument, NULL, 0 },
		{ "neigh", required_argument, NULL, 1 },
		{ "fdb", required_argument, NULL, 2 },
		{ "nodes", required_argument, NULL, 3 },
		{ "tenant", required_argument, NULL, 4 },
		{ "overcommit", required_argument, NULL, 5 },
		{ NULL, 0, NULL, 0 }
	};
	struct cc_inputs	 in;
	struct netcheck		*nc;
	const char		*keyarg = NULL, *tokfile = NULL;
	const char		*cafile = NULL, *records = NULL;
	char			 err[ERR_MAX];
	json_t			*report, *recs = NULL, *r;
	int			 ch, json = 0, code;

	memset(&in, 0, sizeof(in));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keyarg = optarg;
			break;
		case 't':
			tokfile = optarg;
			break;
		case 'c':
			cafile = optarg;
			break;
		case 'r':
			records = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 0: case 1: case 2: case 3: case 4: case 5:
			if (cc_input(&in, (size_t)ch, optarg) == -1)
				return 2;
			break;
		default:
			cc_usage();
		}
	}
	if (records != NULL ? (argc != optind || keyarg != NULL ||
	    tokfile != NULL || cafile != NULL) : (argc - optind != 1 ||
	    keyarg == NULL))
		cc_usage();
	if ((nc = cc_load(&in)) == NULL)
		return 2;
	if ((report = json_pack("{s:n, s:I, s:[], s:[], s:[], s:[]}",
	    "source", "records", (json_int_t)0, "inputs", "checks",
	    "findings", "failures")) == NULL) {
		netcheck_free(nc);
		return 2;
	}
	if (records != NULL)
		recs = cc_records_file(records, report);
	else
		recs = cc_records_url(argv[optind], keyarg, tokfile, cafile,
		    report);
	if (recs != NULL) {
		if ((r = netcheck_run(nc, recs, err)) == NULL)
			cc_fail(report, "malformed", "%s", err);
		else {
			json_object_update(report, r);
			json_decref(r);
		}
	}
	code = json_array_size(json_object_get(report, "failures")) > 0 ? 2 :
	    json_array_size(json_object_get(report, "findings")) > 0 ? 1 : 0;
	json_object_set_new(report, "exit", json_integer(code));
	json_object_set_new(report, "result", json_string(code == 0 ? "clean" :
	    code == 1 ? "findings" : "failed"));
	if (json) {
		json_dumpf(report, stdout, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);
		printf("\n");
	} else
		cc_print(report);
	json_decref(recs);
	json_decref(report);
	netcheck_free(nc);
	return code;
}
