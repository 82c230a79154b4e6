package exec_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/farolnet/farol/spn/exec"
)

// transfer is a toy transaction: move Amount from From to To and pay Fee to the
// block's beneficiary.
type transfer struct {
	From, To    string
	Amount, Fee uint64
}

// ledger is a toy VM. Balances are numeric keys (BigEndian32); the fee is credited to
// the beneficiary as a commutative delta, so transfers never conflict on it.
type ledger struct{ txs []transfer }

var errInsufficient = errors.New("insufficient balance")

// Execute implements exec.VM: it reads and writes state only through the view.
func (l ledger) Execute(i int, v exec.View) (string, error) {
	t := l.txs[i]
	from, err := v.ReadNumeric("balance/" + t.From)
	if err != nil {
		return "", err // also ErrSuspended: return at once, the executor re-runs the tx
	}
	cost := exec.U256From64(t.Amount + t.Fee)
	if from.Cmp(cost) < 0 {
		return "", errInsufficient // the tx fails; its writes are discarded
	}
	to, err := v.ReadNumeric("balance/" + t.To)
	if err != nil {
		return "", err
	}
	codec := exec.BigEndian32{}
	v.Write("balance/"+t.From, codec.EncodeNumeric(from.Sub(cost)))
	v.Write("balance/"+t.To, codec.EncodeNumeric(to.Add(exec.U256From64(t.Amount))))
	if err := v.AddDelta("balance/beneficiary", exec.U256From64(t.Fee)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s->%s %d", t.From, t.To, t.Amount), nil
}

func Example() {
	codec := exec.BigEndian32{}
	base := exec.MapStorage{
		"balance/alice": codec.EncodeNumeric(exec.U256From64(100)),
		"balance/bob":   codec.EncodeNumeric(exec.U256From64(50)),
	}
	vm := ledger{txs: []transfer{
		{From: "alice", To: "carol", Amount: 30, Fee: 1},
		{From: "bob", To: "dave", Amount: 10, Fee: 1},
		{From: "carol", To: "bob", Amount: 29, Fee: 1},   // depends on tx 0
		{From: "dave", To: "alice", Amount: 500, Fee: 1}, // fails
	}}
	out, err := exec.Execute(context.Background(), vm, len(vm.txs), base,
		exec.Config{Workers: 4, ForceParallel: true})
	if err != nil {
		panic(err)
	}
	for i, r := range out.Results {
		fmt.Printf("tx %d: %q %v\n", i, r.Result, r.Err)
	}
	for _, w := range out.Writes {
		n, _ := codec.DecodeNumeric(w.Value)
		fmt.Printf("%s = %v\n", w.Key, n)
	}
	// Output:
	// tx 0: "alice->carol 30" <nil>
	// tx 1: "bob->dave 10" <nil>
	// tx 2: "carol->bob 29" <nil>
	// tx 3: "" insufficient balance
	// balance/alice = 69
	// balance/beneficiary = 3
	// balance/bob = 68
	// balance/carol = 0
	// balance/dave = 10
}
