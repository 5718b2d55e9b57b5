// Test support: the `codex` executable under test. Uses CODEX_CLI_TEST_EXECUTABLE (set by Bazel)
// or builds one with scripts/build-executable.mjs into a temp dir, with the test bwrap placed as
// its bundled `codex-resources/bwrap` and its digest embedded (a release-shaped layout).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PACKAGE_DIR = path.resolve(__dirname, '..', '..');

/**
 * Parent of the temp dirs the unprivileged user must reach. Not os.tmpdir(): under Bazel that is a
 * private directory inside a root-only tree.
 */
const SHARED_TMP = '/tmp';

export interface PreparedExecutable {
  path: string;
  dir: string;
  cleanup(): void;
}

export function testBwrap(): { binary: string; sha256: string } {
  const binary = process.env['CODEX_BWRAP_TEST_BINARY'];
  const sha256 = process.env['CODEX_BWRAP_TEST_SHA256'];
  if (binary === undefined || binary === '' || sha256 === undefined || sha256 === '') {
    throw new Error('CODEX_BWRAP_TEST_BINARY and CODEX_BWRAP_TEST_SHA256 must be set (the Bazel test rule sets them)');
  }
  return { binary, sha256 };
}

/** Builds (or copies) the executable into `out`. */
export function buildExecutable(out: string, sha256: string | undefined): void {
  const given = process.env['CODEX_CLI_TEST_EXECUTABLE'];
  if (given !== undefined && given !== '') {
    fs.copyFileSync(given, out);
  } else {
    const build = spawnSync(
      process.execPath,
      [
        path.join(PACKAGE_DIR, 'scripts', 'build-executable.mjs'),
        '--entry',
        path.join(PACKAGE_DIR, 'src', 'main.ts'),
        '--out',
        out,
        ...(sha256 !== undefined ? ['--bwrap-sha256', sha256] : []),
      ],
      { encoding: 'utf8' },
    );
    if (build.status !== 0) throw new Error(`build-executable failed: ${build.stderr}`);
  }
  fs.chmodSync(out, 0o755);
}

/** A fresh 0755 directory holding `codex` and `codex-resources/bwrap`, usable by any user. */
export function prepareExecutable(): PreparedExecutable {
  const bwrap = testBwrap();
  const dir = fs.mkdtempSync(path.join(SHARED_TMP, 'codex-cli-e2e-'));
  fs.chmodSync(dir, 0o755);
  const out = path.join(dir, 'codex');
  buildExecutable(out, bwrap.sha256);
  // Like a Bazel runfiles tree: an enclosing package.json that makes `.js`/extensionless files ESM.
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  fs.mkdirSync(path.join(dir, 'codex-resources'), { mode: 0o755 });
  fs.copyFileSync(bwrap.binary, path.join(dir, 'codex-resources', 'bwrap'));
  fs.chmodSync(path.join(dir, 'codex-resources', 'bwrap'), 0o755);
  const helper = process.env['CODEX_NETNS_HELPER_TEST_BINARY'];
  if (helper === undefined || helper === '') throw new Error('CODEX_NETNS_HELPER_TEST_BINARY must be set (the Bazel test rule sets it)');
  fs.copyFileSync(helper, path.join(dir, 'codex-resources', 'codex-netns-helper'));
  fs.chmodSync(path.join(dir, 'codex-resources', 'codex-netns-helper'), 0o755);
  const landlockHelper = process.env['CODEX_LANDLOCK_HELPER_TEST_BINARY'];
  if (landlockHelper === undefined || landlockHelper === '') throw new Error('CODEX_LANDLOCK_HELPER_TEST_BINARY must be set (the Bazel test rule sets it)');
  fs.copyFileSync(landlockHelper, path.join(dir, 'codex-resources', 'codex-landlock-helper'));
  fs.chmodSync(path.join(dir, 'codex-resources', 'codex-landlock-helper'), 0o755);
  const relay = process.env['CODEX_PROXY_RELAY_TEST_BINARY'];
  if (relay === undefined || relay === '') throw new Error('CODEX_PROXY_RELAY_TEST_BINARY must be set (the Bazel test rule sets it)');
  fs.copyFileSync(relay, path.join(dir, 'codex-resources', 'codex-proxy-relay'));
  fs.chmodSync(path.join(dir, 'codex-resources', 'codex-proxy-relay'), 0o755);
  const maskHelper = process.env['CODEX_MASK_HELPER_TEST_BINARY'];
  if (maskHelper === undefined || maskHelper === '') throw new Error('CODEX_MASK_HELPER_TEST_BINARY must be set (the Bazel test rule sets it)');
  fs.copyFileSync(maskHelper, path.join(dir, 'codex-resources', 'codex-mask-helper'));
  fs.chmodSync(path.join(dir, 'codex-resources', 'codex-mask-helper'), 0o755);
  return { path: out, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Node's flags and the program `node -e` runs, from the executable's launcher line (line 2), exactly
 * as the launcher passes them, so a test can start the program under Node options of its own.
 */
export function launcherCommand(executable: string): { node: string; flags: string[]; program: string } {
  const line = fs.readFileSync(executable, 'latin1').split('\n', 2)[1] ?? '';
  const match = /exec '([^']+)' ((?:--[\w-]+(?:=\S+)? )*)-e '([^']*)' "\$0" "\$@"$/.exec(line);
  if (match?.[1] === undefined || match[3] === undefined) throw new Error(`no launcher line in ${executable}`);
  return { node: match[1], flags: (match[2] ?? '').trim().split(' ').filter((flag) => flag !== ''), program: match[3] };
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Run as nobody (65534) through setpriv. */
  unprivileged?: boolean;
}

export type RunOutput = SpawnSyncReturns<string>;

export function run(executable: string, args: readonly string[], options: RunOptions = {}): RunOutput {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? process.env)) if (v !== undefined) env[k] = v;
  const [command, argv] = options.unprivileged
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', executable, ...args]]
    : [executable, [...args]];
  return spawnSync(command, argv, {
    cwd: options.cwd ?? os.tmpdir(),
    env,
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: 60_000,
  });
}

/** A 0755 temp dir (usable by nobody) with a private CODEX_HOME and a workspace. */
export function makeWorkspace(): { root: string; codexHome: string; work: string; cleanup(): void } {
  const root = fs.mkdtempSync(path.join(SHARED_TMP, 'codex-cli-ws-'));
  fs.chmodSync(root, 0o755);
  const codexHome = path.join(root, 'codex-home');
  const work = path.join(root, 'work');
  fs.mkdirSync(codexHome, { mode: 0o755 });
  fs.mkdirSync(work, { mode: 0o777 });
  fs.chmodSync(work, 0o777);
  return { root, codexHome, work, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
