// Proxy routing of the environment (N1, N2, N7, N8, N12): which proxy
// variables name a loopback endpoint, the routes a network-namespace bridge must carry, the URL
// rewrite for the in-namespace listener, and the environment a command gets while the managed
// proxy runs. Pure: must NOT open sockets, read the process environment, or route anything to a
// non-loopback endpoint.
import { ProxyRouteError } from './errors.js';
import { parsePort } from './patterns.js';

/** Proxy variables the bridge routes (N1); matched case-insensitively. */
export const PROXY_ENV_KEYS = [
  'HTTP_PROXY', 'HTTPS_PROXY', 'WS_PROXY', 'WSS_PROXY', 'ALL_PROXY', 'FTP_PROXY',
  'YARN_HTTP_PROXY', 'YARN_HTTPS_PROXY', 'NPM_CONFIG_HTTP_PROXY', 'NPM_CONFIG_HTTPS_PROXY',
  'NPM_CONFIG_PROXY', 'BUNDLE_HTTP_PROXY', 'BUNDLE_HTTPS_PROXY', 'PIP_PROXY',
  'DOCKER_HTTP_PROXY', 'DOCKER_HTTPS_PROXY',
] as const;

export type ProxyEnvKey = (typeof PROXY_ENV_KEYS)[number];

/** `NO_PROXY` family (N2). */
export const NO_PROXY_ENV_KEYS = ['NO_PROXY', 'no_proxy', 'npm_config_noproxy', 'NPM_CONFIG_NOPROXY', 'YARN_NO_PROXY', 'BUNDLE_NO_PROXY'] as const;

/** Variables that carry SOCKS when SOCKS5 is enabled, else the HTTP proxy (N2). */
const SOCKS_CAPABLE_KEYS: ReadonlySet<string> = new Set(['ALL_PROXY', 'FTP_PROXY']);

/** The local-binding `NO_PROXY` value (N2). */
export const LOCAL_NO_PROXY = 'localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16';

/** Extra variables the managed proxy owns; an inherited value never reaches the command. */
const OTHER_MANAGED_KEYS = [
  'CODEX_NETWORK_PROXY_ACTIVE', 'CODEX_NETWORK_ALLOW_LOCAL_BINDING', 'CODEX_NETWORK_PROXY_ATTRIBUTION',
  'ELECTRON_GET_USE_PROXY', 'NODE_USE_ENV_PROXY',
];

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoopbackEndpoint {
  /** Lower-case scheme as written, or `http` when none was. */
  readonly scheme: string;
  /** `127.0.0.1` (also for `localhost`) or `::1`. */
  readonly host: '127.0.0.1' | '::1';
  readonly port: number;
}

export type EndpointParse = { ok: true; endpoint: LoopbackEndpoint } | { ok: false; reason: string } | { ok: 'empty' };

const SOCKS_SCHEMES = new Set(['socks5', 'socks5h', 'socks4', 'socks4a']);

function defaultPort(scheme: string): number {
  if (scheme === 'https') return 443;
  if (SOCKS_SCHEMES.has(scheme)) return 1080;
  return 80;
}

/** N7: a proxy URL value as a loopback endpoint, or why it is not one. */
export function parseLoopbackProxyUrl(value: string): EndpointParse {
  const trimmed = value.trim();
  if (trimmed === '') return { ok: 'empty' };
  const text = trimmed.includes('://') ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: `\`${trimmed}\` is not a URL` };
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const hostname = url.hostname.toLowerCase();
  let host: LoopbackEndpoint['host'];
  if (hostname === 'localhost' || hostname === '127.0.0.1') host = '127.0.0.1';
  else if (hostname === '[::1]') host = '::1';
  else return { ok: false, reason: `host \`${url.hostname}\` is not loopback (allowed: localhost, 127.0.0.1, [::1])` };
  let port: number;
  if (url.port === '') {
    // URL drops a port equal to the scheme's default, so "explicit :80" and "none" look alike,
    // which is fine: both mean the default port.
    port = defaultPort(scheme);
  } else {
    const parsed = parsePort(url.port);
    if (parsed === undefined) return { ok: false, reason: `port ${url.port} is not usable (allowed: 1-65535)` };
    port = parsed;
  }
  return { ok: true, endpoint: { scheme, host, port } };
}

/** `host:port` of an endpoint, with IPv6 in brackets. */
export function endpointAuthority(e: Pick<LoopbackEndpoint, 'host' | 'port'>): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

export interface ProxyRoute {
  /** The variable as spelled in the environment. */
  readonly envKey: string;
  readonly endpoint: LoopbackEndpoint;
  /** Index into `endpoints`: one bridge per distinct endpoint. */
  readonly endpointIndex: number;
}

export interface SkippedProxyVariable {
  readonly envKey: string;
  readonly reason: string;
}

export interface ProxyRoutePlan {
  /** Sorted by variable name. */
  readonly routes: readonly ProxyRoute[];
  /** Distinct endpoints, in order of first use. */
  readonly endpoints: readonly LoopbackEndpoint[];
  /** Proxy variables with a value that is not routed (never reachable from an isolated namespace). */
  readonly skipped: readonly SkippedProxyVariable[];
}

const PROXY_KEY_SET: ReadonlySet<string> = new Set(PROXY_ENV_KEYS);

/** True when `key` is one of N1's proxy variables in any spelling. */
export function isProxyEnvKey(key: string): boolean {
  return PROXY_KEY_SET.has(key.toUpperCase());
}

/** N8: the routes for every proxy variable that names a loopback endpoint; refuses when none does. */
export function planProxyRoutes(env: Env): ProxyRoutePlan {
  const keys = Object.keys(env)
    .filter((k) => isProxyEnvKey(k))
    .sort();
  const routes: ProxyRoute[] = [];
  const endpoints: LoopbackEndpoint[] = [];
  const skipped: SkippedProxyVariable[] = [];
  let anyValue = false;
  for (const envKey of keys) {
    const value = env[envKey];
    if (value === undefined) continue;
    const parsed = parseLoopbackProxyUrl(value);
    if (parsed.ok === 'empty') continue;
    anyValue = true;
    if (parsed.ok === false) {
      skipped.push({ envKey, reason: parsed.reason });
      continue;
    }
    const ep = parsed.endpoint;
    let index = endpoints.findIndex((e) => e.host === ep.host && e.port === ep.port);
    if (index < 0) index = endpoints.push(ep) - 1;
    routes.push({ envKey, endpoint: ep, endpointIndex: index });
  }
  if (routes.length === 0) {
    if (!anyValue) throw new ProxyRouteError('managed proxy mode requires proxy environment variables (none of ' + PROXY_ENV_KEYS.join(', ') + ' is set)');
    throw new ProxyRouteError(
      'managed proxy mode requires parseable loopback proxy endpoints; ' + skipped.map((s) => `${s.envKey}: ${s.reason}`).join('; '),
      skipped[0]?.envKey,
    );
  }
  return { routes, endpoints, skipped };
}

/**
 * N12: `original` pointed at the in-namespace listener on 127.0.0.1:`port`, keeping
 * scheme, userinfo and path; a value written without a scheme stays without one, and no `/` is
 * added that the original did not have.
 */
export function rewriteProxyUrl(envKey: string, original: string, port: number): string {
  const trimmed = original.trim();
  const hadScheme = trimmed.includes('://');
  let url: URL;
  try {
    url = new URL(hadScheme ? trimmed : `http://${trimmed}`);
  } catch {
    throw new ProxyRouteError(`could not rewrite proxy URL for env key ${envKey}`, envKey);
  }
  if (parsePort(String(port)) === undefined) throw new ProxyRouteError(`could not rewrite proxy URL for env key ${envKey}: port ${port}`, envKey);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  let out = url.href;
  if (!hadScheme) out = out.slice('http://'.length);
  if (out.endsWith('/') && !trimmed.endsWith('/')) out = out.slice(0, -1);
  return out;
}

export interface ManagedProxyEnvOptions {
  /** URL of the HTTP proxy as the command reaches it, e.g. `http://127.0.0.1:3128` (loopback only). */
  httpProxyUrl: string;
  /** URL of the SOCKS5 proxy as the command reaches it (`socks5h://...`), when SOCKS5 is enabled. */
  socksProxyUrl?: string | undefined;
  allowLocalBinding: boolean;
}

function requireLoopback(what: string, url: string, schemes: readonly string[]): void {
  const parsed = parseLoopbackProxyUrl(url);
  if (parsed.ok === 'empty') throw new ProxyRouteError(`${what} is empty`);
  if (parsed.ok === false) throw new ProxyRouteError(`${what}: ${parsed.reason}`);
  if (!url.includes('://') || !schemes.includes(parsed.endpoint.scheme)) {
    throw new ProxyRouteError(`${what} \`${url}\` must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);
  }
}

/** Every variable `managedProxyEnv` sets or clears, upper-cased (inherited ones are matched case-insensitively). */
export const MANAGED_ENV_KEYS: ReadonlySet<string> = new Set(
  [...PROXY_ENV_KEYS, ...NO_PROXY_ENV_KEYS, ...OTHER_MANAGED_KEYS].map((k) => k.toUpperCase()),
);

/** N2: the variables a command gets while the managed proxy is active. */
export function managedProxyEnv(opts: ManagedProxyEnvOptions): Record<string, string> {
  requireLoopback('the HTTP proxy URL', opts.httpProxyUrl, ['http']);
  if (opts.socksProxyUrl !== undefined) requireLoopback('the SOCKS5 proxy URL', opts.socksProxyUrl, ['socks5h', 'socks5']);
  const out: Record<string, string> = {
    CODEX_NETWORK_PROXY_ACTIVE: '1',
    CODEX_NETWORK_ALLOW_LOCAL_BINDING: opts.allowLocalBinding ? '1' : '0',
    ELECTRON_GET_USE_PROXY: 'true',
    NODE_USE_ENV_PROXY: '1',
  };
  for (const key of PROXY_ENV_KEYS) {
    const value = SOCKS_CAPABLE_KEYS.has(key) && opts.socksProxyUrl !== undefined ? opts.socksProxyUrl : opts.httpProxyUrl;
    out[key] = value;
    out[key.toLowerCase()] = value;
  }
  const noProxy = opts.allowLocalBinding ? LOCAL_NO_PROXY : '';
  for (const key of NO_PROXY_ENV_KEYS) out[key] = noProxy;
  return out;
}

/**
 * `base` without any inherited managed variable (in any spelling), with `managedProxyEnv(opts)`
 * on top: the command's environment while the managed proxy is active.
 */
export function applyManagedProxyEnv(base: Env, opts: ManagedProxyEnvOptions): Record<string, string> {
  const managed = managedProxyEnv(opts);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && !MANAGED_ENV_KEYS.has(k.toUpperCase())) out[k] = v;
  }
  return Object.assign(out, managed);
}
