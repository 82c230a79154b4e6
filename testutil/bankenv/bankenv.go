// Package bankenv builds real x/auth and x/bank keepers on an in-memory
// multistore, for the keeper tests of Farol modules that move funds. No
// mocks: deposits, fees and refunds go through the SDK's own bank keeper.
package bankenv

import (
	"testing"

	"cosmossdk.io/core/address"
	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/bank"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

const (
	// Minter is the module account through which Mint creates test funds.
	Minter = "minter"
	// Bech32Prefix is the account address prefix of the environment.
	Bech32Prefix = "cosmos"
)

// Env is an auth + bank keeper pair and the store of one more module.
type Env struct {
	Ctx           sdk.Context
	Keys          map[string]*storetypes.KVStoreKey
	Enc           moduletestutil.TestEncodingConfig
	AddressCodec  address.Codec
	Authority     string // the gov module account, as in the app
	AccountKeeper authkeeper.AccountKeeper
	BankKeeper    bankkeeper.BaseKeeper
}

// New builds the environment with stores for auth, bank and storeKey, the
// module accounts in moduleAccounts plus Minter, and an encoding config
// registering auth, bank and basics.
func New(t testing.TB, storeKey string, moduleAccounts map[string][]string, basics ...module.AppModuleBasic) *Env {
	t.Helper()
	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, storeKey)
	ctx := testutil.DefaultContextWithKeys(keys, nil, nil)
	enc := moduletestutil.MakeTestEncodingConfig(append([]module.AppModuleBasic{auth.AppModuleBasic{}, bank.AppModuleBasic{}}, basics...)...)
	ac := addresscodec.NewBech32Codec(Bech32Prefix)
	authority := authtypes.NewModuleAddress("gov").String()
	perms := map[string][]string{Minter: {authtypes.Minter}}
	for name, p := range moduleAccounts {
		perms[name] = p
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, perms, ac, Bech32Prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]), ak,
		map[string]bool{}, authority, log.NewNopLogger())
	if err := bk.SetParams(ctx, banktypes.DefaultParams()); err != nil {
		t.Fatalf("bank params: %v", err)
	}
	return &Env{Ctx: ctx, Keys: keys, Enc: enc, AddressCodec: ac, Authority: authority, AccountKeeper: ak, BankKeeper: bk}
}

// Mint creates coins through the Minter account and sends them to addr.
func (e *Env) Mint(t testing.TB, ctx sdk.Context, addr sdk.AccAddress, coins sdk.Coins) {
	t.Helper()
	if err := e.BankKeeper.MintCoins(ctx, Minter, coins); err != nil {
		t.Fatalf("mint %s: %v", coins, err)
	}
	if err := e.BankKeeper.SendCoinsFromModuleToAccount(ctx, Minter, addr, coins); err != nil {
		t.Fatalf("send minted %s: %v", coins, err)
	}
}

// MintToModule creates coins through the Minter account and sends them to
// the module account named module.
func (e *Env) MintToModule(t testing.TB, ctx sdk.Context, moduleName string, coins sdk.Coins) {
	t.Helper()
	if err := e.BankKeeper.MintCoins(ctx, Minter, coins); err != nil {
		t.Fatalf("mint %s: %v", coins, err)
	}
	if err := e.BankKeeper.SendCoinsFromModuleToModule(ctx, Minter, moduleName, coins); err != nil {
		t.Fatalf("send minted %s: %v", coins, err)
	}
}
