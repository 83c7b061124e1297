/*
 * upstream.c: the only file that speaks libcurl. One upstream per panel:
 * a curl multi handle driven by the daemon's libevent loop (the
 * multi-socket interface), a bounded number of transfers in flight with
 * kept-alive connections, and a queue for the rest. Every transfer is a
 * GET; redirects are not followed; the body is capped in the write
 * callback. Credentials live in the prepared header and query and are
 * never logged: log lines show the path without its query.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "sightline.h"

#define UPSTREAM_BODY_INITIAL	(16 * 1024)

struct upstream_req {
	TAILQ_ENTRY(upstream_req) ur_entry;
	struct upstream		*ur_up;
	CURL			*ur_easy;	/* NULL while queued */
	char			*ur_path;	/* path and our query, loggable */
	upstream_cb		 ur_cb;
	void			*ur_arg;
	char			*ur_body;
	size_t			 ur_len, ur_cap;
	int			 ur_toobig;
	double			 ur_start;
	char			 ur_errbuf[CURL_ERROR_SIZE];
};

TAILQ_HEAD(upstream_queue, upstream_req);

struct upstream {
	struct event_base	*up_base;
	CURLM			*up_multi;
	CURLSH			*up_share;	/* TLS sessions, DNS */
	struct event		*up_pump;	/* starts queued requests */
	struct event		*up_timer;
	char			*up_name;	/* panel name, for logs */
	char			*up_root;	/* URL up to the API root */
	char			*up_authquery;	/* secret: appended to queries */
	struct curl_slist	*up_headers;	/* secret: holds the auth header */
	char			*up_ca_file;
	uint8_t			 up_fingerprint[SHA256_LEN];
	int			 up_pinned;
	int			 up_max;	/* transfers in flight */
	int			 up_running;
	long			 up_connect_ms, up_timeout_ms;
	size_t			 up_max_body;
	struct upstream_queue	 up_queue;	/* waiting to start */
	struct upstream_queue	 up_active;
	int			 up_busy;	/* inside a callback */
	int			 up_dying;	/* freed while busy */
};

struct upstream_sock {
	struct event	*us_ev;
	struct upstream	*us_up;
};

static void	upstream_pump(struct upstream *);
static void	upstream_pump_cb(evutil_socket_t, short, void *);

const char *
upstream_strerror(enum upstream_error e)
{
	switch (e) {
	case UPSTREAM_OK:
		return "ok";
	case UPSTREAM_CONNECT:
		return "cannot connect to the panel";
	case UPSTREAM_TLS:
		return "TLS handshake or certificate check with the panel "
		    "failed";
	case UPSTREAM_TIMEOUT:
		return "the panel did not answer in time";
	case UPSTREAM_TOOBIG:
		return "the panel's answer is larger than max_body_bytes";
	case UPSTREAM_TRUNCATED:
		return "the panel's answer was cut short (truncated body)";
	case UPSTREAM_NOANSWER:
		return "the panel closed the connection without answering";
	case UPSTREAM_PROTOCOL:
		return "the transfer from the panel failed";
	case UPSTREAM_NOMEM:
		return "out of memory while receiving the panel's answer";
	}
	return "unknown upstream error";
}

static size_t
upstream_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct upstream_req	*r = arg;
	size_t			 n = size * nmemb, cap;
	curl_off_t		 announced = -1;
	char			*p;

	/* A body announced too large is refused before it is read. */
	if (r->ur_len == 0 && curl_easy_getinfo(r->ur_easy,
	    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) == CURLE_OK &&
	    announced > (curl_off_t)r->ur_up->up_max_body) {
		r->ur_toobig = 1;
		return 0;
	}
	/* Debian 12's libcurl does not cap bodies of unannounced size. */
	if (n > r->ur_up->up_max_body - r->ur_len) {
		r->ur_toobig = 1;
		return 0;
	}
	if (r->ur_len + n + 1 > r->ur_cap) {
		cap = r->ur_cap == 0 ? UPSTREAM_BODY_INITIAL : r->ur_cap;
		while (cap < r->ur_len + n + 1)
			cap *= 2;
		if (cap > r->ur_up->up_max_body + 1)
			cap = r->ur_up->up_max_body + 1;
		if ((p = realloc(r->ur_body, cap)) == NULL)
			return 0;
		r->ur_body = p;
		r->ur_cap = cap;
	}
	memcpy(r->ur_body + r->ur_len, data, n);
	r->ur_len += n;
	r->ur_body[r->ur_len] = '\0';
	return n;
}

static CURLcode
upstream_sslctx(CURL *easy, void *sslctx, void *arg)
{
	struct upstream	*up = arg;

	return crypto_tls_pin(sslctx, up->up_fingerprint) == 0 ? CURLE_OK :
	    CURLE_SSL_CERTPROBLEM;
}

static void
upstream_req_free(struct upstream_req *r)
{
	if (r == NULL)
		return;
	if (r->ur_easy != NULL)
		curl_easy_cleanup(r->ur_easy);
	free(r->ur_path);
	free(r->ur_body);
	free(r);
}

static int
upstream_start(struct upstream *up, struct upstream_req *r)
{
	char	*url = NULL;
	CURL	*e;
	size_t	 len;
	int	 n;

	len = strlen(up->up_root) + strlen(r->ur_path) +
	    (up->up_authquery != NULL ? strlen(up->up_authquery) + 2 : 1);
	if ((url = malloc(len)) == NULL)
		return -1;
	n = snprintf(url, len, "%s%s%s%s", up->up_root, r->ur_path,
	    up->up_authquery == NULL ? "" :
	    strchr(r->ur_path, '?') != NULL ? "&" : "?",
	    up->up_authquery == NULL ? "" : up->up_authquery);
	if (n < 0 || (size_t)n >= len || (e = curl_easy_init()) == NULL) {
		crypto_wipe(url, len);
		free(url);
		return -1;
	}
	r->ur_easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	/* curl copied the URL; the copy we made may hold a credential. */
	crypto_wipe(url, len);
	free(url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_SHARE, up->up_share);
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, up->up_headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sightline/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, up->up_connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, up->up_timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, upstream_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->ur_errbuf);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	if (up->up_pinned) {
		/* The pin replaces chain and name checks, and is stricter. */
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, upstream_sslctx);
		curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, up);
	} else {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
		if (up->up_ca_file != NULL)
			curl_easy_setopt(e, CURLOPT_CAINFO, up->up_ca_file);
	}
	r->ur_start = mono_now();
	if (curl_multi_add_handle(up->up_multi, e) != CURLM_OK)
		return -1;
	TAILQ_INSERT_TAIL(&up->up_active, r, ur_entry);
	up->up_running++;
	return 0;
}

static enum upstream_error
upstream_classify(const struct upstream_req *r, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return UPSTREAM_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return UPSTREAM_TIMEOUT;
	case CURLE_WRITE_ERROR:
		return r->ur_toobig ? UPSTREAM_TOOBIG : UPSTREAM_NOMEM;
	case CURLE_PARTIAL_FILE:
		return UPSTREAM_TRUNCATED;
	case CURLE_GOT_NOTHING:
		return UPSTREAM_NOANSWER;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return UPSTREAM_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
		return UPSTREAM_TLS;
	default:
		return UPSTREAM_PROTOCOL;
	}
}

static void
upstream_finish(struct upstream *up, struct upstream_req *r, CURLcode rc)
{
	struct upstream_reply	 rep;
	long			 status = 0;
	char			*ctype = NULL;
	char			 msg[ERR_MAX];
	const char		*why;

	memset(&rep, 0, sizeof(rep));
	curl_easy_getinfo(r->ur_easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->ur_easy, CURLINFO_CONTENT_TYPE, &ctype);
	rep.ur_error = upstream_classify(r, rc);
	rep.ur_errmsg = upstream_strerror(rep.ur_error);
	why = r->ur_errbuf[0] != '\0' ? r->ur_errbuf : curl_easy_strerror(rc);
	/*
	 * Say which check failed (issuer, name, pin): the hoster and the
	 * reseller need it, and nothing secret is sent before the
	 * handshake completes.
	 */
	if (rep.ur_error == UPSTREAM_TLS && r->ur_errbuf[0] != '\0') {
		snprintf(msg, sizeof(msg), "%s (%s%s)", rep.ur_errmsg,
		    r->ur_errbuf, up->up_pinned ? "; the certificate must "
		    "match the configured fingerprint" : "");
		rep.ur_errmsg = msg;
		why = NULL;	/* said already */
	}
	rep.ur_status = rep.ur_error == UPSTREAM_OK ? (int)status : 0;
	rep.ur_content_type = ctype;
	rep.ur_body = r->ur_body != NULL ? r->ur_body : "";
	rep.ur_len = r->ur_len;
	rep.ur_seconds = mono_now() - r->ur_start;
	if (rep.ur_error != UPSTREAM_OK)
		log_warnx("%s: GET %.*s: %s%s%s%s", up->up_name,
		    (int)strcspn(r->ur_path, "?"), r->ur_path, rep.ur_errmsg,
		    why != NULL ? " (" : "", why != NULL ? why : "",
		    why != NULL ? ")" : "");
	else
		log_debug("%s: GET %.*s: %d, %zu bytes, %.1f ms", up->up_name,
		    (int)strcspn(r->ur_path, "?"), r->ur_path, rep.ur_status,
		    rep.ur_len, rep.ur_seconds * 1000);
	metrics_upstream(up->up_name, rep.ur_status, rep.ur_error,
	    rep.ur_seconds);
	TAILQ_REMOVE(&up->up_active, r, ur_entry);
	up->up_running--;
	curl_multi_remove_handle(up->up_multi, r->ur_easy);
	if (r->ur_cb != NULL)
		r->ur_cb(&rep, r->ur_arg);
	upstream_req_free(r);
}

static void
upstream_reap(struct upstream *up)
{
	struct upstream_req	*r;
	CURLMsg			*m;
	int			 left;

	up->up_busy++;
	while (!up->up_dying &&
	    (m = curl_multi_info_read(up->up_multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		upstream_finish(up, r, m->data.result);
	}
	up->up_busy--;
	if (up->up_dying && up->up_busy == 0) {
		up->up_dying = 0;
		upstream_free(up);
		return;
	}
	upstream_pump(up);
}

/* Start queued transfers while there is room. */
static void
upstream_pump(struct upstream *up)
{
	struct upstream_req	*r;
	struct upstream_reply	 rep;

	while (up->up_running < up->up_max &&
	    (r = TAILQ_FIRST(&up->up_queue)) != NULL) {
		TAILQ_REMOVE(&up->up_queue, r, ur_entry);
		if (upstream_start(up, r) == 0)
			continue;
		memset(&rep, 0, sizeof(rep));
		rep.ur_error = UPSTREAM_NOMEM;
		rep.ur_errmsg = upstream_strerror(rep.ur_error);
		rep.ur_body = "";
		up->up_busy++;
		if (r->ur_cb != NULL)
			r->ur_cb(&rep, r->ur_arg);
		up->up_busy--;
		upstream_req_free(r);
		if (up->up_dying && up->up_busy == 0) {
			up->up_dying = 0;
			upstream_free(up);
			return;
		}
	}
}

static void
upstream_event(evutil_socket_t fd, short what, void *arg)
{
	struct upstream	*up = arg;
	int		 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(up->up_multi, fd, action, &running);
	upstream_reap(up);
}

static void
upstream_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct upstream	*up = arg;
	int		 running;

	curl_multi_socket_action(up->up_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	upstream_reap(up);
}

static int
upstream_socket(CURL *easy, curl_socket_t s, int what, void *arg,
    void *sockp)
{
	struct upstream		*up = arg;
	struct upstream_sock	*us = sockp;
	short			 ev = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (us != NULL) {
			event_free(us->us_ev);
			free(us);
			curl_multi_assign(up->up_multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (us == NULL) {
		if ((us = calloc(1, sizeof(*us))) == NULL)
			return -1;
		us->us_up = up;
		curl_multi_assign(up->up_multi, s, us);
	} else {
		event_free(us->us_ev);
	}
	us->us_ev = event_new(up->up_base, s, ev, upstream_event, up);
	if (us->us_ev == NULL || event_add(us->us_ev, NULL) == -1)
		return -1;
	return 0;
}

static int
upstream_timer(CURLM *multi, long ms, void *arg)
{
	struct upstream	*up = arg;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(up->up_timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(up->up_timer, &tv);
}

/*
 * A new upstream for one panel. root is the URL up to the API root
 * ("https://pve:8006/api2/json"); authheader ("Authorization: ...") and
 * authquery ("key=...") carry the credentials, either may be NULL. They
 * are copied and wiped on free. Returns NULL with a reason.
 */
struct upstream *
upstream_new(struct event_base *base, const char *name,
    const struct conf_panel *pc, const char *root, const char *authheader,
    const char *authquery, char *err)
{
	struct upstream		*up;
	struct curl_slist	*h;

	if ((up = calloc(1, sizeof(*up))) == NULL)
		goto oom;
	TAILQ_INIT(&up->up_queue);
	TAILQ_INIT(&up->up_active);
	up->up_base = base;
	up->up_max = pc->pc_concurrency;
	up->up_connect_ms = (long)(pc->pc_connect_timeout * 1000);
	up->up_timeout_ms = (long)(pc->pc_timeout * 1000);
	up->up_max_body = pc->pc_max_body;
	up->up_pinned = pc->pc_pinned;
	memcpy(up->up_fingerprint, pc->pc_fingerprint, SHA256_LEN);
	if ((up->up_name = strdup(name)) == NULL ||
	    (up->up_root = strdup(root)) == NULL)
		goto oom;
	if (pc->pc_ca_file != NULL &&
	    (up->up_ca_file = strdup(pc->pc_ca_file)) == NULL)
		goto oom;
	if (authquery != NULL &&
	    (up->up_authquery = strdup(authquery)) == NULL)
		goto oom;
	if ((h = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		goto oom;
	up->up_headers = h;
	if (authheader != NULL &&
	    (h = curl_slist_append(up->up_headers, authheader)) == NULL)
		goto oom;
	if ((up->up_multi = curl_multi_init()) == NULL)
		goto oom;
	/*
	 * Each call has its own easy handle, and libcurl keeps TLS sessions
	 * per handle: without a share, every new connection to the panel
	 * (pveproxy closes one after 100 requests) is a full handshake.
	 */
	if ((up->up_share = curl_share_init()) == NULL ||
	    curl_share_setopt(up->up_share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
	    curl_share_setopt(up->up_share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_DNS) != CURLSHE_OK)
		goto oom;
	if ((up->up_timer = evtimer_new(base, upstream_timeout, up)) == NULL ||
	    (up->up_pump = event_new(base, -1, 0, upstream_pump_cb, up)) ==
	    NULL)
		goto oom;
	curl_multi_setopt(up->up_multi, CURLMOPT_SOCKETFUNCTION,
	    upstream_socket);
	curl_multi_setopt(up->up_multi, CURLMOPT_SOCKETDATA, up);
	curl_multi_setopt(up->up_multi, CURLMOPT_TIMERFUNCTION, upstream_timer);
	curl_multi_setopt(up->up_multi, CURLMOPT_TIMERDATA, up);
	curl_multi_setopt(up->up_multi, CURLMOPT_MAXCONNECTS,
	    (long)up->up_max);
	curl_multi_setopt(up->up_multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)up->up_max);
	return up;
oom:
	err_set(err, "%s: out of memory", name);
	upstream_free(up);
	return NULL;
}

static void
upstream_wipe_headers(struct curl_slist *h)
{
	for (; h != NULL; h = h->next)
		crypto_wipe(h->data, strlen(h->data));
}

/*
 * Free an upstream. Transfers in flight and queued are dropped and their
 * callbacks are not called. Safe to call from inside a callback.
 */
void
upstream_free(struct upstream *up)
{
	struct upstream_req	*r;

	if (up == NULL)
		return;
	if (up->up_busy > 0) {
		up->up_dying = 1;
		return;
	}
	while ((r = TAILQ_FIRST(&up->up_active)) != NULL) {
		TAILQ_REMOVE(&up->up_active, r, ur_entry);
		curl_multi_remove_handle(up->up_multi, r->ur_easy);
		upstream_req_free(r);
	}
	while ((r = TAILQ_FIRST(&up->up_queue)) != NULL) {
		TAILQ_REMOVE(&up->up_queue, r, ur_entry);
		upstream_req_free(r);
	}
	if (up->up_multi != NULL)
		curl_multi_cleanup(up->up_multi);
	if (up->up_share != NULL)
		curl_share_cleanup(up->up_share);
	if (up->up_timer != NULL)
		event_free(up->up_timer);
	if (up->up_pump != NULL)
		event_free(up->up_pump);
	upstream_wipe_headers(up->up_headers);
	curl_slist_free_all(up->up_headers);
	if (up->up_authquery != NULL) {
		crypto_wipe(up->up_authquery, strlen(up->up_authquery));
		free(up->up_authquery);
	}
	free(up->up_ca_file);
	free(up->up_root);
	free(up->up_name);
	free(up);
}

static void
upstream_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	upstream_pump(arg);
}

/*
 * Queue GET path (relative to the API root, with its query) on up. cb is
 * called exactly once with the reply, from the event loop, unless the
 * request is cancelled or the upstream freed first. urgent requests go
 * to the head of the queue: follow-up calls that complete work already
 * begun. Returns the request, or NULL when out of memory.
 */
struct upstream_req *
upstream_get(struct upstream *up, const char *path, int urgent, upstream_cb cb,
    void *arg)
{
	struct upstream_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->ur_path = strdup(path)) == NULL) {
		free(r);
		return NULL;
	}
	r->ur_up = up;
	r->ur_cb = cb;
	r->ur_arg = arg;
	if (urgent)
		TAILQ_INSERT_HEAD(&up->up_queue, r, ur_entry);
	else
		TAILQ_INSERT_TAIL(&up->up_queue, r, ur_entry);
	/*
	 * Started from the loop, not from here: a request that cannot
	 * start is answered through cb, and the caller must have r (and
	 * its own state) before any answer comes.
	 */
	event_active(up->up_pump, 0, 0);
	return r;
}

/*
 * The callback of r will not be called. A queued request is dropped at
 * once; a transfer in flight runs out and is freed then.
 */
void
upstream_cancel(struct upstream_req *r)
{
	r->ur_cb = NULL;
	if (r->ur_easy == NULL) {
		TAILQ_REMOVE(&r->ur_up->up_queue, r, ur_entry);
		upstream_req_free(r);
	}
}

size_t
upstream_queued(const struct upstream *up)
{
	const struct upstream_req	*r;
	size_t				 n = 0;

	TAILQ_FOREACH(r, &up->up_queue, ur_entry)
		n++;
	return n + (size_t)up->up_running;
}

void
upstream_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("%s: curl_global_init failed", __func__);
}

void
upstream_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- a blocking GET, for the command-line tools ---- */

/*
 * What a fetch is collecting. The header section is kept whole, as
 * received, so that httpmsg.c parses it exactly as it parses a saved
 * exchange: field joining, trimming and case are then the verifier's own.
 */
struct upstream_collect {
	struct buf	 uc_head;
	struct buf	 uc_body;
	size_t		 uc_max;
	int		 uc_toobig;
	int		 uc_headbig;
};

static size_t
upstream_fetch_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct upstream_collect	*c = arg;
	size_t			 n = size * nmemb;

	/* A new status line: an informational answer came before it. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		c->uc_head.b_len = 0;
	if (c->uc_head.b_len + n > UPSTREAM_FETCH_HEAD) {
		c->uc_headbig = 1;
		return 0;
	}
	buf_add(&c->uc_head, data, n);
	return c->uc_head.b_oom ? 0 : n;
}

static size_t
upstream_fetch_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct upstream_collect	*c = arg;
	size_t			 n = size * nmemb;

	if (n > c->uc_max - c->uc_body.b_len) {
		c->uc_toobig = 1;
		return 0;
	}
	buf_add(&c->uc_body, data, n);
	return c->uc_body.b_oom ? 0 : n;
}

/*
 * GET url and wait for the whole answer: redirects are not followed, TLS
 * is verified (against cafile when not NULL), the body is capped at
 * UPSTREAM_FETCH_BODY. bearer, when not NULL, goes in an Authorization
 * field and nowhere else: never in a message. Fills out (free with
 * upstream_fetched_clear()) whatever the status; returns 0, or -1 with a
 * reason when no complete answer came.
 */
int
upstream_fetch(const char *url, const char *bearer, const char *cafile,
    struct upstream_fetched *out, char *err)
{
	struct upstream_collect	 c;
	struct curl_slist	*h = NULL, *nh;
	struct buf		 auth;
	char			 errbuf[CURL_ERROR_SIZE], why[ERR_MAX];
	const char		*ctype;
	CURL			*e = NULL;
	CURLcode		 rc;
	long			 status = 0;
	int			 ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	buf_init(&c.uc_head);
	buf_init(&c.uc_body);
	buf_init(&auth);
	c.uc_max = UPSTREAM_FETCH_BODY;
	errbuf[0] = '\0';
	if ((e = curl_easy_init()) == NULL ||
	    (h = curl_slist_append(NULL, "Accept: application/json, "
	    "text/plain")) == NULL)
		goto oom;
	if (bearer != NULL) {
		buf_printf(&auth, "Authorization: Bearer %s", bearer);
		buf_add(&auth, "", 1);
		if (auth.b_oom || (nh = curl_slist_append(h, auth.b_data)) ==
		    NULL)
			goto oom;
		h = nh;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sightline/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)UPSTREAM_CONNECT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)UPSTREAM_FETCH_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, upstream_fetch_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, upstream_fetch_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cafile != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, cafile);
	if ((rc = curl_easy_perform(e)) != CURLE_OK) {
		if (c.uc_toobig)
			err_set(err, "the answer is larger than %d bytes",
			    UPSTREAM_FETCH_BODY);
		else if (c.uc_headbig)
			err_set(err, "the answer's header section is larger "
			    "than %d bytes", UPSTREAM_FETCH_HEAD);
		else
			err_set(err, "%s", errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	out->uf_status = (int)status;
	if (c.uc_head.b_oom)
		goto oom;
	if (httpmsg_parse(c.uc_head.b_data != NULL ? c.uc_head.b_data : "",
	    c.uc_head.b_len, &out->uf_head, why) == -1) {
		err_set(err, "the answer's header section: %s", why);
		goto done;
	}
	if ((out->uf_body = buf_take(&c.uc_body, &out->uf_len)) == NULL)
		goto oom;
	ctype = out->uf_head.hm_msg.sm_field(out->uf_head.hm_msg.sm_arg,
	    "content-type");
	if (ctype != NULL && (out->uf_ctype = strdup(ctype)) == NULL)
		goto oom;
	ret = 0;
	goto done;
oom:
	err_set(err, "out of memory");
done:
	if (ret == -1)
		upstream_fetched_clear(out);
	upstream_wipe_headers(h);
	curl_slist_free_all(h);
	if (auth.b_data != NULL)
		crypto_wipe(auth.b_data, auth.b_cap);
	buf_free(&auth);
	buf_free(&c.uc_head);
	buf_free(&c.uc_body);
	if (e != NULL)
		curl_easy_cleanup(e);
	return ret;
}

void
upstream_fetched_clear(struct upstream_fetched *f)
{
	httpmsg_clear(&f->uf_head);
	free(f->uf_ctype);
	free(f->uf_body);
	memset(f, 0, sizeof(*f));
}
