// Counter: instantiate with an optional u64 start value; call with [0] to increment,
// [1] to read (returns the u64 count, big-endian).
import * as farol from "../farol";

const KEY = Uint8Array.wrap(String.UTF8.encode("count"));

export function instantiate(): void {
  const inp = farol.input();
  farol.setU64(KEY, inp.length >= 8 ? farol.readU64(inp, 0) : 0);
}

export function call(): void {
  const inp = farol.input();
  const op = inp.length > 0 ? inp[0] : 0;
  let n = farol.getU64(KEY);
  if (op == 0) {
    n++;
    farol.setU64(KEY, n);
  } else if (op != 1) {
    farol.revert("unknown op");
  }
  farol.ret(farol.u64be(n));
}
