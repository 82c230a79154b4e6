package sampling_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	gosquare "github.com/celestiaorg/go-square/v3"
	"github.com/celestiaorg/rsmt2d"

	"github.com/farolnet/farol/da/sampling"
	"github.com/farolnet/farol/da/square"
)

type edsSource struct {
	eds      *rsmt2d.ExtendedDataSquare
	withheld func(row, col int) bool
}

func (s edsSource) Sample(_ context.Context, _ int64, row, col int) (square.SampleProof, error) {
	if s.withheld != nil && s.withheld(row, col) {
		return square.SampleProof{}, errors.New("withheld")
	}
	return square.NewSampleProof(s.eds, row, col)
}

func TestSample(t *testing.T) {
	txs := make([][]byte, 40)
	for i := range txs {
		txs[i] = make([]byte, 400)
		txs[i][0] = byte(i)
	}
	sq, _, err := square.Build(txs, 64)
	if err != nil {
		t.Fatal(err)
	}
	eds, err := square.Extend(sq)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := square.NewHeader(eds)
	root, ew := h.DataRoot(), int(eds.Width())
	if gosquare.Size(len(sq))*2 != ew {
		t.Fatal("width")
	}
	ctx := context.Background()
	if _, err := sampling.Sample(ctx, edsSource{eds: eds}, rand.New(rand.NewPCG(1, 1)), 1, root, ew, 20); err != nil {
		t.Fatal(err)
	}
	// withhold a (k+1) x (k+1) block: unrecoverable, caught
	k := ew / 2
	src := edsSource{eds: eds, withheld: func(r, c int) bool { return r <= k && c <= k }}
	res, err := sampling.Sample(ctx, src, rand.New(rand.NewPCG(2, 2)), 1, root, ew, 40)
	if !errors.Is(err, sampling.ErrUnavailable) || len(res.Failed) == 0 {
		t.Fatalf("withholding not detected: %v", err)
	}
	// a wrong data root fails every sample
	bad := append([]byte(nil), root...)
	bad[0] ^= 1
	if _, err := sampling.Sample(ctx, edsSource{eds: eds}, rand.New(rand.NewPCG(3, 3)), 1, bad, ew, 3); !errors.Is(err, sampling.ErrUnavailable) {
		t.Fatalf("wrong root: %v", err)
	}
	if got := sampling.Coords(rand.New(rand.NewPCG(4, 4)), 2, 10); len(got) != 4 {
		t.Fatalf("coords of a 2x2 square: %d", len(got))
	}
}
