// Package node is the SPN node behind spnd: an ABCI++ application (CometBFT v0.38)
// over the EVM engine spn/evm, its block/receipt/index store, the in-process
// CometBFT node and an Ethereum JSON-RPC server on go-ethereum's rpc package.
//
// See README.md for the status and ADR 006 (docs/adr/006-spnd.md) for the design.
package node
