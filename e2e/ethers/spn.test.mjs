// Real-client test of an EVM SPN over its Ethereum JSON-RPC: compiles
// contracts/FarolToken.sol with solc (npm), then
//   ethers v6: deploys it, sends transfers, reads receipts and Transfer logs
//              (receipt logs and eth_getLogs), balances (eth_call), and
//              subscribes to new heads over WebSocket;
//   viem:      the same basics (deploy, transfer, receipt, events, reads,
//              new heads over WebSocket).
//
// Environment (the devnet writes them to <data>/spn-evm.json; SPN_INFO names
// that file, or set them one by one):
//   SPN_RPC         http://127.0.0.1:8545   Ethereum JSON-RPC over HTTP
//   SPN_WS          ws://127.0.0.1:8545     WebSocket (default: SPN_RPC with ws://)
//   SPN_CHAIN_ID    4242                    EIP-155 chain id
//   SPN_KEY         0x...                   funded private key (devnet: DEV ONLY key)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import solc from "solc";
import { ethers } from "ethers";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseEventLogs,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

// solc's emscripten module turns every unhandled rejection into a throw; put
// Node's own handling back, except for the eth_unsubscribe that ethers leaves
// in flight when its WebSocket provider is destroyed.
process.removeAllListeners("unhandledRejection");
process.on("unhandledRejection", (reason) => {
  if (reason?.code === "UNSUPPORTED_OPERATION" && reason?.operation === "eth_unsubscribe") return;
  throw reason;
});

const here = path.dirname(fileURLToPath(import.meta.url));
const info = process.env.SPN_INFO ? JSON.parse(readFileSync(process.env.SPN_INFO, "utf8")) : {};
const RPC = process.env.SPN_RPC ?? info.rpc ?? "http://127.0.0.1:8545";
const WS = process.env.SPN_WS ?? RPC.replace(/^http/, "ws");
const CHAIN_ID = Number(process.env.SPN_CHAIN_ID ?? info.evm_chain_id ?? 4242);
const KEY = process.env.SPN_KEY ?? info.dev_private_key;
assert.ok(KEY, "set SPN_KEY (a funded private key) or SPN_INFO");

const SUPPLY = 1_000_000n * 10n ** 18n;
const TIMEOUT_MS = 30_000;

function log(...args) {
  console.log(...args);
}

// withTimeout fails a step that hangs instead of letting the test hang.
function withTimeout(promise, what, ms = TIMEOUT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// compile builds FarolToken with the pinned solc (optimizer on).
function compile() {
  const source = readFileSync(path.join(here, "contracts", "FarolToken.sol"), "utf8");
  const input = {
    language: "Solidity",
    sources: { "FarolToken.sol": { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const c = out.contracts["FarolToken.sol"].FarolToken;
  return { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
}

// newHeads waits for n new heads from a subscription started by subscribe,
// which calls back with each head's number and returns an unsubscribe function.
async function newHeads(n, subscribe, what) {
  const seen = [];
  let unsubscribe;
  await withTimeout(
    new Promise((resolve, reject) => {
      Promise.resolve(
        subscribe((num) => {
          seen.push(Number(num));
          if (seen.length >= n) resolve();
        }, reject),
      ).then((u) => (unsubscribe = u), reject);
    }),
    what,
  );
  if (unsubscribe) await unsubscribe();
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `${what}: heads not increasing: ${seen}`);
  return seen;
}

async function withEthers(artifact) {
  log("== ethers v" + ethers.version);
  // cacheTimeout -1: ethers v6 otherwise answers an identical request made within
  // 250 ms from its cache. The deploy's eth_getTransactionCount("pending") could then
  // answer the first transfer's too, if the deploy's block committed that fast, and
  // the transfer reused the deploy's nonce (seen once in session 7).
  const provider = new ethers.JsonRpcProvider(RPC, CHAIN_ID, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  const net = await provider.getNetwork();
  assert.equal(net.chainId, BigInt(CHAIN_ID), "eth_chainId");
  const wallet = new ethers.Wallet(KEY, provider);
  const balance = await provider.getBalance(wallet.address);
  assert.ok(balance > 0n, `dev account ${wallet.address} is not funded`);
  log(`chain ${net.chainId}, block ${await provider.getBlockNumber()}, dev ${wallet.address} balance ${ethers.formatEther(balance)} ETH`);

  const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, wallet);
  const token = await factory.deploy(SUPPLY);
  const deployTx = token.deploymentTransaction();
  await withTimeout(token.waitForDeployment(), "ethers deploy");
  const address = await token.getAddress();
  const deployReceipt = await provider.getTransactionReceipt(deployTx.hash);
  assert.equal(deployReceipt.status, 1, "deploy receipt status");
  assert.equal(deployReceipt.contractAddress, address, "receipt contractAddress");
  assert.ok((await provider.getCode(address)).length > 2, "no code at the token's address");
  log(`deployed FarolToken at ${address} in block ${deployReceipt.blockNumber} (gas ${deployReceipt.gasUsed})`);

  assert.equal(await token.symbol(), "FE2E", "symbol() via eth_call");
  assert.equal(await token.totalSupply(), SUPPLY, "totalSupply()");
  assert.equal(await token.balanceOf(wallet.address), SUPPLY, "deployer balance");

  // Three transfers sent back to back (nonces n, n+1, n+2), then their
  // receipts. The nonces are counted locally (ethers' NonceManager), as a wallet
  // sending a burst does.
  const to = [1, 2, 3].map(() => ethers.Wallet.createRandom().address);
  const amounts = [100n, 2_000n, 30_000n];
  const burst = token.connect(new ethers.NonceManager(wallet));
  const sent = [];
  for (let i = 0; i < to.length; i++) sent.push(await burst.transfer(to[i], amounts[i]));
  const receipts = await withTimeout(Promise.all(sent.map((tx) => tx.wait())), "ethers transfer receipts");
  for (let i = 0; i < receipts.length; i++) {
    const r = receipts[i];
    assert.equal(r.status, 1, `transfer ${i} status`);
    const logs = r.logs.map((l) => token.interface.parseLog(l)).filter((l) => l?.name === "Transfer");
    assert.equal(logs.length, 1, `transfer ${i}: one Transfer log`);
    assert.equal(logs[0].args.from, wallet.address);
    assert.equal(logs[0].args.to, to[i]);
    assert.equal(logs[0].args.value, amounts[i]);
    assert.equal(await token.balanceOf(to[i]), amounts[i], `balance of receiver ${i}`);
  }
  log(`3 transfers in blocks ${receipts.map((r) => r.blockNumber).join(", ")}; Transfer logs and balances match`);

  // eth_getLogs through a contract filter over the blocks of the test.
  const from = deployReceipt.blockNumber;
  const until = Math.max(...receipts.map((r) => r.blockNumber));
  const events = await token.queryFilter(token.filters.Transfer(wallet.address), from, until);
  assert.equal(events.length, 3, "eth_getLogs: Transfer events from the deployer");
  const mint = await token.queryFilter(token.filters.Transfer(ethers.ZeroAddress), from, until);
  assert.equal(mint.length, 1, "eth_getLogs: the mint");
  log(`eth_getLogs: ${events.length} transfers and ${mint.length} mint over blocks ${from}..${until}`);

  // A transfer above the balance reverts: eth_estimateGas / eth_call report it.
  await assert.rejects(token.connect(new ethers.Wallet(ethers.Wallet.createRandom().privateKey, provider)).transfer.staticCall(to[0], 1n), /revert|InsufficientBalance/i, "reverting eth_call");

  // New heads over WebSocket (eth_subscribe newHeads).
  const ws = new ethers.WebSocketProvider(WS, CHAIN_ID, { staticNetwork: true });
  try {
    const heads = await newHeads(
      2,
      (onHead) => {
        ws.on("block", onHead);
        return () => ws.off("block", onHead);
      },
      "ethers WebSocket newHeads",
    );
    log(`WebSocket ${WS}: new heads ${heads.join(", ")}`);
  } finally {
    await new Promise((r) => setTimeout(r, 300)); // let eth_unsubscribe complete
    await ws.destroy();
  }
  return address;
}

async function withViem(artifact) {
  log("== viem");
  const chain = defineChain({
    id: CHAIN_ID,
    name: "Farol EVM SPN",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [RPC], webSocket: [WS] } },
  });
  const account = privateKeyToAccount(KEY);
  const pub = createPublicClient({ chain, transport: http(RPC), pollingInterval: 250 });
  const wallet = createWalletClient({ account, chain, transport: http(RPC) });
  assert.equal(await pub.getChainId(), CHAIN_ID, "viem getChainId");

  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [SUPPLY] });
  const deployed = await withTimeout(pub.waitForTransactionReceipt({ hash }), "viem deploy receipt");
  assert.equal(deployed.status, "success", "viem deploy status");
  const address = deployed.contractAddress;
  log(`deployed FarolToken at ${address} in block ${deployed.blockNumber}`);

  const to = privateKeyToAccount("0x" + "11".repeat(32)).address;
  const { request } = await pub.simulateContract({ account, address, abi: artifact.abi, functionName: "transfer", args: [to, 4242n] });
  const txHash = await wallet.writeContract(request);
  const receipt = await withTimeout(pub.waitForTransactionReceipt({ hash: txHash }), "viem transfer receipt");
  assert.equal(receipt.status, "success", "viem transfer status");
  const [ev] = parseEventLogs({ abi: artifact.abi, eventName: "Transfer", logs: receipt.logs });
  assert.equal(ev.args.from, account.address);
  assert.equal(ev.args.to, to);
  assert.equal(ev.args.value, 4242n);
  const bal = await pub.readContract({ address, abi: artifact.abi, functionName: "balanceOf", args: [to] });
  assert.ok(bal >= 4242n, "viem readContract balanceOf");
  const logs = await pub.getContractEvents({ address, abi: artifact.abi, eventName: "Transfer", fromBlock: deployed.blockNumber, toBlock: receipt.blockNumber });
  assert.equal(logs.length, 2, "viem getContractEvents: mint + transfer");
  log(`transfer in block ${receipt.blockNumber}: Transfer log, balance and getContractEvents match`);

  const wsClient = createPublicClient({ chain, transport: webSocket(WS) });
  try {
    const heads = await newHeads(
      2,
      (onHead, onError) => wsClient.watchBlockNumber({ onBlockNumber: onHead, onError, emitOnBegin: false }),
      "viem WebSocket newHeads",
    );
    log(`WebSocket ${WS}: new heads ${heads.join(", ")}`);
  } finally {
    const t = wsClient.transport;
    if (t.getRpcClient) (await t.getRpcClient()).close();
  }
}

const artifact = compile();
log(`compiled FarolToken with solc ${solc.version()}: ${(artifact.bytecode.length - 2) / 2} bytes of init code`);
await withEthers(artifact);
await withViem(artifact);
log("ethers + viem: all checks passed");
