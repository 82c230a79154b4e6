package keeper_test

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/farolnet/farol/testutil/bankenv"
	"github.com/farolnet/farol/x/spn"
	"github.com/farolnet/farol/x/spn/keeper"
	"github.com/farolnet/farol/x/spn/types"
)

const (
	mainnetChainID = "farol-1"
	bech32Prefix   = bankenv.Bech32Prefix
	denom          = types.DefaultBondDenom
)

// fixture is a real auth + bank + spn keeper set on an in-memory multistore.
type fixture struct {
	t         *testing.T
	env       *bankenv.Env
	ctx       sdk.Context
	keys      map[string]*storetypes.KVStoreKey
	k         keeper.Keeper
	bk        bankkeeper.BaseKeeper
	ak        authkeeper.AccountKeeper
	msg       types.MsgServer
	query     types.QueryServer
	cdc       moduletestutil.TestEncodingConfig
	authority string
	moduleAcc sdk.AccAddress
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := bankenv.New(t, types.StoreKey, map[string][]string{types.ModuleName: nil}, spn.AppModuleBasic{})
	ctx := env.Ctx.WithChainID(mainnetChainID).WithBlockHeight(7)
	k := keeper.NewKeeper(env.Enc.Codec, runtime.NewKVStoreService(env.Keys[types.StoreKey]), env.AddressCodec, env.BankKeeper, env.Authority)

	f := &fixture{
		t: t, env: env, ctx: ctx, keys: env.Keys, k: k, bk: env.BankKeeper, ak: env.AccountKeeper,
		msg: keeper.NewMsgServerImpl(k), query: keeper.NewQueryServerImpl(k),
		cdc: env.Enc, authority: env.Authority,
		moduleAcc: authtypes.NewModuleAddress(types.ModuleName),
	}
	require.NoError(t, k.InitGenesis(ctx, *types.DefaultGenesisState()))
	return f
}

// addr returns a deterministic test address string.
func addr(name string) string {
	a := sdk.AccAddress(bytes.Repeat([]byte(name[:1]), 20))
	s, err := addresscodec.NewBech32Codec(bech32Prefix).BytesToString(a)
	if err != nil {
		panic(err)
	}
	return s
}

func accAddr(s string) sdk.AccAddress {
	b, err := addresscodec.NewBech32Codec(bech32Prefix).StringToBytes(s)
	if err != nil {
		panic(err)
	}
	return b
}

func frl(n int64) sdk.Coin { return sdk.NewCoin(denom, math.NewInt(n*1_000_000)) }

// fund mints coins to addr through the minter module account.
func (f *fixture) fund(address string, coins ...sdk.Coin) {
	f.t.Helper()
	f.env.Mint(f.t, f.ctx, accAddr(address), sdk.NewCoins(coins...))
}

// fundModule mints coins to the spn module account, as x/bank's genesis does
// for the deposits of SPNs in a genesis file.
func (f *fixture) fundModule(coins ...sdk.Coin) {
	f.t.Helper()
	f.env.MintToModule(f.t, f.ctx, types.ModuleName, sdk.NewCoins(coins...))
}

func (f *fixture) balance(address string) math.Int {
	return f.bk.GetBalance(f.ctx, accAddr(address), denom).Amount
}

func (f *fixture) moduleBalance() math.Int {
	return f.bk.GetBalance(f.ctx, f.moduleAcc, denom).Amount
}

// snapshot returns every key/value pair of the auth, bank and spn stores, in a
// canonical order, so two snapshots compare equal iff nothing was written.
func (f *fixture) snapshot() []string {
	var out []string
	for _, name := range []string{authtypes.StoreKey, banktypes.StoreKey, types.StoreKey} {
		st := f.ctx.KVStore(f.keys[name])
		it := st.Iterator(nil, nil)
		for ; it.Valid(); it.Next() {
			out = append(out, name+"/"+string(it.Key())+"="+string(it.Value()))
		}
		require.NoError(f.t, it.Close())
	}
	sort.Strings(out)
	return out
}

// requireFailsCleanly runs fn on a fresh event manager and checks that it
// fails with want, writes nothing to any store and emits no event.
func (f *fixture) requireFailsCleanly(want error, fn func(ctx sdk.Context) error) {
	f.t.Helper()
	before := f.snapshot()
	ctx := f.ctx.WithEventManager(sdk.NewEventManager())
	err := fn(ctx)
	require.ErrorIs(f.t, err, want)
	require.Equal(f.t, before, f.snapshot(), "state changed by a failed call")
	require.Empty(f.t, ctx.EventManager().Events(), "events emitted by a failed call")
}

// events runs fn on a fresh event manager, requires success and returns the
// types of the spn events emitted (bank's transfer events are left out).
func (f *fixture) events(fn func(ctx sdk.Context) error) []string {
	f.t.Helper()
	ctx := f.ctx.WithEventManager(sdk.NewEventManager())
	require.NoError(f.t, fn(ctx))
	var out []string
	for _, e := range ctx.EventManager().Events() {
		if strings.HasPrefix(e.Type, "farol.spn.v1.") {
			out = append(out, e.Type)
		}
	}
	return out
}

func registerMsg(admin, name string) *types.MsgRegister {
	return &types.MsgRegister{
		Admin:          admin,
		Name:           name,
		VMKind:         types.VMKindEVM,
		SettlementMode: types.SettlementModeZK,
		ChainID:        name + "-1",
		MaxDeposit:     types.DefaultRegistrationDeposit,
	}
}

// register registers an SPN and returns its id.
func (f *fixture) register(msg *types.MsgRegister) uint64 {
	f.t.Helper()
	res, err := f.msg.Register(f.ctx, msg)
	require.NoError(f.t, err)
	return res.ID
}

func (f *fixture) get(id uint64) types.SPN {
	f.t.Helper()
	s, err := f.k.GetSPN(f.ctx, id)
	require.NoError(f.t, err)
	return s
}
