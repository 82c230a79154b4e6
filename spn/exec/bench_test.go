package exec_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/exec/exectest"
)

// BenchmarkOverhead measures the executor's own cost per transaction: the synthetic
// transactions do no CPU work, so the time is the bookkeeping of each path. The full
// comparison with CPU-bound transactions is `farol-bench exec` (docs/bench/exec.md).
func BenchmarkOverhead(b *testing.B) {
	for _, wl := range []string{"no-conflict", "hot-10", "hot-100", "random-10000-keys"} {
		blk, err := exectest.Workload(wl, 1000, 0, 1)
		if err != nil {
			b.Fatal(err)
		}
		vm := exectest.VM{B: blk}
		for _, c := range []struct {
			name string
			cfg  exec.Config
			seq  bool
		}{
			{"sequential", exec.Config{}, true},
			{"engine-1", exec.Config{Workers: 1, ForceParallel: true}, false},
			{"engine-2", exec.Config{Workers: 2, ForceParallel: true, NoChainFallback: true}, false},
			{"execute-2", exec.Config{Workers: 2}, false},
			{"tail-2", exec.WithStopAfter(exec.Config{Workers: 2, ForceParallel: true}, 1), false},
		} {
			b.Run(fmt.Sprintf("%s/%s", wl, c.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if c.seq {
						_, err = exec.ExecuteSequential(context.Background(), vm, len(blk.Txs), blk.Base, c.cfg)
					} else {
						_, err = exec.Execute(context.Background(), vm, len(blk.Txs), blk.Base, c.cfg)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(blk.Txs)), "ns/tx")
			})
		}
	}
}
