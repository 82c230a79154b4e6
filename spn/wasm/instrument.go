package wasm

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// Limits bound what an uploaded module may declare. They are consensus parameters:
// every node of an SPN must use the same values.
type Limits struct {
	MaxCodeSize    int    // bytes of the uploaded module
	MaxFunctions   int    // defined functions
	MaxTypes       int    // function types
	MaxParams      int    // parameters or results of one type
	MaxImports     int    // imported functions
	MaxExports     int    // exports
	MaxGlobals     int    // defined globals
	MaxTables      int    // tables
	MaxTableSize   uint32 // elements of one table
	MaxMemoryPages uint32 // 64 KiB pages of linear memory (initial and maximum)
	MaxLocals      int    // locals of one function (parameters included)
	MaxBodySize    int    // bytes of one function body
	MaxFrames      uint32 // nested Wasm calls inside one contract instance
	// MaxBlocks bounds block, loop and if instructions in one function, and
	// MaxBlockWork the sum over functions of their square: wazero's compiler takes time
	// quadratic in a function's blocks (1,000 blocks: ~0.3 s on the reference machine),
	// so without them a small upload could stall every node's compiler.
	MaxBlocks    int
	MaxBlockWork int
	// MaxInstrumentedSize bounds the instrumented module (what nodes compile): a module
	// made of tiny basic blocks grows most under instrumentation.
	MaxInstrumentedSize int
}

// DefaultLimits are the limits of host ABI v1 (README.md, "Limits").
func DefaultLimits() Limits {
	return Limits{
		MaxCodeSize:    4 << 20,
		MaxFunctions:   20000,
		MaxTypes:       2000,
		MaxParams:      32,
		MaxImports:     64,
		MaxExports:     256,
		MaxGlobals:     1024,
		MaxTables:      1,
		MaxTableSize:   20000,
		MaxMemoryPages: 512, // 32 MiB
		MaxLocals:      1024,
		MaxBodySize:    256 << 10,
		MaxFrames:      1024,
		MaxBlocks:      1024,    // Go's runtime: at most 385
		MaxBlockWork:   8 << 20, // Go's runtime: 2.6M

		MaxInstrumentedSize: 10 << 20,
	}
}

// Gas charged by instrumented code (README.md, "Gas schedule").
const (
	gasPerInstruction = 1    // every instruction of a basic block, charged on entry
	gasPerPage        = 2000 // memory.grow, per page asked for (also when it fails)
	gasPerBulkByte    = 1    // memory.copy, memory.fill, memory.init: per 8 bytes
	gasBulkShift      = 3    // ... i.e. length >> 3
	gasPerTableElem   = 10   // table.fill, table.copy, table.init: per element
)

// CodeInfo describes an instrumented module.
type CodeInfo struct {
	Hash      [32]byte // sha256 of the uploaded (not instrumented) bytes: the code hash
	Size      int      // uploaded bytes
	Code      []byte   // the instrumented module, what nodes compile and run
	Functions int
	MemPages  uint32 // initial linear memory
	HasInit   bool   // exports "instantiate"
	HasStart  bool   // exports "_initialize" (runtime initialisation, run on every call)
}

// Instrument validates an uploaded module and rewrites it for metered execution:
//
//   - it refuses what is not deterministic or not bounded (threads, SIMD, tail calls,
//     exceptions, shared or 64-bit memory, a start section, imports outside host ABI v1,
//     table.grow) and anything over lim;
//   - it appends two mutable globals, exported as __farol_gas (i64) and __farol_depth
//     (i32), and charges every basic block on entry: gas -= cost; trap if gas < 0;
//   - memory.grow and bulk memory and table instructions also charge for their size
//     operand;
//   - every function increments the depth counter on entry and decrements it on exit
//     (the body is wrapped in a block so that branches to the function label exit
//     through the decrement) and traps above lim.MaxFrames;
//   - floats are kept, and NaNs are canonicalised wherever their bits become
//     observable: f32/f64.store, i32/i64.reinterpret and the sign operand of copysign.
//
// The rewriting is a pure function of the input bytes, so every node derives the same
// instrumented module. Custom sections are dropped.
func Instrument(code []byte, lim Limits) (*CodeInfo, error) {
	m, err := parseModule(code, lim)
	if err != nil {
		return nil, err
	}
	call, ok := m.exports["call"]
	if !ok || call.kind != 0 {
		return nil, errorf(ErrMissingExport, `function "call"`)
	}
	for _, name := range []string{"call", "instantiate", "_initialize"} {
		e, ok := m.exports[name]
		if !ok {
			continue
		}
		t, ok := m.funcTypeOf(e.idx)
		if e.kind != 0 || !ok || len(t.params) != 0 || len(t.results) != 0 {
			return nil, errorf(ErrMissingExport, "%q must be a function of type [] -> []", name)
		}
	}
	info := &CodeInfo{Hash: sha256.Sum256(code), Size: len(code), Functions: len(m.funcTypes), MemPages: m.memPages}
	_, info.HasInit = m.exports["instantiate"]
	_, info.HasStart = m.exports["_initialize"]

	gasIdx := uint32(m.globals)
	depthIdx := gasIdx + 1
	in := &instrumenter{m: m, lim: lim, gas: gasIdx, depth: depthIdx}

	var codeBody []byte
	for _, s := range m.sections {
		if s.id == secCode {
			if codeBody, err = in.code(s.body); err != nil {
				return nil, err
			}
		}
	}
	return in.assemble(code[:8], codeBody, info)
}

// assemble writes the instrumented module: every kept section in order, with the type,
// global, export and code sections replaced.
func (in *instrumenter) assemble(header, codeBody []byte, info *CodeInfo) (*CodeInfo, error) {
	m := in.m
	byID := map[byte][]byte{}
	for _, s := range m.sections {
		byID[s.id] = s.body
	}
	if codeBody != nil {
		byID[secCode] = codeBody
	}
	in.addEntryWrappers(byID)
	byID[secType] = in.typeSection()
	byID[secGlobal] = in.globalSection()
	byID[secExport] = in.exportSection()
	if _, ok := byID[secMemory]; ok {
		mem := []byte{1, 1}
		mem = appendU32(mem, m.memPages)
		byID[secMemory] = appendU32(mem, m.memMax)
	}
	out := append([]byte(nil), header...)
	for _, id := range []byte{secType, secImport, secFunction, secTable, secMemory, secGlobal,
		secExport, secStart, secElement, secDataCount, secCode, secData} {
		body, ok := byID[id]
		if !ok {
			continue
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if len(out) > in.lim.MaxInstrumentedSize {
		return nil, errorf(ErrLimit, "instrumented module of %d bytes, at most %d", len(out), in.lim.MaxInstrumentedSize)
	}
	info.Code = out
	return info, nil
}

// EntryPrefix names the exported wrappers the instrumenter adds when a module exports
// _initialize: "__farol_call" runs _initialize then call (and "__farol_instantiate"
// likewise), so the host enters the instance once per call: each exported function
// the host calls costs wazero a call engine with its own stack.
const EntryPrefix = "__farol_"

type wrapper struct {
	name   string
	target uint32
}

// addEntryWrappers appends the wrapper functions (function, code and, through
// in.wrappers, export sections).
func (in *instrumenter) addEntryWrappers(byID map[byte][]byte) {
	m := in.m
	initExp, ok := m.exports["_initialize"]
	if !ok {
		return
	}
	for _, name := range []string{"call", "instantiate"} {
		if e, ok := m.exports[name]; ok {
			in.wrappers = append(in.wrappers, wrapper{EntryPrefix + name, e.idx})
		}
	}
	void := -1
	for i, t := range m.types {
		if len(t.params) == 0 && len(t.results) == 0 {
			void = i
			break
		}
	}
	if void < 0 {
		void = len(m.types) + len(in.extraTypes)
		in.extraTypes = append(in.extraTypes, funcType{})
	}
	n := len(m.funcTypes)
	fs := appendU32(nil, uint32(n+len(in.wrappers)))
	if old, ok := byID[secFunction]; ok {
		_, p, _ := readU32(old, 0)
		fs = append(fs, old[p:]...)
	}
	cs := appendU32(nil, uint32(n+len(in.wrappers)))
	if old, ok := byID[secCode]; ok {
		_, p, _ := readU32(old, 0)
		cs = append(cs, old[p:]...)
	}
	for _, w := range in.wrappers {
		fs = appendU32(fs, uint32(void))
		body := []byte{0, 0x10}
		body = appendU32(body, initExp.idx)
		body = append(body, 0x10)
		body = appendU32(body, w.target)
		body = append(body, opEnd)
		cs = appendU32(cs, uint32(len(body)))
		cs = append(cs, body...)
	}
	byID[secFunction], byID[secCode] = fs, cs
}

type instrumenter struct {
	wrappers   []wrapper
	blockWork  int
	m          *module
	lim        Limits
	gas, depth uint32
	extraTypes []funcType // block types for multi-result function bodies
}

func (in *instrumenter) typeSection() []byte {
	var b []byte
	b = appendU32(b, uint32(len(in.m.types)+len(in.extraTypes)))
	for _, t := range append(append([]funcType(nil), in.m.types...), in.extraTypes...) {
		b = append(b, 0x60)
		b = appendU32(b, uint32(len(t.params)))
		b = append(b, t.params...)
		b = appendU32(b, uint32(len(t.results)))
		b = append(b, t.results...)
	}
	return b
}

func (in *instrumenter) globalSection() []byte {
	var old []byte
	for _, s := range in.m.sections {
		if s.id == secGlobal {
			old = s.body
		}
	}
	var b []byte
	b = appendU32(b, uint32(in.m.globals+2))
	if old != nil {
		_, p, _ := readU32(old, 0)
		b = append(b, old[p:]...)
	}
	b = append(b, valI64, 1, 0x42, 0, 0x0b) // gas: mut i64 = 0 (set by the host)
	b = append(b, valI32, 1, 0x41, 0, 0x0b) // depth: mut i32 = 0
	return b
}

func (in *instrumenter) exportSection() []byte {
	var old []byte
	for _, s := range in.m.sections {
		if s.id == secExport {
			old = s.body
		}
	}
	var b []byte
	b = appendU32(b, uint32(len(in.m.exports)+2+len(in.wrappers)))
	if old != nil {
		_, p, _ := readU32(old, 0)
		b = append(b, old[p:]...)
	}
	for i, w := range in.wrappers {
		b = appendU32(b, uint32(len(w.name)))
		b = append(b, w.name...)
		b = append(b, 0)
		b = appendU32(b, uint32(in.m.importFuncs+len(in.m.funcTypes)+i))
	}
	for _, e := range []struct {
		name string
		idx  uint32
	}{{gasGlobalExport, in.gas}, {depthGlobalExport, in.depth}} {
		b = appendU32(b, uint32(len(e.name)))
		b = append(b, e.name...)
		b = append(b, 3)
		b = appendU32(b, e.idx)
	}
	return b
}

func (in *instrumenter) code(body []byte) ([]byte, error) {
	r := &reader{b: body}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := appendU32(nil, n)
	for i := 0; i < int(n); i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		if int(size) > in.lim.MaxBodySize {
			return nil, errorf(ErrLimit, "function %d: body of %d bytes, at most %d", i, size, in.lim.MaxBodySize)
		}
		fb, err := r.bytes(size)
		if err != nil {
			return nil, err
		}
		nb, err := in.body(in.m.types[in.m.funcTypes[i]], fb)
		if err != nil {
			return nil, errorf(errSentinel(err), "function %d: %v", i, err)
		}
		out = appendU32(out, uint32(len(nb)))
		out = append(out, nb...)
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return out, nil
}

// errSentinel returns the sentinel an error of this package wraps.
func errSentinel(err error) error {
	for _, s := range []error{ErrMalformed, ErrForbiddenFeature, ErrLimit, ErrCodeTooLarge, ErrForbiddenImport} {
		if errors.Is(err, s) {
			return s
		}
	}
	return ErrMalformed
}

// Opcodes the instrumenter treats specially.
const (
	opUnreachable = 0x00
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opElse        = 0x05
	opEnd         = 0x0b
	opBr          = 0x0c
	opBrIf        = 0x0d
	opBrTable     = 0x0e
	opReturn      = 0x0f
	opLocalGet    = 0x20
	opLocalTee    = 0x22
	opGlobalGet   = 0x23
	opGlobalSet   = 0x24
	opI32Const    = 0x41
	opI64Const    = 0x42
	opF32Const    = 0x43
	opF64Const    = 0x44
	opMemoryGrow  = 0x40
	opSelect      = 0x1b
	opF32Store    = 0x38
	opF64Store    = 0x39
	opF32Eq       = 0x5b
	opF64Eq       = 0x61
	opF32Copysign = 0x98
	opF64Copysign = 0xa6
	opI32ReinF32  = 0xbc
	opI64ReinF64  = 0xbd
	opPrefixFC    = 0xfc
)

// temporaries a function body needs (appended locals).
type temps struct {
	i32, f32, f64 bool
}

// body instruments one function body.
func (in *instrumenter) body(t funcType, fb []byte) ([]byte, error) {
	r := &reader{b: fb}
	groups, err := r.u32()
	if err != nil {
		return nil, err
	}
	nlocals := uint64(len(t.params))
	for g := uint32(0); g < groups; g++ {
		c, err := r.u32()
		if err != nil {
			return nil, err
		}
		vt, err := r.byte()
		if err != nil {
			return nil, err
		}
		if !isValType(vt) {
			return nil, errorf(ErrForbiddenFeature, "local type 0x%x", vt)
		}
		nlocals += uint64(c)
		if nlocals > uint64(in.lim.MaxLocals) {
			return nil, errorf(ErrLimit, "more than %d locals", in.lim.MaxLocals)
		}
	}
	localsEnd := r.pos
	// Temporaries get the next local indices.
	tmpI32, tmpF32, tmpF64 := uint32(nlocals), uint32(nlocals+1), uint32(nlocals+2)

	var code []byte // instrumented instructions
	seg := make([]byte, 0, 64)
	cost := int64(0)
	depth := 0 // open blocks inside the body
	blocks := 0
	var used temps

	flush := func() {
		if cost > 0 {
			code = in.charge(code, cost)
		}
		code = append(code, seg...)
		seg = seg[:0]
		cost = 0
	}
	for {
		start := r.pos
		if start >= len(fb) {
			return nil, errorf(ErrMalformed, "body without end")
		}
		op, next, err := skipInstr(fb, start)
		if err != nil {
			return nil, err
		}
		r.pos = next
		instr := fb[start:next]
		cost += gasPerInstruction
		switch op {
		case opEnd:
			if depth == 0 {
				if r.pos != len(fb) {
					return nil, errorf(ErrMalformed, "code after the end of the body")
				}
				flush()
				in.blockWork += blocks * blocks
				if in.blockWork > in.lim.MaxBlockWork {
					return nil, errorf(ErrLimit, "compilation work (sum of squared block counts) over %d", in.lim.MaxBlockWork)
				}
				return in.wrap(t, fb[:localsEnd], groups, used, code)
			}
			depth--
			seg = append(seg, instr...)
			flush()
		case opBlock, opLoop, opIf:
			depth++
			blocks++
			if blocks > in.lim.MaxBlocks {
				return nil, errorf(ErrLimit, "more than %d blocks in a function", in.lim.MaxBlocks)
			}

			seg = append(seg, instr...)
			flush()
		case opElse, opBr, opBrIf, opBrTable, opUnreachable:
			seg = append(seg, instr...)
			flush()
		case opReturn:
			seg = in.depthExit(seg)
			seg = append(seg, instr...)
			flush()
		case opMemoryGrow:
			used.i32 = true
			seg = in.chargeDynamic(seg, tmpI32, gasPerPage, 0)
			seg = append(seg, instr...)
		case 0xfc08, 0xfc0a, 0xfc0b: // memory.init, memory.copy, memory.fill: length on top
			used.i32 = true
			seg = in.chargeDynamic(seg, tmpI32, gasPerBulkByte, gasBulkShift)
			seg = append(seg, instr...)
		case 0xfc0c, 0xfc0e, 0xfc11: // table.init, table.copy, table.fill: count on top
			used.i32 = true
			seg = in.chargeDynamic(seg, tmpI32, gasPerTableElem, 0)
			seg = append(seg, instr...)
		case opF32Store, opF32Copysign, opI32ReinF32:
			used.f32 = true
			seg = canonicalise(seg, tmpF32, false)
			seg = append(seg, instr...)
		case opF64Store, opF64Copysign, opI64ReinF64:
			used.f64 = true
			seg = canonicalise(seg, tmpF64, true)
			seg = append(seg, instr...)
		default:
			seg = append(seg, instr...)
		}
	}
}

// wrap assembles the final body: locals (with temporaries), depth entry, the original
// instructions inside a block of the function's result type, depth exit, end.
func (in *instrumenter) wrap(t funcType, locals []byte, groups uint32, used temps, code []byte) ([]byte, error) {
	r := &reader{b: locals}
	_, _ = r.u32()
	extra := 0
	var decl []byte
	// Temporaries are declared in a fixed order so their indices are fixed: i32, f32,
	// f64, each present only if used (index = nlocals + position among all three).
	// To keep indices simple all three are declared when any is used.
	if used.i32 || used.f32 || used.f64 {
		decl = append(decl, 1, valI32, 1, valF32, 1, valF64)
		extra = 3
	}
	out := appendU32(nil, groups+uint32(extra))
	out = append(out, locals[r.pos:]...)
	out = append(out, decl...)
	// depth += 1; if depth > MaxFrames: trap
	out = append(out, opGlobalGet)
	out = appendU32(out, in.depth)
	out = append(out, opI32Const, 1, 0x6a /* i32.add */, opGlobalSet)
	out = appendU32(out, in.depth)
	out = append(out, opGlobalGet)
	out = appendU32(out, in.depth)
	out = append(out, opI32Const)
	out = appendS64(out, int64(in.lim.MaxFrames))
	out = append(out, 0x4b /* i32.gt_u */, opIf, 0x40, opUnreachable, opEnd)
	// block (result ...)
	out = append(out, opBlock)
	switch len(t.results) {
	case 0:
		out = append(out, 0x40)
	case 1:
		out = append(out, t.results[0])
	default:
		idx := -1
		for i, et := range in.extraTypes {
			if et.equal(funcType{results: t.results}) {
				idx = len(in.m.types) + i
			}
		}
		if idx < 0 {
			idx = len(in.m.types) + len(in.extraTypes)
			in.extraTypes = append(in.extraTypes, funcType{results: t.results})
		}
		out = appendS64(out, int64(idx))
	}
	out = append(out, code...)
	out = append(out, opEnd)
	out = in.depthExit(out)
	return append(out, opEnd), nil
}

func (in *instrumenter) depthExit(b []byte) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, in.depth)
	b = append(b, opI32Const, 1, 0x6b /* i32.sub */, opGlobalSet)
	return appendU32(b, in.depth)
}

// charge appends: gas -= cost; if gas < 0: unreachable.
func (in *instrumenter) charge(b []byte, cost int64) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, in.gas)
	b = append(b, opI64Const)
	b = appendS64(b, cost)
	b = append(b, 0x7d /* i64.sub */, opGlobalSet)
	b = appendU32(b, in.gas)
	return in.trapIfNegative(b)
}

func (in *instrumenter) trapIfNegative(b []byte) []byte {
	b = append(b, opGlobalGet)
	b = appendU32(b, in.gas)
	b = append(b, opI64Const, 0, 0x53 /* i64.lt_s */, opIf, 0x40, opUnreachable, opEnd)
	return b
}

// chargeDynamic charges (n >> shift) * unit for the i32 operand n on top of the stack,
// leaving it there.
func (in *instrumenter) chargeDynamic(b []byte, tmp uint32, unit int64, shift int) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, tmp)
	b = append(b, opGlobalGet)
	b = appendU32(b, in.gas)
	b = append(b, opLocalGet)
	b = appendU32(b, tmp)
	b = append(b, 0xad /* i64.extend_i32_u */)
	if shift > 0 {
		b = append(b, opI64Const, byte(shift), 0x88 /* i64.shr_u */)
	}
	b = append(b, opI64Const)
	b = appendS64(b, unit)
	b = append(b, 0x7e /* i64.mul */, 0x7d /* i64.sub */, opGlobalSet)
	b = appendU32(b, in.gas)
	b = in.trapIfNegative(b)
	return b
}

// canonicalise replaces the float on top of the stack by the canonical NaN if it is a
// NaN: tee tmp; const canonNaN; get tmp; get tmp; eq; select.
func canonicalise(b []byte, tmp uint32, f64 bool) []byte {
	b = append(b, opLocalTee)
	b = appendU32(b, tmp)
	if f64 {
		b = append(b, opF64Const)
		b = binary.LittleEndian.AppendUint64(b, canonF64)
	} else {
		b = append(b, opF32Const)
		b = binary.LittleEndian.AppendUint32(b, canonF32)
	}
	b = append(b, opLocalGet)
	b = appendU32(b, tmp)
	b = append(b, opLocalGet)
	b = appendU32(b, tmp)
	if f64 {
		b = append(b, opF64Eq)
	} else {
		b = append(b, opF32Eq)
	}
	// Stack: x, canon, x==x. select keeps x if x==x (not a NaN), else canon.
	return append(b, opSelect)
}
