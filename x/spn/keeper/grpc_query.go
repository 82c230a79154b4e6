package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/farolnet/farol/x/spn/types"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the spn Query service implementation. Errors are
// gRPC statuses: InvalidArgument for a nil request, id 0 or an empty name,
// NotFound for an unknown SPN.
func NewQueryServerImpl(k Keeper) types.QueryServer {
	return queryServer{k: k}
}

// SPN implements types.QueryServer.
func (q queryServer) SPN(ctx context.Context, req *types.QuerySPNRequest) (*types.QuerySPNResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "id must be > 0")
	}
	s, err := q.k.SPNs.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "spn %d not found", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QuerySPNResponse{SPN: s}, nil
}

// SPNByName implements types.QueryServer.
func (q queryServer) SPNByName(ctx context.Context, req *types.QuerySPNByNameRequest) (*types.QuerySPNByNameResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name must be set")
	}
	id, err := q.k.NameIndex.Get(ctx, req.Name)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "spn %q not found", req.Name)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	s, err := q.k.SPNs.Get(ctx, id)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QuerySPNByNameResponse{SPN: s}, nil
}

// SPNs implements types.QueryServer.
func (q queryServer) SPNs(ctx context.Context, req *types.QuerySPNsRequest) (*types.QuerySPNsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	spns, page, err := query.CollectionPaginate(ctx, q.k.SPNs, req.Pagination,
		func(_ uint64, s types.SPN) (types.SPN, error) { return s, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QuerySPNsResponse{SPNs: spns, Pagination: page}, nil
}

// Params implements types.QueryServer.
func (q queryServer) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}
