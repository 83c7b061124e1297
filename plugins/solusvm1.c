/*
 * solusvm1.c: the SolusVM 1 plugin. One URL serves the whole admin API,
 * /api/admin/command.php, and the action field says what it does: reads
 * and writes alike, on any HTTP method. So the native allow-list is of
 * (action, parameter names, value formats), never of paths.
 *
 * SolusVM answers in XML without a root element unless asked for JSON
 * with rdtype=json (1.14 and later); both are read (xml.c turns the XML
 * into the same JSON shape). Errors come with status 200 and
 * "status": "error"; a wrong API id or key, or a caller address not on
 * the master's API allow-list, as the phrases "Invalid id or key" and
 * "Invalid ipaddress". solusvm1_judge() sorts that out for every call.
 *
 * Inventory: node-idlist for each node type, then per node
 * node-statistics (its name and capacity) and node-virtualservers (its
 * VPSes), then vserver-infoall per VPS: state, every address, bandwidth.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sightline.h"

#define SVM_API_ROOT	"/api/admin"
#define SVM_SCRIPT	"/command.php"
#define SVM_ID_MAX	10	/* digits of a node or server id */
#define SVM_SECRET_MAX	256	/* an API id or key */
#define SVM_PATH_MAX	256	/* an inventory call */
#define SVM_TYPES_MAX	4
#define SVM_MIB		(1024.0 * 1024)
#define SVM_GIB		(1024.0 * 1024 * 1024)

/* Node types, as node-idlist's type wants them, and in a query. */
static const struct {
	const char	*st_name;
	const char	*st_query;
} svm_types[SVM_TYPES_MAX] = {
	{ "openvz", "openvz" }, { "xen", "xen" },
	{ "xen hvm", "xen%20hvm" }, { "kvm", "kvm" },
};

/* ---- the allow-list ---- */

enum svm_value {
	SVM_VAL_ID,		/* 1 to 9999999999, no leading zero */
	SVM_VAL_BOOL,		/* true | false */
	SVM_VAL_TYPE		/* a node type */
};

struct svm_param {
	const char	*sp_name;
	enum svm_value	 sp_value;
	int		 sp_required;
};

struct svm_action {
	const char		*sa_endpoint;
	struct svm_param	 sa_params[3];
};

/*
 * The read actions of panels.md, section 2.5. vserver-info's "reboot"
 * field is not allowed: what reboot=true does is not known. Everything
 * else, vserver-vnc and vserver-console first, is refused.
 */
static const struct svm_action svm_actions[] = {
	{ "/command.php?action=listnodes", { { "type", SVM_VAL_TYPE, 1 } } },
	{ "/command.php?action=node-idlist", { { "type", SVM_VAL_TYPE, 1 } } },
	{ "/command.php?action=node-statistics",
	    { { "nodeid", SVM_VAL_ID, 1 } } },
	{ "/command.php?action=node-virtualservers",
	    { { "nodeid", SVM_VAL_ID, 1 } } },
	{ "/command.php?action=vserver-info",
	    { { "vserverid", SVM_VAL_ID, 1 } } },
	{ "/command.php?action=vserver-infoall",
	    { { "vserverid", SVM_VAL_ID, 1 }, { "nostatus", SVM_VAL_BOOL, 0 },
	    { "nographs", SVM_VAL_BOOL, 0 } } },
	{ "/command.php?action=vserver-status",
	    { { "vserverid", SVM_VAL_ID, 1 } } },
	{ "/command.php?action=vserver-checkexists",
	    { { "vserverid", SVM_VAL_ID, 1 } } },
};
#define SVM_NACTIONS	(sizeof(svm_actions) / sizeof(svm_actions[0]))
#define SVM_ENDPOINT_PREFIX	"/command.php?action="

/* Error messages the panel sends that sightline may repeat verbatim. */
static const char *const svm_known_errors[] = {
	"Virtual server not found", "Node not found",
};

static int
svm_valid_id(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= SVM_ID_MAX && s[0] != '0' &&
	    strspn(s, "0123456789") == n;
}

/* A node type's index in svm_types from its query form, or -1. */
static int
svm_type_index(const char *q)
{
	int	 i;

	/* "xen hvm" arrives as xen%20hvm or, from a form encoder, xen+hvm. */
	if (strcmp(q, "xen+hvm") == 0)
		q = "xen%20hvm";
	for (i = 0; i < SVM_TYPES_MAX; i++)
		if (strcmp(svm_types[i].st_query, q) == 0)
			return i;
	return -1;
}

/* ---- credentials, auth, options ---- */

/* One "name=value" of the credentials line; 0, or -1. */
static int
svm_cred_item(const char *s, size_t n, const char **id, size_t *idlen,
    const char **key, size_t *keylen)
{
	const char	**v;
	size_t		 *vl;

	if (n > 3 && strncmp(s, "id=", 3) == 0) {
		v = id;
		vl = idlen;
		s += 3;
		n -= 3;
	} else if (n > 4 && strncmp(s, "key=", 4) == 0) {
		v = key;
		vl = keylen;
		s += 4;
		n -= 4;
	} else
		return -1;
	if (*v != NULL || n > SVM_SECRET_MAX)
		return -1;
	*v = s;
	*vl = n;
	return 0;
}

/*
 * "id=ID&key=KEY" (either order): the API id and key of an admin API
 * user. Both travel in the query string, so only characters that need no
 * encoding there are accepted; SolusVM's are letters and digits.
 */
static int
svm_credentials_split(const char *s, const char **id, size_t *idlen,
    const char **key, size_t *keylen)
{
	const char	*amp = strchr(s, '&');
	size_t		 n = strlen(s);

	*id = *key = NULL;
	if (amp == NULL || strchr(amp + 1, '&') != NULL ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~=&") != n)
		return -1;
	if (svm_cred_item(s, (size_t)(amp - s), id, idlen, key, keylen) ==
	    -1 || svm_cred_item(amp + 1, n - (size_t)(amp - s) - 1, id, idlen,
	    key, keylen) == -1)
		return -1;
	return *id != NULL && *key != NULL &&
	    memchr(*id, '=', *idlen) == NULL &&
	    memchr(*key, '=', *keylen) == NULL ? 0 : -1;
}

static int
solusvm1_credentials(const char *s, char *err)
{
	const char	*id, *key;
	size_t		 idlen, keylen;

	if (svm_credentials_split(s, &id, &idlen, &key, &keylen) == -1) {
		err_set(err, "expected one line id=API_ID&key=API_KEY (a "
		    "SolusVM admin API id and key: letters, digits and "
		    "- . _ ~, at most %d each)", SVM_SECRET_MAX);
		return -1;
	}
	return 0;
}

/* SolusVM takes id and key as query fields; GET works like POST. */
static int
solusvm1_auth(const char *secret, char **header, char **query, char *err)
{
	const char	*id, *key;
	size_t		 idlen, keylen, len;

	*header = *query = NULL;
	if (svm_credentials_split(secret, &id, &idlen, &key, &keylen) == -1) {
		err_set(err, "the credentials are not id=API_ID&key=API_KEY");
		return -1;
	}
	len = idlen + keylen + 16;
	if ((*query = malloc(len)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	snprintf(*query, len, "id=%.*s&key=%.*s", (int)idlen, id, (int)keylen,
	    key);
	return 0;
}

/* Is the "xml" format chosen? The default is JSON (rdtype=json). */
static int
svm_want_xml(const json_t *opts)
{
	const char	*f = norm_str(opts, "format");

	return f != NULL && strcmp(f, "xml") == 0;
}

/*
 * options.format: "json" (the default; sightline asks rdtype=json) or
 * "xml" (it asks nothing and reads SolusVM's XML). Answers are read in
 * either format whatever was asked: a master before 1.14 ignores rdtype.
 * options.types: the node types to list, default all four.
 */
static int
solusvm1_options(const json_t *opts, char *err)
{
	const char	*k, *s;
	json_t		*v, *t;
	size_t		 i, k2;
	int		 j;

	json_object_foreach((json_t *)opts, k, v) {
		if (strcmp(k, "format") == 0) {
			if ((s = json_string_value(v)) == NULL ||
			    (strcmp(s, "json") != 0 && strcmp(s, "xml") != 0)) {
				err_set(err, "format must be \"json\" or "
				    "\"xml\"");
				return -1;
			}
		} else if (strcmp(k, "types") == 0) {
			if (!json_is_array(v) || json_array_size(v) == 0) {
				err_set(err, "types must be a list of node "
				    "types: \"openvz\", \"xen\", \"xen hvm\", "
				    "\"kvm\"");
				return -1;
			}
			json_array_foreach(v, i, t) {
				for (j = 0; j < SVM_TYPES_MAX; j++)
					if (json_is_string(t) && strcmp(
					    json_string_value(t),
					    svm_types[j].st_name) == 0)
						break;
				if (j == SVM_TYPES_MAX) {
					err_set(err, "types[%zu] is not "
					    "\"openvz\", \"xen\", \"xen hvm\" "
					    "or \"kvm\"", i + 1);
					return -1;
				}
				/* The inventory counts answers per type. */
				for (k2 = 0; k2 < i; k2++)
					if (json_equal(t, json_array_get(v,
					    k2))) {
						err_set(err, "types[%zu] is "
						    "named twice", i + 1);
						return -1;
					}
			}
		} else {
			err_set(err, "unknown option \"%s\" (the solusvm1 "
			    "plugin knows: format, types)", k);
			return -1;
		}
	}
	return 0;
}

/* ---- judging answers ---- */

/* Does the NUL-terminated body mention phrase, in any case? */
static int
svm_mentions(const char *body, const char *phrase)
{
	return body != NULL && strcasestr(body, phrase) != NULL;
}

/* A credentials failure named by text; 1 if it is one (r is set). */
static int
svm_refused(const char *text, struct reply *r)
{
	if (svm_mentions(text, "invalid id or key")) {
		r->rp_kind = REPLY_REFUSED;
		err_set(r->rp_why, "the panel refused sightline's API id and "
		    "key (\"Invalid id or key\")");
		return 1;
	}
	if (svm_mentions(text, "invalid ipaddress")) {
		r->rp_kind = REPLY_REFUSED;
		err_set(r->rp_why, "the panel refused sightline's address: it "
		    "is not on the master's API allow-list (\"Invalid "
		    "ipaddress\")");
		return 1;
	}
	return 0;
}

/* An HTML page rather than an API answer? Looks at the first bytes. */
static int
svm_is_html(const struct upstream_reply *u)
{
	const char	*p = u->ur_body;
	size_t		 i;

	while (isspace((unsigned char)*p))
		p++;
	if (strncasecmp(p, "<!doctype", 9) == 0)
		return 1;
	for (i = 0; p[i] != '\0' && i < 512; i++)
		if (p[i] == '<' && (strncasecmp(p + i, "<html", 5) == 0 ||
		    strncasecmp(p + i, "<head", 5) == 0 ||
		    strncasecmp(p + i, "<body", 5) == 0))
			return 1;
	return 0;
}

/*
 * XML lists hold one element per item, so one item and none look unlike
 * the JSON list: <virtualservers><virtualserver>..</virtualserver>
 * </virtualservers> becomes {"virtualservers": {"virtualserver": {..}}}
 * and an empty list "". Make them the JSON form, an array.
 */
static void
svm_xml_list(json_t *doc, const char *list, const char *item)
{
	json_t	*v = json_object_get(doc, list), *a, *e;

	if (v == NULL)
		return;
	if (json_is_string(v)) {
		/* Only a blank one: node-statistics' virtualservers is a count. */
		if (strspn(json_string_value(v), " \t\r\n") ==
		    json_string_length(v))
			json_object_set_new(doc, list, json_array());
		return;
	}
	if (!json_is_object(v) || json_object_size(v) != 1 ||
	    (e = json_object_get(v, item)) == NULL)
		return;
	if (json_is_array(e))
		a = json_incref(e);
	else if ((a = json_array()) != NULL)
		json_array_append(a, e);
	json_object_set_new(doc, list, a);
}

/*
 * A body reply_parse() took for HTML: SolusVM sends JSON and XML alike
 * with PHP's default content type, text/html. A new document, or NULL
 * with a reason that quotes nothing.
 */
static json_t *
svm_parse(const struct upstream_reply *u, char *err)
{
	const char	*p = u->ur_body;
	json_error_t	 jerr;
	json_t		*doc;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		err_set(err, "an empty body");
		return NULL;
	}
	if (*p != '{')
		return xml_parse(u->ur_body, u->ur_len, err);
	if ((doc = json_loadb(u->ur_body, u->ur_len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		err_set(err, "JSON that does not parse (at byte %d)",
		    jerr.position);
	return doc;
}

/*
 * Every answer of the panel comes through here after the generic
 * judgement. Bodies taken for HTML because of PHP's text/html are read
 * as JSON or XML (which becomes JSON); the status/statusmsg envelope decides
 * whether a 200 is an answer, a refusal of sightline's credentials or an
 * error. Messages quote nothing of the body but the phrases matched.
 */
static void
solusvm1_judge(const struct upstream_reply *u, struct reply *r)
{
	const char	*st, *msg;
	char		 err[ERR_MAX];
	json_t		*doc;
	size_t		 i;

	if ((r->rp_kind == REPLY_HTML || r->rp_kind == REPLY_STATUS) &&
	    r->rp_json == NULL && !svm_is_html(u)) {
		if ((doc = svm_parse(u, err)) != NULL &&
		    json_is_string(json_object_get(doc, "status"))) {
			svm_xml_list(doc, "virtualservers", "virtualserver");
			r->rp_json = doc;
			/* As reply_parse() would have judged it as JSON. */
			if (u->ur_status == 401 || u->ur_status == 403) {
				r->rp_kind = REPLY_REFUSED;
				err_set(r->rp_why, "the panel answered %d: it "
				    "refused sightline's credentials or "
				    "permissions", u->ur_status);
			} else if (u->ur_status >= 200 && u->ur_status <= 299) {
				r->rp_kind = REPLY_JSON;
				r->rp_why[0] = '\0';
			} else {
				r->rp_kind = REPLY_STATUS;
				err_set(r->rp_why, "the panel answered %d",
				    u->ur_status);
			}
		} else {
			if (doc != NULL)
				err_set(err, "a document without \"status\" "
				    "(not a SolusVM answer)");
			json_decref(doc);
			if (r->rp_kind == REPLY_HTML && u->ur_status >= 200 &&
			    u->ur_status <= 299) {
				r->rp_kind = REPLY_NOTJSON;
				err_set(r->rp_why, "the panel answered %d with "
				    "neither JSON nor SolusVM's XML: %s",
				    u->ur_status, err);
			}
		}
	}
	if (r->rp_kind != REPLY_JSON) {
		/* Whatever it is, a credentials phrase says what went wrong. */
		if (r->rp_kind != REPLY_TRANSPORT &&
		    r->rp_kind != REPLY_REFUSED)
			svm_refused(json_is_object(r->rp_json) ?
			    norm_str(r->rp_json, "statusmsg") : u->ur_body, r);
		return;
	}
	st = norm_str(r->rp_json, "status");
	msg = norm_str(r->rp_json, "statusmsg");
	if (st == NULL) {
		r->rp_kind = REPLY_NOTJSON;
		err_set(r->rp_why, "the panel's answer has no \"status\": not "
		    "a SolusVM answer");
		return;
	}
	if (strcmp(st, "success") == 0)
		return;
	if (strcmp(st, "error") != 0) {
		r->rp_kind = REPLY_NOTJSON;
		err_set(r->rp_why, "the panel's answer has a status that is "
		    "neither \"success\" nor \"error\"");
		return;
	}
	if (svm_refused(msg, r))
		return;
	r->rp_kind = REPLY_STATUS;
	for (i = 0; msg != NULL && i < sizeof(svm_known_errors) /
	    sizeof(svm_known_errors[0]); i++)
		if (strcasecmp(msg, svm_known_errors[i]) == 0) {
			err_set(r->rp_why, "the panel answered %d with status "
			    "\"error\": %s", u->ur_status, svm_known_errors[i]);
			return;
		}
	err_set(r->rp_why, "the panel answered %d with status \"error\" (its "
	    "message is not shown: it may quote what the policy hides)",
	    u->ur_status);
}

/* Is r an answer whose envelope says "error" (not a refusal)? */
static int
svm_is_error(const struct reply *r)
{
	const char	*st = norm_str(r->rp_json, "status");

	return r->rp_kind == REPLY_STATUS && st != NULL &&
	    strcmp(st, "error") == 0;
}

/* ---- normalization (pure) ---- */

static const char *
svm_status(const char *state)
{
	if (state == NULL)
		return "unknown";
	if (strcmp(state, "online") == 0)
		return "running";
	if (strcmp(state, "offline") == 0)
		return "stopped";
	if (strcmp(state, "disabled") == 0)
		return "suspended";
	return "unknown";
}

/* Add each address of a comma-separated list to ips. */
static void
svm_add_ips(json_t *ips, const char *list)
{
	char	 one[ADDR_IP_LEN + 16];
	size_t	 n;

	while (list != NULL && *list != '\0') {
		list += strspn(list, ", \t");
		if ((n = strcspn(list, ",")) == 0)
			break;
		if (n < sizeof(one)) {
			memcpy(one, list, n);
			while (n > 0 && isspace((unsigned char)one[n - 1]))
				n--;
			one[n] = '\0';
			norm_add_ip(ips, one);
		}
		list += n;
	}
}

/* The first number of a "total,used,free,percent" tuple, scaled; or null. */
static json_t *
svm_tuple_total(const json_t *obj, const char *key, double div)
{
	const char	*s = norm_str(obj, key);
	char		 num[32];
	size_t		 n;
	double		 v;

	if (s == NULL || (n = strcspn(s, ",")) == 0 || n >= sizeof(num))
		return json_null();
	memcpy(num, s, n);
	num[n] = '\0';
	return norm_strnum(num, &v) && v >= 0 ? norm_number(v / div) :
	    json_null();
}

/*
 * Schema v1 from one VPS's documents: "vserver" (its node-virtualservers
 * entry), "node" (the node's name) and, when the panel gave it,
 * "infoall". Returns a new record, or NULL with a reason.
 */
static json_t *
svm_normalize(const char *panel, const json_t *docs, char *err)
{
	const json_t	*vs = json_object_get(docs, "vserver");
	const json_t	*info = json_object_get(docs, "infoall");
	json_t		*rec, *nid, *ifc, *ips, *mac;

	nid = norm_str_field(vs, "vserverid");
	if (!json_is_string(nid) || !svm_valid_id(json_string_value(nid))) {
		json_decref(nid);
		err_set(err, "no valid vserverid");
		return NULL;
	}
	rec = norm_record_new(panel, json_string_value(nid),
	    norm_kind(norm_str(vs, "type")));
	json_decref(nid);
	if (rec == NULL || (ips = json_array()) == NULL) {
		json_decref(rec);
		err_set(err, "out of memory");
		return NULL;
	}
	json_object_set_new(rec, "node", norm_str_field(docs, "node"));
	json_object_set_new(rec, "status",
	    json_string(svm_status(norm_str(info, "state"))));
	json_object_set_new(rec, "memory_mb",
	    norm_num_field(vs, "memory", 1 / SVM_MIB));
	json_object_set_new(rec, "disk_gb", norm_num_field(vs, "hdd",
	    1 / SVM_GIB));
	json_object_set_new(rec, "bandwidth_gb",
	    svm_tuple_total(info, "bandwidth", SVM_GIB));
	/* The main address first, then the others in the panel's order. */
	svm_add_ips(ips, norm_str(vs, "ipaddress"));
	svm_add_ips(ips, norm_str(info, "mainipaddress"));
	svm_add_ips(ips, norm_str(info, "ipaddresses"));
	svm_add_ips(ips, norm_str(info, "internalips"));
	/* OpenVZ containers (venet) have addresses but no MAC. */
	mac = norm_mac(norm_str(vs, "mac"));
	if (json_is_null(mac) && json_array_size(ips) == 0) {
		json_decref(ips);
		json_decref(mac);
	} else {
		ifc = json_pack("{s:o, s:o, s:n, s:n}", "mac", mac, "ips", ips,
		    "bridge", "vlan");
		json_array_append_new(json_object_get(rec, "interfaces"), ifc);
	}
	json_object_set_new(rec, "owner", norm_str_field(vs, "clientid"));
	json_object_set_new(rec, "hostname", norm_str_field(vs, "hostname"));
	return rec;
}

/* A node object from node-statistics; NULL if it has no name. */
static json_t *
svm_node(const char *panel, const char *nodeid, const json_t *st)
{
	const char	*name = norm_str(st, "name");
	char		 id[PANEL_NAME_MAX + 80];
	double		 v;
	json_t		*o;

	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return NULL;
	snprintf(id, sizeof(id), "%s/%s", panel, name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n}", "id", id,
	    "panel", panel, "native_id", nodeid, "name", name,
	    "status", "unknown", "cpu");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "memory_mb", norm_num(json_object_get(st,
	    "memorylimit"), &v) ? norm_number(floor(v / SVM_MIB)) :
	    json_null());
	json_object_set_new(o, "disk_gb", norm_num(json_object_get(st,
	    "disklimit"), &v) ? norm_number(floor(v / SVM_GIB)) :
	    json_null());
	json_object_set_new(o, "virt", norm_str_field(st, "virt"));
	json_object_set_new(o, "ip", norm_str_field(st, "ip"));
	json_object_set_new(o, "hostname", norm_str_field(st, "hostname"));
	return o;
}

/* ---- inventory ---- */

/* An inventory call's path: action and fields, and rdtype unless XML. */
static int
svm_call(struct fetch *f, struct fetch_group *g, const char *fields)
{
	char	 path[SVM_PATH_MAX];

	snprintf(path, sizeof(path), SVM_SCRIPT "?action=%s%s", fields,
	    svm_want_xml(fetch_options(f)) ? "" : "&rdtype=json");
	return fetch_get(f, g, path);
}

/* The value of field name in an inventory path, into out; 1 if found. */
static int
svm_field(const char *path, const char *name, char *out, size_t outlen)
{
	const char	*q = strchr(path, '?');
	size_t		 n = strlen(name), m;

	while (q != NULL) {
		q++;
		if (strncmp(q, name, n) == 0 && q[n] == '=') {
			m = strcspn(q + n + 1, "&");
			if (m >= outlen)
				return 0;
			memcpy(out, q + n + 1, m);
			out[m] = '\0';
			return 1;
		}
		q = strchr(q, '&');
	}
	return 0;
}

/*
 * All node-idlist calls belong to one group, "nodes", so that their
 * answers can be merged once the last is in: a Xen node may be listed
 * under both "xen" and "xen hvm".
 */
static int
solusvm1_inventory(struct fetch *f, char *err)
{
	const json_t		*types = json_object_get(fetch_options(f),
				    "types");
	struct fetch_group	*g;
	char			 fields[64];
	int			 i;

	if ((g = fetch_group(f, "nodes")) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < SVM_TYPES_MAX; i++) {
		if (types != NULL) {
			size_t	 j;
			json_t	*t;
			int	 found = 0;

			json_array_foreach(types, j, t)
				found |= strcmp(json_string_value(t),
				    svm_types[i].st_name) == 0;
			if (!found)
				continue;
		}
		snprintf(fields, sizeof(fields), "node-idlist&type=%s",
		    svm_types[i].st_query);
		if (svm_call(f, g, fields) == -1) {
			err_set(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* What a call's answer must be, or the reason the inventory stops. */
static const json_t *
svm_answer(const struct reply *r, char *err)
{
	if (r->rp_kind != REPLY_JSON || !json_is_object(r->rp_json)) {
		err_set(err, "%s", r->rp_why[0] != '\0' ? r->rp_why :
		    "not a JSON object");
		return NULL;
	}
	return r->rp_json;
}

/* A node-idlist answer: keep it; once all are in, start every node. */
static int
svm_idlist(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	const json_t	*d, *docs, *v;
	const char	*k, *s;
	char		 type[16], id[SVM_ID_MAX + 1], fields[64], key[32];
	struct fetch_group *ng;
	json_t		*seen, *list;
	size_t		 n;
	int		 rc;

	if (!svm_field(path, "type", type, sizeof(type)))
		return -1;
	/*
	 * A type without nodes may answer 200 with status "error": it lists
	 * none. Any other status is a failure of the panel, not an answer.
	 */
	if (svm_is_error(r) && r->rp_status / 100 == 2) {
		log_debug("%s: no %s nodes (%s)", fetch_panel(f), type,
		    r->rp_why);
		d = NULL;
	} else if ((d = svm_answer(r, err)) == NULL)
		return -1;
	v = d != NULL ? json_object_get(d, "nodes") : NULL;
	if (v != NULL && !json_is_string(v)) {
		err_set(err, "\"nodes\" is not a list of node ids");
		return -1;
	}
	list = v != NULL ? json_incref((json_t *)v) : json_string("");
	rc = fetch_group_put(g, type, list);
	json_decref(list);
	if (rc == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	/* g's pending count includes this call: last when it is 1. */
	if (json_object_size(fetch_group_docs(g)) <
	    (json_object_get(fetch_options(f), "types") != NULL ?
	    json_array_size(json_object_get(fetch_options(f), "types")) :
	    SVM_TYPES_MAX))
		return 0;
	if ((seen = json_object()) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	docs = fetch_group_docs(g);
	json_object_foreach((json_t *)docs, k, v) {
		for (s = json_string_value(v); *s != '\0'; s += n) {
			s += strspn(s, ", ");
			if ((n = strcspn(s, ", ")) == 0)
				break;
			if (n > SVM_ID_MAX) {
				json_decref(seen);
				err_set(err, "a node id is not a number");
				return -1;
			}
			memcpy(id, s, n);
			id[n] = '\0';
			if (!svm_valid_id(id)) {
				json_decref(seen);
				err_set(err, "node id \"%s\" is not a number",
				    id);
				return -1;
			}
			if (json_object_get(seen, id) != NULL)
				continue;
			json_object_set_new(seen, id, json_true());
			snprintf(key, sizeof(key), "node/%s", id);
			snprintf(fields, sizeof(fields),
			    "node-statistics&nodeid=%s", id);
			if ((ng = fetch_group(f, key)) == NULL ||
			    svm_call(f, ng, fields) == -1) {
				json_decref(seen);
				err_set(err, "out of memory");
				return -1;
			}
		}
	}
	json_decref(seen);
	return 0;
}

/* node-statistics: the node object, then the node's VPSes. */
static int
svm_statistics(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	const json_t	*d;
	char		 id[SVM_ID_MAX + 1], fields[64];
	json_t		*n;

	if ((d = svm_answer(r, err)) == NULL ||
	    !svm_field(path, "nodeid", id, sizeof(id)))
		return -1;
	if ((n = svm_node(fetch_panel(f), id, d)) == NULL) {
		err_set(err, "node %s has no valid name", id);
		return -1;
	}
	if (fetch_add_node(f, json_incref(n)) == -1 ||
	    fetch_group_put(g, "name", json_object_get(n, "name")) == -1) {
		json_decref(n);
		err_set(err, "out of memory");
		return -1;
	}
	json_decref(n);
	snprintf(fields, sizeof(fields), "node-virtualservers&nodeid=%s", id);
	if (svm_call(f, g, fields) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* One server of node-virtualservers (the i-th): a group for its details. */
static int
svm_node_server(struct fetch *f, const json_t *name, const json_t *e,
    size_t i, char *err)
{
	struct fetch_group *vg;
	json_t		*vid;
	char		 key[SVM_ID_MAX + 16], fields[SVM_ID_MAX + 64];

	vid = norm_str_field(e, "vserverid");
	if (!json_is_object(e) || !json_is_string(vid) ||
	    !svm_valid_id(json_string_value(vid))) {
		json_decref(vid);
		err_set(err, "virtual server %zu has no valid "
		    "vserverid", i);
		return -1;
	}
	snprintf(key, sizeof(key), "vserver/%s",
	    json_string_value(vid));
	snprintf(fields, sizeof(fields),
	    "vserver-infoall&vserverid=%s&nographs=true",
	    json_string_value(vid));
	json_decref(vid);
	if ((vg = fetch_group(f, key)) == NULL ||
	    fetch_group_put(vg, "vserver", (json_t *)e) == -1 ||
	    fetch_group_put(vg, "node", (json_t *)name) == -1 ||
	    svm_call(f, vg, fields) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/* node-virtualservers: a group per VPS, each asking vserver-infoall. */
static int
svm_virtualservers(struct fetch *f, struct fetch_group *g,
    const struct reply *r, char *err)
{
	const json_t	*d, *list, *e, *name;
	const char	*k;
	size_t		 i;

	if ((d = svm_answer(r, err)) == NULL)
		return -1;
	name = json_object_get(fetch_group_docs(g), "name");
	list = json_object_get(d, "virtualservers");
	/* An empty node: no list, or "" from XML. */
	if (list == NULL || (json_is_string(list) &&
	    json_string_length(list) == 0))
		return 0;
	/*
	 * A list; or an object, as PHP writes an array whose keys are not
	 * 0..n-1 and XML a list of one: every value is a server then.
	 */
	if (json_is_array(list)) {
		json_array_foreach(list, i, e)
			if (svm_node_server(f, name, e, i, err) == -1)
				return -1;
	} else if (json_is_object(list)) {
		i = 0;
		json_object_foreach((json_t *)list, k, e)
			if (svm_node_server(f, name, e, i++, err) == -1)
				return -1;
	} else {
		err_set(err, "\"virtualservers\" is not a list");
		return -1;
	}
	return 0;
}

static int
solusvm1_fetched(struct fetch *f, struct fetch_group *g, const char *path,
    const struct reply *r, char *err)
{
	char	 action[32];

	if (g == NULL || !svm_field(path, "action", action, sizeof(action))) {
		err_set(err, "an unexpected call");
		return -1;
	}
	if (strcmp(action, "node-idlist") == 0)
		return svm_idlist(f, g, path, r, err);
	if (strcmp(action, "node-statistics") == 0)
		return svm_statistics(f, g, path, r, err);
	if (strcmp(action, "node-virtualservers") == 0)
		return svm_virtualservers(f, g, r, err);
	/*
	 * vserver-infoall asks the node for the state: a node that is down
	 * or a VPS deleted meanwhile answers with an error, and the record
	 * then has its main address only and an unknown status.
	 */
	if (svm_is_error(r)) {
		log_debug("%s: GET %.*s: %s; main address only",
		    fetch_panel(f), (int)strcspn(path, "?"), path, r->rp_why);
		return 0;
	}
	if (svm_answer(r, err) == NULL)
		return -1;
	if (fetch_group_put(g, "infoall", r->rp_json) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

static int
solusvm1_record(struct fetch *f, const json_t *docs, json_t **rec,
    char *err)
{
	*rec = NULL;
	if (json_object_get(docs, "vserver") == NULL)
		return 0;	/* the node-idlist group, or a node's */
	*rec = svm_normalize(fetch_panel(f), docs, err);
	return *rec == NULL ? -1 : 0;
}

/* ---- native allow-list ---- */

static const struct svm_action *
svm_action_find(const char *action)
{
	size_t	 i, n = strlen(SVM_ENDPOINT_PREFIX);

	for (i = 0; i < SVM_NACTIONS; i++)
		if (strcmp(svm_actions[i].sa_endpoint + n, action) == 0)
			return &svm_actions[i];
	return NULL;
}

/* Append "&name=value" to out; -1 when it does not fit. */
static int
svm_append(char *out, size_t outlen, const char *name, const char *value)
{
	size_t	 n = strlen(out);
	int	 m;

	m = snprintf(out + n, outlen - n, "&%s=%s", name, value);
	return m < 0 || (size_t)m >= outlen - n ? -1 : 0;
}

/*
 * path is below /api/admin, query raw. Only command.php exists; the
 * query must name an allow-listed action once, with the fields that
 * action reads in their formats, and nothing else: not id or key (the
 * credentials are sightline's), not rdtype (sightline asks JSON and
 * serves JSON).
 */
static int
solusvm1_native_route(const char *path, const char *query,
    struct native_route *nr, char *err)
{
	char			 q[FRONT_URI_BYTES_MAX], action[64] = "";
	char			*item, *save = NULL, *eq;
	char			*vals[3] = { NULL, NULL, NULL };
	const struct svm_action	*sa;
	const struct svm_param	*sp;
	size_t			 i;
	int			 t;

	if (strcmp(path, SVM_SCRIPT) != 0) {
		err_set(err, "SolusVM's admin API is %s only; %s is refused",
		    SVM_SCRIPT, strspn(path, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.") ==
		    strlen(path) && strlen(path) < 128 ? path : "that path");
		return -1;
	}
	if (query == NULL || query[0] == '\0') {
		err_set(err, "a SolusVM call needs ?action=...");
		return -1;
	}
	if (strspn(query, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=&%+") != strlen(query)) {
		err_set(err, "native queries may only hold letters, digits and "
		    "- _ . = & %% +");
		return -1;
	}
	if (strlcpy(q, query, sizeof(q)) >= sizeof(q)) {
		err_set(err, "query too long");
		return -1;
	}
	/* First the action: what the other fields mean depends on it. */
	for (item = q; item != NULL; item = strchr(item, '&')) {
		item += *item == '&';
		if (strncmp(item, "action=", 7) != 0)
			continue;
		if (action[0] != '\0') {
			err_set(err, "parameter \"action\" given twice");
			return -1;
		}
		i = strcspn(item + 7, "&");
		if (i == 0 || i >= sizeof(action) ||
		    strspn(item + 7, "abcdefghijklmnopqrstuvwxyz0123456789-") <
		    i) {
			err_set(err, "action must be a SolusVM action name");
			return -1;
		}
		memcpy(action, item + 7, i);
		action[i] = '\0';
	}
	if (action[0] == '\0') {
		err_set(err, "a SolusVM call needs ?action=...");
		return -1;
	}
	if ((sa = svm_action_find(action)) == NULL) {
		err_set(err, "action \"%s\" is not on the read-only allow-list%s",
		    action, strstr(action, "vnc") != NULL ||
		    strstr(action, "console") != NULL ? " (console and VNC "
		    "access are never allowed)" : "");
		return -1;
	}
	for (item = strtok_r(q, "&", &save); item != NULL;
	    item = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(item, '=')) == NULL) {
			err_set(err, "query item \"%s\" has no value", item);
			return -1;
		}
		*eq++ = '\0';
		if (strcmp(item, "action") == 0)
			continue;
		if (strcmp(item, "id") == 0 || strcmp(item, "key") == 0) {
			err_set(err, "parameter \"%s\" is refused: the panel's "
			    "credentials are sightline's", item);
			return -1;
		}
		if (strcmp(item, "rdtype") == 0) {
			err_set(err, "parameter \"rdtype\" is refused: "
			    "sightline always answers JSON");
			return -1;
		}
		for (i = 0; i < 3 && sa->sa_params[i].sp_name != NULL; i++)
			if (strcmp(sa->sa_params[i].sp_name, item) == 0)
				break;
		if (i == 3 || sa->sa_params[i].sp_name == NULL) {
			err_set(err, "parameter \"%s\" is not allowed for "
			    "action %s", item, action);
			return -1;
		}
		if (vals[i] != NULL) {
			err_set(err, "parameter \"%s\" given twice", item);
			return -1;
		}
		vals[i] = eq;
	}
	if (strlcpy(nr->nr_path, SVM_SCRIPT "?action=", sizeof(nr->nr_path)) >=
	    sizeof(nr->nr_path) || strlcat(nr->nr_path, action,
	    sizeof(nr->nr_path)) >= sizeof(nr->nr_path)) {
		err_set(err, "path too long");
		return -1;
	}
	for (i = 0; i < 3 && (sp = &sa->sa_params[i])->sp_name != NULL; i++) {
		if (vals[i] == NULL) {
			if (sp->sp_required) {
				err_set(err, "action %s needs parameter \"%s\"",
				    action, sp->sp_name);
				return -1;
			}
			continue;
		}
		switch (sp->sp_value) {
		case SVM_VAL_ID:
			if (!svm_valid_id(vals[i])) {
				err_set(err, "parameter \"%s\" must be a number",
				    sp->sp_name);
				return -1;
			}
			break;
		case SVM_VAL_BOOL:
			if (strcmp(vals[i], "true") != 0 &&
			    strcmp(vals[i], "false") != 0) {
				err_set(err, "parameter \"%s\" may only be "
				    "true|false", sp->sp_name);
				return -1;
			}
			break;
		case SVM_VAL_TYPE:
			if ((t = svm_type_index(vals[i])) == -1) {
				err_set(err, "parameter \"%s\" may only be "
				    "openvz|xen|xen%%20hvm|kvm", sp->sp_name);
				return -1;
			}
			vals[i] = (char *)svm_types[t].st_query;
			break;
		}
		if (svm_append(nr->nr_path, sizeof(nr->nr_path), sp->sp_name,
		    vals[i]) == -1) {
			err_set(err, "path too long");
			return -1;
		}
	}
	if (svm_append(nr->nr_path, sizeof(nr->nr_path), "rdtype", "json") ==
	    -1) {
		err_set(err, "path too long");
		return -1;
	}
	nr->nr_endpoint = sa->sa_endpoint;
	return 0;
}

static const char *
solusvm1_endpoint(size_t i)
{
	return i < SVM_NACTIONS ? svm_actions[i].sa_endpoint : NULL;
}

/* ---- evidence ---- */

/*
 * pl_preserve: SolusVM 1's answers do not name a VPS's libvirt domain,
 * so only a domain the cross-check observed gives it.
 */
static json_t *
solusvm1_preserve(const json_t *rec, const json_t *domain)
{
	return evidence_libvirt(rec, domain, NULL, "SolusVM 1's API does not "
	    "name the libvirt domain of a VPS, and the hypervisor cross-check "
	    "observed none for it.");
}

const struct plugin plugin_solusvm1 = {
	.pl_name = "solusvm1",
	.pl_libvirt = 1,
	.pl_api_root = SVM_API_ROOT,
	.pl_endpoint = solusvm1_endpoint,
	.pl_credentials = solusvm1_credentials,
	.pl_auth = solusvm1_auth,
	.pl_options = solusvm1_options,
	.pl_inventory = solusvm1_inventory,
	.pl_fetched = solusvm1_fetched,
	.pl_record = solusvm1_record,
	.pl_native_route = solusvm1_native_route,
	.pl_judge = solusvm1_judge,
	.pl_preserve = solusvm1_preserve,
};
