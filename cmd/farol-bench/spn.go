package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
	"github.com/farolnet/farol/spn/node"
)

// spnReport is the result of one `farol-bench spn` run: a single-operator EVM SPN
// (spn/node: CometBFT + the ABCI app + Ethereum JSON-RPC, in this process) driven
// over HTTP JSON-RPC with pre-signed ERC-20 transfers.
type spnReport struct {
	runInfo
	Accounts      int     `json:"accounts"`
	TxsPerAccount int     `json:"txs_per_account"`
	Txs           int     `json:"txs"`
	Senders       int     `json:"senders"`
	Batch         int     `json:"batch"`
	Rate          float64 `json:"offered_tx_per_s,omitempty"` // -rate; 0: saturation
	BlockInterval string  `json:"block_interval"`
	BlockGasLimit uint64  `json:"block_gas_limit"`
	MempoolSize   int     `json:"mempool_size,omitempty"` // 0: spnd's default
	Workers       int     `json:"workers"`
	// StateFlushBlocks and StateDirtyMiB are spnd's state flush policy (0: its defaults).
	StateFlushBlocks uint64  `json:"state_flush_blocks,omitempty"`
	StateDirtyMiB    int64   `json:"state_dirty_mib,omitempty"`
	SignMS           float64 `json:"sign_ms"` // pre-signing all transactions (not measured below)

	Committed    int     `json:"committed"`
	SendS        float64 `json:"send_s"`          // first request to last accepted transaction
	TotalS       float64 `json:"total_s"`         // first request to last commit
	TxPerS       float64 `json:"tx_per_s"`        // committed / total_s
	SteadyTxPerS float64 `json:"steady_tx_per_s"` // between the commits of the first and last full blocks
	// Quarters splits the steady-state window into four runs of blocks.
	Quarters     []spnQuarter `json:"steady_quarters,omitempty"`
	AcceptTxPerS float64      `json:"accept_tx_per_s"` // accepted by eth_sendRawTransaction / send_s
	Resent       int          `json:"resent"`          // transactions sent again (mempool full, nonce gap behind it)
	LatencyP50MS float64      `json:"latency_p50_ms"`  // accepted send to commit (receipt available)
	LatencyP99MS float64      `json:"latency_p99_ms"`
	LatencyMaxMS float64      `json:"latency_max_ms"`

	// CPU time of this process (node and load generator) from the first send to the
	// last commit, per committed transfer, and how many cores it kept busy. On a busy
	// machine tx_per_s falls with the CPU share the process gets; cpu_us_per_tx
	// much less, and num_cpu*1e6/cpu_us_per_tx bounds what this machine could reach
	// if every core worked on this alone with perfect parallelism.
	CPUUSPerTx   float64 `json:"cpu_us_per_tx"`
	CPUCoresBusy float64 `json:"cpu_cores_busy"`
	CPUBoundTxS  float64 `json:"cpu_bound_tx_per_s"`

	// Memory of the whole process (node, load generator and its pre-signed
	// transfers): the peak resident set, and the Go heap still live after the last
	// commit (measured after a forced collection).
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	LiveHeapMiB float64 `json:"live_heap_mib"`

	Blocks          int     `json:"blocks"`
	TxsPerBlockMean float64 `json:"txs_per_block_mean"`
	TxsPerBlockMax  int     `json:"txs_per_block_max"`
	BlockKBMean     float64 `json:"block_tx_kb_mean"` // encoded transactions per block
	BlockKBMax      float64 `json:"block_tx_kb_max"`
	BlockGasMean    float64 `json:"block_gas_used_mean"`
	BlockTimeMS     float64 `json:"block_time_ms_mean"` // between commits of bench blocks
	// StateFlushes are the commits that wrote the state trie to disk during the run
	// (spnd's policy, ADR 010), StateFlushMS their total time.
	StateFlushes int     `json:"state_flushes"`
	StateFlushMS float64 `json:"state_flush_ms"`

	ReceiptsChecked int    `json:"receipts_checked"` // sampled over JSON-RPC: status 1 and a Transfer log
	BalancesChecked int    `json:"balances_checked"` // receivers' token balances over JSON-RPC
	LoadAfter       string `json:"loadavg_after"`
}

// spnQuarter is a quarter of the steady-state window: its blocks, their transfers,
// the committed rate and the process's CPU time per transfer over it.
type spnQuarter struct {
	Blocks     int     `json:"blocks"`
	Txs        int     `json:"txs"`
	TxPerS     float64 `json:"tx_per_s"`
	CPUUSPerTx float64 `json:"cpu_us_per_tx"`
}

func runSPN(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("spn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.Int("accounts", 5000, "sending accounts (each sends -per-account transfers, in nonce order)")
	perAccount := fs.Int("per-account", 10, "transfers per sending account")
	senders := fs.Int("senders", 8, "concurrent HTTP senders")
	batch := fs.Int("batch", 100, "eth_sendRawTransaction calls per JSON-RPC batch request (1: no batching)")
	rate := fs.Float64("rate", 0, "offered load in transfers/s, spread over the senders (0: as fast as the node accepts, i.e. saturation)")
	interval := fs.Duration("block-interval", 200*time.Millisecond, "block interval (CometBFT timeout_commit)")
	gasLimit := fs.Uint64("block-gas-limit", 1_000_000_000, "block gas limit (each transfer declares 90,000 gas)")
	mempool := fs.Int("mempool-size", 0, "CometBFT mempool size in transactions (0: spnd's default)")
	workers := fs.Int("workers", 0, "EVM execution workers (0: GOMAXPROCS)")
	flushBlocks := fs.Uint64("state-flush-blocks", 0, "spnd's state_flush_blocks: write the state trie to disk every n blocks (0: spnd's default; 1: every block)")
	dirtyMiB := fs.Int64("state-dirty-mib", 0, "spnd's state_dirty_mib: write the state trie to disk when this much is unwritten (0: spnd's default)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up if not every transfer is committed by then")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the send-to-commit phase to this file")
	memprofile := fs.String("memprofile", "", "write heap allocation profiles to this file (end) and FILE.base (start of the send-to-commit phase): go tool pprof -sample_index=alloc_space -base FILE.base FILE")
	traceFile := fs.String("trace", "", "write a Go execution trace of the send-to-commit phase to this file (large: keep runs short)")
	keep := fs.Bool("keep", false, "keep the node's temporary home (printed)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *accounts < 1 || *perAccount < 1 || *senders < 1 || *batch < 1 {
		return errors.New("-accounts, -per-account, -senders and -batch must be positive")
	}
	rep := spnReport{runInfo: newRunInfo("spn", args), Accounts: *accounts, TxsPerAccount: *perAccount,
		Txs: *accounts * *perAccount, Senders: *senders, Batch: *batch, Rate: *rate, BlockInterval: interval.String(),
		BlockGasLimit: *gasLimit, MempoolSize: *mempool, Workers: *workers,
		StateFlushBlocks: *flushBlocks, StateDirtyMiB: *dirtyMiB}
	if rep.Workers == 0 {
		rep.Workers = runtime.GOMAXPROCS(0)
	}
	progress := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
	}

	// The world: funded accounts holding the ERC-20 token (spn/evm/evmtest's
	// Token at a fixed address, pre-deployed in the genesis).
	const evmChainID = 4242
	config := evm.DefaultConfig(big.NewInt(evmChainID))
	progress("building a genesis of %d accounts holding the ERC-20 token...", *accounts)
	w := evmtest.NewWorld(config, *accounts, 0)
	g := node.DefaultGenesis(evmChainID)
	g.BlockGasLimit = *gasLimit
	for a, acc := range w.Alloc {
		g.Alloc[a] = node.GenesisAlloc{Balance: (*hexutil.Big)(acc.Balance), Nonce: acc.Nonce, Code: acc.Code, Storage: acc.Storage}
	}

	// Pre-signed transfers: account a sends its k-th transfer to receiver
	// k*accounts+a (fresh addresses: every transfer creates a balance slot).
	progress("signing %d ERC-20 transfers...", rep.Txs)
	start := time.Now()
	txs := make([]*types.Transaction, rep.Txs) // index k*accounts + a
	calls := make([][]byte, rep.Txs)           // each transfer's eth_sendRawTransaction call, JSON with id i
	receivers := make([]common.Address, rep.Txs)
	var signErr error
	var wg sync.WaitGroup
	chunk := (*accounts + runtime.NumCPU() - 1) / runtime.NumCPU()
	var mu sync.Mutex
	for lo := 0; lo < *accounts; lo += chunk {
		hi := min(lo+chunk, *accounts)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for a := lo; a < hi; a++ {
				for k := range *perAccount {
					i := k**accounts + a
					receivers[i] = benchReceiver(i)
					// World.TokenTransfer touches only account a's nonce.
					tx := w.TokenTransfer(a, 0, receivers[i], big.NewInt(int64(1000+i)), evmtest.DynamicFee)
					raw, err := tx.MarshalBinary()
					if err != nil {
						mu.Lock()
						signErr = err
						mu.Unlock()
						return
					}
					txs[i], calls[i] = tx, sendRawCall(i, raw)
				}
			}
		}(lo, hi)
	}
	wg.Wait()
	if signErr != nil {
		return signErr
	}
	rep.SignMS = ms(time.Since(start))
	index := make(map[common.Hash]int, len(txs))
	for i, tx := range txs {
		index[tx.Hash()] = i
	}

	// The node, in a temporary home. The ports are free when chosen; another
	// process may take one before the node binds it, so start-up is retried.
	progress("starting a single-operator EVM SPN...")
	logger := cmtlog.NewNopLogger()
	if path := os.Getenv("FAROL_BENCH_NODE_LOG"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close() // after the node has stopped (deferred below)
		logger = cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(f)), cmtlog.AllowError(), cmtlog.AllowInfoWith("module", "spn"))
	}
	var n *node.Node
	for attempt := 1; ; attempt++ {
		home, err := os.MkdirTemp("", "farol-bench-spn-")
		if err != nil {
			return err
		}
		if n, err = startBenchNode(home, g, &rep, *interval, logger); err == nil {
			if *keep {
				progress("node home %s (kept)", home)
			} else {
				defer os.RemoveAll(home)
			}
			break
		}
		os.RemoveAll(home)
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		progress("start-up: %v; retrying with other ports", err)
	}
	defer n.Stop() //nolint:errcheck
	if n.App == nil {
		return errors.New("the node started without an EVM app")
	}
	url := "http://" + n.EthAddr

	// Commit times, from the app's commit hook.
	type commit struct {
		at    time.Time
		cpu   time.Duration // the process's CPU time then
		block *node.Block
	}
	commits := make(chan commit, 1<<16)
	n.App.OnCommit(func(b *node.Block) {
		select {
		case commits <- commit{time.Now(), cpuTime(), b}:
		default: // cannot happen with the buffer above; never block the app
		}
	})
	committedAt := make([]time.Time, len(txs))
	type blockStat struct {
		at    time.Time
		cpu   time.Duration
		txs   int
		bytes int
		gas   uint64
	}
	var (
		blocks    []blockStat
		committed atomic.Int64
		allDone   = make(chan struct{})
	)
	collectorDone := make(chan struct{})
	go func() {
		defer close(collectorDone)
		for c := range commits {
			bs := blockStat{at: c.at, cpu: c.cpu, gas: c.block.Header.GasUsed}
			for _, tx := range c.block.Txs {
				i, ok := index[tx.Hash()]
				if !ok {
					continue
				}
				bs.txs++
				bs.bytes += int(tx.Size())
				committedAt[i] = c.at
			}
			if bs.txs > 0 {
				blocks = append(blocks, bs)
				if committed.Add(int64(bs.txs)) == int64(len(txs)) {
					close(allDone)
				}
			}
		}
	}()

	// Wait for the first block so that start-up is not measured.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if h, _, _ := n.App.Head(); h >= 1 {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("no first block within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	var stops []func() // the profiles and the trace, each stopped once
	stopProfile := func() {
		for _, stop := range stops {
			stop()
		}
	}
	defer stopProfile()
	for _, p := range []struct {
		path  string
		start func(string) (func(), error)
	}{{*cpuprofile, startCPUProfile}, {*traceFile, startTrace}, {*memprofile, startAllocProfile}} {
		if p.path == "" {
			continue
		}
		stop, err := p.start(p.path)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
	}

	// Send: sender s owns the accounts a with a % senders == s and sends their
	// transfers in nonce order, in batches.
	progress("sending %d transfers from %d accounts over %d concurrent HTTP senders, %d per batch...", rep.Txs, *accounts, *senders, *batch)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *senders, MaxConnsPerHost: *senders}}
	acceptedAt := make([]time.Time, len(txs))
	var resent atomic.Int64
	errs := make(chan error, *senders)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cpuStart := cpuTime()
	sendStart := time.Now()
	var lastAccepted atomic.Int64
	for s := range *senders {
		var order []int
		for k := range *perAccount {
			for a := s; a < *accounts; a += *senders {
				order = append(order, k**accounts+a)
			}
		}
		go func() {
			errs <- sendAll(ctx, client, url, order, calls, *batch, *rate/float64(*senders), sendStart, acceptedAt, &resent, &lastAccepted)
		}()
	}
	for range *senders {
		if err := <-errs; err != nil {
			cancel()
			return err
		}
	}
	rep.SendS = time.Duration(lastAccepted.Load() - sendStart.UnixNano()).Seconds()
	progress("all accepted after %.2fs; waiting for the last commits...", rep.SendS)
	select {
	case <-allDone:
	case <-ctx.Done():
		return fmt.Errorf("only %d of %d transfers committed within %s", committed.Load(), len(txs), *timeout)
	}
	cpuUsed := cpuTime() - cpuStart
	wall := time.Since(sendStart)
	stopProfile() // the profile covers sending to the last commit
	rep.LoadAfter = loadavg()
	rep.CPUUSPerTx = float64(cpuUsed.Microseconds()) / float64(len(txs))
	rep.CPUCoresBusy = cpuUsed.Seconds() / wall.Seconds()
	if rep.CPUUSPerTx > 0 {
		rep.CPUBoundTxS = float64(rep.NumCPU) * 1e6 / rep.CPUUSPerTx
	}
	rep.PeakRSSMiB, rep.LiveHeapMiB = memoryUse()

	// Check a sample of receipts and receiver balances over JSON-RPC.
	sample := make([]int, 0, 200)
	for i := 0; i < len(txs) && len(sample) < 200; i += max(1, len(txs)/200) {
		sample = append(sample, i)
	}
	if err := checkReceipts(client, url, sample, txs, receivers); err != nil {
		return err
	}
	rep.ReceiptsChecked, rep.BalancesChecked = len(sample), len(sample)

	flushes, flushTime := n.App.StateFlushes() // before Stop, which flushes the head
	rep.StateFlushes, rep.StateFlushMS = flushes, ms(flushTime)

	// Stop the collector before reading what it wrote.
	if err := n.Stop(); err != nil {
		return err
	}
	close(commits)
	<-collectorDone

	var last time.Time
	lat := make([]time.Duration, len(txs))
	for i := range txs {
		lat[i] = committedAt[i].Sub(acceptedAt[i])
		if committedAt[i].After(last) {
			last = committedAt[i]
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rep.Committed = len(txs)
	rep.TotalS = last.Sub(sendStart).Seconds()
	rep.TxPerS = float64(len(txs)) / rep.TotalS
	rep.AcceptTxPerS = float64(len(txs)) / rep.SendS
	rep.Resent = int(resent.Load())
	rep.LatencyP50MS = ms(lat[len(lat)/2])
	rep.LatencyP99MS = ms(lat[len(lat)*99/100])
	rep.LatencyMaxMS = ms(lat[len(lat)-1])
	rep.Blocks = len(blocks)
	var sumTxs, sumBytes int
	var sumGas float64
	for _, b := range blocks {
		sumTxs += b.txs
		sumBytes += b.bytes
		sumGas += float64(b.gas)
		rep.TxsPerBlockMax = max(rep.TxsPerBlockMax, b.txs)
		rep.BlockKBMax = max(rep.BlockKBMax, float64(b.bytes)/1024)
	}
	rep.TxsPerBlockMean = float64(sumTxs) / float64(len(blocks))
	rep.BlockKBMean = float64(sumBytes) / 1024 / float64(len(blocks))
	rep.BlockGasMean = sumGas / float64(len(blocks))
	if len(blocks) >= 2 {
		rep.BlockTimeMS = ms(blocks[len(blocks)-1].at.Sub(blocks[0].at)) / float64(len(blocks)-1)
	}
	// Steady state: the transactions of blocks 2..last, over the time from the
	// first block's commit to the last one's (the first block's own
	// transactions arrived before the window opened).
	if len(blocks) >= 3 {
		steady := sumTxs - blocks[0].txs
		rep.SteadyTxPerS = float64(steady) / blocks[len(blocks)-1].at.Sub(blocks[0].at).Seconds()
	}
	// The same window in quarters (by block count): whether the rate holds as the
	// state grows.
	if len(blocks) >= 5 {
		rest := len(blocks) - 1
		for q := range 4 {
			from, to := 1+q*rest/4, (q+1)*rest/4 // blocks[from..to], after blocks[from-1]'s commit
			var n int
			for _, b := range blocks[from : to+1] {
				n += b.txs
			}
			secs := blocks[to].at.Sub(blocks[from-1].at).Seconds()
			cpu := blocks[to].cpu - blocks[from-1].cpu
			rep.Quarters = append(rep.Quarters, spnQuarter{Blocks: to - from + 1, Txs: n, TxPerS: float64(n) / secs,
				CPUUSPerTx: float64(cpu.Microseconds()) / float64(n)})
		}
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printSPN(stdout, &rep)
	return nil
}

// memoryUse returns the process's peak resident set and its live Go heap (after a
// forced collection), in MiB.
func memoryUse() (peakRSS, liveHeap float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		peakRSS = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return peakRSS, float64(m.HeapAlloc) / (1 << 20)
}

// cpuTime is the user plus system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchReceiver is the fresh receiver of transfer i.
func benchReceiver(i int) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("farol-bench-spn-receiver-%d", i))))
}

// startBenchNode initializes and starts a single-operator EVM SPN in home on
// free local ports with rep's settings and block interval, logging to logger.
func startBenchNode(home string, g node.Genesis, rep *spnReport, interval time.Duration, logger cmtlog.Logger) (*node.Node, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	cfg := node.DefaultConfig()
	cfg.EthRPCAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	cfg.CometRPCAddr = fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	cfg.P2PAddr = fmt.Sprintf("tcp://127.0.0.1:%d", ports[2])
	cfg.BlockInterval = interval
	cfg.Workers = rep.Workers
	cfg.StateFlushBlocks, cfg.StateDirtyMiB = rep.StateFlushBlocks, rep.StateDirtyMiB
	cfg.PrometheusAddr = "" // no metrics server: no port to collide with
	if err := node.Init(home, node.InitOptions{ChainID: "bench-spn-1", Genesis: g, Config: cfg}); err != nil {
		return nil, err
	}
	if err := tuneSPNHome(home, rep.MempoolSize); err != nil {
		return nil, err
	}
	return node.Start(home, logger)
}

// tuneSPNHome sets CometBFT's mempool size in the home's config.toml when asked.
func tuneSPNHome(home string, mempoolSize int) error {
	if mempoolSize == 0 {
		return nil
	}
	toml := filepath.Join(home, "config", "config.toml")
	bz, err := os.ReadFile(toml)
	if err != nil {
		return fmt.Errorf("-mempool-size needs a CometBFT config.toml in the home: %w", err)
	}
	// Only the [mempool] section's size line.
	lines := strings.Split(string(bz), "\n")
	section, done := "", false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			section = t
		}
		if section == "[mempool]" && strings.HasPrefix(t, "size =") {
			lines[i] = fmt.Sprintf("size = %d", mempoolSize)
			done = true
		}
	}
	if !done {
		return fmt.Errorf("%s: no [mempool] size", toml)
	}
	return os.WriteFile(toml, []byte(strings.Join(lines, "\n")), 0o600)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

type rpcReq struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResp struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// rpcBatch sends one batch request (or a single request when len(reqs) == 1)
// and returns the responses by id.
func rpcBatch(ctx context.Context, client *http.Client, url string, reqs []rpcReq) (map[int]rpcResp, error) {
	var body []byte
	var err error
	if len(reqs) == 1 {
		body, err = json.Marshal(reqs[0])
	} else {
		body, err = json.Marshal(reqs)
	}
	if err != nil {
		return nil, err
	}
	return postRPC(ctx, client, url, body, len(reqs) > 1)
}

// postRPC posts a JSON-RPC request body (a batch, or one call) and returns the
// responses by id.
func postRPC(ctx context.Context, client *http.Client, url string, body []byte, batch bool) (map[int]rpcResp, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	bz, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out []rpcResp
	if !batch {
		var one rpcResp
		err = json.Unmarshal(bz, &one)
		out = []rpcResp{one}
	} else {
		err = json.Unmarshal(bz, &out)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %.200s", resp.Status, bz)
	}
	m := make(map[int]rpcResp, len(out))
	for _, r := range out {
		m[r.ID] = r
	}
	return m, nil
}

// sendRawCall is the JSON-RPC call eth_sendRawTransaction(raw) with id i. The calls
// are encoded once, before the run, so that the load generator (which shares the
// machine with the node) spends little CPU on them.
func sendRawCall(i int, raw []byte) []byte {
	b := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"eth_sendRawTransaction","params":["0x`, i)
	b = hex.AppendEncode(b, raw)
	return append(b, `"]}`...)
}

// sendAll sends the transactions order (indexes into calls) in batches, in
// order. A transaction the node refuses (mempool full, or a nonce gap behind
// such a refusal) is sent again, with those after it, after a pause that grows
// while the refusals last.
func sendAll(ctx context.Context, client *http.Client, url string, order []int, calls [][]byte, batch int,
	rate float64, start time.Time, acceptedAt []time.Time, resent *atomic.Int64, lastAccepted *atomic.Int64) error {
	var retry []int // refused by the last request, in order: sent first
	next := 0       // order[next:] were never sent
	tries := 0
	var body []byte
	for len(retry) > 0 || next < len(order) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rate > 0 {
			// Open loop: the sender's k-th transfer leaves no earlier than k/rate
			// seconds after the start.
			k := next - len(retry)
			if d := time.Until(start.Add(time.Duration(float64(k) / rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		fresh := min(batch-len(retry), len(order)-next)
		sent := append(retry, order[next:next+fresh]...)
		next += fresh
		body = body[:0]
		if len(sent) > 1 {
			body = append(body, '[')
		}
		for j, i := range sent {
			if j > 0 {
				body = append(body, ',')
			}
			body = append(body, calls[i]...)
		}
		if len(sent) > 1 {
			body = append(body, ']')
		}
		sentAt := time.Now()
		resps, err := postRPC(ctx, client, url, body, len(sent) > 1)
		if err != nil {
			return err
		}
		retry = nil
		var firstErr string
		for _, i := range sent {
			r, ok := resps[i]
			if ok && (r.Error == nil || strings.Contains(r.Error.Message, "already known")) {
				acceptedAt[i] = sentAt
				continue
			}
			if firstErr == "" {
				if ok {
					firstErr = r.Error.Message
				} else {
					firstErr = "no response"
				}
			}
			retry = append(retry, i)
		}
		lastAccepted.Store(time.Now().UnixNano())
		if len(retry) == 0 {
			tries = 0
			continue
		}
		tries++
		if tries > 2000 {
			return fmt.Errorf("transaction refused %d times in a row: %s", tries, firstErr)
		}
		resent.Add(int64(len(retry)))
		// Back off while the node keeps refusing (a full mempool drains one
		// block at a time): 5, 10, 20, 40, then 80 ms.
		time.Sleep(time.Duration(5<<min(tries-1, 4)) * time.Millisecond)
	}
	return nil
}

// checkReceipts checks the sampled transfers' receipts (status 1, one Transfer
// log) and their receivers' token balances (each receiver got one transfer).
func checkReceipts(client *http.Client, url string, sample []int, txs []*types.Transaction, receivers []common.Address) error {
	transferTopic := crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
	var reqs []rpcReq
	for j, i := range sample {
		reqs = append(reqs,
			rpcReq{"2.0", 2 * j, "eth_getTransactionReceipt", []any{txs[i].Hash()}},
			rpcReq{"2.0", 2*j + 1, "eth_getStorageAt", []any{evmtest.Token0Addr, evmtest.BalanceSlot(receivers[i]), "latest"}})
	}
	resps, err := rpcBatch(context.Background(), client, url, reqs)
	if err != nil {
		return fmt.Errorf("check receipts: %w", err)
	}
	for j, i := range sample {
		r := resps[2*j]
		if r.Error != nil || len(r.Result) == 0 || string(r.Result) == "null" {
			return fmt.Errorf("receipt of transfer %d (%s): %s", i, txs[i].Hash(), r.Result)
		}
		var rc struct {
			Status hexutil.Uint64 `json:"status"`
			Logs   []struct {
				Address common.Address `json:"address"`
				Topics  []common.Hash  `json:"topics"`
			} `json:"logs"`
		}
		if err := json.Unmarshal(r.Result, &rc); err != nil {
			return fmt.Errorf("receipt of transfer %d: %w", i, err)
		}
		if rc.Status != 1 || len(rc.Logs) != 1 || rc.Logs[0].Address != evmtest.Token0Addr || rc.Logs[0].Topics[0] != transferTopic {
			return fmt.Errorf("receipt of transfer %d: status %d, %d logs", i, rc.Status, len(rc.Logs))
		}
		b := resps[2*j+1]
		var slot hexutil.Bytes
		if b.Error != nil || json.Unmarshal(b.Result, &slot) != nil {
			return fmt.Errorf("balance of receiver %d: %s %v", i, b.Result, b.Error)
		}
		if got := new(big.Int).SetBytes(slot); got.Int64() != int64(1000+i) {
			return fmt.Errorf("balance of receiver %d: %s, want %d", i, got, 1000+i)
		}
	}
	return nil
}

func printSPN(w io.Writer, r *spnReport) {
	fmt.Fprintf(w, "%s\n%s, %d CPUs, load before %s, after %s\n\n", r.Command, r.GoVersion, r.NumCPU, r.LoadAvg, r.LoadAfter)
	flush := "spnd's default state flush"
	if r.StateFlushBlocks > 0 || r.StateDirtyMiB > 0 {
		flush = fmt.Sprintf("state flushed every %d blocks or %d MiB (0: spnd's default)", r.StateFlushBlocks, r.StateDirtyMiB)
	}
	fmt.Fprintf(w, "single-operator EVM SPN (CometBFT + app + JSON-RPC in this process), block interval %s, block gas limit %d, %d workers, %s\n",
		r.BlockInterval, r.BlockGasLimit, r.Workers, flush)
	load := "as fast as the node accepts (saturation)"
	if r.Rate > 0 {
		load = fmt.Sprintf("offered at %.0f tx/s", r.Rate)
	}
	fmt.Fprintf(w, "%d ERC-20 transfers = %d accounts x %d, pre-signed in %.0f ms; %d HTTP senders, %d per batch, %s\n\n",
		r.Txs, r.Accounts, r.TxsPerAccount, r.SignMS, r.Senders, r.Batch, load)
	fmt.Fprintf(w, "committed            %d transfers in %.2f s: %.0f tx/s (first send to last commit)\n", r.Committed, r.TotalS, r.TxPerS)
	fmt.Fprintf(w, "steady state         %.0f tx/s (between the commits of the first and last blocks)\n", r.SteadyTxPerS)
	if len(r.Quarters) > 0 {
		var rates, cpus []string
		for _, q := range r.Quarters {
			rates = append(rates, fmt.Sprintf("%.0f", q.TxPerS))
			cpus = append(cpus, fmt.Sprintf("%.0f", q.CPUUSPerTx))
		}
		fmt.Fprintf(w, "  by quarter         %s tx/s; CPU %s us per transfer\n", strings.Join(rates, " · "), strings.Join(cpus, " · "))
	}
	fmt.Fprintf(w, "accepted by RPC      %.0f tx/s over %.2f s; %d resent (mempool full)\n", r.AcceptTxPerS, r.SendS, r.Resent)
	fmt.Fprintf(w, "latency send->commit p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", r.LatencyP50MS, r.LatencyP99MS, r.LatencyMaxMS)
	fmt.Fprintf(w, "CPU                  %.0f us per transfer (node + load generator), %.2f cores busy; %d cores / that = %.0f tx/s if nothing else ran\n",
		r.CPUUSPerTx, r.CPUCoresBusy, r.NumCPU, r.CPUBoundTxS)
	fmt.Fprintf(w, "memory               peak RSS %.0f MiB, live Go heap after the run %.0f MiB (whole process: node, load generator, signed transfers)\n",
		r.PeakRSSMiB, r.LiveHeapMiB)
	fmt.Fprintf(w, "blocks               %d: %.0f txs mean, %d max; %.1f KiB txs mean, %.1f max; %.1f Mgas used mean; %.0f ms apart\n",
		r.Blocks, r.TxsPerBlockMean, r.TxsPerBlockMax, r.BlockKBMean, r.BlockKBMax, r.BlockGasMean/1e6, r.BlockTimeMS)
	fmt.Fprintf(w, "state flushes        %d during the run, %.0f ms in total (the rest stays in memory until the next flush or the stop; ADR 010)\n",
		r.StateFlushes, r.StateFlushMS)
	fmt.Fprintf(w, "checked              %d receipts (status 1, Transfer log) and %d receiver balances over JSON-RPC\n", r.ReceiptsChecked, r.BalancesChecked)
}
