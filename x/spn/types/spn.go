package types

import (
	"bytes"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// Validate checks a stored SPN record on its own (genesis import): id > 0,
// name, VM kind, settlement mode and chain id valid, admin a well-formed
// bech32 address (any prefix; the keeper checks the prefix), da_namespace
// equal to DeriveNamespace(id), status set, params valid (without the module's
// max_batch_bytes_limit, which only applies when params are set), deposit a
// valid coin, created_height >= 0.
func (s SPN) Validate() error {
	if err := ValidateID(s.ID); err != nil {
		return err
	}
	if err := ValidateName(s.Name, MaxNameLength); err != nil {
		return err
	}
	if err := s.VMKind.Validate(); err != nil {
		return err
	}
	if err := s.SettlementMode.Validate(); err != nil {
		return err
	}
	if err := ValidateChainID(s.ChainID); err != nil {
		return err
	}
	if _, _, err := bech32.DecodeAndConvert(s.Admin); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "admin %q: %s", s.Admin, err)
	}
	if want := DeriveNamespace(s.ID).Bytes(); !bytes.Equal(s.DANamespace, want) {
		return errorsmod.Wrapf(ErrInvalidGenesis, "spn %d: da_namespace %x, want %x", s.ID, s.DANamespace, want)
	}
	if !s.Status.IsValid() {
		return errorsmod.Wrapf(ErrInvalidStatus, "spn %d: status %s", s.ID, s.Status)
	}
	if err := s.Params.Validate(0); err != nil {
		return err
	}
	if err := ValidateDepositCoin(s.Deposit); err != nil {
		return err
	}
	if s.CreatedHeight < 0 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "spn %d: created_height %d < 0", s.ID, s.CreatedHeight)
	}
	return nil
}
