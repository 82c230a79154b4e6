package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/farolnet/farol/spn/exec"
)

const testChainID = 7

// lazyEngine returns a function that creates one engine with cfg on its first call
// and returns that engine to every caller, so each contract compiles once per engine.
func lazyEngine(cfg Config) func(testing.TB) *Engine {
	get := sync.OnceValues(func() (*Engine, error) { return New(context.Background(), cfg) })
	return func(t testing.TB) *Engine {
		e, err := get()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
}

// sharedEngine is one engine for the package's tests.
var sharedEngine = lazyEngine(Config{ChainID: testChainID})

// readTestdata reads testdata/name, or wasmtest/testdata/name for the example
// contracts (embedded there for benchmarks).
func readTestdata(t testing.TB, name string) []byte {
	dir := "testdata"
	if strings.HasPrefix(name, "as_") || strings.HasPrefix(name, "go_") {
		dir = filepath.Join("wasmtest", "testdata")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testKey(i int) []byte {
	k := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("farol wasm test key"), uint64(i)))
	return k[:]
}

// world is a chain of blocks over a map state.
type world struct {
	t      testing.TB
	e      *Engine
	state  exec.MapStorage
	keys   [][]byte
	addrs  []Address
	nonces []uint64
	height uint64
	miner  Address
}

const initialBalance = 1 << 50

func newWorld(t testing.TB, accounts int) *world {
	w := &world{t: t, e: sharedEngine(t), state: exec.MapStorage{}, miner: Address{0xfe}}
	for i := 0; i < accounts; i++ {
		k := testKey(i)
		a, err := AddressOf(k)
		if err != nil {
			t.Fatal(err)
		}
		w.keys, w.addrs, w.nonces = append(w.keys, k), append(w.addrs, a), append(w.nonces, 0)
		w.state[BalanceKey(a)] = EncodeBalance(exec.U256From64(initialBalance))
	}
	return w
}

func (w *world) signed(from int, tx Tx) []byte {
	tx.ChainID = testChainID
	tx.Nonce = w.nonces[from]
	w.nonces[from]++
	if tx.GasLimit == 0 {
		tx.GasLimit = 50_000_000
	}
	if tx.GasPrice == 0 {
		tx.GasPrice = 1
	}
	if err := tx.Sign(w.keys[from]); err != nil {
		w.t.Fatal(err)
	}
	return tx.Encode()
}

func (w *world) block(txs ...[]byte) *Block {
	w.height++
	return &Block{BlockInfo: BlockInfo{Height: w.height, Time: 1_700_000_000 + w.height, Beneficiary: w.miner}, Txs: txs}
}

// run executes a block on one worker and applies it.
func (w *world) run(txs ...[]byte) *BlockResult {
	w.t.Helper()
	res, err := w.e.ExecuteBlock(context.Background(), w.block(txs...), w.state, exec.Config{Workers: 1})
	if err != nil {
		w.t.Fatal(err)
	}
	Apply(w.state, res.Writes)
	return res
}

func (w *world) runOne(tx []byte) Receipt {
	w.t.Helper()
	return w.run(tx).Receipts[0]
}

func (w *world) upload(from int, code []byte) [32]byte {
	w.t.Helper()
	r := w.runOne(w.signed(from, Tx{Kind: TxUpload, Data: code, GasLimit: 100_000_000}))
	if r.Status != StatusOK {
		w.t.Fatalf("upload: %v %v", r.Status, r.Err)
	}
	return r.CodeHash
}

func (w *world) instantiate(from int, hash [32]byte, init []byte) Address {
	w.t.Helper()
	r := w.runOne(w.signed(from, Tx{Kind: TxInstantiate, CodeHash: hash, Data: init}))
	if r.Status != StatusOK {
		w.t.Fatalf("instantiate: %v %v", r.Status, r.Err)
	}
	return r.Contract
}

func (w *world) deploy(from int, file string, init []byte) Address {
	return w.instantiate(from, w.upload(from, readTestdata(w.t, file)), init)
}

func (w *world) callTx(from int, to Address, input []byte) []byte {
	return w.signed(from, Tx{Kind: TxCall, To: to, Data: input})
}

func (w *world) call(from int, to Address, input []byte) Receipt {
	w.t.Helper()
	return w.runOne(w.callTx(from, to, input))
}

func (w *world) query(to Address, input []byte) []byte {
	w.t.Helper()
	out, _, err := w.e.Query(context.Background(), w.state, BlockInfo{Height: w.height}, Address{}, to, input, 100_000_000)
	if err != nil {
		w.t.Fatalf("query: %v", err)
	}
	return out
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// Token call inputs (examples/token: same ABI in both SDKs).
func tokTransfer(to Address, amount uint64) []byte { return cat([]byte{1}, to[:], u64(amount)) }
func tokApprove(sp Address, amount uint64) []byte  { return cat([]byte{2}, sp[:], u64(amount)) }
func tokTransferFrom(from, to Address, amount uint64) []byte {
	return cat([]byte{3}, from[:], to[:], u64(amount))
}
func tokBalance(a Address) []byte { return cat([]byte{4}, a[:]) }
