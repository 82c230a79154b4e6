package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasmnode"
)

// Genesis is the SPN part of the genesis: it is the app_state of CometBFT's genesis
// file, so InitChain receives it. The CometBFT chain id is the SPN's chain id.
//
// An EVM SPN uses evm_chain_id and base_fee; a Wasm SPN uses wasm_chain_id and
// min_gas_price (and allocations of balance and nonce only).
type Genesis struct {
	VM            string                          `json:"vm"`                      // "evm" or "wasm"
	EVMChainID    uint64                          `json:"evm_chain_id,omitempty"`  // EIP-155 chain id
	WasmChainID   uint64                          `json:"wasm_chain_id,omitempty"` // chain id of Wasm transactions
	BlockGasLimit uint64                          `json:"block_gas_limit"`         // gas limit of every block
	BaseFee       *hexutil.Big                    `json:"base_fee,omitempty"`      // EVM: constant base fee (wei)
	MinGasPrice   uint64                          `json:"min_gas_price,omitempty"` // Wasm: lowest gas price CheckTx admits
	Alloc         map[common.Address]GenesisAlloc `json:"alloc,omitempty"`         // initial accounts
}

// GenesisAlloc is one initial account.
type GenesisAlloc struct {
	Balance *hexutil.Big                `json:"balance"`
	Nonce   uint64                      `json:"nonce,omitempty"`
	Code    hexutil.Bytes               `json:"code,omitempty"`
	Storage map[common.Hash]common.Hash `json:"storage,omitempty"`
}

// The virtual machines an SPN can run (Genesis.VM).
const (
	VMEVM  = "evm"
	VMWasm = "wasm"
)

// Defaults of a new SPN.
const (
	DefaultBlockGasLimit = 60_000_000
	DefaultBaseFee       = 1_000_000_000 // 1 gwei
	DefaultTip           = 1_000_000_000 // suggested priority fee (eth_gasPrice = base fee + tip)
)

// Defaults of a new Wasm SPN: the block gas limit fits the upload of a module of
// the largest size (wasm.MaxTxData, 26 gas per byte).
const (
	DefaultWasmBlockGasLimit = 150_000_000
	DefaultWasmMinGasPrice   = 1
)

// Validate checks a genesis.
func (g *Genesis) Validate() error {
	switch g.VM {
	case VMEVM:
	case VMWasm:
		return g.validateWasm()
	default:
		return fmt.Errorf("genesis: vm %q not supported (evm, wasm)", g.VM)
	}
	if g.EVMChainID == 0 {
		return errors.New("genesis: evm_chain_id is zero")
	}
	if g.BlockGasLimit < 21_000 {
		return fmt.Errorf("genesis: block_gas_limit %d too small", g.BlockGasLimit)
	}
	if g.BaseFee == nil || g.BaseFee.ToInt().Sign() < 0 {
		return errors.New("genesis: base_fee missing or negative")
	}
	for a, acc := range g.Alloc {
		if acc.Balance == nil || acc.Balance.ToInt().Sign() < 0 || acc.Balance.ToInt().BitLen() > 256 {
			return fmt.Errorf("genesis: bad balance of %s", a)
		}
	}
	return nil
}

// ParseGenesis decodes and validates app_state bytes.
func ParseGenesis(b []byte) (*Genesis, error) {
	var g Genesis
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// commitAlloc writes the allocations into a new state and returns its root
// (addresses and slots in sorted order: no map order reaches the state).
func (g *Genesis) commitAlloc(db state.Database) (common.Hash, error) {
	sdb, err := state.New(types.EmptyRootHash, db)
	if err != nil {
		return common.Hash{}, err
	}
	addrs := make([]common.Address, 0, len(g.Alloc))
	for a := range g.Alloc {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Cmp(addrs[j]) < 0 })
	for _, a := range addrs {
		acc := g.Alloc[a]
		bal, _ := uint256.FromBig(acc.Balance.ToInt())
		sdb.CreateAccount(a)
		sdb.SetBalance(a, bal, tracing.BalanceChangeUnspecified)
		sdb.SetNonce(a, acc.Nonce, tracing.NonceChangeUnspecified)
		if len(acc.Code) > 0 {
			sdb.SetCode(a, acc.Code, tracing.CodeChangeUnspecified)
		}
		slots := make([]common.Hash, 0, len(acc.Storage))
		for k := range acc.Storage {
			slots = append(slots, k)
		}
		sort.Slice(slots, func(i, j int) bool { return slots[i].Cmp(slots[j]) < 0 })
		for _, k := range slots {
			sdb.SetState(a, k, acc.Storage[k])
		}
	}
	return sdb.Commit(0, true, false)
}

func bigOf(v uint64) *hexutil.Big { return (*hexutil.Big)(new(big.Int).SetUint64(v)) }

// DefaultGenesis returns the genesis of a new EVM SPN without allocations.
func DefaultGenesis(evmChainID uint64) Genesis {
	return Genesis{VM: VMEVM, EVMChainID: evmChainID, BlockGasLimit: DefaultBlockGasLimit,
		BaseFee: bigOf(DefaultBaseFee), Alloc: map[common.Address]GenesisAlloc{}}
}

// DefaultWasmGenesis returns the genesis of a new Wasm SPN without allocations.
func DefaultWasmGenesis(wasmChainID uint64) Genesis {
	return Genesis{VM: VMWasm, WasmChainID: wasmChainID, BlockGasLimit: DefaultWasmBlockGasLimit,
		MinGasPrice: DefaultWasmMinGasPrice, Alloc: map[common.Address]GenesisAlloc{}}
}

func (g *Genesis) validateWasm() error {
	if g.WasmChainID == 0 {
		return errors.New("genesis: wasm_chain_id is zero")
	}
	if g.EVMChainID != 0 || g.BaseFee != nil {
		return errors.New("genesis: evm_chain_id and base_fee are EVM settings (vm is wasm)")
	}
	if g.BlockGasLimit < wasm.TxBaseGas {
		return fmt.Errorf("genesis: block_gas_limit %d too small", g.BlockGasLimit)
	}
	for a, acc := range g.Alloc {
		if acc.Balance == nil || acc.Balance.ToInt().Sign() < 0 || acc.Balance.ToInt().BitLen() > 256 {
			return fmt.Errorf("genesis: bad balance of %s", a)
		}
		if len(acc.Code) > 0 || len(acc.Storage) > 0 {
			return fmt.Errorf("genesis: %s: code and storage allocations are not supported on a Wasm SPN", a)
		}
	}
	return nil
}

// wasmGenesis converts a Wasm SPN genesis for spn/wasmnode (accounts sorted).
func (g *Genesis) wasmGenesis() *wasmnode.Genesis {
	w := &wasmnode.Genesis{ChainID: g.WasmChainID, BlockGasLimit: g.BlockGasLimit, MinGasPrice: g.MinGasPrice}
	for a, acc := range g.Alloc {
		w.Alloc = append(w.Alloc, wasmnode.Account{Address: wasm.Address(a), Balance: exec.U256FromBig(acc.Balance.ToInt()), Nonce: acc.Nonce})
	}
	sort.Slice(w.Alloc, func(i, j int) bool {
		return string(w.Alloc[i].Address[:]) < string(w.Alloc[j].Address[:])
	})
	return w
}
