package wasm

import (
	"context"
	"encoding/binary"
	"testing"
)

// TestCompiledEviction runs three AssemblyScript contracts on an engine that keeps at
// most two compiled modules: modules no call uses are released and compiled again
// when called, and every result is the same as on an engine that keeps them all.
func TestCompiledEviction(t *testing.T) {
	small, err := New(context.Background(), Config{ChainID: testChainID, MaxCompiled: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close(context.Background())
	run := func(e *Engine) (counts []uint64, roots [][32]byte) {
		w := newWorld(t, 3)
		w.e = e
		ctr := w.deploy(0, "as_counter.wasm", u64(1))
		tok := w.deploy(0, "as_token.wasm", u64(1000))
		w.deploy(0, "as_amm.wasm", cat(tok[:], tok[:])) // a third module: one of the others is released
		for round := 0; round < 3; round++ {
			if r := w.call(1, ctr, []byte{0}); r.Status != StatusOK {
				t.Fatalf("increment: %v %v", r.Status, r.Err)
			}
			if r := w.call(0, tok, tokTransfer(w.addrs[1], 10)); r.Status != StatusOK {
				t.Fatalf("transfer: %v %v", r.Status, r.Err)
			}
			counts = append(counts, binary.BigEndian.Uint64(w.query(ctr, []byte{1})),
				binary.BigEndian.Uint64(w.query(tok, tokBalance(w.addrs[1]))))
			roots = append(roots, StateHash(w.state))
			if n := e.Compiled(); e == small && n > 2 {
				t.Fatalf("%d compiled modules kept, at most 2", n)
			}
		}
		return counts, roots
	}
	gotCounts, gotRoots := run(small)
	if n := small.Compiled(); n != 2 {
		t.Fatalf("%d compiled modules kept after using 3 with a bound of 2", n)
	}
	wantCounts, wantRoots := run(sharedEngine(t))
	for i := range wantCounts {
		if gotCounts[i] != wantCounts[i] {
			t.Fatalf("value %d: %d with eviction, %d without", i, gotCounts[i], wantCounts[i])
		}
	}
	for i := range wantRoots {
		if gotRoots[i] != wantRoots[i] {
			t.Fatalf("round %d: state differs with eviction", i)
		}
	}
}
