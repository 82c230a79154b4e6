package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/exec/exectest"
)

// execRow is one measurement: a workload at a transaction cost and worker count.
type execRow struct {
	Workload    string  `json:"workload"`
	CostUS      int     `json:"cost_us"`
	Txs         int     `json:"txs"`
	Workers     int     `json:"workers"`
	Engine      bool    `json:"engine_forced"` // Block-STM forced even where Execute would run sequentially
	SeqMS       float64 `json:"sequential_ms"` // median
	ParMS       float64 `json:"parallel_ms"`   // median
	Speedup     float64 `json:"speedup"`
	ExecPerTx   float64 `json:"executions_per_tx"`
	ValPerTx    float64 `json:"validations_per_tx"`
	AbortPerTx  float64 `json:"aborts_per_tx"`
	SuspPerTx   float64 `json:"suspensions_per_tx"`
	Fallbacks   int     `json:"chain_fallbacks"`          // runs that switched to sequential mid-block
	SwitchAt    float64 `json:"mean_switch_tx,omitempty"` // mean first sequential tx of those runs
	Runs        int     `json:"runs"`
	SeqSpreadPc float64 `json:"sequential_spread_pct"` // (max-min)/median of the sequential runs
	ParSpreadPc float64 `json:"parallel_spread_pct"`
}

type execReport struct {
	runInfo
	Rows  []execRow `json:"rows"`
	Sweep []execRow `json:"min_parallel_sweep,omitempty"`
}

func runExec(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		jsonOut   = fs.Bool("json", false, "print JSON instead of a table")
		txs       = fs.Int("txs", 1000, "transactions per block")
		costs     = fs.String("costs", "5,20,50", "CPU cost per transaction in µs (comma-separated)")
		workloads = fs.String("workloads", strings.Join(exectest.Workloads(), ","), "workloads (comma-separated)")
		workers   = fs.String("workers", defaultWorkers(), "worker counts (comma-separated)")
		runs      = fs.Int("runs", 9, "timed runs per measurement; the median is reported")
		engine1   = fs.Bool("engine1", true, "also measure the Block-STM engine forced at 1 worker")
		sweep     = fs.Bool("sweep", false, "measure small blocks to find the sequential threshold (MinParallel)")
		seed      = fs.Uint64("seed", 1, "workload seed")
		noChain   = fs.Bool("nochain", false, "disable the chain fallback (measure plain Block-STM)")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: farol-bench exec [flags]\n\nMeasures spn/exec on a synthetic VM: speedup of Execute over ExecuteSequential in the same run.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	costList, err := ints(*costs)
	if err != nil {
		return fmt.Errorf("-costs: %w", err)
	}
	workerList, err := ints(*workers)
	if err != nil {
		return fmt.Errorf("-workers: %w", err)
	}
	if *runs < 1 || *txs < 1 {
		return errors.New("-runs and -txs must be positive")
	}
	rep := execReport{runInfo: newRunInfo("exec", args)}
	if !*jsonOut {
		fmt.Fprintf(stdout, "# %s, %d CPUs, GOMAXPROCS %d, load before: %s\n", rep.GoVersion, rep.NumCPU, runtime.GOMAXPROCS(0), rep.LoadAvg)
	}
	if *sweep {
		rows, err := sweepMinParallel(costList, *runs, *seed)
		if err != nil {
			return err
		}
		rep.Sweep = rows
	} else {
		for _, cost := range costList {
			rounds := exectest.Calibrate(time.Duration(cost) * time.Microsecond)
			for _, wl := range strings.Split(*workloads, ",") {
				b, err := exectest.Workload(wl, *txs, rounds, *seed)
				if err != nil {
					return err
				}
				rows, err := measure(b, wl, cost, workerList, *engine1, *noChain, *runs)
				if err != nil {
					return err
				}
				rep.Rows = append(rep.Rows, rows...)
				if !*jsonOut {
					fmt.Fprintf(stderr, "done: %s at %d µs\n", wl, cost)
				}
			}
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if len(rep.Rows) > 0 {
		printTable(stdout, rep.Rows)
	}
	if len(rep.Sweep) > 0 {
		printSweep(stdout, rep.Sweep)
	}
	return nil
}

func defaultWorkers() string {
	ws := []string{"1", "2"}
	for w := 4; w <= runtime.NumCPU(); w *= 2 {
		ws = append(ws, strconv.Itoa(w))
	}
	return strings.Join(ws, ",")
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad value %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

type config struct {
	workers int
	engine  bool
}

// measure times the sequential path and each worker count on the same block,
// interleaving them run by run so that a disturbance hits all of them alike.
func measure(b *exectest.Block, wl string, cost int, workers []int, engine1, noChain bool, runs int) ([]execRow, error) {
	var cfgs []config
	for _, w := range workers {
		cfgs = append(cfgs, config{workers: w})
		if w == 1 && engine1 {
			cfgs = append(cfgs, config{workers: 1, engine: true})
		}
	}
	vm := exectest.VM{B: b}
	n := len(b.Txs)
	ctx := context.Background()
	seqT := make([]time.Duration, 0, runs)
	parT := make([][]time.Duration, len(cfgs))
	stats := make([]exec.Stats, len(cfgs))
	fallbacks := make([]int, len(cfgs))
	switchAt := make([]int, len(cfgs))
	want, err := exec.ExecuteSequential(ctx, vm, n, b.Base, exec.Config{})
	if err != nil {
		return nil, err
	}
	sequential := func(r int) error {
		runtime.GC()
		start := time.Now()
		if _, err := exec.ExecuteSequential(ctx, vm, n, b.Base, exec.Config{}); err != nil {
			return err
		}
		if el := time.Since(start); r >= 0 {
			seqT = append(seqT, el)
		}
		return nil
	}
	for r := -1; r < runs; r++ { // run -1 warms up
		// Alternate the order so that neither path always runs first after the other.
		if r%2 == 0 {
			if err := sequential(r); err != nil {
				return nil, err
			}
		}
		for i, c := range cfgs {
			runtime.GC()
			cfg := exec.Config{Workers: c.workers, ForceParallel: c.engine, NoChainFallback: noChain}
			start := time.Now()
			out, err := exec.Execute(ctx, vm, n, b.Base, cfg)
			el := time.Since(start)
			if err != nil {
				return nil, err
			}
			if r < 0 {
				if err := sameOutput(want, out); err != nil {
					return nil, fmt.Errorf("%s, %d workers: %w", wl, c.workers, err)
				}
				continue
			}
			parT[i] = append(parT[i], el)
			s := &stats[i]
			s.Executions += out.Stats.Executions
			s.Validations += out.Stats.Validations
			s.Aborts += out.Stats.Aborts
			s.Suspensions += out.Stats.Suspensions
			if out.Stats.Mode == exec.ModeParallelThenSequential {
				fallbacks[i]++
				switchAt[i] += out.Stats.SequentialFrom
			}
		}
		if r%2 != 0 {
			if err := sequential(r); err != nil {
				return nil, err
			}
		}
	}
	seqMed, seqSpread := median(seqT)
	rows := make([]execRow, len(cfgs))
	per := float64(n * runs)
	for i, c := range cfgs {
		parMed, parSpread := median(parT[i])
		rows[i] = execRow{
			Workload: wl, CostUS: cost, Txs: n, Workers: c.workers, Engine: c.engine,
			SeqMS: ms(seqMed), ParMS: ms(parMed), Speedup: float64(seqMed) / float64(parMed),
			ExecPerTx: float64(stats[i].Executions) / per, ValPerTx: float64(stats[i].Validations) / per,
			AbortPerTx: float64(stats[i].Aborts) / per, SuspPerTx: float64(stats[i].Suspensions) / per,
			Fallbacks: fallbacks[i], Runs: runs, SeqSpreadPc: seqSpread, ParSpreadPc: parSpread,
		}
		if fallbacks[i] > 0 {
			rows[i].SwitchAt = float64(switchAt[i]) / float64(fallbacks[i])
		}
	}
	return rows, nil
}

// sweepMinParallel measures small no-conflict blocks at 2 workers (Block-STM forced)
// against the sequential path; the smallest size that wins is the threshold below
// which Execute should run sequentially.
func sweepMinParallel(costs []int, runs int, seed uint64) ([]execRow, error) {
	ctx := context.Background()
	var rows []execRow
	for _, cost := range costs {
		r, err := sweepCost(ctx, cost, runs, seed)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

func sweepCost(ctx context.Context, cost, runs int, seed uint64) ([]execRow, error) {
	rounds := exectest.Calibrate(time.Duration(cost) * time.Microsecond)
	var rows []execRow
	for _, n := range []int{2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256} {
		b, err := exectest.Workload("no-conflict", n, rounds, seed)
		if err != nil {
			return nil, err
		}
		vm := exectest.VM{B: b}
		reps := max(1, 10000/(n*cost)) // about 10 ms of sequential work per sample
		var seqT, parT []time.Duration
		for r := -1; r < runs; r++ {
			runtime.GC()
			start := time.Now()
			for k := 0; k < reps; k++ {
				if _, err := exec.ExecuteSequential(ctx, vm, n, b.Base, exec.Config{}); err != nil {
					return nil, err
				}
			}
			s := time.Since(start)
			runtime.GC()
			start = time.Now()
			for k := 0; k < reps; k++ {
				if _, err := exec.Execute(ctx, vm, n, b.Base, exec.Config{Workers: 2, ForceParallel: true}); err != nil {
					return nil, err
				}
			}
			p := time.Since(start)
			if r >= 0 {
				seqT, parT = append(seqT, s/time.Duration(reps)), append(parT, p/time.Duration(reps))
			}
		}
		sm, ss := median(seqT)
		pm, ps := median(parT)
		rows = append(rows, execRow{Workload: "no-conflict (sweep)", CostUS: cost, Txs: n, Workers: 2, Engine: true,
			SeqMS: ms(sm), ParMS: ms(pm), Speedup: float64(sm) / float64(pm), Runs: runs, SeqSpreadPc: ss, ParSpreadPc: ps})
	}
	return rows, nil
}

func sameOutput(want, got *exec.Output[exectest.Result]) error {
	if len(want.Writes) != len(got.Writes) || len(want.Results) != len(got.Results) {
		return errors.New("parallel output differs from sequential")
	}
	for i := range want.Writes {
		if want.Writes[i].Key != got.Writes[i].Key || string(want.Writes[i].Value) != string(got.Writes[i].Value) {
			return fmt.Errorf("write %d differs from sequential", i)
		}
	}
	for i := range want.Results {
		if want.Results[i].Result != got.Results[i].Result || (want.Results[i].Err == nil) != (got.Results[i].Err == nil) {
			return fmt.Errorf("result %d differs from sequential", i)
		}
	}
	return nil
}

func median(ds []time.Duration) (time.Duration, float64) {
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m, 100 * float64(s[len(s)-1]-s[0]) / float64(m)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func printTable(w io.Writer, rows []execRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tcost µs\ttxs\tworkers\tseq ms\tpar ms\tspeedup\texec/tx\tval/tx\tabort/tx\tsusp/tx\tfallbacks\tswitch at\tspread seq/par %\t")
	for _, r := range rows {
		wk := strconv.Itoa(r.Workers)
		if r.Engine {
			wk += "*"
		}
		sw := "-"
		if r.Fallbacks > 0 {
			sw = fmt.Sprintf("%.0f", r.SwitchAt)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.3f\t%.3f\t%.2fx\t%.2f\t%.2f\t%.3f\t%.2f\t%d/%d\t%s\t%.0f/%.0f\t\n",
			r.Workload, r.CostUS, r.Txs, wk, r.SeqMS, r.ParMS, r.Speedup, r.ExecPerTx, r.ValPerTx,
			r.AbortPerTx, r.SuspPerTx, r.Fallbacks, r.Runs, sw, r.SeqSpreadPc, r.ParSpreadPc)
	}
	tw.Flush()
	fmt.Fprintln(w, "workers 1* = Block-STM engine forced at one worker (Execute itself runs the sequential path there)")
	fmt.Fprintln(w)
}

func printSweep(w io.Writer, rows []execRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tcost µs\ttxs\tworkers\tseq µs\tpar µs\tspeedup\tspread seq/par %\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d*\t%.1f\t%.1f\t%.2fx\t%.0f/%.0f\t\n", r.Workload, r.CostUS, r.Txs, r.Workers,
			1000*r.SeqMS, 1000*r.ParMS, r.Speedup, r.SeqSpreadPc, r.ParSpreadPc)
	}
	tw.Flush()
	fmt.Fprintln(w, "workers 2* = Block-STM forced (Execute runs blocks below Config.MinParallel sequentially)")
}
