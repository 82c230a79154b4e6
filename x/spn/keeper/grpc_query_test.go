package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/farolnet/farol/x/spn/types"
)

func TestQuerySPN(t *testing.T) {
	f := setup(t)
	res, err := f.query.SPN(f.ctx, &types.QuerySPNRequest{Id: 1})
	require.NoError(t, err)
	require.Equal(t, f.get(1), res.SPN)

	byName, err := f.query.SPNByName(f.ctx, &types.QuerySPNByNameRequest{Name: "one"})
	require.NoError(t, err)
	require.Equal(t, f.get(1), byName.SPN)

	for _, tc := range []struct {
		name string
		fn   func() error
		code codes.Code
	}{
		{"nil", func() error { _, err := f.query.SPN(f.ctx, nil); return err }, codes.InvalidArgument},
		{"zero id", func() error { _, err := f.query.SPN(f.ctx, &types.QuerySPNRequest{}); return err }, codes.InvalidArgument},
		{"unknown id", func() error { _, err := f.query.SPN(f.ctx, &types.QuerySPNRequest{Id: 2}); return err }, codes.NotFound},
		{"nil by name", func() error { _, err := f.query.SPNByName(f.ctx, nil); return err }, codes.InvalidArgument},
		{"empty name", func() error { _, err := f.query.SPNByName(f.ctx, &types.QuerySPNByNameRequest{}); return err }, codes.InvalidArgument},
		{"unknown name", func() error {
			_, err := f.query.SPNByName(f.ctx, &types.QuerySPNByNameRequest{Name: "two"})
			return err
		}, codes.NotFound},
		{"nil list", func() error { _, err := f.query.SPNs(f.ctx, nil); return err }, codes.InvalidArgument},
		{"nil params", func() error { _, err := f.query.Params(f.ctx, nil); return err }, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fn()
			require.Equal(t, tc.code, status.Code(err), "%v", err)
		})
	}
}

func TestQueryParams(t *testing.T) {
	f := newFixture(t)
	res, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), res.Params)
}

func TestQuerySPNsPagination(t *testing.T) {
	f := newFixture(t)
	f.fund(alice, frl(100_000))
	const n = 7
	for i := 1; i <= n; i++ {
		f.register(registerMsg(alice, fmt.Sprintf("spn-%d", i)))
	}
	f.retire(3) // retired SPNs are listed too

	// Empty request: everything, in id order.
	all, err := f.query.SPNs(f.ctx, &types.QuerySPNsRequest{})
	require.NoError(t, err)
	require.Len(t, all.SPNs, n)
	for i, s := range all.SPNs {
		require.Equal(t, uint64(i+1), s.ID)
	}

	// Walk with next keys, 3 at a time, counting the total.
	var ids []uint64
	var key []byte
	for page := 0; ; page++ {
		req := &types.QuerySPNsRequest{Pagination: &query.PageRequest{Key: key, Limit: 3, CountTotal: page == 0}}
		res, err := f.query.SPNs(f.ctx, req)
		require.NoError(t, err)
		if page == 0 {
			require.Equal(t, uint64(n), res.Pagination.Total)
		}
		require.LessOrEqual(t, len(res.SPNs), 3)
		for _, s := range res.SPNs {
			ids = append(ids, s.ID)
		}
		key = res.Pagination.NextKey
		if key == nil {
			break
		}
		require.Less(t, page, n)
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7}, ids)

	// Offset and limit.
	res, err := f.query.SPNs(f.ctx, &types.QuerySPNsRequest{Pagination: &query.PageRequest{Offset: 5, Limit: 10}})
	require.NoError(t, err)
	require.Len(t, res.SPNs, 2)
	require.Equal(t, uint64(6), res.SPNs[0].ID)

	// Reverse.
	res, err = f.query.SPNs(f.ctx, &types.QuerySPNsRequest{Pagination: &query.PageRequest{Limit: 2, Reverse: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{7, 6}, []uint64{res.SPNs[0].ID, res.SPNs[1].ID})

	// Key and offset together are refused.
	_, err = f.query.SPNs(f.ctx, &types.QuerySPNsRequest{Pagination: &query.PageRequest{Key: []byte{1}, Offset: 1}})
	require.Error(t, err)
}
