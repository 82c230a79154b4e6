package evm

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie/utils"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/exec"
)

// txState is the vm.StateDB of one transaction on the parallel path. It reads the
// transaction's exec.View field by field (an account's metadata and balance, each
// storage slot, code by hash), keeps the transaction's changes in flat per-account and
// per-slot records with a journal, and at the end writes to the view only what
// changed.
//
// Its semantics are go-ethereum v1.16.9's state.StateDB restricted to one
// transaction, method by method: the same journal entries and the same "dirty"
// accounting (including the RIPEMD touch quirk), EIP-161 deletion of empty dirty
// accounts and self-destructed accounts at Finalise, EIP-6780 (only a contract
// created in the transaction is destroyed), refunds, transient storage, access lists
// and logs. go-ethereum's StateDB is not used because building one per transaction
// (objects, maps, a keccak of every address, interface journal entries) cost more
// than the EVM work of a token transfer; the differential test and the Ethereum
// state tests compare this type against it.
//
// One deliberate difference: the transaction fee credited to the block's beneficiary
// becomes a commutative delta when the transaction has not otherwise touched the
// beneficiary, so that transactions do not conflict on it. go-ethereum would load
// the account, add the fee and keep it (the fee is not zero, so the account is not
// empty); the delta has the same effect on the balance and the account's existence.
//
// A txState is reused from transaction to transaction by one worker (reset).
type txState struct {
	v        exec.View
	err      error // first View or consistency error
	coinbase common.Address
	fee      uint256.Int // deferred fee credit (delta)
	thash    common.Hash
	txIndex  int

	accIdx  map[common.Address]int32
	accs    []account
	slotIdx map[slotID]int32
	slots   []slotEntry

	journal   []jentry
	revisions []revision
	nextRev   int
	refund    uint64
	logs      []*types.Log

	transient map[slotID]common.Hash
	alAddrs   map[common.Address]struct{}
	alSlots   map[slotID]struct{}
}

var _ vm.StateDB = (*txState)(nil)

// origAccount is an account as the transaction first read it from the view.
type origAccount struct {
	exists      bool
	metaPresent bool
	balance     exec.U256
	meta        meta
}

type slotID struct {
	addr common.Address
	slot common.Hash
}

// account is one account the transaction looked up: its original fields and its
// live object (go-ethereum's stateObject).
type account struct {
	addr common.Address
	orig origAccount

	live    bool // go-ethereum: the address is in stateObjects
	deleted bool // removed by Finalise (self-destructed or empty)
	// mutated: Finalise found the account dirty (go-ethereum's mutations); only
	// mutated accounts are written back, as go-ethereum commits only those.
	mutated bool
	// balance is never modified in place (a change installs a new value), so the
	// pointer GetBalance returns keeps the value it had, as go-ethereum's does.
	balance        *uint256.Int
	nonce          uint64
	codeHash       common.Hash
	root           common.Hash
	code           []byte
	codeLoaded     bool
	selfDestructed bool
	newContract    bool
	dirty          int32 // go-ethereum's journal.dirties count
}

func (a *account) empty() bool {
	return a.nonce == 0 && a.balance.IsZero() && a.codeHash == types.EmptyCodeHash
}

// slotEntry is one storage slot the transaction read or wrote.
type slotEntry struct {
	id   slotID
	acct int32
	orig common.Hash // value at the start of the transaction (go-ethereum: committed)
	cur  common.Hash
}

type jkind uint8

const (
	jCreateObject jkind = iota
	jCreateContract
	jSelfDestruct
	jBalance
	jNonce
	jCode
	jStorage
	jTransient
	jRefund
	jLog
	jTouch
	jALAddr
	jALSlot
)

// jentry is one journal entry (go-ethereum's journalEntry types as one struct, so
// that appending does not allocate).
type jentry struct {
	kind jkind
	acct int32 // account index for the entries that dirty an account, else -1
	slot int32 // slot index (jStorage)
	u64  uint64
	bal  *uint256.Int
	hash common.Hash
	code []byte
	id   slotID // transient storage and access-list entries
}

type revision struct {
	id  int
	idx int
}

// ripemd is the RIPEMD-160 precompile, whose touch survives a revert in
// go-ethereum's journal (the mainnet block 1714175 quirk).
var ripemd = common.BytesToAddress([]byte{3})

func newTxState() *txState {
	return &txState{
		accIdx:    make(map[common.Address]int32, 8),
		slotIdx:   make(map[slotID]int32, 8),
		transient: make(map[slotID]common.Hash),
		alAddrs:   make(map[common.Address]struct{}, 32),
		alSlots:   make(map[slotID]struct{}, 8),
	}
}

// reset prepares s for a transaction over view v.
func (s *txState) reset(v exec.View, coinbase common.Address, thash common.Hash, txIndex int) {
	s.v, s.err, s.coinbase, s.thash, s.txIndex = v, nil, coinbase, thash, txIndex
	s.fee.Clear()
	clear(s.accIdx)
	clear(s.accs)
	s.accs = s.accs[:0]
	clear(s.slotIdx)
	s.slots = s.slots[:0]
	clear(s.journal)
	s.journal = s.journal[:0]
	s.revisions = s.revisions[:0]
	s.nextRev, s.refund = 0, 0
	s.logs = nil
	clear(s.transient)
	clear(s.alAddrs)
	clear(s.alSlots)
}

func (s *txState) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// load reads an account's fields from the view.
func (s *txState) load(addr common.Address) origAccount {
	var o origAccount
	o.meta = emptyMeta()
	raw, err := s.v.Read(accountKey(addr))
	if err != nil {
		s.fail(err)
		return o
	}
	bal, err := s.v.ReadNumeric(balanceKey(addr))
	if err != nil {
		s.fail(err)
		return o
	}
	o.balance = bal
	if raw != nil {
		m, err := decodeMeta(raw)
		if err != nil {
			s.fail(err)
			return o
		}
		o.meta, o.metaPresent, o.exists = m, true, true
	} else {
		o.exists = !bal.IsZero()
	}
	return o
}

// index returns the record of addr, reading it from the view on first use.
func (s *txState) index(addr common.Address) int32 {
	if i, ok := s.accIdx[addr]; ok {
		return i
	}
	o := s.load(addr)
	i := int32(len(s.accs))
	bal := uint256.Int(o.balance)
	s.accs = append(s.accs, account{
		addr:       addr,
		orig:       o,
		live:       o.exists,
		balance:    &bal,
		nonce:      o.meta.nonce,
		codeHash:   o.meta.codeHash,
		root:       o.meta.root,
		codeLoaded: o.meta.codeHash == types.EmptyCodeHash,
	})
	s.accIdx[addr] = i
	return i
}

// object is go-ethereum's getStateObject: the live account or nil.
func (s *txState) object(addr common.Address) *account {
	a := &s.accs[s.index(addr)]
	if !a.live {
		return nil
	}
	return a
}

// objectOrNew is go-ethereum's getOrNewStateObject; it returns the account's index.
func (s *txState) objectOrNew(addr common.Address) int32 {
	i := s.index(addr)
	if !s.accs[i].live {
		s.createObject(i)
	}
	return i
}

func (s *txState) createObject(i int32) {
	a := &s.accs[i]
	a.live, a.deleted = true, false
	a.balance = new(uint256.Int)
	a.nonce, a.codeHash, a.root = 0, types.EmptyCodeHash, types.EmptyRootHash
	a.code, a.codeLoaded = nil, true
	a.selfDestructed, a.newContract = false, false
	s.appendEntry(jentry{kind: jCreateObject, acct: i})
}

func (s *txState) appendEntry(e jentry) {
	if e.kind != jStorage {
		e.slot = -1
	}
	s.journal = append(s.journal, e)
	if e.acct >= 0 {
		s.accs[e.acct].dirty++
	}
}

// setBalance installs v (not modified afterwards) and returns the previous balance.
func (s *txState) setBalance(i int32, v *uint256.Int) uint256.Int {
	prev := s.accs[i].balance
	s.appendEntry(jentry{kind: jBalance, acct: i, bal: prev})
	s.accs[i].balance = v
	return *prev
}

func (s *txState) code(a *account) []byte {
	if a.codeLoaded {
		return a.code
	}
	code, err := s.v.Read(codeKey(a.codeHash))
	if err != nil {
		s.fail(err)
		return nil
	}
	if len(code) == 0 {
		s.fail(fmt.Errorf("%w: code %x of %x not found", ErrState, a.codeHash, a.addr))
	}
	a.code, a.codeLoaded = code, true
	return code
}

// slotIndex returns the record of a live account's slot, reading it on first use.
func (s *txState) slotIndex(ai int32, key common.Hash) int32 {
	id := slotID{s.accs[ai].addr, key}
	if i, ok := s.slotIdx[id]; ok {
		return i
	}
	var h common.Hash
	raw, err := s.v.Read(slotKey(id.addr, key))
	if err != nil {
		s.fail(err)
	} else if h, err = decodeSlot(raw); err != nil {
		s.fail(err)
	}
	i := int32(len(s.slots))
	s.slots = append(s.slots, slotEntry{id: id, acct: ai, orig: h, cur: h})
	s.slotIdx[id] = i
	return i
}

// CreateAccount implements vm.StateDB.
func (s *txState) CreateAccount(addr common.Address) { s.createObject(s.index(addr)) }

// CreateContract implements vm.StateDB.
func (s *txState) CreateContract(addr common.Address) {
	i := s.index(addr)
	a := &s.accs[i]
	if !a.live {
		// go-ethereum dereferences a nil object here; the EVM always creates or
		// finds the account first.
		s.fail(fmt.Errorf("%w: CreateContract on missing account %x", ErrState, addr))
		return
	}
	if !a.newContract {
		a.newContract = true
		s.appendEntry(jentry{kind: jCreateContract, acct: -1, u64: uint64(i)})
	}
}

// SubBalance implements vm.StateDB.
func (s *txState) SubBalance(addr common.Address, amount *uint256.Int, _ tracing.BalanceChangeReason) uint256.Int {
	i := s.objectOrNew(addr)
	if amount.IsZero() {
		return *s.accs[i].balance
	}
	return s.setBalance(i, new(uint256.Int).Sub(s.accs[i].balance, amount))
}

// AddBalance implements vm.StateDB.
func (s *txState) AddBalance(addr common.Address, amount *uint256.Int, reason tracing.BalanceChangeReason) uint256.Int {
	if reason == tracing.BalanceIncreaseRewardTransactionFee && addr == s.coinbase && !amount.IsZero() {
		if _, loaded := s.accIdx[addr]; !loaded {
			s.fee.Add(&s.fee, amount)
			return uint256.Int{}
		}
	}
	i := s.objectOrNew(addr)
	if amount.IsZero() {
		if s.accs[i].empty() {
			s.touch(i)
		}
		return *s.accs[i].balance
	}
	return s.setBalance(i, new(uint256.Int).Add(s.accs[i].balance, amount))
}

func (s *txState) touch(i int32) {
	s.appendEntry(jentry{kind: jTouch, acct: i})
	if s.accs[i].addr == ripemd {
		s.accs[i].dirty++
	}
}

// GetBalance implements vm.StateDB. The result must not be modified.
func (s *txState) GetBalance(addr common.Address) *uint256.Int {
	if a := s.object(addr); a != nil {
		return a.balance
	}
	return common.U2560
}

// GetNonce implements vm.StateDB.
func (s *txState) GetNonce(addr common.Address) uint64 {
	if a := s.object(addr); a != nil {
		return a.nonce
	}
	return 0
}

// SetNonce implements vm.StateDB.
func (s *txState) SetNonce(addr common.Address, nonce uint64, _ tracing.NonceChangeReason) {
	i := s.objectOrNew(addr)
	s.appendEntry(jentry{kind: jNonce, acct: i, u64: s.accs[i].nonce})
	s.accs[i].nonce = nonce
}

// GetCodeHash implements vm.StateDB.
func (s *txState) GetCodeHash(addr common.Address) common.Hash {
	if a := s.object(addr); a != nil {
		return a.codeHash
	}
	return common.Hash{}
}

// GetCode implements vm.StateDB.
func (s *txState) GetCode(addr common.Address) []byte {
	if a := s.object(addr); a != nil {
		return s.code(a)
	}
	return nil
}

// GetCodeSize implements vm.StateDB.
func (s *txState) GetCodeSize(addr common.Address) int { return len(s.GetCode(addr)) }

// SetCode implements vm.StateDB.
func (s *txState) SetCode(addr common.Address, code []byte, _ tracing.CodeChangeReason) []byte {
	i := s.objectOrNew(addr)
	// go-ethereum returns and journals the code it has loaded (nil if it never read
	// it; the EVM always reads it first), and a revert installs keccak(prev).
	var prev []byte
	if s.accs[i].codeLoaded {
		prev = append([]byte(nil), s.accs[i].code...)
	}
	s.appendEntry(jentry{kind: jCode, acct: i, code: prev, hash: s.accs[i].codeHash})
	a := &s.accs[i]
	a.code, a.codeLoaded, a.codeHash = code, true, crypto.Keccak256Hash(code)
	return prev
}

// AddRefund implements vm.StateDB.
func (s *txState) AddRefund(gas uint64) {
	s.appendEntry(jentry{kind: jRefund, acct: -1, u64: s.refund})
	s.refund += gas
}

// SubRefund implements vm.StateDB; like go-ethereum it panics below zero (the
// executor turns a panic into the transaction's error).
func (s *txState) SubRefund(gas uint64) {
	s.appendEntry(jentry{kind: jRefund, acct: -1, u64: s.refund})
	if gas > s.refund {
		panic(fmt.Sprintf("Refund counter below zero (gas: %d > refund: %d)", gas, s.refund))
	}
	s.refund -= gas
}

// GetRefund implements vm.StateDB.
func (s *txState) GetRefund() uint64 { return s.refund }

// GetStateAndCommittedState implements vm.StateDB.
func (s *txState) GetStateAndCommittedState(addr common.Address, key common.Hash) (common.Hash, common.Hash) {
	i := s.index(addr)
	if !s.accs[i].live {
		return common.Hash{}, common.Hash{}
	}
	e := &s.slots[s.slotIndex(i, key)]
	return e.cur, e.orig
}

// GetState implements vm.StateDB.
func (s *txState) GetState(addr common.Address, key common.Hash) common.Hash {
	cur, _ := s.GetStateAndCommittedState(addr, key)
	return cur
}

// SetState implements vm.StateDB.
func (s *txState) SetState(addr common.Address, key, value common.Hash) common.Hash {
	i := s.objectOrNew(addr)
	si := s.slotIndex(i, key)
	prev := s.slots[si].cur
	if prev == value {
		return prev
	}
	s.appendEntry(jentry{kind: jStorage, acct: i, slot: si, hash: prev})
	s.slots[si].cur = value
	return prev
}

// GetStorageRoot implements vm.StateDB: the root at the start of the block (only
// the EIP-7610 collision check reads it).
func (s *txState) GetStorageRoot(addr common.Address) common.Hash {
	if a := s.object(addr); a != nil {
		return a.root
	}
	return common.Hash{}
}

// GetTransientState implements vm.StateDB.
func (s *txState) GetTransientState(addr common.Address, key common.Hash) common.Hash {
	return s.transient[slotID{addr, key}]
}

// SetTransientState implements vm.StateDB.
func (s *txState) SetTransientState(addr common.Address, key, value common.Hash) {
	id := slotID{addr, key}
	prev := s.transient[id]
	if prev == value {
		return
	}
	s.appendEntry(jentry{kind: jTransient, acct: -1, id: id, hash: prev})
	s.setTransient(id, value)
}

func (s *txState) setTransient(id slotID, v common.Hash) {
	if v == (common.Hash{}) {
		delete(s.transient, id)
		return
	}
	s.transient[id] = v
}

// SelfDestruct implements vm.StateDB.
func (s *txState) SelfDestruct(addr common.Address) uint256.Int {
	a := s.object(addr)
	if a == nil {
		return uint256.Int{}
	}
	i := s.accIdx[addr]
	prev := *a.balance
	if !a.balance.IsZero() {
		s.setBalance(i, new(uint256.Int))
	}
	if !s.accs[i].selfDestructed {
		s.appendEntry(jentry{kind: jSelfDestruct, acct: i})
		s.accs[i].selfDestructed = true
	}
	return prev
}

// SelfDestruct6780 implements vm.StateDB.
func (s *txState) SelfDestruct6780(addr common.Address) (uint256.Int, bool) {
	a := s.object(addr)
	if a == nil {
		return uint256.Int{}, false
	}
	if a.newContract {
		return s.SelfDestruct(addr), true
	}
	return *a.balance, false
}

// HasSelfDestructed implements vm.StateDB.
func (s *txState) HasSelfDestructed(addr common.Address) bool {
	if a := s.object(addr); a != nil {
		return a.selfDestructed
	}
	return false
}

// Exist implements vm.StateDB.
func (s *txState) Exist(addr common.Address) bool { return s.object(addr) != nil }

// Empty implements vm.StateDB.
func (s *txState) Empty(addr common.Address) bool {
	a := s.object(addr)
	return a == nil || a.empty()
}

// AddressInAccessList implements vm.StateDB.
func (s *txState) AddressInAccessList(addr common.Address) bool {
	_, ok := s.alAddrs[addr]
	return ok
}

// SlotInAccessList implements vm.StateDB.
func (s *txState) SlotInAccessList(addr common.Address, slot common.Hash) (bool, bool) {
	_, addrOK := s.alAddrs[addr]
	if !addrOK {
		return false, false
	}
	_, slotOK := s.alSlots[slotID{addr, slot}]
	return true, slotOK
}

// AddAddressToAccessList implements vm.StateDB.
func (s *txState) AddAddressToAccessList(addr common.Address) {
	if _, ok := s.alAddrs[addr]; !ok {
		s.alAddrs[addr] = struct{}{}
		s.appendEntry(jentry{kind: jALAddr, acct: -1, id: slotID{addr: addr}})
	}
}

// AddSlotToAccessList implements vm.StateDB.
func (s *txState) AddSlotToAccessList(addr common.Address, slot common.Hash) {
	s.AddAddressToAccessList(addr)
	id := slotID{addr, slot}
	if _, ok := s.alSlots[id]; !ok {
		s.alSlots[id] = struct{}{}
		s.appendEntry(jentry{kind: jALSlot, acct: -1, id: id})
	}
}

// PointCache implements vm.StateDB (Verkle only; not active on SPNs).
func (s *txState) PointCache() *utils.PointCache { return nil }

// Prepare implements vm.StateDB (go-ethereum's StateDB.Prepare).
func (s *txState) Prepare(rules params.Rules, sender, coinbase common.Address, dst *common.Address, precompiles []common.Address, list types.AccessList) {
	if rules.IsEIP2929 {
		clear(s.alAddrs)
		clear(s.alSlots)
		s.alAddrs[sender] = struct{}{}
		if dst != nil {
			s.alAddrs[*dst] = struct{}{}
		}
		for _, a := range precompiles {
			s.alAddrs[a] = struct{}{}
		}
		for _, el := range list {
			s.alAddrs[el.Address] = struct{}{}
			for _, k := range el.StorageKeys {
				s.alSlots[slotID{el.Address, k}] = struct{}{}
			}
		}
		if rules.IsShanghai {
			s.alAddrs[coinbase] = struct{}{}
		}
	}
	clear(s.transient)
}

// Snapshot implements vm.StateDB.
func (s *txState) Snapshot() int {
	id := s.nextRev
	s.nextRev++
	s.revisions = append(s.revisions, revision{id: id, idx: len(s.journal)})
	return id
}

// RevertToSnapshot implements vm.StateDB.
func (s *txState) RevertToSnapshot(revid int) {
	lo, hi := 0, len(s.revisions)
	for lo < hi {
		m := (lo + hi) / 2
		if s.revisions[m].id < revid {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(s.revisions) || s.revisions[lo].id != revid {
		panic(fmt.Errorf("revision id %v cannot be reverted", revid))
	}
	snap := s.revisions[lo].idx
	for k := len(s.journal) - 1; k >= snap; k-- {
		s.undo(&s.journal[k])
		if a := s.journal[k].acct; a >= 0 {
			s.accs[a].dirty--
		}
		s.journal[k] = jentry{}
	}
	s.journal = s.journal[:snap]
	s.revisions = s.revisions[:lo]
}

func (s *txState) undo(e *jentry) {
	switch e.kind {
	case jCreateObject:
		// go-ethereum drops the object; the next lookup reads the account again,
		// which finds its state at the start of the transaction.
		a := &s.accs[e.acct]
		o := a.orig
		a.live, a.deleted = o.exists, false
		bal := uint256.Int(o.balance)
		a.balance = &bal
		a.nonce, a.codeHash, a.root = o.meta.nonce, o.meta.codeHash, o.meta.root
		a.code, a.codeLoaded = nil, o.meta.codeHash == types.EmptyCodeHash
		a.selfDestructed, a.newContract = false, false
	case jCreateContract:
		s.accs[e.u64].newContract = false
	case jSelfDestruct:
		s.accs[e.acct].selfDestructed = false
	case jBalance:
		s.accs[e.acct].balance = e.bal
	case jNonce:
		s.accs[e.acct].nonce = e.u64
	case jCode:
		a := &s.accs[e.acct]
		a.code, a.codeLoaded, a.codeHash = e.code, true, e.hash
		if len(e.code) == 0 {
			a.codeHash = types.EmptyCodeHash
		}
	case jStorage:
		s.slots[e.slot].cur = e.hash
	case jTransient:
		s.setTransient(e.id, e.hash)
	case jRefund:
		s.refund = e.u64
	case jLog:
		s.logs = s.logs[:len(s.logs)-1]
	case jTouch:
	case jALAddr:
		delete(s.alAddrs, e.id.addr)
	case jALSlot:
		delete(s.alSlots, e.id)
	}
}

// AddLog implements vm.StateDB.
func (s *txState) AddLog(l *types.Log) {
	s.appendEntry(jentry{kind: jLog, acct: -1})
	l.TxHash = s.thash
	l.TxIndex = uint(s.txIndex)
	l.Index = uint(len(s.logs))
	s.logs = append(s.logs, l)
}

// AddPreimage implements vm.StateDB (preimages are not recorded).
func (s *txState) AddPreimage(common.Hash, []byte) {}

// Witness implements vm.StateDB (no witness is collected).
func (s *txState) Witness() *stateless.Witness { return nil }

// AccessEvents implements vm.StateDB (Verkle only).
func (s *txState) AccessEvents() *state.AccessEvents { return nil }

// Finalise implements vm.StateDB: go-ethereum's StateDB.Finalise for the
// transaction's dirty accounts (self-destructed ones, and empty ones when
// deleteEmptyObjects, are deleted), then the journal and refund are cleared.
func (s *txState) Finalise(deleteEmptyObjects bool) {
	for i := range s.accs {
		a := &s.accs[i]
		if a.dirty == 0 || !a.live {
			continue
		}
		a.mutated = true
		if a.selfDestructed || (deleteEmptyObjects && a.empty()) {
			a.live, a.deleted = false, true
		} else {
			a.newContract = false
		}
	}
	for i := range s.accs {
		s.accs[i].dirty = 0
	}
	clear(s.journal)
	s.journal = s.journal[:0]
	s.revisions = s.revisions[:0]
	s.refund = 0
}

// logsFor stamps the transaction's logs with the block's number, hash and time.
func (s *txState) logsFor(number uint64, blockHash common.Hash, time uint64) []*types.Log {
	for _, l := range s.logs {
		l.BlockNumber, l.BlockHash, l.BlockTimestamp = number, blockHash, time
	}
	return s.logs
}

// writeBack writes to the view, for every account Finalise found mutated, each field
// and slot whose final value differs from the value the transaction first read, and
// the deferred fee credit. Call it after Finalise.
func (s *txState) writeBack() error {
	if s.err != nil {
		return s.err
	}
	for i := range s.accs {
		a := &s.accs[i]
		if !a.mutated {
			continue
		}
		o := &a.orig
		if !a.live {
			if o.metaPresent {
				s.v.Write(accountKey(a.addr), nil)
			}
			if !o.balance.IsZero() {
				s.v.Write(balanceKey(a.addr), nil)
			}
			continue
		}
		if bal := exec.U256(*a.balance); bal != o.balance {
			s.v.Write(balanceKey(a.addr), encodeBalance(bal))
		}
		// o.meta is the empty metadata when the key was absent.
		if a.nonce != o.meta.nonce || a.codeHash != o.meta.codeHash {
			s.v.Write(accountKey(a.addr), encodeMeta(meta{nonce: a.nonce, codeHash: a.codeHash, root: o.meta.root}))
			if a.codeHash != o.meta.codeHash && a.codeHash != types.EmptyCodeHash {
				s.v.Write(codeKey(a.codeHash), append([]byte(nil), s.code(a)...))
			}
		}
	}
	for i := range s.slots {
		e := &s.slots[i]
		acct := &s.accs[e.acct]
		if !acct.mutated {
			continue
		}
		cur := e.cur
		if !acct.live {
			cur = common.Hash{}
		}
		if cur != e.orig {
			s.v.Write(slotKey(e.id.addr, e.id.slot), encodeSlot(cur))
		}
	}
	if s.err != nil {
		return s.err
	}
	if !s.fee.IsZero() {
		return s.v.AddDelta(balanceKey(s.coinbase), exec.U256(s.fee))
	}
	return nil
}
