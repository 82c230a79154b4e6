package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/celestiaorg/go-square/v3/share"
	"github.com/celestiaorg/go-square/v3/tx"

	"github.com/farolnet/farol/da/square"
)

// daRow is one data-size measurement of the square pipeline (medians).
type daRow struct {
	MB          int     `json:"blob_mb"`
	Blobs       int     `json:"blobs"`
	Width       int     `json:"square_width"`
	BuildMS     float64 `json:"build_ms"`
	ExtendMS    float64 `json:"extend_ms"`
	RootsMS     float64 `json:"roots_ms"`
	TotalMS     float64 `json:"total_ms"`
	BuildMBps   float64 `json:"build_mb_per_s"`
	ExtendMBps  float64 `json:"extend_mb_per_s"`
	RootsMBps   float64 `json:"roots_mb_per_s"`
	TotalMBps   float64 `json:"total_mb_per_s"`
	Runs        int     `json:"runs"`
	TotalSpread float64 `json:"total_spread_pct"`
}

// daLatency is one devnet submit-to-retrievable measurement.
type daLatency struct {
	Bytes     int     `json:"bytes"`
	Height    uint64  `json:"height"`
	LatencyMS float64 `json:"latency_ms"`
}

type daReport struct {
	runInfo
	Rows   []daRow     `json:"rows"`
	Devnet []daLatency `json:"devnet_latency,omitempty"`
}

func runDA(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("da", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		jsonOut  = fs.Bool("json", false, "print JSON instead of a table")
		sizes    = fs.String("mb", "1,8,32", "blob data per square in MB (comma-separated)")
		blobKB   = fs.Int("blob-kb", 256, "size of each blob in KB (one BlobTx per blob)")
		runs     = fs.Int("runs", 5, "runs per size (median reported)")
		farold   = fs.String("farold", "", "farold binary: also measure submit-to-retrievable latency on a running devnet")
		home     = fs.String("home", "data/devnet/mainnet", "with -farold: the --home holding the key")
		from     = fs.String("from", "dev0", "with -farold: key that pays")
		grpcAddr = fs.String("grpc", "localhost:9090", "with -farold: farold gRPC address")
		fees     = fs.String("fees", "", "with -farold: --fees for each submit (default: enough at 0.0025ufrl/gas)")
		extra    = fs.String("farold-flags", "--keyring-backend test --chain-id farol-devnet-1 --node tcp://localhost:26657", "with -farold: extra flags")
		latKB    = fs.String("latency-kb", "1,100,1000", "with -farold: blob sizes in KB for the latency runs")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	rep := daReport{runInfo: newRunInfo("da", args)}
	for _, s := range strings.Split(*sizes, ",") {
		mb, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || mb <= 0 {
			return fmt.Errorf("-mb: bad size %q", s)
		}
		row, err := benchSquare(mb, *blobKB, *runs)
		if err != nil {
			return err
		}
		rep.Rows = append(rep.Rows, row)
	}
	if *farold != "" {
		for _, s := range strings.Split(*latKB, ",") {
			kb, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || kb <= 0 {
				return fmt.Errorf("-latency-kb: bad size %q", s)
			}
			l, err := devnetLatency(*farold, *home, *from, *grpcAddr, *fees, *extra, kb*1024)
			if err != nil {
				return err
			}
			rep.Devnet = append(rep.Devnet, l)
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "%s  (%s, %d CPUs, load %s)\n", rep.Command, rep.GoVersion, rep.NumCPU, rep.LoadAvg)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MB\tblobs\twidth\tbuild ms\textend ms\troots ms\ttotal ms\tbuild MB/s\textend MB/s\troots MB/s\ttotal MB/s\tspread %\t")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t\n", r.MB, r.Blobs, r.Width,
			r.BuildMS, r.ExtendMS, r.RootsMS, r.TotalMS, r.BuildMBps, r.ExtendMBps, r.RootsMBps, r.TotalMBps, r.TotalSpread)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range rep.Devnet {
		fmt.Fprintf(stdout, "devnet: %d bytes retrievable at height %d after %.0f ms\n", l.Bytes, l.Height, l.LatencyMS)
	}
	return nil
}

// benchSquare measures, for mb MB of blob data in blobKB-sized blobs (one
// BlobTx each, a 300-byte stand-in for the signed transaction), building the
// square, extending it and computing the row and column roots and the
// data root.
func benchSquare(mb, blobKB, runs int) (daRow, error) {
	rng := rand.New(rand.NewPCG(uint64(mb), 7))
	total := mb << 20
	var txs [][]byte
	for i := 0; total > 0; i++ {
		n := min(total, blobKB<<10)
		total -= n
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		id := make([]byte, share.NamespaceVersionZeroIDSize)
		id[0], id[len(id)-2], id[len(id)-1] = 0xfa, byte(i>>8), byte(i) // 0xfa: clear of the reserved namespaces
		b, err := share.NewV0Blob(share.MustNewV0Namespace(id), data)
		if err != nil {
			return daRow{}, err
		}
		raw, err := tx.MarshalBlobTx(bytes.Repeat([]byte{1}, 300), b)
		if err != nil {
			return daRow{}, err
		}
		txs = append(txs, raw)
	}
	var build, extend, roots, totals []float64
	row := daRow{MB: mb, Blobs: len(txs), Runs: runs}
	for range runs {
		t0 := time.Now()
		sq, kept, err := square.Build(txs, square.MaxSquareSizeUpperBound)
		if err != nil {
			return daRow{}, err
		}
		if len(kept) != len(txs) {
			return daRow{}, fmt.Errorf("%d MB does not fit a %d-wide square", mb, square.MaxSquareSizeUpperBound)
		}
		t1 := time.Now()
		eds, err := square.Extend(sq)
		if err != nil {
			return daRow{}, err
		}
		t2 := time.Now()
		h, err := square.NewHeader(eds)
		if err != nil {
			return daRow{}, err
		}
		_ = h.DataRoot()
		t3 := time.Now()
		row.Width = square.Width(sq)
		build = append(build, ms(t1.Sub(t0)))
		extend = append(extend, ms(t2.Sub(t1)))
		roots = append(roots, ms(t3.Sub(t2)))
		totals = append(totals, ms(t3.Sub(t0)))
		runtime.GC()
	}
	row.BuildMS, row.ExtendMS, row.RootsMS, row.TotalMS = daMedian(build), daMedian(extend), daMedian(roots), daMedian(totals)
	rate := func(msv float64) float64 { return float64(mb) / (msv / 1000) }
	row.BuildMBps, row.ExtendMBps, row.RootsMBps, row.TotalMBps = rate(row.BuildMS), rate(row.ExtendMS), rate(row.RootsMS), rate(row.TotalMS)
	row.TotalSpread = (slices.Max(totals) - slices.Min(totals)) / row.TotalMS * 100
	return row, nil
}

func daMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// devnetLatency submits a random blob with `farold da submit`, which returns
// once the blob is retrievable over gRPC, and reports the wall time.
func devnetLatency(farold, home, from, grpcAddr, fees, extra string, n int) (daLatency, error) {
	f, err := os.CreateTemp("", "farol-bench-da-*")
	if err != nil {
		return daLatency{}, err
	}
	defer os.Remove(f.Name())
	data := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if _, err := f.Write(data); err != nil {
		return daLatency{}, err
	}
	f.Close()
	if fees == "" {
		gas := 150_000 + 20*n
		fees = strconv.Itoa(gas/400+1) + "ufrl" // 0.0025 ufrl per gas
	}
	args := append([]string{"da", "submit", f.Name(), "--namespace", "fa01", "--from", from, "--home", home,
		"--da-grpc", grpcAddr, "--fees", fees}, strings.Fields(extra)...)
	start := time.Now()
	out, err := exec.Command(farold, args...).CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		return daLatency{}, fmt.Errorf("farold da submit: %v\n%s", err, out)
	}
	var res struct {
		Height uint64 `json:"height"`
	}
	if i := bytes.IndexByte(out, '{'); i < 0 || json.Unmarshal(out[i:], &res) != nil {
		return daLatency{}, fmt.Errorf("farold da submit: unexpected output\n%s", out)
	}
	return daLatency{Bytes: n, Height: res.Height, LatencyMS: ms(elapsed)}, nil
}
