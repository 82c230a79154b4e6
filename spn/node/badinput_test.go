package node_test

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/node"
)

// rpcCode returns the JSON-RPC error code of err (0 if it has none).
func rpcCode(err error) int {
	var re rpc.Error
	if errors.As(err, &re) {
		return re.ErrorCode()
	}
	return 0
}

// waitHeight waits until the node has committed height h.
func waitHeight(t *testing.T, n *node.Node, h uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if cur, _, _ := n.App.Head(); cur >= h {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("height %d not reached", h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBadInput sends malformed and invalid transactions and requests over
// JSON-RPC: each gets a clear JSON-RPC error, and the node keeps making blocks
// and accepting good transactions afterwards.
func TestBadInput(t *testing.T) {
	key, _ := crypto.GenerateKey()
	dev := crypto.PubkeyToAddress(key.PublicKey)
	defer func(r uint64) { node.MaxLogRange = r }(node.MaxLogRange)
	node.MaxLogRange = 2 // set before the node starts
	home := initHome(t, dev)
	n, c := start(t, home)
	defer stopNode(t, n, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := c.Client()
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	signer := types.LatestSignerForChainID(big.NewInt(4242))
	dyn := func(nonce uint64, data []byte) *types.DynamicFeeTx {
		return &types.DynamicFeeTx{ChainID: big.NewInt(4242), Nonce: nonce, GasTipCap: big.NewInt(1e9),
			GasFeeCap: big.NewInt(5e9), Gas: 21_000 + 16*uint64(len(data)), To: &to, Value: big.NewInt(1), Data: data}
	}
	raw := func(tx *types.Transaction) string {
		b, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return hexutil.Encode(b)
	}
	unsigned := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(4242), Gas: 21_000, To: &to,
		GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(5e9), V: big.NewInt(1), R: big.NewInt(7), S: big.NewInt(9)})
	waitHeight(t, n, 3) // for the log range over the (lowered) limit
	oversize := types.MustSignNewTx(key, signer, dyn(0, make([]byte, 130*1024)))

	for _, tc := range []struct {
		name, method string
		params       []any
		want         string // substring of the error message
	}{
		{"malformed RLP", "eth_sendRawTransaction", []any{"0x01f8ff1234"}, "rlp"},
		{"not hex", "eth_sendRawTransaction", []any{"zz"}, "invalid argument"},
		{"empty", "eth_sendRawTransaction", []any{"0x"}, "typed transaction too short"},
		{"wrong chain id", "eth_sendRawTransaction", []any{raw(types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(1)), &types.DynamicFeeTx{ChainID: big.NewInt(1), Gas: 21_000, To: &to, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(5e9)}))}, "invalid chain id for signer"},
		{"bad signature", "eth_sendRawTransaction", []any{raw(unsigned)}, "invalid sender"},
		{"nonce gap", "eth_sendRawTransaction", []any{raw(types.MustSignNewTx(key, signer, dyn(5, nil)))}, "nonce too high"},
		{"oversize", "eth_sendRawTransaction", []any{raw(oversize)}, "oversized data"},
		// Transactions that could never be included (go-ethereum's txpool checks).
		{"intrinsic gas", "eth_sendRawTransaction", []any{raw(types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Gas: 20_000, To: &to, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(5e9)}))}, "intrinsic gas too low"},
		{"floor data gas", "eth_sendRawTransaction", []any{raw(types.MustSignNewTx(key, signer, dyn(0, []byte{1, 2, 3})))}, "insufficient gas for floor data gas cost"},
		{"empty authorizations", "eth_sendRawTransaction", []any{raw(types.MustSignNewTx(key, signer, &types.SetCodeTx{ChainID: uint256.NewInt(4242), Gas: 50_000, To: to, GasTipCap: uint256.NewInt(1e9), GasFeeCap: uint256.NewInt(5e9)}))}, "at least one authorization"},
		{"fee cap below base fee", "eth_sendRawTransaction", []any{raw(types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(4242), Gas: 21_000, To: &to, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1)}))}, "max fee per gas less than block base fee"},
		{"unknown method", "eth_foo", nil, "does not exist"},
		{"bad address", "eth_getBalance", []any{"0x1234", "latest"}, "invalid argument"},
		{"future block state", "eth_getBalance", []any{dev, "0xffffff"}, "header not found"},
		{"unknown block hash state", "eth_getCode", []any{dev, common.Hash{1}}, "header for hash not found"},
		{"future block call", "eth_call", []any{map[string]any{"to": to}, "0xffffff"}, "header not found"},
		{"log range too large", "eth_getLogs", []any{map[string]any{"fromBlock": "0x0", "toBlock": "latest"}}, "block range too large"},
		{"log range reversed", "eth_getLogs", []any{map[string]any{"fromBlock": "0x2", "toBlock": "0x1"}}, "invalid block range params"},
		{"log block hash and range", "eth_getLogs", []any{map[string]any{"fromBlock": "0x1", "blockHash": common.Hash{1}}}, "can't specify fromBlock/toBlock with blockHash"},
		{"too many topics", "eth_getLogs", []any{map[string]any{"topics": []any{nil, nil, nil, nil, nil}}}, "exceed max topics"},
		{"bad fee percentiles", "eth_feeHistory", []any{"0x2", "latest", []float64{50, 10}}, "invalid reward percentile"},
		{"proof key too long", "eth_getProof", []any{dev, []string{"0x" + strings.Repeat("ab", 33)}, "latest"}, "storage key too long"},
		{"unknown filter", "eth_getFilterChanges", []any{"0x1234"}, "filter not found"},
		{"subscribe over HTTP", "eth_subscribe", []any{"newHeads"}, "notifications not supported"},
	} {
		var res any
		err := rc.CallContext(ctx, &res, tc.method, tc.params...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v (result %v), want an error with %q", tc.name, err, res, tc.want)
			continue
		}
		if rpcCode(err) == 0 {
			t.Errorf("%s: %v is not a JSON-RPC error", tc.name, err)
		}
	}
	// The same transactions in one HTTP batch (the handler's fast path,
	// jsonrpc.BatchPath) get the same errors, and a good transfer among them is
	// accepted and mined.
	var batch []rpc.BatchElem
	var wants []string
	for _, tc := range []struct{ raw, want string }{
		{"0x01f8ff1234", "rlp"},
		{raw(types.MustSignNewTx(key, signer, dyn(0, nil))), ""},
		{"0x", "typed transaction too short"},
		{raw(types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(1)), &types.DynamicFeeTx{ChainID: big.NewInt(1), Gas: 21_000, To: &to, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(5e9)})), "invalid chain id for signer"},
		{raw(unsigned), "invalid sender"},
		{raw(types.MustSignNewTx(key, signer, dyn(5, nil))), "nonce too high"},
		{raw(oversize), "oversized data"},
		{raw(types.MustSignNewTx(key, signer, dyn(0, nil))), "already known"},
		{raw(types.MustSignNewTx(key, signer, dyn(1, []byte{1}))), "floor data gas"},
	} {
		batch = append(batch, rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{tc.raw}, Result: new(common.Hash)})
		wants = append(wants, tc.want)
	}
	fast := n.RPCHandler().FastBatches()
	if err := rc.BatchCallContext(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n.RPCHandler().FastBatches() != fast+1 {
		t.Error("the batch did not take the fast path")
	}
	for i, el := range batch {
		if wants[i] == "" {
			if el.Error != nil {
				t.Fatalf("batch call %d: %v", i, el.Error)
			}
			if r := waitReceipt(t, c, *el.Result.(*common.Hash)); r.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("batch call %d: status %d", i, r.Status)
			}
			continue
		}
		if el.Error == nil || !strings.Contains(el.Error.Error(), wants[i]) || rpcCode(el.Error) == 0 {
			t.Errorf("batch call %d: got %v, want a JSON-RPC error with %q", i, el.Error, wants[i])
		}
	}

	if err := rc.CallContext(ctx, nil, "eth_foo"); rpcCode(err) != -32601 {
		t.Errorf("unknown method: code %d (%v)", rpcCode(err), err)
	}
	// A future block is null, not an error.
	var blk map[string]any
	if err := rc.CallContext(ctx, &blk, "eth_getBlockByNumber", "0xffffff", false); err != nil || blk != nil {
		t.Errorf("future block: %v %v", err, blk)
	}
	if rcpt, err := c.TransactionReceipt(ctx, common.Hash{1}); err == nil || rcpt != nil {
		t.Errorf("unknown receipt: %v", err)
	}

	// The node still makes blocks and takes good transactions.
	h0, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := waitReceipt(t, c, send(t, c, key, to, big.NewInt(5)))
	if r.Status != types.ReceiptStatusSuccessful || r.BlockNumber.Uint64() <= h0 {
		t.Fatalf("after bad input: receipt in block %v (head was %d), status %d", r.BlockNumber, h0, r.Status)
	}
	if nonce, err := c.NonceAt(ctx, dev, nil); err != nil || nonce != 2 {
		t.Fatalf("nonce %d %v", nonce, err)
	}
}

// TestPollingFilters installs block, log and pending-transaction filters over
// HTTP (as ethers does) and polls them with eth_getFilterChanges.
func TestPollingFilters(t *testing.T) {
	key, _ := crypto.GenerateKey()
	dev := crypto.PubkeyToAddress(key.PublicKey)
	home := initHome(t, dev)
	n, c := start(t, home)
	defer stopNode(t, n, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := c.Client()

	tok := mustOK(t, c, sendTx(t, c, key, nil, nil, token.Bytecode, 0)).ContractAddress
	var blockF, logF, txF string
	if err := rc.CallContext(ctx, &blockF, "eth_newBlockFilter"); err != nil {
		t.Fatal(err)
	}
	if err := rc.CallContext(ctx, &logF, "eth_newFilter", map[string]any{"address": tok, "topics": []any{token.ABI.Events["Transfer"].ID}}); err != nil {
		t.Fatal(err)
	}
	if err := rc.CallContext(ctx, &txF, "eth_newPendingTransactionFilter"); err != nil {
		t.Fatal(err)
	}
	mint := sendTx(t, c, key, &tok, nil, pack("mint", dev, big.NewInt(9)), 0)
	r := mustOK(t, c, mint)

	var hashes []common.Hash
	if err := rc.CallContext(ctx, &hashes, "eth_getFilterChanges", blockF); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range hashes {
		found = found || h == r.BlockHash
	}
	if !found {
		t.Fatalf("block filter: %d hashes without the mint's block", len(hashes))
	}
	var logs []types.Log
	if err := rc.CallContext(ctx, &logs, "eth_getFilterChanges", logF); err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 || logs[0].TxHash != mint.Hash() || logs[0].BlockHash != r.BlockHash {
		t.Fatalf("log filter changes: %+v", logs)
	}
	if err := rc.CallContext(ctx, &logs, "eth_getFilterChanges", logF); err != nil || len(logs) != 0 {
		t.Fatalf("second poll: %v %d logs", err, len(logs))
	}
	if err := rc.CallContext(ctx, &logs, "eth_getFilterLogs", logF); err != nil || len(logs) != 1 {
		t.Fatalf("getFilterLogs: %v %d logs", err, len(logs))
	}
	if err := rc.CallContext(ctx, &hashes, "eth_getFilterChanges", txF); err != nil || len(hashes) != 1 || hashes[0] != mint.Hash() {
		t.Fatalf("pending filter: %v %v", err, hashes)
	}
	var ok bool
	if err := rc.CallContext(ctx, &ok, "eth_uninstallFilter", logF); err != nil || !ok {
		t.Fatalf("uninstall: %v %v", err, ok)
	}
	if err := rc.CallContext(ctx, &logs, "eth_getFilterChanges", logF); err == nil {
		t.Fatal("uninstalled filter still polled")
	}
}
