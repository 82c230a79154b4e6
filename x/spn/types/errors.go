package types

import errorsmod "cosmossdk.io/errors"

// Codespace of the spn module's registered errors.
const Codespace = ModuleName

// Registered errors. Codes are part of the API: never renumber one. Which
// message fails with which error is listed in x/spn/README.md.
var (
	ErrInvalidName           = errorsmod.Register(Codespace, 2, "invalid SPN name")
	ErrNameTaken             = errorsmod.Register(Codespace, 3, "SPN name already taken")
	ErrInvalidVMKind         = errorsmod.Register(Codespace, 4, "invalid VM kind")
	ErrInvalidSettlementMode = errorsmod.Register(Codespace, 5, "invalid settlement mode")
	ErrInvalidChainID        = errorsmod.Register(Codespace, 6, "invalid SPN chain id")
	ErrChainIDTaken          = errorsmod.Register(Codespace, 7, "SPN chain id already taken")
	ErrInvalidSPNParams      = errorsmod.Register(Codespace, 8, "invalid SPN parameters")
	ErrInvalidAddress        = errorsmod.Register(Codespace, 9, "invalid address")
	ErrUnauthorized          = errorsmod.Register(Codespace, 10, "signer is not the SPN admin")
	ErrInvalidAuthority      = errorsmod.Register(Codespace, 11, "signer is not the module authority")
	ErrSPNNotFound           = errorsmod.Register(Codespace, 12, "SPN not found")
	ErrInvalidID             = errorsmod.Register(Codespace, 13, "invalid SPN id")
	ErrInvalidStatus         = errorsmod.Register(Codespace, 14, "invalid SPN status for this operation")
	ErrSPNRetired            = errorsmod.Register(Codespace, 15, "SPN is retired")
	ErrInvalidDeposit        = errorsmod.Register(Codespace, 16, "invalid deposit")
	ErrDepositTooLow         = errorsmod.Register(Codespace, 17, "max deposit below the registration deposit")
	ErrInsufficientFunds     = errorsmod.Register(Codespace, 18, "insufficient funds for the registration deposit")
	ErrSameAdmin             = errorsmod.Register(Codespace, 19, "new admin equals the current admin")
	ErrInvalidParams         = errorsmod.Register(Codespace, 20, "invalid module parameters")
	ErrInvalidGenesis        = errorsmod.Register(Codespace, 21, "invalid genesis state")
)
