// Instance reuse test contract: module state that every call must find fresh.
// call() returns four u32 (little-endian): the calls counter (a mutable global), the
// length of a heap array allocated by _initialize, a static array element (data
// segment memory) and memory.size, each after this call's increment: 1, 1, 1, 1 on
// every call. Input "g" grows memory by a page, "r" reverts after the changes.
import * as farol from "../farol";

let calls: u32 = 0;
const seen = new Array<u32>();
const statics: StaticArray<u32> = [0, 0, 0, 0];

export function call(): void {
  const inp = farol.input();
  calls++;
  seen.push(calls);
  statics[0] += 1;
  let pages = <u32>memory.size();
  if (inp.length > 0 && inp[0] == 0x67) memory.grow(1);
  if (inp.length > 0 && inp[0] == 0x72) farol.revert("changed");
  const out = new Uint8Array(16);
  store<u32>(out.dataStart, calls);
  store<u32>(out.dataStart + 4, <u32>seen.length);
  store<u32>(out.dataStart + 8, statics[0]);
  store<u32>(out.dataStart + 12, pages);
  farol.ret(out);
}
