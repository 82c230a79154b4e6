package evm_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
	"github.com/farolnet/farol/spn/exec"
)

// longMode runs thousands of seeds (FAROL_LONG=1).
func longMode() bool { return os.Getenv("FAROL_LONG") == "1" }

// compareReceipts checks the consensus fields of two receipts lists.
func compareReceipts(got, want []*types.Receipt) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d receipts, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g == nil {
			return fmt.Errorf("tx %d dropped, geth applied it", i)
		}
		switch {
		case g.Status != w.Status:
			return fmt.Errorf("tx %d: status %d, want %d", i, g.Status, w.Status)
		case g.GasUsed != w.GasUsed:
			return fmt.Errorf("tx %d: gas %d, want %d", i, g.GasUsed, w.GasUsed)
		case g.CumulativeGasUsed != w.CumulativeGasUsed:
			return fmt.Errorf("tx %d: cumulative gas %d, want %d", i, g.CumulativeGasUsed, w.CumulativeGasUsed)
		case g.Bloom != w.Bloom:
			return fmt.Errorf("tx %d: bloom differs", i)
		case g.ContractAddress != w.ContractAddress:
			return fmt.Errorf("tx %d: contract %x, want %x", i, g.ContractAddress, w.ContractAddress)
		case g.Type != w.Type || g.TxHash != w.TxHash || g.TransactionIndex != w.TransactionIndex:
			return fmt.Errorf("tx %d: type/hash/index differ", i)
		case len(g.Logs) != len(w.Logs):
			return fmt.Errorf("tx %d: %d logs, want %d", i, len(g.Logs), len(w.Logs))
		}
		for j := range w.Logs {
			gl, wl := g.Logs[j], w.Logs[j]
			if gl.Address != wl.Address || !bytes.Equal(gl.Data, wl.Data) || len(gl.Topics) != len(wl.Topics) ||
				gl.Index != wl.Index || gl.TxIndex != wl.TxIndex || gl.TxHash != wl.TxHash {
				return fmt.Errorf("tx %d log %d differs", i, j)
			}
			for k := range wl.Topics {
				if gl.Topics[k] != wl.Topics[k] {
					return fmt.Errorf("tx %d log %d topic %d differs", i, j, k)
				}
			}
		}
	}
	return nil
}

// runSeed builds a world and blocks from seed and checks spn/evm against stock
// go-ethereum: over go-ethereum's trie database (direct sequential path, spn/exec
// sequential path, Block-STM at 2, 4 and 8 workers) and over a MemState (spn/exec
// sequential path, Block-STM at 2 and 8 workers; each block builds on the version
// the MemState kept in memory).
func runSeed(t *testing.T, seed int64, blocks, txsPerBlock int) {
	rng := rand.New(rand.NewSource(seed))
	config := evm.DefaultConfig(big.NewInt(7))
	if seed%3 == 0 {
		config = evm.CancunConfig(big.NewInt(7)) // no 7702 before Prague: builder skips it
	}
	w := evmtest.NewWorld(config, 12+rng.Intn(20), 1+rng.Intn(4))
	gethDB, engDB := evm.NewMemoryDatabase(), evm.NewMemoryDatabase()
	gethRoot, err := w.Commit(gethDB)
	if err != nil {
		t.Fatal(err)
	}
	engRoot, err := w.Commit(engDB)
	if err != nil || engRoot != gethRoot {
		t.Fatalf("genesis: %v %x %x", err, engRoot, gethRoot)
	}
	mem, err := evm.NewMemState(engDB)
	if err != nil {
		t.Fatal(err)
	}
	senders := 2 + rng.Intn(len(w.Addrs))
	for b := 1; b <= blocks; b++ {
		h := w.Header(uint64(b), 1_000_000_000)
		txs := w.RandomBlock(rng, 1+rng.Intn(txsPerBlock), senders, config.IsPrague(h.Number, h.Time))
		wantRoot, want, err := w.RunGeth(gethDB, gethRoot, h, txs)
		if err != nil {
			t.Fatalf("seed %d block %d: geth: %v", seed, b, err)
		}
		var next common.Hash
		// The header fields go-ethereum derives from the receipts.
		wantReceiptHash := types.DeriveSha(types.Receipts(want), trie.NewStackTrie(nil))
		wantBloom := types.MergeBloom(want)
		// workers 0 stands for 1 worker through spn/exec's sequential path (NoDirect);
		// 1 is the direct sequential path (over a MemState: spn/exec's); 2, 4, 8 force
		// Block-STM. Negative: the same over the MemState.
		for _, workers := range []int{0, 1, 2, 4, 8, -1, -2, -8} {
			db := state.Database(engDB)
			if workers < 0 {
				db, workers = mem, -workers
			}
			opts := evm.Options{Workers: workers, Exec: exec.Config{ForceParallel: workers > 1}}
			if workers == 0 {
				opts = evm.Options{Workers: 1, NoDirect: true}
			}
			eng, err := evm.New(config, db, opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := eng.ExecuteBlock(context.Background(), engRoot, &evm.Block{Header: h, Hash: h.Hash(), Txs: txs})
			if err != nil {
				t.Fatalf("seed %d block %d workers %d: %v", seed, b, workers, err)
			}
			for i, e := range res.TxErrors {
				if e != nil {
					t.Fatalf("seed %d block %d workers %d: tx %d dropped: %v", seed, b, workers, i, e)
				}
			}
			if err := compareReceipts(res.Receipts, want); err != nil {
				t.Fatalf("seed %d block %d workers %d: %v", seed, b, workers, err)
			}
			if res.Root != wantRoot {
				t.Fatalf("seed %d block %d workers %d: root %x, want %x", seed, b, workers, res.Root, wantRoot)
			}
			if res.ReceiptHash != wantReceiptHash || res.Bloom != wantBloom {
				t.Fatalf("seed %d block %d workers %d: receipts root %x or logs bloom differ from go-ethereum's (%x)", seed, b, workers, res.ReceiptHash, wantReceiptHash)
			}
			next = res.Root
		}
		gethRoot, engRoot = wantRoot, next
	}
}

func TestDifferentialRandomBlocks(t *testing.T) {
	seeds := 150
	if longMode() {
		seeds = 3000
	}
	if testing.Short() {
		seeds = 20
	}
	start := time.Now()
	for s := range seeds {
		runSeed(t, int64(s), 2, 40)
	}
	t.Logf("differential: %d seeds x 2 blocks x 8 engine configurations equal to go-ethereum in %v", seeds, time.Since(start))
}

// TestRandomBlocksExerciseFeatures guards the generator: most transactions succeed,
// some revert, and logs, contract creations and selfdestructs happen.
func TestRandomBlocksExerciseFeatures(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	config := evm.DefaultConfig(big.NewInt(7))
	w := evmtest.NewWorld(config, 16, 2)
	db := evm.NewMemoryDatabase()
	root, err := w.Commit(db)
	if err != nil {
		t.Fatal(err)
	}
	h := w.Header(1, 1_000_000_000)
	txs := w.RandomBlock(rng, 400, 8, true)
	_, receipts, err := w.RunGeth(db, root, h, txs)
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed, logs, creates int
	for _, r := range receipts {
		if r.Status == types.ReceiptStatusSuccessful {
			ok++
		} else {
			failed++
		}
		logs += len(r.Logs)
		if r.ContractAddress != (common.Address{}) {
			creates++
		}
	}
	t.Logf("ok=%d failed=%d logs=%d creates=%d", ok, failed, logs, creates)
	if ok < 250 || failed < 10 || logs < 200 || creates < 10 {
		t.Fatalf("generator does not exercise the engine: ok=%d failed=%d logs=%d creates=%d", ok, failed, logs, creates)
	}
}
