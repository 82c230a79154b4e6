// Package network starts in-process Farol mainnet networks for tests: N
// validators, each a real CometBFT node running the Farol application, in one
// process, with gRPC, REST and CometBFT RPC served by the first validator.
//
// It wraps the Cosmos SDK's testutil/network with Farol's application,
// genesis and denominations so that every test package shares one setup. The
// SDK allows one such network per process at a time; tests that need one
// should start it once (for example in TestMain or a suite) and share it.
package network

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/log"
	pruningtypes "cosmossdk.io/store/pruning/types"
	dbm "github.com/cosmos/cosmos-db"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdknetwork "github.com/cosmos/cosmos-sdk/testutil/network"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/farolnet/farol/app"
)

// Network is a running in-process network.
type Network = sdknetwork.Network

// Validator is one validator of a Network.
type Validator = sdknetwork.Validator

// Config is the configuration of a Network.
type Config = sdknetwork.Config

// DefaultChainID is the chain id test networks use unless told otherwise.
const DefaultChainID = "farol-test-1"

// DefaultConfig returns the configuration of a network of numValidators
// Farol validators with one-second blocks, fees in ufrl and every account
// funded with 1,000,000 FRL.
func DefaultConfig(numValidators int) Config {
	tmpApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.EmptyAppOptions{})
	enc := tmpApp.EncodingConfig()
	genesis := tmpApp.DefaultGenesis()

	cfg := sdknetwork.DefaultConfig(func() sdknetwork.TestFixture {
		return sdknetwork.TestFixture{
			AppConstructor: newValidatorApp,
			GenesisState:   genesis,
			EncodingConfig: moduletestutil.TestEncodingConfig{
				InterfaceRegistry: enc.InterfaceRegistry,
				Codec:             enc.Codec,
				TxConfig:          app.BlobAwareTxConfig(enc.TxConfig),
				Amino:             enc.Amino,
			},
		}
	})
	cfg.ChainID = DefaultChainID
	cfg.NumValidators = numValidators
	cfg.BondDenom = app.BondDenom
	cfg.MinGasPrices = "0" + app.BondDenom
	cfg.AccountTokens = sdk.TokensFromConsensusPower(1_000_000, sdk.DefaultPowerReduction)
	cfg.StakingTokens = sdk.TokensFromConsensusPower(500_000, sdk.DefaultPowerReduction)
	cfg.BondedTokens = sdkmath.NewInt(100).Mul(sdk.DefaultPowerReduction)
	cfg.TimeoutCommit = time.Second
	cfg.PruningStrategy = pruningtypes.PruningOptionNothing
	return cfg
}

func newValidatorApp(val sdknetwork.ValidatorI) servertypes.Application {
	appCfg := val.GetAppConfig()
	ctx := val.GetCtx()
	return app.New(
		ctx.Logger, dbm.NewMemDB(), nil, true,
		simtestutil.NewAppOptionsWithFlagHome(ctx.Config.RootDir),
		baseapp.SetPruning(pruningtypes.NewPruningOptionsFromString(appCfg.Pruning)),
		baseapp.SetMinGasPrices(appCfg.MinGasPrices),
		baseapp.SetChainID(ctx.Viper.GetString(flags.FlagChainID)),
	)
}

// New starts a network with cfg in a temporary folder of t, waits for its
// first block and stops it when t ends.
func New(t testing.TB, cfg Config) *Network {
	t.Helper()
	net, err := sdknetwork.New(t, t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("start network: %v", err)
	}
	t.Cleanup(net.Cleanup)
	if _, err := net.WaitForHeightWithTimeout(1, 60*time.Second); err != nil {
		t.Fatalf("network produced no block: %v", err)
	}
	return net
}

// GRPCAddress returns the gRPC address of the network's first validator.
func GRPCAddress(net *Network) (string, error) {
	if len(net.Validators) == 0 || net.Validators[0].AppConfig == nil {
		return "", fmt.Errorf("network has no validator serving gRPC")
	}
	return net.Validators[0].AppConfig.GRPC.Address, nil
}
