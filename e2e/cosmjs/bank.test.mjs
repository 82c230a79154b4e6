// Real-client test: CosmJS (@cosmjs/stargate) against a running Farol mainnet.
// Reads the devnet's development accounts, queries a balance, sends tokens,
// checks the receiver got exactly what was sent, and checks that an
// over-spend is refused without moving funds.
//
//   FAROL_RPC=http://127.0.0.1:26657 FAROL_ACCOUNTS=data/devnet/accounts.json npm test
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";

const rpc = process.env.FAROL_RPC ?? "http://127.0.0.1:26657";
const accountsFile = process.env.FAROL_ACCOUNTS ?? "data/devnet/accounts.json";
const denom = "ufrl";

const accounts = JSON.parse(readFileSync(accountsFile, "utf8"));
const dev1 = accounts.find((a) => a.name === "dev1");
const dev2 = accounts.find((a) => a.name === "dev2");
assert.ok(dev1 && dev2, `dev1 and dev2 must be in ${accountsFile}`);

const reader = await StargateClient.connect(rpc);
const chainId = await reader.getChainId();
console.log(`connected to ${rpc}, chain ${chainId}, height ${await reader.getHeight()}`);

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(dev1.mnemonic, { prefix: "farol" });
const [signer] = await wallet.getAccounts();
assert.equal(signer.address, dev1.address, "CosmJS derives the same address as farold keys");

const balance1 = await reader.getBalance(dev1.address, denom);
console.log(`dev1 balance: ${balance1.amount}${denom}`);
assert.ok(BigInt(balance1.amount) > 0n, "dev1 is funded");

const client = await SigningStargateClient.connectWithSigner(rpc, wallet, {
  gasPrice: GasPrice.fromString(`0.0025${denom}`),
});
const amount = 12345n;
const before2 = BigInt((await reader.getBalance(dev2.address, denom)).amount);
const res = await client.sendTokens(dev1.address, dev2.address, [{ denom, amount: amount.toString() }], "auto", "cosmjs e2e");
assert.equal(res.code, 0, `send failed: ${res.rawLog}`);
console.log(`sent ${amount}${denom} dev1 -> dev2 in tx ${res.transactionHash} at height ${res.height}`);
const after2 = BigInt((await reader.getBalance(dev2.address, denom)).amount);
assert.equal(after2 - before2, amount, "dev2 received exactly the amount sent");

// Over-spending is refused, and moves nothing.
const before1 = BigInt((await reader.getBalance(dev1.address, denom)).amount);
let refused = false;
try {
  const bad = await client.sendTokens(dev1.address, dev2.address, [{ denom, amount: (before1 * 2n).toString() }], {
    amount: [{ denom, amount: "1000" }],
    gas: "200000",
  });
  refused = bad.code !== 0;
} catch (err) {
  refused = /insufficient funds/.test(String(err));
  if (!refused) throw err;
}
assert.ok(refused, "an over-spend must be refused");
assert.equal(BigInt((await reader.getBalance(dev2.address, denom)).amount), after2, "refused send moved nothing");

console.log("cosmjs e2e: ok");
client.disconnect();
reader.disconnect();
