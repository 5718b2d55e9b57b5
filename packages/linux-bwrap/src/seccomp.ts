// The seccomp filter handed to bwrap with `--seccomp FD`: a classic BPF program (struct
// sock_filter, 8 bytes each, little-endian) generated here for x86_64 and aarch64. This module owns
// the syscall tables and the program layout; it must NOT install filters or touch file descriptors
// (run-launch.ts hands the bytes to bwrap through an unnamed descriptor, see descriptors.ts).

import { SeccompError } from './errors.js';

/**
 * `base`: every sandboxed run (full network): io_uring, cross-process memory access and the kernel
 * keyrings denied.
 * `restricted`: network isolated: additionally no new sockets at all, only connected AF_UNIX
 * stream/seqpacket pairs (socketpair).
 * `proxy-routed`: only AF_INET/AF_INET6 sockets (to reach the in-namespace proxy bridge), socketpair
 * only for AF_UNIX stream/seqpacket.
 */
export type SeccompMode = 'base' | 'restricted' | 'proxy-routed';
const SECCOMP_MODES: readonly SeccompMode[] = ['base', 'restricted', 'proxy-routed'];

/** Node's `process.arch` spellings of the architectures we have syscall tables for. */
export type SeccompArch = 'x64' | 'arm64';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_SEQPACKET = 5;
/** socket(2)/socketpair(2) `type` carries SOCK_NONBLOCK / SOCK_CLOEXEC above these bits. */
const SOCK_TYPE_MASK = 0xf;
export const EPERM = 1;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** The kernel asks the filter's listener (the supervisor in codex-netns-helper); no listener: ENOSYS. */
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 ABI syscalls on x86_64 carry this bit in their number. */
const X32_SYSCALL_BIT = 0x40000000;

/** Offsets in struct seccomp_data: nr (s32), arch (u32), instruction_pointer (u64), args[6] (u64). */
const SECCOMP_DATA_NR_OFFSET = 0;
const SECCOMP_DATA_ARCH_OFFSET = 4;
/** Low 32 bits of args[0] on a little-endian machine. */
const SECCOMP_DATA_ARG0_LOW_OFFSET = 16;
/** Low 32 bits of args[1]. */
const SECCOMP_DATA_ARG1_LOW_OFFSET = 24;

const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGE_K = 0x35;
const BPF_RET_K = 0x06;
const BPF_ALU_AND_K = 0x54;
const SOCK_FILTER_SIZE = 8;

export type FilteredSyscall =
  | 'io_uring_setup'
  | 'io_uring_enter'
  | 'io_uring_register'
  | 'ptrace'
  | 'process_vm_readv'
  | 'process_vm_writev'
  | 'add_key'
  | 'request_key'
  | 'keyctl'
  | 'socket'
  | 'socketpair'
  | 'connect'
  | 'accept'
  | 'accept4'
  | 'bind'
  | 'listen'
  | 'sendto'
  | 'sendmmsg'
  | 'recvmmsg'
  | 'ioctl';

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
    add_key: 248,
    request_key: 249,
    keyctl: 250,
    sendmmsg: 307,
    ioctl: 16,
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
    add_key: 217,
    request_key: 218,
    keyctl: 219,
    accept4: 242,
    recvmmsg: 243,
    sendmmsg: 269,
    ioctl: 29,
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
  // The session and user keyrings belong to the host: a command must neither read the payload of
  // a key it finds there nor plant one for later host processes.
  'add_key',
  'request_key',
  'keyctl',
];

/**
 * Syscalls that open network reachability: addressing a peer, accepting one, or sending to an
 * address. Upstream Codex also denies getsockname, getpeername, getsockopt, setsockopt and
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

/** One socket domain a DomainRule lets through, optionally only for some socket types (arg1). */
interface AllowedDomain {
  domain: number;
  /** Socket types (flags masked off); absent: every type. */
  types?: readonly number[];
}

/**
 * A syscall allowed only when the low 32 bits of arg0 (the socket domain) is one of `allow`'s
 * domains and, when that entry lists types, the socket type in arg1 (flags masked off) is one of them.
 */
interface DomainRule {
  syscall: FilteredSyscall;
  allow: readonly AllowedDomain[];
}

/**
 * Connected AF_UNIX pairs that cannot address anyone else. A datagram socket, even one of a pair,
 * can `sendmsg` to any socket path it can see (journald, syslog), which seccomp cannot inspect
 * (the address sits behind a pointer); stream and seqpacket sockets refuse an address.
 */
const UNIX_STREAM_TYPES: readonly number[] = [SOCK_STREAM, SOCK_SEQPACKET];
const UNIX_PAIR_RULE: DomainRule = { syscall: 'socketpair', allow: [{ domain: AF_UNIX, types: UNIX_STREAM_TYPES }] };

interface FilterRules {
  denied: readonly FilteredSyscall[];
  domainRules: readonly DomainRule[];
  /** Syscalls handed to the filter's listener (SECCOMP_RET_USER_NOTIF). */
  notified: readonly FilteredSyscall[];
}

/**
 * Unix sockets in `proxy-routed` mode (N15-N17). Absent: no new AF_UNIX socket at all (N13).
 * `supervised`: stream and seqpacket AF_UNIX sockets may be created, and every connect(2) goes to
 * the listener (codex-netns-helper's supervisor), which connects only to the allowlisted sockets;
 * datagram AF_UNIX sockets stay refused (an addressed sendmsg cannot be supervised).
 * `all`: `dangerously_allow_all_unix_sockets`, any AF_UNIX socket (N17).
 */
export type UnixSocketFilter = 'supervised' | 'all';

/** What each mode denies; exported so tests and docs can state it without re-deriving it. */
export function seccompRules(mode: SeccompMode, unixSockets?: UnixSocketFilter): FilterRules {
  if (unixSockets !== undefined && mode !== 'proxy-routed') {
    throw new SeccompError(`Unix-socket rules (${unixSockets}) exist only for the proxy-routed seccomp mode, not ${mode}`);
  }
  switch (mode) {
    case 'base':
      return { denied: ALWAYS_DENIED, domainRules: [], notified: [] };
    case 'restricted':
      // No socket(2) at all: with connect, bind, listen and sendto denied, an AF_UNIX socket could
      // only still reach the host through sendmsg to a visible datagram socket path.
      return {
        denied: [...ALWAYS_DENIED, ...NETWORK_DENIED, 'socket'],
        domainRules: [UNIX_PAIR_RULE],
        notified: [],
      };
    case 'proxy-routed': {
      const ip: AllowedDomain[] = [{ domain: AF_INET }, { domain: AF_INET6 }];
      const unix: AllowedDomain[] =
        unixSockets === 'all' ? [{ domain: AF_UNIX }] : unixSockets === 'supervised' ? [{ domain: AF_UNIX, types: UNIX_STREAM_TYPES }] : [];
      return {
        denied: ALWAYS_DENIED,
        domainRules: [{ syscall: 'socket', allow: [...ip, ...unix] }, UNIX_PAIR_RULE],
        // Every connect, IP ones too: the filter cannot see a descriptor's family, and the
        // supervisor connects the command's own socket itself (N16).
        notified: unixSockets === 'supervised' ? ['connect'] : [],
      };
    }
    default:
      throw new SeccompError(`unknown seccomp mode ${String(mode)}; allowed: ${SECCOMP_MODES.join(', ')}`);
  }
}

function isSeccompArch(arch: string): arch is SeccompArch {
  return arch === 'x64' || arch === 'arm64';
}

/** One BPF instruction before jump targets are resolved to relative offsets. */
type Insn =
  | { op: 'load'; offset: number }
  | { op: 'and'; k: number }
  | { op: 'ret'; value: number }
  | { op: 'jeq' | 'jge'; k: number; jt: Target; jf: Target };
/** `next` falls through; a label jumps forward to a shared return. */
type Target = 'next' | 'deny' | 'allow' | 'notify' | { skip: number };

/** ioctl requests that push input into a terminal (asm-generic/ioctls.h, the same on both arches). */
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;

/**
 * Syscalls that change a file's mode, owner, timestamps or extended attributes, per architecture
 * (arm64 has only the *at and f* forms). Landlock does not confine these, so a Landlock run whose
 * policy writes nothing refuses them all (`denyMetadataChanges`). fchmodat2 (Linux 6.6) and
 * setxattrat/removexattrat (6.13) use the unified numbers, the same on both architectures, and are
 * newer than the headers the table is checked against.
 */
export const METADATA_SYSCALL_NUMBERS: Readonly<Record<SeccompArch, Readonly<Record<string, number>>>> = {
  x64: {
    chmod: 90, fchmod: 91, chown: 92, fchown: 93, lchown: 94, utime: 132,
    setxattr: 188, lsetxattr: 189, fsetxattr: 190, removexattr: 197, lremovexattr: 198, fremovexattr: 199,
    utimes: 235, fchownat: 260, futimesat: 261, fchmodat: 268, utimensat: 280,
    fchmodat2: 452, setxattrat: 463, removexattrat: 466,
  },
  arm64: {
    setxattr: 5, lsetxattr: 6, fsetxattr: 7, removexattr: 14, lremovexattr: 15, fremovexattr: 16,
    fchmod: 52, fchmodat: 53, fchownat: 54, fchown: 55, utimensat: 88,
    fchmodat2: 452, setxattrat: 463, removexattrat: 466,
  },
};

export interface SeccompOptions {
  /**
   * Also refuse every change of a file's mode, owner, timestamps or extended attributes: for
   * Landlock runs under a policy that lets the command write nothing (Landlock leaves these
   * unconfined; bwrap's read-only mounts refuse them).
   */
  denyMetadataChanges?: boolean;
  /**
   * Also refuse ioctl(TIOCSTI) and ioctl(TIOCLINUX): for commands that share the host's terminals
   * (the Landlock backend has no private /dev and no new session of bwrap's), so that one cannot
   * type commands into the user's shell.
   */
  denyTerminalInjection?: boolean;
  /** `proxy-routed` only: which Unix sockets the command may create and how its connects are decided. */
  unixSockets?: UnixSocketFilter;
}

/**
 * Layout: check arch (foreign arch kills the process), load nr, [x86_64: x32 numbers -> EPERM],
 * one compare per denied syscall, one block per domain rule, then ALLOW; the shared DENY and
 * ALLOW returns sit at the end so every jump is forward and short.
 */
export function buildSeccompProgram(mode: SeccompMode, arch: string, options: SeccompOptions = {}): Buffer {
  if (!isSeccompArch(arch)) {
    throw new SeccompError(
      `no seccomp filter is available for CPU architecture ${arch}; supported: x64 (x86_64), arm64 (aarch64)`,
    );
  }
  const rules = seccompRules(mode, options.unixSockets);
  const numbers = SYSCALL_NUMBERS[arch];
  const body: Insn[] = [
    { op: 'load', offset: SECCOMP_DATA_ARCH_OFFSET },
    { op: 'jeq', k: AUDIT_ARCH[arch], jt: { skip: 1 }, jf: 'next' },
    { op: 'ret', value: SECCOMP_RET_KILL_PROCESS },
    { op: 'load', offset: SECCOMP_DATA_NR_OFFSET },
  ];
  if (arch === 'x64') body.push({ op: 'jge', k: X32_SYSCALL_BIT, jt: 'deny', jf: 'next' });
  for (const name of rules.denied) body.push({ op: 'jeq', k: numbers[name], jt: 'deny', jf: 'next' });
  for (const name of rules.notified) body.push({ op: 'jeq', k: numbers[name], jt: 'notify', jf: 'next' });
  if (options.denyMetadataChanges === true) {
    for (const nr of Object.values(METADATA_SYSCALL_NUMBERS[arch])) body.push({ op: 'jeq', k: nr, jt: 'deny', jf: 'next' });
  }
  for (const rule of rules.domainRules) body.push(...domainBlock(rule, numbers[rule.syscall]));
  if (options.denyTerminalInjection === true) {
    // Block: nr == ioctl ? (load arg1; request is TIOCSTI or TIOCLINUX ? DENY : ALLOW) : ALLOW.
    body.push({ op: 'jeq', k: numbers.ioctl, jt: 'next', jf: 'allow' });
    body.push({ op: 'load', offset: SECCOMP_DATA_ARG1_LOW_OFFSET });
    body.push({ op: 'jeq', k: TIOCSTI, jt: 'deny', jf: 'next' });
    body.push({ op: 'jeq', k: TIOCLINUX, jt: 'deny', jf: 'next' });
  }
  body.push({ op: 'ret', value: SECCOMP_RET_ALLOW });
  const denyIndex = body.length;
  body.push({ op: 'ret', value: SECCOMP_RET_ERRNO | EPERM });
  const allowIndex = body.length;
  body.push({ op: 'ret', value: SECCOMP_RET_ALLOW });
  const notifyIndex = body.length;
  if (rules.notified.length > 0) body.push({ op: 'ret', value: SECCOMP_RET_USER_NOTIF });

  const out = Buffer.alloc(body.length * SOCK_FILTER_SIZE);
  body.forEach((insn, index) => {
    const at = index * SOCK_FILTER_SIZE;
    const offsetTo = (target: Target): number => {
      if (target === 'next') return 0;
      const destination =
        target === 'deny' ? denyIndex : target === 'allow' ? allowIndex : target === 'notify' ? notifyIndex : index + 1 + target.skip;
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
      case 'and':
        writeInsn(out, at, BPF_ALU_AND_K, 0, 0, insn.k);
        break;
      case 'jeq':
      case 'jge':
        writeInsn(out, at, insn.op === 'jeq' ? BPF_JMP_JEQ_K : BPF_JMP_JGE_K, offsetTo(insn.jt), offsetTo(insn.jf), insn.k);
        break;
    }
  });
  return out;
}

/**
 * One domain rule: nr == syscall ? (load arg0; domain_i ? [its type check | ALLOW] : ...; DENY) :
 * skip it. A type check: load arg1; mask the flags; type in list ? ALLOW : DENY.
 */
function domainBlock(rule: DomainRule, nr: number): Insn[] {
  const typed = rule.allow.filter((entry) => entry.types !== undefined && entry.types.length > 0);
  const typeBlockLength = (entry: AllowedDomain): number => 2 + (entry.types?.length ?? 0) + 1;
  // Offsets inside the block (after the syscall compare): 0 load, 1..n compares, n+1 DENY, then type checks.
  const n = rule.allow.length;
  const typeStart = new Map<AllowedDomain, number>();
  let at = n + 2;
  for (const entry of typed) {
    typeStart.set(entry, at);
    at += typeBlockLength(entry);
  }
  const blockLength = at;
  const out: Insn[] = [{ op: 'jeq', k: nr, jt: 'next', jf: { skip: blockLength } }, { op: 'load', offset: SECCOMP_DATA_ARG0_LOW_OFFSET }];
  rule.allow.forEach((entry, index) => {
    const start = typeStart.get(entry);
    const onMatch: Target = start === undefined ? 'allow' : { skip: start - (1 + index) - 1 };
    out.push({ op: 'jeq', k: entry.domain, jt: onMatch, jf: 'next' });
  });
  out.push({ op: 'ret', value: SECCOMP_RET_ERRNO | EPERM });
  for (const entry of typed) {
    out.push({ op: 'load', offset: SECCOMP_DATA_ARG1_LOW_OFFSET }, { op: 'and', k: SOCK_TYPE_MASK });
    for (const type of entry.types ?? []) out.push({ op: 'jeq', k: type, jt: 'allow', jf: 'next' });
    out.push({ op: 'ret', value: SECCOMP_RET_ERRNO | EPERM });
  }
  return out;
}

/** One `struct sock_filter`, little-endian, by plain byte stores: Buffer's checked writers were ~40% of a cold build (a one-shot run builds once). */
function writeInsn(out: Buffer, at: number, code: number, jt: number, jf: number, k: number): void {
  out[at] = code & 0xff;
  out[at + 1] = (code >>> 8) & 0xff;
  out[at + 2] = jt;
  out[at + 3] = jf;
  out[at + 4] = k & 0xff;
  out[at + 5] = (k >>> 8) & 0xff;
  out[at + 6] = (k >>> 16) & 0xff;
  out[at + 7] = (k >>> 24) & 0xff;
}
