/*
 * test_libvirt.c: proxy/libvirt.c. Without libvirt: how a domain's XML
 * is read (which disks and MACs count), how a URI is shown without its
 * credentials, and that hyper_list() says how to get libvirt. With it:
 * hyper_list() against libvirt's own test driver, test:///default and
 * the node files tests/lib/hvxml.py writes from every libvirt panel's
 * fixtures; then the listings through hvcheck_details() against those
 * fixtures' records: the clean set gives no finding, and each scenario
 * the one it is about. Bad URIs and files fail with a reason.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define NO_LIBVIRT	"sightline was built without libvirt: install " \
			"libvirt-dev and run ./configure again"

static char	 tmpdir[] = "/tmp/test_libvirt.XXXXXX";
static struct keys *keys;

static char *
jcs(const json_t *j)
{
	char	 err[ERR_MAX];
	size_t	 len;

	return j != NULL ? canon_dump(j, &len, err) : NULL;
}

/* hyper_devices() on xml: the new {"macs", "disks"}, or NULL and err. */
static json_t *
devices(const char *xml, char *err)
{
	json_t	*d = json_object();

	if (hyper_devices(xml, strlen(xml), d, err) == -1) {
		json_decref(d);
		return NULL;
	}
	return d;
}

static void
test_devices(void)
{
	static const char xml[] =
	    "<?xml version='1.0' encoding='UTF-8'?>\n"
	    "<domain type='kvm'>\n"
	    "  <name>x</name>\n"
	    "  <metadata><devices><disk><source file='/meta'/></disk>"
	    "</devices></metadata>\n"
	    "  <devices>\n"
	    "    <disk type='file' device='disk'><driver name='qemu'/>"
	    "<source file='/var/lib/libvirt/images/b.qcow2'/>"
	    "<backingStore type='file'><source file='/base.qcow2'/>"
	    "</backingStore><target dev='vdb'/></disk>\n"
	    "    <disk type='block'><source dev='/dev/vg/a'/></disk>\n"
	    "    <disk type='file' device='cdrom'><source file='/x.iso'/>"
	    "</disk>\n"
	    "    <disk type='file' device='floppy'><source file='/f.img'/>"
	    "</disk>\n"
	    "    <disk type='volume' device='disk'><source pool='pool' "
	    "volume='vol'/></disk>\n"
	    "    <disk type='network' device='disk'><source protocol='rbd' "
	    "name='rbd-pool/image'><host name='mon1'/></source></disk>\n"
	    "    <disk type='file' device='disk'><target dev='vdz'/></disk>\n"
	    "    <hostdev mode='subsystem'><source><address bus='1'/></source>"
	    "</hostdev>\n"
	    "    <interface type='bridge'><mac address='52:54:00:AA:00:02'/>"
	    "<source bridge='br0'/></interface>\n"
	    "    <interface type='network'><mac address='52:54:00:aa:00:01'/>"
	    "</interface>\n"
	    "    <interface type='bridge'><mac address='52:54:00:aa:00:02'/>"
	    "</interface>\n"
	    "    <interface type='user'/>\n"
	    "  </devices>\n"
	    "</domain>\n";
	char	 err[ERR_MAX], *s, *big;
	json_t	*d;

	d = devices(xml, err);
	s = jcs(d);
	tap_str(s, "{\"disks\":[\"/dev/vg/a\",\"/var/lib/libvirt/images/"
	    "b.qcow2\",\"pool/vol\",\"rbd-pool/image\"],\"macs\":[\"52:54:00:"
	    "aa:00:01\",\"52:54:00:aa:00:02\"]}", "domain XML: disks (files, "
	    "devices, pool/volume, network names; no CD-ROM, floppy, backing "
	    "file, empty drive or metadata), MACs lowercase, sorted, unique");
	free(s);
	json_decref(d);

	d = devices("<domain><devices/></domain>", err);
	s = jcs(d);
	tap_str(s, "{\"disks\":[],\"macs\":[]}", "domain XML: no devices");
	free(s);
	json_decref(d);

	tap_ok(devices("<domain><devices>", err) == NULL &&
	    strstr(err, "not well-formed") != NULL,
	    "domain XML: cut short, refused (%s)", err);
	tap_ok(devices("<node><domain/></node>", err) == NULL &&
	    strstr(err, "not a domain's") != NULL,
	    "domain XML: another root, refused (%s)", err);
	tap_ok(devices("<!DOCTYPE domain [<!ENTITY x 'y'>]><domain/>", err) ==
	    NULL && strstr(err, "DOCTYPE") != NULL,
	    "domain XML: a DTD, refused (%s)", err);
	tap_ok(devices("<domain><devices><interface><mac address='nope'/>"
	    "</interface></devices></domain>", err) == NULL &&
	    strstr(err, "MAC") != NULL && strstr(err, "nope") == NULL,
	    "domain XML: a MAC that is not one, refused (%s)", err);
	if ((big = malloc(HYPER_XML_MAX + 2)) != NULL) {
		memset(big, ' ', HYPER_XML_MAX + 1);
		big[HYPER_XML_MAX + 1] = '\0';
		memcpy(big, "<domain/>", 9);
		d = json_object();
		tap_ok(hyper_devices(big, HYPER_XML_MAX + 1, d, err) == -1 &&
		    strstr(err, "larger") != NULL,
		    "domain XML: over HYPER_XML_MAX, refused (%s)", err);
		json_decref(d);
		free(big);
	}
}

static void
test_uri(void)
{
	static const struct {
		const char	*uri, *shown, *user;
	} cases[] = {
		{ "test:///default", "test:///default", "" },
		{ "qemu+ssh://ro@hv01/system", "qemu+ssh://hv01/system", "ro" },
		{ "qemu+tcp://alice:s3cret@hv01:16509/system?x=a@b",
		    "qemu+tcp://hv01:16509/system?x=a@b", "alice:s3cret" },
		{ "qemu+ssh://a@b@hv01/system", "qemu+ssh://hv01/system",
		    "a@b" },
		{ "qemu:///system", "qemu:///system", "" },
		{ "nonsense", "nonsense", "" },
	};
	char	 shown[ERR_MAX], user[ERR_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hyper_uri_display(cases[i].uri, shown, sizeof(shown), user,
		    sizeof(user));
		tap_ok(strcmp(shown, cases[i].shown) == 0 &&
		    strcmp(user, cases[i].user) == 0,
		    "URI %s shown as %s (user part \"%s\")", cases[i].uri,
		    shown, user);
	}
}

#ifdef HAVE_LIBVIRT

/* Run hvxml.py for panel into dir with args; its JSON output, or NULL. */
static json_t *
hvxml(const char *panel, const char *dir, const char *args)
{
	const char	*py = getenv("PYTHON3"), *top = getenv("top_srcdir");
	char		 cmd[4 * PATH_MAX], chunk[4096];
	struct buf	 out;
	json_error_t	 jerr;
	json_t		*j = NULL;
	FILE		*f;
	size_t		 n;

	snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/lib/hvxml.py' %s '%s' %s",
	    py != NULL ? py : "/usr/bin/python3", top != NULL ? top : ".",
	    panel, dir, args);
	if ((f = popen(cmd, "r")) == NULL)
		return NULL;
	buf_init(&out);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&out, chunk, n);
	if (pclose(f) == 0 && !out.b_oom)
		j = json_loadb(out.b_data, out.b_len, 0, &jerr);
	if (j == NULL)
		tap_diag("hvxml.py failed: %s", cmd);
	buf_free(&out);
	return j;
}

/* What of a domain hvxml.py and hyper_list() both say. */
static json_t *
project(const json_t *d)
{
	return json_pack("{s:O, s:O, s:O, s:O, s:O}",
	    "uuid", json_object_get(d, "uuid"),
	    "name", json_object_get(d, "name"),
	    "state", json_object_get(d, "state"),
	    "macs", json_object_get(d, "macs"),
	    "disks", json_object_get(d, "disks"));
}

static int
by_uuid(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a,
	    "uuid")), json_string_value(json_object_get(*(json_t *const *)b,
	    "uuid")));
}

/* hvxml.py's domains of a node, projected and sorted by uuid (new). */
static json_t *
expected(const json_t *doms)
{
	json_t	*v[64], *out = json_array(), *p;
	size_t	 i, n = 0;

	json_array_foreach(doms, i, p)
		if (n < 64)
			v[n++] = project(p);
	qsort(v, n, sizeof(v[0]), by_uuid);
	for (i = 0; i < n; i++) {
		/* hvxml.py keeps disks in its own order; libvirt's sorted. */
		strings_sort(json_object_get(v[i], "disks"), 0);
		json_array_append_new(out, v[i]);
	}
	return out;
}

static json_t *
projected(const json_t *doms)
{
	json_t	*out = json_array(), *p;
	size_t	 i;

	json_array_foreach(doms, i, p)
		json_array_append_new(out, project(p));
	return out;
}

/*
 * List every node hvxml.py wrote (gen: its output) into nodes[] (at most
 * max, for panel; a node whose listing fails is unreachable). Returns how
 * many. Caller frees each hn_domains and hn_error.
 */
static size_t
list_nodes(const json_t *gen, const char *panel, struct hv_node *nodes,
    size_t max)
{
	const char	*node;
	json_t		*uri, *doms;
	char		 err[ERR_MAX];
	size_t		 n = 0;

	json_object_foreach(json_object_get(gen, "uris"), node, uri) {
		if (n == max)
			break;
		nodes[n].hn_panel = panel;
		nodes[n].hn_node = node;
		nodes[n].hn_error = NULL;
		if (hyper_list(json_string_value(uri), &doms, err) == -1)
			nodes[n].hn_error = strdup(err);
		nodes[n].hn_domains = doms;
		n++;
	}
	return n;
}

static void
free_nodes(struct hv_node *nodes, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		json_decref((json_t *)nodes[i].hn_domains);
		free((char *)nodes[i].hn_error);
	}
}

static json_t *
records(const char *dir)
{
	const char	*top = getenv("top_srcdir");
	char		 path[PATH_MAX];
	json_error_t	 jerr;

	snprintf(path, sizeof(path), "%s/tests/cases/%s/record-fixtures/"
	    "expected.json", top != NULL ? top : ".", dir);
	return json_load_file(path, 0, &jerr);
}

static void
test_default(void)
{
	json_t	*doms = NULL;
	char	 err[ERR_MAX], *s;

	if (!tap_ok(hyper_list("test:///default", &doms, err) == 0,
	    "test:///default listed")) {
		tap_diag("%s", err);
		return;
	}
	s = jcs(doms);
	tap_str(s, "[{\"disks\":[\"/guest/diskimage1\"],\"macs\":[\"aa:bb:cc:"
	    "dd:ee:ff\"],\"name\":\"test\",\"state\":\"running\",\"uuid\":\""
	    "6695eb01-f6a4-8304-79aa-97f2502e193f\"}]",
	    "test:///default: its one domain, as libvirt defines it");
	free(s);
	json_decref(doms);
}

/* Spot checks, from the fixtures themselves, not from hvxml.py. */
static const struct {
	const char	*panel, *node, *uuid, *name, *state, *mac, *disk;
} spots[] = {
	{ "virtualizor", "hv01", NULL, "v1001", "running",
	    "00:16:3e:5a:10:01", "/dev/vg_vps/vsv1001-a1b2c3d4e5f6g7h8" },
	{ "virtualizor", "hv02", NULL, "v1002", "running",
	    "00:16:3e:5a:10:02",
	    "/var/virtualizor/qcow2/vsv1002-p0c4hy7ke2tb5mxu.qcow2" },
	{ "virtualizor", "hv01", NULL, "v1003", "shutoff",
	    "00:16:3e:5a:10:03", "/dev/vg_vps/vsv1003-h8g7f6e5d4c3b2a1" },
	{ "solusvm1", "hv02", NULL, "vm201", "running", "00:16:3e:31:00:c9",
	    NULL },
	{ "solusvm1", "hv02", NULL, "203", "shutoff", NULL, NULL },
	{ "solusvm2", "hv01", "5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e01",
	    "5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e01", "running",
	    "52:54:00:3a:01:f5", "/dev/vg-solus/vm-501-disk-0" },
	{ "solusvm2", "hv01", "5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e03",
	    "5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e03", "shutoff",
	    "52:54:00:3a:01:f7", "/dev/vg-solus/vm-503-disk-0" },
	{ "virtfusion", "hv02", "8f6d1c2a-0b3e-4d5f-a6b7-c8d9e0f1a302",
	    "8f6d1c2a-0b3e-4d5f-a6b7-c8d9e0f1a302", "running",
	    "52:54:00:7e:30:2a",
	    "/home/vf-data/disk/8f6d1c2a-0b3e-4d5f-a6b7-c8d9e0f1a302_1" },
};

/* s is among the strings of arr. */
static int
among(const json_t *arr, const char *s)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

static void
test_spots(const char *panel, const struct hv_node *nodes, size_t n)
{
	const json_t	*d, *hit;
	size_t		 i, j, k;

	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		if (strcmp(spots[i].panel, panel) != 0)
			continue;
		hit = NULL;
		for (j = 0; j < n; j++)
			if (strcmp(nodes[j].hn_node, spots[i].node) == 0)
				json_array_foreach(nodes[j].hn_domains, k, d)
					if (strcmp(json_string_value(
					    json_object_get(d, "name")),
					    spots[i].name) == 0)
						hit = d;
		tap_ok(hit != NULL &&
		    (spots[i].uuid == NULL || strcmp(json_string_value(
		    json_object_get(hit, "uuid")), spots[i].uuid) == 0) &&
		    strcmp(json_string_value(json_object_get(hit, "state")),
		    spots[i].state) == 0 &&
		    (spots[i].mac == NULL ? json_array_size(json_object_get(hit,
		    "macs")) == 0 : among(json_object_get(hit, "macs"),
		    spots[i].mac)) &&
		    (spots[i].disk == NULL ? json_array_size(json_object_get(
		    hit, "disks")) == 0 : among(json_object_get(hit, "disks"),
		    spots[i].disk)),
		    "%s: %s on %s, %s, MAC %s, disk %s", panel, spots[i].name,
		    spots[i].node, spots[i].state, spots[i].mac != NULL ?
		    spots[i].mac : "none", spots[i].disk != NULL ?
		    spots[i].disk : "none");
	}
}

/* The findings of hvcheck for a scenario, RFC 8785, without digests. */
static char *
scenario(const char *dir, const char *args, const char *name)
{
	char		 path[PATH_MAX], err[ERR_MAX], *s;
	struct hv_node	 nodes[8];
	json_t		*gen, *recs, *d, *disc = NULL, *f;
	const char	*panel;
	size_t		 n, i;

	snprintf(path, sizeof(path), "%s/%s-%s", tmpdir, dir, name);
	if ((gen = hvxml(dir, path, args)) == NULL)
		return NULL;
	recs = records(dir);
	panel = json_string_value(json_object_get(json_array_get(recs, 0),
	    "panel"));
	n = list_nodes(gen, panel, nodes, 8);
	d = hvcheck_details(nodes, n, recs, keys, &disc, err);
	if (d == NULL)
		tap_diag("hvcheck_details: %s", err);
	json_array_foreach(json_object_get(d, "findings"), i, f)
		json_object_del(json_object_get(f, "domain"), "_sd");
	s = jcs(json_object_get(d, "findings"));
	json_decref(d);
	json_decref(disc);
	free_nodes(nodes, n);
	json_decref(recs);
	json_decref(gen);
	return s;
}

static void
test_panel(const char *dir)
{
	char		 path[PATH_MAX], err[ERR_MAX], *got, *want;
	struct hv_node	 nodes[8];
	json_t		*gen, *recs, *d, *disc = NULL, *e, *g;
	const char	*panel;
	size_t		 n, i;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, dir);
	if (!tap_ok((gen = hvxml(dir, path, "")) != NULL,
	    "%s: hvxml.py wrote the clean set", dir))
		return;
	recs = records(dir);
	panel = json_string_value(json_object_get(json_array_get(recs, 0),
	    "panel"));
	n = list_nodes(gen, panel, nodes, 8);
	tap_ok(n == json_object_size(json_object_get(gen, "nodes")) && n > 0,
	    "%s: a node file per node (%zu)", dir, n);
	for (i = 0; i < n; i++) {
		if (!tap_ok(nodes[i].hn_domains != NULL, "%s: %s listed", dir,
		    nodes[i].hn_node)) {
			tap_diag("%s", nodes[i].hn_error);
			continue;
		}
		e = expected(json_object_get(json_object_get(gen, "nodes"),
		    nodes[i].hn_node));
		g = projected(nodes[i].hn_domains);
		got = jcs(g);
		want = jcs(e);
		tap_str(got, want, "the domains libvirt lists: the UUIDs, "
		    "names, states, MACs and disks written");
		free(got);
		free(want);
		json_decref(e);
		json_decref(g);
	}
	test_spots(dir, nodes, n);
	d = hvcheck_details(nodes, n, recs, keys, &disc, err);
	got = jcs(json_object_get(d, "findings"));
	tap_str(got, "[]", "clean set: no finding against the fixtures' "
	    "records");
	free(got);
	tap_ok(d != NULL && json_array_size(disc) == 0,
	    "clean set: nothing committed");
	json_decref(d);
	json_decref(disc);
	free_nodes(nodes, n);
	json_decref(recs);
	json_decref(gen);
}

static void
test_scenarios(void)
{
#define S2_501	"5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e01"
#define S2_502	"5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e02"
#define S2_503	"5d0f3c1e-8a4b-4f6e-9c2d-1a2b3c4d5e03"
	static const struct {
		const char	*panel, *name, *args, *want;
	} cases[] = {
		{ "solusvm2", "hidden", "--hidden hv02:intruder",
		    "[{\"domain\":{\"_sd_alg\":\"sha-256\",\"disks\":["
		    "\"/dev/vg_hidden/intruder\"],\"macs\":[\"52:54:00:de:ad:"
		    "01\"],\"state\":\"running\",\"uuid\":\"63a2ff94-46f2-588d-"
		    "81e1-67eb61aaf3fc\"},\"kind\":\"hidden-vm\",\"node\":"
		    "\"hv02\",\"panel\":\"solusvm2\"}]" },
		{ "solusvm2", "drop", "--drop " S2_503,
		    "[{\"id\":\"solusvm2/503\",\"kind\":\"missing-domain\","
		    "\"node\":\"hv01\",\"panel\":\"solusvm2\"}]" },
		{ "solusvm2", "mac", "--mac " S2_501 "=52:54:00:3A:99:99",
		    "[{\"attested\":[\"52:54:00:3a:01:f5\"],\"id\":\"solusvm2/"
		    "501\",\"kind\":\"mac-mismatch\",\"node\":\"hv01\","
		    "\"observed\":[\"52:54:00:3a:99:99\"],\"panel\":"
		    "\"solusvm2\"}]" },
		{ "solusvm2", "disk", "--disk " S2_502
		    "=/dev/vg-solus/vm-999-disk-0",
		    "[{\"attested\":[\"vg-solus/vm-502-disk-0\"],\"id\":"
		    "\"solusvm2/502\",\"kind\":\"disk-mismatch\",\"node\":"
		    "\"hv02\",\"observed\":[\"/dev/vg-solus/vm-999-disk-0\"],"
		    "\"panel\":\"solusvm2\"}]" },
		{ "solusvm2", "uuid", "--uuid " S2_501
		    "=5d0f3c1e-8a4b-4f6e-9c2d-0000000000ff",
		    "[{\"attested\":\"" S2_501 "\",\"id\":\"solusvm2/501\","
		    "\"kind\":\"uuid-mismatch\",\"node\":\"hv01\",\"observed\":"
		    "\"5d0f3c1e-8a4b-4f6e-9c2d-0000000000ff\",\"panel\":"
		    "\"solusvm2\"}]" },
		{ "solusvm2", "move", "--move " S2_501 "=hv02",
		    "[{\"attested\":\"hv01\",\"id\":\"solusvm2/501\",\"kind\":"
		    "\"wrong-node\",\"observed\":\"hv02\",\"panel\":"
		    "\"solusvm2\"}]" },
		{ "virtualizor", "move", "--move v1003=hv02",
		    "[{\"attested\":\"hv01\",\"id\":\"vz/1003\",\"kind\":"
		    "\"wrong-node\",\"observed\":\"hv02\",\"panel\":\"vz\"}]" },
		/* Virtualizor's own uuid is not RFC 4122: nothing to compare. */
		{ "virtualizor", "uuid", "--uuid v1001="
		    "00000000-0000-4000-8000-000000000001", "[]" },
		{ "virtualizor", "disk", "--disk v1001=/dev/vg_vps/vsv1001-copy",
		    "[{\"attested\":[\"/dev/vg_vps/vsv1001-a1b2c3d4e5f6g7h8\"],"
		    "\"id\":\"vz/1001\",\"kind\":\"disk-mismatch\",\"node\":"
		    "\"hv01\",\"observed\":[\"/dev/vg_vps/vsv1001-copy\"],"
		    "\"panel\":\"vz\"}]" },
		/*
		 * SolusVM 1 shows no disks: a changed disk is no finding.
		 * Its domains' names are not its ids and it has no UUIDs: a
		 * domain whose MAC changed matches nothing, so the record
		 * has no domain and the domain no record.
		 */
		{ "solusvm1", "mac", "--mac vm202=00:16:3e:31:00:ff "
		    "--disk vm201=/dev/x",
		    "[{\"domain\":{\"_sd_alg\":\"sha-256\",\"disks\":[],"
		    "\"macs\":[\"00:16:3e:31:00:ff\"],\"state\":\"running\","
		    "\"uuid\":\"fdf60ac3-4a1e-5e6c-bf41-90b3824639db\"},\"kind\":"
		    "\"hidden-vm\",\"node\":\"hv02\",\"panel\":\"solusvm1\"},"
		    "{\"id\":\"solusvm1/202\",\"kind\":\"missing-domain\","
		    "\"node\":\"hv02\",\"panel\":\"solusvm1\"}]" },
		{ "virtfusion", "drop", "--drop "
		    "8f6d1c2a-0b3e-4d5f-a6b7-c8d9e0f1a302",
		    "[{\"id\":\"virtfusion/302\",\"kind\":\"missing-domain\","
		    "\"node\":\"hv02\",\"panel\":\"virtfusion\"}]" },
	};
	char	*got;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = scenario(cases[i].panel, cases[i].args, cases[i].name);
		tap_ok(got != NULL && strcmp(got, cases[i].want) == 0,
		    "scenario %s %s: %s",
		    cases[i].panel, cases[i].name, got != NULL ? got :
		    "(failed)");
		free(got);
	}
}

static void
test_unreachable(void)
{
	char		 path[PATH_MAX], err[ERR_MAX], *s;
	struct hv_node	 nodes[8];
	json_t		*gen, *recs, *d, *disc = NULL;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/unreachable", tmpdir);
	if ((gen = hvxml("solusvm2", path, "")) == NULL)
		return;
	/* hv02's file is gone: libvirt cannot open that hypervisor. */
	snprintf(path, sizeof(path), "%s/unreachable/hv02.xml", tmpdir);
	unlink(path);
	recs = records("solusvm2");
	n = list_nodes(gen, "solusvm2", nodes, 8);
	d = hvcheck_details(nodes, n, recs, keys, &disc, err);
	s = jcs(json_object_get(d, "findings"));
	tap_ok(s != NULL && strstr(s, "{\"kind\":\"node-unreachable\","
	    "\"node\":\"hv02\",\"panel\":\"solusvm2\",\"reason\":\"cannot "
	    "connect to hypervisor test://") != NULL &&
	    strstr(s, "missing-domain") == NULL &&
	    json_array_size(json_object_get(d, "findings")) == 1,
	    "scenario solusvm2 unreachable: node-unreachable with libvirt's "
	    "reason, no missing-domain for its records: %s", s);
	free(s);
	json_decref(d);
	json_decref(disc);
	free_nodes(nodes, n);
	json_decref(recs);
	json_decref(gen);
}

static void
test_bad(void)
{
	char	 path[PATH_MAX], uri[PATH_MAX + 16], err[ERR_MAX];
	json_t	*doms = (json_t *)1;

	tap_ok(hyper_list("", &doms, err) == -1 && doms == NULL &&
	    strcmp(err, "no hypervisor URI") == 0, "an empty URI: %s", err);
	doms = (json_t *)1;
	tap_ok(hyper_list("qemu+tcp://alice:s3cret@127.0.0.1:1/system",
	    &doms, err) == -1 && doms == NULL &&
	    strncmp(err, "cannot connect to hypervisor "
	    "qemu+tcp://127.0.0.1:1/system: ", 53) == 0 &&
	    strstr(err, "s3cret") == NULL && strstr(err, "alice") == NULL,
	    "a URI with credentials, nothing listening: %s", err);
	snprintf(uri, sizeof(uri), "test://%s/nonexistent.xml", tmpdir);
	tap_ok(hyper_list(uri, &doms, err) == -1 &&
	    strstr(err, "cannot connect to hypervisor test://") != NULL &&
	    strstr(err, "nonexistent.xml") != NULL,
	    "a node file that does not exist: %s", err);
	snprintf(path, sizeof(path), "%s/broken.xml", tmpdir);
	tap_write_file(path, "<node><domain type='test'><name>x</name>\n",
	    41, 0644);
	snprintf(uri, sizeof(uri), "test://%s", path);
	tap_ok(hyper_list(uri, &doms, err) == -1 &&
	    strstr(err, "cannot connect to hypervisor test://") != NULL &&
	    strstr(err, "broken.xml") != NULL && strchr(err, '\n') == NULL,
	    "a malformed node file, one line of reason: %s", err);
}

static void *
lister(void *arg)
{
	json_t	*doms;
	char	 err[ERR_MAX];
	int	 i;
	long	 bad = 0;

	for (i = 0; i < 25; i++) {
		if (hyper_list("test:///default", &doms, err) == -1 ||
		    json_array_size(doms) != 1)
			bad++;
		json_decref(doms);
	}
	return (void *)bad;
}

static void
test_threads(void)
{
	pthread_t	 t[4];
	void		*bad;
	long		 total = 0;
	int		 i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, lister, NULL);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		total += (long)bad;
	}
	tap_int(total, 0, "four threads list at once, 100 times in all");
}

#else /* !HAVE_LIBVIRT */

static void
skip(const char *what, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_n, what, why);
}

#endif /* HAVE_LIBVIRT */

int
main(void)
{
	static const char *const panels[] = {
		"virtualizor", "solusvm1", "solusvm2", "virtfusion"
	};
	uint8_t		 secret[KEYS_SECRET_LEN];
	char		 cmd[PATH_MAX + 16];
	size_t		 i;

	log_init(0);
	crypto_init();
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i + 1);
	if ((keys = keys_from_secret(secret)) == NULL || mkdtemp(tmpdir) ==
	    NULL) {
		printf("Bail out! setup\n");
		return 1;
	}
	test_devices();
	test_uri();
#ifdef HAVE_LIBVIRT
	test_default();
	for (i = 0; i < sizeof(panels) / sizeof(panels[0]); i++)
		test_panel(panels[i]);
	test_scenarios();
	test_unreachable();
	test_bad();
	test_threads();
#else
	{
		json_t	*doms = (json_t *)1;
		char	 err[ERR_MAX];

		tap_ok(hyper_list("test:///default", &doms, err) == -1 &&
		    doms == NULL && strcmp(err, NO_LIBVIRT) == 0,
		    "without libvirt, hyper_list says how to get it: %s", err);
		skip("hyper_list against libvirt's test driver, the panels' "
		    "clean sets and scenarios, bad URIs", "sightline was built "
		    "without libvirt (configure found no libvirt-dev, or was "
		    "given --without-libvirt)");
		(void)panels;
	}
#endif
	keys_free(keys);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
