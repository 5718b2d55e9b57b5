// Owns the `codex [-c k=v] sandbox ...` entry point: parse, build the sandbox, print the dry run or run
// the command, and map every outcome to an exit status. Must NOT contain policy or backend logic.
import { parseCommandLine } from './cli-args.js';
import { createDiagnosticSink } from './diagnostics.js';
import { formatBlockedRequests } from './blocked-report.js';
import { reportError } from './report-error.js';

export interface CliIo {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Path of this executable, for locating the bundled bwrap next to it. */
  frontEndPath: string;
}

const CLI_PROGRAM_NAME = 'codex sandbox';

/** Printed after a usage error, like common CLIs do. */
const USAGE_HINT = "Try 'codex sandbox --help' for more information.";

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const sink = createDiagnosticSink(CLI_PROGRAM_NAME, io.writeErr);
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'print') {
      io.writeOut(parsed.text);
      return 0;
    }
    const { args } = parsed;
    // Loaded only now: help, version and usage errors never pay for config, policy and backend code.
    const { createSandbox } = await import('./sandbox.js');
    const sandbox = createSandbox({
      ...(args.permissionProfile !== undefined ? { permissionProfile: args.permissionProfile } : {}),
      ...(args.profile !== undefined ? { profile: args.profile } : {}),
      ...(args.cd !== undefined ? { cwd: args.cd } : {}),
      configOverrides: args.configOverrides,
      env: io.env,
      frontEndPath: io.frontEndPath,
      onWarning: (message) => sink.warn(message),
      ...(args.allowUnixSockets.length > 0 ? { allowUnixSockets: args.allowUnixSockets } : {}),
      ...(args.logDenials ? { logDenials: true } : {}),
    });
    if (args.dryRun) {
      // A command that would not start is explained, and the status is the one the run would have.
      const dry = await sandbox.dryRun(args.command, args.os !== undefined ? { os: args.os } : {});
      io.writeOut(args.json ? `${JSON.stringify(dry.json, null, 2)}\n` : dry.text);
      return dry.exitCode;
    }
    try {
      const result = await sandbox.run(args.command);
      if (result.denialReport !== undefined) io.writeErr(result.denialReport);
      const blocked = formatBlockedRequests(result.blockedRequests ?? []);
      if (blocked !== '') io.writeErr(blocked);
      if (result.networkFailure !== undefined) io.writeErr(`codex sandbox: network: ${result.networkFailure}\n`);
      return result.exitCode;
    } finally {
      // The managed proxy (if any) goes with the run: its sockets and their directory are removed.
      await sandbox.close();
    }
  } catch (error) {
    return reportError(error, { sink, env: io.env, usageHint: USAGE_HINT, writeErr: io.writeErr });
  }
}
