package app

import (
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// CheckTxHandler runs validateBlockTx on new transactions before the ante
// handlers, so the mempool never holds a BlobTx whose blobs do not match its
// MsgPayForBlobs, nor a MsgPayForBlobs without blobs. Rechecks skip it: the
// blobs of a transaction do not change.
func (app *FarolApp) CheckTxHandler(runTx sdk.RunTx, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if req.Type == abci.CheckTxType_New {
		params, txSizeCost, err := app.blockTxParams(app.NewContext(true))
		if err != nil {
			return sdkerrors.ResponseCheckTxWithEvents(err, 0, 0, nil, false), nil
		}
		if _, err := app.validateBlockTx(req.Tx, params, txSizeCost); err != nil {
			return sdkerrors.ResponseCheckTxWithEvents(err, 0, 0, nil, false), nil
		}
	}
	gInfo, result, anteEvents, err := runTx(req.Tx, nil)
	if err != nil {
		return sdkerrors.ResponseCheckTxWithEvents(err, gInfo.GasWanted, gInfo.GasUsed, anteEvents, false), nil
	}
	return &abci.ResponseCheckTx{
		GasWanted: int64(gInfo.GasWanted),
		GasUsed:   int64(gInfo.GasUsed),
		Log:       result.Log,
		Data:      result.Data,
		Events:    result.Events,
	}, nil
}
