package wasm

import (
	"encoding/binary"
	"sync"

	"github.com/farolnet/farol/spn/exec"
)

// State keys (README.md, "State"). Every key is one spn/exec location: one account
// field or one contract storage slot.
const (
	prefixBalance  = 'b' // b | address -> balance, 32-byte big-endian (numeric: fees are deltas)
	prefixNonce    = 'n' // n | address -> nonce, 8-byte big-endian
	prefixContract = 'h' // h | address -> code hash of the contract
	prefixCode     = 'c' // c | code hash -> instrumented module
	prefixStorage  = 's' // s | address | key -> value
)

// MaxStorageKey and MaxStorageValue bound one storage slot.
const (
	MaxStorageKey   = 64
	MaxStorageValue = 16 << 10
)

// BalanceKey returns the state key of addr's balance.
func BalanceKey(addr Address) string { return addrKey(prefixBalance, addr) }

// NonceKey returns the state key of addr's nonce.
func NonceKey(addr Address) string { return addrKey(prefixNonce, addr) }

// ContractKey returns the state key holding the code hash of the contract at addr.
func ContractKey(addr Address) string { return addrKey(prefixContract, addr) }

// CodeKey returns the state key of the code with this hash.
func CodeKey(hash [32]byte) string { return string(append([]byte{prefixCode}, hash[:]...)) }

// StorageKey returns the state key of a contract's storage slot.
func StorageKey(addr Address, key []byte) string {
	var buf [1 + 20 + 64]byte // slot keys are at most 64 bytes: one allocation, the string
	return string(appendStorageKey(buf[:0], addr, key))
}

// appendStorageKey appends the bytes of StorageKey(addr, slot) to b.
func appendStorageKey(b []byte, addr Address, slot []byte) []byte {
	b = append(b, prefixStorage)
	b = append(b, addr[:]...)
	return append(b, slot...)
}

// addrKey is prefix ‖ addr as a string, built with one allocation.
func addrKey(prefix byte, addr Address) string {
	b := addrKeyBytes(prefix, addr)
	return string(b[:])
}

// addrKeyBytes is prefix ‖ addr.
func addrKeyBytes(prefix byte, addr Address) (b [1 + 20]byte) {
	b[0] = prefix
	copy(b[1:], addr[:])
	return b
}

// EncodeBalance encodes an amount as stored under a balance key.
func EncodeBalance(v exec.U256) []byte { return exec.BigEndian32{}.EncodeNumeric(v) }

func encodeNonce(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// txState buffers one transaction's writes over its exec.View with a journal, so that a
// failed call (and everything it called) can be reverted. Writes reach the view only
// when the transaction ends (flush).
type txState struct {
	v        exec.View
	writes   map[string][]byte // nil value: deleted
	journal  []journalEntry
	events   []Event
	messages []Message

	// keys remembers the last state keys built (a transaction builds the same few
	// several times: a read, then a write), kept across the transactions a pooled
	// txState serves (a block's contract and beneficiary recur).
	keys    [8]string
	keysPos int
}

// key returns b as a string, one remembered if it equals b, else a new one it
// remembers.
func (s *txState) key(b []byte) string {
	for _, k := range s.keys {
		if k == string(b) {
			return k
		}
	}
	k := string(b)
	s.keys[s.keysPos] = k
	s.keysPos = (s.keysPos + 1) % len(s.keys)
	return k
}

// addrKey is the package's addrKey, through key.
func (s *txState) addrKey(prefix byte, addr Address) string {
	b := addrKeyBytes(prefix, addr)
	return s.key(b[:])
}

// storageKey is StorageKey, through key.
func (s *txState) storageKey(addr Address, slot []byte) string {
	var buf [1 + 20 + 64]byte
	return s.key(appendStorageKey(buf[:0], addr, slot))
}

type journalEntry struct {
	key  string
	prev []byte
	had  bool
}

type snapshot struct{ journal, events, messages int }

func newTxState(v exec.View) *txState {
	return &txState{v: v, writes: make(map[string][]byte, 8), journal: make([]journalEntry, 0, 16)}
}

// txStates recycles the buffers of finished transactions (a token transfer used to
// allocate its write map and grow its journal four times).
var txStates = sync.Pool{New: func() any { return newTxState(nil) }}

// Bounds on what a recycled txState keeps: a transaction that wrote many keys does not
// pin its big map and journal in the pool.
const (
	keptWrites  = 64
	keptJournal = 256
)

// getTxState returns an empty txState over v from the pool.
func getTxState(v exec.View) *txState {
	s := txStates.Get().(*txState)
	s.v = v
	return s
}

// release empties s and returns it to the pool. The events and messages went to the
// receipt and are not touched; s must not be used afterwards.
func (s *txState) release() {
	if len(s.writes) > keptWrites || cap(s.journal) > keptJournal {
		return
	}
	clear(s.writes)
	clear(s.journal[:cap(s.journal)])
	*s = txState{writes: s.writes, journal: s.journal[:0], keys: s.keys, keysPos: s.keysPos}
	txStates.Put(s)
}

func (s *txState) get(key string) ([]byte, error) {
	if w, ok := s.writes[key]; ok {
		return w, nil
	}
	return s.v.Read(key)
}

func (s *txState) set(key string, value []byte) {
	prev, had := s.writes[key]
	s.journal = append(s.journal, journalEntry{key, prev, had})
	if len(value) == 0 {
		value = nil
	}
	s.writes[key] = value
}

func (s *txState) balance(a Address) (exec.U256, error) {
	b, err := s.get(s.addrKey(prefixBalance, a))
	if err != nil {
		return exec.U256{}, err
	}
	return exec.U256FromBytes(b)
}

func (s *txState) setBalance(a Address, v exec.U256) {
	s.set(s.addrKey(prefixBalance, a), EncodeBalance(v))
}

// move transfers amount from -> to; false if from's balance is short.
func (s *txState) move(from, to Address, amount exec.U256) (bool, error) {
	if amount.IsZero() {
		return true, nil
	}
	fb, err := s.balance(from)
	if err != nil {
		return false, err
	}
	if fb.Cmp(amount) < 0 {
		return false, nil
	}
	s.setBalance(from, fb.Sub(amount))
	tb, err := s.balance(to)
	if err != nil {
		return false, err
	}
	s.setBalance(to, tb.Add(amount))
	return true, nil
}

func (s *txState) snapshot() snapshot {
	return snapshot{len(s.journal), len(s.events), len(s.messages)}
}

func (s *txState) revert(sn snapshot) {
	for i := len(s.journal) - 1; i >= sn.journal; i-- {
		j := s.journal[i]
		if j.had {
			s.writes[j.key] = j.prev
		} else {
			delete(s.writes, j.key)
		}
	}
	s.journal = s.journal[:sn.journal]
	s.events = s.events[:sn.events]
	s.messages = s.messages[:sn.messages]
}

// flush writes the buffered state to the view. Each key is written once, so the
// order does not matter.
func (s *txState) flush() {
	for k, v := range s.writes {
		s.v.Write(k, v)
	}
}
