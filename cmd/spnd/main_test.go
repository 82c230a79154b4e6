package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestInit runs spnd init and checks the home; a second init fails.
func TestInit(t *testing.T) {
	home := t.TempDir()
	args := []string{"init", "--home", home, "--chain-id", "spn-x", "--eth-rpc", "127.0.0.1:0",
		"--comet-rpc", "tcp://" + freeAddr(t), "--p2p", "tcp://" + freeAddr(t)}
	var out bytes.Buffer
	if err := run(args, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dev account 0x") {
		t.Fatalf("output %q", out.String())
	}
	for _, f := range []string{"genesis.json", "spnd.json", "dev_key.hex", "priv_validator_key.json", "node_key.json"} {
		if _, err := os.Stat(filepath.Join(home, "config", f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(args, &out, &out); err == nil {
		t.Fatal("second init succeeded")
	}
	if err := run([]string{"init", "--home", t.TempDir(), "--vm", "move"}, &out, &out); err == nil {
		t.Fatal("unknown vm accepted")
	}
	if err := run([]string{"nope"}, &out, &out); err == nil {
		t.Fatal(fmt.Sprint("unknown command accepted"))
	}
}
