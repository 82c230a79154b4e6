package evm

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestMemStateNodeBeforeAnyStoredState: a MemState that has only built states in
// memory (no stored state opened, so no trie-database reader yet) still reads the
// nodes its flushes wrote, as nodes dropped from memory need.
func TestMemStateNodeBeforeAnyStoredState(t *testing.T) {
	m, err := NewMemState(NewMemoryDatabase())
	if err != nil {
		t.Fatal(err)
	}
	blob := []byte{0xc4, 0x82, 0x20, 0x01, 0x01, 0x02}
	h := crypto.Keccak256Hash(blob)
	rawdb.WriteLegacyTrieNode(m.TrieDB().Disk(), h, blob)
	got, err := m.Node(nil, h)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("Node: %x %v, want %x", got, err, blob)
	}
}
