// Package exectest provides a synthetic VM, block generators and an independent
// reference interpreter for testing and benchmarking package exec.
//
// A synthetic transaction is a list of operations (read, write, delete, delta, CPU
// work). Its result and the values it writes are a hash of everything it read, so any
// wrong read shows up in the output, and it fails or panics when that hash says so, so
// failures depend on state too.
package exectest

import (
	"encoding/binary"
	"fmt"

	"github.com/farolnet/farol/spn/exec"
)

// OpKind is the kind of a synthetic operation.
type OpKind uint8

const (
	OpRead        OpKind = iota // View.Read
	OpReadNumeric               // View.ReadNumeric
	OpWrite                     // View.Write of a 32-byte value derived from the reads so far
	OpWriteRaw                  // View.Write of a 40-byte value (not numeric)
	OpDelete                    // View.Write(key, nil)
	OpDelta                     // View.AddDelta of Amount plus a value derived from the reads
	OpWork                      // burn CPU: Work rounds of a hash
)

// Op is one operation of a synthetic transaction.
type Op struct {
	Kind   OpKind
	Key    int32 // index into Block.Keys
	Amount uint64
	Work   uint32
}

// Tx is a synthetic transaction.
type Tx struct {
	Ops []Op
	// FailMod and PanicMod, if non-zero, make the transaction fail (return an error)
	// or panic when the hash of its reads is 0 modulo them (checked after all ops).
	FailMod, PanicMod uint64
}

// Block is a synthetic block and its pre-block state.
type Block struct {
	Keys []string
	Txs  []Tx
	Base exec.MapStorage
}

// Result is the result of a synthetic transaction.
type Result struct {
	Hash  uint64 // hash of the transaction index and every value it read
	Reads int
}

// VM executes a Block's transactions. It implements exec.VM[Result].
type VM struct{ B *Block }

// Execute implements exec.VM.
func (vm VM) Execute(i int, v exec.View) (Result, error) { return Run(vm.B, i, v) }

// Run executes transaction i of b against v (any exec.View, also a reference one).
func Run(b *Block, i int, v exec.View) (Result, error) {
	tx := &b.Txs[i]
	h := mix(0x9e3779b97f4a7c15, uint64(i))
	res := Result{}
	for _, op := range tx.Ops {
		key := b.Keys[op.Key]
		switch op.Kind {
		case OpRead:
			val, err := v.Read(key)
			if err != nil {
				return res, err
			}
			h = hashBytes(h, val)
			res.Reads++
		case OpReadNumeric:
			n, err := v.ReadNumeric(key)
			if err != nil {
				return res, err
			}
			h = mix(mix(mix(mix(h, n[0]), n[1]), n[2]), n[3])
			res.Reads++
		case OpWrite:
			val := make([]byte, 32)
			binary.BigEndian.PutUint64(val[16:], uint64(i))
			binary.BigEndian.PutUint64(val[24:], h)
			v.Write(key, val)
		case OpWriteRaw:
			val := make([]byte, 40)
			binary.BigEndian.PutUint64(val[32:], h)
			v.Write(key, val)
		case OpDelete:
			v.Write(key, nil)
		case OpDelta:
			if err := v.AddDelta(key, exec.U256From64(op.Amount+h%4)); err != nil {
				return res, err
			}
		case OpWork:
			h = Spin(op.Work, h)
		}
	}
	res.Hash = h
	if tx.PanicMod != 0 && h%tx.PanicMod == 0 {
		panic(fmt.Sprintf("synthetic panic in tx %d (hash %x)", i, h))
	}
	if tx.FailMod != 0 && h%tx.FailMod == 0 {
		return res, fmt.Errorf("synthetic failure of tx %d (hash %x)", i, h)
	}
	return res, nil
}

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

func hashBytes(h uint64, b []byte) uint64 {
	h = mix(h, uint64(len(b))+1)
	for len(b) >= 8 {
		h = mix(h, binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, c := range b {
		h = mix(h, uint64(c))
	}
	return h
}

// Spin burns CPU for rounds rounds of a hash and returns a value depending on all of
// them (so the compiler cannot drop the work). It is not inlined, so that it costs
// the same inside a transaction as when Calibrate times it.
//
//go:noinline
func Spin(rounds uint32, h uint64) uint64 {
	for i := uint32(0); i < rounds; i++ {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
		h += uint64(i)
	}
	return h
}
