// Package spn is the SPN registry module of the Farol mainnet: it registers
// Special Processing Networks (VM kind, settlement mode, chain id, admin, DA
// namespace, operating parameters), holds their registration deposits and
// tracks their lifecycle (PENDING, ACTIVE, PAUSED, RETIRED).
//
// The spec is README.md in this folder. Wiring:
//
//	k := keeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[types.StoreKey]),
//		addressCodec, bankKeeper, authtypes.NewModuleAddress(govtypes.ModuleName).String())
//	mod := spn.NewAppModule(cdc, k)
//
// and a module account named types.ModuleName ("spn") with no permissions.
package spn
