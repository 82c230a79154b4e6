package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/farolnet/farol/x/spn/types"
)

// InitGenesis validates gs (types.GenesisState.Validate, every admin under the
// keeper's address codec, and that the spn module account's balance covers the
// deposits of all non-retired SPNs) and then stores it, rebuilding the name
// and chain id indexes. Nothing is written if any check fails.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	held := sdk.NewCoins()
	for i, s := range gs.SPNs {
		if _, err := k.addressCodec.StringToBytes(s.Admin); err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "spns[%d]: admin %q: %s", i, s.Admin, err)
		}
		if s.Status != types.StatusRetired {
			held = held.Add(s.Deposit)
		}
	}
	// Every deposit still held must be backed by the module account, or a
	// later MsgRetire could not refund it. x/bank's genesis runs before this
	// module's, so the balance is already in place.
	if !held.IsZero() {
		balance := k.bankKeeper.SpendableCoins(ctx, authtypes.NewModuleAddress(types.ModuleName))
		if !balance.IsAllGTE(held) {
			return errorsmod.Wrapf(types.ErrInvalidGenesis,
				"the %s module account holds %s but the deposits of non-retired SPNs total %s", types.ModuleName, balance, held)
		}
	}

	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, s := range gs.SPNs {
		if err := k.SPNs.Set(ctx, s.ID, s); err != nil {
			return err
		}
		if err := k.NameIndex.Set(ctx, s.Name, s.ID); err != nil {
			return err
		}
		if err := k.ChainIDIndex.Set(ctx, s.ChainID, s.ID); err != nil {
			return err
		}
	}
	return k.NextID.Set(ctx, gs.NextID)
}

// ExportGenesis returns the module state: params, every SPN in id order, and
// next_id.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	spns := []types.SPN{}
	if err := k.SPNs.Walk(ctx, nil, func(_ uint64, s types.SPN) (bool, error) {
		spns = append(spns, s)
		return false, nil
	}); err != nil {
		return nil, err
	}
	next, err := k.peekNextID(ctx)
	if err != nil {
		return nil, err
	}
	return &types.GenesisState{Params: params, SPNs: spns, NextID: next}, nil
}
