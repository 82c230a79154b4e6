// Package ecrecover recovers the signers of many secp256k1 signatures at once.
//
// go-ethereum's crypto.Ecrecover makes one cgo call into libsecp256k1 per
// signature. A call takes about 60 µs here. While it runs, the Go scheduler counts
// its thread as blocked in a system call. With two goroutines recovering on two
// cores, the runtime then (we think; it is not traced) keeps handing the processors
// back and forth.
// Recover makes one cgo call per batch into the same libsecp256k1 that go-ethereum
// links: its secp256k1_ecdsa_recover, on a context of this package's own.
//
// BenchmarkRecover, over 4,096 distinct signatures on the 2-core benchmark
// machine, measured µs per signature:
//
//	                 1 goroutine   2 goroutines
//	one call each       62–66         45–48
//	batches of 16       63–67         32–36
//
// Since session 8 a Batch holds 64 signatures (BatchSize, whose comment has the
// measurements). A Batch is about 15 KB: callers that recover a block chunk by
// chunk take theirs from a pool (GetBatch, PutBatch).
//
// BenchmarkBlockSenders in spn/wasm decodes and recovers a block of 2,048
// transfers. At 2 goroutines, batches took 38–49 µs per transaction and one call
// each 48–57 µs.
//
// Shared (session 10) is one recovery that several goroutines do together, in one
// cgo call each; spn/wasm recovers a block's senders with it. OnThreads runs the
// library on POSIX threads outside the Go scheduler, as a reference for benchmarks
// (farol-bench's scaling probe).
//
// The results are those of crypto.Ecrecover: the same library function on the same
// inputs. The differential test and the fuzz test compare the two.
//
// Without cgo, Recover calls crypto.Ecrecover for each signature.
package ecrecover
