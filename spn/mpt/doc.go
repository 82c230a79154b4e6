// Package mpt is an Ethereum Merkle-Patricia trie whose decoded nodes stay in memory
// from one block to the next.
//
// A Trie value is one version of a trie and never changes: Update and Delete return a
// new version that shares every untouched node with the old one. Readers of an old
// version (the RPC at an earlier block, the workers of the next block) need no lock.
// Versions nobody holds are reclaimed by Go's garbage collector: there is no reference
// counting.
//
// Nodes encode exactly as go-ethereum's trie encodes them (hex-prefix keys, children
// of fewer than 32 bytes embedded in their parent, the others referenced by their
// keccak256), so roots, node hashes and node blobs are go-ethereum's. Flush hands the
// nodes no flush has written yet to the caller in children-first order, for a store
// in go-ethereum's hash-scheme layout; New opens such a stored trie by its root, and
// its nodes are read and decoded on first use, then kept.
//
// A leaf can carry a link to the root of another trie (the account trie links each
// account to its storage trie). So one account-trie version is a whole state version,
// storage included, and Flush writes linked tries with their leaves.
//
// Keys must all have the same length within one trie (go-ethereum's secure tries hash
// every key to 32 bytes), so no value ever sits in a branch node; a stored branch
// with a value is refused as corrupt.
//
// The package has no Cosmos SDK imports and uses go-ethereum only for keccak256 and
// the RLP splitting functions.
package mpt
