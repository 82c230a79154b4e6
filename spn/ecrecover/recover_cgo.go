//go:build cgo && !gofuzz && !js && !wasip1 && !tinygo

package ecrecover

/*
#include <stddef.h>

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
*/
import "C"

import (
	"sync"
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
