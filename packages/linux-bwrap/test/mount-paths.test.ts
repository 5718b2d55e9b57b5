// Host path facts: the shortcuts must give the component-by-component answer, with fewer syscalls.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathState, writableSymlinkOn } from '../src/mount-paths.js';

// The module object itself (the namespace import is a read-only view of it): spied on, the
// module's own calls go through the spy.
const fsModule = require('node:fs') as typeof fs;

let root: string;
beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mount-paths-')));
  fs.mkdirSync(path.join(root, 'ro/dir'), { recursive: true });
  fs.mkdirSync(path.join(root, 'rw/real'), { recursive: true });
  fs.writeFileSync(path.join(root, 'ro/file'), 'x');
  fs.writeFileSync(path.join(root, 'rw/real/f'), 'x');
  fs.symlinkSync('real', path.join(root, 'rw/link'));
  fs.symlinkSync('dir', path.join(root, 'ro/dirlink'));
  fs.symlinkSync('nowhere', path.join(root, 'ro/dangling'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

describe('pathState', () => {
  it.each([
    ['ro/dir', 'exists'],
    ['ro/dirlink', 'exists'],
    ['ro/file', 'exists'],
    ['ro/missing/deeper', 'missing'],
    ['ro/file/below', 'blocked'],
    ['ro/dangling', 'exists'],
    ['ro/dangling/below', 'blocked'],
  ])('%s is %s', (rel, kind) => {
    expect(pathState(path.join(root, rel)).kind).toBe(kind);
  });

  it('an existing path costs one stat', () => {
    const lstat = jest.spyOn(fsModule, 'lstatSync');
    const stat = jest.spyOn(fsModule, 'statSync');
    expect(pathState(path.join(root, 'ro/dirlink')).kind).toBe('exists');
    expect(lstat).not.toHaveBeenCalled();
    expect(stat).toHaveBeenCalledTimes(1);
  });

  it('the first missing component and a dangling final link are still found', () => {
    expect(pathState(path.join(root, 'ro/missing/deeper'))).toEqual({ kind: 'missing', first: path.join(root, 'ro/missing') });
    const dangling = pathState(path.join(root, 'ro/dangling'));
    expect(dangling.kind === 'exists' && dangling.danglingTarget).toBe(path.join(root, 'ro/nowhere'));
  });
});

describe('writableSymlinkOn', () => {
  const writable = (p: string): boolean => p === path.join(root, 'rw') || p.startsWith(`${path.join(root, 'rw')}/`);
  it('finds a link inside a writable place, and only there', () => {
    expect(writableSymlinkOn(path.join(root, 'rw/link/f'), writable)).toBe(path.join(root, 'rw/link'));
    expect(writableSymlinkOn(path.join(root, 'ro/dirlink'), writable)).toBeNull();
    expect(writableSymlinkOn(path.join(root, 'rw/real/f'), writable)).toBeNull();
  });

  it('looks at no component outside the writable places', () => {
    const lstat = jest.spyOn(fsModule, 'lstatSync');
    expect(writableSymlinkOn(path.join(root, 'ro/dirlink/x'), writable)).toBeNull();
    expect(lstat).not.toHaveBeenCalled();
  });
});
