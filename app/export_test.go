package app_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/farolnet/farol/app"
	spntypes "github.com/farolnet/farol/x/spn/types"
)

const exportChainID = "farol-export-test"

// TestGenesisExportImportRoundTrip starts a chain from a genesis holding an
// SPN, commits a block, exports the state, starts a second chain from the
// export and exports again: both exports must be identical byte for byte,
// but for the inflation the second chain's block mints.
func TestGenesisExportImportRoundTrip(t *testing.T) {
	first := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.EmptyAppOptions{}, baseapp.SetChainID(exportChainID))
	cdc := first.AppCodec()

	valSet, err := simtestutil.CreateRandomValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	priv := secp256k1.GenPrivKey()
	admin := authtypes.NewBaseAccount(priv.PubKey().Address().Bytes(), priv.PubKey(), 0, 0)
	deposit := sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1_000_000_000))
	genesis, err := simtestutil.GenesisStateWithValSet(cdc, first.DefaultGenesis(), valSet,
		[]authtypes.GenesisAccount{admin},
		banktypes.Balance{Address: admin.GetAddress().String(), Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1e12)))},
		// The module account holds the deposit of the SPN below.
		banktypes.Balance{Address: authtypes.NewModuleAddress(spntypes.ModuleName).String(), Coins: sdk.NewCoins(deposit)},
	)
	if err != nil {
		t.Fatal(err)
	}
	spnGenesis := spntypes.DefaultGenesisState()
	spnGenesis.SPNs = []spntypes.SPN{{
		ID:             1,
		Name:           "genesis-spn",
		VMKind:         spntypes.VMKindWASM,
		SettlementMode: spntypes.SettlementModeTEE,
		ChainID:        "genesis-spn-1",
		Admin:          admin.GetAddress().String(),
		DANamespace:    spntypes.DeriveNamespace(1).Bytes(),
		Status:         spntypes.StatusActive,
		Params:         spnGenesis.Params.DefaultSPNParams,
		Deposit:        deposit,
		CreatedHeight:  0,
	}}
	spnGenesis.NextID = 2
	genesis[spntypes.ModuleName] = cdc.MustMarshalJSON(spnGenesis)

	firstExport := runAndExport(t, first, genesis)
	var exported map[string]json.RawMessage
	if err := json.Unmarshal(firstExport, &exported); err != nil {
		t.Fatal(err)
	}
	var gotSPN spntypes.GenesisState
	cdc.MustUnmarshalJSON(exported[spntypes.ModuleName], &gotSPN)
	if len(gotSPN.SPNs) != 1 || gotSPN.SPNs[0].Name != "genesis-spn" || gotSPN.NextID != 2 {
		t.Fatalf("exported spn genesis lost data: %+v", gotSPN)
	}

	second := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.EmptyAppOptions{}, baseapp.SetChainID(exportChainID))
	secondExport := runAndExport(t, second, exported)
	var reexported map[string]json.RawMessage
	if err := json.Unmarshal(secondExport, &reexported); err != nil {
		t.Fatal(err)
	}
	// Each chain commits one block, and each block mints inflation: the
	// supply (bank) and the minter state (mint) legitimately move on. Every
	// other module must come back byte for byte.
	inflating := map[string]bool{minttypes.ModuleName: true, banktypes.ModuleName: true}
	if len(reexported) != len(exported) {
		t.Fatalf("re-export has %d modules, export %d", len(reexported), len(exported))
	}
	for _, name := range first.ModuleManager.OrderExportGenesis {
		if inflating[name] {
			continue
		}
		if !bytes.Equal(exported[name], reexported[name]) {
			t.Errorf("module %s does not round-trip:\nexport:    %s\nre-export: %s", name, exported[name], reexported[name])
		}
	}
}

// runAndExport initialises a with genesis, commits one block and returns the
// exported app state.
func runAndExport(t *testing.T, a *app.FarolApp, genesis map[string]json.RawMessage) []byte {
	t.Helper()
	stateBytes, err := json.Marshal(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId:         exportChainID,
		Validators:      []abci.ValidatorUpdate{},
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   stateBytes,
	}); err != nil {
		t.Fatalf("init chain: %v", err)
	}
	if _, err := a.FinalizeBlock(&abci.RequestFinalizeBlock{Height: 1}); err != nil {
		t.Fatalf("finalize block: %v", err)
	}
	if _, err := a.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	exp, err := a.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if len(exp.Validators) == 0 {
		t.Fatal("export has no validators")
	}
	return exp.AppState
}
