#!/usr/bin/python3
"""Commitments through the real daemon, opened later with the real tools.

The reseller runs sightlined with the default policy: the hoster sees
digests, not owners or names. The same keys with a keep-everything policy
give the raw records, as the reseller has them. `sightline disclose` opens
a committed field of a raw record; `sightline verify-disclosure` checks it
against the redacted record the hoster saved. The SD-JWT arithmetic is
checked again in plain Python (hashlib), and a disclosure for another
record, field or value is refused.
"""
import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Tap, Env, SIGHTLINE, run  # noqa: E402
from npm import canonicalize  # noqa: E402

t = Tap()

KEEP_ALL = """
return {
  record = { ["*"] = "keep" },
  node = { ["*"] = "keep" },
  native = { ["/nodes/{node}/qemu/{vmid}/config"] = { ["*"] = "keep" } },
}
"""


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sd_digest(disclosure):
    return base64.urlsafe_b64encode(hashlib.sha256(
        disclosure.encode("ascii")).digest()).rstrip(b"=").decode()


def fetch(env, path):
    r = env.get(path)
    if r.status != 200:
        raise RuntimeError("%s: %d %s" % (path, r.status, r.body[:300]))
    return r.json()


def save(env, name, doc):
    path = env.path(name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def disclose(env, record, field, *extra):
    return run([SIGHTLINE, "disclose", "--record", record, "--field", field,
                "--secret", env.key_secret] + list(extra))


def verify(record, d, field=None):
    cmd = [SIGHTLINE, "verify-disclosure", "--record", record,
           "--disclosure", d]
    return run(cmd + (["--field", field] if field else []))


def served_bytes_are_jcs(env, body, records):
    """Every redacted record, canonicalized by the npm package canonicalize
    (an RFC 8785 implementation nobody here wrote), stands verbatim in the
    answer sightlined served: its bytes are the canonical ones."""
    out, why = canonicalize(records)
    if not t.ok(out is not None, "npm canonicalize read every record", why):
        return
    missing = [o[:80] for o in out if o not in body]
    t.ok(not missing, "each of the %d served records is byte for byte what "
         "npm canonicalize makes of it" % len(out), missing[:3])


def main(env):
    # The raw view first: same keys, a policy that keeps everything.
    pol = env.path("keep-all.lua")
    with open(pol, "w") as f:
        f.write(KEEP_ALL)
    env.start(panel={"policy": pol})
    raw = {r["id"]: r for r in fetch(env, "/v1/vps")["records"]}
    raw_cfg = fetch(env, "/native/pve/api2/json/nodes/pve1/qemu/100/config")
    env.stop_daemon()
    env.write_config(env.config())      # the default policy, same keys
    env.start_daemon()
    listing = env.get("/v1/vps")
    red = {r["id"]: r for r in listing.json()["records"]}
    served_bytes_are_jcs(env, listing.body, list(red.values()))
    one = fetch(env, "/v1/vps/pve/100")
    red_cfg = fetch(env, "/native/pve/api2/json/nodes/pve1/qemu/100/config")

    t.eq(sorted(raw), sorted(red), "the same records, raw and redacted")
    r100, v100 = raw["pve/100"], red["pve/100"]
    t.ok(r100.get("owner") and r100.get("name"),
         "the raw record has an owner and a name", r100)
    text = json.dumps(red)
    for rid, rec in raw.items():
        for k in ("owner", "hostname", "name", "notes"):
            if isinstance(rec.get(k), str) and len(rec[k]) > 3:
                t.lacks(text, rec[k], "%s: its %s is not in the hoster's "
                        "view" % (rid, k))
    t.ok(all(len(r.get("_sd", [])) == 5 and r.get("_sd_alg") == "sha-256"
             for r in red.values()),
         "every redacted record has 5 digests and _sd_alg sha-256")
    t.ok(all(r.get("_sd") == sorted(r["_sd"]) for r in red.values()),
         "their digests are sorted")
    owners = {}
    for rid, rec in raw.items():
        owners.setdefault(rec.get("owner"), set()).add(
            red[rid].get("owner_ps"))
    t.ok(all(len(v) == 1 for v in owners.values()) and
         len({next(iter(v)) for v in owners.values()}) == len(owners),
         "owner_ps: one pseudonym per owner, different owners differ",
         owners)

    raw_path = save(env, "raw-100.json", r100)
    red_path = save(env, "redacted-100.json", one)   # the answer as saved
    for field in ("owner", "hostname", "name", "notes", "tags"):
        if field not in r100:
            continue
        r = disclose(env, raw_path, field)
        t.eq(r.returncode, 0, "disclose %s: exit 0" % field, r.stderr)
        d = r.stdout.strip()
        # Plain Python: the SD-JWT arithmetic, and the digest is served.
        arr = json.loads(b64url_decode(d))
        t.ok(isinstance(arr, list) and len(arr) == 3 and arr[1] == field and
             arr[2] == r100[field] and len(arr[0]) == 22,
             "the disclosure of %s decodes to [salt, name, value]" % field,
             arr)
        t.eq(b64url_decode(d).decode(), json.dumps(arr, separators=(",", ":"),
                                                   ensure_ascii=False),
             "its JSON is the RFC 8785 form (no spaces, raw UTF-8)")
        t.ok(sd_digest(d) in v100["_sd"],
             "hashlib: its digest is in the served record's _sd (%s)" % field)
        r = verify(red_path, d, field)
        t.ok(r.returncode == 0 and r.stdout.startswith("valid: %s = " % field),
             "verify-disclosure --field %s: valid" % field, r.stdout)
    d_owner = disclose(env, raw_path, "owner").stdout.strip()
    t.eq(d_owner, disclose(env, raw_path, "owner").stdout.strip(),
         "the same field discloses to the same string (derived salts)")

    # Refusals.
    other = save(env, "raw-101.json", raw["pve/101"])
    d101 = disclose(env, other, "name").stdout.strip()
    r = verify(red_path, d101)
    t.ok(r.returncode == 1 and "in no _sd" in r.stdout,
         "a disclosure of another record is refused: %s" % r.stdout.strip())
    r = verify(red_path, d_owner, "hostname")
    t.ok(r.returncode == 1 and 'of field "owner", not hostname' in r.stdout,
         "a disclosure shown as another field is refused: %s" %
         r.stdout.strip())
    arr = json.loads(b64url_decode(d_owner))
    arr[2] = "mallory@example.net"
    forged = base64.urlsafe_b64encode(json.dumps(
        arr, separators=(",", ":")).encode()).rstrip(b"=").decode()
    r = verify(red_path, forged)
    t.ok(r.returncode == 1 and r.stdout.startswith("invalid:"),
         "a disclosure with another value is refused: %s" % r.stdout.strip())
    for bad, why in (("%%%", "base64url"), ("WyJhIiwiX3NkIiwxXQ", "reserved"),
                     ("eyJhIjoxfQ", "[salt, name, value]")):
        r = verify(red_path, bad)
        t.ok(r.returncode == 1 and why in r.stdout,
             "a malformed disclosure is refused (%s)" % why, r.stdout)
    r = disclose(env, raw_path, "nosuchfield")
    t.ok(r.returncode == 1 and 'no field "nosuchfield"' in r.stderr,
         "disclose of a missing field says so", r.stderr)
    r = run([SIGHTLINE, "disclose", "--record", raw_path, "--field", "owner",
             "--secret", env.path("nope.secret")])
    t.ok(r.returncode == 1 and "nope.secret" in r.stderr,
         "disclose without a readable secret says which file", r.stderr)

    # A native answer: committed fields bound to the upstream call.
    t.ok("description" in raw_cfg["data"] and "description" not in
         red_cfg["data"] and red_cfg["data"].get("_sd"),
         "a native config: its description is committed")
    cfg_path = save(env, "raw-config.json", raw_cfg)
    r = disclose(env, cfg_path, "data.description", "--context",
                 "/nodes/pve1/qemu/100/config")
    t.eq(r.returncode, 0, "disclose a native field with --context", r.stderr)
    t.ok(sd_digest(r.stdout.strip()) in red_cfg["data"]["_sd"],
         "its digest is in the native answer's _sd")


with Env("disclose") as env:
    t.run(main, env)
t.done()
