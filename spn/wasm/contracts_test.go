package wasm

import (
	"encoding/binary"
	"testing"
)

var sdks = []string{"as", "go"}

func TestCounter(t *testing.T) {
	for _, sdk := range sdks {
		t.Run(sdk, func(t *testing.T) {
			w := newWorld(t, 2)
			c := w.deploy(0, sdk+"_counter.wasm", u64(40))
			for i := 0; i < 2; i++ {
				if r := w.call(1, c, []byte{0}); r.Status != StatusOK {
					t.Fatalf("increment: %v %v", r.Status, r.Err)
				}
			}
			if got := binary.BigEndian.Uint64(w.query(c, []byte{1})); got != 42 {
				t.Fatalf("count %d, want 42", got)
			}
			if r := w.call(1, c, []byte{9}); r.Status != StatusReverted || string(r.Return) != "unknown op" {
				t.Fatalf("unknown op: %v %q", r.Status, r.Return)
			}
		})
	}
}

func TestToken(t *testing.T) {
	for _, sdk := range sdks {
		t.Run(sdk, func(t *testing.T) {
			w := newWorld(t, 3)
			tok := w.deploy(0, sdk+"_token.wasm", u64(1000))
			bal := func(i int) uint64 { return binary.BigEndian.Uint64(w.query(tok, tokBalance(w.addrs[i]))) }
			r := w.call(0, tok, tokTransfer(w.addrs[1], 300))
			if r.Status != StatusOK || len(r.Events) != 1 || string(r.Events[0].Topic) != "Transfer" {
				t.Fatalf("transfer: %v %v %v", r.Status, r.Err, r.Events)
			}
			if r := w.call(1, tok, tokTransfer(w.addrs[2], 301)); r.Status != StatusReverted || string(r.Return) != "insufficient balance" {
				t.Fatalf("overdraft: %v %q", r.Status, r.Return)
			}
			if r := w.call(1, tok, tokApprove(w.addrs[2], 100)); r.Status != StatusOK {
				t.Fatal(r.Err)
			}
			if r := w.call(2, tok, tokTransferFrom(w.addrs[1], w.addrs[2], 60)); r.Status != StatusOK {
				t.Fatal(r.Err)
			}
			if r := w.call(2, tok, tokTransferFrom(w.addrs[1], w.addrs[2], 60)); r.Status != StatusReverted {
				t.Fatalf("allowance: %v", r.Status)
			}
			if b0, b1, b2 := bal(0), bal(1), bal(2); b0 != 700 || b1 != 240 || b2 != 60 {
				t.Fatalf("balances %d %d %d", b0, b1, b2)
			}
		})
	}
}

func TestAMM(t *testing.T) {
	for _, sdk := range sdks {
		t.Run(sdk, func(t *testing.T) {
			w := newWorld(t, 2)
			ta := w.deploy(0, sdk+"_token.wasm", u64(1_000_000))
			tb := w.deploy(0, sdk+"_token.wasm", u64(1_000_000))
			pool := w.deploy(0, sdk+"_amm.wasm", cat(ta[:], tb[:]))
			for _, tok := range []Address{ta, tb} {
				w.call(0, tok, tokApprove(pool, 1<<40))
				w.call(0, tok, tokTransfer(w.addrs[1], 10_000))
				w.call(1, tok, tokApprove(pool, 1<<40))
			}
			if r := w.call(0, pool, cat([]byte{1}, u64(100_000), u64(200_000))); r.Status != StatusOK {
				t.Fatalf("add liquidity: %v %v %q", r.Status, r.Err, r.Return)
			}
			r := w.call(1, pool, cat([]byte{2, 1}, u64(1000), u64(1)))
			if r.Status != StatusOK {
				t.Fatalf("swap: %v %v %q", r.Status, r.Err, r.Return)
			}
			// out = 1000*997*200000 / (100000*1000 + 1000*997)
			want := uint64(1000 * 997 * 200000 / (100000*1000 + 1000*997))
			if got := binary.BigEndian.Uint64(r.Return); got != want {
				t.Fatalf("swap out %d, want %d", got, want)
			}
			res := w.query(pool, []byte{3})
			if ra, rb := binary.BigEndian.Uint64(res), binary.BigEndian.Uint64(res[8:]); ra != 101_000 || rb != 200_000-want {
				t.Fatalf("reserves %d %d", ra, rb)
			}
			// slippage: the swap reverts, and so do the token calls it made.
			before := w.query(ta, tokBalance(w.addrs[1]))
			if r := w.call(1, pool, cat([]byte{2, 1}, u64(1000), u64(1<<40))); r.Status != StatusReverted {
				t.Fatalf("slippage: %v", r.Status)
			}
			if after := w.query(ta, tokBalance(w.addrs[1])); string(after) != string(before) {
				t.Fatal("reverted swap moved tokens")
			}
		})
	}
}
