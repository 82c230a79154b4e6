// Command spnd runs an SPN node: CometBFT consensus in-process with the SPN's ABCI
// app (EVM for now) and an Ethereum JSON-RPC server.
//
//	spnd init --vm evm --chain-id spn-1 --evm-chain-id 4242 --home DIR
//	spnd start --home DIR
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

const usage = "usage: spnd init|start [flags] (spnd <command> -h for flags)"

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "init":
		return cmdInit(args[1:], stdout)
	case "start":
		return cmdStart(args[1:], stderr)
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}

func cmdInit(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	home := fs.String("home", filepath.Join(os.Getenv("HOME"), ".spnd"), "node home directory")
	vm := fs.String("vm", "evm", "virtual machine: evm (wasm: not yet)")
	chainID := fs.String("chain-id", "spn-1", "CometBFT chain id")
	evmChainID := fs.Uint64("evm-chain-id", 4242, "EIP-155 chain id")
	gasLimit := fs.Uint64("block-gas-limit", node.DefaultBlockGasLimit, "block gas limit")
	interval := fs.Duration("block-interval", time.Second, "block interval (CometBFT timeout_commit)")
	ethAddr := fs.String("eth-rpc", "127.0.0.1:8545", "Ethereum JSON-RPC listen address")
	cometRPC := fs.String("comet-rpc", "tcp://127.0.0.1:26657", "CometBFT RPC listen address")
	p2pAddr := fs.String("p2p", "tcp://0.0.0.0:26656", "CometBFT p2p listen address")
	devKey := fs.String("dev-key", "", "hex private key of the funded dev account (default: a new key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *vm != "evm" {
		return fmt.Errorf("--vm %s: only evm is implemented so far", *vm)
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
	g.BlockGasLimit = *gasLimit
	g.Alloc[dev] = node.GenesisAlloc{Balance: (*hexutil.Big)(new(big.Int).Exp(big.NewInt(10), big.NewInt(27), nil))} // 1e9 ETH
	cfg := node.DefaultConfig()
	cfg.EthRPCAddr, cfg.CometRPCAddr, cfg.P2PAddr, cfg.BlockInterval = *ethAddr, *cometRPC, *p2pAddr, *interval
	if err := node.Init(*home, node.InitOptions{ChainID: *chainID, Genesis: g, Config: cfg}); err != nil {
		return err
	}
	keyFile := filepath.Join(*home, "config", "dev_key.hex")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
		return err
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
	logger.Info("spnd started", "eth_rpc", "http://"+n.EthAddr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Info("spnd stopping", "signal", s.String())
	return n.Stop()
}
