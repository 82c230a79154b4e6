// Constant-product AMM pool of two token contracts (examples/token.ts), 0.3% fee.
// instantiate(tokenA 20, tokenB 20). call input: op byte then arguments:
//   1 addLiquidity(amountA u64, amountB u64) -> shares u64   (caller approved the pool)
//   2 swap(aToB u8, amountIn u64, minOut u64) -> amountOut u64
//   3 reserves() -> reserveA u64 | reserveB u64
import * as farol from "../farol";

const TOKEN_A = Uint8Array.wrap(String.UTF8.encode("ta"));
const TOKEN_B = Uint8Array.wrap(String.UTF8.encode("tb"));
const RES_A = Uint8Array.wrap(String.UTF8.encode("ra"));
const RES_B = Uint8Array.wrap(String.UTF8.encode("rb"));
const SHARES = Uint8Array.wrap(String.UTF8.encode("sh"));

function token(k: Uint8Array): Uint8Array { return farol.get(k)!; }

function pull(tok: Uint8Array, from: Uint8Array, amount: u64): void {
  const inp = new Uint8Array(49);
  inp[0] = 3;
  inp.set(from, 1);
  inp.set(farol.self(), 21);
  inp.set(farol.u64be(amount), 41);
  farol.require(farol.call(tok, inp).status == 0, "transferFrom failed");
}

function push(tok: Uint8Array, to: Uint8Array, amount: u64): void {
  const inp = new Uint8Array(29);
  inp[0] = 1;
  inp.set(to, 1);
  inp.set(farol.u64be(amount), 21);
  farol.require(farol.call(tok, inp).status == 0, "transfer failed");
}

function mulDiv(a: u64, b: u64, c: u64): u64 {
  farol.require(b == 0 || a <= <u64>-1 / b, "overflow");
  return a * b / c;
}

export function instantiate(): void {
  const inp = farol.input();
  farol.require(inp.length == 40, "want two token addresses");
  farol.set(TOKEN_A, inp.slice(0, 20));
  farol.set(TOKEN_B, inp.slice(20, 40));
}

export function call(): void {
  const inp = farol.input();
  farol.require(inp.length >= 1, "empty input");
  const op = inp[0];
  const ra = farol.getU64(RES_A), rb = farol.getU64(RES_B);
  const who = farol.caller();
  if (op == 1) {
    const a = farol.readU64(inp, 1), b = farol.readU64(inp, 9);
    pull(token(TOKEN_A), who, a);
    pull(token(TOKEN_B), who, b);
    const total = farol.getU64(SHARES);
    const shares = total == 0 ? a : mulDiv(a, total, ra);
    const sk = farol.prefixed(0x73 /* s */, who);
    farol.setU64(sk, farol.getU64(sk) + shares);
    farol.setU64(SHARES, total + shares);
    farol.setU64(RES_A, ra + a);
    farol.setU64(RES_B, rb + b);
    farol.ret(farol.u64be(shares));
  } else if (op == 2) {
    const aToB = inp[1] != 0;
    const amountIn = farol.readU64(inp, 2), minOut = farol.readU64(inp, 10);
    const rin = aToB ? ra : rb, rout = aToB ? rb : ra;
    const inFee = mulDiv(amountIn, 997, 1);
    const out = mulDiv(inFee, rout, rin * 1000 + inFee);
    farol.require(out >= minOut && out > 0 && out < rout, "slippage");
    pull(token(aToB ? TOKEN_A : TOKEN_B), who, amountIn);
    push(token(aToB ? TOKEN_B : TOKEN_A), who, out);
    farol.setU64(aToB ? RES_A : RES_B, rin + amountIn);
    farol.setU64(aToB ? RES_B : RES_A, rout - out);
    farol.emit("Swap", farol.concat(who, farol.u64be(out)));
    farol.ret(farol.u64be(out));
  } else if (op == 3) {
    farol.ret(farol.concat(farol.u64be(ra), farol.u64be(rb)));
  } else {
    farol.revert("unknown op");
  }
}
