//go:build !cgo || gofuzz || js || wasip1 || tinygo

package ecrecover

import "github.com/ethereum/go-ethereum/common"

func recoverBatch(hashes []common.Hash, sigs []Sig, pubs []Pub, ok []bool) {
	for i := range hashes {
		if ok[i] = recoverOne(hashes[i], &sigs[i], &pubs[i]); !ok[i] {
			pubs[i] = Pub{}
		}
	}
}
