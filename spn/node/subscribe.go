package node

import (
	"context"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
)

// chainEvents wakes the subscriptions when a block is committed. The commit hook
// only signals (never blocks, never allocates per subscriber): each subscription
// reads the blocks it has not sent yet from the store in its own goroutine, so a
// slow client neither delays consensus nor misses blocks.
type chainEvents struct {
	mu      sync.Mutex
	waiters map[chan struct{}]struct{}
	txs     map[chan common.Hash]struct{} // newPendingTransactions subscribers
}

func newChainEvents() *chainEvents {
	return &chainEvents{waiters: map[chan struct{}]struct{}{}, txs: map[chan common.Hash]struct{}{}}
}

// pendingTxBuffer is how many transaction hashes a newPendingTransactions
// subscription buffers; a client further behind misses hashes.
const pendingTxBuffer = 1024

// accepted tells the newPendingTransactions subscribers about a transaction this
// node put in the mempool (never blocks).
func (c *chainEvents) accepted(h common.Hash) {
	c.mu.Lock()
	for ch := range c.txs {
		select {
		case ch <- h:
		default: // subscriber too far behind
		}
	}
	c.mu.Unlock()
}

// committed is the App.OnCommit hook.
func (c *chainEvents) committed(*Block) {
	c.mu.Lock()
	for ch := range c.waiters {
		select {
		case ch <- struct{}{}:
		default: // already signalled
		}
	}
	c.mu.Unlock()
}

// wait returns a channel signalled after each commit and its cancel function.
func (c *chainEvents) wait() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	c.mu.Lock()
	c.waiters[ch] = struct{}{}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.waiters, ch)
		c.mu.Unlock()
	}
}

// subscribeHeights starts a subscription calling emit for every block committed
// after the subscription was made, in order; it ends when the client
// unsubscribes or disconnects, or emit fails.
func (e *EthAPI) subscribeHeights(ctx context.Context, emit func(n *rpc.Notifier, id rpc.ID, height uint64) error) (*rpc.Subscription, error) {
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	wake, cancel := e.events.wait()
	next, _, _ := e.app.Head()
	next++
	go func() {
		defer cancel()
		for {
			select {
			case <-wake:
				head, _, _ := e.app.Head()
				for ; next <= head; next++ {
					if err := emit(notifier, sub.ID, next); err != nil {
						return
					}
				}
			case <-sub.Err():
				return
			}
		}
	}()
	return sub, nil
}

// NewHeads subscribes to the headers of new blocks (eth_subscribe "newHeads").
func (e *EthAPI) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	return e.subscribeHeights(ctx, func(n *rpc.Notifier, id rpc.ID, height uint64) error {
		h, err := e.app.st.header(height)
		if err != nil {
			return err
		}
		m, err := marshalHeader(h)
		if err != nil {
			return err
		}
		return n.Notify(id, m)
	})
}

// Logs subscribes to the logs of new blocks that match a filter (eth_subscribe
// "logs"), one notification per log; the filter's block range is ignored and no
// filter means every log.
func (e *EthAPI) Logs(ctx context.Context, filter *FilterQuery) (*rpc.Subscription, error) {
	var q FilterQuery
	if filter != nil {
		q = *filter
	}
	return e.subscribeHeights(ctx, func(n *rpc.Notifier, id rpc.ID, height uint64) error {
		logs, err := e.blockLogs(&q, height, nil)
		if err != nil {
			return err
		}
		for _, l := range logs {
			if err := n.Notify(id, l); err != nil {
				return err
			}
		}
		return nil
	})
}

// NewPendingTransactions subscribes to the hashes of the transactions this node
// accepts into the mempool through eth_sendRawTransaction (eth_subscribe
// "newPendingTransactions"; full transactions are not offered).
func (e *EthAPI) NewPendingTransactions(ctx context.Context, fullTx *bool) (*rpc.Subscription, error) {
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	if fullTx != nil && *fullTx {
		return nil, invalidParams("newPendingTransactions with full transactions is not supported")
	}
	sub := notifier.CreateSubscription()
	ch := make(chan common.Hash, pendingTxBuffer)
	c := e.events
	c.mu.Lock()
	c.txs[ch] = struct{}{}
	c.mu.Unlock()
	go func() {
		defer func() {
			c.mu.Lock()
			delete(c.txs, ch)
			c.mu.Unlock()
		}()
		for {
			select {
			case h := <-ch:
				if err := notifier.Notify(sub.ID, h); err != nil {
					return
				}
			case <-sub.Err():
				return
			}
		}
	}()
	return sub, nil
}
