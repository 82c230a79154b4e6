package evm

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"math/rand"
	"runtime"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/ecrecover"
)

// senderTxs signs transactions of every kind for chainID, then damages some: a
// wrong chain id, S in the upper half, a recovery id of 2, random R and S, a blob
// transaction, unprotected legacy ones.
func senderTxs(t *testing.T, rng *rand.Rand, chainID *big.Int, n int) []*types.Transaction {
	var keys []*ecdsa.PrivateKey
	for range 3 {
		k, _ := crypto.GenerateKey()
		keys = append(keys, k)
	}
	signer := types.LatestSignerForChainID(chainID)
	to := common.Address{0xaa}
	curveN := crypto.S256().Params().N
	var txs []*types.Transaction
	for i := range n {
		key := keys[rng.Intn(len(keys))]
		nonce := uint64(i)
		var data types.TxData
		switch rng.Intn(6) {
		case 0:
			data = &types.LegacyTx{Nonce: nonce, GasPrice: big.NewInt(2e9), Gas: 21000, To: &to, Value: big.NewInt(1)}
		case 1:
			data = &types.AccessListTx{ChainID: chainID, Nonce: nonce, GasPrice: big.NewInt(2e9), Gas: 30000, To: &to,
				AccessList: types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}}}}}
		case 2, 3:
			data = &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasFeeCap: big.NewInt(3e9), GasTipCap: big.NewInt(1e9), Gas: 21000, To: &to, Value: big.NewInt(2)}
		case 4:
			data = &types.SetCodeTx{ChainID: uint256.MustFromBig(chainID), Nonce: nonce, GasFeeCap: uint256.NewInt(3e9), GasTipCap: uint256.NewInt(1e9), Gas: 60000, To: to,
				AuthList: []types.SetCodeAuthorization{{ChainID: *uint256.MustFromBig(chainID), Address: common.Address{0xbb}, Nonce: 1}}}
		case 5:
			data = &types.BlobTx{ChainID: uint256.MustFromBig(chainID), Nonce: nonce, GasFeeCap: uint256.NewInt(3e9), GasTipCap: uint256.NewInt(1e9), Gas: 21000, To: to,
				BlobFeeCap: uint256.NewInt(1), BlobHashes: []common.Hash{{1}}}
		}
		var tx *types.Transaction
		var err error
		if _, legacy := data.(*types.LegacyTx); legacy && rng.Intn(3) == 0 {
			tx, err = types.SignNewTx(key, types.HomesteadSigner{}, data) // unprotected
		} else {
			tx, err = types.SignNewTx(key, signer, data)
		}
		if err != nil {
			t.Fatal(err)
		}
		v, r, s := tx.RawSignatureValues()
		switch rng.Intn(8) {
		case 0: // another chain's signature
			other := types.LatestSignerForChainID(new(big.Int).Add(chainID, big.NewInt(1)))
			if tx.Type() != types.LegacyTxType || tx.Protected() {
				if signed, err := types.SignNewTx(key, other, data); err == nil {
					tx = signed
				}
			}
		case 1: // S in the upper half (same key, still a valid curve signature)
			tx, _ = tx.WithSignature(signer, sigBytes(r, new(big.Int).Sub(curveN, s), v, tx))
		case 2: // random R and S
			tx, _ = tx.WithSignature(signer, sigBytes(new(big.Int).Rand(rng, curveN), new(big.Int).Rand(rng, curveN), v, tx))
		case 3: // recovery id 2 on a typed transaction
			if tx.Type() != types.LegacyTxType {
				sig := sigBytes(r, s, v, tx)
				sig[64] = 2
				if t2, err := tx.WithSignature(signer, sig); err == nil {
					tx = t2
				}
			}
		}
		txs = append(txs, tx)
	}
	return txs
}

// sigBytes is the 65-byte signature of R, S and the recovery id of tx's V.
func sigBytes(r, s, v *big.Int, tx *types.Transaction) []byte {
	sig := make([]byte, 65)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:64])
	rec := v.Uint64()
	if tx.Type() == types.LegacyTxType {
		if tx.Protected() {
			rec = new(big.Int).Sub(v, new(big.Int).Add(new(big.Int).Mul(tx.ChainId(), big.NewInt(2)), big.NewInt(35))).Uint64()
		} else {
			rec -= 27
		}
	}
	sig[64] = byte(rec)
	return sig
}

// fresh returns copies of txs decoded from their encodings, without go-ethereum's
// cached hashes and senders (also evm_test's FreshTxs, export_test.go).
func fresh(t testing.TB, txs []*types.Transaction) []*types.Transaction {
	out := make([]*types.Transaction, len(txs))
	for i, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = new(types.Transaction)
		if err := out[i].UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// firstSender calls types.Sender and counts the heap allocations of the process
// during the call.
func firstSender(signer types.Signer, tx *types.Transaction) (common.Address, uint64, error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	from, err := types.Sender(signer, tx)
	runtime.ReadMemStats(&m1)
	return from, m1.Mallocs - m0.Mallocs, err
}

// TestRecoverSendersEqualsGeth compares the engine's batched sender recovery with
// go-ethereum's core.TransactionToMessage on every kind of transaction, valid and
// damaged, under Prague and Cancun rules (no EIP-7702 there), at 1, 2 and 4
// goroutines and with SendersCached: same messages, same errors, and the sender
// cached in the transaction for the chain's signer afterwards.
func TestRecoverSendersEqualsGeth(t *testing.T) {
	chainID := big.NewInt(4242)
	rng := rand.New(rand.NewSource(1))
	txs := senderTxs(t, rng, chainID, 600)
	for _, cfg := range []struct {
		name   string
		config *params.ChainConfig
	}{{"prague", DefaultConfig(chainID)}, {"cancun", CancunConfig(chainID)}} {
		e := &Engine{config: cfg.config}
		header := &types.Header{Number: big.NewInt(1), Time: 1, BaseFee: big.NewInt(1e9)}
		signer := types.MakeSigner(cfg.config, header.Number, header.Time)
		// The batch path is taken: the typed transactions the rules allow are batchable
		// and most valid ones have a signature input.
		bt := batchableTypes(signer)
		if !bt[types.AccessListTxType] || !bt[types.DynamicFeeTxType] || bt[types.LegacyTxType] || bt[types.BlobTxType] ||
			bt[types.SetCodeTxType] != (cfg.name == "prague") {
			t.Fatalf("%s: batchable types wrong", cfg.name)
		}
		inputs := 0
		for _, tx := range txs {
			var h common.Hash
			var sig ecrecover.Sig
			if signatureInput(tx, signer, &bt, &h, &sig) {
				inputs++
			}
		}
		if inputs < len(txs)/3 {
			t.Fatalf("%s: only %d of %d transactions take the batch path", cfg.name, inputs, len(txs))
		}
		var want []*core.Message
		var wantErr []error
		for _, tx := range fresh(t, txs) {
			m, err := core.TransactionToMessage(tx, signer, header.BaseFee)
			if tx.Type() == types.BlobTxType {
				m, err = nil, ErrBlobTx
			}
			want, wantErr = append(want, m), append(wantErr, err)
		}
		ok, bad := 0, 0
		for _, workers := range []int{1, 2, 4} {
			for _, cached := range []bool{false, true} {
				block := &Block{Header: header, Txs: fresh(t, txs), SendersCached: cached}
				msgs, errs := e.recoverSenders(block, workers)
				for i, tx := range block.Txs {
					if (wantErr[i] == nil) != (errs[i] == nil) || (errs[i] != nil && !errors.Is(errs[i], ErrBlobTx) && errs[i].Error() != ErrInvalidTx.Error()+": "+wantErr[i].Error()) {
						t.Fatalf("%s workers %d cached %v tx %d (type %d): error %v, go-ethereum %v", cfg.name, workers, cached, i, tx.Type(), errs[i], wantErr[i])
					}
					if errs[i] != nil {
						bad++
						continue
					}
					ok++
					if msgs[i].From != want[i].From || msgs[i].Nonce != want[i].Nonce || msgs[i].GasPrice.Cmp(want[i].GasPrice) != 0 ||
						msgs[i].GasLimit != want[i].GasLimit || len(msgs[i].SetCodeAuthorizations) != len(want[i].SetCodeAuthorizations) {
						t.Fatalf("%s workers %d tx %d: message %+v, go-ethereum %+v", cfg.name, workers, i, msgs[i], want[i])
					}
					if from, err := types.Sender(signer, tx); err != nil || from != want[i].From {
						t.Fatalf("%s tx %d: types.Sender after recovery %s %v", cfg.name, i, from, err)
					}
				}
			}
		}
		if ok < 600 || bad < 600 {
			t.Fatalf("%s: %d good and %d refused messages: the mix lost its coverage", cfg.name, ok, bad)
		}
	}
}

// TestCacheSendersEqualsGeth checks that after CacheSenders every transaction's
// types.Sender is go-ethereum's (address or error), and that the batchable ones are
// answered from the cache (no allocation, where a recovery allocates).
func TestCacheSendersEqualsGeth(t *testing.T) {
	chainID := big.NewInt(4242)
	rng := rand.New(rand.NewSource(2))
	txs := senderTxs(t, rng, chainID, 300)
	for _, config := range []*params.ChainConfig{DefaultConfig(chainID), CancunConfig(chainID)} {
		signer := types.MakeSigner(config, big.NewInt(1), 1)
		bt := batchableTypes(signer)
		got := fresh(t, txs)
		CacheSenders(signer, got)
		cached := 0
		for i, tx := range fresh(t, txs) {
			want, wantErr := types.Sender(signer, tx)
			var h common.Hash
			var sig ecrecover.Sig
			batchable := signatureInput(got[i], signer, &bt, &h, &sig)
			// The first types.Sender call: a recovery would allocate the public key.
			from, allocs, err := firstSender(signer, got[i])
			if from != want || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("tx %d (type %d): %s %v, go-ethereum %s %v", i, tx.Type(), from, err, want, wantErr)
			}
			// The count is the process's: another goroutine may have allocated during
			// the call. A copy cached again is measured up to twice more; a sender that
			// is not cached allocates every time.
			for try := 0; batchable && wantErr == nil && allocs != 0 && try < 2; try++ {
				again := fresh(t, got[i:i+1])
				CacheSenders(signer, again)
				_, allocs, _ = firstSender(signer, again[0])
			}
			if batchable && wantErr == nil {
				if allocs != 0 {
					t.Fatalf("tx %d (type %d): batchable but recovered again (%v allocations)", i, tx.Type(), allocs)
				}
				cached++
			}
		}
		if cached < len(txs)/4 {
			t.Fatalf("only %d of %d transactions cached", cached, len(txs))
		}
	}
}
