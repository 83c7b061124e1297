/*
 * libvirt.c: the only file that speaks libvirt. It lists the domains of
 * one hypervisor, read-only, for the hypervisor cross-check (hvcheck.c):
 * what exists on the node, whatever the panel says.
 *
 * Each call opens its own connection and closes it: the check runs once
 * per snapshot, from a worker thread, and a connection kept open would
 * need libvirt's event loop for its keepalives. libvirt is thread-safe
 * once virInitialize() ran, which happens once (pthread_once). Its
 * default error handler prints every error on stderr; a silent one
 * replaces it, and the message is taken from virGetLastErrorMessage(),
 * which is per thread.
 *
 * A URI may carry credentials ("qemu+ssh://user:pass@host/system"). No
 * error message quotes them: the URI is shown without its user part,
 * and the user part is cut out of libvirt's messages as well.
 *
 * The MACs and disk sources come from the domain's XML, walked with
 * xml_walk() (expat stays in xml.c). That part does not need libvirt and
 * is built, and tested, without it.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include "sightline.h"

/* Where the walk of a domain's XML is. */
struct hyper_walk {
	json_t		*hw_macs;
	json_t		*hw_disks;
	int		 hw_devices;	/* inside <domain><devices> */
	int		 hw_disk;	/* inside a <disk device="disk"> */
	int		 hw_iface;	/* inside an <interface> */
	char		*hw_source;	/* the current disk's source */
};

static const char *
hyper_attr(const char **attrs, const char *name)
{
	size_t	 i;

	for (i = 0; attrs[i] != NULL && attrs[i + 1] != NULL; i += 2)
		if (strcmp(attrs[i], name) == 0)
			return attrs[i + 1];
	return NULL;
}

/*
 * A disk's source as one string: a file or a block device is its path,
 * a storage pool's volume "pool/volume", a network disk its name
 * ("rbd-pool/image"). NULL when the source has none of these (an empty
 * CD-ROM drive, a directory): there is nothing to compare it with.
 */
static char *
hyper_source(const char **attrs)
{
	const char	*v, *pool;
	char		*s;
	size_t		 len;

	if ((v = hyper_attr(attrs, "file")) != NULL ||
	    (v = hyper_attr(attrs, "dev")) != NULL)
		return strdup(v);
	if ((pool = hyper_attr(attrs, "pool")) != NULL &&
	    (v = hyper_attr(attrs, "volume")) != NULL) {
		len = strlen(pool) + 1 + strlen(v) + 1;
		if ((s = malloc(len)) != NULL)
			snprintf(s, len, "%s/%s", pool, v);
		return s;
	}
	if ((v = hyper_attr(attrs, "name")) != NULL)
		return strdup(v);
	return NULL;
}

/* Add mac to macs in its canonical lowercase form. */
static int
hyper_add_mac(json_t *macs, const char *mac, char *err)
{
	char	 canon[ADDR_MAC_LEN + 1];

	if (addr_mac_canon(mac, canon) == -1) {
		err_set(err, "an interface's MAC address is not one");
		return -1;
	}
	if (json_array_append_new(macs, json_string(canon)) == -1) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Only what sits where libvirt's schema puts it counts: a <source> or a
 * <mac> right inside a device that is right inside <domain><devices>.
 * A disk's backing chain (<backingStore><source>) and the sources of
 * other devices are not the domain's disks.
 */
static int
hyper_open(void *arg, int depth, const char *name, const char **attrs,
    char *err)
{
	struct hyper_walk	*w = arg;
	const char		*device, *mac;

	if (depth == 1 && strcmp(name, "domain") != 0) {
		err_set(err, "the XML is not a domain's");
		return -1;
	}
	if (depth == 2 && strcmp(name, "devices") == 0)
		w->hw_devices = 1;
	else if (depth == 3 && w->hw_devices) {
		if (strcmp(name, "disk") == 0) {
			/* libvirt's default device is "disk". */
			device = hyper_attr(attrs, "device");
			w->hw_disk = device == NULL ||
			    strcmp(device, "disk") == 0;
		} else if (strcmp(name, "interface") == 0)
			w->hw_iface = 1;
	} else if (depth == 4 && w->hw_disk && w->hw_source == NULL &&
	    strcmp(name, "source") == 0) {
		w->hw_source = hyper_source(attrs);
	} else if (depth == 4 && w->hw_iface && strcmp(name, "mac") == 0 &&
	    (mac = hyper_attr(attrs, "address")) != NULL)
		return hyper_add_mac(w->hw_macs, mac, err);
	return 0;
}

static int
hyper_close(void *arg, int depth, const char *name, char *err)
{
	struct hyper_walk	*w = arg;
	json_t			*s;

	if (depth == 2)
		w->hw_devices = 0;
	else if (depth == 3) {
		if (w->hw_disk && w->hw_source != NULL) {
			s = json_string(w->hw_source);
			if (s == NULL) {
				err_set(err, "a disk source that is not UTF-8");
				return -1;
			}
			if (json_array_append_new(w->hw_disks, s) == -1) {
				err_set(err, "out of memory");
				return -1;
			}
		}
		free(w->hw_source);
		w->hw_source = NULL;
		w->hw_disk = w->hw_iface = 0;
	}
	return 0;
}

/*
 * Read a domain's XML (len bytes) and set "macs" (lowercase, sorted,
 * unique) and "disks" (sorted) in dom: the MAC addresses of its
 * interfaces, the sources of its <disk device="disk"> elements. Returns
 * 0, or -1 with a reason that quotes nothing of the XML.
 */
int
hyper_devices(const char *xml, size_t len, json_t *dom, char *err)
{
	struct hyper_walk	 w;
	char			 why[ERR_MAX];
	int			 rc = -1;

	if (len > HYPER_XML_MAX) {
		err_set(err, "the domain's XML is larger than %d bytes",
		    HYPER_XML_MAX);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	if ((w.hw_macs = json_array()) == NULL ||
	    (w.hw_disks = json_array()) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	if (xml_walk(xml, len, hyper_open, hyper_close, &w, why) == -1) {
		err_set(err, "the domain's XML: %s", why);
		goto done;
	}
	if (strings_sort(w.hw_macs, 1) == -1 ||
	    strings_sort(w.hw_disks, 0) == -1 ||
	    json_object_set(dom, "macs", w.hw_macs) == -1 ||
	    json_object_set(dom, "disks", w.hw_disks) == -1) {
		err_set(err, "out of memory");
		goto done;
	}
	rc = 0;
done:
	free(w.hw_source);
	json_decref(w.hw_macs);
	json_decref(w.hw_disks);
	return rc;
}

/*
 * The URI as it may be shown: without the user part of its authority
 * ("qemu+ssh://ro:pw@hv01/system" is "qemu+ssh://hv01/system"). The user
 * part itself goes into user (may be empty), for hyper_error().
 */
void
hyper_uri_display(const char *uri, char *out, size_t outlen, char *user,
    size_t userlen)
{
	const char	*auth, *end, *at;

	user[0] = '\0';
	if ((auth = strstr(uri, "://")) == NULL) {
		strlcpy(out, uri, outlen);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at == auth) {
		strlcpy(out, uri, outlen);
		return;
	}
	/* The user part: from auth to the last '@' before the path. */
	snprintf(user, userlen, "%.*s", (int)(at - 1 - auth), auth);
	snprintf(out, outlen, "%.*s%s", (int)(auth - uri), uri, at);
}

#ifdef HAVE_LIBVIRT

static pthread_once_t	 hyper_once = PTHREAD_ONCE_INIT;
static int		 hyper_init_rc;

static void
hyper_quiet(void *arg, virErrorPtr e)
{
	/* The caller reports the error, with its own context. */
}

static void
hyper_init(void)
{
	hyper_init_rc = virInitialize();
	virSetErrorFunc(NULL, hyper_quiet);
}

/*
 * libvirt's last error on this thread into err, after prefix, with the
 * URI's user part cut out wherever libvirt quoted it: "user:pass@" and
 * the password alone. Only its first line: the next ones quote the XML
 * libvirt could not parse, with a caret under the spot.
 */
static void
hyper_error(char *err, const char *user, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
hyper_error(char *err, const char *user, const char *fmt, ...)
{
	struct buf	 b;
	const char	*p = virGetLastErrorMessage(), *pw;
	char		 prefix[ERR_MAX];
	size_t		 ulen = strlen(user), pwlen = 0;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if ((pw = strchr(user, ':')) != NULL)
		pwlen = strlen(++pw);
	buf_init(&b);
	while (*p != '\0' && *p != '\n') {
		if (ulen > 0 && strncmp(p, user, ulen) == 0 && p[ulen] == '@')
			p += ulen + 1;
		else if (pwlen > 0 && strncmp(p, pw, pwlen) == 0) {
			buf_addstr(&b, "(password)");
			p += pwlen;
		} else
			buf_add(&b, p++, 1);
	}
	buf_add(&b, "", 1);
	err_set(err, "%s: %s", prefix, b.b_oom ? "out of memory" : b.b_data);
	buf_free(&b);
}

static const char *
hyper_state(int state)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING:
		return "running";
	case VIR_DOMAIN_BLOCKED:
		return "blocked";
	case VIR_DOMAIN_PAUSED:
		return "paused";
	case VIR_DOMAIN_SHUTDOWN:
		return "shutdown";
	case VIR_DOMAIN_SHUTOFF:
		return "shutoff";
	case VIR_DOMAIN_CRASHED:
		return "crashed";
	case VIR_DOMAIN_PMSUSPENDED:
		return "pmsuspended";
	default:
		return "nostate";
	}
}

/* A domain that was undefined between the listing and now. */
static int
hyper_vanished(void)
{
	virErrorPtr	 e = virGetLastError();

	return e != NULL && e->code == VIR_ERR_NO_DOMAIN;
}

/*
 * One domain as hyper_list() describes it into *out (new), or NULL with
 * *out NULL when it vanished meanwhile. Returns 0, or -1 with a reason.
 */
static int
hyper_domain(virDomainPtr d, const char *shown, const char *user,
    json_t **out, char *err)
{
	char		 uuid[VIR_UUID_STRING_BUFLEN], why[ERR_MAX];
	const char	*name;
	char		*xml = NULL;
	json_t		*dom = NULL;
	int		 state, reason, rc = -1;
	size_t		 i;

	*out = NULL;
	if (virDomainGetUUIDString(d, uuid) == -1) {
		hyper_error(err, user, "hypervisor %s: a domain's UUID", shown);
		return -1;
	}
	for (i = 0; uuid[i] != '\0'; i++)
		uuid[i] = (char)tolower((unsigned char)uuid[i]);
	if ((name = virDomainGetName(d)) == NULL) {
		hyper_error(err, user, "hypervisor %s: domain %s: its name",
		    shown, uuid);
		return -1;
	}
	if (virDomainGetState(d, &state, &reason, 0) == -1) {
		if (hyper_vanished())
			return 0;
		hyper_error(err, user, "hypervisor %s: domain %s: its state",
		    shown, uuid);
		return -1;
	}
	if ((xml = virDomainGetXMLDesc(d, 0)) == NULL) {
		if (hyper_vanished())
			return 0;
		hyper_error(err, user, "hypervisor %s: domain %s: its XML",
		    shown, uuid);
		return -1;
	}
	dom = json_pack("{s:s, s:s, s:s}", "uuid", uuid, "name", name,
	    "state", hyper_state(state));
	if (dom == NULL) {
		err_set(err, "hypervisor %s: domain %s: a name that is not "
		    "UTF-8, or out of memory", shown, uuid);
		goto done;
	}
	if (hyper_devices(xml, strlen(xml), dom, why) == -1) {
		err_set(err, "hypervisor %s: domain %s: %s", shown, uuid, why);
		goto done;
	}
	*out = dom;
	dom = NULL;
	rc = 0;
done:
	free(xml);
	json_decref(dom);
	return rc;
}

static int
hyper_by_uuid(const void *a, const void *b)
{
	const json_t	*x = *(const json_t *const *)a;
	const json_t	*y = *(const json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "uuid")),
	    json_string_value(json_object_get(y, "uuid")));
}

/* Sort an array of domains by uuid, in place. */
static int
hyper_sort(json_t *arr)
{
	return array_sort(arr, hyper_by_uuid);
}

/*
 * List every domain, active and inactive, of the hypervisor at uri,
 * opened read-only. Blocking. Sets *domains to a new array sorted by
 * uuid of {"uuid", "name", "state", "macs", "disks"}. Returns 0, or -1
 * with a reason that quotes no credentials of the URI.
 */
int
hyper_list(const char *uri, json_t **domains, char *err)
{
	char		 shown[ERR_MAX], user[ERR_MAX];
	virConnectPtr	 conn = NULL;
	virDomainPtr	*doms = NULL;
	json_t		*out = NULL, *dom;
	int		 n = 0, i, rc = -1;

	*domains = NULL;
	if (uri == NULL || *uri == '\0') {
		/* libvirt would pick a hypervisor by itself. */
		err_set(err, "no hypervisor URI");
		return -1;
	}
	hyper_uri_display(uri, shown, sizeof(shown), user, sizeof(user));
	pthread_once(&hyper_once, hyper_init);
	if (hyper_init_rc == -1) {
		hyper_error(err, user, "cannot initialize libvirt");
		return -1;
	}
	if ((conn = virConnectOpenReadOnly(uri)) == NULL) {
		hyper_error(err, user, "cannot connect to hypervisor %s", shown);
		goto done;
	}
	if ((n = virConnectListAllDomains(conn, &doms, 0)) == -1) {
		hyper_error(err, user, "hypervisor %s: cannot list its domains",
		    shown);
		n = 0;
		goto done;
	}
	if (n > HYPER_DOMAINS_MAX) {
		err_set(err, "hypervisor %s: more than %d domains", shown,
		    HYPER_DOMAINS_MAX);
		goto done;
	}
	if ((out = json_array()) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (hyper_domain(doms[i], shown, user, &dom, err) == -1)
			goto done;
		if (dom != NULL && json_array_append_new(out, dom) == -1) {
			err_set(err, "out of memory");
			goto done;
		}
	}
	if (hyper_sort(out) == -1) {
		err_set(err, "out of memory");
		goto done;
	}
	*domains = out;
	out = NULL;
	rc = 0;
done:
	for (i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	json_decref(out);
	if (conn != NULL)
		virConnectClose(conn);
	return rc;
}

#else /* !HAVE_LIBVIRT */

int
hyper_list(const char *uri, json_t **domains, char *err)
{
	*domains = NULL;
	err_set(err, "sightline was built without libvirt: install "
	    "libvirt-dev and run ./configure again");
	return -1;
}

#endif /* HAVE_LIBVIRT */
