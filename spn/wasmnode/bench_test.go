package wasmnode

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// BenchmarkFinalizeTransfers finalizes one block of 1,000 AssemblyScript token
// transfers from distinct senders (2 workers, the same parent state each time; no
// commit). Cases:
//
//	recover       baseline (the app before the sender hint): the engine recovers every
//	              sender; the app's senders come from the cache CheckTx filled
//	hint          the app hands the cached senders to the engine (wasm.Block.Senders)
//	recover-cold  baseline with an empty cache (a block this node never checked):
//	              two recoveries per tx, the engine's and the app's
//	hint-cold     empty cache with the hint: the app recovers once, the engine none
//
// ns/op is the whole FinalizeBlock; senders-µs/tx the decoding and recovery phase.
func BenchmarkFinalizeTransfers(b *testing.B) {
	const n = 1000
	acc := newAccounts(n + 1)
	g := acc.genesis()
	a := openApp(b, b.TempDir(), g, 2)
	defer a.Close()
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{Time: genesisTime}); err != nil {
		b.Fatal(err)
	}
	code, err := wasmtest.Contract("as_token")
	if err != nil {
		b.Fatal(err)
	}
	owner := n
	token := wasm.ContractAddress(acc.addrs[owner], 1)
	run := func(height int64, txs [][]byte) {
		res := finalize(b, a, height, txs)
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				b.Fatalf("block %d tx %d: %d %s", height, i, r.Code, r.Log)
			}
		}
		commit(b, a)
	}
	run(1, [][]byte{acc.tx(owner, wasm.Tx{Kind: wasm.TxUpload, Data: code, GasLimit: 50_000_000})})
	run(2, [][]byte{acc.tx(owner, wasm.Tx{Kind: wasm.TxInstantiate, CodeHash: sha256.Sum256(code), Data: binary.BigEndian.AppendUint64(nil, 1<<50)})})
	var setup [][]byte
	for i := 0; i < n; i++ {
		setup = append(setup, acc.tx(owner, wasm.Tx{Kind: wasm.TxCall, To: token, Data: wasmtest.TokenTransfer(acc.addrs[i], 1<<30), GasLimit: 300_000}))
	}
	run(3, setup)
	var txs [][]byte
	for i := 0; i < n; i++ {
		to := acc.addrs[(i+1)%n]
		txs = append(txs, acc.tx(i, wasm.Tx{Kind: wasm.TxCall, To: token, Data: wasmtest.TokenTransfer(to, uint64(1+i)), GasLimit: 300_000}))
	}
	for _, c := range []struct {
		name       string
		hint, warm bool
	}{{"recover", false, true}, {"hint", true, true}, {"recover-cold", false, false}, {"hint-cold", true, false}} {
		b.Run(c.name, func(b *testing.B) {
			a.noSenderHint = !c.hint
			var senders time.Duration
			if c.warm {
				a.decodeAll(txs) // what CheckTx leaves in the cache
			}
			for b.Loop() {
				if !c.warm {
					a.senders = senderCache{}
				}
				res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 4, Txs: txs, Time: genesisTime.Add(4 * time.Second)})
				if err != nil {
					b.Fatal(err)
				}
				if res.TxResults[n-1].Code != CodeOK {
					b.Fatalf("tx: %s", res.TxResults[n-1].Log)
				}
				senders += a.pending.stats.Timing.Senders
			}
			b.ReportMetric(float64(senders.Microseconds())/float64(b.N*n), "senders-µs/tx")
		})
	}
	a.noSenderHint = false
}
