package wasm_test

import (
	"context"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// TestSendersHint runs a token block without a hint, with the true senders (some
// left zero: recovered) and checks the results are identical; a hint of the wrong
// length fails the block; a (wrong) hinted sender is trusted, which is why only
// recovered senders may be hinted.
func TestSendersHint(t *testing.T) {
	ctx := context.Background()
	eng, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(ctx)
	wl, err := wasmtest.NewWorkload(eng, "as-token", 40, 3)
	if err != nil {
		t.Fatal(err)
	}
	// a bad signature and junk stay invalid with a zero hint
	bad := append([]byte(nil), wl.Block.Txs[0]...)
	bad[len(bad)-2] ^= 1
	txs := append(append([][]byte(nil), wl.Block.Txs...), bad, []byte("junk"))
	plain := *wl.Block
	plain.Txs = txs
	want, err := eng.ExecuteBlock(ctx, &plain, wl.World.State, exec.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	hinted := plain
	hinted.Senders = make([]wasm.Address, len(txs))
	for i := range wl.Block.Txs {
		if i%3 != 0 { // every third is left to recovery
			hinted.Senders[i] = wl.World.Addrs[i] // the workload's sender i is account i
		}
	}
	got, err := eng.ExecuteBlock(ctx, &hinted, wl.World.State, exec.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if wasm.ReceiptsHash(got.Receipts) != wasm.ReceiptsHash(want.Receipts) || got.GasUsed != want.GasUsed {
		t.Fatal("receipts differ with the hint")
	}
	sa, sb := exec.MapStorage{}, exec.MapStorage{}
	wasm.Apply(sa, want.Writes)
	wasm.Apply(sb, got.Writes)
	if wasm.StateHash(sa) != wasm.StateHash(sb) {
		t.Fatal("writes differ with the hint")
	}
	n := len(txs)
	if got.Receipts[n-2].Status != wasm.StatusInvalidTx || got.Receipts[n-1].Status != wasm.StatusInvalidTx {
		t.Fatal("bad signature or junk executed")
	}
	hinted.Senders = hinted.Senders[:3]
	if _, err := eng.ExecuteBlock(ctx, &hinted, wl.World.State, exec.Config{Workers: 2}); err == nil {
		t.Fatal("hint of the wrong length accepted")
	}
	// the hint is trusted: tx 0 hinted as account 1 is checked against account 1's nonce
	wrong := &wasm.Block{BlockInfo: wl.Block.BlockInfo, Txs: txs[:1], Senders: []wasm.Address{wl.World.Addrs[1]}}
	res, err := eng.ExecuteBlock(ctx, wrong, wl.World.State, exec.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Receipts[0].Status != wasm.StatusOK {
		t.Fatalf("hinted sender: %v %v", res.Receipts[0].Status, res.Receipts[0].Err)
	}
}
