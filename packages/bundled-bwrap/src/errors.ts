// Owns the typed errors of the bundled-bwrap package: one base class and one subclass per way the
// bundled fallback can fail. Each message says what was wrong and what is allowed.
// Must NOT decide anything or touch the OS; callers map `exitCode` to the process exit status.

/** How to get a system bubblewrap, quoted in every "nothing found" message. */
export const BUBBLEWRAP_INSTALL_HINT =
  'Install a system bubblewrap with your OS package manager: `apt install bubblewrap` (Debian/Ubuntu), ' +
  '`dnf install bubblewrap` (Fedora/RHEL), or `pacman -S bubblewrap` (Arch).';

/** Exit status when the bundled binary's bytes do not match the digest embedded at build time. */
export const DIGEST_MISMATCH_EXIT_CODE = 8;

export class BundledBwrapError extends Error {
  /** Process exit status a front end should use when it stops because of this error. */
  readonly exitCode: number = 1;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The build-time digest is present but is neither 64 hex characters nor all zeros. */
export class InvalidBwrapDigestError extends BundledBwrapError {
  constructor(readonly rawValue: string) {
    super(
      `invalid CODEX_BWRAP_SHA256 value: ${JSON.stringify(rawValue)}; expected exactly 64 hex characters ` +
        '(or no value / 64 zeros for a development build)',
    );
  }
}

/** The bundled binary was opened but its SHA-256 differs from the embedded digest: refuse to run it. */
export class BundledBwrapDigestMismatchError extends BundledBwrapError {
  override readonly exitCode: number = DIGEST_MISMATCH_EXIT_CODE;

  constructor(
    readonly path: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`bundled bubblewrap digest mismatch for ${path}: expected sha256:${expectedSha256}, got sha256:${actualSha256}`);
  }
}

/** Why one candidate location was not used. */
export type CandidateRejection =
  | 'missing'
  | 'not a regular file'
  | 'not executable'
  | 'inaccessible'
  | 'not set'
  | 'not an absolute path';

export interface SearchedLocation {
  /** The path looked at, or the variable name when the location comes from an unset/invalid variable. */
  location: string;
  /** Where the location comes from, in words a user can act on. */
  description: string;
  rejection: CandidateRejection;
}

/** No bundled binary exists in any of the places a build of this kind may look. */
export class BundledBwrapNotFoundError extends BundledBwrapError {
  constructor(readonly searched: readonly SearchedLocation[]) {
    super(
      [
        'bubblewrap is unavailable: no usable system bwrap was found on PATH and no bundled ' +
          'codex-resources/bwrap binary was found next to the Codex executable.',
        'Looked for the bundled binary at:',
        ...searched.map((s) => `  - ${s.location} (${s.description}): ${s.rejection}`),
        BUBBLEWRAP_INSTALL_HINT,
      ].join('\n'),
    );
  }
}

/** The chosen file could not be opened, or what was opened is not a regular executable file. */
export class BundledBwrapOpenError extends BundledBwrapError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot use bundled bubblewrap ${path}: ${reason}; it must be a readable, executable regular file`);
  }
}
