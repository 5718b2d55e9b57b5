// Two guards of the filesystem argv that keep carve-outs where the policy put them (issue 10, items
// 8 and 10). Ancestor pins: every writable directory between a writable root and a read-only or
// denied mount target is bound onto itself before that target is mounted, so it is a mount point
// inside the sandbox and rename(2), rmdir(2) or a rename over it fail with EBUSY; without this,
// `mv sub sub2 && mkdir -p sub/ro` moves the protected mount away and leaves an attacker's `sub/ro`
// on the host for the next run. Placeholder paths: one mount point per host path, however many
// carve-outs below a missing directory need it (a second mount on a `--ro-bind-data` file fails
// with ENOENT, because the file bwrap bound there is already unlinked).
// Pure bookkeeping over predicates the caller supplies: must NOT emit argv, read the filesystem
// or decide which paths are writable (filesystem-args.ts does).

/** `/a/b/c` -> `/a`, `/a/b` (strict ancestors, shallowest first; `/` excluded). */
function strictAncestorsOf(p: string): string[] {
  const parts = p.split('/').filter((part) => part !== '');
  return parts.slice(0, -1).map((_, index) => `/${parts.slice(0, index + 1).join('/')}`);
}

/** Remembers which directories are pinned already, so each gets exactly one self-bind. */
export class AncestorPins {
  private readonly pinned = new Set<string>();

  /**
   * @param needsPin whether a directory is writable inside the sandbox and not a mount point we
   *   make anyway (a writable root, a carve-out, a mask): only those can be renamed or replaced.
   */
  constructor(private readonly needsPin: (dir: string) => boolean) {}

  /** The strict ancestors of `target` that still need a self-bind, shallowest first; marks them pinned. */
  take(target: string): string[] {
    const out: string[] = [];
    for (const dir of strictAncestorsOf(target)) {
      if (this.pinned.has(dir) || !this.needsPin(dir)) continue;
      this.pinned.add(dir);
      out.push(dir);
    }
    return out;
  }
}
