// The proxy-bridge package's error hierarchy. Every failure a user or a caller can cause (a bad
// `[network]` setting, an unusable proxy variable, a proxy that cannot start) surfaces as one of
// these, with a message that names what was wrong and what is allowed. Must not hold decisions.

/** Root of this package's errors: catch this to handle any proxy-bridge refusal. */
export class ProxyBridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A `[permissions.NAME.network]` setting is malformed or cannot be enforced; nothing may run. */
export class NetworkPolicyError extends ProxyBridgeError {
  /** Dotted config key the error is about, e.g. `permissions.dev.network.domains."*.com"`. */
  readonly key: string;
  constructor(message: string, key: string) {
    super(message);
    this.key = key;
  }
}

/** A proxy environment variable cannot be routed (not loopback, unparseable, none at all). */
export class ProxyRouteError extends ProxyBridgeError {
  /** The environment variable the error is about, when there is one. */
  readonly envKey: string | undefined;
  constructor(message: string, envKey?: string) {
    super(message);
    this.envKey = envKey;
  }
}

/** The managed proxy cannot be started as asked (socket directory, listener, upstream proxy). */
export class ProxyStartError extends ProxyBridgeError {}
