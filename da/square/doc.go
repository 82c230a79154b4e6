// Package square holds Farol's consensus rules for data squares, as pure
// functions over go-square/v3, rsmt2d and nmt (no Cosmos SDK imports):
//
//   - which transactions a block may carry and in what order (Build, Construct),
//   - when a BlobTx's blobs match the MsgPayForBlobs they travel with
//     (ValidateBlobTx, Commitment),
//   - the erasure-extended square, its row and column NMT roots and the data
//     root (Extend, NewHeader, Header.DataRoot),
//   - proofs that shares sit in a height's square (ShareProof, SampleProof)
//     and their binary encoding.
//
// The layout follows Celestia's data square layout (ADR 004 in docs/adr):
// regular transactions, then PayForBlob index wrappers, then blobs sorted by
// namespace, each aligned by the blob share commitment rules with a subtree
// root threshold of 64.
package square
