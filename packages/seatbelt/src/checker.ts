// Owns the structural check of a generated Seatbelt policy: it parses the SBPL text as
// s-expressions and checks it against the closed vocabulary this backend emits (operations,
// filters, their argument shapes), that every `(param "X")` is defined by exactly one `-D` and
// every `-D` is used, that paths are absolute, and that each regex literal is anchored and
// compiles. Pure. Must NOT accept anything outside the vocabulary: a new rule means a new entry
// here, on purpose.

type Node = { kind: 'list'; items: Node[] } | { kind: 'symbol'; text: string } | { kind: 'string'; text: string } | { kind: 'regex'; text: string } | { kind: 'number'; text: string };

/** Operations the generator may allow or deny. */
export const OPERATIONS: ReadonlySet<string> = new Set([
  'default',
  'process-exec',
  'process-fork',
  'signal',
  'process-info*',
  'file-read*',
  'file-read-metadata',
  'file-write*',
  'file-write-data',
  'file-write-unlink',
  'file-ioctl',
  'sysctl-read',
  'sysctl-write',
  'iokit-open',
  'mach-lookup',
  'ipc-posix-sem',
  'ipc-posix-shm-read*',
  'ipc-posix-shm-read-data',
  'ipc-posix-shm-write-create',
  'ipc-posix-shm-write-unlink',
  'pseudo-tty',
  'user-preference-read',
  'system-socket',
  'network-bind',
  'network-inbound',
  'network-outbound',
]);

/** Filters and the shape of their arguments. */
const STRING_FILTERS = new Set(['sysctl-name', 'sysctl-name-prefix', 'iokit-user-client-class', 'global-name', 'local-name', 'ipc-posix-name-prefix', 'extension']);
const REGEX_FILTERS = new Set(['regex', 'sysctl-name-regex', 'ipc-posix-name-regex']);
const PATH_FILTERS = new Set(['literal', 'subpath']);
const COMBINATORS = new Set(['require-all', 'require-any', 'require-not']);
const VNODE_TYPES = new Set(['DIRECTORY', 'REGULAR-FILE', 'CHARACTER-DEVICE', 'SYMLINK']);
const SOCKET_DOMAINS = new Set(['AF_UNIX', 'AF_SYSTEM']);
/** `ip "HOST:PORT"` as the network section writes it. */
const IP_ADDRESS = /^(\*|localhost):(\*|[1-9][0-9]{0,4})$/;
const PARAM_KEY = /^[A-Z][A-Z0-9_]*$/;

export interface CheckResult {
  problems: string[];
}

function tokenize(text: string, problems: string[]): Node[] {
  const stack: Node[][] = [[]];
  let i = 0;
  const top = (): Node[] => stack[stack.length - 1] as Node[];
  const readQuoted = (start: number): { text: string; end: number } | undefined => {
    let out = '';
    for (let j = start; j < text.length; j += 1) {
      const c = text[j] as string;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === undefined) break;
        // In a regex literal the backslash stays (the regex engine reads it); `\"` is a quote.
        out += next === '"' ? '"' : `${c}${next}`;
        j += 1;
      } else if (c === '"') return { text: out, end: j + 1 };
      else out += c;
    }
    return undefined;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ';') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (/\s/.test(c)) i += 1;
    else if (c === '(') {
      stack.push([]);
      i += 1;
    } else if (c === ')') {
      if (stack.length === 1) {
        problems.push(`unbalanced ')' at offset ${i}`);
        return [];
      }
      const items = stack.pop() as Node[];
      top().push({ kind: 'list', items });
      i += 1;
    } else if (c === '"' || (c === '#' && text[i + 1] === '"')) {
      const isRegex = c === '#';
      const quoted = readQuoted(i + (isRegex ? 2 : 1));
      if (quoted === undefined) {
        problems.push(`unterminated string at offset ${i}`);
        return [];
      }
      // Plain strings: only `\"` and `\\` are escapes.
      const value = isRegex ? quoted.text : quoted.text.replace(/\\\\/g, '\\');
      top().push({ kind: isRegex ? 'regex' : 'string', text: value });
      i = quoted.end;
    } else {
      const m = /^[^\s()";]+/.exec(text.slice(i));
      const word = m?.[0] ?? c;
      top().push(/^[0-9]+$/.test(word) ? { kind: 'number', text: word } : { kind: 'symbol', text: word });
      i += word.length;
    }
  }
  if (stack.length !== 1) problems.push(`${stack.length - 1} unclosed '('`);
  return stack[0] as Node[];
}

function show(node: Node): string {
  if (node.kind === 'list') return `(${node.items.map(show).join(' ')})`;
  if (node.kind === 'string') return JSON.stringify(node.text);
  if (node.kind === 'regex') return `#"${node.text}"`;
  return node.text;
}

class Checker {
  readonly problems: string[] = [];
  readonly used = new Map<string, number>();

  constructor(private readonly params: ReadonlyMap<string, string>) {}

  private fail(message: string, node: Node): void {
    this.problems.push(`${message}: ${show(node).slice(0, 160)}`);
  }

  private regex(node: Node): void {
    if (node.kind !== 'regex') return this.fail('expected a regex literal', node);
    if (!node.text.startsWith('^')) this.fail('regex is not anchored with ^', node);
    try {
      new RegExp(node.text);
    } catch (error) {
      this.fail(`regex does not compile (${(error as Error).message})`, node);
    }
  }

  /** A path argument: an absolute string, or `(param "K")` naming a defined absolute path. */
  private pathArg(node: Node): void {
    if (node.kind === 'string') {
      if (!node.text.startsWith('/')) this.fail('path is not absolute', node);
      return;
    }
    if (node.kind === 'list' && node.items.length === 2 && node.items[0]?.kind === 'symbol' && node.items[0].text === 'param' && node.items[1]?.kind === 'string') {
      const key = node.items[1].text;
      if (!PARAM_KEY.test(key)) this.fail('parameter name is not UPPER_SNAKE', node);
      this.used.set(key, (this.used.get(key) ?? 0) + 1);
      const value = this.params.get(key);
      if (value === undefined) this.fail(`parameter ${key} is not defined by any -D`, node);
      else if (!value.startsWith('/')) this.fail(`parameter ${key}=${value} is not an absolute path`, node);
      return;
    }
    this.fail('expected a path string or (param "K")', node);
  }

  private args(head: string, rest: Node[], node: Node, count: number): boolean {
    if (rest.length !== count) {
      this.fail(`${head} takes ${count} argument(s)`, node);
      return false;
    }
    return true;
  }

  filter(node: Node): void {
    if (node.kind !== 'list' || node.items[0]?.kind !== 'symbol') return this.fail('expected a filter', node);
    const head = node.items[0].text;
    const rest = node.items.slice(1);
    if (PATH_FILTERS.has(head)) {
      if (this.args(head, rest, node, 1)) this.pathArg(rest[0] as Node);
    } else if (REGEX_FILTERS.has(head)) {
      if (this.args(head, rest, node, 1)) this.regex(rest[0] as Node);
    } else if (STRING_FILTERS.has(head)) {
      if (this.args(head, rest, node, 1) && rest[0]?.kind !== 'string') this.fail(`${head} takes a string`, node);
    } else if (COMBINATORS.has(head)) {
      if (rest.length === 0 || (head === 'require-not' && rest.length !== 1)) this.fail(`${head} has the wrong number of filters`, node);
      rest.forEach((f) => this.filter(f));
    } else if (head === 'vnode-type') {
      if (this.args(head, rest, node, 1) && !(rest[0]?.kind === 'symbol' && VNODE_TYPES.has(rest[0].text))) this.fail('unknown vnode type', node);
    } else if (head === 'target') {
      if (this.args(head, rest, node, 1) && !(rest[0]?.kind === 'symbol' && rest[0].text === 'same-sandbox')) this.fail('target must be same-sandbox', node);
    } else if (head === 'socket-domain') {
      if (this.args(head, rest, node, 1) && !(rest[0]?.kind === 'symbol' && SOCKET_DOMAINS.has(rest[0].text))) this.fail('unknown socket domain', node);
    } else if (head === 'socket-protocol') {
      if (this.args(head, rest, node, 1) && rest[0]?.kind !== 'number') this.fail('socket-protocol takes a number', node);
    } else if (head === 'local' || head === 'remote') {
      this.endpoint(head, rest, node);
    } else {
      this.fail(`filter ${head} is not in the vocabulary`, node);
    }
  }

  private endpoint(head: string, rest: Node[], node: Node): void {
    const kind = rest[0];
    if (kind?.kind === 'symbol' && kind.text === 'ip' && rest.length === 2 && rest[1]?.kind === 'string') {
      const port = Number(rest[1].text.split(':')[1]);
      if (!IP_ADDRESS.test(rest[1].text) || (Number.isInteger(port) && (port < 1 || port > 65535))) this.fail('ip endpoint is not HOST:PORT', node);
      return;
    }
    if (kind?.kind === 'symbol' && kind.text === 'unix-socket' && rest.length <= 2) {
      if (rest[1] !== undefined) this.filter(rest[1]);
      return;
    }
    this.fail(`${head} endpoint is malformed`, node);
  }

  rule(node: Node): void {
    if (node.kind !== 'list' || node.items[0]?.kind !== 'symbol') return this.fail('expected a rule', node);
    const [head, ...rest] = node.items;
    if (head.text !== 'allow' && head.text !== 'deny') return this.fail(`form ${head.text} is not in the vocabulary`, node);
    let i = 0;
    for (; i < rest.length && rest[i]?.kind === 'symbol'; i += 1) {
      const op = (rest[i] as { text: string }).text;
      if (!OPERATIONS.has(op)) this.fail(`operation ${op} is not in the vocabulary`, node);
    }
    if (i === 0) this.fail('rule names no operation', node);
    rest.slice(i).forEach((f) => this.filter(f));
  }
}

/** Checks `text` with the `-D` definitions `params`; `problems` is empty when it is well formed. */
export function checkSeatbeltPolicy(text: string, params: ReadonlyArray<readonly [string, string]>): CheckResult {
  const problems: string[] = [];
  const forms = tokenize(text, problems);
  if (problems.length > 0) return { problems };
  const defined = new Map<string, string>();
  for (const [key, value] of params) {
    if (defined.has(key)) problems.push(`parameter ${key} is defined more than once`);
    defined.set(key, value);
  }
  const checker = new Checker(defined);
  const [first, second, ...rules] = forms;
  if (first === undefined || show(first) !== '(version 1)') problems.push('the policy does not start with (version 1)');
  if (second === undefined || show(second) !== '(deny default)') problems.push('the second form is not (deny default)');
  rules.forEach((rule) => checker.rule(rule));
  problems.push(...checker.problems);
  for (const key of defined.keys()) if (!checker.used.has(key)) problems.push(`parameter ${key} is defined but never used`);
  return { problems };
}

/** The plain (non-regex) string literals of an SBPL text, in order (for tests and audits). */
export function plainStringLiterals(text: string): string[] {
  const out: string[] = [];
  const walk = (nodes: Node[]): void => {
    for (const node of nodes) {
      if (node.kind === 'string') out.push(node.text);
      else if (node.kind === 'list') walk(node.items);
    }
  };
  walk(tokenize(text, []));
  return out;
}
