package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	spnexec "github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// The ceiling: what a second vCPU gives a workload when nothing at all is shared.
// farol-bench starts copies of itself (ceilingChild), each building the same block
// and running it on the sequential path over and over: first one copy alone, then
// two at once. Two processes share no Go runtime, heap, collector, lock or cache
// line; whatever slows each of them when both run is the machine's (the other vCPU,
// the shared caches and memory, the hypervisor). Two blocks per median block time of
// the pair, against one per median block time alone, is the most that any parallel
// execution of that block could get on this machine at that time. Block-STM's 2-worker
// speedup is read against it.

// ceilingChild is the hidden subcommand of a copy.
const ceilingChild = "wasm-ceiling-child"

// ceilingRow is one workload's ceiling.
type ceilingRow struct {
	Workload string `json:"workload"`
	// Copies is "processes" (nothing shared) or "goroutines" (two goroutines of this
	// process, each running its own block on one engine: they share the Go runtime,
	// its heap and collector, and the engine). The gap between the two is what
	// sharing the process costs; the gap between goroutines and Block-STM's 2 workers
	// is what splitting one block costs.
	Copies string `json:"copies"`
	// Phase is "block" (decoding, sender recovery and execution, as the speedups
	// above) or "execute" (senders given: the execution phase alone).
	Phase   string  `json:"phase"`
	Rounds  int     `json:"rounds"`
	AloneMS float64 `json:"alone_ms"` // median block time, one copy running
	PairMS  float64 `json:"pair_ms"`  // median block time of each of two copies running at once
	Blocks  int     `json:"pair_blocks"`
	Speedup float64 `json:"speedup"` // 2 * AloneMS / PairMS
}

// childBlock is one block a copy ran: wall-clock start and end (Unix nanoseconds, so
// that the parent can keep the blocks that ran while the other copy was running too).
type childBlock struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// runCeilingChild builds the workload, runs it twice to warm up, says "ready", waits
// for the start line on stdin ("go" and the start instant in Unix nanoseconds), sleeps
// until that instant, runs the block -blocks times on the sequential path and prints
// the blocks' times as JSON.
func runCeilingChild(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(ceilingChild, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		name   = fs.String("workload", "as-token", "workload")
		n      = fs.Int("n", 400, "transactions per block")
		seed   = fs.Uint64("seed", 1, "workload seed")
		blocks = fs.Int("blocks", 20, "blocks to run")
		hinted = fs.Bool("hinted", false, "give the senders (execution phase only)")
		gogc   = fs.Int("gogc", 0, "GC target percentage; 0 keeps GOGC")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *gogc > 0 {
		debug.SetGCPercent(*gogc)
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "farol-wasm-ceiling")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	eng, err := wasm.New(ctx, wasm.Config{ChainID: wasmtest.ChainID, CacheDir: dir})
	if err != nil {
		return err
	}
	defer eng.Close(ctx)
	wl, err := wasmtest.NewWorkload(eng, *name, *n, *seed)
	if err != nil {
		return err
	}
	blk, err := ceilingBlock(wl, *hinted)
	if err != nil {
		return err
	}
	if _, err := sequentialBlocks(eng, blk, wl, 2); err != nil { // warm-up
		return err
	}
	if _, err := fmt.Fprintln(stdout, "ready"); err != nil {
		return err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		return fmt.Errorf("waiting for the start: %w", err)
	}
	var at int64
	if _, err := fmt.Sscanf(line, "go %d", &at); err != nil {
		return fmt.Errorf("start line %q: %w", line, err)
	}
	time.Sleep(time.Until(time.Unix(0, at)))
	out, err := sequentialBlocks(eng, blk, wl, *blocks)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(out)
}

// sequentialBlocks runs blk over the workload's state on the sequential path, blocks
// times, and returns when each ran.
func sequentialBlocks(eng *wasm.Engine, blk *wasm.Block, wl *wasmtest.Workload, blocks int) ([]childBlock, error) {
	ctx := context.Background()
	out := make([]childBlock, 0, blocks)
	for range blocks {
		start := time.Now()
		if _, err := eng.ExecuteBlock(ctx, blk, wl.World.State, spnexec.Config{Workers: 1}); err != nil {
			return nil, err
		}
		out = append(out, childBlock{Start: start.UnixNano(), End: time.Now().UnixNano()})
	}
	return out, nil
}

// measureCeiling returns the workload's ceiling with processes (ceilingRounds).
func measureCeiling(name, phase string, n int, seed uint64, rounds, blocks, gogc int) (*ceilingRow, error) {
	args := []string{ceilingChild, "-workload", name, "-n", strconv.Itoa(n), "-seed", strconv.FormatUint(seed, 10),
		"-blocks", strconv.Itoa(blocks), "-hinted=" + strconv.FormatBool(phase == "execute"), "-gogc", strconv.Itoa(gogc)}
	row, err := ceilingRounds(rounds, func(copies int) ([][]childBlock, error) { return runCopies(args, copies) })
	if err != nil {
		return nil, fmt.Errorf("ceiling %s (%s): %w", name, phase, err)
	}
	row.Workload, row.Copies, row.Phase = name, "processes", phase
	return row, nil
}

// ceilingRounds runs rounds of one copy alone and two at once, in alternating order
// (run starts that many copies and returns their blocks), and returns the ceiling.
// Only the pair's blocks that ran entirely while both copies were running count. A
// pair whose copies did not run a block at the same time (one was not scheduled
// until the other had finished: short runs on a loaded machine) is run again, up to
// pairTries times.
func ceilingRounds(rounds int, run func(copies int) ([][]childBlock, error)) (*ceilingRow, error) {
	var alone, pair []time.Duration
	for r := 0; r < rounds; r++ {
		for k := 0; k < 2; k++ {
			copies := 1 + (k+r)%2
			for try := 0; try < pairTries; try++ {
				runs, err := run(copies)
				if err != nil {
					return nil, err
				}
				if copies == 1 {
					for _, b := range runs[0] {
						alone = append(alone, time.Duration(b.End-b.Start))
					}
					break
				}
				if both := overlapping(runs); len(both) > 0 {
					pair = append(pair, both...)
					break
				}
			}
		}
	}
	if len(alone) == 0 || len(pair) == 0 {
		return nil, fmt.Errorf("the two copies never ran a block at the same time")
	}
	a, _ := median(alone)
	p, _ := median(pair)
	return &ceilingRow{Rounds: rounds, AloneMS: ms(a), PairMS: ms(p), Blocks: len(pair), Speedup: 2 * float64(a) / float64(p)}, nil
}

// measureCeilingGoroutines is measureCeiling with goroutines of this process on eng
// instead of processes.
func measureCeilingGoroutines(eng *wasm.Engine, name, phase string, n int, seed uint64, rounds, blocks int) (*ceilingRow, error) {
	wl, err := wasmtest.NewWorkload(eng, name, n, seed)
	if err != nil {
		return nil, err
	}
	blk, err := ceilingBlock(wl, phase == "execute")
	if err != nil {
		return nil, err
	}
	runBlocks := func() ([]childBlock, error) { return sequentialBlocks(eng, blk, wl, blocks) }
	if _, err := runBlocks(); err != nil { // warm-up
		return nil, err
	}
	row, err := ceilingRounds(rounds, func(copies int) ([][]childBlock, error) {
		runs := make([][]childBlock, copies)
		errs := make([]error, copies)
		var wg sync.WaitGroup
		for i := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i], errs[i] = runBlocks()
			}()
		}
		wg.Wait()
		return runs, errors.Join(errs...)
	})
	if err != nil {
		return nil, fmt.Errorf("ceiling %s (%s), goroutines: %w", name, phase, err)
	}
	row.Workload, row.Copies, row.Phase = name, "goroutines", phase
	return row, nil
}

// ceilingBlock returns the workload's block, with its senders given if hinted.
func ceilingBlock(wl *wasmtest.Workload, hinted bool) (*wasm.Block, error) {
	blk := *wl.Block
	if !hinted {
		return &blk, nil
	}
	blk.Senders = make([]wasm.Address, len(blk.Txs))
	for i, raw := range blk.Txs {
		tx, err := wasm.DecodeTx(raw)
		if err != nil {
			return nil, err
		}
		if blk.Senders[i], err = tx.Sender(); err != nil {
			return nil, err
		}
	}
	return &blk, nil
}

// overlapping returns the durations of the blocks that ran entirely while every copy
// was running (between the latest first start and the earliest last end).
func overlapping(runs [][]childBlock) []time.Duration {
	var from, to int64
	for i, r := range runs {
		if len(r) == 0 {
			return nil
		}
		if s := r[0].Start; i == 0 || s > from {
			from = s
		}
		if e := r[len(r)-1].End; i == 0 || e < to {
			to = e
		}
	}
	var out []time.Duration
	for _, r := range runs {
		for _, b := range r {
			if b.Start >= from && b.End <= to {
				out = append(out, time.Duration(b.End-b.Start))
			}
		}
	}
	return out
}

// runCopies starts copies of this binary with args, waits until each is ready, starts
// them together and returns their blocks.
//
// The copies start at one instant, startDelay after the last is ready: a copy that
// read its start line first would otherwise run alone until the other's process was
// woken.
func runCopies(args []string, copies int) ([][]childBlock, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	type child struct {
		cmd   *exec.Cmd
		in    io.WriteCloser
		out   *bufio.Reader
		errb  *limitedBuffer
		alive bool
	}
	cs := make([]*child, copies)
	defer func() {
		for _, c := range cs {
			if c != nil && c.alive {
				_ = c.cmd.Process.Kill()
				_ = c.cmd.Wait()
			}
		}
	}()
	for i := range cs {
		c := &child{cmd: exec.Command(self, args...), errb: &limitedBuffer{max: 4096}}
		c.cmd.Stderr = c.errb
		if c.in, err = c.cmd.StdinPipe(); err != nil {
			return nil, err
		}
		stdout, err := c.cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		c.out = bufio.NewReader(stdout)
		if err := c.cmd.Start(); err != nil {
			return nil, err
		}
		c.alive = true
		cs[i] = c
	}
	for _, c := range cs {
		line, err := c.out.ReadString('\n')
		if err != nil || line != "ready\n" {
			return nil, fmt.Errorf("copy did not get ready (%q, %v): %s", line, err, c.errb.String())
		}
	}
	at := time.Now().Add(startDelay).UnixNano()
	for _, c := range cs {
		if _, err := fmt.Fprintf(c.in, "go %d\n", at); err != nil {
			return nil, err
		}
	}
	out := make([][]childBlock, copies)
	for i, c := range cs {
		if err := json.NewDecoder(c.out).Decode(&out[i]); err != nil {
			return nil, fmt.Errorf("copy's blocks: %v: %s", err, c.errb.String())
		}
		c.alive = false
		if err := c.cmd.Wait(); err != nil {
			return nil, fmt.Errorf("copy: %v: %s", err, c.errb.String())
		}
	}
	return out, nil
}

// startDelay is how far ahead of the start lines the copies' common start is, and
// pairTries how many times a pair of copies runs before a round without overlapping
// blocks is an error.
const (
	startDelay = 20 * time.Millisecond
	pairTries  = 3
)

// limitedBuffer keeps the first max bytes written to it (a copy's stderr, for errors).
type limitedBuffer struct {
	buf []byte
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return string(b.buf) }
