// Readable roots the runtime itself needs inside a restricted sandbox (P17): the shell,
// the exec wrapper (or its arg0 directory), a proxy CA bundle, a bridge socket directory. The
// caller says which paths; this module only decides how they are added. Pure except for the
// resolution it delegates to resolve.ts; must NOT discover those paths itself.
import path from 'node:path';
import { isPathPrefix, tidyAbsolute } from './paths.js';
import { createAccessQuery, resolveSandboxPolicy, type ResolveContext } from './resolve.js';
import { resolveSpelling } from './spelling.js';
import type { PermissionProfile } from './types.js';

/**
 * The readable root for a helper executable: its parent directory when it lives in a per-run
 * `$CODEX_HOME/tmp/arg0/...` alias directory (so sibling aliases resolve too), else itself.
 */
export function runtimeRootForExecutable(exe: string, codexHome: string): string {
  const arg0Dir = resolveSpelling(tidyAbsolute(path.posix.join(codexHome, 'tmp', 'arg0')));
  const p = resolveSpelling(tidyAbsolute(exe));
  return isPathPrefix(arg0Dir, p) && p !== arg0Dir ? path.posix.dirname(p) : p;
}

/** Adds `read` entries for the given absolute paths unless already readable or full-disk read. */
export function withRuntimeReadableRoots(profile: PermissionProfile, paths: string[], ctx: ResolveContext): PermissionProfile {
  if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted' || paths.length === 0) return profile;
  const policy = resolveSandboxPolicy(profile, ctx);
  if (policy.fullDiskRead) return profile;
  const q = createAccessQuery(profile, ctx, policy);
  const entries = [...profile.fileSystem.entries];
  for (const raw of paths) {
    // `..` stays for resolution to follow: a textual collapse could grant a different place.
    const p = tidyAbsolute(raw);
    if (q.canRead(p) || entries.some((e) => e.path.type === 'path' && e.path.path === p && e.access === 'read')) continue;
    entries.push({ path: { type: 'path', path: p }, access: 'read' });
  }
  return { ...profile, fileSystem: { ...profile.fileSystem, entries } };
}
