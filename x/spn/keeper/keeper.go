package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/farolnet/farol/x/spn/types"
)

// Keeper owns the spn module's state.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	bankKeeper   types.BankKeeper
	// authority may send MsgUpdateParams and MsgActivate (normally the gov
	// module account).
	authority      string
	authorityBytes []byte

	Schema collections.Schema
	// Params are the module parameters.
	Params collections.Item[types.Params]
	// SPNs are all SPN records by id.
	SPNs collections.Map[uint64, types.SPN]
	// NextID is the id the next registration gets (0 stored means 1).
	NextID collections.Sequence
	// NameIndex maps each SPN name to its id (unique; retired SPNs included).
	NameIndex collections.Map[string, uint64]
	// ChainIDIndex maps each SPN chain id to its id (unique; retired SPNs
	// included).
	ChainIDIndex collections.Map[string, uint64]
}

// NewKeeper returns the spn keeper. It panics if authority is not an address
// of addressCodec (a wiring error).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService store.KVStoreService,
	addressCodec address.Codec,
	bankKeeper types.BankKeeper,
	authority string,
) Keeper {
	authorityBytes, err := addressCodec.StringToBytes(authority)
	if err != nil {
		panic(fmt.Sprintf("spn: invalid authority address %q: %v", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:            cdc,
		addressCodec:   addressCodec,
		bankKeeper:     bankKeeper,
		authority:      authority,
		authorityBytes: authorityBytes,
		Params:         collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		SPNs:           collections.NewMap(sb, types.SPNsKey, "spns", collections.Uint64Key, codec.CollValue[types.SPN](cdc)),
		NextID:         collections.NewSequence(sb, types.NextIDKey, "next_id"),
		NameIndex:      collections.NewMap(sb, types.NameIndexKey, "name_index", collections.StringKey, collections.Uint64Value),
		ChainIDIndex:   collections.NewMap(sb, types.ChainIDIndexKey, "chain_id_index", collections.StringKey, collections.Uint64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the module authority address.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec the keeper uses.
func (k Keeper) AddressCodec() address.Codec { return k.addressCodec }

// GetParams returns the module parameters.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// SetParams validates and stores the module parameters. It emits no event
// (MsgUpdateParams does).
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}

// GetSPN returns SPN id, or an error wrapping types.ErrSPNNotFound.
func (k Keeper) GetSPN(ctx context.Context, id uint64) (types.SPN, error) {
	s, err := k.SPNs.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.SPN{}, errorsmod.Wrapf(types.ErrSPNNotFound, "id %d", id)
	}
	return s, err
}

// GetSPNByName returns the SPN called name, or an error wrapping
// types.ErrSPNNotFound.
func (k Keeper) GetSPNByName(ctx context.Context, name string) (types.SPN, error) {
	id, err := k.NameIndex.Get(ctx, name)
	if errors.Is(err, collections.ErrNotFound) {
		return types.SPN{}, errorsmod.Wrapf(types.ErrSPNNotFound, "name %q", name)
	}
	if err != nil {
		return types.SPN{}, err
	}
	return k.GetSPN(ctx, id)
}

// IsActive reports whether SPN id exists and is ACTIVE.
func (k Keeper) IsActive(ctx context.Context, id uint64) (bool, error) {
	s, err := k.SPNs.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.Status == types.StatusActive, nil
}

// peekNextID returns the id the next registration gets, without writing.
func (k Keeper) peekNextID(ctx context.Context) (uint64, error) {
	n, err := k.NextID.Peek(ctx)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		n = 1
	}
	return n, nil
}

// Activate moves a PENDING SPN to ACTIVE and emits EventStatusChanged. It
// fails with ErrSPNNotFound, ErrSPNRetired, or ErrInvalidStatus (not PENDING).
// MsgActivate uses it; so may x/restaking once an SPN has enough operators.
func (k Keeper) Activate(ctx context.Context, id uint64) error {
	s, err := k.GetSPN(ctx, id)
	if err != nil {
		return err
	}
	if s.Status == types.StatusRetired {
		return errorsmod.Wrapf(types.ErrSPNRetired, "id %d", id)
	}
	if s.Status != types.StatusPending {
		return errorsmod.Wrapf(types.ErrInvalidStatus, "id %d is %s, want %s", id, s.Status, types.StatusPending)
	}
	return k.writeStatus(ctx, s, types.StatusActive)
}

// SetStatus moves SPN id to status, which must be PENDING, ACTIVE or PAUSED,
// from any of those three, and emits EventStatusChanged. RETIRED is reached
// only through MsgRetire (which refunds the deposit). It fails with
// ErrSPNNotFound, ErrSPNRetired (the SPN is retired), or ErrInvalidStatus
// (status not one of the three, or equal to the current one). It is for
// x/restaking (e.g. back to PENDING when operators fall below min_operators).
func (k Keeper) SetStatus(ctx context.Context, id uint64, status types.SPNStatus) error {
	switch status {
	case types.StatusPending, types.StatusActive, types.StatusPaused:
	default:
		return errorsmod.Wrapf(types.ErrInvalidStatus, "cannot set status %s", status)
	}
	s, err := k.GetSPN(ctx, id)
	if err != nil {
		return err
	}
	if s.Status == types.StatusRetired {
		return errorsmod.Wrapf(types.ErrSPNRetired, "id %d", id)
	}
	if s.Status == status {
		return errorsmod.Wrapf(types.ErrInvalidStatus, "id %d is already %s", id, status)
	}
	return k.writeStatus(ctx, s, status)
}

// writeStatus stores s with status to and emits EventStatusChanged. Callers
// have done every check.
func (k Keeper) writeStatus(ctx context.Context, s types.SPN, to types.SPNStatus) error {
	from := s.Status
	s.Status = to
	if err := k.SPNs.Set(ctx, s.ID, s); err != nil {
		return err
	}
	return emit(ctx, &types.EventStatusChanged{ID: s.ID, From: from, To: to})
}

// authorizeAdmin decodes signer and checks it is the admin of SPN id. It
// returns the SPN and the signer's bytes. Errors: ErrInvalidAddress,
// ErrInvalidID, ErrSPNNotFound, ErrUnauthorized.
func (k Keeper) authorizeAdmin(ctx context.Context, signer string, id uint64) (types.SPN, []byte, error) {
	signerBytes, err := k.addressCodec.StringToBytes(signer)
	if err != nil {
		return types.SPN{}, nil, errorsmod.Wrapf(types.ErrInvalidAddress, "admin %q: %s", signer, err)
	}
	if err := types.ValidateID(id); err != nil {
		return types.SPN{}, nil, err
	}
	s, err := k.GetSPN(ctx, id)
	if err != nil {
		return types.SPN{}, nil, err
	}
	adminBytes, err := k.addressCodec.StringToBytes(s.Admin)
	if err != nil {
		return types.SPN{}, nil, errorsmod.Wrapf(types.ErrInvalidAddress, "stored admin %q: %s", s.Admin, err)
	}
	if !bytes.Equal(signerBytes, adminBytes) {
		return types.SPN{}, nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s is not the admin of SPN %d", signer, id)
	}
	return s, signerBytes, nil
}

// authorizeAuthority checks that signer is the module authority. Errors:
// ErrInvalidAddress, ErrInvalidAuthority.
func (k Keeper) authorizeAuthority(signer string) error {
	b, err := k.addressCodec.StringToBytes(signer)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "authority %q: %s", signer, err)
	}
	if !bytes.Equal(b, k.authorityBytes) {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, signer)
	}
	return nil
}

func emit(ctx context.Context, ev proto.Message) error {
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev)
}
