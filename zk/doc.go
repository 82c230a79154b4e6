// Package zk will hold the gnark Groth16 (BN254) circuits, keys, prover and
// verifier for ZK-mode settlement: a proof that operators holding at least
// 2/3 of an SPN's restaked weight signed a batch header (DESIGN.md,
// "Settlement modes"). It is pure code: no Cosmos SDK imports.
//
// Nothing is implemented here yet; the settlement issue builds it.
package zk
