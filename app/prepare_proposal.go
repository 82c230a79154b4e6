package app

import (
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/da/square"
)

// PrepareProposalHandler builds the block's data square. It keeps the mempool's
// transactions (in its order) that validateBlockTx accepts and that fit
// MaxTxBytes, lets square.Build drop what does not fit a square of
// max_square_size and order the rest (regular transactions, then BlobTxs),
// and drops what fails the ante handlers in that order. Whatever it
// returns, ProcessProposal accepts.
func (app *FarolApp) PrepareProposalHandler(ctx sdk.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	params, txSizeCost, err := app.blockTxParams(ctx)
	if err != nil {
		return nil, err
	}
	var (
		kept  [][]byte
		bytes int64
	)
	for _, raw := range req.Txs {
		if bytes+int64(len(raw)) > req.MaxTxBytes {
			continue
		}
		if _, err := app.validateBlockTx(raw, params, txSizeCost); err != nil {
			continue
		}
		kept = append(kept, raw)
		bytes += int64(len(raw))
	}
	// Lay out, then run the ante handlers in block order and drop what
	// fails; dropping can make a later transaction of the same sender fail
	// (its sequence), so repeat until nothing is dropped. Each round
	// shrinks the set, and a subset keeps its order and fits.
	for {
		_, txs, err := square.Build(kept, int(params.MaxSquareSize))
		if err != nil {
			return nil, err
		}
		ante := app.newAnteRunner(ctx)
		passed := make([][]byte, 0, len(txs))
		for _, raw := range txs {
			if ante.run(raw) == nil {
				passed = append(passed, raw)
			}
		}
		if len(passed) == len(txs) {
			return &abci.ResponsePrepareProposal{Txs: txs}, nil
		}
		kept = passed
	}
}
