package wasm_test

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/farolnet/farol/spn/exec"
	"github.com/farolnet/farol/spn/wasm"
	"github.com/farolnet/farol/spn/wasm/wasmtest"
)

// Example uploads the AssemblyScript counter, instantiates it at 40, increments it in a
// block run by two workers, and queries it.
func Example() {
	ctx := context.Background()
	e, err := wasm.New(ctx, wasm.Config{ChainID: 7})
	if err != nil {
		panic(err)
	}
	defer e.Close(ctx)

	key := make([]byte, 32)
	key[31] = 1
	alice, _ := wasm.AddressOf(key)
	state := exec.MapStorage{wasm.BalanceKey(alice): wasm.EncodeBalance(exec.U256From64(1e12))}
	nonce := uint64(0)
	run := func(txs ...wasm.Tx) []wasm.Receipt {
		var enc [][]byte
		for _, tx := range txs {
			tx.ChainID, tx.Nonce, tx.GasLimit, tx.GasPrice = 7, nonce, 10_000_000, 1
			nonce++
			if err := tx.Sign(key); err != nil {
				panic(err)
			}
			enc = append(enc, tx.Encode())
		}
		res, err := e.ExecuteBlock(ctx, &wasm.Block{Txs: enc}, state, exec.Config{Workers: 2})
		if err != nil {
			panic(err)
		}
		wasm.Apply(state, res.Writes)
		return res.Receipts
	}

	code, _ := wasmtest.Contract("as_counter")
	hash := run(wasm.Tx{Kind: wasm.TxUpload, Data: code})[0].CodeHash
	counter := run(wasm.Tx{Kind: wasm.TxInstantiate, CodeHash: hash, Data: binary.BigEndian.AppendUint64(nil, 40)})[0].Contract
	for _, r := range run(wasm.Tx{Kind: wasm.TxCall, To: counter, Data: []byte{0}}, wasm.Tx{Kind: wasm.TxCall, To: counter, Data: []byte{0}}) {
		fmt.Println(r.Status, binary.BigEndian.Uint64(r.Return))
	}
	out, _, err := e.Query(ctx, state, wasm.BlockInfo{}, alice, counter, []byte{1}, 1_000_000)
	fmt.Println(binary.BigEndian.Uint64(out), err)
	// Output:
	// ok 41
	// ok 42
	// 42 <nil>
}
