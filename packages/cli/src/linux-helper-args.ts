// Owns parsing of the `codex-linux-sandbox` helper command line (L6):
//   codex-linux-sandbox --sandbox-policy-cwd P [--command-cwd C] --permission-profile JSON [--no-proc]
//                       [--use-legacy-landlock] -- COMMAND...
// Pure. Flags of the upstream helper that this architecture does not need (its inner stage, proxy
// routing) are rejected by name rather than ignored. Must NOT parse the profile JSON
// (the policy package owns that) or run anything.
import { UsageError } from './errors.js';

export interface LinuxHelperArgs {
  sandboxPolicyCwd: string;
  commandCwd: string | undefined;
  permissionProfileJson: string;
  mountProc: boolean;
  /** `--use-legacy-landlock`: the Landlock backend instead of bubblewrap (LL1). */
  legacyLandlock: boolean;
  command: string[];
}

const VALUE_FLAGS = ['--sandbox-policy-cwd', '--command-cwd', '--permission-profile'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/** Upstream flags we deliberately do not implement, with the reason shown to the caller. */
const REJECTED_FLAGS: Readonly<Record<string, string>> = {
  '--apply-seccomp-then-exec': 'there is no inner helper stage: bubblewrap applies the seccomp filter itself',
  '--allow-network-for-proxy': 'managed network proxy routing is not supported by this helper',
  '--managed-network': 'managed network proxy routing is not supported by this helper',
  '--proxy-route-spec': 'managed network proxy routing is not supported by this helper',
  '--verify-fd-mount': 'there is no inner helper stage to verify descriptor mounts',
  '--inherit-pid-namespace': 'the helper always creates a fresh PID namespace',
};

export const LINUX_HELPER_USAGE =
  'usage: codex-linux-sandbox --sandbox-policy-cwd DIR [--command-cwd DIR] --permission-profile JSON [--no-proc] [--use-legacy-landlock] -- COMMAND [ARGS]...';

function isValueFlag(name: string): name is ValueFlag {
  return (VALUE_FLAGS as readonly string[]).includes(name);
}

export function parseLinuxHelperArgs(argv: readonly string[]): LinuxHelperArgs {
  const values: Partial<Record<ValueFlag, string>> = {};
  let mountProc = true;
  let legacyLandlock = false;
  let index = 0;
  for (; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') {
      index++;
      break;
    }
    if (!arg.startsWith('--')) break; // first positional starts the command
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const rejection = REJECTED_FLAGS[name];
    if (rejection !== undefined) throw new UsageError(`${name} is not supported: ${rejection}`);
    if (name === '--no-proc') {
      if (eq !== -1) throw new UsageError('--no-proc takes no value');
      mountProc = false;
      continue;
    }
    if (name === '--use-legacy-landlock') {
      if (eq !== -1) throw new UsageError('--use-legacy-landlock takes no value');
      legacyLandlock = true;
      continue;
    }
    if (!isValueFlag(name)) {
      throw new UsageError(`unknown option ${name}; allowed: ${[...VALUE_FLAGS, '--no-proc', '--use-legacy-landlock'].join(', ')}`);
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[index + 1];
      index++;
    }
    if (value === undefined) throw new UsageError(`${name} requires a value`);
    if (values[name] !== undefined) throw new UsageError(`${name} given more than once`);
    values[name] = value;
  }
  const command = argv.slice(index);
  const sandboxPolicyCwd = values['--sandbox-policy-cwd'];
  if (sandboxPolicyCwd === undefined) throw new UsageError('--sandbox-policy-cwd is required');
  const permissionProfileJson = values['--permission-profile'];
  if (permissionProfileJson === undefined) {
    throw new UsageError('missing permission profile configuration: --permission-profile JSON is required');
  }
  if (command.length === 0) throw new UsageError('No command specified to execute.');
  return {
    sandboxPolicyCwd,
    commandCwd: values['--command-cwd'],
    permissionProfileJson,
    mountProc,
    legacyLandlock,
    command,
  };
}
