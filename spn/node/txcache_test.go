package node

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/farolnet/farol/spn/evm"
)

// TestDecodeTxOnce checks that a transaction is decoded and recovered once: later
// decodes return the same object, and the signer the engine uses at any block equals
// the app's, so go-ethereum's per-transaction sender cache answers the engine too.
func TestDecodeTxOnce(t *testing.T) {
	gen := DefaultGenesis(4242)
	kv := rawdb.NewMemoryDatabase()
	a, err := NewApp(&gen, state.NewDatabase(triedb.NewDatabase(kv, nil), nil), kv, evm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := crypto.GenerateKey()
	tx, err := types.SignNewTx(key, a.signer, &types.DynamicFeeTx{ChainID: a.config.ChainID, Gas: 21000,
		GasFeeCap: big.NewInt(2e9), GasTipCap: big.NewInt(1e9), To: &common.Address{1}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tx.MarshalBinary()
	t1, from, _, err := a.decodeTx(raw)
	if err != nil || from != crypto.PubkeyToAddress(key.PublicKey) {
		t.Fatalf("decode: %v %v", from, err)
	}
	t2, from2, _, err := a.decodeTx(append([]byte(nil), raw...))
	if err != nil || t2 != t1 || from2 != from {
		t.Fatalf("second decode: new object %v, sender %v, %v", t2 != t1, from2, err)
	}
	for _, n := range []int64{1, 1_000_000} {
		if s := types.MakeSigner(a.config, big.NewInt(n), uint64(n)); !s.Equal(a.signer) {
			t.Fatalf("block %d: the engine's signer %T differs from the app's %T: senders would be recovered twice", n, s, a.signer)
		}
	}
	// Other bytes are another entry: an altered signature is recovered anew (to
	// another sender, or refused), never answered from the original's entry.
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 1
	if t3, from3, _, err := a.decodeTx(bad); err == nil && (t3 == t1 || from3 == from) {
		t.Fatal("an altered signature got the original's sender")
	}
}
