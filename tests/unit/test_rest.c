/*
 * test_rest.c: rest.c, what the REST panel plugins share, and the norm.c
 * helpers they brought: the bearer token, the judgement of Laravel error
 * bodies, ids, the allow-list as the REST plugins use it (route.c with
 * rest_segment() for {id}), netmasks and ISO 8601 times. The plugins'
 * own tables are test_solusvm2.c's and test_virtfusion.c's, the
 * matcher's other cases test_route.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static const struct route routes[] = {
	{ "/things", { { "page", "#" }, { "filter[kind]", "a|b" } } },
	{ "/things/{id}", { { NULL, NULL } } },
	{ "/things/{id}/parts", { { NULL, NULL } } },
	{ "/things/all/{id}", { { NULL, NULL } } },
};
static const struct route_table table = {
	routes, sizeof(routes) / sizeof(routes[0]), rest_segment, 1
};

static void
test_credentials(void)
{
	char	 err[ERR_MAX], *h = NULL, *q = (char *)"x";

	tap_ok(rest_credentials("abc.DEF-123|xyz", err) == 0,
	    "a token of printable characters is accepted");
	tap_ok(rest_credentials("", err) == -1, "an empty token is refused");
	tap_ok(rest_credentials("abc def", err) == -1 &&
	    strstr(err, "abc") == NULL, "a token with a space is refused, "
	    "and the reason does not quote it");
	tap_ok(rest_credentials("abc\tdef", err) == -1, "a tab is refused");
	tap_ok(rest_auth("T0K3N", &h, &q, err) == 0 && q == NULL &&
	    h != NULL && strcmp(h, "Authorization: Bearer T0K3N") == 0,
	    "the token travels as Authorization: Bearer");
	free(h);
}

/* Judge a canned answer: status, content type, body. */
static void
judge(int status, const char *type, const char *body, struct reply *r)
{
	struct upstream_reply	 u;

	memset(&u, 0, sizeof(u));
	u.ur_status = status;
	u.ur_content_type = type;
	u.ur_body = body;
	u.ur_len = strlen(body);
	reply_parse(&plugin_solusvm2, &u, r);
}

static void
test_judge(void)
{
	struct reply	 r;

	judge(401, "application/json", "{\"message\":\"Unauthenticated.\"}",
	    &r);
	tap_ok(r.rp_kind == REPLY_REFUSED && strstr(r.rp_why,
	    "401: it does not accept sightline's token") != NULL,
	    "401 {message}: refused, in words (%s)", r.rp_why);
	reply_clear(&r);
	judge(422, "application/json", "{\"message\":\"The given data was "
	    "invalid.\",\"errors\":{\"filter.status\":[\"SECRET-ECHO\"],"
	    "\"page\":[\"x\"]}}", &r);
	tap_ok(r.rp_kind == REPLY_STATUS && strstr(r.rp_why,
	    "422: it found the request's parameters invalid (2 field "
	    "errors)") != NULL && strstr(r.rp_why, "SECRET") == NULL &&
	    strstr(r.rp_why, "filter") == NULL,
	    "422 {message, errors}: counted, not quoted (%s)", r.rp_why);
	reply_clear(&r);
	judge(422, "application/json", "{\"errors\":[\"hypervisorId must be "
	    "an integer\"]}", &r);
	tap_ok(strstr(r.rp_why, "(1 field error)") != NULL,
	    "VirtFusion's {errors: [...]} too (%s)", r.rp_why);
	reply_clear(&r);
	judge(404, "application/json", "{\"msg\":\"server not found\"}", &r);
	tap_ok(r.rp_kind == REPLY_STATUS && r.rp_status == 404 &&
	    strstr(r.rp_why, "404: no such object") != NULL,
	    "404 {msg}: not found (%s)", r.rp_why);
	reply_clear(&r);
	judge(302, NULL, "", &r);
	tap_ok(r.rp_kind == REPLY_REFUSED && strstr(r.rp_why, "redirect") !=
	    NULL, "a redirect (to the login page) is refused credentials");
	reply_clear(&r);
	judge(200, "text/html", "<html><form>login</form></html>", &r);
	tap_ok(r.rp_kind == REPLY_HTML, "an HTML page stays an HTML page");
	reply_clear(&r);
	judge(200, "application/json", "[1,2]", &r);
	tap_ok(r.rp_kind == REPLY_NOTJSON, "a 2xx JSON list is no answer of "
	    "these panels");
	reply_clear(&r);
	judge(200, "application/json", "{\"data\":[]}", &r);
	tap_ok(r.rp_kind == REPLY_JSON, "a 2xx object is good");
	reply_clear(&r);
	judge(500, "application/json", "{\"message\":\"Server Error\"}", &r);
	tap_ok(r.rp_kind == REPLY_STATUS && strstr(r.rp_why,
	    "an error of the panel itself") != NULL, "500: the panel's own "
	    "error");
	reply_clear(&r);
}

static void
test_id(void)
{
	char		 out[NORM_NATIVE_ID_MAX + 1];
	json_t		*v;
	static const char *const bad[] = { "0", "-1", "01", "1e3", "1.0", " 1",
	    "2147483648", "", "abc" };
	size_t		 i;

	v = json_integer(502);
	tap_ok(rest_id(v, out) == 0 && strcmp(out, "502") == 0,
	    "an integer id");
	json_decref(v);
	v = json_string("502");
	tap_ok(rest_id(v, out) == 0 && strcmp(out, "502") == 0,
	    "a decimal string id (PHP sends both)");
	json_decref(v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_string(bad[i]);
		tap_ok(rest_id(v, out) == -1, "id \"%s\" is refused", bad[i]);
		json_decref(v);
	}
	v = json_integer(0);
	tap_ok(rest_id(v, out) == -1, "id 0 is refused");
	json_decref(v);
	v = json_real(5.0);
	tap_ok(rest_id(v, out) == -1, "a real is no id");
	json_decref(v);
	tap_ok(rest_id(NULL, out) == -1, "no id is no id");
}

static void
route(const char *path, const char *query, const char *want_ep,
    const char *want_path)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	rc = route_find(&table, path, query, &nr, err);
	if (want_ep == NULL) {
		tap_ok(rc == -1 && err[0] != '\0', "%s%s%s is refused (%s)",
		    path, query ? "?" : "", query ? query : "", err);
		return;
	}
	if (!tap_ok(rc == 0 && strcmp(nr.nr_endpoint, want_ep) == 0 &&
	    strcmp(nr.nr_path, want_path) == 0, "%s%s%s → %s", path,
	    query ? "?" : "", query ? query : "", want_path))
		tap_diag("rc %d, %s", rc, rc == 0 ? nr.nr_path : err);
}

static void
test_route(void)
{
	route("/things", NULL, "/things", "/things");
	route("/things", "page=2", "/things", "/things?page=2");
	route("/things", "filter[kind]=a&page=3", "/things",
	    "/things?filter%5Bkind%5D=a&page=3");
	route("/things", "filter%5Bkind%5D=b", "/things",
	    "/things?filter%5Bkind%5D=b");
	route("/things", "filter%5bkind%5d=b", "/things",
	    "/things?filter%5Bkind%5D=b");
	route("/things/7", NULL, "/things/{id}", "/things/7");
	route("/things/7/parts", NULL, "/things/{id}/parts",
	    "/things/7/parts");
	route("/things/all/9", NULL, "/things/all/{id}", "/things/all/9");
	route("/things/all", NULL, NULL, NULL);
	route("/things/7/vnc", NULL, NULL, NULL);
	route("/things/07", NULL, NULL, NULL);
	route("/things/0", NULL, NULL, NULL);
	route("/things/2147483648", NULL, NULL, NULL);
	route("/things/x", NULL, NULL, NULL);
	route("/things/", NULL, NULL, NULL);
	route("/things//7", NULL, NULL, NULL);
	route("/things/../secret", NULL, NULL, NULL);
	route("/things/./7", NULL, NULL, NULL);
	route("/things/%37", NULL, NULL, NULL);
	route("things", NULL, NULL, NULL);
	route("", NULL, NULL, NULL);
	route("/THINGS", NULL, NULL, NULL);
	route("/things", "page=0", NULL, NULL);
	route("/things", "page=1&page=2", NULL, NULL);
	route("/things", "page", NULL, NULL);
	route("/things", "page=1;x", NULL, NULL);
	route("/things", "sort=id", NULL, NULL);
	route("/things", "filter[kind]=c", NULL, NULL);
	route("/things", "filter%5Bkind%5D=a%26b", NULL, NULL);
	route("/things", "filter%5Bkind%5D%00=a", NULL, NULL);
	route("/things", "filter[other]=a", NULL, NULL);
	route("/things", "%70age=1", NULL, NULL);
	route("/things/7", "page=1", NULL, NULL);
	route("/a/b/c/d/e/f/g/h/i", NULL, NULL, NULL);
}

static void
test_netmask(void)
{
	tap_ok(norm_netmask_prefix("255.255.255.0") == 24, "/24");
	tap_ok(norm_netmask_prefix("255.255.255.255") == 32, "/32");
	tap_ok(norm_netmask_prefix("0.0.0.0") == 0, "/0");
	tap_ok(norm_netmask_prefix("::ffff:255.255.255.0") == -1,
	    "a v4-mapped IPv6 address is not a netmask");
	tap_ok(norm_netmask_prefix("255.255.240.0") == 20, "/20");
	tap_ok(norm_netmask_prefix("255.0.255.0") == -1,
	    "ones not contiguous: no prefix");
	tap_ok(norm_netmask_prefix("255.255.255") == -1 &&
	    norm_netmask_prefix("") == -1 && norm_netmask_prefix(NULL) == -1 &&
	    norm_netmask_prefix("ffff::") == -1, "not a netmask: -1");
}

static void
time_is(const char *s, long long want)
{
	json_t	*v = norm_time(s);

	if (want < 0)
		tap_ok(json_is_null(v), "\"%s\" is no time: null", s);
	else if (!tap_ok(json_is_integer(v) && json_integer_value(v) == want,
	    "\"%s\" is %lld", s, want))
		tap_diag("got %lld", (long long)json_integer_value(v));
	json_decref(v);
}

static void
test_time(void)
{
	time_is("2024-01-10T09:15:02.000000Z", 1704878102);
	time_is("2024-01-10T09:15:02Z", 1704878102);
	time_is("2024-02-02T14:01:33+00:00", 1706882493);
	time_is("2024-02-02T16:01:33+02:00", 1706882493);
	time_is("2024-02-02T12:01:33-02:00", 1706882493);
	time_is("2024-03-21 08:44:10", 1711010650);
	time_is("1970-01-01T00:00:00Z", 0);
	time_is("2000-02-29T00:00:00Z", 951782400);
	time_is("2100-03-01T00:00:00Z", 4107542400);
	time_is("2024-13-01T00:00:00Z", -1);
	time_is("2024-01-10T25:00:00Z", -1);
	time_is("2024-01-10T09:15:02 Z", -1);
	time_is("2024-01-10T09:15:02+0000", -1);
	time_is("2024-01-10", -1);
	time_is("1969-12-31T23:59:59Z", -1);
	time_is("2024-02-31T00:00:00Z", -1);		/* no such day */
	time_is("2023-02-29T00:00:00Z", -1);
	time_is("2100-02-29T00:00:00Z", -1);
	time_is("2024-04-31T00:00:00Z", -1);
	time_is("1970-01-01T00:00:00+01:00", -1);	/* before 1970 */
	time_is("", -1);
	time_is(NULL, -1);
}

static void
test_add_ip(void)
{
	json_t	*ips = json_array();
	char	*got;

	norm_add_ip_prefix(ips, "203.0.113.5", 24);
	norm_add_ip_prefix(ips, "203.0.113.5", 24);
	norm_add_ip_prefix(ips, "2001:DB8::1", 64);
	norm_add_ip_prefix(ips, "198.51.100.7", -1);
	norm_add_ip_prefix(ips, "198.51.100.8/25", 24);
	norm_add_ip_prefix(ips, "not-an-ip", 24);
	norm_add_ip_prefix(ips, "192.0.2.1", 99);
	norm_add_ip_prefix(ips, NULL, 24);
	got = json_dumps(ips, JSON_COMPACT);
	tap_str(got, "[\"203.0.113.5/24\",\"2001:db8::1/64\","
	    "\"198.51.100.7\",\"198.51.100.8/25\"]",
	    "addresses with prefixes: canonical, once, bad ones left out");
	free(got);
	json_decref(ips);
}

int
main(void)
{
	log_init(0);
	test_credentials();
	test_judge();
	test_id();
	test_route();
	test_netmask();
	test_time();
	test_add_ip();
	return tap_done();
}
