package wasm

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/farolnet/farol/spn/exec"
)

// BenchmarkBlockSenders decodes a block of 2,048 signed transfers and recovers the
// senders on b's GOMAXPROCS goroutines: shared (senderJob, as ExecuteBlock does) and
// one Tx.Sender call per transaction ("one"). Run with -cpu 1,2.
func BenchmarkBlockSenders(b *testing.B) {
	blk := &Block{}
	for i := range 2048 {
		k, _ := crypto.GenerateKey()
		tx := &Tx{Kind: TxTransfer, ChainID: 7, Nonce: uint64(i), GasLimit: 50_000, GasPrice: 1}
		if err := tx.Sign(crypto.FromECDSA(k)); err != nil {
			b.Fatal(err)
		}
		blk.Txs = append(blk.Txs, tx.Encode())
	}
	perTx := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(blk.Txs)), "ns/tx")
	}
	b.Run("shared", func(b *testing.B) {
		for range b.N {
			txs := make([]decodedTx, len(blk.Txs))
			job := newSenderJob(blk, txs, runtime.GOMAXPROCS(0), time.Now())
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Add(1)
				go func() { defer wg.Done(); job.work() }()
			}
			wg.Wait()
			job.release()
		}
		perTx(b)
	})
	b.Run("one", func(b *testing.B) {
		for range b.N {
			txs := make([]decodedTx, len(blk.Txs))
			exec.ForChunks(len(blk.Txs), 64, runtime.GOMAXPROCS(0), func(lo, hi int) {
				for i := lo; i < hi; i++ {
					d := &txs[i]
					if d.err = decodeTx(blk.Txs[i], &d.tx); d.err == nil {
						d.sender, d.err = d.tx.Sender()
					}
				}
			})
		}
		perTx(b)
	})
}
