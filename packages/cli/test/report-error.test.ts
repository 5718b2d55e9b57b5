import { ConfigError } from '@codex-sandbox/policy';
import { createDiagnosticSink } from '../src/diagnostics.js';
import { CommandNotFoundError, UsageError } from '../src/errors.js';
import { reportError } from '../src/report-error.js';
// Loading the sandbox module registers the policy package's errors as user-facing.
import '../src/sandbox.js';

function report(error: unknown, env: Record<string, string> = {}) {
  let err = '';
  const write = (t: string) => {
    err += t;
  };
  const status = reportError(error, { sink: createDiagnosticSink('codex sandbox', write), env, usageHint: "Try 'x --help'.", writeErr: write });
  return { status, err };
}

describe('reportError', () => {
  test('usage error: the message and one line pointing to the help, exit 2', () => {
    expect(report(new UsageError('missing COMMAND to run'))).toEqual({ status: 2, err: "codex sandbox: missing COMMAND to run\nTry 'x --help'.\n" });
  });
  test('typed cli error: its exit status, no stack', () => {
    expect(report(new CommandNotFoundError('nope'))).toEqual({ status: 127, err: 'codex sandbox: command not found: nope\n' });
  });
  test('policy error: exit 1, the message as written', () => {
    const { status, err } = report(new ConfigError('`sandbox_mode` is `x`; allowed: `read-only`', { path: '/h/config.toml', key: 'sandbox_mode' }));
    expect(status).toBe(1);
    expect(err).toBe('codex sandbox: /h/config.toml: `sandbox_mode` is `x`; allowed: `read-only`\n');
  });
  test('unexpected error: one line and the debug hint, no stack', () => {
    const { status, err } = report(new TypeError('cannot read properties of undefined\nsecond line'));
    expect(status).toBe(1);
    expect(err).toBe('codex sandbox: internal error: cannot read properties of undefined\nset CODEX_SANDBOX_DEBUG=1 for details\n');
  });
  test('unexpected error with CODEX_SANDBOX_DEBUG=1: the stack', () => {
    const { err } = report(new Error('boom'), { CODEX_SANDBOX_DEBUG: '1' });
    expect(err).toMatch(/^codex sandbox: internal error: boom\nError: boom\n\s+at /);
  });
  test('non-Error throw values', () => {
    expect(report('weird').err).toBe('codex sandbox: internal error: weird\nset CODEX_SANDBOX_DEBUG=1 for details\n');
  });
});
