package wasm

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// sigValuesRef is go-ethereum's rule for a transaction signature (Homestead: low s;
// recovery id 0 or 1), which sigValuesOK implements on fixed-size bytes.
func sigValuesRef(sig []byte) bool {
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	return sig[64] <= 1 && crypto.ValidateSignatureValues(sig[64], r, s, true)
}

// TestSigValuesOK compares sigValuesOK with go-ethereum at the edges of the ranges.
func TestSigValuesOK(t *testing.T) {
	n := new(big.Int).Set(crypto.S256().Params().N)
	half := new(big.Int).Rsh(n, 1)
	var vals []*big.Int
	for _, base := range []*big.Int{big.NewInt(0), half, n, new(big.Int).Lsh(big.NewInt(1), 256)} {
		for d := int64(-2); d <= 2; d++ {
			if v := new(big.Int).Add(base, big.NewInt(d)); v.Sign() >= 0 && v.BitLen() <= 256 {
				vals = append(vals, v)
			}
		}
	}
	checked, ok := 0, 0
	for _, r := range vals {
		for _, s := range vals {
			for v := byte(0); v < 4; v++ {
				var sig [65]byte
				r.FillBytes(sig[:32])
				s.FillBytes(sig[32:64])
				sig[64] = v
				got, want := sigValuesOK(sig[:]), sigValuesRef(sig[:])
				if got != want {
					t.Fatalf("r %x s %x v %d: %v, go-ethereum %v", r, s, v, got, want)
				}
				checked++
				if got {
					ok++
				}
			}
		}
	}
	if ok == 0 || ok == checked {
		t.Fatalf("%d of %d accepted: the edges are not exercised", ok, checked)
	}
}
