"""tlog.py - RFC 6962 / RFC 9162 Merkle trees and C2SP signed notes,
written apart from the C (proxy/merkle.c, proxy/note.c) so that tests
check the daemon's log with a second implementation.

Ed25519 comes from Python `cryptography` (Debian's python3-cryptography).
"""
import base64
import hashlib
import json
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves):
    """MTH over leaf hashes (RFC 9162 2.1.1); the empty tree is
    SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def inclusion_path(m, leaves):
    """PATH(m, D[n]) (RFC 9162 2.1.3.1), leaf sibling first."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return inclusion_path(m, leaves[:k]) + [root(leaves[k:])]
    return inclusion_path(m - k, leaves[k:]) + [root(leaves[:k])]


def consistency_proof(m, leaves):
    """PROOF(m, D[n]) (RFC 9162 2.1.4.1), 0 < m <= n."""
    def sub(m, d, b):
        n = len(d)
        if m == n:
            return [] if b else [root(d)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return sub(m, d[:k], b) + [root(d[k:])]
        return sub(m - k, d[k:], False) + [root(d[:k])]
    return sub(m, leaves, True)


def verify_inclusion(index, size, leaf, proof, want_root):
    """RFC 9162 2.1.3.2. Returns True or False."""
    if index >= size or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == want_root


def verify_consistency(size1, size2, root1, root2, proof):
    """RFC 9162 2.1.4.2, refusing size1 == 0 (verifiability.md 4.4)."""
    if size1 == 0 or size1 > size2 or any(len(p) != 32 for p in proof):
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 & (size1 - 1) == 0:
        proof = [root1] + list(proof)
    if not proof:
        return False
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def b64(h):
    return base64.b64encode(h).decode()


def unb64(s):
    return base64.b64decode(s, validate=True)


def key_id(name, sigtype, pub):
    return hashlib.sha256(name.encode() + b"\n" + bytes([sigtype]) +
                          pub).digest()[:4]


def parse_vkey(vkey):
    name, kid, rest = vkey.strip().split("+", 2)
    raw = base64.b64decode(rest)
    return name, bytes.fromhex(kid), raw[0], raw[1:]


def load_skey(path):
    """The seed of a Go-style PRIVATE+KEY+NAME+ID+B64(0x01 || seed) file:
    (name, Ed25519PrivateKey)."""
    text = open(path).read().strip()
    parts = text.split("+", 4)
    raw = base64.b64decode(parts[4])
    return parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:])


def split_note(note):
    """(text, [(name, sigbytes)]) of a signed note, text with its final
    newline."""
    i = note.rindex("\n\n")
    text, sigs = note[:i + 1], note[i + 2:]
    out = []
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise ValueError("not a signature line: %r" % line)
        name, sig = line[2:].split(" ")
        out.append((name, base64.b64decode(sig)))
    return text, out


def verify_note(note, vkey):
    """True if note carries a valid Ed25519 signature by vkey."""
    name, kid, typ, pub = parse_vkey(vkey)
    text, sigs = split_note(note)
    key = Ed25519PublicKey.from_public_bytes(pub)
    for n, sig in sigs:
        if n == name and sig[:4] == kid:
            try:
                key.verify(sig[4:], text.encode())
                return True
            except Exception:
                return False
    return False


def sign_note(text, name, priv):
    """text + a signature line by (name, Ed25519PrivateKey)."""
    sig = key_id(name, 1, _raw_pub(priv)) + priv.sign(text.encode())
    return text + "\n\u2014 %s %s\n" % (name, base64.b64encode(sig).decode())


def _raw_pub(priv):
    from cryptography.hazmat.primitives import serialization
    return priv.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def parse_checkpoint(text):
    """(origin, size, root) of a checkpoint note text."""
    lines = text.split("\n")
    return lines[0], int(lines[1]), unb64(lines[2])


def checkpoint_text(origin, size, root_hash):
    return "%s\n%d\n%s\n" % (origin, size, b64(root_hash))


# ---- for the hoster's audit (tests/integration/test_audit.py) ----
#
# A malicious reseller holds the deployment key: it can rebuild the log
# and re-sign checkpoints and answers. These let a test play that part,
# and check a witness's cosignature without sightline's C.

DASH = "\u2014"


def jcs(v):
    """RFC 8785 for the values the log holds (ASCII keys, integers,
    strings): sorted keys, no whitespace, raw UTF-8."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def public_bytes(priv):
    return _raw_pub(priv)


def verify_cosignature(note, vkey):
    """The time of the tlog-cosignature/v1 by the witness vkey (type 0x04)
    on note, after checking Ed25519 over "cosignature/v1\\ntime T\\n" +
    the checkpoint text. Raises ValueError (or InvalidSignature) if there
    is none or it does not verify."""
    name, kid, typ, pub = parse_vkey(vkey)
    if typ != 4 or key_id(name, 4, pub) != kid:
        raise ValueError("not a cosignature verifier key (type 0x04)")
    key = Ed25519PublicKey.from_public_bytes(pub)
    text, sigs = split_note(note)
    good = [s for n, s in sigs if n == name and s[:4] == kid]
    if not good:
        raise ValueError("no cosignature by %s" % name)
    for s in good:
        if len(s) != 76:
            raise ValueError("a cosignature is 76 bytes, not %d" % len(s))
        t = int.from_bytes(s[4:12], "big")
        key.verify(s[12:], ("cosignature/v1\ntime %d\n" % t).encode() +
                   text.encode())
    return t


COVERED = ('("@status" "content-digest" "content-type" '
           '"sightline-inventory" "@method";req "@path";req "@query";req)')


def sign_response(priv, keyid_hex, method, path, query, status, headers,
                  body, created=None):
    """Content-Digest, Signature-Input and Signature, as sightlined makes
    them, for a response with fields headers [(name, value)] and body:
    the [(name, value)] to send along. The base is sigcheck.py's."""
    import sigcheck
    digest = "sha-256=:%s:" % b64(hashlib.sha256(body).digest())
    h = [(k, v) for k, v in headers if k.lower() not in (
        "content-digest", "signature-input", "signature")]
    h.append(("Content-Digest", digest))
    si = '%s;created=%d;keyid="%s";alg="ed25519"' % (
        COVERED, created or int(time.time()), keyid_hex)
    base, why = sigcheck.signature_base(si, method, path, query, status, h)
    if base is None:
        raise ValueError(why)
    return [("Content-Digest", digest),
            ("Signature-Input", "sightline=" + si),
            ("Signature", "sightline=:%s:" % b64(priv.sign(base)))]


def rebuild_state_log(db, origin, name, priv):
    """What a reseller holding the key can do after editing the summaries
    in a state.db (an sqlite3 connection): recompute the log's subtree
    hashes from them and sign every checkpoint again, so that sightlined
    starts on the edited log. Tests of what audits and retention see."""
    sums = [bytes(s) for (s,) in db.execute(
        "SELECT summary FROM snapshot ORDER BY seq")]
    leaves = [leaf_hash(s) for s in sums]
    db.execute("DELETE FROM loghash")
    level = 0
    while (len(leaves) >> level) > 0:
        for i in range(len(leaves) >> level):
            db.execute("INSERT INTO loghash (level, idx, hash) VALUES "
                       "(?, ?, ?)", (level, i, root(
                           leaves[i << level:(i + 1) << level])))
        level += 1
    db.execute("DELETE FROM checkpoint WHERE size > ?", (len(leaves),))
    for (size,) in db.execute("SELECT size FROM checkpoint").fetchall():
        db.execute("UPDATE checkpoint SET note = ? WHERE size = ?",
                   (sign_note(checkpoint_text(origin, size,
                                              root(leaves[:size])),
                              name, priv), size))
    if not db.execute("SELECT 1 FROM checkpoint WHERE size = ?",
                      (len(leaves),)).fetchone():
        db.execute("INSERT INTO checkpoint (size, note) VALUES (?, ?)",
                   (len(leaves), sign_note(checkpoint_text(
                       origin, len(leaves), root(leaves)), name, priv)))
