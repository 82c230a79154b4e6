package cmd

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/farolnet/farol/da"
	"github.com/farolnet/farol/da/mainnet"
	"github.com/farolnet/farol/da/sampling"
	daclient "github.com/farolnet/farol/x/da/client"
)

const (
	flagDAGRPC      = "da-grpc"
	flagDANamespace = "namespace"
	flagDAOut       = "out"
	flagDASamples   = "samples"
)

// daCommand returns `farold da`: publish and fetch files through the
// mainnet's embedded DA with the da/mainnet client, verifying proofs against
// the stored data root.
func daCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "da",
		Short: "Publish, fetch and sample blobs on the mainnet's embedded DA",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(daSubmitCmd(), daGetCmd(), daSampleCmd())
	return cmd
}

// addDAFlags registers the farold gRPC address flag and, with namespace, the
// required --namespace flag.
func addDAFlags(cmd *cobra.Command, namespace bool) {
	cmd.Flags().String(flagDAGRPC, "localhost:9090", "farold gRPC address")
	if namespace {
		cmd.Flags().String(flagDANamespace, "", "namespace id, 1..10 bytes in hex")
		_ = cmd.MarkFlagRequired(flagDANamespace)
	}
}

func daConn(cmd *cobra.Command) (*grpc.ClientConn, error) {
	addr, _ := cmd.Flags().GetString(flagDAGRPC)
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

func namespaceArg(cmd *cobra.Command) ([]byte, error) {
	s, _ := cmd.Flags().GetString(flagDANamespace)
	id, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagDANamespace, err)
	}
	return da.NamespaceFromID(id)
}

func daSubmitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "submit [file]",
		Short:   "Publish a file as a blob and wait until it is retrievable",
		Example: "farold da submit batch.bin --namespace 0a0b0c --from alice --fees 500000ufrl",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			ns, err := namespaceArg(cmd)
			if err != nil {
				return err
			}
			blob, txf, err := daclient.BlobFromFile(cmd, clientCtx, ns, args[0])
			if err != nil {
				return err
			}
			conn, err := daConn(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			c := mainnet.New(conn, mainnet.WithSigner(daclient.NewTxSigner(clientCtx, txf, clientCtx.FromName)))
			start := time.Now()
			height, err := c.Submit(cmd.Context(), []*da.Blob{blob})
			if err != nil {
				return err
			}
			return printJSON(cmd, map[string]any{
				"height": height, "namespace": hex.EncodeToString(ns), "commitment": hex.EncodeToString(blob.Commitment),
				"bytes": len(blob.Data), "latency_ms": time.Since(start).Milliseconds(),
			})
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	addDAFlags(cmd, true)
	return cmd
}

func daGetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "get [height] [commitment-hex]",
		Short:   "Fetch a blob, verify its proof against the height's data root and write it out",
		Example: "farold da get 1234 9f...e1 --namespace 0a0b0c --out batch.bin",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			height, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("height: %w", err)
			}
			commitment, err := hex.DecodeString(args[1])
			if err != nil {
				return fmt.Errorf("commitment: %w", err)
			}
			ns, err := namespaceArg(cmd)
			if err != nil {
				return err
			}
			conn, err := daConn(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			c := mainnet.New(conn)
			ctx := cmd.Context()
			blob, err := c.Get(ctx, height, ns, commitment)
			if err != nil {
				return err
			}
			proof, err := c.GetProof(ctx, height, ns, commitment)
			if err != nil {
				return err
			}
			root, _, err := c.DataRoot(ctx, height)
			if err != nil {
				return err
			}
			if err := mainnet.Verify(root, blob, proof); err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString(flagDAOut)
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(blob.Data)
				return err
			}
			if err := os.WriteFile(out, blob.Data, 0o644); err != nil {
				return err
			}
			cmd.PrintErrf("wrote %d bytes to %s; proof verified against data root %x\n", len(blob.Data), out, root)
			return nil
		},
	}
	addDAFlags(cmd, true)
	cmd.Flags().String(flagDAOut, "", "file to write the blob to (default stdout)")
	return cmd
}

func daSampleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sample [height]",
		Short: "Check random shares of a height's extended square against its data root",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			height, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("height: %w", err)
			}
			k, _ := cmd.Flags().GetInt(flagDASamples)
			conn, err := daConn(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			c := mainnet.New(conn)
			root, width, err := c.DataRoot(cmd.Context(), uint64(height))
			if err != nil {
				return err
			}
			res, err := sampling.Sample(cmd.Context(), c, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), height, root, 2*width, k)
			// In the order the shares were sampled, not map order, so that
			// the same run prints the same list.
			failed := make([]string, 0, len(res.Failed))
			for _, c := range res.Checked {
				if e, ok := res.Failed[c]; ok {
					failed = append(failed, fmt.Sprintf("(%d,%d): %v", c.Row, c.Col, e))
				}
			}
			if perr := printJSON(cmd, map[string]any{
				"height": height, "data_root": hex.EncodeToString(root), "checked": len(res.Checked), "failed": failed,
			}); perr != nil {
				return perr
			}
			return err
		},
	}
	addDAFlags(cmd, false)
	cmd.Flags().Int(flagDASamples, 16, "number of random shares to check")
	return cmd
}

func printJSON(cmd *cobra.Command, v any) error {
	bz, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	cmd.Println(string(bz))
	return nil
}
