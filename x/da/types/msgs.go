package types

import (
	"errors"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/da/square"
)

var (
	_ sdk.Msg = (*MsgPayForBlobs)(nil)
	_ sdk.Msg = (*MsgUpdateParams)(nil)
)

// PFB returns the message as the square rules see it; signer is the signer's
// address bytes.
func (m *MsgPayForBlobs) PFB(signer []byte) square.PFB {
	return square.PFB{
		Signer:           signer,
		Namespaces:       m.Namespaces,
		BlobSizes:        m.BlobSizes,
		ShareCommitments: m.ShareCommitments,
		ShareVersions:    m.ShareVersions,
	}
}

// WrapSquareError maps a da/square error to the module's registered error.
func WrapSquareError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, square.ErrInvalidNamespace):
		return errorsmod.Wrap(ErrInvalidNamespace, err.Error())
	case errors.Is(err, square.ErrBlobTooLarge):
		return errorsmod.Wrap(ErrBlobTooLarge, err.Error())
	case errors.Is(err, square.ErrWrongCommitment):
		return errorsmod.Wrap(ErrWrongCommitment, err.Error())
	case errors.Is(err, square.ErrMalformedBlobTx):
		return errorsmod.Wrap(ErrMalformedBlobTx, err.Error())
	case errors.Is(err, square.ErrSquare):
		return errorsmod.Wrap(ErrInvalidSquare, err.Error())
	default:
		return errorsmod.Wrap(ErrInvalidBlobs, err.Error())
	}
}
