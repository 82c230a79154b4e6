package exec

import (
	"sync"
	"testing"
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
