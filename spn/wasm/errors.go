package wasm

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of them, so callers test
// with errors.Is; the wrapped message says what exactly was wrong.
var (
	// Module upload (validation and instrumentation).
	ErrMalformed        = errors.New("wasm: malformed module")
	ErrCodeTooLarge     = errors.New("wasm: code too large")
	ErrForbiddenImport  = errors.New("wasm: forbidden import")
	ErrForbiddenFeature = errors.New("wasm: forbidden feature")
	ErrLimit            = errors.New("wasm: module exceeds a limit")
	ErrMissingExport    = errors.New("wasm: missing export")
	ErrCompile          = errors.New("wasm: compilation failed")

	// Execution of a contract call.
	ErrOutOfGas    = errors.New("wasm: out of gas")
	ErrCallDepth   = errors.New("wasm: call depth exceeded")
	ErrTrap        = errors.New("wasm: trap")
	ErrReverted    = errors.New("wasm: reverted")
	ErrReadOnly    = errors.New("wasm: state change in a read-only call")
	ErrHostArgs    = errors.New("wasm: invalid host call arguments")
	ErrNoContract  = errors.New("wasm: no contract at address")
	ErrUnknownCode = errors.New("wasm: unknown code hash")

	// Transactions.
	ErrTxEncoding   = errors.New("wasm: invalid transaction encoding")
	ErrSignature    = errors.New("wasm: invalid signature")
	ErrChainID      = errors.New("wasm: wrong chain id")
	ErrNonce        = errors.New("wasm: wrong nonce")
	ErrInsufficient = errors.New("wasm: insufficient balance")
	ErrIntrinsicGas = errors.New("wasm: gas limit below intrinsic gas")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
