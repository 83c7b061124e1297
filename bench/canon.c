/*
 * canon.c (bench): how fast proxy/canon.c writes JCS. Prints figures; it
 * is not a test. Built by `make check` so it keeps compiling; run it by
 * hand on an idle machine:
 *
 *	./bench/canon [-r records] [-s seconds]
 *
 * It builds one inventory-like document of RECORDS (default 10,000)
 * VPS records, the shape plugins/proxmox.c normalizes to plus a few reals,
 * then reports canon_dump() in MB/s of canonical output, next to jansson's
 * own compact, key-sorted json_dumps() (which is not JCS) for scale; and
 * canon_number() in numbers/s for three kinds of double.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

static uint64_t	 rng = 0x2545f4914f6cdd1dULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
bits_double(uint64_t bits)
{
	double	 x;

	memcpy(&x, &bits, sizeof(x));
	return x;
}

static json_t *
record(size_t i)
{
	static const char	*status[] = { "running", "stopped", "paused" };
	static const char	*notes[] = {
		"Kunde: M\xc3\xbcller GmbH \xe2\x80\x94 Ticket #4711\nBackup nightly",
		"owner=cust-alice; contact <alice@example.com>",
		"\xe5\xae\xa2\xe6\x88\xb7: \xe5\xbc\xa0\xe4\xb8\x89 \xf0\x9f\x9a\x80",
		"",
	};
	char	 id[32], nid[16], host[64], mac[32], ip4[32], ip6[48], vol[48];
	uint64_t r = next();

	snprintf(nid, sizeof(nid), "%zu", 100 + i);
	snprintf(id, sizeof(id), "pve/%s", nid);
	snprintf(host, sizeof(host), "web%zu.customer%zu.example.net", i,
	    i % 97);
	snprintf(mac, sizeof(mac), "bc:24:11:%02x:%02x:%02x",
	    (unsigned)(i >> 16) & 0xff, (unsigned)(i >> 8) & 0xff,
	    (unsigned)i & 0xff);
	snprintf(ip4, sizeof(ip4), "203.0.%zu.%zu/24", (i >> 8) & 0xff,
	    i & 0xff);
	snprintf(ip6, sizeof(ip6), "2001:db8:%zx::%zx/64", i >> 8, i & 0xff);
	snprintf(vol, sizeof(vol), "vm-%s-disk-0", nid);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:i, "
	    "s:i, s:I, s:I, s:I, s:s, s:s, s:s, s:[s,s,s], "
	    "s:[{s:s, s:[s,s], s:s, s:i, s:b}], "
	    "s:[{s:s, s:s, s:i, s:s}], "
	    "s:{s:s, s:s, s:b, s:i, s:i, s:i, s:f}}",
	    "id", id, "panel", "pve", "native_id", nid, "kind",
	    (r & 1) ? "qemu" : "lxc", "node", (r & 2) ? "pve1" : "pve2",
	    "status", status[r % 3],
	    "cpu", (int)(1 << (r >> 8) % 4),
	    "cpu_usage", (double)(r >> 11) / 9007199254740992.0,
	    "memory_mb", (int)(512 << (r >> 12) % 6),
	    "disk_gb", (int)(10 * (1 + (r >> 16) % 50)),
	    "uptime", (json_int_t)((r >> 20) % 31536000),
	    "netin", (json_int_t)((r >> 24) % 1000000000000ULL),
	    "netout", (json_int_t)((r >> 28) % 1000000000000ULL),
	    "hostname", host, "name", host + 0, "notes", notes[r % 4],
	    "tags", "prod", "eu-west", (r & 4) ? "\xf0\x9f\x9a\x80" : "ssd",
	    "interfaces", "mac", mac, "ips", ip4, ip6, "bridge", "vmbr0",
	    "vlan", (int)(r % 4094) + 1, "firewall", (int)(r & 8),
	    "disks", "storage", "local-lvm", "volume", vol,
	    "size_gb", (int)(10 * (1 + (r >> 32) % 50)),
	    "options", "iothread=1,cache=writeback",
	    "config", "ostype", "l26", "boot", "order=scsi0;net0",
	    "agent", (int)(r & 16), "balloon", 0, "cores", 2, "sockets", 1,
	    "cpuunits_share", (double)((r >> 40) % 10000) / 100.0);
}

static double
bench_docs(const json_t *doc, int jcs, double seconds, size_t *bytes)
{
	char		 err[ERR_MAX];
	double		 t0 = mono_now(), t;
	size_t		 len = 0, runs = 0, total = 0;
	char		*s;

	do {
		if (jcs)
			s = canon_dump(doc, &len, err);
		else {
			s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
			len = s != NULL ? strlen(s) : 0;
		}
		if (s == NULL) {
			fprintf(stderr, "bench: %s\n", jcs ? err : "json_dumps");
			exit(1);
		}
		free(s);
		total += len;
		runs++;
		t = mono_now() - t0;
	} while (t < seconds || runs < 3);
	*bytes = len;
	return (double)total / t / 1e6;
}

static double
bench_numbers(const double *x, size_t n)
{
	char	 num[CANON_NUMBER_MAX], err[ERR_MAX];
	double	 t0 = mono_now();
	size_t	 i, sink = 0;

	for (i = 0; i < n; i++) {
		if (canon_number(x[i], num, err) == -1)
			exit(1);
		sink += (unsigned char)num[0];
	}
	if (sink == 0)
		printf("\n");
	return (double)n / (mono_now() - t0);
}

int
main(int argc, char **argv)
{
	const char	*errstr;
	json_t		*doc, *recs, *index;
	double		 seconds = 3, mbs, *x;
	size_t		 nrec = 10000, i, n = 1000000, bytes;
	uint64_t	 bits;
	int		 ch;

	while ((ch = getopt(argc, argv, "r:s:")) != -1) {
		switch (ch) {
		case 'r':
			nrec = (size_t)strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				fatalx("-r %s: %s", optarg, errstr);
			break;
		case 's':
			seconds = (double)strtonum(optarg, 1, 600, &errstr);
			if (errstr != NULL)
				fatalx("-s %s: %s", optarg, errstr);
			break;
		default:
			fprintf(stderr, "usage: canon [-r records] [-s seconds]\n");
			return 2;
		}
	}
	log_init(0);

	recs = json_array();
	index = json_object();
	for (i = 0; i < nrec; i++) {
		json_t	*r = record(i);

		json_object_set(index, json_string_value(json_object_get(r,
		    "id")), json_object_get(r, "node"));
		json_array_append_new(recs, r);
	}
	doc = json_pack("{s:s, s:s, s:o, s:o}", "type", "inventory/v1",
	    "taken_at", "2026-11-23T14:00:00Z", "records", recs,
	    "node_of", index);

	printf("document: %zu records, an object of %zu keys\n", nrec, nrec);
	mbs = bench_docs(doc, 1, seconds, &bytes);
	printf("  canon_dump (JCS)               %7.1f MB/s  (%zu bytes, "
	    "%.0f records/s)\n", mbs, bytes, mbs * 1e6 / (double)bytes *
	    (double)nrec);
	mbs = bench_docs(doc, 0, seconds, &bytes);
	printf("  json_dumps (compact, sorted)   %7.1f MB/s  (%zu bytes, "
	    "not JCS)\n", mbs, bytes);
	json_decref(doc);

	if ((x = calloc(n, sizeof(*x))) == NULL)
		fatal("calloc");
	printf("canon_number, %zu numbers each:\n", n);
	for (i = 0; i < n; i++) {
		do {
			bits = next();
		} while (((bits >> 52) & 0x7ff) == 0x7ff);
		x[i] = bits_double(bits);
	}
	printf("  random bit patterns            %7.2f M numbers/s\n",
	    bench_numbers(x, n) / 1e6);
	for (i = 0; i < n; i++)
		x[i] = (double)(next() % 100000) / 100.0;
	printf("  short decimals (0.00..999.99)  %7.2f M numbers/s\n",
	    bench_numbers(x, n) / 1e6);
	for (i = 0; i < n; i++)
		x[i] = (double)(next() >> 16);
	printf("  integral, below 2^53           %7.2f M numbers/s\n",
	    bench_numbers(x, n) / 1e6);
	free(x);
	return 0;
}
