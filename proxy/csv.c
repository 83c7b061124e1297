/*
 * csv.c: a reader of comma-separated values (RFC 4180) for the hoster's
 * files: quoted fields with doubled quotes and line breaks, CRLF or LF,
 * a spreadsheet's byte order mark, and lines starting with '#' taken as
 * comments. It works in place on a buffer the caller owns, so fields
 * cost no allocation, and every record says on which line it started.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sightline.h"

void
csv_init(struct csv *c, const char *file, char *text, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->cv_file = file;
	c->cv_p = text;
	c->cv_end = text + len;
	c->cv_line = 1;
	/* Spreadsheets start their CSV with a byte order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c->cv_p += 3;
}

/*
 * The next record. Blank lines and lines whose first non-blank byte is
 * '#' are skipped; unquoted fields lose their surrounding blanks.
 * Returns 1 with c_fields set, 0 at the end, or -1 with a reason.
 */
int
csv_next(struct csv *c, char *err)
{
	char	*p = c->cv_p, *w, *start, *recstart;
	int	 quoted;

	for (;;) {
		while (p < c->cv_end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == c->cv_end)
			return 0;
		if (*p == '#')
			while (p < c->cv_end && *p != '\n')
				p++;
		if (p < c->cv_end && *p == '\r')
			p++;
		if (p < c->cv_end && *p == '\n') {
			p++;
			c->cv_line++;
			continue;
		}
		if (p == c->cv_end)
			return 0;
		break;
	}
	c->cv_rec = c->cv_line;
	c->cv_nfields = 0;
	recstart = p;
	for (;;) {
		if (c->cv_nfields == CSV_FIELDS_MAX) {
			err_set(err, "%s:%u: more than %d fields", c->cv_file,
			    c->cv_rec, CSV_FIELDS_MAX);
			return -1;
		}
		while (p < c->cv_end && (*p == ' ' || *p == '\t'))
			p++;
		start = w = p;
		quoted = p < c->cv_end && *p == '"';
		if (quoted) {
			for (p++;; p++) {
				if (p == c->cv_end) {
					err_set(err, "%s:%u: a quoted field is "
					    "not closed", c->cv_file,
					    c->cv_rec);
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < c->cv_end && p[1] == '"')
						p++;
					else
						break;
				} else if (*p == '\n')
					c->cv_line++;
				*w++ = *p;
			}
			for (p++; p < c->cv_end && (*p == ' ' || *p == '\t');
			    p++)
				;
			if (p < c->cv_end && *p != ',' && *p != '\r' &&
			    *p != '\n') {
				err_set(err, "%s:%u: text after a closing "
				    "quote", c->cv_file, c->cv_line);
				return -1;
			}
		} else {
			while (p < c->cv_end && *p != ',' && *p != '\r' &&
			    *p != '\n') {
				if (*p == '"') {
					err_set(err, "%s:%u: a quote inside an "
					    "unquoted field", c->cv_file,
					    c->cv_line);
					return -1;
				}
				p++;
			}
			w = p;
			while (w > start && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
		}
		if ((size_t)(p - recstart) > CSV_RECORD_MAX) {
			err_set(err, "%s:%u: a record longer than %d bytes",
			    c->cv_file, c->cv_rec, CSV_RECORD_MAX);
			return -1;
		}
		c->cv_fields[c->cv_nfields++] = start;
		if (p < c->cv_end && *p == ',') {
			*w = '\0';
			p++;
			continue;
		}
		if (p < c->cv_end && *p == '\r')
			p++;
		if (p < c->cv_end && *p != '\n') {
			err_set(err, "%s:%u: a carriage return inside a line",
			    c->cv_file, c->cv_line);
			return -1;
		}
		*w = '\0';
		if (p < c->cv_end) {
			p++;
			c->cv_line++;
		}
		c->cv_p = p;
		return 1;
	}
}

/* The column named name (case-insensitively) in a header, or -1. */
int
csv_column(const struct csv *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->cv_nfields; i++)
		if (strcasecmp(c->cv_fields[i], name) == 0)
			return (int)i;
	return -1;
}

