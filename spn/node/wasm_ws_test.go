package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
	"github.com/farolnet/farol/spn/wasmnode"
	"github.com/farolnet/farol/spn/wasmnode/client"
)

// TestWasmSubscribe runs a Wasm SPN (real CometBFT) and subscribes over WebSocket,
// on the JSON-RPC address, to "newBlocks" (consecutive heights, the roots of
// wasm_getBlock) and to "events" of one token contract: a transfer on that token is
// notified with its tx hash and position, one on another token is not.
func TestWasmSubscribe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	key := wasmKey(31)
	dev, _ := wasm.AddressOf(key)
	n, c := startWasm(t, initWasmHome(t, dev))
	defer func() { n.Stop() }()
	ws, err := client.Dial(ctx, "ws://"+n.EthAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	s, err := client.NewSigner(ctx, ws, key) // the API works over WebSocket too
	if err != nil {
		t.Fatal(err)
	}
	up := wasmOK(t, "upload token")(s.Upload(ctx, wasmContract(t, "as_token")))
	var tokens [2]wasm.Address
	for i := range tokens {
		in := wasmOK(t, "instantiate token")(s.Instantiate(ctx, *up.CodeHash, wasmU64(1000), exec.U256{}))
		tokens[i] = wasm.Address(*in.Contract)
	}

	blocks := make(chan *wasmnode.Block, 100)
	bsub, err := ws.SubscribeBlocks(ctx, blocks)
	if err != nil {
		t.Fatal(err)
	}
	defer bsub.Unsubscribe()
	events := make(chan wasmnode.Event, 100)
	watched := common.Address(tokens[0])
	esub, err := ws.SubscribeEvents(ctx, wasmnode.EventFilter{Contract: &watched}, events)
	if err != nil {
		t.Fatal(err)
	}
	defer esub.Unsubscribe()
	if _, err := c.SubscribeBlocks(ctx, make(chan *wasmnode.Block)); err == nil {
		t.Error("subscription over HTTP accepted")
	}

	other := wasmOK(t, "transfer on the other token")(s.Execute(ctx, tokens[1], wasmtest.TokenTransfer(wasm.Address{7}, 5), exec.U256{}))
	tr := wasmOK(t, "transfer on the watched token")(s.Execute(ctx, tokens[0], wasmtest.TokenTransfer(wasm.Address{7}, 9), exec.U256{}))
	select {
	case e := <-events:
		if e.TxHash == nil || *e.TxHash != tr.Hash || e.BlockNumber != tr.BlockNumber || e.Contract != watched ||
			string(e.Topic) != "Transfer" || e.Index != 0 || e.TxIndex != tr.Index {
			t.Fatalf("event %+v, want the transfer %s in block %d", e, tr.Hash, tr.BlockNumber)
		}
	case err := <-esub.Err():
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("no event")
	}
	select {
	case e := <-events:
		t.Fatalf("unexpected event %+v (other token's tx %s)", e, other.Hash)
	default:
	}

	var last uint64
	seenTx := false
	for !seenTx || last < tr.BlockNumber+2 {
		select {
		case b := <-blocks:
			if last != 0 && b.Number != last+1 {
				t.Fatalf("block %d after %d", b.Number, last)
			}
			last = b.Number
			got, err := c.Block(ctx, wasmnode.BlockNumber(b.Number), false)
			if err != nil || got.StateRoot != b.StateRoot || got.ParentRoot != b.ParentRoot || len(got.TxHashes) != len(b.TxHashes) {
				t.Fatalf("notified block %+v, wasm_getBlock %+v %v", b, got, err)
			}
			for _, h := range b.TxHashes {
				seenTx = seenTx || h == tr.Hash
			}
		case err := <-bsub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("blocks stopped at %d", last)
		}
	}
}
