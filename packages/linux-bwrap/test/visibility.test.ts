// The "hidden by the policy" decision for the command's program: pure rule verdicts (tables) and,
// end to end, what a run reports for a program the policy hides (real bwrap, real files).
import * as fs from 'node:fs';
import * as path from 'node:path';

import { lookUpCommand } from '@codex-sandbox/policy';

import { createLinuxSandbox } from '../src/runner.js';
import {
  commandVisibility,
  hidingRule,
  isVisibleInSandbox,
  policyVisibilityRules,
  ruleVerdict,
  visibilityRules,
  type VisibilityRule,
} from '../src/visibility.js';

import { readOnlyPolicy, workspacePolicy } from './support/e2e.js';
import { privateTempDir, removeTree } from './support/env.js';

jest.setTimeout(30_000);

const rules: VisibilityRule[] = [
  { path: '/', visible: true },
  { path: '/a', visible: false },
  { path: '/a/b', visible: true },
  { path: '/c', visible: true },
  { path: '/c', visible: false },
];

describe('ruleVerdict: the most specific rule wins, a deny wins a tie', () => {
  it.each([
    ['/x', true],
    ['/a', false],
    ['/a/x', false],
    ['/a/b', true],
    ['/a/b/y', true],
    ['/ab', true],
    ['/c/z', false],
  ])('%s -> %s', (p, expected) => {
    expect(ruleVerdict(rules, p)).toBe(expected);
  });
  it('no covering rule gives undefined', () => {
    expect(ruleVerdict([{ path: '/usr', visible: true }], '/opt/x')).toBeUndefined();
  });
});

describe('isVisibleInSandbox needs both spellings granted', () => {
  const both = { lexical: [{ path: '/usr', visible: true }, { path: '/bin', visible: true }], canonical: [{ path: '/usr', visible: true }] };
  it.each([
    ['/bin/sh', '/usr/bin/sh', true],
    // A spelled path outside every granted root does not exist in a tmpfs root.
    ['/opt/bin/sh', '/usr/bin/sh', false],
    // A link inside a granted root that leads outside it.
    ['/usr/local/bin/x', '/opt/x', false],
  ])('%s (real %s) -> %s', (lexical, canonical, expected) => {
    expect(isVisibleInSandbox(both, lexical, canonical)).toBe(expected);
  });
  it('policy rules: deny globs and unreadable roots are denies, roots and platform defaults grants', () => {
    const policy = readOnlyPolicy('/w', { fullDiskRead: false, readableRoots: ['/r'], unreadableRoots: ['/r/secret'] });
    const built = policyVisibilityRules(policy, ['/r/k.env']);
    expect(built).toEqual(expect.arrayContaining([{ path: '/usr', visible: true }, { path: '/r', visible: true }, { path: '/r/secret', visible: false }, { path: '/r/k.env', visible: false, origin: 'it matches a deny glob' }]));
    expect(built.some((r) => r.path === '/')).toBe(false);
  });
});

describe('hidingRule: the rule behind "hidden by the sandbox policy: <rule>"', () => {
  const lexical: VisibilityRule[] = [
    { path: '/usr', visible: true },
    { path: '/usr/local/secret', visible: false },
    { path: '/usr/local/bin/k.env', visible: false, origin: 'it matches a deny glob' },
    { path: '/usr/local/secret/open', visible: true },
  ];
  const both = { lexical, canonical: lexical };
  it.each([
    ['/usr/bin/sh', '/usr/bin/sh', undefined],
    ['/usr/local/secret/tool', '/usr/local/secret/tool', '/usr/local/secret is denied'],
    ['/usr/local/secret/open/tool', '/usr/local/secret/open/tool', undefined],
    ['/usr/local/bin/k.env', '/usr/local/bin/k.env', '/usr/local/bin/k.env is denied (it matches a deny glob)'],
    ['/opt/tool', '/opt/tool', '/opt/tool is outside every readable root'],
    ['/usr/bin/link', '/usr/local/secret/tool', '/usr/bin/link resolves to /usr/local/secret/tool; /usr/local/secret is denied'],
    ['/usr/bin/out', '/opt/real', '/usr/bin/out resolves to /opt/real; /opt/real is outside every readable root'],
  ])('%s (real %s) -> %s', (spelled, real, expected) => {
    expect(hidingRule(both, spelled, real)).toBe(expected);
    expect(isVisibleInSandbox(both, spelled, real)).toBe(expected === undefined);
  });
});

describe('a program the policy hides', () => {
  let work: string;
  beforeEach(() => {
    work = privateTempDir('linux-bwrap-hidden-');
  });
  afterEach(() => removeTree(work));

  async function runCapturingStderr(policy: ReturnType<typeof readOnlyPolicy>, command: string[], PATH: string): Promise<{ exitCode: number; stderr: string }> {
    const errFile = path.join(work, `stderr-${Math.random().toString(16).slice(2)}`);
    const fd = fs.openSync(errFile, 'w');
    try {
      const sandbox = createLinuxSandbox({ cacheDir: null, tmpDir: work, env: { PATH: '/usr/bin:/bin' } });
      const result = await sandbox.run({ policy, command, commandCwd: policy.cwd, env: { PATH }, stdio: ['ignore', 'ignore', fd] }).finally(() => sandbox.dispose());
      return { exitCode: result.exitCode, stderr: fs.readFileSync(errFile, 'utf8') };
    } finally {
      fs.closeSync(fd);
    }
  }

  it('exits 127 with a clear message instead of bwrap\'s execvp error, by name, by path and through a link', async () => {
    const ws = path.join(work, 'ws');
    const hiddenDir = path.join(work, 'hidden-bin');
    const openDir = path.join(work, 'open-bin');
    for (const dir of [ws, hiddenDir, openDir]) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(hiddenDir, 'mytool'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    fs.writeFileSync(path.join(openDir, 'opentool'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    fs.symlinkSync(path.join(hiddenDir, 'mytool'), path.join(openDir, 'linked'));
    const policy = workspacePolicy(ws, { unreadableRoots: [hiddenDir] });
    const PATH = `${hiddenDir}:${openDir}:/usr/bin:/bin`;
    const realHidden = fs.realpathSync(hiddenDir);
    for (const [command, shown, rule] of [
      [['mytool'], 'mytool', `${hiddenDir} is denied`],
      [[path.join(hiddenDir, 'mytool')], path.join(hiddenDir, 'mytool'), `${hiddenDir} is denied`],
      [['linked'], 'linked', `${path.join(openDir, 'linked')} resolves to ${path.join(realHidden, 'mytool')}; ${realHidden} is denied`],
    ] as const) {
      const result = await runCapturingStderr(policy, [...command], PATH);
      expect(result).toEqual({ exitCode: 127, stderr: `codex sandbox: command not found: ${shown} (hidden by the sandbox policy: ${rule})\n` });
    }
    // Visible programs run; a missing one keeps its own message.
    expect(await runCapturingStderr(policy, ['opentool'], PATH)).toEqual({ exitCode: 0, stderr: '' });
    expect(await runCapturingStderr(policy, ['no-such-tool'], PATH)).toEqual({ exitCode: 127, stderr: 'codex sandbox: command not found: no-such-tool\n' });
    // Without the deny the same program runs.
    const open = await runCapturingStderr(workspacePolicy(ws), ['mytool'], PATH);
    expect(open.exitCode).toBe(0);
  });

  it('a visible program that cannot be executed exits 126 with the lookup\'s message, before bwrap runs', async () => {
    const ws = path.join(work, 'ws');
    const bin = path.join(work, 'bin');
    for (const dir of [ws, bin]) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(bin, 'plain'), 'not a program\n', { mode: 0o644 });
    for (const policy of [workspacePolicy(ws), readOnlyPolicy(ws, { kind: 'unrestricted', needsSandbox: false, network: 'enabled', fullDiskWrite: true })]) {
      expect(await runCapturingStderr(policy, ['plain'], `${bin}:/usr/bin:/bin`)).toEqual({
        exitCode: 126,
        stderr: `codex sandbox: cannot execute plain: ${path.join(bin, 'plain')} is not executable (permission denied)\n`,
      });
    }
  });

  it('the command lookup with these rules skips a hidden candidate for a visible later one, and names the rule', () => {
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    for (const dir of [a, b]) {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'tool'), '', { mode: 0o755 });
    }
    fs.symlinkSync(path.join(a, 'tool'), path.join(b, 'linked'));
    const visibility = commandVisibility(visibilityRules(workspacePolicy(work, { unreadableRoots: [a] }), []));
    const look = (name: string, searchPath: string) => lookUpCommand(name, { searchPath, cwd: work, visible: visibility.visible });
    expect(look('tool', `${a}:${b}`)).toEqual({ kind: 'found', path: path.join(b, 'tool') });
    expect(look('tool', a)).toEqual({ kind: 'hidden', path: path.join(a, 'tool') });
    expect(visibility.rule(path.join(a, 'tool'))).toBe(`${a} is denied`);
    // Through a link: visible as spelled, hidden where it really is.
    expect(look('linked', b)).toEqual({ kind: 'hidden', path: path.join(b, 'linked') });
    const realA = fs.realpathSync(a);
    expect(visibility.rule(path.join(b, 'linked'))).toBe(`${path.join(b, 'linked')} resolves to ${path.join(realA, 'tool')}; ${realA} is denied`);
    expect(look('nothing', `${a}:${b}`)).toEqual({ kind: 'not-found' });
  });
});
