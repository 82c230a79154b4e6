// Package evmtest builds deterministic EVM test worlds and blocks for spn/evm: a
// genesis with funded accounts, ERC-20 tokens, Uniswap-V2-style pairs and a contract
// exercising nested calls, reverts, transient storage, logs and selfdestruct (Solidity
// sources in ../testdata/contracts, compiled by ../testdata/compile.sh), signed
// transactions of every supported type, and the reference execution by stock
// go-ethereum (core.ApplyTransaction). The differential tests and `farol-bench evm`
// use it.
package evmtest

import (
	"crypto/ecdsa"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

//go:embed contracts.json
var contractsJSON []byte

// Contract is one compiled contract.
type Contract struct {
	ABI      abi.ABI
	Bytecode []byte // init code
	Runtime  []byte
}

// Contracts are the compiled test contracts by name (Token, Pair, Misc, Child).
var Contracts = mustLoadContracts()

func mustLoadContracts() map[string]*Contract {
	var raw struct {
		Contracts map[string]struct {
			ABI      json.RawMessage `json:"abi"`
			Bytecode string          `json:"bytecode"`
			Runtime  string          `json:"runtime"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(contractsJSON, &raw); err != nil {
		panic(err)
	}
	out := make(map[string]*Contract)
	for name, c := range raw.Contracts {
		a, err := abi.JSON(strings.NewReader(string(c.ABI)))
		if err != nil {
			panic(err)
		}
		out[name] = &Contract{ABI: a, Bytecode: hexutil.MustDecode(c.Bytecode), Runtime: hexutil.MustDecode(c.Runtime)}
	}
	return out
}

// Pack encodes a call of contract's method.
func Pack(contract, method string, args ...any) []byte {
	b, err := Contracts[contract].ABI.Pack(method, args...)
	if err != nil {
		panic(fmt.Sprintf("pack %s.%s: %v", contract, method, err))
	}
	return b
}

// Fixed addresses of the world's contracts.
var (
	Token0Addr = common.HexToAddress("0x00000000000000000000000000000000000a0000")
	Token1Addr = common.HexToAddress("0x00000000000000000000000000000000000a0001")
	MiscAddr   = common.HexToAddress("0x00000000000000000000000000000000000b0000")
)

// PairAddr is the address of pair i.
func PairAddr(i int) common.Address {
	var a common.Address
	a[16] = 0x0c
	binary.BigEndian.PutUint16(a[18:], uint16(i))
	a[17] = byte(i >> 16)
	return a
}

// World is a genesis and the signing keys of its accounts. Nonces tracks the next
// nonce of each account as transactions are built.
type World struct {
	Config   *params.ChainConfig
	Keys     []*ecdsa.PrivateKey
	Addrs    []common.Address
	Nonces   []uint64
	Pairs    int
	Alloc    types.GenesisAlloc
	Coinbase common.Address
	signer   types.Signer
	index    map[common.Address]int
}

// Funding of every account.
var (
	EthFunding   = new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1e6))
	TokenFunding = new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1e9))
	PairReserve  = new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1e12))
	maxAllowance = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
)

// Key returns the deterministic private key of account i.
func Key(i int) *ecdsa.PrivateKey {
	seed := crypto.Keccak256([]byte(fmt.Sprintf("farol-evmtest-%d", i)))
	k, err := crypto.ToECDSA(seed)
	if err != nil {
		panic(err)
	}
	return k
}

func mappingSlot(key common.Hash, slot uint64) common.Hash {
	var buf [64]byte
	copy(buf[:32], key[:])
	binary.BigEndian.PutUint64(buf[56:], slot)
	return crypto.Keccak256Hash(buf[:])
}

func addrHash(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

// BalanceSlot is the storage slot of Token.balanceOf[a].
func BalanceSlot(a common.Address) common.Hash { return mappingSlot(addrHash(a), 0) }

// AllowanceSlot is the storage slot of Token.allowance[owner][spender].
func AllowanceSlot(owner, spender common.Address) common.Hash {
	inner := mappingSlot(addrHash(owner), 1)
	var buf [64]byte
	copy(buf[12:32], spender[:])
	copy(buf[32:], inner[:])
	return crypto.Keccak256Hash(buf[:])
}

// allPairsApproval bounds accounts*pairs for which every account approves every pair;
// in larger worlds account i approves only pair i%pairs (see ApprovedPair).
const allPairsApproval = 8192

// ApprovedPair returns a pair account i may swap on in any world.
func (w *World) ApprovedPair(i int) int { return i % w.Pairs }

// NewWorld returns a world with accounts funded with ETH and both tokens, approvals of
// the pairs (see allPairsApproval), and pairs with deep reserves.
func NewWorld(config *params.ChainConfig, accounts, pairs int) *World {
	w := &World{
		Config:   config,
		Pairs:    pairs,
		Alloc:    types.GenesisAlloc{},
		Coinbase: common.HexToAddress("0x00000000000000000000000000000000c0ffee00"),
		signer:   types.LatestSigner(config),
		index:    map[common.Address]int{},
	}
	tok0 := map[common.Hash]common.Hash{}
	tok1 := map[common.Hash]common.Hash{}
	supply := new(big.Int)
	for i := range accounts {
		k := Key(i)
		a := crypto.PubkeyToAddress(k.PublicKey)
		w.Keys = append(w.Keys, k)
		w.Addrs = append(w.Addrs, a)
		w.Nonces = append(w.Nonces, 0)
		w.index[a] = i
		w.Alloc[a] = types.Account{Balance: new(big.Int).Set(EthFunding)}
		tok0[BalanceSlot(a)] = common.BigToHash(TokenFunding)
		tok1[BalanceSlot(a)] = common.BigToHash(TokenFunding)
		for p := range pairs {
			if accounts*pairs > allPairsApproval && p != i%pairs {
				continue
			}
			tok0[AllowanceSlot(a, PairAddr(p))] = common.BigToHash(maxAllowance)
			tok1[AllowanceSlot(a, PairAddr(p))] = common.BigToHash(maxAllowance)
		}
		supply.Add(supply, TokenFunding)
	}
	for p := range pairs {
		pa := PairAddr(p)
		tok0[BalanceSlot(pa)] = common.BigToHash(PairReserve)
		tok1[BalanceSlot(pa)] = common.BigToHash(PairReserve)
		supply.Add(supply, PairReserve)
		w.Alloc[pa] = types.Account{
			Code:    Contracts["Pair"].Runtime,
			Nonce:   1,
			Balance: new(big.Int),
			Storage: map[common.Hash]common.Hash{
				{}:                              addrHash(Token0Addr),
				common.BigToHash(big.NewInt(1)): addrHash(Token1Addr),
				common.BigToHash(big.NewInt(2)): common.BigToHash(PairReserve),
				common.BigToHash(big.NewInt(3)): common.BigToHash(PairReserve),
			},
		}
	}
	tok0[common.BigToHash(big.NewInt(2))] = common.BigToHash(supply)
	tok1[common.BigToHash(big.NewInt(2))] = common.BigToHash(supply)
	w.Alloc[Token0Addr] = types.Account{Code: Contracts["Token"].Runtime, Nonce: 1, Balance: new(big.Int), Storage: tok0}
	w.Alloc[Token1Addr] = types.Account{Code: Contracts["Token"].Runtime, Nonce: 1, Balance: new(big.Int), Storage: tok1}
	w.Alloc[MiscAddr] = types.Account{Code: Contracts["Misc"].Runtime, Nonce: 1, Balance: big.NewInt(1e18)}
	return w
}

// Commit writes the world's genesis into db and returns its root.
func (w *World) Commit(db state.Database) (common.Hash, error) {
	sdb, err := state.New(types.EmptyRootHash, db)
	if err != nil {
		return common.Hash{}, err
	}
	for a, acc := range w.Alloc {
		sdb.SetBalance(a, uint256.MustFromBig(acc.Balance), tracing.BalanceChangeUnspecified)
		sdb.SetNonce(a, acc.Nonce, tracing.NonceChangeUnspecified)
		if len(acc.Code) > 0 {
			sdb.SetCode(a, acc.Code, tracing.CodeChangeUnspecified)
		}
		for k, v := range acc.Storage {
			sdb.SetState(a, k, v)
		}
	}
	root, err := sdb.Commit(0, true, false)
	if err != nil {
		return common.Hash{}, err
	}
	return root, db.TrieDB().Commit(root, false)
}

// Index returns the account index of a (or -1).
func (w *World) Index(a common.Address) int {
	if i, ok := w.index[a]; ok {
		return i
	}
	return -1
}
