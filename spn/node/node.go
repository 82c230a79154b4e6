package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/blocksync"
	cmtcfg "github.com/cometbft/cometbft/config"
	cs "github.com/cometbft/cometbft/consensus"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	mempl "github.com/cometbft/cometbft/mempool"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sm "github.com/cometbft/cometbft/state"
	"github.com/cometbft/cometbft/statesync"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/viper"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/jsonrpc"
	"github.com/farolnet/farol/spn/wasm"
)

// Config is spnd's node configuration (home/config/spnd.json). CometBFT's own
// configuration is home/config/config.toml (written by Init, read by Start if
// present); the fields spnd.json sets override the corresponding config.toml fields
// (moniker, p2p.laddr, rpc.laddr, consensus.timeout_commit, instrumentation).
type Config struct {
	Moniker       string        `json:"moniker"`
	P2PAddr       string        `json:"p2p_laddr"`       // CometBFT p2p, e.g. tcp://0.0.0.0:26656
	CometRPCAddr  string        `json:"comet_rpc_laddr"` // CometBFT RPC, e.g. tcp://127.0.0.1:26657
	EthRPCAddr    string        `json:"eth_rpc_addr"`    // Ethereum JSON-RPC (HTTP), e.g. 127.0.0.1:8545
	BlockInterval time.Duration `json:"block_interval"`  // CometBFT timeout_commit (0: config.toml's)
	Workers       int           `json:"workers"`         // EVM execution workers (0: GOMAXPROCS)
	// PrometheusAddr is where CometBFT's instrumentation server serves the Prometheus
	// metrics (CometBFT's and the app's), e.g. 127.0.0.1:26660; empty disables them.
	PrometheusAddr string `json:"prometheus_laddr"`
	// StateFlushBlocks and StateDirtyMiB say when an EVM SPN writes its state trie
	// to disk (StatePolicy; ADR 010): every StateFlushBlocks blocks (0: 1000; 1:
	// every block, which keeps every block's state: an archive node) or once
	// StateDirtyMiB of new trie nodes have accumulated in memory since the last
	// flush (0: 256).
	StateFlushBlocks uint64 `json:"state_flush_blocks,omitempty"`
	StateDirtyMiB    int64  `json:"state_dirty_mib,omitempty"`
}

// DefaultPrometheusAddr is the default metrics listen address (CometBFT's default port).
const DefaultPrometheusAddr = "127.0.0.1:26660"

// DefaultConfig returns the configuration of a new single-node SPN.
func DefaultConfig() Config {
	return Config{Moniker: "spnd", P2PAddr: "tcp://0.0.0.0:26656", CometRPCAddr: "tcp://127.0.0.1:26657",
		EthRPCAddr: "127.0.0.1:8545", BlockInterval: time.Second, PrometheusAddr: DefaultPrometheusAddr}
}

func configFile(home string) string { return filepath.Join(home, "config", "spnd.json") }

func cometConfigFile(home string) string { return filepath.Join(home, "config", "config.toml") }

// InitOptions configures Init.
type InitOptions struct {
	ChainID string // CometBFT chain id
	Genesis Genesis
	Config  Config
}

// Init writes a new single-validator SPN home: CometBFT keys, genesis (the SPN
// genesis as app_state) and spnd.json. It fails if a genesis already exists.
func Init(home string, o InitOptions) error {
	if err := o.Genesis.Validate(); err != nil {
		return err
	}
	cfg := cometDefaults(home)
	cfg.Mempool.MaxTxBytes = maxTxBytes(o.Genesis.VM)
	applyConfig(cfg, o.Config, nil)
	if _, err := os.Stat(cfg.GenesisFile()); err == nil {
		return fmt.Errorf("init: %s exists", cfg.GenesisFile())
	}
	for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	pv := privval.LoadOrGenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if _, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile()); err != nil {
		return err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return err
	}
	app, err := json.Marshal(&o.Genesis)
	if err != nil {
		return err
	}
	params := cmttypes.DefaultConsensusParams()
	doc := &cmttypes.GenesisDoc{
		ChainID: o.ChainID, GenesisTime: time.Now().UTC().Truncate(time.Second), InitialHeight: 1,
		ConsensusParams: params, AppState: app,
		Validators: []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: o.Config.Moniker}},
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return err
	}
	if err := doc.SaveAs(cfg.GenesisFile()); err != nil {
		return err
	}
	if err := writeCometConfig(cfg); err != nil {
		return err
	}
	enc, err := json.MarshalIndent(&o.Config, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(configFile(home), enc, 0o600)
}

// writeCometConfig writes CometBFT's config.toml (cmtcfg.WriteConfigFile, which
// panics on a write error).
func writeCometConfig(cfg *cmtcfg.Config) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write %s: %v", cometConfigFile(cfg.RootDir), p)
		}
	}()
	cmtcfg.WriteConfigFile(cometConfigFile(cfg.RootDir), cfg)
	return nil
}

// LoadConfig reads home/config/spnd.json; fields it does not set keep their
// DefaultConfig values.
func LoadConfig(home string) (Config, error) {
	c, _, err := loadConfig(home)
	return c, err
}

// loadConfig reads spnd.json and also returns the names of the fields it sets.
func loadConfig(home string) (Config, map[string]bool, error) {
	c := DefaultConfig()
	b, err := os.ReadFile(configFile(home))
	if err != nil {
		return c, nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return c, nil, fmt.Errorf("%s: %w", configFile(home), err)
	}
	set := map[string]bool{}
	for k := range fields {
		set[k] = true
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, nil, fmt.Errorf("%s: %w", configFile(home), err)
	}
	return c, set, nil
}

// DefaultMempoolSize is the number of transactions CometBFT's mempool holds by default
// (CometBFT's own default is 5,000). A block can only take what the mempool holds, and
// the block being executed still occupies its slots, so at saturation blocks settle
// near half the mempool. At 20,000 an SPN on two cores commits blocks of 8,000-11,000
// ERC-20 transfers about 1.6 s apart, where 10,000 gave about 5,500 per block 1.2 s
// apart: the fixed costs of a block (timeout_commit, proposal, store) are spread over
// more transactions, which took sustained throughput from 4,700 to 5,400 transfers/s
// (docs/bench/spn.md, session 3), at the price of a longer wait (p50 2.8 s).
const DefaultMempoolSize = 20_000

// maxTxBytes is the default CometBFT mempool limit of one transaction on an SPN of vm:
// go-ethereum's txpool limit on an EVM SPN; the largest Wasm transaction (an upload of
// wasm.MaxTxData bytes plus its other fields) on a Wasm SPN.
func maxTxBytes(vm string) int {
	if vm == VMWasm {
		return wasm.MaxTxData + 1024
	}
	return MaxTxSize
}

// cometDefaults is the CometBFT configuration of a home without config.toml:
// CometBFT's defaults with spnd's changes.
func cometDefaults(home string) *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	cfg.P2P.AllowDuplicateIP = true
	cfg.P2P.AddrBookStrict = false
	cfg.Consensus.TimeoutPropose = time.Second
	cfg.Mempool.MaxTxBytes = MaxTxSize
	cfg.Mempool.Size = DefaultMempoolSize
	// The app indexes transactions itself (tx hash to block and receipt, logs by
	// block); CometBFT's kv indexer would write every transaction and its events a
	// second time (1.7 % of the CPU at saturation) for its /tx_search only.
	cfg.TxIndex.Indexer = "null"
	applyConfig(cfg, DefaultConfig(), nil)
	return cfg
}

// cometConfig is the CometBFT configuration of a home: config.toml if present (else
// cometDefaults), then the fields spnd.json sets (set; nil: all of c).
func cometConfig(home string, c Config, set map[string]bool) (*cmtcfg.Config, error) {
	cfg := cometDefaults(home)
	path := cometConfigFile(home)
	if _, err := os.Stat(path); err == nil {
		v := viper.New()
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cfg = cmtcfg.DefaultConfig()
		if err := v.Unmarshal(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cfg.SetRoot(home)
	}
	applyConfig(cfg, c, set)
	if err := cfg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("cometbft config: %w", err)
	}
	return cfg, nil
}

// applyConfig sets the CometBFT fields of c that set names (nil: all) on cfg.
func applyConfig(cfg *cmtcfg.Config, c Config, set map[string]bool) {
	has := func(k string) bool { return set == nil || set[k] }
	if has("moniker") && c.Moniker != "" {
		cfg.Moniker = c.Moniker
	}
	if has("p2p_laddr") && c.P2PAddr != "" {
		cfg.P2P.ListenAddress = c.P2PAddr
	}
	if has("comet_rpc_laddr") && c.CometRPCAddr != "" {
		cfg.RPC.ListenAddress = c.CometRPCAddr
	}
	if has("block_interval") && c.BlockInterval > 0 {
		cfg.Consensus.TimeoutCommit = c.BlockInterval
	}
	if has("prometheus_laddr") {
		cfg.Instrumentation.Prometheus = c.PrometheusAddr != ""
		if c.PrometheusAddr != "" {
			cfg.Instrumentation.PrometheusListenAddr = c.PrometheusAddr
		}
	}
}

// Node is a running SPN node: CometBFT in-process, the app and the JSON-RPC server.
type Node struct {
	App     *App   // the EVM app (nil on a Wasm SPN)
	VM      string // the genesis' vm: "evm" or "wasm"
	Comet   *nm.Node
	EthAddr string // listening address of the JSON-RPC server (HTTP; Ethereum JSON-RPC on an EVM SPN)

	backend *backend
	rpc     *jsonrpc.Handler
	http    *http.Server
	dbs     []dbm.DB // CometBFT databases: Node.Stop leaves the tx indexer's open

	logger  cmtlog.Logger // the node's logger (a backend logs with module=spn)
	metrics *Metrics      // app metrics (nil when Prometheus is off)
}

// RPCHandler returns the node's JSON-RPC handler: for in-process tools and tests.
func (n *Node) RPCHandler() *jsonrpc.Handler { return n.rpc }

// backend is what a VM contributes to a node: its ABCI app, the JSON-RPC handler
// served on the node's RPC address, and what to close on Stop.
type backend struct {
	app     abci.Application
	client  proxy.ClientCreator // how CometBFT calls app (nil: one mutex for all calls)
	handler func(bc Broadcaster) (*jsonrpc.Handler, error)
	close   func() error
}

// openEVM opens the EVM state store under dataDir and the EVM app over it.
func openEVM(n *Node, gen *Genesis, dataDir string, c Config) (*backend, error) {
	db, disk, err := evm.OpenDatabase(filepath.Join(dataDir, "spn-evm"))
	if err != nil {
		return nil, err
	}
	app, err := NewApp(gen, db, disk, evm.Options{Workers: c.Workers})
	if err != nil {
		disk.Close()
		return nil, err
	}
	app.SetLogger(n.logger.With("module", "spn"))
	app.SetMetrics(n.metrics)
	app.SetStatePolicy(StatePolicy{FlushBlocks: c.StateFlushBlocks, DirtyLimit: c.StateDirtyMiB << 20})
	n.App = app
	return &backend{
		app: app,
		// One mutex per ABCI connection: CheckTx (mempool) runs while consensus
		// prepares, processes or executes a block. The app guards its own state
		// (App.mu); CometBFT still excludes CheckTx during Commit and the rechecks
		// (the mempool's update lock).
		client: proxy.NewConnSyncLocalClientCreator(app),
		handler: func(bc Broadcaster) (*jsonrpc.Handler, error) {
			return NewRPCHandler(app, bc)
		},
		close: func() error { return errors.Join(app.Close(), disk.Close()) },
	}, nil
}

// dbProvider opens CometBFT's databases and remembers them so Stop closes them all.
func (n *Node) dbProvider(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err == nil {
		n.dbs = append(n.dbs, db)
	}
	return db, err
}

// Start opens the home and starts CometBFT and the JSON-RPC server. Stop it with Stop.
func Start(home string, logger cmtlog.Logger) (*Node, error) {
	c, set, err := loadConfig(home)
	if err != nil {
		return nil, fmt.Errorf("start: %w (run spnd init)", err)
	}
	cfg, err := cometConfig(home, c, set)
	if err != nil {
		return nil, err
	}
	doc, err := cmttypes.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		return nil, err
	}
	gen, err := ParseGenesis(doc.AppState)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cometConfigFile(home)); err != nil {
		cfg.Mempool.MaxTxBytes = maxTxBytes(gen.VM) // a home without config.toml: the VM's default
	}
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	applyGCDefault(logger)
	n := &Node{VM: gen.VM, logger: logger}
	if cfg.Instrumentation.IsPrometheusEnabled() {
		if n.metrics, err = NewMetrics(prometheus.DefaultRegisterer, doc.ChainID, gen.VM); err != nil {
			return nil, err
		}
	}
	ok := false
	defer func() {
		if !ok {
			n.Stop()
		}
	}()
	switch gen.VM {
	case VMWasm:
		n.backend, err = openWasm(n, gen, cfg.DBDir(), c)
	default:
		n.backend, err = openEVM(n, gen, cfg.DBDir(), c)
	}
	if err != nil {
		return nil, err
	}
	clients := n.backend.client
	if clients == nil {
		clients = proxy.NewLocalClientCreator(n.backend.app)
	}
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	n.Comet, err = nm.NewNode(cfg, pv, nodeKey, clients,
		func() (*cmttypes.GenesisDoc, error) { return doc, nil },
		n.dbProvider, cometMetrics(cfg.Instrumentation), logger)
	if err != nil {
		return nil, fmt.Errorf("cometbft: %w", err)
	}
	if err := n.Comet.Start(); err != nil {
		return nil, fmt.Errorf("cometbft start: %w", err)
	}
	h, err := n.backend.handler(newMempoolGate(local.New(n.Comet), n.Comet.Mempool(), cfg.Mempool))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.EthRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	n.EthAddr = ln.Addr().String()
	n.rpc = h
	n.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = n.http.Serve(ln) }()
	ok = true
	return n, nil
}

// Stop stops the JSON-RPC server and CometBFT and closes the databases.
func (n *Node) Stop() error {
	var errs []error
	if n.rpc != nil {
		n.rpc.Stop() // closes WebSocket connections, which Shutdown leaves open
	}
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, n.http.Shutdown(ctx))
		cancel()
	}
	if n.Comet != nil && n.Comet.IsRunning() {
		cfg := n.Comet.Config()
		book, _ := os.Stat(cfg.P2P.AddrBookFile()) // nil if not written yet
		errs = append(errs, n.Comet.Stop())
		n.Comet.Wait()
		if cfg.P2P.PexReactor {
			waitAddrBook(cfg.P2P.AddrBookFile(), book)
		}
	}
	for _, db := range n.dbs {
		_ = db.Close() // most are closed by CometBFT already
	}
	n.dbs = nil
	if n.backend != nil && n.backend.close != nil {
		errs = append(errs, n.backend.close())
	}
	return errors.Join(errs...)
}

// cometMetricsSet is what a CometBFT MetricsProvider returns.
type cometMetricsSet struct {
	cs  *cs.Metrics
	p2p *p2p.Metrics
	mp  *mempl.Metrics
	sm  *sm.Metrics
	px  *proxy.Metrics
	bs  *blocksync.Metrics
	ss  *statesync.Metrics
}

var (
	cometMetricsMu  sync.Mutex
	cometMetricsFor = map[string]cometMetricsSet{}
)

// cometMetrics is CometBFT's DefaultMetricsProvider made safe for several nodes in one
// process: CometBFT registers its Prometheus metrics on the default registry and
// panics if they are registered twice, so a chain's metrics are created once per
// process and reused by a node restarted in it; a second chain in the same process
// (tests) gets no CometBFT metrics.
func cometMetrics(ic *cmtcfg.InstrumentationConfig) nm.MetricsProvider {
	def := nm.DefaultMetricsProvider(ic)
	if !ic.IsPrometheusEnabled() {
		return def
	}
	return func(chainID string) (*cs.Metrics, *p2p.Metrics, *mempl.Metrics, *sm.Metrics, *proxy.Metrics, *blocksync.Metrics, *statesync.Metrics) {
		cometMetricsMu.Lock()
		defer cometMetricsMu.Unlock()
		m, ok := cometMetricsFor[chainID]
		if !ok {
			m = nopCometMetrics()
			if len(cometMetricsFor) == 0 {
				m = registerCometMetrics(def, chainID)
			}
			cometMetricsFor[chainID] = m
		}
		return m.cs, m.p2p, m.mp, m.sm, m.px, m.bs, m.ss
	}
}

func nopCometMetrics() cometMetricsSet {
	return cometMetricsSet{cs.NopMetrics(), p2p.NopMetrics(), mempl.NopMetrics(), sm.NopMetrics(), proxy.NopMetrics(), blocksync.NopMetrics(), statesync.NopMetrics()}
}

// registerCometMetrics creates CometBFT's Prometheus metrics; if another CometBFT node
// of the process (e.g. a mainnet node in the devnet) registered them already, which
// makes CometBFT panic, the node gets no CometBFT metrics instead.
func registerCometMetrics(def nm.MetricsProvider, chainID string) (m cometMetricsSet) {
	defer func() {
		if recover() != nil {
			m = nopCometMetrics()
		}
	}()
	m.cs, m.p2p, m.mp, m.sm, m.px, m.bs, m.ss = def(chainID)
	return m
}

// waitAddrBook waits (at most a second) until CometBFT's address book, which its
// stopped PEX reactor saves from a goroutine nobody waits for, has been written again
// since before (its state before Stop; nil if there was no file): the home can then be
// removed or reused. The book is saved by writing a new file and renaming it over the
// old one, so a new save is a different file; file times are not used (the kernel's
// coarse clock can lag time.Now by a tick).
func waitAddrBook(path string, before os.FileInfo) {
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if fi, err := os.Stat(path); err == nil && (before == nil || !os.SameFile(before, fi)) {
			return
		}
	}
}

// ErrMempoolFull is the error of a transaction sent while the mempool is full
// (go-ethereum's message).
var ErrMempoolFull = errors.New("txpool is full")

// mempoolGate passes this node's JSON-RPC submissions to CometBFT's mempool one at a
// time, refusing one when the mempool is full. CometBFT checks fullness before and
// after the app's CheckTx; when only the second check fails (concurrent submissions
// filled the mempool meanwhile) it drops the transaction but still reports CheckTx's
// success to the caller, so a client would be told its transaction was accepted and
// never see it mined (and its later nonces would be refused as a gap). With one RPC
// submission at a time, checked against the same limits first, that window is closed
// for transactions sent to this node (gossiped ones from peers can still race).
type mempoolGate struct {
	mu       sync.Mutex
	bc       Broadcaster
	pool     mempl.Mempool
	maxTxs   int
	maxBytes int64
}

func newMempoolGate(bc Broadcaster, pool mempl.Mempool, c *cmtcfg.MempoolConfig) *mempoolGate {
	return &mempoolGate{bc: bc, pool: pool, maxTxs: c.Size, maxBytes: c.MaxTxsBytes}
}

// BroadcastTxSync submits tx unless the mempool is full.
func (g *mempoolGate) BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n, b := g.pool.Size(), g.pool.SizeBytes(); n >= g.maxTxs || b+int64(len(tx)) > g.maxBytes {
		return nil, fmt.Errorf("%w: %d transactions, %d bytes", ErrMempoolFull, n, b)
	}
	return g.bc.BroadcastTxSync(ctx, tx)
}
