package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// ClientVersion is web3_clientVersion's answer.
const ClientVersion = "farol-spnd/v0.1.0"

// NewRPCServer returns a go-ethereum rpc server with the eth, net and web3 namespaces
// of app; transactions are broadcast through the CometBFT client bc.
func NewRPCServer(app *App, bc Broadcaster) (*rpc.Server, error) {
	srv := rpc.NewServer()
	for ns, api := range map[string]any{
		"eth":  &EthAPI{app: app, bc: bc},
		"net":  &NetAPI{app: app},
		"web3": &Web3API{},
	} {
		if err := srv.RegisterName(ns, api); err != nil {
			return nil, err
		}
	}
	return srv, nil
}

// newEthHandler returns the HTTP handler of the Ethereum JSON-RPC server.
func newEthHandler(srv *rpc.Server) http.Handler { return srv }

// Web3API is the web3 namespace.
type Web3API struct{}

// ClientVersion returns the node's version string.
func (*Web3API) ClientVersion() string { return ClientVersion }

// NetAPI is the net namespace.
type NetAPI struct{ app *App }

// Version returns the EVM chain id in decimal.
func (n *NetAPI) Version() string { return n.app.config.ChainID.String() }

// Broadcaster submits a transaction to CometBFT's mempool (the node's local RPC
// client implements it).
type Broadcaster interface {
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
}

// EthAPI is the eth namespace.
type EthAPI struct {
	app *App
	bc  Broadcaster
}

var errUnknownBlock = errors.New("unknown block")

// ChainId returns the EIP-155 chain id.
func (e *EthAPI) ChainId() *hexutil.Big { return (*hexutil.Big)(e.app.config.ChainID) } //nolint:revive // eth_chainId

// BlockNumber returns the last committed height.
func (e *EthAPI) BlockNumber() hexutil.Uint64 {
	h, _, _ := e.app.Head()
	return hexutil.Uint64(h)
}

// GasPrice returns the base fee plus the suggested tip.
func (e *EthAPI) GasPrice() *hexutil.Big {
	return (*hexutil.Big)(new(big.Int).Add(e.app.gen.BaseFee.ToInt(), big.NewInt(DefaultTip)))
}

// MaxPriorityFeePerGas returns the suggested tip.
func (e *EthAPI) MaxPriorityFeePerGas() *hexutil.Big { return (*hexutil.Big)(big.NewInt(DefaultTip)) }

// resolve maps a block tag, number or hash to a committed height.
func (e *EthAPI) resolve(bnh rpc.BlockNumberOrHash) (uint64, error) {
	latest, _, _ := e.app.Head()
	if h, ok := bnh.Hash(); ok {
		return e.app.st.blockNumberByHash(h)
	}
	n, ok := bnh.Number()
	if !ok {
		return latest, nil
	}
	switch n {
	case rpc.LatestBlockNumber, rpc.PendingBlockNumber, rpc.SafeBlockNumber, rpc.FinalizedBlockNumber:
		return latest, nil // CometBFT: a committed block is final
	case rpc.EarliestBlockNumber:
		return 0, nil
	}
	if n < 0 || uint64(n) > latest {
		return 0, errUnknownBlock
	}
	return uint64(n), nil
}

func (e *EthAPI) stateAt(bnh rpc.BlockNumberOrHash) (*state.StateDB, error) {
	n, err := e.resolve(bnh)
	if err != nil {
		return nil, err
	}
	b, err := e.app.st.block(n)
	if err != nil {
		return nil, errUnknownBlock
	}
	return state.New(b.Header.Root, e.app.db)
}

// GetBalance returns an account's balance at a block.
func (e *EthAPI) GetBalance(addr common.Address, bnh rpc.BlockNumberOrHash) (*hexutil.Big, error) {
	s, err := e.stateAt(bnh)
	if err != nil {
		return nil, err
	}
	return (*hexutil.Big)(s.GetBalance(addr).ToBig()), nil
}

// GetTransactionCount returns an account's nonce at a block; "pending" counts the
// transactions of the account in the mempool.
func (e *EthAPI) GetTransactionCount(addr common.Address, bnh rpc.BlockNumberOrHash) (hexutil.Uint64, error) {
	s, err := e.stateAt(bnh)
	if err != nil {
		return 0, err
	}
	nonce := s.GetNonce(addr)
	if n, ok := bnh.Number(); ok && n == rpc.PendingBlockNumber {
		e.app.mu.RLock()
		if p, ok := e.app.nonces[addr]; ok && p > nonce {
			nonce = p
		}
		e.app.mu.RUnlock()
	}
	return hexutil.Uint64(nonce), nil
}

// GetCode returns an account's code at a block.
func (e *EthAPI) GetCode(addr common.Address, bnh rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	s, err := e.stateAt(bnh)
	if err != nil {
		return nil, err
	}
	return s.GetCode(addr), nil
}

// GetStorageAt returns a storage slot at a block.
func (e *EthAPI) GetStorageAt(addr common.Address, slot common.Hash, bnh rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	s, err := e.stateAt(bnh)
	if err != nil {
		return nil, err
	}
	v := s.GetState(addr, slot)
	return v[:], nil
}

// SendRawTransaction checks a signed transaction like CheckTx (for Ethereum-style
// errors) and broadcasts it through CometBFT's mempool.
func (e *EthAPI) SendRawTransaction(ctx context.Context, input hexutil.Bytes) (common.Hash, error) {
	tx, _, _, err := e.app.decodeTx(input)
	if err != nil {
		return common.Hash{}, err
	}
	res, err := e.bc.BroadcastTxSync(ctx, []byte(input))
	if err != nil {
		return common.Hash{}, err
	}
	if res.Code != CodeOK {
		return common.Hash{}, errors.New(res.Log)
	}
	return tx.Hash(), nil
}

// GetTransactionReceipt returns a committed transaction's receipt (nil if unknown).
func (e *EthAPI) GetTransactionReceipt(hash common.Hash) (map[string]any, error) {
	n, i, err := e.app.st.txLocation(hash)
	if err != nil {
		return nil, nil //nolint:nilnil // unknown transaction: null
	}
	b, err := e.app.st.block(n)
	if err != nil || i >= len(b.Receipts) {
		return nil, fmt.Errorf("receipt of %s: %w", hash, err)
	}
	enc, err := json.Marshal(b.Receipts[i])
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	tx := b.Txs[i]
	from, _ := types.Sender(e.app.signer, tx)
	m["from"] = from
	m["to"] = tx.To()
	return m, nil
}

// GetTransactionByHash returns a committed transaction (nil if unknown).
func (e *EthAPI) GetTransactionByHash(hash common.Hash) (map[string]any, error) {
	n, i, err := e.app.st.txLocation(hash)
	if err != nil {
		return nil, nil //nolint:nilnil // unknown: null
	}
	b, err := e.app.st.block(n)
	if err != nil || i >= len(b.Txs) {
		return nil, fmt.Errorf("transaction %s: %w", hash, err)
	}
	return e.marshalTx(b, i)
}

func (e *EthAPI) marshalTx(b *Block, i int) (map[string]any, error) {
	tx := b.Txs[i]
	enc, err := json.Marshal(tx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	from, _ := types.Sender(e.app.signer, tx)
	m["from"] = from
	m["blockHash"] = b.Hash
	m["blockNumber"] = (*hexutil.Big)(b.Header.Number)
	m["transactionIndex"] = hexutil.Uint64(i)
	m["gasPrice"] = (*hexutil.Big)(b.Receipts[i].EffectiveGasPrice)
	return m, nil
}

// GetBlockByNumber returns a block (nil beyond the head).
func (e *EthAPI) GetBlockByNumber(number rpc.BlockNumber, full bool) (map[string]any, error) {
	n, err := e.resolve(rpc.BlockNumberOrHashWithNumber(number))
	if err != nil {
		return nil, nil //nolint:nilnil // unknown block: null, as go-ethereum
	}
	return e.marshalBlock(n, full)
}

// GetBlockByHash returns a block (nil if unknown).
func (e *EthAPI) GetBlockByHash(hash common.Hash, full bool) (map[string]any, error) {
	n, err := e.app.st.blockNumberByHash(hash)
	if err != nil {
		return nil, nil //nolint:nilnil // unknown block: null
	}
	return e.marshalBlock(n, full)
}

func (e *EthAPI) marshalBlock(n uint64, full bool) (map[string]any, error) {
	b, err := e.app.st.block(n)
	if err != nil {
		return nil, nil //nolint:nilnil,nilerr // not committed (yet): null
	}
	enc, err := json.Marshal(b.Header)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return nil, err
	}
	txs := make([]any, len(b.Txs))
	for i, tx := range b.Txs {
		if full {
			if txs[i], err = e.marshalTx(b, i); err != nil {
				return nil, err
			}
		} else {
			txs[i] = tx.Hash()
		}
	}
	m["transactions"] = txs
	m["uncles"] = []common.Hash{}
	m["size"] = hexutil.Uint64(b.Header.Size())
	return m, nil
}
