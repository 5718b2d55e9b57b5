// A consumer of codex-sandbox's libraries: checks a profile name with @codex-sandbox/policy, then
// runs commands under it with @codex-sandbox/cli's in-process API, printing what happened.
//   node consumer.cjs WORKSPACE
import { createSandbox } from '@codex-sandbox/cli';
import { PolicyError } from '@codex-sandbox/policy';

async function main(): Promise<number> {
  const workspace = process.argv[2];
  if (workspace === undefined) throw new Error('usage: consumer WORKSPACE');
  const sandbox = createSandbox({ permissionProfile: ':read-only', cwd: workspace, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  try {
    const read = await sandbox.run(['sh', '-c', 'cat input.txt'], { stdio: 'pipe' });
    process.stdout.write(`read: ${read.exitCode} ${read.stdout?.toString().trim()}\n`);
    const write = await sandbox.run(['sh', '-c', 'echo x > output.txt'], { stdio: 'pipe' });
    process.stdout.write(`write: ${write.exitCode === 0 ? 'allowed' : 'denied'}\n`);
    const network = await sandbox.run(['sh', '-c', 'echo "$CODEX_SANDBOX_NETWORK_DISABLED"'], { stdio: 'pipe' });
    process.stdout.write(`network disabled: ${network.stdout?.toString().trim()}\n`);
  } finally {
    await sandbox.close();
  }
  try {
    createSandbox({ permissionProfile: ':no-such-profile', cwd: workspace });
    process.stdout.write('bad profile: accepted\n');
  } catch (error) {
    process.stdout.write(`bad profile: ${error instanceof PolicyError ? 'PolicyError' : (error as Error).constructor.name}\n`);
  }
  return 0;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`consumer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
