/*
 * front.c: the only file that speaks evhttp. It accepts hoster
 * connections (TLS, or plain HTTP on loopback when configured), enforces
 * the named limits on connections, request size and time, refuses what is
 * not a bodiless GET or HEAD, hands every request to one handler, and
 * sends every answer, each one logged. Errors to clients are RFC 9457
 * problem documents, built in front_problem() and nowhere else.
 *
 * Every connection runs through a bufferevent filter that passes bytes
 * unchanged: it tells us when a request starts (to bound the time a
 * client may take to send it) and when the connection is gone (to count
 * connections), neither of which evhttp in libevent 2.1 reports. Two
 * habits of libevent 2.1 are worked around here: the filter moves output
 * only while writing is enabled, which evhttp enables after queueing an
 * answer (front_conn_output() moves it at once); and when a client asks
 * to close, evhttp shuts the socket down as soon as the answer has left
 * the filter, before the socket has written it. sightline tells evhttp
 * to keep such a connection, and shuts it down itself once the answer is
 * written (front_conn_sent()).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>	/* the request's HTTP version */
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "sightline.h"

/*
 * evhttp's own hard limits, above the configured ones: a request within
 * them reaches our checks and gets a problem document; one beyond them
 * gets libevent's plain error and the connection is closed.
 */
#define FRONT_HARD_HEADERS	(FRONT_HEADER_BYTES_MAX + FRONT_URI_BYTES_MAX)
#define FRONT_HARD_BODY		(64 * 1024)

struct front_conn {
	struct front		*cn_front;
	struct bufferevent	*cn_bev;	/* the filter evhttp owns */
	struct bufferevent	*cn_under;	/* the socket (TLS or not) */
	struct evbuffer_cb_entry *cn_sent;	/* on cn_under's output */
	int			 cn_close;	/* once the answer is sent */
	struct event		*cn_timer;	/* request_timeout */
	evutil_socket_t		 cn_fd;		/* -1 until known */
	int			 cn_tls;
	int			 cn_inrequest;
};

struct front {
	struct event_base	*fr_base;
	struct evhttp		*fr_http[2];	/* [0] plain, [1] TLS */
	struct evconnlistener	*fr_listeners[FRONT_LISTEN_MAX];
	size_t			 fr_nlisteners;
	int			 fr_paused;
	void			*fr_tls;	/* SSL_CTX, a reference */
	struct keys		*fr_keys;	/* signs every answer; a reference */
	struct signer		*fr_signer;	/* its threads, or NULL */
	struct event		*fr_signed_ev;	/* on the signer's pipe */
	front_handler_fn	 fr_handler;
	void			*fr_arg;
	size_t			 fr_nconns;
	struct front_conn	**fr_byfd;	/* connections by descriptor */
	size_t			 fr_nbyfd;
	/* limits from the configuration */
	size_t			 fr_max_conns;
	size_t			 fr_max_header;
	size_t			 fr_max_uri;
	double			 fr_request_timeout;
	int			 fr_dying;	/* freed by the last conn */
};

static const struct {
	int		 code;
	const char	*reason;
} front_reasons[] = {
	{ 200, "OK" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 413, "Content Too Large" },
	{ 414, "URI Too Long" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
};

static const char *
front_reason(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(front_reasons) / sizeof(front_reasons[0]); i++)
		if (front_reasons[i].code == code)
			return front_reasons[i].reason;
	return "Unknown";
}

/* ---- connections ---- */

static void
front_pause(struct front *fr, int pause)
{
	size_t	 i;

	if (fr->fr_paused == pause)
		return;
	for (i = 0; i < fr->fr_nlisteners; i++) {
		if (pause)
			evconnlistener_disable(fr->fr_listeners[i]);
		else
			evconnlistener_enable(fr->fr_listeners[i]);
	}
	fr->fr_paused = pause;
	if (pause) {
		metrics_connection(0);
		log_warnx("max_connections (%zu) reached: accepting paused",
		    fr->fr_max_conns);
	}
}

static void
front_conn_gone(void *arg)
{
	struct front_conn	*cn = arg;
	struct front		*fr = cn->cn_front;

	if (cn->cn_fd >= 0 && (size_t)cn->cn_fd < fr->fr_nbyfd &&
	    fr->fr_byfd[cn->cn_fd] == cn)
		fr->fr_byfd[cn->cn_fd] = NULL;
	if (cn->cn_sent != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(cn->cn_under),
		    cn->cn_sent);
	event_free(cn->cn_timer);
	free(cn);
	fr->fr_nconns--;
	metrics_connection(-1);
	if (fr->fr_dying) {
		if (fr->fr_nconns == 0) {
			keys_free(fr->fr_keys);
			free(fr->fr_byfd);
			free(fr);
		}
		return;
	}
	if (fr->fr_nconns < fr->fr_max_conns)
		front_pause(fr, 0);
}

/*
 * The socket wrote what it had: if the client asked to close, the
 * answer is out, and the connection ends (evhttp sees the end of the
 * stream and frees it).
 */
static void
front_conn_sent(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct front_conn	*cn = arg;

	if (cn->cn_close && info->n_deleted > 0 &&
	    evbuffer_get_length(buf) == 0 && cn->cn_fd >= 0)
		shutdown(cn->cn_fd, SHUT_RDWR);
}

/*
 * Output was queued on the filter: move it to the socket now, whether
 * or not evhttp has enabled writing yet (the filter's callbacks are
 * deferred, so evhttp hears that it was written only later).
 */
static void
front_conn_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct front_conn	*cn = arg;

	if (info->n_added > 0)
		bufferevent_flush(cn->cn_bev, EV_WRITE, BEV_FLUSH);
}

/* The client took longer than request_timeout to send its request. */
static void
front_conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct front_conn	*cn = arg;

	log_info("request_timeout: closing a connection that did not send "
	    "its request in time");
	/* evhttp sees the end of the stream and frees the connection. */
	if (cn->cn_fd >= 0)
		shutdown(cn->cn_fd, SHUT_RDWR);
}

static void
front_conn_register(struct front *fr, struct front_conn *cn)
{
	struct front_conn	**p;
	size_t			 n;
	int			 one = 1;

	cn->cn_fd = bufferevent_getfd(cn->cn_bev);
	if (cn->cn_fd < 0)
		return;
	/*
	 * TLS writes an answer as several records: with Nagle's algorithm
	 * the last waits for the client's delayed ACK, 40 ms an answer.
	 */
	(void)setsockopt(cn->cn_fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	if ((size_t)cn->cn_fd >= fr->fr_nbyfd) {
		n = (size_t)cn->cn_fd * 2 + 16;
		if ((p = reallocarray(fr->fr_byfd, n, sizeof(*p))) == NULL)
			return;
		memset(p + fr->fr_nbyfd, 0, (n - fr->fr_nbyfd) * sizeof(*p));
		fr->fr_byfd = p;
		fr->fr_nbyfd = n;
	}
	fr->fr_byfd[cn->cn_fd] = cn;
}

/* Pass bytes through unchanged; note when a request begins. */
static enum bufferevent_filter_result
front_filter_in(struct evbuffer *src, struct evbuffer *dst,
    ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	struct front_conn	*cn = arg;
	struct front		*fr = cn->cn_front;
	struct timeval		 tv;

	if (evbuffer_get_length(src) == 0)
		return BEV_NEED_MORE;
	if (cn->cn_fd < 0)
		front_conn_register(fr, cn);
	if (!cn->cn_inrequest) {
		cn->cn_inrequest = 1;
		tv.tv_sec = (time_t)fr->fr_request_timeout;
		tv.tv_usec = (suseconds_t)((fr->fr_request_timeout -
		    (double)tv.tv_sec) * 1e6);
		evtimer_add(cn->cn_timer, &tv);
	}
	evbuffer_add_buffer(dst, src);
	return BEV_OK;
}

static struct bufferevent *
front_newconn(struct event_base *base, void *arg, int tls)
{
	struct front		*fr = arg;
	struct front_conn	*cn;
	struct bufferevent	*under = NULL, *bev;
	void			*ssl;

	if ((cn = calloc(1, sizeof(*cn))) == NULL)
		return NULL;
	cn->cn_front = fr;
	cn->cn_fd = -1;
	cn->cn_tls = tls;
	if ((cn->cn_timer = evtimer_new(base, front_conn_timeout, cn)) == NULL)
		goto fail;
	if (tls) {
		if ((ssl = crypto_tls_ssl_new(fr->fr_tls)) == NULL)
			goto fail;
		under = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (under == NULL)
		goto fail;
	/*
	 * Deferred callbacks: evhttp must not free the connection from
	 * inside the filter's output processing, which goes on to re-arm the
	 * filter's write timeout; freed while armed, that timer corrupts the
	 * event loop's timer heap (a client sending "GET /\r\n\r\n" a few
	 * times left the daemon spinning at 100% CPU, serving nobody).
	 */
	bev = bufferevent_filter_new(under, front_filter_in, NULL,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, front_conn_gone,
	    cn);
	if (bev == NULL) {
		bufferevent_free(under);
		goto fail;
	}
	cn->cn_bev = bev;
	cn->cn_under = under;
	fr->fr_nconns++;
	metrics_connection(1);
	if (fr->fr_nconns >= fr->fr_max_conns)
		front_pause(fr, 1);
	if (evbuffer_add_cb(bufferevent_get_output(bev), front_conn_output,
	    cn) == NULL || (cn->cn_sent = evbuffer_add_cb(
	    bufferevent_get_output(under), front_conn_sent, cn)) == NULL) {
		bufferevent_free(bev);	/* front_conn_gone() frees cn */
		return NULL;
	}
	return bev;
fail:
	if (cn->cn_timer != NULL)
		event_free(cn->cn_timer);
	free(cn);
	/*
	 * evhttp then serves the connection on a bufferevent of its own:
	 * without our limits and, on a TLS listener, without TLS (libevent
	 * 2.1 gives no way to refuse it here). Only memory exhaustion gets
	 * here; say so loudly.
	 */
	log_warnx("out of memory for a new connection: libevent serves it "
	    "without sightline's limits (and without TLS on a TLS listener)");
	return NULL;
}

static struct bufferevent *
front_newconn_plain(struct event_base *base, void *arg)
{
	return front_newconn(base, arg, 0);
}

static struct bufferevent *
front_newconn_tls(struct event_base *base, void *arg)
{
	return front_newconn(base, arg, 1);
}

static struct front_conn *
front_conn_of(struct front *fr, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	evutil_socket_t			 fd;

	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return NULL;
	fd = bufferevent_getfd(bev);
	if (fd < 0 || (size_t)fd >= fr->fr_nbyfd || fr->fr_byfd[fd] == NULL ||
	    fr->fr_byfd[fd]->cn_bev != bev)
		return NULL;
	return fr->fr_byfd[fd];
}

/* ---- answers ---- */

static void
front_body_free(const void *data, size_t len, void *arg)
{
	free(arg);
}

/* Query values whose names look like secrets are not logged. */
static void
front_log_target(const struct front_req *fq, char *out, size_t outlen)
{
	static const char *const secret[] = {
		"token", "key", "pass", "secret", "auth", "hash", "ticket",
		"sig", "cred", NULL
	};
	const char	*q = fq->fq_query, *amp, *eq;
	size_t		 n, i;
	int		 hide;

	strlcpy(out, fq->fq_path, outlen);
	if (q == NULL)
		return;
	strlcat(out, "?", outlen);
	while (*q != '\0') {
		amp = q + strcspn(q, "&");
		eq = memchr(q, '=', (size_t)(amp - q));
		n = (size_t)((eq != NULL ? eq : amp) - q);
		hide = 0;
		for (i = 0; secret[i] != NULL; i++) {
			size_t	 sl = strlen(secret[i]), j;

			for (j = 0; j + sl <= n && !hide; j++)
				hide = strncasecmp(q + j, secret[i], sl) == 0;
		}
		if (hide && eq != NULL) {
			char	 name[128];

			snprintf(name, sizeof(name), "%.*s=REDACTED", (int)n, q);
			strlcat(out, name, outlen);
		} else {
			char	 item[512];

			snprintf(item, sizeof(item), "%.*s", (int)(amp - q), q);
			strlcat(out, item, outlen);
		}
		q = amp;
		if (*q == '&') {
			strlcat(out, "&", outlen);
			q++;
		}
	}
}

static void
front_req_free(struct front_req *fq)
{
	free(fq->fq_path);
	free(fq->fq_query);
	free(fq);
}

/* Does the comma-separated header value v hold token? */
static int
front_has_token(const char *v, const char *token)
{
	size_t	 n = strlen(token), len;

	while (v != NULL && *v != '\0') {
		v += strspn(v, " \t,");
		len = strcspn(v, " \t,");
		if (len == n && strncasecmp(v, token, n) == 0)
			return 1;
		v += len;
	}
	return 0;
}

/* Did the client ask to close the connection after this answer? */
static int
front_wants_close(struct evhttp_request *req)
{
	const char	*c = evhttp_find_header(
			    evhttp_request_get_input_headers(req), "Connection");

	/* evhttp always closes after an absolute-form ("proxy") request. */
	if (front_has_token(c, "close") || (req->flags & EVHTTP_PROXY_REQUEST))
		return 1;
	return req->major == 1 && req->minor == 0 &&
	    !front_has_token(c, "keep-alive");
}

/*
 * An answer waiting for its signature: the job and the strings it points
 * to, owned here, freed by front_reply_send().
 */
struct front_signing {
	struct signer_job	 fg_job;
	struct front_req	*fg_fq;
	char			*fg_body;
	size_t			 fg_len;
	char			*fg_ctype;
	char			*fg_path;
	char			*fg_query;
	char			*fg_source;
	char			*fg_hoster;	/* fq_hoster's copy: the state that
						   holds the name may be gone by
						   the time the answer is sent */
	struct keys		*fg_keys;	/* a reference */
};

static void	front_reply_send(struct front_signing *);
static void	front_reply_bare(struct front_req *, int);

static void
front_signing_free(struct front_signing *fg)
{
	keys_free(fg->fg_keys);
	free(fg->fg_ctype);
	free(fg->fg_path);
	free(fg->fg_query);
	free(fg->fg_source);
	free(fg->fg_hoster);
	free(fg);
}

/* The signer's pipe: collect every signed answer and send it. */
static void
front_signed(evutil_socket_t fd, short what, void *arg)
{
	struct front		*fr = arg;
	struct signer_job	*j;

	while ((j = signer_done(fr->fr_signer)) != NULL)
		front_reply_send(j->sj_arg);
}

/*
 * A request target part as the signature base may hold it: ASCII without
 * controls or spaces (RFC 9421, 2.5). A valid target is already so; the
 * bytes of an invalid one are percent-encoded, so that its refusal can
 * still be signed. Returns a new string, or NULL when out of memory.
 */
static char *
front_sign_target(const char *s)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b);
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
			buf_add(&b, p, 1);
		else
			buf_printf(&b, "%%%02X", (unsigned char)*p);
	}
	return buf_take(&b, NULL);
}

/*
 * Send the answer to fq and free fq. body (may be NULL) is stolen: it was
 * allocated with malloc and is freed once sent. Every request is answered
 * exactly once, through here.
 */
void
front_reply(struct front_req *fq, int status, const char *ctype, char *body,
    size_t len)
{
	struct front		*fr = fq->fq_front;
	struct evkeyvalq	*h = evhttp_request_get_output_headers(
				    fq->fq_req);
	struct front_signing	*fg;
	const char		*src;

	if ((fg = calloc(1, sizeof(*fg))) == NULL) {
		free(body);
		front_reply_bare(fq, 500);
		return;
	}
	fg->fg_fq = fq;
	fg->fg_body = body;
	fg->fg_len = body != NULL ? len : 0;
	if ((src = evhttp_find_header(h, "Sightline-Inventory")) == NULL) {
		evhttp_add_header(h, "Sightline-Inventory", "none");
		src = "none";
	}
	fg->fg_ctype = strdup(ctype);
	fg->fg_source = strdup(src);
	fg->fg_hoster = strdup(fq->fq_hoster != NULL ? fq->fq_hoster : "-");
	fq->fq_hoster = NULL;
	fg->fg_path = front_sign_target(fq->fq_path != NULL ? fq->fq_path :
	    "/");
	if (fq->fq_query != NULL)
		fg->fg_query = front_sign_target(fq->fq_query);
	fg->fg_keys = keys_ref(fr->fr_keys);
	fg->fg_job.sj_arg = fg;
	fg->fg_job.sj_keys = fg->fg_keys;
	fg->fg_job.sj_status = status;
	fg->fg_job.sj_ctype = fg->fg_ctype;
	fg->fg_job.sj_body = body;
	fg->fg_job.sj_len = fg->fg_len;
	fg->fg_job.sj_head = fq->fq_head;
	fg->fg_job.sj_method = fq->fq_method;
	fg->fg_job.sj_path = fg->fg_path;
	fg->fg_job.sj_query = fg->fg_query;
	fg->fg_job.sj_source = fg->fg_source;
	fg->fg_job.sj_created = (long long)time(NULL);
	if (fg->fg_keys == NULL || fg->fg_ctype == NULL ||
	    fg->fg_source == NULL || fg->fg_hoster == NULL ||
	    fg->fg_path == NULL || (fq->fq_query != NULL &&
	    fg->fg_query == NULL)) {
		fg->fg_job.sj_rc = -1;
		err_set(fg->fg_job.sj_err, fg->fg_keys == NULL ?
		    "no signing key" : "out of memory");
		front_reply_send(fg);
		return;
	}
	/*
	 * The signature is made by the signer's threads, so that no client
	 * waits behind another's signing (a 10,000-VPS listing takes 3 ms to
	 * hash); without threads, here.
	 */
	if (fr->fr_signer != NULL)
		signer_submit(fr->fr_signer, &fg->fg_job);
	else {
		signer_work(&fg->fg_job);
		front_reply_send(fg);
	}
}

/* A bodiless answer, unsigned: only when nothing can be signed. */
static void
front_reply_bare(struct front_req *fq, int status)
{
	evhttp_clear_headers(evhttp_request_get_output_headers(fq->fq_req));
	evhttp_send_reply(fq->fq_req, status, front_reason(status), NULL);
	front_req_free(fq);
}

/* The signed answer of fg: its headers, its body, the log line, sent. */
static void
front_reply_send(struct front_signing *fg)
{
	struct front_req	*fq = fg->fg_fq;
	struct evkeyvalq	*h = evhttp_request_get_output_headers(
				    fq->fq_req);
	struct evbuffer		*out = evhttp_request_get_output_buffer(
				    fq->fq_req);
	char			 target[FRONT_URI_BYTES_MAX + 64];
	char			 peer[64] = "-";
	char			*addr = NULL, *body = fg->fg_body;
	const char		*ctype = fg->fg_ctype;
	size_t			 len = fg->fg_len;
	int			 status = fg->fg_job.sj_status;
	ev_uint16_t		 port;
	struct evhttp_connection *evcon;
	struct evkeyvalq	*in;
	struct front_conn	*cn;

	if (fg->fg_job.sj_rc == -1) {
		/* Nothing unsigned leaves: a bare 500, and the log says why. */
		log_warnx("cannot sign the answer to %s: %s", fq->fq_method,
		    fg->fg_job.sj_err);
		free(body);
		front_signing_free(fg);
		front_reply_bare(fq, 500);
		return;
	}
	evhttp_add_header(h, "Content-Digest", fg->fg_job.sj_digest);
	evhttp_add_header(h, "Signature-Input", fg->fg_job.sj_input);
	evhttp_add_header(h, "Signature", fg->fg_job.sj_sig);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* An answer to HEAD is the GET's headers, without the body. */
	if (body != NULL && len > 0 && !fq->fq_head) {
		if (evbuffer_add_reference(out, body, len, front_body_free,
		    body) == -1)
			free(body);
	} else
		free(body);
	/*
	 * evhttp gives no Content-Length to answers to HEAD, nor to CONNECT
	 * (it expects a tunnel), yet sends the latter's body on a connection
	 * it keeps open.
	 */
	if (fq->fq_head || strcmp(fq->fq_method, "CONNECT") == 0) {
		snprintf(target, sizeof(target), "%zu", fq->fq_head ? len :
		    evbuffer_get_length(out));
		evhttp_add_header(h, "Content-Length", target);
	}
	if ((evcon = evhttp_request_get_connection(fq->fq_req)) != NULL) {
		evhttp_connection_get_peer(evcon, &addr, &port);
		if (addr != NULL)
			strlcpy(peer, addr, sizeof(peer));
	}
	front_log_target(fq, target, sizeof(target));
	log_info("request %s %s %s %s %d %zu %.1fms", peer,
	    fg->fg_hoster != NULL ? fg->fg_hoster : "-", fq->fq_method, target,
	    status, len, (mono_now() - fq->fq_start) * 1000);
	metrics_request(status);
	/*
	 * To evhttp, the client wants to keep the connection (HTTP/1.1, no
	 * "Connection: close"); front_conn_sent() closes it once the
	 * answer is written. Answering HTTP/1.1 to HTTP/1.0 is right: the
	 * highest version sightline conforms to (RFC 9110, 2.5).
	 */
	if (evcon != NULL && front_wants_close(fq->fq_req) &&
	    (cn = front_conn_of(fq->fq_front, fq->fq_req)) != NULL) {
		in = evhttp_request_get_input_headers(fq->fq_req);
		evhttp_remove_header(in, "Connection");
		fq->fq_req->minor = 1;
		fq->fq_req->flags &= ~EVHTTP_PROXY_REQUEST;
		cn->cn_close = 1;
	}
	evhttp_send_reply(fq->fq_req, status, front_reason(status), NULL);
	front_signing_free(fg);
	front_req_free(fq);
}

static int
front_proxmox_path(const char *path)
{
	const char	*rest;

	if (path == NULL)
		return 0;
	if (strncmp(path, "/api2/", 6) == 0)
		return 1;
	if (strncmp(path, "/native/", 8) != 0)
		return 0;
	rest = path + 8 + strcspn(path + 8, "/");
	return strncmp(rest, "/api2/", 6) == 0;
}

/*
 * An RFC 9457 problem document: type is a short slug naming the problem
 * ("upstream-timeout"), the detail says precisely what went wrong.
 */
void
front_problem(struct front_req *fq, int status, const char *type,
    const char *fmt, ...)
{
	char		 detail[1024], uri[128];
	char		*body;
	va_list		 ap;
	json_t		*doc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(uri, sizeof(uri), "urn:sightline:problem:%s", type);
	doc = json_pack("{s:s, s:s, s:i, s:s}", "type", uri, "title",
	    front_reason(status), "status", status, "detail", detail);
	/*
	 * Proxmox clients (proxmoxer) read "data" of every answer, errors
	 * too: so do answers on Proxmox API paths, /api2/... at the root or
	 * below a panel, /native/NAME/api2/....
	 */
	if (doc != NULL && front_proxmox_path(fq->fq_path))
		json_object_set_new(doc, "data", json_null());
	if (doc == NULL || !utf8_valid(detail, strlen(detail)))
		body = strdup("{\"status\":500,\"title\":\"Internal Server "
		    "Error\",\"type\":\"urn:sightline:problem:internal\"}");
	else
		body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII);
	json_decref(doc);
	front_reply(fq, status, "application/problem+json", body,
	    body != NULL ? strlen(body) : 0);
}

void
front_add_header(struct front_req *fq, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(fq->fq_req), name,
	    value);
}

/* A request header, or NULL. Borrowed for the life of the request. */
const char *
front_header(struct front_req *fq, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(fq->fq_req),
	    name);
}

/* The CN of the client's verified certificate, if it sent one. */
int
front_peer_cn(struct front_req *fq, char *cn, size_t len)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;

	if (fq->fq_conn == NULL || !fq->fq_conn->cn_tls ||
	    (evcon = evhttp_request_get_connection(fq->fq_req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (bev = bufferevent_get_underlying(bev)) == NULL)
		return -1;
	return crypto_tls_peer_cn(bufferevent_openssl_get_ssl(bev), cn, len);
}

/* ---- requests ---- */

static size_t
front_header_bytes(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	size_t			 n = 0;

	TAILQ_FOREACH(kv, h, next)
		n += strlen(kv->key) + strlen(kv->value) + 4;
	return n;
}

static const char *
front_method(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "OTHER";
}

static void
front_request(struct evhttp_request *req, void *arg)
{
	struct front		*fr = arg;
	struct front_req	*fq;
	struct front_conn	*cn;
	const char		*uri = evhttp_request_get_uri(req), *q, *te;
	const char		*cl;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	if ((cn = front_conn_of(fr, req)) != NULL) {
		cn->cn_inrequest = 0;
		evtimer_del(cn->cn_timer);
	}
	if ((fq = calloc(1, sizeof(*fq))) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	fq->fq_req = req;
	fq->fq_front = fr;
	fq->fq_conn = cn;
	fq->fq_start = mono_now();
	fq->fq_method = front_method(cmd);
	fq->fq_head = cmd == EVHTTP_REQ_HEAD;
	q = strchr(uri, '?');
	fq->fq_path = q != NULL ? strndup(uri, (size_t)(q - uri)) :
	    strdup(uri);
	fq->fq_query = q != NULL ? strdup(q + 1) : NULL;
	if (fq->fq_path == NULL || (q != NULL && fq->fq_query == NULL)) {
		front_problem(fq, 500, "internal", "out of memory");
		return;
	}
	if (strlen(uri) > fr->fr_max_uri) {
		front_problem(fq, 414, "uri-too-long", "the request target is "
		    "longer than max_uri_bytes (%zu)", fr->fr_max_uri);
		return;
	}
	if (front_header_bytes(req) > fr->fr_max_header) {
		front_problem(fq, 431, "headers-too-large", "the request "
		    "headers are larger than max_header_bytes (%zu)",
		    fr->fr_max_header);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		front_add_header(fq, "Allow", "GET, HEAD");
		front_problem(fq, 405, "method-not-allowed", "sightline is "
		    "read-only: %s is refused, only GET and HEAD are served",
		    fq->fq_method);
		return;
	}
	cl = front_header(fq, "Content-Length");
	te = front_header(fq, "Transfer-Encoding");
	if ((cl != NULL && strcmp(cl, "0") != 0) || te != NULL ||
	    evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
		front_problem(fq, 413, "body-refused", "request bodies are "
		    "refused: sightline only serves GET and HEAD");
		return;
	}
	if (uri[0] != '/') {
		front_problem(fq, 400, "bad-target", "the request target must "
		    "be a path starting with /");
		return;
	}
	fr->fr_handler(fq, fr->fr_arg);
}

/* ---- set-up ---- */

static struct evhttp *
front_http(struct front *fr, int tls)
{
	struct evhttp	*http;

	if ((http = evhttp_new(fr->fr_base)) == NULL)
		return NULL;
	evhttp_set_gencb(http, front_request, fr);
	evhttp_set_bevcb(http, tls ? front_newconn_tls : front_newconn_plain,
	    fr);
	/* All methods reach front_request, which answers 405 itself. */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(http, FRONT_HARD_HEADERS);
	evhttp_set_max_body_size(http, FRONT_HARD_BODY);
	evhttp_set_default_content_type(http, "application/json");
	return http;
}

/*
 * Apply the limits of cf and the TLS context tls (a new reference is
 * taken; NULL when no listener uses TLS). Used at start and on reload;
 * the listen addresses themselves only change with a restart.
 */
void
front_configure(struct front *fr, const struct conf *cf, void *tls)
{
	struct timeval	 tv;
	int		 i;

	fr->fr_max_conns = cf->cf_max_connections;
	fr->fr_max_header = cf->cf_max_header_bytes;
	fr->fr_max_uri = cf->cf_max_uri_bytes;
	fr->fr_request_timeout = cf->cf_request_timeout;
	tv.tv_sec = (time_t)cf->cf_idle_timeout;
	tv.tv_usec = (suseconds_t)((cf->cf_idle_timeout -
	    (double)tv.tv_sec) * 1e6);
	for (i = 0; i < 2; i++)
		if (fr->fr_http[i] != NULL)
			evhttp_set_timeout_tv(fr->fr_http[i], &tv);
	if (tls != NULL)
		crypto_tls_ref(tls);
	crypto_tls_free(fr->fr_tls);
	fr->fr_tls = tls;
	keys_ref(cf->cf_keys);
	keys_free(fr->fr_keys);
	fr->fr_keys = cf->cf_keys;
	front_pause(fr, fr->fr_nconns >= fr->fr_max_conns);
}

/*
 * Listen on every address of cf. handler(fq, arg) is called for each
 * request that passed the checks here. Returns NULL with a reason.
 */
struct front *
front_new(struct event_base *base, const struct conf *cf, void *tls,
    front_handler_fn handler, void *arg, char *err)
{
	struct front			*fr;
	struct evhttp_bound_socket	*bound;
	size_t				 i;
	int				 t;

	if ((fr = calloc(1, sizeof(*fr))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	fr->fr_base = base;
	fr->fr_handler = handler;
	fr->fr_arg = arg;
	for (i = 0; i < cf->cf_nlisten; i++) {
		const struct conf_listen	*li = &cf->cf_listen[i];

		t = li->li_tls ? 1 : 0;
		if (fr->fr_nlisteners == FRONT_LISTEN_MAX) {
			err_set(err, "more than %d listen addresses",
			    FRONT_LISTEN_MAX);
			goto fail;
		}
		if (fr->fr_http[t] == NULL &&
		    (fr->fr_http[t] = front_http(fr, t)) == NULL) {
			err_set(err, "out of memory");
			goto fail;
		}
		bound = evhttp_bind_socket_with_handle(fr->fr_http[t],
		    li->li_address, (ev_uint16_t)li->li_port);
		if (bound == NULL) {
			err_set(err, "cannot listen on %s port %d: %s",
			    li->li_address, li->li_port, strerror(errno));
			goto fail;
		}
		fr->fr_listeners[fr->fr_nlisteners++] =
		    evhttp_bound_socket_get_listener(bound);
		log_info("listening on %s port %d (%s)", li->li_address,
		    li->li_port, li->li_tls ? "https" : "plain http");
	}
	if (cf->cf_sign_threads > 0) {
		if ((fr->fr_signer = signer_new(cf->cf_sign_threads, err)) ==
		    NULL)
			goto fail;
		fr->fr_signed_ev = event_new(base, signer_fd(fr->fr_signer),
		    EV_READ | EV_PERSIST, front_signed, fr);
		if (fr->fr_signed_ev == NULL ||
		    event_add(fr->fr_signed_ev, NULL) == -1) {
			err_set(err, "cannot watch the signer");
			goto fail;
		}
	}
	front_configure(fr, cf, tls);
	return fr;
fail:
	front_free(fr);
	return NULL;
}

void
front_free(struct front *fr)
{
	int	 i;

	if (fr == NULL)
		return;
	/*
	 * Answers being signed go out first, while their connections are
	 * still there; then the threads stop.
	 */
	if (fr->fr_signer != NULL) {
		signer_wait(fr->fr_signer);
		front_signed(-1, 0, fr);
		event_free(fr->fr_signed_ev);
		signer_free(fr->fr_signer);
		fr->fr_signer = NULL;
	}
	/* evhttp frees its listeners first: front_pause() must not see them. */
	fr->fr_nlisteners = 0;
	for (i = 0; i < 2; i++)
		if (fr->fr_http[i] != NULL)
			evhttp_free(fr->fr_http[i]);
	crypto_tls_free(fr->fr_tls);
	/*
	 * The connections evhttp just closed are finalized later, by the
	 * event loop or event_base_free(); the last one frees fr.
	 */
	if (fr->fr_nconns > 0) {
		fr->fr_dying = 1;
		return;
	}
	keys_free(fr->fr_keys);
	free(fr->fr_byfd);
	free(fr);
}
