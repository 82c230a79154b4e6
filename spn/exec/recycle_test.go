package exec_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/exec/exectest"
)

// TestOutputOutlivesRecycling checks that a block's output stays as it was while later
// blocks run: the executor recycles its workers' buffers, the multi-version memory and
// the sequential path's state from block to block, and none of that may be the output
// (a worker's part of the write set is the output when the other workers wrote
// nothing).
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
		keep := &exec.Output[exectest.Result]{Writes: cloneWrites(want.Writes), Results: want.Results}
		cfg := forced(2 + seed%3)
		if seed%2 == 1 { // end in the sequential tail (its own recycled state)
			cfg = exec.WithStopAfter(cfg, int64(1+r.IntN(len(b.Txs)+1)))
		}
		out, err := exec.Execute(ctx, vm, len(b.Txs), b.Base, cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		what := fmt.Sprintf("seed %d", seed)
		sameOutput(t, what, want, out)
		for j := range 4 {
			o := exectest.Random(r, exectest.RandomParams(r, 120))
			ov := exectest.VM{B: o}
			if j == 0 {
				_, _ = exec.ExecuteSequential(ctx, ov, len(o.Txs), o.Base, exec.Config{})
			} else {
				_, _ = exec.Execute(ctx, ov, len(o.Txs), o.Base, exec.WithStopAfter(forced(j), int64(1+r.IntN(len(o.Txs)+1))))
				_, _ = exec.Execute(ctx, ov, len(o.Txs), o.Base, forced(j))
			}
		}
		sameOutput(t, what+", after later blocks", keep, out)
		sameOutput(t, what+", the sequential output after later blocks", keep, want)
	}
}

func cloneWrites(ws []exec.Write) []exec.Write {
	out := make([]exec.Write, len(ws))
	for i, w := range ws {
		out[i] = exec.Write{Key: w.Key, Value: bytes.Clone(w.Value)}
		if w.Value == nil {
			out[i].Value = nil
		}
	}
	return out
}
