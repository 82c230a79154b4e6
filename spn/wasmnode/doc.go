// Package wasmnode is the Wasm SPN: the ABCI++ application over the Wasm engine
// (spn/wasm, parallel on spn/exec), its persistent store (pebble: flat state, a
// Merkle-Patricia trie of the state whose root is the app hash, blocks, receipts and
// a tx index, all written in one batch per block) and its JSON-RPC API (namespace
// "wasm"). spn/node runs it under CometBFT; the client package is its Go client.
//
// README.md is the specification; docs/adr/007-wasm-spn.md records the design.
package wasmnode
