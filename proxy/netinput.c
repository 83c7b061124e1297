/*
 * netinput.c: the hoster's network files, read for the cross-check
 * (netcheck.c) in the formats hosters already have. This file reads
 * neighbour tables (`ip -j neigh`, or CSV ip,mac[,vlan]) and forwarding
 * tables (`bridge -j fdb`, or CSV mac,port[,vlan]), and holds what the
 * other readers share: netalloc.c reads IP allocations, netnodes.c the
 * node inventory. The format is told by the content (JSON starts with
 * "[" or "{"), never by the file's name.
 *
 * Every entry keeps where it was read, "FILE:LINE" (and its index in a
 * JSON array), for the evidence of a finding. Anything malformed fails
 * the whole file with "FILE:LINE: reason": a cross-check that skipped
 * a line it did not understand would report a network cleaner than it
 * is.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sightline.h"

const char *
netinput_name(enum netcheck_input in)
{
	switch (in) {
	case NETCHECK_ALLOCATIONS:
		return "allocations";
	case NETCHECK_NEIGH:
		return "neighbours";
	case NETCHECK_FDB:
		return "forwarding";
	default:
		return "nodes";
	}
}

/* "FILE:LINE", "FILE:LINE[INDEX]" for JSON, "FILE[INDEX]" if unknown. */
void
netinput_where(const struct netcheck_where *w, char *out, size_t len)
{
	char	 line[16] = "", idx[16] = "";

	if (w->nw_line > 0)
		snprintf(line, sizeof(line), ":%u", w->nw_line);
	if (w->nw_index >= 0)
		snprintf(idx, sizeof(idx), "[%d]", w->nw_index);
	snprintf(out, len, "%s%s%s", w->nw_file, line, idx);
}

/*
 * Parse an IP through addr.c's canonical form. With ADDR_PREFIX_OK a
 * "/len" is accepted and *plen set (-1 without one). Returns 0, or -1.
 */
int
netinput_ip(const char *in, int flags, struct netcheck_ip *ip, int *plen)
{
	char		 canon[ADDR_IP_LEN], host[ADDR_IP_LEN];
	const char	*slash;

	if (addr_ip_canon(in, canon, sizeof(canon), flags) == -1)
		return -1;
	addr_ip_host(canon, host, sizeof(host));
	memset(ip, 0, sizeof(*ip));
	ip->ni_af = strchr(host, ':') != NULL ? 6 : 4;
	if (inet_pton(ip->ni_af == 6 ? AF_INET6 : AF_INET, host,
	    ip->ni_addr) != 1)
		return -1;
	if (plen != NULL) {
		slash = strchr(canon, '/');
		*plen = slash != NULL ? (int)strtol(slash + 1, NULL, 10) : -1;
	}
	return 0;
}

void
netinput_ip_text(const struct netcheck_ip *ip, char *out, size_t len)
{
	if (inet_ntop(ip->ni_af == 6 ? AF_INET6 : AF_INET, ip->ni_addr, out,
	    (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

int
netinput_cmp_ip(const struct netcheck_ip *a, const struct netcheck_ip *b)
{
	if (a->ni_af != b->ni_af)
		return a->ni_af < b->ni_af ? -1 : 1;
	return memcmp(a->ni_addr, b->ni_addr, sizeof(a->ni_addr));
}

/* ---- helpers ---- */

/* Room for one more entry of kind in at *arr. Returns 0, or -1. */
int
netinput_grow(struct netinput *x, enum netcheck_input in, void **arr, size_t n,
    size_t size, char *err)
{
	size_t	*cap = &x->nx_nc->nc_cap[in], ncap;
	void	*p;

	if (n >= NETCHECK_ENTRIES_MAX) {
		err_set(err, "%s: more than %d %s entries", x->nx_name,
		    NETCHECK_ENTRIES_MAX, netinput_name(in));
		return -1;
	}
	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 256 : *cap * 2;
	if ((p = reallocarray(*arr, ncap, size)) == NULL) {
		err_set(err, "%s: out of memory", x->nx_name);
		return -1;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

/* A name (node, server, port): printable, not empty, bounded. */
int
netinput_name_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > NETCHECK_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* An input value for an error message: bounded, control bytes as '?'. */
const char *
netinput_quote(const char *s, char *out, size_t len)
{
	size_t	 i;

	if (len > NETCHECK_QUOTE_MAX + 1)
		len = NETCHECK_QUOTE_MAX + 1;
	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

/* A VLAN id, from text ("" is none). Returns 0, or -1. */
static int
ni_vlan(const char *s, int *vlan)
{
	const char	*errstr;

	if (*s == '\0') {
		*vlan = -1;
		return 0;
	}
	*vlan = (int)strtonum(s, 0, NETCHECK_VLAN_MAX, &errstr);
	return errstr != NULL ? -1 : 0;
}

/* A capacity: a non-negative number, "" for none. Returns 0, or -1. */
int
netinput_number(const char *s, double *d)
{
	char	*end;

	if (*s == '\0') {
		*d = NAN;
		return 0;
	}
	*d = strtod(s, &end);
	return *end != '\0' || !isfinite(*d) || *d < 0 ||
	    isspace((unsigned char)*s) ? -1 : 0;
}

int
netinput_is_json(const char *text, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && isspace((unsigned char)text[i]); i++)
		;
	return i < len && (text[i] == '[' || text[i] == '{');
}

/* ---- JSON ---- */

/*
 * The line on which each of the n elements of an array starts: of the
 * top-level array, or with key of the array that is the top-level
 * object's member key. jansson keeps no positions, and evidence wants
 * them. The text is valid JSON: jansson parsed it. Returns a new array,
 * or NULL when the lines are unknown.
 */
static uint32_t *
ni_json_lines(const char *text, size_t len, const char *key, size_t n)
{
	const char	*last = NULL;
	uint32_t	*lines, line = 1;
	size_t		 i, s, k = 0, lastlen = 0;
	int		 depth = 0, target = key == NULL ? 1 : 2;
	int		 inside = 0, expect = 0;

	if ((lines = calloc(n + 1, sizeof(*lines))) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		char	 ch = text[i];

		if (ch == '\n') {
			line++;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r')
			continue;
		if (inside && depth == target && expect && ch != ']') {
			if (k < n)
				lines[k] = line;
			k++;
			expect = 0;
		}
		switch (ch) {
		case '"':
			for (s = ++i; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++;
			if (depth == 1) {
				last = text + s;
				lastlen = i - s;
			}
			break;
		case '[':
		case '{':
			depth++;
			if (ch == '[' && !inside && depth == target &&
			    (key == NULL || (last != NULL &&
			    lastlen == strlen(key) &&
			    memcmp(last, key, lastlen) == 0)))
				inside = expect = 1;
			break;
		case ']':
		case '}':
			if (inside && depth == target)
				i = len;
			depth--;
			break;
		case ',':
			if (inside && depth == target)
				expect = 1;
			break;
		}
	}
	if (k != n) {
		free(lines);
		return NULL;
	}
	return lines;
}

/*
 * Parse a JSON input and find its array: the document, or (when key is
 * not NULL and the document is an object) its member key. Sets *arr
 * (borrowed from the new *doc) and the lines of its elements.
 */
int
netinput_json(struct netinput *x, const char *text, size_t len, const char *key,
    json_t **doc, json_t **arr, char *err)
{
	json_error_t	 je;
	char		*near;

	*doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (*doc == NULL) {
		if ((near = strstr(je.text, " near ")) != NULL)
			*near = '\0';
		err_set(err, "%s:%d: %s", x->nx_name, je.line, je.text);
		return -1;
	}
	x->nx_array = "";
	*arr = *doc;
	if (json_is_object(*doc) && key != NULL) {
		x->nx_array = key;
		*arr = json_object_get(*doc, key);
		if (!json_is_array(*arr)) {
			err_set(err, "%s: an object without a \"%s\" array",
			    x->nx_name, key);
			return -1;
		}
	} else if (!json_is_array(*doc)) {
		err_set(err, "%s: not a JSON array", x->nx_name);
		return -1;
	}
	x->nx_lines = ni_json_lines(text, len, json_is_object(*doc) ? key :
	    NULL, json_array_size(*arr));
	return 0;
}

void
netinput_json_where(const struct netinput *x, size_t i,
    struct netcheck_where *w)
{
	w->nw_file = x->nx_file->nfl_name;
	w->nw_line = x->nx_lines != NULL ? x->nx_lines[i] : 0;
	w->nw_index = (int32_t)i;
}

/* "FILE:LINE: results[3]: " before a reason about element i. */
void
netinput_json_err(const struct netinput *x, size_t i, char *err)
{
	char	 line[16] = "";

	if (x->nx_lines != NULL)
		snprintf(line, sizeof(line), ":%u", x->nx_lines[i]);
	err_prefix(err, "%s%s: %s[%zu]: ", x->nx_name, line, x->nx_array, i);
}

/* An optional string member: 0 with *s (NULL if absent or null), or -1. */
int
netinput_member_str(const json_t *o, const char *name, const char **s,
    char *err)
{
	const json_t	*v = json_object_get(o, name);

	*s = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		err_set(err, "\"%s\" is not a string", name);
		return -1;
	}
	*s = json_string_value(v);
	return 0;
}

/* ---- neighbours ---- */

static int
ni_neigh_add(struct netinput *x, const char *ip, const char *mac, int vlan,
    const char *dev, const struct netcheck_where *w, char *err)
{
	struct netcheck		*nc = x->nx_nc;
	struct netcheck_neigh	*n;
	struct netcheck_ip	 a;
	char			 m[ADDR_MAC_LEN + 1], q[NETCHECK_QUOTE_MAX + 1];

	if (netinput_ip(ip, 0, &a, NULL) == -1) {
		err_set(err, "\"%s\" is not an IP address",
		    netinput_quote(ip, q, sizeof(q)));
		return -1;
	}
	if (addr_mac_canon(mac, m) == -1) {
		err_set(err, "\"%s\" is not an Ethernet MAC address",
		    netinput_quote(mac, q, sizeof(q)));
		return -1;
	}
	if (netinput_grow(x, NETCHECK_NEIGH, (void **)&nc->nc_neigh,
	    nc->nc_nneigh, sizeof(*n), err) == -1)
		return -1;
	n = &nc->nc_neigh[nc->nc_nneigh];
	memset(n, 0, sizeof(*n));
	if (dev != NULL && (n->nn_dev = strdup(dev)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	nc->nc_nneigh++;
	n->nn_ip = a;
	memcpy(n->nn_mac, m, sizeof(m));
	n->nn_vlan = vlan;
	n->nn_where = *w;
	x->nx_file->nfl_used++;
	return 0;
}

/* `ip -j neigh`: [{"dst", "dev", "lladdr", "state": [...]}, ...] */
static int
ni_neigh_json(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	const char		*dst, *dev, *ll, *s;
	const json_t		*e, *state, *v;
	json_t			*doc, *arr;
	size_t			 i, j;
	int			 live, rc = -1;

	x->nx_file->nfl_format = "ip -j neigh";
	if (netinput_json(x, text, len, NULL, &doc, &arr, err) == -1)
		goto done;
	json_array_foreach(arr, i, e) {
		netinput_json_where(x, i, &w);
		x->nx_file->nfl_entries++;
		if (!json_is_object(e)) {
			err_set(err, "not an object");
			goto bad;
		}
		if (netinput_member_str(e, "dst", &dst, err) == -1 ||
		    netinput_member_str(e, "dev", &dev, err) == -1 ||
		    netinput_member_str(e, "lladdr", &ll, err) == -1)
			goto bad;
		if (dst == NULL) {
			err_set(err, "no \"dst\"");
			goto bad;
		}
		state = json_object_get(e, "state");
		if (state != NULL && !json_is_array(state)) {
			err_set(err, "\"state\" is not an array");
			goto bad;
		}
		/* A neighbour that does not answer proves nothing live. */
		live = ll != NULL;
		json_array_foreach(state, j, v) {
			if ((s = json_string_value(v)) == NULL) {
				err_set(err, "\"state\" holds a non-string");
				goto bad;
			}
			if (strcmp(s, "FAILED") == 0 ||
			    strcmp(s, "INCOMPLETE") == 0)
				live = 0;
		}
		if (!live)
			continue;
		if (ni_neigh_add(x, dst, ll, -1, dev, &w, err) == -1)
			goto bad;
	}
	rc = 0;
	goto done;
bad:
	netinput_json_err(x, i, err);
done:
	json_decref(doc);
	return rc;
}

/* CSV ip,mac[,vlan], with an optional header line. */
static int
ni_neigh_csv(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	struct netcheck_ip	 ip;
	struct csv		 c;
	int			 rc, vlan, first = 1;

	x->nx_file->nfl_format = "CSV ip,mac[,vlan]";
	csv_init(&c, x->nx_name, text, len);
	w.nw_file = x->nx_file->nfl_name;
	w.nw_index = -1;
	while ((rc = csv_next(&c, err)) == 1) {
		w.nw_line = c.cv_rec;
		if (first && strcasecmp(c.cv_fields[0], "ip") == 0 &&
		    netinput_ip(c.cv_fields[0], 0, &ip, NULL) == -1) {
			first = 0;
			continue;
		}
		first = 0;
		x->nx_file->nfl_entries++;
		if (c.cv_nfields < 2 || c.cv_nfields > 3) {
			err_set(err, "%s:%u: %zu fields, not ip,mac[,vlan]",
			    x->nx_name, c.cv_rec, c.cv_nfields);
			return -1;
		}
		if (ni_vlan(c.cv_nfields == 3 ? c.cv_fields[2] : "", &vlan) ==
		    -1) {
			err_set(err, "%s:%u: the VLAN is not a number from 0 "
			    "to %d", x->nx_name, c.cv_rec, NETCHECK_VLAN_MAX);
			return -1;
		}
		if (ni_neigh_add(x, c.cv_fields[0], c.cv_fields[1], vlan, NULL,
		    &w, err) == -1) {
			err_prefix(err, "%s:%u: ", x->nx_name, c.cv_rec);
			return -1;
		}
	}
	return rc;
}

/* ---- forwarding ---- */

static int
ni_fdb_add(struct netinput *x, const char *mac, const char *port, int vlan,
    const struct netcheck_where *w, char *err)
{
	struct netcheck		*nc = x->nx_nc;
	struct netcheck_fdb	*f;
	char			 m[ADDR_MAC_LEN + 1], q[NETCHECK_QUOTE_MAX + 1];

	if (addr_mac_canon(mac, m) == -1) {
		err_set(err, "\"%s\" is not an Ethernet MAC address",
		    netinput_quote(mac, q, sizeof(q)));
		return -1;
	}
	if (!netinput_name_ok(port)) {
		err_set(err, "\"%s\" is not a port name (1 to %d printable "
		    "bytes)", netinput_quote(port, q, sizeof(q)),
		    NETCHECK_NAME_MAX);
		return -1;
	}
	if (netinput_grow(x, NETCHECK_FDB, (void **)&nc->nc_fdb, nc->nc_nfdb,
	    sizeof(*f), err) == -1)
		return -1;
	f = &nc->nc_fdb[nc->nc_nfdb];
	if ((f->nf_port = strdup(port)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	nc->nc_nfdb++;
	memcpy(f->nf_mac, m, sizeof(m));
	f->nf_vlan = vlan;
	f->nf_where = *w;
	x->nx_file->nfl_used++;
	return 0;
}

/* `bridge -j fdb`: [{"mac", "ifname", "vlan"?, "master"?, ...}, ...] */
static int
ni_fdb_json(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	const char		*mac, *port, *s;
	const json_t		*e, *v;
	json_t			*doc, *arr;
	json_int_t		 vlan;
	size_t			 i;
	int			 rc = -1;

	x->nx_file->nfl_format = "bridge -j fdb";
	if (netinput_json(x, text, len, NULL, &doc, &arr, err) == -1)
		goto done;
	json_array_foreach(arr, i, e) {
		netinput_json_where(x, i, &w);
		x->nx_file->nfl_entries++;
		if (!json_is_object(e)) {
			err_set(err, "not an object");
			goto bad;
		}
		if (netinput_member_str(e, "mac", &mac, err) == -1 ||
		    netinput_member_str(e, "ifname", &port, err) == -1 ||
		    netinput_member_str(e, "master", &s, err) == -1 ||
		    netinput_member_str(e, "state", &s, err) == -1)
			goto bad;
		if (mac == NULL || port == NULL) {
			err_set(err, "no \"%s\"", mac == NULL ? "mac" :
			    "ifname");
			goto bad;
		}
		vlan = -1;
		if ((v = json_object_get(e, "vlan")) != NULL) {
			vlan = json_is_integer(v) ? json_integer_value(v) : -2;
			if (vlan < 0 || vlan > NETCHECK_VLAN_MAX) {
				err_set(err, "\"vlan\" is not a number from 0 "
				    "to %d", NETCHECK_VLAN_MAX);
				goto bad;
			}
		}
		if ((v = json_object_get(e, "flags")) != NULL &&
		    !json_is_array(v)) {
			err_set(err, "\"flags\" is not an array");
			goto bad;
		}
		if (ni_fdb_add(x, mac, port, (int)vlan, &w, err) == -1)
			goto bad;
	}
	rc = 0;
	goto done;
bad:
	netinput_json_err(x, i, err);
done:
	json_decref(doc);
	return rc;
}

/* CSV mac,port[,vlan], with an optional header line. */
static int
ni_fdb_csv(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	struct csv		 c;
	char			 m[ADDR_MAC_LEN + 1];
	int			 rc, vlan, first = 1;

	x->nx_file->nfl_format = "CSV mac,port[,vlan]";
	csv_init(&c, x->nx_name, text, len);
	w.nw_file = x->nx_file->nfl_name;
	w.nw_index = -1;
	while ((rc = csv_next(&c, err)) == 1) {
		w.nw_line = c.cv_rec;
		if (first && strcasecmp(c.cv_fields[0], "mac") == 0 &&
		    addr_mac_canon(c.cv_fields[0], m) == -1) {
			first = 0;
			continue;
		}
		first = 0;
		x->nx_file->nfl_entries++;
		if (c.cv_nfields < 2 || c.cv_nfields > 3) {
			err_set(err, "%s:%u: %zu fields, not mac,port[,vlan]",
			    x->nx_name, c.cv_rec, c.cv_nfields);
			return -1;
		}
		if (ni_vlan(c.cv_nfields == 3 ? c.cv_fields[2] : "", &vlan) ==
		    -1) {
			err_set(err, "%s:%u: the VLAN is not a number from 0 "
			    "to %d", x->nx_name, c.cv_rec, NETCHECK_VLAN_MAX);
			return -1;
		}
		if (ni_fdb_add(x, c.cv_fields[0], c.cv_fields[1], vlan, &w,
		    err) == -1) {
			err_prefix(err, "%s:%u: ", x->nx_name, c.cv_rec);
			return -1;
		}
	}
	return rc;
}

/* ---- one file ---- */

/*
 * Read one input file's text (NUL-terminated at len, which this may
 * write to) into nc. name is what messages and evidence call it.
 * Returns 0, or -1 with "FILE:LINE: reason"; nc then holds part of the
 * file and is good only for netcheck_free().
 */
int
netinput_load(struct netcheck *nc, enum netcheck_input in, const char *name,
    char *text, size_t len, char *err)
{
	struct netcheck_file	*f;
	struct netinput		 x;
	int			 json, rc = -1;

	if (nc->nc_given[in] >= NETCHECK_FILES_MAX) {
		err_set(err, "%s: more than %d %s files", name,
		    NETCHECK_FILES_MAX, netinput_name(in));
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		err_set(err, "%s: a NUL byte: not a text file", name);
		return -1;
	}
	if ((f = reallocarray(nc->nc_files, nc->nc_nfiles + 1,
	    sizeof(*f))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	nc->nc_files = f;
	f = &nc->nc_files[nc->nc_nfiles];
	memset(f, 0, sizeof(*f));
	if ((f->nfl_name = strdup(name)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	f->nfl_input = in;
	nc->nc_nfiles++;
	nc->nc_given[in]++;
	memset(&x, 0, sizeof(x));
	x.nx_nc = nc;
	x.nx_file = f;
	x.nx_name = name;
	json = netinput_is_json(text, len);
	switch (in) {
	case NETCHECK_ALLOCATIONS:
		rc = netalloc_load(&x, text, len, err);
		break;
	case NETCHECK_NEIGH:
		rc = json ? ni_neigh_json(&x, text, len, err) :
		    ni_neigh_csv(&x, text, len, err);
		break;
	case NETCHECK_FDB:
		rc = json ? ni_fdb_json(&x, text, len, err) :
		    ni_fdb_csv(&x, text, len, err);
		break;
	default:
		rc = netnodes_load(&x, text, len, err);
		break;
	}
	free(x.nx_lines);
	return rc;
}

