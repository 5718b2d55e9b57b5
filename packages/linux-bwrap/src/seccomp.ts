// The seccomp filter handed to bwrap with `--seccomp FD`: a classic BPF program (struct
// sock_filter, 8 bytes each, little-endian) generated here for x86_64 and aarch64. This module owns
// the syscall tables and the program layout; it must NOT install filters or touch file descriptors
// (the runner writes the bytes to a pipe or memfd for bwrap).

import { SeccompError } from './errors.js';

/**
 * `base`: every sandboxed run (full network): io_uring and cross-process memory access denied.
 * `restricted`: network isolated: additionally no sockets except AF_UNIX.
 * `proxy-routed`: only AF_INET/AF_INET6 sockets (to reach the in-namespace proxy bridge), socketpair
 * only for AF_UNIX.
 */
export type SeccompMode = 'base' | 'restricted' | 'proxy-routed';
export const SECCOMP_MODES: readonly SeccompMode[] = ['base', 'restricted', 'proxy-routed'];

/** Node's `process.arch` spellings of the architectures we have syscall tables for. */
export type SeccompArch = 'x64' | 'arm64';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const EPERM = 1;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 ABI syscalls on x86_64 carry this bit in their number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Offsets in struct seccomp_data: nr (s32), arch (u32), instruction_pointer (u64), args[6] (u64). */
export const SECCOMP_DATA_NR_OFFSET = 0;
export const SECCOMP_DATA_ARCH_OFFSET = 4;
/** Low 32 bits of args[0] on a little-endian machine. */
export const SECCOMP_DATA_ARG0_LOW_OFFSET = 16;

export const BPF_LD_W_ABS = 0x20;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_RET_K = 0x06;
export const SOCK_FILTER_SIZE = 8;

export type FilteredSyscall =
  | 'io_uring_setup'
  | 'io_uring_enter'
  | 'io_uring_register'
  | 'ptrace'
  | 'process_vm_readv'
  | 'process_vm_writev'
  | 'socket'
  | 'socketpair'
  | 'connect'
  | 'accept'
  | 'accept4'
  | 'bind'
  | 'listen'
  | 'sendto'
  | 'sendmmsg'
  | 'recvmmsg';

/** Syscall numbers, checked against asm/unistd_64.h and asm-generic/unistd.h by a test. */
export const SYSCALL_NUMBERS: Readonly<Record<SeccompArch, Readonly<Record<FilteredSyscall, number>>>> = {
  x64: {
    socket: 41,
    connect: 42,
    accept: 43,
    sendto: 44,
    bind: 49,
    listen: 50,
    socketpair: 53,
    ptrace: 101,
    accept4: 288,
    recvmmsg: 299,
    sendmmsg: 307,
    process_vm_readv: 310,
    process_vm_writev: 311,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
  },
  arm64: {
    ptrace: 117,
    socket: 198,
    socketpair: 199,
    bind: 200,
    listen: 201,
    accept: 202,
    connect: 203,
    sendto: 206,
    accept4: 242,
    recvmmsg: 243,
    sendmmsg: 269,
    process_vm_readv: 270,
    process_vm_writev: 271,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
  },
};

const AUDIT_ARCH: Readonly<Record<SeccompArch, number>> = { x64: AUDIT_ARCH_X86_64, arm64: AUDIT_ARCH_AARCH64 };

const ALWAYS_DENIED: readonly FilteredSyscall[] = [
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
];

/**
 * Syscalls that open network reachability: addressing a peer, accepting one, or sending to an
 * address. The reference also denies getsockname, getpeername, getsockopt, setsockopt and
 * shutdown; we allow those because they only inspect or close sockets the command already holds,
 * and denying them breaks every program whose stdio is a socketpair (libuv, so Node and anything
 * driven from Node with piped stdio: Node inside then fails to start or loses its output).
 */
const NETWORK_DENIED: readonly FilteredSyscall[] = [
  'connect',
  'accept',
  'accept4',
  'bind',
  'listen',
  'sendto',
  'sendmmsg',
  'recvmmsg',
];

/** A syscall allowed only when the low 32 bits of arg0 (the socket domain) is one of `domains`. */
interface DomainRule {
  syscall: FilteredSyscall;
  domains: readonly number[];
}

interface FilterRules {
  denied: readonly FilteredSyscall[];
  domainRules: readonly DomainRule[];
}

/** What each mode denies; exported so tests and docs can state it without re-deriving it. */
export function seccompRules(mode: SeccompMode): FilterRules {
  switch (mode) {
    case 'base':
      return { denied: ALWAYS_DENIED, domainRules: [] };
    case 'restricted':
      return {
        denied: [...ALWAYS_DENIED, ...NETWORK_DENIED],
        domainRules: [
          { syscall: 'socket', domains: [AF_UNIX] },
          { syscall: 'socketpair', domains: [AF_UNIX] },
        ],
      };
    case 'proxy-routed':
      return {
        denied: ALWAYS_DENIED,
        domainRules: [
          { syscall: 'socket', domains: [AF_INET, AF_INET6] },
          { syscall: 'socketpair', domains: [AF_UNIX] },
        ],
      };
    default:
      throw new SeccompError(`unknown seccomp mode ${String(mode)}; allowed: ${SECCOMP_MODES.join(', ')}`);
  }
}

export function isSeccompArch(arch: string): arch is SeccompArch {
  return arch === 'x64' || arch === 'arm64';
}

/** One BPF instruction before jump targets are resolved to relative offsets. */
type Insn =
  | { op: 'load'; offset: number }
  | { op: 'ret'; value: number }
  | { op: 'jeq' | 'jge'; k: number; jt: Target; jf: Target };
/** `next` falls through; a label jumps forward to a shared return. */
type Target = 'next' | 'deny' | 'allow' | { skip: number };

/**
 * Layout: check arch (foreign arch kills the process), load nr, [x86_64: x32 numbers -> EPERM],
 * one compare per denied syscall, one block per domain rule, then ALLOW; the shared DENY and
 * ALLOW returns sit at the end so every jump is forward and short.
 */
export function buildSeccompProgram(mode: SeccompMode, arch: string): Buffer {
  if (!isSeccompArch(arch)) {
    throw new SeccompError(
      `no seccomp filter is available for CPU architecture ${arch}; supported: x64 (x86_64), arm64 (aarch64)`,
    );
  }
  const rules = seccompRules(mode);
  const numbers = SYSCALL_NUMBERS[arch];
  const body: Insn[] = [
    { op: 'load', offset: SECCOMP_DATA_ARCH_OFFSET },
    { op: 'jeq', k: AUDIT_ARCH[arch], jt: { skip: 1 }, jf: 'next' },
    { op: 'ret', value: SECCOMP_RET_KILL_PROCESS },
    { op: 'load', offset: SECCOMP_DATA_NR_OFFSET },
  ];
  if (arch === 'x64') body.push({ op: 'jge', k: X32_SYSCALL_BIT, jt: 'deny', jf: 'next' });
  for (const name of rules.denied) body.push({ op: 'jeq', k: numbers[name], jt: 'deny', jf: 'next' });
  for (const rule of rules.domainRules) {
    // Block: nr == syscall ? (load arg0; domain in list ? ALLOW : DENY) : skip the block.
    const blockLength = 1 + rule.domains.length + 1;
    body.push({ op: 'jeq', k: numbers[rule.syscall], jt: 'next', jf: { skip: blockLength } });
    body.push({ op: 'load', offset: SECCOMP_DATA_ARG0_LOW_OFFSET });
    for (const domain of rule.domains) body.push({ op: 'jeq', k: domain, jt: 'allow', jf: 'next' });
    body.push({ op: 'ret', value: SECCOMP_RET_ERRNO | EPERM });
  }
  body.push({ op: 'ret', value: SECCOMP_RET_ALLOW });
  const denyIndex = body.length;
  body.push({ op: 'ret', value: SECCOMP_RET_ERRNO | EPERM });
  const allowIndex = body.length;
  body.push({ op: 'ret', value: SECCOMP_RET_ALLOW });

  const out = Buffer.alloc(body.length * SOCK_FILTER_SIZE);
  body.forEach((insn, index) => {
    const at = index * SOCK_FILTER_SIZE;
    const offsetTo = (target: Target): number => {
      if (target === 'next') return 0;
      const destination =
        target === 'deny' ? denyIndex : target === 'allow' ? allowIndex : index + 1 + target.skip;
      const jump = destination - index - 1;
      if (jump < 0 || jump > 255) throw new SeccompError(`seccomp jump out of range at instruction ${index}`);
      return jump;
    };
    switch (insn.op) {
      case 'load':
        writeInsn(out, at, BPF_LD_W_ABS, 0, 0, insn.offset);
        break;
      case 'ret':
        writeInsn(out, at, BPF_RET_K, 0, 0, insn.value);
        break;
      case 'jeq':
      case 'jge':
        writeInsn(out, at, insn.op === 'jeq' ? BPF_JMP_JEQ_K : BPF_JMP_JGE_K, offsetTo(insn.jt), offsetTo(insn.jf), insn.k);
        break;
    }
  });
  return out;
}

function writeInsn(out: Buffer, at: number, code: number, jt: number, jf: number, k: number): void {
  out.writeUInt16LE(code, at);
  out.writeUInt8(jt, at + 2);
  out.writeUInt8(jf, at + 3);
  out.writeUInt32LE(k >>> 0, at + 4);
}
