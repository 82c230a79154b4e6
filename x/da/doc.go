// Package da is the mainnet's embedded data availability module: blobs paid
// for by MsgPayForBlobs travel beside their transaction in a BlobTx, are laid
// out in a Celestia-style data square every block, and are kept, with the
// square's data root, for proofs and sampling. See README.md for the spec
// and docs/adr/004-embedded-da.md for the design.
package da
