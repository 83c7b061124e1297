/*
 * test_virtualizor.c: the Virtualizor plugin through its plugin table
 * only: credentials and the query fragment they become, options, the
 * native allow-list against every write and secret-bearing call the
 * reference lists, the judgement of answers (what it calls a refusal,
 * an error, HTML, and that it never repeats the panel's words), and the
 * calls an inventory makes, run with fetch_run_canned().
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static const struct plugin	*pl = &plugin_virtualizor;

/* ---- credentials, auth, options ---- */

static void
cred_ok(const char *line, const char *want_query)
{
	char	 err[ERR_MAX] = "";
	char	*header = NULL, *query = NULL;

	tap_ok(pl->pl_credentials(line, err) == 0, "credentials accepted: %s",
	    line);
	if (err[0] != '\0')
		tap_diag("error: %s", err);
	tap_ok(pl->pl_auth(line, &header, &query, err) == 0 &&
	    header == NULL && query != NULL && strcmp(query, want_query) == 0,
	    "auth: no header, query %s", want_query);
	if (query != NULL && strcmp(query, want_query) != 0)
		tap_diag("got query %s", query);
	free(header);
	free(query);
}

/* Refused, with a reason that holds want and not the secret value. */
static void
cred_bad(const char *line, const char *secret, const char *want)
{
	char	 err[ERR_MAX] = "";
	char	*header = NULL, *query = NULL;

	if (!tap_ok(pl->pl_credentials(line, err) == -1 &&
	    strstr(err, want) != NULL && (secret == NULL ||
	    strstr(err, secret) == NULL), "credentials refused (%s)", want))
		tap_diag("error: %s", err);
	tap_ok(pl->pl_auth(line, &header, &query, err) == -1 &&
	    header == NULL && query == NULL, "auth refuses it too");
}

#define HASH	"abcd1234" "0123456789abcdef0123456789abcdef"

static void
test_credentials(void)
{
	cred_ok("adminapikey=K3yK3yK3y&adminapipass=Pa55-w.rd~",
	    "adminapikey=K3yK3yK3y&adminapipass=Pa55-w.rd~");
	cred_ok("adminapipass=P&adminapikey=K",
	    "adminapikey=K&adminapipass=P");
	cred_ok("apikey=" HASH, "apikey=" HASH);
	cred_ok("apikey=" HASH "&adminapipass=P%26Q&adminapikey=K",
	    "adminapikey=K&adminapipass=P%26Q&apikey=" HASH);

	cred_bad("", NULL, "expected one line adminapikey=KEY");
	cred_bad("adminapikey=S3CRETKEY", "S3CRETKEY", "go together");
	cred_bad("adminapipass=S3CRETPASS", "S3CRETPASS", "go together");
	cred_bad("adminapikey=K&adminapipass=S3CRET&adminapipass=S3CRET",
	    "S3CRET", "adminapipass is given twice");
	cred_bad("adminapikey=K&adminapipass=S3 CRET", "S3 CRET",
	    "the value of adminapipass must be");
	cred_bad("adminapikey=K&adminapipass=S3&CRET", "CRET",
	    "expected NAME=VALUE");
	cred_bad("adminapikey=K&adminapipass=S3CRET%zz", "S3CRET",
	    "%XX escapes");
	cred_bad("adminapikey=K&adminapipass=", NULL,
	    "the value of adminapipass must be");
	cred_bad("apikey=S3CRETNOTAHASH", "S3CRETNOTAHASH",
	    "apikey must be 40 characters");
	cred_bad("apikey=ABCD1234" "0123456789abcdef0123456789abcdef",
	    "ABCD1234", "apikey must be 40 characters");
	cred_bad("apikey=abcd1234" "0123456789ABCDEF0123456789abcdef",
	    "0123456789ABCDEF", "apikey must be 40 characters");
	cred_bad("apipass=S3CRET&apikey=" HASH, "S3CRET",
	    "only adminapikey, adminapipass and apikey");
	cred_bad("user@pve!t=S3CRET", "S3CRET", "only adminapikey");
	cred_bad("S3CRET", "S3CRET", "expected NAME=VALUE");
}

static void
test_options(void)
{
	static const char *const good[] = {
		"{}", "{\"owner\": \"email\"}", "{\"owner\": \"uid\"}",
		"{\"owner\": \"none\"}", "{\"page_size\": 1}",
		"{\"page_size\": 5000, \"owner\": \"uid\"}", NULL
	};
	static const char *const bad[] = {
		"{\"owner\": \"pool\"}", "{\"owner\": 1}", "{\"page_size\": 0}",
		"{\"page_size\": 5001}", "{\"page_size\": \"50\"}",
		"{\"page_size\": 1.5}", "{\"pagesize\": 50}", NULL
	};
	char		 err[ERR_MAX];
	json_t		*o;
	size_t		 i;

	for (i = 0; good[i] != NULL; i++) {
		o = json_loads(good[i], 0, NULL);
		err[0] = '\0';
		if (!tap_ok(pl->pl_options(o, err) == 0, "options %s", good[i]))
			tap_diag("error: %s", err);
		json_decref(o);
	}
	for (i = 0; bad[i] != NULL; i++) {
		o = json_loads(bad[i], 0, NULL);
		err[0] = '\0';
		tap_ok(pl->pl_options(o, err) == -1 && err[0] != '\0',
		    "options refused: %s (%s)", bad[i], err);
		json_decref(o);
	}
}

/* ---- the native allow-list ---- */

static void
route_ok(const char *query, const char *endpoint, const char *upstream)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route("/index.php", query, &nr, err);
	if (!tap_ok(rc == 0 && nr.nr_endpoint != NULL &&
	    strcmp(nr.nr_endpoint, endpoint) == 0 &&
	    strcmp(nr.nr_path, upstream) == 0, "allowed: ?%s", query)) {
		tap_diag("rc %d, endpoint %s, path %s, error %s", rc,
		    nr.nr_endpoint != NULL ? nr.nr_endpoint : "(none)",
		    nr.nr_path, err);
		tap_diag("want endpoint %s, path %s", endpoint, upstream);
	}
}

/* Refused with a reason, and nothing filled in for the upstream. */
static int
route_refused(const char *path, const char *query)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route(path, query, &nr, err);
	if (rc == -1 && nr.nr_endpoint == NULL && nr.nr_path[0] == '\0' &&
	    err[0] != '\0')
		return 1;
	tap_diag("%s?%s: rc %d, path %s, error \"%s\"", path,
	    query != NULL ? query : "(null)", rc, nr.nr_path, err);
	return 0;
}

static void
test_endpoints(void)
{
	static const char *const want[] = {
		"/index.php?act=vs&vs_status={vpsids}", "/index.php?act=vs",
		"/index.php?act=managevps&vpsid={vpsid}",
		"/index.php?act=servers", "/index.php?act=ips",
		"/index.php?act=ippool", "/index.php?act=storage",
		"/index.php?act=users", NULL
	};
	size_t	 i;

	for (i = 0; want[i] != NULL; i++)
		tap_str(pl->pl_endpoint(i), want[i], "endpoint listed");
	tap_ok(pl->pl_endpoint(i) == NULL, "and no more");
	tap_str(pl->pl_api_root, "", "the script is right below the url");
}

static void
test_routes_allowed(void)
{
	route_ok("act=vs", "/index.php?act=vs", "/index.php?act=vs&api=json");
	route_ok("act=vs&api=json", "/index.php?act=vs",
	    "/index.php?act=vs&api=json");
	route_ok("reslen=50&page=2&act=vs", "/index.php?act=vs",
	    "/index.php?act=vs&api=json&page=2&reslen=50");
	route_ok("act=vs&vpsid=1001", "/index.php?act=vs",
	    "/index.php?act=vs&api=json&vpsid=1001");
	route_ok("act=vs&vpsip=203.0.113.11", "/index.php?act=vs",
	    "/index.php?act=vs&api=json&vpsip=203.0.113.11");
	route_ok("act=vs&vpsip=2001:db8:100::11", "/index.php?act=vs",
	    "/index.php?act=vs&api=json&vpsip=2001:db8:100::11");
	route_ok("act=vs&serid=0&vstype=kvm&vsstatus=s&vpsname=v1001",
	    "/index.php?act=vs", "/index.php?act=vs&api=json&vpsname=v1001"
	    "&serid=0&vsstatus=s&vstype=kvm");
	route_ok("act=vs&vs_status=1001,1002,1003",
	    "/index.php?act=vs&vs_status={vpsids}",
	    "/index.php?act=vs&api=json&vs_status=1001,1002,1003");
	route_ok("act=managevps&vpsid=1002",
	    "/index.php?act=managevps&vpsid={vpsid}",
	    "/index.php?act=managevps&api=json&vpsid=1002");
	route_ok("vpsid=4294967295&act=managevps",
	    "/index.php?act=managevps&vpsid={vpsid}",
	    "/index.php?act=managevps&api=json&vpsid=4294967295");
	route_ok("act=servers", "/index.php?act=servers",
	    "/index.php?act=servers&api=json");
	route_ok("act=ips&macsearch=00:16:3e:5a:10:02&ippid=3",
	    "/index.php?act=ips",
	    "/index.php?act=ips&api=json&macsearch=00:16:3e:5a:10:02&ippid=3");
	route_ok("act=ippool&page=1", "/index.php?act=ippool",
	    "/index.php?act=ippool&api=json&page=1");
	route_ok("act=storage&reslen=5000", "/index.php?act=storage",
	    "/index.php?act=storage&api=json&reslen=5000");
	route_ok("act=users&uid=55", "/index.php?act=users",
	    "/index.php?act=users&api=json&uid=55");
}

/*
 * Every write and every secret-bearing read panels.md lists, on every
 * act the allow-list has and on the acts that write: none may pass.
 */
static void
test_routes_refused(void)
{
	static const char *const acts[] = {
		"vs", "managevps", "servers", "ips", "ippool", "storage",
		"users", NULL
	};
	static const char *const writes[] = {
		"delete=1001", "action=start", "action=stop", "action=restart",
		"action=poweroff", "action=lock", "action=unlock",
		"action=vs_netrestrict", "suspend=1001", "unsuspend=1001",
		"suspend_net=1001", "unsuspend_net=1001", "bwreset=1001",
		"editvps=1", "cbackup=1", "add_ssh_keys=1", "force=1",
		"rebuild=1", "migrate=1", "clone=1", "changepass=1",
		"newpass=x", "rootpass=x", "vnc=1", "novnc=1", "search=1",
		"apidata=YTowOnt9", "api=serialize", "api=xml", "api=",
		"adminapikey=K", "adminapipass=P", "apikey=" HASH, "apipass=P",
		"vpshostname=web01.alice.example.com", "user=55",
		"user=alice@example.com", "plid=1", "bpid=1", "vsgid=1",
		"uid=55&act=vs", "email=alice@example.com", "serverip=192.0.2.10",
		NULL
	};
	static const char *const other_acts[] = {
		"serverinfo", "vnc", "sso", "addvs", "editvs", "rebuild",
		"clone", "migrate", "plans", "ostemplates", "mediagroups",
		"passthrough", "list_distros", "backupservers", "backup_plans",
		"addips", "addippool", "adduser", "edituser", "addserver",
		"editserver", "addstorage", "editstorage", "orphaneddisks",
		"admin_acl", "tasks", "logs", "vpsmanage", "listvs", "login",
		"VS", "vs ", "vs.", NULL
	};
	static const char *const malformed[] = {
		"", "act", "act=", "=vs", "act=vs&", "&act=vs", "act=vs&&page=1",
		"page=1", "act=vs&page", "act=vs&page=0", "act=vs&page=01",
		"act=vs&page=100001", "act=vs&reslen=0", "act=vs&reslen=5001",
		"act=vs&vpsid=0", "act=vs&vpsid=-1", "act=vs&vpsid=1e3",
		"act=vs&vpsid=4294967296", "act=vs&vpsid=1001,1002",
		"act=vs&vpsip=203.0.113.0/24", "act=vs&vpsip=203.0.113",
		"act=vs&vpsip=web01", "act=vs&vsstatus=x", "act=vs&vstype=docker",
		"act=vs&vpsname=", "act=vs&serid=01",
		"act=vs&vs_status=", "act=vs&vs_status=1001,",
		"act=vs&vs_status=,1001", "act=vs&vs_status=1001,,1002",
		"act=vs&vs_status=1001&vpsid=1001", "act=vs&vs_status=abc",
		"act=managevps", "act=managevps&vpsid=1002&vpsid=1003",
		"act=managevps&vpsid=1002&page=1", "act=ips&ipsearch=1.2.3",
		"act=ips&macsearch=00:16:3e", "act=vs&act=vs",
		"act=vs&api=json&api=json", "act=vs%26delete=1",
		"act=vs&delete%3D1", "act=vs&vserid%5B%5D=1", "act=vs&vserid[]=1",
		"act=vs&page=1+1", "act=vs&page=1;delete=1", "act=vs#x",
		"act=vs&vpsname=v1001%00", "act=vs&PAGE=1", "ACT=vs",
		"act=vs&vs.status=1001", "act=vs&vs status=1001",
		"act=vs&reslen=50&page=1&vpsid=1&vpsip=192.0.2.1&vpsname=a"
		"&serid=0&vsstatus=s&vstype=kvm&x=1&y=2&z=3&w=4&v=5&u=6&t=7",
		NULL
	};
	static const char *const paths[] = {
		"/", "/index.php/", "/index.php/x", "/admin/index.php",
		"/INDEX.PHP", "/index.php.bak", "/index.phps", "/api.php",
		"//index.php", "/./index.php", "/../index.php", "/login.php",
		"/index.php%00", "", NULL
	};
	char	 q[512];
	size_t	 i, j, n, bad;

	bad = n = 0;
	for (i = 0; acts[i] != NULL; i++)
		for (j = 0; writes[j] != NULL; j++) {
			snprintf(q, sizeof(q), "act=%s&%s%s", acts[i], writes[j],
			    strcmp(acts[i], "managevps") == 0 ? "&vpsid=1002" :
			    "");
			n++;
			bad += !route_refused("/index.php", q);
		}
	tap_ok(bad == 0, "%zu writes and secrets refused on every act", n);
	bad = n = 0;
	for (i = 0; other_acts[i] != NULL; i++) {
		snprintf(q, sizeof(q), "act=%s", other_acts[i]);
		n++;
		bad += !route_refused("/index.php", q);
		snprintf(q, sizeof(q), "act=%s&vpsid=1002&api=json",
		    other_acts[i]);
		n++;
		bad += !route_refused("/index.php", q);
	}
	tap_ok(bad == 0, "%zu calls of acts not on the list refused", n);
	bad = 0;
	for (i = 0; malformed[i] != NULL; i++)
		bad += !route_refused("/index.php", malformed[i]);
	tap_ok(bad == 0, "%zu malformed queries refused", i);
	tap_ok(route_refused("/index.php", NULL), "no query refused");
	bad = 0;
	for (i = 0; paths[i] != NULL; i++)
		bad += !route_refused(paths[i], "act=vs");
	tap_ok(bad == 0, "%zu other paths refused", i);
}

static void
refused_says(const char *query, const char *want, const char *secret)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";

	memset(&nr, 0, sizeof(nr));
	if (!tap_ok(pl->pl_native_route("/index.php", query, &nr, err) == -1 &&
	    strstr(err, want) != NULL && (secret == NULL ||
	    strstr(err, secret) == NULL), "refused saying \"%s\"", want))
		tap_diag("error: %s", err);
}

static void
test_route_reasons(void)
{
	refused_says("act=vs&adminapikey=HOSTERSECRET", "the hoster's go in "
	    "the Authorization header", "HOSTERSECRET");
	refused_says("act=vs&apikey=" HASH, "parameter \"apikey\" is refused",
	    HASH);
	refused_says("act=vs&api=serialize", "api must be json", NULL);
	refused_says("act=vs&delete=1001", "parameter \"delete\" is not "
	    "allowed for /index.php?act=vs", NULL);
	refused_says("act=serverinfo", "act=serverinfo is not on the "
	    "read-only allow-list", NULL);
	refused_says("act=vs&page=0", "parameter \"page\" must be a page "
	    "number", NULL);
	refused_says("act=managevps", "act=managevps needs vpsid", NULL);
	refused_says("vpsid=1", "the query has no act", NULL);
	refused_says("act=vs&vs_status=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
	    "17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,"
	    "38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,"
	    "59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,"
	    "80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,"
	    "101", "1 to 100 VPS ids", NULL);
}

/* ---- judging answers ---- */

static void
judge(int status, const char *ctype, const char *body, struct reply *r)
{
	struct upstream_reply	 u;

	memset(&u, 0, sizeof(u));
	u.ur_status = status;
	u.ur_content_type = ctype;
	u.ur_body = body;
	u.ur_len = strlen(body);
	reply_parse(pl, &u, r);
}

static void
test_judge(void)
{
	struct reply	 r;
	const char	*why;
	char		*s;

	judge(302, "text/html; charset=UTF-8", "", &r);
	tap_ok(r.rp_kind == REPLY_REFUSED && r.rp_json == NULL &&
	    strstr(r.rp_why, "302, a redirect") != NULL,
	    "302 to the login page: refused (%s)", r.rp_why);
	reply_clear(&r);
	judge(301, NULL, "<html>moved</html>", &r);
	tap_ok(r.rp_kind == REPLY_REFUSED, "301 with a page: refused");
	reply_clear(&r);
	judge(200, "text/html", "{\"uid\":-1,\"act\":\"login\",\"title\":"
	    "\"Login\",\"timenow\":1}", &r);
	tap_ok(r.rp_kind == REPLY_REFUSED && r.rp_json == NULL &&
	    strstr(r.rp_why, "login page") != NULL,
	    "the login page as JSON: refused");
	reply_clear(&r);
	judge(200, "application/json", "{\"uid\":\"-1\",\"title\":\"x\"}", &r);
	tap_ok(r.rp_kind == REPLY_REFUSED, "uid \"-1\": refused");
	reply_clear(&r);

	/* The panel's messages can echo the request: never repeated. */
	judge(200, "application/json", "{\"title\":\"List VPS\",\"error\":"
	    "[\"Invalid key adminapipass=CANARY-ECHO\",\"second\"],"
	    "\"timenow\":1}", &r);
	why = r.rp_why;
	tap_ok(r.rp_kind == REPLY_STATUS &&
	    strstr(why, "an error (2 messages, not quoted") != NULL &&
	    strstr(why, "CANARY") == NULL && strstr(why, "second") == NULL,
	    "an error list: an error, not quoted (%s)", why);
	reply_clear(&r);
	judge(200, "application/json", "{\"error\":{\"vpsid\":\"CANARY-ECHO\","
	    "\"hostname\":\"x\"}}", &r);
	tap_ok(r.rp_kind == REPLY_STATUS && strstr(r.rp_why,
	    "an error about vpsid, hostname") != NULL &&
	    strstr(r.rp_why, "CANARY") == NULL,
	    "an error map: its field names only (%s)", r.rp_why);
	reply_clear(&r);
	judge(200, "application/json", "{\"error\":{\"a\":\"1\",\"b\":\"2\","
	    "\"c\":\"3\",\"d\":\"4\",\"e\":\"5\"}}", &r);
	tap_ok(strstr(r.rp_why, "about a, b, c, d, ... (") != NULL,
	    "at most 4 field names (%s)", r.rp_why);
	reply_clear(&r);
	judge(200, "application/json", "{\"error\":{\"CANARY KEY <b>\":\"1\"}}",
	    &r);
	tap_ok(r.rp_kind == REPLY_STATUS && strstr(r.rp_why, "CANARY") ==
	    NULL, "odd field names are not repeated either (%s)", r.rp_why);
	reply_clear(&r);
	judge(200, "application/json", "{\"error\":\"CANARY-ECHO\"}", &r);
	tap_ok(r.rp_kind == REPLY_STATUS && strstr(r.rp_why, "CANARY") ==
	    NULL, "an error text: not quoted");
	reply_clear(&r);
	judge(200, "application/json", "{\"vs\":[],\"error\":[]}", &r);
	tap_ok(r.rp_kind == REPLY_JSON, "an empty error list is no error");
	reply_clear(&r);
	judge(200, "application/json", "{\"vs\":[],\"error\":{}}", &r);
	tap_ok(r.rp_kind == REPLY_JSON, "nor an empty map");
	reply_clear(&r);

	judge(200, "text/html; charset=UTF-8", "<!DOCTYPE html><html><body>"
	    "Licence expired CANARY-PAGE</body></html>", &r);
	tap_ok(r.rp_kind == REPLY_HTML && strstr(r.rp_why, "HTML page") !=
	    NULL && strstr(r.rp_why, "CANARY") == NULL,
	    "an HTML page with 200: HTML (%s)", r.rp_why);
	reply_clear(&r);
	judge(200, NULL, "  <br />\n<b>Warning</b>: x", &r);
	tap_ok(r.rp_kind == REPLY_HTML, "a PHP warning: HTML");
	reply_clear(&r);
	judge(200, "text/html; charset=UTF-8", "{\"storage\":{\"1\":{\"path\":"
	    "\"\\/dev\\/vg_vps\"}}}", &r);
	tap_ok(r.rp_kind == REPLY_JSON && strcmp(json_string_value(
	    json_object_get(json_object_get(json_object_get(r.rp_json,
	    "storage"), "1"), "path")), "/dev/vg_vps") == 0,
	    "JSON sent as text/html, with \\/ escapes: JSON");
	reply_clear(&r);
	judge(200, "text/html", "a:1:{s:2:\"vs\";a:0:{}}", &r);
	tap_ok(r.rp_kind == REPLY_NOTJSON && strstr(r.rp_why, "a:1") == NULL,
	    "a PHP-serialized body: not JSON, and never parsed (%s)",
	    r.rp_why);
	reply_clear(&r);
	judge(200, "text/html", "", &r);
	tap_ok(r.rp_kind == REPLY_NOTJSON && strstr(r.rp_why, "empty") !=
	    NULL, "an empty body as text/html: not JSON (%s)", r.rp_why);
	reply_clear(&r);
	judge(500, "text/html", "<html>Fatal error</html>", &r);
	tap_ok(r.rp_kind == REPLY_HTML, "500 with a page: HTML");
	reply_clear(&r);
	judge(403, "application/json", "{\"error\":[\"no\"]}", &r);
	tap_ok(r.rp_kind == REPLY_REFUSED, "403: refused");
	reply_clear(&r);

	/* Secrets are gone before any policy runs, at any depth. */
	judge(200, "application/json", "{\"vs\":{\"1\":{\"vpsid\":\"1\","
	    "\"vnc_passwd\":\"CANARY-VNC\",\"data\":{\"crypted_pass\":"
	    "\"CANARY-CRYPT\",\"crypted_salt\":\"CANARY-SALT\","
	    "\"enable_guest_agent\":1}}},\"users\":[{\"uid\":\"5\","
	    "\"password\":\"CANARY-PW\",\"activation_code\":\"CANARY-AC\"}],"
	    "\"masterkey\":\"CANARY-MK\",\"x\":[[{\"apikey\":\"CANARY-K\"}]]}",
	    &r);
	s = json_dumps(r.rp_json, JSON_COMPACT | JSON_SORT_KEYS);
	tap_ok(r.rp_kind == REPLY_JSON && s != NULL &&
	    strstr(s, "CANARY") == NULL && strstr(s, "enable_guest_agent") !=
	    NULL && strstr(s, "\"vpsid\":\"1\"") != NULL,
	    "secret fields removed, the rest kept: %s", s);
	free(s);
	reply_clear(&r);
}

/* Every field sightline.conf(5) says the plugin removes is removed. */
static void
test_secret_fields(void)
{
	static const char *const names[] = {
		"password", "passwd", "vnc_passwd", "vncpass", "vnc_pass",
		"crypted_pass", "crypted_salt", "activation_code", "rootpass",
		"root_pass", "newpass", "apikey", "apipass", "adminapikey",
		"adminapipass", "masterkey", "api_key", "api_pass", NULL
	};
	static const char *const kept[] = {
		"pass", "vnc", "vncport", "disable_password", "keys", "apic",
		"acpi", "api", "Password", "password_x", NULL
	};
	struct reply	 r;
	char		 body[256];
	size_t		 i, bad = 0;

	for (i = 0; names[i] != NULL; i++) {
		snprintf(body, sizeof(body), "{\"a\":[{\"%s\":\"x\","
		    "\"keep\":1}]}", names[i]);
		judge(200, "application/json", body, &r);
		if (r.rp_kind != REPLY_JSON || json_object_size(json_array_get(
		    json_object_get(r.rp_json, "a"), 0)) != 1) {
			tap_diag("%s was not removed", names[i]);
			bad++;
		}
		reply_clear(&r);
	}
	tap_ok(bad == 0, "all %zu secret field names are removed", i);
	for (bad = 0, i = 0; kept[i] != NULL; i++) {
		snprintf(body, sizeof(body), "{\"%s\":\"x\"}", kept[i]);
		judge(200, "application/json", body, &r);
		if (r.rp_kind != REPLY_JSON || json_object_size(r.rp_json) != 1) {
			tap_diag("%s was removed", kept[i]);
			bad++;
		}
		reply_clear(&r);
	}
	tap_ok(bad == 0, "and %zu names like them are kept", i);
}

/* ---- inventory calls ---- */

static json_t *
vs_row(long long id, int serid)
{
	char	 vid[16], name[16], ip[32];

	snprintf(vid, sizeof(vid), "%lld", id);
	snprintf(name, sizeof(name), "v%lld", id);
	snprintf(ip, sizeof(ip), "198.18.%lld.%lld", id / 250, id % 250 + 1);
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:{s:s}}",
	    "vpsid", vid, "vps_name", name, "serid", serid, "virt", "kvm",
	    "cores", "1", "ram", "512", "suspended", "0", "ips", "7", ip);
}

/*
 * A canned panel of n VPSes (ids 1..n, newest first as Virtualizor lists
 * them), answering act=vs pages of `size`, every status batch and every
 * managevps call the plugin should make. *calls is how many that is.
 */
static json_t *
canned_panel(long long n, long long size, size_t *calls)
{
	json_t		*map = json_object(), *vs, *st, *row;
	char		 path[2048], ids[1200];
	long long	 page, id, i, k;

	json_object_set_new(map, "/index.php?act=servers&api=json",
	    json_pack("{s:[{s:i, s:s, s:s}]}", "servs", "serid", 0,
	    "server_name", "hv01", "status", "1"));
	*calls = 1;
	for (page = 1; ; page++) {
		vs = json_object();
		st = json_object();
		ids[0] = '\0';
		for (i = 0, k = 0; i < size; i++) {
			id = n - (page - 1) * size - i;
			if (id < 1)
				break;
			row = vs_row(id, 0);
			json_object_set_new(vs, json_string_value(
			    json_object_get(row, "vpsid")), row);
			json_object_set_new(st, json_string_value(
			    json_object_get(row, "vpsid")),
			    json_pack("{s:i}", "status", 1));
			snprintf(path, sizeof(path),
			    "/index.php?act=managevps&api=json&vpsid=%lld", id);
			json_object_set_new(map, path, json_pack("{s:{s:s, "
			    "s:[{s:s, s:s, s:s}]}}", "vps", "vpsid",
			    json_string_value(json_object_get(row, "vpsid")),
			    "disks", "path", "/dev/vg/x", "size", "10",
			    "st_uuid", "st1"));
			(*calls)++;
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids),
			    "%s%lld", k > 0 ? "," : "", id);
			if (++k == 100 || id == 1 || i == size - 1) {
				snprintf(path, sizeof(path), "/index.php?act=vs"
				    "&api=json&vs_status=%s", ids);
				json_object_set_new(map, path, json_pack(
				    "{s:O}", "status", st));
				(*calls)++;
				json_decref(st);
				st = json_object();
				ids[0] = '\0';
				k = 0;
			}
		}
		json_decref(st);
		snprintf(path, sizeof(path), "/index.php?act=vs&api=json"
		    "&page=%lld&reslen=%lld", page, size);
		json_object_set_new(map, path, json_pack("{s:o}", "vs",
		    json_object_size(vs) > 0 ? vs : (json_decref(vs),
		    json_array())));
		(*calls)++;
		if (i == 0)
			break;
	}
	return map;
}

static void
inventory_case(long long n, long long size)
{
	struct fetch	*f;
	json_t		*map, *opts, *recs;
	size_t		 calls;
	int		 rc;

	map = canned_panel(n, size, &calls);
	opts = json_pack("{s:I}", "page_size", (json_int_t)size);
	f = fetch_new(pl, "vz", opts, PANEL_RECORDS, NULL, NULL);
	rc = fetch_run_canned(f, map);
	if (!tap_ok(rc == 0, "%lld VPSes, %lld a page: the inventory runs",
	    n, size))
		tap_diag("%s", fetch_error(f));
	recs = fetch_take_records(f);
	tap_ok(json_array_size(recs) == (size_t)n, "%lld records (%zu)", n,
	    json_array_size(recs));
	tap_ok(fetch_requests(f) == calls, "%zu calls: 1 servers, every page "
	    "and the empty one, a status call per 100, a managevps per VPS "
	    "(made %zu)", calls, fetch_requests(f));
	json_decref(recs);
	fetch_free(f);
	json_decref(opts);
	json_decref(map);
}

int
main(void)
{
	log_init(0);
	test_credentials();
	test_options();
	test_endpoints();
	test_routes_allowed();
	test_routes_refused();
	test_route_reasons();
	test_judge();
	test_secret_fields();
	inventory_case(0, 500);
	inventory_case(3, 500);
	inventory_case(1234, 500);
	inventory_case(1000, 500);
	inventory_case(250, 7);
	return tap_done();
}
