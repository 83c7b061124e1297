/*
 * test_hvcheck.c: proxy/hvcheck.c, the hypervisor cross-check as a pure
 * comparison. A small world of three records on two nodes of one panel,
 * and the domains an honest hypervisor would list for them; then each
 * kind of finding by changing one thing, the order of matching (UUID,
 * then name, then MAC), one-to-one matching, what is not checked, the
 * disk rules, the sorted and repeatable output, the committed name of a
 * hidden VM, the counts, and the input refused with a reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static struct keys *keys;

#define UUID1	"5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e01"
#define UUID2	"00000000-0000-4000-8000-000000000002"
#define UUID3	"00000000-0000-4000-8000-000000000003"
#define UUIDX	"00000000-0000-4000-8000-0000000000ff"

/* JSON text with ' for " (readable in C), parsed; bails out if bad. */
static json_t *
J(const char *text)
{
	json_error_t	 jerr;
	json_t		*j;
	char		*s, *p;

	if ((s = strdup(text)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	free(s);
	if (j == NULL) {
		printf("Bail out! bad test JSON: %s\n", jerr.text);
		exit(1);
	}
	return j;
}

/*
 * The world: vz/1 has an RFC UUID (given in capitals) and a thin LVM
 * volume; vz/2 a Virtualizor-style 16-character uuid, a name and a /dev
 * path; vz/3 only a MAC (and the schema's empty disks). The domains are
 * the honest hypervisors' listing of them.
 */
struct world {
	json_t		*w_recs;
	json_t		*w_hv01;
	json_t		*w_hv02;
	struct hv_node	 w_nodes[2];
};

static void
world_init(struct world *w)
{
	w->w_recs = J("["
	    "{'id': 'vz/1', 'panel': 'vz', 'native_id': '1', 'node': 'hv01',"
	    " 'uuid': '5D0F3C1E-8A4B-4F6E-9C2D-1A2B3C4D5E01',"
	    " 'interfaces': [{'mac': '52:54:00:00:00:01', 'ips': []}],"
	    " 'disks': [{'storage': 'hv01-thinlvm', 'volume':"
	    " 'vg/vm-1-disk-0', 'size_gb': 10}]},"
	    "{'id': 'vz/2', 'panel': 'vz', 'native_id': '2', 'node': 'hv02',"
	    " 'uuid': 'q7kd2mfa9xw3pt0e', 'name': 'v2',"
	    " 'interfaces': [{'mac': '00:16:3e:00:00:02'}],"
	    " 'disks': [{'storage': 'st1', 'volume': '/dev/vg_vps/vsv2'}]},"
	    "{'id': 'vz/3', 'panel': 'vz', 'native_id': '3', 'node': 'hv01',"
	    " 'uuid': null, 'interfaces': [{'mac': '00:16:3e:00:00:03'},"
	    " {'mac': null}], 'disks': []}]");
	w->w_hv01 = J("["
	    "{'uuid': '" UUID1 "', 'name': 'one', 'state': 'running',"
	    " 'macs': ['52:54:00:00:00:01'], 'disks': ['/dev/vg/vm-1-disk-0']},"
	    "{'uuid': '" UUID3 "', 'name': 'vm3', 'state': 'shutoff',"
	    " 'macs': ['00:16:3E:00:00:03'], 'disks': ['/var/lib/x.qcow2']}]");
	w->w_hv02 = J("["
	    "{'uuid': '" UUID2 "', 'name': 'v2', 'state': 'paused',"
	    " 'macs': ['00:16:3e:00:00:02'], 'disks': ['/dev/vg_vps/vsv2']}]");
	w->w_nodes[0] = (struct hv_node){ "vz", "hv01", w->w_hv01, NULL };
	w->w_nodes[1] = (struct hv_node){ "vz", "hv02", w->w_hv02, NULL };
}

static void
world_free(struct world *w)
{
	json_decref(w->w_recs);
	json_decref(w->w_hv01);
	json_decref(w->w_hv02);
}

/* The domain called name in w (borrowed). */
static json_t *
dom(struct world *w, const char *name)
{
	json_t	*arr[2] = { w->w_hv01, w->w_hv02 }, *d;
	size_t	 i, j;

	for (i = 0; i < 2; i++)
		json_array_foreach(arr[i], j, d)
			if (strcmp(json_string_value(json_object_get(d,
			    "name")), name) == 0)
				return d;
	printf("Bail out! no domain %s\n", name);
	exit(1);
}

static json_t *
details(struct world *w, json_t **disc, char *err)
{
	return hvcheck_details(w->w_nodes, 2, w->w_recs, keys, disc, err);
}

static char *
jcs(const json_t *j)
{
	char	 err[ERR_MAX];
	size_t	 len;

	return canon_dump(j, &len, err);
}

/* The findings of details as RFC 8785 text, for messages and compares. */
static int
findings_are(const json_t *d, const char *want, const char *what)
{
	json_t	*w = J(want);
	char	*got = jcs(json_object_get(d, "findings")), *exp = jcs(w);
	int	 ok = tap_str(got, exp, what);

	free(got);
	free(exp);
	json_decref(w);
	return ok;
}

static void
test_clean(void)
{
	struct world	 w;
	json_t		*d, *disc = NULL, *c;
	char		 err[ERR_MAX], *s;

	world_init(&w);
	d = details(&w, &disc, err);
	if (!tap_ok(d != NULL, "clean: details made")) {
		tap_diag("%s", err);
		world_free(&w);
		return;
	}
	tap_str(json_string_value(json_object_get(d, "type")),
	    "sightline/crosscheck/v1", "clean: type");
	findings_are(d, "[]", "clean: no finding (UUID in capitals, a MAC in "
	    "capitals, a thin volume under /dev, empty disks not checked)");
	s = jcs(json_object_get(d, "nodes"));
	tap_str(s, "[{\"domains\":2,\"error\":null,\"node\":\"hv01\","
	    "\"panel\":\"vz\"},{\"domains\":1,\"error\":null,\"node\":\"hv02\","
	    "\"panel\":\"vz\"}]", "clean: the nodes, their domain counts");
	free(s);
	tap_ok(json_is_array(disc) && json_array_size(disc) == 0,
	    "clean: no disclosure");
	c = hvcheck_counts(d);
	s = jcs(c);
	tap_str(s, "{\"disk-mismatch\":0,\"domains\":3,\"hidden-vm\":0,"
	    "\"mac-mismatch\":0,\"missing-domain\":0,\"node-unreachable\":0,"
	    "\"nodes\":2,\"uuid-mismatch\":0,\"wrong-node\":0}",
	    "clean: counts");
	free(s);
	json_decref(c);
	json_decref(disc);
	json_decref(d);
	world_free(&w);
}

static void
test_hidden(void)
{
	struct world	 w;
	json_t		*d, *disc = NULL, *f, *open, *c;
	char		 err[ERR_MAX], digest[COMMIT_DIGEST_MAX], *s;
	const char	*dis;

	world_init(&w);
	json_array_append_new(w.w_hv02, J("{'uuid': '" UUIDX "', 'name': "
	    "'intruder-secret', 'state': 'running', 'macs': "
	    "['52:54:00:DE:AD:01', '52:54:00:de:ad:00', '52:54:00:de:ad:01'],"
	    " 'disks': ['/dev/vg/z', '/dev/vg/a']}"));
	d = details(&w, &disc, err);
	if (!tap_ok(d != NULL, "hidden: details made")) {
		tap_diag("%s", err);
		world_free(&w);
		return;
	}
	f = json_array_get(json_object_get(d, "findings"), 0);
	tap_int((long long)json_array_size(json_object_get(d, "findings")), 1,
	    "hidden: one finding");
	/* The digest is checked below; here the rest of the finding. */
	json_object_del(json_object_get(f, "domain"), "_sd");
	s = jcs(f);
	tap_str(s, "{\"domain\":{\"_sd_alg\":\"sha-256\",\"disks\":"
	    "[\"/dev/vg/a\",\"/dev/vg/z\"],\"macs\":[\"52:54:00:de:ad:00\","
	    "\"52:54:00:de:ad:01\"],\"state\":\"running\",\"uuid\":\"" UUIDX
	    "\"},\"kind\":\"hidden-vm\",\"node\":\"hv02\",\"panel\":\"vz\"}",
	    "hidden: the domain's UUID, state, MACs (lowercase, sorted, "
	    "unique), disks (sorted), node; no name");
	free(s);
	json_decref(d);
	json_decref(disc);
	d = details(&w, &disc, err);
	s = jcs(d);
	tap_ok(s != NULL && strstr(s, "intruder-secret") == NULL,
	    "hidden: the name is nowhere in the details");
	free(s);
	tap_ok(json_array_size(disc) == 1, "hidden: one disclosure");
	dis = json_string_value(json_array_get(disc, 0));
	open = dis != NULL ? commit_open(dis, err) : NULL;
	if (!tap_ok(open != NULL, "hidden: the disclosure opens"))
		tap_diag("%s", err);
	tap_str(json_string_value(json_array_get(open, 1)), "name",
	    "hidden: it discloses the field \"name\"");
	tap_str(json_string_value(json_array_get(open, 2)), "intruder-secret",
	    "hidden: to the domain's name");
	json_decref(open);
	if (dis != NULL) {
		commit_digest(dis, strlen(dis), digest);
		f = json_object_get(json_array_get(json_object_get(d,
		    "findings"), 0), "domain");
		tap_str(json_string_value(json_array_get(json_object_get(f,
		    "_sd"), 0)), digest, "hidden: its digest is the domain's "
		    "_sd");
		tap_int((long long)json_array_size(json_object_get(f, "_sd")),
		    1, "hidden: one digest");
	}
	c = hvcheck_counts(d);
	tap_int(json_integer_value(json_object_get(c, "hidden-vm")), 1,
	    "hidden: counted");
	tap_int(json_integer_value(json_object_get(c, "domains")), 4,
	    "hidden: four domains counted");
	json_decref(c);
	json_decref(disc);
	json_decref(d);
	/* Without a secret key, nothing can be committed: refused. */
	disc = (json_t *)1;
	d = hvcheck_details(w.w_nodes, 2, w.w_recs, NULL, &disc, err);
	tap_ok(d == NULL && disc == NULL && strstr(err, "secret") != NULL &&
	    strstr(err, "intruder") == NULL, "hidden: no key, refused: %s",
	    err);
	world_free(&w);
}

static void
test_kinds(void)
{
	struct world	 w;
	json_t		*d, *disc;
	char		 err[ERR_MAX];

	/* missing-domain: the domain is gone. */
	world_init(&w);
	json_array_remove(w.w_hv01, 1);
	d = details(&w, &disc, err);
	findings_are(d, "[{'id': 'vz/3', 'kind': 'missing-domain', "
	    "'node': 'hv01', 'panel': 'vz'}]", "missing-domain");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* wrong-node: vz/2 runs on hv01 while the panel says hv02. */
	world_init(&w);
	json_array_append(w.w_hv01, json_array_get(w.w_hv02, 0));
	json_array_remove(w.w_hv02, 0);
	d = details(&w, &disc, err);
	findings_are(d, "[{'attested': 'hv02', 'id': 'vz/2', 'kind': "
	    "'wrong-node', 'observed': 'hv01', 'panel': 'vz'}]",
	    "wrong-node, and no missing-domain for it");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* uuid-mismatch: vz/1's domain has another UUID; found by MAC. */
	world_init(&w);
	json_object_set_new(dom(&w, "one"), "uuid", json_string(UUIDX));
	d = details(&w, &disc, err);
	findings_are(d, "[{'attested': '5D0F3C1E-8A4B-4F6E-9C2D-1A2B3C4D5E01',"
	    " 'id': 'vz/1', 'kind': 'uuid-mismatch', 'node': 'hv01', "
	    "'observed': '" UUIDX "', 'panel': 'vz'}]", "uuid-mismatch");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* mac-mismatch: vz/1's domain has another MAC; found by UUID. */
	world_init(&w);
	json_object_set_new(dom(&w, "one"), "macs",
	    J("['52:54:00:00:00:99', '52:54:00:00:00:01']"));
	d = details(&w, &disc, err);
	findings_are(d, "[{'attested': ['52:54:00:00:00:01'], 'id': 'vz/1', "
	    "'kind': 'mac-mismatch', 'node': 'hv01', 'observed': "
	    "['52:54:00:00:00:01', '52:54:00:00:00:99'], 'panel': 'vz'}]",
	    "mac-mismatch: an extra MAC");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* disk-mismatch: vz/2's domain has another disk; found by name. */
	world_init(&w);
	json_object_set_new(dom(&w, "v2"), "disks",
	    J("['/dev/vg_vps/vsv2-copy']"));
	d = details(&w, &disc, err);
	findings_are(d, "[{'attested': ['/dev/vg_vps/vsv2'], 'id': 'vz/2', "
	    "'kind': 'disk-mismatch', 'node': 'hv02', 'observed': "
	    "['/dev/vg_vps/vsv2-copy'], 'panel': 'vz'}]", "disk-mismatch");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* node-unreachable: hv01 did not answer; its records not missing. */
	world_init(&w);
	w.w_nodes[0].hn_domains = NULL;
	w.w_nodes[0].hn_error = "cannot connect to hypervisor "
	    "qemu+ssh://hv01/system: Connection refused";
	d = details(&w, &disc, err);
	findings_are(d, "[{'kind': 'node-unreachable', 'node': 'hv01', "
	    "'panel': 'vz', 'reason': 'cannot connect to hypervisor "
	    "qemu+ssh://hv01/system: Connection refused'}]",
	    "node-unreachable, and vz/1, vz/3 on it not missing");
	{
		char	*s = jcs(json_array_get(json_object_get(d, "nodes"),
		    0));
		tap_str(s, "{\"domains\":null,\"error\":\"cannot connect to "
		    "hypervisor qemu+ssh://hv01/system: Connection refused\","
		    "\"node\":\"hv01\",\"panel\":\"vz\"}",
		    "node-unreachable: its node entry says why, no count");
		free(s);
	}
	json_decref(d);
	json_decref(disc);
	/* ... and a record of it running elsewhere is still found there. */
	json_array_append(w.w_hv02, json_array_get(w.w_hv01, 0));
	d = details(&w, &disc, err);
	tap_ok(json_array_size(json_object_get(d, "findings")) == 2 &&
	    strcmp(json_string_value(json_object_get(json_array_get(
	    json_object_get(d, "findings"), 1), "kind")), "wrong-node") == 0,
	    "node-unreachable: a domain of its record on another node is "
	    "wrong-node");
	json_decref(d);
	json_decref(disc);
	world_free(&w);
}

static void
test_not_checked(void)
{
	struct world	 w;
	json_t		*d, *disc, *r;
	char		 err[ERR_MAX];

	/* A record on a node without a hypervisor, another panel's. */
	world_init(&w);
	json_array_append_new(w.w_recs, J("{'id': 'vz/9', 'panel': 'vz', "
	    "'node': 'hv09', 'native_id': '9', 'uuid': null}"));
	json_array_append_new(w.w_recs, J("{'id': 'pve/100', 'panel': 'pve',"
	    " 'node': 'hv01', 'native_id': '100', 'name': 'one'}"));
	json_array_append_new(w.w_recs, J("{'id': 'vz/8', 'panel': 'vz', "
	    "'native_id': '8', 'node': null}"));
	d = details(&w, &disc, err);
	findings_are(d, "[]", "records on unconfigured nodes, without a node, "
	    "or of panels without hypervisors: not checked");
	json_decref(d);
	json_decref(disc);

	/* What the record does not show is not compared. */
	r = json_array_get(w.w_recs, 0);
	json_object_del(r, "disks");
	json_object_set_new(r, "interfaces", J("[{'mac': null}]"));
	json_object_set_new(dom(&w, "one"), "macs", J("['52:54:00:77:77:77']"));
	json_object_set_new(dom(&w, "one"), "disks", J("['/dev/other']"));
	r = json_array_get(w.w_recs, 1);
	json_object_del(r, "node");
	json_object_del(r, "interfaces");
	json_array_append(w.w_hv01, json_array_get(w.w_hv02, 0));
	json_array_remove(w.w_hv02, 0);
	d = details(&w, &disc, err);
	findings_are(d, "[]", "no disks, no MAC, no node in the record: "
	    "nothing to compare them with");
	json_decref(d);
	json_decref(disc);
	world_free(&w);
}

static void
test_order(void)
{
	struct world	 w;
	json_t		*d, *disc;
	char		 err[ERR_MAX];

	/*
	 * UUID before name: "alpha" (listed first) bears vz/1's native_id
	 * as its name, while "one" bears its UUID. vz/1 is "one"'s.
	 */
	world_init(&w);
	json_array_insert_new(w.w_hv01, 0, J("{'uuid': "
	    "'00000000-0000-4000-8000-000000000000', 'name': '1', 'state': "
	    "'running', 'macs': [], 'disks': []}"));
	d = details(&w, &disc, err);
	tap_ok(json_array_size(json_object_get(d, "findings")) == 1 &&
	    strcmp(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(d, "findings"), 0), "domain"),
	    "uuid")), "00000000-0000-4000-8000-000000000000") == 0,
	    "UUID before name: the domain named after vz/1 is hidden, the one "
	    "with its UUID is vz/1's");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/*
	 * Name before MAC: "aaa" (listed first) has vz/2's MAC, "v2" its
	 * name but another MAC. vz/2 is "v2"'s, with a MAC mismatch.
	 */
	world_init(&w);
	json_object_set_new(dom(&w, "v2"), "macs", J("['00:16:3e:00:00:22']"));
	json_array_insert_new(w.w_hv02, 0, J("{'uuid': "
	    "'00000000-0000-4000-8000-000000000001', 'name': 'aaa', 'state': "
	    "'running', 'macs': ['00:16:3e:00:00:02'], 'disks': []}"));
	d = details(&w, &disc, err);
	tap_ok(json_array_size(json_object_get(d, "findings")) == 2 &&
	    strcmp(json_string_value(json_object_get(json_array_get(
	    json_object_get(d, "findings"), 0), "kind")), "hidden-vm") == 0 &&
	    strcmp(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(d, "findings"), 0), "domain"),
	    "uuid")), "00000000-0000-4000-8000-000000000001") == 0 &&
	    strcmp(json_string_value(json_object_get(json_array_get(
	    json_object_get(d, "findings"), 1), "kind")), "mac-mismatch") == 0,
	    "name before MAC: the domain with vz/2's MAC is hidden, the one "
	    "with its name is vz/2's (MAC mismatch)");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* One to one: two domains with vz/3's MAC; one is hidden. */
	world_init(&w);
	json_array_append_new(w.w_hv01, J("{'uuid': '" UUIDX "', 'name': "
	    "'twin', 'state': 'running', 'macs': ['00:16:3e:00:00:03'], "
	    "'disks': []}"));
	d = details(&w, &disc, err);
	tap_ok(json_array_size(json_object_get(d, "findings")) == 1 &&
	    strcmp(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(d, "findings"), 0), "domain"),
	    "uuid")), UUIDX) == 0,
	    "one to one: of two domains with one record's MAC, the second "
	    "(by UUID) is hidden");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* One to one: two records named like one domain; the second missing. */
	world_init(&w);
	json_array_append_new(w.w_recs, J("{'id': 'vz/4', 'panel': 'vz', "
	    "'node': 'hv02', 'native_id': '4', 'name': 'v2'}"));
	d = details(&w, &disc, err);
	findings_are(d, "[{'id': 'vz/4', 'kind': 'missing-domain', 'node': "
	    "'hv02', 'panel': 'vz'}]", "one to one: of two records with a "
	    "domain's name, the lower id gets it");
	json_decref(d);
	json_decref(disc);
	world_free(&w);

	/* Matching stays within a panel. */
	world_init(&w);
	json_object_set_new(json_array_get(w.w_recs, 1), "panel",
	    json_string("other"));
	d = details(&w, &disc, err);
	tap_ok(json_array_size(json_object_get(d, "findings")) == 1 &&
	    strcmp(json_string_value(json_object_get(json_array_get(
	    json_object_get(d, "findings"), 0), "kind")), "hidden-vm") == 0,
	    "a domain does not match another panel's record");
	json_decref(d);
	json_decref(disc);
	world_free(&w);
}

static void
test_disks(void)
{
	static const struct {
		const char	*src, *storage, *volume;
		int		 match;
	} cases[] = {
		{ "/dev/vg_vps/vsv2", "st1", "/dev/vg_vps/vsv2", 1 },
		{ "/dev/vg-solus/vm-501-disk-0", "hv01", "vg-solus/vm-501-disk-0",
		    1 },
		{ "/home/vf-data/disk/u_1", "/home/vf-data/disk", "u_1", 1 },
		{ "pool/vol", "pool", "vol", 1 },
		{ "/var/lib/libvirt/images/vm-501-disk-0.qcow2", "local",
		    "vg/vm-501-disk-0", 1 },
		{ "rbd/vm-100-disk-0", "ceph", "vm-100-disk-0", 1 },
		{ "/dev/vg/vm-501-disk-00", "hv01", "vg/vm-501-disk-0", 0 },
		{ "/dev/vg/xvm-501-disk-0", "hv01", "vm-501-disk-0", 0 },
		{ "/dev/other/lv", "vg", "lv2", 0 },
		{ "/images/a.b.qcow2", "x", "a.b", 1 },
		{ "/images/a.qcow2", "x", "a.b", 0 },
		{ "/images/sub/", "x", "sub/", 1 },
		{ "/images/x", "x", "y/", 0 },
	};
	struct world	 w;
	json_t		*d, *disc, *r;
	char		 err[ERR_MAX];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world_init(&w);
		r = json_array_get(w.w_recs, 1);
		json_object_set_new(r, "disks", json_pack("[{s:s, s:s}]",
		    "storage", cases[i].storage, "volume", cases[i].volume));
		json_object_set_new(dom(&w, "v2"), "disks", json_pack("[s]",
		    cases[i].src));
		d = details(&w, &disc, err);
		tap_ok(d != NULL && json_array_size(json_object_get(d,
		    "findings")) == (cases[i].match ? 0 : 1),
		    "disk %s %s volume %s (storage %s)", cases[i].src,
		    cases[i].match ? "stands for" : "does not stand for",
		    cases[i].volume, cases[i].storage);
		json_decref(d);
		json_decref(disc);
		world_free(&w);
	}

	/* Each record disk needs a source and each source a record disk. */
	world_init(&w);
	json_object_set_new(dom(&w, "v2"), "disks",
	    J("['/dev/vg_vps/vsv2', '/dev/vg_vps/extra']"));
	d = details(&w, &disc, err);
	findings_are(d, "[{'attested': ['/dev/vg_vps/vsv2'], 'id': 'vz/2', "
	    "'kind': 'disk-mismatch', 'node': 'hv02', 'observed': "
	    "['/dev/vg_vps/extra', '/dev/vg_vps/vsv2'], 'panel': 'vz'}]",
	    "disks: a source the record lacks");
	json_decref(d);
	json_decref(disc);
	json_object_set_new(dom(&w, "v2"), "disks", J("[]"));
	d = details(&w, &disc, err);
	findings_are(d, "[{'attested': ['/dev/vg_vps/vsv2'], 'id': 'vz/2', "
	    "'kind': 'disk-mismatch', 'node': 'hv02', 'observed': [], "
	    "'panel': 'vz'}]", "disks: a record disk no source stands for");
	json_decref(d);
	json_decref(disc);
	json_object_set_new(json_array_get(w.w_recs, 1), "disks",
	    J("[{'storage': 'st1', 'volume': null}]"));
	d = details(&w, &disc, err);
	findings_are(d, "[]", "disks: a record with no volume named is not "
	    "checked");
	json_decref(d);
	json_decref(disc);
	world_free(&w);
}

static void
test_sorted(void)
{
	struct world	 w;
	json_t		*d1, *d2, *disc1, *disc2, *f, *rev, *rev1, *x;
	struct hv_node	 three[3];
	char		 err[ERR_MAX], *s1, *s2;
	const char	*kinds[7];
	size_t		 i, j;

	/* Every kind at once, twice, in different input orders. */
	world_init(&w);
	json_array_append_new(w.w_hv01, J("{'uuid': '" UUIDX "', 'name': "
	    "'intruder', 'state': 'running', 'macs': [], 'disks': []}"));
	json_object_set_new(dom(&w, "one"), "macs", J("['52:54:00:00:00:09']"));
	json_object_set_new(dom(&w, "one"), "disks", J("['/dev/vg/elsewhere']"));
	json_object_set_new(json_array_get(w.w_recs, 0), "name",
	    json_string("one"));
	json_object_set_new(dom(&w, "one"), "uuid", json_string(
	    "00000000-0000-4000-8000-000000000011"));
	json_object_set_new(json_array_get(w.w_recs, 2), "node",
	    json_string("hv02"));
	json_array_append_new(w.w_recs, J("{'id': 'vz/0', 'panel': 'vz', "
	    "'node': 'hv02', 'native_id': '0'}"));
	json_array_append_new(w.w_recs, J("{'id': 'vz/5', 'panel': 'vz', "
	    "'node': 'hv03', 'native_id': '5'}"));
	d1 = details(&w, &disc1, err);
	if (!tap_ok(d1 != NULL, "sorted: details made")) {
		tap_diag("%s", err);
		world_free(&w);
		return;
	}
	json_decref(d1);
	json_decref(disc1);
	/* Three nodes, the third unreachable: in one order ... */
	three[0] = (struct hv_node){ "vz", "hv01", w.w_hv01, NULL };
	three[1] = w.w_nodes[1];
	three[2] = (struct hv_node){ "vz", "hv03", NULL, "timeout" };
	d1 = hvcheck_details(three, 3, w.w_recs, keys, &disc1, err);
	/* ... and reversed: records, nodes and hv01's domains. */
	rev = json_array();
	for (i = json_array_size(w.w_recs); i > 0; i--)
		json_array_append(rev, json_array_get(w.w_recs, i - 1));
	rev1 = json_array();
	for (i = json_array_size(w.w_hv01); i > 0; i--)
		json_array_append(rev1, json_array_get(w.w_hv01, i - 1));
	three[0] = (struct hv_node){ "vz", "hv03", NULL, "timeout" };
	three[1] = w.w_nodes[1];
	three[2] = (struct hv_node){ "vz", "hv01", rev1, NULL };
	d2 = hvcheck_details(three, 3, rev, keys, &disc2, err);
	json_decref(rev);
	s1 = jcs(d1);
	s2 = jcs(d2);
	tap_ok(s1 != NULL && s2 != NULL && strcmp(s1, s2) == 0,
	    "sorted: the same world in another order gives the same bytes");
	tap_ok(json_equal(disc1, disc2), "sorted: and the same disclosures");
	i = 0;
	json_array_foreach(json_object_get(d1, "findings"), j, f)
		if (i < 7)
			kinds[i++] = json_string_value(json_object_get(f,
			    "kind"));
	tap_int((long long)json_array_size(json_object_get(d1, "findings")), 7,
	    "sorted: seven findings, one of each kind");
	tap_ok(i == 7 && strcmp(kinds[0], "disk-mismatch") == 0 &&
	    strcmp(kinds[1], "hidden-vm") == 0 &&
	    strcmp(kinds[2], "mac-mismatch") == 0 &&
	    strcmp(kinds[3], "missing-domain") == 0 &&
	    strcmp(kinds[4], "node-unreachable") == 0 &&
	    strcmp(kinds[5], "uuid-mismatch") == 0 &&
	    strcmp(kinds[6], "wrong-node") == 0, "sorted: by kind");
	if (s1 != NULL)
		tap_diag("%s", s1);
	free(s1);
	free(s2);
	x = hvcheck_counts(d1);
	s1 = jcs(x);
	tap_str(s1, "{\"disk-mismatch\":1,\"domains\":4,\"hidden-vm\":1,"
	    "\"mac-mismatch\":1,\"missing-domain\":1,\"node-unreachable\":1,"
	    "\"nodes\":3,\"uuid-mismatch\":1,\"wrong-node\":1}",
	    "sorted: counts of every kind");
	free(s1);
	json_decref(x);
	json_decref(d1);
	json_decref(d2);
	json_decref(disc1);
	json_decref(disc2);
	json_decref(rev1);
	world_free(&w);

	/* Within a kind: by panel, node, then id (bytewise). */
	world_init(&w);
	json_array_clear(w.w_hv01);
	json_array_clear(w.w_hv02);
	json_array_append_new(w.w_recs, J("{'id': 'vz/10', 'panel': 'vz', "
	    "'node': 'hv02'}"));
	d1 = details(&w, &disc1, err);
	findings_are(d1, "["
	    "{'id': 'vz/1', 'kind': 'missing-domain', 'node': 'hv01', "
	    "'panel': 'vz'},"
	    "{'id': 'vz/3', 'kind': 'missing-domain', 'node': 'hv01', "
	    "'panel': 'vz'},"
	    "{'id': 'vz/10', 'kind': 'missing-domain', 'node': 'hv02', "
	    "'panel': 'vz'},"
	    "{'id': 'vz/2', 'kind': 'missing-domain', 'node': 'hv02', "
	    "'panel': 'vz'}]", "sorted: within a kind by node, then id");
	json_decref(d1);
	json_decref(disc1);
	world_free(&w);
}

static void
test_refused(void)
{
	struct world	 w;
	json_t		*d, *disc, *r;
	char		 err[ERR_MAX];
	static const struct {
		const char	*records, *why;
	} bad[] = {
		{ "{}", "the records are not an array" },
		{ "[{'id': 'vz/1', 'panel': 'vz'}, 3]", "record 1 is not an "
		    "object" },
		{ "[{'panel': 'vz'}]", "record 0 has no id" },
		{ "[{'id': 7, 'panel': 'vz'}]", "record 0 has no id" },
		{ "[{'id': 'vz/1'}]", "record vz/1 has no panel" },
		{ "[{'id': 'vz/1', 'panel': 'vz'}, {'id': 'vz/1', 'panel': "
		    "'vz'}]", "record vz/1 is listed twice" },
	};
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		world_init(&w);
		r = J(bad[i].records);
		disc = (json_t *)1;
		err[0] = '\0';
		d = hvcheck_details(w.w_nodes, 2, r, keys, &disc, err);
		tap_ok(d == NULL && disc == NULL && strcmp(err, bad[i].why) ==
		    0, "refused: %s (%s)", bad[i].why, err);
		json_decref(r);
		world_free(&w);
	}

	world_init(&w);
	w.w_nodes[1].hn_node = "hv01";
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strcmp(err, "hypervisor vz/hv01: listed twice") ==
	    0, "refused: a node listed twice (%s)", err);
	world_free(&w);

	world_init(&w);
	json_object_del(dom(&w, "v2"), "uuid");
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strstr(err, "hv02: domain 0 has no UUID") != NULL,
	    "refused: a domain without a UUID (%s)", err);
	world_free(&w);

	world_init(&w);
	json_object_set_new(dom(&w, "v2"), "uuid", json_string("q7kd2mfa9x"));
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strstr(err, "has no UUID") != NULL,
	    "refused: a domain whose UUID is not one (%s)", err);
	world_free(&w);

	world_init(&w);
	json_object_set_new(dom(&w, "v2"), "macs", json_string("x"));
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strstr(err, "\"macs\" or \"disks\" is not an "
	    "array") != NULL, "refused: MACs that are not an array (%s)", err);
	world_free(&w);

	world_init(&w);
	json_object_set_new(dom(&w, "v2"), "disks", J("[1]"));
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strstr(err, "not a string") != NULL,
	    "refused: a disk that is not a string (%s)", err);
	world_free(&w);

	world_init(&w);
	json_array_append(w.w_hv02, json_array_get(w.w_hv02, 0));
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strstr(err, "listed twice") != NULL,
	    "refused: a UUID twice on one node (%s)", err);
	world_free(&w);

	world_init(&w);
	w.w_nodes[0].hn_domains = w.w_recs;	/* not domains at all */
	d = details(&w, &disc, err);
	tap_ok(d == NULL && strstr(err, "no UUID") != NULL,
	    "refused: records given as domains (%s)", err);
	world_free(&w);

	/* counts: refuses what is not details. */
	r = J("{'nodes': [], 'findings': [{'kind': 'nonsense'}]}");
	tap_ok(hvcheck_counts(r) == NULL, "counts: an unknown kind refused");
	json_decref(r);
	r = J("{'nodes': {}, 'findings': []}");
	tap_ok(hvcheck_counts(r) == NULL, "counts: nodes not an array refused");
	json_decref(r);
	r = J("{'nodes': [], 'findings': [{'kind': 'nodes'}]}");
	tap_ok(hvcheck_counts(r) == NULL, "counts: a kind named \"nodes\" "
	    "refused");
	json_decref(r);
}

int
main(void)
{
	uint8_t		 secret[KEYS_SECRET_LEN];
	size_t		 i;

	log_init(0);
	crypto_init();
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 7);
	if ((keys = keys_from_secret(secret)) == NULL) {
		printf("Bail out! keys\n");
		return 1;
	}
	test_clean();
	test_hidden();
	test_kinds();
	test_not_checked();
	test_order();
	test_disks();
	test_sorted();
	test_refused();
	keys_free(keys);
	return tap_done();
}
