package wasm

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/farolnet/farol/spn/exec"
)

// mixWorld has accounts holding two AS tokens (and a Go token), a shared counter, an
// AMM pool and a proxy, for random blocks.
type mixWorld struct {
	*world
	tokA, tokB, goTok, counter, pool, proxy, trapper Address
}

func newMixWorld(t testing.TB, accounts int) *mixWorld {
	w := &mixWorld{world: newWorld(t, accounts)}
	w.tokA = w.deploy(0, "as_token.wasm", u64(1<<40))
	w.tokB = w.deploy(0, "as_token.wasm", u64(1<<40))
	w.goTok = w.deploy(0, "go_token.wasm", u64(1<<40))
	w.counter = w.deploy(0, "as_counter.wasm", nil)
	w.pool = w.deploy(0, "as_amm.wasm", cat(w.tokA[:], w.tokB[:]))
	w.proxy = w.deploy(0, "hostile/proxy.wasm", nil)
	w.trapper = w.deploy(0, "hostile/write_then_trap.wasm", nil)
	var setup [][]byte
	for _, tok := range []Address{w.tokA, w.tokB, w.goTok} {
		for i := 1; i < accounts; i++ {
			setup = append(setup, w.callTx(0, tok, tokTransfer(w.addrs[i], 1<<30)))
		}
	}
	for i := 0; i < accounts; i++ {
		setup = append(setup, w.callTx(i, w.tokA, tokApprove(w.pool, 1<<40)), w.callTx(i, w.tokB, tokApprove(w.pool, 1<<40)))
	}
	setup = append(setup, w.callTx(0, w.pool, cat([]byte{1}, u64(1<<28), u64(1<<28))))
	res := w.run(setup...)
	for i, r := range res.Receipts {
		if r.Status != StatusOK {
			t.Fatalf("setup tx %d: %v %v", i, r.Status, r.Err)
		}
	}
	return w
}

// randomBlock returns n transactions; conflicts is the chance that a transaction
// touches a shared location (counter, pool) or a random account instead of its own.
func (w *mixWorld) randomBlock(rng *rand.Rand, n int, conflicts float64, goTxs int) [][]byte {
	var txs [][]byte
	accts := len(w.addrs)
	for i := 0; i < n; i++ {
		from := rng.IntN(accts)
		to := w.addrs[(from+1+rng.IntN(accts-1))%accts]
		shared := rng.Float64() < conflicts
		switch k := rng.IntN(10); {
		case i < goTxs:
			txs = append(txs, w.callTx(from, w.goTok, tokTransfer(to, uint64(rng.IntN(1000)))))
		case k < 3:
			txs = append(txs, w.signed(from, Tx{Kind: TxTransfer, To: to, Value: exec.U256From64(uint64(rng.IntN(1 << 20)))}))
		case k < 6:
			amount := uint64(rng.IntN(1000))
			if rng.IntN(8) == 0 {
				amount = 1 << 50 // fails: reverted
			}
			txs = append(txs, w.callTx(from, w.tokA, tokTransfer(to, amount)))
		case k < 7 && shared:
			txs = append(txs, w.callTx(from, w.counter, []byte{0}))
		case k < 8 && shared:
			txs = append(txs, w.callTx(from, w.pool, cat([]byte{2, byte(rng.IntN(2))}, u64(uint64(1+rng.IntN(10000))), u64(1))))
		case k < 8:
			txs = append(txs, w.callTx(from, w.tokB, tokTransfer(to, uint64(rng.IntN(1000)))))
		case k < 9:
			in := []string{"r", "t", "x"}[rng.IntN(3)]
			txs = append(txs, w.callTx(from, w.proxy, cat(w.trapper[:], []byte(in))))
		default:
			// invalid: wrong nonce (not executed), or too little gas (out of gas)
			if rng.IntN(2) == 0 {
				tx := Tx{Kind: TxTransfer, To: to, ChainID: testChainID, Nonce: w.nonces[from] + 5, GasLimit: 100000, GasPrice: 1}
				tx.Sign(w.keys[from])
				txs = append(txs, tx.Encode())
			} else {
				txs = append(txs, w.signed(from, Tx{Kind: TxCall, To: w.tokA, Data: tokTransfer(to, 1), GasLimit: 12000}))
			}
		}
	}
	return txs
}

type blockOutcome struct {
	writes   []exec.Write
	receipts [32]byte
	statuses []Status
	outbox   int
}

func outcome(r *BlockResult) blockOutcome {
	o := blockOutcome{writes: r.Writes, receipts: ReceiptsHash(r.Receipts), outbox: len(r.Outbox)}
	for _, rc := range r.Receipts {
		o.statuses = append(o.statuses, rc.Status)
	}
	return o
}

func TestParallelEqualsSequential(t *testing.T) {
	w := newMixWorld(t, 24)
	seeds := 6
	if os.Getenv("FAROL_LONG") != "" || os.Getenv("FAROL_WASM_LONG") != "" {
		seeds = 1000 // make test-long: a few minutes
	}
	for seed := 0; seed < seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		conflicts := []float64{0, 0.2, 0.8}[seed%3]
		txs := w.randomBlock(rng, 80, conflicts, 2)
		b := w.block(txs...)
		seq, err := w.e.ExecuteBlock(context.Background(), b, w.state, exec.Config{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := outcome(seq)
		seen := map[Status]int{}
		for _, s := range want.statuses {
			seen[s]++
		}
		for _, workers := range []int{2, 4, 2} {
			par, err := w.e.ExecuteBlock(context.Background(), b, w.state,
				exec.Config{Workers: workers, ForceParallel: true, MinParallel: -1, NoChainFallback: seed%2 == 0})
			if err != nil {
				t.Fatal(err)
			}
			got := outcome(par)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d, %d workers: parallel result differs from sequential\nstatuses %v\nwant     %v",
					seed, workers, got.statuses, want.statuses)
			}
			if par.Stats.Mode == exec.ModeSequential {
				t.Fatalf("seed %d: parallel path not taken", seed)
			}
		}
		t.Logf("seed %d conflicts %.1f: statuses %v", seed, conflicts, fmt.Sprint(seen))
		before := StateHash(w.state)
		Apply(w.state, seq.Writes)
		if StateHash(w.state) == before {
			t.Fatal("block changed nothing")
		}
	}
}
