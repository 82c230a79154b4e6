package wasm

import (
	"context"
	"reflect"
	"sort"
	"strconv"

	"github.com/tetratelabs/wazero/api"
)

// Instance reuse (docs/adr/008-wasm-instance-reuse.md).
//
// Every call behaves as if it ran in a fresh instance of its module. Creating one costs
// wazero ~20 KB of Go heap (module instance, globals, a call engine with a 10 KB
// stack), and with short calls the garbage collector then limits parallel speed-up.
// So the engine keeps finished instances and, before one serves another call, puts it
// back into the exact state instantiation leaves:
//
//   - linear memory: the bytes are overwritten with a copy taken from a fresh instance
//     before its first call (every instance of a module starts with the same memory:
//     data segments are constants), and zeros after its last non-zero byte; an
//     instance whose memory grew is discarded, since memory.grow cannot be undone;
//     modules with more than 4 MiB of initial memory are not reused;
//   - globals: every mutable global (the instrumenter's gas and depth counters
//     included) is set back to the value it had right after this instance was
//     created. Non-exported globals are reachable because the engine compiles the
//     stored module with one extra export per mutable global ("__farol_g<index>"); the
//     stored (consensus) code is not changed, and uploaded modules cannot use the
//     __farol_ prefix;
//   - tables and passive segments: modules that could change them (table.set,
//     table.fill, table.copy, table.init, elem.drop, data.drop; table.grow is refused
//     at upload) are never reused. memory.init only reads its segment.
//
// Nothing else of an instance is observable by its code: imports are host functions
// whose per-call state lives in the frame, the WASI shim answers from the block.
// Only instances whose call returned normally are kept: a trap, revert, out-of-gas or
// cancelled context discards the instance. An instance is used by one call at a time
// (a nested call to the same module gets another one), and at most maxIdlePerCode
// instances per module and Config.MaxPooledMemory bytes in all are kept idle; they are
// closed with their compiled module when the LRU releases it.

// maxIdlePerCode bounds the idle instances kept per compiled module: enough for two
// workers with a few nested calls to the same module.
const maxIdlePerCode = 8

// instanceOverhead is what an idle instance is counted for besides its linear memory
// (wazero's instance bookkeeping and call engines).
const instanceOverhead = 32 << 10

// maxReuseMemory bounds the initial memory of modules whose instances are reused: the
// engine keeps a copy of it per compiled module (only up to its last non-zero byte),
// and a reset writes all of it.
const maxReuseMemory = 64 << 16 // 64 pages, 4 MiB

// DefaultMaxPooledMemory is the default of Config.MaxPooledMemory.
const DefaultMaxPooledMemory = 64 << 20

const globalExportPrefix = "__farol_g"

// reusePlan is what the engine needs to reuse instances of a module.
type reusePlan struct {
	globals []string // export names of the mutable globals
}

// prepare derives the module the engine compiles from stored (instrumented) code, and
// says whether its instances may be reused (plan nil: never). The result behaves
// exactly as the stored code; it differs in two ways:
//
//   - for reuse, one export per mutable global ("__farol_g<index>"), unless the code
//     could change a table or drop a segment (then plan is nil);
//   - runs of active data segments are merged (mergeData), if the code never names a
//     data segment: wazero allocates per segment at every instantiation, and Go's
//     linker emits ~20,000 of them.
//
// If the stored code does not parse, it is returned as it is with a nil plan (wazero
// then decides whether it is valid, exactly as without this step).
func prepare(code []byte) ([]byte, *reusePlan) {
	if len(code) < 8 {
		return code, nil
	}
	type sec struct {
		id         byte
		start, end int // id byte to end of body
		body       []byte
	}
	var secs []sec
	r := &reader{b: code, pos: 8}
	for r.pos < len(r.b) {
		start := r.pos
		id, body, err := r.section()
		if err != nil {
			return code, nil
		}
		secs = append(secs, sec{id, start, r.pos, body})
	}
	var mutable []uint32
	reusable, namesData, hasExports := true, true, false
	for _, s := range secs {
		switch s.id {
		case secGlobal:
			var err error
			if mutable, err = mutableGlobals(s.body); err != nil {
				return code, nil
			}
		case secCode:
			var ok bool
			if reusable, namesData, ok = scanCode(s.body); !ok {
				return code, nil
			}
		case secExport:
			hasExports = true
		}
	}
	var plan *reusePlan
	if reusable && hasExports { // instrumented modules always export the gas counter
		plan = &reusePlan{}
	}
	var merged []byte
	var segments uint32
	if !namesData {
		for _, s := range secs {
			if s.id == secData {
				merged, segments = mergeData(s.body)
			}
		}
	}
	if plan == nil && merged == nil {
		return code, nil
	}
	out := make([]byte, 0, len(code)+64*len(mutable))
	out = append(out, code[:8]...)
	section := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	for _, s := range secs {
		switch {
		case s.id == secExport && plan != nil:
			er := &reader{b: s.body}
			n, err := er.u32()
			if err != nil {
				return code, nil
			}
			body := appendU32(nil, n+uint32(len(mutable)))
			body = append(body, s.body[er.pos:]...)
			for _, g := range mutable {
				name := globalExportPrefix + strconv.FormatUint(uint64(g), 10)
				plan.globals = append(plan.globals, name)
				body = appendU32(body, uint32(len(name)))
				body = append(body, name...)
				body = append(body, 3) // global
				body = appendU32(body, g)
			}
			section(secExport, body)
		case s.id == secData && merged != nil:
			section(secData, merged)
		case s.id == secDataCount && merged != nil:
			section(secDataCount, appendU32(nil, segments))
		default:
			out = append(out, code[s.start:s.end]...)
		}
	}
	return out, plan
}

// mutableGlobals returns the indices of the mutable globals a global section defines
// (modules import no globals, so they are the global indices).
func mutableGlobals(body []byte) ([]uint32, error) {
	r := &reader{b: body}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	var out []uint32
	for i := uint32(0); i < n; i++ {
		if _, err := r.byte(); err != nil { // value type
			return nil, err
		}
		mut, err := r.byte()
		if err != nil {
			return nil, err
		}
		if err := r.constExpr(); err != nil {
			return nil, err
		}
		if mut == 1 {
			out = append(out, i)
		}
	}
	return out, r.done()
}

// scanCode reports whether no function body contains an instruction that changes a
// table or drops a segment (reusable), and whether any names a data segment
// (memory.init, data.drop).
func scanCode(body []byte) (reusable, namesData, ok bool) {
	reusable = true
	r := &reader{b: body}
	n, err := r.u32()
	if err != nil {
		return false, false, false
	}
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return false, false, false
		}
		fb, err := r.bytes(size)
		if err != nil {
			return false, false, false
		}
		br := &reader{b: fb}
		groups, err := br.u32()
		if err != nil {
			return false, false, false
		}
		for g := uint32(0); g < groups; g++ {
			if _, err := br.u32(); err != nil {
				return false, false, false
			}
			if _, err := br.byte(); err != nil {
				return false, false, false
			}
		}
		for p := br.pos; p < len(fb); {
			op, next, err := skipInstr(fb, p)
			if err != nil {
				return false, false, false
			}
			switch op {
			case 0x26, // table.set
				0xfc0c, // table.init
				0xfc0d, // elem.drop
				0xfc0e, // table.copy
				0xfc0f, // table.grow
				0xfc11: // table.fill
				reusable = false
			case 0xfc08: // memory.init
				namesData = true
			case 0xfc09: // data.drop
				reusable, namesData = false, true
			}
			p = next
		}
	}
	return reusable, namesData, r.done() == nil
}

// maxDataGap is the most zero bytes mergeData inserts between two segments; in all it
// inserts at most the size of the data section plus maxDataZeros, so a module of many
// tiny segments 1 KiB apart cannot make the compiled module huge.
const (
	maxDataGap   = 1024
	maxDataZeros = 1 << 20
)

// mergeData merges active data segments that lie close together into fewer segments,
// filling the gaps between them with zeros. It returns nil unless every segment is
// active in memory 0 at an i32.const offset and no two segments share a byte. Then,
// before and after merging, instantiation writes each byte of a segment once, leaves
// every other byte (the gaps included) zero, and fails (a segment past the end of
// memory) exactly when the segment that ends last ends past the end of memory. The
// caller checks that no instruction names a segment (their indices change).
func mergeData(body []byte) ([]byte, uint32) {
	r := &reader{b: body}
	n, err := r.u32()
	if err != nil || n < 2 {
		return nil, 0
	}
	type segment struct {
		off  uint64
		data []byte
	}
	segs := make([]segment, 0, n)
	for i := uint32(0); i < n; i++ {
		flag, err := r.u32()
		if err != nil || flag != 0 {
			return nil, 0
		}
		op, err := r.byte()
		if err != nil || op != opI32Const {
			return nil, 0
		}
		start := r.pos
		v, err := readS32(r)
		if err != nil || string(appendS64(nil, int64(v))) != string(body[start:r.pos]) {
			return nil, 0 // not the canonical encoding: leave it to wazero
		}
		if e, err := r.byte(); err != nil || e != opEnd {
			return nil, 0
		}
		size, err := r.u32()
		if err != nil {
			return nil, 0
		}
		data, err := r.bytes(size)
		if err != nil {
			return nil, 0
		}
		segs = append(segs, segment{uint64(uint32(v)), data}) // wazero reads an unsigned offset
	}
	if r.done() != nil {
		return nil, 0
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].off < segs[j].off })
	var out []byte
	var count uint32
	var run []byte
	var runOff, end uint64
	zeros := uint64(len(body) + maxDataZeros) // zero bytes left to insert
	flush := func() {
		out = append(out, 0, opI32Const)
		out = appendS64(out, int64(int32(uint32(runOff))))
		out = append(out, opEnd)
		out = appendU32(out, uint32(len(run)))
		out = append(out, run...)
		count++
	}
	for i, sg := range segs {
		if i > 0 && sg.off < end {
			return nil, 0 // two segments share a byte
		}
		if gap := sg.off - end; i > 0 && gap <= maxDataGap && gap <= zeros {
			run = append(run, make([]byte, gap)...)
			zeros -= gap
		} else {
			if i > 0 {
				flush()
			}
			run, runOff = nil, sg.off
		}
		run = append(run, sg.data...)
		end = sg.off + uint64(len(sg.data))
	}
	flush()
	if count == n {
		return nil, 0
	}
	return append(appendU32(nil, count), out...), count
}

// instance is a live module instance and the handles the engine uses on it.
type instance struct {
	code     *compiledCode // the module it is an instance of
	mod      api.Module
	mem      api.Memory
	gas      api.MutableGlobal
	depth    api.Global
	call     api.Function // the "call" entry (or its _initialize wrapper), looked up once
	init     api.Function // the "instantiate" entry
	globals  []api.MutableGlobal
	initial  []uint64 // the globals' values right after instantiation
	cost     int      // bytes counted against Config.MaxPooledMemory
	reusable bool
}

func (in *instance) entry(c *compiledCode, name string) api.Function {
	fn := &in.call
	if name == "instantiate" {
		fn = &in.init
	}
	if *fn == nil {
		if c.hasStart {
			name = EntryPrefix + name // _initialize, then the entry, in one host->guest call
		}
		*fn = in.mod.ExportedFunction(name)
	}
	return *fn
}

// instance returns an instance of c in its post-instantiation state: an idle one if
// there is one, else a new one.
func (e *Engine) instance(ctx context.Context, c *compiledCode) (*instance, error) {
	if c.plan != nil {
		var in *instance
		e.mu.Lock()
		if n := len(c.idle); n > 0 {
			in = c.idle[n-1]
			c.idle[n-1] = nil
			c.idle = c.idle[:n-1]
			e.idleBytes -= in.cost
		}
		e.mu.Unlock()
		if in != nil {
			if !in.mod.IsClosed() {
				return in, nil
			}
			_ = in.mod.Close(ctx)
		}
	}
	mod, err := e.rt.InstantiateModule(ctx, c.mod, e.modCfg)
	if err != nil {
		return nil, err
	}
	e.created.Add(1)
	in := &instance{code: c, mod: mod, mem: memoryOf(mod)}
	in.gas, _ = mod.ExportedGlobal(gasGlobalExport).(api.MutableGlobal)
	in.depth = mod.ExportedGlobal(depthGlobalExport)
	if c.plan == nil || in.gas == nil || e.noReuse {
		return in, nil
	}
	in.globals = make([]api.MutableGlobal, len(c.plan.globals))
	in.initial = make([]uint64, len(c.plan.globals))
	for i, name := range c.plan.globals {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			return in, nil // not reusable (cannot happen: prepare exported them)
		}
		in.globals[i], in.initial[i] = g, g.Get()
	}
	var size uint32
	if in.mem != nil {
		size = in.mem.Size()
	}
	if size > maxReuseMemory {
		return in, nil
	}
	c.snapOnce.Do(func() {
		if in.mem != nil {
			b, _ := in.mem.Read(0, size)
			n := len(b)
			for n > 0 && b[n-1] == 0 {
				n--
			}
			c.snap = append([]byte(nil), b[:n]...) // the rest is zero
		}
		c.snapSize = size
		c.snapDone = true
	})
	if !c.snapDone || c.snapSize != size {
		return in, nil
	}
	in.cost = int(size) + instanceOverhead
	in.reusable = true
	return in, nil
}

// memoryOf returns m's memory, or nil (wazero returns a typed nil pointer for a module
// without memory).
func memoryOf(m api.Module) api.Memory {
	mem := m.Memory()
	if mem == nil {
		return nil
	}
	if v := reflect.ValueOf(mem); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return mem
}

// reset puts an instance whose call returned normally back into its state right after
// instantiation. It returns false if that is impossible (its memory grew).
func (in *instance) reset(c *compiledCode) bool {
	if in.mem != nil {
		if in.mem.Size() != c.snapSize {
			return false
		}
		b, ok := in.mem.Read(0, c.snapSize)
		if !ok {
			return false
		}
		copy(b, c.snap)
		clear(b[len(c.snap):]) // zero in a fresh memory
	} else if c.snapSize != 0 {
		return false
	}
	for i, g := range in.globals {
		g.Set(in.initial[i])
	}
	return true
}

// putInstance ends a call's use of an instance: it is reset and kept if ok (the call
// returned normally) and there is room, else closed.
func (e *Engine) putInstance(ctx context.Context, c *compiledCode, in *instance, ok bool) {
	if e.resetForReuse(c, in, ok) {
		e.keepIdle(ctx, c, in)
		return
	}
	_ = in.mod.Close(ctx)
}

// resetForReuse puts an instance whose call returned normally (ok) back into its
// post-instantiation state, and reports whether it may serve another call.
func (e *Engine) resetForReuse(c *compiledCode, in *instance, ok bool) bool {
	return ok && in.reusable && !e.noReuse && !in.mod.IsClosed() && in.reset(c)
}

// keepIdle keeps an instance in its post-instantiation state for reuse if there is
// room, else closes it.
func (e *Engine) keepIdle(ctx context.Context, c *compiledCode, in *instance) {
	e.mu.Lock()
	kept := len(c.idle) < maxIdlePerCode && e.idleBytes+in.cost <= e.maxIdle
	if kept {
		c.idle = append(c.idle, in)
		e.idleBytes += in.cost
	}
	e.mu.Unlock()
	if !kept {
		_ = in.mod.Close(ctx)
	}
}

// Idle returns how many finished instances the engine keeps for reuse.
func (e *Engine) Idle() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.compiled {
		n += len(c.idle)
	}
	return n
}

// The env's cache (envCache): in a block, each env keeps the compiled modules it
// loaded and the instances its calls finished, from one transaction to the next, so
// that a call takes neither the engine's lock nor a cache line the other worker
// wrote last. Envs are per block and recycled through a sync.Pool, i.e. mostly per
// processor, so each worker in effect has its own.
//
//   - A kept module stays acquired (Engine.load's reference) until the block ends:
//     a module in use is never released by the LRU, so the module and the instances
//     kept with it stay valid.
//   - A kept instance is reset when its call ends, exactly as one the engine keeps
//     (putInstance), and is returned to the engine's idle instances when the block
//     ends (or closed, if the engine has no room for it).
//
// Measured with two goroutines running independent blocks on one engine against two
// engines (ADR 008, amendment of session 11): the engine's shared lock and counters
// cost the pair 7 % of its speedup with the collector running, 17 % without.
type envCache struct {
	keep  bool // only a block's envs keep anything (a query's env is used once)
	codes []*compiledCode
	idle  []*instance
	bytes int // the idle instances' cost (instance.cost)
}

// envKeptCodes, envKeptInstances and envKeptBytes bound what an env keeps: a block's
// calls mostly go to a few contracts (a swap: the pool and two tokens). The bytes
// bound keeps instances of modules with a large memory in the engine's pool, where
// Config.MaxPooledMemory counts them.
const (
	envKeptCodes     = 8
	envKeptInstances = 4
	envKeptBytes     = 1 << 20
)

// load returns the compiled module of a code hash, acquired for the caller, who
// releases it with release.
func (ev *env) load(hash [32]byte) (*compiledCode, error) {
	for _, c := range ev.cache.codes {
		if c.hash == hash {
			return c, nil
		}
	}
	c, err := ev.e.load(ev.st, hash)
	if err == nil && ev.cache.keep && len(ev.cache.codes) < envKeptCodes {
		ev.cache.codes = append(ev.cache.codes, c) // the env holds this acquisition
	}
	return c, err
}

// release ends a use of c that load started.
func (ev *env) release(c *compiledCode) {
	if !ev.holds(c) {
		ev.e.release(c)
	}
}

func (ev *env) holds(c *compiledCode) bool {
	for _, k := range ev.cache.codes {
		if k == c {
			return true
		}
	}
	return false
}

// instance returns an instance of c in its post-instantiation state: one the env
// kept, else the engine's.
func (ev *env) instance(ctx context.Context, c *compiledCode) (*instance, error) {
	for i := len(ev.cache.idle) - 1; i >= 0; i-- {
		if in := ev.cache.idle[i]; in.code == c {
			last := len(ev.cache.idle) - 1
			ev.cache.idle[i] = ev.cache.idle[last]
			ev.cache.idle[last] = nil
			ev.cache.idle = ev.cache.idle[:last]
			ev.cache.bytes -= in.cost
			return in, nil
		}
	}
	return ev.e.instance(ctx, c)
}

// putInstance ends a call's use of an instance (Engine.putInstance); the env keeps it
// if it holds its module and has room, else the engine does.
func (ev *env) putInstance(ctx context.Context, c *compiledCode, in *instance, ok bool) {
	if !ev.e.resetForReuse(c, in, ok) {
		_ = in.mod.Close(ctx)
		return
	}
	if ev.cache.keep && len(ev.cache.idle) < envKeptInstances && ev.cache.bytes+in.cost <= envKeptBytes && ev.holds(c) {
		ev.cache.idle = append(ev.cache.idle, in)
		ev.cache.bytes += in.cost
		return
	}
	ev.e.keepIdle(ctx, c, in)
}

// flush hands what the env kept back to the engine: its instances (already reset) to
// the engine's idle ones, and its modules' acquisitions. No call of the env runs.
func (ev *env) flush(ctx context.Context) {
	for i, in := range ev.cache.idle {
		ev.e.keepIdle(ctx, in.code, in)
		ev.cache.idle[i] = nil
	}
	for i, c := range ev.cache.codes {
		ev.e.release(c)
		ev.cache.codes[i] = nil
	}
	ev.cache.idle, ev.cache.codes, ev.cache.bytes = ev.cache.idle[:0], ev.cache.codes[:0], 0
}
