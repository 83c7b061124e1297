/*
 * evidence.c: evidence bundles, the answer to "which VPS is behind this
 * IP, and what must be copied to preserve only it?" as one object that
 * anyone with the verifier key checks offline (sightlined(8): GET
 * /v1/evidence; sightline(1): evidence, verify-evidence):
 *
 *   EVIDENCE = {"type": "sightline/evidence/v1", "ip", "key": VKEY,
 *     "snapshot": SUMMARY, "checkpoint": NOTE, "log_proof": LOG,
 *     "records": [{"record", "proof", "hypervisor", "preserve"}, ...],
 *     "crosscheck": DETAILS or null,
 *     "statement": "IP is not assigned to any VPS in snapshot N"}
 *
 * ("statement" only when no record holds the IP). Each part is proven
 * (the record in the snapshot's tree, the summary in the log, the log
 * by its signed checkpoint, DETAILS by its hash in the summary) or
 * recomputed by the verifier from what is proven (that the record holds
 * the IP, its hypervisor status, what to preserve, the statement's
 * text). The rest, that these are all the records holding the IP, is
 * what the deployment signed: the bundle file keeps the HTTP signature of
 * the answer with it,
 *
 *   {"type": "sightline/evidence-file/v1", "evidence": EVIDENCE,
 *    "http": {"method", "target", "status", "fields": {"content-type",
 *             "content-digest", "sightline-inventory", "signature-input",
 *             "signature"}}}
 *
 * The daemon's body is RFC 8785 of EVIDENCE, so the file keeps the object
 * alone and the body is made again with canon.c when it is checked: one
 * copy of the bytes, nothing that could disagree with it.
 * evidence_file_new() refuses a body that is not in that form.
 *
 * The PRESERVE parts are the plugins' (pl_preserve); the helpers they
 * share, for shell words and for libvirt hypervisors, are here.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sightline.h"

/* Characters no POSIX shell treats specially inside a word. */
#define EVIDENCE_SHELL_SAFE	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
				"0123456789_@%+=:,./-"
/* Characters of an LVM volume name. */
#define EVIDENCE_LV_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
				"0123456789+_.-"
#define EVIDENCE_WORD_MAX	512	/* a value put into a command */
#define EVIDENCE_LV_MAX		64	/* the LVM snapshot names made here */

/* The HTTP fields the signature covers, which the file keeps. */
static const char *const evidence_fields[] = {
	"content-type", "content-digest", "sightline-inventory",
	"signature-input", "signature"
};
#define EVIDENCE_NFIELDS	(sizeof(evidence_fields) / \
				sizeof(evidence_fields[0]))

/* ---- shell words and commands ---- */

/*
 * Can s stand as an argument in a command? Not empty, not longer than
 * EVIDENCE_WORD_MAX, no control character, and not starting with "-",
 * which a program would take for an option whatever the quoting.
 */
static int
evidence_word_ok(const char *s)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0' || s[0] == '-' ||
	    strlen(s) > EVIDENCE_WORD_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * Append s to b as one shell word: as it is when every character is
 * safe, else in single quotes (a quote inside written '\''). Record values
 * come from the panel: quoted, none can end a command or start another.
 */
void
evidence_shell_word(struct buf *b, const char *s)
{
	const char	*p;

	if (s[0] != '\0' && strspn(s, EVIDENCE_SHELL_SAFE) == strlen(s)) {
		buf_addstr(b, s);
		return;
	}
	buf_add(b, "'", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			buf_addstr(b, "'\\''");
		else
			buf_add(b, p, 1);
	}
	buf_add(b, "'", 1);
}

/*
 * Append the command built in b (emptied) to preserve's "commands".
 * Returns 0, or -1 when out of memory.
 */
int
evidence_add_command(json_t *preserve, struct buf *b)
{
	char	*cmd;
	int	 rc;

	if ((cmd = buf_take(b, NULL)) == NULL)
		return -1;
	rc = json_array_append_new(json_object_get(preserve, "commands"),
	    json_string(cmd));
	free(cmd);
	return rc;
}

/* A string member, or NULL. */
static const char *
evidence_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A string member as a new JSON value: the string, or null. */
static json_t *
evidence_str_or_null(const json_t *o, const char *key)
{
	const char	*s = evidence_str(o, key);

	return s != NULL ? json_string(s) : json_null();
}

/*
 * The PRESERVE object every plugin starts from: {"panel", "node",
 * "vm_id", "disks": [{"storage", "volume"}], "commands": [], "note": ""},
 * from the record (borrowed; an absent field is null). The node is the
 * one domain (borrowed, may be NULL) was observed on, if it says.
 * Returns a new object, or NULL when out of memory.
 */
json_t *
evidence_preserve_new(const json_t *rec, const json_t *domain)
{
	const json_t	*d;
	json_t		*disks, *p, *node;
	size_t		 i;

	if ((disks = json_array()) == NULL)
		return NULL;
	json_array_foreach(json_object_get(rec, "disks"), i, d) {
		if (!json_is_object(d))
			continue;
		if (json_array_append_new(disks, json_pack("{s:o, s:o}",
		    "storage", evidence_str_or_null(d, "storage"), "volume",
		    evidence_str_or_null(d, "volume"))) == -1) {
			json_decref(disks);
			return NULL;
		}
	}
	node = evidence_str(domain, "node") != NULL ?
	    evidence_str_or_null(domain, "node") :
	    evidence_str_or_null(rec, "node");
	p = json_pack("{s:o, s:o, s:o, s:o, s:[], s:s}", "panel",
	    evidence_str_or_null(rec, "panel"), "node", node, "vm_id",
	    evidence_str_or_null(rec, "native_id"), "disks", disks,
	    "commands", "note", "");
	return p;
}

/* Set preserve's "note" to the text in b (emptied). 0, or -1 (memory). */
static int
evidence_set_note(json_t *preserve, struct buf *b)
{
	char	*note;
	int	 rc;

	if ((note = buf_take(b, NULL)) == NULL)
		return -1;
	rc = json_object_set_new(preserve, "note", json_string(note));
	free(note);
	return rc;
}

/*
 * Is s a logical volume's device path, /dev/VG/LV? Fills vg (the
 * "/dev/VG/" prefix) when it is. Device-mapper and udev paths
 * (/dev/mapper, /dev/disk) are not: lvcreate wants the VG/LV form.
 */
static int
evidence_lvm_path(const char *s, char *vg, size_t len)
{
	const char	*v = s + 5, *slash;

	if (strncmp(s, "/dev/", 5) != 0 || !evidence_word_ok(s) ||
	    strstr(s, "..") != NULL)
		return 0;
	if ((slash = strchr(v, '/')) == NULL || slash == v ||
	    slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
		return 0;
	if ((slash - v == 6 && strncmp(v, "mapper", 6) == 0) ||
	    (slash - v == 4 && strncmp(v, "disk", 4) == 0))
		return 0;
	if ((size_t)(slash - s + 1) >= len)
		return 0;
	memcpy(vg, s, (size_t)(slash - s + 1));
	vg[slash - s + 1] = '\0';
	return 1;
}

/*
 * The LVM volumes among the disk sources, in order, without repeats:
 * the ones the hypervisor showed (domain "disks") when the cross-check
 * observed them, else the record's volumes. Returns a new array.
 */
static json_t *
evidence_lvm_volumes(const json_t *rec, const json_t *domain)
{
	const json_t	*src, *v;
	json_t		*out = json_array(), *x;
	const char	*s;
	char		 vg[EVIDENCE_WORD_MAX + 1];
	size_t		 i, j;
	int		 dup;

	if (out == NULL)
		return NULL;
	src = json_object_get(domain, "disks");
	if (!json_is_array(src))
		src = json_object_get(rec, "disks");
	json_array_foreach(src, i, v) {
		s = json_is_string(v) ? json_string_value(v) :
		    evidence_str(v, "volume");
		if (s == NULL || !evidence_lvm_path(s, vg, sizeof(vg)))
			continue;
		dup = 0;
		json_array_foreach(out, j, x)
			if (strcmp(json_string_value(x), s) == 0)
				dup = 1;
		if (!dup && json_array_append_new(out, json_string(s)) == -1) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/*
 * The name of the LVM snapshot of the n-th of count volumes of VPS vmid:
 * sightline-evidence-VMID, and -N after it when there are several.
 */
static void
evidence_lv_name(const char *vmid, size_t n, size_t count, char *out,
    size_t len)
{
	size_t	 i, o;

	o = (size_t)snprintf(out, len, "sightline-evidence-");
	for (i = 0; vmid[i] != '\0' && o + 1 < len && o < EVIDENCE_LV_MAX - 8;
	    i++)
		out[o++] = strchr(EVIDENCE_LV_CHARS, vmid[i]) != NULL &&
		    vmid[i] != '\0' ? vmid[i] : '_';
	out[o] = '\0';
	if (count > 1)
		snprintf(out + o, len - o, "-%zu", n + 1);
}

/* The commands of the LVM alternative for the volumes in lvs. */
static int
evidence_lvm_commands(json_t *p, const json_t *lvs, const char *vmid)
{
	char		 vg[EVIDENCE_WORD_MAX + 1], lv[EVIDENCE_LV_MAX + 16];
	const json_t	*v;
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	json_array_foreach(lvs, i, v) {
		evidence_lvm_path(json_string_value(v), vg, sizeof(vg));
		evidence_lv_name(vmid, i, json_array_size(lvs), lv, sizeof(lv));
		buf_printf(&b, "lvcreate --snapshot --name %s --size %s ", lv,
		    EVIDENCE_LVM_SIZE);
		evidence_shell_word(&b, json_string_value(v));
		if (evidence_add_command(p, &b) == -1)
			return -1;
		buf_addstr(&b, "dd if=");
		evidence_shell_word(&b, vg);
		buf_printf(&b, "%s bs=4M | tee %s/%s.img | sha256sum", lv,
		    EVIDENCE_DIR, lv);
		if (evidence_add_command(p, &b) == -1)
			return -1;
	}
	return 0;
}

/* One "virsh" command on domain dom. */
static int
evidence_virsh(json_t *p, const char *pre, const char *dom, const char *post)
{
	struct buf	 b;

	buf_init(&b);
	buf_addstr(&b, pre);
	evidence_shell_word(&b, dom);
	buf_addstr(&b, post);
	return evidence_add_command(p, &b);
}

/*
 * PRESERVE for a VPS that is a libvirt (KVM) domain: Virtualizor,
 * SolusVM 1 and 2, VirtFusion. attested is the domain name or UUID the
 * panel's record gives (NULL: none), how says in a sentence where it
 * comes from (or why there is none). A domain the cross-check observed
 * (domain, may be NULL) wins over what the panel attests: the copy must
 * be of what really runs. Returns a new object, NULL when out of memory.
 */
json_t *
evidence_libvirt(const json_t *rec, const json_t *domain,
    const char *attested, const char *how)
{
	json_t		*p, *lvs = NULL;
	const char	*kind = evidence_str(rec, "kind");
	const char	*vmid = evidence_str(rec, "native_id");
	const char	*node, *dom;
	struct buf	 b;

	if ((p = evidence_preserve_new(rec, domain)) == NULL)
		return NULL;
	if (!evidence_word_ok(vmid))
		vmid = "vps";
	node = evidence_str(p, "node");
	buf_init(&b);
	if (node != NULL)
		buf_printf(&b, "Run these commands on node %s, as root. ", node);
	else
		buf_addstr(&b, "The record names no node: run these commands "
		    "as root on the hypervisor that holds the VPS. ");
	if (kind != NULL && strcmp(kind, "qemu") != 0) {
		buf_printf(&b, "The VPS is of kind %s, not a KVM guest, so "
		    "libvirt does not hold it: preserve it with the panel's own "
		    "backup of VPS %s.", kind, vmid);
		goto done;
	}
	if (evidence_word_ok(evidence_str(domain, "name"))) {
		dom = evidence_str(domain, "name");
		buf_addstr(&b, "The domain is the one the hypervisor "
		    "cross-check observed for this VPS. ");
	} else if (evidence_word_ok(evidence_str(domain, "uuid"))) {
		dom = evidence_str(domain, "uuid");
		buf_addstr(&b, "The domain is named by the UUID the "
		    "hypervisor cross-check observed for this VPS, not by what "
		    "the panel attests. ");
	} else if (evidence_word_ok(attested)) {
		dom = attested;
		buf_printf(&b, "%s ", how);
	} else {
		dom = EVIDENCE_DOMAIN;
		buf_printf(&b, "%s Find the domain on the node with virsh "
		    "list --all and virsh domiflist (by the VPS's MAC) and put "
		    "its name for %s. ", how, EVIDENCE_DOMAIN);
	}
	if (evidence_virsh(p, "virsh -r dumpxml ", dom, "") == -1 ||
	    evidence_virsh(p, "virsh -r domblklist ", dom, " --details") == -1 ||
	    evidence_virsh(p, "virsh backup-begin ", dom, "") == -1 ||
	    evidence_virsh(p, "virsh domjobinfo ", dom, " --completed") == -1)
		goto oom;
	buf_addstr(&b, "virsh -r dumpxml and domblklist print the domain's "
	    "definition and its disk sources: keep their output. virsh "
	    "backup-begin starts a push backup of the running domain without "
	    "stopping or pausing it; without a backup XML, libvirt writes each "
	    "disk's copy next to its source, under the source's name with the "
	    "backup's start time appended (virsh backup-dumpxml shows the "
	    "names; for a disk on a block device, or to write the copies "
	    "elsewhere, give a backup XML with <target file=...> under "
	    EVIDENCE_DIR "). virsh domjobinfo --completed says when it is "
	    "done.");
	if ((lvs = evidence_lvm_volumes(rec, domain)) == NULL)
		goto oom;
	if (json_array_size(lvs) > 0) {
		if (evidence_lvm_commands(p, lvs, vmid) == -1)
			goto oom;
		buf_printf(&b, " The LVM volumes can be copied instead through "
		    "a snapshot: lvcreate reserves %s of copy-on-write space "
		    "(more for a busy disk), dd copies the frozen view and "
		    "sha256sum prints the hash to write down; remove the "
		    "snapshot with lvremove afterwards.", EVIDENCE_LVM_SIZE);
	}
	buf_printf(&b, " %s is a placeholder for the directory that receives "
	    "the copies.", EVIDENCE_DIR);
	if (domain != NULL)
		buf_addstr(&b, " The hypervisor cross-check observed this VPS "
		    "otherwise than the panel attests it (see \"hypervisor\"): "
		    "where they differ, node, domain and volumes here are the "
		    "observed ones.");
done:
	json_decref(lvs);
	if (evidence_set_note(p, &b) == -1) {
		json_decref(p);
		return NULL;
	}
	return p;
oom:
	json_decref(lvs);
	buf_free(&b);
	json_decref(p);
	return NULL;
}

/* ---- the hypervisor cross-check, for one record ---- */

/* Does finding f (of DETAILS) name record rec? */
static int
evidence_names(const json_t *f, const json_t *rec)
{
	const char	*id = evidence_str(rec, "id"), *fid = evidence_str(f, "id");

	return id != NULL && fid != NULL && strcmp(id, fid) == 0;
}

/*
 * What the cross-check observed of rec's domain, from the findings of
 * DETAILS (borrowed, may be NULL) that name it: a new object with the
 * observed "uuid", "macs", "disks" and "node" (each only when a finding
 * gives it), or NULL when none does. DETAILS lists findings only, so a
 * consistent VPS has none: its record says it all.
 */
json_t *
evidence_domain(const json_t *details, const json_t *rec)
{
	static const struct {
		const char	*kind, *key;
	} observed[] = {
		{ "uuid-mismatch", "uuid" }, { "mac-mismatch", "macs" },
		{ "disk-mismatch", "disks" }, { "wrong-node", "node" },
	};
	const json_t	*f, *v;
	const char	*kind;
	json_t		*dom;
	size_t		 i, k;

	if ((dom = json_object()) == NULL)
		return NULL;
	json_array_foreach(json_object_get(details, "findings"), i, f) {
		if (!evidence_names(f, rec) ||
		    (kind = evidence_str(f, "kind")) == NULL ||
		    (v = json_object_get(f, "observed")) == NULL)
			continue;
		for (k = 0; k < sizeof(observed) / sizeof(observed[0]); k++)
			if (strcmp(kind, observed[k].kind) == 0)
				json_object_set(dom, observed[k].key,
				    (json_t *)(uintptr_t)v);
	}
	if (json_object_size(dom) == 0) {
		json_decref(dom);
		return NULL;
	}
	return dom;
}

/*
 * The hypervisor status of rec by DETAILS (borrowed; NULL or not an
 * object when no hypervisor is configured): {"status", "findings"}.
 *   inconsistent      findings name its id (they are listed);
 *   not-checked       no DETAILS, or its panel and node are not among
 *                     DETAILS' nodes;
 *   node-unreachable  its node is listed with an error (its
 *                     node-unreachable findings are listed);
 *   consistent        otherwise: a listed, reachable node, no finding.
 * A finding comes first: a VPS found on a configured node while its
 * record names another node is inconsistent, not unchecked. Returns a new
 * object, or NULL when out of memory.
 */
json_t *
evidence_hypervisor(const json_t *details, const json_t *rec)
{
	const json_t	*f, *n, *entry = NULL;
	const char	*panel = evidence_str(rec, "panel");
	const char	*node = evidence_str(rec, "node");
	const char	*status, *fp, *fn;
	json_t		*findings;
	size_t		 i;

	if ((findings = json_array()) == NULL)
		return NULL;
	if (!json_is_object(details)) {
		status = "not-checked";
		goto done;
	}
	json_array_foreach(json_object_get(details, "findings"), i, f)
		if (evidence_names(f, rec))
			json_array_append(findings, (json_t *)(uintptr_t)f);
	if (json_array_size(findings) > 0) {
		status = "inconsistent";
		goto done;
	}
	json_array_foreach(json_object_get(details, "nodes"), i, n) {
		fp = evidence_str(n, "panel");
		fn = evidence_str(n, "node");
		if (panel != NULL && node != NULL && fp != NULL && fn != NULL &&
		    strcmp(fp, panel) == 0 && strcmp(fn, node) == 0)
			entry = n;
	}
	if (entry == NULL)
		status = "not-checked";
	else if (!json_is_null(json_object_get(entry, "error")) &&
	    json_object_get(entry, "error") != NULL) {
		status = "node-unreachable";
		json_array_foreach(json_object_get(details, "findings"), i, f) {
			fp = evidence_str(f, "panel");
			fn = evidence_str(f, "node");
			if (evidence_str(f, "kind") != NULL &&
			    strcmp(evidence_str(f, "kind"),
			    "node-unreachable") == 0 && fp != NULL &&
			    fn != NULL && strcmp(fp, panel) == 0 &&
			    strcmp(fn, node) == 0)
				json_array_append(findings,
				    (json_t *)(uintptr_t)f);
		}
	} else
		status = "consistent";
done:
	return json_pack("{s:s, s:o}", "status", status, "findings", findings);
}

/* ---- PRESERVE, by the plugin of the record's panel ---- */

/*
 * PRESERVE of rec, made by the plugin of its panel (the summary's
 * "panels" say which) from the record and the domain DETAILS observed
 * (evidence_domain()). Returns a new object, or NULL with a reason.
 */
json_t *
evidence_preserve(const json_t *summary, const json_t *details,
    const json_t *rec, char *err)
{
	const struct plugin	*pl = NULL;
	const json_t		*p;
	const char		*panel = evidence_str(rec, "panel"), *name;
	json_t			*dom, *out;
	size_t			 i;

	if (panel == NULL) {
		err_set(err, "the record has no \"panel\"");
		return NULL;
	}
	json_array_foreach(json_object_get(summary, "panels"), i, p) {
		name = evidence_str(p, "name");
		if (name != NULL && strcmp(name, panel) == 0) {
			if ((name = evidence_str(p, "plugin")) == NULL ||
			    (pl = plugin_find(name)) == NULL) {
				err_set(err, "panel %s: the snapshot's summary "
				    "names no plugin this sightline knows",
				    panel);
				return NULL;
			}
			break;
		}
	}
	if (pl == NULL) {
		err_set(err, "panel %s is not in the snapshot's summary", panel);
		return NULL;
	}
	if (pl->pl_preserve == NULL) {
		err_set(err, "plugin %s makes no preserve object", pl->pl_name);
		return NULL;
	}
	dom = json_is_object(details) ? evidence_domain(details, rec) : NULL;
	out = pl->pl_preserve(rec, dom);
	json_decref(dom);
	if (out == NULL)
		err_set(err, "out of memory");
	return out;
}

/* "IP is not assigned to any VPS in snapshot N". 0, or -1: too long. */
int
evidence_statement(const char *ip, uint64_t seq, char *out, size_t len)
{
	return (size_t)snprintf(out, len, "%s is not assigned to any VPS in "
	    "snapshot %llu", ip, (unsigned long long)seq) < len ? 0 : -1;
}

/* ---- making EVIDENCE (the daemon) ---- */

/* {"id", "index", "leaf_hash", "proof"}: record i in its snapshot's tree. */
static json_t *
evidence_record_proof(const struct snapshot *sn, size_t i, char *err)
{
	uint8_t		 proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	size_t		 n;

	if (merkle_prove_inclusion(i, sn->sn_nrecs, merkle_tree_read,
	    sn->sn_tree, proof, &n, err) == -1)
		return NULL;
	return json_pack("{s:s, s:I, s:o, s:o}", "id", sn->sn_recs[i].sr_id,
	    "index", (json_int_t)i, "leaf_hash",
	    proof_b64(sn->sn_recs[i].sr_hash), "proof",
	    proof_list((const uint8_t (*)[MERKLE_HASH_LEN])proof, n));
}

/*
 * EVIDENCE for ip (canonical, no prefix) in snapshot sn, proven against
 * the latest checkpoint of the log st; vkey is the deployment's verifier
 * key. Returns a new object, or NULL with a reason.
 */
json_t *
evidence_make(struct store *st, const struct snapshot *sn, const char *vkey,
    const char *ip, char *err)
{
	size_t		 idx[SNAPSHOT_LOOKUP_MAX];
	json_t		*ev = NULL, *lp = NULL, *summary = NULL;
	json_t		*details = NULL, *records = NULL, *rec, *e;
	char		 why[ERR_MAX], statement[EVIDENCE_STATEMENT_MAX];
	size_t		 i, n;

	n = snapshot_lookup(sn, INV_IP, ip, idx, SNAPSHOT_LOOKUP_MAX);
	if (n > EVIDENCE_RECORDS_MAX) {
		err_set(err, "%zu or more records of snapshot %llu hold %s: an "
		    "evidence bundle lists at most %d", n,
		    (unsigned long long)sn->sn_seq, ip, EVIDENCE_RECORDS_MAX);
		return NULL;
	}
	if ((lp = proof_make(st, sn->sn_seq, 0, NULL, 0, NULL, NULL,
	    err)) == NULL)
		return NULL;
	if ((summary = canon_parse(sn->sn_summary, sn->sn_summary_len,
	    why)) == NULL) {
		err_set(err, "snapshot %llu's summary: %s",
		    (unsigned long long)sn->sn_seq, why);
		goto fail;
	}
	if (sn->sn_check != NULL && (details = canon_parse(sn->sn_check,
	    sn->sn_check_len, why)) == NULL) {
		err_set(err, "snapshot %llu's cross-check details: %s",
		    (unsigned long long)sn->sn_seq, why);
		goto fail;
	}
	if ((records = json_array()) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		const struct snapshot_rec	*r = &sn->sn_recs[idx[i]];

		if ((rec = canon_parse(r->sr_body, r->sr_len, why)) == NULL) {
			err_set(err, "record %s: %s", r->sr_id, why);
			goto fail;
		}
		e = json_pack("{s:o, s:o*, s:o*, s:o*}", "record", rec,
		    "proof", evidence_record_proof(sn, idx[i], why),
		    "hypervisor", evidence_hypervisor(details, rec),
		    "preserve", evidence_preserve(summary, details, rec, why));
		if (e == NULL || json_object_size(e) != 4) {
			err_set(err, "record %s: %s", r->sr_id, e == NULL ?
			    "out of memory" : why);
			json_decref(e);
			goto fail;
		}
		if (json_array_append_new(records, e) == -1)
			goto oom;
	}
	ev = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:O}", "type",
	    EVIDENCE_TYPE, "ip", ip, "key", vkey, "snapshot", summary,
	    "checkpoint", json_object_get(lp, "checkpoint"), "log_proof",
	    json_object_get(lp, "log"), "records", records, "crosscheck",
	    details != NULL ? details : json_null());
	if (ev == NULL)
		goto oom;
	if (n == 0) {
		if (evidence_statement(ip, sn->sn_seq, statement,
		    sizeof(statement)) == -1 || json_object_set_new(ev,
		    "statement", json_string(statement)) == -1)
			goto oom;
	}
	goto done;
oom:
	err_set(err, "out of memory");
fail:
	json_decref(ev);
	ev = NULL;
done:
	json_decref(records);
	json_decref(details);
	json_decref(summary);
	json_decref(lp);
	return ev;
}

/* ---- the bundle file (sightline evidence) ---- */

/*
 * The bundle file of an answer to method target: its body (len bytes),
 * status and fields (resp). The body must be RFC 8785 of a JSON object,
 * byte for byte, since the file keeps the object and the verifier makes
 * the bytes again. Returns a new object, or NULL with a reason.
 */
json_t *
evidence_file_new(const char *body, size_t len, const char *method,
    const char *target, const struct sign_msg *resp, char *err)
{
	json_t		*ev, *fields, *file;
	const char	*v;
	char		 why[ERR_MAX], *again;
	size_t		 alen, i;

	if ((ev = canon_parse(body, len, why)) == NULL ||
	    !json_is_object(ev)) {
		err_set(err, "the answer is not a JSON object%s%s",
		    ev == NULL ? ": " : "", ev == NULL ? why : "");
		json_decref(ev);
		return NULL;
	}
	if ((again = canon_dump(ev, &alen, why)) == NULL || alen != len ||
	    memcmp(again, body, len) != 0) {
		err_set(err, "the answer's body is not in RFC 8785 form, so a "
		    "file could not give its bytes back to check the "
		    "signature");
		free(again);
		json_decref(ev);
		return NULL;
	}
	free(again);
	if ((fields = json_object()) == NULL) {
		json_decref(ev);
		err_set(err, "out of memory");
		return NULL;
	}
	for (i = 0; i < EVIDENCE_NFIELDS; i++)
		if ((v = resp->sm_field(resp->sm_arg, evidence_fields[i])) !=
		    NULL)
			json_object_set_new(fields, evidence_fields[i],
			    json_string(v));
	file = json_pack("{s:s, s:o, s:{s:s, s:s, s:i, s:o}}", "type",
	    EVIDENCE_FILE_TYPE, "evidence", ev, "http", "method", method,
	    "target", target, "status", resp->sm_status, "fields", fields);
	if (file == NULL)
		err_set(err, "out of memory");
	return file;
}

/* ---- checking a bundle file (sightline verify-evidence) ---- */

/* What a check established, as lines of text, and its state. */
struct evidence_ck {
	const json_t		*ek_ev;
	const struct keys_vkey	*ek_vk;
	json_t			*ek_proven;
	json_t			*ek_unproven;
	const json_t		*ek_summary;
	const json_t		*ek_details;	/* NULL: none */
	uint64_t		 ek_seq;
	char			 ek_ip[ADDR_IP_LEN];
	struct proof_result	 ek_res;
};

static void
evidence_say(json_t *list, const char *fmt, ...)
	__attribute__((__format__(printf, 2, 3)));
static void
evidence_say(json_t *list, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) != -1) {
		json_array_append_new(list, json_string(s));
		free(s);
	}
	va_end(ap);
}

static void
evidence_time(long long t, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%lld", t);
}

/* sign_msg field callback over a "fields" object. */
static const char *
evidence_field(void *arg, const char *name)
{
	return json_string_value(json_object_get(arg, name));
}

/*
 * The request the answer was signed for must be the one for this
 * evidence: GET /v1/evidence with ip= this IP (and at= this snapshot,
 * when given). Returns 0, or -1 with a reason.
 */
static int
evidence_request(struct evidence_ck *ck, const char *method,
    const char *path, const char *query, char *err)
{
	const char	*q = query, *amp, *eq;
	char		 name[64], val[ADDR_IP_LEN + 8], canon[ADDR_IP_LEN];
	char		 seq[32];
	int		 ip = 0;

	if (strcmp(method, "GET") != 0 || strcmp(path, EVIDENCE_PATH) != 0) {
		err_set(err, "request: the answer is to %s %s, not to GET %s",
		    method, path, EVIDENCE_PATH);
		return -1;
	}
	while (q != NULL && *q != '\0') {
		amp = q + strcspn(q, "&");
		if ((eq = memchr(q, '=', (size_t)(amp - q))) == NULL ||
		    url_decode(q, (size_t)(eq - q), name,
		    sizeof(name)) == -1 ||
		    url_decode(eq + 1, (size_t)(amp - eq - 1), val,
		    sizeof(val)) == -1) {
			err_set(err, "request: a malformed query parameter");
			return -1;
		}
		if (strcmp(name, "ip") == 0) {
			if (addr_ip_canon(val, canon, sizeof(canon), 0) == -1 ||
			    strcmp(canon, ck->ek_ip) != 0) {
				err_set(err, "request: the answer is to ip=%s, "
				    "the evidence is about %s", val, ck->ek_ip);
				return -1;
			}
			ip = 1;
		} else if (strcmp(name, "at") == 0) {
			snprintf(seq, sizeof(seq), "%llu",
			    (unsigned long long)ck->ek_seq);
			if (strcmp(val, seq) != 0) {
				err_set(err, "request: the answer is to at=%s, "
				    "the evidence is of snapshot %s", val, seq);
				return -1;
			}
		} else if (strcmp(name, "fresh") != 0) {
			err_set(err, "request: query parameter \"%s\" is not "
			    "one of /v1/evidence's", name);
			return -1;
		}
		q = *amp == '&' ? amp + 1 : amp;
	}
	if (!ip) {
		err_set(err, "request: the answer is to a request without ip=");
		return -1;
	}
	return 0;
}

/*
 * The answer's signature, over the message made again from the file: the
 * fields it keeps, the status, the request target, and the body as RFC
 * 8785 of the evidence. Returns 0, or -1 with a reason.
 */
static int
evidence_http(struct evidence_ck *ck, const json_t *http, char *err)
{
	struct sign_msg	 req, resp;
	const json_t	*fields = json_object_get(http, "fields");
	const char	*method = evidence_str(http, "method");
	const char	*target = evidence_str(http, "target");
	const char	*inv, *q;
	char		 why[ERR_MAX], when[32], want[32], *body, *path = NULL;
	size_t		 len;
	long long	 created;
	int		 rc = -1;

	if (method == NULL || target == NULL || target[0] != '/' ||
	    !json_is_integer(json_object_get(http, "status")) ||
	    !json_is_object(fields)) {
		err_set(err, "file: \"http\" is not {method, target, status, "
		    "fields}");
		return -1;
	}
	if ((body = canon_dump(ck->ek_ev, &len, why)) == NULL) {
		err_set(err, "file: the evidence has no RFC 8785 form: %s",
		    why);
		return -1;
	}
	q = strchr(target, '?');
	if ((path = strndup(target, q != NULL ? (size_t)(q - target) :
	    strlen(target))) == NULL) {
		err_set(err, "out of memory");
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.sm_method = method;
	req.sm_path = path;
	req.sm_query = q != NULL ? q + 1 : NULL;
	memset(&resp, 0, sizeof(resp));
	resp.sm_status = (int)json_integer_value(json_object_get(http,
	    "status"));
	resp.sm_field = evidence_field;
	resp.sm_arg = (void *)(uintptr_t)fields;
	if (sign_verify(ck->ek_vk, &resp, &req, body, len, &created,
	    why) == -1) {
		err_set(err, "http: the answer's signature does not hold: %s",
		    why);
		goto done;
	}
	if (resp.sm_status != 200) {
		err_set(err, "http: the answer's status is %d, not 200",
		    resp.sm_status);
		goto done;
	}
	if (evidence_request(ck, method, path, req.sm_query, err) == -1)
		goto done;
	/* The signed header names the snapshot the body is of. */
	snprintf(want, sizeof(want), "snapshot=%llu",
	    (unsigned long long)ck->ek_seq);
	inv = evidence_field(resp.sm_arg, "sightline-inventory");
	if (inv == NULL || strcmp(inv, want) != 0) {
		err_set(err, "http: Sightline-Inventory is \"%s\", not \"%s\"",
		    inv != NULL ? inv : "", want);
		goto done;
	}
	evidence_time(created, when, sizeof(when));
	evidence_say(ck->ek_proven, "the answer to GET %s (status 200, %zu "
	    "body bytes) is signed by %s+%08x at %s (RFC 9421)", target, len,
	    ck->ek_vk->vk_name, ck->ek_vk->vk_id, when);
	rc = 0;
done:
	free(path);
	free(body);
	return rc;
}

/* The bundle's "key" is the verifier key given. */
static int
evidence_key(struct evidence_ck *ck, char *err)
{
	struct keys_vkey	 k;
	const char		*s = evidence_str(ck->ek_ev, "key");
	char			 why[ERR_MAX];
	int			 same;

	if (s == NULL || keys_vkey_parse(s, &k, why) == -1) {
		err_set(err, "key: the bundle's \"key\" is not a verifier key%s%s",
		    s != NULL ? ": " : "", s != NULL ? why : "");
		return -1;
	}
	same = k.vk_type == ck->ek_vk->vk_type && k.vk_id == ck->ek_vk->vk_id &&
	    strcmp(k.vk_name, ck->ek_vk->vk_name) == 0 &&
	    crypto_memeq(k.vk_pub, ck->ek_vk->vk_pub, ED25519_KEY_LEN);
	keys_vkey_clear(&k);
	if (!same) {
		err_set(err, "key: the bundle is under key %.*s, not under %s+%08x",
		    KEYS_NAME_MAX + 10, s, ck->ek_vk->vk_name, ck->ek_vk->vk_id);
		return -1;
	}
	return 0;
}

/*
 * The checkpoint, the summary in its log, and (rec not NULL) rec in the
 * summary's record tree by proof, through proof_check(). 0, or -1.
 */
static int
evidence_proof(struct evidence_ck *ck, const json_t *rec, const json_t *proof,
    char *err)
{
	json_t	*p;
	int	 rc;

	p = json_pack("{s:O?, s:O?, s:[O?]}", "checkpoint",
	    json_object_get(ck->ek_ev, "checkpoint"), "log",
	    json_object_get(ck->ek_ev, "log_proof"), "records", proof);
	if (p == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	rc = proof_check(p, ck->ek_summary, rec, ck->ek_vk, &ck->ek_res, err);
	json_decref(p);
	return rc;
}

/* DETAILS is the one the summary's crosscheck.sha256 names, or none. */
static int
evidence_crosscheck(struct evidence_ck *ck, char *err)
{
	const json_t	*d = json_object_get(ck->ek_ev, "crosscheck");
	const json_t	*counts = json_object_get(ck->ek_summary, "crosscheck");
	const char	*want = evidence_str(counts, "sha256"), *type;
	char		 hex[SHA256_HEX_LEN + 1], why[ERR_MAX], *text;
	size_t		 len;

	if (counts == NULL) {
		if (d != NULL && !json_is_null(d)) {
			err_set(err, "crosscheck: the bundle carries cross-check "
			    "details, but snapshot %llu's summary commits to none",
			    (unsigned long long)ck->ek_seq);
			return -1;
		}
		ck->ek_details = NULL;
		evidence_say(ck->ek_unproven, "the hypervisor state: not "
		    "checked (snapshot %llu has no hypervisor cross-check)",
		    (unsigned long long)ck->ek_seq);
		return 0;
	}
	if (want == NULL || !json_is_object(d)) {
		err_set(err, "crosscheck: snapshot %llu's summary commits to "
		    "cross-check details%s", (unsigned long long)ck->ek_seq,
		    want == NULL ? " without a sha256" : ", the bundle has none");
		return -1;
	}
	type = evidence_str(d, "type");
	if (type == NULL || strcmp(type, HVCHECK_TYPE) != 0) {
		err_set(err, "crosscheck: the details' type is not \"%s\"",
		    HVCHECK_TYPE);
		return -1;
	}
	if ((text = canon_dump(d, &len, why)) == NULL) {
		err_set(err, "crosscheck: %s", why);
		return -1;
	}
	crypto_sha256_hex(text, len, hex);
	free(text);
	if (strcmp(hex, want) != 0) {
		err_set(err, "crosscheck: the details hash to %s, snapshot "
		    "%llu's summary commits to %s", hex,
		    (unsigned long long)ck->ek_seq, want);
		return -1;
	}
	ck->ek_details = d;
	evidence_say(ck->ek_proven, "the hypervisor cross-check details are "
	    "the ones snapshot %llu's summary commits to (SHA-256 %s)",
	    (unsigned long long)ck->ek_seq, hex);
	evidence_say(ck->ek_unproven, "the hypervisor state: attested by the "
	    "reseller from libvirt, not observed by you");
	return 0;
}

/* inventory_address_fn: 1 (stop) at the IP looked for. */
static int
evidence_is_ip(void *arg, enum inv_key kind, const char *key)
{
	return kind == INV_IP && strcmp(key, arg) == 0;
}

/* One entry of "records": proven, holding the IP, recomputed parts. */
static int
evidence_entry(struct evidence_ck *ck, const json_t *e, char *err)
{
	const json_t	*rec = json_object_get(e, "record");
	const json_t	*hv = json_object_get(e, "hypervisor");
	const json_t	*pres = json_object_get(e, "preserve");
	const char	*id = evidence_str(rec, "id"), *node;
	char		 why[ERR_MAX];
	json_t		*mine;
	int		 same;

	if (!json_is_object(e) || id == NULL) {
		err_set(err, "record: an entry without a record and its \"id\"");
		return -1;
	}
	if (evidence_proof(ck, rec, json_object_get(e, "proof"), err) == -1)
		return -1;
	evidence_say(ck->ek_proven, "record %s was in snapshot %llu (leaf %llu "
	    "of %llu), logged at size %llu under key %s+%08x", id,
	    (unsigned long long)ck->ek_seq,
	    (unsigned long long)ck->ek_res.pr_index,
	    (unsigned long long)ck->ek_res.pr_count,
	    (unsigned long long)ck->ek_res.pr_cp.nc_size, ck->ek_vk->vk_name,
	    ck->ek_vk->vk_id);
	if (inventory_addresses(rec, evidence_is_ip, ck->ek_ip) != 1) {
		err_set(err, "address: record %s does not hold %s", id,
		    ck->ek_ip);
		return -1;
	}
	evidence_say(ck->ek_proven, "record %s holds %s", id, ck->ek_ip);
	if ((mine = evidence_hypervisor(ck->ek_details, rec)) == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	same = proof_same_json(mine, hv);
	if (!same)
		err_set(err, "hypervisor: record %s: the bundle says \"%s\", "
		    "the cross-check details say \"%s\"%s", id,
		    evidence_str(hv, "status") != NULL ? evidence_str(hv,
		    "status") : "?", evidence_str(mine, "status"),
		    evidence_str(hv, "status") != NULL && strcmp(evidence_str(
		    hv, "status"), evidence_str(mine, "status")) == 0 ?
		    " (with other findings)" : "");
	else if (ck->ek_details == NULL)
		evidence_say(ck->ek_proven, "record %s: hypervisor status "
		    "\"not-checked\", as the snapshot has no cross-check", id);
	else
		evidence_say(ck->ek_proven, "record %s: hypervisor status "
		    "\"%s\" (%zu finding%s), recomputed from the cross-check "
		    "details", id, evidence_str(mine, "status"),
		    json_array_size(json_object_get(mine, "findings")),
		    json_array_size(json_object_get(mine, "findings")) == 1 ?
		    "" : "s");
	json_decref(mine);
	if (!same)
		return -1;
	if ((mine = evidence_preserve(ck->ek_summary, ck->ek_details, rec,
	    why)) == NULL) {
		err_set(err, "preserve: record %s: %s", id, why);
		return -1;
	}
	same = proof_same_json(mine, pres);
	if (!same)
		err_set(err, "preserve: record %s: the bundle's preserve is not "
		    "what the plugin makes of the record", id);
	else {
		node = evidence_str(mine, "node");
		evidence_say(ck->ek_proven, "record %s: what to preserve (%zu "
		    "commands on node %s) is recomputed from the record", id,
		    json_array_size(json_object_get(mine, "commands")),
		    node != NULL ? node : "?");
	}
	json_decref(mine);
	return same ? 0 : -1;
}

/*
 * Check a bundle file against the verifier key vk: the HTTP signature
 * over the answer made again from it, that it is the answer to this
 * evidence's request, the key in it, the checkpoint's signature, the
 * summary in the log, each record in the summary's tree and holding the
 * IP, the cross-check details against the summary, and the parts
 * recomputed: hypervisor status, PRESERVE, the statement. Sets *report to
 * a new {"proven": [lines], "unproven": [lines]}. Returns 0, or -1 with
 * the first failure in err, which begins with what failed ("file:",
 * "key:", "http:", "request:", "checkpoint:", "log:", "snapshot:",
 * "record:", "address:", "crosscheck:", "hypervisor:", "preserve:",
 * "statement:").
 */
int
evidence_check(const json_t *file, const struct keys_vkey *vk,
    json_t **report, char *err)
{
	struct evidence_ck	 ck;
	const json_t		*recs, *e;
	const char		*type, *ip, *st, *id, *prev = NULL;
	char			 want[EVIDENCE_STATEMENT_MAX], root[B64_LEN(
				    MERKLE_HASH_LEN) + 1], when[32];
	size_t			 i;

	*report = NULL;
	memset(&ck, 0, sizeof(ck));
	ck.ek_vk = vk;
	ck.ek_ev = json_object_get(file, "evidence");
	type = evidence_str(file, "type");
	if (type == NULL || strcmp(type, EVIDENCE_FILE_TYPE) != 0 ||
	    !json_is_object(ck.ek_ev) ||
	    !json_is_object(json_object_get(file, "http"))) {
		err_set(err, "file: not a \"%s\" object with \"evidence\" and "
		    "\"http\"", EVIDENCE_FILE_TYPE);
		return -1;
	}
	type = evidence_str(ck.ek_ev, "type");
	if (type == NULL || strcmp(type, EVIDENCE_TYPE) != 0) {
		err_set(err, "file: the evidence's type is not \"%s\"",
		    EVIDENCE_TYPE);
		return -1;
	}
	ip = evidence_str(ck.ek_ev, "ip");
	if (ip == NULL || addr_ip_canon(ip, ck.ek_ip, sizeof(ck.ek_ip),
	    0) == -1 || strcmp(ip, ck.ek_ip) != 0) {
		err_set(err, "file: the evidence's \"ip\" is not an IP address "
		    "in canonical form");
		return -1;
	}
	ck.ek_summary = json_object_get(ck.ek_ev, "snapshot");
	if (proof_summary(ck.ek_summary, &ck.ek_seq, NULL, NULL, err) == -1) {
		err_prefix(err, "snapshot: ");
		return -1;
	}
	if ((ck.ek_proven = json_array()) == NULL ||
	    (ck.ek_unproven = json_array()) == NULL) {
		err_set(err, "out of memory");
		goto fail;
	}
	if (evidence_key(&ck, err) == -1 ||
	    evidence_http(&ck, json_object_get(file, "http"), err) == -1 ||
	    evidence_proof(&ck, NULL, NULL, err) == -1)
		goto fail;
	b64_encode(ck.ek_res.pr_cp.nc_root, MERKLE_HASH_LEN, B64_STD, root);
	evidence_say(ck.ek_proven, "the checkpoint of %s at size %llu (root "
	    "%s) is signed by %s+%08x", ck.ek_res.pr_cp.nc_origin,
	    (unsigned long long)ck.ek_res.pr_cp.nc_size, root, vk->vk_name,
	    vk->vk_id);
	evidence_time(json_integer_value(json_object_get(ck.ek_summary,
	    "time")), when, sizeof(when));
	evidence_say(ck.ek_proven, "snapshot %llu, taken at %s, of %llu "
	    "records, is leaf %llu of that log", (unsigned long long)ck.ek_seq,
	    when, (unsigned long long)ck.ek_res.pr_count,
	    (unsigned long long)ck.ek_seq);
	if (evidence_crosscheck(&ck, err) == -1)
		goto fail;
	recs = json_object_get(ck.ek_ev, "records");
	if (!json_is_array(recs) ||
	    json_array_size(recs) > EVIDENCE_RECORDS_MAX) {
		err_set(err, "record: \"records\" is not an array of at most %d",
		    EVIDENCE_RECORDS_MAX);
		goto fail;
	}
	json_array_foreach(recs, i, e) {
		id = evidence_str(json_object_get(e, "record"), "id");
		if (id != NULL && prev != NULL && strcmp(prev, id) >= 0) {
			err_set(err, "record: the records are not sorted by id "
			    "without repeats (%s after %s)", id, prev);
			goto fail;
		}
		prev = id;
		if (evidence_entry(&ck, e, err) == -1)
			goto fail;
	}
	st = evidence_str(ck.ek_ev, "statement");
	if (json_array_size(recs) > 0) {
		if (json_object_get(ck.ek_ev, "statement") != NULL) {
			err_set(err, "statement: the bundle has records and a "
			    "statement that there are none");
			goto fail;
		}
		evidence_say(ck.ek_unproven, "identity of the owner: committed, "
		    "not disclosed (use sightline disclose)");
		evidence_say(ck.ek_unproven, "fields the record does not show "
		    "(dropped or committed by the reseller's policy) were not "
		    "checked");
		evidence_say(ck.ek_unproven, "that no other VPS held %s in "
		    "snapshot %llu: signed by the reseller, not proven; audit "
		    "the log for that", ck.ek_ip,
		    (unsigned long long)ck.ek_seq);
	} else {
		if (evidence_statement(ck.ek_ip, ck.ek_seq, want,
		    sizeof(want)) == -1 || st == NULL || strcmp(st, want) != 0) {
			err_set(err, "statement: without records the bundle must "
			    "state \"%s\"", want);
			goto fail;
		}
		evidence_say(ck.ek_proven, "the reseller signed: \"%s\"", want);
		evidence_say(ck.ek_unproven, "completeness of the not-assigned "
		    "statement: a signed statement, not a proof of absence; "
		    "audit the log for that");
	}
	evidence_say(ck.ek_unproven, "that this checkpoint is one you audited: "
	    "compare it with your sightline audit's");
	*report = json_pack("{s:o, s:o}", "proven", ck.ek_proven, "unproven",
	    ck.ek_unproven);
	if (*report == NULL) {
		err_set(err, "out of memory");
		return -1;
	}
	return 0;
fail:
	json_decref(ck.ek_proven);
	json_decref(ck.ek_unproven);
	return -1;
}

/* ---- the commands (sightline evidence, sightline verify-evidence) ---- */

/* Print s, a string the server chose, without its control characters. */
static void
evidence_print(const char *s)
{
	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s);
}

/* The deployment's verifier key (keys_vkey_load); -1 after saying why. */
static int
evidence_vkey(const char *arg, struct keys_vkey *vk)
{
	char	 err[ERR_MAX];

	if (keys_vkey_load(arg, vk, err) == -1) {
		fprintf(stderr, "sightline: %s\n", err);
		return -1;
	}
	return 0;
}

/* The report's lines and, per record, what to run to preserve it. */
static void
evidence_print_report(const json_t *file, const json_t *report)
{
	const json_t	*v, *e, *p, *c;
	const char	*s;
	size_t		 i, j;

	json_array_foreach(json_object_get(report, "proven"), i, v) {
		printf("valid: ");
		evidence_print(json_string_value(v));
		printf("\n");
	}
	json_array_foreach(json_object_get(report, "unproven"), i, v) {
		printf("not proven: ");
		evidence_print(json_string_value(v));
		printf("\n");
	}
	json_array_foreach(json_object_get(json_object_get(file, "evidence"),
	    "records"), i, e) {
		p = json_object_get(e, "preserve");
		printf("\nto preserve ");
		evidence_print(evidence_str(json_object_get(e, "record"), "id"));
		if ((s = evidence_str(p, "node")) != NULL) {
			printf(" (node ");
			evidence_print(s);
			printf(")");
		}
		printf(":\n");
		json_array_foreach(json_object_get(p, "commands"), j, c) {
			printf("    ");
			evidence_print(json_string_value(c));
			printf("\n");
		}
		if ((s = evidence_str(p, "note")) != NULL && s[0] != '\0') {
			printf("  ");
			evidence_print(s);
			printf("\n");
		}
	}
}

/* Write doc to path through a temporary file: whole, or not at all. */
static int
evidence_write(const char *path, const json_t *doc, char *err)
{
	char	 tmp[PATH_MAX];
	FILE	*f;
	int	 rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		err_set(err, "%s: the path is too long", path);
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		err_set(err, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (rc == 0 && fputc('\n', f) == EOF)
		rc = -1;
	if (fclose(f) == EOF || rc != 0) {
		err_set(err, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		err_set(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The title and detail of a problem answer (RFC 9457), for a message. */
static void
evidence_problem(const struct upstream_fetched *f, char *out, size_t len)
{
	const char	*title, *detail;
	char		 why[ERR_MAX];
	json_t		*j;

	if ((j = canon_parse(f->uf_body, f->uf_len, why)) == NULL ||
	    !json_is_object(j)) {
		snprintf(out, len, "no problem details");
		json_decref(j);
		return;
	}
	title = evidence_str(j, "title");
	detail = evidence_str(j, "detail");
	snprintf(out, len, "%s%s%s", title != NULL ? title : "",
	    title != NULL && detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	json_decref(j);
}

static __dead void
evidence_usage(void)
{
	fprintf(stderr, "usage: sightline evidence URL --ip IP --out FILE "
	    "[--key VKEY] [--token-file FILE]\n"
	    "                 [--cafile FILE] [--at SEQ]\n"
	    "       sightline verify-evidence FILE --key VKEY\n");
	exit(2);
}

/*
 * sightline evidence (the hoster, or whoever asks it): fetch the
 * evidence bundle of an IP, check it, and write it with the answer's
 * signature to one file. A bundle that does not check out is not
 * written. Exit 0, or 2 with the reason.
 */
int
evidence_cmd_fetch(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, 'k' },
		{ "token-file", required_argument, NULL, 't' },
		{ "cafile", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct upstream_fetched	 f;
	struct keys_vkey	 vk;
	const char		*ip = NULL, *out = NULL, *keyarg = NULL;
	const char		*tokfile = NULL, *cafile = NULL, *at = NULL;
	const char		*errstr, *id;
	char			 err[ERR_MAX], canon[ADDR_IP_LEN], why[ERR_MAX];
	char			*base = NULL, *token = NULL;
	struct buf		 target, url;
	json_t			*file = NULL, *report = NULL;
	const json_t		*recs, *e;
	long long		 seq = -1;
	size_t			 len, i;
	int			 ch, rc = 2, fetched = 0, havekey = 0;

	memset(&f, 0, sizeof(f));
	buf_init(&target);
	buf_init(&url);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			ip = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'k':
			keyarg = optarg;
			break;
		case 't':
			tokfile = optarg;
			break;
		case 'c':
			cafile = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		default:
			evidence_usage();
		}
	}
	if (argc - optind != 1 || ip == NULL || out == NULL)
		evidence_usage();
	if (strncmp(argv[optind], "https://", 8) != 0 &&
	    strncmp(argv[optind], "http://", 7) != 0) {
		fprintf(stderr, "sightline: %s: not an http:// or https:// URL\n",
		    argv[optind]);
		return 2;
	}
	if (addr_ip_canon(ip, canon, sizeof(canon), 0) == -1) {
		fprintf(stderr, "sightline: --ip %s: not an IPv4 or IPv6 "
		    "address (no prefix length)\n", ip);
		return 2;
	}
	if (at != NULL) {
		seq = strtonum(at, 0, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			fprintf(stderr, "sightline: --at %s: %s\n", at, errstr);
			return 2;
		}
	}
	if (keyarg != NULL) {
		if (evidence_vkey(keyarg, &vk) == -1)
			return 2;
		havekey = 1;
	}
	if (tokfile != NULL) {
		if (file_check_private(tokfile, err) == -1 ||
		    (token = file_read(tokfile, REST_TOKEN_MAX, &len,
		    err)) == NULL) {
			fprintf(stderr, "sightline: --token-file: %s\n", err);
			goto done;
		}
		token[strcspn(token, "\r\n")] = '\0';
	}
	if ((base = strdup(argv[optind])) == NULL)
		goto oom;
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	/* A canonical address needs no percent-encoding in a query. */
	buf_printf(&target, "%s?ip=%s", EVIDENCE_PATH, canon);
	if (seq >= 0)
		buf_printf(&target, "&at=%lld", seq);
	buf_printf(&url, "%s%s", base, target.b_data != NULL ?
	    target.b_data : "");
	if (target.b_oom || url.b_oom)
		goto oom;
	upstream_global_init();
	fetched = upstream_fetch(url.b_data, token, cafile, &f, err) == 0;
	upstream_global_cleanup();
	if (!fetched) {
		fprintf(stderr, "sightline: GET %s: %s\n", url.b_data, err);
		goto done;
	}
	if (f.uf_status != 200) {
		evidence_problem(&f, why, sizeof(why));
		fprintf(stderr, "sightline: GET %s: status %d: ", target.b_data,
		    f.uf_status);
		for (i = 0; why[i] != '\0'; i++)
			fputc((unsigned char)why[i] < ' ' ? '?' : why[i],
			    stderr);
		fputc('\n', stderr);
		goto done;
	}
	if ((file = evidence_file_new(f.uf_body, f.uf_len, "GET",
	    target.b_data, &f.uf_head.hm_msg, err)) == NULL) {
		fprintf(stderr, "sightline: refusing to write %s: %s\n", out,
		    err);
		goto done;
	}
	/*
	 * Without --key the bundle is checked with the key it carries: it
	 * holds together, though nothing says the key is the deployment's.
	 */
	if (!havekey) {
		if (evidence_vkey(evidence_str(json_object_get(file,
		    "evidence"), "key") != NULL ? evidence_str(json_object_get(
		    file, "evidence"), "key") : "", &vk) == -1) {
			fprintf(stderr, "sightline: refusing to write %s: the "
			    "bundle carries no usable verifier key\n", out);
			goto done;
		}
		havekey = 1;
	}
	if (evidence_check(file, &vk, &report, err) == -1) {
		fprintf(stderr, "sightline: refusing to write %s: the bundle "
		    "does not verify: ", out);
		for (i = 0; err[i] != '\0'; i++)
			fputc((unsigned char)err[i] < ' ' ? '?' : err[i],
			    stderr);
		fputc('\n', stderr);
		goto done;
	}
	if (evidence_write(out, file, err) == -1) {
		fprintf(stderr, "sightline: %s\n", err);
		goto done;
	}
	recs = json_object_get(json_object_get(file, "evidence"), "records");
	printf("wrote %s: evidence for %s in snapshot %lld: ", out, canon,
	    (long long)json_integer_value(json_object_get(json_object_get(
	    json_object_get(file, "evidence"), "snapshot"), "seq")));
	if (json_array_size(recs) == 0)
		printf("no VPS holds it (a signed statement)");
	json_array_foreach(recs, i, e) {
		printf("%s", i > 0 ? ", " : "");
		id = evidence_str(json_object_get(e, "record"), "id");
		evidence_print(id != NULL ? id : "?");
	}
	printf("\n");
	if (keyarg == NULL)
		printf("not proven: that its key is the deployment's: it was "
		    "checked with the key it carries (give --key, or run "
		    "sightline verify-evidence --key)\n");
	rc = 0;
	goto done;
oom:
	fprintf(stderr, "sightline: out of memory\n");
done:
	if (havekey)
		keys_vkey_clear(&vk);
	if (fetched)
		upstream_fetched_clear(&f);
	if (token != NULL) {
		crypto_wipe(token, strlen(token));
		free(token);
	}
	json_decref(report);
	json_decref(file);
	buf_free(&target);
	buf_free(&url);
	free(base);
	return rc;
}

/*
 * sightline verify-evidence (anyone): check a bundle file offline and
 * say what it proves and what it does not. Exit 0 if valid, 2 if not,
 * with the reason.
 */
int
evidence_cmd_verify(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct keys_vkey	 vk;
	const char		*keyarg = NULL;
	char			 err[ERR_MAX], *text;
	json_t			*file, *report = NULL;
	size_t			 len;
	int			 ch, rc = 2;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keyarg = optarg;
			break;
		default:
			evidence_usage();
		}
	}
	if (argc - optind != 1 || keyarg == NULL)
		evidence_usage();
	if ((text = file_read(argv[optind], EVIDENCE_FILE_MAX, &len,
	    err)) == NULL) {
		fprintf(stderr, "sightline: %s\n", err);
		return 2;
	}
	file = canon_parse(text, len, err);
	free(text);
	if (file == NULL) {
		printf("invalid: %s: not JSON: %s\n", argv[optind], err);
		return 2;
	}
	if (evidence_vkey(keyarg, &vk) == -1) {
		json_decref(file);
		return 2;
	}
	if (evidence_check(file, &vk, &report, err) == -1) {
		printf("invalid: ");
		evidence_print(err);
		printf("\n");
	} else {
		evidence_print_report(file, report);
		rc = 0;
	}
	keys_vkey_clear(&vk);
	json_decref(report);
	json_decref(file);
	return rc;
}
