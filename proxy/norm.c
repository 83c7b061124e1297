/*
 * norm.c: helpers every plugin uses to turn a panel's native shapes into
 * schema v1 values. Panels send numbers as JSON numbers or as strings
 * ("2048", "1.5"), PHP sends an empty object as [], and addresses come in
 * every case and spelling; these functions absorb that once, so a plugin
 * says only which native field maps to which record field.
 *
 * Every function that builds a value returns a new reference and never
 * fails on odd input: what cannot be read becomes JSON null, which schema
 * v1 defines as "unknown".
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sightline.h"

/*
 * A whole number as an integer, anything else as a real. Integers are
 * kept only up to 2^53: beyond that a double is no longer exact, and
 * canonical JSON has no exact form for it either.
 */
json_t *
norm_number(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) <= NORM_EXACT_MAX)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* A whole string that is a finite number; 1 if it is. */
int
norm_strnum(const char *s, double *out)
{
	char	*end;

	if (s == NULL || *s == '\0')
		return 0;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(*out);
}

/* A JSON number or a numeric string (panels send both); 1 if found. */
int
norm_num(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out);
	}
	return json_is_string(v) && norm_strnum(json_string_value(v), out);
}

/* The number at obj[key], scaled by mul, or null. */
json_t *
norm_num_field(const json_t *obj, const char *key, double mul)
{
	double	 v;

	if (!norm_num(json_object_get(obj, key), &v))
		return json_null();
	return norm_number(v * mul);
}

/* obj[key] if it is a string, else NULL. Borrowed. */
const char *
norm_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/*
 * obj[key] as a new JSON string: strings as they are, numbers in their
 * decimal form (ids arrive as either), anything else, or an empty string,
 * as null.
 */
json_t *
norm_str_field(const json_t *obj, const char *key)
{
	const json_t	*v = json_object_get(obj, key);
	char		 num[32];

	if (json_is_string(v))
		return json_string_length(v) > 0 ?
		    json_stringn(json_string_value(v), json_string_length(v)) :
		    json_null();
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		return json_string(num);
	}
	return json_null();
}

/*
 * PHP's json_encode writes an empty associative array as []. Returns v
 * when it is an object, an empty object (borrowed, static) when it is an
 * empty array, and NULL otherwise.
 */
const json_t *
norm_object(const json_t *v)
{
	static json_t	*empty;

	if (json_is_object(v))
		return v;
	if (json_is_array(v) && json_array_size(v) == 0) {
		if (empty == NULL)
			empty = json_object();
		return empty;
	}
	return NULL;
}

/* A MAC in canonical form as a new string, or null. */
json_t *
norm_mac(const char *s)
{
	char	 mac[ADDR_MAC_LEN + 1];

	if (s == NULL || addr_mac_canon(s, mac) == -1 || addr_mac_is_null(mac))
		return json_null();
	return json_string(mac);
}

/*
 * Add an address, canonicalized, to array ips, unless it does not parse
 * or an entry already holds the same host address (with or without a
 * prefix length). Returns 1 if added.
 */
int
norm_add_ip(json_t *ips, const char *s)
{
	char	 canon[ADDR_IP_LEN], a[ADDR_IP_LEN], b[ADDR_IP_LEN];
	size_t	 i;
	json_t	*v;

	if (s == NULL ||
	    addr_ip_canon(s, canon, sizeof(canon), ADDR_PREFIX_OK) == -1)
		return 0;
	addr_ip_host(canon, a, sizeof(a));
	json_array_foreach(ips, i, v) {
		addr_ip_host(json_string_value(v), b, sizeof(b));
		if (strcmp(a, b) == 0)
			return 0;
	}
	json_array_append_new(ips, json_string(canon));
	return 1;
}

/*
 * A panel's word for a virtualization type in schema v1's: "qemu" (KVM,
 * as Proxmox names it), "lxc", "openvz" or "xen"; NULL (unknown) for any
 * other. Borrowed, static.
 */
const char *
norm_kind(const char *word)
{
	static const struct {
		const char	*nk_word;
		const char	*nk_kind;
	} kinds[] = {
		{ "qemu", "qemu" }, { "kvm", "qemu" }, { "proxk", "qemu" },
		{ "vzk", "qemu" },
		{ "lxc", "lxc" }, { "proxl", "lxc" },
		{ "openvz", "openvz" }, { "vz", "openvz" }, { "vzo", "openvz" },
		{ "proxo", "openvz" },
		{ "xen", "xen" }, { "xen hvm", "xen" }, { "xenhvm", "xen" },
		{ "xcp", "xen" }, { "xcphvm", "xen" },
	};
	size_t	 i;

	if (word == NULL)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(kinds[i].nk_word, word) == 0)
			return kinds[i].nk_kind;
	return NULL;
}

/*
 * A new schema v1 record with every field present: id, panel, native_id
 * and kind set, lists empty, everything else null for the plugin to fill.
 * Returns NULL only when out of memory.
 */
json_t *
norm_record_new(const char *panel, const char *native_id, const char *kind)
{
	char	 id[PANEL_NAME_MAX + NORM_NATIVE_ID_MAX + 2];

	if (strlen(native_id) > NORM_NATIVE_ID_MAX)
		return NULL;
	snprintf(id, sizeof(id), "%s/%s", panel, native_id);
	return json_pack("{s:s, s:s, s:s, s:s?, s:n, s:s, s:n, s:n, s:n, s:n,"
	    " s:n, s:[], s:[], s:n, s:n, s:n, s:n, s:n, s:n}",
	    "id", id, "panel", panel, "native_id", native_id, "kind", kind,
	    "node", "status", "unknown", "created", "cpu", "memory_mb",
	    "disk_gb", "bandwidth_gb", "interfaces", "disks", "owner",
	    "hostname", "name", "notes", "tags", "uuid");
}

/*
 * Add ip with prefix length prefix (when 0 or more) to ips, as
 * norm_add_ip() does. Panels give the two apart ("ip" and "cidr", or a
 * netmask). Returns 1 if added.
 */
int
norm_add_ip_prefix(json_t *ips, const char *ip, int prefix)
{
	char	 text[ADDR_IP_LEN + 8];

	if (ip == NULL)
		return 0;
	if (prefix < 0 || strchr(ip, '/') != NULL)
		return norm_add_ip(ips, ip);
	snprintf(text, sizeof(text), "%s/%d", ip, prefix);
	return norm_add_ip(ips, text);
}

/*
 * The prefix length of a dotted IPv4 netmask ("255.255.255.0" → 24), or
 * -1 when s is not one (the ones must be contiguous).
 */
int
norm_netmask_prefix(const char *s)
{
	char		 canon[ADDR_IP_LEN];
	unsigned long	 v = 0, part;
	const char	*p;
	char		*end;
	int		 i, n;

	/* IPv4 only: "::ffff:255.255.255.0" is an address, not a mask. */
	if (s == NULL || strchr(s, '.') == NULL ||
	    addr_ip_canon(s, canon, sizeof(canon), 0) == -1 ||
	    strchr(canon, ':') != NULL)
		return -1;
	for (i = 0, p = canon; i < 4; i++, p = end + 1) {
		part = strtoul(p, &end, 10);
		v = (v << 8) | part;
		if (*end == '\0')
			break;
	}
	for (n = 0; n < 32 && (v & (0x80000000UL >> n)) != 0; n++)
		;
	/* What is left after the ones must be all zeroes. */
	return (v & (0xffffffffUL >> n)) == 0 ? n : -1;
}

/* n decimal digits at s; -1 if any is not a digit. */
static int
norm_digits(const char *s, int n)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days in month mo (1-12) of year y, Gregorian. */
static int
norm_month_days(int y, int mo)
{
	static const int	 days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[mo - 1];
}

/*
 * An ISO 8601 / RFC 3339 time as PHP panels write it ("2024-01-10T09:15:02Z",
 * "...T09:15:02.000000Z", "...T09:15:02+00:00", "2024-01-10 09:15:02"
 * taken as UTC) as a new JSON integer of Unix seconds, or null.
 */
json_t *
norm_time(const char *s)
{
	int		 y, mo, d, h, mi, sec, oh, om, sign;
	long long	 days, t;
	const char	*p;

	if (s == NULL || strlen(s) < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return json_null();
	y = norm_digits(s, 4);
	mo = norm_digits(s + 5, 2);
	d = norm_digits(s + 8, 2);
	h = norm_digits(s + 11, 2);
	mi = norm_digits(s + 14, 2);
	sec = norm_digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60 ||
	    d > norm_month_days(y, mo))
		return json_null();
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	oh = om = 0;
	sign = 1;
	if (*p == 'Z' && p[1] == '\0')
		;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		sign = *p == '-' ? -1 : 1;
		oh = norm_digits(p + 1, 2);
		om = norm_digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return json_null();
	} else if (*p != '\0')
		return json_null();
	/* Days since 1970-01-01 in the proleptic Gregorian calendar. */
	if (mo <= 2)
		y--;
	days = 365LL * y + y / 4 - y / 100 + y / 400 +
	    (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1 - 719468;
	t = days * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	return t >= 0 ? json_integer((json_int_t)t) : json_null();
}
