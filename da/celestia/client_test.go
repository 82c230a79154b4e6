package celestia_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/farolnet/farol/da"
	"github.com/farolnet/farol/da/celestia"
)

// fakeNode speaks celestia-node's blob JSON-RPC: the wire format (methods,
// positional params, base64 bytes, bearer token, error objects) is the
// node's; the proofs it hands out are opaque tokens.
type fakeNode struct {
	mu     sync.Mutex
	token  string
	height uint64
	blobs  map[string]map[string]any // key(height, ns, commitment) -> JSON blob
	proofs map[string]string
	calls  []string
}

func key(h uint64, ns, c []byte) string { return fmt.Sprintf("%d/%x/%x", h, ns, c) }

func (n *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+n.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var req struct {
		JSONRPC string            `json:"jsonrpc"`
		ID      uint64            `json:"id"`
		Method  string            `json:"method"`
		Params  []json.RawMessage `json:"params"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.JSONRPC != "2.0" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, req.Method)
	reply := func(result any, rpcErr error) {
		out := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		if rpcErr != nil {
			out["error"] = map[string]any{"code": 1, "message": rpcErr.Error()}
		} else {
			out["result"] = result
		}
		_ = json.NewEncoder(w).Encode(out)
	}
	var (
		height     uint64
		ns, commit []byte
	)
	arg := func(i int, v any) bool {
		if i >= len(req.Params) || json.Unmarshal(req.Params[i], v) != nil {
			reply(nil, errors.New("bad params"))
			return false
		}
		return true
	}
	switch req.Method {
	case "blob.Submit":
		var blobs []map[string]any
		var opts map[string]any
		if !arg(0, &blobs) || !arg(1, &opts) {
			return
		}
		n.height++
		for _, b := range blobs {
			var nsb, cb []byte
			_ = json.Unmarshal(mustJSON(b["namespace"]), &nsb)
			_ = json.Unmarshal(mustJSON(b["commitment"]), &cb)
			b["index"] = 7
			n.blobs[key(n.height, nsb, cb)] = b
		}
		reply(n.height, nil)
	case "blob.Get", "blob.GetProof":
		if !arg(0, &height) || !arg(1, &ns) || !arg(2, &commit) {
			return
		}
		b, ok := n.blobs[key(height, ns, commit)]
		if !ok {
			reply(nil, errors.New("blob: not found"))
			return
		}
		if req.Method == "blob.Get" {
			reply(b, nil)
			return
		}
		p := []map[string]any{{"start": 1, "end": 3, "nodes": [][]byte{commit}, "is_max_namespace_ignored": true}}
		n.proofs[key(height, ns, commit)] = string(mustJSON(p))
		reply(p, nil)
	case "blob.GetAll":
		var nss [][]byte
		if !arg(0, &height) || !arg(1, &nss) {
			return
		}
		var out []map[string]any
		for k, b := range n.blobs {
			for _, x := range nss {
				if bytes.HasPrefix([]byte(k), []byte(fmt.Sprintf("%d/%x/", height, x))) {
					out = append(out, b)
				}
			}
		}
		if len(out) == 0 {
			reply(nil, errors.New("blob: not found"))
			return
		}
		reply(out, nil)
	case "blob.Included":
		var proof json.RawMessage
		if !arg(0, &height) || !arg(1, &ns) || !arg(2, &proof) || !arg(3, &commit) {
			return
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, proof)
		reply(n.proofs[key(height, ns, commit)] == compact.String(), nil)
	default:
		reply(nil, fmt.Errorf("method %s not found", req.Method))
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestCelestiaClient(t *testing.T) {
	node := &fakeNode{token: "secret", blobs: map[string]map[string]any{}, proofs: map[string]string{}}
	srv := httptest.NewServer(node)
	defer srv.Close()
	ctx := context.Background()
	c := celestia.New(srv.URL, "secret", celestia.WithGasPrice(0.002))

	ns, _ := da.NamespaceFromID([]byte("batcher"))
	b1, err := da.NewBlob(ns, bytes.Repeat([]byte("batch-1 "), 1000))
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := da.NewBlob(ns, []byte("batch-2"))
	h, err := c.Submit(ctx, []*da.Blob{b1, b2})
	if err != nil || h != 1 {
		t.Fatalf("submit: %d %v", h, err)
	}
	got, err := c.Get(ctx, h, ns, b1.Commitment)
	if err != nil || !bytes.Equal(got.Data, b1.Data) || got.Index != 7 {
		t.Fatalf("get: %v", err)
	}
	all, err := c.GetAll(ctx, h, [][]byte{ns})
	if err != nil || len(all) != 2 {
		t.Fatalf("get all: %d %v", len(all), err)
	}
	proof, err := c.GetProof(ctx, h, ns, b1.Commitment)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Included(ctx, h, ns, proof, b1.Commitment); err != nil || !ok {
		t.Fatalf("included: %v %v", ok, err)
	}
	if ok, err := c.Included(ctx, h, ns, proof, b2.Commitment); err != nil || ok {
		t.Fatalf("included with another commitment: %v %v", ok, err)
	}
	if _, err := c.Get(ctx, h+1, ns, b1.Commitment); !errors.Is(err, da.ErrBlobNotFound) {
		t.Fatalf("missing blob: %v", err)
	}
	if all, err := c.GetAll(ctx, h+1, [][]byte{ns}); err != nil || len(all) != 0 {
		t.Fatalf("empty height: %v", err)
	}
	if _, err := celestia.New(srv.URL, "wrong").Submit(ctx, []*da.Blob{b1}); err == nil {
		t.Fatal("wrong token accepted")
	}
	// a node that lies about the data is caught by the commitment check
	node.mu.Lock()
	node.blobs[fmt.Sprintf("%d/%x/%x", h, ns, b2.Commitment)]["data"] = []byte("forged")
	node.mu.Unlock()
	if _, err := c.Get(ctx, h, ns, b2.Commitment); !errors.Is(err, da.ErrInvalidBlob) {
		t.Fatalf("forged blob: %v", err)
	}
}
