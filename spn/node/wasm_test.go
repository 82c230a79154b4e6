package node_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/node"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
	"github.com/farolnet/farol/spn/wasmnode"
	"github.com/farolnet/farol/spn/wasmnode/client"
)

const wasmChainID = 4243

func initWasmHome(t *testing.T, funded ...wasm.Address) string {
	t.Helper()
	return initWasmHomeWith(t, nil, funded...)
}

// initWasmHomeWith is initWasmHome with the test config changed by mod (if set).
func initWasmHomeWith(t *testing.T, mod func(*node.Config), funded ...wasm.Address) string {
	t.Helper()
	home := t.TempDir()
	cfg := testConfig(t)
	cfg.PrometheusAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if mod != nil {
		mod(&cfg)
	}
	g := node.DefaultWasmGenesis(wasmChainID)
	for _, a := range funded {
		g.Alloc[common.Address(a)] = node.GenesisAlloc{Balance: (*hexutil.Big)(new(big.Int).Lsh(big.NewInt(1), 80))}
	}
	if err := node.Init(home, node.InitOptions{ChainID: "spn-wasm-test", Genesis: g, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	return home
}

func startWasm(t *testing.T, home string) (*node.Node, *client.Client) {
	t.Helper()
	n, err := node.Start(home, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	if n.VM != node.VMWasm {
		t.Fatalf("vm %q", n.VM)
	}
	c, err := client.Dial(context.Background(), "http://"+n.EthAddr)
	if err != nil {
		n.Stop()
		t.Fatal(err)
	}
	return n, c
}

func wasmKey(i byte) []byte {
	k := make([]byte, 32)
	k[0], k[31] = 0x42, i
	return k
}

func wasmU64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func wasmContract(t *testing.T, name string) []byte {
	t.Helper()
	b, err := wasmtest.Contract(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wasmOK returns a check of a sent transaction: no error and status ok.
func wasmOK(t *testing.T, what string) func(*wasmnode.TxResult, error) *wasmnode.TxResult {
	return func(r *wasmnode.TxResult, err error) *wasmnode.TxResult {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !r.OK() {
			t.Fatalf("%s: %s %s %q", what, r.StatusName, r.Error, r.Return)
		}
		return r
	}
}

// wasmWaitHeight waits until the node has committed height h.
func wasmWaitHeight(t *testing.T, c *client.Client, h uint64) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if n, err := c.BlockNumber(ctx); err == nil && n >= h {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("height %d not reached", h)
}

// TestWasmSPN runs a Wasm SPN (real CometBFT): uploads, instantiates, executes and
// queries the AssemblyScript counter and token over JSON-RPC with the Go client,
// reads receipts, events, blocks and code; bad transactions get clear errors while
// the chain goes on; a restart from the same home keeps state and app hash.
func TestWasmSPN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	devKey, bobKey := wasmKey(1), wasmKey(2)
	dev, _ := wasm.AddressOf(devKey)
	bob, _ := wasm.AddressOf(bobKey)
	home := initWasmHome(t, dev, bob)
	n, c := startWasm(t, home)
	defer func() { n.Stop() }()

	if n.App != nil || n.WasmApp() == nil {
		t.Fatal("node apps")
	}
	stats := make(chan wasmnode.BlockStats, 1000)
	n.WasmApp().OnCommit(func(s wasmnode.BlockStats) {
		select {
		case stats <- s:
		default:
		}
	})
	p, err := c.Params(ctx)
	if err != nil || p.ChainID != wasmChainID || p.BlockGasLimit != node.DefaultWasmBlockGasLimit {
		t.Fatalf("params %+v %v", p, err)
	}
	s, err := client.NewSigner(ctx, c, devKey)
	if err != nil {
		t.Fatal(err)
	}

	// counter: upload, instantiate at 40, increment twice, query
	up := wasmOK(t, "upload counter")(s.Upload(ctx, wasmContract(t, "as_counter")))
	if up.Kind != "upload" || up.CodeHash == nil || up.From != common.Address(dev) || up.BlockNumber == 0 {
		t.Fatalf("upload receipt %+v", up)
	}
	ci, err := c.CodeInfo(ctx, *up.CodeHash)
	if err != nil || ci.Size == 0 {
		t.Fatalf("code info %+v %v", ci, err)
	}
	in := wasmOK(t, "instantiate counter")(s.Instantiate(ctx, *up.CodeHash, wasmU64(40), exec.U256{}))
	counter := wasm.Address(*in.Contract)
	if info, err := c.Contract(ctx, counter); err != nil || info.CodeHash != *up.CodeHash {
		t.Fatalf("contract %+v %v", info, err)
	}
	for want := uint64(41); want <= 42; want++ {
		r := wasmOK(t, "increment")(s.Execute(ctx, counter, []byte{0}, exec.U256{}))
		if got := binary.BigEndian.Uint64(r.Return); got != want {
			t.Fatalf("increment returned %d, want %d", got, want)
		}
	}
	out, err := c.Query(ctx, counter, []byte{1})
	if err != nil || binary.BigEndian.Uint64(out) != 42 {
		t.Fatalf("query counter: %x %v", out, err)
	}
	// a revert: the query error carries the revert data; a committed call reverts
	// with fee and nonce kept (explicit gas limit: estimation refuses failing calls)
	_, err = c.Query(ctx, counter, []byte{9})
	var re *client.RevertError
	if !errors.As(err, &re) || string(re.Data) != "unknown op" {
		t.Fatalf("reverting query: %v", err)
	}
	if _, err := s.Execute(ctx, counter, []byte{9}, exec.U256{}); err == nil || !strings.Contains(err.Error(), "reverted") {
		t.Fatalf("estimation of a reverting call: %v", err)
	}
	rv, err := s.SendAndWait(ctx, wasm.Tx{Kind: wasm.TxCall, To: counter, Data: []byte{9}, GasLimit: 1_000_000})
	if err != nil || rv.Status != uint8(wasm.StatusReverted) || string(rv.Return) != "unknown op" || rv.GasUsed == 0 {
		t.Fatalf("reverted call: %+v %v", rv, err)
	}
	if st, err := c.TxStatus(ctx, rv.Hash); err != nil || !st.Found || st.StatusName != "reverted" {
		t.Fatalf("tx status %+v %v", st, err)
	}

	// token: transfer 300 to bob, events by tx and by filter
	tup := wasmOK(t, "upload token")(s.Upload(ctx, wasmContract(t, "as_token")))
	tin := wasmOK(t, "instantiate token")(s.Instantiate(ctx, *tup.CodeHash, wasmU64(1000), exec.U256{}))
	token := wasm.Address(*tin.Contract)
	tr := wasmOK(t, "token transfer")(s.Execute(ctx, token, append(append([]byte{1}, bob[:]...), wasmU64(300)...), exec.U256{}))
	if len(tr.Events) != 1 || string(tr.Events[0].Topic) != "Transfer" || tr.Events[0].Contract != common.Address(token) {
		t.Fatalf("transfer events %+v", tr.Events)
	}
	got, err := c.Tx(ctx, tr.Hash)
	if err != nil || got.BlockNumber != tr.BlockNumber || len(got.Events) != 1 || !bytes.Equal(got.Events[0].Data, tr.Events[0].Data) {
		t.Fatalf("getTx %+v %v", got, err)
	}
	from := wasmnode.BlockNumber(0)
	tc := common.Address(token)
	evs, err := c.Events(ctx, wasmnode.EventFilter{FromBlock: &from, Contract: &tc, Topic: []byte("Transfer")})
	if err != nil || len(evs) != 1 || evs[0].BlockNumber != tr.BlockNumber || *evs[0].TxHash != tr.Hash {
		t.Fatalf("events %+v %v", evs, err)
	}
	bobBal := func() uint64 {
		out, err := c.Query(ctx, token, append([]byte{4}, bob[:]...))
		if err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint64(out)
	}
	if b := bobBal(); b != 300 {
		t.Fatalf("bob's tokens %d", b)
	}
	blk, err := c.Block(ctx, wasmnode.BlockNumber(tr.BlockNumber), true)
	if err != nil || len(blk.Txs) != len(blk.TxHashes) || blk.TxHashes[tr.Index] != tr.Hash || blk.StateRoot == (common.Hash{}) {
		t.Fatalf("block %+v %v", blk, err)
	}

	// native transfer from bob (a second signer)
	bs, err := client.NewSigner(ctx, c, bobKey)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := c.Balance(ctx, dev)
	wasmOK(t, "native transfer")(bs.Transfer(ctx, dev, exec.U256From64(12345)))
	if after, _ := c.Balance(ctx, dev); after.Sub(before) != exec.U256From64(12345) {
		t.Fatalf("dev balance %v -> %v", before, after)
	}

	var txs, failed int
	for len(stats) > 0 {
		s := <-stats
		txs, failed = txs+s.Txs, failed+s.Failed
	}
	if txs < 8 || failed != 1 {
		t.Fatalf("OnCommit saw %d txs, %d failed", txs, failed)
	}

	// a Merkle proof of bob's token balance slot and of dev's native balance
	for _, key := range []string{wasm.StorageKey(token, append([]byte{'b'}, bob[:]...)), wasm.BalanceKey(dev)} {
		pr, err := c.Proof(ctx, []byte(key), wasmnode.Latest)
		if err != nil || len(pr.Value) == 0 {
			t.Fatalf("proof of %x: %+v %v", key, pr, err)
		}
		if err := wasmnode.VerifyProof(pr); err != nil {
			t.Fatalf("proof of %x: %v", key, err)
		}
		if b, err := c.Block(ctx, wasmnode.BlockNumber(pr.BlockNumber), false); err != nil || b.StateRoot != pr.StateRoot {
			t.Fatalf("proof root %v is not block %d's %v", pr.StateRoot, pr.BlockNumber, b)
		}
		pr.Value = append(pr.Value[:len(pr.Value)-1:len(pr.Value)-1], pr.Value[len(pr.Value)-1]^1)
		if err := wasmnode.VerifyProof(pr); err == nil {
			t.Fatal("proof of a wrong value verified")
		}
	}
	if pr, err := c.Proof(ctx, []byte(wasm.BalanceKey(wasm.Address{0x99})), wasmnode.Latest); err != nil || len(pr.Value) != 0 || wasmnode.VerifyProof(pr) != nil {
		t.Fatalf("absence proof %+v %v", pr, err)
	}

	// bad inputs: clear errors, nothing committed
	wasmBadInputs(ctx, t, c, s, devKey)

	// the chain goes on
	h0, _ := c.BlockNumber(ctx)
	wasmWaitHeight(t, c, h0+3)
	wasmOK(t, "increment after bad inputs")(s.Execute(ctx, counter, []byte{0}, exec.U256{}))

	// the node's Prometheus metrics count the Wasm blocks and refusals
	resp, err := http.Get("http://" + n.Comet.Config().Instrumentation.PrometheusListenAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if v, ok := metricValue(string(body), "spn_txs_total", `vm="wasm"`); !ok || v < 10 {
		t.Errorf("spn_txs_total{vm=wasm} = %v %v", v, ok)
	}
	if v, ok := metricValue(string(body), "spn_checktx_rejected_total", `vm="wasm"`, `reason="nonce_too_high"`); !ok || v < 1 {
		t.Errorf("spn_checktx_rejected_total{reason=nonce_too_high} = %v %v", v, ok)
	}

	// restart from the same home: same head, app hash and answers
	time.Sleep(300 * time.Millisecond)
	h, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last, err := c.Block(ctx, wasmnode.BlockNumber(h), false)
	if err != nil {
		t.Fatal(err)
	}
	if cb := n.Comet.BlockStore().LoadBlock(int64(h)); cb == nil || !bytes.Equal(cb.Hash(), last.Hash) {
		t.Fatalf("block %d hash differs from CometBFT's", h)
	}
	count, _ := c.Query(ctx, counter, []byte{1})
	bal, _ := c.Balance(ctx, dev)
	c.Close()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n, c = startWasm(t, home)
	wasmWaitHeight(t, c, h+1)
	again, err := c.Block(ctx, wasmnode.BlockNumber(h), false)
	if err != nil || again.StateRoot != last.StateRoot || !bytes.Equal(again.Hash, last.Hash) {
		t.Fatalf("block %d after restart: %+v %v (was %+v)", h, again, err, last)
	}
	if cb := n.Comet.BlockStore().LoadBlock(int64(h + 1)); cb == nil || !bytes.Equal(cb.AppHash, last.StateRoot[:]) {
		t.Fatalf("CometBFT app hash at %d is not the state root of %d", h+1, h)
	}
	if c2, err := c.Query(ctx, counter, []byte{1}); err != nil || !bytes.Equal(c2, count) || binary.BigEndian.Uint64(c2) != 43 {
		t.Fatalf("counter after restart %x %v (was %x)", c2, err, count)
	}
	if b2, _ := c.Balance(ctx, dev); b2 != bal {
		t.Fatalf("balance after restart %v, was %v", b2, bal)
	}
	if b := bobBal(); b != 300 {
		t.Fatalf("bob's tokens after restart %d", b)
	}
	if r, err := c.Tx(ctx, tr.Hash); err != nil || r.BlockNumber != tr.BlockNumber {
		t.Fatalf("tx after restart %+v %v", r, err)
	}
	s, err = client.NewSigner(ctx, c, devKey)
	if err != nil {
		t.Fatal(err)
	}
	wasmOK(t, "increment after restart")(s.Execute(ctx, counter, []byte{0}, exec.U256{}))
}

func wasmBadInputs(ctx context.Context, t *testing.T, c *client.Client, s *client.Signer, key []byte) {
	t.Helper()
	nonce, err := c.Nonce(ctx, s.Address, true)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(tx wasm.Tx, k []byte) []byte {
		if tx.ChainID == 0 {
			tx.ChainID = wasmChainID
		}
		if tx.GasLimit == 0 {
			tx.GasLimit = 1_000_000
		}
		tx.GasPrice = 1
		if err := tx.Sign(k); err != nil {
			t.Fatal(err)
		}
		return tx.Encode()
	}
	transfer := wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Value: exec.U256From64(1), Nonce: nonce}
	badSig := sign(transfer, key)
	badSig[len(badSig)-1] = 7 // v
	forbidden, err := os.ReadFile("../wasm/testdata/hostile/forbidden_import.wasm")
	if err != nil {
		t.Fatal(err)
	}
	other := wasmKey(99)
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"malformed", []byte{1, 2, 3}, "invalid transaction encoding"},
		{"bad signature", badSig, "invalid signature"},
		{"wrong chain id", sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Nonce: nonce, ChainID: wasmChainID + 1}, key), "wrong chain id"},
		{"nonce gap", sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Nonce: nonce + 5}, key), "nonce too high"},
		{"nonce too low", sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Nonce: 0}, key), "nonce too low"},
		{"insufficient funds", sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Value: exec.U256From64(1)}, other), "insufficient funds"},
		{"gas above block", sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Nonce: nonce, GasLimit: node.DefaultWasmBlockGasLimit + 1}, key), "exceeds the block gas limit"},
		{"intrinsic gas", sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Nonce: nonce, GasLimit: 100}, key), "below intrinsic gas"},
		{"forbidden import", sign(wasm.Tx{Kind: wasm.TxUpload, Data: forbidden, Nonce: nonce, GasLimit: 10_000_000}, key), "forbidden import"},
		{"unknown code", sign(wasm.Tx{Kind: wasm.TxInstantiate, CodeHash: [32]byte{1}, Nonce: nonce}, key), "unknown code hash"},
	}
	for _, tc := range cases {
		_, err := c.SendTx(ctx, tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if n, _ := c.Nonce(ctx, s.Address, true); n != nonce {
		t.Errorf("pending nonce %d after refused txs, want %d", n, nonce)
	}
	// a tx that passes CheckTx with the next nonce, then the same nonce again
	raw := sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{1}, Value: exec.U256From64(1), Nonce: nonce}, key)
	h, err := c.SendTx(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTx(ctx, sign(wasm.Tx{Kind: wasm.TxTransfer, To: wasm.Address{2}, Nonce: nonce}, key)); err == nil {
		t.Error("second tx with a pending nonce accepted")
	}
	if r, err := c.WaitTx(ctx, h); err != nil || !r.OK() || r.Kind != "transfer" {
		t.Fatalf("transfer %+v %v", r, err)
	}
}
