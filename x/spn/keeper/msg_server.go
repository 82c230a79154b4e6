package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/x/spn/types"
)

type msgServer struct {
	k Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the spn Msg service implementation.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{k: k}
}

// Register implements types.MsgServer.
func (s msgServer) Register(ctx context.Context, msg *types.MsgRegister) (*types.MsgRegisterResponse, error) {
	k := s.k
	sdkCtx := sdk.UnwrapSDKContext(ctx)

	// Authorize: the signer pays and becomes admin; it only needs to be a
	// valid address.
	adminBytes, err := k.addressCodec.StringToBytes(msg.Admin)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "admin %q: %s", msg.Admin, err)
	}
	admin, err := k.addressCodec.BytesToString(adminBytes)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "admin %q: %s", msg.Admin, err)
	}

	// Validate.
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := types.ValidateName(msg.Name, params.MaxNameLength); err != nil {
		return nil, err
	}
	if err := msg.VMKind.Validate(); err != nil {
		return nil, err
	}
	if err := msg.SettlementMode.Validate(); err != nil {
		return nil, err
	}
	if err := types.ValidateChainID(msg.ChainID); err != nil {
		return nil, err
	}
	if msg.ChainID == sdkCtx.ChainID() {
		return nil, errorsmod.Wrapf(types.ErrInvalidChainID, "%q is the mainnet's chain id", msg.ChainID)
	}
	spnParams := params.DefaultSPNParams
	if msg.Params != nil {
		spnParams = *msg.Params
	}
	if err := spnParams.Validate(params.MaxBatchBytesLimit); err != nil {
		return nil, err
	}
	deposit := params.RegistrationDeposit
	if err := types.ValidateDepositCoin(msg.MaxDeposit); err != nil {
		return nil, err
	}
	if msg.MaxDeposit.Denom != deposit.Denom {
		return nil, errorsmod.Wrapf(types.ErrInvalidDeposit, "max deposit denom %q, the registration deposit is in %q", msg.MaxDeposit.Denom, deposit.Denom)
	}
	if msg.MaxDeposit.Amount.LT(deposit.Amount) {
		return nil, errorsmod.Wrapf(types.ErrDepositTooLow, "max deposit %s < registration deposit %s", msg.MaxDeposit, deposit)
	}
	if taken, err := k.NameIndex.Has(ctx, msg.Name); err != nil {
		return nil, err
	} else if taken {
		return nil, errorsmod.Wrapf(types.ErrNameTaken, "%q", msg.Name)
	}
	if taken, err := k.ChainIDIndex.Has(ctx, msg.ChainID); err != nil {
		return nil, err
	} else if taken {
		return nil, errorsmod.Wrapf(types.ErrChainIDTaken, "%q", msg.ChainID)
	}
	if deposit.IsPositive() {
		spendable := k.bankKeeper.SpendableCoins(ctx, adminBytes).AmountOf(deposit.Denom)
		if spendable.LT(deposit.Amount) {
			return nil, errorsmod.Wrapf(types.ErrInsufficientFunds, "spendable %s%s < %s", spendable, deposit.Denom, deposit)
		}
	}
	id, err := k.peekNextID(ctx)
	if err != nil {
		return nil, err
	}

	// Write. The deposit transfer goes first: it is the only step that can
	// still fail, and it fails before writing anything.
	if deposit.IsPositive() {
		if err := k.bankKeeper.SendCoinsFromAccountToModule(ctx, adminBytes, types.ModuleName, sdk.NewCoins(deposit)); err != nil {
			return nil, errorsmod.Wrap(types.ErrInsufficientFunds, err.Error())
		}
	}
	status := types.StatusPending
	if params.AutoActivate {
		status = types.StatusActive
	}
	rec := types.SPN{
		ID:             id,
		Name:           msg.Name,
		VMKind:         msg.VMKind,
		SettlementMode: msg.SettlementMode,
		ChainID:        msg.ChainID,
		Admin:          admin,
		DANamespace:    types.DeriveNamespace(id).Bytes(),
		Status:         status,
		Params:         spnParams,
		Deposit:        deposit,
		CreatedHeight:  sdkCtx.BlockHeight(),
	}
	if err := k.SPNs.Set(ctx, id, rec); err != nil {
		return nil, err
	}
	if err := k.NameIndex.Set(ctx, rec.Name, id); err != nil {
		return nil, err
	}
	if err := k.ChainIDIndex.Set(ctx, rec.ChainID, id); err != nil {
		return nil, err
	}
	if err := k.NextID.Set(ctx, id+1); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventRegistered{
		ID:             id,
		Name:           rec.Name,
		Admin:          rec.Admin,
		VMKind:         rec.VMKind,
		SettlementMode: rec.SettlementMode,
		ChainID:        rec.ChainID,
		Deposit:        deposit,
		Status:         status,
	}); err != nil {
		return nil, err
	}
	if status == types.StatusActive {
		if err := emit(ctx, &types.EventStatusChanged{ID: id, From: types.StatusPending, To: types.StatusActive}); err != nil {
			return nil, err
		}
	}
	return &types.MsgRegisterResponse{ID: id}, nil
}

// Update implements types.MsgServer.
func (s msgServer) Update(ctx context.Context, msg *types.MsgUpdate) (*types.MsgUpdateResponse, error) {
	k := s.k
	rec, _, err := k.authorizeAdmin(ctx, msg.Admin, msg.ID)
	if err != nil {
		return nil, err
	}
	if rec.Status == types.StatusRetired {
		return nil, errorsmod.Wrapf(types.ErrSPNRetired, "id %d", rec.ID)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(params.MaxBatchBytesLimit); err != nil {
		return nil, err
	}

	rec.Params = msg.Params
	if err := k.SPNs.Set(ctx, rec.ID, rec); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventUpdated{ID: rec.ID, Params: rec.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateResponse{}, nil
}

// TransferAdmin implements types.MsgServer.
func (s msgServer) TransferAdmin(ctx context.Context, msg *types.MsgTransferAdmin) (*types.MsgTransferAdminResponse, error) {
	k := s.k
	rec, adminBytes, err := k.authorizeAdmin(ctx, msg.Admin, msg.ID)
	if err != nil {
		return nil, err
	}
	if rec.Status == types.StatusRetired {
		return nil, errorsmod.Wrapf(types.ErrSPNRetired, "id %d", rec.ID)
	}
	newBytes, err := k.addressCodec.StringToBytes(msg.NewAdmin)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "new_admin %q: %s", msg.NewAdmin, err)
	}
	if string(newBytes) == string(adminBytes) {
		return nil, errorsmod.Wrap(types.ErrSameAdmin, msg.NewAdmin)
	}
	newAdmin, err := k.addressCodec.BytesToString(newBytes)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "new_admin %q: %s", msg.NewAdmin, err)
	}

	old := rec.Admin
	rec.Admin = newAdmin
	if err := k.SPNs.Set(ctx, rec.ID, rec); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventAdminTransferred{ID: rec.ID, OldAdmin: old, NewAdmin: newAdmin}); err != nil {
		return nil, err
	}
	return &types.MsgTransferAdminResponse{}, nil
}

// Pause implements types.MsgServer.
func (s msgServer) Pause(ctx context.Context, msg *types.MsgPause) (*types.MsgPauseResponse, error) {
	if err := s.adminTransition(ctx, msg.Admin, msg.ID, types.StatusActive, types.StatusPaused); err != nil {
		return nil, err
	}
	return &types.MsgPauseResponse{}, nil
}

// Resume implements types.MsgServer.
func (s msgServer) Resume(ctx context.Context, msg *types.MsgResume) (*types.MsgResumeResponse, error) {
	if err := s.adminTransition(ctx, msg.Admin, msg.ID, types.StatusPaused, types.StatusActive); err != nil {
		return nil, err
	}
	return &types.MsgResumeResponse{}, nil
}

// adminTransition authorizes signer as the admin of SPN id and moves it from
// status from to status to.
func (s msgServer) adminTransition(ctx context.Context, signer string, id uint64, from, to types.SPNStatus) error {
	rec, _, err := s.k.authorizeAdmin(ctx, signer, id)
	if err != nil {
		return err
	}
	if rec.Status == types.StatusRetired {
		return errorsmod.Wrapf(types.ErrSPNRetired, "id %d", rec.ID)
	}
	if rec.Status != from {
		return errorsmod.Wrapf(types.ErrInvalidStatus, "id %d is %s, want %s", rec.ID, rec.Status, from)
	}
	return s.k.writeStatus(ctx, rec, to)
}

// Retire implements types.MsgServer.
func (s msgServer) Retire(ctx context.Context, msg *types.MsgRetire) (*types.MsgRetireResponse, error) {
	k := s.k
	rec, adminBytes, err := k.authorizeAdmin(ctx, msg.Admin, msg.ID)
	if err != nil {
		return nil, err
	}
	if rec.Status == types.StatusRetired {
		return nil, errorsmod.Wrapf(types.ErrSPNRetired, "id %d", rec.ID)
	}

	// Write. The refund goes first: it fails (module account short of funds,
	// which a correct chain never sees) before anything is written.
	refund := rec.Deposit
	if refund.IsPositive() {
		if err := k.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, adminBytes, sdk.NewCoins(refund)); err != nil {
			return nil, err
		}
	}
	if err := k.writeStatus(ctx, rec, types.StatusRetired); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventRetired{ID: rec.ID, Admin: rec.Admin, Refund: refund}); err != nil {
		return nil, err
	}
	return &types.MsgRetireResponse{Refund: refund}, nil
}

// UpdateParams implements types.MsgServer.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	k := s.k
	if err := k.authorizeAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}

	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

// Activate implements types.MsgServer.
func (s msgServer) Activate(ctx context.Context, msg *types.MsgActivate) (*types.MsgActivateResponse, error) {
	k := s.k
	if err := k.authorizeAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := types.ValidateID(msg.ID); err != nil {
		return nil, err
	}
	if err := k.Activate(ctx, msg.ID); err != nil {
		return nil, err
	}
	return &types.MsgActivateResponse{}, nil
}
