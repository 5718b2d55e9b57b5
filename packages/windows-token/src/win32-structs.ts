// Owns the byte layouts of the Win32 structures the runner passes (64-bit Windows: x64 and arm64
// share them): STARTUPINFOW, PROCESS_INFORMATION, SECURITY_ATTRIBUTES,
// JOBOBJECT_EXTENDED_LIMIT_INFORMATION, TOKEN_PRIVILEGES, and the token groups read back. Pure:
// must NOT call Win32. Offsets follow the Windows SDK headers' natural alignment.
import { WindowsSandboxError } from './errors.js';
import { sidFromBytes } from './sid-bytes.js';

export const STARTUPINFOW_SIZE = 104;
export const PROCESS_INFORMATION_SIZE = 24;
export const JOB_EXTENDED_LIMIT_SIZE = 144;
export const STARTF_USESTDHANDLES = 0x100;
export const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000;
export const SE_PRIVILEGE_ENABLED = 0x2;

export function startupInfo(stdin: bigint, stdout: bigint, stderr: bigint): Buffer {
  const b = Buffer.alloc(STARTUPINFOW_SIZE);
  b.writeUInt32LE(STARTUPINFOW_SIZE, 0);
  b.writeUInt32LE(STARTF_USESTDHANDLES, 60);
  b.writeBigUInt64LE(stdin, 80);
  b.writeBigUInt64LE(stdout, 88);
  b.writeBigUInt64LE(stderr, 96);
  return b;
}

export function readProcessInformation(b: Buffer): { process: bigint; thread: bigint; pid: number } {
  return { process: b.readBigUInt64LE(0), thread: b.readBigUInt64LE(8), pid: b.readUInt32LE(16) };
}

/** An inheritable SECURITY_ATTRIBUTES without a descriptor. */
export function inheritableSecurityAttributes(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(24, 0);
  b.writeInt32LE(1, 16);
  return b;
}

export function killOnCloseLimits(): Buffer {
  const b = Buffer.alloc(JOB_EXTENDED_LIMIT_SIZE);
  b.writeUInt32LE(JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, 16);
  return b;
}

/** TOKEN_PRIVILEGES with one privilege (its LUID as 8 bytes) enabled. */
export function enabledPrivilege(luid: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(1, 0);
  luid.copy(b, 4, 0, 8);
  b.writeUInt32LE(SE_PRIVILEGE_ENABLED, 12);
  return b;
}

/**
 * TOKEN_GROUPS (TokenGroups, TokenRestrictedSids) or TOKEN_USER (one entry, no count) read into
 * `buffer` at address `base`: the SID pointers point into the same buffer.
 */
export function readSidAndAttributes(buffer: Buffer, base: bigint, withCount: boolean): Array<{ sid: string; attributes: number }> {
  const count = withCount ? buffer.readUInt32LE(0) : 1;
  const start = withCount ? 8 : 0;
  const out: Array<{ sid: string; attributes: number }> = [];
  for (let i = 0; i < count; i += 1) {
    const entry = start + 16 * i;
    if (entry + 16 > buffer.length) throw new WindowsSandboxError('malformed token information read back from Windows');
    const offset = buffer.readBigUInt64LE(entry) - base;
    if (offset < 0n || offset >= BigInt(buffer.length)) throw new WindowsSandboxError('a SID read back from Windows lies outside its buffer');
    out.push({ sid: sidFromBytes(buffer, Number(offset)).sid, attributes: buffer.readUInt32LE(entry + 8) });
  }
  return out;
}

/** SE_GROUP_LOGON_ID: the group entry that is the logon session's SID. */
export const SE_GROUP_LOGON_ID = 0xc0000000;

export function requireSixtyFourBit(arch: string): void {
  if (arch !== 'x64' && arch !== 'arm64') throw new WindowsSandboxError(`the Windows sandbox supports 64-bit Windows only (this Node is ${arch}); refusing to run unsandboxed`);
}
