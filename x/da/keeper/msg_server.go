package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/farolnet/farol/x/da/types"
)

type msgServer struct{ Keeper }

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the da Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// PayForBlobs checks the message against the params, consumes
// gas_per_blob_byte gas per blob byte and charges fee_per_byte per blob byte
// to the fee collector. That the blobs beside it match is checked by CheckTx
// and ProcessProposal, which refuse a MsgPayForBlobs outside a BlobTx.
func (k msgServer) PayForBlobs(ctx context.Context, msg *types.MsgPayForBlobs) (*types.MsgPayForBlobsResponse, error) {
	signer, err := k.addressCodec.StringToBytes(msg.Signer)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "signer: %v", err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	pfb := msg.PFB(signer)
	if err := pfb.ValidateBasic(params.MaxBlobBytes); err != nil {
		return nil, types.WrapSquareError(err)
	}
	total := pfb.TotalBytes()
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	sdkCtx.GasMeter().ConsumeGas(total*params.GasPerBlobByte, "blob bytes")

	fee := sdk.NewCoin(params.FeePerByte.Denom, params.FeePerByte.Amount.Mul(math.NewIntFromUint64(total)))
	if fee.IsPositive() {
		if err := k.bankKeeper.SendCoinsFromAccountToModule(ctx, signer, authtypes.FeeCollectorName, sdk.NewCoins(fee)); err != nil {
			return nil, errorsmod.Wrapf(types.ErrInsufficientFee, "%s: %v", fee, err)
		}
	}
	if err := k.markPaid(ctx, sdkCtx.BlockHeight(), msg); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventPayForBlobs{
		Signer: msg.Signer, Namespaces: msg.Namespaces, BlobSizes: msg.BlobSizes,
		ShareCommitments: msg.ShareCommitments, Fee: fee,
	}); err != nil {
		return nil, err
	}
	return &types.MsgPayForBlobsResponse{}, nil
}

// markPaid records that the blobs of msg, placed in this block's square by
// PreBlock, are paid for. A MsgPayForBlobs without placed blobs (simulation)
// marks nothing.
func (k msgServer) markPaid(ctx context.Context, height int64, msg *types.MsgPayForBlobs) error {
	for i := range msg.Namespaces {
		key := collections.Join3(height, msg.Namespaces[i], msg.ShareCommitments[i])
		ref, err := k.Blobs.Get(ctx, key)
		if errors.Is(err, collections.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if ref.Paid {
			continue
		}
		ref.Paid = true
		if err := k.Blobs.Set(ctx, key, ref); err != nil {
			return err
		}
	}
	return nil
}

// UpdateParams replaces the module parameters (authority only).
func (k msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != k.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
