// The typed handoff from a front end to codex-mask-helper, the stage that makes a run's many deny
// masks inside the sandbox (message MaskHelperSpec in proto/mask_helper.proto): checks a spec and
// encodes it, and decodes one back (tests, diagnostics). Must NOT decide which paths are masked or
// where the templates are; the helper checks the same rules again on its side.
import { WireError } from './errors.js';
import * as pb from './gen/mask_helper.js';

export interface MaskHelperSpec {
  /** An empty mode-000 file alone on a read-only tmpfs, in the sandbox; cloned onto `fileMasks`. */
  fileTemplate: string;
  /** An empty mode-000 directory, root of a read-only tmpfs, in the sandbox; cloned onto `dirMasks`. */
  dirTemplate: string;
  /** Canonical absolute paths of existing non-directories to hide. */
  fileMasks: readonly string[];
  /** Canonical absolute paths of existing directories to hide. */
  dirMasks: readonly string[];
  /** Descriptors above 2 the next stage reads, left open (every other one is closed). */
  keepFds: readonly number[];
}

/** What the helper accepts (mask_helper.c). */
const MAX_MASKS = 65536;
const MAX_KEEP_FDS = 16;
/** PATH_MAX, terminating NUL included. */
const MAX_PATH_BYTES = 4095;

function checkPath(what: string, p: string): void {
  if (!p.startsWith('/') || p.includes('\0') || Buffer.byteLength(p) > MAX_PATH_BYTES) {
    throw new WireError(`mask helper spec: ${what} ${JSON.stringify(p)} must be absolute, without NUL, at most ${MAX_PATH_BYTES} bytes`);
  }
}

function checkSpec(spec: MaskHelperSpec): void {
  checkPath('the directory template', spec.dirTemplate);
  if (spec.fileMasks.length > 0) checkPath('the file template', spec.fileTemplate);
  const count = spec.fileMasks.length + spec.dirMasks.length;
  if (count > MAX_MASKS) throw new WireError(`mask helper spec: ${count} masks (at most ${MAX_MASKS})`);
  spec.fileMasks.forEach((p, i) => checkPath(`file mask ${i}`, p));
  spec.dirMasks.forEach((p, i) => checkPath(`directory mask ${i}`, p));
  if (spec.keepFds.length > MAX_KEEP_FDS) throw new WireError(`mask helper spec: ${spec.keepFds.length} kept descriptors (at most ${MAX_KEEP_FDS})`);
  const seen = new Set<number>();
  for (const fd of spec.keepFds) {
    if (!Number.isInteger(fd) || fd < 3 || fd > 65535 || seen.has(fd)) throw new WireError(`mask helper spec: kept descriptor ${fd} is not 3-65535 or is given twice`);
    seen.add(fd);
  }
}

export function encodeMaskHelperSpec(spec: MaskHelperSpec): Uint8Array {
  checkSpec(spec);
  return pb.MaskHelperSpec.encode({
    fileTemplate: spec.fileTemplate,
    dirTemplate: spec.dirTemplate,
    fileMasks: [...spec.fileMasks],
    dirMasks: [...spec.dirMasks],
    keepFds: [...spec.keepFds],
  }).finish();
}

export function decodeMaskHelperSpec(bytes: Uint8Array): MaskHelperSpec {
  let m: pb.MaskHelperSpec;
  try {
    m = pb.MaskHelperSpec.decode(bytes);
  } catch (error) {
    throw new WireError(`mask helper spec: not a MaskHelperSpec message: ${(error as Error).message}`);
  }
  const spec: MaskHelperSpec = { fileTemplate: m.fileTemplate, dirTemplate: m.dirTemplate, fileMasks: m.fileMasks, dirMasks: m.dirMasks, keepFds: m.keepFds };
  checkSpec(spec);
  return spec;
}
