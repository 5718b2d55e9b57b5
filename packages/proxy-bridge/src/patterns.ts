// Host patterns of `network.domains` (exact host, `*.x` subdomains only, `**.x` apex and
// subdomains, IP literals, each with an optional `:port`), the one normalised form of a request's
// target host, and matching between the two. Lower case and one trailing dot removed are the only
// normalisations; everything else that is not a plain host name is refused with the reason.
// Pure: must NOT resolve names, open sockets, or know about allow/deny (that is policy.ts).
import { domainToASCII } from 'node:url';
import { getPublicSuffix } from 'tldts-icann';
import { formatIp, parseIp, unmapIp, type IpAddress } from './ip.js';

export type HostPatternKind = 'exact' | 'subdomains' | 'apex-and-subdomains' | 'ip';

export interface HostPattern {
  /** The pattern as written (the TOML key). */
  readonly text: string;
  readonly kind: HostPatternKind;
  /** Lower-case host (for wildcards, the part after `*.` / `**.`), or the canonical IP text. */
  readonly host: string;
  /** Only this port matches; undefined = any port. */
  readonly port: number | undefined;
}

/** A request's target host in its one normalised form. */
export type TargetHost =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'ip'; readonly ip: IpAddress; readonly text: string };

export type PatternParse = { ok: true; pattern: HostPattern } | { ok: false; reason: string };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// WHATWG URL parsers read a host whose last label is a number as an IPv4 address: such a name
// would never be connected to under its own spelling.
const NUMERIC_LAST_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const MAX_NAME_LENGTH = 253;

/** Why `name` (lower case, no trailing dot) is not a host name, or undefined when it is one. */
export function hostNameProblem(name: string): string | undefined {
  if (name === '') return 'the host name is empty';
  if (name.length > MAX_NAME_LENGTH) return `the host name is longer than ${MAX_NAME_LENGTH} characters`;
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') return 'the host name has an empty label (`..`, or a leading dot)';
    if (!LABEL.test(label)) {
      return `the label \`${label}\` is not a host name label (letters, digits, \`-\` and \`_\`, at most 63, no \`-\` at either end)`;
    }
  }
  if (NUMERIC_LAST_LABEL.test(labels[labels.length - 1] ?? '')) {
    return 'the last label is a number: write an IP address as four decimal numbers (`192.0.2.1`) or in brackets (`[2001:db8::1]`)';
  }
  return undefined;
}

/** A port written as decimal digits, 1-65535. */
export function parsePort(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

function isSuffix(name: string): boolean {
  return !name.includes('.') || getPublicSuffix(name, { validateHostname: false }) === name;
}

/**
 * True when a wildcard under `name` would cover domains registered by different owners: `name`
 * is itself a public suffix (ICANN section: `com`, `co.uk`), or its children are (`kawasaki.jp`,
 * whose `*.kawasaki.jp` rule makes every `x.kawasaki.jp` a suffix).
 */
export function isPublicSuffix(name: string): boolean {
  return isSuffix(name) || isSuffix(`codex-probe.${name}`);
}

function splitHostPort(text: string): { host: string; port: string | undefined } | { error: string } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { error: 'a `[` opens an IPv6 address that no `]` closes' };
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { error: 'only `:PORT` may follow the `]` of an IPv6 address' };
    return { host: text.slice(1, close), port: rest === '' ? undefined : rest.slice(1) };
  }
  const colons = text.split(':').length - 1;
  if (colons >= 2) return { host: text, port: undefined }; // a bare IPv6 address, no port
  if (colons === 1) {
    const at = text.indexOf(':');
    return { host: text.slice(0, at), port: text.slice(at + 1) };
  }
  return { host: text, port: undefined };
}

const ALLOWED_FORMS =
  'allowed: `host.example`, `*.example.com` (subdomains), `**.example.com` (the domain and its subdomains), ' +
  'an IP address (`192.0.2.1`, `[2001:db8::1]`), each optionally with `:PORT`';

/** Parses one `domains` key. */
export function parseHostPattern(text: string): PatternParse {
  const fail = (reason: string): PatternParse => ({ ok: false, reason });
  if (text === '') return fail(`the pattern is empty; ${ALLOWED_FORMS}`);
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return fail('the pattern contains whitespace or a control character');
  if (/[^\u0000-\u007f]/.test(text)) {
    const ascii = domainToASCII(text.toLowerCase());
    return fail(`the pattern is not ASCII; write internationalised names in their ASCII form${ascii !== '' ? ` (\`${ascii}\`)` : ''}`);
  }
  if (/[/?#@\\%]/.test(text)) return fail(`the pattern is a URL or contains \`/ ? # @ \\ %\`; write only the host, ${ALLOWED_FORMS}`);
  const split = splitHostPort(text.toLowerCase());
  if ('error' in split) return fail(split.error);
  let port: number | undefined;
  if (split.port !== undefined) {
    port = parsePort(split.port);
    if (port === undefined) return fail(`the port \`${split.port}\` is not a number from 1 to 65535`);
  }
  let host = split.host;
  const bracketed = text.startsWith('[');
  if (bracketed || host.includes(':')) {
    const ip = parseIp(host);
    if (ip === undefined || ip.family !== 6) return fail(`\`${host}\` is not an IPv6 address`);
    return { ok: true, pattern: { text, kind: 'ip', host: formatIp(unmapIp(ip)), port } };
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '*' || host === '**') return fail(`a bare \`${host}\` would allow or deny every host; ${ALLOWED_FORMS}`);
  let kind: HostPatternKind = 'exact';
  if (host.startsWith('**.')) {
    kind = 'apex-and-subdomains';
    host = host.slice(3);
  } else if (host.startsWith('*.')) {
    kind = 'subdomains';
    host = host.slice(2);
  }
  if (host.includes('*')) return fail(`a wildcard may only be the whole first label (\`*.\` or \`**.\`); ${ALLOWED_FORMS}`);
  const ip = parseIp(host);
  if (ip !== undefined) {
    if (kind !== 'exact') return fail('a wildcard cannot apply to an IP address');
    return { ok: true, pattern: { text, kind: 'ip', host: formatIp(unmapIp(ip)), port } };
  }
  const problem = hostNameProblem(host);
  if (problem !== undefined) return fail(problem);
  if (kind !== 'exact' && isPublicSuffix(host)) {
    return fail(`\`${host}\` is a public suffix, so the wildcard would cover every domain registered under it; name a registrable domain (e.g. \`*.example.${host}\`)`);
  }
  return { ok: true, pattern: { text, kind, host, port } };
}

/**
 * The normalised target host of a request (absolute-URI host, CONNECT authority host, SOCKS5
 * domain or address), or undefined when it is not a host name or IP address. URL-style host
 * parsing applies (IDNA to ASCII, IPv4 in any URL spelling to a dotted quad), so the name decided
 * on is the name resolved.
 */
export function parseTargetHost(raw: string): TargetHost | undefined {
  let text = raw;
  const bracketed = text.startsWith('[') && text.endsWith(']');
  if (bracketed) text = text.slice(1, -1);
  if (bracketed || text.includes(':')) {
    const ip = parseIp(text);
    if (ip === undefined) return undefined;
    const canonical = unmapIp(ip);
    return { kind: 'ip', ip: canonical, text: formatIp(canonical) };
  }
  if (text === '' || /[\s\u0000-\u001f\u007f/?#@\\%[\]*]/.test(text)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  const ip = parseIp(host);
  if (ip !== undefined) return { kind: 'ip', ip, text: formatIp(ip) };
  if (hostNameProblem(host) !== undefined) return undefined;
  return { kind: 'name', name: host };
}

/** The target's text form: the name, or the canonical IP. */
export function targetText(t: TargetHost): string {
  return t.kind === 'name' ? t.name : t.text;
}

/** Does `pattern` cover `target` on `port`? */
export function patternMatches(pattern: HostPattern, target: TargetHost, port: number): boolean {
  if (pattern.port !== undefined && pattern.port !== port) return false;
  if (pattern.kind === 'ip') return target.kind === 'ip' && target.text === pattern.host;
  if (target.kind !== 'name') return false;
  const name = target.name;
  switch (pattern.kind) {
    case 'exact':
      return name === pattern.host;
    case 'subdomains':
      return name.endsWith(`.${pattern.host}`);
    case 'apex-and-subdomains':
      return name === pattern.host || name.endsWith(`.${pattern.host}`);
  }
}

/** Does an IP pattern cover the address actually connected to? (Used for deny entries.) */
export function patternMatchesAddress(pattern: HostPattern, address: IpAddress, port: number): boolean {
  if (pattern.kind !== 'ip') return false;
  if (pattern.port !== undefined && pattern.port !== port) return false;
  return formatIp(unmapIp(address)) === pattern.host;
}

/** Identity of a pattern for conflict detection: same kind, host and port. */
export function patternIdentity(p: HostPattern): string {
  return `${p.kind}|${p.host}|${p.port ?? '*'}`;
}
