package wasm

// LEB128 as the WebAssembly binary format defines it (spec §5.2.2). Decoders refuse
// over-long encodings and unused high bits, so one value has one encoding.

func readU32(b []byte, pos int) (uint32, int, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		if pos+i >= len(b) {
			return 0, 0, errorf(ErrMalformed, "truncated LEB128 at offset %d", pos)
		}
		c := b[pos+i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if i == 4 && c&0x70 != 0 {
				return 0, 0, errorf(ErrMalformed, "u32 overflow at offset %d", pos)
			}
			return uint32(v), pos + i + 1, nil
		}
	}
	return 0, 0, errorf(ErrMalformed, "LEB128 too long at offset %d", pos)
}

// skipSLEB skips a signed LEB128 of at most maxBits bits and returns the next offset.
func skipSLEB(b []byte, pos, maxBits int) (int, error) {
	n := (maxBits + 6) / 7
	for i := 0; i < n; i++ {
		if pos+i >= len(b) {
			return 0, errorf(ErrMalformed, "truncated LEB128 at offset %d", pos)
		}
		if b[pos+i]&0x80 == 0 {
			return pos + i + 1, nil
		}
	}
	return 0, errorf(ErrMalformed, "LEB128 too long at offset %d", pos)
}

func appendU32(dst []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			dst = append(dst, c|0x80)
			continue
		}
		return append(dst, c)
	}
}

func appendS64(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

// readS32 reads a signed LEB128 of at most 32 bits (callers that need the canonical
// encoding compare it with appendS64's).
func readS32(r *reader) (int32, error) {
	var v int64
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if shift := 7 * (i + 1); shift < 64 && c&0x40 != 0 {
				v |= -1 << shift // sign-extend
			}
			if v < -1<<31 || v >= 1<<31 {
				return 0, errorf(ErrMalformed, "s32 overflow at offset %d", r.pos)
			}
			return int32(v), nil
		}
	}
	return 0, errorf(ErrMalformed, "LEB128 too long at offset %d", r.pos)
}
