/*
 * test_route.c: route.c, the native allow-list matcher on its own, with
 * a table and a segment check of this test's: patterns with {name}
 * segments, a check that refuses outright and one that only fails to
 * match, the query whitelist in both query alphabets, and the paths and
 * queries that are refused before any route is looked at.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static const struct route routes[] = {
	{ "/version", { { NULL, NULL } } },
	{ "/boxes", { { "page", "#" }, { "kind", "big|small" },
	    { "filter[color]", "red|blue" } } },
	{ "/boxes/{box}", { { "full", "0|1" } } },
	{ "/boxes/{box}/items/{num}", { { NULL, NULL } } },
	{ "/boxes/{box}/items/all", { { NULL, NULL } } },
	{ "/shelves/{shelf}", { { NULL, NULL } } },
	{ "/shelves/{shelf}/{unknown}", { { NULL, NULL } } },
};

/*
 * {box}: lowercase letters, else refused outright (so the refusal names
 * it); {num}: a number, else no match (so a later route may match);
 * {shelf}: "a" or "b", else no match; any other name: no match.
 */
static int
segment(const char *name, const char *value, char *err)
{
	if (strcmp(name, "box") == 0) {
		if (value[0] == '\0' ||
		    strspn(value, "abcdefghijklmnopqrstuvwxyz") != strlen(value)) {
			err_set(err, "\"%s\" is not a box", value);
			return -1;
		}
		return 1;
	}
	if (strcmp(name, "num") == 0)
		return route_number(value);
	if (strcmp(name, "shelf") == 0)
		return route_in_list("a|b", value);
	return 0;
}

static const struct route_table plain = {
	routes, sizeof(routes) / sizeof(routes[0]), segment, 0
};
static const struct route_table php = {
	routes, sizeof(routes) / sizeof(routes[0]), segment, 1
};

/* want_ep NULL: refused, with want_err when that is not NULL. */
static void
route(const struct route_table *rs, const char *path, const char *query,
    const char *want_ep, const char *want)
{
	struct native_route	 nr;
	char			 err[ERR_MAX] = "";
	int			 rc;

	rc = route_find(rs, path, query, &nr, err);
	if (want_ep == NULL) {
		if (!tap_ok(rc == -1 && err[0] != '\0' && (want == NULL ||
		    strcmp(err, want) == 0), "%s%s%s is refused (%s)", path,
		    query ? "?" : "", query ? query : "", err) && want != NULL)
			tap_diag("want: %s", want);
		return;
	}
	if (!tap_ok(rc == 0 && strcmp(nr.nr_endpoint, want_ep) == 0 &&
	    strcmp(nr.nr_path, want) == 0, "%s%s%s → %s (%s)", path,
	    query ? "?" : "", query ? query : "", want, want_ep))
		tap_diag("rc %d, %s", rc, rc == 0 ? nr.nr_path : err);
}

static void
test_patterns(void)
{
	route(&plain, "/version", NULL, "/version", "/version");
	route(&plain, "/boxes/abc", NULL, "/boxes/{box}", "/boxes/abc");
	route(&plain, "/boxes/abc/items/7", NULL, "/boxes/{box}/items/{num}",
	    "/boxes/abc/items/7");
	route(&plain, "/boxes/abc/items/all", NULL, "/boxes/{box}/items/all",
	    "/boxes/abc/items/all");
	route(&plain, "/shelves/a", NULL, "/shelves/{shelf}", "/shelves/a");
	route(&plain, "/boxes/ABC", NULL, NULL, "\"ABC\" is not a box");
	route(&plain, "/boxes/ABC/items/x", NULL, NULL, "\"ABC\" is not a box");
	route(&plain, "/boxes/abc/items/07", NULL, NULL,
	    "/boxes/abc/items/07 is not on the read-only allow-list");
	route(&plain, "/boxes/abc/items/0", NULL, NULL, NULL);
	route(&plain, "/boxes/abc/items/2147483648", NULL, NULL, NULL);
	route(&plain, "/boxes/abc/items", NULL, NULL, NULL);
	route(&plain, "/boxes/abc/items/7/x", NULL, NULL, NULL);
	route(&plain, "/shelves/c", NULL, NULL, NULL);
	route(&plain, "/shelves/a/x", NULL, NULL,
	    "/shelves/a/x is not on the read-only allow-list");
	route(&plain, "/Version", NULL, NULL, NULL);
	route(&plain, "/versions", NULL, NULL, NULL);
	route(&plain, "/", NULL, NULL, "/ is not on the read-only allow-list");
	route(&plain, "/a/b/c/d/e/f/g/h", NULL, NULL,
	    "/a/b/c/d/e/f/g/h is not on the read-only allow-list");
	route(&plain, "/a/b/c/d/e/f/g/h/i", NULL, NULL,
	    "/a/b/c/d/e/f/g/h/i is not on the read-only allow-list");
	tap_str(route_endpoint(&plain, 0), "/version", "endpoint 0");
	tap_str(route_endpoint(&plain, 6), "/shelves/{shelf}/{unknown}",
	    "the last endpoint");
	tap_str(route_endpoint(&plain, 7), NULL, "no endpoint past the end");
}

static void
test_paths_refused(void)
{
	const char	*perc = "native paths may only hold letters, digits and "
			    "/ - _ . (no percent-encoding)";
	const char	*empty = "empty path segments are refused";
	const char	*dots = "path segments . and .. are refused";
	char		 longp[FRONT_URI_BYTES_MAX + 2];

	route(&plain, "/boxes/%61bc", NULL, NULL, perc);
	route(&plain, "/boxes/a%2Fb", NULL, NULL, perc);
	route(&plain, "/boxes/a b", NULL, NULL, perc);
	route(&plain, "/boxes/a?b", NULL, NULL, perc);
	route(&plain, "/boxes/", NULL, NULL, empty);
	route(&plain, "/boxes//abc", NULL, NULL, empty);
	route(&plain, "//boxes", NULL, NULL, empty);
	route(&plain, "/boxes/./abc", NULL, NULL, dots);
	route(&plain, "/boxes/abc/..", NULL, NULL, dots);
	route(&plain, "/boxes/../version", NULL, NULL, dots);
	route(&plain, "version", NULL, NULL, NULL);
	route(&plain, "", NULL, NULL, NULL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	route(&plain, longp, NULL, NULL, NULL);
}

static void
test_query(void)
{
	route(&plain, "/boxes", "", "/boxes", "/boxes");
	route(&plain, "/boxes", "page=2", "/boxes", "/boxes?page=2");
	route(&plain, "/boxes", "kind=big&page=3", "/boxes",
	    "/boxes?kind=big&page=3");
	route(&plain, "/boxes/abc", "full=1", "/boxes/{box}",
	    "/boxes/abc?full=1");
	route(&plain, "/boxes", "page=1&page=2", NULL,
	    "parameter \"page\" given twice");
	route(&plain, "/boxes", "kind=big&page=1&kind=small", NULL,
	    "parameter \"kind\" given twice");
	route(&plain, "/boxes", "page", NULL,
	    "query item \"page\" has no value");
	route(&plain, "/boxes", "sort=id", NULL,
	    "parameter \"sort\" is not allowed for /boxes");
	route(&plain, "/boxes/abc", "page=1", NULL,
	    "parameter \"page\" is not allowed for /boxes/{box}");
	route(&plain, "/boxes", "page=0", NULL,
	    "parameter \"page\" may only be a number from 1");
	route(&plain, "/boxes", "page=01", NULL, NULL);
	route(&plain, "/boxes", "kind=huge", NULL,
	    "parameter \"kind\" may only be big|small");
	route(&plain, "/boxes", "kind=bi", NULL, NULL);
	route(&plain, "/boxes", "kind=bigg", NULL, NULL);
	route(&plain, "/boxes", "page=1;x", NULL,
	    "native queries may only hold letters, digits and - _ . = &");
	route(&plain, "/boxes", "filter[color]=red", NULL,
	    "native queries may only hold letters, digits and - _ . = &");
	route(&plain, "/boxes", "filter%5Bcolor%5D=red", NULL,
	    "native queries may only hold letters, digits and - _ . = &");
}

/* With rs_brackets: PHP's a[b] names, raw or as %5B %5D, and no more. */
static void
test_query_php(void)
{
	route(&php, "/boxes", "filter[color]=red&page=2", "/boxes",
	    "/boxes?filter%5Bcolor%5D=red&page=2");
	route(&php, "/boxes", "filter%5Bcolor%5D=blue", "/boxes",
	    "/boxes?filter%5Bcolor%5D=blue");
	route(&php, "/boxes", "filter%5bcolor%5d=blue", "/boxes",
	    "/boxes?filter%5Bcolor%5D=blue");
	route(&php, "/boxes", "filter[color]=red&filter%5Bcolor%5D=red", NULL,
	    "parameter \"filter[color]\" given twice");
	route(&php, "/boxes", "filter%5Bcolor%5D=red%26x", NULL, NULL);
	route(&php, "/boxes", "%70age=1", NULL,
	    "parameter \"%70age\" is not allowed for /boxes");
	route(&php, "/boxes", "filter[shape]=red", NULL,
	    "parameter \"filter[shape]\" is not allowed for /boxes");
	route(&php, "/boxes", "page=1;x", NULL,
	    "native queries may only hold letters, digits, - _ . = & and "
	    "brackets");
}

static void
test_helpers(void)
{
	tap_ok(route_number("1") && route_number("2147483647") &&
	    !route_number("2147483648") && !route_number("0") &&
	    !route_number("012") && !route_number("") &&
	    !route_number("-1") && !route_number("1a"), "route_number");
	tap_ok(route_in_list("a|bc|d", "a") && route_in_list("a|bc|d", "bc") &&
	    route_in_list("a|bc|d", "d") && !route_in_list("a|bc|d", "b") &&
	    !route_in_list("a|bc|d", "") && !route_in_list("a|bc|d", "a|bc") &&
	    !route_in_list("", "a"), "route_in_list");
}

int
main(void)
{
	log_init(0);
	test_patterns();
	test_paths_refused();
	test_query();
	test_query_php();
	test_helpers();
	return tap_done();
}
