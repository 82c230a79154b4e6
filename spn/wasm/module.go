package wasm

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Value types (spec §5.3.1). v128 is refused (no SIMD).
const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valFuncref   = 0x70
	valExternref = 0x6f
)

// Section ids (spec §5.5.2) and their required order.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

var sectionOrder = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secGlobal: 6,
	secExport: 7, secStart: 8, secElement: 9, secDataCount: 10, secCode: 11, secData: 12,
}

// Names the instrumenter adds; a module may not use them.
const (
	gasGlobalExport   = "__farol_gas"
	depthGlobalExport = "__farol_depth"
)

type funcType struct {
	params, results []byte
}

func (t funcType) equal(o funcType) bool {
	return bytes.Equal(t.params, o.params) && bytes.Equal(t.results, o.results)
}

type section struct {
	id   byte
	body []byte
}

// module is the parsed view of an uploaded module that instrumentation needs.
type module struct {
	sections    []section
	types       []funcType
	importFuncs int
	imports     []importEntry
	funcTypes   []uint32 // type index of each defined function
	globals     int      // defined globals
	exports     map[string]exportEntry
	memPages    uint32 // initial pages
	memMax      uint32 // maximum pages after lowering to the limit
}

type importEntry struct {
	module, name string
	typ          funcType
}

type exportEntry struct {
	kind byte
	idx  uint32
}

type reader struct {
	b   []byte
	pos int
}

func (r *reader) u32() (uint32, error) {
	v, p, err := readU32(r.b, r.pos)
	if err != nil {
		return 0, err
	}
	r.pos = p
	return v, nil
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errorf(ErrMalformed, "unexpected end at offset %d", r.pos)
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(r.pos)+uint64(n) > uint64(len(r.b)) {
		return nil, errorf(ErrMalformed, "length %d past the end at offset %d", n, r.pos)
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s, nil
}

// section reads one section: its id and its body.
func (r *reader) section() (byte, []byte, error) {
	id, err := r.byte()
	if err != nil {
		return 0, nil, err
	}
	size, err := r.u32()
	if err != nil {
		return 0, nil, err
	}
	body, err := r.bytes(size)
	return id, body, err
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	s, err := r.bytes(n)
	return string(s), err
}

func (r *reader) count(max int, what string) (int, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if uint64(n) > uint64(max) {
		return 0, errorf(ErrLimit, "%d %s, at most %d", n, what, max)
	}
	return int(n), nil
}

func (r *reader) done() error {
	if r.pos != len(r.b) {
		return errorf(ErrMalformed, "%d trailing bytes in section", len(r.b)-r.pos)
	}
	return nil
}

func (r *reader) valtypes(max int) ([]byte, error) {
	n, err := r.count(max, "value types")
	if err != nil {
		return nil, err
	}
	out, err := r.bytes(uint32(n))
	if err != nil {
		return nil, err
	}
	for _, t := range out {
		if !isValType(t) {
			return nil, errorf(ErrForbiddenFeature, "value type 0x%x", t)
		}
	}
	return out, nil
}

func isValType(t byte) bool {
	switch t {
	case valI32, valI64, valF32, valF64, valFuncref, valExternref:
		return true
	}
	return false
}

// limits reads limits (spec §5.3.4) and returns the minimum and the maximum (or
// math.MaxUint32 if none). Only the minimum is checked against max: a declared maximum
// above the limit is lowered to it (memory) or never reached (tables cannot grow).
func (r *reader) limits(what string, max uint32) (uint32, uint32, error) {
	flag, err := r.byte()
	if err != nil {
		return 0, 0, err
	}
	if flag > 1 {
		return 0, 0, errorf(ErrForbiddenFeature, "%s limits flag 0x%x (shared or 64-bit)", what, flag)
	}
	min, err := r.u32()
	if err != nil {
		return 0, 0, err
	}
	if min > max {
		return 0, 0, errorf(ErrLimit, "%s minimum %d, at most %d", what, min, max)
	}
	mx := uint32(1<<32 - 1)
	if flag == 1 {
		if mx, err = r.u32(); err != nil {
			return 0, 0, err
		}
		if mx < min {
			return 0, 0, errorf(ErrMalformed, "%s maximum %d below minimum %d", what, mx, min)
		}
	}
	return min, mx, nil
}

// parseModule checks the module's structure and the limits and returns what
// instrumentation needs. Code bodies are checked by instrumentBody.
func parseModule(code []byte, lim Limits) (*module, error) {
	if len(code) > lim.MaxCodeSize {
		return nil, errorf(ErrCodeTooLarge, "%d bytes, at most %d", len(code), lim.MaxCodeSize)
	}
	if len(code) < 8 || !bytes.Equal(code[:4], []byte("\x00asm")) {
		return nil, errorf(ErrMalformed, "bad magic")
	}
	if binary.LittleEndian.Uint32(code[4:8]) != 1 {
		return nil, errorf(ErrMalformed, "unsupported version")
	}
	m := &module{exports: map[string]exportEntry{}}
	r := &reader{b: code, pos: 8}
	last := 0
	for r.pos < len(r.b) {
		id, body, err := r.section()
		if err != nil {
			return nil, err
		}
		if id == secCustom {
			continue // dropped: names and debug info play no part in execution
		}
		ord, ok := sectionOrder[id]
		if !ok {
			return nil, errorf(ErrForbiddenFeature, "section id %d", id)
		}
		if ord <= last {
			return nil, errorf(ErrMalformed, "section %d out of order or repeated", id)
		}
		last = ord
		if err := m.parseSection(id, body, lim); err != nil {
			return nil, err
		}
		m.sections = append(m.sections, section{id: id, body: body})
	}
	return m, nil
}

func (m *module) parseSection(id byte, body []byte, lim Limits) error {
	r := &reader{b: body}
	switch id {
	case secType:
		n, err := r.count(lim.MaxTypes, "types")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			form, err := r.byte()
			if err != nil {
				return err
			}
			if form != 0x60 {
				return errorf(ErrMalformed, "type form 0x%x", form)
			}
			p, err := r.valtypes(lim.MaxParams)
			if err != nil {
				return err
			}
			res, err := r.valtypes(lim.MaxParams)
			if err != nil {
				return err
			}
			m.types = append(m.types, funcType{params: p, results: res})
		}
	case secImport:
		n, err := r.count(lim.MaxImports, "imports")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			mod, err := r.name()
			if err != nil {
				return err
			}
			name, err := r.name()
			if err != nil {
				return err
			}
			kind, err := r.byte()
			if err != nil {
				return err
			}
			if kind != 0 {
				return errorf(ErrForbiddenImport, "%s.%s: only functions may be imported", mod, name)
			}
			ti, err := r.u32()
			if err != nil {
				return err
			}
			if int(ti) >= len(m.types) {
				return errorf(ErrMalformed, "import %s.%s: type index %d", mod, name, ti)
			}
			want, ok := hostSignature(mod, name)
			if !ok {
				return errorf(ErrForbiddenImport, "%s.%s is not part of host ABI v1", mod, name)
			}
			if !want.equal(m.types[ti]) {
				return errorf(ErrForbiddenImport, "%s.%s: wrong signature", mod, name)
			}
			m.imports = append(m.imports, importEntry{mod, name, m.types[ti]})
			m.importFuncs++
		}
	case secFunction:
		n, err := r.count(lim.MaxFunctions, "functions")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			ti, err := r.u32()
			if err != nil {
				return err
			}
			if int(ti) >= len(m.types) {
				return errorf(ErrMalformed, "function type index %d", ti)
			}
			m.funcTypes = append(m.funcTypes, ti)
		}
	case secTable:
		n, err := r.count(lim.MaxTables, "tables")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			t, err := r.byte()
			if err != nil {
				return err
			}
			if t != valFuncref && t != valExternref {
				return errorf(ErrMalformed, "table element type 0x%x", t)
			}
			if _, _, err := r.limits("table", lim.MaxTableSize); err != nil {
				return err
			}
		}
	case secMemory:
		n, err := r.count(1, "memories")
		if err != nil {
			return err
		}
		if n == 1 {
			if m.memPages, m.memMax, err = r.limits("memory", lim.MaxMemoryPages); err != nil {
				return err
			}
			m.memMax = min(m.memMax, lim.MaxMemoryPages)
		}
	case secGlobal:
		n, err := r.count(lim.MaxGlobals, "globals")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			t, err := r.byte()
			if err != nil {
				return err
			}
			if !isValType(t) {
				return errorf(ErrForbiddenFeature, "global type 0x%x", t)
			}
			if _, err := r.byte(); err != nil { // mutability
				return err
			}
			if err := r.constExpr(); err != nil {
				return err
			}
		}
		m.globals = n
	case secExport:
		n, err := r.count(lim.MaxExports, "exports")
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			name, err := r.name()
			if err != nil {
				return err
			}
			kind, err := r.byte()
			if err != nil {
				return err
			}
			idx, err := r.u32()
			if err != nil {
				return err
			}
			if strings.HasPrefix(name, "__farol_") {
				return errorf(ErrMalformed, "export name %q is reserved", name)
			}
			if _, dup := m.exports[name]; dup {
				return errorf(ErrMalformed, "duplicate export %q", name)
			}
			m.exports[name] = exportEntry{kind, idx}
		}
	case secStart:
		// A start function would run before the host can set the gas counter.
		return errorf(ErrForbiddenFeature, "start section (export _initialize instead)")
	case secCode:
		n, err := r.count(lim.MaxFunctions, "function bodies")
		if err != nil {
			return err
		}
		if n != len(m.funcTypes) {
			return errorf(ErrMalformed, "%d bodies for %d functions", n, len(m.funcTypes))
		}
		return nil // bodies are checked while instrumenting
	default:
		return nil // element, data, data count: checked by the compiler
	}
	return r.done()
}

// constExpr skips a constant expression (spec §3.3.10) up to its end.
func (r *reader) constExpr() error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b:
			return nil
		case 0x41:
			r.pos, err = skipSLEB(r.b, r.pos, 32)
		case 0x42:
			r.pos, err = skipSLEB(r.b, r.pos, 64)
		case 0x43:
			_, err = r.bytes(4)
		case 0x44:
			_, err = r.bytes(8)
		case 0x23, 0xd2:
			_, err = r.u32()
		case 0xd0:
			_, err = r.byte()
		default:
			return errorf(ErrMalformed, "opcode 0x%x in constant expression", op)
		}
		if err != nil {
			return err
		}
	}
}

// funcTypeOf returns the type of function index fi (imports first).
func (m *module) funcTypeOf(fi uint32) (funcType, bool) {
	if int(fi) < m.importFuncs {
		return m.imports[fi].typ, true
	}
	d := int(fi) - m.importFuncs
	if d >= len(m.funcTypes) {
		return funcType{}, false
	}
	return m.types[m.funcTypes[d]], true
}

// canonical NaNs (spec §4.3.3): positive sign, quiet bit only.
var (
	canonF32 = uint32(0x7fc00000)
	canonF64 = uint64(0x7ff8000000000000)
)
