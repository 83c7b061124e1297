/*
 * test_util.c: proxy/util.c, the helpers every module leans on: the
 * string and number compatibility functions, caller errors, struct buf,
 * UTF-8 validation, hex, whole-file reads, private-file checks and paths.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"
#include "tap.h"

static char	 tmpdir[] = "/tmp/sightline-test-util.XXXXXX";

static void
test_strlcpy(void)
{
	char	 b[8];

	memset(b, 'x', sizeof(b));
	tap_int((long long)strlcpy(b, "abc", sizeof(b)), 3,
	    "strlcpy returns the source length");
	tap_str(b, "abc", "strlcpy copies a short string");
	tap_int((long long)strlcpy(b, "abcdefghijk", sizeof(b)), 11,
	    "strlcpy returns the full source length when truncating");
	tap_str(b, "abcdefg", "strlcpy truncates and terminates");
	b[0] = 'z';
	tap_int((long long)strlcpy(b, "abc", 0), 3,
	    "strlcpy with size 0 returns the source length");
	tap_ok(b[0] == 'z', "strlcpy with size 0 writes nothing");

	strlcpy(b, "ab", sizeof(b));
	tap_int((long long)strlcat(b, "cd", sizeof(b)), 4,
	    "strlcat returns the combined length");
	tap_str(b, "abcd", "strlcat appends");
	tap_int((long long)strlcat(b, "efghij", sizeof(b)), 10,
	    "strlcat returns the wanted length when truncating");
	tap_str(b, "abcdefg", "strlcat truncates and terminates");
	memset(b, 'x', sizeof(b));
	tap_int((long long)strlcat(b, "abc", sizeof(b)), 11,
	    "strlcat on an unterminated buffer returns size + source length");
}

static void
test_strtonum(void)
{
	const char	*errstr;
	long long	 n;

	n = strtonum("42", 0, 100, &errstr);
	tap_ok(n == 42 && errstr == NULL, "strtonum parses 42");
	n = strtonum("-5", -10, 10, &errstr);
	tap_ok(n == -5 && errstr == NULL, "strtonum parses a negative number");
	n = strtonum("", 0, 100, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "invalid") == 0,
	    "strtonum refuses the empty string as invalid");
	n = strtonum("12x", 0, 100, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "invalid") == 0,
	    "strtonum refuses trailing junk as invalid");
	n = strtonum("101", 0, 100, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "too large") == 0,
	    "strtonum refuses 101 in 0..100 as too large");
	n = strtonum("-1", 0, 100, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "too small") == 0,
	    "strtonum refuses -1 in 0..100 as too small");
	n = strtonum("99999999999999999999", 0, LLONG_MAX, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "too large") == 0,
	    "strtonum refuses an overflowing number as too large");
	n = strtonum("-99999999999999999999", LLONG_MIN, 0, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "too small") == 0,
	    "strtonum refuses an underflowing number as too small");
	n = strtonum("5", 10, 1, &errstr);
	tap_ok(n == 0 && errstr != NULL && strcmp(errstr, "invalid") == 0,
	    "strtonum with min > max is invalid");
	n = strtonum("9223372036854775807", 0, LLONG_MAX, &errstr);
	tap_ok(n == LLONG_MAX && errstr == NULL,
	    "strtonum accepts LLONG_MAX exactly");
	tap_int(strtonum("7", 0, 10, NULL), 7,
	    "strtonum works without an errstr pointer");
}

static void
test_err(void)
{
	char	 err[ERR_MAX], big[2 * ERR_MAX];

	/* Callers may pass no buffer; a crash here fails the whole test. */
	err_set(NULL, "%s", "ignored");
	err_prefix(NULL, "x");

	err_set(err, "%s: %d", "thing", 42);
	tap_str(err, "thing: 42", "err_set formats");
	err_prefix(err, "panels[%d]: ", 1);
	tap_str(err, "panels[1]: thing: 42", "err_prefix prepends context");

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(err, "%s", big);
	tap_int((long long)strlen(err), ERR_MAX - 1,
	    "err_set truncates to ERR_MAX - 1 bytes");
	err_prefix(err, "pre: ");
	tap_int((long long)strlen(err), ERR_MAX - 1,
	    "err_prefix keeps the result within ERR_MAX");
	tap_ok(strncmp(err, "pre: aaa", 8) == 0,
	    "err_prefix keeps the prefix when truncating");
}

static void
test_buf(void)
{
	struct buf	 b;
	char		*p, *big;
	size_t		 len, i;
	int		 same;
	json_t		*v;

	buf_init(&b);
	tap_ok(b.b_data == NULL && b.b_len == 0 && b.b_cap == 0 && !b.b_oom,
	    "buf_init empties");
	p = buf_take(&b, &len);
	tap_ok(p != NULL && len == 0 && p[0] == '\0',
	    "buf_take on an empty buffer gives an empty string");
	free(p);

	buf_init(&b);
	buf_addstr(&b, "hello");
	buf_add(&b, ", ", 2);
	buf_printf(&b, "%s %d", "world", 7);
	tap_str(b.b_data, "hello, world 7", "buf_addstr, buf_add, buf_printf");
	tap_int((long long)b.b_len, 14, "b_len counts the bytes");
	buf_add(&b, "\0z", 2);
	tap_int((long long)b.b_len, 16, "buf_add takes NUL bytes");
	tap_ok(b.b_data[14] == '\0' && b.b_data[15] == 'z' &&
	    b.b_data[16] == '\0', "buf_add keeps NUL bytes and terminates");
	buf_free(&b);
	tap_ok(b.b_data == NULL && b.b_len == 0, "buf_free resets");

	/* Growth: many small appends and one large one, byte for byte. */
	buf_init(&b);
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "%05zu,", i);
	tap_int((long long)b.b_len, 60000, "10000 appends make 60000 bytes");
	same = 1;
	for (i = 0; i < 10000; i++) {
		char	 want[8];

		snprintf(want, sizeof(want), "%05zu,", i);
		if (memcmp(b.b_data + 6 * i, want, 6) != 0)
			same = 0;
	}
	tap_ok(same, "the appended bytes are all in order");
	tap_ok(b.b_cap > b.b_len && b.b_data[b.b_len] == '\0',
	    "the buffer stays terminated after growth");
	buf_free(&b);

	len = 3 * 1024 * 1024 + 17;
	if ((big = malloc(len)) == NULL) {
		tap_ok(0, "malloc for the large append");
		return;
	}
	for (i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	buf_init(&b);
	buf_addstr(&b, "<");
	buf_add(&b, big, len);
	buf_addstr(&b, ">");
	tap_ok(!b.b_oom && b.b_len == len + 2, "a 3 MiB append fits");
	tap_ok(b.b_data[0] == '<' && memcmp(b.b_data + 1, big, len) == 0 &&
	    b.b_data[len + 1] == '>' && b.b_data[len + 2] == '\0',
	    "a 3 MiB append keeps every byte");
	p = buf_take(&b, &len);
	tap_ok(p != NULL && len == 3 * 1024 * 1024 + 19 && b.b_data == NULL,
	    "buf_take hands the contents over and resets the buffer");
	free(p);
	free(big);

	/* A buffer that ran out of memory stays failed; buf_take says so. */
	buf_init(&b);
	buf_addstr(&b, "x");
	b.b_oom = 1;
	buf_addstr(&b, "more");
	tap_int((long long)b.b_len, 1, "nothing is added after running out");
	p = buf_take(&b, &len);
	tap_ok(p == NULL && b.b_data == NULL,
	    "buf_take returns NULL and frees after running out");

	buf_init(&b);
	v = json_pack("{s:i, s:s, s:[b, n]}", "b", 1, "a", "\xc3\xa9",
	    "c", 1);
	buf_addjson(&b, v);
	json_decref(v);
	p = buf_take(&b, NULL);
	tap_str(p, "{\"a\":\"\\u00E9\",\"b\":1,\"c\":[true,null]}",
	    "buf_addjson is compact, sorted and ASCII");
	free(p);
}

static void
test_utf8(void)
{
	static const struct {
		const char	*s;
		int		 valid;
		const char	*what;
	} cases[] = {
		{ "", 1, "empty" },
		{ "plain ascii", 1, "ASCII" },
		{ "caf\xc3\xa9", 1, "two-byte e-acute" },
		{ "\xe2\x82\xac", 1, "three-byte euro sign" },
		{ "\xf0\x9f\x98\x80", 1, "four-byte emoji" },
		{ "\xc2\x80", 1, "lowest two-byte U+0080" },
		{ "\xdf\xbf", 1, "highest two-byte U+07FF" },
		{ "\xe0\xa0\x80", 1, "lowest three-byte U+0800" },
		{ "\xed\x9f\xbf", 1, "U+D7FF just below the surrogates" },
		{ "\xee\x80\x80", 1, "U+E000 just above the surrogates" },
		{ "\xef\xbf\xbf", 1, "U+FFFF" },
		{ "\xf0\x90\x80\x80", 1, "lowest four-byte U+10000" },
		{ "\xf4\x8f\xbf\xbf", 1, "highest code point U+10FFFF" },
		{ "\xc0\xaf", 0, "overlong '/' in two bytes (C0)" },
		{ "\xc1\xbf", 0, "overlong in two bytes (C1)" },
		{ "\xe0\x80\xaf", 0, "overlong '/' in three bytes" },
		{ "\xe0\x9f\xbf", 0, "overlong U+07FF in three bytes" },
		{ "\xf0\x80\x80\xaf", 0, "overlong '/' in four bytes" },
		{ "\xf0\x8f\xbf\xbf", 0, "overlong U+FFFF in four bytes" },
		{ "\xed\xa0\x80", 0, "surrogate U+D800" },
		{ "\xed\xbf\xbf", 0, "surrogate U+DFFF" },
		{ "\xed\xa0\xbd\xed\xb8\x80", 0, "CESU-8 surrogate pair" },
		{ "\xf4\x90\x80\x80", 0, "U+110000 past the end" },
		{ "\xf5\x80\x80\x80", 0, "lead byte F5" },
		{ "\xf8\x88\x80\x80\x80", 0, "five-byte form" },
		{ "\xff", 0, "byte FF" },
		{ "\x80", 0, "lone continuation byte" },
		{ "a\xbf" "b", 0, "continuation byte between letters" },
		{ "\xc3", 0, "truncated two-byte sequence" },
		{ "\xe2\x82", 0, "truncated three-byte sequence" },
		{ "\xf0\x9f\x98", 0, "truncated four-byte sequence" },
		{ "\xe2\x82" "a", 0, "three-byte sequence cut by ASCII" },
		{ "\xc3\xa9\xc3", 0, "valid then truncated" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_int(utf8_valid(cases[i].s, strlen(cases[i].s)),
		    cases[i].valid, cases[i].what);
	tap_int(utf8_valid("a\0b", 3), 1, "an embedded NUL is valid UTF-8");
	/* The length bounds the check: a cut inside a sequence is invalid. */
	tap_int(utf8_valid("\xe2\x82\xac", 2), 0,
	    "the length cuts a sequence short");
	tap_int(utf8_valid("ab\xff", 2), 1,
	    "bytes past the length are not looked at");
}

static void
test_hex(void)
{
	static const uint8_t	 in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	uint8_t			 out[6];
	char			 hex[2 * sizeof(in) + 1];

	hex_encode(in, sizeof(in), hex);
	tap_str(hex, "00017f80abff", "hex_encode is lowercase");
	hex_encode(in, 0, hex);
	tap_str(hex, "", "hex_encode of nothing is empty");

	memset(out, 0, sizeof(out));
	tap_int(hex_decode("00017F80ABff", out, sizeof(out), 0), 0,
	    "hex_decode takes either case");
	tap_ok(memcmp(out, in, sizeof(in)) == 0, "hex_decode round trip");
	memset(out, 0, sizeof(out));
	tap_int(hex_decode("00:01:7f:80:AB:FF", out, sizeof(out), 1), 0,
	    "hex_decode takes colons when asked");
	tap_ok(memcmp(out, in, sizeof(in)) == 0, "colon form decodes alike");
	tap_int(hex_decode("00:01:7f:80:ab:ff", out, sizeof(out), 0), -1,
	    "hex_decode refuses colons when not asked");
	tap_int(hex_decode("00017f80ab", out, sizeof(out), 0), -1,
	    "hex_decode refuses too few digits");
	tap_int(hex_decode("00017f80abff00", out, sizeof(out), 0), -1,
	    "hex_decode refuses too many digits");
	tap_int(hex_decode("00017f80abf", out, sizeof(out), 0), -1,
	    "hex_decode refuses an odd count");
	tap_int(hex_decode("00017g80abff", out, sizeof(out), 0), -1,
	    "hex_decode refuses a non-hex digit");
	tap_int(hex_decode("00:01:7f:80:ab:ff:", out, sizeof(out), 1), -1,
	    "hex_decode refuses a trailing colon");
	tap_int(hex_decode(":00:01:7f:80:ab:ff", out, sizeof(out), 1), -1,
	    "hex_decode refuses a leading colon");
	tap_int(hex_decode("00::01:7f:80:ab:ff", out, sizeof(out), 1), -1,
	    "hex_decode refuses a double colon");
	tap_int(hex_decode("", out, sizeof(out), 0), -1,
	    "hex_decode refuses the empty string");
}

static void
test_file_read(void)
{
	char	 path[PATH_MAX], err[ERR_MAX];
	char	*p;
	size_t	 len;

	snprintf(path, sizeof(path), "%s/ten", tmpdir);
	if (tap_write_file(path, "0123456789", 10, 0600) == -1) {
		tap_ok(0, "write %s: %s", path, strerror(errno));
		return;
	}
	p = file_read(path, 10, &len, err);
	tap_ok(p != NULL && len == 10 && strcmp(p, "0123456789") == 0,
	    "file_read reads a file of exactly the limit");
	free(p);
	p = file_read(path, 100, NULL, err);
	tap_str(p, "0123456789", "file_read works without a length pointer");
	free(p);
	err[0] = '\0';
	p = file_read(path, 9, &len, err);
	tap_ok(p == NULL, "file_read refuses a file one byte over the limit");
	tap_ok(strstr(err, path) != NULL && strstr(err, "larger than 9 bytes")
	    != NULL, "the reason names the file and the limit: %s", err);

	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	tap_write_file(path, "", 0, 0600);
	p = file_read(path, 0, &len, err);
	tap_ok(p != NULL && len == 0 && p[0] == '\0',
	    "file_read reads an empty file");
	free(p);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	err[0] = '\0';
	p = file_read(path, 100, &len, err);
	tap_ok(p == NULL, "file_read fails on a missing file");
	tap_ok(strncmp(err, path, strlen(path)) == 0 &&
	    strstr(err, strerror(ENOENT)) != NULL,
	    "the reason names the file and why: %s", err);

	err[0] = '\0';
	p = file_read(tmpdir, 100, &len, err);
	tap_ok(p == NULL && strstr(err, tmpdir) != NULL &&
	    strstr(err, "not a regular file") != NULL,
	    "file_read refuses a directory: %s", err);

	/* A FIFO without a writer must be refused, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	if (mkfifo(path, 0600) == -1) {
		tap_ok(0, "mkfifo %s: %s", path, strerror(errno));
		return;
	}
	err[0] = '\0';
	alarm(10);	/* the default action ends a test that hangs */
	p = file_read(path, 100, &len, err);
	alarm(0);
	tap_ok(p == NULL && strstr(err, path) != NULL &&
	    strstr(err, "not a regular file") != NULL,
	    "file_read refuses a FIFO at once: %s", err);
	unlink(path);
}

static void
test_file_check_private(void)
{
	char	 path[PATH_MAX], err[ERR_MAX];

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	if (tap_write_file(path, "s3cret\n", 7, 0600) == -1) {
		tap_ok(0, "write %s: %s", path, strerror(errno));
		return;
	}
	tap_int(file_check_private(path, err), 0, "mode 0600 is private");
	chmod(path, 0400);
	tap_int(file_check_private(path, err), 0, "mode 0400 is private");

	chmod(path, 0644);
	err[0] = '\0';
	tap_int(file_check_private(path, err), -1, "mode 0644 is refused");
	tap_ok(strstr(err, path) != NULL && strstr(err, "0644") != NULL &&
	    strstr(err, "chmod 600") != NULL,
	    "the reason names the file, the mode and the fix: %s", err);
	chmod(path, 0640);
	tap_int(file_check_private(path, err), -1, "mode 0640 is refused");
	chmod(path, 0604);
	tap_int(file_check_private(path, err), -1, "mode 0604 is refused");
	chmod(path, 0610);
	tap_int(file_check_private(path, err), -1,
	    "mode 0610 (group execute) is refused");

	snprintf(path, sizeof(path), "%s/nothing-here", tmpdir);
	err[0] = '\0';
	tap_int(file_check_private(path, err), -1, "a missing file is refused");
	tap_ok(strstr(err, path) != NULL && strstr(err, strerror(ENOENT)) !=
	    NULL, "the reason names the missing file: %s", err);
}

static void
test_paths(void)
{
	char	 out[PATH_MAX], small[8];

	tap_int(path_resolve("/etc/sightline", "key.pem", out, sizeof(out)),
	    0, "path_resolve joins a relative path");
	tap_str(out, "/etc/sightline/key.pem", "relative path under dir");
	path_resolve("/etc/sightline", "/var/key.pem", out, sizeof(out));
	tap_str(out, "/var/key.pem", "an absolute path stays as it is");
	path_resolve(NULL, "key.pem", out, sizeof(out));
	tap_str(out, "key.pem", "no directory leaves the path alone");
	path_resolve("", "key.pem", out, sizeof(out));
	tap_str(out, "key.pem", "an empty directory leaves the path alone");
	path_resolve(".", "sub/key.pem", out, sizeof(out));
	tap_str(out, "./sub/key.pem", "the directory \".\" is kept");
	tap_int(path_resolve("/etc", "abcdefgh", small, sizeof(small)), -1,
	    "path_resolve fails when the result does not fit");
	tap_int(path_resolve("/a", "bcdef", small, sizeof(small)), -1,
	    "path_resolve fails one byte over");
	tap_int(path_resolve("/a", "bcde", small, sizeof(small)), 0,
	    "path_resolve fits exactly");
	tap_str(small, "/a/bcde", "the exact fit is complete");

	path_dir("/etc/sightline/sightline.conf", out, sizeof(out));
	tap_str(out, "/etc/sightline", "path_dir of an absolute path");
	path_dir("conf/sightline.conf", out, sizeof(out));
	tap_str(out, "conf", "path_dir of a relative path");
	path_dir("sightline.conf", out, sizeof(out));
	tap_str(out, ".", "path_dir of a bare name is \".\"");
	path_dir("/sightline.conf", out, sizeof(out));
	tap_str(out, "/", "path_dir of a file in / is \"/\"");
	path_dir("/very/long/directory/name/f", small, sizeof(small));
	tap_str(small, "/very/l", "path_dir truncates to the buffer");
}

int
main(void)
{
	char	 path[PATH_MAX];

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_strlcpy();
	test_strtonum();
	test_err();
	test_buf();
	test_utf8();
	test_hex();
	test_file_read();
	test_file_check_private();
	test_paths();

	snprintf(path, sizeof(path), "%s/ten", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return tap_done();
}
