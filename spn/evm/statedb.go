package evm

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"
)

// txState is the vm.StateDB of one transaction: go-ethereum's StateDB (journal,
// refunds, access list, transient storage, EIP-6780, logs) over a viewReader, with one
// change: the transaction fee credited to the block's beneficiary becomes a commutative
// delta when the transaction has not otherwise touched the beneficiary, so that
// transactions do not conflict on it. go-ethereum would load the account, add the fee
// and keep it (the fee is not zero, so the account is not empty); the delta has the
// same effect on the balance and the account's existence.
type txState struct {
	*state.StateDB
	r        *viewReader
	coinbase common.Address
	fee      uint256.Int // deferred fee credit (delta)
}

var _ vm.StateDB = (*txState)(nil)

// AddBalance implements vm.StateDB.
func (s *txState) AddBalance(addr common.Address, amount *uint256.Int, reason tracing.BalanceChangeReason) uint256.Int {
	if reason == tracing.BalanceIncreaseRewardTransactionFee && addr == s.coinbase && !amount.IsZero() {
		if _, loaded := s.r.accounts[addr]; !loaded {
			s.fee.Add(&s.fee, amount)
			return uint256.Int{}
		}
	}
	return s.StateDB.AddBalance(addr, amount, reason)
}

// CreateAccount implements vm.StateDB. go-ethereum always checks existence first, so
// the account is already recorded; reading it here keeps the record complete anyway.
func (s *txState) CreateAccount(addr common.Address) {
	if _, seen := s.r.accounts[addr]; !seen {
		_, _ = s.r.Account(addr)
	}
	s.StateDB.CreateAccount(addr)
}
