// The typed handoff from a front end to codex-landlock-helper, the program of the legacy Landlock
// backend that confines itself and then becomes the command (message LandlockHelperSpec in
// proto/landlock_helper.proto): checks a spec and encodes it, and decodes one back (tests,
// diagnostics). Must NOT decide access masks or build seccomp programs; the helper checks the
// same rules again on its side.
import { WireError } from './errors.js';
import * as pb from './gen/landlock_helper.js';

export interface LandlockPathRuleSpec {
  /** Canonical absolute path; the helper opens it without following symlinks. */
  path: string;
  /** Rights granted beneath it (a subset of `handledAccessFs`). */
  allowedAccess: number;
}

export interface LandlockHelperSpec {
  /** The Landlock ABI the masks were planned for. */
  abi: number;
  handledAccessFs: number;
  handledAccessNet: number;
  scoped: number;
  pathRules: readonly LandlockPathRuleSpec[];
  /** Classic BPF program (struct sock_filter array) installed right before execve. */
  seccompProgram: Uint8Array;
  /** The front end's pid (the command dies with it). */
  parentPid: number;
}

const SOCK_FILTER_BYTES = 8;
const MAX_BPF_INSNS = 4096;
const MAX_RULES = 4096;
/** PATH_MAX, terminating NUL included. */
const MAX_PATH_BYTES = 4095;
/** The rights of ABI 1-7 (LANDLOCK_ACCESS_FS_* bits 0-15, NET bits 0-1, SCOPE bits 0-1). */
const KNOWN_FS = 0xffff;
const KNOWN_NET = 0x3;
const KNOWN_SCOPED = 0x3;

function checkMask(name: string, value: number, known: number): void {
  if (!Number.isInteger(value) || value < 0 || (value & ~known) !== 0 || value > known) {
    throw new WireError(`landlock helper spec: ${name} 0x${value.toString(16)} has bits no Landlock ABI defines`);
  }
}

function checkSpec(spec: LandlockHelperSpec): void {
  if (!Number.isInteger(spec.abi) || spec.abi < 1) throw new WireError(`landlock helper spec: abi ${spec.abi} is not 1 or more`);
  checkMask('handled_access_fs', spec.handledAccessFs, KNOWN_FS);
  checkMask('handled_access_net', spec.handledAccessNet, KNOWN_NET);
  checkMask('scoped', spec.scoped, KNOWN_SCOPED);
  if (spec.handledAccessFs === 0) throw new WireError('landlock helper spec: handled_access_fs is empty (the ruleset would confine no file access)');
  if (spec.pathRules.length > MAX_RULES) throw new WireError(`landlock helper spec: ${spec.pathRules.length} path rules (at most ${MAX_RULES})`);
  spec.pathRules.forEach((rule, i) => {
    if (!rule.path.startsWith('/') || rule.path.includes('\0') || Buffer.byteLength(rule.path) > MAX_PATH_BYTES) {
      throw new WireError(`landlock helper spec: rule ${i} path ${JSON.stringify(rule.path)} must be absolute, without NUL, at most ${MAX_PATH_BYTES} bytes`);
    }
    checkMask(`rule ${i} allowed_access`, rule.allowedAccess, KNOWN_FS);
    if (rule.allowedAccess === 0 || (rule.allowedAccess & ~spec.handledAccessFs) !== 0) {
      throw new WireError(`landlock helper spec: rule ${i} (${rule.path}) grants rights the ruleset does not handle, or none`);
    }
  });
  const len = spec.seccompProgram.length;
  if (len === 0 || len % SOCK_FILTER_BYTES !== 0 || len / SOCK_FILTER_BYTES > MAX_BPF_INSNS) {
    throw new WireError(`landlock helper spec: the seccomp program has ${len} bytes (required: 1-${MAX_BPF_INSNS} instructions of ${SOCK_FILTER_BYTES} bytes)`);
  }
  if (!Number.isInteger(spec.parentPid) || spec.parentPid < 1) throw new WireError(`landlock helper spec: parent pid ${spec.parentPid} is not a process id`);
}

export function encodeLandlockHelperSpec(spec: LandlockHelperSpec): Uint8Array {
  checkSpec(spec);
  return pb.LandlockHelperSpec.encode({
    abi: spec.abi,
    handledAccessFs: spec.handledAccessFs,
    handledAccessNet: spec.handledAccessNet,
    scoped: spec.scoped,
    pathRules: spec.pathRules.map((r) => ({ path: r.path, allowedAccess: r.allowedAccess })),
    seccompProgram: Buffer.from(spec.seccompProgram),
    parentPid: spec.parentPid,
  }).finish();
}

export function decodeLandlockHelperSpec(bytes: Uint8Array): LandlockHelperSpec {
  let m: pb.LandlockHelperSpec;
  try {
    m = pb.LandlockHelperSpec.decode(bytes);
  } catch (error) {
    throw new WireError(`landlock helper spec: not a LandlockHelperSpec message: ${(error as Error).message}`);
  }
  const spec: LandlockHelperSpec = {
    abi: m.abi,
    handledAccessFs: m.handledAccessFs,
    handledAccessNet: m.handledAccessNet,
    scoped: m.scoped,
    pathRules: m.pathRules.map((r) => ({ path: r.path, allowedAccess: r.allowedAccess })),
    seccompProgram: m.seccompProgram,
    parentPid: m.parentPid,
  };
  checkSpec(spec);
  return spec;
}
