// Owns the binary form of ACLs (W3, W7): parsing a DACL read back from Windows into ACE facts, and
// building the DACL the runner sets (the planned deny ACEs first, then existing explicit denies,
// then the planned allows, then the other existing explicit ACEs; inherited ACEs are left for
// Windows to recompute). Pure: must NOT call Win32.
import { INHERITED_ACE } from './access-masks.js';
import { WindowsSandboxError } from './errors.js';
import type { AceFact } from './read-back.js';
import { sidFromBytes, sidToBytes } from './sid-bytes.js';

const ACCESS_ALLOWED_ACE_TYPE = 0;
const ACCESS_DENIED_ACE_TYPE = 1;
const ACL_REVISION = 2;
const ACL_HEADER_SIZE = 8;

/** One ACE as raw bytes plus what it says (`other` for types the plan never writes). */
export interface RawAce extends AceFact {
  bytes: Buffer;
}

export function parseAcl(acl: Uint8Array): { revision: number; aces: RawAce[] } {
  const view = Buffer.from(acl.buffer, acl.byteOffset, acl.byteLength);
  if (view.length < ACL_HEADER_SIZE) throw new WindowsSandboxError('malformed ACL read back from Windows (short header)');
  const revision = view[0] as number;
  const size = view.readUInt16LE(2);
  const count = view.readUInt16LE(4);
  if (size > view.length) throw new WindowsSandboxError('malformed ACL read back from Windows (size)');
  const aces: RawAce[] = [];
  let offset = ACL_HEADER_SIZE;
  for (let i = 0; i < count; i += 1) {
    if (offset + 4 > size) throw new WindowsSandboxError('malformed ACL read back from Windows (ACE header)');
    const type = view[offset] as number;
    const flags = view[offset + 1] as number;
    const aceSize = view.readUInt16LE(offset + 2);
    if (aceSize < 4 || offset + aceSize > size) throw new WindowsSandboxError('malformed ACL read back from Windows (ACE size)');
    const bytes = Buffer.from(view.subarray(offset, offset + aceSize));
    if ((type === ACCESS_ALLOWED_ACE_TYPE || type === ACCESS_DENIED_ACE_TYPE) && aceSize >= 16) {
      aces.push({ type: type === ACCESS_ALLOWED_ACE_TYPE ? 'allow' : 'deny', flags, mask: bytes.readUInt32LE(4), sid: sidFromBytes(bytes, 8).sid, bytes });
    } else {
      aces.push({ type: 'other', flags, mask: aceSize >= 8 ? bytes.readUInt32LE(4) : 0, sid: '', bytes });
    }
    offset += aceSize;
  }
  return { revision, aces };
}

export interface NewAce {
  type: 'allow' | 'deny';
  sid: string;
  mask: number;
  flags: number;
}

export function aceBytes(ace: NewAce): Buffer {
  const sid = sidToBytes(ace.sid);
  const out = Buffer.alloc(8 + sid.length);
  out[0] = ace.type === 'allow' ? ACCESS_ALLOWED_ACE_TYPE : ACCESS_DENIED_ACE_TYPE;
  out[1] = ace.flags;
  out.writeUInt16LE(out.length, 2);
  out.writeUInt32LE(ace.mask >>> 0, 4);
  sid.copy(out, 8);
  return out;
}

export function buildAcl(aces: readonly Buffer[], revision = ACL_REVISION): Buffer {
  const size = ACL_HEADER_SIZE + aces.reduce((n, a) => n + a.length, 0);
  if (size > 0xffff) throw new WindowsSandboxError('the ACL would exceed 64 KiB');
  const header = Buffer.alloc(ACL_HEADER_SIZE);
  header[0] = revision;
  header.writeUInt16LE(size, 2);
  header.writeUInt16LE(aces.length, 4);
  return Buffer.concat([header, ...aces]);
}

/** The DACL to set on a path: planned denies, existing explicit denies, planned allows, other explicit ACEs. */
export function mergedAcl(existing: { revision: number; aces: readonly RawAce[] } | undefined, planned: readonly NewAce[]): Buffer {
  const explicit = (existing?.aces ?? []).filter((a) => (a.flags & INHERITED_ACE) === 0);
  const ordered = [
    ...planned.filter((a) => a.type === 'deny').map(aceBytes),
    ...explicit.filter((a) => a.type === 'deny').map((a) => a.bytes),
    ...planned.filter((a) => a.type === 'allow').map(aceBytes),
    ...explicit.filter((a) => a.type !== 'deny').map((a) => a.bytes),
  ];
  return buildAcl(ordered, Math.max(existing?.revision ?? ACL_REVISION, ACL_REVISION));
}
