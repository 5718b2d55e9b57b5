import path from 'node:path';

import { resolveEntry } from '../src/paths.js';

describe('resolveEntry (a PATH entry and a command name, as path.resolve joins them)', () => {
  const cases: Array<[string, string, string, string]> = [
    ['/w', '/usr/bin', 'ls', '/usr/bin/ls'],
    ['/w', '/', 'ls', '/ls'],
    ['/w', '', 'ls', '/w/ls'],
    ['/w', 'bin', 'ls', '/w/bin/ls'],
    ['/w', './bin', 'ls', '/w/bin/ls'],
    ['/w/x', '../bin', 'ls', '/w/bin/ls'],
    ['/w', '/usr//bin', 'ls', '/usr/bin/ls'],
    ['/w', '/usr/bin/', 'ls', '/usr/bin/ls'],
    ['/w', '/usr/./bin', 'ls', '/usr/bin/ls'],
    ['/w', '/usr/lib/../bin', 'ls', '/usr/bin/ls'],
    ['/w', '/usr/bin/..', 'ls', '/usr/ls'],
    ['/w', '/usr/bin', '.', '/usr/bin'],
    ['/w', '/usr/bin', '..', '/usr'],
    ['/w', '/opt/.hidden/bin', '.ls', '/opt/.hidden/bin/.ls'],
    ['/w', '/opt/...', 'ls', '/opt/.../ls'],
  ];
  it.each(cases)('base %s, entry %j, name %j -> %s', (base, entry, name, expected) => {
    expect(resolveEntry(base, entry, name)).toBe(expected);
  });

  it('agrees with path.resolve on generated entries and names', () => {
    const parts = ['', '.', '..', 'a', '.a', '..a', '...', 'b c'];
    let checked = 0;
    for (const lead of ['/', '']) {
      for (const p1 of parts) {
        for (const p2 of parts) {
          for (const tail of ['', '/']) {
            const entry = `${lead}${p1}/${p2}${tail}`;
            for (const name of ['ls', '.', '..', '.x']) {
              expect(resolveEntry('/base/dir', entry, name)).toBe(path.resolve('/base/dir', entry === '' ? '.' : entry, name));
              checked += 1;
            }
          }
        }
      }
    }
    expect(checked).toBe(2 * parts.length * parts.length * 2 * 4);
  });
});
