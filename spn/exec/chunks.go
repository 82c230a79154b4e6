package exec

import (
	"sync"
	"sync/atomic"
)

// ForChunks calls f(lo, hi) for consecutive chunks [lo, hi) of [0, n), at most chunk
// long, on the calling goroutine and up to workers-1 helpers (never more goroutines
// than chunks). The goroutines take chunks from a shared counter, so one that starts
// late or loses its CPU for a while does less, instead of finishing a fixed share
// last. Near the end the chunks shrink (to a 2·workers-th of what is left, at least
// one), so the goroutines finish within about one item of each other rather than one
// chunk. It returns when every chunk is done. The engines use it for work before
// execution (decoding, sender recovery); f must be safe to call concurrently for
// different chunks.
func ForChunks(n, chunk, workers int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk = max(chunk, 1)
	split := 2 * max(workers, 1)
	var next atomic.Int64
	work := func() {
		for {
			lo := int(next.Load())
			if lo >= n {
				return
			}
			size := min(chunk, max(1, (n-lo)/split))
			if !next.CompareAndSwap(int64(lo), int64(lo+size)) {
				continue
			}
			f(lo, lo+size)
		}
	}
	var wg sync.WaitGroup
	for range min(workers, (n+chunk-1)/chunk) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
