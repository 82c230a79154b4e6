package types

import (
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesisState has the default params, no SPNs and next_id 1.
func DefaultGenesisState() *GenesisState {
	return &GenesisState{
		Params: DefaultParams(),
		SPNs:   []SPN{},
		NextID: 1,
	}
}

// Validate checks the genesis state: valid params; every SPN valid on its own
// (SPN.Validate); ids, names and chain ids unique; next_id >= 1 and greater
// than every id.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextID == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_id must be >= 1")
	}
	ids := make(map[uint64]struct{}, len(gs.SPNs))
	names := make(map[string]struct{}, len(gs.SPNs))
	chainIDs := make(map[string]struct{}, len(gs.SPNs))
	for i, s := range gs.SPNs {
		if err := s.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "spns[%d]: %s", i, err)
		}
		if _, dup := ids[s.ID]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "spns[%d]: duplicate id %d", i, s.ID)
		}
		if _, dup := names[s.Name]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "spns[%d]: duplicate name %q", i, s.Name)
		}
		if _, dup := chainIDs[s.ChainID]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "spns[%d]: duplicate chain id %q", i, s.ChainID)
		}
		if s.ID >= gs.NextID {
			return errorsmod.Wrapf(ErrInvalidGenesis, "spns[%d]: id %d not below next_id %d", i, s.ID, gs.NextID)
		}
		ids[s.ID] = struct{}{}
		names[s.Name] = struct{}{}
		chainIDs[s.ChainID] = struct{}{}
	}
	return nil
}
