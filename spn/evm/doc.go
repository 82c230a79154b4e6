// Package evm executes blocks of signed Ethereum transactions with go-ethereum's
// interpreter (core/vm) on the Block-STM parallel executor (spn/exec).
//
// The result of a block (post-state root, receipts, logs, gas) is the one stock
// go-ethereum v1.16.9 computes when it applies the same transactions one by one with
// core.ApplyTransaction. Each transaction runs in its own go-ethereum state.StateDB
// whose Reader reads the transaction's exec.View at field granularity (balance, account
// metadata, code, storage slot); after the transaction the engine compares the
// finalised state with what it read and writes only the fields that changed. The fee
// credit to the block's beneficiary is a commutative delta. After the block the final
// write set is applied to a go-ethereum StateDB over a trie database and committed,
// which gives the Merkle-Patricia state root.
//
// See README.md for the specification (transaction types, state keys, fee handling,
// differences from go-ethereum) and docs/adr/003-evm-engine.md for the design choice.
package evm
