// The policy package's error hierarchy. Every failure a user can cause (bad config, bad override,
// bad profile selection, bad wire input) surfaces as one of these, with a message that names the
// offending key or path and says what is allowed. Must not hold any decision logic.

/** Base class: anything the policy package rejects. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export interface ConfigErrorDetails {
  /** Dotted config key the error is about, e.g. `permissions.dev.filesystem."/x"`. */
  key?: string;
  /** File (or `-c` override text) the value came from. */
  path?: string;
  /** 1-based position in `path` (TOML syntax errors), shown as `path:line:column`. */
  line?: number;
  column?: number;
}

/** Invalid config file content or `-c` override. */
export class ConfigError extends PolicyError {
  readonly key: string | undefined;
  readonly path: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, details: ConfigErrorDetails = {}) {
    const position = details.line !== undefined ? `:${details.line}${details.column !== undefined ? `:${details.column}` : ''}` : '';
    super(details.path !== undefined ? `${details.path}${position}: ${message}` : message);
    this.name = 'ConfigError';
    this.key = details.key;
    this.path = details.path;
    this.line = details.line;
    this.column = details.column;
  }
}

/** The profile selection cannot be satisfied (unknown id, conflicting overrides, bad cwd). */
export class ProfileError extends PolicyError {
  readonly profileId: string | undefined;
  constructor(message: string, profileId?: string) {
    super(message);
    this.name = 'ProfileError';
    this.profileId = profileId;
  }
}

/** A serialized permission profile or sandbox request (JSON or protobuf) is malformed. */
export class WireError extends PolicyError {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}
