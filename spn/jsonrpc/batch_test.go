package jsonrpc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

// codedError is an error with a JSON-RPC code and data, as "execution reverted" is.
type codedError struct{ data string }

func (e codedError) Error() string          { return "reverted <&> é" }
func (e codedError) ErrorCode() int         { return 3 }
func (e codedError) ErrorData() interface{} { return e.data }

// send is the method both paths serve: a hash of the argument, or an error chosen by
// its first byte.
func send(arg []byte) (common.Hash, error) {
	if len(arg) > 0 {
		switch arg[0] {
		case 0xee:
			return common.Hash{}, fmt.Errorf("plain error over %d bytes", len(arg))
		case 0xcc:
			return common.Hash{}, codedError{data: hexutil.Encode(arg)}
		}
	}
	return crypto.Keccak256Hash(arg), nil
}

type testAPI struct{}

func (testAPI) Send(arg hexutil.Bytes) (common.Hash, error) { return send(arg) }

// handlers returns a handler with the fast path and one without, over identical
// servers, and a counter of the fast path's batches.
func handlers(t testing.TB) (fast, plain *Handler, served *atomic.Int64) {
	mk := func() *Handler {
		srv := rpc.NewServer()
		if err := srv.RegisterName("test", testAPI{}); err != nil {
			t.Fatal(err)
		}
		return NewHandler(srv)
	}
	served = new(atomic.Int64)
	fast, plain = mk(), mk()
	fast.SetBatchPath(BatchPath{Method: "test_send", Serve: func(_ context.Context, args [][]byte) []Result {
		served.Add(1)
		out := make([]Result, len(args))
		for i, a := range args {
			h, err := send(a)
			out[i] = Result{Value: h, Err: err}
		}
		return out
	}})
	return fast, plain, served
}

// post sends body to h and returns the status, content type and response body.
func post(h http.Handler, body, contentType string) (int, string, string) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("content-type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header().Get("content-type"), w.Body.String()
}

// TestBatchPathEqualsServer sends each request to both handlers and requires
// byte-identical answers; the fast path must take exactly the requests marked.
func TestBatchPathEqualsServer(t *testing.T) {
	fast, plain, served := handlers(t)
	for _, c := range []struct {
		body string
		fast bool
	}{
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x0102"]}]`, true},
		{` [ {"method":"test_send", "params":[ "0xABcd" ] ,"id":"a-1","jsonrpc":"2.0"} ,
		   {"jsonrpc":"2.0","id":-7,"method":"test_send","params":["0x"]},
		   {"jsonrpc":"2.0","id":0,"method":"test_send","params":["0xee00"]},
		   {"jsonrpc":"2.0","id":"x y","method":"test_send","params":["0xcc0102"]} ]` + "\n", true},
		// The server's answers: not the fast path's form.
		{`{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01"]}`, false}, // not a batch
		{`[]`, false}, // empty batch
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x1"]}]`, false},         // odd hex
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["01"]}]`, false},          // no prefix
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0xzz"]}]`, false},        // not hex
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01","0x02"]}]`, false}, // two params
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":[]}]`, false},
		{`[{"jsonrpc":"2.0","method":"test_send","params":["0x01"]}]`, false},               // notification
		{`[{"jsonrpc":"2.0","id":null,"method":"test_send","params":["0x01"]}]`, false},     // null id
		{`[{"jsonrpc":"2.0","id":1.5,"method":"test_send","params":["0x01"]}]`, false},      // fraction
		{`[{"jsonrpc":"2.0","id":"<b>","method":"test_send","params":["0x01"]}]`, false},    // HTML in id
		{`[{"jsonrpc":"2.0","id":"\u0041","method":"test_send","params":["0x01"]}]`, false}, // escape
		{`[{"jsonrpc":"1.0","id":1,"method":"test_send","params":["0x01"]}]`, false},        // version
		{`[{"jsonrpc":"2.0","id":1,"method":"test_other","params":["0x01"]}]`, false},       // method
		{`[{"jsonrpc":"2.0","id":1,"ID":2,"method":"test_send","params":["0x01"]}]`, false}, // unknown key
		{`[{"jsonrpc":"2.0","id":1,"id":2,"method":"test_send","params":["0x01"]}]`, false}, // duplicate key
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01"]},{"jsonrpc":"2.0","id":2,"method":"rpc_modules","params":[]}]`, false},
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01"]}] trailing`, false},
		{`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01"]}`, false}, // truncated
		{`not json`, false},
	} {
		before := served.Load()
		fc, ft, fb := post(fast, c.body, "application/json")
		pc, pt, pb := post(plain, c.body, "application/json")
		if fc != pc || ft != pt || fb != pb {
			t.Errorf("%s\nfast path: %d %s %s\nserver:    %d %s %s", c.body, fc, ft, fb, pc, pt, pb)
		}
		if took := served.Load() != before; took != c.fast {
			t.Errorf("%s: fast path taken %v, want %v", c.body, took, c.fast)
		}
	}
	// Requests the server refuses before parsing go to it as well.
	before := served.Load()
	body := `[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01"]}]`
	for _, ct := range []string{"text/plain", ""} {
		fc, _, fb := post(fast, body, ct)
		pc, _, pb := post(plain, body, ct)
		if fc != pc || fb != pb || fc == http.StatusOK {
			t.Errorf("content type %q: fast path %d %s, server %d %s", ct, fc, fb, pc, pb)
		}
	}
	if code, _, _ := post(fast, body, "application/json; charset=utf-8"); code != http.StatusOK {
		t.Errorf("charset parameter refused: %d", code)
	}
	if served.Load() != before+1 {
		t.Errorf("fast path took %d of the content-type requests, want 1", served.Load()-before)
	}
	// After Stop the server answers (it refuses).
	fast.Stop()
	plain.Stop()
	before = served.Load()
	fc, _, fb := post(fast, body, "application/json")
	pc, _, pb := post(plain, body, "application/json")
	if fc != pc || fb != pb || served.Load() != before {
		t.Errorf("after Stop: fast path %d %q (served %v), server %d %q", fc, fb, served.Load() != before, pc, pb)
	}
}

// TestBatchPathClient sends a batch through go-ethereum's own client over HTTP.
func TestBatchPathClient(t *testing.T) {
	fast, _, served := handlers(t)
	hs := httptest.NewServer(fast)
	defer hs.Close()
	c, err := rpc.Dial(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	args := [][]byte{{1, 2, 3}, {0xee}, {0xcc, 9}, {}}
	batch := make([]rpc.BatchElem, len(args))
	hashes := make([]common.Hash, len(args))
	for i, a := range args {
		batch[i] = rpc.BatchElem{Method: "test_send", Args: []any{hexutil.Bytes(a)}, Result: &hashes[i]}
	}
	if err := c.BatchCall(batch); err != nil {
		t.Fatal(err)
	}
	if served.Load() != 1 {
		t.Fatalf("fast path served %d batches, want 1", served.Load())
	}
	for i, a := range args {
		want, wantErr := send(a)
		if wantErr == nil {
			if batch[i].Error != nil || hashes[i] != want {
				t.Errorf("call %d: %s %v, want %s", i, hashes[i], batch[i].Error, want)
			}
			continue
		}
		if batch[i].Error == nil || batch[i].Error.Error() != wantErr.Error() {
			t.Errorf("call %d: error %v, want %v", i, batch[i].Error, wantErr)
		}
		var de rpc.DataError
		if errors.As(wantErr, &de) {
			var got rpc.DataError
			if !errors.As(batch[i].Error, &got) || got.ErrorData() != de.ErrorData() {
				t.Errorf("call %d: error data lost: %v", i, batch[i].Error)
			}
		}
	}
}

// FuzzBatchPath sends arbitrary bodies to both handlers: the answers must be the same
// bytes.
func FuzzBatchPath(f *testing.F) {
	for _, s := range []string{
		`[{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x0102"]}]`,
		`[{"jsonrpc":"2.0","id":"q","method":"test_send","params":["0xee"]},{"jsonrpc":"2.0","id":2,"method":"test_send","params":["0xcc"]}]`,
		`[{"params":["0x"],"method":"test_send","id":-3,"jsonrpc":"2.0"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"test_send","params":["0x01"]}`,
	} {
		f.Add([]byte(s))
	}
	fast, plain, _ := handlers(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fc, ft, fb := post(fast, string(body), "application/json")
		pc, pt, pb := post(plain, string(body), "application/json")
		if fc != pc || ft != pt || fb != pb {
			t.Fatalf("%q\nfast path: %d %s %s\nserver:    %d %s %s", body, fc, ft, fb, pc, pt, pb)
		}
	})
}
