package wasm_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// BenchmarkBlock runs the farol-bench workloads (AssemblyScript and native) on the
// sequential path and on Block-STM with 1 and 2 workers.
func BenchmarkBlock(b *testing.B) {
	ctx := context.Background()
	eng, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close(ctx)
	for _, name := range []string{"transfers", "as-token", "as-swaps"} {
		wl, err := wasmtest.NewWorkload(eng, name, 200, 1)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			cfg  exec.Config
		}{{"sequential", exec.Config{Workers: 1}}, {"w1", exec.Config{Workers: 1, ForceParallel: true}}, {"w2", exec.Config{Workers: 2, ForceParallel: true}}} {
			b.Run(fmt.Sprintf("%s/%s", name, c.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := eng.ExecuteBlock(ctx, wl.Block, wl.World.State, c.cfg); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(wl.Block.Txs)), "µs/tx")
			})
		}
	}
}

// BenchmarkExecuteOnly reports the two phases of a block apart (Timing: sender
// recovery, then execution), with the default engine, with instance reuse turned off
// and with wazero's close-on-context-done turned on.
func BenchmarkExecuteOnly(b *testing.B) {
	ctx := context.Background()
	for _, ec := range []struct {
		name string
		cfg  wasm.Config
	}{
		{"default", wasm.Config{ChainID: wasmtest.ChainID}},
		{"noReuse", wasm.Config{ChainID: wasmtest.ChainID, NoInstanceReuse: true}},
		{"closeOnCtxDone", wasm.Config{ChainID: wasmtest.ChainID, CloseOnContextDone: true}},
	} {
		eng, err := wasm.New(ctx, ec.cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close(ctx)
		wl, err := wasmtest.NewWorkload(eng, "as-token", 200, 1)
		if err != nil {
			b.Fatal(err)
		}
		executeOnly(b, ec.name, eng, wl)
	}
}

// BenchmarkExecuteHinted runs a 400-transfer AS token block whose senders are given
// (Block.Senders, as a node's CheckTx cache gives them), so only execution is timed,
// on the sequential path and on Block-STM with 1 and 2 workers. cpu-µs/tx is the
// process' CPU time (getrusage) per transaction: against µs/tx it shows how busy the
// goroutines were, and against the sequential path what running two workers costs.
func BenchmarkExecuteHinted(b *testing.B) {
	ctx := context.Background()
	eng, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close(ctx)
	wl, err := wasmtest.NewWorkload(eng, "as-token", 400, 1)
	if err != nil {
		b.Fatal(err)
	}
	blk := *wl.Block
	blk.Senders = make([]wasm.Address, len(blk.Txs))
	for i, raw := range blk.Txs {
		tx, err := wasm.DecodeTx(raw)
		if err != nil {
			b.Fatal(err)
		}
		if blk.Senders[i], err = tx.Sender(); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		cfg  exec.Config
	}{{"sequential", exec.Config{Workers: 1}}, {"w1", exec.Config{Workers: 1, ForceParallel: true}}, {"w2", exec.Config{Workers: 2, ForceParallel: true}}} {
		b.Run(c.name, func(b *testing.B) {
			var r0, r1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			for b.Loop() {
				if _, err := eng.ExecuteBlock(ctx, &blk, wl.World.State, c.cfg); err != nil {
					b.Fatal(err)
				}
			}
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
			cpu := r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano()
			n := float64(b.N * len(blk.Txs))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1000/n, "µs/tx")
			b.ReportMetric(float64(cpu)/1000/n, "cpu-µs/tx")
		})
	}
}

func executeOnly(b *testing.B, name string, eng *wasm.Engine, wl *wasmtest.Workload) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  exec.Config
	}{{"sequential", exec.Config{Workers: 1}}, {"w2", exec.Config{Workers: 2, ForceParallel: true}}} {
		b.Run(name+"/"+c.name, func(b *testing.B) {
			var exe, snd int64
			for b.Loop() {
				res, err := eng.ExecuteBlock(ctx, wl.Block, wl.World.State, c.cfg)
				if err != nil {
					b.Fatal(err)
				}
				exe += res.Timing.Execute.Microseconds()
				snd += res.Timing.Senders.Microseconds()
			}
			n := float64(b.N * len(wl.Block.Txs))
			b.ReportMetric(float64(exe)/n, "exec-µs/tx")
			b.ReportMetric(float64(snd)/n, "senders-µs/tx")
		})
	}
}

// BenchmarkCall is one query of the AssemblyScript counter: fresh instance,
// _initialize and call, with and without wazero's close-on-context-done.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	for _, closeOnDone := range []bool{false, true} {
		b.Run(fmt.Sprintf("closeOnCtxDone=%v", closeOnDone), func(b *testing.B) {
			eng, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID, CloseOnContextDone: closeOnDone})
			if err != nil {
				b.Fatal(err)
			}
			defer eng.Close(ctx)
			w, _ := wasmtest.NewWorld(eng, 1)
			code, _ := wasmtest.Contract("as_counter")
			addr, err := w.Deploy(0, code, nil)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, err := eng.Query(ctx, w.State, wasm.BlockInfo{}, wasm.Address{}, addr, []byte{1}, 1e8); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
