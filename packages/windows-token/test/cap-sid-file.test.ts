// W3: `$CODEX_HOME/cap_sid` on a real filesystem: JSON, the legacy plain file upgraded, written
// atomically, never through a symlink, and a damaged file refused rather than replaced.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { capabilitySidFromBytes, isCapabilitySid, parseCapabilitySids } from '../src/capability-sids.js';
import { CapabilitySidFileError, randomCapabilitySid, readCapabilitySids } from '../src/index.js';
import { writeCapabilitySids } from '../src/cap-sid-file.js';
import { STORE, countingAllocator, tempDir } from './support.js';

let home: string;
beforeEach(() => {
  home = tempDir('windows-capsid-');
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));
const file = (): string => path.join(home, 'cap_sid');

describe('W3: capability SIDs', () => {
  test('random SIDs have the S-1-5-21-a-b-c-d shape and differ', () => {
    const a = randomCapabilitySid('readonly');
    expect(isCapabilitySid(a)).toBe(true);
    expect(randomCapabilitySid('readonly')).not.toBe(a);
    expect(capabilitySidFromBytes(new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]))).toBe('S-1-5-21-1-2-4294967295-16777216');
  });

  test('a missing file yields a new store that must be written; writing and reading round-trips as JSON', () => {
    const loaded = readCapabilitySids(home, countingAllocator());
    expect(loaded.needsWrite).toBe(true);
    writeCapabilitySids(home, loaded.sids);
    const json = JSON.parse(fs.readFileSync(file(), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['readonly', 'workspace', 'workspace_by_cwd', 'writable_root_by_path']);
    expect(readCapabilitySids(home, countingAllocator())).toEqual({ sids: loaded.sids, needsWrite: false });
    // Written through a temporary file renamed into place: nothing else is left behind.
    expect(fs.readdirSync(home)).toEqual(['cap_sid']);
  });

  test('the legacy plain-text file is upgraded: its SID becomes `workspace`', () => {
    fs.writeFileSync(file(), 'S-1-5-21-11-22-33-44\n');
    const loaded = readCapabilitySids(home, countingAllocator());
    expect(loaded).toEqual({ sids: { workspace: 'S-1-5-21-11-22-33-44', readonly: 'S-1-5-21-1-2-3-1', workspace_by_cwd: {}, writable_root_by_path: {} }, needsWrite: true });
  });

  test('a symlink at cap_sid is refused, and writing replaces the link, not its target', () => {
    const target = path.join(home, 'elsewhere');
    fs.writeFileSync(target, JSON.stringify(STORE));
    fs.symlinkSync(target, file());
    expect(() => readCapabilitySids(home, countingAllocator())).toThrow(/is a symbolic link; refusing to follow it/);
    writeCapabilitySids(home, { ...STORE, readonly: 'S-1-5-21-5-5-5-5' });
    expect(fs.lstatSync(file()).isSymbolicLink()).toBe(false);
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(STORE);
  });

  test.each([
    ['not JSON', 'garbage', /neither JSON nor a single capability SID/],
    ['a bad SID', JSON.stringify({ ...STORE, readonly: 'S-1-1-0' }), /`readonly` must be a capability SID/],
    ['a bad map entry', JSON.stringify({ ...STORE, workspace_by_cwd: { 'C:\\w': 7 } }), /`workspace_by_cwd\.C:\\w` must be a capability SID/],
    ['an array', '[]', /the file must be a capability SID/],
  ])('a damaged file (%s) is refused, not replaced', (_name, text, message) => {
    fs.writeFileSync(file(), text);
    expect(() => readCapabilitySids(home, countingAllocator())).toThrow(CapabilitySidFileError);
    expect(() => readCapabilitySids(home, countingAllocator())).toThrow(message);
    expect(fs.readFileSync(file(), 'utf8')).toBe(text);
  });

  test('a directory at cap_sid is refused', () => {
    fs.mkdirSync(file());
    expect(() => readCapabilitySids(home, countingAllocator())).toThrow(/is not a regular file/);
  });

  test('parse keeps unknown roots as given', () => {
    const text = JSON.stringify({ ...STORE, writable_root_by_path: { 'D:\\data': 'S-1-5-21-7-7-7-7' } });
    expect(parseCapabilitySids(text, countingAllocator(), 'cap_sid').sids.writable_root_by_path).toEqual({ 'D:\\data': 'S-1-5-21-7-7-7-7' });
  });
});
