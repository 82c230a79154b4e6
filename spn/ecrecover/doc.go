// Package ecrecover recovers the signers of many secp256k1 signatures at once.
//
// go-ethereum's crypto.Ecrecover makes one cgo call into libsecp256k1 per
// signature. A call takes about 50 µs, and while it runs the Go scheduler counts its
// thread as blocked in a system call: with two goroutines recovering on two cores,
// the runtime keeps handing the processors back and forth and two goroutines
// recovered only 1.2–1.7 times as fast as one on the benchmark machine. Recover
// makes one cgo call per batch into the same libsecp256k1 that go-ethereum links
// (its secp256k1_ecdsa_recover, on a context of this package's own), and two
// goroutines then recovered 1.6–2.0 times as fast as one. The results are those of
// crypto.Ecrecover: the same library function on the same inputs. The differential
// test and the fuzz test compare the two.
//
// Without cgo, Recover calls crypto.Ecrecover for each signature.
package ecrecover
