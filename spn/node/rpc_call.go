package node

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/tracers/logger"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
)

// Limits of eth_call and eth_estimateGas.
const (
	// CallGasCap is the most gas an eth_call or eth_estimateGas runs with (it is
	// also capped by the block's gas limit).
	CallGasCap = 50_000_000
	// CallTimeout bounds the EVM time of one eth_call (and of one eth_estimateGas run).
	CallTimeout = 5 * time.Second
	// estimateErrorRatio is the relative error at which eth_estimateGas' binary
	// search stops (the answer is always enough gas, at most this much above the
	// least sufficient limit).
	estimateErrorRatio = 0.015
)

// CallArgs are the arguments of eth_call and eth_estimateGas (a transaction
// without signature; every field optional).
type CallArgs struct {
	From                 *common.Address              `json:"from"`
	To                   *common.Address              `json:"to"`
	Gas                  *hexutil.Uint64              `json:"gas"`
	GasPrice             *hexutil.Big                 `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big                 `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.Big                 `json:"maxPriorityFeePerGas"`
	Value                *hexutil.Big                 `json:"value"`
	Nonce                *hexutil.Uint64              `json:"nonce"`
	Data                 *hexutil.Bytes               `json:"data"`
	Input                *hexutil.Bytes               `json:"input"`
	AccessList           *types.AccessList            `json:"accessList"`
	ChainID              *hexutil.Big                 `json:"chainId"`
	AuthorizationList    []types.SetCodeAuthorization `json:"authorizationList"`
	BlobHashes           []common.Hash                `json:"blobVersionedHashes"`
	MaxFeePerBlobGas     *hexutil.Big                 `json:"maxFeePerBlobGas"`
}

// message converts the arguments to a core.Message with gas limit gas (nonce and
// EOA checks off, as for any eth_call); baseFee is the block's.
func (a *CallArgs) message(chainID, baseFee *big.Int, gas uint64) (*core.Message, error) {
	if a.GasPrice != nil && (a.MaxFeePerGas != nil || a.MaxPriorityFeePerGas != nil) {
		return nil, errors.New("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
	}
	if a.ChainID != nil && a.ChainID.ToInt().Cmp(chainID) != 0 {
		return nil, fmt.Errorf("chainId does not match node's (have=%v, want=%v)", a.ChainID.ToInt(), chainID)
	}
	if len(a.BlobHashes) > 0 || a.MaxFeePerBlobGas != nil {
		return nil, errors.New("blob transactions are not supported on an SPN")
	}
	var data []byte
	switch {
	case a.Input != nil && a.Data != nil && string(*a.Input) != string(*a.Data):
		return nil, errors.New(`both "data" and "input" are set and not equal. Please use "input" to pass transaction call data`)
	case a.Input != nil:
		data = *a.Input
	case a.Data != nil:
		data = *a.Data
	}
	msg := &core.Message{
		To: a.To, Value: new(big.Int), GasLimit: gas, Data: data,
		SetCodeAuthorizations: a.AuthorizationList,
		SkipNonceChecks:       true, SkipTransactionChecks: true,
	}
	if a.From != nil {
		msg.From = *a.From
	}
	if a.Value != nil {
		msg.Value = new(big.Int).Set(a.Value.ToInt())
	}
	if a.Nonce != nil {
		msg.Nonce = uint64(*a.Nonce)
	}
	if a.AccessList != nil {
		msg.AccessList = *a.AccessList
	}
	if a.GasPrice != nil {
		p := a.GasPrice.ToInt()
		msg.GasPrice, msg.GasFeeCap, msg.GasTipCap = new(big.Int).Set(p), new(big.Int).Set(p), new(big.Int).Set(p)
		return msg, nil
	}
	msg.GasFeeCap, msg.GasTipCap, msg.GasPrice = new(big.Int), new(big.Int), new(big.Int)
	if a.MaxFeePerGas != nil {
		msg.GasFeeCap.Set(a.MaxFeePerGas.ToInt())
	}
	if a.MaxPriorityFeePerGas != nil {
		msg.GasTipCap.Set(a.MaxPriorityFeePerGas.ToInt())
	}
	if msg.GasFeeCap.Sign() > 0 || msg.GasTipCap.Sign() > 0 {
		// Effective price: min(tip + base fee, fee cap).
		msg.GasPrice.Add(msg.GasTipCap, baseFee)
		if msg.GasPrice.Cmp(msg.GasFeeCap) > 0 {
			msg.GasPrice.Set(msg.GasFeeCap)
		}
	}
	return msg, nil
}

// AccountOverride replaces parts of an account for one eth_call / eth_estimateGas.
type AccountOverride struct {
	Nonce     *hexutil.Uint64             `json:"nonce"`
	Code      *hexutil.Bytes              `json:"code"`
	Balance   *hexutil.Big                `json:"balance"`
	State     map[common.Hash]common.Hash `json:"state"`
	StateDiff map[common.Hash]common.Hash `json:"stateDiff"`
}

// StateOverride maps accounts to their overrides (eth_call's third parameter).
type StateOverride map[common.Address]AccountOverride

func (o StateOverride) apply(s *state.StateDB) error {
	for addr, acc := range o {
		if acc.State != nil && acc.StateDiff != nil {
			return fmt.Errorf("account %s has both 'state' and 'stateDiff'", addr.Hex())
		}
		if acc.Nonce != nil {
			s.SetNonce(addr, uint64(*acc.Nonce), tracing.NonceChangeUnspecified)
		}
		if acc.Code != nil {
			s.SetCode(addr, *acc.Code, tracing.CodeChangeUnspecified)
		}
		if acc.Balance != nil {
			b, overflow := uint256.FromBig(acc.Balance.ToInt())
			if overflow || acc.Balance.ToInt().Sign() < 0 {
				return fmt.Errorf("account %s: balance out of range", addr.Hex())
			}
			s.SetBalance(addr, b, tracing.BalanceChangeUnspecified)
		}
		if acc.State != nil {
			s.SetStorage(addr, acc.State)
		}
		for k, v := range acc.StateDiff {
			s.SetState(addr, k, v)
		}
	}
	s.Finalise(false)
	return nil
}

// RevertError is the error of a call that reverted: "execution reverted" (with the
// reason of an Error(string) revert appended), JSON-RPC code 3 and the revert data
// (hex) as the error's data, as go-ethereum reports it.
type RevertError struct {
	msg  string
	data string
}

func newRevertError(data []byte) *RevertError {
	msg := vm.ErrExecutionReverted.Error()
	if reason, err := abi.UnpackRevert(data); err == nil {
		msg += ": " + reason
	}
	return &RevertError{msg: msg, data: hexutil.Encode(data)}
}

// Error implements error.
func (e *RevertError) Error() string { return e.msg }

// ErrorCode implements rpc.Error (3, as go-ethereum).
func (e *RevertError) ErrorCode() int { return 3 }

// ErrorData implements rpc.DataError: the revert data, hex encoded.
func (e *RevertError) ErrorData() any { return e.data }

// callEnv is the pre-state and block context a call runs in.
type callEnv struct {
	header *types.Header
	state  *state.StateDB
	gasCap uint64
}

// cappedMessage is the message of args in env with its gas limited to the call gas
// cap (eth_call, eth_createAccessList).
func (e *EthAPI) cappedMessage(env *callEnv, args *CallArgs) (*core.Message, error) {
	gas := env.gasCap
	if args.Gas != nil && uint64(*args.Gas) < gas {
		gas = uint64(*args.Gas)
	}
	return args.message(e.app.config.ChainID, env.header.BaseFee, gas)
}

// callEnvAt opens the state after block bnh with the overrides applied.
func (e *EthAPI) callEnvAt(bnh *rpc.BlockNumberOrHash, overrides *StateOverride) (*callEnv, error) {
	at := rpc.BlockNumberOrHashWithNumber(rpc.LatestBlockNumber)
	if bnh != nil {
		at = *bnh
	}
	h, err := e.headerAt(at)
	if err != nil {
		return nil, err
	}
	s, err := e.app.stateOf(h)
	if err != nil {
		return nil, err
	}
	if overrides != nil {
		if err := overrides.apply(s); err != nil {
			return nil, err
		}
	}
	gasCap := uint64(CallGasCap)
	if h.GasLimit > 0 && h.GasLimit < gasCap {
		gasCap = h.GasLimit
	}
	return &callEnv{header: h, state: s, gasCap: gasCap}, nil
}

// blockContext is the EVM block context of a call on top of block h: h's
// coinbase, number, time, gas limit, base fee and PREVRANDAO, BLOCKHASH from the
// store (as spn/evm executes blocks).
func (e *EthAPI) blockContext(h *types.Header) vm.BlockContext {
	ctx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash: func(n uint64) common.Hash {
			hd, err := e.app.st.header(n)
			if err != nil {
				return common.Hash{}
			}
			return hd.Hash()
		},
		Coinbase:    h.Coinbase,
		GasLimit:    h.GasLimit,
		BlockNumber: new(big.Int).Set(h.Number),
		Time:        h.Time,
		Difficulty:  new(big.Int),
		BaseFee:     new(big.Int),
	}
	if h.BaseFee != nil {
		ctx.BaseFee.Set(h.BaseFee)
	}
	if h.ExcessBlobGas != nil {
		ctx.BlobBaseFee = eip4844.CalcBlobFee(e.app.config, h)
	}
	mix := h.MixDigest
	ctx.Random = &mix
	return ctx
}

// run applies msg to a copy of env's state. A nil result with an error is a
// failure unrelated to the EVM's execution (fees, intrinsic gas, state read).
func (e *EthAPI) run(ctx context.Context, env *callEnv, msg *core.Message) (*core.ExecutionResult, error) {
	return e.runTraced(ctx, env, msg, nil)
}

// runTraced is run with tracing hooks (nil: none).
func (e *EthAPI) runTraced(ctx context.Context, env *callEnv, msg *core.Message, hooks *tracing.Hooks) (*core.ExecutionResult, error) {
	bctx := e.blockContext(env.header)
	if msg.GasPrice.Sign() == 0 {
		bctx.BaseFee = new(big.Int) // a call without fees may run below the base fee
	}
	s := env.state.Copy()
	evm := vm.NewEVM(bctx, s, e.app.config, vm.Config{NoBaseFee: true, Tracer: hooks})
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			evm.Cancel()
		case <-done:
		}
	}()
	res, err := core.ApplyMessage(evm, msg, new(core.GasPool).AddGas(math.MaxUint64))
	if serr := s.Error(); serr != nil {
		return nil, serr
	}
	if evm.Cancelled() {
		return nil, fmt.Errorf("execution aborted (timeout = %v)", CallTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("err: %w (supplied gas %d)", err, msg.GasLimit)
	}
	return res, nil
}

// Call runs a message on the state after a block (default latest) without creating
// a transaction and returns its output; a revert is a RevertError.
func (e *EthAPI) Call(ctx context.Context, args CallArgs, bnh *rpc.BlockNumberOrHash, overrides *StateOverride) (hexutil.Bytes, error) {
	env, err := e.callEnvAt(bnh, overrides)
	if err != nil {
		return nil, err
	}
	msg, err := e.cappedMessage(env, &args)
	if err != nil {
		return nil, err
	}
	res, err := e.run(ctx, env, msg)
	if err != nil {
		return nil, err
	}
	if errors.Is(res.Err, vm.ErrExecutionReverted) {
		return nil, newRevertError(res.Revert())
	}
	return res.Return(), res.Err
}

// EstimateGas returns a gas limit with which the message succeeds on the state
// after a block (default latest): a binary search between the gas the message uses
// and the highest limit allowed (the call's gas, the block's gas limit, the call
// gas cap and what the sender's balance pays for). A message that fails whatever
// the gas gives its error (a revert is a RevertError).
func (e *EthAPI) EstimateGas(ctx context.Context, args CallArgs, bnh *rpc.BlockNumberOrHash, overrides *StateOverride) (hexutil.Uint64, error) {
	env, err := e.callEnvAt(bnh, overrides)
	if err != nil {
		return 0, err
	}
	msg, err := args.message(e.app.config.ChainID, env.header.BaseFee, 0)
	if err != nil {
		return 0, err
	}
	hi := env.header.GasLimit
	if args.Gas != nil && uint64(*args.Gas) >= params.TxGas {
		hi = uint64(*args.Gas)
	}
	if hi > env.gasCap {
		hi = env.gasCap
	}
	// The sender must pay for hi gas at the fee cap (after the value).
	if fee := msg.GasFeeCap; fee.Sign() > 0 {
		avail := env.state.GetBalance(msg.From).ToBig()
		if msg.Value.Cmp(avail) >= 0 {
			return 0, core.ErrInsufficientFundsForTransfer
		}
		avail.Sub(avail, msg.Value)
		if most := new(big.Int).Div(avail, fee); most.IsUint64() && most.Uint64() < hi {
			hi = most.Uint64()
		}
	}
	// try runs the message with gas limit g: failed reports a failure that more gas
	// might fix; err a failure that it cannot.
	try := func(g uint64) (failed bool, res *core.ExecutionResult, err error) {
		msg.GasLimit = g
		res, err = e.run(ctx, env, msg)
		if err != nil {
			if errors.Is(err, core.ErrIntrinsicGas) || errors.Is(err, core.ErrFloorDataGas) {
				return true, nil, nil
			}
			return true, nil, err
		}
		return res.Failed(), res, nil
	}
	// A plain transfer to an account without code needs exactly the intrinsic gas.
	if len(msg.Data) == 0 && msg.To != nil && len(msg.SetCodeAuthorizations) == 0 && env.state.GetCodeSize(*msg.To) == 0 {
		if failed, _, err := try(params.TxGas); err == nil && !failed {
			return hexutil.Uint64(params.TxGas), nil
		}
	}
	failed, res, err := try(hi)
	if err != nil {
		return 0, err
	}
	if failed {
		if res != nil && !errors.Is(res.Err, vm.ErrOutOfGas) {
			if errors.Is(res.Err, vm.ErrExecutionReverted) {
				return 0, newRevertError(res.Revert())
			}
			return 0, res.Err
		}
		return 0, fmt.Errorf("gas required exceeds allowance (%d)", hi)
	}
	// The gas used at hi is a lower bound (below it the message runs out of gas,
	// except for code that inspects the gas left); most messages succeed with
	// their peak use plus the call stipend and the 63/64 reserve: try that first.
	lo := res.UsedGas - 1
	if guess := (res.MaxUsedGas + params.CallStipend) * 64 / 63; guess < hi {
		failed, _, err := try(guess)
		if err != nil {
			return 0, err
		}
		if failed {
			lo = guess
		} else {
			hi = guess
		}
	}
	for lo+1 < hi {
		if float64(hi-lo)/float64(hi) < estimateErrorRatio {
			break
		}
		mid := lo + (hi-lo)/2
		if lo > 0 && mid > 2*lo {
			mid = 2 * lo // most messages need little more than they use: search low first
		}
		failed, _, err := try(mid)
		if err != nil {
			return 0, err
		}
		if failed {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hexutil.Uint64(hi), nil
}

// AccessListResult is eth_createAccessList's answer: the access list, the gas the
// message used with it, and the message's failure if it failed.
type AccessListResult struct {
	AccessList *types.AccessList `json:"accessList"`
	Error      string            `json:"error,omitempty"`
	GasUsed    hexutil.Uint64    `json:"gasUsed"`
}

// maxAccessListRounds bounds eth_createAccessList's fixed-point iteration.
const maxAccessListRounds = 16

// CreateAccessList returns the accounts and storage slots a message touches
// (sender, recipient and precompiles left out) as an EIP-2930 access list, running
// it until the list is stable (an access list changes gas, hence possibly paths).
func (e *EthAPI) CreateAccessList(ctx context.Context, args CallArgs, bnh *rpc.BlockNumberOrHash, overrides *StateOverride) (*AccessListResult, error) {
	env, err := e.callEnvAt(bnh, overrides)
	if err != nil {
		return nil, err
	}
	msg, err := e.cappedMessage(env, &args)
	if err != nil {
		return nil, err
	}
	if args.Nonce == nil {
		msg.Nonce = env.state.GetNonce(msg.From)
	}
	to := crypto.CreateAddress(msg.From, msg.Nonce)
	if msg.To != nil {
		to = *msg.To
	}
	exclude := map[common.Address]struct{}{msg.From: {}, to: {}}
	rules := e.app.config.Rules(env.header.Number, true, env.header.Time)
	for _, a := range vm.ActivePrecompiles(rules) {
		exclude[a] = struct{}{}
	}
	list := msg.AccessList
	if list == nil {
		list = types.AccessList{}
	}
	for round := 0; ; round++ {
		prev := logger.NewAccessListTracer(list, exclude)
		tracer := logger.NewAccessListTracer(list, exclude)
		msg.AccessList = list
		res, err := e.runTraced(ctx, env, msg, tracer.Hooks())
		if err != nil {
			return nil, err
		}
		if tracer.Equal(prev) || round == maxAccessListRounds {
			out := &AccessListResult{AccessList: &list, GasUsed: hexutil.Uint64(res.UsedGas)}
			if res.Err != nil {
				out.Error = res.Err.Error()
			}
			return out, nil
		}
		list = tracer.AccessList()
	}
}
