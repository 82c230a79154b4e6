package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/da/square"
)

// Default parameters.
const (
	// DefaultMaxSquareSize gives squares of up to 64x64 shares (2 MiB).
	DefaultMaxSquareSize = 64
	// DefaultMaxBlobBytes fits one PFB's blobs into a default square with
	// room for its transaction shares.
	DefaultMaxBlobBytes = 1_900_000
	// DefaultGasPerBlobByte is celestia-app's value.
	DefaultGasPerBlobByte = 8
	// DefaultRetentionBlocks keeps squares for about a day at 6 s blocks.
	DefaultRetentionBlocks = 14_400
	// DefaultFeeDenom is the mainnet's base denomination.
	DefaultFeeDenom = "ufrl"
)

// DefaultParams returns the default parameters.
func DefaultParams() Params {
	return Params{
		MaxSquareSize:   DefaultMaxSquareSize,
		MaxBlobBytes:    DefaultMaxBlobBytes,
		GasPerBlobByte:  DefaultGasPerBlobByte,
		FeePerByte:      sdk.NewCoin(DefaultFeeDenom, math.NewInt(1)),
		RetentionBlocks: DefaultRetentionBlocks,
	}
}

// Validate checks the parameters: the max square size is a power of two in
// [1, 512], max blob bytes is positive and fits such a square, the fee is a
// valid coin, and the retention window is at least one block.
func (p Params) Validate() error {
	n := p.MaxSquareSize
	if n < 1 || n > square.MaxSquareSizeUpperBound || n&(n-1) != 0 {
		return errorsmod.Wrapf(ErrInvalidParams, "max_square_size %d is not a power of two in [1, %d]", n, square.MaxSquareSizeUpperBound)
	}
	if p.MaxBlobBytes == 0 || p.MaxBlobBytes > uint64(n)*uint64(n)*square.ShareSize {
		return errorsmod.Wrapf(ErrInvalidParams, "max_blob_bytes %d must be in (0, %d]", p.MaxBlobBytes, uint64(n)*uint64(n)*square.ShareSize)
	}
	if err := p.FeePerByte.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "fee_per_byte: %v", err)
	}
	if p.RetentionBlocks == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "retention_blocks must be at least 1")
	}
	return nil
}
