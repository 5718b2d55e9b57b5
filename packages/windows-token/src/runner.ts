// Owns executing a restricted-token plan on Windows (W3, W7): cap_sid and the deny-bin shims
// written, ACLs applied (and restored after), the token made, everything read back and compared
// with the plan (any difference refuses the run), then CreateProcessAsUserW with the chosen stdio
// inside a kill-on-close job object, and the command's exit status returned. Must NOT decide policy
// (plan.ts did) and must NOT run a command before the read-back passed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESTRICTED_TOKEN_FLAGS } from './access-masks.js';
import type { AceChange } from './acl-plan.js';
import { aceBytes, buildAcl, mergedAcl, parseAcl } from './acl-bytes.js';
import { writeCapabilitySids } from './cap-sid-file.js';
import { WindowsRunError } from './errors.js';
import { environmentBlock } from './command-line.js';
import type { DenyBinPlan } from './network-environment.js';
import { CHANGE_NOTIFY_PRIVILEGE, type HostIdentity, type WindowsSandboxPlan } from './plan.js';
import { readBackMismatches, type DaclFacts } from './read-back.js';
import { sidToBytes } from './sid-bytes.js';
import { loadWin32, type Win32 } from './win32.js';
import {
  enabledPrivilege,
  inheritableSecurityAttributes,
  killOnCloseLimits,
  PROCESS_INFORMATION_SIZE,
  readProcessInformation,
  readSidAndAttributes,
  requireSixtyFourBit,
  SE_GROUP_LOGON_ID,
  startupInfo,
} from './win32-structs.js';

const TOKEN_ASSIGN_PRIMARY = 0x1;
const TOKEN_DUPLICATE = 0x2;
const TOKEN_QUERY = 0x8;
const TOKEN_ADJUST_PRIVILEGES = 0x20;
const TOKEN_ADJUST_DEFAULT = 0x80;
const TOKEN_USER_CLASS = 1;
const TOKEN_GROUPS_CLASS = 2;
const TOKEN_RESTRICTED_SIDS_CLASS = 11;
const JOB_EXTENDED_LIMIT_CLASS = 9;
const CREATE_SUSPENDED = 0x4;
const CREATE_UNICODE_ENVIRONMENT = 0x400;
const HANDLE_FLAG_INHERIT = 0x1;
const STD_HANDLES = [-10, -11, -12];
const INVALID_HANDLE = 0xffff_ffff_ffff_ffffn;

export interface WindowsRunOptions {
  /** `inherit`: the front end's stdin/stdout/stderr; `ignore`: the NUL device for all three. */
  stdio: 'inherit' | 'ignore';
  /** Where cap_sid is written when the plan added SIDs. */
  codexHome: string;
}

function requireWindowsHost(): Win32 {
  if (process.platform !== 'win32') throw new WindowsRunError(`the restricted-token runner runs only on Windows (this is ${process.platform})`);
  requireSixtyFourBit(process.arch);
  return loadWin32();
}

function fail(w: Win32, what: string): never {
  throw new WindowsRunError(`${what} failed (Win32 error ${w.GetLastError()}); refusing to run unsandboxed`);
}

function openOwnToken(w: Win32, access: number): bigint {
  return w.OpenProcessToken(w.GetCurrentProcess(), access) ?? fail(w, 'OpenProcessToken');
}

/** The caller's user SID and logon SID, read from its own token. */
export function hostIdentity(): HostIdentity {
  const w = requireWindowsHost();
  const token = openOwnToken(w, TOKEN_QUERY);
  try {
    const user = w.tokenInformation(token, TOKEN_USER_CLASS) ?? fail(w, 'GetTokenInformation(TokenUser)');
    const groups = w.tokenInformation(token, TOKEN_GROUPS_CLASS) ?? fail(w, 'GetTokenInformation(TokenGroups)');
    const userSid = readSidAndAttributes(user.buffer, user.base, false)[0]?.sid;
    const logon = readSidAndAttributes(groups.buffer, groups.base, true).find((g) => (g.attributes & SE_GROUP_LOGON_ID) >>> 0 === SE_GROUP_LOGON_ID);
    if (userSid === undefined || logon === undefined) throw new WindowsRunError('this process token has no user or logon SID; refusing to run unsandboxed');
    return { userSid, logonSid: logon.sid };
  } finally {
    w.CloseHandle(token);
  }
}

/** Writes the ssh/scp shims: a link at the directory is refused; each file is replaced atomically. */
function writeDenyBin(plan: DenyBinPlan): void {
  fs.mkdirSync(plan.directory, { recursive: true });
  if (fs.lstatSync(plan.directory).isSymbolicLink()) throw new WindowsRunError(`${plan.directory} is a symbolic link; refusing to write the ssh/scp shims through it`);
  for (const [name, contents] of Object.entries(plan.files)) {
    const target = path.win32.join(plan.directory, name);
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, contents, { flag: 'wx' });
    fs.renameSync(temporary, target);
  }
}

/** Applies the ACEs path by path; pushes each restore onto `undo` as soon as the change is made. */
function applyAces(w: Win32, aces: readonly AceChange[], undo: Array<() => void>): void {
  const byPath = new Map<string, AceChange[]>();
  for (const ace of aces) byPath.set(ace.path, [...(byPath.get(ace.path) ?? []), ace]);
  for (const [target, planned] of byPath) {
    if (planned.some((a) => a.createIfMissing) && !fs.existsSync(target)) {
      fs.mkdirSync(target);
      // Removed after the run only if still empty (rmdir fails otherwise).
      undo.push(() => fs.rmdirSync(target));
    }
    const original = w.readDacl(target);
    if ('error' in original) throw new WindowsRunError(`reading the DACL of ${target} failed (Win32 error ${original.error}); refusing to run unsandboxed`);
    // A NULL DACL already allows everything: an allow is moot there, a deny cannot be kept (read-back refuses).
    if (original.dacl === undefined) continue;
    const merged = mergedAcl(parseAcl(original.dacl), planned.map((a) => ({ type: a.type, sid: a.sid, mask: a.mask, flags: a.inheritance })));
    const error = w.writeDacl(target, merged, original.protectedDacl);
    if (error !== 0) throw new WindowsRunError(`setting the DACL of ${target} failed (Win32 error ${error}); refusing to run unsandboxed`);
    const saved = original.dacl;
    undo.push(() => {
      w.writeDacl(target, saved, original.protectedDacl);
    });
  }
}

/** The planned token; exported for the Wine compatibility check (which cannot pass the read-back). */
export function restrictedToken(w: Win32, plan: WindowsSandboxPlan): bigint {
  const own = openOwnToken(w, TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT | TOKEN_ADJUST_PRIVILEGES);
  try {
    const token = w.CreateRestrictedToken(own, RESTRICTED_TOKEN_FLAGS, plan.token.restrictingSids.map(sidToBytes)) ?? fail(w, 'CreateRestrictedToken');
    const dacl = buildAcl(plan.token.defaultDacl.map((e) => aceBytes({ type: 'allow', sid: e.sid, mask: e.mask, flags: 0 })));
    if (!w.SetTokenDefaultDacl(token, dacl)) {
      w.CloseHandle(token);
      fail(w, 'SetTokenInformation(TokenDefaultDacl)');
    }
    const luid = w.LookupPrivilegeValueW(CHANGE_NOTIFY_PRIVILEGE);
    if (luid === undefined || !w.AdjustTokenPrivileges(token, enabledPrivilege(luid))) {
      w.CloseHandle(token);
      fail(w, `enabling ${CHANGE_NOTIFY_PRIVILEGE}`);
    }
    return token;
  } finally {
    w.CloseHandle(own);
  }
}

function readBack(w: Win32, plan: WindowsSandboxPlan, token: bigint): string[] {
  const restricted = w.tokenInformation(token, TOKEN_RESTRICTED_SIDS_CLASS);
  const restrictingSids = restricted === undefined ? undefined : readSidAndAttributes(restricted.buffer, restricted.base, true).map((g) => g.sid);
  const dacls: DaclFacts[] = [...new Set(plan.aces.map((a) => a.path))].map((target) => {
    const facts = w.readDacl(target);
    if ('error' in facts) return { path: target, aces: undefined };
    if (facts.dacl === undefined) return { path: target, aces: undefined, nullDacl: true };
    return { path: target, aces: parseAcl(facts.dacl).aces };
  });
  return readBackMismatches(plan, { isRestricted: w.IsTokenRestricted(token), restrictingSids }, dacls);
}

function childStdio(w: Win32, stdio: WindowsRunOptions['stdio'], undo: Array<() => void>): bigint[] {
  const nul = (): bigint => {
    const h = w.CreateFileW('NUL', 0xc0000000, 0x3, inheritableSecurityAttributes(), 3, 0);
    if (h === INVALID_HANDLE) fail(w, 'opening NUL');
    undo.push(() => w.CloseHandle(h));
    return h;
  };
  if (stdio === 'ignore') return [nul(), nul(), nul()];
  return STD_HANDLES.map((which) => {
    const h = w.GetStdHandle(which);
    if (h === 0n || h === INVALID_HANDLE) return nul();
    if (!w.SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) fail(w, 'SetHandleInformation');
    return h;
  });
}

/**
 * CreateProcessAsUserW suspended, into a new kill-on-close job, then resumed: nothing the command
 * starts can escape the job, and closing the job (an `undo` step, or this process dying) kills them
 * all. Exported for the Wine compatibility check; runWindowsPlan calls it only after the read-back.
 */
export function startInJob(w: Win32, token: bigint, plan: WindowsSandboxPlan, stdio: WindowsRunOptions['stdio'], undo: Array<() => void>): { process: bigint; job: bigint } {
  const job = w.CreateJobObjectW();
  if (job === 0n) fail(w, 'CreateJobObjectW');
  // Closing the job (also when this process dies) kills every process in it.
  undo.push(() => w.CloseHandle(job));
  if (!w.SetInformationJobObject(job, JOB_EXTENDED_LIMIT_CLASS, killOnCloseLimits())) fail(w, 'SetInformationJobObject(kill on close)');
  const [stdin, stdout, stderr] = childStdio(w, stdio, undo) as [bigint, bigint, bigint];
  const info = Buffer.alloc(PROCESS_INFORMATION_SIZE);
  const started = w.CreateProcessAsUserW(
    token,
    plan.applicationName,
    plan.commandLine,
    true,
    CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT,
    environmentBlock(plan.environment),
    plan.cwd,
    startupInfo(stdin, stdout, stderr),
    info,
  );
  if (!started) fail(w, `CreateProcessAsUserW(${plan.applicationName})`);
  const child = readProcessInformation(info);
  undo.push(() => {
    w.CloseHandle(child.thread);
    w.CloseHandle(child.process);
  });
  // Suspended until it is in the job: nothing it starts can escape the kill-on-close.
  if (!w.AssignProcessToJobObject(job, child.process)) {
    w.TerminateProcess(child.process, 1);
    fail(w, 'AssignProcessToJobObject');
  }
  if (w.ResumeThread(child.thread) === 0xffffffff) {
    w.TerminateProcess(child.process, 1);
    fail(w, 'ResumeThread');
  }
  return { process: child.process, job };
}

/** Runs the plan; resolves with the command's exit status. Throws WindowsRunError before the command starts otherwise. */
export async function runWindowsPlan(plan: WindowsSandboxPlan, options: WindowsRunOptions): Promise<{ exitCode: number }> {
  const w = requireWindowsHost();
  if (plan.capabilityStoreChanged) writeCapabilitySids(options.codexHome, plan.capabilityStore);
  if (plan.denyBin !== undefined) writeDenyBin(plan.denyBin);
  const undo: Array<() => void> = [];
  try {
    applyAces(w, plan.aces, undo);
    const token = restrictedToken(w, plan);
    undo.push(() => w.CloseHandle(token));
    const problems = readBack(w, plan, token);
    if (problems.length > 0) {
      throw new WindowsRunError(`the restricted token or ACLs as Windows reports them differ from the plan (${problems.join('; ')}); refusing to run unsandboxed`);
    }
    const child = startInJob(w, token, plan, options.stdio, undo);
    await w.waitForProcess(child.process);
    const exitCode = w.GetExitCodeProcess(child.process);
    if (exitCode === undefined) fail(w, 'GetExitCodeProcess');
    return { exitCode };
  } finally {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // Restoring continues with the next change; a failed restore must not hide the others.
      }
    }
  }
}
