//go:build wasip1

// Command leak is an instance reuse test contract: package state that every call must
// find fresh. call returns three big-endian u64: a counter, the length of a slice and
// the size of a map, each after this call's change: 1, 1, 1 on every call. Input "r"
// reverts after the changes.
package main

import "github.com/farolnet/farol/spn/wasm/sdk/go/farol"

var (
	calls uint64
	seen  []uint64
	set   = map[uint64]bool{}
)

//go:wasmexport call
func call() {
	in := farol.Input()
	calls++
	seen = append(seen, calls)
	set[calls] = true
	if len(in) > 0 && in[0] == 'r' {
		farol.Revert("changed")
	}
	out := append(farol.BE64(calls), farol.BE64(uint64(len(seen)))...)
	farol.Return(append(out, farol.BE64(uint64(len(set)))...))
}

func main() {}
