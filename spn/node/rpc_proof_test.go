package node_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// proofDB is a proof's nodes keyed by their hashes, for trie.VerifyProof.
func proofDB(t *testing.T, nodes []string) *memorydb.Database {
	t.Helper()
	db := memorydb.New()
	for _, n := range nodes {
		b, err := hexutil.Decode(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Put(crypto.Keccak256(b), b); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// checkProof fetches eth_getProof of slot of contract at block and verifies the
// account proof against the block's state root and the slot's proof against the
// account's storage root; it returns the slot's proven value.
func checkProof(t *testing.T, c *ethclient.Client, contract common.Address, slot common.Hash, block *big.Int) *big.Int {
	t.Helper()
	ctx := context.Background()
	h, err := c.HeaderByNumber(ctx, block)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		AccountProof []string       `json:"accountProof"`
		Balance      *hexutil.Big   `json:"balance"`
		CodeHash     common.Hash    `json:"codeHash"`
		Nonce        hexutil.Uint64 `json:"nonce"`
		StorageHash  common.Hash    `json:"storageHash"`
		StorageProof []struct {
			Key   string       `json:"key"`
			Value *hexutil.Big `json:"value"`
			Proof []string     `json:"proof"`
		} `json:"storageProof"`
	}
	if err := c.Client().CallContext(ctx, &p, "eth_getProof", contract, []string{slot.Hex()}, hexutil.EncodeBig(h.Number)); err != nil {
		t.Fatalf("getProof: %v", err)
	}
	enc, err := trie.VerifyProof(h.Root, crypto.Keccak256(contract[:]), proofDB(t, p.AccountProof))
	if err != nil || len(enc) == 0 {
		t.Fatalf("account proof: %v", err)
	}
	var acc types.StateAccount
	if err := rlp.DecodeBytes(enc, &acc); err != nil {
		t.Fatal(err)
	}
	if acc.Root != p.StorageHash || acc.Nonce != uint64(p.Nonce) || acc.Balance.ToBig().Cmp(p.Balance.ToInt()) != 0 || common.BytesToHash(acc.CodeHash) != p.CodeHash {
		t.Fatalf("proven account %+v, answer %+v", acc, p)
	}
	if len(p.StorageProof) != 1 || p.StorageProof[0].Key != slot.Hex() {
		t.Fatalf("storage proof %+v", p.StorageProof)
	}
	val, err := trie.VerifyProof(acc.Root, crypto.Keccak256(slot[:]), proofDB(t, p.StorageProof[0].Proof))
	if err != nil {
		t.Fatalf("storage proof: %v", err)
	}
	v := new(big.Int)
	if len(val) > 0 {
		_, content, _, err := rlp.Split(val)
		if err != nil {
			t.Fatal(err)
		}
		v.SetBytes(content)
	}
	if v.Cmp(p.StorageProof[0].Value.ToInt()) != 0 {
		t.Fatalf("proven value %v, answer %v", v, p.StorageProof[0].Value)
	}
	return v
}
