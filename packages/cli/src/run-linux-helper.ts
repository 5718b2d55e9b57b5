// Owns the `codex-linux-sandbox` entry point (arg0 dispatch C8, L6): parse the helper flags,
// parse the profile JSON with the policy package, and run the command through the Linux backend with
// the caller's environment and cwd passed through unchanged. CODEX_HOME (from the environment) is
// kept read-only like in every sandbox. Must NOT read config files.
import * as os from 'node:os';
import * as path from 'node:path';
import { PolicyError, defaultCodexHome, permissionProfileFromJson, resolveSandboxPolicy } from '@codex-sandbox/policy';
import { createDiagnosticSink } from './diagnostics.js';
import { LINUX_HELPER_USAGE, parseLinuxHelperArgs } from './linux-helper-args.js';
import { registerUserFacingErrors, reportError } from './report-error.js';
import { resolveCommand } from './command-resolution.js';
import { openLinuxBackend } from './linux-backend.js';
import { BackendNotImplementedError, CliError, UnsupportedPlatformError } from './errors.js';
import { selectBackend } from './backend.js';
import { frontEndStatePaths } from './front-end-state.js';

registerUserFacingErrors(PolicyError);

const HELPER_PROGRAM_NAME = 'codex-linux-sandbox';

export interface HelperIo {
  writeErr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  frontEndPath: string;
}

export async function runLinuxHelper(argv: readonly string[], io: HelperIo): Promise<number> {
  const sink = createDiagnosticSink(HELPER_PROGRAM_NAME, io.writeErr);
  try {
    const selection = selectBackend(process.platform);
    if (selection.kind === 'unsupported') throw new UnsupportedPlatformError(selection.os);
    if (selection.kind === 'not-implemented') throw new BackendNotImplementedError(selection.displayName, selection.os);
    if (selection.id !== 'linux-bwrap') throw new CliError(`${HELPER_PROGRAM_NAME} runs only on Linux; use \`codex sandbox\` on this OS`);
    const args = parseLinuxHelperArgs(argv);
    const profile = permissionProfileFromJson(args.permissionProfileJson);
    const policyCwd = path.resolve(io.cwd, args.sandboxPolicyCwd);
    const commandCwd = path.resolve(io.cwd, args.commandCwd ?? '.');
    const policy = resolveSandboxPolicy(profile, { cwd: policyCwd, workspaceRoots: [policyCwd], env: io.env });
    resolveCommand(args.command[0] as string, { searchPath: io.env['PATH'], cwd: commandCwd });
    const givenHome = io.env['HOME'];
    const homeDir = givenHome !== undefined && path.isAbsolute(givenHome) ? givenHome : os.homedir();
    const backend = openLinuxBackend({
      env: io.env,
      frontEndPath: io.frontEndPath,
      onWarning: (message) => sink.warn(message),
      protectedPaths: frontEndStatePaths(defaultCodexHome(io.env, homeDir), undefined, io.cwd),
      backend: args.legacyLandlock ? 'landlock' : 'bwrap',
    });
    const result = await backend.run({
      policy,
      command: args.command,
      cwd: commandCwd,
      env: io.env,
      stdio: 'inherit',
      // --no-proc: no fresh /proc at all (an empty tmpfs), whatever the host would allow.
      ...(args.mountProc ? {} : { mountProc: false }),
    });
    return result.exitCode;
  } catch (error) {
    return reportError(error, { sink, env: io.env, usageHint: LINUX_HELPER_USAGE, writeErr: io.writeErr });
  }
}
