// verify_sig.mjs: verifies sightline's signed answers with the npm package
// http-message-signatures (an RFC 9421 implementation nobody here wrote).
//
//   node verify_sig.mjs NODE_MODULES
//
// NODE_MODULES is where the pinned packages are (tests/lib/npm.py finds
// or installs them). Reads a JSON array on standard input, one exchange
// per element:
//   { "vkey": "NAME+KEYID+BASE64", "method": "GET", "url": "https://h/p?q",
//     "status": 200, "headers": { "name": "value", ... } }
// and prints one line per exchange: "ok" or "fail: reason".
import { createPublicKey } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";

// The package is CommonJS: require it from the given directory.
const require = createRequire(join(process.argv[2], "noop.js"));
const { httpbis, createVerifier } = require("http-message-signatures");

function verifierKey(vkey) {
  const [name, keyid, b64] = [vkey.split("+")[0], vkey.split("+")[1],
    vkey.split("+").slice(2).join("+")];
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 33 || raw[0] !== 1) throw new Error("not Ed25519");
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.subarray(1).toString("base64url") },
    format: "jwk",
  });
  return { name, keyid, key };
}

const input = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => { s += d; });
  process.stdin.on("end", () => resolve(s));
}));

for (const x of input) {
  try {
    const { keyid, key } = verifierKey(x.vkey);
    const ok = await httpbis.verifyMessage({
      keyLookup: async (params) => params.keyid === keyid ?
        { id: keyid, algs: ["ed25519"], verify: createVerifier(key, "ed25519") } : null,
      requiredFields: ["@status", "content-digest", "content-type",
        "sightline-inventory"],
      all: false,
    }, { status: x.status, headers: x.headers },
    { method: x.method, url: x.url, headers: {} });
    console.log(ok ? "ok" : "fail: verifyMessage returned " + ok);
  } catch (e) {
    console.log("fail: " + (e && e.message ? e.message : String(e)));
  }
}
