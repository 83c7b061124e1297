/*
 * test_conf.c: proxy/conf.c, the configuration file. Each case writes a
 * sightline.conf into a fresh directory under /tmp, loads it with
 * conf_load() and checks either what was loaded or that the error text
 * holds a line "file: key.path: reason" for the problem planted.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sightline.h"
#include "tap.h"

#define TOKEN_HEX	"9f86d081884c7d659a2feaa0c55ad015" \
			"a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define PVE_SECRET	"auditor@pve!sightline=00000000-1111-2222-3333-" \
			"444444444444"
#define FINGERPRINT	"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:" \
			"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

/*
 * The pieces of a valid configuration. A Lua table constructor lets a
 * later field win, so X_WITH("url = ...") replaces one field.
 */
/* SHA-256 of "other", a second hoster's token. */
#define OTHER_HEX	"d9298a10d1b0735837dc4bd85dac641b" \
			"0f3cef27a47e5d53a54f2f3f5b2fcffa"
#define OTHER_HEX_UPPER	"D9298A10D1B0735837DC4BD85DAC641B" \
			"0F3CEF27A47E5D53A54F2F3F5B2FCFFA"
#define LISTEN_OK	"listen = { { address = \"127.0.0.1\", " \
			"port = 8443 } }\n"
#define LISTEN_WITH(x)	"listen = { { address = \"127.0.0.1\", port = 8443, " \
			x " } }\n"
#define TLS_OK		"tls = { certificate = \"cert.pem\", " \
			"key = \"key.pem\" }\n"
#define HOSTERS_OK	"hosters = { { name = \"acme\", token_sha256 = \"" \
			TOKEN_HEX "\" } }\n"
#define HOSTERS_WITH(x)	"hosters = { { name = \"acme\", token_sha256 = \"" \
			TOKEN_HEX "\", " x " } }\n"
#define PANEL_FIELDS	"name = \"pve1\", plugin = \"proxmox\", " \
			"url = \"https://pve.example.net:8006/\", " \
			"credentials = \"pve.token\", policy = \"policy.lua\""
#define PANELS_OK	"panels = { { " PANEL_FIELDS " } }\n"
#define VZ_FIELDS	"name = \"vz\", plugin = \"virtualizor\", " \
			"url = \"https://vz.example.net:4085\", " \
			"credentials = \"vz.cred\", policy = \"policy.lua\""
#define PANELS_WITH(x)	"panels = { { " PANEL_FIELDS ", " x " } }\n"
#define KEYS_OK		"keys = { signing = \"t.skey\", secret = \"t.secret\" }\n"
#define SNAPSHOTS_OK	"snapshots = { state = \"state\" }\n"
#define BASE		LISTEN_OK TLS_OK HOSTERS_OK	/* load() adds KEYS_OK */
#define VALID		BASE PANELS_OK

#define SKEY		"PRIVATE+KEY+test+31b2a98e+" \
			"AZ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"
#define SECRET		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* Thirty-two list positions: the sandbox's nesting limit. */
#define R8		"[1][1][1][1][1][1][1][1]"
#define R32		R8 R8 R8 R8

static char	 tmpdir[] = "/tmp/sightline-test-conf.XXXXXX";
static char	 confpath[PATH_MAX];

/* The files a configuration points at, written once in tmpdir. */
static const struct {
	const char	*name;
	const char	*data;
	mode_t		 mode;
} files[] = {
	{ "cert.pem", "not checked here\n", 0644 },
	{ "c", "not checked here\n", 0644 },
	{ "sub/cert.pem", "not checked here\n", 0644 },
	{ "key.pem", "not checked here\n", 0600 },
	{ "key-open.pem", "not checked here\n", 0644 },
	{ "ca.pem", "not checked here\n", 0644 },
	{ "pve.token", PVE_SECRET "\nsecond line ignored\n", 0600 },
	{ "pve-open.token", PVE_SECRET "\n", 0644 },
	{ "pve-bad.token", "just-a-password\n", 0600 },
	{ "pve-crlf.token", PVE_SECRET "\r\n", 0600 },
	{ "sub/sightline.conf", "", 0600 },
	{ "sub/pve.token", PVE_SECRET "\n", 0600 },
	/* The RFC 9421 test key, named "test" (key id 31b2a98e). */
	{ "t.skey", SKEY "\n", 0600 },
	{ "sub/t.skey", SKEY "\n", 0600 },
	{ "t.secret", SECRET "\n", 0600 },
	{ "sub/t.secret", SECRET "\n", 0600 },
	{ "t-open.skey", SKEY "\n", 0644 },
	{ "t-open.secret", SECRET "\n", 0640 },
	{ "t-badid.skey", "PRIVATE+KEY+test+31b2a98f+"
	  "AZ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n", 0600 },
	{ "t-short.skey", "PRIVATE+KEY+test+31b2a98e+AZ+DYvh6SEqVTm50\n",
	  0600 },
	{ "t-type.skey", "PRIVATE+KEY+test+31b2a98e+"
	  "Ap+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n", 0600 },
	{ "t-garbage.skey", "\x01\x02garbage\xff\n", 0600 },
	{ "t-vkey.skey", "test+31b2a98e+"
	  "ASa0C4+T//PYlxEvfrxYKyMtvXJRfQgv6Dz7MN3OQ9G7\n", 0600 },
	{ "t-short.secret", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
	  0600 },
	{ "t-garbage.secret", "not base64 at all!\n", 0600 },
	{ "vz.cred", "adminapikey=key&adminapipass=pass\n", 0600 },
};

static int
setup(void)
{
	char	 path[PATH_MAX];
	size_t	 i;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	if (mkdir(path, 0700) == -1)
		return -1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i].name);
		if (tap_write_file(path, files[i].data, strlen(files[i].data),
		    files[i].mode) == -1)
			return -1;
	}
	snprintf(confpath, sizeof(confpath), "%s/sightline.conf", tmpdir);
	return 0;
}

static void
teardown(void)
{
	char	 path[PATH_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i].name);
		unlink(path);
	}
	unlink(confpath);
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	rmdir(path);
	rmdir(tmpdir);
}

/*
 * Write text as the configuration at path and load it. Every case gets
 * the valid keys appended unless it names "keys" itself: a case is about
 * one thing, and the keys are required.
 */
static struct conf *
load_at(const char *path, const char *text, size_t len, char **errors)
{
	char	*full;
	int	 rc;

	*errors = NULL;
	if (asprintf(&full, "%.*s\n%s%s", (int)len, text,
	    memmem(text, len, "keys", 4) != NULL ? "" : KEYS_OK,
	    memmem(text, len, "snapshots", 9) != NULL ? "" : SNAPSHOTS_OK) ==
	    -1)
		return NULL;
	rc = tap_write_file(path, full, strlen(full), 0600);
	free(full);
	if (rc == -1) {
		tap_diag("write %s: %s", path, strerror(errno));
		return NULL;
	}
	return conf_load(path, errors);
}

static struct conf *
load(const char *text, char **errors)
{
	return load_at(confpath, text, strlen(text), errors);
}

static size_t
count_lines(const char *s)
{
	size_t	 n = 1;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/*
 * Does errors hold a line that starts with head and contains reason? The
 * line must match on both, so a reason given for another key fails.
 */
static int
has_line(const char *errors, const char *head, const char *reason)
{
	const char	*line, *end;
	size_t		 hlen = strlen(head), rlen = strlen(reason), n;

	if (errors == NULL)
		return 0;
	for (line = errors; *line != '\0'; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		n = (size_t)(end - line);
		if (n < hlen || strncmp(line, head, hlen) != 0)
			continue;
		for (; (size_t)(end - line) >= rlen; line++)
			if (strncmp(line, reason, rlen) == 0)
				return 1;
	}
	return 0;
}

/*
 * "file: keypath: "; with a NULL key path just "file", which Lua follows
 * with ":line: " or ": " itself.
 */
static void
head_for(char *out, size_t len, const char *file, const char *keypath)
{
	if (keypath == NULL)
		snprintf(out, len, "%s", file);
	else
		snprintf(out, len, "%s: %s: ", file, keypath);
}

/*
 * A configuration that must be refused with a line naming keypath and
 * reason; nerr, when not 0, is the number of lines expected in all.
 */
static void
refused(const char *what, const char *text, const char *keypath,
    const char *reason, size_t nerr)
{
	struct conf	*cf;
	char		*errors;
	char		 head[PATH_MAX + 256];

	cf = load(text, &errors);
	head_for(head, sizeof(head), confpath, keypath);
	if (!tap_ok(cf == NULL && has_line(errors, head, reason),
	    "%s: %s%s%s", what, keypath != NULL ? keypath : "",
	    keypath != NULL && keypath[0] != '\0' ? ": " : "", reason)) {
		tap_diag("config:\n%s", text);
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
	}
	if (nerr != 0 && !tap_int((long long)count_lines(errors),
	    (long long)nerr, "  and nothing else is reported"))
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
	conf_free(cf);
	free(errors);
}

/* A configuration that must load. */
static void
accepted(const char *what, const char *text)
{
	struct conf	*cf;
	char		*errors;

	cf = load(text, &errors);
	if (!tap_ok(cf != NULL && errors == NULL, "%s", what)) {
		tap_diag("config:\n%s", text);
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
	}
	conf_free(cf);
	free(errors);
}

static void
test_valid(void)
{
	struct conf		*cf;
	struct conf_panel	*pc;
	char			*errors;
	char			 want[PATH_MAX];
	uint8_t			 token[SHA256_LEN];

	cf = load(VALID, &errors);
	if (!tap_ok(cf != NULL && errors == NULL,
	    "a minimal valid configuration loads")) {
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
		free(errors);
		return;
	}
	tap_str(cf->cf_path, confpath, "cf_path is the file loaded");
	tap_int((long long)cf->cf_nlisten, 1, "one listen address");
	tap_str(cf->cf_listen[0].li_address, "127.0.0.1", "listen address");
	tap_int(cf->cf_listen[0].li_port, 8443, "listen port");
	tap_int(cf->cf_listen[0].li_tls, 1, "listen uses TLS by default");
	snprintf(want, sizeof(want), "%s/cert.pem", tmpdir);
	tap_str(cf->cf_tls_cert, want,
	    "tls.certificate is resolved against the file's directory");
	snprintf(want, sizeof(want), "%s/key.pem", tmpdir);
	tap_str(cf->cf_tls_key, want, "tls.key is resolved likewise");
	tap_str(cf->cf_client_ca, NULL, "no client_ca unless given");

	tap_int((long long)cf->cf_nhosters, 1, "one hoster");
	tap_str(cf->cf_hosters[0].ho_name, "acme", "hoster name");
	tap_int(cf->cf_hosters[0].ho_has_token, 1, "hoster has a token");
	hex_decode(TOKEN_HEX, token, sizeof(token), 0);
	tap_ok(memcmp(cf->cf_hosters[0].ho_token, token, SHA256_LEN) == 0,
	    "token_sha256 is decoded to bytes");
	tap_str(cf->cf_hosters[0].ho_pve_token_id, NULL, "no pve_token_id");
	tap_str(cf->cf_hosters[0].ho_cert_cn, NULL, "no cert_cn");

	tap_int((long long)cf->cf_npanels, 1, "one panel");
	pc = &cf->cf_panels[0];
	tap_str(pc->pc_name, "pve1", "panel name");
	tap_ok(pc->pc_plugin == &plugin_proxmox, "panel plugin is proxmox");
	tap_str(pc->pc_url, "https://pve.example.net:8006",
	    "the url loses its trailing slash");
	snprintf(want, sizeof(want), "%s/pve.token", tmpdir);
	tap_str(pc->pc_credentials, want, "credentials path is resolved");
	tap_str(pc->pc_secret, PVE_SECRET,
	    "the secret is the credentials file's first line");
	snprintf(want, sizeof(want), "%s/policy.lua", tmpdir);
	tap_str(pc->pc_policy, want, "policy path is resolved");
	tap_str(pc->pc_ca_file, NULL, "no ca_file unless given");
	tap_int(pc->pc_pinned, 0, "not pinned unless given a fingerprint");
	tap_ok(pc->pc_min_refresh == PANEL_MIN_REFRESH,
	    "min_refresh_interval default");
	tap_int(pc->pc_concurrency, UPSTREAM_CONCURRENCY,
	    "concurrency default");
	tap_ok(pc->pc_connect_timeout == UPSTREAM_CONNECT_TIMEOUT,
	    "connect_timeout default");
	tap_ok(pc->pc_timeout == UPSTREAM_TRANSFER_TIMEOUT, "timeout default");
	tap_int((long long)pc->pc_max_body, UPSTREAM_BODY,
	    "max_body_bytes default");
	tap_int((long long)pc->pc_max_records, PANEL_RECORDS,
	    "max_records default");
	tap_ok(json_is_object(pc->pc_options) &&
	    json_object_size(pc->pc_options) == 0,
	    "options default to an empty object");

	tap_int((long long)cf->cf_max_connections, FRONT_CONNECTIONS,
	    "limits.max_connections default");
	tap_int((long long)cf->cf_max_header_bytes, FRONT_HEADER_BYTES,
	    "limits.max_header_bytes default");
	tap_int((long long)cf->cf_max_uri_bytes, FRONT_URI_BYTES,
	    "limits.max_uri_bytes default");
	tap_ok(cf->cf_idle_timeout == FRONT_IDLE_TIMEOUT,
	    "limits.idle_timeout default");
	tap_ok(cf->cf_request_timeout == FRONT_REQUEST_TIMEOUT,
	    "limits.request_timeout default");
	tap_int((long long)cf->cf_policy_memory, POLICY_MEMORY,
	    "limits.policy_memory default");
	tap_int((long long)cf->cf_policy_instructions, POLICY_INSTRUCTIONS,
	    "limits.policy_instructions default");
	{
		long	 n = sysconf(_SC_NPROCESSORS_ONLN);

		tap_int(cf->cf_sign_threads, n <= 1 ? 0 : n - 1 > SIGNER_THREADS ?
		    SIGNER_THREADS : n - 1,
		    "limits.sign_threads default: CPUs - 1, at most 4");
	}
	tap_str(cf->cf_log, "stderr", "log defaults to stderr");
	snprintf(want, sizeof(want), "%s/state", tmpdir);
	tap_str(cf->cf_state, want, "snapshots.state is resolved");
	tap_ok(cf->cf_snapshot_interval == SNAPSHOT_INTERVAL,
	    "snapshots.interval default");
	tap_str(cf->cf_origin, NULL, "no origin unless given");
	tap_int(cf->cf_keep_days, 0, "keep_days default: every record");
	conf_free(cf);
	conf_free(NULL);	/* does nothing; a crash fails the test */
}

static void
test_full(void)
{
	struct conf		*cf;
	uint8_t			 other[SHA256_LEN];
	struct conf_panel	*pc;
	char			*errors;
	uint8_t			 fp[SHA256_LEN];

	cf = load(
	    "-- Every key sightline.conf(5) knows, set away from its default.\n"
	    "listen = {\n"
	    "  { address = \"::\", port = 443 },\n"
	    "  { address = \"::1\", port = 8080, tls = false },\n"
	    "  { address = \"127.0.0.2\", port = 8081.0, tls = false },\n"
	    "}\n"
	    "tls = { certificate = \"/dev/null\", key = \"key.pem\",\n"
	    "  client_ca = \"ca.pem\" }\n"
	    "limits = { max_connections = 10, max_header_bytes = 1024,\n"
	    "  max_uri_bytes = 256, idle_timeout = 1.5,\n"
	    "  request_timeout = 300,\n"
	    "  policy_memory = 262144, policy_instructions = 10000,\n"
	    "  sign_threads = 7 }\n"
	    "hosters = {\n"
	    "  { name = \"acme\", token_sha256 = \"" TOKEN_HEX "\",\n"
	    "    pve_token_id = \"noc@pve!sightline\" },\n"
	    "  { name = \"beta.example_1@x-y\", cert_cn = \"beta\" },\n"
	    "  { name = \"upper\", token_sha256 =\n"
	    "    \"" OTHER_HEX_UPPER "\" },\n"
	    "}\n"
	    "panels = {\n"
	    "  { name = \"pve-1\", plugin = \"proxmox\",\n"
	    "    url = \"http://[::1]:8006///\",\n"
	    "    credentials = \"pve-crlf.token\",\n"
	    "    fingerprint = \"" FINGERPRINT "\",\n"
	    "    policy = \"/p/policy.lua\",\n"
	    "    min_refresh_interval = 0,\n"
	    "    concurrency = 256, connect_timeout = 0.1, timeout = 900,\n"
	    "    max_body_bytes = 4096, max_records = 1000000,\n"
	    "    options = { owner = \"tag:owner-\" } },\n"
	    "  { name = \"p0\", plugin = \"proxmox\",\n"
	    "    url = \"http://localhost\",\n"
	    "    credentials = \"pve.token\", ca_file = \"ca.pem\",\n"
	    "    policy = \"policy.lua\", options = {} },\n"
	    "  { name = \"vz\", plugin = \"virtualizor\",\n"
	    "    url = \"https://vz.example.net:4085\",\n"
	    "    credentials = \"vz.cred\", policy = \"policy.lua\",\n"
	    "    hypervisors = {\n"
	    "      { node = \"hv01\", uri = \"qemu+ssh://ro@hv01/system\" },\n"
	    "      { node = \"hv02\", uri = \"test:///tmp/hv02.xml\" } } },\n"
	    "}\n"
	    "log = \"/var/log/sightline.log\"\n"
	    "snapshots = { state = \"/var/lib/sightline\", interval = 10,\n"
	    "    origin = \"example.net/reseller-log\", keep_days = 36500,\n"
	    "    hypervisor_timeout = 3600 }\n",
	    &errors);
	if (!tap_ok(cf != NULL && errors == NULL,
	    "a configuration using every key loads")) {
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
		free(errors);
		return;
	}
	tap_int((long long)cf->cf_nlisten, 3, "three listen addresses");
	tap_ok(cf->cf_listen[0].li_tls && !cf->cf_listen[1].li_tls &&
	    !cf->cf_listen[2].li_tls, "tls = false is read per address");
	tap_int(cf->cf_listen[2].li_port, 8081, "port 8081.0 is 8081");
	tap_str(cf->cf_tls_cert, "/dev/null",
	    "an absolute path is kept as it is");
	tap_ok(cf->cf_client_ca != NULL &&
	    strncmp(cf->cf_client_ca, tmpdir, strlen(tmpdir)) == 0,
	    "client_ca is resolved");
	tap_int((long long)cf->cf_max_connections, 10, "max_connections");
	tap_int((long long)cf->cf_max_header_bytes, 1024, "max_header_bytes");
	tap_int((long long)cf->cf_max_uri_bytes, 256, "max_uri_bytes");
	tap_ok(cf->cf_idle_timeout == 1.5, "idle_timeout takes a fraction");
	tap_ok(cf->cf_request_timeout == 300, "request_timeout");
	tap_int((long long)cf->cf_policy_memory, 262144, "policy_memory");
	tap_int((long long)cf->cf_policy_instructions, 10000,
	    "policy_instructions");
	tap_int(cf->cf_sign_threads, 7, "sign_threads");
	tap_int((long long)cf->cf_nhosters, 3, "three hosters");
	tap_str(cf->cf_hosters[0].ho_pve_token_id, "noc@pve!sightline",
	    "pve_token_id");
	tap_str(cf->cf_hosters[1].ho_cert_cn, "beta", "cert_cn");
	tap_int(cf->cf_hosters[1].ho_has_token, 0,
	    "a certificate hoster has no token");
	tap_ok(hex_decode(OTHER_HEX, other, SHA256_LEN, 0) == 0 &&
	    memcmp(other, cf->cf_hosters[2].ho_token, SHA256_LEN) == 0,
	    "token_sha256 is read in either case");
	tap_int((long long)cf->cf_npanels, 3, "three panels");
	tap_ok(cf->cf_hyper_timeout == 3600, "snapshots.hypervisor_timeout");
	tap_ok(cf->cf_nhypers == 2 && cf->cf_panels[2].pc_nhypers == 2 &&
	    cf->cf_panels[0].pc_nhypers == 0, "two hypervisors, of vz");
	tap_str(cf->cf_panels[2].pc_hypers[1].hy_node, "hv02",
	    "a hypervisor's node");
	tap_str(cf->cf_panels[2].pc_hypers[1].hy_uri, "test:///tmp/hv02.xml",
	    "its URI, as it is");
	pc = &cf->cf_panels[0];
	tap_str(pc->pc_url, "http://[::1]:8006",
	    "http to [::1] is allowed and every trailing slash goes");
	tap_str(pc->pc_secret, PVE_SECRET, "a CRLF after the secret is cut");
	hex_decode(FINGERPRINT, fp, sizeof(fp), 1);
	tap_ok(pc->pc_pinned && memcmp(pc->pc_fingerprint, fp,
	    SHA256_LEN) == 0, "the fingerprint is decoded and pinned");
	tap_str(pc->pc_policy, "/p/policy.lua", "absolute policy path kept");
	tap_str(cf->cf_state, "/var/lib/sightline", "snapshots.state");
	tap_ok(cf->cf_snapshot_interval == 10, "snapshots.interval");
	tap_str(cf->cf_origin, "example.net/reseller-log", "snapshots.origin");
	tap_int(cf->cf_keep_days, 36500, "snapshots.keep_days");
	tap_ok(pc->pc_min_refresh == 0 &&
	    pc->pc_concurrency == 256 && pc->pc_connect_timeout == 0.1 &&
	    pc->pc_timeout == 900 && pc->pc_max_body == 4096 &&
	    pc->pc_max_records == 1000000,
	    "every panel number at the edge of its range is taken");
	tap_str(json_string_value(json_object_get(pc->pc_options, "owner")),
	    "tag:owner-", "plugin options are kept");
	pc = &cf->cf_panels[1];
	tap_str(pc->pc_url, "http://localhost", "http to localhost is allowed");
	tap_ok(pc->pc_ca_file != NULL && !pc->pc_pinned,
	    "ca_file alone is fine");
	tap_ok(json_is_object(pc->pc_options), "options = {} is an object");
	tap_str(cf->cf_log, "/var/log/sightline.log", "log to a file");
	conf_free(cf);

	accepted("log = \"syslog\" is accepted", VALID "log = \"syslog\"\n");
	accepted("a plain listener alone needs no tls table",
	    "listen = { { address = \"127.0.0.1\", port = 80, tls = false } }\n"
	    HOSTERS_OK PANELS_OK);
	accepted("http://127.0.0.1 is allowed",
	    BASE PANELS_WITH("url = \"http://127.0.0.1:8006\""));
	accepted("http://127.1.2.3 (all of 127/8) is allowed",
	    BASE PANELS_WITH("url = \"http://127.1.2.3/\""));
	accepted("a 64-digit fingerprint without colons is accepted",
	    BASE PANELS_WITH("fingerprint = \"" TOKEN_HEX "\""));
	accepted("Lua code that computes values is fine",
	    "local port = 8000 + 443\n"
	    "listen = { { address = \"127.0.0.1\", port = port } }\n"
	    TLS_OK HOSTERS_OK
	    "panels = {}\n"
	    "for i = 1, 3 do\n"
	    "  panels[i] = { name = \"pve\" .. i, plugin = \"proxmox\",\n"
	    "    url = \"https://pve\" .. i .. \".example.net\",\n"
	    "    credentials = \"pve.token\", policy = \"p.lua\" }\n"
	    "end\n");
}

/* Relative paths follow the configuration file, wherever it is. */
static void
test_paths(void)
{
	struct conf	*cf;
	char		*errors, path[PATH_MAX], want[PATH_MAX], cwd[PATH_MAX];
	const char	*text = LISTEN_OK
	    "tls = { certificate = \"cert.pem\", key = \"../key.pem\" }\n"
	    HOSTERS_OK
	    "panels = { { name = \"pve1\", plugin = \"proxmox\",\n"
	    "  url = \"https://pve.example.net\",\n"
	    "  credentials = \"pve.token\",\n"
	    "  ca_file = \"../ca.pem\", policy = \"policies/p.lua\" } }\n";

	snprintf(path, sizeof(path), "%s/sub/sightline.conf", tmpdir);
	cf = load_at(path, text, strlen(text), &errors);
	if (!tap_ok(cf != NULL, "a configuration in a subdirectory loads")) {
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
		free(errors);
		return;
	}
	snprintf(want, sizeof(want), "%s/sub/cert.pem", tmpdir);
	tap_str(cf->cf_tls_cert, want, "certificate is next to the file");
	snprintf(want, sizeof(want), "%s/sub/../key.pem", tmpdir);
	tap_str(cf->cf_tls_key, want, "../key.pem is relative to the file");
	snprintf(want, sizeof(want), "%s/sub/pve.token", tmpdir);
	tap_str(cf->cf_panels[0].pc_credentials, want,
	    "credentials are read next to the file");
	snprintf(want, sizeof(want), "%s/sub/../ca.pem", tmpdir);
	tap_str(cf->cf_panels[0].pc_ca_file, want, "ca_file likewise");
	snprintf(want, sizeof(want), "%s/sub/policies/p.lua", tmpdir);
	tap_str(cf->cf_panels[0].pc_policy, want, "policy likewise");
	conf_free(cf);

	/* A relative configuration path keeps its paths relative. */
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmpdir) == -1) {
		tap_ok(0, "chdir %s: %s", tmpdir, strerror(errno));
		return;
	}
	cf = load_at("sub/sightline.conf", text, strlen(text), &errors);
	tap_ok(cf != NULL && strcmp(cf->cf_tls_key, "sub/../key.pem") == 0 &&
	    strcmp(cf->cf_panels[0].pc_credentials, "sub/pve.token") == 0,
	    "a relative configuration path gives paths relative to it");
	conf_free(cf);
	free(errors);
	cf = load_at("sightline.conf", VALID, strlen(VALID), &errors);
	tap_ok(cf != NULL && strcmp(cf->cf_tls_key, "./key.pem") == 0 &&
	    strcmp(cf->cf_panels[0].pc_credentials, "./pve.token") == 0,
	    "a bare configuration name resolves against \".\"");
	conf_free(cf);
	free(errors);
	if (chdir(cwd) == -1)
		tap_diag("chdir %s: %s", cwd, strerror(errno));
}

/* One refused configuration each: the text, the key path, the reason. */
static const struct {
	const char	*what;
	const char	*text;
	const char	*keypath;
	const char	*reason;
	size_t		 nerr;
} refusals[] = {
	/* Unknown keys, at every level. */
	{ "an unknown top-level key", VALID "panel = {}\n",
	  "panel", "unknown key", 1 },
	{ "an unknown key in listen[1]", BASE
	  "listen = { { address = \"127.0.0.1\", port = 1, tsl = false } }\n"
	  PANELS_OK, "listen[1].tsl", "unknown key", 1 },
	{ "an unknown key in tls", LISTEN_OK HOSTERS_OK PANELS_OK
	  "tls = { certificate = \"c\", key = \"key.pem\", ca = \"x\" }\n",
	  "tls.ca", "unknown key", 1 },
	{ "an unknown key in limits", VALID "limits = { max_conn = 5 }\n",
	  "limits.max_conn", "unknown key", 1 },
	{ "an unknown key in hosters[1]", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("token = \"secret\""), "hosters[1].token",
	  "unknown key", 1 },
	{ "an unknown key in panels[2]", BASE
	  "panels = { { " PANEL_FIELDS " }, { " PANEL_FIELDS
	  ", name = \"pve2\", refresh = 60 } }\n",
	  "panels[2].refresh", "unknown key", 1 },

	/* Missing pieces. */
	{ "an empty file", "", "listen", "missing", 3 },
	{ "no panels", BASE, "panels", "missing", 1 },
	{ "no hosters", LISTEN_OK TLS_OK PANELS_OK, "hosters",
	  "missing: nobody could use the service", 1 },
	{ "an empty listen list", TLS_OK HOSTERS_OK PANELS_OK "listen = {}\n",
	  "listen", "needs at least one address", 1 },
	{ "an empty hosters list", LISTEN_OK TLS_OK PANELS_OK "hosters = {}\n",
	  "hosters", "needs at least one hoster", 1 },
	{ "an empty panels list", BASE "panels = {}\n", "panels",
	  "needs at least one panel", 1 },
	{ "a listen entry without port", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { address = \"127.0.0.1\" } }\n",
	  "listen[1]", "port: missing", 1 },
	{ "a listen entry without address", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { port = 1 } }\n", "listen[1].address", "missing", 1 },
	{ "TLS listener without tls table", LISTEN_OK HOSTERS_OK PANELS_OK,
	  "tls", "missing, and a listen address uses TLS", 1 },
	{ "tls without key", LISTEN_OK HOSTERS_OK PANELS_OK
	  "tls = { certificate = \"cert.pem\" }\n", "tls.key", "missing", 1 },
	{ "sign_threads 65", BASE PANELS_OK "limits = { sign_threads = 65 }\n",
	  "limits.sign_threads", "out of range (0 to 64)", 1 },
	{ "sign_threads -1", BASE PANELS_OK "limits = { sign_threads = -1 }\n",
	  "limits.sign_threads", "out of range (0 to 64)", 1 },
	{ "no keys", LISTEN_OK TLS_OK HOSTERS_OK PANELS_OK "-- no keys\n", "keys",
	  "missing: every answer is signed", 1 },
	{ "keys without secret", BASE PANELS_OK
	  "keys = { signing = \"t.skey\" }\n", "keys.secret", "missing", 1 },
	{ "keys with an unknown key", BASE PANELS_OK
	  "keys = { signing = \"t.skey\", secret = \"t.secret\", "
	  "public = \"x\" }\n", "keys.public", "unknown key", 1 },
	{ "a signing key others can read", BASE PANELS_OK
	  "keys = { signing = \"t-open.skey\", secret = \"t.secret\" }\n",
	  "keys", "t-open.skey: mode 0644 lets group or others read a "
	  "secret", 1 },
	{ "a secret the group can read", BASE PANELS_OK
	  "keys = { signing = \"t.skey\", secret = \"t-open.secret\" }\n",
	  "keys", "t-open.secret: mode 0640 lets group or others read", 1 },
	{ "a missing signing key", BASE PANELS_OK
	  "keys = { signing = \"none.skey\", secret = \"t.secret\" }\n",
	  "keys", "none.skey: No such file or directory", 1 },
	{ "a signing key with the wrong key id", BASE PANELS_OK
	  "keys = { signing = \"t-badid.skey\", secret = \"t.secret\" }\n",
	  "keys", "t-badid.skey: key id 31b2a98f does not match the key "
	  "(31b2a98e)", 1 },
	{ "a signing key that is too short", BASE PANELS_OK
	  "keys = { signing = \"t-short.skey\", secret = \"t.secret\" }\n",
	  "keys", "t-short.skey: the key is not base64 of 33 bytes", 1 },
	{ "a signing key of another type", BASE PANELS_OK
	  "keys = { signing = \"t-type.skey\", secret = \"t.secret\" }\n",
	  "keys", "t-type.skey: key type 0x02 is not Ed25519 (0x01)", 1 },
	{ "a garbage signing key", BASE PANELS_OK
	  "keys = { signing = \"t-garbage.skey\", secret = \"t.secret\" }\n",
	  "keys", "t-garbage.skey: not a signing key (it must start with "
	  "PRIVATE+KEY+)", 1 },
	{ "a verifier key given as the signing key", BASE PANELS_OK
	  "keys = { signing = \"t-vkey.skey\", secret = \"t.secret\" }\n",
	  "keys", "t-vkey.skey: not a signing key", 1 },
	{ "a short secret", BASE PANELS_OK
	  "keys = { signing = \"t.skey\", secret = \"t-short.secret\" }\n",
	  "keys", "t-short.secret: not base64 of 32 bytes", 1 },
	{ "a garbage secret", BASE PANELS_OK
	  "keys = { signing = \"t.skey\", secret = \"t-garbage.secret\" }\n",
	  "keys", "t-garbage.secret: not base64 of 32 bytes", 1 },
	{ "a panel without url", BASE
	  "panels = { { name = \"p\", plugin = \"proxmox\", "
	  "credentials = \"pve.token\", policy = \"p.lua\" } }\n",
	  "panels[1].url", "missing", 1 },
	{ "a panel without policy", BASE
	  "panels = { { name = \"p\", plugin = \"proxmox\", "
	  "url = \"https://x\", credentials = \"pve.token\" } }\n",
	  "panels[1].policy", "missing", 1 },
	{ "a hoster with neither token nor certificate", LISTEN_OK TLS_OK
	  PANELS_OK "hosters = { { name = \"acme\" } }\n",
	  "hosters[1]", "needs token_sha256 or cert_cn", 1 },

	/* Wrong types. */
	{ "listen as a string", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = \"127.0.0.1:8443\"\n", "listen", "expected a list", 1 },
	{ "panels as a table of names", BASE
	  "panels = { pve1 = { url = \"https://x\" } }\n", "panels",
	  "expected a list", 1 },
	{ "tls as a number", LISTEN_OK HOSTERS_OK PANELS_OK "tls = 1\n",
	  "tls", "expected a table of named keys", 1 },
	{ "limits as a list", VALID "limits = { 1, 2 }\n", "limits",
	  "expected a table of named keys", 1 },
	{ "a hoster as a string", LISTEN_OK TLS_OK PANELS_OK
	  "hosters = { \"acme\" }\n", "hosters[1]",
	  "expected a table of named keys", 1 },
	{ "a port as a string", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = \"8443\" } }\n",
	  "listen[1].port", "expected a whole number", 1 },
	{ "a port with a fraction", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = 8443.5 } }\n",
	  "listen[1].port", "expected a whole number", 1 },
	{ "tls = \"yes\" in listen", BASE PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = 1, tls = \"no\" } }\n",
	  "listen[1].tls", "expected true or false", 1 },
	{ "a url as a number", BASE PANELS_WITH("url = 443"),
	  "panels[1].url", "expected a string", 1 },
	{ "an empty panel name", BASE PANELS_WITH("name = \"\""),
	  "panels[1].name", "expected a non-empty string without NUL", 1 },
	{ "a panel name holding NUL", BASE PANELS_WITH("name = \"a\\0b\""),
	  "panels[1].name", "expected a non-empty string without NUL", 1 },
	{ "snapshots.interval as text", VALID
	  "snapshots = { state = \"s\", interval = \"5m\" }\n",
	  "snapshots.interval", "expected a number of seconds", 1 },
	{ "no snapshots table", VALID "snapshots = nil\n",
	  "snapshots", "missing: the snapshot log needs a state directory",
	  1 },
	{ "hypervisors of a Proxmox panel", BASE
	  PANELS_WITH("hypervisors = { { node = \"pve1\", "
	  "uri = \"qemu:///system\" } }"), "panels[1].hypervisors",
	  "the proxmox plugin's VMs are not libvirt domains", 1 },
	{ "a hypervisor without uri", BASE
	  "panels = { { " VZ_FIELDS ", hypervisors = { { node = \"hv01\" "
	  "} } } }\n", "panels[1].hypervisors[1].uri", "missing", 1 },
	{ "a hypervisor without node", BASE
	  "panels = { { " VZ_FIELDS ", hypervisors = { { uri = "
	  "\"qemu:///system\" } } } }\n", "panels[1].hypervisors[1].node",
	  "missing", 1 },
	{ "a hypervisor URI that is not one", BASE
	  "panels = { { " VZ_FIELDS ", hypervisors = { { node = \"hv01\", "
	  "uri = \"hv01.example.net\" } } } }\n",
	  "panels[1].hypervisors[1]", "uri must be a libvirt URI", 1 },
	{ "a node listed twice", BASE
	  "panels = { { " VZ_FIELDS ", hypervisors = { { node = \"hv01\", "
	  "uri = \"qemu:///system\" }, { node = \"hv01\", "
	  "uri = \"qemu:///session\" } } } }\n",
	  "panels[1].hypervisors[2]", "node \"hv01\" is listed twice", 1 },
	{ "an unknown key in a hypervisor", BASE
	  "panels = { { " VZ_FIELDS ", hypervisors = { { node = \"hv01\", "
	  "uri = \"qemu:///system\", password = \"x\" } } } }\n",
	  "panels[1].hypervisors[1].password", "unknown key", 1 },
	{ "hypervisors that are not a list", BASE
	  "panels = { { " VZ_FIELDS ", hypervisors = \"hv01\" } }\n",
	  "panels[1].hypervisors", "expected a list", 1 },
	{ "a hypervisor_timeout of 0", VALID
	  "snapshots = { state = \"s\", hypervisor_timeout = 0 }\n",
	  "snapshots.hypervisor_timeout", "", 1 },
	{ "snapshots without state", VALID "snapshots = { interval = 60 }\n",
	  "snapshots.state", "missing", 1 },
	{ "an unknown key in snapshots", VALID
	  "snapshots = { state = \"s\", retention = 3 }\n",
	  "snapshots.retention", "unknown key", 1 },
	{ "an origin with a space", VALID
	  "snapshots = { state = \"s\", origin = \"a b\" }\n",
	  "snapshots.origin", "is not a checkpoint origin", 1 },
	{ "an origin with a plus", VALID
	  "snapshots = { state = \"s\", origin = \"a+b\" }\n",
	  "snapshots.origin", "is not a checkpoint origin", 1 },
	{ "keep_days -1", VALID
	  "snapshots = { state = \"s\", keep_days = -1 }\n",
	  "snapshots.keep_days", "-1 is out of range", 1 },
	{ "concurrency as a boolean", BASE PANELS_WITH("concurrency = true"),
	  "panels[1].concurrency", "expected a whole number", 1 },
	{ "concurrency with a fraction", BASE PANELS_WITH("concurrency = 2.5"),
	  "panels[1].concurrency", "expected a whole number", 1 },
	{ "options as a string", BASE PANELS_WITH("options = \"pool\""),
	  "panels[1].options", "expected a table of named keys", 1 },
	{ "idle_timeout as a table", VALID "limits = { idle_timeout = {} }\n",
	  "limits.idle_timeout", "expected a number of seconds", 1 },
	{ "log as a number", VALID "log = 2\n", "log", "expected a string",
	  1 },

	/* Values. */
	{ "token_sha256 of 63 hex digits", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("token_sha256 = \"f86d081884c7d659a2feaa0c55ad015"
	  "a3bf4f1b2b0b822cd15d6c15b0f00a08\""),
	  "hosters[1]", "token_sha256 must be 64 hex digits", 1 },
	{ "token_sha256 of 65 hex digits", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("token_sha256 = \"" TOKEN_HEX "0\""),
	  "hosters[1]", "token_sha256 must be 64 hex digits", 1 },
	{ "token_sha256 that is not hex", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("token_sha256 = \"g86d081884c7d659a2feaa0c55ad015"
	  "a3bf4f1b2b0b822cd15d6c15b0f00a08\""),
	  "hosters[1]", "token_sha256 must be 64 hex digits", 1 },
	{ "token_sha256 that is the token itself", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("token_sha256 = \"hoster-secret\""),
	  "hosters[1]", "token_sha256 must be 64 hex digits", 1 },
	{ "token_sha256 with colons", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("token_sha256 = \"" FINGERPRINT "\""),
	  "hosters[1]", "token_sha256 must be 64 hex digits", 1 },
	{ "a bad pve_token_id", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("pve_token_id = \"noc@pve\""), "hosters[1]",
	  "pve_token_id must look like USER@REALM!TOKENID", 1 },
	{ "pve_token_id without a token", LISTEN_OK TLS_OK PANELS_OK
	  "tls = { certificate = \"c\", key = \"key.pem\",\n"
	  "  client_ca = \"c\" }\n"
	  "hosters = { { name = \"a\", cert_cn = \"a\", "
	  "pve_token_id = \"noc@pve!x\" } }\n", "hosters[1]",
	  "pve_token_id needs token_sha256", 1 },
	{ "cert_cn without client_ca", LISTEN_OK TLS_OK PANELS_OK
	  "hosters = { { name = \"a\", cert_cn = \"a\" } }\n", "hosters[1]",
	  "cert_cn needs tls.client_ca", 1 },
	{ "a hoster name with a space", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("name = \"ac me\""), "hosters[1]",
	  "name may hold letters, digits and . _ @ - only", 1 },
	{ "a hoster name of 65 bytes", LISTEN_OK TLS_OK PANELS_OK
	  HOSTERS_WITH("name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaa\""), "hosters[1]", "name longer than 64", 1 },
	{ "a hoster name used twice", LISTEN_OK TLS_OK PANELS_OK
	  "hosters = { { name = \"acme\", token_sha256 = \"" TOKEN_HEX "\" },\n"
	  "  { name = \"acme\", token_sha256 = \"" OTHER_HEX "\" } }\n",
	  "hosters[2]", "name \"acme\" is used twice", 1 },
	{ "two hosters with one token",
	  LISTEN_OK TLS_OK PANELS_OK
	  "hosters = { { name = \"a\", token_sha256 = \"" TOKEN_HEX "\" },\n"
	  "  { name = \"b\", token_sha256 = \"" TOKEN_HEX "\" } }\n",
	  "hosters[2]", "token_sha256 is also hosters[1]'s", 1 },
	{ "two hosters with one certificate name",
	  LISTEN_OK "tls = { certificate = \"cert.pem\", key = \"key.pem\", "
	  "client_ca = \"ca.pem\" }\n" PANELS_OK
	  "hosters = { { name = \"a\", cert_cn = \"x\" },\n"
	  "  { name = \"b\", cert_cn = \"x\" } }\n",
	  "hosters[2]", "cert_cn is also hosters[1]'s", 1 },
	{ "a panel name in capitals", BASE PANELS_WITH("name = \"PVE1\""),
	  "panels[1]", "name \"PVE1\" must be 1 to 32 of a-z, 0-9 and -", 1 },
	{ "a panel name starting with a dash", BASE
	  PANELS_WITH("name = \"-pve\""), "panels[1]",
	  "name \"-pve\" must be 1 to 32", 1 },
	{ "a panel name of 33 bytes", BASE
	  PANELS_WITH("name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
	  "panels[1]", "must be 1 to 32", 1 },
	{ "a panel name used twice", BASE
	  "panels = { { " PANEL_FIELDS " }, { " PANEL_FIELDS " } }\n",
	  "panels[2]", "name \"pve1\" is used twice", 1 },
	{ "an unknown plugin", BASE PANELS_WITH("plugin = \"vmware\""),
	  "panels[1]", "plugin \"vmware\" does not exist (known: proxmox, ", 1 },
	{ "an unknown plugin option", BASE
	  PANELS_WITH("options = { colour = \"blue\" }"), "panels[1].options",
	  "unknown option \"colour\"", 1 },
	{ "a bad owner option", BASE
	  PANELS_WITH("options = { owner = \"tag:\" }"), "panels[1].options",
	  "owner must be", 1 },
	{ "a listen address that is a name", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { address = \"localhost\", port = 1 } }\n", "listen[1]",
	  "address \"localhost\" is not an IPv4 or IPv6 address", 1 },
	{ "a relative log path", VALID "log = \"sightline.log\"\n", "log",
	  "must be \"stderr\", \"syslog\" or an absolute file path", 1 },

	/* Plain HTTP only on loopback, both ways. */
	{ "a plain listener on 0.0.0.0", BASE PANELS_OK
	  "listen = { { address = \"0.0.0.0\", port = 80, tls = false } }\n",
	  "listen[1]", "plain HTTP (tls = false) is only allowed on a "
	  "loopback address", 1 },
	{ "a plain listener on ::", BASE PANELS_OK
	  "listen = { { address = \"::\", port = 80, tls = false } }\n",
	  "listen[1]", "only allowed on a loopback address", 1 },
	{ "a plain listener on a public address", BASE PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = 1 },\n"
	  "  { address = \"203.0.113.5\", port = 80, tls = false } }\n",
	  "listen[2]", "only allowed on a loopback address", 1 },
	{ "an http url to a remote host", BASE
	  PANELS_WITH("url = \"http://pve.example.net:8006\""),
	  "panels[1].url", "plain http would send the panel credentials in "
	  "clear", 1 },
	{ "an http url to a name starting 127.0.0.1", BASE
	  PANELS_WITH("url = \"http://127.0.0.1.example.net\""),
	  "panels[1].url", "plain http would send", 1 },
	{ "an http url to a name starting localhost", BASE
	  PANELS_WITH("url = \"http://localhost.example.net\""),
	  "panels[1].url", "plain http would send", 1 },
	{ "an http url to 10.0.0.1", BASE
	  PANELS_WITH("url = \"http://10.0.0.1/\""),
	  "panels[1].url", "plain http would send", 1 },
	{ "an http url to [::ffff:203.0.113.5]", BASE
	  PANELS_WITH("url = \"http://[::ffff:203.0.113.5]\""),
	  "panels[1].url", "plain http would send", 1 },
	{ "an ftp url", BASE PANELS_WITH("url = \"ftp://pve.example.net\""),
	  "panels[1].url", "url must start with https://", 1 },
	{ "a url without a scheme", BASE PANELS_WITH("url = \"pve:8006\""),
	  "panels[1].url", "url must start with https://", 1 },
	{ "a url with credentials", BASE
	  PANELS_WITH("url = \"https://root:pw@pve.example.net\""),
	  "panels[1].url", "url must not hold credentials", 1 },
	{ "a url with a query", BASE
	  PANELS_WITH("url = \"https://pve.example.net/?a=b\""),
	  "panels[1].url", "url must not hold credentials, a query", 1 },
	{ "a url without a host", BASE PANELS_WITH("url = \"https://\""),
	  "panels[1].url", "url has no host", 1 },
	{ "a url with only a port", BASE PANELS_WITH("url = \"https://:8006\""),
	  "panels[1].url", "url has no host", 1 },
	{ "a url with an unclosed [", BASE
	  PANELS_WITH("url = \"https://[::1:8006\""),
	  "panels[1].url", "url has an unclosed [IPv6] host", 1 },

	/* Secrets in files only their owner can read. */
	{ "a key file of mode 0644", LISTEN_OK HOSTERS_OK PANELS_OK
	  "tls = { certificate = \"cert.pem\", key = \"key-open.pem\" }\n",
	  "tls.key", "key-open.pem: mode 0644 lets group or others read a "
	  "secret; chmod 600 it", 1 },
	{ "a missing key file", LISTEN_OK HOSTERS_OK PANELS_OK
	  "tls = { certificate = \"cert.pem\", key = \"nokey.pem\" }\n",
	  "tls.key", "nokey.pem: No such file or directory", 1 },
	{ "a missing certificate", LISTEN_OK HOSTERS_OK PANELS_OK
	  "tls = { certificate = \"nocert.pem\", key = \"key.pem\" }\n",
	  "tls.certificate", "nocert.pem: No such file or directory", 1 },
	{ "a missing client CA", LISTEN_OK HOSTERS_OK PANELS_OK
	  "tls = { certificate = \"cert.pem\", key = \"key.pem\", "
	  "client_ca = \"noca.pem\" }\n",
	  "tls.client_ca", "noca.pem: No such file or directory", 1 },
	{ "a panel URL with a bad port", BASE
	  PANELS_WITH("url = \"https://pve.example.net:99999\""),
	  "panels[1].url", "bad port", 1 },
	{ "a panel URL with letters in the port", BASE
	  PANELS_WITH("url = \"https://pve.example.net:8006abc/\""),
	  "panels[1].url", "bad port", 1 },
	{ "a panel URL with an empty port", BASE
	  PANELS_WITH("url = \"https://[::1]:\""),
	  "panels[1].url", "bad port", 1 },
	{ "a credentials file of mode 0644", BASE
	  PANELS_WITH("credentials = \"pve-open.token\""),
	  "panels[1].credentials", "pve-open.token: mode 0644 lets group or "
	  "others read a secret; chmod 600 it", 1 },
	{ "a missing credentials file", BASE
	  PANELS_WITH("credentials = \"nothing.token\""),
	  "panels[1].credentials", "nothing.token: No such file or directory",
	  1 },
	{ "credentials that are not an API token", BASE
	  PANELS_WITH("credentials = \"pve-bad.token\""),
	  "panels[1].credentials", "expected one line "
	  "USER@REALM!TOKENID=SECRET", 1 },
	{ "credentials that are a directory", BASE
	  PANELS_WITH("credentials = \"sub\""),
	  "panels[1].credentials", "sub: not a regular file", 1 },

	/* Pinning. */
	{ "ca_file and fingerprint together", BASE
	  PANELS_WITH("ca_file = \"ca.pem\", "
	  "fingerprint = \"" FINGERPRINT "\""),
	  "panels[1]", "ca_file and fingerprint exclude each other", 1 },
	{ "a short fingerprint", BASE
	  PANELS_WITH("fingerprint = \"AA:BB:CC\""), "panels[1]",
	  "fingerprint must be the certificate's SHA-256", 1 },
	{ "a SHA-1 fingerprint", BASE
	  PANELS_WITH("fingerprint = \"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
	  "66:77:88:99:AA:BB:CC:DD\""), "panels[1]",
	  "fingerprint must be the certificate's SHA-256", 1 },

	/* Numbers out of range, just past each edge. */
	{ "port 0", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = 0 } }\n",
	  "listen[1].port", "0 is out of range (1 to 65535)", 1 },
	{ "port 65536", TLS_OK HOSTERS_OK PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = 65536 } }\n",
	  "listen[1].port", "65536 is out of range (1 to 65535)", 1 },
	{ "snapshots.interval 9", VALID
	  "snapshots = { state = \"s\", interval = 9 }\n",
	  "snapshots.interval", "9 is out of range (10 to 86400)", 1 },
	{ "snapshots.interval 86401", VALID
	  "snapshots = { state = \"s\", interval = 86401 }\n",
	  "snapshots.interval", "86401 is out of range (10 to 86400)",
	  1 },
	{ "refresh_interval is gone from panels", BASE
	  PANELS_WITH("refresh_interval = 60"),
	  "panels[1].refresh_interval", "unknown key", 1 },
	{ "min_refresh_interval 3601", BASE
	  PANELS_WITH("min_refresh_interval = 3601"),
	  "panels[1].min_refresh_interval", "3601 is out of range (0 to 3600)",
	  1 },
	{ "concurrency 0", BASE PANELS_WITH("concurrency = 0"),
	  "panels[1].concurrency", "0 is out of range (1 to 256)", 1 },
	{ "concurrency 257", BASE PANELS_WITH("concurrency = 257"),
	  "panels[1].concurrency", "257 is out of range (1 to 256)", 1 },
	{ "connect_timeout 0", BASE PANELS_WITH("connect_timeout = 0"),
	  "panels[1].connect_timeout", "0 is out of range (0.1 to 120)", 1 },
	{ "timeout 901", BASE PANELS_WITH("timeout = 901"),
	  "panels[1].timeout", "901 is out of range (0.5 to 900)", 1 },
	{ "max_body_bytes 4095", BASE PANELS_WITH("max_body_bytes = 4095"),
	  "panels[1].max_body_bytes", "4095 is out of range (4096 to "
	  "1073741824)", 1 },
	{ "max_records 1000001", BASE PANELS_WITH("max_records = 1000001"),
	  "panels[1].max_records", "1000001 is out of range (1 to 1000000)",
	  1 },
	{ "max_records 2^63-1", BASE
	  PANELS_WITH("max_records = 9223372036854775807"),
	  "panels[1].max_records", "9223372036854775807 is out of range", 1 },
	{ "max_connections 0", VALID "limits = { max_connections = 0 }\n",
	  "limits.max_connections", "0 is out of range (1 to 65536)", 1 },
	{ "max_connections 65537", VALID
	  "limits = { max_connections = 65537 }\n",
	  "limits.max_connections", "65537 is out of range (1 to 65536)", 1 },
	{ "max_header_bytes 1023", VALID
	  "limits = { max_header_bytes = 1023 }\n",
	  "limits.max_header_bytes", "1023 is out of range (1024 to 65536)",
	  1 },
	{ "max_uri_bytes 8193", VALID "limits = { max_uri_bytes = 8193 }\n",
	  "limits.max_uri_bytes", "8193 is out of range (256 to 8192)", 1 },
	{ "idle_timeout 0.5", VALID "limits = { idle_timeout = 0.5 }\n",
	  "limits.idle_timeout", "0.5 is out of range (1 to 3600)", 1 },
	{ "request_timeout 301", VALID "limits = { request_timeout = 301 }\n",
	  "limits.request_timeout", "301 is out of range (1 to 300)", 1 },
	{ "policy_memory 1 KiB", VALID "limits = { policy_memory = 1024 }\n",
	  "limits.policy_memory", "1024 is out of range (262144 to "
	  "1073741824)", 1 },
	{ "policy_instructions 9999", VALID
	  "limits = { policy_instructions = 9999 }\n",
	  "limits.policy_instructions", "9999 is out of range (10000 to "
	  "1000000000)", 1 },

	/* What Lua itself refuses, with the file and line. */
	{ "a Lua syntax error", VALID "\n\nlimits = { max_connections = }\n",
	  NULL, ":7: unexpected symbol near '}'", 1 },
	{ "an unfinished string", VALID "log = \"stderr\n",
	  NULL, ":5: unfinished string", 1 },
	{ "a binary chunk", "\033Lua\x54\x00", NULL,
	  ": attempt to load a binary chunk", 1 },
	{ "a runtime error", VALID "x = nil + 1\n", NULL,
	  ":5: attempt to perform arithmetic on a nil value", 1 },

	/* No library is loaded: whatever a file tries to call is nil. */
	{ "os.execute", VALID "os.execute(\"touch /tmp/pwned\")\n", NULL,
	  ":5: attempt to index a nil value (global 'os')", 1 },
	{ "io.open", "local f = io.open(\"/etc/passwd\")\n" VALID, NULL,
	  ":1: attempt to index a nil value (global 'io')", 1 },
	{ "require", "require(\"os\")\n" VALID, NULL,
	  ":1: attempt to call a nil value (global 'require')", 1 },
	{ "dofile", "dofile(\"/etc/passwd\")\n", NULL,
	  ":1: attempt to call a nil value (global 'dofile')", 1 },
	{ "load", "load(\"return 1\")()\n", NULL,
	  ":1: attempt to call a nil value (global 'load')", 1 },
	{ "print", "print(\"hi\")\n", NULL,
	  ":1: attempt to call a nil value (global 'print')", 1 },
	{ "pcall", "pcall(error)\n", NULL,
	  ":1: attempt to call a nil value (global 'pcall')", 1 },
	{ "setmetatable", "setmetatable({}, {})\n", NULL,
	  ":1: attempt to call a nil value (global 'setmetatable')", 1 },
	{ "string.rep in a loop",
	  "s = \"x\"\nfor i = 1, 30 do s = string.rep(s, 2) end\n", NULL,
	  ":2: attempt to index a nil value (global 'string')", 1 },
	{ "a string method", "s = (\"x\"):rep(1000000)\n", NULL,
	  ":1: attempt to index a string value", 1 },
	{ "a function value", VALID "function f() end\n", "f",
	  "a function value is not allowed here", 1 },
	{ "a function in a panel", BASE PANELS_WITH("url = function() end"),
	  "panels[1].url", "a function value is not allowed here", 1 },
	{ "a non-UTF-8 string", BASE PANELS_WITH("url = \"https://\\xff\""),
	  "panels[1].url", "string is not valid UTF-8 text", 1 },
	{ "a list with holes", LISTEN_OK TLS_OK PANELS_OK
	  "hosters = { [1] = { name = \"a\" }, [3] = { name = \"b\" } }\n",
	  "hosters", "list has holes", 1 },
	{ "list items mixed with names", BASE PANELS_OK
	  "listen = { { address = \"127.0.0.1\", port = 1 }, tls = false }\n",
	  "listen", "table mixes list items and named keys", 1 },
	{ "a fractional key", VALID "t = { [1.5] = 1 }\n",
	  "t", "table keys must be names or list positions", 1 },
	{ "a table that contains itself", VALID "t = {}\nt[1] = t\n",
	  "t" R32, "nested deeper than 32 levels", 1 },
	{ "an infinite number", VALID "limits = { idle_timeout = 1/0 }\n",
	  "limits.idle_timeout", "number is not finite", 1 },

	/* Budgets: running forever and allocating without end. */
	{ "an endless loop", VALID "while true do end\n", NULL,
	  "instruction budget of 1000000 exceeded", 1 },
	{ "an endless loop in a function", VALID
	  "local function f(n) return f(n + 1) end\nf(1)\n", NULL,
	  "instruction budget of 1000000 exceeded", 1 },
	{ "a long counted loop", VALID "for i = 1, 1e12 do end\n", NULL,
	  "instruction budget of 1000000 exceeded", 1 },
	{ "a string doubled 40 times", VALID
	  "s = \"x\"\nfor i = 1, 40 do s = s .. s end\n", NULL,
	  "not enough memory", 1 },
	{ "endless recursion", VALID
	  "local function f(n) return 1 + f(n + 1) end\nf(1)\n", NULL,
	  "not enough memory", 1 },
	{ "a table of two 2 MiB strings", VALID
	  "local s = \"0123456789abcdef\"\n"
	  "for i = 1, 17 do s = s .. s end\n"
	  "t = { s .. \"a\", s .. \"b\" }\n", NULL, "not enough memory", 1 },
};

static void
test_refusals(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		refused(refusals[i].what, refusals[i].text,
		    refusals[i].keypath, refusals[i].reason, refusals[i].nerr);
}

/* A Lua error line is "file:N: reason", the file named first. */
static void
test_lua_lines(void)
{
	struct buf	 b;
	struct conf	*cf;
	char		*errors, *text, head[PATH_MAX + 16];
	size_t		 len, i;

	cf = load(VALID "\n\nlimits = { max_connections = }\n", &errors);
	snprintf(head, sizeof(head), "%s:7: ", confpath);
	tap_ok(cf == NULL && errors != NULL &&
	    strncmp(errors, head, strlen(head)) == 0,
	    "a syntax error starts with \"file:line: \"");
	free(errors);
	cf = load(VALID "while true do end\n", &errors);
	snprintf(head, sizeof(head), "%s:", confpath);
	tap_ok(cf == NULL && errors != NULL &&
	    strncmp(errors, head, strlen(head)) == 0,
	    "the instruction budget error names the file");
	free(errors);
	cf = load(VALID "s = \"x\"\nfor i = 1, 40 do s = s .. s end\n",
	    &errors);
	tap_ok(cf == NULL && errors != NULL &&
	    strncmp(errors, head, strlen(head)) == 0,
	    "the memory error names the file");
	free(errors);

	/* Nesting that would exhaust the C stack of the parser. */
	buf_init(&b);
	buf_addstr(&b, "x = ");
	for (i = 0; i < 1000; i++)
		buf_addstr(&b, "(");
	buf_addstr(&b, "1");
	for (i = 0; i < 1000; i++)
		buf_addstr(&b, ")");
	buf_addstr(&b, "\n");
	if ((text = buf_take(&b, &len)) != NULL) {
		cf = load_at(confpath, text, len, &errors);
		tap_ok(cf == NULL && has_line(errors, confpath,
		    ": C stack overflow"),
		    "1000 nested parentheses are refused, naming the file");
		free(text);
		free(errors);
	}

	/* One byte more than LUA_FILE_MAX. */
	buf_init(&b);
	buf_addstr(&b, "x = \"");
	for (i = 0; i < LUA_FILE_MAX - 6; i++)
		buf_add(&b, "a", 1);
	buf_addstr(&b, "\"\n");
	if ((text = buf_take(&b, &len)) != NULL) {
		tap_int((long long)len, LUA_FILE_MAX + 1, "  (the file size)");
		cf = load_at(confpath, text, len, &errors);
		tap_ok(cf == NULL && has_line(errors, confpath,
		    ": larger than 1048576 bytes"),
		    "a file over 1 MiB is refused, naming the file");
		free(text);
		free(errors);
	}

	/* The sandbox is gone with the error: the next load is clean. */
	cf = load(VALID, &errors);
	tap_ok(cf != NULL && errors == NULL,
	    "a valid file loads after a file that ran out of memory");
	conf_free(cf);
	free(errors);

	errors = NULL;
	snprintf(head, sizeof(head), "%s/does-not-exist.conf", tmpdir);
	cf = conf_load(head, &errors);
	if (!tap_ok(cf == NULL && has_line(errors, head, ": No such file or "
	    "directory"), "a missing configuration file is named"))
		tap_diag("errors: %s", errors != NULL ? errors : "(none)");
	conf_free(cf);
	free(errors);
}

/* One message carries every problem, one line each. */
static void
test_many(void)
{
	struct buf	 b;
	struct conf	*cf;
	char		*errors, head[PATH_MAX + 64], key[32];
	char		*text;
	int		 i, n;

	cf = load(LISTEN_OK HOSTERS_OK
	    "tls = { certificate = \"cert.pem\", key = \"key-open.pem\" }\n"
	    "hosters = { { name = \"acme\", token_sha256 = \"abc\" } }\n"
	    "panels = { { " PANEL_FIELDS ", concurrency = 0,\n"
	    "  url = \"http://pve.example.net\" },\n"
	    "  { " PANEL_FIELDS ", name = \"pve2\", ca_file = \"ca.pem\",\n"
	    "  fingerprint = \"" FINGERPRINT "\", bogus = 1 } }\n"
	    "limits = { max_uri_bytes = 1 }\n"
	    "colour = \"blue\"\n", &errors);
	tap_ok(cf == NULL, "a file with eight problems is refused");
	head_for(head, sizeof(head), confpath, "colour");
	tap_ok(has_line(errors, head, "unknown key"), "  colour is reported");
	head_for(head, sizeof(head), confpath, "tls.key");
	tap_ok(has_line(errors, head, "mode 0644"), "  tls.key is reported");
	head_for(head, sizeof(head), confpath, "hosters[1]");
	tap_ok(has_line(errors, head, "token_sha256 must be 64 hex digits"),
	    "  hosters[1] is reported");
	head_for(head, sizeof(head), confpath, "panels[1].url");
	tap_ok(has_line(errors, head, "plain http"),
	    "  panels[1].url is reported");
	head_for(head, sizeof(head), confpath, "panels[1].concurrency");
	tap_ok(has_line(errors, head, "0 is out of range"),
	    "  panels[1].concurrency is reported");
	head_for(head, sizeof(head), confpath, "panels[2]");
	tap_ok(has_line(errors, head, "ca_file and fingerprint exclude"),
	    "  panels[2] pinning is reported");
	head_for(head, sizeof(head), confpath, "panels[2].bogus");
	tap_ok(has_line(errors, head, "unknown key"),
	    "  panels[2].bogus is reported");
	head_for(head, sizeof(head), confpath, "limits.max_uri_bytes");
	tap_ok(has_line(errors, head, "1 is out of range (256 to 8192)"),
	    "  limits.max_uri_bytes is reported");
	if (!tap_int((long long)count_lines(errors), 8,
	    "  eight lines, one per problem"))
		tap_diag("errors:\n%s", errors != NULL ? errors : "(none)");
	free(errors);

	/* Past 64 problems the rest are counted, not listed. */
	buf_init(&b);
	buf_addstr(&b, VALID);
	for (i = 0; i < 70; i++)
		buf_printf(&b, "unknown%02d = %d\n", i, i);
	if ((text = buf_take(&b, NULL)) == NULL) {
		tap_ok(0, "out of memory building the configuration");
		return;
	}
	cf = load(text, &errors);
	free(text);
	tap_ok(cf == NULL, "a file with 70 unknown keys is refused");
	tap_int((long long)count_lines(errors), 65,
	    "  64 lines and a summary");
	tap_ok(errors != NULL && strstr(errors, "\n(and 6 more errors)") !=
	    NULL && errors[strlen(errors) - 1] == ')',
	    "  the summary counts the 6 left out");
	/* Lua's table order is random: which 64 are listed varies. */
	for (i = 0, n = 0; i < 70; i++) {
		snprintf(key, sizeof(key), "unknown%02d", i);
		head_for(head, sizeof(head), confpath, key);
		n += has_line(errors, head, "unknown key");
	}
	tap_int(n, 64, "  each listed line names its key path");
	free(errors);
}

int
main(void)
{
	log_init(0);
	if (setup() == -1) {
		printf("Bail out! setup in %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	test_valid();
	test_full();
	test_paths();
	test_refusals();
	test_lua_lines();
	test_many();
	teardown();
	return tap_done();
}
