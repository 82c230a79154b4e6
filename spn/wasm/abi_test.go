package wasm

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/farolnet/farol/spn/exec"
)

// TestHostABI drives every host function through testdata/abi/probe.wat.
func TestHostABI(t *testing.T) {
	w := newWorld(t, 2)
	probe := w.deploy(0, "abi/probe.wasm", nil)
	call := func(input []byte, value uint64) Receipt {
		t.Helper()
		r := w.runOne(w.signed(1, Tx{Kind: TxCall, To: probe, Data: input, Value: exec.U256From64(value)}))
		if r.Status != StatusOK {
			t.Fatalf("op %d: %v %v", input[0], r.Status, r.Err)
		}
		return r
	}
	msg := []byte("farol mesh")

	if got, want := call(cat([]byte{1}, msg), 0).Return, sha256.Sum256(msg); !bytes.Equal(got, want[:]) {
		t.Fatalf("sha256 %x", got)
	}
	if got := call(cat([]byte{2}, msg), 0).Return; !bytes.Equal(got, crypto.Keccak256(msg)) {
		t.Fatalf("keccak256 %x", got)
	}

	hash := crypto.Keccak256(msg)
	key, _ := crypto.ToECDSA(w.keys[0])
	sig, _ := crypto.Sign(hash, key)
	if got := call(cat([]byte{3}, hash, sig), 0).Return; got[0] != 0 || !bytes.Equal(got[1:], w.addrs[0][:]) {
		t.Fatalf("secp256k1_recover %x, want %x", got, w.addrs[0])
	}
	sig[64] = 5
	if got := call(cat([]byte{3}, hash, sig), 0).Return; got[0] != 1 {
		t.Fatalf("bad signature recovered: %x", got)
	}

	pub, priv, _ := ed25519.GenerateKey(bytes.NewReader(make([]byte, 64)))
	esig := ed25519.Sign(priv, msg)
	if got := call(cat([]byte{4}, pub, esig, msg), 0).Return; got[0] != 1 {
		t.Fatal("ed25519 valid signature refused")
	}
	if got := call(cat([]byte{4}, pub, esig, []byte("other")), 0).Return; got[0] != 0 {
		t.Fatal("ed25519 invalid signature accepted")
	}

	r := call(cat([]byte{5}, w.addrs[0][:], msg), 0)
	if len(r.Messages) != 1 || r.Messages[0].DestSPN != 9 || r.Messages[0].Sender != probe ||
		r.Messages[0].Recipient != w.addrs[0] || !bytes.Equal(r.Messages[0].Data, msg) || len(r.Events) != 1 {
		t.Fatalf("mesh_send: %+v events %+v", r.Messages, r.Events)
	}

	r = call([]byte{6}, 1234)
	ctx := r.Return
	var v [32]byte
	exec.U256From64(1234).PutBytes32(v[:])
	if !bytes.Equal(ctx[:20], w.addrs[1][:]) || !bytes.Equal(ctx[20:40], w.addrs[1][:]) || !bytes.Equal(ctx[40:60], probe[:]) ||
		!bytes.Equal(ctx[60:92], v[:]) || binary.LittleEndian.Uint64(ctx[92:]) != w.height ||
		binary.LittleEndian.Uint64(ctx[100:]) != 1_700_000_000+w.height {
		t.Fatalf("context %x", ctx)
	}

	// The probe holds 1234; send 1000 to account 0, then try 1000 again.
	var amount [32]byte
	exec.U256From64(1000).PutBytes32(amount[:])
	before := be32(w.state[BalanceKey(w.addrs[0])])
	r = call(cat([]byte{7}, w.addrs[0][:], amount[:]), 0)
	if r.Return[0] != 0 || be32(r.Return[1:]) != 234 || be32(w.state[BalanceKey(w.addrs[0])]) != before+1000 {
		t.Fatalf("transfer: %x", r.Return)
	}
	if r = call(cat([]byte{7}, w.addrs[0][:], amount[:]), 0); r.Return[0] != 1 || be32(r.Return[1:]) != 234 {
		t.Fatalf("overdraft transfer: %x", r.Return)
	}

	if g := binary.LittleEndian.Uint64(call([]byte{8}, 0).Return); g == 0 || g > 50_000_000 {
		t.Fatalf("gas_left %d", g)
	}
}

// TestFeesAndNonces: the fee goes to the beneficiary, the nonce is bumped, and invalid
// transactions change nothing.
func TestFeesAndNonces(t *testing.T) {
	w := newWorld(t, 2)
	before := be32(w.state[BalanceKey(w.addrs[1])])
	r := w.runOne(w.signed(1, Tx{Kind: TxTransfer, To: w.addrs[0], Value: exec.U256From64(7), GasPrice: 3}))
	if r.Status != StatusOK || r.GasUsed != TxBaseGas {
		t.Fatalf("%v gas %d", r.Status, r.GasUsed)
	}
	if got := before - be32(w.state[BalanceKey(w.addrs[1])]); got != 7+3*TxBaseGas {
		t.Fatalf("paid %d", got)
	}
	if got := be32(w.state[BalanceKey(w.miner)]); got != 3*TxBaseGas {
		t.Fatalf("beneficiary got %d", got)
	}
	if n := binary.BigEndian.Uint64(w.state[NonceKey(w.addrs[1])]); n != 1 {
		t.Fatalf("nonce %d", n)
	}
	// invalid: replayed nonce, wrong chain, unaffordable
	replay := Tx{Kind: TxTransfer, To: w.addrs[0], ChainID: testChainID, GasLimit: 1e6, GasPrice: 1}
	replay.Sign(w.keys[1])
	wrongChain := Tx{Kind: TxTransfer, To: w.addrs[0], ChainID: 99, Nonce: 1, GasLimit: 1e6, GasPrice: 1}
	wrongChain.Sign(w.keys[1])
	rich := Tx{Kind: TxTransfer, To: w.addrs[0], ChainID: testChainID, Nonce: 1, GasLimit: 1e6, GasPrice: 1 << 40}
	rich.Sign(w.keys[1])
	snap := snapshotState(w)
	res := w.run(replay.Encode(), wrongChain.Encode(), rich.Encode(), []byte("garbage"))
	for i, r := range res.Receipts {
		if r.Status != StatusInvalidTx {
			t.Fatalf("tx %d: %v", i, r.Status)
		}
	}
	for k, v := range snap {
		if string(w.state[k]) != v {
			t.Fatalf("invalid transactions changed %q", k)
		}
	}
}

// TestCompilationCache: a second engine on the same cache directory loads the compiled
// module instead of compiling it again (a node restart).
func TestCompilationCache(t *testing.T) {
	dir := t.TempDir()
	code := readTestdata(t, "go_counter.wasm")
	var times []time.Duration
	for i := 0; i < 2; i++ {
		e, err := New(t.Context(), Config{ChainID: testChainID, CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := e.Upload(code); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(start))
		e.Close(t.Context())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) == 0 {
		t.Fatal("nothing in the cache directory")
	}
	if times[1]*4 > times[0] {
		t.Fatalf("cached load %v not much faster than the first compile %v", times[1], times[0])
	}
	t.Logf("compile %v, from the cache %v", times[0], times[1])
}
