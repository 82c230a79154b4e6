package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestMain lets the test binary serve as the copies the ceiling measurement starts
// (it starts os.Executable()).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ceilingChild {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestCeiling measures a small workload's ceiling in both phases: copies start, run
// alone and in pairs, and report blocks that ran while both ran.
func TestCeiling(t *testing.T) {
	for _, phase := range []string{"block", "execute"} {
		row, err := measureCeiling("as-token", phase, 20, 1, 2, 4, 0)
		if err != nil {
			t.Fatal(err)
		}
		if row.AloneMS <= 0 || row.PairMS <= 0 || row.Blocks == 0 || row.Speedup <= 0 || row.Rounds != 2 || row.Phase != phase {
			t.Fatalf("bad row %+v", row)
		}
	}
}

func TestOverlapping(t *testing.T) {
	runs := [][]childBlock{
		{{0, 10}, {10, 20}, {20, 30}, {30, 40}},
		{{5, 15}, {15, 25}, {25, 35}},
	}
	// both ran from 5 to 35: the first copy's blocks 10-20 and 20-30, the second's three
	got := overlapping(runs)
	if len(got) != 5 {
		t.Fatalf("%d blocks, want 5", len(got))
	}
	for _, d := range got {
		if d != 10 {
			t.Fatalf("block of %v, want 10ns", d)
		}
	}
	if overlapping([][]childBlock{{{0, 1}}, nil}) != nil {
		t.Fatal("a copy without blocks overlaps nothing")
	}
}

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
