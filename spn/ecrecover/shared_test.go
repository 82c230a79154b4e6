package ecrecover

import (
	"math/rand"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestShared compares a Shared recovery, on 1 to 5 goroutines (Work, or Run for even
// counts) and reused (Reset) at
// other sizes, with Addresses over the same valid and damaged signatures. After the
// first round every fifth index is left out: although the previous round set it, it
// must come out as a failure.
func TestShared(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	s := GetShared(0)
	defer PutShared(s)
	for _, n := range []int{0, 1, 3, 4, 5, 67, 300} {
		hashes, sigs := signatures(t, rng, n)
		want := make([]common.Address, n)
		wantOK := make([]bool, n)
		Addresses(hashes, sigs, want, wantOK)
		for g := 1; g <= 5; g++ {
			s.Reset(n)
			skip := func(i int) bool { return g > 1 && i%5 == 2 }
			for i := range n {
				if !skip(i) {
					s.Set(i, hashes[i], &sigs[i])
				}
			}
			if g%2 == 0 {
				s.Run(g)
			} else { // Work on g goroutines of the test's own
				var wg sync.WaitGroup
				for range g {
					wg.Add(1)
					go func() { defer wg.Done(); s.Work() }()
				}
				wg.Wait()
			}
			if !s.Finished() {
				t.Fatalf("n %d, %d goroutines: not finished after every Work returned", n, g)
			}
			for i := range n {
				addr, ok := s.Address(i)
				if skip(i) {
					if ok || addr != (common.Address{}) {
						t.Fatalf("n %d: index %d was not set but recovered %x", n, i, addr)
					}
					continue
				}
				if ok != wantOK[i] || addr != want[i] {
					t.Fatalf("n %d, %d goroutines, index %d: %x %v, want %x %v", n, g, i, addr, ok, want[i], wantOK[i])
				}
			}
		}
	}
}
