// Package app wires the Farol mainnet: a Cosmos SDK v0.53 application on
// CometBFT with the standard SDK modules (auth, bank, staking, slashing,
// distribution, mint, gov, consensus, upgrade) and Farol's own modules
// (x/spn).
//
// Each ABCI hook the application customises lives in its own file
// (init_chainer.go, ...), in the style of celestia-app; hooks it does not
// customise are the module manager's defaults.
package app
