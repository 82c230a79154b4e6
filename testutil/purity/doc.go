// Package purity holds the test that keeps Farol's pure, consensus-critical
// packages (the executor, the VM engines, DA, mesh proofs, ZK and TEE
// verification) free of the Cosmos SDK and CometBFT, as DESIGN.md requires.
// A new pure package is added to the table in purity_test.go.
package purity
