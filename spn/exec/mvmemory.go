package exec

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// mvEntry is one version of a key: the write of incarnation inc of transaction tx.
type mvEntry struct {
	tx, inc  int32
	kind     writeKind // writeFull or writeDelta
	estimate bool      // ESTIMATE marker: the incarnation was aborted (paper, Alg. 2)
	value    []byte    // writeFull
	delta    U256      // writeDelta
}

// mvKey is the multi-version record of one key: its versions sorted by transaction
// index, and the key's base (pre-block) value once some transaction read it.
type mvKey struct {
	key        string
	hash       uint64 // maphash of key under the memory's seed
	next       *mvKey // the next record of the key table's bucket; fixed once published
	mu         sync.RWMutex
	versions   []mvEntry
	base       []byte
	baseLoaded bool
	first      [1]mvEntry // backs versions while the key has one version (most keys)
}

// below returns how many versions belong to transactions lower than tx.
func (k *mvKey) below(tx int32) int {
	lo, hi := 0, len(k.versions)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k.versions[m].tx < tx {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the position of tx's version and whether it exists.
func (k *mvKey) find(tx int32) (int, bool) {
	i := k.below(tx)
	return i, i < len(k.versions) && k.versions[i].tx == tx
}

// readKind is how a read was answered; validation must find the same answer.
type readKind uint8

const (
	readStorage  readKind = iota // the base value, no version below the reader
	readVersion                  // the full value written by version (tx, inc)
	readResolved                 // deltas applied to a base or full value: compared by value
)

// readDesc is one entry of a read set (paper: (location, version) pairs). Reads of a
// delta-resolved value record the resolved number instead of the versions it came
// from: validation re-resolves and compares values (see README, deviations).
type readDesc struct {
	mk      *mvKey
	kind    readKind
	bad     bool // readResolved: the value was not numeric
	tx, inc int32
	num     U256 // readResolved
}

// resolution is the answer of the multi-version memory to a read by transaction tx.
type resolution struct {
	kind     readKind
	blocked  bool  // an ESTIMATE of transaction blocker is in the way
	blocker  int32 //
	needBase bool  // the base value must be loaded first
	tx, inc  int32
	lv       lowerValue
}

// resolveLocked answers a read of k by transaction tx (paper: MVMemory.read), adding up
// deltas down to the first full value. k.mu must be held.
func (mv *mvMemory) resolveLocked(k *mvKey, tx int32) resolution {
	var sum U256
	deltas := 0
	for i := k.below(tx) - 1; i >= 0; i-- {
		e := &k.versions[i]
		if e.estimate {
			return resolution{blocked: true, blocker: e.tx}
		}
		if e.kind == writeFull {
			if deltas == 0 {
				return resolution{kind: readVersion, tx: e.tx, inc: e.inc, lv: lowerValue{raw: e.value}}
			}
			return resolution{kind: readResolved, lv: resolve(mv.codec, lowerValue{raw: e.value}, sum, deltas)}
		}
		sum = sum.Add(e.delta)
		deltas++
	}
	if !k.baseLoaded {
		return resolution{needBase: true}
	}
	if deltas == 0 {
		return resolution{kind: readStorage, lv: lowerValue{raw: k.base}}
	}
	return resolution{kind: readResolved, lv: resolve(mv.codec, lowerValue{raw: k.base}, sum, deltas)}
}

// txMeta holds the last recorded read set and written keys of a transaction. The read
// set is replaced as a whole under mu while validations may read the old one (the
// paper's RCU update); written is used only by the worker that owns the transaction's
// status (executing it, or aborting it after a failed validation).
type txMeta struct {
	mu      sync.RWMutex
	reads   []readDesc
	written []*mvKey
}

// mvMemory is the multi-version data structure of the paper (Alg. 2).
//
// Its key records are found through a hash table of buckets, each the head of a list
// of records that only grows at the head, by compare-and-swap. Finding a record takes
// no lock and writes nothing shared. (Until session 12 the records were in 64 Go maps
// behind read-write locks: every lookup wrote its shard's lock word, a cache line the
// other worker had written too, and hashed the key a second time. Under the profile of
// a 2-worker AS token block, those lookups and inserts took three times as long per
// key as on the sequential path.) The table has a fixed number of buckets for the
// block, about 16 per transaction, so a block whose transactions touch many keys gets
// longer lists rather than a resize.
type mvMemory struct {
	base    Storage
	codec   NumericCodec
	seed    maphash.Seed
	buckets []atomic.Pointer[mvKey]
	mask    uint64
	meta    []txMeta
}

// Bucket counts: 16 per transaction rounded up to a power of two, between minBuckets
// and maxBuckets; a recycled memory keeps at most keptBuckets.
const (
	bucketsPerTx = 16
	minBuckets   = 256
	maxBuckets   = 1 << 20
	keptBuckets  = 1 << 16
)

// sizeBuckets gives mv an empty table for an n-transaction block, reusing its array.
func (mv *mvMemory) sizeBuckets(n int) {
	want := min(maxBuckets, max(minBuckets, 1<<bits.Len(uint(bucketsPerTx*n-1))))
	if cap(mv.buckets) >= want {
		mv.buckets = mv.buckets[:want]
	} else {
		mv.buckets = make([]atomic.Pointer[mvKey], want)
	}
	mv.mask = uint64(want - 1)
}

// mvPool recycles multi-version memories, with their key tables and transaction
// metadata, from block to block (see release).
var mvPool = sync.Pool{New: func() any { return &mvMemory{seed: maphash.MakeSeed()} }}

func newMVMemory(n int, base Storage, codec NumericCodec) *mvMemory {
	mv := mvPool.Get().(*mvMemory)
	mv.base, mv.codec = base, codec
	if cap(mv.meta) >= n {
		mv.meta = mv.meta[:n]
	} else {
		mv.meta = make([]txMeta, n)
	}
	mv.sizeBuckets(n)
	return mv
}

// keptMeta bounds the transaction metadata a recycled mvMemory keeps.
const keptMeta = 1 << 14

// release empties mv and returns it to the pool. It runs when no worker runs any more
// and the output is built: nothing in the output refers to mv (writes carry the
// VM's keys and values, not records).
func (mv *mvMemory) release() {
	if cap(mv.buckets) > keptBuckets {
		mv.buckets = nil
	} else {
		clear(mv.buckets)
	}
	mv.base, mv.codec, mv.meta = nil, nil, emptySlice(mv.meta, keptMeta)
	mvPool.Put(mv)
}

// emptyMap returns m cleared for reuse, or nil if it holds more than max entries.
func emptyMap[K comparable, V any](m map[K]V, max int) map[K]V {
	if len(m) > max {
		return nil
	}
	clear(m)
	return m
}

// emptySlice returns s cleared (to its capacity) with length 0 for reuse, or nil if its
// capacity exceeds max.
func emptySlice[T any](s []T, max int) []T {
	if cap(s) > max {
		return nil
	}
	clear(s[:cap(s)])
	return s[:0]
}

// lookup returns the record of key, or nil if no transaction touched it yet. A
// worker's arena (a may be nil) remembers recently found records, so hot keys (the
// block's beneficiary) skip the walk of their bucket's list.
func (mv *mvMemory) lookup(key string, a *arena) *mvKey {
	return mv.lookupHash(key, maphash.String(mv.seed, key), a)
}

func (mv *mvMemory) lookupHash(key string, h uint64, a *arena) *mvKey {
	var slot *recent
	if a != nil {
		slot = &a.recent[h%uint64(len(a.recent))]
		if slot.k != nil && slot.k.key == key {
			return slot.k
		}
	}
	k := find(mv.buckets[h&mv.mask].Load(), key, h)
	if k != nil && slot != nil {
		slot.k = k
	}
	return k
}

// find returns the record of key (hash h) in the bucket list from k on, or nil.
func find(k *mvKey, key string, h uint64) *mvKey {
	for ; k != nil; k = k.next {
		if k.hash == h && k.key == key {
			return k
		}
	}
	return nil
}

// all calls f on every key record of buckets [lo, hi). No worker may be running.
func (mv *mvMemory) all(lo, hi int, f func(k *mvKey)) {
	for i := lo; i < hi; i++ {
		for k := mv.buckets[i].Load(); k != nil; k = k.next {
			f(k)
		}
	}
}

// key returns the record of key, creating it (from the worker's arena) if needed.
func (mv *mvMemory) key(key string, a *arena) *mvKey {
	h := maphash.String(mv.seed, key)
	if k := mv.lookupHash(key, h, a); k != nil {
		return k
	}
	return mv.create(key, h, nil, false, a)
}

// create returns the record of key (hash h), creating it if no other worker did; a
// base value passed with loaded set is stored in a new record (it saves a lock round
// when a read creates it).
//
// The new record is complete before the compare-and-swap publishes it at the head of
// its bucket. If another worker published a record first, the part of the list it
// added is searched for key; the record this call prepared then goes unused (it stays
// in the arena, which clears it with the block's others).
func (mv *mvMemory) create(key string, h uint64, base []byte, loaded bool, a *arena) *mvKey {
	b := &mv.buckets[h&mv.mask]
	head := b.Load()
	if k := find(head, key, h); k != nil {
		return k
	}
	k := a.key()
	k.key, k.hash = key, h
	k.versions = k.first[:0]
	k.base, k.baseLoaded = base, loaded
	for {
		k.next = head
		if b.CompareAndSwap(head, k) {
			a.created = append(a.created, k)
			return k
		}
		seen := head
		head = b.Load()
		for o := head; o != seen; o = o.next {
			if o.hash == h && o.key == key {
				k.key, k.base, k.next = "", nil, nil
				return o
			}
		}
	}
}

// readLower answers a read by the view's transaction and adds it to the read set. On
// an ESTIMATE it stops the incarnation (the caller registers the dependency).
func (mv *mvMemory) readLower(v *view, e *viewEntry) error {
	if e.mk == nil {
		h := maphash.String(mv.seed, e.key)
		if e.mk = mv.lookupHash(e.key, h, v.arena); e.mk == nil {
			// First touch of the key in the block: read the base value before creating
			// the record, outside any lock.
			val, err := v.storageGet(mv.base, e.key)
			if err != nil {
				return err
			}
			e.mk = mv.create(e.key, h, val, true, v.arena)
		}
	}
	k := e.mk
	for {
		k.mu.RLock()
		r := mv.resolveLocked(k, int32(v.tx))
		k.mu.RUnlock()
		switch {
		case r.blocked:
			v.blockedOn = int(r.blocker)
			return ErrSuspended
		case r.needBase:
			val, err := v.storageGet(mv.base, k.key)
			if err != nil {
				return err
			}
			k.mu.Lock()
			if !k.baseLoaded {
				k.base, k.baseLoaded = val, true
			}
			k.mu.Unlock()
			continue
		}
		v.reads = append(v.reads, readDesc{mk: k, kind: r.kind, bad: r.lv.bad, tx: r.tx, inc: r.inc, num: r.lv.num})
		e.lower = r.lv
		return nil
	}
}

// arena hands out what a worker creates (key records, read sets, written-key lists)
// from larger blocks, so a transaction costs no allocation of its own. Replaced slices
// stay allocated until the block ends.
type arena struct {
	records []mvKey
	reads   []readDesc
	written []*mvKey
	created []*mvKey // the key records this worker created, for its part of the final writes
	recent  [64]recent
	chunk   int // entries per allocation, sized to the block

	// spare is the longest version list of a record of an earlier block, emptied: the
	// next key that outgrows its versions' room takes it (a hot key, such as the
	// block's beneficiary, has a version per transaction).
	spare []mvEntry

	// The chunks handed out in this block (used) and those kept from earlier blocks,
	// cleared, for the next allocations (free). A worker and its arena are recycled
	// between blocks (workerPool).
	used, free chunks
}

// chunks are the arena's allocations.
type chunks struct {
	records [][]mvKey
	reads   [][]readDesc
	keys    [][]*mvKey
}

// keptChunks bounds the chunks of each kind a recycled arena keeps, and keptVersions
// the room of its spare version list.
const (
	keptChunks   = 64
	keptVersions = 1 << 14
)

// setChunk sizes the arena's allocations for a worker's share of an n-transaction
// block (about two keys and reads per transaction), between 16 and 1024 entries: a
// small block must not pay for big chunks.
func (a *arena) setChunk(n, workers int) {
	a.chunk = min(1024, max(16, 2*n/max(1, workers)))
	if cap(a.created) < a.chunk {
		a.created = make([]*mvKey, 0, a.chunk)
	}
}

// release clears what the arena handed out in the block (no record, read or value of
// the block stays reachable from it) and keeps the chunks for the next block.
// Correctness does not depend on the clearing: create sets every field a record is
// read through, and read sets and written-key lists are copied over whole.
func (a *arena) release() {
	for _, c := range a.used.records {
		for i := range c {
			if v := c[i].versions; cap(v) > max(1, cap(a.spare)) && cap(v) <= keptVersions {
				a.spare = v[:0]
			}
		}
		clear(c)
	}
	clear(a.spare[:cap(a.spare)])
	for _, c := range a.used.reads {
		clear(c)
	}
	for _, c := range a.used.keys {
		clear(c)
	}
	clear(a.created[:cap(a.created)])
	a.free.records = keep(append(a.free.records, a.used.records...))
	a.free.reads = keep(append(a.free.reads, a.used.reads...))
	a.free.keys = keep(append(a.free.keys, a.used.keys...))
	clear(a.used.records) // the chunks are in free now, or dropped
	clear(a.used.reads)
	clear(a.used.keys)
	// recent and the current chunks start empty again (zero values)
	*a = arena{created: a.created[:0], free: a.free, spare: a.spare, used: chunks{records: a.used.records[:0], reads: a.used.reads[:0], keys: a.used.keys[:0]}}
}

func keep[T any](cs [][]T) [][]T {
	if len(cs) > keptChunks {
		clear(cs[keptChunks:])
		cs = cs[:keptChunks]
	}
	return cs
}

// take returns a cleared chunk of at least n entries from free (removing it), or a new
// one of n entries, and records it as used.
func take[T any](free, used *[][]T, n int) []T {
	for i := len(*free) - 1; i >= 0; i-- {
		if c := (*free)[i]; len(c) >= n {
			last := len(*free) - 1
			(*free)[i], (*free)[last] = (*free)[last], nil
			*free = (*free)[:last]
			*used = append(*used, c)
			return c
		}
	}
	c := make([]T, n)
	*used = append(*used, c)
	return c
}

// recent is a slot of a worker's direct-mapped cache of key records.
type recent struct{ k *mvKey }

func (a *arena) key() *mvKey {
	if len(a.records) == 0 {
		a.records = take(&a.free.records, &a.used.records, max(16, a.chunk/4))
	}
	k := &a.records[0]
	a.records = a.records[1:]
	return k
}

func (a *arena) copyReads(src []readDesc) []readDesc {
	if len(src) == 0 {
		return nil
	}
	if len(a.reads) < len(src) {
		a.reads = take(&a.free.reads, &a.used.reads, max(a.chunk, len(src)))
	}
	dst := a.reads[:len(src):len(src)]
	a.reads = a.reads[len(src):]
	copy(dst, src)
	return dst
}

func (a *arena) keys(n int) []*mvKey {
	if n == 0 {
		return nil
	}
	if len(a.written) < n {
		a.written = take(&a.free.keys, &a.used.keys, max(a.chunk, n))
	}
	dst := a.written[:0:n]
	a.written = a.written[n:]
	return dst
}

// record stores the writes and read set of incarnation inc of transaction tx (paper:
// MVMemory.record). A failed incarnation (keepWrites false) writes nothing but its
// read set still counts. It reports whether a key was written that the previous
// incarnation did not write (wrote_new_location).
func (mv *mvMemory) record(tx, inc int, v *view, keepWrites bool, a *arena) bool {
	t, in := int32(tx), int32(inc)
	n := 0
	if keepWrites {
		for i := range v.entries {
			if v.entries[i].kind != writeNone {
				n++
			}
		}
	}
	written := a.keys(n)
	wroteNew := false
	for i := range v.entries {
		if n == 0 {
			break
		}
		e := &v.entries[i]
		if e.kind == writeNone {
			continue
		}
		if e.mk == nil {
			e.mk = mv.key(e.key, a)
		}
		k := e.mk
		ent := mvEntry{tx: t, inc: in, kind: e.kind, value: e.value, delta: e.delta}
		k.mu.Lock()
		if pos, ok := k.find(t); ok {
			k.versions[pos] = ent
		} else {
			if len(k.versions) == cap(k.versions) && cap(a.spare) > len(k.versions) {
				k.versions = append(a.spare, k.versions...)
				a.spare = nil
			}
			k.versions = slices.Insert(k.versions, pos, ent)
			wroteNew = true
		}
		k.mu.Unlock()
		written = append(written, k)
	}
	m := &mv.meta[tx]
	// Versions of keys the previous incarnation wrote and this one did not.
	for _, k := range m.written {
		k.mu.Lock()
		if pos, ok := k.find(t); ok && k.versions[pos].inc != in {
			k.versions = slices.Delete(k.versions, pos, pos+1)
		}
		k.mu.Unlock()
	}
	reads := a.copyReads(v.reads)
	m.mu.Lock()
	m.reads, m.written = reads, written
	m.mu.Unlock()
	return wroteNew
}

// validate reports whether every read of the last recorded incarnation of tx would
// return the same answer now (paper: MVMemory.validate_read_set).
func (mv *mvMemory) validate(tx int) bool {
	m := &mv.meta[tx]
	t := int32(tx)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := range m.reads {
		r := &m.reads[i]
		r.mk.mu.RLock()
		now := mv.resolveLocked(r.mk, t)
		r.mk.mu.RUnlock()
		if now.blocked || now.needBase || now.kind != r.kind {
			return false
		}
		switch r.kind {
		case readVersion:
			if now.tx != r.tx || now.inc != r.inc {
				return false
			}
		case readResolved:
			if now.lv.bad != r.bad || (!r.bad && now.lv.num != r.num) {
				return false
			}
		}
	}
	return true
}

// convertWritesToEstimates marks every version of tx's last incarnation as an ESTIMATE
// (paper: MVMemory.convert_writes_to_estimates).
func (mv *mvMemory) convertWritesToEstimates(tx int) {
	m := &mv.meta[tx]
	t := int32(tx)
	m.mu.RLock()
	written := m.written
	m.mu.RUnlock()
	for _, k := range written {
		k.mu.Lock()
		if pos, ok := k.find(t); ok {
			k.versions[pos].estimate = true
		}
		k.mu.Unlock()
	}
}

// splitSortMinTxs is the block size from which the final sort is split over
// goroutines: below it, waking a goroutine costs more than the sort.
const splitSortMinTxs = 512

// keyRef is a written key during the final sort (the string beside the pointer
// saves an indirection per comparison).
type keyRef struct {
	key string
	k   *mvKey
}

// finals returns the final value of every written key in key order (paper:
// MVMemory.snapshot). It runs after all workers stopped; the sort, the largest
// single-threaded cost of a block, is split over the workers' goroutines by ranges of
// the key table's buckets and the sorted parts are merged.
func (mv *mvMemory) finals(n, workers int, v *view) ([]final, error) {
	if n < splitSortMinTxs {
		workers = 1
	}
	workers = max(1, min(workers, len(mv.buckets)))
	parts := make([][]keyRef, workers)
	sortPart := func(w int) {
		var refs []keyRef
		nb := len(mv.buckets)
		mv.all(w*nb/workers, (w+1)*nb/workers, func(k *mvKey) {
			if len(k.versions) > 0 {
				refs = append(refs, keyRef{key: k.key, k: k})
			}
		})
		slices.SortFunc(refs, func(a, b keyRef) int { return strings.Compare(a.key, b.key) })
		parts[w] = refs
	}
	OnGoroutines(workers, sortPart)
	for len(parts) > 1 { // merge pairwise; bucket ranges hold disjoint keys
		next := make([][]keyRef, 0, (len(parts)+1)/2)
		for i := 0; i+1 < len(parts); i += 2 {
			next = append(next, mergeRefs(parts[i], parts[i+1]))
		}
		if len(parts)%2 == 1 {
			next = append(next, parts[len(parts)-1])
		}
		parts = next
	}
	refs := parts[0]
	fs := make([]final, len(refs))
	for i, r := range refs {
		lv, err := mv.valueAt(v, r.k, n)
		if err != nil {
			return nil, err
		}
		fs[i] = final{key: r.key, val: lv}
	}
	return fs, nil
}

// sortedWrites is a worker's part of the write set once the block is done: the final
// value of every written key among created, in key order, encoded. Each key record is
// created by exactly one worker, so the parts are disjoint and their merge is the
// write set. Done means no task runs any more (the versions no longer change); the
// locks are still taken, for the race detector's sake. It reports false if a key's
// value is not plain (not numeric after deltas, or a base read failed): the caller
// then builds the write set the general way, which reports the error in key order.
//
// refs and ws are buffers to reuse (their contents are overwritten); sortedWrites
// returns them, grown as needed, with the part in ws.
func (mv *mvMemory) sortedWrites(created []*mvKey, n int, refs []keyRef, ws []Write) ([]Write, []keyRef, bool) {
	refs = refs[:0]
	for _, k := range created {
		k.mu.RLock()
		written := len(k.versions) > 0
		k.mu.RUnlock()
		if written {
			refs = append(refs, keyRef{key: k.key, k: k})
		}
	}
	slices.SortFunc(refs, func(a, b keyRef) int { return strings.Compare(a.key, b.key) })
	ws = slices.Grow(ws[:0], len(refs))[:len(refs)]
	for i, r := range refs {
		r.k.mu.RLock()
		res := mv.resolveLocked(r.k, int32(n))
		r.k.mu.RUnlock()
		if res.needBase { // only deltas were added to a key no transaction read
			val, err := mv.base.Get(r.key)
			if err != nil {
				return ws, refs, false
			}
			if len(val) == 0 {
				val = nil
			}
			r.k.mu.Lock()
			if !r.k.baseLoaded {
				r.k.base, r.k.baseLoaded = val, true
			}
			res = mv.resolveLocked(r.k, int32(n))
			r.k.mu.Unlock()
		}
		if res.blocked || res.needBase || res.lv.bad {
			return ws, refs, false
		}
		val := res.lv.raw
		if res.lv.numeric {
			val = mv.codec.EncodeNumeric(res.lv.num)
		}
		ws[i] = Write{Key: r.key, Value: val}
	}
	return ws, refs, true
}

// mergeWrites merges key-ordered parts with disjoint keys.
func mergeWrites(parts [][]Write) []Write {
	total, nonEmpty := 0, 0
	for _, p := range parts {
		total += len(p)
		if len(p) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty <= 1 {
		for _, p := range parts {
			if len(p) > 0 {
				return p
			}
		}
		return []Write{}
	}
	if len(parts) == 2 {
		a, b := parts[0], parts[1]
		out := make([]Write, total)
		i := 0
		for len(a) > 0 && len(b) > 0 {
			if a[0].Key < b[0].Key {
				out[i], a = a[0], a[1:]
			} else {
				out[i], b = b[0], b[1:]
			}
			i++
		}
		i += copy(out[i:], a)
		copy(out[i:], b)
		return out
	}
	for len(parts) > 1 {
		next := make([][]Write, 0, (len(parts)+1)/2)
		for i := 0; i+1 < len(parts); i += 2 {
			next = append(next, mergeWrites(parts[i:i+2]))
		}
		if len(parts)%2 == 1 {
			next = append(next, parts[len(parts)-1])
		}
		parts = next
	}
	return parts[0]
}

func mergeRefs(a, b []keyRef) []keyRef {
	out := make([]keyRef, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].key < b[0].key {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// valueAt returns the value of k below transaction tx, with no worker running.
func (mv *mvMemory) valueAt(v *view, k *mvKey, tx int) (lowerValue, error) {
	r := mv.resolveLocked(k, int32(tx))
	if r.needBase {
		val, err := v.storageGet(mv.base, k.key)
		if err != nil {
			return lowerValue{}, err
		}
		k.base, k.baseLoaded = val, true
		r = mv.resolveLocked(k, int32(tx))
	}
	if r.blocked {
		return lowerValue{}, errorf(ErrInternal, "ESTIMATE of tx %d left after the workers stopped", r.blocker)
	}
	return r.lv, nil
}

// seedSequential puts into s the state the sequential path has after transactions
// 0..from-1, all of which are executed and validated: for every key they wrote, the
// last full value and the deltas added after it (a key with only deltas loads its base
// value lazily, as on the sequential path). No worker may be running. The records are
// visited in bucket order, which only decides the order s's map is filled in.
func (mv *mvMemory) seedSequential(s *seqState, from int) error {
	t := int32(from)
	var err error
	mv.all(0, len(mv.buckets), func(k *mvKey) {
		nb := k.below(t)
		if nb == 0 || err != nil {
			return
		}
		sk := s.get(k.key)
		if k.baseLoaded {
			sk.base, sk.loaded = lowerValue{raw: k.base}, true
		}
		sk.written = true
		for _, e := range k.versions[:nb] {
			if e.estimate {
				err = errorf(ErrInternal, "ESTIMATE of tx %d below the sequential tail at %d", e.tx, from)
				return
			}
			if e.kind == writeFull {
				sk.base, sk.loaded = lowerValue{raw: e.value}, true
				sk.sum, sk.deltas = U256{}, 0
				continue
			}
			sk.sum = sk.sum.Add(e.delta)
			sk.deltas++
		}
	})
	return err
}
