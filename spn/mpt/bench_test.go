package mpt

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
)

// benchKey is the secure-trie key of slot i (keccak256 of its index).
func benchKey(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return crypto.Keccak256(b[:])
}

func benchVal(i, block int) []byte {
	return []byte{0x88, byte(block), byte(i >> 16), byte(i >> 8), byte(i), 1, 2, 3, 4}
}

// BenchmarkBlock models the token's storage trie in `farol-bench spn`: a trie of
// `base` slots, flushed to disk, then blocks of 10,000 transfers, each reading and
// writing one existing slot (the sender's balance) and one new slot (the receiver's).
// One op is one block. "geth" is what spn/evm does today: go-ethereum's trie opened
// at the parent root over its hash-scheme trie database (the new nodes inserted into
// its dirty cache every block, the state two blocks back dereferenced); "mpt" is this
// package, its versions kept in memory. Neither flushes during the blocks.
func BenchmarkBlock(b *testing.B) {
	const perBlock = 10_000
	for _, base := range []int{100_000, 400_000} {
		disk := rawdb.NewMemoryDatabase()
		tdb := triedb.NewDatabase(disk, &triedb.Config{HashDB: &hashdb.Config{CleanCacheSize: 256 << 20}})
		t := trie.NewEmpty(tdb)
		for i := 0; i < base; i++ {
			if err := t.Update(benchKey(i), benchVal(i, 0)); err != nil {
				b.Fatal(err)
			}
		}
		root0, set := t.Commit(false)
		if err := tdb.Update(root0, EmptyRoot, 0, trienode.NewWithNodeSet(set), nil); err != nil {
			b.Fatal(err)
		}
		if err := tdb.Commit(root0, false); err != nil {
			b.Fatal(err)
		}

		b.Run(fmt.Sprintf("base%dk/geth", base/1000), func(b *testing.B) {
			tdb := triedb.NewDatabase(disk, &triedb.Config{HashDB: &hashdb.Config{CleanCacheSize: 256 << 20}})
			roots := []common.Hash{root0}
			next, block := base, 0
			b.ReportAllocs()
			for b.Loop() {
				block++
				parent := roots[len(roots)-1]
				t, err := trie.New(trie.TrieID(parent), tdb)
				if err != nil {
					b.Fatal(err)
				}
				for j := 0; j < perBlock; j++ {
					for _, k := range [][]byte{benchKey((block*7919 + j) % base), benchKey(next)} {
						if _, err := t.Get(k); err != nil {
							b.Fatal(err)
						}
						if err := t.Update(k, benchVal(j, block)); err != nil {
							b.Fatal(err)
						}
					}
					next++
				}
				root, set := t.Commit(false)
				if err := tdb.Update(root, parent, uint64(block), trienode.NewWithNodeSet(set), nil); err != nil {
					b.Fatal(err)
				}
				roots = append(roots, root)
				if len(roots) > 3 {
					if err := tdb.Dereference(roots[len(roots)-4]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*perBlock), "ns/slot")
		})

		b.Run(fmt.Sprintf("base%dk/mpt", base/1000), func(b *testing.B) {
			rdb := triedb.NewDatabase(disk, &triedb.Config{HashDB: &hashdb.Config{CleanCacheSize: 256 << 20}})
			nr, err := rdb.NodeReader(root0)
			if err != nil {
				b.Fatal(err)
			}
			cur := New(root0, hashReader{nr})
			next, block := base, 0
			b.ReportAllocs()
			for b.Loop() {
				block++
				ed := cur.Edit()
				for j := 0; j < perBlock; j++ {
					for _, k := range [][]byte{benchKey((block*7919 + j) % base), benchKey(next)} {
						if _, err := cur.Get(k); err != nil {
							b.Fatal(err)
						}
						if err := ed.Update(k, benchVal(j, block), nil); err != nil {
							b.Fatal(err)
						}
					}
					next++
				}
				cur, _ = ed.Commit()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*perBlock), "ns/slot")
		})
	}
}

type hashReader struct {
	r interface {
		Node(owner common.Hash, path []byte, hash common.Hash) ([]byte, error)
	}
}

func (h hashReader) Node(path []byte, hash common.Hash) ([]byte, error) {
	return h.r.Node(common.Hash{}, path, hash)
}
