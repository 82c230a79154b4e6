package app

import (
	"os"
	"path/filepath"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// AppName is the name of the mainnet application, reported by ABCI Info.
	AppName = "farol"

	// BondDenom is the base denomination of the mainnet token FRL:
	// 1 FRL = 10^6 ufrl.
	BondDenom = "ufrl"
	// DisplayDenom is the human denomination of the mainnet token.
	DisplayDenom = "frl"

	// Bech32Prefix is the human-readable part of account addresses.
	Bech32Prefix = "farol"
	// Bech32PrefixValAddr is the prefix of validator operator addresses.
	Bech32PrefixValAddr = Bech32Prefix + "valoper"
	// Bech32PrefixConsAddr is the prefix of validator consensus addresses.
	Bech32PrefixConsAddr = Bech32Prefix + "valcons"
	// Bech32PrefixAccPub, Bech32PrefixValPub and Bech32PrefixConsPub are the
	// prefixes of the matching public keys.
	Bech32PrefixAccPub  = Bech32Prefix + "pub"
	Bech32PrefixValPub  = Bech32Prefix + "valoperpub"
	Bech32PrefixConsPub = Bech32Prefix + "valconspub"
)

// DefaultNodeHome is the home folder farold uses when --home is not given.
var DefaultNodeHome string

func init() {
	userHome, err := os.UserHomeDir()
	if err != nil {
		userHome = "."
	}
	DefaultNodeHome = filepath.Join(userHome, ".farold")

	// The SDK reads address prefixes and the default bond denomination from
	// process-wide settings; every binary and test that links this package
	// gets Farol's values, before any address is encoded.
	SetSDKConfig()
}

// SetSDKConfig sets the Cosmos SDK's process-wide address prefixes and default
// bond denomination to Farol's. It is idempotent and called from init; it is
// exported for programs that reset the SDK config themselves.
func SetSDKConfig() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32PrefixAccPub)
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
	sdk.DefaultBondDenom = BondDenom
}
