import { writeDebugLines } from '../src/index.js';

describe('writeDebugLines', () => {
  test.each([
    ['1', true],
    ['0', false],
    ['true', false],
    [undefined, false],
  ])('CODEX_SANDBOX_DEBUG=%p prints: %p', (value, prints) => {
    const written: string[] = [];
    const env = value === undefined ? {} : { CODEX_SANDBOX_DEBUG: value };
    expect(writeDebugLines(['a', 'b'], env, (text) => written.push(text))).toBe(prints);
    expect(written).toEqual(prints ? ['a\n', 'b\n'] : []);
  });
});
