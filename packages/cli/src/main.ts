// Owns process start: restore the environment the sh launcher stashed, pick the entry point from
// arg0 (before any CLI parsing), run it, and exit with its status. Everything else loads lazily so
// `--version` and the helper path pay only for what they use. Must NOT hold CLI or sandbox logic.
import { selectEntryPoint } from './arg0.js';
import { restoreLauncherEnvironment } from './launcher-env.js';

// The stream is looked up on first write: creating process.stdout/stderr loads net and stream
// (several ms), which a run that prints nothing should not pay.
function writeTo(stream: () => NodeJS.WriteStream): (text: string) => void {
  return (text) => {
    stream().write(text);
  };
}

async function main(): Promise<number> {
  const env = process.env;
  const launcher = restoreLauncherEnvironment(env);
  const frontEndPath = process.argv[1] ?? '';
  const argv = process.argv.slice(2);
  if (selectEntryPoint(launcher.arg0 ?? frontEndPath) === 'linux-sandbox-helper') {
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
