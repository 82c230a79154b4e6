package node_test

import (
	"os"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// testLogger logs CometBFT errors when SPND_TEST_LOG is set.
func testLogger() cmtlog.Logger {
	if os.Getenv("SPND_TEST_LOG") == "" {
		return cmtlog.NewNopLogger()
	}
	return cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(os.Stderr)), cmtlog.AllowInfo())
}
