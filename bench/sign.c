/*
 * sign.c (bench): what signing costs an answer. Prints figures; it is not
 * a test. Built by `make check` so it keeps compiling; run it by hand on
 * an idle machine:
 *
 *	./bench/sign [-s seconds]
 *
 * For answers of 0.8 KB (a lookup), 45 KB (/v1/vps of 100 VPSes) and
 * 4.5 MB (of 10,000), it times what front_reply() adds to each answer:
 * the Content-Digest (SHA-256 of the body) and the RFC 9421 signature
 * (base built, Ed25519 signed), through signer_work(), which the daemon's
 * signing threads run, and prints answers/s and microseconds per answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

static void
run(const struct keys *k, size_t size, double seconds)
{
	struct signer_job	 j;
	char			*body;
	double			 start, t;
	size_t			 n = 0;

	if ((body = malloc(size)) == NULL)
		exit(1);
	memset(body, 'x', size);
	memset(&j, 0, sizeof(j));
	j.sj_keys = k;
	j.sj_status = 200;
	j.sj_ctype = "application/json;charset=UTF-8";
	j.sj_body = body;
	j.sj_len = size;
	j.sj_method = "GET";
	j.sj_path = "/v1/lookup";
	j.sj_query = "ip=203.0.113.41";
	j.sj_source = "pve=1795445699";
	start = mono_now();
	do {
		j.sj_created = 1795445700 + (long long)n;
		signer_work(&j);
		if (j.sj_rc == -1) {
			fprintf(stderr, "bench: %s\n", j.sj_err);
			exit(1);
		}
		n++;
	} while ((t = mono_now() - start) < seconds);
	printf("  %9zu-byte answers  %9.0f answers/s  %7.1f us each\n", size,
	    n / t, t / n * 1e6);
	free(body);
}

int
main(int argc, char **argv)
{
	char		 dir[] = "/tmp/bench-sign.XXXXXX", path[PATH_MAX];
	char		 vkey[KEYS_VKEY_MAX], err[ERR_MAX];
	struct keys	*k;
	double		 seconds = 2;
	int		 ch;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: sign [-s seconds]\n");
			return 2;
		}
	}
	log_init(0);
	crypto_init();
	if (mkdtemp(dir) == NULL || keys_generate("bench", dir, vkey,
	    err) == -1) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.skey", dir);
	if ((k = keys_load(path, NULL, err)) == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	printf("Content-Digest + RFC 9421 Ed25519 signature, per answer:\n");
	run(k, 800, seconds);
	run(k, 45 * 1024, seconds);
	run(k, 4500 * 1024, seconds);
	keys_free(k);
	snprintf(path, sizeof(path), "%s/bench.skey", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.secret", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bench.vkey", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}
