package evm

import "errors"

// Sentinel errors. Errors of a single transaction are reported in its TxReceipt and do
// not fail the block; the others fail the whole block.
var (
	// ErrBlobTx: a blob (EIP-4844, type 3) transaction; SPNs have no blob data.
	ErrBlobTx = errors.New("evm: blob transactions are not supported")
	// ErrInvalidTx: the transaction cannot be applied (bad signature, nonce, funds,
	// intrinsic gas, fee cap, ...). go-ethereum would reject a block holding it; an SPN
	// drops it: no state change and no receipt.
	ErrInvalidTx = errors.New("evm: invalid transaction")
	// ErrUnsupportedFork: the chain configuration does not have Cancun active at the
	// block; the engine implements the post-EIP-6780 state model only.
	ErrUnsupportedFork = errors.New("evm: chain rules before Cancun are not supported")
	// ErrBlockGasLimit: the transactions' gas exceeds the block gas limit.
	ErrBlockGasLimit = errors.New("evm: block gas limit exceeded")
	// ErrBadBlock: malformed block arguments (nil config or header, ...).
	ErrBadBlock = errors.New("evm: invalid block")
	// ErrState: the state database failed (a node problem, not a transaction's).
	ErrState = errors.New("evm: state database")
	// ErrStateKey: a state key or value of the engine's encoding is malformed.
	ErrStateKey = errors.New("evm: malformed state key or value")
)
