package jsonrpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/ethereum/go-ethereum/rpc"
)

// DefaultBodyLimit is go-ethereum's default limit on an HTTP request body (the
// rpc.Server's unless SetHTTPBodyLimit changed it).
const DefaultBodyLimit = 5 << 20

// BatchPath is a fast path for one kind of HTTP batch request: every call is to
// Method with one hex string ("0x…") as its only parameter, as a load of
// eth_sendRawTransaction calls is. go-ethereum's server decodes such a batch twice
// (the messages, then each parameter by reflection) and runs the calls one by one; the
// fast path decodes it once and gives Serve all the arguments together, so it can
// prepare them at once (spnd recovers their signatures in batches).
//
// The answer is the one go-ethereum's server gives: the same JSON-RPC response
// objects, in order, with the same error codes. Any request outside the narrow form
// the fast path parses (another method, a notification, an escape in a string, an
// id that is neither a plain integer nor a plain string, an argument that is not
// valid hex, a body over BodyLimit, a wrong content type, ...) goes to the server
// unchanged, which answers it as usual.
type BatchPath struct {
	Method string
	// Serve answers the calls' decoded arguments, in order: len(args) results.
	Serve func(ctx context.Context, args [][]byte) []Result
	// BodyLimit is the server's HTTP body limit (0: DefaultBodyLimit).
	BodyLimit int
}

// Result is the answer to one call: Value, marshalled with encoding/json as the
// server marshals a method's result, or Err, encoded as the server encodes an error
// (code -32000 unless it implements rpc.Error, data if it implements
// rpc.DataError).
type Result struct {
	Value any
	Err   error
}

// SetBatchPath installs p. Call it before serving.
func (h *Handler) SetBatchPath(p BatchPath) {
	if p.BodyLimit <= 0 {
		p.BodyLimit = DefaultBodyLimit
	}
	h.batch = p
}

// FastBatches returns how many requests the batch path has answered.
func (h *Handler) FastBatches() uint64 { return h.served.Load() }

// serveBatch answers r on the fast path and reports whether it did. When it did not,
// r's body is restored for the server.
func (h *Handler) serveBatch(w http.ResponseWriter, r *http.Request) bool {
	p := h.batch
	if p.Serve == nil || h.stopped.Load() || r.Method != http.MethodPost ||
		r.ContentLength <= 0 || r.ContentLength > int64(p.BodyLimit) || !jsonContentType(r) {
		return false
	}
	body := make([]byte, r.ContentLength)
	n, err := io.ReadFull(r.Body, body)
	if err != nil {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:n]), r.Body))
		return false
	}
	ids, args, ok := parseBatch(body, p.Method)
	if !ok {
		r.Body = io.NopCloser(bytes.NewReader(body))
		return false
	}
	h.served.Add(1)
	results := p.Serve(r.Context(), args)
	out := make([]byte, 0, 128*len(ids))
	out = append(out, '[')
	for i, id := range ids {
		if i > 0 {
			out = append(out, ',')
		}
		var res Result
		if i < len(results) {
			res = results[i]
		} else {
			res.Err = errors.New("no result")
		}
		out = appendResponse(out, id, res)
	}
	out = append(out, ']', '\n')
	w.Header().Set("content-type", "application/json")
	_, _ = w.Write(out)
	return true
}

// jsonContentType reports whether r's content type is one go-ethereum's server
// accepts.
func jsonContentType(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("content-type"))
	return err == nil && (mt == "application/json" || mt == "application/json-rpc" || mt == "application/jsonrequest")
}

// appendResponse appends the JSON-RPC response to the call with the given raw id, as
// go-ethereum's server writes it.
func appendResponse(out, id []byte, res Result) []byte {
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = append(out, id...)
	if res.Err == nil {
		v, err := json.Marshal(res.Value)
		if err == nil {
			out = append(out, `,"result":`...)
			out = append(out, v...)
			return append(out, '}')
		}
		res.Err = err
	}
	code := -32000 // go-ethereum's errcodeDefault
	if ec, ok := res.Err.(rpc.Error); ok {
		code = ec.ErrorCode()
	}
	msg, _ := json.Marshal(res.Err.Error())
	out = append(out, `,"error":{"code":`...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, `,"message":`...)
	out = append(out, msg...)
	if de, ok := res.Err.(rpc.DataError); ok {
		if d := de.ErrorData(); d != nil {
			if data, err := json.Marshal(d); err == nil {
				out = append(out, `,"data":`...)
				out = append(out, data...)
			}
		}
	}
	return append(out, '}', '}')
}

// parseBatch parses a batch whose every element is
//
//	{"jsonrpc":"2.0","id":ID,"method":method,"params":["0x…"]}
//
// with its four members once each in any order, ID a plain integer or a string of
// printable ASCII without escapes or HTML-special characters (which the server
// would echo changed), and the parameter valid hex. It returns each call's raw id
// and decoded argument; ok is false for anything else.
func parseBatch(b []byte, method string) (ids, args [][]byte, ok bool) {
	p := batchParser{b: b}
	p.space()
	if !p.byte('[') {
		return nil, nil, false
	}
	for {
		p.space()
		id, arg, ok := p.call(method)
		if !ok {
			return nil, nil, false
		}
		ids, args = append(ids, id), append(args, arg)
		p.space()
		if p.byte(']') {
			break
		}
		if !p.byte(',') {
			return nil, nil, false
		}
	}
	p.space()
	return ids, args, p.i == len(p.b)
}

type batchParser struct {
	b []byte
	i int
}

func (p *batchParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c if it is next.
func (p *batchParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters; raw includes the
// quotes.
func (p *batchParser) str() (s, raw []byte, ok bool) {
	start := p.i
	if !p.byte('"') {
		return nil, nil, false
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return p.b[start+1 : p.i-1], p.b[start:p.i], true
		case c == '\\' || c < 0x20:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// id reads a plain integer or a plain string id, raw.
func (p *batchParser) id() ([]byte, bool) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		s, raw, ok := p.str()
		if !ok {
			return nil, false
		}
		for _, c := range s {
			if c >= 0x7f || c == '<' || c == '>' || c == '&' {
				return nil, false
			}
		}
		return raw, true
	}
	start := p.i
	p.byte('-')
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || (n > 1 && p.b[digits] == '0') || n > 18 {
		return nil, false
	}
	return p.b[start:p.i], true
}

// call reads one call object.
func (p *batchParser) call(method string) (id, arg []byte, ok bool) {
	if !p.byte('{') {
		return nil, nil, false
	}
	var seen [4]bool
	for {
		p.space()
		key, _, ok := p.str()
		if !ok {
			return nil, nil, false
		}
		p.space()
		if !p.byte(':') {
			return nil, nil, false
		}
		p.space()
		var field int
		switch string(key) {
		case "jsonrpc":
			field = 0
			v, _, ok := p.str()
			if !ok || string(v) != "2.0" {
				return nil, nil, false
			}
		case "id":
			field = 1
			if id, ok = p.id(); !ok {
				return nil, nil, false
			}
		case "method":
			field = 2
			v, _, ok := p.str()
			if !ok || string(v) != method {
				return nil, nil, false
			}
		case "params":
			field = 3
			if arg, ok = p.hexParam(); !ok {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
		if seen[field] {
			return nil, nil, false
		}
		seen[field] = true
		p.space()
		if p.byte('}') {
			break
		}
		if !p.byte(',') {
			return nil, nil, false
		}
	}
	if seen != [4]bool{true, true, true, true} {
		return nil, nil, false
	}
	return id, arg, true
}

// hexParam reads ["0x…"] and decodes the hex (hexutil.Bytes' rules: a 0x or 0X
// prefix and an even number of digits).
func (p *batchParser) hexParam() ([]byte, bool) {
	if !p.byte('[') {
		return nil, false
	}
	p.space()
	s, _, ok := p.str()
	if !ok || len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || len(s)%2 != 0 {
		return nil, false
	}
	out := make([]byte, (len(s)-2)/2)
	if _, err := hex.Decode(out, s[2:]); err != nil {
		return nil, false
	}
	p.space()
	if !p.byte(']') {
		return nil, false
	}
	return out, true
}
