package spn

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/farolnet/farol/x/spn/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `farold tx spn ...` and
// `farold query spn ...` are built from the proto services. Enum arguments
// take the lower-case value name without prefix: evm|wasm, zk|tee.
func (AppModuleBasic) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "SPNs",
					Use:       "list",
					Short:     "List all SPNs (retired ones included) in id order",
				},
				{
					RpcMethod:      "SPN",
					Use:            "show [id]",
					Short:          "Show one SPN by id",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "SPNByName",
					Use:            "by-name [name]",
					Short:          "Show one SPN by name",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "name"}},
				},
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the spn module parameters",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Register",
					Use:       "register [name] [vm-kind] [settlement-mode] [chain-id] [max-deposit]",
					Short:     "Register an SPN; the signer pays the registration deposit and becomes its admin",
					Long: "Register an SPN. vm-kind is evm or wasm, settlement-mode is zk or tee, max-deposit " +
						"is the most you agree to pay (e.g. 1000000000ufrl); exactly the registration_deposit " +
						"param is charged. --params takes the SPN parameters as JSON, e.g. " +
						`'{"batch_interval_blocks":"10","max_batch_bytes":"1048576","min_operators":1,"min_restaked_stake":"0"}'` +
						"; without it the module's default_spn_params apply.",
					Example: "farold tx spn register my-rollup evm zk my-rollup-1 1000000000ufrl --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "name"}, {ProtoField: "vm_kind"}, {ProtoField: "settlement_mode"},
						{ProtoField: "chain_id"}, {ProtoField: "max_deposit"},
					},
				},
				{
					RpcMethod: "Update",
					Use:       "update [id] [params-json]",
					Short:     "Replace an SPN's operating parameters (admin only)",
					Example: `farold tx spn update 1 '{"batch_interval_blocks":"20","max_batch_bytes":"2097152",` +
						`"min_operators":3,"min_restaked_stake":"5000000000"}' --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}, {ProtoField: "params"}},
				},
				{
					RpcMethod:      "TransferAdmin",
					Use:            "transfer-admin [id] [new-admin]",
					Short:          "Hand the admin role of an SPN to another address (admin only)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}, {ProtoField: "new_admin"}},
				},
				{
					RpcMethod:      "Pause",
					Use:            "pause [id]",
					Short:          "Pause an ACTIVE SPN (admin only)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "Resume",
					Use:            "resume [id]",
					Short:          "Resume a PAUSED SPN (admin only)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "Retire",
					Use:            "retire [id]",
					Short:          "Retire an SPN for good and refund its deposit to the admin (admin only)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "Activate",
					Use:            "activate [id]",
					Short:          "Submit a governance proposal to activate a PENDING SPN",
					Example:        "farold tx spn activate 1 --deposit 10000000ufrl --title 'Activate SPN 1' --summary '...' --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params [params-json]",
					Short:          "Submit a governance proposal to replace the spn module parameters",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
