// The OS side of a legacy Landlock run once it is planned: the helper's spec in an unnamed file,
// the verified helper executed through its open descriptor, in its own session, with the
// command's environment and stdio and nothing else; signals forwarded to its process group, the
// exit status passed through, everything opened closed after. Must NOT decide the ruleset
// (landlock-plan.ts did) and must never run the command without the helper.

import * as fs from 'node:fs';
import * as os from 'node:os';

import { encodeLandlockHelperSpec } from '@codex-sandbox/policy';

import type { StdioSlot } from '@codex-sandbox/process-launch';
import { descriptorAtOrAbove, unnamedDataFile, unnamedFileDirectories } from './descriptors.js';
import type { LandlockHelper } from './landlock-helper.js';
import { landlockMasks, landlockRuleMask, type LandlockPlan } from './landlock-plan.js';
import { startChild, startForwardingToGroup, stdioSlots, type LaunchRequest } from './run-launch.js';
import { BwrapSpawnError } from './runtime-errors.js';
import { buildSeccompProgram } from './seccomp.js';
import { exitStatusOf } from './signals.js';

/** The helper reads its spec from here (the slot after stdio). */
export const LANDLOCK_SPEC_FD = 3;

/** The helper's arguments (program excluded), as run and as the dry run shows them. */
export function landlockHelperArgs(command: readonly string[]): string[] {
  return ['--spec-fd', String(LANDLOCK_SPEC_FD), '--', ...command];
}

/** The encoded LandlockHelperSpec of a plan. */
export function landlockSpec(plan: LandlockPlan, parentPid: number): Uint8Array {
  const masks = landlockMasks(plan);
  return encodeLandlockHelperSpec({
    abi: plan.abi,
    handledAccessFs: masks.fs,
    handledAccessNet: masks.net,
    scoped: masks.scoped,
    pathRules: plan.rules.map((rule) => ({ path: rule.path, allowedAccess: landlockRuleMask(rule) })),
    seccompProgram: buildSeccompProgram(plan.seccompMode, process.arch, { denyTerminalInjection: true, denyMetadataChanges: plan.denyMetadataChanges }),
    parentPid,
  });
}

export async function launchLandlock(
  req: LaunchRequest,
  plan: LandlockPlan,
  helper: LandlockHelper,
  options: { tmpDir: string | undefined; forwardSignals: boolean },
): Promise<number> {
  const specFd = unnamedDataFile(Buffer.from(landlockSpec(plan, process.pid)), unnamedFileDirectories(options.tmpDir ?? os.tmpdir()));
  const stdio: StdioSlot[] = [...stdioSlots(req.stdio), specFd];
  const exec = descriptorAtOrAbove(helper.fd, stdio.length);
  try {
    const end = await startForwardingToGroup(options.forwardSignals, () =>
      startChild(req, `/proc/self/fd/${exec.fd}`, 'codex-landlock-helper', landlockHelperArgs(req.command), stdio),
    );
    if (end.kind === 'not-started') throw new BwrapSpawnError(`cannot start the Landlock helper ${helper.path}: ${end.message}`);
    return exitStatusOf(end.code, end.signal);
  } finally {
    exec.close();
    fs.closeSync(specFd);
  }
}
