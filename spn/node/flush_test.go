package node

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/farolnet/farol/spn/evm"
)

// flushChain is a chain of blocks of transfers driven through an App's ABCI calls
// over a pebble database in dir, reopened as a node restarting would.
type flushChain struct {
	t    *testing.T
	dir  string
	gen  Genesis
	keys []*ecdsa.PrivateKey
	reqs []*abci.RequestFinalizeBlock // by height - 1
	app  *App
	disk ethdb.Database
}

func newFlushChain(t *testing.T) *flushChain {
	c := &flushChain{t: t, dir: t.TempDir(), gen: DefaultGenesis(4343)}
	c.gen.BlockGasLimit = 30_000_000
	for range 4 {
		k, _ := crypto.GenerateKey()
		c.keys = append(c.keys, k)
		c.gen.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = GenesisAlloc{Balance: (*hexutil.Big)(big.NewInt(1e18))}
	}
	return c
}

// open opens the app on the database, as Start does.
func (c *flushChain) open(p StatePolicy) {
	c.t.Helper()
	db, disk, err := evm.OpenDatabase(c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	a, err := NewApp(&c.gen, db, disk, evm.Options{Workers: 2})
	if err != nil {
		c.t.Fatal(err)
	}
	a.SetStatePolicy(p)
	c.app, c.disk = a, disk
}

// crash closes the database without App.Close: what is not flushed is lost.
func (c *flushChain) crash() {
	if err := c.disk.Close(); err != nil {
		c.t.Fatal(err)
	}
}

// block finalizes and commits the next block: new transfers, or the recorded
// request of that height when replaying.
func (c *flushChain) block(height int64) common.Hash {
	c.t.Helper()
	ctx := context.Background()
	if int(height) > len(c.reqs) {
		var txs [][]byte
		for i, k := range c.keys {
			to := common.BigToAddress(big.NewInt(height*100 + int64(i) + 1)) // a new account each time
			tx, err := types.SignNewTx(k, c.app.signer, &types.DynamicFeeTx{ChainID: c.app.config.ChainID, Nonce: uint64(height - 1),
				Gas: 21000, GasFeeCap: big.NewInt(3e9), GasTipCap: big.NewInt(1e9), To: &to, Value: big.NewInt(height)})
			if err != nil {
				c.t.Fatal(err)
			}
			raw, _ := tx.MarshalBinary()
			txs = append(txs, raw)
		}
		c.reqs = append(c.reqs, &abci.RequestFinalizeBlock{Txs: txs, Height: height, Time: time.Unix(1_700_000_000+height, 0)})
	}
	res, err := c.app.FinalizeBlock(ctx, c.reqs[height-1])
	if err != nil {
		c.t.Fatal(err)
	}
	for i, r := range res.TxResults {
		if r.Code != CodeOK {
			c.t.Fatalf("height %d tx %d: %s", height, i, r.Log)
		}
	}
	if _, err := c.app.Commit(ctx, &abci.RequestCommit{}); err != nil {
		c.t.Fatal(err)
	}
	return common.BytesToHash(res.AppHash)
}

func (c *flushChain) info() int64 {
	res, err := c.app.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		c.t.Fatal(err)
	}
	return res.LastBlockHeight
}

// TestStateFlushAndReplay checks ADR 010's state flushing: with a flush every 4
// blocks, a crash after block 10 restarts from block 8 (ABCI Info reports 8), the
// replay of blocks 9 and 10 recomputes the same roots, Close flushes the head so the
// next start needs no replay, states older than the recent ones and not flushed are
// refused with a clear error, and an archive policy (every block) keeps them all.
func TestStateFlushAndReplay(t *testing.T) {
	c := newFlushChain(t)
	c.open(StatePolicy{FlushBlocks: 4})
	if _, err := c.app.InitChain(context.Background(), &abci.RequestInitChain{}); err != nil {
		t.Fatal(err)
	}
	roots := map[int64]common.Hash{}
	for h := int64(1); h <= 10; h++ {
		roots[h] = c.block(h)
		want := uint64(h / 4 * 4)
		if got := c.app.stateHead.Height; got != want {
			t.Fatalf("after block %d: state head %d, want %d", h, got, want)
		}
	}
	if n, d := c.app.StateFlushes(); n != 2 || d <= 0 {
		t.Fatalf("StateFlushes %d, %v after 10 blocks flushed every 4, want 2", n, d)
	}
	c.crash()

	c.open(StatePolicy{FlushBlocks: 4})
	if got := c.info(); got != 8 {
		t.Fatalf("restart after a crash: Info reports height %d, want 8 (the last flushed state)", got)
	}
	if c.app.storedBlock != 10 {
		t.Fatalf("stored block %d, want 10", c.app.storedBlock)
	}
	for h := int64(9); h <= 10; h++ {
		if got := c.block(h); got != roots[h] {
			t.Fatalf("replayed block %d: root %s, first run %s", h, got, roots[h])
		}
	}
	if err := c.app.Close(); err != nil {
		t.Fatal(err)
	}
	c.crash() // after Close nothing is lost

	c.open(StatePolicy{FlushBlocks: 4})
	if got := c.info(); got != 10 {
		t.Fatalf("restart after Close: Info reports height %d, want 10", got)
	}
	// States of blocks 1..7 were neither flushed nor kept across the restart.
	hdr, err := c.app.st.header(5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.app.stateOf(hdr); err == nil || !strings.Contains(err.Error(), "historical state") {
		t.Fatalf("state of block 5: err %v, want a historical state error", err)
	}
	if hdr, _ = c.app.st.header(8); hdr.Root != roots[8] {
		t.Fatal("block 8 header root differs")
	}
	if _, err := c.app.stateOf(hdr); err != nil {
		t.Fatalf("state of flushed block 8: %v", err)
	}

	// An archive policy from here on: every state is on disk.
	c.app.SetStatePolicy(StatePolicy{FlushBlocks: 1})
	for h := int64(11); h <= 13; h++ {
		roots[h] = c.block(h)
		if c.app.stateHead.Height != uint64(h) {
			t.Fatalf("archive policy: state head %d after block %d", c.app.stateHead.Height, h)
		}
	}
	c.crash()
	c.open(StatePolicy{FlushBlocks: 1})
	for h := uint64(10); h <= 13; h++ {
		hdr, err := c.app.st.header(h)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.app.stateOf(hdr)
		if err != nil {
			t.Fatalf("archive: state of block %d: %v", h, err)
		}
		to := common.BigToAddress(big.NewInt(int64(h)*100 + 1))
		if got := s.GetBalance(to).Uint64(); got != h {
			t.Fatalf("archive: block %d: balance %d, want %d", h, got, h)
		}
	}
	c.crash()
}

// TestStateDirtyLimit checks that the dirty-size limit flushes the state before
// the block interval does, and keeps the recent states readable in between.
func TestStateDirtyLimit(t *testing.T) {
	c := newFlushChain(t)
	c.open(StatePolicy{FlushBlocks: 1000, DirtyLimit: 1}) // every block passes a 1-byte limit
	if _, err := c.app.InitChain(context.Background(), &abci.RequestInitChain{}); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= 2; h++ { // the block's own nodes are in the cache at its commit
		c.block(h)
		if c.app.stateHead.Height != uint64(h) {
			t.Fatalf("block %d: state head %d, want %d", h, c.app.stateHead.Height, h)
		}
	}
	c.crash()

	c = newFlushChain(t)
	c.open(StatePolicy{FlushBlocks: 1000})
	if _, err := c.app.InitChain(context.Background(), &abci.RequestInitChain{}); err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= RecentStates+3; h++ {
		c.block(h)
	}
	for h := uint64(4); h <= RecentStates+3; h++ { // the last RecentStates blocks
		hdr, _ := c.app.st.header(h)
		s, err := c.app.stateOf(hdr)
		if err != nil {
			t.Fatalf("recent state of block %d: %v", h, err)
		}
		if got := s.GetBalance(common.BigToAddress(big.NewInt(int64(h)*100 + 1))).Uint64(); got != h || s.Error() != nil {
			t.Fatalf("recent block %d: balance %d (%v), want %d", h, got, s.Error(), h)
		}
	}
	hdr, _ := c.app.st.header(2)
	if _, err := c.app.stateOf(hdr); err == nil {
		t.Fatal("state of block 2 is still readable, want it released")
	}
	if err := c.app.Close(); err != nil {
		t.Fatal(err)
	}
	c.crash()
}
