// End to end: a front end installed inside a writable root (a project's node_modules/.bin) is
// read-only to the commands it sandboxes, so no command can rewrite what the next run executes on
// the host. Root and nobody.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { makeWorkspace, prepareExecutable, run, type PreparedExecutable } from './helpers/executable.js';

let exe: PreparedExecutable;
let ws: ReturnType<typeof makeWorkspace>;
beforeAll(() => {
  exe = prepareExecutable();
});
afterAll(() => exe.cleanup());
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

/** Installs a copy of the executable and its resources under `<work>/node_modules/.bin`. */
function installInWorkspace(): string {
  const bin = path.join(ws.work, 'node_modules', '.bin');
  fs.mkdirSync(path.join(bin, 'codex-resources'), { recursive: true, mode: 0o777 });
  for (const dir of [path.join(ws.work, 'node_modules'), bin, path.join(bin, 'codex-resources')]) fs.chmodSync(dir, 0o777);
  fs.copyFileSync(exe.path, path.join(bin, 'codex'));
  fs.chmodSync(path.join(bin, 'codex'), 0o777);
  fs.copyFileSync(path.join(exe.dir, 'codex-resources', 'bwrap'), path.join(bin, 'codex-resources', 'bwrap'));
  fs.chmodSync(path.join(bin, 'codex-resources', 'bwrap'), 0o777);
  fs.copyFileSync(path.join(exe.dir, 'package.json'), path.join(bin, 'package.json'));
  return path.join(bin, 'codex');
}

it.each([false, true])('the front end and its resources are read-only inside a :workspace run (unprivileged: %p)', (unprivileged) => {
  const codex = installInWorkspace();
  const before = fs.readFileSync(codex);
  const script = [
    `(echo 'echo PWNED' > node_modules/.bin/codex) 2>/dev/null && echo exe:written || echo exe:denied`,
    `(echo x > node_modules/.bin/codex-resources/bwrap) 2>/dev/null && echo bwrap:written || echo bwrap:denied`,
    `(echo x > node_modules/.bin/codex-resources/extra) 2>/dev/null && echo resources:written || echo resources:denied`,
    `(echo x > elsewhere) 2>/dev/null && echo workspace:written || echo workspace:denied`,
  ].join('; ');
  const result = run(codex, ['sandbox', '-P', ':workspace', '--', 'sh', '-c', script], {
    cwd: ws.work,
    env: { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome },
    unprivileged,
  });
  expect(result.stdout.split('\n').filter((l) => l !== '')).toEqual(['exe:denied', 'bwrap:denied', 'resources:denied', 'workspace:written']);
  expect(fs.readFileSync(codex).equals(before)).toBe(true);
});
