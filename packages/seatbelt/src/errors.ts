// The seatbelt package's error hierarchy: a policy the Seatbelt backend cannot express (it refuses
// rather than run with weaker confinement), a generated policy that fails the structural check (a
// bug here, never the user's), and a run that could not be started. Must NOT print anything.

/** Base class of every error this package throws on purpose. */
export class SeatbeltError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The policy cannot be expressed as Seatbelt rules as asked (a symlinked writable root, a bad path). */
export class SeatbeltPolicyError extends SeatbeltError {}

/** A generated policy broke a structural rule (checker.ts): nothing is run with it. */
export class SeatbeltCheckError extends SeatbeltError {
  constructor(readonly problems: readonly string[]) {
    super(`generated Seatbelt policy failed its structural check (this is a bug; nothing was run): ${problems.join('; ')}`);
  }
}

/** sandbox-exec (or the denial logger) could not be started on this host. */
export class SeatbeltRunError extends SeatbeltError {}
