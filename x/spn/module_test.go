package spn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoregistry"

	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/client/v2/autocli/flag"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/cosmos/cosmos-sdk/x/auth"
	"github.com/cosmos/cosmos-sdk/x/bank"

	"github.com/farolnet/farol/x/spn"
	"github.com/farolnet/farol/x/spn/types"
)

var testAddr = func() string {
	s, err := addresscodec.NewBech32Codec("cosmos").BytesToString(bytes.Repeat([]byte{9}, 20))
	if err != nil {
		panic(err)
	}
	return s
}()

func TestAppModuleBasicGenesis(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig(spn.AppModuleBasic{})
	var b spn.AppModuleBasic
	require.Equal(t, "spn", b.Name())
	def := b.DefaultGenesis(enc.Codec)
	require.NoError(t, b.ValidateGenesis(enc.Codec, enc.TxConfig, def))
	var gs types.GenesisState
	require.NoError(t, enc.Codec.UnmarshalJSON(def, &gs))
	require.Equal(t, *types.DefaultGenesisState(), gs)

	require.Error(t, b.ValidateGenesis(enc.Codec, enc.TxConfig, json.RawMessage(`{"next_id":"0"}`)))
	require.Error(t, b.ValidateGenesis(enc.Codec, enc.TxConfig, json.RawMessage(`not json`)))
}

// TestSignersAndAmino checks the proto annotations: every Msg has a signer
// field the SDK's signing context can read, and amino JSON uses the
// farol/spn/... names.
func TestSignersAndAmino(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig(spn.AppModuleBasic{})
	require.NoError(t, enc.InterfaceRegistry.SigningContext().Validate())

	addrBytes, err := addresscodec.NewBech32Codec("cosmos").StringToBytes(testAddr)
	require.NoError(t, err)
	msgs := []sdk.Msg{
		&types.MsgRegister{Admin: testAddr},
		&types.MsgUpdate{Admin: testAddr},
		&types.MsgTransferAdmin{Admin: testAddr},
		&types.MsgPause{Admin: testAddr},
		&types.MsgResume{Admin: testAddr},
		&types.MsgRetire{Admin: testAddr},
		&types.MsgUpdateParams{Authority: testAddr},
		&types.MsgActivate{Authority: testAddr},
	}
	amino := codec.NewLegacyAmino()
	spn.AppModuleBasic{}.RegisterLegacyAminoCodec(amino)
	for _, m := range msgs {
		signers, _, err := enc.Codec.GetMsgV1Signers(m)
		require.NoError(t, err, "%T", m)
		require.Equal(t, [][]byte{addrBytes}, signers, "%T", m)

		// Resolvable by type URL.
		_, err = enc.InterfaceRegistry.Resolve(sdk.MsgTypeURL(m))
		require.NoError(t, err)

		// Amino name.
		bz, err := amino.MarshalJSON(m)
		require.NoError(t, err)
		name := strings.TrimPrefix(sdk.MsgTypeURL(m), "/farol.spn.v1.")
		require.Contains(t, string(bz), `"type":"farol/spn/`+name+`"`)
	}
}

// TestAutoCLI builds the tx and query commands from AutoCLIOptions and runs
// `register` in --generate-only mode to check the positional arguments,
// including enum and coin parsing.
func TestAutoCLI(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig(auth.AppModuleBasic{}, bank.AppModuleBasic{}, spn.AppModuleBasic{})
	files, err := proto.MergedRegistry()
	require.NoError(t, err)
	b := &autocli.Builder{
		Builder: flag.Builder{
			TypeResolver:          protoregistry.GlobalTypes,
			FileResolver:          files,
			AddressCodec:          addresscodec.NewBech32Codec("cosmos"),
			ValidatorAddressCodec: addresscodec.NewBech32Codec("cosmosvaloper"),
			ConsensusAddressCodec: addresscodec.NewBech32Codec("cosmosvalcons"),
		},
		GetClientConn:     func(*cobra.Command) (grpc.ClientConnInterface, error) { return nil, nil },
		AddQueryConnFlags: flags.AddQueryFlagsToCmd,
		AddTxConnFlags:    flags.AddTxFlagsToCmd,
	}
	require.NoError(t, b.ValidateAndComplete())

	opts := spn.AppModuleBasic{}.AutoCLIOptions()
	clientCtx := client.Context{}.
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithCodec(enc.Codec).
		WithTxConfig(enc.TxConfig).
		WithAccountRetriever(client.MockAccountRetriever{}).
		WithChainID("farol-test").
		WithHomeDir(t.TempDir()).
		WithViper("")
	ctx := context.WithValue(context.Background(), client.ClientContextKey, &clientCtx)

	query := &cobra.Command{Use: "spn"}
	query.SetContext(ctx)
	require.NoError(t, b.AddQueryServiceCommands(query, opts.Query))
	tx := &cobra.Command{Use: "spn"}
	tx.SetContext(ctx)
	require.NoError(t, b.AddMsgServiceCommands(tx, opts.Tx))

	names := func(c *cobra.Command) []string {
		var out []string
		for _, s := range c.Commands() {
			out = append(out, s.Name())
		}
		return out
	}
	require.ElementsMatch(t, []string{"list", "show", "by-name", "params"}, names(query))
	require.ElementsMatch(t, []string{"register", "update", "transfer-admin", "pause", "resume", "retire", "activate", "update-params"}, names(tx))

	list, _, err := query.Find([]string{"list"})
	require.NoError(t, err)
	for _, fl := range []string{"page-limit", "page-key", "page-offset", "page-count-total", "page-reverse"} {
		require.NotNil(t, list.Flags().Lookup(fl), fl)
	}
	reg, _, err := tx.Find([]string{"register"})
	require.NoError(t, err)
	require.NotNil(t, reg.Flags().Lookup("params"))

	out := &bytes.Buffer{}
	tx.SetArgs([]string{
		"register", "my-rollup", "evm", "zk", "my-rollup-1", "1000000000ufrl",
		"--from", testAddr, "--generate-only", "--output", "json",
	})
	tx.SetOut(out)
	require.NoError(t, tx.Execute())
	s := out.String()
	for _, want := range []string{
		`"@type":"/farol.spn.v1.MsgRegister"`, `"admin":"` + testAddr + `"`, `"name":"my-rollup"`,
		`"vm_kind":"VM_KIND_EVM"`, `"settlement_mode":"SETTLEMENT_MODE_ZK"`, `"chain_id":"my-rollup-1"`,
		`"max_deposit":{"denom":"ufrl","amount":"1000000000"}`,
	} {
		require.Contains(t, s, want)
	}
}
