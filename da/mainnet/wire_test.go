package mainnet

import (
	"bytes"
	"testing"
)

func TestWireRoundTrip(t *testing.T) {
	b := enc(nil).varint(1, 42).bytes(2, []byte("ns")).bytes(2, []byte("ns2")).varint(7, 0)
	f, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.u(1) != 42 || !bytes.Equal(f.b(2), []byte("ns2")) || len(f.bytes[2]) != 2 || f.u(7) != 0 {
		t.Fatalf("fields: %+v", f)
	}
}

// FuzzParse: responses from a node are untrusted; parsing never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(enc(nil).varint(1, 5).bytes(2, []byte{1, 2, 3})))
	f.Add([]byte{0x0a, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := parse(b)
		if err != nil {
			return
		}
		_, _ = decodeBlob(fs.b(1))
		_, _ = fs.sub(2)
	})
}
