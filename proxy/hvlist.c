/*
 * hvlist.c: listing every configured hypervisor off the event loop. A
 * libvirt call blocks, and a remote one (qemu+ssh, qemu+tls) can take
 * seconds or hang on a dead host; done on the loop, no hoster would be
 * answered meanwhile. A listing is a few threads that take nodes from a
 * shared index and call hyper_list() (libvirt.c) for each; the loop learns
 * that they finished through a pipe, or gives up at the timeout.
 *
 * A node still being listed at the timeout is reported unreachable. Its
 * thread cannot be interrupted inside libvirt, so the listing is shared:
 * the loop and every thread hold a reference, and the last one to let go
 * frees it. A late answer is thrown away.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sightline.h"

struct hvlist_node {
	char		*hl_panel;
	char		*hl_node;
	char		*hl_uri;
	json_t		*hl_domains;	/* NULL until listed, or failed */
	char		 hl_error[ERR_MAX];	/* "" until it failed */
	int		 hl_done;
};

struct hvlist {
	pthread_mutex_t		 hv_lock;
	int			 hv_refs;	/* the loop's and each thread's */
	int			 hv_abandoned;	/* the loop let go */
	struct hvlist_node	*hv_nodes;
	size_t			 hv_n;
	size_t			 hv_next;	/* the next node to take */
	size_t			 hv_running;	/* threads not finished */
	int			 hv_pipe[2];	/* a byte: every thread finished */
	struct event		*hv_ev;		/* on the pipe and the timeout */
	struct hv_node		*hv_result;	/* what hvlist_nodes() gives */
	double			 hv_timeout;
	hvlist_done_fn		 hv_cb;
	void			*hv_arg;
};

/* Let go of one reference; the last frees. Called with the lock held. */
static void
hvlist_release(struct hvlist *hv)
{
	size_t	 i;

	if (--hv->hv_refs > 0) {
		pthread_mutex_unlock(&hv->hv_lock);
		return;
	}
	pthread_mutex_unlock(&hv->hv_lock);
	pthread_mutex_destroy(&hv->hv_lock);
	for (i = 0; i < hv->hv_n; i++) {
		free(hv->hv_nodes[i].hl_panel);
		free(hv->hv_nodes[i].hl_node);
		free(hv->hv_nodes[i].hl_uri);
		json_decref(hv->hv_nodes[i].hl_domains);
	}
	free(hv->hv_nodes);
	free(hv->hv_result);
	if (hv->hv_pipe[0] != -1)
		close(hv->hv_pipe[0]);
	if (hv->hv_pipe[1] != -1)
		close(hv->hv_pipe[1]);
	free(hv);
}

static void *
hvlist_thread(void *arg)
{
	struct hvlist		*hv = arg;
	struct hvlist_node	*n;
	json_t			*domains;
	char			 err[ERR_MAX], uri[HYPER_URI_MAX + 1];
	size_t			 i;
	int			 rc;
	ssize_t			 w;

	pthread_mutex_lock(&hv->hv_lock);
	while (!hv->hv_abandoned && hv->hv_next < hv->hv_n) {
		i = hv->hv_next++;
		strlcpy(uri, hv->hv_nodes[i].hl_uri, sizeof(uri));
		pthread_mutex_unlock(&hv->hv_lock);
		domains = NULL;
		err[0] = '\0';
		rc = hyper_list(uri, &domains, err);
		pthread_mutex_lock(&hv->hv_lock);
		if (hv->hv_abandoned) {
			/* The loop has read the nodes: touch none of them. */
			json_decref(domains);
			break;
		}
		n = &hv->hv_nodes[i];
		if (rc == -1) {
			json_decref(domains);
			strlcpy(n->hl_error, err, sizeof(n->hl_error));
		} else
			n->hl_domains = domains;
		n->hl_done = 1;
	}
	if (--hv->hv_running == 0 && !hv->hv_abandoned) {
		do
			w = write(hv->hv_pipe[1], "", 1);
		while (w == -1 && errno == EINTR);
	}
	hvlist_release(hv);
	return NULL;
}

/*
 * The pipe (every thread finished) or the timeout (some did not): say
 * what each node gave, stop the threads from writing, call back.
 */
static void
hvlist_ready(evutil_socket_t fd, short what, void *arg)
{
	struct hvlist		*hv = arg;
	struct hvlist_node	*n;
	char			 c;
	size_t			 i;

	(void)fd;
	if (what & EV_READ)
		(void)read(hv->hv_pipe[0], &c, 1);
	pthread_mutex_lock(&hv->hv_lock);
	hv->hv_abandoned = 1;
	for (i = 0; i < hv->hv_n; i++) {
		n = &hv->hv_nodes[i];
		hv->hv_result[i].hn_panel = n->hl_panel;
		hv->hv_result[i].hn_node = n->hl_node;
		hv->hv_result[i].hn_domains = n->hl_domains;
		hv->hv_result[i].hn_error = NULL;
		if (n->hl_domains != NULL)
			continue;
		/*
		 * libvirt's reason names hosts, paths and accounts of the
		 * reseller's network: it goes to the log, and the hoster is
		 * told only which kind of failure it was.
		 */
		if (!n->hl_done) {
			snprintf(n->hl_error, sizeof(n->hl_error), "no answer "
			    "within %.0f s (snapshots.hypervisor_timeout)",
			    hv->hv_timeout);
			log_warnx("panel %s: hypervisor %s: %s", n->hl_panel,
			    n->hl_node, n->hl_error);
		} else {
			log_warnx("panel %s: hypervisor %s: %s", n->hl_panel,
			    n->hl_node, n->hl_error);
			strlcpy(n->hl_error, HVLIST_UNREADABLE,
			    sizeof(n->hl_error));
		}
		hv->hv_result[i].hn_error = n->hl_error;
	}
	pthread_mutex_unlock(&hv->hv_lock);
	hv->hv_cb(hv, hv->hv_arg);
}

/*
 * List every hypervisor of cf's panels, in up to HVLIST_THREADS threads,
 * and call cb(hv, arg) on base's loop when all answered or timeout
 * seconds passed. Returns the listing (caller frees with hvlist_free(),
 * at the earliest from cb), or NULL with a reason.
 */
struct hvlist *
hvlist_start(struct event_base *base, const struct conf *cf, double timeout,
    hvlist_done_fn cb, void *arg, char *err)
{
	struct hvlist		*hv;
	struct hvlist_node	*n;
	const struct conf_panel	*pc;
	struct timeval		 tv;
	pthread_t		 t;
	size_t			 i, j, nthreads;

	if ((hv = calloc(1, sizeof(*hv))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	hv->hv_pipe[0] = hv->hv_pipe[1] = -1;
	hv->hv_refs = 1;
	hv->hv_timeout = timeout;
	hv->hv_cb = cb;
	hv->hv_arg = arg;
	if ((errno = pthread_mutex_init(&hv->hv_lock, NULL)) != 0) {
		err_set(err, "pthread_mutex_init: %s", strerror(errno));
		free(hv);
		return NULL;
	}
	if ((hv->hv_nodes = calloc(cf->cf_nhypers + 1,
	    sizeof(*hv->hv_nodes))) == NULL ||
	    (hv->hv_result = calloc(cf->cf_nhypers + 1,
	    sizeof(*hv->hv_result))) == NULL)
		goto oom;
	for (i = 0; i < cf->cf_npanels; i++) {
		pc = &cf->cf_panels[i];
		for (j = 0; j < pc->pc_nhypers; j++) {
			n = &hv->hv_nodes[hv->hv_n++];
			if ((n->hl_panel = strdup(pc->pc_name)) == NULL ||
			    (n->hl_node = strdup(pc->pc_hypers[j].hy_node)) ==
			    NULL ||
			    (n->hl_uri = strdup(pc->pc_hypers[j].hy_uri)) ==
			    NULL)
				goto oom;
		}
	}
	if (pipe(hv->hv_pipe) == -1) {
		err_set(err, "pipe: %s", strerror(errno));
		goto fail;
	}
	(void)fcntl(hv->hv_pipe[0], F_SETFL, O_NONBLOCK);
	if ((hv->hv_ev = event_new(base, hv->hv_pipe[0], EV_READ,
	    hvlist_ready, hv)) == NULL)
		goto oom;
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	event_add(hv->hv_ev, &tv);

	nthreads = hv->hv_n < HVLIST_THREADS ? hv->hv_n : HVLIST_THREADS;
	if (nthreads == 0) {
		/* Nothing to list: finished at once, through the loop. */
		event_active(hv->hv_ev, EV_READ, 0);
		return hv;
	}
	for (i = 0; i < nthreads; i++) {
		pthread_mutex_lock(&hv->hv_lock);
		hv->hv_refs++;
		hv->hv_running++;
		pthread_mutex_unlock(&hv->hv_lock);
		if ((errno = pthread_create(&t, NULL, hvlist_thread, hv)) !=
		    0) {
			err_set(err, "pthread_create: %s", strerror(errno));
			pthread_mutex_lock(&hv->hv_lock);
			hv->hv_refs--;
			hv->hv_running--;
			pthread_mutex_unlock(&hv->hv_lock);
			if (i == 0)
				goto fail;
			break;	/* the threads started do the work */
		}
		pthread_detach(t);
	}
	return hv;
oom:
	err_set(err, "out of memory");
fail:
	hvlist_free(hv);
	return NULL;
}

/*
 * The nodes, as hvcheck_details() wants them, once cb was called: each
 * with its domains or why it has none. Borrowed from hv.
 */
const struct hv_node *
hvlist_nodes(const struct hvlist *hv, size_t *n)
{
	*n = hv->hv_n;
	return hv->hv_result;
}

/* Stop waiting; threads still in libvirt free their part when done. */
void
hvlist_free(struct hvlist *hv)
{
	if (hv == NULL)
		return;
	if (hv->hv_ev != NULL)
		event_free(hv->hv_ev);
	hv->hv_ev = NULL;
	pthread_mutex_lock(&hv->hv_lock);
	hv->hv_abandoned = 1;
	hvlist_release(hv);
}
