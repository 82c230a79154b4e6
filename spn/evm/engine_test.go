package evm_test

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/evm/evmtest"
	"github.com/farolnet/farol/spn/exec"
)

func engines(t *testing.T) []evm.Options {
	t.Helper()
	return []evm.Options{
		{Workers: 1},                 // direct sequential path
		{Workers: 1, NoDirect: true}, // spn/exec sequential path
		{Workers: 2, Exec: exec.Config{ForceParallel: true}},
	}
}

// TestDroppedTransactions: invalid and blob transactions are dropped with their
// sentinel errors and leave no trace; the rest equals go-ethereum on the valid ones.
func TestDroppedTransactions(t *testing.T) {
	config := evm.DefaultConfig(big.NewInt(7))
	w := evmtest.NewWorld(config, 8, 1)
	db := evm.NewMemoryDatabase()
	root, err := w.Commit(db)
	if err != nil {
		t.Fatal(err)
	}
	h := w.Header(1, 30_000_000)
	good1 := w.Tx(0, evmtest.DynamicFee, &w.Addrs[1], big.NewInt(1), nil, 21_000, nil)
	w.Nonces[2] = 5 // nonce too high
	badNonce := w.Tx(2, evmtest.Legacy, &w.Addrs[1], big.NewInt(1), nil, 21_000, nil)
	w.Nonces[2] = 0
	lowGas := w.Tx(3, evmtest.Legacy, &w.Addrs[1], big.NewInt(1), nil, 20_000, nil) // below intrinsic gas
	w.Nonces[3] = 0
	blob := types.MustSignNewTx(w.Keys[4], types.LatestSigner(config), &types.BlobTx{
		ChainID: uint256.MustFromBig(config.ChainID), Nonce: 0, GasTipCap: uint256.NewInt(1e9), GasFeeCap: uint256.NewInt(3e9),
		Gas: 21_000, To: w.Addrs[1], BlobFeeCap: uint256.NewInt(1e9), BlobHashes: []common.Hash{{1}},
	})
	good2 := w.TokenTransfer(2, 0, w.Addrs[5], big.NewInt(9), evmtest.AccessList)
	txs := []*types.Transaction{good1, badNonce, lowGas, blob, good2}
	wantRoot, want, err := w.RunGeth(db, root, h, []*types.Transaction{good1, good2})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range engines(t) {
		eng, _ := evm.New(config, db, opts)
		res, err := eng.ExecuteBlock(context.Background(), root, &evm.Block{Header: h, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		for i, wantErr := range []error{nil, evm.ErrInvalidTx, evm.ErrInvalidTx, evm.ErrBlobTx, nil} {
			if got := res.TxErrors[i]; (wantErr == nil) != (got == nil) || wantErr != nil && !errors.Is(got, wantErr) {
				t.Fatalf("%+v: tx %d error %v, want %v", opts, i, got, wantErr)
			}
		}
		if res.Root != wantRoot || res.GasUsed != want[1].CumulativeGasUsed {
			t.Fatalf("%+v: root %x gas %d, want %x %d", opts, res.Root, res.GasUsed, wantRoot, want[1].CumulativeGasUsed)
		}
		if res.Receipts[4].Status != want[1].Status || len(res.Receipts[4].Logs) != len(want[1].Logs) {
			t.Fatalf("%+v: receipt differs", opts)
		}
	}
}

// TestBlockGasLimit: transactions whose gas limits do not fit the block fail it.
func TestBlockGasLimit(t *testing.T) {
	config := evm.DefaultConfig(big.NewInt(7))
	w := evmtest.NewWorld(config, 4, 1)
	db := evm.NewMemoryDatabase()
	root, _ := w.Commit(db)
	h := w.Header(1, 50_000)
	txs := []*types.Transaction{
		w.Tx(0, evmtest.Legacy, &w.Addrs[1], big.NewInt(1), nil, 21_000, nil),
		w.Tx(1, evmtest.Legacy, &w.Addrs[1], big.NewInt(1), nil, 30_000, nil),
	}
	for _, opts := range engines(t) {
		eng, _ := evm.New(config, db, opts)
		if _, err := eng.ExecuteBlock(context.Background(), root, &evm.Block{Header: h, Txs: txs}); !errors.Is(err, evm.ErrBlockGasLimit) {
			t.Fatalf("%+v: error %v, want ErrBlockGasLimit", opts, err)
		}
	}
}

// TestUnsupportedFork: pre-Cancun rules are refused.
func TestUnsupportedFork(t *testing.T) {
	config := evm.CancunConfig(big.NewInt(7))
	config.CancunTime = nil
	eng, _ := evm.New(config, evm.NewMemoryDatabase(), evm.Options{})
	h := &types.Header{Number: big.NewInt(1), Difficulty: new(big.Int), BaseFee: big.NewInt(1), GasLimit: 1}
	if _, err := eng.ExecuteBlock(context.Background(), types.EmptyRootHash, &evm.Block{Header: h}); !errors.Is(err, evm.ErrUnsupportedFork) {
		t.Fatalf("error %v, want ErrUnsupportedFork", err)
	}
}
