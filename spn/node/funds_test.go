package node_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/node"
)

// TestPendingSpend checks that CheckTx counts a sender's mempool transactions against
// its balance: a sender with 1,000 ETH can queue two 400 ETH transactions but not a
// third, a replacement counts instead of the transaction it replaces, and the sums
// are rebuilt by the rechecks after a commit.
func TestPendingSpend(t *testing.T) {
	key, _ := crypto.GenerateKey()
	ta := newTestApp(t, 30_000_000, crypto.PubkeyToAddress(key.PublicKey))
	// 21,000 gas at this fee cap costs about 400 ETH (1,000 ETH are funded).
	feeCap := new(big.Int).Div(new(big.Int).Mul(ether, big.NewInt(400)), big.NewInt(21_000)).Int64()
	tx0 := ta.tx(key, 0, gwei, feeCap, 21_000)
	tx1 := ta.tx(key, 1, gwei, feeCap, 21_000)
	for i, raw := range [][]byte{tx0, tx1} {
		if res := ta.checkTx(raw, false); res.Code != node.CodeOK {
			t.Fatalf("tx %d: %s", i, res.Log)
		}
	}
	res := ta.checkTx(ta.tx(key, 2, gwei, feeCap, 21_000), false)
	if res.Code != node.CodeFunds || !strings.Contains(res.Log, "insufficient funds") || !strings.Contains(res.Log, "pending") {
		t.Fatalf("third 400 ETH tx: code %d %q", res.Code, res.Log)
	}
	// A +10% replacement of tx1 (440 ETH) fits beside tx0; one of ~650 ETH does not.
	bump := feeCap*11/10 + 1
	if res := ta.checkTx(ta.tx(key, 1, gwei*11/10, bump, 21_000), false); res.Code != node.CodeOK {
		t.Fatalf("replacement within the balance: %s", res.Log)
	}
	if res := ta.checkTx(ta.tx(key, 1, gwei*2, feeCap*16/10, 21_000), false); res.Code != node.CodeFunds {
		t.Fatalf("replacement beyond the balance: code %d %q", res.Code, res.Log)
	}
	// tx0 commits, paying only the gas it used at the block's price: the balance
	// stays about 1,000 ETH. The recheck of the replacement rebuilds the sums from
	// zero (440), so a 400 ETH nonce 2 fits and a nonce 3 does not.
	ta.block([][]byte{tx0})
	if res := ta.checkTx(ta.tx(key, 1, gwei*11/10, bump, 21_000), true); res.Code != node.CodeOK {
		t.Fatalf("recheck: %s", res.Log)
	}
	if res := ta.checkTx(ta.tx(key, 2, gwei, feeCap, 21_000), false); res.Code != node.CodeOK {
		t.Fatalf("nonce 2 after commit: %s", res.Log)
	}
	if res := ta.checkTx(ta.tx(key, 3, gwei, feeCap, 21_000), false); res.Code != node.CodeFunds {
		t.Fatalf("nonce 3 after commit: code %d %q", res.Code, res.Log)
	}
}
