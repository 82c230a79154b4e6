// Package evm executes blocks of signed Ethereum transactions with go-ethereum's
// interpreter (core/vm) on the Block-STM parallel executor (spn/exec).
//
// The result of a block (post-state root, receipts, logs, gas) is the one stock
// go-ethereum v1.16.9 computes when it applies the same transactions one by one with
// core.ApplyTransaction. On the parallel path each transaction runs against txState,
// a vm.StateDB over the transaction's exec.View that mirrors go-ethereum's StateDB
// and reads at field granularity (balance, account metadata, code, storage slot);
// after the transaction it writes back only the fields that changed. The fee credit
// to the block's beneficiary is a commutative delta. After the block the final write
// set is committed to go-ethereum's tries (storage tries concurrently with the account
// trie), which gives the Merkle-Patricia state root.
//
// See README.md for the specification (transaction types, state keys, fee handling,
// differences from go-ethereum) and docs/adr/003-evm-engine.md and
// docs/adr/009-evm-statedb-and-commit.md for the design choices.
package evm
