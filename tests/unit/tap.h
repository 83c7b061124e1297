/*
 * tap.h: the Test Anything Protocol for the C unit tests, run by
 * automake's tap-driver.sh. Every check prints one line; tap_done()
 * prints the plan and is the test's exit status. Also the one helper
 * several tests need: tap_write_file().
 */
#ifndef TAP_H
#define TAP_H

#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int	tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline void
tap_diag(const char *fmt, ...)
{
	va_list	 ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Strings equal (NULL only equals NULL); shows both when not. */
static inline int
tap_str(const char *got, const char *want, const char *what)
{
	int	 same = (got == NULL || want == NULL) ? got == want :
		    strcmp(got, want) == 0;

	if (!tap_ok(same, "%s", what)) {
		tap_diag("got:  %s", got != NULL ? got : "(null)");
		tap_diag("want: %s", want != NULL ? want : "(null)");
	}
	return same;
}

static inline int
tap_int(long long got, long long want, const char *what)
{
	if (!tap_ok(got == want, "%s", what)) {
		tap_diag("got:  %lld", got);
		tap_diag("want: %lld", want);
		return 0;
	}
	return 1;
}

/* Write len bytes of data to path, then give it mode. 0, or -1. */
static inline int
tap_write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	return chmod(path, mode);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
