// Command farol-bench measures Farol's components on the machine it runs on.
//
//	farol-bench <subcommand> [flags]
//
// Subcommands:
//
//	exec   the Block-STM parallel executor (spn/exec) against its sequential path
//	spn    a single-operator EVM SPN node driven over JSON-RPC with ERC-20 transfers
//
// Every subcommand accepts -json for machine-readable output. Later subcommands (evm,
// wasm, spn, da) register themselves in the subcommands table.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strings"
	"sync"
)

// startCPUProfile starts a CPU profile written to path; stop ends it and closes the
// file.
func startCPUProfile(path string) (stop func(), err error) {
	return startToFile(path, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startTrace starts a Go execution trace written to path (go tool trace; its
// -pprof=sync and -pprof=sched views show where goroutines wait); stop ends it and
// closes the file.
func startTrace(path string) (stop func(), err error) {
	return startToFile(path, trace.Start, trace.Stop)
}

// startAllocProfile writes the heap allocation profile so far to path+".base" and
// returns a stop (idempotent) that writes it again to path: the allocations in
// between are `go tool pprof -sample_index=alloc_space -base path.base path`.
func startAllocProfile(path string) (stop func(), err error) {
	write := func(p string) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		runtime.GC() // the profile is up to date as of the last collection
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write(path + ".base"); err != nil {
		return nil, err
	}
	return sync.OnceFunc(func() {
		if err := write(path); err != nil {
			fmt.Fprintln(os.Stderr, "farol-bench: allocation profile:", err)
		}
	}), nil
}

// startToFile creates path and starts begin on it; the returned stop (idempotent)
// calls end and closes the file.
func startToFile(path string, begin func(io.Writer) error, end func()) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := begin(f); err != nil {
		f.Close()
		return nil, err
	}
	return sync.OnceFunc(func() { end(); f.Close() }), nil
}

// subcommand runs one benchmark family with its own flags.
type subcommand struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var subcommands = map[string]subcommand{
	"exec": {"Block-STM parallel executor vs sequential execution (spn/exec)", runExec},
	"evm":  {"EVM engine (spn/evm) vs stock go-ethereum on transfers, ERC-20, swaps, hot mixes", runEVM},
	"wasm": {"Wasm engine (spn/wasm): token transfers and AMM swaps, sequential vs Block-STM, per-SDK call cost, spn/evm comparison", runWasm},
	"da":   {"embedded DA: square build, erasure extension and roots at 1/8/32 MB; devnet submit latency", runDA},
	"spn":  {"EVM SPN node (spnd in-process): ERC-20 transfers over JSON-RPC, committed tx/s and send-to-receipt latency", runSPN},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: farol-bench <subcommand> [flags]   (farol-bench <subcommand> -h for its flags)")
	fmt.Fprintln(w, "\nsubcommands:")
	names := make([]string, 0, len(subcommands))
	for name := range subcommands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, subcommands[name].summary)
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == ceilingChild { // a copy started by farol-bench wasm's -ceiling
		if err := runCeilingChild(args[1:], stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "farol-bench %s: %v\n", args[0], err)
			return 1
		}
		return 0
	}
	sc, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "farol-bench: unknown subcommand %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := sc.run(args[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "farol-bench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// runInfo heads every report: the command as run and the machine it ran on.
type runInfo struct {
	Command   string `json:"command"`
	GoVersion string `json:"go_version"`
	NumCPU    int    `json:"num_cpu"`
	LoadAvg   string `json:"loadavg_before"`
}

func newRunInfo(subcommand string, args []string) runInfo {
	return runInfo{
		Command:   "farol-bench " + subcommand + " " + strings.Join(args, " "),
		GoVersion: runtime.Version(),
		NumCPU:    runtime.NumCPU(),
		LoadAvg:   loadavg(),
	}
}
