package types_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"

	"github.com/celestiaorg/go-square/v3/share"
	"github.com/stretchr/testify/require"

	"github.com/farolnet/farol/x/spn/types"
)

func TestDeriveNamespaceLayout(t *testing.T) {
	ns := types.DeriveNamespace(1)
	b := ns.Bytes()
	require.Len(t, b, 29)
	require.Equal(t, share.NamespaceSize, len(b))
	require.Equal(t, byte(0), b[0], "version 0")
	require.Equal(t, make([]byte, 18), b[1:19], "18 zero bytes")
	require.Equal(t, "00"+"000000000000000000000000000000000000"+"4652"+"0000000000000001", hex.EncodeToString(b))
	require.Equal(t, uint8(0), ns.Version())

	require.Equal(t, "4652ffffffffffffffff", hex.EncodeToString(types.DeriveNamespace(math.MaxUint64).ID()[18:]))
	require.Equal(t, "46520000000000000100", hex.EncodeToString(types.DeriveNamespace(256).Bytes()[19:]))
}

func TestDeriveNamespaceUsableForBlobs(t *testing.T) {
	seen := map[string]uint64{}
	ids := []uint64{0, 1, 2, 3, 4, 255, 256, 1 << 32, math.MaxUint64 - 1, math.MaxUint64}
	for _, id := range ids {
		ns := types.DeriveNamespace(id)
		require.NoError(t, ns.ValidateForBlob(), "id %d", id)
		require.False(t, ns.IsReserved(), "id %d", id)
		// Round-trips through go-square's parser.
		parsed, err := share.NewNamespaceFromBytes(ns.Bytes())
		require.NoError(t, err)
		require.True(t, parsed.Equals(ns))
		if prev, dup := seen[string(ns.Bytes())]; dup {
			t.Fatalf("ids %d and %d share a namespace", prev, id)
		}
		seen[string(ns.Bytes())] = id
		// Pure: same input, same output.
		require.True(t, bytes.Equal(ns.Bytes(), types.DeriveNamespace(id).Bytes()))
	}
	// Namespaces sort like ids (useful for square layout).
	require.True(t, types.DeriveNamespace(1).IsLessThan(types.DeriveNamespace(2)))
	require.True(t, types.DeriveNamespace(255).IsLessThan(types.DeriveNamespace(256)))
}
