package node_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
	"github.com/farolnet/farol/spn/wasmnode"
	"github.com/farolnet/farol/spn/wasmnode/client"
)

// TestWasmSPNAMM deploys the AssemblyScript constant-product AMM over two
// AssemblyScript tokens on a Wasm SPN (real CometBFT), adds liquidity, swaps from a
// second account and checks the output against the constant-product formula, the
// reserves, the token balances, the Swap event (by tx and by contract filter), and a
// swap refused for slippage (estimation, query and a committed revert).
func TestWasmSPNAMM(t *testing.T) { testWasmAMM(t, "as") }

// TestWasmSPNAMMGo is TestWasmSPNAMM with the Go-SDK token and AMM (~1.8 MiB
// modules), which the default mempool limit of a Wasm SPN (spnd init writes
// max_tx_bytes = wasm.MaxTxData + 1 KiB into config.toml) must admit.
func TestWasmSPNAMMGo(t *testing.T) { testWasmAMM(t, "go") }

func testWasmAMM(t *testing.T, sdk string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	devKey, bobKey := wasmKey(11), wasmKey(12)
	dev, _ := wasm.AddressOf(devKey)
	bob, _ := wasm.AddressOf(bobKey)
	home := initWasmHome(t, dev, bob)
	tokenCode, ammCode := wasmContract(t, sdk+"_token"), wasmContract(t, sdk+"_amm")
	n, c := startWasm(t, home)
	defer func() { n.Stop() }()
	if limit := n.Comet.Config().Mempool.MaxTxBytes; limit < len(tokenCode)+1024 || limit < len(ammCode)+1024 {
		t.Fatalf("the node's mempool takes transactions of at most %d bytes; the %s modules have %d and %d",
			limit, sdk, len(tokenCode), len(ammCode))
	}
	s, err := client.NewSigner(ctx, c, devKey)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := client.NewSigner(ctx, c, bobKey)
	if err != nil {
		t.Fatal(err)
	}
	exe := func(s *client.Signer, what string, to wasm.Address, input []byte) *wasmnode.TxResult {
		t.Helper()
		return wasmOK(t, what)(s.Execute(ctx, to, input, exec.U256{}))
	}
	u64 := func(b []byte) uint64 {
		t.Helper()
		if len(b) != 8 {
			t.Fatalf("want a u64, got %x", b)
		}
		return binary.BigEndian.Uint64(b)
	}
	balanceOf := func(tok, who wasm.Address) uint64 {
		t.Helper()
		out, err := c.Query(ctx, tok, append([]byte{4}, who[:]...))
		if err != nil {
			t.Fatal(err)
		}
		return u64(out)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}

	tup := wasmOK(t, "upload token")(s.Upload(ctx, tokenCode))
	var tokens [2]wasm.Address
	for i := range tokens {
		in := wasmOK(t, "instantiate token")(s.Instantiate(ctx, *tup.CodeHash, wasmU64(1<<40), exec.U256{}))
		tokens[i] = wasm.Address(*in.Contract)
	}
	ta, tb := tokens[0], tokens[1]
	aup := wasmOK(t, "upload amm")(s.Upload(ctx, ammCode))
	ain := wasmOK(t, "instantiate amm")(s.Instantiate(ctx, *aup.CodeHash, cat(ta[:], tb[:]), exec.U256{}))
	pool := wasm.Address(*ain.Contract)
	if _, err := s.Instantiate(ctx, *aup.CodeHash, ta[:], exec.U256{}); err == nil || !strings.Contains(err.Error(), "want two token addresses") {
		t.Fatalf("instantiate with bad args: %v", err)
	}

	// liquidity 1,000,000 A : 4,000,000 B
	const ra, rb = 1_000_000, 4_000_000
	exe(s, "approve A", ta, wasmtest.TokenApprove(pool, ra))
	exe(s, "approve B", tb, wasmtest.TokenApprove(pool, rb))
	liq := exe(s, "add liquidity", pool, cat([]byte{1}, wasmU64(ra), wasmU64(rb)))
	if u64(liq.Return) != ra {
		t.Fatalf("shares %d", u64(liq.Return))
	}
	if balanceOf(ta, pool) != ra || balanceOf(tb, pool) != rb {
		t.Fatal("pool token balances after liquidity")
	}

	// bob gets 50,000 A, approves and swaps 10,000 A for B
	exe(s, "fund bob", ta, wasmtest.TokenTransfer(bob, 50_000))
	exe(sb, "bob approves", ta, wasmtest.TokenApprove(pool, 50_000))
	const in = 10_000
	want := uint64(in * 997 * rb / (ra*1000 + in*997))
	sw := exe(sb, "swap", pool, wasmtest.Swap(true, in, want))
	if got := u64(sw.Return); got != want {
		t.Fatalf("swap out %d, want %d", got, want)
	}
	// nested calls' events in order: Transfer of A (bob -> pool), of B (pool -> bob), Swap
	if len(sw.Events) != 3 || sw.Events[0].Contract != common.Address(ta) || sw.Events[1].Contract != common.Address(tb) ||
		string(sw.Events[0].Topic) != "Transfer" || string(sw.Events[1].Topic) != "Transfer" ||
		string(sw.Events[1].Data) != string(cat(pool[:], bob[:], wasmU64(want))) ||
		string(sw.Events[2].Topic) != "Swap" || sw.Events[2].Contract != common.Address(pool) ||
		string(sw.Events[2].Data) != string(cat(bob[:], wasmU64(want))) {
		t.Fatalf("swap events %+v", sw.Events)
	}
	res, err := c.Query(ctx, pool, []byte{3})
	if err != nil || len(res) != 16 || u64(res[:8]) != ra+in || u64(res[8:]) != rb-want {
		t.Fatalf("reserves %x %v", res, err)
	}
	if balanceOf(ta, bob) != 50_000-in || balanceOf(tb, bob) != want || balanceOf(tb, pool) != rb-want {
		t.Fatal("token balances after the swap")
	}
	pc := common.Address(pool)
	from := wasmnode.BlockNumber(0)
	evs, err := c.Events(ctx, wasmnode.EventFilter{FromBlock: &from, Contract: &pc})
	if err != nil || len(evs) != 1 || evs[0].TxHash == nil || *evs[0].TxHash != sw.Hash || evs[0].BlockNumber != sw.BlockNumber {
		t.Fatalf("pool events %+v %v", evs, err)
	}

	// slippage: the estimation refuses it, the query reverts with the reason, and
	// sent with an explicit gas limit it is committed as reverted (fee paid)
	tooMuch := wasmtest.Swap(true, in, want)
	if _, err := sb.Execute(ctx, pool, tooMuch, exec.U256{}); err == nil || !strings.Contains(err.Error(), "slippage") {
		t.Fatalf("estimation of a slipping swap: %v", err)
	}
	var re *client.RevertError
	if _, err := c.QueryWith(ctx, pool, tooMuch, &wasmnode.QueryOptions{Caller: (*common.Address)(&bob)}); !errors.As(err, &re) || !strings.Contains(string(re.Data), "slippage") {
		t.Fatalf("query of a slipping swap: %v", err)
	}
	rv, err := sb.SendAndWait(ctx, wasm.Tx{Kind: wasm.TxCall, To: pool, Data: tooMuch, GasLimit: 2_000_000})
	if err != nil || rv.Status != uint8(wasm.StatusReverted) || !strings.Contains(string(rv.Return), "slippage") {
		t.Fatalf("committed slipping swap %+v %v", rv, err)
	}
	if res2, _ := c.Query(ctx, pool, []byte{3}); string(res2) != string(res) || balanceOf(ta, bob) != 50_000-in {
		t.Fatal("a reverted swap changed the pool")
	}
}
