package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Defaults of the module params and of an SPN's operating parameters.
const (
	// DefaultBondDenom is the mainnet's bond denom (1 FRL = 10^6 ufrl).
	DefaultBondDenom = "ufrl"
	// DefaultBatchIntervalBlocks: one batch every 10 SPN blocks.
	DefaultBatchIntervalBlocks = 10
	// DefaultMaxBatchBytes: 1 MiB batches.
	DefaultMaxBatchBytes = 1 << 20
	// DefaultMinOperators: one operator.
	DefaultMinOperators = 1
	// DefaultMaxBatchBytesLimit: no SPN may ask for batches above 8 MiB.
	DefaultMaxBatchBytesLimit = 8 << 20
)

// DefaultRegistrationDeposit is 1000 FRL.
var DefaultRegistrationDeposit = sdk.NewCoin(DefaultBondDenom, math.NewInt(1_000_000_000))

// DefaultMinRestakedStake is 1000 FRL.
var DefaultMinRestakedStake = math.NewInt(1_000_000_000)

// DefaultSPNParams are the default operating parameters of an SPN.
func DefaultSPNParams() SPNParams {
	return SPNParams{
		BatchIntervalBlocks: DefaultBatchIntervalBlocks,
		MaxBatchBytes:       DefaultMaxBatchBytes,
		MinOperators:        DefaultMinOperators,
		MinRestakedStake:    DefaultMinRestakedStake,
	}
}

// DefaultParams are the module's default parameters.
func DefaultParams() Params {
	return Params{
		RegistrationDeposit: DefaultRegistrationDeposit,
		AutoActivate:        false,
		DefaultSPNParams:    DefaultSPNParams(),
		MaxNameLength:       MaxNameLength,
		MaxBatchBytesLimit:  DefaultMaxBatchBytesLimit,
	}
}

// Validate checks the module params: registration_deposit is a valid coin
// (amount >= 0), max_name_length is in [MinNameLength, MaxNameLength],
// max_batch_bytes_limit > 0, and default_spn_params are valid under that limit.
func (p Params) Validate() error {
	if p.RegistrationDeposit.Amount.IsNil() {
		return errorsmod.Wrap(ErrInvalidParams, "registration_deposit: amount must be set")
	}
	if err := p.RegistrationDeposit.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "registration_deposit: %s", err)
	}
	if p.MaxNameLength < MinNameLength || p.MaxNameLength > MaxNameLength {
		return errorsmod.Wrapf(ErrInvalidParams, "max_name_length %d not in [%d, %d]", p.MaxNameLength, MinNameLength, MaxNameLength)
	}
	if p.MaxBatchBytesLimit == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_batch_bytes_limit must be > 0")
	}
	if err := p.DefaultSPNParams.Validate(p.MaxBatchBytesLimit); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "default_spn_params: %s", err)
	}
	return nil
}
