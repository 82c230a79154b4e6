package keeper_test

import (
	"bytes"
	"testing"

	"github.com/celestiaorg/go-square/v3/share"
	gosquaretx "github.com/celestiaorg/go-square/v3/tx"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/runtime"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"

	"github.com/farolnet/farol/da/square"
	"github.com/farolnet/farol/testutil/bankenv"
	"github.com/farolnet/farol/x/da"
	"github.com/farolnet/farol/x/da/keeper"
	"github.com/farolnet/farol/x/da/types"
)

// fixture is a real auth + bank + da keeper set on an in-memory multistore.
type fixture struct {
	ctx       sdk.Context
	env       *bankenv.Env
	k         keeper.Keeper
	bk        bankkeeper.BaseKeeper
	msg       types.MsgServer
	query     types.QueryServer
	authority string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := bankenv.New(t, types.StoreKey, map[string][]string{authtypes.FeeCollectorName: nil}, da.AppModuleBasic{})
	ctx := env.Ctx.WithBlockHeight(5)
	k := keeper.NewKeeper(env.Enc.Codec, runtime.NewKVStoreService(env.Keys[types.StoreKey]), env.AddressCodec, env.BankKeeper, env.Authority)
	p := types.DefaultParams()
	p.MaxSquareSize, p.MaxBlobBytes, p.RetentionBlocks = 16, 50_000, 3
	require.NoError(t, k.InitGenesis(ctx, types.GenesisState{Params: p}))
	return &fixture{ctx: ctx, env: env, k: k, bk: env.BankKeeper, msg: keeper.NewMsgServerImpl(k), query: keeper.NewQueryServerImpl(k), authority: env.Authority}
}

func (f *fixture) fund(t *testing.T, addr sdk.AccAddress, amount int64) {
	f.env.Mint(t, f.ctx, addr, sdk.NewCoins(sdk.NewCoin(types.DefaultFeeDenom, math.NewInt(amount))))
}

func blob(t *testing.T, id byte, size int) *share.Blob {
	ns := share.MustNewV0Namespace(bytes.Repeat([]byte{id}, share.NamespaceVersionZeroIDSize))
	b, err := share.NewV0Blob(ns, bytes.Repeat([]byte{id, 1, 2}, size/3+1)[:size])
	require.NoError(t, err)
	return b
}

func pfb(t *testing.T, signer string, blobs ...*share.Blob) *types.MsgPayForBlobs {
	m := &types.MsgPayForBlobs{Signer: signer}
	for _, b := range blobs {
		c, err := square.Commitment(b)
		require.NoError(t, err)
		m.Namespaces = append(m.Namespaces, b.Namespace().Bytes())
		m.BlobSizes = append(m.BlobSizes, uint32(b.DataLen()))
		m.ShareCommitments = append(m.ShareCommitments, c)
		m.ShareVersions = append(m.ShareVersions, 0)
	}
	return m
}

func TestPayForBlobs(t *testing.T) {
	f := newFixture(t)
	signer := sdk.AccAddress(bytes.Repeat([]byte{3}, 20))
	f.fund(t, signer, 10_000)
	b := blob(t, 9, 4000)

	before := f.ctx.GasMeter().GasConsumed()
	_, err := f.msg.PayForBlobs(f.ctx, pfb(t, signer.String(), b))
	require.NoError(t, err)
	require.GreaterOrEqual(t, f.ctx.GasMeter().GasConsumed()-before, uint64(4000*types.DefaultGasPerBlobByte))
	require.Equal(t, int64(6_000), f.bk.GetBalance(f.ctx, signer, types.DefaultFeeDenom).Amount.Int64())
	require.Equal(t, int64(4_000), f.bk.GetBalance(f.ctx, authtypes.NewModuleAddress(authtypes.FeeCollectorName), types.DefaultFeeDenom).Amount.Int64())

	cases := map[string]struct {
		msg  *types.MsgPayForBlobs
		want error
	}{
		"bad signer": {pfb(t, "nope", b), types.ErrInvalidAddress},
		"no blobs":   {&types.MsgPayForBlobs{Signer: signer.String()}, types.ErrInvalidBlobs},
		"too large":  {pfb(t, signer.String(), blob(t, 9, 50_001)), types.ErrBlobTooLarge},
		"cannot pay": {pfb(t, signer.String(), blob(t, 9, 7_000)), types.ErrInsufficientFee},
		"reserved ns": {func() *types.MsgPayForBlobs {
			m := pfb(t, signer.String(), b)
			m.Namespaces[0] = share.TxNamespace.Bytes()
			return m
		}(), types.ErrInvalidNamespace},
		"short commit": {func() *types.MsgPayForBlobs {
			m := pfb(t, signer.String(), b)
			m.ShareCommitments[0] = []byte{1}
			return m
		}(), types.ErrWrongCommitment},
	}
	for name, c := range cases {
		_, err := f.msg.PayForBlobs(f.ctx, c.msg)
		require.ErrorIs(t, err, c.want, name)
	}
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.RetentionBlocks = 9
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: "cosmos1xyz", Params: p})
	require.ErrorIs(t, err, types.ErrInvalidAuthority)
	bad := p
	bad.MaxSquareSize = 48
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: bad})
	require.ErrorIs(t, err, types.ErrInvalidParams)
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	got, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, uint64(9), got.Params.RetentionBlocks)
}

// TestProcessBlockPaidAndPruned: PreBlock stores the square; a successful
// PFB in the same block marks its blobs paid; squares leave after the
// window, data roots stay; genesis exports the roots.
func TestProcessBlockPaidAndPruned(t *testing.T) {
	f := newFixture(t)
	signer := sdk.AccAddress(bytes.Repeat([]byte{4}, 20))
	f.fund(t, signer, 1_000_000)
	b1, b2 := blob(t, 7, 3000), blob(t, 8, 200)
	raw, err := gosquaretx.MarshalBlobTx([]byte("inner tx"), b1, b2)
	require.NoError(t, err)
	require.NoError(t, f.k.ProcessBlock(f.ctx, [][]byte{[]byte("a regular tx"), raw}))
	c1, _ := square.Commitment(b1)

	got, err := f.query.Blob(f.ctx, &types.QueryBlobRequest{Height: 5, Namespace: b1.Namespace().Bytes(), Commitment: c1})
	require.NoError(t, err)
	require.False(t, got.Blob.Paid)
	ref, err := f.k.GetBlobRef(f.ctx, 5, b1.Namespace().Bytes(), c1)
	require.NoError(t, err)
	require.Equal(t, got.Blob.Index, ref.Start)
	_, err = f.k.GetBlobRef(f.ctx, 5, b1.Namespace().Bytes(), make([]byte, 32))
	require.ErrorIs(t, err, types.ErrNotFound)
	_, err = f.k.GetBlobRef(f.ctx, 4, b1.Namespace().Bytes(), c1)
	require.ErrorIs(t, err, types.ErrPruned)
	_, err = f.k.GetDataRoot(f.ctx, 4)
	require.ErrorIs(t, err, types.ErrNotFound)
	_, err = f.msg.PayForBlobs(f.ctx, pfb(t, signer.String(), b1, b2))
	require.NoError(t, err)
	got, err = f.query.Blob(f.ctx, &types.QueryBlobRequest{Height: 5, Namespace: b1.Namespace().Bytes(), Commitment: c1})
	require.NoError(t, err)
	require.True(t, got.Blob.Paid)
	require.Equal(t, b1.Data(), got.Blob.Data)

	dah, err := f.query.DataAvailabilityHeader(f.ctx, &types.QueryDataAvailabilityHeaderRequest{Height: 5})
	require.NoError(t, err)
	root, err := f.query.DataRoot(f.ctx, &types.QueryDataRootRequest{Height: 5})
	require.NoError(t, err)
	require.Equal(t, root.DataRoot.DataRoot, dah.DataRoot)
	require.Equal(t, square.Header{RowRoots: dah.RowRoots, ColumnRoots: dah.ColumnRoots}.DataRoot(), dah.DataRoot)

	_, err = f.query.Sample(f.ctx, &types.QuerySampleRequest{Height: 5, Row: 1000, Col: 0})
	require.Error(t, err)
	_, err = f.query.Blob(f.ctx, &types.QueryBlobRequest{Height: 5, Namespace: share.TxNamespace.Bytes(), Commitment: c1})
	require.Error(t, err)

	// an invalid block is refused before anything is written
	require.Error(t, f.k.ProcessBlock(f.ctx.WithBlockHeight(6), [][]byte{raw, []byte("regular after blob")}))
	_, err = f.query.DataRoot(f.ctx, &types.QueryDataRootRequest{Height: 6})
	require.Error(t, err)

	for h := int64(6); h <= 9; h++ {
		require.NoError(t, f.k.ProcessBlock(f.ctx.WithBlockHeight(h), nil))
	}
	_, err = f.query.Blob(f.ctx, &types.QueryBlobRequest{Height: 5, Namespace: b1.Namespace().Bytes(), Commitment: c1})
	require.Error(t, err, "pruned")
	_, err = f.query.DataRoot(f.ctx, &types.QueryDataRootRequest{Height: 5})
	require.NoError(t, err)

	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Len(t, gs.DataRoots, 5)
	require.NoError(t, gs.Validate())
	gs.DataRoots[1].Height = gs.DataRoots[0].Height
	require.ErrorIs(t, gs.Validate(), types.ErrInvalidGenesis)
}
