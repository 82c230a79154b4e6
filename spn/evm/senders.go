package evm

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/farolnet/farol/spn/ecrecover"
	"github.com/farolnet/farol/spn/exec"
)

// senderChunk is how many transactions CacheSenders recovers per cgo call (one
// batch).
const senderChunk = ecrecover.BatchSize

// inputChunk is how many signature inputs (a signing hash each, about 1.5 µs) a
// goroutine of a senderJob takes at a time, and messageChunk how many messages (an
// address from a recovered key and core.TransactionToMessage).
const (
	inputChunk   = 32
	messageChunk = 32
)

// recoverSenders builds every transaction's message, recovering the senders up
// front on workers goroutines (the calling one included) through a senderJob.
func (e *Engine) recoverSenders(block *Block, workers int) ([]*core.Message, []error) {
	if workers <= 0 {
		workers = defaultWorkers()
	}
	job := e.newSenderJob(block, workers, time.Now())
	defer job.release()
	exec.OnGoroutines(min(workers, len(block.Txs)/inputChunk), func(int) { job.work() })
	return job.msgs, job.errs
}

// senderJob builds a block's messages, recovering their senders, on every goroutine
// that then executes the block (exec.Config.PrepareWorker), in three steps that each
// goroutine joins in turn, waiting for the others between them:
//  1. the signature inputs, in chunks of inputChunk: the typed transactions the
//     block's signer supports, with signature values go-ethereum accepts
//     (signatureInput), go to one shared recovery;
//  2. that recovery, one call into libsecp256k1 per goroutine (ecrecover.Shared):
//     batches of 64, a cgo call each, scaled worse at 2 goroutines (docs/bench/
//     wasm.md, the scaling line, and ADR 011);
//  3. the messages, in chunks of messageChunk, built by go-ethereum's
//     core.TransactionToMessage with a signer that answers the recovered address.
//     Any other transaction, and any signature that did not recover, goes through
//     go-ethereum's own types.Sender, which gives its exact error.
//
// With Block.SendersCached, steps 1 and 2 recover nothing.
type senderJob struct {
	block      *Block
	signer     types.Signer
	batchTypes [256]bool
	rec        *ecrecover.Shared
	pending    []bool // step 1 set the transaction's signature in rec
	msgs       []*core.Message
	errs       []error
	inputs     *exec.Chunks // step 1
	messages   *exec.Chunks // step 3
	start      time.Time
	finished   atomic.Int64 // nanoseconds from start to the end of the job; 0 before
}

func (e *Engine) newSenderJob(block *Block, workers int, start time.Time) *senderJob {
	n := len(block.Txs)
	signer := types.MakeSigner(e.config, block.Header.Number, block.Header.Time)
	j := &senderJob{block: block, signer: signer, batchTypes: batchableTypes(signer), rec: ecrecover.GetShared(n),
		pending: make([]bool, n), msgs: make([]*core.Message, n), errs: make([]error, n), start: start}
	j.inputs = exec.NewChunks(n, inputChunk, workers, exec.Each(j.input))
	j.messages = exec.NewChunks(n, messageChunk, workers, exec.Each(j.message))
	return j
}

// release returns the job's recovery to its pool; no goroutine of the job runs.
func (j *senderJob) release() { ecrecover.PutShared(j.rec) }

// work is the job's exec.Config.PrepareWorker: it returns when every transaction has
// its message or its error.
func (j *senderJob) work() {
	exec.RunSteps(j.inputs, j.rec, j.messages)
	j.finished.CompareAndSwap(0, int64(time.Since(j.start)))
}

func (j *senderJob) input(i int) {
	if j.block.SendersCached {
		return
	}
	var hash common.Hash
	var sig ecrecover.Sig
	if signatureInput(j.block.Txs[i], j.signer, &j.batchTypes, &hash, &sig) {
		j.rec.Set(i, hash, &sig)
		j.pending[i] = true
	}
}

func (j *senderJob) message(i int) {
	s := j.signer
	if j.pending[i] {
		if from, ok := j.rec.Address(i); ok {
			s = recoveredSigner{Signer: j.signer, from: from}
		}
	}
	tx := j.block.Txs[i]
	if tx.Type() == types.BlobTxType {
		j.errs[i] = ErrBlobTx
		return
	}
	msg, err := core.TransactionToMessage(tx, s, j.block.Header.BaseFee)
	if err != nil {
		j.errs[i] = fmt.Errorf("%w: %w", ErrInvalidTx, err)
		return
	}
	j.msgs[i] = msg
}

// recoveredSigner is the block's signer except that Sender answers an address
// recovered in a batch from exactly the hash and signature values the signer would
// use. types.Sender caches that address in the transaction under this signer, whose
// Equal is the block signer's, so later types.Sender calls with the chain's signer
// (spnd's JSON-RPC, receipts) find it.
type recoveredSigner struct {
	types.Signer
	from common.Address
}

func (s recoveredSigner) Sender(*types.Transaction) (common.Address, error) { return s.from, nil }

// batchableTypes marks the typed transactions (EIP-2930, EIP-1559, EIP-7702) that
// signer accepts, asking the signer itself: its SignatureValues refuses a type it
// does not support. Their sender is go-ethereum's recoverPlain over Hash(tx) and the
// raw signature values, which signatureInput reproduces. Legacy and blob
// transactions are left to types.Sender.
func batchableTypes(signer types.Signer) (ok [256]bool) {
	id := signer.ChainID()
	if id == nil {
		return ok
	}
	probes := []types.TxData{&types.AccessListTx{ChainID: id}, &types.DynamicFeeTx{ChainID: id}}
	if id256, overflow := uint256.FromBig(id); !overflow {
		probes = append(probes, &types.SetCodeTx{ChainID: id256})
	}
	for _, p := range probes {
		tx := types.NewTx(p)
		if _, _, _, err := signer.SignatureValues(tx, make([]byte, crypto.SignatureLength)); err == nil {
			ok[tx.Type()] = true
		}
	}
	return ok
}

// signatureInput fills the hash and signature from which go-ethereum's signer would
// recover tx's sender, if tx is a batchable type with the signer's chain id and
// signature values go-ethereum accepts (recovery id 0 or 1, R and S in range, S in
// the lower half). Otherwise it returns false and types.Sender decides, with its own
// error.
func signatureInput(tx *types.Transaction, signer types.Signer, batchTypes *[256]bool, hash *common.Hash, sig *ecrecover.Sig) bool {
	if !batchTypes[tx.Type()] || tx.ChainId().Cmp(signer.ChainID()) != 0 {
		return false
	}
	v, r, s := tx.RawSignatureValues()
	if !v.IsUint64() || v.Uint64() > 1 || !crypto.ValidateSignatureValues(byte(v.Uint64()), r, s, true) {
		return false
	}
	*hash = signer.Hash(tx)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:64])
	sig[64] = byte(v.Uint64())
	return true
}

// CacheSenders recovers the senders of txs under signer, in batches of
// ecrecover.BatchSize on the calling goroutine, and caches each in its transaction
// (go-ethereum's sender cache), so that a later types.Sender(signer, tx) answers
// without recovering. It is for callers that receive many transactions at once (a
// JSON-RPC batch of eth_sendRawTransaction). Only the typed transactions signer
// supports, with signature values go-ethereum accepts, are recovered here; the
// others, and any signature that does not recover, are left uncached for
// types.Sender to decide, with its own error.
func CacheSenders(signer types.Signer, txs []*types.Transaction) {
	batchTypes := batchableTypes(signer)
	exec.ForChunks(len(txs), senderChunk, 1, func(lo, hi int) {
		recoverChunk(txs, lo, hi, signer, &batchTypes, func(i int, from common.Address, ok bool) {
			if ok {
				// recoveredSigner answers from; types.Sender stores it in the tx.
				_, _ = types.Sender(recoveredSigner{Signer: signer, from: from}, txs[i])
			}
		}, func(int) {})
	})
}

// recoverChunk recovers, in one batch, the senders of the transactions of txs[lo:hi]
// (at most senderChunk) that signatureInput accepts, and calls recovered for each of
// them (ok false where the signature did not recover); it calls other for the rest.
func recoverChunk(txs []*types.Transaction, lo, hi int, signer types.Signer, batchTypes *[256]bool,
	recovered func(i int, from common.Address, ok bool), other func(i int)) {
	batch := ecrecover.GetBatch()
	defer ecrecover.PutBatch(batch)
	for i := lo; i < hi; i++ {
		var hash common.Hash
		var sig ecrecover.Sig
		if signatureInput(txs[i], signer, batchTypes, &hash, &sig) && batch.Add(i, hash, &sig) {
			continue
		}
		other(i)
	}
	batch.Recover(recovered)
}
