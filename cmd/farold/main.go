// Command farold is the Farol mainnet node and command-line client: the
// standard Cosmos SDK daemon (init, start, keys, tx, query, genesis, ...)
// for the Farol application.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/farolnet/farol/app"
	"github.com/farolnet/farol/cmd/farold/cmd"
)

func main() {
	rootCmd, err := cmd.NewRootCmd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "farold:", err)
		os.Exit(1)
	}
	if err := svrcmd.Execute(rootCmd, "FAROLD", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.OutOrStderr(), err)
		os.Exit(1)
	}
}
