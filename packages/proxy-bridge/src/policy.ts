// The managed proxy's policy (the network keys of P8, N3-N6): compiles a profile's
// `[permissions.NAME.network]` table into a NetworkPolicy, refusing with a NetworkPolicyError that
// names the key anything malformed or anything the proxy cannot enforce, and decides requests on
// it: first on the name (deny wins, allowlist-first, port scoping, IP literals, local-binding for
// literal addresses), then on every address the name resolved to (local-binding, denied IPs).
// Pure: must NOT resolve names, open sockets, or read files.
import { posix } from 'node:path';
import { NetworkPolicyError } from './errors.js';
import { classifyIp, isNonPublicIp, type AddressClass, type IpAddress } from './ip.js';
import {
  parseHostPattern,
  patternIdentity,
  patternMatches,
  patternMatchesAddress,
  targetText,
  type HostPattern,
  type TargetHost,
} from './patterns.js';
import { parseLoopbackProxyUrl, type LoopbackEndpoint } from './routes.js';

export type NetworkMode = 'full' | 'limited';

export interface UnixSocketPolicy {
  /** `dangerously_allow_all_unix_sockets = true`. */
  readonly allowAll: boolean;
  /** Absolute paths, as written. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export interface NetworkPolicy {
  /** The key the table was compiled from (e.g. `permissions.dev.network`), for messages. */
  readonly key: string;
  /** `enabled`: the sandbox network bit (absent = false). */
  readonly enabled: boolean;
  readonly mode: NetworkMode;
  readonly allow: readonly HostPattern[];
  readonly deny: readonly HostPattern[];
  /** `allow_local_binding` (absent = false): may targets be loopback/private/link-local? */
  readonly allowLocalBinding: boolean;
  /** `enable_socks5` (absent = true). */
  readonly enableSocks5: boolean;
  /** `allow_upstream_proxy` (absent = false). */
  readonly allowUpstreamProxy: boolean;
  readonly unixSockets: UnixSocketPolicy;
  /** `proxy_url`: where the command expects the HTTP proxy (loopback), if written. */
  readonly httpListen: LoopbackEndpoint | undefined;
  /** `socks_url`: where the command expects the SOCKS5 proxy (loopback), if written. */
  readonly socksListen: LoopbackEndpoint | undefined;
  /** Things the user should know that are not errors (e.g. no allow entry: everything is blocked). */
  readonly warnings: readonly string[];
}

type Table = Readonly<Record<string, unknown>>;

const KEYS = [
  'enabled', 'proxy_url', 'enable_socks5', 'socks_url', 'enable_socks5_udp', 'allow_upstream_proxy',
  'dangerously_allow_non_loopback_proxy', 'dangerously_allow_all_unix_sockets', 'mode', 'domains',
  'unix_sockets', 'allow_local_binding', 'mitm',
] as const;

function quoteKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object' && v !== null) return 'a table';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v === 'number' || typeof v === 'bigint' ? 'the number' : `a ${typeof v}`} ${String(v)}`;
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function own(t: Table, k: string): unknown {
  return Object.hasOwn(t, k) ? t[k] : undefined;
}

function bool(t: Table, k: string, key: string, dflt: boolean): boolean {
  const v = own(t, k);
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new NetworkPolicyError(`\`${key}\` must be true or false, not ${describe(v)}`, key);
  return v;
}

function allowDenyTable(t: Table, k: string, key: string): Array<{ entry: string; key: string; value: 'allow' | 'deny' }> {
  const v = own(t, k);
  if (v === undefined) return [];
  if (!isTable(v)) throw new NetworkPolicyError(`\`${key}\` must be a table of "PATTERN" = "allow" | "deny", not ${describe(v)}`, key);
  return Object.keys(v).map((entry) => {
    const entryKey = `${key}.${quoteKey(entry)}`;
    const value = v[entry];
    if (value !== 'allow' && value !== 'deny') throw new NetworkPolicyError(`\`${entryKey}\` must be "allow" or "deny", not ${describe(value)}`, entryKey);
    return { entry, key: entryKey, value };
  });
}

function listenUrl(t: Table, k: string, key: string, schemes: readonly string[]): LoopbackEndpoint | undefined {
  const v = own(t, k);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new NetworkPolicyError(`\`${key}\` must be a URL string, not ${describe(v)}`, key);
  const parsed = parseLoopbackProxyUrl(v);
  const allowed = `allowed: ${schemes.map((s) => `${s}://127.0.0.1:PORT`).join(', ')} (or localhost, [::1])`;
  if (parsed.ok === 'empty') throw new NetworkPolicyError(`\`${key}\` is empty; ${allowed}`, key);
  if (parsed.ok === false) {
    throw new NetworkPolicyError(`\`${key}\`: ${parsed.reason}; the managed proxy listens on loopback only; ${allowed}`, key);
  }
  if (!v.includes('://') || !schemes.includes(parsed.endpoint.scheme)) throw new NetworkPolicyError(`\`${key}\` must name its scheme; ${allowed}`, key);
  return parsed.endpoint;
}

function refuseTrue(t: Table, k: string, key: string, why: string): void {
  if (bool(t, k, key, false)) throw new NetworkPolicyError(`\`${key} = true\` cannot be enforced: ${why}; remove it or set it to false`, key);
}

function compileDomains(t: Table, prefix: string): { allow: HostPattern[]; deny: HostPattern[] } {
  const allow: HostPattern[] = [];
  const deny: HostPattern[] = [];
  const seen = new Map<string, { key: string; value: 'allow' | 'deny' }>();
  for (const { entry, key, value } of allowDenyTable(t, 'domains', `${prefix}.domains`)) {
    const parsed = parseHostPattern(entry);
    if (!parsed.ok) throw new NetworkPolicyError(`\`${key}\` is not a valid host pattern: ${parsed.reason}`, key);
    const id = patternIdentity(parsed.pattern);
    const earlier = seen.get(id);
    if (earlier !== undefined && earlier.value !== value) {
      throw new NetworkPolicyError(
        `\`${key}\` = "${value}" conflicts with \`${earlier.key}\` = "${earlier.value}" (the same hosts and ports); keep one of them`,
        key,
      );
    }
    if (earlier !== undefined) continue;
    seen.set(id, { key, value });
    (value === 'allow' ? allow : deny).push(parsed.pattern);
  }
  return { allow, deny };
}

function compileUnixSockets(t: Table, prefix: string, allowAll: boolean): UnixSocketPolicy {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const { entry, key, value } of allowDenyTable(t, 'unix_sockets', `${prefix}.unix_sockets`)) {
    if (!entry.startsWith('/') || entry.includes('\0')) throw new NetworkPolicyError(`\`${key}\`: a Unix socket must be an absolute path`, key);
    const normal = posix.normalize(entry);
    if (normal !== entry) throw new NetworkPolicyError(`\`${key}\`: write the path as \`${normal}\` (no \`.\`, \`..\`, \`//\` or trailing \`/\`)`, key);
    (value === 'allow' ? allow : deny).push(entry);
  }
  if (allowAll && deny.length > 0) {
    const key = `${prefix}.dangerously_allow_all_unix_sockets`;
    throw new NetworkPolicyError(`\`${key} = true\` allows every Unix socket, which contradicts the "deny" entries of \`${prefix}.unix_sockets\`; keep one of them`, key);
  }
  return { allowAll, allow, deny };
}

export interface CompileNetworkPolicyOptions {
  /** Dotted key of the table for messages, e.g. `permissions.dev.network` (default `network`). */
  key?: string;
}

/** Compiles a `[network]` table (undefined = absent: network off, nothing allowed). */
export function compileNetworkPolicy(table: Table | undefined, opts: CompileNetworkPolicyOptions = {}): NetworkPolicy {
  const prefix = opts.key ?? 'network';
  const t: Table = table ?? {};
  if (!isTable(t)) throw new NetworkPolicyError(`\`${prefix}\` must be a table, not ${describe(t)}`, prefix);
  for (const k of Object.keys(t)) {
    if (!(KEYS as readonly string[]).includes(k)) {
      const key = `${prefix}.${quoteKey(k)}`;
      throw new NetworkPolicyError(`unknown key \`${key}\`; allowed in \`${prefix}\`: ${KEYS.join(', ')}`, key);
    }
  }
  const k = (name: string): string => `${prefix}.${name}`;
  refuseTrue(t, 'enable_socks5_udp', k('enable_socks5_udp'), 'the managed proxy does not relay SOCKS5 UDP');
  refuseTrue(t, 'dangerously_allow_non_loopback_proxy', k('dangerously_allow_non_loopback_proxy'), 'the managed proxy listens on loopback or a private Unix socket only');
  if (own(t, 'mitm') !== undefined) {
    throw new NetworkPolicyError(`\`${k('mitm')}\` cannot be enforced: the managed proxy does not intercept TLS; remove it`, k('mitm'));
  }
  const modeValue = own(t, 'mode');
  if (modeValue !== undefined && modeValue !== 'limited' && modeValue !== 'full') {
    throw new NetworkPolicyError(`\`${k('mode')}\` must be "limited" or "full", not ${describe(modeValue)}`, k('mode'));
  }
  const enableSocks5 = bool(t, 'enable_socks5', k('enable_socks5'), true);
  const httpListen = listenUrl(t, 'proxy_url', k('proxy_url'), ['http']);
  const socksListen = listenUrl(t, 'socks_url', k('socks_url'), ['socks5', 'socks5h']);
  if (socksListen !== undefined && !enableSocks5) {
    throw new NetworkPolicyError(`\`${k('socks_url')}\` is set but \`${k('enable_socks5')} = false\` turns SOCKS5 off; keep one of them`, k('socks_url'));
  }
  if (httpListen !== undefined && socksListen !== undefined && httpListen.host === socksListen.host && httpListen.port === socksListen.port) {
    throw new NetworkPolicyError(`\`${k('proxy_url')}\` and \`${k('socks_url')}\` name the same address; give them different ports`, k('socks_url'));
  }
  const { allow, deny } = compileDomains(t, prefix);
  const allowAllSockets = bool(t, 'dangerously_allow_all_unix_sockets', k('dangerously_allow_all_unix_sockets'), false);
  const warnings: string[] = [];
  if (allow.length === 0) warnings.push(`\`${k('domains')}\` has no "allow" entry, so the managed proxy blocks every request`);
  return {
    key: prefix,
    enabled: bool(t, 'enabled', k('enabled'), false),
    mode: modeValue === 'limited' ? 'limited' : 'full',
    allow,
    deny,
    allowLocalBinding: bool(t, 'allow_local_binding', k('allow_local_binding'), false),
    enableSocks5,
    allowUpstreamProxy: bool(t, 'allow_upstream_proxy', k('allow_upstream_proxy'), false),
    unixSockets: compileUnixSockets(t, prefix, allowAllSockets),
    httpListen,
    socksListen,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Decisions

/** Why a request was blocked. */
export type BlockReason = 'denylist' | 'allowlist' | 'local-address' | 'method-policy';

/** The protocol a request arrived with. */
export type ProxyProtocol = 'http' | 'connect' | 'socks5';

export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: BlockReason; readonly detail: string; readonly pattern?: string };

export type NameDecision =
  | { readonly allowed: true; /** An allow entry names this IP literal or `localhost` exactly (N5). */ readonly localExempt: boolean }
  | Exclude<Decision, { allowed: true }>;

function blocked(reason: BlockReason, detail: string, pattern?: string): Exclude<Decision, { allowed: true }> {
  return pattern === undefined ? { allowed: false, reason, detail } : { allowed: false, reason, detail, pattern };
}

function localDetail(policy: NetworkPolicy, what: string, cls: AddressClass): string {
  return `${what} is a ${cls} address and \`${policy.key}.allow_local_binding\` is false`;
}

/** First stage: the request's target as named (host or IP literal, and port). */
export function decideName(policy: NetworkPolicy, target: TargetHost, port: number): NameDecision {
  const shown = `${targetText(target)}:${port}`;
  const denied = policy.deny.find((p) => patternMatches(p, target, port));
  if (denied !== undefined) return blocked('denylist', `${shown} matches the "deny" entry \`${denied.text}\``, denied.text);
  const allowedBy = policy.allow.filter((p) => patternMatches(p, target, port));
  const localExempt = allowedBy.some((p) => p.kind === 'ip' || (p.kind === 'exact' && p.host === 'localhost'));
  if (target.kind === 'ip' && !policy.allowLocalBinding && !localExempt && isNonPublicIp(target.ip)) {
    return blocked('local-address', localDetail(policy, shown, classifyIp(target.ip)));
  }
  if (allowedBy.length === 0) return blocked('allowlist', `${shown} is not in the allowlist (\`${policy.key}.domains\`)`);
  return { allowed: true, localExempt };
}

/** Second stage: one address the allowed name resolved to, as it will be connected to. */
export function decideAddress(
  policy: NetworkPolicy,
  target: TargetHost,
  name: Extract<NameDecision, { allowed: true }>,
  address: IpAddress,
  port: number,
): Decision {
  const denied = policy.deny.find((p) => patternMatchesAddress(p, address, port));
  const shown = `${targetText(target)}:${port}`;
  if (denied !== undefined) return blocked('denylist', `${shown} resolves to an address matching the "deny" entry \`${denied.text}\``, denied.text);
  if (policy.allowLocalBinding || !isNonPublicIp(address)) return { allowed: true };
  const cls = classifyIp(address);
  // An allow entry naming the literal address, or `localhost` resolving to loopback, is the user
  // asking for exactly this local target (N5).
  if (name.localExempt && (target.kind === 'ip' || cls === 'loopback')) return { allowed: true };
  return blocked('local-address', localDetail(policy, target.kind === 'ip' ? shown : `${shown} resolves to an address that`, cls));
}

const LIMITED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The method/protocol rule of `mode` (N5). */
export function decideMethod(policy: NetworkPolicy, protocol: ProxyProtocol, method: string): Decision {
  if (policy.mode === 'full') return { allowed: true };
  if (protocol === 'http' && LIMITED_METHODS.has(method)) return { allowed: true };
  const what = protocol === 'http' ? `method ${method}` : protocol === 'connect' ? 'CONNECT (HTTPS tunnels)' : 'SOCKS5';
  return blocked(
    'method-policy',
    `${what} is not allowed: \`${policy.key}.mode\` is "limited", which allows only GET, HEAD and OPTIONS over plain HTTP (tunnels cannot be inspected)`,
  );
}

/** True when the second stage can block anything, i.e. names must be resolved before connecting. */
export function needsAddressCheck(policy: NetworkPolicy): boolean {
  return !policy.allowLocalBinding || policy.deny.some((p) => p.kind === 'ip');
}

/** The `x-proxy-error` header of a blocked HTTP request (N4). */
export function blockedHeaderValue(reason: BlockReason): 'blocked-by-allowlist' | 'blocked-by-denylist' | 'blocked-by-method-policy' {
  switch (reason) {
    case 'denylist':
      return 'blocked-by-denylist';
    case 'method-policy':
      return 'blocked-by-method-policy';
    case 'allowlist':
    case 'local-address':
      // Upstream reports a local-address block as an allowlist miss: only an allow entry for the
      // literal address (or allow_local_binding) lets it through.
      return 'blocked-by-allowlist';
  }
}
