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

//go:wasmimport farol_v1 origin
func originAddr(dst unsafe.Pointer)

//go:wasmimport farol_v1 value
func valueOf(dst unsafe.Pointer)

//go:wasmimport farol_v1 balance
func balanceOf(addr, dst unsafe.Pointer)

//go:wasmimport farol_v1 transfer
func transfer(addr, amount unsafe.Pointer) uint32

//go:wasmimport farol_v1 block_time
func blockTime() int64

//go:wasmimport farol_v1 gas_left
func gasLeft() int64

//go:wasmimport farol_v1 sha256
func sha256(p unsafe.Pointer, n uint32, dst unsafe.Pointer)

//go:wasmimport farol_v1 keccak256
func keccak256(p unsafe.Pointer, n uint32, dst unsafe.Pointer)

//go:wasmimport farol_v1 secp256k1_recover
func secp256k1Recover(hash, sig, dst unsafe.Pointer) uint32

//go:wasmimport farol_v1 ed25519_verify
func ed25519Verify(pub, msg unsafe.Pointer, n uint32, sig unsafe.Pointer) uint32

//go:wasmimport farol_v1 mesh_send
func meshSend(spn uint64, to, data unsafe.Pointer, n uint32) uint32

// Amount is a native-token amount, 32 bytes big-endian.
type Amount [32]byte

// Origin returns the transaction's signer.
func Origin() Address {
	var a Address
	originAddr(unsafe.Pointer(&a[0]))
	return a
}

// Value returns the native token attached to this call.
func Value() Amount {
	var v Amount
	valueOf(unsafe.Pointer(&v[0]))
	return v
}

// Balance returns the native-token balance of a.
func Balance(a Address) Amount {
	var v Amount
	balanceOf(unsafe.Pointer(&a[0]), unsafe.Pointer(&v[0]))
	return v
}

// Transfer sends native token from this contract; false if its balance is too low.
func Transfer(to Address, amount Amount) bool {
	return transfer(unsafe.Pointer(&to[0]), unsafe.Pointer(&amount[0])) == 0
}

// BlockTime returns the block time (unix seconds).
func BlockTime() uint64 { return uint64(blockTime()) }

// GasLeft returns the gas left in this call.
func GasLeft() uint64 { return uint64(gasLeft()) }

// Sha256 returns the SHA-256 digest of b.
func Sha256(b []byte) (h [32]byte) {
	sha256(ptr(b), uint32(len(b)), unsafe.Pointer(&h[0]))
	return h
}

// Keccak256 returns the Keccak-256 digest of b.
func Keccak256(b []byte) (h [32]byte) {
	keccak256(ptr(b), uint32(len(b)), unsafe.Pointer(&h[0]))
	return h
}

// Ecrecover returns the Ethereum-style address that signed hash (sig = r|s|v, v in
// {0,1}); false if the signature is invalid.
func Ecrecover(hash [32]byte, sig [65]byte) (Address, bool) {
	var a Address
	ok := secp256k1Recover(unsafe.Pointer(&hash[0]), unsafe.Pointer(&sig[0]), unsafe.Pointer(&a[0])) == 0
	return a, ok
}

// Ed25519Verify reports whether sig is pub's signature of msg.
func Ed25519Verify(pub [32]byte, msg []byte, sig [64]byte) bool {
	return ed25519Verify(unsafe.Pointer(&pub[0]), ptr(msg), uint32(len(msg)), unsafe.Pointer(&sig[0])) == 1
}

// MeshSend appends a message for contract to on SPN spn to the block's outbox and
// returns its index among this transaction's messages.
func MeshSend(spn uint64, to Address, data []byte) uint32 {
	return meshSend(spn, unsafe.Pointer(&to[0]), ptr(data), uint32(len(data)))
}
