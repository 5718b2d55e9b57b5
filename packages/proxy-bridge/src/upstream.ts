// `allow_upstream_proxy`: which upstream HTTP proxy (a corporate proxy, from the host's own proxy
// variables) the managed proxy forwards allowed traffic through, and which targets bypass it
// (`NO_PROXY`). Pure: must NOT open sockets; the policy is applied before any of this is asked.
import { ProxyStartError } from './errors.js';
import { parsePort, parseTargetHost, targetText, type TargetHost } from './patterns.js';
import type { Env } from './routes.js';

export interface UpstreamProxy {
  /** The variable it came from, for messages. */
  readonly envKey: string;
  readonly host: string;
  readonly port: number;
  /** `Proxy-Authorization` value when the URL carries user:password. */
  readonly authorization: string | undefined;
}

export interface UpstreamConfig {
  /** For plain-HTTP requests (`http_proxy`, `HTTP_PROXY`, then `all_proxy`, `ALL_PROXY`). */
  readonly http: UpstreamProxy | undefined;
  /** For tunnels: CONNECT and SOCKS5 (`https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY`). */
  readonly tunnel: UpstreamProxy | undefined;
  /** `no_proxy` / `NO_PROXY` entries, lower case. */
  readonly noProxy: readonly string[];
}

function pick(env: Env, keys: readonly string[]): { key: string; value: string } | undefined {
  for (const key of keys) {
    const value = env[key]?.trim();
    if (value !== undefined && value !== '') return { key, value };
  }
  return undefined;
}

function parseUpstream(key: string, value: string): UpstreamProxy {
  const text = value.includes('://') ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxyStartError(`upstream proxy ${key} \`${value}\` is not a URL`);
  }
  if (url.protocol !== 'http:') {
    throw new ProxyStartError(`upstream proxy ${key} uses ${url.protocol}//; the managed proxy forwards only through http:// proxies`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new ProxyStartError(`upstream proxy ${key} \`${value}\` has no host`);
  const port = url.port === '' ? 80 : parsePort(url.port);
  if (port === undefined) throw new ProxyStartError(`upstream proxy ${key} has port ${url.port}; allowed: 1-65535`);
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  }
  return { envKey: key, host, port, authorization };
}

/** The upstream proxies named by `env` (lower-case spellings first, as curl reads them). */
export function upstreamConfigFromEnv(env: Env): UpstreamConfig {
  const http = pick(env, ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']);
  const tunnel = pick(env, ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']);
  const noProxy = (pick(env, ['no_proxy', 'NO_PROXY'])?.value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  return {
    http: http === undefined ? undefined : parseUpstream(http.key, http.value),
    tunnel: tunnel === undefined ? undefined : parseUpstream(tunnel.key, tunnel.value),
    noProxy,
  };
}

/** Does a `NO_PROXY` entry send `target:port` around the upstream proxy (straight out)? */
export function bypassesUpstream(config: UpstreamConfig, target: TargetHost, port: number): boolean {
  const name = targetText(target);
  for (const raw of config.noProxy) {
    if (raw === '*') return true;
    let entry = raw;
    let entryPort: number | undefined;
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (m !== null && m[1] !== undefined && m[2] !== undefined) {
      entry = m[1];
      entryPort = parsePort(m[2]);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = entry.replace(/^\*?\./, '');
    const host = parseTargetHost(bare);
    if (host === undefined) continue;
    const hostText = targetText(host);
    if (name === hostText) return true;
    if (host.kind === 'name' && target.kind === 'name' && name.endsWith(`.${hostText}`)) return true;
  }
  return false;
}
