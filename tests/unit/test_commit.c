/*
 * test_commit.c: proxy/commit.c and the policy actions built on it,
 * "commit" and "pseudonym": the SD-JWT vectors (tests/vectors/sd-jwt),
 * then what a policy makes of a record: digests in sorted "_sd" arrays,
 * "_sd_alg" at the top, stable pseudonyms, disclosures that open to the
 * committed value, and refusals that say why.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

static char	 tmpdir[] = "/tmp/test_commit.XXXXXX";
static struct keys *keys;

static json_t *
parse(const char *s)
{
	json_error_t	 jerr;
	json_t		*j;

	if ((j = json_loads(s, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		printf("Bail out! bad test JSON: %s\n", jerr.text);
		exit(1);
	}
	return j;
}

static struct policy *
policy(const char *text)
{
	char		 path[PATH_MAX], err[ERR_MAX];
	struct policy	*po;

	snprintf(path, sizeof(path), "%s/policy.lua", tmpdir);
	tap_write_file(path, text, strlen(text), 0644);
	if ((po = policy_load(path, &plugin_proxmox, POLICY_MEMORY,
	    POLICY_INSTRUCTIONS, err)) == NULL) {
		printf("Bail out! policy: %s\n", err);
		exit(1);
	}
	po->po_keys = keys;
	return po;
}

static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void
test_vectors(void)
{
	char		 path[PATH_MAX], digest[COMMIT_DIGEST_MAX], err[ERR_MAX];
	const char	*top = getenv("top_srcdir");
	json_error_t	 jerr;
	json_t		*v, *c, *arr, *want;
	const char	*d;
	char		*canon, b64[512];
	size_t		 i, len;

	snprintf(path, sizeof(path), "%s/tests/vectors/sd-jwt/"
	    "sd-jwt-disclosure-vectors.json", top != NULL ? top : ".");
	if ((v = json_load_file(path, 0, &jerr)) == NULL) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		exit(1);
	}
	json_array_foreach(json_object_get(v, "vectors"), i, c) {
		d = json_string_value(json_object_get(c, "disclosure"));
		commit_digest(d, strlen(d), digest);
		tap_str(digest, json_string_value(json_object_get(c,
		    "sha256_digest_b64url")), json_string_value(
		    json_object_get(c, "name")));
		/* Each opens to the array it encodes (3 or 2 elements). */
		arr = commit_open(d, err);
		want = json_loads(json_string_value(json_object_get(c,
		    "disclosure_json_utf8")), 0, NULL);
		if (json_array_size(want) == 3)
			tap_ok(arr != NULL && json_equal(arr, want),
			    "it opens to its array: %s", arr != NULL ? "" : err);
		else
			tap_ok(arr == NULL && strstr(err, "[salt, name, value]"),
			    "an array-element disclosure is not a field's: %s",
			    err);
		/* The JCS form of the same array, as sightline makes it. */
		if (want != NULL && json_array_size(want) == 3 &&
		    (canon = canon_dump(want, &len, err)) != NULL) {
			b64_encode((const uint8_t *)canon, len, B64_URL, b64);
			if (strcmp(json_string_value(json_array_get(want, 2)),
			    "M\xc3\xb6" "bius") == 0 && strchr(canon, ' ') == NULL) {
				commit_digest(b64, strlen(b64), digest);
				tap_str(digest, "TZjouOTrBKEwUNjNDs9yeMzBoQn8FFLPaJjRRmAtwrM",
				    "the JCS disclosure of family_name has the "
				    "reference's digest");
			}
			free(canon);
		}
		json_decref(want);
		json_decref(arr);
	}
	json_decref(v);
}

static void
test_make(void)
{
	json_t		*alice = json_string("alice@example.com");
	json_t		*bob = json_string("bob@bob-shop.example.net");
	json_t		*arr;
	char		 d1[COMMIT_DIGEST_MAX], d2[COMMIT_DIGEST_MAX];
	char		 d3[COMMIT_DIGEST_MAX], ps1[COMMIT_PSEUDONYM_MAX];
	char		 ps2[COMMIT_PSEUDONYM_MAX], err[ERR_MAX];
	char		*disc;

	tap_int(commit_make(keys, "pve/100", "owner", "owner", alice, &disc,
	    d1, err), 0, "commit_make");
	commit_digest(disc, strlen(disc), d2);
	tap_str(d2, d1, "the digest is of the disclosure text");
	arr = commit_open(disc, err);
	tap_ok(arr != NULL && json_equal(json_array_get(arr, 2), alice) &&
	    strcmp(json_string_value(json_array_get(arr, 1)), "owner") == 0,
	    "the disclosure opens to [salt, \"owner\", value]");
	tap_int(json_string_length(json_array_get(arr, 0)), 22,
	    "its salt is 128 bits in base64url (22 characters)");
	json_decref(arr);
	free(disc);
	commit_make(keys, "pve/100", "owner", "owner", alice, NULL, d2, err);
	tap_str(d2, d1, "an unchanged value keeps its digest");
	commit_make(keys, "pve/101", "owner", "owner", alice, NULL, d2, err);
	tap_ok(strcmp(d1, d2) != 0, "another record gives another digest");
	commit_make(keys, "pve/100", "notes", "owner", alice, NULL, d2, err);
	tap_ok(strcmp(d1, d2) != 0, "another path gives another digest");
	commit_make(keys, "pve/100", "owner", "owner", bob, NULL, d3, err);
	tap_ok(strcmp(d1, d3) != 0, "another value gives another digest");

	tap_int(commit_pseudonym(keys, "owner", alice, ps1, err), 0,
	    "commit_pseudonym");
	tap_ok(strncmp(ps1, "ps:", 3) == 0 && strlen(ps1) == 25,
	    "a pseudonym is ps: and 128 bits in base64url: %s", ps1);
	commit_pseudonym(keys, "owner", alice, ps2, err);
	tap_str(ps2, ps1, "the same value has the same pseudonym");
	commit_pseudonym(keys, "owner", bob, ps2, err);
	tap_ok(strcmp(ps1, ps2) != 0, "another value, another pseudonym");
	commit_pseudonym(keys, "hostname", alice, ps2, err);
	tap_ok(strcmp(ps1, ps2) != 0, "another field, another pseudonym");

	tap_int(commit_make(NULL, "x", "owner", "owner", alice, NULL, d1, err),
	    -1, "no keys, no commitment");
	tap_ok(strstr(err, "no secret key") != NULL, "... says so: %s", err);

	tap_ok(commit_open("!!!", err) == NULL &&
	    strstr(err, "base64url") != NULL, "garbage: %s", err);
	tap_ok(commit_open("WyJhIiwiX3NkIiwxXQ", err) == NULL &&	/* ["a","_sd",1] */
	    strstr(err, "reserved") != NULL, "a reserved name: %s", err);
	tap_ok(commit_open("eyJhIjoxfQ", err) == NULL, /* {"a":1} */
	    "an object is not a disclosure: %s", err);
	tap_ok(commit_open("WyJhIiwiYiIsMSwxXQ", err) == NULL,	/* 4 items */
	    "four elements are not a disclosure: %s", err);
	json_decref(alice);
	json_decref(bob);
}

static void
test_policy(void)
{
	struct policy	*po;
	json_t		*in, *out, *out2, *sd, *arr;
	char		 err[ERR_MAX], digest[COMMIT_DIGEST_MAX];
	char		 name[64], ps[COMMIT_PSEUDONYM_MAX];
	const json_t	*v;
	char		*s;
	size_t		 i;
	int		 found;

	po = policy("return { record = {\n"
	    "  id = \"keep\", owner = { \"commit\", \"pseudonym\" },\n"
	    "  hostname = \"commit\", name = \"commit\", notes = \"commit\",\n"
	    "  tags = \"commit\", group = \"pseudonym\",\n"
	    "  interfaces = { mac = \"keep\", label = \"commit\" },\n"
	    "  [\"*\"] = \"keep\",\n"
	    "} }\n");
	in = parse("{\"id\":\"pve/100\",\"owner\":\"alice@example.com\","
	    "\"hostname\":\"www.alice.test\",\"name\":\"alice-web\","
	    "\"notes\":null,\"tags\":[\"gold\",\"eu\"],\"group\":\"grp-secret\","
	    "\"interfaces\":[{\"mac\":\"bc:24:11:5a:10:01\",\"label\":\"x\"}],"
	    "\"_sd\":[\"FORGED\"],\"_sd_alg\":\"md5\",\"...\":1}");
	tap_int(policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
	    err), 0, "a policy with commit and pseudonym applies");
	s = dump(out);
	tap_diag("%s", s);
	tap_ok(json_object_get(out, "owner") == NULL &&
	    json_object_get(out, "hostname") == NULL &&
	    json_object_get(out, "name") == NULL &&
	    json_object_get(out, "group") == NULL &&
	    strstr(s, "alice") == NULL && strstr(s, "gold") == NULL &&
	    strstr(s, "grp-secret") == NULL, "no committed value is left");
	sd = json_object_get(out, "_sd");
	tap_int(json_array_size(sd), 5, "five digests in the record's _sd");
	tap_ok(strstr(s, "FORGED") == NULL && strstr(s, "md5") == NULL,
	    "the panel's own _sd and _sd_alg are dropped");
	tap_str(json_string_value(json_object_get(out, "_sd_alg")), "sha-256",
	    "_sd_alg is sha-256");
	found = 1;
	for (i = 1; i < json_array_size(sd); i++)
		if (strcmp(json_string_value(json_array_get(sd, i - 1)),
		    json_string_value(json_array_get(sd, i))) >= 0)
			found = 0;
	tap_ok(found, "the digests are sorted");
	commit_make(keys, "pve/100", "owner", "owner",
	    json_object_get(in, "owner"), NULL, digest, err);
	found = 0;
	json_array_foreach(sd, i, v)
		found |= strcmp(json_string_value(v), digest) == 0;
	tap_ok(found, "the owner's digest is commit_make's for (id, path)");
	commit_pseudonym(keys, "owner", json_object_get(in, "owner"), ps, err);
	tap_str(json_string_value(json_object_get(out, "owner_ps")), ps,
	    "owner_ps is the owner's pseudonym");
	tap_ok(json_is_string(json_object_get(out, "group_ps")),
	    "a pseudonym alone replaces its field");
	arr = json_array_get(json_object_get(out, "interfaces"), 0);
	tap_int(json_array_size(json_object_get(arr, "_sd")), 1,
	    "a list element's object has its own _sd");
	commit_make(keys, "pve/100", "interfaces[0].label", "label",
	    json_array_get(json_object_get(in, "interfaces"), 0) != NULL ?
	    json_object_get(json_array_get(json_object_get(in, "interfaces"),
	    0), "label") : NULL, NULL, digest, err);
	tap_str(json_string_value(json_array_get(json_object_get(arr, "_sd"),
	    0)), digest, "... bound to its path interfaces[0].label");
	v = commit_lookup(in, "interfaces[0].label", name, sizeof(name), err);
	tap_ok(v != NULL && strcmp(name, "label") == 0,
	    "commit_lookup finds a path as policies write it");
	tap_ok(commit_lookup(in, "interfaces[3].label", name, sizeof(name),
	    err) == NULL, "and says when it is not there: %s", err);
	name[0] = '\0';
	tap_ok(commit_find(out, digest, name, sizeof(name)) == arr &&
	    strcmp(name, "interfaces[0]") == 0,
	    "commit_find finds the object holding a digest: %s", name);

	tap_int(policy_apply(po, &po->po_record, in, NULL, &out2, NULL, NULL,
	    err), 0, "applied again");
	tap_ok(json_equal(out, out2), "the same record gives the same output");
	free(s);
	json_decref(out);
	json_decref(out2);

	/* Refusals. */
	json_object_set_new(in, "owner_ps", json_string("mine"));
	tap_int(policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
	    err), -1, "a field named like a pseudonym is refused");
	tap_ok(strstr(err, "owner_ps") != NULL && strstr(err, "mine") == NULL,
	    "... naming it, not its value: %s", err);
	json_object_del(in, "owner_ps");
	json_object_del(in, "id");
	tap_int(policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
	    err), -1, "a record without an id cannot be committed");
	tap_ok(strstr(err, "no id") != NULL, "... says so: %s", err);
	tap_int(policy_apply(po, &po->po_record, in, "ctx/1", &out, NULL, NULL,
	    err), 0, "unless the caller names a context (native calls)");
	json_decref(out);
	po->po_keys = NULL;
	json_object_set_new(in, "id", json_string("pve/100"));
	tap_int(policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
	    err), -1, "no keys: the policy fails closed");
	tap_ok(strstr(err, "no secret key") != NULL, "... says so: %s", err);
	policy_free(po);
	json_decref(in);

	po = policy("return { record = \"commit\" }\n");
	in = parse("{\"id\":\"pve/1\"}");
	tap_int(policy_apply(po, &po->po_record, in, NULL, &out, NULL, NULL,
	    err), -1, "a whole document cannot be committed");
	tap_ok(strstr(err, "only a field") != NULL, "... says so: %s", err);
	policy_free(po);
	json_decref(in);
}

int
main(void)
{
	uint8_t		 secret[KEYS_SECRET_LEN];
	size_t		 i;
	char		 cmd[PATH_MAX + 16];

	log_init(0);
	crypto_init();
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	if ((keys = keys_from_secret(secret)) == NULL || mkdtemp(tmpdir) ==
	    NULL) {
		printf("Bail out! setup\n");
		return 1;
	}
	test_vectors();
	test_make();
	test_policy();
	keys_free(keys);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
