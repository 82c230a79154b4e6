//go:build !cgo || gofuzz || js || wasip1 || tinygo

package ecrecover

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func recoverBatch(hashes []common.Hash, sigs []Sig, pubs []Pub, ok []bool) {
	for i := range hashes {
		if ok[i] = recoverOne(hashes[i], &sigs[i], &pubs[i]); !ok[i] {
			pubs[i] = Pub{}
		}
	}
}

// OnThreads needs cgo; without it, it returns ErrNoThreads.
func OnThreads(threads int, hashes []common.Hash, sigs []Sig) (time.Duration, error) {
	return 0, ErrNoThreads
}
