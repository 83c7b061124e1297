/*
 * util.c: small helpers every module needs: bounded string copies, number
 * parsing, hex, clocks, errors for the caller, whole-file reads and paths.
 * Nothing here touches a third-party library.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sightline.h"

#ifndef HAVE_STRLCPY
size_t
strlcpy(char *dst, const char *src, size_t dsize)
{
	size_t	 len = strlen(src);

	if (dsize != 0) {
		size_t	 n = len < dsize - 1 ? len : dsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#endif

#ifndef HAVE_STRLCAT
size_t
strlcat(char *dst, const char *src, size_t dsize)
{
	size_t	 dlen = strnlen(dst, dsize);

	if (dlen == dsize)
		return dlen + strlen(src);
	return dlen + strlcpy(dst + dlen, src, dsize - dlen);
}
#endif

#ifndef HAVE_STRTONUM
long long
strtonum(const char *s, long long minval, long long maxval,
    const char **errstrp)
{
	long long	 ll;
	char		*ep;

	if (errstrp != NULL)
		*errstrp = NULL;
	if (minval > maxval) {
		if (errstrp != NULL)
			*errstrp = "invalid";
		return 0;
	}
	errno = 0;
	ll = strtoll(s, &ep, 10);
	if (s[0] == '\0' || *ep != '\0') {
		if (errstrp != NULL)
			*errstrp = "invalid";
		return 0;
	}
	if ((ll == LLONG_MIN && errno == ERANGE) || ll < minval) {
		if (errstrp != NULL)
			*errstrp = "too small";
		return 0;
	}
	if ((ll == LLONG_MAX && errno == ERANGE) || ll > maxval) {
		if (errstrp != NULL)
			*errstrp = "too large";
		return 0;
	}
	return ll;
}
#endif

void
err_set(char *err, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ERR_MAX, fmt, ap);
	va_end(ap);
}

/*
 * Prefix an error already in err with more context ("panels[1]: " ...).
 */
void
err_prefix(char *err, const char *fmt, ...)
{
	char	 pre[ERR_MAX], old[ERR_MAX];
	va_list	 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	strlcpy(old, err, sizeof(old));
	snprintf(err, ERR_MAX, "%s%s", pre, old);
}

/*
 * buf: a growable byte buffer that remembers running out of memory, so a
 * caller can build a whole answer and check once at the end.
 */
void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

static int
buf_reserve(struct buf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->b_oom)
		return -1;
	if (b->b_len + more + 1 <= b->b_cap)
		return 0;
	cap = b->b_cap == 0 ? 256 : b->b_cap;
	while (cap < b->b_len + more + 1)
		cap *= 2;
	if ((p = realloc(b->b_data, cap)) == NULL) {
		b->b_oom = 1;
		return -1;
	}
	b->b_data = p;
	b->b_cap = cap;
	return 0;
}

void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) == -1)
		return;
	memcpy(b->b_data + b->b_len, data, len);
	b->b_len += len;
	b->b_data[b->b_len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1) {
		b->b_oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->b_data + b->b_len, b->b_cap - b->b_len, fmt, ap);
	va_end(ap);
	b->b_len += (size_t)n;
}

static int
buf_json_cb(const char *data, size_t len, void *arg)
{
	buf_add(arg, data, len);
	return ((struct buf *)arg)->b_oom ? -1 : 0;
}

/* Append v serialized compactly, keys sorted. */
void
buf_addjson(struct buf *b, const json_t *v)
{
	if (json_dump_callback(v, buf_json_cb, b, JSON_COMPACT |
	    JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) == -1)
		b->b_oom = 1;
}

/*
 * The contents, NUL-terminated, now the caller's to free; NULL if memory
 * ran out at any point (the buffer is freed then).
 */
char *
buf_take(struct buf *b, size_t *len)
{
	char	*p = b->b_data;

	if (b->b_oom || (p == NULL && buf_reserve(b, 0) == -1)) {
		buf_free(b);
		return NULL;
	}
	p = b->b_data;
	p[b->b_len] = '\0';	/* even if nothing was ever added */
	if (len != NULL)
		*len = b->b_len;
	buf_init(b);
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->b_data);
	buf_init(b);
}

/*
 * Is s well-formed UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF)? jansson refuses anything else, so we check before it does.
 */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	uint32_t		 c;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode exactly len bytes of hex; separators ':' between byte pairs are
 * accepted when sep is set, so "AA:BB" and "aabb" both decode.
 * Returns 0, or -1 if s is not exactly len bytes of hex.
 */
int
hex_decode(const char *s, uint8_t *out, size_t len, int sep)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (sep && i > 0 && *s == ':')
			s++;
		if ((hi = hex_digit((unsigned char)s[0])) == -1 ||
		    (lo = hex_digit((unsigned char)s[1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s == '\0' ? 0 : -1;
}

/*
 * Base64 (RFC 4648): B64_STD is section 4 with "=" padding, as HTTP
 * structured fields and signed notes use it; B64_URL is section 5
 * without padding, as SD-JWT uses it. b64_encode writes the text and a
 * NUL into out (B64_LEN(n) + 1 bytes) and returns its length.
 */
size_t
b64_encode(const uint8_t *in, size_t len, int url, char *out)
{
	static const char	 std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char	 web[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char		*a = url ? web : std;
	size_t			 i, o = 0;
	uint32_t		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = a[v >> 6 & 63];
		else if (!url)
			out[o++] = '=';
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
b64_value(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Decode exactly len characters of s into out (room for max bytes).
 * Strict: the alphabet of the variant only, padding exactly as
 * b64_encode writes it, and no stray bits in the last character, so each
 * byte string has one text. Returns the byte count, or -1.
 */
ssize_t
b64_decode(const char *s, size_t len, int url, uint8_t *out, size_t max)
{
	size_t		 i, o = 0, pad = 0, rem;
	uint32_t	 v = 0;
	int		 d;

	if (!url) {
		if (len % 4 != 0)
			return -1;
		while (pad < 2 && len > 0 && s[len - 1] == '=') {
			len--;
			pad++;
		}
		if (pad > 0 && len % 4 == 0)
			return -1;
	}
	rem = len % 4;
	if (rem == 1 || (!url && pad != (rem == 0 ? 0 : 4 - rem)))
		return -1;
	if (len / 4 * 3 + (rem > 0 ? rem - 1 : 0) > max)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = b64_value((unsigned char)s[i], url)) == -1)
			return -1;
		v = v << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(v >> 16);
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
			v = 0;
		}
	}
	if (rem == 2) {
		if (v & 0x0f)
			return -1;
		out[o++] = (uint8_t)(v >> 4);
	} else if (rem == 3) {
		if (v & 0x03)
			return -1;
		out[o++] = (uint8_t)(v >> 10);
		out[o++] = (uint8_t)(v >> 2);
	}
	return (ssize_t)o;
}

double
mono_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Read a whole regular file of at most max bytes. Returns a new
 * NUL-terminated buffer the caller frees, or NULL with a reason.
 */
char *
file_read(const char *path, size_t max, size_t *lenp, char *err)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "%s: not a regular file", path);
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		err_set(err, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		err_set(err, "%s: out of memory", path);
		goto fail;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = off;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/*
 * Check that a file holding a secret can be read by its owner only.
 * Returns 0, or -1 with a reason that says how to fix it.
 */
int
file_check_private(const char *path, char *err)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		err_set(err, "%s: mode %04o lets group or others read a secret; "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		err_set(err, "%s: owned by uid %u, neither this user nor root",
		    path, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

/*
 * Resolve p against dir (the configuration file's directory) unless it is
 * absolute. Returns 0, or -1 if the result does not fit.
 */
int
path_resolve(const char *dir, const char *p, char *out, size_t outlen)
{
	int	 n;

	if (p[0] == '/' || dir == NULL || dir[0] == '\0')
		n = snprintf(out, outlen, "%s", p);
	else
		n = snprintf(out, outlen, "%s/%s", dir, p);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/*
 * The directory part of path, "." when there is none.
 */
void
path_dir(const char *path, char *out, size_t outlen)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		strlcpy(out, ".", outlen);
	else if (slash == path)
		strlcpy(out, "/", outlen);
	else
		snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

static int
strings_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Sort arr, an array of strings, in place, bytewise; drop repeats when
 * unique is set. Returns 0, or -1 when an element is not a string or
 * out of memory (arr is then left as it was, or emptied).
 */
int
strings_sort(json_t *arr, int unique)
{
	const char	**v;
	json_t		*copy;
	size_t		 i, n = json_array_size(arr);
	int		 rc = -1;

	if ((copy = json_copy(arr)) == NULL)
		return -1;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		json_decref(copy);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((v[i] = json_string_value(json_array_get(copy, i))) ==
		    NULL)
			goto done;
	qsort(v, n, sizeof(*v), strings_cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++) {
		if (unique && i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (json_array_append_new(arr, json_string(v[i])) == -1)
			goto done;
	}
	rc = 0;
done:
	free(v);
	json_decref(copy);
	return rc;
}

static int
url_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode [s, s+len) of a query into out ('+' is a space).
 * Returns 0, or -1 on a bad escape, a NUL byte, or an overlong result.
 */
int
url_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len ||
			    (hi = url_hexval((unsigned char)s[i + 1])) == -1 ||
			    (lo = url_hexval((unsigned char)s[i + 2])) == -1)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (c == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Sort a JSON array in place with cmp, which compares two json_t **.
 * Returns 0, or -1 when memory runs out (the array may then be short).
 */
int
array_sort(json_t *arr, int (*cmp)(const void *, const void *))
{
	json_t		**v;
	size_t		 i, n = json_array_size(arr);

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, v[i]) == -1) {
			while (++i < n)
				json_decref(v[i]);
			free(v);
			return -1;
		}
	free(v);
	return 0;
}
