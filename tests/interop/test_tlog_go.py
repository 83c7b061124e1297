#!/usr/bin/python3
"""test_tlog_go.py - sightline's checkpoints and Merkle proofs against Go's
golang.org/x/mod/sumdb/note and .../tlog, the code of sum.golang.org.

tests/interop/tlogcheck.go reads one JSON document (a vkey, a signed
checkpoint, inclusion and consistency proofs, optionally a witness's vkey)
and checks it with note.Open, tlog.CheckRecord and tlog.CheckTree; this
test builds it into tests/work and feeds it:

  (a) the vectors of tests/vectors/tlog-checkpoint (the tlog-proof of leaf
      5, the witness request's consistency proof, the cosigned selfgen
      checkpoints, the real sum.golang.org and arche2025h1 ones) and every
      inclusion and consistency proof of tests/vectors/merkle's 8 leaves,
      under checkpoints signed here with the vectors' log key;
  (b) what tests/unit/tlog_cli (merkle.c, note.c) makes for trees of 1, 2,
      7, 8, 70 and 1000 leaves, signed and cosigned with keys from
      `sightline keygen`;
  (c) tampered variants, each of which must fail the right check: a
      flipped root, a wrong size, altered proofs, indexes and leaves, a
      note signed by another key, a changed cosignature time.

Go builds offline, in GOPATH mode, from Debian's golang-go and
golang-golang-x-mod-dev (./bootstrap installs both; TLOG_GOPATH names
another GOPATH holding golang.org/x/mod). Without them this test fails,
saying so: interop tests never skip.
"""
import base64
import copy
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, SRCDIR, BUILDDIR, SIGHTLINE, run  # noqa: E402
import gotlog  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: E402
    Ed25519PrivateKey)
from cryptography.hazmat.primitives.serialization import (  # noqa: E402
    Encoding, PublicFormat)

HERE = os.path.join(SRCDIR, "tests", "interop")
VEC = os.path.join(SRCDIR, "tests", "vectors")
WORK = os.path.join(BUILDDIR, "tests", "work", "tlog_go")
CLI = os.path.join(BUILDDIR, "tests", "unit", "tlog_cli")
CHECK = gotlog.binary(WORK)
DASH = "\u2014 "

t = Tap()


def b64(data):
    return base64.b64encode(data).decode()


def hexb64(h):
    return b64(bytes.fromhex(h))


def vec(*path):
    with open(os.path.join(VEC, *path), encoding="utf-8") as f:
        return f.read()


def vec_json(*path):
    return json.loads(vec(*path))


class Signer:
    """A note signer apart from note.c: an Ed25519 seed and a key name."""

    def __init__(self, name, seed):
        self.name = name
        self.key = Ed25519PrivateKey.from_private_bytes(seed)
        pub = self.key.public_key().public_bytes(Encoding.Raw,
                                                 PublicFormat.Raw)
        self.id = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.id.hex(), b64(b"\x01" + pub))

    @classmethod
    def from_skey(cls, path):
        with open(path) as f:
            _, _, name, _, key = f.read().strip().split("+", 4)
        raw = base64.b64decode(key)
        return cls(name, raw[1:])

    def line(self, text, name=None, key_id=None):
        """A signature line; name and key_id may claim another key's."""
        sig = self.key.sign(text.encode())
        return "%s%s %s\n" % (DASH, name or self.name,
                              b64((key_id or self.id) + sig))

    def sign(self, text):
        return text + "\n" + self.line(text)


def checkpoint_text(origin, size, root_b64):
    return "%s\n%d\n%s\n" % (origin, size, root_b64)


def split_note(note):
    """The text (final newline included) and the signature lines."""
    i = note.rindex("\n\n")
    return note[:i + 1], note[i + 2:]


def tlogcheck(doc):
    """tlogcheck's exit status and output lines for doc."""
    r = subprocess.run([CHECK], input=json.dumps(doc), capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout.splitlines() + r.stderr.splitlines()


def count(doc):
    """The checks tlogcheck makes of a good doc."""
    return (2 + ("cosigner_vkey" in doc) + len(doc.get("inclusion", [])) +
            len(doc.get("consistency", [])))


def passes(doc, what, cosigned=False):
    rc, lines = tlogcheck(doc)
    oks = [x for x in lines if x.startswith("ok ")]
    good = rc == 0 and len(oks) == count(doc) and len(oks) == len(lines)
    if good and cosigned:
        good = "0 other signature" not in lines[0]
    t.ok(good, "%s: Go accepts it (%d checks)" % (what, count(doc)),
         "\n".join(lines))
    return good


def fails(doc, what, expect):
    """doc fails, and a FAIL line starts with expect."""
    rc, lines = tlogcheck(doc)
    bad = [x for x in lines if x.startswith("FAIL ")]
    t.ok(rc == 1 and any(x.startswith("FAIL " + expect) for x in bad),
         "%s: Go refuses it (%s)" % (what, bad[0] if bad else "no FAIL"),
         "exit %d\n%s" % (rc, "\n".join(lines)))


def build():
    """tlogcheck built into tests/work, or a failed check saying why."""
    ok, why = gotlog.build(WORK)
    if ok:
        t.diag(why)
    return t.ok(ok, "tlogcheck.go builds offline", why)


def test_vectors():
    sg = vec_json("tlog-checkpoint",
                  "selfgen-checkpoint-cosignature-vectors.json")
    log_vkey = sg["log_key"]["vkey"]
    wit_vkey = sg["witness_key"]["vkey"]

    # The tlog-proof of leaf 5: by its bytes and by its hash.
    proof, cp = vec("tlog-checkpoint", "selfgen-leaf5.tlog-proof").split(
        "\n\n", 1)
    lines = proof.split("\n")
    t.eq(lines[:2], ["c2sp.org/tlog-proof@v1", "index 5"],
         "selfgen-leaf5.tlog-proof: header")
    tp = sg["tlog_proof"]
    doc = {"vkey": log_vkey, "checkpoint": cp, "cosigner_vkey": wit_vkey,
           "inclusion": [
               {"index": 5, "leaf": hexb64(tp["leaf_data_hex"]),
                "proof": lines[2:]},
               {"index": 5, "leaf_hash": hexb64(tp["leaf_hash_hex"]),
                "proof": [hexb64(h) for h in tp["inclusion_proof_hex"]]}]}
    passes(doc, "selfgen-leaf5.tlog-proof", cosigned=True)
    bad = copy.deepcopy(doc)
    bad["inclusion"][0]["index"] = 4
    fails(bad, "selfgen-leaf5.tlog-proof as leaf 4", "inclusion index=4")

    # The witness request: old 6, its proof, the size-8 checkpoint.
    body = vec("tlog-checkpoint", "selfgen-add-checkpoint-old6-size8.body")
    head, cp = body.split("\n\n", 1)
    lines = head.split("\n")
    old6 = vec("tlog-checkpoint", "selfgen-test-log-size6.checkpoint")
    doc = {"vkey": log_vkey, "checkpoint": cp,
           "consistency": [{"old_size": int(lines[0].split()[1]),
                            "old_root": old6.split("\n")[2],
                            "proof": lines[1:]}]}
    t.eq(lines[0], "old 6", "selfgen-add-checkpoint-old6-size8.body: old 6")
    passes(doc, "selfgen-add-checkpoint-old6-size8.body")

    for c in sg["checkpoints"]:
        doc = {"vkey": log_vkey, "cosigner_vkey": wit_vkey,
               "checkpoint": vec("tlog-checkpoint", c["file"])}
        passes(doc, c["file"], cosigned=True)

    doc = {"vkey": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3U"
                   "x18htTTAD8OuAn8",
           "checkpoint": vec("tlog-checkpoint",
                             "real-sum.golang.org-35225469.checkpoint")}
    passes(doc, "real sum.golang.org checkpoint")
    arche = vec_json("tlog-checkpoint", "real-arche2025h1-cosigned.json")
    keys = {k["type"]: k["vkey"] for k in arche["verified_keys"]}
    doc = {"vkey": keys[1], "cosigner_vkey": keys[4],
           "checkpoint": vec("tlog-checkpoint", arche["file"])}
    passes(doc, "real arche2025h1 checkpoint, remora cosignature, a 0x05 "
           "line", cosigned=True)

    # Every proof of the 8 standard leaves, under checkpoints signed here
    # with the log key (RFC 8032 TEST 1): size 8 gives the vector's bytes.
    log = Signer(sg["log_key"]["name"],
                 bytes.fromhex(sg["log_key"]["seed_hex"]))
    t.eq(log.vkey, log_vkey, "the Python signer's vkey is the vectors'")
    m = vec_json("merkle", "rfc6962-standard-8-leaves.json")
    roots = m["roots_by_size_hex"]
    text8, sigs8 = split_note(vec("tlog-checkpoint",
                                  "selfgen-test-log-size8.checkpoint"))
    t.eq(log.sign(checkpoint_text(log.name, 8, hexb64(roots["8"]))),
         text8 + "\n" + sigs8.split("\n")[0] + "\n",
         "the Python signer reproduces the size-8 log signature")
    ninc = ncon = 0
    for n in range(1, 9):
        doc = {"vkey": log_vkey,
               "checkpoint": log.sign(checkpoint_text(
                   log.name, n, hexb64(roots[str(n)]))),
               "inclusion": [], "consistency": []}
        for p in m["inclusion_proofs"]:
            if p["tree_size"] == n:
                doc["inclusion"].append({
                    "index": p["leaf_index"],
                    "leaf": hexb64(m["leaf_inputs_hex"][p["leaf_index"]]),
                    "proof": [hexb64(h) for h in p["proof"]]})
        for p in m["consistency_proofs"]:
            if p["size2"] == n:
                doc["consistency"].append({
                    "old_size": p["size1"], "old_root": hexb64(p["root1"]),
                    "proof": [hexb64(h) for h in p["proof"]]})
        ninc += len(doc["inclusion"])
        ncon += len(doc["consistency"])
        passes(doc, "8 standard leaves, tree size %d" % n)
    t.ok(ninc == 36 and ncon == 36, "all 36 inclusion and 36 consistency "
         "proofs of the 8 leaves were checked")


def keygen(name):
    keys = os.path.join(WORK, "keys")
    os.makedirs(keys, exist_ok=True)
    base = os.path.join(keys, name.replace("/", "_"))
    for ext in (".skey", ".secret", ".vkey"):
        if os.path.exists(base + ext):
            os.unlink(base + ext)
    r = run([SIGHTLINE, "keygen", "--name", name, "--out", keys])
    if r.returncode != 0:
        t.ok(False, "sightline keygen --name %s" % name, r.stderr)
    return base + ".skey"


def cli(n, *args):
    r = run([CLI] + list(args) + [str(n)])
    if not t.ok(r.returncode == 0, "tlog_cli %d leaves" % n, r.stderr):
        return None
    return json.loads(r.stdout)


def flip(b64text):
    """Another valid base64 hash: the first byte changed."""
    raw = bytearray(base64.b64decode(b64text))
    raw[0] ^= 0x01
    return b64(bytes(raw))


def test_cli():
    if not t.ok(os.access(CLI, os.X_OK), "tests/unit/tlog_cli is built",
                "build it with make check"):
        return
    log_skey = keygen("example.com/interop-log")
    wit_skey = keygen("example.com/interop-witness")
    other_skey = keygen("example.com/interop-other")
    docs = {}
    for n in (1, 2, 7, 8, 70, 1000):
        doc = cli(n, "-w", wit_skey, "-t", "1779573024", log_skey)
        if doc is None:
            continue
        docs[n] = doc
        passes(doc, "tlog_cli, %d leaves, cosigned" % n, cosigned=True)
    doc = cli(5, "-o", "sightline.example/log/v1", log_skey)
    if doc is not None:
        passes(doc, "tlog_cli, an origin that is not the key name")
    if 70 not in docs:
        return
    good = docs[70]
    log = Signer.from_skey(log_skey)
    other = Signer.from_skey(other_skey)
    text, sigs = split_note(good["checkpoint"])
    origin, size, root = text.split("\n")[:3]

    def variant(what, expect, change):
        doc = copy.deepcopy(good)
        change(doc)
        fails(doc, what, expect)

    def set_cp(doc, text, signer=log, cosig=False):
        doc["checkpoint"] = signer.sign(text)
        if not cosig:
            doc.pop("cosigner_vkey", None)

    variant("root flipped, the log's signature kept", "note.Open",
            lambda d: d.update(checkpoint=d["checkpoint"].replace(
                root, flip(root))))
    variant("root flipped and signed again (inclusion)", "inclusion",
            lambda d: set_cp(d, checkpoint_text(origin, 70, flip(root))))
    variant("root flipped and signed again (consistency)", "consistency",
            lambda d: set_cp(d, checkpoint_text(origin, 70, flip(root))))
    variant("size 71 signed with the same root", "inclusion",
            lambda d: set_cp(d, checkpoint_text(origin, 71, root)))
    variant("size 69 signed with the same root", "consistency",
            lambda d: set_cp(d, checkpoint_text(origin, 69, root)))
    variant("size 70 written 070", "checkpoint",
            lambda d: set_cp(d, "%s\n070\n%s\n" % (origin, root)))
    variant("an inclusion proof hash altered", "inclusion index=0",
            lambda d: d["inclusion"][0]["proof"].__setitem__(
                0, flip(d["inclusion"][0]["proof"][0])))
    variant("an inclusion proof one hash short", "inclusion index=0",
            lambda d: d["inclusion"][0]["proof"].pop())
    variant("an inclusion proof one hash long", "inclusion index=0",
            lambda d: d["inclusion"][0]["proof"].append(
                d["inclusion"][0]["proof"][0]))
    variant("an inclusion proof for the next index", "inclusion index=1",
            lambda d: d["inclusion"][0].update(index=1))
    variant("an inclusion proof for another leaf", "inclusion index=0",
            lambda d: d["inclusion"][0].update(leaf=b64(b"leaf-1")))
    variant("an inclusion proof past the tree", "inclusion index=70",
            lambda d: d["inclusion"][0].update(index=70))
    variant("a consistency proof hash altered", "consistency old_size=1",
            lambda d: d["consistency"][0]["proof"].__setitem__(
                0, flip(d["consistency"][0]["proof"][0])))
    variant("a consistency proof from another old root",
            "consistency old_size=1",
            lambda d: d["consistency"][0].update(
                old_root=flip(d["consistency"][0]["old_root"])))
    variant("a consistency proof from another old size",
            "consistency old_size=2",
            lambda d: d["consistency"][0].update(old_size=2))
    variant("signed by another key", "note.Open",
            lambda d: set_cp(d, text, other))
    variant("another key's signature under the log's name and key id",
            "note.Open: invalid signature",
            lambda d: d.update(checkpoint=text + "\n" + other.line(
                text, log.name, log.id)))
    cos = sigs.split("\n")[1]
    name, sig = cos[len(DASH):].split(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[11] ^= 0x01
    variant("the cosignature's time changed", "cosignature",
            lambda d: d.update(checkpoint=d["checkpoint"].replace(
                sig, b64(bytes(raw)))))
    variant("the cosignature removed", "cosignature",
            lambda d: d.update(checkpoint=d["checkpoint"].replace(
                cos + "\n", "")))
    variant("cosigned, then the log signature only kept", "cosignature",
            lambda d: set_cp(d, text, cosig=True))

    # expect_fail turns the verdict: for the driver of other tests.
    doc = copy.deepcopy(good)
    doc["expect_fail"] = True
    rc, lines = tlogcheck(doc)
    t.ok(rc == 1, "expect_fail on a good document fails", "\n".join(lines))
    doc["inclusion"][0]["index"] = 1
    rc, lines = tlogcheck(doc)
    t.ok(rc == 0, "expect_fail on a bad document passes", "\n".join(lines))
    rc, lines = tlogcheck({"vkey": good["vkey"], "checkpoint": "",
                           "bogus": 1})
    t.ok(rc == 2, "an unknown member is an unusable input (exit 2)",
         "\n".join(lines))


if build():
    t.run(test_vectors)
    t.run(test_cli)
t.done()
