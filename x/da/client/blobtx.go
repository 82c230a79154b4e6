// Package client builds and signs BlobTxs with the Cosmos SDK client: the
// signing half of da/mainnet, and the `farold tx da pay-for-blob` and
// `farold da submit` commands.
package client

import (
	"context"
	"fmt"

	"github.com/celestiaorg/go-square/v3/share"
	gosquaretx "github.com/celestiaorg/go-square/v3/tx"

	sdkclient "github.com/cosmos/cosmos-sdk/client"
	clienttx "github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/farolnet/farol/da"
	"github.com/farolnet/farol/da/mainnet"
	"github.com/farolnet/farol/x/da/types"
)

// Gas a BlobTx is given when the factory sets none: a base for the
// signature checks and the fee transfer, plus GasPerBlobByte per blob byte,
// which covers auth's default tx_size_cost_per_byte (10, charged on the
// whole BlobTx) plus x/da's default gas_per_blob_byte (8).
const (
	BaseGas        = 150_000
	GasPerBlobByte = 20
)

// MsgPayForBlobs returns the message paying for blobs, signed by signer.
func MsgPayForBlobs(signer string, blobs []*da.Blob) (*types.MsgPayForBlobs, error) {
	m := &types.MsgPayForBlobs{Signer: signer}
	for i, b := range blobs {
		if len(b.Commitment) == 0 {
			return nil, fmt.Errorf("blob %d has no commitment (build it with da.NewBlob)", i)
		}
		m.Namespaces = append(m.Namespaces, b.Namespace)
		m.BlobSizes = append(m.BlobSizes, uint32(len(b.Data)))
		m.ShareCommitments = append(m.ShareCommitments, b.Commitment)
		m.ShareVersions = append(m.ShareVersions, uint32(b.ShareVersion))
	}
	return m, nil
}

// BuildBlobTx signs a transaction carrying one MsgPayForBlobs for blobs
// with the key named from in txf's keyring, and wraps it with the blobs.
// txf must have its chain id, keyring, tx config and account retriever set
// (clientCtx.TxConfig encodes);
// account number and sequence are fetched through clientCtx if unset.
func BuildBlobTx(ctx context.Context, clientCtx sdkclient.Context, txf clienttx.Factory, from string, blobs []*da.Blob) ([]byte, error) {
	record, err := txf.Keybase().Key(from)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", from, err)
	}
	addr, err := record.GetAddress()
	if err != nil {
		return nil, err
	}
	msg, err := MsgPayForBlobs(addr.String(), blobs)
	if err != nil {
		return nil, err
	}
	if txf.Gas() == 0 {
		var total uint64
		for _, b := range blobs {
			total += uint64(len(b.Data))
		}
		txf = txf.WithGas(BaseGas + GasPerBlobByte*total)
	}
	txf, err = txf.Prepare(clientCtx.WithFromAddress(addr).WithFromName(from))
	if err != nil {
		return nil, fmt.Errorf("prepare tx: %w", err)
	}
	builder, err := txf.BuildUnsignedTx(msg)
	if err != nil {
		return nil, fmt.Errorf("build tx: %w", err)
	}
	if err := clienttx.Sign(ctx, txf, from, builder, true); err != nil {
		return nil, fmt.Errorf("sign tx: %w", err)
	}
	inner, err := clientCtx.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return nil, fmt.Errorf("encode tx: %w", err)
	}
	sbs := make([]*share.Blob, len(blobs))
	for i, b := range blobs {
		ns, err := share.NewNamespaceFromBytes(b.Namespace)
		if err != nil {
			return nil, err
		}
		if sbs[i], err = share.NewBlob(ns, b.Data, b.ShareVersion, b.Signer); err != nil {
			return nil, err
		}
	}
	return gosquaretx.MarshalBlobTx(inner, sbs...)
}

// NewTxSigner returns the signer da/mainnet needs, signing with key from.
func NewTxSigner(clientCtx sdkclient.Context, txf clienttx.Factory, from string) mainnet.TxSigner {
	return func(ctx context.Context, blobs []*da.Blob) ([]byte, error) {
		return BuildBlobTx(ctx, clientCtx, txf, from, blobs)
	}
}
