package network

import (
	"context"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

// DefaultTxGas is the gas limit SendTx sets.
const DefaultTxGas = 400_000

// SendTx signs msgs with the operator key of val, broadcasts them through
// the network's first validator and waits until the transaction is in a
// block. It returns the transaction's result: a non-zero Code is a refused
// transaction (at CheckTx or in the block), not an error of SendTx.
func SendTx(ctx context.Context, net *Network, val *Validator, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	clientCtx := net.Validators[0].ClientCtx
	record, err := val.ClientCtx.Keyring.KeyByAddress(val.Address)
	if err != nil {
		return nil, fmt.Errorf("validator key: %w", err)
	}
	txf := clienttx.Factory{}.
		WithChainID(net.Config.ChainID).
		WithKeybase(val.ClientCtx.Keyring).
		WithTxConfig(net.Config.TxConfig).
		WithAccountRetriever(net.Config.AccountRetriever).
		WithGas(DefaultTxGas).
		WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
	txf, err = txf.Prepare(clientCtx.WithFromAddress(val.Address))
	if err != nil {
		return nil, fmt.Errorf("prepare tx: %w", err)
	}
	builder, err := txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return nil, fmt.Errorf("build tx: %w", err)
	}
	if err := clienttx.Sign(ctx, txf, record.Name, builder, true); err != nil {
		return nil, fmt.Errorf("sign tx: %w", err)
	}
	bz, err := net.Config.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return nil, fmt.Errorf("encode tx: %w", err)
	}
	res, err := clientCtx.BroadcastTxSync(bz)
	if err != nil {
		return nil, fmt.Errorf("broadcast tx: %w", err)
	}
	if res.Code != 0 {
		return res, nil
	}
	return WaitForTx(ctx, clientCtx, res.TxHash, 30*time.Second)
}

// WaitForTx polls until the transaction with hash is in a block, or timeout.
func WaitForTx(ctx context.Context, clientCtx client.Context, hash string, timeout time.Duration) (*sdk.TxResponse, error) {
	deadline := time.Now().Add(timeout)
	for {
		res, err := authtx.QueryTx(clientCtx, hash)
		if err == nil {
			return res, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("tx %s not in a block after %s: %w", hash, timeout, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
