package wasmnode

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

const testChainID = 9

type accounts struct {
	keys   [][]byte
	addrs  []wasm.Address
	nonces []uint64
}

func newAccounts(n int) *accounts {
	a := &accounts{}
	for i := 0; i < n; i++ {
		k := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("wasmnode test"), uint64(i)))
		addr, _ := wasm.AddressOf(k[:])
		a.keys, a.addrs, a.nonces = append(a.keys, k[:]), append(a.addrs, addr), append(a.nonces, 0)
	}
	return a
}

func (a *accounts) genesis() *Genesis {
	g := &Genesis{ChainID: testChainID, BlockGasLimit: 500_000_000, MinGasPrice: 1}
	for _, addr := range a.addrs {
		g.Alloc = append(g.Alloc, Account{Address: addr, Balance: exec.U256From64(1 << 50)})
	}
	return g
}

func (a *accounts) tx(i int, tx wasm.Tx) []byte {
	tx.ChainID, tx.Nonce, tx.GasPrice = testChainID, a.nonces[i], 1
	a.nonces[i]++
	if tx.GasLimit == 0 {
		tx.GasLimit = 5_000_000
	}
	if err := tx.Sign(a.keys[i]); err != nil {
		panic(err)
	}
	return tx.Encode()
}

func openApp(t testing.TB, dir string, g *Genesis, workers int) *App {
	t.Helper()
	a, err := Open(dir, g, Config{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var genesisTime = time.Unix(1_800_000_000, 0)

func finalize(t testing.TB, a *App, height int64, txs [][]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	res, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: height, Txs: txs,
		Time: genesisTime.Add(time.Duration(height) * time.Second), ProposerAddress: bytes.Repeat([]byte{0xbe}, 20),
		Hash: crypto.Keccak256(binary.BigEndian.AppendUint64(nil, uint64(height)))})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func commit(t testing.TB, a *App) {
	t.Helper()
	if _, err := a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
}

// blocks builds a chain: token deploys, then blocks of transfers between many
// senders (parallel path), native transfers and failing calls.
func blocks(t *testing.T, acc *accounts) [][][]byte {
	t.Helper()
	code, err := wasmtest.Contract("as_token")
	if err != nil {
		t.Fatal(err)
	}
	upload := acc.tx(0, wasm.Tx{Kind: wasm.TxUpload, Data: code, GasLimit: 50_000_000})
	hash := sha256.Sum256(code)
	inst := acc.tx(0, wasm.Tx{Kind: wasm.TxInstantiate, CodeHash: hash, Data: binary.BigEndian.AppendUint64(nil, 1<<40)})
	token := wasm.ContractAddress(acc.addrs[0], 1)
	var setup [][]byte
	for i := 1; i < len(acc.addrs); i++ {
		setup = append(setup, acc.tx(0, wasm.Tx{Kind: wasm.TxCall, To: token, Data: wasmtest.TokenTransfer(acc.addrs[i], 1<<20)}))
	}
	out := [][][]byte{{upload}, {inst}, setup}
	rng := rand.New(rand.NewPCG(7, 7))
	for b := 0; b < 4; b++ {
		var txs [][]byte
		for i := 1; i < len(acc.addrs); i++ {
			to := acc.addrs[rng.IntN(len(acc.addrs))]
			switch rng.IntN(4) {
			case 0:
				txs = append(txs, acc.tx(i, wasm.Tx{Kind: wasm.TxTransfer, To: to, Value: exec.U256From64(uint64(rng.IntN(1000)))}))
			case 1:
				txs = append(txs, acc.tx(i, wasm.Tx{Kind: wasm.TxCall, To: token, Data: wasmtest.TokenTransfer(to, 1<<30)})) // reverts
			default:
				txs = append(txs, acc.tx(i, wasm.Tx{Kind: wasm.TxCall, To: token, Data: wasmtest.TokenTransfer(to, uint64(rng.IntN(100)))}))
			}
		}
		out = append(out, txs)
	}
	return out
}

// fullRoot rebuilds the state root from the whole flat state (a fresh trie).
func fullRoot(t *testing.T, s *Store) common.Hash {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: statePrefix, UpperBound: []byte("s0")})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	tr := trie.NewEmpty(nil)
	for it.First(); it.Valid(); it.Next() {
		if err := tr.Update(crypto.Keccak256(it.Key()[len(statePrefix):]), crypto.Keccak256(it.Value())); err != nil {
			t.Fatal(err)
		}
	}
	return tr.Hash()
}

// TestDeterminismAndRoot runs the same chain on two apps (1 and 2 workers): the app
// hashes agree block by block, equal the root of a trie rebuilt from the whole
// state, and a reopened app reports the same head.
func TestDeterminismAndRoot(t *testing.T) {
	acc := newAccounts(24)
	g := acc.genesis()
	chain := blocks(t, acc)
	dirs := []string{t.TempDir(), t.TempDir()}
	apps := []*App{openApp(t, dirs[0], g, 1), openApp(t, dirs[1], g, 2)}
	var genesisRoot []byte
	for _, a := range apps {
		r, err := a.InitChain(context.Background(), &abci.RequestInitChain{Time: genesisTime})
		if err != nil {
			t.Fatal(err)
		}
		if genesisRoot != nil && !bytes.Equal(r.AppHash, genesisRoot) {
			t.Fatal("genesis roots differ")
		}
		genesisRoot = r.AppHash
		if got := fullRoot(t, a.st); !bytes.Equal(got[:], r.AppHash) {
			t.Fatalf("genesis root %x, full rebuild %x", r.AppHash, got)
		}
	}
	for h, txs := range chain {
		var hashes [][]byte
		for _, a := range apps {
			res := finalize(t, a, int64(h+1), txs)
			for i, r := range res.TxResults {
				if h < 3 && r.Code != CodeOK {
					t.Fatalf("block %d tx %d: code %d %s", h+1, i, r.Code, r.Log)
				}
			}
			commit(t, a)
			hashes = append(hashes, res.AppHash)
			if got := fullRoot(t, a.st); !bytes.Equal(got[:], res.AppHash) {
				t.Fatalf("block %d: incremental root %x, full rebuild %x", h+1, res.AppHash, got)
			}
		}
		if !bytes.Equal(hashes[0], hashes[1]) {
			t.Fatalf("block %d: app hash %x (1 worker) != %x (2 workers)", h+1, hashes[0], hashes[1])
		}
	}
	height, root := apps[1].Head()
	for _, a := range apps {
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	a := openApp(t, dirs[1], g, 2)
	defer a.Close()
	info, err := a.Info(context.Background(), &abci.RequestInfo{})
	if err != nil || uint64(info.LastBlockHeight) != height || !bytes.Equal(info.LastBlockAppHash, root[:]) {
		t.Fatalf("info after reopen %+v %v", info, err)
	}
}

// TestCrashBeforeCommit finalizes a block, "crashes" before Commit, reopens: the
// head is the previous block and re-executing the block gives the same app hash.
func TestCrashBeforeCommit(t *testing.T) {
	acc := newAccounts(3)
	g := acc.genesis()
	dir := t.TempDir()
	a := openApp(t, dir, g, 2)
	if _, err := a.InitChain(context.Background(), &abci.RequestInitChain{Time: genesisTime}); err != nil {
		t.Fatal(err)
	}
	finalize(t, a, 1, [][]byte{acc.tx(0, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1], Value: exec.U256From64(5)})})
	commit(t, a)
	txs := [][]byte{acc.tx(1, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[2], Value: exec.U256From64(7)})}
	want := finalize(t, a, 2, txs).AppHash
	a.Close() // no Commit
	a = openApp(t, dir, g, 1)
	defer a.Close()
	if h, _ := a.Head(); h != 1 {
		t.Fatalf("head %d after crash, want 1", h)
	}
	if got := finalize(t, a, 2, txs).AppHash; !bytes.Equal(got, want) {
		t.Fatalf("replayed block: %x, want %x", got, want)
	}
	commit(t, a)
	if r, err := a.Tx(TxHash(txs[0])); err != nil || r.BlockNumber != 2 || !r.OK() {
		t.Fatalf("tx after replay %+v %v", r, err)
	}
}

// TestProposals checks CheckTx's pending nonces, PrepareProposal's order and
// ProcessProposal's rejections.
func TestProposals(t *testing.T) {
	acc := newAccounts(2)
	g := acc.genesis()
	a := openApp(t, t.TempDir(), g, 2)
	defer a.Close()
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{Time: genesisTime}); err != nil {
		t.Fatal(err)
	}
	tr := func(i int) []byte {
		return acc.tx(i, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1-i], Value: exec.U256From64(1)})
	}
	a0, a1, a2, b0 := tr(0), tr(0), tr(0), tr(1)
	check := func(raw []byte) *abci.ResponseCheckTx {
		r, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := check(a1); r.Code != CodeNonce {
		t.Fatalf("nonce gap admitted: %+v", r)
	}
	for _, raw := range [][]byte{a0, a1, b0} {
		if r := check(raw); r.Code != CodeOK {
			t.Fatalf("check: %+v", r)
		}
	}
	if n, _ := a.Nonce(acc.addrs[0], true); n != 2 {
		t.Fatalf("pending nonce %d", n)
	}
	// a proposal from a mempool out of order, with junk and a duplicate
	p, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{a2, b0, a1, []byte("junk"), a0, a0}, MaxTxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{a0, a1, a2, b0}
	if len(p.Txs) != len(want) {
		t.Fatalf("proposal has %d txs, want %d", len(p.Txs), len(want))
	}
	for i := range want {
		if !bytes.Equal(p.Txs[i], want[i]) {
			t.Fatalf("proposal tx %d out of order", i)
		}
	}
	accept := func(txs ...[]byte) bool {
		r, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status == abci.ResponseProcessProposal_ACCEPT
	}
	if !accept(p.Txs...) {
		t.Fatal("own proposal rejected")
	}
	bad := bytes.Clone(a0)
	bad[len(bad)-1] = 9
	wrongChain := wasm.Tx{Kind: wasm.TxTransfer, ChainID: testChainID + 1, GasLimit: 100_000, GasPrice: 1}
	_ = wrongChain.Sign(acc.keys[0])
	huge := wasm.Tx{Kind: wasm.TxTransfer, ChainID: testChainID, GasLimit: g.BlockGasLimit/2 + 1, GasPrice: 1}
	_ = huge.Sign(acc.keys[0])
	for name, txs := range map[string][][]byte{
		"junk": {[]byte("junk")}, "bad signature": {bad}, "wrong chain": {wrongChain.Encode()},
		"over block gas": {huge.Encode(), huge.Encode()},
	} {
		if accept(txs...) {
			t.Errorf("%s accepted", name)
		}
	}
	res := finalize(t, a, 1, p.Txs)
	for i, r := range res.TxResults {
		if r.Code != CodeOK {
			t.Fatalf("tx %d: %d %s", i, r.Code, r.Log)
		}
	}
	commit(t, a)
	if r := check(a0); r.Code != CodeNonce {
		t.Fatalf("committed tx re-admitted: %+v", r)
	}
	// an invalid re-inclusion of a committed tx does not replace its index entry
	res = finalize(t, a, 2, [][]byte{a0})
	if res.TxResults[0].Code != CodeInvalid {
		t.Fatalf("replayed tx: code %d", res.TxResults[0].Code)
	}
	commit(t, a)
	if r, err := a.Tx(TxHash(a0)); err != nil || r.BlockNumber != 1 || !r.OK() {
		t.Fatalf("tx index after replay %+v %v", r, err)
	}
}

// signed signs a transfer of acc's account i with an explicit nonce and gas price.
func (a *accounts) signed(i int, nonce, price uint64, tx wasm.Tx) []byte {
	tx.ChainID, tx.Nonce, tx.GasPrice = testChainID, nonce, price
	if tx.GasLimit == 0 {
		tx.GasLimit = 100_000
	}
	if err := tx.Sign(a.keys[i]); err != nil {
		panic(err)
	}
	return tx.Encode()
}

// TestReplacement checks same-nonce replacement: CheckTx accepts a transaction with
// the nonce of a pending one only with a gas price 10% higher and counts only the
// replacement's cost; the pending index follows; PrepareProposal keeps the best
// per (sender, nonce); a block carrying both executes the first and refuses the
// second (code 9); after commit the recheck drops the loser.
func TestReplacement(t *testing.T) {
	acc := newAccounts(2)
	g := acc.genesis()
	bal := uint64(1 << 50)
	a := openApp(t, t.TempDir(), g, 2)
	defer a.Close()
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{Time: genesisTime}); err != nil {
		t.Fatal(err)
	}
	check := func(raw []byte, recheck bool) *abci.ResponseCheckTx {
		t.Helper()
		typ := abci.CheckTxType_New
		if recheck {
			typ = abci.CheckTxType_Recheck
		}
		r, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: raw, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	api := &API{app: a}
	status := func(raw []byte) string {
		t.Helper()
		st, err := api.TxStatus(TxHash(raw))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := api.GetTx(TxHash(raw))
		switch {
		case st.Found:
			return "committed"
		case st.Pending:
			if r == nil || !r.Pending || r.StatusName != "pending" || r.OK() || r.From != common.Address(acc.addrs[0]) && r.From != common.Address(acc.addrs[1]) {
				t.Fatalf("getTx of a pending tx: %+v", r)
			}
			return "pending"
		}
		if r != nil {
			t.Fatalf("getTx of an unknown tx: %+v", r)
		}
		return "unknown"
	}
	// value close to the balance: the replacement fits only if the replaced cost is
	// no longer counted
	value := exec.U256From64(bal - 1_500_000)
	to := wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1], Value: value}
	orig := acc.signed(0, 0, 10, to) // cost bal - 500,000
	same := acc.signed(0, 0, 10, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1], Value: exec.U256From64(1)})
	low := acc.signed(0, 0, 10, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1], Value: value, GasLimit: 100_001})
	repl := acc.signed(0, 0, 11, to) // +10%: cost bal - 400,000
	if r := check(orig, false); r.Code != CodeOK {
		t.Fatalf("orig: %+v", r)
	}
	if status(orig) != "pending" {
		t.Fatal("orig not pending")
	}
	for _, raw := range [][]byte{same, low} {
		if r := check(raw, false); r.Code != CodeGas || !strings.Contains(r.Log, ErrUnderpriced.Error()) {
			t.Fatalf("underpriced replacement: %+v", r)
		}
	}
	if r := check(repl, false); r.Code != CodeOK {
		t.Fatalf("replacement: %+v", r)
	}
	if s0, s1 := status(orig), status(repl); s0 != "unknown" || s1 != "pending" {
		t.Fatalf("statuses after replacement: %s %s", s0, s1)
	}
	// the sender has 400,000 left: a second tx costing 300,000 fits, 500,000 does not
	next := acc.signed(0, 1, 3, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1]})
	tooMuch := acc.signed(0, 1, 5, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[1]})
	if r := check(tooMuch, false); r.Code != CodeFunds {
		t.Fatalf("funds after replacement: %+v", r)
	}
	if r := check(next, false); r.Code != CodeOK {
		t.Fatalf("next nonce: %+v", r)
	}
	if n, _ := a.Nonce(acc.addrs[0], true); n != 2 {
		t.Fatalf("pending nonce %d, want 2", n)
	}
	other := acc.signed(1, 0, 1, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[0], Value: exec.U256From64(1)})
	if r := check(other, false); r.Code != CodeOK {
		t.Fatalf("other: %+v", r)
	}

	// CometBFT's mempool holds orig and repl: the proposal keeps repl whatever the order
	for _, mempool := range [][][]byte{{orig, repl, next}, {next, repl, orig}} {
		p, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Txs) != 2 || !bytes.Equal(p.Txs[0], repl) || !bytes.Equal(p.Txs[1], next) {
			t.Fatalf("proposal of %d txs, want [repl next]", len(p.Txs))
		}
	}
	// same price: the lower hash wins, whatever the order
	tie := [][]byte{same, orig}
	want := orig
	if h0, h1 := TxHash(same), TxHash(orig); bytes.Compare(h0[:], h1[:]) < 0 {
		want = same
	}
	for _, mempool := range [][][]byte{tie, {tie[1], tie[0]}} {
		p, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 20})
		if err != nil || len(p.Txs) != 1 || !bytes.Equal(p.Txs[0], want) {
			t.Fatalf("tie: %d txs %v", len(p.Txs), err)
		}
	}

	// a proposer that includes both (stale duplicate): accepted, the engine refuses the second
	block := [][]byte{repl, orig, next, other}
	if r, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: block}); err != nil || r.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("process proposal %v %v", r, err)
	}
	res := finalize(t, a, 1, block)
	for i, want := range []uint32{CodeOK, CodeInvalid, CodeOK, CodeOK} {
		if got := res.TxResults[i].Code; got != want {
			t.Fatalf("tx %d: code %d (%s), want %d", i, got, res.TxResults[i].Log, want)
		}
	}
	commit(t, a)
	// the duplicate's index entry is its invalid inclusion (its hash was new)
	if r, err := a.Tx(TxHash(orig)); err != nil || r.Status != statusInvalidTx {
		t.Fatalf("stale duplicate %+v %v", r, err)
	}
	if s := status(repl); s != "committed" {
		t.Fatalf("repl %s", s)
	}

	// a pending tx stays pending across a block that does not include it; the
	// recheck after commit drops a loser whose nonce is now used
	b1 := acc.signed(1, 1, 1, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[0], Value: exec.U256From64(1)})
	b1r := acc.signed(1, 1, 2, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[0], Value: exec.U256From64(2)})
	for _, raw := range [][]byte{b1, b1r} {
		if r := check(raw, false); r.Code != CodeOK {
			t.Fatalf("b1: %+v", r)
		}
	}
	finalize(t, a, 2, [][]byte{b1}) // another node's proposer had only b1
	commit(t, a)
	if r := check(b1r, true); r.Code != CodeNonce || !strings.Contains(r.Log, ErrNonceTooLow.Error()) {
		t.Fatalf("recheck of the loser: %+v", r)
	}
	if s0, s1 := status(b1), status(b1r); s0 != "committed" || s1 != "unknown" {
		t.Fatalf("after recheck: %s %s", s0, s1)
	}
	c1 := acc.signed(1, 2, 1, wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[0], Value: exec.U256From64(1)})
	if r := check(c1, false); r.Code != CodeOK {
		t.Fatalf("c1: %+v", r)
	}
	finalize(t, a, 3, nil)
	commit(t, a)
	if status(c1) != "pending" {
		t.Fatal("pending tx forgotten at commit")
	}
	if r := check(c1, true); r.Code != CodeOK || status(c1) != "pending" {
		t.Fatalf("recheck of c1 %+v", r)
	}
	// c1 leaves CometBFT's mempool unseen by the app (no recheck after block 4): it
	// is forgotten at block 5
	finalize(t, a, 4, nil)
	commit(t, a)
	if status(c1) != "pending" {
		t.Fatal("c1 forgotten at block 4")
	}
	finalize(t, a, 5, nil)
	commit(t, a)
	if status(c1) != "unknown" {
		t.Fatal("c1 still pending without a recheck")
	}
	if outbids(1<<63, 1<<63) || !outbids(11, 10) || outbids(10, 10) || !outbids(2, 1) || outbids(109, 100) || !outbids(110, 100) {
		t.Fatal("outbids")
	}
}

// TestProposalBestPerNonce builds mempools of several senders with up to three
// variants per nonce (random gas prices, ties included) in random orders: whatever
// the order (which decides only the order of senders), each sender's transactions
// are the best of each nonce (highest price, ties: the lowest hash), once, without
// gaps.
func TestProposalBestPerNonce(t *testing.T) {
	acc := newAccounts(3)
	a := openApp(t, t.TempDir(), acc.genesis(), 2)
	defer a.Close()
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{Time: genesisTime}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var mempool [][]byte
	best := map[slot][]byte{}
	for i := range acc.addrs {
		for nonce := uint64(0); nonce < 4; nonce++ {
			for v := 0; v < 1+rng.IntN(3); v++ {
				raw := acc.signed(i, nonce, uint64(1+rng.IntN(3)), wasm.Tx{Kind: wasm.TxTransfer, To: acc.addrs[0], Value: exec.U256From64(uint64(v))})
				mempool = append(mempool, raw)
				k := slot{acc.addrs[i], nonce}
				if b := best[k]; b == nil || better(raw, b) {
					best[k] = raw
				}
			}
		}
	}
	for round := 0; round < 20; round++ {
		rng.Shuffle(len(mempool), func(i, j int) { mempool[i], mempool[j] = mempool[j], mempool[i] })
		p, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: mempool, MaxTxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		next := map[wasm.Address]uint64{}
		for _, raw := range p.Txs {
			tx, _ := wasm.DecodeTx(raw)
			from, _ := tx.Sender()
			if tx.Nonce != next[from] || !bytes.Equal(raw, best[slot{from, tx.Nonce}]) {
				t.Fatalf("round %d: tx of %x nonce %d (next %d) is not the best", round, from, tx.Nonce, next[from])
			}
			next[from]++
		}
		if len(p.Txs) != len(best) {
			t.Fatalf("round %d: %d txs, want %d", round, len(p.Txs), len(best))
		}
	}
}

// better: higher gas price, then lower hash.
func better(x, y []byte) bool {
	tx, _ := wasm.DecodeTx(x)
	ty, _ := wasm.DecodeTx(y)
	if tx.GasPrice != ty.GasPrice {
		return tx.GasPrice > ty.GasPrice
	}
	hx, hy := TxHash(x), TxHash(y)
	return bytes.Compare(hx[:], hy[:]) < 0
}
