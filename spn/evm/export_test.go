package evm

// FreshTxs is fresh for the package's external tests and benchmarks.
var FreshTxs = fresh
