// Owns process start: refuse a command line or environment that is not UTF-8 (Node would already
// have altered it), close descriptors inherited without close-on-exec (the command must get stdio
// and nothing else; this process owns its descriptor table), restore the environment the sh
// launcher stashed, pick the entry point from arg0 (before any CLI parsing), run it, and exit with
// its status. Everything else loads lazily so `--version` and the helper path pay only for what they
// use. Must NOT hold CLI or sandbox logic.
import { selectEntryPoint } from './arg0.js';
import { restoreLauncherEnvironment } from './launcher-env.js';

// The stream is looked up on first write: creating process.stdout/stderr loads net and stream
// (several ms), which a run that prints nothing should not pay.
function writeTo(stream: () => NodeJS.WriteStream): (text: string) => void {
  return (text) => {
    stream().write(text);
  };
}

/** Checks raw input and closes inherited descriptors; prints and returns an exit status on refusal. */
async function startHygiene(programName: string): Promise<number | undefined> {
  const { checkProcessInput } = await import('./raw-input.js');
  const { CliError } = await import('./errors.js');
  try {
    checkProcessInput(process.argv.length - 1);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`${programName}: ${error.message}\n`);
    return error.exitCode;
  }
  const { closeInheritedDescriptors } = await import('@codex-sandbox/linux-bwrap');
  // This process is ours and loads no native code: what it opens from here on is close-on-exec.
  closeInheritedDescriptors({ ownsProcess: true });
  return undefined;
}

async function main(): Promise<number> {
  const env = process.env;
  const launcher = restoreLauncherEnvironment(env);
  const frontEndPath = process.argv[1] ?? '';
  const argv = process.argv.slice(2);
  const helper = selectEntryPoint(launcher.arg0 ?? frontEndPath) === 'linux-sandbox-helper';
  const refused = await startHygiene(helper ? 'codex-linux-sandbox' : 'codex sandbox');
  if (refused !== undefined) return refused;
  if (helper) {
    const { runLinuxHelper } = await import('./run-linux-helper.js');
    return runLinuxHelper(argv, { writeErr: writeTo(() => process.stderr), env, cwd: process.cwd(), frontEndPath });
  }
  const { runCli } = await import('./run-cli.js');
  return runCli(argv, { writeOut: writeTo(() => process.stdout), writeErr: writeTo(() => process.stderr), env, frontEndPath });
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`codex sandbox: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
