#!/usr/bin/python3
"""test_jcs_npm.py - sightline's JCS bytes against an independent
implementation: the npm package "canonicalize", whose numbers come from
V8's Number::toString.

Both canonicalize the same JSON texts: tests/unit/canon_cli (canon_parse
and canon_write, built by make check) and tests/interop/jcs_npm.mjs. The
texts are the official RFC 8785 inputs, a few hundred random documents
(nested objects with keys from every Unicode plane, escapes, floats from
random bit patterns, integers within 2^53), every power of two with its
neighbours, and lone surrogates, which both must refuse.

The npm packages are pinned in tests/interop/package-lock.json. ./bootstrap
installs them in tests/interop/node_modules; when they are not there this
test installs them with `npm ci` under the build tree (tests/work/interop),
and fails, saying so, when it cannot. It never skips.

JCS_SEED=N picks another random sequence (default 8785).
"""
import json
import math
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, SRCDIR, BUILDDIR, run  # noqa: E402
from npm import node_modules, NODE  # noqa: E402

HERE = os.path.join(SRCDIR, "tests", "interop")
VECTORS = os.path.join(SRCDIR, "tests", "vectors", "jcs")
CLI = os.path.join(BUILDDIR, "tests", "unit", "canon_cli")
HELPER = os.path.join(HERE, "jcs_npm.mjs")

t = Tap()


def both(data, lines):
    """canon_cli's and the npm package's output for data (bytes)."""
    extra = ["-l"] if lines else []
    a = subprocess.run([CLI] + extra, input=data, capture_output=True,
                       timeout=120)
    b = subprocess.run([NODE, HELPER, MODULES] + extra, input=data,
                       capture_output=True, timeout=120)
    if b.returncode not in (0, 1) or (not lines and b.returncode != 0):
        t.diag("jcs_npm.mjs: exit %d: %s" % (b.returncode,
                                             b.stderr.decode()[-2000:]))
    return a, b


def compare_lines(docs, what):
    """Each document (text) canonicalizes to the same bytes in both."""
    data = "".join(d + "\n" for d in docs).encode()
    a, b = both(data, True)
    got, want = a.stdout.split(b"\n"), b.stdout.split(b"\n")
    bad = [i for i in range(len(docs))
           if i >= len(got) or i >= len(want) or got[i] != want[i]]
    ok = t.ok(not bad and len(got) == len(want) == len(docs) + 1,
              "%s: %d documents, the same bytes" % (what, len(docs)))
    if not ok:
        t.diag("%d differ; lines out %d and %d" % (len(bad), len(got),
                                                   len(want)))
        for i in bad[:5]:
            t.diag("input:  %s" % docs[i][:400])
            t.diag("ours:   %r" % (got[i][:400] if i < len(got) else None))
            t.diag("npm:    %r" % (want[i][:400] if i < len(want) else None))


# ---- random documents ----

# Code points by the way they stress JCS: escapes, UTF-8 lengths, and the
# UTF-16 order (U+E000..U+FFFF after the surrogate pairs of U+10000 up).
POOLS = [
    [chr(c) for c in range(0x20, 0x7f)],
    [chr(c) for c in range(0x00, 0x20)] + ['"', "\\", "/", "\x7f"],
    [chr(c) for c in range(0x80, 0x800, 7)],
    ["\u2028", "\u2029", "\u20ac", "\u00e9", "e\u0301", "\ufb33", "\ufeff",
     "\ud7ff", "\ue000", "\uf8ff", "\ufffd", "\uffff"],
    ["\U0001f602", "\U00010000", "\U0001d11e", "\U0010ffff", "\U00020000"],
]


def rand_text(rng, n, nul=True):
    out = []
    for _ in range(n):
        c = rng.choice(rng.choice(POOLS))
        if c == "\x00" and not nul:
            c = "0"
        out.append(c)
    return "".join(out)


def rand_double(rng):
    kind = rng.randrange(4)
    if kind == 0:
        while True:
            x = struct.unpack("<d", struct.pack("<Q",
                                                rng.getrandbits(64)))[0]
            if math.isfinite(x):
                return x
    if kind == 1:
        return rng.randrange(-10**6, 10**6) / 10 ** rng.randrange(0, 8)
    if kind == 2:
        return math.ldexp(rng.choice([1.0, -1.0]) *
                          (1 + rng.getrandbits(52) / 2**52),
                          rng.randrange(-1074, 1024))
    return rng.choice([0.0, -0.0, 1e21, 1e-6, 1e-7, 1e20, 0.1, 5e-324,
                       1.7976931348623157e308, 2.0**53, 2.0**53 + 2])


def rand_value(rng, depth):
    k = rng.randrange(10 if depth < 6 else 6)
    if k == 0:
        return None
    if k == 1:
        return rng.choice([True, False])
    if k == 2:
        return rng.choice([0, 1, -1, 2**53, -2**53,
                           rng.randrange(-2**53, 2**53 + 1),
                           rng.randrange(-1000, 1000)])
    if k == 3:
        return rand_double(rng)
    if k in (4, 5):
        return rand_text(rng, rng.randrange(0, 12))
    if k in (6, 7):
        return {rand_text(rng, rng.randrange(0, 6), nul=False):
                rand_value(rng, depth + 1) for _ in range(rng.randrange(8))}
    return [rand_value(rng, depth + 1) for _ in range(rng.randrange(8))]


def rand_json(rng, doc):
    """JSON text for doc, written in one of several legal styles."""
    seps = rng.choice([(",", ":"), (", ", ": "), (" ,", " :\t")])
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5,
                      separators=seps)


# ---- the test ----

MODULES, how = node_modules()
if MODULES is None:
    t.ok(False, "npm packages of tests/interop/package-lock.json", how)
    t.done()
t.ok(True, "npm packages of tests/interop/package-lock.json (%s)" % how)
r = run([NODE, "--version"])
t.diag("node %s, modules in %s" % (r.stdout.strip(), MODULES))
if not t.ok(os.access(CLI, os.X_OK), "tests/unit/canon_cli is built",
            "build it with make check"):
    t.done()

# The official inputs, fed as they are (whole files, not lines).
names = sorted(f for f in os.listdir(os.path.join(VECTORS, "input"))
               if f.endswith(".json"))
t.eq(len(names), 6, "six official input documents")
for name in names:
    with open(os.path.join(VECTORS, "input", name), "rb") as f:
        data = f.read()
    a, b = both(data, False)
    t.ok(a.returncode == 0 and b.returncode == 0 and a.stdout == b.stdout,
         "input/%s: the same bytes" % name,
         "ours: %r\nnpm:  %r\n%s" % (a.stdout, b.stdout, a.stderr))

seed = int(os.environ.get("JCS_SEED", "8785"))
t.diag("JCS_SEED=%d" % seed)
rng = random.Random(seed)
docs = []
for i in range(300):
    top = rng.choice(["object", "object", "array"])
    doc = rand_value(rng, 0)
    if top == "object":
        doc = {rand_text(rng, rng.randrange(1, 6), nul=False):
               rand_value(rng, 1) for _ in range(rng.randrange(1, 12))}
    docs.append(rand_json(rng, doc))
compare_lines(docs, "random documents")

# Every power of two and its neighbours, where the doubles are unevenly
# spaced, and many random bit patterns: V8 checks the shortest digits.
nums = []
for e in range(1, 2047):
    for d in (-1, 0, 1):
        bits = (e << 52) + d
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if math.isfinite(x):
            nums.append(x)
for _ in range(50000):
    nums.append(rand_double(rng))
chunks = [nums[i:i + 1000] for i in range(0, len(nums), 1000)]
compare_lines([json.dumps(c) for c in chunks],
              "%d numbers (powers of two and neighbours, random)" % len(nums))

# Both refuse lone surrogates (JCS requires valid Unicode).
lone = ['"\\ud800"', '"\\udc00"', '{"\\ud83d":1}', '["a\\ude02b"]']
a, b = both("".join(x + "\n" for x in lone).encode(), True)
ours = a.stdout.decode().splitlines()
theirs = b.stdout.decode().splitlines()
t.ok(len(ours) == len(theirs) == len(lone) and
     all(x.startswith("!error") for x in ours + theirs),
     "lone surrogates: both refuse all %d" % len(lone),
     "ours: %r\nnpm: %r" % (ours, theirs))
t.done()
