// Owns reaching Node's private bindings (`process.binding`), the way around the public modules a
// short-lived front end should not load just to start a process or listen on a socket
// (child_process, net, stream): one answer to whether the call can be made here, and made
// without a warning. Must NOT use what it returns: each caller checks the shape it needs and
// falls back to the public module.

/** The bindings the packages reach this way. */
export type PrivateBindingName = 'process_wrap' | 'pipe_wrap';

/**
 * The binding, or undefined where this Node does not expose it or the call would print a
 * deprecation warning (a host started with --pending-deprecation warns on every process.binding).
 */
export function privateBinding(name: PrivateBindingName): unknown {
  const pending = process.execArgv.includes('--pending-deprecation') || process.env['NODE_PENDING_DEPRECATION'] === '1';
  const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  if (pending || typeof binding !== 'function') return undefined;
  try {
    return binding.call(process, name);
  } catch {
    return undefined;
  }
}
