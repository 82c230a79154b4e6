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
	d := newDispenser(n, chunk, workers, f)
	var wg sync.WaitGroup
	for range min(workers, (n+chunk-1)/chunk) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.work()
		}()
	}
	d.work()
	wg.Wait()
}

// dispenser hands out ForChunks' chunks to whichever goroutine asks.
type dispenser struct {
	n, chunk, split int
	f               func(lo, hi int)
	next            atomic.Int64
	done            atomic.Int64 // indexes whose chunk f has finished
}

func newDispenser(n, chunk, workers int, f func(lo, hi int)) *dispenser {
	return &dispenser{n: n, chunk: max(chunk, 1), split: 2 * max(workers, 1), f: f}
}

// work calls f on chunks until none is left.
func (d *dispenser) work() {
	for {
		lo := int(d.next.Load())
		if lo >= d.n {
			return
		}
		size := min(d.chunk, max(1, (d.n-lo)/d.split))
		if !d.next.CompareAndSwap(int64(lo), int64(lo+size)) {
			continue
		}
		d.f(lo, lo+size)
		d.done.Add(int64(size))
	}
}

// finished reports whether every chunk is done.
func (d *dispenser) finished() bool { return d.done.Load() >= int64(d.n) }
