package wasm

// skipInstr decodes the instruction at pos and returns its opcode (0xfcNN for the
// 0xfc prefix) and the offset of the next instruction. Opcodes outside the accepted
// instruction set are refused here: SIMD (0xfd), threads and atomics (0xfe), tail
// calls, exception handling, table.grow, and anything unknown.
func skipInstr(b []byte, pos int) (uint32, int, error) {
	op := b[pos]
	p := pos + 1
	var err error
	u32 := func() {
		if err == nil {
			_, p, err = readU32(b, p)
		}
	}
	one := func() {
		if err == nil {
			if p >= len(b) {
				err = errorf(ErrMalformed, "truncated instruction at %d", pos)
				return
			}
			p++
		}
	}
	fixed := func(n int) {
		if err == nil {
			if p+n > len(b) {
				err = errorf(ErrMalformed, "truncated instruction at %d", pos)
				return
			}
			p += n
		}
	}
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b:
	case op == 0x02 || op == 0x03 || op == 0x04: // block type
		if p >= len(b) {
			return 0, 0, errorf(ErrMalformed, "truncated block type at %d", pos)
		}
		bt := b[p]
		switch {
		case bt == 0x40 || isValType(bt):
			p++
		case bt == 0x7b:
			return 0, 0, errorf(ErrForbiddenFeature, "v128 block type")
		default:
			p, err = skipSLEB(b, p, 33)
		}
	case op == 0x0c || op == 0x0d || op == 0x10: // br, br_if, call
		u32()
	case op == 0x0e: // br_table
		var n uint32
		n, p, err = readU32(b, p)
		if err == nil && uint64(n) > uint64(len(b)) {
			err = errorf(ErrMalformed, "br_table length %d", n)
		}
		for i := uint32(0); i <= n && err == nil; i++ {
			u32()
		}
	case op == 0x11: // call_indirect type table
		u32()
		u32()
	case op == 0x1c: // select t*
		var n uint32
		n, p, err = readU32(b, p)
		if err == nil && n != 1 {
			err = errorf(ErrMalformed, "typed select with %d types", n)
		}
		if err == nil {
			if p >= len(b) || !isValType(b[p]) {
				err = errorf(ErrForbiddenFeature, "select type")
			} else {
				p++
			}
		}
	case op >= 0x20 && op <= 0x26: // locals, globals, table.get/set
		u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores: memarg
		u32()
		u32()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		one()
	case op == 0x41:
		p, err = skipSLEB(b, p, 32)
	case op == 0x42:
		p, err = skipSLEB(b, p, 64)
	case op == 0x43:
		fixed(4)
	case op == 0x44:
		fixed(8)
	case op >= 0x45 && op <= 0xc4: // numeric, conversions, sign extension
	case op == 0xd0:
		one()
	case op == 0xd1:
	case op == 0xd2:
		u32()
	case op == 0xfc:
		var sub uint32
		sub, p, err = readU32(b, p)
		if err != nil {
			return 0, 0, err
		}
		switch sub {
		case 0, 1, 2, 3, 4, 5, 6, 7: // saturating truncation
		case 8: // memory.init data mem
			u32()
			one()
		case 9, 13: // data.drop, elem.drop
			u32()
		case 10: // memory.copy
			one()
			one()
		case 11: // memory.fill
			one()
		case 12, 14: // table.init, table.copy
			u32()
			u32()
		case 16, 17: // table.size, table.fill
			u32()
		case 15:
			return 0, 0, errorf(ErrForbiddenFeature, "table.grow")
		default:
			return 0, 0, errorf(ErrForbiddenFeature, "opcode 0xfc %d", sub)
		}
		if err != nil {
			return 0, 0, err
		}
		return 0xfc00 | sub, p, nil
	case op == 0xfd:
		return 0, 0, errorf(ErrForbiddenFeature, "SIMD instruction at %d", pos)
	case op == 0xfe:
		return 0, 0, errorf(ErrForbiddenFeature, "threads/atomics instruction at %d", pos)
	default:
		return 0, 0, errorf(ErrForbiddenFeature, "opcode 0x%02x at %d", op, pos)
	}
	if err != nil {
		return 0, 0, err
	}
	return uint32(op), p, nil
}
