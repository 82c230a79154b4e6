// Command spnd runs an SPN node: CometBFT consensus in-process with the SPN's ABCI
// app (EVM or Wasm) and its JSON-RPC server (Ethereum JSON-RPC, or the wasm_
// namespace), and is the Wasm SPN's command-line client.
//
//	spnd init --vm evm --chain-id spn-1 --evm-chain-id 4242 --home DIR
//	spnd init --vm wasm --chain-id spn-2 --wasm-chain-id 4243 --home DIR
//	spnd start --home DIR
//	spnd tx wasm upload|instantiate|execute|transfer ... --node URL --key HEX|FILE
//	spnd query wasm contract|balance|nonce|tx|code|block ... --node URL
package main

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/node"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "spnd:", err)
		os.Exit(1)
	}
}

const usage = "usage: spnd init|start|tx wasm|query wasm [flags] (spnd <command> -h for flags)"

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "init":
		return cmdInit(args[1:], stdout)
	case "start":
		return cmdStart(args[1:], stderr)
	case "tx":
		return cmdTx(args[1:], stdout)
	case "query", "q":
		return cmdQuery(args[1:], stdout)
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}

func cmdInit(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	home := fs.String("home", filepath.Join(os.Getenv("HOME"), ".spnd"), "node home directory")
	vm := fs.String("vm", "evm", "virtual machine: evm or wasm")
	chainID := fs.String("chain-id", "spn-1", "CometBFT chain id")
	evmChainID := fs.Uint64("evm-chain-id", 4242, "EIP-155 chain id (evm)")
	wasmChainID := fs.Uint64("wasm-chain-id", 4242, "chain id of Wasm transactions (wasm)")
	gasLimit := fs.Uint64("block-gas-limit", 0, "block gas limit (default 60,000,000 evm, 150,000,000 wasm)")
	interval := fs.Duration("block-interval", time.Second, "block interval (CometBFT timeout_commit)")
	ethAddr := fs.String("eth-rpc", "127.0.0.1:8545", "JSON-RPC listen address (Ethereum JSON-RPC on evm, wasm_ on wasm)")
	cometRPC := fs.String("comet-rpc", "tcp://127.0.0.1:26657", "CometBFT RPC listen address")
	p2pAddr := fs.String("p2p", "tcp://0.0.0.0:26656", "CometBFT p2p listen address")
	devKey := fs.String("dev-key", "", "hex private key of the funded dev account (default: a new key)")
	prom := fs.String("prometheus", node.DefaultPrometheusAddr, "Prometheus metrics listen address (empty: off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *vm != node.VMEVM && *vm != node.VMWasm {
		return fmt.Errorf("--vm %s: evm or wasm", *vm)
	}
	var key *ecdsa.PrivateKey
	var err error
	if *devKey != "" {
		key, err = crypto.HexToECDSA(*devKey)
	} else {
		key, err = crypto.GenerateKey()
	}
	if err != nil {
		return fmt.Errorf("dev key: %w", err)
	}
	dev := crypto.PubkeyToAddress(key.PublicKey)
	g := node.DefaultGenesis(*evmChainID)
	if *vm == node.VMWasm {
		g = node.DefaultWasmGenesis(*wasmChainID)
	}
	if *gasLimit != 0 {
		g.BlockGasLimit = *gasLimit
	}
	g.Alloc[dev] = node.GenesisAlloc{Balance: (*hexutil.Big)(new(big.Int).Exp(big.NewInt(10), big.NewInt(27), nil))} // 1e9 ETH (1e27 units on wasm)
	cfg := node.DefaultConfig()
	cfg.EthRPCAddr, cfg.CometRPCAddr, cfg.P2PAddr, cfg.BlockInterval = *ethAddr, *cometRPC, *p2pAddr, *interval
	cfg.PrometheusAddr = *prom
	if err := node.Init(*home, node.InitOptions{ChainID: *chainID, Genesis: g, Config: cfg}); err != nil {
		return err
	}
	keyFile := filepath.Join(*home, "config", "dev_key.hex")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
		return err
	}
	if *vm == node.VMWasm {
		fmt.Fprintf(stdout, "initialized Wasm SPN %s (wasm chain id %d) in %s\ndev account %s (key in %s)\n", *chainID, *wasmChainID, *home, dev, keyFile)
		return nil
	}
	fmt.Fprintf(stdout, "initialized EVM SPN %s (evm chain id %d) in %s\ndev account %s (key in %s)\n", *chainID, *evmChainID, *home, dev, keyFile)
	return nil
}

func cmdStart(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	home := fs.String("home", filepath.Join(os.Getenv("HOME"), ".spnd"), "node home directory")
	level := fs.String("log-level", "info", "log level: debug, info, error, none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := cmtlog.NewTMLogger(cmtlog.NewSyncWriter(stderr))
	switch *level {
	case "debug":
		logger = cmtlog.NewFilter(logger, cmtlog.AllowDebug())
	case "info":
		logger = cmtlog.NewFilter(logger, cmtlog.AllowInfo())
	case "error":
		logger = cmtlog.NewFilter(logger, cmtlog.AllowError())
	case "none":
		logger = cmtlog.NewNopLogger()
	default:
		return fmt.Errorf("--log-level %q", *level)
	}
	n, err := node.Start(*home, logger)
	if err != nil {
		return err
	}
	if n.VM == node.VMWasm && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // spn/wasm README "Operating": short calls make the GC the limit
	}
	logger.Info("spnd started", "vm", n.VM, "rpc", "http://"+n.EthAddr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Info("spnd stopping", "signal", s.String())
	return n.Stop()
}
