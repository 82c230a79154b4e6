package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/x/spn/types"
)

// buildState drives a fixture through every kind of state change and returns
// it: SPNs in all four statuses, a transferred admin, custom SPN params and
// non-default module params.
func buildState(t *testing.T) *fixture {
	f := newFixture(t)
	f.fund(alice, frl(10_000))
	f.fund(bob, frl(10_000))
	f.ctx = f.ctx.WithBlockHeight(11)
	f.register(registerMsg(alice, "pending-one")) // 1 PENDING
	m := registerMsg(bob, "active-wasm")
	m.VMKind, m.SettlementMode = types.VMKindWASM, types.SettlementModeTEE
	m.Params = &types.SPNParams{BatchIntervalBlocks: 5, MaxBatchBytes: 777, MinOperators: 4, MinRestakedStake: math.NewInt(123456789)}
	f.register(m) // 2 ACTIVE
	f.activate(2)
	f.ctx = f.ctx.WithBlockHeight(12)
	f.register(registerMsg(alice, "paused-three")) // 3 PAUSED, admin bob
	f.activate(3)
	_, err := f.msg.Pause(f.ctx, &types.MsgPause{Admin: alice, ID: 3})
	require.NoError(t, err)
	_, err = f.msg.TransferAdmin(f.ctx, &types.MsgTransferAdmin{Admin: alice, ID: 3, NewAdmin: bob})
	require.NoError(t, err)
	f.register(registerMsg(alice, "retired-four")) // 4 RETIRED
	f.retire(4)

	p := types.DefaultParams()
	p.RegistrationDeposit = frl(250)
	p.AutoActivate = true
	p.MaxNameLength = 40
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	f.register(registerMsg(bob, "auto-five")) // 5 ACTIVE (auto), deposit 250 FRL
	return f
}

func TestGenesisRoundTrip(t *testing.T) {
	f := buildState(t)
	gs1, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs1.Validate())
	require.Len(t, gs1.SPNs, 5)
	require.Equal(t, uint64(6), gs1.NextID)
	statuses := []types.SPNStatus{types.StatusPending, types.StatusActive, types.StatusPaused, types.StatusRetired, types.StatusActive}
	for i, s := range gs1.SPNs {
		require.Equal(t, uint64(i+1), s.ID)
		require.Equal(t, statuses[i], s.Status)
	}
	require.Equal(t, frl(250), gs1.SPNs[4].Deposit)
	require.Equal(t, bob, gs1.SPNs[2].Admin)

	// Through JSON, as a real genesis file.
	bz, err := f.cdc.Codec.MarshalJSON(gs1)
	require.NoError(t, err)
	var decoded types.GenesisState
	require.NoError(t, f.cdc.Codec.UnmarshalJSON(bz, &decoded))

	g := newFixture(t)
	g.fundModule(sdk.NewCoin(denom, f.moduleBalance()))
	require.NoError(t, g.k.InitGenesis(g.ctx, decoded))
	gs2, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, gs1, gs2)
	bz2, err := g.cdc.Codec.MarshalJSON(gs2)
	require.NoError(t, err)
	require.Equal(t, string(bz), string(bz2))

	// The indexes were rebuilt: lookups by name and uniqueness checks work,
	// and the next registration gets next_id.
	s, err := g.k.GetSPNByName(g.ctx, "paused-three")
	require.NoError(t, err)
	require.Equal(t, uint64(3), s.ID)
	g.fund(alice, frl(1000))
	_, err = g.msg.Register(g.ctx, registerMsg(alice, "retired-four"))
	require.ErrorIs(t, err, types.ErrNameTaken)
	m := registerMsg(alice, "another")
	m.ChainID = "active-wasm-1"
	_, err = g.msg.Register(g.ctx, m)
	require.ErrorIs(t, err, types.ErrChainIDTaken)
	require.Equal(t, uint64(6), g.register(registerMsg(alice, "six")))

	// And a third import of the second export is identical too.
	h := newFixture(t)
	h.fundModule(sdk.NewCoin(denom, f.moduleBalance()))
	require.NoError(t, h.k.InitGenesis(h.ctx, *gs2))
	gs3, err := h.k.ExportGenesis(h.ctx)
	require.NoError(t, err)
	require.Equal(t, gs2, gs3)
}

func TestGenesisDefault(t *testing.T) {
	f := newFixture(t)
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesisState(), gs)
}

// TestGenesisGapsAndNextID: ids need not be dense; registration continues at
// next_id.
func TestGenesisGapsAndNextID(t *testing.T) {
	f := newFixture(t)
	gs := types.DefaultGenesisState()
	gs.SPNs = []types.SPN{genesisSPN(3, "three"), genesisSPN(8, "eight")}
	gs.NextID = 20
	f.fundModule(types.DefaultRegistrationDeposit.Add(types.DefaultRegistrationDeposit))
	require.NoError(t, f.k.InitGenesis(f.ctx, *gs))
	f.fund(alice, frl(1000))
	require.Equal(t, uint64(20), f.register(registerMsg(alice, "twenty")))
	out, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(21), out.NextID)
	require.Len(t, out.SPNs, 3)
}

func genesisSPN(id uint64, name string) types.SPN {
	return types.SPN{
		ID:             id,
		Name:           name,
		VMKind:         types.VMKindEVM,
		SettlementMode: types.SettlementModeTEE,
		ChainID:        name + "-1",
		Admin:          alice,
		DANamespace:    types.DeriveNamespace(id).Bytes(),
		Status:         types.StatusActive,
		Params:         types.DefaultSPNParams(),
		Deposit:        types.DefaultRegistrationDeposit,
		CreatedHeight:  1,
	}
}

// TestInitGenesisRequiresBackedDeposits: the deposits of non-retired SPNs must
// be held by the module account; retired SPNs' deposits were refunded.
func TestInitGenesisRequiresBackedDeposits(t *testing.T) {
	gs := types.DefaultGenesisState()
	retired := genesisSPN(2, "two")
	retired.Status = types.StatusRetired
	gs.SPNs = []types.SPN{genesisSPN(1, "one"), retired}
	gs.NextID = 3

	f := newFixture(t)
	err := f.k.InitGenesis(f.ctx, *gs)
	require.ErrorIs(t, err, types.ErrInvalidGenesis)
	require.Contains(t, err.Error(), "deposits of non-retired SPNs")
	_, err = f.k.GetSPN(f.ctx, 1)
	require.Error(t, err, "nothing is written when genesis is refused")

	f.fundModule(types.DefaultRegistrationDeposit) // one live deposit, not two
	require.NoError(t, f.k.InitGenesis(f.ctx, *gs))
}

func TestInitGenesisRefusesBadState(t *testing.T) {
	cases := map[string]func(gs *types.GenesisState){
		"duplicate name": func(gs *types.GenesisState) { gs.SPNs[1].Name = gs.SPNs[0].Name },
		"duplicate id": func(gs *types.GenesisState) {
			gs.SPNs[1].ID = gs.SPNs[0].ID
			gs.SPNs[1].DANamespace = gs.SPNs[0].DANamespace
		},
		"duplicate chain id": func(gs *types.GenesisState) { gs.SPNs[1].ChainID = gs.SPNs[0].ChainID },
		"next id too low":    func(gs *types.GenesisState) { gs.NextID = 2 },
		"next id zero":       func(gs *types.GenesisState) { gs.NextID = 0; gs.SPNs = nil },
		"wrong namespace":    func(gs *types.GenesisState) { gs.SPNs[0].DANamespace = types.DeriveNamespace(9).Bytes() },
		"admin wrong prefix": func(gs *types.GenesisState) { gs.SPNs[0].Admin = farolPrefixed(alice) },
		"bad params":         func(gs *types.GenesisState) { gs.Params.MaxBatchBytesLimit = 0 },
		"bad spn":            func(gs *types.GenesisState) { gs.SPNs[0].VMKind = 0 },
		"bad deposit":        func(gs *types.GenesisState) { gs.SPNs[0].Deposit = sdk.Coin{} },
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			g := newFixture(t)
			gs := types.DefaultGenesisState()
			gs.SPNs = []types.SPN{genesisSPN(1, "one"), genesisSPN(2, "two")}
			gs.NextID = 3
			mut(gs)
			before := g.snapshot()
			require.Error(t, g.k.InitGenesis(g.ctx, *gs))
			require.Equal(t, before, g.snapshot())
		})
	}
}
