/**
 * farmhash Fingerprint32 (farmhashmk Hash32, as in github.com/dgryski/go-farm), and Go's binary encoding
 * of a UTC time: the real scheduler hashes the two to place jitter, so ours lands on the same offsets.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;
const add = (...xs: number[]): number => xs.reduce((s, x) => (s + x) >>> 0, 0);
const rotr = (v: number, n: number): number => ((v >>> n) | (v << (32 - n))) >>> 0;

function fmix(h: number): number {
  h = (h ^ (h >>> 16)) >>> 0;
  h = mul(h, 0x85ebca6b);
  h = (h ^ (h >>> 13)) >>> 0;
  h = mul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mur(a: number, h: number): number {
  a = mul(rotr(mul(a, C1), 17), C2);
  h = rotr((h ^ a) >>> 0, 19);
  return add(mul(h, 5), 0xe6546b64);
}

function fetch32(s: Uint8Array, i: number): number {
  return ((s[i] ?? 0) | ((s[i + 1] ?? 0) << 8) | ((s[i + 2] ?? 0) << 16) | ((s[i + 3] ?? 0) << 24)) >>> 0;
}

function len0to4(s: Uint8Array): number {
  let b = 0;
  let c = 9;
  for (const byte of s) {
    const v = byte > 127 ? byte - 256 : byte; // int8, as in Go
    b = add(mul(b, C1), v >>> 0);
    c = (c ^ b) >>> 0;
  }
  return fmix(mur(b, mur(s.length, c)));
}

function len5to12(s: Uint8Array): number {
  const n = s.length;
  const a = add(n, fetch32(s, 0));
  const b = add(n * 5, fetch32(s, n - 4));
  const c = add(9, fetch32(s, (n >>> 1) & 4));
  const d = n * 5;
  return fmix(mur(c, mur(b, mur(a, d))));
}

function len13to24(s: Uint8Array): number {
  const n = s.length;
  let a = fetch32(s, (n >>> 1) - 4);
  const b = fetch32(s, 4);
  const c = fetch32(s, n - 8);
  const d = fetch32(s, n >>> 1);
  const e = fetch32(s, 0);
  const f = fetch32(s, n - 4);
  let h = add(mul(d, C1), n);
  a = add(rotr(a, 12), f);
  h = add(mur(c, h), a);
  a = add(rotr(a, 3), c);
  h = add(mur(e, h), a);
  a = add(rotr(add(a, f), 12), d);
  h = add(mur(b, h), a);
  return fmix(h);
}

export function fingerprint32(s: Uint8Array): number {
  const n = s.length;
  if (n <= 4) return len0to4(s);
  if (n <= 12) return len5to12(s);
  if (n <= 24) return len13to24(s);
  const scramble = (v: number): number => mul(rotr(mul(v, C1), 17), C2);
  const step = (x: number, y: number): number => add(mul(rotr((x ^ y) >>> 0, 19), 5), 0xe6546b64);
  let h = n >>> 0;
  let g = mul(C1, n);
  let f = g;
  h = step(h, scramble(fetch32(s, n - 4)));
  h = step(h, scramble(fetch32(s, n - 16)));
  g = step(g, scramble(fetch32(s, n - 8)));
  g = step(g, scramble(fetch32(s, n - 12)));
  f = add(rotr(add(f, scramble(fetch32(s, n - 20))), 19), 113);
  for (let iters = Math.floor((n - 1) / 20), off = 0; iters > 0; iters--, off += 20) {
    const a = fetch32(s, off);
    const b = fetch32(s, off + 4);
    const c = fetch32(s, off + 8);
    const d = fetch32(s, off + 12);
    const e = fetch32(s, off + 16);
    h = add(h, a);
    g = add(g, b);
    f = add(f, c);
    h = add(mur(d, h), e);
    g = add(mur(c, g), a);
    f = add(mur(add(b, mul(e, C1)), f), d);
    f = add(f, g);
    g = add(g, f);
  }
  g = mul(rotr(mul(rotr(g, 11), C1), 17), C1);
  f = mul(rotr(mul(rotr(f, 11), C1), 17), C1);
  h = add(mul(rotr(add(h, g), 19), 5), 0xe6546b64);
  h = mul(rotr(h, 17), C1);
  h = add(mul(rotr(add(h, f), 19), 5), 0xe6546b64);
  return mul(rotr(h, 17), C1);
}

/** Seconds from 0001-01-01 to 1970-01-01, Go's unixToInternal. */
const UNIX_TO_INTERNAL = 62_135_596_800n;

/** time.Time.MarshalBinary of a UTC time (version 1, zone offset -1). */
export function goTimeBinary(ms: number): Uint8Array {
  const out = new Uint8Array(15);
  const view = new DataView(out.buffer);
  const sec = Math.floor(ms / 1000);
  view.setUint8(0, 1);
  view.setBigInt64(1, BigInt(sec) + UNIX_TO_INTERNAL);
  view.setInt32(9, (ms - sec * 1000) * 1e6);
  view.setInt16(13, -1);
  return out;
}
