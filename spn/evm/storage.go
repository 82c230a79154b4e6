package evm

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/farolnet/farol/spn/exec"
)

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// baseStorage is the pre-block state as exec.Storage: the engine's keys answered from a
// go-ethereum state.Reader at the parent root. Accounts are cached for the block
// because every account key is read twice (balance and metadata).
type baseStorage struct {
	reader   state.Reader
	mu       sync.Mutex
	accounts map[common.Address]*types.StateAccount
	slots    map[slotID]common.Hash
}

func (e *Engine) baseStorage(root common.Hash, txs int) (*baseStorage, error) {
	r, err := e.db.Reader(root)
	if err != nil {
		return nil, fmt.Errorf("%w: state %x: %w", ErrState, root, err)
	}
	// Sized for about three accounts and three slots per transaction, so that the maps
	// do not rehash while the block runs.
	return &baseStorage{
		reader:   r,
		accounts: make(map[common.Address]*types.StateAccount, 3*txs),
		slots:    make(map[slotID]common.Hash, 3*txs),
	}, nil
}

func (s *baseStorage) account(addr common.Address) (*types.StateAccount, error) {
	s.mu.Lock()
	a, ok := s.accounts[addr]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := s.reader.Account(addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.accounts[addr] = a
	s.mu.Unlock()
	return a, nil
}

// Get implements exec.Storage.
func (s *baseStorage) Get(key string) ([]byte, error) {
	switch {
	case len(key) == addrKeyLen && (key[0] == tagBalance || key[0] == tagAccount):
		a, err := s.account(common.BytesToAddress([]byte(key[1:])))
		if err != nil || a == nil {
			return nil, err
		}
		if key[0] == tagBalance {
			return encodeBalance(exec.U256(*a.Balance)), nil
		}
		return encodeMeta(meta{nonce: a.Nonce, codeHash: common.BytesToHash(a.CodeHash), root: a.Root}), nil
	case len(key) == codeKeyLen && key[0] == tagCode:
		return s.reader.Code(common.Address{}, common.BytesToHash([]byte(key[1:])))
	case len(key) == slotKeyLen && key[0] == tagSlot:
		v, err := s.Storage(common.BytesToAddress([]byte(key[1:addrKeyLen])), common.BytesToHash([]byte(key[addrKeyLen:])))
		if err != nil {
			return nil, err
		}
		return encodeSlot(v), nil
	}
	return nil, fmt.Errorf("%w: key %x", ErrStateKey, key)
}

// The committing StateDB reads the parent state through baseStorage (state.Reader), so
// that the accounts and slots the block already loaded are not read from the trie again.
var _ state.Reader = (*baseStorage)(nil)

// Account implements state.StateReader (a copy of the cached account).
func (s *baseStorage) Account(addr common.Address) (*types.StateAccount, error) {
	a, err := s.account(addr)
	if err != nil || a == nil {
		return nil, err
	}
	return a.Copy(), nil
}

// Storage implements state.StateReader.
func (s *baseStorage) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	id := slotID{addr, slot}
	s.mu.Lock()
	v, ok := s.slots[id]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := s.reader.Storage(addr, slot)
	if err != nil {
		return common.Hash{}, err
	}
	s.mu.Lock()
	s.slots[id] = v
	s.mu.Unlock()
	return v, nil
}

// Code implements state.ContractCodeReader.
func (s *baseStorage) Code(addr common.Address, codeHash common.Hash) ([]byte, error) {
	return s.reader.Code(addr, codeHash)
}

// CodeSize implements state.ContractCodeReader.
func (s *baseStorage) CodeSize(addr common.Address, codeHash common.Hash) (int, error) {
	return s.reader.CodeSize(addr, codeHash)
}
