package exec_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/exec/exectest"
)

// FuzzParallelEqualsSequential fuzzes the block generator's seed, the worker count
// and the point of a forced chain fallback: parallel output must equal sequential
// output, which must equal the reference interpreter's.
func FuzzParallelEqualsSequential(f *testing.F) {
	for _, s := range []uint64{0, 1, 42, 1 << 40} {
		f.Add(s, uint8(2), uint16(0))
		f.Add(s, uint8(7), uint16(13))
	}
	f.Fuzz(func(t *testing.T, seed uint64, workers uint8, stopAfter uint16) {
		r := rand.New(rand.NewPCG(seed, 3))
		p := exectest.RandomParams(r, 100)
		b := exectest.Random(r, p)
		cfg := forced(1 + int(workers%8))
		if stopAfter > 0 {
			cfg = exec.WithStopAfter(cfg, int64(stopAfter))
		}
		check(t, fmt.Sprintf("seed %d", seed), b, cfg)
	})
}
