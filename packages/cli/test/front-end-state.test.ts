// Which paths are the front end's own state, and how they change an access answer. Pure, plus a
// real symlink for the canonical spelling.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { frontEndStatePaths, withFrontEndState } from '../src/front-end-state.js';

test('CODEX_HOME, its config.toml and the -p layer, resolved against the base directory', () => {
  expect(frontEndStatePaths('/h/.codex', undefined, '/cwd')).toEqual(['/h/.codex', '/h/.codex/config.toml']);
  expect(frontEndStatePaths('rel/home', 'work', '/cwd')).toEqual(['/cwd/rel/home', '/cwd/rel/home/config.toml', '/cwd/rel/home/work.config.toml']);
});

test('a write inside front-end state is read-only; other answers are unchanged', () => {
  const state = ['/ws/home', '/ws/home/config.toml'];
  expect(withFrontEndState('/ws/home/config.toml', 'write', state)).toBe('read');
  expect(withFrontEndState('/ws/home', 'write', state)).toBe('read');
  expect(withFrontEndState('/ws/homework', 'write', state)).toBe('write');
  expect(withFrontEndState('/ws/home/x', 'deny', state)).toBe('deny');
  expect(withFrontEndState('/ws/other', 'write', state)).toBe('write');
});

test('a spelling through a symlink is judged where it really is', () => {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'front-end-state-')));
  try {
    fs.mkdirSync(path.join(dir, 'home'));
    fs.symlinkSync(path.join(dir, 'home'), path.join(dir, 'alias'));
    expect(withFrontEndState(path.join(dir, 'alias'), 'write', [path.join(dir, 'home')])).toBe('read');
    expect(withFrontEndState(path.join(dir, 'home'), 'write', [path.join(dir, 'alias')])).toBe('read');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
