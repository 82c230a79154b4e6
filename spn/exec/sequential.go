package exec

import (
	"context"
	"slices"
	"strings"
)

// seqKey is the state of one key during sequential execution: the last full value (or
// the base value) and the sum of the deltas added after it. Resolving it gives what the
// multi-version memory gives for the highest version: the same rule, one version.
type seqKey struct {
	base    []byte // last full value, or the storage value
	loaded  bool   // base is valid
	written bool   // a transaction of the block wrote or added to the key
	sum     U256
	deltas  int
}

// seqState is the block state of the sequential path.
type seqState struct {
	base  Storage
	codec NumericCodec
	keys  map[string]*seqKey
	arena []seqKey
}

func (s *seqState) get(key string) *seqKey {
	k := s.keys[key]
	if k == nil {
		if len(s.arena) == 0 {
			s.arena = make([]seqKey, 256)
		}
		k = &s.arena[0]
		s.arena = s.arena[1:]
		s.keys[key] = k
	}
	return k
}

func (s *seqState) load(v *view, key string, k *seqKey) error {
	if k.loaded {
		return nil
	}
	val, err := v.storageGet(s.base, key)
	if err != nil {
		return err
	}
	k.base, k.loaded = val, true
	return nil
}

// readLower implements the lower state of a view on the sequential path.
func (s *seqState) readLower(v *view, e *viewEntry) error {
	k := s.get(e.key)
	if err := s.load(v, e.key, k); err != nil {
		return err
	}
	e.lower = resolve(s.codec, k.base, k.sum, k.deltas)
	return nil
}

// resolve is the value of a key whose last full value is base with deltas (summing to
// sum) added after it. Both paths use it, so they agree on every corner.
func resolve(codec NumericCodec, base []byte, sum U256, deltas int) lowerValue {
	if deltas == 0 {
		return lowerValue{raw: base}
	}
	n, err := codec.DecodeNumeric(base)
	if err != nil {
		return lowerValue{numeric: true, bad: true}
	}
	return lowerValue{num: n.Add(sum), numeric: true}
}

// commit applies the writes of a successful transaction.
func (s *seqState) commit(v *view) {
	for i := range v.entries {
		e := &v.entries[i]
		switch e.kind {
		case writeFull:
			k := s.get(e.key)
			*k = seqKey{base: e.value, loaded: true, written: true}
		case writeDelta:
			k := s.get(e.key)
			k.sum = k.sum.Add(e.delta)
			k.deltas++
			k.written = true
		}
	}
}

func executeSequential[R any](ctx context.Context, vm VM[R], n int, base Storage, codec NumericCodec) (*Output[R], error) {
	s := &seqState{base: base, codec: codec, keys: make(map[string]*seqKey)}
	v := &view{codec: codec, seq: s}
	out := &Output[R]{Results: make([]TxResult[R], n)}
	out.Stats.Mode, out.Stats.Workers = ModeSequential, 1
	for i := 0; i < n; i++ {
		if i&63 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v.reset(i)
		res, err := run(vm, i, v)
		if v.fatal != nil {
			return nil, v.fatal
		}
		if v.blockedOn >= 0 {
			return nil, errorf(ErrInternal, "sequential tx %d suspended", i)
		}
		r := &out.Results[i]
		r.Result, r.Err, r.Stats.Executions = res, err, 1
		if err == nil {
			s.commit(v)
		}
	}
	out.Stats.Executions = uint32(n)
	writes, err := s.writes(v)
	if err != nil {
		return nil, err
	}
	out.Writes = writes
	return out, nil
}

// writes returns the final write set in key order. Keys are materialized in key order
// so that the error for a non-numeric key is the same on every run.
func (s *seqState) writes(v *view) ([]Write, error) {
	ws := make([]Write, 0, len(s.keys))
	for key, k := range s.keys {
		if k.written {
			ws = append(ws, Write{Key: key})
		}
	}
	slices.SortFunc(ws, func(a, b Write) int { return strings.Compare(a.Key, b.Key) })
	for i := range ws {
		k := s.keys[ws[i].Key]
		if k.deltas == 0 {
			ws[i].Value = k.base
			continue
		}
		if err := s.load(v, ws[i].Key, k); err != nil {
			return nil, err
		}
		lv := resolve(s.codec, k.base, k.sum, k.deltas)
		if lv.bad {
			return nil, notNumeric(ws[i].Key)
		}
		ws[i].Value = s.codec.EncodeNumeric(lv.num)
	}
	return ws, nil
}
