// Owns the Win32 functions the runner calls, bound through the FFI library koffi (loaded on first
// use, only on Windows). Handles are passed as integers (uintptr_t) and structures as byte buffers
// laid out by win32-structs.ts, so marshalling is explicit. Must NOT decide anything: every call
// reports failure with GetLastError and the runner decides what to do.
import { WindowsRunError } from './errors.js';

/** The part of koffi this module uses. */
interface Koffi {
  load(path: string): { func(signature: string): KoffiFunction };
  alloc(type: string, length: number): unknown;
  free(pointer: unknown): void;
  address(pointer: unknown): bigint;
  view(pointer: unknown, length: number): ArrayBuffer;
}
interface KoffiFunction {
  (...args: unknown[]): unknown;
  async(...args: unknown[]): void;
}

export interface Win32 {
  GetCurrentProcess(): bigint;
  GetLastError(): number;
  CloseHandle(handle: bigint): boolean;
  GetStdHandle(which: number): bigint;
  SetHandleInformation(handle: bigint, mask: number, flags: number): boolean;
  CreateFileW(path: string, access: number, share: number, attributes: Buffer, disposition: number, flags: number): bigint;
  CreateJobObjectW(): bigint;
  SetInformationJobObject(job: bigint, infoClass: number, info: Buffer): boolean;
  AssignProcessToJobObject(job: bigint, process: bigint): boolean;
  ResumeThread(thread: bigint): number;
  TerminateProcess(process: bigint, code: number): boolean;
  /** Waits on a worker thread (the event loop keeps running); WAIT_OBJECT_0 (0) or WAIT_TIMEOUT (0x102). */
  waitForProcess(process: bigint, timeoutMs?: number): Promise<number>;
  GetExitCodeProcess(process: bigint): number | undefined;
  CreateProcessAsUserW(token: bigint, application: string, commandLine: string, inherit: boolean, flags: number, environment: Buffer, cwd: string, startup: Buffer, info: Buffer): boolean;
  OpenProcessToken(process: bigint, access: number): bigint | undefined;
  /** GetTokenInformation into a fresh buffer; `base` is the buffer's address (pointers inside refer to it). */
  tokenInformation(token: bigint, infoClass: number): { buffer: Buffer; base: bigint } | undefined;
  CreateRestrictedToken(token: bigint, flags: number, restrictingSids: readonly Buffer[]): bigint | undefined;
  SetTokenDefaultDacl(token: bigint, acl: Buffer): boolean;
  LookupPrivilegeValueW(name: string): Buffer | undefined;
  AdjustTokenPrivileges(token: bigint, privileges: Buffer): boolean;
  IsTokenRestricted(token: bigint): boolean;
  /** The DACL (bytes; undefined for a NULL DACL) and whether it is protected, or a Win32 error code. */
  readDacl(path: string): { dacl: Buffer | undefined; protectedDacl: boolean } | { error: number };
  /** SetNamedSecurityInfoW with the DACL; returns the Win32 error code (0: success). */
  writeDacl(path: string, dacl: Buffer, protectedDacl: boolean): number;
}

const SE_FILE_OBJECT = 1;
const DACL_SECURITY_INFORMATION = 0x4;
const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const UNPROTECTED_DACL_SECURITY_INFORMATION = 0x20000000;
const SE_DACL_PROTECTED = 0x1000;
const TOKEN_DEFAULT_DACL_CLASS = 6;
const INFINITE = 0xffffffff;

let bound: Win32 | undefined;

function requireKoffi(): Koffi {
  if (typeof require !== 'function') throw new WindowsRunError('no require() is available in this build to load koffi with');
  const loaded = require('koffi') as Koffi | { default: Koffi };
  return 'default' in loaded ? loaded.default : loaded;
}

const big = (value: unknown): bigint => (typeof value === 'bigint' ? value : BigInt(value as number));

/** Binds the functions once. Throws WindowsRunError when koffi or a DLL cannot be loaded. */
export function loadWin32(): Win32 {
  if (bound !== undefined) return bound;
  let koffi: Koffi;
  try {
    koffi = requireKoffi();
  } catch (error) {
    throw new WindowsRunError(`the FFI library koffi cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const k = (s: string): KoffiFunction => kernel32.func(s);
  const a = (s: string): KoffiFunction => advapi32.func(s);
  const f = {
    GetCurrentProcess: k('uintptr_t __stdcall GetCurrentProcess()'),
    GetLastError: k('uint32_t __stdcall GetLastError()'),
    CloseHandle: k('int __stdcall CloseHandle(uintptr_t h)'),
    GetStdHandle: k('uintptr_t __stdcall GetStdHandle(uint32_t which)'),
    SetHandleInformation: k('int __stdcall SetHandleInformation(uintptr_t h, uint32_t mask, uint32_t flags)'),
    CreateFileW: k('uintptr_t __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, uintptr_t tmpl)'),
    CreateJobObjectW: k('uintptr_t __stdcall CreateJobObjectW(void *sa, const char16_t *name)'),
    SetInformationJobObject: k('int __stdcall SetInformationJobObject(uintptr_t job, int cls, void *info, uint32_t len)'),
    AssignProcessToJobObject: k('int __stdcall AssignProcessToJobObject(uintptr_t job, uintptr_t process)'),
    ResumeThread: k('uint32_t __stdcall ResumeThread(uintptr_t thread)'),
    TerminateProcess: k('int __stdcall TerminateProcess(uintptr_t process, uint32_t code)'),
    WaitForSingleObject: k('uint32_t __stdcall WaitForSingleObject(uintptr_t h, uint32_t ms)'),
    GetExitCodeProcess: k('int __stdcall GetExitCodeProcess(uintptr_t process, _Out_ uint32_t *code)'),
    LocalFree: k('uintptr_t __stdcall LocalFree(void *mem)'),
    CreateProcessAsUserW: a(
      'int __stdcall CreateProcessAsUserW(uintptr_t token, const char16_t *app, void *cmd, void *psa, void *tsa, int inherit, uint32_t flags, void *env, const char16_t *cwd, void *si, void *pi)',
    ),
    OpenProcessToken: a('int __stdcall OpenProcessToken(uintptr_t process, uint32_t access, _Out_ uintptr_t *token)'),
    GetTokenInformation: a('int __stdcall GetTokenInformation(uintptr_t token, int cls, void *info, uint32_t len, _Out_ uint32_t *needed)'),
    CreateRestrictedToken: a(
      'int __stdcall CreateRestrictedToken(uintptr_t token, uint32_t flags, uint32_t ndisable, void *disable, uint32_t ndelete, void *del, uint32_t nrestrict, void *restrict, _Out_ uintptr_t *out)',
    ),
    SetTokenInformation: a('int __stdcall SetTokenInformation(uintptr_t token, int cls, void *info, uint32_t len)'),
    LookupPrivilegeValueW: a('int __stdcall LookupPrivilegeValueW(const char16_t *system, const char16_t *name, void *luid)'),
    AdjustTokenPrivileges: a('int __stdcall AdjustTokenPrivileges(uintptr_t token, int disableAll, void *state, uint32_t len, void *prev, void *retLen)'),
    IsTokenRestricted: a('int __stdcall IsTokenRestricted(uintptr_t token)'),
    GetNamedSecurityInfoW: a(
      'uint32_t __stdcall GetNamedSecurityInfoW(const char16_t *name, int type, uint32_t info, void *owner, void *group, _Out_ void **dacl, void *sacl, _Out_ void **sd)',
    ),
    GetSecurityDescriptorControl: a('int __stdcall GetSecurityDescriptorControl(void *sd, _Out_ uint16_t *control, _Out_ uint32_t *revision)'),
    SetNamedSecurityInfoW: a('uint32_t __stdcall SetNamedSecurityInfoW(const char16_t *name, int type, uint32_t info, void *owner, void *group, void *dacl, void *sacl)'),
  };
  const ok = (r: unknown): boolean => r !== 0;
  // Memory Windows fills with pointers into itself: allocated by koffi so its address is known.
  const withMemory = <T>(size: number, use: (pointer: unknown, address: bigint) => T): T => {
    const pointer = koffi.alloc('uint8_t', size);
    try {
      return use(pointer, koffi.address(pointer));
    } finally {
      koffi.free(pointer);
    }
  };
  bound = {
    GetCurrentProcess: () => big(f.GetCurrentProcess()),
    GetLastError: () => f.GetLastError() as number,
    CloseHandle: (h) => ok(f.CloseHandle(h)),
    GetStdHandle: (which) => big(f.GetStdHandle(which >>> 0)),
    SetHandleInformation: (h, mask, flags) => ok(f.SetHandleInformation(h, mask, flags)),
    CreateFileW: (path, access, share, sa, disposition, flags) => big(f.CreateFileW(path, access, share, sa, disposition, flags, 0)),
    CreateJobObjectW: () => big(f.CreateJobObjectW(null, null)),
    SetInformationJobObject: (job, cls, info) => ok(f.SetInformationJobObject(job, cls, info, info.length)),
    AssignProcessToJobObject: (job, p) => ok(f.AssignProcessToJobObject(job, p)),
    ResumeThread: (t) => f.ResumeThread(t) as number,
    TerminateProcess: (p, code) => ok(f.TerminateProcess(p, code)),
    waitForProcess: (p, timeoutMs) =>
      new Promise((resolve, reject) => {
        f.WaitForSingleObject.async(p, timeoutMs ?? INFINITE, (error: unknown, result: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result as number)));
      }),
    GetExitCodeProcess: (p) => {
      const code = [0];
      return ok(f.GetExitCodeProcess(p, code)) ? (code[0] as number) : undefined;
    },
    CreateProcessAsUserW: (token, app, cmd, inherit, flags, env, cwd, si, pi) =>
      ok(f.CreateProcessAsUserW(token, app, Buffer.from(`${cmd}\0`, 'utf16le'), null, null, inherit ? 1 : 0, flags, env, cwd, si, pi)),
    OpenProcessToken: (p, access) => {
      const out = [0];
      return ok(f.OpenProcessToken(p, access, out)) ? big(out[0]) : undefined;
    },
    tokenInformation: (token, cls) => {
      const needed = [0];
      f.GetTokenInformation(token, cls, null, 0, needed);
      const size = needed[0] as number;
      if (size === 0) return undefined;
      return withMemory(size, (pointer, base) => {
        if (!ok(f.GetTokenInformation(token, cls, pointer, size, [0]))) return undefined;
        return { buffer: Buffer.from(koffi.view(pointer, size).slice(0)), base };
      });
    },
    CreateRestrictedToken: (token, flags, sids) => {
      // SID_AND_ATTRIBUTES[]: a pointer and a DWORD (padded to 16 bytes), each SID in the same block.
      const size = 16 * sids.length + sids.reduce((n, s) => n + s.length, 0);
      return withMemory(Math.max(size, 1), (pointer, base) => {
        const block = Buffer.alloc(size);
        let offset = 16 * sids.length;
        sids.forEach((sid, i) => {
          block.writeBigUInt64LE(base + BigInt(offset), 16 * i);
          sid.copy(block, offset);
          offset += sid.length;
        });
        Buffer.from(koffi.view(pointer, size)).set(block);
        const out = [0];
        return ok(f.CreateRestrictedToken(token, flags, 0, null, 0, null, sids.length, pointer, out)) ? big(out[0]) : undefined;
      });
    },
    SetTokenDefaultDacl: (token, acl) =>
      // TOKEN_DEFAULT_DACL: one pointer to the ACL, which lives in the same block.
      withMemory(8 + acl.length, (pointer, base) => {
        const block = Buffer.alloc(8 + acl.length);
        block.writeBigUInt64LE(base + 8n, 0);
        acl.copy(block, 8);
        Buffer.from(koffi.view(pointer, block.length)).set(block);
        return ok(f.SetTokenInformation(token, TOKEN_DEFAULT_DACL_CLASS, pointer, 8));
      }),
    LookupPrivilegeValueW: (name) => {
      const luid = Buffer.alloc(8);
      return ok(f.LookupPrivilegeValueW(null, name, luid)) ? luid : undefined;
    },
    AdjustTokenPrivileges: (token, privileges) => ok(f.AdjustTokenPrivileges(token, 0, privileges, privileges.length, null, null)),
    IsTokenRestricted: (token) => ok(f.IsTokenRestricted(token)),
    readDacl: (path) => {
      const dacl: unknown[] = [null];
      const sd: unknown[] = [null];
      const error = f.GetNamedSecurityInfoW(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, null, null, dacl, null, sd) as number;
      if (error !== 0) return { error };
      try {
        const control = [0];
        if (!ok(f.GetSecurityDescriptorControl(sd[0], control, [0]))) return { error: f.GetLastError() as number };
        const protectedDacl = ((control[0] as number) & SE_DACL_PROTECTED) !== 0;
        if (dacl[0] === null) return { dacl: undefined, protectedDacl };
        const size = Buffer.from(koffi.view(dacl[0], 8)).readUInt16LE(2);
        return { dacl: Buffer.from(koffi.view(dacl[0], size).slice(0)), protectedDacl };
      } finally {
        f.LocalFree(sd[0]);
      }
    },
    writeDacl: (path, dacl, protectedDacl) =>
      f.SetNamedSecurityInfoW(
        path,
        SE_FILE_OBJECT,
        (DACL_SECURITY_INFORMATION | (protectedDacl ? PROTECTED_DACL_SECURITY_INFORMATION : UNPROTECTED_DACL_SECURITY_INFORMATION)) >>> 0,
        null,
        null,
        dacl,
        null,
      ) as number,
  };
  return bound;
}
