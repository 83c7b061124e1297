/*
 * test_addr.c: proxy/addr.c, the one canonical text for the MACs and IPs
 * a hoster searches by, whatever form a panel wrote them in, and
 * proxy/norm.c, which every plugin uses to read the panels' numbers,
 * strings and addresses.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static void
mac_ok(const char *in, const char *want)
{
	char	 out[ADDR_MAC_LEN + 1];
	char	 what[128];
	int	 rc;

	memset(out, 0, sizeof(out));
	rc = addr_mac_canon(in, out);
	snprintf(what, sizeof(what), "MAC \"%s\" is \"%s\"", in, want);
	if (rc != 0) {
		tap_ok(0, "%s", what);
		tap_diag("addr_mac_canon returned %d", rc);
		return;
	}
	tap_str(out, want, what);
}

static void
mac_bad(const char *in, const char *why)
{
	char	 out[ADDR_MAC_LEN + 1];

	tap_int(addr_mac_canon(in, out), -1, why);
}

static void
test_mac(void)
{
	char	 longer[256];

	mac_ok("BC:24:11:3A:5F:01", "bc:24:11:3a:5f:01");
	mac_ok("bc:24:11:3a:5f:01", "bc:24:11:3a:5f:01");
	mac_ok("Bc:24:11:3a:5F:01", "bc:24:11:3a:5f:01");
	mac_ok("bc-24-11-3a-5f-01", "bc:24:11:3a:5f:01");
	mac_ok("BC-24-11-3A-5F-01", "bc:24:11:3a:5f:01");
	mac_ok("bc24.113a.5f01", "bc:24:11:3a:5f:01");
	mac_ok("BC24.113A.5F01", "bc:24:11:3a:5f:01");
	mac_ok("bc24113a5f01", "bc:24:11:3a:5f:01");
	mac_ok("BC24113A5F01", "bc:24:11:3a:5f:01");
	mac_ok("00:00:00:00:00:00", "00:00:00:00:00:00");
	mac_ok("FF:FF:FF:FF:FF:FF", "ff:ff:ff:ff:ff:ff");

	mac_bad("", "empty MAC is refused");
	mac_bad("bc:24:11:3a:5f", "five bytes are refused");
	mac_bad("bc:24:11:3a:5f:01:02", "seven bytes are refused");
	mac_bad("bc24113a5f0", "eleven digits are refused");
	mac_bad("bc24113a5f012", "thirteen digits are refused");
	mac_bad("bc:24:11:3a:5f:0g", "a non-hex digit is refused");
	mac_bad("bc:24:11:3a:5f:0", "a short last byte is refused");
	mac_bad("b:c24:11:3a:5f:01", "a colon off the byte edge is refused");
	mac_bad("bc:2411:3a:5f:01", "a missing colon is refused");
	mac_bad("bc:24:11:3a:5f:01:", "a trailing colon is refused");
	mac_bad(":bc:24:11:3a:5f:01", "a leading colon is refused");
	mac_bad("bc::24:11:3a:5f:01", "a doubled colon is refused");
	mac_bad("bc-24-11-3a-5f:01", "mixed separators are refused");
	mac_bad("bc:24-11:3a:5f:01", "mixed - and : are refused");
	mac_bad("bc24.113a.5f01.", "a trailing dot is refused");
	mac_bad("bc2.4113a.5f01", "a dot off the group edge is refused");
	mac_bad("bc24113a.5f01", "a missing dot is refused");
	mac_bad("bc2411-3a5f01", "one dash in the middle is refused");
	mac_bad(" bc:24:11:3a:5f:01", "leading white space is refused");
	mac_bad("bc:24:11:3a:5f:01 ", "trailing white space is refused");
	mac_bad("bc 24 11 3a 5f 01", "spaces as separators are refused");
	mac_bad("bc:24:11:3a:5f:\xe9" "1", "a non-ASCII byte is refused");
	mac_bad("0xbc24113a5f01", "a 0x prefix is refused");
	mac_bad(":::::", "separators alone are refused");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	mac_bad(longer, "a 255-digit string is refused");

	tap_ok(addr_mac_is_null("00:00:00:00:00:00"),
	    "the all-zero MAC is null");
	tap_ok(!addr_mac_is_null("00:00:00:00:00:01"),
	    "a MAC ending in 01 is not null");
}

static void
ip_ok(const char *in, int flags, const char *want)
{
	char	 out[ADDR_IP_LEN + 1];
	char	 what[512];
	int	 rc;

	snprintf(what, sizeof(what), "IP \"%s\"%s is \"%s\"", in,
	    flags & ADDR_PREFIX_OK ? " (prefix ok)" : "", want);
	rc = addr_ip_canon(in, out, sizeof(out), flags);
	if (rc != 0) {
		tap_ok(0, "%s", what);
		tap_diag("addr_ip_canon returned %d", rc);
		return;
	}
	tap_str(out, want, what);
}

static void
ip_bad(const char *in, int flags, const char *why)
{
	char	 out[ADDR_IP_LEN + 1];

	tap_int(addr_ip_canon(in, out, sizeof(out), flags), -1, why);
}

static void
test_ip(void)
{
	char	 out[ADDR_IP_LEN + 1], tiny[8], longer[512];

	/* IPv4. */
	ip_ok("203.0.113.5", 0, "203.0.113.5");
	ip_ok("0.0.0.0", 0, "0.0.0.0");
	ip_ok("255.255.255.255", 0, "255.255.255.255");
	ip_ok("203.0.113.5/24", ADDR_PREFIX_OK, "203.0.113.5/24");
	ip_ok("203.0.113.5/0", ADDR_PREFIX_OK, "203.0.113.5/0");
	ip_ok("203.0.113.5/32", ADDR_PREFIX_OK, "203.0.113.5/32");
	ip_ok("203.0.113.5/024", ADDR_PREFIX_OK, "203.0.113.5/24");
	ip_ok("203.0.113.5", ADDR_PREFIX_OK, "203.0.113.5");

	/* IPv6, written as RFC 5952 says: lowercase, compressed, no zeros. */
	ip_ok("2001:DB8::1", 0, "2001:db8::1");
	ip_ok("2001:0db8:0000:0000:0000:0000:0000:0001", 0, "2001:db8::1");
	ip_ok("2001:db8:0:0:0:0:2:1", 0, "2001:db8::2:1");
	ip_ok("2001:db8:0:1:1:1:1:1", 0, "2001:db8:0:1:1:1:1:1");
	ip_ok("2001:db8:0:0:1:0:0:1", 0, "2001:db8::1:0:0:1");
	ip_ok("2001:0:0:1:0:0:0:1", 0, "2001:0:0:1::1");
	ip_ok("2001:db8::0:1", 0, "2001:db8::1");
	ip_ok("0:0:0:0:0:0:0:1", 0, "::1");
	ip_ok("0:0:0:0:0:0:0:0", 0, "::");
	ip_ok("fe80:0:0:0:0:0:0:0", 0, "fe80::");
	ip_ok("2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF", 0,
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	ip_ok("::ffff:192.0.2.1", 0, "::ffff:192.0.2.1");
	ip_ok("::FFFF:c000:0201", 0, "::ffff:192.0.2.1");
	ip_ok("0:0:0:0:0:ffff:192.0.2.1", 0, "::ffff:192.0.2.1");
	ip_ok("2001:db8::1/64", ADDR_PREFIX_OK, "2001:db8::1/64");
	ip_ok("2001:0DB8::0001/0064", ADDR_PREFIX_OK, "2001:db8::1/64");
	ip_ok("::/0", ADDR_PREFIX_OK, "::/0");
	ip_ok("2001:db8::1/128", ADDR_PREFIX_OK, "2001:db8::1/128");
	ip_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", ADDR_PREFIX_OK,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");

	/* Junk. */
	ip_bad("", 0, "the empty string is refused");
	ip_bad("/24", ADDR_PREFIX_OK, "a prefix alone is refused");
	ip_bad("300.1.2.3", 0, "an octet over 255 is refused");
	ip_bad("1.2.3", 0, "three octets are refused");
	ip_bad("1.2.3.4.5", 0, "five octets are refused");
	ip_bad("1.2.3.", 0, "a trailing dot is refused");
	ip_bad("01.2.3.4", 0, "an octet with a leading zero is refused");
	ip_bad("1.2.3.4 ", 0, "trailing white space is refused");
	ip_bad(" 1.2.3.4", 0, "leading white space is refused");
	ip_bad("0x7f.0.0.1", 0, "a hex octet is refused");
	ip_bad("2130706433", 0, "an integer address is refused");
	ip_bad("localhost", 0, "a host name is refused");
	ip_bad("::1::", 0, "two :: are refused");
	ip_bad("1::2::3", 0, "two :: in the middle are refused");
	ip_bad("2001:db8::12345", 0, "a group of five digits is refused");
	ip_bad("2001:db8::g", 0, "a non-hex group is refused");
	ip_bad("1:2:3:4:5:6:7:8:9", 0, "nine groups are refused");
	ip_bad("1:2:3:4:5:6:7", 0, "seven groups without :: are refused");
	ip_bad(":1:2:3:4:5:6:7", 0, "a single leading colon is refused");
	ip_bad("fe80::1%eth0", 0, "a zone index is refused");
	ip_bad("[::1]", 0, "brackets are refused");
	ip_bad("1.2.3.4:80", 0, "a port is refused");
	ip_bad("::ffff:300.0.2.1", 0, "a bad embedded IPv4 is refused");

	/* Prefixes. */
	ip_bad("203.0.113.5/24", 0, "a prefix is refused unless allowed");
	ip_bad("2001:db8::1/64", 0, "a v6 prefix is refused unless allowed");
	ip_bad("203.0.113.5/33", ADDR_PREFIX_OK, "/33 on IPv4 is refused");
	ip_bad("2001:db8::1/129", ADDR_PREFIX_OK, "/129 on IPv6 is refused");
	ip_bad("203.0.113.5/", ADDR_PREFIX_OK, "an empty prefix is refused");
	ip_bad("203.0.113.5/-1", ADDR_PREFIX_OK,
	    "a negative prefix is refused");
	ip_bad("203.0.113.5/+8", ADDR_PREFIX_OK,
	    "a prefix with a sign is refused");
	ip_bad("203.0.113.5/ 8", ADDR_PREFIX_OK,
	    "a prefix with a space is refused");
	ip_bad("203.0.113.5/8 ", ADDR_PREFIX_OK,
	    "a prefix with trailing space is refused");
	ip_bad("203.0.113.5/24/8", ADDR_PREFIX_OK, "two prefixes are refused");
	ip_bad("203.0.113.5/2x", ADDR_PREFIX_OK,
	    "a prefix with junk is refused");
	ip_bad("203.0.113.5/99999999999999999999", ADDR_PREFIX_OK,
	    "an enormous prefix is refused");

	/* Lengths. */
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ip_bad(longer, 0, "a 511-digit string is refused");
	ip_bad(longer, ADDR_PREFIX_OK,
	    "a 511-digit string is refused (prefix ok)");
	memset(longer, ':', sizeof(longer) - 1);
	ip_bad(longer, 0, "511 colons are refused");
	snprintf(longer, sizeof(longer), "0000:0000:0000:0000:0000:0000:"
	    "0000:0000:0001");
	ip_bad(longer, 0, "nine four-digit groups are refused");
	tap_int(addr_ip_canon("203.0.113.5", tiny, sizeof(tiny), 0), -1,
	    "an output buffer too small is an error");
	tap_int(addr_ip_canon("1.2.3.4", tiny, sizeof(tiny), 0), 0,
	    "an output buffer of exactly the size is enough");
	tap_str(tiny, "1.2.3.4", "the exact fit is complete");
	tap_int(addr_ip_canon("1.2.3.4/8", tiny, sizeof(tiny),
	    ADDR_PREFIX_OK), -1, "the prefix counts toward the output size");
	tap_int(addr_ip_canon("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/"
	    "128", out, sizeof(out), ADDR_PREFIX_OK), 0,
	    "the longest address and prefix fit in ADDR_IP_LEN");

	addr_ip_host("203.0.113.5/24", tiny, sizeof(tiny));
	tap_str(tiny, "203.0.1", "addr_ip_host truncates to the buffer");
	addr_ip_host("203.0.113.5/24", out, sizeof(out));
	tap_str(out, "203.0.113.5", "addr_ip_host drops the prefix");
	addr_ip_host("2001:db8::1", out, sizeof(out));
	tap_str(out, "2001:db8::1", "addr_ip_host without a prefix");
}

static void
test_local(void)
{
	static const struct {
		const char	*ip;
		int		 local;
	} cases[] = {
		{ "127.0.0.1", 1 },
		{ "127.0.0.1/8", 1 },
		{ "127.255.255.254", 1 },
		{ "169.254.0.1", 1 },
		{ "169.254.255.255/16", 1 },
		{ "0.0.0.0", 1 },
		{ "::1", 1 },
		{ "::1/128", 1 },
		{ "::", 1 },
		{ "fe80::1", 1 },
		{ "fe80::1/64", 1 },
		{ "febf:ffff::1", 1 },
		{ "10.0.0.1", 0 },
		{ "192.168.1.1", 0 },
		{ "203.0.113.5", 0 },
		{ "128.0.0.1", 0 },
		{ "126.255.255.255", 0 },
		{ "169.253.0.1", 0 },
		{ "169.255.0.1", 0 },
		{ "::2", 0 },
		{ "fec0::1", 0 },
		{ "fc00::1", 0 },
		{ "2001:db8::1", 0 },
		{ "1::1", 0 },
		{ "::ffff:203.0.113.5", 0 },
		{ "localhost", 0 },	/* takes canonical text, not names */
		{ "", 0 },
		{ "junk", 0 },
	};
	char	 what[128];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "\"%s\" is %slocal", cases[i].ip,
		    cases[i].local ? "" : "not ");
		tap_int(addr_ip_is_local(cases[i].ip), cases[i].local, what);
	}
}

static char *
dump(json_t *v)
{
	static char	 out[1024];
	char		*s;

	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	snprintf(out, sizeof(out), "%s", s != NULL ? s : "(dump failed)");
	free(s);
	json_decref(v);
	return out;
}

static void
test_norm(void)
{
	json_t		*o, *ips;
	double		 d;

	o = json_loads("{\"n\": 2048, \"s\": \"2048\", \"f\": \"1.5\","
	    " \"bad\": \"12ab\", \"e\": \"\", \"id\": 7, \"nan\": \"nan\","
	    " \"big\": 18014398509481984, \"php\": [], \"list\": [1]}", 0, NULL);
	tap_ok(norm_num(json_object_get(o, "s"), &d) && d == 2048,
	    "norm_num reads a numeric string");
	tap_ok(norm_num(json_object_get(o, "n"), &d) && d == 2048,
	    "norm_num reads a number");
	tap_ok(!norm_num(json_object_get(o, "bad"), &d),
	    "norm_num refuses trailing junk");
	tap_ok(!norm_num(json_object_get(o, "e"), &d),
	    "norm_num refuses an empty string");
	tap_ok(!norm_num(json_object_get(o, "nan"), &d),
	    "norm_num refuses nan");
	tap_str(dump(norm_num_field(o, "f", 1)), "1.5",
	    "a fractional string stays a real");
	tap_str(dump(norm_num_field(o, "s", 1.0 / 1024)), "2",
	    "a scaled whole number becomes an integer");
	ips = norm_num_field(o, "big", 1);
	tap_ok(json_is_real(ips), "beyond 2^53 a number is not claimed exact");
	json_decref(ips);
	tap_str(dump(norm_num_field(o, "missing", 1)), "null",
	    "a missing number is null");
	tap_str(dump(norm_str_field(o, "id")), "\"7\"",
	    "a numeric id becomes its decimal string");
	tap_str(dump(norm_str_field(o, "e")), "null",
	    "an empty string is unknown");
	tap_ok(json_is_object(norm_object(json_object_get(o, "php"))),
	    "PHP's [] is an empty object");
	tap_ok(norm_object(json_object_get(o, "list")) == NULL,
	    "a non-empty list is not an object");
	tap_str(dump(norm_mac("BC-24-11-5A-10-01")), "\"bc:24:11:5a:10:01\"",
	    "norm_mac canonicalizes");
	tap_str(dump(norm_mac("00:00:00:00:00:00")), "null",
	    "the null MAC is unknown");
	ips = json_array();
	tap_int(norm_add_ip(ips, "203.0.113.5/24"), 1, "norm_add_ip adds");
	tap_int(norm_add_ip(ips, "203.0.113.5"), 0,
	    "the same host without a prefix is not added twice");
	tap_int(norm_add_ip(ips, "2001:DB8:0:0::5"), 1, "IPv6 is added");
	tap_int(norm_add_ip(ips, "not-an-ip"), 0, "junk is not added");
	tap_str(dump(ips), "[\"203.0.113.5/24\",\"2001:db8::5\"]",
	    "addresses in canonical form");
	tap_str(dump(norm_record_new("vz", "12", "kvm")),
	    "{\"bandwidth_gb\":null,\"cpu\":null,\"created\":null,"
	    "\"disk_gb\":null,\"disks\":[],\"hostname\":null,\"id\":\"vz/12\","
	    "\"interfaces\":[],\"kind\":\"kvm\",\"memory_mb\":null,"
	    "\"name\":null,\"native_id\":\"12\",\"node\":null,\"notes\":null,"
	    "\"owner\":null,\"panel\":\"vz\",\"status\":\"unknown\","
	    "\"tags\":null,\"uuid\":null}",
	    "norm_record_new: every schema v1 field");
	json_decref(o);
}

int
main(void)
{
	test_mac();
	test_ip();
	test_local();
	test_norm();
	return tap_done();
}
