//go:build !cgo || gofuzz || js || wasip1 || tinygo

package ecrecover

import (
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func recoverBatch(hashes []common.Hash, sigs []Sig, pubs []Pub, ok []bool) {
	for i := range hashes {
		if ok[i] = recoverOne(hashes[i], &sigs[i], &pubs[i]); !ok[i] {
			pubs[i] = Pub{}
		}
	}
}

// OnThreads needs cgo; without it, it returns ErrNoThreads.
func OnThreads(threads int, hashes []common.Hash, sigs []Sig) (time.Duration, error) {
	return 0, ErrNoThreads
}

func sharedWork(s *Shared) {
	n := int64(s.n)
	for {
		cur := atomic.LoadInt64(&s.next)
		if cur >= n {
			return
		}
		size := int64(SharedChunk)
		if n-cur <= sharedTail*SharedChunk {
			size = 1
		}
		lo := atomic.AddInt64(&s.next, size) - size
		if lo >= n {
			return
		}
		hi := min(lo+size, n)
		for i := lo; i < hi; i++ {
			s.ok[i] = 0
			if s.want[i] == 1 && recoverOne(s.hashes[i], &s.sigs[i], &s.pubs[i]) {
				s.ok[i] = 1
			}
		}
		atomic.AddInt64(&s.done, hi-lo)
	}
}
