package app_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/farolnet/farol/da"
	"github.com/farolnet/farol/da/mainnet"
	"github.com/farolnet/farol/da/sampling"
	"github.com/farolnet/farol/da/square"
	"github.com/farolnet/farol/testutil/network"
	daclient "github.com/farolnet/farol/x/da/client"
)

// TestNetworkDA publishes a blob by a signed BlobTx on a running network,
// fetches it through the da/mainnet client, verifies its proof against the
// stored data root, and samples the square, with and without withheld
// shares.
func TestNetworkDA(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process network")
	}
	net := network.New(t, network.DefaultConfig(1))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	val := net.Validators[0]
	grpcAddr, err := network.GRPCAddress(net)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	record, err := val.ClientCtx.Keyring.KeyByAddress(val.Address)
	if err != nil {
		t.Fatal(err)
	}
	txf := clienttx.Factory{}.
		WithChainID(net.Config.ChainID).
		WithKeybase(val.ClientCtx.Keyring).
		WithTxConfig(net.Config.TxConfig).
		WithAccountRetriever(net.Config.AccountRetriever).
		WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
	client := mainnet.New(conn, mainnet.WithSigner(daclient.NewTxSigner(val.ClientCtx, txf, record.Name)))

	ns, err := da.NamespaceFromID([]byte("farol-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	blob, err := da.NewBlob(ns, data)
	if err != nil {
		t.Fatal(err)
	}
	height, err := client.Submit(ctx, []*da.Blob{blob})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}

	got, err := client.Get(ctx, height, ns, blob.Commitment)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if !bytes.Equal(got.Data, data) {
		t.Fatal("fetched blob differs")
	}
	all, err := client.GetAll(ctx, height, [][]byte{ns})
	if err != nil || len(all) != 1 {
		t.Fatalf("get all: %v (%d blobs)", err, len(all))
	}
	proof, err := client.GetProof(ctx, height, ns, blob.Commitment)
	if err != nil {
		t.Fatalf("get proof: %v", err)
	}
	root, width, err := client.DataRoot(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	if err := mainnet.Verify(root, got, proof); err != nil {
		t.Fatalf("proof against the stored data root: %v", err)
	}
	if ok, err := client.Included(ctx, height, ns, proof, blob.Commitment); err != nil || !ok {
		t.Fatalf("included: %v %v", ok, err)
	}
	tampered := *got
	tampered.Data = append([]byte(nil), got.Data...)
	tampered.Data[50_000] ^= 1
	if err := mainnet.Verify(root, &tampered, proof); !errors.Is(err, da.ErrInvalidProof) {
		t.Fatalf("tampered blob: %v", err)
	}
	if _, err := client.Get(ctx, height, ns, bytes.Repeat([]byte{1}, 32)); !errors.Is(err, da.ErrBlobNotFound) {
		t.Fatalf("unknown commitment: %v", err)
	}

	// Sampling: an honest node passes; one that withholds a quarter of the
	// extended square plus one share (the least that makes it
	// unrecoverable) is caught with 32 samples (miss chance < 0.01%).
	ew := 2 * width
	if _, err := sampling.Sample(ctx, client, rand.New(rand.NewPCG(2, 2)), int64(height), root, ew, 32); err != nil {
		t.Fatalf("honest node failed sampling: %v", err)
	}
	withholding := &withholdingSource{Source: client, rows: ew/2 + 1, cols: ew/2 + 1}
	res, err := sampling.Sample(ctx, withholding, rand.New(rand.NewPCG(3, 3)), int64(height), root, ew, 32)
	if !errors.Is(err, sampling.ErrUnavailable) || len(res.Failed) == 0 {
		t.Fatalf("withheld shares not detected: %v", err)
	}
	lying := &lyingSource{Source: client}
	if _, err := sampling.Sample(ctx, lying, rand.New(rand.NewPCG(4, 4)), int64(height), root, ew, 4); !errors.Is(err, sampling.ErrUnavailable) {
		t.Fatalf("altered shares not detected: %v", err)
	}
}

// withholdingSource refuses every share in its top-left rows x cols block.
type withholdingSource struct {
	sampling.Source
	rows, cols int
}

func (w *withholdingSource) Sample(ctx context.Context, height int64, row, col int) (square.SampleProof, error) {
	if row < w.rows && col < w.cols {
		return square.SampleProof{}, status.Error(codes.Unavailable, "withheld")
	}
	return w.Source.Sample(ctx, height, row, col)
}

// lyingSource serves altered shares with their original proofs.
type lyingSource struct{ sampling.Source }

func (l *lyingSource) Sample(ctx context.Context, height int64, row, col int) (square.SampleProof, error) {
	s, err := l.Source.Sample(ctx, height, row, col)
	if err == nil {
		s.Share[len(s.Share)-1] ^= 0xff
	}
	return s, err
}
