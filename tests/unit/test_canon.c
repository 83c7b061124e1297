/*
 * test_canon.c: proxy/canon.c, RFC 8785 (JCS). The official vectors in
 * tests/vectors/jcs (documents, number tables, the first 10,000 lines of
 * the es6testfile), the first 1,000,000 lines of the es6testfile
 * regenerated here and checked against the published checksums, and the
 * hostile cases: what I-JSON refuses, integers past 2^53, depth, escapes,
 * key order by UTF-16 code units.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sightline.h"
#include "tap.h"

#define VECTOR_MAX	(1024 * 1024)

static const char	*top = ".";

/* A file under tests/vectors/jcs as a new NUL-terminated buffer, or NULL. */
static char *
vector(const char *rel, size_t *lenp)
{
	char	 path[PATH_MAX], err[ERR_MAX];
	char	*s;

	snprintf(path, sizeof(path), "%s/tests/vectors/jcs/%s", top, rel);
	if ((s = file_read(path, VECTOR_MAX, lenp, err)) == NULL)
		tap_diag("%s", err);
	return s;
}

/* The canonical form of the JSON text in, or NULL with err set. */
static char *
canon_text(const char *in, size_t len, size_t *outlen, char *err)
{
	json_t	*v;
	char	*s;

	if ((v = canon_parse(in, len, err)) == NULL)
		return NULL;
	s = canon_dump(v, outlen, err);
	json_decref(v);
	return s;
}

/* The JSON text in (NUL-terminated) canonicalizes to exactly want. */
static void
check_canon(const char *in, const char *want, const char *what)
{
	char	 err[ERR_MAX] = "";
	char	*got;

	got = canon_text(in, strlen(in), NULL, err);
	if (got == NULL)
		tap_diag("error: %s", err);
	tap_str(got, want, what);
	free(got);
}

/* The JSON text in is refused by canon_parse, with a reason saying why. */
static void
check_parse_refused(const char *in, const char *why, const char *what)
{
	char	 err[ERR_MAX] = "";
	json_t	*v;

	v = canon_parse(in, strlen(in), err);
	if (!tap_ok(v == NULL && strstr(err, why) != NULL, "%s", what))
		tap_diag("error: \"%s\", wanted one with \"%s\"", err, why);
	json_decref(v);
}

/* canon_dump(v) fails with exactly the reason want. Steals v. */
static void
check_dump_refused(json_t *v, const char *want, const char *what)
{
	char	 err[ERR_MAX] = "";
	char	*got;

	got = canon_dump(v, NULL, err);
	tap_ok(got == NULL, "%s: refused", what);
	tap_str(err, want, what);
	free(got);
	json_decref(v);
}

static double
bits_double(uint64_t bits)
{
	double	 x;

	memcpy(&x, &bits, sizeof(x));
	return x;
}

/* ---- the official documents ---- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The SHA-256 hex that jcs-output-sha256.json records for output/name. */
static const char *
output_hash(const json_t *hashes, const char *name, json_int_t *len)
{
	json_t	*f = json_object_get(json_object_get(hashes, "files"), name);

	*len = json_integer_value(json_object_get(f, "len"));
	return json_string_value(json_object_get(f, "sha256_hex"));
}

static void
test_documents(void)
{
	char		 path[PATH_MAX], rel[PATH_MAX], err[ERR_MAX] = "";
	char		 hex[SHA256_HEX_LEN + 1], hexbyte[4];
	char		*names[64], *in, *want, *got, *outhex;
	const char	*wanthash;
	json_t		*hashes;
	json_int_t	 wantlen;
	struct dirent	*de;
	size_t		 n = 0, i, j, inlen, wlen, glen, hlen;
	DIR		*d;
	int		 same;

	in = vector("jcs-output-sha256.json", &inlen);
	hashes = in != NULL ? canon_parse(in, inlen, err) : NULL;
	free(in);
	tap_ok(hashes != NULL, "jcs-output-sha256.json parses");

	snprintf(path, sizeof(path), "%s/tests/vectors/jcs/input", top);
	if ((d = opendir(path)) == NULL) {
		tap_ok(0, "%s: %s", path, strerror(errno));
		json_decref(hashes);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 64) {
		size_t	 l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	tap_int((long long)n, 6, "six official input documents");

	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "input/%s", names[i]);
		in = vector(rel, &inlen);
		snprintf(rel, sizeof(rel), "output/%s", names[i]);
		want = vector(rel, &wlen);
		got = NULL;
		glen = 0;
		if (in != NULL && want != NULL &&
		    (got = canon_text(in, inlen, &glen, err)) == NULL)
			tap_diag("%s: %s", names[i], err);
		same = got != NULL && glen == wlen &&
		    memcmp(got, want, wlen) == 0;
		if (!tap_ok(same, "input/%s gives output/%s byte for byte",
		    names[i], names[i]) && got != NULL) {
			tap_diag("got:  %s", got);
			tap_diag("want: %s", want);
		}

		/* The same bytes as outhex/ spells them, and as hashed. */
		snprintf(rel, sizeof(rel), "outhex/%.*s.txt",
		    (int)(strlen(names[i]) - 5), names[i]);
		outhex = vector(rel, &hlen);
		same = got != NULL && outhex != NULL;
		for (j = 0; same && j < glen; j++) {
			snprintf(hexbyte, sizeof(hexbyte), "%02x",
			    (unsigned char)got[j]);
			same = 3 * j + 2 <= hlen &&
			    strncasecmp(outhex + 3 * j, hexbyte, 2) == 0;
		}
		tap_ok(same && (hlen + 1) / 3 == glen, "outhex/%s agrees",
		    rel + 7);
		wanthash = output_hash(hashes, names[i], &wantlen);
		if (got != NULL)
			crypto_sha256_hex(got, glen, hex);
		tap_ok(got != NULL && wanthash != NULL &&
		    strcmp(hex, wanthash) == 0 && (json_int_t)glen == wantlen,
		    "SHA-256 and length of output/%s as recorded", names[i]);
		free(in);
		free(want);
		free(got);
		free(outhex);
		free(names[i]);
	}
	json_decref(hashes);
}

/* ---- numbers ---- */

/*
 * Lines "hex,expected" (hex without leading zeros); "ERROR" expects a
 * refusal. Lines starting with '#' are comments. Returns the number of
 * lines checked; counts failures in *bad and shows the first few.
 */
static size_t
number_lines(const char *text, size_t *bad)
{
	char		 num[CANON_NUMBER_MAX], err[ERR_MAX], line[128];
	const char	*p = text, *nl, *comma, *want;
	uint64_t	 bits;
	size_t		 n = 0;
	char		*end;
	int		 rc;

	*bad = 0;
	for (; *p != '\0'; p = *nl == '\0' ? nl : nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (*p == '#' || nl == p)
			continue;
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		n++;
		if ((comma = strchr(line, ',')) == NULL) {
			(*bad)++;
			tap_diag("malformed line: %s", line);
			continue;
		}
		want = comma + 1;
		errno = 0;
		bits = strtoull(line, &end, 16);
		err[0] = '\0';
		rc = canon_number(bits_double(bits), num, err);
		if (strncmp(want, "ERROR", 5) == 0) {
			if (rc == 0 || err[0] == '\0') {
				if ((*bad)++ < 5)
					tap_diag("%s: printed %s", line, num);
			}
			continue;
		}
		if (end != comma || rc == -1 || strcmp(num, want) != 0) {
			if ((*bad)++ < 5)
				tap_diag("%s: got %s", line,
				    rc == -1 ? err : num);
		}
	}
	return n;
}

static void
test_number_file(const char *rel, size_t want_lines)
{
	size_t	 len, n, bad;
	char	*text;

	if ((text = vector(rel, &len)) == NULL) {
		tap_ok(0, "%s readable", rel);
		return;
	}
	n = number_lines(text, &bad);
	tap_ok(n == want_lines && bad == 0, "%s: %zu of %zu lines right",
	    rel, n - bad, n);
	free(text);
}

/*
 * The number test file of cyberphone/json-canonicalization,
 * es6testfile100m.txt, is generated: these 168 fixed bit patterns (listed
 * in its testdata/README.md; they are also the first 168 lines of
 * es6testfile_first10000.txt), then 0x0010000000000000 + i for i < 2000,
 * then the doubles of a SHA-256 chain.
 */
static const uint64_t es6_fixed[168] = {
	0x0000000000000000, 0x8000000000000000, 0x0000000000000001,
	0x8000000000000001, 0xc46696695dbd1cc3, 0xc43211ede4974a35,
	0xc3fce97ca0f21056, 0xc3c7213080c1a6ac, 0xc39280f39a348556,
	0xc35d9b1f5d20d557, 0xc327af4c4a80aaac, 0xc2f2f2a36ecd5556,
	0xc2be51057e155558, 0xc28840d131aaaaac, 0xc253670dc1555557,
	0xc21f0b4935555557, 0xc1e8d5d42aaaaaac, 0xc1b3de4355555556,
	0xc17fca0555555556, 0xc1496e6aaaaaaaab, 0xc114585555555555,
	0xc0e046aaaaaaaaab, 0xc0aa0aaaaaaaaaaa, 0xc074d55555555555,
	0xc040aaaaaaaaaaab, 0xc00aaaaaaaaaaaab, 0xbfd5555555555555,
	0xbfa1111111111111, 0xbf6b4e81b4e81b4f, 0xbf35d867c3ece2a5,
	0xbf0179ec9cbd821e, 0xbecbf647612f3696, 0xbe965e9f80f29212,
	0xbe61e54c672874db, 0xbe2ca213d840baf8, 0xbdf6e80fe033c8c6,
	0xbdc2533fe68fd3d2, 0xbd8d51ffd74c861c, 0xbd5774ccac3d3817,
	0xbd22c3d6f030f9ac, 0xbcee0624b3818f79, 0xbcb804ea293472c7,
	0xbc833721ba905bd3, 0xbc4ebe9c5db3c61e, 0xbc18987d17c304e5,
	0xbbe3ad30dfcf371d, 0xbbaf7b816618582f, 0xbb792f9ab81379bf,
	0xbb442615600f9499, 0xbb101e77800c76e1, 0xbad9ca58cce0be35,
	0xbaa4a1e0a3e6fe90, 0xba708180831f320d, 0xba3a68cd9e985016,
	0x446696695dbd1cc3, 0x443211ede4974a35, 0x43fce97ca0f21056,
	0x43c7213080c1a6ac, 0x439280f39a348556, 0x435d9b1f5d20d557,
	0x4327af4c4a80aaac, 0x42f2f2a36ecd5556, 0x42be51057e155558,
	0x428840d131aaaaac, 0x4253670dc1555557, 0x421f0b4935555557,
	0x41e8d5d42aaaaaac, 0x41b3de4355555556, 0x417fca0555555556,
	0x41496e6aaaaaaaab, 0x4114585555555555, 0x40e046aaaaaaaaab,
	0x40aa0aaaaaaaaaaa, 0x4074d55555555555, 0x4040aaaaaaaaaaab,
	0x400aaaaaaaaaaaab, 0x3fd5555555555555, 0x3fa1111111111111,
	0x3f6b4e81b4e81b4f, 0x3f35d867c3ece2a5, 0x3f0179ec9cbd821e,
	0x3ecbf647612f3696, 0x3e965e9f80f29212, 0x3e61e54c672874db,
	0x3e2ca213d840baf8, 0x3df6e80fe033c8c6, 0x3dc2533fe68fd3d2,
	0x3d8d51ffd74c861c, 0x3d5774ccac3d3817, 0x3d22c3d6f030f9ac,
	0x3cee0624b3818f79, 0x3cb804ea293472c7, 0x3c833721ba905bd3,
	0x3c4ebe9c5db3c61e, 0x3c18987d17c304e5, 0x3be3ad30dfcf371d,
	0x3baf7b816618582f, 0x3b792f9ab81379bf, 0x3b442615600f9499,
	0x3b101e77800c76e1, 0x3ad9ca58cce0be35, 0x3aa4a1e0a3e6fe90,
	0x3a708180831f320d, 0x3a3a68cd9e985016, 0x4024000000000000,
	0x4014000000000000, 0x3fe0000000000000, 0x3fa999999999999a,
	0x3f747ae147ae147b, 0x3f40624dd2f1a9fc, 0x3f0a36e2eb1c432d,
	0x3ed4f8b588e368f1, 0x3ea0c6f7a0b5ed8d, 0x3e6ad7f29abcaf48,
	0x3e35798ee2308c3a, 0x3ed539223589fa95, 0x3ed4ff26cd5a7781,
	0x3ed4f95a762283ff, 0x3ed4f8c60703520c, 0x3ed4f8b72f19cd0d,
	0x3ed4f8b5b31c0c8d, 0x3ed4f8b58d1c461a, 0x3ed4f8b5894f7f0e,
	0x3ed4f8b588ee37f3, 0x3ed4f8b588e47da4, 0x3ed4f8b588e3849c,
	0x3ed4f8b588e36bb5, 0x3ed4f8b588e36937, 0x3ed4f8b588e368f8,
	0x3ed4f8b588e368f1, 0x3ff0000000000000, 0xbff0000000000000,
	0xbfeffffffffffffa, 0xbfeffffffffffffb, 0x3feffffffffffffa,
	0x3feffffffffffffb, 0x3feffffffffffffc, 0x3feffffffffffffe,
	0xbfefffffffffffff, 0xbfefffffffffffff, 0x3fefffffffffffff,
	0x3fefffffffffffff, 0x3fd3333333333332, 0x3fd3333333333333,
	0x3fd3333333333334, 0x0010000000000000, 0x000ffffffffffffd,
	0x000fffffffffffff, 0x7fefffffffffffff, 0xffefffffffffffff,
	0x4340000000000000, 0xc340000000000000, 0x4430000000000000,
	0x44b52d02c7e14af5, 0x44b52d02c7e14af6, 0x44b52d02c7e14af7,
	0x444b1ae4d6e2ef4e, 0x444b1ae4d6e2ef4f, 0x444b1ae4d6e2ef50,
	0x3eb0c6f7a0b5ed8c, 0x3eb0c6f7a0b5ed8d, 0x41b3de4355555553,
	0x41b3de4355555554, 0x41b3de4355555555, 0x41b3de4355555556,
	0x41b3de4355555557, 0xbecbf647612f3696, 0x43143ff3c1cb0959,
};

struct es6_gen {
	size_t		 eg_idx;
	uint8_t		 eg_block[SHA256_LEN];
	size_t		 eg_used;	/* doubles of eg_block taken */
};

static uint64_t
es6_next(struct es6_gen *g)
{
	uint64_t	 bits;
	double		 x;
	size_t		 i;

	if (g->eg_idx < 168)
		return es6_fixed[g->eg_idx++];
	if (g->eg_idx < 168 + 2000)
		return 0x0010000000000000ULL + (g->eg_idx++ - 168);
	g->eg_idx++;
	do {
		if (g->eg_used == 0 || g->eg_used == 4) {
			crypto_sha256(g->eg_block, sizeof(g->eg_block),
			    g->eg_block);
			g->eg_used = 0;
		}
		/* Little-endian, whatever this machine is. */
		bits = 0;
		for (i = 0; i < 8; i++)
			bits |= (uint64_t)g->eg_block[8 * g->eg_used + i] <<
			    (8 * i);
		g->eg_used++;
		x = bits_double(bits);
	} while (x == 0 || !isfinite(x));
	return bits;
}

static void
test_es6_generated(void)
{
	static const struct {
		size_t		 lines;
		size_t		 bytes;
		const char	*sha256;
	} want[] = {
		{ 1000, 37967, "be18b62b6f69cdab33a7e0dae0d9cfa8"
		    "69fda80ddc712221570f9f40a5878687" },
		{ 10000, 399022, "b9f7a8e75ef22a835685a52ccba7f7d6"
		    "bdc99e34b010992cbc5864cd12be6892" },
		{ 100000, 4031728, "22776e6d4b49fa294a0d0f349268e5c2"
		    "8808fe7e0cb2bcbe28f63894e494d4c7" },
		{ 1000000, 40357417, "49415fee2c56c77864931bd3624faad4"
		    "25c3c577d6d74e89a83bc725506dad16" },
	};
	struct crypto_sha256_ctx	*h;
	struct es6_gen			 g;
	char				 num[CANON_NUMBER_MAX], err[ERR_MAX];
	char				 hex[SHA256_HEX_LEN + 1];
	uint8_t				 md[SHA256_LEN];
	static char			 chunk[65536];
	size_t				 line, k = 0, used = 0, bytes = 0;
	size_t				 refused = 0;
	uint64_t			 bits;
	double				 t0 = mono_now();
	int				 n;

	memset(&g, 0, sizeof(g));
	if ((h = crypto_sha256_new()) == NULL) {
		tap_ok(0, "crypto_sha256_new");
		return;
	}
	for (line = 1; line <= 1000000; line++) {
		bits = es6_next(&g);
		if (canon_number(bits_double(bits), num, err) == -1) {
			refused++;
			strlcpy(num, "ERROR", sizeof(num));
		}
		if (used > sizeof(chunk) - 64) {
			crypto_sha256_update(h, chunk, used);
			used = 0;
		}
		n = snprintf(chunk + used, sizeof(chunk) - used, "%llx,%s\n",
		    (unsigned long long)bits, num);
		used += (size_t)n;
		bytes += (size_t)n;
		if (line != want[k].lines)
			continue;
		crypto_sha256_update(h, chunk, used);
		used = 0;
		if (crypto_sha256_digest(h, md) == -1) {
			tap_ok(0, "crypto_sha256_digest");
			break;
		}
		hex_encode(md, sizeof(md), hex);
		tap_ok(strcmp(hex, want[k].sha256) == 0 &&
		    bytes == want[k].bytes, "es6testfile, first %zu lines "
		    "regenerated: SHA-256 %.8s..., %zu bytes", want[k].lines,
		    hex, bytes);
		k++;
	}
	tap_int((long long)refused, 0, "es6testfile: no number refused");
	tap_diag("1,000,000 generated numbers in %.2f s", mono_now() - t0);
	crypto_sha256_free(h);
}

static void
test_number_edges(void)
{
	static const struct {
		double		 x;
		const char	*want;
	} cases[] = {
		{ 0.0, "0" }, { -0.0, "0" }, { 1.0, "1" }, { -1.0, "-1" },
		{ 0.1, "0.1" }, { -0.5, "-0.5" }, { 12.75, "12.75" },
		{ 100.0, "100" }, { 1e20, "100000000000000000000" },
		{ 1e21, "1e+21" }, { 1.5e21, "1.5e+21" },
		{ 123456789012345680000.0, "123456789012345680000" },
		{ 1e-6, "0.000001" }, { 1.5e-6, "0.0000015" }, { 1e-7, "1e-7" },
		{ 1.25e-7, "1.25e-7" }, { 5e-324, "5e-324" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 9007199254740994.0, "9007199254740994" },
		{ 0.30000000000000004, "0.30000000000000004" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 0x1p-1022, "2.2250738585072014e-308" },
		{ 0x1p+1023, "8.98846567431158e+307" },
		/*
		 * Powers of two where the nearest 16-digit decimal lies below
		 * and reads back as the double below: the next one above, in
		 * the wider half of the interval, is the answer. For 2^-791
		 * the nearest even ends in 0 and would look one digit shorter.
		 */
		{ 0x1p-1017, "7.120236347223045e-307" },
		{ 0x1p-791, "7.678447687145631e-239" },
		{ 0x1p-778, "6.290184345309701e-235" },
	};
	char	 num[CANON_NUMBER_MAX], err[ERR_MAX], what[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (canon_number(cases[i].x, num, err) == -1)
			strlcpy(num, err, sizeof(num));
		snprintf(what, sizeof(what), "%a prints as %s", cases[i].x,
		    cases[i].want);
		tap_str(num, cases[i].want, what);
	}
	err[0] = '\0';
	tap_ok(canon_number(NAN, num, err) == -1 && strstr(err, "NaN"),
	    "NaN is refused, with a reason");
	err[0] = '\0';
	tap_ok(canon_number(INFINITY, num, err) == -1 &&
	    strstr(err, "nfinity"), "Infinity is refused, with a reason");
	err[0] = '\0';
	tap_ok(canon_number(-INFINITY, num, err) == -1 &&
	    strstr(err, "nfinity"), "-Infinity is refused, with a reason");
}

/*
 * Every double that is a power of two, and its neighbours: where the
 * doubles are unevenly spaced. What canon_number prints must read back
 * as the same double and have at most 17 digits. (That it is the
 * shortest is checked against V8 by tests/interop/test_jcs_npm.py.)
 */
static void
test_number_roundtrip(void)
{
	char		 num[CANON_NUMBER_MAX], err[ERR_MAX];
	uint64_t	 bits, e, s = 0x9e3779b97f4a7c15ULL;
	size_t		 n = 0, bad = 0, i, digits, zeros;
	double		 x;
	const char	*p;
	int		 d, lead;

	for (i = 0; i < 2046 * 3 * 2 + 200000; i++) {
		if (i < 2046 * 3 * 2) {
			e = i / 6 + 1;
			d = (int)(i % 3) - 1;
			bits = (e << 52) + (uint64_t)(int64_t)d;
			if (i % 6 >= 3)
				bits |= 1ULL << 63;
		} else {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			bits = s;
		}
		x = bits_double(bits);
		if (!isfinite(x))
			continue;
		n++;
		if (canon_number(x, num, err) == -1) {
			if (bad++ < 5)
				tap_diag("%016llx: %s",
				    (unsigned long long)bits, err);
			continue;
		}
		/* Significant digits: from the first to the last nonzero. */
		for (digits = 0, lead = 1, zeros = 0, p = num;
		    *p != '\0' && *p != 'e'; p++) {
			if (*p < '0' || *p > '9' || (lead && *p == '0'))
				continue;
			lead = 0;
			if (*p == '0') {
				zeros++;
				continue;
			}
			digits += zeros + 1;
			zeros = 0;
		}
		if (strtod(num, NULL) != x || digits > 17 ||
		    strlen(num) >= CANON_NUMBER_MAX) {
			if (bad++ < 5)
				tap_diag("%016llx: %s does not read back",
				    (unsigned long long)bits, num);
		}
	}
	tap_ok(bad == 0, "%zu powers of two, their neighbours and random "
	    "doubles read back as themselves", n);
}

/* ---- documents: strings, keys, integers, depth, refusals ---- */

static void
test_strings(void)
{
	char	 all[32 + 1], err[ERR_MAX] = "", *got;
	json_t	*v;
	size_t	 i, len;

	check_canon("\"\\/ and \\u002f\"", "\"/ and /\"", "\\/ becomes /");
	check_canon("\"a\\u0000b\"", "\"a\\u0000b\"",
	    "U+0000 inside a string is escaped as \\u0000");
	check_canon("\"\\u001F\\u001f\"", "\"\\u001f\\u001f\"",
	    "U+001F is escaped as \\u001f, in lowercase");
	check_canon("\"\\u007f\\u0080\\u2028\"", "\"\x7f\xc2\x80\xe2\x80\xa8\"",
	    "DEL, U+0080 and U+2028 are written raw");
	check_canon("\"\\\"\\\\\"", "\"\\\"\\\\\"", "quote and backslash");
	check_canon("\"\\ud83d\\ude02\"", "\"\xf0\x9f\x98\x82\"",
	    "an escaped surrogate pair becomes raw UTF-8");
	check_canon("\"A\\u030a\"", "\"A\xcc\x8a\"",
	    "no Unicode normalisation");

	/* Every control character, from a string holding NUL. */
	for (i = 0; i < 32; i++)
		all[i] = (char)i;
	v = json_stringn(all, 32);
	got = canon_dump(v, &len, err);
	tap_str(got, "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006"
	    "\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012"
	    "\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b"
	    "\\u001c\\u001d\\u001e\\u001f\"",
	    "U+0000..U+001F: the short escapes, \\u00hh for the rest");
	free(got);
	json_decref(v);
}

static void
test_keys(void)
{
	check_canon("{\"\xef\xbf\xbf\":6,\"\xee\x80\x80\":5,"
	    "\"\xf4\x8f\xbf\xbf\":4,\"\xf0\x9f\x98\x82\":3,\"\xed\x9f\xbf\":2,"
	    "\"z\":1}",
	    "{\"z\":1,\"\xed\x9f\xbf\":2,\"\xf0\x9f\x98\x82\":3,"
	    "\"\xf4\x8f\xbf\xbf\":4,\"\xee\x80\x80\":5,\"\xef\xbf\xbf\":6}",
	    "keys sort by UTF-16 code units: U+1F602 and U+10FFFF before "
	    "U+E000 and U+FFFF");
	check_canon("{\"ab\":1,\"a\":2,\"\":3,\"b\":4,\"B\":5}",
	    "{\"\":3,\"B\":5,\"a\":2,\"ab\":1,\"b\":4}",
	    "a key sorts after its prefixes; uppercase first");
	check_canon("{\"\\u00e9\":1,\"e\\u0301\":2,\"f\":3}",
	    "{\"e\xcc\x81\":2,\"f\":3,\"\xc3\xa9\":1}",
	    "keys compare unnormalised, by code unit");
	check_canon("{\"\\n\":1,\"\\u0001\":2}", "{\"\\u0001\":2,\"\\n\":1}",
	    "escaped keys sort on their unescaped value");
	check_canon("{}", "{}", "empty object");
	check_canon("[]", "[]", "empty array");
	check_canon(" { \"a\" : [ ] , \"b\" : { } } ", "{\"a\":[],\"b\":{}}",
	    "empty containers nested, whitespace dropped");
	check_canon("[3,1,2]", "[3,1,2]", "arrays keep their order");
}

static void
test_literals_numbers(void)
{
	check_canon("null", "null", "null at the top");
	check_canon("[true,false,null]", "[true,false,null]", "literals");
	check_canon("\"x\"", "\"x\"", "a string at the top");
	check_canon("-0.0", "0", "-0.0 becomes 0");
	check_canon("-0", "0", "-0 becomes 0");
	check_canon("[1.0,1e2,-1.5E-7,0.000001,1E21,1e-400]",
	    "[1,100,-1.5e-7,0.000001,1e+21,0]", "reals as Number::toString");
	check_canon("333333333.33333329", "333333333.3333333",
	    "parsing rounds correctly");
	check_canon("[9007199254740992,-9007199254740992]",
	    "[9007199254740992,-9007199254740992]",
	    "integers up to 2^53 are printed exactly");
}

static void
test_big_integers(void)
{
	char	 err[ERR_MAX] = "", key[300];
	json_t	*v;
	char	*got;

	v = json_pack("{s:I}", "netin", (json_int_t)9007199254740993LL);
	check_dump_refused(v, "integer at /netin is beyond 2^53 and has no "
	    "exact I-JSON form", "2^53 + 1 is refused, with its path");
	v = json_pack("{s:[{s:I}]}", "interfaces", "rx",
	    (json_int_t)-9007199254740993LL);
	check_dump_refused(v, "integer at /interfaces/0/rx is beyond 2^53 "
	    "and has no exact I-JSON form", "-(2^53 + 1) is refused, with "
	    "its path");
	v = json_integer(INT64_MAX);
	check_dump_refused(v, "integer at (root) is beyond 2^53 and has no "
	    "exact I-JSON form", "a big integer at the top");

	v = canon_parse("{\"a~/b\":[0,9007199254740993]}", 29, err);
	tap_ok(v != NULL, "canon_parse takes 2^53 + 1 in (it is JSON)");
	check_dump_refused(v, "integer at /a~0~1b/1 is beyond 2^53 and has "
	    "no exact I-JSON form", "... but it is not written; '~' and '/' "
	    "in a key are escaped in the path");
	check_parse_refused("123456789012345678901234567890",
	    "too big integer", "an integer beyond 64 bits is refused");

	/* A long path is cut at its start; the reason stays whole. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	v = json_pack("{s:{s:I}}", key, "x", (json_int_t)1 << 60);
	got = canon_dump(v, NULL, err);
	tap_ok(got == NULL && strncmp(err, "integer at ...kkk", 17) == 0 &&
	    strstr(err, "k/x is beyond 2^53 and has no exact I-JSON form") !=
	    NULL, "a long path is shortened from the start");
	json_decref(v);

	v = json_integer(9007199254740992LL);
	got = canon_dump(v, NULL, err);
	tap_str(got, "9007199254740992", "2^53 is written");
	free(got);
	json_decref(v);
}

/* A document nested depth arrays deep, with the innermost one empty. */
static json_t *
nest(int depth)
{
	json_t	*v = json_array(), *outer;
	int	 i;

	for (i = 1; i < depth; i++) {
		outer = (i % 2) ? json_pack("{s:o}", "k", v) :
		    json_pack("[o]", v);
		v = outer;
	}
	return v;
}

static void
test_depth(void)
{
	struct buf	 b;
	char		 err[ERR_MAX] = "", want[ERR_MAX];
	json_t		*v, *a, *loop;
	char		*got;
	int		 i;

	v = nest(CANON_DEPTH_MAX);
	got = canon_dump(v, NULL, err);
	tap_ok(got != NULL, "containers %d deep are written", CANON_DEPTH_MAX);
	if (got == NULL)
		tap_diag("%s", err);
	free(got);
	json_decref(v);

	/* The innermost container is refused; the path leads to it. */
	v = nest(CANON_DEPTH_MAX + 1);
	strlcpy(want, "value at ", sizeof(want));
	for (i = 0, a = v; i < CANON_DEPTH_MAX; i++) {
		strlcat(want, json_is_object(a) ? "/k" : "/0", sizeof(want));
		a = json_is_object(a) ? json_object_get(a, "k") :
		    json_array_get(a, 0);
	}
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
	    " nests deeper than %d levels", CANON_DEPTH_MAX);
	check_dump_refused(v, want, "one level more is refused");

	/* A cycle is just a document too deep. */
	a = json_array();
	loop = json_array();
	json_array_append(a, loop);
	json_array_append(loop, a);
	buf_init(&b);
	buf_addstr(&b, "prefix");
	tap_ok(canon_write(&b, a, err) == -1 && strstr(err, "deeper"),
	    "a cyclic json_t is refused as too deep");
	tap_ok(b.b_len == 6 && strcmp(b.b_data, "prefix") == 0,
	    "a refused canon_write leaves the buffer as it was");
	json_array_clear(loop);
	json_decref(loop);
	json_decref(a);

	v = json_pack("{s:i}", "b", 1);
	tap_ok(canon_write(&b, v, err) == 0 &&
	    strcmp(b.b_data, "prefix{\"b\":1}") == 0, "canon_write appends");
	json_decref(v);
	buf_free(&b);
}

static void
test_refusals(void)
{
	json_t	*v, *o;
	char	 err[ERR_MAX] = "", *got;

	check_parse_refused("{\"a\":1,\"a\":2}", "duplicate object key",
	    "duplicate keys are refused");
	check_parse_refused("{\"x\":{\"a\":1,\"b\":2,\"a\":1}}",
	    "duplicate object key", "duplicate keys deep down are refused");
	check_parse_refused("\"\\ud800\"", "invalid Unicode",
	    "a lone high surrogate \\ud800 is refused");
	check_parse_refused("\"\\udc00\"", "invalid Unicode",
	    "a lone low surrogate \\udc00 is refused");
	check_parse_refused("[\"\\ud800\\u0041\"]", "invalid Unicode",
	    "a high surrogate followed by no low one is refused");
	check_parse_refused("{\"\\udc00\":1}", "invalid Unicode",
	    "a lone surrogate in a key is refused");
	check_parse_refused("\"\xed\xa0\x80\"", "unable to decode",
	    "a surrogate encoded in UTF-8 is refused");
	check_parse_refused("\"\xff\"", "unable to decode",
	    "invalid UTF-8 is refused");
	check_parse_refused("\"\xc0\xaf\"", "unable to decode",
	    "overlong UTF-8 is refused");
	check_parse_refused("\xef\xbb\xbf{}", "invalid token",
	    "a byte order mark is refused");
	check_parse_refused("NaN", "invalid token", "NaN is not JSON");
	check_parse_refused("1e400", "overflow", "1e400 is refused");
	check_parse_refused("{\"a\\u0000\":1}", "NUL byte in object key",
	    "U+0000 in a key is refused (jansson's parser cannot take it)");

	/* jansson quotes input near the problem: canon_parse must not. */
	check_parse_refused("{\"password\":\"hunter2\x01\"}",
	    "control character", "a raw control character is refused");
	canon_parse("{\"password\":\"hunter2\x01\"}", 23, err);
	tap_ok(strstr(err, "hunter2") == NULL,
	    "a parse error does not quote the input");

	/* What jansson holds without checking is checked on the way out. */
	v = json_pack("{s:[o]}", "a", json_stringn_nocheck("se\xffret", 6));
	check_dump_refused(v, "string at /a/0 is not valid UTF-8",
	    "a string of invalid UTF-8 is refused, with its path, unquoted");
	o = json_object();
	json_object_setn_new_nocheck(o, "k\xc0y", 3, json_true());
	v = json_pack("{s:o}", "x", o);
	check_dump_refused(v, "object key at /x/k?y is not valid UTF-8",
	    "a key of invalid UTF-8 is refused");
	/* jansson's parser refuses U+0000 in a key; its API does not. */
	o = json_object();
	json_object_setn_new(o, "a\0b", 3, json_true());
	json_object_setn_new(o, "a", 1, json_false());
	got = canon_dump(o, NULL, err);
	tap_str(got, "{\"a\":false,\"a\\u0000b\":true}",
	    "a key holding U+0000 is escaped, and sorts after its prefix");
	free(got);
	json_decref(o);
}

int
main(int argc, char **argv)
{
	const char	*env = getenv("top_srcdir");
	double		 t0 = mono_now();

	log_init(0);
	if (env != NULL && env[0] != '\0')
		top = env;
	test_documents();
	test_number_file("numbers-rfc8785-appendix-b.csv", 27);
	test_number_file("numbers-readme-samples.csv", 7);
	test_number_file("es6testfile_first10000.txt", 10000);
	test_number_edges();
	test_number_roundtrip();
	test_strings();
	test_keys();
	test_literals_numbers();
	test_big_integers();
	test_depth();
	test_refusals();
	if (argc < 2 || strcmp(argv[1], "-q") != 0)
		test_es6_generated();
	tap_diag("test_canon: %.2f s", mono_now() - t0);
	return tap_done();
}
