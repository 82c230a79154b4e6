package ecrecover

import (
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// SharedChunk is how many signatures a goroutine working on a Shared recovery takes
// at a time (about 250 µs of recovery), until sharedTail chunks are left; then it
// takes one at a time, so the goroutines finish within about one signature (60 µs)
// of each other.
const SharedChunk = 4

// sharedTail is how many chunks are left when a Shared recovery's goroutines start
// taking one signature at a time (passed to the C code with SharedChunk).
const sharedTail = 4

// Shared is one recovery that several goroutines do together. The caller fills it
// (Reset, Set), then each goroutine calls Work, and once Finished reports true,
// Address gives the results.
//
// Work is a single cgo call per goroutine that takes SharedChunk signatures at a time
// from a counter the calls share, until none is left. Batches (one cgo call per
// BatchSize signatures) made a goroutine enter C about 25 times per 400-transaction
// block. Each entry lets the Go runtime's monitor thread take the goroutine's
// processor back after 20 µs and poll at that rate for about a millisecond. With
// both vCPUs recovering, that polling runs on one of them: about 1,900 wake-ups and
// 2,000 preemptions of the recovering threads a second, against about 600 of each
// with one shared call per goroutine. Alone, a shared recovery scaled at least as
// well as the same library on POSIX threads (docs/bench/wasm.md, session 10).
type Shared struct {
	n      int
	hashes []common.Hash
	sigs   []Sig
	want   []byte // 1: recover this index; 0: skip it (Set was not called)
	pubs   []Pub
	ok     []byte // 1 where recovery succeeded
	next   int64  // the next index to take (atomic, also from C)
	done   int64  // indexes whose chunk is finished (atomic, also from C)
}

// sharedPool recycles Shared recoveries; keptShared bounds the size of those kept.
var sharedPool sync.Pool

const keptShared = 1 << 13

// GetShared returns an empty Shared recovery for n signatures; PutShared gives it back.
func GetShared(n int) *Shared {
	s, _ := sharedPool.Get().(*Shared)
	if s == nil {
		s = new(Shared)
	}
	s.Reset(n)
	return s
}

// PutShared returns s to GetShared's pool. No goroutine may still be in s.Work, and s
// must not be used afterwards.
func PutShared(s *Shared) {
	if cap(s.hashes) > keptShared {
		return
	}
	sharedPool.Put(s)
}

// Reset empties s and sizes it for n signatures. No goroutine may be in Work.
func (s *Shared) Reset(n int) {
	s.n = n
	s.hashes = resize(s.hashes, n)
	s.sigs = resize(s.sigs, n)
	s.pubs = resize(s.pubs, n)
	s.want = resize(s.want, n)
	s.ok = resize(s.ok, n)
	clear(s.want)
	atomic.StoreInt64(&s.next, 0)
	atomic.StoreInt64(&s.done, 0)
}

// resize returns a slice of length n, reusing b's array when it is large enough.
func resize[T any](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n, max(n, 64))
}

// Set asks for the recovery of index i: sig over hash. An index never set is
// skipped (Address reports false). Set must be called before any Work.
func (s *Shared) Set(i int, hash common.Hash, sig *Sig) {
	s.hashes[i], s.sigs[i], s.want[i] = hash, *sig, 1
}

// Work recovers chunks of s until none is left to take, then returns; other
// goroutines may still be finishing theirs (Finished). Any number of goroutines may
// call it at once.
func (s *Shared) Work() {
	if s.n == 0 {
		return
	}
	sharedWork(s)
}

// Run calls Work on the calling goroutine and on goroutines-1 others, and returns
// when all have returned: s is then Finished.
func (s *Shared) Run(goroutines int) {
	var wg sync.WaitGroup
	for range goroutines - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Work()
		}()
	}
	s.Work()
	wg.Wait()
}

// Finished reports whether every index of s is done.
func (s *Shared) Finished() bool { return atomic.LoadInt64(&s.done) >= int64(s.n) }

// Address returns the Ethereum address recovered for index i, and false where
// recovery failed or i was not set (as Addresses would). Only after Finished.
func (s *Shared) Address(i int) (common.Address, bool) {
	if s.ok[i] != 1 {
		return common.Address{}, false
	}
	return common.BytesToAddress(crypto.Keccak256(s.pubs[i][1:])[12:]), true
}
