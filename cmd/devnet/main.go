// Command devnet runs a complete Farol network on one machine for
// development: a single-validator mainnet (farold) with funded development
// accounts, one EVM SPN and one Wasm SPN (spnd, one operator each) registered
// in the mainnet's SPN registry; later the relayer joins them as a further
// component.
//
// It prints every endpoint, a line per new mainnet block (and per SPN block
// with transactions), and stops every component cleanly on Ctrl-C.
// `make devnet` builds the binaries and runs it.
//
// Everything it creates lives under one data folder (default ./data/devnet),
// recreated on each start unless -keep is given. The keys it creates are
// development keys: their mnemonics and the SPNs' private key are printed and
// written to accounts.json and spn-*.json, so they must never hold anything
// of value.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// component is one process of the devnet. Components start in order and stop
// in reverse order.
type component interface {
	// Name names the component in the devnet's output.
	Name() string
	// Prepare creates the component's home, or checks it when keep is set.
	Prepare(ctx context.Context, keep bool) error
	// Start launches the component and returns once it serves requests.
	Start(ctx context.Context) error
	// Endpoints lists what the component serves, for printing.
	Endpoints() []endpoint
	// Watch reports the component's progress (for example one line per
	// block) until ctx ends.
	Watch(ctx context.Context)
	// Stop stops the component, waiting at most the given time.
	Stop(timeout time.Duration) error
	// Done is closed when the component's process has exited.
	Done() <-chan struct{}
}

type endpoint struct{ name, addr string }

type options struct {
	dataDir    string
	keep       bool
	bin        string
	chainID    string
	devKeys    int
	blockTime  time.Duration
	portOffset int
	noSPN      bool
}

func main() {
	var opts options
	flag.StringVar(&opts.dataDir, "data", "data/devnet", "folder holding every node's home")
	flag.BoolVar(&opts.keep, "keep", false, "keep the existing data folder and continue its chain instead of starting fresh")
	flag.StringVar(&opts.bin, "bin", "build", "folder holding the farold and spnd binaries")
	flag.StringVar(&opts.chainID, "chain-id", "farol-devnet-1", "mainnet chain id")
	flag.IntVar(&opts.devKeys, "dev-keys", 3, "number of funded development keys")
	flag.DurationVar(&opts.blockTime, "block-time", time.Second, "target time between mainnet blocks (CometBFT timeout_commit)")
	flag.IntVar(&opts.portOffset, "port-offset", 0, "added to every default port, to run next to another node")
	flag.BoolVar(&opts.noSPN, "no-spn", false, "run only the mainnet, without the EVM and Wasm SPNs")
	flag.Parse()

	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "devnet:", err)
		os.Exit(1)
	}
}

func run(opts options) error {
	dataDir, err := filepath.Abs(opts.dataDir)
	if err != nil {
		return err
	}
	opts.dataDir = dataDir
	if opts.bin, err = filepath.Abs(opts.bin); err != nil {
		return err
	}
	bins := []string{"farold"}
	if !opts.noSPN {
		bins = append(bins, "spnd")
	}
	for _, name := range bins {
		if _, err := os.Stat(filepath.Join(opts.bin, name)); err != nil {
			return fmt.Errorf("%s binary not found in %s (run `make build-node` or `make devnet`): %w", name, opts.bin, err)
		}
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	m := newMainnet(opts)
	components := []component{m}
	var spns []*spnNode
	if !opts.noSPN {
		spns = []*spnNode{newEVMSPN(opts, m), newWasmSPN(opts, m)}
		for _, s := range spns {
			components = append(components, s)
		}
	}

	logf("data folder %s%s", opts.dataDir, map[bool]string{true: " (kept)", false: " (fresh)"}[opts.keep])
	if err := os.MkdirAll(opts.dataDir, 0o755); err != nil {
		return err
	}
	for _, c := range components {
		logf("[%s] preparing", c.Name())
		if err := c.Prepare(ctx, opts.keep); err != nil {
			return fmt.Errorf("%s: prepare: %w", c.Name(), err)
		}
	}
	if len(spns) > 0 {
		var files []string
		for _, s := range spns {
			files = append(files, s.infoFile())
		}
		printSPNDevKey(files)
	}

	var started []component
	stopAll := func() {
		for i := len(started) - 1; i >= 0; i-- {
			c := started[i]
			logf("[%s] stopping", c.Name())
			if err := c.Stop(20 * time.Second); err != nil {
				logf("[%s] stop: %v", c.Name(), err)
			} else {
				logf("[%s] stopped", c.Name())
			}
		}
	}
	defer stopAll()

	for _, c := range components {
		logf("[%s] starting", c.Name())
		if err := c.Start(ctx); err != nil {
			if c.Done() != nil {
				started = append(started, c)
			}
			return fmt.Errorf("%s: start: %w", c.Name(), err)
		}
		if c.Done() != nil { // nil: nothing started (e.g. an SPN this spnd cannot run)
			started = append(started, c)
		}
	}

	fmt.Println()
	fmt.Println("Farol devnet is running. Endpoints:")
	for _, c := range components {
		for _, e := range c.Endpoints() {
			fmt.Printf("  %-10s %-18s %s\n", c.Name(), e.name, e.addr)
		}
	}
	fmt.Println()
	fmt.Println("Press Ctrl-C to stop.")
	fmt.Println()

	for _, c := range components {
		go c.Watch(ctx)
	}

	// Wait for Ctrl-C, or for any component to exit on its own.
	exited := make(chan component, len(components))
	for _, c := range components {
		go func(c component) {
			<-c.Done()
			exited <- c
		}(c)
	}
	select {
	case <-ctx.Done():
		fmt.Println()
		logf("interrupted, shutting down")
		return nil
	case c := <-exited:
		return errors.New(c.Name() + " exited unexpectedly; see its log in the data folder")
	}
}

func logf(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
