package exec

import (
	"runtime"
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
	OnGoroutines(min(workers, (n+chunk-1)/chunk), func(int) { d.work() })
}

// OnGoroutines calls f(0) on the calling goroutine and f(1) … f(goroutines-1) on
// new ones, and returns when all calls have returned. Fewer than one goroutine
// means one.
func OnGoroutines(goroutines int, f func(g int)) {
	var wg sync.WaitGroup
	for g := 1; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(g)
		}()
	}
	f(0)
	wg.Wait()
}

// Each turns a function of one index into one of a chunk [lo, hi) that calls it for
// every index in order, for ForChunks and NewChunks.
func Each(f func(i int)) func(lo, hi int) {
	return func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f(i)
		}
	}
}

// Chunks hands out chunks of [0, n) to whichever goroutine calling Work asks, as
// ForChunks does, for goroutines that are already running: the steps of an engine's
// Config.PrepareWorker, which every goroutine of the block goes through in turn.
type Chunks struct{ d dispenser }

// NewChunks returns Chunks over [0, n) that calls f(lo, hi) for chunks at most chunk
// long, shrinking near the end as ForChunks' do for workers goroutines (0 means
// runtime.GOMAXPROCS(0), as Config.Workers).
func NewChunks(n, chunk, workers int, f func(lo, hi int)) *Chunks {
	workers = Config{Workers: workers}.workers()
	return &Chunks{d: *newDispenser(n, chunk, workers, f)}
}

// Work calls f on chunks until none is left to take; other goroutines may still be
// finishing theirs (Finished). Any number of goroutines may call it at once.
func (c *Chunks) Work() { c.d.work() }

// Finished reports whether every chunk is done.
func (c *Chunks) Finished() bool { return c.d.finished() }

// Step is one step of a Config.PrepareWorker that its goroutines share: each calls
// Work, which returns when the goroutine finds nothing left to take, and the step is
// done when Finished reports true. Chunks and ecrecover.Shared are steps.
type Step interface {
	Work()
	Finished() bool
}

// RunSteps runs steps in order on the calling goroutine: for each, Work, then
// WaitUntil it is Finished, so that no goroutine starts a step before the one before
// is done on every goroutine. Each goroutine of the preparation calls it with the
// same steps.
func RunSteps(steps ...Step) {
	for _, s := range steps {
		s.Work()
		WaitUntil(s.Finished)
	}
}

// WaitUntil returns when done reports true. It is for short waits between the steps
// of a Config.PrepareWorker, for the chunks other goroutines still run (at most about
// one item each). It spins without yielding for about a millisecond first: while
// another goroutine is in a long cgo call (ecrecover.Shared) its processor is idle,
// and a yield then woke a thread that could take the waiting goroutine over on the
// vCPU where the C call runs, which delayed it by milliseconds (spn/wasm, session 10).
func WaitUntil(done func() bool) {
	for spins := 0; !done(); spins++ {
		if spins >= waitSpins {
			runtime.Gosched()
		}
	}
}

// waitSpins bounds the spins of WaitUntil before it yields: about 1 ms on the
// benchmark machine.
const waitSpins = 1 << 18

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
