// Package mesh will hold the cross-SPN message format, the outbox Merkle tree
// and its proofs, and the relayer's pure logic (DESIGN.md, "Data flow of one
// batch", step 7). It is pure code: no Cosmos SDK imports.
//
// Nothing is implemented here yet; the mesh issue builds it.
package mesh
