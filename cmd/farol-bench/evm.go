package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/ecrecover"
	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
	"github.com/farolnet/farol/spn/exec"
)

// evmRow is one workload: stock go-ethereum against spn/evm at each worker count.
type evmRow struct {
	Workload string      `json:"workload"`
	Txs      int         `json:"txs"`
	Mgas     float64     `json:"mgas"`
	RootsOK  bool        `json:"roots_match"`
	Geth     evmRun      `json:"geth"`
	Engine   []evmEngRun `json:"spn_evm"`
}

type evmRun struct {
	MS          float64 `json:"ms"`         // median, execution plus state root
	SpreadPc    float64 `json:"spread_pct"` // (max-min)/median of the runs
	MgasPerS    float64 `json:"mgas_per_s"`
	TxPerS      float64 `json:"tx_per_s"`
	AllocsPerTx float64 `json:"allocs_per_tx"`
}

type evmEngRun struct {
	Workers int `json:"workers"`
	evmRun
	Speedup    float64 `json:"speedup_vs_geth"`
	Mode       string  `json:"mode"`
	SendersMS  float64 `json:"senders_ms"` // of the last run
	ExecMS     float64 `json:"execute_ms"`
	CommitMS   float64 `json:"commit_ms"`
	AbortPerTx float64 `json:"aborts_per_tx"`
}

type evmReport struct {
	runInfo
	Rows    []evmRow     `json:"rows"`
	Scaling []scalingRow `json:"scaling,omitempty"`
}

// scalingRow is the speedup of a CPU kernel run by 2 goroutines over 1 (same total work).
type scalingRow struct {
	Kernel  string  `json:"kernel"`
	Speedup float64 `json:"speedup_2_over_1"`
	Threads bool    `json:"c_threads,omitempty"` // on POSIX threads outside the Go scheduler, not goroutines
}

// measureScaling tells how much a second goroutine adds on this machine for the
// kernels the workloads spend their time in (median of runs). Each goroutine keeps its
// own state (nothing shared is written while they run). Since session 8 the recovery
// kernel is the engines' own: a batch per cgo call (spn/ecrecover); before,
// it was one crypto.Ecrecover call per signature, and the multiply loop wrote a shared
// variable every 50 multiplications. Since session 10 it recovers distinct signatures,
// next to the same library on C threads (recoveryScaling).
func measureScaling(runs int) []scalingRow {
	buf := make([]byte, 136)
	type state struct {
		x uint64
		_ [64]byte
	}
	kernels := []struct {
		name string
		n    int
		f    func(st *state)
	}{
		{"keccak256 (136 B)", 200_000, func(st *state) { st.x += uint64(crypto.Keccak256(buf)[0]) }},
		{"multiply-add chain", 2_000_000, func(st *state) {
			x := st.x
			for i := 0; i < 50; i++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
			st.x = x
		}},
	}
	var rows []scalingRow
	var sink atomic.Uint64
	for _, k := range kernels {
		var r1, r2 []time.Duration
		for r := 0; r < runs; r++ {
			for _, g := range []int{1, 2} {
				start := time.Now()
				var wg sync.WaitGroup
				for range g {
					wg.Add(1)
					go func() {
						defer wg.Done()
						st := new(state)
						for i := 0; i < k.n/g; i++ {
							k.f(st)
						}
						sink.Add(st.x)
					}()
				}
				wg.Wait()
				if g == 1 {
					r1 = append(r1, time.Since(start))
				} else {
					r2 = append(r2, time.Since(start))
				}
			}
		}
		m1, _ := median(r1)
		m2, _ := median(r2)
		rows = append(rows, scalingRow{Kernel: k.name, Speedup: float64(m1) / float64(m2)})
	}
	rows = append(rows, recoveryScaling(runs)...)
	return rows
}

// recoveryScaling measures sender recovery, 3,200 distinct signatures, on 1 and then
// 2 goroutines in batches (one cgo call per ecrecover.BatchSize, as spn/evm
// recovers), in one shared cgo call per goroutine (ecrecover.Shared, as spn/wasm
// recovers) and, in the same rounds, on 1 and then 2 POSIX threads that the Go
// scheduler does not run (ecrecover.OnThreads; left out without cgo). The thread row
// tells whether Go adds a loss of its own or the host gives no more
// (docs/bench/wasm.md, session 10).
func recoveryScaling(runs int) []scalingRow {
	const n = 3200
	hashes := make([]common.Hash, n)
	sigs := make([]ecrecover.Sig, n)
	for i := range sigs {
		hashes[i] = crypto.Keccak256Hash([]byte(fmt.Sprintf("farol %d", i)))
		key, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("key %d", i%64))))
		if err != nil {
			return nil
		}
		sig, err := crypto.Sign(hashes[i][:], key)
		if err != nil {
			return nil
		}
		copy(sigs[i][:], sig)
	}
	onGoroutines := func(g int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := ecrecover.GetBatch()
				defer ecrecover.PutBatch(b)
				for i := n * w / g; i < n*(w+1)/g; i++ {
					if !b.Add(i, hashes[i], &sigs[i]) {
						b.Recover(func(int, common.Address, bool) {})
						b.Add(i, hashes[i], &sigs[i])
					}
				}
				b.Recover(func(int, common.Address, bool) {})
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	shared := func(g int) time.Duration {
		start := time.Now()
		s := ecrecover.GetShared(n)
		defer ecrecover.PutShared(s)
		for i := range n {
			s.Set(i, hashes[i], &sigs[i])
		}
		s.Run(g)
		return time.Since(start)
	}
	threads := true
	var g1, g2, s1, s2, t1, t2 []time.Duration
	for r := 0; r < runs; r++ {
		g1, g2 = append(g1, onGoroutines(1)), append(g2, onGoroutines(2))
		s1, s2 = append(s1, shared(1)), append(s2, shared(2))
		if threads {
			d1, err1 := ecrecover.OnThreads(1, hashes, sigs)
			d2, err2 := ecrecover.OnThreads(2, hashes, sigs)
			threads = err1 == nil && err2 == nil
			t1, t2 = append(t1, d1), append(t2, d2)
		}
	}
	ratio := func(a, b []time.Duration) float64 {
		ma, _ := median(a)
		mb, _ := median(b)
		return float64(ma) / float64(mb)
	}
	rows := []scalingRow{{Kernel: fmt.Sprintf("ecrecover, %d per cgo call", ecrecover.BatchSize), Speedup: ratio(g1, g2)},
		{Kernel: "ecrecover, one shared cgo call", Speedup: ratio(s1, s2)}}
	if threads {
		rows = append(rows, scalingRow{Kernel: "ecrecover", Speedup: ratio(t1, t2), Threads: true})
	}
	return rows
}

func runEVM(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		jsonOut   = fs.Bool("json", false, "print JSON instead of a table")
		mgas      = fs.Int("mgas", 150, "approximate block size in Mgas")
		workloads = fs.String("workloads", strings.Join(evmtest.Workloads(), ","), "workloads (comma-separated)")
		workers   = fs.String("workers", "1,2", "spn/evm worker counts (comma-separated)")
		runs      = fs.Int("runs", 3, "runs per measurement (median reported)")
		seed      = fs.Int64("seed", 1, "workload seed")
		scaling   = fs.Bool("scaling", false, "also measure how keccak, ecrecover and a multiply loop scale from 1 to 2 goroutines")
		cpuprof   = fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
		stateDB   = fs.String("state", "mem", "spn/evm's state database: mem (evm.MemState, as spnd runs it) or trie (go-ethereum's trie database, as stock geth)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprof != "" {
		stop, err := startCPUProfile(*cpuprof)
		if err != nil {
			return err
		}
		defer stop()
	}
	ws, err := ints(*workers)
	if err != nil {
		return err
	}
	if *stateDB != "mem" && *stateDB != "trie" {
		return fmt.Errorf("-state %q: mem or trie", *stateDB)
	}
	evmMemState = *stateDB == "mem"
	report := evmReport{runInfo: newRunInfo("evm", args)}
	if *scaling {
		report.Scaling = measureScaling(*runs)
	}
	for _, name := range strings.Split(*workloads, ",") {
		row, err := measureEVM(strings.TrimSpace(name), uint64(*mgas)*1_000_000, ws, *runs, *seed)
		if err != nil {
			return err
		}
		report.Rows = append(report.Rows, *row)
		if !*jsonOut {
			fmt.Fprintf(stderr, "done %s\n", name)
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	fmt.Fprintf(stdout, "%s  (%s, %d CPUs, load before: %s)\n", report.Command, report.GoVersion, report.NumCPU, report.LoadAvg)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttxs\tMgas\tengine\tms\tspread%\tMgas/s\ttx/s\tallocs/tx\tspeedup\taborts/tx\tsenders|exec|commit ms\tmode\troots\t")
	for _, r := range report.Rows {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\tgeth\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t1.00\t\t\t\t%v\t\n", r.Workload, r.Txs, r.Mgas, r.Geth.MS, r.Geth.SpreadPc, r.Geth.MgasPerS, r.Geth.TxPerS, r.Geth.AllocsPerTx, r.RootsOK)
		for _, e := range r.Engine {
			fmt.Fprintf(tw, "\t\t\tspn/evm w=%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%.3f\t%.0f|%.0f|%.0f\t%s\t\t\n", e.Workers, e.MS, e.SpreadPc, e.MgasPerS, e.TxPerS, e.AllocsPerTx, e.Speedup, e.AbortPerTx, e.SendersMS, e.ExecMS, e.CommitMS, e.Mode)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, sc := range report.Scaling {
		printScaling(stdout, sc)
	}
	return nil
}

// timed runs f and returns its duration and the heap allocations it made.
func timed(f func() error) (time.Duration, uint64, error) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	err := f()
	d := time.Since(start)
	runtime.ReadMemStats(&m1)
	return d, m1.Mallocs - m0.Mallocs, err
}

// evmMemState runs spn/evm over an evm.MemState (the default); false runs it over
// go-ethereum's trie database, the one stock go-ethereum uses in the same run.
var evmMemState = true

func measureEVM(name string, gas uint64, workers []int, runs int, seed int64) (*evmRow, error) {
	config := evm.DefaultConfig(big.NewInt(7))
	wl, err := evmtest.NewWorkload(config, name, gas, seed)
	if err != nil {
		return nil, err
	}
	db := evm.NewMemoryDatabase()
	root, err := wl.World.Commit(db)
	if err != nil {
		return nil, err
	}
	h := wl.World.Header(1, 2_000_000_000)
	block := &evm.Block{Header: h, Hash: h.Hash(), Txs: wl.Txs}
	n := float64(len(wl.Txs))

	// Warm the trie database's caches once so that no engine pays the cold start; this
	// run also gives the reference root and gas.
	gethRoot, receipts, err := wl.World.RunGeth(db, root, h, freshTxs(wl.Txs))
	if err != nil {
		return nil, fmt.Errorf("%s: geth: %w", name, err)
	}
	gasUsed := receipts[len(receipts)-1].CumulativeGasUsed
	var (
		gethTimes []time.Duration
		gethAlloc uint64
		engTimes  = make([][]time.Duration, len(workers))
		engAlloc  = make([]uint64, len(workers))
		engStats  = make([]exec.Stats, len(workers))
		engTiming = make([]evm.Timing, len(workers))
		rootsOK   = true
	)
	// One run measures every engine; the order alternates from run to run (geth first,
	// then last) so that drifting machine load does not favour one engine.
	order := make([]int, 0, len(workers)+1) // -1 = stock geth, i = spn/evm with workers[i]
	order = append(order, -1)
	for i := range workers {
		order = append(order, i)
	}
	for r := 0; r < runs; r++ {
		for k := range order {
			idx := order[k]
			if r%2 == 1 {
				idx = order[len(order)-1-k]
			}
			txs := freshTxs(wl.Txs)
			if idx < 0 {
				var got common.Hash
				d, a, err := timed(func() error {
					var err error
					got, _, err = wl.World.RunGeth(db, root, h, txs)
					return err
				})
				if err != nil {
					return nil, fmt.Errorf("%s: geth: %w", name, err)
				}
				if got != gethRoot {
					return nil, fmt.Errorf("%s: geth is not deterministic", name)
				}
				gethTimes = append(gethTimes, d)
				gethAlloc += a
				continue
			}
			engDB := db
			if evmMemState {
				if engDB, err = evm.NewMemState(db); err != nil {
					return nil, err
				}
			}
			eng, err := evm.New(config, engDB, evm.Options{Workers: workers[idx]})
			if err != nil {
				return nil, err
			}
			block.Txs = txs
			var res *evm.Result
			d, a, err := timed(func() error {
				var err error
				res, err = eng.ExecuteBlock(context.Background(), root, block)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("%s: spn/evm: %w", name, err)
			}
			if res.Root != gethRoot || res.GasUsed != gasUsed {
				rootsOK = false
				fmt.Fprintf(os.Stderr, "%s workers %d: root %x gas %d, geth %x gas %d\n", name, workers[idx], res.Root, res.GasUsed, gethRoot, gasUsed)
			}
			engTimes[idx] = append(engTimes[idx], d)
			engAlloc[idx] += a
			engStats[idx] = res.Stats
			engTiming[idx] = res.Timing
		}
	}
	mg := float64(gasUsed) / 1e6
	mk := func(ds []time.Duration, allocs uint64) evmRun {
		med, spread := median(ds)
		s := med.Seconds()
		return evmRun{MS: ms(med), SpreadPc: spread, MgasPerS: mg / s, TxPerS: n / s, AllocsPerTx: float64(allocs) / float64(runs) / n}
	}
	row := &evmRow{Workload: name, Txs: len(wl.Txs), Mgas: mg, RootsOK: rootsOK, Geth: mk(gethTimes, gethAlloc)}
	for i, w := range workers {
		run := mk(engTimes[i], engAlloc[i])
		row.Engine = append(row.Engine, evmEngRun{
			Workers:    w,
			evmRun:     run,
			Speedup:    row.Geth.MS / run.MS,
			Mode:       engStats[i].Mode.String(),
			AbortPerTx: float64(engStats[i].Aborts) / n,
			SendersMS:  ms(engTiming[i].Senders),
			ExecMS:     ms(engTiming[i].Execute),
			CommitMS:   ms(engTiming[i].Commit),
		})
	}
	if !rootsOK {
		return row, fmt.Errorf("%s: spn/evm root differs from go-ethereum", name)
	}
	return row, nil
}

// freshTxs decodes copies of txs, so that every run pays sender recovery (a decoded
// transaction caches its sender once recovered).
func freshTxs(txs []*types.Transaction) []*types.Transaction {
	out := make([]*types.Transaction, len(txs))
	for i, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			panic(err)
		}
		out[i] = new(types.Transaction)
		if err := out[i].UnmarshalBinary(b); err != nil {
			panic(err)
		}
	}
	return out
}

// printScaling prints one row of the scaling probe.
func printScaling(w io.Writer, sc scalingRow) {
	on := "goroutines"
	if sc.Threads {
		on = "C threads "
	}
	fmt.Fprintf(w, "scaling 2 vs 1 %-10s: %-28s %.2fx\n", on, sc.Kernel, sc.Speedup)
}
