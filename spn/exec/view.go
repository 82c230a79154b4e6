package exec

import (
	"fmt"
	"runtime/debug"
)

// writeKind is what a transaction did to a key.
type writeKind uint8

const (
	writeNone  writeKind = iota // only read
	writeFull                   // set to a value (or deleted)
	writeDelta                  // added a delta, value not known to the transaction
)

// lowerValue is a key's value below a transaction (before its own writes).
type lowerValue struct {
	raw     []byte // the value; for a delta-resolved value, its encoding (lazily)
	num     U256   // the numeric value if numeric
	numeric bool   // the value was resolved by adding deltas: num is valid, raw may be nil
	bad     bool   // deltas apply to a value that is not numeric
}

// viewEntry is one key touched by the executing transaction.
type viewEntry struct {
	key    string
	mk     *mvKey // parallel path: the key in multi-version memory
	loaded bool   // lower is valid (read cache: one incarnation sees one value per key)
	lower  lowerValue
	kind   writeKind
	value  []byte // writeFull: the value
	delta  U256   // writeDelta: the sum of this transaction's deltas
}

// smallView is the number of entries searched linearly before a map index is built.
const smallView = 8

// view implements View for one incarnation of one transaction on either path. It is
// owned by one worker and reset for every incarnation, so its buffers are reused.
type view struct {
	codec NumericCodec
	tx    int
	mv    *mvMemory // parallel path
	arena *arena    // parallel path: the worker's arena
	seq   *seqState // sequential path

	entries []viewEntry
	index   map[string]int32
	reads   []readDesc // parallel path: the read set of this incarnation

	blockedOn int   // >= 0: the incarnation read an ESTIMATE of this transaction
	fatal     error // the base storage failed
}

var _ View = (*view)(nil)

// release empties a parallel worker's view for another block, keeping its buffers
// unless one grew big.
func (v *view) release() {
	*v = view{
		entries: emptySlice(v.entries, keptViewEntries),
		reads:   emptySlice(v.reads, keptViewEntries),
		index:   emptyMap(v.index, keptViewEntries),
	}
}

// keptViewEntries bounds the buffers a recycled view keeps.
const keptViewEntries = 1024

func (v *view) reset(tx int) {
	v.tx = tx
	clear(v.entries) // drop references to values of the previous transaction
	v.entries = v.entries[:0]
	if v.index != nil {
		clear(v.index)
	}
	v.reads = v.reads[:0]
	v.blockedOn = -1
	v.fatal = nil
}

// stopped returns the error every operation returns once the incarnation cannot go on.
func (v *view) stopped() error {
	if v.fatal != nil {
		return v.fatal
	}
	if v.blockedOn >= 0 {
		return ErrSuspended
	}
	return nil
}

func (v *view) entry(key string) *viewEntry {
	if len(v.entries) <= smallView {
		for i := range v.entries {
			if v.entries[i].key == key {
				return &v.entries[i]
			}
		}
	} else if i, ok := v.index[key]; ok {
		return &v.entries[i]
	}
	v.entries = append(v.entries, viewEntry{key: key})
	n := len(v.entries)
	if n > smallView {
		if v.index == nil {
			v.index = make(map[string]int32, 2*smallView)
		}
		if n == smallView+1 {
			for i := range v.entries {
				v.index[v.entries[i].key] = int32(i)
			}
		} else {
			v.index[key] = int32(n - 1)
		}
	}
	return &v.entries[n-1]
}

// loadLower fills e.lower from the state below the transaction, once per incarnation.
func (v *view) loadLower(e *viewEntry) error {
	if e.loaded {
		return nil
	}
	var err error
	if v.mv != nil {
		err = v.mv.readLower(v, e)
	} else {
		err = v.seq.readLower(v, e)
	}
	if err != nil {
		return err
	}
	e.loaded = true
	return nil
}

// lowerNumeric returns the numeric value of e.lower.
func (v *view) lowerNumeric(e *viewEntry) (U256, error) {
	switch {
	case e.lower.bad:
		return U256{}, notNumeric(e.key)
	case e.lower.numeric:
		return e.lower.num, nil
	}
	n, err := v.codec.DecodeNumeric(e.lower.raw)
	if err != nil {
		return U256{}, notNumeric(e.key)
	}
	return n, nil
}

// Read implements View.
func (v *view) Read(key string) ([]byte, error) {
	if err := v.stopped(); err != nil {
		return nil, err
	}
	e := v.entry(key)
	if e.kind == writeFull {
		return e.value, nil
	}
	if err := v.loadLower(e); err != nil {
		return nil, err
	}
	if e.kind == writeDelta {
		n, err := v.lowerNumeric(e)
		if err != nil {
			return nil, err
		}
		return v.codec.EncodeNumeric(n.Add(e.delta)), nil
	}
	if e.lower.bad {
		return nil, notNumeric(key)
	}
	if e.lower.numeric && e.lower.raw == nil {
		e.lower.raw = v.codec.EncodeNumeric(e.lower.num)
	}
	return e.lower.raw, nil
}

// ReadNumeric implements View.
func (v *view) ReadNumeric(key string) (U256, error) {
	if err := v.stopped(); err != nil {
		return U256{}, err
	}
	e := v.entry(key)
	if e.kind == writeFull {
		n, err := v.codec.DecodeNumeric(e.value)
		if err != nil {
			return U256{}, notNumeric(key)
		}
		return n, nil
	}
	if err := v.loadLower(e); err != nil {
		return U256{}, err
	}
	n, err := v.lowerNumeric(e)
	if err != nil {
		return U256{}, err
	}
	if e.kind == writeDelta {
		n = n.Add(e.delta)
	}
	return n, nil
}

// Write implements View.
func (v *view) Write(key string, value []byte) {
	if v.stopped() != nil {
		return
	}
	if len(value) == 0 {
		value = nil
	}
	e := v.entry(key)
	e.kind, e.value, e.delta = writeFull, value, U256{}
}

// AddDelta implements View.
func (v *view) AddDelta(key string, delta U256) error {
	if err := v.stopped(); err != nil {
		return err
	}
	e := v.entry(key)
	switch e.kind {
	case writeFull:
		n, err := v.codec.DecodeNumeric(e.value)
		if err != nil {
			return notNumeric(key)
		}
		e.value = v.codec.EncodeNumeric(n.Add(delta))
	case writeDelta:
		e.delta = e.delta.Add(delta)
	default:
		e.kind, e.delta = writeDelta, delta
	}
	return nil
}

// storageGet reads the base storage; a failure stops the incarnation and the block.
func (v *view) storageGet(base Storage, key string) ([]byte, error) {
	val, err := base.Get(key)
	if err != nil {
		v.fatal = fmt.Errorf("%w: key %x: %w", ErrStorage, key, err)
		return nil, v.fatal
	}
	if len(val) == 0 {
		val = nil
	}
	return val, nil
}

// run executes one incarnation of transaction tx with the VM, turning a panic into the
// transaction's failure.
func run[R any](vm VM[R], tx int, v *view) (res R, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero R
			res, err = zero, &PanicError{Tx: tx, Value: p, Stack: debug.Stack()}
		}
	}()
	return vm.Execute(tx, v)
}
