package node

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/triedb"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/exec"
)

// TestAccountCacheFollowsState drives the app through the ABCI calls of several
// blocks of random transfers (parallel path, so the engine reports the changed
// accounts) and checks after every commit that each cached nonce and balance equals
// the committed state, and that CheckTx's verdicts rest on it (a stale nonce is
// refused, the next one admitted).
func TestAccountCacheFollowsState(t *testing.T) {
	ctx := context.Background()
	gen := DefaultGenesis(4242)
	gen.BlockGasLimit = 30_000_000
	keys := make([]*ecdsa.PrivateKey, 12)
	for i := range keys {
		keys[i], _ = crypto.GenerateKey()
		gen.Alloc[crypto.PubkeyToAddress(keys[i].PublicKey)] = GenesisAlloc{Balance: (*hexutil.Big)(big.NewInt(1e18))}
	}
	kv := rawdb.NewMemoryDatabase()
	db := state.NewDatabase(triedb.NewDatabase(kv, nil), nil)
	a, err := NewApp(&gen, db, kv, evm.Options{Workers: 2, Exec: exec.Config{ForceParallel: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	nonces := make([]uint64, len(keys))
	for height := int64(1); height <= 6; height++ {
		var txs [][]byte
		for range 20 {
			i := rng.Intn(len(keys))
			to := crypto.PubkeyToAddress(keys[rng.Intn(len(keys))].PublicKey)
			if rng.Intn(3) == 0 {
				to = common.BigToAddress(big.NewInt(int64(rng.Intn(1000) + 1))) // a new account
			}
			tx, err := types.SignNewTx(keys[i], a.signer, &types.DynamicFeeTx{ChainID: a.config.ChainID, Nonce: nonces[i],
				Gas: 21000, GasFeeCap: big.NewInt(3e9), GasTipCap: big.NewInt(1e9), To: &to, Value: big.NewInt(rng.Int63n(1e15))})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := tx.MarshalBinary()
			res, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
			if err != nil || res.Code != CodeOK {
				t.Fatalf("height %d: CheckTx: %v %v", height, res.GetLog(), err)
			}
			nonces[i]++
			txs = append(txs, raw)
		}
		prep, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 1 << 20, Height: height})
		if err != nil || len(prep.Txs) != len(txs) {
			t.Fatalf("height %d: prepare: %d of %d txs, %v", height, len(prep.GetTxs()), len(txs), err)
		}
		if _, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: prep.Txs, Height: height, Time: time.Unix(1_700_000_000+height, 0)}); err != nil {
			t.Fatal(err)
		}
		if a.pending.accounts == nil {
			t.Fatalf("height %d: the engine reported no changed accounts", height)
		}
		if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
		// Rechecks would follow; every cached account must equal the new head.
		sdb, err := state.New(a.head.Root, a.db) // the app's MemState: recent states are its versions
		if err != nil {
			t.Fatal(err)
		}
		if a.accountsRoot != a.head.Root || len(a.accounts) == 0 {
			t.Fatalf("height %d: cache at %x with %d accounts, head %x", height, a.accountsRoot, len(a.accounts), a.head.Root)
		}
		for addr, c := range a.accounts {
			if c.nonce != sdb.GetNonce(addr) || c.balance != *sdb.GetBalance(addr) {
				t.Fatalf("height %d: cached %x nonce %d balance %v, state %d %v", height, addr, c.nonce, &c.balance,
					sdb.GetNonce(addr), sdb.GetBalance(addr))
			}
		}
	}
	// A transaction at an executed nonce is refused from the cache's nonce.
	tx, _ := types.SignNewTx(keys[0], a.signer, &types.DynamicFeeTx{ChainID: a.config.ChainID, Nonce: nonces[0] - 1,
		Gas: 21000, GasFeeCap: big.NewInt(3e9), GasTipCap: big.NewInt(1e9), To: &common.Address{1}})
	raw, _ := tx.MarshalBinary()
	if res, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New}); res.Code != CodeNonce {
		t.Fatalf("stale nonce: code %d %q", res.Code, res.Log)
	}
}
