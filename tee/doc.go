// Package tee will hold the attestation formats and verifiers (TDX, SEV-SNP,
// Nitro) and the development enclave for TEE-mode settlement (DESIGN.md,
// "Settlement modes"). It is pure code: no Cosmos SDK imports.
//
// Nothing is implemented here yet; the settlement issue builds it.
package tee
