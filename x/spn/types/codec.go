package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the module's messages and params on the
// LegacyAmino codec (amino JSON signing). The names match the amino.name
// options in proto/farol/spn/v1.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRegister{}, "farol/spn/MsgRegister")
	legacy.RegisterAminoMsg(cdc, &MsgUpdate{}, "farol/spn/MsgUpdate")
	legacy.RegisterAminoMsg(cdc, &MsgTransferAdmin{}, "farol/spn/MsgTransferAdmin")
	legacy.RegisterAminoMsg(cdc, &MsgPause{}, "farol/spn/MsgPause")
	legacy.RegisterAminoMsg(cdc, &MsgResume{}, "farol/spn/MsgResume")
	legacy.RegisterAminoMsg(cdc, &MsgRetire{}, "farol/spn/MsgRetire")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "farol/spn/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgActivate{}, "farol/spn/MsgActivate")
	cdc.RegisterConcrete(&Params{}, "farol/x/spn/Params", nil)
}

// RegisterInterfaces registers the module's messages and Msg service.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegister{},
		&MsgUpdate{},
		&MsgTransferAdmin{},
		&MsgPause{},
		&MsgResume{},
		&MsgRetire{},
		&MsgUpdateParams{},
		&MsgActivate{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
