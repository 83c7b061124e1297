"""tlog.py - the snapshot log's formats in plain Python, apart from sightline's C.

What a test needs to check sightline's log by other means, and to play a
malicious reseller who holds the deployment key and rewrites history:

  - RFC 6962 / RFC 9162 Merkle trees: leaf and node hashes, the root,
    inclusion and consistency proofs (the RFC's recursive definitions,
    written as plainly as they read);
  - C2SP signed notes (Ed25519, type 0x01) and checkpoints, signed with a
    Go-form .skey file; tlog-cosignature/v1 lines (type 0x04) checked;
  - RFC 9421 response signatures as sightlined makes them, built on the
    signature base of sigcheck.py, so a lying front can re-sign what it
    changed.

hashlib and the `cryptography` package only: none of sightline's code.
"""
import base64
import hashlib
import json
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)

import sigcheck

DASH = "\u2014"


def sha256(b):
    return hashlib.sha256(b).digest()


def b64(b):
    return base64.b64encode(b).decode()


def unb64(s):
    return base64.b64decode(s, validate=True)


# ---- RFC 6962 trees ----

def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def _split(n):
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def inclusion_proof(m, leaves):
    """PATH(m, D[n]), leaf end first."""
    n = len(leaves)
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return inclusion_proof(m, leaves[:k]) + [mth(leaves[k:])]
    return inclusion_proof(m - k, leaves[k:]) + [mth(leaves[:k])]


def consistency_proof(m, leaves):
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    def sub(m, d, whole):
        n = len(d)
        if m == n:
            return [] if whole else [mth(d)]
        k = _split(n)
        if m <= k:
            return sub(m, d[:k], whole) + [mth(d[k:])]
        return sub(m - k, d[k:], False) + [mth(d[:k])]
    return sub(m, leaves, True)


def root_from_inclusion(index, size, leaf, proof):
    """RFC 9162 2.1.3.2: the root a proof leads to, or None."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def jcs(v):
    """RFC 8785 for the values the log holds (ASCII keys, integers, strings):
    sorted keys, no whitespace, raw UTF-8."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


# ---- keys and signed notes ----

def key_id(name, sigtype, pub):
    return sha256(name.encode() + b"\n" + bytes([sigtype]) + pub)[:4]


def load_skey(path):
    """A Go-form signer key file, PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || seed):
    (name, Ed25519PrivateKey)."""
    with open(path) as f:
        line = f.readline().strip()
    parts = line.split("+", 4)
    if parts[:2] != ["PRIVATE", "KEY"] or len(parts) != 5:
        raise ValueError("%s: not a signer key" % path)
    raw = unb64(parts[4])
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("%s: not an Ed25519 seed" % path)
    return parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:])


def public_bytes(priv):
    from cryptography.hazmat.primitives.serialization import (
        Encoding, PublicFormat)
    return priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def checkpoint_text(origin, size, root):
    return "%s\n%d\n%s\n" % (origin, size, b64(root))


def sign_note(text, name, priv):
    """text + "\\n" + one Ed25519 signature line (type 0x01)."""
    sig = priv.sign(text.encode())
    kid = key_id(name, 1, public_bytes(priv))
    return text + "\n" + "%s %s %s\n" % (DASH, name, b64(kid + sig))


def split_note(note):
    """(text, [(name, raw signature bytes)]) of a signed note."""
    i = note.rindex("\n\n")
    text, sigs = note[:i + 1], note[i + 2:]
    out = []
    for line in sigs.splitlines():
        if not line.startswith(DASH + " "):
            raise ValueError("not a signature line: %r" % line)
        name, s = line[2:].split(" ")
        out.append((name, unb64(s)))
    return text, out


def parse_checkpoint(text):
    lines = text.split("\n")
    return lines[0], int(lines[1]), unb64(lines[2])


def parse_vkey(line, want_type):
    name, kid, k = line.strip().split("+", 2)
    raw = unb64(k)
    if len(raw) != 33 or raw[0] != want_type:
        raise ValueError("vkey type %d, not %d" % (raw[0], want_type))
    if key_id(name, want_type, raw[1:]).hex() != kid:
        raise ValueError("vkey id mismatch")
    return name, bytes.fromhex(kid), Ed25519PublicKey.from_public_bytes(
        raw[1:])


def verify_note(note, vkey_line):
    """Raises unless the note carries a valid type-0x01 signature by vkey."""
    name, kid, pub = parse_vkey(vkey_line, 1)
    text, sigs = split_note(note)
    good = [s for n, s in sigs if n == name and s[:4] == kid]
    if not good:
        raise ValueError("no signature by %s" % name)
    for s in good:
        pub.verify(s[4:], text.encode())
    return text


def verify_cosignature(note, vkey_line):
    """tlog-cosignature/v1 by the witness vkey (type 0x04): its time, after
    checking Ed25519 over "cosignature/v1\\ntime T\\n" + the checkpoint text.
    Raises if there is none or it does not verify."""
    name, kid, pub = parse_vkey(vkey_line, 4)
    text, sigs = split_note(note)
    good = [s for n, s in sigs if n == name and s[:4] == kid]
    if not good:
        raise ValueError("no cosignature by %s" % name)
    for s in good:
        if len(s) != 76:
            raise ValueError("a cosignature is 76 bytes, not %d" % len(s))
        t = int.from_bytes(s[4:12], "big")
        msg = ("cosignature/v1\ntime %d\n" % t).encode() + text.encode()
        pub.verify(s[12:], msg)
    return t


# ---- RFC 9421 responses, as sightlined signs them ----

COVERED = ('("@status" "content-digest" "content-type" "sightline-inventory" '
           '"@method";req "@path";req "@query";req)')


def sign_response(priv, keyid_hex, method, path, query, status, headers,
                  body, created=None):
    """Content-Digest, Signature-Input and Signature for a response whose
    other fields are headers [(name, value)] and whose body is body: a list
    of (name, value) to send along with headers."""
    digest = "sha-256=:%s:" % b64(sha256(body))
    h = [(k, v) for k, v in headers if k.lower() not in (
        "content-digest", "signature-input", "signature")]
    h.append(("Content-Digest", digest))
    si = '%s;created=%d;keyid="%s";alg="ed25519"' % (
        COVERED, created or int(time.time()), keyid_hex)
    base, why = sigcheck.signature_base(si, method, path, query, status, h)
    if base is None:
        raise ValueError(why)
    sig = priv.sign(base)
    return [("Content-Digest", digest),
            ("Signature-Input", "sightline=" + si),
            ("Signature", "sightline=:%s:" % b64(sig))]
