package evm_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
)

// BenchmarkBlock compares stock go-ethereum with spn/evm at 1 and 2 workers on
// 20-Mgas blocks of each workload (farol-bench evm runs the full-size blocks).
func BenchmarkBlock(b *testing.B) {
	config := evm.DefaultConfig(big.NewInt(7))
	for _, name := range []string{"transfers", "erc20", "swaps", "hot-100"} {
		wl, err := evmtest.NewWorkload(config, name, 20_000_000, 1)
		if err != nil {
			b.Fatal(err)
		}
		db := evm.NewMemoryDatabase()
		root, err := wl.World.Commit(db)
		if err != nil {
			b.Fatal(err)
		}
		h := wl.World.Header(1, 2_000_000_000)
		b.Run(name+"/geth", func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				txs := evm.FreshTxs(b, wl.Txs)
				b.StartTimer()
				if _, _, err := wl.World.RunGeth(db, root, h, txs); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/spn-evm-w%d", name, w), func(b *testing.B) {
				eng, _ := evm.New(config, db, evm.Options{Workers: w})
				for range b.N {
					b.StopTimer()
					blk := &evm.Block{Header: h, Txs: evm.FreshTxs(b, wl.Txs)}
					b.StartTimer()
					if _, err := eng.ExecuteBlock(context.Background(), root, blk); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
