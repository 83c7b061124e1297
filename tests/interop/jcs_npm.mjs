// jcs_npm.mjs: canonicalize JSON with the npm package "canonicalize" (an
// independent RFC 8785 implementation on V8's Number::toString), for
// tests/interop/test_jcs_npm.py. The same interface as tests/unit/canon_cli:
//
//   node jcs_npm.mjs NODE_MODULES        the whole input is one document
//   node jcs_npm.mjs NODE_MODULES -l     one document per line; a refused
//                                        line prints "!error: why"
//
// NODE_MODULES is the directory the pinned packages were installed in
// (npm ci --prefix tests/interop); the package is ESM-only, so it is
// imported by the path its package.json exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, mode] = process.argv.slice(2);
const dir = join(modules, 'canonicalize');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const entry = pkg.exports['.'].import ?? pkg.main;
const { default: canonicalize } = await import(pathToFileURL(join(dir, entry)).href);

const input = readFileSync(0, 'utf8');
let status = 0;

function one (text) {
  try {
    return canonicalize(JSON.parse(text));
  } catch (e) {
    status = 1;
    return '!error: ' + e.message;
  }
}

if (mode === '-l') {
  const lines = input.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  process.stdout.write(lines.map(one).map((s) => s + '\n').join(''));
} else {
  process.stdout.write(one(input));
}
process.exitCode = status;
