package app

import (
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/da/square"
)

var (
	accept = &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}
	reject = &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}
)

// ProcessProposalHandler accepts a block only if PrepareProposal could have built
// it: every transaction passes validateBlockTx (decodes; BlobTxs well formed
// with blobs matching their MsgPayForBlobs; no MsgPayForBlobs outside a
// BlobTx) and the block lays out into a square of at most max_square_size
// with every regular transaction before every BlobTx, and every transaction
// passes the ante handlers in block order (signature, sequence, fee). It
// never returns an error: a bad block is rejected.
func (app *FarolApp) ProcessProposalHandler(ctx sdk.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	params, txSizeCost, err := app.blockTxParams(ctx)
	if err != nil {
		app.Logger().Error("process proposal: da params", "err", err)
		return reject, nil
	}
	for i, raw := range req.Txs {
		if _, err := app.validateBlockTx(raw, params, txSizeCost); err != nil {
			app.Logger().Info("rejecting proposal", "height", req.Height, "tx", i, "err", err)
			return reject, nil
		}
	}
	if _, err := square.Construct(req.Txs, int(params.MaxSquareSize)); err != nil {
		app.Logger().Info("rejecting proposal", "height", req.Height, "err", err)
		return reject, nil
	}
	ante := app.newAnteRunner(ctx)
	for i, raw := range req.Txs {
		if err := ante.run(raw); err != nil {
			app.Logger().Info("rejecting proposal", "height", req.Height, "tx", i, "err", err)
			return reject, nil
		}
	}
	return accept, nil
}
