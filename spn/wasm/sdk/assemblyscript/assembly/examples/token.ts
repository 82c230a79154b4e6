// Fungible token with u64 amounts. instantiate(supply u64): the creator holds supply.
// call input: op byte then arguments (addresses 20 bytes, amounts u64 big-endian):
//   1 transfer(to, amount)            2 approve(spender, amount)
//   3 transferFrom(from, to, amount)  4 balanceOf(owner) -> u64
//   5 allowance(owner, spender) -> u64  6 totalSupply() -> u64
import * as farol from "../farol";

const SUPPLY = Uint8Array.wrap(String.UTF8.encode("supply"));

function balKey(a: Uint8Array): Uint8Array { return farol.prefixed(0x62 /* b */, a); }
function allowKey(o: Uint8Array, s: Uint8Array): Uint8Array { return farol.prefixed(0x61 /* a */, farol.concat(o, s)); }

function move(from: Uint8Array, to: Uint8Array, amount: u64): void {
  const fk = balKey(from);
  const fb = farol.getU64(fk);
  farol.require(fb >= amount, "insufficient balance");
  farol.setU64(fk, fb - amount);
  const tk = balKey(to);
  const tb = farol.getU64(tk);
  farol.require(tb + amount >= tb, "overflow");
  farol.setU64(tk, tb + amount);
  farol.emit("Transfer", farol.concat(farol.concat(from, to), farol.u64be(amount)));
}

export function instantiate(): void {
  const inp = farol.input();
  const supply = farol.readU64(inp, 0);
  farol.setU64(SUPPLY, supply);
  farol.setU64(balKey(farol.caller()), supply);
}

export function call(): void {
  const inp = farol.input();
  farol.require(inp.length >= 1, "empty input");
  const op = inp[0];
  if (op == 1) {
    move(farol.caller(), inp.subarray(1, 21), farol.readU64(inp, 21));
  } else if (op == 2) {
    farol.setU64(allowKey(farol.caller(), inp.subarray(1, 21)), farol.readU64(inp, 21));
  } else if (op == 3) {
    const from = inp.subarray(1, 21);
    const amount = farol.readU64(inp, 41);
    const ak = allowKey(from, farol.caller());
    const al = farol.getU64(ak);
    farol.require(al >= amount, "allowance exceeded");
    farol.setU64(ak, al - amount);
    move(from, inp.subarray(21, 41), amount);
  } else if (op == 4) {
    farol.ret(farol.u64be(farol.getU64(balKey(inp.subarray(1, 21)))));
  } else if (op == 5) {
    farol.ret(farol.u64be(farol.getU64(allowKey(inp.subarray(1, 21), inp.subarray(21, 41)))));
  } else if (op == 6) {
    farol.ret(farol.u64be(farol.getU64(SUPPLY)));
  } else {
    farol.revert("unknown op");
  }
}
