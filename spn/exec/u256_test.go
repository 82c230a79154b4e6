package exec_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/farolnet/farol/spn/exec"
)

func TestU256MatchesBig(t *testing.T) {
	mod := new(big.Int).Lsh(big.NewInt(1), 256)
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func() exec.U256 {
		var u exec.U256
		for i := range u {
			if r.IntN(3) > 0 {
				u[i] = r.Uint64()
			}
		}
		return u
	}
	for i := 0; i < 2000; i++ {
		x, y := rnd(), rnd()
		bx, by := x.Big(), y.Big()
		if got, want := x.Add(y).Big(), new(big.Int).Mod(new(big.Int).Add(bx, by), mod); got.Cmp(want) != 0 {
			t.Fatalf("%v + %v = %v, want %v", x, y, got, want)
		}
		if got, want := x.Sub(y).Big(), new(big.Int).Mod(new(big.Int).Sub(bx, by), mod); got.Cmp(want) != 0 {
			t.Fatalf("%v - %v = %v, want %v", x, y, got, want)
		}
		if got, want := x.Cmp(y), bx.Cmp(by); got != want {
			t.Fatalf("cmp(%v, %v) = %d, want %d", x, y, got, want)
		}
		if exec.U256FromBig(bx) != x || exec.U256FromBig(new(big.Int).Neg(bx)) != x.Neg() {
			t.Fatalf("FromBig(%v) round trip", x)
		}
		enc := exec.BigEndian32{}.EncodeNumeric(x)
		if dec, err := (exec.BigEndian32{}).DecodeNumeric(enc); err != nil || dec != x {
			t.Fatalf("codec round trip of %v: %v, %v", x, dec, err)
		}
	}
	if _, err := (exec.BigEndian32{}).DecodeNumeric(make([]byte, 33)); err == nil {
		t.Fatal("33-byte value decoded")
	}
	if v, err := (exec.BigEndian32{}).DecodeNumeric([]byte{1, 0}); err != nil || v != exec.U256From64(256) {
		t.Fatalf("short value: %v, %v", v, err)
	}
}
