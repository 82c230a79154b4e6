package evm

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/mpt"
)

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// baseStorage is the pre-block state as exec.Storage: the engine's keys answered from
// the tries at the parent root. Accounts are cached for the block because every
// account key is read twice (balance and metadata); slots are cached for the commit.
//
// go-ethereum's trie reader serializes every read behind one lock (a trie resolves
// nodes into itself as it reads, so it is not safe for concurrent use). Here each
// reading goroutine takes its own set of tries from a free list, so the workers read
// in parallel; the sets are independent copies over the same trie database.
type baseStorage struct {
	db     state.Database
	root   common.Hash
	code   state.Reader // contract code (go-ethereum's cached code reader)
	freeMu sync.Mutex
	free   []*trieSet

	mu       sync.Mutex
	accounts map[common.Address]*types.StateAccount
	slots    map[slotID]common.Hash

	mem *MemState
	ver *mpt.Trie
}

// trieSet is one goroutine's tries: the account trie and the storage tries opened
// so far.
type trieSet struct {
	account state.Trie
	storage map[common.Address]state.Trie
}

func (e *Engine) baseStorage(root common.Hash, txs int) (*baseStorage, error) {
	var (
		r   state.Reader
		ver *mpt.Trie // the parent version, when the engine is over a MemState
		err error
	)
	if e.mem != nil {
		if ver, err = e.mem.version(root); err != nil {
			return nil, err
		}
		r = &memReader{m: e.mem, v: ver}
	} else if r, err = e.db.Reader(root); err != nil {
		return nil, fmt.Errorf("%w: state %x: %w", ErrState, root, err)
	}
	// Sized for about three accounts and three slots per transaction, so that the maps
	// do not rehash while the block runs.
	return &baseStorage{
		db:       e.db,
		root:     root,
		code:     r,
		accounts: make(map[common.Address]*types.StateAccount, 3*txs),
		slots:    make(map[slotID]common.Hash, 3*txs),
		mem:      e.mem,
		ver:      ver,
	}, nil
}

func (s *baseStorage) getTries() (*trieSet, error) {
	s.freeMu.Lock()
	if n := len(s.free); n > 0 {
		t := s.free[n-1]
		s.free = s.free[:n-1]
		s.freeMu.Unlock()
		return t, nil
	}
	s.freeMu.Unlock()
	tr, err := s.db.OpenTrie(s.root)
	if err != nil {
		return nil, err
	}
	return &trieSet{account: tr, storage: make(map[common.Address]state.Trie)}, nil
}

// takeTries hands the trie sets, with the nodes the block's reads resolved, to the
// commit; later reads open new sets.
func (s *baseStorage) takeTries() []*trieSet {
	s.freeMu.Lock()
	defer s.freeMu.Unlock()
	sets := s.free
	s.free = nil
	return sets
}

func (s *baseStorage) putTries(t *trieSet) {
	s.freeMu.Lock()
	s.free = append(s.free, t)
	s.freeMu.Unlock()
}

func (s *baseStorage) account(addr common.Address) (*types.StateAccount, error) {
	s.mu.Lock()
	a, ok := s.accounts[addr]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	var err error
	if s.ver != nil {
		a, err = memAccount(s.ver, addr)
	} else {
		var t *trieSet
		if t, err = s.getTries(); err != nil {
			return nil, err
		}
		a, err = t.account.GetAccount(addr)
		s.putTries(t)
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.accounts[addr] = a
	s.mu.Unlock()
	return a, nil
}

// readSlot reads a slot from the tries (no cache).
func (s *baseStorage) readSlot(addr common.Address, slot common.Hash) (common.Hash, error) {
	a, err := s.account(addr)
	if err != nil || a == nil || a.Root == types.EmptyRootHash {
		return common.Hash{}, err
	}
	if s.ver != nil {
		return memSlot(s.ver, s.mem, addr, a.Root, slot)
	}
	t, err := s.getTries()
	if err != nil {
		return common.Hash{}, err
	}
	defer s.putTries(t)
	st := t.storage[addr]
	if st == nil {
		if st, err = s.db.OpenStorageTrie(s.root, addr, a.Root, t.account); err != nil {
			return common.Hash{}, err
		}
		t.storage[addr] = st
	}
	enc, err := st.GetStorage(addr, slot[:])
	if err != nil {
		return common.Hash{}, err
	}
	var v common.Hash
	v.SetBytes(enc)
	return v, nil
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
		return s.code.Code(common.Address{}, common.BytesToHash([]byte(key[1:])))
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
	v, err := s.readSlot(addr, slot)
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
	return s.code.Code(addr, codeHash)
}

// CodeSize implements state.ContractCodeReader.
func (s *baseStorage) CodeSize(addr common.Address, codeHash common.Hash) (int, error) {
	return s.code.CodeSize(addr, codeHash)
}
