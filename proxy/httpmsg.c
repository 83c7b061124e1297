/*
 * httpmsg.c: a saved HTTP/1.x message, parsed, for the verifier: an
 * exchange as `sightline verify-response` reads it (a request line,
 * optionally its header fields, then the response as `curl -i` prints
 * it), and the RFC 9421 test messages. It presents each message as a
 * struct sign_msg, so sign.c's one base builder serves signer and
 * verifier alike.
 *
 * Line ends may be CRLF or LF. Field values are trimmed of OWS, and
 * repeated fields are joined by ", " in order (RFC 9421, 2.1). Informational
 * responses (1xx) that curl prints before the final one are skipped.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sightline.h"

/* The next line from *p (before end), without its CRLF or LF; NULL at end. */
static char *
httpmsg_line(char **p, char *end)
{
	char	*s = *p, *nl;

	if (s >= end)
		return NULL;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL) {
		*p = end;
		*end = '\0';
		return s;
	}
	*p = nl + 1;
	if (nl > s && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	return s;
}

static char *
httpmsg_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Header lines from *p up to an empty line into m. */
static int
httpmsg_fields(struct httpmsg *m, char **p, char *end, char *err)
{
	char	*line, *colon, *k;

	while ((line = httpmsg_line(p, end)) != NULL) {
		if (*line == '\0')
			return 0;
		if (*line == ' ' || *line == '\t') {
			err_set(err, "obsolete line folding is not accepted");
			return -1;
		}
		if ((colon = strchr(line, ':')) == NULL || colon == line) {
			err_set(err, "a header line without a field name");
			return -1;
		}
		if (m->hm_nfields >= HTTPMSG_FIELDS_MAX) {
			err_set(err, "more than %d header fields",
			    HTTPMSG_FIELDS_MAX);
			return -1;
		}
		*colon = '\0';
		for (k = line; *k != '\0'; k++) {
			if (*k <= ' ' || *k >= 0x7f) {
				err_set(err, "a field name with a space or "
				    "control character");
				return -1;
			}
			*k = (char)tolower((unsigned char)*k);
		}
		m->hm_fields[m->hm_nfields].hf_name = line;
		m->hm_fields[m->hm_nfields].hf_value = httpmsg_trim(colon + 1);
		m->hm_nfields++;
	}
	err_set(err, "the header section does not end with an empty line");
	return -1;
}

/* sign_msg's field accessor: the joined value, or NULL if absent. */
static const char *
httpmsg_field(void *arg, const char *name)
{
	struct httpmsg	*m = arg;
	struct buf	*b = &m->hm_join;
	size_t		 i, n = 0;

	b->b_len = 0;
	for (i = 0; i < m->hm_nfields; i++) {
		if (strcmp(m->hm_fields[i].hf_name, name) != 0)
			continue;
		if (n++ > 0)
			buf_addstr(b, ", ");
		buf_addstr(b, m->hm_fields[i].hf_value);
	}
	if (n == 0)
		return NULL;
	buf_add(b, "", 1);
	return b->b_oom ? NULL : b->b_data;
}

/* "GET /path?query HTTP/1.1" (the version may be missing). */
static int
httpmsg_request_line(struct httpmsg *m, char *line, char *err)
{
	char	*sp, *target, *q;

	if ((sp = strchr(line, ' ')) == NULL || sp == line) {
		err_set(err, "the request line is not \"METHOD TARGET\"");
		return -1;
	}
	*sp = '\0';
	target = sp + 1;
	if ((sp = strchr(target, ' ')) != NULL)
		*sp = '\0';
	if (*target != '/') {
		err_set(err, "the request target must start with \"/\"");
		return -1;
	}
	if ((q = strchr(target, '?')) != NULL)
		*q++ = '\0';
	m->hm_msg.sm_method = line;
	m->hm_msg.sm_path = target;
	m->hm_msg.sm_query = q;
	return 0;
}

/* "HTTP/1.1 200 OK", "HTTP/2 200". */
static int
httpmsg_status_line(struct httpmsg *m, const char *line, char *err)
{
	const char	*sp;

	if (strncmp(line, "HTTP/", 5) != 0 || (sp = strchr(line, ' ')) ==
	    NULL || !isdigit((unsigned char)sp[1]) ||
	    !isdigit((unsigned char)sp[2]) || !isdigit((unsigned char)sp[3]) ||
	    (sp[4] != '\0' && sp[4] != ' ')) {
		err_set(err, "not an HTTP status line");
		return -1;
	}
	m->hm_msg.sm_status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
	    (sp[3] - '0');
	return 0;
}

static void
httpmsg_init(struct httpmsg *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->hm_join);
	m->hm_msg.sm_field = httpmsg_field;
	m->hm_msg.sm_arg = m;
}

static void
httpmsg_authority(struct httpmsg *m)
{
	const char	*host = httpmsg_field(m, "host");
	char		*p;
	size_t		 n;

	if (host == NULL)
		return;
	strlcpy(m->hm_authority, host, sizeof(m->hm_authority));
	for (p = m->hm_authority; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	/* RFC 9421 2.2.3: the default port is left out. */
	n = strlen(m->hm_authority);
	if (n > 4 && strcmp(m->hm_authority + n - 4, ":443") == 0)
		m->hm_authority[n - 4] = '\0';
	else if (n > 3 && strcmp(m->hm_authority + n - 3, ":80") == 0)
		m->hm_authority[n - 3] = '\0';
	m->hm_msg.sm_authority = m->hm_authority;
}

/*
 * Parse a saved exchange: a request line (and optionally its header
 * fields up to an empty line), then a response with its body. Fills req
 * and resp, which share one copy of text; free both with httpmsg_clear().
 */
int
httpmsg_exchange(const char *text, size_t len, struct httpmsg *req,
    struct httpmsg *resp, char *err)
{
	char	*copy, *p, *end, *line;
	char	 why[ERR_MAX];

	httpmsg_init(req);
	httpmsg_init(resp);
	if ((copy = malloc(len + 1)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	req->hm_text = copy;
	p = copy;
	end = copy + len;
	if ((line = httpmsg_line(&p, end)) == NULL ||
	    httpmsg_request_line(req, line, why) == -1) {
		err_set(err, "request: %s", line == NULL ? "empty file" : why);
		return -1;
	}
	/* Request fields, when the next line is not the response. */
	if (p < end && strncmp(p, "HTTP/", 5) != 0 &&
	    httpmsg_fields(req, &p, end, why) == -1) {
		err_set(err, "request: %s", why);
		return -1;
	}
	httpmsg_authority(req);
	for (;;) {
		resp->hm_nfields = 0;
		if ((line = httpmsg_line(&p, end)) == NULL) {
			err_set(err, "response: missing");
			return -1;
		}
		if (httpmsg_status_line(resp, line, why) == -1 ||
		    httpmsg_fields(resp, &p, end, why) == -1) {
			err_set(err, "response: %s", why);
			return -1;
		}
		if (resp->hm_msg.sm_status >= 200)
			break;
	}
	resp->hm_body = p;
	resp->hm_body_len = (size_t)(end - p);
	return 0;
}

/*
 * Parse one whole message (request or response, by its first line), with
 * its body. Free with httpmsg_clear().
 */
int
httpmsg_parse(const char *text, size_t len, struct httpmsg *m, char *err)
{
	char	*copy, *p, *end, *line;

	httpmsg_init(m);
	if ((copy = malloc(len + 1)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	m->hm_text = copy;
	p = copy;
	end = copy + len;
	if ((line = httpmsg_line(&p, end)) == NULL) {
		err_set(err, "empty message");
		return -1;
	}
	if (strncmp(line, "HTTP/", 5) == 0) {
		if (httpmsg_status_line(m, line, err) == -1)
			return -1;
	} else if (httpmsg_request_line(m, line, err) == -1)
		return -1;
	if (httpmsg_fields(m, &p, end, err) == -1)
		return -1;
	httpmsg_authority(m);
	m->hm_body = p;
	m->hm_body_len = (size_t)(end - p);
	return 0;
}

void
httpmsg_clear(struct httpmsg *m)
{
	free(m->hm_text);
	m->hm_text = NULL;
	buf_free(&m->hm_join);
}
