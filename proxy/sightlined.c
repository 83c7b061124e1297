/*
 * sightlined: the reseller's daemon. A read-only, redacting reverse proxy
 * in front of VPS panel APIs; see sightlined(8).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sightline.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#define SIGHTLINED_CONF	SYSCONFDIR "/sightline/sightline.conf"

struct daemon {
	struct event_base	*d_base;
	struct front		*d_front;
	struct state		*d_state;	/* borrowed; the API holds it */
	const char		*d_path;
	int			 d_debug;
};

static __dead void
usage(void)
{
	fprintf(stderr, "usage: sightlined [-dnv] [-f file]\n");
	exit(2);
}

/* Do two configurations listen on the same addresses? */
static int
same_listen(const struct conf *a, const struct conf *b)
{
	size_t	 i;

	if (a->cf_nlisten != b->cf_nlisten)
		return 0;
	for (i = 0; i < a->cf_nlisten; i++)
		if (strcmp(a->cf_listen[i].li_address,
		    b->cf_listen[i].li_address) != 0 ||
		    a->cf_listen[i].li_port != b->cf_listen[i].li_port ||
		    a->cf_listen[i].li_tls != b->cf_listen[i].li_tls)
			return 0;
	return 1;
}

/*
 * SIGHUP: build a whole new state; swap it in only if everything loaded
 * and the new policies accept the current records. Otherwise the running
 * state stays and the reasons are logged.
 */
static void
reload(struct daemon *d)
{
	struct state	*st;
	char		*errors, *line, *next;
	char		 err[ERR_MAX];

	log_info("reloading %s", d->d_path);
	if ((st = state_new(d->d_base, d->d_path, &errors)) == NULL) {
		log_warnx("reload failed, the running configuration stays");
		/* One log line per error: the log masks control characters. */
		for (line = errors; line != NULL && *line != '\0';
		    line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			log_warnx("reload: %s", line);
		}
		if (errors == NULL)
			log_warnx("reload: out of memory");
		free(errors);
		return;
	}
	if (snapshot_check_reload(st->st_conf, d->d_state->st_conf, err) ==
	    -1 || state_adopt(st, d->d_state, err) == -1) {
		log_warnx("reload failed, the running configuration stays: %s",
		    err);
		state_unref(st);
		return;
	}
	if (!same_listen(st->st_conf, d->d_state->st_conf))
		log_warnx("listen addresses changed: they take effect at the "
		    "next restart");
	if (!d->d_debug && log_open(st->st_conf->cf_log, err) == -1)
		log_warnx("%s; logging stays where it was", err);
	front_configure(d->d_front, st->st_conf, st->st_tls);
	state_stop(d->d_state);
	api_set_state(st);
	snapshot_set_state(st);
	d->d_state = st;
	state_unref(st);
	log_info("configuration reloaded");
}

/*
 * The probe behind sightline_event_loop_lag_seconds: a timer every
 * LAG_PROBE_INTERVAL seconds, and how late it fires.
 */
#define LAG_PROBE_INTERVAL	0.1
/* Seconds the loop runs on after SIGTERM, to send the last answers. */
#define SHUTDOWN_GRACE		0.25

static void
on_lag_probe(evutil_socket_t fd, short what, void *arg)
{
	double	*due = arg, now = mono_now();

	metrics_loop_lag(now > *due ? now - *due : 0);
	*due = now + LAG_PROBE_INTERVAL;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	switch (sig) {
	case SIGHUP:
		if (d->d_state != NULL)	/* NULL once stopping */
			reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("stopping on signal %d", (int)sig);
		event_base_loopexit(d->d_base, NULL);
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct daemon	 d;
	struct event	*sig[3], *lag;
	double		 lag_due;
	struct timeval	 tv;
	char		*errors;
	char		 err[ERR_MAX];
	int		 ch, check = 0, i;
	static const int signals[3] = { SIGHUP, SIGTERM, SIGINT };

	memset(&d, 0, sizeof(d));
	d.d_path = SIGHTLINED_CONF;
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			d.d_debug = 1;
			break;
		case 'f':
			d.d_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			printf("sightlined %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(d.d_debug);
	crypto_init();
	upstream_global_init();
	signal(SIGPIPE, SIG_IGN);
	if ((d.d_base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");

	if ((d.d_state = state_new(d.d_base, d.d_path, &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors != NULL ? errors :
		    "out of memory");
		free(errors);
		event_base_free(d.d_base);
		upstream_global_cleanup();
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		state_unref(d.d_state);
		event_base_free(d.d_base);
		upstream_global_cleanup();
		return 0;
	}
	/*
	 * A state that does not match its last checkpoint is not served;
	 * the reason goes to standard error, before the log moves.
	 */
	if (snapshot_open(d.d_base, d.d_state->st_conf, err) == -1)
		fatalx("%s", err);
	if (!d.d_debug && log_open(d.d_state->st_conf->cf_log, err) == -1)
		fatalx("%s", err);
	d.d_front = front_new(d.d_base, d.d_state->st_conf, d.d_state->st_tls,
	    api_handle, NULL, err);
	if (d.d_front == NULL)
		fatalx("%s", err);
	api_set_state(d.d_state);
	snapshot_set_state(d.d_state);
	state_unref(d.d_state);
	for (i = 0; i < 3; i++) {
		sig[i] = evsignal_new(d.d_base, signals[i], on_signal, &d);
		if (sig[i] == NULL || evsignal_add(sig[i], NULL) == -1)
			fatalx("cannot handle signal %d", signals[i]);
	}
	lag_due = mono_now() + LAG_PROBE_INTERVAL;
	lag = event_new(d.d_base, -1, EV_PERSIST, on_lag_probe, &lag_due);
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(LAG_PROBE_INTERVAL * 1e6);
	if (lag == NULL || event_add(lag, &tv) == -1)
		fatalx("cannot start the event loop probe");
	log_info("sightlined %s started with %s", PACKAGE_VERSION, d.d_path);

	event_base_dispatch(d.d_base);
	event_free(lag);

	api_shutdown();
	snapshot_close();
	d.d_state = NULL;
	/* Let the answers api_shutdown() queued reach their clients. */
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(SHUTDOWN_GRACE * 1e6);
	event_base_loopexit(d.d_base, &tv);
	event_base_dispatch(d.d_base);
	front_free(d.d_front);
	for (i = 0; i < 3; i++)
		event_free(sig[i]);
	event_base_free(d.d_base);
	upstream_global_cleanup();
	log_info("stopped");
	log_close();
	return 0;
}
