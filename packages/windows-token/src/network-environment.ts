// Owns the unelevated backend's network restriction (W3): best-effort environment poisoning (proxy
// variables pointing at a closed port, package managers offline, git's ssh disabled) and the
// deny-bin directory of failing `ssh`/`scp` shims put first on PATH. Pure: must NOT write the shims
// (the runner does) and must NOT claim this blocks the network (it only steers well-behaved tools).
import * as path from 'node:path';

/** Where every proxy variable points: the discard port on loopback, where nothing listens. */
export const DEAD_PROXY = 'http://127.0.0.1:9';

export const DENY_BIN_DIRECTORY_NAME = '.sbx-denybin';

const SHIM = '@echo off\r\nexit /b 1\r\n';

export interface DenyBinPlan {
  directory: string;
  /** File name to contents: `ssh`/`scp` as `.bat` and `.cmd`, each exiting 1. */
  files: Record<string, string>;
}

export interface NetworkEnvironment {
  /** The variables set, in the order listed (the PATH entry last). */
  set: Array<{ name: string; value: string }>;
  denyBin: DenyBinPlan;
}

/**
 * W3 for a policy with restricted network. `homeDir`: the user's profile directory (USERPROFILE).
 * Proxy variables are set even when the host had them (a real proxy would be a way out).
 */
export function networkEnvironment(env: Readonly<Record<string, string | undefined>>, homeDir: string): NetworkEnvironment {
  const directory = path.win32.join(homeDir, DENY_BIN_DIRECTORY_NAME);
  const files: Record<string, string> = {};
  for (const tool of ['ssh', 'scp']) for (const ext of ['.bat', '.cmd']) files[`${tool}${ext}`] = SHIM;
  const currentPath = lookUp(env, 'PATH');
  const set = [
    { name: 'SBX_NONET_ACTIVE', value: '1' },
    ...['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'GIT_HTTP_PROXY', 'GIT_HTTPS_PROXY'].map((name) => ({ name, value: DEAD_PROXY })),
    { name: 'NO_PROXY', value: 'localhost,127.0.0.1,::1' },
    { name: 'PIP_NO_INDEX', value: '1' },
    { name: 'PIP_DISABLE_PIP_VERSION_CHECK', value: '1' },
    { name: 'NPM_CONFIG_OFFLINE', value: 'true' },
    { name: 'CARGO_NET_OFFLINE', value: 'true' },
    { name: 'GIT_SSH_COMMAND', value: 'cmd /c exit 1' },
    { name: 'GIT_ALLOW_PROTOCOLS', value: '' },
    { name: 'PATH', value: currentPath === undefined || currentPath === '' ? directory : `${directory};${currentPath}` },
  ];
  return { set, denyBin: { directory, files } };
}

/** Windows variable names are case-insensitive: the value of `name` in any spelling. */
export function lookUp(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const upper = name.toUpperCase();
  const key = Object.keys(env).find((k) => k.toUpperCase() === upper && env[k] !== undefined);
  return key === undefined ? undefined : env[key];
}

/** `env` with each variable of `set` replacing every spelling of its name (`http_proxy` too). */
export function withVariables(
  env: Readonly<Record<string, string | undefined>>,
  set: ReadonlyArray<{ name: string; value: string }>,
): Record<string, string> {
  const names = new Set(set.map((v) => v.name.toUpperCase()));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !names.has(k.toUpperCase())) out[k] = v;
  for (const v of set) out[v.name] = v.value;
  return out;
}
