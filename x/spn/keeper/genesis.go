package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/farolnet/farol/x/spn/types"
)

// InitGenesis validates gs (types.GenesisState.Validate, plus every admin
// under the keeper's address codec) and then stores it, rebuilding the name
// and chain id indexes. Nothing is written if any check fails.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	for i, s := range gs.SPNs {
		if _, err := k.addressCodec.StringToBytes(s.Admin); err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "spns[%d]: admin %q: %s", i, s.Admin, err)
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
