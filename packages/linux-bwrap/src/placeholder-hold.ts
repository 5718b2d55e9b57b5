// Owns one sandbox object's standing claim on the placeholders its runs need (L32.1): a placeholder
// is registered the first time a run of the object needs it and kept, across that object's runs,
// until the object is disposed or the process exits. Consecutive runs then neither take the
// registry lock nor delete and recreate the same empty `.git`/`.codex`/... on the host (about a
// third of an in-process workspace run). A killed process leaves its claims to the registry's sweep
// of dead owners, as a killed run always did.
// Must NOT delete anything itself: the registry decides what is safe to remove, and when.

import type { PlaceholderRegistry, PlaceholderTarget } from './registry.js';

interface Claim {
  marker: string;
  targets: PlaceholderTarget[];
}

/** Holds that still own placeholders; released when the process exits (process.exit included). */
const liveHolds = new Set<PlaceholderHold>();
let exitHookInstalled = false;

function releaseAllAtExit(): void {
  for (const hold of [...liveHolds]) {
    try {
      hold.release();
    } catch {
      // The process is ending: what cannot be released now, the next run's sweep collects.
    }
  }
}

export class PlaceholderHold {
  private readonly claims: Claim[] = [];
  private readonly held = new Set<string>();

  constructor(private readonly registry: PlaceholderRegistry) {}

  /** Claims every target this hold does not own yet; the registry lock is taken only for new ones. */
  cover(targets: readonly PlaceholderTarget[]): void {
    const fresh = targets.filter((target) => !this.held.has(target.path));
    if (fresh.length === 0) return;
    const marker = this.registry.register(fresh);
    this.claims.push({ marker, targets: fresh });
    for (const target of fresh) this.held.add(target.path);
    liveHolds.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', releaseAllAtExit);
    }
  }

  /** Paths currently claimed (for tests and the dry run's notes). */
  heldPaths(): string[] {
    return [...this.held].sort();
  }

  /** Gives up every claim; placeholders nobody else owns are removed while still empty. */
  release(): void {
    liveHolds.delete(this);
    const claims = this.claims.splice(0);
    this.held.clear();
    let failure: unknown;
    for (const claim of claims) {
      try {
        this.registry.release(claim.targets, claim.marker);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
