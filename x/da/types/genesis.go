package types

import errorsmod "cosmossdk.io/errors"

// DefaultGenesisState returns the default genesis: default params, no roots.
func DefaultGenesisState() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis state: valid params; data roots at distinct
// positive heights in increasing order, 32 bytes each.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	var last int64
	for i, r := range gs.DataRoots {
		if r.Height <= last {
			return errorsmod.Wrapf(ErrInvalidGenesis, "data root %d: height %d not above %d", i, r.Height, last)
		}
		if len(r.DataRoot) != 32 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "data root %d: %d bytes", i, len(r.DataRoot))
		}
		last = r.Height
	}
	return nil
}
