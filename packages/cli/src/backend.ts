// Owns the choice of sandbox backend from the host OS (there is no OS subcommand: the host decides),
// the OS a dry run renders (`--os`, any host), and the shape every backend shares: a request, the
// planned launch, the run. Pure: maps platform names to backend descriptors. Must NOT load any
// backend module or touch the OS; callers load the backend lazily once they know which one they need.
import type { ChildProcess } from 'node:child_process';
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

export type BackendId = 'linux-bwrap' | 'macos-seatbelt' | 'windows-restricted-token';

/** The OS names of `--os` and of the dry run's JSON. */
export const TARGET_OSES = ['linux', 'macos', 'windows'] as const;
export type TargetOs = (typeof TARGET_OSES)[number];

export type BackendSelection =
  /** The backend exists and can run commands. */
  | { kind: 'available'; id: BackendId; displayName: string; os: TargetOs }
  /** The OS has a planned backend that is not implemented yet: callers must fail closed. */
  | { kind: 'not-implemented'; id: BackendId; displayName: string; os: string }
  /** No backend is planned for this OS. */
  | { kind: 'unsupported'; os: string };

export function selectBackend(platform: NodeJS.Platform | string): BackendSelection {
  switch (platform) {
    case 'linux':
      return { kind: 'available', id: 'linux-bwrap', displayName: 'Linux bubblewrap', os: 'linux' };
    case 'darwin':
      return { kind: 'available', id: 'macos-seatbelt', displayName: 'macOS Seatbelt', os: 'macos' };
    case 'win32':
      return { kind: 'available', id: 'windows-restricted-token', displayName: 'Windows restricted-token', os: 'windows' };
    default:
      return { kind: 'unsupported', os: platform };
  }
}

/** The target OS of a host platform, when it has one. */
export function targetOsOf(platform: NodeJS.Platform | string): TargetOs | undefined {
  if (platform === 'linux') return 'linux';
  if (platform === 'darwin') return 'macos';
  if (platform === 'win32') return 'windows';
  return undefined;
}

/**
 * Whose plan a dry run may render on this host: its own backend's, macOS's from anywhere (the
 * generator is pure and the paths are this host's), Linux's only on Linux (the plan depends on the
 * host's bubblewrap, probed at plan time), Windows's from anywhere (the plan is pure; host facts such
 * as the user's SID are shown as placeholders off Windows).
 */
export type PlanRendering = { kind: 'render'; os: TargetOs } | { kind: 'refuse'; reason: string };

export function planRenderingFor(target: TargetOs, hostPlatform: NodeJS.Platform | string): PlanRendering {
  switch (target) {
    case 'macos':
      return { kind: 'render', os: 'macos' };
    case 'linux':
      return hostPlatform === 'linux'
        ? { kind: 'render', os: 'linux' }
        : { kind: 'refuse', reason: "the Linux plan depends on the host's bubblewrap and can only be rendered on Linux" };
    case 'windows':
      return { kind: 'render', os: 'windows' };
  }
}

export interface BackendRequest {
  policy: ResolvedSandboxPolicy;
  command: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdio?: 'inherit' | 'ignore' | 'pipe';
  /** Called once the process is spawned (reads piped streams). */
  onSpawn?: (child: ChildProcess) => void;
  /** `false`: never mount a fresh /proc (Linux: the helper's `--no-proc`). */
  mountProc?: boolean;
  /** `proxy-only` (with `proxyRoutes`): the managed network proxy is the only way out. */
  network?: 'proxy-only';
  /** `heldOpen`: the session's proxy listens there for the whole run (the bridge need not probe it, N12.1). */
  proxyRoutes?: ReadonlyArray<{ listenPort: number; socketPath: string; heldOpen?: boolean }>;
  /** With `proxy-only`: the Unix sockets the command may connect to (N15-N17); Linux only. */
  unixSockets?: { allowAll: false; allow: readonly string[]; deny: readonly string[] } | { allowAll: true; hiddenDirectories: readonly string[] };
  /** macOS: `--allow-unix-socket` paths (absolute). */
  unixSocketPaths?: readonly string[];
  /** macOS: `--log-denials`. */
  logDenials?: boolean;
}

export interface PlannedLaunch {
  argv: string[];
  /** One line: what runs the command (which bubblewrap, seccomp, /proc; or sandbox-exec), for the dry run. */
  description: string;
  /**
   * The dry run's network row when this backend enforces it differently from the OS's usual
   * wording (Landlock has no network namespace; Windows only poisons the environment), so the
   * dry run never claims more than the run enforces.
   */
  network?: string;
  /** What the deny globs mask in this run (Linux: the scan's real locations). */
  denyGlobMatches: string[];
  /** Empty stand-ins the run creates on the host (missing read-only or denied paths). */
  placeholders: string[];
  /** Backend-specific tables for the dry run (the Landlock ruleset; the Seatbelt parameters and policy). */
  sections?: Array<{ title: string; rows: string[] }>;
  /** Linux proxy-only: what the command may do with Unix sockets (for `--json`). */
  unixSockets?: { mode: 'none' | 'allowlist' | 'all'; allowed: string[]; hidden: string[] };
  /** macOS: the generated policy text and its `-D` parameters (for `--json`). */
  seatbelt?: { policy: string; params: ReadonlyArray<readonly [string, string]> };
}

export interface BackendRunResult {
  exitCode: number;
  /** macOS --log-denials: the `=== Sandbox denials ===` report. */
  denialReport?: string;
}

/** What every backend offers the sandbox object (sandbox.ts). */
export interface SandboxBackend {
  plan(request: BackendRequest): Promise<PlannedLaunch>;
  run(request: BackendRequest): Promise<BackendRunResult>;
  /** The managed proxy's native tunnel relay to execute (verified), where the backend has one (Linux). */
  tunnelRelayFile?(): string;
  dispose(): void;
}
