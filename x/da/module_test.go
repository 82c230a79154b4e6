package da_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/farolnet/farol/x/da"
	"github.com/farolnet/farol/x/da/types"
)

func TestAppModuleBasicGenesis(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig(da.AppModuleBasic{})
	var b da.AppModuleBasic
	require.Equal(t, "da", b.Name())
	def := b.DefaultGenesis(enc.Codec)
	require.NoError(t, b.ValidateGenesis(enc.Codec, enc.TxConfig, def))
	require.Error(t, b.ValidateGenesis(enc.Codec, enc.TxConfig, json.RawMessage(`{"params":{"max_square_size":3}}`)))
	require.Error(t, b.ValidateGenesis(enc.Codec, enc.TxConfig, json.RawMessage(`not json`)))
}

// TestSignersAndAmino: every Msg has a signer the SDK can read, and amino
// JSON uses the farol/da/... names.
func TestSignersAndAmino(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig(da.AppModuleBasic{})
	require.NoError(t, enc.InterfaceRegistry.SigningContext().Validate())
	ac := addresscodec.NewBech32Codec("cosmos")
	addrBytes := bytes.Repeat([]byte{9}, 20)
	addr, err := ac.BytesToString(addrBytes)
	require.NoError(t, err)
	amino := codec.NewLegacyAmino()
	da.AppModuleBasic{}.RegisterLegacyAminoCodec(amino)
	for _, m := range []sdk.Msg{
		&types.MsgPayForBlobs{Signer: addr, Namespaces: [][]byte{{1}}, BlobSizes: []uint32{1}},
		&types.MsgUpdateParams{Authority: addr},
	} {
		signers, _, err := enc.Codec.GetMsgV1Signers(m)
		require.NoError(t, err, "%T", m)
		require.Equal(t, [][]byte{addrBytes}, signers, "%T", m)
		_, err = enc.InterfaceRegistry.Resolve(sdk.MsgTypeURL(m))
		require.NoError(t, err)
		bz, err := amino.MarshalJSON(m)
		require.NoError(t, err)
		name := strings.TrimPrefix(sdk.MsgTypeURL(m), "/farol.da.v1.")
		require.Contains(t, string(bz), `"type":"farol/da/`+name+`"`)
	}
}

func TestCommands(t *testing.T) {
	var b da.AppModuleBasic
	tx := b.GetTxCmd()
	found := false
	for _, c := range tx.Commands() {
		found = found || c.Name() == "pay-for-blob"
	}
	require.True(t, found, "tx da pay-for-blob")
	opts := b.AutoCLIOptions()
	require.True(t, opts.Tx.EnhanceCustomCommand)
	queries := map[string]bool{}
	for _, o := range opts.Query.RpcCommandOptions {
		queries[o.RpcMethod] = true
	}
	for _, m := range []string{"Params", "DataRoot", "DataAvailabilityHeader", "Blob", "Blobs", "BlobProof", "Sample"} {
		require.True(t, queries[m], m)
	}
}
