package mainnet

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The client speaks protobuf to farold without the generated types of
// x/da (which pull in the Cosmos SDK): requests are appended with protowire
// and responses parsed into fields. Field numbers are those of
// proto/farol/da/v1 and the SDK's tx and CometBFT services.

// rawCodec passes pre-encoded protobuf bytes through gRPC.
type rawCodec struct{}

type rawMsg struct{ b []byte }

func (rawCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(*rawMsg)
	if !ok {
		return nil, fmt.Errorf("mainnet: cannot marshal %T", v)
	}
	return m.b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(*rawMsg)
	if !ok {
		return fmt.Errorf("mainnet: cannot unmarshal into %T", v)
	}
	m.b = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

type enc []byte

func (e enc) varint(num protowire.Number, v uint64) enc {
	if v == 0 {
		return e
	}
	e = protowire.AppendTag(e, num, protowire.VarintType)
	return protowire.AppendVarint(e, v)
}

func (e enc) bytes(num protowire.Number, v []byte) enc {
	if len(v) == 0 {
		return e
	}
	e = protowire.AppendTag(e, num, protowire.BytesType)
	return protowire.AppendBytes(e, v)
}

// fields is a decoded message: varints and length-delimited values by field
// number, repeated ones in order.
type fields struct {
	varints map[protowire.Number][]uint64
	bytes   map[protowire.Number][][]byte
}

func parse(b []byte) (fields, error) {
	f := fields{varints: map[protowire.Number][]uint64{}, bytes: map[protowire.Number][][]byte{}}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return f, fmt.Errorf("mainnet: bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return f, fmt.Errorf("mainnet: bad varint: %v", protowire.ParseError(n))
			}
			f.varints[num] = append(f.varints[num], v)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return f, fmt.Errorf("mainnet: bad bytes: %v", protowire.ParseError(n))
			}
			f.bytes[num] = append(f.bytes[num], v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return f, fmt.Errorf("mainnet: bad field: %v", protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return f, nil
}

func (f fields) u(num protowire.Number) uint64 {
	if v := f.varints[num]; len(v) > 0 {
		return v[len(v)-1]
	}
	return 0
}

func (f fields) b(num protowire.Number) []byte {
	if v := f.bytes[num]; len(v) > 0 {
		return v[len(v)-1]
	}
	return nil
}

func (f fields) sub(num protowire.Number) (fields, error) { return parse(f.b(num)) }
