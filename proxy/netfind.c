/*
 * netfind.c: the checks of the network cross-check, over what
 * netcheck.c read (struct netfind). Each one reports its findings and a
 * line saying what it looked at:
 *
 *   unclaimed-ip        a live IP inside the allocations no record claims
 *   mac-mismatch        a claimed IP answers from another MAC
 *   outside-allocation  an attested IP outside every allocated prefix
 *   duplicate-ip        an IP attested by two records or interfaces
 *   duplicate-mac       a MAC attested by two records or interfaces
 *   wrong-port          a record's MAC on a switch port of another server
 *                       than its node's, or only on unknown ports
 *   over-capacity       a node whose records attest more CPU, memory or
 *                       disk than its capacity times the overcommit ratio
 *
 * Everything is sorted once and searched by bisection, so 10,000 records
 * against 20,000 neighbours take milliseconds, not a product of sizes.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

#define FIND_DETAIL_MAX	1024	/* a finding's sentence */
#define FIND_NAMES_SHOWN	5	/* records named in a check's detail */

/* ---- comparisons ---- */

static int
find_cmp_claim(const void *a, const void *b)
{
	const struct netfind_claim	*x = a, *y = b;
	int				 c;

	if ((c = netinput_cmp_ip(&x->fc_ip, &y->fc_ip)) != 0)
		return c;
	return x->fc_iface < y->fc_iface ? -1 : x->fc_iface > y->fc_iface;
}

static int
find_cmp_mac(const void *a, const void *b)
{
	const struct netfind_iface	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->fi_mac, y->fi_mac)) != 0)
		return c;
	if (x->fi_rec != y->fi_rec)
		return x->fi_rec < y->fi_rec ? -1 : 1;
	return x->fi_idx < y->fi_idx ? -1 : x->fi_idx > y->fi_idx;
}

/* Family, then the longest prefix first, then the network. */
static int
find_cmp_prefix(const void *a, const void *b)
{
	const struct netcheck_prefix	*x = a, *y = b;

	if (x->np_net.ni_af != y->np_net.ni_af)
		return x->np_net.ni_af < y->np_net.ni_af ? -1 : 1;
	if (x->np_len != y->np_len)
		return x->np_len > y->np_len ? -1 : 1;
	return memcmp(x->np_net.ni_addr, y->np_net.ni_addr, 16);
}

/* Two sightings of the same: the first read is the evidence. */
static int
find_cmp_where(const struct netcheck_where *x, const struct netcheck_where *y)
{
	int	 c;

	if ((c = strcmp(x->nw_file, y->nw_file)) != 0)
		return c;
	if (x->nw_line != y->nw_line)
		return x->nw_line < y->nw_line ? -1 : 1;
	return x->nw_index < y->nw_index ? -1 : x->nw_index > y->nw_index;
}

static int
find_cmp_neigh(const void *a, const void *b)
{
	const struct netcheck_neigh	*x = a, *y = b;
	int				 c;

	if ((c = netinput_cmp_ip(&x->nn_ip, &y->nn_ip)) != 0)
		return c;
	if ((c = strcmp(x->nn_mac, y->nn_mac)) != 0)
		return c;
	return find_cmp_where(&x->nn_where, &y->nn_where);
}

static int
find_cmp_fdb(const void *a, const void *b)
{
	const struct netcheck_fdb	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->nf_mac, y->nf_mac)) != 0)
		return c;
	if ((c = strcmp(x->nf_port, y->nf_port)) != 0)
		return c;
	return find_cmp_where(&x->nf_where, &y->nf_where);
}

/* ---- lookups ---- */

/* The first of the claims of ip, and how many (0: none). */
static size_t
find_claims_of(const struct netfind *n, const struct netcheck_ip *ip,
    size_t *first)
{
	size_t	 lo = 0, hi = n->fn_nclaims, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (netinput_cmp_ip(&n->fn_claims[mid].fc_ip, ip) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (k = lo; k < n->fn_nclaims &&
	    netinput_cmp_ip(&n->fn_claims[k].fc_ip, ip) == 0; k++)
		;
	return k - lo;
}

/* How many claims, from the i-th, are of the i-th's address. */
static size_t
find_claims_at(const struct netfind *n, size_t i)
{
	size_t	 k;

	for (k = i + 1; k < n->fn_nclaims && netinput_cmp_ip(
	    &n->fn_claims[k].fc_ip, &n->fn_claims[i].fc_ip) == 0; k++)
		;
	return k - i;
}

/* The most specific allocated prefix holding ip, or NULL. */
static const struct netcheck_prefix *
find_allocated(const struct netfind *n, const struct netcheck_ip *ip)
{
	const struct netfind_group	*g;
	struct netcheck_ip		 m;
	size_t				 gi, lo, hi, mid, i;
	int				 c;

	for (gi = 0; gi < n->fn_ngroups; gi++) {
		g = &n->fn_groups[gi];
		if (g->fg_af != ip->ni_af)
			continue;
		m = *ip;
		for (i = g->fg_len; i < 128; i++)
			m.ni_addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		lo = g->fg_start;
		hi = g->fg_end;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			c = memcmp(n->fn_pfx[mid].np_net.ni_addr, m.ni_addr,
			    16);
			if (c == 0)
				return &n->fn_pfx[mid];
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return NULL;
}

/* The first forwarding entry of mac, and how many. */
static size_t
find_fdb_of(const struct netfind *n, const char *mac, size_t *first)
{
	size_t	 lo = 0, hi = n->fn_nc->nc_nfdb, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(n->fn_fdb[mid].nf_mac, mac) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (k = lo; k < n->fn_nc->nc_nfdb &&
	    strcmp(n->fn_fdb[k].nf_mac, mac) == 0; k++)
		;
	return k - lo;
}

/*
 * Whose port is it? Returns 1 if it is a port of server, else 0 with
 * *other set to a server it belongs to (NULL: to none in the inventory).
 */
static int
find_port_of(const struct netcheck *nc, const char *port, const char *server,
    const struct netcheck_port **other)
{
	size_t	 lo = 0, hi = nc->nc_nports, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(nc->nc_ports[mid].npo_port, port) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*other = NULL;
	for (k = lo; k < nc->nc_nports &&
	    strcmp(nc->nc_ports[k].npo_port, port) == 0; k++) {
		if (strcmp(nc->nc_ports[k].npo_server, server) == 0)
			return 1;
		*other = &nc->nc_ports[k];
	}
	return 0;
}

static int
find_cmp_node(const void *a, const void *b)
{
	const struct netcheck_node	*x = a, *y = b;

	return strcmp(x->nd_key, y->nd_key);
}

/* A record's node in the inventory: "panel/node" first, then "node". */
static const struct netcheck_node *
find_node(const struct netcheck *nc, const char *panel, const char *node)
{
	const struct netcheck_node	*nd = NULL;
	struct netcheck_node		 want;
	char				 key[2 * NETCHECK_NAME_MAX + 2];

	if (node == NULL || nc->nc_nnodes == 0)
		return NULL;
	want.nd_key = key;
	if (panel != NULL) {
		snprintf(key, sizeof(key), "%s/%s", panel, node);
		nd = bsearch(&want, nc->nc_nodes, nc->nc_nnodes,
		    sizeof(*nc->nc_nodes), find_cmp_node);
	}
	if (nd == NULL) {
		snprintf(key, sizeof(key), "%s", node);
		nd = bsearch(&want, nc->nc_nodes, nc->nc_nnodes,
		    sizeof(*nc->nc_nodes), find_cmp_node);
	}
	return nd;
}

/* ---- the report ---- */

/*
 * One finding. ids is stolen; the strings may be NULL (JSON null);
 * detail is a sentence that says it all, for audit's report.
 */
static void
find_add(struct netfind *n, const char *kind, json_t *ids, const char *address,
    const char *attested, const char *observed,
    const struct netcheck_where *w, const char *fmt, ...)
    __attribute__((__format__(printf, 8, 9)));
static void
find_add(struct netfind *n, const char *kind, json_t *ids, const char *address,
    const char *attested, const char *observed,
    const struct netcheck_where *w, const char *fmt, ...)
{
	char	 where[PATH_MAX + 32], detail[FIND_DETAIL_MAX];
	va_list	 ap;
	json_t	*o;

	if (w != NULL)
		netinput_where(w, where, sizeof(where));
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:o, s:s?, s:s?, s:s?, s:s?, s:s}", "kind", kind,
	    "ids", ids != NULL ? ids : json_array(), "address", address,
	    "attested", attested, "observed", observed, "where",
	    w != NULL ? where : NULL, "detail", detail);
	json_array_append_new(n->fn_findings, o);
	n->fn_found++;
}

/* A check's line: whether it ran, what it looked at, what it found. */
static void
find_check(struct netfind *n, const char *name, int ran, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));
static void
find_check(struct netfind *n, const char *name, int ran, const char *fmt, ...)
{
	char	 detail[FIND_DETAIL_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_array_append_new(n->fn_checks, json_pack("{s:s, s:b, s:I, s:s}",
	    "check", name, "ran", ran, "findings", (json_int_t)n->fn_found,
	    "detail", detail));
	n->fn_found = 0;
}

static const char *
find_id(const struct netfind *n, size_t iface)
{
	return n->fn_recs[n->fn_ifaces[iface].fi_rec].fr_id;
}

/* The record ids of claims [first, first + count), each once. */
static json_t *
find_claim_ids(const struct netfind *n, size_t first, size_t count)
{
	json_t	*ids = json_array();
	size_t	 i, j;

	for (i = first; i < first + count; i++) {
		for (j = first; j < i; j++)
			if (n->fn_ifaces[n->fn_claims[j].fc_iface].fi_rec ==
			    n->fn_ifaces[n->fn_claims[i].fc_iface].fi_rec)
				break;
		if (j == i)
			json_array_append_new(ids, json_string(find_id(n,
			    n->fn_claims[i].fc_iface)));
	}
	return ids;
}

/* "pve/100 interfaces[0], pve/102 interfaces[1]" for a sentence. */
static void
find_claimants(const struct netfind *n, size_t first, size_t count, char *out,
    size_t len)
{
	const struct netfind_iface	*f;
	size_t				 i, o = 0;

	*out = '\0';
	for (i = first; i < first + count && o < len; i++) {
		f = &n->fn_ifaces[n->fn_claims[i].fc_iface];
		o += (size_t)snprintf(out + o, len - o, "%s%s interfaces[%zu]",
		    i == first ? "" : ", ", n->fn_recs[f->fi_rec].fr_id,
		    f->fi_idx);
	}
}

/* ---- sorting ---- */

/*
 * Sort what netcheck.c read for bisection: the records' MACs and
 * addresses, and copies of the hoster's inputs (the netcheck stays
 * const); and find each record's node in the inventory. Returns 0, or
 * -1 with a reason.
 */
int
netfind_index(struct netfind *n, char *err)
{
	const struct netcheck	*nc = n->fn_nc;
	struct netfind_group	*g;
	size_t			 i;

	n->fn_pfx = calloc(nc->nc_nprefixes + 1, sizeof(*n->fn_pfx));
	n->fn_groups = calloc(nc->nc_nprefixes + 1, sizeof(*n->fn_groups));
	n->fn_neigh = calloc(nc->nc_nneigh + 1, sizeof(*n->fn_neigh));
	n->fn_fdb = calloc(nc->nc_nfdb + 1, sizeof(*n->fn_fdb));
	if (n->fn_pfx == NULL || n->fn_groups == NULL || n->fn_neigh == NULL ||
	    n->fn_fdb == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < n->fn_nrecs; i++)
		n->fn_recs[i].fr_inv = find_node(nc, n->fn_recs[i].fr_panel,
		    n->fn_recs[i].fr_node);
	for (i = 0; i < n->fn_nifaces; i++)
		if (n->fn_ifaces[i].fi_mac[0] != '\0')
			n->fn_bymac[n->fn_nbymac++] = n->fn_ifaces[i];
	qsort(n->fn_bymac, n->fn_nbymac, sizeof(*n->fn_bymac), find_cmp_mac);
	qsort(n->fn_claims, n->fn_nclaims, sizeof(*n->fn_claims),
	    find_cmp_claim);
	/* An input not given is NULL, which memcpy() may not be passed. */
	if (nc->nc_nprefixes > 0)
		memcpy(n->fn_pfx, nc->nc_prefixes,
		    nc->nc_nprefixes * sizeof(*n->fn_pfx));
	qsort(n->fn_pfx, nc->nc_nprefixes, sizeof(*n->fn_pfx),
	    find_cmp_prefix);
	for (i = 0; i < nc->nc_nprefixes; i++) {
		g = n->fn_ngroups > 0 ? &n->fn_groups[n->fn_ngroups - 1] : NULL;
		if (g == NULL || g->fg_af != n->fn_pfx[i].np_net.ni_af ||
		    g->fg_len != n->fn_pfx[i].np_len) {
			g = &n->fn_groups[n->fn_ngroups++];
			g->fg_af = n->fn_pfx[i].np_net.ni_af;
			g->fg_len = n->fn_pfx[i].np_len;
			g->fg_start = i;
		}
		g->fg_end = i + 1;
	}
	if (nc->nc_nneigh > 0)
		memcpy(n->fn_neigh, nc->nc_neigh,
		    nc->nc_nneigh * sizeof(*n->fn_neigh));
	qsort(n->fn_neigh, nc->nc_nneigh, sizeof(*n->fn_neigh), find_cmp_neigh);
	if (nc->nc_nfdb > 0)
		memcpy(n->fn_fdb, nc->nc_fdb, nc->nc_nfdb * sizeof(*n->fn_fdb));
	qsort(n->fn_fdb, nc->nc_nfdb, sizeof(*n->fn_fdb), find_cmp_fdb);
	return 0;
}

/* ---- the checks ---- */

/* Is neighbour entry i the same address and MAC as the one before? */
static int
find_neigh_again(const struct netfind *n, size_t i)
{
	const struct netcheck_neigh	*a, *b;

	if (i == 0)
		return 0;
	a = &n->fn_neigh[i - 1];
	b = &n->fn_neigh[i];
	return netinput_cmp_ip(&a->nn_ip, &b->nn_ip) == 0 &&
	    strcmp(a->nn_mac, b->nn_mac) == 0;
}

/* The record interface that shows mac, if one does. */
static const struct netfind_iface *
find_mac_owner(const struct netfind *n, const char *mac)
{
	size_t	 lo = 0, hi = n->fn_nbymac, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(n->fn_bymac[mid].fi_mac, mac) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n->fn_nbymac && strcmp(n->fn_bymac[lo].fi_mac, mac) == 0 ?
	    &n->fn_bymac[lo] : NULL;
}

static void
find_unclaimed(struct netfind *n)
{
	const struct netcheck_prefix	*p;
	const struct netcheck_neigh	*e;
	char				 ip[ADDR_IP_LEN], net[ADDR_IP_LEN];
	char				 pw[PATH_MAX + 32], ew[PATH_MAX + 32];
	size_t				 i, first, inside = 0, live = 0;

	if (n->fn_nc->nc_given[NETCHECK_ALLOCATIONS] == 0 ||
	    n->fn_nc->nc_given[NETCHECK_NEIGH] == 0) {
		find_check(n, "unclaimed-ip", 0, "skipped: needs --allocations "
		    "and --neigh");
		return;
	}
	for (i = 0; i < n->fn_nc->nc_nneigh; i++) {
		if (find_neigh_again(n, i))
			continue;
		e = &n->fn_neigh[i];
		live++;
		if ((p = find_allocated(n, &e->nn_ip)) == NULL)
			continue;
		inside++;
		if (find_claims_of(n, &e->nn_ip, &first) > 0)
			continue;
		netinput_ip_text(&e->nn_ip, ip, sizeof(ip));
		netinput_ip_text(&p->np_net, net, sizeof(net));
		netinput_where(&p->np_where, pw, sizeof(pw));
		netinput_where(&e->nn_where, ew, sizeof(ew));
		find_add(n, "unclaimed-ip", NULL, ip, NULL, e->nn_mac,
		    &e->nn_where, "%s is live (MAC %s%s%s, %s) inside the "
		    "allocation %s/%u (%s), and no record claims it", ip,
		    e->nn_mac, e->nn_dev != NULL ? " on " : "",
		    e->nn_dev != NULL ? e->nn_dev : "", ew, net, p->np_len, pw);
	}
	find_check(n, "unclaimed-ip", 1, "%zu live neighbour addresses, %zu "
	    "inside the allocations, each claimed by a record or reported",
	    live, inside);
}

static void
find_mac_mismatch(struct netfind *n)
{
	const struct netcheck_neigh	*e;
	const struct netfind_iface	*f, *owner;
	char				 ip[ADDR_IP_LEN], ew[PATH_MAX + 32];
	char				 att[FIND_DETAIL_MAX / 2], also[128];
	json_t				*ids;
	size_t				 i, k, first, count, checked = 0;
	size_t				 hidden = 0, shown, o;
	int				 same;

	if (n->fn_nc->nc_given[NETCHECK_NEIGH] == 0) {
		find_check(n, "mac-mismatch", 0, "skipped: needs --neigh");
		return;
	}
	for (i = 0; i < n->fn_nc->nc_nneigh; i++) {
		if (find_neigh_again(n, i))
			continue;
		e = &n->fn_neigh[i];
		if ((count = find_claims_of(n, &e->nn_ip, &first)) == 0)
			continue;
		same = 0;
		shown = 0;
		for (k = first; k < first + count; k++) {
			f = &n->fn_ifaces[n->fn_claims[k].fc_iface];
			if (f->fi_mac[0] != '\0') {
				shown++;
				same |= strcmp(f->fi_mac, e->nn_mac) == 0;
			}
		}
		if (shown == 0) {
			hidden++;
			continue;
		}
		checked++;
		if (same)
			continue;
		ids = json_array();
		att[0] = '\0';
		for (k = first, o = 0; k < first + count; k++) {
			f = &n->fn_ifaces[n->fn_claims[k].fc_iface];
			if (f->fi_mac[0] == '\0')
				continue;
			json_array_append_new(ids, json_string(find_id(n,
			    n->fn_claims[k].fc_iface)));
			if (o < sizeof(att))
				o += (size_t)snprintf(att + o, sizeof(att) - o,
				    "%s%s", o > 0 ? ", " : "", f->fi_mac);
		}
		/* Whose MAC answers, if a record shows it. */
		also[0] = '\0';
		if ((owner = find_mac_owner(n, e->nn_mac)) != NULL)
			snprintf(also, sizeof(also), ", the MAC of %s",
			    n->fn_recs[owner->fi_rec].fr_id);
		netinput_ip_text(&e->nn_ip, ip, sizeof(ip));
		netinput_where(&e->nn_where, ew, sizeof(ew));
		find_add(n, "mac-mismatch", ids, ip, att, e->nn_mac,
		    &e->nn_where, "%s is attested with MAC %s, and answers "
		    "from %s%s (%s)", ip, att, e->nn_mac, also, ew);
	}
	find_check(n, "mac-mismatch", 1, "%zu live addresses claimed by a "
	    "record with a visible MAC compared; %zu claimed with the MAC not "
	    "visible (committed), not checked", checked, hidden);
}

static void
find_outside(struct netfind *n)
{
	char	 ip[ADDR_IP_LEN], who[FIND_DETAIL_MAX / 2];
	size_t	 i, count, addrs = 0;

	if (n->fn_nc->nc_given[NETCHECK_ALLOCATIONS] == 0) {
		find_check(n, "outside-allocation", 0, "skipped: needs "
		    "--allocations");
		return;
	}
	for (i = 0; i < n->fn_nclaims; i += count) {
		count = find_claims_at(n, i);
		addrs++;
		if (find_allocated(n, &n->fn_claims[i].fc_ip) != NULL)
			continue;
		netinput_ip_text(&n->fn_claims[i].fc_ip, ip, sizeof(ip));
		find_claimants(n, i, count, who, sizeof(who));
		find_add(n, "outside-allocation", find_claim_ids(n, i, count),
		    ip, who, NULL, NULL, "%s, attested by %s, is outside every "
		    "allocated prefix", ip, who);
	}
	find_check(n, "outside-allocation", 1, "%zu attested addresses against "
	    "%zu allocated prefixes", addrs, n->fn_nc->nc_nprefixes);
}

static void
find_duplicate_ip(struct netfind *n)
{
	char	 ip[ADDR_IP_LEN], who[FIND_DETAIL_MAX / 2];
	size_t	 i, count, addrs = 0;

	for (i = 0; i < n->fn_nclaims; i += count) {
		count = find_claims_at(n, i);
		addrs++;
		if (count < 2)
			continue;
		netinput_ip_text(&n->fn_claims[i].fc_ip, ip, sizeof(ip));
		find_claimants(n, i, count, who, sizeof(who));
		find_add(n, "duplicate-ip", find_claim_ids(n, i, count), ip,
		    who, NULL, NULL, "%s is attested by %zu interfaces: %s",
		    ip, count, who);
	}
	find_check(n, "duplicate-ip", 1, "%zu attested addresses", addrs);
}

static void
find_duplicate_mac(struct netfind *n)
{
	const struct netfind_iface	*f;
	char				 who[FIND_DETAIL_MAX / 2];
	json_t				*ids;
	size_t				 i, j, k, o, macs = 0;

	for (i = 0; i < n->fn_nbymac; i = j) {
		for (j = i + 1; j < n->fn_nbymac &&
		    strcmp(n->fn_bymac[j].fi_mac, n->fn_bymac[i].fi_mac) == 0;
		    j++)
			;
		macs++;
		if (j - i < 2)
			continue;
		ids = json_array();
		for (k = i, o = 0; k < j; k++) {
			f = &n->fn_bymac[k];
			if (k == i || f->fi_rec != f[-1].fi_rec)
				json_array_append_new(ids, json_string(
				    n->fn_recs[f->fi_rec].fr_id));
			if (o < sizeof(who))
				o += (size_t)snprintf(who + o, sizeof(who) - o,
				    "%s%s interfaces[%zu]", k == i ? "" : ", ",
				    n->fn_recs[f->fi_rec].fr_id, f->fi_idx);
		}
		find_add(n, "duplicate-mac", ids, n->fn_bymac[i].fi_mac, who,
		    NULL, NULL, "MAC %s is attested by %zu interfaces: %s",
		    n->fn_bymac[i].fi_mac, j - i, who);
	}
	find_check(n, "duplicate-mac", 1, "%zu visible attested MACs", macs);
}

/* Where the switches see one interface's MAC, against its server. */
static void
find_ports_of(struct netfind *n, const struct netfind_rec *rec,
    const struct netfind_iface *f)
{
	const struct netcheck_node	*nd = rec->fr_inv;
	const struct netcheck_port	*other;
	const struct netcheck_fdb	*e;
	char				 att[FIND_DETAIL_MAX / 4];
	char				 obs[FIND_DETAIL_MAX / 4];
	char				 ew[PATH_MAX + 32];
	size_t				 i, first, count;
	int				 own = 0;

	if ((count = find_fdb_of(n, f->fi_mac, &first)) == 0)
		return;
	snprintf(att, sizeof(att), "server %s (node %s)", nd->nd_server,
	    nd->nd_key);
	/*
	 * A port of another server is a finding. Ports of no server in the
	 * inventory (uplinks, other switches) are one only when the MAC is
	 * seen on none of its own server's ports.
	 */
	for (i = first; i < first + count; i++)
		own |= find_port_of(n->fn_nc, n->fn_fdb[i].nf_port,
		    nd->nd_server, &other);
	for (i = first; i < first + count; i++) {
		e = &n->fn_fdb[i];
		if (i > first && strcmp(e[-1].nf_port, e->nf_port) == 0)
			continue;
		if (find_port_of(n->fn_nc, e->nf_port, nd->nd_server, &other) ||
		    (other == NULL && own))
			continue;
		netinput_where(&e->nf_where, ew, sizeof(ew));
		if (other != NULL)
			snprintf(obs, sizeof(obs), "port %s (server %s)",
			    e->nf_port, other->npo_server);
		else
			snprintf(obs, sizeof(obs), "port %s (no server of the "
			    "inventory)", e->nf_port);
		find_add(n, "wrong-port", json_pack("[s]", rec->fr_id),
		    f->fi_mac, att, obs, &e->nf_where, "MAC %s of %s (node %s, "
		    "server %s) is seen on %s (%s)%s", f->fi_mac, rec->fr_id,
		    nd->nd_key, nd->nd_server, obs, ew, other != NULL ? "" :
		    ", and on none of its server's ports");
	}
}

static void
find_wrong_port(struct netfind *n)
{
	const struct netfind_rec	*rec;
	char				 unknown[FIND_DETAIL_MAX / 2];
	size_t				 i, k, macs = 0, lost = 0, o = 0;

	if (n->fn_nc->nc_given[NETCHECK_FDB] == 0 ||
	    n->fn_nc->nc_given[NETCHECK_NODES] == 0) {
		find_check(n, "wrong-port", 0, "skipped: needs --fdb and "
		    "--nodes");
		return;
	}
	unknown[0] = '\0';
	for (i = 0; i < n->fn_nrecs; i++) {
		rec = &n->fn_recs[i];
		if (rec->fr_inv == NULL) {
			if (lost++ < FIND_NAMES_SHOWN && o < sizeof(unknown))
				o += (size_t)snprintf(unknown + o,
				    sizeof(unknown) - o, "%s%s (node %s)",
				    o > 0 ? ", " : "", rec->fr_id,
				    rec->fr_node != NULL ? rec->fr_node :
				    "not visible");
			continue;
		}
		for (k = rec->fr_iface; k < rec->fr_iface + rec->fr_nifaces;
		    k++)
			if (n->fn_ifaces[k].fi_mac[0] != '\0') {
				macs++;
				find_ports_of(n, rec, &n->fn_ifaces[k]);
			}
	}
	find_check(n, "wrong-port", 1, "%zu visible MACs of records on nodes "
	    "of the inventory, against %zu forwarding entries; %zu records "
	    "on no node of the inventory, not checked%s%s%s", macs,
	    n->fn_nc->nc_nfdb, lost, lost > 0 ? ": " : "", unknown,
	    lost > FIND_NAMES_SHOWN ? ", ..." : "");
}

static void
find_over_capacity(struct netfind *n)
{
	static const char		*what[] = { "cpu", "memory_mb",
					    "disk_gb" };
	const struct netcheck		*nc = n->fn_nc;
	const struct netcheck_node	*nd;
	const struct netfind_rec	*rec;
	double				(*sum)[3], cap[3], ratio[3], v[3];
	char				 att[64], obs[128];
	size_t				 i, j, *count, lost = 0;

	if (nc->nc_given[NETCHECK_NODES] == 0) {
		find_check(n, "over-capacity", 0, "skipped: needs --nodes");
		return;
	}
	sum = calloc(nc->nc_nnodes + 1, sizeof(*sum));
	count = calloc(nc->nc_nnodes + 1, sizeof(*count));
	if (sum == NULL || count == NULL) {
		free(sum);
		free(count);
		find_check(n, "over-capacity", 0, "skipped: out of memory");
		return;
	}
	for (i = 0; i < n->fn_nrecs; i++) {
		rec = &n->fn_recs[i];
		if (rec->fr_inv == NULL) {
			lost++;
			continue;
		}
		j = (size_t)(rec->fr_inv - nc->nc_nodes);
		count[j]++;
		/* A resource the record does not show adds nothing. */
		v[0] = rec->fr_cpu;
		v[1] = rec->fr_memory;
		v[2] = rec->fr_disk;
		sum[j][0] += isnan(v[0]) ? 0 : v[0];
		sum[j][1] += isnan(v[1]) ? 0 : v[1];
		sum[j][2] += isnan(v[2]) ? 0 : v[2];
	}
	ratio[0] = nc->nc_ratio_cpu;
	ratio[1] = nc->nc_ratio_memory;
	ratio[2] = nc->nc_ratio_disk;
	for (i = 0; i < nc->nc_nnodes; i++) {
		nd = &nc->nc_nodes[i];
		cap[0] = nd->nd_cpu;
		cap[1] = nd->nd_memory;
		cap[2] = nd->nd_disk;
		for (j = 0; j < 3; j++) {
			if (isnan(cap[j]) || !(sum[i][j] > cap[j] * ratio[j]))
				continue;
			snprintf(att, sizeof(att), "%s %.15g", what[j],
			    sum[i][j]);
			snprintf(obs, sizeof(obs), "%.15g x %.15g = %.15g",
			    cap[j], ratio[j], cap[j] * ratio[j]);
			find_add(n, "over-capacity", json_pack("[s]",
			    nd->nd_key), NULL, att, obs, &nd->nd_where,
			    "node %s (server %s): its %zu records attest %s "
			    "%.15g, more than its capacity times the "
			    "overcommit ratio, %s", nd->nd_key, nd->nd_server,
			    count[i], what[j], sum[i][j], obs);
		}
	}
	find_check(n, "over-capacity", 1, "%zu nodes of the inventory, ratios "
	    "cpu=%g, memory=%g, disk=%g; %zu records on no node of the "
	    "inventory, not counted", nc->nc_nnodes, ratio[0], ratio[1],
	    ratio[2], lost);
	free(sum);
	free(count);
}


/* Run every check, in the order of the report. */
void
netfind_all(struct netfind *n)
{
	find_unclaimed(n);
	find_mac_mismatch(n);
	find_outside(n);
	find_duplicate_ip(n);
	find_duplicate_mac(n);
	find_wrong_port(n);
	find_over_capacity(n);
}

/* Free what netcheck.c and netfind_index() allocated. */
void
netfind_clear(struct netfind *n)
{
	free(n->fn_recs);
	free(n->fn_ifaces);
	free(n->fn_bymac);
	free(n->fn_claims);
	free(n->fn_pfx);
	free(n->fn_groups);
	free(n->fn_neigh);
	free(n->fn_fdb);
}

