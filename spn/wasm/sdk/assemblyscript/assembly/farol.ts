// Farol Wasm contract SDK for AssemblyScript: host ABI v1 (spn/wasm/README.md).
//
// A contract exports `call(): void` (and optionally `instantiate(): void`), reads its
// input with input(), and answers with ret() or revert(). Amounts of the native token
// are 32-byte big-endian numbers; the helpers below use u64 for the examples.

// @ts-nocheck
@external("farol_v1", "input_size") declare function _input_size(): i32;
@external("farol_v1", "input_copy") declare function _input_copy(dst: usize): void;
@external("farol_v1", "set_return") declare function _set_return(ptr: usize, len: i32): void;
@external("farol_v1", "revert") declare function _revert(ptr: usize, len: i32): void;
@external("farol_v1", "storage_read") declare function _storage_read(k: usize, kl: i32, v: usize, vc: i32): i32;
@external("farol_v1", "storage_write") declare function _storage_write(k: usize, kl: i32, v: usize, vl: i32): void;
@external("farol_v1", "storage_delete") declare function _storage_delete(k: usize, kl: i32): void;
@external("farol_v1", "caller") declare function _caller(dst: usize): void;
@external("farol_v1", "origin") declare function _origin(dst: usize): void;
@external("farol_v1", "self") declare function _self(dst: usize): void;
@external("farol_v1", "value") declare function _value(dst: usize): void;
@external("farol_v1", "balance") declare function _balance(addr: usize, dst: usize): void;
@external("farol_v1", "transfer") declare function _transfer(addr: usize, amount: usize): i32;
@external("farol_v1", "emit") declare function _emit(t: usize, tl: i32, d: usize, dl: i32): void;
@external("farol_v1", "call") declare function _call(addr: usize, value: usize, inp: usize, inl: i32, gas: i64): i32;
@external("farol_v1", "return_data_size") declare function _return_data_size(): i32;
@external("farol_v1", "return_data_copy") declare function _return_data_copy(dst: usize): void;
@external("farol_v1", "block_height") declare function _block_height(): i64;
@external("farol_v1", "block_time") declare function _block_time(): i64;
@external("farol_v1", "gas_left") declare function _gas_left(): i64;
@external("farol_v1", "sha256") declare function _sha256(p: usize, l: i32, dst: usize): void;
@external("farol_v1", "keccak256") declare function _keccak256(p: usize, l: i32, dst: usize): void;
@external("farol_v1", "mesh_send") declare function _mesh_send(spn: i64, to: usize, d: usize, dl: i32): i32;
@external("farol_v1", "secp256k1_recover") declare function _secp256k1_recover(hash: usize, sig: usize, dst: usize): i32;
@external("farol_v1", "ed25519_verify") declare function _ed25519_verify(pub: usize, msg: usize, ml: i32, sig: usize): i32;

export const ADDRESS_LEN = 20;

/** The call's input. */
export function input(): Uint8Array {
  const n = _input_size();
  const b = new Uint8Array(n);
  if (n > 0) _input_copy(b.dataStart);
  return b;
}

/** Sets the call's return data. */
export function ret(b: Uint8Array): void { _set_return(b.dataStart, b.length); }

/** Reverts the call (and the state changes of everything it called) with a message. */
export function revert(msg: string): void {
  const b = Uint8Array.wrap(String.UTF8.encode(msg));
  _revert(b.dataStart, b.length);
  unreachable();
}

/** abort is AssemblyScript's assertion handler (--use abort=...): a revert. */
export function farolAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  revert(msg !== null ? msg : "abort");
}

export function require(ok: bool, msg: string): void { if (!ok) revert(msg); }

let scratch = new Uint8Array(256);

/** Reads a storage slot; null if absent. */
export function get(key: Uint8Array): Uint8Array | null {
  let n = _storage_read(key.dataStart, key.length, scratch.dataStart, scratch.length);
  if (n < 0) return null;
  if (n > scratch.length) {
    scratch = new Uint8Array(n);
    n = _storage_read(key.dataStart, key.length, scratch.dataStart, scratch.length);
  }
  return scratch.slice(0, n);
}

export function set(key: Uint8Array, value: Uint8Array): void {
  _storage_write(key.dataStart, key.length, value.dataStart, value.length);
}

export function del(key: Uint8Array): void { _storage_delete(key.dataStart, key.length); }

function addr(f: (p: usize) => void): Uint8Array {
  const b = new Uint8Array(ADDRESS_LEN);
  f(b.dataStart);
  return b;
}

export function caller(): Uint8Array { return addr((p: usize): void => _caller(p)); }
export function origin(): Uint8Array { return addr((p: usize): void => _origin(p)); }
export function self(): Uint8Array { return addr((p: usize): void => _self(p)); }

/** The native token attached to the call (32 bytes big-endian). */
export function value(): Uint8Array { const b = new Uint8Array(32); _value(b.dataStart); return b; }

export function balanceOf(a: Uint8Array): Uint8Array { const b = new Uint8Array(32); _balance(a.dataStart, b.dataStart); return b; }

/** Sends native token from this contract; false if its balance is too low. */
export function transfer(to: Uint8Array, amount32: Uint8Array): bool { return _transfer(to.dataStart, amount32.dataStart) == 0; }

export function emit(topic: string, data: Uint8Array): void {
  const t = Uint8Array.wrap(String.UTF8.encode(topic));
  _emit(t.dataStart, t.length, data.dataStart, data.length);
}

/** Result of call(): status 0 is success (spn/wasm Status codes). */
export class CallResult {
  constructor(public status: i32, public data: Uint8Array) {}
}

/** Calls another contract; its state changes revert if it fails. gas 0: all available. */
export function call(to: Uint8Array, input: Uint8Array, value32: Uint8Array | null = null, gas: i64 = 0): CallResult {
  let v = new Uint8Array(32);
  if (value32 !== null) v = value32;
  const st = _call(to.dataStart, v.dataStart, input.dataStart, input.length, gas);
  const n = _return_data_size();
  const d = new Uint8Array(n);
  if (n > 0) _return_data_copy(d.dataStart);
  return new CallResult(st, d);
}

export function blockHeight(): u64 { return <u64>_block_height(); }
export function blockTime(): u64 { return <u64>_block_time(); }
export function gasLeft(): u64 { return <u64>_gas_left(); }

export function sha256(b: Uint8Array): Uint8Array { const h = new Uint8Array(32); _sha256(b.dataStart, b.length, h.dataStart); return h; }
export function keccak256(b: Uint8Array): Uint8Array { const h = new Uint8Array(32); _keccak256(b.dataStart, b.length, h.dataStart); return h; }

/** The Ethereum-style address that signed hash (sig = r|s|v, v in {0,1}); null if invalid. */
export function ecrecover(hash: Uint8Array, sig: Uint8Array): Uint8Array | null {
  require(hash.length == 32 && sig.length == 65, "ecrecover: bad lengths");
  const a = new Uint8Array(ADDRESS_LEN);
  return _secp256k1_recover(hash.dataStart, sig.dataStart, a.dataStart) == 0 ? a : null;
}

/** Reports whether sig (64 bytes) is pub's (32 bytes) Ed25519 signature of msg. */
export function ed25519Verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): bool {
  require(pub.length == 32 && sig.length == 64, "ed25519: bad lengths");
  return _ed25519_verify(pub.dataStart, msg.dataStart, msg.length, sig.dataStart) == 1;
}

/** Appends a message to the block's outbox for contract `to` on SPN `spn`. */
export function meshSend(spn: u64, to: Uint8Array, data: Uint8Array): i32 { return _mesh_send(<i64>spn, to.dataStart, data.dataStart, data.length); }

// Encoding helpers.

export function u64be(v: u64): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) { b[i] = <u8>(v & 0xff); v >>= 8; }
  return b;
}

export function readU64(b: Uint8Array, off: i32): u64 {
  require(b.length >= off + 8, "short input");
  let v: u64 = 0;
  for (let i = 0; i < 8; i++) v = (v << 8) | <u64>b[off + i];
  return v;
}

export function getU64(key: Uint8Array): u64 {
  const v = get(key);
  if (v === null) return 0;
  return readU64(v, 0);
}

export function setU64(key: Uint8Array, v: u64): void { set(key, u64be(v)); }

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function prefixed(p: u8, a: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + a.length);
  out[0] = p;
  out.set(a, 1);
  return out;
}
