package da

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/farolnet/farol/x/da/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `farold query da ...`
// is built from the proto service. Byte arguments (namespace, commitment)
// are base64. `farold tx da pay-for-blob` is hand-written (cmd/farold/cmd):
// the blobs must travel beside the transaction in a BlobTx, which autocli
// cannot build.
func (AppModuleBasic) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the da module parameters"},
				{
					RpcMethod: "DataRoot", Use: "data-root [height]", Short: "Show the data root of a height",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "height"}},
				},
				{
					RpcMethod: "DataAvailabilityHeader", Use: "dah [height]",
					Short:          "Show the row and column roots of a height",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "height"}},
				},
				{
					RpcMethod: "Blob", Use: "blob [height] [namespace-base64] [commitment-base64]",
					Short: "Show a blob by height, namespace and share commitment",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "height"}, {ProtoField: "namespace"}, {ProtoField: "commitment"},
					},
				},
				{
					RpcMethod: "Blobs", Use: "blobs [height] [namespace-base64]",
					Short:          "List the blobs of a namespace at a height",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "height"}, {ProtoField: "namespace"}},
				},
				{
					RpcMethod: "BlobProof", Use: "blob-proof [height] [namespace-base64] [commitment-base64]",
					Short: "Show the inclusion proof of a blob (binary encoding, base64)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "height"}, {ProtoField: "namespace"}, {ProtoField: "commitment"},
					},
				},
				{
					RpcMethod: "Sample", Use: "sample [height] [row] [col]",
					Short: "Show one share of the extended square with its proof",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "height"}, {ProtoField: "row"}, {ProtoField: "col"},
					},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "PayForBlobs", Skip: true},
				{
					RpcMethod: "UpdateParams", Use: "update-params [params-json]",
					Short:          "Submit a governance proposal to replace the da module parameters",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
