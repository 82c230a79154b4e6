//go:build wasip1

// Package farol is the Go SDK of Farol Wasm contracts: host ABI v1 (spn/wasm/README.md)
// for the standard Go toolchain. Build a contract with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o contract.wasm .
//
// and export its entry points with //go:wasmexport call (and instantiate).
package farol

import "unsafe"

//go:wasmimport farol_v1 input_size
func inputSize() uint32

//go:wasmimport farol_v1 input_copy
func inputCopy(dst unsafe.Pointer)

//go:wasmimport farol_v1 set_return
func setReturn(p unsafe.Pointer, n uint32)

//go:wasmimport farol_v1 revert
func revert(p unsafe.Pointer, n uint32)

//go:wasmimport farol_v1 storage_read
func storageRead(k unsafe.Pointer, kn uint32, v unsafe.Pointer, vc uint32) int32

//go:wasmimport farol_v1 storage_write
func storageWrite(k unsafe.Pointer, kn uint32, v unsafe.Pointer, vn uint32)

//go:wasmimport farol_v1 storage_delete
func storageDelete(k unsafe.Pointer, kn uint32)

//go:wasmimport farol_v1 caller
func callerAddr(dst unsafe.Pointer)

//go:wasmimport farol_v1 self
func selfAddr(dst unsafe.Pointer)

//go:wasmimport farol_v1 emit
func emit(t unsafe.Pointer, tn uint32, d unsafe.Pointer, dn uint32)

//go:wasmimport farol_v1 call
func call(addr, value, in unsafe.Pointer, n uint32, gas int64) uint32

//go:wasmimport farol_v1 return_data_size
func returnDataSize() uint32

//go:wasmimport farol_v1 return_data_copy
func returnDataCopy(dst unsafe.Pointer)

//go:wasmimport farol_v1 block_height
func blockHeight() int64

// Address is a 20-byte account or contract address.
type Address [20]byte

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// Input returns the call's input.
func Input() []byte {
	b := make([]byte, inputSize())
	if len(b) > 0 {
		inputCopy(ptr(b))
	}
	return b
}

// Return sets the call's return data.
func Return(b []byte) { setReturn(ptr(b), uint32(len(b))) }

// Revert reverts the call with a message; it does not return.
func Revert(msg string) {
	b := []byte(msg)
	revert(ptr(b), uint32(len(b)))
}

// Require reverts with msg unless ok.
func Require(ok bool, msg string) {
	if !ok {
		Revert(msg)
	}
}

var scratch = make([]byte, 256)

// Get reads a storage slot (nil, false if absent).
func Get(key []byte) ([]byte, bool) {
	n := storageRead(ptr(key), uint32(len(key)), ptr(scratch), uint32(len(scratch)))
	if n < 0 {
		return nil, false
	}
	if int(n) > len(scratch) {
		scratch = make([]byte, n)
		n = storageRead(ptr(key), uint32(len(key)), ptr(scratch), uint32(len(scratch)))
	}
	return append([]byte(nil), scratch[:n]...), true
}

// Set writes a storage slot.
func Set(key, value []byte) { storageWrite(ptr(key), uint32(len(key)), ptr(value), uint32(len(value))) }

// Delete removes a storage slot.
func Delete(key []byte) { storageDelete(ptr(key), uint32(len(key))) }

// Caller returns the address that called this contract.
func Caller() Address {
	var a Address
	callerAddr(unsafe.Pointer(&a[0]))
	return a
}

// Self returns this contract's address.
func Self() Address {
	var a Address
	selfAddr(unsafe.Pointer(&a[0]))
	return a
}

// Emit records an event.
func Emit(topic string, data []byte) {
	t := []byte(topic)
	emit(ptr(t), uint32(len(t)), ptr(data), uint32(len(data)))
}

// Call calls contract to with input (no value, all available gas) and returns the
// status (0 = success) and the return data. The callee's writes revert if it fails.
func Call(to Address, input []byte) (uint32, []byte) {
	var value [32]byte
	st := call(unsafe.Pointer(&to[0]), unsafe.Pointer(&value[0]), ptr(input), uint32(len(input)), 0)
	out := make([]byte, returnDataSize())
	if len(out) > 0 {
		returnDataCopy(ptr(out))
	}
	return st, out
}

// BlockHeight returns the block's height.
func BlockHeight() uint64 { return uint64(blockHeight()) }

// GetU64 reads a big-endian u64 slot (0 if absent).
func GetU64(key []byte) uint64 {
	v, ok := Get(key)
	if !ok {
		return 0
	}
	return U64(v, 0)
}

// SetU64 writes a big-endian u64 slot.
func SetU64(key []byte, v uint64) { Set(key, BE64(v)) }

// U64 decodes a big-endian u64 at off, reverting on short input.
func U64(b []byte, off int) uint64 {
	Require(len(b) >= off+8, "short input")
	var v uint64
	for _, c := range b[off : off+8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// BE64 encodes v big-endian.
func BE64(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// AddressAt returns the address at b[off:off+20], reverting on short input.
func AddressAt(b []byte, off int) Address {
	Require(len(b) >= off+20, "short input")
	return Address(b[off : off+20])
}
