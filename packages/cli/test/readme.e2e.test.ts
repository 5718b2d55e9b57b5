// The root README's "Writing a profile" examples, executed: each ```toml block becomes the
// config.toml of a fresh home, and the ```console block after it is run line by line with the
// built executable as `codex` on PATH, as root and as nobody, in an empty workspace. A `$ ` line
// is a shell command; the lines after it are its exact output (stdout and stderr together), with
// `$HOME` and `$PWD` standing for the home and workspace directories.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareExecutable, type PreparedExecutable } from './helpers/executable.js';

const README = path.join(process.env['CODEX_REPO_ROOT'] ?? path.resolve(__dirname, '..', '..', '..'), 'README.md');

interface Step {
  command: string;
  output: string[];
}

interface Example {
  title: string;
  config: string;
  steps: Step[];
}

/** The fenced blocks of a markdown text, with the text between them. */
function fencedBlocks(text: string): Array<{ lang: string; body: string; before: string }> {
  const blocks: Array<{ lang: string; body: string; before: string }> = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let last = 0;
  for (const match of text.matchAll(fence)) {
    blocks.push({ lang: match[1] ?? '', body: match[2] ?? '', before: text.slice(last, match.index) });
    last = (match.index ?? 0) + match[0].length;
  }
  return blocks;
}

function parseSession(body: string): Step[] {
  const steps: Step[] = [];
  for (const line of body.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
    else if (steps.length === 0) throw new Error(`console block starts with output, not a $ line: ${line}`);
    else steps[steps.length - 1]?.output.push(line);
  }
  return steps;
}

/** Every toml block of the section, each with the console block that must follow it. */
function examples(): Example[] {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf('\n## Writing a profile\n');
  if (start < 0) throw new Error('README.md has no "## Writing a profile" section');
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? text.length : next);
  const blocks = fencedBlocks(section);
  const out: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'toml') return;
    const session = blocks[i + 1];
    if (session?.lang !== 'console') throw new Error(`the toml block #${out.length + 1} of "Writing a profile" is not followed by a console block`);
    const title = /\*\*([^*]+)\*\*[^*]*$/.exec(block.before)?.[1] ?? `example ${out.length + 1}`;
    out.push({ title, config: block.body, steps: parseSession(session.body) });
  });
  return out;
}

const EXAMPLES = examples();

let exe: PreparedExecutable;
beforeAll(() => {
  exe = prepareExecutable();
});
afterAll(() => exe?.cleanup());

test('the section has the examples it promises (three or more, each with a session)', () => {
  expect(EXAMPLES.length).toBeGreaterThanOrEqual(3);
  for (const example of EXAMPLES) expect(example.steps.length).toBeGreaterThan(0);
});

describe.each([
  ['root', 0],
  ['nobody', 65534],
])('as %s', (_who, uid) => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join('/tmp', 'codex-readme-'));
    fs.chmodSync(root, 0o755);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test.each(EXAMPLES.map((e) => [e.title, e] as const))('%s', (_title, example) => {
    const home = path.join(root, 'home');
    const work = path.join(root, 'work');
    const codexHome = path.join(home, '.codex');
    for (const dir of [home, codexHome, work]) {
      fs.mkdirSync(dir, { recursive: true });
      fs.chownSync(dir, uid, uid);
    }
    fs.writeFileSync(path.join(codexHome, 'config.toml'), example.config);
    fs.chmodSync(path.join(codexHome, 'config.toml'), 0o644);
    const env = { PATH: `${exe.dir}:/usr/bin:/bin`, HOME: home, CODEX_HOME: codexHome };
    for (const step of example.steps) {
      const script = `exec 2>&1\n${step.command}\n`;
      const [file, args] = uid === 0 ? ['sh', ['-c', script]] : ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'sh', '-c', script]];
      const result = spawnSync(file, args as string[], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
      const expected = step.output.map((line) => line.replaceAll('$HOME', home).replaceAll('$PWD', work));
      const lines = result.stdout === '' ? [] : result.stdout.replace(/\n$/, '').split('\n');
      expect({ command: step.command, output: lines }).toEqual({
        command: step.command,
        output: expected,
      });
    }
  });
});
