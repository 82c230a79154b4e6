package app

import (
	"fmt"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/da/square"
	datypes "github.com/farolnet/farol/x/da/types"
)

// blobTxDecoder decodes block and mempool transactions: a BlobTx (an SDK
// transaction with blobs beside it, go-square's tx package) decodes to its
// inner transaction, anything else with the standard decoder. The blobs
// themselves are checked by CheckTx and ProcessProposal and stored by the da
// module's PreBlock, not by transaction execution.
func blobTxDecoder(decode sdk.TxDecoder) sdk.TxDecoder {
	return func(raw []byte) (sdk.Tx, error) {
		btx, isBlob, err := square.UnmarshalBlobTx(raw)
		if !isBlob {
			return decode(raw)
		}
		if err != nil {
			return nil, errorsmod.Wrap(datypes.ErrMalformedBlobTx, err.Error())
		}
		return decode(btx.Tx)
	}
}

// validateBlockTx checks one transaction as a block may carry it: a BlobTx
// must wrap exactly one MsgPayForBlobs whose blobs are the ones beside it
// (namespaces, sizes, share versions, commitments, max_blob_bytes) and a
// gas limit covering its size and blob bytes (txSizeCost is auth's
// tx_size_cost_per_byte); any
// other transaction must decode and must not contain a MsgPayForBlobs. It
// reports whether raw is a BlobTx. It never panics.
func (app *FarolApp) validateBlockTx(raw []byte, params datypes.Params, txSizeCost uint64) (isBlob bool, err error) {
	btx, isBlob, err := square.UnmarshalBlobTx(raw)
	if isBlob && err != nil {
		return true, datypes.WrapSquareError(err)
	}
	inner := raw
	if isBlob {
		inner = btx.Tx
	}
	tx, err := app.txConfig.TxDecoder()(inner)
	if err != nil {
		return isBlob, err
	}
	msgs := tx.GetMsgs()
	if !isBlob {
		for _, m := range msgs {
			if _, ok := m.(*datypes.MsgPayForBlobs); ok {
				return false, datypes.ErrNoBlobTx
			}
		}
		return false, nil
	}
	if len(msgs) != 1 {
		return true, errorsmod.Wrapf(datypes.ErrMalformedBlobTx, "a BlobTx carries one MsgPayForBlobs, not %d messages", len(msgs))
	}
	pfb, ok := msgs[0].(*datypes.MsgPayForBlobs)
	if !ok {
		return true, errorsmod.Wrapf(datypes.ErrMalformedBlobTx, "a BlobTx carries a MsgPayForBlobs, not %T", msgs[0])
	}
	signer, err := app.AccountKeeper.AddressCodec().StringToBytes(pfb.Signer)
	if err != nil {
		return true, errorsmod.Wrapf(datypes.ErrInvalidAddress, "signer: %v", err)
	}
	if err := square.ValidateBlobTx(btx, pfb.PFB(signer), params.MaxBlobBytes); err != nil {
		return true, datypes.WrapSquareError(err)
	}
	// The blobs enter the square even if the transaction then fails, so a
	// BlobTx must at least bring the gas its size and blob bytes cost: the
	// ante handler charges tx_size_cost_per_byte for every byte of the whole
	// BlobTx, and MsgPayForBlobs gas_per_blob_byte per blob byte.
	gasTx, ok := tx.(sdk.FeeTx)
	if !ok {
		return true, errorsmod.Wrap(datypes.ErrMalformedBlobTx, "inner transaction has no gas limit")
	}
	need := uint64(len(raw))*txSizeCost + pfb.PFB(signer).TotalBytes()*params.GasPerBlobByte
	if gasTx.GetGas() < need {
		return true, errorsmod.Wrapf(datypes.ErrInsufficientGas, "gas limit %d below the %d the blobs and tx size need", gasTx.GetGas(), need)
	}
	return true, nil
}

// blockTxParams reads what validateBlockTx needs from state: the da params
// and auth's tx_size_cost_per_byte.
func (app *FarolApp) blockTxParams(ctx sdk.Context) (datypes.Params, uint64, error) {
	params, err := app.DAKeeper.GetParams(ctx)
	if err != nil {
		return datypes.Params{}, 0, err
	}
	return params, app.AccountKeeper.GetParams(ctx).TxSizeCostPerByte, nil
}

// anteRunner runs the ante handlers over a block's transactions in block
// order, on a branch of the proposal's state that is never committed: a
// transaction's ante changes (fee, sequence) are kept for the next only if
// it passes. PrepareProposal drops what fails; ProcessProposal rejects a
// block with any failure, so no proposer can put blobs in a square with a
// transaction that cannot even pay for itself (bad signature, sequence or
// fee), as celestia-app does.
type anteRunner struct {
	app *FarolApp
	ctx sdk.Context
}

func (app *FarolApp) newAnteRunner(ctx sdk.Context) *anteRunner {
	branch, _ := ctx.CacheContext()
	return &anteRunner{app: app, ctx: branch}
}

// run checks raw and keeps its ante changes if it passes. It never panics.
func (r *anteRunner) run(raw []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ante handler panicked: %v", p)
		}
	}()
	tx, err := r.app.TxDecode(raw)
	if err != nil {
		return err
	}
	handler := r.app.AnteHandler()
	if handler == nil {
		return nil
	}
	txCtx, write := r.ctx.CacheContext()
	if _, err := handler(txCtx.WithTxBytes(raw), tx, false); err != nil {
		return err
	}
	write()
	return nil
}

// blobAwareTxConfig is a client.TxConfig whose decoder also reads BlobTxs, so
// that clients and the node's gRPC tx service can show transactions that
// carry blobs (`farold query tx`, GetTx), as the chain itself decodes them.
type blobAwareTxConfig struct{ client.TxConfig }

func (c blobAwareTxConfig) TxDecoder() sdk.TxDecoder { return blobTxDecoder(c.TxConfig.TxDecoder()) }

// BlobAwareTxConfig wraps cfg so that its TxDecoder decodes a BlobTx to its
// inner transaction (the blobs themselves are served by x/da's queries).
func BlobAwareTxConfig(cfg client.TxConfig) client.TxConfig { return blobAwareTxConfig{cfg} }
