package wasmnode

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
)

// TestFeed checks what Commit publishes (block, events with positions) and that a
// subscriber more than SubscriptionBuffer blocks behind is dropped, never waited for.
func TestFeed(t *testing.T) {
	acc := newAccounts(3)
	a := openApp(t, t.TempDir(), acc.genesis(), 2)
	defer a.Close()
	if _, err := a.InitChain(context.Background(), &abci.RequestInitChain{Time: genesisTime}); err != nil {
		t.Fatal(err)
	}
	slow, cancelSlow := a.feed.subscribe()
	defer cancelSlow()
	chain := blocks(t, acc)
	for h, txs := range chain {
		finalize(t, a, int64(h+1), txs)
		commit(t, a)
	}
	ch, cancel := a.feed.subscribe()
	defer cancel()
	n := len(chain)
	for i := range chain {
		b := <-slow
		if b.block.Number != uint64(i+1) || len(b.block.TxHashes) != len(chain[i]) {
			t.Fatalf("block %d: %+v", i+1, b.block)
		}
		if i == 2 { // the token setup: one Transfer event per tx
			if len(b.events) != len(chain[i]) {
				t.Fatalf("%d events", len(b.events))
			}
			for j, e := range b.events {
				if e.TxIndex != uint32(j) || *e.TxHash != TxHash(chain[i][j]) || e.BlockNumber != 3 || string(e.Topic) != "Transfer" {
					t.Fatalf("event %d: %+v", j, e)
				}
			}
		}
	}
	// fill the slow subscriber's buffer: the next block drops it
	for i := 0; i <= SubscriptionBuffer; i++ {
		tx := acc.tx(1, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[2], Value: exec.U256From64(1)})
		finalize(t, a, int64(n+i+1), [][]byte{tx})
		commit(t, a)
		<-ch // the other subscriber keeps up
	}
	got := 0
	for range slow {
		got++
	}
	if got != SubscriptionBuffer {
		t.Fatalf("slow subscriber got %d blocks before being dropped, want %d", got, SubscriptionBuffer)
	}
	if len(a.feed.subs) != 1 {
		t.Fatalf("%d subscribers", len(a.feed.subs))
	}
}
