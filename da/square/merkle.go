package square

import (
	"crypto/sha256"
	"math/bits"
)

// RFC 6962 binary Merkle tree, the tree CometBFT (crypto/merkle) and Celestia
// use for the data root over the row and column roots and for share
// commitments over subtree roots. Leaves are hashed as sha256(0x00 || leaf),
// inner nodes as sha256(0x01 || left || right); a tree of n > 1 leaves splits
// at the largest power of two strictly below n.
var (
	leafPrefix  = []byte{0}
	innerPrefix = []byte{1}
)

func leafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write(leafPrefix)
	h.Write(leaf)
	return h.Sum(nil)
}

func innerHash(left, right []byte) []byte {
	h := sha256.New()
	h.Write(innerPrefix)
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

func emptyHash() []byte {
	h := sha256.Sum256(nil)
	return h[:]
}

// splitPoint returns the largest power of two strictly smaller than n (n > 1).
func splitPoint(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// MerkleRoot returns the RFC 6962 root of items (sha256 of nothing for none).
func MerkleRoot(items [][]byte) []byte {
	switch len(items) {
	case 0:
		return emptyHash()
	case 1:
		return leafHash(items[0])
	}
	k := splitPoint(len(items))
	return innerHash(MerkleRoot(items[:k]), MerkleRoot(items[k:]))
}

// MerkleProof proves that a leaf is item Index of Total items under a root.
type MerkleProof struct {
	Index uint32
	Total uint32
	// Aunts are the sibling hashes from the leaf up to the root.
	Aunts [][]byte
}

// NewMerkleProof returns the proof of items[index].
func NewMerkleProof(items [][]byte, index int) MerkleProof {
	return MerkleProof{Index: uint32(index), Total: uint32(len(items)), Aunts: aunts(items, index)}
}

func aunts(items [][]byte, index int) [][]byte {
	if len(items) <= 1 {
		return nil
	}
	k := splitPoint(len(items))
	if index < k {
		return append(aunts(items[:k], index), MerkleRoot(items[k:]))
	}
	return append(aunts(items[k:], index-k), MerkleRoot(items[:k]))
}

// Verify reports whether leaf is item p.Index of p.Total under root.
func (p MerkleProof) Verify(root, leaf []byte) bool {
	if p.Total == 0 || p.Index >= p.Total {
		return false
	}
	got, ok := rootFromAunts(int(p.Index), int(p.Total), leafHash(leaf), p.Aunts)
	return ok && len(got) == len(root) && string(got) == string(root)
}

func rootFromAunts(index, total int, leaf []byte, aunts [][]byte) ([]byte, bool) {
	if total == 1 {
		return leaf, len(aunts) == 0
	}
	if len(aunts) == 0 {
		return nil, false
	}
	k := splitPoint(total)
	last := aunts[len(aunts)-1]
	if index < k {
		left, ok := rootFromAunts(index, k, leaf, aunts[:len(aunts)-1])
		if !ok {
			return nil, false
		}
		return innerHash(left, last), true
	}
	right, ok := rootFromAunts(index-k, total-k, leaf, aunts[:len(aunts)-1])
	if !ok {
		return nil, false
	}
	return innerHash(last, right), true
}
