package exec

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestForChunks checks that ForChunks covers [0, n) exactly once in chunks of at
// most the given size, for sizes and worker counts around the edges.
func TestForChunks(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 100, 1000} {
		for _, chunk := range []int{0, 1, 16, 2000} {
			for _, workers := range []int{0, 1, 2, 8} {
				seen := make([]int, n)
				var mu sync.Mutex
				ForChunks(n, chunk, workers, func(lo, hi int) {
					if lo >= hi || hi-lo > max(chunk, 1) || hi > n {
						t.Errorf("n %d chunk %d: bad chunk [%d, %d)", n, chunk, lo, hi)
					}
					mu.Lock()
					for i := lo; i < hi; i++ {
						seen[i]++
					}
					mu.Unlock()
				})
				for i, c := range seen {
					if c != 1 {
						t.Fatalf("n %d chunk %d workers %d: index %d done %d times", n, chunk, workers, i, c)
					}
				}
			}
		}
	}
}

// TestForChunksTail: the chunks shrink near the end, so the last item is a chunk of
// its own and no goroutine is left with a whole chunk while the others are done.
func TestForChunksTail(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		var mu sync.Mutex
		size := map[int]int{}
		ForChunks(400, 16, workers, func(lo, hi int) {
			mu.Lock()
			size[lo] = hi - lo
			mu.Unlock()
		})
		if size[399] != 1 {
			t.Fatalf("workers %d: the last chunk is %d items", workers, size[399])
		}
		if size[0] != 16 {
			t.Fatalf("workers %d: the first chunk is %d items, want the full 16", workers, size[0])
		}
	}
}

// TestChunksRun checks that goroutines calling RunSteps with the same Chunks do
// every index exactly once between them, and that each returns only when all are
// done, also when one starts after the others have taken every chunk.
func TestChunksRun(t *testing.T) {
	for _, n := range []int{0, 1, 33, 400} {
		for _, goroutines := range []int{1, 2, 5} {
			seen := make([]atomic.Int32, n)
			c := NewChunks(n, 8, goroutines, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
					for range 200 { // some work, so the goroutines overlap
						runtime.Gosched()
					}
				}
			})
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if g == goroutines-1 && g > 0 {
						time.Sleep(time.Millisecond) // a late goroutine
					}
					RunSteps(c)
					for i := range seen {
						if seen[i].Load() != 1 {
							t.Errorf("n %d goroutines %d: RunSteps returned with index %d done %d times", n, goroutines, i, seen[i].Load())
							return
						}
					}
				}()
			}
			wg.Wait()
			if !c.Finished() {
				t.Fatalf("n %d goroutines %d: not Finished after every Run returned", n, goroutines)
			}
		}
	}
}

// TestOnGoroutines checks that f runs once for each goroutine index (once for a
// count below one), and that Each visits a chunk's indexes in order.
func TestOnGoroutines(t *testing.T) {
	for _, goroutines := range []int{-1, 0, 1, 2, 7} {
		calls := make([]atomic.Int32, max(goroutines, 1))
		OnGoroutines(goroutines, func(g int) { calls[g].Add(1) })
		for g := range calls {
			if calls[g].Load() != 1 {
				t.Fatalf("goroutines %d: f(%d) ran %d times", goroutines, g, calls[g].Load())
			}
		}
	}
	var seen []int
	Each(func(i int) { seen = append(seen, i) })(3, 7)
	if !slices.Equal(seen, []int{3, 4, 5, 6}) {
		t.Fatalf("Each(3, 7) visited %v", seen)
	}
}
