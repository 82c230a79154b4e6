package node_test

import (
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/node"
)

// TestDynamicBaseFee: block 1 has the genesis base fee, every later block the base
// fee go-ethereum's eip1559.CalcBaseFee derives from its parent (up when the parent
// used more than half the gas limit, down when less); CheckTx checks fee caps against
// the next block's base fee; the base fee is burnt and the tip goes to the proposer.
func TestDynamicBaseFee(t *testing.T) {
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	ta := newTestApp(t, 100_000, from) // gas target 50,000: 3 transfers are above, 2 below
	var headers []*types.Header
	ta.app.OnCommit(func(b *node.Block) { headers = append(headers, b.Header) })
	config := ta.app.ChainConfig()
	coinbase := common.HexToAddress("0x00000000000000000000000000000000000000c0")
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")

	if got := ta.app.NextBaseFee(); got.Int64() != node.DefaultBaseFee {
		t.Fatalf("block 1 base fee %v, want the genesis %d", got, node.DefaultBaseFee)
	}
	nonce := uint64(0)
	txs := func(n int, tip int64, feeCap *big.Int) [][]byte {
		var out [][]byte
		for i := 0; i < n; i++ {
			out = append(out, signTx(ta, key, nonce, big.NewInt(tip), feeCap))
			nonce++
		}
		return out
	}
	supply := func() *big.Int {
		s := new(big.Int).Add(ta.balance(from), ta.balance(to))
		return s.Add(s, ta.balance(coinbase))
	}
	burnt := new(big.Int)
	tips := new(big.Int)
	start := supply()
	// Full blocks raise the base fee, small and empty ones lower it.
	for i, n := range []int{3, 3, 3, 2, 0, 0, 1, 3, 0} {
		base := ta.app.NextBaseFee()
		if len(headers) > 0 {
			if want := eip1559.CalcBaseFee(config, headers[len(headers)-1]); base.Cmp(want) != 0 {
				t.Fatalf("block %d: next base fee %v, CalcBaseFee %v", i+1, base, want)
			}
		}
		feeCap := new(big.Int).Mul(base, big.NewInt(2))
		res := ta.block(txs(n, gwei/10, feeCap))
		for j, r := range res.TxResults {
			if r.Code != node.CodeOK {
				t.Fatalf("block %d tx %d: %s", i+1, j, r.Log)
			}
		}
		h := headers[len(headers)-1]
		if h.BaseFee.Cmp(base) != 0 {
			t.Fatalf("block %d: header base fee %v, want %v", i+1, h.BaseFee, base)
		}
		if h.GasUsed != uint64(n)*21_000 {
			t.Fatalf("block %d: gas used %d", i+1, h.GasUsed)
		}
		burnt.Add(burnt, new(big.Int).Mul(base, new(big.Int).SetUint64(h.GasUsed)))
		tips.Add(tips, new(big.Int).Mul(big.NewInt(gwei/10), new(big.Int).SetUint64(h.GasUsed)))
		next := ta.app.NextBaseFee()
		switch {
		case h.GasUsed > 50_000 && next.Cmp(base) <= 0, h.GasUsed < 50_000 && next.Cmp(base) >= 0:
			t.Fatalf("block %d used %d gas: base fee %v -> %v", i+1, h.GasUsed, base, next)
		}
	}
	if got := new(big.Int).Sub(start, supply()); got.Cmp(burnt) != 0 {
		t.Fatalf("supply fell by %v, burnt base fees %v", got, burnt)
	}
	if got := ta.balance(coinbase); got.Cmp(tips) != 0 {
		t.Fatalf("proposer got %v, tips %v", got, tips)
	}

	// CheckTx: the fee cap must cover the next block's base fee.
	next := ta.app.NextBaseFee()
	low := signTx(ta, key, nonce, big.NewInt(1), new(big.Int).Sub(next, big.NewInt(1)))
	if r := ta.checkTx(low, false); r.Code != node.CodeInvalid || !strings.Contains(r.Log, "max fee per gas less than block base fee") {
		t.Fatalf("fee cap below the next base fee: code %d %q", r.Code, r.Log)
	}
	ok := signTx(ta, key, nonce, big.NewInt(1), next)
	if r := ta.checkTx(ok, false); r.Code != node.CodeOK {
		t.Fatalf("fee cap = next base fee: %s", r.Log)
	}
	// A mempool transaction whose fee cap is below the base fee stays (a recheck
	// accepts it) but is not proposed until the base fee falls.
	low2 := signTx(ta, key, nonce+1, big.NewInt(1), new(big.Int).Sub(next, big.NewInt(1)))
	if r := ta.checkTx(low2, true); r.Code != node.CodeOK {
		t.Fatalf("recheck of a tx below the base fee: %s", r.Log)
	}
	if got := ta.prepare([][]byte{ok, low2}, 1<<20); !sameTxs(got, [][]byte{ok}) {
		t.Fatalf("proposed %d txs, want only the one above the base fee", len(got))
	}

	// Empty blocks bring the base fee down by 1/8 each, as go-ethereum computes it.
	for i := 0; i < 20; i++ {
		want := eip1559.CalcBaseFee(config, headers[len(headers)-1])
		ta.block(nil)
		if got := headers[len(headers)-1].BaseFee; got.Cmp(want) != 0 {
			t.Fatalf("empty block: base fee %v, want %v", got, want)
		}
	}
	if got := ta.prepare([][]byte{ok, low2}, 1<<20); len(got) != 2 {
		t.Fatal("tx not proposed after the base fee fell below its fee cap")
	}
}

func signTx(ta *testApp, key *ecdsa.PrivateKey, nonce uint64, tip, feeCap *big.Int) []byte {
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	tx := types.MustSignNewTx(key, ta.signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: nonce,
		GasTipCap: tip, GasFeeCap: feeCap, Gas: 21_000, To: &to, Value: big.NewInt(1000)})
	raw, err := tx.MarshalBinary()
	if err != nil {
		ta.t.Fatal(err)
	}
	return raw
}
