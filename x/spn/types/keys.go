package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name; also the name of its module account,
	// which holds registration deposits and has no permissions.
	ModuleName = "spn"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
	// RouterKey is the module's message route.
	RouterKey = ModuleName
)

// Collection prefixes. Never reuse or renumber one.
var (
	ParamsKey       = collections.NewPrefix(0)
	SPNsKey         = collections.NewPrefix(1)
	NextIDKey       = collections.NewPrefix(2)
	NameIndexKey    = collections.NewPrefix(3)
	ChainIDIndexKey = collections.NewPrefix(4)
)
