package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/farolnet/farol/x/spn/types"
)

func spnRecord(id uint64, name string) types.SPN {
	return types.SPN{
		ID: id, Name: name, VMKind: types.VMKindEVM, SettlementMode: types.SettlementModeZK, ChainID: name + "-1",
		Admin: admin, DANamespace: types.DeriveNamespace(id).Bytes(), Status: types.StatusPending,
		Params: types.DefaultSPNParams(), Deposit: types.DefaultRegistrationDeposit, CreatedHeight: 1,
	}
}

func TestGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultGenesisState().Validate())
	good := func() *types.GenesisState {
		gs := types.DefaultGenesisState()
		gs.SPNs = []types.SPN{spnRecord(1, "one"), spnRecord(4, "four")}
		gs.NextID = 5
		return gs
	}
	require.NoError(t, good().Validate())

	cases := map[string]func(gs *types.GenesisState){
		"bad params":        func(gs *types.GenesisState) { gs.Params.MaxNameLength = 0 },
		"next id zero":      func(gs *types.GenesisState) { gs.NextID = 0 },
		"next id equal":     func(gs *types.GenesisState) { gs.NextID = 4 },
		"next id below":     func(gs *types.GenesisState) { gs.NextID = 2 },
		"id zero":           func(gs *types.GenesisState) { gs.SPNs[0].ID = 0 },
		"duplicate id":      func(gs *types.GenesisState) { gs.SPNs[1] = spnRecord(1, "four") },
		"duplicate name":    func(gs *types.GenesisState) { gs.SPNs[1].Name = "one" },
		"duplicate chain":   func(gs *types.GenesisState) { gs.SPNs[1].ChainID = "one-1" },
		"bad name":          func(gs *types.GenesisState) { gs.SPNs[0].Name = "One" },
		"bad chain id":      func(gs *types.GenesisState) { gs.SPNs[0].ChainID = "" },
		"bad vm":            func(gs *types.GenesisState) { gs.SPNs[0].VMKind = 5 },
		"bad mode":          func(gs *types.GenesisState) { gs.SPNs[0].SettlementMode = 0 },
		"bad admin":         func(gs *types.GenesisState) { gs.SPNs[0].Admin = "nope" },
		"empty admin":       func(gs *types.GenesisState) { gs.SPNs[0].Admin = "" },
		"bad namespace":     func(gs *types.GenesisState) { gs.SPNs[0].DANamespace = []byte{1, 2} },
		"other namespace":   func(gs *types.GenesisState) { gs.SPNs[0].DANamespace = types.DeriveNamespace(4).Bytes() },
		"status unset":      func(gs *types.GenesisState) { gs.SPNs[0].Status = types.StatusUnspecified },
		"bad spn params":    func(gs *types.GenesisState) { gs.SPNs[0].Params.MinOperators = 0 },
		"bad deposit":       func(gs *types.GenesisState) { gs.SPNs[0].Deposit.Denom = "" },
		"negative height":   func(gs *types.GenesisState) { gs.SPNs[0].CreatedHeight = -1 },
		"name over 64":      func(gs *types.GenesisState) { gs.SPNs[0].Name = strings.Repeat("a", 65) },
		"retired bad field": func(gs *types.GenesisState) { gs.SPNs[0].Status = types.StatusRetired; gs.SPNs[0].VMKind = 0 },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			gs := good()
			mut(gs)
			require.Error(t, gs.Validate())
		})
	}
}

func TestParamsValidate(t *testing.T) {
	for name, mut := range map[string]func(p *types.Params){
		"negative deposit":   func(p *types.Params) { p.RegistrationDeposit.Amount = math.NewInt(-1) },
		"unset deposit":      func(p *types.Params) { p.RegistrationDeposit.Amount = math.Int{} },
		"empty denom":        func(p *types.Params) { p.RegistrationDeposit.Denom = "" },
		"name length 2":      func(p *types.Params) { p.MaxNameLength = 2 },
		"name length 65":     func(p *types.Params) { p.MaxNameLength = 65 },
		"zero limit":         func(p *types.Params) { p.MaxBatchBytesLimit = 0 },
		"default over limit": func(p *types.Params) { p.MaxBatchBytesLimit = p.DefaultSPNParams.MaxBatchBytes - 1 },
		"bad default":        func(p *types.Params) { p.DefaultSPNParams.BatchIntervalBlocks = 0 },
	} {
		p := types.DefaultParams()
		mut(&p)
		require.ErrorIs(t, p.Validate(), types.ErrInvalidParams, name)
	}
	var empty types.Params
	require.ErrorIs(t, empty.Validate(), types.ErrInvalidParams)
}
