package node_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/farolnet/farol/spn/evm"
	"github.com/farolnet/farol/spn/node"
)

const gwei = 1_000_000_000

// testApp is an App over a real pebble store, driven through its ABCI methods as
// CometBFT drives it.
type testApp struct {
	t      *testing.T
	app    *node.App
	db     state.Database
	signer types.Signer
	height int64
	time   time.Time
}

func newTestApp(t *testing.T, gasLimit uint64, funded ...common.Address) *testApp {
	t.Helper()
	g := node.DefaultGenesis(4242)
	g.BlockGasLimit = gasLimit
	for _, a := range funded {
		g.Alloc[a] = node.GenesisAlloc{Balance: (*hexutil.Big)(new(big.Int).Mul(ether, big.NewInt(1000)))}
	}
	db, disk, err := evm.OpenDatabase(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	app, err := node.NewApp(&g, db, disk, evm.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	appState, _ := json.Marshal(&g)
	ta := &testApp{t: t, app: app, db: db, signer: types.LatestSigner(app.ChainConfig()), time: time.Unix(1_800_000_000, 0)}
	// Every committed block's transactions root is that of the transactions it holds
	// (FinalizeBlock computes it beside the execution, assuming none is dropped), and
	// its receipts root and logs bloom (from the engine's Result) are its receipts'.
	app.OnCommit(func(b *node.Block) {
		if want := types.DeriveSha(types.Transactions(b.Txs), trie.NewStackTrie(nil)); b.Header.TxHash != want {
			t.Errorf("block %d: tx root %s, want %s (%d txs)", b.Header.Number, b.Header.TxHash, want, len(b.Txs))
		}
		if want := types.DeriveSha(b.Receipts, trie.NewStackTrie(nil)); b.Header.ReceiptHash != want {
			t.Errorf("block %d: receipt root %s, want %s", b.Header.Number, b.Header.ReceiptHash, want)
		}
		if b.Header.Bloom != types.MergeBloom(b.Receipts) {
			t.Errorf("block %d: logs bloom is not the union of its receipts' blooms", b.Header.Number)
		}
	})
	if _, err := app.InitChain(context.Background(), &abci.RequestInitChain{Time: ta.time, ChainId: "spn-test", AppStateBytes: appState, InitialHeight: 1}); err != nil {
		t.Fatal(err)
	}
	return ta
}

func (ta *testApp) tx(key *ecdsa.PrivateKey, nonce uint64, tip, feeCap int64, gas uint64) []byte {
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	tx := types.MustSignNewTx(key, ta.signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: nonce,
		GasTipCap: big.NewInt(tip), GasFeeCap: big.NewInt(feeCap), Gas: gas, To: &to, Value: big.NewInt(1)})
	raw, err := tx.MarshalBinary()
	if err != nil {
		ta.t.Fatal(err)
	}
	return raw
}

func (ta *testApp) checkTx(raw []byte, recheck bool) *abci.ResponseCheckTx {
	typ := abci.CheckTxType_New
	if recheck {
		typ = abci.CheckTxType_Recheck
	}
	res, err := ta.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw, Type: typ})
	if err != nil {
		ta.t.Fatal(err)
	}
	return res
}

func (ta *testApp) prepare(txs [][]byte, maxBytes int64) [][]byte {
	res, err := ta.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: maxBytes, Height: ta.height + 1, Time: ta.time})
	if err != nil {
		ta.t.Fatal(err)
	}
	return res.Txs
}

// block runs ProcessProposal, FinalizeBlock and Commit on txs.
func (ta *testApp) block(txs [][]byte) *abci.ResponseFinalizeBlock {
	ta.t.Helper()
	ctx := context.Background()
	ta.height++
	ta.time = ta.time.Add(time.Second)
	pp, err := ta.app.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs, Height: ta.height, Time: ta.time})
	if err != nil || pp.Status != abci.ResponseProcessProposal_ACCEPT {
		ta.t.Fatalf("process proposal: %v %v", pp, err)
	}
	proposer := common.HexToAddress("0x00000000000000000000000000000000000000c0")
	res, err := ta.app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: txs, Height: ta.height, Time: ta.time,
		Hash: crypto.Keccak256([]byte{byte(ta.height)}), ProposerAddress: proposer.Bytes()})
	if err != nil {
		ta.t.Fatal(err)
	}
	if _, err := ta.app.Commit(ctx, &abci.RequestCommit{}); err != nil {
		ta.t.Fatal(err)
	}
	return res
}

func (ta *testApp) balance(a common.Address) *big.Int {
	_, root, _ := ta.app.Head()
	sdb, err := state.New(root, ta.db)
	if err != nil {
		ta.t.Fatal(err)
	}
	return sdb.GetBalance(a).ToBig()
}

func hashOf(t *testing.T, raw []byte) common.Hash {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	return tx.Hash()
}

func sameTxs(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			return false
		}
	}
	return true
}

// TestReplacementByFee: a transaction with the nonce of a mempool transaction
// replaces it only with both tip and fee cap 10% higher; the proposal holds only the
// replacement; a block holding both (another proposer's) drops the stale one with a
// code; the recheck after the block evicts the loser.
func TestReplacementByFee(t *testing.T) {
	key, _ := crypto.GenerateKey()
	ta := newTestApp(t, node.DefaultBlockGasLimit, crypto.PubkeyToAddress(key.PublicKey))

	a0 := ta.tx(key, 0, 1*gwei, 10*gwei, 21_000)
	if r := ta.checkTx(a0, false); r.Code != node.CodeOK {
		t.Fatalf("a0: %s", r.Log)
	}
	a1 := ta.tx(key, 1, 1*gwei, 10*gwei, 21_000)
	if r := ta.checkTx(a1, false); r.Code != node.CodeOK {
		t.Fatalf("a1: %s", r.Log)
	}
	for _, c := range []struct {
		name        string
		tip, feeCap int64
	}{
		{"same fees", 1 * gwei, 10 * gwei},
		{"tip +10% only", 1.1 * gwei, 10 * gwei},
		{"fee cap +10% only", 1 * gwei, 11 * gwei},
		{"both +9%", 1.09 * gwei, 10.9 * gwei},
	} {
		r := ta.checkTx(ta.tx(key, 0, c.tip, c.feeCap, 22_000), false) // not a0 itself
		if r.Code != node.CodeUnderpriced || !strings.Contains(r.Log, node.ErrUnderpriced.Error()) {
			t.Fatalf("%s: code %d %q, want %q", c.name, r.Code, r.Log, node.ErrUnderpriced)
		}
	}
	b0 := ta.tx(key, 0, 1.1*gwei, 11*gwei, 21_000)
	if r := ta.checkTx(b0, false); r.Code != node.CodeOK {
		t.Fatalf("replacement +10%%: %s", r.Log)
	}
	// The next replacement must beat b0, not a0.
	if r := ta.checkTx(ta.tx(key, 0, 1.15*gwei, 11.5*gwei, 21_000), false); !strings.Contains(r.Log, node.ErrUnderpriced.Error()) {
		t.Fatalf("+10%% over a0 but not over b0 accepted: %q", r.Log)
	}
	if r := ta.checkTx(ta.tx(key, 2, 5*gwei, 4*gwei, 21_000), false); r.Code != node.CodeInvalid || !strings.Contains(r.Log, "max priority fee per gas higher than max fee per gas") {
		t.Fatalf("tip above fee cap: code %d %q", r.Code, r.Log)
	}
	if n, ok := ta.app.PendingNonce(crypto.PubkeyToAddress(key.PublicKey)); !ok || n != 2 {
		t.Fatalf("pending nonce %d %v, want 2", n, ok)
	}
	// CometBFT's mempool holds a0, a1, b0 (arrival order): the proposal has b0, a1.
	mempool := [][]byte{a0, a1, b0}
	if got := ta.prepare(mempool, 1<<20); !sameTxs(got, [][]byte{b0, a1}) {
		t.Fatalf("proposal has %d txs, want b0, a1", len(got))
	}

	// Another proposer's block holds the stale a0 after b0: the engine drops it.
	res := ta.block([][]byte{b0, a0})
	if res.TxResults[0].Code != node.CodeOK || res.TxResults[1].Code != node.CodeDropped {
		t.Fatalf("codes %d %d (log %q), want ok, dropped", res.TxResults[0].Code, res.TxResults[1].Code, res.TxResults[1].Log)
	}
	if !strings.Contains(res.TxResults[1].Log, "nonce too low") {
		t.Fatalf("dropped with %q", res.TxResults[1].Log)
	}
	// CometBFT removes b0 and a0 (in the block) and rechecks a1: still valid.
	if r := ta.checkTx(a1, true); r.Code != node.CodeOK {
		t.Fatalf("recheck a1: %s", r.Log)
	}

	// A replacement in the mempool when the block includes the other: the recheck
	// evicts the loser as nonce too low.
	c2 := ta.tx(key, 2, 1*gwei, 10*gwei, 21_000)
	d2 := ta.tx(key, 2, 2*gwei, 20*gwei, 21_000)
	for _, raw := range [][]byte{c2, d2} {
		if r := ta.checkTx(raw, false); r.Code != node.CodeOK {
			t.Fatalf("checkTx: %s", r.Log)
		}
	}
	if got := ta.prepare([][]byte{a1, c2, d2}, 1<<20); !sameTxs(got, [][]byte{a1, d2}) {
		t.Fatalf("proposal: %d txs, want a1, d2", len(got))
	}
	res = ta.block([][]byte{a1, d2})
	for i, r := range res.TxResults {
		if r.Code != node.CodeOK {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if r := ta.checkTx(c2, true); r.Code != node.CodeNonce || !strings.Contains(r.Log, "nonce too low") {
		t.Fatalf("recheck of the replaced tx: code %d %q", r.Code, r.Log)
	}

	// Recheck order: both still pending after a block without them; rechecked in
	// mempool order the replacement is accepted again, the other way round the loser
	// is evicted.
	e3 := ta.tx(key, 3, 1*gwei, 10*gwei, 21_000)
	f3 := ta.tx(key, 3, 2*gwei, 20*gwei, 21_000)
	ta.checkTx(e3, false)
	ta.checkTx(f3, false)
	ta.block(nil)
	if r := ta.checkTx(e3, true); r.Code != node.CodeOK {
		t.Fatalf("recheck e3: %s", r.Log)
	}
	if r := ta.checkTx(f3, true); r.Code != node.CodeOK {
		t.Fatalf("recheck f3: %s", r.Log)
	}
	ta.block(nil)
	if r := ta.checkTx(f3, true); r.Code != node.CodeOK {
		t.Fatalf("recheck f3 first: %s", r.Log)
	}
	if r := ta.checkTx(e3, true); r.Code == node.CodeOK {
		t.Fatal("loser accepted after the winner on recheck")
	}
}

// TestProposalFeePriority: across senders by effective tip (highest first, ties in
// mempool order), each sender in nonce order from its state nonce, gaps and fee caps
// below the base fee cut a sender's run, filled to the block gas limit and MaxTxBytes.
func TestProposalFeePriority(t *testing.T) {
	var keys []*ecdsa.PrivateKey
	var addrs []common.Address
	for i := 0; i < 5; i++ {
		k, _ := crypto.GenerateKey()
		keys = append(keys, k)
		addrs = append(addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	ta := newTestApp(t, 10*21_000, addrs...)
	x, y, z, w, v := keys[0], keys[1], keys[2], keys[3], keys[4]
	base := int64(node.DefaultBaseFee)
	x0, x1 := ta.tx(x, 0, 1*gwei, 10*gwei, 21_000), ta.tx(x, 1, 5*gwei, 10*gwei, 21_000)
	y0, y1 := ta.tx(y, 0, 3*gwei, 10*gwei, 21_000), ta.tx(y, 1, 3*gwei, 10*gwei, 21_000)
	// z's tip cap is higher than its fee cap leaves: an effective tip of 2 gwei.
	z0, z1 := ta.tx(z, 0, 2.5*gwei, base+2*gwei, 21_000), ta.tx(z, 1, 1*gwei, 10*gwei, 21_000)
	w2 := ta.tx(w, 2, 50*gwei, 100*gwei, 21_000)                                        // nonce gap: left out
	v0, v1 := ta.tx(v, 0, 1*gwei, base-1, 21_000), ta.tx(v, 1, 9*gwei, 10*gwei, 21_000) // v0 under the base fee

	mempool := [][]byte{x0, x1, z1, v0, w2, y0, y1, z0, v1}
	got := ta.prepare(mempool, 1<<20)
	// y0 3, y1 3, z0 2, then x0 1 and z1 1 (tie: x0 earlier in the mempool), x1 5.
	want := [][]byte{y0, y1, z0, x0, x1, z1}
	if !sameTxs(got, want) {
		t.Fatalf("proposal order wrong: got %v", labels(got, map[string][]byte{"x0": x0, "x1": x1, "y0": y0, "y1": y1, "z0": z0, "z1": z1, "w2": w2, "v0": v0, "v1": v1}))
	}
	// The same mempool in another order gives the same block up to ties.
	if got2 := ta.prepare([][]byte{v1, z0, y1, y0, w2, v0, z1, x1, x0}, 1<<20); !sameTxs(got2, [][]byte{y0, y1, z0, z1, x0, x1}) {
		t.Fatalf("reordered mempool: %v", labels(got2, map[string][]byte{"x0": x0, "x1": x1, "y0": y0, "y1": y1, "z0": z0, "z1": z1}))
	}

	// Block gas limit 10 transfers: a 6-transfer tx of y fits, then only 4 more.
	big0 := ta.tx(y, 0, 4*gwei, 10*gwei, 6*21_000)
	got = ta.prepare([][]byte{x0, x1, big0, y1, z0, z1}, 1<<20)
	if !sameTxs(got, [][]byte{big0, y1, z0, x0, x1}) {
		t.Fatalf("gas fill: %d txs", len(got))
	}
	// A tx that does not fit ends its sender's run; the others fill the block.
	huge := ta.tx(y, 0, 40*gwei, 100*gwei, 10*21_000)
	got = ta.prepare([][]byte{x0, huge, y1, z0}, 1<<20)
	if !sameTxs(got, [][]byte{huge}) {
		t.Fatalf("full block: %d txs", len(got))
	}
	// MaxTxBytes: room for two transactions (with their protobuf framing).
	limit := int64(len(y0)+len(y1)) + 6
	got = ta.prepare([][]byte{x0, y0, y1}, limit)
	if !sameTxs(got, [][]byte{y0, y1}) {
		t.Fatalf("max bytes: %d txs", len(got))
	}
	// Proposals execute without dropped transactions; state nonces then move the runs.
	res := ta.block(ta.prepare(mempool, 1<<20))
	for i, r := range res.TxResults {
		if r.Code != node.CodeOK {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if got := ta.prepare(mempool, 1<<20); len(got) != 0 {
		t.Fatalf("after the block: %d txs proposed from executed nonces", len(got))
	}
}

func labels(txs [][]byte, names map[string][]byte) []string {
	var out []string
	for _, raw := range txs {
		name := "?"
		for n, r := range names {
			if string(r) == string(raw) {
				name = n
			}
		}
		out = append(out, name)
	}
	return out
}

// TestReplacementThroughNode: through a running node and ethclient, a replaced
// transaction never gets a receipt, its replacement does, and the mempool empties.
func TestReplacementThroughNode(t *testing.T) {
	key, _ := crypto.GenerateKey()
	dev := crypto.PubkeyToAddress(key.PublicKey)
	home := initHome(t, dev)
	n, c := start(t, home)
	defer func() { c.Close(); n.Stop() }()
	ctx := context.Background()
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	signer := types.LatestSignerForChainID(big.NewInt(4242))
	// A series of replacements sent faster than blocks: one of them is committed
	// (normally the last), the others never are.
	var hashes []common.Hash
	for i := int64(0); i < 4; i++ {
		tip := big.NewInt(gwei * (10 + 2*i*i))
		tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: 0,
			GasTipCap: tip, GasFeeCap: new(big.Int).Mul(tip, big.NewInt(2)), Gas: 21_000, To: &to, Value: big.NewInt(i + 1)})
		err := c.SendTransaction(ctx, tx)
		if err != nil && !strings.Contains(err.Error(), "nonce too low") {
			t.Fatalf("replacement %d: %v", i, err)
		}
		if err == nil {
			hashes = append(hashes, tx.Hash())
		}
	}
	under := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: 1,
		GasTipCap: big.NewInt(gwei), GasFeeCap: big.NewInt(3 * gwei), Gas: 21_000, To: &to, Value: big.NewInt(1)})
	if err := c.SendTransaction(ctx, under); err != nil {
		t.Fatal(err)
	}
	err := c.SendTransaction(ctx, types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: 1,
		GasTipCap: big.NewInt(gwei), GasFeeCap: big.NewInt(3 * gwei), Gas: 21_000, To: &to, Value: big.NewInt(2)}))
	// (nonce too low if a block included under in between)
	if err == nil || !strings.Contains(err.Error(), "replacement transaction underpriced") && !strings.Contains(err.Error(), "nonce too low") {
		t.Fatalf("underpriced replacement: %v", err)
	}
	waitReceipt(t, c, under.Hash())
	mined := 0
	for _, h := range hashes {
		if _, err := c.TransactionReceipt(ctx, h); err == nil {
			mined++
		}
	}
	if mined != 1 {
		t.Fatalf("%d of the replacements mined, want 1", mined)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.Comet.Mempool().Size() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("mempool still holds %d txs", n.Comet.Mempool().Size())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if nonce, err := c.NonceAt(ctx, dev, nil); err != nil || nonce != 2 {
		t.Fatalf("nonce %d %v", nonce, err)
	}
}
