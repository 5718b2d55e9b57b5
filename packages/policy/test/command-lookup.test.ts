// The one command lookup: execvp's walk of PATH, what counts as found, hidden or not executable,
// and the one message of each failure. Real files in a temp dir.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLookupExitCode, commandLookupMessage, lookUpCommand } from '../src/command-lookup.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-lookup-'));
  for (const sub of ['a', 'b', 'work']) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, 'a', 'tool'), 'data', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'b', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'a', 'adir'));
  fs.writeFileSync(path.join(dir, 'work', 'local'), '#!/bin/sh\n', { mode: 0o755 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const p = (...parts: string[]): string => path.join(dir, ...parts);

describe('lookUpCommand', () => {
  test('the first executable candidate on PATH wins over an earlier non-executable one', () => {
    expect(lookUpCommand('tool', { searchPath: `${p('a')}:${p('b')}`, cwd: p('work') })).toEqual({ kind: 'found', path: p('b', 'tool') });
  });
  test('only a non-executable candidate: not executable, naming it', () => {
    expect(lookUpCommand('tool', { searchPath: p('a'), cwd: p('work') })).toEqual({
      kind: 'not-executable',
      path: p('a', 'tool'),
      reason: 'is not executable (permission denied)',
    });
  });
  test('a directory on PATH is skipped; one named by its path is not executable', () => {
    expect(lookUpCommand('adir', { searchPath: p('a'), cwd: p('work') })).toEqual({ kind: 'not-found' });
    expect(lookUpCommand(p('a', 'adir'), { searchPath: '', cwd: '/' })).toEqual({ kind: 'not-executable', path: p('a', 'adir'), reason: 'is a directory' });
  });
  test('empty and relative PATH entries resolve against the cwd; names with a slash are not searched', () => {
    expect(lookUpCommand('local', { searchPath: `${p('a')}::`, cwd: p('work') })).toEqual({ kind: 'found', path: p('work', 'local') });
    expect(lookUpCommand('tool', { searchPath: '../b', cwd: p('work') })).toEqual({ kind: 'found', path: p('b', 'tool') });
    expect(lookUpCommand('./local', { searchPath: p('b'), cwd: p('work') })).toEqual({ kind: 'found', path: p('work', 'local') });
    expect(lookUpCommand('./tool', { searchPath: p('b'), cwd: p('work') })).toEqual({ kind: 'not-found' });
  });
  test('unset PATH: the execvp default', () => {
    expect(lookUpCommand('sh', { searchPath: undefined, cwd: '/' })).toMatchObject({ kind: 'found', path: expect.stringMatching(/^\/(usr\/)?bin\/sh$/) });
  });
  test('a candidate the sandbox hides does not exist from inside: the first hidden one is reported', () => {
    const asked: string[] = [];
    const hideB = (candidate: string): boolean => {
      asked.push(candidate);
      return !candidate.startsWith(p('b'));
    };
    expect(lookUpCommand('tool', { searchPath: `${p('b')}:${p('work')}`, cwd: '/', visible: hideB })).toEqual({ kind: 'hidden', path: p('b', 'tool') });
    // Visibility is asked only for candidates that exist on the host.
    expect(asked).toEqual([p('b', 'tool')]);
    // A visible non-executable candidate decides over a hidden executable one, as execvp inside would.
    expect(lookUpCommand('tool', { searchPath: `${p('b')}:${p('a')}`, cwd: '/', visible: hideB })).toMatchObject({ kind: 'not-executable', path: p('a', 'tool') });
    expect(lookUpCommand('missing', { searchPath: p('b'), cwd: '/', visible: () => false })).toEqual({ kind: 'not-found' });
  });
  test('an empty name is not found', () => {
    expect(lookUpCommand('', { searchPath: p('b'), cwd: '/' })).toEqual({ kind: 'not-found' });
  });
});

describe('commandLookupMessage / commandLookupExitCode', () => {
  test.each([
    [{ kind: 'not-found' } as const, 'command not found: tool', 127],
    [{ kind: 'hidden', path: '/opt/x/tool', rule: '/opt/x is denied' } as const, 'command not found: tool (hidden by the sandbox policy: /opt/x is denied)', 127],
    [{ kind: 'not-executable', path: '/opt/x/tool', reason: 'is a directory' } as const, 'cannot execute tool: /opt/x/tool is a directory', 126],
  ])('%j', (failure, message, exitCode) => {
    expect(commandLookupMessage('tool', failure)).toBe(message);
    expect(commandLookupExitCode(failure)).toBe(exitCode);
  });
});
