// Which stage makes a run's deny masks (G11): bubblewrap, as always, or codex-mask-helper, the
// first program bwrap runs, when there are enough of them to pay for it and the host was shown to
// support it. Also the bwrap options and command line that put the helper in front of the next
// stage, and the argv without the masks the helper makes. Pure: must NOT read the filesystem, open
// descriptors, probe the host or encode the helper's spec (run-plan.ts does).

import type { LeafMask } from './mount-rules.js';

/**
 * Fewer masks than this stay with bubblewrap. Measured (bench/README.md, "deny masks"): bwrap with
 * N file masks vs. bwrap making two templates and the helper cloning them, medians of 60: N=1
 * 8.2 vs 11.2 ms, 8: 11.1 vs 12.9, 16: 12.3 vs 13.0, 24: 13.7 vs 10.4, 32: 16.1 vs 10.4, 400:
 * ~358 vs ~18. The front end's own cost of the helper (its bytes and spec in two more descriptors)
 * puts the break-even near 24; at 32 the helper wins with room to spare.
 */
export const MASK_HELPER_MIN_MASKS = 32;

/** Where the helper and its templates live in the sandbox: bwrap's private /dev tmpfs. */
const MASK_DIR_IN_SANDBOX = '/dev/.codex-masks';
export const MASK_HELPER_IN_SANDBOX = `${MASK_DIR_IN_SANDBOX}/helper`;
/** An empty mode-000 file alone on a read-only tmpfs (the kernel refuses to bind bwrap's own, unlinked, mask files). */
const FILE_TEMPLATE_DIR = `${MASK_DIR_IN_SANDBOX}/files`;
export const FILE_TEMPLATE_IN_SANDBOX = `${FILE_TEMPLATE_DIR}/mask`;
/** An empty mode-000 read-only tmpfs, exactly bwrap's directory mask. */
export const DIR_TEMPLATE_IN_SANDBOX = `${MASK_DIR_IN_SANDBOX}/dir`;

/** bubblewrap mounts these after the filesystem options (its /proc), or replaces them (/dev): masks there stay with it. */
const STAYS_WITH_BWRAP = ['/proc', '/dev'] as const;

/** Whether codex-mask-helper can run on this host, as the probe (or the cache) says. */
export type MaskHelperAvailability =
  | { usable: true; /** false: a dry run that found no probe result (a run probes first). */ probed: boolean }
  | { usable: false; reason: string };

export interface MaskStageOptions {
  availability: MaskHelperAvailability;
  /** Descriptor holding the helper's bytes (bwrap copies them into a read-only 0555 file). */
  helperFd: number;
  /** Descriptor holding the encoded MaskHelperSpec (the helper reads and closes it). */
  specFd: number;
}

/** What the dry run says about the masks, and what the helper is handed. */
export interface MaskStagePlan {
  stage: 'bubblewrap' | 'codex-mask-helper';
  /** Deny masks either stage could make (empty files and directories over existing paths). */
  count: number;
  /** Masks the helper makes (0 when bubblewrap makes them all). */
  helperMasks: number;
  /** Why this stage, in words. */
  reason: string;
  /** For the spec, when the helper makes them. */
  fileMasks: string[];
  dirMasks: string[];
}

function staysWithBwrap(p: string): boolean {
  return STAYS_WITH_BWRAP.some((root) => p === root || p.startsWith(`${root}/`));
}

/** Pure: the masks the helper may make, and which stage makes them. */
export function chooseMaskStage(leafMasks: readonly LeafMask[], availability: MaskHelperAvailability | undefined): { plan: MaskStagePlan; moved: LeafMask[] } {
  const movable = leafMasks.filter((mask) => !staysWithBwrap(mask.path));
  const bwrap = (reason: string) => ({ plan: { stage: 'bubblewrap' as const, count: movable.length, helperMasks: 0, reason, fileMasks: [], dirMasks: [] }, moved: [] });
  if (movable.length < MASK_HELPER_MIN_MASKS) {
    return bwrap(movable.length === 0 ? 'no deny masks' : `${movable.length} deny masks, fewer than the ${MASK_HELPER_MIN_MASKS} where codex-mask-helper is faster`);
  }
  if (availability === undefined) return bwrap('codex-mask-helper was not considered');
  if (!availability.usable) return bwrap(`codex-mask-helper cannot be used here: ${availability.reason}`);
  const note = availability.probed ? '' : ' (not probed on this host yet: a run probes first, and bubblewrap makes them if the probe fails)';
  return {
    plan: {
      stage: 'codex-mask-helper',
      count: movable.length,
      helperMasks: movable.length,
      reason: `${movable.length} deny masks, made by codex-mask-helper in the sandbox${note}`,
      fileMasks: movable.filter((m) => m.kind === 'file').map((m) => m.path),
      dirMasks: movable.filter((m) => m.kind === 'dir').map((m) => m.path),
    },
    moved: movable,
  };
}

/** Pure: `args` without the tokens of `moved` (ranges into `args`, as the builder recorded them). */
export function withoutMasks(args: readonly string[], moved: readonly LeafMask[]): string[] {
  const skip = new Uint8Array(args.length);
  for (const mask of moved) {
    if (mask.start < 0 || mask.start + mask.length > args.length || args[mask.start + mask.length - 1] !== mask.path) {
      throw new RangeError(`deny mask ${mask.path} is not where the argv builder recorded it`);
    }
    skip.fill(1, mask.start, mask.start + mask.length);
  }
  return args.filter((_, i) => skip[i] === 0);
}

/**
 * The bwrap options that make the helper and its two templates (after `--dev /dev`), the
 * capabilities it starts with (after `--cap-drop ALL`: only these two, in the innermost user
 * namespace; it drops them before exec), and the command line in front of the next stage.
 * `emptyDataFd` is the run's shared empty-data descriptor (renumbered per use later).
 */
export function maskStageArgs(opts: Pick<MaskStageOptions, 'helperFd' | 'specFd'>, emptyDataFd: number, next: readonly string[]): { mounts: string[]; caps: string[]; command: string[] } {
  return {
    mounts: [
      '--perms', '0555', '--ro-bind-data', String(opts.helperFd), MASK_HELPER_IN_SANDBOX,
      '--perms', '0111', '--tmpfs', FILE_TEMPLATE_DIR,
      '--perms', '000', '--file', String(emptyDataFd), FILE_TEMPLATE_IN_SANDBOX,
      '--remount-ro', FILE_TEMPLATE_DIR,
      '--perms', '000', '--tmpfs', DIR_TEMPLATE_IN_SANDBOX,
      '--remount-ro', DIR_TEMPLATE_IN_SANDBOX,
    ],
    caps: ['--cap-add', 'CAP_SYS_ADMIN', '--cap-add', 'CAP_SETPCAP'],
    command: [MASK_HELPER_IN_SANDBOX, '--spec-fd', String(opts.specFd), '--', ...next],
  };
}
