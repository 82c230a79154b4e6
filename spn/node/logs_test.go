package node_test

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/farolnet/farol/spn/node"
)

// TestFilterQueryJSON decodes the filter forms Ethereum clients send: one address
// or a list, topics as a single hash, null, or an OR-set (with null meaning any),
// block tags and numbers, and refuses blockHash with a range and over 4 topics.
func TestFilterQueryJSON(t *testing.T) {
	a1, a2 := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	t1, t2 := common.HexToHash("0x0a"), common.HexToHash("0x0b")
	var q node.FilterQuery
	in := `{"fromBlock":"0x10","toBlock":"latest","address":"` + a1.Hex() + `",
		"topics":["` + t1.Hex() + `",null,["` + t1.Hex() + `","` + t2.Hex() + `"],["` + t2.Hex() + `",null]]}`
	if err := json.Unmarshal([]byte(in), &q); err != nil {
		t.Fatal(err)
	}
	if *q.FromBlock != 16 || *q.ToBlock != rpc.LatestBlockNumber || len(q.Addresses) != 1 || q.Addresses[0] != a1 {
		t.Fatalf("range/address: %+v", q)
	}
	if len(q.Topics) != 4 || len(q.Topics[0]) != 1 || q.Topics[0][0] != t1 || q.Topics[1] != nil ||
		len(q.Topics[2]) != 2 || q.Topics[2][1] != t2 || q.Topics[3] != nil {
		t.Fatalf("topics: %+v", q.Topics)
	}
	q = node.FilterQuery{}
	if err := json.Unmarshal([]byte(`{"address":["`+a1.Hex()+`","`+a2.Hex()+`"],"blockHash":"`+t1.Hex()+`"}`), &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Addresses) != 2 || q.BlockHash == nil || *q.BlockHash != t1 || q.FromBlock != nil {
		t.Fatalf("addresses/hash: %+v", q)
	}
	for _, bad := range []string{
		`{"blockHash":"` + t1.Hex() + `","fromBlock":"0x1"}`,
		`{"topics":[null,null,null,null,null]}`,
		`{"address":"0x12"}`,
		`{"topics":[1]}`,
	} {
		if err := json.Unmarshal([]byte(bad), &node.FilterQuery{}); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
