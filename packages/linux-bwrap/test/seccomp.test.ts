// Table tests of the generated seccomp program, run through a small classic-BPF interpreter that
// lives only here (the product never interprets its own filter).
import * as fs from 'node:fs';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_X86_64,
  EPERM,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_USER_NOTIF,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  METADATA_SYSCALL_NUMBERS,
  SYSCALL_NUMBERS,
  TIOCLINUX,
  TIOCSTI,
  buildSeccompProgram,
  seccompRules,
  type SeccompArch,
  type SeccompMode,
  type UnixSocketFilter,
} from '../src/seccomp.js';
import { SeccompError } from '../src/errors.js';

interface SeccompData {
  arch: number;
  nr: number;
  arg0: bigint;
  arg1?: bigint;
}

/** Executes a classic BPF program over a seccomp_data record; supports the opcodes seccomp allows us to emit. */
function runBpf(program: Buffer, data: SeccompData): number {
  const record = Buffer.alloc(64);
  record.writeInt32LE(data.nr | 0, 0);
  record.writeUInt32LE(data.arch >>> 0, 4);
  record.writeBigUInt64LE(BigInt.asUintN(64, data.arg0), 16);
  record.writeBigUInt64LE(BigInt.asUintN(64, data.arg1 ?? 0n), 24);
  expect(program.length % 8).toBe(0);
  const count = program.length / 8;
  let a = 0;
  let pc = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    if (pc >= count) throw new Error(`fell off the end of the program at ${pc}`);
    const at = pc * 8;
    const code = program.readUInt16LE(at);
    const jt = program.readUInt8(at + 2);
    const jf = program.readUInt8(at + 3);
    const k = program.readUInt32LE(at + 4);
    switch (code) {
      case 0x20: // BPF_LD | BPF_W | BPF_ABS
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`bad load offset ${k}`);
        a = record.readUInt32LE(k);
        pc += 1;
        break;
      case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
        pc += 1 + (a === k ? jt : jf);
        break;
      case 0x35: // BPF_JMP | BPF_JGE | BPF_K
        pc += 1 + (a >= k ? jt : jf);
        break;
      case 0x54: // BPF_ALU | BPF_AND | BPF_K
        a = (a & k) >>> 0;
        pc += 1;
        break;
      case 0x05: // BPF_JMP | BPF_JA
        pc += 1 + k;
        break;
      case 0x06: // BPF_RET | BPF_K
        return k;
      default:
        throw new Error(`unsupported opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('program did not terminate');
}

const DENY = (SECCOMP_RET_ERRNO | EPERM) >>> 0;
const ALLOW = SECCOMP_RET_ALLOW;
const KILL = SECCOMP_RET_KILL_PROCESS;
const AUDIT: Record<SeccompArch, number> = { x64: AUDIT_ARCH_X86_64, arm64: AUDIT_ARCH_AARCH64 };
const ARCHES: SeccompArch[] = ['x64', 'arm64'];
const MODES: SeccompMode[] = ['base', 'restricted', 'proxy-routed'];
// Syscalls that no mode filters, per arch: read/write/openat/execve/recvfrom/clone.
const UNFILTERED: Record<SeccompArch, number[]> = { x64: [0, 1, 257, 59, 45, 56], arm64: [63, 64, 56, 221, 207, 220] };
/**
 * Inspecting or closing a socket already held (getsockname, getpeername, getsockopt, setsockopt,
 * shutdown) is allowed in every mode: programs with socketpair stdio (libuv, Node) need them.
 */
const SOCKET_INSPECTION: Record<SeccompArch, number[]> = { x64: [51, 52, 55, 54, 48], arm64: [204, 205, 209, 208, 210] };
const AF_NETLINK = 16;
const AF_PACKET = 17;
const AF_VSOCK = 40;

type Row = [SeccompMode, string, bigint, number] | [SeccompMode, string, bigint, number, bigint];
/** (mode, syscall, arg0, [arg1]) -> expected action, arch-independent. */
const TABLE: Row[] = [];
const SOCK_NONBLOCK_CLOEXEC = 0o4000n | 0o2000000n;
const SOCK_RAW = 3n;
for (const mode of MODES) {
  for (const name of [
    'io_uring_setup',
    'io_uring_enter',
    'io_uring_register',
    'ptrace',
    'process_vm_readv',
    'process_vm_writev',
    'add_key',
    'request_key',
    'keyctl',
  ]) {
    TABLE.push([mode, name, 0n, DENY]);
  }
  const networkVerdict = mode === 'restricted' ? DENY : ALLOW;
  for (const name of ['connect', 'accept', 'accept4', 'bind', 'listen', 'sendto', 'sendmmsg', 'recvmmsg']) {
    TABLE.push([mode, name, 3n, networkVerdict]);
  }
}
TABLE.push(
  ['base', 'socket', BigInt(AF_INET), ALLOW],
  ['base', 'socket', BigInt(AF_UNIX), ALLOW],
  ['base', 'socket', BigInt(AF_VSOCK), ALLOW],
  ['base', 'socketpair', BigInt(AF_UNIX), ALLOW],
  ['restricted', 'socket', BigInt(AF_UNIX), DENY],
  ['restricted', 'socket', BigInt(AF_INET), DENY],
  ['restricted', 'socket', BigInt(AF_INET6), DENY],
  ['restricted', 'socket', BigInt(AF_NETLINK), DENY],
  ['restricted', 'socket', BigInt(AF_PACKET), DENY],
  ['restricted', 'socket', BigInt(AF_VSOCK), DENY],
  // Only the low 32 bits are the domain (an int); high garbage must not change the verdict.
  ['restricted', 'socketpair', (0xdeadn << 32n) | BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM)],
  ['restricted', 'socketpair', (1n << 32n) | BigInt(AF_INET), DENY, BigInt(SOCK_STREAM)],
  ['restricted', 'socketpair', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM)],
  ['restricted', 'socketpair', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM) | SOCK_NONBLOCK_CLOEXEC],
  ['restricted', 'socketpair', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_SEQPACKET)],
  ['restricted', 'socketpair', BigInt(AF_UNIX), ALLOW, (0xffn << 32n) | BigInt(SOCK_SEQPACKET)],
  // A datagram socket of a pair can still sendmsg to any visible socket path.
  ['restricted', 'socketpair', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM)],
  ['restricted', 'socketpair', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM) | SOCK_NONBLOCK_CLOEXEC],
  ['restricted', 'socketpair', BigInt(AF_UNIX), DENY, SOCK_RAW],
  ['restricted', 'socketpair', BigInt(AF_INET), DENY, BigInt(SOCK_STREAM)],
  ['proxy-routed', 'socket', BigInt(AF_INET), ALLOW],
  ['proxy-routed', 'socket', BigInt(AF_INET6), ALLOW],
  ['proxy-routed', 'socket', BigInt(AF_UNIX), DENY],
  ['proxy-routed', 'socket', BigInt(AF_NETLINK), DENY],
  ['proxy-routed', 'socketpair', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM)],
  ['proxy-routed', 'socketpair', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_SEQPACKET) | SOCK_NONBLOCK_CLOEXEC],
  ['proxy-routed', 'socketpair', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM)],
  ['proxy-routed', 'socketpair', BigInt(AF_INET), DENY, BigInt(SOCK_STREAM)],
);

describe.each(ARCHES)('seccomp program for %s', (arch) => {
  it.each(TABLE)('%s: %s(arg0=%s) -> %s (arg1=%s)', (mode, name, arg0, expected, arg1 = 0n) => {
    const nr = (SYSCALL_NUMBERS[arch] as Record<string, number>)[name];
    expect(nr).toBeDefined();
    const program = buildSeccompProgram(mode, arch);
    expect(runBpf(program, { arch: AUDIT[arch], nr: nr as number, arg0, arg1 }) >>> 0).toBe(expected >>> 0);
  });

  it.each(MODES)('%s: ordinary syscalls are allowed', (mode) => {
    const program = buildSeccompProgram(mode, arch);
    for (const nr of UNFILTERED[arch]) {
      expect(runBpf(program, { arch: AUDIT[arch], nr, arg0: 0n })).toBe(ALLOW);
    }
  });

  it.each(MODES)('%s: inspecting or closing held sockets is allowed', (mode) => {
    const program = buildSeccompProgram(mode, arch);
    for (const nr of SOCKET_INSPECTION[arch]) {
      expect(runBpf(program, { arch: AUDIT[arch], nr, arg0: 3n })).toBe(ALLOW);
    }
  });

  it.each(MODES)('%s: a foreign architecture kills the process', (mode) => {
    const program = buildSeccompProgram(mode, arch);
    const foreign = [AUDIT[arch === 'x64' ? 'arm64' : 'x64'], 0x40000003 /* i386 */, 0];
    for (const other of foreign) {
      expect(runBpf(program, { arch: other, nr: 0, arg0: 0n }) >>> 0).toBe(KILL);
    }
  });

  it('covers every syscall in the table', () => {
    expect(Object.keys(SYSCALL_NUMBERS[arch]).sort()).toEqual(
      [...new Set([...MODES.flatMap((m) => [...seccompRules(m).denied, ...seccompRules(m).domainRules.map((r) => r.syscall)]), 'ioctl'])].sort(),
    );
  });
});

const NOTIFY = SECCOMP_RET_USER_NOTIF;
type UnixRow = [UnixSocketFilter, string, bigint, number, bigint];
/** proxy-routed with Unix-socket rules (N16, N17): (filter, syscall, arg0, arg1) -> action. */
const UNIX_TABLE: UnixRow[] = [
  ['supervised', 'socket', BigInt(AF_INET), ALLOW, BigInt(SOCK_STREAM)],
  ['supervised', 'socket', BigInt(AF_INET6), ALLOW, BigInt(SOCK_DGRAM)],
  ['supervised', 'socket', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM)],
  ['supervised', 'socket', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM) | SOCK_NONBLOCK_CLOEXEC],
  ['supervised', 'socket', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_SEQPACKET)],
  // An addressed sendmsg on a datagram socket could not be supervised.
  ['supervised', 'socket', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM)],
  ['supervised', 'socket', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM) | SOCK_NONBLOCK_CLOEXEC],
  ['supervised', 'socket', BigInt(AF_UNIX), DENY, SOCK_RAW],
  ['supervised', 'socket', BigInt(AF_NETLINK), DENY, BigInt(SOCK_DGRAM)],
  ['supervised', 'socketpair', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM)],
  ['supervised', 'socketpair', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM)],
  // Every connect, whatever the descriptor: the filter cannot see its family.
  ['supervised', 'connect', 3n, NOTIFY, 0n],
  ['supervised', 'connect', 0n, NOTIFY, 0n],
  ['supervised', 'sendto', 3n, ALLOW, 0n],
  ['supervised', 'bind', 3n, ALLOW, 0n],
  ['supervised', 'ptrace', 0n, DENY, 0n],
  ['all', 'socket', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_DGRAM)],
  ['all', 'socket', BigInt(AF_UNIX), ALLOW, BigInt(SOCK_STREAM)],
  ['all', 'socket', BigInt(AF_INET), ALLOW, BigInt(SOCK_STREAM)],
  ['all', 'socket', BigInt(AF_NETLINK), DENY, BigInt(SOCK_DGRAM)],
  ['all', 'socket', BigInt(AF_VSOCK), DENY, BigInt(SOCK_STREAM)],
  ['all', 'connect', 3n, ALLOW, 0n],
  ['all', 'socketpair', BigInt(AF_UNIX), DENY, BigInt(SOCK_DGRAM)],
];

describe.each(ARCHES)('proxy-routed Unix-socket rules for %s', (arch) => {
  it.each(UNIX_TABLE)('%s: %s(arg0=%s) -> %s (arg1=%s)', (filter, name, arg0, expected, arg1) => {
    const nr = (SYSCALL_NUMBERS[arch] as Record<string, number>)[name] as number;
    const program = buildSeccompProgram('proxy-routed', arch, { unixSockets: filter });
    expect(runBpf(program, { arch: AUDIT[arch], nr, arg0, arg1 }) >>> 0).toBe(expected >>> 0);
  });

  it('only proxy-routed has Unix-socket rules', () => {
    expect(() => buildSeccompProgram('restricted', arch, { unixSockets: 'supervised' })).toThrow(SeccompError);
    expect(() => buildSeccompProgram('base', arch, { unixSockets: 'all' })).toThrow('exist only for the proxy-routed seccomp mode');
  });

  it('without them proxy-routed never notifies', () => {
    const program = buildSeccompProgram('proxy-routed', arch);
    for (let at = 0; at < program.length; at += 8) expect(program.readUInt32LE(at + 4) === NOTIFY && program.readUInt16LE(at) === 0x06).toBe(false);
  });
});

it('x86_64 denies the x32 ABI with EPERM', () => {
  for (const mode of MODES) {
    const program = buildSeccompProgram(mode, 'x64');
    for (const nr of [0x40000000, 0x40000000 + 41, 0x40000000 + 59, 0x7fffffff]) {
      expect(runBpf(program, { arch: AUDIT_ARCH_X86_64, nr, arg0: BigInt(AF_UNIX) }) >>> 0).toBe(DENY);
    }
  }
});

it('aarch64 has no x32 cut-off: high numbers are simply unknown syscalls and allowed', () => {
  const program = buildSeccompProgram('base', 'arm64');
  expect(runBpf(program, { arch: AUDIT_ARCH_AARCH64, nr: 0x40000000, arg0: 0n })).toBe(ALLOW);
});

it.each(['ia32', 'arm', 'riscv64', 'ppc64', 's390x', 'loong64', ''])('refuses architecture %p', (arch) => {
  expect(() => buildSeccompProgram('restricted', arch)).toThrow(SeccompError);
  expect(() => buildSeccompProgram('restricted', arch)).toThrow(/supported: x64 \(x86_64\), arm64 \(aarch64\)/);
});

it('refuses an unknown mode', () => {
  expect(() => buildSeccompProgram('none' as SeccompMode, 'x64')).toThrow(SeccompError);
});

describe('syscall numbers match the kernel headers', () => {
  const headers: Array<[SeccompArch, string]> = [
    ['x64', '/usr/include/x86_64-linux-gnu/asm/unistd_64.h'],
    ['arm64', '/usr/include/asm-generic/unistd.h'],
  ];
  const present = headers.filter(([, file]) => fs.existsSync(file));
  // Headers are a development-machine convenience; when none is installed the table is covered above.
  (present.length > 0 ? it.each(present) : it.skip.each(headers))('%s against %s', (arch, file) => {
    const text = fs.readFileSync(file, 'utf8');
    for (const [name, nr] of Object.entries(SYSCALL_NUMBERS[arch])) {
      const match = new RegExp(`^#define __NR_${name}\\s+(\\d+)\\s*$`, 'm').exec(text);
      expect([name, match?.[1]]).toEqual([name, String(nr)]);
    }
    for (const [name, nr] of Object.entries(METADATA_SYSCALL_NUMBERS[arch])) {
      const match = new RegExp(`^#define __NR_${name}\\s+(\\d+)\\s*$`, 'm').exec(text);
      // Newer than these headers: fchmodat2, setxattrat, removexattrat (unified numbers).
      if (match === null && ['fchmodat2', 'setxattrat', 'removexattrat'].includes(name)) continue;
      expect([name, match?.[1]]).toEqual([name, String(nr)]);
    }
  });
});

describe.each<SeccompArch>(['x64', 'arm64'])('terminal injection (%s)', (arch) => {
  const archValue = arch === 'x64' ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
  const ioctl = SYSCALL_NUMBERS[arch].ioctl;
  const TCGETS = 0x5401n;

  it.each(MODES)('%s with denyTerminalInjection refuses TIOCSTI and TIOCLINUX and allows other ioctls', (mode) => {
    const program = buildSeccompProgram(mode, arch, { denyTerminalInjection: true });
    expect(runBpf(program, { arch: archValue, nr: ioctl, arg0: 0n, arg1: BigInt(TIOCSTI) }) >>> 0).toBe(DENY);
    expect(runBpf(program, { arch: archValue, nr: ioctl, arg0: 0n, arg1: BigInt(TIOCLINUX) }) >>> 0).toBe(DENY);
    expect(runBpf(program, { arch: archValue, nr: ioctl, arg0: 0n, arg1: TCGETS }) >>> 0).toBe(SECCOMP_RET_ALLOW);
    // The rest of the mode is unchanged.
    for (const name of seccompRules(mode).denied) {
      expect(runBpf(program, { arch: archValue, nr: SYSCALL_NUMBERS[arch][name], arg0: 0n }) >>> 0).toBe(DENY);
    }
  });

  it.each(MODES)('%s without the option leaves ioctl alone (bwrap gives the command a session and /dev of its own)', (mode) => {
    const program = buildSeccompProgram(mode, arch);
    expect(runBpf(program, { arch: archValue, nr: ioctl, arg0: 0n, arg1: BigInt(TIOCSTI) }) >>> 0).toBe(SECCOMP_RET_ALLOW);
  });
});

describe.each<SeccompArch>(['x64', 'arm64'])('metadata changes (%s)', (arch) => {
  const archValue = arch === 'x64' ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;

  it.each(MODES)('%s with denyMetadataChanges refuses every chmod, chown, utime and xattr change', (mode) => {
    const program = buildSeccompProgram(mode, arch, { denyMetadataChanges: true });
    for (const nr of Object.values(METADATA_SYSCALL_NUMBERS[arch])) {
      expect(runBpf(program, { arch: archValue, nr, arg0: 0n }) >>> 0).toBe(DENY);
    }
    // Reading metadata stays allowed (newfstatat / fstat).
    const stat = arch === 'x64' ? 262 : 79;
    expect(runBpf(program, { arch: archValue, nr: stat, arg0: 0n }) >>> 0).toBe(SECCOMP_RET_ALLOW);
  });

  it('without the option they are allowed (bwrap mounts decide)', () => {
    const program = buildSeccompProgram('restricted', arch);
    expect(runBpf(program, { arch: archValue, nr: METADATA_SYSCALL_NUMBERS[arch]['fchmodat'] ?? -1, arg0: 0n }) >>> 0).toBe(SECCOMP_RET_ALLOW);
  });
});
