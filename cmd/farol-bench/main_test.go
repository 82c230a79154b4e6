package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestExecJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"exec", "-json", "-txs", "40", "-costs", "1", "-runs", "1", "-workers", "1,2"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep execReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	// 5 workloads x (1 worker, 1 worker forced engine, 2 workers)
	if len(rep.Rows) != 15 {
		t.Fatalf("%d rows, want 15", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.Speedup <= 0 || r.SeqMS <= 0 || r.ParMS <= 0 {
			t.Fatalf("bad row %+v", r)
		}
	}
}

func TestUnknownSubcommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"nope"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if code := run(nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestSPNJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an SPN node")
	}
	var out, errb bytes.Buffer
	code := run([]string{"spn", "-json", "-accounts", "40", "-per-account", "3", "-senders", "2", "-batch", "16", "-block-interval", "50ms"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep spnReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	if rep.Txs != 120 || rep.Committed != 120 || rep.TxPerS <= 0 || rep.Blocks == 0 || rep.ReceiptsChecked == 0 ||
		rep.LatencyP50MS <= 0 || rep.LatencyP99MS < rep.LatencyP50MS {
		t.Fatalf("bad report %+v", rep)
	}
	// The quarters cover the steady-state window: every block after the first.
	if rep.Blocks >= 5 {
		blocks := 0
		for _, q := range rep.Quarters {
			blocks += q.Blocks
			if q.Txs <= 0 || q.TxPerS <= 0 || q.CPUUSPerTx <= 0 {
				t.Fatalf("bad quarter %+v", q)
			}
		}
		if len(rep.Quarters) != 4 || blocks != rep.Blocks-1 {
			t.Fatalf("%d quarters over %d blocks, want 4 over %d", len(rep.Quarters), blocks, rep.Blocks-1)
		}
	}
}
