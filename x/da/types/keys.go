package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name.
	ModuleName = "da"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
)

// Collection prefixes. Never reuse or renumber one.
var (
	ParamsKey      = collections.NewPrefix(0)
	DataRootsKey   = collections.NewPrefix(1)
	HeadersKey     = collections.NewPrefix(2)
	RowsKey        = collections.NewPrefix(3)
	BlobsKey       = collections.NewPrefix(4)
	PrunedBelowKey = collections.NewPrefix(5)
)
