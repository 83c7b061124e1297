/*
 * netnodes.c: the node inventory of the cross-check: for each node of a
 * panel ("panel/node", or "node" for any panel) the physical server it
 * runs on, the switch ports of that server, and its capacity (CPUs,
 * memory in MiB, disk in GB), as CSV with the header
 * node,server,ports,cpu,memory_mb,disk_gb or as a JSON array of objects
 * with those members.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* A new node at the end of the inventory. Returns it, or NULL. */
static struct netcheck_node *
nodes_new(struct netinput *x, const char *key, const char *server,
    const struct netcheck_where *w, char *err)
{
	struct netcheck		*nc = x->nx_nc;
	struct netcheck_node	*nd;
	char			 q[NETCHECK_QUOTE_MAX + 1];

	if (key == NULL || !netinput_name_ok(key)) {
		err_set(err, "the node \"%s\" is not a name (1 to %d "
		    "printable bytes)", netinput_quote(key != NULL ? key : "",
		    q, sizeof(q)), NETCHECK_NAME_MAX);
		return NULL;
	}
	if (server == NULL || !netinput_name_ok(server)) {
		err_set(err, "the server \"%s\" is not a name (1 to %d "
		    "printable bytes)", netinput_quote(server != NULL ? server :
		    "", q, sizeof(q)), NETCHECK_NAME_MAX);
		return NULL;
	}
	if (netinput_grow(x, NETCHECK_NODES, (void **)&nc->nc_nodes,
	    nc->nc_nnodes, sizeof(*nd), err) == -1)
		return NULL;
	nd = &nc->nc_nodes[nc->nc_nnodes];
	memset(nd, 0, sizeof(*nd));
	nd->nd_key = strdup(key);
	nd->nd_server = strdup(server);
	nc->nc_nnodes++;
	if (nd->nd_key == NULL || nd->nd_server == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	nd->nd_cpu = nd->nd_memory = nd->nd_disk = NAN;
	nd->nd_where = *w;
	x->nx_file->nfl_used++;
	return nd;
}

static int
nodes_port(struct netcheck_node *nd, const char *port, char *err)
{
	char	 q[NETCHECK_QUOTE_MAX + 1], **p;

	if (!netinput_name_ok(port)) {
		err_set(err, "\"%s\" is not a port name (1 to %d printable "
		    "bytes)", netinput_quote(port, q, sizeof(q)),
		    NETCHECK_NAME_MAX);
		return -1;
	}
	if (nd->nd_nports == NETCHECK_PORTS_MAX) {
		err_set(err, "more than %d ports", NETCHECK_PORTS_MAX);
		return -1;
	}
	if ((p = reallocarray(nd->nd_ports, nd->nd_nports + 1,
	    sizeof(*p))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	nd->nd_ports = p;
	if ((p[nd->nd_nports] = strdup(port)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	nd->nd_nports++;
	return 0;
}

/* CSV with the header node,server,ports,cpu,memory_mb,disk_gb. */
static int
nodes_csv(struct netinput *x, char *text, size_t len, char *err)
{
	static const char	*names[] = { "node", "server", "ports", "cpu",
				    "memory_mb", "disk_gb" };
	struct netcheck_node	*nd;
	struct netcheck_where	 w;
	struct csv		 c;
	double			*num[3];
	char			*p, *port;
	size_t			 i, need = 0;
	int			 col[6], rc;

	x->nx_file->nfl_format = "CSV";
	csv_init(&c, x->nx_name, text, len);
	if ((rc = csv_next(&c, err)) <= 0) {
		if (rc == 0)
			err_set(err, "%s: empty", x->nx_name);
		return -1;
	}
	for (i = 0; i < 6; i++) {
		if ((col[i] = csv_column(&c, names[i])) == -1) {
			err_set(err, "%s:%u: the header has no \"%s\" column "
			    "(node,server,ports,cpu,memory_mb,disk_gb)",
			    x->nx_name, c.cv_rec, names[i]);
			return -1;
		}
		if ((size_t)col[i] >= need)
			need = (size_t)col[i] + 1;
	}
	w.nw_file = x->nx_file->nfl_name;
	w.nw_index = -1;
	while ((rc = csv_next(&c, err)) == 1) {
		w.nw_line = c.cv_rec;
		x->nx_file->nfl_entries++;
		if (c.cv_nfields < need) {
			err_set(err, "%s:%u: %zu fields, fewer than the "
			    "header's", x->nx_name, c.cv_rec, c.cv_nfields);
			return -1;
		}
		if ((nd = nodes_new(x, c.cv_fields[col[0]],
		    c.cv_fields[col[1]], &w, err)) == NULL)
			goto bad;
		/* Ports are separated by blanks or ';'. */
		for (p = c.cv_fields[col[2]]; *p != '\0';) {
			p += strspn(p, " \t;");
			if (*p == '\0')
				break;
			port = p;
			p += strcspn(p, " \t;");
			if (*p != '\0')
				*p++ = '\0';
			if (nodes_port(nd, port, err) == -1)
				goto bad;
		}
		num[0] = &nd->nd_cpu;
		num[1] = &nd->nd_memory;
		num[2] = &nd->nd_disk;
		for (i = 0; i < 3; i++)
			if (netinput_number(c.cv_fields[col[3 + i]],
			    num[i]) == -1) {
				err_set(err, "%s is not a number >= 0",
				    names[3 + i]);
				goto bad;
			}
	}
	return rc;
bad:
	err_prefix(err, "%s:%u: ", x->nx_name, c.cv_rec);
	return -1;
}

/* JSON [{"node", "server", "ports": [], "cpu", "memory_mb", "disk_gb"}] */
static int
nodes_json(struct netinput *x, char *text, size_t len, char *err)
{
	static const char	*names[] = { "cpu", "memory_mb", "disk_gb" };
	struct netcheck_node	*nd;
	struct netcheck_where	 w;
	const char		*key, *server;
	const json_t		*e, *ports, *v;
	json_t			*doc, *arr;
	double			*num[3];
	size_t			 i, j;
	int			 rc = -1;

	x->nx_file->nfl_format = "JSON";
	if (netinput_json(x, text, len, NULL, &doc, &arr, err) == -1)
		goto done;
	json_array_foreach(arr, i, e) {
		netinput_json_where(x, i, &w);
		x->nx_file->nfl_entries++;
		if (!json_is_object(e)) {
			err_set(err, "not an object");
			goto bad;
		}
		if (netinput_member_str(e, "node", &key, err) == -1 ||
		    netinput_member_str(e, "server", &server, err) == -1)
			goto bad;
		if ((nd = nodes_new(x, key, server, &w, err)) == NULL)
			goto bad;
		ports = json_object_get(e, "ports");
		if (ports != NULL && !json_is_null(ports) &&
		    !json_is_array(ports)) {
			err_set(err, "\"ports\" is not an array");
			goto bad;
		}
		json_array_foreach(ports, j, v) {
			if (!json_is_string(v)) {
				err_set(err, "\"ports\" holds a non-string");
				goto bad;
			}
			if (nodes_port(nd, json_string_value(v), err) == -1)
				goto bad;
		}
		num[0] = &nd->nd_cpu;
		num[1] = &nd->nd_memory;
		num[2] = &nd->nd_disk;
		for (j = 0; j < 3; j++) {
			v = json_object_get(e, names[j]);
			if (v == NULL || json_is_null(v))
				continue;
			if (!json_is_number(v) || json_number_value(v) < 0) {
				err_set(err, "\"%s\" is not a number >= 0",
				    names[j]);
				goto bad;
			}
			*num[j] = json_number_value(v);
		}
	}
	rc = 0;
	goto done;
bad:
	netinput_json_err(x, i, err);
done:
	json_decref(doc);
	return rc;
}

static int
nodes_cmp_node(const void *a, const void *b)
{
	const struct netcheck_node	*x = a, *y = b;

	return strcmp(x->nd_key, y->nd_key);
}

static int
nodes_cmp_port(const void *a, const void *b)
{
	const struct netcheck_port	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->npo_port, y->npo_port)) != 0)
		return c;
	return strcmp(x->npo_server, y->npo_server);
}

/*
 * The inventory sorted by node, and its ports by name: one node listed
 * twice, or one port given to two servers, cannot be told apart later,
 * so both are errors of the input.
 */
static int
nodes_index(struct netcheck *nc, char *err)
{
	struct netcheck_port	*p;
	char			 a[PATH_MAX], b[PATH_MAX];
	size_t			 i, j, n = 0;

	if (nc->nc_nnodes > 1)
		qsort(nc->nc_nodes, nc->nc_nnodes, sizeof(*nc->nc_nodes),
		    nodes_cmp_node);
	for (i = 1; i < nc->nc_nnodes; i++)
		if (strcmp(nc->nc_nodes[i - 1].nd_key,
		    nc->nc_nodes[i].nd_key) == 0) {
			netinput_where(&nc->nc_nodes[i - 1].nd_where, a,
			    sizeof(a));
			netinput_where(&nc->nc_nodes[i].nd_where, b, sizeof(b));
			err_set(err, "%s: node \"%s\" is listed again (first "
			    "at %s)", b, nc->nc_nodes[i].nd_key, a);
			return -1;
		}
	for (i = 0; i < nc->nc_nnodes; i++)
		n += nc->nc_nodes[i].nd_nports;
	free(nc->nc_ports);
	nc->nc_nports = 0;
	if ((nc->nc_ports = calloc(n + 1, sizeof(*p))) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < nc->nc_nnodes; i++)
		for (j = 0; j < nc->nc_nodes[i].nd_nports; j++) {
			p = &nc->nc_ports[nc->nc_nports++];
			p->npo_port = nc->nc_nodes[i].nd_ports[j];
			p->npo_server = nc->nc_nodes[i].nd_server;
			p->npo_where = nc->nc_nodes[i].nd_where;
		}
	qsort(nc->nc_ports, nc->nc_nports, sizeof(*p), nodes_cmp_port);
	for (i = 1; i < nc->nc_nports; i++) {
		p = &nc->nc_ports[i];
		if (strcmp(p[-1].npo_port, p->npo_port) == 0 &&
		    strcmp(p[-1].npo_server, p->npo_server) != 0) {
			netinput_where(&p[-1].npo_where, a, sizeof(a));
			netinput_where(&p->npo_where, b, sizeof(b));
			err_set(err, "%s: port \"%s\" of server \"%s\" is also "
			    "a port of server \"%s\" at %s", b, p->npo_port,
			    p->npo_server, p[-1].npo_server, a);
			return -1;
		}
	}
	return 0;
}


/*
 * Read a node inventory, CSV or JSON, into x's netcheck, and index the
 * whole inventory again. Returns 0, or -1 with "FILE:LINE: reason".
 */
int
netnodes_load(struct netinput *x, char *text, size_t len, char *err)
{
	int	 rc;

	rc = netinput_is_json(text, len) ? nodes_json(x, text, len, err) :
	    nodes_csv(x, text, len, err);
	return rc == 0 ? nodes_index(x->nx_nc, err) : -1;
}
