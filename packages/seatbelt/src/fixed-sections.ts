// Owns the fixed parts of every Seatbelt policy, written for this project from the rules M4, M12,
// M3 and M3: the base policy (deny by default; what any process needs to start, fork and use
// a terminal), the network support rules, the preferences rules (full-disk read only) and the
// platform defaults of `:minimal`. Constant text with no user path in it: must NOT take input
// other than the profile kind, and must NOT grant file access to user data.

/** M4: deny everything, then what every process needs. */
export const BASE_POLICY = `(version 1)
; everything not allowed below is denied
(deny default)
; the command may run programs and fork; children keep this policy
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
; writing to /dev/null (the character device only, not a file put in its place)
(allow file-write-data (require-all (literal "/dev/null") (vnode-type CHARACTER-DEVICE)))
; system facts language runtimes ask for (CPU count and features, OS version, load)
(allow sysctl-read
  (sysctl-name "hw.activecpu")
  (sysctl-name "hw.byteorder")
  (sysctl-name "hw.cachelinesize")
  (sysctl-name "hw.cpufamily")
  (sysctl-name "hw.cputype")
  (sysctl-name "hw.cpusubtype")
  (sysctl-name "hw.l1dcachesize")
  (sysctl-name "hw.l1icachesize")
  (sysctl-name "hw.l2cachesize")
  (sysctl-name "hw.l3cachesize")
  (sysctl-name "hw.logicalcpu")
  (sysctl-name "hw.logicalcpu_max")
  (sysctl-name "hw.machine")
  (sysctl-name "hw.memsize")
  (sysctl-name "hw.model")
  (sysctl-name "hw.ncpu")
  (sysctl-name "hw.nperflevels")
  (sysctl-name "hw.packages")
  (sysctl-name "hw.pagesize")
  (sysctl-name "hw.physicalcpu")
  (sysctl-name "hw.physicalcpu_max")
  (sysctl-name "hw.tbfrequency")
  (sysctl-name "hw.vectorunit")
  (sysctl-name-prefix "hw.optional.")
  (sysctl-name-prefix "hw.perflevel")
  (sysctl-name "kern.argmax")
  (sysctl-name "kern.bootargs")
  (sysctl-name "kern.hostname")
  (sysctl-name "kern.maxfilesperproc")
  (sysctl-name "kern.maxproc")
  (sysctl-name "kern.ngroups")
  (sysctl-name "kern.osproductversion")
  (sysctl-name "kern.osrelease")
  (sysctl-name "kern.ostype")
  (sysctl-name "kern.osvariant_status")
  (sysctl-name "kern.osversion")
  (sysctl-name "kern.secure_kernel")
  (sysctl-name "kern.sysv.semmns")
  (sysctl-name "kern.usrstack64")
  (sysctl-name "kern.version")
  (sysctl-name "machdep.cpu.brand_string")
  (sysctl-name "sysctl.proc_cputype")
  (sysctl-name "sysctl.proc_translated")
  (sysctl-name "vm.loadavg")
  (sysctl-name-prefix "kern.proc.pid.")
  (sysctl-name-prefix "net.routetable.")
)
(allow sysctl-write (sysctl-name "kern.grade_cputype"))
(allow iokit-open (iokit-user-client-class "RootDomainUserClient"))
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.PowerManagement.control")
)
; POSIX semaphores, and the shared memory the OpenMP runtime registers itself with
(allow ipc-posix-sem)
(allow ipc-posix-shm-read-data ipc-posix-shm-write-create ipc-posix-shm-write-unlink
  (ipc-posix-name-regex #"^/__KMP_REGISTERED_LIB_[0-9]+$"))
; pseudo terminals: open the multiplexer, use the terminals the sandbox was given
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))
(allow file-read* file-write* (require-all (regex #"^/dev/ttys[0-9]+$") (extension "com.apple.sandbox.pty")))
(allow file-ioctl (regex #"^/dev/ttys[0-9]+$"))`;

/** M12: what name resolution and TLS need once some network is allowed. */
export const NETWORK_SUPPORT = `; network support: routing socket, name resolution and certificate checks
(allow system-socket (require-all (socket-domain AF_SYSTEM) (socket-protocol 2)))
(allow mach-lookup
  (global-name "com.apple.bsd.dirhelper")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.networkd")
  (global-name "com.apple.ocspd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd")
)
(allow sysctl-read (sysctl-name-regex #"^net\\.routetable"))`;

/** M3: reading user preferences, only when the whole disk is readable anyway. */
export const PREFERENCES = `; user preferences (the whole disk is readable)
(allow ipc-posix-shm-read* (ipc-posix-name-prefix "apple.cfprefs."))
(allow mach-lookup
  (global-name "com.apple.cfprefsd.daemon")
  (global-name "com.apple.cfprefsd.agent")
  (local-name "com.apple.cfprefsd.agent")
)
(allow user-preference-read)`;

/** Which of the two profiles (M2): the command's, or the one for Codex's own file helpers. */
export type SeatbeltProfileKind = 'process' | 'file-system-helper';

const PLATFORM_METADATA = `; platform defaults (:minimal): what a program needs to load and run, no user data
(allow file-read-metadata
  (literal "/")
  (literal "/private")
  (literal "/private/var")
  (literal "/private/etc")
  (literal "/System")
  (literal "/System/Volumes")
  (literal "/Library")
  (literal "/Users")
  (literal "/var")
  (literal "/etc")
  (literal "/tmp")
)`;

/** What `:minimal` lets a program read: system binaries, libraries, frameworks, zone and host data. */
const PLATFORM_READS = [
  '(subpath "/bin")',
  '(subpath "/sbin")',
  '(subpath "/usr/bin")',
  '(subpath "/usr/sbin")',
  '(subpath "/usr/lib")',
  '(subpath "/usr/libexec")',
  '(subpath "/usr/share")',
  '(subpath "/System/Library")',
  '(subpath "/System/Cryptexes")',
  '(subpath "/System/Volumes/Preboot/Cryptexes")',
  '(subpath "/Library/Apple")',
  '(subpath "/Library/Preferences/Logging")',
  '(subpath "/private/var/db/dyld")',
  '(subpath "/private/var/db/timezone")',
  '(literal "/private/etc/localtime")',
  '(literal "/private/etc/hosts")',
  '(literal "/private/etc/passwd")',
  '(literal "/private/etc/group")',
  '(literal "/private/etc/protocols")',
  '(literal "/private/etc/services")',
  '(literal "/private/etc/shells")',
  '(subpath "/private/etc/ssl")',
  '(literal "/dev/null")',
  '(literal "/dev/zero")',
  '(literal "/dev/random")',
  '(literal "/dev/urandom")',
  '(literal "/dev/dtracehelper")',
];

/** M2: only the command's profile may read /Applications. */
const APPLICATIONS = '(subpath "/Applications")';

/**
 * M3: the platform defaults. `exclusions` are filter clauses (`(require-not ...)`) for the denied
 * paths: a deny entry inside a system location (say `/usr/share/secrets`) stays denied, because
 * this section comes after the read section and would otherwise re-allow it.
 */
export function platformDefaults(profile: SeatbeltProfileKind, exclusions: readonly string[] = []): string {
  const reads = profile === 'process' ? [...PLATFORM_READS, APPLICATIONS] : PLATFORM_READS;
  const readRule =
    exclusions.length === 0
      ? `(allow file-read*\n  ${reads.join('\n  ')}\n)`
      : `(allow file-read*\n  (require-all\n    (require-any\n      ${reads.join('\n      ')}\n    )\n    ${exclusions.join(' ')}\n  )\n)`;
  return `${PLATFORM_METADATA}\n${readRule}\n(allow file-write-data (literal "/dev/dtracehelper"))`;
}
