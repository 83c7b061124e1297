/*
 * store.c (bench): what the state directory costs over a year. Prints
 * figures; it is not a test. Built by `make check` so it keeps compiling;
 * run it by hand on an idle machine:
 *
 *	./bench/store [--days N] [--records N] [--dir DIR]
 *
 * The storage simulation of issue 5: DAYS (default 365) of snapshots
 * every 5 minutes (288 a day) of RECORDS (default 10,000) redacted VPS
 * records of about 700 bytes, with their _sd digests and 7 disclosures
 * each, of which 1 % change per day, spread evenly over the day. Every
 * snapshot goes through store_append() for real: records hashed with
 * merkle_leaf_hash(), the record tree rebuilt with merkle_tree_new() when
 * something changed, a summary, the log leaf, a signed checkpoint,
 * synchronous=FULL commits. It prints the state's size as it grows, the
 * time per append at the start and at the end (to show it does not grow
 * with history), the total time, peak RSS, and what opening (verifying)
 * and reading the final state costs. DIR (default bench/work/store) is
 * deleted and created again.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define PER_DAY		288		/* one snapshot every 5 minutes */
#define CHANGE_RATE	0.01		/* of the records, per day */
#define DIGESTS		7		/* committed fields per record */
#define BODY_MAX	1024
#define START_TIME	1767225600	/* 2026-01-01 00:00 UTC */

struct brec {
	char		 id[32];
	int		 version;
	char		*disclosures;	/* this version's, JSON */
};

static struct brec		*brecs;
static struct store_rec		*recs;
static size_t			 nrecs;
static uint64_t			 rng = 0x9e3779b97f4a7c15ULL;
static size_t			 ndisclosed;

static void
fail(const char *what, const char *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err);
	exit(1);
}

/* xorshift64*: the same changes on every run. */
static uint64_t
next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* A digest-like base64url string of 43 characters for (id, what, v). */
static void
fake_digest(const char *id, const char *what, int v, char out[44])
{
	char	 in[128], b64[B64_LEN(SHA256_LEN) + 1];
	uint8_t	 md[SHA256_LEN];

	snprintf(in, sizeof(in), "%s/%s/%d", id, what, v);
	crypto_sha256(in, strlen(in), md);
	b64_encode(md, sizeof(md), B64_URL, b64);
	memcpy(out, b64, 43);
	out[43] = '\0';
}

/*
 * Record i in its current version: about 700 bytes of RFC 8785 JSON
 * shaped like a redacted Proxmox record (keys sorted, committed fields
 * replaced by _sd digests), and its disclosures.
 */
static void
make_record(size_t i)
{
	static const char *const fields[DIGESTS] = { "hostname", "ip",
	    "ipv6", "mac", "name", "owner", "tags" };
	struct brec	*b = &brecs[i];
	char		 d[DIGESTS][44], ps[44], buf[BODY_MAX], disc[2048];
	char		 in[256], enc[B64_LEN(256) + 1];
	int		 v = b->version, k, n, m;

	for (k = 0; k < DIGESTS; k++)
		fake_digest(b->id, fields[k], v, d[k]);
	fake_digest(b->id, "owner_ps", 0, ps);
	n = snprintf(buf, sizeof(buf),
	    "{\"_sd\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"],"
	    "\"_sd_alg\":\"sha-256\",\"cpu\":{\"cores\":%d,\"sockets\":1,"
	    "\"type\":\"host\"},\"disks\":[{\"bus\":\"virtio\",\"id\":"
	    "\"virtio0\",\"size_bytes\":%llu,\"storage\":\"local-lvm\"}],"
	    "\"id\":\"%s\",\"interfaces\":[{\"_sd\":[\"%s\",\"%s\"],"
	    "\"bridge\":\"vmbr0\",\"model\":\"virtio\"}],\"memory_bytes\":%llu,"
	    "\"native_id\":\"%zu\",\"node\":\"pve-%02zu\",\"os\":\"l26\","
	    "\"owner_ps\":\"ps:%.22s\",\"panel\":\"proxmox\",\"status\":\"%s\","
	    "\"template\":false,\"type\":\"qemu\",\"version\":%d}",
	    d[0], d[1], d[4], d[5], d[6], 1 << (i % 4),
	    (unsigned long long)(20 + i % 10) << 30, b->id, d[2], d[3],
	    (unsigned long long)(1 + i % 16) << 30, 100 + i, i % 20, ps,
	    v % 5 == 4 ? "stopped" : "running", v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fail("make_record", "body too long");
	free(recs[i].sr_body);
	if ((recs[i].sr_body = strdup(buf)) == NULL)
		fail("make_record", "out of memory");
	recs[i].sr_len = (size_t)n;
	merkle_leaf_hash(recs[i].sr_body, recs[i].sr_len, recs[i].sr_hash);

	/* SD-JWT disclosures: base64url of ["salt", "name", value]. */
	m = snprintf(disc, sizeof(disc), "[");
	for (k = 0; k < DIGESTS; k++) {
		snprintf(in, sizeof(in), "[\"%.22s\",\"%s\",\"%s-%s-%d\"]",
		    d[k], fields[k], b->id, fields[k], v);
		b64_encode((const uint8_t *)in, strlen(in), B64_URL, enc);
		m += snprintf(disc + m, sizeof(disc) - (size_t)m, "%s\"%s\"",
		    k > 0 ? "," : "", enc);
	}
	snprintf(disc + m, sizeof(disc) - (size_t)m, "]");
	free(b->disclosures);
	if ((b->disclosures = strdup(disc)) == NULL)
		fail("make_record", "out of memory");
}

static int
disclose(void *arg, size_t i, char **json, char *err)
{
	ndisclosed++;
	if ((*json = strdup(brecs[i].disclosures)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static void
records_root(uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t			(*leaves)[MERKLE_HASH_LEN];
	struct merkle_tree	*t;
	char			 err[ERR_MAX];
	size_t			 i;

	if ((leaves = calloc(nrecs, MERKLE_HASH_LEN)) == NULL)
		fail("records_root", "out of memory");
	for (i = 0; i < nrecs; i++)
		memcpy(leaves[i], recs[i].sr_hash, MERKLE_HASH_LEN);
	if ((t = merkle_tree_new((const uint8_t (*)[MERKLE_HASH_LEN])leaves,
	    nrecs, err)) == NULL ||
	    merkle_root(nrecs, merkle_tree_read, t, root, err) == -1)
		fail("records root", err);
	merkle_tree_free(t);
	free(leaves);
}

static double
file_mib(const char *dir, const char *name)
{
	char		 path[PATH_MAX];
	struct stat	 sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &sb) == -1)
		return 0;
	return (double)sb.st_size / (1024 * 1024);
}

static double
mean(const double *t, size_t n)
{
	double	 sum = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		sum += t[i];
	return n > 0 ? sum / n : 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Mean, median and 99th percentile of n append times, in ms. */
static void
print_times(const char *what, const double *t, size_t n)
{
	double	*s, sum = 0;
	size_t	 i;

	if (n == 0)
		return;
	if ((s = calloc(n, sizeof(*s))) == NULL)
		fail("print_times", "out of memory");
	for (i = 0; i < n; i++) {
		s[i] = t[i];
		sum += t[i];
	}
	qsort(s, n, sizeof(*s), cmp_double);
	printf("  %-34s %6zu appends  mean %6.2f ms  p50 %6.2f  p99 %6.2f  "
	    "max %7.2f\n", what, n, sum / n * 1e3, s[n / 2] * 1e3,
	    s[n * 99 / 100] * 1e3, s[n - 1] * 1e3);
	free(s);
}

static long
arg_number(const char *s, long min, long max)
{
	const char	*errstr;
	long		 v;

	v = (long)strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		fail(s, errstr);
	return v;
}

int
main(int argc, char **argv)
{
	char			 dir[PATH_MAX] = "bench/work/store", path[PATH_MAX];
	char			 keydir[PATH_MAX], vkey[KEYS_VKEY_MAX];
	char			 err[ERR_MAX], cmd[PATH_MAX + 16], summary[512];
	char			 b64[B64_LEN(MERKLE_HASH_LEN) + 1];
	uint8_t			 root[MERKLE_HASH_LEN];
	struct store		*st;
	struct store_rec	*out;
	struct keys		*k;
	struct rusage		 ru;
	double			*times, start, t0, total, tlast, tfirst;
	double			 opened = 0, reopening = 0;
	double			 day1_mib = 0, mib = 0, wal;
	long			 report;
	uint64_t		 seq, nsnap, changes = 0;
	size_t			 i, n, changed, day_changes, nout;
	long			 days = 365, records = 10000;
	int			 a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--days") == 0 && a + 1 < argc)
			days = arg_number(argv[++a], 1, 3650);
		else if (strcmp(argv[a], "--records") == 0 && a + 1 < argc)
			records = arg_number(argv[++a], 1, 1000000);
		else if (strcmp(argv[a], "--dir") == 0 && a + 1 < argc)
			strlcpy(dir, argv[++a], sizeof(dir));
		else {
			fprintf(stderr, "usage: store [--days N] [--records N] "
			    "[--dir DIR]\n");
			return 2;
		}
	}
	log_init(0);
	crypto_init();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fail(dir, "cannot remove");
	snprintf(keydir, sizeof(keydir), "%s-keys", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", keydir,
	    keydir);
	if (system(cmd) != 0)
		fail(keydir, "cannot create");
	if (keys_generate("bench.example/log", keydir, vkey, err) == -1)
		fail("keys_generate", err);
	snprintf(path, sizeof(path), "%s/bench.example_log.skey", keydir);
	if ((k = keys_load(path, NULL, err)) == NULL)
		fail("keys_load", err);

	nrecs = (size_t)records;
	report = days >= 60 ? 30 : 1;	/* days between size reports */
	nsnap = (uint64_t)days * PER_DAY;
	brecs = calloc(nrecs, sizeof(*brecs));
	recs = calloc(nrecs, sizeof(*recs));
	times = calloc(nsnap, sizeof(*times));
	if (brecs == NULL || recs == NULL || times == NULL)
		fail("setup", "out of memory");
	for (i = 0; i < nrecs; i++) {
		snprintf(brecs[i].id, sizeof(brecs[i].id), "proxmox:%07zu", i);
		recs[i].sr_id = brecs[i].id;
		make_record(i);
	}
	n = 0;
	for (i = 0; i < nrecs; i++)
		n += recs[i].sr_len;
	printf("store: %ld days of %d snapshots (%llu), %zu records of %zu "
	    "bytes on average, %.0f %% changing per day, in %s\n", days,
	    PER_DAY, (unsigned long long)nsnap, nrecs, n / nrecs,
	    CHANGE_RATE * 100, dir);
	fflush(stdout);

	if ((st = store_open(dir, k, "bench.example/log", 0, err)) == NULL)
		fail("store_open", err);
	records_root(root);
	start = mono_now();
	for (seq = 0; seq < nsnap; seq++) {
		/* The changes that fall in this 5-minute slot. */
		day_changes = (size_t)((double)(seq + 1) * nrecs * CHANGE_RATE /
		    PER_DAY) - (size_t)((double)seq * nrecs * CHANGE_RATE /
		    PER_DAY);
		for (changed = 0; seq > 0 && changed < day_changes; changed++) {
			i = (size_t)(next_random() % nrecs);
			brecs[i].version++;
			make_record(i);
		}
		if (changed > 0) {
			records_root(root);
			changes += changed;
		}
		b64_encode(root, MERKLE_HASH_LEN, B64_STD, b64);
		n = (size_t)snprintf(summary, sizeof(summary),
		    "{\"count\":%zu,\"panels\":{\"proxmox\":%zu},\"policy\":"
		    "\"3f1c0b7e9a5d4c2b8e6f0a1d3c5b7e9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b\","
		    "\"root\":\"%s\",\"seq\":%llu,\"time\":%lld}", nrecs, nrecs,
		    b64, (unsigned long long)seq,
		    (long long)(START_TIME + seq * 300));
		t0 = mono_now();
		if (store_append(st, START_TIME + (int64_t)seq * 300, summary,
		    n, root, recs, nrecs, disclose, NULL, NULL, err) == -1)
			fail("store_append", err);
		times[seq] = mono_now() - t0;
		if ((seq + 1) % PER_DAY != 0 || (seq + 1 != PER_DAY &&
		    seq + 1 != nsnap && (seq + 1) % (PER_DAY * report) != 0))
			continue;
		/*
		 * Close (which folds the WAL into the file) for the exact
		 * size, and open again: what a restart would verify.
		 */
		wal = file_mib(dir, STORE_FILE "-wal");
		store_close(st);
		mib = file_mib(dir, STORE_FILE);
		if (seq + 1 == PER_DAY)
			day1_mib = mib;
		t0 = mono_now();
		if ((st = store_open(dir, k, "bench.example/log", 0, err)) ==
		    NULL)
			fail("store_open", err);
		opened = mono_now() - t0;
		reopening += opened;
		printf("  day %4llu: %7llu snapshots %6llu changes  %7.1f MiB "
		    "(WAL was %4.1f)  %5.0f s  append %.2f ms (mean of the "
		    "day)  open %.2f s\n",
		    (unsigned long long)(seq + 1) / PER_DAY,
		    (unsigned long long)seq + 1, (unsigned long long)changes,
		    mib, wal, mono_now() - start - reopening,
		    mean(times + seq + 1 - PER_DAY, PER_DAY) * 1e3, opened);
		fflush(stdout);
	}
	total = mono_now() - start - reopening;
	getrusage(RUSAGE_SELF, &ru);
	wal = file_mib(dir, STORE_FILE "-wal");

	printf("\nafter %llu snapshots (%llu record changes, %zu record "
	    "versions disclosed):\n", (unsigned long long)nsnap,
	    (unsigned long long)changes, ndisclosed);
	printf("  state.db %.1f MiB after the first day, %.1f MiB at the end "
	    "(WAL %.1f MiB)\n", day1_mib, file_mib(dir, STORE_FILE), wal);
	printf("  total %.0f s (%.2f ms per snapshot, the bench's record root "
	    "and summary included; reopens excluded), peak RSS %.1f MiB\n",
	    total, total / nsnap * 1e3, ru.ru_maxrss / 1024.0);
	print_times("snapshot 0 (every record new)", times, 1);
	n = nsnap > PER_DAY ? PER_DAY : (size_t)nsnap - 1;
	print_times("first day (after snapshot 0)", times + 1, n);
	if (nsnap > 2 * PER_DAY)
		print_times("last day", times + nsnap - PER_DAY, PER_DAY);

	/* What reading the final state costs. */
	t0 = mono_now();
	if (store_records(st, nsnap - 1, &out, &nout, err) == -1)
		fail("store_records", err);
	tlast = mono_now() - t0;
	store_records_free(out, nout);
	t0 = mono_now();
	if (store_records(st, 1, &out, &nout, err) == -1)
		fail("store_records", err);
	tfirst = mono_now() - t0;
	store_records_free(out, nout);
	printf("  store_records: latest snapshot %.1f ms, snapshot 1 %.1f ms "
	    "(%zu records each)\n", tlast * 1e3, tfirst * 1e3, nout);
	store_close(st);
	printf("  store_open (verifies the whole log and the latest "
	    "snapshot): %.2f s at the end\n", opened);
	if (days > 1 && days < 365) {
		double	 per_day = (mib - day1_mib) / (days - 1);

		printf("  extrapolated to 365 days: %.0f MiB (%.1f MiB + %.3f "
		    "MiB per day after the first), %.0f s of appends\n",
		    day1_mib + per_day * 364, day1_mib, per_day,
		    total / days * 365);
	}
	for (i = 0; i < nrecs; i++) {
		free(recs[i].sr_body);
		free(brecs[i].disclosures);
	}
	free(recs);
	free(brecs);
	free(times);
	keys_free(k);
	return 0;
}
