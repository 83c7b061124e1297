// tlogcheck.go: sightline's checkpoints and Merkle proofs checked by Go's
// own implementation, golang.org/x/mod/sumdb/note and .../tlog (the code
// behind sum.golang.org), for tests/interop/test_tlog_go.py.
//
// It reads one JSON document on standard input:
//
//	{"vkey": "NAME+ID+KEY", "checkpoint": "<signed note>",
//	 "inclusion": [{"index": N, "leaf": "<base64 of the leaf bytes>",
//	                "proof": ["<base64 hash>", ...]},
//	               {"index": N, "leaf_hash": "<base64>", "proof": [...]}],
//	 "consistency": [{"old_size": M, "old_root": "<base64>",
//	                  "proof": [...]}],
//	 "cosigner_vkey": "NAME+ID+KEY of type 0x04" (optional),
//	 "expect_fail": true (optional)}
//
// and prints one line per check, "ok ..." or "FAIL ...". It exits 0 when
// every check passed (with expect_fail: when at least one failed), 1
// otherwise, and 2 when the input itself is unusable.
//
// Go's note package knows only Ed25519 keys of type 0x01: it must open a
// note whose witness cosignatures (type 0x04) are, to it, signatures by
// unknown keys. The cosignature itself (c2sp.org/tlog-cosignature) is
// checked here with crypto/ed25519. tlog.ParseTree accepts only the
// go.sum origin, so the checkpoint text is parsed here too.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index    int64    `json:"index"`
	Leaf     *string  `json:"leaf"`
	LeafHash *string  `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

type consistency struct {
	OldSize int64    `json:"old_size"`
	OldRoot string   `json:"old_root"`
	Proof   []string `json:"proof"`
}

type input struct {
	Vkey         string        `json:"vkey"`
	Checkpoint   string        `json:"checkpoint"`
	Inclusion    []inclusion   `json:"inclusion"`
	Consistency  []consistency `json:"consistency"`
	CosignerVkey string        `json:"cosigner_vkey"`
	ExpectFail   bool          `json:"expect_fail"`
}

const cosigType = 0x04

var failures int

func ok(format string, a ...interface{}) {
	fmt.Printf("ok "+format+"\n", a...)
}

func fail(format string, a ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", a...)
	failures++
}

func unusable(format string, a ...interface{}) {
	fmt.Printf("FAIL input: "+format+"\n", a...)
	os.Exit(2)
}

// parseCheckpoint reads a tlog-checkpoint note text: origin, size
// (decimal, no leading zeros), root hash, then non-empty extension lines.
func parseCheckpoint(text string) (string, int64, tlog.Hash, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return "", 0, tlog.Hash{}, errors.New("fewer than 3 lines, or no final newline")
	}
	for _, l := range lines[:len(lines)-1] {
		if l == "" {
			return "", 0, tlog.Hash{}, errors.New("an empty line")
		}
	}
	s := lines[1]
	if strings.Trim(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
		return "", 0, tlog.Hash{}, fmt.Errorf("size %q is not canonical decimal", s)
	}
	size, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "", 0, tlog.Hash{}, err
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return "", 0, tlog.Hash{}, fmt.Errorf("root %q: %v", lines[2], err)
	}
	return lines[0], size, root, nil
}

func hashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %v", i, err)
		}
		out[i] = h
	}
	return out, nil
}

// checkCosignature finds the cosignature/v1 line of the type-0x04 vkey
// among the signatures note.Open did not know, and verifies it.
func checkCosignature(vkey string, n *note.Note) (uint64, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return 0, errors.New("cosigner vkey is not NAME+ID+KEY")
	}
	name := parts[0]
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != cosigType {
		return 0, errors.New("cosigner vkey is not an Ed25519 key of type 0x04")
	}
	sum := sha256.Sum256([]byte(name + "\n" + string(key)))
	id := binary.BigEndian.Uint32(sum[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		return 0, fmt.Errorf("cosigner key id %s is not %08x", parts[1], id)
	}
	for _, s := range n.UnverifiedSigs {
		if s.Name != name || s.Hash != id {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
			return 0, errors.New("cosignature is not 76 bytes")
		}
		t := binary.BigEndian.Uint64(raw[4:12])
		if t > math.MaxInt64 {
			return 0, errors.New("cosignature time is 2^63 or more")
		}
		msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", t, n.Text)
		if !ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(msg), raw[12:]) {
			return 0, fmt.Errorf("cosignature of time %d does not verify", t)
		}
		return t, nil
	}
	return 0, fmt.Errorf("no cosignature by %s+%08x", name, id)
}

func main() {
	var in input
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		unusable("%v", err)
	}
	if dec.More() {
		unusable("more than one JSON document")
	}
	v, err := note.NewVerifier(in.Vkey)
	if err != nil {
		unusable("vkey: %v", err)
	}
	check(&in, v)
	if in.ExpectFail {
		if failures == 0 {
			fmt.Println("FAIL expected a failure, every check passed")
			os.Exit(1)
		}
		fmt.Printf("ok %d check(s) failed, as expected\n", failures)
		os.Exit(0)
	}
	if failures > 0 {
		os.Exit(1)
	}
}

func check(in *input, v note.Verifier) {
	n, err := note.Open([]byte(in.Checkpoint), note.VerifierList(v))
	if err != nil {
		fail("note.Open: %v", err)
		return
	}
	ok("note.Open: signed by %s+%08x, %d other signature(s) ignored",
		v.Name(), v.KeyHash(), len(n.UnverifiedSigs))
	origin, size, root, err := parseCheckpoint(n.Text)
	if err != nil {
		fail("checkpoint: %v", err)
		return
	}
	ok("checkpoint: origin %q, size %d, root %s", origin, size, root)
	if in.CosignerVkey != "" {
		if t, err := checkCosignature(in.CosignerVkey, n); err != nil {
			fail("cosignature: %v", err)
		} else {
			ok("cosignature: time %d", t)
		}
	}
	for _, inc := range in.Inclusion {
		var h tlog.Hash
		switch {
		case inc.Leaf != nil && inc.LeafHash == nil:
			data, err := base64.StdEncoding.DecodeString(*inc.Leaf)
			if err != nil {
				unusable("leaf %d: %v", inc.Index, err)
			}
			h = tlog.RecordHash(data)
		case inc.LeafHash != nil && inc.Leaf == nil:
			if h, err = tlog.ParseHash(*inc.LeafHash); err != nil {
				unusable("leaf_hash %d: %v", inc.Index, err)
			}
		default:
			unusable("inclusion %d: give leaf or leaf_hash", inc.Index)
		}
		p, err := hashes(inc.Proof)
		if err != nil {
			fail("inclusion index=%d: %v", inc.Index, err)
			continue
		}
		if err := tlog.CheckRecord(tlog.RecordProof(p), size, root, inc.Index, h); err != nil {
			fail("inclusion index=%d size=%d: %v", inc.Index, size, err)
		} else {
			ok("inclusion index=%d size=%d (%d hashes)", inc.Index, size, len(p))
		}
	}
	for _, c := range in.Consistency {
		old, err := tlog.ParseHash(c.OldRoot)
		if err != nil {
			fail("consistency old_size=%d: old_root: %v", c.OldSize, err)
			continue
		}
		p, err := hashes(c.Proof)
		if err != nil {
			fail("consistency old_size=%d: %v", c.OldSize, err)
			continue
		}
		if err := tlog.CheckTree(tlog.TreeProof(p), size, root, c.OldSize, old); err != nil {
			fail("consistency old_size=%d size=%d: %v", c.OldSize, size, err)
		} else {
			ok("consistency old_size=%d size=%d (%d hashes)", c.OldSize, size, len(p))
		}
	}
}
