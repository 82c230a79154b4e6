package node_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/farolnet/farol/spn/node"
)

// TestMempoolFull fills a 20-transaction mempool from several concurrent senders and
// checks that every transaction the JSON-RPC accepted is mined and every other one
// got "txpool is full" (CometBFT alone would accept some and drop them silently).
func TestMempoolFull(t *testing.T) {
	const senders, perSender = 32, 10
	keys := make([]*ecdsa.PrivateKey, senders)
	for i := range keys {
		keys[i], _ = crypto.GenerateKey()
	}
	home := initHome(t, crypto.PubkeyToAddress(keys[0].PublicKey))
	// Fund the other senders in the genesis.
	gpath := filepath.Join(home, "config", "genesis.json")
	doc, err := cmttypes.GenesisDocFromFile(gpath)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := node.ParseGenesis(doc.AppState)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys[1:] {
		gen.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = gen.Alloc[crypto.PubkeyToAddress(keys[0].PublicKey)]
	}
	if doc.AppState, err = json.Marshal(gen); err != nil {
		t.Fatal(err)
	}
	if err := doc.SaveAs(gpath); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "config", "config.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`(?m)^size = \d+$`).ReplaceAll(b, []byte("size = 20"))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	n, c := start(t, home)
	defer n.Stop()
	ctx := context.Background()
	chainID, _ := c.ChainID(ctx)
	signer := types.LatestSignerForChainID(chainID)
	var mu sync.Mutex
	var accepted []common.Hash
	full := 0
	var wg sync.WaitGroup
	for _, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for nonce := uint64(0); nonce < perSender; nonce++ {
				tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce,
					GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(1e12), Gas: 21_000, To: &common.Address{9}, Value: big.NewInt(1)})
				err := c.SendTransaction(ctx, tx)
				mu.Lock()
				switch {
				case err == nil:
					accepted = append(accepted, tx.Hash())
				case strings.Contains(err.Error(), "txpool is full") || strings.Contains(err.Error(), "mempool is full"):
					full++
				default:
					t.Errorf("send: %v", err)
				}
				mu.Unlock()
				if err != nil {
					return // later nonces would leave a gap
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d accepted, %d refused as full", len(accepted), full)
	if full == 0 {
		t.Log("the mempool never filled (blocks drained it first); the check below still holds")
	}
	for _, h := range accepted {
		if r := waitReceipt(t, c, h); r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("tx %s failed", h)
		}
	}
}
