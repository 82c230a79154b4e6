package wasmnode

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/farolnet/farol/spn/txcache"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// BenchmarkFinalizeTransfers finalizes one block of 1,000 AssemblyScript token
// transfers from distinct senders (2 workers, the same parent state each time; no
// commit), each iteration once as before the hint (baseline "recover": the engine
// recovers every sender) and once with it ("hint": the app hands its senders to the
// engine, wasm.Block.Senders):
//
//	warm  the senders are in the app's cache (CheckTx saw the txs): recover does one
//	      recovery per tx (the engine's), hint none
//	cold  empty cache (a block this node never checked): recover does two (the
//	      engine's and the app's), hint one (the app's)
//
// Metrics: ms per FinalizeBlock of each mode, of its sender phase (decoding and
// recovery, app and engine), and the ratio hint/recover.
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
	finalize := func(hint, warm bool) (total, senders time.Duration) {
		a.noSenderHint = !hint
		if !warm {
			a.senders = txcache.New[wasm.Address](senderCacheSize)
		}
		start := time.Now()
		res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 4, Txs: txs, Time: genesisTime.Add(4 * time.Second)})
		if err != nil {
			b.Fatal(err)
		}
		total = time.Since(start)
		if res.TxResults[n-1].Code != CodeOK {
			b.Fatalf("tx: %s", res.TxResults[n-1].Log)
		}
		return total, a.pending.stats.Timing.Senders
	}
	// each iteration finalizes the block once without and once with the hint (order
	// alternating), so that a shared machine's load hits both alike
	for _, warm := range []bool{true, false} {
		name := "warm"
		if !warm {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			if warm {
				a.decodeAll(txs) // what CheckTx leaves in the cache
			}
			var tot, snd [2]time.Duration // [recover, hint]
			i := 0
			for b.Loop() {
				for k := range 2 {
					mode := (i + k) % 2
					t, s := finalize(mode == 1, warm)
					tot[mode] += t
					snd[mode] += s
				}
				i++
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(tot[0]), "recover-ms/block")
			b.ReportMetric(ms(tot[1]), "hint-ms/block")
			b.ReportMetric(ms(snd[0]), "recover-senders-ms")
			b.ReportMetric(ms(snd[1]), "hint-senders-ms")
			b.ReportMetric(float64(tot[1])/float64(tot[0]), "hint/recover")
		})
	}
	a.noSenderHint = false
}
