package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/node"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasmnode/client"
)

// TestWasmReplacement runs a Wasm SPN (real CometBFT, 2 s between blocks) and, right
// after a block: sends a transfer (pending in wasm_txStatus and wasm_getTx), a
// same-nonce one at the same gas price (refused: underpriced) and one at +100%
// (accepted; CometBFT's mempool now holds both). The next block carries only the
// replacement; the recheck after it empties the mempool (the loser's nonce is used)
// and the loser is unknown.
func TestWasmReplacement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	key := wasmKey(21)
	from, _ := wasm.AddressOf(key)
	home := initWasmHomeWith(t, func(c *node.Config) { c.BlockInterval = 2 * time.Second }, from)
	n, c := startWasm(t, home)
	defer func() { n.Stop() }()
	s, err := client.NewSigner(ctx, c, key)
	if err != nil {
		t.Fatal(err)
	}
	to := wasm.Address{0xaa, 0x01}
	transfer := func(nonce, price, value uint64) []byte {
		raw, err := s.Sign(ctx, wasm.Tx{Kind: wasm.TxTransfer, To: to, Value: exec.U256From64(value), GasLimit: 100_000, GasPrice: price})
		if err != nil {
			t.Fatal(err)
		}
		tx, _ := wasm.DecodeTx(raw)
		tx.Nonce = nonce
		if err := tx.Sign(key); err != nil {
			t.Fatal(err)
		}
		return tx.Encode()
	}
	for attempt := 0; ; attempt++ {
		if attempt == 3 {
			t.Fatal("no attempt got both transactions into one block interval")
		}
		h, _ := c.BlockNumber(ctx)
		wasmWaitHeight(t, c, h+1) // just committed: ~2 s before the next proposal
		nonce, err := c.Nonce(ctx, from, false)
		if err != nil {
			t.Fatal(err)
		}
		orig, same, repl := transfer(nonce, 1, 1), transfer(nonce, 1, 5), transfer(nonce, 2, 2)
		ho, err := c.SendTx(ctx, orig)
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.TxStatus(ctx, ho)
		if err != nil {
			t.Fatal(err)
		}
		if st.Found {
			continue // already in a block: too slow, try again
		}
		if !st.Pending || st.StatusName != "pending" {
			t.Fatalf("status of a mempool tx %+v", st)
		}
		r, err := c.Tx(ctx, ho)
		if err != client.ErrPending || r == nil || !r.Pending || r.Kind != "transfer" || r.Nonce != nonce || r.OK() {
			t.Fatalf("getTx of a mempool tx %+v %v", r, err)
		}
		if _, err := c.SendTx(ctx, same); err == nil || !strings.Contains(err.Error(), "replacement transaction underpriced") {
			t.Fatalf("same-price replacement: %v", err)
		}
		hr, err := c.SendTx(ctx, repl)
		if err != nil && strings.Contains(err.Error(), "nonce too low") {
			continue // the block came first
		}
		if err != nil {
			t.Fatalf("replacement: %v", err)
		}
		if st, _ := c.TxStatus(ctx, ho); st.Pending || st.Found {
			t.Fatalf("replaced tx still pending: %+v", st)
		}
		if size := n.Comet.Mempool().Size(); size != 2 {
			// the block may have taken orig already: then repl was refused above
			t.Fatalf("mempool holds %d txs, want both", size)
		}
		got, err := c.WaitTx(ctx, hr)
		if err != nil || !got.OK() || got.Nonce != nonce || got.GasPrice != 2 {
			t.Fatalf("replacement %+v %v", got, err)
		}
		if b, err := c.Balance(ctx, to); err != nil || b.String() != "2" {
			t.Fatalf("recipient balance %v %v", b, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for n.Comet.Mempool().Size() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("mempool still holds %d txs", n.Comet.Mempool().Size())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r, err := c.Tx(ctx, ho); err != client.ErrNotFound {
			t.Fatalf("replaced tx: %+v %v", r, err)
		}
		return
	}
}
