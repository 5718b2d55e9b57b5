import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveCommand } from '../src/command-resolution.js';
import { CommandNotExecutableError, CommandNotFoundError } from '../src/errors.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-resolve-'));
  for (const sub of ['a', 'b', 'c', 'work']) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, 'a', 'plain'), 'data', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'b', 'plain'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'a', 'onlyplain'), 'data', { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'a', 'adir'));
  fs.writeFileSync(path.join(dir, 'c', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'work', 'local'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'work', 'noexec'), 'x', { mode: 0o644 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function p(...parts: string[]): string {
  return path.join(dir, ...parts);
}

describe('resolveCommand', () => {
  test('first executable match on PATH wins; non-executable earlier matches are skipped', () => {
    expect(resolveCommand('plain', { searchPath: `${p('a')}:${p('b')}`, cwd: p('work') })).toBe(p('b', 'plain'));
  });
  test('only a non-executable match -> not executable (126)', () => {
    const run = () => resolveCommand('onlyplain', { searchPath: `${p('a')}:${p('b')}`, cwd: p('work') });
    expect(run).toThrow(CommandNotExecutableError);
    expect(run).toThrow(/cannot execute onlyplain: .*onlyplain is not executable/);
    try {
      run();
    } catch (error) {
      expect((error as CommandNotExecutableError).exitCode).toBe(126);
    }
  });
  test('no match -> not found (127)', () => {
    const run = () => resolveCommand('nothere', { searchPath: p('a'), cwd: p('work') });
    expect(run).toThrow(CommandNotFoundError);
    expect(run).toThrow('command not found: nothere');
  });
  test('a directory on PATH with the command name is not a command', () => {
    expect(() => resolveCommand('adir', { searchPath: p('a'), cwd: p('work') })).toThrow(CommandNotFoundError);
  });
  test('empty PATH entry and relative entries resolve against the command cwd', () => {
    expect(resolveCommand('local', { searchPath: `${p('a')}::`, cwd: p('work') })).toBe(p('work', 'local'));
    expect(resolveCommand('tool', { searchPath: '../c', cwd: p('work') })).toBe(p('c', 'tool'));
  });
  test('unset PATH uses the execvp default', () => {
    expect(resolveCommand('sh', { searchPath: undefined, cwd: '/' })).toMatch(/^\/(usr\/)?bin\/sh$/);
  });
  test('names with a slash are not searched', () => {
    expect(resolveCommand('./local', { searchPath: p('c'), cwd: p('work') })).toBe(p('work', 'local'));
    expect(resolveCommand(p('c', 'tool'), { searchPath: '', cwd: '/' })).toBe(p('c', 'tool'));
    expect(() => resolveCommand('./missing', { searchPath: p('c'), cwd: p('work') })).toThrow(CommandNotFoundError);
    expect(() => resolveCommand('./noexec', { searchPath: p('c'), cwd: p('work') })).toThrow(/noexec is not executable/);
    expect(() => resolveCommand(p('a', 'adir'), { searchPath: '', cwd: '/' })).toThrow(/is a directory/);
  });
  test('candidates the sandbox cannot see do not exist', () => {
    const hideB = (candidate: string) => !candidate.startsWith(p('b'));
    expect(() => resolveCommand('plain', { searchPath: `${p('a')}:${p('b')}`, cwd: p('work'), isVisibleInSandbox: hideB })).toThrow(
      CommandNotExecutableError,
    );
    expect(() => resolveCommand('tool', { searchPath: p('c'), cwd: '/', isVisibleInSandbox: () => false })).toThrow(CommandNotFoundError);
    expect(() => resolveCommand(p('c', 'tool'), { searchPath: '', cwd: '/', isVisibleInSandbox: () => false })).toThrow(
      CommandNotFoundError,
    );
  });
  test('a hidden candidate: not found, with the rule that hides it (asked once, for the first hidden one)', () => {
    const asked: string[] = [];
    const hidingRule = (candidate: string) => {
      asked.push(candidate);
      return `${path.dirname(candidate)} is denied`;
    };
    const options = { searchPath: `${p('a')}:${p('c')}:${p('b')}`, cwd: '/', isVisibleInSandbox: () => false, hidingRule };
    expect(() => resolveCommand('tool', options)).toThrow(`command not found: tool (hidden by the sandbox policy: ${p('c')} is denied)`);
    expect(asked).toEqual([p('c', 'tool')]);
    expect(() => resolveCommand(p('c', 'tool'), options)).toThrow(`command not found: ${p('c', 'tool')} (hidden by the sandbox policy: ${p('c')} is denied)`);
    // Without a candidate on the host it is plainly missing, whatever the policy.
    expect(() => resolveCommand('nothere', options)).toThrow(/^command not found: nothere$/);
    // A visible non-executable match decides (126) over a hidden one, as execvp inside would.
    const hideB = (candidate: string) => !candidate.startsWith(p('b'));
    expect(() => resolveCommand('plain', { ...options, searchPath: `${p('b')}:${p('a')}`, isVisibleInSandbox: hideB })).toThrow(CommandNotExecutableError);
    const error = (() => {
      try {
        resolveCommand('tool', options);
      } catch (e) {
        return e as CommandNotFoundError;
      }
      return undefined;
    })();
    expect([error?.exitCode, error?.hiddenBy]).toEqual([127, `${p('c')} is denied`]);
  });
  test('empty command name is not found', () => {
    expect(() => resolveCommand('', { searchPath: p('c'), cwd: '/' })).toThrow(CommandNotFoundError);
  });
});
