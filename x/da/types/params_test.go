package types_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/farolnet/farol/x/da/types"
)

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	mut := func(f func(p *types.Params)) types.Params {
		p := types.DefaultParams()
		f(&p)
		return p
	}
	bad := map[string]types.Params{
		"square 0":          mut(func(p *types.Params) { p.MaxSquareSize = 0 }),
		"square 96":         mut(func(p *types.Params) { p.MaxSquareSize = 96 }),
		"square 1024":       mut(func(p *types.Params) { p.MaxSquareSize = 1024 }),
		"no blob bytes":     mut(func(p *types.Params) { p.MaxBlobBytes = 0 }),
		"blobs over square": mut(func(p *types.Params) { p.MaxSquareSize = 2; p.MaxBlobBytes = 2049 }),
		"bad fee":           mut(func(p *types.Params) { p.FeePerByte = sdk.Coin{Denom: "", Amount: math.NewInt(1)} }),
		"no retention":      mut(func(p *types.Params) { p.RetentionBlocks = 0 }),
	}
	for name, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (types.GenesisState{Params: types.DefaultParams(), DataRoots: []types.DataRoot{{Height: 1, DataRoot: make([]byte, 31)}}}).Validate(); err == nil {
		t.Error("31-byte data root accepted")
	}
}
