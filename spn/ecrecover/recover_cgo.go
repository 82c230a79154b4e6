//go:build cgo && !gofuzz && !js && !wasip1 && !tinygo

package ecrecover

/*
#cgo LDFLAGS: -pthread
#include <stddef.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>

// The libsecp256k1 API, as go-ethereum's crypto/secp256k1 package compiles it into
// every binary that imports it (blank import below). Only declarations: the
// functions are that package's.
typedef struct secp256k1_context_struct secp256k1_context;
typedef struct { unsigned char data[65]; } farol_recoverable_sig;
typedef struct { unsigned char data[64]; } farol_pubkey;

extern secp256k1_context *secp256k1_context_create(unsigned int flags);
extern void secp256k1_context_set_illegal_callback(secp256k1_context *ctx,
	void (*fun)(const char *message, void *data), const void *data);
extern int secp256k1_ecdsa_recoverable_signature_parse_compact(const secp256k1_context *ctx,
	farol_recoverable_sig *sig, const unsigned char *input64, int recid);
extern int secp256k1_ecdsa_recover(const secp256k1_context *ctx, farol_pubkey *pubkey,
	const farol_recoverable_sig *sig, const unsigned char *msghash32);
extern int secp256k1_ec_pubkey_serialize(const secp256k1_context *ctx, unsigned char *output,
	size_t *outputlen, const farol_pubkey *pubkey, unsigned int flags);

#define FAROL_CONTEXT_NONE 1   // SECP256K1_CONTEXT_NONE
#define FAROL_EC_UNCOMPRESSED 2 // SECP256K1_EC_UNCOMPRESSED

// A failed argument check makes the API function return 0 (a failed recovery)
// instead of the library's default, abort().
static void farol_illegal(const char *message, void *data) { (void)message; (void)data; }

static secp256k1_context *farol_ctx;

static void farol_init(void) {
	farol_ctx = secp256k1_context_create(FAROL_CONTEXT_NONE);
	secp256k1_context_set_illegal_callback(farol_ctx, farol_illegal, NULL);
}

// farol_recover recovers n signatures: sigs are 65 bytes each (R, S, recovery id),
// msgs 32 bytes, out 65 bytes (uncompressed key); ok[i] is 1 on success.
static void farol_recover(int n, const unsigned char *msgs, const unsigned char *sigs,
		unsigned char *out, unsigned char *ok) {
	for (int i = 0; i < n; i++) {
		const unsigned char *sig = sigs + 65 * i;
		farol_recoverable_sig rs;
		farol_pubkey pk;
		size_t len = 65;
		ok[i] = sig[64] < 4
			&& secp256k1_ecdsa_recoverable_signature_parse_compact(farol_ctx, &rs, sig, (int)sig[64])
			&& secp256k1_ecdsa_recover(farol_ctx, &pk, &rs, msgs + 32 * i)
			&& secp256k1_ec_pubkey_serialize(farol_ctx, out + 65 * i, &len, &pk, FAROL_EC_UNCOMPRESSED)
			&& len == 65;
	}
}

// farol_recover_shared is one goroutine's part of a Shared recovery: it takes chunk
// indexes at a time from *next until none is left (one at a time once no more than
// tail chunks are left, so the goroutines finish within about one signature of each
// other), recovers those whose want byte is 1 (ok 0 for the others), and adds each
// finished chunk to *done.
static void farol_recover_shared(long long n, const unsigned char *msgs, const unsigned char *sigs,
		const unsigned char *want, unsigned char *out, unsigned char *ok,
		long long *next, long long *done, int chunk, int tail) {
	for (;;) {
		long long cur = __atomic_load_n(next, __ATOMIC_RELAXED);
		if (cur >= n) return;
		long long size = n - cur > (long long)tail * chunk ? chunk : 1;
		long long lo = __atomic_fetch_add(next, size, __ATOMIC_RELAXED);
		if (lo >= n) return;
		long long hi = lo + size < n ? lo + size : n;
		for (long long i = lo; i < hi; i++) {
			if (want[i]) farol_recover(1, msgs + 32 * i, sigs + 65 * i, out + 65 * i, ok + i);
			else ok[i] = 0;
		}
		__atomic_fetch_add(done, hi - lo, __ATOMIC_RELEASE);
	}
}

// A thread of farol_recover_threads: its share of the signatures and its own output.
typedef struct {
	int n;
	const unsigned char *msgs, *sigs;
	unsigned char *out, *ok;
	int failed;
} farol_share;

static void *farol_share_run(void *arg) {
	farol_share *s = arg;
	farol_recover(s->n, s->msgs, s->sigs, s->out, s->ok);
	for (int i = 0; i < s->n; i++) s->failed += !s->ok[i];
	return NULL;
}

// farol_recover_threads recovers n signatures split evenly over the given number of
// POSIX threads (at most 64) and returns the nanoseconds from the first thread's
// start to the last one's end, -1 if a recovery failed, -2 if a thread or its memory
// could not be had.
static long long farol_recover_threads(int threads, int n, const unsigned char *msgs,
		const unsigned char *sigs) {
	pthread_t tid[64];
	farol_share sh[64];
	int started = 0, failed = 0;
	long long res = -2;
	if (threads < 1 || threads > 64) return -2;
	for (int t = 0; t < threads; t++) {
		int lo = (int)((long long)n * t / threads), hi = (int)((long long)n * (t + 1) / threads);
		sh[t] = (farol_share){hi - lo, msgs + 32 * lo, sigs + 65 * lo, malloc(65 * (size_t)(hi - lo) + 1), malloc((size_t)(hi - lo) + 1), 0};
		if (!sh[t].out || !sh[t].ok) { threads = t + 1; goto out; }
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (; started < threads; started++)
		if (pthread_create(&tid[started], NULL, farol_share_run, &sh[started]) != 0) break;
	for (int t = 0; t < started; t++) {
		pthread_join(tid[t], NULL);
		failed += sh[t].failed;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (started == threads)
		res = failed ? -1 : (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
out:
	for (int t = 0; t < threads; t++) { free(sh[t].out); free(sh[t].ok); }
	return res;
}
*/
import "C"

import (
	"errors"
	"sync"
	"time"
	"unsafe"

	"github.com/ethereum/go-ethereum/common"
	_ "github.com/ethereum/go-ethereum/crypto/secp256k1" // links libsecp256k1
)

var initOnce sync.Once

func recoverBatch(hashes []common.Hash, sigs []Sig, pubs []Pub, ok []bool) {
	initOnce.Do(func() { C.farol_init() })
	n := len(hashes)
	res := make([]byte, n)
	C.farol_recover(C.int(n), (*C.uchar)(unsafe.Pointer(&hashes[0][0])), (*C.uchar)(unsafe.Pointer(&sigs[0][0])),
		(*C.uchar)(unsafe.Pointer(&pubs[0][0])), (*C.uchar)(unsafe.Pointer(&res[0])))
	for i, r := range res {
		ok[i] = r == 1
		if !ok[i] {
			pubs[i] = Pub{}
		}
	}
}

func sharedWork(s *Shared) {
	initOnce.Do(func() { C.farol_init() })
	C.farol_recover_shared(C.longlong(s.n), (*C.uchar)(unsafe.Pointer(&s.hashes[0][0])),
		(*C.uchar)(unsafe.Pointer(&s.sigs[0][0])), (*C.uchar)(unsafe.Pointer(&s.want[0])),
		(*C.uchar)(unsafe.Pointer(&s.pubs[0][0])), (*C.uchar)(unsafe.Pointer(&s.ok[0])),
		(*C.longlong)(unsafe.Pointer(&s.next)), (*C.longlong)(unsafe.Pointer(&s.done)), SharedChunk, sharedTail)
}

// OnThreads recovers the signatures on the given number of POSIX threads (1 to 64),
// which the Go scheduler does not run, each taking an even share, and returns the wall
// time measured in C from the first thread's start to the last one's end. It is a
// reference for benchmarks: how far the host scales this library with no Go runtime
// in between (farol-bench's scaling probe). Every signature must be valid. Without
// cgo it returns ErrNoThreads.
func OnThreads(threads int, hashes []common.Hash, sigs []Sig) (time.Duration, error) {
	if len(sigs) != len(hashes) {
		return 0, errors.New("ecrecover: slices of different lengths")
	}
	if threads < 1 || threads > 64 || len(hashes) < threads {
		return 0, errors.New("ecrecover: OnThreads needs 1 to 64 threads and a signature for each")
	}
	initOnce.Do(func() { C.farol_init() })
	ns := C.farol_recover_threads(C.int(threads), C.int(len(hashes)),
		(*C.uchar)(unsafe.Pointer(&hashes[0][0])), (*C.uchar)(unsafe.Pointer(&sigs[0][0])))
	switch {
	case ns == -1:
		return 0, errors.New("ecrecover: a signature did not recover")
	case ns < 0:
		return 0, errors.New("ecrecover: could not start the threads")
	}
	return time.Duration(ns), nil
}
