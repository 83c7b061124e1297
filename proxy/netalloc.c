/*
 * netalloc.c: the IP allocations of the cross-check, the prefixes and
 * addresses the reseller was given: a CIDR list (one prefix or address a
 * line, '#' comments), or a NetBox export, either the REST API's JSON of
 * /api/ipam/prefixes/ and /api/ipam/ip-addresses/ (the answer, or its
 * "results" as a bare array) or the CSV a NetBox table exports. A NetBox
 * IP address ("203.0.113.5/24") allocates that one address: its length
 * is the subnet's, not the allocation's.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sightline.h"

/* Add a prefix (or a host, plen -1). Returns 0, or -1 with a reason. */
static int
na_prefix(struct netinput *x, const char *text, int host,
    const struct netcheck_where *w, char *err)
{
	struct netcheck		*nc = x->nx_nc;
	struct netcheck_prefix	*p;
	struct netcheck_ip	 ip, net;
	char			 q[NETCHECK_QUOTE_MAX + 1], t[ADDR_IP_LEN];
	int			 plen, max, i;

	if (netinput_ip(text, ADDR_PREFIX_OK, &ip, &plen) == -1) {
		err_set(err, "\"%s\" is not an IP prefix",
		    netinput_quote(text, q, sizeof(q)));
		return -1;
	}
	max = ip.ni_af == 6 ? 128 : 32;
	if (host || plen == -1)
		plen = max;
	net = ip;
	for (i = plen; i < max; i++)
		net.ni_addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if (memcmp(&net, &ip, sizeof(ip)) != 0) {
		netinput_ip_text(&net, t, sizeof(t));
		err_set(err, "%s has host bits set (the network is %s/%d)",
		    netinput_quote(text, q, sizeof(q)), t, plen);
		return -1;
	}
	if (netinput_grow(x, NETCHECK_ALLOCATIONS, (void **)&nc->nc_prefixes,
	    nc->nc_nprefixes, sizeof(*p), err) == -1)
		return -1;
	p = &nc->nc_prefixes[nc->nc_nprefixes++];
	p->np_net = net;
	p->np_len = (uint8_t)plen;
	p->np_where = *w;
	x->nx_file->nfl_used++;
	return 0;
}

/* Is a NetBox entry of this status and tenant one to keep? */
static int
na_netbox_keep(const struct netinput *x, const char *status,
    const char *tenant, const char *slug)
{
	const char	*want = x->nx_nc->nc_tenant;

	/* A deprecated prefix or address is no longer allocated. */
	if (status != NULL && strcasecmp(status, "deprecated") == 0)
		return 0;
	if (want == NULL)
		return 1;
	return (tenant != NULL && strcasecmp(tenant, want) == 0) ||
	    (slug != NULL && strcasecmp(slug, want) == 0);
}

/* A CIDR list: one prefix (or address) a line, '#' comments. */
static int
na_cidr_list(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	char			*p = text, *end = text + len, *eol, *s, *e;

	x->nx_file->nfl_format = "CIDR list";
	w.nw_file = x->nx_file->nfl_name;
	w.nw_index = -1;
	if (x->nx_nc->nc_tenant != NULL) {
		err_set(err, "%s: --tenant selects NetBox data, and this is a "
		    "CIDR list", x->nx_name);
		return -1;
	}
	for (w.nw_line = 1; p < end; w.nw_line++, p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		*eol = '\0';
		if ((s = strchr(p, '#')) != NULL)
			*s = '\0';
		for (s = p; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)
		    e[-1]); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		x->nx_file->nfl_entries++;
		if (na_prefix(x, s, 0, &w, err) == -1) {
			err_prefix(err, "%s:%u: ", x->nx_name, w.nw_line);
			return -1;
		}
	}
	return 0;
}

/* NetBox's CSV export of prefixes or IP addresses. */
static int
na_netbox_csv(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	struct csv		 c;
	int			 col, host, ten, st, rc;

	x->nx_file->nfl_format = "NetBox CSV";
	csv_init(&c, x->nx_name, text, len);
	if ((rc = csv_next(&c, err)) <= 0) {
		if (rc == 0)
			err_set(err, "%s: empty", x->nx_name);
		return -1;
	}
	host = 0;
	if ((col = csv_column(&c, "prefix")) == -1) {
		host = 1;
		if ((col = csv_column(&c, "address")) == -1)
			col = csv_column(&c, "ip address");
	}
	if (col == -1) {
		err_set(err, "%s:%u: neither a CIDR nor a NetBox CSV header "
		    "(with a \"Prefix\", \"Address\" or \"IP Address\" column)",
		    x->nx_name, c.cv_rec);
		return -1;
	}
	ten = csv_column(&c, "tenant");
	st = csv_column(&c, "status");
	if (x->nx_nc->nc_tenant != NULL && ten == -1) {
		err_set(err, "%s:%u: --tenant, and there is no \"Tenant\" "
		    "column", x->nx_name, c.cv_rec);
		return -1;
	}
	w.nw_file = x->nx_file->nfl_name;
	w.nw_index = -1;
	while ((rc = csv_next(&c, err)) == 1) {
		w.nw_line = c.cv_rec;
		if (c.cv_nfields <= (size_t)col) {
			err_set(err, "%s:%u: %zu fields, fewer than the "
			    "header's", x->nx_name, c.cv_rec, c.cv_nfields);
			return -1;
		}
		x->nx_file->nfl_entries++;
		if (!na_netbox_keep(x, st != -1 && (size_t)st < c.cv_nfields ?
		    c.cv_fields[st] : NULL, ten != -1 && (size_t)ten <
		    c.cv_nfields ? c.cv_fields[ten] : NULL, NULL))
			continue;
		if (na_prefix(x, c.cv_fields[col], host, &w, err) == -1) {
			err_prefix(err, "%s:%u: ", x->nx_name, c.cv_rec);
			return -1;
		}
	}
	return rc;
}

/* NetBox's REST API answer (/api/ipam/prefixes/, /ip-addresses/). */
static int
na_netbox_json(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_where	 w;
	const json_t		*e, *st, *ten;
	const char		*pfx, *addr, *status, *tname, *tslug;
	json_t			*doc, *arr;
	size_t			 i;
	int			 rc = -1;

	x->nx_file->nfl_format = "NetBox JSON";
	if (netinput_json(x, text, len, "results", &doc, &arr, err) == -1)
		goto done;
	if (json_is_object(doc) && !json_is_null(json_object_get(doc,
	    "next")) && json_object_get(doc, "next") != NULL) {
		err_set(err, "%s: \"next\" is set: this is one page of the "
		    "results; export them all (?limit=0, or the pages' results "
		    "joined into one array)", x->nx_name);
		goto done;
	}
	json_array_foreach(arr, i, e) {
		netinput_json_where(x, i, &w);
		x->nx_file->nfl_entries++;
		if (!json_is_object(e)) {
			err_set(err, "not an object");
			goto bad;
		}
		if (netinput_member_str(e, "prefix", &pfx, err) == -1 ||
		    netinput_member_str(e, "address", &addr, err) == -1)
			goto bad;
		if (pfx == NULL && addr == NULL) {
			err_set(err, "neither \"prefix\" nor \"address\"");
			goto bad;
		}
		/* NetBox >= 2.10 gives {"value": "active"}, older "label"s. */
		status = NULL;
		st = json_object_get(e, "status");
		if (json_is_object(st))
			st = json_is_string(json_object_get(st, "value")) ?
			    json_object_get(st, "value") :
			    json_object_get(st, "label");
		if (st != NULL && !json_is_null(st) && !json_is_string(st)) {
			err_set(err, "\"status\" is not a NetBox status");
			goto bad;
		}
		status = json_string_value(st);
		tname = tslug = NULL;
		ten = json_object_get(e, "tenant");
		if (json_is_object(ten)) {
			tname = json_string_value(json_object_get(ten, "name"));
			tslug = json_string_value(json_object_get(ten, "slug"));
		} else if (json_is_string(ten))
			tname = json_string_value(ten);
		else if (ten != NULL && !json_is_null(ten)) {
			err_set(err, "\"tenant\" is not a NetBox tenant");
			goto bad;
		}
		if (!na_netbox_keep(x, status, tname, tslug))
			continue;
		if (na_prefix(x, pfx != NULL ? pfx : addr, pfx == NULL, &w,
		    err) == -1)
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

/*
 * Read allocations, of any of the formats, into x's netcheck. Returns 0,
 * or -1 with "FILE:LINE: reason".
 */
int
netalloc_load(struct netinput *x, char *text, size_t len, char *err)
{
	struct netcheck_ip	 ip;
	char			 line[CSV_RECORD_MAX + 1], *s, *e;
	size_t			 i, n;
	int			 plen;

	if (netinput_is_json(text, len))
		return na_netbox_json(x, text, len, err);
	/* The first line that says something tells a CIDR list. */
	for (i = 0; i < len; i += n + 1) {
		n = strcspn(text + i, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ?
		    n : sizeof(line) - 1), text + i);
		line[strcspn(line, "#")] = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);
		    e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		if (netinput_ip(s, ADDR_PREFIX_OK, &ip, &plen) == 0)
			break;
		return na_netbox_csv(x, text, len, err);
	}
	return na_cidr_list(x, text, len, err);
}

