/*
 * netcheck.c: the hoster's network cross-check. The records a reseller
 * signed say which VPS holds which address, MAC and node; the hoster's
 * own network says what is live (neighbour tables), where each MAC is
 * (switch forwarding tables), what was allocated (IPAM) and what each
 * server can hold (an inventory). This file holds the inputs
 * (netinput.c reads them), reads the records' visible fields, and runs
 * the checks (netfind.c) into a report.
 *
 * Only what is visible in the redacted records is checked: a committed
 * MAC is compared with nothing, and a record without a node is on no
 * node. A check runs only when its inputs were given; the report says
 * which ran and which were skipped.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* ---- setting up ---- */

struct netcheck *
netcheck_new(void)
{
	struct netcheck	*nc;

	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		return NULL;
	nc->nc_ratio_cpu = NETCHECK_CPU_RATIO;
	nc->nc_ratio_memory = NETCHECK_MEMORY_RATIO;
	nc->nc_ratio_disk = NETCHECK_DISK_RATIO;
	return nc;
}

void
netcheck_free(struct netcheck *nc)
{
	size_t	 i, j;

	if (nc == NULL)
		return;
	for (i = 0; i < nc->nc_nneigh; i++)
		free(nc->nc_neigh[i].nn_dev);
	for (i = 0; i < nc->nc_nfdb; i++)
		free(nc->nc_fdb[i].nf_port);
	for (i = 0; i < nc->nc_nnodes; i++) {
		free(nc->nc_nodes[i].nd_key);
		free(nc->nc_nodes[i].nd_server);
		for (j = 0; j < nc->nc_nodes[i].nd_nports; j++)
			free(nc->nc_nodes[i].nd_ports[j]);
		free(nc->nc_nodes[i].nd_ports);
	}
	for (i = 0; i < nc->nc_nfiles; i++)
		free(nc->nc_files[i].nfl_name);
	free(nc->nc_files);
	free(nc->nc_prefixes);
	free(nc->nc_neigh);
	free(nc->nc_fdb);
	free(nc->nc_nodes);
	free(nc->nc_ports);
	free(nc->nc_tenant);
	free(nc);
}

/* Keep only NetBox data of this tenant (name or slug). Before loading. */
int
netcheck_tenant(struct netcheck *nc, const char *name, char *err)
{
	if (!netinput_name_ok(name)) {
		err_set(err, "--tenant: not a name (1 to %d printable bytes)",
		    NETCHECK_NAME_MAX);
		return -1;
	}
	free(nc->nc_tenant);
	if ((nc->nc_tenant = strdup(name)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* "cpu=R,memory=R,disk=R", any of them, each R > 0. Returns 0, or -1. */
int
netcheck_overcommit(struct netcheck *nc, const char *spec, char *err)
{
	char	 copy[256], *item, *next, *eq, *end;
	double	 r, *to;
	int	 seen = 0, bit;

	if (strlcpy(copy, spec, sizeof(copy)) >= sizeof(copy) ||
	    *copy == '\0') {
		err_set(err, "--overcommit: not cpu=R,memory=R,disk=R");
		return -1;
	}
	for (item = copy; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(item, '=')) == NULL) {
			err_set(err, "--overcommit: \"%s\" is not NAME=RATIO",
			    item);
			return -1;
		}
		*eq++ = '\0';
		if (strcmp(item, "cpu") == 0) {
			to = &nc->nc_ratio_cpu;
			bit = 1;
		} else if (strcmp(item, "memory") == 0) {
			to = &nc->nc_ratio_memory;
			bit = 2;
		} else if (strcmp(item, "disk") == 0) {
			to = &nc->nc_ratio_disk;
			bit = 4;
		} else {
			err_set(err, "--overcommit: \"%s\" is not cpu, memory "
			    "or disk", item);
			return -1;
		}
		if (seen & bit) {
			err_set(err, "--overcommit: %s is given twice", item);
			return -1;
		}
		seen |= bit;
		r = strtod(eq, &end);
		if (*eq == '\0' || *end != '\0' || !isfinite(r) || r <= 0 ||
		    r > NETCHECK_RATIO_MAX) {
			err_set(err, "--overcommit: %s=%s: the ratio is not a "
			    "number above 0 and at most %g", item, eq,
			    NETCHECK_RATIO_MAX);
			return -1;
		}
		*to = r;
	}
	return 0;
}

int
netcheck_load_file(struct netcheck *nc, enum netcheck_input in,
    const char *path, char *err)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if ((text = file_read(path, NETCHECK_FILE_MAX, &len, err)) == NULL)
		return -1;
	rc = netinput_load(nc, in, path, text, len, err);
	free(text);
	return rc;
}

/*
 * The records of a saved /v1/vps answer ({"records": [...]}) or a bare
 * array of them: a new reference, or NULL with a reason.
 */
json_t *
netcheck_records(const char *name, const char *text, size_t len, char *err)
{
	json_error_t	 je;
	json_t		*doc, *recs;
	const json_t	*r;
	size_t		 i;

	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		err_set(err, "%s:%d: %s", name, je.line, je.text);
		return NULL;
	}
	recs = json_is_object(doc) ? json_object_get(doc, "records") : doc;
	if (!json_is_array(recs)) {
		err_set(err, "%s: neither a /v1/vps answer nor an array of "
		    "records", name);
		json_decref(doc);
		return NULL;
	}
	if (json_array_size(recs) > NETCHECK_RECORDS_MAX) {
		err_set(err, "%s: more than %d records", name,
		    NETCHECK_RECORDS_MAX);
		json_decref(doc);
		return NULL;
	}
	json_array_foreach(recs, i, r)
		if (!json_is_string(json_object_get(r, "id"))) {
			err_set(err, "%s: records[%zu]: not a record (no "
			    "\"id\")", name, i);
			json_decref(doc);
			return NULL;
		}
	json_incref(recs);
	json_decref(doc);
	return recs;
}

/* ---- the records ---- */

static int
nc_number(const json_t *rec, const char *name, double *d, char *err)
{
	const json_t	*v = json_object_get(rec, name);

	*d = NAN;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		err_set(err, "\"%s\" is not a number", name);
		return -1;
	}
	*d = json_number_value(v);
	return 0;
}

/* One interface: its MAC and the addresses it claims. */
static int
nc_read_iface(struct netfind *n, size_t ri, size_t fi, const json_t *ifc,
    char *err)
{
	struct netfind_iface	*f = &n->fn_ifaces[n->fn_nifaces];
	struct netfind_claim	*c;
	const json_t		*ips, *v;
	const char		*mac;
	char			 q[NETCHECK_QUOTE_MAX + 1], canon[ADDR_IP_LEN];
	size_t			 k;
	int			 plen;

	if (!json_is_object(ifc)) {
		err_set(err, "interfaces[%zu] is not an object", fi);
		return -1;
	}
	memset(f, 0, sizeof(*f));
	f->fi_rec = ri;
	f->fi_idx = fi;
	if (netinput_member_str(ifc, "mac", &mac, err) == -1) {
		err_prefix(err, "interfaces[%zu]: ", fi);
		return -1;
	}
	if (mac != NULL && addr_mac_canon(mac, f->fi_mac) == -1) {
		err_set(err, "interfaces[%zu].mac \"%s\" is not a MAC address",
		    fi, netinput_quote(mac, q, sizeof(q)));
		return -1;
	}
	/* A guest's loopback: no MAC to compare. */
	if (f->fi_mac[0] != '\0' && addr_mac_is_null(f->fi_mac))
		f->fi_mac[0] = '\0';
	ips = json_object_get(ifc, "ips");
	if (ips != NULL && !json_is_null(ips) && !json_is_array(ips)) {
		err_set(err, "interfaces[%zu].ips is not an array", fi);
		return -1;
	}
	json_array_foreach(ips, k, v) {
		c = &n->fn_claims[n->fn_nclaims];
		if (!json_is_string(v) || netinput_ip(json_string_value(v),
		    ADDR_PREFIX_OK, &c->fc_ip, &plen) == -1) {
			err_set(err, "interfaces[%zu].ips[%zu] is not an IP "
			    "address", fi, k);
			return -1;
		}
		netinput_ip_text(&c->fc_ip, canon, sizeof(canon));
		if (addr_ip_is_local(canon))
			continue;
		c->fc_iface = n->fn_nifaces;
		n->fn_nclaims++;
	}
	n->fn_nifaces++;
	return 0;
}

/* Read the records: what each one shows of its interfaces and node. */
static int
nc_read(struct netfind *n, const json_t *records, char *err)
{
	const json_t		*r, *ifs, *ifc;
	struct netfind_rec	*rec = NULL;
	size_t			 i, j, nif = 0, nip = 0;

	if (!json_is_array(records) || json_array_size(records) >
	    NETCHECK_RECORDS_MAX) {
		err_set(err, "the records are not an array of at most %d",
		    NETCHECK_RECORDS_MAX);
		return -1;
	}
	json_array_foreach(records, i, r) {
		ifs = json_object_get(r, "interfaces");
		nif += json_array_size(ifs);
		json_array_foreach(ifs, j, ifc)
			nip += json_array_size(json_object_get(ifc, "ips"));
	}
	n->fn_recs = calloc(json_array_size(records) + 1, sizeof(*n->fn_recs));
	n->fn_ifaces = calloc(nif + 1, sizeof(*n->fn_ifaces));
	n->fn_bymac = calloc(nif + 1, sizeof(*n->fn_bymac));
	n->fn_claims = calloc(nip + 1, sizeof(*n->fn_claims));
	if (n->fn_recs == NULL || n->fn_ifaces == NULL || n->fn_bymac == NULL ||
	    n->fn_claims == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	json_array_foreach(records, i, r) {
		rec = &n->fn_recs[n->fn_nrecs++];
		if ((rec->fr_id = json_string_value(json_object_get(r,
		    "id"))) == NULL) {
			err_set(err, "records[%zu]: not a record (no \"id\")",
			    i);
			return -1;
		}
		if (netinput_member_str(r, "panel", &rec->fr_panel,
		    err) == -1 ||
		    netinput_member_str(r, "node", &rec->fr_node, err) == -1 ||
		    nc_number(r, "cpu", &rec->fr_cpu, err) == -1 ||
		    nc_number(r, "memory_mb", &rec->fr_memory, err) == -1 ||
		    nc_number(r, "disk_gb", &rec->fr_disk, err) == -1)
			goto bad;
		ifs = json_object_get(r, "interfaces");
		if (ifs != NULL && !json_is_null(ifs) && !json_is_array(ifs)) {
			err_set(err, "\"interfaces\" is not an array");
			goto bad;
		}
		rec->fr_iface = n->fn_nifaces;
		json_array_foreach(ifs, j, ifc)
			if (nc_read_iface(n, i, j, ifc, err) == -1)
				goto bad;
		rec->fr_nifaces = n->fn_nifaces - rec->fr_iface;
	}
	return 0;
bad:
	err_prefix(err, "records[%zu] (%s): ", i, rec->fr_id);
	return -1;
}

/* ---- the cross-check ---- */

/*
 * Cross-check records (an array of schema-v1 records, borrowed) with the
 * network nc describes. Returns a new report object:
 *
 *   {"records": N, "inputs": [{"input", "file", "format", "entries",
 *    "used"}], "checks": [{"check", "ran", "findings", "detail"}],
 *    "findings": [{"kind", "ids", "address", "attested", "observed",
 *    "where", "detail"}], "exit": 0 or 1}
 *
 * or NULL with a reason when a record is malformed or memory runs out.
 */
json_t *
netcheck_run(const struct netcheck *nc, const json_t *records, char *err)
{
	const struct netcheck_file	*f;
	struct netfind			 n;
	json_t				*r = NULL, *inputs;
	size_t				 i;

	memset(&n, 0, sizeof(n));
	n.fn_nc = nc;
	if (nc_read(&n, records, err) == -1 || netfind_index(&n, err) == -1)
		goto done;
	r = json_pack("{s:I, s:[], s:[], s:[]}", "records",
	    (json_int_t)n.fn_nrecs, "inputs", "checks", "findings");
	if (r == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	inputs = json_object_get(r, "inputs");
	for (i = 0; i < nc->nc_nfiles; i++) {
		f = &nc->nc_files[i];
		json_array_append_new(inputs, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:I}", "input", netinput_name(f->nfl_input), "file",
		    f->nfl_name, "format", f->nfl_format != NULL ?
		    f->nfl_format : "?", "entries", (json_int_t)f->nfl_entries,
		    "used", (json_int_t)f->nfl_used));
	}
	n.fn_checks = json_object_get(r, "checks");
	n.fn_findings = json_object_get(r, "findings");
	netfind_all(&n);
	json_object_set_new(r, "exit", json_integer(
	    json_array_size(n.fn_findings) > 0 ? 1 : 0));
done:
	netfind_clear(&n);
	return r;
}

