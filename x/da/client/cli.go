package client

import (
	"encoding/hex"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	sdkclient "github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	clienttx "github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/farolnet/farol/da"
	"github.com/farolnet/farol/x/da/types"
)

// TxCmd returns `farold tx da`: pay-for-blob here, the governance commands
// added by autocli.
func TxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Embedded data availability transactions",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       sdkclient.ValidateCmd,
	}
	cmd.AddCommand(PayForBlobCmd())
	return cmd
}

// PayForBlobCmd returns `farold tx da pay-for-blob [namespace-id] [file]`.
func PayForBlobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pay-for-blob [namespace-id-hex] [file]",
		Short: "Publish a file as a blob under a namespace (a BlobTx with one MsgPayForBlobs)",
		Long: "Publish the contents of file as one blob. namespace-id-hex is 1..10 bytes in hex, left-padded " +
			"into a version-0 namespace. Without --gas, gas is 150000 + 20 per blob byte. Prints the " +
			"transaction result and the blob's share commitment.",
		Example: "farold tx da pay-for-blob 0a0b0c batch.bin --from alice --fees 500000ufrl",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := sdkclient.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := hex.DecodeString(args[0])
			if err != nil {
				return fmt.Errorf("namespace id: %w", err)
			}
			ns, err := da.NamespaceFromID(id)
			if err != nil {
				return err
			}
			blob, txf, err := BlobFromFile(cmd, clientCtx, ns, args[1])
			if err != nil {
				return err
			}
			raw, err := BuildBlobTx(cmd.Context(), clientCtx, txf, clientCtx.FromName, []*da.Blob{blob})
			if err != nil {
				return err
			}
			res, err := clientCtx.BroadcastTx(raw)
			if err != nil {
				return err
			}
			cmd.PrintErrf("namespace %x commitment %x\n", ns, blob.Commitment)
			return clientCtx.PrintProto(res)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// BlobFromFile reads path as one blob under ns and builds the transaction
// factory from cmd's flags. Without --gas the gas limit is left at 0, which
// BuildBlobTx replaces by the blob's size-based default.
func BlobFromFile(cmd *cobra.Command, clientCtx sdkclient.Context, ns []byte, path string) (*da.Blob, clienttx.Factory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, clienttx.Factory{}, err
	}
	blob, err := da.NewBlob(ns, data)
	if err != nil {
		return nil, clienttx.Factory{}, err
	}
	txf, err := clienttx.NewFactoryCLI(clientCtx, cmd.Flags())
	if err != nil {
		return nil, clienttx.Factory{}, err
	}
	if !cmd.Flags().Changed(flags.FlagGas) {
		txf = txf.WithGas(0)
	}
	return blob, txf, nil
}
