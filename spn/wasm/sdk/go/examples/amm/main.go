//go:build wasip1

// Command amm is the constant-product pool example contract (same ABI as the
// AssemblyScript one).
package main

import (
	"math/bits"

	"github.com/farolnet/farol/spn/wasm/sdk/go/farol"
)

var (
	tokenAKey = []byte("ta")
	tokenBKey = []byte("tb")
	resAKey   = []byte("ra")
	resBKey   = []byte("rb")
	sharesKey = []byte("sh")
)

func token(k []byte) farol.Address {
	v, ok := farol.Get(k)
	farol.Require(ok && len(v) == 20, "not initialised")
	return farol.Address(v)
}

func pull(tok, from farol.Address, amount uint64) {
	self := farol.Self()
	in := append(append(append([]byte{3}, from[:]...), self[:]...), farol.BE64(amount)...)
	st, _ := farol.Call(tok, in)
	farol.Require(st == 0, "transferFrom failed")
}

func push(tok, to farol.Address, amount uint64) {
	in := append(append([]byte{1}, to[:]...), farol.BE64(amount)...)
	st, _ := farol.Call(tok, in)
	farol.Require(st == 0, "transfer failed")
}

func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	farol.Require(hi == 0, "overflow")
	return lo / c
}

//go:wasmexport instantiate
func instantiate() {
	in := farol.Input()
	farol.Require(len(in) == 40, "want two token addresses")
	farol.Set(tokenAKey, in[:20])
	farol.Set(tokenBKey, in[20:40])
}

//go:wasmexport call
func call() {
	in := farol.Input()
	farol.Require(len(in) >= 1, "empty input")
	ra, rb := farol.GetU64(resAKey), farol.GetU64(resBKey)
	who := farol.Caller()
	switch in[0] {
	case 1:
		a, b := farol.U64(in, 1), farol.U64(in, 9)
		pull(token(tokenAKey), who, a)
		pull(token(tokenBKey), who, b)
		total := farol.GetU64(sharesKey)
		shares := a
		if total != 0 {
			shares = mulDiv(a, total, ra)
		}
		sk := append([]byte{'s'}, who[:]...)
		farol.SetU64(sk, farol.GetU64(sk)+shares)
		farol.SetU64(sharesKey, total+shares)
		farol.SetU64(resAKey, ra+a)
		farol.SetU64(resBKey, rb+b)
		farol.Return(farol.BE64(shares))
	case 2:
		farol.Require(len(in) >= 18, "short input")
		aToB := in[1] != 0
		amountIn, minOut := farol.U64(in, 2), farol.U64(in, 10)
		rin, rout := rb, ra
		inTok, outTok, inKey, outKey := tokenBKey, tokenAKey, resBKey, resAKey
		if aToB {
			rin, rout = ra, rb
			inTok, outTok, inKey, outKey = tokenAKey, tokenBKey, resAKey, resBKey
		}
		inFee := mulDiv(amountIn, 997, 1)
		out := mulDiv(inFee, rout, rin*1000+inFee)
		farol.Require(out >= minOut && out > 0 && out < rout, "slippage")
		pull(token(inTok), who, amountIn)
		push(token(outTok), who, out)
		farol.SetU64(inKey, rin+amountIn)
		farol.SetU64(outKey, rout-out)
		farol.Emit("Swap", append(who[:], farol.BE64(out)...))
		farol.Return(farol.BE64(out))
	case 3:
		farol.Return(append(farol.BE64(ra), farol.BE64(rb)...))
	default:
		farol.Revert("unknown op")
	}
}

func main() {}
