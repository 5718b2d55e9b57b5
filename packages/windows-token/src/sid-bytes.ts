// Owns the binary form of SIDs (W3): string `S-1-<authority>-<sub>...` to the bytes Win32 reads and
// back, so the runner needs no allocation by the OS to pass or read a SID. Pure: must NOT call Win32.
import { WindowsSandboxError } from './errors.js';

const MAX_SUB_AUTHORITIES = 15;

export function sidToBytes(sid: string): Buffer {
  const parts = sid.split('-');
  if (parts.length < 3 || parts[0] !== 'S' || parts[1] !== '1' || !parts.slice(2).every((p) => /^\d{1,15}$/.test(p))) {
    throw new WindowsSandboxError(`${JSON.stringify(sid)} is not a SID (S-1-<authority>-<sub-authority>...)`);
  }
  const authority = BigInt(parts[2] as string);
  const subs = parts.slice(3).map(Number);
  if (authority >= 1n << 48n || subs.length > MAX_SUB_AUTHORITIES || subs.some((s) => s > 0xffffffff)) {
    throw new WindowsSandboxError(`${JSON.stringify(sid)} is out of range for a SID`);
  }
  const out = Buffer.alloc(8 + 4 * subs.length);
  out[0] = 1;
  out[1] = subs.length;
  // The identifier authority is 48 bits, big-endian.
  for (let i = 0; i < 6; i += 1) out[2 + i] = Number((authority >> BigInt(8 * (5 - i))) & 0xffn);
  subs.forEach((s, i) => out.writeUInt32LE(s, 8 + 4 * i));
  return out;
}

/** The SID at `offset` in `bytes`, as a string, and its length in bytes. */
export function sidFromBytes(bytes: Uint8Array, offset = 0): { sid: string; length: number } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (offset + 8 > view.length || view[offset] !== 1) throw new WindowsSandboxError('malformed SID in data read back from Windows');
  const count = view[offset + 1] as number;
  const length = 8 + 4 * count;
  if (count > MAX_SUB_AUTHORITIES || offset + length > view.length) throw new WindowsSandboxError('malformed SID in data read back from Windows');
  let authority = 0n;
  for (let i = 0; i < 6; i += 1) authority = (authority << 8n) | BigInt(view[offset + 2 + i] as number);
  const subs: number[] = [];
  for (let i = 0; i < count; i += 1) subs.push(view.readUInt32LE(offset + 8 + 4 * i));
  return { sid: ['S', '1', authority.toString(), ...subs.map(String)].join('-'), length };
}
