package app_test

import (
	"bytes"
	"encoding/json"
	mathrand "math/rand"
	"math/rand/v2"
	"testing"

	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"
	"github.com/celestiaorg/go-square/v3/share"
	"github.com/celestiaorg/go-square/v3/tx"
	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/farolnet/farol/app"
	"github.com/farolnet/farol/da/square"
	dakeeper "github.com/farolnet/farol/x/da/keeper"
	datypes "github.com/farolnet/farol/x/da/types"
)

const daChainID = "farol-da-test"

// numAccounts is how many funded accounts daApp creates; txGen signs each
// transaction of a block with a different one, so sequences never clash.
const numAccounts = 48

// daApp is an app past its first block, with small squares (max 16 wide) so
// that tests reach the limits quickly, and numAccounts funded accounts whose
// keys it returns.
func daApp(t testing.TB) (*app.FarolApp, []cryptotypes.PrivKey) {
	t.Helper()
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.EmptyAppOptions{}, baseapp.SetChainID(daChainID))
	cdc := a.AppCodec()
	valSet, err := simtestutil.CreateRandomValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	var (
		keys     []cryptotypes.PrivKey
		accs     []authtypes.GenesisAccount
		balances []banktypes.Balance
	)
	for range numAccounts {
		priv := secp256k1.GenPrivKey()
		acc := authtypes.NewBaseAccount(priv.PubKey().Address().Bytes(), priv.PubKey(), 0, 0)
		keys, accs = append(keys, priv), append(accs, acc)
		balances = append(balances, banktypes.Balance{Address: acc.GetAddress().String(),
			Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1e12)))})
	}
	genesis, err := simtestutil.GenesisStateWithValSet(cdc, a.DefaultGenesis(), valSet, accs, balances...)
	if err != nil {
		t.Fatal(err)
	}
	daGen := datypes.DefaultGenesisState()
	daGen.Params.MaxSquareSize = 16
	daGen.Params.MaxBlobBytes = 100_000
	daGen.Params.RetentionBlocks = 2
	genesis[datypes.ModuleName] = cdc.MustMarshalJSON(daGen)
	state, err := json.Marshal(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId: daChainID, ConsensusParams: simtestutil.DefaultConsensusParams, AppStateBytes: state,
	}); err != nil {
		t.Fatal(err)
	}
	finalize(t, a, 1, nil)
	return a, keys
}

func finalize(t testing.TB, a *app.FarolApp, height int64, txs [][]byte) {
	t.Helper()
	if _, err := a.FinalizeBlock(&abci.RequestFinalizeBlock{Height: height, Txs: txs}); err != nil {
		t.Fatalf("finalize %d: %v", height, err)
	}
	if _, err := a.Commit(); err != nil {
		t.Fatal(err)
	}
}

// txGen builds signed transactions of every kind a proposer may meet. Each
// message gets a fresh signer (round robin over the funded accounts), and
// its transaction is signed by that account at its committed sequence.
type txGen struct {
	t    testing.TB
	a    *app.FarolApp
	rng  *rand.Rand
	keys map[string]cryptotypes.PrivKey
	addr []sdk.AccAddress
	next int
}

func newTxGen(t testing.TB, a *app.FarolApp, keys []cryptotypes.PrivKey, seed uint64) *txGen {
	g := &txGen{t: t, a: a, rng: rand.New(rand.NewPCG(seed, seed+1)), keys: map[string]cryptotypes.PrivKey{}}
	for _, k := range keys {
		addr := sdk.AccAddress(k.PubKey().Address())
		g.keys[addr.String()] = k
		g.addr = append(g.addr, addr)
	}
	return g
}

// fresh returns the next signer.
func (g *txGen) fresh() sdk.AccAddress {
	a := g.addr[g.next%len(g.addr)]
	g.next++
	return a
}

func (g *txGen) encode(msgs ...sdk.Msg) []byte { return g.encodeGas(10_000_000, msgs...) }

// encodeGas signs msgs with the key of the first message's signer.
func (g *txGen) encodeGas(gas uint64, msgs ...sdk.Msg) []byte {
	var signer string
	switch m := msgs[0].(type) {
	case *datypes.MsgPayForBlobs:
		signer = m.Signer
	case *banktypes.MsgSend:
		signer = m.FromAddress
	default:
		g.t.Fatalf("no signer for %T", m)
	}
	priv := g.keys[signer]
	ctx := g.a.NewUncachedContext(false, g.a.NewContext(true).BlockHeader())
	acc := g.a.AccountKeeper.GetAccount(ctx, sdk.AccAddress(priv.PubKey().Address()))
	tx, err := simtestutil.GenSignedMockTx(mathrand.New(mathrand.NewSource(int64(g.next))), g.a.TxConfig(), msgs,
		sdk.NewCoins(), gas, daChainID, []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, priv)
	if err != nil {
		g.t.Fatal(err)
	}
	bz, err := g.a.TxConfig().TxEncoder()(tx)
	if err != nil {
		g.t.Fatal(err)
	}
	return bz
}

func (g *txGen) send() []byte {
	amt := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1+g.rng.Int64N(1000))))
	return g.encode(banktypes.NewMsgSend(g.fresh(), sdk.AccAddress(bytes.Repeat([]byte{byte(g.rng.IntN(256))}, 20)), amt))
}

func (g *txGen) blob(size int, nsID byte) *share.Blob {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(g.rng.Uint32())
	}
	ns := share.MustNewV0Namespace(bytes.Repeat([]byte{nsID}, share.NamespaceVersionZeroIDSize))
	b, err := share.NewV0Blob(ns, data)
	if err != nil {
		g.t.Fatal(err)
	}
	return b
}

func (g *txGen) pfb(blobs ...*share.Blob) *datypes.MsgPayForBlobs {
	m := &datypes.MsgPayForBlobs{Signer: g.fresh().String()}
	for _, b := range blobs {
		c, err := square.Commitment(b)
		if err != nil {
			g.t.Fatal(err)
		}
		m.Namespaces = append(m.Namespaces, b.Namespace().Bytes())
		m.BlobSizes = append(m.BlobSizes, uint32(b.DataLen()))
		m.ShareCommitments = append(m.ShareCommitments, c)
		m.ShareVersions = append(m.ShareVersions, uint32(b.ShareVersion()))
	}
	return m
}

func (g *txGen) wrap(msg sdk.Msg, blobs ...*share.Blob) []byte {
	raw, err := tx.MarshalBlobTx(g.encode(msg), blobs...)
	if err != nil {
		g.t.Fatal(err)
	}
	return raw
}

func (g *txGen) blobTx(maxSize int) []byte {
	var blobs []*share.Blob
	for range 1 + g.rng.IntN(3) {
		blobs = append(blobs, g.blob(1+g.rng.IntN(maxSize), byte(1+g.rng.IntN(50))))
	}
	return g.wrap(g.pfb(blobs...), blobs...)
}

// invalid returns a transaction PrepareProposal must leave out.
func (g *txGen) invalid() []byte {
	b := g.blob(300, 3)
	switch g.rng.IntN(5) {
	case 0: // wrong commitment
		m := g.pfb(b)
		m.ShareCommitments[0] = bytes.Repeat([]byte{1}, 32)
		return g.wrap(m, b)
	case 1: // MsgPayForBlobs without its blobs
		return g.encode(g.pfb(b))
	case 2: // a blob the PFB does not pay for
		return g.wrap(g.pfb(b), b, g.blob(100, 4))
	case 3: // reserved namespace
		m := g.pfb(b)
		m.Namespaces[0] = share.PayForBlobNamespace.Bytes()
		return g.wrap(m, b)
	default: // garbage
		bz := make([]byte, 1+g.rng.IntN(200))
		for i := range bz {
			bz[i] = byte(g.rng.Uint32())
		}
		return bz
	}
}

func prepare(t *testing.T, a *app.FarolApp, height int64, txs [][]byte) [][]byte {
	t.Helper()
	res, err := a.PrepareProposal(&abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: 8 << 20, Height: height})
	if err != nil {
		t.Fatal(err)
	}
	return res.Txs
}

func process(t *testing.T, a *app.FarolApp, height int64, txs [][]byte) abci.ResponseProcessProposal_ProposalStatus {
	t.Helper()
	res, err := a.ProcessProposal(&abci.RequestProcessProposal{Txs: txs, Height: height})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

// TestPrepareProposalAcceptedByProcessProposal: every block PrepareProposal
// builds from a random mix of regular, blob and invalid transactions is
// accepted by ProcessProposal, carries no invalid transaction, and commits.
func TestPrepareProposalAcceptedByProcessProposal(t *testing.T) {
	a, keys := daApp(t)
	g := newTxGen(t, a, keys, 42)
	height := int64(2)
	included, blobTxs := 0, 0
	for iter := range 25 {
		var txs [][]byte
		invalid := map[string]bool{}
		for range g.rng.IntN(30) {
			switch g.rng.IntN(4) {
			case 0:
				txs = append(txs, g.send())
			case 1, 2:
				txs = append(txs, g.blobTx(1+g.rng.IntN(20_000)))
			default:
				bad := g.invalid()
				invalid[string(bad)] = true
				txs = append(txs, bad)
			}
		}
		block := prepare(t, a, height, txs)
		if st := process(t, a, height, block); st != abci.ResponseProcessProposal_ACCEPT {
			t.Fatalf("iter %d: ProcessProposal rejected a prepared block of %d txs", iter, len(block))
		}
		for _, b := range block {
			if invalid[string(b)] {
				t.Fatalf("iter %d: invalid tx in prepared block", iter)
			}
			if _, isBlob, _ := square.UnmarshalBlobTx(b); isBlob {
				blobTxs++
			}
		}
		included += len(block)
		finalize(t, a, height, block)
		height++
	}
	if included < 100 || blobTxs < 50 {
		t.Fatalf("only %d transactions (%d BlobTxs) included in 25 blocks", included, blobTxs)
	}
}

// TestProcessProposalRejectsMaliciousProposer: blocks PrepareProposal would
// not build are rejected.
func TestProcessProposalRejectsMaliciousProposer(t *testing.T) {
	a, keys := daApp(t)
	g := newTxGen(t, a, keys, 7)
	b1, b2 := g.blob(2000, 5), g.blob(700, 2)
	good := [][]byte{g.send(), g.wrap(g.pfb(b1, b2), b1, b2)}
	if st := process(t, a, 2, good); st != abci.ResponseProcessProposal_ACCEPT {
		t.Fatal("honest block rejected")
	}
	wrongCommitment := g.pfb(b1)
	wrongCommitment.ShareCommitments[0][3] ^= 1
	bigBlobs := func() [][]byte {
		var txs [][]byte // 16x16 shares hold 128 KiB: 4 PFBs of 40 KB overflow
		for range 4 {
			b := g.blob(40_000, byte(10+len(txs)))
			txs = append(txs, g.wrap(g.pfb(b), b))
		}
		return txs
	}
	lowGas := func() []byte {
		// below 10/byte of the BlobTx + 8/byte of the blob
		raw, err := tx.MarshalBlobTx(g.encodeGas(20_000, g.pfb(b1)), b1)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	badSig := func() []byte {
		inner := g.encode(g.pfb(b1))
		inner[len(inner)-1] ^= 1 // the signature is the last field of TxRaw
		raw, err := tx.MarshalBlobTx(inner, b1)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	dup := g.wrap(g.pfb(b2), b2)
	cases := map[string][][]byte{
		"gas below blob cost": {lowGas()},
		"bad signature":       {badSig()},
		"sequence reused":     {dup, dup},
		"dropped blob":        {g.wrap(g.pfb(b1, b2), b1)},
		"wrong commitment":    {g.wrap(wrongCommitment, b1)},
		"regular after blob":  {g.wrap(g.pfb(b1), b1), g.send()},
		"oversize square":     bigBlobs(),
		"pfb without blobs":   {g.encode(g.pfb(b1))},
		"undecodable tx":      {[]byte("not a transaction")},
		"malformed blob tx":   {append(g.wrap(g.pfb(b1), b1)[:100:100], 0xff)},
	}
	// a reserved namespace: the blob and its PFB agree, the namespace is refused
	reserved := g.pfb(b1)
	reserved.Namespaces[0] = share.TxNamespace.Bytes()
	cases["reserved namespace"] = [][]byte{g.wrap(reserved, b1)}
	for name, txs := range cases {
		if st := process(t, a, 2, txs); st != abci.ResponseProcessProposal_REJECT {
			t.Errorf("%s: accepted", name)
		}
	}
	// a BlobTx whose inner tx carries the PFB and a bank send
	p1 := g.pfb(b1)
	from := sdk.MustAccAddressFromBech32(p1.Signer)
	two, err := tx.MarshalBlobTx(g.encode(p1, banktypes.NewMsgSend(from, from, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))), b1)
	if err != nil {
		t.Fatal(err)
	}
	if st := process(t, a, 2, [][]byte{two}); st != abci.ResponseProcessProposal_REJECT {
		t.Error("two messages in a BlobTx: accepted")
	}
	// PrepareProposal leaves all of them out, or keeps a valid subset.
	for name, txs := range cases {
		block := prepare(t, a, 2, txs)
		if st := process(t, a, 2, block); st != abci.ResponseProcessProposal_ACCEPT {
			t.Errorf("%s: prepared block rejected", name)
		}
	}
}

// TestBlobsStoredAndProven: a committed block's blobs can be fetched and
// proven against the stored data root; samples verify; squares are pruned
// after the retention window.
func TestBlobsStoredAndProven(t *testing.T) {
	a, keys := daApp(t)
	g := newTxGen(t, a, keys, 99)
	b1, b2, b3 := g.blob(5000, 8), g.blob(100, 8), g.blob(30_000, 1)
	block := prepare(t, a, 2, [][]byte{g.wrap(g.pfb(b1, b2), b1, b2), g.send(), g.wrap(g.pfb(b3), b3)})
	if len(block) != 3 {
		t.Fatalf("prepared %d txs", len(block))
	}
	finalize(t, a, 2, block)

	ctx := a.NewUncachedContext(false, a.NewContext(true).BlockHeader())
	q := dakeeper.NewQueryServerImpl(a.DAKeeper)
	root, err := q.DataRoot(ctx, &datypes.QueryDataRootRequest{Height: 2})
	if err != nil {
		t.Fatal(err)
	}
	l, err := square.Construct(block, 16)
	if err != nil {
		t.Fatal(err)
	}
	_, want, err := square.DataRootOf(l.Square)
	if err != nil || !bytes.Equal(want, root.DataRoot.DataRoot) {
		t.Fatalf("stored data root differs from the recomputed one (%v)", err)
	}
	for _, b := range []*share.Blob{b1, b2, b3} {
		c, _ := square.Commitment(b)
		got, err := q.Blob(ctx, &datypes.QueryBlobRequest{Height: 2, Namespace: b.Namespace().Bytes(), Commitment: c})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Blob.Data, b.Data()) {
			t.Fatal("blob data differs")
		}
		if !got.Blob.Paid {
			t.Fatal("blob of a successful transaction not marked paid")
		}
		pr, err := q.BlobProof(ctx, &datypes.QueryBlobProofRequest{Height: 2, Namespace: b.Namespace().Bytes(), Commitment: c})
		if err != nil {
			t.Fatal(err)
		}
		proof, err := square.UnmarshalShareProof(pr.Proof)
		if err != nil {
			t.Fatal(err)
		}
		shares, _ := b.ToShares()
		if err := proof.Verify(root.DataRoot.DataRoot, share.ToBytes(shares)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := q.Blobs(ctx, &datypes.QueryBlobsRequest{Height: 2, Namespace: b1.Namespace().Bytes()})
	if err != nil {
		t.Fatalf("blobs of namespace 8: %v", err)
	}
	if len(all.Blobs) != 2 {
		t.Fatalf("%d blobs in namespace 8", len(all.Blobs))
	}
	s, err := q.Sample(ctx, &datypes.QuerySampleRequest{Height: 2, Row: 3, Col: 5})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := square.UnmarshalSampleProof(s.Sample)
	if err != nil || sp.Verify(root.DataRoot.DataRoot, 3, 5, int(s.ExtendedWidth)) != nil {
		t.Fatalf("sample: %v", err)
	}

	// retention_blocks is 2: after heights 3, 4 and 5, height 2 is pruned
	// but its data root stays.
	for h := int64(3); h <= 5; h++ {
		finalize(t, a, h, nil)
	}
	ctx = a.NewUncachedContext(false, a.NewContext(true).BlockHeader())
	c1, _ := square.Commitment(b1)
	if _, err := q.Blob(ctx, &datypes.QueryBlobRequest{Height: 2, Namespace: b1.Namespace().Bytes(), Commitment: c1}); err == nil {
		t.Error("blob still served after the retention window")
	}
	if _, err := q.DataRoot(ctx, &datypes.QueryDataRootRequest{Height: 2}); err != nil {
		t.Errorf("data root pruned: %v", err)
	}
}

// FuzzBlockTx: CheckTx and ProcessProposal take arbitrary bytes without
// panicking or erroring, and agree: a transaction CheckTx refuses is never
// in an accepted proposal.
func FuzzBlockTx(f *testing.F) {
	a, keys := daApp(f)
	g := newTxGen(f, a, keys, 5)
	b := g.blob(700, 6)
	f.Add(g.wrap(g.pfb(b), b))
	f.Add(g.send())
	f.Add(g.encode(g.pfb(b)))
	f.Add([]byte("BLOB"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		chk, err := a.CheckTx(&abci.RequestCheckTx{Tx: raw, Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatalf("CheckTx errored: %v", err)
		}
		res, err := a.ProcessProposal(&abci.RequestProcessProposal{Txs: [][]byte{raw}, Height: 2})
		if err != nil {
			t.Fatalf("ProcessProposal errored: %v", err)
		}
		if chk.Code != 0 && res.Status == abci.ResponseProcessProposal_ACCEPT {
			// CheckTx also applies the mempool's minimum gas price; the
			// proposal rules do not. Anything else must agree.
			if _, isBlob, _ := square.UnmarshalBlobTx(raw); isBlob {
				t.Fatalf("CheckTx refused a BlobTx (%s) that ProcessProposal accepts", chk.Log)
			}
		}
	})
}
