package exec

import (
	"fmt"
	"math/big"
	"math/bits"
)

// U256 is an unsigned 256-bit integer; arithmetic wraps modulo 2^256, as in the EVM.
// The limbs are little-endian (U256{lo, ..., hi}), the memory layout of
// github.com/holiman/uint256.Int, so an engine that uses that package converts with a
// plain type conversion. A debit is the addition of a negated amount (see Neg).
type U256 [4]uint64

// U256From64 returns x as a U256.
func U256From64(x uint64) U256 { return U256{x} }

// U256FromBig returns b modulo 2^256 (a negative b becomes its two's complement, so
// U256FromBig(big.NewInt(-5)) is a delta that subtracts 5).
func U256FromBig(b *big.Int) U256 {
	var m big.Int
	m.And(b, maxU256) // two's complement for negative values, truncation for large ones
	var u U256
	words := m.Bits()
	if bits.UintSize == 64 {
		for i := 0; i < len(words) && i < 4; i++ {
			u[i] = uint64(words[i])
		}
		return u
	}
	for i := 0; i < len(words) && i < 8; i++ {
		u[i/2] |= uint64(words[i]) << (32 * uint(i%2))
	}
	return u
}

var maxU256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// Big returns x as a new non-negative big.Int.
func (x U256) Big() *big.Int {
	var buf [32]byte
	x.PutBytes32(buf[:])
	return new(big.Int).SetBytes(buf[:])
}

// Add returns x + y mod 2^256.
func (x U256) Add(y U256) U256 {
	var z U256
	var c uint64
	z[0], c = bits.Add64(x[0], y[0], 0)
	z[1], c = bits.Add64(x[1], y[1], c)
	z[2], c = bits.Add64(x[2], y[2], c)
	z[3], _ = bits.Add64(x[3], y[3], c)
	return z
}

// Sub returns x - y mod 2^256.
func (x U256) Sub(y U256) U256 {
	var z U256
	var b uint64
	z[0], b = bits.Sub64(x[0], y[0], 0)
	z[1], b = bits.Sub64(x[1], y[1], b)
	z[2], b = bits.Sub64(x[2], y[2], b)
	z[3], _ = bits.Sub64(x[3], y[3], b)
	return z
}

// Neg returns -x mod 2^256 (the delta that subtracts x).
func (x U256) Neg() U256 { return U256{}.Sub(x) }

// Cmp returns -1, 0 or +1 as x is less than, equal to or greater than y.
func (x U256) Cmp(y U256) int {
	for i := 3; i >= 0; i-- {
		switch {
		case x[i] < y[i]:
			return -1
		case x[i] > y[i]:
			return 1
		}
	}
	return 0
}

// IsZero reports whether x == 0.
func (x U256) IsZero() bool { return x[0]|x[1]|x[2]|x[3] == 0 }

// PutBytes32 writes x big-endian into dst[:32]; it panics if len(dst) < 32.
func (x U256) PutBytes32(dst []byte) {
	_ = dst[31]
	for i := 0; i < 4; i++ {
		w := x[3-i]
		for j := 0; j < 8; j++ {
			dst[i*8+j] = byte(w >> (56 - 8*uint(j)))
		}
	}
}

// String returns x in decimal.
func (x U256) String() string { return x.Big().String() }

// U256FromBytes decodes a big-endian unsigned integer of at most 32 bytes; an empty or
// nil slice is zero.
func U256FromBytes(b []byte) (U256, error) {
	if len(b) > 32 {
		return U256{}, fmt.Errorf("%w: %d bytes", ErrNotNumeric, len(b))
	}
	var u U256
	for i, c := range b {
		shift := uint(len(b)-1-i) * 8
		u[shift/64] |= uint64(c) << (shift % 64)
	}
	return u, nil
}

// NumericCodec converts between a key's stored bytes and the number that commutative
// deltas (View.AddDelta) add to. The executor uses it only for keys that carry deltas or
// are read with View.ReadNumeric. Both methods must be pure functions: the same input
// gives the same output on every node.
type NumericCodec interface {
	// DecodeNumeric returns the number stored in value; nil means the key is absent.
	DecodeNumeric(value []byte) (U256, error)
	// EncodeNumeric returns the bytes to store for v. The result is never nil.
	EncodeNumeric(v U256) []byte
}

// BigEndian32 is the default NumericCodec: an absent key is 0, a value is a big-endian
// unsigned integer of at most 32 bytes, and numbers are stored as exactly 32 bytes (the
// encoding of an EVM word).
type BigEndian32 struct{}

// DecodeNumeric implements NumericCodec.
func (BigEndian32) DecodeNumeric(value []byte) (U256, error) { return U256FromBytes(value) }

// EncodeNumeric implements NumericCodec.
func (BigEndian32) EncodeNumeric(v U256) []byte {
	b := make([]byte, 32)
	v.PutBytes32(b)
	return b
}
