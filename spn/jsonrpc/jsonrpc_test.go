package jsonrpc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/jsonrpc"
)

type echo struct{}

func (echo) Say(s string) string { return s }

func TestHTTPAndWebSocket(t *testing.T) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("test", echo{}); err != nil {
		t.Fatal(err)
	}
	h := jsonrpc.NewHandler(srv)
	hs := httptest.NewServer(h)
	defer func() {
		hs.CloseClientConnections() // the HTTP client's keep-alive connection
		hs.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, url := range []string{hs.URL, "ws" + strings.TrimPrefix(hs.URL, "http")} {
		c, err := rpc.DialContext(ctx, url)
		if err != nil {
			t.Fatal(url, err)
		}
		var got string
		if err := c.CallContext(ctx, &got, "test_say", "hi"); err != nil || got != "hi" {
			t.Fatalf("%s: %q %v", url, got, err)
		}
		c.Close()
	}
	// Stop closes open WebSocket connections.
	ws, err := rpc.DialContext(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	h.Stop()
	var got string
	if err := ws.CallContext(ctx, &got, "test_say", "hi"); err == nil {
		t.Fatal("call on a stopped server's WebSocket succeeded")
	}
}

func TestIsWebsocket(t *testing.T) {
	for _, c := range []struct {
		upgrade, conn string
		want          bool
	}{
		{"websocket", "Upgrade", true},
		{"WebSocket", "keep-alive, upgrade", true},
		{"websocket", "keep-alive", false},
		{"h2c", "Upgrade", false},
		{"", "", false},
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		if c.upgrade != "" {
			r.Header.Set("Upgrade", c.upgrade)
		}
		if c.conn != "" {
			r.Header.Set("Connection", c.conn)
		}
		if got := jsonrpc.IsWebsocket(r); got != c.want {
			t.Errorf("Upgrade %q Connection %q: %v", c.upgrade, c.conn, got)
		}
	}
}
