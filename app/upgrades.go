package app

import (
	storetypes "cosmossdk.io/store/types"
	upgradetypes "cosmossdk.io/x/upgrade/types"
)

// Upgrade is a named software upgrade this binary knows how to apply.
type Upgrade struct {
	// Name matches the name of the governance upgrade plan.
	Name string
	// Handler migrates state; it usually runs the module manager's migrations.
	Handler func(app *FarolApp) upgradetypes.UpgradeHandler
	// StoreUpgrades lists stores added, renamed or deleted by the upgrade.
	StoreUpgrades storetypes.StoreUpgrades
}

// upgrades is empty: Farol has had no upgrade yet. A governance plan whose
// name is not listed here halts the chain at the plan's height, as x/upgrade
// specifies, until a binary that knows the upgrade is started.
var upgrades []Upgrade

func (app *FarolApp) registerUpgradeHandlers() {
	for _, u := range upgrades {
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.Handler(app))
	}
	info, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil || info.Name == "" || app.UpgradeKeeper.IsSkipHeight(info.Height) {
		return
	}
	for _, u := range upgrades {
		if u.Name == info.Name {
			storeUpgrades := u.StoreUpgrades
			app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(info.Height, &storeUpgrades))
		}
	}
}
