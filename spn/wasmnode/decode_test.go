package wasmnode

import (
	"testing"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
)

// TestDecodeAllEqualsDecode checks decodeAll, whose senders missing from the cache
// are recovered together (ecrecover.Shared), against decode one transaction at a
// time on an app with an empty cache: senders, codes and errors, on valid
// transactions (some already cached), damaged signatures (recovering another
// address, or none), a high S, a wrong chain id and bytes that do not decode; and
// that it caches what it recovered.
func TestDecodeAllEqualsDecode(t *testing.T) {
	acc := newAccounts(8)
	g := acc.genesis()
	var txs [][]byte
	for i := range 120 {
		raw := acc.tx(i%8, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[(i+1)%8], Value: exec.U256From64(1)})
		switch i % 10 {
		case 3: // another signer, or no valid point: recovers another address or fails
			raw[len(raw)-65+i%64] ^= 0x10
		case 5: // recovery id 1 instead of 0 or back
			raw[len(raw)-1] ^= 1
		case 6: // S in the upper half: DecodeTx refuses it
			raw[len(raw)-33] |= 0x80
		case 7:
			raw = raw[:len(raw)-1]
		}
		txs = append(txs, raw)
	}
	txs = append(txs, func() []byte { // a wrong chain id
		tx := wasm.Tx{Kind: wasm.TxTransfer, ChainID: testChainID + 1, GasLimit: 100_000, GasPrice: 1}
		if err := tx.Sign(acc.keys[0]); err != nil {
			t.Fatal(err)
		}
		return tx.Encode()
	}())
	for _, workers := range []int{1, 2, 3} {
		ref := openApp(t, t.TempDir(), g, workers)
		a := openApp(t, t.TempDir(), g, workers)
		for i := 0; i < len(txs); i += 4 { // some senders already cached, as CheckTx leaves them
			a.decode(txs[i])
		}
		got := a.decodeAll(txs)
		recovered, refused := 0, 0
		for i, raw := range txs {
			want := ref.decode(raw)
			d := got[i]
			if d.sender != want.sender || d.code != want.code || (d.err == nil) != (want.err == nil) ||
				(d.err != nil && d.err.Error() != want.err.Error()) {
				t.Fatalf("workers %d tx %d: %x %d %v, decode gives %x %d %v", workers, i, d.sender, d.code, d.err, want.sender, want.code, want.err)
			}
			if d.err != nil {
				refused++
				continue
			}
			recovered++
			if from, ok := a.senders.Get(TxHash(raw)); !ok || from != d.sender {
				t.Fatalf("workers %d tx %d: sender %x not cached (%x %v)", workers, i, d.sender, from, ok)
			}
		}
		if recovered < 60 || refused < 20 {
			t.Fatalf("%d recovered, %d refused: the mix lost its coverage", recovered, refused)
		}
		ref.Close()
		a.Close()
	}
}
