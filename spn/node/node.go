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
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/farolnet/farol/spn/evm"
)

// Config is spnd's node configuration (home/config/spnd.json).
type Config struct {
	Moniker       string        `json:"moniker"`
	P2PAddr       string        `json:"p2p_laddr"`       // CometBFT p2p, e.g. tcp://0.0.0.0:26656
	CometRPCAddr  string        `json:"comet_rpc_laddr"` // CometBFT RPC, e.g. tcp://127.0.0.1:26657
	EthRPCAddr    string        `json:"eth_rpc_addr"`    // Ethereum JSON-RPC (HTTP), e.g. 127.0.0.1:8545
	BlockInterval time.Duration `json:"block_interval"`  // CometBFT timeout_commit
	Workers       int           `json:"workers"`         // EVM execution workers (0: GOMAXPROCS)
}

// DefaultConfig returns the configuration of a new single-node SPN.
func DefaultConfig() Config {
	return Config{Moniker: "spnd", P2PAddr: "tcp://0.0.0.0:26656", CometRPCAddr: "tcp://127.0.0.1:26657",
		EthRPCAddr: "127.0.0.1:8545", BlockInterval: time.Second}
}

func configFile(home string) string { return filepath.Join(home, "config", "spnd.json") }

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
	cfg := cometConfig(home, o.Config)
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
	enc, err := json.MarshalIndent(&o.Config, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(configFile(home), enc, 0o600)
}

// LoadConfig reads home/config/spnd.json.
func LoadConfig(home string) (Config, error) {
	var c Config
	b, err := os.ReadFile(configFile(home))
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

func cometConfig(home string, c Config) *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	cfg.Moniker = c.Moniker
	cfg.P2P.ListenAddress = c.P2PAddr
	cfg.RPC.ListenAddress = c.CometRPCAddr
	cfg.P2P.AllowDuplicateIP = true
	cfg.P2P.AddrBookStrict = false
	if c.BlockInterval > 0 {
		cfg.Consensus.TimeoutCommit = c.BlockInterval
	}
	cfg.Consensus.TimeoutPropose = time.Second
	cfg.Mempool.MaxTxBytes = MaxTxSize
	return cfg
}

// Node is a running SPN node: CometBFT in-process, the app and the JSON-RPC server.
type Node struct {
	App     *App   // the EVM app (nil on a Wasm SPN)
	VM      string // the genesis' vm: "evm" or "wasm"
	Comet   *nm.Node
	EthAddr string // listening address of the JSON-RPC server (HTTP; Ethereum JSON-RPC on an EVM SPN)

	backend *backend
	http    *http.Server
	dbs     []dbm.DB // CometBFT databases: Node.Stop leaves the tx indexer's open
}

// backend is what a VM contributes to a node: its ABCI app, the JSON-RPC handler
// served on the node's RPC address, and what to close on Stop.
type backend struct {
	app     abci.Application
	handler func(bc Broadcaster) (http.Handler, error)
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
	n.App = app
	return &backend{
		app: app,
		handler: func(bc Broadcaster) (http.Handler, error) {
			srv, err := NewRPCServer(app, bc)
			if err != nil {
				return nil, err
			}
			return newEthHandler(srv), nil
		},
		close: disk.Close,
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
	c, err := LoadConfig(home)
	if err != nil {
		return nil, fmt.Errorf("start: %w (run spnd init)", err)
	}
	cfg := cometConfig(home, c)
	doc, err := cmttypes.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		return nil, err
	}
	gen, err := ParseGenesis(doc.AppState)
	if err != nil {
		return nil, err
	}
	n := &Node{VM: gen.VM}
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
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	n.Comet, err = nm.NewNode(cfg, pv, nodeKey, proxy.NewLocalClientCreator(n.backend.app),
		func() (*cmttypes.GenesisDoc, error) { return doc, nil },
		n.dbProvider, nm.DefaultMetricsProvider(cfg.Instrumentation), logger)
	if err != nil {
		return nil, fmt.Errorf("cometbft: %w", err)
	}
	if err := n.Comet.Start(); err != nil {
		return nil, fmt.Errorf("cometbft start: %w", err)
	}
	h, err := n.backend.handler(local.New(n.Comet))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.EthRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	n.EthAddr = ln.Addr().String()
	n.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = n.http.Serve(ln) }()
	ok = true
	return n, nil
}

// Stop stops the JSON-RPC server and CometBFT and closes the databases.
func (n *Node) Stop() error {
	var errs []error
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, n.http.Shutdown(ctx))
		cancel()
	}
	if n.Comet != nil && n.Comet.IsRunning() {
		errs = append(errs, n.Comet.Stop())
		n.Comet.Wait()
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
