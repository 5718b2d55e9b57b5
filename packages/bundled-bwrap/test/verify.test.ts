import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  BundledBwrapDigestMismatchError,
  BundledBwrapError,
  BundledBwrapOpenError,
  embeddedBwrapDigest,
  InvalidBwrapDigestError,
  openVerifiedBwrap,
  parseBwrapDigest,
  sha256OfDescriptor,
  type BwrapDigestExpectation,
} from '../src/index.js';
import { verificationSkippedMessage } from '../src/verify.js';
import { flipOneByte, makeReleaseLayout, makeTempDir, openFdCount, removeTempDirs, requireTestBinary } from './helpers.js';

afterEach(removeTempDirs);

const HEX_A = 'a'.repeat(64);
const MIXED = 'AbCdEf0123456789'.repeat(4);

describe('parseBwrapDigest', () => {
  const ok: Array<[string | undefined, BwrapDigestExpectation]> = [
    [undefined, { mode: 'development', reason: 'absent' }],
    ['', { mode: 'development', reason: 'absent' }],
    ['0'.repeat(64), { mode: 'development', reason: 'all-zero' }],
    [HEX_A, { mode: 'release', sha256: HEX_A }],
    [MIXED, { mode: 'release', sha256: MIXED.toLowerCase() }],
  ];
  test.each(ok)('%p -> %p', (raw, expected) => {
    expect(parseBwrapDigest(raw)).toEqual(expected);
  });

  const malformed = ['a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), ` ${'a'.repeat(63)}`, `${HEX_A}\n`, 'sha256:' + HEX_A, '0'];
  test.each(malformed)('malformed %p is a typed error', (raw) => {
    expect(() => parseBwrapDigest(raw)).toThrow(InvalidBwrapDigestError);
    expect(() => parseBwrapDigest(raw)).toThrow(`invalid CODEX_BWRAP_SHA256 value: ${JSON.stringify(raw)}`);
  });
});

test('no digest is embedded when the code is not bundled with --define (jest, development)', () => {
  expect(embeddedBwrapDigest()).toBeUndefined();
});

describe('openVerifiedBwrap', () => {
  test('matching digest: verified, hashed from the descriptor', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const opened = openVerifiedBwrap(layout.bwrap, { mode: 'release', sha256: binary.sha256 });
    try {
      expect(opened.verification).toBe('verified');
      expect(opened.sha256).toBe(binary.sha256);
      expect(fs.fstatSync(opened.fd).ino).toBe(fs.statSync(layout.bwrap).ino);
    } finally {
      opened.close();
    }
    expect(opened.isOpen).toBe(false);
    opened.close(); // idempotent
  });

  test('one flipped byte: refused with exit code 8 and the exact message; descriptor closed', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    flipOneByte(layout.bwrap);
    const actual = createHash('sha256').update(fs.readFileSync(layout.bwrap)).digest('hex');
    expect(actual).not.toBe(binary.sha256);
    const before = openFdCount();
    let caught: unknown;
    try {
      openVerifiedBwrap(layout.bwrap, { mode: 'release', sha256: binary.sha256 });
    } catch (error) {
      caught = error;
    }
    expect(openFdCount()).toBe(before);
    expect(caught).toBeInstanceOf(BundledBwrapDigestMismatchError);
    expect(caught).toBeInstanceOf(BundledBwrapError);
    const mismatch = caught as BundledBwrapDigestMismatchError;
    expect(mismatch.exitCode).toBe(8);
    expect(mismatch.message).toBe(
      `bundled bubblewrap digest mismatch for ${layout.bwrap}: expected sha256:${binary.sha256}, got sha256:${actual}`,
    );
    expect([mismatch.path, mismatch.expectedSha256, mismatch.actualSha256]).toEqual([layout.bwrap, binary.sha256, actual]);
  });

  test.each([
    ['absent', 'no CODEX_BWRAP_SHA256 digest was embedded'],
    ['all-zero', 'the embedded CODEX_BWRAP_SHA256 digest is all zeros'],
  ] as const)('development build (%s digest): even a tampered file opens, with the skip debug line', (reason, why) => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    flipOneByte(layout.bwrap);
    const opened = openVerifiedBwrap(layout.bwrap, { mode: 'development', reason });
    try {
      expect(opened.verification).toBe('skipped');
      expect(opened.sha256).toBeUndefined();
      expect(opened.debug).toEqual([verificationSkippedMessage(layout.bwrap, reason)]);
      expect(opened.debug[0]).toBe(`bundled bubblewrap digest verification skipped for ${layout.bwrap}: ${why} (development build)`);
    } finally {
      opened.close();
    }
  });

  test('a FIFO in place of the binary is refused without blocking', () => {
    const dir = makeTempDir('fifo');
    const fifo = path.join(dir, 'bwrap');
    execFileSync('mkfifo', ['-m', '0755', fifo]);
    const before = openFdCount();
    expect(() => openVerifiedBwrap(fifo, { mode: 'development', reason: 'absent' })).toThrow(
      `cannot use bundled bubblewrap ${fifo}: the opened file is not a regular file`,
    );
    expect(openFdCount()).toBe(before);
  });

  test.each([
    ['missing', (dir: string) => path.join(dir, 'nope'), 'open failed'],
    ['directory', (dir: string) => dir, 'the opened file is not a regular file'],
    [
      'not executable',
      (dir: string) => {
        const file = path.join(dir, 'bwrap');
        fs.writeFileSync(file, 'x', { mode: 0o644 });
        return file;
      },
      'the opened file has no execute bit',
    ],
  ])('%s is a BundledBwrapOpenError', (_name, make, reason) => {
    const target = make(makeTempDir('open'));
    expect(() => openVerifiedBwrap(target, { mode: 'release', sha256: HEX_A })).toThrow(BundledBwrapOpenError);
    expect(() => openVerifiedBwrap(target, { mode: 'release', sha256: HEX_A })).toThrow(reason);
  });
});

test('sha256OfDescriptor hashes the whole file regardless of the descriptor offset', () => {
  const dir = makeTempDir('hash');
  const file = path.join(dir, 'data');
  const content = Buffer.alloc(200_000, 7);
  content.write('head', 0);
  fs.writeFileSync(file, content);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, Buffer.alloc(1000), 0, 1000, null); // move the offset
    expect(sha256OfDescriptor(fd)).toBe(createHash('sha256').update(content).digest('hex'));
  } finally {
    fs.closeSync(fd);
  }
});
