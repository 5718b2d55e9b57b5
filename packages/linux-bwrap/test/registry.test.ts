import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { PlaceholderRegistry, processStartTime, removeEmptyPlaceholder } from '../src/registry.js';
import { PlaceholderRegistryError } from '../src/runtime-errors.js';

import { bundleEntry } from './support/bundle.js';
import { NOBODY_UID, privateTempDir, removeTree } from './support/env.js';

let work: string;
let root: string;

beforeEach(() => {
  work = privateTempDir('registry-test-');
  root = path.join(work, 'registry');
});
afterEach(() => removeTree(work));

function placeholderDir(name: string): string {
  const p = path.join(work, name);
  fs.mkdirSync(p);
  return p;
}

describe('PlaceholderRegistry root checks', () => {
  it('creates the registry as a 0700 directory', () => {
    new PlaceholderRegistry(root).ensureRoot();
    const stat = fs.lstatSync(root);
    expect(stat.isDirectory()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o700);
  });

  it('refuses a symlinked registry before registering anything', () => {
    const elsewhere = placeholderDir('elsewhere');
    fs.symlinkSync(elsewhere, root);
    const target = path.join(work, '.codex');
    expect(() => new PlaceholderRegistry(root).register([{ path: target, kind: 'dir', preexisting: false }])).toThrow(
      PlaceholderRegistryError,
    );
    expect(() => new PlaceholderRegistry(root).sweep()).toThrow(/must not be a symlink/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a registry directory owned by another user', () => {
    fs.mkdirSync(root, { mode: 0o700 });
    fs.chownSync(root, NOBODY_UID, NOBODY_UID);
    expect(() => new PlaceholderRegistry(root).sweep()).toThrow(/owned by uid 65534/);
  });

  it('refuses a registry path that is a file', () => {
    fs.writeFileSync(root, '');
    expect(() => new PlaceholderRegistry(root).sweep()).toThrow(/not a directory/);
  });
});

describe('PlaceholderRegistry ownership', () => {
  it('removes a synthetic empty dir and file once their only owner releases them', () => {
    const registry = new PlaceholderRegistry(root);
    const dir = path.join(work, '.codex');
    const file = path.join(work, 'secret.env');
    const targets = [
      { path: dir, kind: 'dir' as const, preexisting: false },
      { path: file, kind: 'file' as const, preexisting: false },
    ];
    const marker = registry.register(targets);
    // What bwrap does on the host when it mounts over a missing path.
    fs.mkdirSync(dir);
    fs.writeFileSync(file, '');
    registry.release(targets, marker);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('keeps a placeholder while a second run still owns it, then removes it', () => {
    const first = new PlaceholderRegistry(root);
    const second = new PlaceholderRegistry(root);
    const dir = path.join(work, '.git');
    const m1 = first.register([{ path: dir, kind: 'dir', preexisting: false }]);
    fs.mkdirSync(dir);
    // The second run saw the first run's placeholder, so it plans it as pre-existing.
    const secondTargets = [{ path: dir, kind: 'dir' as const, preexisting: true }];
    const m2 = second.register(secondTargets);
    first.release([{ path: dir, kind: 'dir', preexisting: false }], m1);
    expect(fs.existsSync(dir)).toBe(true);
    second.release(secondTargets, m2);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('never removes a path that existed before any sandbox run', () => {
    const registry = new PlaceholderRegistry(root);
    const dir = placeholderDir('.agents');
    const targets = [{ path: dir, kind: 'dir' as const, preexisting: true }];
    registry.release(targets, registry.register(targets));
    expect(fs.existsSync(dir)).toBe(true);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('never removes a placeholder that gained content', () => {
    const registry = new PlaceholderRegistry(root);
    const dir = path.join(work, '.codex');
    const file = path.join(work, 'f');
    const targets = [
      { path: dir, kind: 'dir' as const, preexisting: false },
      { path: file, kind: 'file' as const, preexisting: false },
    ];
    const marker = registry.register(targets);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep'), 'x');
    fs.writeFileSync(file, 'content');
    registry.release(targets, marker);
    expect(fs.readFileSync(path.join(dir, 'keep'), 'utf8')).toBe('x');
    expect(fs.readFileSync(file, 'utf8')).toBe('content');
  });

  it('removeEmptyPlaceholder does not go through a parent that became a symlink', () => {
    const elsewhere = placeholderDir('elsewhere');
    fs.mkdirSync(path.join(elsewhere, '.codex'));
    fs.symlinkSync(elsewhere, path.join(work, 'sub'));
    expect(removeEmptyPlaceholder(path.join(work, 'sub', '.codex'), 'dir')).toBe(false);
    expect(fs.existsSync(path.join(elsewhere, '.codex'))).toBe(true);
    expect(removeEmptyPlaceholder(path.join(elsewhere, '.codex'), 'dir')).toBe(true);
  });

  it('removeEmptyPlaceholder does not follow a symlink', () => {
    const real = placeholderDir('real');
    const link = path.join(work, 'link');
    fs.symlinkSync(real, link);
    expect(removeEmptyPlaceholder(link, 'dir')).toBe(false);
    expect(fs.existsSync(real)).toBe(true);
  });
});

describe('PlaceholderRegistry recovery after a killed owner', () => {
  let bundleDir: string;
  let entry: string;
  beforeAll(() => {
    bundleDir = privateTempDir('registry-bundle-');
    entry = bundleEntry(path.join(__dirname, 'support', 'registry-entry.ts'), bundleDir, 'registry-entry');
  });
  afterAll(() => removeTree(bundleDir));

  async function registerInKilledProcess(targets: object[]): Promise<void> {
    const child = spawn(process.execPath, [entry, root, JSON.stringify(targets)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('registered')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`registry child exited early with ${code}`)));
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  it('the next sweep removes placeholders whose owners were SIGKILLed', async () => {
    const dir = path.join(work, '.codex');
    await registerInKilledProcess([{ path: dir, kind: 'dir', preexisting: false }]);
    fs.mkdirSync(dir);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('run-'))).toHaveLength(1);
    new PlaceholderRegistry(root).sweep();
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('a dead run does not strip a live run of a placeholder they share', async () => {
    const dir = path.join(work, '.git');
    await registerInKilledProcess([{ path: dir, kind: 'dir', preexisting: false }]);
    fs.mkdirSync(dir);
    const live = new PlaceholderRegistry(root);
    const targets = [{ path: dir, kind: 'dir' as const, preexisting: true }];
    const marker = live.register(targets);
    new PlaceholderRegistry(root).sweep();
    expect(fs.existsSync(dir)).toBe(true);
    // The live run inherited the dead run's origin (`synthetic`), so its release removes it.
    live.release(targets, marker);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('an unreadable run file of a dead owner never leads to a deletion', () => {
    const dir = placeholderDir('.codex');
    new PlaceholderRegistry(root).ensureRoot();
    fs.writeFileSync(path.join(root, 'run-999999999-1-1'), `[{"path":"${dir}","kind":"dir","origin":"synthetic"`);
    new PlaceholderRegistry(root).sweep();
    expect(fs.existsSync(dir)).toBe(true);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('a sweep keeps placeholders of a live owner', () => {
    const dir = path.join(work, '.codex');
    const registry = new PlaceholderRegistry(root);
    const targets = [{ path: dir, kind: 'dir' as const, preexisting: false }];
    const marker = registry.register(targets);
    fs.mkdirSync(dir);
    new PlaceholderRegistry(root).sweep();
    expect(fs.existsSync(dir)).toBe(true);
    registry.release(targets, marker);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('recovers a lock left by a dead process', async () => {
    new PlaceholderRegistry(root).ensureRoot();
    const child = spawn('true');
    const pid = child.pid ?? 0;
    await new Promise((resolve) => child.on('exit', resolve));
    expect(processStartTime(pid)).toBeUndefined();
    fs.writeFileSync(path.join(root, 'lock'), `${pid} 12345\n`);
    const value = new PlaceholderRegistry(root).withLock(() => 42);
    expect(value).toBe(42);
    expect(fs.existsSync(path.join(root, 'lock'))).toBe(false);
  });
});
