package wasmnode

import (
	"context"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
)

// Subscriptions (WebSocket): wasm_subscribe "newBlocks" and "events" are fed by
// Commit. Each subscriber has a buffer of SubscriptionBuffer blocks; one that falls
// further behind (its connection does not take the notifications) is dropped, so
// Commit never waits for a client.

// SubscriptionBuffer is how many committed blocks a subscriber may lag behind.
const SubscriptionBuffer = 256

// committedBlock is what Commit publishes: the block and its events.
type committedBlock struct {
	block  *Block
	events []Event
}

type feed struct {
	mu   sync.Mutex
	subs map[chan *committedBlock]struct{}
}

// subscribe returns a channel of committed blocks (closed if the subscriber is
// dropped) and the function that ends the subscription.
func (f *feed) subscribe() (<-chan *committedBlock, func()) {
	ch := make(chan *committedBlock, SubscriptionBuffer)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan *committedBlock]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

func (f *feed) active() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs) > 0
}

// send hands b to every subscriber without blocking; a full subscriber is dropped.
func (f *feed) send(b *committedBlock) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- b:
		default:
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// publish sends a committed block to the subscribers (called by Commit).
func (a *App) publish(p *pendingBlock) {
	if !a.feed.active() || p.header == nil {
		return
	}
	h := p.header
	b := &Block{Number: h.Height, Hash: h.Hash, Time: h.Time, Proposer: h.Proposer, ParentRoot: h.ParentRoot,
		StateRoot: h.StateRoot, ReceiptsHash: h.ReceiptsHash, GasUsed: h.GasUsed, TxHashes: h.TxHashes}
	if b.TxHashes == nil {
		b.TxHashes = []common.Hash{}
	}
	cb := &committedBlock{block: b}
	for i := range p.txs {
		for j, e := range p.txs[i].Events {
			th := h.TxHashes[i]
			cb.events = append(cb.events, Event{Contract: e.Contract, Topic: e.Topic, Data: e.Data,
				BlockNumber: h.Height, TxHash: &th, TxIndex: uint32(i), Index: uint32(j)})
		}
	}
	a.feed.send(cb)
}

// subscription runs a wasm_subscribe subscription: send is called with each
// committed block and returns the notifications to deliver.
func (s *API) subscription(ctx context.Context, send func(*committedBlock) []any) (*rpc.Subscription, error) {
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	ch, cancel := s.app.feed.subscribe()
	go func() {
		defer cancel()
		for {
			select {
			case b, ok := <-ch:
				if !ok {
					return // dropped: too far behind
				}
				for _, v := range send(b) {
					if err := notifier.Notify(sub.ID, v); err != nil {
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

// NewBlocks is the "newBlocks" subscription (wasm_subscribe, WebSocket): each
// committed block as wasm_getBlock returns it (transaction hashes).
func (s *API) NewBlocks(ctx context.Context) (*rpc.Subscription, error) {
	return s.subscription(ctx, func(b *committedBlock) []any { return []any{b.block} })
}

// Events is the "events" subscription (wasm_subscribe, WebSocket): the events of
// committed transactions matching the filter's contract and topic (fromBlock and
// toBlock are ignored), one notification per event, as wasm_getEvents returns them.
func (s *API) Events(ctx context.Context, f *EventFilter) (*rpc.Subscription, error) {
	var filter EventFilter
	if f != nil {
		filter = *f
	}
	return s.subscription(ctx, func(b *committedBlock) []any {
		var out []any
		for _, e := range b.events {
			if filter.Contract != nil && e.Contract != *filter.Contract {
				continue
			}
			if len(filter.Topic) > 0 && string(filter.Topic) != string(e.Topic) {
				continue
			}
			out = append(out, e)
		}
		return out
	})
}
