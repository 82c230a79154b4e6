// Package wasmtest provides the example contracts (built by the SDKs' build scripts and
// embedded here) and benchmark worlds and workloads for spn/wasm.
package wasmtest

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
)

//go:embed testdata/*.wasm
var contracts embed.FS

// Contract returns an example contract: "as_counter", "as_token", "as_amm", "go_counter",
// "go_token", "go_amm".
func Contract(name string) ([]byte, error) {
	return contracts.ReadFile("testdata/" + name + ".wasm")
}

// ChainID is the chain id of worlds built here.
const ChainID = 7

// World is a chain over a map state with funded secp256k1 accounts.
type World struct {
	Engine *wasm.Engine
	State  exec.MapStorage
	Keys   [][]byte
	Addrs  []wasm.Address
	Nonces []uint64
	Height uint64
}

// NewWorld funds accounts accounts with 2^50 of the native token each.
func NewWorld(e *wasm.Engine, accounts int) (*World, error) {
	w := &World{Engine: e, State: exec.MapStorage{}}
	for i := 0; i < accounts; i++ {
		k := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("farol wasmtest key"), uint64(i)))
		a, err := wasm.AddressOf(k[:])
		if err != nil {
			return nil, err
		}
		w.Keys, w.Addrs, w.Nonces = append(w.Keys, k[:]), append(w.Addrs, a), append(w.Nonces, 0)
		w.State[wasm.BalanceKey(a)] = wasm.EncodeBalance(exec.U256From64(1 << 50))
	}
	return w, nil
}

// Tx signs tx from account from with the next nonce (gas limit 50M and price 1 unless set).
func (w *World) Tx(from int, tx wasm.Tx) []byte {
	tx.ChainID, tx.Nonce = ChainID, w.Nonces[from]
	w.Nonces[from]++
	if tx.GasLimit == 0 {
		tx.GasLimit = 50_000_000
	}
	if tx.GasPrice == 0 {
		tx.GasPrice = 1
	}
	if err := tx.Sign(w.Keys[from]); err != nil {
		panic(err)
	}
	return tx.Encode()
}

// Call signs a call transaction.
func (w *World) Call(from int, to wasm.Address, input []byte) []byte {
	return w.Tx(from, wasm.Tx{Kind: wasm.TxCall, To: to, Data: input})
}

// Block wraps txs in the next block.
func (w *World) Block(txs [][]byte) *wasm.Block {
	w.Height++
	return &wasm.Block{BlockInfo: wasm.BlockInfo{Height: w.Height, Time: 1_700_000_000 + w.Height, Beneficiary: wasm.Address{0xfe}}, Txs: txs}
}

// Run executes txs as the next block and applies it; any failed transaction is an error.
func (w *World) Run(txs ...[]byte) (*wasm.BlockResult, error) {
	res, err := w.Engine.ExecuteBlock(context.Background(), w.Block(txs), w.State, exec.Config{Workers: 1})
	if err != nil {
		return nil, err
	}
	for i, r := range res.Receipts {
		if r.Status != wasm.StatusOK {
			return nil, fmt.Errorf("tx %d: %v %v", i, r.Status, r.Err)
		}
	}
	wasm.Apply(w.State, res.Writes)
	return res, nil
}

// Deploy uploads and instantiates a contract from account from.
func (w *World) Deploy(from int, code, init []byte) (wasm.Address, error) {
	res, err := w.Run(w.Tx(from, wasm.Tx{Kind: wasm.TxUpload, Data: code, GasLimit: 100_000_000}))
	if err != nil {
		return wasm.Address{}, fmt.Errorf("upload: %w", err)
	}
	res, err = w.Run(w.Tx(from, wasm.Tx{Kind: wasm.TxInstantiate, CodeHash: res.Receipts[0].CodeHash, Data: init}))
	if err != nil {
		return wasm.Address{}, fmt.Errorf("instantiate: %w", err)
	}
	return res.Receipts[0].Contract, nil
}

// Token and pool inputs (the example contracts' ABI, the same in both SDKs).
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TokenTransfer is the input of token.transfer(to, amount).
func TokenTransfer(to wasm.Address, amount uint64) []byte { return cat([]byte{1}, to[:], u64(amount)) }

// TokenApprove is the input of token.approve(spender, amount).
func TokenApprove(spender wasm.Address, amount uint64) []byte {
	return cat([]byte{2}, spender[:], u64(amount))
}

// Swap is the input of pool.swap(aToB, amountIn, minOut).
func Swap(aToB bool, in, minOut uint64) []byte {
	d := byte(0)
	if aToB {
		d = 1
	}
	return cat([]byte{2, d}, u64(in), u64(minOut))
}

// Workload is a benchmark block over a prepared world.
type Workload struct {
	Name  string
	World *World
	Block *wasm.Block
}

// Workloads are the names NewWorkload accepts.
func Workloads() []string {
	return []string{"transfers", "as-token", "go-token", "as-swaps", "go-swaps"}
}

// NewWorkload builds n transactions from distinct senders to distinct receivers:
//
//	transfers  native-token transfers
//	as-token   token transfers, AssemblyScript token
//	go-token   token transfers, Go token
//	as-swaps   AMM swaps spread over 16 pools (AssemblyScript pool and tokens)
//	go-swaps   the same with the Go contracts
func NewWorkload(e *wasm.Engine, name string, n int, seed uint64) (*Workload, error) {
	rng := rand.New(rand.NewPCG(seed, 5))
	w, err := NewWorld(e, 2*n+1)
	if err != nil {
		return nil, err
	}
	owner := 2 * n
	sender := func(i int) int { return i }
	receiver := func(i int) wasm.Address { return w.Addrs[n+i] }
	var txs [][]byte
	switch name {
	case "transfers":
		for i := 0; i < n; i++ {
			txs = append(txs, w.Tx(sender(i), wasm.Tx{Kind: wasm.TxTransfer, To: receiver(i), Value: exec.U256From64(uint64(1 + rng.IntN(1e6)))}))
		}
	case "as-token", "go-token":
		code, err := Contract(name[:2] + "_token")
		if err != nil {
			return nil, err
		}
		tok, err := w.Deploy(owner, code, u64(1<<50))
		if err != nil {
			return nil, err
		}
		var setup [][]byte
		for i := 0; i < n; i++ {
			setup = append(setup, w.Call(owner, tok, TokenTransfer(w.Addrs[sender(i)], 1<<30)))
		}
		if _, err := w.Run(setup...); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			txs = append(txs, w.Call(sender(i), tok, TokenTransfer(receiver(i), uint64(1+rng.IntN(1e6)))))
		}
	case "as-swaps", "go-swaps":
		sdk := name[:2]
		tokCode, err := Contract(sdk + "_token")
		if err != nil {
			return nil, err
		}
		ammCode, err := Contract(sdk + "_amm")
		if err != nil {
			return nil, err
		}
		ta, err := w.Deploy(owner, tokCode, u64(1<<50))
		if err != nil {
			return nil, err
		}
		tb, err := w.Deploy(owner, tokCode, u64(1<<50))
		if err != nil {
			return nil, err
		}
		const pools = 16
		var pool [pools]wasm.Address
		var setup [][]byte
		for p := range pool {
			if pool[p], err = w.Deploy(owner, ammCode, cat(ta[:], tb[:])); err != nil {
				return nil, err
			}
		}
		for p := range pool {
			setup = append(setup, w.Call(owner, ta, TokenApprove(pool[p], 1<<40)), w.Call(owner, tb, TokenApprove(pool[p], 1<<40)),
				w.Call(owner, pool[p], cat([]byte{1}, u64(1<<32), u64(1<<32))))
		}
		for i := 0; i < n; i++ {
			s, p := sender(i), pool[i%pools]
			setup = append(setup, w.Call(owner, ta, TokenTransfer(w.Addrs[s], 1<<24)), w.Call(owner, tb, TokenTransfer(w.Addrs[s], 1<<24)),
				w.Call(s, ta, TokenApprove(p, 1<<40)), w.Call(s, tb, TokenApprove(p, 1<<40)))
		}
		if _, err := w.Run(setup...); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			txs = append(txs, w.Call(sender(i), pool[i%pools], Swap(rng.IntN(2) == 0, uint64(1000+rng.IntN(100000)), 1)))
		}
	default:
		return nil, fmt.Errorf("unknown workload %q", name)
	}
	return &Workload{Name: name, World: w, Block: w.Block(txs)}, nil
}
