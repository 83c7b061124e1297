/*
 * xml.c: the only file that speaks expat. It turns the XML some panels
 * answer (SolusVM 1 by default) into the core's data type, a json_t, so
 * that plugins and policies see one shape whatever the wire format.
 *
 * SolusVM 1's XML has no root element and no declaration: a flat run of
 * siblings, "<status>success</status><statusmsg></statusmsg>...". A
 * strict parser refuses that, so the body is parsed inside a synthetic
 * root element fed before and after it; nothing is copied.
 *
 * The mapping, which is all the panels need:
 *   an element with child elements      an object of its children;
 *   an element without child elements   a string, its text ("" if empty);
 *   siblings of the same name           an array, in document order.
 * Attributes, comments and processing instructions are ignored; text
 * next to child elements (mixed content) is an error, as it never occurs
 * in an API answer and could not be shown faithfully.
 *
 * xml_walk() serves documents whose meaning lies in attributes, which
 * the mapping above drops: a libvirt domain's XML (libvirt.c). It hands
 * each element's name, depth and attributes to the caller and keeps
 * nothing itself, so libvirt.c needs no expat of its own.
 *
 * Hostile input: the body arrives from the network. No DTD is ever read:
 * a DOCTYPE is refused (inside the synthetic root it is a syntax error
 * anyway), so no entity can be declared and no external entity loaded;
 * only the five predefined entities and character references expand, and
 * expat (>= 2.4) bounds amplification besides. Nesting is capped at
 * XML_DEPTH_MAX and input at XML_INPUT_MAX. Error messages are expat's
 * descriptions and a byte offset: they never quote the input.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "sightline.h"

#define XML_ROOT_OPEN	"<sightline-root>"
#define XML_ROOT_CLOSE	"</sightline-root>"

struct xml_frame {
	json_t		*xf_children;	/* NULL until a child element ends */
	char		*xf_name;	/* NULL for the synthetic root */
	struct buf	 xf_text;
};

struct xml_ctx {
	XML_Parser	 xc_parser;
	struct xml_frame xc_stack[XML_DEPTH_MAX + 1];
	int		 xc_depth;	/* frames in use; xml_walk: open elements */
	int		 xc_failed;
	char		 xc_err[ERR_MAX];
	/* xml_walk() only */
	xml_open_fn	 xc_open;
	xml_close_fn	 xc_close;
	void		*xc_arg;
};

static void
xml_fail(struct xml_ctx *x, const char *why)
{
	if (!x->xc_failed) {
		x->xc_failed = 1;
		strlcpy(x->xc_err, why, sizeof(x->xc_err));
	}
	XML_StopParser(x->xc_parser, XML_FALSE);
}

static int
xml_blank(const struct buf *b)
{
	size_t	 i;

	for (i = 0; i < b->b_len; i++)
		if (!isspace((unsigned char)b->b_data[i]))
			return 0;
	return 1;
}

/* Add value (stolen) under name to obj: a repeated name makes an array. */
static int
xml_add(json_t *obj, const char *name, json_t *value)
{
	json_t	*old = json_object_get(obj, name), *a;

	if (value == NULL)
		return -1;
	if (old == NULL)
		return json_object_set_new(obj, name, value);
	if (json_is_array(old))
		return json_array_append_new(old, value);
	if ((a = json_array()) == NULL ||
	    json_array_append(a, old) == -1 ||
	    json_array_append_new(a, value) == -1) {
		json_decref(a);
		return -1;
	}
	return json_object_set_new(obj, name, a);
}

static void
xml_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_ctx		*x = arg;
	struct xml_frame	*f;

	if (x->xc_failed)
		return;
	if (x->xc_depth > XML_DEPTH_MAX) {
		xml_fail(x, "elements nested too deeply");
		return;
	}
	f = &x->xc_stack[x->xc_depth];
	memset(f, 0, sizeof(*f));
	buf_init(&f->xf_text);
	/* The first element is the synthetic root. */
	if (x->xc_depth > 0 && (f->xf_name = strdup(name)) == NULL) {
		xml_fail(x, "out of memory");
		return;
	}
	x->xc_depth++;
}

static void
xml_text(void *arg, const XML_Char *s, int len)
{
	struct xml_ctx	*x = arg;

	if (x->xc_failed || x->xc_depth == 0 || len <= 0)
		return;
	buf_add(&x->xc_stack[x->xc_depth - 1].xf_text, s, (size_t)len);
}

static void
xml_frame_clear(struct xml_frame *f)
{
	json_decref(f->xf_children);
	f->xf_children = NULL;
	free(f->xf_name);
	f->xf_name = NULL;
	buf_free(&f->xf_text);
}

static void
xml_end(void *arg, const XML_Char *name)
{
	struct xml_ctx		*x = arg;
	struct xml_frame	*f, *parent;
	json_t			*v;

	if (x->xc_failed || x->xc_depth <= 1)
		return;		/* the synthetic root stays for xml_parse() */
	f = &x->xc_stack[x->xc_depth - 1];
	parent = &x->xc_stack[x->xc_depth - 2];
	if (f->xf_text.b_oom) {
		xml_fail(x, "out of memory");
		return;
	}
	if (f->xf_children != NULL) {
		if (!xml_blank(&f->xf_text)) {
			xml_fail(x, "text next to child elements (mixed "
			    "content)");
			return;
		}
		v = f->xf_children;
		f->xf_children = NULL;
	} else
		v = json_stringn(f->xf_text.b_len > 0 ? f->xf_text.b_data :
		    "", f->xf_text.b_len);
	if (v == NULL) {
		xml_fail(x, "text that is not UTF-8, or out of memory");
		return;
	}
	if (parent->xf_children == NULL &&
	    (parent->xf_children = json_object()) == NULL) {
		json_decref(v);
		xml_fail(x, "out of memory");
		return;
	}
	if (xml_add(parent->xf_children, f->xf_name, v) == -1) {
		xml_fail(x, "out of memory");
		return;
	}
	xml_frame_clear(f);
	x->xc_depth--;
}

static void
xml_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	xml_fail(arg, "a DOCTYPE declaration (refused: sightline reads no "
	    "DTD)");
}

static void
xml_entity(void *arg, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	xml_fail(arg, "an entity declaration (refused)");
}

/*
 * Skip a leading XML declaration, which may only come first and so
 * cannot follow the synthetic root; its encoding, if any, is returned
 * in enc (empty: none given). Returns the number of bytes to skip, or
 * -1 for a declaration that does not end.
 */
static long
xml_decl(const char *s, size_t len, char *enc, size_t enclen)
{
	const char	*end, *e, *q;
	size_t		 n;

	enc[0] = '\0';
	if (len < 6 || strncmp(s, "<?xml", 5) != 0 ||
	    !isspace((unsigned char)s[5]))
		return 0;
	if ((end = memchr(s, '>', len)) == NULL || end[-1] != '?')
		return -1;
	/* encoding="..." or '...' inside the declaration. */
	for (e = s; e + 9 < end; e++)
		if (strncmp(e, "encoding", 8) == 0)
			break;
	if (e + 9 < end) {
		e += 8;
		while (e < end && (isspace((unsigned char)*e) || *e == '='))
			e++;
		if (e < end && (*e == '"' || *e == '\'') &&
		    (q = memchr(e + 1, *e, (size_t)(end - e - 1))) != NULL) {
			n = (size_t)(q - e - 1);
			if (n >= enclen)
				n = enclen - 1;
			memcpy(enc, e + 1, n);
			enc[n] = '\0';
		}
	}
	return (long)(end - s + 1);
}

/*
 * Parse body (len bytes, which may lack a root element) into a new JSON
 * object of its top-level elements, as described at the top of this
 * file. Returns NULL with a reason in err that quotes nothing of body.
 */
json_t *
xml_parse(const char *body, size_t len, char *err)
{
	struct xml_ctx	 x;
	json_t		*out = NULL;
	const char	*encoding = NULL;
	char		 enc[32];
	long		 skip;
	int		 i, ok;

	if (len > XML_INPUT_MAX) {
		err_set(err, "the XML is larger than %d bytes", XML_INPUT_MAX);
		return NULL;
	}
	if ((skip = xml_decl(body, len, enc, sizeof(enc))) == -1) {
		err_set(err, "the XML declaration does not end");
		return NULL;
	}
	/* expat knows these by itself; anything else would need a handler. */
	if (enc[0] != '\0') {
		if (strcasecmp(enc, "UTF-8") != 0 &&
		    strcasecmp(enc, "ISO-8859-1") != 0 &&
		    strcasecmp(enc, "US-ASCII") != 0) {
			err_set(err, "the XML's encoding is not UTF-8, "
			    "ISO-8859-1 or US-ASCII");
			return NULL;
		}
		encoding = enc;
	}
	memset(&x, 0, sizeof(x));
	if ((x.xc_parser = XML_ParserCreate(encoding)) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	XML_SetUserData(x.xc_parser, &x);
	XML_SetElementHandler(x.xc_parser, xml_start, xml_end);
	XML_SetCharacterDataHandler(x.xc_parser, xml_text);
	XML_SetStartDoctypeDeclHandler(x.xc_parser, xml_doctype);
	XML_SetEntityDeclHandler(x.xc_parser, xml_entity);
	XML_SetParamEntityParsing(x.xc_parser, XML_PARAM_ENTITY_PARSING_NEVER);
	body += skip;
	len -= (size_t)skip;
	ok = XML_Parse(x.xc_parser, XML_ROOT_OPEN, strlen(XML_ROOT_OPEN),
	    0) == XML_STATUS_OK &&
	    XML_Parse(x.xc_parser, body, (int)len, 0) == XML_STATUS_OK &&
	    XML_Parse(x.xc_parser, XML_ROOT_CLOSE, strlen(XML_ROOT_CLOSE),
	    1) == XML_STATUS_OK;
	if (!ok || x.xc_failed) {
		if (x.xc_failed)
			err_set(err, "the XML cannot be read: %s", x.xc_err);
		else
			err_set(err, "the XML is not well-formed (%s near "
			    "byte %lld)", XML_ErrorString(XML_GetErrorCode(
			    x.xc_parser)), (long long)XML_GetCurrentByteIndex(
			    x.xc_parser) - (long long)strlen(XML_ROOT_OPEN) +
			    skip);
	} else if (x.xc_depth != 1 || !xml_blank(&x.xc_stack[0].xf_text)) {
		err_set(err, "the XML has text outside its elements");
	} else if (x.xc_stack[0].xf_text.b_oom) {
		err_set(err, "out of memory");
	} else {
		out = x.xc_stack[0].xf_children != NULL ?
		    x.xc_stack[0].xf_children : json_object();
		x.xc_stack[0].xf_children = NULL;
		if (out == NULL)
			err_set(err, "out of memory");
	}
	for (i = 0; i < x.xc_depth; i++)
		xml_frame_clear(&x.xc_stack[i]);
	XML_ParserFree(x.xc_parser);
	return out;
}

static void
xml_walk_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_ctx	*x = arg;
	char		 why[ERR_MAX];

	if (x->xc_failed)
		return;
	x->xc_depth++;
	why[0] = '\0';
	if (x->xc_open != NULL &&
	    x->xc_open(x->xc_arg, x->xc_depth, name, attrs, why) == -1)
		xml_fail(x, why[0] != '\0' ? why : "refused by its reader");
}

static void
xml_walk_end(void *arg, const XML_Char *name)
{
	struct xml_ctx	*x = arg;
	char		 why[ERR_MAX];

	if (x->xc_failed)
		return;
	why[0] = '\0';
	if (x->xc_close != NULL &&
	    x->xc_close(x->xc_arg, x->xc_depth, name, why) == -1)
		xml_fail(x, why[0] != '\0' ? why : "refused by its reader");
	x->xc_depth--;
}

/*
 * Walk the XML document body (len bytes, one root element): on_open() is
 * called for each element as it starts, with its depth (the root is 1),
 * its name and its attributes (name, value, ..., NULL); on_close() as it
 * ends. Either may be NULL, or return -1 with a reason in its last
 * argument (ERR_MAX bytes) to stop the walk. Text is ignored. No DTD is
 * read, as in xml_parse(). Returns 0, or -1 with a reason in err: the
 * callback's, or expat's description and a byte offset, never the input.
 */
int
xml_walk(const char *body, size_t len, xml_open_fn on_open,
    xml_close_fn on_close, void *arg, char *err)
{
	struct xml_ctx	 x;
	int		 rc = -1;

	if (len > XML_INPUT_MAX) {
		err_set(err, "the XML is larger than %d bytes", XML_INPUT_MAX);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.xc_open = on_open;
	x.xc_close = on_close;
	x.xc_arg = arg;
	/* A whole document: expat reads its declaration and encoding. */
	if ((x.xc_parser = XML_ParserCreate(NULL)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	XML_SetUserData(x.xc_parser, &x);
	XML_SetElementHandler(x.xc_parser, xml_walk_start, xml_walk_end);
	XML_SetStartDoctypeDeclHandler(x.xc_parser, xml_doctype);
	XML_SetEntityDeclHandler(x.xc_parser, xml_entity);
	XML_SetParamEntityParsing(x.xc_parser, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(x.xc_parser, body, (int)len, 1) != XML_STATUS_OK ||
	    x.xc_failed) {
		if (x.xc_failed)
			err_set(err, "%s", x.xc_err);
		else
			err_set(err, "the XML is not well-formed (%s near "
			    "byte %lld)", XML_ErrorString(XML_GetErrorCode(
			    x.xc_parser)), (long long)XML_GetCurrentByteIndex(
			    x.xc_parser));
	} else
		rc = 0;
	XML_ParserFree(x.xc_parser);
	return rc;
}
