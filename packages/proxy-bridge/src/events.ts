// The record of what the managed proxy refused: one structured event per blocked request, kept
// in a bounded log (a runaway command cannot grow it without limit) and pushed to subscribers.
// Also the one shape of such an event, whichever front end (HTTP, SOCKS5) refused the request.
// Must NOT decide anything or touch sockets; a subscriber that throws cannot break the proxy.
import type { BlockReason, ProxyProtocol } from './policy.js';

export interface BlockedRequestEvent {
  /** ISO 8601 time of the decision. */
  readonly time: string;
  readonly protocol: ProxyProtocol;
  /** The target as the client named it (normalised: lower case, canonical IP). */
  readonly host: string;
  readonly port: number;
  readonly reason: BlockReason;
  /** HTTP method (`CONNECT` for tunnels); absent for SOCKS5. */
  readonly method?: string;
  /** The resolved address that was refused, when the second stage refused it. */
  readonly address?: string;
  /** The `deny` entry that matched, for `denylist`. */
  readonly pattern?: string;
  /** One sentence for a person. */
  readonly message: string;
}

export type BlockedListener = (event: BlockedRequestEvent) => void;

/** What a front end knows about a refused request when it records it. */
export interface RefusedRequest {
  readonly protocol: ProxyProtocol;
  /** HTTP method (`CONNECT` for tunnels); absent for SOCKS5. */
  readonly method?: string;
  readonly host: string;
  readonly port: number;
}

/** The policy's refusal (a blocked Decision). */
export interface Refusal {
  readonly reason: BlockReason;
  readonly detail: string;
  readonly pattern?: string;
}

/** The one event shape both front ends record for a refusal. */
export function blockedEvent(request: RefusedRequest, refusal: Refusal, address?: string): Omit<BlockedRequestEvent, 'time'> {
  return {
    protocol: request.protocol,
    ...(request.method !== undefined ? { method: request.method } : {}),
    host: request.host,
    port: request.port,
    reason: refusal.reason,
    message: refusal.detail,
    ...(address !== undefined ? { address } : {}),
    ...(refusal.pattern !== undefined ? { pattern: refusal.pattern } : {}),
  };
}

/** What a running proxy has refused so far. */
export interface ProxyEvents {
  /** Blocked requests, oldest first; at most `limit` are kept (see `dropped`). */
  readonly blocked: readonly BlockedRequestEvent[];
  /** Blocked requests not kept because the log was full (the newest are dropped). */
  readonly dropped: number;
  /** Connections refused for a missing or wrong per-run credential. */
  readonly authFailures: number;
  /** Calls `listener` for every later blocked request; returns the unsubscribe function. */
  subscribe(listener: BlockedListener): () => void;
}

export class EventLog implements ProxyEvents {
  readonly #limit: number;
  readonly #blocked: BlockedRequestEvent[] = [];
  readonly #listeners = new Set<BlockedListener>();
  #dropped = 0;
  #authFailures = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get blocked(): readonly BlockedRequestEvent[] {
    return this.#blocked.slice();
  }

  get dropped(): number {
    return this.#dropped;
  }

  get authFailures(): number {
    return this.#authFailures;
  }

  subscribe(listener: BlockedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  record(event: Omit<BlockedRequestEvent, 'time'>): void {
    const full: BlockedRequestEvent = { time: new Date().toISOString(), ...event };
    if (this.#blocked.length < this.#limit) this.#blocked.push(full);
    else this.#dropped++;
    for (const listener of this.#listeners) {
      try {
        listener(full);
      } catch {
        // A subscriber's bug must not turn a refusal into a crash of the proxy.
      }
    }
  }

  recordAuthFailure(): void {
    this.#authFailures++;
  }

  clearListeners(): void {
    this.#listeners.clear();
  }
}
