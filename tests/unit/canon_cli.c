/*
 * canon_cli.c: canon_parse() then canon_write() over standard input, for
 * tests that compare sightline's JCS bytes with another implementation's
 * (tests/interop/test_jcs_npm.py). Not installed, not a test itself.
 *
 *	canon_cli	 the whole input is one document; its canonical bytes
 *			 go to standard output, with no newline
 *	canon_cli -l	 one document per input line, one canonical document
 *			 per output line; a refused line prints "!error: why"
 *
 * Exits 0, or 1 when a document was refused (the reason on stderr).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"

#define INPUT_MAX	(256 * 1024 * 1024)

/* Canonical bytes of one JSON text into out; 0, or -1 with err. */
static int
canonicalize(const char *in, size_t len, struct buf *out, char *err)
{
	json_t	*v;
	int	 rc;

	if ((v = canon_parse(in, len, err)) == NULL)
		return -1;
	rc = canon_write(out, v, err);
	json_decref(v);
	return rc;
}

int
main(int argc, char **argv)
{
	struct buf	 in, out;
	char		 chunk[65536], err[ERR_MAX];
	const char	*p, *nl, *end;
	ssize_t		 n;
	int		 lines = 0, status = 0;

	if (argc == 2 && strcmp(argv[1], "-l") == 0)
		lines = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: canon_cli [-l] < json\n");
		return 2;
	}
	buf_init(&in);
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0) {
		buf_add(&in, chunk, (size_t)n);
		if (in.b_oom || in.b_len > INPUT_MAX) {
			fprintf(stderr, "canon_cli: input too large\n");
			return 1;
		}
	}
	if (n == -1) {
		perror("canon_cli: read");
		return 1;
	}
	buf_init(&out);
	if (!lines) {
		if (canonicalize(in.b_data != NULL ? in.b_data : "", in.b_len,
		    &out, err) == -1) {
			fprintf(stderr, "canon_cli: %s\n", err);
			status = 1;
		}
	} else if (in.b_len > 0) {
		end = in.b_data + in.b_len;
		for (p = in.b_data; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				nl = end;
			if (canonicalize(p, (size_t)(nl - p), &out, err) == -1) {
				buf_printf(&out, "!error: %s", err);
				fprintf(stderr, "canon_cli: line: %s\n", err);
				status = 1;
			}
			buf_add(&out, "\n", 1);
		}
	}
	if (out.b_oom || (out.b_len > 0 &&
	    fwrite(out.b_data, 1, out.b_len, stdout) != out.b_len) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "canon_cli: cannot write the output\n");
		status = 1;
	}
	buf_free(&in);
	buf_free(&out);
	return status;
}
