package types_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/x/spn/types"
)

var admin = func() string {
	s, err := addresscodec.NewBech32Codec("cosmos").BytesToString(bytes.Repeat([]byte{7}, 20))
	if err != nil {
		panic(err)
	}
	return s
}()

func goodRegister() types.MsgRegister {
	return types.MsgRegister{
		Admin:          admin,
		Name:           "rollup",
		VMKind:         types.VMKindWASM,
		SettlementMode: types.SettlementModeTEE,
		ChainID:        "rollup-1",
		MaxDeposit:     types.DefaultRegistrationDeposit,
	}
}

func TestMsgValidateBasic(t *testing.T) {
	reg := func(mut func(m *types.MsgRegister)) *types.MsgRegister {
		m := goodRegister()
		mut(&m)
		return &m
	}
	badParams := types.DefaultSPNParams()
	badParams.BatchIntervalBlocks = 0
	cases := []struct {
		name string
		msg  sdk.HasValidateBasic
		want error
	}{
		{"register ok", reg(func(*types.MsgRegister) {}), nil},
		{"register with params", reg(func(m *types.MsgRegister) { p := types.DefaultSPNParams(); m.Params = &p }), nil},
		{"register no admin", reg(func(m *types.MsgRegister) { m.Admin = "" }), types.ErrInvalidAddress},
		{"register bad name", reg(func(m *types.MsgRegister) { m.Name = "x" }), types.ErrInvalidName},
		{"register bad vm", reg(func(m *types.MsgRegister) { m.VMKind = 0 }), types.ErrInvalidVMKind},
		{"register bad mode", reg(func(m *types.MsgRegister) { m.SettlementMode = 0 }), types.ErrInvalidSettlementMode},
		{"register bad chain id", reg(func(m *types.MsgRegister) { m.ChainID = "X" }), types.ErrInvalidChainID},
		{"register no deposit", reg(func(m *types.MsgRegister) { m.MaxDeposit = sdk.Coin{} }), types.ErrInvalidDeposit},
		{"register negative deposit", reg(func(m *types.MsgRegister) { m.MaxDeposit.Amount = math.NewInt(-1) }), types.ErrInvalidDeposit},
		{"register bad params", reg(func(m *types.MsgRegister) { m.Params = &badParams }), types.ErrInvalidSPNParams},
		{"update ok", &types.MsgUpdate{Admin: admin, ID: 1, Params: types.DefaultSPNParams()}, nil},
		{"update no admin", &types.MsgUpdate{ID: 1, Params: types.DefaultSPNParams()}, types.ErrInvalidAddress},
		{"update zero id", &types.MsgUpdate{Admin: admin, Params: types.DefaultSPNParams()}, types.ErrInvalidID},
		{"update bad params", &types.MsgUpdate{Admin: admin, ID: 1, Params: badParams}, types.ErrInvalidSPNParams},
		{"transfer ok", &types.MsgTransferAdmin{Admin: admin, ID: 1, NewAdmin: "cosmos1other"}, nil},
		{"transfer no admin", &types.MsgTransferAdmin{ID: 1, NewAdmin: admin}, types.ErrInvalidAddress},
		{"transfer zero id", &types.MsgTransferAdmin{Admin: admin, NewAdmin: "cosmos1other"}, types.ErrInvalidID},
		{"transfer no new admin", &types.MsgTransferAdmin{Admin: admin, ID: 1}, types.ErrInvalidAddress},
		{"transfer same", &types.MsgTransferAdmin{Admin: admin, ID: 1, NewAdmin: admin}, types.ErrSameAdmin},
		{"pause ok", &types.MsgPause{Admin: admin, ID: 1}, nil},
		{"pause zero id", &types.MsgPause{Admin: admin}, types.ErrInvalidID},
		{"pause no admin", &types.MsgPause{ID: 1}, types.ErrInvalidAddress},
		{"resume ok", &types.MsgResume{Admin: admin, ID: 1}, nil},
		{"resume zero id", &types.MsgResume{Admin: admin}, types.ErrInvalidID},
		{"resume no admin", &types.MsgResume{ID: 1}, types.ErrInvalidAddress},
		{"retire ok", &types.MsgRetire{Admin: admin, ID: 1}, nil},
		{"retire zero id", &types.MsgRetire{Admin: admin}, types.ErrInvalidID},
		{"retire no admin", &types.MsgRetire{ID: 1}, types.ErrInvalidAddress},
		{"update params ok", &types.MsgUpdateParams{Authority: admin, Params: types.DefaultParams()}, nil},
		{"update params no authority", &types.MsgUpdateParams{Params: types.DefaultParams()}, types.ErrInvalidAddress},
		{"update params bad", &types.MsgUpdateParams{Authority: admin}, types.ErrInvalidParams},
		{"activate ok", &types.MsgActivate{Authority: admin, ID: 1}, nil},
		{"activate no authority", &types.MsgActivate{ID: 1}, types.ErrInvalidAddress},
		{"activate zero id", &types.MsgActivate{Authority: admin}, types.ErrInvalidID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.ValidateBasic()
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// FuzzMsgRegisterValidateBasic: ValidateBasic never panics, and accepts a
// message only if each field passes its own validator.
func FuzzMsgRegisterValidateBasic(f *testing.F) {
	f.Add("rollup", "rollup-1", int32(1), int32(2), "ufrl", int64(5), uint64(10), uint64(100), uint32(1))
	f.Add("", "", int32(0), int32(0), "", int64(-1), uint64(0), uint64(0), uint32(0))
	f.Add("a-b-c", "c.d_e-f", int32(2), int32(1), "x", int64(0), uint64(1), uint64(1), uint32(9))
	f.Fuzz(func(t *testing.T, name, chainID string, vm, mode int32, denom string, amount int64, interval, maxBytes uint64, ops uint32) {
		m := types.MsgRegister{
			Admin:          admin,
			Name:           name,
			VMKind:         types.VMKind(vm),
			SettlementMode: types.SettlementMode(mode),
			ChainID:        chainID,
			MaxDeposit:     sdk.Coin{Denom: denom, Amount: math.NewInt(amount)},
			Params: &types.SPNParams{
				BatchIntervalBlocks: interval, MaxBatchBytes: maxBytes, MinOperators: ops, MinRestakedStake: math.NewInt(amount),
			},
		}
		if m.ValidateBasic() != nil {
			return
		}
		require.NoError(t, types.ValidateName(name, types.MaxNameLength))
		require.NoError(t, types.ValidateChainID(chainID))
		require.True(t, vm == 1 || vm == 2)
		require.True(t, mode == 1 || mode == 2)
		require.False(t, amount < 0)
		require.NotZero(t, interval)
		require.NotZero(t, maxBytes)
		require.NotZero(t, ops)
		require.False(t, strings.ContainsAny(name, "_. "))
	})
}

// FuzzSPNUnmarshal: decoding arbitrary bytes as an SPN record never panics,
// and whatever decodes re-encodes to bytes that decode to the same record.
func FuzzSPNUnmarshal(f *testing.F) {
	seed := types.SPN{
		ID: 1, Name: "abc", VMKind: types.VMKindEVM, SettlementMode: types.SettlementModeZK, ChainID: "abc-1",
		Admin: admin, DANamespace: types.DeriveNamespace(1).Bytes(), Status: types.StatusActive,
		Params: types.DefaultSPNParams(), Deposit: types.DefaultRegistrationDeposit, CreatedHeight: 3,
	}
	bz, err := seed.Marshal()
	require.NoError(f, err)
	f.Add(bz)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s types.SPN
		if s.Unmarshal(data) != nil {
			return
		}
		out, err := s.Marshal()
		require.NoError(t, err)
		var again types.SPN
		require.NoError(t, again.Unmarshal(out))
		require.True(t, s.Equal(&again))
	})
}
