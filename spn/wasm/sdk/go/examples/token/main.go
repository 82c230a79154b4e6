//go:build wasip1

// Command token is the fungible token example contract (same ABI as the
// AssemblyScript one: op byte, 20-byte addresses, big-endian u64 amounts).
package main

import "github.com/farolnet/farol/spn/wasm/sdk/go/farol"

var supplyKey = []byte("supply")

func balKey(a farol.Address) []byte { return append([]byte{'b'}, a[:]...) }

func allowKey(o, s farol.Address) []byte {
	return append(append([]byte{'a'}, o[:]...), s[:]...)
}

func move(from, to farol.Address, amount uint64) {
	fb := farol.GetU64(balKey(from))
	farol.Require(fb >= amount, "insufficient balance")
	farol.SetU64(balKey(from), fb-amount)
	tb := farol.GetU64(balKey(to))
	farol.Require(tb+amount >= tb, "overflow")
	farol.SetU64(balKey(to), tb+amount)
	farol.Emit("Transfer", append(append(from[:], to[:]...), farol.BE64(amount)...))
}

//go:wasmexport instantiate
func instantiate() {
	supply := farol.U64(farol.Input(), 0)
	farol.SetU64(supplyKey, supply)
	farol.SetU64(balKey(farol.Caller()), supply)
}

//go:wasmexport call
func call() {
	in := farol.Input()
	farol.Require(len(in) >= 1, "empty input")
	switch in[0] {
	case 1:
		move(farol.Caller(), farol.AddressAt(in, 1), farol.U64(in, 21))
	case 2:
		farol.SetU64(allowKey(farol.Caller(), farol.AddressAt(in, 1)), farol.U64(in, 21))
	case 3:
		from, to, amount := farol.AddressAt(in, 1), farol.AddressAt(in, 21), farol.U64(in, 41)
		k := allowKey(from, farol.Caller())
		al := farol.GetU64(k)
		farol.Require(al >= amount, "allowance exceeded")
		farol.SetU64(k, al-amount)
		move(from, to, amount)
	case 4:
		farol.Return(farol.BE64(farol.GetU64(balKey(farol.AddressAt(in, 1)))))
	case 5:
		farol.Return(farol.BE64(farol.GetU64(allowKey(farol.AddressAt(in, 1), farol.AddressAt(in, 21)))))
	case 6:
		farol.Return(farol.BE64(farol.GetU64(supplyKey)))
	default:
		farol.Revert("unknown op")
	}
}

func main() {}
