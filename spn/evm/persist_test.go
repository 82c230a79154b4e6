package evm_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
)

// TestPersistentChain executes blocks on pebble, persists each, reopens the database
// and finds the head and the state; the roots equal go-ethereum's in memory.
func TestPersistentChain(t *testing.T) {
	dir := t.TempDir()
	config := evm.DefaultConfig(big.NewInt(7))
	db, disk, err := evm.OpenDatabase(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := evmtest.NewWorld(config, 16, 2)
	root, err := w.Commit(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := evm.Persist(db, root); err != nil {
		t.Fatal(err)
	}
	ref := evm.NewMemoryDatabase()
	refRoot, _ := w.Commit(ref)
	eng, err := evm.New(config, db, evm.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for b := uint64(1); b <= 3; b++ {
		h := w.Header(b, 100_000_000)
		txs := []*types.Transaction{
			w.TokenTransfer(0, 0, w.Addrs[1], big.NewInt(5), evmtest.DynamicFee),
			w.Tx(2, evmtest.Legacy, &w.Addrs[3], big.NewInt(7), nil, 21_000, nil),
			w.Swap(4, 0, big.NewInt(1e12), b%2 == 0, evmtest.AccessList),
		}
		res, err := eng.ExecuteBlock(context.Background(), root, &evm.Block{Header: h, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		if err := evm.Persist(db, res.Root); err != nil {
			t.Fatal(err)
		}
		refRoot, _, err = w.RunGeth(ref, refRoot, h, txs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Root != refRoot {
			t.Fatalf("block %d: root %x, geth %x", b, res.Root, refRoot)
		}
		root = res.Root
	}
	if err := disk.Close(); err != nil {
		t.Fatal(err)
	}
	db, disk, err = evm.OpenDatabase(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	head, err := evm.Head(db)
	if err != nil || head != root {
		t.Fatalf("head %x (%v), want %x", head, err, root)
	}
	sdb, err := state.New(head, db)
	if err != nil {
		t.Fatal(err)
	}
	if got := sdb.GetBalance(w.Addrs[3]); got.ToBig().Cmp(new(big.Int).Add(evmtest.EthFunding, big.NewInt(21))) != 0 {
		t.Fatalf("balance of receiver after reopen: %v", got)
	}
	// The MemState wrote go-ethereum's hash-scheme layout: go-ethereum's own tries read
	// the flushed state, and hash it to the same root.
	geth, err := state.New(head, state.NewDatabase(db.TrieDB(), nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range w.Addrs {
		if geth.GetBalance(a).Cmp(sdb.GetBalance(a)) != 0 || geth.GetNonce(a) != sdb.GetNonce(a) {
			t.Fatalf("account %x: go-ethereum reads %v/%d, MemState %v/%d", a, geth.GetBalance(a), geth.GetNonce(a), sdb.GetBalance(a), sdb.GetNonce(a))
		}
	}
	if got := geth.GetState(evmtest.Token0Addr, common.Hash{}); got != sdb.GetState(evmtest.Token0Addr, common.Hash{}) {
		t.Fatalf("token slot 0: go-ethereum reads %x", got)
	}
	geth.AddBalance(w.Addrs[0], uint256.NewInt(0), tracing.BalanceChangeUnspecified)
	if got := geth.IntermediateRoot(true); got != head {
		t.Fatalf("go-ethereum's root of the flushed state %x, want %x", got, head)
	}
}
