/*
 * log.c: one place where lines leave the process, in the OpenBSD style:
 * log_warn() appends strerror(errno), log_warnx() does not, fatal() and
 * fatalx() log and exit. The destination is standard error, syslog or a
 * file (appended; a reload opens it again, so log rotation works).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sightline.h"

static int	 log_verbose;
static int	 log_syslog;
static FILE	*log_file;		/* NULL means standard error */

void
log_init(int verbose)
{
	log_verbose = verbose;
	log_file = NULL;
	log_syslog = 0;
}

/*
 * Set the destination: "stderr", "syslog" or an absolute file path.
 * Returns 0, or -1 with a reason (the old destination stays).
 */
int
log_open(const char *dest, char *err)
{
	FILE	*f;
	int	 fd;

	if (strcmp(dest, "stderr") == 0) {
		log_close();
		return 0;
	}
	if (strcmp(dest, "syslog") == 0) {
		log_close();
		openlog("sightlined", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = 1;
		return 0;
	}
	fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1 || (f = fdopen(fd, "a")) == NULL) {
		err_set(err, "log %s: %s", dest, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	log_close();
	log_file = f;
	return 0;
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	if (log_syslog)
		closelog();
	log_file = NULL;
	log_syslog = 0;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
log_emit(int pri, const char *fmt, va_list ap)
{
	static const char	*names[] = {
		[LOG_ERR] = "error", [LOG_WARNING] = "warning",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	char			 msg[2048], stamp[32];
	struct timespec		 ts;
	struct tm		 tm;
	FILE			*out;
	size_t			 i;
	int			 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A log line is one line: control bytes from peers become '?'. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (log_syslog) {
		syslog(pri, "%s", msg);
	} else {
		out = log_file != NULL ? log_file : stderr;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(out, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000,
		    names[pri], msg);
		fflush(out);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 e = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(e));
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 e = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fatalx("%s: %s", buf, strerror(e));
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
