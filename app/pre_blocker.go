package app

import (
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// PreBlocker runs the modules' pre-block hooks (upgrade, auth), then stores
// the block's data square, data root and blobs (x/da).
func (app *FarolApp) PreBlocker(ctx sdk.Context, req *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	res, err := app.ModuleManager.PreBlock(ctx)
	if err != nil {
		return nil, err
	}
	if err := app.DAKeeper.ProcessBlock(ctx, req.Txs); err != nil {
		return nil, err
	}
	return res, nil
}
