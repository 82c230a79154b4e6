package types

import errorsmod "cosmossdk.io/errors"

// Name rules (see x/spn/README.md, "Names and chain ids").
const (
	// MinNameLength is the shortest SPN name.
	MinNameLength = 3
	// MaxNameLength is the hard upper bound of SPN names; the module param
	// max_name_length may only lower it.
	MaxNameLength = 64
	// MaxChainIDLength is CometBFT's limit on chain ids (types.MaxChainIDLen).
	MaxChainIDLength = 50
)

// ValidateName checks an SPN name: MinNameLength..maxLen bytes, only lowercase
// ASCII letters, digits and '-', starting with a letter and ending with a
// letter or digit. maxLen above MaxNameLength (or 0) means MaxNameLength.
func ValidateName(name string, maxLen uint32) error {
	if maxLen == 0 || maxLen > MaxNameLength {
		maxLen = MaxNameLength
	}
	if len(name) < MinNameLength || len(name) > int(maxLen) {
		return errorsmod.Wrapf(ErrInvalidName, "%q: length %d not in [%d, %d]", name, len(name), MinNameLength, maxLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isLower(c):
		case isDigit(c) || c == '-':
			if i == 0 {
				return errorsmod.Wrapf(ErrInvalidName, "%q: must start with a lowercase letter", name)
			}
			if c == '-' && i == len(name)-1 {
				return errorsmod.Wrapf(ErrInvalidName, "%q: must not end with '-'", name)
			}
		default:
			return errorsmod.Wrapf(ErrInvalidName, "%q: byte %d (%q) is not in [a-z0-9-]", name, i, c)
		}
	}
	return nil
}

// ValidateChainID checks an SPN chain id: 1..MaxChainIDLength bytes, only
// lowercase ASCII letters, digits, '.', '_' and '-', starting with a letter or
// digit.
func ValidateChainID(chainID string) error {
	if len(chainID) == 0 || len(chainID) > MaxChainIDLength {
		return errorsmod.Wrapf(ErrInvalidChainID, "%q: length %d not in [1, %d]", chainID, len(chainID), MaxChainIDLength)
	}
	for i := 0; i < len(chainID); i++ {
		c := chainID[i]
		switch {
		case isLower(c) || isDigit(c):
		case c == '.' || c == '_' || c == '-':
			if i == 0 {
				return errorsmod.Wrapf(ErrInvalidChainID, "%q: must start with a lowercase letter or digit", chainID)
			}
		default:
			return errorsmod.Wrapf(ErrInvalidChainID, "%q: byte %d (%q) is not in [a-z0-9._-]", chainID, i, c)
		}
	}
	return nil
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Validate fails unless k is EVM or WASM.
func (k VMKind) Validate() error {
	switch k {
	case VMKindEVM, VMKindWASM:
		return nil
	default:
		return errorsmod.Wrapf(ErrInvalidVMKind, "%s", k)
	}
}

// Validate fails unless m is ZK or TEE.
func (m SettlementMode) Validate() error {
	switch m {
	case SettlementModeZK, SettlementModeTEE:
		return nil
	default:
		return errorsmod.Wrapf(ErrInvalidSettlementMode, "%s", m)
	}
}

// IsValid reports whether s is one of the four stored statuses.
func (s SPNStatus) IsValid() bool {
	switch s {
	case StatusPending, StatusActive, StatusPaused, StatusRetired:
		return true
	default:
		return false
	}
}

// Validate checks SPN parameters: batch_interval_blocks > 0,
// 0 < max_batch_bytes <= maxBatchBytesLimit (no upper bound when the limit is
// 0), min_operators > 0, min_restaked_stake set and >= 0.
func (p SPNParams) Validate(maxBatchBytesLimit uint64) error {
	if p.BatchIntervalBlocks == 0 {
		return errorsmod.Wrap(ErrInvalidSPNParams, "batch_interval_blocks must be > 0")
	}
	if p.MaxBatchBytes == 0 {
		return errorsmod.Wrap(ErrInvalidSPNParams, "max_batch_bytes must be > 0")
	}
	if maxBatchBytesLimit != 0 && p.MaxBatchBytes > maxBatchBytesLimit {
		return errorsmod.Wrapf(ErrInvalidSPNParams, "max_batch_bytes %d above the limit %d", p.MaxBatchBytes, maxBatchBytesLimit)
	}
	if p.MinOperators == 0 {
		return errorsmod.Wrap(ErrInvalidSPNParams, "min_operators must be > 0")
	}
	if p.MinRestakedStake.IsNil() {
		return errorsmod.Wrap(ErrInvalidSPNParams, "min_restaked_stake must be set")
	}
	if p.MinRestakedStake.IsNegative() {
		return errorsmod.Wrapf(ErrInvalidSPNParams, "min_restaked_stake %s must be >= 0", p.MinRestakedStake)
	}
	return nil
}

// ValidateID fails for id 0 (ids start at 1).
func ValidateID(id uint64) error {
	if id == 0 {
		return errorsmod.Wrap(ErrInvalidID, "id must be > 0")
	}
	return nil
}
