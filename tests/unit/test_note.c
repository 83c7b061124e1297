/*
 * test_note.c: proxy/note.c and the verifier keys of proxy/keys.c against
 * the C2SP signed-note, tlog-checkpoint and tlog-cosignature vectors in
 * tests/vectors (copied from the shared reference): the published notes
 * verify, the ones made from known keys are reproduced byte for byte,
 * and every malformed note, checkpoint and key the specifications and
 * Go's tests name is refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sightline.h"
#include "tap.h"

#define NOTE_DASH	"\xe2\x80\x94 "
#define COSIG_TIME	1700000000ULL	/* the self-generated vectors' */

static char	 vdir[PATH_MAX];
static char	 kdir[] = "/tmp/test_note.XXXXXX";

static char *
slurp(const char *name, size_t *len)
{
	char	 path[PATH_MAX * 2], err[ERR_MAX];
	char	*s;

	snprintf(path, sizeof(path), "%s/%s", vdir, name);
	if ((s = file_read(path, 1 << 20, len, err)) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return s;
}

static json_t *
load_json(const char *name)
{
	char		 path[PATH_MAX * 2];
	json_error_t	 jerr;
	json_t		*j;

	snprintf(path, sizeof(path), "%s/%s", vdir, name);
	if ((j = json_load_file(path, 0, &jerr)) == NULL) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		exit(1);
	}
	return j;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	if (s == NULL) {
		printf("Bail out! vector without \"%s\"\n", key);
		exit(1);
	}
	return s;
}

static void
vkey(const char *s, struct keys_vkey *vk)
{
	char	 err[ERR_MAX];

	if (keys_vkey_parse(s, vk, err) == -1) {
		printf("Bail out! vkey %s: %s\n", s, err);
		exit(1);
	}
}

/* s with the first from replaced by to: new. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char	*p = strstr(s, from);
	char		*out;

	if (p == NULL) {
		printf("Bail out! \"%s\" not found\n", from);
		exit(1);
	}
	if (asprintf(&out, "%.*s%s%s", (int)(p - s), s, to,
	    p + strlen(from)) == -1)
		exit(1);
	return out;
}

static int
verify(const char *note, const struct keys_vkey *vk, char *err)
{
	size_t	 tl;

	err[0] = '\0';
	return note_verify(note, strlen(note), vk, &tl, err);
}

static int
cosig_verify(const char *note, const struct keys_vkey *vk, uint64_t *t,
    char *err)
{
	err[0] = '\0';
	return note_cosig_verify(note, strlen(note), vk, t, err);
}

/*
 * Keys named name from a raw Ed25519 seed (hex), through keys_load() of
 * the .skey form sightline keygen writes: "PRIVATE+KEY+NAME+ID+B64(0x01
 * || seed)".
 */
static struct keys *
seed_keys(const char *name, const char *seed_hex)
{
	uint8_t			 raw[1 + ED25519_KEY_LEN], pub[ED25519_KEY_LEN];
	char			 b64[B64_LEN(sizeof(raw)) + 1], err[ERR_MAX];
	char			 path[PATH_MAX], *text;
	struct crypto_ed25519	*ed;
	struct keys		*k;
	static int		 n;

	raw[0] = NOTE_SIGTYPE_ED25519;
	if (hex_decode(seed_hex, raw + 1, ED25519_KEY_LEN, 0) == -1 ||
	    (ed = crypto_ed25519_new(raw + 1, 1)) == NULL ||
	    crypto_ed25519_public(ed, pub) == -1) {
		printf("Bail out! seed %s\n", seed_hex);
		exit(1);
	}
	crypto_ed25519_free(ed);
	b64_encode(raw, sizeof(raw), B64_STD, b64);
	snprintf(path, sizeof(path), "%s/%d.skey", kdir, n++);
	if (asprintf(&text, "PRIVATE+KEY+%s+%08x+%s\n", name,
	    keys_id(name, pub), b64) == -1 ||
	    tap_write_file(path, text, strlen(text), 0600) == -1 ||
	    (k = keys_load(path, NULL, err)) == NULL) {
		printf("Bail out! %s: %s\n", name, err);
		exit(1);
	}
	free(text);
	return k;
}

static void
test_vkeys(void)
{
	static const char *const names_bad[] = {
		"", "a b", "a+b", "a\tb", "a\xc2\xa0" "b", "a\xe2\x80\x83" "b",
		"a\xe3\x80\x80" "b", "a\xe2\x80\xa8" "b", "a\xc2\x85" "b",
		"a\xff" "b",
	};
	json_t			*v = load_json("signed-note/signed-note-vectors.json");
	json_t			*sg = load_json("tlog-checkpoint/"
				    "selfgen-checkpoint-cosignature-vectors.json");
	json_t			*e, *w = json_object_get(sg, "witness_key");
	struct keys_vkey	 vk;
	struct keys		*k;
	uint8_t			 pub[ED25519_KEY_LEN];
	char			 err[ERR_MAX], out[KEYS_VKEY_MAX], *s;
	size_t			 i;

	json_array_foreach(json_object_get(v, "vectors"), i, e) {
		tap_ok(keys_vkey_parse(jstr(e, "vkey"), &vk, err) == 0,
		    "vkey %s parses", jstr(e, "key_name"));
		tap_ok(vk.vk_type == NOTE_SIGTYPE_ED25519, "... of type 0x01");
		keys_vkey_clear(&vk);
	}
	json_array_foreach(json_object_get(v, "bad_vkeys_from_go_tests"), i,
	    e) {
		tap_ok(keys_vkey_parse(jstr(e, "vkey"), &vk, err) == -1,
		    "bad vkey refused (%s): %s", jstr(e, "why"), err);
	}

	/* The witness: type 0x04, and a key id that hashes 0x04. */
	vkey(jstr(w, "vkey"), &vk);
	tap_ok(vk.vk_type == NOTE_SIGTYPE_COSIG, "the witness vkey is of "
	    "type 0x04");
	hex_decode(jstr(w, "public_hex"), pub, sizeof(pub), 0);
	tap_int(keys_id_type(jstr(w, "name"), NOTE_SIGTYPE_COSIG, pub),
	    0x3583af90, "the type-0x04 key id");
	tap_int(keys_id(jstr(w, "name"), pub), 0xc0458020,
	    "the type-0x01 key id of the same key differs");
	keys_vkey_clear(&vk);
	s = replace(jstr(w, "vkey"), "3583af90", "c0458020");
	tap_ok(keys_vkey_parse(s, &vk, err) == -1, "a type-0x04 vkey with the "
	    "type-0x01 key id is refused: %s", err);
	free(s);
	k = seed_keys(jstr(w, "name"), jstr(w, "seed_hex"));
	tap_int(keys_cosig_vkey(k, out), 0, "keys_cosig_vkey()");
	tap_str(out, jstr(w, "vkey"), "... is the witness vkey of the vectors");
	tap_ok(strcmp(k->k_vkey, out) != 0 && k->k_id == 0xc0458020,
	    "... while the loaded key's own vkey is of type 0x01");
	keys_free(k);
	k = keys_throwaway();
	tap_int(keys_cosig_vkey(k, out), -1, "no cosignature vkey without a "
	    "signing key");
	keys_free(k);
	vkey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7o"
	    "nlmtw2", &vk);
	tap_ok(vk.vk_type == NOTE_SIGTYPE_COSIG, "the remora vkey is of type "
	    "0x04");
	keys_vkey_clear(&vk);
	tap_ok(keys_vkey_parse("x+5a6d0cfb+BdMfDk+yUU00oGJJsbtn66WrIhCsbbq"
	    "Ykx2zGlStuNz4", &vk, err) == -1, "type 0x05 is refused: %s", err);

	for (i = 0; i < sizeof(names_bad) / sizeof(names_bad[0]); i++)
		tap_ok(!keys_name_valid(names_bad[i]), "key name %zu refused "
		    "(space, \"+\", control, bad UTF-8)", i);
	tap_ok(keys_name_valid("example.com/\xc3\xa9t\xc3\xa9"),
	    "a name with non-ASCII letters is fine");
	json_decref(v);
	json_decref(sg);
}

static void
test_signed_note(void)
{
	json_t			*v = load_json("signed-note/signed-note-vectors.json");
	json_t			*e, *pn = NULL, *enoch = NULL;
	struct keys_vkey	 vk, vk_pn, vk_enoch, vk_fake;
	struct keys		*k;
	struct buf		 b;
	char			 err[ERR_MAX], path[PATH_MAX], *note, *made;
	char			*s, *t, *sig;
	uint8_t			 raw[4 + ED25519_SIG_LEN + 1];
	char			 b64[B64_LEN(sizeof(raw)) + 1];
	const char		*text;
	size_t			 i, len, tl, mlen;

	json_array_foreach(json_object_get(v, "vectors"), i, e) {
		snprintf(path, sizeof(path), "signed-note/%s",
		    jstr(e, "signed_note_file"));
		note = slurp(path, &len);
		vkey(jstr(e, "vkey"), &vk);
		text = jstr(e, "note_text");
		tl = 0;
		err[0] = '\0';
		tap_ok(note_verify(note, len, &vk, &tl, err) == 0, "%s "
		    "verifies: %s", jstr(e, "signed_note_file"), err);
		tap_int(tl, strlen(text), "... the signed text is note_text");
		tap_ok(memcmp(note, text, strlen(text)) == 0, "... byte for "
		    "byte");
		tap_ok(strstr(note, jstr(e, "signature_b64")) != NULL,
		    "... and the signature is the vector's");
		keys_vkey_clear(&vk);
		free(note);
		if (strcmp(jstr(e, "key_name"), "PeterNeumann") == 0)
			pn = e;
		if (strcmp(jstr(e, "key_name"), "EnochRoot") == 0)
			enoch = e;
	}
	if (pn == NULL || enoch == NULL) {
		printf("Bail out! no PeterNeumann or EnochRoot vector\n");
		exit(1);
	}
	vkey(jstr(pn, "vkey"), &vk_pn);
	vkey(jstr(enoch, "vkey"), &vk_enoch);
	text = jstr(pn, "note_text");

	/* Go's known private key: the same signature, byte for byte. */
	note = slurp("signed-note/go-peterneumann.note", &len);
	snprintf(err, sizeof(err), "%s/pn.skey", kdir);
	tap_write_file(err, jstr(pn, "skey"), strlen(jstr(pn, "skey")), 0600);
	k = keys_load(err, NULL, err);
	tap_ok(k != NULL, "Go's PRIVATE+KEY+PeterNeumann loads");
	tap_str(k->k_vkey, jstr(pn, "vkey"), "... its vkey is Go's");
	made = note_sign(k, text, strlen(text), &mlen, err);
	tap_ok(made != NULL && mlen == len && memcmp(made, note, len) == 0,
	    "note_sign() reproduces go-peterneumann.note byte for byte");
	free(made);
	tap_ok(note_sign(k, "abc", 3, &mlen, err) == NULL, "a text without "
	    "a final newline is not signed: %s", err);
	tap_ok(note_sign(k, "", 0, &mlen, err) == NULL, "nor an empty text");
	tap_ok(note_sign(k, "a\rb\n", 4, &mlen, err) == NULL, "nor a text "
	    "with a CR: %s", err);
	tap_ok(note_sign(k, "\xff\n", 2, &mlen, err) == NULL, "nor bad UTF-8");
	made = note_sign(k, "one\n\ntwo\n\n", 10, &mlen, err);
	tap_ok(made != NULL && note_verify(made, mlen, &vk_pn, &tl, err) ==
	    0 && tl == 10, "a text with blank lines signs and verifies, "
	    "split at the last one");
	free(made);

	/* The two-signer note: each key finds its own signature. */
	s = slurp("signed-note/go-peterneumann-enochroot.note", &len);
	tap_int(note_verify(s, len, &vk_pn, &tl, err), 0, "the 2-signer note "
	    "verifies with PeterNeumann");
	tap_int(note_verify(s, len, &vk_enoch, &tl, err), 0, "... and with "
	    "EnochRoot");
	tap_int(tl, strlen(text), "... over the same text");
	free(s);
	tap_ok(verify(note, &vk_enoch, err) == -1 && strstr(err,
	    "no signature by EnochRoot") != NULL, "another key finds no "
	    "signature: %s", err);

	/* Go's malformed notes; SIG is the signature line. */
	sig = note + strlen(text) + 1;
	{
		char	*bad[8];

		if (asprintf(&bad[0], "%s", text) == -1 ||
		    asprintf(&bad[1], "%s\n", text) == -1 ||
		    asprintf(&bad[2], "%s\n%.*s", text, (int)strlen(sig) - 1,
		    sig) == -1 ||
		    asprintf(&bad[3], "\x01%s\n%s", text, sig) == -1 ||
		    asprintf(&bad[4], "\xff%s\n%s", text, sig) == -1 ||
		    asprintf(&bad[5], "%s\n" NOTE_DASH "Bad Name x08go/ZJkuBS9U"
		    "G/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
		    "otpRZb6KE6RyyBwJnAM=\n", text) == -1 ||
		    asprintf(&bad[6], "%s\n%sUnexpected line.\n", text,
		    sig) == -1 ||
		    asprintf(&bad[7], "%s\n%s\n%s", text, sig, sig) == -1)
			exit(1);
		for (i = 0; i < 7; i++) {
			tap_ok(verify(bad[i], &vk_pn, err) == -1,
			    "Go's malformed note %zu refused: %s", i + 1, err);
			free(bad[i]);
		}
		tap_ok(verify(bad[7], &vk_pn, err) == -1, "a blank line "
		    "between signatures ends the text: %s", err);
		free(bad[7]);
	}

	/* Control characters, names, signature lines. */
	s = replace(note, "problem,\n", "problem,\r\n");
	tap_ok(verify(s, &vk_pn, err) == -1, "a CR is refused: %s", err);
	free(s);
	s = replace(note, "think ", "think\t");
	tap_ok(verify(s, &vk_pn, err) == -1, "a TAB is refused: %s", err);
	free(s);
	s = replace(note, "think", "th\x7fink");
	tap_ok(verify(s, &vk_pn, err) == -1 && strstr(err, "does not verify")
	    != NULL, "DEL is not a control character below U+0020, but the "
	    "text changed: %s", err);
	free(s);
	s = replace(note, "problem is.", "problem is!");
	tap_ok(verify(s, &vk_pn, err) == -1 && strstr(err, "does not verify")
	    != NULL, "a changed text fails: %s", err);
	free(s);
	s = replace(note, "x08go", "x08gp");
	tap_ok(verify(s, &vk_pn, err) == -1, "a changed key id is no "
	    "signature by the key: %s", err);
	free(s);
	/* PeterNeumann's id and 65 bytes: not an Ed25519 signature. */
	memset(raw, 0, sizeof(raw));
	b64_decode(jstr(pn, "signature_b64"), strlen(jstr(pn,
	    "signature_b64")), B64_STD, raw, sizeof(raw));
	b64_encode(raw, sizeof(raw), B64_STD, b64);
	s = replace(note, jstr(pn, "signature_b64"), b64);
	tap_ok(verify(s, &vk_pn, err) == -1 && strstr(err, "65 bytes") !=
	    NULL, "a signature of the wrong length is refused: %s", err);
	free(s);
	s = replace(note, "\n" NOTE_DASH, "\n-- ");
	tap_ok(verify(s, &vk_pn, err) == -1, "\"--\" is not an em dash");
	free(s);
	s = replace(note, NOTE_DASH "PeterNeumann", NOTE_DASH
	    "Peter\xe3\x80\x80Neumann");
	tap_ok(verify(s, &vk_pn, err) == -1, "a name with a Unicode space is "
	    "malformed: %s", err);
	free(s);
	s = replace(note, "JnAM=", "JnAM");
	tap_ok(verify(s, &vk_pn, err) == -1, "base64 without its padding is "
	    "refused: %s", err);
	free(s);
	s = replace(note, "x08go/", "x08go_");
	tap_ok(verify(s, &vk_pn, err) == -1, "base64url is refused: %s", err);
	free(s);

	/*
	 * Other signatures are ignored: same name another id, another name
	 * the same id, other lengths. A signer with PeterNeumann's name
	 * and id whose signature fails makes the note bad.
	 */
	buf_init(&b);
	buf_printf(&b, "%s\n", text);
	buf_printf(&b, NOTE_DASH "PeterNeumann AAAAAAAA\n");
	buf_printf(&b, NOTE_DASH "Someone x08go/8=\n");
	buf_printf(&b, NOTE_DASH "x.example/\xc3\xa9 AQIDBAU=\n");
	buf_addstr(&b, sig);
	s = buf_take(&b, &len);
	tap_int(verify(s, &vk_pn, err), 0, "unknown signatures are ignored");
	t = replace(s, sig, "");
	tap_ok(verify(t, &vk_pn, err) == -1 && strstr(err, "no signature by "
	    "PeterNeumann+c74f20a3") != NULL, "... and do not count: %s", err);
	free(t);
	t = replace(s, NOTE_DASH "Someone", NOTE_DASH "Some+one");
	tap_ok(verify(t, &vk_pn, err) == -1, "... but must be well formed: "
	    "%s", err);
	free(t);
	free(s);
	buf_init(&b);
	buf_printf(&b, "%s\n%s", text, sig);
	buf_printf(&b, NOTE_DASH "PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFu"
	    "pLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n");
	s = buf_take(&b, &len);
	tap_ok(verify(s, &vk_pn, err) == -1 && strstr(err, "does not verify")
	    != NULL, "a second, bad signature by the key is refused: %s", err);
	free(s);

	/* At most NOTE_SIGS_MAX signature lines. */
	for (len = NOTE_SIGS_MAX; len <= NOTE_SIGS_MAX + 1; len++) {
		buf_init(&b);
		buf_printf(&b, "%s\n", text);
		for (i = 1; i < len; i++)
			buf_printf(&b, NOTE_DASH "w%zu.example AQIDBAU=\n", i);
		buf_addstr(&b, sig);
		s = buf_take(&b, NULL);
		tap_int(verify(s, &vk_pn, err), len <= NOTE_SIGS_MAX ? 0 : -1,
		    len <= NOTE_SIGS_MAX ? "100 signature lines are fine" :
		    "101 are refused");
		free(s);
	}
	/* At most NOTE_MAX bytes, signatures included, both ways. */
	if ((s = malloc(NOTE_MAX)) == NULL)
		exit(1);
	memset(s, 'a', NOTE_MAX);
	len = NOTE_MAX - (1 + strlen(sig));
	s[len - 1] = '\n';
	made = note_sign(k, s, len, &mlen, err);
	tap_ok(made != NULL && mlen == NOTE_MAX && note_verify(made, mlen,
	    &vk_pn, &tl, err) == 0, "a note of NOTE_MAX bytes is signed and "
	    "verifies");
	free(made);
	s[len] = '\n';
	tap_ok(note_sign(k, s, len + 1, &mlen, err) == NULL, "one more byte is "
	    "refused: %s", err);
	free(s);

	/* A key of type 0x04 does not verify note signatures. */
	vk_fake = vk_pn;
	vk_fake.vk_type = NOTE_SIGTYPE_COSIG;
	tap_ok(verify(note, &vk_fake, err) == -1 && strstr(err, "type 0x04")
	    != NULL, "a type-0x04 key is refused by note_verify: %s", err);
	{
		struct keys	*kk = keys_throwaway();

		tap_ok(note_sign(kk, text, strlen(text), &mlen, err) == NULL,
		    "keys without a signing key do not sign");
		keys_free(kk);
	}
	free(note);
	keys_vkey_clear(&vk_pn);
	keys_vkey_clear(&vk_enoch);
	json_decref(v);
	keys_free(k);
}

static void
test_real_checkpoints(void)
{
	json_t			*v = load_json("tlog-checkpoint/"
				    "real-arche2025h1-cosigned.json");
	json_t			*e;
	struct keys_vkey	 vk, vk_log, vk_rem;
	struct note_checkpoint	 cp;
	uint8_t			 root[MERKLE_HASH_LEN];
	uint64_t		 t;
	char			 err[ERR_MAX], *note, *s;
	size_t			 len, tl, i;

	note = slurp("tlog-checkpoint/real-sum.golang.org-35225469.checkpoint",
	    &len);
	vkey("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8"
	    "OuAn8", &vk);
	tap_int(note_verify(note, len, &vk, &tl, err), 0, "sum.golang.org's "
	    "checkpoint verifies (key name and origin differ)");
	tap_int(note_checkpoint_parse(note, tl, &cp, err), 0, "... parses");
	tap_str(cp.nc_origin, "go.sum database tree", "... origin");
	tap_int((long long)cp.nc_size, 35225469, "... size");
	b64_decode("vt5T6GaLCXvyHFl9VUvvItR43XZxfLgftEcTyO3eJCQ=", 44, B64_STD,
	    root, sizeof(root));
	tap_ok(memcmp(cp.nc_root, root, sizeof(root)) == 0 &&
	    cp.nc_nextensions == 0, "... root, no extension");
	tap_ok(note_checkpoint_text(cp.nc_origin, cp.nc_size, cp.nc_root, &tl,
	    err) == NULL, "note.c would not write an origin with spaces: %s",
	    err);
	keys_vkey_clear(&vk);
	free(note);

	note = slurp("tlog-checkpoint/real-arche2025h1-cosigned.checkpoint",
	    &len);
	json_array_foreach(json_object_get(v, "verified_keys"), i, e) {
		if (json_integer_value(json_object_get(e, "type")) == 1)
			vkey(jstr(e, "vkey"), &vk_log);
		else
			vkey(jstr(e, "vkey"), &vk_rem);
	}
	tap_int(note_verify(note, len, &vk_log, &tl, err), 0, "the arche2025h1 "
	    "checkpoint verifies (its 0x05 line and 4 cosignatures ignored)");
	tap_int(tl, strlen(jstr(v, "note_text")), "... the text is note_text");
	tap_int(note_checkpoint_parse(note, tl, &cp, err), 0, "... parses");
	tap_int((long long)cp.nc_size, 1432088532, "... size");
	t = 0;
	tap_int(note_cosig_verify(note, len, &vk_rem, &t, err), 0, "the remora "
	    "cosignature verifies");
	tap_int((long long)t, 1779573024, "... at time 1779573024");
	tap_ok(note_verify(note, len, &vk_rem, &tl, err) == -1, "note_verify() "
	    "refuses the type-0x04 remora key: %s", err);
	tap_ok(note_cosig_verify(note, len, &vk_log, &t, err) == -1,
	    "note_cosig_verify() refuses the type-0x01 log key: %s", err);
	s = replace(note, "1432088532", "1432088533");
	tap_ok(cosig_verify(s, &vk_rem, &t, err) == -1, "a changed size fails "
	    "the cosignature: %s", err);
	tap_ok(verify(s, &vk_log, err) == -1, "... and the log signature");
	free(s);
	s = replace(note, "2net5wAAAABqEiEg", "2net5wAAAABqEiEh");
	tap_ok(cosig_verify(s, &vk_rem, &t, err) == -1, "a changed time fails: "
	    "%s", err);
	free(s);
	keys_vkey_clear(&vk_log);
	keys_vkey_clear(&vk_rem);
	free(note);
	json_decref(v);
}

static void
test_selfgen(void)
{
	json_t			*v = load_json("tlog-checkpoint/"
				    "selfgen-checkpoint-cosignature-vectors.json");
	json_t			*lk = json_object_get(v, "log_key");
	json_t			*wk = json_object_get(v, "witness_key");
	json_t			*e;
	struct keys		*klog, *kwit;
	struct keys_vkey	 vk_log, vk_wit, vk_wrong, vk_fake;
	struct note_checkpoint	 cp;
	struct buf		 b;
	uint8_t			 root[MERKLE_HASH_LEN], raw[76];
	uint64_t		 t;
	char			 err[ERR_MAX], b64[B64_LEN(sizeof(raw)) + 1];
	char			*note, *text, *made, *s, *line;
	const char		*want;
	size_t			 i, len, tl, mlen;

	klog = seed_keys(jstr(lk, "name"), jstr(lk, "seed_hex"));
	kwit = seed_keys(jstr(wk, "name"), jstr(wk, "seed_hex"));
	tap_str(klog->k_vkey, jstr(lk, "vkey"), "RFC 8032 TEST 1 as "
	    "example.com/test-log: the vectors' vkey");
	vkey(jstr(lk, "vkey"), &vk_log);
	vkey(jstr(wk, "vkey"), &vk_wit);

	json_array_foreach(json_object_get(v, "checkpoints"), i, e) {
		want = jstr(e, "file");
		snprintf(err, sizeof(err), "tlog-checkpoint/%s", want);
		note = slurp(err, &len);
		tap_ok(note_verify(note, len, &vk_log, &tl, err) == 0, "%s: the "
		    "log signature verifies", want);
		tap_int(tl, strlen(jstr(e, "note_text")), "... over note_text");
		tap_int(note_checkpoint_parse(note, tl, &cp, err), 0,
		    "... parses");
		hex_decode(jstr(e, "root_hex"), root, sizeof(root), 0);
		tap_ok(cp.nc_size == (uint64_t)json_integer_value(
		    json_object_get(e, "tree_size")) && memcmp(cp.nc_root,
		    root, sizeof(root)) == 0 && strcmp(cp.nc_origin,
		    "example.com/test-log") == 0, "... size, root and origin");
		tap_int((long long)cp.nc_nextensions, strstr(want, "-ext") ?
		    1 : 0, "... extension lines");
		t = 0;
		tap_int(note_cosig_verify(note, len, &vk_wit, &t, err), 0,
		    "... the cosignature verifies");
		tap_int((long long)t, (long long)COSIG_TIME, "... time");

		/* Made again from the keys: the same bytes. */
		text = note_checkpoint_text(cp.nc_origin, cp.nc_size, root,
		    &mlen, err);
		if (cp.nc_nextensions == 0)
			tap_ok(text != NULL && mlen == tl && memcmp(text, note,
			    tl) == 0, "... note_checkpoint_text() writes it");
		free(text);
		made = note_sign(klog, note, tl, &mlen, err);
		buf_init(&b);
		tap_ok(made != NULL && note_cosign(kwit, note, tl, COSIG_TIME,
		    &b, err) == 0, "... signed and cosigned again");
		buf_add(&b, made, mlen);
		s = buf_take(&b, NULL);
		line = strchr(s, '\n') + 1;
		tap_ok(mlen + (size_t)(line - s) == len && memcmp(made, note,
		    mlen) == 0 && memcmp(note + mlen, s, (size_t)(line -
		    s)) == 0, "... byte for byte");
		tap_ok(strstr(made, jstr(e, "log_signature_b64")) != NULL &&
		    strncmp(s + strlen(NOTE_DASH "example.com/test-witness "),
		    jstr(e, "cosignature_b64"), 104) == 0, "... the vectors' "
		    "signature and cosignature");
		free(made);
		free(s);
		free(note);
	}

	note = slurp("tlog-checkpoint/selfgen-test-log-size8.checkpoint", &len);
	/* The key id computed with type 0x01 must not find the cosignature. */
	raw[0] = NOTE_SIGTYPE_ED25519;
	memcpy(raw + 1, vk_wit.vk_pub, ED25519_KEY_LEN);
	b64_encode(raw, 33, B64_STD, b64);
	snprintf(err, sizeof(err), "example.com/test-witness+c0458020+%s", b64);
	vkey(err, &vk_wrong);
	tap_ok(vk_wrong.vk_type == NOTE_SIGTYPE_ED25519, "the witness key as "
	    "type 0x01 (c0458020) parses");
	tap_ok(verify(note, &vk_wrong, err) == -1 && strstr(err, "no "
	    "signature") != NULL, "... and finds no signature: %s", err);
	tap_ok(cosig_verify(note, &vk_wrong, &t, err) == -1,
	    "... nor a cosignature: %s", err);
	keys_vkey_clear(&vk_wrong);
	/* A type-0x01 verifier with the 0x04 id: the layout differs. */
	vk_fake = vk_wit;
	vk_fake.vk_type = NOTE_SIGTYPE_ED25519;
	tap_ok(verify(note, &vk_fake, err) == -1 && strstr(err, "76 bytes") ==
	    NULL && strstr(err, "72 bytes") != NULL, "a type-0x01 verifier "
	    "does not accept a cosignature: %s", err);
	vk_fake = vk_log;
	vk_fake.vk_type = NOTE_SIGTYPE_COSIG;
	tap_ok(cosig_verify(note, &vk_fake, &t, err) == -1 && strstr(err,
	    "64 bytes") != NULL, "a type-0x04 verifier does not accept a log "
	    "signature: %s", err);

	/* Cosignatures: time bounds and what they cover. */
	if (note_verify(note, len, &vk_log, &tl, err) == -1 ||
	    (text = strndup(note, tl)) == NULL)
		exit(1);
	buf_init(&b);
	tap_ok(note_cosign(kwit, text, tl, (uint64_t)INT64_MAX, &b, err) == 0,
	    "a cosignature at 2^63-1 is made");
	s = NULL;
	if (asprintf(&s, "%s\n%s", text, b.b_data) == -1)
		exit(1);
	tap_ok(cosig_verify(s, &vk_wit, &t, err) == 0 && t ==
	    (uint64_t)INT64_MAX, "... and verifies");
	free(s);
	buf_free(&b);
	tap_ok(note_cosign(kwit, text, tl, (uint64_t)INT64_MAX + 1, &b,
	    err) == -1 && b.b_len == 0, "2^63 is refused: %s", err);
	tap_ok(note_cosign(kwit, "hello\n", 6, COSIG_TIME, &b, err) == -1,
	    "a text that is not a checkpoint is not cosigned: %s", err);
	tap_ok(note_cosign(kwit, text, tl - 1, COSIG_TIME, &b, err) == -1,
	    "nor one without its final newline");
	/* A line with time 2^63 (and any signature) is refused as such. */
	memset(raw, 0, sizeof(raw));
	raw[0] = 0x35, raw[1] = 0x83, raw[2] = 0xaf, raw[3] = 0x90;
	raw[4] = 0x80;
	b64_encode(raw, sizeof(raw), B64_STD, b64);
	if (asprintf(&s, "%s\n" NOTE_DASH "example.com/test-witness %s\n", text,
	    b64) == -1)
		exit(1);
	tap_ok(cosig_verify(s, &vk_wit, &t, err) == -1 && strstr(err, "2^63")
	    != NULL, "a cosignature time of 2^63 is refused: %s", err);
	free(s);
	/* The cosignature covers the final newline and the extensions. */
	s = replace(note, "Qyg=\n\n", "Qyg=\nextension\n\n");
	tap_ok(cosig_verify(s, &vk_wit, &t, err) == -1, "an added extension "
	    "line fails the cosignature: %s", err);
	free(s);
	free(text);
	free(note);
	keys_vkey_clear(&vk_log);
	keys_vkey_clear(&vk_wit);
	keys_free(klog);
	keys_free(kwit);
	json_decref(v);
}

static void
test_checkpoint_syntax(void)
{
	static const char *const root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7"
	    "/RgQyg=";
	static const char *const max = "o\n9223372036854775807\nXcnaeacGWamt"
	    "VZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\na\nb c\n";
	static const struct {
		const char	*text, *why;
	} bad[] = {
		{ "o\n08\nR\n", "leading zero" },
		{ "o\n00\nR\n", "two zeros" },
		{ "o\n+8\nR\n", "a plus sign" },
		{ "o\n-1\nR\n", "a minus sign" },
		{ "o\n 8\nR\n", "a leading space" },
		{ "o\n8 \nR\n", "a trailing space" },
		{ "o\n0x8\nR\n", "hex" },
		{ "o\n\nR\n", "an empty size" },
		{ "o\n9223372036854775808\nR\n", "2^63" },
		{ "o\n18446744073709551616\nR\n", "2^64" },
		{ "o\n99999999999999999999\nR\n", "20 digits" },
		{ "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n",
		  "base64url" },
		{ "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",
		  "missing padding" },
		{ "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",
		  "stray bits" },
		{ "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n",
		  "31 bytes" },
		{ "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygA\n",
		  "33 bytes" },
		{ "o\n8\nR\n\next\n", "a blank line inside" },
		{ "o\n8\nR\next\n\n", "a blank line at the end" },
		{ "o\n8\nR\r\n", "a CR" },
		{ "o\n8\tR\n", "a TAB" },
		{ "o\n8\nR", "no final newline" },
		{ "o\n8\n", "no root" },
		{ "\n8\nR\n", "an empty origin" },
		{ "o\xff\n8\nR\n", "bad UTF-8" },
		{ "", "nothing" },
	};
	struct note_checkpoint	 cp;
	uint8_t			 h[MERKLE_HASH_LEN];
	char			 err[ERR_MAX], *s, *t, origin[NOTE_ORIGIN_MAX + 2];
	size_t			 i, len;

	/* "\nR" in a case stands for a good root hash line. */
	if (asprintf(&t, "\n%s", root) == -1)
		exit(1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = strstr(bad[i].text, "\nR") != NULL ? replace(bad[i].text,
		    "\nR", t) : strdup(bad[i].text);
		err[0] = '\0';
		tap_ok(note_checkpoint_parse(s, strlen(s), &cp, err) == -1,
		    "checkpoint refused: %s: %s", bad[i].why, err);
		free(s);
	}
	free(t);
	tap_int(note_checkpoint_parse(max, strlen(max), &cp, err), 0,
	    "size 2^63-1 and two extension lines parse");
	tap_ok(cp.nc_size == (uint64_t)INT64_MAX && cp.nc_nextensions == 2,
	    "... read as such");
	memset(h, 0xab, sizeof(h));
	s = note_checkpoint_text("example.com/log", 0, h, &len, err);
	tap_str(s, "example.com/log\n0\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6u"
	    "rq6s=\n", "note_checkpoint_text()");
	tap_ok(s != NULL && len == strlen(s), "... and its length");
	free(s);
	memset(origin, 'a', sizeof(origin));
	origin[NOTE_ORIGIN_MAX + 1] = '\0';
	tap_ok(note_checkpoint_text(origin, 1, h, &len, err) == NULL,
	    "an origin longer than %d bytes is refused", NOTE_ORIGIN_MAX);
	origin[NOTE_ORIGIN_MAX] = '\0';
	s = note_checkpoint_text(origin, 1, h, &len, err);
	tap_ok(s != NULL && note_checkpoint_parse(s, len, &cp, err) == 0 &&
	    strcmp(cp.nc_origin, origin) == 0, "... %d bytes are fine",
	    NOTE_ORIGIN_MAX);
	free(s);
	tap_ok(note_checkpoint_text("", 1, h, &len, err) == NULL, "an empty "
	    "origin is refused");
	tap_ok(note_checkpoint_text("a b", 1, h, &len, err) == NULL, "... one "
	    "with a space");
	tap_ok(note_checkpoint_text("a+b", 1, h, &len, err) == NULL, "... with "
	    "a \"+\"");
	tap_ok(note_checkpoint_text("a\nb", 1, h, &len, err) == NULL, "... with "
	    "a newline");
	tap_ok(note_checkpoint_text("o", (uint64_t)INT64_MAX + 1, h, &len,
	    err) == NULL, "a size of 2^63 is refused");
}

/*
 * The tlog-proof file: its checkpoint verifies and is cosigned, its leaf
 * hash and proof hashes are the vectors', and the proof holds against the
 * checkpoint's root (merkle.c; Go's tlog checks it in test_tlog_go.py).
 * Then the witness request's consistency proof from size 6 to size 8.
 */
static void
test_tlog_proof(void)
{
	json_t			*v = load_json("tlog-checkpoint/"
				    "selfgen-checkpoint-cosignature-vectors.json");
	json_t			*tp = json_object_get(v, "tlog_proof");
	json_t			*e;
	struct keys_vkey	 vk_log, vk_wit;
	struct note_checkpoint	 cp;
	uint8_t			 h[MERKLE_HASH_LEN], want[MERKLE_HASH_LEN];
	uint8_t			 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	uint8_t			 leaf[1 + 4];
	struct note_checkpoint	 old;
	char			 err[ERR_MAX], *file, *p, *nl, *body;
	size_t			 len, tl, i, n = 0;
	uint64_t		 t;

	vkey(jstr(json_object_get(v, "log_key"), "vkey"), &vk_log);
	vkey(jstr(json_object_get(v, "witness_key"), "vkey"), &vk_wit);
	file = slurp("tlog-checkpoint/selfgen-leaf5.tlog-proof", &len);
	tap_ok(strncmp(file, "c2sp.org/tlog-proof@v1\nindex 5\n", 31) == 0,
	    "tlog-proof: header and index 5");
	p = file + 31;
	json_array_foreach(json_object_get(tp, "inclusion_proof_hex"), i, e) {
		nl = strchr(p, '\n');
		hex_decode(json_string_value(e), want, sizeof(want), 0);
		tap_ok(nl != NULL && n < MERKLE_PROOF_MAX && b64_decode(p,
		    (size_t)(nl - p), B64_STD, proof[n], MERKLE_HASH_LEN) ==
		    MERKLE_HASH_LEN && memcmp(proof[n], want, MERKLE_HASH_LEN) ==
		    0, "... proof hash %zu", i);
		p = nl + 1;
		n++;
	}
	tap_ok(n == 3 && *p == '\n', "... 3 hashes, then a blank line");
	p++;
	len -= (size_t)(p - file);
	tap_int(note_verify(p, len, &vk_log, &tl, err), 0, "... the "
	    "checkpoint verifies");
	tap_ok(note_checkpoint_parse(p, tl, &cp, err) == 0 && cp.nc_size == 8,
	    "... size 8");
	tap_ok(note_cosig_verify(p, len, &vk_wit, &t, err) == 0 && t ==
	    COSIG_TIME, "... and is cosigned");
	leaf[0] = 0x00;	/* RFC 6962's leaf prefix */
	tap_int(hex_decode(jstr(tp, "leaf_data_hex"), leaf + 1, 4, 0), 0,
	    "... leaf 5 is 4 bytes");
	crypto_sha256(leaf, sizeof(leaf), h);
	hex_decode(jstr(tp, "leaf_hash_hex"), want, sizeof(want), 0);
	tap_ok(memcmp(h, want, sizeof(h)) == 0, "... leaf 5's hash is "
	    "SHA-256(0x00 || 40414243)");
	tap_int(merkle_verify_inclusion(5, cp.nc_size, h, (const uint8_t
	    (*)[MERKLE_HASH_LEN])proof, n, cp.nc_root, err), 0, "... and "
	    "the inclusion proof holds against the checkpoint's root");
	tap_int(merkle_verify_inclusion(4, cp.nc_size, h, (const uint8_t
	    (*)[MERKLE_HASH_LEN])proof, n, cp.nc_root, err), -1, "... not as "
	    "leaf 4");
	free(file);

	/* "old 6", three hashes, a blank line, the size-8 checkpoint. */
	body = slurp("tlog-checkpoint/selfgen-add-checkpoint-old6-size8.body",
	    &len);
	file = slurp("tlog-checkpoint/selfgen-test-log-size6.checkpoint", &tl);
	tap_ok(note_verify(file, tl, &vk_log, &tl, err) == 0 &&
	    note_checkpoint_parse(file, tl, &old, err) == 0 && old.nc_size == 6,
	    "witness request: the size-6 checkpoint");
	tap_ok(strncmp(body, "old 6\n", 6) == 0, "... old 6");
	for (p = body + 6, n = 0; *p != '\n' && n < MERKLE_PROOF_MAX;
	    p = nl + 1, n++)
		if ((nl = strchr(p, '\n')) == NULL || b64_decode(p,
		    (size_t)(nl - p), B64_STD, proof[n], MERKLE_HASH_LEN) !=
		    MERKLE_HASH_LEN)
			break;
	len -= (size_t)(p + 1 - body);
	tap_ok(n == 3 && *p == '\n' && note_verify(p + 1, len, &vk_log, &tl,
	    err) == 0 && note_checkpoint_parse(p + 1, tl, &cp, err) == 0 &&
	    cp.nc_size == 8, "... a 3-hash proof and the size-8 checkpoint");
	tap_int(merkle_verify_consistency(old.nc_size, cp.nc_size, old.nc_root,
	    cp.nc_root, (const uint8_t (*)[MERKLE_HASH_LEN])proof, n, err), 0,
	    "... the consistency proof holds between the two roots");
	cp.nc_root[0] ^= 1;
	tap_int(merkle_verify_consistency(old.nc_size, cp.nc_size, old.nc_root,
	    cp.nc_root, (const uint8_t (*)[MERKLE_HASH_LEN])proof, n, err), -1,
	    "... and not with another root");
	free(body);
	free(file);
	keys_vkey_clear(&vk_log);
	keys_vkey_clear(&vk_wit);
	json_decref(v);
}

int
main(void)
{
	const char	*top = getenv("top_srcdir");
	char		 cmd[PATH_MAX];

	log_init(0);
	crypto_init();
	snprintf(vdir, sizeof(vdir), "%s/tests/vectors", top != NULL ? top :
	    ".");
	if (mkdtemp(kdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_vkeys();
	test_signed_note();
	test_real_checkpoints();
	test_selfgen();
	test_checkpoint_syntax();
	test_tlog_proof();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", kdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", kdir);
	return tap_done();
}
