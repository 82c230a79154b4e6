package wasm

import (
	"errors"
	"math/big"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// TestSenderJobEqualsSender checks a block's shared sender recovery (senderJob, on 1
// to 3 goroutines) against Tx.Sender, one transaction at a time, on valid and damaged
// signatures (flipped bits, S in the upper half, recovery ids 2 and 27, zero R,
// random bytes) and with the block's sender hint for some.
func TestSenderJobEqualsSender(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	curveN := crypto.S256().Params().N
	var keys [][]byte
	for range 3 {
		k, _ := crypto.GenerateKey()
		keys = append(keys, crypto.FromECDSA(k))
	}
	b := &Block{}
	var hinted []Address
	for i := range 400 {
		tx := &Tx{Kind: TxTransfer, ChainID: 7, Nonce: uint64(i), GasLimit: 50_000, GasPrice: 1}
		tx.To[0] = byte(i)
		if err := tx.Sign(keys[rng.Intn(len(keys))]); err != nil {
			t.Fatal(err)
		}
		switch i % 8 {
		case 3:
			tx.Sig[rng.Intn(64)] ^= 1 << rng.Intn(8)
		case 4:
			s := new(big.Int).SetBytes(tx.Sig[32:64])
			new(big.Int).Sub(curveN, s).FillBytes(tx.Sig[32:64])
			tx.Sig[64] ^= 1
		case 5:
			tx.Sig[64] = []byte{2, 27}[rng.Intn(2)]
		case 6:
			clear(tx.Sig[:32])
		case 7:
			rng.Read(tx.Sig[:64])
		}
		b.Txs = append(b.Txs, tx.Encode())
		var hint Address
		if i%5 == 0 {
			hint[0], hint[19] = 0xfe, byte(i)
		}
		hinted = append(hinted, hint)
	}
	for run := range 6 {
		withHints, goroutines := run%2 == 1, 1+run/2
		b.Senders = nil
		if withHints {
			b.Senders = hinted
		}
		txs := make([]decodedTx, len(b.Txs))
		job := newSenderJob(b, txs, goroutines, time.Now())
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(1)
			go func() { defer wg.Done(); job.work() }()
		}
		wg.Wait()
		if job.finished.Load() == 0 {
			t.Fatal("the job did not record the end of recovery")
		}
		job.release()
		good, bad := 0, 0
		for i, d := range txs {
			tx, err := DecodeTx(b.Txs[i]) // refuses out-of-range values itself
			if err != nil {
				if d.err == nil || d.err.Error() != err.Error() {
					t.Fatalf("tx %d: error %v, DecodeTx %v", i, d.err, err)
				}
				bad++
				continue
			}
			want, wantErr := tx.Sender()
			if withHints && hinted[i] != (Address{}) {
				want, wantErr = hinted[i], nil
			}
			if d.sender != want || (d.err == nil) != (wantErr == nil) || (d.err != nil && d.err.Error() != wantErr.Error()) {
				t.Fatalf("hints %v tx %d: sender %x %v, Tx.Sender %x %v", withHints, i, d.sender, d.err, want, wantErr)
			}
			if d.err != nil {
				if !errors.Is(d.err, ErrSignature) {
					t.Fatalf("tx %d: %v is not ErrSignature", i, d.err)
				}
				bad++
			} else {
				good++
			}
		}
		if good < 150 || bad < 50 {
			t.Fatalf("%d recovered, %d refused: the mix lost its coverage", good, bad)
		}
	}
}
