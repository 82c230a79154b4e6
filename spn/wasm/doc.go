// Package wasm is the Wasm engine of Farol's SPNs: contracts compiled to WebAssembly
// run with wazero's compiler engine, in parallel on the Block-STM executor (spn/exec).
//
// Code is validated and instrumented at upload (Instrument): imports only from host
// ABI v1, deterministic features only, bounded memory, tables, locals and call depth,
// and gas metering injected into the bytecode at every basic block, so metering is
// deterministic and cannot be bypassed. The instrumented module is compiled once per
// node (an on-disk compilation cache keeps it across restarts) and every call runs in a
// fresh instance, or in a finished one reset to exactly that state (reuse.go).
//
// Transactions (Tx) are signed with secp256k1 and carry chain id, nonce, gas limit and
// gas price; accounts have native-token balances and nonces. State goes through
// spn/exec one account field or storage slot per key, and fees are credited to the
// block's beneficiary as commutative deltas.
//
// README.md is the specification: host ABI v1, transaction encoding, state keys, gas
// schedule, limits, and how to build contracts with the AssemblyScript and Go SDKs.
// docs/adr/005-wasm-engine.md and 008-wasm-instance-reuse.md record the design choices.
package wasm
