// Package sampling is a light data-availability sampler: it asks a node for
// k random shares of a height's extended square, each with its NMT proof,
// and checks them against the height's data root. A node that withholds
// more than a quarter of the extended square (the least that makes the
// original data unrecoverable) fails one sample with probability at least
// 1-(3/4)^k. Pure code: no Cosmos SDK imports.
package sampling

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/farolnet/farol/da/square"
)

// ErrUnavailable is returned when a sample is missing or does not verify.
var ErrUnavailable = errors.New("data unavailable")

// Source serves shares of extended squares with their proofs.
type Source interface {
	// Sample returns the share at (row, col) of height's extended square.
	Sample(ctx context.Context, height int64, row, col int) (square.SampleProof, error)
}

// Coord is a share position in an extended square.
type Coord struct{ Row, Col int }

// Result reports a sampling run.
type Result struct {
	Checked []Coord
	// Failed holds the samples that were missing or did not verify, with why.
	Failed map[Coord]error
}

// Coords picks k distinct positions of an extWidth-wide square from rng (all
// of them if k is larger than the square).
func Coords(rng *rand.Rand, extWidth, k int) []Coord {
	n := extWidth * extWidth
	k = min(k, n)
	seen := make(map[int]bool, k)
	out := make([]Coord, 0, k)
	for len(out) < k {
		i := rng.IntN(n)
		if seen[i] {
			continue
		}
		seen[i] = true
		out = append(out, Coord{Row: i / extWidth, Col: i % extWidth})
	}
	return out
}

// Sample checks k random shares of height against dataRoot; extWidth is the
// width of the extended square (twice the original). It returns an error
// wrapping ErrUnavailable if any sample fails, and the full result either way.
func Sample(ctx context.Context, src Source, rng *rand.Rand, height int64, dataRoot []byte, extWidth, k int) (Result, error) {
	if extWidth < 2 || extWidth&(extWidth-1) != 0 {
		return Result{}, fmt.Errorf("sampling: extended width %d is not a power of two >= 2", extWidth)
	}
	res := Result{Failed: map[Coord]error{}}
	for _, c := range Coords(rng, extWidth, k) {
		res.Checked = append(res.Checked, c)
		s, err := src.Sample(ctx, height, c.Row, c.Col)
		if err == nil {
			err = s.Verify(dataRoot, c.Row, c.Col, extWidth)
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed[c] = err
		}
	}
	if len(res.Failed) > 0 {
		return res, fmt.Errorf("%w: %d of %d samples failed at height %d", ErrUnavailable, len(res.Failed), len(res.Checked), height)
	}
	return res, nil
}
