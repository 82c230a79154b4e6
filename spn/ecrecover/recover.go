package ecrecover

import (
	"errors"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrNoThreads is OnThreads' error in a build without cgo.
var ErrNoThreads = errors.New("ecrecover: OnThreads needs cgo")

// Sig is a signature as crypto.Ecrecover takes it: R and S (32 bytes each, big
// endian) and the recovery id V (0 or 1; 2 and 3 are accepted as libsecp256k1 does).
type Sig [65]byte

// Pub is an uncompressed public key: 0x04, X, Y.
type Pub [65]byte

// Recover sets pubs[i] to the public key that produced sigs[i] over hashes[i], and
// ok[i] to whether recovery succeeded, as crypto.Ecrecover(hashes[i], sigs[i]) would.
// A recovery id above 3 fails. Recover does not check the signature's value ranges
// the way go-ethereum's transaction rules do (crypto.ValidateSignatureValues):
// callers do that first. All four slices must have the same length.
func Recover(hashes []common.Hash, sigs []Sig, pubs []Pub, ok []bool) {
	if len(sigs) != len(hashes) || len(pubs) != len(hashes) || len(ok) != len(hashes) {
		panic("ecrecover: slices of different lengths")
	}
	if len(hashes) == 0 {
		return
	}
	recoverBatch(hashes, sigs, pubs, ok)
}

// Addresses is Recover followed by the Ethereum address of each key (the last 20
// bytes of the keccak256 of X and Y); addrs[i] is zero where ok[i] is false.
func Addresses(hashes []common.Hash, sigs []Sig, addrs []common.Address, ok []bool) {
	addresses(hashes, sigs, make([]Pub, len(hashes)), addrs, ok)
}

// addresses is Addresses with the public keys recovered into pubs.
func addresses(hashes []common.Hash, sigs []Sig, pubs []Pub, addrs []common.Address, ok []bool) {
	Recover(hashes, sigs, pubs, ok)
	for i := range pubs {
		if !ok[i] {
			addrs[i] = common.Address{}
			continue
		}
		copy(addrs[i][:], crypto.Keccak256(pubs[i][1:])[12:])
	}
}

// recoverOne is the reference: go-ethereum's crypto.Ecrecover.
func recoverOne(hash common.Hash, sig *Sig, pub *Pub) bool {
	p, err := crypto.Ecrecover(hash[:], sig[:])
	if err != nil || len(p) != len(pub) || p[0] != 4 {
		return false
	}
	copy(pub[:], p)
	return true
}

// BatchSize is the capacity of a Batch: about 4 ms of recovery in one cgo call here.
// Longer calls scale better across goroutines. ecrecover.Recover alone, with 2
// goroutines over 1, scaled 1.16x at 1 signature per call, 1.69–1.80x at 16,
// 1.72–1.86x at 64 and 1.78–2.00x at 256. In spn/wasm's benchmark (400-transfer
// blocks, 7 alternating pairs), 64 against 16 gave the AS token a median of 1.72x
// against 1.65x at 2 workers, better in 6 pairs of 7. 256 was worse there (1.43–1.71x):
// its chunks are coarse for such blocks. Session 8, docs/bench/wasm.md.
const BatchSize = 64

// Batch collects up to BatchSize signatures, each with the caller's tag (e.g. the
// transaction's index), and recovers their addresses in one call. The zero value is
// an empty batch.
type Batch struct {
	n      int
	hashes [BatchSize]common.Hash
	sigs   [BatchSize]Sig
	tags   [BatchSize]int
	addrs  [BatchSize]common.Address
	ok     [BatchSize]bool
	pubs   [BatchSize]Pub
}

// batchPool holds empty Batches: one is about 15 KB, and a block's sender recovery
// takes one per chunk of transactions.
var batchPool = sync.Pool{New: func() any { return new(Batch) }}

// GetBatch returns an empty Batch from a pool; PutBatch gives it back.
func GetBatch() *Batch { return batchPool.Get().(*Batch) }

// PutBatch empties b and returns it to GetBatch's pool. b must not be used afterwards.
func PutBatch(b *Batch) {
	b.n = 0
	batchPool.Put(b)
}

// Add adds a signature over hash; it returns false, adding nothing, when the batch is
// full.
func (b *Batch) Add(tag int, hash common.Hash, sig *Sig) bool {
	if b.n == BatchSize {
		return false
	}
	b.hashes[b.n], b.sigs[b.n], b.tags[b.n] = hash, *sig, tag
	b.n++
	return true
}

// Recover recovers the batch's addresses (Addresses), calls f for each signature in
// the order added (addr is zero where ok is false), and empties the batch.
func (b *Batch) Recover(f func(tag int, addr common.Address, ok bool)) {
	n := b.n
	b.n = 0
	addresses(b.hashes[:n], b.sigs[:n], b.pubs[:n], b.addrs[:n], b.ok[:n])
	for i := range n {
		f(b.tags[i], b.addrs[i], b.ok[i])
	}
}
