package node

import (
	"os"
	"runtime/debug"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// DefaultGCPercent is the garbage collector's target (the GOGC percentage) that Start
// sets when the GOGC environment variable is not set. At Go's default of 100 the
// collector took 8 % of spnd's CPU under a saturating ERC-20 load; at 200 it took
// 4 % (docs/bench/spn.md, session 4), for a peak heap up to three times the live heap
// instead of twice. Most of spnd's large caches (pebble's block cache and memtables,
// go-ethereum's trie-node cache) live outside the Go heap, so the live heap stays a
// few hundred MiB.
const DefaultGCPercent = 200

// applyGCDefault sets DefaultGCPercent unless GOGC is set or the process already runs
// with a higher target (several nodes in one process, e.g. the devnet).
func applyGCDefault(logger cmtlog.Logger) {
	if os.Getenv("GOGC") != "" {
		logger.Info("garbage collector target from GOGC", "GOGC", os.Getenv("GOGC"))
		return
	}
	if prev := debug.SetGCPercent(DefaultGCPercent); prev > DefaultGCPercent {
		debug.SetGCPercent(prev)
		return
	}
	logger.Info("garbage collector target", "GOGC", DefaultGCPercent, "override", "set GOGC")
}
