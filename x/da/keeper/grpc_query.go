package keeper

import (
	"context"
	"errors"
	"sort"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/farolnet/farol/da/square"
	"github.com/farolnet/farol/x/da/types"
)

type queryServer struct{ k Keeper }

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the da Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

func grpcError(err error) error {
	switch {
	case errors.Is(err, types.ErrNotFound), errors.Is(err, collections.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, types.ErrPruned):
		return status.Error(codes.OutOfRange, err.Error())
	case errors.Is(err, types.ErrInvalidRequest), errors.Is(err, types.ErrInvalidNamespace):
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return err
}

// Params returns the module parameters.
func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// DataRoot returns the data root of a height.
func (q queryServer) DataRoot(ctx context.Context, req *types.QueryDataRootRequest) (*types.QueryDataRootResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	r, err := q.k.DataRoots.Get(ctx, req.Height)
	if err != nil {
		return nil, grpcError(errorsmod.Wrapf(types.ErrNotFound, "data root at height %d", req.Height))
	}
	return &types.QueryDataRootResponse{DataRoot: r}, nil
}

// DataAvailabilityHeader returns the row and column roots of a height.
func (q queryServer) DataAvailabilityHeader(ctx context.Context, req *types.QueryDataAvailabilityHeaderRequest) (*types.QueryDataAvailabilityHeaderResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	bz, err := q.k.Headers.Get(ctx, req.Height)
	if err != nil {
		return nil, grpcError(errorsmod.Wrapf(types.ErrPruned, "no header at height %d", req.Height))
	}
	h, err := square.UnmarshalHeader(bz)
	if err != nil {
		return nil, err
	}
	return &types.QueryDataAvailabilityHeaderResponse{RowRoots: h.RowRoots, ColumnRoots: h.ColumnRoots, DataRoot: h.DataRoot()}, nil
}

// blob reads one located blob out of the stored rows.
func (q queryServer) blob(ctx context.Context, height int64, commitment []byte, ref types.BlobRef) (types.Blob, error) {
	shares, err := q.k.Shares(ctx, height)
	if err != nil {
		return types.Blob{}, err
	}
	end := int(ref.Start) + int(ref.Shares)
	if end > len(shares) || ref.Shares == 0 {
		return types.Blob{}, errorsmod.Wrapf(types.ErrInvalidSquare, "blob at [%d, %d) outside %d shares", ref.Start, end, len(shares))
	}
	b, err := square.BlobFromShares(shares[ref.Start:end])
	if err != nil {
		return types.Blob{}, types.WrapSquareError(err)
	}
	return types.Blob{
		Height: height, Namespace: b.Namespace().Bytes(), Data: b.Data(), ShareVersion: uint32(b.ShareVersion()),
		Signer: b.Signer(), Commitment: commitment, Index: ref.Start, Paid: ref.Paid,
	}, nil
}

func (q queryServer) ref(ctx context.Context, height int64, ns, commitment []byte) (types.BlobRef, error) {
	if _, err := square.BlobNamespace(ns); err != nil {
		return types.BlobRef{}, types.WrapSquareError(err)
	}
	ref, err := q.k.Blobs.Get(ctx, collections.Join3(height, ns, commitment))
	if errors.Is(err, collections.ErrNotFound) {
		if _, err := q.k.Headers.Get(ctx, height); err != nil {
			return types.BlobRef{}, errorsmod.Wrapf(types.ErrPruned, "height %d", height)
		}
		return types.BlobRef{}, errorsmod.Wrapf(types.ErrNotFound, "no blob %x in namespace %x at height %d", commitment, ns, height)
	}
	return ref, err
}

// Blob returns one blob by (height, namespace, commitment).
func (q queryServer) Blob(ctx context.Context, req *types.QueryBlobRequest) (*types.QueryBlobResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	ref, err := q.ref(ctx, req.Height, req.Namespace, req.Commitment)
	if err != nil {
		return nil, grpcError(err)
	}
	b, err := q.blob(ctx, req.Height, req.Commitment, ref)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryBlobResponse{Blob: b}, nil
}

// Blobs returns all blobs of a namespace at a height, in square order.
func (q queryServer) Blobs(ctx context.Context, req *types.QueryBlobsRequest) (*types.QueryBlobsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := square.BlobNamespace(req.Namespace); err != nil {
		return nil, grpcError(types.WrapSquareError(err))
	}
	if _, err := q.k.Headers.Get(ctx, req.Height); err != nil {
		return nil, grpcError(errorsmod.Wrapf(types.ErrPruned, "height %d", req.Height))
	}
	it, err := q.k.Blobs.Iterate(ctx, collections.NewSuperPrefixedTripleRange[int64, []byte, []byte](req.Height, req.Namespace))
	if err != nil {
		return nil, err
	}
	kvs, err := it.KeyValues() // closes the iterator
	if err != nil {
		return nil, err
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Value.Start < kvs[j].Value.Start })
	out := &types.QueryBlobsResponse{}
	for _, kv := range kvs {
		b, err := q.blob(ctx, req.Height, kv.Key.K3(), kv.Value)
		if err != nil {
			return nil, grpcError(err)
		}
		out.Blobs = append(out.Blobs, b)
	}
	return out, nil
}

// BlobProof proves a blob's shares against the height's data root.
func (q queryServer) BlobProof(ctx context.Context, req *types.QueryBlobProofRequest) (*types.QueryBlobProofResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	ref, err := q.ref(ctx, req.Height, req.Namespace, req.Commitment)
	if err != nil {
		return nil, grpcError(err)
	}
	eds, err := q.k.ExtendedSquare(ctx, req.Height)
	if err != nil {
		return nil, grpcError(err)
	}
	p, err := square.NewShareProof(eds, int(ref.Start), int(ref.Start+ref.Shares))
	if err != nil {
		return nil, grpcError(types.WrapSquareError(err))
	}
	root, err := q.k.DataRoots.Get(ctx, req.Height)
	if err != nil {
		return nil, err
	}
	return &types.QueryBlobProofResponse{Proof: p.Marshal(), DataRoot: root.DataRoot}, nil
}

// Sample returns one share of the extended square with its proof.
func (q queryServer) Sample(ctx context.Context, req *types.QuerySampleRequest) (*types.QuerySampleResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	eds, err := q.k.ExtendedSquare(ctx, req.Height)
	if err != nil {
		return nil, grpcError(err)
	}
	ew := eds.Width()
	if uint(req.Row) >= ew || uint(req.Col) >= ew {
		return nil, grpcError(errorsmod.Wrapf(types.ErrInvalidRequest, "(%d, %d) outside a %d-wide square", req.Row, req.Col, ew))
	}
	s, err := square.NewSampleProof(eds, int(req.Row), int(req.Col))
	if err != nil {
		return nil, grpcError(types.WrapSquareError(err))
	}
	root, err := q.k.DataRoots.Get(ctx, req.Height)
	if err != nil {
		return nil, err
	}
	return &types.QuerySampleResponse{Sample: s.Marshal(), DataRoot: root.DataRoot, ExtendedWidth: uint32(ew)}, nil
}
