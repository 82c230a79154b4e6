package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Limits of log queries; set them before the node starts.
var (
	// MaxLogRange is the most blocks one eth_getLogs (or one eth_getFilterChanges of
	// a log filter) scans; a wider range (after clamping toBlock to the head) is
	// refused with JSON-RPC error -32005.
	MaxLogRange uint64 = 10_000
	// MaxLogResults is the most logs one eth_getLogs returns; a query matching more
	// is refused with JSON-RPC error -32005.
	MaxLogResults = 10_000
)

// Limits of filters and polling filters.
const (
	// maxTopics is the most topic positions of a filter, maxOrSet the most
	// addresses or topics at one position.
	maxTopics = 4
	maxOrSet  = 1_000
	// FilterTimeout: a polling filter not polled for this long is removed.
	FilterTimeout = 5 * time.Minute
	// maxFilters is the most polling filters installed at once.
	maxFilters = 10_000
	// maxPendingTxs is the most transaction hashes a pending-transaction filter keeps
	// between polls (the oldest are dropped).
	maxPendingTxs = 4_096
	// maxBlockHashes is the most block hashes one eth_getFilterChanges of a block
	// filter returns (the rest come with the next poll).
	maxBlockHashes = 10_000
)

var (
	errFilterNotFound     = errors.New("filter not found")
	errBlockHashWithRange = errors.New("can't specify fromBlock/toBlock with blockHash")
	errInvalidBlockRange  = errors.New("invalid block range params")
)

// FilterQuery is the filter of eth_getLogs, eth_newFilter and the "logs"
// subscription: a block range (fromBlock/toBlock, default latest) or one block
// (blockHash), addresses (any of), and topics by position, each position null
// (any), one topic or a list (any of).
type FilterQuery struct {
	BlockHash *common.Hash
	FromBlock *rpc.BlockNumber
	ToBlock   *rpc.BlockNumber
	Addresses []common.Address
	Topics    [][]common.Hash
}

// UnmarshalJSON decodes a filter object as Ethereum clients send it.
func (q *FilterQuery) UnmarshalJSON(b []byte) error {
	var raw struct {
		BlockHash *common.Hash      `json:"blockHash"`
		FromBlock *rpc.BlockNumber  `json:"fromBlock"`
		ToBlock   *rpc.BlockNumber  `json:"toBlock"`
		Address   json.RawMessage   `json:"address"`
		Topics    []json.RawMessage `json:"topics"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.BlockHash != nil && (raw.FromBlock != nil || raw.ToBlock != nil) {
		return errBlockHashWithRange
	}
	*q = FilterQuery{BlockHash: raw.BlockHash, FromBlock: raw.FromBlock, ToBlock: raw.ToBlock}
	if len(raw.Address) > 0 && string(raw.Address) != "null" {
		var one common.Address
		if err := json.Unmarshal(raw.Address, &one); err == nil {
			q.Addresses = []common.Address{one}
		} else if err := json.Unmarshal(raw.Address, &q.Addresses); err != nil {
			return fmt.Errorf("invalid addresses in query: %w", err)
		}
	}
	if len(raw.Topics) > maxTopics {
		return errors.New("exceed max topics")
	}
	for i, t := range raw.Topics {
		var set []common.Hash
		var one common.Hash
		switch {
		case len(t) == 0 || string(t) == "null":
			// any topic
		case json.Unmarshal(t, &one) == nil:
			set = []common.Hash{one}
		default:
			var list []*common.Hash
			if err := json.Unmarshal(t, &list); err != nil {
				return fmt.Errorf("invalid topic(s) at position %d", i)
			}
			for _, h := range list {
				if h == nil { // null in an OR-set: any topic
					set = nil
					break
				}
				set = append(set, *h)
			}
		}
		q.Topics = append(q.Topics, set)
	}
	return q.check()
}

func (q *FilterQuery) check() error {
	if len(q.Topics) > maxTopics {
		return errors.New("exceed max topics")
	}
	if len(q.Addresses) > maxOrSet {
		return errors.New("exceed max addresses or topics per search position")
	}
	for _, set := range q.Topics {
		if len(set) > maxOrSet {
			return errors.New("exceed max addresses or topics per search position")
		}
	}
	return nil
}

// bloomMatch reports whether a block with bloom may hold matching logs.
func (q *FilterQuery) bloomMatch(bloom types.Bloom) bool {
	if len(q.Addresses) > 0 {
		ok := false
		for _, a := range q.Addresses {
			if types.BloomLookup(bloom, a) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, set := range q.Topics {
		if len(set) == 0 {
			continue
		}
		ok := false
		for _, t := range set {
			if types.BloomLookup(bloom, t) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// match reports whether log l matches the addresses and topics.
func (q *FilterQuery) match(l *types.Log) bool {
	if len(q.Addresses) > 0 {
		ok := false
		for _, a := range q.Addresses {
			if a == l.Address {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(q.Topics) > len(l.Topics) {
		return false
	}
	for i, set := range q.Topics {
		if len(set) == 0 {
			continue
		}
		ok := false
		for _, t := range set {
			if t == l.Topics[i] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// blockLogs appends the logs of block n that match q (nil if the block has none).
func (e *EthAPI) blockLogs(q *FilterQuery, n uint64, out []*types.Log) ([]*types.Log, error) {
	h, err := e.app.st.header(n)
	if err != nil {
		return out, errUnknownBlock
	}
	if !q.bloomMatch(h.Bloom) {
		return out, nil
	}
	b, err := e.app.st.block(n)
	if err != nil {
		return out, errUnknownBlock
	}
	for _, r := range b.Receipts {
		for _, l := range r.Logs {
			if q.match(l) {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// rangeLogs returns the logs of blocks from..to that match q.
func (e *EthAPI) rangeLogs(ctx context.Context, q *FilterQuery, from, to uint64) ([]*types.Log, error) {
	out := []*types.Log{}
	var err error
	for n := from; n <= to; n++ {
		if n&63 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if out, err = e.blockLogs(q, n, out); err != nil {
			return nil, err
		}
		if len(out) > MaxLogResults {
			return nil, limitExceeded("query returned more than %d results; narrow the block range (%d-%d) or the filter", MaxLogResults, from, to)
		}
	}
	return out, nil
}

// logRange resolves a query's fromBlock/toBlock (default latest; pending, safe
// and finalized are latest) to heights; to is clamped to the head and empty is
// true when from is beyond it.
func (e *EthAPI) logRange(q *FilterQuery) (from, to uint64, empty bool, err error) {
	head, _, _ := e.app.Head()
	res := func(b *rpc.BlockNumber) (uint64, error) {
		if b == nil {
			return head, nil
		}
		switch *b {
		case rpc.LatestBlockNumber, rpc.PendingBlockNumber, rpc.SafeBlockNumber, rpc.FinalizedBlockNumber:
			return head, nil
		case rpc.EarliestBlockNumber:
			return 0, nil
		}
		if *b < 0 {
			return 0, errInvalidBlockRange
		}
		return uint64(*b), nil
	}
	if from, err = res(q.FromBlock); err != nil {
		return 0, 0, false, err
	}
	if to, err = res(q.ToBlock); err != nil {
		return 0, 0, false, err
	}
	if from > to {
		return 0, 0, false, errInvalidBlockRange
	}
	if to > head {
		to = head
	}
	if from > head {
		return 0, 0, true, nil
	}
	if to-from >= MaxLogRange {
		return 0, 0, false, limitExceeded("block range too large: %d blocks (%d-%d), at most %d per query", to-from+1, from, to, MaxLogRange)
	}
	return from, to, false, nil
}

// GetLogs returns the logs matching a filter, each with its block hash and
// number, transaction hash and index and log index in the block. Blocks whose
// header bloom excludes the filter are not read. At most MaxLogRange blocks and
// MaxLogResults logs per query.
func (e *EthAPI) GetLogs(ctx context.Context, q FilterQuery) ([]*types.Log, error) {
	if q.BlockHash != nil {
		n, err := e.app.st.blockNumberByHash(*q.BlockHash)
		if latest, _, _ := e.app.Head(); err != nil || n > latest {
			return nil, errors.New("unknown block")
		}
		return e.rangeLogs(ctx, &q, n, n)
	}
	from, to, empty, err := e.logRange(&q)
	if err != nil {
		return nil, err
	}
	if empty {
		return []*types.Log{}, nil
	}
	return e.rangeLogs(ctx, &q, from, to)
}

// Polling filters (eth_newFilter, eth_newBlockFilter,
// eth_newPendingTransactionFilter, eth_getFilterChanges, eth_getFilterLogs,
// eth_uninstallFilter). A filter remembers the last height it reported; changes
// are read from the store at poll time, so no commit ever waits for a filter.

type filterKind int

const (
	logFilter filterKind = iota
	blockFilter
	pendingTxFilter
)

type pollFilter struct {
	kind     filterKind
	query    FilterQuery
	last     uint64        // last height reported (block and log filters)
	txs      []common.Hash // pending-transaction filter: hashes since the last poll
	deadline time.Time
}

type filterStore struct {
	mu sync.Mutex
	m  map[rpc.ID]*pollFilter
}

func newFilterStore() *filterStore { return &filterStore{m: map[rpc.ID]*pollFilter{}} }

// expire removes the filters not polled within FilterTimeout; call with mu held.
func (fs *filterStore) expire(now time.Time) {
	for id, f := range fs.m {
		if now.After(f.deadline) {
			delete(fs.m, id)
		}
	}
}

func (fs *filterStore) install(f *pollFilter) (rpc.ID, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := time.Now()
	fs.expire(now)
	if len(fs.m) >= maxFilters {
		return "", limitExceeded("too many filters installed (%d); uninstall some", maxFilters)
	}
	f.deadline = now.Add(FilterTimeout)
	id := rpc.NewID()
	fs.m[id] = f
	return id, nil
}

// addTx records a transaction accepted by this node for the pending filters.
func (fs *filterStore) addTx(h common.Hash) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.m {
		if f.kind == pendingTxFilter {
			if len(f.txs) >= maxPendingTxs {
				f.txs = f.txs[1:]
			}
			f.txs = append(f.txs, h)
		}
	}
}

// NewFilter installs a log filter; eth_getFilterChanges returns the matching logs
// of the blocks committed since the last poll.
func (e *EthAPI) NewFilter(q FilterQuery) (rpc.ID, error) {
	head, _, _ := e.app.Head()
	return e.filters.install(&pollFilter{kind: logFilter, query: q, last: head})
}

// NewBlockFilter installs a filter of new blocks; eth_getFilterChanges returns the
// hashes of the blocks committed since the last poll.
func (e *EthAPI) NewBlockFilter() (rpc.ID, error) {
	head, _, _ := e.app.Head()
	return e.filters.install(&pollFilter{kind: blockFilter, last: head})
}

// NewPendingTransactionFilter installs a filter of new transactions;
// eth_getFilterChanges returns the hashes of the transactions this node accepted
// (eth_sendRawTransaction) since the last poll.
func (e *EthAPI) NewPendingTransactionFilter() (rpc.ID, error) {
	return e.filters.install(&pollFilter{kind: pendingTxFilter})
}

// UninstallFilter removes a filter; false if there was none.
func (e *EthAPI) UninstallFilter(id rpc.ID) bool {
	e.filters.mu.Lock()
	defer e.filters.mu.Unlock()
	_, ok := e.filters.m[id]
	delete(e.filters.m, id)
	return ok
}

// GetFilterChanges returns what a filter saw since its last poll: logs (log
// filter), block hashes (block filter) or transaction hashes (pending filter).
func (e *EthAPI) GetFilterChanges(ctx context.Context, id rpc.ID) (any, error) {
	fs := e.filters
	fs.mu.Lock()
	now := time.Now()
	fs.expire(now)
	f, ok := fs.m[id]
	if !ok {
		fs.mu.Unlock()
		return nil, errFilterNotFound
	}
	f.deadline = now.Add(FilterTimeout)
	kind, q, last := f.kind, f.query, f.last
	if kind == pendingTxFilter {
		txs := f.txs
		f.txs = nil
		fs.mu.Unlock()
		if txs == nil {
			txs = []common.Hash{}
		}
		return txs, nil
	}
	fs.mu.Unlock()

	head, _, _ := e.app.Head()
	to := head
	var out any
	switch kind {
	case blockFilter:
		if to > last+maxBlockHashes {
			to = last + maxBlockHashes
		}
		hashes := []common.Hash{}
		for n := last + 1; n <= to; n++ {
			h, err := e.app.st.header(n)
			if err != nil {
				return nil, errUnknownBlock
			}
			hashes = append(hashes, h.Hash())
		}
		out = hashes
	default:
		if to > last+MaxLogRange {
			to = last + MaxLogRange
		}
		logs := []*types.Log{}
		if to > last {
			var err error
			if logs, err = e.rangeLogs(ctx, &q, last+1, to); err != nil {
				return nil, err
			}
		}
		out = logs
	}
	fs.mu.Lock()
	if f, ok := fs.m[id]; ok && f.last == last {
		f.last = to
	}
	fs.mu.Unlock()
	return out, nil
}

// GetFilterLogs returns all logs matching a log filter's query (as eth_getLogs).
func (e *EthAPI) GetFilterLogs(ctx context.Context, id rpc.ID) ([]*types.Log, error) {
	e.filters.mu.Lock()
	f, ok := e.filters.m[id]
	var q FilterQuery
	if ok {
		q = f.query
		f.deadline = time.Now().Add(FilterTimeout)
	}
	e.filters.mu.Unlock()
	if !ok || f.kind != logFilter {
		return nil, errFilterNotFound
	}
	return e.GetLogs(ctx, q)
}
