// Package jsonrpc serves a go-ethereum rpc.Server over HTTP and WebSocket on one
// address, as the SPN nodes do: a request asking for a WebSocket upgrade gets the
// WebSocket transport (where subscriptions work), any other request the HTTP one.
// An optional fast path (BatchPath) answers HTTP batches of one simple method, as the
// server would; see README.md.
package jsonrpc

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/rpc"
)

// Handler is the http.Handler of a JSON-RPC server. Stop closes the server's
// connections, WebSocket ones included, which http.Server.Shutdown does not (they are
// hijacked).
type Handler struct {
	srv     *rpc.Server
	ws      http.Handler
	batch   BatchPath // SetBatchPath
	served  atomic.Uint64
	stopped atomic.Bool
}

// NewHandler returns the handler of srv; WebSocket upgrades are accepted from any
// origin (the node's RPC is meant for local or operator-fronted use, like geth's
// --ws.origins '*').
func NewHandler(srv *rpc.Server) *Handler {
	return &Handler{srv: srv, ws: srv.WebsocketHandler([]string{"*"})}
}

// ServeHTTP dispatches on the Upgrade header.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if IsWebsocket(r) {
		h.ws.ServeHTTP(w, r)
		return
	}
	if h.serveBatch(w, r) {
		return
	}
	h.srv.ServeHTTP(w, r)
}

// Stop stops the server and closes its connections.
func (h *Handler) Stop() {
	h.stopped.Store(true)
	h.srv.Stop()
}

// IsWebsocket reports whether r asks for a WebSocket upgrade: "Upgrade: websocket" and
// an "upgrade" token in a Connection header.
func IsWebsocket(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	return slices.ContainsFunc(r.Header.Values("Connection"), func(v string) bool {
		return slices.ContainsFunc(strings.Split(v, ","), func(tok string) bool {
			return strings.EqualFold(strings.TrimSpace(tok), "upgrade")
		})
	})
}
