package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// wasmRow is one workload: the sequential path against Block-STM at each worker count,
// in the same process and on the same pre-state.
type wasmRow struct {
	Workload   string       `json:"workload"`
	Txs        int          `json:"txs"`
	GasPerTx   float64      `json:"gas_per_tx"`
	ResultsOK  bool         `json:"results_match"`
	Sequential wasmRun      `json:"sequential"`
	Parallel   []wasmParRun `json:"parallel"`
}

type wasmRun struct {
	MS        float64 `json:"ms"` // median: sender recovery + execution
	SpreadPc  float64 `json:"spread_pct"`
	TxPerS    float64 `json:"tx_per_s"`
	USPerTx   float64 `json:"us_per_tx"`
	SendersMS float64 `json:"senders_ms"`      // median of the sender-recovery phase
	ExecMS    float64 `json:"execute_ms"`      // median of the execution phase
	AllocKB   float64 `json:"alloc_kb_per_tx"` // median Go heap allocated per transaction
}

type wasmParRun struct {
	Workers int `json:"workers"`
	wasmRun
	Speedup     float64 `json:"speedup_vs_sequential"`
	Mode        string  `json:"mode"`
	AbortsPerTx float64 `json:"aborts_per_tx"`
}

// callCost is the cost of one contract call per SDK: an instance (reused unless
// -reuse=false), runtime initialisation (_initialize) and the call (the counter's read).
type callCost struct {
	SDK             string  `json:"sdk"`
	CodeKB          float64 `json:"code_kb"`
	InstrumentedKB  float64 `json:"instrumented_kb"`
	CompileColdMS   float64 `json:"compile_cold_ms"`   // instrument + compile, empty cache
	CompileCachedMS float64 `json:"compile_cached_ms"` // instrument + load from the on-disk cache
	CallUS          float64 `json:"call_us"`           // median instantiate + call
	AllocKB         float64 `json:"alloc_kb"`          // Go heap allocated per call
	Gas             uint64  `json:"gas"`               // gas of that call
}

// evmCmp is the ERC-20 transfer workload on spn/evm (the same token logic in Solidity).
type evmCmp struct {
	Txs     int     `json:"txs"`
	Workers int     `json:"workers"`
	MS      float64 `json:"ms"`         // sender recovery + execution + state root
	ExecMS  float64 `json:"execute_ms"` // execution only
	TxPerS  float64 `json:"tx_per_s"`
	Speedup float64 `json:"speedup_vs_geth"`
}

type wasmReport struct {
	runInfo
	GOGC        int          `json:"gogc"`
	Reuse       bool         `json:"instance_reuse"`
	CloseOnDone bool         `json:"close_on_context_done"`
	Rows        []wasmRow    `json:"rows"`
	Calls       []callCost   `json:"call_cost"`
	EVM         []evmCmp     `json:"evm_erc20,omitempty"`
	Scaling     []scalingRow `json:"scaling,omitempty"`
	Ceiling     []ceilingRow `json:"ceiling,omitempty"`
}

func runWasm(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wasm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		jsonOut   = fs.Bool("json", false, "print JSON instead of a table")
		n         = fs.Int("n", 400, "transactions per block (native and AssemblyScript workloads)")
		goN       = fs.Int("gon", 48, "transactions per block for the Go-SDK workloads (a Go call costs milliseconds)")
		workloads = fs.String("workloads", strings.Join(wasmtest.Workloads(), ","), "workloads (comma-separated)")
		workers   = fs.String("workers", "1,2", "Block-STM worker counts (comma-separated)")
		runs      = fs.Int("runs", 5, "runs per measurement (median reported)")
		seed      = fs.Uint64("seed", 1, "workload seed")
		withEVM   = fs.Bool("evm", true, "also run the ERC-20 workload on spn/evm")
		gogc      = fs.Int("gogc", 0, "set the GC target percentage (debug.SetGCPercent) for the run; 0 keeps GOGC")
		scaling   = fs.Bool("scaling", true, "also measure how keccak, ecrecover and a multiply loop scale from 1 to 2 goroutines on this machine")
		reuse     = fs.Bool("reuse", true, "reuse finished contract instances (reset to their initial state); false creates one per call")
		ceiling   = fs.String("ceiling", "transfers,as-token", "workloads whose ceiling to measure: the sequential path in one copy alone, then in two at once, as processes and as goroutines (comma-separated; empty for none)")
		ceilRuns  = fs.Int("ceiling-rounds", 4, "rounds of the ceiling measurement (one copy alone, then two; the order alternates)")
		ceilBlks  = fs.Int("ceiling-blocks", 20, "blocks each copy runs per round of the ceiling measurement")
		closeOn   = fs.Bool("close-on-ctx", false, "turn on wazero's close-on-context-done (wasm.Config.CloseOnContextDone: a watcher goroutine per call, as the node's RPC reads run)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ws, err := ints(*workers)
	if err != nil {
		return err
	}
	// blockSize is a workload's block: -gon transactions for the Go-SDK ones.
	blockSize := func(name string) int {
		if strings.HasPrefix(name, "go-") {
			return *goN
		}
		return *n
	}
	report := wasmReport{runInfo: newRunInfo("wasm", args), Reuse: *reuse, CloseOnDone: *closeOn}
	if *gogc > 0 {
		old := debug.SetGCPercent(*gogc)
		defer debug.SetGCPercent(old)
	}
	report.GOGC = debug.SetGCPercent(-1)
	debug.SetGCPercent(report.GOGC)
	if *scaling {
		report.Scaling = measureScaling(*runs)
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "farol-wasm-cache")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	eng, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID, CacheDir: dir, NoInstanceReuse: !*reuse, CloseOnContextDone: *closeOn})
	if err != nil {
		return err
	}
	defer eng.Close(ctx)

	for _, name := range strings.Split(*workloads, ",") {
		name = strings.TrimSpace(name)
		size := blockSize(name)
		row, err := measureWasm(eng, name, size, ws, *runs, *seed)
		if err != nil {
			return err
		}
		report.Rows = append(report.Rows, *row)
		if !*jsonOut {
			fmt.Fprintf(stderr, "done %s\n", name)
		}
	}
	for _, sdk := range []string{"as", "go"} {
		c, err := measureCall(eng, sdk)
		if err != nil {
			return err
		}
		report.Calls = append(report.Calls, *c)
	}
	if *withEVM {
		row, err := measureEVM("erc20", uint64(*n)*35_000, ws, *runs, int64(*seed))
		if err != nil {
			return err
		}
		for _, e := range row.Engine {
			report.EVM = append(report.EVM, evmCmp{Txs: row.Txs, Workers: e.Workers, MS: e.MS, ExecMS: e.SendersMS + e.ExecMS, TxPerS: e.TxPerS, Speedup: e.Speedup})
		}
	}
	for _, name := range strings.Split(*ceiling, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		size := blockSize(name)
		for _, phase := range []string{"block", "execute"} {
			row, err := measureCeiling(name, phase, size, *seed, *ceilRuns, *ceilBlks, *gogc)
			if err != nil {
				return err
			}
			report.Ceiling = append(report.Ceiling, *row)
			if row, err = measureCeilingGoroutines(eng, name, phase, size, *seed, *ceilRuns, *ceilBlks); err != nil {
				return err
			}
			report.Ceiling = append(report.Ceiling, *row)
		}
		if !*jsonOut {
			fmt.Fprintf(stderr, "done ceiling %s\n", name)
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	return printWasm(stdout, &report)
}

func measureWasm(eng *wasm.Engine, name string, n int, workers []int, runs int, seed uint64) (*wasmRow, error) {
	wl, err := wasmtest.NewWorkload(eng, name, n, seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ctx := context.Background()
	cfgs := []exec.Config{{Workers: 1}} // sequential path
	for _, w := range workers {
		cfgs = append(cfgs, exec.Config{Workers: w, ForceParallel: true})
	}
	times := make([][]time.Duration, len(cfgs))
	senders := make([][]time.Duration, len(cfgs))
	execs := make([][]time.Duration, len(cfgs))
	allocs := make([][]time.Duration, len(cfgs)) // bytes, as durations for median
	stats := make([]exec.Stats, len(cfgs))
	var ref *wasm.BlockResult
	ok := true
	for r := 0; r < runs+1; r++ { // run 0 warms up (compiles the contracts' instances)
		for k := range cfgs {
			i := k
			if r%2 == 1 {
				i = len(cfgs) - 1 - k
			}
			var res *wasm.BlockResult
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			d, _, err := timed(func() error {
				var err error
				res, err = eng.ExecuteBlock(ctx, wl.Block, wl.World.State, cfgs[i])
				return err
			})
			runtime.ReadMemStats(&m1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if ref == nil {
				ref = res
				for j, rc := range res.Receipts {
					if rc.Status != wasm.StatusOK {
						return nil, fmt.Errorf("%s: tx %d: %v %v", name, j, rc.Status, rc.Err)
					}
				}
			} else if !reflect.DeepEqual(res.Writes, ref.Writes) || wasm.ReceiptsHash(res.Receipts) != wasm.ReceiptsHash(ref.Receipts) {
				ok = false
			}
			if r > 0 {
				times[i] = append(times[i], d)
				senders[i] = append(senders[i], res.Timing.Senders)
				execs[i] = append(execs[i], res.Timing.Execute)
				allocs[i] = append(allocs[i], time.Duration(m1.TotalAlloc-m0.TotalAlloc))
			}
			stats[i] = res.Stats
		}
	}
	nf := float64(n)
	mk := func(i int) wasmRun {
		med, spread := median(times[i])
		snd, _ := median(senders[i])
		exe, _ := median(execs[i])
		al, _ := median(allocs[i])
		return wasmRun{MS: ms(med), SpreadPc: spread, TxPerS: nf / med.Seconds(), USPerTx: float64(med.Microseconds()) / nf,
			SendersMS: ms(snd), ExecMS: ms(exe), AllocKB: float64(al) / 1024 / nf}
	}
	row := &wasmRow{Workload: name, Txs: n, GasPerTx: float64(ref.GasUsed) / nf, ResultsOK: ok, Sequential: mk(0)}
	for i, w := range workers {
		run := mk(i + 1)
		row.Parallel = append(row.Parallel, wasmParRun{Workers: w, wasmRun: run, Speedup: row.Sequential.MS / run.MS,
			Mode: stats[i+1].Mode.String(), AbortsPerTx: float64(stats[i+1].Aborts) / nf})
	}
	if !ok {
		return row, fmt.Errorf("%s: parallel results differ from sequential", name)
	}
	return row, nil
}

func measureCall(eng *wasm.Engine, sdk string) (*callCost, error) {
	ctx := context.Background()
	code, err := wasmtest.Contract(sdk + "_counter")
	if err != nil {
		return nil, err
	}
	c := &callCost{SDK: sdk, CodeKB: float64(len(code)) / 1024}
	// Cold: a fresh engine on an empty cache directory. Cached: another fresh engine on
	// the same directory, which the first one filled (a node restart).
	dir, err := os.MkdirTemp("", "farol-wasm-call")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for i := 0; i < 2; i++ {
		e, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID, CacheDir: dir})
		if err != nil {
			return nil, err
		}
		start := time.Now()
		info, err := e.Upload(code)
		d := time.Since(start)
		e.Close(ctx)
		if err != nil {
			return nil, err
		}
		c.InstrumentedKB = float64(len(info.Code)) / 1024
		if i == 0 {
			c.CompileColdMS = ms(d)
		} else {
			c.CompileCachedMS = ms(d)
		}
	}
	w, err := wasmtest.NewWorld(eng, 1)
	if err != nil {
		return nil, err
	}
	addr, err := w.Deploy(0, code, nil)
	if err != nil {
		return nil, err
	}
	calls := 300
	if sdk == "go" {
		calls = 40
	}
	var ds []time.Duration
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < calls; i++ {
		start := time.Now()
		_, gas, err := eng.Query(ctx, w.State, wasm.BlockInfo{Height: 1, Time: 1}, wasm.Address{}, addr, []byte{1}, 100_000_000)
		ds = append(ds, time.Since(start))
		if err != nil {
			return nil, err
		}
		c.Gas = gas
	}
	runtime.ReadMemStats(&m1)
	c.AllocKB = float64(m1.TotalAlloc-m0.TotalAlloc) / 1024 / float64(calls)
	med, _ := median(ds)
	c.CallUS = float64(med.Nanoseconds()) / 1e3
	return c, nil
}

func printWasm(stdout io.Writer, r *wasmReport) error {
	fmt.Fprintf(stdout, "%s  (%s, %d CPUs, GOGC %d, instance reuse %v, close on context done %v, load before: %s)\n", r.Command, r.GoVersion, r.NumCPU, r.GOGC, r.Reuse, r.CloseOnDone, r.LoadAvg)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttxs\tgas/tx\tpath\tms\tspread%\ttx/s\tµs/tx\tsenders|exec ms\tspeedup\taborts/tx\tKB/tx\tmode\tmatch\t")
	for _, row := range r.Rows {
		s := row.Sequential
		fmt.Fprintf(tw, "%s\t%d\t%.0f\tsequential\t%.1f\t%.0f\t%.0f\t%.1f\t%.1f|%.1f\t1.00\t\t%.1f\t\t%v\t\n", row.Workload, row.Txs, row.GasPerTx, s.MS, s.SpreadPc, s.TxPerS, s.USPerTx, s.SendersMS, s.ExecMS, s.AllocKB, row.ResultsOK)
		for _, p := range row.Parallel {
			fmt.Fprintf(tw, "\t\t\tblock-stm w=%d\t%.1f\t%.0f\t%.0f\t%.1f\t%.1f|%.1f\t%.2f\t%.3f\t%.1f\t%s\t\t\n", p.Workers, p.MS, p.SpreadPc, p.TxPerS, p.USPerTx, p.SendersMS, p.ExecMS, p.Speedup, p.AbortsPerTx, p.AllocKB, p.Mode)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nper call (instance + _initialize + counter read; a Go instance is never reused, its memory grows):")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "sdk\tcode KiB\tinstrumented KiB\tcompile cold ms\tcompile cached ms\tcall µs\talloc KB\tgas\t")
	for _, c := range r.Calls {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t\n", c.SDK, c.CodeKB, c.InstrumentedKB, c.CompileColdMS, c.CompileCachedMS, c.CallUS, c.AllocKB, c.Gas)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.EVM) > 0 {
		fmt.Fprintln(stdout, "\nsame token logic on spn/evm (ERC-20 transfers, Solidity):")
		tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "txs\tworkers\tms (incl. state root)\tsenders+exec ms\ttx/s\tspeedup vs geth\t")
		for _, e := range r.EVM {
			fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.1f\t%.0f\t%.2f\t\n", e.Txs, e.Workers, e.MS, e.ExecMS, e.TxPerS, e.Speedup)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, sc := range r.Scaling {
		printScaling(stdout, sc)
	}
	if len(r.Ceiling) > 0 {
		fmt.Fprintln(stdout, "\nceiling: the block on the sequential path, one copy alone, then two copies at once (processes: nothing shared; goroutines: one process and engine):")
		tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "workload\tphase\tcopies\trounds\talone ms\tpair ms\tpair blocks\t2 copies vs 1\t")
		for _, c := range r.Ceiling {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.2f\t%.2f\t%d\t%.2f\t\n", c.Workload, c.Phase, c.Copies, c.Rounds, c.AloneMS, c.PairMS, c.Blocks, c.Speedup)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, row := range r.Rows {
			for _, c := range r.Ceiling {
				if c.Workload != row.Workload || c.Phase != "block" || c.Copies != "processes" {
					continue
				}
				for _, p := range row.Parallel {
					if p.Workers == 2 {
						fmt.Fprintf(stdout, "%s: block-stm w=2 %.2fx is %.0f%% of the ceiling (%.2fx, two processes)\n", row.Workload, p.Speedup, 100*p.Speedup/c.Speedup, c.Speedup)
					}
				}
			}
		}
	}
	return nil
}
