package evmtest

import (
	"fmt"
	"math/big"
	"math/rand"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
)

// Fee parameters of the generated blocks.
var (
	BaseFee   = big.NewInt(1_000_000_000) // header base fee: 1 gwei
	tipCap    = big.NewInt(1_000_000_000)
	feeCap    = big.NewInt(3_000_000_000)
	gasPrice  = big.NewInt(2_000_000_000)
	BlockTime = uint64(1_700_000_000)
)

// TxType selects the envelope of a generated transaction.
type TxType int

// Transaction envelopes.
const (
	Legacy TxType = iota
	AccessList
	DynamicFee
)

// Header returns the header of block number n of a world's chain.
func (w *World) Header(n uint64, gasLimit uint64) *types.Header {
	return &types.Header{
		Number:     new(big.Int).SetUint64(n),
		Time:       BlockTime + n*2,
		GasLimit:   gasLimit,
		Coinbase:   w.Coinbase,
		Difficulty: new(big.Int),
		MixDigest:  common.BigToHash(big.NewInt(int64(n) + 77)),
		BaseFee:    new(big.Int).Set(BaseFee),
	}
}

// Tx signs a transaction from account from with the next nonce.
func (w *World) Tx(from int, typ TxType, to *common.Address, value *big.Int, data []byte, gas uint64, al types.AccessList) *types.Transaction {
	nonce := w.Nonces[from]
	w.Nonces[from]++
	if value == nil {
		value = new(big.Int)
	}
	var txdata types.TxData
	switch typ {
	case Legacy:
		txdata = &types.LegacyTx{Nonce: nonce, GasPrice: gasPrice, Gas: gas, To: to, Value: value, Data: data}
	case AccessList:
		txdata = &types.AccessListTx{ChainID: w.Config.ChainID, Nonce: nonce, GasPrice: gasPrice, Gas: gas, To: to, Value: value, Data: data, AccessList: al}
	default:
		txdata = &types.DynamicFeeTx{ChainID: w.Config.ChainID, Nonce: nonce, GasTipCap: tipCap, GasFeeCap: feeCap, Gas: gas, To: to, Value: value, Data: data, AccessList: al}
	}
	return types.MustSignNewTx(w.Keys[from], w.signer, txdata)
}

// Delegate signs an EIP-7702 transaction from account from that sets the code of
// account authority to a delegation to target and then calls to with data.
func (w *World) Delegate(from, authority int, target, to common.Address, data []byte, gas uint64) *types.Transaction {
	nonce := w.Nonces[from]
	w.Nonces[from]++
	auth, err := types.SignSetCode(w.Keys[authority], types.SetCodeAuthorization{
		ChainID: *uint256.MustFromBig(w.Config.ChainID),
		Address: target,
		Nonce:   w.Nonces[authority],
	})
	if err != nil {
		panic(err)
	}
	w.Nonces[authority]++
	return types.MustSignNewTx(w.Keys[from], w.signer, &types.SetCodeTx{
		ChainID:   uint256.MustFromBig(w.Config.ChainID),
		Nonce:     nonce,
		GasTipCap: uint256.MustFromBig(tipCap),
		GasFeeCap: uint256.MustFromBig(feeCap),
		Gas:       gas,
		To:        to,
		Data:      data,
		AuthList:  []types.SetCodeAuthorization{auth},
	})
}

func addrPtr(a common.Address) *common.Address { return &a }

// TokenTransfer builds an ERC-20 transfer of token (0 or 1).
func (w *World) TokenTransfer(from, token int, to common.Address, amount *big.Int, typ TxType) *types.Transaction {
	ta := Token0Addr
	if token == 1 {
		ta = Token1Addr
	}
	return w.Tx(from, typ, &ta, nil, Pack("Token", "transfer", to, amount), 90_000, nil)
}

// Swap builds a swap of amountIn on pair p.
func (w *World) Swap(from, p int, amountIn *big.Int, zeroForOne bool, typ TxType) *types.Transaction {
	return w.Tx(from, typ, addrPtr(PairAddr(p)), nil, Pack("Pair", "swap", amountIn, zeroForOne, w.Addrs[from]), 200_000, nil)
}

// RandomBlock returns n random transactions from the first senders accounts (fewer
// senders, more conflicts) mixing every feature the engine must get right; EIP-7702
// delegations only if prague.
func (w *World) RandomBlock(rng *rand.Rand, n, senders int, prague bool) []*types.Transaction {
	if senders > len(w.Addrs) {
		senders = len(w.Addrs)
	}
	txs := make([]*types.Transaction, 0, n)
	someone := func() common.Address {
		switch rng.Intn(6) {
		case 0:
			return common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("fresh-%d", rng.Intn(8)))))
		case 1:
			return w.Coinbase
		default:
			return w.Addrs[rng.Intn(len(w.Addrs))]
		}
	}
	amount := func() *big.Int { return big.NewInt(rng.Int63n(1e18) + 1) }
	for len(txs) < n {
		from := rng.Intn(senders)
		typ := TxType(rng.Intn(3))
		misc := MiscAddr
		var tx *types.Transaction
		switch rng.Intn(13) {
		case 0:
			tx = w.Tx(from, typ, addrPtr(someone()), amount(), nil, 60_000, nil)
		case 1:
			tx = w.TokenTransfer(from, rng.Intn(2), someone(), amount(), typ)
		case 2:
			tx = w.Swap(from, rng.Intn(w.Pairs), big.NewInt(rng.Int63n(1e18)+1e9), rng.Intn(2) == 0, typ)
		case 3:
			tx = w.Tx(from, typ, nil, amount(), Contracts["Misc"].Bytecode, 1_500_000, nil)
		case 4:
			tx = w.Tx(from, typ, &misc, nil, Pack("Misc", "fail", big.NewInt(int64(rng.Intn(4)))), 100_000, nil)
		case 5:
			d := int64(rng.Intn(6))
			tx = w.Tx(from, typ, &misc, nil, Pack("Misc", "nest", big.NewInt(d), big.NewInt(int64(rng.Intn(8)))), 600_000, nil)
		case 6:
			tx = w.Tx(from, typ, &misc, amount(), Pack("Misc", "spawn", big.NewInt(int64(rng.Intn(100))), rng.Intn(2) == 0), 400_000, nil)
		case 7:
			tx = w.Tx(from, typ, &misc, nil, Pack("Misc", "transient", big.NewInt(int64(rng.Intn(1000)))), 100_000, nil)
		case 8:
			var al types.AccessList
			if typ != Legacy && rng.Intn(2) == 0 {
				al = types.AccessList{{Address: MiscAddr, StorageKeys: []common.Hash{{}}}}
			}
			tx = w.Tx(from, typ, &misc, nil, Pack("Misc", "bump", big.NewInt(int64(rng.Intn(4))), big.NewInt(rng.Int63())), 100_000, al)
		case 9:
			if !prague {
				continue
			}
			auth := rng.Intn(len(w.Addrs))
			tx = w.Delegate(from, auth, MiscAddr, w.Addrs[auth], Pack("Misc", "bump", big.NewInt(1), big.NewInt(rng.Int63())), 200_000)
		case 10:
			tx = w.Tx(from, typ, &misc, nil, Pack("Misc", "pay", someone(), big.NewInt(rng.Int63n(1e9))), 100_000, nil)
		case 11:
			// Call an account that may carry a 7702 delegation (or be a plain EOA).
			to := w.Addrs[rng.Intn(len(w.Addrs))]
			tx = w.Tx(from, typ, &to, nil, Pack("Misc", "bump", big.NewInt(2), big.NewInt(rng.Int63())), 150_000, nil)
		default:
			tx = w.TokenTransfer(from, 0, w.Addrs[rng.Intn(len(w.Addrs))], amount(), typ)
		}
		txs = append(txs, tx)
	}
	return txs
}

// BlockContext mirrors core.NewEVMBlockContext for header (zero BLOCKHASH answers).
func BlockContext(h *types.Header) vm.BlockContext {
	ctx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash:     func(uint64) common.Hash { return common.Hash{} },
		Coinbase:    h.Coinbase,
		BlockNumber: new(big.Int).Set(h.Number),
		Time:        h.Time,
		Difficulty:  new(big.Int).Set(h.Difficulty),
		GasLimit:    h.GasLimit,
	}
	if h.BaseFee != nil {
		ctx.BaseFee = new(big.Int).Set(h.BaseFee)
	}
	if h.Difficulty.Sign() == 0 {
		mix := h.MixDigest
		ctx.Random = &mix
	}
	return ctx
}

// RunGeth executes txs with stock go-ethereum (core.ApplyTransaction, one after the
// other) on the state root in db, derives the receipts root and logs bloom as
// go-ethereum's block validation does (stored in h.ReceiptHash and h.Bloom; spn/evm
// returns them too), commits, and returns the root and receipts.
func (w *World) RunGeth(db state.Database, root common.Hash, h *types.Header, txs []*types.Transaction) (common.Hash, []*types.Receipt, error) {
	sdb, err := state.New(root, db)
	if err != nil {
		return common.Hash{}, nil, err
	}
	evm := vm.NewEVM(BlockContext(h), sdb, w.Config, vm.Config{})
	gp := new(core.GasPool).AddGas(h.GasLimit)
	var used uint64
	receipts := make([]*types.Receipt, len(txs))
	for i, tx := range txs {
		sdb.SetTxContext(tx.Hash(), i)
		r, err := core.ApplyTransaction(evm, gp, sdb, h, tx, &used)
		if err != nil {
			return common.Hash{}, nil, fmt.Errorf("tx %d: %w", i, err)
		}
		receipts[i] = r
	}
	h.ReceiptHash = types.DeriveSha(types.Receipts(receipts), trie.NewStackTrie(nil))
	h.Bloom = types.MergeBloom(receipts)
	newRoot, err := sdb.Commit(h.Number.Uint64(), true, w.Config.IsCancun(h.Number, h.Time))
	return newRoot, receipts, err
}
