package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/farolnet/farol/spn/node"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasmnode"
	"github.com/farolnet/farol/spn/wasmnode/client"
)

const txUsage = `usage: spnd tx wasm <command> [flags] args
  upload FILE.wasm                     upload a module (receipt: codeHash)
  instantiate CODEHASH [ARGS_HEX]      create a contract (receipt: contract)
  execute CONTRACT [INPUT_HEX]         call a contract (receipt: return, events)
  transfer TO AMOUNT                   send native token
flags: --node URL --key HEX|FILE --home DIR --gas N --gas-price N --value AMOUNT --async --timeout D`

const queryUsage = `usage: spnd query wasm <command> [flags] args
  contract ADDRESS [INPUT_HEX]   read-only call (with input), else code hash and balance
  balance ADDRESS | nonce ADDRESS [--pending]
  tx HASH | code CODEHASH [--out FILE] | block [N] [--full]
  events [--from N] [--to N] [--contract ADDRESS] [--topic TEXT]
flags: --node URL --home DIR --timeout D`

// wasmFlags are the flags every wasm client command takes.
type wasmFlags struct {
	fs      *flag.FlagSet
	nodeURL *string
	home    *string
	timeout *time.Duration
}

func newWasmFlags(name string) *wasmFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &wasmFlags{fs: fs,
		nodeURL: fs.String("node", "", "JSON-RPC URL of the node (default: from --home's spnd.json, else http://127.0.0.1:8545)"),
		home:    fs.String("home", "", "node home: its RPC address and, for txs without --key, its dev key"),
		timeout: fs.Duration("timeout", time.Minute, "give up after this long"),
	}
}

// parse parses flags placed anywhere among the positional arguments.
func (w *wasmFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := w.fs.Parse(args); err != nil {
			return nil, err
		}
		rest := w.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (w *wasmFlags) url() string {
	if *w.nodeURL != "" {
		return *w.nodeURL
	}
	if *w.home != "" {
		if c, err := node.LoadConfig(*w.home); err == nil && c.EthRPCAddr != "" {
			return "http://" + c.EthRPCAddr
		}
	}
	return "http://127.0.0.1:8545"
}

func (w *wasmFlags) dial() (context.Context, context.CancelFunc, *client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *w.timeout)
	c, err := client.Dial(ctx, w.url())
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, cancel, c, nil
}

func printJSON(out io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

func decodeHex(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil {
		return nil, fmt.Errorf("hex %q: %w", s, err)
	}
	return b, nil
}

func parseAddress(s string) (wasm.Address, error) {
	if !common.IsHexAddress(s) {
		return wasm.Address{}, fmt.Errorf("invalid address %q", s)
	}
	return wasm.Address(common.HexToAddress(s)), nil
}

func parseHash(s string) ([32]byte, error) {
	b, err := decodeHex(s)
	if err != nil || len(b) != 32 {
		return [32]byte{}, fmt.Errorf("invalid hash %q (32 bytes hex)", s)
	}
	return [32]byte(b), nil
}

// loadKey reads a private key: 32 bytes hex, or a file holding that.
func loadKey(s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	if b, err := decodeHex(t); err == nil && len(b) == 32 {
		return b, nil
	}
	f, err := os.ReadFile(s)
	if err != nil {
		return nil, fmt.Errorf("--key: neither 32 bytes of hex nor a readable file: %w", err)
	}
	b, err := decodeHex(strings.TrimSpace(string(f)))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("--key file %s: not 32 bytes of hex", s)
	}
	return b, nil
}

func cmdTx(args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "wasm" {
		return errors.New(txUsage)
	}
	w := newWasmFlags("tx wasm " + args[1])
	key := w.fs.String("key", "", "private key of the sender: hex, or a file holding it (default: --home's config/dev_key.hex)")
	gas := w.fs.Uint64("gas", 0, "gas limit (default: estimated by simulating)")
	gasPrice := w.fs.Uint64("gas-price", 0, "gas price (default: the chain's minimum)")
	value := w.fs.String("value", "0", "native token to attach (instantiate, execute)")
	async := w.fs.Bool("async", false, "print the tx hash and do not wait for the receipt")
	pos, err := w.parse(args[2:])
	if err != nil {
		return err
	}
	val, err := wasmnode.ParseAmount(*value)
	if err != nil {
		return err
	}
	tx := wasm.Tx{GasLimit: *gas, GasPrice: *gasPrice}
	need := func(min, max int) error {
		if len(pos) < min || len(pos) > max {
			return fmt.Errorf("tx wasm %s: wrong number of arguments\n%s", args[1], txUsage)
		}
		return nil
	}
	switch args[1] {
	case "upload":
		if err := need(1, 1); err != nil {
			return err
		}
		if tx.Data, err = os.ReadFile(pos[0]); err != nil {
			return err
		}
		tx.Kind = wasm.TxUpload
	case "instantiate":
		if err := need(1, 2); err != nil {
			return err
		}
		if tx.CodeHash, err = parseHash(pos[0]); err != nil {
			return err
		}
		if len(pos) == 2 {
			if tx.Data, err = decodeHex(pos[1]); err != nil {
				return err
			}
		}
		tx.Kind, tx.Value = wasm.TxInstantiate, val
	case "execute":
		if err := need(1, 2); err != nil {
			return err
		}
		if tx.To, err = parseAddress(pos[0]); err != nil {
			return err
		}
		if len(pos) == 2 {
			if tx.Data, err = decodeHex(pos[1]); err != nil {
				return err
			}
		}
		tx.Kind, tx.Value = wasm.TxCall, val
	case "transfer":
		if err := need(2, 2); err != nil {
			return err
		}
		if tx.To, err = parseAddress(pos[0]); err != nil {
			return err
		}
		if tx.Value, err = wasmnode.ParseAmount(pos[1]); err != nil {
			return err
		}
		tx.Kind = wasm.TxTransfer
	default:
		return fmt.Errorf("unknown command %q\n%s", args[1], txUsage)
	}
	if *key == "" {
		if *w.home == "" {
			return errors.New("--key (or --home with config/dev_key.hex) is required")
		}
		*key = filepath.Join(*w.home, "config", "dev_key.hex")
	}
	k, err := loadKey(*key)
	if err != nil {
		return err
	}
	ctx, cancel, c, err := w.dial()
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	s, err := client.NewSigner(ctx, c, k)
	if err != nil {
		return err
	}
	if *async {
		h, err := s.Send(ctx, tx)
		if err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"hash": h})
	}
	r, err := s.SendAndWait(ctx, tx)
	if err != nil {
		return err
	}
	if err := printJSON(stdout, r); err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("transaction %s failed: %s %s", r.Hash, r.StatusName, r.Error)
	}
	return nil
}

func cmdQuery(args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "wasm" {
		return errors.New(queryUsage)
	}
	w := newWasmFlags("query wasm " + args[1])
	pending := w.fs.Bool("pending", false, "nonce: count the mempool's transactions")
	full := w.fs.Bool("full", false, "block: include the transactions' results")
	outFile := w.fs.String("out", "", "code: write the stored (instrumented) module to this file")
	from := w.fs.String("from", "latest", "events: first block")
	to := w.fs.String("to", "latest", "events: last block")
	contractF := w.fs.String("contract", "", "events: only this contract")
	topic := w.fs.String("topic", "", "events: only this topic (text)")
	caller := w.fs.String("caller", "", "contract: caller address of the read-only call")
	pos, err := w.parse(args[2:])
	if err != nil {
		return err
	}
	need := func(min, max int) error {
		if len(pos) < min || len(pos) > max {
			return fmt.Errorf("query wasm %s: wrong number of arguments\n%s", args[1], queryUsage)
		}
		return nil
	}
	ctx, cancel, c, err := w.dial()
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	switch args[1] {
	case "contract":
		if err := need(1, 2); err != nil {
			return err
		}
		addr, err := parseAddress(pos[0])
		if err != nil {
			return err
		}
		if len(pos) == 1 {
			info, err := c.Contract(ctx, addr)
			if err != nil {
				return err
			}
			return printJSON(stdout, info)
		}
		input, err := decodeHex(pos[1])
		if err != nil {
			return err
		}
		var opts *wasmnode.QueryOptions
		if *caller != "" {
			ca, err := parseAddress(*caller)
			if err != nil {
				return err
			}
			cc := common.Address(ca)
			opts = &wasmnode.QueryOptions{Caller: &cc}
		}
		r, err := c.QueryWith(ctx, addr, input, opts)
		if err != nil {
			return err
		}
		return printJSON(stdout, r)
	case "balance", "nonce":
		if err := need(1, 1); err != nil {
			return err
		}
		addr, err := parseAddress(pos[0])
		if err != nil {
			return err
		}
		if args[1] == "nonce" {
			n, err := c.Nonce(ctx, addr, *pending)
			if err != nil {
				return err
			}
			return printJSON(stdout, map[string]any{"address": common.Address(addr), "nonce": n})
		}
		b, err := c.Balance(ctx, addr)
		if err != nil {
			return err
		}
		return printJSON(stdout, map[string]any{"address": common.Address(addr), "balance": b.String()})
	case "tx":
		if err := need(1, 1); err != nil {
			return err
		}
		h, err := parseHash(pos[0])
		if err != nil {
			return err
		}
		r, err := c.Tx(ctx, h)
		if err != nil && !errors.Is(err, client.ErrPending) { // pending: printed with "pending": true
			return fmt.Errorf("tx %s: %w", pos[0], err)
		}
		return printJSON(stdout, r)
	case "code":
		if err := need(1, 1); err != nil {
			return err
		}
		h, err := parseHash(pos[0])
		if err != nil {
			return err
		}
		if *outFile != "" {
			code, err := c.Code(ctx, h)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*outFile, code, 0o644); err != nil {
				return err
			}
		}
		info, err := c.CodeInfo(ctx, h)
		if err != nil {
			return err
		}
		return printJSON(stdout, info)
	case "block":
		if err := need(0, 1); err != nil {
			return err
		}
		n := wasmnode.Latest
		if len(pos) == 1 {
			if err := n.UnmarshalJSON([]byte(strconv.Quote(pos[0]))); err != nil {
				return err
			}
		}
		b, err := c.Block(ctx, n, *full)
		if err != nil {
			return err
		}
		return printJSON(stdout, b)
	case "events":
		if err := need(0, 0); err != nil {
			return err
		}
		var f wasmnode.EventFilter
		var fb, tb wasmnode.BlockNumber
		if err := fb.UnmarshalJSON([]byte(strconv.Quote(*from))); err != nil {
			return err
		}
		if err := tb.UnmarshalJSON([]byte(strconv.Quote(*to))); err != nil {
			return err
		}
		f.FromBlock, f.ToBlock = &fb, &tb
		if *contractF != "" {
			a, err := parseAddress(*contractF)
			if err != nil {
				return err
			}
			ca := common.Address(a)
			f.Contract = &ca
		}
		if *topic != "" {
			f.Topic = []byte(*topic)
		}
		evs, err := c.Events(ctx, f)
		if err != nil {
			return err
		}
		return printJSON(stdout, evs)
	default:
		return fmt.Errorf("unknown command %q\n%s", args[1], queryUsage)
	}
}
