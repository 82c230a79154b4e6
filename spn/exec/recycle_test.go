package exec_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/exec/exectest"
)

// TestOutputOutlivesRecycling checks that a block's output stays as it was while later
// blocks run: the executor recycles its workers' buffers and the multi-version memory
// from block to block, and none of that may be the output (a worker's part of the
// write set is the output when the other workers wrote nothing).
func TestOutputOutlivesRecycling(t *testing.T) {
	ctx := context.Background()
	n := seeds(60, 600)
	for seed := 0; seed < n; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		p := exectest.RandomParams(r, 120)
		if seed%3 == 0 {
			p.Txs = 1 + r.IntN(3) // few transactions: often one worker writes everything
		}
		b := exectest.Random(r, p)
		vm := exectest.VM{B: b}
		want, err := exec.ExecuteSequential(ctx, vm, len(b.Txs), b.Base, exec.Config{})
		if err != nil {
			continue // a failing block has no output to keep
		}
		out, err := exec.Execute(ctx, vm, len(b.Txs), b.Base, forced(2+seed%3))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		what := fmt.Sprintf("seed %d", seed)
		sameOutput(t, what, want, out)
		for j := range 3 {
			o := exectest.Random(r, exectest.RandomParams(r, 120))
			_, _ = exec.Execute(ctx, exectest.VM{B: o}, len(o.Txs), o.Base, forced(1+j))
		}
		sameOutput(t, what+", after later blocks", want, out)
	}
}
