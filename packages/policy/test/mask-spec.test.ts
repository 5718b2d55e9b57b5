// The typed handoff to codex-mask-helper: encode -> decode round trip, and each malformed spec
// refused with a message naming what is wrong.
import { decodeMaskHelperSpec, encodeMaskHelperSpec, WireError, type MaskHelperSpec } from '../src/index.js';

const BASE: MaskHelperSpec = {
  fileTemplate: '/dev/.codex-masks/files/mask',
  dirTemplate: '/dev/.codex-masks/dir',
  fileMasks: ['/w/a.env', '/w/b/c.env'],
  dirMasks: ['/w/secrets'],
  keepFds: [6],
};

describe('MaskHelperSpec', () => {
  it('round-trips templates, masks and kept descriptors', () => {
    expect(decodeMaskHelperSpec(encodeMaskHelperSpec(BASE))).toEqual(BASE);
  });

  it('needs no file template when there is no file mask', () => {
    const spec = { ...BASE, fileTemplate: '', fileMasks: [] };
    expect(decodeMaskHelperSpec(encodeMaskHelperSpec(spec))).toEqual(spec);
  });

  it.each<[string, Partial<MaskHelperSpec>, string]>([
    ['a relative directory template', { dirTemplate: 'dev/dir' }, 'the directory template "dev/dir" must be absolute'],
    ['no file template for file masks', { fileTemplate: '' }, 'the file template "" must be absolute'],
    ['a relative file mask', { fileMasks: ['a.env'] }, 'file mask 0 "a.env" must be absolute'],
    ['a NUL in a directory mask', { dirMasks: ['/a\0b'] }, 'directory mask 0'],
    ['a path longer than PATH_MAX', { fileMasks: [`/${'x'.repeat(4095)}`] }, 'at most 4095 bytes'],
    ['too many masks', { fileMasks: Array.from({ length: 65537 }, (_, i) => `/f${i}`), dirMasks: [] }, '65537 masks (at most 65536)'],
    ['descriptor 2', { keepFds: [2] }, 'kept descriptor 2 is not 3-65535'],
    ['a descriptor twice', { keepFds: [7, 7] }, 'kept descriptor 7 is not 3-65535 or is given twice'],
  ])('refuses %s', (_what, change, message) => {
    const spec = { ...BASE, ...change };
    expect(() => encodeMaskHelperSpec(spec)).toThrow(WireError);
    expect(() => encodeMaskHelperSpec(spec)).toThrow(message);
  });

  it('decoding refuses bytes that are not a spec', () => {
    expect(() => decodeMaskHelperSpec(new Uint8Array([0xff, 0xff]))).toThrow(WireError);
  });
});
