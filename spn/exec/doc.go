// Package exec executes an ordered block of transactions in parallel and returns
// exactly what executing them one by one in block order returns.
//
// It implements Block-STM (Gelashvili et al., "Block-STM: Scaling Blockchain Execution
// by Turning Ordering Curse to a Performance Blessing", PPoPP 2023) for any virtual
// machine: transactions run optimistically against a multi-version memory keyed by
// opaque state keys, each read is recorded with the version it saw, and a
// collaborative scheduler has every worker take the lowest pending task (execute or
// validate a transaction). A transaction whose read set no longer holds is aborted
// and re-executed; its writes become ESTIMATE markers, and a transaction reading one
// is suspended until the writer finishes. README.md describes the algorithm's parts
// and every deviation from the paper.
//
// A VM plugs in by implementing VM: execute transaction i against a View (Read,
// ReadNumeric, Write, AddDelta) and return a result. Additive writes to numeric values
// (AddDelta: fees credited to the block's beneficiary, counters) commute and create no
// read dependency; a transaction that reads such a key still sees the exact value.
//
// Execute is the entry point; ExecuteSequential is the reference it is tested against
// and the path it falls back to for small blocks, one worker, and blocks that turn out
// to be dependency chains. The output (final writes in key order, results in block
// order) does not depend on timing, the number of workers or the path taken; only the
// counters in Stats do.
//
// The package imports only the standard library.
package exec
