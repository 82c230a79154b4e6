package evm_test

import (
	"bytes"
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
)

type proofList [][]byte

func (p *proofList) Put(_, v []byte) error { *p = append(*p, bytes.Clone(v)); return nil }
func (p *proofList) Delete([]byte) error   { return nil }

// TestMemStateVersions runs blocks over a MemState and checks what it keeps: versions
// until their last Release, Dirty until Persist, proofs equal to go-ethereum's over
// the persisted state, and a released unflushed version gone.
func TestMemStateVersions(t *testing.T) {
	config := evm.DefaultConfig(big.NewInt(7))
	base := evm.NewMemoryDatabase()
	mem, err := evm.NewMemState(base)
	if err != nil {
		t.Fatal(err)
	}
	w := evmtest.NewWorld(config, 16, 2)
	root, err := w.Commit(base)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := evm.New(config, mem, evm.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var roots []common.Hash
	for b := uint64(1); b <= 3; b++ {
		h := w.Header(b, 100_000_000)
		txs := []*types.Transaction{
			w.TokenTransfer(0, 0, w.Addrs[1], big.NewInt(5), evmtest.DynamicFee),
			w.Swap(4, 0, big.NewInt(1e12), b%2 == 0, evmtest.AccessList),
		}
		res, err := eng.ExecuteBlock(context.Background(), root, &evm.Block{Header: h, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		root = res.Root
		roots = append(roots, root)
		mem.Keep(root)
	}
	if mem.Versions() != 3 || mem.Dirty() == 0 {
		t.Fatalf("after 3 blocks: %d versions, %d dirty bytes", mem.Versions(), mem.Dirty())
	}
	mem.Keep(roots[0])
	mem.Release(roots[0])
	if mem.Versions() != 3 {
		t.Fatal("a version with a reference left was released")
	}
	mem.Release(roots[0])
	if mem.Versions() != 2 {
		t.Fatalf("%d versions after the last release of one", mem.Versions())
	}
	if _, err := mem.Reader(roots[0]); err == nil {
		t.Fatal("a released, unflushed version is still readable")
	}

	// Proofs from the version, then from go-ethereum's tries over the flushed state.
	slots := []common.Hash{{}, common.BigToHash(big.NewInt(1)), crypto.Keccak256Hash([]byte("absent"))}
	addr := evmtest.Token0Addr
	acct, stor, err := mem.Proof(root, addr, slots)
	if err != nil {
		t.Fatal(err)
	}
	if err := evm.Persist(mem, root); err != nil {
		t.Fatal(err)
	}
	if mem.Dirty() != 0 {
		t.Fatalf("%d dirty bytes after Persist", mem.Dirty())
	}
	tdb := base.TrieDB()
	at, err := trie.NewStateTrie(trie.StateTrieID(root), tdb)
	if err != nil {
		t.Fatal(err)
	}
	var want proofList
	if err := at.Prove(crypto.Keccak256(addr[:]), &want); err != nil {
		t.Fatal(err)
	}
	equalProofs(t, "account", acct, want)
	sdb, err := state.New(root, base)
	if err != nil {
		t.Fatal(err)
	}
	st, err := trie.NewStateTrie(trie.StorageTrieID(root, crypto.Keccak256Hash(addr[:]), sdb.GetStorageRoot(addr)), tdb)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range slots {
		var want proofList
		if err := st.Prove(crypto.Keccak256(s[:]), &want); err != nil {
			t.Fatal(err)
		}
		equalProofs(t, "slot", stor[i], want)
	}
}

func equalProofs(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%s proof: %d nodes, go-ethereum %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s proof node %d differs from go-ethereum's", what, i)
		}
	}
}

// TestMemStateMemoryBudget: over its memory budget, a flush drops flushed nodes from
// memory, and the next blocks still read them back (from disk) and give go-ethereum's
// roots.
func TestMemStateMemoryBudget(t *testing.T) {
	config := evm.DefaultConfig(big.NewInt(7))
	base := evm.NewMemoryDatabase()
	ref := evm.NewMemoryDatabase()
	mem, err := evm.NewMemState(base)
	if err != nil {
		t.Fatal(err)
	}
	mem.SetMemoryBudget(1) // always over
	w := evmtest.NewWorld(config, 3000, 2)
	root, err := w.Commit(base)
	if err != nil {
		t.Fatal(err)
	}
	refRoot, _ := w.Commit(ref)
	eng, err := evm.New(config, mem, evm.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for b := uint64(1); b <= 4; b++ {
		h := w.Header(b, 100_000_000)
		var txs []*types.Transaction
		for i := 0; i < 40; i++ {
			from := int(b)*40 + i
			txs = append(txs, w.TokenTransfer(from, 0, w.Addrs[(from*7+1)%len(w.Addrs)], big.NewInt(3), evmtest.DynamicFee))
		}
		res, err := eng.ExecuteBlock(context.Background(), root, &evm.Block{Header: h, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		if refRoot, _, err = w.RunGeth(ref, refRoot, h, txs); err != nil {
			t.Fatal(err)
		}
		if res.Root != refRoot {
			t.Fatalf("block %d: root %x, go-ethereum %x", b, res.Root, refRoot)
		}
		if err := evm.Persist(mem, res.Root); err != nil {
			t.Fatal(err)
		}
		root = res.Root
	}
	if mem.Evicted() == 0 {
		t.Fatal("over the budget, flushes dropped nothing")
	}
}
