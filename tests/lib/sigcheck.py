"""sigcheck.py - an RFC 9421 / RFC 9530 verifier written apart from sightline's C.

It rebuilds the signature base from the received fields and the request
by its own reading of RFC 9421 section 2, checks Content-Digest with
hashlib and the Ed25519 signature with Python's `cryptography` (OpenSSL
underneath, but none of sightline's code). Tests use it to show that
sightline's signatures are what the RFC says, not only what sightline's
own verifier accepts.

    err = verify(vkey_line, "GET", "/v1/vps", None, status, headers, body)
    # None when valid, else a reason
"""
import base64
import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def parse_vkey(line):
    """NAME+KEYID+BASE64(0x01 || key) -> (name, keyid hex, Ed25519PublicKey)."""
    name, keyid, b64 = line.strip().split("+", 2)
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("not an Ed25519 verifier key")
    want = hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex()
    if want != keyid:
        raise ValueError("key id %s does not match %s" % (keyid, want))
    return name, keyid, Ed25519PublicKey.from_public_bytes(raw[1:])


def field(headers, name):
    """The combined value of a field (RFC 9421 2.1), or None."""
    vals = [v.strip() for k, v in headers if k.lower() == name]
    return ", ".join(vals) if vals else None


MEMBER = re.compile(r'\s*([a-z*][a-z0-9_.*-]*)=((?:"(?:[^"\\]|\\.)*"|[^,"])*)\s*(?:,|$)')


def dictionary(value):
    return {m.group(1): m.group(2).strip() for m in MEMBER.finditer(value)}


def parse_inner_list(text):
    """'("a" "b";req);k=v;...' -> ([(name, req)], [(key, raw value)])."""
    m = re.fullmatch(r'\(([^)]*)\)((?:;[^;]+)*)', text)
    if not m:
        raise ValueError("not an inner list: %r" % text)
    comps = []
    for item in m.group(1).split():
        cm = re.fullmatch(r'"([^"]*)"(;req)?', item)
        if not cm:
            raise ValueError("bad component %r" % item)
        comps.append((cm.group(1), bool(cm.group(2))))
    params = []
    for p in m.group(2).split(";")[1:]:
        k, _, v = p.partition("=")
        params.append((k, v))
    return comps, params


def signature_base(si, method, path, query, status, headers):
    """The RFC 9421 signature base for the Signature-Input member value si
    ('("@status" ...);created=...') over a response and its request:
    (bytes, None), or (None, what is wrong). A signer and the verifier
    below both build it here."""
    comps, _ = parse_inner_list(si)
    lines = []
    for comp, req in comps:
        if comp == "@status" and not req:
            v = "%03d" % status
        elif comp == "@method" and req:
            v = method
        elif comp == "@path" and req:
            v = path or "/"
        elif comp == "@query" and req:
            v = "?" + (query or "")
        elif not comp.startswith("@") and not req:
            v = field(headers, comp)
            if v is None:
                return None, "covered field %s is missing" % comp
        else:
            return None, "component %s%s not understood here" % (
                comp, ";req" if req else "")
        lines.append('"%s"%s: %s' % (comp, ";req" if req else "", v))
    lines.append('"@signature-params": ' + si)
    return "\n".join(lines).encode("ascii"), None


def verify(vkey, method, path, query, status, headers, body):
    """Return None if the response verifies, else what is wrong."""
    name, keyid, pub = parse_vkey(vkey)
    cd = field(headers, "content-digest")
    if cd is None:
        return "no Content-Digest"
    d = dictionary(cd).get("sha-256")
    if d is None or base64.b64decode(d.strip(":")) != hashlib.sha256(body).digest():
        return "Content-Digest does not match the body"
    si = dictionary(field(headers, "signature-input") or "").get("sightline")
    sg = dictionary(field(headers, "signature") or "").get("sightline")
    if si is None or sg is None:
        return "no signature labelled sightline"
    comps, params = parse_inner_list(si)
    p = dict(params)
    if p.get("keyid") != '"%s"' % keyid:
        return "keyid %s is not %s" % (p.get("keyid"), keyid)
    if p.get("alg") not in (None, '"ed25519"'):
        return "alg %s" % p.get("alg")
    base, why = signature_base(si, method, path, query, status, headers)
    if base is None:
        return why
    try:
        pub.verify(base64.b64decode(sg.strip(":"), validate=True), base)
    except InvalidSignature:
        return "the signature does not verify"
    return None
