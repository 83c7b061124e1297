/*
 * test_solusvm1.c: the SolusVM 1 plugin through its plugin table only
 * (credentials, auth, options, the native allow-list, the judge of every
 * answer), and xml.c, the XML reader it relies on, with hostile input.
 * Normalization is covered by the data cases (tests/cases/solusvm1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

static const struct plugin	*pl = &plugin_solusvm1;

/* ---- xml.c ---- */

/* body parses into the JSON text want. */
static void
xml_ok(const char *body, const char *want_text, const char *what)
{
	char	 err[ERR_MAX] = "";
	json_t	*got, *want;
	char	*a;

	got = xml_parse(body, strlen(body), err);
	want = json_loads(want_text, 0, NULL);
	if (!tap_ok(got != NULL && want != NULL && json_equal(got, want),
	    "xml: %s", what)) {
		a = got != NULL ? json_dumps(got, DUMP_FLAGS) : NULL;
		tap_diag("got:  %s", a != NULL ? a : err);
		tap_diag("want: %s", want_text);
		free(a);
	}
	json_decref(got);
	json_decref(want);
}

/* body is refused with a reason holding want and not quoting secret. */
static void
xml_refused(const char *body, size_t len, const char *want, const char *what)
{
	char	 err[ERR_MAX] = "";
	json_t	*got;

	got = xml_parse(body, len, err);
	tap_ok(got == NULL, "xml: %s is refused", what);
	if (!tap_ok(strstr(err, want) != NULL, "xml: %s: says \"%s\"", what,
	    want))
		tap_diag("got: %s", err);
	tap_ok(strstr(err, "CANARY") == NULL, "xml: %s: quotes nothing", what);
	json_decref(got);
}

static const char laughs[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    "]>\n<lolz>&lol2;</lolz>";

static void
test_xml(void)
{
	char	 deep[1024];
	size_t	 i, n = 0;

	xml_ok("<status>success</status>\n<statusmsg></statusmsg>\n"
	    "<nodes>1,2</nodes>\n",
	    "{\"status\":\"success\",\"statusmsg\":\"\",\"nodes\":\"1,2\"}",
	    "rootless siblings, an empty element");
	xml_ok("<a><b>1</b><b>2</b><c><d>x</d></c></a><a>3</a>",
	    "{\"a\":[{\"b\":[\"1\",\"2\"],\"c\":{\"d\":\"x\"}},\"3\"]}",
	    "repeated names make arrays, nesting makes objects");
	xml_ok("<h>a &amp; b &lt;c&gt; &#65;&#x42; &quot;&apos;</h>",
	    "{\"h\":\"a & b <c> AB \\\"'\"}",
	    "predefined entities and character references");
	xml_ok("<h><![CDATA[<not> &markup;]]></h><!-- note --><?pi x?>",
	    "{\"h\":\"<not> &markup;\"}", "CDATA kept, comments and PIs "
	    "ignored");
	xml_ok("<h id=\"7\" x='y'>text</h>", "{\"h\":\"text\"}",
	    "attributes ignored");
	xml_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
	    "<h>caf\xe9</h>", "{\"h\":\"caf\xc3\xa9\"}",
	    "a declaration's ISO-8859-1 becomes UTF-8");
	xml_ok("<?xml version=\"1.0\"?><h>x</h>", "{\"h\":\"x\"}",
	    "a declaration without encoding");
	xml_ok("  \n", "{}", "white space only: no elements");
	xml_ok("<l>\n <i><v>1</v></i>\n</l>", "{\"l\":{\"i\":{\"v\":\"1\"}}}",
	    "white space between child elements is not content");

	xml_refused("<!DOCTYPE x [<!ENTITY e \"CANARY\">]><h>&e;</h>",
	    strlen("<!DOCTYPE x [<!ENTITY e \"CANARY\">]><h>&e;</h>"),
	    "not well-formed", "a DOCTYPE with an entity");
	xml_refused(laughs, sizeof(laughs) - 1, "not well-formed",
	    "billion laughs");
	xml_refused("<h>&xxe;</h>", 12, "not well-formed",
	    "an undeclared entity");
	xml_refused("<!DOCTYPE h SYSTEM \"file:///etc/passwd\"><h>&x;</h>",
	    strlen("<!DOCTYPE h SYSTEM \"file:///etc/passwd\"><h>&x;</h>"),
	    "not well-formed", "an external DTD");
	xml_refused("<a>CANARY-SECRET</b>", 20, "not well-formed",
	    "mismatched tags");
	xml_refused("<status>success</status><hostname>CANARY", 40,
	    "not well-formed", "a truncated body");
	xml_refused("<a>CANARY<b>x</b></a>", 21, "mixed content",
	    "text next to elements");
	xml_refused("CANARY<a>x</a>", 14, "text outside", "text outside "
	    "elements");
	xml_refused("</sightline-root><a>x</a>", 25, "not well-formed",
	    "closing the synthetic root");
	xml_refused("<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>", 42,
	    "encoding", "an encoding expat lacks");
	xml_refused("<?xml version=\"1.0\"", 19, "does not end",
	    "an unterminated declaration");
	xml_refused("<a>\xff\xfe</a>", 9, "not well-formed", "bytes that "
	    "are not UTF-8");
	xml_refused("<a>x\0y</a>", 10, "not well-formed", "a NUL byte");

	/* XML_DEPTH_MAX levels are read, one more is refused. */
	for (i = 0; i < XML_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "<e>");
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "x");
	for (i = 0; i < XML_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "</e>");
	{
		char	 err[ERR_MAX];
		json_t	*j = xml_parse(deep, n, err);

		tap_ok(j != NULL, "xml: %d levels of nesting are read",
		    XML_DEPTH_MAX);
		json_decref(j);
	}
	n = 0;
	for (i = 0; i <= XML_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "<e>");
	for (i = 0; i <= XML_DEPTH_MAX; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "</e>");
	xml_refused(deep, n, "nested too deeply", "one level too many");
	xml_refused("<a/>", (size_t)XML_INPUT_MAX + 1, "larger than",
	    "a body over XML_INPUT_MAX");
}

/* ---- credentials, auth, options ---- */

static void
test_credentials(void)
{
	static const char *good[] = {
		"id=QiSWTBZZqbv6Fp5&key=Ab12cD34", "key=Ab12cD34&id=Qi",
		"id=a-b.c_d~e&key=K",
	};
	static const char *bad[] = {
		"", "id=abc", "key=abc", "id=&key=CANARYK", "id=a&key=",
		"id=a&key=b&x=c", "id=a b&key=CANARYK", "id=a&id=b",
		"id=a%20&key=CANARYK", "user=a&key=CANARYK", "id=a&key=b=c",
		"id=a&&key=b", "ID=a&KEY=CANARYK", "id=a;key=CANARYK",
		"id=a&key=CANARYK\n",
	};
	char	 err[ERR_MAX], *h, *q;
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		tap_ok(pl->pl_credentials(good[i], err) == 0,
		    "credentials \"%s\" accepted %s", good[i], err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		tap_ok(pl->pl_credentials(bad[i], err) == -1 &&
		    strstr(err, "id=API_ID&key=API_KEY") != NULL &&
		    strstr(err, "CANARY") == NULL,
		    "credentials #%zu refused, the reason quotes nothing", i);
	}
	h = q = NULL;
	tap_ok(pl->pl_auth("key=K3y&id=I4", &h, &q, err) == 0 && h == NULL &&
	    q != NULL && strcmp(q, "id=I4&key=K3y") == 0,
	    "auth: a query fragment id=..&key=.., no header");
	free(h);
	free(q);
}

static void
check_options(const char *text, int want, const char *what)
{
	json_t	*o = json_loads(text, 0, NULL);
	char	 err[ERR_MAX] = "";
	int	 rc = pl->pl_options(o, err);

	if (!tap_ok(o != NULL && rc == want, "options %s: %s", text, what))
		tap_diag("got %d: %s", rc, err);
	json_decref(o);
}

static void
test_options(void)
{
	check_options("{}", 0, "none");
	check_options("{\"format\":\"json\"}", 0, "json");
	check_options("{\"format\":\"xml\"}", 0, "xml");
	check_options("{\"types\":[\"kvm\",\"xen hvm\"]}", 0, "two types");
	check_options("{\"format\":\"yaml\"}", -1, "an unknown format");
	check_options("{\"format\":1}", -1, "a format that is no string");
	check_options("{\"types\":[]}", -1, "no types");
	check_options("{\"types\":[\"lxc\"]}", -1, "an unknown type");
	check_options("{\"types\":[\"kvm\",\"xen\",\"kvm\"]}", -1,
	    "a type named twice");
	check_options("{\"types\":\"kvm\"}", -1, "types not a list");
	check_options("{\"owner\":\"pool\"}", -1, "an option of another "
	    "plugin");
}

/* ---- the native allow-list ---- */

static void
route_ok(const char *path, const char *query, const char *endpoint,
    const char *upstream)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route(path, query, &nr, err);
	if (!tap_ok(rc == 0 && strcmp(nr.nr_endpoint, endpoint) == 0 &&
	    strcmp(nr.nr_path, upstream) == 0, "allowed: %s?%s", path,
	    query))
		tap_diag("rc %d, %s / %s / %s", rc, err, nr.nr_endpoint ?
		    nr.nr_endpoint : "-", nr.nr_path);
}

static void
route_refused(const char *path, const char *query, const char *why)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	memset(&nr, 0, sizeof(nr));
	rc = pl->pl_native_route(path, query, &nr, err);
	if (!tap_ok(rc == -1 && strstr(err, why) != NULL, "refused: %s?%s "
	    "(%s)", path, query != NULL ? query : "", why))
		tap_diag("rc %d: %s", rc, err);
}

/* panels.md 2.5: every write, oracle and secret action. */
static const char *const writes[] = {
	"vserver-create", "vserver-boot", "vserver-reboot", "vserver-shutdown",
	"vserver-suspend", "vserver-unsuspend", "vserver-terminate",
	"vserver-rebuild", "vserver-addip", "vserver-delip", "vserver-change",
	"vserver-changeowner", "vserver-change-memory", "vserver-change-hdd",
	"vserver-bandwidth", "vserver-hostname", "vserver-rootpassword",
	"vserver-vncpass", "vserver-bootorder", "vserver-mountiso",
	"vserver-unmountiso", "vserver-tun-enable", "vserver-tun-disable",
	"vserver-network-enable", "vserver-network-disable", "vserver-pae",
	"client-create", "client-updatepassword", "client-delete",
	"reseller-create", "reseller-modifyresources", "reseller-delete",
	"client-authenticate", "vserver-authenticate", "vserver-vnc",
	"vserver-console", "client-list", "node-iplist", "listplans",
	"listtemplates", "listiso", "listnodegroups", "listvservers",
};

static void
test_routes(void)
{
	char	 q[256];
	size_t	 i, n;

	for (n = 0; pl->pl_endpoint(n) != NULL; n++)
		;
	tap_ok(n == 8, "eight allow-listed actions (%zu)", n);
	route_ok("/command.php", "action=node-virtualservers&nodeid=2",
	    "/command.php?action=node-virtualservers",
	    "/command.php?action=node-virtualservers&nodeid=2&rdtype=json");
	route_ok("/command.php", "nodeid=12&action=node-statistics",
	    "/command.php?action=node-statistics",
	    "/command.php?action=node-statistics&nodeid=12&rdtype=json");
	route_ok("/command.php", "action=vserver-info&vserverid=202",
	    "/command.php?action=vserver-info",
	    "/command.php?action=vserver-info&vserverid=202&rdtype=json");
	route_ok("/command.php", "action=vserver-infoall&nographs=true&"
	    "vserverid=202&nostatus=false", "/command.php?action=vserver-infoall",
	    "/command.php?action=vserver-infoall&vserverid=202&nostatus=false&"
	    "nographs=true&rdtype=json");
	route_ok("/command.php", "action=vserver-status&vserverid=9999999999",
	    "/command.php?action=vserver-status",
	    "/command.php?action=vserver-status&vserverid=9999999999&"
	    "rdtype=json");
	route_ok("/command.php", "action=vserver-checkexists&vserverid=1",
	    "/command.php?action=vserver-checkexists",
	    "/command.php?action=vserver-checkexists&vserverid=1&rdtype=json");
	route_ok("/command.php", "action=listnodes&type=kvm",
	    "/command.php?action=listnodes",
	    "/command.php?action=listnodes&type=kvm&rdtype=json");
	route_ok("/command.php", "action=node-idlist&type=xen+hvm",
	    "/command.php?action=node-idlist",
	    "/command.php?action=node-idlist&type=xen%20hvm&rdtype=json");
	route_ok("/command.php", "action=node-idlist&type=xen%20hvm",
	    "/command.php?action=node-idlist",
	    "/command.php?action=node-idlist&type=xen%20hvm&rdtype=json");

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		snprintf(q, sizeof(q), "action=%s&vserverid=202", writes[i]);
		route_refused("/command.php", q, "not on the read-only "
		    "allow-list");
	}
	route_refused("/command.php", "action=vserver-vnc&vserverid=202",
	    "console and VNC access are never allowed");
	route_refused("/command.php", "action=vserver-console&vserverid=2&"
	    "access=enable", "console and VNC access are never allowed");
	route_refused("/command.php", "action=VSERVER-INFO&vserverid=202",
	    "must be a SolusVM action name");
	route_refused("/command.php", "action=vserver-info&vserverid=202&"
	    "reboot=true", "parameter \"reboot\" is not allowed");
	route_refused("/command.php", "action=vserver-info&vserverid=202&"
	    "reboot=false", "parameter \"reboot\" is not allowed");
	route_refused("/command.php", "action=vserver-info&vserverid=202&"
	    "action=vserver-reboot", "\"action\" given twice");
	route_refused("/command.php", "vserverid=202&action=vserver-info&"
	    "vserverid=203", "\"vserverid\" given twice");
	route_refused("/command.php", "action=vserver-info&vserverid=202&"
	    "id=x", "parameter \"id\" is refused");
	route_refused("/command.php", "action=vserver-info&vserverid=202&"
	    "key=x", "parameter \"key\" is refused");
	route_refused("/command.php", "action=vserver-info&vserverid=202&"
	    "rdtype=xml", "parameter \"rdtype\" is refused");
	route_refused("/command.php", "action=vserver-info",
	    "needs parameter \"vserverid\"");
	route_refused("/command.php", "action=listnodes",
	    "needs parameter \"type\"");
	route_refused("/command.php", "vserverid=202", "needs ?action=");
	route_refused("/command.php", "action=&vserverid=202",
	    "must be a SolusVM action name");
	route_refused("/command.php", NULL, "needs ?action=");
	route_refused("/command.php", "", "needs ?action=");
	route_refused("/command.php", "action", "needs ?action=");
	route_refused("/command.php", "action=vserver-info&vserverid",
	    "has no value");
	route_refused("/command.php", "action=vserver-info&vserverid=0",
	    "must be a number");
	route_refused("/command.php", "action=vserver-info&vserverid=0202",
	    "must be a number");
	route_refused("/command.php", "action=vserver-info&vserverid=-1",
	    "must be a number");
	route_refused("/command.php", "action=vserver-info&vserverid=1e3",
	    "must be a number");
	route_refused("/command.php", "action=vserver-info&"
	    "vserverid=12345678901", "must be a number");
	route_refused("/command.php", "action=vserver-info&"
	    "vserverid=202%26action%3Dvserver-reboot", "must be a number");
	route_refused("/command.php", "action=vserver-infoall&vserverid=2&"
	    "nographs=1", "may only be true|false");
	route_refused("/command.php", "action=listnodes&type=lxc",
	    "may only be openvz|xen|xen%20hvm|kvm");
	route_refused("/command.php", "action=listnodes&type=xen%2520hvm",
	    "may only be");
	route_refused("/command.php", "action=listnodes&type=kvm&foo=1",
	    "parameter \"foo\" is not allowed");
	route_refused("/command.php", "action=vserver-info&vserverid=202;"
	    "action=vserver-reboot", "may only hold");
	route_refused("/command.php", "action=vserver-info&vserverid=2%00",
	    "must be a number");
	route_refused("/command.php", "action=vserver-info&vserverid=2 ",
	    "may only hold");
	route_refused("/command.php", "action=vserver-info&vserverid=2#x",
	    "may only hold");
	route_refused("/other.php", "action=listnodes&type=kvm",
	    "is /command.php only");
	route_refused("/../command.php", "action=listnodes&type=kvm",
	    "is /command.php only");
	route_refused("/command.php/", "action=listnodes&type=kvm",
	    "is /command.php only");
	route_refused("/command.php%00", "action=listnodes&type=kvm",
	    "is /command.php only");
	route_refused("/Command.php", "action=listnodes&type=kvm",
	    "is /command.php only");
	route_refused("/", "action=listnodes&type=kvm", "is /command.php only");
}

/* ---- judging answers ---- */

struct judge_case {
	int		 jc_status;
	const char	*jc_type;
	const char	*jc_body;
	enum reply_kind	 jc_kind;
	const char	*jc_why;	/* a part of rp_why; NULL: empty */
	const char	*jc_what;
};

static const struct judge_case judge_cases[] = {
	{ 200, "text/html; charset=UTF-8",
	    "{\"status\":\"success\",\"statusmsg\":\"\",\"nodes\":\"1,2\"}",
	    REPLY_JSON, NULL, "JSON sent as text/html (PHP's default)" },
	{ 200, "application/json", "{\"status\":\"success\",\"x\":\"\\/a\"}",
	    REPLY_JSON, NULL, "JSON as application/json" },
	{ 200, "text/html", "<status>success</status>\n<statusmsg></statusmsg>"
	    "\n<nodes>1</nodes>\n", REPLY_JSON, NULL, "rootless XML" },
	{ 200, "text/xml", "\n  <status>success</status><statusmsg/>",
	    REPLY_JSON, NULL, "XML after white space" },
	{ 200, "text/html", "<status>error</status>\n<statusmsg>Invalid id or "
	    "key</statusmsg>", REPLY_REFUSED, "refused sightline's API id and "
	    "key", "the id/key phrase in XML" },
	{ 200, "text/html", "{\"status\":\"error\",\"statusmsg\":\"invalid ID "
	    "or key\"}", REPLY_REFUSED, "API id and key", "the phrase in JSON, "
	    "any case" },
	{ 200, "text/html", "<status>error</status><statusmsg>Invalid "
	    "ipaddress</statusmsg>", REPLY_REFUSED, "not on the master's API "
	    "allow-list", "the address phrase" },
	{ 200, "text/plain", "Invalid id or key", REPLY_REFUSED,
	    "API id and key", "the bare phrase as plain text" },
	{ 200, "text/html", "Invalid ipaddress\n", REPLY_REFUSED,
	    "allow-list", "the bare address phrase" },
	{ 200, "text/html", "<statusmsg>Invalid id or key</statusmsg>",
	    REPLY_REFUSED, "API id and key", "XML without status, but the "
	    "phrase" },
	{ 200, "text/html", "<status>error</status><statusmsg>Virtual server "
	    "not found</statusmsg>", REPLY_STATUS, "status \"error\": Virtual "
	    "server not found", "a known error is named" },
	{ 200, "text/html", "{\"status\":\"error\",\"statusmsg\":\"CANARY "
	    "alice@example.com\"}", REPLY_STATUS, "its message is not shown",
	    "an unknown error is not quoted" },
	{ 200, "text/html", "<status>maybe</status>", REPLY_NOTJSON,
	    "neither \"success\" nor \"error\"", "an unknown status" },
	{ 200, "text/html", "<hostname>CANARY</hostname>", REPLY_NOTJSON,
	    "without \"status\" (not a SolusVM answer)", "XML without status" },
	{ 200, "text/html", "{\"hostname\":\"CANARY\"}", REPLY_NOTJSON,
	    "without \"status\"", "JSON without status" },
	{ 200, "application/json", "{\"hostname\":\"CANARY\"}",
	    REPLY_NOTJSON, "has no \"status\"", "JSON without status, as "
	    "JSON" },
	{ 200, "text/html", "{\"status\":\"success\",\"x\":\"CANARY", 
	    REPLY_NOTJSON, "JSON that does not parse", "truncated JSON" },
	{ 200, "text/html", "<!DOCTYPE html><html><body><form>CANARY</form>"
	    "</body></html>", REPLY_HTML, "HTML page", "an HTML page" },
	{ 200, "text/html", "<html><head><title>SolusVM</title></head></html>",
	    REPLY_HTML, "HTML page", "HTML without a DOCTYPE" },
	{ 200, "text/html", "<status>success</status><hostname>CANARY",
	    REPLY_NOTJSON, "not well-formed", "truncated XML" },
	{ 200, "text/html", "PHP Warning: CANARY in /srv/x.php\n<status>"
	    "success</status>", REPLY_NOTJSON, "neither JSON nor SolusVM's XML",
	    "a PHP warning before the answer" },
	{ 200, "text/html", "", REPLY_NOTJSON, "empty body", "an empty body" },
	{ 200, "application/json", "", REPLY_NOTJSON, "empty body",
	    "an empty body as JSON" },
	{ 500, "text/html", "<status>error</status><statusmsg>CANARY"
	    "</statusmsg>", REPLY_STATUS, "answered 500", "XML with 500" },
	{ 500, "text/html", "<html><body><h1>Server Error</h1></body></html>",
	    REPLY_HTML, "HTML page", "an HTML 500" },
	{ 403, "text/html", "<status>error</status><statusmsg>x</statusmsg>",
	    REPLY_REFUSED, "answered 403", "XML with 403" },
	{ 401, "application/json", "{\"status\":\"error\"}", REPLY_REFUSED,
	    "answered 401", "JSON with 401" },
	{ 502, "text/plain", "Invalid id or key", REPLY_REFUSED,
	    "API id and key", "the phrase from a proxy's 502" },
};

static void
test_judge(void)
{
	const struct judge_case	*jc;
	struct upstream_reply	 u;
	struct reply		 r;
	size_t			 i;
	int			 good;

	for (i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		jc = &judge_cases[i];
		memset(&u, 0, sizeof(u));
		u.ur_status = jc->jc_status;
		u.ur_content_type = jc->jc_type;
		u.ur_body = jc->jc_body;
		u.ur_len = strlen(jc->jc_body);
		reply_parse(pl, &u, &r);
		good = r.rp_kind == jc->jc_kind && (jc->jc_why == NULL ?
		    r.rp_why[0] == '\0' : strstr(r.rp_why, jc->jc_why) !=
		    NULL) && strstr(r.rp_why, "CANARY") == NULL &&
		    (r.rp_kind != REPLY_JSON || json_is_object(r.rp_json));
		if (!tap_ok(good, "judge: %s", jc->jc_what))
			tap_diag("kind %d (want %d): %s", r.rp_kind,
			    jc->jc_kind, r.rp_why);
		reply_clear(&r);
	}
	/* An XML list of one is a list, as in JSON. */
	memset(&u, 0, sizeof(u));
	u.ur_status = 200;
	u.ur_body = "<status>success</status><statusmsg></statusmsg>"
	    "<virtualservers><virtualserver><vserverid>7</vserverid>"
	    "</virtualserver></virtualservers>";
	u.ur_len = strlen(u.ur_body);
	reply_parse(pl, &u, &r);
	tap_ok(r.rp_kind == REPLY_JSON && json_array_size(json_object_get(
	    r.rp_json, "virtualservers")) == 1, "judge: one virtualserver "
	    "makes a list of one");
	reply_clear(&r);
	/* A transport failure stays one: no body to judge. */
	memset(&u, 0, sizeof(u));
	u.ur_error = UPSTREAM_TIMEOUT;
	u.ur_errmsg = "the panel did not answer in time";
	u.ur_body = "";
	reply_parse(pl, &u, &r);
	tap_ok(r.rp_kind == REPLY_TRANSPORT, "judge: a timeout stays a "
	    "transport failure");
	reply_clear(&r);
}

int
main(void)
{
	log_init(0);
	test_xml();
	test_credentials();
	test_options();
	test_routes();
	test_judge();
	return tap_done();
}
