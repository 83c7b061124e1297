/*
 * canon.c: RFC 8785 JSON Canonicalization Scheme (JCS). The only
 * definition of the bytes sightline hashes and signs: a json_t in, its
 * canonical UTF-8 bytes out, and a parser that takes in only what I-JSON
 * (RFC 7493) allows.
 *
 * The rules, in short: no whitespace; strings escape only '"', '\\' and
 * U+0000..U+001F (the short forms \b \t \n \f \r, otherwise \u00hh in
 * lowercase) and are raw UTF-8 otherwise; object members are sorted by
 * their keys compared as UTF-16 code units; numbers are printed the way
 * ECMAScript's Number::toString prints a double.
 *
 * Decisions that are ours, not the RFC's:
 *
 *  - Integers beyond 2^53 are refused ("integer at /netin is beyond 2^53
 *    and has no exact I-JSON form"). RFC 8785 numbers are IEEE-754
 *    doubles. Printing the exact digits of 9007199254740993 would make
 *    our bytes differ from those of every other JCS implementation, and
 *    rounding it to 9007199254740992 would silently sign a value the
 *    panel never sent. A panel's 64-bit IDs and byte counters must reach
 *    the signed view as strings, or not at all. Reals (json_real) are
 *    doubles already and are printed as they are.
 *  - NaN and the infinities are refused; jansson cannot hold them anyway.
 *  - Containers may nest CANON_DEPTH_MAX deep, which also stops a cyclic
 *    json_t.
 *  - canon_parse() accepts U+0000 inside strings (it is valid JSON), but
 *    jansson refuses it inside object keys, so such a document is refused.
 *
 * Error messages name the JSON Pointer of the problem (RFC 6901, "/a/0";
 * "(root)" for the whole document) and never quote a string value: the
 * documents are panel answers and may hold secrets.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"

/* Integers with an exact double, the only ones JCS can print exactly. */
#define CANON_INT_EXACT	(1LL << 53)

/*
 * ---- Numbers ----
 *
 * ECMA-262 Number::toString(x): the fewest significant digits s (k of
 * them) such that s x 10^(n-k) reads back as x; among several such s the
 * one closest to x, the even one on a tie. Then a layout that depends on
 * n only: plain digits for 1e-6 <= |x| < 1e21, exponent form otherwise.
 *
 * The digits come from the C library, which sightline trusts for exactly
 * two things, both correctly rounded in glibc: snprintf("%.*e") gives the
 * p-digit decimal nearest to x (ties to even), and strtod() gives the
 * double nearest to a decimal.
 *
 * Whether some p-digit decimal reads back as x is decided by the nearest
 * one and, when that one misses, by its neighbour on the other side of
 * x. Only a power of two needs the neighbour: the double below it is
 * half as far as the one above, so the interval that reads back as x
 * reaches further up than down. Everywhere else the interval is
 * symmetric and the neighbour, no nearer than the nearest, misses too.
 * Any p-digit decimal is also a (p+1)-digit one, so "some p-digit
 * decimal reads back" holds from the shortest length on and a bisection
 * finds that length; 17 digits always do.
 *
 * One snprintf() gives the 17 digits nearest to x. The nearest p digits
 * are those rounded, unless digits p+1..17 are exactly 5000...: x lies
 * within half a unit of the 17th digit from them, and every other tail
 * is at least a whole unit away from the halfway point of the p-th
 * digit, so x is on the same side of it. Only that tie asks the C
 * library again.
 */

struct canon_digits {
	char	 cd_dig[24];	/* significant digits, no trailing NUL */
	int	 cd_len;	/* how many */
	int	 cd_exp;	/* x = d.ddd x 10^cd_exp */
};

/* Unsigned decimal of v into out (at least 21 bytes); returns its length. */
static size_t
canon_u64(uint64_t v, char *out)
{
	char	 tmp[24];
	size_t	 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

/* The p-digit decimal nearest to x > 0, from the C library. */
static void
canon_print(double x, int p, struct canon_digits *d)
{
	char		 tmp[48];
	const char	*s;
	int		 e = 0, neg = 0;

	/*
	 * "%.*e" writes d[.ddd]e[+-]NN. The radix character comes from the
	 * locale, so anything that is not a digit before the 'e' is skipped.
	 */
	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
	d->cd_len = 0;
	for (s = tmp; *s != '\0' && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && d->cd_len < p)
			d->cd_dig[d->cd_len++] = *s;
	if (*s == 'e')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++)
		e = e * 10 + (*s - '0');
	d->cd_exp = neg ? -e : e;
}

/*
 * The double nearest to the decimal d. The text handed to strtod() has
 * no radix character, so the locale does not matter.
 */
static double
canon_value(const struct canon_digits *d)
{
	char	 tmp[48], *o = tmp + d->cd_len;
	int	 e = d->cd_exp - (d->cd_len - 1);

	memcpy(tmp, d->cd_dig, (size_t)d->cd_len);
	*o++ = 'e';
	if (e < 0)
		*o++ = '-';
	canon_u64((uint64_t)(e < 0 ? -e : e), o);
	return strtod(tmp, NULL);
}

/* d plus (up) or minus one unit in its last digit, as long as before. */
static void
canon_step(struct canon_digits *d, int up)
{
	int	 i;

	for (i = d->cd_len - 1; i >= 0; i--) {
		if (up && d->cd_dig[i] != '9') {
			d->cd_dig[i]++;
			return;
		}
		if (!up && d->cd_dig[i] != '0') {
			d->cd_dig[i]--;
			if (i > 0 || d->cd_dig[0] != '0')
				return;
			/* 1000 - 1 is 9999 a decade down, at this length. */
			memset(d->cd_dig, '9', (size_t)d->cd_len);
			d->cd_exp--;
			return;
		}
		d->cd_dig[i] = up ? '0' : '9';
	}
	/* 9999 + 1 = 1000 a decade up. */
	d->cd_dig[0] = '1';
	memset(d->cd_dig + 1, '0', (size_t)d->cd_len - 1);
	d->cd_exp++;
}

/* The p-digit decimal nearest to x, given full, the nearest 17 digits. */
static void
canon_nearest(double x, const struct canon_digits *full, int p,
    struct canon_digits *d)
{
	int	 i, tail;

	*d = *full;
	if (p >= full->cd_len)
		return;
	/* Digits p+1..17 against 5000...: below, the same, or above. */
	tail = full->cd_dig[p] - '5';
	for (i = p + 1; tail == 0 && i < full->cd_len; i++)
		tail = full->cd_dig[i] != '0';
	if (tail == 0) {
		canon_print(x, p, d);
		return;
	}
	d->cd_len = p;
	if (tail > 0)
		canon_step(d, 1);
}

/*
 * The p-digit decimal closest to x > 0 that reads back as x, trailing
 * zeros dropped, into d. Returns 0, or -1 when no p-digit decimal does.
 * pow2: x is a power of two with a nearer double below than above.
 */
static int
canon_try(double x, const struct canon_digits *full, int p, int pow2,
    struct canon_digits *d)
{
	double	 y;

	canon_nearest(x, full, p, d);
	if ((y = canon_value(d)) != x) {
		/* Only a decimal above x, in the wider half, can be left. */
		if (!pow2 || y > x)
			return -1;
		canon_step(d, 1);
		if (canon_value(d) != x)
			return -1;
	}
	while (d->cd_len > 1 && d->cd_dig[d->cd_len - 1] == '0')
		d->cd_len--;
	return 0;
}

/* The shortest digits of x > 0, finite, as Number::toString picks them. */
static void
canon_shortest(double x, struct canon_digits *best)
{
	struct canon_digits	 full, d;
	uint64_t		 bits;
	int			 lo = 1, mid, pow2;

	memcpy(&bits, &x, sizeof(bits));
	/* No fraction bits, and a normal double below (exponent field > 1). */
	pow2 = (bits & 0xfffffffffffffULL) == 0 && (bits >> 52) > 1;
	canon_print(x, 17, &full);
	/*
	 * Most doubles need 16 or 17 digits, so start there; a short one
	 * (0.1, 12.75) shows itself by the trailing zeros of its 16 digits,
	 * and one digit fewer than those usually fails.
	 */
	if (canon_try(x, &full, 16, pow2, best) == -1) {
		*best = full;
		return;
	}
	if (best->cd_len == 1 ||
	    canon_try(x, &full, best->cd_len - 1, pow2, &d) == -1)
		return;
	*best = d;
	/* Invariant: lengths below lo fail; best holds cd_len digits. */
	while (lo < best->cd_len) {
		mid = (lo + best->cd_len - 1) / 2;
		if (canon_try(x, &full, mid, pow2, &d) == 0)
			*best = d;
		else
			lo = mid + 1;
	}
}

/* The ECMAScript layout of digits d of a number with sign neg. */
static void
canon_layout(const struct canon_digits *d, int neg, char *out)
{
	char	*o = out;
	int	 k = d->cd_len, n = d->cd_exp + 1, e, i;

	if (neg)
		*o++ = '-';
	if (k <= n && n <= 21) {
		/* An integer: the digits, then n - k zeros. */
		memcpy(o, d->cd_dig, (size_t)k);
		o += k;
		for (i = k; i < n; i++)
			*o++ = '0';
	} else if (0 < n && n <= 21) {
		memcpy(o, d->cd_dig, (size_t)n);
		o += n;
		*o++ = '.';
		memcpy(o, d->cd_dig + n, (size_t)(k - n));
		o += k - n;
	} else if (-6 < n && n <= 0) {
		*o++ = '0';
		*o++ = '.';
		for (i = n; i < 0; i++)
			*o++ = '0';
		memcpy(o, d->cd_dig, (size_t)k);
		o += k;
	} else {
		*o++ = d->cd_dig[0];
		if (k > 1) {
			*o++ = '.';
			memcpy(o, d->cd_dig + 1, (size_t)(k - 1));
			o += k - 1;
		}
		*o++ = 'e';
		e = n - 1;
		*o++ = e < 0 ? '-' : '+';
		o += canon_u64((uint64_t)(e < 0 ? -e : e), o);
	}
	*o = '\0';
}

/*
 * x as ECMAScript's Number::toString writes it, which is how JCS writes
 * numbers: "0" for both zeros, NUL-terminated in out. Returns 0, or -1
 * with a reason for NaN and the infinities, which JSON cannot carry.
 */
int
canon_number(double x, char out[CANON_NUMBER_MAX], char *err)
{
	struct canon_digits	 d;
	double			 ax = fabs(x);

	if (isnan(x)) {
		err_set(err, "NaN is not a JSON number");
		return -1;
	}
	if (isinf(x)) {
		err_set(err, "%snfinity is not a JSON number",
		    x < 0 ? "negative i" : "i");
		return -1;
	}
	if (ax == 0) {
		memcpy(out, "0", 2);
		return 0;
	}
	/* Below 2^53 an integral double's shortest form is its integer. */
	if (ax < (double)CANON_INT_EXACT && ax == floor(ax)) {
		if (x < 0)
			*out++ = '-';
		canon_u64((uint64_t)ax, out);
		return 0;
	}
	canon_shortest(ax, &d);
	canon_layout(&d, x < 0, out);
	return 0;
}

/*
 * ---- Documents ----
 */

struct canon_step {
	const char	*cs_key;	/* an object member; NULL: array element */
	size_t		 cs_keylen;
	size_t		 cs_index;
};

struct canon_member {
	const char	*cm_key;
	size_t		 cm_keylen;
	const json_t	*cm_value;
};

struct canon_walk {
	struct buf		*cw_buf;
	char			*cw_err;
	int			 cw_depth;	/* containers entered */
	struct canon_step	 cw_path[CANON_DEPTH_MAX];
	/*
	 * The members of every object being written, innermost last: one
	 * array for the whole document, so sorting costs no allocation per
	 * object. Indexes into it survive its growth.
	 */
	struct canon_member	*cw_members;
	size_t			 cw_nmembers;
	size_t			 cw_cap;
};

/*
 * Where the walk is, as a JSON Pointer ("/interfaces/0/ips"), for an
 * error message: "(root)" for the whole document, and "..." and the
 * last CANON_WHERE_MAX bytes of a longer one, so the reason after it
 * still fits. Control characters and the bytes of a key that is not
 * UTF-8 are shown as '?'; '~' and '/' are escaped as RFC 6901 says.
 */
#define CANON_WHERE_MAX	(ERR_MAX / 2)

static void
canon_where(const struct canon_walk *w, char *out, size_t outlen)
{
	const struct canon_step	*st;
	struct buf		 b;
	unsigned char		 c;
	char			 num[24];
	const char		*p;
	size_t			 i;
	int			 lvl, utf8;

	buf_init(&b);
	for (lvl = 0; lvl < w->cw_depth; lvl++) {
		st = &w->cw_path[lvl];
		buf_add(&b, "/", 1);
		if (st->cs_key == NULL) {
			canon_u64(st->cs_index, num);
			buf_addstr(&b, num);
			continue;
		}
		utf8 = utf8_valid(st->cs_key, st->cs_keylen);
		for (i = 0; i < st->cs_keylen; i++) {
			c = (unsigned char)st->cs_key[i];
			if (c == '~')
				buf_add(&b, "~0", 2);
			else if (c == '/')
				buf_add(&b, "~1", 2);
			else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
				buf_add(&b, "?", 1);
			else
				buf_add(&b, &c, 1);
		}
	}
	if (b.b_oom)
		strlcpy(out, "?", outlen);
	else if (b.b_len == 0)
		strlcpy(out, "(root)", outlen);
	else if (b.b_len <= CANON_WHERE_MAX)
		strlcpy(out, b.b_data, outlen);
	else {
		/* Start the tail on a character, not inside one. */
		p = b.b_data + b.b_len - CANON_WHERE_MAX;
		while ((*p & 0xc0) == 0x80)
			p++;
		snprintf(out, outlen, "...%s", p);
	}
	buf_free(&b);
}

/* A reason for the caller, naming where the walk is: "WHAT at PATH WHY". */
static int __attribute__((__format__(printf, 3, 4)))
canon_fail(struct canon_walk *w, const char *what, const char *fmt, ...)
{
	char	 where[ERR_MAX], why[ERR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	canon_where(w, where, sizeof(where));
	err_set(w->cw_err, "%s at %s %s", what, where, why);
	return -1;
}

/* Append s (len bytes of UTF-8, NULs allowed) as a JCS string. */
static void
canon_string(struct buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 u[6] = { '\\', 'u', '0', '0' };
	const char		*esc;
	size_t			 i, run = 0;
	unsigned char		 c;

	buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':	esc = "\\\""; break;
		case '\\':	esc = "\\\\"; break;
		case '\b':	esc = "\\b"; break;
		case '\t':	esc = "\\t"; break;
		case '\n':	esc = "\\n"; break;
		case '\f':	esc = "\\f"; break;
		case '\r':	esc = "\\r"; break;
		default:
			u[4] = hex[c >> 4];
			u[5] = hex[c & 0xf];
			buf_add(b, u, sizeof(u));
			continue;
		}
		buf_add(b, esc, 2);
	}
	buf_add(b, s + run, len - run);
	buf_add(b, "\"", 1);
}

/*
 * Compare two UTF-8 keys as their UTF-16 code units would compare. UTF-8
 * byte order is code-point order, and the two orders differ in one
 * place only: a character above U+FFFF (UTF-8 lead byte F0..F4) becomes
 * a surrogate pair D800..DFFF, which sorts before U+E000..U+FFFF (lead
 * bytes EE and EF). The first differing bytes sit at the same position in
 * the same character of both keys, since all bytes before them agree; so
 * it is enough to rank those two bytes with F0..F4 moved below EE.
 * Continuation bytes (80..BF) and every lead byte below EE keep their
 * place, and the lead byte ED cannot start a surrogate in valid UTF-8.
 */
static int
canon_utf16_rank(unsigned char c)
{
	if (c >= 0xf0)
		return c - 0xf0 + 0xee;		/* F0..F4 -> EE..F2 */
	if (c >= 0xee)
		return c - 0xee + 0xf3;		/* EE, EF -> F3, F4 */
	return c;
}

static int
canon_key_cmp(const void *va, const void *vb)
{
	const struct canon_member	*a = va, *b = vb;
	const unsigned char		*p = (const unsigned char *)a->cm_key;
	const unsigned char		*q = (const unsigned char *)b->cm_key;
	size_t				 n, i;

	n = a->cm_keylen < b->cm_keylen ? a->cm_keylen : b->cm_keylen;
	for (i = 0; i < n; i++)
		if (p[i] != q[i])
			return canon_utf16_rank(p[i]) - canon_utf16_rank(q[i]);
	return (a->cm_keylen > b->cm_keylen) - (a->cm_keylen < b->cm_keylen);
}

static int	canon_walk_value(struct canon_walk *, const json_t *);

static int
canon_walk_object(struct canon_walk *w, const json_t *v)
{
	struct canon_step	*st = &w->cw_path[w->cw_depth - 1];
	struct canon_member	*m;
	size_t			 base = w->cw_nmembers, n = json_object_size(v);
	size_t			 cap, i;
	void			*it;

	if (n == 0) {
		buf_add(w->cw_buf, "{}", 2);
		return 0;
	}
	if (base + n > w->cw_cap) {
		cap = w->cw_cap == 0 ? 64 : w->cw_cap;
		while (cap < base + n)
			cap *= 2;
		if ((m = reallocarray(w->cw_members, cap, sizeof(*m))) ==
		    NULL) {
			err_set(w->cw_err, "out of memory");
			return -1;
		}
		w->cw_members = m;
		w->cw_cap = cap;
	}
	m = w->cw_members + base;
	for (i = 0, it = json_object_iter((json_t *)v); it != NULL && i < n;
	    i++, it = json_object_iter_next((json_t *)v, it)) {
		m[i].cm_key = json_object_iter_key(it);
		m[i].cm_keylen = json_object_iter_key_len(it);
		m[i].cm_value = json_object_iter_value(it);
	}
	w->cw_nmembers = base + n;
	if (n > 1)
		qsort(m, n, sizeof(*m), canon_key_cmp);

	buf_add(w->cw_buf, "{", 1);
	for (i = 0; i < n; i++) {
		/* Writing a member may move the array: index it afresh. */
		m = &w->cw_members[base + i];
		st->cs_key = m->cm_key;
		st->cs_keylen = m->cm_keylen;
		if (!utf8_valid(m->cm_key, m->cm_keylen))
			return canon_fail(w, "object key", "is not valid UTF-8");
		if (i > 0)
			buf_add(w->cw_buf, ",", 1);
		canon_string(w->cw_buf, m->cm_key, m->cm_keylen);
		buf_add(w->cw_buf, ":", 1);
		if (canon_walk_value(w, m->cm_value) == -1)
			return -1;
	}
	buf_add(w->cw_buf, "}", 1);
	w->cw_nmembers = base;
	return 0;
}

static int
canon_walk_array(struct canon_walk *w, const json_t *v)
{
	struct canon_step	*st = &w->cw_path[w->cw_depth - 1];
	size_t			 i, n = json_array_size(v);

	st->cs_key = NULL;
	buf_add(w->cw_buf, "[", 1);
	for (i = 0; i < n; i++) {
		st->cs_index = i;
		if (i > 0)
			buf_add(w->cw_buf, ",", 1);
		if (canon_walk_value(w, json_array_get(v, i)) == -1)
			return -1;
	}
	buf_add(w->cw_buf, "]", 1);
	return 0;
}

static int
canon_walk_value(struct canon_walk *w, const json_t *v)
{
	char		 num[CANON_NUMBER_MAX], why[ERR_MAX];
	json_int_t	 i;
	int		 rc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (w->cw_depth == CANON_DEPTH_MAX)
			return canon_fail(w, "value", "nests deeper than %d "
			    "levels", CANON_DEPTH_MAX);
		w->cw_depth++;
		rc = json_is_object(v) ? canon_walk_object(w, v) :
		    canon_walk_array(w, v);
		if (rc == 0)
			w->cw_depth--;
		return rc;
	case JSON_STRING:
		if (!utf8_valid(json_string_value(v), json_string_length(v)))
			return canon_fail(w, "string", "is not valid UTF-8");
		canon_string(w->cw_buf, json_string_value(v),
		    json_string_length(v));
		return 0;
	case JSON_INTEGER:
		i = json_integer_value(v);
		if (i < -CANON_INT_EXACT || i > CANON_INT_EXACT)
			return canon_fail(w, "integer", "is beyond 2^53 and "
			    "has no exact I-JSON form");
		if (i < 0)
			buf_add(w->cw_buf, "-", 1);
		buf_add(w->cw_buf, num, canon_u64((uint64_t)(i < 0 ? -i : i),
		    num));
		return 0;
	case JSON_REAL:
		if (canon_number(json_real_value(v), num, why) == -1)
			return canon_fail(w, "number", "is refused: %s", why);
		buf_addstr(w->cw_buf, num);
		return 0;
	case JSON_TRUE:
		buf_add(w->cw_buf, "true", 4);
		return 0;
	case JSON_FALSE:
		buf_add(w->cw_buf, "false", 5);
		return 0;
	case JSON_NULL:
		buf_add(w->cw_buf, "null", 4);
		return 0;
	}
	return canon_fail(w, "value", "has an unknown jansson type");
}

/*
 * Append the canonical bytes of v to b. Returns 0, or -1 with a reason
 * naming the path of the problem; b is then as it was before the call.
 */
int
canon_write(struct buf *b, const json_t *v, char *err)
{
	struct canon_walk	 w;
	size_t			 start = b->b_len;
	int			 rc;

	if (v == NULL || b->b_oom) {
		/* NULL is what a jansson constructor returns out of memory. */
		err_set(err, "out of memory");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.cw_buf = b;
	w.cw_err = err;
	rc = canon_walk_value(&w, v);
	free(w.cw_members);
	if (rc == 0 && b->b_oom) {
		err_set(err, "out of memory");
		return -1;
	}
	if (rc == -1) {
		b->b_len = start;
		if (b->b_data != NULL)
			b->b_data[start] = '\0';
	}
	return rc;
}

/*
 * The canonical bytes of v as a new NUL-terminated string (the length
 * in *lenp when lenp is not NULL); caller frees with free(). NULL with a
 * reason naming the path of the problem.
 */
char *
canon_dump(const json_t *v, size_t *lenp, char *err)
{
	struct buf	 b;
	char		*s;

	buf_init(&b);
	if (canon_write(&b, v, err) == -1) {
		buf_free(&b);
		return NULL;
	}
	if ((s = buf_take(&b, lenp)) == NULL)
		err_set(err, "out of memory");
	return s;
}

/*
 * Parse len bytes of JSON as I-JSON requires: duplicate keys, invalid
 * UTF-8 and lone surrogates (escaped or not) are refused; U+0000 inside
 * strings is accepted. Any value may stand at the top. Returns a new
 * reference, or NULL with "line L column C: reason"; the reason leaves
 * out the text jansson would quote from the input.
 */
json_t *
canon_parse(const char *s, size_t len, char *err)
{
	json_error_t	 je;
	json_t		*v;
	char		*near;

	v = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
	    JSON_DECODE_ANY, &je);
	if (v == NULL) {
		if ((near = strstr(je.text, " near ")) != NULL)
			*near = '\0';
		err_set(err, "line %d column %d: %s", je.line, je.column,
		    je.text);
	}
	return v;
}
