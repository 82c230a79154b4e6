package keeper

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"github.com/celestiaorg/go-square/v3/share"
	"github.com/celestiaorg/rsmt2d"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/da/square"
	"github.com/farolnet/farol/x/da/types"
)

// maxPrunePerBlock bounds the heights one block prunes, so that shrinking
// retention_blocks spreads the deletions over several blocks.
const maxPrunePerBlock = 16

// Keeper owns the da module's state.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	bankKeeper   types.BankKeeper
	authority    string

	Schema collections.Schema
	// Params are the module parameters.
	Params collections.Item[types.Params]
	// DataRoots are the data roots of every height, kept for ever.
	DataRoots collections.Map[int64, types.DataRoot]
	// Headers are the encoded data availability headers by height (pruned).
	Headers collections.Map[int64, []byte]
	// Rows are the rows of each height's original square, each row its
	// shares concatenated (pruned).
	Rows collections.Map[collections.Pair[int64, uint32], []byte]
	// Blobs locate each blob by (height, namespace, commitment) (pruned).
	Blobs collections.Map[collections.Triple[int64, []byte, []byte], types.BlobRef]
	// PrunedBelow is the lowest height whose square may still be stored.
	PrunedBelow collections.Item[int64]

	eds *edsCache
}

// NewKeeper returns the da keeper.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec,
	bankKeeper types.BankKeeper, authority string,
) Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("da: invalid authority address %q: %v", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:          cdc,
		addressCodec: addressCodec,
		bankKeeper:   bankKeeper,
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		DataRoots: collections.NewMap(sb, types.DataRootsKey, "data_roots", collections.Int64Key,
			codec.CollValue[types.DataRoot](cdc)),
		Headers: collections.NewMap(sb, types.HeadersKey, "headers", collections.Int64Key, collections.BytesValue),
		Rows: collections.NewMap(sb, types.RowsKey, "rows",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint32Key), collections.BytesValue),
		Blobs: collections.NewMap(sb, types.BlobsKey, "blobs",
			collections.TripleKeyCodec(collections.Int64Key, collections.BytesKey, collections.BytesKey),
			codec.CollValue[types.BlobRef](cdc)),
		PrunedBelow: collections.NewItem(sb, types.PrunedBelowKey, "pruned_below", collections.Int64Value),
		eds:         &edsCache{},
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the module authority address.
func (k Keeper) GetAuthority() string { return k.authority }

// GetParams returns the module parameters.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) { return k.Params.Get(ctx) }

// SetParams validates and stores the module parameters.
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}

// ProcessBlock rebuilds the square of the block being finalized from its
// transactions, stores its data root, header, rows and blob locations, and
// prunes what fell out of the retention window. ProcessProposal accepted
// the same transactions under the same params, so an error here means the
// node diverged; nothing is written before every check has passed.
func (k Keeper) ProcessBlock(ctx context.Context, txs [][]byte) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	layout, err := square.Construct(txs, int(params.MaxSquareSize))
	if err != nil {
		return types.WrapSquareError(err)
	}
	shares := share.ToBytes(layout.Square)
	eds, err := square.ExtendShares(shares)
	if err != nil {
		return types.WrapSquareError(err)
	}
	header, err := square.NewHeader(eds)
	if err != nil {
		return types.WrapSquareError(err)
	}
	width := square.Width(layout.Square)
	root := types.DataRoot{
		Height: height, DataRoot: header.DataRoot(), SquareSize: uint32(width), BlobCount: uint32(len(layout.Placements)),
	}

	if err := k.DataRoots.Set(ctx, height, root); err != nil {
		return err
	}
	if err := k.Headers.Set(ctx, height, header.Marshal()); err != nil {
		return err
	}
	for r := range width {
		row := make([]byte, 0, width*square.ShareSize)
		for _, s := range shares[r*width : (r+1)*width] {
			row = append(row, s...)
		}
		if err := k.Rows.Set(ctx, collections.Join(height, uint32(r)), row); err != nil {
			return err
		}
	}
	for _, p := range layout.Placements {
		key := collections.Join3(height, p.Blob.Namespace().Bytes(), p.Commitment)
		// The same blob twice in one square: the first placement answers.
		if has, err := k.Blobs.Has(ctx, key); err != nil || has {
			if err != nil {
				return err
			}
			continue
		}
		ref := types.BlobRef{Start: uint32(p.Start), Shares: uint32(p.Shares), TxIndex: uint32(p.TxIndex), BlobIndex: uint32(p.BlobIndex)}
		if err := k.Blobs.Set(ctx, key, ref); err != nil {
			return err
		}
	}
	k.eds.put(height, eds)
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDataSquare{DataRoot: root}); err != nil {
		return err
	}
	return k.prune(ctx, height, params.RetentionBlocks)
}

// prune deletes the squares of heights below height-retention+1, at most
// maxPrunePerBlock heights per call, lowest first.
func (k Keeper) prune(ctx context.Context, height int64, retention uint64) error {
	keepFrom := height - int64(min(retention, uint64(height)))
	from, err := k.PrunedBelow.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		from = 1
	} else if err != nil {
		return err
	}
	to := min(keepFrom, from+maxPrunePerBlock)
	if to <= from {
		return nil
	}
	for h := from; h < to; h++ {
		if err := k.Headers.Remove(ctx, h); err != nil && !errors.Is(err, collections.ErrNotFound) {
			return err
		}
		if err := k.Rows.Clear(ctx, collections.NewPrefixedPairRange[int64, uint32](h)); err != nil {
			return err
		}
		if err := k.Blobs.Clear(ctx, collections.NewPrefixedTripleRange[int64, []byte, []byte](h)); err != nil {
			return err
		}
	}
	return k.PrunedBelow.Set(ctx, to)
}

// Shares returns the original square of a height, shares row-major.
func (k Keeper) Shares(ctx context.Context, height int64) ([][]byte, error) {
	root, err := k.DataRoots.Get(ctx, height)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrNotFound, "no data root at height %d", height)
	} else if err != nil {
		return nil, err
	}
	w := int(root.SquareSize)
	shares := make([][]byte, 0, w*w)
	for r := range w {
		row, err := k.Rows.Get(ctx, collections.Join(height, uint32(r)))
		if errors.Is(err, collections.ErrNotFound) {
			return nil, errorsmod.Wrapf(types.ErrPruned, "height %d", height)
		} else if err != nil {
			return nil, err
		}
		if len(row) != w*square.ShareSize {
			return nil, errorsmod.Wrapf(types.ErrInvalidSquare, "row %d of height %d has %d bytes", r, height, len(row))
		}
		row = append([]byte(nil), row...) // the store may reuse its buffer
		for c := range w {
			shares = append(shares, row[c*square.ShareSize:(c+1)*square.ShareSize:(c+1)*square.ShareSize])
		}
	}
	return shares, nil
}

// ExtendedSquare returns the extended square of a height (cached for the
// last few heights asked for).
func (k Keeper) ExtendedSquare(ctx context.Context, height int64) (*rsmt2d.ExtendedDataSquare, error) {
	if eds := k.eds.get(height); eds != nil {
		return eds, nil
	}
	shares, err := k.Shares(ctx, height)
	if err != nil {
		return nil, err
	}
	eds, err := square.ExtendShares(shares)
	if err != nil {
		return nil, types.WrapSquareError(err)
	}
	k.eds.put(height, eds)
	return eds, nil
}

// edsCache keeps the extended squares of the last few heights: queries for
// proofs and samples mostly ask about recent heights.
type edsCache struct {
	mu      sync.Mutex
	heights []int64
	squares []*rsmt2d.ExtendedDataSquare
}

const edsCacheSize = 4

func (c *edsCache) get(h int64) *rsmt2d.ExtendedDataSquare {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.heights {
		if x == h {
			return c.squares[i]
		}
	}
	return nil
}

func (c *edsCache) put(h int64, eds *rsmt2d.ExtendedDataSquare) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.heights {
		if x == h {
			c.squares[i] = eds
			return
		}
	}
	c.heights = append(c.heights, h)
	c.squares = append(c.squares, eds)
	if len(c.heights) > edsCacheSize {
		c.heights, c.squares = c.heights[1:], c.squares[1:]
	}
}

// GetDataRoot returns the data root of a height (kept for ever), or an
// error wrapping types.ErrNotFound. Other modules (x/settlement) use it.
func (k Keeper) GetDataRoot(ctx context.Context, height int64) (types.DataRoot, error) {
	r, err := k.DataRoots.Get(ctx, height)
	if errors.Is(err, collections.ErrNotFound) {
		return types.DataRoot{}, errorsmod.Wrapf(types.ErrNotFound, "no data root at height %d", height)
	}
	return r, err
}

// GetBlobRef locates the blob with commitment in namespace at height, within
// the retention window; the error wraps types.ErrNotFound if there is no
// such blob, types.ErrPruned if the height's square is no longer kept. A
// caller that needs a paid blob checks BlobRef.Paid.
func (k Keeper) GetBlobRef(ctx context.Context, height int64, namespace, commitment []byte) (types.BlobRef, error) {
	ref, err := k.Blobs.Get(ctx, collections.Join3(height, namespace, commitment))
	if errors.Is(err, collections.ErrNotFound) {
		if has, herr := k.Headers.Has(ctx, height); herr != nil {
			return types.BlobRef{}, herr
		} else if !has {
			return types.BlobRef{}, errorsmod.Wrapf(types.ErrPruned, "height %d", height)
		}
		return types.BlobRef{}, errorsmod.Wrapf(types.ErrNotFound, "no blob %x in namespace %x at height %d", commitment, namespace, height)
	}
	return ref, err
}
