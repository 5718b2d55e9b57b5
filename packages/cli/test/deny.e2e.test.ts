// End to end (issue 10, item 9 and the deny-glob limit): the built `codex` executable, config.toml
// as a user writes it, real bubblewrap, as root and as nobody. Deny entries and read-only carve-outs
// spelled through a symlink and `..` hide the real place; the dry run's verdict on every path is
// checked against what a real run can read; the deny-glob match limit fails closed with a message
// naming the pattern, the count and the way out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace, prepareExecutable, run, type PreparedExecutable } from './helpers/executable.js';

if (process.platform !== 'linux') throw new Error('these end-to-end tests run on Linux only');

jest.setTimeout(120_000);

let exe: PreparedExecutable;
let ws: ReturnType<typeof makeWorkspace>;
beforeAll(() => {
  exe = prepareExecutable();
});
afterAll(() => exe?.cleanup());
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

const USERS: Array<[string, boolean]> = [
  ['root', false],
  ['nobody', true],
];

function writeConfig(text: string): void {
  fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), text, { mode: 0o644 });
}

/** Files (0644) and directories (0777, so nobody can write where the policy lets it) under work/. */
function tree(files: Record<string, string>, links: Record<string, string> = {}): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(ws.work, rel);
    if (rel.endsWith('/')) {
      fs.mkdirSync(file, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: 0o644 });
  }
  for (const [rel, target] of Object.entries(links)) fs.symlinkSync(target, path.join(ws.work, rel));
  const open = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o777);
      for (const child of fs.readdirSync(p)) open(path.join(p, child));
    }
  };
  open(ws.work);
}

const PROBE = 'p() { if sh -c "$2" >/dev/null 2>&1; then echo "$1:ok"; else echo "$1:denied"; fi; }; ';

describe.each(USERS)('as %s', (_user, unprivileged) => {
  const codex = (args: readonly string[]) =>
    run(exe.path, args, {
      cwd: ws.work,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome },
      unprivileged,
    });

  test('a deny entry and a read-only carve-out spelled through a symlink and `..` cover the real places', () => {
    // work/lnk -> work/sub/dir, so work/lnk/.. is work/sub; as text it would be work.
    tree({ 'sub/dir/': '', 'sub/secret.txt': 'SECRET', 'sub/ro/r.txt': 'r' }, { lnk: 'sub/dir' });
    writeConfig(
      [
        'default_permissions = "p"',
        '[permissions.p.filesystem]',
        '":root" = "read"',
        '":workspace_roots" = "write"',
        `"${ws.work}/lnk/../secret.txt" = "none"`,
        `"${ws.work}/lnk/../ro" = "read"`,
        '',
      ].join('\n'),
    );
    const result = codex(['sandbox', '--', 'sh', '-c', `${PROBE}p secret 'cat sub/secret.txt'; p spelled 'cat lnk/../secret.txt'; p ro 'echo x > sub/ro/r.txt'; p ws 'echo x > new.txt'`]);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(['secret:denied', 'spelled:denied', 'ro:denied', 'ws:ok']);
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(ws.work, 'sub/ro/r.txt'), 'utf8')).toBe('r');
  });

  test('with many deny-glob hits the dry run (text and JSON) says codex-mask-helper makes the masks, and the run hides them', () => {
    const files: Record<string, string> = { 'plain.txt': 'P' };
    for (let i = 0; i < 40; i += 1) files[`d${i}/s.env`] = `S${i}`;
    tree(files);
    writeConfig(['default_permissions = "p"', '[permissions.p]', 'extends = ":read-only"', '[permissions.p.filesystem]', 'glob_scan_max_depth = 3', '[permissions.p.filesystem.":workspace_roots"]', '"**/*.env" = "none"', ''].join('\n'));
    const dry = codex(['sandbox', '--dry-run', '--', 'true']);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/^backend .*, 40 deny masks made by codex-mask-helper$/m);
    expect(dry.stdout).toMatch(/^masks\s+40 deny masks, made by codex-mask-helper in the sandbox/m);
    const json = JSON.parse(codex(['sandbox', '--dry-run', '--json', '--', 'true']).stdout) as { backend: string; argv: string[] };
    expect(json.backend).toMatch(/40 deny masks made by codex-mask-helper$/);
    expect(json.argv).toContain('/dev/.codex-masks/helper');
    const real = codex(['sandbox', '--', 'sh', '-c', `${PROBE}p s0 'cat d0/s.env'; p s39 'cat d39/s.env'; p plain 'cat plain.txt'`]);
    expect(real.stderr).toBe('');
    expect(real.stdout.split('\n').filter(Boolean)).toEqual(['s0:denied', 's39:denied', 'plain:ok']);
  });

  test('the dry run claims no more than the run enforces, and says what it cannot enforce', () => {
    const outside = path.join(ws.root, 'outside');
    fs.mkdirSync(outside, { mode: 0o755 });
    fs.writeFileSync(path.join(outside, 'o.env'), 'OUT', { mode: 0o644 });
    tree(
      {
        'a.env': 'A',
        'dir.env/inner.txt': 'IN',
        'data/t.txt': 'T',
        'x/y/z.env': 'DEEP',
        'sub/dir/': '',
        'sub/secret.txt': 'SECRET',
        'plain.txt': 'P',
      },
      { 'link.env': 'data/t.txt', outlink: outside, lnk: 'sub/dir' },
    );
    fs.linkSync(path.join(ws.work, 'sub/secret.txt'), path.join(ws.work, 'hard.txt'));
    writeConfig(
      [
        'default_permissions = "p"',
        '[permissions.p.filesystem]',
        'glob_scan_max_depth = 2',
        '":root" = "read"',
        `"${ws.work}/lnk/../secret.txt" = "none"`,
        '[permissions.p.filesystem.":workspace_roots"]',
        '"." = "write"',
        '"**/*.env" = "none"',
        '',
      ].join('\n'),
    );
    const args = ['./a.env', './dir.env/inner.txt', './link.env', './data/t.txt', './x/y/z.env', './outlink/o.env', './sub/secret.txt', './lnk/../secret.txt', './hard.txt', './plain.txt', './later.env'];
    const dry = codex(['sandbox', '--dry-run', '--', 'cat', ...args]);
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
    const notes = dry.stdout.split('\n').filter((line) => /^note\s+\/.* is (denied|read-only|writable) inside the sandbox/.test(line));
    expect(notes).toHaveLength(args.length);
    const verdicts = notes.map((line) => (/ is denied inside/.test(line) ? 'denied' : 'ok'));
    // The same paths, read for real in the sandbox.
    const real = codex(['sandbox', '--', 'sh', '-c', `${PROBE}${args.map((a, i) => `p ${i} 'cat ${a}'`).join('; ')}`]);
    expect(real.stderr).toBe('');
    const actual = real.stdout.split('\n').filter(Boolean).map((line) => line.split(':')[1]);
    // later.env does not exist, so cat fails for that reason: the dry run says it is not masked.
    expect(verdicts).toEqual(['denied', 'denied', 'denied', 'denied', 'ok', 'ok', 'denied', 'denied', 'ok', 'ok', 'ok']);
    expect(actual).toEqual(['denied', 'denied', 'denied', 'denied', 'ok', 'ok', 'denied', 'denied', 'ok', 'ok', 'denied']);

    const noteFor = (arg: string): string => notes[args.indexOf(arg)] ?? '';
    expect(noteFor('./x/y/z.env')).toContain(`matches deny glob ${ws.work}/**/*.env, but the scan at launch did not reach it`);
    expect(noteFor('./outlink/o.env')).toContain(`matches deny glob ${ws.work}/**/*.env, but the scan at launch did not reach it`);
    expect(noteFor('./later.env')).toContain('but it does not exist at launch: created later, it is not masked');
    expect(noteFor('./sub/secret.txt')).toContain('it has 2 hard links: its other names stay readable unless they are denied too');
    // The `..` is shown where the kernel takes it.
    expect(noteFor('./lnk/../secret.txt')).toMatch(new RegExp(`^note\\s+${ws.work}/sub/secret.txt is denied inside the sandbox`));
    expect(dry.stdout).toContain(`  masked at launch (3):\n               ${ws.work}/a.env\n               ${ws.work}/data/t.txt\n               ${ws.work}/dir.env\n`);
    expect(dry.stdout).toContain('not enforceable: another hard link to a denied file stays readable under its own name');
  });

  test('a command that creates more deny-glob matches than the limit: later runs refuse, saying which pattern, how many, and what to do', () => {
    writeConfig(
      ['default_permissions = "p"', '[permissions.p]', 'extends = ":workspace"', '[permissions.p.filesystem]', 'glob_scan_max_depth = 3', '[permissions.p.filesystem.":workspace_roots"]', '"**/*.log" = "none"', ''].join('\n'),
    );
    const create = codex(['sandbox', '--', 'sh', '-c', 'mkdir logs && cd logs && i=0; while [ $i -le 8192 ]; do : > f$i.log; i=$((i+1)); done; echo made']);
    expect(create.stdout).toContain('made');
    expect(create.status).toBe(0);
    const later = codex(['sandbox', '--', 'true']);
    expect(later.status).toBe(1);
    expect(later.stderr).toBe(
      `codex sandbox: deny-read glob \`${ws.work}/**/*.log\` matched 8193 paths under ${ws.work}; a sandbox can mask at most 8192 per search directory, so it refuses to run. ` +
        "Narrow the pattern (a longer directory prefix or a more specific name), set `glob_scan_max_depth` in the profile's `filesystem` table to scan fewer levels, or remove the matching files.\n",
    );
  });
});
