//go:build wasip1

// Command counter is the counter example contract (same ABI as the AssemblyScript one).
package main

import "github.com/farolnet/farol/spn/wasm/sdk/go/farol"

var key = []byte("count")

//go:wasmexport instantiate
func instantiate() {
	in := farol.Input()
	var n uint64
	if len(in) >= 8 {
		n = farol.U64(in, 0)
	}
	farol.SetU64(key, n)
}

//go:wasmexport call
func call() {
	in := farol.Input()
	n := farol.GetU64(key)
	switch {
	case len(in) == 0 || in[0] == 0:
		n++
		farol.SetU64(key, n)
	case in[0] != 1:
		farol.Revert("unknown op")
	}
	farol.Return(farol.BE64(n))
}

func main() {}
