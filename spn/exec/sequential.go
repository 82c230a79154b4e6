package exec

import (
	"context"
	"slices"
	"sync"
)

// seqKey is the state of one key during sequential execution: the last full value (or
// the value below the sequential run) and the sum of the deltas added after it.
// Resolving it gives what the multi-version memory gives for the highest version: the
// same rule, one version.
type seqKey struct {
	base    lowerValue // last full value, or the value below the run
	loaded  bool       // base is valid
	written bool       // a transaction of the run wrote or added to the key
	sum     U256
	deltas  int
}

// seqState is the block state of the sequential path over the base storage. For the
// tail after a chain fallback it starts from the state the parallel prefix left
// (mvMemory.seedSequential).
type seqState struct {
	base  Storage
	codec NumericCodec
	keys  map[string]*seqKey
	arena []seqKey // the rest of the current chunk

	// The key chunks handed out in this run (used) and those kept, cleared, from
	// earlier runs (free): a seqState is recycled from block to block (release).
	used, free [][]seqKey
	names      []string // finals' buffer
}

// seqChunk is how many keys a chunk of a seqState's arena holds.
const seqChunk = 256

// seqPool recycles seqStates, with their key map and chunks, from block to block.
var seqPool = sync.Pool{New: func() any { return new(seqState) }}

func newSeqState(base Storage, codec NumericCodec, n int) *seqState {
	s := seqPool.Get().(*seqState)
	s.base, s.codec = base, codec
	if s.keys == nil {
		// Size the map for about two keys per transaction; bigger blocks grow it.
		s.keys = make(map[string]*seqKey, 2*n)
	}
	return s
}

// keptSeqKeys bounds the key map a recycled seqState keeps (clearing a map costs its
// capacity, which a huge block would leave to every later one).
const keptSeqKeys = 1 << 14

// release empties s and returns it to the pool. It runs once the output is built:
// nothing in the output refers to s (writes carry the VM's keys and values).
func (s *seqState) release() {
	for _, c := range s.used {
		clear(c)
	}
	s.free = keep(append(s.free, s.used...))
	clear(s.used)
	*s = seqState{keys: emptyMap(s.keys, keptSeqKeys), used: s.used[:0], free: s.free, names: emptySlice(s.names, keptSeqKeys)}
	seqPool.Put(s)
}

func (s *seqState) get(key string) *seqKey {
	k := s.keys[key]
	if k == nil {
		if len(s.arena) == 0 {
			if n := len(s.free); n > 0 {
				s.arena, s.free[n-1] = s.free[n-1], nil
				s.free = s.free[:n-1]
			} else {
				s.arena = make([]seqKey, seqChunk)
			}
			s.used = append(s.used, s.arena)
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
	k.base, k.loaded = lowerValue{raw: val}, true
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
func resolve(codec NumericCodec, base lowerValue, sum U256, deltas int) lowerValue {
	if deltas == 0 {
		return base
	}
	if base.bad {
		return base
	}
	n := base.num
	if !base.numeric {
		var err error
		if n, err = codec.DecodeNumeric(base.raw); err != nil {
			return lowerValue{numeric: true, bad: true}
		}
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
			*k = seqKey{base: lowerValue{raw: e.value}, loaded: true, written: true}
		case writeDelta:
			k := s.get(e.key)
			k.sum = k.sum.Add(e.delta)
			k.deltas++
			k.written = true
		}
	}
}

// runSequential executes transactions from..n-1 one by one on s.
func runSequential[R any](ctx context.Context, vm VM[R], from, n int, s *seqState, results []TxResult[R]) error {
	v := &view{codec: s.codec, seq: s}
	for i := from; i < n; i++ {
		if (i-from)&63 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v.reset(i)
		res, err := run(vm, i, v)
		if v.fatal != nil {
			return v.fatal
		}
		if v.blockedOn >= 0 {
			return errorf(ErrInternal, "sequential tx %d suspended", i)
		}
		r := &results[i]
		r.Result, r.Err = res, err
		r.Stats.Executions++
		if err == nil {
			s.commit(v)
		}
	}
	return nil
}

func executeSequential[R any](ctx context.Context, vm VM[R], n int, base Storage, codec NumericCodec) (*Output[R], error) {
	s := newSeqState(base, codec, n)
	defer s.release()
	out := &Output[R]{Results: make([]TxResult[R], n)}
	out.Stats.Mode, out.Stats.Workers = ModeSequential, 1
	if err := runSequential(ctx, vm, 0, n, s, out.Results); err != nil {
		return nil, err
	}
	out.Stats.Executions = uint32(n)
	finals, err := s.finals(&view{codec: codec})
	if err != nil {
		return nil, err
	}
	writes, err := encodeFinals(codec, finals)
	if err != nil {
		return nil, err
	}
	out.Writes = writes
	return out, nil
}

// final is the value of a written key at the end of a block (or of a run).
type final struct {
	key string
	val lowerValue
}

// finals returns the final value of every key the run wrote, in key order.
func (s *seqState) finals(v *view) ([]final, error) {
	keys := s.names[:0]
	for key, k := range s.keys {
		if k.written {
			keys = append(keys, key)
		}
	}
	s.names = keys
	slices.Sort(keys) // strings, not finals: moving 80-byte elements costs more than the lookups below
	fs := make([]final, len(keys))
	for i, key := range keys {
		k := s.keys[key]
		if k.deltas > 0 {
			if err := s.load(v, key, k); err != nil {
				return nil, err
			}
		}
		fs[i] = final{key: key, val: resolve(s.codec, k.base, k.sum, k.deltas)}
	}
	return fs, nil
}

// encodeFinals turns final values into the write set; the first key (in key order)
// whose deltas apply to a non-numeric value fails the block.
func encodeFinals(codec NumericCodec, fs []final) ([]Write, error) {
	ws := make([]Write, len(fs))
	for i, f := range fs {
		switch {
		case f.val.bad:
			return nil, notNumeric(f.key)
		case f.val.numeric:
			ws[i] = Write{Key: f.key, Value: codec.EncodeNumeric(f.val.num)}
		default:
			ws[i] = Write{Key: f.key, Value: f.val.raw}
		}
	}
	return ws, nil
}

// mergeFinals merges two key-ordered lists; on a key in both, top wins.
func mergeFinals(bottom, top []final) []final {
	out := make([]final, 0, len(bottom)+len(top))
	i, j := 0, 0
	for i < len(bottom) || j < len(top) {
		switch {
		case j == len(top) || (i < len(bottom) && bottom[i].key < top[j].key):
			out = append(out, bottom[i])
			i++
		case i == len(bottom) || top[j].key < bottom[i].key:
			out = append(out, top[j])
			j++
		default:
			out = append(out, top[j])
			i, j = i+1, j+1
		}
	}
	return out
}
