package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

var (
	_ sdk.Msg = (*MsgRegister)(nil)
	_ sdk.Msg = (*MsgUpdate)(nil)
	_ sdk.Msg = (*MsgTransferAdmin)(nil)
	_ sdk.Msg = (*MsgPause)(nil)
	_ sdk.Msg = (*MsgResume)(nil)
	_ sdk.Msg = (*MsgRetire)(nil)
	_ sdk.Msg = (*MsgUpdateParams)(nil)
	_ sdk.Msg = (*MsgActivate)(nil)

	_ sdk.HasValidateBasic = (*MsgRegister)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdate)(nil)
	_ sdk.HasValidateBasic = (*MsgTransferAdmin)(nil)
	_ sdk.HasValidateBasic = (*MsgPause)(nil)
	_ sdk.HasValidateBasic = (*MsgResume)(nil)
	_ sdk.HasValidateBasic = (*MsgRetire)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgActivate)(nil)
)

// The ValidateBasic methods are the stateless checks: they need neither the
// store nor the address codec (addresses are only checked for presence here
// and decoded by the keeper). The msg server repeats every one of these checks
// itself, in the order authorize, validate, write, so a message routed without
// ValidateBasic (e.g. from a gov proposal) is held to the same rules.

func requireAddress(field, addr string) error {
	if addr == "" {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s: empty", field)
	}
	return nil
}

// ValidateDepositCoin checks that a coin is well formed: set, valid denom,
// amount >= 0.
func ValidateDepositCoin(c sdk.Coin) error {
	if c.Amount.IsNil() {
		return errorsmod.Wrap(ErrInvalidDeposit, "amount must be set")
	}
	if err := c.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidDeposit, err.Error())
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgRegister) ValidateBasic() error {
	if err := requireAddress("admin", m.Admin); err != nil {
		return err
	}
	if err := ValidateName(m.Name, MaxNameLength); err != nil {
		return err
	}
	if err := m.VMKind.Validate(); err != nil {
		return err
	}
	if err := m.SettlementMode.Validate(); err != nil {
		return err
	}
	if err := ValidateChainID(m.ChainID); err != nil {
		return err
	}
	if err := ValidateDepositCoin(m.MaxDeposit); err != nil {
		return err
	}
	if m.Params != nil {
		if err := m.Params.Validate(0); err != nil {
			return err
		}
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgUpdate) ValidateBasic() error {
	if err := requireAddress("admin", m.Admin); err != nil {
		return err
	}
	if err := ValidateID(m.ID); err != nil {
		return err
	}
	return m.Params.Validate(0)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgTransferAdmin) ValidateBasic() error {
	if err := requireAddress("admin", m.Admin); err != nil {
		return err
	}
	if err := ValidateID(m.ID); err != nil {
		return err
	}
	if err := requireAddress("new_admin", m.NewAdmin); err != nil {
		return err
	}
	if m.NewAdmin == m.Admin {
		return errorsmod.Wrap(ErrSameAdmin, m.NewAdmin)
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgPause) ValidateBasic() error {
	if err := requireAddress("admin", m.Admin); err != nil {
		return err
	}
	return ValidateID(m.ID)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgResume) ValidateBasic() error {
	if err := requireAddress("admin", m.Admin); err != nil {
		return err
	}
	return ValidateID(m.ID)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgRetire) ValidateBasic() error {
	if err := requireAddress("admin", m.Admin); err != nil {
		return err
	}
	return ValidateID(m.ID)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := requireAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgActivate) ValidateBasic() error {
	if err := requireAddress("authority", m.Authority); err != nil {
		return err
	}
	return ValidateID(m.ID)
}
