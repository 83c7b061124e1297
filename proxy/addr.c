/*
 * addr.c: canonical text for the addresses the hoster searches by. Panels
 * write MACs in every case and separator style and IPs with or without a
 * prefix; the normalized record and the lookup index use one form only:
 * MACs lowercase with colons, IPs as inet_ntop(3) prints them, with
 * "/prefix" where the panel gives one.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/*
 * Accepts "bc:24:11:2c:69:ec", "BC-24-11-2C-69-EC", "bc24.112c.69ec" and
 * "bc24112c69ec". Returns 0 and writes ADDR_MAC_LEN+1 bytes, or -1.
 */
int
addr_mac_canon(const char *in, char out[ADDR_MAC_LEN + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	uint8_t			 b[6];
	char			 hex[13];
	size_t			 n = 0, i;
	int			 sep = 0;

	for (i = 0; in[i] != '\0'; i++) {
		unsigned char	 c = (unsigned char)in[i];

		if (isxdigit(c)) {
			if (n == 12)
				return -1;
			hex[n++] = (char)tolower(c);
		} else if (c == ':' || c == '-' || c == '.') {
			if (sep != 0 && sep != c)
				return -1;
			sep = c;
		} else
			return -1;
	}
	hex[n] = '\0';
	if (n != 12)
		return -1;
	/* Separators must sit on byte (":-") or 16-bit group (".") edges. */
	if (sep == ':' || sep == '-') {
		if (strlen(in) != 17)
			return -1;
		for (i = 2; i < 17; i += 3)
			if (in[i] != sep)
				return -1;
	} else if (sep == '.') {
		if (strlen(in) != 14 || in[4] != '.' || in[9] != '.')
			return -1;
	}
	if (hex_decode(hex, b, sizeof(b), 0) == -1)
		return -1;
	for (i = 0; i < 6; i++) {
		out[3 * i] = digits[b[i] >> 4];
		out[3 * i + 1] = digits[b[i] & 0xf];
		out[3 * i + 2] = i == 5 ? '\0' : ':';
	}
	return 0;
}

/*
 * Canonical IP text. With ADDR_PREFIX_OK an optional "/len" is accepted and
 * kept (in canonical decimal); otherwise a prefix is an error. Returns 0,
 * or -1 if in is not an address.
 */
int
addr_ip_canon(const char *in, char *out, size_t outlen, int flags)
{
	char		 host[INET6_ADDRSTRLEN + 1], text[INET6_ADDRSTRLEN];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*slash, *errstr;
	long long	 plen = -1;
	size_t		 hlen;
	int		 af, n;

	slash = strchr(in, '/');
	hlen = slash != NULL ? (size_t)(slash - in) : strlen(in);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, in, hlen);
	host[hlen] = '\0';
	af = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, host, bin) != 1)
		return -1;
	if (inet_ntop(af, bin, text, sizeof(text)) == NULL)
		return -1;
	if (slash != NULL) {
		if (!(flags & ADDR_PREFIX_OK) || !isdigit((unsigned char)slash[1]))
			return -1;
		plen = strtonum(slash + 1, 0, af == AF_INET ? 32 : 128,
		    &errstr);
		if (errstr != NULL)
			return -1;
	}
	if (plen >= 0)
		n = snprintf(out, outlen, "%s/%lld", text, plen);
	else
		n = snprintf(out, outlen, "%s", text);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/*
 * The address part of a canonical IP ("203.0.113.5/24" → "203.0.113.5").
 */
void
addr_ip_host(const char *canon, char *out, size_t outlen)
{
	size_t	 n = strcspn(canon, "/");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, canon, n);
	out[n] = '\0';
}

/*
 * Addresses a guest shows that are not reachable from outside and say
 * nothing about which VPS holds a public address: loopback, IPv4
 * link-local, IPv6 link-local and unspecified. Takes canonical text.
 */
int
addr_ip_is_local(const char *canon)
{
	static const unsigned char	 zero[15];
	unsigned char			 bin[sizeof(struct in6_addr)];
	char				 host[INET6_ADDRSTRLEN];

	addr_ip_host(canon, host, sizeof(host));
	if (strchr(host, ':') == NULL) {
		if (inet_pton(AF_INET, host, bin) != 1)
			return 0;
		return bin[0] == 127 || (bin[0] == 169 && bin[1] == 254) ||
		    (bin[0] == 0);
	}
	if (inet_pton(AF_INET6, host, bin) != 1)
		return 0;
	if (bin[0] == 0xfe && (bin[1] & 0xc0) == 0x80)
		return 1;
	return memcmp(bin, zero, sizeof(zero)) == 0 && bin[15] <= 1;
}

/*
 * A MAC of all zeros is what a guest reports for its loopback device.
 */
int
addr_mac_is_null(const char *canon)
{
	return strcmp(canon, "00:00:00:00:00:00") == 0;
}
