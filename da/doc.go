// Package da will hold the data-availability client interface and its
// backends (the mainnet's embedded DA, a Celestia node) and the square, NMT
// and erasure-coding helpers (DESIGN.md, "Data flow of one batch", step 4).
// It is pure code: no Cosmos SDK imports.
//
// Nothing is implemented here yet; the DA issue builds it.
package da
