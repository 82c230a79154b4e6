package wasmnode

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
)

// Proof is a Merkle proof of one state key against a block's state root
// (wasm_getProof): the trie nodes on the path to keccak256(key). Value is the
// key's value (nil if absent); the trie holds keccak256(value).
type Proof struct {
	BlockNumber uint64          `json:"blockNumber"`
	StateRoot   common.Hash     `json:"stateRoot"`
	Key         hexutil.Bytes   `json:"key"`
	Value       hexutil.Bytes   `json:"value"`
	Nodes       []hexutil.Bytes `json:"proof"`
}

// ErrProof is returned by VerifyProof for a proof that does not hold.
var ErrProof = errors.New("invalid state proof")

// VerifyProof checks p against its state root: the value is present with that
// content, or absent if p.Value is empty.
func VerifyProof(p *Proof) error {
	set := trienode.NewProofSet()
	for _, n := range p.Nodes {
		if err := set.Put(crypto.Keccak256(n), n); err != nil {
			return err
		}
	}
	leaf, err := trie.VerifyProof(p.StateRoot, crypto.Keccak256(p.Key), set)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProof, err)
	}
	switch {
	case len(p.Value) == 0 && leaf == nil:
		return nil
	case len(p.Value) > 0 && bytes.Equal(leaf, crypto.Keccak256(p.Value)):
		return nil
	}
	return fmt.Errorf("%w: value does not match the trie", ErrProof)
}

// Proof returns the proof of a state key (a spn/wasm state key: wasm.BalanceKey,
// wasm.StorageKey, ...) at block n. Past roots stay readable (no pruning), but the
// flat value is only known at the latest block: for an older block Value is nil
// and the proof still shows the trie's keccak256(value) in its leaf.
func (a *App) Proof(key []byte, n BlockNumber) (*Proof, error) {
	v := a.view()
	defer v.Close()
	height := n.resolve(v.head.Height)
	if n >= 0 && uint64(n) > v.head.Height {
		return nil, notFound("unknown block %d (latest %d)", n, v.head.Height)
	}
	root := v.head.Root
	if height != v.head.Height {
		if height == 0 {
			root = a.genesisRoot(v)
		} else {
			h, err := readHeader(v.snap, height)
			if err != nil {
				return nil, err
			}
			root = h.StateRoot
		}
	}
	t, err := trie.New(trie.TrieID(root), a.st.nodes(v.snap))
	if err != nil {
		return nil, fmt.Errorf("%w: state trie %x: %w", ErrStore, root, err)
	}
	var list trienode.ProofList
	if err := t.Prove(crypto.Keccak256(key), &list); err != nil {
		return nil, err
	}
	p := &Proof{BlockNumber: height, StateRoot: root, Key: key}
	for _, n := range list {
		p.Nodes = append(p.Nodes, hexutil.Bytes(n))
	}
	if height == v.head.Height {
		val, err := v.state().Get(string(key))
		if err != nil {
			return nil, err
		}
		p.Value = val
	}
	return p, nil
}
