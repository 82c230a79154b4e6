package keeper

import (
	"context"

	"github.com/farolnet/farol/x/da/types"
)

// InitGenesis stores the genesis state, which must be valid.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, r := range gs.DataRoots {
		if err := k.DataRoots.Set(ctx, r.Height, r); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis returns the params and every data root.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: p}
	err = k.DataRoots.Walk(ctx, nil, func(_ int64, r types.DataRoot) (bool, error) {
		gs.DataRoots = append(gs.DataRoots, r)
		return false, nil
	})
	return gs, err
}
